/* Unit tests of the console's overview page: hostile cells escaped everywhere (state tables,
 * chart titles, the table), one bar per hour, bars scaled to the highest hour, stacked parts,
 * links to the filtered device list, and no division by zero when every hour is empty. No
 * database: the tables are built by hand with the columns eas_admin_overview_get returns. */
#include <stdio.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_console.h"
#include "tap.h"

static apr_pool_t *pool;

#define EVIL "\"><script>alert(1)</script>"

static const eas_console_page page = {"/eas-admin", "admin", "123.abc", NULL, 0};

static eas_table *states(int evil)
{
    static const char *const names[] = {"kind", "state", "devices"};
    static const eas_col_type types[] = {EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_INT};
    static const char *const rows[][3] = {
        {"access", "allow", "3"},         {"access", "block", "1"},
        {"access", "quarantine", "0"},    {"wipe", "none", "3"},
        {"wipe", "requested", "1"},       {"wipe", "sent", "0"},
        {"wipe", "acknowledged", "0"},    {"policy", "current", "2"},
        {"policy", "changed", "0"},       {"policy", "pending", "0"},
        {"policy", "unprovisioned", "2"},
    };
    eas_table *t = eas_table_make(pool, 3, names, types);
    size_t i;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        const char **r = eas_table_add(t);
        r[0] = rows[i][0];
        r[1] = rows[i][1];
        r[2] = rows[i][2];
    }
    if (evil) {
        const char **r = eas_table_add(t);
        r[0] = "access";
        r[1] = EVIL;
        r[2] = "7<b>";
        r = eas_table_add(t);
        r[0] = EVIL;
        r[1] = "x&y";
        r[2] = "1";
    }
    return t;
}

/* 48 hours from 2024-05-01T00:00:00Z; counts[i] = {sync, ping, other} (NULL: all zero). */
static eas_table *hours(const apr_int64_t (*counts)[3])
{
    static const char *const names[] = {"hour", "total", "sync", "ping", "other"};
    static const eas_col_type types[] = {EAS_COL_TEXT, EAS_COL_INT, EAS_COL_INT, EAS_COL_INT,
                                         EAS_COL_INT};
    eas_table *t = eas_table_make(pool, 5, names, types);
    int i, k;

    for (i = 0; i < EAS_OVERVIEW_HOURS; ++i) {
        const char **r = eas_table_add(t);
        apr_int64_t total = 0;
        r[0] = apr_psprintf(pool, "2024-05-%02dT%02d:00:00Z", 1 + i / 24, i % 24);
        for (k = 0; k < 3; ++k) {
            apr_int64_t v = counts ? counts[i][k] : 0;
            r[2 + k] = apr_psprintf(pool, "%" APR_INT64_T_FMT "", v);
            total += v;
        }
        r[1] = apr_psprintf(pool, "%" APR_INT64_T_FMT "", total);
    }
    return t;
}

static int count_of(const char *h, const char *needle)
{
    int n = 0;
    for (; h && (h = strstr(h, needle)); h += strlen(needle)) {
        ++n;
    }
    return n;
}

/* The <g class="bar"> of one hour, up to its end. */
static const char *bar(const char *h, const char *hour)
{
    const char *g = strstr(h, apr_pstrcat(pool, "<g class=\"bar\" data-hour=\"", hour, "\"", NULL));
    const char *end = g ? strstr(g, "</g>") : NULL;
    return end ? apr_pstrndup(pool, g, (apr_size_t)(end - g)) : "";
}

static void common_checks(const char *h, const char *what)
{
    ok(h != NULL, "%s: rendered", what);
    ok(h && !strcasestr(h, "<script"), "%s: no <script>", what);
    ok(h && strstr(h, "<!DOCTYPE html>") && strstr(h, "</html>"), "%s: whole document", what);
    ok(h && !strstr(h, "http://") && !strstr(h, "https://"), "%s: nothing external", what);
}

static void test_totals_and_states(void)
{
    eas_admin_overview ov = {states(1), hours(NULL), 4, 3, 2};
    const char *h = eas_console_overview(pool, &page, &ov);

    common_checks(h, "overview");
    ok(strstr(h, "<title>Overview - mod_eas console</title>") != NULL, "title");
    ok(strstr(h, "id=\"device-total\" href=\"/eas-admin/devices\">4</a>") != NULL,
       "device total links to the list");
    ok(strstr(h, "<dd id=\"user-total\">3</dd>") != NULL, "user total");
    ok(strstr(h, "<span id=\"held-pings\">2</span>") != NULL, "held pings");
    ok(strstr(h, "<table id=\"states-access\">") && strstr(h, "<table id=\"states-wipe\">") &&
           strstr(h, "<table id=\"states-policy\">"),
       "one table per kind");
    ok(strstr(h, "id=\"count-access-block\"><a href=\"/eas-admin/devices?state=block\">1</a>") !=
           NULL,
       "access count links to the filtered device list");
    ok(strstr(h, "id=\"count-wipe-requested\"><a href=\"/eas-admin/devices?state=requested\">1"
                 "</a>") != NULL,
       "wipe count links too");
    ok(strstr(h, "id=\"count-policy-unprovisioned\"><a href=\"/eas-admin/devices?state="
                 "unprovisioned\">2</a>") != NULL,
       "policy count links too");
    ok(strstr(h, "<a href=\"/eas-admin/devices?state=%22%3E%3Cscript%3Ealert%281%29%3C%2Fscript%"
                 "3E\">7&lt;b&gt;</a>") != NULL,
       "hostile state: URL-encoded in the link, count escaped");
    ok(strstr(h, "<table id=\"states-&quot;&gt;&lt;script&gt;") != NULL &&
           strstr(h, ">&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</caption>") != NULL,
       "hostile kind escaped in id and caption");
    ok(strstr(h, "id=\"count-&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;-x&amp;y\">1</td>") !=
           NULL,
       "hostile kind: no link, id escaped");
}

static void test_chart(void)
{
    static apr_int64_t c[EAS_OVERVIEW_HOURS][3];
    eas_admin_overview ov = {states(0), NULL, 4, 3, 0};
    const char *h, *g;

    memset(c, 0, sizeof(c));
    c[10][0] = 50; /* 2024-05-01T10: the highest hour, 100 */
    c[10][1] = 30;
    c[10][2] = 20;
    c[20][0] = 50; /* 2024-05-01T20: half of it, only Sync */
    c[47][2] = 1;  /* 2024-05-02T23: one request: still visible */
    ov.syncs = hours((const apr_int64_t(*)[3])c);
    h = eas_console_overview(pool, &page, &ov);
    common_checks(h, "chart");

    ok(strstr(h, "<svg id=\"syncs-chart\" role=\"img\"") != NULL, "svg with id and role");
    ok(strstr(h, "aria-label=\"Requests per hour over the last 48 hours: 151 in all, at most 100 "
                 "in one hour\"") != NULL,
       "aria-label sums it up");
    is_int(count_of(h, "<g class=\"bar\""), EAS_OVERVIEW_HOURS, "48 bars");
    is_int(count_of(h, "<title>"), EAS_OVERVIEW_HOURS + 1, "a title per bar (+ the page's)");
    ok(strstr(h, "<text class=\"y-max\" x=\"40\" y=\"16\" text-anchor=\"end\">100</text>") != NULL,
       "y axis labelled with the highest hour");

    g = bar(h, "2024-05-01T10:00:00Z");
    ok(strstr(g, "data-total=\"100\"") != NULL, "highest bar: total");
    ok(strstr(g,
              "<title>2024-05-01T10:00:00Z: 100 requests (Sync 50, Ping 30, other 20)</title>") !=
           NULL,
       "highest bar: title with hour and parts");
    ok(strstr(g, "class=\"sync\" x=\"165\" y=\"92\" width=\"10\" height=\"80\"") != NULL,
       "sync part: half of the full height, at the bottom");
    ok(strstr(g, "class=\"ping\" x=\"165\" y=\"44\" width=\"10\" height=\"48\"") != NULL,
       "ping part stacked on it");
    ok(strstr(g, "class=\"other\" x=\"165\" y=\"12\" width=\"10\" height=\"32\"") != NULL,
       "other part reaches the top");

    g = bar(h, "2024-05-01T20:00:00Z");
    ok(strstr(g, "class=\"sync\" x=\"285\" y=\"92\" width=\"10\" height=\"80\"") != NULL,
       "half the requests: half the height");
    ok(!strstr(g, "class=\"ping\"") && !strstr(g, "class=\"other\""), "no empty parts");

    g = bar(h, "2024-05-02T23:00:00Z");
    ok(strstr(g, "<title>2024-05-02T23:00:00Z: 1 request (Sync 0, Ping 0, other 1)</title>") &&
           strstr(g, "class=\"other\" x=\"609\" y=\"170\" width=\"10\" height=\"2\""),
       "a single request is visible (rounded up), singular title");
    g = bar(h, "2024-05-01T11:00:00Z");
    ok(strstr(g, "data-total=\"0\"") && !strstr(g, "class=\"sync\""), "empty hour: no bar");

    ok(strstr(h, ">00:00</text>") && strstr(h, ">06:00</text>") && strstr(h, ">18:00</text>") &&
           strstr(h, ">05-02</text>"),
       "hour labels every six hours, date at midnight");
    is_int(count_of(h, "class=\"x-label\""), 8, "8 hour labels in 48 hours");

    ok(strstr(h, "<details><summary>") && strstr(h, "<table id=\"syncs-table\">"),
       "table fallback");
    g = strstr(h, "<table id=\"syncs-table\">");
    ok(g && strstr(g, "2024-05-02T23:00:00Z") < strstr(g, "2024-05-01T00:00:00Z"),
       "table newest first");
}

static void test_empty_and_hostile(void)
{
    eas_admin_overview ov = {states(0), hours(NULL), 0, 0, 0};
    eas_table *t;
    const char **r;
    const char *h, *g;

    h = eas_console_overview(pool, &page, &ov);
    common_checks(h, "no requests at all");
    is_int(count_of(h, "<g class=\"bar\""), EAS_OVERVIEW_HOURS, "48 empty bars");
    ok(!strstr(h, "class=\"sync\"") && !strstr(h, "class=\"other\""), "nothing drawn");
    ok(strstr(h, "text-anchor=\"end\">0</text>") != NULL, "y axis max 0");
    ok(strstr(h, "<span id=\"held-pings\">0</span>") != NULL, "held pings 0");

    /* hostile and malformed cells */
    t = hours(NULL);
    r = APR_ARRAY_IDX(t->rows, 0, const char **);
    r[0] = EVIL;
    r[1] = "5";
    r[2] = "<b>9</b>";                /* not a number: 0 */
    r[3] = "-4";                      /* negative: 0 */
    r[4] = "99999999999999999999999"; /* huge: capped, never beyond the total */
    r = APR_ARRAY_IDX(t->rows, 1, const char **);
    r[0] = "2024-05-01T0<:00:00Z";
    r[1] = NULL;
    ov.syncs = t;
    h = eas_console_overview(pool, &page, &ov);
    common_checks(h, "hostile hours");
    g = strstr(h, "<g class=\"bar\" data-hour=\"&quot;&gt;&lt;script&gt;");
    ok(g && strstr(g, "data-total=\"5\"") &&
           strstr(g, "<title>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;: 5 requests (Sync 0, "
                     "Ping 0, other 1000000000000000)</title>"),
       "hostile hour escaped in attribute and title, counts parsed safely");
    ok(g && strstr(g, "class=\"other\" x=\"45\" y=\"12\" width=\"10\" height=\"160\""),
       "parts clipped to the total");
    ok(strstr(h, "data-hour=\"2024-05-01T0&lt;:00:00Z\" data-total=\"0\"") != NULL,
       "malformed hour escaped, missing total 0");
    ok(strstr(h, "<td>&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;</td>") != NULL,
       "table cell escaped");

    /* no rows, no tables, no overview */
    ov.syncs = hours(NULL);
    ov.syncs->rows->nelts = 0;
    h = eas_console_overview(pool, &page, &ov);
    common_checks(h, "no hours");
    ok(strstr(h, ">no data</text>") && !strstr(h, "<g class=\"bar\""), "no hours: no bars");
    ov.states = NULL;
    ov.syncs = NULL;
    common_checks(eas_console_overview(pool, &page, &ov), "no tables");
    common_checks(eas_console_overview(pool, &page, NULL), "no overview");
    common_checks(eas_console_overview(pool, NULL, NULL), "no page");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_totals_and_states();
    test_chart();
    test_empty_and_hostile();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
