"""Meeting requests (iTIP over iMIP) between two local users and an external organizer: an
invitation delivered to the attendee shows as Email:MeetingRequest in Email Sync and as a tentative
event in their calendar; MeetingResponse accepts / declines it; the attendee's REPLY updates the
organizer's event; 16.1 SendResponse sends the REPLY through the mail path. Every response goes
through our codec, libwbxml and the XSDs."""
import base64
import email
import itertools
import os
from xml.sax.saxutils import escape

import pytest

from pyeas.mail import XML, Phone, commands_of, deliver

_uids = itertools.count(1)
DOMAIN = "example.test"
MIME_BODY = ('<MIMESupport>2</MIMESupport><airsyncbase:BodyPreference>'
             '<airsyncbase:Type>4</airsyncbase:Type></airsyncbase:BodyPreference>')
VTZ_BERLIN = """BEGIN:VTIMEZONE
TZID:Europe/Berlin
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE"""


def new_uid():
    return f"mtg-{next(_uids)}-{os.getpid()}@test.example"


def ics(uid, method="REQUEST", seq=0, organizer=f"orga@{DOMAIN}", attendees=(f"mtgbob@{DOMAIN}",),
        partstat=None, stamp="20260201T120000Z", summary="Planning"):
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN", f"METHOD:{method}",
             VTZ_BERLIN, "BEGIN:VEVENT", f"UID:{uid}", f"SEQUENCE:{seq}", f"DTSTAMP:{stamp}",
             "DTSTART;TZID=Europe/Berlin:20261110T100000",
             "DTEND;TZID=Europe/Berlin:20261110T110000", f"SUMMARY:{summary}",
             "LOCATION:Room 42", f"ORGANIZER;CN=Olga Orga:mailto:{organizer}"]
    for a in attendees:
        ps = partstat or "NEEDS-ACTION"
        lines.append(f"ATTENDEE;CN={a.split('@')[0]};PARTSTAT={ps};RSVP=TRUE:mailto:{a}")
    if method == "CANCEL":
        lines.append("STATUS:CANCELLED")
    lines += ["BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:Reminder", "TRIGGER:-PT15M",
              "END:VALARM", "END:VEVENT", "END:VCALENDAR"]
    return "\n".join(lines) + "\n"


def imip(cal, method, sender, to, subject="Invitation: Planning"):
    # LF line ends: libwbxml (the test's cross-check) normalises CR in the MIME body
    return (f"From: {sender}\nTo: {to}\nSubject: {subject}\n"
            f"Message-ID: <{next(_uids)}.{os.getpid()}@test.example>\n"
            "MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n"
            "--b1\nContent-Type: text/plain; charset=utf-8\n\nYou are invited.\n"
            f"--b1\nContent-Type: text/calendar; charset=utf-8; method={method}\n\n"
            f"{cal}--b1--\n").encode()


def deliver_to(env, user, raw):
    deliver(env, user, raw, extra=["--mail-domain", DOMAIN])


@pytest.fixture(scope="module")
def people(env):
    for name in ("orga", "mtgbob"):
        env.add_user(name, "pw-" + name)
    return {n: dict(user=n, password="pw-" + n) for n in ("orga", "mtgbob")}


def phone(env, people, name, version="16.1"):
    ph = Phone(env, version, prefix="MTG", **people[name])
    ph.foldersync()
    return ph


def calendar_events(ph):
    cal = ph.folder("Calendar")
    ph.keys.pop(cal, None)
    return ph.sync_all(cal)


def event_by_uid(ph, uid):
    for sid, a in calendar_events(ph).items():
        if a.text("ApplicationData/UID") == uid:
            return sid, a
    return None, None


def meeting_response(ph, answer, collection, request_id, send=False, instance=None):
    extra = f"<InstanceId>{instance}</InstanceId>" if instance else ""
    if send:
        extra += "<SendResponse><airsyncbase:Body><airsyncbase:Type>1</airsyncbase:Type>" \
                 "<airsyncbase:Data>see you</airsyncbase:Data></airsyncbase:Body></SendResponse>"
    xml = (f'{XML}<MeetingResponse xmlns="MeetingResponse:" xmlns:airsyncbase="AirSyncBase:">'
           f"<Request><UserResponse>{answer}</UserResponse><CollectionId>{collection}"
           f"</CollectionId><RequestId>{request_id}</RequestId>{extra}</Request>"
           "</MeetingResponse>")
    r = ph.cmd("MeetingResponse", xml)
    assert r.status == 200, r.resp
    return r.doc.find("Result")


def inbox_request(ph, uid):
    """The meeting-request mail of uid in the Inbox (fetching MIME so the data is there)."""
    inbox = ph.folder("Inbox")
    ph.keys.pop(inbox, None)
    for sid, a in ph.sync_all(inbox, options=MIME_BODY).items():
        mr = a.find("ApplicationData/MeetingRequest")
        if mr is not None and (mr.text("UID") == uid or mr.text("GlobalObjId")):
            if mr.text("UID") == uid or uid.encode() in base64.b64decode(mr.text("GlobalObjId")):
                return sid, a
    return None, None


def test_invitation_is_a_meeting_request_and_a_tentative_event(env, people):
    uid = new_uid()
    mtgbob = phone(env, people, "mtgbob", version="14.1")
    deliver_to(env, "mtgbob", imip(ics(uid), "REQUEST", f"Olga <orga@{DOMAIN}>", f"mtgbob@{DOMAIN}"))
    sid, a = inbox_request(mtgbob, uid)
    assert sid, "no MeetingRequest in the Inbox"
    app = a.find("ApplicationData")
    assert app.text("MessageClass") == "IPM.Schedule.Meeting.Request"
    mr = app.find("MeetingRequest")
    assert mr.text("StartTime") == "2026-11-10T09:00:00.000Z"
    assert mr.text("EndTime") == "2026-11-10T10:00:00.000Z"
    assert mr.text("DtStamp") == "2026-02-01T12:00:00.000Z"
    assert mr.text("AllDayEvent") == "0" and mr.text("InstanceType") == "0"
    assert mr.text("Location") == "Room 42"
    assert f"orga@{DOMAIN}" in mr.text("Organizer")
    assert mr.text("Reminder") == "15" and mr.text("ResponseRequested") == "1"
    assert mr.text("MeetingMessageType") == "1"
    assert len(base64.b64decode(mr.text("TimeZone"))) == 172
    goid = base64.b64decode(mr.text("GlobalObjId"))
    assert goid[40:48] == b"vCal-Uid" and goid[52:-1] == uid.encode()
    # the calendar has the event, received and not yet answered
    _, ev = event_by_uid(mtgbob, uid)
    assert ev is not None, "no event in the calendar"
    assert ev.text("ApplicationData/MeetingStatus") == "3"
    assert ev.text("ApplicationData/BusyStatus") == "1"
    assert ev.text("ApplicationData/ResponseType") == "5"
    st = {at.text("Email"): at.text("AttendeeStatus")
          for at in ev.findall("ApplicationData/Attendees/Attendee")}
    assert st.get(f"mtgbob@{DOMAIN}") == "5"


def test_accept_decline_retry_and_bad_request(env, people):
    uid = new_uid()
    mtgbob = phone(env, people, "mtgbob", version="14.1")
    deliver_to(env, "mtgbob", imip(ics(uid), "REQUEST", f"orga@{DOMAIN}", f"mtgbob@{DOMAIN}"))
    sid, _ = inbox_request(mtgbob, uid)
    inbox = mtgbob.folder("Inbox")
    res = meeting_response(mtgbob, 1, inbox, sid)
    assert res.text("Status") == "1" and res.text("RequestId") == sid
    cal_id = res.text("CalendarId")
    assert cal_id and cal_id.startswith(mtgbob.folder("Calendar") + ":")
    # a retry answers the same and adds nothing
    res2 = meeting_response(mtgbob, 1, inbox, sid)
    assert res2.text("Status") == "1" and res2.text("CalendarId") == cal_id
    evs = [a for a in calendar_events(mtgbob).values() if a.text("ApplicationData/UID") == uid]
    assert len(evs) == 1
    ev = evs[0]
    assert ev.text("ApplicationData/BusyStatus") == "2"
    assert ev.text("ApplicationData/ResponseType") == "3"
    st = {at.text("Email"): at.text("AttendeeStatus")
          for at in ev.findall("ApplicationData/Attendees/Attendee")}
    assert st[f"mtgbob@{DOMAIN}"] == "3"
    # 12.x-14.1: the device sends the reply itself; nothing went out from the server
    # tentative, then decline: the event goes away and no CalendarId comes back
    assert meeting_response(mtgbob, 2, inbox, sid).text("CalendarId") == cal_id
    res = meeting_response(mtgbob, 3, inbox, sid)
    assert res.text("Status") == "1" and res.find("CalendarId") is None
    assert event_by_uid(mtgbob, uid)[1] is None
    # unknown item, malformed id, bad answer, a mail that is no meeting request
    assert meeting_response(mtgbob, 1, inbox, f"{inbox}:999999").text("Status") == "2"
    assert meeting_response(mtgbob, 1, inbox, "garbage").text("Status") == "2"
    assert meeting_response(mtgbob, 7, inbox, sid).text("Status") == "2"
    deliver_to(env, "mtgbob", b"From: x@example.org\nSubject: plain\n\nhi\n")
    mtgbob.keys.pop(inbox, None)
    plain = [s for s, a in mtgbob.sync_all(inbox).items()
             if a.text("ApplicationData/Subject") == "plain"]
    assert len(plain) == 1
    assert meeting_response(mtgbob, 1, inbox, plain[0]).text("Status") == "2"


def test_update_and_cancel_reach_the_calendar(env, people):
    uid = new_uid()
    mtgbob = phone(env, people, "mtgbob", version="14.1")
    deliver_to(env, "mtgbob", imip(ics(uid), "REQUEST", f"orga@{DOMAIN}", f"mtgbob@{DOMAIN}"))
    deliver_to(env, "mtgbob", imip(ics(uid, seq=1, stamp="20260202T120000Z", summary="Moved"),
                                "REQUEST", f"orga@{DOMAIN}", f"mtgbob@{DOMAIN}", "Updated"))
    # an older copy arriving late changes nothing
    deliver_to(env, "mtgbob", imip(ics(uid, seq=0, stamp="20260201T130000Z", summary="Old"),
                                "REQUEST", f"orga@{DOMAIN}", f"mtgbob@{DOMAIN}", "Late"))
    _, ev = event_by_uid(mtgbob, uid)
    assert ev.text("ApplicationData/Subject") == "Moved"
    deliver_to(env, "mtgbob", imip(ics(uid, method="CANCEL", seq=2, stamp="20260203T120000Z"),
                                "CANCEL", f"orga@{DOMAIN}", f"mtgbob@{DOMAIN}", "Canceled"))
    _, ev = event_by_uid(mtgbob, uid)
    assert ev.text("ApplicationData/MeetingStatus") == "7"
    inbox = mtgbob.folder("Inbox")
    mtgbob.keys.pop(inbox, None)
    classes = [a.text("ApplicationData/MessageClass")
               for a in mtgbob.sync_all(inbox, options=MIME_BODY).values()]
    assert "IPM.Schedule.Meeting.Canceled" in classes


def test_reply_updates_the_organizers_event(env, people):
    uid = new_uid()
    orga = phone(env, people, "orga", version="16.1")
    cal = orga.folder("Calendar")
    app = ("<calendar:Subject>Planning</calendar:Subject>"
           "<calendar:StartTime>20261110T090000Z</calendar:StartTime>"
           "<calendar:EndTime>20261110T100000Z</calendar:EndTime>"
           f"<calendar:UID>{uid}</calendar:UID><calendar:MeetingStatus>1</calendar:MeetingStatus>"
           "<calendar:Attendees><calendar:Attendee>"
           f"<calendar:Email>mtgbob@{DOMAIN}</calendar:Email><calendar:Name>Bob</calendar:Name>"
           "<calendar:AttendeeType>1</calendar:AttendeeType>"
           "</calendar:Attendee></calendar:Attendees>")
    orga.sync(cal)
    r = orga.sync(cal, commands=f"<Add><ClientId>c-{uid}</ClientId><ApplicationData>{app}"
                                "</ApplicationData></Add>")
    assert r.text("Collections/Collection/Responses/Add/Status") == "1", r.doc.xml
    reply = ics(uid, method="REPLY", partstat="ACCEPTED", stamp="20260201T130000Z")
    deliver_to(env, "orga", imip(reply, "REPLY", f"mtgbob@{DOMAIN}", f"orga@{DOMAIN}",
                                 "Accepted: Planning"))
    _, ev = event_by_uid(orga, uid)
    st = {at.text("Email"): at.text("AttendeeStatus")
          for at in ev.findall("ApplicationData/Attendees/Attendee")}
    assert st[f"mtgbob@{DOMAIN}"] == "3"
    inbox = orga.folder("Inbox")
    orga.keys.pop(inbox, None)
    classes = [a.text("ApplicationData/MessageClass") for a in orga.sync_all(inbox).values()]
    assert "IPM.Schedule.Meeting.Resp.Pos" in classes


def submit_works(res):
    if res.text("Status") == "4":
        pytest.skip("eas_submit not available yet (placeholder answers 120)")


def test_send_response_161_external_organizer_reaches_the_relay(env, people, smtp, env_log):
    env_log.allow(r"meeting reply to .* not sent")
    uid = new_uid()
    mtgbob = phone(env, people, "mtgbob", version="16.1")
    deliver_to(env, "mtgbob", imip(ics(uid, organizer="boss@example.org"), "REQUEST",
                                "boss@example.org", f"mtgbob@{DOMAIN}"))
    sid, a = inbox_request(mtgbob, uid)
    assert a.text("ApplicationData/MeetingRequest/UID") == uid
    res = meeting_response(mtgbob, 1, mtgbob.folder("Inbox"), sid, send=True)
    submit_works(res)
    assert res.text("Status") == "1" and res.text("CalendarId")
    msgs = smtp.wait_for(1)
    assert len(msgs) == 1
    m = msgs[0]
    assert [r.lower() for r in m.rcpt] == ["boss@example.org"]
    parsed = email.message_from_bytes(m.data)
    cal = [p for p in parsed.walk() if p.get_content_type() == "text/calendar"]
    assert cal and cal[0].get_param("method") == "REPLY"
    text = cal[0].get_payload(decode=True).decode()
    assert "METHOD:REPLY" in text and f"UID:{uid}" in text and "PARTSTAT=ACCEPTED" in text
    # retried: not sent twice
    res = meeting_response(mtgbob, 1, mtgbob.folder("Inbox"), sid, send=True)
    assert res.text("Status") == "1"
    assert len(smtp.wait_for(2, timeout=1)) == 1


def test_send_response_161_local_round_trip(env, people, smtp, env_log):
    env_log.allow(r"meeting reply to .* not sent")
    uid = new_uid()
    orga = phone(env, people, "orga", version="16.1")
    cal = orga.folder("Calendar")
    orga.sync(cal)
    app = ("<calendar:Subject>Round trip</calendar:Subject>"
           "<calendar:StartTime>20261110T090000Z</calendar:StartTime>"
           "<calendar:EndTime>20261110T100000Z</calendar:EndTime>"
           f"<calendar:UID>{uid}</calendar:UID><calendar:MeetingStatus>1</calendar:MeetingStatus>"
           "<calendar:Attendees><calendar:Attendee>"
           f"<calendar:Email>mtgbob@{DOMAIN}</calendar:Email><calendar:Name>Bob</calendar:Name>"
           "<calendar:AttendeeType>1</calendar:AttendeeType>"
           "</calendar:Attendee></calendar:Attendees>")
    r = orga.sync(cal, commands=f"<Add><ClientId>c-{uid}</ClientId><ApplicationData>{app}"
                                "</ApplicationData></Add>")
    assert r.text("Collections/Collection/Responses/Add/Status") == "1", r.doc.xml
    mtgbob = phone(env, people, "mtgbob", version="16.1")
    deliver_to(env, "mtgbob", imip(ics(uid, summary="Round trip"), "REQUEST", f"orga@{DOMAIN}",
                                f"mtgbob@{DOMAIN}"))
    sid, _ = inbox_request(mtgbob, uid)
    res = meeting_response(mtgbob, 2, mtgbob.folder("Inbox"), sid, send=True)
    submit_works(res)
    assert res.text("Status") == "1"
    _, ev = event_by_uid(orga, uid)
    st = {at.text("Email"): at.text("AttendeeStatus")
          for at in ev.findall("ApplicationData/Attendees/Attendee")}
    assert st[f"mtgbob@{DOMAIN}"] == "2"


def test_invitation_sent_with_sendmail_reaches_the_attendee(env, people, smtp):
    uid = new_uid()
    orga = phone(env, people, "orga", version="14.1")
    mtgbob = phone(env, people, "mtgbob", version="14.1")
    raw = imip(ics(uid, summary="Via SendMail"), "REQUEST", f"orga@{DOMAIN}", f"mtgbob@{DOMAIN}")
    xml = (f'{XML}<SendMail xmlns="ComposeMail:"><ClientId>{uid}</ClientId><SaveInSentItems/>'
           f"<Mime>{escape(raw.decode())}</Mime></SendMail>")
    r = orga.cmd("SendMail", xml)
    assert r.status == 200 and r.doc is None, r.doc.xml if r.doc else r.resp
    _, ev = event_by_uid(mtgbob, uid)
    assert ev is not None and ev.text("ApplicationData/Subject") == "Via SendMail"
    assert ev.text("ApplicationData/MeetingStatus") == "3"
    assert event_by_uid(orga, uid)[1] is None   # the organizer's own copy is not an invitation
