/* Unit tests: MergedFreeBusy slots from stored iCalendar (eas_freebusy_item) — one event, partial
 * slots, the busy statuses and which digit wins, cancelled and declined events, a weekly Europe/
 * Berlin series across the DST change with an EXDATE and a moved (overriding) occurrence, an
 * all-day out-of-office day on the 23-hour DST day, an endless series begun years ago, events
 * outside the window, and unreadable text. The expected strings are built slot by slot from UTC
 * times, so each assertion states exactly which half hours are taken. */
#include <stdarg.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>
#include <libxml/parser.h>

#include "eas_freebusy.h"
#include "eas_pim.h"
#include "tap.h"

static apr_pool_t *pool;

/* "20260312T090000Z" → instant */
static apr_time_t at(const char *s)
{
    apr_time_exp_t e;
    apr_time_t t = 0;
    memset(&e, 0, sizeof(e));
    sscanf(s, "%4d%2d%2dT%2d%2d%2d", &e.tm_year, &e.tm_mon, &e.tm_mday, &e.tm_hour, &e.tm_min,
           &e.tm_sec);
    e.tm_year -= 1900;
    e.tm_mon -= 1;
    apr_time_exp_gmt_get(&t, &e);
    return t;
}

/* The digits for [ws, we) with the given (start, end, digit) runs marked; NULL ends the list. */
static const char *expect(const char *ws, const char *we, ...)
{
    apr_time_t s0 = at(ws);
    int n = eas_freebusy_slots(s0, at(we)), i;
    char *d = apr_palloc(pool, (apr_size_t)n + 1);
    const char *a, *b;
    va_list ap;
    memset(d, '0', (apr_size_t)n);
    d[n] = '\0';
    va_start(ap, we);
    while ((a = va_arg(ap, const char *))) {
        apr_time_t s, e;
        int digit;
        b = va_arg(ap, const char *);
        digit = va_arg(ap, int);
        s = at(a);
        e = at(b);
        for (i = 0; i < n; ++i) {
            apr_time_t ss = s0 + i * EAS_FB_SLOT, se = ss + EAS_FB_SLOT;
            if (s < se && e > ss && d[i] < digit) {
                d[i] = (char)digit;
            }
        }
    }
    va_end(ap);
    return d;
}

/* Digits for [ws, we) from the items (NULL-terminated). */
static const char *fb(const char *ws, const char *we, ...)
{
    apr_time_t s0 = at(ws);
    int n = eas_freebusy_slots(s0, at(we));
    char *d = apr_palloc(pool, (apr_size_t)n + 1);
    const char *ics, *err = NULL;
    va_list ap;
    memset(d, '0', (apr_size_t)n);
    d[n] = '\0';
    va_start(ap, we);
    while ((ics = va_arg(ap, const char *))) {
        if (eas_freebusy_item(pool, ics, s0, n, d, &err) != 0) {
            d = apr_pstrcat(pool, "ERR: ", err, NULL);
            break;
        }
    }
    va_end(ap);
    return d;
}

/* One VEVENT (extra lines inside it) in a VCALENDAR, optionally followed by more components. */
static const char *cal(const char *event, const char *more)
{
    return apr_pstrcat(pool,
                       "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n"
                       "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n",
                       event, "END:VEVENT\r\n", more ? more : "", "END:VCALENDAR\r\n", NULL);
}

static void test_slots(void)
{
    is_int(eas_freebusy_slots(at("20260601T080000Z"), at("20260601T083000Z")), 1, "30 min: 1");
    is_int(eas_freebusy_slots(at("20260601T080000Z"), at("20260601T083100Z")), 2, "31 min: 2");
    is_int(eas_freebusy_slots(at("20260601T080000Z"), at("20260601T080000Z")), 0, "empty: 0");
    is_int(eas_freebusy_slots(at("20260601T080000Z"), at("20260713T080000Z")), 42 * 48, "42 days");
}

static void test_single(void)
{
    const char *w0 = "20260601T080000Z", *w1 = "20260601T120000Z";
    is_str(fb(w0, w1, cal("DTSTART:20260601T100000Z\r\nDTEND:20260601T110000Z\r\n", NULL), NULL),
           "00002200", "one busy hour");
    is_str(fb(w0, w1, cal("DTSTART:20260601T091000Z\r\nDTEND:20260601T094000Z\r\n", NULL), NULL),
           "00220000", "a partly covered slot counts whole");
    is_str(fb(w0, w1, cal("DTSTART:20260601T100000Z\r\nDURATION:PT90M\r\n", NULL), NULL),
           "00002220", "DURATION");
    is_str(fb(w0, w1, cal("DTSTART:20260601T070000Z\r\nDTEND:20260601T090000Z\r\n", NULL), NULL),
           "22000000", "begins before the window");
    is_str(fb(w0, w1, cal("DTSTART:20260601T113000Z\r\nDTEND:20260601T150000Z\r\n", NULL), NULL),
           "00000002", "ends after the window");
    is_str(fb(w0, w1, cal("DTSTART:20260601T120000Z\r\nDTEND:20260601T130000Z\r\n", NULL),
              cal("DTSTART:20260601T060000Z\r\nDTEND:20260601T080000Z\r\n", NULL), NULL),
           "00000000", "touching the window's edges only");
    /* a zone of its own: 12:00 Berlin summer time is 10:00Z */
    is_str(fb(w0, w1,
              cal("DTSTART;TZID=Europe/Berlin:20260601T120000\r\n"
                  "DTEND;TZID=Europe/Berlin:20260601T123000\r\n",
                  NULL),
              NULL),
           "00002000", "TZID without VTIMEZONE: the IANA zone");
}

static void test_statuses(void)
{
    const char *w0 = "20260601T080000Z", *w1 = "20260601T120000Z";
    const char *t = "DTSTART:20260601T100000Z\r\nDTEND:20260601T110000Z\r\n";
    is_str(fb(w0, w1,
              cal(apr_pstrcat(pool, t, "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n", NULL), NULL),
              NULL),
           "00001100", "tentative");
    is_str(fb(w0, w1, cal(apr_pstrcat(pool, t, "X-MICROSOFT-CDO-BUSYSTATUS:OOF\r\n", NULL), NULL),
              NULL),
           "00003300", "out of office");
    is_str(
        fb(w0, w1,
           cal(apr_pstrcat(pool, t, "TRANSP:OPAQUE\r\nX-MICROSOFT-CDO-BUSYSTATUS:FREE\r\n", NULL),
               NULL),
           NULL),
        "00000000", "free");
    is_str(
        fb(w0, w1,
           cal(apr_pstrcat(pool, t, "X-MICROSOFT-CDO-BUSYSTATUS:WORKINGELSEWHERE\r\n", NULL), NULL),
           NULL),
        "00002200", "working elsewhere counts as busy");
    is_str(fb(w0, w1, cal(apr_pstrcat(pool, t, "TRANSP:TRANSPARENT\r\n", NULL), NULL), NULL),
           "00000000", "TRANSP:TRANSPARENT without busy status: free");
    is_str(fb(w0, w1, cal(apr_pstrcat(pool, t, "STATUS:TENTATIVE\r\n", NULL), NULL), NULL),
           "00001100", "STATUS:TENTATIVE without busy status: tentative");
    is_str(fb(w0, w1, cal(apr_pstrcat(pool, t, "STATUS:CANCELLED\r\n", NULL), NULL), NULL),
           "00000000", "cancelled: no time taken");
    is_str(fb(w0, w1, cal(apr_pstrcat(pool, t, "X-EAS-RESPONSETYPE:4\r\n", NULL), NULL), NULL),
           "00000000", "declined: no time taken");
    /* overlapping: the higher digit wins, slot by slot */
    is_str(fb(w0, w1,
              cal("DTSTART:20260601T090000Z\r\nDTEND:20260601T110000Z\r\n"
                  "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\n",
                  NULL),
              cal("DTSTART:20260601T093000Z\r\nDTEND:20260601T100000Z\r\n", NULL),
              cal("DTSTART:20260601T103000Z\r\nDTEND:20260601T113000Z\r\n"
                  "X-MICROSOFT-CDO-BUSYSTATUS:OOF\r\n",
                  NULL),
              NULL),
           "00121330", "highest digit per slot");
}

/* Weekly Thursdays 10:00-11:00 Europe/Berlin from 2026-03-05, six times; 03-19 deleted; 04-02
 * moved to 14:00-15:00 and tentative. Berlin changes to summer time on 2026-03-29. */
static const char *series(int with_vtimezone)
{
    const char *vtz = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n"
                      "BEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nTZNAME:CEST\r\n"
                      "DTSTART:19700329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n"
                      "END:DAYLIGHT\r\n"
                      "BEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nTZNAME:CET\r\n"
                      "DTSTART:19701025T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\n"
                      "END:STANDARD\r\nEND:VTIMEZONE\r\n";
    const char *override =
        "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n"
        "RECURRENCE-ID;TZID=Europe/Berlin:20260402T100000\r\n"
        "DTSTART;TZID=Europe/Berlin:20260402T140000\r\nDTEND;TZID=Europe/Berlin:20260402T150000\r\n"
        "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r\nEND:VEVENT\r\n";
    return cal("DTSTART;TZID=Europe/Berlin:20260305T100000\r\n"
               "DTEND;TZID=Europe/Berlin:20260305T110000\r\n"
               "RRULE:FREQ=WEEKLY;COUNT=6;BYDAY=TH\r\n"
               "EXDATE;TZID=Europe/Berlin:20260319T100000\r\n"
               "X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n",
               apr_pstrcat(pool, override, with_vtimezone ? vtz : "", NULL));
}

static void test_series(void)
{
    const char *w0 = "20260312T000000Z", *w1 = "20260416T000000Z";
    const char *want = expect(w0, w1, "20260312T090000Z", "20260312T100000Z", '2',
                              "20260326T090000Z", "20260326T100000Z", '2', /* still CET */
                              "20260402T120000Z", "20260402T130000Z", '1', /* moved, CEST */
                              "20260409T080000Z", "20260409T090000Z", '2', /* CEST */
                              NULL);
    is_str(fb(w0, w1, series(1), NULL), want, "weekly series, EXDATE, override, DST (VTIMEZONE)");
    is_str(fb(w0, w1, series(0), NULL), want, "the same with the IANA zone");
    /* the occurrence before the window is not counted, nor any after COUNT */
    is_str(fb("20260305T000000Z", "20260306T000000Z", series(1), NULL),
           expect("20260305T000000Z", "20260306T000000Z", "20260305T090000Z", "20260305T100000Z",
                  '2', NULL),
           "first occurrence");
    is_str(fb("20260416T000000Z", "20260501T000000Z", series(1), NULL),
           expect("20260416T000000Z", "20260501T000000Z", NULL), "nothing after COUNT");
    /* a cancelled series leaves the override that was not cancelled */
    is_str(fb(w0, w1,
              cal("DTSTART;TZID=Europe/Berlin:20260305T100000\r\n"
                  "DTEND;TZID=Europe/Berlin:20260305T110000\r\n"
                  "RRULE:FREQ=WEEKLY;COUNT=6\r\nSTATUS:CANCELLED\r\n",
                  "BEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20260101T000000Z\r\n"
                  "RECURRENCE-ID;TZID=Europe/Berlin:20260402T100000\r\n"
                  "DTSTART;TZID=Europe/Berlin:20260402T140000\r\n"
                  "DTEND;TZID=Europe/Berlin:20260402T150000\r\nEND:VEVENT\r\n"),
              NULL),
           expect(w0, w1, "20260402T120000Z", "20260402T130000Z", '2', NULL),
           "cancelled series, live override");
}

static void test_all_day(void)
{
    /* 2026-03-29 in Berlin is 23 hours long: 03-28T23:00Z to 03-29T22:00Z */
    const char *w0 = "20260328T000000Z", *w1 = "20260331T000000Z";
    is_str(fb(w0, w1,
              cal("DTSTART;VALUE=DATE:20260329\r\nDTEND;VALUE=DATE:20260330\r\n"
                  "X-EAS-TZID:Europe/Berlin\r\nX-MICROSOFT-CDO-BUSYSTATUS:OOF\r\n",
                  NULL),
              NULL),
           expect(w0, w1, "20260328T230000Z", "20260329T220000Z", '3', NULL),
           "all-day OOF on the DST day");
    is_str(fb(w0, w1,
              cal("DTSTART;VALUE=DATE:20260328\r\nX-MICROSOFT-CDO-BUSYSTATUS:BUSY\r\n", NULL),
              NULL),
           expect(w0, w1, "20260328T000000Z", "20260329T000000Z", '2', NULL),
           "all-day without DTEND or zone: one UTC day");
}

static void test_endless(void)
{
    /* daily 09:00-09:30 UTC since 2020, no end: only the window's occurrences count */
    const char *w0 = "20260601T000000Z", *w1 = "20260603T000000Z";
    is_str(
        fb(w0, w1,
           cal("DTSTART:20200101T090000Z\r\nDTEND:20200101T093000Z\r\nRRULE:FREQ=DAILY\r\n", NULL),
           NULL),
        expect(w0, w1, "20260601T090000Z", "20260601T093000Z", '2', "20260602T090000Z",
               "20260602T093000Z", '2', NULL),
        "endless daily series");
}

static void test_invalid(void)
{
    char d[9] = "00000000";
    const char *err = NULL;
    ok(eas_freebusy_item(pool, "garbage", at("20260601T080000Z"), 8, d, &err) != 0 && err,
       "not iCalendar: refused");
    ok(eas_freebusy_item(pool,
                         "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:x\r\n"
                         "END:VTODO\r\nEND:VCALENDAR\r\n",
                         at("20260601T080000Z"), 8, d, &err) != 0,
       "no VEVENT: refused");
    is_str(fb("20260601T080000Z", "20260601T120000Z",
              cal("DTSTART;TZID=Mars/Olympus:20260601T100000\r\n"
                  "DTEND;TZID=Mars/Olympus:20260601T110000\r\n",
                  NULL),
              NULL),
           "00000000", "unknown zone: nothing marked, no crash");
    is_str(d, "00000000", "digits untouched");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    eas_pim_init();

    test_slots();
    test_single();
    test_statuses();
    test_series();
    test_all_day();
    test_endless();
    test_invalid();

    apr_pool_destroy(pool);
    apr_terminate();
    xmlCleanupParser();
    return tap_done();
}
