#!/usr/bin/python3
"""bench_ping — Direct Push (Ping) at scale: memory and idle CPU per held Ping, wake-up latency.

    make bench-push                      # 10,000 devices (BENCH_DEVICES=200 for a smoke run)
    /usr/bin/python3 bench/bench_ping.py # the same, after `make build/bench/ping_load`

What it does, in order:
  1. starts PostgreSQL + httpd as the test suite does (pyeas.env.Env; below BENCH_DIR), with
     conf/push-10k.conf in place of the stack's small mpm_event sizing (BENCH_CONF to try another
     file) and `LogLevel eas:info`; httpd is started with its soft RLIMIT_NOFILE raised to the
     hard limit (runuser's pam_limits would leave it at 1024);
  2. appends {SHA} htpasswd entries for push00000 .. push(N-1) (htpasswd -B would take minutes)
     and sets the global policy AllowNonProvisionableDevices 1 with easctl;
  3. runs bench/ping_load.c (build/bench/ping_load, one epoll process): FolderSync and an initial
     Sync of the Inbox for every device (its user is created on that first request), then, after
     the baseline below, one Ping per device, ramped at BENCH_RAMP per second and re-issued
     whenever it is answered (after a Status 2, once a Sync has fetched the new mail);
  4. measures httpd from /proc: VmRSS and Pss (smaps_rollup) of every httpd process before any Ping
     is held (all worker threads started, setup done) and once every device holds one: the
     difference per held Ping (split by /proc/PID/smaps into thread stacks, heap and files), and
     the total per held Ping. mod_authn_file copies every user name it reads past into the
     request's pool, which lives as long as the Ping is held: with this N-line htpasswd that is
     about 8 x N bytes per held Ping, shown separately (an artefact of the bench's password file,
     not of mod_eas; a server with 10,000 users would use another AuthBasicProvider). Then the
     CPU time (utime+stime) of
     every httpd and PostgreSQL process over BENCH_IDLE seconds in which nothing but held Pings
     exist (it starts once ping_load has sent and received nothing for BENCH_QUIET seconds,
     default EASDBPoolTimeout + 3: a Ping queued for a database connection also looks held);
  5. delivers BENCH_DELIVERIES small messages (eas_deliver in a thread of ping_load, its own libpq
     connection) to random users at BENCH_RATE per second: wake latency = first Status-2 answer to
     that user's device after the delivery's COMMIT returned - that time (one CLOCK_MONOTONIC);
     also wrong wakes (Status 2 with no delivery since), missed wakes (none within 5 s),
     503s (the per-child EASPingMaxHeld cap) and errors;
  6. prints a table and writes JSON (BENCH_JSON, default build/bench-push.json).

It never asserts on timing. It exits 1 when something is functionally wrong: errors (HTTP other
than 200/503, Ping Status other than 1/2, broken connections, timeouts, failed deliveries or
setups), missed or wrong wakes, fewer Pings held than devices; then it prints the tail of the
error log. 503s are counted, not errors: they are the server's designed answer at its cap.

Environment: BENCH_DEVICES (10000), BENCH_IDLE (20 s), BENCH_DELIVERIES (200), BENCH_RATE (20/s),
BENCH_HEARTBEAT (900 s: no heartbeat ends during a run; lower it to also see Status-1 waves),
BENCH_RAMP (2000 new Pings/s), BENCH_SETUP_CONCURRENCY (64), BENCH_SETTLE_MS (2000: READY once
every Ping is outstanding and nothing moved this long), BENCH_READY_TIMEOUT (600 s), BENCH_HOLD (0: seconds
to keep holding after the deliveries), BENCH_SYNC (1: after a Status 2 a device Syncs the Inbox
before its next Ping, as a phone does, and every delivered message must arrive exactly once; 0:
Ping only, for a server that reports changes since the last Ping), BENCH_EMPTY_PING (0; 1:
re-issued Pings have an empty body: the server reuses the last parameters), BENCH_QUIET (seconds
without any request before the idle window), BENCH_QUIET_TIMEOUT (300), BENCH_SEED (20240601),
BENCH_CONF, BENCH_JSON, BENCH_DIR (/var/tmp/mod_eas-bench: where the throw-away stack lives),
EAS_TEST_KEEP=1 keeps the stack directory for inspection.
"""
import base64
import hashlib
import json
import os
import queue
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timezone

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(TOP, "tests"))
from pyeas.env import Env, LogWatch  # noqa: E402
sys.path.insert(0, os.path.join(TOP, "tools"))
from eas_stack import APACHE_MODULES  # noqa: E402

N_DEVICES = int(os.environ.get("BENCH_DEVICES", "10000"))
IDLE_S = float(os.environ.get("BENCH_IDLE", "20"))
DELIVERIES = int(os.environ.get("BENCH_DELIVERIES", "200"))
RATE = float(os.environ.get("BENCH_RATE", "20"))
HEARTBEAT = int(os.environ.get("BENCH_HEARTBEAT", "900"))
RAMP = int(os.environ.get("BENCH_RAMP", "2000"))
SETUP_CONC = int(os.environ.get("BENCH_SETUP_CONCURRENCY", "64"))
SETTLE_MS = int(os.environ.get("BENCH_SETTLE_MS", "2000"))
READY_TIMEOUT = float(os.environ.get("BENCH_READY_TIMEOUT", "600"))
HOLD_S = float(os.environ.get("BENCH_HOLD", "0"))
SYNC_ON_WAKE = os.environ.get("BENCH_SYNC", "1") == "1"
EMPTY_PING = os.environ.get("BENCH_EMPTY_PING", "0") == "1"
SEED = int(os.environ.get("BENCH_SEED", "20240601"))
WAKE_WINDOW = 5.0
QUIET_S = None                       # main(): BENCH_QUIET or EASDBPoolTimeout + 3
CONF = os.environ.get("BENCH_CONF", os.path.join(TOP, "conf", "push-10k.conf"))
JSON_OUT = os.environ.get("BENCH_JSON", os.path.join(TOP, "build", "bench-push.json"))
BENCH_DIR = os.environ.get("BENCH_DIR", "/var/tmp/mod_eas-bench")
QUIET_TIMEOUT = float(os.environ.get("BENCH_QUIET_TIMEOUT", "300"))
PASSWORD = "push-secret-1"
CLK_TCK = os.sysconf("SC_CLK_TCK")
CPUS = os.cpu_count() or 1


class BenchError(Exception):
    pass


# ----------------------------------------------------------------------------------------------
# /proc
# ----------------------------------------------------------------------------------------------
def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return None


def proc_stat(pid):
    """(ppid, utime+stime, cutime+cstime) in seconds, or None when the process is gone. Process
    totals: all threads, live and exited."""
    s = read(f"/proc/{pid}/stat")
    if not s:
        return None
    rest = s[s.rindex(")") + 2:].split()     # rest[0] is field 3 (state)
    return (int(rest[1]), (int(rest[11]) + int(rest[12])) / CLK_TCK,
            (int(rest[13]) + int(rest[14])) / CLK_TCK)


def all_stats():
    out = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            st = proc_stat(int(d))
            if st:
                out[int(d)] = st
    return out


def postmaster_pid(stack):
    with open(os.path.join(stack.pg_data, "postmaster.pid")) as f:
        return int(f.readline().strip())


def trees(stack, stats=None):
    """{"httpd": [root, children...], "postgres": [postmaster, children...]}"""
    stats = stats or all_stats()
    out = {}
    for name, root in (("httpd", stack.httpd_pid()), ("postgres", postmaster_pid(stack))):
        out[name] = [root] + sorted(p for p, st in stats.items() if st[0] == root) \
            if root in stats else []
    return out


def cpu_snapshot(stack):
    """CPU seconds of the httpd and PostgreSQL trees: every live process (all threads) plus what
    the roots already reaped (cutime+cstime); clock-tick resolution (1/CLK_TCK s)."""
    stats = all_stats()
    out = {"t": time.monotonic()}
    for name, pids in trees(stack, stats).items():
        out[name] = sum(stats[p][1] for p in pids) + (stats[pids[0]][2] if pids else 0)
        out[name + "_procs"] = len(pids)
    return out


def cpu_delta(a, b):
    wall = b["t"] - a["t"]
    d = {"wall_s": wall}
    for name in ("httpd", "postgres"):
        d[name + "_s"] = b[name] - a[name]
        d[name + "_pct_core"] = 100 * d[name + "_s"] / wall if wall else None
    d["total_s"] = d["httpd_s"] + d["postgres_s"]
    d["total_pct_core"] = 100 * d["total_s"] / wall if wall else None
    d["total_pct_machine"] = d["total_pct_core"] / CPUS if wall else None
    return d


def status_kb(pid, field):
    s = read(f"/proc/{pid}/status") or ""
    m = re.search(rf"^{field}:\s+(\d+)", s, re.M)
    return int(m.group(1)) if m else 0


def pss_kb(pid):
    s = read(f"/proc/{pid}/smaps_rollup") or ""
    m = re.search(r"^Pss:\s+(\d+) kB", s, re.M)
    return int(m.group(1)) if m else 0


def smaps_classes(pid, stack_kb):
    """Rss (kB) of a process by kind of mapping: "stacks" (anonymous, the size of a thread stack
    less its guard page), "heap" (brk heap, malloc arenas and every other anonymous mapping),
    "files" (code, data, the shared scoreboard)."""
    out = {"stacks": 0, "heap": 0, "files": 0}
    kind = None
    try:
        with open(f"/proc/{pid}/smaps", errors="replace") as f:
            for ln in f:
                if ln[0] in "0123456789abcdef" and "-" in ln.split(" ", 1)[0]:
                    parts = ln.split()
                    lo, hi = (int(x, 16) for x in parts[0].split("-"))
                    path = parts[5] if len(parts) > 5 else ""
                    size_kb = (hi - lo) // 1024
                    if path.startswith("/") or path.startswith("[v"):
                        kind = "files"
                    elif path == "[stack]" or (not path and abs(size_kb - stack_kb) <= 8):
                        kind = "stacks"
                    else:
                        kind = "heap"
                elif ln.startswith("Rss:") and kind:
                    out[kind] += int(ln.split()[1])
    except OSError:
        pass
    return out


def mem_snapshot(stack, stack_kb):
    """Per httpd process VmRSS, Pss (a shared page is split between its sharers, so sums add up),
    thread count and Rss by kind of mapping; PostgreSQL's total Pss for reference."""
    tr = trees(stack)
    procs = [dict(pid=p, rss_kb=status_kb(p, "VmRSS"), pss_kb=pss_kb(p),
                  threads=status_kb(p, "Threads"), role="parent" if i == 0 else "child",
                  rss_by_kind_kb=smaps_classes(p, stack_kb))
             for i, p in enumerate(tr["httpd"])]
    return dict(httpd_rss_kb=sum(p["rss_kb"] for p in procs),
                httpd_pss_kb=sum(p["pss_kb"] for p in procs),
                httpd_threads=sum(p["threads"] for p in procs),
                httpd_rss_by_kind_kb={k: sum(p["rss_by_kind_kb"][k] for p in procs)
                                      for k in ("stacks", "heap", "files")},
                httpd_procs=procs,
                postgres_pss_kb=sum(pss_kb(p) for p in tr["postgres"]),
                postgres_procs=len(tr["postgres"]))


def fd_limit(pid):
    s = read(f"/proc/{pid}/limits") or ""
    m = re.search(r"^Max open files\s+(\d+|unlimited)\s+(\d+|unlimited)", s, re.M)
    return m.group(1) if m else "?"


# ----------------------------------------------------------------------------------------------
# the server's configuration and limits
# ----------------------------------------------------------------------------------------------
def conf_value(text, name, default=None):
    m = None
    for m in re.finditer(rf"^\s*{name}\s+(\S+)", text, re.M | re.I):
        pass
    return m.group(1) if m else default


def check_limits(conf_text):
    """Raise RLIMIT_NOFILE to the hard limit (httpd's children inherit it through runuser) and
    compare the machine's limits with what the configuration and the device count need."""
    tpc = int(conf_value(conf_text, "ThreadsPerChild", "25"))
    servers = int(conf_value(conf_text, "ServerLimit", "1"))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or hard > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    pid_max = int(read("/proc/sys/kernel/pid_max") or 0)
    threads_now = sum(int(status_kb(int(d), "Threads")) for d in os.listdir("/proc") if d.isdigit())
    somaxconn = int(read("/proc/sys/net/core/somaxconn") or 0)
    ports = (read("/proc/sys/net/ipv4/ip_local_port_range") or "0 0").split()
    lim = dict(nofile_soft=soft, nofile_hard=hard, pid_max=pid_max, threads_before=threads_now,
               somaxconn=somaxconn, ephemeral_ports=int(ports[1]) - int(ports[0]) + 1,
               threads_needed=servers * (tpc + 3), threads_per_child=tpc, server_limit=servers,
               mem_total_kb=status_kb_meminfo("MemTotal"))
    warn = []
    # a child may accept up to ThreadsPerChild connections and more (AsyncRequestWorkerFactor)
    if soft != resource.RLIM_INFINITY and soft < min(N_DEVICES, tpc) + 200:
        warn.append(f"RLIMIT_NOFILE {soft} is below what one httpd child may need "
                    f"({min(N_DEVICES, tpc) + 200}); raise the hard limit (ulimit -Hn)")
    if soft != resource.RLIM_INFINITY and soft < N_DEVICES + SETUP_CONC + 64:
        warn.append(f"RLIMIT_NOFILE {soft} is below what ping_load needs for {N_DEVICES} devices")
    if pid_max and threads_now + lim["threads_needed"] > pid_max:
        warn.append(f"kernel.pid_max {pid_max} < {threads_now} threads running + "
                    f"{lim['threads_needed']} httpd threads")
    if lim["ephemeral_ports"] < 2 * N_DEVICES:
        warn.append(f"only {lim['ephemeral_ports']} ephemeral ports for {N_DEVICES} devices "
                    "(connections of the setup linger in TIME_WAIT)")
    lim["warnings"] = warn
    for w in warn:
        print(f"WARNING: {w}", file=sys.stderr)
    return lim


def status_kb_meminfo(field):
    m = re.search(rf"^{field}:\s+(\d+)", read("/proc/meminfo") or "", re.M)
    return int(m.group(1)) if m else 0


def raise_httpd_fd_limit(stack):
    """httpd is started through runuser, whose pam_limits resets the soft RLIMIT_NOFILE to 1024
    whatever the caller had; the hard limit survives. Start apache2 through a shell that raises
    the soft limit to the hard one first (only for the apache2 command lines of this stack)."""
    orig = stack._as_user

    def as_user(argv):
        if argv and argv[0] == "/usr/sbin/apache2":
            argv = ["sh", "-c", 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"'] + list(argv)
        return orig(argv)
    stack._as_user = as_user


def wait_threads(stack, want, timeout=120):
    """Until every httpd child has started its worker threads (mpm_event starts all
    ThreadsPerChild at once, but 6,500 take a moment)."""
    deadline = time.monotonic() + timeout
    got = 0
    while time.monotonic() < deadline:
        tr = trees(stack)
        got = sum(status_kb(p, "Threads") for p in tr["httpd"][1:])
        if got >= want:
            return got
        time.sleep(0.5)
    return got


# ----------------------------------------------------------------------------------------------
# set-up
# ----------------------------------------------------------------------------------------------
def write_users(stack, n):
    """{SHA} entries (what htpasswd -s writes) appended after the demo user; mod_authn_file reads
    the file on every request, so httpd needs no restart."""
    digest = base64.b64encode(hashlib.sha1(PASSWORD.encode()).digest()).decode()
    path = os.path.join(stack.server_root, "conf", "users.htpasswd")
    with open(path, "a") as f:
        f.write("".join(f"push{i:05d}:{{SHA}}{digest}\n" for i in range(n)))
    return path


def snapshot_tools(dest):
    """Copy ping_load and easctl out of build/: another build may replace them while the
    benchmark runs (the modules are already copied into the stack's ServerRoot by Env.start)."""
    os.makedirs(dest, exist_ok=True)
    out = {}
    for name, rel in (("ping_load", "build/bench/ping_load"), ("easctl", "build/bin/easctl")):
        for attempt in range(50):
            try:
                shutil.copy2(os.path.join(TOP, rel), os.path.join(dest, name))
                break
            except OSError:
                if attempt == 49:
                    raise
                time.sleep(0.2)
        out[name] = os.path.join(dest, name)
    return out


class Tool:
    """ping_load as a child process; its stdout lines through a queue (so reads can time out),
    its stderr (progress, first errors) straight to ours."""

    def __init__(self, argv):
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                  bufsize=1)
        self.q = queue.Queue()
        self.lines = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self):
        for ln in self.p.stdout:
            self.q.put(ln.rstrip("\n"))
        self.q.put(None)

    def expect(self, prefixes, timeout):
        """The next line starting with one of prefixes; BenchError on EOF or timeout."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                ln = self.q.get(timeout=max(0.01, left))
            except queue.Empty:
                raise BenchError(f"ping_load: no {'/'.join(prefixes)} within {timeout:.0f} s")
            if ln is None:
                rc = self.p.wait()
                raise BenchError(f"ping_load exited ({rc}) before {'/'.join(prefixes)}")
            self.lines.append(ln)
            if ln.startswith(tuple(prefixes)):
                return ln
            print(f"ping_load: {ln}", flush=True)

    def stats(self):
        self.send("stats")
        return {k: int(v) for k, v in kv(self.expect(["STATS"], timeout=60)).items()}

    def send(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def stop(self):
        if self.p.poll() is None:
            self.p.kill()
        self.p.wait()


# 10,000 accounts in a password file: mod_authn_file reads it line by line on every request and
# copies each name it passes into the request's pool, which a held Ping keeps for its whole life
# (about 80 KiB per Ping at 10,000 lines). Production servers with that many users authenticate
# against a database or DBM file, or cache: the bench answers repeat logins from mod_authn_socache
# (shared memory), as docs/push.md recommends. BENCH_AUTHN_CACHE=0 measures the plain file.
AUTHN_CACHE = os.environ.get("BENCH_AUTHN_CACHE", "1") != "0"
AUTHN_CACHE_CONF = """LoadModule authn_socache_module {mods}/mod_authn_socache.so
LoadModule socache_shmcb_module {mods}/mod_socache_shmcb.so
AuthnCacheSOCache "shmcb:{run}/authn-cache(16777216)"
<Location /Microsoft-Server-ActiveSync>
    AuthBasicProvider socache file
    AuthnCacheProvideFor file
    AuthnCacheTimeout 3600
</Location>
"""


def authn_file_kb(n):
    """What mod_authn_file leaves in each held request's pool: it reads the password file line by
    line and copies every user name it passes into r->pool (ap_getword) until it finds the one it
    looks for. Our file is "demo" then push00000.. in order, so user i costs 8 + 16 * (i + 1)
    bytes (10-byte names, 8-byte pool alignment); the mean over all n users, in KiB. The pool
    lives as long as the Ping is held: an artefact of a 10,000-line htpasswd, not of mod_eas."""
    return (8 + 16 * (n + 1) / 2) / 1024


def stop_leftovers(pids, tag):
    """Env.stop finds the servers by their pid files; should those be gone, stop what we started
    by the pids noted at start (13,000 orphaned threads would starve the next run) — only while
    the pid still runs a command line naming our stack directory (tag)."""
    for name, pid in pids.items():
        cmd = read(f"/proc/{pid}/cmdline") if pid else None
        if not cmd or tag not in cmd:
            continue
        for sig, wait in ((15, 30), (9, 5)):
            try:
                os.kill(pid, sig)
            except OSError:
                break
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if not os.path.exists(f"/proc/{pid}"):
                    break
                time.sleep(0.2)
            else:
                continue
            break


def wait_quiet(tool, quiet_s, timeout):
    """Until ping_load has sent and received nothing for quiet_s seconds: (reached, stats)."""
    deadline = time.monotonic() + timeout
    last = tool.stats()
    since = time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(1.0)
        cur = tool.stats()
        if (cur["pings"], cur["responses"]) != (last["pings"], last["responses"]):
            since = time.monotonic()
        last = cur
        if time.monotonic() - since >= quiet_s:
            return True, cur
    return False, last


def kv(line):
    return dict(x.split("=", 1) for x in line.split()[1:] if "=" in x)


# ----------------------------------------------------------------------------------------------
def main():
    t_start = time.monotonic()
    with open(CONF) as f:
        conf_text = f.read()
    res = dict(params=dict(devices=N_DEVICES, idle_s=IDLE_S, deliveries=DELIVERIES, rate=RATE,
                           heartbeat=HEARTBEAT, ramp=RAMP, setup_concurrency=SETUP_CONC,
                           settle_ms=SETTLE_MS, sync_on_wake=SYNC_ON_WAKE, empty_ping=EMPTY_PING,
                           seed=SEED, wake_window_s=WAKE_WINDOW, cpus=CPUS, clk_tck=CLK_TCK,
                           conf=os.path.relpath(CONF, TOP), conf_text=conf_text),
               started=datetime.now(timezone.utc).isoformat(timespec="seconds"))
    for rel in ("build/bench/ping_load", "build/bin/easctl", "build/mod_eas.so"):
        if not os.path.exists(os.path.join(TOP, rel)):
            print(f"{rel} missing: run `make all build/bench/ping_load` first", file=sys.stderr)
            return 2
    res["limits"] = check_limits(conf_text)
    # a Ping queued for a database connection looks held until its 503 comes, at the latest after
    # EASDBPoolTimeout: the idle measurement starts once nothing moved for longer than that
    global QUIET_S
    QUIET_S = float(os.environ.get("BENCH_QUIET") or
                    int(conf_value(conf_text, "EASDBPoolTimeout", "5")) + 3)

    # not below /tmp/eas-test-*: a clean-up of stale test stacks must not take the benchmark's
    os.makedirs(BENCH_DIR, exist_ok=True)
    os.chmod(BENCH_DIR, 0o755)
    os.environ["EAS_TEST_DIR"] = BENCH_DIR
    env = Env()
    st = env.stack
    st.mpm_conf = conf_text.rstrip("\n")
    st.eas_loglevel = "info"          # the tests' debug level logs a line per request
    if AUTHN_CACHE:
        env.extra_conf = AUTHN_CACHE_CONF.format(mods=APACHE_MODULES,
                                                 run=os.path.join(st.server_root, "run"))
    raise_httpd_fd_limit(st)
    ok = False
    tool = None
    watch = None
    failures = []
    pids = {}
    try:
        t = time.monotonic()
        env.start()
        pids = dict(httpd=st.httpd_pid(), postgres=postmaster_pid(st))
        res["quiet_s"] = QUIET_S
        watch = LogWatch(env.error_log)
        watch.pos = 0
        tools = snapshot_tools(os.path.join(env.tmp, "bin"))
        tpc = int(conf_value(conf_text, "ThreadsPerChild", "25"))
        stack_kb = int(conf_value(conf_text, "ThreadStackSize", "8388608")) // 1024
        nstart = int(conf_value(conf_text, "StartServers", "1"))
        threads = wait_threads(st, nstart * tpc)
        res["stack_start_s"] = time.monotonic() - t
        httpd_children = trees(st)["httpd"][1:]
        res["httpd_fd_limit"] = fd_limit(httpd_children[0]) if httpd_children else "?"
        print(f"stack: {st.url}  pg port {st.pg_port}  dir {env.tmp}; httpd {len(httpd_children)} "
              f"children, {threads} threads, open files limit {res['httpd_fd_limit']} "
              f"(started in {res['stack_start_s']:.1f} s)", flush=True)
        need = min(N_DEVICES, tpc) + 200
        if res["httpd_fd_limit"].isdigit() and int(res["httpd_fd_limit"]) < need:
            print(f"WARNING: httpd children may open only {res['httpd_fd_limit']} files; one "
                  f"child may need {need}", file=sys.stderr)

        t = time.monotonic()
        write_users(st, N_DEVICES)
        r = subprocess.run([tools["easctl"], "--db", st.conninfo, "policy", "set", "--global",
                            "AllowNonProvisionableDevices", "1"], capture_output=True, text=True)
        if r.returncode != 0:
            raise BenchError(f"easctl policy set failed: {r.stdout}{r.stderr}")
        res["users_s"] = time.monotonic() - t

        argv = [tools["ping_load"], "--port", str(st.http_port), "--password", PASSWORD,
                "--devices", str(N_DEVICES), "--db", st.conninfo, "--heartbeat", str(HEARTBEAT),
                "--setup-concurrency", str(SETUP_CONC), "--ramp-rate", str(RAMP),
                "--settle-ms", str(SETTLE_MS), "--ready-timeout", str(READY_TIMEOUT),
                "--idle-seconds", str(IDLE_S), "--deliveries", str(DELIVERIES),
                "--delivery-rate", str(RATE), "--wake-window", str(WAKE_WINDOW),
                "--hold-seconds", str(HOLD_S), "--seed", str(SEED), "--gate"]
        if not SYNC_ON_WAKE:
            argv.append("--no-sync")
        if EMPTY_PING:
            argv.append("--empty-ping")
        tool = Tool(argv)

        # --- setup (FolderSync of every device) ----------------------------------------------
        ln = tool.expect(["SETUP_DONE"], timeout=3600)
        res["setup"] = kv(ln)
        print(f"setup: {ln}", flush=True)
        time.sleep(1.0)                  # the last FolderSyncs finish their logging
        mem0 = mem_snapshot(st, stack_kb)
        res["memory_baseline"] = mem0
        cpu_go = cpu_snapshot(st)
        tool.send("go")

        # --- hold: the ramp ----------------------------------------------------------------------
        ln = tool.expect(["READY", "READY_TIMEOUT"], timeout=READY_TIMEOUT + 120)
        cpu_ready = cpu_snapshot(st)
        r = kv(ln)
        res["ready_line"] = ln
        res["ramp"] = dict(seconds=float(r.get("seconds", 0)), ping_requests=int(r.get("pings", 0)),
                           http_503=int(r.get("http_503", 0)), cpu=cpu_delta(cpu_go, cpu_ready))
        if res["ramp"]["ping_requests"]:
            res["ramp"]["server_cpu_ms_per_ping_request"] = (
                1000 * res["ramp"]["cpu"]["total_s"] / res["ramp"]["ping_requests"])
        print(f"hold: {ln}", flush=True)

        # --- quiet: the last retries and database waits of the ramp are over -------------------
        t = time.monotonic()
        quiet, stats0 = wait_quiet(tool, QUIET_S, QUIET_TIMEOUT)
        res["quiet"] = dict(reached=quiet, needed_s=QUIET_S, waited_s=time.monotonic() - t)
        if not quiet:
            print(f"WARNING: ping_load still sent or received requests {QUIET_TIMEOUT:.0f} s "
                  "after READY; measuring anyway", file=sys.stderr)
        held = stats0["held"]

        # --- idle ----------------------------------------------------------------------------
        mem1 = mem_snapshot(st, stack_kb)
        cpu0 = cpu_snapshot(st)
        time.sleep(IDLE_S)
        cpu1 = cpu_snapshot(st)
        stats1 = tool.stats()
        mem2 = mem_snapshot(st, stack_kb)
        tool.send("deliver")
        ln = tool.expect(["IDLE_END"], timeout=120)
        res["memory_held"] = mem1
        res["memory_after_idle"] = mem2
        res["idle_end_line"] = ln
        res["idle_cpu"] = cpu_delta(cpu0, cpu1)
        res["idle_cpu"]["client_activity"] = {k: stats1[k] - stats0[k] for k in stats0}
        res["idle_cpu"]["quiet"] = (stats1["pings"] == stats0["pings"] and
                                    stats1["responses"] == stats0["responses"])
        res["idle_cpu"]["per_1000_held_ms_per_s"] = (
            1000 * res["idle_cpu"]["total_s"] * 1000 / res["idle_cpu"]["wall_s"] / held
            if held else None)
        d_rss = mem1["httpd_rss_kb"] - mem0["httpd_rss_kb"]
        d_pss = mem1["httpd_pss_kb"] - mem0["httpd_pss_kb"]
        res["memory_per_held"] = dict(
            held=held,
            rss_delta_kb=d_rss, pss_delta_kb=d_pss,
            rss_delta_per_held_kb=d_rss / held if held else None,
            pss_delta_per_held_kb=d_pss / held if held else None,
            rss_total_per_held_kb=mem1["httpd_rss_kb"] / held if held else None,
            pss_total_per_held_kb=mem1["httpd_pss_kb"] / held if held else None,
            postgres_pss_delta_kb=mem1["postgres_pss_kb"] - mem0["postgres_pss_kb"],
            authn_file_per_held_kb=(authn_file_kb(N_DEVICES)
                                    if held == N_DEVICES and not AUTHN_CACHE else None),
            rss_delta_per_held_by_kind_kb={
                k: (mem1["httpd_rss_by_kind_kb"][k] - mem0["httpd_rss_by_kind_kb"][k]) / held
                if held else None for k in ("stacks", "heap", "files")})
        print(f"idle: {IDLE_S:.0f} s with {held} held Pings: server CPU "
              f"{res['idle_cpu']['total_pct_core']:.2f}% of one core"
              + ("" if res["idle_cpu"]["quiet"] else
                 f" (NOT quiet: {res['idle_cpu']['client_activity']})"), flush=True)

        # --- deliveries ------------------------------------------------------------------------
        ln = tool.expect(["DELIVER_END"], timeout=DELIVERIES / RATE + WAKE_WINDOW + 300)
        cpu2 = cpu_snapshot(st)
        res["deliver_cpu"] = cpu_delta(cpu1, cpu2)
        ln = tool.expect(["{"], timeout=HOLD_S + 120)
        summary = json.loads(ln)
        res["load"] = summary
        tool.p.wait(timeout=60)
        res["ping_load_rc"] = tool.p.returncode

        # --- verdict -------------------------------------------------------------------------
        if not summary.get("ready"):
            failures.append(f"not every device held a Ping: held {held} of {N_DEVICES} "
                            f"(max {summary.get('max_held')})")
        if summary.get("held_at_ready", 0) < N_DEVICES:
            failures.append(f"held {summary.get('held_at_ready')} < {N_DEVICES} devices")
        for key in ("errors", "missed_wakes", "wrong_wakes", "wrong_folder_wakes"):
            if summary.get(key):
                failures.append(f"{key}: {summary[key]}")
        if summary.get("deliveries", 0) != DELIVERIES:
            failures.append(f"{summary.get('deliveries')} of {DELIVERIES} deliveries made")
        if SYNC_ON_WAKE and summary.get("sync_adds") != summary.get("deliveries"):
            failures.append(f"the Syncs after the wakes fetched {summary.get('sync_adds')} "
                            f"messages, {summary.get('deliveries')} were delivered")
        if (summary.get("wrong_wakes") or summary.get("missed_wakes")) and not SYNC_ON_WAKE:
            failures.append("(BENCH_SYNC=0: devices never Sync, but mod_eas reports a folder as "
                            "changed while a Sync would send something)")
        if res["ping_load_rc"] != 0:
            failures.append(f"ping_load exit status {res['ping_load_rc']}")
        ok = not failures
    except BenchError as e:
        failures.append(str(e))
    finally:
        if tool:
            tool.stop()
        lines = watch.new_lines() if watch else []
        bad = [ln for ln in lines if LogWatch.BAD.search(ln)]
        res["error_log"] = dict(lines=len(lines), error_or_warn=len(bad), examples=bad[:20],
                                bytes=os.path.getsize(env.error_log)
                                if os.path.exists(env.error_log) else 0)
        pg_bad = []
        if os.path.exists(st.pg_log):
            with open(st.pg_log, errors="replace") as f:
                pg_bad = [ln.rstrip() for ln in f
                          if re.search(r"\b(WARNING|ERROR|FATAL|PANIC):", ln)]
        res["postgresql_log"] = dict(warning_or_error=len(pg_bad), examples=pg_bad[:10])
        res["failures"] = failures
        res["ok"] = ok
        res["total_run_s"] = time.monotonic() - t_start
        try:
            env.stop()
            stop_leftovers(pids, env.tmp)
        finally:
            os.makedirs(os.path.dirname(JSON_OUT), exist_ok=True)
            with open(JSON_OUT, "w") as f:
                json.dump(res, f, indent=2, ensure_ascii=False, default=str)
    if "load" in res:
        print_table(res)
    print(f"JSON: {JSON_OUT}")
    if failures:
        print("\n*** PUSH BENCHMARK FAILED ***", file=sys.stderr)
        for x in failures:
            print(f"  {x}", file=sys.stderr)
        print(f"error_log: {len(lines)} lines, {len(bad)} error/warn; last 40:", file=sys.stderr)
        for ln in lines[-40:]:
            print("  " + ln[:300], file=sys.stderr)
        for ln in pg_bad[-10:]:
            print("  pg: " + ln[:300], file=sys.stderr)
        return 1
    return 0


def print_table(res):
    p, ld, m = res["params"], res["load"], res["memory_per_held"]
    m0, m1, ic, dc = res["memory_baseline"], res["memory_held"], res["idle_cpu"], res["deliver_cpu"]
    lat = ld["latency_ms"]
    print()
    print(f"mod_eas Direct Push benchmark — {p['devices']} devices, one held Ping each "
          f"(heartbeat {p['heartbeat']} s), {p['conf']}, {p['cpus']} CPUs")
    rp = res["ramp"]
    su = ld["setup"]
    print(f"setup: FolderSync + Sync of {su['ok']} devices in {su['seconds']:.1f} s "
          f"({su['ok'] / max(su['seconds'], 1e-9):.0f}/s, {su['http_503']} x 503)")
    print(f"ramp: Pings started at {p['ramp']}/s, all held after {rp['seconds']:.1f} s: "
          f"{rp['ping_requests']} Ping requests, {rp['http_503']} x 503 "
          f"(by Retry-After: {ld['http_503_by_retry_after']}); server CPU from the first Ping to "
          f"READY {rp['cpu']['total_s']:.1f} s (PostgreSQL {rp['cpu']['postgres_s']:.1f} s) = "
          f"{rp.get('server_cpu_ms_per_ping_request', 0):.2f} ms per Ping request; quiet "
          f"{res['quiet']['waited_s']:.0f} s later")

    def row(label, value):
        print(f"  {label:44}{value:>18}")
    print("-" * 64)
    row("Pings held (at the measurement / max)", f"{m['held']} / {ld['max_held']}")
    row("httpd processes / threads", f"{len(m1['httpd_procs'])} / {m1['httpd_threads']}")
    row("httpd RSS before / with held Pings (MiB)",
        f"{m0['httpd_rss_kb'] / 1024:.0f} / {m1['httpd_rss_kb'] / 1024:.0f}")
    row("httpd Pss before / with held Pings (MiB)",
        f"{m0['httpd_pss_kb'] / 1024:.0f} / {m1['httpd_pss_kb'] / 1024:.0f}")
    if m["held"]:
        row("RSS added per held Ping (KiB)", f"{m['rss_delta_per_held_kb']:.1f}")
        bk = m["rss_delta_per_held_by_kind_kb"]
        row("  of which thread stacks / heap / files", f"{bk['stacks']:.1f} / {bk['heap']:.1f} / "
            f"{bk['files']:.1f}")
        if m.get("authn_file_per_held_kb") is not None:
            row("  of the heap: mod_authn_file's scan (est.)", f"{m['authn_file_per_held_kb']:.1f}")
            row("RSS added per held Ping without it (KiB)",
                f"{m['rss_delta_per_held_kb'] - m['authn_file_per_held_kb']:.1f}")
        row("Pss added per held Ping (KiB)", f"{m['pss_delta_per_held_kb']:.1f}")
        row("httpd RSS total / held Ping (KiB)", f"{m['rss_total_per_held_kb']:.1f}")
        row("httpd Pss total / held Ping (KiB)", f"{m['pss_total_per_held_kb']:.1f}")
    row("PostgreSQL Pss added (MiB)", f"{m['postgres_pss_delta_kb'] / 1024:.1f}")
    row(f"idle CPU over {ic['wall_s']:.0f} s, httpd (% of a core)", f"{ic['httpd_pct_core']:.2f}")
    if not ic["quiet"]:
        row("  NOT quiet: requests during the idle window", f"{ic['client_activity']['pings']}")
    row("idle CPU, PostgreSQL (% of a core)", f"{ic['postgres_pct_core']:.2f}")
    row(f"idle CPU, total (% of {p['cpus']} cores)", f"{ic['total_pct_machine']:.3f}")
    row(f"deliveries ({ld['deliveries']} at {p['rate']:g}/s), woken", f"{ld['woken']}")
    row("wake latency p50 / p90 (ms)", f"{lat['p50']:.1f} / {lat['p90']:.1f}")
    row("wake latency p99 / max (ms)", f"{lat['p99']:.1f} / {lat['max']:.1f}")
    row("server CPU during deliveries (% of a core)", f"{dc['total_pct_core']:.1f}")
    row("held at deliveries / min during", f"{ld['held_at_deliveries']} / "
        f"{ld['min_held_during_deliveries']}")
    row("wrong / missed wakes", f"{ld['wrong_wakes']} / {ld['missed_wakes']}")
    row("Ping Status 1 / 2 / other", f"{ld['status_1']} / {ld['status_2']} / "
        f"{sum(ld['status_other'].values())}")
    row("HTTP 503 / other HTTP", f"{ld['http_503']} / {sum(ld['http_other'].values())}")
    if ld["http_503"]:
        row("  503 by Retry-After (1: held-Ping cap)",
            ", ".join(f"{k}: {v}" for k, v in ld["http_503_by_retry_after"].items()))
    row("errors (connection, timeout, protocol)", f"{ld['errors']}")
    row("ping_load CPU (s) / max RSS (MiB)",
        f"{ld['client_cpu_s']:.1f} / {ld['client_maxrss_kb'] / 1024:.0f}")
    print("-" * 64)
    per = ", ".join(f"{q['pid']}: {q['rss_kb'] / 1024:.0f} MiB RSS, {q['threads']} threads"
                    for q in m1["httpd_procs"] if q["role"] == "child")
    print(f"httpd children with held Pings: {per}")
    el, pl = res["error_log"], res["postgresql_log"]
    print(f"error_log: {el['error_or_warn']} error/warn lines among {el['lines']} "
          f"({el['bytes'] / 1e6:.1f} MB); postgresql.log: {pl['warning_or_error']} "
          f"WARNING/ERROR/FATAL lines")
    for ln in el["examples"][:5] + pl["examples"][:5]:
        print("  " + ln[:200])
    print(f"whole run: {res['total_run_s']:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
