"""Shared by the console tests (test_95x, test_960): the <Location> that serves the console to one
administrator, and a device whose DeviceInformation Model is hostile HTML."""
from pyeas.env import command

HOSTILE = '"><script>alert(1)</script>'


def location_conf(env, admin):
    """The console at /eas-admin for `admin` only (users from the stack's password file)."""
    root = env.stack.server_root
    return f"""<Location /eas-admin>
    SetHandler eas-admin
    AuthType Basic
    AuthName "console"
    AuthBasicProvider file
    AuthUserFile "{root}/conf/users.htpasswd"
    Require user {admin}
</Location>
"""


def hostile_provision(env, dev, user, password):
    """Provision dev (16.1) with DeviceInformation whose Model is HOSTILE."""
    model = HOSTILE.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    xml = ('<?xml version="1.0" encoding="utf-8"?><Provision xmlns="Provision:" '
           'xmlns:settings="Settings:"><settings:DeviceInformation><settings:Set>'
           f'<settings:Model>{model}</settings:Model><settings:OS>iOS 17.1</settings:OS>'
           '</settings:Set></settings:DeviceInformation><Policies><Policy><PolicyType>'
           'MS-EAS-Provisioning-WBXML</PolicyType></Policy></Policies></Provision>')
    r = command(env, "Provision", xml, device_id=dev, version="16.1", user=user,
                password=password)
    assert r.status == 200
