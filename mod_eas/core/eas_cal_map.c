/* eas_cal_map.c — the Calendar fields other than times, UID and recurrence: one table entry per
 * EAS element (or pair), with the iCalendar properties that store it, so the master, exceptions
 * and 16.x instance changes share one mapping and exceptions can inherit field by field. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_cal.h"
#include "eas_xml.h"

enum { K_CUSTOM, K_TEXT, K_INT, K_DATE, K_BOOL, K_BOOL_TF };

struct eas_cal_field {
    const char *name;         /* EAS element */
    const char *ns;           /* its namespace */
    int version;              /* first version with the element at top level */
    int exc_version;          /* first version with it in an Exception; 0 never */
    const char *const *props; /* storage: property names ("X-EAS-LOCATION-*": a prefix) */
    int kind;                 /* K_CUSTOM uses in/out; others are one X- property */
    long lo, hi;              /* K_INT range */
    int (*in)(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
              const char **err);
    void (*out)(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                icalcomponent *ev, const eas_body_opts *o);
};

/* ---- property helpers ---------------------------------------------------------------------- */

static int named(icalproperty *prop, const char *name)
{
    const char *n = icalproperty_get_property_name(prop);
    size_t len = strlen(name);
    if (!n) {
        return 0;
    }
    if (len && name[len - 1] == '*') {
        return strncasecmp(n, name, len - 1) == 0;
    }
    return strcasecmp(n, name) == 0;
}

static icalproperty *find(icalcomponent *ev, const char *name)
{
    icalproperty *prop;
    for (prop = icalcomponent_get_first_property(ev, ICAL_ANY_PROPERTY); prop;
         prop = icalcomponent_get_next_property(ev, ICAL_ANY_PROPERTY)) {
        if (named(prop, name)) {
            return prop;
        }
    }
    return NULL;
}

static const char *value_of(icalproperty *prop)
{
    icalvalue *v = icalproperty_get_value(prop);
    if (!v) {
        return NULL;
    }
    switch (icalvalue_isa(v)) {
    case ICAL_X_VALUE:
        return icalvalue_get_x(v);
    case ICAL_TEXT_VALUE:
        return icalvalue_get_text(v);
    default:
        return icalproperty_get_value_as_string(prop);
    }
}

const char *eas_cal_x_get(icalcomponent *ev, const char *name)
{
    icalproperty *prop = find(ev, name);
    return prop ? value_of(prop) : NULL;
}

void eas_cal_remove(icalcomponent *ev, const char *name)
{
    icalproperty *prop, *next;
    /* fetch the next one first: removing the current property moves libical's iterator */
    for (prop = icalcomponent_get_first_property(ev, ICAL_ANY_PROPERTY); prop; prop = next) {
        next = icalcomponent_get_next_property(ev, ICAL_ANY_PROPERTY);
        if (named(prop, name)) {
            icalcomponent_remove_property(ev, prop);
            icalproperty_free(prop);
        }
    }
}

void eas_cal_x_set(icalcomponent *ev, const char *name, const char *value)
{
    icalproperty *prop;
    eas_cal_remove(ev, name);
    if (value) {
        prop = icalproperty_new_x(value);
        icalproperty_set_x_name(prop, name);
        icalcomponent_add_property(ev, prop);
    }
}

static void remove_alarms(icalcomponent *ev)
{
    icalcomponent *a;
    while ((a = icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT))) {
        icalcomponent_remove_component(ev, a);
        icalcomponent_free(a);
    }
}

void eas_cal_field_copy(const eas_cal_field *f, icalcomponent *ev, icalcomponent *from)
{
    const char *const *n;
    icalproperty *prop;
    icalcomponent *a;
    for (n = f->props; *n; ++n) {
        if (strcmp(*n, "VALARM") == 0) {
            remove_alarms(ev);
            for (a = icalcomponent_get_first_component(from, ICAL_VALARM_COMPONENT); a;
                 a = icalcomponent_get_next_component(from, ICAL_VALARM_COMPONENT)) {
                icalcomponent_add_component(ev, icalcomponent_new_clone(a));
            }
            continue;
        }
        eas_cal_remove(ev, *n);
        for (prop = icalcomponent_get_first_property(from, ICAL_ANY_PROPERTY); prop;
             prop = icalcomponent_get_next_property(from, ICAL_ANY_PROPERTY)) {
            if (named(prop, *n)) {
                icalcomponent_add_property(ev, icalproperty_new_clone(prop));
            }
        }
    }
}

/* Element text: NULL absent, "" empty (or only child elements). */
static const char *text_of(xmlNodePtr node, const char *ns, const char *name)
{
    const char *v = eas_xml_child_text(node, ns, name);
    if (!v && eas_xml_child(node, ns, name)) {
        return "";
    }
    return v;
}

static int bad(const char **err, const char *msg)
{
    *err = msg;
    return -1;
}

/* Decimal value in [lo, hi]; -1 when not. */
static int int_in(const char *s, long lo, long hi, long *v)
{
    char *end;
    if (!s || !*s) {
        return -1;
    }
    *v = strtol(s, &end, 10);
    return (*end || *v < lo || *v > hi) ? -1 : 0;
}

static int bool_in(const char *s, int *v)
{
    if (strcmp(s, "1") == 0 || strcasecmp(s, "true") == 0) {
        *v = 1;
    } else if (strcmp(s, "0") == 0 || strcasecmp(s, "false") == 0) {
        *v = 0;
    } else {
        return -1;
    }
    return 0;
}

/* ---- one X- property per field --------------------------------------------------------------- */

static int x_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                const char **err)
{
    const char *v = text_of(node, f->ns, f->name);
    apr_time_t t;
    long n;
    int b, z;

    if (!v) {
        return 0;
    }
    if (!*v) {
        eas_cal_remove(ev, f->props[0]);
        return 1;
    }
    switch (f->kind) {
    case K_INT:
        if (int_in(v, f->lo, f->hi, &n) != 0) {
            return bad(err, apr_psprintf(c->p, "%s out of range", f->name));
        }
        v = apr_ltoa(c->p, n);
        break;
    case K_DATE:
        if (eas_cal_date_in(v, &t, &z) != 0) {
            return bad(err, apr_psprintf(c->p, "%s is not a date", f->name));
        }
        v = eas_cal_date_out(c->p, t, 1);
        break;
    case K_BOOL:
    case K_BOOL_TF:
        if (bool_in(v, &b) != 0) {
            return bad(err, apr_psprintf(c->p, "%s is not a boolean", f->name));
        }
        v = f->kind == K_BOOL ? (b ? "1" : "0") : (b ? "TRUE" : "FALSE");
        break;
    default:
        break;
    }
    eas_cal_x_set(ev, f->props[0], v);
    return 1;
}

static void x_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                  icalcomponent *ev, const eas_body_opts *o)
{
    const char *v = eas_cal_x_get(ev, f->props[0]);
    int b;
    if (!v) {
        return;
    }
    if (f->kind == K_BOOL || f->kind == K_BOOL_TF) {
        if (bool_in(v, &b) != 0) {
            return;
        }
        v = b ? "1" : "0";
    }
    eas_xml_add(parent, eas_xml_ns(doc, f->ns), f->name, v);
}

/* ---- Subject, Categories, DtStamp ------------------------------------------------------------ */

static int subject_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                      const char **err)
{
    const char *v = text_of(node, EAS_CAL_NS, "Subject");
    if (!v) {
        return 0;
    }
    eas_cal_remove(ev, "SUMMARY");
    if (*v) {
        icalcomponent_add_property(ev, icalproperty_new_summary(v));
    }
    return 1;
}

static void subject_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                        icalcomponent *ev, const eas_body_opts *o)
{
    icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_SUMMARY_PROPERTY);
    if (prop) {
        eas_xml_add(parent, eas_xml_ns(doc, EAS_CAL_NS), "Subject", icalproperty_get_summary(prop));
    }
}

static int categories_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                         const char **err)
{
    xmlNodePtr cats = eas_xml_child(node, EAS_CAL_NS, "Categories"), cat;
    if (!cats) {
        return 0;
    }
    eas_cal_remove(ev, "CATEGORIES");
    for (cat = eas_xml_child(cats, EAS_CAL_NS, "Category"); cat; cat = eas_xml_next(cat)) {
        xmlChar *v = xmlNodeGetContent(cat);
        if (v && *v) {
            icalcomponent_add_property(ev, icalproperty_new_categories((const char *)v));
        }
        xmlFree(v);
    }
    return 1;
}

static void categories_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                           icalcomponent *ev, const eas_body_opts *o)
{
    xmlNsPtr ns = eas_xml_ns(doc, EAS_CAL_NS);
    icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_CATEGORIES_PROPERTY);
    xmlNodePtr cats;
    if (!prop) {
        return;
    }
    cats = eas_xml_add(parent, ns, "Categories", NULL);
    for (; prop; prop = icalcomponent_get_next_property(ev, ICAL_CATEGORIES_PROPERTY)) {
        eas_xml_add(cats, ns, "Category", icalproperty_get_categories(prop));
    }
}

static int dtstamp_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                      const char **err)
{
    const char *v = text_of(node, EAS_CAL_NS, "DtStamp");
    apr_time_t t;
    int z;
    if (!v) {
        return 0;
    }
    if (!*v) {
        return 1; /* DTSTAMP is required in iCalendar: an empty one keeps the old */
    }
    if (eas_cal_date_in(v, &t, &z) != 0) {
        return bad(err, "DtStamp is not a date");
    }
    eas_cal_set_time(ev, ICAL_DTSTAMP_PROPERTY, t, NULL, 0);
    return 1;
}

static void dtstamp_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                        icalcomponent *ev, const eas_body_opts *o)
{
    icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY);
    const char *err = NULL;
    apr_time_t t = prop ? eas_cal_prop_time(c, prop, NULL, NULL, &err) : 0;
    if (prop && !err) {
        eas_xml_add(parent, eas_xml_ns(doc, EAS_CAL_NS), "DtStamp", eas_cal_date_out(c->p, t, 1));
    }
}

/* ---- Location: Calendar:Location text (< 16.0), AirSyncBase:Location (16.x) ---------------------
 */

static const char *const loc_parts[] = {
    "Annotation", "Street",    "City",     "State",    "Country",          "PostalCode",
    "Latitude",   "Longitude", "Accuracy", "Altitude", "AltitudeAccuracy", "LocationUri"};
#define NLOC (sizeof(loc_parts) / sizeof(loc_parts[0]))

static const char *loc_prop(apr_pool_t *p, const char *part)
{
    char *s = apr_pstrcat(p, "X-EAS-LOCATION-", part, NULL), *q;
    for (q = s; *q; ++q) {
        *q = (char)(*q >= 'a' && *q <= 'z' ? *q - 32 : *q);
    }
    return s;
}

static int location_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                       const char **err)
{
    xmlNodePtr loc = eas_xml_child(node, EAS_CAL_BASE, "Location");
    const char *v, *lat = NULL, *lon = NULL;
    size_t i;

    if (!loc) {
        if (!(v = text_of(node, EAS_CAL_NS, "Location"))) {
            return 0;
        }
        /* a plain location replaces a structured one: its address would be stale */
        eas_cal_remove(ev, "LOCATION");
        eas_cal_remove(ev, "X-EAS-LOCATION-*");
        eas_cal_remove(ev, "GEO");
        if (*v) {
            icalcomponent_add_property(ev, icalproperty_new_location(v));
        }
        return 1;
    }
    eas_cal_remove(ev, "LOCATION");
    eas_cal_remove(ev, "X-EAS-LOCATION-*");
    eas_cal_remove(ev, "GEO");
    if ((v = text_of(loc, EAS_CAL_BASE, "DisplayName")) && *v) {
        icalcomponent_add_property(ev, icalproperty_new_location(v));
    }
    for (i = 0; i < NLOC; ++i) {
        char *end;
        if (!(v = text_of(loc, EAS_CAL_BASE, loc_parts[i])) || !*v) {
            continue;
        }
        if (i >= 6 && i <= 10) { /* Latitude .. AltitudeAccuracy are xs:double */
            (void)strtod(v, &end);
            if (*end) {
                return bad(err, apr_psprintf(c->p, "Location %s is not a number", loc_parts[i]));
            }
            lat = i == 6 ? v : lat;
            lon = i == 7 ? v : lon;
        }
        eas_cal_x_set(ev, loc_prop(c->p, loc_parts[i]), v);
    }
    if (lat && lon) { /* the standard property too, for other iCalendar software */
        struct icalgeotype g;
        memset(&g, 0, sizeof(g));
#if ICAL_MAJOR_VERSION >= 4
        apr_cpystrn(g.lat, lat, sizeof(g.lat));
        apr_cpystrn(g.lon, lon, sizeof(g.lon));
#else
        g.lat = strtod(lat, NULL);
        g.lon = strtod(lon, NULL);
#endif
        icalcomponent_add_property(ev, icalproperty_new_geo(g));
    }
    return 1;
}

static void location_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                         icalcomponent *ev, const eas_body_opts *o)
{
    icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_LOCATION_PROPERTY);
    const char *name = prop ? icalproperty_get_location(prop) : NULL;
    xmlNsPtr base;
    xmlNodePtr loc;
    size_t i;

    if (c->version < 160) {
        if (name) {
            eas_xml_add(parent, eas_xml_ns(doc, EAS_CAL_NS), "Location", name);
        }
        return;
    }
    if (!name && !find(ev, "X-EAS-LOCATION-*")) {
        return;
    }
    base = eas_xml_ns(doc, EAS_CAL_BASE);
    loc = eas_xml_add(parent, base, "Location", NULL);
    if (name) {
        eas_xml_add(loc, base, "DisplayName", name);
    }
    for (i = 0; i < NLOC; ++i) {
        const char *v = eas_cal_x_get(ev, loc_prop(c->p, loc_parts[i]));
        if (v) {
            eas_xml_add(loc, base, loc_parts[i], v);
        }
    }
}

/* ---- Body ---------------------------------------------------------------------------------- */

/* Plain text of an HTML body, for DESCRIPTION (X-ALT-DESC keeps the HTML). */
static const char *html_text(apr_pool_t *p, const char *html)
{
    static const struct {
        const char *ent, *ch;
    } ents[] = {{"&amp;", "&"},   {"&lt;", "<"},   {"&gt;", ">"},
                {"&quot;", "\""}, {"&nbsp;", " "}, {"&#39;", "'"}};
    char *out = apr_palloc(p, strlen(html) + 1), *o = out;
    const char *s = html;
    size_t i;
    while (*s) {
        if (*s == '<') {
            int br = strncasecmp(s, "<br", 3) == 0 || strncasecmp(s, "</p", 3) == 0 ||
                     strncasecmp(s, "</div", 5) == 0;
            while (*s && *s != '>') {
                ++s;
            }
            s += *s ? 1 : 0;
            if (br) {
                *o++ = '\n';
            }
            continue;
        }
        if (*s == '&') {
            for (i = 0; i < sizeof(ents) / sizeof(ents[0]); ++i) {
                size_t n = strlen(ents[i].ent);
                if (strncasecmp(s, ents[i].ent, n) == 0) {
                    *o++ = ents[i].ch[0];
                    s += n;
                    break;
                }
            }
            if (i < sizeof(ents) / sizeof(ents[0])) {
                continue;
            }
        }
        *o++ = *s++;
    }
    *o = '\0';
    return out;
}

static int body_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                   const char **err)
{
    int html;
    const char *v = eas_pim_body_in(c->p, node, &html);
    if (!v) {
        return 0;
    }
    eas_cal_remove(ev, "DESCRIPTION");
    eas_cal_remove(ev, "X-ALT-DESC");
    if (!*v) {
        return 1;
    }
    if (html) {
        icalproperty *alt = icalproperty_new_x(v);
        icalproperty_set_x_name(alt, "X-ALT-DESC");
        icalproperty_set_parameter(alt, icalparameter_new_fmttype("text/html"));
        icalcomponent_add_property(ev, alt);
        v = html_text(c->p, v);
    }
    icalcomponent_add_property(ev, icalproperty_new_description(v));
    return 1;
}

static void body_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                     icalcomponent *ev, const eas_body_opts *o)
{
    icalproperty *d = icalcomponent_get_first_property(ev, ICAL_DESCRIPTION_PROPERTY);
    eas_body_opts def;
    if (!o) {
        eas_body_opts_init(&def);
        o = &def;
    }
    eas_pim_body_out(c->p, doc, parent, d ? icalproperty_get_description(d) : NULL,
                     eas_cal_x_get(ev, "X-ALT-DESC"), o);
}

static void native_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                       icalcomponent *ev, const eas_body_opts *o)
{
    const char *v = eas_cal_x_get(ev, "X-EAS-NATIVEBODYTYPE");
    if (!v) { /* what the stored body is */
        v = eas_cal_x_get(ev, "X-ALT-DESC") ? "2" : find(ev, "DESCRIPTION") ? "1" : NULL;
    }
    if (v) {
        eas_xml_add(parent, eas_xml_ns(doc, EAS_CAL_BASE), "NativeBodyType", v);
    }
}

/* ---- Sensitivity, BusyStatus, MeetingStatus ------------------------------------------------- */

static const char *const class_of[] = {"PUBLIC", "PRIVATE", "PRIVATE", "CONFIDENTIAL"};
static const icalproperty_class class_val[] = {ICAL_CLASS_PUBLIC, ICAL_CLASS_PRIVATE,
                                               ICAL_CLASS_PRIVATE, ICAL_CLASS_CONFIDENTIAL};

static int sensitivity_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev,
                          xmlNodePtr node, const char **err)
{
    const char *v = text_of(node, EAS_CAL_NS, "Sensitivity");
    long n;
    if (!v) {
        return 0;
    }
    eas_cal_remove(ev, "CLASS");
    eas_cal_x_set(ev, "X-EAS-SENSITIVITY", NULL);
    if (!*v) {
        return 1;
    }
    if (int_in(v, 0, 3, &n) != 0) {
        return bad(err, "Sensitivity out of range");
    }
    icalcomponent_add_property(ev, icalproperty_new_class(class_val[n]));
    eas_cal_x_set(ev, "X-EAS-SENSITIVITY", apr_ltoa(c->p, n));
    return 1;
}

static void sensitivity_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc,
                            xmlNodePtr parent, icalcomponent *ev, const eas_body_opts *o)
{
    icalproperty *cl = icalcomponent_get_first_property(ev, ICAL_CLASS_PROPERTY);
    const char *cls = cl ? icalproperty_get_value_as_string(cl) : NULL;
    const char *x = eas_cal_x_get(ev, "X-EAS-SENSITIVITY");
    long n = -1;
    if (x && int_in(x, 0, 3, &n) == 0 && (!cls || strcasecmp(cls, class_of[n]) == 0)) {
        /* X-EAS- tells Personal from Private while CLASS still agrees */
    } else if (cls) {
        n = strcasecmp(cls, "CONFIDENTIAL") == 0 ? 3 : strcasecmp(cls, "PRIVATE") == 0 ? 2 : 0;
    }
    if (n >= 0) {
        eas_xml_add_int(parent, eas_xml_ns(doc, EAS_CAL_NS), "Sensitivity", n);
    }
}

static const char *const busy_of[] = {"FREE", "TENTATIVE", "BUSY", "OOF", "WORKINGELSEWHERE"};

static int busy_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                   const char **err)
{
    const char *v = text_of(node, EAS_CAL_NS, "BusyStatus");
    long n;
    if (!v) {
        return 0;
    }
    if (int_in(v, 0, c->version >= 160 ? 4 : 3, &n) != 0) {
        return bad(err, "BusyStatus out of range");
    }
    eas_cal_remove(ev, "TRANSP");
    icalcomponent_add_property(
        ev, icalproperty_new_transp(n == 0 ? ICAL_TRANSP_TRANSPARENT : ICAL_TRANSP_OPAQUE));
    eas_cal_x_set(ev, "X-MICROSOFT-CDO-BUSYSTATUS", busy_of[n]);
    return 1;
}

static void busy_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                     icalcomponent *ev, const eas_body_opts *o)
{
    const char *x = eas_cal_x_get(ev, "X-MICROSOFT-CDO-BUSYSTATUS");
    icalproperty *tr = icalcomponent_get_first_property(ev, ICAL_TRANSP_PROPERTY);
    long n = 2, i;
    if (x) {
        for (i = 0; i < 5; ++i) {
            if (strcasecmp(x, busy_of[i]) == 0) {
                n = i;
            }
        }
    } else if (tr && icalproperty_get_transp(tr) == ICAL_TRANSP_TRANSPARENT) {
        n = 0;
    }
    if (n == 4 && c->version < 160) {
        n = 2; /* "working elsewhere" is 16.0+; busy is what it means to others */
    }
    eas_xml_add_int(parent, eas_xml_ns(doc, EAS_CAL_NS), "BusyStatus", n);
}

static int meeting_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                      const char **err)
{
    const char *v = text_of(node, EAS_CAL_NS, "MeetingStatus");
    icalproperty *st;
    long n;
    if (!v) {
        return 0;
    }
    if (int_in(v, 0, 15, &n) != 0 || (n != 0 && !(n & 1))) {
        return bad(err, "MeetingStatus out of range");
    }
    eas_cal_x_set(ev, "X-EAS-MEETINGSTATUS", apr_ltoa(c->p, n));
    st = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    if (n & 4) {
        eas_cal_remove(ev, "STATUS");
        icalcomponent_add_property(ev, icalproperty_new_status(ICAL_STATUS_CANCELLED));
    } else if (st && icalproperty_get_status(st) == ICAL_STATUS_CANCELLED) {
        eas_cal_remove(ev, "STATUS");
    }
    return 1;
}

static void meeting_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                        icalcomponent *ev, const eas_body_opts *o)
{
    icalproperty *st = icalcomponent_get_first_property(ev, ICAL_STATUS_PROPERTY);
    int cancelled = st && icalproperty_get_status(st) == ICAL_STATUS_CANCELLED;
    const char *x = eas_cal_x_get(ev, "X-EAS-MEETINGSTATUS");
    long n;
    if (!x || int_in(x, 0, 15, &n) != 0 || !!(n & 4) != cancelled) {
        /* imported, or STATUS changed elsewhere: a meeting when it has attendees */
        n = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY) ? 1 : 0;
        n = cancelled ? (n | 5) : n;
    }
    eas_xml_add_int(parent, eas_xml_ns(doc, EAS_CAL_NS), "MeetingStatus", n);
}

/* ---- Reminder ------------------------------------------------------------------------------ */

static int reminder_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                       const char **err)
{
    const char *v = text_of(node, EAS_CAL_NS, "Reminder");
    icalcomponent *a;
    long n = 0;
    if (!v) {
        return 0;
    }
    if (*v && int_in(v, 0, 0x7fffffffL / 60, &n) != 0) {
        return bad(err, "Reminder is not a number of minutes");
    }
    remove_alarms(ev);
    if (*v) {
        a = icalcomponent_new_valarm();
        icalcomponent_add_property(a, icalproperty_new_action(ICAL_ACTION_DISPLAY));
        icalcomponent_add_property(a, icalproperty_new_description("Reminder"));
        icalcomponent_add_property(
            a, icalproperty_new_trigger(icaltriggertype_from_int((int)(-n * 60))));
        icalcomponent_add_component(ev, a);
    }
    return 1;
}

static void reminder_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                         icalcomponent *ev, const eas_body_opts *o)
{
    icalcomponent *a;
    for (a = icalcomponent_get_first_component(ev, ICAL_VALARM_COMPONENT); a;
         a = icalcomponent_get_next_component(ev, ICAL_VALARM_COMPONENT)) {
        icalproperty *tp = icalcomponent_get_first_property(a, ICAL_TRIGGER_PROPERTY);
        icalparameter *rel =
            tp ? icalproperty_get_first_parameter(tp, ICAL_RELATED_PARAMETER) : NULL;
        struct icaltriggertype tr;
        int secs;
        if (!tp || (rel && icalparameter_get_related(rel) == ICAL_RELATED_END)) {
            continue;
        }
        tr = icalproperty_get_trigger(tp);
        if (!icaltime_is_null_time(tr.time)) {
            continue; /* an absolute trigger has no "minutes before" */
        }
        secs = icaldurationtype_as_int(tr.duration);
        eas_xml_add_int(parent, eas_xml_ns(doc, EAS_CAL_NS), "Reminder",
                        secs < 0 ? (-secs + 59) / 60 : 0);
        return;
    }
}

/* ---- Organizer and Attendees ------------------------------------------------------------------
 */

static const char *address_of(icalproperty *prop)
{
    const char *a = icalproperty_get_value_as_string(prop);
    if (a && strncasecmp(a, "mailto:", 7) == 0) {
        a += 7;
    }
    return a ? a : "";
}

static const char *cn_of(icalproperty *prop)
{
    icalparameter *cn = icalproperty_get_first_parameter(prop, ICAL_CN_PARAMETER);
    return cn ? icalparameter_get_cn(cn) : NULL;
}

static int organizer_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                        const char **err)
{
    const char *name = text_of(node, EAS_CAL_NS, "OrganizerName");
    const char *email = text_of(node, EAS_CAL_NS, "OrganizerEmail");
    icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
    if (!name && !email) {
        return 0;
    }
    if (!name) { /* one of the two changes: keep the other */
        name = org ? cn_of(org) : eas_cal_x_get(ev, "X-EAS-ORGANIZER-NAME");
    }
    if (!email) {
        email = org ? address_of(org) : NULL;
    }
    name = name ? apr_pstrdup(c->p, name) : NULL;
    email = email ? apr_pstrdup(c->p, email) : NULL;
    eas_cal_remove(ev, "ORGANIZER");
    eas_cal_x_set(ev, "X-EAS-ORGANIZER-NAME", NULL);
    if (email && *email) {
        org = icalproperty_new_organizer(apr_pstrcat(c->p, "mailto:", email, NULL));
        if (name && *name) {
            icalproperty_set_parameter(org, icalparameter_new_cn(name));
        }
        icalcomponent_add_property(ev, org);
    } else if (name && *name) {
        eas_cal_x_set(ev, "X-EAS-ORGANIZER-NAME", name); /* ORGANIZER needs an address */
    }
    return 1;
}

static void organizer_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                          icalcomponent *ev, const eas_body_opts *o)
{
    xmlNsPtr ns = eas_xml_ns(doc, EAS_CAL_NS);
    icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
    const char *name = org ? cn_of(org) : eas_cal_x_get(ev, "X-EAS-ORGANIZER-NAME");
    if (name) {
        eas_xml_add(parent, ns, "OrganizerName", name);
    }
    if (org) {
        eas_xml_add(parent, ns, "OrganizerEmail", address_of(org));
    }
}

static const icalparameter_partstat partstat_of[] = {
    ICAL_PARTSTAT_NONE,     ICAL_PARTSTAT_NONE,     ICAL_PARTSTAT_TENTATIVE,
    ICAL_PARTSTAT_ACCEPTED, ICAL_PARTSTAT_DECLINED, ICAL_PARTSTAT_NEEDSACTION};

static int attendees_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                        const char **err)
{
    xmlNodePtr all = eas_xml_child(node, EAS_CAL_NS, "Attendees"), at;
    if (!all) {
        return 0;
    }
    eas_cal_remove(ev, "ATTENDEE");
    for (at = eas_xml_child(all, EAS_CAL_NS, "Attendee"); at; at = eas_xml_next(at)) {
        const char *email = text_of(at, EAS_CAL_NS, "Email");
        const char *name = text_of(at, EAS_CAL_NS, "Name");
        const char *st = text_of(at, EAS_CAL_NS, "AttendeeStatus");
        const char *ty = text_of(at, EAS_CAL_NS, "AttendeeType");
        icalproperty *prop;
        long n;
        if (!email) {
            return bad(err, "Attendee without Email");
        }
        prop = icalproperty_new_attendee(apr_pstrcat(c->p, "mailto:", email, NULL));
        icalcomponent_add_property(ev, prop); /* owned by ev from here, also on errors */
        if (name && *name) {
            icalproperty_set_parameter(prop, icalparameter_new_cn(name));
        }
        if (st && *st) {
            if (int_in(st, 0, 5, &n) != 0 || n == 1) {
                return bad(err, "AttendeeStatus out of range");
            }
            if (n == 0) { /* "unknown" has no PARTSTAT of its own */
                icalparameter *x = icalparameter_new_x("0");
                icalparameter_set_xname(x, "X-EAS-ATTENDEESTATUS");
                icalproperty_add_parameter(prop, x);
            } else {
                icalproperty_set_parameter(prop, icalparameter_new_partstat(partstat_of[n]));
            }
        }
        if (ty && *ty) {
            if (int_in(ty, 1, 3, &n) != 0) {
                return bad(err, "AttendeeType out of range");
            }
            if (n == 3) {
                icalproperty_set_parameter(prop, icalparameter_new_cutype(ICAL_CUTYPE_RESOURCE));
                icalproperty_set_parameter(prop, icalparameter_new_role(ICAL_ROLE_NONPARTICIPANT));
            } else {
                icalproperty_set_parameter(
                    prop, icalparameter_new_role(n == 1 ? ICAL_ROLE_REQPARTICIPANT
                                                        : ICAL_ROLE_OPTPARTICIPANT));
            }
        }
    }
    return 1;
}

static void attendees_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                          icalcomponent *ev, const eas_body_opts *o)
{
    xmlNsPtr ns = eas_xml_ns(doc, EAS_CAL_NS);
    icalproperty *prop = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
    xmlNodePtr all;
    if (!prop) {
        return;
    }
    all = eas_xml_add(parent, ns, "Attendees", NULL);
    for (; prop; prop = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
        xmlNodePtr at = eas_xml_add(all, ns, "Attendee", NULL);
        icalparameter *ps = icalproperty_get_first_parameter(prop, ICAL_PARTSTAT_PARAMETER);
        icalparameter *role = icalproperty_get_first_parameter(prop, ICAL_ROLE_PARAMETER);
        icalparameter *cut = icalproperty_get_first_parameter(prop, ICAL_CUTYPE_PARAMETER);
        char *x = icalproperty_get_parameter_as_string_r(prop, "X-EAS-ATTENDEESTATUS");
        const char *email = address_of(prop), *name = cn_of(prop);
        long st = -1, ty = -1, i;

        eas_xml_add(at, ns, "Email", email);
        eas_xml_add(at, ns, "Name", name ? name : email);
        if (ps) {
            icalparameter_partstat v = icalparameter_get_partstat(ps);
            for (i = 2; i <= 5; ++i) {
                st = partstat_of[i] == v ? i : st;
            }
            st = st < 0 ? 0 : st; /* DELEGATED, COMPLETED, ...: unknown */
        } else if (x) {
            st = 0;
        }
        free(x);
        if (cut && (icalparameter_get_cutype(cut) == ICAL_CUTYPE_RESOURCE ||
                    icalparameter_get_cutype(cut) == ICAL_CUTYPE_ROOM)) {
            ty = 3;
        } else if (role) {
            icalparameter_role r = icalparameter_get_role(role);
            ty = r == ICAL_ROLE_OPTPARTICIPANT ? 2 : r == ICAL_ROLE_NONPARTICIPANT ? 2 : 1;
        }
        if (st >= 0) {
            eas_xml_add_int(at, ns, "AttendeeStatus", st);
        }
        if (ty >= 0) {
            eas_xml_add_int(at, ns, "AttendeeType", ty);
        }
    }
}

/* ---- the table ------------------------------------------------------------------------------ */

#define PROPS(...) ((const char *const[]){__VA_ARGS__, NULL})
#define CUSTOM(n, ns, v, ev, props, fn)                                                            \
    static const eas_cal_field f_##fn = {n, ns, v, ev, props, K_CUSTOM, 0, 0, fn##_in, fn##_out}
#define XFIELD(id, n, ns, v, ev, prop, kind, lo, hi)                                               \
    static const eas_cal_field f_##id = {n, ns, v, ev, PROPS(prop), kind, lo, hi, x_in, x_out}

CUSTOM("Subject", EAS_CAL_NS, 0, 1, PROPS("SUMMARY"), subject);
CUSTOM("Location", EAS_CAL_NS, 0, 1, PROPS("LOCATION", "X-EAS-LOCATION-*", "GEO"), location);
CUSTOM("Body", EAS_CAL_BASE, 0, 1, PROPS("DESCRIPTION", "X-ALT-DESC"), body);
CUSTOM("Categories", EAS_CAL_NS, 0, 1, PROPS("CATEGORIES"), categories);
CUSTOM("Sensitivity", EAS_CAL_NS, 0, 1, PROPS("CLASS", "X-EAS-SENSITIVITY"), sensitivity);
CUSTOM("BusyStatus", EAS_CAL_NS, 0, 1, PROPS("TRANSP", "X-MICROSOFT-CDO-BUSYSTATUS"), busy);
CUSTOM("Reminder", EAS_CAL_NS, 0, 1, PROPS("VALARM"), reminder);
CUSTOM("DtStamp", EAS_CAL_NS, 0, 1, PROPS("DTSTAMP"), dtstamp);
CUSTOM("MeetingStatus", EAS_CAL_NS, 0, 120, PROPS("X-EAS-MEETINGSTATUS", "STATUS"), meeting);
CUSTOM("Attendees", EAS_CAL_NS, 0, 140, PROPS("ATTENDEE"), attendees);
CUSTOM("OrganizerName", EAS_CAL_NS, 0, 0, PROPS("ORGANIZER", "X-EAS-ORGANIZER-NAME"), organizer);
XFIELD(reply, "AppointmentReplyTime", EAS_CAL_NS, 140, 140, "X-EAS-APPOINTMENTREPLYTIME", K_DATE, 0,
       0);
XFIELD(rtype, "ResponseType", EAS_CAL_NS, 140, 140, "X-EAS-RESPONSETYPE", K_INT, 0, 5);
XFIELD(conf, "OnlineMeetingConfLink", EAS_CAL_NS, 141, 141, "X-EAS-ONLINEMEETINGCONFLINK", K_TEXT,
       0, 0);
XFIELD(ext, "OnlineMeetingExternalLink", EAS_CAL_NS, 141, 141, "X-EAS-ONLINEMEETINGEXTERNALLINK",
       K_TEXT, 0, 0);
XFIELD(rreq, "ResponseRequested", EAS_CAL_NS, 140, 0, "X-EAS-RESPONSEREQUESTED", K_BOOL, 0, 0);
XFIELD(disallow, "DisallowNewTimeProposal", EAS_CAL_NS, 140, 0, "X-MICROSOFT-DISALLOW-COUNTER",
       K_BOOL_TF, 0, 0);
static const eas_cal_field f_native = {
    "NativeBodyType", EAS_CAL_BASE, 120, 0, PROPS("X-EAS-NATIVEBODYTYPE"), K_INT, 1, 3, x_in,
    native_out};

const eas_cal_field *const eas_cal_fields[] = {
    &f_subject,  &f_location, &f_body,    &f_categories, &f_sensitivity, &f_busy,
    &f_reminder, &f_dtstamp,  &f_meeting, &f_attendees,  &f_organizer,   &f_reply,
    &f_rtype,    &f_conf,     &f_ext,     &f_rreq,       &f_disallow,    &f_native};
const int eas_cal_nfields = (int)(sizeof(eas_cal_fields) / sizeof(eas_cal_fields[0]));

int eas_cal_field_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                     int exception, const char **err)
{
    if (exception && !f->exc_version) {
        return 0; /* not an exception's field: the master's value stays */
    }
    return f->in(c, f, ev, node, err);
}

void eas_cal_field_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                       icalcomponent *ev, const eas_body_opts *o, int exception)
{
    if (exception ? (!f->exc_version || c->version < f->exc_version) : c->version < f->version) {
        return;
    }
    f->out(c, f, doc, parent, ev, o);
}
