/* eas_push.h — what Ping and Sync-with-Wait share: watched folders and their change positions,
 * the per-device hold (a newer request ends the held one, across processes and servers), and
 * sleeping in the hub without holding a database connection.
 *
 * A folder "has changes" for a device when a Sync with the device's current key would send
 * something: the same diff the Sync computes, asked for one item. Before that (expensive) diff
 * a cheap test compares the folder's highest modseq with the position at which the device was
 * last known to have nothing new, so a wake-up by a write the device itself made, or by a change
 * it already fetched, costs one query and never gives a false "changes". */
#ifndef EAS_PUSH_H
#define EAS_PUSH_H

#include "eas_cmd.h"
#include "eas_hub.h"

typedef struct eas_watch {
    int n;
    const char **ids;       /* folder ServerIds as the device sent them */
    apr_int64_t *fids;      /* the same as numbers, for the hub */
    apr_int64_t *base;      /* folder modseq at which the device had nothing new, -1 unknown */
    unsigned char *changed; /* per folder: look at it (in), it has changes (out) */
} eas_watch;

/* The folders with these ServerIds (const char *), nothing known about them yet. */
eas_watch *eas_watch_make(apr_pool_t *p, const apr_array_header_t *ids);

typedef enum {
    EAS_PUSH_QUIET = 0, /* nothing new in the folders looked at */
    EAS_PUSH_CHANGES,   /* w->changed says where */
    EAS_PUSH_GONE,      /* a watched folder no longer exists: hierarchy sync required */
} eas_push_result;

/* Looks at the folders flagged in w->changed, or at all of them when all != 0. Runs in its own
 * short transactions on ctx->db and a scratch pool. -1 with ctx->error on database errors. */
int eas_push_check(eas_cmd_ctx *ctx, eas_watch *w, int all, eas_push_result *res);

/* Whether the device has done a FolderSync and its folder list is current. */
int eas_push_hierarchy_current(eas_cmd_ctx *ctx, int *current);

/* A request of this device starts (sql/005 eas_hold_begin): ends whatever it had held before.
 * waiting: this one is going to be held; heartbeat/folders (NULL: keep) are remembered as the
 * device's Ping parameters. *seq: this request's hold number. */
int eas_push_hold(eas_cmd_ctx *ctx, int waiting, const char *heartbeat, const char *folders,
                  apr_int64_t *seq);

/* A held request answered (not superseded): the device holds nothing now. */
int eas_push_unhold(eas_cmd_ctx *ctx, apr_int64_t seq);

/* Returns the connection to the pool, sleeps until an event or `until`, and returns the
 * EAS_WAKE_* bits; ctx->db is NULL afterwards until eas_push_reconnect. */
unsigned eas_push_sleep(eas_cmd_ctx *ctx, eas_waiter *w, apr_time_t until, unsigned char *changed);

/* Takes a pooled connection again; -1 (ctx->error set) when the database is unavailable. */
int eas_push_reconnect(eas_cmd_ctx *ctx);

/* Joins the hub for the watched folders; EAS_JOIN_* (EAS_JOIN_STOPPING also without a hub). */
eas_join_result eas_push_join(eas_cmd_ctx *ctx, const eas_watch *w, eas_waiter **out);

#endif
