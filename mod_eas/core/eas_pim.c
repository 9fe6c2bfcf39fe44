/* eas_pim.c — the PIM class table and what every class shares: the AirSyncBase body and TEXT
 * value escaping. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libical/ical.h>

#include "eas_mime.h"
#include "eas_pim.h"
#include "eas_xml.h"

#define NS_BASE "AirSyncBase:"

void eas_pim_init(void)
{
    icalerror_set_errors_are_fatal(0);
}

const eas_pim_class *eas_pim_class_get(const char *name)
{
    static const eas_pim_class *const all[] = {&eas_pim_calendar, &eas_pim_contacts, &eas_pim_tasks,
                                               &eas_pim_notes};
    size_t i;
    for (i = 0; name && i < sizeof(all) / sizeof(all[0]); ++i) {
        if (strcmp(all[i]->name, name) == 0) {
            return all[i];
        }
    }
    return NULL;
}

const char *eas_pim_body_in(apr_pool_t *p, xmlNodePtr app, int *is_html)
{
    xmlNodePtr body = eas_xml_child(app, NS_BASE, "Body");
    const char *type, *data;
    *is_html = 0;
    if (!body) {
        return NULL;
    }
    type = eas_xml_child_text(body, NS_BASE, "Type");
    data = eas_xml_child_text(body, NS_BASE, "Data");
    *is_html = type && atoi(type) == 2;
    return apr_pstrdup(p, data ? data : "");
}

/* The first plain or HTML preference (PIM bodies have no MIME or RTF form here). */
static const eas_body_pref *choose(const eas_body_opts *o)
{
    static const eas_body_pref plain = {1, -1, 0, 0};
    int i;
    for (i = 0; i < o->nprefs; ++i) {
        if (o->prefs[i].type == 1 || o->prefs[i].type == 2) {
            return &o->prefs[i];
        }
    }
    return o->nprefs > 0 ? &o->prefs[0] : &plain;
}

void eas_pim_body_out(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *text,
                      const char *html, const eas_body_opts *o)
{
    const eas_body_pref *pr;
    const char *data;
    apr_int64_t full;
    int type, truncated = 0;

    if (!text && !html) {
        return;
    }
    pr = choose(o);
    type = pr->type == 2 ? 2 : 1;
    if (type == 2) {
        data = html ? html : eas_mime_text_to_html(p, text);
    } else {
        data = text ? text : "";
    }
    full = (apr_int64_t)strlen(data);
    if (pr->trunc >= 0 && full > pr->trunc) {
        truncated = 1;
        data = pr->all_or_none ? NULL : eas_mime_truncate(p, data, (apr_size_t)pr->trunc, NULL);
    }
    eas_body_element(p, doc, app, type, full, truncated, data,
                     pr->preview > 0 && text && *text ? eas_mime_preview(p, text, pr->preview)
                                                      : NULL);
}

const char *eas_pim_new_uid(apr_pool_t *p)
{
    unsigned char b[16];
    char *s = apr_palloc(p, sizeof(b) * 2 + 1);
    size_t i;
    if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
        /* never on Linux (getrandom); still unique per process and instant */
        apr_uint64_t t = (apr_uint64_t)apr_time_now() ^ (apr_uint64_t)(apr_uintptr_t)s;
        for (i = 0; i < sizeof(b); ++i) {
            b[i] = (unsigned char)(t >> (8 * (i % 8)));
        }
    }
    for (i = 0; i < sizeof(b); ++i) {
        apr_snprintf(s + 2 * i, 3, "%02x", b[i]);
    }
    return s;
}

static apr_status_t free_component(void *comp)
{
    icalcomponent_free(comp);
    return APR_SUCCESS;
}

void eas_pim_own_component(apr_pool_t *p, icalcomponent *comp)
{
    apr_pool_cleanup_register(p, comp, free_component, apr_pool_cleanup_null);
}

const char *eas_pim_escape(apr_pool_t *p, const char *text)
{
    apr_size_t n = 0;
    const char *s;
    char *out, *o;
    for (s = text; *s; ++s) {
        n += (*s == '\\' || *s == ';' || *s == ',' || *s == '\n') ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (s = text; *s; ++s) {
        if (*s == '\r' && s[1] == '\n') {
            continue; /* CRLF in a value is one line break */
        }
        if (*s == '\\' || *s == ';' || *s == ',') {
            *o++ = '\\';
            *o++ = *s;
        } else if (*s == '\n') {
            *o++ = '\\';
            *o++ = 'n';
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

const char *eas_pim_unescape(apr_pool_t *p, const char *value)
{
    char *out = apr_palloc(p, strlen(value) + 1), *o = out;
    const char *s;
    for (s = value; *s; ++s) {
        if (*s == '\\' && s[1]) {
            ++s;
            *o++ = (*s == 'n' || *s == 'N') ? '\n' : *s;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}
