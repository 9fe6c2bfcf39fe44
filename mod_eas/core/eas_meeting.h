/* eas_meeting.h — meeting requests in mail (iTIP, RFC 5546 over iMIP, RFC 6047): an invitation
 * delivered to a local user is placed in their calendar (tentative, MeetingStatus 3), replies
 * update the organizer's event, MeetingResponse answers and the iTIP REPLY goes back through
 * eas_submit. The delivery hook is declared in eas_delivered.h. */
#ifndef EAS_MEETING_H
#define EAS_MEETING_H

#include "eas_delivered.h"
#include "eas_itip.h"
#include "eas_store.h"

struct eas_user_info;

/* The live item of folder cal with iCalendar UID pim_uid: *uid (0: none). 0, or -1 with *err. */
int eas_meeting_find(eas_store *s, const eas_folder *cal, const char *pim_uid, apr_int64_t *uid,
                     const char **err);

/* Puts the invitation it into u's calendar cal with the user's answer (EAS_ITIP_*): creates the
 * event or replaces the one with the same UID (*uid_out: its uid). A decline removes it
 * (*uid_out 0). cancelled: it is a CANCEL (the event is marked cancelled, not created). 0, 1 when
 * the event cannot be stored (bad iCalendar: *err), -1 store error (*err). */
int eas_meeting_store(eas_store *s, const eas_folder *cal, const eas_itip *it,
                      const struct eas_user_info *u, int answer, int cancelled,
                      apr_int64_t *uid_out, const char **err);

#endif
