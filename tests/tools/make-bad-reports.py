#!/usr/bin/env python3
"""make-bad-reports.py - the table of bad scan reports
(tests/unit/transfer/bad-scan-report.txt) and the fuzz_scanreport seeds.

  make-bad-reports.py TABLE CORPUS

Each row: NAME TAB hex of the report TAB the exact message sr_parse gives
(transfer/scanreport.c; the source is named "report").  The row 'good'
must parse.  Each case changes one thing of a good report (docs/discovery.md
has the grammar) and its message is written here by hand, from the
grammar, not copied from the program's output.
"""
import os
import sys

GOOD = [
    "plantca-scan: 1",
    "segment: line3",
    "started: 2026-12-01T10:00:00Z",
    "finished: 2026-12-01T10:00:07Z",
    "cert: 0 MAMCAQE=",
    "cert: 1 MAMCAQI=",
    "endpoint: tls://127.0.0.1:8443",          # line 7
    "result: ok",
    "tls: TLSv1.3",
    "chain: 0 1",                              # line 10
    "endpoint: opc.tcp://[::1]:4840",
    "result: ok",
    "ua: None 0 http://opcfoundation.org/UA/SecurityPolicy#None urn:x%20y",
    "ua: mode-7 - - -",                        # line 14
    "endpoint: dir:/srv/pki/own/certs/a%20b.der",
    "result: ok",
    "chain: 1",
    "endpoint: mqtts://broker.line3:8883",     # line 18
    "result: timeout TLS: no complete handshake within 3000 ms",
]


def text(lines):
    return ("\n".join(lines) + "\n").encode()


def put(lines, i, new):
    """line i (1-based) replaced; new None drops it; a list inserts"""
    out = list(lines)
    if new is None:
        del out[i - 1]
    elif isinstance(new, list):
        out[i - 1:i] = new
    else:
        out[i - 1] = new
    return out


R = "report"
CASES = [
    ("empty", b"", R + ": report ends inside its header"),
    ("head-only", text(GOOD[:1]), R + ": report ends inside its header"),
    ("format-2", text(put(GOOD, 1, "plantca-scan: 2")),
     R + ":1: report format 2, this plantca reads 1"),
    ("format-01", text(put(GOOD, 1, "plantca-scan: 01")),
     R + ':1: not a plantca scan report (want "plantca-scan: 1")'),
    ("not-a-report", b"hello: world\n", R + ':1: not a plantca scan report (want "plantca-scan: 1")'),
    ("crlf", text(GOOD).replace(b"\n", b"\r\n", 1), R + ":1: byte 0x0d: only printable ASCII is allowed"),
    ("tab", text(put(GOOD, 8, "result:\tok")), R + ":8: byte 0x09: only printable ASCII is allowed"),
    ("utf8", text(put(GOOD, 19, "result: timeout caf\u00e9")),
     R + ":19: byte 0xc3: only printable ASCII is allowed"),
    ("no-final-lf", text(GOOD)[:-1], R + ":19: last line does not end with LF"),
    ("no-space", text(put(GOOD, 8, "result:ok")), R + ':8: want "key: value"'),
    ("empty-value", text(put(GOOD, 8, "result: ")), R + ':8: want "key: value"'),
    ("no-colon", text(put(GOOD, 8, "result")), R + ':8: want "key: value"'),
    ("segment-upper", text(put(GOOD, 2, "segment: Line3")),
     R + ":2: segment: not [a-z0-9][a-z0-9-]{0,62}"),
    ("segment-missing", text(put(GOOD, 2, None)), R + ':2: want "segment: NAME"'),
    ("started-bad", text(put(GOOD, 3, "started: 2026-12-01 10:00:00")),
     R + ':3: want "started: YYYY-MM-DDTHH:MM:SSZ"'),
    ("finished-missing", text(put(GOOD, 4, None)),
     R + ':4: want "finished: YYYY-MM-DDTHH:MM:SSZ"'),
    ("finished-before", text(put(GOOD, 4, "finished: 2026-12-01T09:59:59Z")),
     R + ":4: finished is before started"),
    ("cert-index", text(put(GOOD, 5, "cert: 1 MAMCAQE=")), R + ":5: cert: index 1, expected 0"),
    ("cert-index-00", text(put(GOOD, 5, "cert: 00 MAMCAQE=")), R + ":5: cert: want INDEX BASE64"),
    ("cert-no-data", text(put(GOOD, 5, "cert: 0")), R + ":5: cert: want INDEX BASE64"),
    ("cert-padding", text(put(GOOD, 5, "cert: 0 MAMCAQE")), R + ":5: cert: malformed base64"),
    ("cert-urlsafe", text(put(GOOD, 5, "cert: 0 MAMC_QE=")), R + ":5: cert: malformed base64"),
    ("cert-not-canonical", text(put(GOOD, 5, "cert: 0 MAMCAQF=")),
     R + ":5: cert: malformed base64"),   # libsodium refuses bits past the end
    ("cert-not-der", text(put(GOOD, 5, "cert: 0 AAAA")),
     R + ":5: cert: certificate is not one DER SEQUENCE"),
    ("cert-trailing", text(put(GOOD, 5, "cert: 0 MAMCAQEA")),
     R + ":5: cert: certificate is not one DER SEQUENCE"),
    ("cert-twice", text(put(GOOD, 6, "cert: 1 MAMCAQE=")), R + ":6: cert: the same certificate as 0"),
    ("cert-late", text(put(GOOD, 8, ["result: ok", "cert: 2 MAMCAQM="])),
     R + ":9: cert: after the first endpoint"),
    ("kind", text(put(GOOD, 7, "endpoint: ftp://127.0.0.1:21")),
     R + ":7: endpoint: unknown kind (tls://, mqtts://, opc.tcp://, dir:)"),
    ("port-0", text(put(GOOD, 7, "endpoint: tls://127.0.0.1:0")), R + ":7: endpoint: port is not 1..65535"),
    ("port-big", text(put(GOOD, 7, "endpoint: tls://127.0.0.1:65536")),
     R + ":7: endpoint: port is not 1..65535"),
    ("port-zero-lead", text(put(GOOD, 7, "endpoint: tls://127.0.0.1:08443")),
     R + ":7: endpoint: port is not 1..65535"),
    ("port-missing", text(put(GOOD, 7, "endpoint: tls://127.0.0.1")),
     R + ":7: endpoint: malformed host:port"),
    ("host-space", text(put(GOOD, 7, "endpoint: tls://a b:1")), R + ":7: endpoint: malformed host:port"),
    ("host-empty", text(put(GOOD, 7, "endpoint: tls://:1")), R + ":7: endpoint: malformed host:port"),
    ("v6-open", text(put(GOOD, 11, "endpoint: opc.tcp://[::1:4840")),
     R + ":11: endpoint: malformed [address]:port"),
    ("v6-name", text(put(GOOD, 11, "endpoint: opc.tcp://[host]:4840")),
     R + ":11: endpoint: malformed [address]:port"),
    # digits alone in brackets are no IPv6 address (found by fuzz_scanreport:
    # read as a host that the writer then wrote without brackets)
    ("v6-digits", text(put(GOOD, 11, "endpoint: opc.tcp://[5555555555555]:4840")),
     R + ":11: endpoint: malformed [address]:port"),
    ("v6-two-gaps", text(put(GOOD, 11, "endpoint: opc.tcp://[1::2::3]:4840")),
     R + ":11: endpoint: malformed [address]:port"),
    ("dir-dash", text(put(GOOD, 15, "endpoint: dir:-")), R + ":15: endpoint: malformed dir: path"),
    ("dir-lower-hex", text(put(GOOD, 15, "endpoint: dir:/a%2fb")), R + ":15: endpoint: malformed dir: path"),
    ("dir-needless", text(put(GOOD, 15, "endpoint: dir:/a%41")), R + ":15: endpoint: malformed dir: path"),
    ("dir-nul", text(put(GOOD, 15, "endpoint: dir:/a%00")), R + ":15: endpoint: malformed dir: path"),
    ("no-result", text(put(GOOD, 8, None)), R + ":8: tls: before the endpoint's result line"),
    ("no-result-next", text(GOOD[:18] + ["endpoint: tls://h:1", "result: ok"]),
     R + ":19: endpoint: the one before has no result line"),
    ("last-no-result", text(put(GOOD, 19, None)), R + ": the last endpoint has no result line"),
    ("result-word", text(put(GOOD, 8, "result: fine")),
     R + ":8: result: unknown result (ok, timeout, refused, unreachable, error)"),
    ("result-ok-reason", text(put(GOOD, 8, "result: ok but")), R + ":8: result: ok takes no reason"),
    ("result-space", text(put(GOOD, 19, "result: timeout  x")),
     R + ":19: result: reason empty, longer than 300 or with spaces around it"),
    ("result-long", text(put(GOOD, 19, "result: error " + "x" * 301)),
     R + ":19: result: reason empty, longer than 300 or with spaces around it"),
    ("result-twice", text(put(GOOD, 9, "result: ok")), R + ":9: result: twice for one endpoint"),
    ("tls-opcua", text(put(GOOD, 12, ["result: ok", "tls: TLSv1.3"])),
     R + ":13: tls: for a opc.tcp endpoint"),
    ("tls-version", text(put(GOOD, 9, "tls: TLSv1.4")),
     R + ":9: tls: unknown version (SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)"),
    ("tls-after-chain", text(put(GOOD, 10, ["chain: 0 1", "tls: TLSv1.2"])),
     R + ":11: tls: out of order (endpoint, result, tls, chain, ua)"),
    ("chain-twice", text(put(GOOD, 10, ["chain: 0 1", "chain: 0"])),
     R + ":11: chain: out of order (endpoint, result, tls, chain, ua)"),
    ("chain-range", text(put(GOOD, 10, "chain: 0 5")), R + ":10: chain: certificate 5 is not in the report"),
    ("chain-spaces", text(put(GOOD, 10, "chain: 0  1")),
     R + ":10: chain: want certificate indexes separated by one space"),
    ("chain-word", text(put(GOOD, 10, "chain: 0 one")),
     R + ":10: chain: want certificate indexes separated by one space"),
    ("chain-17", text(put(GOOD, 10, "chain: " + " ".join(["0"] * 17))),
     R + ":10: chain: more than 16 certificates"),
    ("chain-opcua", text(put(GOOD, 13, "chain: 0")),
     R + ":13: chain: for an opc.tcp endpoint (its certificates are in ua lines)"),
    ("ua-tls", text(put(GOOD, 10, "ua: None 0 - -")), R + ":10: ua: for a tls endpoint"),
    ("ua-mode", text(put(GOOD, 14, "ua: Encrypt - - -")), R + ":14: ua: unknown security mode"),
    ("ua-mode-named", text(put(GOOD, 14, "ua: mode-2 - - -")), R + ":14: ua: unknown security mode"),
    ("ua-fields-3", text(put(GOOD, 14, "ua: None - -")),
     R + ":14: ua: want MODE CERT POLICY APPLICATION-URI"),
    ("ua-fields-5", text(put(GOOD, 14, "ua: None - - - -")),
     R + ":14: ua: want MODE CERT POLICY APPLICATION-URI"),
    ("ua-cert", text(put(GOOD, 14, "ua: None 2 - -")),
     R + ":14: ua: certificate is not an index into the report or -"),
    ("ua-policy-hex", text(put(GOOD, 14, "ua: None - a%2f -")), R + ":14: ua: malformed security policy URI"),
    ("ua-policy-long", text(put(GOOD, 14, "ua: None - " + "p" * 1025 + " -")),
     R + ":14: ua: malformed security policy URI"),
    ("ua-uri-needless", text(put(GOOD, 14, "ua: None - - %41")), R + ":14: ua: malformed ApplicationUri"),
    ("ua-uri-cut", text(put(GOOD, 14, "ua: None - - a%2")), R + ":14: ua: malformed ApplicationUri"),
    ("unknown-key", text(put(GOOD, 10, "note: hello")), R + ":10: unknown key 'note'"),
    ("key-before-endpoint", text(put(GOOD, 7, "result: ok")), R + ":7: result: before the first endpoint"),
    ("endpoint-twice", text(GOOD + ["endpoint: tls://127.0.0.1:8443", "result: refused"]),
     R + ": an endpoint is listed twice"),
]

EXTRA_GOOD = [
    ("good-empty", text(GOOD[:4])),
    ("good-dash-token", text(put(GOOD, 14, "ua: mode-7 - %2D --"))),
]


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    table, corpus = sys.argv[1], sys.argv[2]
    os.makedirs(corpus, exist_ok=True)
    with open(table, "w") as f:
        f.write("# Bad scan reports and the exact error the reader gives (transfer/scanreport.c;\n"
                "# made by tests/tools/make-bad-reports.py).  NAME TAB hex TAB message; the\n"
                "# rows named good* must parse.\n")
        f.write("good\t%s\t\n" % text(GOOD).hex())
        for n, b in EXTRA_GOOD:
            f.write("%s\t%s\t\n" % (n, b.hex()))
        for n, b, m in CASES:
            f.write("%s\t%s\t%s\n" % (n, b.hex(), m))
            with open(os.path.join(corpus, "table-" + n), "wb") as g:
                g.write(b)
    for n, b in [("good", text(GOOD))] + EXTRA_GOOD:
        with open(os.path.join(corpus, n), "wb") as g:
            g.write(b)


if __name__ == "__main__":
    main()
