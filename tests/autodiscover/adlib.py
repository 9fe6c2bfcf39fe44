"""Helpers for the mod_autodiscover tests (test_900/910/920, docs/autodiscover.md): request
bodies, and readers for every answer that check its form on the way — namespaces and values with
ElementTree, the mobilesync and error documents against Microsoft's XSDs (pyeas.wbxml.validate),
Outlook (2006a) and autoconfig documents against the subset schemas next to this file."""
import json
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from types import SimpleNamespace
from xml.sax.saxutils import escape

from pyeas import wbxml
from pyeas.env import LogWatch, wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
OUTLOOK_XSD = os.path.join(HERE, "outlook-response.xsd")
AUTOCONFIG_XSD = os.path.join(HERE, "autoconfig-1.1.xsd")

NS_AD = "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
NS_MS_REQ = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
NS_MS_RESP = "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
NS_OL_REQ = "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
NS_OL_RESP = "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"
NSMAP = {"ad": NS_AD, "ms": NS_MS_RESP, "ol": NS_OL_RESP}

XML_PATH = "/autodiscover/autodiscover.xml"
EAS_PATH = "/Microsoft-Server-ActiveSync"
SCHEMAS = {"mobilesync": NS_MS_RESP, "outlook": NS_OL_RESP}

# a refusal's log line: "[autodiscover:info] ... EAS090xx: ..."
TAG = re.compile(r"EAS09\d\d\d")


# --- requests ---------------------------------------------------------------------------------

def request(email, schema="mobilesync", req_ns=None, raw=False):
    """A POX request as the clients send it. schema: "mobilesync", "outlook" or a URI; raw: put
    email into the document unescaped (hostile input)."""
    uri = SCHEMAS.get(schema, schema)
    if req_ns is None:
        req_ns = NS_OL_REQ if schema == "outlook" else NS_MS_REQ
    addr = email if raw else escape(email)
    return ('<?xml version="1.0" encoding="utf-8"?>\r\n'
            f'<Autodiscover xmlns="{req_ns}">\r\n'
            '  <Request>\r\n'
            f'    <EMailAddress>{addr}</EMailAddress>\r\n'
            f'    <AcceptableResponseSchema>{uri}</AcceptableResponseSchema>\r\n'
            '  </Request>\r\n'
            '</Autodiscover>\r\n')


def padded(body, size):
    """body grown to exactly size bytes with trailing white space (still the same document)."""
    b = body.encode() if isinstance(body, str) else body
    assert len(b) <= size
    return b + b" " * (size - len(b))


def post(env, body, user, password=None, path=XML_PATH, content_type="text/xml", host=None,
         chunked=False, headers=None):
    """POST body to autodiscover.xml as user. content_type None: no Content-Type at all."""
    h = dict(headers or {})
    extra = []
    if content_type is None:
        extra += ["-H", "Content-Type:"]     # curl's --data-binary would add a form type
    else:
        h["Content-Type"] = content_type
    if host:
        h["Host"] = host
    if chunked:
        h["Transfer-Encoding"] = "chunked"
    return env.curl(path, method="POST", user=user, password=password, headers=h, data=body,
                    extra=extra)


def discover(env, user, email, schema="mobilesync", **kw):
    return post(env, request(email, schema), user, **kw)


# --- answers of autodiscover.xml -----------------------------------------------------------------

def _xml_of(resp):
    assert resp.status == 200, f"HTTP {resp.status}: {resp.body[:400]!r}"
    ctype = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    assert ctype in ("text/xml", "application/xml"), resp.headers
    text = resp.body.decode("utf-8")
    assert "<!DOCTYPE" not in text
    return text, ET.fromstring(resp.body)


def _only_child(root, tag):
    kids = list(root)
    assert [k.tag for k in kids] == [tag], [k.tag for k in kids]
    return kids[0]


def error_doc(resp, code):
    """The responseschema/2006 Error (600, 601, ...): returns its Message."""
    text, root = _xml_of(resp)
    assert root.tag == f"{{{NS_AD}}}Autodiscover", root.tag
    r = _only_child(root, f"{{{NS_AD}}}Response")
    err = r.find("ad:Error", NSMAP)
    assert err is not None, text
    assert err.findtext("ad:ErrorCode", namespaces=NSMAP) == str(code), text
    msg = err.findtext("ad:Message", namespaces=NSMAP)
    assert msg and msg.strip(), text
    # Exchange's Time and Id attributes (Id: unsigned, the XSD checks the type)
    assert err.get("Time") and err.get("Id") and err.get("Id").isdigit(), text
    wbxml.validate(text)
    return msg


def invalid_request(resp):
    """600 Invalid Request, the answer Exchange gives a browser."""
    assert error_doc(resp, 600) == "Invalid Request"


def mobilesync(resp):
    """A mobilesync Response, validated; returns its parts (Action parts None when absent)."""
    text, root = _xml_of(resp)
    assert root.tag == f"{{{NS_AD}}}Autodiscover", root.tag
    r = _only_child(root, f"{{{NS_MS_RESP}}}Response")
    wbxml.validate(text)
    action = r.find("ms:Action", NSMAP)
    servers = [] if action is None else [
        {c.tag.split("}")[1]: (c.text or "") for c in s}
        for s in action.findall("ms:Settings/ms:Server", NSMAP)]
    err = None if action is None else action.find("ms:Error", NSMAP)
    return SimpleNamespace(
        text=text,
        culture=r.findtext("ms:Culture", namespaces=NSMAP),
        user=r.find("ms:User", NSMAP),
        display_name=r.findtext("ms:User/ms:DisplayName", namespaces=NSMAP),
        email=r.findtext("ms:User/ms:EMailAddress", namespaces=NSMAP),
        servers=servers,
        redirect=None if action is None else action.findtext("ms:Redirect", namespaces=NSMAP),
        error=None if err is None else {c.tag.split("}")[1]: (c.text or "") for c in err})


def mobilesync_settings(resp, url, emails):
    """200 with Culture, User/EMailAddress (one of emails) and one MobileSync server at url."""
    d = mobilesync(resp)
    assert d.culture and d.culture.strip(), d.text
    assert d.user is not None and d.email, d.text
    assert d.email.lower() in {e.lower() for e in emails}, d.text
    assert d.redirect is None and d.error is None, d.text
    assert len(d.servers) == 1, d.text
    s = d.servers[0]
    assert s.get("Type") == "MobileSync", d.text
    if url is None:     # a self-referencing URL of a name-based host: only its form is known
        assert re.fullmatch(r"https?://[^/]+" + EAS_PATH, s.get("Url", "")), d.text
        url = s["Url"]
    assert s.get("Url") == url and s.get("Name") == url, d.text
    return d


def mobilesync_error(resp, code=500):
    """mobilesync Action/Error: Status 2, ErrorCode, Message."""
    d = mobilesync(resp)
    assert d.error is not None, d.text
    assert d.error.get("Status") == "2", d.text
    assert d.error.get("ErrorCode") == str(code), d.text
    assert d.error.get("Message", "").strip(), d.text
    assert not d.servers and d.redirect is None, d.text
    return d


def validate_xsd(xsd, text):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(text)
        path = f.name
    try:
        r = subprocess.run(["xmllint", "--noout", "--nonet", "--schema", xsd, path],
                           capture_output=True, text=True)
    finally:
        os.unlink(path)
    assert r.returncode == 0, f"does not validate against {os.path.basename(xsd)}:\n" \
                              f"{r.stderr}\n{text}"


def outlook(resp):
    """An Outlook 2006a Response, validated against tests/autodiscover/outlook-response.xsd."""
    text, root = _xml_of(resp)
    assert root.tag == f"{{{NS_AD}}}Autodiscover", root.tag
    r = _only_child(root, f"{{{NS_OL_RESP}}}Response")
    validate_xsd(OUTLOOK_XSD, text)
    acc = r.find("ol:Account", NSMAP)
    return SimpleNamespace(
        text=text,
        user=r.find("ol:User", NSMAP),
        display_name=r.findtext("ol:User/ol:DisplayName", namespaces=NSMAP),
        account_type=None if acc is None else acc.findtext("ol:AccountType", namespaces=NSMAP),
        action=None if acc is None else acc.findtext("ol:Action", namespaces=NSMAP),
        redirect=None if acc is None else acc.findtext("ol:RedirectAddr", namespaces=NSMAP),
        protocols=[] if acc is None else [
            {c.tag.split("}")[1]: (c.text or "") for c in p}
            for p in acc.findall("ol:Protocol", NSMAP)],
        error=r.find("ol:Error", NSMAP))


def outlook_settings(resp):
    d = outlook(resp)
    assert d.user is not None, d.text
    assert d.account_type == "email" and d.action == "settings", d.text
    assert d.protocols, d.text
    for p in d.protocols:
        assert p["SPA"] == "off" and p["AuthRequired"] == "on", d.text
        if p["Type"] == "SMTP":
            assert "UsePOPAuth" in p and "SMTPLast" in p, d.text
    return d


def outlook_error(resp, code=500):
    """Outlook's Error: the Response/Error of the 2006 error document or of the 2006a Response
    (both are Exchange forms; either is validated against its schema)."""
    text, root = _xml_of(resp)
    assert root.tag == f"{{{NS_AD}}}Autodiscover", root.tag
    kids = list(root)
    assert len(kids) == 1, text
    if kids[0].tag == f"{{{NS_AD}}}Response":
        error_doc(resp, code)
        return text
    assert kids[0].tag == f"{{{NS_OL_RESP}}}Response", text
    validate_xsd(OUTLOOK_XSD, text)
    err = kids[0].find("ol:Error", NSMAP)
    assert err is not None, text
    assert err.findtext("ol:ErrorCode", namespaces=NSMAP) == str(code), text
    assert (err.findtext("ol:Message", namespaces=NSMAP) or "").strip(), text
    return text


def without_stamps(text, *addresses):
    """A document with the per-response Time/Id attributes and the given addresses blanked, to
    compare answers that must not differ."""
    text = re.sub(r'\s(Time|Id)="[^"]*"', "", text)
    for a in addresses:
        text = re.sub(re.escape(a), "ADDRESS", text, flags=re.I)
    return text


# --- v2 JSON and autoconfig ----------------------------------------------------------------------

def v2_path(address, protocol="ActiveSync"):
    q = "" if protocol is None else f"?Protocol={protocol}"
    return f"/autodiscover/autodiscover.json/v1.0/{address}{q}"


def json_of(resp, status):
    assert resp.status == status, f"HTTP {resp.status}: {resp.body[:400]!r}"
    ctype = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    assert ctype == "application/json", resp.headers
    return json.loads(resp.body)


def v2_ok(resp, protocol, url):
    assert json_of(resp, 200) == {"Protocol": protocol, "Url": url}


def v2_error(resp, status, code):
    d = json_of(resp, status)
    assert set(d) == {"ErrorCode", "ErrorMessage"}, d
    assert d["ErrorCode"] == code, d
    assert isinstance(d["ErrorMessage"], str) and d["ErrorMessage"].strip(), d


def autoconfig(resp):
    """clientConfig 1.1 with one emailProvider, validated against autoconfig-1.1.xsd; servers as
    (element, type, {child: text}) in document order."""
    assert resp.status == 200, f"HTTP {resp.status}: {resp.body[:400]!r}"
    ctype = (resp.header("Content-Type") or "").split(";")[0].strip().lower()
    assert ctype == "text/xml", resp.headers
    text = resp.body.decode("utf-8")
    assert "<!DOCTYPE" not in text
    validate_xsd(AUTOCONFIG_XSD, text)
    root = ET.fromstring(resp.body)
    assert root.tag == "clientConfig" and root.get("version") == "1.1", text
    (prov,) = root.findall("emailProvider")
    servers = [(e.tag, e.get("type"), {c.tag: (c.text or "") for c in e})
               for e in prov if e.tag in ("incomingServer", "outgoingServer")]
    for tag, typ, kids in servers:
        if typ == "activesync":
            assert set(kids) == {"url", "username", "authentication"}, text
            assert kids["authentication"] == "basic", text
        else:
            assert set(kids) == {"hostname", "port", "socketType", "authentication",
                                 "username"}, text
            assert kids["authentication"] == "password-cleartext", text
    return SimpleNamespace(text=text, domains=[d.text for d in prov.findall("domain")],
                           display_name=prov.findtext("displayName"),
                           short_name=prov.findtext("displayShortName"), servers=servers)


# --- the error log -------------------------------------------------------------------------------

def watch(env):
    """A fresh look at the error log (from now on)."""
    return LogWatch(env.error_log)


def refusal_lines(w, *needles):
    """Waits for an EAS09xxx line containing every needle since w was made; returns every
    EAS09xxx line since then."""
    def lines():
        return [ln for ln in w.new_lines() if TAG.search(ln)]
    wait_for(lambda: any(all(n in ln for n in needles) for ln in lines()), timeout=10)
    return lines()


def assert_one_info_refusal(w, *needles):
    """A refusal logs exactly one EAS09xxx line, at INFO, naming the needles (user, address)."""
    found = refusal_lines(w, *needles)
    assert len(found) == 1 and all(n in found[0] for n in needles), \
        "expected one EAS09xxx line with %r, got:\n%s" % (needles, "\n".join(w.new_lines()))
    assert "[autodiscover:info]" in found[0], found[0]
    return found[0]
