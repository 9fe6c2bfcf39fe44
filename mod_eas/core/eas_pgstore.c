/* eas_pgstore.c — the default store provider: mail (and PIM folders) in PostgreSQL.
 *
 * Every write takes the next per-user modseq (users.modseq, under that row's lock, so writers of
 * one user serialise and changes are totally ordered) and fires pg_notify through the items and
 * folders triggers in the same transaction. MIME is stored once per SHA-256, with the text, HTML
 * and attachment list derived at delivery so Sync never parses MIME. */
#include <stdlib.h>
#include <string.h>

#include <apr_md5.h>
#include <apr_strings.h>
#include <openssl/sha.h>

#include "eas_db.h"
#include "eas_mime.h"
#include "eas_pgstore.h"
#include "eas_store.h"

#define I64(p, v) apr_psprintf((p), "%" APR_INT64_T_FMT, (apr_int64_t)(v))

static const struct {
    const char *name, *special;
    int type;
} default_folders[] = {
    {"Inbox", "inbox", EAS_FT_INBOX},
    {"Drafts", "drafts", EAS_FT_DRAFTS},
    {"Deleted Items", "deleted", EAS_FT_DELETED},
    {"Sent Items", "sent", EAS_FT_SENT},
    {"Outbox", "outbox", EAS_FT_OUTBOX},
    {"Junk E-mail", "junk", EAS_FT_USER_MAIL},
    {"Contacts", "contacts", EAS_FT_CONTACTS},
    {"Calendar", "calendar", EAS_FT_CALENDAR},
    {"Tasks", "tasks", EAS_FT_TASKS},
    {"Notes", "notes", EAS_FT_NOTES},
};

/* --- transactions: an operation opens its own unless the caller already did -------------- */

int eas_pg_tx_begin(eas_store *s, int *own)
{
    *own = PQtransactionStatus(s->db) == PQTRANS_IDLE;
    return *own ? eas_db_cmd(s->db, s->pool, &s->error, "BEGIN") : 0;
}

int eas_pg_tx_end(eas_store *s, int own, int rc)
{
    if (!own) {
        return rc;
    }
    if (rc == EAS_ST_ERROR || eas_db_cmd(s->db, s->pool, &s->error, "COMMIT") != 0) {
        const char *keep = s->error;
        eas_db_cmd(s->db, s->pool, &s->error, "ROLLBACK");
        s->error = keep;
        return EAS_ST_ERROR;
    }
    return rc;
}

static PGresult *q(eas_store *s, const char *sql, int n, const char *const *params)
{
    return eas_db_exec(s->db, s->pool, &s->error, sql, n, params);
}

/* Next modseq of this user (locks the users row until the transaction ends). */
int eas_pg_next_modseq(eas_store *s, const char **out)
{
    const char *params[1] = {s->user_id};
    return eas_db_row(s->db, s->pool, &s->error,
                      "UPDATE users SET modseq = modseq + 1 WHERE id = $1 RETURNING modseq", 1,
                      params, 1, out);
}

/* 1 if the query returns a row, 0 if not, EAS_ST_ERROR on failure. */
static int any_row(eas_store *s, const char *sql, int n, const char *const *params)
{
    PGresult *r = q(s, sql, n, params);
    int yes;
    if (!r) {
        return EAS_ST_ERROR;
    }
    yes = PQntuples(r) > 0;
    PQclear(r);
    return yes;
}

/* Whether the live item (folder, uid) exists. */
static int item_exists(eas_store *s, const char *folder_id, apr_int64_t uid)
{
    const char *params[2] = {folder_id, apr_psprintf(s->pool, "%" APR_INT64_T_FMT, uid)};
    return any_row(s, "SELECT 1 FROM items WHERE folder_id = $1 AND uid = $2 AND NOT expunged", 2,
                   params);
}

static apr_int64_t i64(const char *v)
{
    return v ? apr_atoi64(v) : 0;
}

static const char *dup_or_null(apr_pool_t *p, PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : apr_pstrdup(p, PQgetvalue(r, row, col));
}

/* --- folders ------------------------------------------------------------------------------ */

static int pg_ensure_defaults(eas_store *s)
{
    const char *params[4] = {s->user_id};
    const char *have[1];
    size_t i;
    int own, rc = 0;

    if (eas_db_row(s->db, s->pool, &s->error,
                   "SELECT count(*) FROM folders WHERE user_id = $1 AND special IS NOT NULL", 1,
                   params, 1, have) != 0) {
        return EAS_ST_ERROR;
    }
    if (atoi(have[0]) >= (int)(sizeof(default_folders) / sizeof(default_folders[0]))) {
        return 0;
    }
    if (eas_pg_tx_begin(s, &own) != 0) {
        return EAS_ST_ERROR;
    }
    for (i = 0; rc == 0 && i < sizeof(default_folders) / sizeof(default_folders[0]); ++i) {
        PGresult *r;
        params[1] = default_folders[i].name;
        params[2] = I64(s->pool, default_folders[i].type);
        params[3] = default_folders[i].special;
        /* a user folder already using the name keeps it: the default gets a suffix */
        r = q(s,
              "INSERT INTO folders (user_id, name, type, special) "
              "SELECT $1, CASE WHEN EXISTS (SELECT 1 FROM folders WHERE user_id = $1 "
              "  AND parent_id IS NULL AND lower(name) = lower($2)) THEN $2 || ' (' || $4 || ')' "
              "  ELSE $2 END, $3::smallint, $4 "
              "WHERE NOT EXISTS (SELECT 1 FROM folders WHERE user_id = $1 AND special = $4) "
              "ON CONFLICT DO NOTHING",
              4, params);
        if (!r) {
            rc = EAS_ST_ERROR;
        }
        PQclear(r);
    }
    return eas_pg_tx_end(s, own, rc);
}

static int pg_folders(eas_store *s, apr_array_header_t **out)
{
    const char *params[1] = {s->user_id};
    /* recursive so parents come before children whatever the ids */
    PGresult *r =
        q(s,
          "WITH RECURSIVE t AS ("
          " SELECT f.*, 0 AS depth FROM folders f WHERE user_id = $1 AND parent_id IS NULL"
          " UNION ALL SELECT f.*, t.depth + 1 FROM folders f JOIN t ON f.parent_id = t.id"
          "  WHERE f.user_id = $1)"
          " SELECT t.id, coalesce(t.parent_id, 0), t.name, t.type, t.special, "
          " t.uidvalidity, coalesce((SELECT max(modseq) FROM items i "
          "   WHERE i.folder_id = t.id), 0) "
          " FROM t ORDER BY depth, id",
          1, params);
    int i, n;
    if (!r) {
        return EAS_ST_ERROR;
    }
    n = PQntuples(r);
    *out = apr_array_make(s->pool, n ? n : 1, sizeof(eas_folder));
    for (i = 0; i < n; ++i) {
        eas_folder *f = apr_array_push(*out);
        f->id = apr_pstrdup(s->pool, PQgetvalue(r, i, 0));
        f->parent_id = apr_pstrdup(s->pool, PQgetvalue(r, i, 1));
        f->name = apr_pstrdup(s->pool, PQgetvalue(r, i, 2));
        f->type = atoi(PQgetvalue(r, i, 3));
        f->special = dup_or_null(s->pool, r, i, 4);
        f->uidvalidity = i64(PQgetvalue(r, i, 5));
        f->modseq = i64(PQgetvalue(r, i, 6));
    }
    PQclear(r);
    return 0;
}

/* The folder row of this user, or NULL. */
static int folder_row(eas_store *s, const char *id, const char **special)
{
    const char *params[2] = {s->user_id, id}, *out[1];
    PGresult *r;
    int found;
    r = q(s, "SELECT special FROM folders WHERE user_id = $1 AND id = $2::bigint", 2, params);
    if (!r) {
        return EAS_ST_ERROR;
    }
    found = PQntuples(r) == 1;
    out[0] = found ? dup_or_null(s->pool, r, 0, 0) : NULL;
    PQclear(r);
    if (special) {
        *special = out[0];
    }
    return found ? 0 : EAS_ST_NOT_FOUND;
}

static int valid_name(const char *name)
{
    size_t len = name ? strlen(name) : 0;
    return len > 0 && len <= 255 && !strchr(name, '/') && strspn(name, " \t") != len;
}

static int name_taken(eas_store *s, const char *parent_id, const char *name, const char *except)
{
    const char *params[4] = {s->user_id, parent_id, name, except ? except : "0"};
    return any_row(s,
                   "SELECT 1 FROM folders WHERE user_id = $1 AND coalesce(parent_id, 0) = "
                   "$2::bigint AND lower(name) = lower($3) AND id <> $4::bigint",
                   4, params);
}

static int pg_folder_create(eas_store *s, const char *parent_id, const char *name, int type,
                            const char **id_out)
{
    const char *params[4], *out[1];
    int rc, own;

    if (!valid_name(name)) {
        return EAS_ST_BAD_NAME;
    }
    if (eas_pg_tx_begin(s, &own) != 0) {
        return EAS_ST_ERROR;
    }
    if (eas_pg_next_modseq(s, out) != 0) { /* serialises with other writers of this user */
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    if (strcmp(parent_id, "0") != 0 && (rc = folder_row(s, parent_id, NULL)) != 0) {
        return eas_pg_tx_end(s, own, rc == EAS_ST_NOT_FOUND ? EAS_ST_PARENT_MISSING : rc);
    }
    if ((rc = name_taken(s, parent_id, name, NULL)) != 0) {
        return eas_pg_tx_end(s, own, rc < 0 ? EAS_ST_ERROR : EAS_ST_EXISTS);
    }
    params[0] = s->user_id;
    params[1] = strcmp(parent_id, "0") ? parent_id : NULL;
    params[2] = name;
    params[3] = I64(s->pool, type);
    if (eas_db_row(s->db, s->pool, &s->error,
                   "INSERT INTO folders (user_id, parent_id, name, type) "
                   "VALUES ($1, $2::bigint, $3, $4::smallint) RETURNING id",
                   4, params, 1, out) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    *id_out = out[0];
    return eas_pg_tx_end(s, own, EAS_ST_OK);
}

/* Whether candidate is id itself or one of its descendants (a folder cannot move below itself). */
static int is_descendant(eas_store *s, const char *id, const char *candidate)
{
    const char *params[2] = {id, candidate};
    return any_row(s,
                   "WITH RECURSIVE t AS (SELECT id FROM folders WHERE id = $1::bigint "
                   " UNION ALL SELECT f.id FROM folders f JOIN t ON f.parent_id = t.id) "
                   "SELECT 1 FROM t WHERE id = $2::bigint",
                   2, params);
}

static int pg_folder_update(eas_store *s, const char *id, const char *parent_id, const char *name)
{
    const char *special = NULL, *params[4], *ms[1];
    PGresult *r;
    int rc, own;

    if (!valid_name(name)) {
        return EAS_ST_BAD_NAME;
    }
    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    if ((rc = folder_row(s, id, &special)) != 0) {
        return eas_pg_tx_end(s, own, rc);
    }
    if (special) {
        return eas_pg_tx_end(s, own, EAS_ST_SPECIAL);
    }
    if (strcmp(parent_id, "0") != 0) {
        if ((rc = folder_row(s, parent_id, NULL)) != 0) {
            return eas_pg_tx_end(s, own, rc == EAS_ST_NOT_FOUND ? EAS_ST_PARENT_MISSING : rc);
        }
        if ((rc = is_descendant(s, id, parent_id)) != 0) {
            return eas_pg_tx_end(s, own, rc < 0 ? EAS_ST_ERROR : EAS_ST_PARENT_MISSING);
        }
    }
    if ((rc = name_taken(s, parent_id, name, id)) != 0) {
        return eas_pg_tx_end(s, own, rc < 0 ? EAS_ST_ERROR : EAS_ST_EXISTS);
    }
    params[0] = s->user_id;
    params[1] = id;
    params[2] = strcmp(parent_id, "0") ? parent_id : NULL;
    params[3] = name;
    r = q(s, "UPDATE folders SET parent_id = $3::bigint, name = $4 WHERE user_id = $1 AND id = $2",
          4, params);
    rc = r ? EAS_ST_OK : EAS_ST_ERROR;
    PQclear(r);
    return eas_pg_tx_end(s, own, rc);
}

/* Deleting a folder removes its items and subfolders (cascade); the blobs nobody refers to any
 * more go with them. Default folders cannot be deleted. */
static int collect_orphans(eas_store *s)
{
    PGresult *r = q(s,
                    "DELETE FROM blobs b WHERE b.hash IN (SELECT h FROM eas_orphan_candidates) "
                    "AND NOT EXISTS (SELECT 1 FROM items i WHERE i.blob_hash = b.hash)",
                    0, NULL);
    PGresult *d;
    if (!r) {
        return EAS_ST_ERROR;
    }
    PQclear(r);
    d = q(s, "DROP TABLE eas_orphan_candidates", 0, NULL);
    PQclear(d);
    return d ? 0 : EAS_ST_ERROR;
}

static int pg_folder_delete(eas_store *s, const char *id)
{
    const char *special = NULL, *params[2] = {s->user_id, id}, *ms[1];
    PGresult *r;
    int rc, own;

    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    if ((rc = folder_row(s, id, &special)) != 0) {
        return eas_pg_tx_end(s, own, rc);
    }
    if (special) {
        return eas_pg_tx_end(s, own, EAS_ST_SPECIAL);
    }
    r = q(s,
          "CREATE TEMP TABLE eas_orphan_candidates ON COMMIT DROP AS "
          "WITH RECURSIVE t AS (SELECT id FROM folders WHERE id = $2::bigint AND user_id = $1 "
          " UNION ALL SELECT f.id FROM folders f JOIN t ON f.parent_id = t.id) "
          "SELECT DISTINCT blob_hash AS h FROM items WHERE folder_id IN (SELECT id FROM t) "
          "AND blob_hash IS NOT NULL",
          2, params);
    if (!r) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    PQclear(r);
    r = q(s, "DELETE FROM folders WHERE user_id = $1 AND id = $2::bigint", 2, params);
    if (!r) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    PQclear(r);
    return eas_pg_tx_end(s, own, collect_orphans(s));
}

/* --- changes ------------------------------------------------------------------------------ */

static void push_changes(apr_array_header_t *out, PGresult *r, eas_change_op op, int col_op)
{
    int i;
    for (i = 0; i < PQntuples(r); ++i) {
        eas_change *c = apr_array_push(out);
        c->op = col_op >= 0 ? (eas_change_op)PQgetvalue(r, i, col_op)[0] : op;
        c->uid = i64(PQgetvalue(r, i, 0));
        c->modseq = i64(PQgetvalue(r, i, 1));
    }
}

#define SINCE "to_timestamp($3::double precision / 1000000)"

/* Deletions of held items since the checked modseq: expunges and moves leave tombstones with a
 * new modseq (the IMAP provider's equivalent is VANISHED (EARLIER)). */
static const char *sql_deletes =
    "SELECT i.uid, 0, 'D' FROM items i JOIN sync_items s ON s.device_pk = $2 "
    "AND s.folder_id = i.folder_id AND s.uid = i.uid WHERE i.folder_id = $1 "
    "AND i.modseq > $5 AND i.expunged AND $3::bigint >= 0 ORDER BY i.uid LIMIT $4";
/* Held items that left the FilterType window: removed from the device only. */
static const char *sql_softdeletes =
    "SELECT i.uid, 0, 'S' FROM sync_items s JOIN items i ON i.folder_id = s.folder_id "
    "AND i.uid = s.uid WHERE s.device_pk = $2 AND s.folder_id = $1 AND NOT i.expunged "
    "AND i.received < " SINCE " AND $5::bigint >= 0 ORDER BY i.uid LIMIT $4";
static const char *sql_changed =
    "SELECT i.uid, i.modseq FROM items i JOIN sync_items s ON s.device_pk = $2 "
    "AND s.folder_id = i.folder_id AND s.uid = i.uid WHERE i.folder_id = $1 "
    "AND i.modseq > $5 AND NOT i.expunged AND i.modseq > s.modseq "
    "AND i.received >= " SINCE " ORDER BY i.uid LIMIT $4";
/* Newest first, walking items_live in order and probing the view per row until the window is
 * full. OFFSET 0 keeps the probe a per-row subplan: as a hash anti-join (what the planner picks
 * while a fresh device's view has no statistics yet) every window would read the whole folder
 * and the whole view. */
static const char *sql_added =
    "SELECT i.uid, i.modseq FROM items i WHERE i.folder_id = $1 AND NOT i.expunged "
    "AND i.received >= " SINCE " AND $5::bigint >= 0 AND NOT EXISTS (SELECT 1 FROM sync_items s "
    "WHERE s.device_pk = $2 AND s.folder_id = $1 AND s.uid = i.uid OFFSET 0) "
    "ORDER BY i.received DESC, i.uid DESC LIMIT $4";
/* The same once every older item is known to be held: only items written since can be new. */
static const char *sql_added_since =
    "SELECT i.uid, i.modseq FROM items i WHERE i.folder_id = $1 AND i.modseq > $5 "
    "AND NOT i.expunged AND i.received >= " SINCE " AND NOT EXISTS (SELECT 1 FROM sync_items s "
    "WHERE s.device_pk = $2 AND s.folder_id = $1 AND s.uid = i.uid OFFSET 0) "
    "ORDER BY i.received DESC, i.uid DESC LIMIT $4";

static int pg_changes(eas_store *s, const eas_folder *f, eas_sync_view *v, int limit,
                      apr_array_header_t **out, int *more)
{
    const char *params[5] = {f->id, v->device_pk, I64(s->pool, v->since), NULL,
                             I64(s->pool, v->checked_modseq)};
    const char *sqls[4] = {sql_deletes, sql_softdeletes, sql_changed, sql_added};
    int k;

    *out = apr_array_make(s->pool, limit > 0 ? limit : 1, sizeof(eas_change));
    *more = 0;
    v->complete = 1;
    v->adds_complete = 0;
    if (v->added_modseq >= 0) {
        sqls[3] = sql_added_since;
    }
    for (k = 0; k < 4; ++k) {
        int room = limit - (*out)->nelts;
        PGresult *r;
        if (k == 1 && v->since == 0) {
            continue; /* no FilterType: nothing can age out */
        }
        if (k == 3) {
            params[4] = I64(s->pool, v->added_modseq >= 0 ? v->added_modseq : 0);
        }
        if (room <= 0) {
            *more = 1; /* unknown whether more exist: the client asks again, gets none */
            if (k < 3) {
                v->complete = 0;
            }
            break;
        }
        params[3] = I64(s->pool, room + 1);
        r = q(s, sqls[k], 5, params);
        if (!r) {
            return EAS_ST_ERROR;
        }
        if (PQntuples(r) > room) {
            *more = 1;
            if (k < 3) {
                v->complete = 0;
            }
        } else if (k == 3) {
            v->adds_complete = 1;
        }
        push_changes(*out, r, k == 2 ? EAS_CH_CHANGE : EAS_CH_ADD, k < 2 ? 2 : -1);
        PQclear(r);
        if ((*out)->nelts > limit) {
            (*out)->nelts = limit;
            break;
        }
    }
    return 0;
}

static int pg_count_changes(eas_store *s, const eas_folder *f, const eas_sync_view *v,
                            apr_int64_t *count)
{
    const char *params[5] = {f->id, v->device_pk, I64(s->pool, v->since), NULL,
                             I64(s->pool, v->checked_modseq)};
    const char *sqls[4] = {sql_deletes, sql_softdeletes, sql_changed, sql_added};
    int k;
    *count = 0;
    for (k = 0; k < 4; ++k) {
        const char *n[1];
        const char *sql;
        if (k == 1 && v->since == 0) {
            continue;
        }
        /* LIMIT NULL is no limit */
        sql = apr_pstrcat(s->pool, "SELECT count(*) FROM (", sqls[k], ") x", NULL);
        if (eas_db_row(s->db, s->pool, &s->error, sql, 5, params, 1, n) != 0) {
            return EAS_ST_ERROR;
        }
        *count += i64(n[0]);
    }
    return 0;
}

/* --- fetch -------------------------------------------------------------------------------- */

static apr_time_t ts(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? 0 : (apr_time_t)i64(PQgetvalue(r, row, col));
}

#define TSCOL(c) "(extract(epoch FROM " c ") * 1000000)::bigint"

/* Parses a PostgreSQL text[] literal ({a,"b c"}) into strings. */
static apr_array_header_t *parse_text_array(apr_pool_t *p, const char *v)
{
    apr_array_header_t *a = apr_array_make(p, 4, sizeof(const char *));
    const char *c = v;
    if (!c || *c != '{') {
        return a;
    }
    ++c;
    while (*c && *c != '}') {
        char *buf = apr_palloc(p, strlen(c) + 1), *w = buf;
        if (*c == '"') {
            ++c;
            while (*c && *c != '"') {
                if (*c == '\\' && c[1]) {
                    ++c;
                }
                *w++ = *c++;
            }
            if (*c == '"') {
                ++c;
            }
        } else {
            while (*c && *c != ',' && *c != '}') {
                *w++ = *c++;
            }
        }
        *w = '\0';
        APR_ARRAY_PUSH(a, const char *) = buf;
        if (*c == ',') {
            ++c;
        }
    }
    return a;
}

const char *eas_pg_uid_array(apr_pool_t *p, const apr_int64_t *uids, int n)
{
    char *buf = apr_palloc(p, (apr_size_t)n * 21 + 3), *w = buf;
    int i;
    *w++ = '{';
    for (i = 0; i < n; ++i) {
        w += sprintf(w, "%s%" APR_INT64_T_FMT, i ? "," : "", uids[i]);
    }
    *w++ = '}';
    *w = '\0';
    return buf;
}

/* 16 bytes naming the conversation: MD5 of the normalised thread topic (as Exchange derives
 * ConversationId from ConversationTopic). */
static const char *conversation_id(apr_pool_t *p, const char *topic)
{
    unsigned char d[APR_MD5_DIGESTSIZE];
    char *raw = apr_palloc(p, sizeof(d));
    apr_md5(d, topic ? topic : "", topic ? strlen(topic) : 0);
    memcpy(raw, d, sizeof(d));
    return raw;
}

static const char *fetch_sql = "SELECT i.uid, i.modseq, " TSCOL(
    "i.received") ", i.size, i.subject, i.from_addr, i.to_addr, "
                  "i.cc_addr, i.reply_to, i.display_to, i.thread_topic, i.message_id, "
                  "i.message_class, "
                  "i.preview, i.importance, coalesce(b.native_type, 1), "
                  "CASE WHEN $3::bigint <> 0 THEN CASE WHEN $3::bigint < 0 THEN b.body_text "
                  "  ELSE left(b.body_text, $3::int) END END, coalesce(octet_length(b.body_text), "
                  "0), "
                  "CASE WHEN $4::bigint <> 0 THEN CASE WHEN $4::bigint < 0 THEN b.body_html "
                  "  ELSE left(b.body_html, $4::int) END END, coalesce(octet_length(b.body_html), "
                  "0), "
                  "b.body_html IS NOT NULL, coalesce(b.size, i.size), "
                  "i.seen, i.flag_status, i.flag_type, " TSCOL("i.flag_start") ", " TSCOL(
                      "i.flag_due") ", " TSCOL("i.flag_completed") ", i.categories, "
                                                                   "i.last_verb, " TSCOL(
                                                                       "i.last_"
                                                                       "verb_"
                                                                       "time") ","
                                                                               " "
                                                                               "i"
                                                                               "."
                                                                               "h"
                                                                               "a"
                                                                               "s"
                                                                               "_"
                                                                               "a"
                                                                               "t"
                                                                               "t"
                                                                               "a"
                                                                               "c"
                                                                               "h"
                                                                               "m"
                                                                               "e"
                                                                               "n"
                                                                               "t"
                                                                               "s"
                                                                               " "
                                                                               "F"
                                                                               "R"
                                                                               "O"
                                                                               "M"
                                                                               " "
                                                                               "i"
                                                                               "t"
                                                                               "e"
                                                                               "m"
                                                                               "s"
                                                                               " "
                                                                               "i"
                                                                               " "
                                                                               "L"
                                                                               "E"
                                                                               "F"
                                                                               "T"
                                                                               " "
                                                                               "J"
                                                                               "O"
                                                                               "I"
                                                                               "N"
                                                                               " "
                                                                               "b"
                                                                               "l"
                                                                               "o"
                                                                               "b"
                                                                               "s"
                                                                               " "
                                                                               "b"
                                                                               " "
                                                                               "O"
                                                                               "N"
                                                                               " "
                                                                               "b"
                                                                               "."
                                                                               "h"
                                                                               "a"
                                                                               "s"
                                                                               "h"
                                                                               " "
                                                                               "="
                                                                               " "
                                                                               "i"
                                                                               "."
                                                                               "b"
                                                                               "l"
                                                                               "o"
                                                                               "b"
                                                                               "_"
                                                                               "h"
                                                                               "a"
                                                                               "s"
                                                                               "h"
                                                                               " "
                                                                               "W"
                                                                               "H"
                                                                               "E"
                                                                               "R"
                                                                               "E"
                                                                               " "
                                                                               "i"
                                                                               "."
                                                                               "f"
                                                                               "o"
                                                                               "l"
                                                                               "d"
                                                                               "e"
                                                                               "r"
                                                                               "_"
                                                                               "i"
                                                                               "d"
                                                                               " "
                                                                               "="
                                                                               " "
                                                                               "$"
                                                                               "1"
                                                                               " "
                                                                               "A"
                                                                               "N"
                                                                               "D"
                                                                               " "
                                                                               "i"
                                                                               "."
                                                                               "u"
                                                                               "i"
                                                                               "d"
                                                                               " "
                                                                               "="
                                                                               " "
                                                                               "A"
                                                                               "N"
                                                                               "Y"
                                                                               "("
                                                                               "$"
                                                                               "2"
                                                                               ":"
                                                                               ":"
                                                                               "b"
                                                                               "i"
                                                                               "g"
                                                                               "i"
                                                                               "n"
                                                                               "t"
                                                                               "["
                                                                               "]"
                                                                               ")"
                                                                               " "
                                                                               "A"
                                                                               "N"
                                                                               "D"
                                                                               " "
                                                                               "N"
                                                                               "O"
                                                                               "T"
                                                                               " "
                                                                               "i"
                                                                               "."
                                                                               "e"
                                                                               "x"
                                                                               "p"
                                                                               "u"
                                                                               "n"
                                                                               "g"
                                                                               "e"
                                                                               "d";

static int fetch_attachments(eas_store *s, const eas_folder *f, const char *uids,
                             eas_mail_item *items, int n)
{
    const char *params[2] = {f->id, uids};
    PGresult *r = q(s,
                    "SELECT i.uid, a.idx, a.filename, a.content_type, a.content_id, a.is_inline, "
                    "a.size FROM items i JOIN blob_attachments a ON a.hash = i.blob_hash "
                    "WHERE i.folder_id = $1 AND i.uid = ANY($2::bigint[]) AND NOT i.expunged "
                    "ORDER BY i.uid, a.idx",
                    2, params);
    int row, k;
    if (!r) {
        return EAS_ST_ERROR;
    }
    for (row = 0; row < PQntuples(r); ++row) {
        apr_int64_t uid = i64(PQgetvalue(r, row, 0));
        for (k = 0; k < n; ++k) {
            if (items[k].uid == uid) {
                eas_attachment_ref *a;
                if (!items[k].attachments) {
                    items[k].attachments = apr_array_make(s->pool, 2, sizeof(*a));
                }
                a = apr_array_push(items[k].attachments);
                a->idx = atoi(PQgetvalue(r, row, 1));
                a->filename = apr_pstrdup(s->pool, PQgetvalue(r, row, 2));
                a->content_type = apr_pstrdup(s->pool, PQgetvalue(r, row, 3));
                a->content_id = dup_or_null(s->pool, r, row, 4);
                a->is_inline = PQgetvalue(r, row, 5)[0] == 't';
                a->size = i64(PQgetvalue(r, row, 6));
                break;
            }
        }
    }
    PQclear(r);
    return 0;
}

static int pg_mime(eas_store *s, const eas_folder *f, apr_int64_t uid, const char **out,
                   apr_size_t *len);

static int pg_fetch(eas_store *s, const eas_folder *f, const apr_int64_t *uids, int n,
                    const eas_fetch_spec *spec, eas_mail_item **out)
{
    const char *ua = eas_pg_uid_array(s->pool, uids, n);
    const char *params[4] = {f->id, ua, I64(s->pool, spec->text_max), I64(s->pool, spec->html_max)};
    eas_mail_item *items = apr_pcalloc(s->pool, sizeof(*items) * (apr_size_t)(n ? n : 1));
    PGresult *r = q(s, fetch_sql, 4, params);
    int row, k;

    if (!r) {
        return EAS_ST_ERROR;
    }
    for (k = 0; k < n; ++k) {
        out[k] = NULL;
    }
    for (row = 0; row < PQntuples(r); ++row) {
        apr_int64_t uid = i64(PQgetvalue(r, row, 0));
        eas_mail_item *it = NULL;
        for (k = 0; k < n; ++k) {
            if (uids[k] == uid && !out[k]) {
                it = out[k] = &items[k];
                break;
            }
        }
        if (!it) {
            continue;
        }
        it->uid = uid;
        it->modseq = i64(PQgetvalue(r, row, 1));
        it->received = ts(r, row, 2);
        it->size = i64(PQgetvalue(r, row, 3));
        it->subject = dup_or_null(s->pool, r, row, 4);
        it->from = dup_or_null(s->pool, r, row, 5);
        it->to = dup_or_null(s->pool, r, row, 6);
        it->cc = dup_or_null(s->pool, r, row, 7);
        it->reply_to = dup_or_null(s->pool, r, row, 8);
        it->display_to = dup_or_null(s->pool, r, row, 9);
        it->thread_topic = dup_or_null(s->pool, r, row, 10);
        it->message_id = dup_or_null(s->pool, r, row, 11);
        it->message_class = dup_or_null(s->pool, r, row, 12);
        it->preview = dup_or_null(s->pool, r, row, 13);
        it->importance = atoi(PQgetvalue(r, row, 14));
        it->native_type = atoi(PQgetvalue(r, row, 15));
        it->text = dup_or_null(s->pool, r, row, 16);
        it->text_size = i64(PQgetvalue(r, row, 17));
        it->html = dup_or_null(s->pool, r, row, 18);
        it->html_size = i64(PQgetvalue(r, row, 19));
        it->has_html = PQgetvalue(r, row, 20)[0] == 't';
        it->mime_size = i64(PQgetvalue(r, row, 21));
        it->flags.seen = PQgetvalue(r, row, 22)[0] == 't';
        it->flags.flag_status = atoi(PQgetvalue(r, row, 23));
        it->flags.flag_type = dup_or_null(s->pool, r, row, 24);
        it->flags.flag_start = ts(r, row, 25);
        it->flags.flag_due = ts(r, row, 26);
        it->flags.flag_completed = ts(r, row, 27);
        it->flags.categories = parse_text_array(s->pool, PQgetvalue(r, row, 28));
        it->flags.last_verb = atoi(PQgetvalue(r, row, 29));
        it->flags.last_verb_time = ts(r, row, 30);
        it->conversation_id = conversation_id(s->pool, it->thread_topic);
    }
    PQclear(r);
    if (spec->attachments && fetch_attachments(s, f, ua, items, n) != 0) {
        return EAS_ST_ERROR;
    }
    for (k = 0; k < n; ++k) {
        /* the MeetingRequest element is read from the invitation's text/calendar part: meeting
         * mail is rare, so its bytes come along even when the device did not ask for MIME */
        int meeting = out[k] && out[k]->message_class &&
                      strncmp(out[k]->message_class, "IPM.Schedule.Meeting.", 21) == 0;
        if (out[k] && (spec->mime_max || meeting) &&
            pg_mime(s, f, out[k]->uid, &out[k]->mime, &out[k]->mime_len) != 0) {
            return EAS_ST_ERROR;
        }
    }
    return 0;
}

/* The MIME bytes, fetched in binary so a large message is not hex-expanded on the wire. */
static int pg_mime(eas_store *s, const eas_folder *f, apr_int64_t uid, const char **out,
                   apr_size_t *len)
{
    const char *params[2] = {f->id, I64(s->pool, uid)};
    PGresult *r = PQexecParams(s->db,
                               "SELECT b.mime FROM items i JOIN blobs b ON b.hash = i.blob_hash "
                               "WHERE i.folder_id = $1 AND i.uid = $2 AND NOT i.expunged",
                               2, NULL, params, NULL, NULL, 1);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        s->error = apr_pstrdup(s->pool, PQerrorMessage(s->db));
        PQclear(r);
        return EAS_ST_ERROR;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        *out = NULL;
        *len = 0;
        return EAS_ST_NOT_FOUND;
    }
    *len = (apr_size_t)PQgetlength(r, 0, 0);
    *out = apr_pmemdup(s->pool, PQgetvalue(r, 0, 0), *len + 1);
    ((char *)*out)[*len] = '\0';
    PQclear(r);
    return 0;
}

/* --- writes ------------------------------------------------------------------------------- */

static const char *ts_param(apr_pool_t *p, apr_time_t t)
{
    return t ? I64(p, t) : NULL;
}

static const char *pg_array_literal(apr_pool_t *p, apr_array_header_t *a)
{
    const char *out = "{";
    int i;
    for (i = 0; a && i < a->nelts; ++i) {
        const char *v = APR_ARRAY_IDX(a, i, const char *);
        char *esc = apr_palloc(p, strlen(v) * 2 + 1), *w = esc;
        for (; *v; ++v) {
            if (*v == '"' || *v == '\\') {
                *w++ = '\\';
            }
            *w++ = *v;
        }
        *w = '\0';
        out = apr_pstrcat(p, out, i ? "," : "", "\"", esc, "\"", NULL);
    }
    return apr_pstrcat(p, out, "}", NULL);
}

static int pg_set_flags(eas_store *s, const eas_folder *f, apr_int64_t uid, const eas_flags *fl,
                        int mask, apr_int64_t if_modseq, apr_int64_t *modseq_out)
{
    const char *params[14], *ms[1];
    PGresult *r;
    int own, rc;

    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    params[0] = f->id;
    params[1] = I64(s->pool, uid);
    params[2] = ms[0];
    params[3] = I64(s->pool, mask);
    params[4] = fl->seen ? "t" : "f";
    params[5] = I64(s->pool, fl->flag_status);
    params[6] = fl->flag_type;
    params[7] = ts_param(s->pool, fl->flag_start);
    params[8] = ts_param(s->pool, fl->flag_due);
    params[9] = ts_param(s->pool, fl->flag_completed);
    params[10] = pg_array_literal(s->pool, fl->categories);
    params[11] = I64(s->pool, fl->last_verb);
    params[12] = ts_param(s->pool, fl->last_verb_time);
    params[13] = I64(s->pool, if_modseq);
    r = q(s,
          "UPDATE items SET modseq = $3, "
          " seen = CASE WHEN $4::int & 1 <> 0 THEN $5::boolean ELSE seen END, "
          " flag_status = CASE WHEN $4::int & 2 <> 0 THEN $6::smallint ELSE flag_status END, "
          " flag_type = CASE WHEN $4::int & 2 <> 0 THEN $7 ELSE flag_type END, "
          " flag_start = CASE WHEN $4::int & 2 <> 0 THEN to_timestamp($8::double precision / 1e6) "
          "   ELSE flag_start END, "
          " flag_due = CASE WHEN $4::int & 2 <> 0 THEN to_timestamp($9::double precision / 1e6) "
          "   ELSE flag_due END, "
          " flag_completed = CASE WHEN $4::int & 2 <> 0 "
          "   THEN to_timestamp($10::double precision / 1e6) ELSE flag_completed END, "
          " categories = CASE WHEN $4::int & 4 <> 0 THEN $11::text[] ELSE categories END, "
          " last_verb = CASE WHEN $4::int & 8 <> 0 THEN $12::smallint ELSE last_verb END, "
          " last_verb_time = CASE WHEN $4::int & 8 <> 0 "
          "   THEN to_timestamp($13::double precision / 1e6) ELSE last_verb_time END "
          "WHERE folder_id = $1 AND uid = $2 AND NOT expunged "
          "AND ($14::bigint = 0 OR modseq <= $14::bigint) RETURNING modseq",
          14, params);
    if (!r) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    rc = PQntuples(r) == 1 ? EAS_ST_OK : EAS_ST_NOT_FOUND;
    PQclear(r);
    if (rc == EAS_ST_NOT_FOUND && if_modseq) {
        int there = item_exists(s, f->id, uid); /* it exists, so it changed since if_modseq */
        if (there < 0) {
            return eas_pg_tx_end(s, own, EAS_ST_ERROR);
        }
        rc = there ? EAS_ST_CONFLICT : rc;
    }
    if (rc == EAS_ST_OK && modseq_out) {
        *modseq_out = i64(ms[0]);
    }
    return eas_pg_tx_end(s, own, rc);
}

static int pg_move(eas_store *s, const eas_folder *src, apr_int64_t uid, const eas_folder *dst,
                   apr_int64_t *uid_out)
{
    const char *params[5], *ms[1], *nu[1];
    PGresult *r;
    int own, rc;

    if (strcmp(src->id, dst->id) == 0) {
        return EAS_ST_SAME_FOLDER;
    }
    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    params[0] = dst->id;
    params[1] = s->user_id;
    if (eas_db_row(s->db, s->pool, &s->error,
                   "UPDATE folders SET uidnext = uidnext + 1 WHERE id = $1 AND user_id = $2 "
                   "RETURNING uidnext - 1",
                   2, params, 1, nu) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    /* the row moves (keeping its data); the source keeps a bare tombstone */
    params[0] = src->id;
    params[1] = I64(s->pool, uid);
    params[2] = dst->id;
    params[3] = nu[0];
    params[4] = ms[0];
    r = q(s,
          "UPDATE items SET folder_id = $3, uid = $4, modseq = $5 "
          "WHERE folder_id = $1 AND uid = $2 AND NOT expunged RETURNING user_id",
          5, params);
    if (!r) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    rc = PQntuples(r) == 1 ? EAS_ST_OK : EAS_ST_NOT_FOUND;
    PQclear(r);
    if (rc == EAS_ST_OK) {
        const char *p2[4] = {s->user_id, src->id, I64(s->pool, uid), ms[0]};
        r = q(s,
              "INSERT INTO items (user_id, folder_id, uid, modseq, expunged) "
              "VALUES ($1, $2, $3, $4, true)",
              4, p2);
        if (!r) {
            return eas_pg_tx_end(s, own, EAS_ST_ERROR);
        }
        PQclear(r);
        *uid_out = i64(nu[0]);
    }
    return eas_pg_tx_end(s, own, rc);
}

/* Turns live items into tombstones: bodies and envelope go, (folder, uid, modseq) stays so the
 * change is visible; blobs nobody refers to any more are deleted. where_uid NULL: all items. */
static int expunge_where(eas_store *s, const char *folder_id, const char *where_uid,
                         const char *modseq)
{
    const char *params[3] = {folder_id, modseq, where_uid};
    PGresult *r = q(s,
                    "CREATE TEMP TABLE eas_orphan_candidates ON COMMIT DROP AS "
                    "WITH x AS (UPDATE items i SET expunged = true, modseq = $2, blob_hash = NULL, "
                    " subject = NULL, from_addr = NULL, to_addr = NULL, cc_addr = NULL, "
                    " reply_to = NULL, display_to = NULL, preview = NULL, pim_data = NULL, "
                    " categories = '{}' FROM items o WHERE o.id = i.id AND i.folder_id = $1 "
                    " AND NOT i.expunged AND ($3::bigint IS NULL OR i.uid = $3::bigint) "
                    " RETURNING o.blob_hash) "
                    "SELECT DISTINCT blob_hash AS h FROM x WHERE blob_hash IS NOT NULL",
                    3, params);
    if (!r) {
        return EAS_ST_ERROR;
    }
    PQclear(r);
    return collect_orphans(s);
}

static int pg_expunge(eas_store *s, const eas_folder *f, apr_int64_t uid)
{
    const char *ms[1];
    int own, rc;
    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    rc = item_exists(s, f->id, uid);
    if (rc == 1) {
        rc = expunge_where(s, f->id, I64(s->pool, uid), ms[0]);
    } else if (rc == 0) {
        rc = EAS_ST_NOT_FOUND;
    }
    return eas_pg_tx_end(s, own, rc);
}

static int pg_empty(eas_store *s, const eas_folder *f, int subfolders)
{
    const char *ms[1], *params[2] = {s->user_id, f->id};
    int own, rc;
    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    rc = expunge_where(s, f->id, NULL, ms[0]);
    if (rc == 0 && subfolders) {
        PGresult *r =
            q(s, "SELECT id FROM folders WHERE user_id = $1 AND parent_id = $2::bigint", 2, params);
        int i;
        if (!r) {
            return eas_pg_tx_end(s, own, EAS_ST_ERROR);
        }
        for (i = 0; rc == 0 && i < PQntuples(r); ++i) {
            rc = pg_folder_delete(s, apr_pstrdup(s->pool, PQgetvalue(r, i, 0)));
        }
        PQclear(r);
    }
    return eas_pg_tx_end(s, own, rc);
}

static int pg_append(eas_store *s, const eas_folder *f, const char *mime, apr_size_t len,
                     const eas_flags *fl, apr_int64_t *uid_out)
{
    int dup = 0;
    return eas_pgstore_store_message(s, f->id, mime, len, fl, 0, 0, uid_out, &dup);
}

/* --- delivery ----------------------------------------------------------------------------- */

static const char *hex(apr_pool_t *p, const unsigned char *d, size_t n)
{
    static const char digits[] = "0123456789abcdef";
    char *out = apr_palloc(p, n * 2 + 1);
    size_t i;
    for (i = 0; i < n; ++i) {
        out[2 * i] = digits[d[i] >> 4];
        out[2 * i + 1] = digits[d[i] & 15];
    }
    out[n * 2] = '\0';
    return out;
}

static int store_blob(eas_store *s, const char *hash_hex, const char *mime, apr_size_t len,
                      const eas_mime_info *info)
{
    const char *values[6] = {hash_hex,   I64(s->pool, len),
                             mime,       info->text,
                             info->html, I64(s->pool, info->native_type == 2 ? 2 : 1)};
    int lengths[6] = {0, 0, (int)len, 0, 0, 0};
    int formats[6] = {0, 0, 1, 0, 0, 0};
    PGresult *r;
    int i, inserted;

    r = PQexecParams(s->db,
                     "INSERT INTO blobs (hash, size, mime, body_text, body_html, native_type) "
                     "VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6) "
                     "ON CONFLICT (hash) DO NOTHING RETURNING 1",
                     6, NULL, values, lengths, formats, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        s->error = apr_pstrdup(s->pool, PQerrorMessage(s->db));
        PQclear(r);
        return EAS_ST_ERROR;
    }
    inserted = PQntuples(r) == 1;
    PQclear(r);
    if (!inserted) {
        return 0; /* same bytes stored before: derived data is there too */
    }
    for (i = 0; i < info->attachments->nelts; ++i) {
        const eas_mime_attachment *a = &APR_ARRAY_IDX(info->attachments, i, eas_mime_attachment);
        const char *ap[7] = {
            hash_hex,      I64(s->pool, a->index),   a->filename,          a->content_type,
            a->content_id, a->is_inline ? "t" : "f", I64(s->pool, a->size)};
        r = q(s,
              "INSERT INTO blob_attachments (hash, idx, filename, content_type, content_id, "
              "is_inline, size) VALUES (decode($1, 'hex'), $2, $3, $4, $5, $6, $7)",
              7, ap);
        if (!r) {
            return EAS_ST_ERROR;
        }
        PQclear(r);
    }
    return 0;
}

static int any_real_attachment(const eas_mime_info *info)
{
    int i;
    for (i = 0; i < info->attachments->nelts; ++i) {
        if (!APR_ARRAY_IDX(info->attachments, i, eas_mime_attachment).is_inline) {
            return 1;
        }
    }
    return 0;
}

int eas_pgstore_store_message(eas_store *s, const char *folder_id, const char *mime, apr_size_t len,
                              const eas_flags *fl, apr_time_t received, int dedup,
                              apr_int64_t *uid_out, int *duplicate)
{
    unsigned char digest[SHA256_DIGEST_LENGTH];
    const char *hash_hex, *ms[1], *nu[1], *params[20];
    eas_mime_info info;
    const char *err = NULL;
    int own, rc;

    *duplicate = 0;
    eas_mime_init();
    if (eas_mime_parse(s->pool, mime, len, &info, &err) != 0) {
        s->error = err ? err : "cannot parse the message";
        return EAS_ST_ERROR;
    }
    SHA256((const unsigned char *)mime, len, digest);
    hash_hex = hex(s->pool, digest, sizeof(digest));

    if (eas_pg_tx_begin(s, &own) != 0 || eas_pg_next_modseq(s, ms) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    if (dedup) {
        /* the same bytes delivered to the same folder within a day: the MTA retried after we
         * had committed (lost exit status), not a new message */
        const char *dp[2] = {folder_id, hash_hex};
        PGresult *r = q(s,
                        "SELECT uid FROM items WHERE folder_id = $1 AND NOT expunged "
                        "AND blob_hash = decode($2, 'hex') "
                        "AND delivered_at > now() - interval '1 day' LIMIT 1",
                        2, dp);
        if (!r) {
            return eas_pg_tx_end(s, own, EAS_ST_ERROR);
        }
        if (PQntuples(r) == 1) {
            *uid_out = i64(PQgetvalue(r, 0, 0));
            *duplicate = 1;
            PQclear(r);
            return eas_pg_tx_end(s, own, EAS_ST_OK);
        }
        PQclear(r);
    }
    if (store_blob(s, hash_hex, mime, len, &info) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    params[0] = folder_id;
    params[1] = s->user_id;
    if (eas_db_row(s->db, s->pool, &s->error,
                   "UPDATE folders SET uidnext = uidnext + 1 WHERE id = $1 AND user_id = $2 "
                   "RETURNING uidnext - 1",
                   2, params, 1, nu) != 0) {
        return eas_pg_tx_end(s, own, EAS_ST_ERROR);
    }
    params[2] = nu[0];
    params[3] = ms[0];
    params[4] = hash_hex;
    if (received < 0) {
        received = info.date > 0 ? info.date : 0;
    }
    params[5] = I64(s->pool, received > 0 ? received : apr_time_now());
    params[6] = I64(s->pool, len);
    params[7] = info.subject;
    params[8] = info.from;
    params[9] = info.to;
    params[10] = info.cc;
    params[11] = info.reply_to;
    params[12] = info.display_to;
    params[13] = info.thread_topic;
    params[14] = info.message_id;
    params[15] = I64(s->pool, info.importance);
    params[16] = info.message_class;
    params[17] = eas_mime_preview(s->pool, info.text, 255);
    params[18] = any_real_attachment(&info) ? "t" : "f";
    params[19] = fl && fl->seen ? "t" : "f";
    {
        PGresult *r =
            q(s,
              "INSERT INTO items (folder_id, user_id, uid, modseq, blob_hash, received, size, "
              "subject, from_addr, to_addr, cc_addr, reply_to, display_to, thread_topic, "
              "message_id, importance, message_class, preview, has_attachments, seen) VALUES "
              "($1, $2, $3, $4, decode($5, 'hex'), to_timestamp($6::double precision / 1e6), "
              "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
              20, params);
        if (!r) {
            return eas_pg_tx_end(s, own, EAS_ST_ERROR);
        }
        PQclear(r);
    }
    *uid_out = i64(nu[0]);
    rc = eas_pg_tx_end(s, own, EAS_ST_OK);
    return rc;
}

const eas_store_provider eas_pgstore_provider = {
    "pgstore",        pg_ensure_defaults, pg_folders,       pg_folder_create, pg_folder_update,
    pg_folder_delete, pg_changes,         pg_count_changes, pg_fetch,         pg_set_flags,
    pg_move,          pg_expunge,         pg_empty,         pg_append,        pg_mime,
    eas_pg_pim_put,   eas_pg_pim_get,     eas_pg_pim_list,  eas_pg_search,
};
