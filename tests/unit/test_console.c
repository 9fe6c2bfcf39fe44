/* Unit tests of the console core: escaping in every page with hostile cells, device list
 * filtering and sorting, action and confirmation forms, and the CSRF tokens. No httpd, no
 * database: the tables are built by hand with the columns eas_admin.c returns. */
#include <string.h>

#include <apr_general.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "eas_console.h"
#include "tap.h"

static apr_pool_t *pool;

#define EVIL_MODEL "\"><script>alert(1)</script>"
#define EVIL_USER  "eve<script>&'\""

static const eas_console_page page = {"/eas-admin", "admin", "123.abc", NULL, 0};

/* The device list's columns (eas_admin_device_list). */
static eas_table *device_list(void)
{
    static const char *const names[] = {"user",        "device_id", "device_type",
                                        "model",       "protocol",  "last_seen",
                                        "provisioned", "wipe",      "access"};
    static const struct {
        const char *c[9];
    } rows[] = {
        {{"alice", "DEV-B", "iPhone", "iPhone 15", "16.1", "2024-05-02 10:00", "t", "none",
          "allow"}},
        {{"bob", "dev-a", "Android", "Pixel 8", "14.1", "2024-05-01 09:00", "f", "requested",
          "allow"}},
        {{"carol", "DEV-C", "Outlook", "Windows Mail", "16.0", NULL, "t", "none", "quarantine"}},
        {{EVIL_USER, "EVIL<b>\"1\"&", "x'y", EVIL_MODEL, "16.1", "AT&T", "t", "sent", "block"}},
    };
    eas_table *t = eas_table_make(pool, 9, names, NULL);
    size_t i;
    int c;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        const char **r = eas_table_add(t);
        for (c = 0; c < 9; ++c) {
            r[c] = rows[i].c[c];
        }
    }
    return t;
}

/* A device detail as eas_admin_device_show gives it (a subset of its columns). */
static eas_admin_device_detail detail(const char *protocol, const char *model)
{
    static const char *const dnames[] = {
        "user",       "device_id", "device_type",  "protocol_version", "model",
        "wipe_state", "wipe_type", "access_state", "access_reason"};
    static const char *const pnames[] = {"name", "value", "source", "source_key"};
    static const char *const anames[] = {"id",   "at",        "actor",  "action",
                                         "user", "device_id", "details"};
    static const eas_col_type atypes[] = {EAS_COL_INT,  EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_TEXT,
                                          EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_JSON};
    eas_admin_device_detail d;
    const char **r;

    d.device = eas_table_make(pool, 9, dnames, NULL);
    r = eas_table_add(d.device);
    r[0] = EVIL_USER;
    r[1] = "EVIL<b>\"1\"&";
    r[2] = "x'y";
    r[3] = protocol;
    r[4] = model;
    r[5] = "requested";
    r[6] = NULL;
    r[7] = "block";
    r[8] = "rule #3: model matches '<*>'";

    d.policy = eas_table_make(pool, 4, pnames, NULL);
    r = eas_table_add(d.policy);
    r[0] = "MinDevicePasswordLength";
    r[1] = "8";
    r[2] = "domain";
    r[3] = "example.org<script>";

    d.audit = eas_table_make(pool, 7, anames, atypes);
    r = eas_table_add(d.audit);
    r[0] = "1";
    r[1] = "2024-05-01 09:00";
    r[2] = "admin";
    r[3] = "access.override";
    r[4] = EVIL_USER;
    r[5] = "EVIL<b>\"1\"&";
    r[6] = "{\"model\": \"" EVIL_MODEL "\"}";
    r = eas_table_add(d.audit);
    r[0] = "2";
    r[1] = "2024-05-02 09:00";
    r[2] = "root<script>";
    r[3] = "wipe.request";
    r[4] = EVIL_USER;
    r[5] = "EVIL<b>\"1\"&";
    r[6] = NULL;
    return d;
}

/* What every page must hold: a complete document, no markup from the data, nothing external. */
static void common_checks(const char *html, const char *what)
{
    ok(html != NULL, "%s: rendered", what);
    if (!html) {
        return;
    }
    ok(strncmp(html, "<!DOCTYPE html>", 15) == 0, "%s: doctype", what);
    ok(strstr(html, "<meta charset=\"utf-8\">") != NULL, "%s: charset", what);
    ok(strstr(html, "<title>") && strstr(html, "<style>") && strstr(html, "</html>"),
       "%s: title, style, complete", what);
    ok(!strcasestr(html, "<script"), "%s: no <script> anywhere", what);
    ok(!strstr(html, EVIL_MODEL) && !strstr(html, "alert(1)</"), "%s: hostile model not raw", what);
    ok(!strstr(html, "http://") && !strstr(html, "https://"), "%s: no external URL", what);
    ok(!strstr(html, "AT&T") && !strstr(html, "<b>"), "%s: & and tags escaped", what);
    ok(strstr(html, "href=\"/eas-admin/devices\"") && strstr(html, "href=\"/eas-admin/audit\"") &&
           strstr(html, "href=\"/eas-admin/policies\"") && strstr(html, "href=\"/eas-admin/\""),
       "%s: nav bar", what);
}

/* Position of a row in the output, or -1. */
static long row_pos(const char *html, const char *id)
{
    const char *s = strstr(html, apr_pstrcat(pool, "<tr data-device=\"", id, "\">", NULL));
    return s ? (long)(s - html) : -1;
}

static void test_escape(void)
{
    is_str(eas_html_escape(pool, "a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;", "html escape");
    is_str(eas_html_escape(pool, NULL), "", "html escape NULL");
    is_str(eas_html_escape(pool, "plain é"), "plain é", "html escape leaves UTF-8");
    is_str(eas_url_escape(pool, "a b&c=d/é~-._"), "a%20b%26c%3Dd%2F%C3%A9~-._", "url escape");
    is_str(eas_url_escape(pool, NULL), "", "url escape NULL");
}

static void test_devices(void)
{
    eas_table *t = device_list();
    const char *h;

    h = eas_console_devices(pool, &page, t, NULL, NULL, NULL, NULL, 0);
    common_checks(h, "device list");
    ok(strstr(h, "<table id=\"devices\">") != NULL, "list: table id");
    ok(row_pos(h, "DEV-B") >= 0 && row_pos(h, "dev-a") >= 0 && row_pos(h, "DEV-C") >= 0,
       "list: every row");
    ok(row_pos(h, "DEV-B") < row_pos(h, "dev-a") && row_pos(h, "dev-a") < row_pos(h, "DEV-C"),
       "list: unsorted keeps the core's order");
    ok(strstr(h, "data-device=\"EVIL&lt;b&gt;&quot;1&quot;&amp;\"") != NULL,
       "list: hostile device id escaped in the attribute");
    ok(strstr(h, "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;") != NULL,
       "list: hostile model shown escaped");
    ok(strstr(h, "eve&lt;script&gt;&amp;&#39;&quot;") != NULL, "list: hostile user escaped");
    ok(strstr(h, "href=\"/eas-admin/device?user=alice&amp;id=DEV-B\"") != NULL,
       "list: row links to its device");
    ok(strstr(h, "href=\"/eas-admin/device?user=eve%3Cscript%3E%26%27%22&amp;id=EVIL%3Cb%3E%221%"
                 "22%26\"") != NULL,
       "list: hostile link url- then html-escaped");
    ok(strstr(h, "<form method=\"get\" action=\"/eas-admin/devices\"") && strstr(h, "name=\"q\"") &&
           strstr(h, "name=\"user\"") && strstr(h, "name=\"state\""),
       "list: filter form");
    ok(strstr(h, "href=\"/eas-admin/devices?sort=model\"") != NULL, "list: sortable header");

    /* free text: case-insensitive over every cell */
    h = eas_console_devices(pool, &page, t, NULL, "PIXEL", NULL, NULL, 0);
    ok(row_pos(h, "dev-a") >= 0 && row_pos(h, "DEV-B") < 0 && row_pos(h, "DEV-C") < 0,
       "q matches one model case-insensitively");
    ok(strstr(h, "name=\"q\" value=\"PIXEL\"") != NULL, "q kept in the form");
    h = eas_console_devices(pool, &page, t, NULL, "dev-", NULL, NULL, 0);
    ok(row_pos(h, "dev-a") >= 0 && row_pos(h, "DEV-B") >= 0 && row_pos(h, "DEV-C") >= 0,
       "q over device ids");
    h = eas_console_devices(pool, &page, t, NULL, "nothing-like-this", NULL, NULL, 0);
    ok(!strstr(h, "<tr data-device=") && strstr(h, "No device matches"), "q without match");
    h = eas_console_devices(pool, &page, t, NULL, "<script>", NULL, NULL, 0);
    ok(strstr(h, "value=\"&lt;script&gt;\"") && !strcasestr(h, "<script"),
       "hostile q echoed escaped");

    /* state: the wipe or the access cell */
    h = eas_console_devices(pool, &page, t, NULL, NULL, "requested", NULL, 0);
    ok(row_pos(h, "dev-a") >= 0 && row_pos(h, "DEV-B") < 0, "state = wipe value");
    h = eas_console_devices(pool, &page, t, NULL, NULL, "quarantine", NULL, 0);
    ok(row_pos(h, "DEV-C") >= 0 && row_pos(h, "dev-a") < 0 && row_pos(h, "DEV-B") < 0,
       "state = access value");
    ok(strstr(h, "<option value=\"quarantine\" selected>") != NULL, "state selected in the form");
    h = eas_console_devices(pool, &page, t, NULL, NULL, "allow", NULL, 0);
    ok(row_pos(h, "dev-a") >= 0 && row_pos(h, "DEV-B") >= 0 && row_pos(h, "DEV-C") < 0,
       "state allow: two rows");
    h = eas_console_devices(pool, &page, t, NULL, NULL, "\"><script>", NULL, 0);
    ok(!strcasestr(h, "<script") && !strstr(h, "<tr data-device="), "hostile state escaped");

    /* user: exact */
    h = eas_console_devices(pool, &page, t, "bob", NULL, NULL, NULL, 0);
    ok(row_pos(h, "dev-a") >= 0 && row_pos(h, "DEV-B") < 0, "user filter");
    h = eas_console_devices(pool, &page, t, "bo", NULL, NULL, NULL, 0);
    ok(!strstr(h, "<tr data-device="), "user filter is exact");

    /* sort */
    h = eas_console_devices(pool, &page, t, NULL, NULL, NULL, "device_id", 0);
    ok(row_pos(h, "DEV-B") < row_pos(h, "DEV-C") && row_pos(h, "DEV-C") < row_pos(h, "dev-a"),
       "sort by device_id (byte order)");
    ok(strstr(h, "href=\"/eas-admin/devices?sort=device_id&amp;desc=1\"") != NULL,
       "sorted header toggles to desc");
    ok(strstr(h, "<input type=\"hidden\" name=\"sort\" value=\"device_id\">") != NULL,
       "filter form keeps the sort");
    h = eas_console_devices(pool, &page, t, NULL, NULL, NULL, "device_id", 1);
    ok(row_pos(h, "dev-a") < row_pos(h, "DEV-C") && row_pos(h, "DEV-C") < row_pos(h, "DEV-B"),
       "sort desc");
    ok(strstr(h, "href=\"/eas-admin/devices?sort=device_id\"") != NULL,
       "desc header toggles back to asc");
    h = eas_console_devices(pool, &page, t, NULL, NULL, NULL, "last_seen", 0);
    ok(row_pos(h, "DEV-C") < row_pos(h, "dev-a") && row_pos(h, "dev-a") < row_pos(h, "DEV-B"),
       "sort timestamps as text, NULL first");
    h = eas_console_devices(pool, &page, t, NULL, NULL, "allow", "model", 1);
    ok(row_pos(h, "DEV-B") < row_pos(h, "dev-a") && row_pos(h, "DEV-C") < 0,
       "filter and sort together (\"iPhone\" > \"Pixel\" by bytes)");
    ok(strstr(h, "href=\"/eas-admin/devices?state=allow&amp;sort=user\"") != NULL,
       "header links keep the filters");
    h = eas_console_devices(pool, &page, t, NULL, NULL, NULL, "no_such_column", 0);
    ok(row_pos(h, "DEV-B") < row_pos(h, "dev-a"), "unknown sort column ignored");
    h = eas_console_devices(pool, &page, t, NULL, NULL, NULL, "\"><script>", 1);
    ok(!strcasestr(h, "<script"), "hostile sort escaped");
}

static void test_device(void)
{
    eas_admin_device_detail d = detail("16.1", EVIL_MODEL);
    const char *h, *f;

    h = eas_console_device(pool, &page, EVIL_USER, "EVIL<b>\"1\"&", &d);
    common_checks(h, "device page");
    ok(strstr(h, "<dl id=\"device\">") != NULL, "device: definition list");
    ok(strstr(h, "<dd id=\"wipe-state\">requested</dd>") != NULL, "device: wipe state id");
    ok(strstr(h, "<dd id=\"access-state\">block</dd>") != NULL, "device: access state id");
    ok(strstr(h, "<table id=\"policy\">") && strstr(h, "example.org&lt;script&gt;"),
       "device: policy table escaped");
    ok(strstr(h, "<table id=\"audit\">") && strstr(h, "root&lt;script&gt;"),
       "device: audit table escaped");
    ok(strstr(h, "wipe.request") < strstr(h, "access.override"), "device: audit newest first");
    ok(strstr(h, "id=\"action-account-wipe\"") != NULL, "16.1: account-wipe offered");
    f = strstr(h, "<form method=\"post\" action=\"/eas-admin/device\" class=\"action\">");
    ok(f != NULL, "device: action form");
    ok(f && strstr(f, "<input type=\"hidden\" name=\"user\" value=\"eve&lt;script&gt;&amp;&#39;"
                      "&quot;\">"),
       "action form: hostile user escaped");
    ok(f && strstr(f, "<input type=\"hidden\" name=\"id\" value=\"EVIL&lt;b&gt;&quot;1&quot;&amp;"
                      "\">"),
       "action form: hostile id escaped");
    {
        static const char *const acts[] = {"wipe",       "account-wipe", "wipe-cancel",
                                           "wipe-clear", "delete",       "block",
                                           "allow",      "quarantine",   "access-clear"};
        size_t i;
        int all = 1;
        for (i = 0; i < sizeof(acts) / sizeof(acts[0]); ++i) {
            const char *btn = apr_pstrcat(pool, "<button type=\"submit\" name=\"go\" id=\"action-",
                                          acts[i], "\"", NULL);
            const char *hid =
                apr_pstrcat(pool, "<input type=\"hidden\" name=\"action\" value=\"", acts[i],
                            "\"><input type=\"hidden\" name=\"csrf\" "
                            "value=\"123.abc\">",
                            NULL);
            if (!strstr(h, btn) || !strstr(h, hid)) {
                all = 0;
                printf("#   missing form for %s\n", acts[i]);
            }
        }
        ok(all, "every action has a form with its csrf token");
    }

    d = detail("14.1", "Pixel");
    h = eas_console_device(pool, &page, "bob", "dev-a", &d);
    ok(!strstr(h, "account-wipe") && strstr(h, "id=\"action-wipe\""),
       "14.1: no account-wipe, wipe stays");
    d = detail(NULL, "Pixel");
    h = eas_console_device(pool, &page, "bob", "dev-a", &d);
    ok(!strstr(h, "account-wipe"), "no protocol: no account-wipe");
    d = detail("16.10", "Pixel");
    h = eas_console_device(pool, &page, "bob", "dev-a", &d);
    ok(!strstr(h, "account-wipe"), "16.10 is not 16.1");

    {
        eas_admin_device_detail empty = {NULL, NULL, NULL};
        h = eas_console_device(pool, &page, "bob", "dev-a", &empty);
        common_checks(h, "device page without data");
    }
}

static void test_confirm(void)
{
    const char *h, *f;

    h = eas_console_confirm(pool, &page, EVIL_USER, "EVIL<b>\"1\"&", "wipe");
    common_checks(h, "confirm page");
    f = strstr(h, "<form method=\"post\" action=\"/eas-admin/device\"");
    ok(f != NULL, "confirm: posts to the device route");
    ok(f && strstr(f, "name=\"user\" value=\"eve&lt;script&gt;&amp;&#39;&quot;\"") &&
           strstr(f, "name=\"id\" value=\"EVIL&lt;b&gt;&quot;1&quot;&amp;\"") &&
           strstr(f, "name=\"action\" value=\"wipe\"") &&
           strstr(f, "name=\"csrf\" value=\"123.abc\"") &&
           strstr(f, "<input type=\"hidden\" name=\"confirm\" value=\"yes\">"),
       "confirm: user, id, action, csrf, confirm=yes");
    ok(strstr(h, "id=\"confirm\"") &&
           strstr(h, "<button type=\"submit\" name=\"go\" id=\"confirm\""),
       "confirm: button");
    ok(strstr(h, "<a id=\"cancel\" href=\"/eas-admin/device?user=eve%3Cscript%3E%26%27%22&amp;id="
                 "EVIL%3Cb%3E%221%22%26\">") != NULL,
       "confirm: cancel link back to the device");
    h = eas_console_confirm(pool, &page, "bob", "dev-a", "delete");
    ok(strstr(h, "name=\"action\" value=\"delete\"") && strstr(h, "forget the device"),
       "confirm: delete explained");
    h = eas_console_confirm(pool, &page, "bob", "dev-a", "<script>x");
    common_checks(h, "confirm page, hostile action");
}

static void test_audit(void)
{
    eas_admin_device_detail d = detail("16.1", EVIL_MODEL);
    const char *h;

    h = eas_console_audit(pool, &page, d.audit, "7d<script>", EVIL_USER, "\"><script>");
    common_checks(h, "audit page");
    ok(strstr(h, "<table id=\"audit\">") != NULL, "audit: table id");
    ok(strstr(h, "wipe.request") < strstr(h, "access.override"), "audit: newest first");
    ok(strstr(h, "name=\"since\" value=\"7d&lt;script&gt;\"") && strstr(h, "name=\"device\"") &&
           strstr(h, "<form method=\"get\" action=\"/eas-admin/audit\""),
       "audit: filter form echoes escaped");
    ok(strstr(h, "{&quot;model&quot;: &quot;\\&quot;&gt;&lt;script&gt;") != NULL ||
           strstr(h, "{&quot;model&quot;: &quot;&quot;&gt;&lt;script&gt;") != NULL,
       "audit: JSON details escaped");
}

static void test_chrome(void)
{
    eas_console_page pg = {"/adm\"><script>", "adm<script>'", "1.\"x", "done <script>&", 0};
    const char *h;

    h = eas_console_message(pool, &pg, "Forbidden <script>", "bad token \"><script>alert(1)");
    ok(!strcasestr(h, "<script"), "message page: hostile base, admin, flash, title, text");
    ok(strstr(h, "href=\"/adm&quot;&gt;&lt;script&gt;/devices\"") != NULL, "hostile base escaped");
    ok(strstr(h, "adm&lt;script&gt;&#39;") != NULL, "hostile admin escaped");
    ok(strstr(h, "<div class=\"flash\" role=\"status\">done &lt;script&gt;&amp;</div>") != NULL,
       "flash box");
    pg.flash_error = 1;
    h = eas_console_devices(pool, &pg, device_list(), NULL, NULL, NULL, NULL, 0);
    ok(strstr(h, "<div class=\"flash error\"") && !strcasestr(h, "<script"), "flash error box");
    pg.flash = NULL;
    h = eas_console_message(pool, &pg, "Not found", "no such device");
    ok(!strstr(h, "class=\"flash"), "no flash, no box");
    h = eas_console_confirm(pool, &pg, "u", "d", "wipe");
    ok(strstr(h, "name=\"csrf\" value=\"1.&quot;x\"") && !strcasestr(h, "<script"),
       "hostile token and base in the confirm form");
    common_checks(eas_console_message(pool, &page, "Hello", "<b>x</b>"), "message page");
}

static void test_csrf(void)
{
    static const unsigned char secret[] = "0123456789abcdef0123456789abcdef";
    static const unsigned char other[] = "fedcba9876543210fedcba9876543210";
    apr_size_t n = sizeof(secret) - 1;
    apr_time_t now = apr_time_from_sec(1700000000);
    const char *t = eas_csrf_token(pool, secret, n, "alice", now), *dot;
    char *bad;
    size_t i;

    ok(t != NULL, "token made");
    dot = t ? strchr(t, '.') : NULL;
    ok(t && strncmp(t, "1700000000.", 11) == 0 && dot && strlen(dot + 1) == 64,
       "token format: seconds . 64 hex");
    ok(dot && strspn(dot + 1, "0123456789abcdef") == 64, "lowercase hex");
    is_str(eas_csrf_token(pool, secret, n, "alice", now), t, "deterministic");
    ok(strcmp(eas_csrf_token(pool, secret, n, "bob", now), t) != 0, "per user");

    is_int(eas_csrf_check(secret, n, "alice", t, now), 0, "valid now");
    is_int(eas_csrf_check(secret, n, "alice", t, now + apr_time_from_sec(EAS_CSRF_TTL)), 0,
           "valid at exactly 12 h");
    is_int(eas_csrf_check(secret, n, "alice", t, now + apr_time_from_sec(EAS_CSRF_TTL + 1)), 1,
           "expired after 12 h");
    is_int(eas_csrf_check(secret, n, "alice", t, now - apr_time_from_sec(300)), 0,
           "issued 5 min in the future: tolerated");
    is_int(eas_csrf_check(secret, n, "alice", t, now - apr_time_from_sec(301)), 1,
           "issued more than 5 min in the future: expired");
    is_int(eas_csrf_check(secret, n, "bob", t, now), -1, "other user");
    is_int(eas_csrf_check(secret, n, NULL, t, now), -1, "no user");
    is_int(eas_csrf_check(other, n, "alice", t, now), -1, "other secret");

    bad = apr_pstrdup(pool, t);
    bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == '0' ? '1' : '0';
    is_int(eas_csrf_check(secret, n, "alice", bad, now), -1, "tampered MAC");
    bad = apr_pstrdup(pool, t);
    bad[9] = '1'; /* 1700000001: the MAC no longer matches the time */
    is_int(eas_csrf_check(secret, n, "alice", bad, now), -1, "tampered time");
    bad = apr_pstrcat(pool, "0", t, NULL);
    is_int(eas_csrf_check(secret, n, "alice", bad, now), -1, "leading zero changes the token");
    bad = apr_pstrdup(pool, t);
    for (i = 11; bad[i]; ++i) {
        bad[i] = (char)apr_toupper(bad[i]);
    }
    is_int(eas_csrf_check(secret, n, "alice", bad, now), 0, "uppercase hex accepted");

    is_int(eas_csrf_check(secret, n, "alice", NULL, now), -1, "NULL");
    is_int(eas_csrf_check(secret, n, "alice", "", now), -1, "empty");
    is_int(eas_csrf_check(secret, n, "alice", "1700000000", now), -1, "no dot");
    is_int(eas_csrf_check(secret, n, "alice", ".", now), -1, "only a dot");
    is_int(eas_csrf_check(secret, n, "alice", dot, now), -1, "no time");
    is_int(eas_csrf_check(secret, n, "alice", apr_pstrcat(pool, "1700000000.", NULL), now), -1,
           "no MAC");
    is_int(eas_csrf_check(
               secret, n, "alice",
               apr_pstrcat(pool, "1700000000.", apr_pstrndup(pool, dot + 1, 63), "g", NULL), now),
           -1, "non-hex MAC");
    is_int(eas_csrf_check(secret, n, "alice", apr_pstrcat(pool, t, "00", NULL), now), -1,
           "MAC too long");
    is_int(eas_csrf_check(secret, n, "alice", apr_pstrcat(pool, "-1", dot, NULL), now), -1,
           "negative time");
    is_int(eas_csrf_check(secret, n, "alice", apr_pstrcat(pool, "+1700000000", dot, NULL), now), -1,
           "signed time");
    is_int(eas_csrf_check(secret, n, "alice",
                          apr_pstrcat(pool, "99999999999999999999999999999", dot, NULL), now),
           -1, "huge number");
    {
        /* a far-future time that is correctly signed is still only expired, never valid */
        apr_time_t later = apr_time_from_sec(4000000000LL);
        const char *ft = eas_csrf_token(pool, secret, n, "alice", later);
        is_int(eas_csrf_check(secret, n, "alice", ft, now), 1, "signed far-future token");
    }
    {
        /* long user names go through the heap path */
        char *longuser = apr_palloc(pool, 2001);
        const char *lt;
        memset(longuser, 'u', 2000);
        longuser[2000] = '\0';
        lt = eas_csrf_token(pool, secret, n, longuser, now);
        is_int(eas_csrf_check(secret, n, longuser, lt, now), 0, "long user name");
        longuser[1999] = 'v';
        is_int(eas_csrf_check(secret, n, longuser, lt, now), -1, "long user name, other user");
    }
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_escape();
    test_devices();
    test_device();
    test_confirm();
    test_audit();
    test_chrome();
    test_csrf();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
