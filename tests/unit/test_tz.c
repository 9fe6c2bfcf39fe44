/* Unit tests: eas_tz — TimeZone blobs (MS-ASDTYPE 2.7.4) built byte by byte from the spec and the
 * spec's own examples, matched to IANA zones and checked at UTC instants around the transitions;
 * zone → blob byte-exact; round trips of every zone; invalid blobs; custom zones; VTIMEZONE
 * embedding/resolving; iCalendar split/join; concurrent use. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "eas_tz.h"
#include "tap.h"

static apr_pool_t *pool;

/* ---- blob construction (the TIME_ZONE_INFORMATION layout, little-endian) ---- */

typedef struct {
    int bias;
    const char *sname;
    uint16_t sdate[8]; /* wYear wMonth wDayOfWeek wDay wHour wMinute wSecond wMilliseconds */
    int sbias;
    const char *dname;
    uint16_t ddate[8];
    int dbias;
} blobspec;

static void put16(unsigned char *b, unsigned v)
{
    b[0] = (unsigned char)(v & 0xff);
    b[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *b, int v)
{
    put16(b, (uint32_t)v & 0xffff);
    put16(b + 2, (uint32_t)v >> 16);
}

static void put_name(unsigned char *b, const char *ascii)
{
    int i;
    for (i = 0; ascii && ascii[i] && i < 32; ++i) {
        put16(b + 2 * i, (unsigned char)ascii[i]);
    }
}

static void build(unsigned char *b, const blobspec *s)
{
    int i;
    memset(b, 0, 172);
    put32(b, s->bias);
    put_name(b + 4, s->sname);
    for (i = 0; i < 8; ++i) {
        put16(b + 68 + 2 * i, s->sdate[i]);
    }
    put32(b + 84, s->sbias);
    put_name(b + 88, s->dname);
    for (i = 0; i < 8; ++i) {
        put16(b + 152 + 2 * i, s->ddate[i]);
    }
    put32(b + 168, s->dbias);
}

static const char *b64(const unsigned char *b, int len)
{
    char *out = apr_palloc(pool, (apr_size_t)apr_base64_encode_len(len));
    apr_base64_encode_binary(out, b, len);
    return out;
}

static const char *blob(const blobspec *s)
{
    unsigned char b[172];
    build(b, s);
    return b64(b, 172);
}

/* Europe/Berlin as Windows sends it: last Sun Oct 03:00 / last Sun Mar 02:00. */
static const blobspec berlin = {-60, "W. Europe Standard Time", {0, 10, 0, 5, 3, 0, 0, 0},
                                0,   "W. Europe Daylight Time", {0, 3, 0, 5, 2, 0, 0, 0},
                                -60};
static const blobspec new_york = {300, "Eastern Standard Time", {0, 11, 0, 1, 2, 0, 0, 0},
                                  0,   "Eastern Daylight Time", {0, 3, 0, 2, 2, 0, 0, 0},
                                  -60};
static const blobspec tokyo = {-540, "Tokyo Standard Time", {0}, 0, "Tokyo Daylight Time", {0}, 0};
static const blobspec sydney = {-600, "AUS Eastern Standard Time", {0, 4, 0, 1, 3, 0, 0, 0},
                                0,    "AUS Eastern Daylight Time", {0, 10, 0, 1, 2, 0, 0, 0},
                                -60};
/* iOS leaves the names empty */
static const blobspec ios_berlin = {
    -60, "", {0, 10, 0, 5, 3, 0, 0, 0}, 0, "", {0, 3, 0, 5, 2, 0, 0, 0}, -60};
/* +01:00 with DST from the 2nd Sunday of April to the 1st Sunday of October: no such zone */
static const blobspec odd_dst = {
    -60, "Odd", {0, 10, 0, 1, 3, 0, 0, 0}, 0, "Odd Summer", {0, 4, 0, 2, 2, 0, 0, 0}, -60};

/* The examples of MS-ASCAL 4.x (Sync with a Timezone) and MS-ASDTYPE 3.6.4 (32-WCHAR name). */
static const char ascal_example[] =
    "4AEAAFAAYQBjAGkAZgBpAGMAIABTAHQAYQBuAGQAYQByAGQAIABUAGkAbQBlAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
    "sAAAABAAIAAAAAAAAAAAAAAFAAYQBjAGkAZgBpAGMAIABEAGEAeQBsAGkAZwBoAHQAIABUAGkAbQBlAAAAAAAAAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAMAAAACAAIAAAAAAAAAxP///w==";
static const char asdtype_example[] =
    "4AEAACgARwBNAFQALQAwADgAOgAwADAAKQAgAFAAYQBjAGkAZgBpAGMAIABUAGkAbQBlACAAKABVA\n"
    "FMAIAAmACAAQwAAAAsAAAABAAIAAAAAAAAAAAAAACgARwBNAFQALQAwADgAOgAwADAAKQAgAFAAYQ\n"
    "BjAGkAZgBpAGMAIABUAGkAbQBlACAAKABVAFMAIAAmACAAQwAAAAMAAAACAAIAAAAAAAAAxP///w=\n"
    "=\n";

/* ---- time helpers ----------------------------------------------------------- */

/* Offset (seconds east of UTC) of zone at the UTC instant "YYYYMMDDTHHMMSS". */
static int off_at(icaltimezone *z, const char *utc)
{
    icaltimetype t = icaltime_from_string(utc);
    int dst;
    return icaltimezone_get_utc_offset_of_utc_time(z, &t, &dst);
}

static int off_t_at(icaltimezone *z, time_t t)
{
    icaltimetype tt = icaltime_from_timet_with_zone(t, 0, icaltimezone_get_utc_timezone());
    int dst;
    return icaltimezone_get_utc_offset_of_utc_time(z, &tt, &dst);
}

static time_t utc_of(int y, int m, int d)
{
    icaltimetype t = icaltime_null_time();
    t.year = y, t.month = m, t.day = d;
    t.zone = icaltimezone_get_utc_timezone();
    return icaltime_as_timet_with_zone(t, icaltimezone_get_utc_timezone());
}

/* Number of offset changes of z in year (daily samples + bisection), the instants into at[]. */
static int changes(icaltimezone *z, int year, time_t *at, int max)
{
    time_t a = utc_of(year, 1, 1), end = utc_of(year + 1, 1, 1);
    int n = 0, pa = off_t_at(z, a);
    while (a < end) {
        time_t b = a + 86400;
        int pb = off_t_at(z, b);
        if (pb != pa) {
            time_t lo = a, hi = b;
            while (hi - lo > 1) {
                time_t mid = lo + (hi - lo) / 2;
                if (off_t_at(z, mid) == pa) {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            if (n < max) {
                at[n] = hi;
            }
            ++n;
        }
        a = b, pa = pb;
    }
    return n;
}

/* z1 and z2 have the same offsets through year: twice a day and around every change of either. */
static int same_offsets(icaltimezone *z1, icaltimezone *z2, int year)
{
    time_t at[16], t;
    int n, i;
    for (t = utc_of(year, 1, 1); t < utc_of(year + 1, 1, 1); t += 43200) {
        if (off_t_at(z1, t) != off_t_at(z2, t)) {
            return 0;
        }
    }
    n = changes(z1, year, at, 8);
    n = n > 8 ? 8 : n;
    n += changes(z2, year, at + n, 8) > 8 ? 8 : changes(z2, year, at + n, 8);
    for (i = 0; i < n; ++i) {
        if (off_t_at(z1, at[i] - 1) != off_t_at(z2, at[i] - 1) ||
            off_t_at(z1, at[i]) != off_t_at(z2, at[i])) {
            return 0;
        }
    }
    return 1;
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_first_call(void)
{
    const char *err = NULL, *b = blob(&berlin), *ny = blob(&new_york);
    double t0 = now_ms(), t1, t2, t3;
    icaltimezone *z = eas_tz_from_blob(pool, b, 2026, &err);
    int i;
    t1 = now_ms();
    eas_tz_from_blob(pool, ny, 2026, &err);
    t2 = now_ms();
    for (i = 0; i < 100; ++i) {
        eas_tz_from_blob(pool, i % 2 ? b : ny, 2026, &err);
    }
    t3 = now_ms();
    is_str(eas_tz_id(z), "Europe/Berlin", "first call: Berlin");
    printf("# first eas_tz_from_blob (%d zones): %.1f ms; first New York: %.2f ms; "
           "then %.3f ms a call\n",
           (int)icaltimezone_get_builtin_timezones()->num_elements, t1 - t0, t2 - t1,
           (t3 - t2) / 100);
    ok((t3 - t2) / 100 < 1, "later calls are cheap (%.3f ms)", (t3 - t2) / 100);
}

typedef struct {
    const char *name;
    const blobspec *spec;
    const char *want;
} match_case;

static void test_matching(void)
{
    static const blobspec paris = {-60, "Romance Standard Time", {0, 10, 0, 5, 3, 0, 0, 0},
                                   0,   "Romance Daylight Time", {0, 3, 0, 5, 2, 0, 0, 0},
                                   -60};
    static const blobspec lying = {
        -60, "Tokyo Standard Time", {0, 10, 0, 5, 3, 0, 0, 0}, 0, "", {0, 3, 0, 5, 2, 0, 0, 0},
        -60};
    static const blobspec ios_ny = {
        300, "", {0, 11, 0, 1, 2, 0, 0, 0}, 0, "", {0, 3, 0, 2, 2, 0, 0, 0}, -60};
    static const blobspec ios_tokyo = {-540, "", {0}, 0, "", {0}, 0};
    static const blobspec iana_name = {-60, "Europe/Vienna", {0, 10, 0, 5, 3, 0, 0, 0},
                                       0,   "Europe/Vienna", {0, 3, 0, 5, 2, 0, 0, 0},
                                       -60};
    static const match_case cases[] = {
        {"Berlin", &berlin, "Europe/Berlin"},
        {"New York", &new_york, "America/New_York"},
        {"Tokyo", &tokyo, "Asia/Tokyo"},
        {"Sydney", &sydney, "Australia/Sydney"},
        {"iOS Berlin (no names)", &ios_berlin, "Europe/Berlin"},
        {"iOS New York (no names)", &ios_ny, "America/New_York"},
        {"iOS Tokyo (no names)", &ios_tokyo, "Asia/Tokyo"},
        {"Romance name breaks the tie", &paris, "Europe/Paris"},
        {"a name whose rules differ is ignored", &lying, "Europe/Berlin"},
        {"an IANA name breaks the tie", &iana_name, "Europe/Vienna"},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        const char *err = NULL;
        icaltimezone *z = eas_tz_from_blob(pool, blob(cases[i].spec), 2026, &err);
        is_str(z ? eas_tz_id(z) : NULL, cases[i].want, cases[i].name);
    }
}

static void test_spec_examples(void)
{
    const char *err = NULL;
    icaltimezone *z = eas_tz_from_blob(pool, ascal_example, 2008, &err);
    is_str(z ? eas_tz_id(z) : NULL, "America/Los_Angeles", "MS-ASCAL example: Pacific");
    if (z) {
        /* 2008: DST from Mar 9 02:00 PST (10:00Z) to Nov 2 02:00 PDT (09:00Z) */
        is_int(off_at(z, "20080309T095959Z"), -8 * 3600, "PST before 2008-03-09 10:00Z");
        is_int(off_at(z, "20080309T100000Z"), -7 * 3600, "PDT from 2008-03-09 10:00Z");
        is_int(off_at(z, "20081102T085959Z"), -7 * 3600, "PDT before 2008-11-02 09:00Z");
        is_int(off_at(z, "20081102T090000Z"), -8 * 3600, "PST from 2008-11-02 09:00Z");
    }
    z = eas_tz_from_blob(pool, asdtype_example, 2026, &err);
    is_str(z ? eas_tz_id(z) : NULL, "America/Los_Angeles",
           "MS-ASDTYPE example (32-WCHAR name, wrapped base64)");
}

static void test_offsets(void)
{
    const char *err = NULL;
    icaltimezone *z = eas_tz_from_blob(pool, blob(&berlin), 2026, &err);
    is_int(off_at(z, "20260329T005959Z"), 3600, "Berlin 2026-03-29 00:59:59Z +01");
    is_int(off_at(z, "20260329T010000Z"), 7200, "Berlin 2026-03-29 01:00Z +02");
    is_int(off_at(z, "20261025T005959Z"), 7200, "Berlin 2026-10-25 00:59:59Z +02");
    is_int(off_at(z, "20261025T010000Z"), 3600, "Berlin 2026-10-25 01:00Z +01");

    z = eas_tz_from_blob(pool, blob(&new_york), 2026, &err);
    is_int(off_at(z, "20260308T065959Z"), -5 * 3600, "New York 2026-03-08 06:59:59Z -05");
    is_int(off_at(z, "20260308T070000Z"), -4 * 3600, "New York 2026-03-08 07:00Z -04");
    is_int(off_at(z, "20261101T055959Z"), -4 * 3600, "New York 2026-11-01 05:59:59Z -04");
    is_int(off_at(z, "20261101T060000Z"), -5 * 3600, "New York 2026-11-01 06:00Z -05");

    z = eas_tz_from_blob(pool, blob(&tokyo), 2026, &err);
    is_int(off_at(z, "20260115T000000Z"), 9 * 3600, "Tokyo January +09");
    is_int(off_at(z, "20260715T000000Z"), 9 * 3600, "Tokyo July +09");

    /* southern hemisphere: DST ends first Sun Apr 03:00 (16:00Z the day before), starts first
     * Sun Oct 02:00 (16:00Z the day before) */
    z = eas_tz_from_blob(pool, blob(&sydney), 2026, &err);
    is_int(off_at(z, "20260404T155959Z"), 11 * 3600, "Sydney 2026-04-04 15:59:59Z +11");
    is_int(off_at(z, "20260404T160000Z"), 10 * 3600, "Sydney 2026-04-04 16:00Z +10");
    is_int(off_at(z, "20261003T155959Z"), 10 * 3600, "Sydney 2026-10-03 15:59:59Z +10");
    is_int(off_at(z, "20261003T160000Z"), 11 * 3600, "Sydney 2026-10-03 16:00Z +11");
}

static void test_utc(void)
{
    unsigned char zero[172];
    const char *err = NULL;
    icaltimezone *z;
    memset(zero, 0, sizeof(zero));
    z = eas_tz_from_blob(pool, b64(zero, 172), 2026, &err);
    ok(z == icaltimezone_get_utc_timezone(), "all-zero blob is UTC");
    is_str(eas_tz_id(z), "UTC", "UTC id");
    is_str(eas_tz_to_blob(pool, NULL, 2026), b64(zero, 172), "NULL zone → all-zero blob");
    is_str(eas_tz_to_blob(pool, z, 2026), b64(zero, 172), "UTC → all-zero blob");
}

static void test_custom(void)
{
    static const blobspec odd_bias = {17, "Odd Standard", {0}, 0, "", {0}, 0};
    const char *err = NULL, *tzid;
    icaltimezone *z = eas_tz_from_blob(pool, blob(&odd_bias), 2026, &err), *z2;
    char *vtz;

    tzid = z ? eas_tz_id(z) : NULL;
    ok(tzid && strncmp(tzid, "EAS-", 4) == 0 && strlen(tzid) == 12, "bias 17 → custom zone %s",
       tzid ? tzid : "(null)");
    if (!z) {
        return;
    }
    is_int(off_at(z, "20260101T000000Z"), -17 * 60, "custom: -00:17 in January");
    is_int(off_at(z, "20260701T000000Z"), -17 * 60, "custom: -00:17 in July");
    z2 = eas_tz_from_blob(pool, blob(&odd_bias), 2026, &err);
    is_str(eas_tz_id(z2), tzid, "the same blob gives the same TZID");

    z = eas_tz_from_blob(pool, blob(&odd_dst), 2026, &err);
    tzid = z ? eas_tz_id(z) : NULL;
    ok(tzid && strncmp(tzid, "EAS-", 4) == 0, "unmatched DST rules → custom zone");
    if (!z) {
        return;
    }
    /* 2026-04-12 is the 2nd Sunday of April: 02:00 +01 = 01:00Z; 2026-10-04 is the 1st Sunday of
     * October: 03:00 +02 = 01:00Z */
    is_int(off_at(z, "20260412T005959Z"), 3600, "custom DST: +01 before 2026-04-12 01:00Z");
    is_int(off_at(z, "20260412T010000Z"), 7200, "custom DST: +02 from 2026-04-12 01:00Z");
    is_int(off_at(z, "20261004T005959Z"), 7200, "custom DST: +02 before 2026-10-04 01:00Z");
    is_int(off_at(z, "20261004T010000Z"), 3600, "custom DST: +01 from 2026-10-04 01:00Z");
    is_int(off_at(z, "20300414T010000Z"), 7200, "custom DST: rule holds in 2030 (Apr 14)");
    vtz = icalcomponent_as_ical_string_r(icaltimezone_get_component(z));
    ok(vtz && strstr(vtz, "BYDAY=2SU") && strstr(vtz, "BYMONTH=4") && strstr(vtz, "BYDAY=1SU") &&
           strstr(vtz, "TZNAME:Odd Summer") && strstr(vtz, "TZOFFSETTO:+0200"),
       "custom VTIMEZONE carries the blob's rules");
    icalmemory_free_buffer(vtz);
    /* zone → blob → zone keeps the rules, hence the TZID */
    z2 = eas_tz_from_blob(pool, eas_tz_to_blob(pool, z, 2026), 2026, &err);
    is_str(z2 ? eas_tz_id(z2) : NULL, tzid, "custom zone round trip keeps its TZID");
}

static void test_invalid(void)
{
    unsigned char b[173];
    blobspec s = berlin;
    const char *err;
    icaltimezone *z;

    build(b, &berlin);
    err = NULL;
    z = eas_tz_from_blob(pool, b64(b, 171), 2026, &err);
    ok(!z && err, "171 bytes rejected (%s)", err ? err : "no err");
    b[172] = 0;
    err = NULL;
    ok(!eas_tz_from_blob(pool, b64(b, 173), 2026, &err) && err, "173 bytes rejected");
    err = NULL;
    ok(!eas_tz_from_blob(pool, "not base64 at all!!", 2026, &err) && err, "garbage rejected");
    err = NULL;
    ok(!eas_tz_from_blob(pool, NULL, 2026, &err) && err, "NULL rejected");
    err = NULL;
    {
        char *bad = apr_pstrdup(pool, blob(&berlin));
        bad[10] = '*';
        ok(!eas_tz_from_blob(pool, bad, 2026, &err) && err, "a non-base64 character rejected");
    }
    s.sdate[1] = 13;
    err = NULL;
    z = eas_tz_from_blob(pool, blob(&s), 2026, &err);
    ok(!z && err, "month 13 rejected (%s)", err ? err : "no err");
    s = berlin;
    s.ddate[3] = 6;
    err = NULL;
    ok(!eas_tz_from_blob(pool, blob(&s), 2026, &err) && err, "wDay 6 rejected");
    s = berlin;
    s.ddate[2] = 7;
    err = NULL;
    ok(!eas_tz_from_blob(pool, blob(&s), 2026, &err) && err, "wDayOfWeek 7 rejected");
    s = berlin;
    s.sdate[4] = 24;
    err = NULL;
    ok(!eas_tz_from_blob(pool, blob(&s), 2026, &err) && err, "hour 24 rejected");
    s = berlin;
    s.bias = 100000;
    err = NULL;
    ok(!eas_tz_from_blob(pool, blob(&s), 2026, &err) && err, "absurd bias rejected");
}

static void test_to_blob(void)
{
    static const blobspec berlin_out = {-60, "Europe/Berlin", {0, 10, 0, 5, 3, 0, 0, 0},
                                        0,   "Europe/Berlin", {0, 3, 0, 5, 2, 0, 0, 0},
                                        -60};
    static const blobspec ny_out = {300, "America/New_York", {0, 11, 0, 1, 2, 0, 0, 0},
                                    0,   "America/New_York", {0, 3, 0, 2, 2, 0, 0, 0},
                                    -60};
    static const blobspec tokyo_out = {-540, "Asia/Tokyo", {0}, 0, "", {0}, 0};
    static const blobspec sydney_out = {-600, "Australia/Sydney", {0, 4, 0, 1, 3, 0, 0, 0},
                                        0,    "Australia/Sydney", {0, 10, 0, 1, 2, 0, 0, 0},
                                        -60};
    is_str(eas_tz_to_blob(pool, eas_tz_get("Europe/Berlin"), 2026), blob(&berlin_out),
           "Berlin 2026 → blob, byte-exact");
    is_str(eas_tz_to_blob(pool, eas_tz_get("America/New_York"), 2026), blob(&ny_out),
           "New York 2026 → blob, byte-exact");
    is_str(eas_tz_to_blob(pool, eas_tz_get("Asia/Tokyo"), 2026), blob(&tokyo_out),
           "Tokyo 2026 → blob, byte-exact");
    is_str(eas_tz_to_blob(pool, eas_tz_get("Australia/Sydney"), 2026), blob(&sydney_out),
           "Sydney 2026 → blob, byte-exact");
    /* libical's own (prefixed) zone gives the same blob */
    is_str(eas_tz_to_blob(pool, icaltimezone_get_builtin_timezone("Europe/Berlin"), 2026),
           blob(&berlin_out), "libical's builtin Berlin → the same blob");
    /* 2006: the US rules before 2007 (1st Sun Apr / last Sun Oct) */
    {
        static const blobspec ny2006 = {300, "America/New_York", {0, 10, 0, 5, 2, 0, 0, 0},
                                        0,   "America/New_York", {0, 4, 0, 1, 2, 0, 0, 0},
                                        -60};
        is_str(eas_tz_to_blob(pool, eas_tz_get("America/New_York"), 2006), blob(&ny2006),
               "New York 2006 → the pre-2007 rules");
    }
}

/* b64 with StandardName and DaylightName zeroed (what iOS sends). */
static const char *nameless(const char *b)
{
    unsigned char raw[200];
    if (apr_base64_decode_len(b) > (int)sizeof(raw) || apr_base64_decode_binary(raw, b) != 172) {
        return b;
    }
    memset(raw + 4, 0, 64);
    memset(raw + 88, 0, 64);
    return b64(raw, 172);
}

static void test_round_trips(void)
{
    icalarray *all = icaltimezone_get_builtin_timezones();
    static const int years[] = {2026, 2008};
    int y, tried = 0, same = 0, irregular = 0, named = 0, by_rules = 0;
    size_t i;
    char failures[512] = "";

    for (y = 0; y < 2; ++y) {
        for (i = 0; i < all->num_elements; ++i) {
            const char *name = icaltimezone_get_location(icalarray_element_at(all, i));
            icaltimezone *z = eas_tz_get(name), *z2, *z3;
            const char *bl;
            const char *err = NULL;
            time_t at[8];
            int n;
            if (!z) {
                continue;
            }
            n = changes(z, years[y], at, 8);
            if (n != 0 && n != 2) { /* not expressible as one TIME_ZONE_INFORMATION */
                ++irregular;
                continue;
            }
            ++tried;
            bl = eas_tz_to_blob(pool, z, years[y]);
            z2 = eas_tz_from_blob(pool, bl, years[y], &err);
            /* the same without names: found by its rules alone, still an IANA zone (or UTC) */
            z3 = eas_tz_from_blob(pool, nameless(bl), years[y], &err);
            if (z3 && strncmp(eas_tz_id(z3), "EAS-", 4) != 0 && same_offsets(z, z3, years[y])) {
                ++by_rules;
            } else {
                printf("# %d %s without names: %s\n", years[y], name, z3 ? eas_tz_id(z3) : "-");
            }
            if (z2 && same_offsets(z, z2, years[y])) {
                ++same;
                named += strcmp(eas_tz_id(z2), eas_tz_id(z)) == 0;
                if (strcmp(eas_tz_id(z2), eas_tz_id(z)) != 0) {
                    printf("# %d %s came back as %s\n", years[y], eas_tz_id(z), eas_tz_id(z2));
                }
            } else if (strlen(failures) < 400) {
                strcat(failures, " ");
                strcat(failures, name);
            }
        }
    }
    printf("# round trips: %d zone-years, %d same offsets, %d back to the same name, "
           "%d irregular skipped\n",
           tried, same, named, irregular);
    ok(tried > 700 && same == tried, "zone → blob → zone keeps the offsets of every zone%s",
       failures);
    ok(named == tried, "and the name (the blob carries it)");
    ok(by_rules == tried, "without names every zone still maps to an IANA zone (%d)", by_rules);
}

static void test_get_id(void)
{
    icaltimezone *b = eas_tz_get("Europe/Berlin"), *lib;
    static const char *const zones[] = {
        "Europe/Berlin",    "America/New_York",   "Australia/Sydney", "Europe/London",
        "America/Santiago", "Asia/Tehran",        "Europe/Dublin",    "Africa/Casablanca",
        "Asia/Kolkata",     "Australia/Lord_Howe"};
    size_t i;
    int y;

    ok(b != NULL, "eas_tz_get Europe/Berlin");
    is_str(eas_tz_id(b), "Europe/Berlin", "eas_tz_id: plain IANA name");
    is_str(icaltimezone_get_tzid(b), "Europe/Berlin", "the zone's own TZID is plain too");
    ok(eas_tz_get("/freeassociation.sourceforge.net/Europe/Berlin") == b,
       "libical prefix accepted");
    ok(eas_tz_get("/freeassociation.sourceforge.net/Tzfile/Europe/Berlin") == b,
       "old libical prefix accepted");
    ok(eas_tz_get("/mozilla.org/20050126_1/Europe/Berlin") == b, "Mozilla prefix accepted");
    ok(eas_tz_get("W. Europe Standard Time") == b, "Windows name accepted");
    ok(eas_tz_get("Europe/Berlin") == b, "the same zone every time");
    ok(eas_tz_get("UTC") == icaltimezone_get_utc_timezone(), "UTC");
    ok(eas_tz_get("Etc/UTC") == icaltimezone_get_utc_timezone(), "Etc/UTC");
    ok(eas_tz_get("Nowhere/Foo") == NULL, "unknown → NULL");
    ok(eas_tz_get("../../../etc/passwd") == NULL, "path → NULL");
    ok(eas_tz_get("") == NULL && eas_tz_get(NULL) == NULL, "empty/NULL → NULL");
    ok(eas_tz_get("Asia/Calcutta") != NULL, "a backward-compatible alias works");
    lib = icaltimezone_get_builtin_timezone("Europe/Berlin");
    is_str(eas_tz_id(lib), "Europe/Berlin", "eas_tz_id of libical's prefixed zone");
    is_str(eas_tz_id(NULL), "UTC", "eas_tz_id(NULL)");

    /* our compact copies have libical's offsets from 1970 on */
    for (i = 0; i < sizeof(zones) / sizeof(zones[0]); ++i) {
        icaltimezone *z = eas_tz_get(zones[i]);
        int bad = !z;
        lib = icaltimezone_get_builtin_timezone(zones[i]);
        for (y = 1971; z && y <= 2037 && !bad; y += 3) {
            bad = !same_offsets(z, lib, y);
        }
        ok(!bad, "%s: compact copy has libical's offsets 1971-2037", zones[i]);
    }
}

static int count_vtz(icalcomponent *cal)
{
    return icalcomponent_count_components(cal, ICAL_VTIMEZONE_COMPONENT);
}

static void test_embed_resolve(void)
{
    icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT), *ev;
    icaltimezone *b = eas_tz_get("Europe/Berlin"), *z;
    char *s;
    const char *err = NULL;

    eas_tz_embed(cal, b);
    is_int(count_vtz(cal), 1, "embed Berlin");
    eas_tz_embed(cal, b);
    eas_tz_embed(cal, icaltimezone_get_builtin_timezone("Europe/Berlin"));
    is_int(count_vtz(cal), 1, "embedding the same zone again adds nothing");
    eas_tz_embed(cal, icaltimezone_get_utc_timezone());
    eas_tz_embed(cal, NULL);
    is_int(count_vtz(cal), 1, "UTC is never embedded");
    eas_tz_embed(cal, eas_tz_get("America/New_York"));
    eas_tz_embed(cal, eas_tz_from_blob(pool, blob(&odd_dst), 2026, &err));
    is_int(count_vtz(cal), 3, "New York and a custom zone added");
    s = icalcomponent_as_ical_string_r(cal);
    ok(strstr(s, "TZID:Europe/Berlin\r\n") && !strstr(s, "freeassociation"),
       "embedded TZIDs are plain IANA names");
    {
        char *one = icalcomponent_as_ical_string_r(icaltimezone_get_component(b));
        char *full = icalcomponent_as_ical_string_r(
            icaltimezone_get_component(icaltimezone_get_builtin_timezone("Europe/Berlin")));
        printf("# embedded Europe/Berlin VTIMEZONE: %zu bytes (libical's full one: %zu)\n",
               strlen(one), strlen(full));
        ok(strlen(one) < 1500, "embedded VTIMEZONE is compact");
        icalmemory_free_buffer(one);
        icalmemory_free_buffer(full);
    }
    icalmemory_free_buffer(s);

    /* resolve: an embedded definition wins for names that are not plain IANA names */
    ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
    icalcomponent_add_component(cal, ev);
    icalcomponent_add_component(
        cal, icalparser_parse_string("BEGIN:VTIMEZONE\r\nTZID:My Zone\r\nBEGIN:STANDARD\r\n"
                                     "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0530\r\n"
                                     "TZOFFSETTO:+0530\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"));
    z = eas_tz_resolve(pool, cal, "My Zone");
    ok(z && z != b, "resolve an embedded VTIMEZONE");
    if (z) {
        is_int(off_at(z, "20260601T000000Z"), 19800, "embedded zone offset +05:30");
        is_str(eas_tz_id(z), "My Zone", "its id is its TZID");
    }
    z = eas_tz_resolve(pool, ev, "My Zone");
    ok(z != NULL, "resolve from a component of the VCALENDAR");
    /* a plain IANA name means the IANA rules: the process-wide zone, whose expansions are
     * cached, not a zone rebuilt from the embedded copy for every item */
    z = eas_tz_resolve(pool, cal, "Europe/Berlin");
    ok(z && z == eas_tz_get("Europe/Berlin"), "an IANA name resolves to the shared zone");
    z = eas_tz_resolve(pool, cal, "Asia/Tokyo");
    ok(z == eas_tz_get("Asia/Tokyo"), "not embedded → the IANA zone");
    ok(eas_tz_resolve(pool, cal, "Nowhere Zone") == NULL, "unknown → NULL");
    icalcomponent_free(cal);
}

static const char ics_file[] =
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Test//EN\r\n"
    "METHOD:PUBLISH\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:Europe/Berlin\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19700329T020000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VTIMEZONE\r\n"
    "TZID:America/New_York\r\n"
    "BEGIN:STANDARD\r\nDTSTART:19701101T020000\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nEND:STANDARD\r\n"
    "BEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\n"
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nEND:DAYLIGHT\r\n"
    "END:VTIMEZONE\r\n"
    "BEGIN:VEVENT\r\nUID:weekly@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=Europe/Berlin:20260105T100000\r\nDURATION:PT1H\r\n"
    "RRULE:FREQ=WEEKLY\r\nSUMMARY:Weekly\r\nEND:VEVENT\r\n"
    "BEGIN:VEVENT\r\nUID:call@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
    "DTSTART;TZID=America/New_York:20260210T090000\r\nSUMMARY:Call\r\nEND:VEVENT\r\n"
    "END:VCALENDAR\r\n"
    "BEGIN:VCALENDAR\r\n"
    "VERSION:2.0\r\n"
    "PRODID:-//Test//EN\r\n"
    "BEGIN:VEVENT\r\nUID:weekly@example.org\r\nDTSTAMP:20260101T000000Z\r\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20260112T100000\r\n"
    "DTSTART;TZID=Europe/Berlin:20260112T110000\r\nSUMMARY:Weekly (moved)\r\nEND:VEVENT\r\n"
    "BEGIN:VTODO\r\nDTSTAMP:20260101T000000Z\r\nSUMMARY:No UID\r\nEND:VTODO\r\n"
    "END:VCALENDAR\r\n";

static icalcomponent *parse(const char *s)
{
    return s ? icalparser_parse_string(s) : NULL;
}

static void test_split_join(void)
{
    apr_array_header_t *items = NULL, *again = NULL;
    const char *err = NULL, *joined;
    icalcomponent *c;
    int rc;

    rc = eas_ics_split(pool, ics_file, &items, &err);
    is_int(rc, 0, "split ok");
    is_int(items ? items->nelts : -1, 3, "three items (weekly+override, call, todo)");
    if (rc != 0 || items->nelts != 3) {
        return;
    }
    c = parse(APR_ARRAY_IDX(items, 0, const char *));
    ok(c && icalcomponent_isa(c) == ICAL_VCALENDAR_COMPONENT, "item 1 is a VCALENDAR");
    if (c) {
        icalcomponent *tz = icalcomponent_get_first_component(c, ICAL_VTIMEZONE_COMPONENT);
        icalproperty *pr;
        is_int(icalcomponent_count_components(c, ICAL_VEVENT_COMPONENT), 2,
               "item 1: master + override");
        is_int(count_vtz(c), 1, "item 1: one VTIMEZONE");
        is_str(tz ? icalproperty_get_tzid(icalcomponent_get_first_property(tz, ICAL_TZID_PROPERTY))
                  : NULL,
               "Europe/Berlin", "item 1: the Berlin VTIMEZONE");
        pr = icalcomponent_get_first_property(c, ICAL_PRODID_PROPERTY);
        is_str(pr ? icalproperty_get_prodid(pr) : NULL, "-//mod_eas//EN", "PRODID");
        pr = icalcomponent_get_first_property(c, ICAL_VERSION_PROPERTY);
        is_str(pr ? icalproperty_get_version(pr) : NULL, "2.0", "VERSION");
        ok(!icalcomponent_get_first_property(c, ICAL_METHOD_PROPERTY), "no METHOD");
        icalcomponent_free(c);
    }
    c = parse(APR_ARRAY_IDX(items, 1, const char *));
    if (c) {
        icalcomponent *ev = icalcomponent_get_first_component(c, ICAL_VEVENT_COMPONENT);
        is_str(ev ? icalcomponent_get_uid(ev) : NULL, "call@example.org", "item 2 UID");
        is_int(count_vtz(c), 1, "item 2: one VTIMEZONE (New York)");
        ok(strstr(APR_ARRAY_IDX(items, 1, const char *), "TZID:America/New_York") != NULL,
           "item 2 carries New York");
        icalcomponent_free(c);
    }
    c = parse(APR_ARRAY_IDX(items, 2, const char *));
    if (c) {
        icalcomponent *td = icalcomponent_get_first_component(c, ICAL_VTODO_COMPONENT);
        const char *uid = td ? icalcomponent_get_uid(td) : NULL;
        ok(uid && strncmp(uid, "eas-", 4) == 0, "item 3: VTODO got a UID (%s)", uid ? uid : "");
        is_int(count_vtz(c), 0, "item 3: no VTIMEZONE");
        eas_ics_split(pool, ics_file, &again, &err);
        ok(again && again->nelts == 3 &&
               strcmp(APR_ARRAY_IDX(again, 2, const char *),
                      APR_ARRAY_IDX(items, 2, const char *)) == 0,
           "the generated UID is deterministic");
        icalcomponent_free(c);
    }

    joined = eas_ics_join(pool, items);
    c = parse(joined);
    ok(c && icalcomponent_isa(c) == ICAL_VCALENDAR_COMPONENT, "join → one VCALENDAR");
    if (c) {
        is_int(icalcomponent_count_components(c, ICAL_VEVENT_COMPONENT), 3, "join: 3 VEVENTs");
        is_int(icalcomponent_count_components(c, ICAL_VTODO_COMPONENT), 1, "join: 1 VTODO");
        is_int(count_vtz(c), 2, "join: each VTIMEZONE once");
        icalcomponent_free(c);
    }
    /* join of a split is split the same way again */
    rc = eas_ics_split(pool, joined, &again, &err);
    ok(rc == 0 && again->nelts == 3 &&
           strcmp(APR_ARRAY_IDX(again, 0, const char *), APR_ARRAY_IDX(items, 0, const char *)) ==
               0,
       "split(join(items)) gives the items back");

    err = NULL;
    is_int(eas_ics_split(pool, "hello world\r\n", &items, &err), -1, "not iCalendar → -1");
    ok(err != NULL, "with an error");
    err = NULL;
    is_int(eas_ics_split(pool, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:X\r\nEND:VCARD\r\n", &items, &err),
           -1, "a vCard is not iCalendar");
    is_int(eas_ics_split(pool, "", &items, &err), -1, "empty → -1");
    is_int(eas_ics_split(pool, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", &items, &err),
           0, "an empty VCALENDAR is fine");
    is_int(items->nelts, 0, "with no items");
}

/* ---- threads ---------------------------------------------------------------- */

typedef struct {
    int failures;
} thr_arg;

static const char *blob_b64[4]; /* made before the threads start: the test pool is not shared */

static void test_threads_setup(void)
{
    blob_b64[0] = blob(&berlin);
    blob_b64[1] = blob(&new_york);
    blob_b64[2] = blob(&sydney);
    blob_b64[3] = blob(&odd_dst);
}

static void *thread_main(void *data)
{
    thr_arg *a = data;
    apr_pool_t *p;
    int i;
    apr_pool_create(&p, NULL);
    for (i = 0; i < 40; ++i) {
        const char *err = NULL;
        /* 2031: a year nobody asked for yet, so the threads race to fill the cache */
        icaltimezone *z = eas_tz_from_blob(p, blob_b64[i % 4], 2031, &err);
        static const char *const want[] = {"Europe/Berlin", "America/New_York", "Australia/Sydney",
                                           "EAS-"};
        if (!z || strncmp(eas_tz_id(z), want[i % 4], strlen(want[i % 4])) != 0) {
            ++a->failures;
        }
        {
            static const char *const fresh[] = {"Europe/Rome", "Asia/Seoul", "America/Lima",
                                                "Africa/Nairobi"};
            icaltimezone *g = eas_tz_get(fresh[i % 4]);
            if (!g || strcmp(eas_tz_id(g), fresh[i % 4]) != 0 ||
                strlen(eas_tz_to_blob(p, g, 2031)) != 232) {
                ++a->failures;
            }
        }
        if (i % 10 == 9) {
            apr_pool_clear(p);
        }
    }
    apr_pool_destroy(p);
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[4];
    thr_arg a[4];
    int i, failures = 0;
    for (i = 0; i < 4; ++i) {
        a[i].failures = 0;
        pthread_create(&t[i], NULL, thread_main, &a[i]);
    }
    for (i = 0; i < 4; ++i) {
        pthread_join(t[i], NULL);
        failures += a[i].failures;
    }
    is_int(failures, 0,
           "4 threads × 40 from_blob/get/to_blob calls (fresh year and zones) all right");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);

    test_first_call();
    test_threads_setup();
    test_threads();
    test_matching();
    test_spec_examples();
    test_offsets();
    test_utc();
    test_custom();
    test_invalid();
    test_to_blob();
    test_get_id();
    test_embed_resolve();
    test_split_join();
    test_round_trips();

    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
