/*
 * records_revocation.c - the revocation record (STORE_REVOCATIONS, by
 * serial) and the RFC 5280 §5.3.1 reason names.  See records.h.
 */
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_REVOCATION = 'R' };
enum { RV_F_REASON = 1, RV_F_TIME, RV_F_CA };

/* RFC 5280 §5.3.1.  certificateHold (6) and removeFromCRL (8) are left out:
 * plantca never suspends, a revocation is final. */
static const struct {
	const char *name;
	unsigned code;
} reasons[] = {
	{ "unspecified", 0 },
	{ "keyCompromise", 1 },
	{ "cACompromise", 2 },
	{ "affiliationChanged", 3 },
	{ "superseded", 4 },
	{ "cessationOfOperation", 5 },
	{ "privilegeWithdrawn", 9 },
};

const char *ca_reason_name(unsigned code)
{
	size_t i;

	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (reasons[i].code == code)
			return reasons[i].name;
	return NULL;
}

pc_rc ca_reason_parse(const char *name, unsigned *code, pc_err *e)
{
	size_t i;

	if (name == NULL)
		return pc_fail(e, PC_E_USAGE, "revoke needs --reason (keyCompromise, cACompromise, "
		    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn or "
		    "unspecified)");
	for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
		if (strcmp(reasons[i].name, name) == 0) {
			*code = reasons[i].code;
			return PC_OK;
		}
	return pc_fail(e, PC_E_USAGE, "--reason '%s': not one of keyCompromise, cACompromise, "
	    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, "
	    "unspecified (RFC 5280 §5.3.1 names)", name);
}


void ca_revocation_encode(pc_buf *b, const ca_revocation *r)
{
	pc_rec_begin(b, REC_REVOCATION, 1);
	pc_rec_u64(b, RV_F_REASON, r->reason);
	pc_rec_u64(b, RV_F_TIME, r->when);
	pc_rec_str(b, RV_F_CA, r->ca);
}

pc_rc ca_revocation_decode(pc_reader val, ca_revocation *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool reason = false, when = false, ca = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_REVOCATION, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case RV_F_REASON: reason = pc_rec_val_u64(f, &r->reason); break;
		case RV_F_TIME: when = pc_rec_val_u64(f, &r->when); break;
		case RV_F_CA:
			if (pc_reader_left(&f) >= 1 && pc_reader_left(&f) <= CA_NAME_MAX) {
				memcpy(r->ca, f.p + f.off, pc_reader_left(&f));
				r->ca[pc_reader_left(&f)] = '\0';
				ca = true;
			}
			break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !reason || !when || !ca || r->reason > 10 ||
	    ca_reason_name((unsigned)r->reason) == NULL)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation record is truncated or malformed");
	return PC_OK;
}

pc_rc ca_revocation_get(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN],
    ca_revocation *r, pc_err *e)
{
	pc_reader v;

	PC_TRY(store_get(t, STORE_REVOCATIONS, serial, PKIX_SERIAL_LEN, &v, e));
	return ca_revocation_decode(v, r, e);
}
