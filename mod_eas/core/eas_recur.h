/* eas_recur.h — EAS Recurrence (MS-ASCAL 2.2.2.38, MS-ASTASK 2.2.2.18) ⇄ iCalendar RRULE.
 *
 * EAS Type 0 daily, 1 weekly (DayOfWeek bits), 2 monthly (DayOfMonth), 3 monthly on the n-th
 * weekday (WeekOfMonth 1-5, 5 = last), 5 yearly (DayOfMonth + MonthOfYear), 6 yearly n-th;
 * Interval, Until, Occurrences, FirstDayOfWeek (14.1+), CalendarType/IsLeapMonth (kept as
 * X-EAS parameters); Tasks add Start, Regenerate and DeadOccur (handled by the Tasks class). */
#ifndef EAS_RECUR_H
#define EAS_RECUR_H

#include <apr_pools.h>
#include <apr_time.h>
#include <libical/ical.h>
#include <libxml/tree.h>

/* A Recurrence element (children in namespace href, "Calendar:" or "Tasks:") → rule. zone: the
 * item's zone, for Until (EAS sends it in UTC; all-day items get a DATE). -1 with *err when
 * invalid (unknown Type, missing DayOfWeek for Type 1, out-of-range values) — Status 6. */
int eas_recur_from_eas(apr_pool_t *p, xmlNodePtr rec, const char *href, icaltimezone *zone,
                       int all_day, struct icalrecurrencetype *out, const char **err);

/* Rule → a new Recurrence element under parent in namespace ns (Calendar or Tasks page),
 * children as the version allows. -1 when the rule has no EAS form (e.g. BYHOUR, FREQ=HOURLY):
 * the caller then sends the item without Recurrence. until_fmt: 0 compact (Calendar
 * "20261121T100000Z"), 1 extended (Tasks "2026-11-21T10:00:00.000Z"). */
int eas_recur_to_eas(apr_pool_t *p, xmlNodePtr parent, xmlNsPtr ns,
                     const struct icalrecurrencetype *r, icaltimezone *zone, int version,
                     int until_fmt);

/* An imported rule may leave its day or month to DTSTART (RFC 5545 3.3.10: FREQ=WEEKLY without
 * BYDAY, ...); EAS names them. Fills them from local_start (the wall-clock start, as if UTC). */
void eas_recur_complete(struct icalrecurrencetype *r, apr_time_t local_start);

#endif
