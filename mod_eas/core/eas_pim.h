/* eas_pim.h — PIM items (Contacts, Calendar, Tasks, Notes): EAS XML ⇄ their standard form.
 *
 * The store keeps every PIM item in a standard form — iCalendar (RFC 5545) for Calendar
 * (VCALENDAR with the VEVENT, its overrides and the VTIMEZONEs it uses), Tasks (VTODO) and Notes
 * (VJOURNAL), vCard 4 (RFC 6350) for Contacts — plus a few columns the sync needs (eas_pim_item).
 * So an administrator can import and export .ics/.vcf (easctl), and a device round trip is
 * lossless for every field EAS carries: fields without a standard property travel as X-EAS-*
 * properties. One table of classes (eas_pim_class) serves Sync, ItemOperations and easctl. */
#ifndef EAS_PIM_H
#define EAS_PIM_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <libical/ical.h>
#include <libxml/tree.h>

#include "eas_email.h"

/* "recurs forever": the end column of an unbounded series */
#define EAS_PIM_FOREVER ((apr_time_t)APR_INT64_C(253402300799000000)) /* 9999-12-31T23:59:59Z */

/* Largest Contacts Picture accepted (MS-ASCNTC 2.2.2.57: 48 KiB before base64) */
#define EAS_PIM_PICTURE_MAX (48 * 1024)

typedef struct eas_pim_item {
    apr_int64_t uid, modseq; /* store identity (set by the store on read) */
    const char *data;        /* the standard form, one item (UTF-8, CRLF line ends) */
    const char *pim_uid;     /* iCalendar UID / vCard UID; NULL: none */
    const char *subject;     /* Subject / SUMMARY, or the contact's FileAs / FN (listings) */
    /* The FilterType window: Calendar: first start, and end of the last occurrence
     * (EAS_PIM_FOREVER when it recurs without end); Tasks: StartDate/DueDate (0 unset). */
    apr_time_t start, end;
    int complete; /* Tasks: Complete = 1 */
} eas_pim_item;

typedef struct eas_pim_class {
    const char *name;       /* "Calendar", "Contacts", "Tasks", "Notes" */
    const char *media_type; /* "text/calendar" or "text/vcard" */
    const char *extension;  /* "ics" or "vcf" */
    /* An Add (old NULL) or Change (old: the stored form) from a device → standard form and
     * columns in *out. A Change replaces what EAS carries and keeps the rest of old (X- and other
     * properties from an import). 0, or -1 with *err when the data is invalid (bad date, unknown
     * time zone, oversize picture, ...): Status 6 for this item only. */
    int (*from_eas)(apr_pool_t *p, xmlNodePtr app, const char *old, int version, eas_pim_item *out,
                    const char **err);
    /* The stored form → children of app (ApplicationData, ItemOperations Properties, Search
     * Properties), as the protocol version allows; the body as the options ask
     * (eas_pim_body_out). 0, or -1 with *err when the stored data cannot be read. */
    int (*to_eas)(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *data,
                  const eas_body_opts *o, int version, const char **err);
    /* Imported text of one item → normalised standard form and columns (what from_eas would
     * store for the same item). -1 with *err when invalid. */
    int (*parse)(apr_pool_t *p, const char *text, eas_pim_item *out, const char **err);
    /* A whole .ics/.vcf file → single-item texts (apr_array of const char *), for parse. */
    int (*split)(apr_pool_t *p, const char *file, apr_array_header_t **items, const char **err);
    /* Single-item texts (const char *) → one file, for export. */
    const char *(*join)(apr_pool_t *p, const apr_array_header_t *items);
} eas_pim_class;

/* Once per process before worker threads start: libical reports errors instead of aborting
 * (a build or another module may have made them fatal). */
void eas_pim_init(void);

/* The class for a folder class name ("Calendar", ...); NULL for Email and unknown ones. */
const eas_pim_class *eas_pim_class_get(const char *name);

extern const eas_pim_class eas_pim_calendar, eas_pim_contacts, eas_pim_tasks, eas_pim_notes;

/* AirSyncBase:Body of an ApplicationData: NULL when absent (a Change then keeps the old body),
 * else the Data text ("" when empty); *is_html set for Type 2. */
const char *eas_pim_body_in(apr_pool_t *p, xmlNodePtr app, int *is_html);

/* Adds AirSyncBase:Body for a stored body (plain text, and HTML when one was stored) as the
 * options prefer: Type 1 or 2 (RTF and MIME are answered as plain text), TruncationSize,
 * AllOrNone, EstimatedDataSize, Truncated, Preview. Nothing when both are NULL. */
void eas_pim_body_out(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const char *text,
                      const char *html, const eas_body_opts *o);

/* A new UID for an item a device creates: 32 random hex digits. */
const char *eas_pim_new_uid(apr_pool_t *p);

/* Frees the libical component (a parsed or built VCALENDAR) when p is cleared. */
void eas_pim_own_component(apr_pool_t *p, icalcomponent *comp);

/* Text of one standard-form property line, unfolded (shared by the iCalendar and vCard code
 * where libical is not used): RFC 5545/6350 escaping of TEXT values, and back. */
const char *eas_pim_escape(apr_pool_t *p, const char *text);
const char *eas_pim_unescape(apr_pool_t *p, const char *value);

#endif
