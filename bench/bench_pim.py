#!/usr/bin/python3
"""bench_pim — PIM throughput of mod_eas on a throw-away stack (the test suite's Env).

    make bench-pim                      # 2,000 contacts + 2,000 events (BENCH_PIM_ITEMS)
    /usr/bin/python3 bench/bench_pim.py # the same, after `make`

Measures, for Contacts and Calendar:
  1. `easctl pim import` of a generated .vcf / .ics (every 4th event a weekly series in
     Europe/Berlin with an exception, the rest single events in three zones): items/s;
  2. the initial Sync of a 14.1 device (WindowSize 100) until no MoreAvailable: items/s and the
     server CPU (httpd + PostgreSQL, from /proc) per item; every item must arrive once;
  3. a device adding BENCH_PIM_ADDS items in one Sync (Add with ClientId): items/s;
  4. `easctl pim export` of the folder: items/s.
Wall times include the Python client's WBXML encoding/decoding. Never asserts on timing; exits 1
when something is wrong (HTTP error, Status other than 1, an item missing or twice).
"""
import json
import os
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "bench"))
from bench_sync import cpu_snapshot  # noqa: E402
from pyeas.env import Env  # noqa: E402
from pyeas.mail import Phone  # noqa: E402
from test_700_pim import BERLIN  # noqa: E402

N = int(os.environ.get("BENCH_PIM_ITEMS", "2000"))
ADDS = int(os.environ.get("BENCH_PIM_ADDS", "100"))
JSON_OUT = os.environ.get("BENCH_JSON", os.path.join(TOP, "build", "bench-pim.json"))
USER = "pimbench@example.org"
ZONES = ("Europe/Berlin", "America/New_York", "Asia/Tokyo")


def vcf(n):
    out = []
    for i in range(n):
        out.append(f"BEGIN:VCARD\r\nVERSION:4.0\r\nUID:c{i}@bench\r\nFN:Person {i}\r\n"
                   f"N:Nachname{i};Vorname{i};;;\r\nORG:Firma {i % 50};Abteilung\r\n"
                   f"EMAIL;TYPE=work:p{i}@example.org\r\nTEL;TYPE=cell:+49 170 {i:07d}\r\n"
                   f"TEL;TYPE=work,voice:+49 30 {i:07d}\r\n"
                   f"ADR;TYPE=work:;;Straße {i};Berlin;BE;10115;Germany\r\n"
                   f"BDAY:19{50 + i % 50}0{1 + i % 9}1{i % 9}\r\nNOTE:Notiz {i}\r\nEND:VCARD\r\n")
    return "".join(out)


def ics(n):
    out = ["BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\n"]
    for i in range(n):
        z = ZONES[i % 3]
        d = f"2026{1 + i % 12:02d}{1 + i % 28:02d}"
        ev = (f"BEGIN:VEVENT\r\nUID:e{i}@bench\r\nDTSTAMP:20260101T000000Z\r\n"
              f"DTSTART;TZID={z}:{d}T{8 + i % 10:02d}0000\r\nDTEND;TZID={z}:{d}T{9 + i % 10:02d}0000\r\n"
              f"SUMMARY:Termin {i}\r\nLOCATION:Raum {i % 20}\r\nDESCRIPTION:Agenda {i}\r\n"
              f"ATTENDEE;CN=Gast {i};PARTSTAT=ACCEPTED:mailto:g{i}@example.org\r\n"
              "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM\r\n")
        if i % 4 == 0:
            ev += "RRULE:FREQ=WEEKLY;COUNT=10\r\n"
        out.append(ev + "END:VEVENT\r\n")
    out.append("END:VCALENDAR\r\n")
    return "".join(out)


def fail(msg):
    print("bench-pim: FAILED:", msg)
    sys.exit(1)


def timed_import(env, text, suffix):
    with tempfile.NamedTemporaryFile("w", suffix=suffix, delete=False, encoding="utf-8") as f:
        f.write(text)
    t0 = time.monotonic()
    r = env.easctl("pim", "import", "--user", USER, "--create-user", f.name)
    dt = time.monotonic() - t0
    os.unlink(f.name)
    if r.returncode != 0 or f"{N} added" not in r.stdout:
        fail(f"import: {r.stdout} {r.stderr}")
    return dt


def initial_sync(env, ph, fid):
    ph.sync(fid)
    seen = set()
    cpu0 = cpu_snapshot(env.stack)
    t0 = time.monotonic()
    while True:
        r = ph.sync(fid, window=100, options="<airsyncbase:BodyPreference><airsyncbase:Type>1"
                    "</airsyncbase:Type><airsyncbase:TruncationSize>5120</airsyncbase:TruncationSize>"
                    "</airsyncbase:BodyPreference>")
        if r.text("Collections/Collection/Status") != "1":
            fail(f"sync status {r.doc.xml[:500]}")
        coll = r.doc.find("Collections/Collection")
        for a in coll.findall("Commands/Add"):
            sid = a.text("ServerId")
            if sid in seen:
                fail(f"duplicate {sid}")
            seen.add(sid)
        if coll.find("MoreAvailable") is None:
            break
    dt = time.monotonic() - t0
    cpu1 = cpu_snapshot(env.stack)
    cpu = (cpu1["httpd"] - cpu0["httpd"]) + (cpu1["postgres"] - cpu0["postgres"])
    if len(seen) != N:
        fail(f"{len(seen)} of {N} items synced")
    return dt, cpu


def device_adds(ph, fid, make):
    cmds = "".join(f"<Add><ClientId>b{i}</ClientId><ApplicationData>{make(i)}</ApplicationData></Add>"
                   for i in range(ADDS))
    t0 = time.monotonic()
    r = ph.sync(fid, commands=cmds)
    dt = time.monotonic() - t0
    st = [x.text("Status") for x in r.doc.findall("Collections/Collection/Responses/Add")]
    if st != ["1"] * ADDS:
        fail(f"adds: {st[:5]}")
    return dt


def timed_export(env, folder):
    out = tempfile.NamedTemporaryFile(delete=False)
    out.close()
    t0 = time.monotonic()
    r = env.easctl("pim", "export", "--user", USER, "--folder", folder, "-o", out.name)
    dt = time.monotonic() - t0
    os.unlink(out.name)
    if r.returncode != 0:
        fail(f"export {r.stderr}")
    return dt


def main():
    env = Env()
    env.start()
    results = {}
    try:
        imp_c = timed_import(env, vcf(N), ".vcf")
        imp_e = timed_import(env, ics(N), ".ics")
        env.add_user(USER, "bench-secret-1")
        ph = Phone(env, "14.1", user=USER, password="bench-secret-1", prefix="PIMB")
        ph.foldersync()
        for name, imp, make in (
                ("Contacts", imp_c, lambda i: f"<contacts:FirstName>Neu{i}</contacts:FirstName>"
                 f"<contacts:Email1Address>n{i}@example.org</contacts:Email1Address>"),
                ("Calendar", imp_e, lambda i: f"<calendar:Timezone>{BERLIN}</calendar:Timezone>"
                 f"<calendar:StartTime>20261{i % 3}0{1 + i % 9}T090000Z</calendar:StartTime>"
                 f"<calendar:EndTime>20261{i % 3}0{1 + i % 9}T100000Z</calendar:EndTime>"
                 f"<calendar:Subject>Neu {i}</calendar:Subject>")):
            fid = ph.folder(name)
            sync_dt, cpu = initial_sync(env, ph, fid)
            add_dt = device_adds(ph, fid, make)
            exp_dt = timed_export(env, name)
            results[name] = dict(items=N, import_per_s=round(N / imp, 1),
                                 sync_per_s=round(N / sync_dt, 1),
                                 server_cpu_ms_per_item=round(1000 * cpu / N, 3),
                                 device_adds_per_s=round(ADDS / add_dt, 1),
                                 export_per_s=round((N + ADDS) / exp_dt, 1))
    finally:
        env.stop()
    print(f"\nPIM benchmark, {N} items per class (Python client codec included in Sync times)\n")
    print(f"| | {' | '.join(results)} |\n|---|{'---|' * len(results)}")
    for k, label in (("import_per_s", "easctl pim import, items/s"),
                     ("sync_per_s", "initial Sync (WindowSize 100), items/s"),
                     ("server_cpu_ms_per_item", "server CPU per synced item, ms"),
                     ("device_adds_per_s", f"device Adds ({ADDS} in one Sync), items/s"),
                     ("export_per_s", "easctl pim export, items/s")):
        print(f"| {label} | {' | '.join(str(r[k]) for r in results.values())} |")
    os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
    with open(JSON_OUT, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
