/*
 * test_hash - the SHA-2 digests (pkix/hash.h) against libsodium's SHA-256
 * and SHA-512 on every length 0..1100 in uneven chunks, FIPS 180-2
 * vectors for all three, and the DER AlgorithmIdentifiers.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "der.h"
#include "hash.h"

static void chunked(pkix_hash h, const uint8_t *p, size_t n, uint8_t *out)
{
	pkix_hash_ctx c;
	size_t i, k;

	CHECK_OK(pkix_hash_init(&c, h, &t_err));
	for (i = 0; i < n; i += k) {
		k = (i % 67) + 1;          /* 1, 2, 3, ... bytes */
		if (k > n - i)
			k = n - i;
		pkix_hash_update(&c, p + i, k);
	}
	CHECK_OK(pkix_hash_final(&c, out, &t_err));
}

int main(void)
{
	static uint8_t data[1100];
	uint8_t a[64], b[64];
	size_t n, len;
	const uint8_t *d;

	CHECK(sodium_init() >= 0);
	randombytes_buf(data, sizeof data);
	for (n = 0; n <= sizeof data; n++) {
		crypto_hash_sha256(a, data, n);
		chunked(PKIX_SHA256, data, n, b);
		CHECK_BYTES(b, 32, a, 32);
		CHECK_OK(pkix_hash_once(PKIX_SHA256, data, n, b, &t_err));
		CHECK_BYTES(b, 32, a, 32);
		crypto_hash_sha512(a, data, n);
		chunked(PKIX_SHA512, data, n, b);
		CHECK_BYTES(b, 64, a, 64);
	}
	/* FIPS 180-2 appendix B.1, D.1 and C.1: "abc" */
	CHECK_OK(pkix_hash_once(PKIX_SHA256, "abc", 3, b, &t_err));
	CHECK_BYTES(b, 32, "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
	    "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad", 32);
	CHECK_OK(pkix_hash_once(PKIX_SHA384, "abc", 3, b, &t_err));
	CHECK_BYTES(b, 48, "\xcb\x00\x75\x3f\x45\xa3\x5e\x8b\xb5\xa0\x3d\x69\x9a\xc6\x50\x07"
	    "\x27\x2c\x32\xab\x0e\xde\xd1\x63\x1a\x8b\x60\x5a\x43\xff\x5b\xed\x80\x86\x07\x2b\xa1"
	    "\xe7\xcc\x23\x58\xba\xec\xa1\x34\xc8\x25\xa7", 48);
	CHECK_OK(pkix_hash_once(PKIX_SHA512, "abc", 3, b, &t_err));
	crypto_hash_sha512(a, (const uint8_t *)"abc", 3);
	CHECK_BYTES(b, 64, a, 64);
	/* AlgorithmIdentifier: SEQUENCE { OID } without parameters (RFC 5754 §2) */
	d = pkix_hash_algid(PKIX_SHA384, &len);
	CHECK(len == 13 && d[0] == DER_SEQUENCE && d[1] == 11 && d[2] == DER_OID && d[12] == 0x02);
	printf("ok - SHA-256/512 equal libsodium's on 0..1100 bytes in chunks; FIPS 180-2 vectors; "
	    "AlgorithmIdentifiers\n");
	return 0;
}
