/* eas_itip.c — iTIP over iMIP (see eas_itip.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_lib.h>
#include <apr_strings.h>

#include "eas_cal.h"
#include "eas_itip.h"
#include "eas_mime.h"
#include "eas_user.h"

static int fail(const char **err, const char *msg)
{
    if (err) {
        *err = msg;
    }
    return -1;
}

static apr_time_t utc_time(struct icaltimetype tt)
{
    if (icaltime_is_null_time(tt)) {
        return 0;
    }
    return (apr_time_t)icaltime_as_timet_with_zone(tt, icaltimezone_get_utc_timezone()) *
           APR_USEC_PER_SEC;
}

const char *eas_itip_address(apr_pool_t *p, icalproperty *prop)
{
    const char *a = prop ? icalproperty_get_value_as_string(prop) : NULL;
    if (!a) {
        return NULL;
    }
    if (strncasecmp(a, "mailto:", 7) == 0) {
        a += 7;
    }
    return *a ? apr_pstrdup(p, a) : NULL;
}

static int parse(apr_pool_t *p, const char *ics, const char *dflt, eas_itip *out, const char **err)
{
    icalcomponent *ev;
    icalproperty *prop;

    memset(out, 0, sizeof(*out));
    out->cal = ics ? icalparser_parse_string(ics) : NULL;
    if (!out->cal) {
        return fail(err, "not iCalendar data");
    }
    eas_pim_own_component(p, out->cal);
    if (icalcomponent_isa(out->cal) != ICAL_VCALENDAR_COMPONENT) {
        return fail(err, "not a VCALENDAR");
    }
    prop = icalcomponent_get_first_property(out->cal, ICAL_METHOD_PROPERTY);
    if (!prop && !dflt) {
        return fail(err, "no METHOD");
    }
    out->method = apr_pstrdup(p, prop ? icalproperty_get_value_as_string(prop) : dflt);
    {
        char *m;
        for (m = (char *)out->method; *m; ++m) {
            *m = (char)apr_toupper(*m);
        }
    }
    for (ev = icalcomponent_get_first_component(out->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(out->cal, ICAL_VEVENT_COMPONENT)) {
        if (!out->event || !icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY)) {
            if (!out->event ||
                icalcomponent_get_first_property(out->event, ICAL_RECURRENCEID_PROPERTY)) {
                out->event = ev;
            }
        }
    }
    if (!out->event) {
        return fail(err, "no VEVENT");
    }
    prop = icalcomponent_get_first_property(out->event, ICAL_UID_PROPERTY);
    if (!prop || !icalproperty_get_uid(prop) || !*icalproperty_get_uid(prop)) {
        return fail(err, "VEVENT without UID");
    }
    out->uid = apr_pstrdup(p, icalproperty_get_uid(prop));
    prop = icalcomponent_get_first_property(out->event, ICAL_SEQUENCE_PROPERTY);
    out->sequence = prop ? icalproperty_get_sequence(prop) : 0;
    prop = icalcomponent_get_first_property(out->event, ICAL_DTSTAMP_PROPERTY);
    out->dtstamp = prop ? utc_time(icalproperty_get_dtstamp(prop)) : 0;
    out->organizer =
        eas_itip_address(p, icalcomponent_get_first_property(out->event, ICAL_ORGANIZER_PROPERTY));
    prop = icalcomponent_get_first_property(out->event, ICAL_SUMMARY_PROPERTY);
    out->summary = prop && icalproperty_get_summary(prop)
                       ? apr_pstrdup(p, icalproperty_get_summary(prop))
                       : "";
    return 0;
}

int eas_itip_parse(apr_pool_t *p, const char *ics, eas_itip *out, const char **err)
{
    return parse(p, ics, NULL, out, err);
}

int eas_itip_from_stored(apr_pool_t *p, const char *ics, eas_itip *out, const char **err)
{
    return parse(p, ics, "REQUEST", out, err);
}

int eas_itip_from_mime(apr_pool_t *p, const char *mime, apr_size_t len, eas_itip *out)
{
    const char *method = NULL, *text = NULL;
    memset(out, 0, sizeof(*out));
    if (!mime || eas_mime_calendar(p, mime, len, &method, &text) != 0) {
        return 1;
    }
    return eas_itip_parse(p, text, out, NULL) == 0 ? 0 : 1;
}

icalproperty *eas_itip_attendee_of(icalcomponent *ev, const eas_user_info *u)
{
    icalproperty *prop;
    for (prop = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); prop;
         prop = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
        const char *a = icalproperty_get_value_as_string(prop);
        if (a && strncasecmp(a, "mailto:", 7) == 0) {
            a += 7;
        }
        if (a && eas_user_owns_address(u, a)) {
            return prop;
        }
    }
    return NULL;
}

/* ---- GlobalObjId ------------------------------------------------------------------------------
 */

static const unsigned char outlook_class[16] = {0x04, 0x00, 0x00, 0x00, 0x82, 0x00, 0xE0, 0x00,
                                                0x74, 0xC5, 0xB7, 0x10, 0x1A, 0x82, 0xE0, 0x08};

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = apr_tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

const char *eas_itip_global_obj_id(apr_pool_t *p, const char *uid)
{
    apr_size_t n = strlen(uid), i, total;
    unsigned char *b;
    char *out;

    /* an Outlook UID is the hex of the GlobalObjId itself */
    if (n >= 32 && n % 2 == 0 && strncasecmp(uid, "040000008200E00074C5B7101A82E008", 32) == 0) {
        b = apr_palloc(p, n / 2);
        for (i = 0; i < n / 2; ++i) {
            int hi = hexval(uid[2 * i]), lo = hexval(uid[2 * i + 1]);
            if (hi < 0 || lo < 0) {
                break;
            }
            b[i] = (unsigned char)(hi << 4 | lo);
        }
        if (i == n / 2) {
            total = n / 2;
            goto encode;
        }
    }
    /* CLASSID, INSTDATE 0, NOW 0, 8 zero bytes, BYTECOUNT (LE), "vCal-Uid", 1, UID, NUL */
    total = 40 + 12 + n + 1;
    b = apr_pcalloc(p, total);
    memcpy(b, outlook_class, 16);
    {
        apr_size_t count = 12 + n + 1;
        b[36] = (unsigned char)(count & 0xff);
        b[37] = (unsigned char)((count >> 8) & 0xff);
        b[38] = (unsigned char)((count >> 16) & 0xff);
        b[39] = (unsigned char)((count >> 24) & 0xff);
    }
    memcpy(b + 40, "vCal-Uid", 8);
    b[48] = 1;
    memcpy(b + 52, uid, n);
encode:
    out = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)total));
    apr_base64_encode_binary(out, b, (int)total);
    return out;
}

/* ---- the attendee's calendar --------------------------------------------------------------- */

static const icalparameter_partstat partstat_of[] = {
    ICAL_PARTSTAT_NEEDSACTION, ICAL_PARTSTAT_ACCEPTED, ICAL_PARTSTAT_TENTATIVE,
    ICAL_PARTSTAT_DECLINED};
/* ResponseType (MS-ASCAL 2.2.2.38): 5 not responded, 3 accepted, 2 tentative, 4 declined */
static const char *const response_type_of[] = {"5", "3", "2", "4"};
static const char *const busy_of[] = {"TENTATIVE", "BUSY", "TENTATIVE", "FREE"};

static void set_x(icalcomponent *ev, const char *name, const char *value)
{
    eas_cal_x_set(ev, name, value);
}

static void set_partstat(icalproperty *att, icalparameter_partstat ps)
{
    icalproperty_remove_parameter_by_kind(att, ICAL_PARTSTAT_PARAMETER);
    icalproperty_remove_parameter_by_name(att, "X-EAS-ATTENDEESTATUS");
    icalproperty_add_parameter(att, icalparameter_new_partstat(ps));
}

static int reparse(apr_pool_t *p, icalcomponent *cal, eas_pim_item *out, const char **err)
{
    char *text = icalcomponent_as_ical_string_r(cal);
    const char *copy = apr_pstrdup(p, text);
    free(text);
    return eas_pim_calendar.parse(p, copy, out, err);
}

int eas_itip_to_calendar(apr_pool_t *p, const eas_itip *it, const eas_user_info *u, int answer,
                         int cancelled, eas_pim_item *out, const char **err)
{
    icalcomponent *cal = icalcomponent_new_clone(it->cal), *ev;
    icalproperty *prop;

    eas_pim_own_component(p, cal);
    if (answer < 0 || answer > 3) {
        answer = EAS_ITIP_NONE;
    }
    while ((prop = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY))) {
        icalcomponent_remove_property(cal, prop);
        icalproperty_free(prop);
    }
    for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *att = u ? eas_itip_attendee_of(ev, u) : NULL;
        if (att) {
            set_partstat(att, partstat_of[answer]);
            icalproperty_remove_parameter_by_kind(att, ICAL_RSVP_PARAMETER);
        }
        set_x(ev, "X-EAS-MEETINGSTATUS", cancelled ? "7" : "3");
        set_x(ev, "X-EAS-RESPONSETYPE", response_type_of[answer]);
        set_x(ev, "X-EAS-RESPONSEREQUESTED", "1");
        eas_cal_remove(ev, "STATUS");
        if (cancelled) {
            icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_CANCELLED));
        }
        /* the organizer's intended status wins once accepted (an OOF meeting stays OOF) */
        {
            const char *intended = eas_cal_x_get(ev, "X-MICROSOFT-CDO-INTENDEDSTATUS");
            const char *busy = busy_of[answer];
            if (answer == EAS_ITIP_ACCEPT && intended) {
                busy = intended;
            }
            eas_cal_remove(ev, "TRANSP");
            icalcomponent_add_property(ev, icalproperty_new_transp(strcasecmp(busy, "FREE") == 0
                                                                       ? ICAL_TRANSP_TRANSPARENT
                                                                       : ICAL_TRANSP_OPAQUE));
            set_x(ev, "X-MICROSOFT-CDO-BUSYSTATUS", busy);
        }
        eas_cal_x_set(ev, "X-EAS-APPOINTMENTREPLYTIME",
                      answer != EAS_ITIP_NONE ? eas_cal_date_out(p, apr_time_now(), 1) : NULL);
    }
    return reparse(p, cal, out, err);
}

int eas_itip_apply_reply(apr_pool_t *p, const char *stored, const eas_itip *reply,
                         eas_pim_item *out, const char **err)
{
    icalcomponent *cal = stored ? icalparser_parse_string(stored) : NULL, *ev;
    icalproperty *ratt = icalcomponent_get_first_property(reply->event, ICAL_ATTENDEE_PROPERTY);
    icalparameter *rps =
        ratt ? icalproperty_get_first_parameter(ratt, ICAL_PARTSTAT_PARAMETER) : NULL;
    const char *who = eas_itip_address(p, ratt);
    int found = 0;

    if (!cal) {
        return fail(err, "stored event is not iCalendar data");
    }
    eas_pim_own_component(p, cal);
    if (!who || !rps) {
        return 1;
    }
    for (ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *att;
        for (att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); att;
             att = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
            const char *a = eas_itip_address(p, att);
            if (a && strcasecmp(a, who) == 0) {
                set_partstat(att, icalparameter_get_partstat(rps));
                icalproperty_remove_parameter_by_kind(att, ICAL_RSVP_PARAMETER);
                found = 1;
            }
        }
    }
    if (!found) {
        return 1;
    }
    return reparse(p, cal, out, err);
}

/* ---- the REPLY ------------------------------------------------------------------------------ */

static void copy_prop(icalcomponent *to, icalcomponent *from, icalproperty_kind kind)
{
    icalproperty *prop = icalcomponent_get_first_property(from, kind);
    if (prop) {
        icalcomponent_add_property(to, icalproperty_new_clone(prop));
    }
}

const char *eas_itip_reply(apr_pool_t *p, const eas_itip *it, const char *attendee,
                           const char *name, int answer)
{
    icalcomponent *cal = icalcomponent_new_vcalendar(), *ev = icalcomponent_new_vevent(), *vtz;
    icalproperty *att;
    struct icaltimetype now = icaltime_current_time_with_zone(icaltimezone_get_utc_timezone());
    char *text;
    const char *r;

    eas_pim_own_component(p, cal);
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//mod_eas//Calendar//EN"));
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_REPLY));
    /* the zones the copied times name */
    for (vtz = icalcomponent_get_first_component(it->cal, ICAL_VTIMEZONE_COMPONENT); vtz;
         vtz = icalcomponent_get_next_component(it->cal, ICAL_VTIMEZONE_COMPONENT)) {
        icalcomponent_add_component(cal, icalcomponent_new_clone(vtz));
    }
    icalcomponent_add_property(ev, icalproperty_new_uid(it->uid));
    copy_prop(ev, it->event, ICAL_SEQUENCE_PROPERTY);
    copy_prop(ev, it->event, ICAL_RECURRENCEID_PROPERTY);
    copy_prop(ev, it->event, ICAL_DTSTART_PROPERTY);
    copy_prop(ev, it->event, ICAL_DTEND_PROPERTY);
    copy_prop(ev, it->event, ICAL_DURATION_PROPERTY);
    copy_prop(ev, it->event, ICAL_SUMMARY_PROPERTY);
    copy_prop(ev, it->event, ICAL_ORGANIZER_PROPERTY);
    icalcomponent_add_property(ev, icalproperty_new_dtstamp(now));
    att = icalproperty_new_attendee(apr_pstrcat(p, "mailto:", attendee, NULL));
    if (name && *name) {
        icalproperty_add_parameter(att, icalparameter_new_cn(name));
    }
    icalproperty_add_parameter(
        att, icalparameter_new_partstat(partstat_of[answer >= 1 && answer <= 3 ? answer : 0]));
    icalcomponent_add_property(ev, att);
    icalcomponent_add_component(cal, ev);
    text = icalcomponent_as_ical_string_r(cal);
    r = apr_pstrdup(p, text);
    free(text);
    return r;
}

/* RFC 2047 encoded-word when the text is not plain ASCII. */
static const char *header_text(apr_pool_t *p, const char *s)
{
    const unsigned char *c;
    for (c = (const unsigned char *)s; *c; ++c) {
        if (*c >= 0x80 || *c < 0x20) {
            return apr_pstrcat(p, "=?utf-8?B?", eas_base64(p, s, strlen(s)), "?=", NULL);
        }
    }
    return s;
}

/* CRLF line ends for the wire. */
static const char *crlf(apr_pool_t *p, const char *s)
{
    apr_size_t n = strlen(s), i, j = 0;
    char *o = apr_palloc(p, 2 * n + 1);
    for (i = 0; i < n; ++i) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) {
            o[j++] = '\r';
        }
        o[j++] = s[i];
    }
    o[j] = '\0';
    return o;
}

const char *eas_itip_reply_mime(apr_pool_t *p, const char *from, const char *from_name,
                                const char *to, const eas_itip *it, int answer, const char *ics,
                                apr_size_t *len)
{
    static const char *const verb[] = {"Response", "Accepted", "Tentative", "Declined"};
    static const char *const said[] = {"has responded to", "has accepted",
                                       "has tentatively accepted", "has declined"};
    int a = answer >= 1 && answer <= 3 ? answer : 0;
    const char *who = from_name && *from_name ? from_name : from;
    const char *boundary = apr_psprintf(p, "=_itip_%s", eas_pim_new_uid(p));
    const char *subject = apr_pstrcat(p, verb[a], ": ", it->summary, NULL);
    const char *m = apr_pstrcat(
        p, "From: ",
        from_name && *from_name ? apr_pstrcat(p, header_text(p, from_name), " <", from, ">", NULL)
                                : from,
        "\nTo: ", to, "\nSubject: ", header_text(p, subject),
        "\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"", boundary,
        "\"\n\n--", boundary,
        "\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n", who, " ",
        said[a], " the invitation \"", it->summary, "\".\n\n--", boundary,
        "\nContent-Type: text/calendar; charset=utf-8; method=REPLY\n"
        "Content-Transfer-Encoding: 8bit\n\n",
        ics, "\n--", boundary, "--\n", NULL);
    m = crlf(p, m);
    *len = strlen(m);
    return m;
}

/* ---- message class ------------------------------------------------------------------------ */

const char *eas_itip_message_class(const char *method, const char *ics)
{
    if (!method) {
        return NULL;
    }
    if (strcasecmp(method, "REQUEST") == 0) {
        return "IPM.Schedule.Meeting.Request";
    }
    if (strcasecmp(method, "CANCEL") == 0) {
        return "IPM.Schedule.Meeting.Canceled";
    }
    if (strcasecmp(method, "REPLY") == 0) {
        /* the one ATTENDEE of a reply says what it is */
        const char *ps = ics ? strstr(ics, "PARTSTAT=") : NULL;
        if (ps && strncasecmp(ps + 9, "ACCEPTED", 8) == 0) {
            return "IPM.Schedule.Meeting.Resp.Pos";
        }
        if (ps && strncasecmp(ps + 9, "TENTATIVE", 9) == 0) {
            return "IPM.Schedule.Meeting.Resp.Tent";
        }
        if (ps && strncasecmp(ps + 9, "DECLINED", 8) == 0) {
            return "IPM.Schedule.Meeting.Resp.Neg";
        }
        return "IPM.Schedule.Meeting.Resp";
    }
    return NULL;
}
