/*
 * pipeline.c - issuance: intents committed, the HSM signs, certificates
 * committed, each group in two write transactions.  See pipeline.h.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cagen.h"
#include "format.h"
#include "home.h"
#include "pipeline.h"
#include "records.h"
#include "rootgen.h"

/* Every job's lookups land on random pages of three trees (certificates,
 * by expiry, by segment), and the kernel maps up to 64 KiB around each
 * page touched: a group lets go of the store's pages every so many jobs,
 * or a group of 512 would hold some 100 MiB of the map (measured at
 * 100,000 certificates).  The map is read-only: safe inside a write
 * transaction. */
enum { CA_RELEASE_EVERY = 64 };

/* The hook's answer for job j at `step`, inside t: PC_OK, PC_E_STATE with
 * *why set (static text), or an error in e.  No hook: always PC_OK. */
PC_CHECK static pc_rc ask_hook(const ca_job_hook *hook, store_txn *t, ca_job_step step, ca_job *j,
    const char **why, pc_err *e)
{
	pc_err he = { PC_OK, "" };
	pc_rc rc;

	*why = NULL;
	if (hook == NULL)
		return PC_OK;
	rc = hook->fn(hook->ctx, t, step, j, why, &he);
	if (rc == PC_E_STATE && *why == NULL)
		*why = "held back";
	else if (rc != PC_OK && rc != PC_E_STATE)
		*e = he;       /* a refusal leaves e alone: the run goes on */
	return rc;
}

/* Phase 1: commit the intents (serial uniqueness checked by the database)
 * and tell the hook in the same transaction (CA_STEP_CLAIM; sign's hook
 * claims each job's request, approved -> signing): LMDB runs one write
 * transaction at a time, so of two runs that both loaded a request as
 * approved only the first claims it; the hook holds the other's job back
 * here, before anything is signed. */
PC_CHECK static pc_rc commit_intents(ca_ctx *c, ca_job *jobs, size_t n, const ca_job_hook *hook,
    pc_err *e)
{
	store_txn *t;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc = PC_OK;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++) {
		pc_reader dummy;
		if (i % CA_RELEASE_EVERY == CA_RELEASE_EVERY - 1)
			store_release_pages(c->st);
		/* a serial already used by a certificate is never reused */
		rc = store_get(t, STORE_CERTS, jobs[i].serial, PKIX_SERIAL_LEN, &dummy, e);
		if (rc == PC_OK) {
			rc = pc_fail(e, PC_E_EXISTS, "serial collision (a CSPRNG failure?)");
			break;
		}
		if (rc != PC_E_NOTFOUND)
			break;
		rc = PC_OK;
		{
			const char *why;
			pc_rc cr = ask_hook(hook, t, CA_STEP_CLAIM, &jobs[i], &why, e);
			if (cr == PC_E_STATE) {
				jobs[i].skip = true;
				jobs[i].skip_why = why;
				continue;
			}
			if (cr != PC_OK) {
				rc = cr;
				break;
			}
		}
		b.len = 0;
		rc = ca_intent_encode(&jobs[i], &b, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_INTENTS, jobs[i].serial, PKIX_SERIAL_LEN, b.p, b.len,
			    true, e);
	}
	pc_buf_free(&b);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

/* Phase 2: sign every TBS in the HSM; each signature is verified in
 * software (on a second core, see hsm_sign_many) before we see it.
 * Skipped jobs are not signed. */
PC_CHECK static pc_rc sign_jobs(ca_ctx *c, ca_job *jobs, size_t n, size_t done, size_t total, pc_err *e)
{
	const uint8_t **msgs = calloc(n ? n : 1, sizeof *msgs);
	size_t *lens = calloc(n ? n : 1, sizeof *lens), *idx = calloc(n ? n : 1, sizeof *idx);
	size_t m = 0, i, j, k;
	pc_buf *sigs = calloc(n ? n : 1, sizeof *sigs);
	pc_rc rc = PC_OK;

	if (!msgs || !lens || !sigs || !idx) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].skip)
			continue;
		idx[m] = i;
		msgs[m] = jobs[i].tbs.p;
		lens[m] = jobs[i].tbs.len;
		m++;
	}
	/* runs of jobs with the same issuer share one key (recovery can mix) */
	for (i = 0; i < m && rc == PC_OK; i = j) {
		const char *issuer_name = jobs[idx[i]].issuer;
		ca_rec issuer;
		store_txn *t;
		hsm_key *key;
		const uint8_t *alg;
		size_t alg_len;

		for (j = i + 1; j < m && strcmp(jobs[idx[j]].issuer, issuer_name) == 0; j++)
			;
		if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
			break;
		rc = ca_rec_get(t, issuer_name, &issuer, e);
		store_abort(t);
		if (rc != PC_OK)
			break;
		rc = ca_key_for(c, issuer_name, issuer.key_uri, &key, e);
		ca_rec_free(&issuer);
		if (rc != PC_OK)
			break;
		rc = hsm_sign_many(key, msgs + i, lens + i, j - i, sigs + i, e);
		if (rc != PC_OK) {
			pc_wrap(e, "signing for CA %s", issuer_name);
			break;
		}
		alg = hsm_key_sigalg(key, &alg_len);
		for (k = i; k < j; k++) {
			ca_job *jb = &jobs[idx[k]];
			rc = pkix_cert_assemble(jb->tbs.p, jb->tbs.len, alg, alg_len, sigs[k].p,
			    sigs[k].len, &jb->cert);
			if (rc != PC_OK) {
				rc = pc_fail(e, rc, "cannot assemble certificate");
				break;
			}
		}
		if (c->progress && c->batch_total > 1)
			fprintf(stderr, "\rplantca: signed %zu/%zu", c->batch_done + done + idx[j - 1] + 1,
			    c->batch_total);
		else if (c->progress && total > 1)
			fprintf(stderr, "\rplantca: signed %zu/%zu", done + idx[j - 1] + 1, total);
	}
out:
	for (i = 0; sigs && i < n; i++)
		pc_buf_free(&sigs[i]);
	free(msgs);
	free(lens);
	free(idx);
	free(sigs);
	return rc;
}

/* An intent that must never become a certificate (the hook refused it: its
 * request was issued under another serial or rejected meanwhile): removed,
 * with an audit event saying why, in the caller's write transaction. */
PC_CHECK static pc_rc abandon_intent(store_txn *t, ca_job *j, const char *why, time_t now, pc_err *e)
{
	char hex[2 * PKIX_SERIAL_LEN + 1], detail[1200];

	ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
	snprintf(detail, sizeof detail, "request %" PRIu64 ": %s; %s; not signed", j->request_id,
	    why, j->subject_text ? j->subject_text : "");
	PC_TRY(store_del(t, STORE_INTENTS, j->serial, PKIX_SERIAL_LEN, e));
	PC_TRY(audit_append(t, now, "issue.abandoned", hex, "refused: request not signable", detail, e));
	j->skip = true;
	j->skip_why = why;
	return PC_OK;
}

/* Whether intent j may still become a certificate, inside write
 * transaction t: the intent is still there (else another run completed it:
 * skip) and the hook, told `step`, does not refuse it (else: abandon).  At
 * CA_STEP_ISSUED the hook also records its side (sign and recovery: the
 * request becomes "issued") in t.  *go is false when j was skipped or
 * abandoned. */
PC_CHECK static pc_rc intent_still_good(store_txn *t, ca_job *j, const ca_job_hook *hook,
    ca_job_step step, time_t now, bool *go, pc_err *e)
{
	pc_reader v;
	const char *why;
	pc_rc rc;

	*go = false;
	rc = store_get(t, STORE_INTENTS, j->serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_E_NOTFOUND) {
		j->skip = true;
		j->skip_why = "completed by another run";
		return PC_OK;
	}
	PC_TRY(rc);
	rc = ask_hook(hook, t, step, j, &why, e);
	if (rc == PC_E_STATE)
		return abandon_intent(t, j, why, now, e);
	PC_TRY(rc);
	*go = true;
	return PC_OK;
}

/* Recovery, before anything is signed: intents the hook refuses
 * (CA_STEP_CHECK: their request can no longer be issued) are abandoned. */
PC_CHECK static pc_rc screen_intents(ca_ctx *c, ca_job *jobs, size_t n, const ca_job_hook *hook,
    pc_err *e)
{
	store_txn *t;
	size_t i;
	time_t now = time(NULL);
	pc_rc rc = PC_OK;
	bool go;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++)
		rc = intent_still_good(t, &jobs[i], hook, CA_STEP_CHECK, now, &go, e);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

/* Phase 3: the certificates, their index entries and audit events, what
 * the hook records with them (CA_STEP_ISSUED: the requests marked issued)
 * and the intents' removal, in one transaction.  Each intent is checked
 * again inside it (intent_still_good, the hook's own check): this, not
 * the CA home's lock, is what makes issuance exactly once. */
PC_CHECK static pc_rc commit_certs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered,
    const ca_job_hook *hook, pc_err *e)
{
	store_txn *t;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc = PC_OK;
	time_t now = time(NULL);

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++) {
		if (i % CA_RELEASE_EVERY == CA_RELEASE_EVERY - 1)
			store_release_pages(c->st);
		ca_job *j = &jobs[i];
		char hex[2 * PKIX_SERIAL_LEN + 1], detail[1200];
		bool go;

		if (j->skip)
			continue;
		if ((rc = intent_still_good(t, j, hook, CA_STEP_ISSUED, now, &go, e)) != PC_OK || !go)
			continue;
		ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
		if ((rc = ca_cert_put(t, j, &b, e)) != PC_OK)
			break;
		if (rc == PC_OK && j->newca) {
			b.len = 0;
			rc = ca_rec_encode(&b, j->newca, j->newca_uri, j->newca_alg, j->cert.p, j->cert.len,
			    j->issuer, e);
			if (rc == PC_OK)
				rc = store_put(t, STORE_CAS, j->newca, strlen(j->newca), b.p, b.len, true, e);
			/* a roll (or its interrupted intent: ca new refuses a taken
			 * name before it writes one) replaces the current generation */
			if (rc == PC_E_EXISTS && (j->roll || j->recert || recovered)) {
				/* a root roll's re-certification keeps the CA's key */
				bool same_key = false;
				rc = ca_root_recert(t, j, &same_key, e);
				if (rc == PC_OK && !same_key && j->recert)
					rc = pc_fail(e, PC_E_STATE, "CA '%s': re-certification for another key",
					    j->newca);
				else if (rc == PC_OK && !same_key)
					rc = ca_gen_roll(c, t, j, now, e);
			} else if (rc == PC_E_EXISTS)
				pc_fail(e, rc, "CA '%s' already exists", j->newca);
		}
		if (rc == PC_OK)
			rc = store_del(t, STORE_INTENTS, j->serial, PKIX_SERIAL_LEN, e);
		if (rc == PC_OK) {
			snprintf(detail, sizeof detail, "%s; profile %s; by CA %s; from %s",
			    j->subject_text, j->profile, j->issuer, j->source);
			rc = audit_append(t, now, j->newca ? (recovered ? "ca.new.recovered" :
			    j->roll ? "ca.roll.cert" : j->recert ? "root.recert" : "ca.new")
			    : (recovered ? "issue.recovered" : "issue"), hex, "ok", detail, e);
		}
	}
	pc_buf_free(&b);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

pc_rc ca_run_jobs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, const ca_job_hook *hook,
    pc_err *e)
{
	size_t done = 0;

	while (done < n) {
		size_t g = n - done < CA_ISSUE_GROUP ? n - done : CA_ISSUE_GROUP;
		PC_TRY(recovered ? screen_intents(c, jobs + done, g, hook, e)
		    : commit_intents(c, jobs + done, g, hook, e));
		PC_TRY(sign_jobs(c, jobs + done, g, done, n, e));
		PC_TRY(commit_certs(c, jobs + done, g, recovered, hook, e));
		done += g;
	}
	if (c->progress && n > 1 && c->batch_total == 0)
		fputc('\n', stderr);
	return PC_OK;
}
