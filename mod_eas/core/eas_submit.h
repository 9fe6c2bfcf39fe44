/* eas_submit.h — outgoing mail: one message from a user to its recipients. Local recipients (users
 * of this server, by any of their addresses) are delivered in-database; the rest go to the
 * configured SMTP relay (EASSMTPRelay). Used by SendMail/SmartReply/SmartForward, MeetingResponse
 * (iTIP replies), out-of-office replies and the wipe-acknowledgement notice.
 *
 * All or nothing: the idempotency key, local deliveries and the Sent Items copy are written in one
 * transaction that commits only after the relay accepted the message (250 after DATA); a relay
 * that is down or refuses leaves no trace and the caller answers Status 120. */
#ifndef EAS_SUBMIT_H
#define EAS_SUBMIT_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

/* Server configuration of the mail path (directives, see README "Sending mail"). */
typedef struct eas_submit_conf {
    const char *relay;       /* EASSMTPRelay: smtp://h[:25], smtps://h[:465], submission://h[:587]
                                (STARTTLS required); NULL: no relay, local recipients only */
    int auth_user;           /* EASSMTPAuth User: AUTH PLAIN with the request's Basic credentials */
    const char *tls_ca_file; /* EASSMTPTLSCAFile: CAs to verify the relay; NULL: system store */
    int tls_verify;          /* EASSMTPTLSVerify (default On) */
    const char *helo;        /* EASSMTPHelo: EHLO name (default: the ServerName) */
    int timeout;             /* EASSMTPTimeout: seconds per SMTP step (default 30) */
    const char *mail_domain; /* EASMailDomain: the address of users whose name has no '@' is
                                name@mail_domain (NULL: such users have no address) */
    int oof_interval;        /* EASOofReplyInterval: seconds before the same sender gets another
                                out-of-office reply within one OOF period (default 7 days) */
    const char *notice_from; /* EASNoticeFrom: From of server notices (wipe acknowledgement);
                                default postmaster@<mail domain or ServerName> */
} eas_submit_conf;

/* eas_submit_req.flags */
#define EAS_SUBMIT_AUTO   0x01 /* automatic reply (OOF): null reverse path, never a Sent copy */
#define EAS_SUBMIT_NOTICE 0x02 /* server notice: From is conf->notice_from, not forced to user */

typedef struct eas_submit_req {
    const char *user;      /* sending account (users.name = r->user); NULL only with NOTICE */
    const char *password;  /* Basic password of the request, for EASSMTPAuth User; NULL: none */
    const char *device_id; /* device that asked (idempotency scope, log); NULL: server */
    const char *client_id; /* ComposeMail ClientId: a second submission with the same one is
                              refused with Status 118 and sends nothing; NULL: no key */
    const char *mime;      /* RFC 5322 message as composed by the device or the server */
    apr_size_t len;
    int save_in_sent; /* store a copy in the user's Sent Items (with Bcc kept, see below) */
    int flags;        /* EAS_SUBMIT_* */
    /* Extra envelope recipients besides To/Cc/Bcc (NULL: none), const char * addresses. */
    const apr_array_header_t *rcpt;
    int depth; /* 0: written by a person; a delivery hook replying (OOF, iTIP) passes its
                  eas_delivered.depth + 1 so hooks on the reply's local delivery stop a loop */
} eas_submit_req;

/* MS-ASCMD ComposeMail / common status codes the mail path answers. */
#define EAS_SUBMIT_OK                0
#define EAS_SUBMIT_INVALID_MIME      107
#define EAS_SUBMIT_NO_RECIPIENT      119
#define EAS_SUBMIT_PREVIOUSLY_SENT   118
#define EAS_SUBMIT_SUBMISSION_FAILED 120
#define EAS_SUBMIT_SERVER_ERROR      110
#define EAS_SUBMIT_RETRY_LATER       111

typedef struct eas_submit_result {
    int status;             /* EAS_SUBMIT_* */
    const char *detail;     /* for the log: which recipient, the relay's reply line, ... */
    const char *warning;    /* something went wrong after the commit (a delivery hook) */
    const char *message_id; /* Message-ID of what was sent */
    int local, remote;      /* recipients delivered in-database / accepted by the relay */
    long long sent_uid;     /* uid of the Sent Items copy, 0: none */
} eas_submit_result;

/* Submits one message. Normally called outside a transaction: it runs its own and, after the
 * commit, the delivery hooks (eas_delivered.h) of local recipients. Inside the caller's
 * transaction (the wipe notice of Provision) it works in a savepoint, rolled back on failure,
 * and runs no hooks. The From header is forced to one of the user's own addresses (the one
 * the device used if it is the user's, else the primary). Bcc is removed from what recipients
 * get and kept in the Sent Items copy. Date and Message-ID are added when missing. Returns 0 with
 * res->status set (0 = sent), or -1 with *err on an internal failure (database, memory). */
int eas_submit(PGconn *c, apr_pool_t *p, const eas_submit_conf *conf, const eas_submit_req *req,
               eas_submit_result *res, const char **err);

#endif
