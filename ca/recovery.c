/*
 * recovery.c - completing interrupted issuances: the intents a crash left
 * are signed and recorded (or abandoned) by the next command that logs
 * into the token, before it does anything else.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "home.h"
#include "pipeline.h"
#include "records.h"
#include "request_state.h"

/* Every intent in the store, completed or abandoned.  The hook is the
 * request state machine with its legacy rule: an intent written by a
 * plantca that had no "signing" state left its request "approved", and
 * it is completed if the request still is. */
PC_CHECK static pc_rc resolve_intents(ca_ctx *c, pc_err *e)
{
	ca_request_hook_ctx legacy = { true };
	const ca_job_hook hook = { ca_request_hook, &legacy };
	ca_intent_list l;
	store_txn *t;
	size_t i;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_intents_load(t, &l, e);
	store_abort(t);
	if (rc == PC_OK && l.n > 0) {
		rc = ca_run_jobs(c, l.jobs, l.n, true, &hook, e);
		if (rc == PC_OK) {
			size_t done = 0;
			for (i = 0; i < l.n; i++)
				done += !l.jobs[i].skip;
			if (done)
				fprintf(stderr, "plantca: completed %zu interrupted issuance(s); see "
				    "plantca audit log (issue.recovered)\n", done);
			if (done < l.n)
				fprintf(stderr, "plantca: abandoned %zu interrupted issuance(s) whose "
				    "request was issued or rejected meanwhile (issue.abandoned)\n",
				    l.n - done);
		} else {
			pc_wrap(e, "completing interrupted issuances");
		}
	}
	ca_intent_list_free(&l);
	return rc;
}

pc_rc ca_hsm_ready(ca_ctx *c, pc_err *e)
{
	if (c->h != NULL)
		return PC_OK;
	PC_TRY(ca_hsm_login(c, e));
	return resolve_intents(c, e);
}
