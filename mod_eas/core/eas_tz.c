/* eas_tz.c — the EAS TimeZone blob (MS-ASDTYPE 2.7.4) ⇄ libical zones, and iCalendar split/join.
 *
 * A blob carries rules, not a name, so zones are compared by a "signature" of one year: the
 * standard and daylight UTC offsets and the UTC instants of the two changes. Signatures of the
 * libical zones (system tzdata, zone.tab) are cached per year for the process, and computed only
 * for zones whose VTIMEZONE can have the blob's offsets at all (libical's expansion is slow).
 *
 * libical 3.0 names system zones "/freeassociation.sourceforge.net/Europe/Berlin" and its prefix
 * cannot be set empty, so the zones we hand out are our own process-lifetime copies of libical's
 * VTIMEZONE with TZID set to the plain IANA name and history before 1970 dropped (compact to
 * embed; identical offsets from 1970 on). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_hash.h>
#include <apr_strings.h>

#include "eas_tz.h"

#define BLOB_LEN  172
#define DAY       86400LL
#define MIN_YEAR  1900
#define MAX_YEAR  2500
#define MAX_YEARS 64 /* cached years (the oldest is dropped beyond) */

/* ---- calendar arithmetic (proleptic Gregorian, UTC seconds since 1970) ------ */

static long long days_from_civil(int y, int m, int d)
{
    long long era;
    unsigned yoe, doy, doe;
    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = (unsigned)(y - era * 400);
    doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    long long era;
    unsigned doe, yoe, doy, mp;
    z += 719468;
    era = (z >= 0 ? z : z - 146096) / 146097;
    doe = (unsigned)(z - era * 146097);
    yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400) + (*m <= 2);
}

static long long floordiv(long long a, long long b)
{
    return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}

static int weekday(long long days) /* 0 = Sunday; 1970-01-01 was a Thursday */
{
    return (int)(((days + 4) % 7 + 7) % 7);
}

static int month_days(int y, int m)
{
    static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 ? 28 + leap : md[m - 1];
}

/* Day of month of the n-th (5: last) weekday dow of y-m. */
static int nth_weekday(int y, int m, int dow, int n)
{
    int md = month_days(y, m);
    int d = 1 + (dow - weekday(days_from_civil(y, m, 1)) + 7) % 7 + (n - 1) * 7;
    while (d > md) {
        d -= 7;
    }
    return d;
}

static icaltimetype utc_time(long long t)
{
    icaltimetype tt = icaltime_null_time();
    long long days = floordiv(t, DAY), rem = t - days * DAY;
    civil_from_days(days, &tt.year, &tt.month, &tt.day);
    tt.hour = (int)(rem / 3600);
    tt.minute = (int)(rem / 60 % 60);
    tt.second = (int)(rem % 60);
    tt.zone = icaltimezone_get_utc_timezone();
    return tt;
}

static int offset_at(icaltimezone *z, long long t)
{
    icaltimetype tt = utc_time(t);
    int dst = 0;
    return icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
}

/* ---- the blob --------------------------------------------------------------- */

typedef struct {
    int year, month, dow, day, hour, minute, second, ms;
} systime;

typedef struct {
    int bias, sbias, dbias;
    systime sdate, ddate;
    char sname[100], dname[100]; /* UTF-8 of at most 32 WCHARs */
} tzinfo;

static unsigned rd16(const unsigned char *b)
{
    return (unsigned)b[0] | (unsigned)b[1] << 8;
}

static int rd32(const unsigned char *b)
{
    return (int)(int32_t)((uint32_t)rd16(b) | (uint32_t)rd16(b + 2) << 16);
}

static void wr16(unsigned char *b, unsigned v)
{
    b[0] = (unsigned char)(v & 0xff);
    b[1] = (unsigned char)(v >> 8 & 0xff);
}

static void wr32(unsigned char *b, int v)
{
    wr16(b, (uint32_t)v & 0xffff);
    wr16(b + 2, (uint32_t)v >> 16);
}

static char *put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* 32 WCHARs (not necessarily NUL-terminated) → UTF-8; lone surrogates become U+FFFD. */
static void name_in(const unsigned char *b, char *out)
{
    int i;
    for (i = 0; i < 32; ++i) {
        unsigned u = rd16(b + 2 * i), cp = u;
        if (u == 0) {
            break;
        }
        if (u >= 0xd800 && u <= 0xdbff && i + 1 < 32 && rd16(b + 2 * i + 2) >= 0xdc00 &&
            rd16(b + 2 * i + 2) <= 0xdfff) {
            cp = 0x10000 + ((u - 0xd800) << 10) + (rd16(b + 2 * i + 2) - 0xdc00);
            ++i;
        } else if (u >= 0xd800 && u <= 0xdfff) {
            cp = 0xfffd;
        }
        out = put_utf8(out, cp);
    }
    *out = '\0';
}

/* UTF-8 → at most 31 WCHARs (the 32nd stays 0); invalid bytes become U+FFFD. */
static void name_out(unsigned char *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    int n = 0;
    while (u && *u) {
        unsigned cp = 0xfffd;
        int len = 1, i;
        if (*u < 0x80) {
            cp = *u;
        } else if (*u >= 0xc2 && *u <= 0xf4) {
            len = *u >= 0xf0 ? 4 : *u >= 0xe0 ? 3 : 2;
            cp = *u & (0x7f >> len);
            for (i = 1; i < len; ++i) {
                if ((u[i] & 0xc0) != 0x80) {
                    break;
                }
                cp = cp << 6 | (u[i] & 0x3f);
            }
            if (i < len) {
                cp = 0xfffd, len = i;
            }
        }
        u += len;
        if (cp >= 0x10000) {
            if (n + 2 > 31) {
                break;
            }
            wr16(b + 2 * n++, 0xd800 + ((cp - 0x10000) >> 10));
            wr16(b + 2 * n++, 0xdc00 + ((cp - 0x10000) & 0x3ff));
        } else {
            if (n + 1 > 31) {
                break;
            }
            wr16(b + 2 * n++, cp);
        }
    }
}

static void systime_in(const unsigned char *b, systime *st)
{
    st->year = (int)rd16(b);
    st->month = (int)rd16(b + 2);
    st->dow = (int)rd16(b + 4);
    st->day = (int)rd16(b + 6);
    st->hour = (int)rd16(b + 8);
    st->minute = (int)rd16(b + 10);
    st->second = (int)rd16(b + 12);
    st->ms = (int)rd16(b + 14);
}

static void systime_out(unsigned char *b, const systime *st)
{
    int v[8] = {st->year, st->month, st->dow, st->day, st->hour, st->minute, st->second, st->ms};
    int i;
    for (i = 0; i < 8; ++i) {
        wr16(b + 2 * i, (unsigned)v[i]);
    }
}

/* A transition date must be a real rule; month 0 means "no daylight time" and nothing else of
 * it is looked at. */
static int systime_valid(const systime *st)
{
    if (st->month == 0) {
        return 1;
    }
    if (st->month > 12 || st->hour > 23 || st->minute > 59 || st->second > 59 || st->ms > 999) {
        return 0;
    }
    if (st->year == 0) {
        return st->dow <= 6 && st->day >= 1 && st->day <= 5;
    }
    return st->year >= 1601 && st->day >= 1 && st->day <= 31;
}

/* Strict base64 (whitespace allowed) of exactly BLOB_LEN bytes. */
static int decode_blob(apr_pool_t *p, const char *b64, unsigned char *out)
{
    static const char alpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = 0, pad = 0, len = b64 ? strlen(b64) : 0, i;
    char *clean = apr_palloc(p, len + 1);
    unsigned char *bin;

    for (i = 0; i < len; ++i) {
        char c = b64[i];
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            ++pad;
        } else if (pad || !c || !strchr(alpha, c)) {
            return 0;
        }
        clean[n++] = c;
    }
    clean[n] = '\0';
    if (n % 4 != 0 || pad > 2 || n / 4 * 3 - pad != BLOB_LEN) {
        return 0;
    }
    bin = apr_palloc(p, (apr_size_t)apr_base64_decode_len(clean) + 1);
    if (apr_base64_decode_binary(bin, clean) != BLOB_LEN) {
        return 0;
    }
    memcpy(out, bin, BLOB_LEN);
    return 1;
}

static const char *parse_blob(apr_pool_t *p, const char *b64, tzinfo *tz, unsigned char *raw)
{
    if (!decode_blob(p, b64, raw)) {
        return "TimeZone is not base64 of 172 bytes";
    }
    tz->bias = rd32(raw);
    name_in(raw + 4, tz->sname);
    systime_in(raw + 68, &tz->sdate);
    tz->sbias = rd32(raw + 84);
    name_in(raw + 88, tz->dname);
    systime_in(raw + 152, &tz->ddate);
    tz->dbias = rd32(raw + 168);
    if (!systime_valid(&tz->sdate) || !systime_valid(&tz->ddate)) {
        return "TimeZone has an invalid transition date";
    }
    if (tz->bias < -1440 || tz->bias > 1440 || tz->sbias < -1440 || tz->sbias > 1440 ||
        tz->dbias < -1440 || tz->dbias > 1440 || abs(tz->bias + tz->sbias) >= 1440 ||
        abs(tz->bias + tz->dbias) >= 1440) {
        return "TimeZone bias out of range";
    }
    return NULL;
}

/* ---- signatures ------------------------------------------------------------- */

/* The offsets of one year: n 0 (one offset: std), 2 (std < dst, changes to each at t_std/t_dst
 * UTC) or -1 (anything else: several offsets, a permanent change...), which matches nothing. */
typedef struct {
    int n, std, dst;
    long long t_std, t_dst;
} tzsig;

static int sig_equal(const tzsig *a, const tzsig *b)
{
    if (a->n != b->n || a->n < 0 || a->std != b->std) {
        return 0;
    }
    return a->n == 0 || (a->dst == b->dst && a->t_std == b->t_std && a->t_dst == b->t_dst);
}

static long long year_start(int year)
{
    return days_from_civil(year, 1, 1) * DAY;
}

/* The zone's offset changes in [Jan 1, Dec 31] UTC of year: daily samples, then bisection to
 * the second. (Daylight periods shorter than a day do not exist in tzdata.) */
static void zone_sig(icaltimezone *z, int year, tzsig *s)
{
    long long from[4], at[4], to[4], t0 = year_start(year) - 1, end = year_start(year + 1) - 1, a;
    int n = 0, pa;

    memset(s, 0, sizeof(*s));
    pa = offset_at(z, t0);
    for (a = t0; a < end;) {
        long long b = a + DAY < end ? a + DAY : end;
        int pb = offset_at(z, b);
        while (pa != pb) { /* first change in (a, b] */
            long long lo = a, hi = b;
            while (hi - lo > 1) {
                long long mid = lo + (hi - lo) / 2;
                if (offset_at(z, mid) == pa) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            if (n < 4) {
                from[n] = pa, at[n] = hi, to[n] = offset_at(z, hi);
            }
            ++n;
            a = hi, pa = offset_at(z, hi);
        }
        a = b, pa = pb;
    }
    s->std = s->dst = pa;
    if (n == 0) {
        return;
    }
    if (n != 2 || from[0] != to[1] || to[0] != from[1]) {
        s->n = -1;
        return;
    }
    s->n = 2;
    s->std = from[0] < to[0] ? from[0] : to[0];
    s->dst = from[0] < to[0] ? to[0] : from[0];
    s->t_dst = to[0] == s->dst ? at[0] : at[1];
    s->t_std = to[0] == s->dst ? at[1] : at[0];
}

/* Local time (seconds since 1970, wall clock) of a blob transition in year. */
static long long rule_local(const systime *st, int year)
{
    int day = st->year == 0 ? nth_weekday(year, st->month, st->dow, st->day)
              : st->day > month_days(year, st->month) ? month_days(year, st->month)
                                                      : st->day;
    /* Windows writes "24:00" as 23:59:59.999 */
    return days_from_civil(year, st->month, day) * DAY + st->hour * 3600 + st->minute * 60 +
           st->second + (st->ms >= 500);
}

static int has_dst(const tzinfo *tz)
{
    return tz->sdate.month != 0 && tz->ddate.month != 0 && tz->sbias != tz->dbias;
}

static void blob_sig(const tzinfo *tz, int year, tzsig *s)
{
    int std = -(tz->bias + tz->sbias) * 60, dst = -(tz->bias + tz->dbias) * 60;
    /* DaylightDate is in standard wall time, StandardDate in daylight wall time */
    long long t_dst = rule_local(&tz->ddate, year) - std;
    long long t_std = rule_local(&tz->sdate, year) - dst;

    memset(s, 0, sizeof(*s));
    s->std = s->dst = std;
    if (!has_dst(tz)) {
        return;
    }
    s->n = 2;
    if (dst > std) {
        s->dst = dst, s->t_dst = t_dst, s->t_std = t_std;
    } else { /* "negative daylight time": the larger offset is the summer one in our terms */
        s->std = dst, s->dst = std, s->t_dst = t_std, s->t_std = t_dst;
    }
}

/* ---- Windows zone names, preference order ----------------------------------- */

/* The common Windows zone names (CLDR windowsZones, territory 001). Also the preference order
 * when several IANA zones have the same rules: earlier entries win. */
static const char *const windows_zones[][2] = {
    {"W. Europe Standard Time", "Europe/Berlin"},
    {"GMT Standard Time", "Europe/London"},
    {"Romance Standard Time", "Europe/Paris"},
    {"Central Europe Standard Time", "Europe/Budapest"},
    {"Central European Standard Time", "Europe/Warsaw"},
    {"GTB Standard Time", "Europe/Bucharest"},
    {"FLE Standard Time", "Europe/Kyiv"},
    {"E. Europe Standard Time", "Europe/Chisinau"},
    {"Russian Standard Time", "Europe/Moscow"},
    {"Turkey Standard Time", "Europe/Istanbul"},
    {"Eastern Standard Time", "America/New_York"},
    {"Central Standard Time", "America/Chicago"},
    {"Mountain Standard Time", "America/Denver"},
    {"US Mountain Standard Time", "America/Phoenix"},
    {"Pacific Standard Time", "America/Los_Angeles"},
    {"Alaskan Standard Time", "America/Anchorage"},
    {"Hawaiian Standard Time", "Pacific/Honolulu"},
    {"Atlantic Standard Time", "America/Halifax"},
    {"Newfoundland Standard Time", "America/St_Johns"},
    {"US Eastern Standard Time", "America/Indiana/Indianapolis"},
    {"Canada Central Standard Time", "America/Regina"},
    {"Central Standard Time (Mexico)", "America/Mexico_City"},
    {"Central America Standard Time", "America/Guatemala"},
    {"SA Pacific Standard Time", "America/Bogota"},
    {"Venezuela Standard Time", "America/Caracas"},
    {"Pacific SA Standard Time", "America/Santiago"},
    {"E. South America Standard Time", "America/Sao_Paulo"},
    {"Argentina Standard Time", "America/Argentina/Buenos_Aires"},
    {"Tokyo Standard Time", "Asia/Tokyo"},
    {"China Standard Time", "Asia/Shanghai"},
    {"India Standard Time", "Asia/Kolkata"},
    {"Korea Standard Time", "Asia/Seoul"},
    {"Singapore Standard Time", "Asia/Singapore"},
    {"Taipei Standard Time", "Asia/Taipei"},
    {"SE Asia Standard Time", "Asia/Bangkok"},
    {"Arabian Standard Time", "Asia/Dubai"},
    {"Arab Standard Time", "Asia/Riyadh"},
    {"Israel Standard Time", "Asia/Jerusalem"},
    {"Iran Standard Time", "Asia/Tehran"},
    {"Pakistan Standard Time", "Asia/Karachi"},
    {"Nepal Standard Time", "Asia/Kathmandu"},
    {"Bangladesh Standard Time", "Asia/Dhaka"},
    {"AUS Eastern Standard Time", "Australia/Sydney"},
    {"E. Australia Standard Time", "Australia/Brisbane"},
    {"Cen. Australia Standard Time", "Australia/Adelaide"},
    {"AUS Central Standard Time", "Australia/Darwin"},
    {"W. Australia Standard Time", "Australia/Perth"},
    {"Tasmania Standard Time", "Australia/Hobart"},
    {"South Africa Standard Time", "Africa/Johannesburg"},
    {"Egypt Standard Time", "Africa/Cairo"},
    {"W. Central Africa Standard Time", "Africa/Lagos"},
    {"E. Africa Standard Time", "Africa/Nairobi"},
    {"Morocco Standard Time", "Africa/Casablanca"},
    {"New Zealand Standard Time", "Pacific/Auckland"},
    {"Fiji Standard Time", "Pacific/Fiji"},
};
#define N_WINDOWS (sizeof(windows_zones) / sizeof(windows_zones[0]))

static const char *windows_to_iana(const char *name)
{
    size_t i;
    for (i = 0; name && i < N_WINDOWS; ++i) {
        if (strcasecmp(windows_zones[i][0], name) == 0) {
            return windows_zones[i][1];
        }
    }
    return NULL;
}

static int zone_rank(const char *name)
{
    static const char *const regions[] = {"Europe/",    "America/", "Asia/",
                                          "Australia/", "Africa/",  "Pacific/"};
    size_t i;
    for (i = 0; i < N_WINDOWS; ++i) {
        if (strcmp(windows_zones[i][1], name) == 0) {
            return (int)i;
        }
    }
    for (i = 0; i < 6; ++i) {
        if (strncmp(name, regions[i], strlen(regions[i])) == 0) {
            return (int)(N_WINDOWS + i);
        }
    }
    return (int)N_WINDOWS + 6;
}

/* ---- process-wide zone tables ----------------------------------------------- */

typedef struct {
    char *name;        /* IANA name */
    icaltimezone *lib; /* libical's builtin zone, for computing signatures */
    int rank;
} zentry;

static struct {
    zentry *z; /* in preference order */
    int n;
} reg;
static pthread_once_t reg_once = PTHREAD_ONCE_INIT;

/* One zone in one year: the offsets its VTIMEZONE can have then (cheap, read from the
 * observances: a superset) and, computed only when those could match, its signature. Expanding
 * libical's rules for every zone is what costs (~0.6 ms a zone), hence the filter. */
#define MAX_OFFS 6
typedef struct {
    tzsig sig;
    int done;
    int noffs; /* -1: unknown, always a candidate */
    int offs[MAX_OFFS];
} zyear;

static struct {
    int year[MAX_YEARS];
    zyear *z[MAX_YEARS]; /* reg.n each */
    int n, next;
} years;
static pthread_mutex_t years_lock = PTHREAD_MUTEX_INITIALIZER;

typedef struct plain {
    struct plain *next;
    char *name;
    icaltimezone *zone;
} plain;
static plain *plains;
static pthread_mutex_t plains_lock = PTHREAD_MUTEX_INITIALIZER;

static int zentry_cmp(const void *a, const void *b)
{
    const zentry *x = a, *y = b;
    return x->rank != y->rank ? x->rank - y->rank : strcmp(x->name, y->name);
}

static void reg_init(void)
{
    icalarray *all = icaltimezone_get_builtin_timezones();
    size_t i;

    reg.z = calloc(all ? all->num_elements : 1, sizeof(zentry));
    for (i = 0; reg.z && all && i < all->num_elements; ++i) {
        icaltimezone *z = icalarray_element_at(all, i);
        const char *loc;
        /* load first: loading replaces the location string libical holds */
        if (!icaltimezone_get_component(z) || !(loc = icaltimezone_get_location(z))) {
            continue;
        }
        reg.z[reg.n].name = strdup(loc);
        reg.z[reg.n].lib = z;
        reg.z[reg.n].rank = zone_rank(loc);
        if (reg.z[reg.n].name) {
            ++reg.n;
        }
    }
    if (reg.z) {
        qsort(reg.z, (size_t)reg.n, sizeof(zentry), zentry_cmp);
    }
}

static void add_off(zyear *zy, int off)
{
    int i;
    for (i = 0; zy->noffs >= 0 && i < zy->noffs; ++i) {
        if (zy->offs[i] == off) {
            return;
        }
    }
    if (zy->noffs >= 0) {
        zy->noffs = zy->noffs < MAX_OFFS ? zy->noffs : -1;
    }
    if (zy->noffs >= 0) {
        zy->offs[zy->noffs++] = off;
    }
}

/* The TZOFFSETTOs of the observances that can be in effect in year: those with an onset in
 * [year - 1, year], and those with the latest onset before that. */
static void obs_offsets(icalcomponent *vtz, int year, zyear *zy)
{
    icalcomponent *o;
    int pass, best = INT32_MIN;

    zy->noffs = 0;
    for (pass = 0; pass < 2; ++pass) {
        for (o = icalcomponent_get_first_component(vtz, ICAL_ANY_COMPONENT); o;
             o = icalcomponent_get_next_component(vtz, ICAL_ANY_COMPONENT)) {
            icalproperty *pr = icalcomponent_get_first_property(o, ICAL_DTSTART_PROPERTY);
            int first, last, to;
            if (!pr) {
                continue;
            }
            first = last = icalproperty_get_dtstart(pr).year;
            for (pr = icalcomponent_get_first_property(o, ICAL_RDATE_PROPERTY); pr;
                 pr = icalcomponent_get_next_property(o, ICAL_RDATE_PROPERTY)) {
                struct icaldatetimeperiodtype rd = icalproperty_get_rdate(pr);
                int y = icaltime_is_null_time(rd.time) ? rd.period.start.year : rd.time.year;
                last = y > last ? y : last;
            }
            if ((pr = icalcomponent_get_first_property(o, ICAL_RRULE_PROPERTY))) {
                struct icalrecurrencetype r = icalproperty_get_rrule(pr);
                last = r.count || icaltime_is_null_time(r.until) ? INT32_MAX
                       : r.until.year > last                     ? r.until.year
                                                                 : last;
            }
            pr = icalcomponent_get_first_property(o, ICAL_TZOFFSETTO_PROPERTY);
            to = pr ? icalproperty_get_tzoffsetto(pr) : 0;
            if (first <= year && last >= year - 1) {
                if (pass == 0) {
                    add_off(zy, to);
                }
            } else if (last < year - 1) {
                if (pass == 0 && last > best) {
                    best = last;
                } else if (pass == 1 && last == best) {
                    add_off(zy, to);
                }
            }
        }
    }
    if (zy->noffs == 0) { /* before the first onset: let libical say */
        zy->noffs = -1;
    }
}

/* The per-zone data of year, made on first use (evicting the oldest year when full). Call
 * with years_lock held; valid until it is released. */
static zyear *year_get(int year)
{
    zyear *zy;
    int i, slot;

    for (i = 0; i < years.n; ++i) {
        if (years.year[i] == year) {
            return years.z[i];
        }
    }
    if (!(zy = calloc((size_t)reg.n + 1, sizeof(zyear)))) {
        return NULL;
    }
    for (i = 0; i < reg.n; ++i) {
        obs_offsets(icaltimezone_get_component(reg.z[i].lib), year, &zy[i]);
    }
    if (years.n < MAX_YEARS) {
        slot = years.n++;
    } else {
        slot = years.next;
        years.next = (years.next + 1) % MAX_YEARS;
        free(years.z[slot]);
    }
    years.year[slot] = year;
    years.z[slot] = zy;
    return zy;
}

static int may_match(const zyear *zy, const tzsig *want)
{
    int i, std = 0, dst = want->n == 0;
    if (zy->noffs < 0) {
        return 1;
    }
    for (i = 0; i < zy->noffs; ++i) {
        std |= zy->offs[i] == want->std;
        dst |= zy->offs[i] == want->dst;
    }
    return std && dst;
}

/* Does zone i of the registry have the signature want in year? */
static int reg_matches(zyear *zy, int i, int year, const tzsig *want)
{
    if (zy && !may_match(&zy[i], want)) {
        return 0;
    }
    if (zy && !zy[i].done) {
        zone_sig(reg.z[i].lib, year, &zy[i].sig);
        zy[i].done = 1;
    }
    if (zy) {
        return sig_equal(&zy[i].sig, want);
    } else {
        tzsig s;
        zone_sig(reg.z[i].lib, year, &s);
        return sig_equal(&s, want);
    }
}

static int reg_find(const char *name)
{
    int i;
    pthread_once(&reg_once, reg_init);
    for (i = 0; i < reg.n; ++i) {
        if (strcmp(reg.z[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

/* Only what a zoneinfo path can look like: libical reads the file of that name. */
static int iana_like(const char *s)
{
    const char *c;
    if (!*s || *s == '/' || strstr(s, "..") || strlen(s) > 64) {
        return 0;
    }
    for (c = s; *c; ++c) {
        if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
              *c == '/' || *c == '_' || *c == '-' || *c == '+')) {
            return 0;
        }
    }
    return 1;
}

/* Our copy of the IANA zone `name` (plain TZID, history from 1970), created once per process. */
static icaltimezone *plain_zone(const char *name)
{
    plain *pl;
    icaltimezone *lib, *z = NULL;
    icalcomponent *vtz;
    icalproperty *tzid;

    if (!iana_like(name)) {
        return NULL;
    }
    pthread_mutex_lock(&plains_lock);
    for (pl = plains; pl; pl = pl->next) {
        if (strcmp(pl->name, name) == 0) {
            z = pl->zone;
            goto out;
        }
    }
    lib = icaltimezone_get_builtin_timezone(name);
    if (!lib || lib == icaltimezone_get_utc_timezone() || !icaltimezone_get_component(lib)) {
        goto out;
    }
    vtz = icalcomponent_new_clone(icaltimezone_get_component(lib));
    icaltimezone_truncate_vtimezone(vtz, icaltime_from_string("19700101T000000"),
                                    icaltime_null_time(), 1);
    if ((tzid = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY))) {
        icalproperty_set_tzid(tzid, name);
    }
    pl = calloc(1, sizeof(*pl));
    z = icaltimezone_new();
    if (!pl || !z || !(pl->name = strdup(name)) || !icaltimezone_set_component(z, vtz)) {
        icalcomponent_free(vtz);
        if (z) {
            icaltimezone_free(z, 1);
        }
        if (pl) {
            free(pl->name);
        }
        free(pl);
        z = NULL;
        goto out;
    }
    pl->zone = z;
    pl->next = plains;
    plains = pl;
out:
    pthread_mutex_unlock(&plains_lock);
    return z;
}

/* ---- lookups ---------------------------------------------------------------- */

static int is_utc_name(const char *s)
{
    static const char *const utc[] = {"UTC",
                                      "GMT",
                                      "Z",
                                      "Etc/UTC",
                                      "Etc/GMT",
                                      "Etc/UCT",
                                      "UCT",
                                      "Universal",
                                      "Etc/Universal",
                                      "Etc/Zulu",
                                      "Zulu",
                                      "Etc/Greenwich",
                                      "Greenwich",
                                      "GMT0",
                                      "Etc/GMT0",
                                      "Etc/GMT+0",
                                      "Etc/GMT-0",
                                      "UTC+00:00",
                                      "Coordinated Universal Time"};
    size_t i;
    for (i = 0; i < sizeof(utc) / sizeof(utc[0]); ++i) {
        if (strcasecmp(s, utc[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

icaltimezone *eas_tz_get(const char *tzid)
{
    const char *w, *s;
    icaltimezone *z;

    if (!tzid || !*tzid) {
        return NULL;
    }
    if (is_utc_name(tzid)) {
        return icaltimezone_get_utc_timezone();
    }
    if ((w = windows_to_iana(tzid))) {
        return plain_zone(w);
    }
    if (*tzid != '/') {
        return plain_zone(tzid);
    }
    /* a vendor-prefixed TZID ("/freeassociation.sourceforge.net/Europe/Berlin",
     * "/mozilla.org/20050126_1/America/New_York"): the longest suffix that is a zone */
    for (s = tzid; (s = strchr(s, '/')); ++s) {
        if (s[1] && (is_utc_name(s + 1) || (z = plain_zone(s + 1)))) {
            return is_utc_name(s + 1) ? icaltimezone_get_utc_timezone() : z;
        }
    }
    return NULL;
}

const char *eas_tz_id(icaltimezone *zone)
{
    const char *tzid, *loc;
    if (!zone || zone == icaltimezone_get_utc_timezone()) {
        return "UTC";
    }
    tzid = icaltimezone_get_tzid(zone);
    /* libical's own system zones carry its prefix; the location is the IANA name */
    if (tzid && *tzid == '/' && (loc = icaltimezone_get_location(zone)) && iana_like(loc)) {
        return loc;
    }
    return tzid ? tzid : "UTC";
}

static apr_status_t zone_cleanup(void *data)
{
    icaltimezone_free(data, 1);
    return APR_SUCCESS;
}

/* A pool-owned zone of vtz (taken). */
static icaltimezone *pool_zone(apr_pool_t *p, icalcomponent *vtz)
{
    icaltimezone *z = icaltimezone_new();
    if (!z) {
        icalcomponent_free(vtz);
        return NULL;
    }
    if (!icaltimezone_set_component(z, vtz)) {
        icalcomponent_free(vtz);
        icaltimezone_free(z, 1);
        return NULL;
    }
    apr_pool_cleanup_register(p, z, zone_cleanup, apr_pool_cleanup_null);
    return z;
}

static const char *comp_tzid(icalcomponent *vtz)
{
    icalproperty *pr = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
    return pr ? icalproperty_get_tzid(pr) : NULL;
}

static icalcomponent *find_vtimezone(icalcomponent *vcal, const char *tzid)
{
    icalcomponent *c;
    for (c = icalcomponent_get_first_component(vcal, ICAL_VTIMEZONE_COMPONENT); c;
         c = icalcomponent_get_next_component(vcal, ICAL_VTIMEZONE_COMPONENT)) {
        const char *id = comp_tzid(c);
        if (id && strcmp(id, tzid) == 0) {
            return c;
        }
    }
    return NULL;
}

icaltimezone *eas_tz_resolve(apr_pool_t *p, icalcomponent *vcalendar, const char *tzid)
{
    icalcomponent *cal = vcalendar, *vtz;
    icaltimezone *z;

    if (!tzid || !*tzid) {
        return NULL;
    }
    /* a plain IANA name means the IANA rules (and what mod_eas embeds is exactly those): the
     * process-wide zone keeps its expanded transitions, a zone built from the embedded VTIMEZONE
     * would expand them again for every item (~1 ms each) */
    if ((z = eas_tz_get(tzid)) && strcmp(eas_tz_id(z), tzid) == 0) {
        return z;
    }
    while (cal && icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
        cal = icalcomponent_get_parent(cal);
    }
    if (cal && (vtz = find_vtimezone(cal, tzid)) &&
        (z = pool_zone(p, icalcomponent_new_clone(vtz)))) {
        return z;
    }
    return eas_tz_get(tzid);
}

void eas_tz_embed(icalcomponent *vcalendar, icaltimezone *zone)
{
    const char *tzid;
    icaltimezone *src = zone;
    icalcomponent *vtz;

    if (!vcalendar || !zone || zone == icaltimezone_get_utc_timezone()) {
        return;
    }
    tzid = eas_tz_id(zone);
    if (find_vtimezone(vcalendar, tzid)) {
        return;
    }
    if (strcmp(tzid, icaltimezone_get_tzid(zone) ? icaltimezone_get_tzid(zone) : "") != 0) {
        src = plain_zone(tzid); /* libical's prefixed zone: embed our compact copy */
    }
    if (src && (vtz = icaltimezone_get_component(src))) {
        icalcomponent_add_component(vcalendar, icalcomponent_new_clone(vtz));
    }
}

/* ---- blob → zone ------------------------------------------------------------ */

static const char *const wday_names[] = {"SU", "MO", "TU", "WE", "TH", "FR", "SA"};

static icalcomponent *observance(icalcomponent_kind kind, const systime *st, int year, int from,
                                 int to, const char *name)
{
    icalcomponent *c = icalcomponent_new(kind);
    icaltimetype start = icaltime_null_time();
    long long local = rule_local(st, year), days = floordiv(local, DAY);
    char rule[96];

    civil_from_days(days, &start.year, &start.month, &start.day);
    start.hour = (int)((local - days * DAY) / 3600);
    start.minute = (int)((local - days * DAY) / 60 % 60);
    start.second = (int)((local - days * DAY) % 60);
    icalcomponent_add_property(c, icalproperty_new_dtstart(start));
    icalcomponent_add_property(c, icalproperty_new_tzoffsetfrom(from));
    icalcomponent_add_property(c, icalproperty_new_tzoffsetto(to));
    if (st->year == 0) {
        snprintf(rule, sizeof(rule), "FREQ=YEARLY;BYMONTH=%d;BYDAY=%d%s", st->month,
                 st->day == 5 ? -1 : st->day, wday_names[st->dow]);
    } else {
        snprintf(rule, sizeof(rule), "FREQ=YEARLY;BYMONTH=%d;BYMONTHDAY=%d", st->month, st->day);
    }
    icalcomponent_add_property(c, icalproperty_new_rrule(icalrecurrencetype_from_string(rule)));
    if (name && *name) {
        icalcomponent_add_property(c, icalproperty_new_tzname(name));
    }
    return c;
}

/* A VTIMEZONE with exactly the blob's rules; TZID from a hash of the rules (not the names), so
 * the same device zone always gets the same TZID. */
static icaltimezone *custom_zone(apr_pool_t *p, const tzinfo *tz, const unsigned char *raw,
                                 int year)
{
    static const int rules[][2] = {{0, 4}, {68, 20}, {152, 20}};
    icalcomponent *vtz = icalcomponent_new(ICAL_VTIMEZONE_COMPONENT);
    int std = -(tz->bias + tz->sbias) * 60, dst = -(tz->bias + tz->dbias) * 60, i, j;
    int first = year < 1970 ? year : 1970;
    uint32_t h = 2166136261u;
    char tzid[16];

    for (i = 0; i < 3; ++i) {
        for (j = 0; j < rules[i][1]; ++j) {
            h = (h ^ raw[rules[i][0] + j]) * 16777619u;
        }
    }
    snprintf(tzid, sizeof(tzid), "EAS-%08X", (unsigned)h);
    icalcomponent_add_property(vtz, icalproperty_new_tzid(tzid));
    if (has_dst(tz)) {
        icalcomponent_add_component(
            vtz, observance(ICAL_XSTANDARD_COMPONENT, &tz->sdate, first, dst, std, tz->sname));
        icalcomponent_add_component(
            vtz, observance(ICAL_XDAYLIGHT_COMPONENT, &tz->ddate, first, std, dst, tz->dname));
    } else {
        icalcomponent *c = icalcomponent_new(ICAL_XSTANDARD_COMPONENT);
        icaltimetype start = icaltime_null_time();
        start.year = first, start.month = 1, start.day = 1;
        icalcomponent_add_property(c, icalproperty_new_dtstart(start));
        icalcomponent_add_property(c, icalproperty_new_tzoffsetfrom(std));
        icalcomponent_add_property(c, icalproperty_new_tzoffsetto(std));
        if (*tz->sname) {
            icalcomponent_add_property(c, icalproperty_new_tzname(tz->sname));
        }
        icalcomponent_add_component(vtz, c);
    }
    return pool_zone(p, vtz);
}

/* The zone a name hint stands for, if it has the signature want in year. */
static icaltimezone *hint_zone(const char *name, int year, const tzsig *want)
{
    int i, ok;
    icaltimezone *z;
    tzsig s;

    if (!name) {
        return NULL;
    }
    if ((i = reg_find(name)) >= 0) {
        pthread_mutex_lock(&years_lock);
        ok = reg_matches(year_get(year), i, year, want);
        pthread_mutex_unlock(&years_lock);
        return ok ? plain_zone(name) : NULL;
    }
    if (!(z = plain_zone(name))) { /* an alias or a zone outside zone.tab */
        return NULL;
    }
    zone_sig(z, year, &s);
    return sig_equal(&s, want) ? z : NULL;
}

icaltimezone *eas_tz_from_blob(apr_pool_t *p, const char *b64, int year, const char **err)
{
    unsigned char raw[BLOB_LEN];
    tzinfo tz;
    tzsig want;
    const char *hints[4], *e;
    icaltimezone *z;
    int i, found = -1;

    if ((e = parse_blob(p, b64, &tz, raw))) {
        if (err) {
            *err = e;
        }
        return NULL;
    }
    year = year < MIN_YEAR ? MIN_YEAR : year > MAX_YEAR ? MAX_YEAR : year;
    blob_sig(&tz, year, &want);
    pthread_once(&reg_once, reg_init);
    /* names only break ties: a zone they name must still have the blob's rules */
    hints[0] = iana_like(tz.sname) ? tz.sname : NULL;
    hints[1] = windows_to_iana(tz.sname);
    hints[2] = iana_like(tz.dname) ? tz.dname : NULL;
    hints[3] = windows_to_iana(tz.dname);
    for (i = 0; i < 4; ++i) {
        if ((z = hint_zone(hints[i], year, &want))) {
            return z;
        }
    }
    if (want.n == 0 && want.std == 0) {
        return icaltimezone_get_utc_timezone();
    }
    pthread_mutex_lock(&years_lock);
    {
        zyear *zy = year_get(year);
        for (i = 0; i < reg.n && found < 0; ++i) {
            if (reg_matches(zy, i, year, &want)) {
                found = i;
            }
        }
    }
    pthread_mutex_unlock(&years_lock);
    if (found >= 0 && (z = plain_zone(reg.z[found].name))) {
        return z;
    }
    return custom_zone(p, &tz, raw, year);
}

/* ---- zone → blob ------------------------------------------------------------ */

/* A wall-clock instant as a "day-of-week" SYSTEMTIME (n-th weekday, 5 when it is the last). */
static void local_systime(long long local, systime *st)
{
    long long days = floordiv(local, DAY), rem = local - days * DAY;
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    memset(st, 0, sizeof(*st));
    st->month = m;
    st->dow = weekday(days);
    st->day = d + 7 > month_days(y, m) ? 5 : (d - 1) / 7 + 1;
    st->hour = (int)(rem / 3600);
    st->minute = (int)(rem / 60 % 60);
    st->second = (int)(rem % 60);
}

const char *eas_tz_to_blob(apr_pool_t *p, icaltimezone *zone, int year)
{
    unsigned char b[BLOB_LEN];
    char *out;
    const char *name;
    tzsig s;

    memset(b, 0, sizeof(b));
    year = year < MIN_YEAR ? MIN_YEAR : year > MAX_YEAR ? MAX_YEAR : year;
    if (zone && zone != icaltimezone_get_utc_timezone()) {
        name = eas_tz_id(zone);
        zone_sig(zone, year, &s);
        name_out(b + 4, name);
        if (s.n == 2) {
            systime st;
            wr32(b, -s.std / 60);
            local_systime(s.t_std + s.dst, &st);
            systime_out(b + 68, &st);
            name_out(b + 88, name);
            local_systime(s.t_dst + s.std, &st);
            systime_out(b + 152, &st);
            wr32(b + 168, -(s.dst - s.std) / 60);
        } else { /* no daylight time (or irregular: the offset the year ends with) */
            wr32(b, -s.std / 60);
        }
    }
    out = apr_palloc(p, (apr_size_t)apr_base64_encode_len(BLOB_LEN));
    apr_base64_encode_binary(out, b, BLOB_LEN);
    return out;
}

/* ---- iCalendar files -------------------------------------------------------- */

static int is_item(icalcomponent *c)
{
    icalcomponent_kind k = icalcomponent_isa(c);
    return k == ICAL_VEVENT_COMPONENT || k == ICAL_VTODO_COMPONENT || k == ICAL_VJOURNAL_COMPONENT;
}

static icalcomponent *new_vcalendar(void)
{
    icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//mod_eas//EN"));
    return cal;
}

static const char *as_text(apr_pool_t *p, icalcomponent *c)
{
    char *s = icalcomponent_as_ical_string_r(c);
    const char *r = apr_pstrdup(p, s ? s : "");
    icalmemory_free_buffer(s);
    return r;
}

/* The TZID parameters of every property of c and its subcomponents, into ids (deduped). */
static void collect_tzids(apr_pool_t *p, icalcomponent *c, apr_array_header_t *ids,
                          apr_hash_t *seen)
{
    icalproperty *pr;
    icalcomponent *sub;
    for (pr = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); pr;
         pr = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
        icalparameter *pa = icalproperty_get_first_parameter(pr, ICAL_TZID_PARAMETER);
        const char *id = pa ? icalparameter_get_tzid(pa) : NULL;
        if (id && !apr_hash_get(seen, id, APR_HASH_KEY_STRING)) {
            id = apr_pstrdup(p, id);
            apr_hash_set(seen, id, APR_HASH_KEY_STRING, id);
            APR_ARRAY_PUSH(ids, const char *) = id;
        }
    }
    for (sub = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); sub;
         sub = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
        collect_tzids(p, sub, ids, seen);
    }
}

typedef struct {
    const char *uid;
    apr_array_header_t *comps; /* icalcomponent * (in the parsed file) */
    apr_array_header_t *cals;  /* the VCALENDAR each came from (or NULL) */
} ics_group;

/* Every item component of the parsed file with the VCALENDAR it came from. */
static int file_items(icalcomponent *root, apr_array_header_t *comps, apr_array_header_t *cals)
{
    icalcomponent_kind k = icalcomponent_isa(root);
    icalcomponent *cal, *c;
    int ncals = 0;

    if (is_item(root)) { /* a bare VEVENT: accepted, some exporters write them */
        APR_ARRAY_PUSH(comps, icalcomponent *) = root;
        APR_ARRAY_PUSH(cals, icalcomponent *) = NULL;
        return 1;
    }
    if (k != ICAL_VCALENDAR_COMPONENT && k != ICAL_XROOT_COMPONENT) {
        return 0;
    }
    for (cal = k == ICAL_VCALENDAR_COMPONENT
                   ? root
                   : icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT);
         cal; cal = k == ICAL_VCALENDAR_COMPONENT
                        ? NULL
                        : icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
        if (is_item(cal)) {
            APR_ARRAY_PUSH(comps, icalcomponent *) = cal;
            APR_ARRAY_PUSH(cals, icalcomponent *) = NULL;
            ++ncals;
            continue;
        }
        if (icalcomponent_isa(cal) != ICAL_VCALENDAR_COMPONENT) {
            continue;
        }
        ++ncals;
        for (c = icalcomponent_get_first_component(cal, ICAL_ANY_COMPONENT); c;
             c = icalcomponent_get_next_component(cal, ICAL_ANY_COMPONENT)) {
            if (is_item(c)) {
                APR_ARRAY_PUSH(comps, icalcomponent *) = c;
                APR_ARRAY_PUSH(cals, icalcomponent *) = cal;
            }
        }
    }
    return ncals > 0;
}

/* The UID of c, or one derived from its text (FNV-1a 64) — stable across imports of the same
 * file. */
static const char *item_uid(apr_pool_t *p, icalcomponent *c)
{
    const char *uid = icalcomponent_get_uid(c);
    char *text;
    const unsigned char *u;
    uint64_t h = 14695981039346656037ull;
    char buf[24];

    if (uid && *uid) {
        return apr_pstrdup(p, uid);
    }
    text = icalcomponent_as_ical_string_r(c);
    for (u = (const unsigned char *)(text ? text : ""); *u; ++u) {
        h = (h ^ *u) * 1099511628211ull;
    }
    icalmemory_free_buffer(text);
    snprintf(buf, sizeof(buf), "eas-%016llx", (unsigned long long)h);
    return apr_pstrdup(p, buf);
}

static icalcomponent *file_vtimezone(icalcomponent *root, icalcomponent *cal, const char *tzid)
{
    icalcomponent *c, *v;
    if (cal && (v = find_vtimezone(cal, tzid))) {
        return v;
    }
    if (icalcomponent_isa(root) == ICAL_VCALENDAR_COMPONENT) {
        return find_vtimezone(root, tzid);
    }
    for (c = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT); c;
         c = icalcomponent_get_next_component(root, ICAL_VCALENDAR_COMPONENT)) {
        if ((v = find_vtimezone(c, tzid))) {
            return v;
        }
    }
    return NULL;
}

static const char *group_text(apr_pool_t *p, icalcomponent *root, ics_group *g)
{
    icalcomponent *cal = new_vcalendar(), *vtz;
    apr_array_header_t *ids = apr_array_make(p, 4, sizeof(const char *));
    apr_hash_t *seen = apr_hash_make(p);
    const char *text;
    int i;

    for (i = 0; i < g->comps->nelts; ++i) {
        collect_tzids(p, APR_ARRAY_IDX(g->comps, i, icalcomponent *), ids, seen);
    }
    for (i = 0; i < ids->nelts; ++i) {
        const char *id = APR_ARRAY_IDX(ids, i, const char *);
        int j;
        for (j = 0, vtz = NULL; !vtz && j < g->comps->nelts; ++j) {
            vtz = file_vtimezone(root, APR_ARRAY_IDX(g->cals, j, icalcomponent *), id);
        }
        if (vtz) {
            icalcomponent_add_component(cal, icalcomponent_new_clone(vtz));
        }
    }
    for (i = 0; i < g->comps->nelts; ++i) {
        icalcomponent *c = icalcomponent_new_clone(APR_ARRAY_IDX(g->comps, i, icalcomponent *));
        if (!icalcomponent_get_uid(c) || !*icalcomponent_get_uid(c)) {
            icalcomponent_set_uid(c, g->uid);
        }
        icalcomponent_add_component(cal, c);
    }
    text = as_text(p, cal);
    icalcomponent_free(cal);
    return text;
}

int eas_ics_split(apr_pool_t *p, const char *file, apr_array_header_t **items, const char **err)
{
    icalcomponent *root = file && *file ? icalparser_parse_string(file) : NULL;
    apr_array_header_t *comps = apr_array_make(p, 8, sizeof(icalcomponent *));
    apr_array_header_t *cals = apr_array_make(p, 8, sizeof(icalcomponent *));
    apr_array_header_t *groups = apr_array_make(p, 8, sizeof(ics_group *));
    apr_hash_t *by_uid = apr_hash_make(p);
    int i;

    *items = apr_array_make(p, 8, sizeof(const char *));
    if (!root || !file_items(root, comps, cals)) {
        if (root) {
            icalcomponent_free(root);
        }
        if (err) {
            *err = "not an iCalendar file";
        }
        return -1;
    }
    for (i = 0; i < comps->nelts; ++i) {
        icalcomponent *c = APR_ARRAY_IDX(comps, i, icalcomponent *);
        const char *uid = item_uid(p, c);
        ics_group *g = apr_hash_get(by_uid, uid, APR_HASH_KEY_STRING);
        if (!g) {
            g = apr_pcalloc(p, sizeof(*g));
            g->uid = uid;
            g->comps = apr_array_make(p, 2, sizeof(icalcomponent *));
            g->cals = apr_array_make(p, 2, sizeof(icalcomponent *));
            apr_hash_set(by_uid, uid, APR_HASH_KEY_STRING, g);
            APR_ARRAY_PUSH(groups, ics_group *) = g;
        }
        APR_ARRAY_PUSH(g->comps, icalcomponent *) = c;
        APR_ARRAY_PUSH(g->cals, icalcomponent *) = APR_ARRAY_IDX(cals, i, icalcomponent *);
    }
    for (i = 0; i < groups->nelts; ++i) {
        APR_ARRAY_PUSH(*items, const char *) =
            group_text(p, root, APR_ARRAY_IDX(groups, i, ics_group *));
    }
    icalcomponent_free(root);
    return 0;
}

const char *eas_ics_join(apr_pool_t *p, const apr_array_header_t *items)
{
    icalcomponent *out = new_vcalendar(), *c;
    apr_array_header_t *parsed = apr_array_make(p, items ? items->nelts : 1, sizeof(void *));
    apr_hash_t *tzids = apr_hash_make(p);
    const char *text;
    int i, pass;

    for (i = 0; items && i < items->nelts; ++i) {
        const char *s = APR_ARRAY_IDX(items, i, const char *);
        icalcomponent *root = s && *s ? icalparser_parse_string(s) : NULL;
        if (root) {
            APR_ARRAY_PUSH(parsed, icalcomponent *) = root;
        }
    }
    /* VTIMEZONEs first (once per TZID), then the items */
    for (pass = 0; pass < 2; ++pass) {
        for (i = 0; i < parsed->nelts; ++i) {
            icalcomponent *root = APR_ARRAY_IDX(parsed, i, icalcomponent *);
            if (is_item(root)) {
                if (pass == 1) {
                    icalcomponent_add_component(out, icalcomponent_new_clone(root));
                }
                continue;
            }
            for (c = icalcomponent_get_first_component(root, ICAL_ANY_COMPONENT); c;
                 c = icalcomponent_get_next_component(root, ICAL_ANY_COMPONENT)) {
                const char *id;
                if (pass == 0 && icalcomponent_isa(c) == ICAL_VTIMEZONE_COMPONENT &&
                    (id = comp_tzid(c)) && !apr_hash_get(tzids, id, APR_HASH_KEY_STRING)) {
                    apr_hash_set(tzids, apr_pstrdup(p, id), APR_HASH_KEY_STRING, "");
                    icalcomponent_add_component(out, icalcomponent_new_clone(c));
                } else if (pass == 1 && is_item(c)) {
                    icalcomponent_add_component(out, icalcomponent_new_clone(c));
                }
            }
        }
    }
    for (i = 0; i < parsed->nelts; ++i) {
        icalcomponent_free(APR_ARRAY_IDX(parsed, i, icalcomponent *));
    }
    text = as_text(p, out);
    icalcomponent_free(out);
    return text;
}
