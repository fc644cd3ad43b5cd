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

/* "keyCompromise, cACompromise, ... or unspecified": the reasons plantca
 * writes, from the one table (pkix/crl.c) */
static void reason_list(char *out, size_t cap)
{
	size_t n = 0;
	unsigned r;

	out[0] = '\0';
	for (r = 1; r < 32 && n < cap; r++)
		if (pkix_reason_issued(r))
			n += (size_t)snprintf(out + n, cap - n, "%s, ", pkix_reason_name(r));
	if (n < cap)
		snprintf(out + n, cap - n, "or %s", pkix_reason_name(0));
}

pc_rc ca_reason_parse(const char *name, unsigned *code, pc_err *e)
{
	char list[256];
	int r;

	if (name != NULL && (r = pkix_reason_parse(name)) >= 0 && pkix_reason_issued((unsigned)r)) {
		*code = (unsigned)r;
		return PC_OK;
	}
	reason_list(list, sizeof list);
	if (name == NULL)
		return pc_fail(e, PC_E_USAGE, "revoke needs --reason (%s)", list);
	return pc_fail(e, PC_E_USAGE, "--reason '%s': not one of %s (RFC 5280 §5.3.1 names)", name,
	    list);
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
