"""The test environment: a real PostgreSQL cluster and a real httpd with the real modules, talked
to with curl (the mod_h2/mod_md convention). One Env per test session; see tests/conftest.py."""
import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(TOP, "tools"))
from eas_stack import Stack  # noqa: E402
from pyeas import wbxml  # noqa: E402
from pyeas.smtpsink import SmtpSink  # noqa: E402

EAS_PATH = "/Microsoft-Server-ActiveSync"


class Response:
    def __init__(self, status, headers, body, stderr=""):
        self.status = status
        self.headers = headers        # lower-case name -> list of values
        self.body = body
        self.stderr = stderr

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[-1] if v else None

    def __repr__(self):
        return f"<Response {self.status} {self.headers}>"


class LogWatch:
    """Remembers where the error log was; after a test, every [error]/[warn]/[crit] line written
    since then must match a pattern the test declared, else the test fails."""

    BAD = re.compile(r"\[(?:[a-z_0-9]+:)?(error|warn|crit|alert|emerg)\]")

    def __init__(self, path):
        self.path = path
        self.pos = os.path.getsize(path) if os.path.exists(path) else 0
        self.allowed = []

    def allow(self, *patterns):
        self.allowed += [re.compile(p) for p in patterns]

    def new_lines(self):
        if not os.path.exists(self.path):
            return []
        with open(self.path, "rb") as f:
            f.seek(self.pos)
            return f.read().decode("utf-8", "replace").splitlines()

    def unexpected(self):
        return [ln for ln in self.new_lines()
                if self.BAD.search(ln) and not any(p.search(ln) for p in self.allowed)]


class Env:
    def __init__(self):
        self.top = TOP
        base = os.environ.get("EAS_TEST_DIR")
        self.tmp = tempfile.mkdtemp(prefix="eas-test-", dir=base)
        os.chmod(self.tmp, 0o755)   # the unprivileged server user must reach it
        # ports away from `make run`'s (8080/15432), spread so parallel suites rarely collide
        port_base = 20000 + (os.getpid() % 200) * 50
        self.stack = Stack(os.path.join(self.tmp, "var"), fast=True, eas_loglevel="debug",
                           port_base=port_base)
        self.user = "demo"
        self.password = "demo-secret-1"
        self.users = {self.user: self.password}
        self.log = None
        self.extra_conf = ""
        # every test stack sends through a local SMTP sink (tests/pyeas/smtpsink.py); users
        # without '@' in their name have the address name@example.test
        self.smtp = SmtpSink()
        self.mail_domain = "example.test"

    # --- life cycle -------------------------------------------------------------------
    def start(self):
        st = self.stack
        st.pg_init()
        st.pg_start()
        st.db_create()
        st.migrate()
        self.smtp.start()
        st.write_httpd_conf(self._with_mail_conf(self.extra_conf))
        for u, p in self.users.items():
            st.add_user(u, p)
        st.httpd_start()

    def stop(self):
        self.smtp.stop()
        self.stack.stop()
        if os.environ.get("EAS_TEST_KEEP"):
            print(f"test stack kept in {self.tmp}")
        else:
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def url(self):
        return self.stack.url

    @property
    def error_log(self):
        return os.path.join(self.stack.server_root, "logs", "error_log")

    def add_user(self, name, password):
        self.users[name] = password
        self.stack.add_user(name, password)

    def set_conf(self, extra):
        """Replace the test-specific configuration and restart httpd with it."""
        self.extra_conf = extra
        self.stack.write_httpd_conf(self._with_mail_conf(extra))
        self.stack.httpd_restart()

    def _with_mail_conf(self, extra):
        """The test's configuration plus the mail path defaults it does not set itself."""
        extra = extra or ""
        head = ""
        if "EASSMTPRelay" not in extra:
            head += f"EASSMTPRelay smtp://127.0.0.1:{self.smtp.port}\n"
        if "EASMailDomain" not in extra:
            head += f"EASMailDomain {self.mail_domain}\n"
        return head + extra

    def configtest(self, extra):
        """`apachectl configtest` of the base configuration plus extra; returns (rc, output)."""
        path = os.path.join(self.stack.server_root, "conf", "configtest.conf")
        with open(self.stack.conf_path()) as f:
            base = f.read()
        with open(path, "w") as f:
            f.write(base.replace('IncludeOptional', '#IncludeOptional') + "\n" + extra + "\n")
        os.chmod(path, 0o644)
        r = self.stack.apachectl("-t", conf=path, check=False)
        return r.returncode, r.stdout + r.stderr

    def psql(self, sql):
        return self.stack.psql(sql).stdout.strip()

    def easctl(self, *args, check=False):
        return self.stack.easctl(*args, check=check)

    # --- HTTP -------------------------------------------------------------------------
    def curl(self, path, method="GET", user=None, password=None, headers=None, data=None,
             data_file=None, extra=None, timeout=30, base=None):
        hfile = tempfile.NamedTemporaryFile(delete=False)
        bfile = tempfile.NamedTemporaryFile(delete=False)
        hfile.close()
        bfile.close()
        argv = ["curl", "-sS", "--max-time", str(timeout), "-X", method, "-D", hfile.name,
                "-o", bfile.name, "-w", "%{http_code}"]
        if user is not None:
            argv += ["-u", f"{user}:{password if password is not None else self.users.get(user)}"]
        for k, v in (headers or {}).items():
            argv += ["-H", f"{k}: {v}"]
        if data is not None:
            dpath = bfile.name + ".req"
            with open(dpath, "wb") as f:
                f.write(data if isinstance(data, bytes) else data.encode())
            argv += ["--data-binary", f"@{dpath}"]
        if data_file is not None:
            argv += ["--data-binary", f"@{data_file}"]
        argv += list(extra or [])
        argv.append((base or self.url) + path)   # base: another server of the same database
        r = subprocess.run(argv, capture_output=True, text=True)
        with open(hfile.name, "rb") as f:
            raw = f.read().decode("latin-1")
        with open(bfile.name, "rb") as f:
            body = f.read()
        for p in (hfile.name, bfile.name, bfile.name + ".req"):
            if os.path.exists(p):
                os.unlink(p)
        headers_out = {}
        # with 100-continue or auth retries several header blocks may precede the last one
        blocks = [b for b in raw.split("\r\n\r\n") if b.strip()]
        for line in (blocks[-1].split("\r\n")[1:] if blocks else []):
            if ":" in line:
                k, v = line.split(":", 1)
                headers_out.setdefault(k.strip().lower(), []).append(v.strip())
        status = int(r.stdout.strip() or 0)
        return Response(status, headers_out, body, r.stderr)

    def eas(self, cmd, device_id="TESTDEV0001", device_type="TestPhone", version="14.1",
            body=None, user=None, password=None, headers=None, query=None, **kw):
        """POST one ActiveSync command in the plain query form."""
        user = user or self.user
        q = query if query is not None else (f"Cmd={cmd}&User={user}&DeviceId={device_id}"
                                              f"&DeviceType={device_type}")
        h = {"Content-Type": "application/vnd.ms-sync.wbxml"}
        if version:
            h["MS-ASProtocolVersion"] = version
        h.update(headers or {})
        return self.curl(f"{EAS_PATH}?{q}", method="POST", user=user, password=password,
                         headers=h, data=body if body is not None else b"", **kw)


class EasResult:
    """An ActiveSync exchange: the HTTP response plus, for WBXML bodies, the decoded document."""

    def __init__(self, resp, doc):
        self.resp = resp
        self.status = resp.status
        self.doc = doc

    def text(self, path):
        return self.doc.text(path) if self.doc else None


def command(env, cmd, xml=None, check_schema=True, **kw):
    """POST cmd with xml (encoded by our codec); decode the answer with our codec, cross-check it
    with libwbxml and validate it against the XSDs."""
    body = wbxml.encode(xml) if xml is not None else b""
    r = env.eas(cmd, body=body, **kw)
    doc = None
    if r.status == 200 and r.body:
        assert r.header("Content-Type") == "application/vnd.ms-sync.wbxml"
        text = wbxml.decode(r.body)
        wbxml.oracle_check(r.body, text)
        if check_schema:
            wbxml.validate(text)
        doc = wbxml.Doc(text)
    return EasResult(r, doc)


def b64_query(version, code, device_id, device_type, policy_key=None, locale=0x0409, params=()):
    """MS-ASHTTP 2.2.1.1.1.1 base64 query value."""
    raw = bytes([version, code]) + locale.to_bytes(2, "little")
    raw += bytes([len(device_id)]) + device_id.encode()
    if policy_key is None:
        raw += b"\x00"
    else:
        raw += b"\x04" + policy_key.to_bytes(4, "little")
    raw += bytes([len(device_type)]) + device_type.encode()
    for tag, value in params:
        raw += bytes([tag, len(value)]) + value
    return base64.b64encode(raw).decode()


def wait_for(pred, timeout=10, interval=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(interval)
    return pred()
