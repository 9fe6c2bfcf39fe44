/* eas_freebusy.h — a local user's availability as ResolveRecipients MergedFreeBusy (MS-ASCMD
 * 2.2.3.107): one digit per 30 minutes of [start, end) — 0 free, 1 tentative, 2 busy, 3 out of
 * office, 4 no data — the highest digit of any event overlapping the slot winning.
 *
 * Computed from the user's Calendar folders: each stored VCALENDAR (eas_cal.h) is expanded with
 * libical in its own zone (so a weekly 10:00 Europe/Berlin meeting stays at 10:00 across a DST
 * change), EXDATEs dropped, RECURRENCE-ID overrides replacing their occurrence; cancelled events
 * and ones the user declined are left out. BusyStatus is X-MICROSOFT-CDO-BUSYSTATUS, else TRANSP
 * (eas_cal_map.c); "working elsewhere" has no digit here and counts as busy, as it does for
 * devices older than 16.0. */
#ifndef EAS_FREEBUSY_H
#define EAS_FREEBUSY_H

#include <apr_pools.h>
#include <apr_time.h>
#include <libpq-fe.h>

#define EAS_FB_SLOT     apr_time_from_sec(30 * 60)
#define EAS_FB_MAX_DAYS 42 /* longest window answered (Exchange 2010+); longer: Status 5 */

/* Number of slots covering [start, end) (the last one may be partial). */
int eas_freebusy_slots(apr_time_t start, apr_time_t end);

/* Marks one stored calendar item (VCALENDAR text) into digits[0..nslots-1], slot 0 starting at
 * start: each slot an occurrence overlaps gets the event's digit if higher than what it holds.
 * Pure (no database). 0, or -1 with *err when the text is not a readable event (the caller skips
 * it; digits untouched). */
int eas_freebusy_item(apr_pool_t *p, const char *ical, apr_time_t start, int nslots, char *digits,
                      const char **err);

/* MergedFreeBusy of user_id (users.id) over [start, end): nslots digits in *out. Only events
 * whose stored window (items.pim_start/pim_end) meets the range are read; unreadable ones are
 * skipped and counted in *skipped. 0, or -1 with *err on a database error (including a
 * statement_timeout the caller set). */
int eas_freebusy_user(PGconn *c, apr_pool_t *p, const char *user_id, apr_time_t start,
                      apr_time_t end, const char **out, int *skipped, const char **err);

#endif
