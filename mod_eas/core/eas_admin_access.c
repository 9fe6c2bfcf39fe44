/* eas_admin_access.c — access decisions (override, rules, default) and their administration
 * (see eas_admin.h). */
#include <ctype.h>
#include <fnmatch.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_admin_int.h"
#include "eas_audit.h"
#include "eas_db.h"

typedef struct access_rule {
    const char *id, *action, *match, *pattern;
} access_rule;

/* What rules match on, from the device row. */
typedef struct access_subject {
    const char *user, *device_type, *model, *user_agent, *info_user_agent;
} access_subject;

static const char rules_sql[] =
    "SELECT id, action, match, pattern FROM access_rules ORDER BY priority, id";

static int is_access(const char *s)
{
    return s && (!strcmp(s, "allow") || !strcmp(s, "block") || !strcmp(s, "quarantine"));
}

static int is_match(const char *s)
{
    return s && (!strcmp(s, "user") || !strcmp(s, "device_type") || !strcmp(s, "model") ||
                 !strcmp(s, "user_agent"));
}

/* Rules copied out of the result, in evaluation order. */
static apr_array_header_t *load_rules(apr_pool_t *p, PGresult *r)
{
    apr_array_header_t *rules = apr_array_make(p, PQntuples(r) + 1, sizeof(access_rule));
    int row;

    for (row = 0; row < PQntuples(r); ++row) {
        access_rule *rule = apr_array_push(rules);
        rule->id = apr_pstrdup(p, PQgetvalue(r, row, 0));
        rule->action = apr_pstrdup(p, PQgetvalue(r, row, 1));
        rule->match = apr_pstrdup(p, PQgetvalue(r, row, 2));
        rule->pattern = apr_pstrdup(p, PQgetvalue(r, row, 3));
    }
    return rules;
}

/* Case-insensitive glob; a missing value is matched as "" (so only "*" matches it). */
static int glob(const char *pattern, const char *value)
{
    return fnmatch(pattern, value ? value : "", FNM_CASEFOLD) == 0;
}

static int rule_matches(const access_rule *rule, const access_subject *s)
{
    if (!strcmp(rule->match, "user")) {
        return glob(rule->pattern, s->user);
    }
    if (!strcmp(rule->match, "device_type")) {
        return glob(rule->pattern, s->device_type);
    }
    if (!strcmp(rule->match, "model")) {
        return glob(rule->pattern, s->model);
    }
    /* the HTTP User-Agent, or the one the device reported in DeviceInformation */
    return glob(rule->pattern, s->user_agent) ||
           (s->info_user_agent && glob(rule->pattern, s->info_user_agent));
}

static void decide(apr_pool_t *p, const apr_array_header_t *rules, const access_subject *s,
                   const char *override, const char *dflt, const char **state, const char **reason)
{
    int i;

    if (override) {
        *state = override;
        *reason = "administrator override";
        return;
    }
    for (i = 0; rules && i < rules->nelts; ++i) {
        const access_rule *rule = &APR_ARRAY_IDX(rules, i, access_rule);
        if (rule_matches(rule, s)) {
            *state = rule->action;
            *reason =
                apr_psprintf(p, "rule #%s: %s matches '%s'", rule->id, rule->match, rule->pattern);
            return;
        }
    }
    *state = is_access(dflt) ? dflt : "allow";
    *reason = "default";
}

static const char *cell(PGresult *r, int row, int col)
{
    return PQgetisnull(r, row, col) ? NULL : PQgetvalue(r, row, col);
}

/* Columns 0..8 of a device query: id, user, type, model, ua, info ua, override, state, reason;
 * then the default. */
#define SUBJECT_SQL                                                                                \
    "SELECT d.id, u.name, d.device_type, d.model, d.user_agent, d.info_user_agent,"                \
    " d.access_override, d.access_state, d.access_reason,"                                         \
    " COALESCE((SELECT value FROM server_settings WHERE name = 'access.default'), 'allow')"        \
    " FROM devices d JOIN users u ON u.id = d.user_id"

/* Decides for row `row` of a SUBJECT_SQL result and stores the decision if it changed. */
static int decide_and_store(PGconn *c, apr_pool_t *p, PGresult *r, int row,
                            const apr_array_header_t *rules, const char **state,
                            const char **reason, const char **err)
{
    access_subject s;
    const char *old_state = cell(r, row, 7), *old_reason = cell(r, row, 8);
    const char *params[3];
    PGresult *u;

    s.user = cell(r, row, 1);
    s.device_type = cell(r, row, 2);
    s.model = cell(r, row, 3);
    s.user_agent = cell(r, row, 4);
    s.info_user_agent = cell(r, row, 5);
    decide(p, rules, &s, cell(r, row, 6), cell(r, row, 9), state, reason);
    *state = apr_pstrdup(p, *state);
    *reason = apr_pstrdup(p, *reason);
    if (old_state && old_reason && !strcmp(old_state, *state) && !strcmp(old_reason, *reason)) {
        return 0;
    }
    params[0] = cell(r, row, 0);
    params[1] = *state;
    params[2] = *reason;
    u = eas_db_exec(c, p, err,
                    "UPDATE devices SET access_state = $2, access_reason = $3"
                    " WHERE id = $1::bigint",
                    3, params);
    if (!u) {
        return -1;
    }
    PQclear(u);
    return 0;
}

int eas_access_evaluate(PGconn *c, apr_pool_t *p, const char *device_pk, const char **state,
                        const char **reason, const char **err)
{
    const char *params[1] = {device_pk};
    apr_array_header_t *rules = NULL;
    PGresult *r, *rr;
    int rc;

    r = eas_db_exec(c, p, err, SUBJECT_SQL " WHERE d.id = $1::bigint", 1, params);
    if (!r) {
        return -1;
    }
    if (PQntuples(r) != 1) {
        PQclear(r);
        *err = apr_psprintf(p, "no device with id %s", device_pk ? device_pk : "(null)");
        return -1;
    }
    if (PQgetisnull(r, 0, 6)) { /* an override needs no rules */
        if (!(rr = eas_db_exec(c, p, err, rules_sql, 0, NULL))) {
            PQclear(r);
            return -1;
        }
        rules = load_rules(p, rr);
        PQclear(rr);
    }
    rc = decide_and_store(c, p, r, 0, rules, state, reason, err);
    PQclear(r);
    return rc;
}

int eas_admin_access_refresh_all(eas_admin *a)
{
    apr_array_header_t *rules;
    const char *state, *reason;
    PGresult *r;
    int row, rc = 0;

    if (!(r = eas_admin_exec(a, rules_sql, 0, NULL))) {
        return -1;
    }
    rules = load_rules(a->pool, r);
    PQclear(r);
    if (!(r = eas_admin_exec(a, SUBJECT_SQL " ORDER BY d.id FOR UPDATE OF d", 0, NULL))) {
        return -1;
    }
    for (row = 0; rc == 0 && row < PQntuples(r); ++row) {
        rc = decide_and_store(a->conn, a->pool, r, row, rules, &state, &reason, &a->err);
    }
    PQclear(r);
    return rc;
}

int eas_admin_access_override(eas_admin *a, const char *device_id, const char *user,
                              const char *override)
{
    eas_admin_device dev;
    const char *params[2], *state, *reason, *previous;
    PGresult *r;
    int rc;

    if (override && !is_access(override)) {
        return eas_admin_fail(a, "access must be allow, block or quarantine, not '%s'", override);
    }
    if (eas_admin_begin_device(a, device_id, user, &dev) != 0) {
        return -1;
    }
    params[0] = dev.pk;
    params[1] = override;
    if (!(r = eas_admin_exec(a, "SELECT access_override FROM devices WHERE id = $1::bigint", 1,
                             params))) {
        return eas_admin_end(a, -1);
    }
    previous = PQgetisnull(r, 0, 0) ? NULL : apr_pstrdup(a->pool, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (!override && !previous) {
        return eas_admin_end(a, eas_admin_fail(a,
                                               "device '%s' (user %s) has no access override: "
                                               "the rules decide already",
                                               dev.device_id, dev.user));
    }
    r = eas_admin_exec(a, "UPDATE devices SET access_override = $2 WHERE id = $1::bigint", 2,
                       params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    PQclear(r);
    rc = eas_access_evaluate(a->conn, a->pool, dev.pk, &state, &reason, &a->err);
    if (rc == 0) {
        rc = eas_admin_audit_write(
            a, override ? "access.override" : "access.clear", dev.user, dev.device_id,
            apr_psprintf(a->pool, "{\"override\": %s, \"previous\": %s, \"access\": %s}",
                         eas_json_str(a->pool, override), eas_json_str(a->pool, previous),
                         eas_json_str(a->pool, state)));
    }
    return eas_admin_end(a, rc);
}

int eas_admin_rule_list(eas_admin *a, eas_table **out)
{
    static const eas_col_type types[] = {EAS_COL_INT,  EAS_COL_INT,  EAS_COL_TEXT, EAS_COL_TEXT,
                                         EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_TEXT};
    PGresult *r =
        eas_admin_exec(a,
                       "SELECT id, priority, action, match, pattern,"
                       " " EAS_TS("created_at") " AS created_at, created_by"
                                                " FROM access_rules ORDER BY priority, id",
                       0, NULL);
    if (!r) {
        return -1;
    }
    *out = eas_table_from_result(a->pool, r, types);
    PQclear(r);
    return 0;
}

int eas_admin_rule_add(eas_admin *a, const char *action, const char *match, const char *pattern,
                       int priority, long *id_out)
{
    const char *params[5], *id;
    PGresult *r;
    int rc;

    if (!is_access(action)) {
        return eas_admin_fail(a, "a rule's action is allow, block or quarantine, not '%s'",
                              action ? action : "");
    }
    if (!is_match(match)) {
        return eas_admin_fail(a, "a rule matches user, device_type, model or user_agent, not '%s'",
                              match ? match : "");
    }
    if (!pattern || !*pattern) {
        return eas_admin_fail(a, "a rule needs a pattern (a glob such as 'Android*')");
    }
    if (eas_admin_begin(a) != 0) {
        return -1;
    }
    /* patterns match case-insensitively, so 'iphone*' and 'iPhone*' are the same rule */
    params[0] = match;
    params[1] = pattern;
    r = eas_admin_exec(
        a, "SELECT id FROM access_rules WHERE match = $1 AND lower(pattern) = lower($2)", 2,
        params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    if (PQntuples(r)) {
        rc = eas_admin_fail(a, "rule #%s already matches %s '%s'", PQgetvalue(r, 0, 0), match,
                            pattern);
        PQclear(r);
        return eas_admin_end(a, rc);
    }
    PQclear(r);
    params[0] = apr_itoa(a->pool, priority);
    params[1] = action;
    params[2] = match;
    params[3] = pattern;
    params[4] = a->actor;
    r = eas_admin_exec(a,
                       "INSERT INTO access_rules (priority, action, match, pattern, created_by)"
                       " VALUES ($1::integer, $2, $3, $4, $5) RETURNING id",
                       5, params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    id = apr_pstrdup(a->pool, PQgetvalue(r, 0, 0));
    PQclear(r);
    if (id_out) {
        *id_out = apr_atoi64(id);
    }
    rc = eas_admin_audit_write(
        a, "access.rule.add", NULL, NULL,
        apr_psprintf(a->pool,
                     "{\"id\": %s, \"priority\": %d, \"action\": %s, \"match\": %s,"
                     " \"pattern\": %s}",
                     id, priority, eas_json_str(a->pool, action), eas_json_str(a->pool, match),
                     eas_json_str(a->pool, pattern)));
    if (rc == 0) {
        rc = eas_admin_access_refresh_all(a);
    }
    return eas_admin_end(a, rc);
}

int eas_admin_rule_delete(eas_admin *a, const char *id)
{
    const char *params[1] = {id}, *s;
    PGresult *r;
    int rc;

    for (s = id; s && *s && isdigit((unsigned char)*s); ++s) {
    }
    if (!id || !*id || *s || strlen(id) > 18) {
        return eas_admin_fail(a, "a rule is named by its number (see: access rule list), not '%s'",
                              id ? id : "");
    }
    if (eas_admin_begin(a) != 0) {
        return -1;
    }
    r = eas_admin_exec(a,
                       "DELETE FROM access_rules WHERE id = $1::bigint"
                       " RETURNING priority, action, match, pattern",
                       1, params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    if (!PQntuples(r)) {
        PQclear(r);
        return eas_admin_end(a, eas_admin_fail(a, "no access rule #%s", id));
    }
    rc = eas_admin_audit_write(
        a, "access.rule.delete", NULL, NULL,
        apr_psprintf(a->pool,
                     "{\"id\": %s, \"priority\": %s, \"action\": %s, \"match\": %s,"
                     " \"pattern\": %s}",
                     id, PQgetvalue(r, 0, 0), eas_json_str(a->pool, PQgetvalue(r, 0, 1)),
                     eas_json_str(a->pool, PQgetvalue(r, 0, 2)),
                     eas_json_str(a->pool, PQgetvalue(r, 0, 3))));
    PQclear(r);
    if (rc == 0) {
        rc = eas_admin_access_refresh_all(a);
    }
    return eas_admin_end(a, rc);
}

int eas_admin_access_default_get(eas_admin *a, const char **value)
{
    PGresult *r = eas_admin_exec(a,
                                 "SELECT COALESCE((SELECT value FROM server_settings"
                                 " WHERE name = 'access.default'), 'allow')",
                                 0, NULL);
    if (!r) {
        return -1;
    }
    *value = apr_pstrdup(a->pool, PQgetvalue(r, 0, 0));
    PQclear(r);
    return 0;
}

int eas_admin_access_default_set(eas_admin *a, const char *value)
{
    const char *params[1] = {value}, *previous;
    PGresult *r;
    int rc;

    if (!is_access(value)) {
        return eas_admin_fail(a, "the default access is allow, block or quarantine, not '%s'",
                              value ? value : "");
    }
    if (eas_admin_begin(a) != 0) {
        return -1;
    }
    if (eas_admin_access_default_get(a, &previous) != 0) {
        return eas_admin_end(a, -1);
    }
    r = eas_admin_exec(a,
                       "INSERT INTO server_settings (name, value) VALUES ('access.default', $1)"
                       " ON CONFLICT (name) DO UPDATE SET value = $1, updated_at = now()",
                       1, params);
    if (!r) {
        return eas_admin_end(a, -1);
    }
    PQclear(r);
    rc = eas_admin_audit_write(a, "access.default", NULL, NULL,
                               apr_psprintf(a->pool, "{\"value\": %s, \"previous\": %s}",
                                            eas_json_str(a->pool, value),
                                            eas_json_str(a->pool, previous)));
    if (rc == 0) {
        rc = eas_admin_access_refresh_all(a);
    }
    return eas_admin_end(a, rc);
}
