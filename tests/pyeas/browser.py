"""Headless Chromium for the console's browser tests (test_960), through Debian's chromium,
chromium-driver and python3-selenium (tools/deps.sh; nothing from npm or PyPI).

The console is behind HTTP Basic auth. The Authorization header is added to every request of the
tab through the DevTools protocol (Network.setExtraHTTPHeaders) rather than with credentials in the
URL, so redirects and form POSTs carry it whatever Chromium's auth cache does. Every page load is
followed by a wait for the new document, never a sleep. The browser's console log and its network
log are kept so a test can check that a page broke no CSP rule and asked nothing of another
origin."""
import base64
import json
import os
import shutil
import signal
import tempfile

from pyeas.env import wait_for

__all__ = ["ARTIFACTS", "WAIT", "Browser", "By", "WebDriverWait", "missing"]

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifacts")
WAIT = 20   # seconds an expected page or element may take; only a ceiling, never a pause

try:
    from selenium import webdriver
    from selenium.common.exceptions import NoAlertPresentException, WebDriverException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:   # reported by missing() as a failure with a message
    webdriver = By = WebDriverWait = None


def missing():
    """What is not installed, as a message, or None."""
    lacks = [p for p, ok in (("chromium", os.access(CHROMIUM, os.X_OK)),
                             ("chromium-driver", os.access(CHROMEDRIVER, os.X_OK)),
                             ("python3-selenium", webdriver is not None)) if not ok]
    if not lacks:
        return None
    return ("the browser tests need the Debian packages " + " ".join(lacks) +
            " (tools/deps.sh installs them)")


def _pids_with(marker):
    """Processes whose command line names marker (our private profile directory)."""
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cmdline", "rb") as f:
                if marker.encode() in f.read():
                    pids.append(int(d))
        except OSError:
            pass
    return pids


class Browser:
    def __init__(self, origin, user, password):
        self.origin = origin.rstrip("/")
        self.profile = tempfile.mkdtemp(prefix="eas-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for a in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                  "--window-size=1280,1024", "--no-first-run", "--disable-extensions",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--user-data-dir=" + self.profile):
            opts.add_argument(a)
        opts.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        self.console = []    # browser console entries seen so far
        self.requests = []   # (method, url) of every request the pages made
        try:
            self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        try:
            auth = base64.b64encode(f"{user}:{password}".encode()).decode()
            self.driver.execute_cdp_cmd("Network.enable", {})
            self.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                                        {"headers": {"Authorization": "Basic " + auth}})
        except Exception:
            self.quit()
            raise

    def quit(self):
        """Quit chromedriver and its browser; then end any process of ours still running (by
        pid: chromedriver's own, and those with our private profile directory) and say so."""
        try:
            self.driver.quit()
        finally:
            # the browser's processes end shortly after chromedriver's reply
            wait_for(lambda: not _pids_with(self.profile), timeout=WAIT)
            left = _pids_with(self.profile)
            drv = self.driver.service.process
            if drv and drv.poll() is None:
                left.append(drv.pid)
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            shutil.rmtree(self.profile, ignore_errors=True)
        assert not left, f"chromium processes left after quit: {left}"

    # --- navigation -------------------------------------------------------------------------
    def get(self, path):
        self.driver.get(self.origin + path)
        self._loaded()

    def click(self, by, sel):
        """Click something that loads a new page, and wait for that page: the old page's window
        carries a mark that a new document does not have. (Waiting for an old element to go
        stale is not enough: during the navigation chromedriver may answer "Node with given id
        does not belong to the document" instead of "stale".)"""
        el = self.find(by, sel)
        self.driver.execute_script("window.__easOldPage = true;")
        el.click()
        self._loaded()

    def _loaded(self):
        WebDriverWait(self.driver, WAIT, ignored_exceptions=(WebDriverException,)).until(
            lambda d: d.execute_script("return window.__easOldPage === undefined && "
                                       "document.readyState === 'complete';"))
        self._collect()

    def find(self, by, sel):
        return WebDriverWait(self.driver, WAIT).until(EC.presence_of_element_located((by, sel)))

    def text(self, by, sel):
        return self.find(by, sel).text.strip()

    def path(self):
        url = self.driver.current_url
        assert url.startswith(self.origin + "/"), url
        return url[len(self.origin):]

    def alert_open(self):
        try:
            self.driver.switch_to.alert
            return True
        except NoAlertPresentException:
            return False

    # --- evidence -----------------------------------------------------------------------------
    def screenshot(self, test, step):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, f"{test}-{step}.png")
        assert self.driver.save_screenshot(path), path
        return path

    def _collect(self):
        self.console += self.driver.get_log("browser")
        for e in self.driver.get_log("performance"):
            m = json.loads(e["message"])["message"]
            # requests of web documents only: Chromium's own pages (the first tab's
            # chrome://new-tab-page) are not the console's
            if m.get("method") == "Network.requestWillBeSent" and \
                    m["params"].get("documentURL", "").startswith(("http:", "https:")):
                r = m["params"]["request"]
                self.requests.append((r["method"], r["url"]))

    def problems(self):
        """Console errors or CSP reports, and requests to anything but the console's origin."""
        self._collect()
        bad = [f"console {e['level']}: {e['message']}" for e in self.console
               if e["level"] in ("SEVERE", "WARNING") or "Content Security Policy" in e["message"]]
        bad += [f"request {m} {u}" for m, u in self.requests
                if not u.startswith(self.origin + "/")]
        return bad
