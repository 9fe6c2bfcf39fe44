/* eas_meeting.c — placeholder until the meeting work lands. */
#include "eas_meeting.h"

int eas_meeting_on_delivery(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                            const eas_delivered *d, const char **err)
{
    return 0;
}
