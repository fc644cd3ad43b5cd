/*
 * test_fwverify.c - the pieces of the firmware verifier that need no PKI:
 * the SHA-NI SHA-256 against libsodium (every length 0..1100, random
 * chunkings, FIPS 180-2 vectors), version parsing and ordering, and the
 * streamed file digest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fwverify.h"
#include "../common/check.h"

static void sha_ni(void)
{
	static uint8_t data[1100];
	uint8_t a[32], b[32];
	size_t n, i;
	fw_sha256_ni c;

	if (!fw_sha256_ni_available()) {
		printf("SHA-NI not available on this CPU: skipped\n");
		return;
	}
	randombytes_buf(data, sizeof data);
	for (n = 0; n <= sizeof data; n++) {
		crypto_hash_sha256(a, data, n);
		fw_sha256_ni_init(&c);
		/* uneven chunks: 1, 2, 3, ... bytes */
		for (i = 0; i < n; ) {
			size_t k = (i % 67) + 1;
			if (k > n - i)
				k = n - i;
			fw_sha256_ni_update(&c, data + i, k);
			i += k;
		}
		fw_sha256_ni_final(&c, b);
		CHECK(memcmp(a, b, 32) == 0);
		fw_sha256_ni_init(&c);
		fw_sha256_ni_update(&c, data, n);
		fw_sha256_ni_final(&c, b);
		CHECK(memcmp(a, b, 32) == 0);
	}
	/* FIPS 180-2 appendix B.1 "abc" */
	fw_sha256_ni_init(&c);
	fw_sha256_ni_update(&c, (const uint8_t *)"abc", 3);
	fw_sha256_ni_final(&c, b);
	CHECK(memcmp(b, "\xba\x78\x16\xbf\x8f\x01\xcf\xea\x41\x41\x40\xde\x5d\xae\x22\x23"
	    "\xb0\x03\x61\xa3\x96\x17\x7a\x9c\xb4\x10\xff\x61\xf2\x00\x15\xad", 32) == 0);
}

static void versions(void)
{
	fw_version a, b;

	CHECK(fw_version_parse("1.3.0", &a, NULL) == PC_OK && a.nparts == 3 && a.part[1] == 3);
	CHECK(fw_version_parse("1.3", &b, NULL) == PC_OK);
	CHECK(fw_version_cmp(&a, &b) == 0);
	CHECK(fw_version_parse("1.10", &b, NULL) == PC_OK && fw_version_cmp(&a, &b) < 0);
	CHECK(fw_version_parse("0.9.65535.1", &b, NULL) == PC_OK && fw_version_cmp(&a, &b) > 0);
	CHECK(fw_version_parse("", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("1..2", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("1.2.", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("01.2", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("1.2.3.4.5", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("65536", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("-1", &a, NULL) == PC_E_INPUT);
	CHECK(fw_version_parse("1.2a", &a, NULL) == PC_E_INPUT);
}

static void file_digest(void)
{
	char path[] = "/tmp/fwverify-test.XXXXXX";
	static uint8_t data[3 * FW_CHUNK + 17];
	uint8_t a[64], b[64], b2[64], want2[64];
	uint64_t size = 0;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	randombytes_buf(data, sizeof data);
	CHECK(write(fd, data, sizeof data) == (ssize_t)sizeof data);
	close(fd);
	CHECK(fw_digest_file(path, FW_SHA256, b, b2, &size, NULL) == PC_OK);
	CHECK(size == sizeof data);
	crypto_hash_sha256(a, data, sizeof data);
	CHECK(memcmp(a, b, 32) == 0);
	crypto_generichash(want2, 64, data, sizeof data, NULL, 0);
	CHECK(memcmp(want2, b2, 64) == 0);
	CHECK(fw_digest_file(path, FW_SHA512, b, NULL, NULL, NULL) == PC_OK);
	crypto_hash_sha512(a, data, sizeof data);
	CHECK(memcmp(a, b, 64) == 0);
	CHECK(fw_digest_file(path, FW_SHA384, b, NULL, NULL, NULL) == PC_OK);
	unlink(path);
	CHECK(fw_digest_file(path, FW_SHA256, b, NULL, NULL, NULL) == PC_E_IO);
}

int main(void)
{
	CHECK(sodium_init() >= 0);
	sha_ni();
	versions();
	file_digest();
	printf("ok\n");
	return 0;
}
