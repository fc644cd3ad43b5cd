#!/usr/bin/env python3
"""Damage every field of every record type in an `mdb_dump -a` text dump of
a real CA store, for t_records.sh.

The record format (common/rec.h): type (u8), version (u8), then fields,
each tag (u8) | length (u32 big-endian) | bytes.  The schema below is
written from that format and the field list of each record, on its own
(not read from ca/records.h): the test holds the C tables to it, and
`check` refuses a real record with a tag or a length this schema does not
expect, so a field added to the C code without a case here fails the test.

  rec_damage.py check DUMP          every record of every type parses against
                                    the schema; prints what it saw
  rec_damage.py graft DUMP FROM     DUMP with one intent record of the dump FROM
                                    added (a store left by a killed issue)
  rec_damage.py cases DUMP OUTDIR   OUTDIR/N.dump, one damaged copy per case,
                                    and OUTDIR/cases.tsv: N, record, what,
                                    expected outcome (ok | corrupt), the
                                    fragment the error message must hold
"""
import os
import sys

TEXT = 256 * 1024        # CA_REC_TEXT_MAX: text made from untrusted input
NAME = 63                # CA, segment, profile names
WORD = 16
KEYTYPE = 31
HASHHEX = 64
URI = 1024
PATH = 4096
CERT = 64 * 1024         # PKIX_CERT_MAX, PKIX_CSR_MAX
BIG = None               # no over-long case (a bound of megabytes)


def F(tag, name, kind, need="req", lo=0, hi=None, nonzero=False, repeat=1):
    """kind: u64 | str | bytes | text (bytes without NUL) | fixed:N;
    need: req | opt (absent when it has no value) | legacy (older records
    lack it)"""
    return dict(tag=tag, name=name, kind=kind, need=need, lo=lo, hi=hi,
                nonzero=nonzero, repeat=repeat)


# name, type byte, database, which record to damage (a key, or a key
# prefix for META), the fields in the order plantca writes them
RECORDS = [
    ("CA", "C", "cas", b"line3", [
        F(1, "name", "str", lo=1, hi=NAME), F(2, "key_uri", "str", lo=1, hi=URI),
        F(3, "alg", "u64"), F(4, "cert", "bytes", lo=1, hi=CERT),
        F(5, "parent", "str", hi=NAME), F(6, "created", "u64"),
        F(7, "gen", "u64", "opt", nonzero=True), F(8, "rolled", "u64", "opt", nonzero=True),
        F(9, "last_na", "u64", "opt", nonzero=True),
        F(10, "retired", "u64", "opt", nonzero=True),
        F(11, "xcert", "bytes", "opt", lo=1, hi=CERT)]),
    ("certificate", "X", "certs", None, [
        F(1, "serial", "fixed:20"), F(2, "ca", "str", lo=1, hi=NAME),
        F(3, "profile", "str", hi=NAME), F(4, "subject", "str", hi=TEXT),
        F(5, "san", "str", hi=TEXT), F(6, "nb", "u64"), F(7, "na", "u64"),
        F(8, "der", "bytes", lo=1, hi=CERT), F(9, "issued", "u64"),
        F(10, "source", "str", hi=TEXT), F(11, "segment", "str", hi=NAME),
        F(12, "keytype", "str", hi=KEYTYPE), F(13, "kind", "str", lo=1, hi=WORD),
        F(14, "policy_hash", "str", "opt", hi=HASHHEX),
        F(15, "request", "u64", "opt", nonzero=True)]),
    ("intent", "I", "intents", None, [
        F(1, "issuer", "str", lo=1, hi=NAME), F(2, "tbs", "bytes", lo=1, hi=CERT),
        F(3, "kind", "str", lo=1, hi=WORD), F(4, "profile", "str", hi=NAME),
        F(5, "subject", "str", hi=TEXT), F(6, "san", "str", hi=TEXT),
        F(7, "nb", "u64"), F(8, "na", "u64"), F(9, "source", "str", hi=TEXT),
        F(15, "segment", "str", hi=NAME), F(14, "keytype", "str", hi=KEYTYPE),
        F(16, "request", "u64", "opt", nonzero=True),
        F(17, "policy_hash", "str", "opt", hi=HASHHEX),
        F(10, "newca", "str", "opt", lo=1, hi=NAME),
        F(11, "newca_uri", "str", "opt", lo=1, hi=URI),
        F(12, "newca_alg", "u64", "opt"), F(13, "created", "u64")]),
    ("station", "S", "stations", None, [
        F(1, "segment", "str", lo=1, hi=NAME), F(2, "ca", "str", lo=1, hi=NAME),
        F(3, "pk", "fixed:32"), F(4, "last_seq", "u64"), F(5, "added", "u64"),
        F(6, "keyid", "fixed:8")]),
    ("request", "Q", "requests", None, [
        F(1, "id", "u64"), F(2, "status", "str", lo=1, hi=WORD),
        F(3, "segment", "str", lo=1, hi=NAME), F(4, "station", "str", hi=16),
        F(5, "bundle", "str", hi=100), F(6, "member", "str", hi=100),
        F(7, "profile", "str", hi=NAME), F(8, "csr", "bytes", hi=CERT),
        F(17, "csr_sha256", "fixed:32", "legacy"), F(18, "csr_bytes", "u64", "legacy"),
        F(9, "subject", "str", hi=TEXT), F(10, "san", "str", hi=TEXT),
        F(11, "keytype", "str", hi=KEYTYPE), F(12, "reason", "str", hi=TEXT),
        F(16, "ca", "str", hi=NAME), F(13, "serial", "fixed:20", "opt"),
        F(14, "created", "u64"), F(15, "exported", "u64"),
        F(19, "renews", "fixed:20", "opt")]),
    ("revocation", "R", "revocations", None, [
        F(1, "reason", "u64"), F(2, "when", "u64"), F(3, "ca", "str", lo=1, hi=NAME)]),
    # records of the second format pin a file: sha256 and size are required
    # there (the first format's der is absent)
    ("CRL", "L", "crls", b"line3", [
        F(1, "number", "u64"), F(2, "this_update", "u64"), F(3, "next_update", "u64"),
        F(5, "entries", "u64"), F(6, "sha256", "fixed:32"), F(7, "size", "u64"),
        F(4, "der", "bytes", "opt", lo=1, hi=BIG)]),
    ("signer", "F", "meta", b"signer.fw-a", [
        F(1, "name", "str", lo=1, hi=NAME), F(2, "key_uri", "str", lo=1, hi=URI),
        F(3, "serial", "fixed:20"), F(4, "ca", "str", lo=1, hi=NAME),
        F(5, "alg", "u64"), F(6, "created", "u64")]),
    ("firmware", "P", "meta", b"fw.pending.line3\0", [
        F(1, "name", "str", hi=PATH), F(2, "sig", "bytes", lo=1, hi=256 * 1024),
        F(3, "created", "u64"), F(4, "package", "str", hi=64),
        F(5, "version", "str", hi=32)]),
    ("firmware signature", "G", "meta", b"fw.sig.\0", [
        F(1, "format", "str", lo=1, hi=WORD), F(2, "signer", "str", lo=1, hi=NAME),
        F(3, "serial", "fixed:20"), F(4, "package", "str", lo=1, hi=64),
        F(5, "version", "str", lo=1, hi=32), F(6, "hash", "str", lo=1, hi=WORD),
        F(7, "digest", "str", lo=1, hi=128), F(8, "size", "u64"),
        F(9, "input", "str", lo=1, hi=PATH), F(10, "output", "str", lo=1, hi=PATH),
        F(11, "created", "u64")]),
    ("export", "E", "meta", b"export.line3", [
        F(1, "created", "u64"), F(2, "seq", "u64"), F(4, "bundle", "str", hi=100),
        F(3, "crl_next", "u64", "opt", nonzero=True, repeat=2)]),
    ("scan", "D", "meta", b"scan.line3\x00", [
        F(1, "id", "u64", nonzero=True), F(2, "segment", "str", lo=1, hi=NAME),
        F(3, "station", "str", lo=16, hi=16), F(4, "bundle", "str", lo=1, hi=100),
        F(5, "sequence", "u64", nonzero=True), F(6, "imported", "u64"),
        F(7, "report", "text", lo=1, hi=BIG)]),
    ("expectation", "N", "meta", b"expect.line3\x00", [
        F(1, "segment", "str", lo=1, hi=NAME), F(2, "endpoint", "str", lo=1, hi=TEXT),
        F(3, "note", "str", hi=TEXT), F(4, "found", "fixed:32"), F(5, "created", "u64"),
        F(6, "scan", "u64", nonzero=True), F(7, "done", "u64"), F(8, "done_scan", "u64"),
        F(9, "serial", "fixed:20", "opt")]),
    ("manufacturer", "W", "meta", b"mfr.", [
        F(1, "name", "str", lo=1, hi=63), F(2, "segments", "str", hi=TEXT),
        F(3, "pem", "text", lo=1, hi=256 * 1024), F(4, "added", "u64")]),
    ("CMP request", "M", "meta", b"cmp.req.", [
        F(1, "body", "u64"), F(2, "txid", "str", lo=2, hi=64),
        F(3, "manufacturer", "str", hi=63), F(4, "signer_issuer", "str", hi=255),
        F(5, "signer_serial", "str", lo=1, hi=42), F(6, "signer_fp", "str", lo=1, hi=95),
        F(7, "hw_serial", "str", hi=127), F(8, "old_serial", "fixed:20", "opt"),
        F(9, "reason_code", "u64")]),
    ("audit event", "A", "audit", (3).to_bytes(8, "big"), [
        F(1, "seq", "u64"), F(2, "time", "u64")] +
        [F(t, n, "text", hi=64 * 1024) for t, n in
         ((3, "action"), (4, "object"), (5, "result"), (6, "detail"))] +
        [F(7, "prev", "fixed:32"), F(8, "hash", "fixed:32")]),
]

# META values that are not records: key, what to write, the message
META = [
    (b"requests.next", bytes(7), "META requests.next: 7 bytes, expected 8"),
    (b"requests.next", bytes(7) + b"\x09\x00", "META requests.next: 9 bytes, expected 8"),
    (b"export.seq.line3", bytes(8) + b"\x01", "META export.seq.line3: 9 bytes, expected 8"),
    (b"fw.pending.seq", bytes(8) + b"\x01", "META fw.pending.seq: 9 bytes, expected 8"),
    (b"fw.sig.seq", bytes(8) + b"\x01", "META fw.sig.seq: 9 bytes, expected 8"),
    (b"transfer.keyid", bytes(7), "META transfer.keyid: 7 bytes, expected 8"),
    (b"crl.days.line3", b"7x", "META crl.days.line3: not a decimal number"),
    (b"config.module", b"/usr/lib/x\0.so", "META config.module: contains a NUL byte"),
]


# ------------------------------------------------------------- mdb_dump text

def read_dump(path):
    """[(header lines, database name, [[key, value], ...])] in dump order"""
    lines = open(path).read().split("\n")
    out, i = [], 0
    while i < len(lines):
        if lines[i] == "":
            i += 1
            continue
        head, db = [], None
        while lines[i] != "HEADER=END":
            if lines[i].startswith("database="):
                db = lines[i][len("database="):]
            head.append(lines[i])
            i += 1
        head.append(lines[i])
        i += 1
        pairs = []
        while lines[i] != "DATA=END":
            pairs.append([bytes.fromhex(lines[i].strip()), bytes.fromhex(lines[i + 1].strip())])
            i += 2
        i += 1
        out.append((head, db, pairs))
    return out


def write_dump(path, dump):
    with open(path, "w") as f:
        for head, db, pairs in dump:
            f.write("\n".join(head) + "\n")
            for k, v in pairs:
                f.write(" " + k.hex() + "\n " + v.hex() + "\n")
            f.write("DATA=END\n")


# ---------------------------------------------------------- the record format

def parse(rec):
    """(type, version, [(tag, value bytes)]); ValueError if malformed"""
    if len(rec) < 2:
        raise ValueError("short header")
    fields, i = [], 2
    while i < len(rec):
        if len(rec) - i < 5:
            raise ValueError("trailing bytes")
        tag, n = rec[i], int.from_bytes(rec[i + 1:i + 5], "big")
        if i + 5 + n > len(rec):
            raise ValueError("field %d truncated" % tag)
        fields.append((tag, rec[i + 5:i + 5 + n]))
        i += 5 + n
    return chr(rec[0]), rec[1], fields


def field(tag, value, length=None):
    return bytes([tag]) + (len(value) if length is None else length).to_bytes(4, "big") + value


def encode(typ, version, fields):
    return typ.encode() + bytes([version]) + b"".join(field(t, v) for t, v in fields)


def conforms(schema, fields):
    """why a parsed record does not fit the schema, or None"""
    by_tag = {f["tag"]: f for f in schema}
    seen = {}
    for tag, v in fields:
        f = by_tag.get(tag)
        if f is None:
            return "tag %d is not in the test's schema" % tag
        seen[tag] = seen.get(tag, 0) + 1
        if seen[tag] > f["repeat"]:
            return "%s repeated" % f["name"]
        k = f["kind"]
        if k == "u64" and len(v) != 8:
            return "%s: %d bytes" % (f["name"], len(v))
        if k.startswith("fixed:") and len(v) != int(k[6:]):
            return "%s: %d bytes" % (f["name"], len(v))
        if k in ("str", "text") and b"\0" in v:
            return "%s: NUL" % f["name"]
        if f["hi"] is not None and len(v) > f["hi"] or len(v) < f["lo"]:
            return "%s: %d bytes, not within %d..%s" % (f["name"], len(v), f["lo"], f["hi"])
    for f in schema:
        if f["need"] == "req" and f["tag"] not in seen:
            return "%s missing" % f["name"]
    return None


def records_of(dump, db, typ, sel):
    for _, name, pairs in dump:
        if name != db:
            continue
        for k, v in pairs:
            if db != "meta" or (sel is not None and k.startswith(sel) and v[:1] == typ.encode()):
                yield k, v


def target(dump, db, typ, sel, schema):
    """the record to damage: the one named, else the one with the most
    fields present (so optional fields are damaged where they are)"""
    best = None
    for k, v in records_of(dump, db, typ, sel):
        if db != "meta" and sel is not None and k != sel:
            continue
        n = len(parse(v)[2])
        if best is None or n > best[2]:
            best = (k, v, n)
    return best


# --------------------------------------------------------------- the damage

def damages(rname, typ, schema, fields):
    """(what, new field list or raw bytes, outcome, message fragment)"""
    pre = rname + " record: "
    present = {}
    for i, (tag, _) in enumerate(fields):
        present.setdefault(tag, []).append(i)
    last = {f["tag"]: f["name"] for f in schema}[fields[-1][0]]
    out = []

    def with_field(i, value):
        return [(t, value if j == i else v) for j, (t, v) in enumerate(fields)]

    for f in schema:
        name, k, tag = f["name"], f["kind"], f["tag"]
        msg = pre + "field " + name + ": "
        where = present.get(tag)
        if where is None:
            # absent optional field: a malformed one put in
            if k == "u64":
                bad = bytes(7)
                out.append(("%s: inserted, 7 bytes" % name, fields + [(tag, bad)], "corrupt",
                            msg + "7 bytes, expected 8"))
            elif k.startswith("fixed:"):
                n = int(k[6:])
                out.append(("%s: inserted, %d bytes" % (name, n - 1),
                            fields + [(tag, bytes(n - 1))], "corrupt",
                            msg + "%d bytes, expected %d" % (n - 1, n)))
            elif k == "str":
                out.append(("%s: inserted with a NUL" % name, fields + [(tag, b"a\0b")],
                            "corrupt", msg + "contains a NUL byte"))
            elif k == "bytes":
                out.append(("%s: inserted empty" % name, fields + [(tag, b"")], "corrupt",
                            msg + "0 bytes, at least %d" % f["lo"]) if f["lo"] else
                           ("%s: inserted" % name, fields + [(tag, b"x")], "ok", ""))
            continue
        i = where[0]
        v = fields[i][1]
        # drop it
        rest = [fv for j, fv in enumerate(fields) if fv[0] != tag]
        if f["need"] == "req":
            out.append(("%s: dropped" % name, rest, "corrupt", msg + "missing"))
        else:
            out.append(("%s: dropped (%s)" % (name, f["need"]), rest, "ok", ""))
        # the record ends inside this field: its length runs past the end
        cut = encode(typ, 1, fields[:i]) + field(tag, v[:len(v) // 2], len(v) + 1)
        out.append(("%s: length past the end" % name, cut, "corrupt",
                    msg + "truncated: length %d" % (len(v) + 1)))
        # a second copy
        copies = f["repeat"] - len(where) + 1
        out.append(("%s: repeated" % name, fields + [(tag, v)] * copies, "corrupt",
                    msg + ("repeated" if f["repeat"] == 1 else
                           "more than %d values" % f["repeat"])))
        if k == "u64":
            out.append(("%s: 7 bytes" % name, with_field(i, v[1:]), "corrupt",
                        msg + "7 bytes, expected 8"))
            out.append(("%s: 9 bytes" % name, with_field(i, b"\0" + v), "corrupt",
                        msg + "9 bytes, expected 8"))
            if f["nonzero"]:
                out.append(("%s: 0" % name, with_field(i, bytes(8)), "corrupt",
                            msg + "0 is not a valid value"))
        elif k.startswith("fixed:"):
            n = int(k[6:])
            out.append(("%s: %d bytes" % (name, n - 1), with_field(i, v[:-1]), "corrupt",
                        msg + "%d bytes, expected %d" % (n - 1, n)))
            out.append(("%s: %d bytes" % (name, n + 1), with_field(i, v + b"\0"), "corrupt",
                        msg + "%d bytes, expected %d" % (n + 1, n)))
        else:
            if f["hi"] is not None:
                out.append(("%s: %d bytes (over-long)" % (name, f["hi"] + 1),
                            with_field(i, b"a" * (f["hi"] + 1)), "corrupt",
                            msg + "%d bytes, at most %d (over-long)" % (f["hi"] + 1, f["hi"])))
            if f["lo"]:
                out.append(("%s: empty" % name, with_field(i, b""), "corrupt",
                            msg + "0 bytes, at least %d" % f["lo"]))
            if k in ("str", "text"):
                # the same length, its last byte a NUL
                out.append(("%s: a NUL byte" % name, with_field(i, v[:-1] + b"\0"),
                            "corrupt", msg + "contains a NUL byte"))
    # the record as a whole
    top = max(f["tag"] for f in schema) + 1
    out.append(("3 trailing bytes", encode(typ, 1, fields) + b"\x01\x00\x00", "corrupt",
                pre + "3 trailing bytes after field " + last))
    out.append(("unknown tag %d" % top, fields + [(top, b"")], "corrupt",
                pre + "field tag %d: unknown" % top))
    out.append(("version 2", encode(typ, 2, fields), "corrupt",
                pre + "type 0x%02x version 2" % ord(typ)))
    return out


def special(rname, fields):
    """rules that span fields or judge a value"""
    out, pre = [], rname + " record: field "
    tags = {t for t, _ in fields}
    if rname == "intent" and 10 not in tags:
        out.append(("newca without newca_uri", fields + [(10, b"line9"), (12, bytes(8))],
                    "corrupt", pre + "newca_uri: missing"))
        out.append(("newca_uri without newca", fields + [(11, b"pkcs11:x")], "corrupt",
                    pre + "newca_uri: present in an intent for no new CA"))
    if rname == "revocation":
        out.append(("reason 6 (certificateHold)",
                    [(t, (6).to_bytes(8, "big") if t == 1 else v) for t, v in fields],
                    "corrupt", pre + "reason: 6 is not a reason plantca records"))
    if rname == "scan":
        out.append(("report that does not parse",
                    [(t, b"plantca-scan: 1\n" if t == 7 else v) for t, v in fields],
                    "corrupt", pre + "report: scan "))
    if rname == "expectation" and 9 not in tags:
        out.append(("serial of an open expectation", fields + [(9, bytes(20))], "corrupt",
                    pre + "done: done, done_scan and serial disagree"))
    if rname == "CMP request":
        out.append(("body 5 (popdecc)", [(t, (5).to_bytes(8, "big") if t == 1 else v) for t, v in fields],
                    "corrupt", pre + "body: 5 is not a request body"))
        out.append(("txid not hex", [(t, b"ZZ" if t == 2 else v) for t, v in fields],
                    "corrupt", pre + "txid: not lowercase hex"))
        out.append(("reason_code 12", [(t, (12).to_bytes(8, "big") if t == 9 else v)
                                       for t, v in fields],
                    "corrupt", pre + "reason_code: not a CRLReason"))
        out.append(("kur without old_serial", [(t, (7).to_bytes(8, "big") if t == 1 else v)
                                               for t, v in fields if t != 8],
                    "corrupt", pre + "old_serial: missing"))
    if rname == "CA":
        out.append(("cert not a certificate",
                    [(t, b"\x30\x03\x02\x01\x01" if t == 4 else v) for t, v in fields],
                    "corrupt", pre + "cert: "))
    return out


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    dump = read_dump(path)
    if cmd == "check":
        for rname, typ, db, sel, schema in RECORDS:
            n = 0
            for k, v in records_of(dump, db, typ, sel if db == "meta" else None):
                t, ver, fields = parse(v)
                why = conforms(schema, fields) if (t, ver) == (typ, 1) else "type %s" % t
                if why:
                    sys.exit("%s record %s: %s" % (rname, k.hex(), why))
                n += 1
            if n == 0:
                sys.exit("no %s record in the store" % rname)
            print("%s: %d record(s) fit the schema" % (rname, n))
        return
    if cmd == "graft":
        _, _, pairs = next(d for d in read_dump(sys.argv[3]) if d[1] == "intents")
        if not pairs:
            sys.exit("no intent in " + sys.argv[3])
        for _, name, mine in dump:
            if name == "intents":
                mine[:] = [pairs[0]]
        write_dump(path, dump)
        return
    outdir = sys.argv[3]
    rows = [("0", "-", "undamaged", "ok", "")]
    write_dump(os.path.join(outdir, "0.dump"), dump)
    n = 0

    def emit(rname, db, key, what, new, outcome, msg):
        nonlocal n
        n += 1
        copy = [(h, name, [[k, (new if (name == db and k == key) else v)] for k, v in pairs])
                for h, name, pairs in dump]
        if not any(name == db and any(k == key for k, _ in pairs) for _, name, pairs in dump):
            copy = [(h, name, pairs + [[key, new]] if name == db else pairs)
                    for h, name, pairs in copy]
        write_dump(os.path.join(outdir, "%d.dump" % n), copy)
        rows.append((str(n), rname, what, outcome, msg))

    for rname, typ, db, sel, schema in RECORDS:
        key, rec, _ = target(dump, db, typ, sel, schema)
        _, _, fields = parse(rec)
        for what, new, outcome, msg in damages(rname, typ, schema, fields) + special(rname, fields):
            emit(rname, db, key, what, new if isinstance(new, bytes) else encode(typ, 1, new),
                 outcome, msg)
    for key, value, msg in META:
        emit("META", "meta", key, key.decode() + " = " + value.hex(), value, "corrupt", msg)
    with open(os.path.join(outdir, "cases.tsv"), "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
    print("%d cases" % n)


if __name__ == "__main__":
    main()
