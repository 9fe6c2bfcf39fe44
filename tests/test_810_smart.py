"""SmartReply and SmartForward end to end (MS-ASCMD 2.2.1.19/2.2.1.20): an original is delivered
with the real agent, a phone syncs it and answers with only its new text; the SMTP sink shows the
final message: the original quoted below (reply, with In-Reply-To/References) or forwarded with its
attachments, From forced to the user; ReplaceMime sends the device's message as it is; the 12.x
query form; unknown Source -> 150; a retried ClientId -> 118; LastVerbExecuted on another device."""
import base64
import email
import itertools
from email import policy

from pyeas.mail import XML, Phone, commands_of, deliver, message

_n = itertools.count(1)
MAILNS = 'xmlns="ComposeMail:" xmlns:eas="urn:mod-eas:wbxml"'


def user(env, prefix):
    name = f"{prefix}{next(_n)}"
    env.add_user(name, "pw-" + name)
    return dict(user=name, password="pw-" + name), f"{name}@example.test"


def put(env, kw, raw):
    deliver(env, kw["user"], raw, extra=("--create-user",))


def phone(env, kw, version="14.1"):
    ph = Phone(env, version, **kw)
    ph.foldersync()
    return ph


def inbox_item(ph, subject):
    """ServerId of the Inbox item with this subject (syncing the Inbox as far as needed)."""
    inbox = ph.folder("Inbox")
    items = ph.sync_all(inbox)
    for sid, a in items.items():
        if a.text("ApplicationData/Subject") == subject:
            return inbox, sid
    raise KeyError(subject)


def device_mime(to, subject, text, html=None, extra=""):
    """What a phone sends: its own text only (CRLF line ends as on the wire)."""
    head = (f"From: someone-else@example.org\r\nTo: {to}\r\nSubject: {subject}\r\n{extra}"
            "MIME-Version: 1.0\r\n")
    if html is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n"
                "Content-Transfer-Encoding: 7bit\r\n\r\n" + text).encode()
    return (head + 'Content-Type: multipart/alternative; boundary="dev-b"\r\n\r\n'
            "--dev-b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text +
            "\r\n--dev-b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + html +
            "\r\n--dev-b--\r\n").encode()


def smart_xml(cmd, mime, client_id, folder=None, item=None, long_id=None, replace=False,
              save=True, extra=""):
    src = ""
    if folder:
        src += f"<FolderId>{folder}</FolderId>"
    if item:
        src += f"<ItemId>{item}</ItemId>"
    if long_id:
        src += f"<LongId>{long_id}</LongId>"
    return (f'{XML}<{cmd} {MAILNS}><ClientId>{client_id}</ClientId><Source>{src}</Source>'
            + ("<SaveInSentItems/>" if save else "") + ("<ReplaceMime/>" if replace else "")
            + f'<Mime eas:opaque="base64">{base64.b64encode(mime).decode()}</Mime>{extra}'
            f'</{cmd}>')


def parse(data):
    return email.message_from_bytes(data.replace(b"\r\n", b"\n"), policy=policy.default)


def body_of(msg, subtype):
    part = msg.get_body(preferencelist=(subtype,))
    return part.get_content() if part is not None else None


def sent_ok(r):
    assert r.status == 200, r.resp
    assert r.doc is None, r.doc.xml        # success: an empty body


def test_smartreply_quotes_the_original(env, smtp):
    kw, addr = user(env, "smr")
    put(env, kw, message(subject="Lunch?", body="Shall we eat?\n\n> earlier\n",
                                     sender="Alice Example <alice@example.org>", to=addr,
                                     msgid="<orig-lunch@example.org>"))
    ph = phone(env, kw)
    inbox, sid = inbox_item(ph, "Lunch?")
    r = ph.cmd("SmartReply", smart_xml("SmartReply", device_mime("alice@example.org",
                                                                 "Re: Lunch?", "Sounds good.\r\n"),
                                       "reply-1", folder=inbox, item=sid))
    sent_ok(r)
    m = smtp.wait_for(1)
    assert len(m) == 1
    assert m[0].rcpt == ["alice@example.org"]
    out = parse(m[0].data)
    assert out["From"].addresses[0].addr_spec == addr               # forced to the user
    assert out["In-Reply-To"] == "<orig-lunch@example.org>"
    assert out["References"] == "<orig-lunch@example.org>"
    assert out["Subject"] == "Re: Lunch?"
    text = body_of(out, "plain")
    head, quoted = text.split("\n\n", 1)
    assert head == "Sounds good."
    assert quoted.startswith("On ") and ", Alice Example <alice@example.org> wrote:\n" in quoted
    assert quoted.split("wrote:\n", 1)[1] == "> Shall we eat?\n>\n>> earlier\n"
    # the device's own text is byte for byte in the wire message
    assert b"Sounds good.\r\n\r\nOn " in m[0].data


def test_smartreply_html_original_in_blockquote(env, smtp):
    kw, addr = user(env, "smh")
    put(env, kw, message(subject="Report", body="The report.\n",
                                     html="<html><body><p>The <b>report</b>.</p></body></html>\n",
                                     sender="bob@example.org", to=addr))
    ph = phone(env, kw)
    inbox, sid = inbox_item(ph, "Report")
    mime = device_mime("bob@example.org, carol@example.org", "Re: Report", "Thanks!",
                       html="<html><body><p>Thanks!</p></body></html>")
    sent_ok(ph.cmd("SmartReply", smart_xml("SmartReply", mime, "reply-h", long_id=sid)))
    out = parse(smtp.wait_for(1)[0].data)
    html = body_of(out, "html")
    assert html.startswith("<html><body><p>Thanks!</p><div>On ")
    assert '<blockquote type="cite"' in html
    assert "<p>The <b>report</b>.</p></blockquote>\n</body></html>" in html
    plain = body_of(out, "plain")
    assert plain.startswith("Thanks!\n\nOn ") and "> The report." in plain
    # two recipients: a reply-all, seen by another device of the user
    other = phone(env, kw)
    items = other.sync_all(other.folder("Inbox"))
    assert items[sid].text("ApplicationData/LastVerbExecuted") == "2"
    assert items[sid].text("ApplicationData/LastVerbExecutionTime")


def test_replacemime_sends_the_devices_message(env, smtp):
    kw, addr = user(env, "smx")
    put(env, kw, message(subject="Edit inline", body="Original text.\n",
                                     sender="dan@example.org", to=addr))
    ph = phone(env, kw)
    inbox, sid = inbox_item(ph, "Edit inline")
    mime = device_mime("dan@example.org", "Re: Edit inline",
                       "Mine.\r\n\r\n> Original text (edited).\r\n",
                       extra="In-Reply-To: <x@example.org>\r\nX-Mailer: TestPhone\r\n")
    sent_ok(ph.cmd("SmartReply", smart_xml("SmartReply", mime, "replace-1", folder=inbox,
                                           item=sid, replace=True)))
    got = smtp.wait_for(1)[0].data
    # the body is exactly the device's; headers too, except what submission owns
    assert got.split(b"\r\n\r\n", 1)[1] == mime.split(b"\r\n\r\n", 1)[1]
    sent, dev = parse(got), parse(mime)
    skip = {"from", "date", "message-id", "bcc"}
    assert [(k, v) for k, v in sent.items() if k.lower() not in skip] == \
           [(k, v) for k, v in dev.items() if k.lower() not in skip]
    assert b"Original text.\r\n" not in got


def test_smartforward_keeps_attachments(env, smtp):
    kw, addr = user(env, "smf")
    pdf = b"%PDF-1.4\n" + bytes(range(256)) * 4
    put(env, kw, message(subject="Files", body="See attached.\n",
                                     sender="Carol <carol@example.org>", to=addr,
                                     cc="dave@example.org",
                                     attachments=[("report.pdf", "application/pdf", pdf)]))
    ph = phone(env, kw)
    inbox, sid = inbox_item(ph, "Files")
    mime = device_mime("erin@example.org", "Fwd: Files", "FYI.\r\n")
    sent_ok(ph.cmd("SmartForward", smart_xml("SmartForward", mime, "fwd-1", folder=inbox,
                                             item=sid)))
    m = smtp.wait_for(1)[0]
    assert m.rcpt == ["erin@example.org"]
    out = parse(m.data)
    assert out["In-Reply-To"] is None
    text = body_of(out, "plain")
    assert text.startswith("FYI.\n\n---------- Forwarded message ----------\n"
                           "From: Carol <carol@example.org>\nDate: ")
    assert "\nSubject: Files\nTo: " + addr + "\nCc: dave@example.org\n\nSee attached.\n" in text
    atts = list(out.iter_attachments())
    assert [(a.get_filename(), a.get_content_type()) for a in atts] == \
           [("report.pdf", "application/pdf")]
    assert atts[0].get_content() == pdf
    # the original now says "forwarded" on every device
    other = phone(env, kw)
    items = other.sync_all(other.folder("Inbox"))
    assert items[sid].text("ApplicationData/LastVerbExecuted") == "3"


def test_smartreply_12_1_query_form(env, smtp):
    kw, addr = user(env, "sm12")
    put(env, kw, message(subject="Old phone", body="Hello from 2007.\n",
                                     sender="frank@example.org", to=addr))
    ph = phone(env, kw, version="12.1")
    inbox, sid = inbox_item(ph, "Old phone")
    mime = device_mime("frank@example.org", "Re: Old phone", "Still works.\r\n")
    q = (f"Cmd=SmartReply&User={kw['user']}&DeviceId={ph.dev}&DeviceType=TestPhone"
         f"&ItemId={sid}&CollectionId={inbox}&SaveInSent=T")
    r = env.eas("SmartReply", body=mime, version="12.1", query=q, user=kw["user"],
                password=kw["password"],
                headers={"Content-Type": "message/rfc822", "X-MS-PolicyKey": ph.key})
    assert r.status == 200, r
    out = parse(smtp.wait_for(1)[0].data)
    text = body_of(out, "plain")
    assert text.startswith("Still works.\n\nOn ") and text.endswith("> Hello from 2007.\n")
    # and an unknown item in the 12.x form is an HTTP error, nothing sent
    smtp.reset()
    r = env.eas("SmartReply", body=mime, version="12.1",
                query=q.replace(f"ItemId={sid}", f"ItemId={inbox}:987654"), user=kw["user"],
                password=kw["password"],
                headers={"Content-Type": "message/rfc822", "X-MS-PolicyKey": ph.key})
    assert r.status >= 400
    assert smtp.wait_for(1, timeout=0) == []


def test_unknown_source_is_status_150(env, smtp):
    kw, addr = user(env, "smu")
    put(env, kw, message(subject="Mine", to=addr))
    ph = phone(env, kw)
    inbox, sid = inbox_item(ph, "Mine")
    mime = device_mime("x@example.org", "Re: ?", "Hm.\r\n")
    for src in (dict(folder=inbox, item=f"{inbox}:987654"), dict(long_id="nonsense"),
                dict(folder=ph.folder("Sent Items"), item=sid), dict()):
        r = ph.cmd("SmartReply", smart_xml("SmartReply", mime, f"u-{len(src)}-{next(_n)}", **src))
        assert r.status == 200 and r.text("Status") == "150", (src, r.doc and r.doc.xml)
    # another user's item is not found either
    kw2, _ = user(env, "smo")
    ph2 = phone(env, kw2)
    r = ph2.cmd("SmartForward", smart_xml("SmartForward", mime, "other-1", long_id=sid))
    assert r.text("Status") == "150"
    assert smtp.wait_for(1, timeout=0) == []


def test_retried_client_id_is_118_and_sent_once(env, smtp):
    kw, addr = user(env, "smr")
    put(env, kw, message(subject="Once", sender="gina@example.org", to=addr))
    ph = phone(env, kw)
    inbox, sid = inbox_item(ph, "Once")
    xml = smart_xml("SmartReply", device_mime("gina@example.org", "Re: Once", "Ok.\r\n"),
                    "same-client-id", folder=inbox, item=sid)
    sent_ok(ph.cmd("SmartReply", xml))
    r = ph.cmd("SmartReply", xml)
    assert r.text("Status") == "118"
    assert len(smtp.wait_for(1)) == 1
    # a plain reply to the one sender: LastVerbExecuted 1
    other = phone(env, kw)
    items = other.sync_all(other.folder("Inbox"))
    assert items[sid].text("ApplicationData/LastVerbExecuted") == "1"


def test_forwardees_16_added_to_to(env, smtp):
    kw, addr = user(env, "smw")
    put(env, kw, message(subject="Share", body="Look.\n", sender="hal@example.org",
                                     to=addr))
    ph = phone(env, kw, version="16.1")
    inbox, sid = inbox_item(ph, "Share")
    mime = device_mime("ivy@example.org", "Fwd: Share", "See below.\r\n")
    extra = ("<Forwardees><Forwardee><ForwardeeName>Jo, J.</ForwardeeName>"
             "<ForwardeeEmail>jo@example.org</ForwardeeEmail></Forwardee>"
             "<Forwardee><ForwardeeEmail>ivy@example.org</ForwardeeEmail></Forwardee></Forwardees>")
    sent_ok(ph.cmd("SmartForward", smart_xml("SmartForward", mime, "fwd-16", folder=inbox,
                                             item=sid, extra=extra)))
    m = smtp.wait_for(1)[0]
    assert sorted(m.rcpt) == ["ivy@example.org", "jo@example.org"]
    out = parse(m.data)
    assert [a.addr_spec for a in out["To"].addresses] == ["ivy@example.org", "jo@example.org"]
    assert out["To"].addresses[1].display_name == "Jo, J."
    assert "Look." in body_of(out, "plain")


def test_smartforward_of_a_meeting_sends_an_invitation(env, smtp):
    kw, addr = user(env, "smc")
    ph = phone(env, kw)
    cal = ph.folder("Calendar")
    ph.sync(cal)
    app = ("<calendar:StartTime>20261101T100000Z</calendar:StartTime>"
           "<calendar:EndTime>20261101T110000Z</calendar:EndTime>"
           "<calendar:Subject>Planning</calendar:Subject>")
    r = ph.sync(cal, commands=f"<Add><ClientId>ev1</ClientId><ApplicationData>{app}"
                              "</ApplicationData></Add>")
    sid = r.doc.find("Collections/Collection/Responses/Add").text("ServerId")
    mime = device_mime("kim@example.org", "Fwd: Planning", "Join us.\r\n")
    sent_ok(ph.cmd("SmartForward", smart_xml("SmartForward", mime, "fwd-cal", folder=cal,
                                             item=sid)))
    out = parse(smtp.wait_for(1)[0].data)
    assert body_of(out, "plain") == "Join us.\n"
    atts = [a for a in out.walk() if a.get_content_type() == "text/calendar"]
    assert len(atts) == 1 and atts[0].get_param("method") == "REQUEST"
    ics = atts[0].get_content()
    assert "METHOD:REQUEST" in ics and "SUMMARY:Planning" in ics
    # a contact is no Source for mail
    con = ph.folder("Contacts")
    ph.sync(con)
    r = ph.sync(con, commands="<Add><ClientId>c1</ClientId><ApplicationData>"
                              "<contacts:FileAs>Lee</contacts:FileAs></ApplicationData></Add>")
    csid = r.doc.find("Collections/Collection/Responses/Add").text("ServerId")
    r = ph.cmd("SmartForward", smart_xml("SmartForward", mime, "fwd-con", folder=con, item=csid))
    assert r.text("Status") == "150"
