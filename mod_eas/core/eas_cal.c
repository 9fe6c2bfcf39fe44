/* eas_cal.c — the Calendar class (MS-ASCAL): EAS ⇄ one VCALENDAR per item (see eas_cal.h).
 *
 * Times: DTSTART/DTEND carry TZID = the item's zone (from the TimeZone blob; UTC without one),
 * so a series keeps its local time across DST changes. All-day items are DATEs of the zone's
 * local days; the zone is kept in X-EAS-TZID because EAS before 16.0 sends them as local
 * midnight in UTC with a TimeZone. Exceptions are RECURRENCE-ID overrides (copies of the master
 * with their own values: an unset exception field inherits) and EXDATEs (Deleted). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_cal.h"
#include "eas_recur.h"
#include "eas_tz.h"
#include "eas_xml.h"

#define NS   EAS_CAL_NS
#define BASE EAS_CAL_BASE

static int fail(const char **err, const char *msg)
{
    *err = msg;
    return -1;
}

static icaltimezone *utc(void)
{
    return icaltimezone_get_utc_timezone();
}

static int is_override(icalcomponent *ev)
{
    return icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY) != NULL;
}

/* ---- reading and writing the stored form ----------------------------------------------------- */

static icalcomponent *new_cal(apr_pool_t *p)
{
    icalcomponent *cal = icalcomponent_new_vcalendar();
    icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
    icalcomponent_add_property(cal, icalproperty_new_prodid("-//mod_eas//Calendar//EN"));
    eas_pim_own_component(p, cal);
    return cal;
}

/* The item's zone and all-day flag from the master's DTSTART. */
static int item_zone(eas_cal_ctx *c, const char **err)
{
    icalproperty *ps = icalcomponent_get_first_property(c->master, ICAL_DTSTART_PROPERTY);
    struct icaltimetype tt;
    const char *tzid;

    c->zone = utc();
    c->all_day = 0;
    if (!ps) {
        return fail(err, "VEVENT without DTSTART");
    }
    tt = icalproperty_get_dtstart(ps);
    if (tt.is_date) {
        c->all_day = 1;
        tzid = eas_cal_x_get(c->master, "X-EAS-TZID");
        c->zone = tzid ? eas_tz_resolve(c->p, c->cal, tzid) : utc();
    } else if (!icaltime_is_utc(tt)) {
        c->zone = eas_cal_prop_zone(c, ps);
    }
    if (!c->zone) {
        return fail(err, "unknown TZID");
    }
    return 0;
}

static int load(eas_cal_ctx *c, apr_pool_t *p, const char *text, int version, const char **err)
{
    icalcomponent *ev;
    memset(c, 0, sizeof(*c));
    c->p = p;
    c->version = version;
    c->cal = text ? icalparser_parse_string(text) : NULL;
    if (!c->cal) {
        return fail(err, "not iCalendar data");
    }
    eas_pim_own_component(p, c->cal);
    if (icalcomponent_isa(c->cal) != ICAL_VCALENDAR_COMPONENT) {
        return fail(err, "not a VCALENDAR");
    }
    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        if (!is_override(ev)) {
            if (c->master) {
                return fail(err, "more than one event in one item");
            }
            c->master = ev;
        }
    }
    if (!c->master) {
        return fail(err, "no VEVENT");
    }
    return item_zone(c, err);
}

static void add_names(apr_pool_t *p, apr_table_t *used, icalcomponent *comp)
{
    icalproperty *prop;
    icalcomponent *sub;
    for (prop = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY); prop;
         prop = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
        icalparameter *tz = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
        if (tz && icalparameter_get_tzid(tz)) {
            apr_table_setn(used, apr_pstrdup(p, icalparameter_get_tzid(tz)), "1");
        }
    }
    for (sub = icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT); sub;
         sub = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT)) {
        if (icalcomponent_isa(sub) != ICAL_VTIMEZONE_COMPONENT) {
            add_names(p, used, sub);
        }
    }
}

/* Drops VTIMEZONEs nothing refers to any more (the zone changed) and embeds the item's. */
static void fix_zones(eas_cal_ctx *c)
{
    apr_table_t *used = apr_table_make(c->p, 4);
    icalcomponent *vtz, *next;
    const char *x = eas_cal_x_get(c->master, "X-EAS-TZID");

    add_names(c->p, used, c->cal);
    if (x) {
        apr_table_setn(used, apr_pstrdup(c->p, x), "1");
    }
    for (vtz = icalcomponent_get_first_component(c->cal, ICAL_VTIMEZONE_COMPONENT); vtz;
         vtz = next) {
        icalproperty *id = icalcomponent_get_first_property(vtz, ICAL_TZID_PROPERTY);
        next = icalcomponent_get_next_component(c->cal, ICAL_VTIMEZONE_COMPONENT);
        if (!id || !apr_table_get(used, icalproperty_get_tzid(id))) {
            icalcomponent_remove_component(c->cal, vtz);
            icalcomponent_free(vtz);
        }
    }
    if (c->zone && c->zone != utc() && (!c->all_day || x)) {
        eas_tz_embed(c->cal, c->zone);
    }
}

/* Normalised text and columns of c into out. */
static int store(eas_cal_ctx *c, eas_pim_item *out, const char **err)
{
    icalproperty *prop;
    char *text;
    apr_time_t start, end;

    if (!icalcomponent_get_first_property(c->master, ICAL_UID_PROPERTY)) {
        icalcomponent_add_property(c->master, icalproperty_new_uid(eas_pim_new_uid(c->p)));
    }
    if (!icalcomponent_get_first_property(c->master, ICAL_DTSTAMP_PROPERTY)) {
        eas_cal_set_time(c->master, ICAL_DTSTAMP_PROPERTY, apr_time_now(), NULL, 0);
    }
    if (eas_cal_span(c, c->master, &start, &end, err) != 0) {
        return -1;
    }
    fix_zones(c);
    memset(out, 0, sizeof(*out));
    text = icalcomponent_as_ical_string_r(c->cal);
    out->data = apr_pstrdup(c->p, text);
    free(text);
    prop = icalcomponent_get_first_property(c->master, ICAL_UID_PROPERTY);
    out->pim_uid = apr_pstrdup(c->p, icalproperty_get_uid(prop));
    prop = icalcomponent_get_first_property(c->master, ICAL_SUMMARY_PROPERTY);
    out->subject = prop ? apr_pstrdup(c->p, icalproperty_get_summary(prop)) : NULL;
    out->start = start;
    out->end = end;
    if (icalcomponent_get_first_property(c->master, ICAL_RRULE_PROPERTY) ||
        icalcomponent_get_first_property(c->master, ICAL_RDATE_PROPERTY)) {
        out->end = eas_cal_series_end(c);
    }
    return 0;
}

/* ---- times from EAS ----------------------------------------------------------------------------
 */

/* A wall time (read as UTC by eas_cal_date_in) in zone → UTC. */
static apr_time_t wall(apr_time_t t, icaltimezone *zone, int date_only)
{
    apr_time_exp_t e;
    struct icaltimetype tt = icaltime_null_time();
    apr_time_exp_gmt(&e, t);
    tt.year = e.tm_year + 1900;
    tt.month = e.tm_mon + 1;
    tt.day = e.tm_mday;
    if (!date_only) {
        tt.hour = e.tm_hour;
        tt.minute = e.tm_min;
        tt.second = e.tm_sec;
    }
    return apr_time_from_sec(icaltime_as_timet_with_zone(tt, zone));
}

/* An EAS time element → UTC. All-day: local midnight (EAS < 16 sends it in UTC; 16.x as a date
 * without Z), rounded down for a start and up for an end. */
static int time_in(eas_cal_ctx *c, const char *s, int all_day, int up, apr_time_t *t,
                   const char **err)
{
    int z;
    if (eas_cal_date_in(s, t, &z) != 0) {
        return fail(err, apr_psprintf(c->p, "not a date: %s", s));
    }
    if (!all_day) {
        *t = z ? *t : wall(*t, c->zone, 0);
    } else if (z) {
        *t = eas_cal_midnight(*t, c->zone, up);
    } else {
        *t = wall(*t, c->zone, 1);
    }
    return 0;
}

static const char *time_out(eas_cal_ctx *c, apr_time_t t, int all_day)
{
    if (all_day && c->version >= 160) { /* a date: no time zone, no Z (MS-ASCAL 2.2.2.1) */
        struct icaltimetype tt = icaltime_from_timet_with_zone((time_t)apr_time_sec(t), 0, c->zone);
        return apr_psprintf(c->p, "%04d%02d%02dT000000", tt.year, tt.month, tt.day);
    }
    return eas_cal_date_out(c->p, t, 1);
}

/* Now rounded up to the next half hour (MS-ASCAL 3.2.4.4). */
static apr_time_t half_hour(void)
{
    apr_time_t h = apr_time_from_sec(1800), now = apr_time_now();
    return (now + h - 1) / h * h;
}

/* ---- exceptions ----------------------------------------------------------------------------- */

static icalcomponent *find_override(eas_cal_ctx *c, apr_time_t orig)
{
    icalcomponent *ev;
    const char *err = NULL;
    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        icalproperty *rid = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY);
        if (rid && eas_cal_prop_time(c, rid, c->zone, NULL, &err) == orig && !err) {
            return ev;
        }
    }
    return NULL;
}

/* Removes the master's EXDATE for orig; 1 when there was one. */
static int drop_exdate(eas_cal_ctx *c, apr_time_t orig)
{
    icalproperty *prop, *next;
    const char *err = NULL;
    int found = 0;
    for (prop = icalcomponent_get_first_property(c->master, ICAL_EXDATE_PROPERTY); prop;
         prop = next) {
        next = icalcomponent_get_next_property(c->master, ICAL_EXDATE_PROPERTY);
        if (eas_cal_prop_time(c, prop, c->zone, NULL, &err) == orig && !err) {
            icalcomponent_remove_property(c->master, prop);
            icalproperty_free(prop);
            found = 1;
        }
    }
    return found;
}

static void delete_occurrence(eas_cal_ctx *c, apr_time_t orig)
{
    icalcomponent *ov = find_override(c, orig);
    if (ov) {
        icalcomponent_remove_component(c->cal, ov);
        icalcomponent_free(ov);
    }
    drop_exdate(c, orig);
    icalcomponent_add_property(c->master,
                               eas_cal_time_prop(ICAL_EXDATE_PROPERTY, orig, c->zone, c->all_day));
}

/* A new override of the occurrence at orig: the master's values at that time. */
static icalcomponent *new_override(eas_cal_ctx *c, apr_time_t orig, const char **err)
{
    static const char *const series[] = {"RRULE",  "RDATE",         "EXDATE",
                                         "EXRULE", "RECURRENCE-ID", "DURATION"};
    icalcomponent *ov = icalcomponent_new_clone(c->master);
    apr_time_t s, e;
    size_t i;
    if (eas_cal_span(c, c->master, &s, &e, err) != 0) {
        icalcomponent_free(ov);
        return NULL;
    }
    for (i = 0; i < sizeof(series) / sizeof(series[0]); ++i) {
        eas_cal_remove(ov, series[i]);
    }
    eas_cal_set_time(ov, ICAL_RECURRENCEID_PROPERTY, orig, c->zone, c->all_day);
    eas_cal_set_time(ov, ICAL_DTSTART_PROPERTY, orig, c->zone, c->all_day);
    eas_cal_set_time(ov, ICAL_DTEND_PROPERTY, orig + (e - s), c->zone, c->all_day);
    icalcomponent_add_component(c->cal, ov);
    return ov;
}

/* One exception (an Exception element, or a 16.x instance Change's ApplicationData) applied to
 * the occurrence at orig. */
static int apply_exception(eas_cal_ctx *c, xmlNodePtr node, apr_time_t orig, const char **err)
{
    const char *v = eas_xml_child_text(node, NS, "Deleted");
    const char *st = eas_xml_child_text(node, NS, "StartTime");
    const char *et = eas_xml_child_text(node, NS, "EndTime");
    icalcomponent *ov;
    apr_time_t s, e, ns, ne;
    int all_day, i;

    if (v && strcmp(v, "1") == 0) {
        delete_occurrence(c, orig);
        return 0;
    }
    if (v && *v && strcmp(v, "0") != 0) {
        return fail(err, "Deleted out of range");
    }
    drop_exdate(c, orig);
    if (!(ov = find_override(c, orig)) && !(ov = new_override(c, orig, err))) {
        return -1;
    }
    if (eas_cal_span(c, ov, &s, &e, err) != 0) {
        return -1;
    }
    all_day = icalproperty_get_dtstart(icalcomponent_get_first_property(ov, ICAL_DTSTART_PROPERTY))
                  .is_date;
    if ((v = eas_xml_child_text(node, NS, "AllDayEvent")) && *v) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            return fail(err, "AllDayEvent out of range");
        }
        all_day = *v == '1';
    }
    ns = s;
    ne = e;
    if (st && *st && time_in(c, st, all_day, 0, &ns, err) != 0) {
        return -1;
    }
    if (et && *et && time_in(c, et, all_day, 1, &ne, err) != 0) {
        return -1;
    }
    if (!(et && *et)) {
        ne = ns + (e - s);
    }
    if (ne < ns) {
        return fail(err, "the exception ends before it starts");
    }
    eas_cal_set_time(ov, ICAL_DTSTART_PROPERTY, ns, c->zone, all_day);
    eas_cal_set_time(ov, ICAL_DTEND_PROPERTY, ne, c->zone, all_day);
    for (i = 0; i < eas_cal_nfields; ++i) {
        if (eas_cal_field_in(c, eas_cal_fields[i], ov, node, 1, err) < 0) {
            return -1;
        }
    }
    return 0;
}

/* The occurrence an Exception or InstanceId names → UTC (a date without Z: local midnight). */
static int orig_in(eas_cal_ctx *c, const char *s, apr_time_t *t, const char **err)
{
    int z;
    if (!s || eas_cal_date_in(s, t, &z) != 0) {
        return fail(err, "the exception's original start is not a date");
    }
    if (!z) {
        *t = wall(*t, c->zone, c->all_day);
    }
    return 0;
}

/* ---- comparing fields, for inheritance ----------------------------------------------------------
 */

/* The EAS text a field has for ev (how exceptions are compared with the master). */
static const char *field_sig(eas_cal_ctx *c, xmlDocPtr doc, int i, icalcomponent *ev)
{
    xmlNodePtr tmp = xmlNewDocNode(doc, NULL, BAD_CAST "t", NULL), ch;
    xmlBufferPtr buf = xmlBufferCreate();
    const char *s;
    eas_cal_field_out(c, eas_cal_fields[i], doc, tmp, ev, NULL, 1);
    for (ch = tmp->children; ch; ch = ch->next) {
        xmlNodeDump(buf, doc, ch, 0, 0);
    }
    s = apr_pstrdup(c->p, (const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeNode(tmp);
    return s;
}

/* Overrides that inherited a field from the master before this change inherit the new value. */
static void propagate(eas_cal_ctx *c, icalcomponent *before)
{
    xmlDocPtr doc = eas_xml_new_doc(NS, "t");
    icalcomponent *ev;
    int i;
    for (i = 0; i < eas_cal_nfields; ++i) {
        const char *was = field_sig(c, doc, i, before);
        if (strcmp(was, field_sig(c, doc, i, c->master)) == 0) {
            continue;
        }
        for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
             ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
            if (ev != c->master && strcmp(field_sig(c, doc, i, ev), was) == 0) {
                eas_cal_field_copy(eas_cal_fields[i], ev, c->master);
            }
        }
    }
    xmlFreeDoc(doc);
}

/* Overrides and EXDATEs rewritten in the new zone / all-day form (same UTC instants). */
static void rezone(eas_cal_ctx *c, icaltimezone *ozone, int oall)
{
    static const icalproperty_kind kinds[] = {ICAL_RECURRENCEID_PROPERTY, ICAL_DTSTART_PROPERTY,
                                              ICAL_DTEND_PROPERTY};
    eas_cal_ctx old = *c;
    icalcomponent *ev;
    icalproperty *prop, *next;
    const char *err = NULL;
    size_t k;

    old.zone = ozone;
    old.all_day = oall;
    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        if (ev == c->master) {
            continue;
        }
        for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); ++k) {
            int d = 0;
            apr_time_t t;
            if ((prop = icalcomponent_get_first_property(ev, kinds[k]))) {
                t = eas_cal_prop_time(&old, prop, ozone, &d, &err);
                eas_cal_set_time(ev, kinds[k], t, c->zone, k == 0 ? c->all_day : d);
            }
        }
    }
    for (prop = icalcomponent_get_first_property(c->master, ICAL_EXDATE_PROPERTY); prop;
         prop = next) {
        apr_time_t t = eas_cal_prop_time(&old, prop, ozone, NULL, &err);
        next = icalcomponent_get_next_property(c->master, ICAL_EXDATE_PROPERTY);
        icalcomponent_remove_property(c->master, prop);
        icalproperty_free(prop);
        icalcomponent_add_property(c->master,
                                   eas_cal_time_prop(ICAL_EXDATE_PROPERTY, t, c->zone, c->all_day));
    }
}

static void drop_exceptions(eas_cal_ctx *c)
{
    icalcomponent *ev, *next;
    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev; ev = next) {
        next = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT);
        if (ev != c->master) {
            icalcomponent_remove_component(c->cal, ev);
            icalcomponent_free(ev);
        }
    }
    eas_cal_remove(c->master, "EXDATE");
}

/* ---- from EAS ------------------------------------------------------------------------------- */

static char *rrule_text(icalcomponent *ev)
{
    icalproperty *r = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
    struct icalrecurrencetype rt;
    if (!r) {
        return NULL;
    }
    rt = icalproperty_get_rrule(r);
    return icalrecurrencetype_as_string_r(&rt);
}

static int recurrence_in(eas_cal_ctx *c, xmlNodePtr rec, apr_time_t start, const char **err)
{
    struct icalrecurrencetype rt;
    icalrecurrencetype_clear(&rt);
    if (eas_recur_from_eas(c->p, rec, NS, c->zone, c->all_day, &rt, err) != 0) {
        return -1;
    }
    if (!icaltime_is_null_time(rt.until)) {
        struct icaltimetype u = rt.until;
        icaltimezone *z = u.is_date ? c->zone : utc();
        u.is_date = 0;
        u.zone = NULL;
        if (apr_time_from_sec(icaltime_as_timet_with_zone(u, z)) <
            (rt.until.is_date ? eas_cal_midnight(start, c->zone, 0) : start)) {
            return fail(err, "Recurrence Until is before the start");
        }
    }
    eas_cal_remove(c->master, "RRULE");
    icalcomponent_add_property(c->master, icalproperty_new_rrule(rt));
    return 0;
}

/* Start and end of the master from the request (MS-ASCAL 3.2.4.4 when an Add lacks them). */
static int times_in(eas_cal_ctx *c, xmlNodePtr app, int change, apr_time_t *start, apr_time_t *end,
                    const char **err)
{
    const char *st = eas_xml_child_text(app, NS, "StartTime");
    const char *et = eas_xml_child_text(app, NS, "EndTime");
    int has_s = st && *st, has_e = et && *et;

    if (has_s && time_in(c, st, c->all_day, 0, start, err) != 0) {
        return -1;
    }
    if (has_e && time_in(c, et, c->all_day, 1, end, err) != 0) {
        return -1;
    }
    if (!change && !has_s) {
        *start = half_hour();
        if (!has_e) {
            *end = *start + apr_time_from_sec(1800);
        } else if (*end < apr_time_now()) {
            return fail(err, "EndTime in the past without StartTime");
        }
    } else if (!change && !has_e) {
        if (*start > apr_time_now()) {
            return fail(err, "StartTime in the future without EndTime");
        }
        *end = half_hour() + apr_time_from_sec(1800);
    }
    if (c->all_day) { /* whole local days */
        *start = eas_cal_midnight(*start, c->zone, 0);
        *end = eas_cal_midnight(*end, c->zone, 1);
        if (*end <= *start) {
            *end = eas_cal_midnight(*start + apr_time_from_sec(86400 + 7200), c->zone, 0);
        }
    }
    if (*end < *start) {
        return fail(err, "EndTime is before StartTime");
    }
    return 0;
}

static xmlNodePtr instance_of(xmlNodePtr app)
{
    xmlNodePtr id = eas_xml_child(app, BASE, "InstanceId");
    if (!id && app->parent && app->parent->type == XML_ELEMENT_NODE) {
        id = eas_xml_child(app->parent, BASE, "InstanceId"); /* MS-ASCMD: a child of Change */
    }
    return id;
}

static int master_in(eas_cal_ctx *c, xmlNodePtr app, int change, const char **err)
{
    icaltimezone *ozone = c->zone;
    int oall = c->all_day, i;
    apr_time_t ostart = 0, oend = 0, start, end;
    const char *v, *tzb, *uid;
    icalcomponent *before = NULL;
    xmlNodePtr rec, exs, ex;
    char *orule = NULL, *nrule;
    int rc = -1, recurring;

    if (change && eas_cal_span(c, c->master, &ostart, &oend, err) != 0) {
        return -1;
    }
    if ((v = eas_xml_child_text(app, NS, "AllDayEvent")) && *v) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
            return fail(err, "AllDayEvent out of range");
        }
        c->all_day = *v == '1';
    }
    if ((tzb = eas_xml_child_text(app, NS, "Timezone")) && *tzb) {
        apr_time_t t = ostart;
        apr_time_exp_t e;
        int z;
        if ((v = eas_xml_child_text(app, NS, "StartTime")) && eas_cal_date_in(v, &t, &z) != 0) {
            return fail(err, "StartTime is not a date");
        }
        apr_time_exp_gmt(&e, t ? t : apr_time_now());
        if (!(c->zone = eas_tz_from_blob(c->p, tzb, e.tm_year + 1900, err))) {
            return -1;
        }
        /* the device's own bytes (its zone names) go back to it while the zone is unchanged */
        eas_cal_x_set(c->master, "X-EAS-TIMEZONE", tzb);
    }
    start = ostart;
    end = oend;
    if (times_in(c, app, change, &start, &end, err) != 0) {
        return -1;
    }
    if (change && (c->zone != ozone || c->all_day != oall)) {
        rezone(c, ozone, oall);
    }
    eas_cal_remove(c->master, "DURATION");
    eas_cal_set_time(c->master, ICAL_DTSTART_PROPERTY, start, c->zone, c->all_day);
    eas_cal_set_time(c->master, ICAL_DTEND_PROPERTY, end, c->zone, c->all_day);
    eas_cal_x_set(c->master, "X-EAS-TZID",
                  c->all_day && c->zone != utc() ? eas_tz_id(c->zone) : NULL);

    uid = eas_xml_child_text(app, NS, "UID");
    if (!uid || !*uid) {
        uid = eas_xml_child_text(app, NS, "ClientUid");
    }
    if (uid && *uid) {
        if (strlen(uid) > 300) {
            return fail(err, "UID longer than 300 characters");
        }
        eas_cal_remove(c->master, "UID");
        icalcomponent_add_property(c->master, icalproperty_new_uid(uid));
    }

    if (change) {
        before = icalcomponent_new_clone(c->master);
        orule = rrule_text(c->master);
    }
    for (i = 0; i < eas_cal_nfields; ++i) {
        if (eas_cal_field_in(c, eas_cal_fields[i], c->master, app, 0, err) < 0) {
            goto done;
        }
    }
    if ((rec = eas_xml_child(app, NS, "Recurrence")) && rec->children &&
        recurrence_in(c, rec, start, err) != 0) {
        goto done;
    }
    nrule = rrule_text(c->master);
    recurring = nrule != NULL;
    if (change && c->version >= 160 && recurring &&
        (start != ostart || end != oend || !orule || strcmp(orule, nrule) != 0)) {
        drop_exceptions(c); /* MS-ASCAL 2.2.2.22: a new pattern or time ends the exceptions */
    }
    free(nrule);
    if (before) {
        propagate(c, before);
    }
    if ((exs = eas_xml_child(app, NS, "Exceptions"))) {
        for (ex = eas_xml_child(exs, NS, "Exception"); ex; ex = eas_xml_next(ex)) {
            apr_time_t orig;
            v = eas_xml_child_text(ex, NS, "ExceptionStartTime");
            if (!v) {
                v = eas_xml_child_text(ex, BASE, "InstanceId");
            }
            if (orig_in(c, v, &orig, err) != 0 || apply_exception(c, ex, orig, err) != 0) {
                goto done;
            }
        }
    }
    rc = 0;
done:
    if (before) {
        icalcomponent_free(before);
    }
    free(orule);
    return rc;
}

static int cal_from_eas(apr_pool_t *p, xmlNodePtr app, const char *old, int version,
                        eas_pim_item *out, const char **err)
{
    eas_cal_ctx c;
    xmlNodePtr iid = instance_of(app);

    *err = NULL;
    if (old) {
        if (load(&c, p, old, version, err) != 0) {
            return -1;
        }
    } else {
        memset(&c, 0, sizeof(c));
        c.p = p;
        c.version = version;
        c.cal = new_cal(p);
        c.master = icalcomponent_new_vevent();
        icalcomponent_add_component(c.cal, c.master);
        c.zone = utc();
    }
    if (old && iid) { /* 16.x: a change of one occurrence */
        apr_time_t orig;
        xmlChar *id = xmlNodeGetContent(iid);
        int r = orig_in(&c, (const char *)id, &orig, err);
        xmlFree(id);
        if (r != 0) {
            return -1;
        }
        if (!eas_cal_is_occurrence(&c, orig)) {
            return fail(err, "InstanceId is not an occurrence of the series");
        }
        if (apply_exception(&c, app, orig, err) != 0) {
            return -1;
        }
    } else if (master_in(&c, app, old != NULL, err) != 0) {
        return -1;
    }
    return store(&c, out, err);
}

int eas_cal_delete_instance(apr_pool_t *p, const char *old, const char *instance_id,
                            eas_pim_item *out, const char **err)
{
    eas_cal_ctx c;
    apr_time_t orig;
    *err = NULL;
    if (load(&c, p, old, 161, err) != 0 || orig_in(&c, instance_id, &orig, err) != 0) {
        return -1;
    }
    if (!eas_cal_is_occurrence(&c, orig)) {
        return fail(err, "InstanceId is not an occurrence of the series");
    }
    delete_occurrence(&c, orig);
    return store(&c, out, err);
}

/* ---- to EAS --------------------------------------------------------------------------------- */

typedef struct {
    apr_time_t orig;
    icalcomponent *ev; /* NULL: deleted */
} exc_t;

static int exc_cmp(const void *a, const void *b)
{
    const exc_t *x = a, *y = b;
    return x->orig < y->orig ? -1 : x->orig > y->orig;
}

static void exception_out(eas_cal_ctx *c, xmlDocPtr doc, xmlNodePtr exs, const exc_t *x,
                          const eas_body_opts *o)
{
    xmlNsPtr ns = eas_xml_ns(doc, NS);
    xmlNodePtr ex = eas_xml_add(exs, ns, "Exception", NULL);
    apr_time_t s, e;
    const char *err;
    int i, all_day;

    if (!x->ev) {
        eas_xml_add(ex, ns, "Deleted", "1");
    }
    if (c->version >= 160) {
        eas_xml_add(ex, eas_xml_ns(doc, BASE), "InstanceId", eas_cal_date_out(c->p, x->orig, 1));
    } else {
        eas_xml_add(ex, ns, "ExceptionStartTime", eas_cal_date_out(c->p, x->orig, 1));
    }
    if (!x->ev || eas_cal_span(c, x->ev, &s, &e, &err) != 0) {
        return;
    }
    all_day =
        icalproperty_get_dtstart(icalcomponent_get_first_property(x->ev, ICAL_DTSTART_PROPERTY))
            .is_date;
    eas_xml_add(ex, ns, "StartTime", time_out(c, s, all_day));
    eas_xml_add(ex, ns, "EndTime", time_out(c, e, all_day));
    if (all_day != c->all_day) {
        eas_xml_add_int(ex, ns, "AllDayEvent", all_day);
    }
    for (i = 0; i < eas_cal_nfields; ++i) {
        /* only what differs from the master; an empty element removes an inherited value */
        xmlNodePtr tmp = xmlNewDocNode(doc, NULL, BAD_CAST "t", NULL), ch, next;
        const char *mine, *master = field_sig(c, doc, i, c->master);
        eas_cal_field_out(c, eas_cal_fields[i], doc, tmp, x->ev, o, 1);
        mine = field_sig(c, doc, i, x->ev);
        if (strcmp(mine, master) != 0) {
            if (!tmp->children && *master) {
                xmlNodePtr m = xmlNewDocNode(doc, NULL, BAD_CAST "m", NULL);
                eas_cal_field_out(c, eas_cal_fields[i], doc, m, c->master, o, 1);
                if (m->children) { /* the same element, empty */
                    eas_xml_add(ex, m->children->ns, (const char *)m->children->name, NULL);
                }
                xmlFreeNode(m);
            }
            for (ch = tmp->children; ch; ch = next) {
                next = ch->next;
                xmlUnlinkNode(ch);
                xmlAddChild(ex, ch);
            }
        }
        xmlFreeNode(tmp);
    }
}

static void exceptions_out(eas_cal_ctx *c, xmlDocPtr doc, xmlNodePtr app, const eas_body_opts *o)
{
    apr_array_header_t *all = apr_array_make(c->p, 8, sizeof(exc_t));
    icalcomponent *ev;
    icalproperty *prop;
    const char *err = NULL;
    xmlNodePtr exs;
    int i;

    for (prop = icalcomponent_get_first_property(c->master, ICAL_EXDATE_PROPERTY); prop;
         prop = icalcomponent_get_next_property(c->master, ICAL_EXDATE_PROPERTY)) {
        exc_t *x = apr_array_push(all);
        x->orig = eas_cal_prop_time(c, prop, c->zone, NULL, &err);
        x->ev = NULL;
    }
    for (ev = icalcomponent_get_first_component(c->cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c->cal, ICAL_VEVENT_COMPONENT)) {
        if ((prop = icalcomponent_get_first_property(ev, ICAL_RECURRENCEID_PROPERTY))) {
            exc_t *x = apr_array_push(all);
            x->orig = eas_cal_prop_time(c, prop, c->zone, NULL, &err);
            x->ev = ev;
        }
    }
    if (err || all->nelts == 0) {
        return;
    }
    qsort(all->elts, (size_t)all->nelts, sizeof(exc_t), exc_cmp);
    exs = eas_xml_add(app, eas_xml_ns(doc, NS), "Exceptions", NULL);
    for (i = 0; i < all->nelts && i < 1000; ++i) { /* the XSD's limit */
        exception_out(c, doc, exs, &APR_ARRAY_IDX(all, i, exc_t), o);
    }
}

static int cal_to_eas(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *data,
                      const eas_body_opts *o, int version, const char **err)
{
    eas_cal_ctx c;
    xmlNsPtr ns;
    icalproperty *prop;
    apr_time_t s, e;
    int i;

    *err = NULL;
    if (load(&c, p, data, version, err) != 0 || eas_cal_span(&c, c.master, &s, &e, err) != 0) {
        return -1;
    }
    ns = eas_xml_ns(doc, NS);
    if (!(c.all_day && version >= 160)) {
        struct icaltimetype tt = icaltime_from_timet_with_zone((time_t)apr_time_sec(s), 0, c.zone);
        const char *kept = eas_cal_x_get(c.master, "X-EAS-TIMEZONE"), *ignored;
        icaltimezone *kz = kept ? eas_tz_from_blob(p, kept, tt.year, &ignored) : NULL;
        eas_xml_add(app, ns, "Timezone",
                    kz && strcmp(eas_tz_id(kz), eas_tz_id(c.zone)) == 0
                        ? kept
                        : eas_tz_to_blob(p, c.zone == utc() ? NULL : c.zone, tt.year));
    }
    eas_xml_add_int(app, ns, "AllDayEvent", c.all_day);
    eas_xml_add(app, ns, "StartTime", time_out(&c, s, c.all_day));
    eas_xml_add(app, ns, "EndTime", time_out(&c, e, c.all_day));
    if ((prop = icalcomponent_get_first_property(c.master, ICAL_UID_PROPERTY)) &&
        strlen(icalproperty_get_uid(prop)) <= 300) {
        eas_xml_add(app, ns, "UID", icalproperty_get_uid(prop));
    }
    for (i = 0; i < eas_cal_nfields; ++i) {
        eas_cal_field_out(&c, eas_cal_fields[i], doc, app, c.master, o, 0);
    }
    if ((prop = icalcomponent_get_first_property(c.master, ICAL_RRULE_PROPERTY))) {
        struct icalrecurrencetype rt = icalproperty_get_rrule(prop);
        icalproperty *dp = icalcomponent_get_first_property(c.master, ICAL_DTSTART_PROPERTY);
        if (dp) { /* wall-clock start as if UTC, for the parts an import left to DTSTART */
            eas_recur_complete(&rt,
                               apr_time_from_sec(icaltime_as_timet(icalproperty_get_dtstart(dp))));
        }
        if (eas_recur_to_eas(p, app, ns, &rt, c.zone, version, 0) == 0) {
            exceptions_out(&c, doc, app, o);
        }
    }
    return 0;
}

/* ---- files ---------------------------------------------------------------------------------- */

/* Every TZID of the item must name a zone we can compute with. */
static int check_zones(eas_cal_ctx *c, icalcomponent *comp, const char **err)
{
    icalproperty *prop;
    icalcomponent *sub;
    for (prop = icalcomponent_get_first_property(comp, ICAL_ANY_PROPERTY); prop;
         prop = icalcomponent_get_next_property(comp, ICAL_ANY_PROPERTY)) {
        icalparameter *tz = icalproperty_get_first_parameter(prop, ICAL_TZID_PARAMETER);
        if (tz && !eas_cal_prop_zone(c, prop)) {
            *err = apr_psprintf(c->p, "unknown TZID %s", icalparameter_get_tzid(tz));
            return -1;
        }
    }
    for (sub = icalcomponent_get_first_component(comp, ICAL_ANY_COMPONENT); sub;
         sub = icalcomponent_get_next_component(comp, ICAL_ANY_COMPONENT)) {
        if (icalcomponent_isa(sub) != ICAL_VTIMEZONE_COMPONENT && check_zones(c, sub, err) != 0) {
            return -1;
        }
    }
    return 0;
}

static int cal_parse(apr_pool_t *p, const char *text, eas_pim_item *out, const char **err)
{
    eas_cal_ctx c;
    icalcomponent *ev;
    apr_time_t s, e;
    *err = NULL;
    if (load(&c, p, text, 161, err) != 0 || check_zones(&c, c.cal, err) != 0) {
        return -1;
    }
    for (ev = icalcomponent_get_first_component(c.cal, ICAL_VEVENT_COMPONENT); ev;
         ev = icalcomponent_get_next_component(c.cal, ICAL_VEVENT_COMPONENT)) {
        if (eas_cal_span(&c, ev, &s, &e, err) != 0) {
            return -1;
        }
    }
    return store(&c, out, err);
}

const eas_pim_class eas_pim_calendar = {"Calendar", "text/calendar", "ics",         cal_from_eas,
                                        cal_to_eas, cal_parse,       eas_ics_split, eas_ics_join};
