/* Unit tests of the admin core's result tables: text, record and JSON renderings (what easctl
 * prints and the web console will serve), without a database. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_admin.h"
#include "tap.h"

static apr_pool_t *pool;

static eas_table *sample(void)
{
    static const char *const names[] = {"id", "device_id", "ok", "details"};
    static const eas_col_type types[] = {EAS_COL_INT, EAS_COL_TEXT, EAS_COL_BOOL, EAS_COL_JSON};
    eas_table *t = eas_table_make(pool, 4, names, types);
    const char **r;

    r = eas_table_add(t);
    r[0] = "1";
    r[1] = "Dev\"ice\\1";
    r[2] = "t";
    r[3] = "{\"a\": 1}";
    r = eas_table_add(t);
    r[0] = "22";
    r[1] = NULL;
    r[2] = "f";
    r[3] = NULL;
    r = eas_table_add(t);
    r[0] = "3";
    r[1] = "";
    r[2] = "1";
    r[3] = "";
    return t;
}

static void test_cells(void)
{
    eas_table *t = sample();

    is_int(t->rows->nelts, 3, "three rows");
    is_int(eas_table_col(t, "ok"), 2, "column by name");
    is_int(eas_table_col(t, "nope"), -1, "unknown column");
    is_str(eas_table_cell(t, 1, 0), "22", "cell");
    ok(eas_table_cell(t, 1, 1) == NULL, "NULL cell");
    ok(eas_table_cell(t, 3, 0) == NULL && eas_table_cell(t, 0, 4) == NULL, "out of range");
}

static void test_text(void)
{
    eas_table *t = sample();
    const char *text = eas_table_render_text(pool, t);
    static const char want[] = "ID  DEVICE ID  OK   DETAILS\n"
                               "1   Dev\"ice\\1  yes  {\"a\": 1}\n"
                               "22  -          no   -\n"
                               "3   \"\"         yes  \"\"\n";
    eas_table *empty;
    static const char *const names[] = {"a", "b"};

    is_str(text, want, "aligned columns, upper-case header, - for none, \"\" for empty");
    empty = eas_table_make(pool, 2, names, NULL);
    is_str(eas_table_render_text(pool, empty), "A  B\n(none)\n", "an empty table says so");
    is_str(eas_table_render_json(pool, empty), "[]", "empty JSON array");
}

static void test_record(void)
{
    eas_table *t = sample();
    is_str(eas_table_render_record(pool, t, 1),
           "id:        22\ndevice_id: -\nok:        no\ndetails:   -\n", "record layout");
}

static void test_json(void)
{
    eas_table *t = sample();
    is_str(eas_table_render_json_row(pool, t, 0),
           "{\"id\": 1, \"device_id\": \"Dev\\\"ice\\\\1\", \"ok\": true, \"details\": {\"a\": 1}}",
           "typed JSON row with escaping");
    is_str(eas_table_render_json_row(pool, t, 1),
           "{\"id\": 22, \"device_id\": null, \"ok\": false, \"details\": null}", "nulls");
    is_str(eas_table_render_json_row(pool, t, 2),
           "{\"id\": 3, \"device_id\": \"\", \"ok\": true, \"details\": null}",
           "empty text stays a string");
    ok(strncmp(eas_table_render_json(pool, t), "[\n  {\"id\": 1,", 13) == 0, "array of objects");
}

static void test_control_chars(void)
{
    static const char *const names[] = {"v"};
    eas_table *t = eas_table_make(pool, 1, names, NULL);
    eas_table_add(t)[0] = "a\nb\tc";
    is_str(eas_table_render_text(pool, t), "V\na b c\n", "control characters cannot break rows");
    is_str(eas_table_render_json_row(pool, t, 0), "{\"v\": \"a\\u000ab\\u0009c\"}",
           "but JSON keeps them");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_cells();
    test_text();
    test_record();
    test_json();
    test_control_chars();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
