/* Unit tests: the Tasks class (eas_task) — a task with every field through from_eas and back
 * (the same elements, the exact stored lines, the columns, XSD validity), each Importance and
 * Sensitivity, recurrences, refused inputs, a Change keeping what EAS does not carry (X-, ATTACH,
 * untouched imported forms), the Change rules for absent Importance/ReminderSet/Body, an import
 * from another system, and split/join. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libxml/parser.h>

#include "eas_pim.h"
#include "eas_xml.h"
#include "tap.h"

static apr_pool_t *pool;
static const eas_pim_class *T;

#define AS_NS "xmlns=\"AirSync:\" xmlns:tasks=\"Tasks:\" xmlns:airsyncbase=\"AirSyncBase:\""

/* ApplicationData parsed from the inner XML of a request. */
static xmlDocPtr app_doc(const char *inner)
{
    const char *x = apr_psprintf(pool, "<ApplicationData %s>%s</ApplicationData>", AS_NS, inner);
    return xmlReadMemory(x, (int)strlen(x), "a.xml", NULL, 0);
}

/* Children of n as "Name=value;..." and "Name{...}" for containers, in document order. */
static const char *dump(xmlNodePtr n)
{
    const char *out = "";
    xmlNodePtr c;
    for (c = n->children; c; c = c->next) {
        xmlNodePtr e;
        int leaf = 1;
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        for (e = c->children; e; e = e->next) {
            leaf &= e->type != XML_ELEMENT_NODE;
        }
        if (leaf) {
            xmlChar *t = xmlNodeGetContent(c);
            out = apr_psprintf(pool, "%s%s%s=%s", out, *out ? ";" : "", (const char *)c->name,
                               (const char *)t);
            xmlFree(t);
        } else {
            out = apr_psprintf(pool, "%s%s%s{%s}", out, *out ? ";" : "", (const char *)c->name,
                               dump(c));
        }
    }
    return out;
}

static int add_item(const char *inner, const char *old, eas_pim_item *it, const char **err)
{
    xmlDocPtr d = app_doc(inner);
    int rc;
    *err = NULL;
    rc = T->from_eas(pool, xmlDocGetRootElement(d), old, 161, it, err);
    xmlFreeDoc(d);
    return rc;
}

/* Stored text → ApplicationData children (HTML preferred when html, else plain). */
static const char *out_of(const char *data, int html, int version, xmlDocPtr *keep)
{
    eas_body_opts o;
    xmlDocPtr d = eas_xml_new_doc("AirSync:", "ApplicationData");
    const char *err = NULL, *s;
    eas_body_opts_init(&o);
    o.prefs[0].type = html ? 2 : 1;
    o.prefs[0].trunc = -1;
    o.nprefs = 1;
    if (T->to_eas(pool, d, xmlDocGetRootElement(d), data, &o, version, &err) != 0) {
        xmlFreeDoc(d);
        return apr_pstrcat(pool, "ERR ", err ? err : "(no message)", NULL);
    }
    s = dump(xmlDocGetRootElement(d));
    if (keep) {
        *keep = d;
    } else {
        xmlFreeDoc(d);
    }
    return s;
}

static int has_line(const char *data, const char *line)
{
    const char *s = data;
    size_t n = strlen(line);
    while ((s = strstr(s, line))) {
        if ((s == data || s[-1] == '\n') && (s[n] == '\r' || s[n] == '\n')) {
            return 1;
        }
        s += n;
    }
    return 0;
}

#define LINE(data, l)   ok(has_line(data, l), "stored line %s", l)
#define NOLINE(data, l) ok(!has_line(data, l), "no stored line %s", l)

static const char *FULL =
    "<airsyncbase:Body><airsyncbase:Type>2</airsyncbase:Type>"
    "<airsyncbase:Data>&lt;p&gt;Must &lt;b&gt;do&lt;/b&gt; it &amp;amp; more&lt;/p&gt;"
    "</airsyncbase:Data></airsyncbase:Body>"
    "<tasks:Subject>TPS reports; Q4, final</tasks:Subject>"
    "<tasks:Importance>2</tasks:Importance>"
    "<tasks:UtcStartDate>2026-11-20T08:00:00.000Z</tasks:UtcStartDate>"
    "<tasks:StartDate>2026-11-20T00:00:00.000Z</tasks:StartDate>"
    "<tasks:UtcDueDate>2026-11-27T08:00:00.000Z</tasks:UtcDueDate>"
    "<tasks:DueDate>2026-11-27T00:00:00.000Z</tasks:DueDate>"
    "<tasks:Categories><tasks:Category>Business</tasks:Category>"
    "<tasks:Category>Reports, Q4</tasks:Category></tasks:Categories>"
    "<tasks:Recurrence><tasks:Type>1</tasks:Type><tasks:Interval>2</tasks:Interval>"
    "<tasks:DayOfWeek>34</tasks:DayOfWeek><tasks:Until>2027-06-01T08:00:00.000Z</tasks:Until>"
    "<tasks:FirstDayOfWeek>0</tasks:FirstDayOfWeek>"
    "<tasks:Start>2026-11-20T00:00:00.000Z</tasks:Start><tasks:Regenerate>0</tasks:Regenerate>"
    "<tasks:DeadOccur>1</tasks:DeadOccur></tasks:Recurrence>"
    "<tasks:Complete>1</tasks:Complete>"
    "<tasks:DateCompleted>2026-11-25T15:30:00.000Z</tasks:DateCompleted>"
    "<tasks:Sensitivity>1</tasks:Sensitivity>"
    "<tasks:ReminderTime>2026-11-26T16:00:00.000Z</tasks:ReminderTime>"
    "<tasks:ReminderSet>1</tasks:ReminderSet>"
    "<tasks:OrdinalDate>2026-11-19T10:00:00.000Z</tasks:OrdinalDate>"
    "<tasks:SubOrdinalDate>0001</tasks:SubOrdinalDate>";

static const char *FULL_OUT =
    "Body{Type=2;EstimatedDataSize=35;Data=<p>Must <b>do</b> it &amp; more</p>};"
    "Subject=TPS reports; Q4, final;Importance=2;"
    "UtcStartDate=2026-11-20T08:00:00.000Z;StartDate=2026-11-20T00:00:00.000Z;"
    "UtcDueDate=2026-11-27T08:00:00.000Z;DueDate=2026-11-27T00:00:00.000Z;"
    "Categories{Category=Business;Category=Reports, Q4};"
    "Recurrence{Type=1;Interval=2;DayOfWeek=34;Until=2027-06-01T08:00:00.000Z;FirstDayOfWeek=0;"
    "Start=2026-11-20T00:00:00.000Z;Regenerate=0;DeadOccur=1};"
    "Complete=1;DateCompleted=2026-11-25T15:30:00.000Z;Sensitivity=1;"
    "ReminderTime=2026-11-26T16:00:00.000Z;ReminderSet=1;"
    "OrdinalDate=2026-11-19T10:00:00.000Z;SubOrdinalDate=0001";

/* Sorted children dump of the request, to compare with what to_eas gives (order-free). */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static const char *sorted(const char *dumped)
{
    /* split on top-level ';' (not inside braces) and sort */
    apr_array_header_t *parts = apr_array_make(pool, 32, sizeof(char *));
    char *s = apr_pstrdup(pool, dumped), *start = s;
    int depth = 0, i;
    const char *out = "";
    for (;; ++s) {
        if (*s == '{') {
            ++depth;
        } else if (*s == '}') {
            --depth;
        }
        if ((*s == ';' && depth == 0 && s[1] && (s[1] >= 'A' && s[1] <= 'Z')) || !*s) {
            int end = !*s;
            *s = '\0';
            APR_ARRAY_PUSH(parts, char *) = start;
            start = s + 1;
            if (end) {
                break;
            }
        }
    }
    qsort(parts->elts, (size_t)parts->nelts, sizeof(char *), cmp_str);
    for (i = 0; i < parts->nelts; ++i) {
        out = apr_psprintf(pool, "%s%s%s", out, i ? ";" : "", APR_ARRAY_IDX(parts, i, char *));
    }
    return out;
}

static void test_full(void)
{
    eas_pim_item it, again;
    const char *err, *d, *out, *in;
    xmlDocPtr req = app_doc(FULL), resp = NULL;

    is_int(add_item(FULL, NULL, &it, &err), 0, "full task: from_eas");
    if (!it.data) {
        return;
    }
    d = it.data;
    is_str(it.subject, "TPS reports; Q4, final", "column subject");
    is_int(it.start, apr_time_from_sec(1795161600), "column start = UtcStartDate");
    is_int(it.end, apr_time_from_sec(1795766400), "column end = UtcDueDate");
    is_int(it.complete, 1, "column complete");
    ok(it.pim_uid && strlen(it.pim_uid) == 32 && strspn(it.pim_uid, "0123456789abcdef") == 32,
       "generated UID is 32 hex digits");
    ok(strstr(d, "\r\n") != NULL, "CRLF line ends");
    LINE(d, "BEGIN:VTODO");
    LINE(d, "SUMMARY:TPS reports\\; Q4\\, final");
    LINE(d, "DESCRIPTION:Must do it & more");
    LINE(d, "X-ALT-DESC;FMTTYPE=text/html:<p>Must <b>do</b> it &amp; more</p>");
    LINE(d, "PRIORITY:1");
    LINE(d, "DTSTART:20261120T080000Z");
    LINE(d, "X-EAS-STARTDATE:20261120T000000");
    LINE(d, "DUE:20261127T080000Z");
    LINE(d, "X-EAS-DUEDATE:20261127T000000");
    LINE(d, "CATEGORIES:Business");
    LINE(d, "X-EAS-CATEGORY:Reports, Q4");
    LINE(d, "RRULE:FREQ=WEEKLY;UNTIL=20270601T080000Z;INTERVAL=2;BYDAY=MO,FR;WKST=SU");
    NOLINE(d, "X-EAS-RECUR-START:20261120T000000"); /* Start = the local start date */
    LINE(d, "X-EAS-REGENERATE:0");
    LINE(d, "X-EAS-DEADOCCUR:1");
    LINE(d, "STATUS:COMPLETED");
    LINE(d, "PERCENT-COMPLETE:100");
    LINE(d, "COMPLETED:20261125T153000Z");
    LINE(d, "CLASS:PRIVATE");
    LINE(d, "X-EAS-SENSITIVITY:1");
    LINE(d, "BEGIN:VALARM");
    LINE(d, "ACTION:DISPLAY");
    LINE(d, "TRIGGER;VALUE=DATE-TIME:20261126T160000Z");
    LINE(d, "X-EAS-ORDINALDATE:20261119T100000");
    LINE(d, "X-EAS-SUBORDINALDATE:0001");

    out = out_of(d, 1, 161, &resp);
    is_str(out, FULL_OUT, "full task: to_eas gives every element back");
    /* order-free: the request's elements (bar the body's EstimatedDataSize) are all there */
    in = dump(xmlDocGetRootElement(req));
    in = sorted(in);
    {
        const char *o2 = sorted(FULL_OUT);
        const char *in_body = strstr(in, "Body{"), *o_body = strstr(o2, "Body{");
        ok(in_body && o_body, "both have a body");
        is_str(strchr(in, '}') + 1, strchr(o2, '}') + 1, "request and response elements equal");
    }
    /* the plain preference gives DESCRIPTION */
    out = out_of(d, 0, 161, NULL);
    ok(strncmp(out, "Body{Type=1;EstimatedDataSize=17;Data=Must do it & more};Subject=", 65) == 0,
       "plain body from DESCRIPTION: %s", out);

    /* XSD: the response inside a Sync Add validates against Tasks.xsd */
    if (resp && access("/work/shared/eas-reference/validate-xml", X_OK) == 0 &&
        access("/usr/bin/xmllint", X_OK) == 0) {
        xmlDocPtr sync = eas_xml_new_doc("AirSync:", "Sync");
        xmlNodePtr r = xmlDocGetRootElement(sync), c, add, app;
        char path[] = "/tmp/test_task_XXXXXX";
        int fd = mkstemp(path), rc;
        xmlChar *buf;
        int len;
        c = eas_xml_add(eas_xml_add(r, NULL, "Collections", NULL), NULL, "Collection", NULL);
        eas_xml_add(c, NULL, "SyncKey", "2");
        eas_xml_add(c, NULL, "CollectionId", "7");
        eas_xml_add(c, NULL, "Status", "1");
        add = eas_xml_add(eas_xml_add(c, NULL, "Commands", NULL), NULL, "Add", NULL);
        eas_xml_add(add, NULL, "ServerId", "7:1");
        app = xmlDocCopyNode(xmlDocGetRootElement(resp), sync, 1);
        xmlAddChild(add, app);
        xmlReconciliateNs(sync, r);
        xmlDocDumpMemory(sync, &buf, &len);
        rc = (int)write(fd, buf, (size_t)len);
        close(fd);
        xmlFree(buf);
        rc = system(
            apr_psprintf(pool, "/work/shared/eas-reference/validate-xml %s >/dev/null 2>&1", path));
        is_int(rc, 0, "full task validates against the XSDs (validate-xml)");
        unlink(path);
        xmlFreeDoc(sync);
    } else {
        ok(1, "# SKIP validate-xml or xmllint missing");
    }

    /* store → to_eas → from_eas (Change with what we sent) → the same stored lines */
    {
        xmlNodePtr app = xmlDocGetRootElement(resp);
        /* the device echoes the body as it got it */
        is_int(T->from_eas(pool, app, d, 161, &again, &err), 0, "echo Change accepted");
        out = out_of(again.data, 1, 161, NULL);
        is_str(out, FULL_OUT, "echo Change: the same elements again");
        is_str(again.pim_uid, it.pim_uid, "Change keeps the UID");
    }
    xmlFreeDoc(resp);
    xmlFreeDoc(req);
}

static void test_values(void)
{
    static const struct {
        const char *imp, *line, *back;
    } imps[] = {{"0", "PRIORITY:9", "Importance=0"},
                {"1", "PRIORITY:5", "Importance=1"},
                {"2", "PRIORITY:1", "Importance=2"},
                {"7", "X-EAS-IMPORTANCE:7", "Importance=7"}};
    static const struct {
        const char *sens, *line, *back;
    } sens[] = {{"0", "CLASS:PUBLIC", "Sensitivity=0"},
                {"1", "CLASS:PRIVATE", "Sensitivity=1"},
                {"2", "CLASS:PRIVATE", "Sensitivity=2"},
                {"3", "CLASS:CONFIDENTIAL", "Sensitivity=3"}};
    eas_pim_item it;
    const char *err;
    size_t i;

    for (i = 0; i < 4; ++i) {
        const char *x = apr_psprintf(pool,
                                     "<tasks:Importance>%s</tasks:Importance>"
                                     "<tasks:Complete>0</tasks:Complete>",
                                     imps[i].imp);
        if (add_item(x, NULL, &it, &err) == 0) {
            LINE(it.data, imps[i].line);
            ok(strstr(out_of(it.data, 0, 161, NULL), imps[i].back) != NULL, "%s back",
               imps[i].back);
        } else {
            ok(0, "Importance %s accepted: %s", imps[i].imp, err);
        }
    }
    for (i = 0; i < 4; ++i) {
        const char *x =
            apr_psprintf(pool, "<tasks:Sensitivity>%s</tasks:Sensitivity>", sens[i].sens);
        if (add_item(x, NULL, &it, &err) == 0) {
            LINE(it.data, sens[i].line);
            ok(strstr(out_of(it.data, 0, 161, NULL), sens[i].back) != NULL, "%s back",
               sens[i].back);
        } else {
            ok(0, "Sensitivity %s accepted: %s", sens[i].sens, err);
        }
    }
    /* minimal task: the defaults every response carries */
    is_int(add_item("<tasks:Subject>x</tasks:Subject><tasks:Complete>0</tasks:Complete>", NULL, &it,
                    &err),
           0, "minimal task");
    is_str(out_of(it.data, 0, 161, NULL),
           "Subject=x;Importance=1;Complete=0;Sensitivity=0;ReminderSet=0", "minimal task back");
    LINE(it.data, "STATUS:NEEDS-ACTION");
    is_int(it.start, 0, "no start column");
    is_int(it.end, 0, "no end column");
    /* only the local due date: a floating DUE */
    is_int(add_item("<tasks:DueDate>2026-11-27T00:00:00.000Z</tasks:DueDate>", NULL, &it, &err), 0,
           "local due date only");
    LINE(it.data, "DUE:20261127T000000");
    ok(strstr(out_of(it.data, 0, 161, NULL),
              "UtcDueDate=2026-11-27T00:00:00.000Z;DueDate=2026-11-27T00:00:00.000Z") != NULL,
       "floating DUE gives both dates");
    /* Complete without DateCompleted: completed now */
    is_int(add_item("<tasks:Complete>1</tasks:Complete>", NULL, &it, &err), 0,
           "Complete=1 without DateCompleted");
    ok(strstr(out_of(it.data, 0, 161, NULL), "Complete=1;DateCompleted=") != NULL,
       "DateCompleted sent with Complete=1");
    /* ReminderSet without a time: relative to the due date */
    is_int(add_item("<tasks:UtcDueDate>2026-11-27T08:00:00.000Z</tasks:UtcDueDate>"
                    "<tasks:ReminderSet>1</tasks:ReminderSet>",
                    NULL, &it, &err),
           0, "ReminderSet without ReminderTime");
    LINE(it.data, "TRIGGER;RELATED=END:PT0S");
    ok(strstr(out_of(it.data, 0, 161, NULL),
              "ReminderTime=2026-11-27T08:00:00.000Z;ReminderSet=1") != NULL,
       "reminder at the due time");
}

static void test_recurrence(void)
{
    static const struct {
        const char *rec, *rrule, *back;
    } t[] = {
        {"<tasks:Type>0</tasks:Type><tasks:Interval>3</tasks:Interval>"
         "<tasks:Occurrences>10</tasks:Occurrences>",
         "RRULE:FREQ=DAILY;COUNT=10;INTERVAL=3",
         "Recurrence{Type=0;Occurrences=10;Interval=3;Start=2026-11-20T00:00:00.000Z}"},
        {"<tasks:Type>2</tasks:Type><tasks:DayOfMonth>20</tasks:DayOfMonth>",
         "RRULE:FREQ=MONTHLY;BYMONTHDAY=20",
         "Recurrence{Type=2;Interval=1;DayOfMonth=20;CalendarType=0;"
         "Start=2026-11-20T00:00:00.000Z}"},
        {"<tasks:Type>3</tasks:Type><tasks:WeekOfMonth>5</tasks:WeekOfMonth>"
         "<tasks:DayOfWeek>62</tasks:DayOfWeek>",
         "RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
         "Recurrence{Type=3;Interval=1;WeekOfMonth=5;DayOfWeek=62;CalendarType=0;"
         "Start=2026-11-20T00:00:00.000Z}"},
        {"<tasks:Type>5</tasks:Type><tasks:DayOfMonth>20</tasks:DayOfMonth>"
         "<tasks:MonthOfYear>11</tasks:MonthOfYear>",
         "RRULE:FREQ=YEARLY;BYMONTHDAY=20;BYMONTH=11",
         "Recurrence{Type=5;Interval=1;MonthOfYear=11;DayOfMonth=20;CalendarType=0;"
         "Start=2026-11-20T00:00:00.000Z}"},
        {"<tasks:Type>5</tasks:Type><tasks:DayOfMonth>1</tasks:DayOfMonth>"
         "<tasks:MonthOfYear>5</tasks:MonthOfYear><tasks:CalendarType>15</tasks:CalendarType>"
         "<tasks:IsLeapMonth>1</tasks:IsLeapMonth>",
         "RRULE:RSCALE=CHINESE;FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=5L",
         "Recurrence{Type=5;Interval=1;MonthOfYear=5;DayOfMonth=1;CalendarType=15;IsLeapMonth=1;"
         "Start=2026-11-20T00:00:00.000Z}"},
        {"<tasks:Type>6</tasks:Type><tasks:WeekOfMonth>3</tasks:WeekOfMonth>"
         "<tasks:DayOfWeek>32</tasks:DayOfWeek><tasks:MonthOfYear>11</tasks:MonthOfYear>",
         "RRULE:FREQ=YEARLY;BYDAY=3FR;BYMONTH=11",
         "Recurrence{Type=6;Interval=1;WeekOfMonth=3;DayOfWeek=32;MonthOfYear=11;CalendarType=0;"
         "Start=2026-11-20T00:00:00.000Z}"},
    };
    eas_pim_item it;
    const char *err;
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        const char *x =
            apr_psprintf(pool,
                         "<tasks:StartDate>2026-11-20T00:00:00.000Z</tasks:StartDate>"
                         "<tasks:UtcStartDate>2026-11-20T08:00:00.000Z</tasks:UtcStartDate>"
                         "<tasks:Recurrence>%s<tasks:Start>2026-11-20T00:00:00.000Z</tasks:Start>"
                         "</tasks:Recurrence>",
                         t[i].rec);
        if (add_item(x, NULL, &it, &err) != 0) {
            ok(0, "recurrence %zu accepted: %s", i, err);
            continue;
        }
        LINE(it.data, t[i].rrule);
        NOLINE(it.data, "X-EAS-RECUR-START:20261120T000000"); /* Start = local start date */
        ok(strstr(out_of(it.data, 0, 161, NULL), t[i].back) != NULL, "%s back", t[i].rrule);
    }
    /* a recurrence with no StartDate: DTSTART from Start */
    is_int(add_item("<tasks:Recurrence><tasks:Type>0</tasks:Type>"
                    "<tasks:Start>2026-11-20T00:00:00.000Z</tasks:Start></tasks:Recurrence>",
                    NULL, &it, &err),
           0, "recurrence without StartDate");
    LINE(it.data, "DTSTART:20261120T000000");
    /* 12.1: no CalendarType */
    is_int(add_item("<tasks:UtcStartDate>2026-11-20T00:00:00.000Z</tasks:UtcStartDate>"
                    "<tasks:Recurrence><tasks:Type>2</tasks:Type><tasks:DayOfMonth>2"
                    "</tasks:DayOfMonth><tasks:Start>2026-11-20T00:00:00.000Z</tasks:Start>"
                    "</tasks:Recurrence>",
                    NULL, &it, &err),
           0, "monthly");
    ok(strstr(out_of(it.data, 0, 121, NULL), "Recurrence{Type=2;Interval=1;DayOfMonth=2;Start=") !=
           NULL,
       "12.1 Recurrence without CalendarType");
}

static void test_invalid(void)
{
    static const char *const bad[] = {
        "<tasks:Complete>2</tasks:Complete>",
        "<tasks:Complete>yes</tasks:Complete>",
        "<tasks:Sensitivity>4</tasks:Sensitivity>",
        "<tasks:Importance>256</tasks:Importance>",
        "<tasks:Importance>-1</tasks:Importance>",
        "<tasks:ReminderSet>2</tasks:ReminderSet>",
        "<tasks:UtcDueDate>tomorrow</tasks:UtcDueDate>",
        "<tasks:StartDate>2026-13-01T00:00:00.000Z</tasks:StartDate>",
        "<tasks:DateCompleted>x</tasks:DateCompleted>",
        "<tasks:ReminderTime>2026-02-30T25:00:00.000Z</tasks:ReminderTime>",
        "<tasks:Recurrence><tasks:Type>0</tasks:Type></tasks:Recurrence>", /* no Start */
        "<tasks:Recurrence><tasks:Type>4</tasks:Type><tasks:Start>2026-11-20T00:00:00.000Z"
        "</tasks:Start></tasks:Recurrence>",
        "<tasks:Recurrence><tasks:Type>1</tasks:Type><tasks:Start>2026-11-20T00:00:00.000Z"
        "</tasks:Start></tasks:Recurrence>", /* weekly without DayOfWeek */
        "<tasks:Recurrence><tasks:Type>0</tasks:Type><tasks:Start>2026-11-20T00:00:00.000Z"
        "</tasks:Start><tasks:Regenerate>300</tasks:Regenerate></tasks:Recurrence>",
    };
    eas_pim_item it;
    const char *err;
    size_t i;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        int rc = add_item(bad[i], NULL, &it, &err);
        ok(rc == -1 && err && *err, "refused (%s): %s", err ? err : "no message", bad[i]);
    }
    /* a stored form that is not iCalendar: to_eas and Change fail cleanly */
    ok(strncmp(out_of("garbage", 0, 161, NULL), "ERR ", 4) == 0, "to_eas of garbage fails");
    ok(add_item("<tasks:Subject>x</tasks:Subject>", "garbage", &it, &err) == -1 && err,
       "Change of garbage fails");
}

static const char *IMPORT =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Other//EN\r\n"
    "BEGIN:VTODO\r\nUID:abc@other.example\r\nDTSTAMP:20260101T000000Z\r\n"
    "SUMMARY:Imported\r\nPRIORITY:3\r\nDUE;VALUE=DATE:20261121\r\n"
    "DTSTART;TZID=Europe/Berlin:20261120T090000\r\nSTATUS:IN-PROCESS\r\n"
    "PERCENT-COMPLETE:40\r\nX-OTHER-PROP:foo\r\nATTACH:https://example.org/a.pdf\r\n"
    "RRULE:FREQ=WEEKLY\r\n"
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nDESCRIPTION:x\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n"
    "END:VTODO\r\nEND:VCALENDAR\r\n";

static void test_import_and_change(void)
{
    eas_pim_item it, ch;
    const char *err = NULL, *out;
    xmlDocPtr resp = NULL;
    int rc;

    is_int(T->parse(pool, IMPORT, &it, &err), 0, "parse an imported VTODO");
    if (!it.data) {
        printf("# %s\n", err);
        return;
    }
    is_str(it.pim_uid, "abc@other.example", "import keeps its UID");
    is_str(it.subject, "Imported", "import subject");
    is_int(it.start, apr_time_from_sec(1795161600), "start: 09:00 Berlin = 08:00Z");
    is_int(it.end, apr_time_from_sec(1795219200), "end: DATE due at midnight");
    is_int(it.complete, 0, "IN-PROCESS is not complete");
    LINE(it.data, "BEGIN:VTIMEZONE");
    LINE(it.data, "TZID:Europe/Berlin");
    out = out_of(it.data, 0, 141, &resp);
    is_str(out,
           "Subject=Imported;Importance=2;UtcStartDate=2026-11-20T08:00:00.000Z;"
           "StartDate=2026-11-20T09:00:00.000Z;UtcDueDate=2026-11-21T00:00:00.000Z;"
           "DueDate=2026-11-21T00:00:00.000Z;Recurrence{Type=1;Interval=1;DayOfWeek=32;"
           "FirstDayOfWeek=1;Start=2026-11-20T09:00:00.000Z};Complete=0;Sensitivity=0;"
           "ReminderTime=2026-11-20T07:45:00.000Z;ReminderSet=1",
           "imported task as EAS");

    /* the device sends it all back unchanged: the imported forms stay */
    if (resp) {
        is_int(T->from_eas(pool, xmlDocGetRootElement(resp), it.data, 141, &ch, &err), 0,
               "echo Change of the import");
        LINE(ch.data, "DUE;VALUE=DATE:20261121");
        LINE(ch.data, "DTSTART;TZID=Europe/Berlin:20261120T090000");
        LINE(ch.data, "PRIORITY:3");
        LINE(ch.data, "STATUS:IN-PROCESS");
        LINE(ch.data, "PERCENT-COMPLETE:40");
        LINE(ch.data, "TRIGGER:-PT15M");
        LINE(ch.data, "X-OTHER-PROP:foo");
        LINE(ch.data, "ATTACH:https://example.org/a.pdf");
        LINE(ch.data, "RRULE:FREQ=WEEKLY;BYDAY=FR");
        is_str(out_of(ch.data, 0, 141, NULL), out, "echo Change: same elements");
        xmlFreeDoc(resp);
    }

    /* a real Change: new subject, completed, no Importance/ReminderSet/Body (unchanged) */
    is_int(add_item("<tasks:Subject>Done</tasks:Subject><tasks:Complete>1</tasks:Complete>"
                    "<tasks:DateCompleted>2026-11-21T10:00:00.000Z</tasks:DateCompleted>",
                    it.data, &ch, &err),
           0, "Change");
    LINE(ch.data, "SUMMARY:Done");
    LINE(ch.data, "UID:abc@other.example");
    LINE(ch.data, "STATUS:COMPLETED");
    LINE(ch.data, "COMPLETED:20261121T100000Z");
    LINE(ch.data, "PRIORITY:3");     /* Importance absent: unchanged (3.2.5.3.1) */
    LINE(ch.data, "TRIGGER:-PT15M"); /* ReminderSet absent: unchanged (3.2.5.3.2) */
    LINE(ch.data, "X-OTHER-PROP:foo");
    LINE(ch.data, "ATTACH:https://example.org/a.pdf");
    NOLINE(ch.data, "DTSTART;TZID=Europe/Berlin:20261120T090000"); /* dates not sent: gone */
    NOLINE(ch.data, "RRULE:FREQ=WEEKLY");
    is_int(ch.complete, 1, "Change: complete column");
    is_int(ch.start, 0, "Change: no start");

    /* Complete absent from a Change: the completed task stays completed */
    {
        const char *done = ch.data;
        is_int(add_item("<tasks:Subject>Still done</tasks:Subject>", done, &ch, &err), 0,
               "Change without Complete");
        LINE(ch.data, "STATUS:COMPLETED");
        LINE(ch.data, "COMPLETED:20261121T100000Z");
        is_int(ch.complete, 1, "still complete");
    }
    /* a rule EAS cannot show survives a Change (the device never saw it) */
    {
        eas_pim_item h;
        is_int(T->parse(pool,
                        "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:h\r\nDTSTART:20261120T080000Z\r\n"
                        "RRULE:FREQ=HOURLY;INTERVAL=6\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
                        &h, &err),
               0, "hourly import");
        ok(strstr(out_of(h.data, 0, 161, NULL), "Recurrence") == NULL, "hourly rule not sent");
        is_int(add_item("<tasks:Subject>h</tasks:Subject>"
                        "<tasks:UtcStartDate>2026-11-20T08:00:00.000Z</tasks:UtcStartDate>",
                        h.data, &ch, &err),
               0, "Change of the hourly task");
        LINE(ch.data, "RRULE:FREQ=HOURLY;INTERVAL=6");
    }

    /* Change drops our own stale X-EAS- but not foreign X- */
    {
        const char *old = apr_pstrcat(
            pool, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTODO\r\nUID:u1\r\n",
            "DESCRIPTION:keep this body\r\nX-EAS-BOGUS:1\r\nX-FOO:bar\r\n"
            "END:VTODO\r\nEND:VCALENDAR\r\n",
            NULL);
        is_int(add_item("<tasks:Subject>s</tasks:Subject><tasks:ReminderSet>0</tasks:ReminderSet>",
                        old, &ch, &err),
               0, "Change of a plain VTODO");
        LINE(ch.data, "X-FOO:bar");
        LINE(ch.data, "DESCRIPTION:keep this body"); /* Body absent: kept */
        NOLINE(ch.data, "X-EAS-BOGUS:1");
        LINE(ch.data, "UID:u1");
    }

    /* invalid imports */
    err = NULL;
    rc = T->parse(pool,
                  "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:1\r\nDUE;TZID=Mars/Olympus:20261121T100000"
                  "\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
                  &it, &err);
    ok(rc == -1 && err, "unknown TZID refused (%s)", err ? err : "");
    err = NULL;
    rc = T->parse(pool,
                  "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:1\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
                  &it, &err);
    ok(rc == -1 && err, "a VEVENT is not a task (%s)", err ? err : "");
    err = NULL;
    ok(T->parse(pool, "hello", &it, &err) == -1 && err, "not iCalendar refused");
    err = NULL;
    rc = T->parse(pool,
                  "BEGIN:VCALENDAR\r\nBEGIN:VTODO\r\nUID:1\r\nDUE:2026-99\r\nEND:VTODO\r\n"
                  "END:VCALENDAR\r\n",
                  &it, &err);
    ok(rc == -1 && err, "a malformed DUE refused (%s)", err ? err : "");
    /* a bare VTODO gets a UID, DTSTAMP and its VCALENDAR */
    is_int(T->parse(pool, "BEGIN:VTODO\r\nSUMMARY:bare\r\nEND:VTODO\r\n", &it, &err), 0,
           "bare VTODO");
    ok(it.pim_uid && strlen(it.pim_uid) == 32, "bare VTODO got a UID");
    LINE(it.data, "BEGIN:VCALENDAR");
    LINE(it.data, "VERSION:2.0");
}

static void test_split_join(void)
{
    apr_array_header_t *items = NULL;
    const char *err = NULL, *joined;
    const char *file = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\n"
                       "BEGIN:VTODO\r\nUID:one\r\nSUMMARY:first\r\nEND:VTODO\r\n"
                       "BEGIN:VTODO\r\nUID:two\r\nSUMMARY:second\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
    eas_pim_item it;
    int i, good = 1;

    is_int(T->split(pool, file, &items, &err), 0, "split a file of two tasks");
    if (!items) {
        return;
    }
    is_int(items->nelts, 2, "two items");
    for (i = 0; i < items->nelts; ++i) {
        good &= T->parse(pool, APR_ARRAY_IDX(items, i, const char *), &it, &err) == 0;
    }
    ok(good, "each split item parses");
    joined = T->join(pool, items);
    ok(joined && strstr(joined, "UID:one") && strstr(joined, "UID:two"), "join has both");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    T = eas_pim_class_get("Tasks");
    ok(T && T->from_eas && T->to_eas && T->parse && T->split && T->join, "Tasks class complete");
    is_str(T->media_type, "text/calendar", "media type");
    test_full();
    test_values();
    test_recurrence();
    test_invalid();
    test_import_and_change();
    test_split_join();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
