/* test_itip.c — iTIP helpers: parsing an iMIP message, GlobalObjId, message classes, the stored
 * form of an invitation, replies and applying them to the organizer's event. */
#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "eas_itip.h"
#include "eas_user.h"
#include "tap.h"

static apr_pool_t *pool;

static const char *INVITE =
    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nMETHOD:REQUEST\r\n"
    "BEGIN:VEVENT\r\nUID:abc-123@example.org\r\nSEQUENCE:2\r\nDTSTAMP:20260201T120000Z\r\n"
    "DTSTART:20261110T090000Z\r\nDTEND:20261110T100000Z\r\nSUMMARY:Planning\r\n"
    "ORGANIZER;CN=Olga:mailto:orga@example.test\r\n"
    "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:Bob@Example.test\r\n"
    "ATTENDEE;PARTSTAT=ACCEPTED:mailto:carol@example.org\r\n"
    "END:VEVENT\r\nEND:VCALENDAR\r\n";

static eas_user_info *bob(void)
{
    eas_user_info *u = apr_pcalloc(pool, sizeof(*u));
    u->id = "2";
    u->name = "bob";
    u->display_name = "Bob";
    u->email = "bob@example.test";
    u->aliases = apr_array_make(pool, 1, sizeof(const char *));
    return u;
}

static void test_parse_and_mime(void)
{
    eas_itip it;
    const char *mime = apr_pstrcat(pool,
                                   "From: orga@example.test\r\nTo: bob@example.test\r\n"
                                   "Subject: x\r\nMIME-Version: 1.0\r\n"
                                   "Content-Type: multipart/mixed; boundary=zz\r\n\r\n"
                                   "--zz\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
                                   "--zz\r\nContent-Type: text/calendar; method=request\r\n\r\n",
                                   INVITE, "--zz--\r\n", NULL);
    const char *err = NULL;
    ok(eas_itip_parse(pool, INVITE, &it, &err) == 0, "invitation parses");
    is_str(it.method, "REQUEST", "method");
    is_str(it.uid, "abc-123@example.org", "uid");
    is_int(it.sequence, 2, "sequence");
    is_str(it.organizer, "orga@example.test", "organizer without mailto:");
    is_str(it.summary, "Planning", "summary");
    ok(eas_itip_parse(pool, "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", &it, &err) != 0,
       "no METHOD: refused");
    ok(eas_itip_parse(pool, "garbage", &it, &err) != 0, "garbage refused");
    ok(eas_itip_from_mime(pool, mime, strlen(mime), &it) == 0, "found in a multipart");
    is_str(it.uid, "abc-123@example.org", "uid from the mail");
    ok(eas_itip_from_mime(pool, "Subject: x\r\n\r\nhi\r\n", 16, &it) == 1, "plain mail: none");
    ok(eas_itip_from_mime(pool, NULL, 0, &it) == 1, "NULL: none");
}

static void test_global_obj_id(void)
{
    const char *b64 = eas_itip_global_obj_id(pool, "abc");
    char raw[128];
    int n = apr_base64_decode_binary((unsigned char *)raw, b64);
    is_int(n, 56, "vCal id length");
    ok(memcmp(raw + 40, "vCal-Uid", 8) == 0, "vCal-Uid marker");
    is_int((unsigned char)raw[36], 16, "byte count");
    ok(memcmp(raw + 52, "abc", 4) == 0, "uid and NUL");
    b64 = eas_itip_global_obj_id(pool, "040000008200E00074C5B7101A82E00800000000");
    n = apr_base64_decode_binary((unsigned char *)raw, b64);
    is_int(n, 20, "Outlook id is its bytes");
    is_int((unsigned char)raw[4], 0x82, "Outlook bytes");
}

static void test_classes(void)
{
    is_str(eas_itip_message_class("REQUEST", NULL), "IPM.Schedule.Meeting.Request", "request");
    is_str(eas_itip_message_class("cancel", NULL), "IPM.Schedule.Meeting.Canceled", "cancel");
    is_str(eas_itip_message_class("REPLY", "ATTENDEE;PARTSTAT=DECLINED:mailto:a@b"),
           "IPM.Schedule.Meeting.Resp.Neg", "decline");
    is_str(eas_itip_message_class("REPLY", "ATTENDEE;PARTSTAT=TENTATIVE:mailto:a@b"),
           "IPM.Schedule.Meeting.Resp.Tent", "tentative");
    is_str(eas_itip_message_class("REPLY", "ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b"),
           "IPM.Schedule.Meeting.Resp.Pos", "accept");
    ok(eas_itip_message_class("PUBLISH", NULL) == NULL, "publish is no meeting message");
    ok(eas_itip_message_class(NULL, NULL) == NULL, "no method");
}

static void test_calendar_and_reply(void)
{
    eas_itip it, rp;
    eas_pim_item item, upd;
    const char *err = NULL, *reply, *mime;
    apr_size_t len;

    eas_itip_parse(pool, INVITE, &it, &err);
    ok(eas_itip_to_calendar(pool, &it, bob(), EAS_ITIP_NONE, 0, &item, &err) == 0,
       "stored form built");
    is_str(item.pim_uid, "abc-123@example.org", "pim uid");
    ok(!strstr(item.data, "METHOD:"), "no METHOD in the stored form");
    ok(strstr(item.data, "X-EAS-MEETINGSTATUS:3") != NULL, "received meeting");
    ok(strstr(item.data, "X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE") != NULL, "tentative");
    ok(eas_itip_to_calendar(pool, &it, bob(), EAS_ITIP_ACCEPT, 0, &item, &err) == 0, "accepted");
    ok(strstr(item.data, "PARTSTAT=ACCEPTED:mailto:Bob@Example.test") != NULL,
       "user's PARTSTAT (address matched case-insensitively)");
    ok(strstr(item.data, "X-EAS-RESPONSETYPE:3") != NULL, "ResponseType accepted");

    reply = eas_itip_reply(pool, &it, "bob@example.test", "Bob", EAS_ITIP_DECLINE);
    ok(strstr(reply, "METHOD:REPLY") && strstr(reply, "PARTSTAT=DECLINED") &&
           strstr(reply, "UID:abc-123@example.org") && strstr(reply, "SEQUENCE:2"),
       "REPLY carries method, answer, UID and SEQUENCE");
    mime = eas_itip_reply_mime(pool, "bob@example.test", "Bob", "orga@example.test", &it,
                               EAS_ITIP_DECLINE, reply, &len);
    ok(strstr(mime, "method=REPLY") && strstr(mime, "Subject: Declined: Planning"), "iMIP message");
    ok(eas_itip_from_mime(pool, mime, len, &rp) == 0 && !strcmp(rp.method, "REPLY"),
       "the reply reads back");

    /* the organizer's event learns the answer */
    ok(eas_itip_apply_reply(pool, item.data, &rp, &upd, &err) == 0, "reply applied");
    ok(strstr(upd.data, "PARTSTAT=DECLINED") != NULL, "attendee declined now");
    reply = eas_itip_reply(pool, &it, "stranger@example.org", NULL, EAS_ITIP_ACCEPT);
    eas_itip_parse(pool, reply, &rp, &err);
    is_int(eas_itip_apply_reply(pool, item.data, &rp, &upd, &err), 1, "unknown attendee: no-op");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    eas_pim_init();
    test_parse_and_mime();
    test_global_obj_id();
    test_classes();
    test_calendar_and_reply();
    apr_pool_destroy(pool);
    return tap_done();
}
