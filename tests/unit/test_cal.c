/* Unit tests: the Calendar class (eas_cal*.c) — every field through from_eas/to_eas in 14.1 and
 * 16.1, all-day items, recurrences across DST changes in Berlin and New York with deleted and
 * modified exceptions, 16.x instance changes and deletes, invalid items, Change keeping foreign
 * properties, an Outlook-style .ics import, and the XSD of the output. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libxml/parser.h>

#include "eas_cal.h"
#include "eas_tz.h"
#include "eas_xml.h"
#include "tap.h"

static apr_pool_t *pool;
static const char *berlin, *newyork; /* TimeZone blobs */

/* ---- helpers ------------------------------------------------------------------------------- */

static xmlDocPtr app_doc(const char *inner)
{
    const char *xml = apr_pstrcat(pool,
                                  "<Change xmlns=\"AirSync:\" xmlns:Calendar=\"Calendar:\" "
                                  "xmlns:AirSyncBase=\"AirSyncBase:\"><ApplicationData>",
                                  inner, "</ApplicationData></Change>", NULL);
    return xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NOBLANKS);
}

static xmlNodePtr app_of(xmlDocPtr d)
{
    return eas_xml_child(xmlDocGetRootElement(d), "AirSync:", "ApplicationData");
}

/* from_eas of inner (old: stored form for a Change); -1 and *err on failure. */
static int add(const char *inner, const char *old, int version, eas_pim_item *it, const char **err)
{
    xmlDocPtr d = app_doc(inner);
    int rc = eas_pim_calendar.from_eas(pool, app_of(d), old, version, it, err);
    xmlFreeDoc(d);
    return rc;
}

/* A canonical, order-independent text of an element (children sorted). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *canon(xmlNodePtr n)
{
    apr_array_header_t *kids = apr_array_make(pool, 4, sizeof(const char *));
    xmlNodePtr c;
    const char *s = apr_psprintf(pool, "%s%s", n->ns ? (const char *)n->ns->href : "", n->name);
    int i, text = 0;
    for (c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            APR_ARRAY_PUSH(kids, const char *) = canon(c);
        } else if (c->type == XML_TEXT_NODE) {
            text = 1;
        }
    }
    if (text) {
        xmlChar *v = xmlNodeGetContent(n);
        s = apr_pstrcat(pool, s, "=", (const char *)v, NULL);
        xmlFree(v);
    }
    qsort(kids->elts, (size_t)kids->nelts, sizeof(const char *), cmp_str);
    s = apr_pstrcat(pool, s, "[", NULL);
    for (i = 0; i < kids->nelts; ++i) {
        s = apr_pstrcat(pool, s, APR_ARRAY_IDX(kids, i, const char *), ";", NULL);
    }
    return apr_pstrcat(pool, s, "]", NULL);
}

typedef struct {
    xmlDocPtr doc;
    xmlNodePtr app;
} out_t;

static int to_eas(const char *data, int version, out_t *o, const char **err)
{
    eas_body_opts opts;
    eas_body_opts_init(&opts);
    o->doc = eas_xml_new_doc("AirSync:", "ApplicationData");
    o->app = xmlDocGetRootElement(o->doc);
    return eas_pim_calendar.to_eas(pool, o->doc, o->app, data, &opts, version, err);
}

/* Text of a top-level output element (href NULL: any namespace). */
static const char *out_text(out_t *o, const char *href, const char *name)
{
    const char *v = eas_xml_child_text(o->app, href, name);
    return v ? apr_pstrdup(pool, v) : NULL;
}

/* Every element of the request comes back with the same value (lossless round trip). */
static void same_elements(const char *label, const char *inner, out_t *o, const char *skip)
{
    xmlDocPtr d = app_doc(inner);
    xmlNodePtr c, q;
    for (c = app_of(d)->children; c; c = c->next) {
        const char *want = canon(c);
        int found = 0;
        if (skip && strstr(skip, (const char *)c->name)) {
            continue;
        }
        for (q = o->app->children; q && !found; q = q->next) {
            found = strcmp(canon(q), want) == 0;
        }
        if (!ok(found, "%s: %s round trip", label, c->name)) {
            printf("#   want %s\n", want);
            for (q = o->app->children; q; q = q->next) {
                if (strcmp((const char *)q->name, (const char *)c->name) == 0) {
                    printf("#   got  %s\n", canon(q));
                }
            }
        }
    }
    xmlFreeDoc(d);
}

static apr_time_t utc(const char *s)
{
    apr_time_t t;
    int z;
    return eas_cal_date_in(s, &t, &z) == 0 ? t : -1;
}

static int contains(const char *hay, const char *needle)
{
    int r = hay && strstr(hay, needle) != NULL;
    if (!r) {
        printf("#   '%s' not in:\n%s\n", needle, hay ? hay : "(null)");
    }
    return r;
}

/* Validates <Sync> around app against the XSDs when the checker is installed; -1 skipped. */
static int xsd_valid(out_t *o)
{
    const char *tool = "/work/shared/eas-reference/validate-xml";
    char path[] = "/tmp/test_cal_XXXXXX";
    xmlDocPtr d;
    xmlNodePtr root, n;
    FILE *f;
    int fd, rc;
    if (access(tool, X_OK) != 0 || access("/usr/bin/xmllint", X_OK) != 0) {
        return -1;
    }
    d = eas_xml_new_doc("AirSync:", "Sync");
    root = xmlDocGetRootElement(d);
    n = eas_xml_add(root, NULL, "Collections", NULL);
    n = eas_xml_add(n, NULL, "Collection", NULL);
    eas_xml_add(n, NULL, "SyncKey", "2");
    eas_xml_add(n, NULL, "CollectionId", "1");
    eas_xml_add(n, NULL, "Status", "1");
    n = eas_xml_add(n, NULL, "Commands", NULL);
    n = eas_xml_add(n, NULL, "Add", NULL);
    eas_xml_add(n, NULL, "ServerId", "1:1");
    xmlAddChild(n, xmlDocCopyNode(o->app, d, 1));
    xmlReconciliateNs(d, root);
    fd = mkstemp(path);
    f = fdopen(fd, "w");
    xmlDocFormatDump(f, d, 1);
    fclose(f);
    xmlFreeDoc(d);
    rc = system(apr_psprintf(pool,
                             "%s %s > %s.log 2>&1 || sed 's/^/#   /' %s.log | head -8; "
                             "grep -q ': ok$' %s.log; r=$?; rm -f %s.log; exit $r",
                             tool, path, path, path, path, path));
    unlink(path);
    return rc == 0;
}

/* ---- every field ------------------------------------------------------------------------------
 */

static const char *full_141(void)
{
    return apr_pstrcat(
        pool, "<Calendar:Timezone>", berlin,
        "</Calendar:Timezone>"
        "<Calendar:AllDayEvent>0</Calendar:AllDayEvent>"
        "<Calendar:StartTime>20260316T090000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260316T093000Z</Calendar:EndTime>"
        "<Calendar:Subject>Team, weekly; sync</Calendar:Subject>"
        "<Calendar:Location>Room 1\\2</Calendar:Location>"
        "<AirSyncBase:Body><AirSyncBase:Type>1</AirSyncBase:Type>"
        "<AirSyncBase:EstimatedDataSize>11</AirSyncBase:EstimatedDataSize>"
        "<AirSyncBase:Data>Line1\nLine2</AirSyncBase:Data></AirSyncBase:Body>"
        "<AirSyncBase:NativeBodyType>1</AirSyncBase:NativeBodyType>"
        "<Calendar:Categories><Calendar:Category>Work</Calendar:Category>"
        "<Calendar:Category>Blue</Calendar:Category></Calendar:Categories>"
        "<Calendar:DtStamp>20260301T120000Z</Calendar:DtStamp>"
        "<Calendar:UID>040000008200E00074C5B7101A82E008</Calendar:UID>"
        "<Calendar:OrganizerName>Anat Kerry</Calendar:OrganizerName>"
        "<Calendar:OrganizerEmail>anat@contoso.com</Calendar:OrganizerEmail>"
        "<Calendar:Attendees>"
        "<Calendar:Attendee><Calendar:Email>a@x.org</Calendar:Email><Calendar:Name>A "
        "A</Calendar:Name><Calendar:AttendeeStatus>3</Calendar:AttendeeStatus>"
        "<Calendar:AttendeeType>1</Calendar:AttendeeType></Calendar:Attendee>"
        "<Calendar:Attendee><Calendar:Email>b@x.org</Calendar:Email><Calendar:Name>B</"
        "Calendar:Name><Calendar:AttendeeStatus>4</Calendar:AttendeeStatus>"
        "<Calendar:AttendeeType>2</Calendar:AttendeeType></Calendar:Attendee>"
        "<Calendar:Attendee><Calendar:Email>room@x.org</Calendar:Email><Calendar:Name>Room</"
        "Calendar:Name><Calendar:AttendeeStatus>0</Calendar:AttendeeStatus>"
        "<Calendar:AttendeeType>3</Calendar:AttendeeType></Calendar:Attendee>"
        "<Calendar:Attendee><Calendar:Email>c@x.org</Calendar:Email><Calendar:Name>C</"
        "Calendar:Name><Calendar:AttendeeStatus>2</Calendar:AttendeeStatus></Calendar:Attendee>"
        "<Calendar:Attendee><Calendar:Email>d@x.org</Calendar:Email><Calendar:Name>D</"
        "Calendar:Name><Calendar:AttendeeStatus>5</Calendar:AttendeeStatus></Calendar:Attendee>"
        "</Calendar:Attendees>"
        "<Calendar:Reminder>15</Calendar:Reminder>"
        "<Calendar:BusyStatus>3</Calendar:BusyStatus>"
        "<Calendar:Sensitivity>1</Calendar:Sensitivity>"
        "<Calendar:MeetingStatus>1</Calendar:MeetingStatus>"
        "<Calendar:ResponseRequested>1</Calendar:ResponseRequested>"
        "<Calendar:ResponseType>1</Calendar:ResponseType>"
        "<Calendar:AppointmentReplyTime>20260302T080000Z</Calendar:AppointmentReplyTime>"
        "<Calendar:DisallowNewTimeProposal>1</Calendar:DisallowNewTimeProposal>"
        "<Calendar:OnlineMeetingConfLink>sip:conf@x.org;gruu</Calendar:OnlineMeetingConfLink>"
        "<Calendar:OnlineMeetingExternalLink>https://x.org/m?id=1&amp;a=2</"
        "Calendar:OnlineMeetingExternalLink>"
        "<Calendar:Recurrence><Calendar:Type>1</Calendar:Type><Calendar:Interval>1</"
        "Calendar:Interval><Calendar:DayOfWeek>2</Calendar:DayOfWeek>"
        "<Calendar:Occurrences>6</Calendar:Occurrences>"
        "<Calendar:FirstDayOfWeek>1</Calendar:FirstDayOfWeek></Calendar:Recurrence>"
        "<Calendar:Exceptions>"
        "<Calendar:Exception><Calendar:Deleted>1</Calendar:Deleted>"
        "<Calendar:ExceptionStartTime>20260323T090000Z</Calendar:ExceptionStartTime>"
        "</Calendar:Exception>"
        "<Calendar:Exception>"
        "<Calendar:ExceptionStartTime>20260330T080000Z</Calendar:ExceptionStartTime>"
        "<Calendar:StartTime>20260330T120000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260330T130000Z</Calendar:EndTime>"
        "<Calendar:Subject>Moved</Calendar:Subject>"
        "<Calendar:Location>Room 2</Calendar:Location>"
        "<AirSyncBase:Body><AirSyncBase:Type>1</AirSyncBase:Type>"
        "<AirSyncBase:EstimatedDataSize>5</AirSyncBase:EstimatedDataSize>"
        "<AirSyncBase:Data>Other</AirSyncBase:Data></AirSyncBase:Body>"
        "<Calendar:Categories><Calendar:Category>Red</Calendar:Category></Calendar:Categories>"
        "<Calendar:Sensitivity>2</Calendar:Sensitivity>"
        "<Calendar:BusyStatus>1</Calendar:BusyStatus>"
        "<Calendar:Reminder>5</Calendar:Reminder>"
        "<Calendar:DtStamp>20260305T100000Z</Calendar:DtStamp>"
        "<Calendar:MeetingStatus>3</Calendar:MeetingStatus>"
        "<Calendar:Attendees><Calendar:Attendee><Calendar:Email>a@x.org</Calendar:Email>"
        "<Calendar:Name>A A</Calendar:Name><Calendar:AttendeeStatus>4</Calendar:AttendeeStatus>"
        "<Calendar:AttendeeType>1</Calendar:AttendeeType></Calendar:Attendee></"
        "Calendar:Attendees>"
        "<Calendar:AppointmentReplyTime>20260306T100000Z</Calendar:AppointmentReplyTime>"
        "<Calendar:ResponseType>4</Calendar:ResponseType>"
        "<Calendar:OnlineMeetingConfLink>sip:other</Calendar:OnlineMeetingConfLink>"
        "<Calendar:OnlineMeetingExternalLink>https://x.org/2</Calendar:OnlineMeetingExternalLink>"
        "</Calendar:Exception>"
        "<Calendar:Exception>"
        "<Calendar:ExceptionStartTime>20260406T080000Z</Calendar:ExceptionStartTime>"
        "<Calendar:StartTime>20260406T080000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260406T083000Z</Calendar:EndTime>"
        "<Calendar:Location/>"
        "</Calendar:Exception>"
        "</Calendar:Exceptions>",
        NULL);
}

static void test_full_141(void)
{
    eas_pim_item it;
    const char *err = NULL, *in = full_141();
    out_t o;
    int rc = add(in, NULL, 141, &it, &err);

    if (!ok(rc == 0, "14.1 full event stored") && err) {
        printf("#   %s\n", err);
        return;
    }
    is_str(it.subject, "Team, weekly; sync", "subject column");
    is_str(it.pim_uid, "040000008200E00074C5B7101A82E008", "uid column");
    is_int(it.start, utc("20260316T090000Z"), "start column");
    /* 6 Mondays 10:00 Berlin: the last, 2026-04-20, is after the DST change: 08:00Z + 30 min */
    is_int(it.end, utc("20260420T083000Z"), "end column: last occurrence");
    ok(contains(it.data, "DTSTART;TZID=Europe/Berlin:20260316T100000"), "DTSTART local time");
    ok(contains(it.data, "RRULE:FREQ=WEEKLY;") && contains(it.data, "COUNT=6") &&
           contains(it.data, "BYDAY=MO"),
       "RRULE");
    ok(contains(it.data, "EXDATE;TZID=Europe/Berlin:20260323T100000"), "deleted = EXDATE");
    ok(contains(it.data, "RECURRENCE-ID;TZID=Europe/Berlin:20260330T100000"),
       "modified after DST: RECURRENCE-ID at local 10:00");
    ok(contains(it.data, "DTSTART;TZID=Europe/Berlin:20260330T140000"), "moved to 14:00 local");
    ok(contains(it.data, "BEGIN:VTIMEZONE") && contains(it.data, "TZID:Europe/Berlin"),
       "zone embedded");
    ok(contains(it.data, "ORGANIZER;CN=Anat Kerry:mailto:anat@contoso.com"), "ORGANIZER");
    ok(contains(it.data, "TRIGGER:-PT15M"), "VALARM");
    ok(contains(it.data, "X-MICROSOFT-CDO-BUSYSTATUS:OOF"), "busy status");
    ok(contains(it.data, "CLASS:PRIVATE"), "CLASS");
    ok(contains(it.data, "PARTSTAT=ACCEPTED"), "PARTSTAT");
    ok(contains(it.data, "\r\n"), "CRLF");

    if (!ok(to_eas(it.data, 141, &o, &err) == 0, "14.1 to_eas")) {
        return;
    }
    same_elements("14.1", in, &o, NULL);
    ok(!out_text(&o, NULL, "ClientUid"), "no ClientUid in 14.1");
    if ((rc = xsd_valid(&o)) >= 0) {
        ok(rc == 1, "14.1 output validates against the XSD");
    }
    /* 12.0 has no 14.x elements */
    xmlFreeDoc(o.doc);
    to_eas(it.data, 120, &o, &err);
    ok(!out_text(&o, NULL, "ResponseType") && !out_text(&o, NULL, "OnlineMeetingConfLink") &&
           !out_text(&o, NULL, "DisallowNewTimeProposal") && out_text(&o, NULL, "Subject"),
       "12.0: only its elements");
    xmlFreeDoc(o.doc);
}

static const char *full_161(void)
{
    return apr_pstrcat(
        pool, "<Calendar:Timezone>", berlin,
        "</Calendar:Timezone>"
        "<Calendar:AllDayEvent>0</Calendar:AllDayEvent>"
        "<Calendar:StartTime>20260316T090000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260316T100000Z</Calendar:EndTime>"
        "<Calendar:Subject>Review</Calendar:Subject>"
        "<AirSyncBase:Location><AirSyncBase:DisplayName>HQ</AirSyncBase:DisplayName>"
        "<AirSyncBase:Annotation>3rd floor, left</AirSyncBase:Annotation>"
        "<AirSyncBase:Street>Main St 1</AirSyncBase:Street>"
        "<AirSyncBase:City>Berlin</AirSyncBase:City><AirSyncBase:State>BE</AirSyncBase:State>"
        "<AirSyncBase:Country>DE</AirSyncBase:Country>"
        "<AirSyncBase:PostalCode>10115</AirSyncBase:PostalCode>"
        "<AirSyncBase:Latitude>52.52</AirSyncBase:Latitude>"
        "<AirSyncBase:Longitude>13.405</AirSyncBase:Longitude>"
        "<AirSyncBase:Accuracy>5</AirSyncBase:Accuracy>"
        "<AirSyncBase:Altitude>34.5</AirSyncBase:Altitude>"
        "<AirSyncBase:AltitudeAccuracy>2</AirSyncBase:AltitudeAccuracy>"
        "<AirSyncBase:LocationUri>geo:52.52,13.405</AirSyncBase:LocationUri>"
        "</AirSyncBase:Location>"
        "<AirSyncBase:Body><AirSyncBase:Type>1</AirSyncBase:Type>"
        "<AirSyncBase:EstimatedDataSize>4</AirSyncBase:EstimatedDataSize>"
        "<AirSyncBase:Data>Text</AirSyncBase:Data></AirSyncBase:Body>"
        "<Calendar:ClientUid>client-uid-1</Calendar:ClientUid>"
        "<Calendar:Categories><Calendar:Category>Work</Calendar:Category></Calendar:Categories>"
        "<Calendar:Attendees><Calendar:Attendee><Calendar:Email>a@x.org</Calendar:Email>"
        "<Calendar:Name>A</Calendar:Name><Calendar:AttendeeType>2</Calendar:AttendeeType>"
        "</Calendar:Attendee></Calendar:Attendees>"
        "<Calendar:Reminder>30</Calendar:Reminder>"
        "<Calendar:BusyStatus>4</Calendar:BusyStatus>"
        "<Calendar:Sensitivity>3</Calendar:Sensitivity>"
        "<Calendar:MeetingStatus>1</Calendar:MeetingStatus>"
        "<Calendar:ResponseRequested>0</Calendar:ResponseRequested>"
        "<Calendar:DisallowNewTimeProposal>0</Calendar:DisallowNewTimeProposal>"
        "<Calendar:Recurrence><Calendar:Type>0</Calendar:Type><Calendar:Interval>1</"
        "Calendar:Interval><Calendar:Until>20260320T090000Z</Calendar:Until></"
        "Calendar:Recurrence>",
        NULL);
}

static void test_full_161(void)
{
    eas_pim_item it;
    const char *err = NULL, *in = full_161();
    out_t o;

    if (!ok(add(in, NULL, 161, &it, &err) == 0, "16.1 full event stored")) {
        printf("#   %s\n", err);
        return;
    }
    is_str(it.pim_uid, "client-uid-1", "ClientUid is the UID");
    is_int(it.end, utc("20260320T100000Z"), "end: last daily occurrence (Until)");
    ok(contains(it.data, "X-EAS-LOCATION-STREET:Main St 1"), "structured location kept");
    ok(contains(it.data, "GEO:52.52"), "GEO for other software");
    ok(contains(it.data, "X-MICROSOFT-CDO-BUSYSTATUS:WORKINGELSEWHERE"), "busy 4");
    if (!ok(to_eas(it.data, 161, &o, &err) == 0, "16.1 to_eas")) {
        return;
    }
    same_elements("16.1", in, &o, "ClientUid");
    is_str(out_text(&o, "Calendar:", "UID"), "client-uid-1", "16.1 UID out");
    ok(!eas_xml_child(o.app, "Calendar:", "Location"), "16.1: no Calendar:Location");
    xmlFreeDoc(o.doc);

    /* the same item to a 14.1 device: plain location text, busy (no working elsewhere) */
    to_eas(it.data, 141, &o, &err);
    is_str(out_text(&o, "Calendar:", "Location"), "HQ", "14.1 Location text");
    is_str(out_text(&o, "Calendar:", "BusyStatus"), "2", "14.1 BusyStatus 4 -> 2");
    ok(!eas_xml_child(o.app, "AirSyncBase:", "Location"), "14.1: no AirSyncBase:Location");
    xmlFreeDoc(o.doc);
}

/* ---- all-day --------------------------------------------------------------------------------- */

static void test_all_day(void)
{
    eas_pim_item it, it2;
    const char *err = NULL;
    out_t o;
    const char *in = apr_pstrcat(pool, "<Calendar:Timezone>", berlin,
                                 "</Calendar:Timezone><Calendar:AllDayEvent>1</"
                                 "Calendar:AllDayEvent>"
                                 "<Calendar:StartTime>20260314T230000Z</Calendar:StartTime>"
                                 "<Calendar:EndTime>20260315T230000Z</Calendar:EndTime>"
                                 "<Calendar:Subject>Holiday</Calendar:Subject>",
                                 NULL);
    if (!ok(add(in, NULL, 141, &it, &err) == 0, "all-day (14.1) stored")) {
        printf("#   %s\n", err);
        return;
    }
    ok(contains(it.data, "DTSTART;VALUE=DATE:20260315"), "DTSTART is a DATE of the local day");
    ok(contains(it.data, "DTEND;VALUE=DATE:20260316"), "DTEND next day");
    ok(contains(it.data, "X-EAS-TZID:Europe/Berlin"), "zone remembered");
    is_int(it.start, utc("20260314T230000Z"), "start column: local midnight");
    to_eas(it.data, 141, &o, &err);
    same_elements("all-day 14.1", in, &o, NULL);
    xmlFreeDoc(o.doc);

    to_eas(it.data, 161, &o, &err);
    is_str(out_text(&o, "Calendar:", "StartTime"), "20260315T000000", "16.1: date without Z");
    is_str(out_text(&o, "Calendar:", "EndTime"), "20260316T000000", "16.1 end");
    ok(!eas_xml_child(o.app, "Calendar:", "Timezone"), "16.1 all-day: no Timezone");
    is_str(out_text(&o, "Calendar:", "AllDayEvent"), "1", "AllDayEvent 1");
    xmlFreeDoc(o.doc);

    /* 16.1 device sends dates without time zone */
    if (!ok(add("<Calendar:AllDayEvent>1</Calendar:AllDayEvent>"
                "<Calendar:StartTime>20260501T000000</Calendar:StartTime>"
                "<Calendar:EndTime>20260502T000000</Calendar:EndTime>"
                "<Calendar:Subject>May Day</Calendar:Subject>",
                NULL, 161, &it2, &err) == 0,
            "all-day (16.1) stored")) {
        printf("#   %s\n", err);
        return;
    }
    ok(contains(it2.data, "DTSTART;VALUE=DATE:20260501"), "16.1 all-day DATE");
    ok(!strstr(it2.data, "X-EAS-TZID"), "16.1 all-day: no zone");
    to_eas(it2.data, 161, &o, &err);
    is_str(out_text(&o, "Calendar:", "StartTime"), "20260501T000000", "16.1 all-day back");
    xmlFreeDoc(o.doc);
}

/* ---- recurrences across DST -------------------------------------------------------------------
 */

static void test_dst(const char *label, const char *blob, const char *tzid, const char *start,
                     const char *end, const char *before, const char *after, const char *wrong,
                     int dow)
{
    eas_pim_item it, del;
    const char *err = NULL;
    out_t o;
    xmlNodePtr exs, ex;
    int n = 0;
    const char *in = apr_psprintf(
        pool,
        "<Calendar:Timezone>%s</Calendar:Timezone><Calendar:StartTime>%s</Calendar:StartTime>"
        "<Calendar:EndTime>%s</Calendar:EndTime><Calendar:Subject>Standup</Calendar:Subject>"
        "<Calendar:Recurrence><Calendar:Type>1</Calendar:Type><Calendar:Interval>1</"
        "Calendar:Interval><Calendar:DayOfWeek>%d</Calendar:DayOfWeek></Calendar:Recurrence>"
        "<Calendar:Exceptions><Calendar:Exception><Calendar:Deleted>1</Calendar:Deleted>"
        "<Calendar:ExceptionStartTime>%s</Calendar:ExceptionStartTime></Calendar:Exception>"
        "<Calendar:Exception><Calendar:ExceptionStartTime>%s</Calendar:ExceptionStartTime>"
        "<Calendar:Subject>Standup (moved)</Calendar:Subject></Calendar:Exception>"
        "</Calendar:Exceptions>",
        blob, start, end, dow, before, after);
    eas_cal_ctx c;

    if (!ok(add(in, NULL, 141, &it, &err) == 0, "%s: weekly series stored", label)) {
        printf("#   %s\n", err);
        return;
    }
    is_int(it.end, EAS_PIM_FOREVER, "unbounded series ends never");
    ok(contains(it.data, apr_psprintf(pool, "DTSTART;TZID=%s:", tzid)), "DTSTART in zone");
    /* the occurrence after the change is at the same local time: a different UTC hour */
    memset(&c, 0, sizeof(c));
    ok(eas_cal_delete_instance(pool, it.data, wrong, &del, &err) == -1,
       "%s: same UTC hour after the change is no occurrence", label);
    ok(eas_cal_delete_instance(pool, it.data,
                               apr_psprintf(pool, "%.4s-%.2s-%.2sT%.2s:%.2s:00.000Z", after,
                                            after + 4, after + 6, after + 9, after + 11),
                               &del, &err) == 0,
       "%s: occurrence after the change deleted by InstanceId (extended form)", label);
    ok(!strstr(del.data, "RECURRENCE-ID"), "the override is gone with it");

    to_eas(it.data, 141, &o, &err);
    exs = eas_xml_child(o.app, "Calendar:", "Exceptions");
    for (ex = exs ? eas_xml_child(exs, "Calendar:", "Exception") : NULL; ex;
         ex = eas_xml_next(ex)) {
        ++n;
        if (n == 1) {
            is_str(eas_xml_child_text(ex, "Calendar:", "ExceptionStartTime"), before,
                   "first exception: the deleted one (before the change)");
            is_str(eas_xml_child_text(ex, "Calendar:", "Deleted"), "1", "Deleted 1");
        } else {
            is_str(eas_xml_child_text(ex, "Calendar:", "ExceptionStartTime"), after,
                   "second: the modified one after the change");
            is_str(eas_xml_child_text(ex, "Calendar:", "StartTime"), after,
                   "its start inherited: same local time");
            is_str(eas_xml_child_text(ex, "Calendar:", "Subject"), "Standup (moved)",
                   "own subject");
            ok(!eas_xml_child(ex, "Calendar:", "BusyStatus") &&
                   !eas_xml_child(ex, "Calendar:", "Reminder"),
               "inherited fields not repeated");
        }
    }
    is_int(n, 2, "two exceptions");
    xmlFreeDoc(o.doc);
}

/* ---- other patterns ------------------------------------------------------------------------- */

static void test_patterns(void)
{
    eas_pim_item it;
    const char *err = NULL;
    out_t o;
    const char *monthly =
        "<Calendar:StartTime>20260414T160000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260414T170000Z</Calendar:EndTime>"
        "<Calendar:Subject>Board</Calendar:Subject>"
        "<Calendar:Recurrence><Calendar:Type>3</Calendar:Type><Calendar:Interval>1</"
        "Calendar:Interval><Calendar:DayOfWeek>4</Calendar:DayOfWeek><Calendar:WeekOfMonth>2</"
        "Calendar:WeekOfMonth><Calendar:Occurrences>3</Calendar:Occurrences>"
        "<Calendar:CalendarType>0</Calendar:CalendarType></"
        "Calendar:Recurrence>";
    const char *yearly =
        "<Calendar:StartTime>20260704T120000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260704T130000Z</Calendar:EndTime>"
        "<Calendar:Recurrence><Calendar:Type>5</Calendar:Type><Calendar:Interval>1</"
        "Calendar:Interval><Calendar:DayOfMonth>4</Calendar:DayOfMonth><Calendar:MonthOfYear>7</"
        "Calendar:MonthOfYear><Calendar:Until>20280704T120000Z</Calendar:Until>"
        "<Calendar:CalendarType>0</Calendar:CalendarType></"
        "Calendar:Recurrence>";

    if (ok(add(apr_pstrcat(pool, "<Calendar:Timezone>", newyork, "</Calendar:Timezone>", monthly,
                           NULL),
               NULL, 141, &it, &err) == 0,
           "monthly 2nd Tuesday stored")) {
        ok(contains(it.data, "BYDAY=2TU"), "BYDAY=2TU");
        /* April 14, May 12, June 9 2026, 12:00 New York (EDT): ends 17:00Z */
        is_int(it.end, utc("20260609T170000Z"), "end: third occurrence");
        to_eas(it.data, 141, &o, &err);
        same_elements("monthly", monthly, &o, NULL);
        xmlFreeDoc(o.doc);
    } else {
        printf("#   %s\n", err);
    }
    if (ok(add(yearly, NULL, 141, &it, &err) == 0, "yearly stored")) {
        ok(contains(it.data, "FREQ=YEARLY"), "FREQ=YEARLY");
        is_int(it.end, utc("20280704T130000Z"), "end: 2028 occurrence");
        to_eas(it.data, 141, &o, &err);
        same_elements("yearly", yearly, &o, NULL);
        is_str(out_text(&o, "Calendar:", "Timezone"), eas_tz_to_blob(pool, NULL, 2026),
               "no Timezone sent: UTC blob back");
        xmlFreeDoc(o.doc);
    } else {
        printf("#   %s\n", err);
    }
}

/* ---- 16.1 instance change ------------------------------------------------------------------- */

static void test_instance(void)
{
    eas_pim_item it, ch, bad;
    const char *err = NULL;
    out_t o;
    xmlNodePtr ex;
    int rc;
    const char *in = apr_pstrcat(
        pool, "<Calendar:Timezone>", berlin,
        "</Calendar:Timezone><Calendar:StartTime>20260316T090000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260316T100000Z</Calendar:EndTime>"
        "<Calendar:Subject>Daily</Calendar:Subject><Calendar:Reminder>10</Calendar:Reminder>"
        "<Calendar:Recurrence><Calendar:Type>0</Calendar:Type><Calendar:Interval>1</"
        "Calendar:Interval><Calendar:Occurrences>30</Calendar:Occurrences></Calendar:Recurrence>",
        NULL);
    if (!ok(add(in, NULL, 161, &it, &err) == 0, "16.1 daily series")) {
        printf("#   %s\n", err);
        return;
    }
    /* Change with InstanceId (a child of Change, MS-ASCMD) for 2026-04-01 10:00 Berlin */
    {
        const char *xml = "<Change xmlns=\"AirSync:\" xmlns:Calendar=\"Calendar:\" "
                          "xmlns:AirSyncBase=\"AirSyncBase:\"><ServerId>1:1</ServerId>"
                          "<AirSyncBase:InstanceId>20260401T080000Z</AirSyncBase:InstanceId>"
                          "<ApplicationData><Calendar:Subject>Daily (late)</Calendar:Subject>"
                          "<Calendar:StartTime>20260401T150000Z</Calendar:StartTime>"
                          "<Calendar:EndTime>20260401T160000Z</Calendar:EndTime>"
                          "</ApplicationData></Change>";
        xmlDocPtr d = xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, 0);
        rc = eas_pim_calendar.from_eas(pool, app_of(d), it.data, 161, &ch, &err);
        xmlFreeDoc(d);
        if (!ok(rc == 0, "instance change applied")) {
            printf("#   %s\n", err);
            return;
        }
    }
    ok(contains(ch.data, "RECURRENCE-ID;TZID=Europe/Berlin:20260401T100000"), "override added");
    ok(contains(ch.data, "DTSTART;TZID=Europe/Berlin:20260401T170000"), "its new start");
    ok(contains(ch.data, "SUMMARY:Daily\r\n"), "master unchanged");
    is_int(ch.start, it.start, "start column unchanged");

    /* not an occurrence: 09:00 UTC after the DST change */
    ok(add("<AirSyncBase:InstanceId>20260401T090000Z</AirSyncBase:InstanceId>"
           "<Calendar:Subject>x</Calendar:Subject>",
           it.data, 161, &bad, &err) == -1,
       "instance change of a non-occurrence refused");

    if (!ok(to_eas(ch.data, 161, &o, &err) == 0, "16.1 to_eas of the series")) {
        return;
    }
    ex = eas_xml_child(eas_xml_child(o.app, "Calendar:", "Exceptions"), "Calendar:", "Exception");
    is_str(ex ? eas_xml_child_text(ex, "AirSyncBase:", "InstanceId") : NULL, "20260401T080000Z",
           "16.1 exception named by InstanceId");
    ok(ex && !eas_xml_child(ex, "Calendar:", "ExceptionStartTime"), "16.1: no ExceptionStartTime");
    is_str(ex ? eas_xml_child_text(ex, "Calendar:", "Subject") : NULL, "Daily (late)",
           "exception subject");
    if ((rc = xsd_valid(&o)) >= 0) {
        ok(rc == 1, "16.1 output validates against the XSD");
    }
    xmlFreeDoc(o.doc);

    /* 16.x: a new series time ends the exceptions (MS-ASCAL 2.2.2.22); 14.1 keeps them */
    {
        const char *move = "<Calendar:StartTime>20260316T100000Z</Calendar:StartTime>"
                           "<Calendar:EndTime>20260316T110000Z</Calendar:EndTime>";
        eas_pim_item m;
        ok(add(move, ch.data, 161, &m, &err) == 0 && !strstr(m.data, "RECURRENCE-ID") &&
               contains(m.data, "DTSTART;TZID=Europe/Berlin:20260316T110000"),
           "16.1: moving the series drops its exceptions");
        ok(add(move, ch.data, 141, &m, &err) == 0 && contains(m.data, "RECURRENCE-ID"),
           "14.1: exceptions stay");
    }
    /* delete one occurrence; then the modified one */
    ok(eas_cal_delete_instance(pool, ch.data, "20260402T080000Z", &it, &err) == 0,
       "delete instance");
    ok(contains(it.data, "EXDATE;TZID=Europe/Berlin:20260402T100000"), "EXDATE added");
    ok(eas_cal_delete_instance(pool, it.data, "20260401T080000Z", &it, &err) == 0,
       "delete the modified instance");
    ok(!strstr(it.data, "RECURRENCE-ID") &&
           contains(it.data, "EXDATE;TZID=Europe/Berlin:20260401T100000"),
       "override replaced by an EXDATE");
    ok(eas_cal_delete_instance(pool, it.data, "20260402T083000Z", &bad, &err) == -1 && err,
       "delete of a non-occurrence refused");
    ok(eas_cal_delete_instance(pool, it.data, "garbage", &bad, &err) == -1, "bad InstanceId");
}

/* ---- invalid items -------------------------------------------------------------------------- */

static void test_invalid(void)
{
    static const char *const bad[] = {
        "<Calendar:StartTime>2026-13-01T10:00:00Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260101T100000Z</Calendar:EndTime>",
        "<Calendar:StartTime>20260230T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T100000Z</Calendar:EndTime>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T090000Z</Calendar:EndTime>",
        "<Calendar:Timezone>AAAA</Calendar:Timezone>"
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:BusyStatus>7</"
        "Calendar:BusyStatus>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:Sensitivity>9</"
        "Calendar:Sensitivity>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:MeetingStatus>2</"
        "Calendar:MeetingStatus>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:Reminder>soon</"
        "Calendar:Reminder>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:AllDayEvent>2</"
        "Calendar:AllDayEvent>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:Attendees><Calendar:"
        "Attendee><Calendar:Email>a@x</Calendar:Email><Calendar:Name>a</Calendar:Name>"
        "<Calendar:AttendeeStatus>1</Calendar:AttendeeStatus></Calendar:Attendee></"
        "Calendar:Attendees>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:Recurrence><Calendar:Type>"
        "0</Calendar:Type><Calendar:Until>20260201T100000Z</Calendar:Until></Calendar:Recurrence>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:Recurrence><Calendar:Type>"
        "9</Calendar:Type></Calendar:Recurrence>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><Calendar:Recurrence><Calendar:Type>"
        "0</Calendar:Type></Calendar:Recurrence><Calendar:Exceptions><Calendar:Exception>"
        "<Calendar:ExceptionStartTime>yesterday</Calendar:ExceptionStartTime>"
        "</Calendar:Exception></Calendar:Exceptions>",
        "<Calendar:StartTime>20260301T100000Z</Calendar:StartTime>"
        "<Calendar:EndTime>20260301T110000Z</Calendar:EndTime><AirSyncBase:Location>"
        "<AirSyncBase:Latitude>north</AirSyncBase:Latitude></AirSyncBase:Location>",
        "<Calendar:StartTime>20300301T100000Z</Calendar:StartTime>", /* future start, no end */
    };
    size_t i;
    eas_pim_item it;
    const char *err;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        err = NULL;
        ok(add(bad[i], NULL, 161, &it, &err) == -1 && err, "invalid item %zu refused (%s)", i,
           err ? err : "-");
    }
    ok(eas_pim_calendar.parse(pool,
                              "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\n"
                              "DTSTART;TZID=Mars/Olympus:20260301T100000\r\n"
                              "END:VEVENT\r\nEND:VCALENDAR\r\n",
                              &it, &err) == -1,
       "parse: unknown TZID refused");
    ok(eas_pim_calendar.parse(pool, "not ical", &it, &err) == -1, "parse: garbage refused");
    {
        xmlDocPtr d = eas_xml_new_doc("AirSync:", "A");
        ok(eas_pim_calendar.to_eas(pool, d, xmlDocGetRootElement(d), "x", NULL, 141, &err) == -1,
           "to_eas: unreadable data refused");
        xmlFreeDoc(d);
    }
}

/* ---- Change --------------------------------------------------------------------------------- */

static void test_change(void)
{
    eas_pim_item it, ch;
    const char *err = NULL;
    out_t o;
    const char *old =
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\nBEGIN:VEVENT\r\n"
        "UID:keep-me\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260310T100000Z\r\n"
        "DTEND:20260310T110000Z\r\nSUMMARY:Old\r\nLOCATION:Old place\r\n"
        "RRULE:FREQ=DAILY;COUNT=5\r\nX-FOO-BAR:keep this\r\n"
        "ATTACH:https://example.org/a.pdf\r\nX-EAS-RESPONSETYPE:3\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:keep-me\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID:20260312T100000Z\r\nDTSTART:20260312T120000Z\r\n"
        "DTEND:20260312T130000Z\r\nSUMMARY:Old\r\nLOCATION:Elsewhere\r\nEND:VEVENT\r\n"
        "END:VCALENDAR\r\n";
    if (!ok(eas_pim_calendar.parse(pool, old, &it, &err) == 0, "foreign item parsed")) {
        printf("#   %s\n", err);
        return;
    }
    if (!ok(add("<Calendar:Subject>New</Calendar:Subject><Calendar:ResponseType>2</"
                "Calendar:ResponseType>",
                it.data, 141, &ch, &err) == 0,
            "change applied")) {
        printf("#   %s\n", err);
        return;
    }
    ok(contains(ch.data, "X-FOO-BAR:keep this"), "foreign X- property kept");
    ok(contains(ch.data, "ATTACH:https://example.org/a.pdf"), "ATTACH kept");
    ok(contains(ch.data, "LOCATION:Old place"), "unsent Location kept");
    ok(contains(ch.data, "X-EAS-RESPONSETYPE:2") && !strstr(ch.data, "X-EAS-RESPONSETYPE:3"),
       "X-EAS- property replaced");
    ok(contains(ch.data, "UID:keep-me"), "UID kept");
    ok(contains(ch.data, "DTSTART:20260310T100000Z"), "times kept");
    ok(contains(ch.data, "RRULE:FREQ=DAILY;COUNT=5"), "rule kept");
    is_str(ch.subject, "New", "subject column");
    to_eas(ch.data, 141, &o, &err);
    {
        xmlNodePtr ex = eas_xml_child(eas_xml_child(o.app, "Calendar:", "Exceptions"),
                                      "Calendar:", "Exception");
        ok(ex && !eas_xml_child(ex, "Calendar:", "Subject"), "no own Subject in the exception");
        is_str(ex ? eas_xml_child_text(ex, "Calendar:", "Location") : NULL, "Elsewhere",
               "exception keeps its own location");
    }
    xmlFreeDoc(o.doc);
}

/* ---- import -----------------------------------------------------------------------------------
 */

static void test_import(void)
{
    static const char *const file =
        "BEGIN:VCALENDAR\r\nPRODID:-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN\r\n"
        "VERSION:2.0\r\nMETHOD:PUBLISH\r\n"
        "BEGIN:VTIMEZONE\r\nTZID:W. Europe Standard Time\r\n"
        "BEGIN:STANDARD\r\nDTSTART:16011028T030000\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
        "END:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:16010325T020000\r\n"
        "RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
        "END:DAYLIGHT\r\nEND:VTIMEZONE\r\n"
        "BEGIN:VEVENT\r\nCLASS:PUBLIC\r\nCREATED:20260201T101010Z\r\n"
        "DESCRIPTION:Agenda:\\n1. news\\, more\\n\r\n"
        "DTEND;TZID=\"W. Europe Standard Time\":20260402T113000\r\n"
        "DTSTAMP:20260201T101010Z\r\n"
        "DTSTART;TZID=\"W. Europe Standard Time\":20260402T100000\r\n"
        "LOCATION:Konferenzraum\r\nPRIORITY:5\r\nSEQUENCE:0\r\nSUMMARY;LANGUAGE=de:Planung\r\n"
        "TRANSP:OPAQUE\r\nUID:040000008200E00074C5B7101A82E00800000000\r\n"
        "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\nX-MICROSOFT-DISALLOW-COUNTER:FALSE\r\n"
        "BEGIN:VALARM\r\nTRIGGER:-PT15M\r\nACTION:DISPLAY\r\nDESCRIPTION:Reminder\r\n"
        "END:VALARM\r\nEND:VEVENT\r\n"
        "BEGIN:VEVENT\r\nUID:google-1@google.com\r\nDTSTAMP:20260201T101010Z\r\n"
        "DTSTART;VALUE=DATE:20260406\r\nDTEND;VALUE=DATE:20260407\r\nSUMMARY:Easter Monday\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n";
    apr_array_header_t *items;
    eas_pim_item it;
    const char *err = NULL, *joined;
    out_t o;

    if (!ok(eas_pim_calendar.split(pool, file, &items, &err) == 0 && items->nelts == 2,
            "split: two items")) {
        printf("#   %s\n", err ? err : "-");
        return;
    }
    if (!ok(eas_pim_calendar.parse(pool, APR_ARRAY_IDX(items, 0, const char *), &it, &err) == 0,
            "Outlook item parsed")) {
        printf("#   %s\n", err);
        return;
    }
    is_int(it.start, utc("20260402T080000Z"), "start column: 10:00 CEST");
    is_int(it.end, utc("20260402T093000Z"), "end column");
    is_str(it.subject, "Planung", "subject");
    ok(contains(it.data, "W. Europe Standard Time"), "custom zone kept");
    to_eas(it.data, 141, &o, &err);
    is_str(out_text(&o, "Calendar:", "StartTime"), "20260402T080000Z", "StartTime UTC");
    {
        icaltimezone *z = eas_tz_from_blob(pool, out_text(&o, "Calendar:", "Timezone"), 2026, &err);
        is_str(z ? eas_tz_id(z) : NULL, "Europe/Berlin", "Timezone: Berlin's rules");
    }
    is_str(out_text(&o, "Calendar:", "Reminder"), "15", "Reminder from VALARM");
    is_str(out_text(&o, "Calendar:", "BusyStatus"), "2", "BusyStatus busy");
    is_str(out_text(&o, "Calendar:", "Sensitivity"), "0", "Sensitivity from CLASS");
    is_str(out_text(&o, "Calendar:", "DisallowNewTimeProposal"), "0", "Disallow from Outlook");
    is_str(out_text(&o, "Calendar:", "MeetingStatus"), "0", "an appointment");
    {
        xmlNodePtr b = eas_xml_child(o.app, "AirSyncBase:", "Body");
        is_str(b ? eas_xml_child_text(b, "AirSyncBase:", "Data") : NULL, "Agenda:\n1. news, more\n",
               "DESCRIPTION unescaped");
    }
    xmlFreeDoc(o.doc);

    if (ok(eas_pim_calendar.parse(pool, APR_ARRAY_IDX(items, 1, const char *), &it, &err) == 0,
           "Google all-day item parsed")) {
        to_eas(it.data, 141, &o, &err);
        is_str(out_text(&o, "Calendar:", "AllDayEvent"), "1", "all-day");
        is_str(out_text(&o, "Calendar:", "StartTime"), "20260406T000000Z", "UTC midnight");
        xmlFreeDoc(o.doc);
    }
    joined = eas_pim_calendar.join(pool, items);
    ok(joined && contains(joined, "UID:google-1@google.com") &&
           contains(joined, "W. Europe Standard Time"),
       "join");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    berlin = eas_tz_to_blob(pool, eas_tz_get("Europe/Berlin"), 2026);
    newyork = eas_tz_to_blob(pool, eas_tz_get("America/New_York"), 2026);

    ok(eas_pim_class_get("Calendar") == &eas_pim_calendar, "class registered");
    test_full_141();
    test_full_161();
    test_all_day();
    /* Berlin: 2026-03-29; Mondays 10:00 = 09:00Z before, 08:00Z after */
    test_dst("Berlin", berlin, "Europe/Berlin", "20260316T090000Z", "20260316T093000Z",
             "20260323T090000Z", "20260330T080000Z", "20260330T090000Z", 2);
    /* New York: 2026-03-08; Wednesdays 10:00 = 15:00Z before, 14:00Z after */
    test_dst("New York", newyork, "America/New_York", "20260225T150000Z", "20260225T153000Z",
             "20260304T150000Z", "20260311T140000Z", "20260311T150000Z", 8);
    test_patterns();
    test_instance();
    test_invalid();
    test_change();
    test_import();

    apr_pool_destroy(pool);
    apr_terminate();
    xmlCleanupParser();
    return tap_done();
}
