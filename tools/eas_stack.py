#!/usr/bin/env python3
"""eas_stack — a local PostgreSQL cluster and httpd ServerRoot for mod_eas.

One implementation for both `make run` (a persistent stack under ./var) and the test suite
(a throw-away stack under /tmp), so what the tests start is exactly what an administrator runs.

    python3 tools/eas_stack.py start [--var DIR] [--port N] [--pg-port N]
    python3 tools/eas_stack.py stop  [--var DIR]
    python3 tools/eas_stack.py status [--var DIR]

As root (CI is), PostgreSQL and httpd run as an unprivileged user (EAS_RUN_USER, default
"eas", created when missing) through runuser: initdb refuses root, and a server should not need it.
"""
import glob
import hashlib
import http.client
import json
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
APACHE_MODULES = "/usr/lib/apache2/modules"


DEFAULT_MPM = """StartServers 1
ServerLimit 4
ThreadsPerChild 25
MaxRequestWorkers 100"""


def pg_bindir():
    cands = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not cands:
        raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
    return os.path.dirname(cands[-1])


def free_port(start, avoid=()):
    for port in range(start, start + 2000):
        if port in avoid:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start}")


class Stack:
    """A PostgreSQL cluster + httpd ServerRoot below one directory."""

    def __init__(self, var, http_port=None, pg_port=None, fast=False, eas_loglevel="info",
                 port_base=None):
        self.top = TOP
        self.link = os.path.abspath(var)
        self.fast = fast            # tests: fsync off etc.; never for make run
        self.eas_loglevel = eas_loglevel
        self.mpm_conf = DEFAULT_MPM
        self.is_root = os.geteuid() == 0
        self.run_user = os.environ.get("EAS_RUN_USER", "eas") if self.is_root else None
        self.var = None
        self.state = {}
        self._resolve_var()
        st = self._load_state()
        self.http_port = http_port or st.get("http_port")
        self.pg_port = pg_port or st.get("pg_port")
        if not self.pg_port:
            self.pg_port = free_port(port_base or 15432)
        if not self.http_port:
            self.http_port = free_port((port_base or 8080) + 1, avoid=(self.pg_port,))
        self.pg_data = os.path.join(self.var, "pg", "data")
        self.pg_run = os.path.join(self.var, "pg", "run")
        self.pg_log = os.path.join(self.var, "pg", "postgresql.log")
        self.server_root = os.path.join(self.var, "httpd")
        self.db_user = "eas"
        self.db_name = "eas"
        self.conninfo = (f"host=127.0.0.1 port={self.pg_port} dbname={self.db_name} "
                         f"user={self.db_user} connect_timeout=5")
        self.url = f"http://127.0.0.1:{self.http_port}"

    # --- plumbing -----------------------------------------------------------------------
    def _ensure_run_user(self):
        if not self.is_root:
            return
        try:
            pwd.getpwnam(self.run_user)
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                            "--shell", "/usr/sbin/nologin", self.run_user], check=True)

    def _as_user(self, argv):
        if self.is_root:
            return ["runuser", "-u", self.run_user, "--"] + argv
        return argv

    def _reachable(self, path):
        if not self.is_root:
            return True
        r = subprocess.run(self._as_user(["test", "-w", path]))
        return r.returncode == 0

    def _chown(self, path):
        if self.is_root:
            pw = pwd.getpwnam(self.run_user)
            for root, dirs, files in os.walk(path):
                os.chown(root, pw.pw_uid, pw.pw_gid)
                for f in files:
                    try:
                        os.chown(os.path.join(root, f), pw.pw_uid, pw.pw_gid, follow_symlinks=False)
                    except FileNotFoundError:
                        pass

    def _resolve_var(self):
        """The directory the servers use. As root, a checkout below a private directory (root's
        home is 0700) cannot be entered by the service user: then the data lives in
        /var/lib/mod_eas-dev/<name> and ./var is a symlink to it."""
        self._ensure_run_user()
        if os.path.islink(self.link):
            self.var = os.path.realpath(self.link)
            os.makedirs(self.var, exist_ok=True)
            return
        os.makedirs(self.link, exist_ok=True)
        self.var = self.link
        if self.is_root:
            os.chmod(self.var, 0o755)
            self._chown(self.var)
            if not self._reachable(self.var):
                if os.listdir(self.var):
                    raise RuntimeError(f"{self.var} is not reachable by user {self.run_user}; "
                                       "move the checkout or remove that directory")
                os.rmdir(self.var)
                slug = hashlib.sha1(self.link.encode()).hexdigest()[:10]
                real = f"/var/lib/mod_eas-dev/{slug}"
                os.makedirs(real, exist_ok=True)
                os.chmod("/var/lib/mod_eas-dev", 0o755)
                os.chmod(real, 0o755)
                self._chown(real)
                os.symlink(real, self.link)
                self.var = real

    def _state_file(self):
        return os.path.join(self.var, "stack.json")

    def _load_state(self):
        try:
            with open(self._state_file()) as f:
                self.state = json.load(f)
        except (OSError, ValueError):
            self.state = {}
        return self.state

    def _save_state(self):
        self.state.update({"http_port": self.http_port, "pg_port": self.pg_port,
                           "conninfo": self.conninfo, "url": self.url})
        with open(self._state_file(), "w") as f:
            json.dump(self.state, f, indent=2)

    def run(self, argv, as_user=False, check=True, **kw):
        argv = self._as_user(argv) if as_user else argv
        r = subprocess.run(argv, capture_output=True, text=True, **kw)
        if check and r.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}{r.stderr}")
        return r

    # --- PostgreSQL -------------------------------------------------------------------
    def pg_init(self):
        if os.path.exists(os.path.join(self.pg_data, "PG_VERSION")):
            return False
        os.makedirs(self.pg_run, exist_ok=True)
        os.makedirs(self.pg_data, exist_ok=True)
        self._chown(os.path.join(self.var, "pg"))
        os.chmod(self.pg_data, 0o700)
        self.run([os.path.join(pg_bindir(), "initdb"), "-D", self.pg_data, "-U", self.db_user,
                  "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"], as_user=True)
        conf = [
            "listen_addresses = '127.0.0.1'",
            f"port = {self.pg_port}",
            f"unix_socket_directories = '{self.pg_run}'",
            "max_connections = 200",
            "log_min_messages = warning",
        ]
        if self.fast:
            conf += ["fsync = off", "synchronous_commit = off", "full_page_writes = off"]
        with open(os.path.join(self.pg_data, "postgresql.conf"), "a") as f:
            f.write("\n# mod_eas local stack\n" + "\n".join(conf) + "\n")
        # trust only on loopback and the private socket directory of this cluster
        with open(os.path.join(self.pg_data, "pg_hba.conf"), "w") as f:
            f.write("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._chown(os.path.join(self.var, "pg"))
        return True

    def pg_running(self):
        r = self.run([os.path.join(pg_bindir(), "pg_ctl"), "-D", self.pg_data, "status"],
                     as_user=True, check=False)
        return r.returncode == 0

    def pg_start(self):
        if self.pg_running():
            return
        # the port is fixed in postgresql.conf; pass it again in case the state file moved it
        self.run([os.path.join(pg_bindir(), "pg_ctl"), "-D", self.pg_data, "-l", self.pg_log,
                  "-o", f"-p {self.pg_port}", "-w", "-t", "60", "start"], as_user=True)

    def pg_stop(self, mode="fast"):
        if os.path.exists(os.path.join(self.pg_data, "postmaster.pid")):
            self.run([os.path.join(pg_bindir(), "pg_ctl"), "-D", self.pg_data, "-m", mode, "-w",
                      "-t", "60", "stop"], as_user=True, check=False)

    def psql(self, sql, db=None, check=True):
        return self.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                         "-p", str(self.pg_port), "-U", self.db_user, "-d", db or self.db_name,
                         "-c", sql], check=check)

    def db_create(self):
        r = self.psql("SELECT 1 FROM pg_database WHERE datname = 'eas'", db="postgres")
        if r.stdout.strip() != "1":
            self.psql("CREATE DATABASE eas", db="postgres")

    def easctl(self, *args, check=True):
        return self.run([os.path.join(self.top, "build", "bin", "easctl"), "--db", self.conninfo,
                         "--sql-dir", os.path.join(self.top, "sql")] + list(args), check=check)

    def migrate(self):
        return self.easctl("db", "migrate")

    # --- httpd ------------------------------------------------------------------------
    def conf_path(self):
        return os.path.join(self.server_root, "conf", "httpd.conf")

    def write_httpd_conf(self, extra_conf=None):
        for d in ("conf", "conf/local", "logs", "run", "modules", "htdocs"):
            os.makedirs(os.path.join(self.server_root, d), exist_ok=True)
        for so in ("mod_eas.so", "mod_autodiscover.so"):
            src = os.path.join(self.top, "build", so)
            if not os.path.exists(src):
                raise RuntimeError(f"{src} missing: run make first")
            tmp = os.path.join(self.server_root, "modules", so + ".new")
            shutil.copyfile(src, tmp)
            os.replace(tmp, os.path.join(self.server_root, "modules", so))
        with open(os.path.join(self.top, "conf", "httpd-local.conf.in")) as f:
            text = f.read()
        for k, v in {"SERVER_ROOT": self.server_root, "PORT": str(self.http_port),
                     "APACHE_MODULES": APACHE_MODULES, "CONNINFO": self.conninfo,
                     "EAS_LOGLEVEL": self.eas_loglevel, "MPM_CONF": self.mpm_conf}.items():
            text = text.replace(f"@{k}@", v)
        with open(self.conf_path(), "w") as f:
            f.write(text)
        local = os.path.join(self.server_root, "conf", "local", "test.conf")
        if extra_conf is not None:
            with open(local, "w") as f:
                f.write(extra_conf)
        self._chown(self.server_root)

    def add_user(self, name, password, file="users.htpasswd"):
        path = os.path.join(self.server_root, "conf", file)
        flags = "-bB" if os.path.exists(path) else "-cbB"
        self.run(["htpasswd", flags, "-C", "5", path, name, password])
        self._chown(path)

    def apachectl(self, *args, check=True, conf=None):
        return self.run(["/usr/sbin/apache2", "-d", self.server_root, "-f", conf or self.conf_path()]
                        + list(args), as_user=True, check=check)

    def httpd_pid(self):
        try:
            with open(os.path.join(self.server_root, "run", "httpd.pid")) as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def httpd_start(self, timeout=30):
        if self.httpd_pid():
            return
        self.apachectl("-k", "start")
        self.wait_http(timeout)

    def wait_http(self, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                c = http.client.HTTPConnection("127.0.0.1", self.http_port, timeout=2)
                # unauthenticated OPTIONS: answered 401 by mod_auth_basic without a log line
                c.request("OPTIONS", "/Microsoft-Server-ActiveSync")
                c.getresponse().read()
                c.close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"httpd did not answer on port {self.http_port}; see "
                           f"{self.server_root}/logs/error_log")

    def httpd_stop(self, timeout=30):
        pid = self.httpd_pid()
        if not pid:
            return
        self.apachectl("-k", "stop", check=False)
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                os.kill(pid, 0)
            except OSError:
                return
            time.sleep(0.1)
        os.kill(pid, 9)

    def httpd_graceful(self):
        self.apachectl("-k", "graceful")

    def httpd_restart(self, timeout=30):
        """Re-read the configuration. `-k restart` keeps the listening socket open in the
        parent, so no other process can take the port meanwhile (stop + start could lose it)."""
        log = os.path.join(self.server_root, "logs", "error_log")
        before = open(log, errors="replace").read().count("resuming normal operations")
        self.apachectl("-k", "restart")
        deadline = time.time() + timeout
        while time.time() < deadline:
            if open(log, errors="replace").read().count("resuming normal operations") > before:
                self.wait_http(timeout)
                return
            time.sleep(0.05)
        raise RuntimeError("httpd did not come back after restart")

    # --- whole stack ------------------------------------------------------------------
    def start(self, extra_conf=None):
        self.pg_init()
        self.pg_start()
        self.db_create()
        self.migrate()
        self.write_httpd_conf(extra_conf)
        if not self.state.get("demo_password"):
            self.state["demo_password"] = secrets.token_urlsafe(12)
        self.state["demo_user"] = "demo"
        self.add_user("demo", self.state["demo_password"])
        if not self.state.get("admin_password"):
            self.state["admin_password"] = secrets.token_urlsafe(12)
        self.add_user("admin", self.state["admin_password"], file="admins.htpasswd")
        self._save_state()
        self.httpd_start()

    def stop(self):
        self.httpd_stop()
        self.pg_stop()


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(prog="eas_stack")
    ap.add_argument("action", choices=["start", "stop", "status"])
    ap.add_argument("--var", default=os.path.join(TOP, "var"))
    ap.add_argument("--port", type=int)
    ap.add_argument("--pg-port", type=int)
    a = ap.parse_args(argv)
    st = Stack(a.var, http_port=a.port, pg_port=a.pg_port)
    if a.action == "stop":
        st.stop()
        print("mod_eas local stack stopped")
        return 0
    if a.action == "status":
        print(f"postgresql: {'running' if st.pg_running() else 'stopped'} (port {st.pg_port})")
        print(f"httpd:      {'running' if st.httpd_pid() else 'stopped'} ({st.url})")
        return 0
    st.start()
    user, pw = st.state["demo_user"], st.state["demo_password"]
    print(f"""
mod_eas is running.
  URL:        {st.url}/Microsoft-Server-ActiveSync
  demo user:  {user}
  password:   {pw}
  database:   {st.conninfo}
  logs:       {st.server_root}/logs/error_log
Try:
  curl -i -u {user}:{pw} -X OPTIONS {st.url}/Microsoft-Server-ActiveSync
Autodiscover (what a phone asks when given only an address and a password):
  curl -u {user}:{pw} -H 'Content-Type: text/xml' {st.url}/autodiscover/autodiscover.xml \\
    --data '<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"><Request><EMailAddress>{user}@example.test</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006</AcceptableResponseSchema></Request></Autodiscover>'
Deliver a message to the demo mailbox (any RFC 5322 file; see docs/mailstore.md for Postfix):
  printf 'Subject: hello\\n\\nfirst message\\n' | build/bin/eas-deliver --db "{st.conninfo}" --user {user} --create-user
Administer devices and policies in the browser (user admin, password {st.state["admin_password"]}):
  {st.url}/eas-admin/
or on the command line:
  build/bin/easctl --db "{st.conninfo}" device list
Stop with: make stop
""")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except RuntimeError as e:
        print(f"eas_stack: {e}", file=sys.stderr)
        sys.exit(1)
