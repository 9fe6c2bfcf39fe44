/* eas_dbpool.c — per-process libpq pool on apr_reslist (see eas_db.h).
 *
 * Lifetime: the glue creates the pool in child_init from the child's pool, so the reslist's
 * cleanup (closing connections) runs when the child's pool is destroyed at exit, after all worker
 * threads are joined. The reslist itself is created lazily under a mutex because
 * apr_reslist_create() opens `min` connections at once and fails if the database is down.
 */
#include <string.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_log.h"

struct eas_dbpool {
    apr_pool_t *pool;
    eas_dbpool_params params;
    apr_thread_mutex_t *mutex; /* guards lazy creation of rl */
    apr_reslist_t *rl;
};

static apr_status_t conn_construct(void **res, void *params, apr_pool_t *p)
{
    eas_dbpool *dp = params;
    PGconn *c = PQconnectdb(dp->params.conninfo);

    if (!c || PQstatus(c) != CONNECTION_OK) {
        char msg[512];
        const char *e = c ? PQerrorMessage(c) : "out of memory";
        apr_size_t n;
        apr_cpystrn(msg, e, sizeof(msg));
        n = strlen(msg);
        while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
            msg[--n] = '\0';
        }
        eas_log_perror(EAS_LOG_MARK, EAS_LOG_ERR, "EAS00101: cannot connect to PostgreSQL: %s",
                       msg);
        if (c) {
            PQfinish(c);
        }
        return APR_EGENERAL;
    }
    /* Times are stored as timestamptz; keep the session in UTC so text output is stable. */
    PQclear(PQexec(c, "SET TIME ZONE 'UTC'"));
    *res = c;
    return APR_SUCCESS;
}

static apr_status_t conn_destruct(void *res, void *params, apr_pool_t *p)
{
    PQfinish((PGconn *)res);
    return APR_SUCCESS;
}

apr_status_t eas_dbpool_create(eas_dbpool **out, const eas_dbpool_params *params, apr_pool_t *p)
{
    eas_dbpool *dp = apr_pcalloc(p, sizeof(*dp));
    apr_status_t rv;

    dp->pool = p;
    dp->params = *params;
    dp->params.conninfo = apr_pstrdup(p, params->conninfo);
    rv = apr_thread_mutex_create(&dp->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = dp;
    return APR_SUCCESS;
}

static apr_reslist_t *get_reslist(eas_dbpool *dp)
{
    apr_reslist_t *rl;

    apr_thread_mutex_lock(dp->mutex);
    if (!dp->rl) {
        apr_status_t rv =
            apr_reslist_create(&dp->rl, dp->params.min, dp->params.keep, dp->params.max,
                               dp->params.ttl, conn_construct, conn_destruct, dp, dp->pool);
        if (rv != APR_SUCCESS) {
            dp->rl = NULL; /* the database is down: try again on the next request */
        } else {
            apr_reslist_timeout_set(dp->rl, dp->params.acquire_timeout);
        }
    }
    rl = dp->rl;
    apr_thread_mutex_unlock(dp->mutex);
    return rl;
}

PGconn *eas_dbpool_acquire(eas_dbpool *dp)
{
    apr_reslist_t *rl = get_reslist(dp);
    int attempt;

    if (!rl) {
        return NULL;
    }
    /* A pooled connection may have died with the server; libpq only notices on use. Probe it
     * cheaply and replace it once; a second failure means the database is really gone. */
    for (attempt = 0; attempt < 3; ++attempt) {
        void *res = NULL;
        PGconn *c;
        apr_status_t rv = apr_reslist_acquire(rl, &res);

        if (rv != APR_SUCCESS) {
            if (APR_STATUS_IS_TIMEUP(rv)) {
                eas_log_perror(EAS_LOG_MARK, EAS_LOG_ERR,
                               "EAS00102: no free database connection within the pool timeout "
                               "(raise EASDBPoolMax?)");
            }
            return NULL;
        }
        c = res;
        if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
            PGresult *r = PQexec(c, "");
            int alive = r && PQresultStatus(r) == PGRES_EMPTY_QUERY;
            PQclear(r);
            if (alive) {
                return c;
            }
        }
        apr_reslist_invalidate(rl, c);
    }
    return NULL;
}

void eas_dbpool_release(eas_dbpool *dp, PGconn *c)
{
    apr_reslist_t *rl = dp->rl;

    if (!c || !rl) {
        return;
    }
    if (PQstatus(c) != CONNECTION_OK) {
        apr_reslist_invalidate(rl, c);
        return;
    }
    if (PQtransactionStatus(c) != PQTRANS_IDLE) {
        /* a request bailed out mid-transaction: never hand its half-done work to the next one */
        PGresult *r = PQexec(c, "ROLLBACK");
        int ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
        PQclear(r);
        if (!ok || PQtransactionStatus(c) != PQTRANS_IDLE) {
            apr_reslist_invalidate(rl, c);
            return;
        }
    }
    apr_reslist_release(rl, c);
}

void eas_dbpool_destroy(eas_dbpool *dp)
{
    apr_thread_mutex_lock(dp->mutex);
    if (dp->rl) {
        apr_reslist_destroy(dp->rl);
        dp->rl = NULL;
    }
    apr_thread_mutex_unlock(dp->mutex);
}
