/*
 * test_opcua.c - plantca-station scan's OPC UA client against the table of
 * server replies in bad-opcua.txt (made by tests/tools/uafake.py table):
 * each row is every byte a server sends, fed to st_ua_probe through an
 * in-memory st_io, and the exact message the probe must give; the row
 * 'good' must parse into its one endpoint description.  Also: what the
 * client sends is exactly Hello, OpenSecureChannel, GetEndpoints and
 * CloseSecureChannel, nothing else.
 */
#include <stdlib.h>
#include <string.h>

#include "../../check.h"
#include "pem.h"
#include "station.h"

typedef struct mem_io {
	const uint8_t *p;
	size_t len, off;
	char sent[8][4];              /* message types the client wrote */
	size_t nsent;
} mem_io;

static pc_rc mem_read(void *ctx, uint8_t *p, size_t n, pc_err *e)
{
	mem_io *m = ctx;

	if (n > m->len - m->off)
		return pc_fail(e, PC_E_INPUT, "the server closed the connection");
	memcpy(p, m->p + m->off, n);
	m->off += n;
	return PC_OK;
}

static pc_rc mem_write(void *ctx, const uint8_t *p, size_t n, pc_err *e)
{
	mem_io *m = ctx;
	uint32_t size;

	CHECK(n >= 8);
	size = (uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
	CHECKF(size == n, "message of %zu bytes says %u", n, size);
	CHECK(m->nsent < 8);
	memcpy(m->sent[m->nsent++], p, 4);
	(void)e;
	return PC_OK;
}

static size_t rows;

static void row(char *const *f, void *ctx)
{
	uint8_t *bytes = malloc(strlen(f[1]) / 2 + 1);
	size_t n = 0;
	mem_io m;
	st_io io = { mem_read, mem_write, &m };
	st_ua_result r;
	pc_rc rc;

	(void)ctx;
	rows++;
	CHECK(bytes != NULL);
	if (f[1][0] != '\0' && !pc_hex_decode(f[1], bytes, strlen(f[1]) / 2 + 1, &n))
		FAIL("%s: bad hex", f[0]);
	memset(&m, 0, sizeof m);
	m.p = bytes;
	m.len = n;
	memset(&t_err, 0, sizeof t_err);
	rc = st_ua_probe(&io, "opc.tcp://127.0.0.1:4840", 0, 1000, &r, &t_err);
	if (strcmp(f[0], "good") == 0) {
		if (rc != PC_OK) {
			FAIL_ROW("good: %s", t_err.msg);
		} else {
			CHECK(r.n == 1 && r.desc[0].mode == SR_MODE_NONE);
			CHECK(r.desc[0].app_uri_len == 8 && memcmp(r.desc[0].app_uri, "urn:fake", 8) == 0);
			CHECK(r.desc[0].policy_len == 47);
			CHECK(m.nsent == 4 && memcmp(m.sent[0], "HELF", 4) == 0 &&
			    memcmp(m.sent[1], "OPNF", 4) == 0 && memcmp(m.sent[2], "MSGF", 4) == 0 &&
			    memcmp(m.sent[3], "CLOF", 4) == 0);
			st_ua_result_free(&r);
		}
	} else if (rc == PC_OK) {
		FAIL_ROW("%s: accepted, expected \"%s\"", f[0], f[2]);
		st_ua_result_free(&r);
	} else if (strcmp(t_err.msg, f[2]) != 0) {
		FAIL_ROW("%s:\n  got      %s\n  expected %s", f[0], t_err.msg, f[2]);
	} else if (r.msg != NULL || r.n != 0) {
		FAIL_ROW("%s: a refusal left a result", f[0]);
	}
	free(bytes);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		t_die("usage: test_opcua bad-opcua.txt");
	t_table(argv[1], 3, row, NULL);
	CHECKF(rows >= 40, "only %zu rows", rows);
	CHECK_ROWS(rows);
	printf("%zu rows\n", rows);
	return 0;
}
