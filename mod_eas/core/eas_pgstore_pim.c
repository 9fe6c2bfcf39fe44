/* eas_pgstore_pim.c — PIM items in the default store: the standard form (eas_pim.h) and the
 * columns the sync needs, in the same items rows, uids and modseqs as mail, so the diff, the
 * sync state, tombstones and push work for every class unchanged. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_pgstore.h"
#include "eas_pim.h"
#include "eas_store.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))
#define TS(n)     "to_timestamp($" #n "::double precision / 1e6)"

static const char *ts_or_null(apr_pool_t *p, apr_time_t t)
{
    return t ? I64(p, t) : NULL;
}

/* The FilterType key (sql/006_pim.sql); NULL: keep the row's (Contacts and Notes on change). */
static const char *filter_key(apr_pool_t *p, const eas_folder *f, const eas_pim_item *it, int add)
{
    const char *cls = eas_folder_class(f->type);
    if (strcmp(cls, "Calendar") == 0) {
        return I64(p, it->end ? it->end : (it->start ? it->start : EAS_PIM_FOREVER));
    }
    if (strcmp(cls, "Tasks") == 0) {
        return it->complete ? "0" : I64(p, EAS_PIM_FOREVER);
    }
    return add ? I64(p, apr_time_now()) : NULL;
}

static int put_new(eas_store *s, const eas_folder *f, const eas_pim_item *it, const char *ms,
                   apr_int64_t *uid_out)
{
    const char *params[13], *nu[1];
    PGresult *r;

    params[0] = f->id;
    params[1] = s->user_id;
    if (eas_db_row(s->db, s->pool, &s->error,
                   "UPDATE folders SET uidnext = uidnext + 1 WHERE id = $1 AND user_id = $2 "
                   "RETURNING uidnext - 1",
                   2, params, 1, nu) != 0) {
        return EAS_ST_ERROR;
    }
    params[2] = nu[0];
    params[3] = ms;
    params[4] = eas_folder_class(f->type);
    params[5] = filter_key(s->pool, f, it, 1);
    params[6] = I64(s->pool, strlen(it->data));
    params[7] = it->subject;
    params[8] = it->data;
    params[9] = it->pim_uid;
    params[10] = ts_or_null(s->pool, it->start);
    params[11] = ts_or_null(s->pool, it->end);
    params[12] = it->complete ? "t" : "f";
    r = eas_db_exec(s->db, s->pool, &s->error,
                    "INSERT INTO items (folder_id, user_id, uid, modseq, class, received, size, "
                    "subject, pim_data, pim_uid, pim_start, pim_end, complete, seen) VALUES "
                    "($1, $2, $3, $4, $5, " TS(6) ", $7, $8, $9, $10, " TS(11) ", " TS(12) ", $13, "
                                                                                           "true)",
                    13, params);
    if (!r) {
        return EAS_ST_ERROR;
    }
    PQclear(r);
    *uid_out = apr_atoi64(nu[0]);
    return EAS_ST_OK;
}

static int put_existing(eas_store *s, const eas_folder *f, apr_int64_t uid, const eas_pim_item *it,
                        const char *ms, apr_int64_t if_modseq)
{
    const char *params[12];
    PGresult *r;
    int n;

    params[0] = f->id;
    params[1] = I64(s->pool, uid);
    params[2] = ms;
    params[3] = filter_key(s->pool, f, it, 0);
    params[4] = I64(s->pool, strlen(it->data));
    params[5] = it->subject;
    params[6] = it->data;
    params[7] = it->pim_uid;
    params[8] = ts_or_null(s->pool, it->start);
    params[9] = ts_or_null(s->pool, it->end);
    params[10] = it->complete ? "t" : "f";
    params[11] = I64(s->pool, if_modseq);
    r = eas_db_exec(
        s->db, s->pool, &s->error,
        "UPDATE items SET modseq = $3, received = coalesce(" TS(
            4) ", received), "
               "size = $5, subject = $6, pim_data = $7, pim_uid = $8, pim_start = " TS(
                   9) ", "
                      "pim_end = " TS(
                          10) ", complete = $11 WHERE folder_id = $1 AND uid = $2 "
                              "AND NOT expunged AND pim_data IS NOT NULL "
                              "AND ($12::bigint = 0 OR modseq <= $12::bigint) RETURNING modseq",
        12, params);
    if (!r) {
        return EAS_ST_ERROR;
    }
    n = PQntuples(r);
    PQclear(r);
    if (n == 1) {
        return EAS_ST_OK;
    }
    if (!if_modseq) {
        return EAS_ST_NOT_FOUND;
    }
    /* still there means it changed since the device saw it */
    r = eas_db_exec(s->db, s->pool, &s->error,
                    "SELECT 1 FROM items WHERE folder_id = $1 AND uid = $2 AND NOT expunged", 2,
                    params);
    if (!r) {
        return EAS_ST_ERROR;
    }
    n = PQntuples(r);
    PQclear(r);
    return n ? EAS_ST_CONFLICT : EAS_ST_NOT_FOUND;
}

int eas_pg_pim_put(eas_store *s, const eas_folder *f, apr_int64_t uid, const eas_pim_item *it,
                   apr_int64_t if_modseq, apr_int64_t *uid_out, apr_int64_t *modseq_out)
{
    const char *ms[1];
    int own, rc;

    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    if (uid == 0) {
        rc = put_new(s, f, it, ms[0], uid_out);
    } else {
        rc = put_existing(s, f, uid, it, ms[0], if_modseq);
        if (uid_out) {
            *uid_out = uid;
        }
    }
    if (rc == EAS_ST_OK && modseq_out) {
        *modseq_out = apr_atoi64(ms[0]);
    }
    return eas_pg_tx_end(s, own, rc);
}

#define PIM_COLS                                                                                   \
    "uid, modseq, pim_data, pim_uid, subject, "                                                    \
    "coalesce((extract(epoch FROM pim_start) * 1e6)::bigint, 0), "                                 \
    "coalesce((extract(epoch FROM pim_end) * 1e6)::bigint, 0), complete"

static eas_pim_item *row_item(apr_pool_t *p, PGresult *r, int row)
{
    eas_pim_item *it = apr_pcalloc(p, sizeof(*it));
    it->uid = apr_atoi64(PQgetvalue(r, row, 0));
    it->modseq = apr_atoi64(PQgetvalue(r, row, 1));
    it->data = apr_pstrdup(p, PQgetvalue(r, row, 2));
    it->pim_uid = PQgetisnull(r, row, 3) ? NULL : apr_pstrdup(p, PQgetvalue(r, row, 3));
    it->subject = PQgetisnull(r, row, 4) ? NULL : apr_pstrdup(p, PQgetvalue(r, row, 4));
    it->start = apr_atoi64(PQgetvalue(r, row, 5));
    it->end = apr_atoi64(PQgetvalue(r, row, 6));
    it->complete = PQgetvalue(r, row, 7)[0] == 't';
    return it;
}

int eas_pg_pim_get(eas_store *s, const eas_folder *f, const apr_int64_t *uids, int n,
                   eas_pim_item **out)
{
    const char *params[2];
    PGresult *r;
    int i, j;

    memset(out, 0, sizeof(*out) * (apr_size_t)n);
    if (n == 0) {
        return 0;
    }
    params[0] = f->id;
    params[1] = eas_pg_uid_array(s->pool, uids, n);
    r = eas_db_exec(s->db, s->pool, &s->error,
                    "SELECT " PIM_COLS " FROM items WHERE folder_id = $1 "
                    "AND uid = ANY($2::bigint[]) AND NOT expunged AND pim_data IS NOT NULL",
                    2, params);
    if (!r) {
        return EAS_ST_ERROR;
    }
    for (i = 0; i < PQntuples(r); ++i) {
        eas_pim_item *it = row_item(s->pool, r, i);
        for (j = 0; j < n; ++j) {
            if (uids[j] == it->uid) {
                out[j] = it;
            }
        }
    }
    PQclear(r);
    return 0;
}

int eas_pg_pim_list(eas_store *s, const eas_folder *f, apr_int64_t after_uid, int limit,
                    apr_array_header_t **out, int *more)
{
    const char *params[3] = {f->id, I64(s->pool, after_uid), I64(s->pool, limit + 1)};
    PGresult *r = eas_db_exec(s->db, s->pool, &s->error,
                              "SELECT " PIM_COLS " FROM items WHERE folder_id = $1 AND uid > $2 "
                              "AND NOT expunged AND pim_data IS NOT NULL ORDER BY uid LIMIT $3",
                              3, params);
    int i, n;
    if (!r) {
        return EAS_ST_ERROR;
    }
    n = PQntuples(r);
    *more = n > limit;
    *out = apr_array_make(s->pool, n, sizeof(eas_pim_item *));
    for (i = 0; i < n && i < limit; ++i) {
        APR_ARRAY_PUSH(*out, eas_pim_item *) = row_item(s->pool, r, i);
    }
    PQclear(r);
    return 0;
}
