"""OPTIONS and authentication (MS-ASHTTP 2.2.3/2.2.4)."""
from pyeas.env import EAS_PATH


def test_options_headers(env):
    r = env.curl(EAS_PATH, method="OPTIONS", user=env.user)
    assert r.status == 200
    assert r.header("MS-Server-ActiveSync") == "16.1"
    assert r.header("MS-ASProtocolVersions") == "12.0,12.1,14.0,14.1,16.0,16.1"
    assert "ms-asprotocolcommands" in r.headers
    # only commands this build implements are advertised
    assert r.header("MS-ASProtocolCommands") == (
        "Sync,SendMail,SmartForward,SmartReply,GetAttachment,FolderSync,FolderCreate,"
        "FolderDelete,FolderUpdate,MoveItems,GetItemEstimate,MeetingResponse,Search,Settings,Ping,"
        "ItemOperations,Provision,ResolveRecipients,ValidateCert,Find")
    assert r.header("Allow") == "OPTIONS,POST"
    assert len(r.headers["ms-server-activesync"]) == 1


def test_options_requires_auth(env):
    r = env.curl(EAS_PATH, method="OPTIONS")
    assert r.status == 401
    assert r.header("WWW-Authenticate").startswith("Basic")
    assert "ms-asprotocolversions" not in r.headers


def test_wrong_password(env, env_log):
    env_log.allow(r"AH01617: user demo: authentication failure")
    r = env.curl(EAS_PATH, method="OPTIONS", user=env.user, password="wrong")
    assert r.status == 401


def test_post_requires_auth(env):
    r = env.curl(EAS_PATH + "?Cmd=Sync&User=x&DeviceId=d&DeviceType=t", method="POST", data=b"")
    assert r.status == 401


def test_get_not_allowed(env):
    r = env.curl(EAS_PATH, method="GET", user=env.user)
    assert r.status == 405
    assert set(r.header("Allow").split(",")) >= {"OPTIONS", "POST"}


def test_protocol_versions_directive(env):
    env.set_conf("""
<Location /eas-narrow>
    SetHandler eas-sync
    AuthType Basic
    AuthName "ActiveSync"
    AuthBasicProvider file
    AuthUserFile "%s/conf/users.htpasswd"
    Require valid-user
    EASProtocolVersions 14.1 16.1
</Location>
""" % env.stack.server_root)
    try:
        r = env.curl("/eas-narrow", method="OPTIONS", user=env.user)
        assert r.status == 200
        assert r.header("MS-ASProtocolVersions") == "14.1,16.1"
        # a version not offered here is refused
        r = env.eas("Sync", version="12.1",
                    query="Cmd=Sync&User=demo&DeviceId=NARROW1&DeviceType=t")
        assert r.status != 400  # the default location still offers 12.1
        r = env.curl("/eas-narrow?Cmd=Sync&User=demo&DeviceId=NARROW1&DeviceType=t",
                     method="POST", user=env.user, headers={"MS-ASProtocolVersion": "12.1"},
                     data=b"")
        assert r.status == 400
    finally:
        env.set_conf("")
