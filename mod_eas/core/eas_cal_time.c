/* eas_cal_time.c — Calendar times: EAS date text, DTSTART-like properties in the item's zone,
 * occurrences of a series (see eas_cal.h). */
#include <stdio.h>
#include <string.h>

#include <apr_hash.h>
#include <apr_strings.h>

#include "eas_cal.h"
#include "eas_tz.h"

/* Enough to find any occurrence of a rule EAS can express (999 occurrences, daily for decades). */
#define MAX_ITER 100000

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : d[m - 1];
}

int eas_cal_date_in(const char *s, apr_time_t *t, int *utc)
{
    int y, mo, d, h = 0, mi = 0, sec = 0, n = 0, len;
    apr_time_exp_t e;
    const char *rest;

    if (!s) {
        return -1;
    }
    len = (int)strlen(s);
    if (len >= 10 && s[4] == '-') {
        if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &n) != 3) {
            return -1;
        }
        rest = s + n;
        if (*rest == 'T') {
            if (sscanf(rest, "T%2d:%2d:%2d%n", &h, &mi, &sec, &n) != 3) {
                return -1;
            }
            rest += n;
            if (*rest == '.') { /* milliseconds: EAS dates have none that matter */
                for (++rest; *rest >= '0' && *rest <= '9'; ++rest) {
                }
            }
        }
    } else {
        if (len < 8 || sscanf(s, "%4d%2d%2d%n", &y, &mo, &d, &n) != 3 || n != 8) {
            return -1;
        }
        rest = s + n;
        if (*rest == 'T') {
            if (sscanf(rest, "T%2d%2d%2d%n", &h, &mi, &sec, &n) != 3 || n != 7) {
                return -1;
            }
            rest += n;
        }
    }
    *utc = *rest == 'Z';
    if (*utc) {
        ++rest;
    }
    if (*rest || y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in(y, mo) ||
        h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59) {
        return -1;
    }
    memset(&e, 0, sizeof(e));
    e.tm_year = y - 1900;
    e.tm_mon = mo - 1;
    e.tm_mday = d;
    e.tm_hour = h;
    e.tm_min = mi;
    e.tm_sec = sec;
    return apr_time_exp_gmt_get(t, &e) == APR_SUCCESS ? 0 : -1;
}

const char *eas_cal_date_out(apr_pool_t *p, apr_time_t t, int z)
{
    apr_time_exp_t e;
    apr_time_exp_gmt(&e, t);
    return apr_psprintf(p, "%04d%02d%02dT%02d%02d%02d%s", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday,
                        e.tm_hour, e.tm_min, e.tm_sec, z ? "Z" : "");
}

static icaltimezone *utc(void)
{
    return icaltimezone_get_utc_timezone();
}

icaltimezone *eas_cal_prop_zone(eas_cal_ctx *c, icalproperty *prop)
{
    icalparameter *tz = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    const char *tzid = tz ? icalparameter_get_tzid(tz) : NULL;
    icaltimezone *z;
    if (!tzid) {
        return utc(); /* floating times are read as UTC: EAS has no floating time */
    }
    /* resolving builds a zone and expands its rules anew: once per TZID and item */
    if (c->zone && strcmp(tzid, eas_tz_id(c->zone)) == 0) {
        return c->zone;
    }
    if (!c->zones) {
        c->zones = apr_hash_make(c->p);
    }
    if (!(z = apr_hash_get(c->zones, tzid, APR_HASH_KEY_STRING)) &&
        (z = eas_tz_resolve(c->p, c->cal, tzid))) {
        apr_hash_set(c->zones, apr_pstrdup(c->p, tzid), APR_HASH_KEY_STRING, z);
    }
    return z;
}

struct icaltimetype eas_cal_prop_tt(icalproperty *prop)
{
    icalvalue *v = prop ? icalproperty_get_value(prop) : NULL;
    if (!v) {
        return icaltime_null_time();
    }
    if (icalproperty_isa(prop) == ICAL_RDATE_PROPERTY) {
        struct icaldatetimeperiodtype dp = icalvalue_get_datetimeperiod(v);
        return icaltime_is_null_time(dp.time) ? dp.period.start : dp.time;
    }
    switch (icalvalue_isa(v)) {
    case ICAL_DATE_VALUE:
    case ICAL_DATETIME_VALUE:
    case ICAL_DATETIMEDATE_VALUE:
        return icalvalue_get_datetime(v);
    default:
        return icaltime_null_time();
    }
}

apr_time_t eas_cal_prop_time(eas_cal_ctx *c, icalproperty *prop, icaltimezone *date_zone,
                             int *is_date, const char **err)
{
    struct icaltimetype tt = eas_cal_prop_tt(prop);
    icaltimezone *z;

    if (icaltime_is_null_time(tt)) {
        *err = "a date property has no date";
        return 0;
    }
    if (is_date) {
        *is_date = tt.is_date;
    }
    if (tt.is_date) {
        tt.is_date = 0;
        tt.hour = tt.minute = tt.second = 0;
        z = date_zone ? date_zone : utc();
    } else if (icaltime_is_utc(tt)) {
        z = utc();
    } else if (!(z = eas_cal_prop_zone(c, prop))) {
        *err = "unknown TZID";
        return 0;
    }
    tt.zone = NULL;
    return apr_time_from_sec(icaltime_as_timet_with_zone(tt, z));
}

/* UTC t as a time of zone (a DATE of that local day when all_day). */
static struct icaltimetype local_tt(apr_time_t t, icaltimezone *zone, int all_day)
{
    struct icaltimetype tt =
        icaltime_from_timet_with_zone((time_t)apr_time_sec(t), 0, zone ? zone : utc());
    if (all_day) {
        tt.is_date = 1;
        tt.hour = tt.minute = tt.second = 0;
        tt.zone = NULL;
    } else {
        /* libical marks converted times UTC; the TZID parameter names the zone instead */
        tt.zone = (!zone || zone == utc()) ? utc() : NULL;
    }
    return tt;
}

icalproperty *eas_cal_time_prop(icalproperty_kind kind, apr_time_t t, icaltimezone *zone,
                                int all_day)
{
    struct icaltimetype tt = local_tt(t, zone, all_day);
    icalproperty *prop;

    switch (kind) {
    case ICAL_DTEND_PROPERTY:
        prop = icalproperty_new_dtend(tt);
        break;
    case ICAL_RECURRENCEID_PROPERTY:
        prop = icalproperty_new_recurrenceid(tt);
        break;
    case ICAL_EXDATE_PROPERTY:
        prop = icalproperty_new_exdate(tt);
        break;
    case ICAL_DTSTAMP_PROPERTY:
        prop = icalproperty_new_dtstamp(tt);
        break;
    default:
        prop = icalproperty_new_dtstart(tt);
        break;
    }
    if (all_day) {
        icalproperty_set_parameter(prop, icalparameter_new_value(ICAL_VALUE_DATE));
    } else if (!tt.zone) {
        icalproperty_set_parameter(prop, icalparameter_new_tzid(eas_tz_id(zone)));
    }
    return prop;
}

void eas_cal_set_time(icalcomponent *comp, icalproperty_kind kind, apr_time_t t, icaltimezone *zone,
                      int all_day)
{
    icalproperty *old;
    while ((old = icalcomponent_get_first_property(comp, kind))) {
        icalcomponent_remove_property(comp, old);
        icalproperty_free(old);
    }
    icalcomponent_add_property(comp, eas_cal_time_prop(kind, t, zone, all_day));
}

apr_time_t eas_cal_midnight(apr_time_t t, icaltimezone *zone, int up)
{
    struct icaltimetype tt =
        icaltime_from_timet_with_zone((time_t)apr_time_sec(t), 0, zone ? zone : utc());
    int exact = tt.hour == 0 && tt.minute == 0 && tt.second == 0;
    tt.hour = tt.minute = tt.second = 0;
    tt.zone = NULL;
    if (up && !exact) {
        icaltime_adjust(&tt, 1, 0, 0, 0);
    }
    return apr_time_from_sec(icaltime_as_timet_with_zone(tt, zone ? zone : utc()));
}

int eas_cal_span(eas_cal_ctx *c, icalcomponent *ev, apr_time_t *start, apr_time_t *end,
                 const char **err)
{
    icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    int is_date = 0;

    *err = NULL;
    if (!ps) {
        *err = "VEVENT without DTSTART";
        return -1;
    }
    *start = eas_cal_prop_time(c, ps, c->zone, &is_date, err);
    if (*err) {
        return -1;
    }
    if (pe) {
        *end = eas_cal_prop_time(c, pe, c->zone, NULL, err);
        if (*err) {
            return -1;
        }
    } else if (pd) {
        struct icaldurationtype d = icalproperty_get_duration(pd);
        *end = *start + apr_time_from_sec(icaldurationtype_as_int(d));
    } else {
        *end = *start + (is_date ? apr_time_from_sec(86400) : 0);
    }
    if (*end < *start) {
        *err = "the event ends before it starts";
        return -1;
    }
    return 0;
}

/* Calls fn for each start of the master's rules (DTSTART, RRULE, RDATE) until fn returns 1
 * (returned) or the rules end (0); fn returns 2 to skip the rest of the current rule. */
typedef int (*occ_fn)(apr_time_t t, void *baton);
static int each_start(eas_cal_ctx *c, occ_fn fn, void *baton, int *unbounded)
{
    icalproperty *ps = icalcomponent_get_first_property(c->master, ICAL_DTSTART_PROPERTY);
    icalproperty *pr;
    const char *err = NULL;
    struct icaltimetype dt;
    icaltimezone *z;
    int r, n;

    *unbounded = 0;
    if (!ps) {
        return 0;
    }
    if (fn(eas_cal_prop_time(c, ps, c->zone, NULL, &err), baton) == 1) {
        return 1;
    }
    dt = eas_cal_prop_tt(ps);
    z = dt.is_date ? c->zone : icaltime_is_utc(dt) ? utc() : eas_cal_prop_zone(c, ps);
    if (!z) {
        return 0;
    }
    if (!dt.is_date) {
        dt.zone = z; /* the iterator steps in local time, so DST changes keep the wall time */
    }
    for (pr = icalcomponent_get_first_property(c->master, ICAL_RRULE_PROPERTY); pr;
         pr = icalcomponent_get_next_property(c->master, ICAL_RRULE_PROPERTY)) {
        struct icalrecurrencetype rt = icalproperty_get_rrule(pr);
        icalrecur_iterator *it = icalrecur_iterator_new(rt, dt);
        struct icaltimetype nx;
        if (!it) {
            continue;
        }
        if (rt.count <= 0 && icaltime_is_null_time(rt.until)) {
            *unbounded = 1;
        }
        for (n = 0; n < MAX_ITER; ++n) {
            nx = icalrecur_iterator_next(it);
            if (icaltime_is_null_time(nx)) {
                break;
            }
            if (nx.is_date) {
                nx.is_date = 0;
                nx.hour = nx.minute = nx.second = 0;
            }
            nx.zone = NULL;
            if ((r = fn(apr_time_from_sec(icaltime_as_timet_with_zone(nx, z)), baton)) == 1) {
                icalrecur_iterator_free(it);
                return 1;
            }
            if (r == 2) {
                break;
            }
        }
        icalrecur_iterator_free(it);
    }
    for (pr = icalcomponent_get_first_property(c->master, ICAL_RDATE_PROPERTY); pr;
         pr = icalcomponent_get_next_property(c->master, ICAL_RDATE_PROPERTY)) {
        if (fn(eas_cal_prop_time(c, pr, c->zone, NULL, &err), baton) == 1) {
            return 1;
        }
    }
    return 0;
}

typedef struct {
    apr_time_t want, last;
} occ_baton;

static int match(apr_time_t t, void *baton)
{
    occ_baton *b = baton;
    if (t == b->want) {
        return 1;
    }
    return t > b->want ? 2 : 0; /* a rule's starts ascend: none further can match */
}

static int track_last(apr_time_t t, void *baton)
{
    occ_baton *b = baton;
    if (t > b->last) {
        b->last = t;
    }
    return 0;
}

int eas_cal_is_occurrence(eas_cal_ctx *c, apr_time_t t)
{
    occ_baton b = {t, 0};
    icalcomponent *ev;
    const char *err = NULL;
    int unbounded;

    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *rid = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
        if (rid && eas_cal_prop_time(c, rid, c->zone, NULL, &err) == t && !err) {
            return 1;
        }
    }
    return each_start(c, match, &b, &unbounded) == 1;
}

apr_time_t eas_cal_series_end(eas_cal_ctx *c)
{
    occ_baton b = {0, 0};
    apr_time_t start, end, last;
    icalcomponent *ev;
    const char *err;
    int unbounded;

    icalproperty *r;

    if (eas_cal_span(c, c->master, &start, &end, &err) != 0) {
        return 0;
    }
    for (r = icalcomponent_get_first_property(c->master, ICAL_RRULE_PROPERTY); r;
         r = icalcomponent_get_next_property(c->master, ICAL_RRULE_PROPERTY)) {
        struct icalrecurrencetype rt = icalproperty_get_rrule(r);
        if (rt.count <= 0 && icaltime_is_null_time(rt.until)) {
            return EAS_PIM_FOREVER; /* no need to walk it */
        }
    }
    each_start(c, track_last, &b, &unbounded);
    last = (b.last > start ? b.last : start) + (end - start);
    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        apr_time_t s, e;
        if (ev != c->master && eas_cal_span(c, ev, &s, &e, &err) == 0 && e > last) {
            last = e; /* an override moved past the last occurrence */
        }
    }
    return last;
}
