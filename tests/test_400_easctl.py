"""easctl's device gate administration: devices, remote wipe, access rules, policies with
inheritance, the audit log, --json output, and errors that leave nothing written.

The database is shared by the session: every test uses its own user names and DeviceIds, and
global state (global policies, the default access) is restored before the test ends."""
import itertools
import json
import uuid

import pytest

_seq = itertools.count(1)


def uniq(prefix):
    return f"{prefix}{next(_seq)}x{uuid.uuid4().hex[:6]}"


def q(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def mkdev(env, user, device_id, device_type="TestPhone", version="14.1", ua="TestAgent/1.0",
          model=None):
    """Registers user and device directly (what the request path records)."""
    env.psql(f"INSERT INTO users (name) VALUES ({q(user)}) ON CONFLICT (name) DO NOTHING")
    env.psql("INSERT INTO devices (user_id, device_id, device_type, user_agent, protocol_version,"
             f" model) SELECT id, {q(device_id)}, {q(device_type)}, {q(ua)}, {q(version)},"
             f" {q(model)} FROM users WHERE name = {q(user)}")


def ctl(env, *args, rc=0):
    r = env.easctl("--actor", "tester", *args)
    assert r.returncode == rc, f"easctl {' '.join(args)}: rc {r.returncode}\n{r.stdout}{r.stderr}"
    if rc == 1:
        assert r.stderr.startswith("easctl: "), r.stderr
    return r


def ctl_json(env, *args):
    return json.loads(ctl(env, "--json", *args).stdout)


def show(env, device_id, user):
    return ctl_json(env, "device", "show", device_id, "--user", user)


def devcol(env, device_id, user, col):
    return env.psql(f"SELECT {col} FROM devices d JOIN users u ON u.id = d.user_id"
                    f" WHERE d.device_id = {q(device_id)} AND u.name = {q(user)}")


def audit_rows(env, device_id=None, user=None):
    cond = []
    if device_id:
        cond.append(f"device_id = {q(device_id)}")
    if user:
        cond.append(f"user_name = {q(user)}")
    where = (" WHERE " + " AND ".join(cond)) if cond else ""
    out = env.psql(f"SELECT action || '|' || actor FROM audit_log{where} ORDER BY id")
    return [ln.split("|") for ln in out.splitlines() if ln]


def snapshot(env):
    """Everything an admin command may write, to prove a failing one wrote nothing."""
    return env.psql("SELECT (SELECT count(*) FROM audit_log) || '/' ||"
                    " (SELECT count(*) FROM policies) || '/' ||"
                    " (SELECT count(*) FROM devices) || '/' ||"
                    " (SELECT count(*) FROM access_rules) || '/' ||"
                    " (SELECT coalesce(md5(string_agg(d.wipe_state || coalesce(d.access_override,"
                    " '') || p.value, ',' ORDER BY d.id)), '') FROM devices d"
                    " LEFT JOIN policies p ON p.device_pk = d.id) || '/' ||"
                    " (SELECT value FROM server_settings WHERE name = 'access.default')")


# --- devices --------------------------------------------------------------------------------

def test_device_recorded_by_request_then_listed(env):
    user = uniq("req")
    env.add_user(user, "pw-" + user)
    env.eas("Sync", device_id="REQDEV1", device_type="SmartPhone", user=user,
            headers={"User-Agent": "Outlook-iOS/2.0"})
    r = ctl(env, "device", "list", "--user", user)
    lines = r.stdout.splitlines()
    assert lines[0].split()[:3] == ["USER", "DEVICE", "ID"]
    assert len(lines) == 2 and "REQDEV1" in lines[1] and "SmartPhone" in lines[1]
    rows = ctl_json(env, "device", "list", "--user", user)
    assert [(d["user"], d["device_id"], d["device_type"]) for d in rows] == \
        [(user, "REQDEV1", "SmartPhone")]
    assert rows[0]["provisioned"] is False and rows[0]["wipe"] == "none"
    d = show(env, "REQDEV1", user)["device"]
    assert d["user_agent"] == "Outlook-iOS/2.0" and d["last_command"] == "Sync"


def test_device_list_and_show(env):
    user = uniq("list") + "@example.org"
    mkdev(env, user, "LISTB", device_type="Android", model="Pixel 8")
    mkdev(env, user, "LISTA", device_type="iPhone", version="16.1")
    env.psql("UPDATE devices SET imei = '3569', friendly_name = 'Work phone', os = 'iOS 17',"
             " policy_key = 1234, provision_status = 1, provisioned_at = now()"
             f" WHERE device_id = 'LISTA' AND user_id = (SELECT id FROM users WHERE name = {q(user)})")
    rows = ctl_json(env, "device", "list", "--user", user)
    assert [d["device_id"] for d in rows] == ["LISTA", "LISTB"]
    assert rows[0]["provisioned"] is True and rows[1]["model"] == "Pixel 8"

    r = ctl(env, "device", "list")   # every user's devices
    assert "LISTA" in r.stdout and "LISTB" in r.stdout

    r = ctl(env, "device", "show", "LISTA", "--user", user)
    text = r.stdout
    for needle in ("device_id:", "LISTA", "imei:", "3569", "Work phone", "policy_key:", "1234",
                   "wipe_state:", "access_reason:", "Effective policy:", "Recent audit entries:",
                   "MaxProtocolVersion"):
        assert needle in text, needle
    # a unique DeviceId needs no --user
    d = ctl_json(env, "device", "show", "LISTA")
    assert set(d) == {"device", "policy", "audit"}
    dev = d["device"]
    assert dev["user"] == user and dev["protocol_version"] == "16.1"
    assert dev["policy_key"] == 1234 and dev["provision_status"] == 1
    assert dev["os"] == "iOS 17" and dev["access_state"] == "allow"
    assert dev["access_reason"] == "default"
    assert len(d["policy"]) == 45
    assert all(set(p) == {"name", "value", "source", "source_key"} for p in d["policy"])
    assert d["audit"] == []


def test_unknown_and_ambiguous_devices(env):
    u1, u2 = uniq("amb"), uniq("amb")
    dev = uniq("AMBDEV")
    mkdev(env, u1, dev)
    mkdev(env, u2, dev)
    before = snapshot(env)
    r = ctl(env, "device", "show", dev, rc=1)
    assert "ambiguous" in r.stderr and u1 in r.stderr and u2 in r.stderr
    r = ctl(env, "device", "wipe", dev, rc=1)
    assert "ambiguous" in r.stderr
    r = ctl(env, "device", "show", "NO-SUCH-DEVICE", rc=1)
    assert "unknown device 'NO-SUCH-DEVICE'" in r.stderr
    r = ctl(env, "device", "show", dev, "--user", "nobody-" + u1, rc=1)
    assert "unknown user 'nobody-" in r.stderr
    r = ctl(env, "device", "list", "--user", "nobody-" + u1, rc=1)
    assert "unknown user" in r.stderr
    r = ctl(env, "device", "block", "OTHER", "--user", u1, rc=1)
    assert f"user '{u1}' has no device 'OTHER'" in r.stderr
    assert snapshot(env) == before
    assert show(env, dev, u2)["device"]["user"] == u2
    ctl(env, "device", "wipe", dev, "--user", u2)
    assert devcol(env, dev, u2, "wipe_state") == "requested"
    assert devcol(env, dev, u1, "wipe_state") == "none"


# --- remote wipe ----------------------------------------------------------------------------

def test_wipe_life_cycle(env):
    user, dev = uniq("wipe"), uniq("WIPEDEV")
    mkdev(env, user, dev)
    r = ctl(env, "device", "wipe", dev)
    assert "full wipe requested" in r.stdout
    d = show(env, dev, user)["device"]
    assert (d["wipe_state"], d["wipe_type"], d["wipe_requested_by"]) == \
        ("requested", "full", "tester")
    assert d["wipe_requested_at"]
    r = ctl(env, "device", "wipe", dev, rc=1)
    assert "already requested" in r.stderr
    r = ctl(env, "device", "wipe-clear", dev, rc=1)
    assert "not sent yet" in r.stderr
    ctl(env, "device", "wipe-cancel", dev)
    assert devcol(env, dev, user, "wipe_state || coalesce(wipe_type, '-')") == "none-"
    r = ctl(env, "device", "wipe-cancel", dev, rc=1)
    assert "no wipe is requested" in r.stderr

    # requested -> sent (the Provision command does this) -> cancel refused
    ctl(env, "device", "wipe", dev)
    env.psql(f"UPDATE devices SET wipe_state = 'sent', wipe_sent_at = now()"
             f" WHERE device_id = {q(dev)}")
    before = snapshot(env)
    r = ctl(env, "device", "wipe-cancel", dev, rc=1)
    assert "already sent" in r.stderr and "cannot be cancelled" in r.stderr
    r = ctl(env, "device", "wipe", dev, rc=1)
    assert "wiped again" in r.stderr
    r = ctl(env, "device", "delete", dev, rc=1)
    assert "wipe" in r.stderr and "sent" in r.stderr
    assert snapshot(env) == before

    # acknowledged by the device with its status; only the administrator clears it
    env.psql(f"UPDATE devices SET wipe_state = 'acknowledged', wipe_acked_at = now(),"
             f" wipe_ack_status = 1 WHERE device_id = {q(dev)}")
    d = show(env, dev, user)["device"]
    assert d["wipe_state"] == "acknowledged" and d["wipe_ack_status"] == 1
    r = ctl(env, "device", "wipe-cancel", dev, rc=1)
    assert "already acknowledged" in r.stderr
    r = ctl(env, "--json", "device", "wipe-clear", dev)
    assert json.loads(r.stdout)["ok"] is True
    d = show(env, dev, user)
    assert d["device"]["wipe_state"] == "none" and d["device"]["wipe_ack_status"] is None
    assert [a["action"] for a in d["audit"]] == \
        ["wipe.request", "wipe.cancel", "wipe.request", "wipe.clear"]
    assert all(a["actor"] == "tester" and a["user"] == user for a in d["audit"])
    clear = d["audit"][-1]["details"]
    assert clear["previous"] == "acknowledged" and clear["ack_status"] == 1
    assert clear["type"] == "full" and clear["requested_by"] == "tester"
    r = ctl(env, "device", "wipe-clear", dev, rc=1)
    assert "no wipe to clear" in r.stderr


def test_account_only_wipe_needs_16_1(env):
    user = uniq("acct")
    old, new = uniq("OLD"), uniq("NEW")
    mkdev(env, user, old, version="16.0")
    mkdev(env, user, new, version="16.1")
    before = snapshot(env)
    r = ctl(env, "device", "wipe", old, "--account-only", rc=1)
    assert "16.1" in r.stderr and "16.0" in r.stderr
    assert snapshot(env) == before
    assert audit_rows(env, device_id=old) == []
    r = ctl(env, "device", "wipe", new, "--user", user, "--account-only")
    assert "account-only wipe requested" in r.stdout
    assert devcol(env, new, user, "wipe_state || '/' || wipe_type") == "requested/account"
    details = json.loads(env.psql(f"SELECT details FROM audit_log WHERE device_id = {q(new)}"))
    assert details == {"type": "account"}


def test_device_delete(env):
    user, dev, wiping = uniq("del"), uniq("DELDEV"), uniq("DELWIPE")
    mkdev(env, user, dev)
    mkdev(env, user, wiping)
    ctl(env, "policy", "set", "--device", dev, "AllowCamera", "0")
    assert env.psql(f"SELECT count(*) FROM policies p JOIN devices d ON d.id = p.device_pk"
                    f" WHERE d.device_id = {q(dev)}") == "1"
    r = ctl(env, "device", "delete", dev)
    assert "next sync is a full one" in r.stdout
    assert devcol(env, dev, user, "count(*)") == "0"
    assert env.psql("SELECT count(*) FROM policies WHERE scope = 'device'"
                    " AND device_pk NOT IN (SELECT id FROM devices)") == "0"
    assert audit_rows(env, device_id=dev)[-1] == ["device.delete", "tester"]
    ctl(env, "device", "delete", dev, rc=1)

    ctl(env, "device", "wipe", wiping)
    r = ctl(env, "device", "delete", wiping, rc=1)
    assert "requested" in r.stderr and "force" in r.stderr
    assert devcol(env, wiping, user, "count(*)") == "1"
    ctl(env, "device", "delete", wiping, "--force")
    assert devcol(env, wiping, user, "count(*)") == "0"
    details = json.loads(env.psql(f"SELECT details FROM audit_log WHERE device_id = {q(wiping)}"
                                  " AND action = 'device.delete'"))
    assert details == {"wipe_state": "requested", "force": True}


# --- access ---------------------------------------------------------------------------------

def access(env, dev, user):
    d = show(env, dev, user)["device"]
    return d["access_state"], d["access_reason"]


def test_access_override_rules_and_default(env):
    tag = uuid.uuid4().hex[:8]
    user = uniq("acc")
    droid, phone, other = uniq("DROID"), uniq("PHONE"), uniq("OTHER")
    mkdev(env, user, droid, device_type=f"Android{tag}", model="Galaxy")
    mkdev(env, user, phone, device_type=f"iPhone{tag}", ua=f"Apple-iPhone/{tag}")
    mkdev(env, user, other, device_type=f"Other{tag}")
    assert access(env, droid, user) == ("allow", "default")

    r = ctl(env, "access", "rule", "add", "--action", "block", "--match", "device_type",
            "--pattern", f"android{tag}*", "--priority", "10")
    rule1 = int(r.stdout.split("#")[1].split(":")[0])
    # stored decisions of every device are refreshed with the rule, so listings are current
    assert devcol(env, droid, user, "access_state") == "block"
    assert access(env, droid, user) == \
        ("block", f"rule #{rule1}: device_type matches 'android{tag}*'")
    assert access(env, phone, user) == ("allow", "default")

    # the lower priority decides; on equal priority the older rule
    rule2 = ctl_json(env, "access", "rule", "add", "--action", "quarantine", "--match",
                     "user_agent", "--pattern", f"*iphone/{tag}")["id"]
    rule3 = ctl_json(env, "access", "rule", "add", "--action", "allow", "--match", "model",
                     "--pattern", "GALAXY", "--priority", "5")["id"]
    rule4 = ctl_json(env, "access", "rule", "add", "--action", "block", "--match", "user",
                     "--pattern", user)["id"]
    assert access(env, droid, user) == ("allow", f"rule #{rule3}: model matches 'GALAXY'")
    assert access(env, phone, user) == \
        ("quarantine", f"rule #{rule2}: user_agent matches '*iphone/{tag}'")
    assert access(env, other, user) == ("block", f"rule #{rule4}: user matches '{user}'")

    rules = ctl_json(env, "access", "rule", "list")
    mine = [r["id"] for r in rules if r["id"] in (rule1, rule2, rule3, rule4)]
    assert mine == [rule3, rule1, rule2, rule4]       # evaluation order
    assert all(r["created_by"] == "tester" for r in rules if r["id"] in mine)
    assert f"android{tag}*" in ctl(env, "access", "rule", "list").stdout

    # the administrator's override beats every rule, and clearing it hands back to the rules
    ctl(env, "device", "allow", other)
    assert access(env, other, user) == ("allow", "administrator override")
    ctl(env, "device", "quarantine", other)
    assert access(env, other, user) == ("quarantine", "administrator override")
    ctl(env, "device", "access-clear", other)
    assert access(env, other, user) == ("block", f"rule #{rule4}: user matches '{user}'")
    r = ctl(env, "device", "access-clear", other, rc=1)
    assert "no access override" in r.stderr
    acts = [a[0] for a in audit_rows(env, device_id=other)]
    assert acts == ["access.override", "access.override", "access.clear"]

    for rid in (rule1, rule2, rule3, rule4):
        ctl(env, "access", "rule", "delete", str(rid))
    assert access(env, phone, user) == ("allow", "default")
    r = ctl(env, "access", "rule", "delete", str(rule1), rc=1)
    assert f"no access rule #{rule1}" in r.stderr

    # the global default
    assert ctl(env, "access", "default").stdout.strip() == "allow"
    try:
        ctl(env, "access", "default", "quarantine")
        assert ctl_json(env, "access", "default") == {"default": "quarantine"}
        assert access(env, phone, user) == ("quarantine", "default")
        assert devcol(env, other, user, "access_state") == "quarantine"
        ctl(env, "device", "block", phone)
        assert access(env, phone, user) == ("block", "administrator override")
    finally:
        ctl(env, "access", "default", "allow")
    assert access(env, other, user) == ("allow", "default")
    kinds = [a[0] for a in audit_rows(env) if a[0].startswith("access.")]
    assert "access.rule.add" in kinds and "access.rule.delete" in kinds
    assert "access.default" in kinds


def test_access_errors_write_nothing(env):
    tag = uuid.uuid4().hex[:8]
    ctl(env, "access", "rule", "add", "--action", "block", "--match", "model",
        "--pattern", f"Dup{tag}*")
    before = snapshot(env)
    r = ctl(env, "access", "rule", "add", "--action", "allow", "--match", "model",
            "--pattern", f"dup{tag}*", rc=1)
    assert "already matches" in r.stderr
    r = ctl(env, "access", "rule", "add", "--action", "deny", "--match", "model",
            "--pattern", "x", rc=1)
    assert "allow, block or quarantine" in r.stderr
    r = ctl(env, "access", "rule", "add", "--action", "block", "--match", "imei",
            "--pattern", "x", rc=1)
    assert "user, device_type, model or user_agent" in r.stderr
    r = ctl(env, "access", "rule", "add", "--action", "block", "--match", "model",
            "--pattern", "", rc=1)
    ctl(env, "access", "rule", "delete", "abc", rc=1)
    ctl(env, "access", "rule", "delete", "999999999", rc=1)
    ctl(env, "access", "default", "maybe", rc=1)
    ctl(env, "access", "rule", "add", "--action", "block", "--match", "model", rc=2)
    ctl(env, "access", "rule", "add", "--action", "block", "--match", "model", "--pattern", "y",
        "--priority", "high", rc=2)
    assert snapshot(env) == before
    rid = [r["id"] for r in ctl_json(env, "access", "rule", "list")
           if r["pattern"] == f"Dup{tag}*"][0]
    ctl(env, "access", "rule", "delete", str(rid))


# --- policies -------------------------------------------------------------------------------

LEVELS = ["global", "domain", "user", "device"]


def test_policy_inheritance_matrix(env):
    domain = uniq("dom") + ".test"
    user = uniq("inh") + "@" + domain
    dev = uniq("INHDEV")
    mkdev(env, user, dev)
    field, values = "MaxCalendarAgeFilter", {"global": "4", "domain": "5", "user": "6",
                                             "device": "7"}
    scope_args = {"global": ["--global"], "domain": ["--domain", domain],
                  "user": ["--user", user], "device": ["--device", dev, "--user", user]}
    keys = {"global": None, "domain": domain, "user": user, "device": dev}
    state = set()
    try:
        for mask in range(16):
            want = {lv for i, lv in enumerate(LEVELS) if mask & (1 << i)}
            for lv in LEVELS:
                if lv in want and lv not in state:
                    ctl(env, "policy", "set", *scope_args[lv], field, values[lv])
                elif lv not in want and lv in state:
                    ctl(env, "policy", "unset", *scope_args[lv], field)
            state = want
            # each view sees the levels up to its own scope, the most specific winning
            for view_i, view in enumerate(LEVELS):
                visible = [lv for lv in LEVELS[:view_i + 1] if lv in want]
                src = visible[-1] if visible else "default"
                rows = ctl_json(env, "policy", "show", *scope_args[view], field)
                assert rows == [{"name": field, "value": values.get(src, "0"), "source": src,
                                 "source_key": keys.get(src)}], (sorted(want), view)
            # device show agrees with policy show --device
            pol = {p["name"]: p for p in show(env, dev, user)["policy"]}
            assert pol[field]["source"] == (
                [lv for lv in LEVELS if lv in want] or ["default"])[-1]
    finally:
        for lv in state:
            ctl(env, "policy", "unset", *scope_args[lv], field)
    assert env.psql(f"SELECT count(*) FROM policies WHERE name = '{field}'") == "0"
    acts = [a[0] for a in audit_rows(env, user=user)]
    assert "policy.set" in acts and "policy.unset" in acts


def test_policy_show_every_field_and_other_fields_untouched(env):
    domain = uniq("all") + ".test"
    user = uniq("all") + "@" + domain
    mkdev(env, user, uniq("ALLDEV"))
    ctl(env, "policy", "set", "--domain", domain, "DevicePasswordEnabled", "yes")
    ctl(env, "policy", "set", "--user", user, "MinDevicePasswordLength", "6")
    rows = ctl_json(env, "policy", "show", "--user", user)
    assert len(rows) == 45
    by = {r["name"]: r for r in rows}
    assert (by["DevicePasswordEnabled"]["value"], by["DevicePasswordEnabled"]["source"]) == \
        ("1", "domain")
    assert (by["MinDevicePasswordLength"]["value"], by["MinDevicePasswordLength"]["source"]) == \
        ("6", "user")
    assert by["AllowCamera"] == {"name": "AllowCamera", "value": "1", "source": "default",
                                 "source_key": None}
    # text output: aligned, with the source of every value
    text = ctl(env, "policy", "show", "--user", user).stdout
    line = [ln for ln in text.splitlines() if ln.startswith("MinDevicePasswordLength ")][0]
    assert line.split() == ["MinDevicePasswordLength", "6", "user", user]
    # the domain view does not include the user's value
    by = {r["name"]: r for r in ctl_json(env, "policy", "show", "--domain", domain)}
    assert by["MinDevicePasswordLength"]["source"] == "default"


def test_policy_set_normalises_and_records(env):
    user = uniq("norm")
    mkdev(env, user, uniq("NORMDEV"))
    ctl(env, "policy", "set", "--user", user, "allowcamera", "off")   # name case-insensitive
    ctl(env, "policy", "set", "--user", user, "MaxAttachmentSize", "unlimited")
    ctl(env, "policy", "set", "--user", user, "MaxEmailBodyTruncationSize", "-1")
    ctl(env, "policy", "set", "--user", user, "ApprovedApplicationList", " a1 , ,b2 ")
    ctl(env, "policy", "set", "--user", user, "MaxProtocolVersion", "14.1")
    rows = env.psql(f"SELECT name || '=' || value || '/' || updated_by FROM policies"
                    f" WHERE scope = 'user' AND scope_key = {q(user)} ORDER BY name")
    assert rows.splitlines() == ["AllowCamera=0/tester", "ApprovedApplicationList=a1,b2/tester",
                                 "MaxAttachmentSize=/tester",
                                 "MaxEmailBodyTruncationSize=-1/tester",
                                 "MaxProtocolVersion=14.1/tester"]
    ctl(env, "policy", "set", "--user", user, "AllowCamera", "true")
    details = json.loads(env.psql(
        f"SELECT details FROM audit_log WHERE user_name = {q(user)} ORDER BY id DESC LIMIT 1"))
    assert details == {"scope": "user", "key": user, "name": "AllowCamera", "value": "1",
                       "previous": "0"}
    r = ctl(env, "policy", "show", "--user", user, "MaxAttachmentSize")
    assert '""' in r.stdout     # an empty value (no limit) is visible
    ctl(env, "policy", "unset", "--user", user, "AllowCamera")
    assert audit_rows(env, user=user)[-1] == ["policy.unset", "tester"]


def test_policy_errors_write_nothing(env):
    user = uniq("perr")
    dev = uniq("PERRDEV")
    mkdev(env, user, dev)
    mkdev(env, uniq("perr"), dev)          # the same DeviceId for another user
    before = snapshot(env)
    cases = [
        (["set", "--global", "NoSuchSetting", "1"], "unknown policy setting 'NoSuchSetting'"),
        (["set", "--global", "AllowCamera", "maybe"], "AllowCamera takes 0 or 1"),
        (["set", "--global", "MinDevicePasswordLength", "17"], "from 1 to 16"),
        (["set", "--global", "MaxProtocolVersion", "15.0"], "ActiveSync version"),
        (["unset", "--user", user, "AllowCamera"], f"AllowCamera is not set at user {user}"),
        (["unset", "--global", "NoSuchSetting"], "unknown policy setting"),
        (["set", "--user", "nobody-" + user, "AllowCamera", "0"], "unknown user"),
        (["set", "--device", "NO-SUCH-DEV", "AllowCamera", "0"], "unknown device"),
        (["set", "--device", dev, "AllowCamera", "0"], "ambiguous"),
        (["set", "--domain", "bad domain", "AllowCamera", "0"], "invalid domain"),
        (["show", "--user", "nobody-" + user], "unknown user"),
        (["show", "--global", "Bogus"], "unknown policy setting"),
    ]
    for args, msg in cases:
        r = ctl(env, "policy", *args, rc=1)
        assert msg in r.stderr, (args, r.stderr)
    for args in (["set", "AllowCamera", "0"],                       # no scope
                 ["set", "--global", "--domain", "x.test", "AllowCamera", "0"],
                 ["set", "--global", "AllowCamera"],                # no value
                 ["show", "--global", "--bogus"],
                 ["frobnicate", "--global"]):
        ctl(env, "policy", *args, rc=2)
    assert snapshot(env) == before


def test_policy_fields(env):
    rows = ctl_json(env, "policy", "fields")
    assert len(rows) == 45
    by = {r["name"]: r for r in rows}
    assert by["AllowBluetooth"]["range"] == "0..2" and by["AllowBluetooth"]["default"] == "2"
    assert by["MaxProtocolVersion"]["in_doc"] is False
    assert by["MaxAttachmentSize"]["type"] == "uint-or-empty"
    text = ctl(env, "policy", "fields").stdout
    assert text.splitlines()[0].split()[:3] == ["NAME", "TYPE", "RANGE"]


# --- audit and the command line -------------------------------------------------------------

def test_audit_filters(env):
    user, dev = uniq("aud"), uniq("AUDDEV")
    mkdev(env, user, dev)
    ctl(env, "device", "wipe", dev)
    ctl(env, "device", "wipe-cancel", dev)
    ctl(env, "device", "block", dev)
    rows = ctl_json(env, "audit", "--user", user)
    assert [r["action"] for r in rows] == ["wipe.request", "wipe.cancel", "access.override"]
    assert rows[0]["id"] < rows[1]["id"] < rows[2]["id"]
    assert rows[2]["details"]["override"] == "block"
    assert [r["action"] for r in ctl_json(env, "audit", "--device", dev, "--limit", "2")] == \
        ["wipe.cancel", "access.override"]
    assert len(ctl_json(env, "audit", "--since", "1h", "--user", user)) == 3
    assert ctl_json(env, "audit", "--since", "2999-01-01", "--user", user) == []
    assert len(ctl_json(env, "audit", "--since", "2000-01-01 00:00+00", "--user", user)) == 3
    r = ctl(env, "audit", "--since", "yesterday-ish", rc=1)
    assert "invalid time" in r.stderr
    ctl(env, "audit", "--limit", "0", rc=2)
    text = ctl(env, "audit", "--user", user).stdout.splitlines()
    assert text[0].split()[:4] == ["ID", "AT", "ACTOR", "ACTION"]
    assert "wipe.cancel" in text[2] and "tester" in text[2]


def test_actor_defaults_to_sudo_user(env):
    user, dev = uniq("sudo"), uniq("SUDODEV")
    mkdev(env, user, dev)
    st = env.stack
    r = st.run([st.top + "/build/bin/easctl", "--db", st.conninfo, "device", "block", dev],
               check=False, env={"SUDO_USER": "alice-admin", "PATH": "/usr/bin:/bin"})
    assert r.returncode == 0, r.stderr
    assert audit_rows(env, device_id=dev) == [["access.override", "alice-admin"]]


@pytest.mark.parametrize("args", [
    ["device"], ["device", "frob", "X"], ["device", "show"], ["device", "wipe"],
    ["device", "list", "--bogus"], ["device", "wipe", "X", "--force"], ["access"],
    ["access", "rule", "frob"], ["policy"], ["audit", "--limit", "many"], ["audit", "extra"],
])
def test_usage_errors(env, args):
    r = env.easctl(*args)
    assert r.returncode == 2, (args, r.stdout, r.stderr)
    assert "usage: easctl" in r.stderr


def test_json_output_is_valid_everywhere(env):
    user, dev = uniq("json"), uniq("JSONDEV")
    mkdev(env, user, dev, device_type='Weird "Type"\\x')
    for args in (["device", "list", "--user", user], ["device", "show", dev],
                 ["access", "rule", "list"], ["access", "default"], ["policy", "fields"],
                 ["policy", "show", "--device", dev], ["audit", "--limit", "5"],
                 ["device", "quarantine", dev]):
        out = ctl(env, *args, "--json").stdout
        json.loads(out)
    assert ctl_json(env, "device", "list", "--user", user)[0]["device_type"] == 'Weird "Type"\\x'
