/* mod_autodiscover.c — Autodiscover for mod_eas (MS-ASCMD Autodiscover, Outlook, v2 JSON,
 * Thunderbird autoconfig).
 *
 * This build only registers the module and its handler name so that configurations can already
 * load it; the endpoints themselves are not implemented yet and answer 501 with a log line. */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"

APLOG_USE_MODULE(autodiscover);

static int autodiscover_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, "eas-autodiscover") != 0) {
        return DECLINED;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                  "EAS09001: autodiscover is not implemented in this build");
    return HTTP_NOT_IMPLEMENTED;
}

static void autodiscover_register_hooks(apr_pool_t *p)
{
    ap_hook_handler(autodiscover_handler, NULL, NULL, APR_HOOK_MIDDLE);
}

/* default visibility: the build hides everything else (-fvisibility=hidden + version script) */
__attribute__((visibility("default"))) module AP_MODULE_DECLARE_DATA autodiscover_module = {
    STANDARD20_MODULE_STUFF, NULL, NULL, NULL, NULL, NULL, autodiscover_register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE,
#endif
};
