"""The build: module exports, the core/glue split."""
import glob
import os
import re
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def exported(so):
    out = subprocess.run(["nm", "-D", "--defined-only", so], capture_output=True, text=True,
                         check=True).stdout
    return sorted(line.split()[-1] for line in out.splitlines() if line.strip())


def test_only_module_structs_exported():
    assert exported(os.path.join(TOP, "build", "mod_eas.so")) == ["eas_module"]
    assert exported(os.path.join(TOP, "build", "mod_autodiscover.so")) == ["autodiscover_module"]


def test_core_does_not_include_httpd():
    pat = re.compile(r'#\s*include\s*[<"](httpd|http_\w+|ap_\w+)\.h')
    for f in glob.glob(os.path.join(TOP, "mod_eas", "core", "*.[ch]")):
        with open(f) as fh:
            assert not pat.search(fh.read()), f"{f} includes an httpd header"


def test_easctl_usage():
    easctl = os.path.join(TOP, "build", "bin", "easctl")
    r = subprocess.run([easctl], capture_output=True, text=True)
    assert r.returncode == 2 and "usage" in r.stderr
    r = subprocess.run([easctl, "frob"], capture_output=True, text=True)
    assert r.returncode == 2 and "unknown command" in r.stderr
    r = subprocess.run([easctl, "--db", "host=127.0.0.1 port=1 connect_timeout=2", "db", "status"],
                       capture_output=True, text=True)
    assert r.returncode == 1 and "cannot connect" in r.stderr


def test_make_install_layout(tmp_path):
    r = subprocess.run(["make", "-s", "install", f"DESTDIR={tmp_path}"], cwd=TOP,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    libexec = subprocess.run(["apxs", "-q", "LIBEXECDIR"], capture_output=True, text=True,
                             check=True).stdout.strip()
    for f in (f"{libexec}/mod_eas.so", f"{libexec}/mod_autodiscover.so",
              "/etc/apache2/mods-available/eas.load", "/etc/apache2/mods-available/eas.conf",
              "/etc/apache2/mods-available/autodiscover.load",
              "/etc/apache2/mods-available/autodiscover.conf",
              "/usr/local/sbin/easctl", "/usr/local/share/mod_eas/sql/001_users_devices.sql"):
        assert os.path.exists(str(tmp_path) + f), f
    with open(str(tmp_path) + "/etc/apache2/mods-available/eas.load") as fh:
        assert f"LoadModule eas_module {libexec}/mod_eas.so" in fh.read()
