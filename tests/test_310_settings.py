"""Settings (MS-ASCMD 2.2.1.18): DeviceInformation stored in the device registry, UserInformation
from the user directory, DevicePassword recorded as a time without the secret,
RightsManagementInformation; Oof Get/Set basics (replies: test_840_oof.py)."""
from pyeas.env import command
from test_300_provision import new_device, provision

SETTINGS = '<?xml version="1.0" encoding="utf-8"?><Settings xmlns="Settings:">{}</Settings>'
DEVINFO = ("<DeviceInformation><Set><Model>Pixel 8</Model><IMEI>490154203237518</IMEI>"
           "<FriendlyName>Work phone</FriendlyName><OS>Android 14</OS>"
           "<OSLanguage>de</OSLanguage><PhoneNumber>+4930123456</PhoneNumber>"
           "<UserAgent>Android-Mail/2024</UserAgent><MobileOperator>Telekom</MobileOperator>"
           "</Set></DeviceInformation>")


def test_settings_device_information_12_1(env):
    dev = new_device(env, "SET")
    key, _ = provision(env, dev, "12.1")
    r = command(env, "Settings", SETTINGS.format(DEVINFO), device_id=dev, version="12.1",
                headers={"X-MS-PolicyKey": key})
    assert r.status == 200
    assert r.text("Status") == "1"
    assert r.text("DeviceInformation/Status") == "1"
    row = env.psql("SELECT model, imei, friendly_name, os, os_language, phone_number, "
                   f"info_user_agent, mobile_operator FROM devices WHERE device_id = '{dev}'")
    assert row == ("Pixel 8|490154203237518|Work phone|Android 14|de|+4930123456|"
                   "Android-Mail/2024|Telekom")
    # a later Set with fewer fields keeps the others
    r = command(env, "Settings", SETTINGS.format(
        "<DeviceInformation><Set><OS>Android 15</OS></Set></DeviceInformation>"),
        device_id=dev, version="12.1", headers={"X-MS-PolicyKey": key})
    assert r.text("DeviceInformation/Status") == "1"
    assert env.psql(f"SELECT model, os FROM devices WHERE device_id = '{dev}'") == \
        "Pixel 8|Android 15"


def test_settings_user_information(env):
    env.add_user("carol@example.org", "carol-pw")
    kw = dict(user="carol@example.org", password="carol-pw")
    dev = new_device(env, "SETU")
    key, _ = provision(env, dev, "14.1", **kw)
    body = SETTINGS.format("<UserInformation><Get/></UserInformation>"
                           "<RightsManagementInformation><Get/></RightsManagementInformation>")
    r = command(env, "Settings", body, device_id=dev, version="14.1",
                headers={"X-MS-PolicyKey": key}, **kw)
    assert r.text("UserInformation/Status") == "1"
    assert r.text("UserInformation/Get/Accounts/Account/EmailAddresses/PrimarySmtpAddress") == \
        "carol@example.org"
    assert r.text("RightsManagementInformation/Status") == "1"
    key12, _ = provision(env, dev, "12.1", **kw)
    r = command(env, "Settings", SETTINGS.format("<UserInformation><Get/></UserInformation>"),
                device_id=dev, version="12.1", headers={"X-MS-PolicyKey": key12}, **kw)
    assert r.text("UserInformation/Get/EmailAddresses/SMTPAddress") == "carol@example.org"


def test_settings_user_information_directory(env):
    """Display name, primary and additional addresses from the directory; a bare user name gets
    name@EASMailDomain."""
    env.add_user("uinfo", "uinfo-pw")
    kw = dict(user="uinfo", password="uinfo-pw")
    dev = new_device(env, "SETD")
    key, _ = provision(env, dev, "14.1", **kw)
    body = SETTINGS.format("<UserInformation><Get/></UserInformation>")
    r = command(env, "Settings", body, device_id=dev, version="14.1",
                headers={"X-MS-PolicyKey": key}, **kw)
    acc = "UserInformation/Get/Accounts/Account/"
    assert r.text(acc + "EmailAddresses/PrimarySmtpAddress") == "uinfo@example.test"
    assert r.text(acc + "UserDisplayName") == "uinfo"
    env.psql("UPDATE users SET display_name = 'Uma Info', email = 'uma@corp.example', "
             "aliases = '{u.info@corp.example}' WHERE name = 'uinfo'")
    r = command(env, "Settings", body, device_id=dev, version="14.1",
                headers={"X-MS-PolicyKey": key}, **kw)
    assert r.text(acc + "UserDisplayName") == "Uma Info"
    assert r.text(acc + "AccountName") == "uma@corp.example"
    assert r.text(acc + "EmailAddresses/PrimarySmtpAddress") == "uma@corp.example"
    assert [n.text() for n in r.doc.findall(acc + "EmailAddresses/SMTPAddress")] == \
        ["uma@corp.example", "u.info@corp.example"]
    key12, _ = provision(env, dev, "12.1", **kw)
    r = command(env, "Settings", body, device_id=dev, version="12.1",
                headers={"X-MS-PolicyKey": key12}, **kw)
    assert [n.text() for n in r.doc.findall("UserInformation/Get/EmailAddresses/SMTPAddress")] \
        == ["uma@corp.example", "u.info@corp.example"]


def test_settings_device_password_not_stored(env):
    dev = new_device(env, "SETP")
    key, _ = provision(env, dev, "14.1")
    body = SETTINGS.format("<DevicePassword><Set><Password>hunter2-recovery</Password></Set>"
                           "</DevicePassword>")
    r = command(env, "Settings", body, device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.text("DevicePassword/Status") == "1"
    assert env.psql(f"SELECT count(*) FROM audit_log WHERE action = 'device.password' "
                    f"AND device_id = '{dev}'") == "1"
    assert env.psql(f"SELECT password_recovery_set_at IS NOT NULL FROM devices "
                    f"WHERE device_id = '{dev}'") == "t"
    dump = env.psql("SELECT string_agg(details::text, ' ') FROM audit_log") + \
        env.psql("SELECT string_agg(d::text, ' ') FROM devices d")
    assert "hunter2" not in dump


def test_settings_oof(env):
    dev = new_device(env, "SETO")
    key, _ = provision(env, dev, "14.1")
    r = command(env, "Settings", SETTINGS.format("<Oof><Get><BodyType>Text</BodyType></Get></Oof>"),
                device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.text("Oof/Status") == "1" and r.text("Oof/Get/OofState") == "0"
    r = command(env, "Settings", SETTINGS.format("<Oof><Set><OofState>1</OofState></Set></Oof>"),
                device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.text("Oof/Status") == "1"
    r = command(env, "Settings", SETTINGS.format("<Oof><Get><BodyType>Text</BodyType></Get></Oof>"),
                device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.text("Oof/Get/OofState") == "1"
    # StartTime without EndTime is a protocol error (MS-ASCMD 2.2.3.176.2); nothing changes
    r = command(env, "Settings", SETTINGS.format(
        "<Oof><Set><OofState>2</OofState><StartTime>2030-01-01T00:00:00.000Z</StartTime>"
        "</Set></Oof>"), device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.text("Oof/Status") == "2"
    r = command(env, "Settings", SETTINGS.format("<Oof><Set><OofState>0</OofState></Set></Oof>"),
                device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.text("Oof/Status") == "1"


def test_settings_requires_provisioning(env):
    dev = new_device(env, "SETG")
    r = command(env, "Settings", SETTINGS.format(DEVINFO), device_id=dev)
    assert r.text("Status") == "142"
    assert env.psql(f"SELECT model IS NULL FROM devices WHERE device_id = '{dev}'") == "t"
