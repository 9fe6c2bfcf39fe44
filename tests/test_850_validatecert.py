"""ValidateCert (MS-ASCMD 2.2.1.22): S/MIME certificates checked with OpenSSL against the
configured CA file (EASCertCAFile), with the device's chain as intermediates, and with CheckCRL
against EASCertCRLFile. The PKI is made per test session in a temporary directory."""
import base64
import datetime
import os

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from pyeas.env import command
from test_300_provision import new_device, provision

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject, key, issuer=None, issuer_key=None, ca=False, eku=ExtendedKeyUsageOID.EMAIL_PROTECTION,
          not_before=None, not_after=None, email=None):
    b = (x509.CertificateBuilder().subject_name(_name(subject))
         .issuer_name(_name(issuer.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value)
                      if issuer else _name(subject))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(not_before or NOW - DAY).not_valid_after(not_after or NOW + 365 * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if ca:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=False,
                                          key_encipherment=False, data_encipherment=False,
                                          key_agreement=False, key_cert_sign=True, crl_sign=True,
                                          encipher_only=False, decipher_only=False), critical=True)
    else:
        b = b.add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True,
                                          key_encipherment=True, data_encipherment=False,
                                          key_agreement=False, key_cert_sign=False, crl_sign=False,
                                          encipher_only=False, decipher_only=False), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage([eku]), critical=False)
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.RFC822Name(email or f"{subject}@example.test")]), critical=False)
    return b.sign(issuer_key or key, hashes.SHA256())


def _key():
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture(scope="module")
def pki(env):
    d = os.path.join(env.tmp, "pki")
    os.makedirs(d, exist_ok=True)
    ca_key, other_key, int_key = _key(), _key(), _key()
    ca = _cert("Test Root CA", ca_key, ca=True)
    other = _cert("Other Root CA", other_key, ca=True)
    inter = _cert("Test Intermediate CA", int_key, issuer=ca, issuer_key=ca_key, ca=True)
    c = {
        "ok": _cert("alice", _key(), ca, ca_key),
        "expired": _cert("bob", _key(), ca, ca_key, not_before=NOW - 400 * DAY,
                         not_after=NOW - 30 * DAY),
        "revoked": _cert("carol", _key(), ca, ca_key),
        "foreign": _cert("dave", _key(), other, other_key),
        "server": _cert("www", _key(), ca, ca_key, eku=ExtendedKeyUsageOID.SERVER_AUTH),
        "via_int": _cert("erin", _key(), inter, int_key),
        "inter": inter,
    }
    crl = (x509.CertificateRevocationListBuilder().issuer_name(ca.subject)
           .last_update(NOW - DAY).next_update(NOW + 30 * DAY)
           .add_revoked_certificate(x509.RevokedCertificateBuilder()
                                    .serial_number(c["revoked"].serial_number)
                                    .revocation_date(NOW - DAY).build())
           .sign(ca_key, hashes.SHA256()))
    files = {"ca": os.path.join(d, "ca.pem"), "crl": os.path.join(d, "crl.pem")}
    with open(files["ca"], "wb") as f:
        f.write(ca.public_bytes(serialization.Encoding.PEM))
    with open(files["crl"], "wb") as f:
        f.write(crl.public_bytes(serialization.Encoding.PEM))
    for p in files.values():
        os.chmod(p, 0o644)
    os.chmod(d, 0o755)
    b64 = {k: base64.b64encode(v.public_bytes(serialization.Encoding.DER)).decode()
           for k, v in c.items()}
    return files, b64


@pytest.fixture
def conf(env):
    def set_conf(text):
        env.set_conf(text)
    try:
        yield set_conf
    finally:
        env.set_conf("")


@pytest.fixture(scope="module")
def phone(env):
    dev = new_device(env, "VCRT")
    key, _ = provision(env, dev, "14.1")
    return dev, key


def validate(env, phone, certs, chain=(), check_crl=None):
    dev, key = phone
    body = '<?xml version="1.0" encoding="utf-8"?><ValidateCert xmlns="ValidateCert:">'
    if chain:
        body += "<CertificateChain>" + "".join(
            f"<Certificate>{c}</Certificate>" for c in chain) + "</CertificateChain>"
    body += "<Certificates>" + "".join(f"<Certificate>{c}</Certificate>" for c in certs)
    body += "</Certificates>"
    if check_crl is not None:
        body += f"<CheckCrl>{check_crl}</CheckCrl>"
    body += "</ValidateCert>"
    r = command(env, "ValidateCert", body, device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.status == 200, r.resp
    return r.text("Status"), [n.text("Status") for n in r.doc.findall("Certificate")]


def test_validatecert_statuses(env, pki, phone, conf):
    files, b64 = pki
    conf(f"EASCertCAFile {files['ca']}\nEASCertCRLFile {files['crl']}\n")
    top, st = validate(env, phone, [b64["ok"], b64["expired"], b64["foreign"], b64["server"],
                                    b64["via_int"], "bm90IGEgY2VydGlmaWNhdGU="])
    # valid, expired (7), untrusted issuer (4), not for e-mail (6), no path without the chain
    # (4), not a certificate (2)
    assert top == "1"
    assert st == ["1", "7", "4", "6", "4", "2"]
    # the device's chain completes the path
    assert validate(env, phone, [b64["via_int"]], chain=[b64["inter"]]) == ("1", ["1"])


def test_validatecert_crl(env, pki, phone, conf):
    files, b64 = pki
    conf(f"EASCertCAFile {files['ca']}\nEASCertCRLFile {files['crl']}\n")
    assert validate(env, phone, [b64["ok"], b64["revoked"]], check_crl=1) == ("1", ["1", "13"])
    # a CRL that says revoked counts even without CheckCRL
    assert validate(env, phone, [b64["revoked"]], check_crl=0) == ("1", ["13"])
    # the intermediate has no CRL: status unknown with CheckCRL, ignored without
    assert validate(env, phone, [b64["via_int"]], chain=[b64["inter"]], check_crl=1) == \
        ("1", ["14"])
    assert validate(env, phone, [b64["via_int"]], chain=[b64["inter"]], check_crl=0) == \
        ("1", ["1"])


def test_validatecert_no_crl_configured(env, pki, phone, conf):
    files, b64 = pki
    conf(f"EASCertCAFile {files['ca']}\n")
    assert validate(env, phone, [b64["ok"]], check_crl=1) == ("1", ["14"])
    assert validate(env, phone, [b64["ok"], b64["revoked"]]) == ("1", ["1", "1"])


def test_validatecert_protocol_error(env, phone):
    dev, key = phone
    r = command(env, "ValidateCert", '<?xml version="1.0" encoding="utf-8"?>'
                '<ValidateCert xmlns="ValidateCert:"><CheckCrl>1</CheckCrl></ValidateCert>',
                device_id=dev, headers={"X-MS-PolicyKey": key})
    assert r.status == 200 and r.text("Status") == "2"
    assert r.doc.findall("Certificate") == []
