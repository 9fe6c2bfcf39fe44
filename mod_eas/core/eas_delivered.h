/* eas_delivered.h — what happens after a message landed in a local user's Inbox (delivered by
 * eas-deliver or by the local leg of eas_submit): meeting requests reach the calendar, iTIP
 * replies update the organizer's event, out-of-office replies go out. Runs after the delivery
 * committed; a failure here never undoes the delivery, it comes back as a warning to log. */
#ifndef EAS_DELIVERED_H
#define EAS_DELIVERED_H

#include <apr_pools.h>
#include <libpq-fe.h>

struct eas_submit_conf;

typedef struct eas_delivered {
    const char *user;      /* users.name of the recipient */
    const char *user_id;   /* users.id */
    const char *folder_id; /* where it was stored (the Inbox) */
    long long uid;         /* its uid there */
    const char *mime;      /* the stored bytes */
    apr_size_t len;
    int depth; /* 0 for mail from outside; >0 when produced by a hook (loop guard) */
} eas_delivered;

/* Runs every hook (meeting, then out-of-office). conf may have no relay: replies to local
 * senders are then delivered in-database, others skipped. Returns NULL, or a warning. */
const char *eas_delivered_hooks(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                                const eas_delivered *d);

/* The hooks themselves (eas_meeting.c, eas_oof.c): 0, or -1 with *err. */
int eas_meeting_on_delivery(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                            const eas_delivered *d, const char **err);
int eas_oof_on_delivery(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                        const eas_delivered *d, const char **err);

#endif
