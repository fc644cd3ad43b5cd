/*
 * request_state.c - a queued request's way through issuance: claimed with
 * its intent, marked issued with its certificate, each step checked inside
 * the pipeline's transaction.  See request_state.h.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cmp.h"
#include "records.h"
#include "request_state.h"

PC_CHECK static pc_rc renewal_record(store_txn *t, const ca_request *r, const uint8_t *serial,
    pc_err *e);

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
	if (rc == PC_OK)
		rc = renewal_record(t, &r, serial, e);
	ca_request_free(&r);
	return rc;
}

/* The certificate a request renews (plantca renew, or a CMP kur's
 * oldCertID) is superseded by the one it got: indexed in the transaction
 * that records the new certificate. */
PC_CHECK static pc_rc renewal_record(store_txn *t, const ca_request *r, const uint8_t *serial,
    pc_err *e)
{
	ca_cmp_info i;
	pc_rc rc;

	if (r->has_renews)
		return ca_supersede_put(t, r->renews, serial, e);
	rc = ca_cmp_info_get(t, r->id, &i, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (i.body == PKIX_CMP_KUR && i.has_old)
		return ca_supersede_put(t, i.old_serial, serial, e);
	return PC_OK;
}

/* The rule of ca_request_mark_issued, read only: may request r still take
 * the certificate with `serial`?  "approved" only for an intent left by a
 * plantca that had no "signing" state (legacy): it claimed nothing, so the
 * request must not have been issued since. */
static bool may_take(const ca_request *r, const uint8_t *serial, bool legacy)
{
	return (strcmp(r->status, "signing") == 0 && r->has_serial &&
	    memcmp(r->serial, serial, PKIX_SERIAL_LEN) == 0) ||
	    (legacy && strcmp(r->status, "approved") == 0);
}

pc_rc ca_request_hook(void *ctx, store_txn *t, ca_job_step step, const ca_job *j,
    const char **why, pc_err *e)
{
	const ca_request_hook_ctx *h = ctx;
	ca_request r;
	pc_rc rc;
	bool ok;

	if (j->request_id == 0)
		return PC_OK;        /* a direct issue: no request to move */
	switch (step) {
	case CA_STEP_CLAIM:
		rc = ca_request_claim(t, j->request_id, j->serial, e);
		if (rc == PC_E_STATE)
			*why = "no longer approved (signed or rejected meanwhile)";
		return rc;
	case CA_STEP_CHECK:
		rc = ca_request_get(t, j->request_id, &r, e);
		if (rc == PC_E_NOTFOUND) {
			*why = "its request is gone";
			return PC_E_STATE;
		}
		PC_TRY(rc);
		ok = may_take(&r, j->serial, h->legacy);
		ca_request_free(&r);
		if (!ok) {
			*why = "its request was issued under another serial or rejected";
			return PC_E_STATE;
		}
		return PC_OK;
	case CA_STEP_ISSUED:
		/* checked and marked in one step, in the transaction that
		 * records the certificate */
		rc = ca_request_mark_issued(t, j->request_id, j->serial, h->legacy, e);
		if (rc == PC_E_NOTFOUND) {
			*why = "its request is gone";
			return PC_E_STATE;
		}
		if (rc == PC_E_STATE)
			*why = "its request was issued under another serial or rejected";
		return rc;
	}
	return pc_fail(e, PC_E_INTERNAL, "request %" PRIu64 ": unknown issuance step", j->request_id);
}
