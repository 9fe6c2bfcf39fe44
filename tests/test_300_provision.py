"""Provisioning (MS-ASPROV) end to end: the two-phase policy download for 12.1, 14.1 and 16.1,
HTTP 449 / Status 142-144 until provisioned, key rotation after a policy change, remote wipe and
account-only wipe, and blocked / quarantined devices. Every response is decoded by our codec,
cross-checked with libwbxml and validated against the XSDs (pyeas.env.command)."""
import itertools

import pytest

from pyeas.env import command

PT = "MS-EAS-Provisioning-WBXML"
_ids = itertools.count(1)


def new_device(env, prefix="PROV"):
    return f"{prefix}{next(_ids):04d}X"


def provision_request(info=True, key=None, status=None, policy_type=PT):
    di = ""
    if info:
        di = ("<settings:DeviceInformation><settings:Set>"
              "<settings:Model>iPhone15,2</settings:Model><settings:IMEI>356938035643809</settings:IMEI>"
              "<settings:FriendlyName>Test Phone</settings:FriendlyName>"
              "<settings:OS>iOS 17.1</settings:OS><settings:OSLanguage>en</settings:OSLanguage>"
              "<settings:PhoneNumber>+15551234567</settings:PhoneNumber>"
              "<settings:MobileOperator>Example Mobile</settings:MobileOperator>"
              "</settings:Set></settings:DeviceInformation>")
    pol = f"<PolicyType>{policy_type}</PolicyType>"
    if key is not None:
        pol += f"<PolicyKey>{key}</PolicyKey>"
    if status is not None:
        pol += f"<Status>{status}</Status>"
    return (f'<?xml version="1.0" encoding="utf-8"?><Provision xmlns="Provision:" '
            f'xmlns:settings="Settings:">{di}<Policies><Policy>{pol}</Policy></Policies>'
            f'</Provision>')


FOLDERSYNC = ('<?xml version="1.0" encoding="utf-8"?>'
              '<FolderSync xmlns="FolderHierarchy:"><SyncKey>0</SyncKey></FolderSync>')


def provision(env, dev, version, user=None, password=None):
    """Both phases; returns the final key."""
    info = version != "12.1"
    r1 = command(env, "Provision", provision_request(info=info), device_id=dev, version=version,
                 user=user, password=password)
    assert r1.status == 200
    assert r1.text("Status") == "1"
    assert r1.text("Policies/Policy/PolicyType") == PT
    assert r1.text("Policies/Policy/Status") == "1"
    temp = r1.text("Policies/Policy/PolicyKey")
    assert temp and temp != "0"
    assert r1.doc.find("Policies/Policy/Data/EASProvisionDoc") is not None
    r2 = command(env, "Provision", provision_request(info=False, key=temp, status=1),
                 device_id=dev, version=version, headers={"X-MS-PolicyKey": temp}, user=user,
                 password=password)
    assert r2.status == 200
    assert r2.text("Status") == "1"
    assert r2.text("Policies/Policy/Status") == "1"
    final = r2.text("Policies/Policy/PolicyKey")
    assert final and final not in ("0", temp)
    assert r2.doc.find("Policies/Policy/Data") is None   # no document in the acknowledgement
    return final, r1


def foldersync(env, dev, version, key=None, **kw):
    h = {"X-MS-PolicyKey": str(key)} if key is not None else {}
    return command(env, "FolderSync", FOLDERSYNC, device_id=dev, version=version, headers=h, **kw)


@pytest.mark.parametrize("version", ["14.1", "16.1", "14.0", "16.0"])
def test_provision_handshake_status_codes(env, version):
    dev = new_device(env)
    r = foldersync(env, dev, version)
    assert r.status == 200 and r.doc.name == "FolderSync"
    assert r.text("Status") == "142"                  # not provisioned
    r = foldersync(env, dev, version, key=0)
    assert r.text("Status") == "142"
    final, r1 = provision(env, dev, version)
    if version in ("14.1", "16.0", "16.1"):
        assert r1.text("DeviceInformation/Status") == "1"
    r = foldersync(env, dev, version, key=int(final) ^ 1)
    assert r.text("Status") == "144"                  # wrong key
    r = foldersync(env, dev, version, key=final)
    assert r.status == 200 and r.text("Status") == "1"   # through the gate
    row = env.psql(f"SELECT policy_key, provision_status, pending_policy_key IS NULL "
                   f"FROM devices WHERE device_id = '{dev}'")
    assert row == f"{final}|1|t"


def test_provision_12_1_uses_http_449(env):
    dev = new_device(env)
    r = foldersync(env, dev, "12.1")
    assert r.status == 449
    final, r1 = provision(env, dev, "12.1")
    assert r1.doc.find("DeviceInformation") is None   # 12.1 has no DeviceInformation
    assert foldersync(env, dev, "12.1", key=final).text("Status") == "1"
    assert foldersync(env, dev, "12.1", key=12345).status == 449


def test_provision_base64_query_policy_key(env):
    from pyeas.env import EAS_PATH, b64_query
    from pyeas import wbxml
    dev = new_device(env)
    final, _ = provision(env, dev, "14.1")
    q = b64_query(141, 9, dev, "TestPhone", policy_key=int(final))
    r = env.curl(f"{EAS_PATH}?{q}", method="POST", user=env.user, data=wbxml.encode(FOLDERSYNC),
                 headers={"Content-Type": "application/vnd.ms-sync.wbxml"})
    assert r.status == 200 and r.body[:3] == b"\x03\x01\x6a"   # a WBXML FolderSync answer
    q = b64_query(141, 9, dev, "TestPhone", policy_key=int(final) + 1)
    r = env.curl(f"{EAS_PATH}?{q}", method="POST", user=env.user, data=wbxml.encode(FOLDERSYNC),
                 headers={"Content-Type": "application/vnd.ms-sync.wbxml"})
    assert r.status == 200 and wbxml.Doc(wbxml.decode(r.body)).text("Status") == "144"


def test_device_information_stored(env):
    dev = new_device(env)
    provision(env, dev, "14.1")
    row = env.psql("SELECT model, imei, friendly_name, os, os_language, phone_number, "
                   f"mobile_operator FROM devices WHERE device_id = '{dev}'")
    assert row == "iPhone15,2|356938035643809|Test Phone|iOS 17.1|en|+15551234567|Example Mobile"


def test_policy_document_default_values(env):
    dev = new_device(env)
    _, r1 = provision(env, dev, "14.1")
    doc = r1.doc.find("Policies/Policy/Data/EASProvisionDoc")
    values = {c.tag.split("}")[-1]: (c.text or "") for c in doc.root}
    assert values["DevicePasswordEnabled"] == "0"
    assert values["AttachmentsEnabled"] == "1"
    assert values["AllowBluetooth"] == "2"
    assert values["MaxAttachmentSize"] == ""          # unlimited: empty element
    assert "AllowNonProvisionableDevices" not in values  # server-side setting, never sent


def test_wrong_ack_key_and_unknown_policy_type(env):
    dev = new_device(env)
    r = command(env, "Provision", provision_request(), device_id=dev)
    temp = r.text("Policies/Policy/PolicyKey")
    r = command(env, "Provision", provision_request(info=False, key=int(temp) + 7, status=1),
                device_id=dev)
    assert r.text("Status") == "1"
    assert r.text("Policies/Policy/Status") == "5"
    assert r.text("Policies/Policy/PolicyKey") is None
    r = command(env, "Provision", provision_request(policy_type="MS-WAP-Provisioning-XML"),
                device_id=dev)
    assert r.text("Policies/Policy/Status") == "3"


def test_partial_compliance(env):
    dev = new_device(env)
    r = command(env, "Provision", provision_request(), device_id=dev)
    temp = r.text("Policies/Policy/PolicyKey")
    r = command(env, "Provision", provision_request(info=False, key=temp, status=2),
                device_id=dev)
    assert r.text("Status") == "139"                  # not fully provisionable: no key
    assert r.doc.find("Policies") is None
    assert env.psql(f"SELECT policy_key IS NULL, provision_status FROM devices "
                    f"WHERE device_id = '{dev}'") == "t|2"


def test_key_rotation_after_policy_change(env):
    env.add_user("rot@example.org", "rot-pw")
    kw = dict(user="rot@example.org", password="rot-pw")
    dev = new_device(env)
    final, r1 = provision(env, dev, "14.1", **kw)
    assert r1.text("Policies/Policy/Data/EASProvisionDoc/DevicePasswordEnabled") == "0"
    assert foldersync(env, dev, "14.1", key=final, **kw).text("Status") == "1"
    r = env.easctl("policy", "set", "--user", "rot@example.org", "DevicePasswordEnabled", "1")
    assert r.returncode == 0, r.stderr
    r = foldersync(env, dev, "14.1", key=final, **kw)
    assert r.text("Status") == "143"                  # policy refresh
    final2, r1 = provision(env, dev, "14.1", **kw)
    assert final2 != final
    assert r1.text("Policies/Policy/Data/EASProvisionDoc/DevicePasswordEnabled") == "1"
    assert foldersync(env, dev, "14.1", key=final2, **kw).text("Status") == "1"
    # a change elsewhere (another domain) does not force this device to re-provision
    assert env.easctl("policy", "set", "--domain", "elsewhere.example", "AllowCamera",
                      "0").returncode == 0
    assert foldersync(env, dev, "14.1", key=final2, **kw).text("Status") == "1"
    # the domain level applies to this user, until the user level overrides it
    assert env.easctl("policy", "set", "--domain", "example.org", "AllowCamera",
                      "0").returncode == 0
    assert foldersync(env, dev, "14.1", key=final2, **kw).text("Status") == "143"
    final3, r1 = provision(env, dev, "14.1", **kw)
    assert r1.text("Policies/Policy/Data/EASProvisionDoc/AllowCamera") == "0"
    assert env.easctl("policy", "set", "--user", "rot@example.org", "AllowCamera",
                      "1").returncode == 0
    _, r1 = provision(env, dev, "14.1", **kw)
    assert r1.text("Policies/Policy/Data/EASProvisionDoc/AllowCamera") == "1"
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE action = 'provision' "
                    f"AND device_id = '{dev}'") == "4"


def test_non_provisionable_devices_allowed(env):
    env.add_user("np@example.net", "np-pw")
    kw = dict(user="np@example.net", password="np-pw")
    dev = new_device(env)
    assert foldersync(env, dev, "14.1", **kw).text("Status") == "142"
    assert env.easctl("policy", "set", "--user", "np@example.net",
                      "AllowNonProvisionableDevices", "1").returncode == 0
    assert foldersync(env, dev, "14.1", **kw).text("Status") == "1"
    # partial compliance is then accepted too
    r = command(env, "Provision", provision_request(), device_id=dev, **kw)
    temp = r.text("Policies/Policy/PolicyKey")
    r = command(env, "Provision", provision_request(info=False, key=temp, status=2),
                device_id=dev, **kw)
    assert r.text("Policies/Policy/Status") == "1" and r.text("Policies/Policy/PolicyKey")


WIPE_ACK = ('<?xml version="1.0" encoding="utf-8"?><Provision xmlns="Provision:">'
            '<{tag}><Status>{st}</Status></{tag}></Provision>')
EMPTY_PROVISION = '<?xml version="1.0" encoding="utf-8"?><Provision xmlns="Provision:"/>'


def test_remote_wipe_round_trip(env):
    dev = new_device(env, "WIPE")
    final, _ = provision(env, dev, "14.1")
    r = env.easctl("device", "wipe", dev, "--user", env.user)
    assert r.returncode == 0, r.stderr
    r = foldersync(env, dev, "14.1", key=final)
    assert r.text("Status") == "140"                  # remote wipe requested
    r = command(env, "Provision", EMPTY_PROVISION, device_id=dev, headers={"X-MS-PolicyKey": final})
    assert r.text("Status") == "1"
    assert r.doc.find("RemoteWipe") is not None
    assert env.psql(f"SELECT wipe_state FROM devices WHERE device_id = '{dev}'") == "sent"
    # cancel is refused once sent
    assert env.easctl("device", "wipe-cancel", dev, "--user", env.user).returncode == 1
    r = command(env, "Provision", WIPE_ACK.format(tag="RemoteWipe", st=1), device_id=dev)
    assert r.text("Status") == "1" and r.doc.find("RemoteWipe") is None
    row = env.psql(f"SELECT wipe_state, wipe_ack_status, wipe_acked_at IS NOT NULL "
                   f"FROM devices WHERE device_id = '{dev}'")
    assert row == "acknowledged|1|t"
    # the wiped device comes back: wiped again until an administrator clears it
    r = foldersync(env, dev, "14.1", key=final)
    assert r.text("Status") == "140"
    r = command(env, "Provision", provision_request(), device_id=dev)
    assert r.doc.find("RemoteWipe") is not None and r.doc.find("Policies") is None
    actions = env.psql(f"SELECT string_agg(action, ',' ORDER BY id) FROM audit_log "
                       f"WHERE device_id = '{dev}' AND action LIKE 'wipe%'")
    assert actions == "wipe.request,wipe.sent,wipe.ack,wipe.resent"


def test_remote_wipe_failure_is_resent(env):
    dev = new_device(env, "WIPF")
    provision(env, dev, "14.1")
    assert env.easctl("device", "wipe", dev, "--user", env.user).returncode == 0
    command(env, "Provision", EMPTY_PROVISION, device_id=dev)
    r = command(env, "Provision", WIPE_ACK.format(tag="RemoteWipe", st=2), device_id=dev)
    assert r.text("Status") == "2" and r.doc.find("RemoteWipe") is not None
    assert env.psql(f"SELECT wipe_ack_status FROM devices WHERE device_id = '{dev}'") == "2"


def test_remote_wipe_cancel_while_requested(env):
    dev = new_device(env, "WIPC")
    final, _ = provision(env, dev, "14.1")
    assert env.easctl("device", "wipe", dev, "--user", env.user).returncode == 0
    assert env.easctl("device", "wipe-cancel", dev, "--user", env.user).returncode == 0
    assert foldersync(env, dev, "14.1", key=final).text("Status") == "1"
    r = command(env, "Provision", EMPTY_PROVISION, device_id=dev)
    assert r.doc.find("RemoteWipe") is None


def test_account_only_wipe_16_1(env):
    dev = new_device(env, "AOWP")
    final, _ = provision(env, dev, "16.1")
    r = env.easctl("device", "wipe", dev, "--user", env.user, "--account-only")
    assert r.returncode == 0, r.stderr
    assert foldersync(env, dev, "16.1", key=final).text("Status") == "140"
    r = command(env, "Provision", EMPTY_PROVISION, device_id=dev, version="16.1")
    assert r.doc.find("AccountOnlyRemoteWipe") is not None
    assert r.doc.find("RemoteWipe") is None
    r = command(env, "Provision", WIPE_ACK.format(tag="AccountOnlyRemoteWipe", st=1),
                device_id=dev, version="16.1")
    assert r.text("Status") == "1"
    assert env.psql(f"SELECT wipe_state, wipe_type FROM devices WHERE device_id = '{dev}'") == \
        "acknowledged|account"


def test_account_only_wipe_refused_for_older_devices(env):
    dev = new_device(env, "AOWO")
    provision(env, dev, "14.1")
    r = env.easctl("device", "wipe", dev, "--user", env.user, "--account-only")
    assert r.returncode == 1
    assert env.psql(f"SELECT wipe_state FROM devices WHERE device_id = '{dev}'") == "none"


@pytest.mark.parametrize("action", ["block", "quarantine"])
def test_blocked_and_quarantined_devices(env, action):
    dev = new_device(env, action.upper()[:4])
    final, _ = provision(env, dev, "14.1")
    assert env.easctl("device", action, dev, "--user", env.user).returncode == 0
    r = foldersync(env, dev, "14.1", key=final)
    assert r.text("Status") == "129"
    r = command(env, "Provision", provision_request(), device_id=dev)
    assert r.doc.name == "Provision" and r.text("Status") == "129"
    # 12.1 gets HTTP 403
    assert foldersync(env, dev, "12.1", key=final).status == 403
    assert env.easctl("device", "allow", dev, "--user", env.user).returncode == 0
    assert foldersync(env, dev, "14.1", key=final).text("Status") == "1"


def test_access_rule_by_device_type(env):
    r = env.easctl("access", "rule", "add", "--action", "block", "--match", "device_type",
                   "--pattern", "EvilPhone*")
    assert r.returncode == 0, r.stderr
    try:
        dev = new_device(env, "RULE")
        r = foldersync(env, dev, "14.1", device_type="EvilPhone9")
        assert r.text("Status") == "129"
        r = foldersync(env, new_device(env, "RULF"), "14.1", device_type="GoodPhone")
        assert r.text("Status") == "142"
    finally:
        rid = env.psql("SELECT id FROM access_rules WHERE pattern = 'EvilPhone*'")
        env.easctl("access", "rule", "delete", rid)


def test_malformed_wbxml_400(env):
    r = env.eas("Provision", body=b"\x03\x01\x6a\x00\x00\x0e\x45\x46", device_id="BADWBXML1")
    assert r.status == 400
    r = env.eas("Provision", body=b"\x03\x01\x6a\x00\x00\x0e\xff", device_id="BADWBXML1")
    assert r.status == 400
    r = env.eas("Provision", body=b"", device_id="BADWBXML1")
    assert r.status == 400


def test_max_protocol_version_policy(env):
    from pyeas.env import EAS_PATH
    env.add_user("old@capped.example", "old-pw")
    kw = dict(user="old@capped.example", password="old-pw")
    assert env.easctl("policy", "set", "--domain", "capped.example", "MaxProtocolVersion",
                      "14.1").returncode == 0
    r = env.curl(EAS_PATH, method="OPTIONS", **kw)
    assert r.header("MS-ASProtocolVersions") == "12.0,12.1,14.0,14.1"
    dev = new_device(env, "CAP")
    assert foldersync(env, dev, "16.1", **kw).status == 400
    assert foldersync(env, dev, "14.1", **kw).text("Status") == "142"
    # other users keep every version
    r = env.curl(EAS_PATH, method="OPTIONS", user=env.user)
    assert r.header("MS-ASProtocolVersions") == "12.0,12.1,14.0,14.1,16.0,16.1"


def test_wipe_ack_notification_recorded(env, smtp):
    env.set_conf("EASWipeNotifyAdmin security@example.com\nEASWipeNotifyUser On\n")
    try:
        env.add_user("lost@example.com", "lost-pw")
        kw = dict(user="lost@example.com", password="lost-pw")
        dev = new_device(env, "NOTE")
        provision(env, dev, "14.1", **kw)
        assert env.easctl("device", "wipe", dev, "--user", "lost@example.com").returncode == 0
        command(env, "Provision", EMPTY_PROVISION, device_id=dev, **kw)
        command(env, "Provision", WIPE_ACK.format(tag="RemoteWipe", st=1), device_id=dev, **kw)
        row = env.psql("SELECT details->>'to', details->>'delivered' FROM audit_log "
                       f"WHERE action = 'wipe.notify' AND device_id = '{dev}'")
        assert row == '["lost@example.com", "security@example.com"]|true'
        # the administrator's copy goes through the relay; the user is local (in-database)
        msgs = smtp.wait_for(1)
        assert len(msgs) == 1 and msgs[0].rcpt == ["security@example.com"]
        text = msgs[0].data.decode()
        assert f"Subject: Remote wipe of device {dev} acknowledged" in text
        assert "From: postmaster@example.test" in text and "lost@example.com" in text
        assert "Auto-Submitted: auto-generated" in text
        assert env.psql("SELECT count(*) FROM items i JOIN folders f ON f.id = i.folder_id "
                        "JOIN users u ON u.id = i.user_id WHERE u.name = 'lost@example.com' "
                        "AND f.special = 'inbox' AND i.subject LIKE 'Remote wipe of device%'") \
            == "1"
    finally:
        env.set_conf("")


def test_repeated_acknowledgement_gets_the_same_key(env):
    """The response carrying the final key was lost: the retried acknowledgement must not fail
    (nor mint a second key)."""
    dev = new_device(env, "RETR")
    r = command(env, "Provision", provision_request(), device_id=dev)
    temp = r.text("Policies/Policy/PolicyKey")
    ack = provision_request(info=False, key=temp, status=1)
    k1 = command(env, "Provision", ack, device_id=dev).text("Policies/Policy/PolicyKey")
    k2 = command(env, "Provision", ack, device_id=dev).text("Policies/Policy/PolicyKey")
    assert k1 and k1 == k2
    assert foldersync(env, dev, "14.1", key=k1).text("Status") == "1"
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE action = 'provision' "
                    f"AND device_id = '{dev}'") == "1"


def test_domain_policy_is_case_insensitive(env):
    env.add_user("Bob@Mixed.Example", "bob-pw")
    kw = dict(user="Bob@Mixed.Example", password="bob-pw")
    assert env.easctl("policy", "set", "--domain", "MIXED.example", "AllowBrowser",
                      "0").returncode == 0
    dev = new_device(env, "CASE")
    _, r1 = provision(env, dev, "14.1", **kw)
    assert r1.text("Policies/Policy/Data/EASProvisionDoc/AllowBrowser") == "0"


@pytest.mark.parametrize("value", ["2.5", " 5", "+5"])
def test_policy_values_refused(env, value):
    name = "MaxProtocolVersion" if value == "2.5" else "DevicePasswordHistory"
    r = env.easctl("policy", "set", "--global", name, value)
    assert r.returncode == 1
