#!/usr/bin/env python3
"""mkcsrs.py N DIR [FIRST]: N PKCS#10 requests, each with its own P-256 key
(as real devices have), DIR/I.csr for I = FIRST .. FIRST+N-1, subject
O=Acme Plant, CN=dev-I.line3.plant.local, SAN DNS of the same name: the
CSRs scripts/bench gives both plantca and openssl ca.  Python's
cryptography (OpenSSL underneath) makes them in one process, some 50 times
faster than one `openssl req` per CSR; the keys are thrown away."""
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID


def main():
    n, d = int(sys.argv[1]), sys.argv[2]
    first = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    os.makedirs(d, exist_ok=True)
    for i in range(first, first + n):
        cn = "dev-%d.line3.plant.local" % i
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Plant"),
                                        x509.NameAttribute(NameOID.COMMON_NAME, cn)]))
               .add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
               .sign(key, hashes.SHA256()))
        with open(os.path.join(d, "%d.csr" % i), "wb") as f:
            f.write(csr.public_bytes(serialization.Encoding.PEM))


if __name__ == "__main__":
    main()
