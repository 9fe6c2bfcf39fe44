"""The anonymous endpoints of mod_autodiscover (docs/autodiscover.md): Autodiscover v2
(autodiscover.json, ActiveSync and AutodiscoverV1) and Thunderbird autoconfig (config-v1.1.xml),
for the built-in default, AutodiscoverDomain sections (ports, socket types, order, login names,
provider names, redirects), domains taken from the Host, and per-virtual-host sections with a
catch-all, self-referencing URLs built from ServerName/UseCanonicalName. Neither endpoint may tell
whether an address exists. Autoconfig documents are validated against
tests/autodiscover/autoconfig-1.1.xsd."""
import pytest

from autodiscover import adlib as ad

EXISTING = "adv2@example.org"     # an address in the directory (of user adv2)
AC_PATHS = ("/.well-known/autoconfig/mail/config-v1.1.xml", "/mail/config-v1.1.xml")
V1_PATH = "/autodiscover/autodiscover.xml"


@pytest.fixture(scope="module")
def directory(env):
    r = env.easctl("--actor", "tester", "user", "set", "adv2", "--create",
                   "--display-name", "V Two", "--email", EXISTING)
    assert r.returncode == 0, r.stdout + r.stderr
    return env


def v2(env, address, protocol="ActiveSync", host=None):
    return env.curl(ad.v2_path(address, protocol), headers={"Host": host} if host else None)


def ac(env, address=None, host=None, path=AC_PATHS[0]):
    q = "" if address is None else f"?emailaddress={address}"
    return env.curl(path + q, headers={"Host": host} if host else None)


def servers(d):
    """(element, type, host/url, port, socketType, username) per server, in document order."""
    return [(tag, typ, k.get("hostname") or k.get("url"), k.get("port"), k.get("socketType"),
             k["username"]) for tag, typ, k in d.servers]


# =================================================================================================
# no AutodiscoverDomain section: every domain gets ActiveSync on this server
# =================================================================================================

class TestDefault:

    def test_v2_default(self, directory):
        env = directory
        eas = env.url + ad.EAS_PATH
        for a in ("anyone@any-domain.example", EXISTING, "x@Example.ORG"):
            ad.v2_ok(v2(env, a), "ActiveSync", eas)
            ad.v2_ok(v2(env, a, "AutodiscoverV1"), "AutodiscoverV1", env.url + V1_PATH)
        # the query form
        r = env.curl("/autodiscover/autodiscover.json"
                     "?Email=someone@example.net&Protocol=ActiveSync")
        ad.v2_ok(r, "ActiveSync", eas)

    def test_autoconfig_default(self, directory):
        env = directory
        for path in AC_PATHS:
            d = ad.autoconfig(ac(env, "someone@any-domain.example", path=path))
            assert d.domains == ["any-domain.example"], d.text
            assert d.display_name == "any-domain.example" == d.short_name, d.text
            assert servers(d) == [("incomingServer", "activesync", env.url + ad.EAS_PATH, None,
                                   None, "%EMAILADDRESS%")], d.text

    def test_autoconfig_default_from_host(self, directory):
        env = directory
        for host in ("autoconfig.some.example", "autodiscover.some.example", "some.example"):
            d = ad.autoconfig(ac(env, host=host, path="/mail/config-v1.1.xml"))
            assert d.domains == ["some.example"], (host, d.text)
            ((tag, typ, url, *_),) = servers(d)
            assert typ == "activesync" and url.endswith(ad.EAS_PATH), d.text


# =================================================================================================
# sections in the main server and in virtual hosts
# =================================================================================================

MAIN_SECTIONS = """
<AutodiscoverDomain example.org Example.NET>
    AutodiscoverActiveSyncURL https://mail.example.org/Microsoft-Server-ActiveSync
    AutodiscoverIMAP imap.example.org:993 SSL
    AutodiscoverSMTP smtp.example.org:587 STARTTLS
    AutodiscoverProviderName "Example Org Mail" "ExOrg"
</AutodiscoverDomain>
<AutodiscoverDomain pop.test>
    AutodiscoverPOP3 pop.pop.test plain
    AutodiscoverSMTP smtp.pop.test
    AutodiscoverProtocols POP3 SMTP
    AutodiscoverLoginName LocalPart
    AutodiscoverProviderName "Pop & Co <Mail>" "P&C"
</AutodiscoverDomain>
<AutodiscoverDomain default-url.test>
    AutodiscoverIMAP imap.default-url.test STARTTLS
    AutodiscoverPOP3 pop.default-url.test:1995
    AutodiscoverSMTP smtp.default-url.test plain
    AutodiscoverProtocols IMAP POP3 SMTP ActiveSync
</AutodiscoverDomain>
<AutodiscoverDomain eas-first.test>
    AutodiscoverActiveSyncURL https://eas.eas-first.test/Microsoft-Server-ActiveSync
    AutodiscoverIMAP imap.eas-first.test
    AutodiscoverSMTP smtp.eas-first.test:2525 STARTTLS
    AutodiscoverProtocols ActiveSync IMAP SMTP
</AutodiscoverDomain>
<AutodiscoverDomain old.test>
    AutodiscoverRedirect example.org
</AutodiscoverDomain>
<AutodiscoverDomain far.test>
    AutodiscoverRedirect elsewhere.test
</AutodiscoverDomain>
"""


def sections_conf(port):
    return MAIN_SECTIONS + f"""
<VirtualHost 127.0.0.1:{port}>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName mail.vhost.test
    ServerAlias autoconfig.vhost.test autodiscover.vhost.test
    <AutodiscoverDomain vhost.test>
        AutodiscoverActiveSyncURL https://mail.vhost.test/Microsoft-Server-ActiveSync
        AutodiscoverIMAP mail.vhost.test
    </AutodiscoverDomain>
    <AutodiscoverDomain *>
        AutodiscoverActiveSyncURL https://catchall.vhost.test/Microsoft-Server-ActiveSync
    </AutodiscoverDomain>
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName https://mail.canon.test:443
    UseCanonicalName On
</VirtualHost>
"""


@pytest.fixture(scope="class")
def sections(env, directory):
    env.set_conf(sections_conf(env.stack.http_port))
    try:
        yield env
    finally:
        env.set_conf("")


ORG_EAS = "https://mail.example.org/Microsoft-Server-ActiveSync"


class TestSections:

    def test_v2_activesync(self, sections):
        env = sections
        for a in ("someone@example.org", EXISTING, "someone@EXAMPLE.org", "x@example.net",
                  "someone%40example.org"):
            ad.v2_ok(v2(env, a), "ActiveSync", ORG_EAS)
        # the query form, Outlook's extra parameters, a percent-encoded address
        for q in ("Email=someone@example.org&Protocol=ActiveSync",
                  "Protocol=ActiveSync&Email=someone%40example.org",
                  "Email=someone@example.net&Protocol=ActiveSync&RedirectCount=1"):
            ad.v2_ok(env.curl(f"/autodiscover/autodiscover.json?{q}"), "ActiveSync", ORG_EAS)
        r = env.curl("/autodiscover/autodiscover.json/v1.0/someone@example.org"
                     "?Protocol=ActiveSync&RedirectCount=1")
        ad.v2_ok(r, "ActiveSync", ORG_EAS)
        # the path is matched without regard to case
        ad.v2_ok(env.curl("/Autodiscover/Autodiscover.json/v1.0/someone@example.org"
                          "?Protocol=ActiveSync"), "ActiveSync", ORG_EAS)
        # the default URL of a section: this server's
        ad.v2_ok(v2(env, "x@default-url.test"), "ActiveSync", env.url + ad.EAS_PATH)
        ad.v2_ok(v2(env, "x@eas-first.test"), "ActiveSync",
                 "https://eas.eas-first.test/Microsoft-Server-ActiveSync")

    def test_v2_autodiscover_v1(self, sections):
        env = sections
        for a in ("someone@example.org", "someone@pop.test", "someone@default-url.test"):
            ad.v2_ok(v2(env, a, "AutodiscoverV1"), "AutodiscoverV1", env.url + V1_PATH)

    def test_v2_does_not_tell_whether_an_address_exists(self, sections):
        env = sections
        for proto in ("ActiveSync", "AutodiscoverV1", "Ews"):
            a, b = v2(env, EXISTING, proto), v2(env, "nobody-at-all@example.org", proto)
            assert (a.status, a.body) == (b.status, b.body), proto

    def test_v2_errors(self, sections):
        env = sections
        for r in (v2(env, "someone@example.org", None), v2(env, "someone@example.org", "Ews"),
                  v2(env, "someone@example.org", ""),
                  v2(env, "someone@example.org", "activesyncx"),
                  env.curl("/autodiscover/autodiscover.json?Email=someone@example.org"),
                  v2(env, "someone@pop.test")):       # ActiveSync not advertised there
            ad.v2_error(r, 400, "InvalidProtocol")
        for r in (v2(env, "not-an-address"), v2(env, "a@@example.org"), v2(env, "@example.org"),
                  v2(env, "someone@exa_mple.org"), v2(env, ""),
                  env.curl("/autodiscover/autodiscover.json?Protocol=ActiveSync")):
            ad.v2_error(r, 400, "InvalidUser")
        # present but undecodable is malformed, not absent
        for q in ("Email=%zz&Protocol=ActiveSync", "Email=a%00b@example.org&Protocol=ActiveSync"):
            ad.v2_error(env.curl("/autodiscover/autodiscover.json?" + q), 400, "InvalidUser")
        # not one of the documented forms: some JSON error, never settings
        r = env.curl("/autodiscover/autodiscover.json/v1.0?Protocol=ActiveSync")
        assert r.status in (400, 404) and "ErrorCode" in ad.json_of(r, r.status), r
        for a in ("someone@nowhere.test", "someone@far.test", "someone@elsewhere.test",
                  "someone@vhost.test"):
            ad.v2_error(v2(env, a), 404, "DomainNotFound")
        for method in ("POST", "PUT", "DELETE"):
            r = env.curl(ad.v2_path("someone@example.org"), method=method,
                         headers={"Content-Type": "application/json"}, data="{}")
            assert r.status == 405, (method, r)

    def test_v2_redirected_domain(self, sections):
        """A redirected domain is answered with the target's settings when this host serves it;
        far.test redirects to a domain this server does not know."""
        env = sections
        ad.v2_ok(v2(env, "someone@old.test"), "ActiveSync", ORG_EAS)
        ad.v2_error(v2(env, "someone@far.test"), 404, "DomainNotFound")

    def test_autoconfig_section(self, sections):
        env = sections
        bodies = set()
        for path in AC_PATHS:
            for a in ("someone@example.org", EXISTING, "nobody-at-all@example.org",
                      "someone%40example.org", "someone@Example.ORG"):
                r = ac(env, a, path=path)
                d = ad.autoconfig(r)
                assert [x.lower() for x in d.domains] == ["example.org"], d.text
                local = a.replace("%40", "@").split("@")[0].lower()
                bodies.add(r.body.decode().lower().replace(local + "@", "local@"))
        # neither the path nor the address (existing or not) changes the answer
        assert len(bodies) == 1
        assert d.display_name == "Example Org Mail" and d.short_name == "ExOrg", d.text
        assert servers(d) == [
            ("incomingServer", "imap", "imap.example.org", "993", "SSL", "%EMAILADDRESS%"),
            ("outgoingServer", "smtp", "smtp.example.org", "587", "STARTTLS", "%EMAILADDRESS%"),
            ("incomingServer", "activesync", ORG_EAS, None, None, "%EMAILADDRESS%"),
        ], d.text
        d = ad.autoconfig(ac(env, "x@example.net"))
        assert d.domains == ["example.net"], d.text
        assert servers(d)[0][2] == "imap.example.org", d.text

    def test_autoconfig_pop_plain_local_part(self, sections):
        env = sections
        d = ad.autoconfig(ac(env, "someone@pop.test"))
        assert d.display_name == "Pop & Co <Mail>" and d.short_name == "P&C", d.text
        assert servers(d) == [
            ("incomingServer", "pop3", "pop.pop.test", "110", "plain", "%EMAILLOCALPART%"),
            ("outgoingServer", "smtp", "smtp.pop.test", "465", "SSL", "%EMAILLOCALPART%"),
        ], d.text

    def test_autoconfig_default_ports_and_url(self, sections):
        env = sections
        d = ad.autoconfig(ac(env, "someone@default-url.test"))
        assert d.display_name == "default-url.test" == d.short_name, d.text
        assert servers(d) == [
            ("incomingServer", "imap", "imap.default-url.test", "143", "STARTTLS",
             "%EMAILADDRESS%"),
            ("incomingServer", "pop3", "pop.default-url.test", "1995", "SSL", "%EMAILADDRESS%"),
            ("outgoingServer", "smtp", "smtp.default-url.test", "25", "plain", "%EMAILADDRESS%"),
            ("incomingServer", "activesync", env.url + ad.EAS_PATH, None, None,
             "%EMAILADDRESS%"),
        ], d.text

    def test_autoconfig_protocol_order(self, sections):
        env = sections
        d = ad.autoconfig(ac(env, "someone@eas-first.test"))
        assert [(t, ty) for t, ty, *_ in servers(d)] == [
            ("incomingServer", "activesync"), ("incomingServer", "imap"),
            ("outgoingServer", "smtp")], d.text
        assert servers(d)[1][3:5] == ("993", "SSL") and servers(d)[2][3:5] == ("2525",
                                                                               "STARTTLS")

    def test_autoconfig_from_host(self, sections):
        env = sections
        ref = ac(env, "someone@example.org", path="/mail/config-v1.1.xml")
        for host in ("autoconfig.example.org", "AUTOCONFIG.Example.Org", "autodiscover.example.org",
                     "example.org", "autoconfig.example.org:443"):
            for path in AC_PATHS:
                r = ac(env, host=host, path=path)
                ad.autoconfig(r)
                assert r.body.lower() == ref.body.lower(), (host, path)
        ad.autoconfig(ac(env, host="autoconfig.pop.test"))
        # the address wins over the Host
        d = ad.autoconfig(ac(env, "someone@pop.test", host="autoconfig.example.org"))
        assert d.domains == ["pop.test"], d.text

    def test_autoconfig_errors(self, sections):
        env = sections
        for a in ("not-an-address", "a@@example.org", "@example.org", "someone@exa_mple.org",
                  "someone@", "%3Cx%3E@example.org"):
            r = ac(env, a)
            assert r.status == 400, (a, r)
            assert b"example.org</hostname>" not in r.body
        for a in ("someone@nowhere.test", "someone@far.test", "someone@vhost.test"):
            r = ac(env, a)
            assert r.status == 404, (a, r)
            assert b"<clientConfig" not in r.body
        r = ac(env, host="autoconfig.nowhere.test")
        assert r.status == 404, r
        # an undecodable emailaddress is malformed: never the Host's domain instead
        for q in ("emailaddress=%zz", "emailaddress=%00", "emailaddress=%zz&emailaddress=a@b.test"):
            r = env.curl("/mail/config-v1.1.xml?" + q, headers={"Host": "autoconfig.example.org"})
            assert r.status == 400, (q, r)

    def test_autoconfig_redirected_domain(self, sections):
        env = sections
        d = ad.autoconfig(ac(env, "someone@old.test"))
        org = ad.autoconfig(ac(env, "someone@example.org"))
        assert servers(d) == servers(org), d.text

    def test_vhost_sections_and_catch_all(self, sections):
        """A virtual host with sections uses only its own: its domain, then '*' for any other;
        the main server's sections are not consulted there."""
        env = sections
        h = "mail.vhost.test"
        ad.v2_ok(v2(env, "someone@vhost.test", host=h), "ActiveSync",
                 "https://mail.vhost.test/Microsoft-Server-ActiveSync")
        for a in ("someone@example.org", "someone@pop.test", "someone@nowhere.test"):
            ad.v2_ok(v2(env, a, host=h), "ActiveSync",
                     "https://catchall.vhost.test/Microsoft-Server-ActiveSync")
        d = ad.autoconfig(ac(env, host="autoconfig.vhost.test"))
        assert d.domains == ["vhost.test"], d.text
        assert servers(d) == [
            ("incomingServer", "imap", "mail.vhost.test", "993", "SSL", "%EMAILADDRESS%"),
            ("incomingServer", "activesync", "https://mail.vhost.test/Microsoft-Server-ActiveSync",
             None, None, "%EMAILADDRESS%")], d.text
        d = ad.autoconfig(ac(env, "someone@example.org", host="autoconfig.vhost.test"))
        assert d.domains == ["example.org"] and d.display_name == "example.org", d.text
        assert servers(d) == [
            ("incomingServer", "activesync",
             "https://catchall.vhost.test/Microsoft-Server-ActiveSync", None, None,
             "%EMAILADDRESS%")], d.text
        # the default virtual host (no sections) uses the main server's, which lack vhost.test
        ad.v2_error(v2(env, "someone@vhost.test", host="127.0.0.1"), 404, "DomainNotFound")

    def test_canonical_self_reference(self, sections):
        """A virtual host without sections uses the main server's; the default URLs are built
        from its ServerName (scheme, name, port) with UseCanonicalName On."""
        env = sections
        h = "mail.canon.test"
        ad.v2_ok(v2(env, "x@default-url.test", host=h), "ActiveSync",
                 "https://mail.canon.test/Microsoft-Server-ActiveSync")
        ad.v2_ok(v2(env, "x@example.org", host=h), "ActiveSync", ORG_EAS)
        ad.v2_ok(v2(env, "x@example.org", "AutodiscoverV1", host=h), "AutodiscoverV1",
                 "https://mail.canon.test/autodiscover/autodiscover.xml")
        ad.v2_error(v2(env, "x@nowhere.test", host=h), 404, "DomainNotFound")
        d = ad.autoconfig(ac(env, "x@default-url.test", host=h))
        assert servers(d)[-1][2] == "https://mail.canon.test/Microsoft-Server-ActiveSync", d.text
