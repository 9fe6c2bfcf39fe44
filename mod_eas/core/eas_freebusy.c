/* eas_freebusy.c — MergedFreeBusy from a user's calendars (see eas_freebusy.h). */
#include <string.h>
#include <strings.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <libical/ical.h>

#include "eas_cal.h"
#include "eas_db.h"
#include "eas_freebusy.h"
#include "eas_pim.h"
#include "eas_tz.h"

/* Enough for any rule EAS can express (999 occurrences, daily for decades) without letting a
 * hostile FREQ=SECONDLY import spin. */
#define MAX_ITER 100000

typedef struct fb_item {
    apr_pool_t *p;
    icalcomponent *cal;
    apr_hash_t *zones;       /* TZID → zone, resolved once per item */
    icaltimezone *date_zone; /* where an all-day DATE starts: X-EAS-TZID, else UTC */
    apr_time_t start;        /* slot 0 */
    int nslots;
    char *digits;
} fb_item;

static icaltimezone *utc(void)
{
    return icaltimezone_get_utc_timezone();
}

int eas_freebusy_slots(apr_time_t start, apr_time_t end)
{
    if (end <= start) {
        return 0;
    }
    return (int)((end - start + EAS_FB_SLOT - 1) / EAS_FB_SLOT);
}

static const char *x_get(icalcomponent *ev, const char *name)
{
    icalproperty *pr;
    for (pr = icalcomponent_get_first_property(ev, ICAL_X_PROPERTY); pr;
         pr = icalcomponent_get_next_property(ev, ICAL_X_PROPERTY)) {
        const char *n = icalproperty_get_x_name(pr);
        if (n && strcasecmp(n, name) == 0) {
            return icalproperty_get_x(pr);
        }
    }
    return NULL;
}

static icaltimezone *zone_named(fb_item *f, const char *tzid)
{
    icaltimezone *z;
    if (!tzid) {
        return utc(); /* floating times read as UTC, as the calendar code does */
    }
    if (!(z = apr_hash_get(f->zones, tzid, APR_HASH_KEY_STRING)) &&
        (z = eas_tz_resolve(f->p, f->cal, tzid))) {
        apr_hash_set(f->zones, apr_pstrdup(f->p, tzid), APR_HASH_KEY_STRING, z);
    }
    return z;
}

/* The zone a time value of prop is read in; NULL when its TZID is unknown. */
static icaltimezone *zone_of(fb_item *f, icalproperty *prop, struct icaltimetype tt)
{
    icalparameter *tz;
    if (tt.is_date) {
        return f->date_zone;
    }
    if (icaltime_is_utc(tt)) {
        return utc();
    }
    tz = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    return zone_named(f, tz ? icalparameter_get_tzid(tz) : NULL);
}

/* The instant of a wall-clock time in zone z (a DATE is its midnight). */
static apr_time_t instant(struct icaltimetype tt, icaltimezone *z)
{
    if (tt.is_date) {
        tt.is_date = 0;
        tt.hour = tt.minute = tt.second = 0;
    }
    tt.zone = NULL;
    return apr_time_from_sec(icaltime_as_timet_with_zone(tt, z));
}

/* prop's time as an instant; -1 when absent or in an unknown zone. */
static int prop_instant(fb_item *f, icalproperty *prop, apr_time_t *out)
{
    struct icaltimetype tt = eas_cal_prop_tt(prop);
    icaltimezone *z;
    if (icaltime_is_null_time(tt) || !(z = zone_of(f, prop, tt))) {
        return -1;
    }
    *out = instant(tt, z);
    return 0;
}

/* What the event shows to others: 0 free .. 3 out of office. */
static char digit_of(icalcomponent *ev)
{
    static const struct {
        const char *name;
        char d;
    } map[] = {
        {"FREE", '0'}, {"TENTATIVE", '1'}, {"BUSY", '2'}, {"OOF", '3'}, {"WORKINGELSEWHERE", '2'}};
    const char *x = x_get(ev, "X-MICROSOFT-CDO-BUSYSTATUS");
    icalproperty *pr;
    size_t i;
    if (x) {
        for (i = 0; i < sizeof(map) / sizeof(map[0]); ++i) {
            if (strcasecmp(x, map[i].name) == 0) {
                return map[i].d;
            }
        }
        return '2';
    }
    pr = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
    if (pr && icalproperty_get_transp(pr) == ICAL_TRANSP_TRANSPARENT) {
        return '0';
    }
    pr = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    if (pr && icalproperty_get_status(pr) == ICAL_STATUS_TENTATIVE) {
        return '1';
    }
    return '2';
}

/* Cancelled, or declined by the calendar's owner (ResponseType 4): takes no time. */
static int ignored(icalcomponent *ev)
{
    icalproperty *pr = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    const char *rt = x_get(ev, "X-EAS-RESPONSETYPE");
    return (pr && icalproperty_get_status(pr) == ICAL_STATUS_CANCELLED) || (rt && !strcmp(rt, "4"));
}

static void mark(fb_item *f, apr_time_t s, apr_time_t e, char d)
{
    apr_time_t end = f->start + (apr_time_t)f->nslots * EAS_FB_SLOT;
    apr_int64_t first, last, i;
    if (d <= '0') {
        return;
    }
    if (e <= s) {
        e = s + 1; /* a zero-length event still occupies the slot it starts in */
    }
    if (e <= f->start || s >= end) {
        return;
    }
    first = s <= f->start ? 0 : (s - f->start) / EAS_FB_SLOT;
    last = (e - 1 - f->start) / EAS_FB_SLOT;
    if (last >= f->nslots) {
        last = f->nslots - 1;
    }
    for (i = first; i <= last; ++i) {
        if (f->digits[i] < d) {
            f->digits[i] = d;
        }
    }
}

/* How long each occurrence lasts: all-day events in nominal days (a day across a DST change is
 * still one calendar day), timed ones in exact seconds (RFC 5545 3.8.5.3). */
typedef struct fb_len {
    int days;         /* > 0: all-day, this many days */
    apr_time_t exact; /* otherwise */
} fb_len;

/* Days since 1970-01-01 of a date (proleptic Gregorian). */
static long day_number(struct icaltimetype t)
{
    long y = t.year - (t.month <= 2), era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400, m = t.month;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + t.day - 1;
    return era * 146097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719468;
}

static int event_len(fb_item *f, icalcomponent *ev, fb_len *len)
{
    icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
    icalproperty *pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY);
    icalproperty *pd = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY);
    struct icaltimetype st = eas_cal_prop_tt(ps);
    apr_time_t s, e;

    memset(len, 0, sizeof(*len));
    if (icaltime_is_null_time(st) || prop_instant(f, ps, &s) != 0) {
        return -1;
    }
    if (pe) {
        struct icaltimetype et = eas_cal_prop_tt(pe);
        if (st.is_date && et.is_date) {
            len->days = (int)(day_number(et) - day_number(st));
            if (len->days <= 0) {
                len->days = 1;
            }
            return 0;
        }
        if (prop_instant(f, pe, &e) != 0) {
            return -1;
        }
        len->exact = e > s ? e - s : 0;
    } else if (pd) {
        struct icaldurationtype d = icalproperty_get_duration(pd);
        if (st.is_date && !d.is_neg && d.hours == 0 && d.minutes == 0 && d.seconds == 0) {
            len->days = (int)(d.days + 7 * d.weeks);
            if (len->days <= 0) {
                len->days = 1;
            }
        } else {
            int sec = icaldurationtype_as_int(d);
            len->exact = sec > 0 ? apr_time_from_sec(sec) : 0;
        }
    } else if (st.is_date) {
        len->days = 1;
    }
    return 0;
}

/* Marks one occurrence starting at local wall time tt in zone z. */
static void mark_occurrence(fb_item *f, struct icaltimetype tt, icaltimezone *z, const fb_len *len,
                            char d)
{
    apr_time_t s = instant(tt, z), e;
    if (len->days > 0) {
        struct icaltimetype et = tt;
        et.is_date = 0;
        et.hour = et.minute = et.second = 0;
        icaltime_adjust(&et, len->days, 0, 0, 0);
        e = instant(et, z);
    } else {
        e = s + len->exact;
    }
    mark(f, s, e, d);
}

static int in_list(const apr_array_header_t *a, apr_time_t t)
{
    int i;
    for (i = 0; i < a->nelts; ++i) {
        if (APR_ARRAY_IDX(a, i, apr_time_t) == t) {
            return 1;
        }
    }
    return 0;
}

/* Every start of the master's rules (DTSTART, RRULE, RDATE) before the window ends, less EXDATEs
 * and overridden occurrences. */
static void expand_master(fb_item *f, icalcomponent *m, const apr_array_header_t *skip)
{
    icalproperty *ps = icalcomponent_get_first_property(m, ICAL_DTSTART_PROPERTY), *pr;
    struct icaltimetype dt = eas_cal_prop_tt(ps);
    apr_time_t end = f->start + (apr_time_t)f->nslots * EAS_FB_SLOT, t;
    icaltimezone *z;
    fb_len len;
    char d = digit_of(m);
    int n, has_rule = 0;

    if (ignored(m) || d <= '0' || icaltime_is_null_time(dt) || !(z = zone_of(f, ps, dt)) ||
        event_len(f, m, &len) != 0) {
        return;
    }
    for (pr = icalcomponent_get_first_property(m, ICAL_RRULE_PROPERTY); pr;
         pr = icalcomponent_get_next_property(m, ICAL_RRULE_PROPERTY)) {
        struct icalrecurrencetype rt = icalproperty_get_rrule(pr);
        struct icaltimetype base = dt, nx;
        icalrecur_iterator *it;
        has_rule = 1;
        if (!base.is_date) {
            base.zone = z; /* the iterator steps in local time: DST keeps the wall time */
        }
        if (!(it = icalrecur_iterator_new(rt, base))) {
            continue;
        }
        for (n = 0; n < MAX_ITER; ++n) {
            nx = icalrecur_iterator_next(it);
            if (icaltime_is_null_time(nx)) {
                break;
            }
            nx.zone = NULL;
            if ((t = instant(nx, z)) >= end) {
                break;
            }
            if (!in_list(skip, t)) {
                mark_occurrence(f, nx, z, &len, d);
            }
        }
        icalrecur_iterator_free(it);
    }
    if (!has_rule && !in_list(skip, instant(dt, z))) {
        mark_occurrence(f, dt, z, &len, d);
    }
    for (pr = icalcomponent_get_first_property(m, ICAL_RDATE_PROPERTY); pr;
         pr = icalcomponent_get_next_property(m, ICAL_RDATE_PROPERTY)) {
        struct icaltimetype rd = eas_cal_prop_tt(pr);
        icaltimezone *rz = icaltime_is_null_time(rd) ? NULL : zone_of(f, pr, rd);
        if (rz && !in_list(skip, instant(rd, rz))) {
            rd.zone = NULL;
            mark_occurrence(f, rd, rz, &len, d);
        }
    }
}

int eas_freebusy_item(apr_pool_t *p, const char *ical, apr_time_t start, int nslots, char *digits,
                      const char **err)
{
    fb_item f;
    icalcomponent *ev, *master = NULL;
    apr_array_header_t *skip;
    icalproperty *pr;
    const char *tzid;

    memset(&f, 0, sizeof(f));
    f.p = p;
    f.start = start;
    f.nslots = nslots;
    f.digits = digits;
    f.zones = apr_hash_make(p);
    f.cal = ical ? icalparser_parse_string(ical) : NULL;
    if (!f.cal) {
        *err = "not iCalendar data";
        return -1;
    }
    eas_pim_own_component(p, f.cal);
    if (icalcomponent_isa(f.cal) != ICAL_VCALENDAR_COMPONENT) {
        *err = "not a VCALENDAR";
        return -1;
    }
    for (ev = icalcomponent_get_first_component(f.cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(f.cal, ICAL_VEVENT_COMPONENT)) {
        if (!icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY)) {
            master = ev;
            break;
        }
    }
    if (!master) {
        *err = "no VEVENT";
        return -1;
    }
    tzid = x_get(master, "X-EAS-TZID");
    f.date_zone = tzid ? zone_named(&f, tzid) : utc();
    if (!f.date_zone) {
        f.date_zone = utc();
    }

    /* occurrences the master does not produce: EXDATEs and those an override replaces */
    skip = apr_array_make(p, 4, sizeof(apr_time_t));
    for (pr = icalcomponent_get_first_property(master, ICAL_EXDATE_PROPERTY); pr;
         pr = icalcomponent_get_next_property(master, ICAL_EXDATE_PROPERTY)) {
        apr_time_t t;
        if (prop_instant(&f, pr, &t) == 0) {
            APR_ARRAY_PUSH(skip, apr_time_t) = t;
        }
    }
    for (ev = icalcomponent_get_first_component(f.cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(f.cal, ICAL_VEVENT_COMPONENT)) {
        apr_time_t t;
        pr = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
        if (pr && prop_instant(&f, pr, &t) == 0) {
            APR_ARRAY_PUSH(skip, apr_time_t) = t;
        }
    }
    expand_master(&f, master, skip);

    /* each override is a whole event of its own (its time, its busy status, its status) */
    for (ev = icalcomponent_get_first_component(f.cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(f.cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY);
        struct icaltimetype st = eas_cal_prop_tt(ps);
        icaltimezone *z;
        fb_len len;
        if (ev == master || ignored(ev) || icaltime_is_null_time(st) ||
            !(z = zone_of(&f, ps, st)) || event_len(&f, ev, &len) != 0) {
            continue;
        }
        st.zone = NULL;
        mark_occurrence(&f, st, z, &len, digit_of(ev));
    }
    return 0;
}

int eas_freebusy_user(PGconn *c, apr_pool_t *p, const char *user_id, apr_time_t start,
                      apr_time_t end, const char **out, int *skipped, const char **err)
{
    int n = eas_freebusy_slots(start, end), i;
    char *digits = apr_palloc(p, (apr_size_t)n + 1);
    const char *params[3];
    PGresult *r;
    apr_pool_t *sub;

    memset(digits, '0', (apr_size_t)n);
    digits[n] = '\0';
    *skipped = 0;
    params[0] = user_id;
    /* whole seconds around the window: the pre-filter may only let more through */
    params[1] = apr_psprintf(p, "%" APR_INT64_T_FMT, apr_time_sec(start) - 1);
    params[2] = apr_psprintf(p, "%" APR_INT64_T_FMT, apr_time_sec(end) + 1);
    r = eas_db_exec(c, p, err,
                    "SELECT pim_data FROM items WHERE user_id = $1 AND class = 'Calendar' "
                    "AND NOT expunged AND pim_data IS NOT NULL "
                    "AND coalesce(pim_start, '-infinity') < to_timestamp($3::bigint) "
                    "AND coalesce(pim_end, 'infinity') > to_timestamp($2::bigint)",
                    3, params);
    if (!r) {
        return -1;
    }
    /* each item's parse and zones go with its own pool: a busy calendar stays small */
    apr_pool_create(&sub, p);
    for (i = 0; i < PQntuples(r); ++i) {
        const char *e = NULL;
        if (eas_freebusy_item(sub, PQgetvalue(r, i, 0), start, n, digits, &e) != 0) {
            ++*skipped;
        }
        apr_pool_clear(sub);
    }
    apr_pool_destroy(sub);
    PQclear(r);
    *out = digits;
    return 0;
}
