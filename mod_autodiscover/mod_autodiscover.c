/* mod_autodiscover.c — module definition and hooks of mod_autodiscover: a user types only an
 * e-mail address and a password (docs/autodiscover.md). The endpoints live in eas_ad_handler.c,
 * the directives in eas_ad_config.c, the formats in the core (eas_autod.h). */
#include <libxml/parser.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

#include "eas_ad_config.h"
#include "eas_ad_handler.h"

APLOG_USE_MODULE(autodiscover);

static int ad_check_config(apr_pool_t *pconf, apr_pool_t *plog, apr_pool_t *ptemp, server_rec *s)
{
    const char *err = eas_ad_config_check(ptemp, s);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_EMERG, 0, s, "EAS09013: %s", err);
        return !OK;
    }
    return OK;
}

/* libxml2's global state, once, before the worker threads parse requests. */
static void ad_child_init(apr_pool_t *pchild, server_rec *s)
{
    xmlInitParser();
}

static void ad_register_hooks(apr_pool_t *p)
{
    ap_hook_check_config(ad_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ad_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_optional_fn_retrieve(eas_ad_retrieve_optional, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(eas_ad_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

/* default visibility: the build hides everything else (-fvisibility=hidden + version script) */
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA autodiscover_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, eas_ad_create_srv_conf, eas_ad_merge_srv_conf, eas_ad_cmds,
    ad_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE,
#endif
};
