"""A phone for the mail tests: provisions itself, keeps its folder and sync keys, and runs
FolderSync / Sync / ItemOperations through pyeas.env.command (our codec, libwbxml cross-check and
XSD validation on every response). Also builds RFC 5322 messages and delivers them with the real
delivery agent (build/bin/eas-deliver)."""
import itertools
import os
import subprocess
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

from pyeas.env import command

_ids = itertools.count(1)
XML = '<?xml version="1.0" encoding="utf-8"?>'
PIM_NS = ('xmlns:calendar="Calendar:" xmlns:contacts="Contacts:" xmlns:contacts2="Contacts2:" '
          'xmlns:tasks="Tasks:" xmlns:notes="Notes:"')


def message(subject="Hello", body="Hi there.\n", sender="Alice <alice@example.org>",
            to="demo@example.org", date=None, html=None, attachments=(), msgid=None, cc=None):
    m = EmailMessage()
    m["From"] = sender
    m["To"] = to
    if cc:
        m["Cc"] = cc
    m["Subject"] = subject
    m["Date"] = format_datetime(date or datetime.now(timezone.utc))
    m["Message-ID"] = msgid or f"<{next(_ids)}.{os.getpid()}@test.example>"
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype="html")
    for name, ctype, data in attachments:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return m.as_bytes()


def deliver(env, user, raw, folder=None, extra=(), check=True):
    argv = [os.path.join(env.top, "build", "bin", "eas-deliver"), "--db", env.stack.conninfo,
            "--user", user] + (["--folder", folder] if folder else []) + list(extra)
    r = subprocess.run(argv, input=raw, capture_output=True)
    if check:
        assert r.returncode == 0, r.stderr.decode()
    return r


class Phone:
    def __init__(self, env, version="14.1", user=None, password=None, prefix="MAIL"):
        from test_300_provision import provision
        self.env = env
        self.version = version
        self.dev = f"{prefix}{next(_ids):05d}"
        self.kw = {}
        if user:
            self.kw = dict(user=user, password=password)
        self.key, _ = provision(env, self.dev, version, **self.kw)
        self.folder_key = "0"
        self.folders = {}
        self.keys = {}

    def cmd(self, name, xml, **kw):
        h = {"X-MS-PolicyKey": self.key}
        h.update(kw.pop("headers", {}))
        args = dict(self.kw)
        args.update(kw)
        return command(self.env, name, xml, device_id=self.dev, version=self.version,
                       headers=h, **args)

    def foldersync(self, key=None):
        k = self.folder_key if key is None else key
        r = self.cmd("FolderSync", f'{XML}<FolderSync xmlns="FolderHierarchy:"><SyncKey>{k}'
                     '</SyncKey></FolderSync>')
        assert r.status == 200, r.resp
        if r.text("Status") == "1":
            self.folder_key = r.text("SyncKey")
            for n in r.doc.findall("Changes/Add") + r.doc.findall("Changes/Update"):
                self.folders[n.text("ServerId")] = dict(name=n.text("DisplayName"),
                                                        parent=n.text("ParentId"),
                                                        type=int(n.text("Type")))
            for n in r.doc.findall("Changes/Delete"):
                self.folders.pop(n.text("ServerId"), None)
        return r

    def folder(self, name):
        for fid, f in self.folders.items():
            if f["name"] == name:
                return fid
        raise KeyError(name)

    def sync_xml(self, fid, key, window=None, options="", commands="", getchanges=True):
        parts = [f"<SyncKey>{key}</SyncKey><CollectionId>{fid}</CollectionId>"]
        if key != "0" and getchanges:
            parts.append("<GetChanges>1</GetChanges>")
        if window:
            parts.append(f"<WindowSize>{window}</WindowSize>")
        if options:
            parts.append(f"<Options>{options}</Options>")
        if commands:
            parts.append(f"<Commands>{commands}</Commands>")
        return (f'{XML}<Sync xmlns="AirSync:" xmlns:airsyncbase="AirSyncBase:" '
                f'xmlns:email="Email:" {PIM_NS}><Collections><Collection>{"".join(parts)}'
                '</Collection></Collections></Sync>')

    def sync(self, fid, key=None, window=None, options="", commands="", update=True, **kw):
        k = self.keys.get(fid, "0") if key is None else key
        r = self.cmd("Sync", self.sync_xml(fid, k, window, options, commands), **kw)
        assert r.status == 200, r.resp
        if update and r.doc is not None:
            st = r.text("Collections/Collection/Status")
            if st == "1":
                self.keys[fid] = r.text("Collections/Collection/SyncKey")
            elif st == "3":
                self.keys[fid] = "0"
        return r

    def sync_all(self, fid, window=100, options=""):
        """Initial sync then rounds until no MoreAvailable; returns {server_id: add node}."""
        if self.keys.get(fid, "0") == "0":
            self.sync(fid)
        seen = {}
        for _ in range(10000):
            r = self.sync(fid, window=window, options=options)
            if r.doc is None:       # empty response: nothing changed (MS-ASCMD 4.5.10)
                break
            coll = r.doc.find("Collections/Collection")
            for a in coll.findall("Commands/Add"):
                sid = a.text("ServerId")
                assert sid not in seen, f"duplicate add {sid}"
                seen[sid] = a
            if coll.find("MoreAvailable") is None:
                break
        return seen


def commands_of(r, kind):
    if r.doc is None:               # empty response: no changes
        return []
    coll = r.doc.find("Collections/Collection")
    return coll.findall(f"Commands/{kind}") if coll is not None else []


def days_ago(n):
    return datetime.now(timezone.utc) - timedelta(days=n)
