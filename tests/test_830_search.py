"""Search (MS-ASCMD 2.2.1.16) over the GAL and the mailbox, and Find (2.2.1.2, 16.1): prefix
matching, hidden users, shared contact folders (EASGALContacts), pictures, Range paging with
Total, FreeText/folder/date scoping, DeepTraversal, one user never seeing another's mail, and
LongId usable by ItemOperations. Every response goes through our codec, libwbxml and the XSDs."""
import base64
import os
import subprocess
import tempfile
import uuid

import pytest

from pyeas.env import wait_for
from pyeas.mail import XML, Phone, days_ago, message

SNS = 'xmlns="Search:" xmlns:airsync="AirSync:" xmlns:airsyncbase="AirSyncBase:" ' \
      'xmlns:email="Email:"'
FNS = 'xmlns="Find:" xmlns:airsync="AirSync:"'


def tag():
    return "q" + uuid.uuid4().hex[:7]


def ctl(env, *args):
    r = env.easctl(*args)
    assert r.returncode == 0, f"easctl {' '.join(args)}: {r.stdout}{r.stderr}"
    return r


def directory_user(env, name, *opts):
    ctl(env, "user", "set", name, "--create", *opts)


def phone(env, version="14.1"):
    name = tag()
    env.add_user(name, "pw-" + name)
    ph = Phone(env, version, user=name, password="pw-" + name, prefix="SRCH")
    ph.foldersync()
    ph.user = name
    return ph


def gal(ph, query, options=""):
    r = ph.cmd("Search", f"{XML}<Search {SNS}><Store><Name>GAL</Name><Query>{query}</Query>"
               f"<Options>{options}</Options></Store></Search>")
    assert r.status == 200, r.resp
    assert r.text("Status") == "1"
    return r


def results(r):
    return [x for x in r.doc.findall("Response/Store/Result") if x.find("Properties") is not None]


def names(r):
    return [x.text("Properties/DisplayName") for x in results(r)]


# --- GAL -------------------------------------------------------------------------------------

def test_gal_prefix_of_names_and_addresses_hidden_left_out(env):
    t = tag()
    directory_user(env, f"ann{t}", "--display-name", f"Ann Zz{t}", "--first-name", f"Ann{t}",
                   "--last-name", f"Zz{t}", "--email", f"ann.{t}@example.test", "--title", "Chief",
                   "--company", "Acme", "--office", "R2", "--phone", "+1 555 0100",
                   "--mobile-phone", "+1 555 0101", "--home-phone", "+1 555 0102",
                   "--alias", f"ann{t}")
    directory_user(env, f"bob{t}", "--display-name", f"Bob Zz{t}", "--first-name", f"Bob{t}",
                   "--last-name", f"Zz{t}", "--email", f"bob.{t}@example.test")
    directory_user(env, f"cid{t}", "--display-name", f"Cid Zz{t}", "--last-name", f"Zz{t}",
                   "--hidden")
    ph = phone(env)
    # last name (a later word of the display name), case-insensitive; sorted; hidden left out
    r = gal(ph, f"zZ{t.upper()}")
    assert names(r) == [f"Ann Zz{t}", f"Bob Zz{t}"]
    assert r.text("Response/Store/Status") == "1"
    assert r.text("Response/Store/Total") == "2"
    assert r.text("Response/Store/Range") == "0-1"
    a = results(r)[0]
    assert a.text("Properties/EmailAddress") == f"ann.{t}@example.test"
    assert a.text("Properties/FirstName") == f"Ann{t}"
    assert a.text("Properties/LastName") == f"Zz{t}"
    assert a.text("Properties/Title") == "Chief"
    assert a.text("Properties/Company") == "Acme"
    assert a.text("Properties/Office") == "R2"
    assert a.text("Properties/Phone") == "+1 555 0100"
    assert a.text("Properties/MobilePhone") == "+1 555 0101"
    assert a.text("Properties/HomePhone") == "+1 555 0102"
    assert a.text("Properties/Alias") == f"ann{t}"
    assert a.find("Properties/Picture") is None          # not asked for
    # first name, address prefix
    assert names(gal(ph, f"bob{t}")) == [f"Bob Zz{t}"]
    assert names(gal(ph, f"ann.{t}@exa")) == [f"Ann Zz{t}"]
    # a hidden user is not found even by its own name; no match is an empty Result
    r = gal(ph, f"cid{t}")
    assert names(r) == [] and r.text("Response/Store/Total") == "0"
    assert r.doc.find("Response/Store/Result") is not None
    # not a prefix: no match
    assert names(gal(ph, f"nn.{t}")) == []


def test_gal_range_paging_and_bad_range(env):
    t = tag()
    for i in range(5):
        directory_user(env, f"p{i}{t}", "--display-name", f"Pager{t} {i}")
    ph = phone(env)
    r = gal(ph, f"Pager{t}", "<Range>0-1</Range>")
    assert names(r) == [f"Pager{t} 0", f"Pager{t} 1"]
    assert r.text("Response/Store/Range") == "0-1" and r.text("Response/Store/Total") == "5"
    r = gal(ph, f"Pager{t}", "<Range>2-3</Range>")
    assert names(r) == [f"Pager{t} 2", f"Pager{t} 3"]
    r = gal(ph, f"Pager{t}", "<Range>4-9</Range>")
    assert names(r) == [f"Pager{t} 4"]
    assert r.text("Response/Store/Range") == "4-4" and r.text("Response/Store/Total") == "5"
    r = gal(ph, f"Pager{t}", "<Range>7-9</Range>")
    assert names(r) == [] and r.text("Response/Store/Total") == "5"
    r = gal(ph, f"Pager{t}", "<Range>3-1</Range>")
    assert r.text("Response/Store/Status") == "2"


def test_gal_bounded_by_search_max(env):
    t = tag()
    for i in range(4):
        directory_user(env, f"m{i}{t}", "--display-name", f"Many{t} {i}")
    ph = phone(env)
    try:
        env.set_conf("EASSearchMaxResults 3\n")
        r = gal(ph, f"Many{t}")
        assert len(names(r)) == 3 and r.text("Response/Store/Total") == "3"
    finally:
        env.set_conf("")


def test_gal_picture_14_1(env, tmp_path):
    t = tag()
    small = b"\xff\xd8\xff\xe0" + os.urandom(100) + b"\xff\xd9"
    big = b"\xff\xd8\xff\xe0" + os.urandom(5000) + b"\xff\xd9"
    for n, data in (("a", small), ("b", big), ("c", None), ("d", small)):
        opts = ["--display-name", f"Pic{t} {n}"]
        if data:
            f = tmp_path / f"{n}.jpg"
            f.write_bytes(data)
            opts += ["--picture", str(f)]
        directory_user(env, f"pic{n}{t}", *opts)
    ph = phone(env, "14.1")
    r = gal(ph, f"Pic{t}", "<Picture><MaxSize>1000</MaxSize></Picture>")
    got = {x.text("Properties/DisplayName"): x for x in results(r)}
    assert got[f"Pic{t} a"].text("Properties/Picture/Status") == "1"
    assert base64.b64decode(got[f"Pic{t} a"].text("Properties/Picture/Data")) == small
    assert got[f"Pic{t} b"].text("Properties/Picture/Status") == "174"
    assert got[f"Pic{t} b"].find("Properties/Picture/Data") is None
    assert got[f"Pic{t} c"].text("Properties/Picture/Status") == "173"
    # MaxPictures: the first picture goes out, the next one with a picture gets 175
    r = gal(ph, f"Pic{t}", "<Picture><MaxPictures>1</MaxPictures></Picture>")
    st = [x.text("Properties/Picture/Status") for x in results(r)]
    assert st == ["1", "175", "173", "175"]
    # before 14.1 there are no pictures
    ph0 = phone(env, "14.0")
    r = gal(ph0, f"Pic{t}")
    assert all(x.find("Properties/Picture") is None for x in results(r))


VCARD = """BEGIN:VCARD\r
VERSION:4.0\r
UID:urn:uuid:{uid}\r
FN:Dora {t}stein\r
N:{t}stein;Dora;;;\r
EMAIL;TYPE=work:dora.{t}@partner.example\r
TEL;TYPE=work,voice;VALUE=uri:tel:+49-30-1234\r
TEL;TYPE=cell;VALUE=uri:tel:+49-170-5555\r
ORG:Partner GmbH\r
TITLE:Buyer\r
END:VCARD\r
"""


def test_gal_includes_shared_contact_folder(env):
    t = tag()
    owner = f"directory{t}"
    with tempfile.NamedTemporaryFile("w", suffix=".vcf", delete=False, encoding="utf-8") as f:
        f.write(VCARD.format(uid=uuid.uuid4(), t=t))
    r = env.easctl("pim", "import", "--user", owner, "--create-user", f.name)
    os.unlink(f.name)
    assert r.returncode == 0, r.stderr
    ph = phone(env)
    assert names(gal(ph, f"{t}stein")) == []           # not shared yet
    try:
        env.set_conf(f"EASGALContacts {owner} Contacts\n")
        for q in (f"{t}stein", "Dora", f"dora.{t}"):
            r = gal(ph, q)
            found = [x for x in results(r) if x.text("Properties/DisplayName") == f"Dora {t}stein"]
            assert len(found) == 1, q
        d = found[0]
        assert d.text("Properties/EmailAddress") == f"dora.{t}@partner.example"
        assert d.text("Properties/FirstName") == "Dora"
        assert d.text("Properties/LastName") == f"{t}stein"
        assert d.text("Properties/Company") == "Partner GmbH"
        assert d.text("Properties/Title") == "Buyer"
        assert d.text("Properties/Phone") == "+49-30-1234"
        assert d.text("Properties/MobilePhone") == "+49-170-5555"
        # a word inside a name that is not a prefix of a word does not match
        assert f"Dora {t}stein" not in names(gal(ph, "stein"))
    finally:
        env.set_conf("")


def test_document_library_and_unknown_store(env):
    ph = phone(env)
    r = ph.cmd("Search", f"{XML}<Search {SNS}><Store><Name>DocumentLibrary</Name>"
               "<Query>x</Query></Store></Search>")
    assert r.status == 200 and r.text("Response/Store/Status") == "13"
    r = ph.cmd("Search", f"{XML}<Search {SNS}><Store><Name>Elsewhere</Name><Query>x</Query>"
               "</Store></Search>")
    assert r.status == 200 and r.text("Response/Store/Status") == "2"
    r = ph.cmd("Search", f"{XML}<Search {SNS}/>")
    assert r.status == 200 and r.text("Response/Store/Status") == "2"
    # Or is beyond this server: too complex
    r = ph.cmd("Search", f"{XML}<Search {SNS}><Store><Name>Mailbox</Name><Query><Or>"
               "<FreeText>a</FreeText><FreeText>b</FreeText></Or></Query></Store></Search>")
    assert r.status == 200 and r.text("Response/Store/Status") == "8"
    # an empty GAL query is an invalid request
    r = ph.cmd("Search", f"{XML}<Search {SNS}><Store><Name>GAL</Name><Query></Query></Store>"
               "</Search>")
    assert r.status == 200 and r.text("Response/Store/Status") == "2"


# --- Mailbox ---------------------------------------------------------------------------------

def import_mail(env, user, raw, folder=None):
    with tempfile.NamedTemporaryFile(suffix=".eml", delete=False) as f:
        f.write(raw)
    args = ["mail", "import", "--user", user] + (["--folder", folder] if folder else []) + [f.name]
    r = env.easctl(*args)
    os.unlink(f.name)
    assert r.returncode == 0, r.stderr


def mailbox(ph, query, options="<Range>0-99</Range>"):
    r = ph.cmd("Search", f"{XML}<Search {SNS}><Store><Name>Mailbox</Name><Query>{query}</Query>"
               f"<Options>{options}</Options></Store></Search>")
    assert r.status == 200, r.resp
    assert r.text("Status") == "1"
    return r


def q_and(*terms, cls="Email"):
    return "<And>" + (f"<airsync:Class>{cls}</airsync:Class>" if cls else "") + "".join(terms) \
        + "</And>"


def cid(c):
    return f"<airsync:CollectionId>{c}</airsync:CollectionId>"


def free(text):
    return f"<FreeText>{text}</FreeText>"


def subjects(r):
    return [x.text("Properties/Subject") for x in results(r)]


@pytest.fixture(scope="module")
def box(env):
    """A user with mail in Inbox, a subfolder of Inbox and Sent Items, of known dates."""
    ph = phone(env)
    t = ph.user
    inbox = ph.folder("Inbox")
    r = ph.cmd("FolderCreate", f'{XML}<FolderCreate xmlns="FolderHierarchy:"><SyncKey>'
               f'{ph.folder_key}</SyncKey><ParentId>{inbox}</ParentId>'
               f'<DisplayName>Projects</DisplayName><Type>12</Type></FolderCreate>')
    assert r.text("Status") == "1"
    sub = r.text("ServerId")
    ph.foldersync()
    mails = [
        ("Inbox", "Quarterly budget", "The numbers for Q3 are attached.", "Carla <carla@corp.example>", 20),
        ("Inbox", "Lunch plans", "Shall we try the new ramen place?", "Dan <dan@corp.example>", 10),
        ("Inbox", "Re: budget review", "Budget approved, see you at lunch.", "Eve <eve@corp.example>", 5),
        ("Inbox/Projects", "Project Kestrel kickoff", "Kickoff for kestrel on Monday; budget TBD.",
         "Fay <fay@corp.example>", 3),
        ("Sent", "Holiday", "I am away next week.", f"{t}@example.test", 1),
    ]
    for i in range(6):
        mails.append(("Inbox", f"Newsletter {i}", "weekly digest zebrafish", "news@list.example",
                      30 + i))
    for folder, subj, body, sender, age in mails:
        import_mail(env, t, message(subject=subj, body=body + "\n", sender=sender,
                                    to=f"{t}@example.test", date=days_ago(age)),
                    None if folder == "Inbox" else folder)
    return dict(ph=ph, inbox=inbox, sub=sub, sent=ph.folder("Sent Items"))


def test_mailbox_freetext_body_subject_sender(env, box):
    ph, inbox = box["ph"], box["inbox"]
    # body or subject, case-insensitive, newest first, inside Inbox only
    r = mailbox(ph, q_and(cid(inbox), free("BUDGET")))
    assert subjects(r) == ["Re: budget review", "Quarterly budget"]
    assert r.text("Response/Store/Total") == "2" and r.text("Response/Store/Range") == "0-1"
    x = results(r)[0]
    assert x.text("Class") == "Email" and x.text("CollectionId") == inbox
    assert x.text("LongId").startswith(inbox + ":")
    assert "eve@corp.example" in x.text("Properties/From")
    assert x.text("Properties/DateReceived").endswith("Z")
    # sender address
    assert subjects(mailbox(ph, q_and(cid(inbox), free("carla@corp")))) == ["Quarterly budget"]
    # every word must occur somewhere
    assert subjects(mailbox(ph, q_and(cid(inbox), free("lunch ramen")))) == ["Lunch plans"]
    # no match: an empty Result and Total 0
    r = mailbox(ph, q_and(cid(inbox), free("nonexistentword")))
    assert subjects(r) == [] and r.text("Response/Store/Total") == "0"


def test_mailbox_scoping_deep_traversal_and_all_folders(env, box):
    ph, inbox, sub, sent = box["ph"], box["inbox"], box["sub"], box["sent"]
    assert "Project Kestrel kickoff" not in subjects(mailbox(ph, q_and(cid(inbox), free("budget"))))
    r = mailbox(ph, q_and(cid(inbox), free("budget")), "<Range>0-9</Range><DeepTraversal/>")
    assert subjects(r) == ["Project Kestrel kickoff", "Re: budget review", "Quarterly budget"]
    k = [x for x in results(r) if x.text("Properties/Subject") == "Project Kestrel kickoff"][0]
    assert k.text("CollectionId") == sub
    assert subjects(mailbox(ph, q_and(cid(sub), free("kestrel")))) == ["Project Kestrel kickoff"]
    assert subjects(mailbox(ph, q_and(cid(sent), free("away")))) == ["Holiday"]
    # no CollectionId: every mail folder
    assert subjects(mailbox(ph, q_and(free("away")))) == ["Holiday"]
    # a folder that is not the user's: FolderSync required
    r = mailbox(ph, q_and(cid("999999"), free("budget")))
    assert r.text("Response/Store/Status") == "11"


def test_mailbox_date_range_and_paging(env, box):
    ph, inbox = box["ph"], box["inbox"]
    since = days_ago(12).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    until = days_ago(4).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    r = mailbox(ph, q_and(cid(inbox),
                          f"<GreaterThan><email:DateReceived/><Value>{since}</Value></GreaterThan>",
                          f"<LessThan><email:DateReceived/><Value>{until}</Value></LessThan>"))
    assert subjects(r) == ["Re: budget review", "Lunch plans"]
    # paging over six newsletters, newest first
    r = mailbox(ph, q_and(cid(inbox), free("zebrafish")), "<Range>0-3</Range>")
    assert subjects(r) == [f"Newsletter {i}" for i in range(4)]
    assert r.text("Response/Store/Range") == "0-3" and r.text("Response/Store/Total") == "6"
    r = mailbox(ph, q_and(cid(inbox), free("zebrafish")), "<Range>4-7</Range>")
    assert subjects(r) == ["Newsletter 4", "Newsletter 5"]
    assert r.text("Response/Store/Range") == "4-5" and r.text("Response/Store/Total") == "6"
    # bounded by EASSearchMaxResults
    try:
        env.set_conf("EASSearchMaxResults 5\n")
        r = mailbox(ph, q_and(cid(inbox), free("zebrafish")))
        assert len(subjects(r)) == 5 and r.text("Response/Store/Total") == "5"
    finally:
        env.set_conf("")
    # a malformed date is an invalid request
    r = mailbox(ph, q_and(cid(inbox), "<GreaterThan><email:DateReceived/><Value>yesterday"
                          "</Value></GreaterThan>"))
    assert r.text("Response/Store/Status") == "2"


def test_mailbox_body_preference_and_longid_fetch(env, box):
    ph, inbox = box["ph"], box["inbox"]
    r = mailbox(ph, q_and(cid(inbox), free("ramen")),
                "<Range>0-0</Range><airsyncbase:BodyPreference><airsyncbase:Type>1"
                "</airsyncbase:Type><airsyncbase:TruncationSize>1000</airsyncbase:TruncationSize>"
                "</airsyncbase:BodyPreference><RebuildResults/>")
    x = results(r)[0]
    assert x.text("Properties/Body/Type") == "1"
    assert "ramen place" in x.text("Properties/Body/Data")
    long_id = x.text("LongId")
    # the LongId names the item for ItemOperations
    f = ph.cmd("ItemOperations", f'{XML}<ItemOperations xmlns="ItemOperations:" '
               'xmlns:airsync="AirSync:" xmlns:search="Search:"><Fetch><Store>Mailbox</Store>'
               f'<search:LongId>{long_id}</search:LongId></Fetch></ItemOperations>')
    assert f.status == 200
    assert f.text("Response/Fetch/LongId") == long_id
    assert f.text("Response/Fetch/Status") == "1"
    assert f.text("Response/Fetch/Properties/Subject") == "Lunch plans"


def test_mailbox_search_is_bounded_in_time(env, box):
    """A search that cannot finish within EASSearchTimeout answers Store Status 10 (time-out):
    another session holds a lock the search has to wait for."""
    ph, inbox = box["ph"], box["inbox"]
    st = env.stack
    holder = None
    try:
        env.set_conf("EASSearchTimeout 1\n")
        holder = subprocess.Popen(
            ["psql", "-X", "-q", "-h", "127.0.0.1", "-p", str(st.pg_port), "-U", st.db_user,
             "-d", st.db_name, "-c",
             "BEGIN; LOCK TABLE blobs IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(4); COMMIT;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        assert wait_for(lambda: env.psql(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
            "WHERE c.relname = 'blobs' AND l.mode = 'AccessExclusiveLock' AND l.granted") == "1")
        r = mailbox(ph, q_and(cid(inbox), free("budget")))
        assert r.text("Response/Store/Status") == "10"
        assert r.doc.find("Response/Store/Result") is None
    finally:
        if holder:
            holder.wait()
        env.set_conf("")
    # and once the lock is gone the same search works (the connection was left clean)
    assert subjects(mailbox(ph, q_and(cid(inbox), free("budget")))) == [
        "Re: budget review", "Quarterly budget"]


def test_mailbox_search_12_1(env, box):
    ph = box["ph"]
    old = Phone(env, "12.1", user=ph.user, password="pw-" + ph.user, prefix="S121")
    old.foldersync()
    r = mailbox(old, q_and(cid(old.folder("Inbox")), free("ramen")),
                "<Range>0-4</Range><airsyncbase:BodyPreference><airsyncbase:Type>1"
                "</airsyncbase:Type></airsyncbase:BodyPreference>")
    assert subjects(r) == ["Lunch plans"]
    assert "ramen" in results(r)[0].text("Properties/Body/Data")
    assert results(r)[0].find("Properties/ConversationId") is None   # 14.0+ only


def test_other_users_mail_is_never_found(env, box):
    other = phone(env)
    assert subjects(mailbox(other, q_and(free("budget")))) == []
    # naming the first user's folder does not help
    r = mailbox(other, q_and(cid(box["inbox"]), free("budget")))
    assert subjects(r) == [] and r.text("Response/Store/Status") == "11"


# --- Find (16.1) -----------------------------------------------------------------------------

def find(ph, criterion):
    r = ph.cmd("Find", f"{XML}<Find {FNS}><SearchId>{uuid.uuid4()}</SearchId><ExecuteSearch>"
               f"{criterion}</ExecuteSearch></Find>")
    assert r.status == 200, r.resp
    return r


def test_find_mailbox(env, box):
    ph = box["ph"]
    ph161 = Phone(env, "16.1", user=ph.user, password="pw-" + ph.user, prefix="FIND")
    ph161.foldersync()
    inbox = ph161.folder("Inbox")
    r = find(ph161, "<MailBoxSearchCriterion><Query><airsync:Class>Email</airsync:Class>"
             f"<airsync:CollectionId>{inbox}</airsync:CollectionId><FreeText>budget</FreeText>"
             "</Query><Options><Range>0-9</Range><DeepTraversal/></Options>"
             "</MailBoxSearchCriterion>")
    assert r.text("Status") == "1"
    assert r.text("Response/Store") == "Mailbox" and r.text("Response/Status") == "1"
    res = r.doc.findall("Response/Result")
    assert [x.text("Properties/Subject") for x in res] == [
        "Project Kestrel kickoff", "Re: budget review", "Quarterly budget"]
    x = res[1]
    assert x.text("Class") == "Email" and x.text("CollectionId") == inbox
    assert x.text("ServerId").startswith(inbox + ":")
    assert x.text("Properties/Read") == "0" and x.text("Properties/IsDraft") == "0"
    assert x.text("Properties/HasAttachments") == "0"
    assert "Budget approved" in x.text("Properties/Preview")
    assert "eve@corp.example" in x.text("Properties/From")
    assert r.text("Response/Range") == "0-2" and r.text("Response/Total") == "3"


def test_find_gal_and_version_gate(env, tmp_path):
    t = tag()
    pic = tmp_path / "f.jpg"
    pic.write_bytes(b"\xff\xd8" + os.urandom(50) + b"\xff\xd9")
    directory_user(env, f"fg{t}", "--display-name", f"Finn {t}", "--email", f"finn.{t}@example.test",
                   "--picture", str(pic))
    ph = phone(env, "16.1")
    r = find(ph, f"<GALSearchCriterion><Query><FreeText>finn.{t}</FreeText></Query><Options>"
             "<Range>0-4</Range><Picture><MaxSize>10000</MaxSize></Picture></Options>"
             "</GALSearchCriterion>")
    assert r.text("Status") == "1" and r.text("Response/Store") == "GAL"
    res = r.doc.findall("Response/Result")
    assert [x.text("Properties/DisplayName") for x in res] == [f"Finn {t}"]
    assert res[0].text("Properties/EmailAddress") == f"finn.{t}@example.test"
    assert res[0].text("Properties/Picture/Status") == "1"
    assert r.text("Response/Total") == "1" and r.text("Response/Range") == "0-0"
    # Find is a 16.1 command
    old = phone(env, "16.0")
    r = find(old, f"<GALSearchCriterion><Query><FreeText>{t}</FreeText></Query>"
             "</GALSearchCriterion>")
    assert r.text("Status") == "138" and r.doc.find("Response") is None
    # no criterion: invalid request
    r = ph.cmd("Find", f"{XML}<Find {FNS}><SearchId>x</SearchId><ExecuteSearch/></Find>")
    assert r.text("Status") == "2"
