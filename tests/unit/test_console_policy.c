/* Unit tests of the console's policy editor (eas_console_policies): hostile keys, values and
 * help texts escaped, rows set at this scope marked and given an unset button, inherited rows
 * linked to where they come from, the value widgets, and every form carrying the scope and the
 * CSRF token. No httpd, no database: the tables are built by hand with the columns
 * eas_admin_policy_show and eas_admin_policy_fields return. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_console.h"
#include "tap.h"

static apr_pool_t *pool;

#define EVIL     "\"><script>alert(1)</script>"
#define EVIL_KEY "ev<script>&'\"il.example"

static const eas_console_page page = {"/eas-admin", "admin", "123.abc", NULL, 0};

/* eas_admin_policy_fields' columns for the settings below. */
static eas_table *fields(void)
{
    static const char *const names[] = {"name", "type", "range", "default", "in_doc", "help"};
    static const eas_col_type types[] = {EAS_COL_TEXT, EAS_COL_TEXT, EAS_COL_TEXT,
                                         EAS_COL_TEXT, EAS_COL_BOOL, EAS_COL_TEXT};
    static const struct {
        const char *c[6];
    } rows[] = {
        {{"AllowCamera", "bool", "0|1", "1", "1", "allow the camera " EVIL}},
        {{"AllowBluetooth", "uint", "0..2", "2", "1", "Bluetooth: 0 off, 1 hands-free only"}},
        {{"MinDevicePasswordLength", "uint-or-empty", "1..16 or empty", "", "1",
          "minimum password length"}},
        {{"DevicePasswordHistory", "uint", "0..50", "0", "1", "passwords remembered"}},
        {{"MaxProtocolVersion", "version", "12.0..16.1", "16.1", "0", "highest version"}},
        {{"ApprovedApplicationList", "list", "comma-separated", "", "1", "approved apps"}},
    };
    eas_table *t = eas_table_make(pool, 6, names, types);
    size_t i;
    int c;

    for (i = 0; i < sizeof(rows) / sizeof(rows[0]); ++i) {
        const char **r = eas_table_add(t);
        for (c = 0; c < 6; ++c) {
            r[c] = rows[i].c[c];
        }
    }
    return t;
}

/* The effective policy at some scope: name, value, source, source_key. */
static eas_table *effective(const char *const (*rows)[4], int n)
{
    static const char *const names[] = {"name", "value", "source", "source_key"};
    eas_table *t = eas_table_make(pool, 4, names, NULL);
    int i, c;

    for (i = 0; i < n; ++i) {
        const char **r = eas_table_add(t);
        for (c = 0; c < 4; ++c) {
            r[c] = rows[i][c];
        }
    }
    return t;
}

/* One row of the table, from its <tr> to its </tr>, or NULL. */
static const char *row_of(const char *html, const char *name)
{
    const char *s = strstr(html, apr_pstrcat(pool, "<tr id=\"policy-", name, "\"", NULL)), *e;
    if (!s) {
        return NULL;
    }
    e = strstr(s, "</tr>");
    return e ? apr_pstrndup(pool, s, (apr_size_t)(e - s)) : NULL;
}

static void common_checks(const char *html, const char *what)
{
    ok(html && strncmp(html, "<!DOCTYPE html>", 15) == 0 && strstr(html, "</html>"),
       "%s: complete document", what);
    if (!html) {
        return;
    }
    ok(!strcasestr(html, "<script"), "%s: no <script> anywhere", what);
    ok(!strstr(html, "alert(1)</"), "%s: hostile text not raw", what);
    ok(!strstr(html, "http://") && !strstr(html, "https://"), "%s: no external URL", what);
    ok(strstr(html, "<form method=\"get\" action=\"/eas-admin/policies\" class=\"filter\" "
                    "id=\"scope\">") != NULL,
       "%s: scope chooser", what);
}

static void test_user_scope(void)
{
    static const char *const rows[][4] = {
        {"AllowCamera", "0", "user", "alice@example.org"},
        {"AllowBluetooth", "1", "domain", "example.org"},
        {"MinDevicePasswordLength", "", "global", NULL},
        {"DevicePasswordHistory", "0", "default", NULL},
        {"MaxProtocolVersion", "14.1", "user", "alice@example.org"},
        {"ApprovedApplicationList", "a1,b2", "default", NULL},
    };
    const char *h, *r;

    h = eas_console_policies(pool, &page, "user", "alice@example.org", NULL, fields(),
                             effective(rows, 6));
    common_checks(h, "user scope");
    ok(strstr(h, "<title>Policy: user alice@example.org - mod_eas console</title>") != NULL,
       "title names the scope");
    ok(strstr(h, "<option value=\"user\" selected>") && strstr(h, "name=\"key\" value=\"alice@"),
       "chooser shows the scope and key");
    ok(strstr(h, "<table id=\"policy\">") != NULL, "table id");
    ok(strstr(h, "href=\"/eas-admin/policies?scope=global\">global</a>") &&
           strstr(h, "href=\"/eas-admin/policies?scope=domain&amp;key=example.org\">domain "
                     "example.org</a>"),
       "chain links global and the user's domain");

    r = row_of(h, "AllowCamera");
    ok(r && strstr(r, "class=\"here\"") && strstr(r, "data-source=\"user\""),
       "set here: class here");
    ok(r && strstr(r, "<strong>set here</strong>"), "set here: said in words");
    ok(r && strstr(r, "id=\"unset-AllowCamera\""), "set here: unset button");
    ok(r && strstr(r, "<input type=\"hidden\" name=\"unset\" value=\"1\">"), "unset=1 field");
    ok(r && strstr(r, "<td class=\"value\">0 <small class=\"default\">(default 1)</small>"),
       "value with the default when it differs");
    ok(r && strstr(r, "<select name=\"value\"><option value=\"1\">1 (yes)</option>"
                      "<option value=\"0\" selected>0 (no)</option></select>"),
       "bool: select with the value selected");
    ok(r &&
           strstr(r,
                  "title=\"allow the camera &quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\"") &&
           strstr(r, "<small class=\"help\">allow the camera &quot;&gt;&lt;script&gt;"),
       "hostile help escaped in title and text");

    r = row_of(h, "AllowBluetooth");
    ok(r && strstr(r, "class=\"inherited\"") && strstr(r, "data-source=\"domain\""),
       "inherited: class inherited");
    ok(r && !strstr(r, "unset-"), "inherited: no unset button");
    ok(r && strstr(r, "inherited from <a href=\"/eas-admin/policies?scope=domain&amp;key=example."
                      "org\">domain example.org</a>"),
       "inherited: links to its source");
    ok(r && strstr(r, "<option value=\"0\">0</option><option value=\"1\" selected>1</option>"
                      "<option value=\"2\">2</option></select>"),
       "small range: select");

    r = row_of(h, "MinDevicePasswordLength");
    ok(r && strstr(r, "<span class=\"null\">(empty)</span>"), "empty value shown as such");
    ok(r && strstr(r, "href=\"/eas-admin/policies?scope=global\">global</a>"),
       "inherited from global");
    ok(r && strstr(r, "<input type=\"text\" name=\"value\" value=\"\" placeholder=\"1..16 or "
                      "empty\">"),
       "uint-or-empty: text input with the range");

    r = row_of(h, "DevicePasswordHistory");
    ok(r && strstr(r, "<td class=\"source\">default</td>") && !strstr(r, "unset-"),
       "default: no link, no unset");
    ok(r && strstr(r, "<input type=\"text\" name=\"value\" value=\"0\""),
       "large range: text input");
    ok(r && !strstr(r, "(default"), "no default note when the value is the default");

    r = row_of(h, "MaxProtocolVersion");
    ok(r && strstr(r, "<option value=\"14.1\" selected>14.1</option>") &&
           strstr(r, "<option value=\"16.1\">"),
       "version: select");
    ok(r && strstr(r, "id=\"unset-MaxProtocolVersion\""), "second row set here");

    r = row_of(h, "ApprovedApplicationList");
    ok(r && strstr(r, "<input type=\"text\" name=\"value\" value=\"a1,b2\""), "list: text input");

    /* every row's forms post the scope, key, name and token */
    {
        static const char *const names[] = {
            "AllowCamera",           "AllowBluetooth",     "MinDevicePasswordLength",
            "DevicePasswordHistory", "MaxProtocolVersion", "ApprovedApplicationList"};
        size_t i;
        int all = 1;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); ++i) {
            const char *f = strstr(h, apr_pstrcat(pool,
                                                  "<form method=\"post\" action=\"/eas-admin/"
                                                  "policies\" class=\"action\" id=\"set-",
                                                  names[i], "\">", NULL));
            const char *want = apr_pstrcat(
                pool,
                "<input type=\"hidden\" name=\"scope\" value=\"user\"><input type=\"hidden\" "
                "name=\"key\" value=\"alice@example.org\"><input type=\"hidden\" name=\"user\" "
                "value=\"\"><input type=\"hidden\" name=\"name\" value=\"",
                names[i], "\"><input type=\"hidden\" name=\"csrf\" value=\"123.abc\">", NULL);
            if (!f || strncmp(strchr(f, '>') + 1, want, strlen(want)) != 0) {
                all = 0;
                printf("#   set form of %s\n", names[i]);
            }
        }
        ok(all, "every set form carries scope, key, user, name and csrf");
    }
    {
        /* both unset forms carry the token too */
        const char *s = h;
        int n = 0;
        while ((s = strstr(s, "<input type=\"hidden\" name=\"csrf\" value=\"123.abc\"><input "
                              "type=\"hidden\" name=\"unset\" value=\"1\">"))) {
            ++n;
            ++s;
        }
        is_int(n, 2, "two unset forms, each with the token");
    }
}

static void test_device_scope(void)
{
    static const char *const rows[][4] = {
        {"AllowCamera", "1", "device", "PHONE1"},
        {"AllowBluetooth", "0", "user", "bob@example.org"},
    };
    const char *h, *r;

    h = eas_console_policies(pool, &page, "device", "PHONE1", "bob@example.org", fields(),
                             effective(rows, 2));
    common_checks(h, "device scope");
    ok(strstr(h, "<title>Policy: device PHONE1 (user bob@example.org)") != NULL, "device title");
    ok(strstr(h, "href=\"/eas-admin/policies?scope=user&amp;key=bob%40example.org\">user "
                 "bob@example.org</a>") &&
           strstr(h, "href=\"/eas-admin/device?user=bob%40example.org&amp;id=PHONE1\">"),
       "chain: the user and the device page");
    r = row_of(h, "AllowCamera");
    ok(r && strstr(r, "class=\"here\"") && strstr(r, "id=\"unset-AllowCamera\""),
       "device value set here");
    ok(r && strstr(r, "name=\"scope\" value=\"device\"><input type=\"hidden\" name=\"key\" "
                      "value=\"PHONE1\"><input type=\"hidden\" name=\"user\" "
                      "value=\"bob@example.org\">"),
       "device forms carry the user");
    r = row_of(h, "AllowBluetooth");
    ok(r && strstr(r, "class=\"inherited\"") &&
           strstr(r, "href=\"/eas-admin/policies?scope=user&amp;key=bob%40example.org\">user "
                     "bob@example.org</a>"),
       "user value inherited, linked");
}

static void test_hostile(void)
{
    static const char *const rows[][4] = {
        {"AllowCamera", EVIL, "domain", EVIL_KEY},
        {EVIL, "x<y", "global", NULL},
        {"AllowBluetooth", "7<b>", "domain", EVIL_KEY},
    };
    eas_console_page pg = page;
    const char *h, *r;

    pg.flash = "unknown user '" EVIL "'";
    pg.flash_error = 1;
    h = eas_console_policies(pool, &pg, "domain", EVIL_KEY, EVIL, fields(), effective(rows, 3));
    common_checks(h, "hostile");
    ok(!strstr(h, "<b>") && !strstr(h, "x<y"), "tags and < escaped");
    ok(strstr(h,
              "<div class=\"flash error\" role=\"alert\">unknown user &#39;&quot;&gt;&lt;script"),
       "error flash escaped");
    ok(strstr(h, "name=\"key\" value=\"ev&lt;script&gt;&amp;&#39;&quot;il.example\"") != NULL,
       "hostile key escaped in the forms");
    ok(strstr(h, "<title>Policy: domain ev&lt;script&gt;&amp;&#39;&quot;il.example") != NULL,
       "hostile key escaped in the title");
    r = row_of(h, "AllowCamera");
    ok(r && strstr(r, "class=\"here\""), "hostile domain row set here");
    ok(r && strstr(r, "<option value=\"&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;\" "
                      "selected>"),
       "a value a bool never has is still escaped");
    r = row_of(h, "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    ok(r && strstr(r, "id=\"unset-") == NULL && strstr(r, "name=\"name\" value=\"&quot;&gt;"),
       "hostile setting name escaped in row id and form");
    ok(r && strstr(r, "<input type=\"text\" name=\"value\" value=\"x&lt;y\">"),
       "unknown field: a text input without placeholder");
    r = row_of(h, "AllowBluetooth");
    ok(r && strstr(r, "<option value=\"7&lt;b&gt;\" selected>"),
       "out-of-range value kept, escaped");
    h = eas_console_policies(pool, &pg, "global", NULL, NULL, fields(),
                             effective((const char *const(*)[4])rows + 1, 1));
    r = row_of(h, "&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;");
    ok(r && strstr(r, "class=\"here\"") && strstr(r, "id=\"unset-&quot;&gt;&lt;script"),
       "global scope: global rows set here, unset id escaped");
    common_checks(h, "hostile global");
}

static void test_edges(void)
{
    static const char *const rows[][4] = {{"AllowCamera", "1", "default", NULL}};
    const char *h;

    h = eas_console_policies(pool, &page, NULL, NULL, NULL, fields(), effective(rows, 1));
    common_checks(h, "no scope");
    ok(strstr(h, "<option value=\"global\" selected>") && strstr(h, "Policy: global"),
       "no scope: global");
    ok(!strstr(h, "&#8594; <a href"), "global: nothing above it but the default");

    h = eas_console_policies(pool, &page, "user<script>", EVIL, NULL, fields(), NULL);
    common_checks(h, "refused scope");
    ok(!strstr(h, "<table id=\"policy\">") && !strstr(h, " selected>"),
       "refused scope: chooser only, nothing selected");

    h = eas_console_policies(pool, &page, "user", "nodomain", NULL, NULL, effective(rows, 1));
    common_checks(h, "no fields table");
    ok(strstr(h, "id=\"set-AllowCamera\"") && strstr(h, "<input type=\"text\" name=\"value\""),
       "without field info: a text input");
    ok(!strstr(h, "scope=domain"), "a user without a domain: no domain in the chain");

    h = eas_console_policies(pool, &page, "global", NULL, NULL, fields(), effective(rows, 0));
    ok(strstr(h, "(none)") != NULL, "empty table");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_user_scope();
    test_device_scope();
    test_hostile();
    test_edges();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
