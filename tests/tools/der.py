"""der.py - the DER bytes the Python test tools build and take apart:
a TLV with its definite length, and the TLV at an offset.  Imported by
the generators of the bad-input tables (tests/unit/*/make-bad-*.py) and by
tests/integration/mkcertconf.py, with tests/tools on sys.path."""


def tlv(tag, body):
    """tag, the DER length of body, body"""
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def read_tlv(d, i):
    """(tag, start of content, end) of the TLV at d[i] (definite lengths)"""
    tag, n = d[i], d[i + 1]
    i += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(d[i:i + k], 'big')
        i += k
    return tag, i, i + n
