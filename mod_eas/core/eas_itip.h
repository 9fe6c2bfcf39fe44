/* eas_itip.h — iTIP (RFC 5546) messages carried in mail (iMIP, RFC 6047): reading the
 * text/calendar part of an invitation, cancellation or reply, turning an invitation into the
 * attendee's stored calendar form (eas_pim.h), and building the REPLY an attendee sends back.
 * libical underneath; every component is freed with the pool (eas_pim_own_component). */
#ifndef EAS_ITIP_H
#define EAS_ITIP_H

#include <apr_pools.h>
#include <apr_time.h>
#include <libical/ical.h>

#include "eas_pim.h"

struct eas_user_info;

/* One parsed iTIP object. */
typedef struct eas_itip {
    const char *method;    /* "REQUEST", "CANCEL", "REPLY", ... (upper case) */
    icalcomponent *cal;    /* the VCALENDAR, owned by the pool */
    icalcomponent *event;  /* the master VEVENT, else the first one */
    const char *uid;       /* UID of the event */
    int sequence;          /* SEQUENCE (0 when absent) */
    apr_time_t dtstamp;    /* DTSTAMP (0 when absent) */
    const char *organizer; /* ORGANIZER address without mailto:, NULL when absent */
    const char *summary;   /* SUMMARY, "" when absent */
} eas_itip;

/* iCalendar text (METHOD required) → *out. -1 with *err when it is no usable iTIP object (not
 * iCalendar, no METHOD, no VEVENT with a UID). */
int eas_itip_parse(apr_pool_t *p, const char *ics, eas_itip *out, const char **err);

/* A stored calendar item (no METHOD) read as the invitation it stands for. */
int eas_itip_from_stored(apr_pool_t *p, const char *ics, eas_itip *out, const char **err);

/* The iTIP object of a mail (its first text/calendar part): 0 found, 1 none or unusable. */
int eas_itip_from_mime(apr_pool_t *p, const char *mime, apr_size_t len, eas_itip *out);

/* The address of an ORGANIZER/ATTENDEE (mailto: removed), NULL when none. */
const char *eas_itip_address(apr_pool_t *p, icalproperty *prop);

/* The ATTENDEE of ev whose address is one of u's; NULL when u is not invited. */
icalproperty *eas_itip_attendee_of(icalcomponent *ev, const struct eas_user_info *u);

/* MS-ASEMAIL 2.2.2.37 GlobalObjId for a UID (base64): an Outlook UID (hex of the Outlook
 * class id) is its bytes, any other UID is wrapped as a "vCal-Uid". */
const char *eas_itip_global_obj_id(apr_pool_t *p, const char *uid);

/* The user's answer to an invitation (MeetingResponse UserResponse; 0: not answered yet). */
#define EAS_ITIP_NONE      0
#define EAS_ITIP_ACCEPT    1
#define EAS_ITIP_TENTATIVE 2
#define EAS_ITIP_DECLINE   3

/* An invitation → the attendee's stored calendar form (as eas_pim_calendar.parse gives it):
 * METHOD dropped, MeetingStatus 3 (received), the user's PARTSTAT, ResponseType and BusyStatus
 * for answer (NONE: NEEDS-ACTION, tentative). cancelled: a CANCEL (MeetingStatus 7, STATUS
 * CANCELLED). -1 with *err when the event cannot be stored (unknown zone, no DTSTART). */
int eas_itip_to_calendar(apr_pool_t *p, const eas_itip *it, const struct eas_user_info *u,
                         int answer, int cancelled, eas_pim_item *out, const char **err);

/* The organizer's stored event (text) with the ATTENDEE of the reply's sender set to the reply's
 * PARTSTAT → new stored form. 1 when the reply's attendee is not in the event (nothing to do),
 * -1 with *err when the stored form cannot be read. */
int eas_itip_apply_reply(apr_pool_t *p, const char *stored, const eas_itip *reply,
                         eas_pim_item *out, const char **err);

/* iCalendar text of the REPLY of attendee (address, display name or NULL) to it with answer. */
const char *eas_itip_reply(apr_pool_t *p, const eas_itip *it, const char *attendee,
                           const char *name, int answer);

/* The whole iMIP message of a reply: a short text part and the text/calendar; method=REPLY part.
 * from/to are addresses (from_name may be NULL). */
const char *eas_itip_reply_mime(apr_pool_t *p, const char *from, const char *from_name,
                                const char *to, const eas_itip *it, int answer, const char *ics,
                                apr_size_t *len);

/* Message class of an iMIP message by method and, for a REPLY, the PARTSTAT in ics:
 * IPM.Schedule.Meeting.Request / .Canceled / .Resp.Pos / .Resp.Tent / .Resp.Neg; NULL: none. */
const char *eas_itip_message_class(const char *method, const char *ics);

#endif
