#!/usr/bin/python3
"""bench_sync — initial and incremental email Sync throughput of mod_eas on a throw-away stack.

    make bench-sync                      # 10,000 messages (BENCH_MESSAGES=1000 for a smoke run)
    /usr/bin/python3 bench/bench_sync.py # the same, after `make`

What it does, in order:
  1. starts PostgreSQL + httpd under /tmp exactly as the test suite does (pyeas.env.Env);
  2. generates a deterministic (seeded) mailbox of BENCH_MESSAGES realistic messages as one mbox and
     imports it with `easctl mail import` (import rate reported);
  3. provisions a 14.1 device and runs FolderSync with the test helpers (pyeas.mail.Phone), then
     over ONE keep-alive HTTP connection: Sync key 0, then Sync rounds (WindowSize 100, plain text
     bodies truncated at 5120) until no MoreAvailable; every ServerId must arrive exactly once;
  4. measures the round trips (requests are WBXML-encoded before and decoded after each timed
     request), and the CPU time of every httpd and PostgreSQL process of the stack (/proc);
  5. delivers BENCH_NEW more messages with eas-deliver and times the incremental Sync (BENCH_REPEAT
     times; the table shows the repetition with the median time), then a few no-change Syncs and
     BENCH_REPEAT single new messages (the Sync carrying it and the one after);
  6. prints a table and writes JSON (BENCH_JSON, default build/bench-sync.json).

It never asserts on timing. It exits 1 when the sync itself is wrong (HTTP error, Status other than
1, duplicate or missing items), after printing the request, the response and the error log lines.

Environment: BENCH_MESSAGES (10000), BENCH_NEW (100), BENCH_REPEAT (3), BENCH_SEED (20240601),
BENCH_WINDOW (100), BENCH_JSON, BENCH_ANALYZE (1: VACUUM ANALYZE right after the import;
default 0: autovacuum only, as on a server), EAS_TEST_KEEP=1 keeps the stack directory (and the mbox) for inspection.
"""
import base64
import collections
import email.utils
import http.client
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
from pyeas import wbxml  # noqa: E402
from pyeas.env import EAS_PATH, Env, LogWatch  # noqa: E402
from pyeas.mail import Phone  # noqa: E402

N_MESSAGES = int(os.environ.get("BENCH_MESSAGES", "10000"))
N_NEW = int(os.environ.get("BENCH_NEW", "100"))
REPEAT = max(1, int(os.environ.get("BENCH_REPEAT", "3")))
SEED = int(os.environ.get("BENCH_SEED", "20240601"))
WINDOW = int(os.environ.get("BENCH_WINDOW", "100"))
ANALYZE = os.environ.get("BENCH_ANALYZE", "0") == "1"
JSON_OUT = os.environ.get("BENCH_JSON", os.path.join(TOP, "build", "bench-sync.json"))
USER = "bench@example.org"
PASSWORD = "bench-secret-1"
VERSION = "14.1"
DEVICE_TYPE = "TestPhone"          # what pyeas.env.Env.eas (and so Phone) registers the device as
OPTIONS = ("<airsyncbase:BodyPreference><airsyncbase:Type>1</airsyncbase:Type>"
           "<airsyncbase:TruncationSize>5120</airsyncbase:TruncationSize>"
           "</airsyncbase:BodyPreference>")
CLK_TCK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


# ----------------------------------------------------------------------------------------------
# the mailbox
# ----------------------------------------------------------------------------------------------
WORDS = """the of and to in a is that for it as was with be by on not this are or from at which but
have an they you were there been one all we their has would when if so no will more can who them
about into than some out only other time new could these two may first then do any like now over
such our even most made after also did many before must through back years where much your way
well down should because each just those people how too little good very make still own see work
long get here between both being under never day same another know while last might great old year
off come since against go came right used take three project meeting report budget quarter review
team customer release schedule please attached thanks regards update draft proposal contract
invoice deadline agenda notes call tomorrow today week next monday friday office question issue
change plan numbers sales forecast server deploy test results figures slides feedback approval
client order shipment delivery account support ticket priority status summary follow action items
""".split()
WORDS_DE = ("für über schön Grüße Größe Änderung Prüfung Bestätigung Übersicht Straße Müller "
            "Köln München Zürich gemäß Vertragsverlängerung Rückmeldung Besprechung").split()
WORDS_FR = ("réunion été déjà très élève café où çà garçon privilège Noël façade "
            "problème réponse complète").split()
WORDS_MISC = ("naïve résumé coöperate jalapeño São Paulo Łódź Ærø Smørrebrød "
              "東京 会議 資料 确认 报告 Привет отчёт встреча 😀 ✓ →").split()
FIRST = ("Anna Ben Carla David Eva Frank Grace Henry Ines Jonas Kim Lars Maria Nils Olga Paul "
         "Quinn Rosa Sam Tina Uwe Vera Will Yara Zoe").split()
LAST = ("Smith Jones Brown Taylor Wilson Clark Lewis Walker Hall Young King Wright Scott Green "
        "Baker Adams Nelson Hill Campbell Mitchell").split()
FIRST_INTL = ("Jörg Anaïs Ætla Søren Zoë Björn José Renée Łukasz Dvořák Ngọc 太郎 Алексей "
              "François Müge").split()
LAST_INTL = ("Müller Schäfer Lévêque Østergaard Nuñez Gonçalves Wójcik Dvořáková Nguyễn 山田 "
             "Иванов Öztürk").split()
DOMAINS = "example.org example.com example.net mail.example.de corp.example.fr".split()
SUBJ_INTL = ["Grüße aus Köln", "Réunion de l'équipe – ordre du jour", "Änderung der Übersicht",
             "Bestätigung Ihrer Bestellung Nr.", "会議の資料について", "Отчёт за квартал",
             "Café-Treffen nächste Woche ☕", "¿Reunión mañana?", "Zürich → München Reiseplan",
             "Résumé du projet ✓", "😀 Team lunch Friday", "Smørrebrød at Ærø"]
ATTACH = [("Report Q{q} {y}.pdf", "application/pdf"), ("IMG_{n}.jpg", "image/jpeg"),
          ("Angebot_Müller_{n}.pdf", "application/pdf"), ("scan-{n}.png", "image/png"),
          ("Vertrag {n}.docx",
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
          ("slides-{n}.pptx",
           "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
          ("data-{n}.zip", "application/zip"), ("présentation-{n}.pdf", "application/pdf")]


class MailGen:
    """Deterministic, realistic-looking mail: everything comes from one seeded Random."""

    def __init__(self, seed, anchor):
        self.rng = random.Random(seed)
        self.anchor = anchor            # "now" for the dates (midnight UTC of the run's day)
        self.sent = []                  # (msgid, subject) of earlier messages, for replies
        self.serial = 0

    def person(self):
        r = self.rng
        if r.random() < 0.15:
            first, last = r.choice(FIRST_INTL), r.choice(LAST_INTL)
        else:
            first, last = r.choice(FIRST), r.choice(LAST)
        local = re.sub(r"[^a-z]", "", (first + "." + last).lower()) or "user"
        return email.utils.formataddr((f"{first} {last}", f"{local}@{r.choice(DOMAINS)}"))

    def sentence(self, intl):
        r = self.rng
        n = r.randint(5, 18)
        words = [r.choice(intl) if intl and r.random() < 0.12 else r.choice(WORDS)
                 for _ in range(n)]
        return " ".join(words).capitalize() + r.choice(".....?!")

    def text(self, target, intl):
        """Paragraphs wrapped at 72 columns, about target characters."""
        r = self.rng
        paras, size = [], 0
        while size < target:
            sents = [self.sentence(intl) for _ in range(r.randint(2, 7))]
            lines, cur = [], ""
            for w in " ".join(sents).split(" "):
                if cur and len(cur) + 1 + len(w) > 72:
                    lines.append(cur)
                    cur = w
                else:
                    cur = f"{cur} {w}" if cur else w
            lines.append(cur)
            p = "\n".join(lines)
            paras.append(p)
            size += len(p) + 2
        return paras

    def subject(self):
        r = self.rng
        x = r.random()
        if x < 0.12:
            return r.choice(SUBJ_INTL) + (f" {r.randint(1, 9999)}" if r.random() < 0.5 else "")
        words = [r.choice(WORDS) for _ in range(r.randint(2, 8))]
        return " ".join(words).capitalize()

    def message(self, date, to_addr):
        r = self.rng
        self.serial += 1
        m = EmailMessage()
        host = r.choice(DOMAINS)
        # 2-4 Received lines and sometimes a DKIM signature: real headers are 1-3 KB
        hop_t = date
        for hop in range(r.randint(2, 4)):
            hop_t = hop_t + timedelta(seconds=r.randint(0, 5))
            m["Received"] = (f"from mx{hop}.{host} (mx{hop}.{host} [192.0.2.{r.randint(1, 254)}]) "
                             f"by mail.example.org (Postfix) with ESMTPS id "
                             f"{r.getrandbits(40):010X}; {email.utils.format_datetime(hop_t)}")
        if r.random() < 0.4:
            m["DKIM-Signature"] = (f"v=1; a=rsa-sha256; c=relaxed/relaxed; d={host}; s=sel1; "
                                   f"h=from:to:subject:date:message-id; bh="
                                   f"{base64.b64encode(r.randbytes(32)).decode()}; b="
                                   f"{base64.b64encode(r.randbytes(256)).decode()}")
        m["From"] = self.person()
        m["To"] = to_addr
        if r.random() < 0.3:
            m["Cc"] = ", ".join(self.person() for _ in range(r.randint(1, 5)))
        subject = self.subject()
        if self.sent and r.random() < 0.25:
            ref_id, ref_subj = r.choice(self.sent[-300:])
            subject = ref_subj if ref_subj.startswith("Re: ") else "Re: " + ref_subj
            m["In-Reply-To"] = ref_id
            m["References"] = ref_id
        m["Subject"] = subject
        m["Date"] = email.utils.format_datetime(date)
        msgid = f"<{self.serial}.{r.getrandbits(48):012x}@{host}>"
        m["Message-ID"] = msgid
        m["MIME-Version"] = "1.0"
        if r.random() < 0.5:
            m["X-Mailer"] = r.choice(["Microsoft Outlook 16.0", "Apple Mail (2.3731)",
                                      "Thunderbird 115.6.0", "Roundcube Webmail/1.6.5"])
        self.sent.append((msgid, subject))

        # total size mostly 2-20 KB (log-uniform), a few tiny ones and a few long newsletters
        x = r.random()
        if x < 0.07:
            total = r.uniform(800, 2000)
        elif x < 0.97:
            total = 2000 * (10 ** r.random())
        else:
            total = r.uniform(20000, 80000)
        hdr = 1500
        intl = None
        y = r.random()
        if y < 0.08:
            intl = WORDS_DE
        elif y < 0.12:
            intl = WORDS_FR
        elif y < 0.15:
            intl = WORDS_MISC
        html = r.random() < 0.55
        tlen = max(150, (total - hdr - (1200 if html else 0)) / (2.4 if html else 1.0))
        paras = self.text(tlen, intl)
        sig = f"\n\n-- \n{m['From'].split('<')[0].strip()}\n"
        plain = "\n\n".join(paras) + sig
        m.set_content(plain, cte="quoted-printable" if r.random() < 0.3 else None)
        if html:
            body = "".join(f'<p class="MsoNormal" style="margin:0 0 8pt 0">{p}</p>\n'
                           for p in paras)
            page = ('<html><head><meta http-equiv="Content-Type" content="text/html; '
                    'charset=utf-8"><style>p.MsoNormal{margin:0;font-size:11pt;'
                    'font-family:"Calibri",sans-serif} a:link{color:#0563C1;'
                    'text-decoration:underline} .sig{color:#888;font-size:9pt}</style></head>'
                    '<body lang="EN-US" link="#0563C1" vlink="#954F72">'
                    f'<div class="WordSection1">\n{body}<p class="sig">--<br>'
                    f'{m["From"].split("<")[0].strip()}</p></div></body></html>\n')
            m.add_alternative(page, subtype="html", cte="quoted-printable")
        if r.random() < 0.10:
            name, ctype = r.choice(ATTACH)
            name = name.format(q=r.randint(1, 4), y=r.randint(2021, 2025), n=r.randint(1000, 9999))
            size = r.randint(20_000, 300_000)
            maintype, subtype = ctype.split("/")
            m.add_attachment(r.randbytes(size), maintype=maintype, subtype=subtype, filename=name)
        return m, subject


def mbox_escape(raw):
    """mboxrd: any line that is '>'* + 'From ' gets one more '>'."""
    return re.sub(rb"(?m)^(>*From )", rb">\1", raw)


def generate(path, n, anchor, seed):
    gen = MailGen(seed, anchor)
    r = random.Random(seed ^ 0x5EED)
    # dates over the last two years, oldest first (an archive's order)
    dates = sorted(anchor - timedelta(seconds=r.randint(0, 730 * 86400)) for _ in range(n))
    sizes, subjects, kinds = [], [], collections.Counter()
    with open(path, "wb") as f:
        for d in dates:
            m, subj = gen.message(d, "Bench User <bench@example.org>")
            raw = m.as_bytes()
            sizes.append(len(raw))
            subjects.append(subj)
            kinds[m.get_content_type()] += 1
            f.write(b"From MAILER-DAEMON " + d.strftime("%a %b %d %H:%M:%S %Y").encode() + b"\n")
            f.write(mbox_escape(raw))
            if not raw.endswith(b"\n"):
                f.write(b"\n")
            f.write(b"\n")
    return gen, sizes, subjects, kinds


# ----------------------------------------------------------------------------------------------
# CPU of the stack's processes
# ----------------------------------------------------------------------------------------------
def _stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, or None when the process is gone. The
    kernel keeps these exact but prints them in clock ticks (1/CLK_TCK s)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
    except OSError:
        return None
    rest = s[s.rindex(")") + 2:].split()     # rest[0] is field 3 (state)
    return (int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK,
            (int(rest[13]) + int(rest[14])) / CLK_TCK)


def _runtime(pid):
    """CPU time of all live threads of pid in seconds with ns resolution (schedstat's
    sum_exec_runtime), or None when unavailable."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                total += int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return total / 1e9


def _cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode("utf-8", "replace")
    except OSError:
        return ""


def postmaster_pid(stack):
    with open(os.path.join(stack.pg_data, "postmaster.pid")) as f:
        return int(f.readline().strip())


def cpu_snapshot(stack):
    """CPU seconds of the httpd tree (parent from its pid file) and of the PostgreSQL tree (the
    postmaster from postmaster.pid): parent + live children (schedstat, ns resolution; /proc stat
    in clock ticks as a fallback) + the children the parent already reaped (cutime+cstime).
    PostgreSQL is split into client backends and everything else (checkpointer, autovacuum, ...)."""
    roots = {"httpd": stack.httpd_pid(), "postgres": postmaster_pid(stack)}
    out = {"httpd": 0.0, "postgres": 0.0, "pg_backends": 0.0, "pg_other": 0.0,
           "httpd_procs": 0, "pg_procs": 0}
    stats = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = _stat(int(d))
            if st:
                stats[int(d)] = st
    for name, root in roots.items():
        if root not in stats:
            continue

        def cpu(pid):
            rt = _runtime(pid)
            return stats[pid][1] if rt is None else rt
        reaped = stats[root][2]
        total = cpu(root) + reaped
        if name == "postgres":
            out["pg_other"] += total
        for pid, (ppid, _, _) in stats.items():
            if ppid != root:
                continue
            t = cpu(pid)
            total += t
            if name == "postgres":
                # backends: "postgres: eas eas 127.0.0.1(port) idle"
                if re.match(r"postgres: \S+ \S+ (127\.0\.0\.1|\[local\])", _cmdline(pid)):
                    out["pg_backends"] += t
                else:
                    out["pg_other"] += t
                out["pg_procs"] += 1
            else:
                out["httpd_procs"] += 1
        out[name] = total
    out["t"] = time.perf_counter()
    return out


def cpu_delta(a, b):
    d = {k: b[k] - a[k] for k in ("httpd", "postgres", "pg_backends", "pg_other")}
    d["wall"] = b["t"] - a["t"]
    d["httpd_procs"], d["pg_procs"] = b["httpd_procs"], b["pg_procs"]
    return d


# ----------------------------------------------------------------------------------------------
# the timed client
# ----------------------------------------------------------------------------------------------
class SyncError(Exception):
    pass


class Client:
    """One keep-alive connection; only request + response read are timed."""

    def __init__(self, env, ph, user, password):
        self.port = env.stack.http_port
        self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        self.conn.connect()
        self.path = (f"{EAS_PATH}?Cmd=Sync&User={user}&DeviceId={ph.dev}"
                     f"&DeviceType={DEVICE_TYPE}")
        auth = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.headers = {"Content-Type": "application/vnd.ms-sync.wbxml",
                        "MS-ASProtocolVersion": VERSION, "X-MS-PolicyKey": ph.key,
                        "Authorization": f"Basic {auth}", "User-Agent": "bench-sync/1"}
        self.connects = 1
        self.server_closes = 0

    def reconnect(self):
        self.conn.close()
        self.conn.connect()
        self.connects += 1

    def post(self, body):
        if self.conn.sock is None:          # the server closed (MaxKeepAliveRequests): reopen
            self.conn.connect()             # outside the timed region
            self.connects += 1
        t0 = time.perf_counter()
        self.conn.request("POST", self.path, body, self.headers)
        resp = self.conn.getresponse()
        data = resp.read()
        dt = time.perf_counter() - t0
        if self.conn.sock is None:
            self.server_closes += 1
        return resp.status, dict(resp.getheaders()), data, dt


def sync_xml(fid, key, window=None, options=""):
    parts = [f"<SyncKey>{key}</SyncKey><CollectionId>{fid}</CollectionId>"]
    if key != "0":
        parts.append("<GetChanges>1</GetChanges>")
    if window:
        parts.append(f"<WindowSize>{window}</WindowSize>")
    if options:
        parts.append(f"<Options>{options}</Options>")
    return ('<?xml version="1.0" encoding="utf-8"?><Sync xmlns="AirSync:" '
            'xmlns:airsyncbase="AirSyncBase:" xmlns:email="Email:"><Collections><Collection>'
            f'{"".join(parts)}</Collection></Collections></Sync>')


def local(tag):
    return tag.split("}")[-1]


def child(e, name):
    for c in e:
        if local(c.tag) == name:
            return c
    return None


def run_sync(client, fid, key, seen, expect, label, options):
    """Sync rounds from key until no MoreAvailable. Returns (key, rounds list, client seconds,
    new subjects). Raises SyncError with everything needed to report a server fault."""
    rounds, client_s, subjects = [], 0.0, []
    dups = []
    limit = expect // max(1, WINDOW) + 20
    while True:
        first = key == "0"                  # the key-0 request carries no items: always go on
        c0 = time.perf_counter()
        xml = sync_xml(fid, key, window=None if key == "0" else WINDOW,
                       options="" if key == "0" else options)
        body = wbxml.encode(xml)
        c1 = time.perf_counter()
        started = time.time()
        status, headers, data, dt = client.post(body)
        c2 = time.perf_counter()
        info = dict(label=label, request=xml, status=status, headers=headers,
                    body_len=len(data))
        if status == 200 and not data and not first and expect == 0:
            # MS-ASCMD: an empty answer to a Sync means "nothing changed" (key unchanged)
            client_s += (c1 - c0)
            rounds.append(dict(rtt=dt, adds=0, other=0, bytes=0, more=False, started=started))
            break
        if status != 200 or not data:
            info["body"] = data[:2000].decode("latin-1")
            raise SyncError(info)
        text = wbxml.decode(data)
        root = ET.fromstring(text.encode())
        cols = child(root, "Collections")
        coll = child(cols, "Collection") if cols is not None else None
        # a command-level Status (e.g. 142-144 from the device gate) has no Collection
        st_node = child(coll if coll is not None else root, "Status")
        if st_node is None or st_node.text != "1":
            info["response"] = text[:4000]
            raise SyncError(info)
        key = child(coll, "SyncKey").text
        more = child(coll, "MoreAvailable") is not None
        cmds = child(coll, "Commands")
        adds = other = 0
        if cmds is not None:
            for c in cmds:
                if local(c.tag) != "Add":
                    other += 1
                    continue
                adds += 1
                sid = child(c, "ServerId").text
                if sid in seen:
                    dups.append((len(rounds), sid))
                seen.add(sid)
                app = child(c, "ApplicationData")
                subj = child(app, "Subject") if app is not None else None
                subjects.append(subj.text if subj is not None else None)
        c3 = time.perf_counter()
        client_s += (c1 - c0) + (c3 - c2)
        rounds.append(dict(rtt=dt, adds=adds, other=other, bytes=len(data), more=more,
                           started=started))
        if dups:
            info["response"] = text[:4000]
            info["duplicates"] = dups[:20]
            raise SyncError(info)
        if not first and not more:
            break
        if len(rounds) > limit:
            info["error"] = f"more than {limit} rounds"
            raise SyncError(info)
    return key, rounds, client_s, subjects


# ----------------------------------------------------------------------------------------------
ANALYZE_SQL = ("SELECT relname, autoanalyze_count + analyze_count, "
               "coalesce(extract(epoch FROM greatest(last_autoanalyze, last_analyze)), 0), "
               "n_live_tup FROM pg_stat_user_tables WHERE relname IN ('items', 'sync_items') "
               "ORDER BY relname")


def analyze_state(stack):
    """{table: (analyze count, epoch of the last (auto)analyze, live tuples)}: the planner's view
    of sync_items decides how a Sync round scales (see the notes printed with the table)."""
    out = {}
    for ln in stack.psql(ANALYZE_SQL).stdout.split("\n"):
        if ln.strip():
            name, n, t, live = ln.split("|")
            out[name] = (int(n), float(t), int(live))
    return out


def analyze_marks(before, after, rounds):
    """For each table (auto)analyzed while the rounds ran: the round it happened in."""
    marks = {}
    for name, (n, t, _) in after.items():
        if n > before.get(name, (0, 0, 0))[0]:
            idx = sum(1 for r in rounds if r["started"] <= t)
            marks[name] = dict(analyzes=n - before.get(name, (0, 0, 0))[0],
                               last_during_round=idx)
    return marks


def snapshot_tools(dest):
    """Copy the command-line tools out of build/bin: another build may replace them while the
    benchmark runs (the modules are already copied into the stack's ServerRoot by Env.start)."""
    os.makedirs(dest, exist_ok=True)
    for name in ("easctl", "eas-deliver", "eas-wbxml"):
        for attempt in range(50):
            try:
                shutil.copy2(os.path.join(TOP, "build", "bin", name), os.path.join(dest, name))
                break
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.2)
    wbxml.BIN = os.path.join(dest, "eas-wbxml")
    return dest


def access_log_times(path, pos):
    """(count, total µs, statuses) of the POST Sync lines written after pos (%D: last field)."""
    n, us, statuses = 0, 0, collections.Counter()
    with open(path, "rb") as f:
        f.seek(pos)
        for ln in f.read().decode("utf-8", "replace").splitlines():
            if '"POST /Microsoft-Server-ActiveSync?Cmd=Sync' not in ln:
                continue
            parts = ln.rsplit(" ", 3)
            statuses[parts[1]] += 1
            us += int(parts[3])
            n += 1
    return n, us, statuses


def fsize(path):
    return os.path.getsize(path) if os.path.exists(path) else 0


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))] if xs else 0.0


def phase_summary(n_items, rounds, cpu, http_s=None):
    wall = sum(r["rtt"] for r in rounds)
    srv = cpu["httpd"] + cpu["postgres"]
    out = dict(items=n_items, requests=len(rounds), request_wall_s=wall,
               items_per_s=n_items / wall if wall else None,
               rtt_ms=dict(p50=pct([r["rtt"] for r in rounds], 50) * 1e3,
                           p95=pct([r["rtt"] for r in rounds], 95) * 1e3,
                           max=max(r["rtt"] for r in rounds) * 1e3,
                           mean=statistics.mean(r["rtt"] for r in rounds) * 1e3),
               response_bytes=sum(r["bytes"] for r in rounds),
               cpu_s=dict(httpd=cpu["httpd"], postgres=cpu["postgres"],
                          pg_backends=cpu["pg_backends"], pg_other=cpu["pg_other"], total=srv),
               cpu_ms_per_item=dict(httpd=cpu["httpd"] * 1e3 / n_items if n_items else None,
                                    postgres=cpu["postgres"] * 1e3 / n_items if n_items else None,
                                    total=srv * 1e3 / n_items if n_items else None),
               server_items_per_cpu_s=n_items / srv if srv else None,
               server_items_per_s_all_cores=CPUS * n_items / srv if srv else None,
               server_cpu_per_request_wall=srv / wall if wall else None,
               measured_span_s=cpu["wall"],
               processes=dict(httpd=cpu["httpd_procs"], postgres=cpu["pg_procs"]))
    if http_s is not None:
        out["server_time_s_access_log"] = http_s
    return out


def report_failure(e, env, watch):
    info = e.args[0]
    print("\n*** SYNC FAILED — server fault, not worked around ***", file=sys.stderr)
    print(json.dumps(info, indent=2, ensure_ascii=False, default=str)[:12000], file=sys.stderr)
    lines = watch.new_lines()
    bad = [ln for ln in lines if LogWatch.BAD.search(ln)]
    print(f"error_log: {len(lines)} new lines, {len(bad)} error/warn; last 40:", file=sys.stderr)
    for ln in lines[-40:]:
        print("  " + ln, file=sys.stderr)


def main():
    t_start = time.perf_counter()
    anchor = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0)
    res = dict(params=dict(messages=N_MESSAGES, new=N_NEW, repeat=REPEAT, seed=SEED, window=WINDOW,
                           truncation=5120, version=VERSION, analyze=ANALYZE,
                           date_anchor=anchor.isoformat(), clk_tck=CLK_TCK,
                           cpus=CPUS),
               started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    env = Env()
    ok = False
    watch = None
    try:
        t = time.perf_counter()
        env.start()
        res["stack_start_s"] = time.perf_counter() - t
        st = env.stack
        bindir = snapshot_tools(os.path.join(env.tmp, "bin"))
        watch = LogWatch(env.error_log)
        print(f"stack: {st.url}  pg port {st.pg_port}  dir {env.tmp}", flush=True)

        # --- generate + import ---------------------------------------------------------
        mbox = os.path.join(env.tmp, "inbox.mbox")
        t = time.perf_counter()
        gen, sizes, subjects, kinds = generate(mbox, N_MESSAGES, anchor, SEED)
        gen_s = time.perf_counter() - t
        os.chmod(mbox, 0o644)
        mb = os.path.getsize(mbox)
        ss = sorted(sizes)
        res["mailbox"] = dict(generate_s=gen_s, mbox_bytes=mb, median_bytes=ss[len(ss) // 2],
                              mean_bytes=sum(ss) / len(ss),
                              share_2_20k=sum(2048 <= s <= 20480 for s in ss) / len(ss),
                              with_attachment=kinds["multipart/mixed"],
                              types=dict(kinds))
        print(f"generated {N_MESSAGES} messages, {mb / 1e6:.1f} MB mbox, median "
              f"{ss[len(ss) // 2] / 1024:.1f} KB, in {gen_s:.1f} s", flush=True)

        cpu0 = cpu_snapshot(st)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t = time.perf_counter()
        r = subprocess.run([os.path.join(bindir, "easctl"), "--db", st.conninfo,
                            "mail", "import", "--user", USER, "--create-user", "--folder", "inbox",
                            mbox], capture_output=True, text=True)
        imp_s = time.perf_counter() - t
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu1 = cpu_snapshot(st)
        if r.returncode != 0:
            raise SyncError(dict(label="import", rc=r.returncode, stdout=r.stdout,
                                 stderr=r.stderr[-4000:]))
        m = re.search(r"imported (\d+) message", r.stdout)
        imported = int(m.group(1)) if m else -1
        icpu = cpu_delta(cpu0, cpu1)
        res["import"] = dict(seconds=imp_s, imported=imported, output=r.stdout.strip(),
                             msgs_per_s=N_MESSAGES / imp_s, mb_per_s=mb / 1e6 / imp_s,
                             easctl_cpu_s=(ru1.ru_utime - ru0.ru_utime) +
                             (ru1.ru_stime - ru0.ru_stime),
                             postgres_cpu_s=icpu["postgres"])
        print(f"imported {imported} in {imp_s:.1f} s = {N_MESSAGES / imp_s:.0f} msg/s", flush=True)
        if imported != N_MESSAGES:
            raise SyncError(dict(label="import", expected=N_MESSAGES, output=r.stdout,
                                 stderr=r.stderr[-4000:]))
        if ANALYZE:
            t = time.perf_counter()
            st.psql("VACUUM (ANALYZE)")
            res["vacuum_analyze_s"] = time.perf_counter() - t

        # --- device -----------------------------------------------------------------------
        env.add_user(USER, PASSWORD)
        ph = Phone(env, VERSION, user=USER, password=PASSWORD, prefix="BENCH")
        fs = ph.foldersync()
        assert fs.text("Status") == "1", fs.resp
        inbox = ph.folder("Inbox")
        client = Client(env, ph, USER, PASSWORD)

        # --- initial sync (timed) ------------------------------------------------------------
        alog = os.path.join(st.server_root, "logs", "access_log")
        apos = fsize(alog)
        seen = set()
        time.sleep(0.5)
        an0 = analyze_state(st)
        cpu0 = cpu_snapshot(st)
        key, rounds, client_s, got_subjects = run_sync(client, inbox, "0", seen, N_MESSAGES,
                                                       "initial", OPTIONS)
        cpu1 = cpu_snapshot(st)
        n_log, us_log, statuses = access_log_times(alog, apos)
        icpu = cpu_delta(cpu0, cpu1)
        time.sleep(1.0)                      # pg_stat_* are flushed about once a second
        an1 = analyze_state(st)
        res["initial"] = phase_summary(N_MESSAGES, rounds, icpu, us_log / 1e6)
        res["initial"].update(
            distinct_server_ids=len(seen), adds=sum(r["adds"] for r in rounds),
            other_commands=sum(r["other"] for r in rounds),
            key0_rtt_ms=rounds[0]["rtt"] * 1e3,
            first10_rounds_mean_ms=statistics.mean(r["rtt"] for r in rounds[1:11]) * 1e3,
            last10_rounds_mean_ms=statistics.mean(r["rtt"] for r in rounds[-10:]) * 1e3,
            round_ms=[round(r["rtt"] * 1e3, 2) for r in rounds],
            analyze_before={k: dict(count=v[0], live=v[2]) for k, v in an0.items()},
            analyzed_during=analyze_marks(an0, an1, rounds),
            client_overhead_s=client_s, connects=client.connects,
            server_closed_connection=client.server_closes,
            access_log=dict(requests=n_log, statuses=dict(statuses)))
        subj_ok = collections.Counter(got_subjects) == collections.Counter(subjects)
        res["initial"]["subjects_match"] = subj_ok
        if not subj_ok:
            diff = (collections.Counter(subjects) - collections.Counter(got_subjects))
            res["initial"]["subject_mismatch_examples"] = list(diff.items())[:10]
        print(f"initial sync: {len(seen)} items in {len(rounds)} requests, "
              f"{res['initial']['request_wall_s']:.2f} s", flush=True)
        if len(seen) != N_MESSAGES or res["initial"]["adds"] != N_MESSAGES:
            raise SyncError(dict(label="initial", error="item count",
                                 distinct=len(seen), adds=res["initial"]["adds"],
                                 expected=N_MESSAGES))

        # --- incremental: BENCH_REPEAT x (deliver BENCH_NEW, sync them) ---------------------
        deliver_bin = os.path.join(bindir, "eas-deliver")
        reps, del_s_total, ok = [], 0.0, subj_ok
        for rep in range(REPEAT):
            new_subjects = []
            now = datetime.now(timezone.utc)
            t = time.perf_counter()
            for i in range(N_NEW):
                msg, subj = gen.message(now - timedelta(seconds=N_NEW - i), f"Bench User <{USER}>")
                new_subjects.append(subj)
                d = subprocess.run([deliver_bin, "--db", st.conninfo, "--user", USER],
                                   input=msg.as_bytes(), capture_output=True)
                if d.returncode != 0:
                    raise SyncError(dict(label="deliver", i=i, rc=d.returncode,
                                         stderr=d.stderr.decode()))
            del_s_total += time.perf_counter() - t
            client.reconnect()               # keep-alive expired while delivering: fresh, untimed
            time.sleep(0.5)
            apos = fsize(alog)
            before = len(seen)
            cpu0 = cpu_snapshot(st)
            key, irounds, client_s, inc_subjects = run_sync(client, inbox, key, seen, N_NEW,
                                                            f"incremental {rep + 1}", OPTIONS)
            cpu1 = cpu_snapshot(st)
            n_log, us_log, statuses = access_log_times(alog, apos)
            got_new = len(seen) - before
            one = phase_summary(N_NEW, irounds, cpu_delta(cpu0, cpu1), us_log / 1e6)
            one.update(new_server_ids=got_new, adds=sum(r["adds"] for r in irounds),
                       round_ms=[r["rtt"] * 1e3 for r in irounds],
                       adds_per_round=[r["adds"] for r in irounds],
                       subjects_match=(collections.Counter(inc_subjects) ==
                                       collections.Counter(new_subjects)),
                       access_log=dict(requests=n_log, statuses=dict(statuses)))
            reps.append(one)
            ok = ok and one["subjects_match"]
            if got_new != N_NEW:
                raise SyncError(dict(label=f"incremental {rep + 1}", error="item count",
                                     new=got_new, adds=one["adds"], expected=N_NEW))
        res["deliver"] = dict(messages=N_NEW * REPEAT, seconds=del_s_total,
                              msgs_per_s=N_NEW * REPEAT / del_s_total,
                              note="one eas-deliver process per message")
        # the repetition with the median request wall time stands for all in the table
        med = sorted(reps, key=lambda x: x["request_wall_s"])[len(reps) // 2]
        res["incremental"] = dict(med, repetitions=reps,
                                  wall_ms_all=[x["request_wall_s"] * 1e3 for x in reps])

        # --- no-change Sync (what an idle phone costs) ------------------------------------
        nochange = []
        for _ in range(5):
            key, nr, _, _ = run_sync(client, inbox, key, seen, 0, "no-change", OPTIONS)
            nochange += [r["rtt"] * 1e3 for r in nr]
        res["no_change_sync_ms"] = dict(median=statistics.median(nochange), all=nochange)

        # --- one new message (what every new mail costs a phone that is in sync) -------------
        one_ms, after_ms = [], []
        for rep in range(REPEAT):
            msg, _ = gen.message(datetime.now(timezone.utc), f"Bench User <{USER}>")
            d = subprocess.run([deliver_bin, "--db", st.conninfo, "--user", USER],
                               input=msg.as_bytes(), capture_output=True)
            if d.returncode != 0:
                raise SyncError(dict(label="deliver one", rc=d.returncode,
                                     stderr=d.stderr.decode()))
            client.reconnect()
            before = len(seen)
            key, nr, _, _ = run_sync(client, inbox, key, seen, 1, "one new", OPTIONS)
            if len(seen) - before != 1:
                raise SyncError(dict(label="one new", error="item count", new=len(seen) - before))
            one_ms += [r["rtt"] * 1e3 for r in nr]
            # the next Sync makes the sent item part of the device's view, then finds nothing
            key, nr, _, _ = run_sync(client, inbox, key, seen, 0, "after one", OPTIONS)
            after_ms += [r["rtt"] * 1e3 for r in nr]
        res["one_new_sync_ms"] = dict(median=statistics.median(one_ms), all=one_ms,
                                      next_sync_median=statistics.median(after_ms),
                                      next_sync_all=after_ms)

        # --- the log -----------------------------------------------------------------------
        lines = watch.new_lines()
        bad = [ln for ln in lines if LogWatch.BAD.search(ln)]
        res["error_log"] = dict(new_lines=len(lines), bytes=fsize(env.error_log),
                                error_or_warn=len(bad), examples=bad[:10])
        with open(st.pg_log, errors="replace") as f:
            pg_bad = [ln.rstrip() for ln in f
                      if re.search(r"\b(WARNING|ERROR|FATAL|PANIC):", ln)]
        res["postgresql_log"] = dict(warning_or_error=len(pg_bad), examples=pg_bad[:10])
    except SyncError as e:
        if watch is None:
            watch = LogWatch(env.error_log)
            watch.pos = 0
        report_failure(e, env, watch)
        res["failure"] = e.args[0]
    finally:
        res["total_run_s"] = time.perf_counter() - t_start
        try:
            env.stop()
        finally:
            os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
            with open(JSON_OUT, "w") as f:
                json.dump(res, f, indent=2, ensure_ascii=False, default=str)
    if "initial" in res and "incremental" in res:
        print_table(res)
    print(f"JSON: {JSON_OUT}")
    if not ok:
        print("RESULT: sync correctness check FAILED (see above)", file=sys.stderr)
        return 1
    return 0


def print_table(res):
    mbx, imp, ini, inc = res["mailbox"], res["import"], res["initial"], res["incremental"]
    print()
    print(f"mod_eas Sync benchmark — {res['params']['messages']} messages "
          f"({mbx['mbox_bytes'] / 1e6:.0f} MB mbox, median {mbx['median_bytes'] / 1024:.1f} KB, "
          f"{mbx['with_attachment']} with attachment), WindowSize {res['params']['window']}, "
          f"plain text truncated at 5120, EAS {res['params']['version']}, "
          f"{res['params']['cpus']} CPUs")
    print(f"import (easctl mail import): {imp['seconds']:.1f} s = {imp['msgs_per_s']:.0f} msg/s "
          f"({imp['mb_per_s']:.1f} MB/s; easctl CPU {imp['easctl_cpu_s']:.1f} s, postgres CPU "
          f"{imp['postgres_cpu_s']:.1f} s)")
    print(f"delivery (eas-deliver, one process per message): {res['deliver']['msgs_per_s']:.0f} "
          f"msg/s")
    hdr = f"{'':34}{'initial':>14}{'incremental':>14}"
    print(hdr)
    print("-" * len(hdr))

    def row(label, f, a, b):
        fa = f.format(a) if a is not None else "-"
        fb = f.format(b) if b is not None else "-"
        print(f"{label:34}{fa:>14}{fb:>14}")

    row("items", "{}", ini["items"], inc["items"])
    row("requests", "{}", ini["requests"], inc["requests"])
    row("request wall time (s)", "{:.3f}", ini["request_wall_s"], inc["request_wall_s"])
    row("  server time, access_log %D (s)", "{:.3f}", ini["server_time_s_access_log"],
        inc["server_time_s_access_log"])
    row("items/s (wall)", "{:.0f}", ini["items_per_s"], inc["items_per_s"])
    row("round trip p50 (ms)", "{:.1f}", ini["rtt_ms"]["p50"], inc["rtt_ms"]["p50"])
    row("round trip p95 (ms)", "{:.1f}", ini["rtt_ms"]["p95"], inc["rtt_ms"]["p95"])
    row("round trip max (ms)", "{:.1f}", ini["rtt_ms"]["max"], inc["rtt_ms"]["max"])
    row("response bytes / item", "{:.0f}", ini["response_bytes"] / ini["items"],
        inc["response_bytes"] / inc["items"])
    row("httpd CPU (s)", "{:.2f}", ini["cpu_s"]["httpd"], inc["cpu_s"]["httpd"])
    row("postgres CPU (s)", "{:.2f}", ini["cpu_s"]["postgres"], inc["cpu_s"]["postgres"])
    row("  of which backends (s)", "{:.2f}", ini["cpu_s"]["pg_backends"],
        inc["cpu_s"]["pg_backends"])
    row("httpd CPU ms / item", "{:.3f}", ini["cpu_ms_per_item"]["httpd"],
        inc["cpu_ms_per_item"]["httpd"])
    row("postgres CPU ms / item", "{:.3f}", ini["cpu_ms_per_item"]["postgres"],
        inc["cpu_ms_per_item"]["postgres"])
    row("total server CPU ms / item", "{:.3f}", ini["cpu_ms_per_item"]["total"],
        inc["cpu_ms_per_item"]["total"])
    row("server items / CPU-s", "{:.0f}", ini["server_items_per_cpu_s"],
        inc["server_items_per_cpu_s"])
    row(f"  capacity on {CPUS} cores (items/s)", "{:.0f}", ini["server_items_per_s_all_cores"],
        inc["server_items_per_s_all_cores"])
    row("server CPU / request wall time", "{:.0%}", ini["server_cpu_per_request_wall"],
        inc["server_cpu_per_request_wall"])
    print(f"incremental request wall (ms) over {len(inc['wall_ms_all'])} repetitions: "
          + ", ".join(f"{x:.1f}" for x in inc["wall_ms_all"])
          + f"; no-change Sync round trip median {res['no_change_sync_ms']['median']:.1f} ms")
    one = res["one_new_sync_ms"]
    print(f"one new message in a {ini['items'] + inc['items'] * res['params']['repeat']}-item "
          f"folder: Sync carrying it {one['median']:.1f} ms, the Sync after it "
          f"{one['next_sync_median']:.1f} ms (medians of {len(one['all'])})")
    print(f"initial: Sync key 0 {ini['key0_rtt_ms']:.1f} ms; rounds 1-10 mean "
          f"{ini['first10_rounds_mean_ms']:.1f} ms, last 10 mean "
          f"{ini['last10_rounds_mean_ms']:.1f} ms")
    ms = ini["round_ms"]
    for name in ("items", "sync_items"):
        m = ini["analyzed_during"].get(name)
        before = ini["analyze_before"].get(name, {}).get("count")
        if not m:
            print(f"initial: {name} not analyzed during the sync ({before} analyze(s) before it)")
            continue
        k = m["last_during_round"]
        if 0 < k < len(ms):
            print(f"initial: {name} (auto)analyzed during round {k + 1} of {len(ms)}: rounds "
                  f"before it mean {statistics.mean(ms[1:k] or ms[:1]):.1f} ms, after it "
                  f"{statistics.mean(ms[k:]):.1f} ms")
        else:
            print(f"initial: {name} (auto)analyzed {m['analyzes']} time(s), last at round {k}")
    print(f"client overhead outside timing (encode+decode+parse): {ini['client_overhead_s']:.2f} s;"
          f" connections {ini['connects']}, closed by server {ini['server_closed_connection']}")
    print(f"correctness: {ini['distinct_server_ids']} distinct ServerIds, no duplicates; "
          f"subjects match: initial {ini['subjects_match']}, incremental "
          f"{inc['subjects_match']}; incremental rounds {inc['adds_per_round']}")
    el = res.get("error_log", {})
    pl = res.get("postgresql_log", {})
    print(f"error_log: {el.get('error_or_warn')} error/warn lines among {el.get('new_lines')} new "
          f"({el.get('bytes', 0) / 1e6:.1f} MB); postgresql.log: {pl.get('warning_or_error')} "
          f"WARNING/ERROR/FATAL lines")
    for ln in el.get("examples", []) + pl.get("examples", []):
        print("  " + ln[:200])
    print(f"whole run: {res['total_run_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
