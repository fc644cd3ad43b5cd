/*
 * audit_verbs.c - `plantca audit log` and `plantca audit verify` (the
 * chain itself is ca/audit.c, the store's invariants ca/check.c).
 */
#include <inttypes.h>
#include <stdio.h>

#include "audit.h"
#include "ca.h"
#include "checkpoint.h"
#include "store_check.h"

pc_rc ca_audit_log(ca_ctx *c, FILE *out, pc_err *e)
{
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = audit_print(t, out, c->json, e);
	store_abort(t);
	return rc;
}

pc_rc ca_audit_verify(ca_ctx *c, FILE *out, pc_err *e)
{
	store_txn *t;
	uint64_t n = 0, ncp = 0, findings = 0;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = audit_verify(t, &n, e);
	/* the chain is consistent; the signed checkpoints say it is the chain
	 * the audit key saw (a consistent rewrite of the tail is caught here) */
	if (rc == PC_OK)
		rc = ca_checkpoints_verify(t, &ncp, e);
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	/* the chain is intact; now what it recorded must agree with itself:
	 * no request with two certificates, no certificate without its
	 * request (ca/check.c) */
	if (c->json)
		fprintf(out, "{\"events\":%" PRIu64 ",\"checkpoints\":%" PRIu64 ",", n, ncp);
	else
		fprintf(out, "audit trail intact: %" PRIu64 " events, %" PRIu64 " signed checkpoint%s "
		    "verified\n", n, ncp, ncp == 1 ? "" : "s");
	rc = ca_check_store(c, out, c->json, &findings, e);
	if (c->json)
		fprintf(out, ",\"ok\":%s}\n", rc == PC_OK ? "true" : "false");
	return rc;
}
