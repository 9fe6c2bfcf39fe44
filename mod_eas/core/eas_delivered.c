/* eas_delivered.c — post-delivery hooks (see eas_delivered.h). */
#include <apr_strings.h>

#include "eas_delivered.h"

#define MAX_DEPTH 3 /* an auto-reply to an auto-reply to ...: RFC 3834 says never; be sure */

const char *eas_delivered_hooks(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                                const eas_delivered *d)
{
    const char *err = NULL, *warn = NULL;

    if (d->depth > MAX_DEPTH) {
        return NULL;
    }
    if (eas_meeting_on_delivery(c, p, conf, d, &err) != 0) {
        warn = apr_psprintf(p, "meeting processing for %s failed: %s", d->user,
                            err ? err : "unknown error");
    }
    /* a failed hook may leave the connection inside an aborted transaction */
    if (PQtransactionStatus(c) == PQTRANS_INERROR || PQtransactionStatus(c) == PQTRANS_INTRANS) {
        PQclear(PQexec(c, "ROLLBACK"));
    }
    err = NULL;
    if (eas_oof_on_delivery(c, p, conf, d, &err) != 0) {
        const char *w = apr_psprintf(p, "out-of-office reply for %s failed: %s", d->user,
                                     err ? err : "unknown error");
        warn = warn ? apr_pstrcat(p, warn, "; ", w, NULL) : w;
    }
    if (PQtransactionStatus(c) == PQTRANS_INERROR || PQtransactionStatus(c) == PQTRANS_INTRANS) {
        PQclear(PQexec(c, "ROLLBACK"));
    }
    return warn;
}
