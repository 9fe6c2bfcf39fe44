"""mod_autodiscover's directives are validated at `apachectl configtest` time
(docs/autodiscover.md, Configuration): every rejected configuration fails the test with a message
naming the directive (and, where there is one, the offending value); good configurations pass."""
import pytest


def section(body, domains="example.com"):
    return f"<AutodiscoverDomain {domains}>\n{body}\n</AutodiscoverDomain>\n"


OK_BODY = "    AutodiscoverIMAP mail.example.com\n"

REJECTED = [
    # domains: malformed, missing, repeated (also across case and within a section), two '*'
    ("bad-domain", section(OK_BODY, "under_score.example"), "AutodiscoverDomain",
     "under_score.example"),
    ("bad-domain-dash", section(OK_BODY, "-bad.example"), "AutodiscoverDomain", "-bad.example"),
    ("bad-domain-dots", section(OK_BODY, "bad..example"), "AutodiscoverDomain", "bad..example"),
    ("bad-domain-address", section(OK_BODY, "user@example.com"), "AutodiscoverDomain",
     "user@example.com"),
    ("no-domain", section(OK_BODY, ""), "AutodiscoverDomain", None),
    ("repeated", section(OK_BODY) + section(OK_BODY, "example.org EXAMPLE.com"),
     "AutodiscoverDomain", None),
    ("repeated-in-section", section(OK_BODY, "example.com example.com"), "AutodiscoverDomain",
     None),
    ("two-catch-alls", section(OK_BODY, "*") + section(OK_BODY, "*"), "AutodiscoverDomain",
     None),
    ("repeated-in-vhost", "<VirtualHost 127.0.0.1:1>\n" + section(OK_BODY) + section(OK_BODY)
     + "</VirtualHost>\n", "AutodiscoverDomain", None),
    # nothing to advertise
    ("unclosed", "<AutodiscoverDomain example.com>\n" + OK_BODY, "AutodiscoverDomain", None),
    # URLs
    ("url-not-absolute", section("AutodiscoverActiveSyncURL /Microsoft-Server-ActiveSync"),
     "AutodiscoverActiveSyncURL", "/Microsoft-Server-ActiveSync"),
    ("url-scheme", section("AutodiscoverActiveSyncURL ftp://mail.example.com/x"),
     "AutodiscoverActiveSyncURL", "ftp://mail.example.com/x"),
    ("url-no-host", section("AutodiscoverActiveSyncURL https:///Microsoft-Server-ActiveSync"),
     "AutodiscoverActiveSyncURL", None),
    ("url-bad-host", section("AutodiscoverActiveSyncURL https://bad_host.example/x"),
     "AutodiscoverActiveSyncURL", None),
    ("url-bad-port", section("AutodiscoverActiveSyncURL https://mail.example.com:70000/x"),
     "AutodiscoverActiveSyncURL", None),
    ("url-port-zero", section("AutodiscoverActiveSyncURL https://mail.example.com:0/x"),
     "AutodiscoverActiveSyncURL", None),
    ("url-empty-label", section("AutodiscoverActiveSyncURL https://mail..example.com/x"),
     "AutodiscoverActiveSyncURL", None),
    ("url-garbage", section("AutodiscoverActiveSyncURL not-a-url"),
     "AutodiscoverActiveSyncURL", "not-a-url"),
    # servers: host names, ports, socket types
    ("imap-bad-host", section("AutodiscoverIMAP bad_host.example"), "AutodiscoverIMAP",
     "bad_host.example"),
    ("imap-port-zero", section("AutodiscoverIMAP mail.example.com:0"), "AutodiscoverIMAP", None),
    ("imap-port-big", section("AutodiscoverIMAP mail.example.com:65536"), "AutodiscoverIMAP",
     None),
    ("imap-port-word", section("AutodiscoverIMAP mail.example.com:imaps"), "AutodiscoverIMAP",
     None),
    ("imap-port-empty", section("AutodiscoverIMAP mail.example.com:"), "AutodiscoverIMAP", None),
    ("imap-socket", section("AutodiscoverIMAP mail.example.com:993 TLSv9"), "AutodiscoverIMAP",
     "TLSv9"),
    ("imap-extra-arg", section("AutodiscoverIMAP mail.example.com 993 SSL"), "AutodiscoverIMAP",
     None),
    ("pop3-bad-host", section("AutodiscoverPOP3 pop..example.com"), "AutodiscoverPOP3", None),
    ("pop3-socket", section("AutodiscoverPOP3 pop.example.com SSH"), "AutodiscoverPOP3", "SSH"),
    ("smtp-port", section("AutodiscoverSMTP smtp.example.com:-25"), "AutodiscoverSMTP", None),
    ("smtp-socket", section("AutodiscoverSMTP smtp.example.com:587 starttlsx"),
     "AutodiscoverSMTP", "starttlsx"),
    ("smtp-no-host", section("AutodiscoverSMTP :587"), "AutodiscoverSMTP", None),
    # protocols: unknown names, one without its server
    ("protocol-unknown", section(OK_BODY + "AutodiscoverProtocols IMAP Exchange"),
     "AutodiscoverProtocols", "Exchange"),
    ("protocol-without-server", section(OK_BODY + "AutodiscoverProtocols IMAP POP3"),
     "AutodiscoverProtocols", "POP3"),
    ("protocol-smtp-without-server", section(OK_BODY + "AutodiscoverProtocols SMTP IMAP"),
     "AutodiscoverProtocols", "SMTP"),
    ("protocols-empty", section(OK_BODY + "AutodiscoverProtocols"), "AutodiscoverProtocols",
     None),
    # redirects: malformed, to the section's own domain, chains
    ("redirect-bad", section("AutodiscoverRedirect not_a_domain"), "AutodiscoverRedirect",
     "not_a_domain"),
    ("redirect-self", section("AutodiscoverRedirect Example.COM"), "AutodiscoverRedirect", None),
    ("redirect-self-other-name", section("AutodiscoverRedirect example.net",
                                         "example.com example.net"),
     "AutodiscoverRedirect", None),
    ("redirect-chain", section("AutodiscoverRedirect mid.example", "old.example")
     + section("AutodiscoverRedirect new.example", "mid.example") + section(OK_BODY, "new.example"),
     "AutodiscoverRedirect", None),
    ("redirect-loop", section("AutodiscoverRedirect b.example", "a.example")
     + section("AutodiscoverRedirect a.example", "b.example"), "AutodiscoverRedirect", None),
    # other values
    ("login-name", section(OK_BODY + "AutodiscoverLoginName Email"), "AutodiscoverLoginName",
     None),
    ("provider-name-args", section(OK_BODY + 'AutodiscoverProviderName "A" "B" "C"'),
     "AutodiscoverProviderName", None),
    ("address-check", "AutodiscoverAddressCheck maybe", "AutodiscoverAddressCheck", None),
    ("directory", "AutodiscoverDirectory yes", "AutodiscoverDirectory", None),
    ("body-small", "AutodiscoverMaxRequestBody 511", "AutodiscoverMaxRequestBody", "511"),
    ("body-big", "AutodiscoverMaxRequestBody 1048577", "AutodiscoverMaxRequestBody", "1048577"),
    ("body-word", "AutodiscoverMaxRequestBody lots", "AutodiscoverMaxRequestBody", "lots"),
    ("body-negative", "AutodiscoverMaxRequestBody -1", "AutodiscoverMaxRequestBody", None),
    # scopes: section directives outside a section, server directives in a directory context
    ("imap-outside", "AutodiscoverIMAP mail.example.com", "AutodiscoverIMAP", None),
    ("url-outside", "AutodiscoverActiveSyncURL https://mail.example.com/x",
     "AutodiscoverActiveSyncURL", None),
    ("redirect-outside", "AutodiscoverRedirect example.com", "AutodiscoverRedirect", None),
    ("section-in-location", "<Location /x>\n" + section(OK_BODY) + "</Location>",
     "AutodiscoverDomain", None),
    ("address-check-in-location", "<Location /x>\nAutodiscoverAddressCheck Off\n</Location>",
     "AutodiscoverAddressCheck", None),
    ("body-in-location", "<Location /x>\nAutodiscoverMaxRequestBody 4096\n</Location>",
     "AutodiscoverMaxRequestBody", None),
    ("nested-section", section(section(OK_BODY, "inner.example")), "AutodiscoverDomain", None),
    # found in review: every directive once per section, nothing foreign inside a section,
    # no empty domain word, no credentials or signed ports in the URL, redirect stands alone
    ("redirect-twice", section("AutodiscoverRedirect c.example\nAutodiscoverRedirect d.example"),
     "AutodiscoverRedirect", None),
    ("provider-twice", section(OK_BODY + 'AutodiscoverProviderName "A"\nAutodiscoverProviderName "B"'),
     "AutodiscoverProviderName", None),
    ("login-twice", section(OK_BODY + "AutodiscoverLoginName Address\nAutodiscoverLoginName LocalPart"),
     "AutodiscoverLoginName", None),
    ("protocols-twice", section(OK_BODY + "AutodiscoverProtocols IMAP\nAutodiscoverProtocols ActiveSync"),
     "AutodiscoverProtocols", None),
    ("foreign-directive", section(OK_BODY + "KeepAlive Off"), "KeepAlive", None),
    ("empty-domain-word", section(OK_BODY, 'a.example "" b.example'), "AutodiscoverDomain", None),
    ("url-credentials", section("AutodiscoverActiveSyncURL https://admin:s3cret@mail.example.com/x"),
     "AutodiscoverActiveSyncURL", None),
    ("url-signed-port", section("AutodiscoverActiveSyncURL https://mail.example.com:+443/x"),
     "AutodiscoverActiveSyncURL", None),
    ("imap-signed-port", section("AutodiscoverIMAP mail.example.com:+993"), "AutodiscoverIMAP", None),
    ("redirect-with-settings", section(OK_BODY + "AutodiscoverRedirect other.example"),
     "AutodiscoverRedirect", None),
]


@pytest.mark.parametrize("conf,directive,value",
                         [pytest.param(c, d, v, id=i) for i, c, d, v in REJECTED])
def test_configtest_rejects(env, conf, directive, value):
    rc, out = env.configtest(conf)
    assert rc != 0, out
    assert directive in out, out
    if value is not None:
        assert value in out, out


def test_configtest_accepts_the_documented_example(env):
    """docs/autodiscover.md's virtual host, on this server's address."""
    rc, out = env.configtest(f"""
<VirtualHost 127.0.0.1:{env.stack.http_port}>
    ServerName mail.example.com
    ServerAlias autodiscover.example.com autodiscover.example.net autoconfig.example.com

    <AutodiscoverDomain example.com example.net>
        AutodiscoverActiveSyncURL https://mail.example.com/Microsoft-Server-ActiveSync
        AutodiscoverIMAP mail.example.com:993 SSL
        AutodiscoverSMTP mail.example.com:587 STARTTLS
        AutodiscoverProviderName "Example Mail" "Example"
    </AutodiscoverDomain>

    <AutodiscoverDomain old-example.org>
        AutodiscoverRedirect example.com
    </AutodiscoverDomain>
</VirtualHost>
""")
    assert rc == 0, out


def test_configtest_accepts_every_form(env):
    port = env.stack.http_port
    rc, out = env.configtest(f"""
AutodiscoverAddressCheck Off
AutodiscoverDirectory Off
AutodiscoverMaxRequestBody 512
<AutodiscoverDomain example.com Example.Net mail-1.sub.example.org>
    AutodiscoverActiveSyncURL http://mail.example.com:8080/Microsoft-Server-ActiveSync
    AutodiscoverIMAP imap.example.com
    AutodiscoverPOP3 pop.example.com:1995 plain
    AutodiscoverSMTP smtp.example.com:25 STARTTLS
    AutodiscoverProtocols SMTP POP3 ActiveSync IMAP
    AutodiscoverProviderName "Example Mail & Co"
    AutodiscoverLoginName LocalPart
</AutodiscoverDomain>
<AutodiscoverDomain imap.test>
    AutodiscoverIMAP imap.imap.test:143 starttls
    AutodiscoverPOP3 pop.imap.test SSL
    AutodiscoverSMTP smtp.imap.test:465 ssl
    AutodiscoverLoginName Address
    AutodiscoverProtocols imap activesync
</AutodiscoverDomain>
<AutodiscoverDomain eas.test>
    AutodiscoverActiveSyncURL https://eas.test/Microsoft-Server-ActiveSync
</AutodiscoverDomain>
<AutodiscoverDomain moved.test also-moved.test>
    AutodiscoverRedirect example.com
</AutodiscoverDomain>
<AutodiscoverDomain gone.test>
    AutodiscoverRedirect somewhere-else.example
</AutodiscoverDomain>
<AutodiscoverDomain *>
    AutodiscoverActiveSyncURL https://catchall.example/Microsoft-Server-ActiveSync
</AutodiscoverDomain>
<VirtualHost 127.0.0.1:{port}>
    ServerName other.example
    AutodiscoverAddressCheck On
    AutodiscoverDirectory On
    AutodiscoverMaxRequestBody 1048576
    # the main server's domains may be named again in a virtual host
    <AutodiscoverDomain example.com *>
        AutodiscoverSMTP smtp.other.example
    </AutodiscoverDomain>
</VirtualHost>
<VirtualHost 127.0.0.1:{port}>
    ServerName third.example
    <AutodiscoverDomain example.com>
        AutodiscoverIMAP imap.third.example:993 SSL
    </AutodiscoverDomain>
</VirtualHost>
""")
    assert rc == 0, out


def test_configtest_accepts_an_empty_section(env):
    """A section without directives lists domains served with the defaults (ActiveSync here)."""
    rc, out = env.configtest(section(""))
    assert rc == 0, out


def test_configtest_accepts_no_sections(env):
    """The module needs no directive at all (the built-in default)."""
    rc, out = env.configtest("")
    assert rc == 0, out
