"""The administration console (docs/console.md) in headless Chromium: wipe a device through the
pages and see the state change, the confirmation's Cancel link, block/allow, a hostile device
model shown as text, the device list's filter and sort, a form on another origin refused, the
overview, and a policy value set at user scope. Every page is checked for console errors, CSP
reports and requests to another origin. Screenshots of each step go to
tests/artifacts/<test>-<n>-<step>.png. The same console over curl is test_950 to 952."""
import glob
import html
import os
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

import pytest

from pyeas import browser as brw
from pyeas.browser import By
from test_300_provision import new_device, provision
from pyeas.console import HOSTILE, hostile_provision, location_conf

ADMIN, ADMIN_PW = "brwadmin", "browser-secret-1"
PHONE_USER, PHONE_PW = "brwphone", "phone-secret-2"


@pytest.fixture(scope="module")
def console(env):
    env.add_user(ADMIN, ADMIN_PW)
    env.add_user(PHONE_USER, PHONE_PW)
    env.set_conf(location_conf(env, ADMIN))
    devs = {}
    for role in ("wipe", "access", "other"):
        devs[role] = new_device(env, "BRW" + role[0].upper())
        provision(env, devs[role], "16.1", user=PHONE_USER, password=PHONE_PW)
    yield env, devs
    env.set_conf("")


@pytest.fixture
def br(console, request):
    lacking = brw.missing()
    if lacking:
        pytest.fail(lacking)
    env, _ = console
    b = brw.Browser(env.url, ADMIN, ADMIN_PW)
    b.test = request.node.name
    b.step = 0
    for old in glob.glob(os.path.join(brw.ARTIFACTS, glob.escape(b.test) + "-*.png")):
        os.unlink(old)   # a failed run's later steps must not look like this run's
    yield b
    b.quit()


def shot(b, step):
    b.step += 1
    b.screenshot(b.test, f"{b.step}-{step}")


def device_path(dev):
    return f"/eas-admin/device?user={PHONE_USER}&id={dev}"


def db(env, column, dev):
    return env.psql(f"SELECT {column} FROM devices WHERE device_id = '{dev}'")


def audit(env, dev, action):
    return env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}' "
                    f"AND actor = '{ADMIN}' AND action = '{action}'")


def assert_clean(b):
    bad = b.problems()
    assert not bad, "\n".join(bad)


def test_wipe_confirm_then_cancel(console, br):
    env, devs = console
    dev = devs["wipe"]
    br.get("/eas-admin/devices")
    row = br.find(By.CSS_SELECTOR, f'tr[data-device="{dev}"]')
    assert PHONE_USER in row.text
    shot(br, "devices")

    br.click(By.CSS_SELECTOR, f'tr[data-device="{dev}"] a')
    assert br.path() == device_path(dev)
    assert br.text(By.ID, "wipe-state") == "none"
    shot(br, "device")

    br.click(By.ID, "action-wipe")
    assert br.find(By.ID, "confirm").text.startswith("Yes, wipe")
    assert dev in br.text(By.CSS_SELECTOR, "p.confirm")
    assert db(env, "wipe_state", dev) == "none"     # the confirmation step acted on nothing
    shot(br, "confirm")

    br.click(By.ID, "confirm")
    assert br.path() == device_path(dev) + "&done=wipe"
    assert br.text(By.CSS_SELECTOR, ".flash") == "Remote wipe requested."
    assert br.text(By.ID, "wipe-state") == "requested"
    assert db(env, "wipe_state", dev) == "requested"
    assert db(env, "wipe_requested_by", dev) == ADMIN
    assert audit(env, dev, "wipe.request") == "1"
    shot(br, "requested")

    br.click(By.ID, "action-wipe-cancel")
    assert br.text(By.CSS_SELECTOR, ".flash") == "Remote wipe cancelled."
    assert br.text(By.ID, "wipe-state") == "none"
    assert db(env, "wipe_state", dev) == "none"
    assert audit(env, dev, "wipe.cancel") == "1"
    shot(br, "cancelled")
    assert_clean(br)


def test_confirmation_cancel_link(console, br):
    env, devs = console
    dev = devs["other"]
    before = env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}'")
    br.get(device_path(dev))
    assert br.text(By.ID, "wipe-state") == "none"
    br.click(By.ID, "action-wipe")
    shot(br, "confirm")
    br.click(By.ID, "cancel")
    assert br.path() == device_path(dev)
    assert br.text(By.ID, "wipe-state") == "none"
    assert not br.driver.find_elements(By.CSS_SELECTOR, ".flash")
    shot(br, "back")
    assert db(env, "wipe_state", dev) == "none"
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}'") == before
    assert_clean(br)


def test_block_then_allow(console, br):
    env, devs = console
    dev = devs["access"]
    br.get(device_path(dev))
    assert br.text(By.ID, "access-state") == "allow"
    shot(br, "device")
    for action, state, override, flash in (("block", "block", "block", "Device blocked."),
                                           ("allow", "allow", "allow", "Device allowed."),
                                           ("access-clear", "allow", "", "Access decision back "
                                            "to the rules.")):
        br.click(By.ID, "action-" + action)
        assert br.text(By.CSS_SELECTOR, ".flash") == flash
        assert br.text(By.ID, "access-state") == state
        assert db(env, "access_state", dev) == state
        assert db(env, "coalesce(access_override, '')", dev) == override
        shot(br, action)
    assert env.psql(f"SELECT string_agg(action, ',' ORDER BY id) FROM audit_log WHERE device_id "
                    f"= '{dev}' AND actor = '{ADMIN}'") == \
        "access.override,access.override,access.clear"
    assert_clean(br)


def test_hostile_model_is_text(console, br):
    env, _ = console
    dev = new_device(env, "BRWH")
    hostile_provision(env, dev, PHONE_USER, PHONE_PW)
    for path in (f"/eas-admin/devices?user={PHONE_USER}", device_path(dev), "/eas-admin/audit"):
        br.get(path)
        assert not br.alert_open(), path
        assert not br.driver.find_elements(By.XPATH, "//script[contains(., 'alert(1)')]"), path
        shot(br, path.split("?")[0].rsplit("/", 1)[1])
    # the model is shown literally, as text with no element inside
    br.get(device_path(dev))
    model = br.find(By.XPATH, "//dl[@id='device']/dt[.='model']/following-sibling::dd[1]")
    assert model.text == HOSTILE
    assert model.find_elements(By.XPATH, "*") == []
    br.get(f"/eas-admin/devices?user={PHONE_USER}")
    heads = [th.text for th in br.driver.find_elements(By.CSS_SELECTOR, "#devices thead th")]
    col = heads.index("model") + 1
    cell = br.find(By.XPATH, f"//tr[@data-device='{dev}']/td[{col}]")
    assert cell.text == HOSTILE and cell.find_elements(By.XPATH, "*") == []
    assert_clean(br)


def test_filter_and_sort(console, br):
    env, devs = console
    br.get("/eas-admin/devices")
    form = br.find(By.CSS_SELECTOR, "form.filter")
    form.find_element(By.NAME, "user").send_keys(PHONE_USER)
    form.find_element(By.NAME, "q").send_keys(devs["access"])
    shot(br, "typed")
    br.click(By.CSS_SELECTOR, "form.filter button[type=submit]")
    rows = [r.get_attribute("data-device")
            for r in br.driver.find_elements(By.CSS_SELECTOR, "#devices tbody tr[data-device]")]
    assert rows == [devs["access"]]
    assert br.find(By.NAME, "q").get_attribute("value") == devs["access"]   # the form keeps it
    shot(br, "filtered")

    # only this user's devices, then sorted by device_id both ways through the header links
    br.get(f"/eas-admin/devices?user={PHONE_USER}")
    all_ids = [r.get_attribute("data-device")
               for r in br.driver.find_elements(By.CSS_SELECTOR, "#devices tr[data-device]")]
    assert set(devs.values()) <= set(all_ids)
    for direction, expect in (("ascending", sorted(all_ids)),
                              ("descending", sorted(all_ids, reverse=True))):
        br.click(By.XPATH, "//table[@id='devices']//th/a[starts-with(., 'device_id')]")
        th = br.find(By.XPATH, "//table[@id='devices']//th[a[starts-with(., 'device_id')]]")
        assert th.get_attribute("aria-sort") == direction
        ids = [r.get_attribute("data-device")
               for r in br.driver.find_elements(By.CSS_SELECTOR, "#devices tr[data-device]")]
        assert ids == expect, direction
        assert f"user={PHONE_USER}" in br.path()   # the filter survives sorting
        shot(br, direction)

    # a filter that matches nothing
    br.get("/eas-admin/devices")
    br.find(By.NAME, "q").send_keys("no-such-device-anywhere")
    br.click(By.CSS_SELECTOR, "form.filter button[type=submit]")
    assert not br.driver.find_elements(By.CSS_SELECTOR, "#devices tr[data-device]")
    assert "No device matches." in br.text(By.ID, "devices")
    assert_clean(br)


def forged_form(env, dev, token):
    """A page of another origin with a form posting a block of dev to the console, carrying a
    valid token: only the Origin check can refuse it."""
    fields = {"user": PHONE_USER, "id": dev, "action": "block", "csrf": token}
    inputs = "".join(f'<input type="hidden" name="{k}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    return (f'<!DOCTYPE html><title>elsewhere</title><form method="post" '
            f'action="{env.url}/eas-admin/device">{inputs}<button id="go">go</button></form>')


@pytest.fixture
def foreign_site():
    """An HTTP server on another port, named localhost (another host than the console's
    127.0.0.1: the Origin check compares host names, see docs/console.md), serving one page."""
    page = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = page["html"].encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield page, f"http://localhost:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()
    t.join()


def test_foreign_origin_post_refused(console, br, foreign_site, env_log):
    """A browser holding the admin's credentials, on another site's page (another host, then
    a data: URL whose Origin is "null"), submits a form with a valid token: 403, nothing done."""
    env, devs = console
    env_log.allow(r"EAS00130")
    dev = devs["other"]
    r = env.curl(device_path(dev), user=ADMIN, password=ADMIN_PW)
    token = re.search(rb'name="csrf" value="([^"]+)"', r.body).group(1).decode()
    page, url = foreign_site
    page["html"] = forged_form(env, dev, token)
    before = env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}'")
    for where, start in (("host", url),
                         ("data", "data:text/html;charset=utf-8," + quote(page["html"]))):
        br.driver.get(start)
        br.click(By.ID, "go")
        assert br.driver.title.startswith("Refused"), where
        assert "CSRF" in br.text(By.CSS_SELECTOR, "p.message"), where
        shot(br, where)
        assert db(env, "access_state", dev) == "allow", where
        assert env.psql(f"SELECT count(*) FROM audit_log WHERE device_id = '{dev}'") == before
    # the same form with the console's own Origin is accepted: the Origin made the difference
    form = "&".join(f"{k}={quote(v)}" for k, v in
                    {"user": PHONE_USER, "id": dev, "action": "block", "csrf": token}.items())
    r = env.curl("/eas-admin/device", method="POST", user=ADMIN, password=ADMIN_PW, data=form,
                 headers={"Content-Type": "application/x-www-form-urlencoded",
                          "Origin": env.url})
    assert r.status == 303 and db(env, "access_state", dev) == "block"
    br.get(device_path(dev))
    br.click(By.ID, "action-access-clear")
    assert db(env, "access_state", dev) == "allow"


def test_csp_violation_is_seen(console, br):
    """The checks above can fail: a foreign image forced into the page is refused by the CSP and
    that refusal is reported."""
    br.get("/eas-admin/devices")
    assert br.problems() == []
    br.driver.execute_script(
        "var i = document.createElement('img'); i.src = 'http://192.0.2.1/x.png';"
        "document.body.appendChild(i);")
    brw.WebDriverWait(br.driver, brw.WAIT).until(lambda d: br.problems())
    assert any("Content Security Policy" in p for p in br.problems()), br.problems()


def test_overview(console, br):
    env, _ = console
    br.get("/eas-admin/")
    chart = br.find(By.ID, "syncs-chart")
    assert chart.is_displayed() and chart.size["width"] > 0
    assert br.driver.find_elements(By.CSS_SELECTOR, "#syncs-chart g.bar")   # one per hour
    assert br.text(By.ID, "device-total") == env.psql("SELECT count(*) FROM devices")
    shot(br, "overview")
    br.click(By.ID, "device-total")
    assert br.path().startswith("/eas-admin/devices")
    assert br.find(By.ID, "devices")
    assert_clean(br)


def policy_cells(b, name):
    row = b.find(By.ID, "policy-" + name)
    return (row.find_element(By.CSS_SELECTOR, "td.value").text,
            row.find_element(By.CSS_SELECTOR, "td.source").text)


def test_policy_at_user_scope(console, br):
    """Set a value at user scope through its form: the user's page says "set here", the device's
    effective policy shows it from the user; Unset brings the inherited value back."""
    env, devs = console
    name, value = "MaxInactivityTimeDeviceLock", "600"
    stored = (f"SELECT coalesce(string_agg(value || ':' || coalesce(updated_by, ''), ','), '') "
              f"FROM policies WHERE scope = 'user' AND scope_key = '{PHONE_USER}' "
              f"AND name = '{name}'")
    assert env.psql(stored) == ""
    br.get(f"/eas-admin/policies?scope=user&key={PHONE_USER}")
    before = policy_cells(br, name)
    assert before[0] != value and before[1] != "set here"
    shot(br, "before")

    field = br.find(By.CSS_SELECTOR, f"form#set-{name} [name=value]")
    field.clear()
    field.send_keys(value)
    br.click(By.CSS_SELECTOR, f"form#set-{name} button[name=go]")
    assert br.text(By.CSS_SELECTOR, ".flash") == "Policy value set at this scope."
    now = policy_cells(br, name)
    assert now[0].split()[0] == value and now[1] == "set here", now
    assert env.psql(stored) == f"{value}:{ADMIN}"
    audited = (f"SELECT coalesce(string_agg(action, ',' ORDER BY id), '') FROM audit_log "
               f"WHERE actor = '{ADMIN}' AND action LIKE 'policy.%' "
               f"AND details::text LIKE '%{name}%'")
    assert env.psql(audited) == "policy.set"
    shot(br, "set")

    # the device of that user: its effective policy now takes the value from the user
    br.get(device_path(devs["other"]))
    heads = [th.text for th in br.driver.find_elements(By.CSS_SELECTOR, "table#policy thead th")]
    row = br.find(By.XPATH, f"//table[@id='policy']//tr[td[{heads.index('name') + 1}]='{name}']")
    cells = [td.text for td in row.find_elements(By.TAG_NAME, "td")]
    assert cells[heads.index("value")] == value
    assert cells[heads.index("source")] == "user", cells
    shot(br, "device")

    br.get(f"/eas-admin/policies?scope=user&key={PHONE_USER}")
    br.click(By.ID, "unset-" + name)
    assert br.text(By.CSS_SELECTOR, ".flash").startswith("Policy value removed")
    assert policy_cells(br, name) == before
    assert env.psql(stored) == ""
    assert env.psql(audited) == "policy.set,policy.unset"
    shot(br, "unset")
    assert_clean(br)
