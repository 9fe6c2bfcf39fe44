/* Unit tests: the database-free parts of the store and sync state — item ServerIds, SyncKey
 * succession, pending-change text, EAS dates, FilterType cut-offs, body preference parsing and
 * fetch limits, mbox splitting. (The database parts are covered by the integration suite.) */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_deliver.h"
#include "eas_email.h"
#include "eas_store.h"
#include "eas_syncstate.h"
#include "tap.h"

static apr_pool_t *pool;

static void test_server_ids(void)
{
    eas_folder f = {.id = "17"};
    const char *fid;
    apr_int64_t uid;
    is_str(eas_item_server_id(pool, &f, 42), "17:42", "server id format");
    ok(eas_item_parse_server_id("17:42", &fid, &uid, pool) == 0 && !strcmp(fid, "17") && uid == 42,
       "server id parses back");
    ok(eas_item_parse_server_id("17:0", &fid, &uid, pool) != 0, "uid 0 refused");
    ok(eas_item_parse_server_id(":4", &fid, &uid, pool) != 0, "no folder");
    ok(eas_item_parse_server_id("a:4", &fid, &uid, pool) != 0, "folder not numeric");
    ok(eas_item_parse_server_id("4:", &fid, &uid, pool) != 0, "no uid");
    ok(eas_item_parse_server_id("4:5x", &fid, &uid, pool) != 0, "trailing junk");
    ok(eas_item_parse_server_id("4:-5", &fid, &uid, pool) != 0, "negative uid");
    ok(eas_item_parse_server_id(NULL, &fid, &uid, pool) != 0, "NULL");
    ok(eas_item_parse_server_id("12345678901234567890:1", &fid, &uid, pool) != 0,
       "absurd folder id");
    is_str(eas_folder_class(EAS_FT_INBOX), "Email", "Inbox is mail");
    is_str(eas_folder_class(EAS_FT_USER_CONTACTS), "Contacts", "user contacts folder");
    is_str(eas_folder_class(EAS_FT_CALENDAR), "Calendar", "calendar");
}

static void test_keys(void)
{
    apr_array_header_t *a = apr_array_make(pool, 4, sizeof(eas_change));
    eas_change c1 = {EAS_CH_ADD, 5, 100}, c2 = {EAS_CH_DELETE, 6, 0};
    is_str(eas_sync_next_key(pool, "0a1b2c3d-1"), "0a1b2c3d-2", "next key keeps generation");
    is_str(eas_sync_next_key(pool, "0a1b2c3d-9999999999"), "0a1b2c3d-10000000000",
           "64-bit counter");
    APR_ARRAY_PUSH(a, eas_change) = c1;
    APR_ARRAY_PUSH(a, eas_change) = c2;
    is_str(eas_sync_pending_text(pool, a), "A 5 100\nD 6 0\n", "pending text");
}

static void test_dates(void)
{
    apr_time_t t = eas_date_parse("2026-11-21T10:20:30.456Z");
    is_str(eas_date_text(pool, t), "2026-11-21T10:20:30.456Z", "date round trip");
    ok(eas_date_parse("20261121T102030Z") == t - 456000, "compact form");
    ok(eas_date_parse("2026-13-01T00:00:00Z") == 0, "month 13 refused");
    ok(eas_date_parse("yesterday") == 0, "garbage refused");
    ok(eas_date_parse(NULL) == 0, "NULL");
    ok(eas_filter_since(0, apr_time_now()) == 0, "FilterType 0: everything");
    ok(eas_filter_since(3, apr_time_from_sec(10 * 86400)) == apr_time_from_sec(3 * 86400),
       "FilterType 3: one week");
    ok(eas_filter_since(99, apr_time_now()) == 0, "unknown FilterType: everything");
}

static void test_body_opts(void)
{
    const char *xml = "<Options xmlns=\"AirSync:\" xmlns:b=\"AirSyncBase:\"><FilterType>4"
                      "</FilterType><MIMESupport>2</MIMESupport><b:BodyPreference><b:Type>2"
                      "</b:Type><b:TruncationSize>200</b:TruncationSize><b:Preview>999"
                      "</b:Preview></b:BodyPreference><b:BodyPreference><b:Type>4</b:Type>"
                      "</b:BodyPreference><b:BodyPreference><b:Type>9</b:Type>"
                      "</b:BodyPreference></Options>";
    xmlDocPtr doc = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, 0);
    eas_body_opts o;
    eas_fetch_spec spec;
    eas_body_opts_init(&o);
    is_int(o.window, 100, "default window");
    is_int(o.conflict, 1, "server wins by default");
    eas_body_opts_parse(&o, xmlDocGetRootElement(doc), 141);
    is_int(o.filter_type, 4, "FilterType");
    is_int(o.mime_support, 2, "MIMESupport");
    is_int(o.nprefs, 2, "unknown body type ignored");
    is_int(o.prefs[0].trunc, 200, "TruncationSize");
    is_int(o.prefs[0].preview, 255, "Preview capped at 255");
    {
        eas_body_opts back;
        eas_body_opts_init(&back);
        eas_body_opts_load(&back, eas_body_opts_save(pool, &o));
        ok(back.filter_type == 4 && back.mime_support == 2 && back.nprefs == 2 &&
               back.prefs[0].type == 2 && back.prefs[0].trunc == 200 && back.prefs[1].type == 4 &&
               back.prefs[1].trunc == -1,
           "options survive save/load");
        eas_body_opts_init(&back);
        eas_body_opts_load(&back, "v9 garbage");
        ok(back.nprefs == 0 && back.filter_type == 0, "unknown saved options: defaults");
    }
    eas_body_fetch_spec(&o, &spec);
    ok(spec.mime_max == -1, "MIME wanted whole");
    ok(spec.text_max == -1 && spec.html_max == -1, "untruncated MIME pref widens text/html");
    eas_body_opts_init(&o);
    o.prefs[0] = (eas_body_pref){1, 5120, 0, 0};
    o.nprefs = 1;
    eas_body_fetch_spec(&o, &spec);
    ok(spec.text_max == 5120 && spec.html_max == 0 && spec.mime_max == 0,
       "plain 5 KB fetches 5 KB of text only");
    eas_body_opts_init(&o);
    eas_body_fetch_spec(&o, &spec);
    ok(spec.text_max == -1, "no preference: whole plain text");
    xmlFreeDoc(doc);
}

static void test_mbox(void)
{
    const char *mbox = "From a@b Mon Jan  1 00:00:00 2024\nSubject: one\n\n>From here\n"
                       ">>From there\nbody\n\nFrom c@d Tue Jan  2 00:00:00 2024\nSubject: two\n"
                       "\nx\n";
    apr_size_t pos = 0, len;
    const char *m;
    ok(eas_is_mbox(mbox, strlen(mbox)), "mbox detected");
    ok(!eas_is_mbox("Subject: x\n", 11), "single message is not mbox");
    m = eas_mbox_next(pool, mbox, strlen(mbox), &pos, &len);
    is_str(m, "Subject: one\n\nFrom here\n>From there\nbody\n\n", "first message, unescaped");
    m = eas_mbox_next(pool, mbox, strlen(mbox), &pos, &len);
    is_str(m, "Subject: two\n\nx\n", "second message");
    ok(eas_mbox_next(pool, mbox, strlen(mbox), &pos, &len) == NULL, "end");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_server_ids();
    test_keys();
    test_dates();
    test_body_opts();
    test_mbox();
    apr_pool_destroy(pool);
    return tap_done();
}
