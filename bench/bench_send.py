#!/usr/bin/python3
"""bench_send — SendMail, Search and ResolveRecipients of mod_eas on a throw-away stack (the test
suite's Env, which also runs the SMTP sink and points EASSMTPRelay / EASMailDomain at it).

    make bench-send                       # the defaults below
    /usr/bin/python3 bench/bench_send.py  # the same, after `make`

Measures, one 14.1 device at a time, sequential requests over ONE keep-alive HTTP connection
(requests are WBXML-encoded before and responses decoded after the timed round trip):
  1. SendMail (ComposeMail WBXML, ClientId, SaveInSentItems) of BENCH_SEND_MESSAGES ~2 KB
     messages to an external address through the relay (the sink): messages/s and server CPU
     (httpd + PostgreSQL, from /proc) per message; the sink must have received exactly N;
  2. the same to a local user (delivered in the database): messages/s and CPU per message; the
     recipient's Inbox must hold exactly N, the sender's Sent Items 2 N, the sink still N;
  3. Mailbox Search, FreeText of one word present in 1% of the messages of a BENCH_SEARCH_MESSAGES
     mailbox (generated mbox, `easctl mail import`): median / p95 of BENCH_QUERIES searches (each
     for another such word); Total and every result must be exactly the messages holding it;
  4. GAL Search over BENCH_GAL_USERS users (SQL INSERT INTO users): median / p95 of
     BENCH_QUERIES surname-prefix searches; Total must be what the directory holds for it;
  5. ResolveRecipients with Availability over 7 days for a user with BENCH_CAL_EVENTS events
     (`easctl pim import` of a generated .ics, every 4th a weekly series): median / p95 of
     BENCH_QUERIES requests (the window moved by a day each); MergedFreeBusy must be the one
     computed here from the events, digit for digit.
Never asserts on timing; exits 1 when a result is wrong (HTTP error, a Status other than 1,
counts or contents off). Writes BENCH_JSON (default build/bench-send.json).
Environment: BENCH_SEND_MESSAGES (300), BENCH_SEARCH_MESSAGES (5000), BENCH_GAL_USERS (1000),
BENCH_CAL_EVENTS (200), BENCH_QUERIES (20), BENCH_SEED (20240601), BENCH_JSON, EAS_TEST_KEEP;
BENCH_SINK_NAGLE=1 leaves Nagle on at the SMTP sink (TCP_NODELAY by default, see main).
"""
import base64
import http.client
import json
import os
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "bench"))
from bench_sync import cpu_snapshot, mbox_escape, pct  # noqa: E402
from pyeas import wbxml  # noqa: E402
from pyeas import smtpsink  # noqa: E402
from pyeas.env import EAS_PATH, Env  # noqa: E402
from pyeas.mail import XML, Phone  # noqa: E402

N_SEND = int(os.environ.get("BENCH_SEND_MESSAGES", "300"))
N_SEARCH = int(os.environ.get("BENCH_SEARCH_MESSAGES", "5000"))
N_GAL = int(os.environ.get("BENCH_GAL_USERS", "1000"))
N_EVENTS = int(os.environ.get("BENCH_CAL_EVENTS", "200"))
QUERIES = max(1, int(os.environ.get("BENCH_QUERIES", "20")))
SEED = int(os.environ.get("BENCH_SEED", "20240601"))
JSON_OUT = os.environ.get("BENCH_JSON", os.path.join(TOP, "build", "bench-send.json"))
VERSION = "14.1"
DOMAIN = "example.test"            # Env's EASMailDomain
EXTERNAL = "ext@remote.test"
RCPT, RCPT_PW = "rcptbench", "rcpt-secret-1"
SEARCHER, SEARCHER_PW = "searchbench", "search-secret-1"
CALUSER = "calbench"
SNS = 'xmlns="Search:" xmlns:airsync="AirSync:" xmlns:airsyncbase="AirSyncBase:" ' \
      'xmlns:email="Email:"'
# no 'q' anywhere in the generated text: the search words "qv07kx" occur only where planted
WORDS = ("the report budget meeting project status update team review plan schedule office "
         "customer order invoice delivery contract draft agenda minutes travel expense numbers "
         "figures forecast release server network backup storage licence renewal training "
         "holiday workshop partner supplier product feature roadmap milestone deadline "
         "approval signature document summary analysis result proposal estimate").split()
FIRSTS = ("Anna Bernd Clara Dieter Elena Frank Greta Hannes Ines Jonas Karla Lukas Mia Niklas "
          "Olga Paul Rita Stefan Tanja Uwe Vera Walter Xenia Yannick Zoe Armin Birgit Conrad "
          "Doris Emil Fiona Gustav Helga Ingo Jutta Kurt Lena Moritz Nora Otto").split()
LASTS = ("Schmidt Mueller Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Koch "
         "Richter Klein Wolf Neumann Schwarz Zimmermann Braun Krueger Hofmann Hartmann Lange "
         "Schmitt Werner Krause Meier Lehmann Schmid Schulze Maier Koehler Herrmann Koenig "
         "Walter Mayer Huber Kaiser Fuchs Peters Lang Scholz Moeller Weiss Jung Hahn Vogel "
         "Friedrich Keller Guenther Frank").split()


def fail(msg):
    print("bench-send: FAILED:", msg)
    sys.exit(1)


# ----------------------------------------------------------------------------------------------
# the timed client
# ----------------------------------------------------------------------------------------------
class Client:
    """One keep-alive connection for one device; only request + response read are timed."""

    def __init__(self, env, ph, user, password):
        self.conn = http.client.HTTPConnection("127.0.0.1", env.stack.http_port, timeout=300)
        self.conn.connect()
        self.query = f"User={user}&DeviceId={ph.dev}&DeviceType=TestPhone"
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Content-Type": "application/vnd.ms-sync.wbxml",
                        "MS-ASProtocolVersion": VERSION, "X-MS-PolicyKey": ph.key,
                        "Authorization": f"Basic {auth}", "User-Agent": "bench-send/1"}

    def post(self, cmd, body):
        if self.conn.sock is None:          # the server closed (MaxKeepAliveRequests): reopen
            self.conn.connect()             # outside the timed region
        t0 = time.perf_counter()
        self.conn.request("POST", f"{EAS_PATH}?Cmd={cmd}&{self.query}", body, self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        dt = time.perf_counter() - t0
        if resp.status != 200:
            fail(f"{cmd}: HTTP {resp.status} {data[:300]!r}")
        return data, dt

    def fresh(self):
        """A new connection before a phase: the server drops idle ones (KeepAliveTimeout) while
        the phase's data is generated and imported."""
        self.conn.close()
        self.conn.connect()

    def close(self):
        self.conn.close()


def encode_all(xmls):
    """WBXML of every document, with our codec (one eas-wbxml process each, in parallel)."""
    with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as ex:
        return list(ex.map(wbxml.encode, xmls))


_checked = set()


def decode(kind, data):
    """The response document; the first response of each kind is also cross-checked with libwbxml
    and validated against the XSDs (as every test response is)."""
    text = wbxml.decode(data)
    if kind not in _checked:
        _checked.add(kind)
        wbxml.oracle_check(data, text)
        if os.path.exists(os.path.join(wbxml.REF, "validate-xml")):
            wbxml.validate(text)
    return wbxml.Doc(text)


def latency(dts):
    return dict(requests=len(dts), median_ms=round(1e3 * statistics.median(dts), 2),
                p95_ms=round(1e3 * pct(dts, 95), 2), max_ms=round(1e3 * max(dts), 2))


def import_file(env, kind, user, text, suffix, expect):
    mode = "wb" if isinstance(text, bytes) else "w"
    with tempfile.NamedTemporaryFile(mode, suffix=suffix, delete=False) as f:
        f.write(text)
    os.chmod(f.name, 0o644)
    t0 = time.monotonic()
    r = env.easctl(kind, "import", "--user", user, "--create-user", f.name)
    dt = time.monotonic() - t0
    os.unlink(f.name)
    if r.returncode != 0 or expect not in r.stdout:
        fail(f"easctl {kind} import: {r.stdout} {r.stderr}")
    return dt


# ----------------------------------------------------------------------------------------------
# 1, 2: SendMail
# ----------------------------------------------------------------------------------------------
def filler(rnd, n):
    words = []
    while sum(len(w) + 1 for w in words) < n:
        words.append(rnd.choice(WORDS))
    lines, line = [], []
    for w in words:
        line.append(w)
        if len(" ".join(line)) > 70:
            lines.append(" ".join(line))
            line = []
    lines.append(" ".join(line))
    return "\r\n".join(lines) + "\r\n"


def send_mime(rnd, i, to, label):
    head = (f"From: Demo Phone <demo@{DOMAIN}>\r\nTo: {to}\r\nSubject: bench {label} {i}\r\n"
            f"Message-ID: <send-{label}-{i}.{os.getpid()}@phone.test>\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n\r\n")
    return (head + filler(rnd, 2048 - len(head))).encode()


def sendmail_xml(cid, mime):
    return (f'{XML}<SendMail xmlns="ComposeMail:" xmlns:eas="urn:mod-eas:wbxml">'
            f'<ClientId>{cid}</ClientId><SaveInSentItems/>'
            f'<Mime eas:opaque="base64">{base64.b64encode(mime).decode()}</Mime></SendMail>')


def send_phase(env, client, label, to):
    rnd = random.Random(f"{SEED}-{label}")
    mimes = [send_mime(rnd, i, to, label) for i in range(N_SEND)]
    bodies = encode_all([sendmail_xml(f"bench-{label}-{os.getpid()}-{i}", m)
                         for i, m in enumerate(mimes)])
    dts = []
    client.fresh()
    cpu0 = cpu_snapshot(env.stack)
    for body in bodies:
        data, dt = client.post("SendMail", body)
        dts.append(dt)
        if data:                            # success is an empty 200; else <SendMail><Status>
            fail(f"SendMail {label}: Status {decode('SendMail', data).text('Status')}")
    cpu1 = cpu_snapshot(env.stack)
    wall = sum(dts)
    cpu = {k: cpu1[k] - cpu0[k] for k in ("httpd", "postgres")}
    return dict(messages=N_SEND, message_bytes=round(statistics.mean(len(m) for m in mimes)),
                messages_per_s=round(N_SEND / wall, 1),
                server_cpu_ms_per_message=round(1e3 * (cpu["httpd"] + cpu["postgres"]) / N_SEND, 3),
                httpd_cpu_ms_per_message=round(1e3 * cpu["httpd"] / N_SEND, 3),
                postgres_cpu_ms_per_message=round(1e3 * cpu["postgres"] / N_SEND, 3),
                rtt=latency(dts))


def folder_count(env, user, special):
    return int(env.psql("SELECT count(*) FROM items i JOIN folders f ON f.id = i.folder_id "
                        f"JOIN users u ON u.id = i.user_id WHERE u.name = '{user}' "
                        f"AND f.special = '{special}' AND NOT i.expunged"))


# ----------------------------------------------------------------------------------------------
# 3: Mailbox Search
# ----------------------------------------------------------------------------------------------
def marker(k):
    return f"qv{k:02d}kx"


def search_mbox(n):
    """n messages, oldest first; message i carries the word marker(i % 100) in its body."""
    rnd = random.Random(SEED)
    anchor = datetime(2026, 3, 1, tzinfo=timezone.utc)
    out = []
    for i in range(n):
        d = anchor - timedelta(minutes=10 * (n - i))
        body = filler(rnd, 900).split("\r\n")
        body.insert(len(body) // 2, f"see {marker(i % 100)} for details")
        raw = (f"From: {rnd.choice(FIRSTS)} <{rnd.choice(FIRSTS).lower()}@corp.example>\n"
               f"To: Search Bench <{SEARCHER}@{DOMAIN}>\nSubject: Report {i}\n"
               f"Date: {format_datetime(d)}\nMessage-ID: <search-{i}@bench.example>\n"
               "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
               + "\n".join(body)).encode()
        out.append(b"From MAILER-DAEMON " + d.strftime("%a %b %d %H:%M:%S %Y").encode() + b"\n")
        out.append(mbox_escape(raw) + b"\n\n")
    return b"".join(out)


def mailbox_search(env):
    imp = import_file(env, "mail", SEARCHER, search_mbox(N_SEARCH), ".mbox",
                      f"imported {N_SEARCH} message")
    env.add_user(SEARCHER, SEARCHER_PW)
    ph = Phone(env, VERSION, user=SEARCHER, password=SEARCHER_PW, prefix="SRCB")
    ph.foldersync()
    inbox = ph.folder("Inbox")
    client = Client(env, ph, SEARCHER, SEARCHER_PW)
    ks = [k % 100 for k in range(QUERIES)]
    bodies = encode_all([f"{XML}<Search {SNS}><Store><Name>Mailbox</Name><Query><And>"
                         f"<airsync:Class>Email</airsync:Class><airsync:CollectionId>{inbox}"
                         f"</airsync:CollectionId><FreeText>{marker(k)}</FreeText></And></Query>"
                         "<Options><Range>0-99</Range></Options></Store></Search>" for k in ks])
    dts, counts = [], []
    for k, body in zip(ks, bodies):
        data, dt = client.post("Search", body)
        dts.append(dt)
        doc = decode("Search", data)
        if doc.text("Status") != "1" or doc.text("Response/Store/Status") != "1":
            fail(f"Search {marker(k)}: {doc.xml[:500]}")
        expect = sorted((i for i in range(N_SEARCH) if i % 100 == k), reverse=True)[:100]
        got = [x.text("Properties/Subject") for x in doc.findall("Response/Store/Result")
               if x.find("Properties") is not None]
        total = int(doc.text("Response/Store/Total") or -1)
        if total != len(expect) or got != [f"Report {i}" for i in expect]:
            fail(f"Search {marker(k)}: Total {total}, {len(got)} results "
                 f"({got[:3]}...), expected {len(expect)}")
        counts.append(total)
    client.close()
    return dict(messages=N_SEARCH, import_per_s=round(N_SEARCH / imp, 1),
                results_per_query=round(statistics.mean(counts), 1), latency=latency(dts))


# ----------------------------------------------------------------------------------------------
# 4: GAL Search
# ----------------------------------------------------------------------------------------------
def sql_str(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def gal_users(env):
    rows = []
    for i in range(N_GAL):
        first, last = FIRSTS[i % len(FIRSTS)], LASTS[(7 * i + i // len(FIRSTS)) % len(LASTS)]
        name = f"{first.lower()}.{last.lower()}{i}"
        rows.append((name, f"{first} {last}", f"{name}@{DOMAIN}", first, last))
    for a in range(0, len(rows), 250):
        env.psql("INSERT INTO users (name, display_name, email, first_name, last_name) VALUES "
                 + ",".join("(" + ",".join(sql_str(v) for v in r) + ")" for r in rows[a:a + 250]))


def gal_expected(env, q):
    """What the directory holds for prefix q (every visible user, not only ours): a word start of
    the display name, or the start of first/last name, alias, address, login name."""
    q = q.lower()
    n = 0
    for line in env.psql("SELECT concat_ws(chr(9), coalesce(display_name, ''), "
                         "coalesce(first_name, ''), coalesce(last_name, ''), coalesce(alias, ''), "
                         "coalesce(email, ''), name, array_to_string(aliases, ' ')) "
                         "FROM users WHERE NOT gal_hidden").splitlines():
        dn, first, last, alias, email, name, aliases = (line.split("\t") + [""] * 7)[:7]
        dn = dn.lower()
        if (dn.startswith(q) or f" {q}" in dn or
                any(x.lower().startswith(q) for x in (first, last, alias, email, name)) or
                any(a.startswith(q) for a in aliases.split())):
            n += 1
    return n


def gal_search(env, client):
    t0 = time.monotonic()
    gal_users(env)
    ins = time.monotonic() - t0
    env.psql("ANALYZE users")
    prefixes = [LASTS[(3 * k) % len(LASTS)][:4] for k in range(QUERIES)]
    bodies = encode_all([f"{XML}<Search {SNS}><Store><Name>GAL</Name><Query>{p}</Query>"
                         "<Options><Range>0-99</Range></Options></Store></Search>"
                         for p in prefixes])
    dts, counts = [], []
    client.fresh()
    for p, body in zip(prefixes, bodies):
        data, dt = client.post("Search", body)
        dts.append(dt)
        doc = decode("GAL", data)
        if doc.text("Status") != "1" or doc.text("Response/Store/Status") != "1":
            fail(f"GAL {p}: {doc.xml[:500]}")
        expect = min(100, gal_expected(env, p))
        names = [x.text("Properties/DisplayName") for x in doc.findall("Response/Store/Result")
                 if x.find("Properties") is not None]
        total = int(doc.text("Response/Store/Total") or -1)
        if total != expect or len(names) != expect or expect == 0:
            fail(f"GAL {p}: Total {total}, {len(names)} results, expected {expect}")
        counts.append(total)
    return dict(users=N_GAL, insert_s=round(ins, 2),
                results_per_query=round(statistics.mean(counts), 1), latency=latency(dts))


# ----------------------------------------------------------------------------------------------
# 5: ResolveRecipients with Availability
# ----------------------------------------------------------------------------------------------
CAL0 = datetime(2026, 3, 2, tzinfo=timezone.utc)      # a Monday
SERIES_WEEKS = 8
SLOT = timedelta(minutes=30)


def cal_events():
    """(start, end, weekly) in UTC: every 4th a weekly series of SERIES_WEEKS, the rest single
    events over six weeks."""
    out = []
    for i in range(N_EVENTS):
        dur = timedelta(minutes=30 * (1 + i % 3))
        if i % 4 == 0:
            s = CAL0 + timedelta(days=(i // 4) % 5, hours=7 + (i // 4) % 11)
            out.append((s, s + dur, True))
        else:
            s = CAL0 + timedelta(days=(5 * i) % 42, hours=6 + i % 13, minutes=15 * (i % 2))
            out.append((s, s + dur, False))
    return out


def ics(events):
    f = "%Y%m%dT%H%M%SZ"
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    for i, (s, e, weekly) in enumerate(events):
        out.append(f"BEGIN:VEVENT\r\nUID:fb{i}@bench\r\nDTSTAMP:20260101T000000Z\r\n"
                   f"DTSTART:{s.strftime(f)}\r\nDTEND:{e.strftime(f)}\r\nSUMMARY:Busy {i}\r\n"
                   + (f"RRULE:FREQ=WEEKLY;COUNT={SERIES_WEEKS}\r\n" if weekly else "")
                   + "END:VEVENT\r\n")
    out.append("END:VCALENDAR\r\n")
    return "".join(out)


def merged(start, end, events):
    """MergedFreeBusy of [start, end): '2' (busy, the default) where any occurrence overlaps."""
    n = -(-(end - start) // SLOT)
    d = ["0"] * n
    for s, e, weekly in events:
        for w in range(SERIES_WEEKS if weekly else 1):
            a, b = s + timedelta(weeks=w), e + timedelta(weeks=w)
            if b <= start or a >= end:
                continue
            for i in range(n):
                t = start + i * SLOT
                if a < t + SLOT and b > t:
                    d[i] = "2"
    return "".join(d)


def resolve(env, client):
    events = cal_events()
    imp = import_file(env, "pim", CALUSER, ics(events), ".ics", f"{N_EVENTS} added")
    addr = f"{CALUSER}@{DOMAIN}"
    env.psql(f"UPDATE users SET display_name = 'Cal Bench', email = '{addr}' "
             f"WHERE name = '{CALUSER}'")
    iso = "%Y-%m-%dT%H:%M:%S.000Z"
    windows = [(CAL0 + timedelta(days=k % 35), CAL0 + timedelta(days=k % 35 + 7))
               for k in range(QUERIES)]
    bodies = encode_all([f'{XML}<ResolveRecipients xmlns="ResolveRecipients:"><To>{addr}</To>'
                         f"<Options><Availability><StartTime>{a.strftime(iso)}</StartTime>"
                         f"<EndTime>{b.strftime(iso)}</EndTime></Availability></Options>"
                         "</ResolveRecipients>" for a, b in windows])
    dts, busy = [], []
    client.fresh()
    for (a, b), body in zip(windows, bodies):
        data, dt = client.post("ResolveRecipients", body)
        dts.append(dt)
        doc = decode("ResolveRecipients", data)
        av = doc.find("Response/Recipient/Availability")
        if (doc.text("Status") != "1" or doc.text("Response/Status") != "1" or av is None
                or av.text("Status") != "1"):
            fail(f"ResolveRecipients {a:%F}: {doc.xml[:500]}")
        got, want = av.text("MergedFreeBusy"), merged(a, b, events)
        if got != want:
            fail(f"ResolveRecipients {a:%F}: MergedFreeBusy\n got  {got}\n want {want}")
        busy.append(got.count("2"))
    return dict(events=N_EVENTS, import_s=round(imp, 2),
                busy_slots_per_window=round(statistics.mean(busy), 1), latency=latency(dts))


# ----------------------------------------------------------------------------------------------
def main():
    # the sink answers EHLO in several small writes: with Nagle on, each SMTP conversation would
    # wait for a delayed ACK (~40 ms), the sink's cost, not the server's; BENCH_SINK_NAGLE=1 shows it
    if os.environ.get("BENCH_SINK_NAGLE", "0") == "1":
        smtpsink._Handler.disable_nagle_algorithm = False
    env = Env()
    env.start()
    res = {}
    try:
        # the sending device (Env's user demo, demo@example.test) and the local recipient
        ph = Phone(env, VERSION, prefix="SENDB")
        ph.foldersync()
        env.add_user(RCPT, RCPT_PW)
        Phone(env, VERSION, user=RCPT, password=RCPT_PW, prefix="RCPB").foldersync()
        client = Client(env, ph, env.user, env.password)

        res["sendmail_external"] = send_phase(env, client, "ext", f"External <{EXTERNAL}>")
        got = env.smtp.wait_for(N_SEND, timeout=10)
        time.sleep(0.5)                     # anything beyond N would have arrived by now
        if len(env.smtp.messages) != N_SEND or any(m.rcpt != [EXTERNAL] for m in got):
            fail(f"the sink received {len(env.smtp.messages)} messages, expected {N_SEND}")

        res["sendmail_local"] = send_phase(env, client, "local", f"Rcpt <{RCPT}@{DOMAIN}>")
        inbox = folder_count(env, RCPT, "inbox")
        sent = folder_count(env, env.user, "sent")
        if inbox != N_SEND or sent != 2 * N_SEND or len(env.smtp.messages) != N_SEND:
            fail(f"{RCPT}'s Inbox holds {inbox} (expected {N_SEND}), Sent Items {sent} "
                 f"(expected {2 * N_SEND}), the sink {len(env.smtp.messages)} (expected {N_SEND})")

        res["search_mailbox"] = mailbox_search(env)
        res["search_gal"] = gal_search(env, client)
        res["resolve_availability"] = resolve(env, client)
        client.close()
    finally:
        env.stop()

    ext, loc = res["sendmail_external"], res["sendmail_local"]
    mb, gal, rr = res["search_mailbox"], res["search_gal"], res["resolve_availability"]
    print(f"\nSendMail / Search / ResolveRecipients benchmark (one 14.1 device, sequential, one "
          f"keep-alive connection; {os.cpu_count()} CPUs)\n")
    print("| measurement | result |\n|---|---|")
    for label, r in ((f"SendMail to an external address via the relay, {N_SEND} x "
                      f"{ext['message_bytes']} B", ext),
                     (f"SendMail to a local user (in-database delivery), {N_SEND} x "
                      f"{loc['message_bytes']} B", loc)):
        print(f"| {label}: messages/s | {r['messages_per_s']} |")
        print(f"| ... server CPU per message (httpd + PostgreSQL), ms | "
              f"{r['server_cpu_ms_per_message']} ({r['httpd_cpu_ms_per_message']} + "
              f"{r['postgres_cpu_ms_per_message']}) |")
        print(f"| ... round trip median / p95, ms | {r['rtt']['median_ms']} / {r['rtt']['p95_ms']} |")
    print(f"| Mailbox Search, FreeText word in 1% of {N_SEARCH} messages "
          f"({mb['results_per_query']} hits): median / p95, ms | "
          f"{mb['latency']['median_ms']} / {mb['latency']['p95_ms']} |")
    print(f"| GAL Search, surname prefix over {N_GAL} users ({gal['results_per_query']} hits): "
          f"median / p95, ms | {gal['latency']['median_ms']} / {gal['latency']['p95_ms']} |")
    print(f"| ResolveRecipients + Availability (7 days, {N_EVENTS} events, "
          f"{rr['busy_slots_per_window']} busy slots): median / p95, ms | "
          f"{rr['latency']['median_ms']} / {rr['latency']['p95_ms']} |")
    print(f"\n({QUERIES} requests per latency; `easctl mail import` {mb['import_per_s']} msg/s)")
    os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
    with open(JSON_OUT, "w") as f:
        json.dump(res, f, indent=2)


if __name__ == "__main__":
    main()
