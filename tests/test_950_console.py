"""The administration console (docs/console.md) over curl: authentication, CSRF, the wipe
confirmation step, actions audited with the admin as actor, escaping of a hostile device model,
and the JSON API. The browser tests are test_960."""
import json
import re
from urllib.parse import urlencode

import pytest

from pyeas.env import command
from test_300_provision import new_device, provision
from pyeas.console import hostile_provision, location_conf

ADMIN, ADMIN_PW = "conadmin", "console-secret-1"
PHONE_USER, PHONE_PW = "conphone", "phone-secret-1"


@pytest.fixture(scope="module")
def console(env):
    env.add_user(ADMIN, ADMIN_PW)
    env.add_user(PHONE_USER, PHONE_PW)
    env.set_conf(location_conf(env, ADMIN))
    dev = new_device(env, "CONS")
    provision(env, dev, "16.1", user=PHONE_USER, password=PHONE_PW)
    hostile = new_device(env, "HOST")
    hostile_provision(env, hostile, PHONE_USER, PHONE_PW)
    yield env, dev, hostile
    env.set_conf("")


def get(env, path, user=ADMIN, password=ADMIN_PW, **kw):
    return env.curl("/eas-admin" + path, user=user, password=password, **kw)


def post(env, path, form, user=ADMIN, password=ADMIN_PW, headers=None):
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return env.curl("/eas-admin" + path, method="POST", user=user, password=password, headers=h,
                    data=urlencode(form))


def token(resp):
    m = re.search(rb'name="csrf" value="([^"]+)"', resp.body)
    assert m, resp.body[:2000]
    return m.group(1).decode()


def wipe_state(env, dev):
    return env.psql(f"SELECT wipe_state FROM devices WHERE device_id = '{dev}'")


def test_authentication_required(console, env_log):
    env, dev, _ = console
    env_log.allow(r"AH01617", r"AH01631")   # httpd's own auth failures
    assert get(env, "/devices", user=None).status == 401
    assert get(env, "/devices", password="wrong").status == 401
    # a valid user of the server who is not the admin
    assert get(env, "/devices", user=PHONE_USER, password=PHONE_PW).status == 401


def test_device_list_and_detail(console):
    env, dev, _ = console
    r = get(env, "/devices")
    assert r.status == 200 and r.header("Content-Type").startswith("text/html")
    assert f'data-device="{dev}"'.encode() in r.body
    r = get(env, f"/device?user={PHONE_USER}&id={dev}")
    assert r.status == 200
    assert b'id="wipe-state"' in r.body and b'id="action-wipe"' in r.body
    assert b"http://" not in r.body and b"https://" not in r.body   # nothing external
    assert get(env, f"/device?user={PHONE_USER}&id=NOSUCHDEV").status == 404


def test_hostile_model_is_escaped(console):
    env, _, hostile = console
    for path in ("/devices", f"/device?user={PHONE_USER}&id={hostile}", "/audit"):
        r = get(env, path)
        assert r.status == 200, path
        assert b"<script>" not in r.body, path
    r = get(env, f"/device?user={PHONE_USER}&id={hostile}")
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.body


def test_csrf(console, env_log):
    env, dev, _ = console
    env_log.allow(r"EAS00130")
    form = {"user": PHONE_USER, "id": dev, "action": "block"}
    assert post(env, "/device", form).status == 403                      # no token
    assert post(env, "/device", dict(form, csrf="1.00")).status == 403   # wrong token
    good = token(get(env, f"/device?user={PHONE_USER}&id={dev}"))
    r = post(env, "/device", dict(form, csrf=good), headers={"Origin": "https://evil.example"})
    assert r.status == 403                                                # foreign origin
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}' "
                    "AND action LIKE 'access%'") == "0"


def test_wipe_confirm_then_cancel_audited(console):
    env, dev, _ = console
    page = get(env, f"/device?user={PHONE_USER}&id={dev}")
    t = token(page)
    form = {"user": PHONE_USER, "id": dev, "action": "wipe", "csrf": t}
    r = post(env, "/device", form)
    assert r.status == 200 and b'id="confirm"' in r.body          # the confirmation step
    assert wipe_state(env, dev) == "none"
    r = post(env, "/device", dict(form, confirm="yes"))
    assert r.status == 303 and "done=wipe" in r.header("Location")
    assert wipe_state(env, dev) == "requested"
    r = post(env, "/device", dict(form, action="wipe-cancel"))
    assert r.status == 303
    assert wipe_state(env, dev) == "none"
    actors = env.psql(f"SELECT string_agg(actor || ':' || action, ',' ORDER BY id) FROM audit_log "
                      f"WHERE device_id = '{dev}' AND action LIKE 'wipe.%'")
    assert f"{ADMIN}:wipe.request" in actors and f"{ADMIN}:wipe.cancel" in actors, actors


def test_json_api(console, env_log):
    env, dev, _ = console
    env_log.allow(r"EAS00130")
    r = get(env, "/api/devices")
    assert r.status == 200 and r.header("Content-Type").startswith("application/json")
    devs = json.loads(r.body)
    assert any(d.get("device_id") == dev for d in devs), devs
    r = get(env, f"/api/device?user={PHONE_USER}&id={dev}")
    body = json.loads(r.body)
    assert set(body) == {"device", "policy", "audit"}
    form = {"user": PHONE_USER, "id": dev, "action": "quarantine"}
    assert post(env, "/api/device", form).status == 403      # no API header: refused
    r = post(env, "/api/device", form, headers={"X-EAS-Console": "api"})
    assert r.status == 200, r.body
    r = post(env, "/api/device", dict(form, action="access-clear"), headers={"X-EAS-Console": "api"})
    assert r.status == 200
    r = post(env, "/api/device", dict(form, action="explode"), headers={"X-EAS-Console": "api"})
    assert r.status == 400 and "error" in json.loads(r.body)
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}' AND actor = "
                    f"'{ADMIN}' AND action LIKE 'access.%'") == "2"


def test_list_columns_and_policy_state(console):
    env, dev, _ = console
    fresh = new_device(env, "NOPR")
    r = command(env, "FolderSync", '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey>'
                '</FolderSync>', device_id=fresh, version="16.1", user=PHONE_USER, password=PHONE_PW)
    assert r.status in (200, 449)            # not provisioned: refused, but the device is known
    devs = {d["device_id"]: d for d in json.loads(get(env, f"/api/devices?user={PHONE_USER}").body)}
    for col in ("user", "model", "device_type", "os", "protocol", "first_seen", "last_seen",
                "policy", "wipe", "access"):
        assert col in devs[dev], col
    assert devs[dev]["policy"] == "current" and devs[fresh]["policy"] == "unprovisioned"
    r = get(env, "/devices?state=unprovisioned")
    assert f'data-device="{fresh}"'.encode() in r.body and f'data-device="{dev}"'.encode() not in r.body
    r = get(env, "/devices?state=current&sort=first_seen&desc=1")
    assert f'data-device="{dev}"'.encode() in r.body and f'data-device="{fresh}"'.encode() not in r.body
    # a policy change since it provisioned shows as "changed" until the device comes back
    assert env.easctl("policy", "set", "--global", "MaxInactivityTimeDeviceLock", "600").returncode == 0
    try:
        devs = {d["device_id"]: d for d in json.loads(get(env, "/api/devices").body)}
        assert devs[dev]["policy"] == "changed"
    finally:
        env.easctl("policy", "unset", "--global", "MaxInactivityTimeDeviceLock")


def test_device_errors_in_audit_trail(console, env_log):
    """A device's failed and refused requests are on its page (the audit trail), once per 5 min."""
    env, _, _ = console
    env_log.allow(r"EAS00016", r"EAS00022", r"EAS00130", r"EAS00131")
    dev = new_device(env, "ERRS")
    provision(env, dev, "16.1", user=PHONE_USER, password=PHONE_PW)
    for _ in range(3):   # the same failure three times: one audit row
        r = env.eas("FolderSync", body=b"\x03\x01\x6a\x00\x45\x5c\x4f\x50", device_id=dev,
                    version="16.1", user=PHONE_USER, password=PHONE_PW)
        assert r.status == 400
    q = (f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}' AND actor = 'device' "
         "AND action = ")
    assert env.psql(q + "'device.error'") == "1"
    page = get(env, f"/device?user={PHONE_USER}&id={dev}")
    t = token(page)
    r = post(env, "/device", {"user": PHONE_USER, "id": dev, "action": "block", "csrf": t})
    assert r.status == 303
    r = command(env, "FolderSync", '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey>'
                '</FolderSync>', device_id=dev, version="16.1", user=PHONE_USER, password=PHONE_PW)
    assert r.status == 200 and r.text("Status") == "129"
    assert env.psql(q + "'device.refused'") == "1"
    page = get(env, f"/device?user={PHONE_USER}&id={dev}").body
    assert b"device.error" in page and b"malformed WBXML" in page and b"device.refused" in page


def test_undecodable_form_refused(console, env_log):
    env, dev, _ = console
    env_log.allow(r"EAS00130")
    assert get(env, "/devices?q=%zz").status == 400
    r = env.curl("/eas-admin/device", method="POST", user=ADMIN, password=ADMIN_PW,
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 data=f"user={PHONE_USER}&id={dev}&action=block&csrf=%00")
    assert r.status == 400
    assert env.psql(f"SELECT access_override IS NULL FROM devices WHERE device_id = '{dev}'") == "t"


def test_device_page_without_user(console):
    """A device found by its (unique) DeviceId alone: the action forms still name its owner."""
    env, dev, _ = console
    r = get(env, f"/device?id={dev}")
    assert r.status == 200
    assert f'name="user" value="{PHONE_USER}"'.encode() in r.body


def test_methods_query_and_encoding(console, env_log):
    env, dev, _ = console
    env_log.allow(r"EAS00130")
    r = post(env, "/devices", {"q": "x"})
    assert r.status == 405 and "POST" not in r.header("Allow")
    assert get(env, "/api/audit?since=%FF").status == 400          # not UTF-8
    assert get(env, "/api/device?id=%FF").status == 400
    # a POST acts on its form only: confirm=yes in the query string does not skip the step
    t = token(get(env, f"/device?user={PHONE_USER}&id={dev}"))
    r = env.curl("/eas-admin/device?confirm=yes", method="POST", user=ADMIN, password=ADMIN_PW,
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 data=urlencode({"user": PHONE_USER, "id": dev, "action": "wipe", "csrf": t}))
    assert r.status == 200 and b'id="confirm"' in r.body
    assert wipe_state(env, dev) == "none"


def test_origin_host_only(console):
    """Behind a TLS-terminating proxy the browser's Origin is https://host: same host, accepted."""
    env, dev, _ = console
    t = token(get(env, f"/device?user={PHONE_USER}&id={dev}"))
    form = {"user": PHONE_USER, "id": dev, "csrf": t}
    r = post(env, "/device", dict(form, action="block"), headers={"Origin": "https://127.0.0.1"})
    assert r.status == 303
    r = post(env, "/device", dict(form, action="access-clear"),
             headers={"Referer": "https://127.0.0.1/eas-admin/device"})
    assert r.status == 303
    assert env.psql(f"SELECT access_override IS NULL FROM devices WHERE device_id = '{dev}'") == "t"


def test_base_path_with_other_sections(console):
    """The base comes from the URI: an <If> inside the location, a later <Location />, and a
    nested <Location /eas-admin/api> do not change it."""
    env, dev, _ = console
    conf = location_conf(env, ADMIN).replace(
        "</Location>", '    <If "true">\n        Header set X-Test 1\n    </If>\n</Location>')
    conf += ('<Location />\n    Options None\n</Location>\n'
             f'<Location /eas-admin/api>\n    Require user {ADMIN}\n</Location>\n')
    conf = "LoadModule headers_module /usr/lib/apache2/modules/mod_headers.so\n" + conf
    env.set_conf(conf)
    try:
        r = get(env, "/devices")
        assert r.status == 200 and b'href="/eas-admin/device?' in r.body
        r = get(env, "/api/devices")
        assert r.status == 200 and r.header("Content-Type").startswith("application/json")
        r = get(env, "")
        assert r.status == 301 and r.header("Location").endswith("/eas-admin/")
        r = get(env, "/")
        assert r.status == 200 and b'id="syncs-chart"' in r.body
        assert get(env, "/nonsense").status == 404
    finally:
        env.set_conf(location_conf(env, ADMIN))
