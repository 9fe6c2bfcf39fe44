"""The console's policy pages (docs/console.md, issue 10) over curl: set and unset at global,
domain, user and device scope with the inheritance shown on each page, the stored rows and the
audit rows with the admin as actor, CSRF refusals, invalid values and unknown scopes refused
with nothing written, a hostile key escaped, and the JSON API.

The database is shared by the session: global values set here are removed before a test ends."""
import html
import json
import re
from urllib.parse import urlencode, urlsplit

import pytest
from pyeas.console import location_conf

ADMIN, ADMIN_PW = "poladmin", "policy-secret-1"
DOMAIN = "poldom.test"
USER = "polphone@" + DOMAIN
DEV = "POLDEV0001"
FIELD = "MaxEmailAgeFilter"          # 0..5, default 0: a distinct value per scope
LEVELS = {"global": "1", "domain": "2", "user": "3", "device": "4"}
KEYS = {"global": None, "domain": DOMAIN, "user": USER, "device": DEV}
API = {"X-EAS-Console": "api"}
HOSTILE_DOMAIN = "<script>alert(1)</script>.test"


def q(s):
    return "NULL" if s is None else "'" + s.replace("'", "''") + "'"


def scope_args(scope):
    return {"global": ["--global"], "domain": ["--domain", DOMAIN], "user": ["--user", USER],
            "device": ["--device", DEV, "--user", USER]}[scope]


def cleanup(env, field, scopes=LEVELS):
    for scope in scopes:
        env.easctl("policy", "unset", *scope_args(scope), field)


@pytest.fixture(scope="module")
def pol(env):
    env.add_user(ADMIN, ADMIN_PW)
    env.set_conf(location_conf(env, ADMIN))
    env.psql(f"INSERT INTO users (name) VALUES ({q(USER)}) ON CONFLICT (name) DO NOTHING")
    env.psql("INSERT INTO devices (user_id, device_id, device_type, user_agent, protocol_version)"
             f" SELECT id, {q(DEV)}, 'TestPhone', 'TestAgent/1.0', '16.1' FROM users"
             f" WHERE name = {q(USER)}")
    yield env
    env.set_conf("")


def get(env, path, **kw):
    return env.curl("/eas-admin" + path, user=ADMIN, password=ADMIN_PW, **kw)


def post(env, path, form, headers=None):
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return env.curl("/eas-admin" + path, method="POST", user=ADMIN, password=ADMIN_PW, headers=h,
                    data=urlencode(form))


def page_path(scope, key=None, user=None):
    return "/policies?" + urlencode({k: v for k, v in
                                     (("scope", scope), ("key", key), ("user", user)) if v})


def token(resp):
    m = re.search(rb'name="csrf" value="([^"]+)"', resp.body)
    assert m, resp.body[:2000]
    return m.group(1).decode()


def row(resp, name):
    """(class, data-source, shown value, the row's html) of a setting's row."""
    m = re.search(r'<tr id="policy-' + re.escape(name) + r'" class="(here|inherited)" '
                  r'data-source="([a-z]+)">(.*?)</tr>', resp.body.decode(), re.S)
    assert m, resp.body.decode()[:3000]
    value = re.search(r'<td class="value">(.*?)(?: <small|</td>)', m.group(3)).group(1)
    return m.group(1), m.group(2), html.unescape(value), m.group(3)


def form(scope, name, value=None, unset=False, csrf=None):
    f = {"scope": scope, "name": name}
    if KEYS[scope]:
        f["key"] = KEYS[scope]
    if scope == "device":
        f["user"] = USER
    if unset:
        f["unset"] = "1"
    else:
        f["value"] = value
    if csrf is not None:
        f["csrf"] = csrf
    return f


def follow(env, resp):
    """The page a 303 points to, path relative to the console."""
    assert resp.status == 303, resp.body[:2000]
    loc = urlsplit(resp.header("Location"))
    assert loc.path == "/eas-admin/policies", loc
    return get(env, "/policies?" + loc.query), loc.query


def stored(env, scope, name):
    key = {"global": "''", "domain": q(DOMAIN), "user": q(USER),
           "device": f"(SELECT d.id::text FROM devices d WHERE d.device_id = {q(DEV)})"}[scope]
    return env.psql(f"SELECT value || '|' || updated_by FROM policies WHERE scope = '{scope}'"
                    f" AND scope_key = {key} AND name = {q(name)}")


def snapshot(env):
    return env.psql("SELECT (SELECT count(*) FROM audit_log) || '/' || (SELECT count(*) FROM "
                    "policies) || '/' || (SELECT coalesce(max(updated_at)::text, '') FROM "
                    "policies)")


def test_global_page_lists_every_setting(pol):
    env = pol
    r = get(env, "/policies")
    assert r.status == 200 and r.header("Content-Type").startswith("text/html")
    fields = json.loads(env.easctl("--json", "policy", "fields").stdout)
    rows = re.findall(rb'<tr id="policy-([A-Za-z]+)"', r.body)
    assert [x.decode() for x in rows] == [f["name"] for f in fields]
    assert b'<option value="global" selected>' in r.body
    assert b'id="set-AllowCamera"' in r.body
    assert b"http://" not in r.body and b"https://" not in r.body
    # the help text of each field is on the page
    assert html.escape(fields[0]["help"]).encode() in r.body
    # a default row: inherited from nothing, no unset button
    cls, src, value, _ = row(r, FIELD)
    assert (cls, src, value) == ("inherited", "default", "0")
    assert f'id="unset-{FIELD}"'.encode() not in r.body


def test_set_at_every_scope_with_inheritance(pol):
    env = pol
    try:
        for lv in LEVELS:
            page = get(env, page_path(lv, KEYS[lv], USER if lv == "device" else None))
            assert page.status == 200, (lv, page.body[:1000])
            r, query = follow(env, post(env, "/policies",
                                        form(lv, FIELD, LEVELS[lv], csrf=token(page))))
            assert "done=set" in query and f"scope={lv}" in query
            assert r.status == 200
            assert b'<div class="flash" role="status">Policy value set at this scope.' in r.body
            cls, src, value, html_row = row(r, FIELD)
            assert (cls, src, value) == ("here", lv, LEVELS[lv]), lv
            assert f'id="unset-{FIELD}"' in html_row
            assert stored(env, lv, FIELD) == f"{LEVELS[lv]}|{ADMIN}"
        # each page shows its own value set here; the broader pages keep theirs
        for lv in LEVELS:
            r = get(env, page_path(lv, KEYS[lv]))
            assert row(r, FIELD)[:3] == ("here", lv, LEVELS[lv]), lv
        # the device detail page agrees
        r = get(env, f"/device?user={USER}&id={DEV}")
        assert re.search(rf"<td>{FIELD}</td><td>4</td><td>device</td><td>{DEV}</td>".encode(),
                         r.body), r.body.decode()[:4000]

        # unset at device: the device page falls back to the user's value, linked
        page = get(env, page_path("device", DEV))    # user looked up from the device
        assert b'name="user" value="' + USER.encode() + b'"' in page.body
        r, query = follow(env, post(env, "/policies",
                                    form("device", FIELD, unset=True, csrf=token(page))))
        assert "done=unset" in query
        assert b"it is inherited again" in r.body
        cls, src, value, html_row = row(r, FIELD)
        assert (cls, src, value) == ("inherited", "user", "3")
        assert (f'href="/eas-admin/policies?scope=user&amp;key=polphone%40{DOMAIN}">'
                f"user {USER}</a>") in html_row
        assert f'id="unset-{FIELD}"' not in html_row
        assert stored(env, "device", FIELD) == ""
        # and the chain: user page unset -> domain, domain unset -> global on the user page
        for lv, want in (("user", ("domain", "2")), ("domain", ("global", "1"))):
            page = get(env, page_path(lv, KEYS[lv]))
            follow(env, post(env, "/policies", form(lv, FIELD, unset=True, csrf=token(page))))
            r = get(env, page_path("user", USER))
            assert row(r, FIELD)[1:3] == want, lv

        audit = env.psql("SELECT string_agg(actor || ':' || action || ':' || (details->>'scope')"
                         " || ':' || coalesce(details->>'value', '-'), ',' ORDER BY id)"
                         f" FROM audit_log WHERE details->>'name' = '{FIELD}'"
                         f" AND actor = '{ADMIN}'")
        assert audit == ",".join([f"{ADMIN}:policy.set:global:1", f"{ADMIN}:policy.set:domain:2",
                                  f"{ADMIN}:policy.set:user:3", f"{ADMIN}:policy.set:device:4",
                                  f"{ADMIN}:policy.unset:device:-",
                                  f"{ADMIN}:policy.unset:user:-",
                                  f"{ADMIN}:policy.unset:domain:-"]), audit
        # the device-scoped audit rows name the user and the device
        assert env.psql("SELECT user_name || '/' || device_id FROM audit_log WHERE action = "
                        f"'policy.set' AND details->>'name' = '{FIELD}' AND details->>'scope' = "
                        "'device' ORDER BY id DESC LIMIT 1") == f"{USER}/{DEV}"
    finally:
        cleanup(env, FIELD)
    assert env.psql(f"SELECT count(*) FROM policies WHERE name = '{FIELD}'") == "0"


def test_csrf_refused(pol, env_log):
    env = pol
    env_log.allow(r"EAS00130")
    before = snapshot(env)
    f = form("user", "AllowIrDA", "0")
    assert post(env, "/policies", f).status == 403                        # no token
    assert post(env, "/policies", dict(f, csrf="1.00")).status == 403     # wrong token
    good = token(get(env, page_path("user", USER)))
    r = post(env, "/policies", dict(f, csrf=good), headers={"Origin": "https://evil.example"})
    assert r.status == 403                                                # foreign origin
    r = post(env, "/policies", dict(form("user", "AllowIrDA", unset=True), csrf="1.00"))
    assert r.status == 403
    assert snapshot(env) == before
    assert stored(env, "user", "AllowIrDA") == ""


def test_refusals_write_nothing(pol, env_log):
    env = pol
    env_log.allow(r"EAS00130")
    page = get(env, page_path("user", USER))
    t = token(page)
    before = snapshot(env)

    r = post(env, "/policies", form("user", "DevicePasswordHistory", "99", csrf=t))
    assert r.status == 409
    assert b'<div class="flash error" role="alert">invalid value &#39;99&#39;' in r.body
    assert b"from 0 to 50" in r.body
    assert b'<table id="policy">' in r.body          # the page again, to correct the value
    r = post(env, "/policies", form("user", "AllowCamera", "maybe", csrf=t))
    assert r.status == 409 and b"AllowCamera takes 0 or 1" in r.body
    r = post(env, "/policies", form("user", "NoSuchSetting", "1", csrf=t))
    assert r.status == 409 and b"unknown policy setting" in r.body
    r = post(env, "/policies", form("user", "AllowCamera", unset=True, csrf=t))
    assert r.status == 409 and f"AllowCamera is not set at user {USER}".encode() in r.body
    r = post(env, "/policies", {"scope": "user", "key": USER, "name": "AllowCamera", "csrf": t})
    assert r.status == 400                            # neither value nor unset
    r = post(env, "/policies", dict(form("user", "AllowCamera", "0", csrf=t), scope="planet"))
    assert r.status == 400 and b"global, domain, user or device" in r.body
    r = post(env, "/policies", dict(form("user", "AllowCamera", "0", csrf=t), key="nobody-here"))
    assert r.status == 404 and b"unknown user &#39;nobody-here&#39;" in r.body
    r = post(env, "/policies", dict(form("device", "AllowCamera", "0", csrf=t), key="NODEV"))
    assert r.status == 404 and b"NODEV" in r.body
    assert snapshot(env) == before

    # unknown scopes on GET: 404 with the core's words, the chooser to try again
    r = get(env, page_path("user", "nobody-here"))
    assert r.status == 404 and b"unknown user &#39;nobody-here&#39;" in r.body
    assert b'id="scope"' in r.body and b'<table id="policy">' not in r.body
    r = get(env, page_path("device", "NODEV"))
    assert r.status == 404 and b"unknown device &#39;NODEV&#39;" in r.body
    r = get(env, page_path("device", DEV, "someone-else"))
    assert r.status == 404 and b"someone-else" in r.body
    assert get(env, page_path("user")).status == 400          # no key
    assert get(env, page_path("domain", "a@b")).status == 404  # not a domain
    # domains are not a list of their own: any mail domain has a (fully inherited) page
    r = get(env, page_path("domain", "unused-domain.test"))
    assert r.status == 200 and row(r, FIELD)[:2] == ("inherited", "default")
    # the flash after a redirect is fixed text, never the request's
    r = get(env, page_path("global") + "&done=%3Cscript%3E")
    assert r.status == 200 and b'class="flash' not in r.body


def test_hostile_key_escaped(pol):
    env = pol
    r = get(env, page_path("domain", HOSTILE_DOMAIN))
    assert r.status == 200
    assert b"<script>" not in r.body
    assert b'name="key" value="&lt;script&gt;alert(1)&lt;/script&gt;.test"' in r.body
    r = get(env, page_path("user", HOSTILE_DOMAIN))
    assert r.status == 404 and b"<script>" not in r.body
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in r.body
    try:
        page = get(env, page_path("domain", HOSTILE_DOMAIN))
        r, query = follow(env, post(env, "/policies", {
            "scope": "domain", "key": HOSTILE_DOMAIN, "name": "AllowIrDA", "value": "no",
            "csrf": token(page)}))
        assert "key=%3Cscript%3Ealert%281%29%3C%2Fscript%3E.test" in query
        assert b"<script>" not in r.body
        cls, src, value, html_row = row(r, "AllowIrDA")
        assert (cls, src, value) == ("here", "domain", "0")
        assert env.psql("SELECT value FROM policies WHERE scope = 'domain' AND scope_key = "
                        f"{q(HOSTILE_DOMAIN)} AND name = 'AllowIrDA'") == "0"
    finally:
        env.easctl("policy", "unset", "--domain", HOSTILE_DOMAIN, "AllowIrDA")


def test_json_api(pol, env_log):
    env = pol
    env_log.allow(r"EAS00130")
    try:
        r = get(env, "/api/policy?" + urlencode({"scope": "user", "key": USER}))
        assert r.status == 200 and r.header("Content-Type").startswith("application/json")
        rows = {p["name"]: p for p in json.loads(r.body)}
        assert rows["AllowIrDA"] == {"name": "AllowIrDA", "value": "1", "source": "default",
                                     "source_key": None}

        before = snapshot(env)
        f = form("user", "AllowIrDA", "off")
        assert post(env, "/api/policy", f).status == 403               # no API header
        assert snapshot(env) == before

        r = post(env, "/api/policy", f, headers=API)
        assert r.status == 200, r.body
        assert json.loads(r.body) == {"ok": True, "value": "0"}        # normalised
        assert stored(env, "user", "AllowIrDA") == f"0|{ADMIN}"
        r = post(env, "/api/policy", form("user", "MinDevicePasswordLength", ""), headers=API)
        assert json.loads(r.body) == {"ok": True, "value": ""}         # empty: no minimum
        assert stored(env, "user", "MinDevicePasswordLength") == f"|{ADMIN}"
        # device scope without the user: the owner is found
        r = post(env, "/api/policy", {"scope": "device", "key": DEV, "name": "AllowIrDA",
                                      "value": "1"}, headers=API)
        assert r.status == 200 and json.loads(r.body)["value"] == "1"
        rows = {p["name"]: p for p in json.loads(get(env, "/api/policy?" + urlencode(
            {"scope": "device", "key": DEV})).body)}
        assert rows["AllowIrDA"] == {"name": "AllowIrDA", "value": "1", "source": "device",
                                     "source_key": DEV}
        assert rows["MinDevicePasswordLength"]["source"] == "user"
        r = post(env, "/api/policy", {"scope": "device", "key": DEV, "name": "AllowIrDA",
                                      "unset": "1"}, headers=API)
        assert r.status == 200 and json.loads(r.body) == {"ok": True}

        before = snapshot(env)
        r = post(env, "/api/policy", form("user", "AllowIrDA", "sometimes"), headers=API)
        assert r.status == 409 and "takes 0 or 1" in json.loads(r.body)["error"]
        r = post(env, "/api/policy", form("device", "AllowIrDA", unset=True), headers=API)
        assert r.status == 409 and "is not set at" in json.loads(r.body)["error"]
        r = post(env, "/api/policy", dict(form("user", "AllowIrDA", "1"), key="ghost"),
                 headers=API)
        assert r.status == 404 and json.loads(r.body) == {"error": "unknown user 'ghost'"}
        r = post(env, "/api/policy", dict(form("user", "AllowIrDA", "1"), scope="x"),
                 headers=API)
        assert r.status == 400 and "error" in json.loads(r.body)
        assert get(env, "/api/policy?scope=device&key=NODEV").status == 404
        assert snapshot(env) == before

        assert env.psql("SELECT string_agg(action || ':' || (details->>'scope'), ',' ORDER BY "
                        f"id) FROM audit_log WHERE actor = '{ADMIN}' AND user_name = {q(USER)}"
                        " AND details->>'name' = 'AllowIrDA'") == (
            "policy.set:user,policy.set:device,policy.unset:device")
    finally:
        cleanup(env, "AllowIrDA", ("user", "device"))
        cleanup(env, "MinDevicePasswordLength", ("user",))
