/* mod_eas.c — module definition and hooks. Everything with substance lives in the core
 * (mod_eas/core, no httpd) or in the glue files named after their concern. */
#include "apr_hash.h"
#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_mpm.h"
#include "mpm_common.h"

#include "eas_config.h"
#include "eas_console_handler.h"
#include "eas_directory.h"
#include "eas_mime.h"
#include "eas_pim.h"
#include "eas_handler.h"
#include "eas_hub.h"
#include "eas_log.h"

APLOG_USE_MODULE(eas);

/* The server the core logs against; set once in post_config, read-only afterwards. */
static server_rec *log_server;

static void core_log(void *baton, const char *file, int line, int level, const char *msg)
{
    ap_log_error_(file, line, APLOG_MODULE_INDEX, level, 0, log_server, "%s", msg);
}

static int core_log_enabled(void *baton, int level)
{
    return log_server ? APLOG_IS_LEVEL(log_server, level) : 1;
}

static int eas_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    const char *err = eas_config_check(ptemp, s);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_EMERG, 0, NULL, "EAS00001: %s", err);
        return !OK;
    }
    return OK;
}

static int eas_post_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    const char *err;
    log_server = s;
    eas_log_set(core_log, core_log_enabled, NULL);
    if ((err = eas_config_admin_secrets(pconf, s))) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "EAS00001: %s", err);
        return !OK;
    }
    return OK;
}

/* The hubs of this child, for child_stopping; written in child_init only. */
static apr_array_header_t *child_hubs;

/* One notification hub (LISTEN thread) per child and database. */
static eas_hub *hub_for(apr_pool_t *pchild, apr_hash_t *hubs, server_rec *s)
{
    eas_srv_conf *c = eas_srv_config(s);
    eas_hub *hub = apr_hash_get(hubs, c->db_conninfo, APR_HASH_KEY_STRING);
    eas_hub_params hp;
    int threads = 0;
    apr_status_t rv;

    if (hub) {
        return hub;
    }
    ap_mpm_query(AP_MPMQ_MAX_THREADS, &threads);
    hp.conninfo = c->db_conninfo;
    hp.max_waiters = eas_cfg_ping_max_held(s, threads > 0 ? threads : 1);
    rv = eas_hub_create(&hub, &hp, pchild);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                     "EAS00004: cannot start the push listener; Ping answers 503");
        return NULL;
    }
    apr_hash_set(hubs, c->db_conninfo, APR_HASH_KEY_STRING, hub);
    APR_ARRAY_PUSH(child_hubs, eas_hub *) = hub;
    return hub;
}

/* One libpq pool per child and distinct connection string: virtual hosts inheriting the main
 * server's EASDatabase share it. Created from pchild, so its cleanup closes the connections when
 * the child exits, after the MPM has joined the worker threads. */
static void eas_child_init(apr_pool_t *pchild, server_rec *s)
{
    apr_hash_t *pools = apr_hash_make(pchild), *hubs = apr_hash_make(pchild);

    eas_mime_init(); /* GMime's global tables, once, before any worker thread parses */
    eas_pim_init();  /* libical: errors never abort the process */
    child_hubs = apr_array_make(pchild, 2, sizeof(eas_hub *));
    for (; s; s = s->next) {
        eas_srv_conf *c = eas_srv_config(s);
        eas_dbpool_params pp;
        eas_dbpool *pool;
        const char *key;

        if (!c->db_conninfo) {
            continue;
        }
        eas_cfg_pool_params(s, &pp);
        key = apr_psprintf(pchild, "%s|%d|%d|%d|%" APR_TIME_T_FMT "|%" APR_TIME_T_FMT, pp.conninfo,
                           pp.min, pp.keep, pp.max, pp.acquire_timeout, pp.ttl);
        pool = apr_hash_get(pools, key, APR_HASH_KEY_STRING);
        if (!pool) {
            apr_status_t rv = eas_dbpool_create(&pool, &pp, pchild);
            if (rv != APR_SUCCESS) {
                ap_log_error(APLOG_MARK, APLOG_CRIT, rv, s,
                             "EAS00002: cannot create the database pool");
                continue;
            }
            apr_hash_set(pools, key, APR_HASH_KEY_STRING, pool);
        }
        c->dbpool = pool;
        c->hub = hub_for(pchild, hubs, s);
    }
}

/* Graceful restart or stop: every held Ping answers now, so the threads are free to exit and the
 * devices re-Ping the new generation at once. */
static void eas_child_stopping(apr_pool_t *pchild, int graceful)
{
    int i;
    for (i = 0; child_hubs && i < child_hubs->nelts; ++i) {
        eas_hub_stop(APR_ARRAY_IDX(child_hubs, i, eas_hub *));
    }
}

static void eas_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(eas_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(eas_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(eas_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_stopping(eas_child_stopping, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(eas_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(eas_console_handler, NULL, NULL, APR_HOOK_MIDDLE);
    eas_directory_register();
}

/* default visibility: the build hides everything else (-fvisibility=hidden + version script) */
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA eas_module = {
    STANDARD20_MODULE_STUFF,     eas_create_dir_conf, eas_merge_dir_conf,
    eas_create_srv_conf,         eas_merge_srv_conf,  eas_cmds,
    eas_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_ALWAYS_MERGE,
#endif
};
