/*
 * request_state.c - a queued request's way through issuance: claimed with
 * its intent, marked issued with its certificate, each step checked inside
 * the pipeline's transaction.  See request_state.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "request_state.h"

pc_rc ca_request_claim(store_txn *t, uint64_t id, const uint8_t *serial, pc_err *e)
{
	ca_request r;
	pc_rc rc;

	PC_TRY(ca_request_get(t, id, &r, e));
	if (strcmp(r.status, "approved") != 0)
		rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is %s, no longer approved", id, r.status);
	else
		rc = ca_set_str(&r.status, "signing", e);
	if (rc == PC_OK) {
		memcpy(r.serial, serial, PKIX_SERIAL_LEN);
		r.has_serial = true;
		rc = ca_request_put(t, &r, false, e);
	}
	ca_request_free(&r);
	return rc;
}

pc_rc ca_request_mark_issued(store_txn *t, uint64_t id, const uint8_t *serial, bool legacy,
    pc_err *e)
{
	ca_request r;
	pc_rc rc = PC_OK;

	PC_TRY(ca_request_get(t, id, &r, e));
	if (strcmp(r.status, "signing") == 0) {
		if (!r.has_serial || memcmp(r.serial, serial, PKIX_SERIAL_LEN) != 0)
			rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is being signed under another "
			    "serial", id);
	} else if (!(legacy && strcmp(r.status, "approved") == 0)) {
		rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is %s", id, r.status);
	}
	if (rc == PC_OK)
		rc = ca_set_str(&r.status, "issued", e);
	if (rc == PC_OK) {
		memcpy(r.serial, serial, PKIX_SERIAL_LEN);
		r.has_serial = true;
		rc = ca_request_put(t, &r, false, e);
	}
	ca_request_free(&r);
	return rc;
}
