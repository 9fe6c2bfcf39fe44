"""A tiny SMTP server for the tests: records every message byte for byte (envelope, AUTH, whether
TLS was on) and can be told to refuse (a code for MAIL/RCPT/DATA, a recipient to reject) or to be
down. STARTTLS with a throw-away certificate when `tls_cert`/`tls_key` are given.

    sink = SmtpSink(); sink.start()          # sink.port
    ...                                      # mod_eas sends through smtp://127.0.0.1:<port>
    msg = sink.wait_for(1)[0]                # msg.mail_from, msg.rcpt, msg.data (bytes)
    sink.reject_rcpt["bad@ext.test"] = "550 5.1.1 no such user"
    sink.fail_data = "451 4.3.0 try later"; sink.down()  # stops listening; sink.up() again
"""
import base64
import socket
import socketserver
import ssl
import threading
import time


class Message:
    def __init__(self):
        self.helo = None
        self.mail_from = None
        self.rcpt = []
        self.data = b""
        self.auth = None  # (authzid, user, password) of AUTH PLAIN
        self.tls = False

    def __repr__(self):
        return f"<Message from={self.mail_from} rcpt={self.rcpt} {len(self.data)} bytes>"


class _Handler(socketserver.StreamRequestHandler):
    timeout = 30
    # replies are written line by line: with Nagle on, delayed ACKs stall each exchange ~40 ms
    disable_nagle_algorithm = True

    def send(self, line):
        self.wfile.write(line.encode() + b"\r\n")
        self.wfile.flush()

    def readline(self):
        line = self.rfile.readline(65536)
        if not line:
            raise EOFError
        return line

    def handle(self):
        sink = self.server.sink
        sink.connections += 1
        msg = Message()
        tls = False
        self.send("220 sink.test ESMTP test sink")
        try:
            while True:
                raw = self.readline()
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                verb = line.split(" ", 1)[0].upper()
                sink.commands.append(line if not verb == "AUTH" else "AUTH ...")
                if verb in ("EHLO", "HELO"):
                    msg.helo = line[5:]
                    ext = ["250-sink.test", "250-8BITMIME", "250-SIZE 52428800",
                           "250-PIPELINING"]
                    if sink.tls_cert and not tls:
                        ext.append("250-STARTTLS")
                    if sink.auth_required or tls or not sink.tls_cert:
                        ext.append("250-AUTH PLAIN")
                    ext.append("250 ENHANCEDSTATUSCODES")
                    for e in ext:
                        self.wfile.write(e.encode() + b"\r\n")
                    self.wfile.flush()
                elif verb == "STARTTLS" and sink.tls_cert and not tls:
                    self.send("220 2.0.0 go ahead")
                    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
                    ctx.load_cert_chain(sink.tls_cert, sink.tls_key)
                    conn = ctx.wrap_socket(self.connection, server_side=True)
                    self.connection = conn
                    self.rfile = conn.makefile("rb")
                    self.wfile = conn.makefile("wb")
                    tls = True
                    msg = Message()
                elif verb == "AUTH":
                    parts = line.split(" ")
                    if len(parts) < 2 or parts[1].upper() != "PLAIN":
                        self.send("504 5.5.4 only PLAIN")
                        continue
                    if len(parts) == 3:
                        blob = parts[2]
                    else:
                        self.send("334 ")
                        blob = self.readline().decode().strip()
                    try:
                        authz, user, pw = base64.b64decode(blob).decode().split("\0")
                    except Exception:
                        self.send("501 5.5.2 bad AUTH PLAIN")
                        continue
                    if sink.passwords and sink.passwords.get(user) != pw:
                        self.send("535 5.7.8 authentication failed")
                        continue
                    msg.auth = (authz, user, pw)
                    self.send("235 2.7.0 authenticated")
                elif verb == "MAIL":
                    if sink.auth_required and not msg.auth:
                        self.send("530 5.7.0 authentication required")
                        continue
                    if sink.fail_mail:
                        self.send(sink.fail_mail)
                        continue
                    msg.mail_from = line[line.index(":") + 1:].strip().split(" ")[0].strip("<>")
                    msg.rcpt = []
                    self.send("250 2.1.0 ok")
                elif verb == "RCPT":
                    addr = line[line.index(":") + 1:].strip().split(" ")[0].strip("<>")
                    if addr.lower() in sink.reject_rcpt:
                        self.send(sink.reject_rcpt[addr.lower()])
                        continue
                    msg.rcpt.append(addr)
                    self.send("250 2.1.5 ok")
                elif verb == "DATA":
                    if not msg.rcpt:
                        self.send("554 5.5.1 no valid recipients")
                        continue
                    self.send("354 end with <CRLF>.<CRLF>")
                    chunks = []
                    while True:
                        d = self.readline()
                        if d == b".\r\n":
                            break
                        if d.startswith(b"."):
                            d = d[1:]  # dot-unstuffing
                        chunks.append(d)
                    msg.data = b"".join(chunks)
                    msg.tls = tls
                    if sink.fail_data:
                        self.send(sink.fail_data)
                    else:
                        with sink.lock:
                            sink.messages.append(msg)
                        self.send("250 2.0.0 queued as %d" % len(sink.messages))
                    old, msg = msg, Message()
                    msg.auth, msg.helo = old.auth, old.helo
                elif verb == "RSET":
                    auth = msg.auth
                    msg = Message()
                    msg.auth = auth
                    self.send("250 2.0.0 ok")
                elif verb == "NOOP":
                    self.send("250 2.0.0 ok")
                elif verb == "QUIT":
                    self.send("221 2.0.0 bye")
                    return
                else:
                    self.send("502 5.5.2 unknown command")
        except (EOFError, ConnectionError, ssl.SSLError, socket.timeout, OSError):
            return


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class SmtpSink:
    def __init__(self, port=0, tls_cert=None, tls_key=None):
        self.port = port
        self.tls_cert, self.tls_key = tls_cert, tls_key
        self.messages = []
        self.commands = []
        self.connections = 0
        self.lock = threading.Lock()
        self.reject_rcpt = {}   # lower-case address -> reply line
        self.fail_mail = None   # reply line for MAIL FROM
        self.fail_data = None   # reply line after the data
        self.auth_required = False
        self.passwords = {}     # user -> password accepted by AUTH PLAIN (empty: any)
        self._server = None

    def start(self):
        self._server = _Server(("127.0.0.1", self.port), _Handler)
        self._server.sink = self
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    down = stop

    def up(self):
        if not self._server:
            self.start()

    def reset(self):
        """Forget messages and failure modes (call at the start of a test)."""
        with self.lock:
            self.messages.clear()
        self.commands.clear()
        self.reject_rcpt.clear()
        self.fail_mail = self.fail_data = None
        self.auth_required = False
        self.passwords.clear()
        self.up()

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def wait_for(self, n, timeout=10):
        """At least n messages (waits up to timeout), as a list copy."""
        end = time.time() + timeout
        while time.time() < end:
            with self.lock:
                if len(self.messages) >= n:
                    return list(self.messages)
            time.sleep(0.05)
        with self.lock:
            return list(self.messages)
