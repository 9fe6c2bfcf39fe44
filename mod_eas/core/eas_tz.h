/* eas_tz.h — time zones: the EAS TimeZone blob (MS-ASDTYPE 2.7: the 172-byte
 * TIME_ZONE_INFORMATION, base64 on the wire) ⇄ iCalendar time zones (libical), and the
 * iCalendar-file plumbing every iCalendar class shares (split/join, VTIMEZONE embedding).
 *
 * A blob names no zone, only rules (bias, standard/daylight start as "n-th weekday of month at
 * time", biases). It maps to the IANA zone whose rules in the given year are the same (the blob's
 * StandardName breaks ties when it is a Windows zone name we know), else to a custom VTIMEZONE
 * carrying exactly the blob's rules — so nothing a device sends is lost. Thread safe. */
#ifndef EAS_TZ_H
#define EAS_TZ_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libical/ical.h>

/* Base64 blob → zone (owned by libical for IANA zones, by the pool for custom ones). NULL with
 * *err when the blob is not 172 bytes of valid TIME_ZONE_INFORMATION (Status 6). A blob with
 * zero bias and no daylight rules is UTC. year: the year whose rules are compared (the event's). */
icaltimezone *eas_tz_from_blob(apr_pool_t *p, const char *b64, int year, const char **err);

/* Zone → base64 blob with the rules in effect in `year` (NULL zone: UTC). */
const char *eas_tz_to_blob(apr_pool_t *p, icaltimezone *zone, int year);

/* IANA name (or a TZID from an imported file) → zone; NULL when unknown. */
icaltimezone *eas_tz_get(const char *tzid);

/* The zone a TZID parameter of comp's VCALENDAR names: an embedded VTIMEZONE of that VCALENDAR
 * (made into a pool-owned zone), else a known IANA zone; NULL when unknown. */
icaltimezone *eas_tz_resolve(apr_pool_t *p, icalcomponent *vcalendar, const char *tzid);

/* Adds to vcalendar the VTIMEZONE of zone unless it is UTC or already there. */
void eas_tz_embed(icalcomponent *vcalendar, icaltimezone *zone);

/* The TZID to write for a zone: the IANA name ("Europe/Berlin"), or the custom zone's TZID. */
const char *eas_tz_id(icaltimezone *zone);

/* iCalendar file → one VCALENDAR text per item: a VEVENT/VTODO/VJOURNAL with every component of
 * the same UID (RECURRENCE-ID overrides) and the VTIMEZONEs they use. -1 with *err when the file
 * is not iCalendar. */
int eas_ics_split(apr_pool_t *p, const char *file, apr_array_header_t **items, const char **err);
/* One VCALENDAR with every item's components and each VTIMEZONE once. */
const char *eas_ics_join(apr_pool_t *p, const apr_array_header_t *items);

#endif
