"""WBXML for the integration tests: encoded and decoded with the project's own codec
(build/bin/eas-wbxml), every server response cross-checked with libwbxml's wbxml2xml (the
independent oracle) and validated against Microsoft's XSDs (../shared/eas-reference/validate-xml)."""
import os
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET

TOP = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BIN = os.path.join(TOP, "build", "bin", "eas-wbxml")
REF = os.environ.get("EAS_REFERENCE_DIR",
                     os.path.join(os.path.dirname(TOP), "shared", "eas-reference"))


def encode(xml):
    r = subprocess.run([BIN, "encode", "-"], input=xml.encode() if isinstance(xml, str) else xml,
                       capture_output=True, check=True)
    return r.stdout


def decode(wbxml):
    r = subprocess.run([BIN, "decode", "-"], input=wbxml, capture_output=True)
    if r.returncode != 0:
        raise AssertionError(f"eas-wbxml cannot decode the response: {r.stderr.decode()}")
    return r.stdout.decode()


def _shape(root):
    """(depth, text) of every element in document order: what a decoder must agree on whatever
    names it gives the tags (libwbxml uses some pre-2010 names)."""
    out = []

    def walk(e, d):
        out.append((d, (e.text or "").strip()))
        for c in e:
            walk(c, d + 1)
    walk(root, 0)
    return out


def oracle_check(wbxml, ours_xml):
    """libwbxml must decode the same bytes to the same tree shape and text."""
    with tempfile.NamedTemporaryFile(suffix=".wbxml", delete=False) as f:
        f.write(wbxml)
        path = f.name
    try:
        r = subprocess.run(["wbxml2xml", "-l", "ACTIVESYNC", "-o", "-", path],
                           capture_output=True)
    finally:
        os.unlink(path)
    assert r.returncode == 0, f"libwbxml rejects the server's WBXML: {r.stderr.decode()}"
    theirs = re.sub(rb"<!DOCTYPE[^>]*>", b"", r.stdout)
    assert _shape(ET.fromstring(theirs)) == _shape(ET.fromstring(ours_xml.encode())), \
        "libwbxml and eas-wbxml decode the response differently"


def validate(xml):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
        path = f.name
    try:
        r = subprocess.run([os.path.join(REF, "validate-xml"), path], capture_output=True,
                           text=True)
    finally:
        os.unlink(path)
    assert r.returncode == 0, f"response does not validate against the XSDs:\n{r.stdout}{r.stderr}\n{xml}"


class Doc:
    """A decoded response (or one element of it) with namespace-agnostic lookups:
    doc.find('Policies/Policy/Status'), doc.text('Status'), node.findall('Commands/Add')."""

    def __init__(self, xml=None, root=None):
        self.xml = xml
        self.root = root if root is not None else ET.fromstring(xml.encode())

    @staticmethod
    def _local(tag):
        return tag.split("}")[-1]

    def _walk(self, node, parts):
        if not parts:
            return [node]
        out = []
        for c in node:
            if self._local(c.tag) == parts[0]:
                out += self._walk(c, parts[1:])
        return out

    def findall(self, path):
        return [Doc(root=e) for e in self._walk(self.root, path.split("/"))]

    def find(self, path):
        r = self.findall(path)
        return r[0] if r else None

    def text(self, path=None):
        e = self.find(path) if path else self
        return None if e is None else (e.root.text or "")

    def children(self):
        return [Doc(root=c) for c in self.root]

    @property
    def name(self):
        return self._local(self.root.tag)
