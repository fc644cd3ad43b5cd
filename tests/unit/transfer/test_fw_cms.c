/*
 * test_fw_cms.c - the table of firmware signature inputs (bad-cms.txt,
 * written by make-bad-cms.py).
 *
 * For each row CASE<TAB>RC<TAB>INPUT<TAB>MESSAGE the hex input goes through
 * fw_cms_parse (transfer/fwverify.h: the RFC 4108 attributes, on the CMS
 * reader of pkix/cms.h).  Wanted: exactly RC and exactly MESSAGE, and a
 * refusal hands back nothing; "ok" rows parse, with every pointer inside
 * the input and the package "pump:1.3.0" read.
 *
 * With CMS_SEEDS=DIR in the environment the inputs are also written to
 * DIR/table-CASE, seeds of tests/fuzz/corpus/fuzz_cms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "fwverify.h"
#include "pem.h"

static bool inside(const uint8_t *p, size_t n, const pc_buf *in)
{
	return p >= in->p && n <= in->len && (size_t)(p - in->p) <= in->len - n;
}

static void row(char *const *f, void *ctx)
{
	const char *name = f[0], *rc = f[1], *input = f[2], *msg = f[3];
	const char *seeds = getenv("CMS_SEEDS");
	size_t *nrows = ctx, hl = strlen(input), n = 0, i;
	pc_buf in = PC_BUF_INIT;
	static fw_cms c, zero;
	pc_rc got;

	(*nrows)++;
	CHECK(pc_buf_reserve(&in, hl / 2 + 1));
	CHECK(hl % 2 == 0 && pc_hex_decode(input, in.p, hl / 2 + 1, &n) && n == hl / 2);
	in.len = n;
	memset(&t_err, 0, sizeof t_err);
	got = fw_cms_parse(in.p, in.len, &c, &t_err);
	if (strcmp(pc_rc_name(got), rc) != 0) {
		FAIL_ROW("case %s: got %s (%s), expected %s", name, pc_rc_name(got),
		    got ? t_err.msg : "", rc);
	} else if (got == PC_OK) {
		if (strcmp(c.package, "pump") != 0 || strcmp(c.version_text, "1.3.0") != 0)
			FAIL_ROW("case %s: package '%s' version '%s'", name, c.package, c.version_text);
		if (c.cms.ncerts != 2 || !inside(c.cms.attrs, c.cms.attrs_len, &in) ||
		    !inside(c.cms.sig, c.cms.sig_len, &in) || !inside(c.cms.digest, 32, &in) ||
		    c.cms.digest_len != 32 || c.cms.hash != PKIX_SHA256)
			FAIL_ROW("case %s: fields not as built", name);
		for (i = 0; i < c.cms.ncerts; i++)
			if (!inside(c.cms.certs[i], c.cms.cert_len[i], &in))
				FAIL_ROW("case %s: certificate %zu outside the input", name, i);
	} else {
		if (strcmp(t_err.msg, msg) != 0)
			FAIL_ROW("case %s:\n  message  %s\n  expected %s", name, t_err.msg, msg);
		if (memcmp(&c, &zero, sizeof c) != 0)
			FAIL_ROW("case %s: a refusal handed back fields", name);
	}
	if (seeds != NULL) {
		char path[4096];
		int pn = snprintf(path, sizeof path, "%s/table-%.100s", seeds, name);
		CHECK(pn > 0 && (size_t)pn < sizeof path);
		CHECK_OK(pc_file_write_atomic(path, in.p, in.len, 0644, false, &t_err));
	}
	pc_buf_free(&in);
}

int main(int argc, char **argv)
{
	size_t n = 0;

	CHECK(argc == 2);
	CHECK(t_table(argv[1], 4, row, &n) == n);
	CHECK_ROWS(n);
	CHECK(n >= 50);
	fprintf(stderr, "%zu cases\n", n);
	return 0;
}
