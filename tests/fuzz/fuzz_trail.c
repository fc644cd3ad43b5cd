/*
 * fuzz_trail.c - a CA audit trail as plantca-station audit-check reads it
 * (st_trail_parse, transfer/station/audit.c) on arbitrary bytes.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT naming "fuzz:LINE:" with a line the input has;
 *  - events come in order from 1, each with prev = the hash of the one
 *    before (all zero for event 1) and a hash recomputed from its fields.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "station.h"

struct ctx {
	uint64_t next;
	uint8_t prev[PC_AUDIT_HASH_LEN];
};

static pc_rc visit(void *p, const pc_audit_event *ev, pc_err *e)
{
	struct ctx *c = p;
	uint8_t h[PC_AUDIT_HASH_LEN];

	FUZZ_ASSERT(ev->seq == c->next);
	FUZZ_ASSERT(memcmp(ev->prev, c->prev, sizeof h) == 0);
	FUZZ_ASSERT(pc_audit_event_hash(h, ev, e) == PC_OK && memcmp(h, ev->hash, sizeof h) == 0);
	memcpy(c->prev, ev->hash, sizeof h);
	c->next++;
	return PC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;
	pc_err e;
	pc_rc rc;

	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	c.next = 1;
	rc = st_trail_parse(data, size, "fuzz", visit, &c, &e);
	if (rc != PC_OK) {
		long line;
		size_t i, lines = 1;
		FUZZ_ASSERT(rc == PC_E_INPUT || rc == PC_E_NOMEM);
		FUZZ_ASSERT(strncmp(e.msg, "fuzz:", 5) == 0);
		line = strtol(e.msg + 5, NULL, 10);
		for (i = 0; i < size; i++)
			lines += data[i] == '\n';
		FUZZ_ASSERT(line >= 1 && (size_t)line <= lines + 1);
	}
	return 0;
}
