#!/usr/bin/python3
"""bench_autodiscover — mod_autodiscover on a throw-away stack (the test suite's Env).

    make bench-autodiscover                       # the defaults below
    /usr/bin/python3 bench/bench_autodiscover.py  # the same, after `make`

Measures, for each endpoint, BENCH_AD_REQUESTS sequential requests over ONE keep-alive HTTP
connection (latency median / p95, requests/s, server CPU per request: httpd + PostgreSQL from
/proc), then the same endpoint under `ab -k -c BENCH_AD_CONCURRENCY` (requests/s):
  1. POST autodiscover.xml, mobilesync schema, Basic auth, the address checked against mod_eas's
     user directory (one PostgreSQL query per request) and the display name returned;
  2. the same with the Outlook 2006a schema (IMAP + SMTP of an <AutodiscoverDomain> section);
  3. GET autodiscover.json/v1.0/{address}?Protocol=ActiveSync (anonymous);
  4. GET config-v1.1.xml?emailaddress= (anonymous).
Never asserts on timing; exits 1 when an answer is wrong (status, URL, display name, servers) or
ab reports failed or non-2xx requests. Writes BENCH_JSON (default build/bench-autodiscover.json).
Environment: BENCH_AD_REQUESTS (2000), BENCH_AD_CONCURRENCY (8), BENCH_JSON, EAS_TEST_KEEP.
"""
import base64
import http.client
import json
import os
import re
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "bench"))
from bench_sync import cpu_snapshot, pct  # noqa: E402
from pyeas.env import Env  # noqa: E402

N = int(os.environ.get("BENCH_AD_REQUESTS", "2000"))
CONC = int(os.environ.get("BENCH_AD_CONCURRENCY", "8"))
JSON_OUT = os.environ.get("BENCH_JSON", os.path.join(TOP, "build", "bench-autodiscover.json"))
USER, PASSWORD, ADDRESS, NAME = "adbench", "bench-secret-1", "adbench@example.test", "Bench User"
MS_REQ = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
MS_RESP = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
OL_REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
OL_RESP = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
EAS_URL = "https://mail.example.test/Microsoft-Server-ActiveSync"
CONF = f"""<AutodiscoverDomain example.test>
    AutodiscoverActiveSyncURL {EAS_URL}
    AutodiscoverIMAP imap.example.test:993 SSL
    AutodiscoverSMTP smtp.example.test:587 STARTTLS
</AutodiscoverDomain>
"""


def request_body(ns, schema):
    return (f'<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="{ns}"><Request>'
            f"<EMailAddress>{ADDRESS}</EMailAddress><AcceptableResponseSchema>{schema}"
            "</AcceptableResponseSchema></Request></Autodiscover>").encode()


def cases():
    auth = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    post = {"Content-Type": "text/xml", "Authorization": auth}
    return [
        dict(name="autodiscover.xml mobilesync", method="POST", path="/autodiscover/autodiscover.xml",
             headers=post, body=request_body(MS_REQ, MS_RESP),
             expect=[f"<Url>{EAS_URL}</Url>", f"<DisplayName>{NAME}</DisplayName>"]),
        dict(name="autodiscover.xml Outlook", method="POST", path="/autodiscover/autodiscover.xml",
             headers=post, body=request_body(OL_REQ, OL_RESP),
             expect=["<Server>imap.example.test</Server>", "<Server>smtp.example.test</Server>",
                     f"<DisplayName>{NAME}</DisplayName>"]),
        dict(name="autodiscover.json ActiveSync", method="GET",
             path=f"/autodiscover/autodiscover.json/v1.0/{ADDRESS}?Protocol=ActiveSync",
             headers={}, body=None, expect=[f'"Url":"{EAS_URL}"']),
        dict(name="config-v1.1.xml", method="GET",
             path=f"/.well-known/autoconfig/mail/config-v1.1.xml?emailaddress={ADDRESS}",
             headers={}, body=None, expect=["<hostname>imap.example.test</hostname>", EAS_URL]),
    ]


def sequential(env, case):
    conn = http.client.HTTPConnection("127.0.0.1", env.stack.http_port, timeout=30)
    rtts = []
    before = cpu_snapshot(env.stack)
    for _ in range(N):
        t0 = time.perf_counter()
        conn.request(case["method"], case["path"], body=case["body"], headers=case["headers"])
        resp = conn.getresponse()
        data = resp.read().decode()
        rtts.append(time.perf_counter() - t0)
        if resp.status != 200 or any(e not in data for e in case["expect"]):
            sys.exit(f"{case['name']}: wrong answer {resp.status}:\n{data}")
    after = cpu_snapshot(env.stack)
    conn.close()
    wall = sum(rtts)
    cpu = {k: after[k] - before[k] for k in ("httpd", "postgres")}
    return dict(requests=N, per_s=N / wall, p50_ms=pct(rtts, 50) * 1e3, p95_ms=pct(rtts, 95) * 1e3,
                cpu_ms_per_request=(cpu["httpd"] + cpu["postgres"]) / N * 1e3,
                httpd_cpu_ms=cpu["httpd"] / N * 1e3, postgres_cpu_ms=cpu["postgres"] / N * 1e3)


def concurrent(env, case):
    argv = ["ab", "-q", "-k", "-n", str(N), "-c", str(CONC)]
    body = None
    if case["body"] is not None:
        body = tempfile.NamedTemporaryFile(delete=False)
        body.write(case["body"])
        body.close()
        argv += ["-p", body.name, "-T", case["headers"]["Content-Type"],
                 "-A", f"{USER}:{PASSWORD}"]
    argv.append(f"http://127.0.0.1:{env.stack.http_port}{case['path']}")
    r = subprocess.run(argv, capture_output=True, text=True)
    if body:
        os.unlink(body.name)
    failed = re.search(r"Failed requests:\s+(\d+)", r.stdout)
    rps = re.search(r"Requests per second:\s+([\d.]+)", r.stdout)
    if r.returncode != 0 or not failed or int(failed.group(1)) or "Non-2xx" in r.stdout or not rps:
        sys.exit(f"{case['name']}: ab failed:\n{r.stdout}{r.stderr}")
    return dict(concurrency=CONC, per_s=float(rps.group(1)))


def main():
    env = Env()
    env.extra_conf = CONF
    results = {}
    try:
        env.start()
        env.add_user(USER, PASSWORD)
        env.easctl("user", "set", USER, "--create", "--display-name", NAME, check=True)
        for case in cases():
            seq = sequential(env, case)
            con = concurrent(env, case)
            results[case["name"]] = dict(sequential=seq, concurrent=con)
    finally:
        env.stop()
    print(f"\nmod_autodiscover, {N} requests per endpoint (one keep-alive connection; then ab -k -c {CONC})")
    print(f"{'endpoint':32} {'req/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'CPU ms/req':>11} {'req/s c=' + str(CONC):>11}")
    for name, r in results.items():
        s, c = r["sequential"], r["concurrent"]
        print(f"{name:32} {s['per_s']:8.0f} {s['p50_ms']:8.2f} {s['p95_ms']:8.2f} "
              f"{s['cpu_ms_per_request']:11.3f} {c['per_s']:11.0f}")
    os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
    with open(JSON_OUT, "w") as f:
        json.dump(dict(requests=N, concurrency=CONC, results=results), f, indent=2)
    print(f"\nwritten to {JSON_OUT}")


if __name__ == "__main__":
    main()
