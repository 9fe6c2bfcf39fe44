/* eas_meeting.h — meeting requests in mail (iTIP, RFC 5546 over iMIP, RFC 6047): an invitation
 * delivered to a local user is placed in their calendar (tentative, MeetingStatus 3), replies
 * update the organizer's event, MeetingResponse answers and the iTIP REPLY goes back through
 * eas_submit. The delivery hook is declared in eas_delivered.h. */
#ifndef EAS_MEETING_H
#define EAS_MEETING_H

#include "eas_delivered.h"

#endif
