/*
 * sign.c - `plantca sign`: every approved request, checked again under the
 * policy in force, issued through the pipeline with the request state
 * machine as its hook.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "capolicy.h"
#include "format.h"
#include "home.h"
#include "json.h"
#include "leaf.h"
#include "records.h"
#include "request_state.h"

/* Requests that failed their checks at signing time are rejected with the
 * reason, each only if it is still approved (checked in the transaction),
 * so that they do not block the next runs; one audit event each. */
PC_CHECK static pc_rc reject_at_signing(ca_ctx *c, const ca_request_list *l, char **why, size_t *nrej,
    pc_err *e)
{
	store_txn *t;
	size_t i;
	pc_rc rc = PC_OK;
	time_t now = time(NULL);

	*nrej = 0;
	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < l->n && rc == PC_OK; i++) {
		ca_request r;
		char obj[24], full[REASON_MAX];
		if (why[i] == NULL)
			continue;
		if ((rc = ca_request_get(t, l->v[i].id, &r, e)) != PC_OK)
			break;
		if (strcmp(r.status, "approved") != 0) {
			ca_request_free(&r);
			continue;
		}
		snprintf(full, sizeof full, "refused at signing: %s", why[i]);
		rc = ca_set_str(&r.status, "rejected", e);
		if (rc == PC_OK)
			rc = ca_set_str(&r.reason, full, e);
		if (rc == PC_OK)
			rc = ca_request_put(t, &r, false, e);
		ca_request_free(&r);
		snprintf(obj, sizeof obj, "%" PRIu64, l->v[i].id);
		if (rc == PC_OK)
			rc = audit_append(t, now, "reject", obj, "ok", full, e);
		if (rc == PC_OK)
			(*nrej)++;
	}
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

pc_rc ca_sign(ca_ctx *c, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	ca_job *jobs = NULL;
	size_t i, nprep = 0, nok = 0, nbad = 0, nrej = 0;
	char **sources = NULL, **why = NULL;
	uint64_t nintents = 0;
	policy *pol = NULL;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	l.status = "approved";
	/* the policy in force now decides, not the one at import */
	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	/* Interrupted issuances are completed first (ca_hsm_ready), and only
	 * then is the list of approved requests read: a request whose intent
	 * was committed is "signing", not "approved", so it cannot be
	 * prepared a second time. */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = store_count(t, STORE_INTENTS, &nintents, e);
	if (rc == PC_OK && nintents == 0)
		rc = ca_requests_load(t, &l, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (nintents == 0 && l.n == 0) {
		if (c->json)
			printf("[]\n");
		else
			printf("no approved requests to sign\n");
		goto out;
	}
	ca_request_list_free(&l);
	if ((rc = ca_hsm_ready(c, e)) != PC_OK)
		goto out;
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = ca_requests_load(t, &l, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (l.n == 0) {
		if (c->json)
			printf("[]\n");
		else
			printf("no approved requests to sign\n");
		goto out;
	}
	jobs = calloc(l.n, sizeof *jobs);
	sources = calloc(l.n, sizeof *sources);
	why = calloc(l.n, sizeof *why);
	if (!jobs || !sources || !why) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* Every approved request is prepared (and checked again) before any is
	 * signed.  One that no longer passes does not stop the others: it is
	 * rejected with the reason and reported. */
	for (i = 0; i < l.n; i++) {
		ca_request *r = &l.v[i];
		ca_rec issuer;
		hsm_key *ik;
		const uint8_t *sa = NULL;
		size_t sal = 0;
		char what[600];
		size_t sl = strlen(r->bundle) + strlen(r->member) + 32;
		pc_err pe;
		pc_rc prc;

		if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
			goto out;
		prc = ca_rec_get(t, r->ca, &issuer, &pe);
		store_abort(t);
		if (prc == PC_OK) {
			prc = ca_key_for(c, r->ca, issuer.key_uri, &ik, &pe);
			if (prc == PC_OK)
				sa = hsm_key_sigalg(ik, &sal);
			if (prc == PC_OK && (sources[i] = malloc(sl)) == NULL)
				prc = pc_fail(&pe, PC_E_NOMEM, "out of memory");
			if (prc == PC_OK) {
				snprintf(sources[i], sl, "request %" PRIu64 " %s/%s", r->id, r->bundle,
				    r->member);
				snprintf(what, sizeof what, "request %" PRIu64 " (%s/%s)", r->id, r->bundle,
				    r->member);
				prc = ca_request_prepare(pol, r, NULL, &issuer, sa, sal, sources[i], what,
				    &jobs[i], &pe);
			}
			ca_rec_free(&issuer);
		}
		if (prc == PC_OK) {
			jobs[i].request_id = r->id;
			nprep++;
			continue;
		}
		/* a system failure (token, memory, store) stops the run; a
		 * refusal of this one request does not */
		if (pc_rc_exit_status(prc) != 1) {
			*e = pe;
			rc = prc;
			goto out;
		}
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].skip = true;
		if ((why[i] = strdup(pe.msg)) == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		nbad++;
	}
	if (nbad && (rc = reject_at_signing(c, &l, why, &nrej, e)) != PC_OK)
		goto out;
	{
		/* ca_run_jobs sees the prepared jobs only, and the request state
		 * machine as its hook: each request is claimed with its intent
		 * and marked issued with its certificate */
		ca_request_hook_ctx own = { false };
		const ca_job_hook hook = { ca_request_hook, &own };
		ca_job *run = calloc(nprep ? nprep : 1, sizeof *run);
		size_t k = 0;
		if (run == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < l.n; i++)
			if (!jobs[i].skip)
				run[k++] = jobs[i];
		rc = nprep ? ca_run_jobs(c, run, nprep, false, &hook, e) : PC_OK;
		for (i = 0, k = 0; i < l.n; i++)
			if (!jobs[i].skip)
				jobs[i] = run[k++];
		free(run);
		if (rc != PC_OK)
			goto out;
	}
	for (i = 0; i < l.n; i++)
		nok += !why[i] && !jobs[i].skip;
	if (c->json) {
		size_t shown = 0;
		printf("[");
		for (i = 0; i < l.n; i++) {
			char hex[2 * PKIX_SERIAL_LEN + 1];
			if (why[i]) {
				printf("%s{\"id\":%" PRIu64 ",\"status\":\"rejected\",\"reason\":",
				    shown++ ? "," : "", l.v[i].id);
				json_str(stdout, why[i]);
				printf("}");
				continue;
			}
			if (jobs[i].skip) {
				printf("%s{\"id\":%" PRIu64 ",\"status\":\"skipped\",\"reason\":",
				    shown++ ? "," : "", l.v[i].id);
				json_str(stdout, jobs[i].skip_why);
				printf("}");
				continue;
			}
			ca_serial_hex(jobs[i].serial, PKIX_SERIAL_LEN, hex);
			printf("%s{\"id\":%" PRIu64 ",\"status\":\"issued\",\"serial\":\"%s\","
			    "\"subject\":", shown++ ? "," : "", l.v[i].id, hex);
			json_str(stdout, jobs[i].subject_text);
			printf("}");
		}
		printf("]\n");
	} else {
		size_t nskip = 0;
		for (i = 0; i < l.n; i++) {
			if (why[i])
				fprintf(stderr, "plantca: %s (rejected)\n", why[i]);
			else if (jobs[i].skip)
				nskip++;
		}
		if (nskip)
			fprintf(stderr, "plantca: %zu request(s) not signed by this run: they were no "
			    "longer approved when it came to them (signed by another run, or rejected)\n",
			    nskip);
		printf("signed %zu request(s); plantca export SEGMENT DIR writes the response bundle\n",
		    nok);
	}
	if (nbad)
		rc = pc_fail(e, PC_E_POLICY, "%zu request(s) refused at signing, %zu of them now "
		    "rejected with the reason (plantca requests --status rejected); %zu signed", nbad,
		    nrej, nok);
out:
	for (i = 0; jobs && i < l.n; i++)
		ca_job_free(&jobs[i]);
	for (i = 0; sources && i < l.n; i++)
		free(sources[i]);
	for (i = 0; why && i < l.n; i++)
		free(why[i]);
	free(sources);
	free(why);
	free(jobs);
	ca_request_list_free(&l);
	policy_free(pol);   /* jobs pointed into it (profile, hash) */
	return rc;
}
