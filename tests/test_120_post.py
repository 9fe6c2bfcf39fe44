"""POST validation: 400 for malformed requests, 501 for unknown commands, 413 for oversized
bodies; each with one log line naming user, device and command."""
import re

import pytest

from pyeas import wbxml
from pyeas.env import EAS_PATH, b64_query, wait_for


def log_has(env, pattern):
    rx = re.compile(pattern)
    return wait_for(lambda: any(rx.search(ln) for ln in env._current_watch.new_lines()), 5)


@pytest.mark.parametrize("query,why", [
    ("User=demo&DeviceId=DEV400A&DeviceType=t", "missing Cmd"),
    ("Cmd=Sync&User=demo&DeviceType=t", "missing DeviceId"),
    ("Cmd=Sync&User=demo&DeviceId=DEV400B", "missing DeviceType"),
    ("Cmd=Sync&User=demo&DeviceId=bad%20device&DeviceType=t", "malformed DeviceId"),
    ("Cmd=Sync&User=demo&DeviceId=" + "x" * 65 + "&DeviceType=t", "malformed DeviceId"),
    ("Cmd=Sync&User=demo&DeviceId=DEV400C&DeviceType=t%zz", "bad %-escape"),
])
def test_bad_query_400(env, query, why):
    r = env.eas("Sync", query=query)
    assert r.status == 400
    assert log_has(env, r"EAS00010: bad request: " + re.escape(why) + r".*\[user=demo ")


def test_missing_protocol_version_400(env):
    r = env.eas("Sync", version=None)
    assert r.status == 400
    assert log_has(env, r"EAS00010: bad request: missing MS-ASProtocolVersion "
                        r"\[user=demo device=TESTDEV0001 cmd=Sync\]")


def test_unknown_version_400(env):
    r = env.eas("Sync", version="13.0")
    assert r.status == 400
    assert log_has(env, r"EAS00010: .*unknown MS-ASProtocolVersion.*device=TESTDEV0001")


def test_bad_policy_key_400(env):
    r = env.eas("Sync", headers={"X-MS-PolicyKey": "notanumber"})
    assert r.status == 400


def test_unknown_command_501(env):
    r = env.eas("Frobnicate", device_id="DEV501")
    assert r.status == 501
    assert log_has(env, r"EAS00011: unknown command \[user=demo device=DEV501 cmd=Frobnicate\]")


def test_base64_query(env):
    q = b64_query(141, 9, "B64DEVICE01", "SmartPhone", policy_key=0x01020304)
    r = env.curl(f"{EAS_PATH}?{q}", method="POST", user=env.user, data=b"",
                 headers={"User-Agent": "b64-test/1.0"})
    # the request passed validation and reached the device registry (and the device gate, which
    # answers HTTP 449 / Status 142 until the device provisions)
    assert r.status == 200
    row = env.psql("SELECT device_type, protocol_version, last_command, user_agent FROM devices "
                   "WHERE device_id = 'B64DEVICE01'")
    assert row == "SmartPhone|14.1|FolderSync|b64-test/1.0"


def test_base64_spec_example(env):
    r = env.curl(f"{EAS_PATH}?jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l", method="POST",
                 user=env.user, data=b"")
    assert r.status == 200
    assert env.psql("SELECT protocol_version FROM devices d JOIN users u ON u.id = d.user_id "
                    "WHERE u.name = 'demo' AND device_id = 'v140Device'") == "14.0"


def test_base64_malformed_400(env):
    q = b64_query(141, 0, "D", "t")[:-6]   # truncated
    r = env.curl(f"{EAS_PATH}?{q}", method="POST", user=env.user, data=b"")
    assert r.status == 400
    r = env.curl(f"{EAS_PATH}?AAAA", method="POST", user=env.user, data=b"")
    assert r.status == 400


def test_base64_unknown_command_501(env):
    q = b64_query(141, 99, "B64DEV501", "t")
    r = env.curl(f"{EAS_PATH}?{q}", method="POST", user=env.user, data=b"")
    assert r.status == 501
    assert log_has(env, r"EAS00011: unknown command \[user=demo device=B64DEV501 cmd=#99\]")


def test_device_recorded_per_user(env):
    env.add_user("alice", "alice-pw")
    r = env.eas("FolderSync", device_id="ALICEDEV1", user="alice", password="alice-pw",
                headers={"User-Agent": "Apple-iPhone/1"})
    assert r.status == 200
    assert env.psql("SELECT u.name, d.device_type, d.user_agent FROM devices d JOIN users u "
                    "ON u.id = d.user_id WHERE device_id = 'ALICEDEV1'") == \
        "alice|TestPhone|Apple-iPhone/1"
    # a second request updates, never duplicates
    env.eas("Sync", device_id="ALICEDEV1", user="alice", password="alice-pw")
    assert env.psql("SELECT count(*), max(last_command) FROM devices "
                    "WHERE device_id = 'ALICEDEV1'") == "1|Sync"


def test_body_too_large_413(env):
    env.set_conf("""
<Location /Microsoft-Server-ActiveSync>
    EASMaxRequestSize 1K
</Location>
""")
    try:
        r = env.eas("Sync", device_id="DEV413A", body=b"\x03" * 2048)
        assert r.status == 413
        assert log_has(env, r"EAS00013: request body larger than EASMaxRequestSize \(1024 bytes\)"
                            r" \[user=demo device=DEV413A cmd=Sync\]")
        # chunked upload without Content-Length is counted while reading
        r = env.eas("Sync", device_id="DEV413B", body=b"\x03" * 4096,
                    headers={"Transfer-Encoding": "chunked"})
        assert r.status == 413
        assert log_has(env, r"EAS00013: .*device=DEV413B")
        # exactly the limit is fine: a valid FolderSync padded to 1024 bytes
        body = wbxml.encode('<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey>'
                            '</FolderSync>')
        body = wbxml.encode('<FolderSync xmlns="FolderHierarchy:"><SyncKey>%s</SyncKey>'
                            '</FolderSync>' % ("0" * (1024 - len(body) + 1)))
        assert len(body) == 1024
        r = env.eas("FolderSync", device_id="DEV413C", body=body)
        assert r.status == 200
        r = env.eas("FolderSync", device_id="DEV413D", body=body,
                    headers={"Transfer-Encoding": "chunked"})
        assert r.status == 200
    finally:
        env.set_conf("")
