/*
 * records_revocation.c - the revocation record (STORE_REVOCATIONS, by
 * serial): its decoder and get by serial; the RFC 5280 §5.3.1 reason
 * names.  The fields are in records.h.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "records.h"

pc_rc ca_reason_parse(const char *name, unsigned *code, pc_err *e)
{
	int r;

	if (name == NULL)
		return pc_fail(e, PC_E_USAGE, "revoke needs --reason (keyCompromise, cACompromise, "
		    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn or "
		    "unspecified)");
	if ((r = pkix_reason_parse(name)) >= 0 && pkix_reason_issued((unsigned)r)) {
		*code = (unsigned)r;
		return PC_OK;
	}
	return pc_fail(e, PC_E_USAGE, "--reason '%s': not one of keyCompromise, cACompromise, "
	    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, "
	    "unspecified (RFC 5280 §5.3.1 names)", name);
}


pc_rc ca_revocation_encode(pc_buf *b, const ca_revocation *r, pc_err *e)
{
	return pc_rec_encode(&ca_revocation_type, r, b, e);
}

pc_rc ca_revocation_decode(pc_reader val, ca_revocation *r, pc_err *e)
{
	PC_TRY(pc_rec_decode(&ca_revocation_type, val, r, e));
	if (r->reason > UINT_MAX || !pkix_reason_issued((unsigned)r->reason)) {
		uint64_t code = r->reason;
		memset(r, 0, sizeof *r);
		return pc_rec_fail(e, &ca_revocation_type, "reason", "%" PRIu64 " is not a reason "
		    "plantca records (RFC 5280 §5.3.1)", code);
	}
	return PC_OK;
}

pc_rc ca_revocation_get(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN],
    ca_revocation *r, pc_err *e)
{
	char hex[2 * PKIX_SERIAL_LEN + 1];
	pc_reader v;
	pc_rc rc;

	PC_TRY(store_get(t, STORE_REVOCATIONS, serial, PKIX_SERIAL_LEN, &v, e));
	if ((rc = ca_revocation_decode(v, r, e)) != PC_OK) {
		ca_serial_hex(serial, PKIX_SERIAL_LEN, hex);
		pc_wrap(e, "certificate %s", hex);
	}
	return rc;
}
