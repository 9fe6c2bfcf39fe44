/* eas_cmd.h — what every command implementation receives and returns. Commands are functions of
 * (request tree, database, device) -> response tree; they never see Apache. */
#ifndef EAS_CMD_H
#define EAS_CMD_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>
#include <libxml/tree.h>

#include "eas_db.h"
#include "eas_device.h"
#include "eas_query.h"

struct eas_hub;
struct eas_submit_conf;

/* Search, Find, ResolveRecipients and ValidateCert settings (directives, README). */
typedef struct eas_lookup_conf {
    int search_max;                        /* EASSearchMaxResults: results per query (100) */
    int search_timeout;                    /* EASSearchTimeout: seconds per query (10) */
    const apr_array_header_t *gal_folders; /* EASGALContacts: "user\tfolder" strings, whose
                                              contacts every user finds in the GAL */
    const char *ca_file, *ca_path;         /* EASCertCAFile/EASCertCAPath: trusted roots for
                                              ValidateCert (NULL: the system store) */
    const char *crl_file;                  /* EASCertCRLFile: CRLs for CheckCRL (NULL: none) */
} eas_lookup_conf;

/* Direct Push settings (EASHeartbeatMin/Max, EASPingMaxFolders, EASPingSafetyCheck). */
typedef struct eas_push_conf {
    int hb_min, hb_max; /* seconds a held Ping or Sync may last */
    int max_folders;    /* folders one Ping may watch */
    int safety;         /* seconds between safety re-checks of a held request */
} eas_push_conf;

typedef struct eas_cmd_ctx {
    apr_pool_t *pool;
    PGconn *db;
    const char *user;   /* authenticated user (r->user) */
    const eas_query *q; /* parsed request line */
    eas_device_ref dev; /* the device's rows */
    int version;        /* protocol version as 121, 141, 161 */
    xmlDocPtr req;      /* decoded WBXML body, NULL when the body was empty */
    const char *body;   /* raw body (SendMail 12.x MIME, ...) */
    apr_size_t body_len;
    /* settings from the server configuration */
    const char *wipe_notify_admin; /* address told when a wipe is acknowledged, or NULL */
    int wipe_notify_user;          /* tell the user too (when r->user is an address) */
    /* lent by the glue to commands that hold the request (Ping, Sync with Wait) */
    struct eas_hub *hub; /* this process's notification hub, NULL: none (answer at once) */
    eas_dbpool *dbpool;  /* db goes back here while the request sleeps */
    int client_fd;       /* the client's socket, to notice a hang-up (-1: unknown) */
    eas_push_conf push;
    /* the mail path and the lookups (issue 8) */
    const struct eas_submit_conf *submit; /* relay, mail domain, OOF interval (eas_submit.h) */
    const char *password;                 /* the request's Basic password, only when
                                             EASSMTPAuth User needs it; NULL otherwise */
    const struct eas_lookup_conf *lookup; /* Search/Find/ResolveRecipients/ValidateCert */
    /* out */
    xmlDocPtr resp;  /* response document (encoded by the caller), or NULL */
    const char *raw; /* or a raw body (GetAttachment), with its length and type */
    apr_size_t raw_len;
    const char *raw_type;
    apr_array_header_t *parts; /* multipart ItemOperations: eas_part, part 0 is the WBXML */
    int http_status;           /* 0 = 200 */
    const char *note;          /* a phrase for the request log line */
    const char *warning;       /* trouble worth a log line (ERR) though the answer is sent */
    int retry_after;           /* with http_status 503: ask the device to come back later */
    int client_gone;           /* the client hung up while held: nothing to send */
    const char *error;         /* set with a -1 return: internal failure, logged, HTTP 500 */
} eas_cmd_ctx;

typedef int eas_cmd_fn(eas_cmd_ctx *ctx);

/* One binary part of a multipart response (MS-ASCMD 2.2.2.10.1). */
typedef struct eas_part {
    const char *data;
    apr_size_t len;
} eas_part;

/* Adds a part; returns its index for the Part element (1-based: 0 is the WBXML). */
int eas_cmd_add_part(eas_cmd_ctx *ctx, const char *data, apr_size_t len);

/* Commands implemented so far. */
int eas_cmd_provision(eas_cmd_ctx *ctx);
int eas_cmd_settings(eas_cmd_ctx *ctx);
int eas_cmd_foldersync(eas_cmd_ctx *ctx);
int eas_cmd_foldercreate(eas_cmd_ctx *ctx);
int eas_cmd_folderupdate(eas_cmd_ctx *ctx);
int eas_cmd_folderdelete(eas_cmd_ctx *ctx);
int eas_cmd_sync(eas_cmd_ctx *ctx);
int eas_cmd_getitemestimate(eas_cmd_ctx *ctx);
int eas_cmd_moveitems(eas_cmd_ctx *ctx);
int eas_cmd_itemoperations(eas_cmd_ctx *ctx);
int eas_cmd_getattachment(eas_cmd_ctx *ctx);
int eas_cmd_ping(eas_cmd_ctx *ctx);
int eas_cmd_sendmail(eas_cmd_ctx *ctx);
int eas_cmd_smartreply(eas_cmd_ctx *ctx);
int eas_cmd_smartforward(eas_cmd_ctx *ctx);
int eas_cmd_meetingresponse(eas_cmd_ctx *ctx);
int eas_cmd_search(eas_cmd_ctx *ctx);
int eas_cmd_find(eas_cmd_ctx *ctx);
int eas_cmd_resolverecipients(eas_cmd_ctx *ctx);
int eas_cmd_validatecert(eas_cmd_ctx *ctx);

#endif
