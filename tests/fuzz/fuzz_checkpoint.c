/*
 * fuzz_checkpoint.c - an audit checkpoint as text (tr_checkpoint_parse,
 * transfer/checkpoint.c) on arbitrary bytes, then its signature check:
 * the member audit-checkpoint.txt of a response bundle, and the copies
 * that the CA store and a station's DIR/audit/ hold.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT or PC_E_LIMIT (only over TR_CHECKPOINT_MAX)
 *    with a message naming "fuzz", and leaves *c zeroed;
 *  - what parses is in the one encoding: tr_checkpoint_format gives back
 *    exactly the input, sequence >= 1;
 *  - the signature check then ends in PC_OK or PC_E_SIGNATURE (or
 *    PC_E_INPUT for a key that is no Ed25519 point), never anything else.
 */
#include <string.h>

#include "fuzz.h"
#include "transfer.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const tr_checkpoint zero;
	tr_checkpoint c;
	pc_buf b = PC_BUF_INIT;
	pc_err e;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = tr_checkpoint_parse(data, size, "fuzz", &c, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(rc == PC_E_INPUT || (rc == PC_E_LIMIT && size > TR_CHECKPOINT_MAX));
		FUZZ_ASSERT(memcmp(&c, &zero, sizeof c) == 0);
		FUZZ_ASSERT(strncmp(e.msg, "fuzz", 4) == 0);
		return 0;
	}
	FUZZ_ASSERT(c.seq >= 1);
	tr_checkpoint_format(&c, &b);
	FUZZ_ASSERT(pc_buf_ok(&b) && b.len == size && memcmp(b.p, data, size) == 0);
	pc_buf_free(&b);
	rc = tr_checkpoint_verify(&c, "fuzz", &e);
	FUZZ_ASSERT(rc == PC_OK || rc == PC_E_SIGNATURE || rc == PC_E_INPUT);
	return 0;
}
