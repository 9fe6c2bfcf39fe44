/* eas_task.c — the Tasks class (MS-ASTASK): Tasks:* elements ⇄ one iCalendar VTODO.
 *
 *   Subject                   SUMMARY
 *   airsyncbase:Body          DESCRIPTION (plain), X-ALT-DESC;FMTTYPE=text/html (HTML)
 *   Categories                one CATEGORIES per Category (X-EAS-CATEGORY if it has a comma)
 *   UtcStartDate, StartDate   DTSTART in UTC; the local ("floating") one as X-EAS-STARTDATE when it
 *                             differs. Only StartDate: a floating DTSTART. Imports: DATE and TZID
 *                             forms give the local wall clock and the instant.
 *   UtcDueDate, DueDate       DUE (or DTSTART + DURATION), X-EAS-DUEDATE, the same way
 *   Importance 0/1/2          PRIORITY 9/5/1 (back: 1-4 high, 5 and none normal, 6-9 low); other
 *                             values are kept as X-EAS-IMPORTANCE (MS-ASTASK 2.2.2.14: returned as
 * sent) Complete, DateCompleted   STATUS:COMPLETED + PERCENT-COMPLETE:100 + COMPLETED, or
 * NEEDS-ACTION Sensitivity 0/1/2/3       CLASS PUBLIC/PRIVATE/PRIVATE/CONFIDENTIAL, 1 also
 * X-EAS-SENSITIVITY:1 ReminderSet, ReminderTime a VALARM (ACTION:DISPLAY) with an absolute TRIGGER
 *   Recurrence                RRULE (eas_recur); Start as X-EAS-RECUR-START when it is not the
 * local start date; Regenerate, DeadOccur as X-EAS-REGENERATE, X-EAS-DEADOCCUR OrdinalDate,
 * SubOrdinalDate  X-EAS-ORDINALDATE, X-EAS-SUBORDINALDATE A Change rebuilds these from the device's
 * elements and keeps everything else of the stored VTODO. A stored property whose EAS value the
 * device sends back unchanged is kept as it was (an imported DUE;VALUE=DATE, PRIORITY:3 or a second
 * alarm survive a device editing the subject). */
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_pim.h"
#include "eas_recur.h"
#include "eas_tz.h"
#include "eas_xml.h"

#define NS_TASKS "Tasks:"
/* Largest local/UTC difference believed: more means the X-EAS local date is stale (edited). */
#define MAX_SKEW apr_time_from_sec(26 * 3600)

/* What the stored VTODO says in EAS terms (shared by to_eas, the columns and Change). */
typedef struct task_view {
    const char *uid, *subject, *text, *html;
    apr_array_header_t *cats; /* const char * */
    int has_start, has_due;
    apr_time_t start_utc, start_local, due_utc, due_local; /* local: wall clock, as if UTC */
    icaltimezone *zone;                                    /* DTSTART's TZID zone, else NULL */
    int importance, sensitivity, complete, reminder_set;
    apr_time_t completed, reminder; /* 0: none */
    icalproperty *rrule;
    apr_time_t recur_start;
    const char *regenerate, *deadoccur, *ordinal, *subordinal;
} task_view;

/* ---- small helpers ------------------------------------------------------------------------- */

static int fail(const char **err, const char *msg)
{
    *err = msg;
    return -1;
}

static struct icaltimetype utc_time(apr_time_t t)
{
    return icaltime_from_timet_with_zone((time_t)apr_time_sec(t), 0,
                                         icaltimezone_get_utc_timezone());
}

/* A wall-clock time (held as if UTC) as a floating DATE-TIME. */
static struct icaltimetype floating_time(apr_time_t t)
{
    struct icaltimetype tt = utc_time(t);
    tt.zone = NULL;
    return tt;
}

static const char *floating_text(apr_pool_t *p, apr_time_t t)
{
    apr_time_exp_t e;
    apr_time_exp_gmt(&e, t);
    return apr_psprintf(p, "%04d%02d%02dT%02d%02d%02d", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday,
                        e.tm_hour, e.tm_min, e.tm_sec);
}

/* The fields of tt read as a UTC time (a wall clock kept as if UTC). */
static apr_time_t fields_time(struct icaltimetype tt)
{
    apr_time_exp_t e;
    apr_time_t t;
    memset(&e, 0, sizeof(e));
    e.tm_year = tt.year - 1900;
    e.tm_mon = tt.month - 1;
    e.tm_mday = tt.day;
    if (!tt.is_date) {
        e.tm_hour = tt.hour, e.tm_min = tt.minute, e.tm_sec = tt.second;
    }
    return apr_time_exp_gmt_get(&t, &e) == APR_SUCCESS ? t : 0;
}

static icalproperty *xprop(icalcomponent *c, const char *name)
{
    icalproperty *x;
    for (x = icalcomponent_get_first_property(c, ICAL_X_PROPERTY); x;
         x = icalcomponent_get_next_property(c, ICAL_X_PROPERTY)) {
        const char *n = icalproperty_get_x_name(x);
        if (n && strcasecmp(n, name) == 0) {
            return x;
        }
    }
    return NULL;
}

static const char *xval(apr_pool_t *p, icalcomponent *c, const char *name)
{
    icalproperty *x = xprop(c, name);
    const char *v = x ? icalproperty_get_x(x) : NULL;
    return v ? apr_pstrdup(p, v) : NULL;
}

static void add_x(icalcomponent *c, const char *name, const char *value)
{
    icalproperty *x = icalproperty_new_x(value);
    icalproperty_set_x_name(x, name);
    icalcomponent_add_property(c, x);
}

/* s when it is an unsignedByte (an edited export must not produce invalid XML), else NULL. */
static const char *byte_text(const char *s)
{
    size_t n = s ? strspn(s, "0123456789") : 0;
    return n > 0 && n <= 3 && !s[n] && atoi(s) <= 255 ? s : NULL;
}

/* Plain text of an HTML body for DESCRIPTION: tags dropped, breaks kept, basic entities. */
static const char *html_text(apr_pool_t *p, const char *h)
{
    static const struct {
        const char *ent, *ch;
    } ents[] = {{"&lt;", "<"},  {"&gt;", ">"},   {"&amp;", "&"}, {"&quot;", "\""},
                {"&#39;", "'"}, {"&apos;", "'"}, {"&nbsp;", " "}};
    char *out = apr_palloc(p, strlen(h) + 1), *o = out;
    size_t i;
    while (*h) {
        if (*h == '<') {
            const char *end = strchr(h, '>');
            if (!end) {
                break;
            }
            if (!strncasecmp(h, "<br", 3) || !strncasecmp(h, "</p", 3) ||
                !strncasecmp(h, "</div", 5) || !strncasecmp(h, "</li", 4)) {
                *o++ = '\n';
            }
            h = end + 1;
            continue;
        }
        if (*h == '&') {
            for (i = 0; i < sizeof(ents) / sizeof(ents[0]); ++i) {
                size_t n = strlen(ents[i].ent);
                if (!strncasecmp(h, ents[i].ent, n)) {
                    *o++ = *ents[i].ch;
                    h += n;
                    break;
                }
            }
            if (i < sizeof(ents) / sizeof(ents[0])) {
                continue;
            }
        }
        *o++ = *h++;
    }
    while (o > out && (o[-1] == '\n' || o[-1] == ' ')) {
        --o;
    }
    *o = '\0';
    return out;
}

/* ---- reading the stored form --------------------------------------------------------------- */

/* Stored or imported text → its VCALENDAR (freed with p) and the master VTODO. strict (imports):
 * values libical could not read are refused instead of dropped. */
static int load(apr_pool_t *p, const char *text, int strict, icalcomponent **vcal,
                icalcomponent **todo, const char **err)
{
    icalcomponent *c = text ? icalparser_parse_string(text) : NULL, *s;
    int masters = 0;

    if (!c) {
        return fail(err, "not iCalendar data");
    }
    if (icalcomponent_isa(c) == ICAL_VTODO_COMPONENT) {
        icalcomponent *w = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
        icalcomponent_add_component(w, c);
        c = w;
    }
    eas_pim_own_component(p, c);
    if (icalcomponent_isa(c) != ICAL_VCALENDAR_COMPONENT) {
        return fail(err, "not a VCALENDAR");
    }
    *todo = NULL;
    for (s = icalcomponent_get_first_component(c, ICAL_ANY_COMPONENT); s;
         s = icalcomponent_get_next_component(c, ICAL_ANY_COMPONENT)) {
        icalcomponent_kind k = icalcomponent_isa(s);
        if (k == ICAL_VEVENT_COMPONENT || k == ICAL_VJOURNAL_COMPONENT) {
            return fail(err, "not a task (VEVENT or VJOURNAL)");
        }
        if (k == ICAL_VTODO_COMPONENT &&
            !icalcomponent_get_first_property(s, ICAL_RECURRENCEID_PROPERTY)) {
            *todo = s;
            ++masters;
        }
    }
    if (masters != 1) {
        return fail(err, masters ? "more than one VTODO" : "no VTODO");
    }
    if (strict) {
        icalproperty *e;
        for (e = icalcomponent_get_first_property(*todo, ICAL_XLICERROR_PROPERTY); e;
             e = icalcomponent_get_next_property(*todo, ICAL_XLICERROR_PROPERTY)) {
            const char *msg = icalproperty_get_xlicerror(e);
            if (!msg || strncmp(msg, "No value", 8) != 0) { /* an empty SUMMARY is harmless */
                return fail(err, apr_pstrcat(p, "invalid VTODO: ", msg ? msg : "?", NULL));
            }
        }
    }
    icalcomponent_strip_errors(c);
    *vcal = c;
    return 0;
}

/* A DTSTART/DUE/... property → its instant and wall-clock time (see the mapping on top). */
static int prop_time(apr_pool_t *p, icalcomponent *vcal, icalcomponent *todo, icalproperty *prop,
                     const char *local_x, apr_time_t *utc, apr_time_t *local, icaltimezone **zone,
                     const char **err)
{
    icalvalue *v = icalproperty_get_value(prop);
    icalparameter *tzp = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
    struct icaltimetype tt;

    if (!v || (icalvalue_isa(v) != ICAL_DATETIME_VALUE && icalvalue_isa(v) != ICAL_DATE_VALUE)) {
        return fail(err, "date property without a date");
    }
    tt = icalvalue_isa(v) == ICAL_DATE_VALUE ? icalvalue_get_date(v) : icalvalue_get_datetime(v);
    if (icaltime_is_null_time(tt) || !icaltime_is_valid_time(tt) || !(*local = fields_time(tt))) {
        return fail(err, "invalid date");
    }
    *utc = *local;
    if (zone) {
        *zone = NULL;
    }
    if (tt.is_date) {
        return 0;
    }
    if (icaltime_is_utc(tt)) {
        const char *lx = local_x ? xval(p, todo, local_x) : NULL;
        if (lx) {
            struct icaltimetype l = icaltime_from_string(lx);
            apr_time_t lt = icaltime_is_valid_time(l) && !l.is_date ? fields_time(l) : 0;
            if (lt && (lt > *utc ? lt - *utc : *utc - lt) <= MAX_SKEW) {
                *local = lt;
            }
        }
        return 0;
    }
    if (tzp) {
        icaltimezone *z = eas_tz_resolve(p, vcal, icalparameter_get_tzid(tzp));
        if (!z) {
            return fail(err, apr_pstrcat(p, "unknown TZID ", icalparameter_get_tzid(tzp), NULL));
        }
        tt.zone = z;
        *utc = apr_time_from_sec(icaltime_as_timet_with_zone(tt, z));
        if (zone) {
            *zone = z;
        }
    }
    return 0; /* floating: the wall clock is all there is */
}

static void view_alarm(icalcomponent *todo, task_view *v)
{
    icalcomponent *a = icalcomponent_get_first_component(todo, ICAL_VALARM_COMPONENT);
    icalproperty *tp = a ? icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY) : NULL;
    struct icaltriggertype tr;
    icalparameter *rel;
    apr_time_t base;

    if (!a) {
        return;
    }
    v->reminder_set = 1;
    if (!tp) {
        return;
    }
    tr = icalproperty_get_trigger(tp);
    if (!icaltime_is_null_time(tr.time)) {
        v->reminder = apr_time_from_sec(icaltime_as_timet_with_zone(tr.time, NULL));
        return;
    }
    rel = icalproperty_get_first_parameter(tp, ICAL_RELATED_PARAMETER);
    if (rel && icalparameter_get_related(rel) == ICAL_RELATED_END) {
        base = v->has_due ? v->due_utc : 0;
    } else {
        base = v->has_start ? v->start_utc : 0;
    }
    if (base) {
        v->reminder = base + apr_time_from_sec(icaldurationtype_as_int(tr.duration));
    }
}

static int view(apr_pool_t *p, icalcomponent *vcal, icalcomponent *todo, task_view *v,
                const char **err)
{
    icalproperty *pr;
    const char *s;

    memset(v, 0, sizeof(*v));
    v->importance = 1;
    v->cats = apr_array_make(p, 4, sizeof(const char *));
    if ((pr = icalcomponent_get_first_property(todo, ICAL_UID_PROPERTY))) {
        v->uid = apr_pstrdup(p, icalproperty_get_uid(pr));
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_SUMMARY_PROPERTY))) {
        v->subject = apr_pstrdup(p, icalproperty_get_summary(pr));
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_DESCRIPTION_PROPERTY))) {
        v->text = apr_pstrdup(p, icalproperty_get_description(pr));
    }
    for (pr = icalcomponent_get_first_property(todo, ICAL_CATEGORIES_PROPERTY); pr;
         pr = icalcomponent_get_next_property(todo, ICAL_CATEGORIES_PROPERTY)) {
        if ((s = icalproperty_get_categories(pr)) && *s) {
            APR_ARRAY_PUSH(v->cats, const char *) = apr_pstrdup(p, s);
        }
    }
    for (pr = icalcomponent_get_first_property(todo, ICAL_X_PROPERTY); pr;
         pr = icalcomponent_get_next_property(todo, ICAL_X_PROPERTY)) {
        icalparameter *fmt = icalproperty_get_first_parameter(pr, ICAL_FMTTYPE_PARAMETER);
        const char *xn = icalproperty_get_x_name(pr);
        if (xn && !strcasecmp(xn, "X-EAS-CATEGORY") && icalproperty_get_x(pr)) {
            APR_ARRAY_PUSH(v->cats, const char *) = apr_pstrdup(p, icalproperty_get_x(pr));
        }
        if (xn && !strcasecmp(xn, "X-ALT-DESC") && fmt &&
            !strcasecmp(icalparameter_get_fmttype(fmt), "text/html") && icalproperty_get_x(pr)) {
            v->html = apr_pstrdup(p, icalproperty_get_x(pr));
        }
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_DTSTART_PROPERTY))) {
        if (prop_time(p, vcal, todo, pr, "X-EAS-STARTDATE", &v->start_utc, &v->start_local,
                      &v->zone, err) != 0) {
            return -1;
        }
        v->has_start = 1;
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_DUE_PROPERTY))) {
        if (prop_time(p, vcal, todo, pr, "X-EAS-DUEDATE", &v->due_utc, &v->due_local, NULL, err) !=
            0) {
            return -1;
        }
        v->has_due = 1;
    } else if (v->has_start &&
               (pr = icalcomponent_get_first_property(todo, ICAL_DURATION_PROPERTY))) {
        apr_time_t d = apr_time_from_sec(icaldurationtype_as_int(icalproperty_get_duration(pr)));
        v->has_due = 1;
        v->due_utc = v->start_utc + d;
        v->due_local = v->start_local + d;
    }

    if ((s = xval(p, todo, "X-EAS-IMPORTANCE")) && byte_text(s)) {
        v->importance = atoi(s);
    } else if ((pr = icalcomponent_get_first_property(todo, ICAL_PRIORITY_PROPERTY))) {
        int prio = icalproperty_get_priority(pr);
        v->importance = prio >= 1 && prio <= 4 ? 2 : prio >= 6 && prio <= 9 ? 0 : 1;
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_CLASS_PROPERTY))) {
        enum icalproperty_class c = icalproperty_get_class(pr);
        s = xval(p, todo, "X-EAS-SENSITIVITY");
        v->sensitivity = c == ICAL_CLASS_CONFIDENTIAL ? 3
                         : c == ICAL_CLASS_PRIVATE    ? (s && atoi(s) == 1 ? 1 : 2)
                                                      : 0;
    }

    if ((pr = icalcomponent_get_first_property(todo, ICAL_COMPLETED_PROPERTY))) {
        v->complete = 1;
        v->completed =
            apr_time_from_sec(icaltime_as_timet_with_zone(icalproperty_get_completed(pr), NULL));
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_STATUS_PROPERTY)) &&
        icalproperty_get_status(pr) == ICAL_STATUS_COMPLETED) {
        v->complete = 1;
    }
    if ((pr = icalcomponent_get_first_property(todo, ICAL_PERCENTCOMPLETE_PROPERTY)) &&
        icalproperty_get_percentcomplete(pr) >= 100) {
        v->complete = 1;
    }
    if (v->complete && !v->completed) {
        /* DateCompleted is required with Complete=1 (MS-ASTASK 2.2.2.8): the last change */
        pr = icalcomponent_get_first_property(todo, ICAL_LASTMODIFIED_PROPERTY);
        if (!pr) {
            pr = icalcomponent_get_first_property(todo, ICAL_DTSTAMP_PROPERTY);
        }
        v->completed = pr ? apr_time_from_sec(icaltime_as_timet_with_zone(
                                icalvalue_get_datetime(icalproperty_get_value(pr)), NULL))
                          : apr_time_now();
    }

    view_alarm(todo, v);

    if ((v->rrule = icalcomponent_get_first_property(todo, ICAL_RRULE_PROPERTY))) {
        struct icaltimetype rs;
        s = xval(p, todo, "X-EAS-RECUR-START");
        rs = s ? icaltime_from_string(s) : icaltime_null_time();
        v->recur_start = !icaltime_is_null_time(rs) && icaltime_is_valid_time(rs) ? fields_time(rs)
                         : v->has_start                                           ? v->start_local
                                                                                  : v->due_local;
        if (!v->recur_start) {
            v->rrule = NULL; /* a rule needs a start */
        }
    }
    v->regenerate = byte_text(xval(p, todo, "X-EAS-REGENERATE"));
    v->deadoccur = byte_text(xval(p, todo, "X-EAS-DEADOCCUR"));
    v->ordinal = xval(p, todo, "X-EAS-ORDINALDATE");
    v->subordinal = xval(p, todo, "X-EAS-SUBORDINALDATE");
    return 0;
}

/* Embeds the VTIMEZONE of every TZID the item uses, serialises it and fills the columns. */
static int finish(apr_pool_t *p, icalcomponent *vcal, icalcomponent *todo, eas_pim_item *out,
                  const char **err)
{
    apr_array_header_t *tzids = apr_array_make(p, 4, sizeof(const char *));
    icalcomponent *c;
    icalproperty *pr;
    task_view v;
    char *s;
    int i;

    /* collected first: resolving walks vcal's components, which moves libical's iterator */
    for (c = icalcomponent_get_first_component(vcal, ICAL_VTODO_COMPONENT); c;
         c = icalcomponent_get_next_component(vcal, ICAL_VTODO_COMPONENT)) {
        for (pr = icalcomponent_get_first_property(c, ICAL_ANY_PROPERTY); pr;
             pr = icalcomponent_get_next_property(c, ICAL_ANY_PROPERTY)) {
            icalparameter *tz = icalproperty_get_first_parameter(pr, ICAL_TZID_PARAMETER);
            if (tz && icalparameter_get_tzid(tz)) {
                APR_ARRAY_PUSH(tzids, const char *) = apr_pstrdup(p, icalparameter_get_tzid(tz));
            }
        }
    }
    for (i = 0; i < tzids->nelts; ++i) {
        const char *id = APR_ARRAY_IDX(tzids, i, const char *);
        icaltimezone *z = eas_tz_resolve(p, vcal, id);
        if (!z) {
            return fail(err, apr_pstrcat(p, "unknown TZID ", id, NULL));
        }
        eas_tz_embed(vcal, z);
    }
    if (view(p, vcal, todo, &v, err) != 0) {
        return -1;
    }
    s = icalcomponent_as_ical_string_r(vcal);
    memset(out, 0, sizeof(*out));
    out->data = apr_pstrdup(p, s);
    free(s);
    out->pim_uid = v.uid;
    out->subject = v.subject;
    out->start = v.has_start ? v.start_utc : 0;
    out->end = v.has_due ? v.due_utc : 0;
    out->complete = v.complete;
    return 0;
}

/* Whether to_eas sends the stored rule (else a device never saw it and cannot change it). */
static int rule_sendable(apr_pool_t *p, const task_view *v)
{
    struct icalrecurrencetype r = icalproperty_get_rrule(v->rrule);
    xmlNodePtr tmp = xmlNewNode(NULL, BAD_CAST "x");
    int sendable;
    eas_recur_complete(&r, v->recur_start);
    sendable = eas_recur_to_eas(p, tmp, xmlNewNs(tmp, BAD_CAST NS_TASKS, BAD_CAST "t"), &r, v->zone,
                                161, 1) == 0;
    xmlFreeNode(tmp);
    return sendable;
}

/* ---- EAS → VTODO --------------------------------------------------------------------------- */

/* An unsigned child number in [0, max]: 1 found, 0 absent, -1 malformed or out of range. */
static int num(xmlNodePtr parent, const char *name, long max, long *v)
{
    const char *s = eas_xml_child_text(parent, NS_TASKS, name);
    char *end;
    if (!s) {
        return 0;
    }
    s += strspn(s, " \t\r\n");
    if (*s < '0' || *s > '9') {
        return -1;
    }
    *v = strtol(s, &end, 10);
    end += strspn(end, " \t\r\n");
    return (*end || *v > max) ? -1 : 1;
}

/* A dateTime child: 1 found, 0 absent, -1 malformed. */
static int date_el(xmlNodePtr parent, const char *name, apr_time_t *t)
{
    const char *s = eas_xml_child_text(parent, NS_TASKS, name);
    if (!s) {
        return 0;
    }
    *t = eas_date_parse(s);
    return *t ? 1 : -1;
}

/* The device's values, all read and checked before the stored item is touched. */
typedef struct task_in {
    const char *subject, *body, *subordinal;
    int is_html, has_cats, has_start, has_due, has_imp, has_sens, has_rem, has_rec, has_ord;
    int start_floating, due_floating; /* only the local date was sent */
    int has_complete;
    apr_array_header_t *cats;
    apr_time_t start_utc, start_local, due_utc, due_local, completed, reminder, recur_start,
        ordinal;
    long complete, importance, sensitivity, rem_set, regenerate, deadoccur;
    int has_regen, has_dead;
    struct icalrecurrencetype rule;
} task_in;

/* A Local/Utc date pair: both known when either is (the other taken as equal). */
static int date_pair(xmlNodePtr app, const char *local_name, const char *utc_name, int *has,
                     int *floating, apr_time_t *utc, apr_time_t *local)
{
    int hl = date_el(app, local_name, local), hu = date_el(app, utc_name, utc);
    if (hl < 0 || hu < 0) {
        return -1;
    }
    *has = hl || hu;
    *floating = hl && !hu;
    if (!hu) {
        *utc = *local;
    } else if (!hl) {
        *local = *utc;
    }
    return 0;
}

static int read_in(apr_pool_t *p, xmlNodePtr app, task_in *in, const char **err)
{
    xmlNodePtr n, rec;
    int r;

    memset(in, 0, sizeof(*in));
    in->subject = eas_xml_child_text(app, NS_TASKS, "Subject");
    in->body = eas_pim_body_in(p, app, &in->is_html);
    in->cats = apr_array_make(p, 4, sizeof(const char *));
    if ((n = eas_xml_child(app, NS_TASKS, "Categories"))) {
        xmlNodePtr c;
        in->has_cats = 1;
        for (c = eas_xml_child(n, NS_TASKS, "Category"); c; c = eas_xml_next(c)) {
            xmlChar *t = xmlNodeGetContent(c);
            if (t && *t) {
                APR_ARRAY_PUSH(in->cats, const char *) = apr_pstrdup(p, (const char *)t);
            }
            xmlFree(t);
        }
    }
    if (date_pair(app, "StartDate", "UtcStartDate", &in->has_start, &in->start_floating,
                  &in->start_utc, &in->start_local) < 0 ||
        date_pair(app, "DueDate", "UtcDueDate", &in->has_due, &in->due_floating, &in->due_utc,
                  &in->due_local) < 0 ||
        date_el(app, "DateCompleted", &in->completed) < 0 ||
        (in->has_ord = date_el(app, "OrdinalDate", &in->ordinal)) < 0) {
        return fail(err, "invalid date");
    }
    in->subordinal = eas_xml_child_text(app, NS_TASKS, "SubOrdinalDate");
    if ((in->has_complete = num(app, "Complete", 1, &in->complete)) < 0) {
        return fail(err, "Complete is not 0 or 1");
    }
    /* MS-ASTASK 2.2.2.14: other Importance values are accepted and returned as sent */
    if ((in->has_imp = num(app, "Importance", 255, &in->importance)) < 0) {
        return fail(err, "Importance is not an unsignedByte");
    }
    if ((in->has_sens = num(app, "Sensitivity", 3, &in->sensitivity)) < 0) {
        return fail(err, "Sensitivity is not 0-3");
    }
    if ((in->has_rem = num(app, "ReminderSet", 1, &in->rem_set)) < 0) {
        return fail(err, "ReminderSet is not 0 or 1"); /* Status 6, MS-ASTASK 2.2.2.22 */
    }
    if ((r = date_el(app, "ReminderTime", &in->reminder)) < 0) {
        return fail(err, "invalid ReminderTime");
    }
    if (r && !in->has_rem) {
        in->has_rem = 1, in->rem_set = 1; /* a time alone still asks for the reminder */
    }
    if ((rec = eas_xml_child(app, NS_TASKS, "Recurrence"))) {
        in->has_rec = 1;
        if (eas_recur_from_eas(p, rec, NS_TASKS, NULL, 0, &in->rule, err) != 0) {
            return -1;
        }
        if (date_el(rec, "Start", &in->recur_start) != 1) {
            return fail(err, "Recurrence without a valid Start"); /* MS-ASTASK 3.2.5.3.3 */
        }
        if ((in->has_regen = num(rec, "Regenerate", 255, &in->regenerate)) < 0 ||
            (in->has_dead = num(rec, "DeadOccur", 255, &in->deadoccur)) < 0) {
            return fail(err, "Regenerate or DeadOccur is not an unsignedByte");
        }
    }
    return 0;
}

static int same_cats(const apr_array_header_t *a, const apr_array_header_t *b)
{
    int i;
    if (a->nelts != b->nelts) {
        return 0;
    }
    for (i = 0; i < a->nelts; ++i) {
        if (strcmp(APR_ARRAY_IDX(a, i, const char *), APR_ARRAY_IDX(b, i, const char *)) != 0) {
            return 0;
        }
    }
    return 1;
}

static int same_rule(icalproperty *old, const struct icalrecurrencetype *r)
{
    struct icalrecurrencetype o = icalproperty_get_rrule(old), n = *r;
    char *a = icalrecurrencetype_as_string_r(&o), *b = icalrecurrencetype_as_string_r(&n);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    return same;
}

/* Which stored properties survive a Change (keep-flags computed from the old view). */
typedef struct task_keep {
    int start, due, imp, sens, status, completed, rule, alarm, cats, body;
} task_keep;

static int kept(icalproperty *pr, const task_keep *k)
{
    const char *x;
    switch (icalproperty_isa(pr)) {
    case ICAL_SUMMARY_PROPERTY:
    case ICAL_DTSTAMP_PROPERTY:
    case ICAL_LASTMODIFIED_PROPERTY:
        return 0;
    case ICAL_DESCRIPTION_PROPERTY:
        return k->body;
    case ICAL_CATEGORIES_PROPERTY:
        return k->cats;
    case ICAL_DTSTART_PROPERTY:
        return k->start;
    case ICAL_DUE_PROPERTY:
    case ICAL_DURATION_PROPERTY:
        return k->due;
    case ICAL_PRIORITY_PROPERTY:
        return k->imp;
    case ICAL_CLASS_PROPERTY:
        return k->sens;
    case ICAL_STATUS_PROPERTY:
    case ICAL_PERCENTCOMPLETE_PROPERTY:
        return k->status;
    case ICAL_COMPLETED_PROPERTY:
        return k->completed;
    case ICAL_RRULE_PROPERTY:
    case ICAL_RDATE_PROPERTY:
    case ICAL_EXDATE_PROPERTY:
        return k->rule;
    case ICAL_X_PROPERTY:
        if (!(x = icalproperty_get_x_name(pr))) {
            return 1;
        }
        if (!strcasecmp(x, "X-ALT-DESC")) {
            return k->body;
        }
        if (!strcasecmp(x, "X-EAS-CATEGORY")) {
            return k->cats;
        }
        if (!strcasecmp(x, "X-EAS-STARTDATE")) {
            return k->start;
        }
        if (!strcasecmp(x, "X-EAS-DUEDATE")) {
            return k->due;
        }
        if (!strcasecmp(x, "X-EAS-IMPORTANCE")) {
            return k->imp;
        }
        if (!strcasecmp(x, "X-EAS-SENSITIVITY")) {
            return k->sens;
        }
        return strncasecmp(x, "X-EAS-", 6) != 0; /* ours are rebuilt; foreign X- are kept */
    default:
        return 1;
    }
}

/* Drops from todo what the Change replaces. */
static void strip(icalcomponent *todo, const task_keep *k)
{
    icalproperty *pr, *next;
    icalcomponent *a, *an;
    for (pr = icalcomponent_get_first_property(todo, ICAL_ANY_PROPERTY); pr; pr = next) {
        next = icalcomponent_get_next_property(todo, ICAL_ANY_PROPERTY);
        if (!kept(pr, k)) {
            icalcomponent_remove_property(todo, pr);
            icalproperty_free(pr);
        }
    }
    if (!k->alarm) {
        for (a = icalcomponent_get_first_component(todo, ICAL_VALARM_COMPONENT); a; a = an) {
            an = icalcomponent_get_next_component(todo, ICAL_VALARM_COMPONENT);
            icalcomponent_remove_component(todo, a);
            icalcomponent_free(a);
        }
    }
}

/* DTSTART/DUE and the local twin for a device's date pair (floating when only local came). */
static void add_date(apr_pool_t *p, icalcomponent *todo, icalproperty_kind kind, const char *xname,
                     int floating, apr_time_t utc, apr_time_t local)
{
    struct icaltimetype tt = floating ? floating_time(local) : utc_time(utc);
    icalproperty *pr =
        kind == ICAL_DTSTART_PROPERTY ? icalproperty_new_dtstart(tt) : icalproperty_new_due(tt);
    icalcomponent_add_property(todo, pr);
    if (local != utc) {
        add_x(todo, xname, floating_text(p, local));
    }
}

static void add_alarm(icalcomponent *todo, const task_in *in, const char *subject)
{
    icalcomponent *a;
    icalproperty *tp;
    struct icaltriggertype tr;

    memset(&tr, 0, sizeof(tr));
    if (in->reminder) {
        tr.time = utc_time(in->reminder);
        tr.duration = icaldurationtype_null_duration();
    } else {
        /* ReminderSet without a time: at the due date, else at the start */
        tr.time = icaltime_null_time();
        tr.duration = icaldurationtype_from_int(0);
    }
    a = icalcomponent_new(ICAL_VALARM_COMPONENT);
    icalcomponent_add_property(a, icalproperty_new_action(ICAL_ACTION_DISPLAY));
    icalcomponent_add_property(
        a, icalproperty_new_description(subject && *subject ? subject : "Reminder"));
    tp = icalproperty_new_trigger(tr);
    if (in->reminder) {
        icalproperty_add_parameter(tp, icalparameter_new_value(ICAL_VALUE_DATETIME));
    } else if (in->has_due) {
        icalproperty_add_parameter(tp, icalparameter_new_related(ICAL_RELATED_END));
    }
    icalcomponent_add_property(a, tp);
    icalcomponent_add_component(todo, a);
}

/* Writes the device's values into todo (after strip). */
static void apply(apr_pool_t *p, icalcomponent *todo, const task_in *in, const task_keep *k,
                  const task_view *old)
{
    apr_time_t now = apr_time_now();
    int i;

    icalcomponent_add_property(todo, icalproperty_new_dtstamp(utc_time(now)));
    icalcomponent_add_property(todo, icalproperty_new_lastmodified(utc_time(now)));
    if (in->subject && *in->subject) {
        icalcomponent_add_property(todo, icalproperty_new_summary(in->subject));
    }
    if (!k->body && in->body && *in->body) {
        icalcomponent_add_property(
            todo, icalproperty_new_description(in->is_html ? html_text(p, in->body) : in->body));
        if (in->is_html) {
            icalproperty *x = icalproperty_new_x(in->body);
            icalproperty_set_x_name(x, "X-ALT-DESC");
            icalproperty_add_parameter(x, icalparameter_new_fmttype("text/html"));
            icalcomponent_add_property(todo, x);
        }
    }
    for (i = 0; !k->cats && i < in->cats->nelts; ++i) {
        const char *c = APR_ARRAY_IDX(in->cats, i, const char *);
        /* libical writes CATEGORIES commas unescaped (they would split the category on the next
         * read), so a category with a comma travels as X-EAS-CATEGORY */
        if (strchr(c, ',')) {
            add_x(todo, "X-EAS-CATEGORY", c);
        } else {
            icalcomponent_add_property(todo, icalproperty_new_categories(c));
        }
    }
    if (!k->start && in->has_start) {
        add_date(p, todo, ICAL_DTSTART_PROPERTY, "X-EAS-STARTDATE", in->start_floating,
                 in->start_utc, in->start_local);
    }
    if (!k->due && in->has_due) {
        add_date(p, todo, ICAL_DUE_PROPERTY, "X-EAS-DUEDATE", in->due_floating, in->due_utc,
                 in->due_local);
    }
    if (!k->imp && in->has_imp) {
        if (in->importance <= 2) {
            static const int prio[] = {9, 5, 1};
            icalcomponent_add_property(todo, icalproperty_new_priority(prio[in->importance]));
        } else {
            add_x(todo, "X-EAS-IMPORTANCE", apr_ltoa(p, in->importance));
        }
    }
    if (!k->sens && in->has_sens) {
        static const enum icalproperty_class cls[] = {ICAL_CLASS_PUBLIC, ICAL_CLASS_PRIVATE,
                                                      ICAL_CLASS_PRIVATE, ICAL_CLASS_CONFIDENTIAL};
        icalcomponent_add_property(todo, icalproperty_new_class(cls[in->sensitivity]));
        if (in->sensitivity == 1) {
            add_x(todo, "X-EAS-SENSITIVITY", "1"); /* Personal: CLASS has no word for it */
        }
    }
    if (!k->status) {
        icalcomponent_add_property(todo,
                                   icalproperty_new_status(in->complete ? ICAL_STATUS_COMPLETED
                                                                        : ICAL_STATUS_NEEDSACTION));
        if (in->complete) {
            icalcomponent_add_property(todo, icalproperty_new_percentcomplete(100));
        }
    }
    if (!k->completed && in->complete) {
        icalcomponent_add_property(
            todo, icalproperty_new_completed(utc_time(in->completed ? in->completed : now)));
    }
    if (!k->alarm && in->has_rem && in->rem_set && (in->reminder || in->has_due || in->has_start)) {
        add_alarm(todo, in, in->subject);
    }
    if (in->has_rec) {
        apr_time_t local_start = in->has_start ? in->start_local : 0;
        if (!k->rule) {
            icalcomponent_add_property(todo, icalproperty_new_rrule(in->rule));
        }
        if (!in->has_start && !k->start) {
            /* RRULE needs DTSTART (RFC 5545 3.8.5.3): the recurrence's local Start */
            icalcomponent_add_property(todo,
                                       icalproperty_new_dtstart(floating_time(in->recur_start)));
            local_start = in->recur_start;
        } else if (k->start) {
            local_start = old->start_local;
        }
        if (in->recur_start != local_start) {
            add_x(todo, "X-EAS-RECUR-START", floating_text(p, in->recur_start));
        }
        if (in->has_regen) {
            add_x(todo, "X-EAS-REGENERATE", apr_ltoa(p, in->regenerate));
        }
        if (in->has_dead) {
            add_x(todo, "X-EAS-DEADOCCUR", apr_ltoa(p, in->deadoccur));
        }
    }
    if (in->has_ord) {
        add_x(todo, "X-EAS-ORDINALDATE", floating_text(p, in->ordinal));
    }
    if (in->subordinal) {
        add_x(todo, "X-EAS-SUBORDINALDATE", in->subordinal);
    }
}

static int task_from_eas(apr_pool_t *p, xmlNodePtr app, const char *old, int version,
                         eas_pim_item *out, const char **err)
{
    icalcomponent *vcal, *todo;
    task_view ov;
    task_keep k;
    task_in in;

    (void)version; /* every Tasks element a device sends means the same in 12.0-16.1 */
    if (read_in(p, app, &in, err) != 0) {
        return -1;
    }
    memset(&k, 0, sizeof(k));
    if (old) {
        if (load(p, old, 0, &vcal, &todo, err) != 0 || view(p, vcal, todo, &ov, err) != 0) {
            return -1;
        }
        if (!in.has_complete) {
            in.complete = ov.complete; /* required, but never let its absence reopen a task */
        }
        /* what the device sends back as it got it stays in its stored form */
        k.body = in.body == NULL;
        k.cats = in.has_cats && same_cats(in.cats, ov.cats);
        k.start = ov.has_start && in.has_start && in.start_utc == ov.start_utc &&
                  in.start_local == ov.start_local;
        k.due =
            ov.has_due && in.has_due && in.due_utc == ov.due_utc && in.due_local == ov.due_local;
        k.imp = !in.has_imp || in.importance == ov.importance; /* absent: unchanged (3.2.5.3.1) */
        k.sens = (in.has_sens ? in.sensitivity : 0) == ov.sensitivity;
        k.status = in.complete == ov.complete;
        k.completed = in.complete && ov.complete && (!in.completed || in.completed == ov.completed);
        k.rule = (!in.has_rec && (!ov.rrule || !rule_sendable(p, &ov))) ||
                 (in.has_rec && ov.rrule && same_rule(ov.rrule, &in.rule));
        /* ReminderSet absent: unchanged (3.2.5.3.2) */
        k.alarm = !in.has_rem ||
                  (in.rem_set && ov.reminder_set && (!in.reminder || in.reminder == ov.reminder)) ||
                  (!in.rem_set && !ov.reminder_set);
        if (k.cats && !in.cats->nelts) {
            k.cats = 0;
        }
        strip(todo, &k);
    } else {
        memset(&ov, 0, sizeof(ov));
        vcal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
        eas_pim_own_component(p, vcal);
        icalcomponent_add_property(vcal, icalproperty_new_version("2.0"));
        icalcomponent_add_property(vcal, icalproperty_new_prodid("-//mod_eas//Tasks//EN"));
        todo = icalcomponent_new(ICAL_VTODO_COMPONENT);
        icalcomponent_add_component(vcal, todo);
        icalcomponent_add_property(todo, icalproperty_new_uid(eas_pim_new_uid(p)));
        icalcomponent_add_property(todo, icalproperty_new_created(utc_time(apr_time_now())));
    }
    apply(p, todo, &in, &k, &ov);
    return finish(p, vcal, todo, out, err);
}

/* ---- VTODO → EAS --------------------------------------------------------------------------- */

static int task_to_eas(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *data,
                       const eas_body_opts *o, int version, const char **err)
{
    icalcomponent *vcal, *todo;
    task_view v;
    xmlNsPtr tk;
    int i;

    if (load(p, data, 0, &vcal, &todo, err) != 0 || view(p, vcal, todo, &v, err) != 0) {
        return -1;
    }
    tk = eas_xml_ns(doc, NS_TASKS);
    eas_pim_body_out(p, doc, app, v.text, v.html, o);
    if (v.subject) {
        eas_xml_add(app, tk, "Subject", v.subject);
    }
    eas_xml_add_int(app, tk, "Importance", v.importance);
    if (v.has_start) {
        eas_xml_add(app, tk, "UtcStartDate", eas_date_text(p, v.start_utc));
        eas_xml_add(app, tk, "StartDate", eas_date_text(p, v.start_local));
    }
    if (v.has_due) {
        eas_xml_add(app, tk, "UtcDueDate", eas_date_text(p, v.due_utc));
        eas_xml_add(app, tk, "DueDate", eas_date_text(p, v.due_local));
    }
    if (v.cats->nelts) {
        xmlNodePtr c = eas_xml_add(app, tk, "Categories", NULL);
        for (i = 0; i < v.cats->nelts && i < 300; ++i) {
            eas_xml_add(c, tk, "Category", APR_ARRAY_IDX(v.cats, i, const char *));
        }
    }
    if (v.rrule) {
        struct icalrecurrencetype r = icalproperty_get_rrule(v.rrule);
        eas_recur_complete(&r, v.recur_start);
        if (eas_recur_to_eas(p, app, tk, &r, v.zone, version, 1) == 0) {
            xmlNodePtr rec = eas_xml_child(app, NS_TASKS, "Recurrence");
            eas_xml_add(rec, tk, "Start", eas_date_text(p, v.recur_start));
            if (v.regenerate) {
                eas_xml_add(rec, tk, "Regenerate", v.regenerate);
            }
            if (v.deadoccur) {
                eas_xml_add(rec, tk, "DeadOccur", v.deadoccur);
            }
        }
    }
    eas_xml_add_int(app, tk, "Complete", v.complete);
    if (v.complete) {
        eas_xml_add(app, tk, "DateCompleted", eas_date_text(p, v.completed));
    }
    eas_xml_add_int(app, tk, "Sensitivity", v.sensitivity);
    if (v.reminder_set && v.reminder) {
        eas_xml_add(app, tk, "ReminderTime", eas_date_text(p, v.reminder));
    }
    eas_xml_add_int(app, tk, "ReminderSet", v.reminder_set);
    if (v.ordinal) {
        apr_time_t t = eas_date_parse(v.ordinal);
        if (t) {
            eas_xml_add(app, tk, "OrdinalDate", eas_date_text(p, t));
        }
    }
    if (v.subordinal) {
        eas_xml_add(app, tk, "SubOrdinalDate", v.subordinal);
    }
    return 0;
}

/* ---- import / export ----------------------------------------------------------------------- */

static int task_parse(apr_pool_t *p, const char *text, eas_pim_item *out, const char **err)
{
    icalcomponent *vcal, *todo;
    icalproperty *pr;

    if (load(p, text, 1, &vcal, &todo, err) != 0) {
        return -1;
    }
    if (!icalcomponent_get_first_property(vcal, ICAL_VERSION_PROPERTY)) {
        icalcomponent_add_property(vcal, icalproperty_new_version("2.0"));
    }
    if (!icalcomponent_get_first_property(vcal, ICAL_PRODID_PROPERTY)) {
        icalcomponent_add_property(vcal, icalproperty_new_prodid("-//mod_eas//Tasks//EN"));
    }
    pr = icalcomponent_get_first_property(todo, ICAL_UID_PROPERTY);
    if (!pr || !icalproperty_get_uid(pr) || !*icalproperty_get_uid(pr)) {
        icalcomponent_add_property(todo, icalproperty_new_uid(eas_pim_new_uid(p)));
    }
    if (!icalcomponent_get_first_property(todo, ICAL_DTSTAMP_PROPERTY)) {
        icalcomponent_add_property(todo, icalproperty_new_dtstamp(utc_time(apr_time_now())));
    }
    return finish(p, vcal, todo, out, err);
}

const eas_pim_class eas_pim_tasks = {"Tasks",     "text/calendar", "ics",         task_from_eas,
                                     task_to_eas, task_parse,      eas_ics_split, eas_ics_join};
