"""POST /autodiscover/autodiscover.xml (docs/autodiscover.md): the mobilesync and Outlook (2006a)
answers, redirects, the 600/601/500 errors, 401/405/413/415, hostile XML (DOCTYPE, entity
expansion, XXE, external DTDs), whose address a user may ask for (mod_eas's directory, or login
names with AutodiscoverDirectory Off, or anyone with AutodiscoverAddressCheck Off), and the log line
of every refusal. Mobilesync and error documents are validated against Microsoft's XSDs, Outlook
documents against tests/autodiscover/outlook-2006a.xsd."""
import os
import socket

import pytest

from autodiscover import adlib as ad

PW = "Ad-secret-900"
ALICE, BOB, CAROL, NINE = "adalice", "adbob", "adcarol", "ad9@example.test"
ALICE_NAME = 'Alice <&> "Ämilia" Doe'
ALICE_PRIMARY = "alice.doe@example.test"
ALICE_ALIAS = "alice.alias@example.test"
CAROL_NAME = "Carol Ad"
CAROL_MORE = ("adcarol@old.test", "adcarol@imaponly.test", "adcarol@easonly.test",
              "adcarol@unknown-domain.test")
NOBODY = "adnobody@example.test"     # nobody's address


def ctl(env, *args):
    r = env.easctl("--actor", "tester", *args)
    assert r.returncode == 0, f"easctl {' '.join(args)}: {r.stdout}{r.stderr}"


@pytest.fixture(scope="module")
def users(env):
    """adalice: directory entry with display name, primary and additional address; adbob: no
    directory entry (adbob@EASMailDomain); ad9@example.test: a login that is an address; adcarol:
    addresses in the section domains of TestDomains."""
    for u in (ALICE, BOB, CAROL, NINE):
        env.add_user(u, PW)
    ctl(env, "user", "set", ALICE, "--create", "--display-name", ALICE_NAME,
        "--email", ALICE_PRIMARY, "--add-address", ALICE_ALIAS)
    ctl(env, "user", "set", CAROL, "--create", "--display-name", CAROL_NAME)
    for a in CAROL_MORE:
        ctl(env, "user", "set", CAROL, "--add-address", a)
    return env


def eas_url(env):
    return env.url + ad.EAS_PATH


# =================================================================================================
# the test configuration: no AutodiscoverDomain section, so every domain gets this server's EAS URL
# =================================================================================================

class TestDefault:

    def test_own_addresses_mobilesync(self, users):
        env = users
        url = eas_url(env)
        # no directory entry: login@EASMailDomain
        d = ad.mobilesync_settings(ad.discover(env, BOB, "adbob@example.test"), url,
                                   {"adbob@example.test"})
        # a login name that is an address
        ad.mobilesync_settings(ad.discover(env, NINE, NINE), url, {NINE})
        ad.mobilesync_settings(ad.discover(env, NINE, "ad9@EXAMPLE.Test"), url, {NINE})
        # the directory: primary and additional address; the display name from there
        for a in (ALICE_PRIMARY, ALICE_ALIAS, "Alice.Doe@Example.TEST"):
            d = ad.mobilesync_settings(ad.discover(env, ALICE, a), url, {a, ALICE_PRIMARY})
            assert d.display_name == ALICE_NAME, d.text

    def test_login_at_mail_domain_with_a_primary_address(self, users):
        """login@EASMailDomain is the user's only while the directory gives no primary address,
        as for delivery (docs/autodiscover.md, Whose address): with one it is refused."""
        env = users
        a = "adalice@example.test"
        d = ad.mobilesync_error(ad.discover(env, ALICE, a))
        assert d.email == a, d.text

    def test_case_variant_paths(self, users):
        env = users
        ref = ad.discover(env, BOB, "adbob@example.test")
        ad.mobilesync_settings(ref, eas_url(env), {"adbob@example.test"})
        for path in ("/Autodiscover/Autodiscover.xml", "/AUTODISCOVER/AUTODISCOVER.XML"):
            r = ad.discover(env, BOB, "adbob@example.test", path=path)
            ad.mobilesync_settings(r, eas_url(env), {"adbob@example.test"})
            assert r.body == ref.body

    @pytest.mark.parametrize("ctype", [None, "text/xml; charset=utf-8", "application/xml",
                                       "TEXT/XML; charset=UTF-8"])
    def test_content_types_accepted(self, users, ctype):
        env = users
        r = ad.post(env, ad.request("adbob@example.test"), BOB, content_type=ctype)
        ad.mobilesync_settings(r, eas_url(env), {"adbob@example.test"})

    def test_request_forms_accepted(self, users):
        """Any prefix for the request namespace, white space around the values (trimmed), no XML
        declaration, CDATA, character references, comments and processing instructions (plain
        XML, no DTD needed), a chunked body."""
        env = users
        url = eas_url(env)
        prefixed = (f'<?xml version="1.0"?><a:Autodiscover xmlns:a="{ad.NS_MS_REQ}"><a:Request>'
                    '<a:EMailAddress>adbob@example.test</a:EMailAddress>'
                    f'<a:AcceptableResponseSchema>{ad.NS_MS_RESP}</a:AcceptableResponseSchema>'
                    '</a:Request></a:Autodiscover>')
        spaced = (f'<Autodiscover xmlns="{ad.NS_MS_REQ}"><Request>\n'
                  '<EMailAddress>\n   adbob@example.test \t\n</EMailAddress>\n'
                  f'<AcceptableResponseSchema>  {ad.NS_MS_RESP}\n</AcceptableResponseSchema>'
                  '</Request></Autodiscover>')
        base = ad.request("adbob@example.test")
        cdata = base.replace("adbob@example.test", "<![CDATA[adbob@example.test]]>")
        charref = base.replace("adbob@example.test", "adbob&#64;example&#x2E;test")
        comment = base.replace("<Request>", "<Request><!-- iOS -->").replace(
            "</EMailAddress>", "</EMailAddress><?client x?>")
        for body in (prefixed, spaced, cdata, charref, comment):
            ad.mobilesync_settings(ad.post(env, body, BOB), url, {"adbob@example.test"})
        r = ad.post(env, ad.request("adbob@example.test"), BOB, chunked=True)
        ad.mobilesync_settings(r, url, {"adbob@example.test"})

    def test_outlook_without_mail_servers_is_601(self, users):
        """Without sections only ActiveSync is advertised: the Outlook schema is not available."""
        env = users
        w = ad.watch(env)
        ad.error_doc(ad.discover(env, BOB, "adbob@example.test", schema="outlook"), 601)
        ad.assert_one_info_refusal(w, BOB)

    @pytest.mark.parametrize("schema", [
        "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006",
        "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2007",
        "urn:example:nothing",
    ])
    def test_unknown_response_schema_601(self, users, schema):
        env = users
        w = ad.watch(env)
        ad.error_doc(ad.discover(env, BOB, "adbob@example.test", schema=schema), 601)
        ad.assert_one_info_refusal(w, BOB, "adbob@example.test")

    def test_get_is_invalid_request(self, users):
        env = users
        ad.invalid_request(env.curl(ad.XML_PATH, user=BOB))
        ad.invalid_request(env.curl("/Autodiscover/Autodiscover.xml?x=1", user=BOB))

    def test_get_is_logged(self, users):
        """A GET is answered 600 like the other invalid requests, and logged like them."""
        env = users
        w = ad.watch(env)
        ad.invalid_request(env.curl(ad.XML_PATH, user=BOB))
        ad.assert_one_info_refusal(w, BOB)

    def test_request_text_cannot_forge_log_lines(self, users):
        """Values from the request reach the log with control characters escaped: an address
        carrying a newline is one log line, never a forged second one."""
        env = users
        w = ad.watch(env)
        body = ad.request("x&#10;[Sun Jan 01 00:00:00 2026] [core:notice] forged@example.test",
                          raw=True)
        ad.invalid_request(ad.post(env, body, BOB))
        line = ad.assert_one_info_refusal(w, BOB, "forged@example.test")
        assert "\\n" in line, line
        assert not any(ln.startswith("[Sun Jan 01") for ln in w.new_lines())

    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
    def test_other_methods_405(self, users, method):
        env = users
        r = env.curl(ad.XML_PATH, method=method, user=BOB, headers={"Content-Type": "text/xml"},
                     data=ad.request("adbob@example.test"))
        assert r.status == 405, r
        allow = {m.strip().upper() for m in (r.header("Allow") or "").split(",") if m.strip()}
        assert {"POST", "GET"} <= allow <= {"POST", "GET", "HEAD", "TRACE"}, r.headers
        assert b"MobileSync" not in r.body

    def test_body_limit_default(self, users):
        """AutodiscoverMaxRequestBody 16384: a request of exactly that size is read, one byte
        more is 413, whether announced by Content-Length or sent chunked."""
        env = users
        body = ad.request("adbob@example.test")
        r = ad.post(env, ad.padded(body, 16384), BOB)
        ad.mobilesync_settings(r, eas_url(env), {"adbob@example.test"})
        r = ad.post(env, ad.padded(body, 16384), BOB, chunked=True)
        ad.mobilesync_settings(r, eas_url(env), {"adbob@example.test"})
        w = ad.watch(env)
        r = ad.post(env, ad.padded(body, 16385), BOB)
        assert r.status == 413, r
        ad.assert_one_info_refusal(w, BOB)
        for size in (16385, 20000, 200000):
            r = ad.post(env, ad.padded(body, size), BOB, chunked=True)
            assert r.status == 413, (size, r)
        r = ad.post(env, ad.padded(body, 200000), BOB)
        assert r.status == 413, r
        # the server is fine afterwards
        ad.mobilesync_settings(ad.discover(env, BOB, "adbob@example.test"), eas_url(env),
                               {"adbob@example.test"})

    @pytest.mark.parametrize("ctype", ["application/json", "text/plain",
                                       "application/x-www-form-urlencoded", "text/html",
                                       "application/vnd.ms-sync.wbxml", "text/xmlx"])
    def test_wrong_content_type_415(self, users, ctype):
        env = users
        w = ad.watch(env)
        r = ad.post(env, ad.request("adbob@example.test"), BOB, content_type=ctype)
        assert r.status == 415, r
        ad.assert_one_info_refusal(w, BOB)

    @pytest.mark.parametrize("body", [
        pytest.param(b"", id="empty"),
        pytest.param(ad.request("adbob@example.test")[:-30], id="truncated"),
        pytest.param(b'{"EMailAddress": "adbob@example.test"}', id="json"),
        pytest.param(ad.request("adbob@example.test").replace("</Request>", ""), id="unclosed"),
        pytest.param(ad.request("adbob@example.test").encode().replace(b"adbob", b"ad\xffbob"),
                     id="bad-utf8"),
        pytest.param(ad.request("adbob@example.test").replace("<Autodiscover", "<Discover")
                     .replace("</Autodiscover", "</Discover"), id="wrong-root"),
        pytest.param(ad.request("adbob@example.test", req_ns="urn:wrong"), id="wrong-ns"),
        pytest.param(ad.request("adbob@example.test").replace(f' xmlns="{ad.NS_MS_REQ}"', ""),
                     id="no-ns"),
        pytest.param(ad.request("adbob@example.test", req_ns=ad.NS_MS_RESP), id="response-ns"),
        pytest.param(ad.request("adbob@example.test").replace("<Request>", "<Requests>")
                     .replace("</Request>", "</Requests>"), id="wrong-request"),
        pytest.param(f'<Autodiscover xmlns="{ad.NS_MS_REQ}"><Request><AcceptableResponseSchema>'
                     f'{ad.NS_MS_RESP}</AcceptableResponseSchema></Request></Autodiscover>',
                     id="no-address"),
        pytest.param(f'<Autodiscover xmlns="{ad.NS_MS_REQ}"><Request><EMailAddress>'
                     'adbob@example.test</EMailAddress></Request></Autodiscover>',
                     id="no-schema"),
        pytest.param(ad.request(""), id="empty-address"),
        pytest.param(ad.request("   "), id="blank-address"),
        pytest.param(ad.request("adbob"), id="no-at"),
        pytest.param(ad.request("adbob@"), id="no-domain"),
        pytest.param(ad.request("@example.test"), id="no-local"),
        pytest.param(ad.request("ad bob@example.test"), id="space"),
        pytest.param(ad.request("adbob@@example.test"), id="double-at"),
        pytest.param(ad.request("adbob@exa_mple.test"), id="bad-domain"),
        pytest.param(ad.request("<adbob@example.test>"), id="angle"),
        pytest.param(ad.request("a" * 65 + "@example.test"), id="local-part-65"),
        pytest.param(ad.request("adbob@" + "x" * 64 + ".test"), id="label-64"),
        pytest.param(ad.request("adbob@example.test") + "<junk/>", id="trailing-element"),
        pytest.param(ad.request("adbob@example.test", raw=True).replace(
            "adbob@example.test", "<b>adbob@example.test</b>"), id="element-in-address"),
        pytest.param(ad.request("adbob@example.test").replace(
            "<?xml", '<?xml-stylesheet href="x"?><!-- -->\n<?xml', 1), id="decl-not-first"),
        pytest.param('<?xml version="1.0"?><!DOCTYPE Autodiscover>'
                     + ad.request("adbob@example.test").split("\r\n", 1)[1], id="doctype"),
        pytest.param('<?xml version="1.0"?>' + "<a>" * 1500 + "</a>" * 1500, id="deep"),
    ])
    def test_invalid_request_600(self, users, body):
        env = users
        w = ad.watch(env)
        ad.invalid_request(ad.post(env, body, BOB))
        ad.assert_one_info_refusal(w, BOB)

    def test_billion_laughs(self, users):
        """Entity expansion is never done: a DOCTYPE is refused, the child lives on."""
        env = users
        ents = '<!ENTITY l0 "lollollollollollollollollollol">\n' + "".join(
            f'<!ENTITY l{i} "{("&l%d;" % (i - 1)) * 10}">\n' for i in range(1, 10))
        body = (f'<?xml version="1.0"?>\n<!DOCTYPE Autodiscover [\n{ents}]>\n'
                + ad.request("&l9;@example.test", raw=True).split("\r\n", 1)[1])
        w = ad.watch(env)
        r = ad.post(env, body, BOB)
        ad.invalid_request(r)
        assert b"lollol" not in r.body
        # the same child (or any) answers the next request, and no child died
        for _ in range(3):
            ad.mobilesync_settings(ad.discover(env, BOB, "adbob@example.test"), eas_url(env),
                                   {"adbob@example.test"})
        assert not [ln for ln in w.new_lines() if "exit signal" in ln or "AH00052" in ln]

    @pytest.mark.parametrize("where", ["address", "schema", "attribute"])
    def test_xxe_file_never_read(self, users, where):
        env = users
        dtd = '<!DOCTYPE Autodiscover [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        req = ad.request("adbob@example.test").split("\r\n", 1)[1]
        if where == "address":
            req = req.replace("adbob@example.test", "&xxe;")
        elif where == "schema":
            req = req.replace(ad.NS_MS_RESP, "&xxe;")
        else:
            req = req.replace("<Request>", '<Request x="&xxe;">')
        r = ad.post(env, '<?xml version="1.0"?>\n' + dtd + req, BOB)
        ad.invalid_request(r)
        assert b"root:" not in r.body

    def test_xinclude_not_processed(self, users):
        env = users
        body = ad.request("adbob@example.test", raw=True).replace(
            "adbob@example.test", '<xi:include xmlns:xi="http://www.w3.org/2001/XInclude" '
                                  'href="file:///etc/passwd" parse="text"/>')
        r = ad.post(env, body, BOB)
        ad.invalid_request(r)
        assert b"root:" not in r.body

    def test_no_network_access(self, users):
        """External DTDs, parameter entities and external entities over http are never fetched:
        a listener on the loopback sees no connection."""
        env = users
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        port = srv.getsockname()[1]
        req = ad.request("adbob@example.test").split("\r\n", 1)[1]
        try:
            for doctype in (
                f'<!DOCTYPE Autodiscover SYSTEM "http://127.0.0.1:{port}/ext.dtd">',
                f'<!DOCTYPE Autodiscover PUBLIC "-//X//Y//EN" "http://127.0.0.1:{port}/p.dtd">',
                f'<!DOCTYPE Autodiscover [<!ENTITY % p SYSTEM "http://127.0.0.1:{port}/pe">%p;]>',
            ):
                ad.invalid_request(ad.post(env, '<?xml version="1.0"?>\n' + doctype + req, BOB))
            body = ('<?xml version="1.0"?>\n<!DOCTYPE Autodiscover [<!ENTITY x SYSTEM '
                    f'"http://127.0.0.1:{port}/x">]>\n'
                    + req.replace("adbob@example.test", "&x;"))
            ad.invalid_request(ad.post(env, body, BOB))
            # the answers are complete: any fetch would have been made before them
            srv.setblocking(False)
            with pytest.raises(BlockingIOError):
                srv.accept()
        finally:
            srv.close()

    def test_authentication_required(self, users, env_log):
        env = users
        body = ad.request("adbob@example.test")
        r = env.curl(ad.XML_PATH, method="POST", headers={"Content-Type": "text/xml"}, data=body)
        assert r.status == 401, r
        assert (r.header("WWW-Authenticate") or "").startswith("Basic"), r.headers
        assert b"MobileSync" not in r.body
        env_log.allow(r"AH01617: user adbob: authentication failure",
                      r"AH01618: user adnosuchuser not found")
        r = ad.post(env, body, BOB, password="wrong-password")
        assert r.status == 401, r
        r = ad.post(env, body, "adnosuchuser", password=PW)
        assert r.status == 401, r
        r = env.curl(ad.XML_PATH, user=BOB, password="wrong-password")
        assert r.status == 401, r

    def test_another_users_address_500(self, users):
        """Another user's address and an address nobody has get the same answer, and a log line
        naming the user and the address."""
        env = users
        docs = {}
        for a in ("adalice@example.test", ALICE_PRIMARY, ALICE_ALIAS, NOBODY,
                  "adbob@other.example"):
            w = ad.watch(env)
            r = ad.discover(env, BOB, a)
            d = ad.mobilesync_error(r, 500)
            assert ALICE_NAME not in d.text and "Alice" not in d.text
            ad.assert_one_info_refusal(w, BOB, a)
            docs[a] = ad.without_stamps(d.text, a)
        assert len(set(docs.values())) == 1, docs
        # a login that is an address owns only that address (directory on)
        ad.mobilesync_error(ad.discover(env, NINE, "ad9@other.example"), 500)
        ad.mobilesync_error(ad.discover(env, NINE, "adbob@example.test"), 500)


# =================================================================================================
# AutodiscoverDomain sections in the main server
# =================================================================================================

DOMAINS_CONF = """
<AutodiscoverDomain example.test>
    AutodiscoverActiveSyncURL https://mail.example.test/Microsoft-Server-ActiveSync
    AutodiscoverIMAP imap.example.test:993 SSL
    AutodiscoverPOP3 pop.example.test STARTTLS
    AutodiscoverSMTP smtp.example.test:587 STARTTLS
    AutodiscoverProviderName "Example Test Mail" ExTest
</AutodiscoverDomain>
<AutodiscoverDomain IMAPonly.test>
    AutodiscoverIMAP imap.imaponly.test:1993 plain
    AutodiscoverSMTP smtp.imaponly.test SSL
    AutodiscoverProtocols SMTP IMAP
    AutodiscoverLoginName LocalPart
</AutodiscoverDomain>
<AutodiscoverDomain easonly.test>
    AutodiscoverActiveSyncURL http://eas.easonly.test:8080/Microsoft-Server-ActiveSync
</AutodiscoverDomain>
<AutodiscoverDomain old.test>
    AutodiscoverRedirect example.test
</AutodiscoverDomain>
"""


@pytest.fixture(scope="class")
def domains(env, users):
    env.set_conf(DOMAINS_CONF)
    try:
        yield env
    finally:
        env.set_conf("")


def proto(p):
    """The values a client acts on, from one Outlook Protocol element."""
    return (p["Type"], p["Server"], p["Port"], p.get("SSL"), p["Encryption"], p["LoginName"],
            p["DomainRequired"])


class TestDomains:

    def test_mobilesync_section(self, domains):
        env = domains
        for a in ("adcarol@example.test", "adcarol@Example.TEST"):
            d = ad.mobilesync_settings(ad.discover(env, CAROL, a),
                                       "https://mail.example.test/Microsoft-Server-ActiveSync",
                                       {a})
            assert d.display_name == CAROL_NAME, d.text
        ad.mobilesync_settings(ad.discover(env, CAROL, "adcarol@easonly.test"),
                               "http://eas.easonly.test:8080/Microsoft-Server-ActiveSync",
                               {"adcarol@easonly.test"})

    def test_outlook_section(self, domains):
        env = domains
        a = "adcarol@example.test"
        d = ad.outlook_settings(ad.discover(env, CAROL, a, schema="outlook"))
        assert d.display_name in (None, CAROL_NAME), d.text
        got = [proto(p) for p in d.protocols]
        assert got[0] == ("IMAP", "imap.example.test", "993", "on", "SSL", a, "off"), d.text
        assert got[1][:3] == ("POP3", "pop.example.test", "110"), d.text
        assert got[1][4:] == ("TLS", a, "off"), d.text
        assert got[2][:3] == ("SMTP", "smtp.example.test", "587"), d.text
        assert got[2][4:] == ("TLS", a, "off"), d.text
        assert len(got) == 3, d.text
        # the case-variant path serves Outlook too
        r = ad.discover(env, CAROL, a, schema="outlook", path="/Autodiscover/Autodiscover.xml")
        assert [proto(p) for p in ad.outlook_settings(r).protocols] == got

    @pytest.mark.parametrize("fixture,user_agent,ctype", [
        ("ios-mail.xml", "iOS/17.4 (21E219) dataaccessd/1.0", "text/xml"),
        ("outlook-windows.xml", "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook "
                                "16.0.17328; Pro)", "text/xml; charset=utf-8"),
        ("android-bom.xml", "Android-Mail/2024.03.17", "text/xml; charset=utf-8"),
        ("tbsync.xml", "Thunderbird ActiveSync", "application/xml"),
    ])
    def test_client_requests(self, domains, fixture, user_agent, ctype):
        """Request bodies as clients send them (tests/autodiscover/requests)."""
        env = domains
        a = "adcarol@example.test"
        with open(os.path.join(ad.HERE, "requests", fixture), "rb") as f:
            body = f.read().replace(b"{email}", a.encode())
        r = ad.post(env, body, CAROL, content_type=ctype,
                    headers={"User-Agent": user_agent},
                    path="/Autodiscover/Autodiscover.xml" if "ios" in fixture else ad.XML_PATH)
        if b"outlook/requestschema" in body:
            d = ad.outlook_settings(r)
            assert [p["Type"] for p in d.protocols] == ["IMAP", "POP3", "SMTP"], d.text
        else:
            ad.mobilesync_settings(r, "https://mail.example.test/Microsoft-Server-ActiveSync", {a})

    def test_outlook_order_ports_and_local_part(self, domains):
        """AutodiscoverProtocols orders the Protocol elements; SMTP SSL defaults to 465; plain is
        SSL off, no encryption; LoginName LocalPart."""
        env = domains
        d = ad.outlook_settings(ad.discover(env, CAROL, "adcarol@imaponly.test", schema="outlook"))
        assert [proto(p) for p in d.protocols] == [
            ("SMTP", "smtp.imaponly.test", "465", "on", "SSL", "adcarol", "off"),
            ("IMAP", "imap.imaponly.test", "1993", "off", "None", "adcarol", "off"),
        ], d.text

    def test_schema_without_its_protocols_601(self, domains):
        env = domains
        w = ad.watch(env)
        ad.error_doc(ad.discover(env, CAROL, "adcarol@imaponly.test"), 601)
        ad.assert_one_info_refusal(w, CAROL, "adcarol@imaponly.test")
        ad.error_doc(ad.discover(env, CAROL, "adcarol@easonly.test", schema="outlook"), 601)

    def test_redirect(self, domains):
        env = domains
        d = ad.mobilesync(ad.discover(env, CAROL, "adcarol@old.test"))
        assert d.redirect == "adcarol@example.test", d.text
        assert not d.servers and d.error is None, d.text
        d = ad.outlook(ad.discover(env, CAROL, "adcarol@OLD.test", schema="outlook"))
        assert d.action == "redirectAddr" and d.redirect == "adcarol@example.test", d.text
        assert not d.protocols, d.text
        # iOS asks the case-variant path
        d = ad.mobilesync(ad.discover(env, CAROL, "adcarol@old.test",
                                      path="/Autodiscover/Autodiscover.xml"))
        assert d.redirect == "adcarol@example.test", d.text
        # whatever the answer for someone else's old address, it does not tell whether it exists
        for schema in ("mobilesync", "outlook"):
            a = ad.discover(env, BOB, "adcarol@old.test", schema=schema)
            b = ad.discover(env, BOB, "nobody@old.test", schema=schema)
            assert (a.status, ad.without_stamps(a.body.decode(), "adcarol")) == \
                (b.status, ad.without_stamps(b.body.decode(), "nobody")), schema

    def test_unknown_domain_500(self, domains):
        """With sections, a domain none of them names is unknown, even for an address of the
        user; it looks like an address nobody has."""
        env = domains
        a = "adcarol@unknown-domain.test"
        w = ad.watch(env)
        d = ad.mobilesync_error(ad.discover(env, CAROL, a), 500)
        ad.assert_one_info_refusal(w, CAROL, a)
        assert "unknown-domain" not in d.text.replace(a, "")
        ad.outlook_error(ad.discover(env, CAROL, a, schema="outlook"), 500)
        # asked by someone else, it looks like an address nobody has in that domain
        w = ad.watch(env)
        other = ad.mobilesync_error(ad.discover(env, BOB, a), 500)
        ad.assert_one_info_refusal(w, BOB, a)
        b = "adnobody@unknown-domain.test"
        nobody = ad.mobilesync_error(ad.discover(env, BOB, b), 500)
        assert ad.without_stamps(other.text, a) == ad.without_stamps(nobody.text, b)

    def test_others_look_like_nobody(self, domains):
        env = domains
        for schema, check in (("mobilesync", lambda r: ad.mobilesync_error(r, 500).text),
                              ("outlook", lambda r: ad.outlook_error(r, 500))):
            docs = set()
            for a in ("adcarol@example.test", ALICE_PRIMARY, NOBODY, "nobody2@example.test"):
                docs.add(ad.without_stamps(check(ad.discover(env, BOB, a, schema=schema)), a))
            assert len(docs) == 1, (schema, docs)


# =================================================================================================
# server-level directives per virtual host, and a location that forgot Require valid-user
# =================================================================================================

def vhosts_conf(port):
    return f"""
<VirtualHost 127.0.0.1:{port}>
    ServerName 127.0.0.1
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName nodir.test
    AutodiscoverDirectory Off
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName nocheck.test
    AutodiscoverAddressCheck Off
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName smallbody.test
    AutodiscoverMaxRequestBody 1024
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName noauth.test
    <LocationMatch "(?i)^/autodiscover/autodiscover\\.xml$">
        Require all granted
    </LocationMatch>
</VirtualHost>
"""


@pytest.fixture(scope="class")
def vhosts(env, users):
    env.set_conf(vhosts_conf(env.stack.http_port))
    try:
        yield env
    finally:
        env.set_conf("")


class TestServerDirectives:

    def test_directory_off(self, vhosts):
        """Without the directory an address is the user's when it or its local part is the login
        name; directory addresses and display names are not used."""
        env = vhosts
        h = "nodir.test"
        for user, a in ((BOB, "adbob@example.test"), (BOB, "adbob@elsewhere.example"),
                        (NINE, NINE), (ALICE, "adalice@example.test")):
            d = ad.mobilesync_settings(ad.discover(env, user, a, host=h), None, {a})
            assert d.display_name != ALICE_NAME, d.text
        for user, a in ((ALICE, ALICE_PRIMARY), (ALICE, ALICE_ALIAS), (NINE, "ad9@other.example"),
                        (BOB, "adalice@example.test")):
            w = ad.watch(env)
            ad.mobilesync_error(ad.discover(env, user, a, host=h), 500)
            ad.assert_one_info_refusal(w, user, a)
        # the default host still has the directory
        d = ad.mobilesync_settings(ad.discover(env, ALICE, ALICE_ALIAS), eas_url(env),
                                   {ALICE_ALIAS, ALICE_PRIMARY})
        assert d.display_name == ALICE_NAME
        ad.mobilesync_error(ad.discover(env, BOB, "adbob@elsewhere.example"), 500)

    def test_address_check_off(self, vhosts):
        env = vhosts
        for a in ("adalice@example.test", ALICE_PRIMARY, NOBODY, "someone@else.example"):
            d = ad.mobilesync_settings(ad.discover(env, BOB, a, host="nocheck.test"), None, {a})
            assert "Alice" not in d.text, d.text     # not someone else's name
        # authentication is Apache's and still required
        r = env.curl(ad.XML_PATH, method="POST", headers={"Content-Type": "text/xml",
                                                          "Host": "nocheck.test"},
                     data=ad.request(NOBODY))
        assert r.status == 401, r
        ad.mobilesync_error(ad.discover(env, BOB, NOBODY), 500)

    def test_max_request_body_per_vhost(self, vhosts):
        env = vhosts
        body = ad.request("adbob@example.test")
        h = "smallbody.test"
        ad.mobilesync_settings(ad.post(env, ad.padded(body, 1024), BOB, host=h), None,
                               {"adbob@example.test"})
        ad.mobilesync_settings(ad.post(env, ad.padded(body, 1024), BOB, host=h, chunked=True),
                               None, {"adbob@example.test"})
        w = ad.watch(env)
        r = ad.post(env, ad.padded(body, 1025), BOB, host=h)
        assert r.status == 413, r
        ad.assert_one_info_refusal(w, BOB)
        r = ad.post(env, ad.padded(body, 1025), BOB, host=h, chunked=True)
        assert r.status == 413, r
        r = ad.post(env, ad.padded(body, 5000), BOB, host=h, chunked=True)
        assert r.status == 413, r
        # other hosts keep the default
        ad.mobilesync_settings(ad.post(env, ad.padded(body, 5000), BOB), eas_url(env),
                               {"adbob@example.test"})

    def test_no_authenticated_user_401(self, vhosts, env_log):
        env = vhosts
        env_log.allow(r"EAS09010")
        w = ad.watch(env)
        r = env.curl(ad.XML_PATH, method="POST", headers={"Content-Type": "text/xml",
                                                          "Host": "noauth.test"},
                     data=ad.request("adbob@example.test"))
        assert r.status == 401, r
        assert b"MobileSync" not in r.body and b"Microsoft-Server-ActiveSync" not in r.body
        found = ad.refusal_lines(w, "EAS09010")
        assert len([ln for ln in found if "EAS09010" in ln]) == 1, found
