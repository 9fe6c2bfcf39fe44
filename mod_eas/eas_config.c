/* eas_config.c — directive parsing, validation and merging (see eas_config.h). */
#include <stdlib.h>
#include <string.h>

#include "apr_file_io.h"
#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "eas_cmd.h"
#include "eas_config.h"
#include "eas_query.h"
#include "eas_smtp.h"
#include "eas_submit.h"

APLOG_USE_MODULE(eas);
extern module AP_MODULE_DECLARE_DATA eas_module;

#define DEF_POOL_MIN         0
#define DEF_POOL_KEEP        4
#define DEF_POOL_MAX         16
#define DEF_POOL_TIMEOUT     5
#define DEF_POOL_TTL         300
#define DEF_RETRY_AFTER      30
#define DEF_MAX_REQUEST_SIZE ((apr_off_t)32 * 1024 * 1024)
#define DEF_HB_MIN           60   /* Exchange and IceWarp */
#define DEF_HB_MAX           1800 /* below common proxy/NAT idle timeouts; KB905013 */
#define DEF_PING_MAX_FOLDERS 200
#define DEF_PING_MAX_HELD    80 /* percent of ThreadsPerChild: the rest stays for Sync & co. */
#define DEF_PING_SAFETY      600

#define MERGE(base, add, field, unset) ((add)->field != (unset) ? (add)->field : (base)->field)

void *eas_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    eas_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    c->db_conninfo = NULL;
    c->pool_min = c->pool_keep = c->pool_max = -1;
    c->pool_timeout = c->pool_ttl = c->retry_after = -1;
    c->wipe_notify_user = -1;
    c->hb_min = c->hb_max = c->ping_max_folders = c->ping_max_held = -1;
    c->ping_max_held_pct = c->ping_safety = -1;
    c->smtp_auth_user = c->smtp_verify = c->smtp_timeout = c->oof_interval = -1;
    c->search_max = c->search_timeout = -1;
    return c;
}

void *eas_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    eas_srv_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    c->db_conninfo = MERGE(base, add, db_conninfo, NULL);
    c->pool_min = MERGE(base, add, pool_min, -1);
    c->pool_keep = MERGE(base, add, pool_keep, -1);
    c->pool_max = MERGE(base, add, pool_max, -1);
    c->pool_timeout = MERGE(base, add, pool_timeout, -1);
    c->pool_ttl = MERGE(base, add, pool_ttl, -1);
    c->retry_after = MERGE(base, add, retry_after, -1);
    c->wipe_notify_admin = MERGE(base, add, wipe_notify_admin, NULL);
    c->admin_secret_file = MERGE(base, add, admin_secret_file, NULL);
    c->wipe_notify_user = MERGE(base, add, wipe_notify_user, -1);
    c->hb_min = MERGE(base, add, hb_min, -1);
    c->hb_max = MERGE(base, add, hb_max, -1);
    c->ping_max_folders = MERGE(base, add, ping_max_folders, -1);
    if (add->ping_max_held != -1) {
        c->ping_max_held = add->ping_max_held;
        c->ping_max_held_pct = add->ping_max_held_pct;
    } else {
        c->ping_max_held = base->ping_max_held;
        c->ping_max_held_pct = base->ping_max_held_pct;
    }
    c->ping_safety = MERGE(base, add, ping_safety, -1);
    if (add->smtp_relay_set) {
        c->smtp_relay = add->smtp_relay;
        c->smtp_relay_set = 1;
    } else {
        c->smtp_relay = base->smtp_relay;
        c->smtp_relay_set = base->smtp_relay_set;
    }
    c->smtp_auth_user = MERGE(base, add, smtp_auth_user, -1);
    c->smtp_ca_file = MERGE(base, add, smtp_ca_file, NULL);
    c->smtp_verify = MERGE(base, add, smtp_verify, -1);
    c->smtp_helo = MERGE(base, add, smtp_helo, NULL);
    c->smtp_timeout = MERGE(base, add, smtp_timeout, -1);
    c->mail_domain = MERGE(base, add, mail_domain, NULL);
    c->oof_interval = MERGE(base, add, oof_interval, -1);
    c->notice_from = MERGE(base, add, notice_from, NULL);
    c->search_max = MERGE(base, add, search_max, -1);
    c->search_timeout = MERGE(base, add, search_timeout, -1);
    c->gal_folders = MERGE(base, add, gal_folders, NULL);
    c->cert_ca_file = MERGE(base, add, cert_ca_file, NULL);
    c->cert_ca_path = MERGE(base, add, cert_ca_path, NULL);
    c->cert_crl_file = MERGE(base, add, cert_crl_file, NULL);
    return c;
}

void *eas_create_dir_conf(apr_pool_t *p, char *dir)
{
    eas_dir_conf *c = apr_pcalloc(p, sizeof(*c));
    c->max_request_size = -1;
    c->protocol_versions = NULL;
    return c;
}

void *eas_merge_dir_conf(apr_pool_t *p, void *basev, void *addv)
{
    eas_dir_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    c->max_request_size = MERGE(base, add, max_request_size, -1);
    c->protocol_versions = MERGE(base, add, protocol_versions, NULL);
    return c;
}

eas_srv_conf *eas_srv_config(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &eas_module);
}

eas_dir_conf *eas_dir_config(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &eas_module);
}

/* --- parsing helpers ------------------------------------------------------------------- */

static const char *parse_int(cmd_parms *cmd, const char *arg, int min, int max, int *out)
{
    char *end;
    long v = strtol(arg, &end, 10);

    if (!*arg || *end || v < min || v > max) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a whole number from %d to %d",
                            cmd->cmd->name, arg, min, max);
    }
    *out = (int)v;
    return NULL;
}

/* "1048576", "512K", "32M", "1G" */
static const char *parse_size(cmd_parms *cmd, const char *arg, apr_off_t *out)
{
    char *end;
    apr_int64_t v = apr_strtoi64(arg, &end, 10), mult = 1;

    if (end != arg && *end && !end[1]) {
        switch (*end) {
        case 'k':
        case 'K':
            mult = 1024;
            break;
        case 'm':
        case 'M':
            mult = 1024 * 1024;
            break;
        case 'g':
        case 'G':
            mult = 1024 * 1024 * 1024;
            break;
        default:
            mult = 0;
        }
        if (mult) {
            ++end;
        }
    }
    if (!*arg || *end || v < 1 || mult == 0 || v > APR_INT64_C(1) << 40) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a size (bytes, or with a K, M or G suffix)",
                            cmd->cmd->name, arg);
    }
    *out = (apr_off_t)(v * mult);
    return NULL;
}

#define SRV_CONF(cmd)                                                                              \
    ((eas_srv_conf *)ap_get_module_config((cmd)->server->module_config, &eas_module))

static const char *set_database(cmd_parms *cmd, void *dc, const char *arg)
{
    char *err = eas_db_check_conninfo(arg);
    if (err) {
        const char *msg =
            apr_psprintf(cmd->pool, "EASDatabase: invalid connection string: %s", err);
        free(err);
        return msg;
    }
    SRV_CONF(cmd)->db_conninfo = arg;
    return NULL;
}

static const char *set_pool_int(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    int which = (int)(long)cmd->info;
    int *field;
    int min = 0, max = 1024;

    switch (which) {
    case 0:
        field = &c->pool_min;
        break;
    case 1:
        field = &c->pool_keep;
        break;
    case 2:
        field = &c->pool_max;
        min = 1;
        break;
    case 3:
        field = &c->pool_timeout;
        min = 1;
        max = 300;
        break;
    case 4:
        field = &c->pool_ttl;
        min = 1;
        max = 86400;
        break;
    default:
        field = &c->retry_after;
        min = 1;
        max = 86400;
        break;
    }
    return parse_int(cmd, arg, min, max, field);
}

static const char *set_push_int(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    switch ((int)(long)cmd->info) {
    case 0:
        return parse_int(cmd, arg, 1, 86400, &c->hb_min);
    case 1:
        return parse_int(cmd, arg, 1, 86400, &c->hb_max);
    case 2:
        return parse_int(cmd, arg, 1, 10000, &c->ping_max_folders);
    default:
        return parse_int(cmd, arg, 10, 86400, &c->ping_safety);
    }
}

/* "N" held Pings per child, or "P%" of ThreadsPerChild */
static const char *set_ping_max_held(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    apr_size_t n = strlen(arg);
    if (n > 1 && arg[n - 1] == '%') {
        c->ping_max_held_pct = 1;
        return parse_int(cmd, apr_pstrndup(cmd->pool, arg, n - 1), 1, 100, &c->ping_max_held);
    }
    c->ping_max_held_pct = 0;
    return parse_int(cmd, arg, 1, 1000000, &c->ping_max_held);
}

static const char *set_admin_secret(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = eas_srv_config(cmd->server);
    c->admin_secret_file = ap_server_root_relative(cmd->pool, arg);
    if (!c->admin_secret_file) {
        return apr_pstrcat(cmd->pool, "EASAdminSecret: bad path ", arg, NULL);
    }
    return NULL;
}

#define ADMIN_SECRET_MIN 16
#define ADMIN_SECRET_MAX 4096

const char *eas_config_admin_secrets(apr_pool_t *p, server_rec *s)
{
    unsigned char *random = NULL;
    for (; s; s = s->next) {
        eas_srv_conf *c = eas_srv_config(s);
        if (c->admin_secret_file) {
            apr_file_t *f;
            apr_finfo_t fi;
            apr_size_t n;
            if (apr_file_open(&f, c->admin_secret_file, APR_READ, 0, p) != APR_SUCCESS ||
                apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
                return apr_pstrcat(p, "EASAdminSecret: cannot read ", c->admin_secret_file, NULL);
            }
            if (fi.size < ADMIN_SECRET_MIN || fi.size > ADMIN_SECRET_MAX) {
                apr_file_close(f);
                return apr_psprintf(p, "EASAdminSecret: %s must hold %d to %d bytes",
                                    c->admin_secret_file, ADMIN_SECRET_MIN, ADMIN_SECRET_MAX);
            }
            n = (apr_size_t)fi.size;
            c->admin_secret = apr_palloc(p, n);
            if (apr_file_read_full(f, c->admin_secret, n, &n) != APR_SUCCESS) {
                apr_file_close(f);
                return apr_pstrcat(p, "EASAdminSecret: cannot read ", c->admin_secret_file, NULL);
            }
            apr_file_close(f);
            c->admin_secret_len = n;
            continue;
        }
        if (!random) {
            random = apr_palloc(p, 32);
            if (apr_generate_random_bytes(random, 32) != APR_SUCCESS) {
                return "cannot draw a random console key";
            }
        }
        c->admin_secret = random;
        c->admin_secret_len = 32;
    }
    return NULL;
}

static const char *set_wipe_notify_admin(cmd_parms *cmd, void *dc, const char *arg)
{
    const char *at = strchr(arg, '@');
    if (!at || at == arg || !at[1] || strchr(at + 1, '@') || strpbrk(arg, " \t<>,;\"")) {
        return apr_psprintf(cmd->pool, "EASWipeNotifyAdmin: '%s' is not an e-mail address", arg);
    }
    SRV_CONF(cmd)->wipe_notify_admin = arg;
    return NULL;
}

static const char *set_wipe_notify_user(cmd_parms *cmd, void *dc, int flag)
{
    SRV_CONF(cmd)->wipe_notify_user = flag;
    return NULL;
}

static const char *set_smtp_relay(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_smtp_url u;
    const char *err;
    SRV_CONF(cmd)->smtp_relay_set = 1;
    if (!strcasecmp(arg, "none")) {
        SRV_CONF(cmd)->smtp_relay = NULL;
        return NULL;
    }
    if ((err = eas_smtp_parse_url(cmd->pool, arg, &u)) != NULL) {
        return apr_psprintf(cmd->pool, "EASSMTPRelay: %s", err);
    }
    SRV_CONF(cmd)->smtp_relay = arg;
    return NULL;
}

static const char *set_smtp_auth(cmd_parms *cmd, void *dc, const char *arg)
{
    if (!strcasecmp(arg, "user")) {
        SRV_CONF(cmd)->smtp_auth_user = 1;
    } else if (!strcasecmp(arg, "none")) {
        SRV_CONF(cmd)->smtp_auth_user = 0;
    } else {
        return "EASSMTPAuth: None or User";
    }
    return NULL;
}

static const char *set_srv_flag(cmd_parms *cmd, void *dc, int flag)
{
    SRV_CONF(cmd)->smtp_verify = flag;
    return NULL;
}

static const char *set_file(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    int which = (int)(long)cmd->info;
    const char *path = ap_server_root_relative(cmd->pool, arg);
    apr_finfo_t fi;
    if (!path || apr_stat(&fi, path, APR_FINFO_TYPE, cmd->pool) != APR_SUCCESS ||
        (which == 2 ? fi.filetype != APR_DIR : fi.filetype != APR_REG)) {
        return apr_psprintf(cmd->pool, "%s: %s is not a readable %s", cmd->cmd->name, arg,
                            which == 2 ? "directory" : "file");
    }
    switch (which) {
    case 0:
        c->smtp_ca_file = path;
        break;
    case 1:
        c->cert_ca_file = path;
        break;
    case 2:
        c->cert_ca_path = path;
        break;
    default:
        c->cert_crl_file = path;
        break;
    }
    return NULL;
}

static const char *check_address(cmd_parms *cmd, const char *arg)
{
    const char *at = strchr(arg, '@');
    if (!at || at == arg || !at[1] || strchr(at + 1, '@') || strpbrk(arg, " \t<>,;\"")) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not an e-mail address", cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_mail_str(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    switch ((int)(long)cmd->info) {
    case 0: /* EASMailDomain */
        if (!*arg || strpbrk(arg, "@ \t<>,;\"/")) {
            return apr_psprintf(cmd->pool, "EASMailDomain: '%s' is not a domain name", arg);
        }
        c->mail_domain = arg;
        return NULL;
    case 1: /* EASSMTPHelo */
        if (!*arg || strpbrk(arg, " \t\r\n<>")) {
            return apr_psprintf(cmd->pool, "EASSMTPHelo: '%s' is not a host name", arg);
        }
        c->smtp_helo = arg;
        return NULL;
    default: /* EASNoticeFrom */
        c->notice_from = arg;
        return check_address(cmd, arg);
    }
}

static const char *set_mail_int(cmd_parms *cmd, void *dc, const char *arg)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    switch ((int)(long)cmd->info) {
    case 0:
        return parse_int(cmd, arg, 1, 600, &c->smtp_timeout);
    case 1:
        return parse_int(cmd, arg, 60, 365 * 86400, &c->oof_interval);
    case 2:
        return parse_int(cmd, arg, 1, 1000, &c->search_max);
    default:
        return parse_int(cmd, arg, 1, 300, &c->search_timeout);
    }
}

/* EASGALContacts account folder: that account's contact folder is part of everyone's GAL */
static const char *set_gal_contacts(cmd_parms *cmd, void *dc, const char *user, const char *folder)
{
    eas_srv_conf *c = SRV_CONF(cmd);
    if (!*user || !*folder || strchr(user, '\t') || strchr(folder, '\t')) {
        return "EASGALContacts: give an account name and a contacts folder";
    }
    if (!c->gal_folders) {
        c->gal_folders = apr_array_make(cmd->pool, 2, sizeof(const char *));
    }
    APR_ARRAY_PUSH(c->gal_folders, const char *) = apr_pstrcat(cmd->pool, user, "\t", folder, NULL);
    return NULL;
}

static const char *set_max_request_size(cmd_parms *cmd, void *dc, const char *arg)
{
    return parse_size(cmd, arg, &((eas_dir_conf *)dc)->max_request_size);
}

static const char *set_protocol_versions(cmd_parms *cmd, void *dc, const char *arg)
{
    char *list = apr_pstrdup(cmd->pool, arg), *tok, *state;
    const char *out = NULL;

    for (tok = apr_strtok(list, ", \t", &state); tok; tok = apr_strtok(NULL, ", \t", &state)) {
        char needle[8];
        if (!eas_protocol_version_known(tok)) {
            return apr_psprintf(cmd->pool,
                                "EASProtocolVersions: '%s' is not an ActiveSync "
                                "protocol version",
                                tok);
        }
        apr_snprintf(needle, sizeof(needle), ",%s,", tok);
        if (!strstr("," EAS_IMPLEMENTED_VERSIONS ",", needle)) {
            return apr_psprintf(cmd->pool,
                                "EASProtocolVersions: %s is not supported by this "
                                "build (supported: " EAS_IMPLEMENTED_VERSIONS ")",
                                tok);
        }
        out = out ? apr_pstrcat(cmd->pool, out, ",", tok, NULL) : tok;
    }
    if (!out) {
        return "EASProtocolVersions: give at least one version";
    }
    ((eas_dir_conf *)dc)->protocol_versions = out;
    return NULL;
}

const command_rec eas_cmds[] = {
    AP_INIT_TAKE1("EASDatabase", set_database, NULL, RSRC_CONF,
                  "libpq connection string of the mod_eas database"),
    AP_INIT_TAKE1("EASDBPoolMin", set_pool_int, (void *)0, RSRC_CONF,
                  "database connections each child opens eagerly (default 0)"),
    AP_INIT_TAKE1("EASDBPoolKeep", set_pool_int, (void *)1, RSRC_CONF,
                  "idle database connections each child keeps (default 4)"),
    AP_INIT_TAKE1("EASDBPoolMax", set_pool_int, (void *)2, RSRC_CONF,
                  "maximum database connections per child (default 16)"),
    AP_INIT_TAKE1("EASDBPoolTimeout", set_pool_int, (void *)3, RSRC_CONF,
                  "seconds a request waits for a free database connection (default 5)"),
    AP_INIT_TAKE1("EASDBPoolTTL", set_pool_int, (void *)4, RSRC_CONF,
                  "seconds an idle database connection is kept (default 300)"),
    AP_INIT_TAKE1(
        "EASRetryAfter", set_pool_int, (void *)5, RSRC_CONF,
        "Retry-After seconds sent with 503 when the database is unavailable (default 30)"),
    AP_INIT_TAKE1("EASAdminSecret", set_admin_secret, NULL, RSRC_CONF,
                  "File with the console's CSRF key (16-4096 bytes; shared by front ends)"),
    AP_INIT_TAKE1("EASWipeNotifyAdmin", set_wipe_notify_admin, NULL, RSRC_CONF,
                  "address told when a device acknowledges a remote wipe"),
    AP_INIT_FLAG("EASWipeNotifyUser", set_wipe_notify_user, NULL, RSRC_CONF,
                 "tell the user when their device acknowledges a remote wipe (default Off)"),
    AP_INIT_TAKE1("EASHeartbeatMin", set_push_int, (void *)0, RSRC_CONF,
                  "shortest Ping/Sync heartbeat accepted, seconds (default 60)"),
    AP_INIT_TAKE1("EASHeartbeatMax", set_push_int, (void *)1, RSRC_CONF,
                  "longest Ping/Sync heartbeat accepted, seconds (default 1800)"),
    AP_INIT_TAKE1("EASPingMaxFolders", set_push_int, (void *)2, RSRC_CONF,
                  "folders one Ping may watch (default 200)"),
    AP_INIT_TAKE1("EASPingMaxHeld", set_ping_max_held, NULL, RSRC_CONF,
                  "held Pings per child process, N or a percentage of ThreadsPerChild "
                  "(default 80%)"),
    AP_INIT_TAKE1("EASPingSafetyCheck", set_push_int, (void *)3, RSRC_CONF,
                  "seconds between safety re-checks of a held Ping (default 600)"),
    AP_INIT_TAKE1("EASSMTPRelay", set_smtp_relay, NULL, RSRC_CONF,
                  "relay for outgoing mail: smtp://host[:25], smtps://host[:465], "
                  "submission://host[:587] (STARTTLS) or None (local recipients only; default)"),
    AP_INIT_TAKE1("EASSMTPAuth", set_smtp_auth, NULL, RSRC_CONF,
                  "None, or User: AUTH PLAIN at the relay with the device's own credentials"),
    AP_INIT_TAKE1("EASSMTPTLSCAFile", set_file, (void *)0, RSRC_CONF,
                  "CA certificates (PEM) the relay's certificate is verified against "
                  "(default: the system store)"),
    AP_INIT_FLAG("EASSMTPTLSVerify", set_srv_flag, NULL, RSRC_CONF,
                 "verify the relay's TLS certificate and name (default On)"),
    AP_INIT_TAKE1("EASSMTPHelo", set_mail_str, (void *)1, RSRC_CONF,
                  "name sent in EHLO (default: ServerName)"),
    AP_INIT_TAKE1("EASSMTPTimeout", set_mail_int, (void *)0, RSRC_CONF,
                  "seconds to wait for each SMTP step (default 30)"),
    AP_INIT_TAKE1("EASMailDomain", set_mail_str, (void *)0, RSRC_CONF,
                  "domain of users whose login name is not an address (name@domain)"),
    AP_INIT_TAKE1("EASNoticeFrom", set_mail_str, (void *)2, RSRC_CONF,
                  "From address of server notices (default postmaster@EASMailDomain)"),
    AP_INIT_TAKE1("EASOofReplyInterval", set_mail_int, (void *)1, RSRC_CONF,
                  "seconds before a sender gets another out-of-office reply (default 604800)"),
    AP_INIT_TAKE1("EASSearchMaxResults", set_mail_int, (void *)2, RSRC_CONF,
                  "most results one Search/Find/ResolveRecipients query returns (default 100)"),
    AP_INIT_TAKE1("EASSearchTimeout", set_mail_int, (void *)3, RSRC_CONF,
                  "seconds a Search/Find query may run (default 10)"),
    AP_INIT_TAKE2("EASGALContacts", set_gal_contacts, NULL, RSRC_CONF,
                  "account and contacts folder listed in everyone's Global Address List"),
    AP_INIT_TAKE1("EASCertCAFile", set_file, (void *)1, RSRC_CONF,
                  "trusted CA certificates (PEM) for ValidateCert (default: the system store)"),
    AP_INIT_TAKE1("EASCertCAPath", set_file, (void *)2, RSRC_CONF,
                  "directory of hashed CA certificates for ValidateCert"),
    AP_INIT_TAKE1("EASCertCRLFile", set_file, (void *)3, RSRC_CONF,
                  "certificate revocation lists (PEM) for ValidateCert CheckCRL"),
    AP_INIT_TAKE1("EASMaxRequestSize", set_max_request_size, NULL, RSRC_CONF | ACCESS_CONF,
                  "largest request body accepted, bytes or with K/M/G (default 32M)"),
    AP_INIT_RAW_ARGS("EASProtocolVersions", set_protocol_versions, NULL, RSRC_CONF | ACCESS_CONF,
                     "protocol versions offered to clients (default " EAS_IMPLEMENTED_VERSIONS ")"),
    {NULL},
};

/* --- getters ----------------------------------------------------------------------------- */

#define DEF(v, d) ((v) == -1 ? (d) : (v))

const char *eas_cfg_db(const server_rec *s)
{
    return eas_srv_config(s)->db_conninfo;
}

int eas_cfg_retry_after(const server_rec *s)
{
    return DEF(eas_srv_config(s)->retry_after, DEF_RETRY_AFTER);
}

const char *eas_cfg_wipe_notify_admin(const server_rec *s)
{
    return eas_srv_config(s)->wipe_notify_admin;
}

int eas_cfg_wipe_notify_user(const server_rec *s)
{
    return DEF(eas_srv_config(s)->wipe_notify_user, 0);
}

void eas_cfg_pool_params(const server_rec *s, eas_dbpool_params *params)
{
    const eas_srv_conf *c = eas_srv_config(s);
    params->conninfo = c->db_conninfo;
    params->min = DEF(c->pool_min, DEF_POOL_MIN);
    params->max = DEF(c->pool_max, DEF_POOL_MAX);
    params->keep = DEF(c->pool_keep, params->max < DEF_POOL_KEEP ? params->max : DEF_POOL_KEEP);
    params->acquire_timeout = apr_time_from_sec(DEF(c->pool_timeout, DEF_POOL_TIMEOUT));
    params->ttl = apr_time_from_sec(DEF(c->pool_ttl, DEF_POOL_TTL));
}

void eas_cfg_submit(const server_rec *s, eas_submit_conf *out)
{
    const eas_srv_conf *c = eas_srv_config(s);
    out->relay = c->smtp_relay;
    out->auth_user = DEF(c->smtp_auth_user, 0);
    out->tls_ca_file = c->smtp_ca_file;
    out->tls_verify = DEF(c->smtp_verify, 1);
    out->helo = c->smtp_helo ? c->smtp_helo : s->server_hostname;
    out->timeout = DEF(c->smtp_timeout, 30);
    out->mail_domain = c->mail_domain;
    out->oof_interval = DEF(c->oof_interval, 7 * 86400);
    out->notice_from = c->notice_from;
}

void eas_cfg_lookup(const server_rec *s, eas_lookup_conf *out)
{
    const eas_srv_conf *c = eas_srv_config(s);
    out->search_max = DEF(c->search_max, 100);
    out->search_timeout = DEF(c->search_timeout, 10);
    out->gal_folders = c->gal_folders;
    out->ca_file = c->cert_ca_file;
    out->ca_path = c->cert_ca_path;
    out->crl_file = c->cert_crl_file;
}

void eas_cfg_push(const server_rec *s, eas_push_conf *push)
{
    const eas_srv_conf *c = eas_srv_config(s);
    push->hb_min = DEF(c->hb_min, DEF_HB_MIN);
    push->hb_max = DEF(c->hb_max, DEF_HB_MAX);
    push->max_folders = DEF(c->ping_max_folders, DEF_PING_MAX_FOLDERS);
    push->safety = DEF(c->ping_safety, DEF_PING_SAFETY);
}

int eas_cfg_ping_max_held(const server_rec *s, int threads_per_child)
{
    const eas_srv_conf *c = eas_srv_config(s);
    int n;
    if (c->ping_max_held != -1 && !c->ping_max_held_pct) {
        return c->ping_max_held;
    }
    n = threads_per_child * DEF(c->ping_max_held, DEF_PING_MAX_HELD) / 100;
    return n < 1 ? 1 : n;
}

apr_off_t eas_cfg_max_request_size(const request_rec *r)
{
    apr_off_t v = eas_dir_config(r)->max_request_size;
    return v == -1 ? DEF_MAX_REQUEST_SIZE : v;
}

const char *eas_cfg_protocol_versions(const request_rec *r)
{
    const char *v = eas_dir_config(r)->protocol_versions;
    return v ? v : EAS_IMPLEMENTED_VERSIONS;
}

const char *eas_config_check(apr_pool_t *p, server_rec *s)
{
    for (; s; s = s->next) {
        eas_dbpool_params pp;
        eas_push_conf push;
        eas_cfg_pool_params(s, &pp);
        eas_cfg_push(s, &push);
        if (push.hb_min > push.hb_max) {
            return apr_psprintf(p,
                                "mod_eas: EASHeartbeatMin (%d) is larger than EASHeartbeatMax (%d) "
                                "in server %s:%u",
                                push.hb_min, push.hb_max,
                                s->server_hostname ? s->server_hostname : "?", (unsigned)s->port);
        }
        if (pp.min > pp.keep || pp.keep > pp.max) {
            return apr_psprintf(p,
                                "mod_eas: need EASDBPoolMin (%d) <= EASDBPoolKeep (%d) <= "
                                "EASDBPoolMax (%d) in server %s:%u",
                                pp.min, pp.keep, pp.max,
                                s->server_hostname ? s->server_hostname : "?", (unsigned)s->port);
        }
    }
    return NULL;
}
