/* eas_syncstate.c — replayable SyncKeys (see eas_syncstate.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_syncstate.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

static int run(PGconn *c, apr_pool_t *p, const char **err, const char *sql, int n,
               const char *const *params)
{
    PGresult *r = eas_db_exec(c, p, err, sql, n, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}

int eas_sync_load(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                  eas_sync_state *st, const char **err)
{
    const char *params[2] = {device_pk, folder_id};
    PGresult *r = eas_db_exec(c, p, err,
                              "SELECT sync_key, prev_key, pending, uidvalidity, filter_type, "
                              "seen_modseq, options, checked_modseq, prev_checked_modseq, "
                              "added_modseq, prev_added_modseq, supported FROM "
                              "sync_states WHERE device_pk = $1 AND "
                              "folder_id = $2 FOR UPDATE",
                              2, params);
    if (!r) {
        return -1;
    }
    memset(st, 0, sizeof(*st));
    st->seen_modseq = -1;
    if (PQntuples(r) == 1) {
        st->exists = 1;
        st->sync_key = apr_pstrdup(p, PQgetvalue(r, 0, 0));
        st->prev_key = PQgetisnull(r, 0, 1) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, 1));
        st->pending = apr_pstrdup(p, PQgetvalue(r, 0, 2));
        st->uidvalidity = apr_atoi64(PQgetvalue(r, 0, 3));
        st->filter_type = atoi(PQgetvalue(r, 0, 4));
        st->seen_modseq = apr_atoi64(PQgetvalue(r, 0, 5));
        st->options = PQgetisnull(r, 0, 6) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, 6));
        st->checked_modseq = apr_atoi64(PQgetvalue(r, 0, 7));
        st->prev_checked_modseq = apr_atoi64(PQgetvalue(r, 0, 8));
        st->added_modseq = apr_atoi64(PQgetvalue(r, 0, 9));
        st->prev_added_modseq = apr_atoi64(PQgetvalue(r, 0, 10));
        st->supported = PQgetisnull(r, 0, 11) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, 11));
    }
    PQclear(r);
    return 0;
}

eas_key_match eas_sync_match(const eas_sync_state *st, const char *key)
{
    if (!st->exists || !key) {
        return EAS_KEY_INVALID;
    }
    if (strcmp(key, st->sync_key) == 0) {
        return EAS_KEY_CURRENT;
    }
    if (st->prev_key && strcmp(key, st->prev_key) == 0) {
        return EAS_KEY_RETRY;
    }
    return EAS_KEY_INVALID;
}

int eas_sync_reset(PGconn *c, apr_pool_t *p, const char *device_pk, const eas_folder *f,
                   int filter_type, const char **key, const char **err)
{
    const char *params[5];
    unsigned int gen;
    /* a new generation per reset: a key from before the reset can never match again */
    if (eas_db_row(c, p, err, "SELECT (random() * 4294967295)::bigint", 0, NULL, 1, params) != 0) {
        return -1;
    }
    gen = (unsigned int)strtoul(params[0], NULL, 10);
    *key = apr_psprintf(p, "%08x-1", gen);
    params[0] = device_pk;
    params[1] = f->id;
    params[2] = *key;
    params[3] = I64(p, f->uidvalidity);
    params[4] = I64(p, filter_type);
    if (run(c, p, err, "DELETE FROM sync_states WHERE device_pk = $1 AND folder_id = $2", 2,
            params) != 0) {
        return -1;
    }
    return run(c, p, err,
               "INSERT INTO sync_states (device_pk, folder_id, sync_key, uidvalidity, filter_type) "
               "VALUES ($1, $2, $3, $4, $5)",
               5, params);
}

const char *eas_sync_next_key(apr_pool_t *p, const char *cur)
{
    const char *dash = strrchr(cur, '-');
    apr_int64_t n = dash ? apr_atoi64(dash + 1) : 0;
    return apr_psprintf(p, "%.*s-%" APR_INT64_T_FMT, dash ? (int)(dash - cur) : 8,
                        dash ? cur : "00000000", n + 1);
}

const char *eas_sync_pending_text(apr_pool_t *p, const apr_array_header_t *changes)
{
    char *buf = apr_palloc(p, (apr_size_t)changes->nelts * 44 + 1), *w = buf;
    int i;
    for (i = 0; i < changes->nelts; ++i) {
        const eas_change *ch = &APR_ARRAY_IDX(changes, i, eas_change);
        w += sprintf(w, "%c %" APR_INT64_T_FMT " %" APR_INT64_T_FMT "\n", (char)ch->op, ch->uid,
                     ch->modseq);
    }
    *w = '\0';
    return buf;
}

int eas_sync_apply_pending(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                           const char *pending, const char **err)
{
    apr_size_t cap = strlen(pending) + 3;
    char *up_uids = apr_palloc(p, cap), *up_ms = apr_palloc(p, cap), *del = apr_palloc(p, cap);
    char *wu = up_uids, *wm = up_ms, *wd = del;
    const char *line = pending;
    const char *params[5];

    *wu++ = '{';
    *wm++ = '{';
    *wd++ = '{';
    while (*line) {
        char op;
        long long uid = 0, ms = 0;
        const char *nl = strchr(line, '\n');
        if (sscanf(line, "%c %lld %lld", &op, &uid, &ms) == 3 && uid > 0) {
            if (op == 'A' || op == 'C') {
                wu += sprintf(wu, "%s%lld", wu[-1] == '{' ? "" : ",", uid);
                wm += sprintf(wm, "%s%lld", wm[-1] == '{' ? "" : ",", ms);
            } else {
                wd += sprintf(wd, "%s%lld", wd[-1] == '{' ? "" : ",", uid);
            }
        }
        if (!nl) {
            break;
        }
        line = nl + 1;
    }
    strcpy(wu, "}");
    strcpy(wm, "}");
    strcpy(wd, "}");
    params[0] = device_pk;
    params[1] = folder_id;
    params[2] = up_uids;
    params[3] = up_ms;
    params[4] = del;
    if (strcmp(up_uids, "{}") != 0 &&
        run(c, p, err,
            "INSERT INTO sync_items (device_pk, folder_id, uid, modseq) "
            "SELECT $1, $2, u, m FROM unnest($3::bigint[], $4::bigint[]) AS t(u, m) "
            "ON CONFLICT (device_pk, folder_id, uid) "
            "DO UPDATE SET modseq = greatest(sync_items.modseq, EXCLUDED.modseq)",
            4, params) != 0) {
        return -1;
    }
    if (strcmp(del, "{}") != 0) {
        const char *dp[3] = {device_pk, folder_id, del};
        if (run(c, p, err,
                "DELETE FROM sync_items WHERE device_pk = $1 AND folder_id = $2 "
                "AND uid = ANY($3::bigint[])",
                3, dp) != 0) {
            return -1;
        }
    }
    return 0;
}

int eas_sync_save(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                  const char *key, const char *prev, const char *pending, int filter_type,
                  apr_int64_t seen_modseq, apr_int64_t checked, apr_int64_t prev_checked,
                  apr_int64_t added, apr_int64_t prev_added, const char **err)
{
    const char *params[11] = {device_pk,
                              folder_id,
                              key,
                              prev,
                              pending,
                              I64(p, filter_type),
                              I64(p, seen_modseq),
                              I64(p, checked),
                              I64(p, prev_checked),
                              I64(p, added),
                              I64(p, prev_added)};
    return run(c, p, err,
               "UPDATE sync_states SET sync_key = $3, prev_key = $4, pending = $5, "
               "filter_type = $6, seen_modseq = $7, checked_modseq = $8, "
               "prev_checked_modseq = $9, added_modseq = $10, prev_added_modseq = $11, "
               "updated_at = now() WHERE device_pk = $1 AND folder_id = $2",
               11, params);
}

int eas_sync_save_options(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                          const char *options, const char **err)
{
    const char *params[3] = {device_pk, folder_id, options};
    return run(c, p, err,
               "UPDATE sync_states SET options = $3 WHERE device_pk = $1 AND folder_id = $2", 3,
               params);
}

int eas_sync_save_supported(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                            const char *supported, const char **err)
{
    const char *params[3] = {device_pk, folder_id, supported};
    return run(c, p, err,
               "UPDATE sync_states SET supported = $3 WHERE device_pk = $1 AND folder_id = $2", 3,
               params);
}

int eas_sync_view_set(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                      apr_int64_t uid, apr_int64_t modseq, const char **err)
{
    const char *params[4] = {device_pk, folder_id, I64(p, uid), I64(p, modseq)};
    return run(c, p, err,
               "INSERT INTO sync_items (device_pk, folder_id, uid, modseq) "
               "SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM sync_states "
               "WHERE device_pk = $1 AND folder_id = $2) "
               "ON CONFLICT (device_pk, folder_id, uid) DO UPDATE SET modseq = EXCLUDED.modseq",
               4, params);
}

int eas_sync_view_remove(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                         apr_int64_t uid, const char **err)
{
    const char *params[3] = {device_pk, folder_id, I64(p, uid)};
    if (run(c, p, err,
            "DELETE FROM sync_items WHERE device_pk = $1 AND folder_id = $2 AND uid = $3", 3,
            params) != 0) {
        return -1;
    }
    /* an add still pending (sent, key not yet used) must not put it back into the view */
    return run(c, p, err,
               "UPDATE sync_states SET pending = coalesce((SELECT string_agg(l, E'\\n') || E'\\n' "
               "FROM unnest(string_to_array(pending, E'\\n')) AS l "
               "WHERE l <> '' AND split_part(l, ' ', 2) <> $3), '') "
               "WHERE device_pk = $1 AND folder_id = $2 AND pending <> ''",
               3, params);
}

int eas_sync_view_modseq(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                         apr_int64_t uid, apr_int64_t *modseq, const char **err)
{
    const char *params[3] = {device_pk, folder_id, I64(p, uid)};
    PGresult *r = eas_db_exec(c, p, err,
                              "SELECT modseq FROM sync_items WHERE device_pk = $1 AND "
                              "folder_id = $2 AND uid = $3",
                              3, params);
    if (!r) {
        return -1;
    }
    *modseq = PQntuples(r) == 1 ? apr_atoi64(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return 0;
}

/* --- folder hierarchy ------------------------------------------------------------------- */

int eas_fsync_load(PGconn *c, apr_pool_t *p, const char *device_pk, apr_int64_t *key,
                   apr_int64_t *prev, const char **pending, const char **err)
{
    const char *params[1] = {device_pk};
    PGresult *r = eas_db_exec(c, p, err,
                              "SELECT sync_key, coalesce(prev_key, -1), pending FROM "
                              "folder_sync_states WHERE device_pk = $1 FOR UPDATE",
                              1, params);
    if (!r) {
        return -1;
    }
    *key = 0;
    *prev = -1;
    *pending = "";
    if (PQntuples(r) == 1) {
        *key = apr_atoi64(PQgetvalue(r, 0, 0));
        *prev = apr_atoi64(PQgetvalue(r, 0, 1));
        *pending = apr_pstrdup(p, PQgetvalue(r, 0, 2));
    }
    PQclear(r);
    return 0;
}

int eas_fsync_reset(PGconn *c, apr_pool_t *p, const char *device_pk, const char **err)
{
    const char *params[1] = {device_pk};
    if (run(c, p, err, "DELETE FROM folder_sync_items WHERE device_pk = $1", 1, params) != 0) {
        return -1;
    }
    /* a hierarchy reset invalidates every collection state of the device (MS-ASCMD: the client
     * must resynchronise all folders after FolderSync 0) */
    if (run(c, p, err, "DELETE FROM sync_states WHERE device_pk = $1", 1, params) != 0) {
        return -1;
    }
    return run(c, p, err, "DELETE FROM folder_sync_states WHERE device_pk = $1", 1, params);
}

/* name escaping for the pending text: \t \n \\ */
static char *esc(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 1), *w = out;
    for (; *s; ++s) {
        if (*s == '\t' || *s == '\n' || *s == '\\') {
            *w++ = '\\';
            *w++ = *s == '\t' ? 't' : *s == '\n' ? 'n' : '\\';
        } else {
            *w++ = *s;
        }
    }
    *w = '\0';
    return out;
}

static char *unesc(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *w = out;
    apr_size_t i;
    for (i = 0; i < n; ++i) {
        if (s[i] == '\\' && i + 1 < n) {
            ++i;
            *w++ = s[i] == 't' ? '\t' : s[i] == 'n' ? '\n' : s[i];
        } else {
            *w++ = s[i];
        }
    }
    *w = '\0';
    return out;
}

const char *eas_fsync_pending_text(apr_pool_t *p, const apr_array_header_t *changes)
{
    const char *out = "";
    int i;
    for (i = 0; i < changes->nelts; ++i) {
        const eas_folder_change *ch = &APR_ARRAY_IDX(changes, i, eas_folder_change);
        out = apr_psprintf(p, "%s%c\t%s\t%s\t%d\t%s\n", out, ch->op, ch->f.id,
                           ch->f.parent_id ? ch->f.parent_id : "0", ch->f.type,
                           esc(p, ch->f.name ? ch->f.name : ""));
    }
    return out;
}

int eas_fsync_apply(PGconn *c, apr_pool_t *p, const char *device_pk, const char *pending,
                    const char **err)
{
    const char *line = pending;
    while (*line) {
        const char *nl = strchr(line, '\n'), *f[5];
        apr_size_t len = nl ? (apr_size_t)(nl - line) : strlen(line);
        const char *cur = line, *end = line + len;
        int k;
        for (k = 0; k < 5; ++k) {
            const char *tab = k < 4 ? memchr(cur, '\t', (apr_size_t)(end - cur)) : end;
            if (!tab) {
                break;
            }
            f[k] = unesc(p, cur, (apr_size_t)(tab - cur));
            cur = tab + 1;
        }
        if (k == 5) {
            const char *params[5] = {device_pk, f[1], f[2], f[3], f[4]};
            if (f[0][0] == 'D') {
                if (run(c, p, err,
                        "DELETE FROM folder_sync_items WHERE device_pk = $1 AND folder_id = $2", 2,
                        params) != 0) {
                    return -1;
                }
            } else if (run(c, p, err,
                           "INSERT INTO folder_sync_items (device_pk, folder_id, parent_id, name, "
                           "type) VALUES ($1, $2, $3, $5, $4) ON CONFLICT (device_pk, folder_id) "
                           "DO UPDATE SET parent_id = $3, name = $5, type = $4",
                           5, params) != 0) {
                return -1;
            }
        }
        if (!nl) {
            break;
        }
        line = nl + 1;
    }
    return 0;
}

int eas_fsync_diff(PGconn *c, apr_pool_t *p, const char *device_pk, apr_array_header_t *folders,
                   apr_array_header_t **changes, const char **err)
{
    const char *params[1] = {device_pk};
    PGresult *r = eas_db_exec(c, p, err,
                              "SELECT folder_id, parent_id, name, type FROM folder_sync_items "
                              "WHERE device_pk = $1 ORDER BY folder_id",
                              1, params);
    int nview, i, j;
    char *seen;
    if (!r) {
        return -1;
    }
    nview = PQntuples(r);
    seen = apr_pcalloc(p, (apr_size_t)nview + 1);
    *changes = apr_array_make(p, 8, sizeof(eas_folder_change));
    /* adds and updates in hierarchy order (parents first), as the folders list is */
    for (i = 0; i < folders->nelts; ++i) {
        const eas_folder *f = &APR_ARRAY_IDX(folders, i, eas_folder);
        int found = -1;
        for (j = 0; j < nview; ++j) {
            if (strcmp(PQgetvalue(r, j, 0), f->id) == 0) {
                found = j;
                break;
            }
        }
        if (found >= 0) {
            seen[found] = 1;
            if (strcmp(PQgetvalue(r, found, 1), f->parent_id) == 0 &&
                strcmp(PQgetvalue(r, found, 2), f->name) == 0) {
                continue;
            }
        }
        {
            eas_folder_change *ch = apr_array_push(*changes);
            ch->op = found >= 0 ? 'U' : 'A';
            ch->f = *f;
        }
    }
    for (j = 0; j < nview; ++j) {
        if (!seen[j]) {
            eas_folder_change *ch = apr_array_push(*changes);
            memset(ch, 0, sizeof(*ch));
            ch->op = 'D';
            ch->f.id = apr_pstrdup(p, PQgetvalue(r, j, 0));
            ch->f.parent_id = apr_pstrdup(p, PQgetvalue(r, j, 1));
            ch->f.name = apr_pstrdup(p, PQgetvalue(r, j, 2));
            ch->f.type = atoi(PQgetvalue(r, j, 3));
        }
    }
    PQclear(r);
    return 0;
}

int eas_fsync_save(PGconn *c, apr_pool_t *p, const char *device_pk, apr_int64_t key,
                   apr_int64_t prev, const char *pending, const char **err)
{
    const char *params[4] = {device_pk, I64(p, key), prev > 0 ? I64(p, prev) : NULL, pending};
    return run(c, p, err,
               "INSERT INTO folder_sync_states (device_pk, sync_key, prev_key, pending) "
               "VALUES ($1, $2, $3, $4) ON CONFLICT (device_pk) DO UPDATE SET sync_key = $2, "
               "prev_key = $3, pending = $4, updated_at = now()",
               4, params);
}
