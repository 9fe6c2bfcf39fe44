"""ResolveRecipients (MS-ASCMD 2.2.1.15): To resolved against the server's users (GAL, Type 1) and
the requesting user's contacts (Type 2) — exact address, "Name <address>", name prefix (ambiguous:
suggestions up to MaxAmbiguousRecipients, Status 2 or 3), unknown address (Status 4), hidden
users; Availability as MergedFreeBusy from the resolved user's calendar (a single event, a
tentative one, a declined one, a Monday/Thursday Europe/Berlin series across the DST change with
an EXDATE and a moved occurrence) compared digit for digit; window limits (Status 5); Picture
within/over MaxSize and MaxPictures (14.1); CertificateRetrieval with no stored certificate.
Every request goes through pyeas.env.command (our codec, libwbxml, the response XSD)."""
import base64
import os
import subprocess
import tempfile
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from pyeas import wbxml
from pyeas.env import wait_for
from pyeas.mail import Phone

NS = '<ResolveRecipients xmlns="ResolveRecipients:">'
SLOT = timedelta(minutes=30)


def utc(s):
    return datetime.strptime(s, "%Y%m%dT%H%M%SZ").replace(tzinfo=timezone.utc)


def eas_date(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def merged(start, end, *runs):
    """The MergedFreeBusy string for [start, end) with (from, to, digit) runs marked, the higher
    digit winning per 30-minute slot."""
    n = -(-(end - start) // SLOT)
    d = ["0"] * n
    for a, b, digit in runs:
        for i in range(n):
            s = start + i * SLOT
            if a < s + SLOT and b > s and d[i] < digit:
                d[i] = digit
    return "".join(d)


def request(*tos, options=""):
    body = "".join(f"<To>{t}</To>" for t in tos)
    if options:
        body += f"<Options>{options}</Options>"
    return f'<?xml version="1.0" encoding="utf-8"?>{NS}{body}</ResolveRecipients>'


def sql_str(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


class Dir:
    """This module's directory: users and contacts under a surname no other test uses."""

    def __init__(self, env):
        self.env = env
        self.tag = "Qz" + "".join(chr(ord("a") + int(c, 16) % 26) for c in uuid.uuid4().hex[:8])
        t = self.tag.lower()
        self.small_pic = b"\xff\xd8\xff\xe0" + os.urandom(92) + b"\xff\xd9"
        self.big_pic = b"\xff\xd8\xff\xe0" + os.urandom(4992) + b"\xff\xd9"
        self.anna = f"anna.{t}@example.test"
        self.anton = f"anton.{t}@example.test"
        self.berta = f"berta.{t}@example.test"
        self.hidden = f"hidden.{t}@example.test"
        self.carl = f"carl.{t}@outside.example"
        self.anna_user = f"anna.{t}"
        self.user("anna." + t, "Anna", self.anna, self.small_pic)
        self.user("anton." + t, "Anton", self.anton, None)
        self.user("berta." + t, "Berta", self.berta, self.big_pic)
        self.user("hidden." + t, "Hilde", self.hidden, None, hidden=True)
        # the requesting user's contacts: one only there, one with a GAL user's address
        carl_photo = base64.b64encode(self.small_pic).decode()
        vcf = (f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:carl-{t}\r\nFN:Carl {self.tag}\r\n"
               f"N:{self.tag};Carl;;;\r\nEMAIL;TYPE=work:{self.carl}\r\n"
               f"PHOTO:data:image/jpeg;base64,{carl_photo}\r\nEND:VCARD\r\n"
               f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:anna-{t}\r\nFN:Annie {self.tag}\r\n"
               f"EMAIL:{self.anna.upper()}\r\nEND:VCARD\r\n"
               # LIKE metacharacters in a card must not make it match everything
               f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:pct-{t}\r\nFN:100% {self.tag}_x\r\n"
               f"EMAIL:pct.{t}@outside.example\r\nEND:VCARD\r\n")
        self.pim_import("demo", vcf, ".vcf")

    def user(self, name, first, email, picture, hidden=False):
        pic = f"decode('{picture.hex()}', 'hex')" if picture else "NULL"
        self.env.psql(
            "INSERT INTO users (name, display_name, email, first_name, last_name, picture, "
            f"gal_hidden) VALUES ({sql_str(name)}, {sql_str(first + ' ' + self.tag)}, "
            f"{sql_str(email)}, {sql_str(first)}, {sql_str(self.tag)}, {pic}, "
            f"{'true' if hidden else 'false'})")

    def pim_import(self, user, text, suffix):
        with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
            f.write(text)
        try:
            r = self.env.easctl("pim", "import", "--user", user, "--create-user",
                                f.name)
        finally:
            os.unlink(f.name)
        assert r.returncode == 0, r.stdout + r.stderr


@pytest.fixture(scope="module")
def d(env):
    return Dir(env)


@pytest.fixture(scope="module")
def phone(env):
    return Phone(env, "14.1", prefix="RR")


@pytest.fixture(scope="module")
def phone140(env):
    return Phone(env, "14.0", prefix="RR")


def resolve(phone, *tos, options=""):
    r = phone.cmd("ResolveRecipients", request(*tos, options=options))
    assert r.status == 200, r.resp.body
    return r


def responses(r):
    assert r.text("Status") == "1", r.doc.xml
    return r.doc.findall("Response")


def recipients(resp):
    return [(x.text("Type"), x.text("DisplayName"), x.text("EmailAddress"))
            for x in resp.findall("Recipient")]


# --- resolving ------------------------------------------------------------------------------

def test_exact_address_and_name_with_address_resolve_the_gal_user(d, phone):
    r = resolve(phone, d.anna.upper(), f'"Anna {d.tag}" &lt;{d.anna}&gt;')
    a, b = responses(r)
    assert a.text("To") == d.anna.upper()
    assert b.text("To") == f'"Anna {d.tag}" <{d.anna}>'
    for resp in (a, b):
        assert resp.text("Status") == "1"
        assert resp.text("RecipientCount") == "1"
        # the contact with the same address is the same recipient: the GAL entry wins
        assert recipients(resp) == [("1", f"Anna {d.tag}", d.anna)]
        assert resp.find("Recipient/Availability") is None
        assert resp.find("Recipient/Certificates") is None
        assert resp.find("Recipient/Picture") is None


def test_name_prefix_is_ambiguous_up_to_max_ambiguous_recipients(d, phone):
    everyone = [("1", f"Anna {d.tag}", d.anna), ("1", f"Anton {d.tag}", d.anton),
                ("1", f"Berta {d.tag}", d.berta), ("2", f"Carl {d.tag}", d.carl)]
    (resp,) = responses(resolve(phone, d.tag))
    assert resp.text("Status") == "2"                      # every suggestion is here
    assert resp.text("RecipientCount") == "4"
    assert recipients(resp) == everyone                     # GAL first, hidden user left out

    (resp,) = responses(resolve(phone, d.tag, options="<MaxAmbiguousRecipients>2</MaxAmbiguousRecipients>"))
    assert resp.text("Status") == "3"                      # a partial list
    assert resp.text("RecipientCount") == "2"
    assert recipients(resp) == everyone[:2]

    (resp,) = responses(resolve(phone, f"An {d.tag}"))      # neither a name start nor an address
    assert resp.text("Status") == "4"

    (resp,) = responses(resolve(phone, f"Anton {d.tag}"))
    assert resp.text("Status") == "1"
    assert recipients(resp) == [("1", f"Anton {d.tag}", d.anton)]


def test_contact_only_address_is_type_2_and_unknown_ones_are_not_resolved(d, phone):
    r = resolve(phone, d.carl, f"Carl {d.tag}", "nobody@nowhere.example", d.hidden, "%", "_",
                f"100% {d.tag}")
    carl, carl_name, unknown, hidden, pct, underscore, literal = responses(r)
    assert recipients(carl) == [("2", f"Carl {d.tag}", d.carl)] and carl.text("Status") == "1"
    assert recipients(carl_name) == [("2", f"Carl {d.tag}", d.carl)]
    for resp in (unknown, hidden, pct, underscore):
        assert resp.text("Status") == "4", resp.text("To")
        assert resp.find("Recipient") is None and resp.find("RecipientCount") is None
    assert literal.text("Status") == "1"
    assert recipients(literal)[0][1] == f"100% {d.tag}_x"


def test_certificates_asked_but_none_stored(d, phone):
    (resp,) = responses(resolve(phone, d.anna, options="<CertificateRetrieval>2</CertificateRetrieval>"
                                "<MaxCertificates>10</MaxCertificates>"))
    certs = resp.find("Recipient/Certificates")
    assert certs.text("Status") == "7"
    assert certs.text("CertificateCount") == "0"
    assert certs.find("Certificate") is None and certs.find("MiniCertificate") is None


def test_invalid_requests_are_status_5(d, phone):
    for body in (f"{NS}<Options><CertificateRetrieval>1</CertificateRetrieval></Options>"
                 "</ResolveRecipients>",
                 f"{NS}<To>{d.anna}</To><Options><CertificateRetrieval>4</CertificateRetrieval>"
                 "</Options></ResolveRecipients>"):
        r = phone.cmd("ResolveRecipients", '<?xml version="1.0" encoding="utf-8"?>' + body)
        assert r.status == 200 and r.text("Status") == "5", r.doc.xml
        assert r.doc.find("Response") is None


# --- availability ---------------------------------------------------------------------------

CALENDAR = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:single-{t}\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260324T130000Z\r
DTEND:20260324T143000Z\r
SUMMARY:Single\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:tentative-{t}\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Berlin:20260325T100000\r
DTEND;TZID=Europe/Berlin:20260325T103000\r
SUMMARY:Maybe\r
X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:declined-{t}\r
DTSTAMP:20260101T000000Z\r
DTSTART:20260327T100000Z\r
DTEND:20260327T110000Z\r
SUMMARY:Declined\r
X-EAS-RESPONSETYPE:4\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:series-{t}\r
DTSTAMP:20260101T000000Z\r
DTSTART;TZID=Europe/Berlin:20260302T100000\r
DTEND;TZID=Europe/Berlin:20260302T110000\r
RRULE:FREQ=WEEKLY;COUNT=20;BYDAY=MO,TH\r
EXDATE;TZID=Europe/Berlin:20260326T100000\r
SUMMARY:Series\r
X-MICROSOFT-CDO-BUSYSTATUS:BUSY\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:series-{t}\r
DTSTAMP:20260101T000000Z\r
RECURRENCE-ID;TZID=Europe/Berlin:20260402T100000\r
DTSTART;TZID=Europe/Berlin:20260402T140000\r
DTEND;TZID=Europe/Berlin:20260402T150000\r
SUMMARY:Series (moved)\r
X-MICROSOFT-CDO-BUSYSTATUS:OOF\r
END:VEVENT\r
END:VCALENDAR\r
"""

START, END = utc("20260323T000000Z"), utc("20260406T000000Z")
# Berlin changes to summer time on 2026-03-29: 10:00 is 09:00Z before and 08:00Z after
EXPECTED = merged(START, END,
                  (utc("20260323T090000Z"), utc("20260323T100000Z"), "2"),   # Mon, CET
                  (utc("20260324T130000Z"), utc("20260324T143000Z"), "2"),   # single
                  (utc("20260325T090000Z"), utc("20260325T093000Z"), "1"),   # tentative
                  # Thu 03-26 deleted (EXDATE); Fri 03-27 declined
                  (utc("20260330T080000Z"), utc("20260330T090000Z"), "2"),   # Mon, CEST
                  (utc("20260402T120000Z"), utc("20260402T130000Z"), "3"))   # Thu, moved, OOF


@pytest.fixture(scope="module")
def calendar(env, d):
    d.pim_import(d.anna_user, CALENDAR.format(t=d.tag), ".ics")
    return d


def availability(start, end=None):
    av = f"<StartTime>{eas_date(start)}</StartTime>"
    if end is not None:
        av += f"<EndTime>{eas_date(end)}</EndTime>"
    return f"<Availability>{av}</Availability>"


def test_merged_free_busy_of_a_user_with_series_exdate_override_and_dst(calendar, phone):
    d = calendar
    r = resolve(phone, d.anna, options=availability(START, END))
    (resp,) = responses(r)
    assert resp.text("Status") == "1"
    av = resp.find("Recipient/Availability")
    assert av.text("Status") == "1"
    assert len(EXPECTED) == 14 * 48
    assert av.text("MergedFreeBusy") == EXPECTED


def test_free_busy_window_default_and_limits(calendar, phone):
    d = calendar
    # no EndTime: seven days
    (resp,) = responses(resolve(phone, d.anna, options=availability(START)))
    assert resp.find("Recipient/Availability").text("MergedFreeBusy") == EXPECTED[:7 * 48]
    # a window not on a slot boundary still starts at StartTime
    s = START + timedelta(minutes=15)
    (resp,) = responses(resolve(phone, d.anna, options=availability(s, s + timedelta(hours=12))))
    assert resp.find("Recipient/Availability").text("MergedFreeBusy") == merged(
        s, s + timedelta(hours=12), (utc("20260323T090000Z"), utc("20260323T100000Z"), "2"))
    # shorter than 30 minutes, longer than 42 days, or a bad date: Status 5
    for opt in (availability(START, START + timedelta(minutes=29)),
                availability(START, START + timedelta(days=42, minutes=30)),
                "<Availability><StartTime>yesterday</StartTime></Availability>"):
        r = resolve(phone, d.anna, options=opt)
        assert r.text("Status") == "5", opt
        assert r.doc.find("Response") is None
    # exactly 42 days is fine
    (resp,) = responses(resolve(phone, d.anna, options=availability(START, START + timedelta(days=42))))
    assert len(resp.find("Recipient/Availability").text("MergedFreeBusy")) == 42 * 48


def test_availability_only_for_a_unique_local_recipient(calendar, phone):
    d = calendar
    r = resolve(phone, d.anton, d.carl, d.tag, "nobody@nowhere.example",
                options=availability(START, END))
    anton, carl, ambiguous, unknown = responses(r)
    assert anton.find("Recipient/Availability").text("Status") == "1"
    assert anton.find("Recipient/Availability").text("MergedFreeBusy") == "0" * (14 * 48)
    # a contact has no calendar here: no data
    assert carl.find("Recipient/Availability").text("Status") == "163"
    assert carl.find("Recipient/Availability/MergedFreeBusy") is None
    # suggestions carry no free/busy
    assert ambiguous.text("Status") == "2"
    assert all(x.find("Availability") is None for x in ambiguous.findall("Recipient"))
    assert unknown.text("Status") == "4"


def test_more_than_100_to_with_availability_is_status_160(calendar, phone):
    d = calendar
    r = resolve(phone, *([d.anna] * 101), options=availability(START, END))
    resps = responses(r)
    assert len(resps) == 101
    assert {x.find("Recipient/Availability").text("Status") for x in resps} == {"160"}
    assert all(x.find("Recipient/Availability/MergedFreeBusy") is None for x in resps)


def test_availability_ignored_before_14_0(calendar, env):
    ph = Phone(env, "12.1", prefix="RR")
    (resp,) = responses(resolve(ph, calendar.anna, options=availability(START, END)))
    assert resp.text("Status") == "1"
    assert resp.find("Recipient/Availability") is None


# --- pictures -------------------------------------------------------------------------------

def pic(*, size=None, count=None):
    inner = ""
    if size is not None:
        inner += f"<MaxSize>{size}</MaxSize>"
    if count is not None:
        inner += f"<MaxPictures>{count}</MaxPictures>"
    return f"<Picture>{inner}</Picture>" if inner else "<Picture/>"


def test_pictures_within_and_over_max_size(d, phone):
    r = resolve(phone, d.anna, d.berta, d.anton, d.carl, options=pic(size=1000))
    anna, berta, anton, carl = (x.find("Recipient/Picture") for x in responses(r))
    assert anna.text("Status") == "1"
    assert base64.b64decode(anna.text("Data")) == d.small_pic
    assert berta.text("Status") == "174" and berta.find("Data") is None
    assert anton.text("Status") == "173" and anton.find("Data") is None
    assert carl.text("Status") == "1"                       # the contact's PHOTO
    assert base64.b64decode(carl.text("Data")) == d.small_pic
    # without MaxSize the large one is sent too
    (resp,) = responses(resolve(phone, d.berta, options=pic()))
    assert base64.b64decode(resp.find("Recipient/Picture").text("Data")) == d.big_pic


def test_max_pictures_counts_per_to(d, phone):
    r = resolve(phone, d.tag, d.anna, options=pic(count=1))
    ambiguous, anna = responses(r)
    got = [(x.text("DisplayName"), x.find("Picture").text("Status"))
           for x in ambiguous.findall("Recipient")]
    assert got == [(f"Anna {d.tag}", "1"), (f"Anton {d.tag}", "173"), (f"Berta {d.tag}", "175"),
                   (f"Carl {d.tag}", "175")]
    assert anna.find("Recipient/Picture").text("Status") == "1"   # a new To, a new count


def test_pictures_are_14_1_only(d, phone140):
    (resp,) = responses(resolve(phone140, d.anna, options=pic(size=1000)))
    assert resp.text("Status") == "1"
    assert resp.find("Recipient/Picture") is None


# --- bounds ---------------------------------------------------------------------------------

def test_a_lookup_past_the_search_timeout_is_status_6(env, env_log, d, phone):
    """EASSearchTimeout is the statement_timeout of the look-ups: with the items table locked by
    another session the contact look-up is cancelled and the device is told to retry."""
    st = env.stack
    env.set_conf("EASSearchTimeout 1")
    holder = subprocess.Popen(
        ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(st.pg_port), "-U", st.db_user,
         "-d", st.db_name, "-c",
         "BEGIN; LOCK TABLE items IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: env.psql(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'items' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1")
        env_log.allow(r"statement timeout")
        r = resolve(phone, d.anna)
        assert r.text("Status") == "6", r.doc.xml
        assert r.doc.find("Response") is None
    finally:
        holder.wait()
        env.set_conf("")
    # and the connection is usable again
    (resp,) = responses(resolve(phone, d.anna))
    assert resp.text("Status") == "1"
