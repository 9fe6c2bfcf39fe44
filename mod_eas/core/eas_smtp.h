/* eas_smtp.h — a small SMTP client (RFC 5321) over APR sockets and OpenSSL: EHLO, STARTTLS
 * (RFC 3207) or implicit TLS, AUTH PLAIN (RFC 4616), MAIL/RCPT/DATA with dot-stuffing, 8BITMIME
 * when offered. One message per connection; every step has the configured timeout. */
#ifndef EAS_SMTP_H
#define EAS_SMTP_H

#include <apr_pools.h>
#include <apr_tables.h>

#define EAS_SMTP_PLAIN    0 /* smtp:// — plain, STARTTLS used when offered */
#define EAS_SMTP_STARTTLS 1 /* submission:// — STARTTLS required */
#define EAS_SMTP_TLS      2 /* smtps:// — implicit TLS */

typedef struct eas_smtp_url {
    int tls;          /* EAS_SMTP_* */
    const char *host; /* name or address ([v6] without brackets) */
    int port;
} eas_smtp_url;

/* Parses smtp://host[:port], smtps://host[:port], submission://host[:port]; NULL when fine,
 * else a message. Default ports 25, 465, 587. */
const char *eas_smtp_parse_url(apr_pool_t *p, const char *url, eas_smtp_url *out);

/* What eas_smtp_send needs to know about the relay (from eas_submit_conf). */
typedef struct eas_smtp_opts {
    const char *url;     /* EASSMTPRelay */
    const char *helo;    /* EHLO name; NULL: "localhost" */
    int timeout;         /* seconds per step (connect, each reply, each write) */
    int tls_verify;      /* verify the certificate chain and the host name */
    const char *ca_file; /* CAs for the verification; NULL: the system default paths */
    const char *auth_user, *auth_pass; /* AUTH PLAIN with these; NULL: no AUTH */
} eas_smtp_opts;

/* One message: the envelope and the bytes (any line endings; normalised to CRLF). */
typedef struct eas_smtp_msg {
    const char *mail_from;          /* "" or NULL: null reverse path (MAIL FROM:<>) */
    const apr_array_header_t *rcpt; /* const char * addresses, at least one */
    const char *data;
    apr_size_t len;
} eas_smtp_msg;

/* eas_smtp_result.status */
#define EAS_SMTP_OK   0
#define EAS_SMTP_TEMP 1 /* 4xx, connection refused, timeout, TLS trouble: retry later */
#define EAS_SMTP_PERM 2 /* 5xx, or the relay lacks something we require (STARTTLS, AUTH) */

typedef struct eas_smtp_result {
    int status;        /* EAS_SMTP_* */
    int code;          /* last reply code, 0 when the failure was not a reply */
    const char *reply; /* the relay's reply (lines joined with " / ") or our reason */
    const char *rcpt;  /* the recipient the relay refused, NULL if the failure was elsewhere */
    const char *stage; /* "connect", "greeting", "EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT",
                          "DATA", "end of data" */
    int tls;           /* the session was encrypted */
} eas_smtp_result;

/* Sends one message through the relay. Every recipient must be accepted, else nothing is sent
 * (RSET, QUIT) and res names the refused recipient. Returns res->status. */
int eas_smtp_send(apr_pool_t *p, const eas_smtp_opts *o, const eas_smtp_msg *m,
                  eas_smtp_result *res);

/* --- pure helpers (unit-tested) ------------------------------------------------------------ */

/* The DATA payload for data: every line ending (LF, CR, CRLF) as CRLF, a leading '.' doubled
 * (RFC 5321 4.5.2), a final CRLF added when missing, then the terminating ".\r\n". */
char *eas_smtp_data(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len);

/* Line endings normalised to CRLF (no dot-stuffing, no terminator). */
char *eas_smtp_crlf(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len);

/* Looks for one complete (possibly multi-line) reply at the start of buf. Returns 1 with *code,
 * *consumed (bytes of the reply) and *text (the lines' texts joined with " / "), 0 when more
 * input is needed, -1 when buf is not an SMTP reply. */
int eas_smtp_parse_reply(apr_pool_t *p, const char *buf, apr_size_t len, int *code,
                         apr_size_t *consumed, const char **text);

/* Whether an EHLO reply text (as from eas_smtp_parse_reply) announces keyword (e.g. "STARTTLS");
 * with want (e.g. "PLAIN"), whether the keyword's parameters include it. */
int eas_smtp_ehlo_has(const char *ehlo_text, const char *keyword, const char *want);

#endif
