/* eas_contact.c — the Contacts class (MS-ASCNTC, Contacts and Contacts2 code pages) stored as
 * vCard 4 (RFC 6350).
 *
 * Every EAS element has one home in the card: the standard property where vCard has one (N, FN,
 * ORG, TITLE, EMAIL, TEL, ADR, URL, BDAY, ANNIVERSARY, RELATED, CATEGORIES, PHOTO, NOTE, IMPP,
 * NICKNAME), TYPE values "x-eas-..." where a TEL or RELATED kind is missing from vCard 4, and
 * X-EAS-* properties for the rest. One reader (card_read) decides which property feeds which
 * element; to_eas shows exactly that, and a Change replaces exactly those properties, so
 * everything else an imported card carries (a fourth EMAIL, GEO, KEY, X-...) is kept. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "eas_pim.h"
#include "eas_vcard.h"
#include "eas_xml.h"

#define NS_C  "Contacts:"
#define NS_C2 "Contacts2:"

enum {
    F_FILEAS,
    F_FIRST,
    F_MIDDLE,
    F_LAST,
    F_TITLE,
    F_SUFFIX,
    F_YOMIFIRST,
    F_YOMILAST,
    F_YOMICOMPANY,
    F_COMPANY,
    F_DEPARTMENT,
    F_JOBTITLE,
    F_OFFICE,
    F_EMAIL1,
    F_EMAIL2,
    F_EMAIL3,
    F_TEL_BUS,
    F_TEL_BUS2,
    F_TEL_HOME,
    F_TEL_HOME2,
    F_TEL_MOBILE,
    F_TEL_BUSFAX,
    F_TEL_HOMEFAX,
    F_TEL_CAR,
    F_TEL_PAGER,
    F_TEL_RADIO,
    F_TEL_ASSIST,
    F_TEL_MAIN,
    F_TEL_MMS,
    F_ADR_HOME, /* 5 each: Street, City, State, PostalCode, Country */
    F_ADR_BUS = F_ADR_HOME + 5,
    F_ADR_OTHER = F_ADR_BUS + 5,
    F_WEBPAGE = F_ADR_OTHER + 5,
    F_BIRTHDAY,
    F_ANNIVERSARY,
    F_SPOUSE,
    F_ASSISTANT,
    F_MANAGER,
    F_PICTURE,
    F_ALIAS,
    F_RANK,
    F_CUSTOMERID,
    F_GOVID,
    F_IM1,
    F_IM2,
    F_IM3,
    F_ACCOUNT,
    F_NICK,
    F_COUNT
};

/* Element name, Contacts2 page, lowest protocol version that has it. Alias and WeightedRank are
 * 14.0+ (MS-ASCNTC 2.2.2.2, 2.2.2.64); the rest exist in every version served (12.0+). */
static const struct {
    const char *name;
    int ns2, minver;
} fields[F_COUNT] = {
    [F_FILEAS] = {"FileAs", 0, 0},
    [F_FIRST] = {"FirstName", 0, 0},
    [F_MIDDLE] = {"MiddleName", 0, 0},
    [F_LAST] = {"LastName", 0, 0},
    [F_TITLE] = {"Title", 0, 0},
    [F_SUFFIX] = {"Suffix", 0, 0},
    [F_YOMIFIRST] = {"YomiFirstName", 0, 0},
    [F_YOMILAST] = {"YomiLastName", 0, 0},
    [F_YOMICOMPANY] = {"YomiCompanyName", 0, 0},
    [F_COMPANY] = {"CompanyName", 0, 0},
    [F_DEPARTMENT] = {"Department", 0, 0},
    [F_JOBTITLE] = {"JobTitle", 0, 0},
    [F_OFFICE] = {"OfficeLocation", 0, 0},
    [F_EMAIL1] = {"Email1Address", 0, 0},
    [F_EMAIL2] = {"Email2Address", 0, 0},
    [F_EMAIL3] = {"Email3Address", 0, 0},
    [F_TEL_BUS] = {"BusinessPhoneNumber", 0, 0},
    [F_TEL_BUS2] = {"Business2PhoneNumber", 0, 0},
    [F_TEL_HOME] = {"HomePhoneNumber", 0, 0},
    [F_TEL_HOME2] = {"Home2PhoneNumber", 0, 0},
    [F_TEL_MOBILE] = {"MobilePhoneNumber", 0, 0},
    [F_TEL_BUSFAX] = {"BusinessFaxNumber", 0, 0},
    [F_TEL_HOMEFAX] = {"HomeFaxNumber", 0, 0},
    [F_TEL_CAR] = {"CarPhoneNumber", 0, 0},
    [F_TEL_PAGER] = {"PagerNumber", 0, 0},
    [F_TEL_RADIO] = {"RadioPhoneNumber", 0, 0},
    [F_TEL_ASSIST] = {"AssistantPhoneNumber", 0, 0},
    [F_TEL_MAIN] = {"CompanyMainPhone", 1, 0},
    [F_TEL_MMS] = {"MMS", 1, 0},
    [F_ADR_HOME] = {"HomeAddressStreet", 0, 0},
    [F_ADR_HOME + 1] = {"HomeAddressCity", 0, 0},
    [F_ADR_HOME + 2] = {"HomeAddressState", 0, 0},
    [F_ADR_HOME + 3] = {"HomeAddressPostalCode", 0, 0},
    [F_ADR_HOME + 4] = {"HomeAddressCountry", 0, 0},
    [F_ADR_BUS] = {"BusinessAddressStreet", 0, 0},
    [F_ADR_BUS + 1] = {"BusinessAddressCity", 0, 0},
    [F_ADR_BUS + 2] = {"BusinessAddressState", 0, 0},
    [F_ADR_BUS + 3] = {"BusinessAddressPostalCode", 0, 0},
    [F_ADR_BUS + 4] = {"BusinessAddressCountry", 0, 0},
    [F_ADR_OTHER] = {"OtherAddressStreet", 0, 0},
    [F_ADR_OTHER + 1] = {"OtherAddressCity", 0, 0},
    [F_ADR_OTHER + 2] = {"OtherAddressState", 0, 0},
    [F_ADR_OTHER + 3] = {"OtherAddressPostalCode", 0, 0},
    [F_ADR_OTHER + 4] = {"OtherAddressCountry", 0, 0},
    [F_WEBPAGE] = {"WebPage", 0, 0},
    [F_BIRTHDAY] = {"Birthday", 0, 0},
    [F_ANNIVERSARY] = {"Anniversary", 0, 0},
    [F_SPOUSE] = {"Spouse", 0, 0},
    [F_ASSISTANT] = {"AssistantName", 0, 0},
    [F_MANAGER] = {"ManagerName", 1, 0},
    [F_PICTURE] = {"Picture", 0, 0},
    [F_ALIAS] = {"Alias", 0, 140},
    [F_RANK] = {"WeightedRank", 0, 140},
    [F_CUSTOMERID] = {"CustomerId", 1, 0},
    [F_GOVID] = {"GovernmentId", 1, 0},
    [F_IM1] = {"IMAddress", 1, 0},
    [F_IM2] = {"IMAddress2", 1, 0},
    [F_IM3] = {"IMAddress3", 1, 0},
    [F_ACCOUNT] = {"AccountName", 1, 0},
    [F_NICK] = {"NickName", 1, 0},
};

/* Phones: the TYPE list written for each element. */
static const struct {
    int f;
    const char *types;
} tels[] = {
    {F_TEL_BUS, "work,voice"},
    {F_TEL_BUS2, "work,voice,x-eas-business2"},
    {F_TEL_HOME, "home,voice"},
    {F_TEL_HOME2, "home,voice,x-eas-home2"},
    {F_TEL_MOBILE, "cell"},
    {F_TEL_BUSFAX, "work,fax"},
    {F_TEL_HOMEFAX, "home,fax"},
    {F_TEL_CAR, "x-eas-car"},
    {F_TEL_PAGER, "pager"},
    {F_TEL_RADIO, "x-eas-radio"},
    {F_TEL_ASSIST, "x-eas-assistant"},
    {F_TEL_MAIN, "work,x-eas-companymain"},
    {F_TEL_MMS, "x-eas-mms"},
};

/* Single text properties with no standard vCard home. */
static const struct {
    int f;
    const char *prop;
} xprops[] = {
    {F_FILEAS, "X-EAS-FILEAS"},
    {F_YOMIFIRST, "X-PHONETIC-FIRST-NAME"}, /* the names Apple and Google use */
    {F_YOMILAST, "X-PHONETIC-LAST-NAME"},
    {F_YOMICOMPANY, "X-PHONETIC-ORG"},
    {F_OFFICE, "X-EAS-OFFICELOCATION"},
    {F_ALIAS, "X-EAS-ALIAS"},
    {F_RANK, "X-EAS-WEIGHTEDRANK"},
    {F_CUSTOMERID, "X-EAS-CUSTOMERID"},
    {F_GOVID, "X-EAS-GOVERNMENTID"},
    {F_ACCOUNT, "X-EAS-ACCOUNTNAME"},
    {0, NULL},
};

/* RELATED kinds (VALUE=text). vCard 4 has spouse, child and agent; a manager has no type. */
static const struct {
    int f;
    const char *type;
} relateds[] = {
    {F_SPOUSE, "spouse"},
    {F_ASSISTANT, "agent"},
    {F_MANAGER, "x-eas-manager"},
};

typedef struct contact {
    const char *f[F_COUNT];
    apr_array_header_t *cats, *kids; /* const char *; NULL: none */
    const char *note, *html;         /* the body */
    const char *fn;                  /* FN as stored */
    int has_n;
} contact;

/* What card_read says of a property: shown to devices as an element (a Change replaces it), or
 * the body (replaced only when a Change carries one). */
enum { U_NONE, U_FIELD, U_BODY };

/* ---- small helpers ------------------------------------------------------------------------ */

static int empty(const char *s)
{
    return !s || !*s;
}

static const char *node_text(apr_pool_t *p, xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = apr_pstrdup(p, t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

/* Base64 with white space removed in *clean; decoded length, or -1 when it is not base64. */
static apr_ssize_t b64_check(apr_pool_t *p, const char *s, const char **clean)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    apr_size_t n, pad = 0, i;
    for (; *s; ++s) {
        if (!isspace((unsigned char)*s)) {
            *o++ = *s;
        }
    }
    *o = '\0';
    n = (apr_size_t)(o - out);
    if (n % 4) {
        return -1;
    }
    for (i = 0; i < n; ++i) {
        char c = out[i];
        if (c == '=') {
            if (i + 2 < n || (i + 1 < n && out[i + 1] != '=')) {
                return -1;
            }
            ++pad;
        } else if (!isalnum((unsigned char)c) && c != '+' && c != '/') {
            return -1;
        }
    }
    *clean = out;
    return (apr_ssize_t)(n / 4 * 3 - pad);
}

static const char *image_type(apr_pool_t *p, const char *b64)
{
    char head[16];
    if (strlen(b64) >= 8) {
        char *q = apr_pstrndup(p, b64, 8);
        apr_base64_decode_binary((unsigned char *)head, q);
        if ((unsigned char)head[0] == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
            return "image/png";
        }
        if (!memcmp(head, "GIF8", 4)) {
            return "image/gif";
        }
    }
    return "image/jpeg";
}

/* ---- dates: EAS dateTime ⇄ vCard date ------------------------------------------------------- */

static int digits(const char *s, int n, int *out)
{
    int v = 0, i;
    for (i = 0; i < n; ++i) {
        if (!isdigit((unsigned char)s[i])) {
            return -1;
        }
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in(int y, int m)
{
    static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0) ? 29 : d[m - 1];
}

typedef struct ymd {
    int y, mo, d, h, mi, s, ms;
} ymd;

/* "yyyy-MM-ddTHH:mm:ss[.fff][Z]" or compact "yyyyMMddTHHmmss[Z]"; -1 when malformed. */
static int eas_date_in(const char *s, ymd *t)
{
    memset(t, 0, sizeof(*t));
    if (!s) {
        return -1;
    }
    if (strlen(s) >= 19 && s[4] == '-' && s[7] == '-' && (s[10] == 'T' || s[10] == 't') &&
        s[13] == ':' && s[16] == ':') {
        if (digits(s, 4, &t->y) || digits(s + 5, 2, &t->mo) || digits(s + 8, 2, &t->d) ||
            digits(s + 11, 2, &t->h) || digits(s + 14, 2, &t->mi) || digits(s + 17, 2, &t->s)) {
            return -1;
        }
        s += 19;
        if (*s == '.') {
            int n = 0, scale = 100;
            for (++s; isdigit((unsigned char)*s); ++s, ++n) {
                t->ms += (*s - '0') * scale;
                scale /= 10;
            }
            if (n == 0) {
                return -1;
            }
        }
    } else if (strlen(s) >= 15 && (s[8] == 'T' || s[8] == 't')) {
        if (digits(s, 4, &t->y) || digits(s + 4, 2, &t->mo) || digits(s + 6, 2, &t->d) ||
            digits(s + 9, 2, &t->h) || digits(s + 11, 2, &t->mi) || digits(s + 13, 2, &t->s)) {
            return -1;
        }
        s += 15;
    } else {
        return -1;
    }
    if (*s == 'Z' || *s == 'z') {
        ++s;
    }
    if (*s || t->y < 1 || t->mo < 1 || t->mo > 12 || t->d < 1 || t->d > days_in(t->y, t->mo) ||
        t->h > 23 || t->mi > 59 || t->s > 59) {
        return -1;
    }
    return 0;
}

static const char *eas_date_out(apr_pool_t *p, const ymd *t)
{
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t->y, t->mo, t->d, t->h, t->mi,
                        t->s, t->ms);
}

/* The calendar day a device meant: the time part is to be ignored (MS-ASCNTC 2.2.2.6), but
 * devices east of UTC send their local midnight, i.e. the evening before in UTC. */
static void meant_day(ymd *t)
{
    if (t->h > 12 || (t->h == 12 && (t->mi || t->s || t->ms))) {
        if (++t->d > days_in(t->y, t->mo)) {
            t->d = 1;
            if (++t->mo > 12) {
                t->mo = 1;
                ++t->y;
            }
        }
    }
    t->h = t->mi = t->s = t->ms = 0;
}

/* vCard date ("19800517", "1980-05-17", "--0517", with or without a time) → day; -1 if not. */
static int vcard_date_in(const char *s, ymd *t)
{
    memset(t, 0, sizeof(*t));
    if (!strncmp(s, "--", 2)) {
        t->y = 1604; /* no year: the year Apple and Outlook use for it */
        s += 2;
    } else if (digits(s, 4, &t->y) == 0) {
        s += 4;
        s += *s == '-';
    } else {
        return -1;
    }
    if (digits(s, 2, &t->mo)) {
        return -1;
    }
    s += 2;
    s += *s == '-';
    if (digits(s, 2, &t->d) || (s[2] && s[2] != 'T' && s[2] != 't')) {
        return -1;
    }
    return t->mo >= 1 && t->mo <= 12 && t->d >= 1 && t->d <= days_in(t->y, t->mo) ? 0 : -1;
}

/* BDAY / ANNIVERSARY → EAS text: the exact time a device sent when kept and still that day. */
static const char *date_from_card(apr_pool_t *p, const eas_vcard_prop *pr)
{
    ymd day, exact;
    const char *keep = eas_vcard_get_param(pr, "X-EAS-DATETIME");
    if (vcard_date_in(pr->value, &day) < 0) {
        return NULL;
    }
    if (keep && eas_date_in(keep, &exact) == 0) {
        ymd m = exact;
        meant_day(&m);
        if (m.y == day.y && m.mo == day.mo && m.d == day.d) {
            return eas_date_out(p, &exact);
        }
    }
    return eas_date_out(p, &day);
}

/* EAS text → property on c; -1 when it is not a date. */
static int date_to_card(apr_pool_t *p, eas_vcard *c, const char *name, const char *eas)
{
    ymd t, day;
    eas_vcard_prop *pr;
    if (eas_date_in(eas, &t) < 0) {
        return -1;
    }
    day = t;
    meant_day(&day);
    pr = eas_vcard_add(c, name, apr_psprintf(p, "%04d%02d%02d", day.y, day.mo, day.d));
    if (t.h || t.mi || t.s || t.ms) {
        eas_vcard_add_param(pr, "X-EAS-DATETIME", eas_date_out(p, &t));
    }
    return 0;
}

/* ---- the card → contact --------------------------------------------------------------------- */

/* The elements a TEL can fill, best first. */
static int tel_slots(const eas_vcard_prop *pr, int *s)
{
    static const struct {
        const char *type;
        int f;
    } exact[] = {{"x-eas-business2", F_TEL_BUS2}, {"x-eas-home2", F_TEL_HOME2},
                 {"x-eas-car", F_TEL_CAR},        {"car", F_TEL_CAR},
                 {"x-eas-radio", F_TEL_RADIO},    {"x-eas-assistant", F_TEL_ASSIST},
                 {"x-assistant", F_TEL_ASSIST},   {"x-eas-companymain", F_TEL_MAIN},
                 {"x-eas-mms", F_TEL_MMS},        {"pager", F_TEL_PAGER},
                 {"cell", F_TEL_MOBILE},          {"mobile", F_TEL_MOBILE},
                 {"iphone", F_TEL_MOBILE}};
    size_t i;
    for (i = 0; i < sizeof(exact) / sizeof(exact[0]); ++i) {
        if (eas_vcard_has_type(pr, exact[i].type)) {
            if (exact[i].f == F_TEL_MOBILE && eas_vcard_has_type(pr, "fax")) {
                break;
            }
            s[0] = exact[i].f;
            return 1;
        }
    }
    if (eas_vcard_has_type(pr, "fax")) {
        if (eas_vcard_has_type(pr, "home")) {
            s[0] = F_TEL_HOMEFAX;
            return 1;
        }
        s[0] = F_TEL_BUSFAX, s[1] = F_TEL_HOMEFAX;
        return 2;
    }
    if (eas_vcard_has_type(pr, "work")) {
        s[0] = F_TEL_BUS, s[1] = F_TEL_BUS2;
        return 2;
    }
    if (eas_vcard_has_type(pr, "home")) {
        s[0] = F_TEL_HOME, s[1] = F_TEL_HOME2;
        return 2;
    }
    s[0] = F_TEL_HOME, s[1] = F_TEL_BUS, s[2] = F_TEL_MOBILE, s[3] = F_TEL_HOME2, s[4] = F_TEL_BUS2;
    return 5;
}

static int adr_slots(const eas_vcard_prop *pr, int *s)
{
    if (eas_vcard_has_type(pr, "x-eas-other") || eas_vcard_has_type(pr, "x-other") ||
        eas_vcard_has_type(pr, "other")) {
        s[0] = F_ADR_OTHER;
        return 1;
    }
    if (eas_vcard_has_type(pr, "work")) {
        s[0] = F_ADR_BUS, s[1] = F_ADR_OTHER;
        return 2;
    }
    if (eas_vcard_has_type(pr, "home")) {
        s[0] = F_ADR_HOME, s[1] = F_ADR_OTHER;
        return 2;
    }
    s[0] = F_ADR_OTHER, s[1] = F_ADR_HOME, s[2] = F_ADR_BUS;
    return 3;
}

static int related_text(const eas_vcard_prop *pr)
{
    const char *v = eas_vcard_get_param(pr, "VALUE");
    return v ? strcasecmp(v, "text") == 0 : strchr(pr->value, ':') == NULL;
}

/* TEL and URL values may be "tel:" URIs or (in old cards) escaped text. */
static const char *tel_value(apr_pool_t *p, const eas_vcard_prop *pr)
{
    const char *v = eas_vcard_text(p, pr);
    return strncasecmp(v, "tel:", 4) == 0 ? v + 4 : v;
}

static const char *impp_value(apr_pool_t *p, const eas_vcard_prop *pr)
{
    const char *plain = eas_vcard_get_param(pr, "X-EAS-IM");
    if (plain && !strcasecmp(plain, "plain") && !strncasecmp(pr->value, "im:", 3)) {
        return apr_pstrdup(p, pr->value + 3);
    }
    return pr->value;
}

/* PHOTO as base64 when it is inline image data no larger than EAS allows; NULL otherwise. */
static const char *photo_value(apr_pool_t *p, const eas_vcard_prop *pr)
{
    const char *enc = eas_vcard_get_param(pr, "ENCODING"), *b64 = NULL, *clean;
    apr_ssize_t n;
    if (!strncasecmp(pr->value, "data:", 5)) {
        const char *comma = strchr(pr->value, ',');
        if (comma && comma - pr->value >= 7 && !strncasecmp(comma - 7, ";base64", 7)) {
            b64 = comma + 1;
        }
    } else if (enc && (!strcasecmp(enc, "b") || !strcasecmp(enc, "base64"))) {
        b64 = pr->value;
    }
    if (!b64 || (n = b64_check(p, b64, &clean)) <= 0 || n > EAS_PIM_PICTURE_MAX) {
        return NULL;
    }
    return clean;
}

/* Up to three EMAIL / IMPP properties by PREF (then order) into f[first..first+2]. */
static void take_ranked(apr_pool_t *p, const eas_vcard *c, const char *name, int first, contact *ct,
                        char *used)
{
    int idx[3], pref[3], n = 0, i, k;
    for (i = 0; i < c->props->nelts; ++i) {
        const eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, i, eas_vcard_prop *);
        int pf;
        if (!pr || strcmp(pr->name, name) != 0 || empty(pr->value)) {
            continue;
        }
        pf = eas_vcard_pref(pr);
        for (k = n; k > 0 && pref[k - 1] > pf; --k) {
            if (k < 3) {
                idx[k] = idx[k - 1], pref[k] = pref[k - 1];
            }
        }
        if (k < 3) {
            idx[k] = i, pref[k] = pf;
            n += n < 3;
        }
    }
    for (k = 0; k < n; ++k) {
        const eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, idx[k], eas_vcard_prop *);
        ct->f[first + k] = first == F_EMAIL1 ? eas_vcard_text(p, pr) : impp_value(p, pr);
        used[idx[k]] = U_FIELD;
    }
}

static void card_read(apr_pool_t *p, const eas_vcard *c, contact *ct, char *used)
{
    int i, j, s[5], ns;
    memset(ct, 0, sizeof(*ct));
    for (i = 0; i < c->props->nelts; ++i) {
        const eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, i, eas_vcard_prop *);
        const char *nm, **v;
        used[i] = U_NONE;
        if (!pr) {
            continue;
        }
        nm = pr->name;
        if (!strcmp(nm, "N") && !ct->has_n) {
            int n = eas_vcard_fields(p, pr->value, ';', &v);
            static const int order[] = {F_LAST, F_FIRST, F_MIDDLE, F_TITLE, F_SUFFIX};
            for (j = 0; j < n && j < 5; ++j) {
                ct->f[order[j]] = empty(v[j]) ? NULL : v[j];
            }
            ct->has_n = used[i] = U_FIELD;
        } else if (!strcmp(nm, "FN") && !ct->fn) {
            ct->fn = eas_vcard_text(p, pr);
        } else if (!strcmp(nm, "ORG") && !ct->f[F_COMPANY] && !ct->f[F_DEPARTMENT]) {
            int n = eas_vcard_fields(p, pr->value, ';', &v);
            ct->f[F_COMPANY] = empty(v[0]) ? NULL : v[0];
            ct->f[F_DEPARTMENT] = n > 1 && !empty(v[1]) ? v[1] : NULL;
            used[i] = U_FIELD;
        } else if (!strcmp(nm, "TITLE") && !ct->f[F_JOBTITLE]) {
            ct->f[F_JOBTITLE] = eas_vcard_text(p, pr);
            used[i] = U_FIELD;
        } else if (!strcmp(nm, "TEL")) {
            ns = tel_slots(pr, s);
            for (j = 0; j < ns && ct->f[s[j]]; ++j) {
            }
            if (j < ns && !empty(pr->value)) {
                ct->f[s[j]] = tel_value(p, pr);
                used[i] = U_FIELD;
            }
        } else if (!strcmp(nm, "ADR")) {
            int n = eas_vcard_fields(p, pr->value, ';', &v), k;
            ns = adr_slots(pr, s);
            for (j = 0; j < ns && (ct->f[s[j]] || ct->f[s[j] + 1] || ct->f[s[j] + 2] ||
                                   ct->f[s[j] + 3] || ct->f[s[j] + 4]);
                 ++j) {
            }
            if (j < ns) {
                /* a PO box or extended address (imports) goes before the street */
                const char *street = n > 2 ? v[2] : "";
                if (n > 1 && !empty(v[1])) {
                    street = *street ? apr_pstrcat(p, v[1], "\n", street, NULL) : v[1];
                }
                if (!empty(v[0])) {
                    street = *street ? apr_pstrcat(p, v[0], "\n", street, NULL) : v[0];
                }
                ct->f[s[j]] = *street ? street : NULL;
                for (k = 3; k < 7; ++k) {
                    ct->f[s[j] + k - 2] = n > k && !empty(v[k]) ? v[k] : NULL;
                }
                used[i] = U_FIELD;
            }
        } else if (!strcmp(nm, "URL") && !ct->f[F_WEBPAGE]) {
            ct->f[F_WEBPAGE] = eas_vcard_text(p, pr);
            used[i] = U_FIELD;
        } else if ((!strcmp(nm, "BDAY") && !ct->f[F_BIRTHDAY]) ||
                   (!strcmp(nm, "ANNIVERSARY") && !ct->f[F_ANNIVERSARY])) {
            const char *d = date_from_card(p, pr);
            if (d) {
                ct->f[nm[0] == 'B' ? F_BIRTHDAY : F_ANNIVERSARY] = d;
                used[i] = U_FIELD;
            }
        } else if (!strcmp(nm, "RELATED") && related_text(pr)) {
            if (eas_vcard_has_type(pr, "child")) {
                if (!ct->kids) {
                    ct->kids = apr_array_make(p, 4, sizeof(const char *));
                }
                APR_ARRAY_PUSH(ct->kids, const char *) = eas_vcard_text(p, pr);
                used[i] = U_FIELD;
            }
            for (j = 0; j < (int)(sizeof(relateds) / sizeof(relateds[0])); ++j) {
                if (eas_vcard_has_type(pr, relateds[j].type) && !ct->f[relateds[j].f]) {
                    ct->f[relateds[j].f] = eas_vcard_text(p, pr);
                    used[i] = U_FIELD;
                    break;
                }
            }
        } else if (!strcmp(nm, "CATEGORIES")) {
            int n = eas_vcard_fields(p, pr->value, ',', &v);
            if (!ct->cats) {
                ct->cats = apr_array_make(p, 4, sizeof(const char *));
            }
            for (j = 0; j < n; ++j) {
                if (!empty(v[j])) {
                    APR_ARRAY_PUSH(ct->cats, const char *) = v[j];
                }
            }
            used[i] = U_FIELD;
        } else if (!strcmp(nm, "PHOTO") && !ct->f[F_PICTURE]) {
            if ((ct->f[F_PICTURE] = photo_value(p, pr)) != NULL) {
                used[i] = U_FIELD;
            }
        } else if (!strcmp(nm, "NOTE") && !ct->note) {
            ct->note = eas_vcard_text(p, pr);
            used[i] = U_BODY;
        } else if (!strcmp(nm, "X-EAS-BODY-HTML") && !ct->html) {
            ct->html = eas_vcard_text(p, pr);
            used[i] = U_BODY;
        } else if (!strcmp(nm, "NICKNAME") && !ct->f[F_NICK]) {
            ct->f[F_NICK] = eas_vcard_text(p, pr);
            used[i] = U_FIELD;
        } else {
            for (j = 0; xprops[j].prop; ++j) {
                if (!strcmp(nm, xprops[j].prop) && !ct->f[xprops[j].f]) {
                    ct->f[xprops[j].f] = eas_vcard_text(p, pr);
                    used[i] = U_FIELD;
                }
            }
        }
    }
    take_ranked(p, c, "EMAIL", F_EMAIL1, ct, used);
    take_ranked(p, c, "IMPP", F_IM1, ct, used);
    for (i = 0; i < F_COUNT; ++i) {
        if (empty(ct->f[i])) {
            ct->f[i] = NULL;
        }
    }
}

/* FN: the name as written (Title First Middle Last Suffix), else what else names the contact. */
static const char *make_fn(apr_pool_t *p, const contact *ct)
{
    static const int parts[] = {F_TITLE, F_FIRST, F_MIDDLE, F_LAST, F_SUFFIX};
    static const int others[] = {F_FILEAS, F_COMPANY, F_NICK, F_EMAIL1};
    const char *fn = "";
    size_t i;
    for (i = 0; i < sizeof(parts) / sizeof(parts[0]); ++i) {
        if (ct->f[parts[i]]) {
            fn = *fn ? apr_pstrcat(p, fn, " ", ct->f[parts[i]], NULL) : ct->f[parts[i]];
        }
    }
    for (i = 0; !*fn && i < sizeof(others) / sizeof(others[0]); ++i) {
        if (ct->f[others[i]]) {
            fn = ct->f[others[i]];
        }
    }
    return fn;
}

/* ---- contact → the card --------------------------------------------------------------------- */

static const char *uri_safe(apr_pool_t *p, const char *v)
{
    char *s = apr_pstrdup(p, v), *o;
    for (o = s; *o; ++o) {
        if (*o == '\r' || *o == '\n') {
            *o = ' ';
        }
    }
    return s;
}

static int has_scheme(const char *v)
{
    const char *s = v;
    if (!isalpha((unsigned char)*s)) {
        return 0;
    }
    while (isalnum((unsigned char)*s) || *s == '+' || *s == '-' || *s == '.') {
        ++s;
    }
    return *s == ':';
}

static void card_write(apr_pool_t *p, eas_vcard *c, const contact *ct)
{
    const char *v[7];
    eas_vcard_prop *pr;
    int i, k;
    static const struct {
        int f;
        const char *type;
    } adrs[] = {{F_ADR_HOME, "home"}, {F_ADR_BUS, "work"}, {F_ADR_OTHER, "x-eas-other"}};

    eas_vcard_add_text(c, "FN", make_fn(p, ct));
    v[0] = ct->f[F_LAST], v[1] = ct->f[F_FIRST], v[2] = ct->f[F_MIDDLE], v[3] = ct->f[F_TITLE];
    v[4] = ct->f[F_SUFFIX];
    eas_vcard_add(c, "N", eas_vcard_join(p, v, 5, ';'));
    if (ct->f[F_NICK]) {
        eas_vcard_add_text(c, "NICKNAME", ct->f[F_NICK]);
    }
    if (ct->f[F_COMPANY] || ct->f[F_DEPARTMENT]) {
        v[0] = ct->f[F_COMPANY], v[1] = ct->f[F_DEPARTMENT];
        eas_vcard_add(c, "ORG", eas_vcard_join(p, v, ct->f[F_DEPARTMENT] ? 2 : 1, ';'));
    }
    if (ct->f[F_JOBTITLE]) {
        eas_vcard_add_text(c, "TITLE", ct->f[F_JOBTITLE]);
    }
    for (i = 0; i < 3; ++i) {
        if (ct->f[F_EMAIL1 + i]) {
            pr = eas_vcard_add_text(c, "EMAIL", ct->f[F_EMAIL1 + i]);
            eas_vcard_add_param(pr, "PREF", apr_itoa(p, i + 1));
        }
    }
    for (i = 0; i < (int)(sizeof(tels) / sizeof(tels[0])); ++i) {
        if (ct->f[tels[i].f]) {
            pr = eas_vcard_add_text(c, "TEL", ct->f[tels[i].f]);
            eas_vcard_add_param(pr, "TYPE", tels[i].types);
        }
    }
    for (i = 0; i < 3; ++i) {
        int f = adrs[i].f;
        if (!ct->f[f] && !ct->f[f + 1] && !ct->f[f + 2] && !ct->f[f + 3] && !ct->f[f + 4]) {
            continue;
        }
        v[0] = v[1] = NULL;
        for (k = 0; k < 5; ++k) {
            v[k + 2] = ct->f[f + k];
        }
        pr = eas_vcard_add(c, "ADR", eas_vcard_join(p, v, 7, ';'));
        eas_vcard_add_param(pr, "TYPE", adrs[i].type);
    }
    for (i = 0; i < 3; ++i) {
        const char *im = ct->f[F_IM1 + i];
        if (!im) {
            continue;
        }
        /* IMPP is a URI; a bare address gets RFC 3860 "im:", taken off again for devices */
        pr = eas_vcard_add(c, "IMPP",
                           uri_safe(p, has_scheme(im) ? im : apr_pstrcat(p, "im:", im, NULL)));
        eas_vcard_add_param(pr, "PREF", apr_itoa(p, i + 1));
        if (!has_scheme(im)) {
            eas_vcard_add_param(pr, "X-EAS-IM", "plain");
        }
    }
    if (ct->f[F_WEBPAGE]) {
        eas_vcard_add(c, "URL", uri_safe(p, ct->f[F_WEBPAGE]));
    }
    if (ct->f[F_BIRTHDAY]) {
        date_to_card(p, c, "BDAY", ct->f[F_BIRTHDAY]);
    }
    if (ct->f[F_ANNIVERSARY]) {
        date_to_card(p, c, "ANNIVERSARY", ct->f[F_ANNIVERSARY]);
    }
    for (i = 0; i < (int)(sizeof(relateds) / sizeof(relateds[0])); ++i) {
        if (ct->f[relateds[i].f]) {
            pr = eas_vcard_add_text(c, "RELATED", ct->f[relateds[i].f]);
            eas_vcard_add_param(pr, "TYPE", relateds[i].type);
            eas_vcard_add_param(pr, "VALUE", "text");
        }
    }
    for (i = 0; ct->kids && i < ct->kids->nelts; ++i) {
        pr = eas_vcard_add_text(c, "RELATED", APR_ARRAY_IDX(ct->kids, i, const char *));
        eas_vcard_add_param(pr, "TYPE", "child");
        eas_vcard_add_param(pr, "VALUE", "text");
    }
    if (ct->cats && ct->cats->nelts) {
        eas_vcard_add(c, "CATEGORIES",
                      eas_vcard_join(p, (const char *const *)ct->cats->elts, ct->cats->nelts, ','));
    }
    for (i = 0; xprops[i].prop; ++i) {
        if (ct->f[xprops[i].f]) {
            eas_vcard_add_text(c, xprops[i].prop, ct->f[xprops[i].f]);
        }
    }
    if (ct->f[F_PICTURE]) {
        eas_vcard_add(c, "PHOTO",
                      apr_pstrcat(p, "data:", image_type(p, ct->f[F_PICTURE]), ";base64,",
                                  ct->f[F_PICTURE], NULL));
    }
    if (ct->note) {
        eas_vcard_add_text(c, "NOTE", ct->note);
    }
    if (ct->html) {
        eas_vcard_add_text(c, "X-EAS-BODY-HTML", ct->html);
    }
}

/* REV (RFC 6350 6.7.4): when the card last changed. */
static void set_rev(apr_pool_t *p, eas_vcard *c)
{
    apr_time_exp_t e;
    int i;
    while (eas_vcard_get(c, "REV", &i)) {
        eas_vcard_remove(c, i);
    }
    apr_time_exp_gmt(&e, apr_time_now());
    eas_vcard_add(c, "REV",
                  apr_psprintf(p, "%04d%02d%02dT%02d%02d%02dZ", e.tm_year + 1900, e.tm_mon + 1,
                               e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec));
}

static void columns(apr_pool_t *p, eas_vcard *c, eas_pim_item *out)
{
    eas_vcard_prop *uid = eas_vcard_get(c, "UID", NULL),
                   *fa = eas_vcard_get(c, "X-EAS-FILEAS", NULL), *fn = eas_vcard_get(c, "FN", NULL);
    memset(out, 0, sizeof(*out));
    out->data = eas_vcard_write(p, c);
    out->pim_uid = uid ? eas_vcard_text(p, uid) : NULL;
    out->subject = fa && *fa->value ? eas_vcard_text(p, fa) : fn ? eas_vcard_text(p, fn) : "";
}

/* ---- the class --------------------------------------------------------------------------------
 */

static apr_array_header_t *xml_list(apr_pool_t *p, xmlNodePtr app, const char *list,
                                    const char *item)
{
    xmlNodePtr l = eas_xml_child(app, NS_C, list), n;
    apr_array_header_t *a;
    if (!l) {
        return NULL;
    }
    a = apr_array_make(p, 4, sizeof(const char *));
    for (n = eas_xml_child(l, NS_C, item); n; n = eas_xml_next(n)) {
        const char *t = node_text(p, n);
        if (*t) {
            APR_ARRAY_PUSH(a, const char *) = t;
        }
    }
    return a;
}

static int contact_from_eas(apr_pool_t *p, xmlNodePtr app, const char *old, int version,
                            eas_pim_item *out, const char **err)
{
    eas_vcard *c;
    contact ct;
    char *used = NULL;
    int i, is_html = 0, nold = 0;
    const char *body;
    ymd t;

    memset(&ct, 0, sizeof(ct));
    for (i = 0; i < F_COUNT; ++i) {
        xmlNodePtr n = eas_xml_child(app, fields[i].ns2 ? NS_C2 : NS_C, fields[i].name);
        const char *v = n ? node_text(p, n) : NULL;
        ct.f[i] = empty(v) ? NULL : v;
    }
    ct.cats = xml_list(p, app, "Categories", "Category");
    ct.kids = xml_list(p, app, "Children", "Child");
    if (ct.f[F_BIRTHDAY] && eas_date_in(ct.f[F_BIRTHDAY], &t) < 0) {
        *err = "invalid Birthday";
        return -1;
    }
    if (ct.f[F_ANNIVERSARY] && eas_date_in(ct.f[F_ANNIVERSARY], &t) < 0) {
        *err = "invalid Anniversary";
        return -1;
    }
    if (ct.f[F_PICTURE]) {
        apr_ssize_t n = b64_check(p, ct.f[F_PICTURE], &ct.f[F_PICTURE]);
        if (n < 0) {
            *err = "invalid Picture (not base64)";
            return -1;
        }
        if (n > EAS_PIM_PICTURE_MAX) {
            *err = "picture too large";
            return -1;
        }
        if (n == 0) {
            ct.f[F_PICTURE] = NULL;
        }
    }
    if (ct.f[F_RANK]) {
        char *end;
        (void)strtol(ct.f[F_RANK], &end, 10);
        if (*end) {
            ct.f[F_RANK] = NULL; /* xs:int; only a recipient cache sets it */
        }
    }
    body = eas_pim_body_in(p, app, &is_html);
    if (body && *body) {
        ct.note = is_html ? eas_vcard_html_text(p, body) : body;
        ct.html = is_html ? body : NULL;
    }

    if (old) {
        contact was;
        if (eas_vcard_parse(p, old, &c, err) < 0) {
            return -1;
        }
        nold = c->props->nelts;
        used = apr_pcalloc(p, (apr_size_t)nold + 1);
        card_read(p, c, &was, used);
        for (i = 0; i < nold; ++i) {
            const eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, i, eas_vcard_prop *);
            if (pr && (used[i] == U_FIELD || (used[i] == U_BODY && body) ||
                       !strcmp(pr->name, "FN") || !strcmp(pr->name, "N"))) {
                eas_vcard_remove(c, i);
            }
        }
    } else {
        c = eas_vcard_new(p);
    }
    if (!eas_vcard_get(c, "UID", NULL)) {
        eas_vcard_add(c, "UID", eas_pim_new_uid(p));
    }
    card_write(p, c, &ct);
    set_rev(p, c);
    columns(p, c, out);
    return 0;
}

static int contact_to_eas(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *data,
                          const eas_body_opts *o, int version, const char **err)
{
    eas_vcard *c;
    contact ct;
    xmlNsPtr ns, ns2;
    char *used;
    int i;
    if (eas_vcard_parse(p, data, &c, err) < 0) {
        return -1;
    }
    used = apr_pcalloc(p, (apr_size_t)c->props->nelts + 1);
    card_read(p, c, &ct, used);
    if (!ct.f[F_FILEAS] && !ct.has_n && !empty(ct.fn)) {
        ct.f[F_FILEAS] = ct.fn; /* a card with only FN (vCard 4 allows that) still has a name */
    }
    ns = eas_xml_ns(doc, NS_C);
    ns2 = NULL;
    for (i = 0; i < F_COUNT; ++i) {
        if (!ct.f[i] || version < fields[i].minver) {
            continue;
        }
        if (fields[i].ns2 && !ns2) {
            ns2 = eas_xml_ns(doc, NS_C2);
        }
        eas_xml_add(app, fields[i].ns2 ? ns2 : ns, fields[i].name, ct.f[i]);
    }
    if (ct.cats && ct.cats->nelts) {
        xmlNodePtr l = eas_xml_add(app, ns, "Categories", NULL);
        for (i = 0; i < ct.cats->nelts && i < 300; ++i) {
            eas_xml_add(l, ns, "Category", APR_ARRAY_IDX(ct.cats, i, const char *));
        }
    }
    if (ct.kids && ct.kids->nelts) {
        xmlNodePtr l = eas_xml_add(app, ns, "Children", NULL);
        for (i = 0; i < ct.kids->nelts && i < 300; ++i) {
            eas_xml_add(l, ns, "Child", APR_ARRAY_IDX(ct.kids, i, const char *));
        }
    }
    eas_pim_body_out(p, doc, app, ct.note, ct.html, o);
    return 0;
}

/* TYPE=a;TYPE=b (vCard 3) → one TYPE=a,b; vCard 3's TYPE=pref → PREF=1 (RFC 6350 5.3). */
static void merge_types(apr_pool_t *p, eas_vcard_prop *pr)
{
    const char *list = "";
    int i, pref = 0, ntypes = 0;
    for (i = 0; i < pr->params->nelts; ++i) {
        const eas_vcard_param *pa = &APR_ARRAY_IDX(pr->params, i, eas_vcard_param);
        char *v, *save = NULL, *t;
        if (strcmp(pa->name, "TYPE") != 0) {
            continue;
        }
        ++ntypes;
        v = apr_pstrdup(p, pa->value);
        for (t = apr_strtok(v, ",", &save); t; t = apr_strtok(NULL, ",", &save)) {
            if (!strcasecmp(t, "pref")) {
                pref = 1;
            } else {
                list = *list ? apr_pstrcat(p, list, ",", t, NULL) : t;
            }
        }
    }
    if (!ntypes) {
        return;
    }
    eas_vcard_del_param(pr, "TYPE");
    if (*list) {
        eas_vcard_add_param(pr, "TYPE", list);
    }
    if (pref && !eas_vcard_get_param(pr, "PREF")) {
        eas_vcard_add_param(pr, "PREF", "1");
    }
}

/* vCard 3.0 / 2.1 spellings → vCard 4 (PHOTO data URI, PREF, basic-format dates). */
static void normalise(apr_pool_t *p, eas_vcard *c)
{
    int i;
    for (i = 0; i < c->props->nelts; ++i) {
        eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, i, eas_vcard_prop *);
        const char *enc;
        ymd d;
        if (!pr) {
            continue;
        }
        enc = eas_vcard_get_param(pr, "ENCODING");
        if (!strcmp(pr->name, "PHOTO") && enc &&
            (!strcasecmp(enc, "b") || !strcasecmp(enc, "base64"))) {
            const char *clean;
            if (b64_check(p, pr->value, &clean) >= 0) {
                pr->value = apr_pstrcat(p, "data:", image_type(p, clean), ";base64,", clean, NULL);
                eas_vcard_del_param(pr, "ENCODING");
                eas_vcard_del_param(pr, "TYPE");
            }
        }
        merge_types(p, pr);
        if ((!strcmp(pr->name, "BDAY") || !strcmp(pr->name, "ANNIVERSARY")) &&
            strlen(pr->value) == 10 && vcard_date_in(pr->value, &d) == 0) {
            pr->value = apr_psprintf(p, "%04d%02d%02d", d.y, d.mo, d.d);
        }
        if ((!strcmp(pr->name, "X-ANNIVERSARY") || !strcmp(pr->name, "X-MS-ANNIVERSARY") ||
             !strcmp(pr->name, "X-EVOLUTION-ANNIVERSARY")) &&
            !eas_vcard_get(c, "ANNIVERSARY", NULL) && vcard_date_in(pr->value, &d) == 0) {
            pr->name = "ANNIVERSARY";
            pr->value = apr_psprintf(p, "%04d%02d%02d", d.y, d.mo, d.d);
        }
    }
}

static int contact_parse(apr_pool_t *p, const char *text, eas_pim_item *out, const char **err)
{
    eas_vcard *c;
    if (eas_vcard_parse(p, text, &c, err) < 0) {
        return -1;
    }
    normalise(p, c);
    if (!eas_vcard_get(c, "UID", NULL)) {
        eas_vcard_add(c, "UID", eas_pim_new_uid(p));
    }
    if (!eas_vcard_get(c, "FN", NULL)) {
        contact ct;
        char *used = apr_pcalloc(p, (apr_size_t)c->props->nelts + 1);
        card_read(p, c, &ct, used);
        eas_vcard_add_text(c, "FN", make_fn(p, &ct));
    }
    columns(p, c, out);
    return 0;
}

static const char *contact_join(apr_pool_t *p, const apr_array_header_t *items)
{
    int i;
    const char *s = "";
    apr_size_t n = 0;
    char *out, *o;
    for (i = 0; i < items->nelts; ++i) {
        n += strlen(APR_ARRAY_IDX(items, i, const char *)) + 2;
    }
    o = out = apr_palloc(p, n + 1);
    for (i = 0; i < items->nelts; ++i) {
        s = APR_ARRAY_IDX(items, i, const char *);
        n = strlen(s);
        memcpy(o, s, n);
        o += n;
        if (n && s[n - 1] != '\n') {
            memcpy(o, "\r\n", 2); /* the next BEGIN:VCARD on a line of its own */
            o += 2;
        }
    }
    *o = '\0';
    return out;
}

const eas_pim_class eas_pim_contacts = {"Contacts",       "text/vcard",   "vcf",
                                        contact_from_eas, contact_to_eas, contact_parse,
                                        eas_vcard_split,  contact_join};
