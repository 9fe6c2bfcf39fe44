/* eas_pgstore_search.c — mailbox search in the default store (Search Store Mailbox, Find).
 *
 * One query over the caller's folders: the matches, newest first, are cut at q->max inside the
 * query (so a huge mailbox costs at most max rows after the filter), counted, and paged. The
 * whole search runs under a statement_timeout of its own transaction: a search never holds a
 * database connection longer than EASSearchTimeout. FreeText is a substring match of every word
 * over subject, sender, recipients and the body text (plain ILIKE: pg_trgm is not assumed). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_pgstore.h"
#include "eas_store.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

/* Each word of text as an ILIKE pattern (metacharacters literal), joined by newlines: words
 * never contain one, and string_to_array splits them back in SQL. NULL when there is no word. */
static const char *like_words(apr_pool_t *p, const char *text)
{
    char *out = apr_palloc(p, 4 * strlen(text) + 4), *w = out;
    const char *s = text;
    int words = 0;

    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
            ++s;
        }
        if (!*s) {
            break;
        }
        if (words++) {
            *w++ = '\n';
        }
        *w++ = '%';
        while (*s && *s != ' ' && *s != '\t' && *s != '\r' && *s != '\n') {
            if (*s == '%' || *s == '_' || *s == '\\') {
                *w++ = '\\';
            }
            *w++ = *s++;
        }
        *w++ = '%';
    }
    *w = '\0';
    return words ? out : NULL;
}

static const char *hex16(apr_pool_t *p, const char *raw)
{
    static const char digits[] = "0123456789abcdef";
    char *h = apr_palloc(p, 33);
    int i;
    for (i = 0; i < 16; ++i) {
        h[2 * i] = digits[((unsigned char)raw[i]) >> 4];
        h[2 * i + 1] = digits[((unsigned char)raw[i]) & 15];
    }
    h[32] = '\0';
    return h;
}

static const char *search_sql =
    "WITH m AS ("
    " SELECT i.folder_id, i.uid, i.received FROM items i"
    " LEFT JOIN blobs b ON b.hash = i.blob_hash"
    " WHERE i.user_id = $1::bigint AND i.folder_id = ANY ($2::bigint[]) AND NOT i.expunged"
    "  AND i.class = 'Email'"
    "  AND ($3::text IS NULL OR NOT EXISTS ("
    "   SELECT 1 FROM unnest(string_to_array($3::text, E'\\n')) w(pat) WHERE NOT ("
    "    coalesce(i.subject, '') ILIKE w.pat OR coalesce(i.from_addr, '') ILIKE w.pat"
    "    OR coalesce(i.to_addr, '') ILIKE w.pat OR coalesce(i.cc_addr, '') ILIKE w.pat"
    "    OR coalesce(i.display_to, '') ILIKE w.pat OR coalesce(b.body_text, '') ILIKE w.pat)))"
    "  AND ($4::bigint IS NULL OR i.received > to_timestamp($4::double precision / 1e6))"
    "  AND ($5::bigint IS NULL OR i.received < to_timestamp($5::double precision / 1e6))"
    "  AND ($6::text IS NULL OR md5(coalesce(i.thread_topic, '')) = $6::text)"
    " ORDER BY i.received DESC, i.folder_id DESC, i.uid DESC LIMIT $7::int)"
    /* one row even for a page past the end, so the count is always there */
    "SELECT p.folder_id, p.uid, (SELECT count(*) FROM m) FROM (SELECT 1) one"
    " LEFT JOIN LATERAL (SELECT folder_id, uid, received FROM m"
    "  ORDER BY received DESC, folder_id DESC, uid DESC OFFSET $8::int LIMIT $9::int) p ON true"
    " ORDER BY p.received DESC, p.folder_id DESC, p.uid DESC";

/* Runs the search query; 0, EAS_ST_TIMEOUT or EAS_ST_ERROR. The result in *out. */
static int run(eas_store *s, const char *const *params, PGresult **out)
{
    PGresult *r = PQexecParams(s->db, search_sql, 9, NULL, params, NULL, NULL, 0);
    const char *state;

    if (r && PQresultStatus(r) == PGRES_TUPLES_OK) {
        *out = r;
        return EAS_ST_OK;
    }
    state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    if (state && strcmp(state, "57014") == 0) { /* query_canceled: the statement timeout */
        PQclear(r);
        return EAS_ST_TIMEOUT;
    }
    s->error = apr_pstrdup(s->pool, r ? PQresultErrorMessage(r) : PQerrorMessage(s->db));
    PQclear(r);
    return EAS_ST_ERROR;
}

int eas_pg_search(eas_store *s, const eas_search_query *q, apr_array_header_t **hits, int *total)
{
    const char *params[9];
    apr_int64_t *ids = apr_palloc(s->pool, sizeof(*ids) * (apr_size_t)(q->nfolders + 1));
    PGresult *r = NULL;
    int i, rc, own = PQtransactionStatus(s->db) == PQTRANS_IDLE;

    *hits = apr_array_make(s->pool, q->limit > 0 ? q->limit : 1, sizeof(eas_search_hit));
    *total = 0;
    if (q->nfolders == 0 || q->max <= 0) {
        return EAS_ST_OK;
    }
    for (i = 0; i < q->nfolders; ++i) {
        ids[i] = apr_atoi64(q->folders[i]->id);
    }
    params[0] = s->user_id; /* a user's search only ever sees the user's own items */
    params[1] = eas_pg_uid_array(s->pool, ids, q->nfolders);
    params[2] = q->free_text ? like_words(s->pool, q->free_text) : NULL;
    params[3] = q->after ? I64(s->pool, q->after) : NULL;
    params[4] = q->before ? I64(s->pool, q->before) : NULL;
    params[5] = q->conversation_id ? hex16(s->pool, q->conversation_id) : NULL;
    params[6] = apr_itoa(s->pool, q->max);
    params[7] = apr_itoa(s->pool, q->offset > 0 ? q->offset : 0);
    params[8] = apr_itoa(s->pool, q->limit > 0 ? q->limit : 0);

    /* the timeout is local to a transaction of our own; inside the caller's we cannot scope it */
    if (own && q->timeout > 0) {
        const char *t = apr_psprintf(s->pool, "%ds", q->timeout);
        if (eas_db_cmd(s->db, s->pool, &s->error, "BEGIN") != 0) {
            return EAS_ST_ERROR;
        }
        r = eas_db_exec(s->db, s->pool, &s->error,
                        "SELECT set_config('statement_timeout', $1, true)", 1, &t);
        if (!r) {
            eas_db_cmd(s->db, s->pool, NULL, "ROLLBACK");
            return EAS_ST_ERROR;
        }
        PQclear(r);
        r = NULL;
    } else {
        own = 0;
    }
    rc = run(s, params, &r);
    if (own) {
        eas_db_cmd(s->db, s->pool, NULL, rc == EAS_ST_OK ? "COMMIT" : "ROLLBACK");
    }
    if (rc != EAS_ST_OK) {
        return rc;
    }
    for (i = 0; i < PQntuples(r); ++i) {
        const char *fid = PQgetvalue(r, i, 0);
        int k;
        *total = atoi(PQgetvalue(r, i, 2));
        if (PQgetisnull(r, i, 0)) {
            continue;
        }
        for (k = 0; k < q->nfolders; ++k) {
            if (strcmp(q->folders[k]->id, fid) == 0) {
                eas_search_hit *h = apr_array_push(*hits);
                h->folder = q->folders[k];
                h->uid = apr_atoi64(PQgetvalue(r, i, 1));
                break;
            }
        }
    }
    PQclear(r);
    return EAS_ST_OK;
}
