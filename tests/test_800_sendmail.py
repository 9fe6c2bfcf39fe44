"""SendMail end to end (MS-ASCMD 2.2.1.16): 14.1 ComposeMail WBXML and the 12.1 raw form, exact
bytes at the SMTP sink, the Sent Items copy, ClientId idempotency (118) also under concurrency,
relay down / refusing (120, nothing stored), local delivery in-database, no relay configured,
dot-stuffing, and submission:// with STARTTLS + AUTH as the user."""
import base64
import os
import subprocess
import threading

import pytest

from pyeas.mail import XML, Phone, commands_of
from pyeas.smtpsink import SmtpSink

MIME_OPTS = ('<MIMESupport>2</MIMESupport><airsyncbase:BodyPreference><airsyncbase:Type>4'
             '</airsyncbase:Type></airsyncbase:BodyPreference>')
_n = [0]


def client_id():
    _n[0] += 1
    return f"cid-{os.getpid()}-{_n[0]}"


def sendmail_xml(cid, mime, save=True):
    """ComposeMail SendMail with the MIME as base64 OPAQUE (byte-exact, CRLF kept)."""
    parts = f"<ClientId>{cid}</ClientId>" if cid is not None else ""
    if save:
        parts += "<SaveInSentItems/>"
    if mime is not None:
        parts += (f'<Mime eas:opaque="base64">{base64.b64encode(mime).decode()}</Mime>')
    return (f'{XML}<SendMail xmlns="ComposeMail:" xmlns:eas="urn:mod-eas:wbxml">{parts}'
            '</SendMail>')


def mime(subject="Hello", to="Ext <ext@remote.test>", frm="Device Name <other@evil.test>",
         bcc=None, body="Hello there.\r\n", cc=None, extra=""):
    h = f"From: {frm}\r\nTo: {to}\r\n"
    if cc:
        h += f"Cc: {cc}\r\n"
    if bcc:
        h += f"Bcc: {bcc}\r\n"
    h += (f"Subject: {subject}\r\nMIME-Version: 1.0\r\n{extra}"
          "Content-Type: text/plain; charset=utf-8\r\n\r\n")
    return (h + body).encode()


def status_of(r):
    """SendMail answers an empty 200 on success, else <SendMail><Status>."""
    assert r.status == 200, r.resp
    return 1 if r.doc is None else int(r.text("Status"))


def headers_of(data):
    head = data.split(b"\r\n\r\n", 1)[0].decode()
    out = {}
    for line in head.replace("\r\n ", " ").replace("\r\n\t", " ").split("\r\n"):
        k, v = line.split(":", 1)
        out.setdefault(k.strip().lower(), []).append(v.strip())
    return out


def sent_items(ph):
    """{subject: MIME text} of the Sent Items folder after a full sync."""
    sent = ph.folder("Sent Items")
    out = {}
    for a in ph.sync_all(sent, options=MIME_OPTS).values():
        out[a.text("ApplicationData/Subject")] = a.text("ApplicationData/Body/Data")
    return out


@pytest.fixture(scope="module")
def phone(env):
    ph = Phone(env, "14.1", prefix="SEND")
    ph.foldersync()
    return ph


@pytest.fixture
def conf(env):
    """env.set_conf for one test, restored afterwards."""
    try:
        yield env.set_conf
    finally:
        env.set_conf("")


def test_external_exact_bytes_from_forced_bcc_in_envelope_only(env, smtp, phone):
    body = "Line one\r\n\r\nGrüße, second paragraph.\r\n"
    m = mime(subject="external one", bcc="Hidden <hidden@remote.test>", cc="cc@remote.test",
             body=body)
    r = phone.cmd("SendMail", sendmail_xml(client_id(), m))
    assert status_of(r) == 1
    msgs = smtp.wait_for(1)
    assert len(msgs) == 1
    got = msgs[0]
    assert got.mail_from == "demo@example.test"
    assert sorted(got.rcpt) == ["cc@remote.test", "ext@remote.test", "hidden@remote.test"]
    h = headers_of(got.data)
    assert h["from"] == ["Device Name <demo@example.test>"]
    assert "bcc" not in h
    assert h["to"] == ["Ext <ext@remote.test>"]
    assert h["cc"] == ["cc@remote.test"]
    assert h["subject"] == ["external one"]
    assert "date" in h and "message-id" in h
    # the body arrives byte for byte
    assert got.data.split(b"\r\n\r\n", 1)[1] == body.encode()
    assert got.data.endswith(b"\r\n") and b"\n" not in got.data.replace(b"\r\n", b"")
    # the Sent Items copy keeps Bcc, is otherwise what was sent
    copy = sent_items(phone)["external one"]
    assert "Bcc: Hidden <hidden@remote.test>" in copy
    assert copy.replace("Bcc: Hidden <hidden@remote.test>\n", "") == \
        got.data.decode().replace("\r\n", "\n")


def test_same_client_id_twice_is_118_and_not_resent(env, smtp, phone, env_log):
    env_log.allow(r"ClientId .* was sent before")
    cid = client_id()
    m = mime(subject="only once")
    assert status_of(phone.cmd("SendMail", sendmail_xml(cid, m))) == 1
    assert len(smtp.wait_for(1)) == 1
    assert status_of(phone.cmd("SendMail", sendmail_xml(cid, m))) == 118
    assert len(smtp.wait_for(2, timeout=1)) == 1
    assert list(sent_items(phone)).count("only once") == 1


def test_relay_down_120_nothing_saved_then_retry_sends_once(env, smtp, phone, env_log):
    env_log.allow(r"SendMail Status 120: relay .* failed at connect")
    cid = client_id()
    m = mime(subject="relay was down")
    smtp.down()
    try:
        assert status_of(phone.cmd("SendMail", sendmail_xml(cid, m))) == 120
    finally:
        smtp.up()
    assert "relay was down" not in sent_items(phone)
    assert env.psql(f"SELECT count(*) FROM submissions WHERE client_id = '{cid}'") == "0"
    # the phone retries with the same ClientId once the relay is back: sent exactly once
    assert status_of(phone.cmd("SendMail", sendmail_xml(cid, m))) == 1
    assert len(smtp.wait_for(1)) == 1
    assert status_of(phone.cmd("SendMail", sendmail_xml(cid, m))) == 118
    assert len(smtp.wait_for(2, timeout=1)) == 1
    assert list(sent_items(phone)).count("relay was down") == 1


def test_relay_rejects_one_recipient_nothing_stored(env, smtp, phone, env_log):
    env_log.allow(r"SendMail Status 120: relay .* refused recipient bad@remote\.test: 550")
    smtp.reject_rcpt["bad@remote.test"] = "550 5.1.1 no such user"
    # a local recipient too: its delivery is rolled back with the rest
    m = mime(subject="one bad recipient", to="ext@remote.test, bad@remote.test",
             cc="demo@example.test")
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), m))) == 120
    assert smtp.wait_for(1, timeout=1) == []
    assert "one bad recipient" not in sent_items(phone)
    assert env.psql("SELECT count(*) FROM items WHERE subject = 'one bad recipient'") == "0"
    assert "RSET" in smtp.commands and "DATA" not in smtp.commands


def test_relay_refuses_data_nothing_stored(env, smtp, phone, env_log):
    env_log.allow(r"SendMail Status 120: relay .* end of data .*451")
    smtp.fail_data = "451 4.3.0 try later"
    m = mime(subject="data refused")
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), m))) == 120
    assert "data refused" not in sent_items(phone)


def test_local_recipient_in_database_not_at_sink(env, smtp, phone):
    env.add_user("bob", "bob-pw")
    bob = Phone(env, "14.1", user="bob", password="bob-pw", prefix="BOB")
    bob.foldersync()
    inbox = bob.folder("Inbox")
    bob.sync(inbox)
    m = mime(subject="to bob locally", to="Bob <BOB@example.test>", bcc="bob@example.test")
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), m, save=False))) == 1
    adds = commands_of(bob.sync(inbox, options=MIME_OPTS), "Add")
    assert len(adds) == 1                      # To and Bcc of one user: delivered once
    data = adds[0].text("ApplicationData/Body/Data")
    assert "From: Device Name <demo@example.test>" in data and "Bcc:" not in data
    assert adds[0].text("ApplicationData/Read") == "0"
    assert smtp.wait_for(1, timeout=1) == []
    assert "to bob locally" not in sent_items(phone)     # SaveInSentItems not given


def test_no_relay_external_is_120_local_still_works(env, smtp, conf, env_log):
    env_log.allow(r"SendMail Status 120: not sent: ext@remote\.test is not a local user and no "
                  r"EASSMTPRelay is configured")
    conf("EASSMTPRelay None\n")
    ph = Phone(env, "14.1", prefix="NORL")
    ph.foldersync()
    m = mime(subject="nowhere to go")
    assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), m))) == 120
    assert any("no EASSMTPRelay is configured" in ln and "warn]" in ln
               for ln in env_log.new_lines())
    assert "nowhere to go" not in sent_items(ph)
    # mail between local users needs no relay
    m = mime(subject="to myself", to="demo@example.test")
    assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), m))) == 1
    assert "to myself" in sent_items(ph)
    assert smtp.wait_for(1, timeout=1) == []


def test_12_1_raw_mime_form(env, smtp):
    ph = Phone(env, "12.1", prefix="OLD")
    ph.foldersync()
    m = mime(subject="from a 12.1 phone")
    q = (f"Cmd=SendMail&User={env.user}&DeviceId={ph.dev}&DeviceType=TestPhone&SaveInSent=T")
    r = env.eas("SendMail", version="12.1", body=m, query=q,
                headers={"Content-Type": "message/rfc822", "X-MS-PolicyKey": ph.key})
    assert r.status == 200 and not r.body
    got = smtp.wait_for(1)[0]
    assert headers_of(got.data)["subject"] == ["from a 12.1 phone"]
    assert "from a 12.1 phone" in sent_items(ph)


def test_12_1_retry_with_same_message_id_sent_once(env, smtp):
    """12.x has no ClientId: the message's own Message-ID is the key, and the retry of a message
    already sent is answered 200 (the device only lost our answer)."""
    ph = Phone(env, "12.1", prefix="OLDR")
    ph.foldersync()
    m = mime(subject="12.1 retried", extra="Message-ID: <retry-121@phone.test>\r\n")
    q = (f"Cmd=SendMail&User={env.user}&DeviceId={ph.dev}&DeviceType=TestPhone&SaveInSent=T")
    for _ in range(2):
        r = env.eas("SendMail", version="12.1", body=m, query=q,
                    headers={"Content-Type": "message/rfc822", "X-MS-PolicyKey": ph.key})
        assert r.status == 200 and not r.body
    assert len(smtp.wait_for(1)) == 1
    sent = ph.sync_all(ph.folder("Sent Items"), options=MIME_OPTS).values()
    assert [a.text("ApplicationData/Subject") for a in sent].count("12.1 retried") == 1
    # a different message from the same device goes out
    m2 = mime(subject="12.1 second", extra="Message-ID: <second-121@phone.test>\r\n")
    r = env.eas("SendMail", version="12.1", body=m2, query=q,
                headers={"Content-Type": "message/rfc822", "X-MS-PolicyKey": ph.key})
    assert r.status == 200
    assert len(smtp.wait_for(2)) == 2


def test_missing_client_id_and_empty_mime(env, smtp, phone, env_log):
    env_log.allow(r"SendMail Status")
    assert status_of(phone.cmd("SendMail", sendmail_xml(None, mime()))) == 103
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), None))) == 107
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), b"just text"))) == 107
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), b"Subject: x\r\n\r\nhi"))) \
        == 119
    assert smtp.wait_for(1, timeout=1) == []


def test_dot_stuffing_round_trip(env, smtp, phone):
    body = ".leading dot\r\n..two dots\r\n.\r\nend\r\n"
    m = mime(subject="dots", body=body)
    assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), m, save=False))) == 1
    got = smtp.wait_for(1)[0]
    assert got.data.split(b"\r\n\r\n", 1)[1] == body.encode()


def test_same_client_id_20_posts_from_five_threads_sent_once(env, smtp, phone, env_log):
    env_log.allow(r"ClientId .* was sent before")
    cid = client_id()
    m = mime(subject="raced")
    results = []
    start = threading.Barrier(5)

    def go():
        start.wait()
        for _ in range(4):
            results.append(status_of(phone.cmd("SendMail", sendmail_xml(cid, m))))

    threads = [threading.Thread(target=go) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [1] + [118] * 19
    assert len(smtp.wait_for(2, timeout=1)) == 1
    assert list(sent_items(phone)).count("raced") == 1


@pytest.fixture
def tls_sink(env):
    d = os.path.join(env.tmp, "smtp-tls")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", key, "-out", cert], check=True, capture_output=True)
    os.chmod(d, 0o755)
    os.chmod(cert, 0o644)
    sink = SmtpSink(tls_cert=cert, tls_key=key).start()
    try:
        yield sink, cert
    finally:
        sink.stop()


def test_submission_starttls_and_auth_as_user(env, tls_sink, conf):
    sink, cert = tls_sink
    sink.auth_required = True
    sink.passwords[env.user] = env.password
    conf(f"EASSMTPRelay submission://127.0.0.1:{sink.port}\nEASSMTPAuth User\n"
         f"EASSMTPTLSCAFile {cert}\n")
    ph = Phone(env, "14.1", prefix="TLS")
    m = mime(subject="over tls")
    assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), m, save=False))) == 1
    got = sink.wait_for(1)[0]
    assert got.tls and got.auth == ("", env.user, env.password)
    assert got.mail_from == "demo@example.test"
    assert "STARTTLS" in sink.commands


def test_tls_verify_failure_is_120(env, tls_sink, conf, env_log):
    """The sink's certificate is not in the system store: with verification on, nothing goes
    out; with EASSMTPTLSVerify Off it does."""
    env_log.allow(r"SendMail Status 120: relay .* certificate")
    sink, cert = tls_sink
    conf(f"EASSMTPRelay submission://127.0.0.1:{sink.port}\n")
    ph = Phone(env, "14.1", prefix="TLV")
    assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), mime(), save=False))) == 120
    assert sink.wait_for(1, timeout=1) == []
    conf(f"EASSMTPRelay submission://127.0.0.1:{sink.port}\nEASSMTPTLSVerify Off\n")
    assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), mime(), save=False))) == 1
    assert sink.wait_for(1)[0].tls


def test_user_without_address_is_120(env, smtp, conf, env_log):
    """No EASMailDomain (the comment keeps the test default out) and a bare user name: the
    user has no address to send from."""
    env_log.allow(r"SendMail Status 120: user demo has no e-mail address")
    conf("# no EASMailDomain on purpose\n")
    ph = Phone(env, "14.1", prefix="NOAD")
    assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), mime()))) == 120
    assert smtp.wait_for(1, timeout=1) == []


def test_device_from_kept_when_it_is_an_alias(env, smtp, phone):
    env.psql("UPDATE users SET aliases = '{sales@example.test}', display_name = 'Demo User' "
             "WHERE name = 'demo'")
    try:
        m = mime(subject="as alias", frm="sales@example.test")
        assert status_of(phone.cmd("SendMail", sendmail_xml(client_id(), m, save=False))) == 1
        got = smtp.wait_for(1)[0]
        assert got.mail_from == "sales@example.test"
        assert headers_of(got.data)["from"] == ["Demo User <sales@example.test>"]
    finally:
        env.psql("UPDATE users SET aliases = '{}', display_name = NULL WHERE name = 'demo'")


def test_smtps_implicit_tls(env, tls_sink, conf):
    """smtps://: TLS from the first byte (the sink's handler behind a TLS-wrapping listener)."""
    import ssl
    from pyeas import smtpsink
    _, cert = tls_sink
    key = os.path.join(os.path.dirname(cert), "key.pem")
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)

    class TlsServer(smtpsink._Server):
        def get_request(self):
            sock, addr = super().get_request()
            return ctx.wrap_socket(sock, server_side=True), addr

    sink = SmtpSink()
    srv = TlsServer(("127.0.0.1", 0), smtpsink._Handler)
    srv.sink = sink
    sink._server, sink.port = srv, srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        conf(f"EASSMTPRelay smtps://127.0.0.1:{sink.port}\nEASSMTPTLSCAFile {cert}\n")
        ph = Phone(env, "14.1", prefix="SMTPS")
        m = mime(subject="implicit tls")
        assert status_of(ph.cmd("SendMail", sendmail_xml(client_id(), m, save=False))) == 1
        got = sink.wait_for(1)[0]
        assert headers_of(got.data)["subject"] == ["implicit tls"]
        assert "STARTTLS" not in sink.commands
    finally:
        sink.stop()
