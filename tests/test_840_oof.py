"""Out-of-office (Settings Oof, MS-ASCMD 2.2.1.18) end to end: settings stored and read back in
the body type asked for, and automatic replies to mail delivered by eas-deliver while OOF is on —
once per sender per period, never to lists or automatic mail (RFC 3834), internal senders get the
internal message in their own Inbox."""
import email
import email.policy
import itertools
from datetime import datetime, timedelta, timezone

from pyeas.mail import Phone, deliver, message
from test_700_pim import add_one

SETTINGS = '<?xml version="1.0" encoding="utf-8"?><Settings xmlns="Settings:">{}</Settings>'
_users = itertools.count(1)


def new_user(env):
    name = f"oof{next(_users)}"
    env.add_user(name, name + "-pw")
    ph = Phone(env, user=name, password=name + "-pw", prefix="OOF")
    return name, ph


def oof_msg(audience, text, body_type="Text", enabled=1):
    return (f"<OofMessage><AppliesTo{audience}/><Enabled>{enabled}</Enabled>"
            f"<ReplyMessage>{text}</ReplyMessage><BodyType>{body_type}</BodyType></OofMessage>")


def oof_set(ph, state, msgs="", start=None, end=None):
    times = f"<StartTime>{start}</StartTime><EndTime>{end}</EndTime>" if start else ""
    r = ph.cmd("Settings", SETTINGS.format(
        f"<Oof><Set><OofState>{state}</OofState>{times}{msgs}</Set></Oof>"))
    assert r.status == 200
    return r.text("Oof/Status")


def oof_get(ph, body_type="Text"):
    r = ph.cmd("Settings", SETTINGS.format(
        f"<Oof><Get><BodyType>{body_type}</BodyType></Get></Oof>"))
    assert r.text("Oof/Status") == "1"
    g = r.doc.find("Oof/Get")
    msgs = {}
    for m in g.findall("OofMessage"):
        aud = [c.name for c in m.children() if c.name.startswith("AppliesTo")][0]
        msgs[aud[len("AppliesTo"):]] = (m.text("Enabled"), m.text("ReplyMessage"),
                                        m.text("BodyType"))
    return g.text("OofState"), g.text("StartTime"), g.text("EndTime"), msgs


def fmt(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def send_in(env, user, sender, subject="Question", headers=b""):
    raw = message(subject=subject, sender=sender, to=f"{user}@example.test")
    deliver(env, user, headers + raw,
            extra=["--relay", env.smtp.url, "--mail-domain", env.mail_domain])


def sent(smtp):
    # eas-deliver runs the hooks before it exits: whatever was sent is at the sink already
    return smtp.wait_for(0, timeout=0)


def test_oof_settings_round_trip(env):
    user, ph = new_user(env)
    assert oof_get(ph) == ("0", None, None, {
        "Internal": ("0", None, "Text"), "ExternalKnown": ("0", None, "Text"),
        "ExternalUnknown": ("0", None, "Text")})
    msgs = (oof_msg("Internal", "Back on Monday.")
            + oof_msg("ExternalKnown", "&lt;p&gt;Away &amp;amp; offline&lt;/p&gt;", "HTML")
            + oof_msg("ExternalUnknown", "&lt;p&gt;Away &amp;amp; offline&lt;/p&gt;", "HTML"))
    assert oof_set(ph, 1, msgs) == "1"
    state, start, end, got = oof_get(ph, "Text")
    assert (state, start, end) == ("1", None, None)
    assert got["Internal"] == ("1", "Back on Monday.", "Text")
    assert got["ExternalUnknown"][0] == "1" and got["ExternalUnknown"][2] == "Text"
    assert got["ExternalUnknown"][1].strip() == "Away & offline"
    _, _, _, got = oof_get(ph, "HTML")
    assert got["ExternalKnown"] == ("1", "<p>Away &amp; offline</p>", "HTML")
    assert "Back on Monday." in got["Internal"][1] and got["Internal"][2] == "HTML"
    # a Set with only a state keeps the messages
    assert oof_set(ph, 0) == "1"
    state, _, _, got = oof_get(ph)
    assert state == "0" and got["Internal"] == ("1", "Back on Monday.", "Text")
    # malformed: bad state, two audiences in one message, end before start, bad BodyType
    assert oof_set(ph, 3) == "2"
    assert oof_set(ph, 1, "<OofMessage><AppliesToInternal/><AppliesToExternalKnown/>"
                   "<Enabled>1</Enabled></OofMessage>") == "2"
    assert oof_set(ph, 2, start="2030-01-02T00:00:00.000Z", end="2030-01-01T00:00:00.000Z") == "2"
    assert oof_set(ph, 2, start="2030-02-30T00:00:00.000Z", end="2030-03-01T00:00:00.000Z") == "2"
    assert oof_set(ph, 1, oof_msg("Internal", "x", "RTF")) == "2"
    assert oof_get(ph)[0] == "0"


def test_oof_time_based(env, smtp):
    user, ph = new_user(env)
    now = datetime.now(timezone.utc)
    msgs = oof_msg("ExternalUnknown", "I am away.")
    # a window in the future: stored, reported, but no reply now
    start, end = fmt(now + timedelta(days=10)), fmt(now + timedelta(days=20))
    assert oof_set(ph, 2, msgs, start, end) == "1"
    assert oof_get(ph)[:3] == ("2", start, end)
    send_in(env, user, "Xavier <xavier@outside.example>")
    assert sent(smtp) == []
    # a window around now: the reply goes out
    assert oof_set(ph, 2, msgs, fmt(now - timedelta(days=1)), fmt(now + timedelta(days=1))) == "1"
    send_in(env, user, "Xavier <xavier@outside.example>")
    out = smtp.wait_for(1)
    assert len(out) == 1 and out[0].rcpt == ["xavier@outside.example"]
    # times are kept only with state 2 (MS-ASCMD 2.2.3.124)
    assert oof_set(ph, 1, "", fmt(now), fmt(now + timedelta(days=3))) == "1"
    assert oof_get(ph)[:3] == ("1", None, None)


def test_oof_replies_once_per_sender(env, smtp):
    user, ph = new_user(env)
    assert oof_set(ph, 1, oof_msg("Internal", "Internal note.")
                   + oof_msg("ExternalUnknown", "&lt;p&gt;Out of office&lt;/p&gt;", "HTML")) == "1"
    send_in(env, user, "Alice Outside <alice@outside.example>", subject="Project")
    out = smtp.wait_for(1)
    assert len(out) == 1
    m = out[0]
    assert m.mail_from == ""          # null reverse path: nothing bounces back to an auto-reply
    assert m.rcpt == ["alice@outside.example"]
    msg = email.message_from_bytes(m.data, policy=email.policy.default)
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Subject"] == "Automatic reply: Project"
    assert msg["To"].addresses[0].addr_spec == "alice@outside.example"
    assert msg["From"].addresses[0].addr_spec == f"{user}@example.test"
    assert msg["In-Reply-To"] and msg["In-Reply-To"] in msg["References"]
    html = msg.get_body(("html",)).get_content()
    assert "<p>Out of office</p>" in html
    assert "Out of office" in msg.get_body(("plain",)).get_content()
    # the same sender again: no second reply in this period
    send_in(env, user, "Alice Outside <alice@outside.example>", subject="Project 2")
    assert len(sent(smtp)) == 1
    # lists, automatic mail, system senders, an empty Return-Path: never
    send_in(env, user, "List <list@lists.example>", headers=b"Precedence: list\r\n")
    send_in(env, user, "Bob <bob@news.example>", headers=b"List-Id: <news.example>\r\n")
    send_in(env, user, "Robot <robot@outside.example>", headers=b"Auto-Submitted: auto-generated\r\n")
    send_in(env, user, "MAILER-DAEMON <MAILER-DAEMON@outside.example>")
    send_in(env, user, "Carl <carl@outside.example>", headers=b"Return-Path: <>\r\n")
    send_in(env, user, f"Me <{user}@example.test>")
    assert len(sent(smtp)) == 1
    # a new Set starts a new period: Alice is answered again
    assert oof_set(ph, 1) == "1"
    send_in(env, user, "Alice Outside <alice@outside.example>", subject="Project 3")
    assert len(smtp.wait_for(2)) == 2
    # OOF off: nobody
    assert oof_set(ph, 0) == "1"
    send_in(env, user, "Dora <dora@outside.example>")
    assert len(sent(smtp)) == 2
    assert env.psql("SELECT count(*) FROM oof_replies r JOIN users u ON u.id = r.user_id "
                    f"WHERE u.name = '{user}'") == "0"


def test_oof_internal_and_known_senders(env, smtp):
    user, ph = new_user(env)
    colleague, cph = new_user(env)
    ph.foldersync()
    add_one(ph, ph.folder("Contacts"), "<contacts:FirstName>Kim</contacts:FirstName>"
            "<contacts:Email1Address>\"Kim K\" &lt;kim@partner.example&gt;</contacts:Email1Address>")
    assert oof_set(ph, 1, oof_msg("Internal", "Ask my deputy.")
                   + oof_msg("ExternalKnown", "Hello friend, I am away.")
                   + oof_msg("ExternalUnknown", "Away.", enabled=0)) == "1"
    # a local user: the internal message, delivered in-database to their Inbox
    send_in(env, user, f"Colleague <{colleague}@example.test>", subject="Lunch?")
    assert sent(smtp) == []
    row = env.psql("SELECT i.subject, i.from_addr FROM items i JOIN users u ON u.id = i.user_id "
                   f"WHERE u.name = '{colleague}' AND i.subject LIKE 'Automatic reply:%'")
    assert row.startswith("Automatic reply: Lunch?|") and user in row
    # a contact: the known-external message; a stranger: nothing (that message is disabled)
    send_in(env, user, "Kim <kim@partner.example>")
    send_in(env, user, "Stranger <stranger@partner.example>")
    out = smtp.wait_for(1)
    assert len(out) == 1 and out[0].rcpt == ["kim@partner.example"]
    assert b"Hello friend, I am away." in out[0].data


def test_oof_reply_to_sendmail_from_a_local_user(env, smtp):
    """Local delivery inside httpd (SendMail between two users) runs the hook too; the reply
    lands in the sender's Inbox, and the sender's own OOF does not answer the reply."""
    from test_800_sendmail import client_id, mime, sendmail_xml, status_of
    away, aph = new_user(env)
    writer, wph = new_user(env)
    assert oof_set(aph, 1, oof_msg("Internal", "On holiday.")) == "1"
    assert oof_set(wph, 1, oof_msg("Internal", "Writer is away too.")) == "1"
    m = mime(subject="Status?", to=f"{away}@example.test", frm=f"{writer}@example.test")
    assert status_of(wph.cmd("SendMail", sendmail_xml(client_id(), m, save=False))) == 1
    q = ("SELECT string_agg(i.subject, ',' ORDER BY i.subject) FROM items i JOIN users u "
         "ON u.id = i.user_id WHERE u.name = '{}' AND NOT i.expunged")
    assert env.psql(q.format(writer)) == "Automatic reply: Status?"
    assert env.psql(q.format(away)) == "Status?"
    assert sent(smtp) == []
