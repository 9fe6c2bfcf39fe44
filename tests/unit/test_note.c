/* Unit tests: the Notes class (eas_note, VJOURNAL through libical) — every MS-ASNOTE element
 * round trips, LastModifiedDate is the server's, MessageClass is checked, a Change keeps what
 * the device did not send (Subject, Body) and foreign properties, import, split/join. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_email.h"
#include "eas_pim.h"
#include "eas_xml.h"
#include "tap.h"

static apr_pool_t *pool;

static xmlNodePtr new_app(xmlDocPtr *doc)
{
    *doc = eas_xml_new_doc("AirSync:", "ApplicationData");
    return xmlDocGetRootElement(*doc);
}

static void add(xmlDocPtr doc, xmlNodePtr app, const char *name, const char *text)
{
    eas_xml_add(app, eas_xml_ns(doc, "Notes:"), name, text);
}

static void add_cats(xmlDocPtr doc, xmlNodePtr app, const char *a, const char *b)
{
    xmlNsPtr ns = eas_xml_ns(doc, "Notes:");
    xmlNodePtr l = eas_xml_add(app, ns, "Categories", NULL);
    if (a) {
        eas_xml_add(l, ns, "Category", a);
    }
    if (b) {
        eas_xml_add(l, ns, "Category", b);
    }
}

static void add_body(xmlDocPtr doc, xmlNodePtr app, int type, const char *data)
{
    xmlNsPtr b = eas_xml_ns(doc, "AirSyncBase:");
    xmlNodePtr body = eas_xml_add(app, b, "Body", NULL);
    eas_xml_add_int(body, b, "Type", type);
    eas_xml_add(body, b, "Data", data);
}

static int from(xmlDocPtr d, xmlNodePtr app, const char *old, eas_pim_item *it, const char **err)
{
    int rc;
    *err = NULL;
    rc = eas_pim_notes.from_eas(pool, app, old, 161, it, err);
    xmlFreeDoc(d);
    return rc;
}

/* to_eas → "name=value" lines in document order (lists and Body as "List/Item=value"); the
 * LastModifiedDate value is returned apart in *lm. */
static const char *shown(const char *data, const eas_body_opts *o, const char **lm)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d), n, k;
    const char *err = NULL, *out = "";
    eas_body_opts dflt;
    eas_body_opts_init(&dflt);
    if (eas_pim_notes.to_eas(pool, d, app, data, o ? o : &dflt, 161, &err) < 0) {
        xmlFreeDoc(d);
        return apr_pstrcat(pool, "error: ", err, NULL);
    }
    for (n = app->children; n; n = n->next) {
        xmlChar *t;
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (!strcmp((const char *)n->name, "Categories") ||
            !strcmp((const char *)n->name, "Body")) {
            for (k = n->children; k; k = k->next) {
                t = xmlNodeGetContent(k);
                out = apr_psprintf(pool, "%s%s %s/%s=%s\n", out, n->ns->href, n->name, k->name,
                                   (const char *)t);
                xmlFree(t);
            }
            continue;
        }
        t = xmlNodeGetContent(n);
        if (!strcmp((const char *)n->name, "LastModifiedDate")) {
            if (lm) {
                *lm = apr_pstrdup(pool, (const char *)t);
            }
            out = apr_psprintf(pool, "%s%s LastModifiedDate=*\n", out, n->ns->href);
        } else {
            out = apr_psprintf(pool, "%s%s %s=%s\n", out, n->ns->href, n->name, (const char *)t);
        }
        xmlFree(t);
    }
    xmlFreeDoc(d);
    return out;
}

static int compact_now_ok(const char *lm, apr_time_t before, apr_time_t after)
{
    apr_time_t t = eas_date_parse(lm);
    return lm && strlen(lm) == 16 && lm[8] == 'T' && lm[15] == 'Z' &&
           t >= apr_time_from_sec(apr_time_sec(before)) && t <= after;
}

static const char *note_text;

static void test_every_field(void)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err, *lm = NULL;
    apr_time_t before = apr_time_now(), after;
    add(d, app, "Subject", "Shopping; list, today");
    add(d, app, "MessageClass", "IPM.StickyNote.Yellow");
    add(d, app, "LastModifiedDate", "20010101T000000Z");
    add_cats(d, app, "Home", "Errands");
    add_body(d, app, 1, "Milk\nEggs; bread, butter\\");
    ok(from(d, app, NULL, &it, &err) == 0, "every field: from_eas");
    after = apr_time_now();
    is_str(it.subject, "Shopping; list, today", "subject column");
    ok(it.pim_uid && strlen(it.pim_uid) == 32, "UID generated");
    ok(strstr(it.data, "BEGIN:VJOURNAL\r\n") != NULL, "stored as VJOURNAL");
    ok(strstr(it.data, "SUMMARY:Shopping\\; list\\, today\r\n") != NULL, "SUMMARY escaped");
    ok(strstr(it.data, "DESCRIPTION:Milk\\nEggs\\; bread\\, butter\\\\\r\n") != NULL,
       "DESCRIPTION escaped");
    ok(strstr(it.data, "X-EAS-MESSAGECLASS:IPM.StickyNote.Yellow\r\n") != NULL,
       "X-EAS-MESSAGECLASS");
    ok(strstr(it.data, "CATEGORIES:Home\r\n") && strstr(it.data, "CATEGORIES:Errands\r\n"),
       "CATEGORIES");
    ok(strstr(it.data, "LAST-MODIFIED:") && !strstr(it.data, "20010101T000000Z"),
       "LAST-MODIFIED is the server's time, not the device's");
    is_str(shown(it.data, NULL, &lm),
           "Notes: Subject=Shopping; list, today\n"
           "AirSyncBase: Body/Type=1\n"
           "AirSyncBase: Body/EstimatedDataSize=25\n"
           "AirSyncBase: Body/Data=Milk\nEggs; bread, butter\\\n"
           "Notes: MessageClass=IPM.StickyNote.Yellow\n"
           "Notes: LastModifiedDate=*\n"
           "Notes: Categories/Category=Home\n"
           "Notes: Categories/Category=Errands\n",
           "every field back");
    ok(compact_now_ok(lm, before, after), "LastModifiedDate compact and now (%s)", lm ? lm : "");
    note_text = it.data;
}

static void test_defaults_and_errors(void)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err;
    add(d, app, "Subject", "plain");
    ok(from(d, app, NULL, &it, &err) == 0, "note without MessageClass");
    is_str(shown(it.data, NULL, NULL),
           "Notes: Subject=plain\nNotes: MessageClass=IPM.StickyNote\nNotes: LastModifiedDate=*\n",
           "MessageClass defaults to IPM.StickyNote; no body, no categories");

    app = new_app(&d);
    add(d, app, "MessageClass", "IPM.Note");
    ok(from(d, app, NULL, &it, &err) == -1, "MessageClass IPM.Note rejected (Status 6)");
    ok(err && strstr(err, "MessageClass"), "err names MessageClass");
    app = new_app(&d);
    add(d, app, "MessageClass", "IPM.StickyNote.");
    ok(from(d, app, NULL, &it, &err) == -1, "IPM.StickyNote. with nothing after rejected");

    app = new_app(&d);
    add_body(d, app, 2, "<p>Big &amp; <b>bold</b></p><p>second</p>");
    ok(from(d, app, NULL, &it, &err) == 0, "HTML body");
    ok(strstr(it.data, "DESCRIPTION:Big & bold\\nsecond\r\n") != NULL, "DESCRIPTION plain");
    ok(strstr(it.data, "X-ALT-DESC;FMTTYPE=text/html:<p>Big &amp; <b>bold</b></p><p>second</p>") !=
           NULL,
       "X-ALT-DESC html");
    {
        eas_body_opts o;
        eas_body_opts_init(&o);
        o.nprefs = 1;
        o.prefs[0].type = 2;
        o.prefs[0].trunc = -1;
        ok(strstr(shown(it.data, &o, NULL),
                  "Body/Data=<p>Big &amp; <b>bold</b></p><p>second</p>\n") != NULL,
           "HTML back for Type 2");
        ok(strstr(shown(it.data, NULL, NULL), "Body/Data=Big & bold\nsecond\n") != NULL,
           "plain for Type 1");
    }
    ok(eas_pim_notes.to_eas(pool, NULL, NULL, "garbage", NULL, 161, &err) == -1,
       "to_eas of garbage fails");
}

static void test_change(void)
{
    static const char *old = "BEGIN:VCALENDAR\r\n"
                             "VERSION:2.0\r\n"
                             "PRODID:-//Other//Importer//EN\r\n"
                             "BEGIN:VJOURNAL\r\n"
                             "UID:note-1@example.com\r\n"
                             "DTSTAMP:20200101T000000Z\r\n"
                             "DTSTART;VALUE=DATE:20200101\r\n"
                             "SUMMARY:Old subject\r\n"
                             "DESCRIPTION:Old body\r\n"
                             "CATEGORIES:Old\r\n"
                             "X-FOO:keep me\r\n"
                             "LAST-MODIFIED:20200101T000000Z\r\n"
                             "END:VJOURNAL\r\n"
                             "END:VCALENDAR\r\n";
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err, *lm = NULL;
    add(d, app, "MessageClass", "IPM.StickyNote");
    ok(from(d, app, old, &it, &err) == 0, "Change without Subject/Body/Categories");
    is_str(it.pim_uid, "note-1@example.com", "UID kept");
    is_str(it.subject, "Old subject", "Subject kept (absent is no delete)");
    ok(strstr(it.data, "DESCRIPTION:Old body\r\n") != NULL, "Body kept");
    ok(!strstr(it.data, "CATEGORIES"), "absent Categories delete them (MS-ASNOTE 3.2.5.3)");
    ok(strstr(it.data, "X-FOO:keep me\r\n") && strstr(it.data, "DTSTART;VALUE=DATE:20200101\r\n") &&
           strstr(it.data, "PRODID:-//Other//Importer//EN\r\n"),
       "foreign properties kept");
    ok(!strstr(it.data, "LAST-MODIFIED:20200101T000000Z"), "LAST-MODIFIED renewed");
    shown(it.data, NULL, &lm);
    ok(lm && strcmp(lm, "20200101T000000Z") > 0, "LastModifiedDate after the old one (%s)",
       lm ? lm : "");

    app = new_app(&d);
    add(d, app, "Subject", "");
    add_body(d, app, 1, "");
    add_cats(d, app, "New", NULL);
    ok(from(d, app, old, &it, &err) == 0, "Change emptying Subject and Body");
    ok(!strstr(it.data, "SUMMARY") && !strstr(it.data, "DESCRIPTION"), "both removed");
    ok(strstr(it.data, "CATEGORIES:New\r\n") != NULL, "categories replaced");
    is_str(it.subject, "", "empty subject column");

    app = new_app(&d);
    ok(from(d, app, "not ical", &it, &err) == -1, "Change of unreadable stored data fails");
}

static void test_parse_split_join(void)
{
    static const char *file = "BEGIN:VCALENDAR\r\n"
                              "VERSION:2.0\r\n"
                              "PRODID:-//Test//EN\r\n"
                              "BEGIN:VJOURNAL\r\n"
                              "UID:j1\r\n"
                              "DTSTAMP:20240101T100000Z\r\n"
                              "SUMMARY:First\r\n"
                              "END:VJOURNAL\r\n"
                              "BEGIN:VJOURNAL\r\n"
                              "UID:j2\r\n"
                              "DTSTAMP:20240102T100000Z\r\n"
                              "SUMMARY:Second\r\n"
                              "DESCRIPTION:Text\r\n"
                              "END:VJOURNAL\r\n"
                              "END:VCALENDAR\r\n";
    apr_array_header_t *items;
    const char *err = NULL, *j, *lm = NULL;
    eas_pim_item it;
    ok(eas_pim_notes.parse(pool, "BEGIN:VJOURNAL\r\nSUMMARY:bare\r\nEND:VJOURNAL\r\n", &it, &err) ==
           0,
       "bare VJOURNAL parses");
    is_str(it.subject, "bare", "subject");
    ok(it.pim_uid && strlen(it.pim_uid) == 32, "UID generated");
    ok(strstr(it.data, "BEGIN:VCALENDAR\r\n") && strstr(it.data, "DTSTAMP:"),
       "wrapped in VCALENDAR with DTSTAMP");
    ok(eas_pim_notes.parse(pool,
                           "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:e\r\nEND:VEVENT\r\n"
                           "END:VCALENDAR\r\n",
                           &it, &err) == -1,
       "VCALENDAR without VJOURNAL rejected");
    ok(eas_pim_notes.parse(pool, "nonsense", &it, &err) == -1, "nonsense rejected");

    ok(eas_pim_notes.split(pool, file, &items, &err) == 0, "split");
    is_int(items->nelts, 2, "two notes");
    if (items->nelts == 2) {
        ok(eas_pim_notes.parse(pool, APR_ARRAY_IDX(items, 1, const char *), &it, &err) == 0,
           "second parses");
        is_str(it.pim_uid, "j2", "second UID");
        is_str(shown(it.data, NULL, &lm),
               "Notes: Subject=Second\n"
               "AirSyncBase: Body/Type=1\n"
               "AirSyncBase: Body/EstimatedDataSize=4\n"
               "AirSyncBase: Body/Data=Text\n"
               "Notes: MessageClass=IPM.StickyNote\n"
               "Notes: LastModifiedDate=*\n",
               "imported note shown");
        is_str(lm, "20240102T100000Z", "LastModifiedDate from DTSTAMP when no LAST-MODIFIED");
        j = eas_pim_notes.join(pool, items);
        ok(j && strstr(j, "UID:j1") && strstr(j, "UID:j2") &&
               !strstr(strstr(j, "BEGIN:VCALENDAR") + 1, "BEGIN:VCALENDAR"),
           "join: one VCALENDAR with both notes");
        ok(eas_pim_notes.split(pool, j, &items, &err) == 0 && items->nelts == 2,
           "joined file splits again");
    }
    ok(eas_pim_notes.split(pool, note_text, &items, &err) == 0 && items->nelts == 1,
       "a stored note splits into itself");
}

/* The elements inside a Sync response, checked against Microsoft's XSDs when they are here. */
static void test_xsd(void)
{
    const char *ref = getenv("EAS_REFERENCE_DIR"), *err, *tool;
    char path[] = "/tmp/test_note_XXXXXX";
    xmlDocPtr d;
    xmlNodePtr n;
    eas_body_opts o;
    int fd, rc;
    FILE *f;
    tool = apr_pstrcat(pool, ref ? ref : "../shared/eas-reference", "/validate-xml", NULL);
    if (access(tool, X_OK) != 0 || system("command -v xmllint >/dev/null 2>&1") != 0) {
        ok(1, "# SKIP validate-xml or xmllint not found");
        return;
    }
    d = eas_xml_new_doc("AirSync:", "Sync");
    n = eas_xml_add(xmlDocGetRootElement(d), NULL, "Collections", NULL);
    n = eas_xml_add(n, NULL, "Collection", NULL);
    eas_xml_add(n, NULL, "SyncKey", "2");
    eas_xml_add(n, NULL, "CollectionId", "4");
    eas_xml_add(n, NULL, "Status", "1");
    n = eas_xml_add(eas_xml_add(n, NULL, "Commands", NULL), NULL, "Add", NULL);
    eas_xml_add(n, NULL, "ServerId", "4:1");
    n = eas_xml_add(n, NULL, "ApplicationData", NULL);
    eas_body_opts_init(&o);
    rc = eas_pim_notes.to_eas(pool, d, n, note_text, &o, 161, &err);
    fd = mkstemp(path);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        xmlDocFormatDump(f, d, 1);
        fclose(f);
    }
    xmlFreeDoc(d);
    ok(rc == 0 && f, "Sync response written");
    ok(system(apr_psprintf(pool, "%s %s >/dev/null", tool, path)) == 0,
       "every-field note validates against Notes.xsd");
    unlink(path);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_every_field();
    test_defaults_and_errors();
    test_change();
    test_parse_split_join();
    test_xsd();
    apr_pool_destroy(pool);
    xmlCleanupParser();
    apr_terminate();
    return tap_done();
}
