/* eas_note.c — the Notes class (MS-ASNOTE) stored as an iCalendar VJOURNAL (libical):
 * Subject → SUMMARY, Body → DESCRIPTION (an HTML body also as X-ALT-DESC;FMTTYPE=text/html),
 * Categories → CATEGORIES, MessageClass → X-EAS-MESSAGECLASS, LastModifiedDate → LAST-MODIFIED.
 * A Change edits the stored VJOURNAL in place, so properties from an import stay. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libical/ical.h>

#include "eas_pim.h"
#include "eas_tz.h"
#include "eas_vcard.h"
#include "eas_xml.h"

#define NS_N          "Notes:"
#define DEFAULT_CLASS "IPM.StickyNote"

/* libical builds its UTC zone on first use without a lock: build it once, before any thread
 * can race for it. */
static pthread_once_t utc_once = PTHREAD_ONCE_INIT;

static void utc_init(void)
{
    (void)icaltimezone_get_utc_timezone();
}

static icaltimezone *utc(void)
{
    pthread_once(&utc_once, utc_init);
    return icaltimezone_get_utc_timezone();
}

/* The stored or imported text → its VCALENDAR (pool-owned) and first VJOURNAL; NULL if none. */
static icalcomponent *load(apr_pool_t *p, const char *text, icalcomponent **journal)
{
    icalcomponent *c = text ? icalcomponent_new_from_string(text) : NULL;
    if (!c) {
        return NULL;
    }
    if (icalcomponent_isa(c) == ICAL_VJOURNAL_COMPONENT) {
        icalcomponent *cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
        icalcomponent_add_component(cal, c);
        c = cal;
    }
    eas_pim_own_component(p, c);
    *journal = icalcomponent_isa(c) == ICAL_VCALENDAR_COMPONENT
                   ? icalcomponent_get_first_component(c, ICAL_VJOURNAL_COMPONENT)
                   : NULL;
    return *journal ? c : NULL;
}

static void remove_all(icalcomponent *j, icalproperty_kind kind, const char *x_name)
{
    icalproperty *pr = icalcomponent_get_first_property(j, kind), *next;
    for (; pr; pr = next) {
        next = icalcomponent_get_next_property(j, kind);
        if (!x_name || !strcasecmp(icalproperty_get_x_name(pr), x_name)) {
            icalcomponent_remove_property(j, pr);
            icalproperty_free(pr);
        }
    }
}

static const char *get_x(icalcomponent *j, const char *x_name)
{
    icalproperty *pr;
    for (pr = icalcomponent_get_first_property(j, ICAL_X_PROPERTY); pr;
         pr = icalcomponent_get_next_property(j, ICAL_X_PROPERTY)) {
        if (!strcasecmp(icalproperty_get_x_name(pr), x_name)) {
            return icalproperty_get_x(pr);
        }
    }
    return NULL;
}

static void set_x(icalcomponent *j, const char *x_name, const char *value, icalparameter *param)
{
    icalproperty *pr = icalproperty_new_x(value);
    icalproperty_set_x_name(pr, x_name);
    if (param) {
        icalproperty_add_parameter(pr, param);
    }
    icalcomponent_add_property(j, pr);
}

static icaltimetype now_utc(void)
{
    return icaltime_from_timet_with_zone((time_t)apr_time_sec(apr_time_now()), 0, utc());
}

/* UID and DTSTAMP, which RFC 5545 requires of a VJOURNAL. */
static void ensure_ids(apr_pool_t *p, icalcomponent *j)
{
    if (!icalcomponent_get_first_property(j, ICAL_UID_PROPERTY)) {
        icalcomponent_add_property(j, icalproperty_new_uid(eas_pim_new_uid(p)));
    }
    if (!icalcomponent_get_first_property(j, ICAL_DTSTAMP_PROPERTY)) {
        icalcomponent_add_property(j, icalproperty_new_dtstamp(now_utc()));
    }
}

static int columns(apr_pool_t *p, icalcomponent *cal, icalcomponent *j, eas_pim_item *out)
{
    char *s = icalcomponent_as_ical_string_r(cal);
    const char *uid = icalcomponent_get_uid(j), *summary = icalcomponent_get_summary(j);
    memset(out, 0, sizeof(*out));
    out->data = apr_pstrdup(p, s ? s : "");
    free(s);
    out->pim_uid = uid ? apr_pstrdup(p, uid) : NULL;
    out->subject = apr_pstrdup(p, summary ? summary : "");
    return 0;
}

/* "IPM.StickyNote" or "IPM.StickyNote.*" (MS-ASNOTE 2.2.2.5). */
static int class_valid(const char *mc)
{
    return !strcmp(mc, DEFAULT_CLASS) || (!strncmp(mc, DEFAULT_CLASS ".", 15) && mc[15]);
}

static const char *node_text(apr_pool_t *p, xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = apr_pstrdup(p, t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

static int note_from_eas(apr_pool_t *p, xmlNodePtr app, const char *old, int version,
                         eas_pim_item *out, const char **err)
{
    icalcomponent *cal, *j;
    xmlNodePtr n, cats;
    const char *mc = NULL, *body;
    int is_html = 0;

    if ((n = eas_xml_child(app, NS_N, "MessageClass")) != NULL) {
        mc = node_text(p, n);
        if (*mc && !class_valid(mc)) {
            *err = "invalid MessageClass (IPM.StickyNote expected)";
            return -1;
        }
    }
    if (old) {
        if (!(cal = load(p, old, &j))) {
            *err = "stored note is not an iCalendar VJOURNAL";
            return -1;
        }
    } else {
        cal = icalcomponent_new(ICAL_VCALENDAR_COMPONENT);
        eas_pim_own_component(p, cal);
        icalcomponent_add_property(cal, icalproperty_new_version("2.0"));
        icalcomponent_add_property(cal, icalproperty_new_prodid("-//mod_eas//Notes//EN"));
        j = icalcomponent_new(ICAL_VJOURNAL_COMPONENT);
        icalcomponent_add_component(cal, j);
        icalcomponent_add_property(j, icalproperty_new_created(now_utc()));
    }
    /* an absent Subject or Body is no delete (MS-ASNOTE 3.2.5.3); absent Categories are */
    if ((n = eas_xml_child(app, NS_N, "Subject")) != NULL) {
        const char *s = node_text(p, n);
        remove_all(j, ICAL_SUMMARY_PROPERTY, NULL);
        if (*s) {
            icalcomponent_add_property(j, icalproperty_new_summary(s));
        }
    }
    if ((body = eas_pim_body_in(p, app, &is_html)) != NULL) {
        remove_all(j, ICAL_DESCRIPTION_PROPERTY, NULL);
        remove_all(j, ICAL_X_PROPERTY, "X-ALT-DESC");
        if (*body) {
            icalcomponent_add_property(
                j, icalproperty_new_description(is_html ? eas_vcard_html_text(p, body) : body));
            if (is_html) {
                set_x(j, "X-ALT-DESC", body, icalparameter_new_fmttype("text/html"));
            }
        }
    }
    remove_all(j, ICAL_CATEGORIES_PROPERTY, NULL);
    if ((cats = eas_xml_child(app, NS_N, "Categories")) != NULL) {
        for (n = eas_xml_child(cats, NS_N, "Category"); n; n = eas_xml_next(n)) {
            const char *c = node_text(p, n);
            if (*c) {
                icalcomponent_add_property(j, icalproperty_new_categories(c));
            }
        }
    }
    if (mc && *mc) {
        remove_all(j, ICAL_X_PROPERTY, "X-EAS-MESSAGECLASS");
        set_x(j, "X-EAS-MESSAGECLASS", mc, NULL);
    }
    /* the server keeps the real modification time; a device's LastModifiedDate is ignored
     * (MS-ASNOTE 3.2.5.3.1) */
    remove_all(j, ICAL_LASTMODIFIED_PROPERTY, NULL);
    icalcomponent_add_property(j, icalproperty_new_lastmodified(now_utc()));
    remove_all(j, ICAL_DTSTAMP_PROPERTY, NULL);
    ensure_ids(p, j);
    return columns(p, cal, j, out);
}

static const char *compact_date(apr_pool_t *p, icaltimetype t)
{
    apr_time_exp_t e;
    time_t s = icaltime_as_timet_with_zone(t, t.zone ? t.zone : utc());
    apr_time_exp_gmt(&e, apr_time_from_sec(s));
    return apr_psprintf(p, "%04d%02d%02dT%02d%02d%02dZ", e.tm_year + 1900, e.tm_mon + 1, e.tm_mday,
                        e.tm_hour, e.tm_min, e.tm_sec);
}

static int note_to_eas(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *data,
                       const eas_body_opts *o, int version, const char **err)
{
    icalcomponent *j;
    icalproperty *pr;
    xmlNsPtr ns;
    xmlNodePtr cats = NULL;
    const char *s, *mc, *desc, *html;
    icaltimetype lm = icaltime_null_time();

    if (!load(p, data, &j)) {
        *err = "stored note is not an iCalendar VJOURNAL";
        return -1;
    }
    ns = eas_xml_ns(doc, NS_N);
    if ((s = icalcomponent_get_summary(j)) != NULL && *s) {
        eas_xml_add(app, ns, "Subject", s);
    }
    desc = icalcomponent_get_description(j);
    html = get_x(j, "X-ALT-DESC");
    eas_pim_body_out(p, doc, app, desc, html, o);
    mc = get_x(j, "X-EAS-MESSAGECLASS");
    eas_xml_add(app, ns, "MessageClass", mc && *mc ? mc : DEFAULT_CLASS);
    if ((pr = icalcomponent_get_first_property(j, ICAL_LASTMODIFIED_PROPERTY)) != NULL) {
        lm = icalproperty_get_lastmodified(pr);
    } else if ((pr = icalcomponent_get_first_property(j, ICAL_DTSTAMP_PROPERTY)) != NULL) {
        lm = icalproperty_get_dtstamp(pr);
    } else if ((pr = icalcomponent_get_first_property(j, ICAL_CREATED_PROPERTY)) != NULL) {
        lm = icalproperty_get_created(pr);
    }
    eas_xml_add(app, ns, "LastModifiedDate",
                compact_date(p, icaltime_is_null_time(lm) ? now_utc() : lm));
    /* libical splits "a,b" into two properties but not "a\,b": split what is left */
    for (pr = icalcomponent_get_first_property(j, ICAL_CATEGORIES_PROPERTY); pr;
         pr = icalcomponent_get_next_property(j, ICAL_CATEGORIES_PROPERTY)) {
        char *list = apr_pstrdup(p, icalproperty_get_categories(pr)), *save = NULL, *c;
        for (c = apr_strtok(list, ",", &save); c; c = apr_strtok(NULL, ",", &save)) {
            if (!cats) {
                cats = eas_xml_add(app, ns, "Categories", NULL);
            }
            eas_xml_add(cats, ns, "Category", c);
        }
    }
    return 0;
}

static int note_parse(apr_pool_t *p, const char *text, eas_pim_item *out, const char **err)
{
    icalcomponent *cal, *j;
    if (!(cal = load(p, text, &j))) {
        *err = "not an iCalendar VJOURNAL";
        return -1;
    }
    ensure_ids(p, j);
    return columns(p, cal, j, out);
}

const eas_pim_class eas_pim_notes = {"Notes",     "text/calendar", "ics",         note_from_eas,
                                     note_to_eas, note_parse,      eas_ics_split, eas_ics_join};
