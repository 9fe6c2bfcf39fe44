/* eas_email.h — Email class items as EAS XML (MS-ASEMAIL, MS-ASAIRS): body preferences,
 * ApplicationData of a mail item, and client changes (Read, Flag, Categories) parsed back. */
#ifndef EAS_EMAIL_H
#define EAS_EMAIL_H

#include <libxml/tree.h>

#include "eas_store.h"

typedef struct eas_body_pref {
    int type;          /* 1 plain, 2 HTML, 3 RTF, 4 MIME */
    apr_int64_t trunc; /* TruncationSize, -1 none */
    int all_or_none;   /* AllOrNone */
    int preview;       /* Preview chars (14.0+), 0 none */
} eas_body_pref;

typedef struct eas_body_opts {
    eas_body_pref prefs[8];
    int nprefs;
    int mime_support;       /* 0 never, 1 S/MIME only, 2 always */
    apr_int64_t mime_trunc; /* from MIMETruncation, -1 none */
    int filter_type;        /* 0 all, 1 day, 2 3 days, 3 week, 4 2 weeks, 5 month */
    int conflict;           /* 0 client wins, 1 server wins (default) */
    int deletes_as_moves;   /* default 1 */
    int get_changes;        /* default 1 */
    int window;             /* WindowSize, default 100, max 512 */
    int rights_managed;
} eas_body_opts;

/* Defaults, then Options found under node (a Collection or ItemOperations Fetch Options). */
void eas_body_opts_init(eas_body_opts *o);
void eas_body_opts_parse(eas_body_opts *o, xmlNodePtr options, int version);

/* Options as a compact string for the sync state, and back (unknown text leaves defaults). */
const char *eas_body_opts_save(apr_pool_t *p, const eas_body_opts *o);
void eas_body_opts_load(eas_body_opts *o, const char *s);

/* Cut-off for FilterType (0: none). */
apr_time_t eas_filter_since(int filter_type, apr_time_t now);

/* What to fetch from the store for these options. */
void eas_body_fetch_spec(const eas_body_opts *o, eas_fetch_spec *spec);

/* Adds AirSyncBase:Body to app: Type, EstimatedDataSize (full), Truncated, Data (NULL: none, as
 * with AllOrNone) and Preview (NULL: none). Mail and PIM bodies both end here. */
void eas_body_element(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, int type, apr_int64_t full,
                      int truncated, const char *data, const char *preview);

/* Adds the item's properties to app (an ApplicationData or ItemOperations Properties element). */
void eas_email_app_data(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr app, const eas_folder *f,
                        const eas_mail_item *it, const eas_body_opts *o, int version);

/* Base64 of len bytes (binary properties, ItemOperations Data), in pool p. */
const char *eas_base64(apr_pool_t *p, const char *data, apr_size_t len);

/* EAS date text ("2026-11-21T10:00:00.000Z"), and back (0 if malformed). */
const char *eas_date_text(apr_pool_t *p, apr_time_t t);
apr_time_t eas_date_parse(const char *s);

/* Reads a client Change's ApplicationData (Read, Flag, Categories) into fl; returns the
 * EAS_FL_* mask of what it sets (0: nothing this server can change). */
int eas_email_parse_change(apr_pool_t *p, xmlNodePtr app, eas_flags *fl);

#endif
