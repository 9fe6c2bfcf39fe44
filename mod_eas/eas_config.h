/* eas_config.h — mod_eas directives: server scope (database, pool) and directory scope (request
 * limits, protocol versions). Values default to "unset" (-1 / NULL) and merge with one macro, as in
 * mod_h2; code reads them through the getters, never from the structs. */
#ifndef EAS_CONFIG_H
#define EAS_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "eas_db.h"

struct eas_hub;
struct eas_push_conf;

/* Versions this build implements; EASProtocolVersions may only narrow this list. */
#define EAS_IMPLEMENTED_VERSIONS "12.0,12.1,14.0,14.1,16.0,16.1"
#define EAS_SERVER_VERSION       "16.1"

typedef struct eas_srv_conf {
    const char *db_conninfo;
    int pool_min;
    int pool_keep;
    int pool_max;
    int pool_timeout; /* seconds */
    int pool_ttl;     /* seconds */
    int retry_after;  /* seconds, for 503 */
    const char *wipe_notify_admin;
    int wipe_notify_user; /* -1 unset, 0/1 */
    int hb_min, hb_max;   /* seconds */
    int ping_max_folders;
    int ping_max_held;     /* per child; with ping_max_held_pct: percent of ThreadsPerChild */
    int ping_max_held_pct; /* -1 unset, 0/1 */
    int ping_safety;       /* seconds */
    /* the mail path (eas_submit.h) and the lookups (eas_cmd.h), -1/NULL unset */
    const char *smtp_relay;
    int smtp_relay_set; /* EASSMTPRelay None counts as set */
    int smtp_auth_user;
    const char *smtp_ca_file;
    int smtp_verify;
    const char *smtp_helo;
    int smtp_timeout;
    const char *mail_domain;
    int oof_interval;
    const char *notice_from;
    int search_max, search_timeout;
    apr_array_header_t *gal_folders;
    const char *cert_ca_file, *cert_ca_path, *cert_crl_file;
    const char *admin_secret_file; /* EASAdminSecret */
    unsigned char *admin_secret;   /* console CSRF key: the file's bytes or random (post_config) */
    apr_size_t admin_secret_len;
    eas_dbpool *dbpool;  /* per child, set in child_init */
    struct eas_hub *hub; /* per child, set in child_init */
} eas_srv_conf;

typedef struct eas_dir_conf {
    apr_off_t max_request_size;
    const char *protocol_versions; /* normalised comma list */
} eas_dir_conf;

extern const command_rec eas_cmds[];

void *eas_create_srv_conf(apr_pool_t *p, server_rec *s);
void *eas_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);
void *eas_create_dir_conf(apr_pool_t *p, char *dir);
void *eas_merge_dir_conf(apr_pool_t *p, void *basev, void *addv);

eas_srv_conf *eas_srv_config(const server_rec *s);
eas_dir_conf *eas_dir_config(const request_rec *r);

/* Loads EASAdminSecret files, or one random key shared by every server without one (in the
 * parent, before any child). NULL when fine. */
const char *eas_config_admin_secrets(apr_pool_t *p, server_rec *s);

/* Cross-directive checks, run at configtest and start-up; NULL when fine. */
const char *eas_config_check(apr_pool_t *p, server_rec *s);

/* Getters applying the defaults. */
const char *eas_cfg_db(const server_rec *s);
int eas_cfg_retry_after(const server_rec *s);
const char *eas_cfg_wipe_notify_admin(const server_rec *s);
int eas_cfg_wipe_notify_user(const server_rec *s);
void eas_cfg_pool_params(const server_rec *s, eas_dbpool_params *params);
/* Mail path and lookup settings for commands (eas_cmd_ctx.submit/.lookup), defaults applied. */
struct eas_submit_conf;
struct eas_lookup_conf;
void eas_cfg_submit(const server_rec *s, struct eas_submit_conf *out);
void eas_cfg_lookup(const server_rec *s, struct eas_lookup_conf *out);
/* Push settings for commands (eas_cmd_ctx.push). */
void eas_cfg_push(const server_rec *s, struct eas_push_conf *push);
/* Held Pings allowed per child, given the MPM's threads per child. */
int eas_cfg_ping_max_held(const server_rec *s, int threads_per_child);
apr_off_t eas_cfg_max_request_size(const request_rec *r);
const char *eas_cfg_protocol_versions(const request_rec *r);

#endif
