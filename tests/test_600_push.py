"""Direct Push (MS-ASCMD 2.2.1.13 Ping, Sync Wait/HeartbeatInterval): every Ping status, wake-ups
through PostgreSQL LISTEN/NOTIFY that reach the right request and no other, superseding within and
across servers, client hang-ups, the per-child cap, graceful restart and a PostgreSQL restart while
Pings are held. Held requests run on a thread pool; latencies are asserted only as "answered within
a few seconds" (the benchmark measures them), never as performance thresholds."""
import itertools
import os
import shutil
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from pyeas.env import wait_for
from pyeas.mail import XML, Phone, deliver, message
from test_500_foldersync import create

_users = itertools.count(1)
POOL = ThreadPoolExecutor(max_workers=24)
# generous bounds for "promptly": a wake-up takes milliseconds, a loaded CI machine may be slow
PROMPT = 5


def ping_xml(hb=None, folders=()):
    parts = []
    if hb is not None:
        parts.append(f"<HeartbeatInterval>{hb}</HeartbeatInterval>")
    if folders is not None and folders != ():
        parts.append("<Folders>" + "".join(f"<Folder><Id>{f}</Id><Class>{c}</Class></Folder>"
                                           for f, c in folders) + "</Folders>")
    return f'{XML}<Ping xmlns="Ping:">{"".join(parts)}</Ping>'


def new_phone(env, synced=True, user=None, version="14.1"):
    if user is None:
        user = f"push{next(_users)}@example.org"
        env.add_user(user, "push-pw")
    ph = Phone(env, version, user=user, password="push-pw", prefix="PUSH")
    ph.foldersync()
    ph.inbox = ph.folder("Inbox")
    if synced:
        ph.sync_all(ph.inbox)
    ph.user = user
    return ph


def ping(ph, hb=60, folders=None, body=True, **kw):
    xml = ping_xml(hb, [(ph.inbox, "Email")] if folders is None else folders) if body else None
    return ph.cmd("Ping", xml, timeout=kw.pop("timeout", 120), **kw)


class Held:
    """A request running in the background, with the time it took."""

    def __init__(self, fn, *args, **kw):
        self.started = time.time()
        self.future = POOL.submit(self._run, fn, *args, **kw)

    def _run(self, fn, *args, **kw):
        r = fn(*args, **kw)
        self.ended = time.time()
        return r

    def done(self):
        return self.future.done()

    def result(self, timeout=PROMPT):
        return self.future.result(timeout)


def hold(ph, **kw):
    """Starts a Ping and waits until the server holds it (its hold is recorded)."""
    before = held_seq(ph)
    h = Held(ping, ph, **kw)
    assert wait_for(lambda: held_seq(ph) > before or h.done(), 10)
    assert not h.done(), h.result().resp
    time.sleep(0.2)   # joined the hub before the hold was taken; the check after it is quick
    return h


def held_seq(ph):
    v = ph.env.psql("SELECT coalesce(max(p.hold_seq), 0) FROM ping_states p JOIN devices d "
                    f"ON d.id = p.device_pk WHERE d.device_id = '{ph.dev}'")
    return int(v or 0)


def status(r):
    assert r.status == 200, r.resp
    return r.text("Status")


def folders_of(r):
    f = r.doc.find("Folders")
    return sorted(n.root.text for n in f.findall("Folder")) if f is not None else []


def end(ph):
    """Ends whatever the device holds (a Sync supersedes it)."""
    ph.sync(ph.inbox)


# --- request validation ---------------------------------------------------------------------

def test_ping_status_3_missing_parameters(env):
    ph = new_phone(env, synced=False)
    assert status(ping(ph, body=False)) == "3"                 # empty Ping, nothing remembered
    assert status(ping(ph, hb=60, folders=())) == "3"          # no folders remembered
    assert status(ping(ph, hb=None)) == "3"                    # no heartbeat remembered


def test_ping_status_4_syntax(env):
    ph = new_phone(env, synced=False)
    assert status(ping(ph, hb="soon")) == "4"
    r = ph.cmd("Ping", f'{XML}<Ping xmlns="Ping:"><HeartbeatInterval>60</HeartbeatInterval>'
               "<Folders/></Ping>")
    assert status(r) == "4"
    r = ph.cmd("Ping", f'{XML}<Ping xmlns="Ping:"><Folders><Folder><Class>Email</Class></Folder>'
               "</Folders></Ping>")
    assert status(r) == "4"
    r = ph.cmd("Ping", f'{XML}<Sync xmlns="AirSync:"/>', check_schema=False)
    assert r.status == 200 and r.doc.root.tag == "{Ping:}Ping" and r.text("Status") == "4"


def test_ping_status_5_heartbeat_bounds_with_limit(env):
    ph = new_phone(env, synced=False)
    r = ping(ph, hb=30)
    assert status(r) == "5" and r.text("HeartbeatInterval") == "60"
    r = ping(ph, hb=4000)
    assert status(r) == "5" and r.text("HeartbeatInterval") == "1800"


def test_ping_status_6_too_many_folders(env):
    ph = new_phone(env, synced=False)
    r = ping(ph, folders=[(str(1000 + i), "Email") for i in range(201)])
    assert status(r) == "6" and r.text("MaxFolders") == "200"


def test_ping_status_7_hierarchy(env):
    ph = new_phone(env, synced=False)
    assert status(ping(ph, folders=[("987654321", "Email")])) == "7"    # not a folder of the user
    # a device that never did FolderSync
    fresh = Phone(env, "14.1", user=ph.user, password="push-pw", prefix="PUSH")
    fresh.inbox = ph.inbox
    assert status(ping(fresh)) == "7"


def test_held_ping_answers_7_when_the_hierarchy_changes(env):
    a = new_phone(env)
    b = new_phone(env, user=a.user)
    h = hold(a)
    assert create(b, "Projects").text("Status") == "1"
    r = h.result()
    assert status(r) == "7"
    # after a FolderSync the device is current again: the next Ping is held
    a.foldersync()
    h = hold(a)
    end(a)
    assert status(h.result()) == "1"


# --- wake-ups --------------------------------------------------------------------------------

def test_changes_before_the_ping_answer_at_once(env):
    ph = new_phone(env)
    deliver(env, ph.user, message(subject="while you were away"))
    t = time.time()
    r = ping(ph)
    assert status(r) == "2" and folders_of(r) == [ph.inbox]
    assert time.time() - t < PROMPT


def test_delivery_wakes_the_right_ping_and_no_other(env):
    a, b = new_phone(env), new_phone(env)
    ha, hb = hold(a), hold(b)
    t = time.time()
    deliver(env, a.user, message(subject="for a"))
    r = ha.result()
    assert status(r) == "2" and folders_of(r) == [a.inbox]
    assert ha.ended - t < PROMPT
    time.sleep(1)
    assert not hb.done()                                   # b's Ping was not woken
    deliver(env, b.user, message(subject="for b"))
    r = hb.result()
    assert status(r) == "2" and folders_of(r) == [b.inbox]


def test_write_to_an_unwatched_folder_does_not_wake(env):
    ph = new_phone(env)
    h = hold(ph)
    deliver(env, ph.user, message(subject="into sent"), folder="sent")
    time.sleep(1.5)
    assert not h.done()
    deliver(env, ph.user, message(subject="into inbox"))
    assert status(h.result()) == "2"


def test_spurious_notifications_never_give_status_2(env):
    ph = new_phone(env)
    h = hold(ph)
    uid = env.psql(f"SELECT id FROM users WHERE name = '{ph.user}'")
    for _ in range(3):   # a wake-up with nothing new for the device: it looks, then sleeps on
        env.psql(f"SELECT pg_notify('eas_changes', '{uid}:{ph.inbox}')")
        env.psql(f"SELECT pg_notify('eas_changes', '{uid}:hierarchy')")
    time.sleep(1.5)
    assert not h.done()
    deliver(env, ph.user, message(subject="real"))
    assert status(h.result()) == "2"


def test_change_by_another_device_of_the_user_wakes(env):
    a = new_phone(env, synced=False)
    deliver(env, a.user, message(subject="shared"))
    a.sync_all(a.inbox)
    b = new_phone(env, user=a.user, synced=False)
    sid = next(iter(b.sync_all(b.inbox)))
    h = hold(a)
    r = b.sync(b.inbox, commands=f"<Change><ServerId>{sid}</ServerId><ApplicationData>"
                                 "<email:Read>1</email:Read></ApplicationData></Change>")
    assert r.status == 200
    r = h.result()
    assert status(r) == "2" and folders_of(r) == [a.inbox]
    ch = a.sync(a.inbox).doc.findall("Collections/Collection/Commands/Change")
    assert len(ch) == 1 and ch[0].text("ApplicationData/Read") == "1"


def test_empty_ping_reuses_the_remembered_parameters(env):
    ph = new_phone(env)
    h = hold(ph, hb=120)
    deliver(env, ph.user, message(subject="one"))
    assert status(h.result()) == "2"
    ph.sync(ph.inbox)
    assert env.psql("SELECT heartbeat || ' ' || folders FROM ping_states p JOIN devices d "
                    f"ON d.id = p.device_pk WHERE d.device_id = '{ph.dev}'") == \
        f"120 {ph.inbox} Email"
    h = hold(ph, body=False)                 # empty Ping: same heartbeat and folders
    deliver(env, ph.user, message(subject="two"))
    r = h.result()
    assert status(r) == "2" and folders_of(r) == [ph.inbox]


# --- superseding, hang-ups, the cap -------------------------------------------------------------

def test_new_ping_or_sync_of_the_device_ends_the_held_one(env):
    ph = new_phone(env)
    first = hold(ph)
    second = hold(ph)
    r = first.result()
    assert status(r) == "1"                       # ended at once, not at its heartbeat
    assert first.ended - second.started < PROMPT
    assert not second.done()
    end(ph)                                       # a Sync ends it too
    assert status(second.result()) == "1"


def test_client_hangup_frees_the_thread(env, env_log):
    ph = new_phone(env)
    t = time.time()
    r = ping(ph, timeout=1)                       # curl gives up after a second and closes
    assert r.status == 0
    assert wait_for(lambda: any("client hung up while held" in ln and ph.dev in ln
                                for ln in env._current_watch.new_lines()), PROMPT)
    assert time.time() - t < PROMPT
    # the device's remembered state is intact: its next Ping works
    h = hold(ph)
    end(ph)
    assert status(h.result()) == "1"


def test_sync_heartbeat_is_held_and_woken(env):
    ph = new_phone(env)
    key = ph.keys[ph.inbox]
    xml = ph.sync_xml(ph.inbox, key).replace("</Collections>", "</Collections>"
                                             "<HeartbeatInterval>60</HeartbeatInterval>")
    h = Held(ph.cmd, "Sync", xml, timeout=120)
    time.sleep(1)
    assert not h.done()
    deliver(env, ph.user, message(subject="pushed by sync"))
    r = h.result()
    assert r.status == 200
    adds = r.doc.findall("Collections/Collection/Commands/Add")
    assert [a.text("ApplicationData/Subject") for a in adds] == ["pushed by sync"]


def test_sync_wait_12_1_and_status_4_and_14(env):
    ph = new_phone(env, version="12.1")
    base = ph.sync_xml(ph.inbox, ph.keys[ph.inbox])
    both = base.replace("</Collections>", "</Collections><Wait>5</Wait>"
                        "<HeartbeatInterval>300</HeartbeatInterval>")
    r = ph.cmd("Sync", both)
    assert r.text("Status") == "4"
    r = ph.cmd("Sync", base.replace("</Collections>", "</Collections><Wait>60</Wait>"))
    assert r.text("Status") == "14" and r.text("Limit") == "30"
    r = ph.cmd("Sync", base.replace("</Collections>", "</Collections>"
                                    "<HeartbeatInterval>10</HeartbeatInterval>"))
    assert r.text("Status") == "14" and r.text("Limit") == "60"
    h = Held(ph.cmd, "Sync", base.replace("</Collections>", "</Collections><Wait>1</Wait>"),
             timeout=120)
    time.sleep(1)
    assert not h.done()
    deliver(env, ph.user, message(subject="waited for"))
    r = h.result()
    assert [a.text("ApplicationData/Subject")
            for a in r.doc.findall("Collections/Collection/Commands/Add")] == ["waited for"]


def test_quiet_sync_keeps_its_key_and_answers_empty(env):
    ph = new_phone(env)
    key = ph.keys[ph.inbox]
    r = ph.sync(ph.inbox)
    assert r.status == 200 and r.resp.body == b""          # MS-ASCMD 4.5.10
    assert ph.keys[ph.inbox] == key
    deliver(env, ph.user, message(subject="after quiet"))
    r = ph.sync(ph.inbox)                                   # the unchanged key still works
    assert [a.text("ApplicationData/Subject")
            for a in r.doc.findall("Collections/Collection/Commands/Add")] == ["after quiet"]


def test_heartbeat_and_cap_directives(env, env_log):
    env_log.allow(r"EAS00042: Ping refused: this process holds as many Pings")
    mpm = env.stack.mpm_conf
    # one child (ServerLimit cannot change on a restart; MaxRequestWorkers caps the children)
    env.stack.mpm_conf = ("StartServers 1\nServerLimit 4\nThreadsPerChild 25\n"
                          "MaxRequestWorkers 25\nMinSpareThreads 1\nMaxSpareThreads 25")
    try:
        env.set_conf("EASHeartbeatMin 2\nEASHeartbeatMax 40\nEASPingMaxFolders 3\n"
                     "EASPingMaxHeld 2\n")
        ph = new_phone(env)
        r = ping(ph, hb=1)
        assert status(r) == "5" and r.text("HeartbeatInterval") == "2"
        r = ping(ph, hb=41)
        assert status(r) == "5" and r.text("HeartbeatInterval") == "40"
        r = ping(ph, hb=10, folders=[(ph.inbox, "Email")] * 4)
        assert status(r) == "6" and r.text("MaxFolders") == "3"
        t = time.time()
        assert status(ping(ph, hb=2)) == "1"                  # the heartbeat expires
        assert 1.5 < time.time() - t < 2 + PROMPT
        xml = ph.sync_xml(ph.inbox, ph.keys[ph.inbox]).replace(
            "</Collections>", "</Collections><HeartbeatInterval>2</HeartbeatInterval>")
        t = time.time()
        r = ph.cmd("Sync", xml)
        assert r.status == 200 and r.resp.body == b""         # expired without changes
        assert time.time() - t > 1.5
        # two held Pings fill this child; the third device is told to come back later
        others = [new_phone(env) for _ in range(3)]
        held = [hold(o, hb=30) for o in others[:2]]
        r = ping(others[2], hb=30)
        assert r.status == 503 and r.resp.header("Retry-After") == "1"
        assert any("EAS00042" in ln and others[2].dev in ln
                   for ln in env._current_watch.new_lines())
        for o, h in zip(others, held):
            end(o)
            assert status(h.result()) == "1"
    finally:
        env.stack.mpm_conf = mpm
        env.set_conf("")


# --- restarts and several servers ---------------------------------------------------------------

def test_graceful_restart_releases_held_pings(env):
    phones = [new_phone(env) for _ in range(3)]
    held = [hold(ph) for ph in phones]
    t = time.time()
    env.stack.httpd_graceful()
    for h in held:
        assert status(h.result(timeout=15)) == "1"
        assert h.ended - t < PROMPT
    # the devices Ping the new generation, which pushes as before
    h = hold(phones[0])
    deliver(env, phones[0].user, message(subject="after graceful"))
    assert status(h.result()) == "2"


def test_postgres_restart_while_pings_are_held(env, env_log):
    env_log.allow(r"EAS0005[012]: push listener", r"EAS00101: cannot connect to PostgreSQL",
                  r"EAS00030: database (unavailable|lost)")
    phones = [new_phone(env) for _ in range(2)]
    held = [hold(ph) for ph in phones]
    env.stack.pg_stop()
    try:
        time.sleep(1)
        assert not any(h.done() for h in held)        # nothing is answered wrongly meanwhile
    finally:
        env.stack.pg_start()
    # the listeners reconnect (back-off), held Pings re-check and keep waiting
    time.sleep(1)
    assert wait_for(lambda: sum("EAS00052" in ln for ln in open(env.error_log)) > 0, 30)
    deliver(env, phones[0].user, message(subject="after the restart"))
    r = held[0].result(timeout=15)
    assert status(r) == "2"
    assert not held[1].done()
    end(phones[1])
    assert status(held[1].result(timeout=15)) == "1"


@pytest.fixture
def second_server(env):
    from eas_stack import Stack
    st = Stack(os.path.join(env.tmp, "var2"), pg_port=env.stack.pg_port, fast=True,
               eas_loglevel="debug", port_base=env.stack.http_port + 7)
    st.write_httpd_conf()

    def sync_users():   # the same accounts on both front ends (mod_authn_file reads per request)
        shutil.copyfile(os.path.join(env.stack.server_root, "conf", "users.htpasswd"),
                        os.path.join(st.server_root, "conf", "users.htpasswd"))
        st._chown(st.server_root)
    st.sync_users = sync_users
    sync_users()
    st.httpd_start()
    yield st
    st.httpd_stop()
    log = os.path.join(st.server_root, "logs", "error_log")
    bad = [ln for ln in open(log) if "[error]" in ln or ":error]" in ln or ":warn]" in ln]
    assert not bad, "second server logged:\n" + "".join(bad)


def test_two_servers_on_one_database_push_across(env, second_server):
    other = second_server.url
    ph = new_phone(env)
    second_server.sync_users()
    # held on server 2, woken by a delivery committed anywhere
    h = hold(ph, base=other)
    deliver(env, ph.user, message(subject="across"))
    r = h.result()
    assert status(r) == "2" and folders_of(r) == [ph.inbox]
    ph.sync(ph.inbox)
    # held on server 1, superseded by the device's next Ping on server 2
    first = hold(ph)
    second = hold(ph, base=other)
    assert status(first.result()) == "1"
    assert not second.done()
    ph.sync(ph.inbox, base=other)
    assert status(second.result()) == "1"


def test_ping_status_8_on_a_database_error(env, env_log):
    env_log.allow(r"EAS00043: Ping failed, answered with its error status")
    ph = new_phone(env)
    env.psql("ALTER TABLE ping_states RENAME TO ping_states_away")
    try:
        r = ping(ph, body=False)          # needs the remembered parameters: the query fails
        assert status(r) == "8"
    finally:
        env.psql("ALTER TABLE ping_states_away RENAME TO ping_states")
    assert any("EAS00043" in ln and ph.dev in ln for ln in env._current_watch.new_lines())
    h = hold(ph)                          # and the next one works again
    end(ph)
    assert status(h.result()) == "1"
