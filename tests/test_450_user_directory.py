"""`easctl user`: the directory side of an account (display name, addresses, GAL attributes,
picture, hidden), used by mail routing, GAL search, ResolveRecipients and UserInformation."""
import os
import uuid


def uniq(prefix):
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def ctl(env, *args, rc=0):
    r = env.easctl("--actor", "tester", *args)
    assert r.returncode == rc, f"easctl {' '.join(args)}: rc {r.returncode}\n{r.stdout}{r.stderr}"
    return r


def test_set_show_list(env, tmp_path):
    name = uniq("dir")
    pic = tmp_path / "p.jpg"
    pic.write_bytes(b"\xff\xd8\xff\xe0" + os.urandom(200) + b"\xff\xd9")
    ctl(env, "user", "set", name, "--create", "--display-name", "Ada Lovelace",
        "--email", f"Ada.{name}@Example.Test", "--add-address", f"ada-alias-{name}@example.test",
        "--first-name", "Ada", "--last-name", "Lovelace", "--title", "Analyst",
        "--company", "Engines Ltd", "--office", "B 1.02", "--phone", "+44 20 1234",
        "--mobile-phone", "+44 7700 900", "--home-phone", "+44 20 9999", "--alias", "ada",
        "--picture", str(pic))
    out = ctl(env, "user", "show", name).stdout
    assert "display name: Ada Lovelace" in out
    assert f"primary:      Ada.{name}@Example.Test" in out
    assert f"address:      ada-alias-{name}@example.test" in out
    assert "title:        Analyst" in out and "mobile phone: +44 7700 900" in out
    assert "picture:      206 bytes" in out and "in GAL:       yes" in out
    assert env.psql(f"SELECT length(picture) FROM users WHERE name = '{name}'") == "206"
    assert name in ctl(env, "user", "list").stdout
    # hidden users are left out of the list (which is the GAL view), and come back
    ctl(env, "user", "set", name, "--hidden", "--no-picture", "--title", "")
    assert name not in ctl(env, "user", "list").stdout
    out = ctl(env, "user", "show", name).stdout
    assert "in GAL:       no (hidden)" in out and "picture:" not in out and "title:" not in out
    ctl(env, "user", "set", name, "--listed", "--remove-address", f"ADA-alias-{name}@example.test")
    out = ctl(env, "user", "show", name).stdout
    assert "ada-alias" not in out
    assert name in ctl(env, "user", "list").stdout
    # the change is in the audit log with the acting administrator
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE action = 'user.set' "
                    f"AND user_name = '{name}' AND actor = 'tester'") == "3"


def test_address_has_one_owner(env):
    a, b = uniq("own"), uniq("own")
    ctl(env, "user", "set", a, "--create", "--email", f"shared-{a}@example.test")
    r = ctl(env, "user", "set", b, "--create", "--email", f"SHARED-{a}@example.test", rc=1)
    assert f"is already an address of {a}" in r.stderr
    r = ctl(env, "user", "set", b, "--add-address", f"shared-{a}@example.test", rc=1)
    # nothing of the refused command was kept, not even the user it would have created
    assert "no such user" in r.stderr or "already an address" in r.stderr


def test_errors(env):
    r = ctl(env, "user", "set", uniq("nobody"), "--title", "x", rc=1)
    assert "no such user" in r.stderr
    r = ctl(env, "user", "set", uniq("bad"), "--create", "--email", "not-an-address", rc=1)
    assert "is not an e-mail address" in r.stderr
    ctl(env, "user", "set", "x", "--frobnicate", "1", rc=2)
    ctl(env, "user", "show", uniq("missing"), rc=1)


def test_name_is_address_without_email(env):
    """A login name that is an address is the user's address; a bare name gets EASMailDomain
    (the tests' httpd uses example.test; easctl reads EAS_MAIL_DOMAIN)."""
    name = uniq("bare")
    ctl(env, "user", "set", name, "--create")
    out = ctl(env, "user", "show", name).stdout
    assert "primary:" not in out
    addr = f"{uniq('login')}@example.test"
    ctl(env, "user", "set", addr, "--create")
    assert f"primary:      {addr}" in ctl(env, "user", "show", addr).stdout
