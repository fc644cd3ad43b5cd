/*
 * test_cmp.c - the table of CMP messages (bad-cmp.txt, written by
 * make-bad-cmp.py): the reader and the protection check as
 * plantca-station runs them on a request (pkix/cmp.h).
 *
 * For each row CASE<TAB>RC<TAB>FAILINFO<TAB>INPUT<TAB>MESSAGE the hex input
 * goes through pkix_cmp_parse and, when it parses, pkix_cmp_verify.
 * Wanted: exactly RC (of the first step that refuses), exactly the
 * PKIFailureInfo the reply would carry, and exactly MESSAGE; "ok" rows
 * pass both steps with failInfo none.
 *
 * With CMP_SEEDS=DIR in the environment the inputs are also written to
 * DIR/table-CASE, seeds of tests/fuzz/corpus/fuzz_cmp (all but those over
 * 64 KiB).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "cmp.h"
#include "file.h"
#include "pem.h"

static void row(char *const *f, void *ctx)
{
	const char *name = f[0], *rc = f[1], *fail = f[2], *input = f[3], *msg = f[4];
	const char *seeds = getenv("CMP_SEEDS");
	size_t *nrows = ctx, hl = strlen(input), n = 0;
	pc_buf in = PC_BUF_INIT;
	pkix_cmp_msg m;
	pkix_cmp_fail fi;
	pkix_cert signer;
	pc_rc got;

	(*nrows)++;
	CHECK(pc_buf_reserve(&in, hl / 2 + 1));
	CHECK(hl % 2 == 0 && pc_hex_decode(input, in.p, hl / 2 + 1, &n) && n == hl / 2);
	in.len = n;
	memset(&t_err, 0, sizeof t_err);
	got = pkix_cmp_parse(in.p, in.len, "request", &m, &fi, &t_err);
	if (got == PC_OK)
		got = pkix_cmp_verify(&m, "request", &signer, &fi, &t_err);
	if (strcmp(pc_rc_name(got), rc) != 0)
		FAIL_ROW("case %s: got %s (%s), expected %s", name, pc_rc_name(got),
		    got ? t_err.msg : "", rc);
	else if (strcmp(pkix_cmp_fail_name(fi), fail) != 0)
		FAIL_ROW("case %s: failInfo %s, expected %s", name, pkix_cmp_fail_name(fi), fail);
	else if (got != PC_OK && strcmp(t_err.msg, msg) != 0)
		FAIL_ROW("case %s:\n  message  %s\n  expected %s", name, t_err.msg, msg);
	if (seeds != NULL && in.len <= 64 * 1024) {
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
	CHECK(t_table(argv[1], 5, row, &n) == n);
	CHECK_ROWS(n);
	CHECK(n >= 100);
	fprintf(stderr, "%zu cases\n", n);
	return 0;
}
