/* eas_admin_overview.c — the console's overview: devices by state, users, held Pings and
 * requests per hour from command_stats (see eas_admin.h, docs/console.md). Three reads, no
 * transaction: the page is a glance at a moving system, not a report. */
#include <string.h>

#include <apr_strings.h>

#include "eas_admin_int.h"

/* One scan of devices grouped three ways. Every state the schema allows is listed (k), so a
 * state without devices shows as 0; a value k does not know still appears (FULL JOIN), last. The
 * policy state is the device list's (eas_admin_device_list), so each count matches its filter. */
static const char states_sql[] =
    "WITH k(kind, state, ord) AS (VALUES ('access', 'allow', 1), ('access', 'block', 2),"
    "  ('access', 'quarantine', 3), ('wipe', 'none', 4), ('wipe', 'requested', 5),"
    "  ('wipe', 'sent', 6), ('wipe', 'acknowledged', 7), ('policy', 'current', 8),"
    "  ('policy', 'changed', 9), ('policy', 'pending', 10), ('policy', 'unprovisioned', 11)),"
    " c AS (SELECT CASE WHEN grouping(access_state) = 0 THEN 'access'"
    "                   WHEN grouping(wipe_state) = 0 THEN 'wipe' ELSE 'policy' END AS kind,"
    "              coalesce(access_state, wipe_state, policy) AS state, count(*) AS n"
    "         FROM (SELECT d.access_state, d.wipe_state,"
    "                      " EAS_POLICY_STATE_SQL " AS policy"
    "                 FROM devices d, policy_generation g) d"
    "        GROUP BY GROUPING SETS ((access_state), (wipe_state), (policy)))"
    " SELECT kind, state, coalesce(c.n, 0) AS devices FROM k FULL JOIN c USING (kind, state)"
    " ORDER BY coalesce(k.ord, 100), kind, state";

static const char totals_sql[] = "SELECT (SELECT count(*) FROM users),"
                                 " (SELECT count(*) FROM ping_states WHERE held)";

/* $1 hours ending with the current one (UTC, as touch_sql writes them); an hour without rows is
 * a row of zeros. */
static const char hours_sql[] =
    "SELECT to_char(h AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') AS hour,"
    " coalesce(sum(s.n), 0) AS total,"
    " coalesce(sum(s.n) FILTER (WHERE s.command = 'Sync'), 0) AS sync,"
    " coalesce(sum(s.n) FILTER (WHERE s.command = 'Ping'), 0) AS ping,"
    " coalesce(sum(s.n) FILTER (WHERE s.command NOT IN ('Sync', 'Ping')), 0) AS other"
    " FROM generate_series(date_trunc('hour', now(), 'UTC') - ($1::int - 1) * interval '1 hour',"
    "                      date_trunc('hour', now(), 'UTC'), interval '1 hour') AS h"
    " LEFT JOIN command_stats s ON s.hour = h"
    " GROUP BY h ORDER BY h";

int eas_admin_overview_get(eas_admin *a, eas_admin_overview *out)
{
    static const eas_col_type state_types[] = {EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_INT};
    static const eas_col_type hour_types[] = {EAS_COL_TEXT, EAS_COL_INT, EAS_COL_INT, EAS_COL_INT,
                                              EAS_COL_INT};
    const char *params[1] = {apr_itoa(a->pool, EAS_OVERVIEW_HOURS)};
    PGresult *r;
    int i, kind;

    memset(out, 0, sizeof(*out));
    if (!(r = eas_admin_exec(a, states_sql, 0, NULL))) {
        return -1;
    }
    out->states = eas_table_from_result(a->pool, r, state_types);
    PQclear(r);
    /* every device has exactly one access state: their sum is the total, from the same scan */
    kind = eas_table_col(out->states, "kind");
    for (i = 0; i < out->states->rows->nelts; ++i) {
        const char *k = eas_table_cell(out->states, i, kind),
                   *n = eas_table_cell(out->states, i, 2);
        if (k && n && strcmp(k, "access") == 0) {
            out->devices += apr_atoi64(n);
        }
    }

    if (!(r = eas_admin_exec(a, totals_sql, 0, NULL))) {
        return -1;
    }
    out->users = apr_atoi64(PQgetvalue(r, 0, 0));
    out->held_pings = apr_atoi64(PQgetvalue(r, 0, 1));
    PQclear(r);

    if (!(r = eas_admin_exec(a, hours_sql, 1, params))) {
        return -1;
    }
    out->syncs = eas_table_from_result(a->pool, r, hour_types);
    PQclear(r);
    return 0;
}
