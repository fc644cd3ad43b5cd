/*
 * test_scan_report.c - the scan report reader (transfer/scanreport.c)
 * against the table bad-scan-report.txt (tests/tools/make-bad-reports.py):
 * every bad report gives exactly its message and leaves nothing behind;
 * every good one parses and writes back to exactly its bytes.  Also the
 * size cap, checked before anything is read.
 */
#include <stdlib.h>
#include <string.h>

#include "../../check.h"
#include "pem.h"
#include "scanreport.h"

static size_t rows, good;

static void row(char *const *f, void *ctx)
{
	size_t cap = strlen(f[1]) / 2 + 1, n = 0;
	uint8_t *bytes = malloc(cap);
	sr_report r;
	pc_rc rc;

	(void)ctx;
	rows++;
	CHECK(bytes != NULL);
	if (f[1][0] != '\0' && !pc_hex_decode(f[1], bytes, cap, &n))
		FAIL("%s: bad hex", f[0]);
	memset(&t_err, 0, sizeof t_err);
	rc = sr_parse(bytes, n, "report", &r, &t_err);
	if (strncmp(f[0], "good", 4) == 0) {
		pc_buf out = PC_BUF_INIT;
		good++;
		if (rc != PC_OK) {
			FAIL_ROW("%s: refused: %s", f[0], t_err.msg);
		} else {
			sr_format(&r, &out);
			if (!pc_buf_ok(&out) || out.len != n || memcmp(out.p, bytes, n) != 0)
				FAIL_ROW("%s: does not write back to its own bytes", f[0]);
			pc_buf_free(&out);
			sr_report_free(&r);
		}
	} else if (rc == PC_OK) {
		FAIL_ROW("%s: accepted, expected \"%s\"", f[0], f[2]);
		sr_report_free(&r);
	} else if (strcmp(t_err.msg, f[2]) != 0) {
		FAIL_ROW("%s:\n  got      %s\n  expected %s", f[0], t_err.msg, f[2]);
	} else if (r.neps != 0 || r.ncerts != 0) {
		FAIL_ROW("%s: a refusal left a report", f[0]);
	}
	free(bytes);
}

int main(int argc, char **argv)
{
	sr_report r;
	uint8_t one = 'p';

	if (argc != 2)
		t_die("usage: test_scan_report bad-scan-report.txt");
	t_table(argv[1], 3, row, NULL);
	CHECKF(rows >= 60 && good >= 2, "only %zu rows, %zu good", rows, good);
	CHECK_ROWS(rows);
	/* the cap comes first: the bytes past it are never looked at */
	CHECK_RC(sr_parse(&one, (size_t)SR_REPORT_MAX + 1, "big", &r, &t_err), PC_E_LIMIT);
	CHECK_MSG("big: 33554433 bytes, more than 33554432");
	printf("%zu rows\n", rows);
	return 0;
}
