/* eas_cal.h — the Calendar class (eas_pim_calendar, MS-ASCAL) beyond the eas_pim_class table:
 * 16.x occurrence deletion, and what eas_cal.c, eas_cal_map.c and eas_cal_time.c share.
 *
 * Stored form: one VCALENDAR with the master VEVENT, its RECURRENCE-ID overrides (EAS
 * exceptions; each a full copy of the master with its own values, so other iCalendar software
 * reads it right) and the VTIMEZONEs they use. Deleted occurrences are EXDATEs. EAS fields
 * without a standard property travel as X-EAS-* properties. */
#ifndef EAS_CAL_H
#define EAS_CAL_H

#include <apr_hash.h>
#include <apr_pools.h>
#include <libical/ical.h>
#include <libxml/tree.h>

#include "eas_pim.h"

/* Sync Delete with InstanceId (16.0+): removes one occurrence (EXDATE) of the stored series.
   instance_id is the occurrence's original start (EAS date text). -1 + err if not an occurrence. */
int eas_cal_delete_instance(apr_pool_t *p, const char *old, const char *instance_id,
                            eas_pim_item *out, const char **err);

/* ---- internal to eas_cal*.c ---------------------------------------------------------------- */

#define EAS_CAL_NS   "Calendar:"
#define EAS_CAL_BASE "AirSyncBase:"

/* One item being read or written. */
typedef struct eas_cal_ctx {
    apr_pool_t *p;
    icalcomponent *cal;    /* VCALENDAR (freed with p) */
    icalcomponent *master; /* VEVENT without RECURRENCE-ID */
    icaltimezone *zone;    /* the item's zone (UTC when it names none) */
    int all_day;
    int version;
    apr_hash_t *zones; /* TZID → zone, resolved once */
} eas_cal_ctx;

/* EAS date text (compact "20261121T100000Z" or extended "2026-11-21T10:00:00.000Z", with or
 * without time and Z) → *t (the wall time read as UTC), *utc: it had a Z. -1 when malformed. */
int eas_cal_date_in(const char *s, apr_time_t *t, int *utc);
/* Compact date text; z: with the trailing Z. */
const char *eas_cal_date_out(apr_pool_t *p, apr_time_t t, int z);

/* The property's time value as written (DATE-TIME or DATE; the first of a list; an RDATE
 * PERIOD's start); the null time when it has none. */
struct icaltimetype eas_cal_prop_tt(icalproperty *prop);
/* A DATE-TIME/DATE property value (DTSTART, RECURRENCE-ID, EXDATE, ...) → UTC. DATEs are midnight
 * in date_zone. *is_date (may be NULL) set. 0 when the TZID is unknown (*err set). */
apr_time_t eas_cal_prop_time(eas_cal_ctx *c, icalproperty *prop, icaltimezone *date_zone,
                             int *is_date, const char **err);
/* The zone the property's TZID names (UTC without TZID); NULL when unknown. */
icaltimezone *eas_cal_prop_zone(eas_cal_ctx *c, icalproperty *prop);
/* New property of kind (DTSTART, DTEND, RECURRENCE-ID, EXDATE) at UTC t, written in zone (a DATE
 * of the zone's local day when all_day). */
icalproperty *eas_cal_time_prop(icalproperty_kind kind, apr_time_t t, icaltimezone *zone,
                                int all_day);
/* Replaces the comp's property of kind by eas_cal_time_prop(...). */
void eas_cal_set_time(icalcomponent *comp, icalproperty_kind kind, apr_time_t t, icaltimezone *zone,
                      int all_day);
/* Start and end (UTC) of a VEVENT: DTEND, else DTSTART + DURATION, else one day for a DATE. */
int eas_cal_span(eas_cal_ctx *c, icalcomponent *ev, apr_time_t *start, apr_time_t *end,
                 const char **err);
/* Whether t (UTC) is a start of the series (RRULE/RDATE/DTSTART), or an override's
 * RECURRENCE-ID. */
int eas_cal_is_occurrence(eas_cal_ctx *c, apr_time_t t);
/* End of the last occurrence, EAS_PIM_FOREVER for an unbounded rule. */
apr_time_t eas_cal_series_end(eas_cal_ctx *c);
/* Local midnight of the UTC instant's day in zone (rounding up when up and not midnight). */
apr_time_t eas_cal_midnight(apr_time_t t, icaltimezone *zone, int up);

/* The EAS fields other than times, UID and recurrence (eas_cal_map.c). */
typedef struct eas_cal_field eas_cal_field;
extern const eas_cal_field *const eas_cal_fields[];
extern const int eas_cal_nfields;
/* Applies a field's element(s) present in node to ev (exception: node is an Exception or a 16.x
 * instance Change). 1 when present, 0 absent, -1 invalid (*err). */
int eas_cal_field_in(eas_cal_ctx *c, const eas_cal_field *f, icalcomponent *ev, xmlNodePtr node,
                     int exception, const char **err);
/* Adds the field's element(s) for ev under parent as c->version allows (exception: the
 * Exception subset). */
void eas_cal_field_out(eas_cal_ctx *c, const eas_cal_field *f, xmlDocPtr doc, xmlNodePtr parent,
                       icalcomponent *ev, const eas_body_opts *o, int exception);
/* Replaces ev's properties of the field by copies of from's (inheritance from the master). */
void eas_cal_field_copy(const eas_cal_field *f, icalcomponent *ev, icalcomponent *from);

/* ev's X- (or any) property value by name, unescaped; NULL when absent. */
const char *eas_cal_x_get(icalcomponent *ev, const char *name);
/* Sets (value non-NULL) or removes an X- property. */
void eas_cal_x_set(icalcomponent *ev, const char *name, const char *value);
/* Removes every property named name (a prefix when it ends with '*'). */
void eas_cal_remove(icalcomponent *ev, const char *name);

#endif
