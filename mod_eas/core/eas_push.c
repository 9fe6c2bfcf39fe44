/* eas_push.c — change positions, holds and sleeping for held requests (see eas_push.h). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_email.h"
#include "eas_push.h"
#include "eas_store.h"
#include "eas_syncstate.h"

eas_watch *eas_watch_make(apr_pool_t *p, const apr_array_header_t *ids)
{
    eas_watch *w = apr_pcalloc(p, sizeof(*w));
    apr_size_t k = (apr_size_t)(ids->nelts > 0 ? ids->nelts : 1);
    int i;
    w->n = ids->nelts;
    w->ids = apr_pcalloc(p, sizeof(*w->ids) * k);
    w->fids = apr_pcalloc(p, sizeof(*w->fids) * k);
    w->base = apr_palloc(p, sizeof(*w->base) * k);
    w->changed = apr_pcalloc(p, k);
    for (i = 0; i < w->n; ++i) {
        w->ids[i] = APR_ARRAY_IDX(ids, i, const char *);
        w->fids[i] = apr_atoi64(w->ids[i]); /* a non-numeric id matches no notification */
        w->base[i] = -1;
    }
    return w;
}

static int rollback(PGconn *db, apr_pool_t *p)
{
    const char *ignored;
    return PQtransactionStatus(db) == PQTRANS_IDLE ? 0 : eas_db_cmd(db, p, &ignored, "ROLLBACK");
}

/* Would a Sync with the device's current key send anything for f? Computed in a transaction
 * that is rolled back: the pending changes of the current key count as received (the device
 * presents that key next), exactly as GetItemEstimate does. */
static int folder_has_changes(eas_cmd_ctx *ctx, apr_pool_t *p, eas_store *s, const eas_folder *f,
                              int *has)
{
    eas_sync_state st;
    eas_sync_view v;
    apr_array_header_t *ch = NULL;
    const char *err = NULL;
    int more = 0;

    *has = 0;
    if (eas_db_cmd(ctx->db, p, &err, "BEGIN") != 0 ||
        eas_sync_load(ctx->db, p, ctx->dev.device_pk, f->id, &st, &err) != 0) {
        goto fail;
    }
    /* never synced: watched from now on (the caller records the position) */
    if (st.exists && (st.pending[0] || st.seen_modseq != f->modseq)) {
        if (st.pending[0] &&
            eas_sync_apply_pending(ctx->db, p, ctx->dev.device_pk, f->id, st.pending, &err) != 0) {
            goto fail;
        }
        v.device_pk = ctx->dev.device_pk;
        v.since = eas_filter_since(st.filter_type, apr_time_now());
        v.checked_modseq = st.checked_modseq;
        v.added_modseq = st.added_modseq;
        v.complete = v.adds_complete = 0;
        if (s->provider->changes(s, f, &v, 1, &ch, &more) != 0) {
            err = s->error;
            goto fail;
        }
        *has = ch->nelts > 0 || more;
    }
    return rollback(ctx->db, p);
fail:
    ctx->error = apr_pstrdup(ctx->pool, err ? err : "database error");
    rollback(ctx->db, p);
    return -1;
}

int eas_push_check(eas_cmd_ctx *ctx, eas_watch *w, int all, eas_push_result *res)
{
    apr_pool_t *p; /* a held request may check many times: keep r->pool from growing */
    const char *err = NULL;
    eas_store *s;
    int i, rc = 0;

    *res = EAS_PUSH_QUIET;
    apr_pool_create(&p, ctx->pool);
    if (!(s = eas_store_open(p, ctx->db, ctx->dev.user_id, &err))) {
        ctx->error = apr_pstrdup(ctx->pool, err ? err : "cannot open the store");
        apr_pool_destroy(p);
        return -1;
    }
    for (i = 0; i < w->n; ++i) {
        const eas_folder *f;
        int has = 0;
        if (!all && !w->changed[i]) {
            continue;
        }
        w->changed[i] = 0;
        if (!(f = eas_store_folder(s, w->ids[i]))) {
            *res = EAS_PUSH_GONE;
            break;
        }
        if (w->base[i] >= 0 && f->modseq <= w->base[i]) {
            continue; /* nothing written since the device was known to be current */
        }
        if (folder_has_changes(ctx, p, s, f, &has) != 0) {
            rc = -1;
            break;
        }
        if (has) {
            w->changed[i] = 1;
            *res = EAS_PUSH_CHANGES;
        } else {
            w->base[i] = f->modseq;
        }
    }
    apr_pool_destroy(p);
    return rc;
}

int eas_push_hierarchy_current(eas_cmd_ctx *ctx, int *current)
{
    apr_pool_t *p;
    const char *err = NULL, *pending;
    apr_int64_t key, prev;
    apr_array_header_t *folders, *diff;
    eas_store *s;

    *current = 0;
    apr_pool_create(&p, ctx->pool);
    if (!(s = eas_store_open(p, ctx->db, ctx->dev.user_id, &err))) {
        goto fail;
    }
    if (!(folders = eas_store_folders(s))) {
        err = s->error;
        goto fail;
    }
    if (eas_db_cmd(ctx->db, p, &err, "BEGIN") != 0 ||
        eas_fsync_load(ctx->db, p, ctx->dev.device_pk, &key, &prev, &pending, &err) != 0) {
        goto fail;
    }
    if (key != 0) {
        /* as after the device's next FolderSync with its current key */
        if (eas_fsync_apply(ctx->db, p, ctx->dev.device_pk, pending, &err) != 0 ||
            eas_fsync_diff(ctx->db, p, ctx->dev.device_pk, folders, &diff, &err) != 0) {
            goto fail;
        }
        *current = diff->nelts == 0;
    }
    rollback(ctx->db, p);
    apr_pool_destroy(p);
    return 0;
fail:
    ctx->error = apr_pstrdup(ctx->pool, err ? err : "database error");
    rollback(ctx->db, p);
    apr_pool_destroy(p);
    return -1;
}

int eas_push_hold(eas_cmd_ctx *ctx, int waiting, const char *heartbeat, const char *folders,
                  apr_int64_t *seq)
{
    const char *params[5] = {ctx->dev.device_pk, ctx->dev.user_id, waiting ? "t" : "f", heartbeat,
                             folders};
    const char *v[1];
    if (!waiting) {
        /* every Sync: one index probe, a write and a notification only when something is held */
        PGresult *r = eas_db_exec(
            ctx->db, ctx->pool, &ctx->error,
            "WITH u AS (UPDATE ping_states SET hold_seq = hold_seq + 1, held = false "
            "WHERE device_pk = $1 AND held RETURNING hold_seq) "
            "SELECT pg_notify('eas_changes', $2 || ':d:' || $1 || ':' || hold_seq) FROM u",
            2, params);
        if (!r) {
            return -1;
        }
        PQclear(r);
        *seq = 0;
        return 0;
    }
    if (eas_db_row(ctx->db, ctx->pool, &ctx->error, "SELECT eas_hold_begin($1, $2, $3, $4, $5)", 5,
                   params, 1, v) != 0) {
        return -1;
    }
    *seq = apr_atoi64(v[0]);
    return 0;
}

int eas_push_unhold(eas_cmd_ctx *ctx, apr_int64_t seq)
{
    const char *params[2] = {ctx->dev.device_pk, apr_psprintf(ctx->pool, "%" APR_INT64_T_FMT, seq)};
    const char *err = NULL; /* best effort: not the request's error */
    PGresult *r = eas_db_exec(ctx->db, ctx->pool, &err,
                              "UPDATE ping_states SET held = false "
                              "WHERE device_pk = $1 AND hold_seq = $2 AND held",
                              2, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}

eas_join_result eas_push_join(eas_cmd_ctx *ctx, const eas_watch *w, eas_waiter **out)
{
    if (!ctx->hub) {
        return EAS_JOIN_FULL;
    }
    return eas_hub_join(ctx->hub, ctx->pool, apr_atoi64(ctx->dev.user_id),
                        apr_atoi64(ctx->dev.device_pk), w->n, w->fids, ctx->client_fd, out);
}

unsigned eas_push_sleep(eas_cmd_ctx *ctx, eas_waiter *w, apr_time_t until, unsigned char *changed)
{
    if (ctx->db) {
        eas_dbpool_release(ctx->dbpool, ctx->db); /* never hold a connection while sleeping */
        ctx->db = NULL;
    }
    return eas_hub_wait(w, until, changed);
}

int eas_push_reconnect(eas_cmd_ctx *ctx)
{
    if (!ctx->db && !(ctx->db = eas_dbpool_acquire(ctx->dbpool))) {
        ctx->error = "database unavailable";
        return -1;
    }
    return 0;
}
