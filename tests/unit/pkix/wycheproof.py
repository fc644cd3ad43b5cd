#!/usr/bin/env python3
"""Turn Project Wycheproof JSON files into the lines test_verify reads:

    ID EXPECT SIGALG SPKI_HEX MSG_HEX SIG_HEX

EXPECT is "accept" or "refuse".  "valid" vectors must be accepted and
"invalid" ones refused.  Every "acceptable" vector is decided here, by its
flags, with the reason; an acceptable vector with flags not listed below
stops the build, so a new kind cannot slip through undecided."""
import json
import os
import sys

SIGALG = {  # file name prefix -> the AlgorithmIdentifier name test_verify maps
    "ecdsa_secp256r1_sha256": "ecdsa-with-SHA256",
    "ecdsa_secp384r1_sha384": "ecdsa-with-SHA384",
    "ed25519": "Ed25519",
    "rsa_signature_2048_sha256": "sha256WithRSAEncryption",
    "rsa_signature_3072_sha256": "sha256WithRSAEncryption",
}

# Decisions on "acceptable" vectors, by flag.
ACCEPTABLE = {
    # RFC 8017 §9.2 note 1 allows a DigestInfo without the NULL parameters;
    # we verify by encoding the DigestInfo with NULL and comparing (§8.2.2),
    # so such a signature is refused.  Every signer plantca meets (OpenSSL,
    # wolfSSL, HSMs) writes the NULL.
    "MissingNull": "refuse",
}

out = sys.stdout if len(sys.argv) < 3 else open(sys.argv[1], "w")
files = sys.argv[2:] if len(sys.argv) >= 3 else sys.argv[1:]
for path in files:
    base = os.path.basename(path)
    alg = next(v for k, v in SIGALG.items() if base.startswith(k))
    d = json.load(open(path))
    for g in d["testGroups"]:
        spki = g["publicKeyDer"]
        for t in g["tests"]:
            if t["result"] == "valid":
                want = "accept"
            elif t["result"] == "invalid":
                want = "refuse"
            else:
                decided = {ACCEPTABLE[f] for f in t["flags"]}   # KeyError: undecided
                assert len(decided) == 1, (base, t["tcId"], t["flags"])
                want = decided.pop()
            out.write("%s:%d %s %s %s %s %s\n" % (base, t["tcId"], want, alg, spki,
                                                  t["msg"] or "-", t["sig"] or "-"))
