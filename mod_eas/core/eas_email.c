/* eas_email.c — Email items as EAS XML (see eas_email.h). */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "eas_cal.h"
#include "eas_email.h"
#include "eas_itip.h"
#include "eas_mime.h"
#include "eas_recur.h"
#include "eas_tz.h"
#include "eas_xml.h"

#define NS_EMAIL  "Email:"
#define NS_EMAIL2 "Email2:"
#define NS_BASE   "AirSyncBase:"
#define NS_TASKS  "Tasks:"

void eas_body_opts_init(eas_body_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->mime_trunc = -1;
    o->conflict = 1;
    o->deletes_as_moves = 1;
    o->get_changes = 1;
    o->window = 100;
}

static apr_int64_t int_text(xmlNodePtr parent, const char *ns, const char *name, apr_int64_t dflt)
{
    const char *t = eas_xml_child_text(parent, ns, name);
    return t && *t ? apr_atoi64(t) : dflt;
}

/* MIMETruncation 0..8 (MS-ASCMD 2.2.3.109): 0 = everything cut (header only), 8 = none. */
static apr_int64_t mime_trunc_bytes(int v)
{
    static const apr_int64_t sizes[] = {0, 4096, 5120, 7168, 10240, 20480, 51200, 102400};
    return v >= 0 && v < 8 ? sizes[v] : -1;
}

void eas_body_opts_parse(eas_body_opts *o, xmlNodePtr options, int version)
{
    xmlNodePtr bp;
    if (!options) {
        return;
    }
    o->filter_type = (int)int_text(options, "AirSync:", "FilterType", o->filter_type);
    o->conflict = (int)int_text(options, "AirSync:", "Conflict", o->conflict);
    o->mime_support = (int)int_text(options, "AirSync:", "MIMESupport", o->mime_support);
    if (eas_xml_child(options, "AirSync:", "MIMETruncation")) {
        o->mime_trunc = mime_trunc_bytes((int)int_text(options, "AirSync:", "MIMETruncation", 8));
    }
    for (bp = eas_xml_child(options, NS_BASE, "BodyPreference"); bp && o->nprefs < 8;
         bp = eas_xml_next(bp)) {
        eas_body_pref *pr = &o->prefs[o->nprefs];
        pr->type = (int)int_text(bp, NS_BASE, "Type", 0);
        if (pr->type < 1 || pr->type > 4) {
            continue;
        }
        pr->trunc = int_text(bp, NS_BASE, "TruncationSize", -1);
        if (pr->trunc < 0 || pr->trunc > 0xffffffffLL) {
            pr->trunc = -1;
        }
        pr->all_or_none = (int)int_text(bp, NS_BASE, "AllOrNone", 0);
        pr->preview = version >= 140 ? (int)int_text(bp, NS_BASE, "Preview", 0) : 0;
        if (pr->preview < 0 || pr->preview > 255) {
            pr->preview = 255;
        }
        o->nprefs++;
    }
}

const char *eas_body_opts_save(apr_pool_t *p, const eas_body_opts *o)
{
    const char *out = apr_psprintf(p, "v1 %d %d %d %" APR_INT64_T_FMT " %d", o->filter_type,
                                   o->conflict, o->mime_support, o->mime_trunc, o->nprefs);
    int i;
    for (i = 0; i < o->nprefs; ++i) {
        out = apr_psprintf(p, "%s %d,%" APR_INT64_T_FMT ",%d,%d", out, o->prefs[i].type,
                           o->prefs[i].trunc, o->prefs[i].all_or_none, o->prefs[i].preview);
    }
    return out;
}

void eas_body_opts_load(eas_body_opts *o, const char *s)
{
    eas_body_opts t = *o;
    long long mt;
    int n = 0, i;
    if (!s ||
        sscanf(s, "v1 %d %d %d %lld %d%n", &t.filter_type, &t.conflict, &t.mime_support, &mt,
               &t.nprefs, &n) != 5 ||
        t.nprefs < 0 || t.nprefs > 8) {
        return;
    }
    t.mime_trunc = mt;
    s += n;
    for (i = 0; i < t.nprefs; ++i) {
        long long tr;
        int used = 0;
        if (sscanf(s, " %d,%lld,%d,%d%n", &t.prefs[i].type, &tr, &t.prefs[i].all_or_none,
                   &t.prefs[i].preview, &used) != 4) {
            return;
        }
        t.prefs[i].trunc = tr;
        s += used;
    }
    *o = t;
}

apr_time_t eas_filter_since(int filter_type, apr_time_t now)
{
    static const int days[] = {0, 1, 3, 7, 14, 31, 92, 183};
    if (filter_type == 8) {
        return 1; /* Tasks, incomplete only: completed tasks sort at the epoch (sql/006) */
    }
    if (filter_type <= 0 || filter_type > 7) {
        return 0;
    }
    return now - apr_time_from_sec((apr_time_t)days[filter_type] * 86400);
}

/* The body type served: the first preferred one this server can produce; MIME only with
 * MIMESupport (12.x semantics, also honoured by 14+ clients that ask for Type 4 directly). */
static const eas_body_pref *choose(const eas_body_opts *o, const char *message_class)
{
    static const eas_body_pref plain = {1, -1, 0, 0};
    int i;
    int smime = message_class && strncmp(message_class, "IPM.Note.SMIME", 14) == 0;
    for (i = 0; i < o->nprefs; ++i) {
        const eas_body_pref *pr = &o->prefs[i];
        if (pr->type == 4 && (o->mime_support == 2 || (o->mime_support == 1 && smime))) {
            return pr;
        }
    }
    for (i = 0; i < o->nprefs; ++i) {
        if (o->prefs[i].type == 1 || o->prefs[i].type == 2) {
            return &o->prefs[i];
        }
    }
    return &plain;
}

/* Widens a fetch limit: 0 = not needed, -1 = whole, else bytes. */
static void widen(apr_int64_t *cur, apr_int64_t n)
{
    if (*cur < 0 || n < 0) {
        *cur = -1;
    } else if (n > *cur) {
        *cur = n;
    }
}

void eas_body_fetch_spec(const eas_body_opts *o, eas_fetch_spec *spec)
{
    int i;
    memset(spec, 0, sizeof(*spec));
    spec->attachments = 1;
    if (o->nprefs == 0) {
        spec->text_max = -1;
        return;
    }
    /* which body an item gets can depend on the item (S/MIME, has HTML): fetch each candidate
     * up to what the most generous preference needs; AllOrNone needs the whole size check only,
     * but then the whole body when it fits, so whole it is */
    for (i = 0; i < o->nprefs; ++i) {
        const eas_body_pref *pr = &o->prefs[i];
        apr_int64_t n = pr->trunc < 0 || pr->all_or_none ? -1 : pr->trunc;
        if (pr->type == 4 && o->mime_support) {
            spec->mime_max = -1;
        }
        widen(&spec->text_max, n);
        if (pr->type == 2 || pr->type == 4) {
            widen(&spec->html_max, n);
        }
    }
}

const char *eas_date_text(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t e;
    apr_time_exp_gmt(&e, t);
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", e.tm_year + 1900, e.tm_mon + 1,
                        e.tm_mday, e.tm_hour, e.tm_min, e.tm_sec, e.tm_usec / 1000);
}

apr_time_t eas_date_parse(const char *s)
{
    apr_time_exp_t e;
    apr_time_t t;
    int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, n;
    if (!s) {
        return 0;
    }
    n = sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3d", &y, &mo, &d, &h, &mi, &sec, &ms);
    if (n < 3) {
        n = sscanf(s, "%4d%2d%2dT%2d%2d%2d", &y, &mo, &d, &h, &mi, &sec);
        if (n < 3) {
            return 0;
        }
    }
    if (y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
        sec > 60) {
        return 0;
    }
    memset(&e, 0, sizeof(e));
    e.tm_year = y - 1900;
    e.tm_mon = mo - 1;
    e.tm_mday = d;
    e.tm_hour = h;
    e.tm_min = mi;
    e.tm_sec = sec;
    if (apr_time_exp_gmt_get(&t, &e) != APR_SUCCESS) {
        return 0;
    }
    return t + (apr_time_t)ms * 1000;
}

static void add_if(xmlNodePtr app, xmlNsPtr ns, const char *name, const char *v)
{
    if (v && *v) {
        eas_xml_add(app, ns, name, v);
    }
}

const char *eas_base64(apr_pool_t *p, const char *data, apr_size_t len)
{
    char *out = apr_palloc(p, (apr_size_t)apr_base64_encode_len((int)len));
    apr_base64_encode(out, data, (int)len);
    return out;
}

void eas_body_element(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, int type, apr_int64_t full,
                      int truncated, const char *data, const char *preview)
{
    xmlNsPtr base = eas_xml_ns(doc, NS_BASE);
    xmlNodePtr body = eas_xml_add(app, base, "Body", NULL);
    eas_xml_add_int(body, base, "Type", type);
    eas_xml_add(body, base, "EstimatedDataSize", apr_psprintf(p, "%" APR_INT64_T_FMT, full));
    if (truncated) {
        eas_xml_add(body, base, "Truncated", "1");
    }
    if (data) {
        eas_xml_add(body, base, "Data", data);
    }
    if (preview) {
        eas_xml_add(body, base, "Preview", preview);
    }
}

static void add_body(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const eas_mail_item *it,
                     const eas_body_opts *o)
{
    const eas_body_pref *pr = choose(o, it->message_class);
    const char *data = NULL;
    apr_int64_t full = 0;
    int type = pr->type, truncated = 0;

    if (type == 4 && it->mime) {
        data = it->mime;
        full = (apr_int64_t)it->mime_len;
    } else if (type == 2 || type == 4) {
        type = 2;
        if (it->has_html) {
            data = it->html ? it->html : "";
            full = it->html_size;
        } else {
            data = eas_mime_text_to_html(p, it->text ? it->text : "");
            full = (apr_int64_t)strlen(data);
        }
    } else {
        type = 1;
        data = it->text ? it->text : "";
        full = it->text_size;
    }
    apr_int64_t limit = type == 4 && pr->trunc < 0 ? o->mime_trunc : pr->trunc;
    if (limit >= 0 && full > limit) {
        truncated = 1;
        if (pr->all_or_none) {
            data = NULL;
        } else if (type == 4) {
            data = apr_pstrndup(p, data, (apr_size_t)limit);
        } else {
            data = eas_mime_truncate(p, data, (apr_size_t)limit, NULL);
        }
    } else if (type != 4 && data && (apr_int64_t)strlen(data) < full) {
        /* the store cut it already (fetch limits); say so */
        truncated = 1;
    }
    eas_body_element(p, doc, app, type, full, truncated, data,
                     pr->preview > 0 && it->preview ? eas_mime_preview(p, it->preview, pr->preview)
                                                    : NULL);
}

static void add_attachments(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const eas_folder *f,
                            const eas_mail_item *it)
{
    xmlNsPtr base = eas_xml_ns(doc, NS_BASE);
    xmlNodePtr list;
    int i;
    if (!it->attachments || it->attachments->nelts == 0) {
        return;
    }
    list = eas_xml_add(app, base, "Attachments", NULL);
    for (i = 0; i < it->attachments->nelts; ++i) {
        const eas_attachment_ref *a = &APR_ARRAY_IDX(it->attachments, i, eas_attachment_ref);
        xmlNodePtr n = eas_xml_add(list, base, "Attachment", NULL);
        eas_xml_add(n, base, "DisplayName", a->filename);
        eas_xml_add(n, base, "FileReference",
                    apr_psprintf(p, "%s:%" APR_INT64_T_FMT ":%d", f->id, it->uid, a->idx));
        eas_xml_add(n, base, "Method",
                    a->content_type && strcmp(a->content_type, "message/rfc822") == 0 ? "5" : "1");
        eas_xml_add(n, base, "EstimatedDataSize", apr_psprintf(p, "%" APR_INT64_T_FMT, a->size));
        if (a->content_id) {
            eas_xml_add(n, base, "ContentId", a->content_id);
        }
        if (a->is_inline) {
            eas_xml_add(n, base, "IsInline", "1");
        }
    }
}

static void add_flag(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const eas_flags *fl)
{
    xmlNsPtr em = eas_xml_ns(doc, NS_EMAIL), tk;
    xmlNodePtr flag = eas_xml_add(app, em, "Flag", NULL);
    if (fl->flag_status == 0) {
        return; /* an empty Flag clears it on the device */
    }
    tk = eas_xml_ns(doc, NS_TASKS);
    eas_xml_add_int(flag, em, "Status", fl->flag_status);
    eas_xml_add(flag, em, "FlagType", fl->flag_type ? fl->flag_type : "for Follow Up");
    if (fl->flag_start) {
        eas_xml_add(flag, tk, "StartDate", eas_date_text(p, fl->flag_start));
        eas_xml_add(flag, tk, "UtcStartDate", eas_date_text(p, fl->flag_start));
    }
    if (fl->flag_due) {
        eas_xml_add(flag, tk, "DueDate", eas_date_text(p, fl->flag_due));
        eas_xml_add(flag, tk, "UtcDueDate", eas_date_text(p, fl->flag_due));
    }
    if (fl->flag_status == 1 && fl->flag_completed) {
        eas_xml_add(flag, em, "CompleteTime", eas_date_text(p, fl->flag_completed));
        eas_xml_add(flag, tk, "DateCompleted", eas_date_text(p, fl->flag_completed));
    }
}

/* ConversationIndex header: 5 bytes of the FILETIME of the first message (MS-ASEMAIL 2.2.2.15). */
static const char *conversation_index(apr_pool_t *p, apr_time_t received)
{
    unsigned long long ft = (unsigned long long)(received / 1000000 + 11644473600LL) * 10000000ULL;
    char raw[5];
    int i;
    for (i = 0; i < 5; ++i) {
        raw[i] = (char)((ft >> (56 - 8 * i)) & 0xff);
    }
    return eas_base64(p, raw, 5);
}

/* ---- MeetingRequest (MS-ASEMAIL 2.2.2.48) -------------------------------------------------- */

/* UTC instant of a DATE-TIME/DATE property; DATEs and floating times are read in zone. */
static apr_time_t prop_utc(apr_pool_t *p, icalcomponent *cal, icalproperty *prop,
                           icaltimezone *zone)
{
    struct icaltimetype tt = icalproperty_get_datetime_with_component(prop, NULL);
    icalparameter *tzp = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    icaltimezone *z = zone;
    if (icaltime_is_null_time(tt)) {
        return 0;
    }
    if (icaltime_is_utc(tt)) {
        z = icaltimezone_get_utc_timezone();
    } else if (tzp && icalparameter_get_tzid(tzp)) {
        z = eas_tz_resolve(p, cal, icalparameter_get_tzid(tzp));
    }
    tt.zone = NULL;
    return (apr_time_t)icaltime_as_timet_with_zone(tt, z ? z : icaltimezone_get_utc_timezone()) *
           APR_USEC_PER_SEC;
}

static const char *organizer_text(apr_pool_t *p, icalproperty *org)
{
    icalparameter *cn = icalproperty_get_first_parameter(org, ICAL_CN_PARAMETER);
    const char *a = eas_itip_address(p, org);
    if (!a) {
        return NULL;
    }
    if (cn && icalparameter_get_cn(cn) && *icalparameter_get_cn(cn)) {
        return apr_psprintf(p, "\"%s\" <%s>", icalparameter_get_cn(cn), a);
    }
    return a;
}

static int reminder_minutes(icalcomponent *ev)
{
    icalcomponent *a;
    for (a = icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT); a;
         a = icalcomponent_get_next_component(ev, ICAL_VALARM_COMPONENT)) {
        icalproperty *tp = icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
        struct icaltriggertype tr;
        int secs;
        if (!tp) {
            continue;
        }
        tr = icalproperty_get_trigger(tp);
        if (!icaltime_is_null_time(tr.time)) {
            continue;
        }
        secs = icaldurationtype_as_int(tr.duration);
        return secs < 0 ? (-secs + 59) / 60 : 0;
    }
    return -1;
}

static int busy_status(icalcomponent *ev)
{
    static const char *const names[] = {"FREE", "TENTATIVE", "BUSY", "OOF"};
    const char *x = eas_cal_x_get(ev, "X-MICROSOFT-CDO-INTENDEDSTATUS");
    icalproperty *tr = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
    int i;
    for (i = 0; x && i < 4; ++i) {
        if (strcasecmp(x, names[i]) == 0) {
            return i;
        }
    }
    return tr && icalproperty_get_transp(tr) == ICAL_TRANSP_TRANSPARENT ? 0 : 2;
}

/* The MeetingRequest of an invitation or cancellation (it->mime must be there: the meeting data
 * lives in the text/calendar part). Nothing when the message carries no usable iTIP object. */
static void add_meeting(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const eas_mail_item *it,
                        int version)
{
    xmlNsPtr em = eas_xml_ns(doc, NS_EMAIL);
    eas_itip ti;
    icalcomponent *ev;
    icalproperty *ps, *pe, *prop;
    icaltimezone *zone = NULL;
    struct icaltimetype st;
    apr_time_t start, end;
    xmlNodePtr mr;
    int all_day, rem, cancel;
    apr_time_exp_t e;

    if (eas_itip_from_mime(p, it->mime, it->mime_len, &ti) != 0 ||
        (strcmp(ti.method, "REQUEST") != 0 && strcmp(ti.method, "CANCEL") != 0)) {
        return;
    }
    cancel = strcmp(ti.method, "CANCEL") == 0;
    ev = ti.event;
    if (!(ps = icalcomponent_get_first_property(ev, ICAL_DTSTART_PROPERTY))) {
        return;
    }
    st = icalproperty_get_dtstart(ps);
    all_day = st.is_date;
    {
        icalparameter *tzp = icalproperty_get_first_parameter(ps, ICAL_TZID_PARAMETER);
        if (tzp && icalparameter_get_tzid(tzp)) {
            zone = eas_tz_resolve(p, ti.cal, icalparameter_get_tzid(tzp));
        }
    }
    start = prop_utc(p, ti.cal, ps, zone);
    if ((pe = icalcomponent_get_first_property(ev, ICAL_DTEND_PROPERTY))) {
        end = prop_utc(p, ti.cal, pe, zone);
    } else if ((prop = icalcomponent_get_first_property(ev, ICAL_DURATION_PROPERTY))) {
        end = start + (apr_time_t)icaldurationtype_as_int(icalproperty_get_duration(prop)) *
                          APR_USEC_PER_SEC;
    } else {
        end = start + (all_day ? apr_time_from_sec(86400) : 0);
    }
    mr = eas_xml_add(app, em, "MeetingRequest", NULL);
    eas_xml_add(mr, em, "AllDayEvent", all_day ? "1" : "0");
    eas_xml_add(mr, em, "StartTime", eas_date_text(p, start));
    eas_xml_add(mr, em, "DtStamp", eas_date_text(p, ti.dtstamp ? ti.dtstamp : it->received));
    eas_xml_add(mr, em, "EndTime", eas_date_text(p, end));
    prop = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
    eas_xml_add(mr, em, "InstanceType",
                prop ? "3"
                     : (icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY) ? "1" : "0"));
    {
        icalproperty *loc = icalcomponent_get_first_property(ev, ICAL_LOCATION_PROPERTY);
        const char *l = loc ? icalproperty_get_location(loc) : NULL;
        if (l && *l && version >= 160) {
            xmlNsPtr base = eas_xml_ns(doc, NS_BASE);
            eas_xml_add(eas_xml_add(mr, base, "Location", NULL), base, "DisplayName", l);
        } else if (l && *l) {
            eas_xml_add(mr, em, "Location", l);
        }
    }
    if ((prop = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY))) {
        add_if(mr, em, "Organizer", organizer_text(p, prop));
    }
    if ((prop = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY))) {
        eas_xml_add(mr, em, "RecurrenceId", eas_date_text(p, prop_utc(p, ti.cal, prop, zone)));
    }
    if ((rem = reminder_minutes(ev)) >= 0) {
        eas_xml_add_int(mr, em, "Reminder", rem);
    }
    eas_xml_add(mr, em, "ResponseRequested", cancel ? "0" : "1");
    if ((prop = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY))) {
        struct icalrecurrencetype r = icalproperty_get_rrule(prop);
        xmlNodePtr recs = eas_xml_add(mr, em, "Recurrences", NULL);
        /* FirstDayOfWeek would land in the Email namespace: keep to the 14.0 children */
        if (eas_recur_to_eas(p, recs, em, &r, zone, version < 140 ? version : 140, 1) != 0) {
            xmlUnlinkNode(recs);
            xmlFreeNode(recs);
        }
    }
    if ((prop = icalcomponent_get_first_property(ev, ICAL_CLASS_PROPERTY))) {
        icalproperty_class c = icalproperty_get_class(prop);
        eas_xml_add(mr, em, "Sensitivity",
                    c == ICAL_CLASS_PRIVATE ? "2" : (c == ICAL_CLASS_CONFIDENTIAL ? "3" : "0"));
    }
    eas_xml_add_int(mr, em, "BusyStatus", busy_status(ev));
    apr_time_exp_gmt(&e, start);
    eas_xml_add(mr, em, "TimeZone", eas_tz_to_blob(p, zone, e.tm_year + 1900));
    if (version < 160) {
        eas_xml_add(mr, em, "GlobalObjId", eas_itip_global_obj_id(p, ti.uid));
    }
    if (eas_cal_x_get(ev, "X-MICROSOFT-DISALLOW-COUNTER")) {
        const char *v = eas_cal_x_get(ev, "X-MICROSOFT-DISALLOW-COUNTER");
        eas_xml_add(mr, em, "DisallowNewTimeProposal", strcasecmp(v, "TRUE") == 0 ? "1" : "0");
    }
    if (version >= 141) {
        eas_xml_add_int(mr, eas_xml_ns(doc, NS_EMAIL2), "MeetingMessageType",
                        cancel ? 0 : (ti.sequence > 0 ? 2 : 1));
    }
    if (version >= 160) {
        eas_xml_add(mr, eas_xml_ns(doc, "Calendar:"), "UID", ti.uid);
    }
}

static int is_meeting_class(const char *cls)
{
    return cls && (strcmp(cls, "IPM.Schedule.Meeting.Request") == 0 ||
                   strcmp(cls, "IPM.Schedule.Meeting.Canceled") == 0);
}

void eas_email_app_data(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const eas_folder *f,
                        const eas_mail_item *it, const eas_body_opts *o, int version)
{
    xmlNsPtr em = eas_xml_ns(doc, NS_EMAIL), base = eas_xml_ns(doc, NS_BASE);

    add_if(app, em, "To", it->to);
    add_if(app, em, "Cc", it->cc);
    add_if(app, em, "From", it->from);
    eas_xml_add(app, em, "Subject", it->subject ? it->subject : "");
    add_if(app, em, "ReplyTo", it->reply_to);
    eas_xml_add(app, em, "DateReceived", eas_date_text(p, it->received));
    add_if(app, em, "DisplayTo", it->display_to);
    add_if(app, em, "ThreadTopic", it->thread_topic);
    eas_xml_add_int(app, em, "Importance", it->importance);
    eas_xml_add(app, em, "Read", it->flags.seen ? "1" : "0");
    add_attachments(p, doc, app, f, it);
    add_body(p, doc, app, it, o);
    eas_xml_add(app, em, "MessageClass", it->message_class ? it->message_class : "IPM.Note");
    if (is_meeting_class(it->message_class) && it->mime) {
        add_meeting(p, doc, app, it, version);
    }
    eas_xml_add(app, em, "InternetCPID", "65001");
    add_flag(p, doc, app, &it->flags);
    eas_xml_add(app, em, "ContentClass", "urn:content-classes:message");
    eas_xml_add_int(app, base, "NativeBodyType", it->native_type == 2 ? 2 : 1);
    if (version >= 140) {
        xmlNsPtr em2 = eas_xml_ns(doc, NS_EMAIL2);
        xmlNodePtr cats = eas_xml_add(app, em, "Categories", NULL);
        int i;
        for (i = 0; it->flags.categories && i < it->flags.categories->nelts; ++i) {
            eas_xml_add(cats, em, "Category", APR_ARRAY_IDX(it->flags.categories, i, const char *));
        }
        eas_xml_add(app, em2, "ConversationId", eas_base64(p, it->conversation_id, 16));
        eas_xml_add(app, em2, "ConversationIndex", conversation_index(p, it->received));
        if (it->flags.last_verb) {
            eas_xml_add_int(app, em2, "LastVerbExecuted", it->flags.last_verb);
            if (it->flags.last_verb_time) {
                eas_xml_add(app, em2, "LastVerbExecutionTime",
                            eas_date_text(p, it->flags.last_verb_time));
            }
        }
        eas_xml_add(app, em2, "ReceivedAsBcc", "0");
    }
}

int eas_email_parse_change(apr_pool_t *p, xmlNodePtr app, eas_flags *fl)
{
    xmlNodePtr flag, cats;
    const char *read = eas_xml_child_text(app, NS_EMAIL, "Read");
    int mask = 0;
    memset(fl, 0, sizeof(*fl));
    if (read) {
        fl->seen = atoi(read) != 0;
        mask |= EAS_FL_SEEN;
    }
    if ((flag = eas_xml_child(app, NS_EMAIL, "Flag"))) {
        const char *st = eas_xml_child_text(flag, NS_EMAIL, "Status");
        mask |= EAS_FL_FLAG;
        fl->flag_status = st ? atoi(st) : 0;
        if (fl->flag_status < 0 || fl->flag_status > 2) {
            fl->flag_status = 0;
        }
        fl->flag_type = eas_xml_child_text(flag, NS_EMAIL, "FlagType");
        fl->flag_start = eas_date_parse(eas_xml_child_text(flag, NS_TASKS, "UtcStartDate"));
        if (!fl->flag_start) {
            fl->flag_start = eas_date_parse(eas_xml_child_text(flag, NS_TASKS, "StartDate"));
        }
        fl->flag_due = eas_date_parse(eas_xml_child_text(flag, NS_TASKS, "UtcDueDate"));
        if (!fl->flag_due) {
            fl->flag_due = eas_date_parse(eas_xml_child_text(flag, NS_TASKS, "DueDate"));
        }
        fl->flag_completed = eas_date_parse(eas_xml_child_text(flag, NS_EMAIL, "CompleteTime"));
        if (!fl->flag_completed) {
            fl->flag_completed =
                eas_date_parse(eas_xml_child_text(flag, NS_TASKS, "DateCompleted"));
        }
        if (fl->flag_status == 1 && !fl->flag_completed) {
            fl->flag_completed = apr_time_now();
        }
    }
    if ((cats = eas_xml_child(app, NS_EMAIL, "Categories"))) {
        xmlNodePtr c;
        mask |= EAS_FL_CATEGORIES;
        fl->categories = apr_array_make(p, 4, sizeof(const char *));
        for (c = eas_xml_child(cats, NS_EMAIL, "Category"); c; c = eas_xml_next(c)) {
            xmlChar *t = xmlNodeGetContent(c);
            APR_ARRAY_PUSH(fl->categories, const char *) = apr_pstrdup(p, (const char *)t);
            xmlFree(t);
        }
    }
    return mask;
}
