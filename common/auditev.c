/*
 * auditev.c - an audit event's record and hash (auditev.h).
 */
#include "auditev.h"

#include <sodium.h>

_Static_assert(PC_AUDIT_HASH_LEN <= crypto_generichash_BYTES_MAX &&
    PC_AUDIT_HASH_LEN >= crypto_generichash_BYTES_MIN, "BLAKE2b-256");

#define REQ PC_REC_REQUIRED
#define TEXT_FIELD(tag, m) \
	PC_REC_VIEW(tag, pc_audit_event, m, m##_len, REQ | PC_REC_TEXT, 0, PC_AUDIT_FIELD_MAX)
/* In tag order; the first PC_AUDIT_HASHED_FIELDS are the hashed part. */
static const pc_rec_field event_fields[] = {
	PC_REC_U64(1, pc_audit_event, seq, REQ),
	PC_REC_U64(2, pc_audit_event, time, REQ),
	TEXT_FIELD(3, action),
	TEXT_FIELD(4, object),
	TEXT_FIELD(5, result),
	TEXT_FIELD(6, detail),
	PC_REC_FIXED(7, pc_audit_event, prev, REQ),
	PC_REC_FIXED(8, pc_audit_event, hash, REQ),
};
#undef TEXT_FIELD
#undef REQ
const pc_rec_type pc_audit_event_type = PC_REC_TYPE("audit event", 'A', 1, pc_audit_event,
    event_fields);

pc_rc pc_audit_event_hash(uint8_t out[PC_AUDIT_HASH_LEN], const pc_audit_event *ev, pc_err *e)
{
	crypto_generichash_state st;
	pc_buf b = PC_BUF_INIT;
	pc_rc rc = pc_rec_encode_fields(&pc_audit_event_type, ev, PC_AUDIT_HASHED_FIELDS, &b, e);

	if (rc != PC_OK) {
		pc_buf_free(&b);
		return pc_wrap(e, "audit");
	}
	if (crypto_generichash_init(&st, NULL, 0, PC_AUDIT_HASH_LEN) != 0 ||
	    crypto_generichash_update(&st, ev->prev, PC_AUDIT_HASH_LEN) != 0 ||
	    crypto_generichash_update(&st, b.p, b.len) != 0 ||
	    crypto_generichash_final(&st, out, PC_AUDIT_HASH_LEN) != 0) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_INTERNAL, "audit: BLAKE2b failed");
	}
	pc_buf_free(&b);
	return PC_OK;
}
