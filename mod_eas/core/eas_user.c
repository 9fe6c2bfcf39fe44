/* eas_user.c — accounts as a directory (see eas_user.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_user.h"

#define COLS                                                                                       \
    "id, name, display_name, email, array_to_string(aliases, ','), first_name, last_name, title, " \
    "company, office, phone, mobile_phone, home_phone, alias, picture, gal_hidden"

static const char *val(PGresult *r, int row, int col, apr_pool_t *p)
{
    return PQgetisnull(r, row, col) ? NULL : apr_pstrdup(p, PQgetvalue(r, row, col));
}

static eas_user_info *from_row(PGresult *r, int row, apr_pool_t *p, const char *mail_domain)
{
    eas_user_info *u = apr_pcalloc(p, sizeof(*u));
    const char *aliases;
    u->id = val(r, row, 0, p);
    u->name = val(r, row, 1, p);
    u->display_name = val(r, row, 2, p);
    u->email = val(r, row, 3, p);
    aliases = val(r, row, 4, p);
    u->first_name = val(r, row, 5, p);
    u->last_name = val(r, row, 6, p);
    u->title = val(r, row, 7, p);
    u->company = val(r, row, 8, p);
    u->office = val(r, row, 9, p);
    u->phone = val(r, row, 10, p);
    u->mobile_phone = val(r, row, 11, p);
    u->home_phone = val(r, row, 12, p);
    u->alias = val(r, row, 13, p);
    if (!PQgetisnull(r, row, 14)) {
        size_t n = 0;
        unsigned char *raw = PQunescapeBytea((const unsigned char *)PQgetvalue(r, row, 14), &n);
        if (raw) {
            u->picture = apr_pmemdup(p, raw, n);
            u->picture_len = n;
            PQfreemem(raw);
        }
    }
    u->gal_hidden = PQgetvalue(r, row, 15)[0] == 't';
    if (!u->email || !*u->email) {
        if (strchr(u->name, '@')) {
            u->email = u->name;
        } else if (mail_domain && *mail_domain) {
            u->email = apr_pstrcat(p, u->name, "@", mail_domain, NULL);
        } else {
            u->email = NULL;
        }
    }
    if (!u->display_name || !*u->display_name) {
        if (u->first_name || u->last_name) {
            u->display_name = apr_pstrcat(p, u->first_name ? u->first_name : "",
                                          (u->first_name && u->last_name) ? " " : "",
                                          u->last_name ? u->last_name : "", NULL);
        } else {
            u->display_name = u->name;
        }
    }
    u->aliases = apr_array_make(p, 2, sizeof(const char *));
    if (aliases && *aliases) {
        char *list = apr_pstrdup(p, aliases), *tok, *state;
        for (tok = apr_strtok(list, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
            APR_ARRAY_PUSH(u->aliases, const char *) = tok;
        }
    }
    return u;
}

static int one(PGconn *c, apr_pool_t *p, const char *sql, int n, const char *const *params,
               const char *mail_domain, eas_user_info **out, const char **err)
{
    PGresult *r = eas_db_exec(c, p, err, sql, n, params);
    int rc;
    if (!r) {
        return -1;
    }
    rc = PQntuples(r) > 0 ? 0 : 1;
    if (rc == 0) {
        *out = from_row(r, 0, p, mail_domain);
    }
    PQclear(r);
    return rc;
}

int eas_user_get(PGconn *c, apr_pool_t *p, const char *name, const char *mail_domain,
                 eas_user_info **out, const char **err)
{
    const char *params[1] = {name};
    return one(c, p, "SELECT " COLS " FROM users WHERE name = $1", 1, params, mail_domain, out,
               err);
}

int eas_user_by_address(PGconn *c, apr_pool_t *p, const char *address, const char *mail_domain,
                        eas_user_info **out, const char **err)
{
    const char *at = address ? strchr(address, '@') : NULL;
    const char *params[2];
    if (!at || at == address || !at[1]) {
        return 1;
    }
    params[0] = address;
    /* the local part alone names a user when the domain is the configured mail domain */
    params[1] = (mail_domain && strcasecmp(at + 1, mail_domain) == 0)
                    ? apr_pstrndup(p, address, (apr_size_t)(at - address))
                    : NULL;
    /* explicit addresses win over names, so an address moved to another user follows it */
    return one(c, p,
               "SELECT " COLS " FROM users WHERE lower(email) = lower($1) "
               "OR lower($1) = ANY (aliases) OR lower(name) = lower($1) "
               "OR (email IS NULL AND $2::text IS NOT NULL AND lower(name) = lower($2)) "
               "ORDER BY (lower(email) = lower($1)) IS TRUE DESC, "
               "(lower($1) = ANY (aliases)) DESC, id LIMIT 1",
               2, params, mail_domain, out, err);
}

int eas_user_owns_address(const eas_user_info *u, const char *addr)
{
    int i;
    if (!addr || !*addr) {
        return 0;
    }
    if ((u->email && strcasecmp(u->email, addr) == 0) || strcasecmp(u->name, addr) == 0) {
        return 1;
    }
    for (i = 0; u->aliases && i < u->aliases->nelts; ++i) {
        if (strcasecmp(APR_ARRAY_IDX(u->aliases, i, const char *), addr) == 0) {
            return 1;
        }
    }
    return 0;
}

apr_array_header_t *eas_user_addresses(apr_pool_t *p, const eas_user_info *u)
{
    apr_array_header_t *a = apr_array_make(p, 2, sizeof(const char *));
    int i;
    if (u->email) {
        APR_ARRAY_PUSH(a, const char *) = u->email;
    }
    for (i = 0; u->aliases && i < u->aliases->nelts; ++i) {
        const char *x = APR_ARRAY_IDX(u->aliases, i, const char *);
        if (!u->email || strcasecmp(x, u->email) != 0) {
            APR_ARRAY_PUSH(a, const char *) = x;
        }
    }
    return a;
}

int eas_user_search(PGconn *c, apr_pool_t *p, const char *query, const char *mail_domain, int limit,
                    apr_array_header_t **out, const char **err)
{
    const char *params[2];
    PGresult *r;
    int i;
    char *like = apr_palloc(p, 2 * strlen(query ? query : "") + 2), *w = like;
    const char *s;

    /* LIKE metacharacters in the query are literal */
    for (s = query ? query : ""; *s; ++s) {
        if (*s == '%' || *s == '_' || *s == '\\') {
            *w++ = '\\';
        }
        *w++ = *s;
    }
    *w++ = '%';
    *w = '\0';
    params[0] = like;
    params[1] = apr_psprintf(p, "%d", limit + 1);
    r = eas_db_exec(c, p, err,
                    "SELECT " COLS " FROM users WHERE NOT gal_hidden AND ("
                    "lower(coalesce(display_name, '')) LIKE lower($1) "
                    "OR lower(coalesce(display_name, '')) LIKE '% ' || lower($1) "
                    "OR lower(coalesce(first_name, '')) LIKE lower($1) "
                    "OR lower(coalesce(last_name, '')) LIKE lower($1) "
                    "OR lower(coalesce(alias, '')) LIKE lower($1) "
                    "OR lower(coalesce(email, '')) LIKE lower($1) "
                    "OR lower(name) LIKE lower($1) "
                    "OR EXISTS (SELECT 1 FROM unnest(aliases) a WHERE a LIKE lower($1))) "
                    "ORDER BY lower(coalesce(display_name, name)), id LIMIT $2::int",
                    2, params);
    if (!r) {
        return -1;
    }
    *out = apr_array_make(p, PQntuples(r), sizeof(eas_user_info *));
    for (i = 0; i < PQntuples(r); ++i) {
        APR_ARRAY_PUSH(*out, eas_user_info *) = from_row(r, i, p, mail_domain);
    }
    PQclear(r);
    return 0;
}

const eas_user_field eas_user_fields[] = {
    {"display-name", "display_name"},
    {"email", "email"},
    {"first-name", "first_name"},
    {"last-name", "last_name"},
    {"title", "title"},
    {"company", "company"},
    {"office", "office"},
    {"phone", "phone"},
    {"mobile-phone", "mobile_phone"},
    {"home-phone", "home_phone"},
    {"alias", "alias"},
    {NULL, NULL},
};

static int known_column(const char *col)
{
    int i;
    for (i = 0; eas_user_fields[i].column; ++i) {
        if (!strcmp(eas_user_fields[i].column, col)) {
            return 1;
        }
    }
    return 0;
}

/* An address may belong to one user only (as primary or additional address). */
static int address_taken(PGconn *c, apr_pool_t *p, const char *id, const char *addr,
                         const char **err)
{
    const char *params[2] = {id, addr};
    PGresult *r = eas_db_exec(c, p, err,
                              "SELECT name FROM users WHERE id <> $1::bigint AND "
                              "(lower(email) = lower($2) OR lower($2) = ANY (aliases)) LIMIT 1",
                              2, params);
    int taken;
    if (!r) {
        return -1;
    }
    taken = PQntuples(r) > 0;
    if (taken) {
        *err = apr_psprintf(p, "%s is already an address of %s", addr, PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return taken ? 2 : 0;
}

static int apply(PGconn *c, apr_pool_t *p, const char *id, const eas_user_change *ch,
                 const char **err)
{
    const char *params[2] = {id, ch->value};
    const char *sql;
    PGresult *r;
    int rc;

    if (!strcmp(ch->column, "+address") || !strcmp(ch->column, "email")) {
        const char *at = ch->value ? strchr(ch->value, '@') : NULL;
        if (ch->value && (!at || at == ch->value || !at[1] || strpbrk(ch->value, " <>,;\""))) {
            *err = apr_psprintf(p, "'%s' is not an e-mail address", ch->value);
            return 2;
        }
        if (ch->value && (rc = address_taken(c, p, id, ch->value, err)) != 0) {
            return rc;
        }
    }
    if (!strcmp(ch->column, "+address")) {
        sql = "UPDATE users SET aliases = array_append(array_remove(aliases, lower($2)), "
              "lower($2)) WHERE id = $1::bigint";
    } else if (!strcmp(ch->column, "-address")) {
        sql = "UPDATE users SET aliases = array_remove(aliases, lower($2)) WHERE id = $1::bigint";
    } else if (!strcmp(ch->column, "gal_hidden")) {
        sql = "UPDATE users SET gal_hidden = $2::boolean WHERE id = $1::bigint";
    } else if (!strcmp(ch->column, "picture")) {
        const char *types[2];
        int lens[2] = {0, (int)ch->len}, fmts[2] = {0, 1};
        Oid oids[2] = {0, 17 /* bytea */};
        (void)types;
        r = PQexecParams(c, "UPDATE users SET picture = $2 WHERE id = $1::bigint", 2, oids, params,
                         lens, fmts, 0);
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
            *err = apr_pstrdup(p, PQerrorMessage(c));
            PQclear(r);
            return -1;
        }
        PQclear(r);
        return 0;
    } else if (known_column(ch->column)) {
        /* the column name comes from the fixed table above, never from input */
        sql = apr_psprintf(p, "UPDATE users SET %s = NULLIF($2, '') WHERE id = $1::bigint",
                           ch->column);
    } else {
        *err = apr_psprintf(p, "unknown user attribute %s", ch->column);
        return -1;
    }
    if (!(r = eas_db_exec(c, p, err, sql, 2, params))) {
        return -1;
    }
    PQclear(r);
    return 0;
}

int eas_user_update(PGconn *c, apr_pool_t *p, const char *name, int create,
                    const apr_array_header_t *changes, const char **err)
{
    const char *id = NULL, *params[1] = {name};
    PGresult *r;
    int i, rc = 0;

    if (eas_db_cmd(c, p, err, "BEGIN") != 0) {
        return -1;
    }
    r = eas_db_exec(c, p, err,
                    create ? "INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO UPDATE "
                             "SET name = EXCLUDED.name RETURNING id"
                           : "SELECT id FROM users WHERE name = $1 FOR UPDATE",
                    1, params);
    if (!r) {
        rc = -1;
    } else if (PQntuples(r) == 0) {
        *err = apr_psprintf(p,
                            "no such user: %s (users appear on their first sync, or use "
                            "--create)",
                            name);
        rc = 1;
    } else {
        id = apr_pstrdup(p, PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    for (i = 0; rc == 0 && changes && i < changes->nelts; ++i) {
        rc = apply(c, p, id, &APR_ARRAY_IDX(changes, i, eas_user_change), err);
    }
    if (rc == 0 && eas_db_cmd(c, p, err, "COMMIT") == 0) {
        return 0;
    }
    {
        const char *keep = *err;
        eas_db_cmd(c, p, err, "ROLLBACK");
        *err = keep;
    }
    return rc ? rc : -1;
}
