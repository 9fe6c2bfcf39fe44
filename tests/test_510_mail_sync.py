"""Email Sync end to end: delivery with the real agent, windows and MoreAvailable, replayed keys,
body preferences, flags in both directions, deletes, moves, fetch of items, attachments and MIME,
GetItemEstimate. Every response goes through our codec, libwbxml and the XSDs."""
import base64
import hashlib
import os

import pytest

from pyeas.mail import XML, Phone, commands_of, days_ago, deliver, message

PLAIN5K = '<airsyncbase:BodyPreference><airsyncbase:Type>1</airsyncbase:Type>' \
          '<airsyncbase:TruncationSize>5120</airsyncbase:TruncationSize>' \
          '</airsyncbase:BodyPreference>'


def new_user(env, name):
    env.add_user(name, "pw-" + name)
    return dict(user=name, password="pw-" + name)


def phone_for(env, name, version="14.1"):
    kw = new_user(env, name)
    ph = Phone(env, version, **kw)
    ph.foldersync()
    return ph


def test_delivered_mail_shows_up_in_next_sync(env):
    ph = phone_for(env, "deliv@example.org")
    inbox = ph.folder("Inbox")
    r = ph.sync(inbox)                       # key 0: no items yet
    assert r.text("Collections/Collection/Status") == "1"
    assert not commands_of(r, "Add")
    deliver(env, "deliv@example.org", message(subject="Grüße aus Köln", body="Hallo Welt\n",
                                              sender='"Müller, Jörg" <joerg@example.de>'))
    r = ph.sync(inbox, options=PLAIN5K)
    adds = commands_of(r, "Add")
    assert len(adds) == 1
    a = adds[0]
    assert a.text("ApplicationData/Subject") == "Grüße aus Köln"
    assert "joerg@example.de" in a.text("ApplicationData/From")
    assert a.text("ApplicationData/Read") == "0"
    assert a.text("ApplicationData/Body/Type") == "1"
    assert a.text("ApplicationData/Body/Data").strip() == "Hallo Welt"
    assert a.text("ApplicationData/MessageClass") == "IPM.Note"
    assert a.find("ApplicationData/ConversationId") is not None
    # and nothing more on the next round
    r = ph.sync(inbox)
    assert not commands_of(r, "Add")


def test_windows_of_5_over_37_deliver_each_exactly_once(env):
    ph = phone_for(env, "window@example.org")
    inbox = ph.folder("Inbox")
    for i in range(37):
        deliver(env, "window@example.org", message(subject=f"msg {i:02d}", date=days_ago(i)))
    ph.sync(inbox)
    seen, rounds = [], 0
    while True:
        r = ph.sync(inbox, window=5)
        rounds += 1
        adds = commands_of(r, "Add")
        assert len(adds) <= 5
        seen += [a.text("ApplicationData/Subject") for a in adds]
        if r.doc.find("Collections/Collection/MoreAvailable") is None:
            break
    assert sorted(seen) == [f"msg {i:02d}" for i in range(37)]
    assert len(set(seen)) == 37
    assert seen[0] == "msg 36"                # newest (last delivered) first
    assert rounds in (8, 9)


def test_replayed_sync_key_answers_the_same(env):
    ph = phone_for(env, "replay@example.org")
    inbox = ph.folder("Inbox")
    for i in range(7):
        deliver(env, "replay@example.org", message(subject=f"r{i}"))
    ph.sync(inbox)
    k = ph.keys[inbox]
    r1 = ph.sync(inbox, key=k, window=3, update=False)
    r2 = ph.sync(inbox, key=k, window=3, update=False)     # the first answer was "lost"
    assert r1.resp.body == r2.resp.body                    # byte for byte
    k2 = r2.text("Collections/Collection/SyncKey")
    # the device got r2: continue from its key; nothing is duplicated, nothing dropped
    got = [a.text("ServerId") for a in commands_of(r2, "Add")]
    r3 = ph.sync(inbox, key=k2, window=3, update=False)
    got += [a.text("ServerId") for a in commands_of(r3, "Add")]
    r3b = ph.sync(inbox, key=k2, window=3, update=False)   # retry of the 2nd window too
    assert r3b.resp.body == r3.resp.body, (r3.doc.xml[:700], r3b.doc.xml[:700])
    r4 = ph.sync(inbox, key=r3.text("Collections/Collection/SyncKey"), window=3, update=False)
    got += [a.text("ServerId") for a in commands_of(r4, "Add")]
    assert len(got) == 7 and len(set(got)) == 7
    # an old key (two steps back) is refused with Status 3
    r = ph.sync(inbox, key=k, update=False)
    assert r.text("Collections/Collection/Status") == "3"


def test_flags_round_trip_both_directions(env):
    ph = phone_for(env, "flags@example.org")
    other = Phone(env, "16.1", user="flags@example.org", password="pw-flags@example.org")
    other.foldersync()
    inbox = ph.folder("Inbox")
    deliver(env, "flags@example.org", message(subject="flag me"))
    sid = list(ph.sync_all(inbox))[0]
    other.sync_all(inbox)
    # device -> server: read + flag + categories
    change = (f"<Change><ServerId>{sid}</ServerId><ApplicationData><email:Read>1</email:Read>"
              "<email:Flag><email:Status>2</email:Status><email:FlagType>for Follow Up"
              "</email:FlagType></email:Flag><email:Categories><email:Category>Blue"
              "</email:Category></email:Categories></ApplicationData></Change>")
    r = ph.sync(inbox, commands=change)
    assert r.text("Collections/Collection/Status") == "1"
    assert r.doc.find("Collections/Collection/Responses") is None   # success is silent
    assert not commands_of(r, "Change")                               # no echo of its own change
    row = env.psql(f"SELECT seen, flag_status, categories FROM items WHERE folder_id = {inbox} "
                   f"AND uid = {sid.split(':')[1]}")
    assert row == "t|2|{Blue}"
    # the other device gets the change
    r = other.sync(inbox)
    ch = commands_of(r, "Change")
    assert len(ch) == 1 and ch[0].text("ServerId") == sid
    assert ch[0].text("ApplicationData/Read") == "1"
    assert ch[0].text("ApplicationData/Flag/Status") == "2"
    assert ch[0].text("ApplicationData/Categories/Category") == "Blue"
    # server -> device: the other device marks unread and clears the flag
    change = (f"<Change><ServerId>{sid}</ServerId><ApplicationData><email:Read>0</email:Read>"
              "<email:Flag/></ApplicationData></Change>")
    other.sync(inbox, commands=change)
    r = ph.sync(inbox)
    ch = commands_of(r, "Change")
    assert len(ch) == 1 and ch[0].text("ApplicationData/Read") == "0"
    assert ch[0].find("ApplicationData/Flag") is not None
    assert ch[0].find("ApplicationData/Flag/Status") is None


def test_conflict_server_wins(env):
    ph = phone_for(env, "conflict@example.org")
    other = Phone(env, user="conflict@example.org", password="pw-conflict@example.org")
    other.foldersync()
    inbox = ph.folder("Inbox")
    deliver(env, "conflict@example.org", message(subject="conflict"))
    sid = list(ph.sync_all(inbox))[0]
    other.sync_all(inbox)
    other.sync(inbox, commands=f"<Change><ServerId>{sid}</ServerId><ApplicationData>"
               "<email:Read>1</email:Read></ApplicationData></Change>")
    # ph has not seen that change yet and changes the same item: server wins, Status 7
    r = ph.sync(inbox, commands=f"<Change><ServerId>{sid}</ServerId><ApplicationData>"
                "<email:Flag><email:Status>2</email:Status></email:Flag></ApplicationData>"
                "</Change>")
    assert r.text("Collections/Collection/Responses/Change/Status") == "7"
    ch = commands_of(r, "Change")
    assert ch and ch[0].text("ApplicationData/Read") == "1"
    assert env.psql(f"SELECT flag_status FROM items WHERE folder_id = {inbox} AND "
                    f"uid = {sid.split(':')[1]}") == "0"


def test_delete_moves_to_deleted_items_and_unknown_ids(env):
    ph = phone_for(env, "del@example.org")
    inbox, trash = ph.folder("Inbox"), ph.folder("Deleted Items")
    for i in range(3):
        deliver(env, "del@example.org", message(subject=f"d{i}"))
    by_subject = {a.text("ApplicationData/Subject"): s for s, a in ph.sync_all(inbox).items()}
    sids = [by_subject[f"d{i}"] for i in range(3)]
    ph.sync_all(trash)
    r = ph.sync(inbox, commands=f"<Delete><ServerId>{sids[0]}</ServerId></Delete>"
                f"<Change><ServerId>{inbox}:999999</ServerId><ApplicationData>"
                "<email:Read>1</email:Read></ApplicationData></Change>")
    assert r.text("Collections/Collection/Responses/Change/Status") == "8"
    assert not commands_of(r, "Delete")          # its own delete is not echoed
    r = ph.sync(trash)
    adds = commands_of(r, "Add")
    assert len(adds) == 1 and adds[0].text("ApplicationData/Subject") == "d0"
    # DeletesAsMoves 0: gone for good
    xml = ph.sync_xml(inbox, ph.keys[inbox], commands=f"<Delete><ServerId>{sids[1]}</ServerId>"
                      "</Delete>").replace("<GetChanges>", "<DeletesAsMoves>0</DeletesAsMoves>"
                                           "<GetChanges>")
    r = ph.cmd("Sync", xml)
    assert r.text("Collections/Collection/Status") == "1"
    ph.keys[inbox] = r.text("Collections/Collection/SyncKey")
    assert env.psql(f"SELECT count(*) FROM items WHERE folder_id = {trash} AND NOT expunged") == "1"
    # a second device sees both deletions
    other = Phone(env, user="del@example.org", password="pw-del@example.org")
    other.foldersync()
    assert len(other.sync_all(inbox)) == 1


def test_moveitems_reports_new_id_and_no_duplicates(env):
    ph = phone_for(env, "move@example.org")
    inbox = ph.folder("Inbox")
    r = ph.cmd("FolderCreate", f'{XML}<FolderCreate xmlns="FolderHierarchy:"><SyncKey>'
               f'{ph.folder_key}</SyncKey><ParentId>0</ParentId><DisplayName>Archive'
               '</DisplayName><Type>12</Type></FolderCreate>')
    archive = r.text("ServerId")
    ph.folder_key = r.text("SyncKey")
    deliver(env, "move@example.org", message(subject="move me"))
    deliver(env, "move@example.org", message(subject="stay"))
    sids = ph.sync_all(inbox)
    ph.sync_all(archive)
    src = [s for s, a in sids.items() if a.text("ApplicationData/Subject") == "move me"][0]
    mv = (f'{XML}<MoveItems xmlns="Move:"><Move><SrcMsgId>{src}</SrcMsgId><SrcFldId>{inbox}'
          f'</SrcFldId><DstFldId>{archive}</DstFldId></Move><Move><SrcMsgId>{inbox}:99999'
          f'</SrcMsgId><SrcFldId>{inbox}</SrcFldId><DstFldId>{archive}</DstFldId></Move>'
          f'<Move><SrcMsgId>{src}</SrcMsgId><SrcFldId>{inbox}</SrcFldId><DstFldId>{inbox}'
          f'</DstFldId></Move><Move><SrcMsgId>{src}</SrcMsgId><SrcFldId>{inbox}</SrcFldId>'
          f'<DstFldId>4242</DstFldId></Move></MoveItems>')
    r = ph.cmd("MoveItems", mv)
    resp = r.doc.findall("Response")
    # the item has moved by the third request: same-folder and bad destination still say so
    assert [x.text("Status") for x in resp] == ["3", "1", "4", "2"]
    dst = resp[0].text("DstMsgId")
    assert dst.startswith(archive + ":")
    # neither folder re-announces the item on the moving device
    assert not commands_of(ph.sync(inbox), "Delete")
    assert not commands_of(ph.sync(archive), "Add")
    # another device sees delete + add with the new id
    other = Phone(env, user="move@example.org", password="pw-move@example.org")
    other.foldersync()
    got = other.sync_all(archive)
    assert list(got) == [dst]
    # statuses for same folder / bad destination once the item is in archive
    r = ph.cmd("MoveItems", f'{XML}<MoveItems xmlns="Move:"><Move><SrcMsgId>{dst}</SrcMsgId>'
               f'<SrcFldId>{archive}</SrcFldId><DstFldId>{archive}</DstFldId></Move>'
               f'<Move><SrcMsgId>{dst}</SrcMsgId><SrcFldId>{archive}</SrcFldId>'
               f'<DstFldId>4242</DstFldId></Move></MoveItems>')
    assert [x.text("Status") for x in r.doc.findall("Response")] == ["4", "2"]


def test_body_preferences_html_mime_truncation_preview(env):
    ph = phone_for(env, "body@example.org", "16.1")
    inbox = ph.folder("Inbox")
    text = "Zeile " * 2000
    raw = message(subject="html", body=text, html="<p>Hello <b>HTML</b> &amp; more</p>")
    deliver(env, "body@example.org", raw)
    ph.sync(inbox)
    html_pref = ('<airsyncbase:BodyPreference><airsyncbase:Type>2</airsyncbase:Type>'
                 '<airsyncbase:TruncationSize>20000</airsyncbase:TruncationSize>'
                 '<airsyncbase:Preview>40</airsyncbase:Preview></airsyncbase:BodyPreference>')
    r = ph.sync(inbox, options=html_pref, key=ph.keys[inbox], update=False)
    a = commands_of(r, "Add")[0]
    assert a.text("ApplicationData/Body/Type") == "2"
    assert "<b>HTML</b>" in a.text("ApplicationData/Body/Data")
    assert a.text("ApplicationData/NativeBodyType") == "2"
    assert a.text("ApplicationData/Body/Preview").startswith("Zeile Zeile")
    assert len(a.text("ApplicationData/Body/Preview")) <= 40
    # plain truncated at 100 bytes
    plain = ('<airsyncbase:BodyPreference><airsyncbase:Type>1</airsyncbase:Type>'
             '<airsyncbase:TruncationSize>100</airsyncbase:TruncationSize>'
             '</airsyncbase:BodyPreference>')
    r = ph.sync(inbox, options=plain, key=ph.keys[inbox], update=False)
    b = commands_of(r, "Add")[0].find("ApplicationData/Body")
    assert b.text("Truncated") == "1"
    assert len(b.text("Data").encode()) <= 100
    assert int(b.text("EstimatedDataSize")) >= len(text)
    # AllOrNone: too big -> no data at all
    aon = plain.replace("</airsyncbase:TruncationSize>", "</airsyncbase:TruncationSize>"
                        "<airsyncbase:AllOrNone>1</airsyncbase:AllOrNone>")
    r = ph.sync(inbox, options=aon, key=ph.keys[inbox], update=False)
    b = commands_of(r, "Add")[0].find("ApplicationData/Body")
    assert b.text("Truncated") == "1" and b.find("Data") is None
    # MIME with MIMESupport 2: the stored bytes, byte-exact
    mime = ('<MIMESupport>2</MIMESupport><airsyncbase:BodyPreference><airsyncbase:Type>4'
            '</airsyncbase:Type></airsyncbase:BodyPreference>')
    r = ph.sync(inbox, options=mime, key=ph.keys[inbox], update=False)
    b = commands_of(r, "Add")[0].find("ApplicationData/Body")
    assert b.text("Type") == "4"
    assert b.text("Data").encode() == raw.replace(b"\r\n", b"\n")
    assert int(b.text("EstimatedDataSize")) == len(raw)


def test_attachments_listed_and_fetched_byte_exact(env):
    ph = phone_for(env, "att@example.org")
    inbox = ph.folder("Inbox")
    pdf = os.urandom(70000)
    png = os.urandom(3000)
    deliver(env, "att@example.org", message(subject="with files", attachments=[
        ("report.pdf", "application/pdf", pdf), ("Bild ä.png", "image/png", png)]))
    adds = ph.sync_all(inbox)
    a = list(adds.values())[0]
    atts = a.findall("ApplicationData/Attachments/Attachment")
    assert [x.text("DisplayName") for x in atts] == ["report.pdf", "Bild ä.png"]
    assert [int(x.text("EstimatedDataSize")) for x in atts] == [len(pdf), len(png)]
    refs = [x.text("FileReference") for x in atts]
    r = ph.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
               'xmlns:airsyncbase="AirSyncBase:"><Fetch><Store>Mailbox</Store>'
               f'<airsyncbase:FileReference>{refs[0]}</airsyncbase:FileReference></Fetch>'
               '<Fetch><Store>Mailbox</Store><airsyncbase:FileReference>'
               f'{refs[1]}</airsyncbase:FileReference></Fetch><Fetch><Store>Mailbox</Store>'
               '<airsyncbase:FileReference>1:2:3</airsyncbase:FileReference></Fetch>'
               '</ItemOperations>')
    assert r.status == 200 and r.doc is not None, (r.status, r.resp.body[:300])
    assert r.text("Status") == "1"
    fetches = r.doc.findall("Response/Fetch")
    assert [f.text("Status") for f in fetches] == ["1", "1", "15"]
    assert base64.b64decode(fetches[0].text("Properties/Data")) == pdf
    assert fetches[0].text("Properties/ContentType") == "application/pdf"
    assert base64.b64decode(fetches[1].text("Properties/Data")) == png
    # a range
    r = ph.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
               'xmlns:airsyncbase="AirSyncBase:"><Fetch><Store>Mailbox</Store>'
               f'<airsyncbase:FileReference>{refs[0]}</airsyncbase:FileReference><Options>'
               '<Range>10-19</Range></Options></Fetch></ItemOperations>')
    f = r.doc.find("Response/Fetch")
    assert f.text("Properties/Range") == "10-19"
    assert f.text("Properties/Total") == str(len(pdf))
    assert base64.b64decode(f.text("Properties/Data")) == pdf[10:20]
    # 12.1 GetAttachment: raw bytes
    ph12 = Phone(env, "12.1", user="att@example.org", password="pw-att@example.org")
    r = env.eas("GetAttachment", device_id=ph12.dev, version="12.1",
                user="att@example.org", password="pw-att@example.org",
                headers={"X-MS-PolicyKey": ph12.key},
                query=f"Cmd=GetAttachment&AttachmentName={refs[0]}&User=att@example.org"
                      f"&DeviceId={ph12.dev}&DeviceType=TestPhone")
    assert r.status == 200
    assert r.header("Content-Type") == "application/pdf"
    assert r.body == pdf
    r = env.eas("GetAttachment", device_id=ph12.dev, version="12.1",
                user="att@example.org", password="pw-att@example.org",
                headers={"X-MS-PolicyKey": ph12.key},
                query=f"Cmd=GetAttachment&AttachmentName={inbox}:999:1&User=att@example.org"
                      f"&DeviceId={ph12.dev}&DeviceType=TestPhone")
    assert r.status == 500


def test_itemoperations_fetch_item_and_empty_folder(env):
    ph = phone_for(env, "itemops@example.org")
    inbox, trash = ph.folder("Inbox"), ph.folder("Deleted Items")
    raw = message(subject="fetch me", body="full body " * 1000)
    deliver(env, "itemops@example.org", raw)
    sid = list(ph.sync_all(inbox, options=PLAIN5K.replace("5120", "10")))[0]
    r = ph.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
               'xmlns:airsync="AirSync:" xmlns:airsyncbase="AirSyncBase:"><Fetch><Store>Mailbox'
               f'</Store><airsync:CollectionId>{inbox}</airsync:CollectionId><airsync:ServerId>'
               f'{sid}</airsync:ServerId><Options><airsync:MIMESupport>2</airsync:MIMESupport>'
               '<airsyncbase:BodyPreference><airsyncbase:Type>4</airsyncbase:Type>'
               '</airsyncbase:BodyPreference></Options></Fetch></ItemOperations>')
    f = r.doc.find("Response/Fetch")
    assert f.text("Status") == "1"
    assert f.text("Properties/Subject") == "fetch me"
    assert f.text("Properties/Body/Data").encode() == raw.replace(b"\r\n", b"\n")
    # EmptyFolderContents of Deleted Items
    deliver(env, "itemops@example.org", message(subject="junk"), folder="deleted")
    ph.sync_all(trash)
    r = ph.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
               f'xmlns:airsync="AirSync:"><EmptyFolderContents><airsync:CollectionId>{trash}'
               '</airsync:CollectionId><Options><DeleteSubFolders/></Options>'
               '</EmptyFolderContents></ItemOperations>')
    assert r.text("Response/EmptyFolderContents/Status") == "1"
    r = ph.sync(trash)
    assert len(commands_of(r, "Delete")) == 1


def test_get_item_estimate(env):
    ph = phone_for(env, "gie@example.org")
    inbox = ph.folder("Inbox")
    for i in range(4):
        deliver(env, "gie@example.org", message(subject=f"e{i}"))
        env.psql(f"UPDATE items SET received = now() - interval '{i * 10} days' "
                 f"WHERE folder_id = {inbox} AND subject = 'e{i}'")

    def estimate(key, filt=None):
        opts = f"<airsync:Options><airsync:FilterType>{filt}</airsync:FilterType>" \
               "</airsync:Options>" if filt is not None else ""
        return ph.cmd("GetItemEstimate", f'{XML}<GetItemEstimate xmlns="GetItemEstimate:" '
                      'xmlns:airsync="AirSync:"><Collections><Collection><airsync:SyncKey>'
                      f'{key}</airsync:SyncKey><CollectionId>{inbox}</CollectionId>{opts}'
                      '</Collection></Collections></GetItemEstimate>')
    assert estimate("0").text("Response/Status") == "3"
    ph.sync(inbox)
    r = estimate(ph.keys[inbox])
    assert r.text("Response/Status") == "1"
    assert r.text("Response/Collection/Estimate") == "4"
    assert estimate(ph.keys[inbox], 4).text("Response/Collection/Estimate") == "2"  # 2 weeks
    assert estimate("bogus-9").text("Response/Status") == "4"
    ph.sync_all(inbox)
    assert estimate(ph.keys[inbox]).text("Response/Collection/Estimate") == "0"


def test_filter_type_limits_adds_and_soft_deletes(env):
    ph = phone_for(env, "filter@example.org")
    inbox = ph.folder("Inbox")
    deliver(env, "filter@example.org", message(subject="new", date=days_ago(1)))
    deliver(env, "filter@example.org", message(subject="old", date=days_ago(20)))
    # deliveries are dated now; backdate one as an import would
    env.psql(f"UPDATE items SET received = now() - interval '20 days' WHERE folder_id = {inbox} "
             "AND subject = 'old'")
    got = ph.sync_all(inbox, options="<FilterType>3</FilterType>")
    assert [a.text("ApplicationData/Subject") for a in got.values()] == ["new"]


def test_sync_errors(env):
    ph = phone_for(env, "syncerr@example.org")
    inbox = ph.folder("Inbox")
    r = ph.sync("987654", key="0", update=False)
    assert r.text("Collections/Collection/Status") == "12"
    r = ph.sync(inbox, key="nonsense", update=False)
    assert r.text("Collections/Collection/Status") == "3"
    assert r.text("Collections/Collection/SyncKey") == "0"
    r = ph.cmd("Sync", f'{XML}<Ping xmlns="Ping:"/>', check_schema=False)
    assert r.text("Status") == "4"


def test_empty_and_partial_sync_use_the_cached_request(env):
    env.add_user("empty@example.org", "pw-empty")
    ph = Phone(env, user="empty@example.org", password="pw-empty")
    ph.foldersync()
    inbox = ph.folder("Inbox")
    r = ph.cmd("Sync", None)                      # nothing cached yet
    assert r.text("Status") == "13"
    ph.sync(inbox)
    ph.sync(inbox)
    deliver(env, "empty@example.org", message(subject="via empty sync"))
    r = ph.cmd("Sync", None)
    adds = commands_of(r, "Add")
    assert [a.text("ApplicationData/Subject") for a in adds] == ["via empty sync"]


def test_malformed_and_non_utf8_mail_is_stored(env):
    ph = phone_for(env, "broken@example.org")
    inbox = ph.folder("Inbox")
    latin1 = (b"From: =?ISO-8859-1?Q?J=F6rg?= <j@example.org>\r\nTo: x@example.org\r\n"
              b"Subject: =?ISO-8859-1?Q?Gr=FC=DFe?=\r\nContent-Type: text/plain; charset=latin1"
              b"\r\n\r\nSch\xf6ne Gr\xfc\xdfe\r\n")
    broken = (b"Subject: broken\r\nContent-Type: multipart/mixed; boundary=XX\r\n\r\n--XX\r\n"
              b"Content-Type: text/plain\r\n\r\nhalf a message\xff\xfe\r\n--XX\r\n"
              b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64"
              b"\r\n\r\n!!!not base64")
    deliver(env, "broken@example.org", latin1)
    deliver(env, "broken@example.org", broken)
    got = {a.text("ApplicationData/Subject"): a for a in ph.sync_all(inbox, options=PLAIN5K)
           .values()}
    assert set(got) == {"Grüße", "broken"}
    assert got["Grüße"].text("ApplicationData/Body/Data").strip() == "Schöne Grüße"
    assert "half a message" in got["broken"].text("ApplicationData/Body/Data")


def test_delivery_agent_exit_codes_and_dedup(env):
    raw = message(subject="only once")
    r = deliver(env, "nobody-here@example.org", raw, check=False)
    assert r.returncode == 67                     # EX_NOUSER: the MTA bounces
    r = deliver(env, "dedup@example.org", raw, extra=["--create-user"])
    r = deliver(env, "dedup@example.org", raw)    # the MTA retried: stored once
    assert env.psql("SELECT count(*) FROM items i JOIN users u ON u.id = i.user_id "
                    "WHERE u.name = 'dedup@example.org'") == "1"
    r = deliver(env, "dedup@example.org", raw, folder="No/Such", check=False)
    assert r.returncode == 73
    argv = [os.path.join(env.top, "build", "bin", "eas-deliver"), "--db",
            "host=127.0.0.1 port=1 dbname=x connect_timeout=2", "--user", "dedup@example.org"]
    import subprocess
    r = subprocess.run(argv, input=raw, capture_output=True)
    assert r.returncode == 75                     # EX_TEMPFAIL: the MTA retries later
    # the same bytes stored once in the blob table even for two users
    deliver(env, "dedup2@example.org", raw, extra=["--create-user"])
    h = hashlib.sha256(raw).hexdigest()
    assert env.psql(f"SELECT count(*) FROM blobs WHERE hash = decode('{h}', 'hex')") == "1"


def test_easctl_mail_import_mbox(env, tmp_path):
    msgs = [message(subject=f"imported {i}", date=days_ago(i),
                    body=f"From the archive {i}\n") for i in range(5)]
    mbox = b""
    for m in msgs:
        body = m.replace(b"\r\n", b"\n").replace(b"\nFrom the", b"\n>From the")
        mbox += b"From sender@example.org Mon Jan  1 00:00:00 2024\n" + body + b"\n"
    p = tmp_path / "archive.mbox"
    p.write_bytes(mbox)
    os.chmod(tmp_path, 0o755)
    os.chmod(p, 0o644)
    r = env.easctl("mail", "import", "--user", "importer@example.org", "--create-user",
                   "--folder", "inbox", str(p))
    assert r.returncode == 0, r.stderr
    assert "imported 5 message(s)" in r.stdout
    r = env.easctl("mail", "import", "--user", "importer@example.org", str(p))
    assert "already present" in r.stdout
    env.add_user("importer@example.org", "pw-importer@example.org")
    ph = Phone(env, user="importer@example.org", password="pw-importer@example.org")
    ph.foldersync()
    got = ph.sync_all(ph.folder("Inbox"), options=PLAIN5K)
    assert sorted(a.text("ApplicationData/Subject") for a in got.values()) == \
        [f"imported {i}" for i in range(5)]
    bodies = [a.text("ApplicationData/Body/Data") for a in got.values()]
    assert all(b.startswith("From the archive") for b in bodies)


@pytest.mark.parametrize("version", ["12.1", "14.0", "16.0"])
def test_sync_versions(env, version):
    ph = phone_for(env, f"ver{version}@example.org", version)
    inbox = ph.folder("Inbox")
    deliver(env, f"ver{version}@example.org", message(subject="v", attachments=[
        ("a.txt", "text/plain", b"attached text")]))
    got = ph.sync_all(inbox, options=PLAIN5K)
    assert len(got) == 1
    a = list(got.values())[0]
    assert a.text("ApplicationData/Attachments/Attachment/DisplayName") == "a.txt"
    if version == "12.1":
        assert a.find("ApplicationData/ConversationId") is None


def test_options_persist_between_requests(env):
    ph = phone_for(env, "persist@example.org")
    inbox = ph.folder("Inbox")
    deliver(env, "persist@example.org", message(subject="long", body="x" * 9000))
    plain = ('<airsyncbase:BodyPreference><airsyncbase:Type>1</airsyncbase:Type>'
             '<airsyncbase:TruncationSize>64</airsyncbase:TruncationSize>'
             '</airsyncbase:BodyPreference>')
    ph.sync(inbox, options=plain)                 # key 0 carries the Options ...
    r = ph.sync(inbox)                            # ... later requests do not
    b = commands_of(r, "Add")[0].find("ApplicationData/Body")
    assert b.text("Truncated") == "1" and len(b.text("Data")) == 64


def test_drafts_add_16_is_idempotent(env):
    ph = phone_for(env, "drafts@example.org", "16.1")
    drafts = ph.folder("Drafts")
    ph.sync(drafts)
    add = ('<Add><ClientId>c-1</ClientId><ApplicationData><email:To>bob@example.org</email:To>'
           '<email:Subject>Entwurf ü</email:Subject><airsyncbase:Body><airsyncbase:Type>1'
           '</airsyncbase:Type><airsyncbase:Data>draft text</airsyncbase:Data>'
           '</airsyncbase:Body></ApplicationData></Add>')
    k = ph.keys[drafts]
    r1 = ph.sync(drafts, key=k, commands=add, update=False)
    assert r1.text("Collections/Collection/Responses/Add/Status") == "1"
    sid = r1.text("Collections/Collection/Responses/Add/ServerId")
    r2 = ph.sync(drafts, key=k, commands=add, update=False)      # retried: same item
    assert r2.text("Collections/Collection/Responses/Add/ServerId") == sid
    assert env.psql(f"SELECT count(*) FROM items WHERE folder_id = {drafts} AND NOT expunged") \
        == "1"
    assert not commands_of(r2, "Add")                          # not echoed to its creator
    other = Phone(env, "16.1", user="drafts@example.org", password="pw-drafts@example.org")
    other.foldersync()
    got = other.sync_all(drafts, options=PLAIN5K)
    a = got[sid]
    assert a.text("ApplicationData/Subject") == "Entwurf ü"
    assert a.text("ApplicationData/To") == "bob@example.org"
    assert a.text("ApplicationData/Body/Data").strip() == "draft text"
    # 14.1 cannot add mail items: Status 6
    old = Phone(env, "14.1", user="drafts@example.org", password="pw-drafts@example.org")
    old.foldersync()
    old.sync(drafts)
    r = old.sync(drafts, commands=add.replace("c-1", "c-2"))
    assert r.text("Collections/Collection/Responses/Add/Status") == "6"


def test_itemoperations_multipart(env):
    import struct
    from pyeas import wbxml
    ph = phone_for(env, "multipart@example.org")
    inbox = ph.folder("Inbox")
    blob = os.urandom(50000)
    deliver(env, "multipart@example.org", message(subject="mp", attachments=[
        ("data.bin", "application/octet-stream", blob)]))
    a = list(ph.sync_all(inbox).values())[0]
    ref = a.text("ApplicationData/Attachments/Attachment/FileReference")
    xml = (f'{XML}<ItemOperations xmlns="ItemOperations:" xmlns:airsyncbase="AirSyncBase:">'
           f'<Fetch><Store>Mailbox</Store><airsyncbase:FileReference>{ref}'
           '</airsyncbase:FileReference></Fetch></ItemOperations>')
    r = env.eas("ItemOperations", device_id=ph.dev, body=wbxml.encode(xml),
                headers={"X-MS-PolicyKey": ph.key, "MS-ASAcceptMultiPart": "T"},
                user="multipart@example.org", password="pw-multipart@example.org")
    assert r.status == 200
    assert r.header("Content-Type") == "application/vnd.ms-sync.multipart"
    n = struct.unpack_from("<i", r.body, 0)[0]
    assert n == 2
    parts = [struct.unpack_from("<ii", r.body, 4 + 8 * i) for i in range(n)]
    assert parts[0][0] == 4 + 8 * n
    assert parts[1][0] == parts[0][0] + parts[0][1]
    assert parts[1][0] + parts[1][1] == len(r.body)
    doc_bytes = r.body[parts[0][0]:parts[0][0] + parts[0][1]]
    text = wbxml.decode(doc_bytes)
    wbxml.oracle_check(doc_bytes, text)
    wbxml.validate(text)
    doc = wbxml.Doc(text)
    assert doc.text("Response/Fetch/Status") == "1"
    assert doc.text("Response/Fetch/Properties/Part") == "1"
    assert doc.find("Response/Fetch/Properties/Data") is None
    assert r.body[parts[1][0]:] == blob


def test_items_of_other_users_are_unreachable(env):
    owner = phone_for(env, "owner@example.org")
    inbox = owner.folder("Inbox")
    deliver(env, "owner@example.org", message(subject="secret", attachments=[
        ("s.txt", "text/plain", b"secret bytes")]))
    a = list(owner.sync_all(inbox).values())[0]
    ref = a.text("ApplicationData/Attachments/Attachment/FileReference")
    sid = ref.rsplit(":", 1)[0]
    mallory = phone_for(env, "mallory@example.org")
    mbox = mallory.folder("Inbox")
    # attachment by someone else's FileReference
    r = mallory.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
                    'xmlns:airsyncbase="AirSyncBase:"><Fetch><Store>Mailbox</Store>'
                    f'<airsyncbase:FileReference>{ref}</airsyncbase:FileReference></Fetch>'
                    '</ItemOperations>')
    assert r.text("Response/Fetch/Status") == "15"
    # item fetch by someone else's ServerId and CollectionId
    r = mallory.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
                    'xmlns:airsync="AirSync:"><Fetch><Store>Mailbox</Store><airsync:CollectionId>'
                    f'{inbox}</airsync:CollectionId><airsync:ServerId>{sid}</airsync:ServerId>'
                    '</Fetch></ItemOperations>')
    assert r.text("Response/Fetch/Status") == "6"
    assert r.doc.find("Response/Fetch/Properties") is None
    # Sync of the other user's folder, and moving the item into one's own inbox
    assert mallory.sync(inbox, key="0", update=False).text(
        "Collections/Collection/Status") == "12"
    r = mallory.cmd("MoveItems", f'{XML}<MoveItems xmlns="Move:"><Move><SrcMsgId>{sid}'
                    f'</SrcMsgId><SrcFldId>{inbox}</SrcFldId><DstFldId>{mbox}</DstFldId></Move>'
                    '</MoveItems>')
    assert r.text("Response/Status") == "1"
    assert env.psql(f"SELECT count(*) FROM items WHERE folder_id = {inbox} AND NOT expunged") \
        == "1"


def test_retry_repeats_changes_and_deletes(env):
    ph = phone_for(env, "retry2@example.org")
    other = Phone(env, user="retry2@example.org", password="pw-retry2@example.org")
    other.foldersync()
    inbox = ph.folder("Inbox")
    for i in range(3):
        deliver(env, "retry2@example.org", message(subject=f"c{i}"))
    sids = list(ph.sync_all(inbox))
    other.sync_all(inbox)
    ph.sync(inbox)                                   # settles: view = all three, nothing pending
    other.sync(inbox, commands=f"<Change><ServerId>{sids[0]}</ServerId><ApplicationData>"
               "<email:Read>1</email:Read></ApplicationData></Change>"
               f"<Delete><ServerId>{sids[1]}</ServerId></Delete>")
    k = ph.keys[inbox]
    r1 = ph.sync(inbox, key=k, update=False)
    r2 = ph.sync(inbox, key=k, update=False)         # r1 lost
    for r in (r1, r2):
        assert [c.text("ServerId") for c in commands_of(r, "Change")] == [sids[0]]
        assert [c.text("ServerId") for c in commands_of(r, "Delete")] == [sids[1]]
    assert r1.resp.body == r2.resp.body
    r3 = ph.sync(inbox, key=r2.text("Collections/Collection/SyncKey"), update=False)
    assert not commands_of(r3, "Change") and not commands_of(r3, "Delete")


def test_widening_the_filter_brings_older_mail(env):
    ph = phone_for(env, "widen@example.org")
    inbox = ph.folder("Inbox")
    for name, age in (("recent", 1), ("older", 20)):
        deliver(env, "widen@example.org", message(subject=name))
        env.psql(f"UPDATE items SET received = now() - interval '{age} days' "
                 f"WHERE folder_id = {inbox} AND subject = '{name}'")
    got = ph.sync_all(inbox, options="<FilterType>3</FilterType>")
    assert [a.text("ApplicationData/Subject") for a in got.values()] == ["recent"]
    deliver(env, "widen@example.org", message(subject="newest"))
    r = ph.sync(inbox)                              # options persist: still one week
    assert [a.text("ApplicationData/Subject") for a in commands_of(r, "Add")] == ["newest"]
    r = ph.sync(inbox, options="<FilterType>5</FilterType>")   # one month
    assert [a.text("ApplicationData/Subject") for a in commands_of(r, "Add")] == ["older"]
    r = ph.sync(inbox, options="<FilterType>1</FilterType>")   # one day: the rest age out
    soft = [c.text("ServerId") for c in commands_of(r, "SoftDelete")]
    assert len(soft) == 2                           # "recent" (1 day) and "older"
    assert not commands_of(r, "Add") and not commands_of(r, "Delete")


def test_multiple_collections_in_one_sync(env):
    ph = phone_for(env, "multi@example.org")
    inbox, sent = ph.folder("Inbox"), ph.folder("Sent Items")
    deliver(env, "multi@example.org", message(subject="in"))
    deliver(env, "multi@example.org", message(subject="out"), folder="sent")
    ph.sync(inbox)
    ph.sync(sent)

    def both():
        colls = "".join(f"<Collection><SyncKey>{ph.keys[f]}</SyncKey><CollectionId>{f}"
                        "</CollectionId><GetChanges>1</GetChanges></Collection>"
                        for f in (inbox, sent))
        r = ph.cmd("Sync", f'{XML}<Sync xmlns="AirSync:"><Collections>{colls}</Collections>'
                   '</Sync>')
        out = {}
        for c in r.doc.findall("Collections/Collection"):
            fid = c.text("CollectionId")
            assert c.text("Status") == "1"
            ph.keys[fid] = c.text("SyncKey")
            out[fid] = [a.text("ApplicationData/Subject") for a in c.findall("Commands/Add")]
        return out
    assert both() == {inbox: ["in"], sent: ["out"]}
    assert both() == {inbox: [], sent: []}
