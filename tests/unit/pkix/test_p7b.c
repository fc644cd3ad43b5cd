/*
 * test_p7b.c - the table of trust.p7b inputs (bad-p7b.txt).
 *
 * For each line CASE<TAB>RC<TAB>INPUT<TAB>MESSAGE the input (hex, or gen:N:
 * a well-formed p7b of N distinct tiny certificates) goes through
 * pkix_p7b_parse with the name "t.p7b".  Wanted: exactly RC and exactly the
 * message "t.p7b: MESSAGE"; for "ok", pkix_p7b_build of the parsed
 * certificates gives back the input byte for byte.
 *
 * With P7B_SEEDS=DIR in the environment the inputs are also written to
 * DIR/table-CASE, the seeds of tests/fuzz/corpus/fuzz_p7b.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "pem.h"
#include "cms.h"

static void gen(size_t n, pc_buf *out)
{
	uint8_t certs[PKIX_P7B_CERTS_MAX + 8][5];
	const uint8_t *cv[PKIX_P7B_CERTS_MAX + 8];
	size_t lv[PKIX_P7B_CERTS_MAX + 8], i;

	CHECK(n <= PKIX_P7B_CERTS_MAX + 8);
	for (i = 0; i < n; i++) {
		const uint8_t c[5] = { 0x30, 0x03, 0x02, 0x01, (uint8_t)(i + 1) };
		memcpy(certs[i], c, 5);
		cv[i] = certs[i];
		lv[i] = 5;
	}
	CHECK_OK(pkix_p7b_build(cv, lv, n, out, &t_err));
}

static void run_case(const char *name, const char *rc, const char *input, const char *msg)
{
	pc_buf in = PC_BUF_INIT, again = PC_BUF_INIT;
	char want[PC_ERR_MSG_MAX];
	const char *seeds = getenv("P7B_SEEDS");
	pkix_p7b p;
	pc_rc got;
	size_t i, n = 0;

	if (strncmp(input, "gen:", 4) == 0) {
		gen((size_t)strtoul(input + 4, NULL, 10), &in);
	} else {
		size_t hl = strlen(input);
		CHECK(pc_buf_reserve(&in, hl / 2 + 1));
		CHECK(hl % 2 == 0 && pc_hex_decode(input, in.p, hl / 2 + 1, &n) && n == hl / 2);
		in.len = n;
	}
	memset(&t_err, 0, sizeof t_err);
	got = pkix_p7b_parse(in.p, in.len, "t.p7b", &p, &t_err);
	if (strcmp(pc_rc_name(got), rc) != 0) {
		FAIL("case %s: got %s (%s), expected %s", name, pc_rc_name(got),
		    got ? t_err.msg : "", rc);
	}
	if (got == PC_OK) {
		CHECK(p.ncerts >= 1);
		CHECK_OK(pkix_p7b_build(p.cert, p.cert_len, p.ncerts, &again, &t_err));
		CHECK_BYTES(again.p, again.len, in.p, in.len);
	} else {
		snprintf(want, sizeof want, "t.p7b: %s", msg);
		if (strcmp(t_err.msg, want) != 0) {
			FAIL("case %s:\n  message  %s\n  expected %s", name, t_err.msg, want);
		}
		CHECK(p.ncerts == 0);
		for (i = 0; i < PKIX_P7B_CERTS_MAX; i++)
			CHECK(p.cert[i] == NULL && p.cert_len[i] == 0);
	}
	if (seeds != NULL) {
		char path[4096];
		int pn = snprintf(path, sizeof path, "%s/table-%.100s", seeds, name);
		CHECK(pn > 0 && (size_t)pn < sizeof path);
		CHECK_OK(pc_file_write_atomic(path, in.p, in.len, 0644, false, &t_err));
	}
	pc_buf_free(&in);
	pc_buf_free(&again);
}

static void row(char *const *f, void *ctx)
{
	size_t *n = ctx;

	CHECK((strcmp(f[1], "ok") == 0) == (f[3][0] == '\0'));
	run_case(f[0], f[1], f[2], f[3]);
	(*n)++;
}

int main(int argc, char **argv)
{
	size_t n = 0;

	CHECK(argc == 2);
	CHECK(t_table(argv[1], 4, row, &n) == n);
	CHECK(n >= 40);
	fprintf(stderr, "%zu cases\n", n);
	return 0;
}
