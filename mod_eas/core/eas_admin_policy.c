/* eas_admin_policy.c — policy administration per scope and the audit log reader
 * (see eas_admin.h). Field knowledge (names, types, ranges, defaults) stays in eas_policy.c. */
#include <ctype.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_admin_int.h"
#include "eas_audit.h"
#include "eas_db.h"

/* A scope resolved to what the policies table stores. */
typedef struct scope_ref {
    eas_policy_scope scope;
    const char *key;       /* policies.scope_key */
    const char *device_pk; /* device scope */
    const char *domain, *user;
    const char *audit_user, *audit_device; /* audit_log columns */
    const char *label;                     /* for messages: "user alice" */
} scope_ref;

static int resolve_scope(eas_admin *a, const eas_admin_scope *s, int lock, scope_ref *out)
{
    const char *c;

    memset(out, 0, sizeof(*out));
    out->scope = s->scope;
    switch (s->scope) {
    case EAS_SCOPE_GLOBAL:
        out->key = "";
        out->label = "global scope";
        return 0;
    case EAS_SCOPE_DOMAIN:
        for (c = s->domain; c && *c && !isspace((unsigned char)*c) && *c != '@'; ++c) {
        }
        if (!s->domain || !*s->domain || *c) {
            return eas_admin_fail(a, "invalid domain '%s' (a mail domain such as example.com)",
                                  s->domain ? s->domain : "");
        }
        {
            /* domains are stored lower-case; lookups compare case-insensitively */
            char *lc = apr_pstrdup(a->pool, s->domain), *p;
            for (p = lc; *p; ++p) {
                *p = (char)tolower((unsigned char)*p);
            }
            out->key = out->domain = lc;
        }
        out->label = apr_psprintf(a->pool, "domain %s", s->domain);
        return 0;
    case EAS_SCOPE_USER:
        if (!s->user || !*s->user) {
            return eas_admin_fail(a, "no user given");
        }
        if (eas_admin_user_check(a, s->user) != 0) {
            return -1;
        }
        out->key = out->user = out->audit_user = s->user;
        out->domain = eas_policy_user_domain(s->user);
        out->label = apr_psprintf(a->pool, "user %s", s->user);
        return 0;
    case EAS_SCOPE_DEVICE: {
        eas_admin_device dev;
        if (eas_admin_device_lookup(a, s->device_id, s->user, lock, &dev) != 0) {
            return -1;
        }
        out->key = out->device_pk = dev.pk;
        out->user = out->audit_user = dev.user;
        out->audit_device = dev.device_id;
        out->domain = eas_policy_user_domain(dev.user);
        out->label = apr_psprintf(a->pool, "device %s (user %s)", dev.device_id, dev.user);
        return 0;
    }
    default:
        return eas_admin_fail(a, "a policy scope is global, domain, user or device");
    }
}

static eas_policy_scope scope_of(const char *s)
{
    return !strcmp(s, "global")   ? EAS_SCOPE_GLOBAL
           : !strcmp(s, "domain") ? EAS_SCOPE_DOMAIN
           : !strcmp(s, "user")   ? EAS_SCOPE_USER
                                  : EAS_SCOPE_DEVICE;
}

/* A field by name, or an error pointing at the list. */
static int field_named(eas_admin *a, const char *name)
{
    int i = eas_policy_field_index(name);
    if (i < 0) {
        eas_admin_fail(a, "unknown policy setting '%s' (see: policy fields)", name ? name : "");
    }
    return i;
}

int eas_admin_policy_effective(eas_admin *a, const char *domain, const char *user,
                               const char *device_pk, const char *only, eas_policy *pol,
                               eas_table **out)
{
    /* later rows override earlier ones, as in eas_policy_load; the key says where from */
    static const char sql[] =
        "SELECT p.scope, p.name, p.value,"
        " CASE p.scope WHEN 'device' THEN d.device_id WHEN 'global' THEN NULL"
        " ELSE p.scope_key END"
        " FROM policies p LEFT JOIN devices d ON d.id = p.device_pk"
        " WHERE p.scope = 'global' OR (p.scope = 'domain' AND lower(p.scope_key) = lower($1))"
        " OR (p.scope = 'user' AND p.scope_key = $2)"
        " OR (p.scope = 'device' AND p.device_pk = $3::bigint)"
        " ORDER BY CASE p.scope WHEN 'global' THEN 1 WHEN 'domain' THEN 2 WHEN 'user' THEN 3"
        " ELSE 4 END";
    static const char *const names[] = {"name", "value", "source", "source_key"};
    const char *params[3] = {domain, user, device_pk};
    const char *keys[EAS_POLICY_NFIELDS] = {NULL};
    eas_policy local;
    PGresult *r;
    int row, i, want = -1;

    if (only && (want = field_named(a, only)) < 0) {
        return -1;
    }
    pol = pol ? pol : &local;
    eas_policy_defaults(pol);
    if (!(r = eas_admin_exec(a, sql, 3, params))) {
        return -1;
    }
    for (row = 0; row < PQntuples(r); ++row) {
        const char *norm;
        i = eas_policy_field_index(PQgetvalue(r, row, 1));
        if (i < 0 || eas_policy_check_value(a->pool, i, PQgetvalue(r, row, 2), &norm) != NULL) {
            continue; /* ignored by eas_policy_load too */
        }
        pol->value[i] = apr_pstrdup(a->pool, norm);
        pol->source[i] = scope_of(PQgetvalue(r, row, 0));
        keys[i] = PQgetisnull(r, row, 3) ? NULL : apr_pstrdup(a->pool, PQgetvalue(r, row, 3));
    }
    PQclear(r);
    *out = eas_table_make(a->pool, 4, names, NULL);
    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        const char **cells;
        if (want >= 0 && i != want) {
            continue;
        }
        cells = eas_table_add(*out);
        cells[0] = eas_policy_field_at(i)->name;
        cells[1] = pol->value[i];
        cells[2] = eas_policy_scope_name(pol->source[i]);
        cells[3] = keys[i];
    }
    return 0;
}

int eas_admin_policy_show(eas_admin *a, const eas_admin_scope *s, const char *name, eas_table **out)
{
    scope_ref ref;

    if (resolve_scope(a, s, 0, &ref) != 0) {
        return -1;
    }
    return eas_admin_policy_effective(a, ref.domain, ref.user, ref.device_pk, name, NULL, out);
}

/* The value stored at exactly this scope (locked), or NULL. */
static int stored_value(eas_admin *a, const scope_ref *ref, const char *name, const char **value)
{
    const char *params[3] = {eas_policy_scope_name(ref->scope), ref->key, name};
    PGresult *r = eas_admin_exec(a,
                                 "SELECT value FROM policies WHERE scope = $1 AND scope_key = $2"
                                 " AND lower(name) = lower($3) FOR UPDATE",
                                 3, params);
    if (!r) {
        return -1;
    }
    *value = PQntuples(r) ? apr_pstrdup(a->pool, PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return 0;
}

static const char *policy_details(eas_admin *a, const scope_ref *ref, const char *name,
                                  const char *value, const char *previous)
{
    return apr_psprintf(a->pool,
                        "{\"scope\": %s, \"key\": %s, \"name\": %s, \"value\": %s,"
                        " \"previous\": %s}",
                        eas_json_str(a->pool, eas_policy_scope_name(ref->scope)),
                        eas_json_str(a->pool, ref->audit_device ? ref->audit_device : ref->key),
                        eas_json_str(a->pool, name), eas_json_str(a->pool, value),
                        eas_json_str(a->pool, previous));
}

int eas_admin_policy_set(eas_admin *a, const eas_admin_scope *s, const char *name,
                         const char *value, const char **stored)
{
    const char *norm, *why, *previous, *params[6];
    scope_ref ref;
    PGresult *r;
    int i, rc;

    if ((i = field_named(a, name)) < 0) {
        return -1;
    }
    if (!value) {
        return eas_admin_fail(a, "no value given for %s", eas_policy_field_at(i)->name);
    }
    if ((why = eas_policy_check_value(a->pool, i, value, &norm)) != NULL) {
        return eas_admin_fail(a, "invalid value '%s': %s", value, why);
    }
    name = eas_policy_field_at(i)->name;
    if (stored) {
        *stored = norm;
    }
    if (eas_admin_begin(a) != 0) {
        return -1;
    }
    if (resolve_scope(a, s, 1, &ref) != 0 || stored_value(a, &ref, name, &previous) != 0) {
        return eas_admin_end(a, -1);
    }
    params[0] = eas_policy_scope_name(ref.scope);
    params[1] = ref.key;
    params[2] = name;
    params[3] = norm;
    params[4] = ref.device_pk;
    params[5] = a->actor;
    /* a row stored by hand in another case would not conflict: replace it */
    r = eas_admin_exec(a,
                       "DELETE FROM policies WHERE scope = $1 AND scope_key = $2"
                       " AND lower(name) = lower($3) AND name <> $3",
                       3, params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    PQclear(r);
    r = eas_admin_exec(a,
                       "INSERT INTO policies (scope, scope_key, name, value, device_pk, updated_by)"
                       " VALUES ($1, $2, $3, $4, $5::bigint, $6)"
                       " ON CONFLICT (scope, scope_key, name) DO UPDATE"
                       " SET value = EXCLUDED.value, updated_at = now(),"
                       " updated_by = EXCLUDED.updated_by",
                       6, params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    PQclear(r);
    rc = eas_admin_audit_write(a, "policy.set", ref.audit_user, ref.audit_device,
                               policy_details(a, &ref, name, norm, previous));
    return eas_admin_end(a, rc);
}

int eas_admin_policy_unset(eas_admin *a, const eas_admin_scope *s, const char *name)
{
    const char *previous, *params[3];
    scope_ref ref;
    PGresult *r;
    int i, rc;

    if ((i = field_named(a, name)) < 0) {
        return -1;
    }
    name = eas_policy_field_at(i)->name;
    if (eas_admin_begin(a) != 0) {
        return -1;
    }
    if (resolve_scope(a, s, 1, &ref) != 0 || stored_value(a, &ref, name, &previous) != 0) {
        return eas_admin_end(a, -1);
    }
    if (!previous) {
        return eas_admin_end(a, eas_admin_fail(a, "%s is not set at %s", name, ref.label));
    }
    params[0] = eas_policy_scope_name(ref.scope);
    params[1] = ref.key;
    params[2] = name;
    r = eas_admin_exec(a,
                       "DELETE FROM policies WHERE scope = $1 AND scope_key = $2"
                       " AND lower(name) = lower($3)",
                       3, params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    PQclear(r);
    rc = eas_admin_audit_write(a, "policy.unset", ref.audit_user, ref.audit_device,
                               policy_details(a, &ref, name, NULL, previous));
    return eas_admin_end(a, rc);
}

static const char *type_name(eas_policy_type t)
{
    switch (t) {
    case EAS_PT_BOOL:
        return "bool";
    case EAS_PT_UINT:
        return "uint";
    case EAS_PT_UINT_OR_EMPTY:
        return "uint-or-empty";
    case EAS_PT_INT:
        return "int";
    case EAS_PT_LIST:
        return "list";
    case EAS_PT_VERSION:
        return "version";
    }
    return "?";
}

eas_table *eas_admin_policy_fields(apr_pool_t *p)
{
    static const char *const names[] = {"name", "type", "range", "default", "in_doc", "help"};
    static const eas_col_type types[] = {EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_TEXT,
                                         EAS_COL_TEXT, EAS_COL_BOOL, EAS_COL_TEXT};
    eas_table *t = eas_table_make(p, 6, names, types);
    int i;

    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        const eas_policy_field *f = eas_policy_field_at(i);
        const char **cells = eas_table_add(t);
        cells[0] = f->name;
        cells[1] = type_name(f->type);
        switch (f->type) {
        case EAS_PT_BOOL:
            cells[2] = "0|1";
            break;
        case EAS_PT_UINT:
        case EAS_PT_INT:
            cells[2] = apr_psprintf(p, "%ld..%ld", f->min, f->max);
            break;
        case EAS_PT_UINT_OR_EMPTY:
            cells[2] = apr_psprintf(p, "%ld..%ld or empty", f->min, f->max);
            break;
        case EAS_PT_LIST:
            cells[2] = "comma-separated";
            break;
        case EAS_PT_VERSION:
            cells[2] = "12.0..16.1";
            break;
        }
        cells[3] = f->dflt;
        cells[4] = f->in_doc ? "1" : "0";
        cells[5] = f->help;
    }
    return t;
}

/* "30m", "12h", "7d", "2w" -> an interval, else NULL. */
static const char *relative_age(apr_pool_t *p, const char *s)
{
    const char *c = s, *unit;

    while (isdigit((unsigned char)*c)) {
        ++c;
    }
    if (c == s || c - s > 9 || !c[0] || c[1]) {
        return NULL;
    }
    unit = *c == 's'   ? "seconds"
           : *c == 'm' ? "minutes"
           : *c == 'h' ? "hours"
           : *c == 'd' ? "days"
           : *c == 'w' ? "weeks"
                       : NULL;
    return unit ? apr_psprintf(p, "%.*s %s", (int)(c - s), s, unit) : NULL;
}

int eas_admin_audit(eas_admin *a, const char *since, const char *user, const char *device_id,
                    int limit, eas_table **out)
{
    static const char sql[] = "SELECT * FROM (SELECT id, " EAS_TS(
        "at") " AS at, actor, action, user_name AS user,"
              " device_id, details::text AS details FROM audit_log"
              " WHERE ($1::timestamptz IS NULL OR at >= $1::timestamptz)"
              " AND ($2::interval IS NULL OR at >= now() - $2::interval)"
              " AND ($3::text IS NULL OR user_name = $3) AND ($4::text IS NULL OR device_id = $4)"
              " ORDER BY id DESC LIMIT $5::integer) recent ORDER BY id";
    static const eas_col_type types[] = {EAS_COL_INT,  EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_TEXT,
                                         EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_JSON};
    const char *params[5] = {NULL, NULL, user, device_id, NULL};
    PGresult *r;

    if (since && !(params[1] = relative_age(a->pool, since))) {
        const char *check[1] = {since};
        /* a bad time is the administrator's typo, not a database failure */
        r = eas_db_exec(a->conn, a->pool, NULL, "SELECT $1::timestamptz", 1, check);
        if (!r) {
            return eas_admin_fail(a,
                                  "invalid time '%s' (a timestamp such as 2024-05-01 or "
                                  "'2024-05-01 12:00+02', or an age such as 30m, 12h, 7d, 2w)",
                                  since);
        }
        PQclear(r);
        params[0] = since;
    }
    params[4] = apr_itoa(a->pool, limit > 0 ? limit : 100);
    if (!(r = eas_admin_exec(a, sql, 5, params))) {
        return -1;
    }
    *out = eas_table_from_result(a->pool, r, types);
    PQclear(r);
    return 0;
}
