/* eas_oof.c — placeholder until the out-of-office work lands. */
#include "eas_oof.h"

int eas_oof_on_delivery(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                        const eas_delivered *d, const char **err)
{
    return 0;
}
