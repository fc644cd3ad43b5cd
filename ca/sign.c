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

/* What one run has done so far, over its pages. */
typedef struct sign_run {
	size_t nok, nbad, nrej, nskip;
	size_t shown;              /* JSON items printed */
	size_t total;              /* approved when the run began (progress) */
} sign_run;

/* One result, printed as soon as its page is committed: a JSON array item,
 * or a rejection line on stderr (the summary counts the rest). */
static void sign_report(const ca_ctx *c, sign_run *run, const ca_request *r, const ca_job *j,
    const char *why)
{
	char hex[2 * PKIX_SERIAL_LEN + 1];

	if (!c->json) {
		if (why)
			fprintf(stderr, "%splantca: %s (rejected)\n", c->progress ? "\r" : "", why);
		return;
	}
	printf("%s{\"id\":%" PRIu64 ",\"status\":", run->shown++ ? "," : "", r->id);
	if (why || j->skip) {
		printf(why ? "\"rejected\",\"reason\":" : "\"skipped\",\"reason\":");
		json_str(stdout, why ? why : j->skip_why);
		printf("}");
		return;
	}
	ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
	printf("\"issued\",\"serial\":\"%s\",\"subject\":", hex);
	json_str(stdout, j->subject_text);
	printf("}");
}

/* One page of approved requests: each prepared (and checked again under
 * the policy in force); those that no longer pass are rejected with the
 * reason, the others issued through the pipeline with the request state
 * machine as its hook; then every result is reported and the page freed.
 * A refusal of one request does not stop the others; a system failure
 * (token, memory, store) stops the run. */
PC_CHECK static pc_rc sign_page(ca_ctx *c, const policy *pol, const ca_request_list *l,
    sign_run *run, pc_err *e)
{
	ca_job *jobs = calloc(l->n ? l->n : 1, sizeof *jobs);
	ca_job *todo = calloc(l->n ? l->n : 1, sizeof *todo);
	char **sources = calloc(l->n ? l->n : 1, sizeof *sources);
	char **why = calloc(l->n ? l->n : 1, sizeof *why);
	size_t i, k, nprep = 0, nbad = 0, nrej = 0;
	store_txn *t;
	pc_rc rc = PC_OK;

	if (!jobs || !todo || !sources || !why) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < l->n; i++) {
		const ca_request *r = &l->v[i];
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
	if (nbad && (rc = reject_at_signing(c, l, why, &nrej, e)) != PC_OK)
		goto out;
	run->nbad += nbad;
	run->nrej += nrej;
	/* ca_run_jobs sees the prepared jobs only, and the request state
	 * machine as its hook: each request is claimed with its intent and
	 * marked issued with its certificate */
	for (i = 0, k = 0; i < l->n; i++)
		if (!jobs[i].skip)
			todo[k++] = jobs[i];
	if (nprep) {
		ca_request_hook_ctx own = { false };
		const ca_job_hook hook = { ca_request_hook, &own };
		rc = ca_run_jobs(c, todo, nprep, false, &hook, e);
	}
	for (i = 0, k = 0; i < l->n; i++)
		if (!jobs[i].skip)
			jobs[i] = todo[k++];
	c->batch_done += nprep;
	if (rc != PC_OK)
		goto out;
	for (i = 0; i < l->n; i++) {
		if (!why[i] && jobs[i].skip)
			run->nskip++;
		else if (!why[i])
			run->nok++;
		sign_report(c, run, &l->v[i], &jobs[i], why[i]);
	}
out:
	for (i = 0; jobs && i < l->n; i++)
		ca_job_free(&jobs[i]);
	for (i = 0; sources && i < l->n; i++)
		free(sources[i]);
	for (i = 0; why && i < l->n; i++)
		free(why[i]);
	free(sources);
	free(why);
	free(todo);
	free(jobs);
	return rc;
}

/* Approved requests in the store, page by page from after *after; 0 when
 * none is left. */
PC_CHECK static pc_rc approved_page(ca_ctx *c, ca_request_list *l, pc_err *e)
{
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_requests_load(t, l, e);
	store_abort(t);
	return rc;
}

pc_rc ca_sign(ca_ctx *c, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	sign_run run;
	uint64_t nintents = 0;
	policy *pol = NULL;
	bool open = false;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	memset(&run, 0, sizeof run);
	l.status = "approved";
	/* the policy in force now decides, not the one at import */
	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	/* Interrupted issuances are completed first (ca_hsm_ready), and only
	 * then are the approved requests read: a request whose intent was
	 * committed is "signing", not "approved", so it cannot be prepared a
	 * second time. */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = store_count(t, STORE_INTENTS, &nintents, e);
	if (rc == PC_OK && nintents == 0)
		rc = ca_requests_count(t, "approved", NULL, &run.total, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (nintents == 0 && run.total == 0) {
		printf(c->json ? "[]\n" : "no approved requests to sign\n");
		goto out;
	}
	if ((rc = ca_hsm_ready(c, e)) != PC_OK)
		goto out;
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = ca_requests_count(t, "approved", NULL, &run.total, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (run.total == 0) {
		printf(c->json ? "[]\n" : "no approved requests to sign\n");
		goto out;
	}
	/* Page by page, each page prepared, issued, reported and freed before
	 * the next is read: memory does not grow with the batch.  Requests
	 * approved while this runs are signed by it if their ids come later. */
	c->batch_done = 0;
	c->batch_total = run.total;
	if (c->json) {
		printf("[");
		open = true;
	}
	l.page = CA_ISSUE_GROUP;
	do {
		if ((rc = approved_page(c, &l, e)) != PC_OK || l.n == 0)
			break;
		if (c->batch_done + l.n > c->batch_total)
			c->batch_total = c->batch_done + l.n;
		rc = sign_page(c, pol, &l, &run, e);
		ca_request_list_free(&l);
		store_release_pages(c->st);   /* what this page read of the store */
		fflush(stdout);
	} while (rc == PC_OK && l.more);
	if (c->progress && c->batch_done > 1)
		fputc('\n', stderr);
	c->batch_total = 0;
	if (rc != PC_OK)
		goto out;
	if (!c->json) {
		if (run.nskip)
			fprintf(stderr, "plantca: %zu request(s) not signed by this run: they were no "
			    "longer approved when it came to them (signed by another run, or rejected)\n",
			    run.nskip);
		printf("signed %zu request(s); plantca export SEGMENT DIR writes the response bundle\n",
		    run.nok);
	}
	if (run.nbad)
		rc = pc_fail(e, PC_E_POLICY, "%zu request(s) refused at signing, %zu of them now "
		    "rejected with the reason (plantca requests --status rejected); %zu signed", run.nbad,
		    run.nrej, run.nok);
out:
	/* the JSON array is closed whatever happened: it lists exactly what
	 * this run committed, and the exit status says whether all went well */
	if (open)
		printf("]\n");
	ca_request_list_free(&l);
	policy_free(pol);   /* jobs pointed into it (profile, hash) */
	return rc;
}
