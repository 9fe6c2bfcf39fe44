"""The console's overview page (docs/console.md) over curl: device counts by state, users and
held Pings as the database has them, the requests-per-hour chart against command_stats (48 bars,
the current hour's count), /api/overview, the 30-day purge done by the first request of an hour,
and that an unknown command cannot add rows."""
import json
import re

import pytest

from pyeas.env import b64_query, wait_for
from pyeas.mail import Phone
from test_600_push import Held, end, held_seq, ping
from pyeas.console import location_conf

ADMIN, ADMIN_PW = "ovadmin", "overview-secret-1"
PHONE_USER, PHONE_PW = "ovphone", "ovphone-secret-1"
HOURS = 48


@pytest.fixture(scope="module")
def overview(env):
    env.add_user(ADMIN, ADMIN_PW)
    env.add_user(PHONE_USER, PHONE_PW)
    env.set_conf(location_conf(env, ADMIN))
    ph = Phone(env, "14.1", user=PHONE_USER, password=PHONE_PW, prefix="OVW")
    ph.foldersync()
    ph.inbox = ph.folder("Inbox")
    ph.sync_all(ph.inbox)
    yield env, ph
    env.set_conf("")


def get(env, path):
    return env.curl("/eas-admin" + path, user=ADMIN, password=ADMIN_PW)


def page(env):
    r = get(env, "/")
    assert r.status == 200 and r.header("Content-Type").startswith("text/html"), r.body[:500]
    return r.body.decode()


def api(env):
    r = get(env, "/api/overview")
    assert r.status == 200 and r.header("Content-Type").startswith("application/json")
    return json.loads(r.body)


def number(html, ident):
    m = re.search(rf'id="{ident}"[^>]*>(?:<a [^>]*>)?(\d+)<', html)
    assert m, ident
    return int(m.group(1))


def bars(html):
    """[(hour, total)] of the chart, oldest first."""
    svg = re.search(r'<svg id="syncs-chart".*?</svg>', html, re.S)
    assert svg
    return [(h, int(n)) for h, n in
            re.findall(r'<g class="bar" data-hour="([^"]+)" data-total="(\d+)">', svg.group(0))]


def current_hour(env):
    return env.psql("SELECT to_char(date_trunc('hour', now(), 'UTC') AT TIME ZONE 'UTC', "
                    "'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')")


def stats_sum(env, hour, command=None):
    cond = f" AND command = '{command}'" if command else ""
    return int(env.psql(f"SELECT coalesce(sum(n), 0) FROM command_stats "
                        f"WHERE hour = '{hour}'::timestamptz{cond}"))


POLICY = ("CASE WHEN d.policy_key IS NULL THEN 'unprovisioned' WHEN d.pending_policy_key IS NOT "
          "NULL THEN 'pending' WHEN d.policy_generation IS DISTINCT FROM g.last_value THEN "
          "'changed' ELSE 'current' END")


def test_counts_match_the_database(overview):
    env, _ = overview
    html = page(env)
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert number(html, "device-total") == int(env.psql("SELECT count(*) FROM devices")) >= 1
    assert number(html, "user-total") == int(env.psql("SELECT count(*) FROM users"))
    assert number(html, "held-pings") == int(env.psql(
        "SELECT count(*) FROM ping_states WHERE held"))
    want = {
        "access": ("allow", "block", "quarantine", "access_state"),
        "wipe": ("none", "requested", "sent", "acknowledged", "wipe_state"),
        "policy": ("current", "changed", "pending", "unprovisioned", POLICY),
    }
    for kind, spec in want.items():
        *states, expr = spec
        for state in states:
            n = int(env.psql(f"SELECT count(*) FROM devices d, policy_generation g "
                             f"WHERE {expr} = '{state}'"))
            assert number(html, f"count-{kind}-{state}") == n, (kind, state)
            # each count links to the device list filtered by that state
            assert f'id="count-{kind}-{state}"><a href="/eas-admin/devices?state={state}">' in html
    # the phone is provisioned and allowed: the counts are not all zero
    assert number(html, "count-access-allow") >= 1 and number(html, "count-policy-current") >= 1


def test_state_change_shows(overview):
    env, ph = overview
    before = number(page(env), "count-access-block")
    assert env.easctl("device", "block", ph.dev, "--user", PHONE_USER).returncode == 0
    try:
        html = page(env)
        assert number(html, "count-access-block") == before + 1
        # the link leads to a list that shows the device
        r = get(env, "/devices?state=block")
        assert f'data-device="{ph.dev}"'.encode() in r.body
    finally:
        assert env.easctl("device", "access-clear", ph.dev, "--user", PHONE_USER).returncode == 0


def test_chart_is_command_stats(overview):
    env, ph = overview
    h0 = current_hour(env)
    html = page(env)
    h1 = current_hour(env)
    b = bars(html)
    assert len(b) == HOURS
    hour, total = b[-1]
    assert hour in (h0, h1)                      # the last bar is the current hour
    assert total == stats_sum(env, hour) > 0    # the fixture's requests, all shards summed
    assert html.count('<g class="bar"') == HOURS
    # a <title> per bar with the hour and its count; the y axis is labelled with the highest hour
    assert f"<title>{hour}: {total} request" in html
    assert re.search(rf'class="y-max"[^>]*>{max(n for _, n in b)}</text>', html)
    assert 'role="img"' in html and "aria-label=" in html
    assert '<table id="syncs-table">' in html


def test_requests_are_counted_by_command(overview):
    env, ph = overview
    before = api(env)["syncs_per_hour"]
    for _ in range(3):
        assert ph.foldersync().status == 200
    ph.sync(ph.inbox)
    after = api(env)["syncs_per_hour"]
    assert len(before) == len(after) == HOURS
    # summed over the window, so an hour turning over between the two reads does not matter
    for col, n in (("total", 4), ("other", 3), ("sync", 1), ("ping", 0)):
        assert sum(h[col] for h in after) - sum(h[col] for h in before) == n, col
    # the rows come from per-device shards of one (hour, command): never more than 8
    assert int(env.psql("SELECT max(c) FROM (SELECT count(*) AS c FROM command_stats "
                        "GROUP BY hour, command) x")) <= 8
    assert env.psql("SELECT count(*) FROM command_stats WHERE shard NOT BETWEEN 0 AND 7") == "0"


def test_api(overview):
    env, _ = overview
    body = api(env)
    assert set(body) == {"states", "devices", "users", "held_pings", "syncs_per_hour"}
    assert body["devices"] == int(env.psql("SELECT count(*) FROM devices"))
    assert body["users"] == int(env.psql("SELECT count(*) FROM users"))
    assert body["held_pings"] == int(env.psql("SELECT count(*) FROM ping_states WHERE held"))
    kinds = {}
    for s in body["states"]:
        assert set(s) == {"kind", "state", "devices"} and isinstance(s["devices"], int)
        kinds.setdefault(s["kind"], 0)
        kinds[s["kind"]] += s["devices"]
    assert kinds == {"access": body["devices"], "wipe": body["devices"],
                     "policy": body["devices"]}
    hours = body["syncs_per_hour"]
    assert len(hours) == HOURS and hours == sorted(hours, key=lambda h: h["hour"])
    for h in hours:
        assert h["total"] == h["sync"] + h["ping"] + h["other"]
    last = hours[-1]
    assert last["total"] == stats_sum(env, last["hour"])
    assert last["sync"] == stats_sum(env, last["hour"], "Sync")
    # not a page route: POST is refused, unknown API routes are 404
    r = env.curl("/eas-admin/", method="POST", user=ADMIN, password=ADMIN_PW,
                 headers={"Content-Type": "application/x-www-form-urlencoded"}, data="")
    assert r.status == 405


def test_held_ping_is_counted(overview):
    env, ph = overview
    before = held_seq(ph)
    h = Held(ping, ph)
    assert wait_for(lambda: held_seq(ph) > before or h.done(), 10)
    assert not h.done(), h.result().resp
    try:
        n = int(env.psql("SELECT count(*) FROM ping_states WHERE held"))
        assert n >= 1
        assert number(page(env), "held-pings") == n
        assert api(env)["held_pings"] == n
    finally:
        end(ph)                                  # a Sync ends the held Ping
        assert h.result().status == 200
    n = int(env.psql("SELECT count(*) FROM ping_states WHERE held"))
    assert number(page(env), "held-pings") == n
    assert env.psql("SELECT held FROM ping_states p JOIN devices d ON d.id = p.device_pk "
                    f"WHERE d.device_id = '{ph.dev}'") == "f"


def test_old_rows_purged_once_an_hour(overview):
    """The request that opens its (hour, command, shard) row purges rows older than 30 days; the
    requests after it in that hour do not look."""
    env, ph = overview
    old = ("INSERT INTO command_stats VALUES "
           "(date_trunc('hour', now(), 'UTC') - interval '31 days', 'Sync', 0, 5), "
           "(date_trunc('hour', now(), 'UTC') - interval '30 days' - interval '1 hour', "
           "'Ping', 1, 6), "
           "(date_trunc('hour', now(), 'UTC') - interval '29 days', 'Sync', 0, 7)")
    aged = ("SELECT coalesce(string_agg(n::text, ',' ORDER BY n), '') FROM command_stats "
            "WHERE hour < now() - interval '28 days'")
    mine = (f"command = 'FolderSync' AND shard = (SELECT id % 8 FROM devices "
            f"WHERE device_id = '{ph.dev}') AND hour = date_trunc('hour', now(), 'UTC')")
    try:
        # this hour's row of the phone's FolderSyncs does not exist yet: the next one opens it
        env.psql(f"DELETE FROM command_stats WHERE {mine}")
        env.psql(old)
        assert env.psql(aged) == "5,6,7"
        assert ph.foldersync().status == 200
        assert env.psql(f"SELECT n FROM command_stats WHERE {mine}") == "1"
        # older than 30 days: gone; within 30 days: kept (and outside the chart's 48 hours)
        assert env.psql(aged) == "7"
        # the next request of the same hour, command and shard only counts
        h0 = current_hour(env)
        env.psql("DELETE FROM command_stats WHERE hour < now() - interval '28 days'")
        env.psql(old)
        assert ph.foldersync().status == 200
        if current_hour(env) == h0:   # (an hour turning over in between opens a new row)
            assert env.psql(aged) == "5,6,7"
            assert env.psql(f"SELECT n FROM command_stats WHERE {mine}") == "2"
    finally:
        env.psql("DELETE FROM command_stats WHERE hour < now() - interval '28 days'")


def test_unknown_commands_add_no_rows(overview, env_log):
    env, ph = overview
    env_log.allow(r"EAS00011")
    rows = env.psql("SELECT count(*) FROM command_stats")
    garbage = "Garbage" + "x" * 300
    r = env.eas(garbage, device_id=ph.dev, user=PHONE_USER, password=PHONE_PW)
    assert r.status == 501
    q = b64_query(141, 250, ph.dev, "TestPhone")   # base64 form, unknown command code
    r = env.eas(None, query=q, user=PHONE_USER, password=PHONE_PW, version=None)
    assert r.status == 501
    assert env.psql("SELECT count(*) FROM command_stats") == rows
    assert env.psql("SELECT count(*) FROM command_stats WHERE command LIKE 'Garbage%' "
                    "OR command LIKE '#%'") == "0"
    assert int(env.psql("SELECT max(length(command)) FROM command_stats")) <= 32
