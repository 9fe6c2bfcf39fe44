"""FolderSync, FolderCreate, FolderUpdate, FolderDelete (MS-ASCMD 2.2.1.2-5): default folders on
first use, replayable hierarchy keys, every documented status."""
import pytest

from pyeas.mail import XML, Phone

NS = 'xmlns="FolderHierarchy:"'


def create(ph, name, parent="0", type_=12, key=None):
    return ph.cmd("FolderCreate", f"{XML}<FolderCreate {NS}><SyncKey>{key or ph.folder_key}"
                  f"</SyncKey><ParentId>{parent}</ParentId><DisplayName>{name}</DisplayName>"
                  f"<Type>{type_}</Type></FolderCreate>")


def update(ph, sid, name, parent="0", key=None):
    return ph.cmd("FolderUpdate", f"{XML}<FolderUpdate {NS}><SyncKey>{key or ph.folder_key}"
                  f"</SyncKey><ServerId>{sid}</ServerId><ParentId>{parent}</ParentId>"
                  f"<DisplayName>{name}</DisplayName></FolderUpdate>")


def delete(ph, sid, key=None):
    return ph.cmd("FolderDelete", f"{XML}<FolderDelete {NS}><SyncKey>{key or ph.folder_key}"
                  f"</SyncKey><ServerId>{sid}</ServerId></FolderDelete>")


@pytest.mark.parametrize("version", ["12.1", "14.0", "14.1", "16.0", "16.1"])
def test_initial_foldersync_default_folders(env, version):
    env.add_user(f"fresh{version}@example.org", "pw")
    ph = Phone(env, version, user=f"fresh{version}@example.org", password="pw")
    r = ph.foldersync()
    assert r.text("Status") == "1"
    assert r.text("SyncKey") == "1"
    types = {f["name"]: f["type"] for f in ph.folders.values()}
    assert types == {"Inbox": 2, "Drafts": 3, "Deleted Items": 4, "Sent Items": 5, "Outbox": 6,
                     "Junk E-mail": 12, "Contacts": 9, "Calendar": 8, "Tasks": 7, "Notes": 10}
    assert r.text("Changes/Count") == "10"
    assert all(f["parent"] == "0" for f in ph.folders.values())
    # nothing changed: same key, no changes
    r = ph.foldersync()
    assert r.text("Status") == "1" and r.text("Changes/Count") == "0"
    assert ph.folder_key == "1"


def test_foldersync_invalid_key_is_status_9(env):
    ph = Phone(env)
    ph.foldersync()
    r = ph.foldersync(key="77")
    assert r.text("Status") == "9"
    r = ph.foldersync(key="garbage")
    assert r.text("Status") == "10"


def test_create_rename_move_delete_round_trip(env):
    ph = Phone(env)
    other = Phone(env)       # a second device of the same user sees every change
    ph.foldersync()
    other.foldersync()
    r = create(ph, "Projects")
    assert r.text("Status") == "1"
    pid = r.text("ServerId")
    assert r.text("SyncKey") == "2"
    ph.folder_key = r.text("SyncKey")
    r = create(ph, "Alpha", parent=pid)
    assert r.text("Status") == "1"
    aid = r.text("ServerId")
    ph.folder_key = r.text("SyncKey")
    # the creating device is not told again about its own folders
    r = ph.foldersync()
    assert r.text("Changes/Count") == "0"
    # the other device gets both, parent first
    r = other.foldersync()
    adds = [a.text("DisplayName") for a in r.doc.findall("Changes/Add")]
    assert adds == ["Projects", "Alpha"]
    assert other.folders[aid]["parent"] == pid

    # rename (ServerId stays), then move to the top level
    r = update(ph, aid, "Alpha renamed", parent=pid)
    assert r.text("Status") == "1"
    ph.folder_key = r.text("SyncKey")
    r = update(ph, aid, "Alpha renamed", parent="0")
    assert r.text("Status") == "1"
    ph.folder_key = r.text("SyncKey")
    r = other.foldersync()
    ups = r.doc.findall("Changes/Update")
    assert len(ups) == 1 and ups[0].text("ServerId") == aid
    assert ups[0].text("DisplayName") == "Alpha renamed" and ups[0].text("ParentId") == "0"

    # delete the parent
    r = delete(ph, pid)
    assert r.text("Status") == "1"
    ph.folder_key = r.text("SyncKey")
    r = other.foldersync()
    assert [d.text("ServerId") for d in r.doc.findall("Changes/Delete")] == [pid]
    assert ph.foldersync().text("Changes/Count") == "0"


def test_folder_statuses(env):
    ph = Phone(env)
    ph.foldersync()
    inbox = ph.folder("Inbox")
    r = create(ph, "inbox")                       # names are case-insensitive per level
    assert r.text("Status") == "2"
    r = create(ph, "Child", parent="999999")
    assert r.text("Status") == "5"
    r = create(ph, "Bad", type_=2)                # only user folder types may be created
    assert r.text("Status") == "10"
    r = create(ph, "Stale", key="5")
    assert r.text("Status") == "9"
    r = delete(ph, inbox)
    assert r.text("Status") == "3"                # special folder
    r = update(ph, inbox, "My Inbox")
    assert r.text("Status") == "3"
    r = delete(ph, "424242")
    assert r.text("Status") == "4"
    r = update(ph, "424242", "x")
    assert r.text("Status") == "4"
    r = create(ph, "Top")
    ph.folder_key = r.text("SyncKey")
    top = r.text("ServerId")
    r = create(ph, "Sub", parent=top)
    ph.folder_key = r.text("SyncKey")
    r = update(ph, top, "Top", parent=r.text("ServerId"))   # below its own child
    assert r.text("Status") == "5"
    assert ph.foldersync().text("Status") == "1"


def test_foldersync_retry_gets_same_answer(env):
    ph = Phone(env)
    other = Phone(env)
    ph.foldersync()
    other.foldersync()
    k = other.folder_key
    create(ph, "Retry me")
    r1 = other.foldersync(key=k)
    r2 = other.foldersync(key=k)                  # response 1 "lost": same key again
    assert r1.text("SyncKey") == r2.text("SyncKey")
    assert [a.text("DisplayName") for a in r2.doc.findall("Changes/Add")] == ["Retry me"]
    r3 = other.foldersync(key=r2.text("SyncKey"))
    assert r3.text("Changes/Count") == "0"


def test_foldersync_zero_resets(env):
    ph = Phone(env)
    ph.foldersync()
    before = set(ph.folders)
    r = ph.foldersync(key="0")
    assert {a.text("ServerId") for a in r.doc.findall("Changes/Add")} == before
    assert r.text("Changes/Count") == str(len(before)) and r.text("SyncKey") == "1"


def test_folders_of_other_users_are_invisible(env):
    env.add_user("eve@example.org", "eve-pw")
    ph = Phone(env)
    ph.foldersync()
    r = create(ph, "Private")
    pid = r.text("ServerId")
    eve = Phone(env, user="eve@example.org", password="eve-pw")
    eve.foldersync()
    assert pid not in eve.folders
    assert delete(eve, pid).text("Status") == "4"
    assert update(eve, pid, "Mine now").text("Status") == "4"
    assert create(eve, "Sub", parent=pid).text("Status") == "5"
