#!/usr/bin/env python3
"""uafake.py - test tool: OPC UA and TLS replies, right and wrong, for
plantca-station scan (transfer/station/opcua.c, scan_net.c).

  uafake.py serve MODE PORT     a hostile server on 127.0.0.1:PORT; prints
                                "ready" when it listens, serves until killed
  uafake.py stream NAME         one server byte stream of the table below,
                                on stdout (for tests and seeds)
  uafake.py hold N COUNTFILE    N silent listeners on 127.0.0.1 (their
                                ports on stdout, one line); each connection
                                is held open and never answered; COUNTFILE
                                holds the number of connections accepted
  uafake.py table OUT CORPUS    writes the bad-input table OUT (NAME TAB hex
                                of the server's bytes TAB expected message)
                                and one fuzz seed per row into CORPUS

A "stream" is every byte the server sends, in order: Acknowledge,
OpenSecureChannel response, GetEndpoints response chunk(s).  The client's
requests are not answered one by one here: opcua.c reads exactly what it
expects, so the stream is read as the real exchange would be.

MODE (serve): garbage (random bytes), tls-huge (a TLS 1.2 ServerHello, then
a Certificate message saying 16 MB and 100 MB of bytes), trickle-tls and
trickle-ua (a record or message header, then one byte every 0.25 s),
ua-huge (Acknowledge, then an OpenSecureChannel response saying 100 MB),
ua-endless (a good channel, then GetEndpoints chunks without end),
ua-good (a well-formed server with one SecurityPolicy None endpoint).
"""
import os
import socket
import struct
import sys
import threading
import time

NONE = b"http://opcfoundation.org/UA/SecurityPolicy#None"
CHANNEL, TOKEN = 7, 9


def u32(v):
    return struct.pack("<I", v & 0xffffffff)


def s(b):
    """String / ByteString: Int32 length and bytes; None is null."""
    if b is None:
        return u32(0xffffffff)
    return u32(len(b)) + b


def msg(kind, body, chunk=b"F", size=None):
    n = 8 + len(body) if size is None else size
    return kind + chunk + u32(n) + body


def ack(rbuf=65536, size=None, body=None):
    b = u32(0) + u32(rbuf) + u32(65536) + u32(1 << 22) + u32(64) if body is None else body
    return msg(b"ACK", b, size=size)


def response_header(handle, result=0, diag=b"\x00", strings=u32(0), ext=b"\x00\x00\x00"):
    return struct.pack("<q", 0) + u32(handle) + u32(result) + diag + strings + ext


def nodeid(i):
    return b"\x01\x00" + struct.pack("<H", i)


def opn(policy=NONE, seq=1, req=1, type_id=449, handle=1, result=0, channel=CHANNEL,
        token_channel=CHANNEL, tail=b"", header=None, size=None):
    h = response_header(handle, result) if header is None else header
    body = (u32(channel) + s(policy) + s(None) + s(None) + u32(seq) + u32(req) +
            nodeid(type_id) + h + u32(0) + u32(token_channel) + u32(TOKEN) +
            struct.pack("<q", 0) + u32(600000) + s(None) + tail)
    return msg(b"OPN", body, size=size)


def endpoint(uri=b"urn:fake", cert=b"", mode=1, policy=NONE, tokens=1, cert_field=None,
             ltext=None):
    ltext = b"\x02" + s(b"fake server") if ltext is None else ltext
    app = s(uri) + s(b"urn:product") + ltext + u32(0) + s(None) + s(None) + u32(0)
    toks = u32(tokens) + b"".join(s(b"anon") + u32(0) + s(None) + s(None) + s(None)
                                  for _ in range(tokens))
    cf = s(cert or None) if cert_field is None else cert_field
    return (s(b"opc.tcp://127.0.0.1:4840") + app + cf + u32(mode) + s(policy) +
            toks + s(b"http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary") +
            b"\x00")


def getep_body(eps, type_id=431, handle=2, result=0, count=None, trail=b""):
    n = len(eps) if count is None else count
    return nodeid(type_id) + response_header(handle, result) + u32(n) + b"".join(eps) + trail


def msgchunk(body, seq=2, req=2, chunk=b"F", channel=CHANNEL, token=TOKEN, size=None):
    return msg(b"MSG", u32(channel) + u32(token) + u32(seq) + u32(req) + body, chunk, size)


def good(eps=None):
    return ack() + opn() + msgchunk(getep_body(eps or [endpoint()]))


def err(code, reason):
    return msg(b"ERR", u32(code) + s(reason))


# name, server bytes, the exact message st_ua_probe must give
def cases():
    g_ack, g_opn = ack(), opn()
    body = getep_body([endpoint()])
    big = 65537
    rows = [
        ("empty", b"", "the server closed the connection"),
        ("http", b"HTTP/1.1 400 Bad Request\r\n\r\n", "expected message type ACK, got 'HTT'"),
        ("ack-short", ack()[:20], "the server closed the connection"),
        ("ack-size-small", ack(size=20, body=b"\x00" * 12), "Acknowledge: 20 bytes, expected 28"),
        ("ack-size-huge", ack(size=104857600), "ACK message of 104857600 bytes (at most 65536, "
         "as our Hello said)"),
        ("ack-chunk-c", msg(b"ACK", ack()[8:], b"C"), "Acknowledge: not a final chunk"),
        ("ack-chunk-x", msg(b"ACK", ack()[8:], b"X"), "ACK message: chunk type 0x58"),
        ("ack-buffer-small", ack(rbuf=1024), "Acknowledge: receive buffer of 1024 bytes "
         "(at least 8192)"),
        ("error", err(0x80010000, b"no thanks"), "server sent Error 0x80010000 'no thanks'"),
        ("error-escaped", err(0x80010000, b"\x1b[2J"), "server sent Error 0x80010000 '\\x1b[2J'"),
        ("error-malformed", msg(b"ERR", u32(1) + u32(50) + b"x"), "malformed Error message"),
        ("error-huge", msg(b"ERR", b"", size=1 << 30), "Error message of 1073741824 bytes"),
        ("opn-policy", g_ack + opn(policy=b"http://opcfoundation.org/UA/SecurityPolicy#Basic256"),
         "OpenSecureChannel response: security policy is not None"),
        ("opn-request", g_ack + opn(req=5), "OpenSecureChannel response: answers request 5, "
         "not 1"),
        ("opn-type", g_ack + opn(type_id=999), "OpenSecureChannel response: unexpected "
         "response type (ns=0;i=999)"),
        ("opn-fault", g_ack + opn(type_id=397, result=0x80010000), "OpenSecureChannel "
         "response: service fault 0x80010000"),
        ("opn-bad-result", g_ack + opn(result=0x80340000), "OpenSecureChannel response: "
         "service result 0x80340000"),
        ("opn-handle", g_ack + opn(handle=3), "OpenSecureChannel response: answers request "
         "handle 3, not 1"),
        ("opn-trailing", g_ack + opn(tail=b"\x00"), "OpenSecureChannel response: malformed body"),
        ("opn-token", g_ack + opn(token_channel=8), "OpenSecureChannel response: channel 7, "
         "token for 8"),
        ("opn-zero-channel", g_ack + opn(channel=0, token_channel=0),
         "OpenSecureChannel response: channel 0, token for 0"),
        ("opn-diag-deep", g_ack + opn(header=response_header(1, diag=b"\x40" * 8)),
         "OpenSecureChannel response: malformed ResponseHeader"),
        ("opn-diag-reserved", g_ack + opn(header=response_header(1, diag=b"\x80")),
         "OpenSecureChannel response: malformed ResponseHeader"),
        ("opn-strings-many", g_ack + opn(header=response_header(1, strings=u32(5000))),
         "OpenSecureChannel response: malformed ResponseHeader"),
        ("opn-huge", g_ack + opn(size=104857600), "OPN message of 104857600 bytes (at most "
         "65536, as our Hello said)"),
        ("opn-chunk", g_ack + msg(b"OPN", opn()[8:], b"C"),
         "OpenSecureChannel response: not a final chunk"),
        ("msg-channel", g_ack + g_opn + msgchunk(body, channel=8), "GetEndpoints response: "
         "channel 8 token 9, not 7 9"),
        ("msg-request", g_ack + g_opn + msgchunk(body, req=9), "GetEndpoints response: answers "
         "request 9, not 2"),
        ("msg-type", g_ack + g_opn + msgchunk(getep_body([endpoint()], type_id=1)),
         "GetEndpoints response: unexpected response type (ns=0;i=1)"),
        ("msg-fault", g_ack + g_opn + msgchunk(getep_body([], type_id=397, result=0x800d0000)),
         "GetEndpoints response: service fault 0x800d0000"),
        ("msg-bad-result", g_ack + g_opn + msgchunk(getep_body([], result=0x800d0000)),
         "GetEndpoints response: service result 0x800d0000"),
        ("msg-count", g_ack + g_opn + msgchunk(getep_body([], count=100000)),
         "GetEndpoints response: malformed or more than 1024 endpoints"),
        ("msg-truncated", g_ack + g_opn + msgchunk(getep_body([endpoint()], count=2)),
         "GetEndpoints response: endpoint 1 is malformed"),
        ("msg-trailing", g_ack + g_opn + msgchunk(getep_body([endpoint()], trail=b"xx")),
         "GetEndpoints response: 2 bytes after the endpoints"),
        ("msg-uri-long", g_ack + g_opn + msgchunk(getep_body([endpoint(uri=b"u" * 1025)])),
         "GetEndpoints response: endpoint 0: ApplicationUri longer than 1024 bytes"),
        ("msg-policy-long", g_ack + g_opn + msgchunk(getep_body([endpoint(policy=b"p" * 2000)])),
         "GetEndpoints response: endpoint 0: security policy URI longer than 1024 bytes"),
        ("msg-tokens-many", g_ack + g_opn + msgchunk(getep_body([endpoint(tokens=5000)])[:2000]),
         "GetEndpoints response: endpoint 0 is malformed"),
        ("msg-cert-length", g_ack + g_opn + msgchunk(getep_body([endpoint(cert_field=u32(0x7fffffff))])),
         "GetEndpoints response: endpoint 0 is malformed"),
        ("msg-ltext-mask", g_ack + g_opn + msgchunk(getep_body([endpoint(ltext=b"\x04")])),
         "GetEndpoints response: endpoint 0 is malformed"),
        ("msg-abort", g_ack + g_opn + msgchunk(u32(0x80020000) + s(b"bye"), chunk=b"A"),
         "GetEndpoints response: aborted by the server: 0x80020000 'bye'"),
        ("msg-abort-bad", g_ack + g_opn + msgchunk(u32(1), chunk=b"A"),
         "GetEndpoints response: malformed abort chunk"),
        ("msg-seq", g_ack + g_opn + msgchunk(body[:10], chunk=b"C", seq=5) +
         msgchunk(body[10:], seq=9), "GetEndpoints response: sequence number 9 after 5"),
        ("msg-chunks", g_ack + g_opn + b"".join(msgchunk(b"", chunk=b"C", seq=2 + k)
                                                for k in range(65)),
         "GetEndpoints response: more than 64 chunks"),
        ("msg-chunk-huge", g_ack + g_opn + msgchunk(body, size=big),
         "MSG message of 65537 bytes (at most 65536, as our Hello said)"),
        ("msg-not-msg", g_ack + g_opn + msg(b"CLO", b""), "expected message type MSG, got 'CLO'"),
    ]
    return rows


def stream(name):
    for n, b, _ in cases():
        if n == name:
            return b
    if name == "good":
        return good()
    raise SystemExit("no stream " + name)


# ------------------------------------------------------------------ serving

def server_hello():
    """A TLS 1.2 ServerHello choosing TLS_RSA_WITH_AES_128_GCM_SHA256."""
    body = b"\x03\x03" + os.urandom(32) + b"\x00" + b"\x00\x9c" + b"\x00"
    hs = b"\x02" + len(body).to_bytes(3, "big") + body
    return b"\x16\x03\x03" + len(hs).to_bytes(2, "big") + hs


def serve_one(conn, mode):
    conn.settimeout(60)
    try:
        if mode == "garbage":
            conn.recv(65536)
            conn.sendall(os.urandom(4096))
            time.sleep(1)
        elif mode == "tls-huge":
            conn.recv(65536)
            # a Certificate message of 16 MB (the largest a TLS handshake
            # message can say), then 100 MB of what it claims is in it
            cert = b"\x0b" + (0xffffff).to_bytes(3, "big")
            conn.sendall(server_hello() + b"\x16\x03\x03\x40\x00" + cert)
            chunk = b"\x00" * 65536
            for _ in range(100 * 16):
                conn.sendall(chunk)
        elif mode in ("trickle-tls", "trickle-ua"):
            conn.recv(65536)
            head = b"\x16\x03\x03\x40\x00" if mode == "trickle-tls" else b"ACKF" + u32(28)
            for b in head + b"\x00" * 10000:
                conn.sendall(bytes([b]))
                time.sleep(0.25)
        elif mode == "ua-huge":
            conn.recv(65536)
            conn.sendall(ack())
            conn.recv(65536)
            conn.sendall(b"OPNF" + u32(104857600))
            for _ in range(100 * 16):
                conn.sendall(b"\x00" * 65536)
        elif mode == "ua-endless":
            conn.recv(65536)
            conn.sendall(ack())
            conn.recv(65536)
            conn.sendall(opn())
            conn.recv(65536)
            seq = 2
            while True:
                conn.sendall(msgchunk(b"\x00" * 1000, chunk=b"C", seq=seq))
                seq += 1
        elif mode == "ua-good":
            conn.recv(65536)
            conn.sendall(ack())
            conn.recv(65536)
            conn.sendall(opn())
            conn.recv(65536)
            conn.sendall(msgchunk(getep_body([endpoint()])))
            conn.recv(65536)
    except OSError:
        pass
    finally:
        conn.close()


def serve(mode, port):
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("127.0.0.1", port))
    ls.listen(16)
    print("ready", flush=True)
    deadline = time.time() + 300     # a test server never outlives its test by much
    ls.settimeout(5)
    while time.time() < deadline:
        try:
            conn, _ = ls.accept()
        except socket.timeout:
            continue
        threading.Thread(target=serve_one, args=(conn, mode), daemon=True).start()


def hold(n, countfile):
    lock = threading.Lock()
    held = []
    accepted = [0]

    def listen(ls):
        while True:
            conn, _ = ls.accept()
            with lock:
                held.append(conn)          # kept open, never read or closed
                accepted[0] += 1
                with open(countfile + ".tmp", "w") as f:
                    f.write("%d\n" % accepted[0])
                os.replace(countfile + ".tmp", countfile)

    socks = []
    for _ in range(n):
        ls = socket.socket()
        ls.bind(("127.0.0.1", 0))
        ls.listen(64)
        socks.append(ls)
    with open(countfile, "w") as f:
        f.write("0\n")
    print(" ".join(str(ls.getsockname()[1]) for ls in socks), flush=True)
    for ls in socks:
        threading.Thread(target=listen, args=(ls,), daemon=True).start()
    time.sleep(300)                    # a test server never outlives its test by much


def table(out, corpus):
    os.makedirs(corpus, exist_ok=True)
    with open(out, "w") as f:
        f.write("# Bad OPC UA server replies and the exact error plantca-station scan gives\n"
                "# (transfer/station/opcua.c).  Made by tests/tools/uafake.py table; the\n"
                "# columns: NAME TAB hex of every byte the server sends TAB message.\n"
                "# The row 'good' must parse.\n")
        f.write("good\t%s\t\n" % good().hex())
        for n, b, m in cases():
            f.write("%s\t%s\t%s\n" % (n, b.hex(), m))
            with open(os.path.join(corpus, "table-" + n), "wb") as g:
                g.write(b)
    with open(os.path.join(corpus, "good"), "wb") as g:
        g.write(good())
    with open(os.path.join(corpus, "good-3"), "wb") as g:
        g.write(good([endpoint(), endpoint(mode=3, policy=NONE[:-4] + b"Basic256Sha256"),
                      endpoint(uri=b"urn:\xe2\x80\xaeevil")]))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 3 and sys.argv[1] == "stream":
        sys.stdout.buffer.write(stream(sys.argv[2]))
    elif len(sys.argv) == 4 and sys.argv[1] == "hold":
        hold(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "table":
        table(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
