"""Directives are validated at `apachectl configtest` time with clear messages."""
import pytest


@pytest.mark.parametrize("conf,msg", [
    ('EASDatabase "host=127.0.0.1 nosuchoption=1"', "EASDatabase: invalid connection string"),
    ('EASDatabase "host=\'unterminated"', "EASDatabase: invalid connection string"),
    ("EASDBPoolMax 0", "EASDBPoolMax: '0' is not a whole number from 1 to 1024"),
    ("EASDBPoolMax many", "EASDBPoolMax: 'many' is not a whole number"),
    ("EASDBPoolMin -1", "EASDBPoolMin: '-1' is not a whole number"),
    ("EASDBPoolTimeout 0", "EASDBPoolTimeout: '0' is not a whole number from 1 to 300"),
    ("EASRetryAfter soon", "EASRetryAfter: 'soon' is not a whole number"),
    ("EASMaxRequestSize 10X", "EASMaxRequestSize: '10X' is not a size"),
    ("EASMaxRequestSize 0", "EASMaxRequestSize: '0' is not a size"),
    ("EASProtocolVersions 14.1 13.0", "EASProtocolVersions: '13.0' is not an ActiveSync"),
    ("EASProtocolVersions 2.5", "EASProtocolVersions: 2.5 is not supported by this build"),
    ("EASProtocolVersions", "EASProtocolVersions: give at least one version"),
    ("EASWipeNotifyAdmin not-an-address", "EASWipeNotifyAdmin: 'not-an-address' is not an"),
    ("EASWipeNotifyUser maybe", "EASWipeNotifyUser must be On or Off"),
    ("EASDBPoolMin 8\nEASDBPoolKeep 4", "EASDBPoolMin (8) <= EASDBPoolKeep (4) <= EASDBPoolMax"),
    ("EASDBPoolKeep 20\nEASDBPoolMax 10", "EASDBPoolKeep (20) <= EASDBPoolMax (10)"),
])
def test_configtest_rejects(env, conf, msg):
    rc, out = env.configtest(conf)
    assert rc != 0, out
    assert msg in out, out


def test_configtest_accepts(env):
    rc, out = env.configtest("""
EASDBPoolMin 1
EASDBPoolKeep 2
EASDBPoolMax 8
EASDBPoolTimeout 3
EASDBPoolTTL 60
EASRetryAfter 10
<Location /Microsoft-Server-ActiveSync>
    EASMaxRequestSize 512K
    EASProtocolVersions 12.1,14.1 16.1
</Location>
""")
    assert rc == 0, out
    assert "Syntax OK" in out


def test_vhost_overrides(env):
    rc, out = env.configtest("""
<VirtualHost 127.0.0.1:%d>
    ServerName other.example
    EASRetryAfter 5
    EASMaxRequestSize 2M
</VirtualHost>
""" % env.stack.http_port)
    assert rc == 0, out
