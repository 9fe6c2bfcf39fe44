/* eas_recur.c — EAS Recurrence ⇄ iCalendar RRULE (see eas_recur.h).
 *
 * Mapping (w = the DayOfWeek bits as BYDAY days, n = WeekOfMonth, 5 → -1):
 *   Type 0            FREQ=DAILY;INTERVAL=i
 *   Type 0 + days     FREQ=DAILY;BYDAY=w when Interval is 1 (every weekday), else
 *                     FREQ=WEEKLY;INTERVAL=i;BYDAY=w (MS-ASCAL 2.2.2.37.1: Interval counts weeks)
 *   Type 1            FREQ=WEEKLY;INTERVAL=i;BYDAY=w
 *   Type 2            FREQ=MONTHLY;BYMONTHDAY=d
 *   Type 3, one day   FREQ=MONTHLY;BYDAY=nXX            (2TU, -1FR)
 *   Type 3, more days FREQ=MONTHLY;BYDAY=w;BYSETPOS=n   (62 weekdays, 65 weekend days, 127 any day)
 *   Type 5            FREQ=YEARLY;BYMONTH=m;BYMONTHDAY=d
 *   Type 6            FREQ=YEARLY;BYMONTH=m and BYDAY as Type 3
 * Occurrences → COUNT (it wins over Until, MS-ASTASK 3.2.5.3.4), Until → UNTIL (UTC; a DATE in
 * the item's zone for all-day items), FirstDayOfWeek → WKST.
 *
 * CalendarType and IsLeapMonth use the standard for them, RFC 7529: CalendarType → RSCALE with
 * the CLDR calendar name (libical expands these through ICU), IsLeapMonth → the "L" month
 * (BYMONTH=5L). A libical rule cannot carry X- parts, so the EAS types without a CLDR calendar
 * of their own map to the calendar that recurs the same way: the Gregorian locale variants 2, 5,
 * 9-12 to GREGORIAN and Japanese Lunar (14) to CHINESE; they come back as 1 and 15. The reserved
 * values ("MUST NOT be used") are refused. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_email.h"
#include "eas_recur.h"
#include "eas_xml.h"

#define NONE ICAL_RECURRENCE_ARRAY_MAX

/* EAS CalendarType → RSCALE; NULL: no RSCALE (0) or refused (reserved values). */
static const char *const rscale_of[24] = {
    NULL,        "GREGORIAN", "GREGORIAN", "JAPANESE",  "ROC",       "GREGORIAN",
    "ISLAMIC",   "BUDDHIST",  "HEBREW",    "GREGORIAN", "GREGORIAN", "GREGORIAN",
    "GREGORIAN", NULL,        "CHINESE",   "CHINESE",   NULL,        NULL,
    NULL,        NULL,        "DANGI",     NULL,        NULL,        NULL};

/* RSCALE → EAS CalendarType (the first type that maps to it); -1 when EAS has none. */
static int caltype_of(const char *rscale)
{
    static const struct {
        const char *name;
        int type;
    } t[] = {{"GREGORIAN", 1}, {"JAPANESE", 3}, {"ROC", 4},      {"ISLAMIC", 6},
             {"BUDDHIST", 7},  {"HEBREW", 8},   {"CHINESE", 15}, {"DANGI", 20}};
    size_t i;
    for (i = 0; i < sizeof(t) / sizeof(t[0]); ++i) {
        if (strcasecmp(t[i].name, rscale) == 0) {
            return t[i].type;
        }
    }
    return -1;
}

/* A child's unsigned number in [min, max]: 1 found (*v set), 0 absent, -1 malformed. */
static int num(xmlNodePtr rec, const char *href, const char *name, long min, long max, long *v)
{
    const char *s = eas_xml_child_text(rec, href, name);
    char *end;
    if (!s) {
        return 0;
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        ++s;
    }
    if (*s < '0' || *s > '9') {
        return -1;
    }
    *v = strtol(s, &end, 10);
    while (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n') {
        ++end;
    }
    return (*end || *v < min || *v > max) ? -1 : 1;
}

/* by_day list of the DayOfWeek bits, each with position pos (0: none). */
static void set_days(struct icalrecurrencetype *r, long mask, int pos)
{
    int i, n = 0;
    for (i = 0; i < 7; ++i) {
        if (mask & (1L << i)) {
            int code = (abs(pos) * 8 + i + 1) * (pos < 0 ? -1 : 1);
            r->by_day[n++] = (short)code;
        }
    }
    r->by_day[n] = NONE;
}

/* Type 3/6: one day → BYDAY=nXX; several → BYDAY list + BYSETPOS=n. */
static void set_nth(struct icalrecurrencetype *r, long mask, long week)
{
    int pos = week == 5 ? -1 : (int)week;
    if ((mask & (mask - 1)) == 0) {
        set_days(r, mask, pos);
    } else {
        set_days(r, mask, 0);
        r->by_set_pos[0] = (short)pos;
        r->by_set_pos[1] = NONE;
    }
}

static int fail(const char **err, const char *msg)
{
    *err = msg;
    return -1;
}

int eas_recur_from_eas(apr_pool_t *p, xmlNodePtr rec, const char *href, icaltimezone *zone,
                       int all_day, struct icalrecurrencetype *out, const char **err)
{
    long type, interval = 1, count = 0, dow = 0, dom = 0, wom = 0, moy = 0, fdow = 0, ctype = 0,
               leap = 0;
    int has_dow, has_dom, has_wom, has_moy, has_fdow, has_ctype;
    const char *until;

    icalrecurrencetype_clear(out);
    if (num(rec, href, "Type", 0, 6, &type) != 1 || type == 4) {
        return fail(err, "Recurrence Type missing or unknown");
    }
    if (num(rec, href, "Interval", 0, 999, &interval) < 0 ||
        num(rec, href, "Occurrences", 0, 999, &count) < 0 ||
        (has_dow = num(rec, href, "DayOfWeek", 1, 127, &dow)) < 0 ||
        (has_dom = num(rec, href, "DayOfMonth", 1, 31, &dom)) < 0 ||
        (has_wom = num(rec, href, "WeekOfMonth", 1, 5, &wom)) < 0 ||
        (has_moy = num(rec, href, "MonthOfYear", 1, 12, &moy)) < 0 ||
        (has_fdow = num(rec, href, "FirstDayOfWeek", 0, 6, &fdow)) < 0 ||
        (has_ctype = num(rec, href, "CalendarType", 0, 23, &ctype)) < 0 ||
        num(rec, href, "IsLeapMonth", 0, 1, &leap) < 0) {
        return fail(err, "Recurrence value out of range");
    }
    if (has_ctype && ctype != 0 && !rscale_of[ctype]) {
        return fail(err, "Recurrence CalendarType reserved");
    }
    /* Elements the spec refuses for a type with Status 6 (MS-ASTASK 2.2.2.9/10/33). */
    if ((has_dom && type != 2 && type != 5) || (has_wom && type != 3 && type != 6) ||
        (has_dow && (type == 2 || type == 5))) {
        return fail(err, "Recurrence element not allowed for its Type");
    }
    /* A DayOfMonth, WeekOfMonth or MonthOfYear the type needs is required. */
    if ((type == 1 || type == 3 || type == 6) && !has_dow) {
        return fail(err, "Recurrence DayOfWeek missing");
    }
    if (((type == 2 || type == 5) && !has_dom) || ((type == 3 || type == 6) && !has_wom) ||
        ((type == 5 || type == 6) && !has_moy)) {
        return fail(err, "Recurrence pattern incomplete");
    }
    if (interval < 1) {
        interval = 1; /* 0 is allowed on the wire (MS-ASCAL <2>) and means every period */
    }
    out->interval = (short)interval;

    switch (type) {
    case 0:
        out->freq = has_dow && interval > 1 ? ICAL_WEEKLY_RECURRENCE : ICAL_DAILY_RECURRENCE;
        if (has_dow) {
            set_days(out, dow, 0);
        }
        break;
    case 1:
        out->freq = ICAL_WEEKLY_RECURRENCE;
        set_days(out, dow, 0);
        break;
    case 2:
        out->freq = ICAL_MONTHLY_RECURRENCE;
        out->by_month_day[0] = (short)dom;
        out->by_month_day[1] = NONE;
        break;
    case 3:
        out->freq = ICAL_MONTHLY_RECURRENCE;
        set_nth(out, dow, wom);
        break;
    default: /* 5, 6 */
        out->freq = ICAL_YEARLY_RECURRENCE;
        out->by_month[0] = (short)moy;
        out->by_month[1] = NONE;
        if (type == 5) {
            out->by_month_day[0] = (short)dom;
            out->by_month_day[1] = NONE;
        } else {
            set_nth(out, dow, wom);
        }
        break;
    }

    if (has_ctype && ctype != 0) {
        out->rscale = apr_pstrdup(p, rscale_of[ctype]);
    }
    /* A leap month exists only in lunisolar calendars; with Gregorian it has no effect. */
    if (leap && out->freq == ICAL_YEARLY_RECURRENCE && out->rscale &&
        strcmp(out->rscale, "GREGORIAN") != 0) {
        out->by_month[0] = (short)(out->by_month[0] | 0x1000); /* libical's LEAP_MONTH flag */
    }
    if (has_fdow) {
        out->week_start = (icalrecurrencetype_weekday)(fdow + 1);
    }

    until = eas_xml_child_text(rec, href, "Until");
    if (count > 0) {
        out->count = (int)count;
    } else if (until) {
        apr_time_t t = eas_date_parse(until);
        if (!t) {
            return fail(err, "Recurrence Until is not a date");
        }
        if (all_day) {
            out->until = icaltime_from_timet_with_zone(
                (time_t)apr_time_sec(t), 1, zone ? zone : icaltimezone_get_utc_timezone());
            out->until.zone = NULL;
        } else {
            out->until = icaltime_from_timet_with_zone((time_t)apr_time_sec(t), 0,
                                                       icaltimezone_get_utc_timezone());
        }
    }
    return 0;
}

/* ---- rule → EAS ---------------------------------------------------------------------------- */

static int count_of(const short *a, int size)
{
    int n = 0;
    while (n < size && a[n] != NONE) {
        ++n;
    }
    return n;
}

/* BYDAY as a DayOfWeek mask, and the one position they share (0 none); -1 if mixed. */
static long day_mask(const struct icalrecurrencetype *r, int *pos)
{
    int i, n = count_of(r->by_day, ICAL_BY_DAY_SIZE);
    long mask = 0;
    *pos = n ? icalrecurrencetype_day_position(r->by_day[0]) : 0;
    for (i = 0; i < n; ++i) {
        int wd = (int)icalrecurrencetype_day_day_of_week(r->by_day[i]);
        if (wd < 1 || wd > 7 || icalrecurrencetype_day_position(r->by_day[i]) != *pos) {
            return -1;
        }
        mask |= 1L << (wd - 1);
    }
    return mask;
}

/* Type 3/6 children from BYDAY (+ BYSETPOS) or BYMONTHDAY=-1; -1 when there is no EAS form. */
static int nth_of(const struct icalrecurrencetype *r, long *dow, long *wom)
{
    int pos, nsp = count_of(r->by_set_pos, ICAL_BY_SETPOS_SIZE);
    int nmd = count_of(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
    if (nmd == 1 && r->by_month_day[0] == -1 && !nsp && r->by_day[0] == NONE) {
        *dow = 127, *wom = 5; /* the last day of the month */
        return 0;
    }
    if (nmd || (*dow = day_mask(r, &pos)) <= 0 || nsp > 1) {
        return -1;
    }
    if (nsp == 1) {
        if (pos != 0) {
            return -1;
        }
        pos = r->by_set_pos[0];
    }
    if (pos == -1) {
        *wom = 5;
    } else if (pos >= 1 && pos <= 4) {
        *wom = pos;
    } else {
        return -1; /* "5th Monday" skips months; EAS 5 is always the last one */
    }
    return 0;
}

static const char *until_text(apr_pool_t *p, const struct icalrecurrencetype *r, icaltimezone *zone,
                              int until_fmt)
{
    struct icaltimetype u = r->until;
    apr_time_exp_t e;
    apr_time_t t;
    if (u.is_date) {
        u.is_date = 0;
        u.hour = u.minute = u.second = 0; /* an all-day series ends on that local day */
    }
    t = apr_time_from_sec(icaltime_as_timet_with_zone(u, icaltime_is_utc(u) ? NULL : zone));
    if (until_fmt) {
        return eas_date_text(p, t);
    }
    apr_time_exp_gmt(&e, t);
    return apr_psprintf(p, "%04d%02d%02dT%02d%02d%02dZ", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday,
                        e.tm_hour, e.tm_min, e.tm_sec);
}

int eas_recur_to_eas(apr_pool_t *p, xmlNodePtr parent, xmlNsPtr ns,
                     const struct icalrecurrencetype *r, icaltimezone *zone, int version,
                     int until_fmt)
{
    long type, dow = 0, dom = 0, wom = 0, moy = 0;
    int pos, nmd = count_of(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
    int nmo = count_of(r->by_month, ICAL_BY_MONTH_SIZE);
    int nsp = count_of(r->by_set_pos, ICAL_BY_SETPOS_SIZE), ctype = 0, leap = 0;
    xmlNodePtr rec;

    if (r->by_second[0] != NONE || r->by_minute[0] != NONE || r->by_hour[0] != NONE ||
        r->by_year_day[0] != NONE || r->by_week_no[0] != NONE) {
        return -1;
    }
    if (r->rscale && (ctype = caltype_of(r->rscale)) < 0) {
        return -1;
    }
    /* beyond what the schemas' types hold (Tasks' Occurrences is an unsignedByte) */
    if (r->count > (ns && ns->href && strcmp((const char *)ns->href, "Tasks:") == 0 ? 255 : 999) ||
        r->interval > 999) {
        return -1;
    }
    switch (r->freq) {
    case ICAL_DAILY_RECURRENCE:
    case ICAL_WEEKLY_RECURRENCE:
        if (nmd || nmo || nsp) {
            return -1;
        }
        dow = day_mask(r, &pos);
        if (dow < 0 || pos != 0) {
            return -1;
        }
        if (r->freq == ICAL_DAILY_RECURRENCE) {
            /* a daily rule with days is "every weekday"; every other day on weekdays is not EAS */
            if (dow && r->interval > 1) {
                return -1;
            }
            type = 0;
        } else {
            if (!dow) {
                return -1; /* the day comes from DTSTART: the caller names it in BYDAY */
            }
            type = 1;
        }
        break;
    case ICAL_MONTHLY_RECURRENCE:
        if (nmo) {
            return -1;
        }
        if (nmd == 1 && r->by_month_day[0] > 0 && r->by_day[0] == NONE && !nsp) {
            type = 2, dom = r->by_month_day[0];
        } else if (nth_of(r, &dow, &wom) == 0) {
            type = 3;
        } else {
            return -1;
        }
        break;
    case ICAL_YEARLY_RECURRENCE:
        if (nmo != 1) {
            return -1;
        }
        moy = icalrecurrencetype_month_month(r->by_month[0]);
        leap = icalrecurrencetype_month_is_leap(r->by_month[0]);
        if (nmd == 1 && r->by_month_day[0] > 0 && r->by_day[0] == NONE && !nsp) {
            type = 5, dom = r->by_month_day[0];
        } else if (nth_of(r, &dow, &wom) == 0) {
            type = 6;
        } else {
            return -1;
        }
        break;
    default:
        return -1;
    }

    rec = eas_xml_add(parent, ns, "Recurrence", NULL);
    eas_xml_add_int(rec, ns, "Type", type);
    if (r->count > 0) {
        eas_xml_add_int(rec, ns, "Occurrences", r->count);
    }
    eas_xml_add_int(rec, ns, "Interval", r->interval > 0 ? r->interval : 1);
    if (wom) {
        eas_xml_add_int(rec, ns, "WeekOfMonth", wom);
    }
    if (dow) {
        eas_xml_add_int(rec, ns, "DayOfWeek", dow);
    }
    if (moy) {
        eas_xml_add_int(rec, ns, "MonthOfYear", moy);
    }
    if (r->count <= 0 && !icaltime_is_null_time(r->until)) {
        eas_xml_add(rec, ns, "Until", until_text(p, r, zone, until_fmt));
    }
    if (dom) {
        eas_xml_add_int(rec, ns, "DayOfMonth", dom);
    }
    if (version >= 140) {
        /* a response carries CalendarType for the monthly and yearly types (MS-ASCAL 2.2.2.10) */
        if (ctype || type >= 2) {
            eas_xml_add_int(rec, ns, "CalendarType", ctype);
        }
        if (leap) {
            eas_xml_add_int(rec, ns, "IsLeapMonth", 1);
        }
    }
    /* FirstDayOfWeek is required for weekly rules (MS-ASTASK 2.2.2.13); RFC 5545's default
     * WKST is Monday, which libical does not write. */
    if (version >= 141 &&
        (type == 1 || (r->week_start != ICAL_NO_WEEKDAY && r->week_start != ICAL_MONDAY_WEEKDAY))) {
        int wk = r->week_start == ICAL_NO_WEEKDAY ? 1 : (int)r->week_start - 1;
        eas_xml_add_int(rec, ns, "FirstDayOfWeek", wk);
    }
    return 0;
}

/* An imported rule leaves parts to DTSTART (RFC 5545 3.3.10); EAS names them. */
void eas_recur_complete(struct icalrecurrencetype *r, apr_time_t local_start)
{
    apr_time_exp_t e;
    apr_time_exp_gmt(&e, local_start);
    if (r->freq == ICAL_WEEKLY_RECURRENCE && r->by_day[0] == ICAL_RECURRENCE_ARRAY_MAX) {
        r->by_day[0] = (short)(e.tm_wday + 1), r->by_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
    if (r->freq == ICAL_YEARLY_RECURRENCE && r->by_month[0] == ICAL_RECURRENCE_ARRAY_MAX &&
        r->by_year_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
        r->by_week_no[0] == ICAL_RECURRENCE_ARRAY_MAX) {
        r->by_month[0] = (short)(e.tm_mon + 1), r->by_month[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
    if ((r->freq == ICAL_MONTHLY_RECURRENCE || r->freq == ICAL_YEARLY_RECURRENCE) &&
        r->by_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
        r->by_month_day[0] == ICAL_RECURRENCE_ARRAY_MAX &&
        r->by_year_day[0] == ICAL_RECURRENCE_ARRAY_MAX) {
        r->by_month_day[0] = (short)e.tm_mday, r->by_month_day[1] = ICAL_RECURRENCE_ARRAY_MAX;
    }
}
