/* Unit tests: EAS Recurrence ⇄ RRULE (eas_recur) — every Type both ways with the exact RRULE
 * text and the exact elements sent back, the day masks (weekdays, weekend days, last day), Until
 * in both wire forms and as a DATE for all-day items, RSCALE/leap months, version gating, rules
 * with no EAS form, and invalid Recurrence elements refused. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libxml/parser.h>

#include "eas_recur.h"
#include "eas_xml.h"
#include "tap.h"

static apr_pool_t *pool;

/* Recurrence element from "Type=1;Interval=2" style text, in namespace href. */
static xmlDocPtr rec_doc(const char *href, const char *spec)
{
    char *buf = apr_psprintf(pool, "<Recurrence xmlns=\"%s\">", href), *s, *last;
    for (s = apr_strtok(apr_pstrdup(pool, spec), ";", &last); s; s = apr_strtok(NULL, ";", &last)) {
        char *eq = strchr(s, '=');
        *eq = '\0';
        buf = apr_psprintf(pool, "%s<%s>%s</%s>", buf, s, eq + 1, s);
    }
    buf = apr_pstrcat(pool, buf, "</Recurrence>", NULL);
    return xmlReadMemory(buf, (int)strlen(buf), "r.xml", NULL, 0);
}

/* from_eas → RRULE text, or "ERR" */
static const char *to_rule(const char *href, const char *spec, icaltimezone *z, int all_day)
{
    xmlDocPtr d = rec_doc(href, spec);
    struct icalrecurrencetype r;
    const char *err = NULL, *out;
    char *s;
    if (eas_recur_from_eas(pool, xmlDocGetRootElement(d), href, z, all_day, &r, &err) != 0) {
        xmlFreeDoc(d);
        return err ? "ERR" : "ERR(no message)";
    }
    xmlFreeDoc(d);
    s = icalrecurrencetype_as_string_r(&r);
    out = apr_pstrdup(pool, s ? s : "(null)");
    free(s);
    return out;
}

/* RRULE text → the Recurrence children as "Name=value;..." or "NONE" when to_eas refuses. */
static const char *from_rule(const char *rule, const char *href, icaltimezone *z, int version,
                             int until_fmt)
{
    struct icalrecurrencetype r = icalrecurrencetype_from_string(rule);
    xmlDocPtr d = eas_xml_new_doc("AirSync:", "ApplicationData");
    xmlNodePtr app = xmlDocGetRootElement(d), c;
    const char *out = "";
    if (eas_recur_to_eas(pool, app, eas_xml_ns(d, href), &r, z, version, until_fmt) != 0) {
        out = "NONE";
    } else {
        xmlNodePtr rec = eas_xml_child(app, href, "Recurrence");
        for (c = rec ? rec->children : NULL; c; c = c->next) {
            xmlChar *t = xmlNodeGetContent(c);
            out = apr_psprintf(pool, "%s%s%s=%s", out, *out ? ";" : "", (const char *)c->name,
                               (const char *)t);
            xmlFree(t);
        }
    }
    free(r.rscale); /* icalrecurrencetype_from_string allocates it */
    xmlFreeDoc(d);
    return out;
}

#define CAL "Calendar:"
#define TSK "Tasks:"

/* EAS → rule → EAS: the exact rule and the exact elements back (rule_back: what to_eas gives). */
static void both(const char *spec, const char *rule, const char *back, int version)
{
    const char *got = to_rule(CAL, spec, NULL, 0);
    is_str(got, rule, apr_psprintf(pool, "%s -> %s", spec, rule));
    is_str(from_rule(got, CAL, NULL, version, 0), back, apr_psprintf(pool, "%s -> %s", rule, back));
}

int main(void)
{
    icaltimezone *berlin;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    berlin = icaltimezone_get_builtin_timezone("Europe/Berlin");
    ok(berlin != NULL, "Europe/Berlin known to libical");

    /* ---- every Type both ways ---- */
    both("Type=0;Interval=3", "FREQ=DAILY;INTERVAL=3", "Type=0;Interval=3", 161);
    both("Type=0;Interval=1;DayOfWeek=62", "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
         "Type=0;Interval=1;DayOfWeek=62", 161);
    /* Type 0 with days and Interval 2: every 2nd week on those days (MS-ASCAL 2.2.2.37.1) */
    both("Type=0;Interval=2;DayOfWeek=62", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TU,WE,TH,FR",
         "Type=1;Interval=2;DayOfWeek=62;FirstDayOfWeek=1", 161);
    both("Type=1;Interval=2;DayOfWeek=10;FirstDayOfWeek=0",
         "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;WKST=SU",
         "Type=1;Interval=2;DayOfWeek=10;FirstDayOfWeek=0", 161);
    both("Type=1;DayOfWeek=65", "FREQ=WEEKLY;BYDAY=SU,SA", "Type=1;Interval=1;DayOfWeek=65", 140);
    both("Type=2;Interval=1;DayOfMonth=15;Occurrences=10", "FREQ=MONTHLY;COUNT=10;BYMONTHDAY=15",
         "Type=2;Occurrences=10;Interval=1;DayOfMonth=15;CalendarType=0", 161);
    both("Type=3;Interval=1;WeekOfMonth=2;DayOfWeek=4", "FREQ=MONTHLY;BYDAY=2TU",
         "Type=3;Interval=1;WeekOfMonth=2;DayOfWeek=4;CalendarType=0", 161);
    both("Type=3;Interval=1;WeekOfMonth=5;DayOfWeek=32", "FREQ=MONTHLY;BYDAY=-1FR",
         "Type=3;Interval=1;WeekOfMonth=5;DayOfWeek=32;CalendarType=0", 161);
    /* last weekday, first weekend day, 3rd day and last day of the month */
    both("Type=3;WeekOfMonth=5;DayOfWeek=62", "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
         "Type=3;Interval=1;WeekOfMonth=5;DayOfWeek=62;CalendarType=0", 161);
    both("Type=3;WeekOfMonth=1;DayOfWeek=65", "FREQ=MONTHLY;BYDAY=SU,SA;BYSETPOS=1",
         "Type=3;Interval=1;WeekOfMonth=1;DayOfWeek=65;CalendarType=0", 161);
    both("Type=3;WeekOfMonth=3;DayOfWeek=127", "FREQ=MONTHLY;BYDAY=SU,MO,TU,WE,TH,FR,SA;BYSETPOS=3",
         "Type=3;Interval=1;WeekOfMonth=3;DayOfWeek=127;CalendarType=0", 161);
    both("Type=3;WeekOfMonth=5;DayOfWeek=127;Interval=2",
         "FREQ=MONTHLY;INTERVAL=2;BYDAY=SU,MO,TU,WE,TH,FR,SA;BYSETPOS=-1",
         "Type=3;Interval=2;WeekOfMonth=5;DayOfWeek=127;CalendarType=0", 161);
    both("Type=5;DayOfMonth=24;MonthOfYear=12", "FREQ=YEARLY;BYMONTHDAY=24;BYMONTH=12",
         "Type=5;Interval=1;MonthOfYear=12;DayOfMonth=24;CalendarType=0", 161);
    both("Type=6;WeekOfMonth=4;DayOfWeek=16;MonthOfYear=11", "FREQ=YEARLY;BYDAY=4TH;BYMONTH=11",
         "Type=6;Interval=1;WeekOfMonth=4;DayOfWeek=16;MonthOfYear=11;CalendarType=0", 161);
    both("Type=6;WeekOfMonth=5;DayOfWeek=62;MonthOfYear=3",
         "FREQ=YEARLY;BYDAY=MO,TU,WE,TH,FR;BYMONTH=3;BYSETPOS=-1",
         "Type=6;Interval=1;WeekOfMonth=5;DayOfWeek=62;MonthOfYear=3;CalendarType=0", 161);

    /* ---- versions: CalendarType 14.0+, FirstDayOfWeek 14.1+ ---- */
    is_str(from_rule("FREQ=MONTHLY;BYMONTHDAY=15", CAL, NULL, 121, 0),
           "Type=2;Interval=1;DayOfMonth=15", "12.1: no CalendarType");
    is_str(from_rule("FREQ=WEEKLY;BYDAY=MO;WKST=SU", CAL, NULL, 140, 0),
           "Type=1;Interval=1;DayOfWeek=2", "14.0: no FirstDayOfWeek");
    is_str(from_rule("FREQ=DAILY;WKST=SA", CAL, NULL, 141, 0), "Type=0;Interval=1;FirstDayOfWeek=6",
           "WKST kept on a daily rule");

    /* ---- Until ---- */
    is_str(to_rule(CAL, "Type=0;Until=20261121T100000Z", NULL, 0),
           "FREQ=DAILY;UNTIL=20261121T100000Z", "compact Until");
    is_str(to_rule(TSK, "Type=0;Until=2026-11-21T10:00:00.000Z", NULL, 0),
           "FREQ=DAILY;UNTIL=20261121T100000Z", "extended Until (Tasks)");
    /* all-day: 2026-11-20T23:00Z is midnight of the 21st in Berlin → UNTIL=20261121 */
    is_str(to_rule(CAL, "Type=0;Until=20261120T230000Z", berlin, 1), "FREQ=DAILY;UNTIL=20261121",
           "all-day Until is a DATE in the item's zone");
    is_str(from_rule("FREQ=DAILY;UNTIL=20261121", CAL, berlin, 161, 0),
           "Type=0;Interval=1;Until=20261120T230000Z", "DATE Until back: local midnight in UTC");
    is_str(from_rule("FREQ=DAILY;UNTIL=20261121T100000Z", TSK, NULL, 161, 1),
           "Type=0;Interval=1;Until=2026-11-21T10:00:00.000Z", "Tasks Until in the extended form");
    is_str(from_rule("FREQ=DAILY;UNTIL=20261121T100000", CAL, berlin, 161, 0),
           "Type=0;Interval=1;Until=20261121T090000Z", "floating Until read in the zone");
    /* Occurrences wins over Until (MS-ASTASK 3.2.5.3.4) */
    is_str(to_rule(TSK, "Type=0;Occurrences=5;Until=2026-11-21T10:00:00.000Z", NULL, 0),
           "FREQ=DAILY;COUNT=5", "Occurrences wins over Until");
    is_str(to_rule(CAL, "Type=0;Interval=0", NULL, 0), "FREQ=DAILY", "Interval 0 means 1");

    /* ---- CalendarType / IsLeapMonth as RSCALE (RFC 7529) ---- */
    both("Type=5;DayOfMonth=1;MonthOfYear=5;CalendarType=15;IsLeapMonth=1",
         "RSCALE=CHINESE;FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=5L",
         "Type=5;Interval=1;MonthOfYear=5;DayOfMonth=1;CalendarType=15;IsLeapMonth=1", 161);
    both("Type=2;DayOfMonth=1;CalendarType=8", "RSCALE=HEBREW;FREQ=MONTHLY;BYMONTHDAY=1",
         "Type=2;Interval=1;DayOfMonth=1;CalendarType=8", 161);
    both("Type=0;CalendarType=1", "RSCALE=GREGORIAN;FREQ=DAILY", "Type=0;Interval=1;CalendarType=1",
         161);
    is_str(to_rule(CAL, "Type=2;DayOfMonth=1;CalendarType=0", NULL, 0), "FREQ=MONTHLY;BYMONTHDAY=1",
           "CalendarType 0: no RSCALE");
    is_str(to_rule(CAL, "Type=5;DayOfMonth=1;MonthOfYear=5;CalendarType=1;IsLeapMonth=1", NULL, 0),
           "RSCALE=GREGORIAN;FREQ=YEARLY;BYMONTHDAY=1;BYMONTH=5",
           "IsLeapMonth has no effect with Gregorian");
    is_str(to_rule(CAL, "Type=2;DayOfMonth=1;CalendarType=11", NULL, 0),
           "RSCALE=GREGORIAN;FREQ=MONTHLY;BYMONTHDAY=1", "Gregorian variant → GREGORIAN");
    is_str(from_rule("RSCALE=ETHIOPIC;FREQ=MONTHLY;BYMONTHDAY=1", CAL, NULL, 161, 0), "NONE",
           "RSCALE EAS has no type for");

    /* ---- rules with no EAS form ---- */
    is_str(from_rule("FREQ=HOURLY", CAL, NULL, 161, 0), "NONE", "HOURLY");
    is_str(from_rule("FREQ=DAILY;BYHOUR=9,17", CAL, NULL, 161, 0), "NONE", "BYHOUR");
    is_str(from_rule("FREQ=DAILY;INTERVAL=2;BYDAY=MO,FR", CAL, NULL, 161, 0), "NONE",
           "every other day on Mon/Fri");
    is_str(from_rule("FREQ=WEEKLY", CAL, NULL, 161, 0), "NONE", "weekly day from DTSTART");
    is_str(from_rule("FREQ=MONTHLY;BYDAY=5MO", CAL, NULL, 161, 0), "NONE", "5th Monday");
    is_str(from_rule("FREQ=MONTHLY;BYDAY=1MO,-1FR", CAL, NULL, 161, 0), "NONE", "mixed positions");
    is_str(from_rule("FREQ=MONTHLY;BYMONTHDAY=1,15", CAL, NULL, 161, 0), "NONE", "two month days");
    is_str(from_rule("FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1", CAL, NULL, 161, 0), "NONE",
           "two months");
    is_str(from_rule("FREQ=YEARLY;BYYEARDAY=100", CAL, NULL, 161, 0), "NONE", "BYYEARDAY");
    is_str(from_rule("FREQ=DAILY;COUNT=300", TSK, NULL, 161, 1), "NONE",
           "COUNT beyond Tasks' unsignedByte");
    is_str(from_rule("FREQ=DAILY;COUNT=300", CAL, NULL, 161, 0),
           "Type=0;Occurrences=300;Interval=1", "COUNT 300 fits Calendar");
    is_str(from_rule("FREQ=MONTHLY;BYMONTHDAY=-1", CAL, NULL, 161, 0),
           "Type=3;Interval=1;WeekOfMonth=5;DayOfWeek=127;CalendarType=0",
           "imported last day of month");
    is_str(from_rule("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=2", CAL, NULL, 161, 0),
           "Type=3;Interval=1;WeekOfMonth=2;DayOfWeek=2;CalendarType=0", "BYSETPOS with one day");

    /* ---- invalid Recurrence → Status 6 ---- */
    {
        static const char *const bad[] = {
            "Interval=1",                                      /* no Type */
            "Type=4",                                          /* no such type */
            "Type=7",                                          /* out of range */
            "Type=x",                                          /* not a number */
            "Type=1",                                          /* weekly without days */
            "Type=1;DayOfWeek=128",                            /* beyond Saturday */
            "Type=1;DayOfWeek=0",                              /* no day */
            "Type=2",                                          /* no DayOfMonth */
            "Type=2;DayOfMonth=32",                            /* no such day */
            "Type=2;DayOfMonth=3;DayOfWeek=2",                 /* DayOfWeek with Type 2 */
            "Type=0;DayOfMonth=3",                             /* DayOfMonth with Type 0 */
            "Type=1;DayOfWeek=2;WeekOfMonth=2",                /* WeekOfMonth with Type 1 */
            "Type=3;DayOfWeek=2",                              /* no WeekOfMonth */
            "Type=3;DayOfWeek=2;WeekOfMonth=6",                /* week 6 */
            "Type=5;DayOfMonth=3",                             /* no MonthOfYear */
            "Type=5;DayOfMonth=3;MonthOfYear=13",              /* month 13 */
            "Type=6;WeekOfMonth=1;MonthOfYear=3",              /* no DayOfWeek */
            "Type=0;Interval=1000",                            /* Interval above 999 */
            "Type=0;Interval=-1",                              /* negative */
            "Type=0;Occurrences=1000",                         /* above 999 */
            "Type=0;FirstDayOfWeek=7",                         /* no such day */
            "Type=0;Until=yesterday",                          /* not a date */
            "Type=2;DayOfMonth=1;CalendarType=13",             /* reserved */
            "Type=2;DayOfMonth=1;CalendarType=24",             /* out of range */
            "Type=5;DayOfMonth=1;MonthOfYear=1;IsLeapMonth=2", /* not a boolean */
        };
        size_t i;
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
            is_str(to_rule(CAL, bad[i], NULL, 0), "ERR", apr_psprintf(pool, "refused: %s", bad[i]));
        }
    }
    /* children in another namespace are not read */
    is_str(to_rule(TSK, "Type=0", NULL, 0), "FREQ=DAILY", "Tasks namespace read with Tasks: href");
    {
        xmlDocPtr d = rec_doc(CAL, "Type=0");
        struct icalrecurrencetype r;
        const char *err = NULL;
        is_int(eas_recur_from_eas(pool, xmlDocGetRootElement(d), TSK, NULL, 0, &r, &err), -1,
               "Calendar: children with Tasks: href → no Type");
        xmlFreeDoc(d);
    }

    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
