/* eas_submit.c — placeholder until the submission work lands. */
#include <string.h>

#include "eas_submit.h"

int eas_submit(PGconn *c, apr_pool_t *p, const eas_submit_conf *conf, const eas_submit_req *req,
               eas_submit_result *res, const char **err)
{
    memset(res, 0, sizeof(*res));
    res->status = EAS_SUBMIT_SUBMISSION_FAILED;
    res->detail = "mail submission is not implemented yet";
    return 0;
}
