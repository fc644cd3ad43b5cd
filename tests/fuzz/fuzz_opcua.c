/*
 * fuzz_opcua.c - plantca-station scan's OPC UA client (opcua.c): the input
 * is every byte a server sends, read through an in-memory st_io as the
 * real exchange would read them (Acknowledge, OpenSecureChannel response,
 * GetEndpoints response chunks).  Seeds: tests/tools/uafake.py table
 * (the rows of tests/unit/station/bad-opcua.txt and good streams).
 *
 * Properties:
 *  - the probe returns PC_OK, PC_E_INPUT, PC_E_LIMIT or PC_E_NOMEM, and a
 *    refusal leaves no result;
 *  - every message the client writes says its own size, and it writes at
 *    most Hello, OpenSecureChannel, GetEndpoints, CloseSecureChannel;
 *  - a result holds at most SR_UA_MAX descriptions, each certificate a
 *    window inside the message kept, each URI within SR_TEXT_MAX.
 */
#include <string.h>

#include "fuzz.h"
#include "station.h"

typedef struct mem_io {
	const uint8_t *p;
	size_t len, off, nsent;
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

	(void)e;
	FUZZ_ASSERT(n >= 8 && n < 65536);
	FUZZ_ASSERT(((uint32_t)p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 |
	    (uint32_t)p[7] << 24) == n);
	FUZZ_ASSERT(memcmp(p, "HELF", 4) == 0 || memcmp(p, "OPNF", 4) == 0 ||
	    memcmp(p, "MSGF", 4) == 0 || memcmp(p, "CLOF", 4) == 0);
	FUZZ_ASSERT(++m->nsent <= 4);
	return PC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	mem_io m = { data, size, 0, 0 };
	st_io io = { mem_read, mem_write, &m };
	st_ua_result r;
	pc_err e;
	pc_rc rc;
	size_t i;

	memset(&e, 0, sizeof e);
	rc = st_ua_probe(&io, "opc.tcp://127.0.0.1:4840", 0, 1000, &r, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(rc == PC_E_INPUT || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		FUZZ_ASSERT(r.msg == NULL && r.n == 0 && e.msg[0] != '\0');
		return 0;
	}
	FUZZ_ASSERT(r.n <= SR_UA_MAX && r.msg != NULL && r.len <= ST_UA_MESSAGE_MAX);
	for (i = 0; i < r.n; i++) {
		const st_ua_desc *d = &r.desc[i];
		FUZZ_ASSERT(d->policy_len <= SR_TEXT_MAX && d->app_uri_len <= SR_TEXT_MAX);
		FUZZ_ASSERT(d->cert_len == 0 || (d->cert >= r.msg && d->cert_len <= r.len &&
		    (size_t)(d->cert - r.msg) <= r.len - d->cert_len));
	}
	st_ua_result_free(&r);
	return 0;
}
