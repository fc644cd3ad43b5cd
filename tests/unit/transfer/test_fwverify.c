/*
 * test_fwverify.c - the pieces of the firmware verifier that need no PKI:
 * version parsing and ordering, the
 * streamed file digest, and the signer package list: its encoding and a
 * table of bad values, each with the exact refusal.  (The digests
 * themselves are pkix's, tested in tests/unit/pkix/test_hash.c.)
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "fwverify.h"
#include "pkix.h"
#include "check.h"

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
	char dir[512], path[600];
	static uint8_t data[3 * FW_CHUNK + 17];
	uint8_t a[64], b[64], b2[64], want2[64];
	uint64_t size = 0;
	int fd;

	t_tmpdir(dir, sizeof dir, "fwverify");
	snprintf(path, sizeof path, "%s/image", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	CHECK(fd >= 0);
	randombytes_buf(data, sizeof data);
	CHECK(write(fd, data, sizeof data) == (ssize_t)sizeof data);
	close(fd);
	CHECK(fw_digest_file(path, PKIX_SHA256, b, b2, &size, NULL) == PC_OK);
	CHECK(size == sizeof data);
	crypto_hash_sha256(a, data, sizeof data);
	CHECK(memcmp(a, b, 32) == 0);
	crypto_generichash(want2, 64, data, sizeof data, NULL, 0);
	CHECK(memcmp(want2, b2, 64) == 0);
	CHECK(fw_digest_file(path, PKIX_SHA512, b, NULL, NULL, NULL) == PC_OK);
	crypto_hash_sha512(a, data, sizeof data);
	CHECK(memcmp(a, b, 64) == 0);
	CHECK(fw_digest_file(path, PKIX_SHA384, b, NULL, NULL, NULL) == PC_OK);
	CHECK(unlink(path) == 0);
	CHECK(fw_digest_file(path, PKIX_SHA256, b, NULL, NULL, NULL) == PC_E_IO);
	t_rmdir(dir, (char *)NULL);
}

/* value bytes (hex) -> the refusal's message, or NULL: accepted */
static const struct { const char *hex, *msg; } pkg_cases[] = {
	{ "30070c0570756d7073", NULL },                                   /* {"pumps"} */
	{ "300e0c0570756d70730c0576616c7665", NULL },                     /* {"pumps","valve"} */
	{ "", "firmware package list is not one SEQUENCE" },
	{ "3000", "firmware package list is empty" },
	{ "30070c0570756d707300", "firmware package list is not one SEQUENCE" },   /* trailing */
	{ "30080c0570756d7073", "firmware package list is not one SEQUENCE" },     /* truncated */
	{ "30800c0570756d70730000", "firmware package list is not one SEQUENCE" }, /* indefinite */
	{ "3107" "0c0570756d7073", "firmware package list is not one SEQUENCE" },   /* a SET */
	{ "3007130570756d7073", "an entry is not a UTF8String" },          /* PrintableString */
	{ "30090c0570756d70730500", "an entry is not a UTF8String" },      /* NULL after it */
	{ "30020c00", "entry 1 is empty" },
	{ "30070c057075207073", "entry 1 is empty, longer than 64 bytes or not printable" },
	{ "30070c0570753a7073", "entry 1 is empty, longer than 64 bytes or not printable" },
	{ "30060c04c3a97073", "entry 1 is empty, longer than 64 bytes or not printable" },
	{ "30060c0470750a73", "entry 1 is empty, longer than 64 bytes or not printable" },
	{ "300e0c0570756d70730c0570756d7073", "'pumps' appears twice" },
};

static void packages(void)
{
	static const char *const two[] = { "pumps", "pumps-boot" };
	static const char *const dup[] = { "a", "a" };
	static const char *const bad[] = { "a:b" };
	pc_buf b = PC_BUF_INIT;
	fw_pkgs p;
	size_t i, n;
	uint8_t v[256];

	for (i = 0; i < sizeof pkg_cases / sizeof pkg_cases[0]; i++) {
		const char *h = pkg_cases[i].hex;
		pc_rc rc;
		for (n = 0; h[2 * n] && h[2 * n + 1]; n++) {
			unsigned x;
			CHECK(sscanf(h + 2 * n, "%2x", &x) == 1);
			v[n] = (uint8_t)x;
		}
		memset(&t_err, 0, sizeof t_err);
		rc = fw_pkgs_parse(v, n, &p, &t_err);
		if (pkg_cases[i].msg == NULL) {
			CHECK_OK(rc);
		} else {
			CHECK_RC(rc, PC_E_INPUT);
			CHECK_MSG(pkg_cases[i].msg);
		}
	}
	/* 33 names: one too many */
	n = 0;
	v[n++] = 0x30;
	v[n++] = 33 * 3;
	for (i = 0; i < 33; i++) {
		v[n++] = 0x0c;
		v[n++] = 1;
		v[n++] = (uint8_t)('A' + i);
	}
	CHECK_RC(fw_pkgs_parse(v, n, &p, &t_err), PC_E_INPUT);
	CHECK_MSG("more than 16 names");

	/* the encoder writes what the reader reads: Extension { oid, OCTET STRING } */
	CHECK_OK(fw_pkgs_ext_encode(two, 2, &b, &t_err));
	{
		size_t ol;
		const uint8_t *o = pkix_oid_bytes(PKIX_OID_FW_PACKAGES, &ol);
		CHECK(b.len > 2 && b.p[0] == 0x30 && b.p[2] == 0x06 && b.p[3] == ol &&
		    memcmp(b.p + 4, o, ol) == 0);
		n = 4 + ol;
	}
	CHECK(b.p[n] == 0x04 && b.p[n + 1] == b.len - n - 2);     /* not critical: no BOOLEAN */
	CHECK_OK(fw_pkgs_parse(b.p + n + 2, b.len - n - 2, &p, &t_err));
	CHECK(p.n == 2 && strcmp(p.name[0], "pumps") == 0 && strcmp(p.name[1], "pumps-boot") == 0);
	CHECK(fw_pkgs_has(&p, "pumps") && !fw_pkgs_has(&p, "Pumps") && !fw_pkgs_has(&p, "pump"));
	{
		char t[64];
		fw_pkgs_text(&p, ", ", t, sizeof t);
		CHECK(strcmp(t, "pumps, pumps-boot") == 0);
	}
	CHECK_RC(fw_pkgs_ext_encode(dup, 2, &b, &t_err), PC_E_USAGE);
	CHECK_MSG("package 'a' given twice");
	CHECK_RC(fw_pkgs_ext_encode(bad, 1, &b, &t_err), PC_E_USAGE);
	CHECK_RC(fw_pkgs_ext_encode(two, 0, &b, &t_err), PC_E_USAGE);
	pc_buf_free(&b);
}

int main(void)
{

	CHECK(sodium_init() >= 0);
	versions();
	file_digest();
	packages();
	/* every other check has run; this one could not */
	printf("ok\n");
	return 0;
}
