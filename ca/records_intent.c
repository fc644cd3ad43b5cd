/*
 * records_intent.c - the issuance intent (STORE_INTENTS, by serial): the
 * exact TBS bytes and what the certificate record will say, committed
 * before the HSM signs; written from a job, read back into jobs by
 * recovery.  The fields are in records.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "pipeline.h"
#include "records.h"

pc_rc ca_intent_encode(const ca_job *j, pc_buf *b, pc_err *e)
{
	/* the record only borrows the job's strings and bytes to write them */
	ca_intent_rec r = {
		.issuer = (char *)j->issuer, .tbs = j->tbs.p, .tbs_len = j->tbs.len,
		.kind = (char *)j->kind, .profile = (char *)j->profile, .subject = j->subject_text,
		.san = j->san_text, .nb = (uint64_t)j->nb, .na = (uint64_t)j->na,
		.source = (char *)j->source, .segment = (char *)j->segment, .request = j->request_id,
		.policy_hash = (char *)j->policy_hash, .created = (uint64_t)time(NULL),
	};

	if (snprintf(r.keytype, sizeof r.keytype, "%s", j->keytype) >= (int)sizeof r.keytype)
		return pc_rec_fail(e, &ca_intent_rec_type, "keytype", "too long (not written)");
	if (j->newca) {
		if (j->newca_uri == NULL)
			return pc_fail(e, PC_E_INTERNAL, "intent record: field newca_uri: missing for "
			    "CA '%s' (not written)", j->newca);
		r.newca = (char *)j->newca;
		r.newca_uri = (char *)j->newca_uri;
		r.newca_alg = j->newca_alg;
		r.has_newca_alg = true;
	}
	return pc_rec_encode(&ca_intent_rec_type, &r, b, e);
}

/* What spans fields: a CA's intent carries its key URI and algorithm, and
 * only a CA's does. */
PC_CHECK static pc_rc intent_check(const ca_intent_rec *r, pc_err *e)
{
	const pc_rec_type *t = &ca_intent_rec_type;

	if (r->newca != NULL && r->newca_uri == NULL)
		return pc_rec_fail(e, t, "newca_uri", "missing (the intent is for CA '%s')", r->newca);
	if (r->newca != NULL && !r->has_newca_alg)
		return pc_rec_fail(e, t, "newca_alg", "missing (the intent is for CA '%s')", r->newca);
	if (r->newca == NULL && r->newca_uri != NULL)
		return pc_rec_fail(e, t, "newca_uri", "present in an intent for no new CA");
	if (r->newca == NULL && r->has_newca_alg)
		return pc_rec_fail(e, t, "newca_alg", "present in an intent for no new CA");
	return PC_OK;
}

PC_CHECK static pc_rc intent_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_intent_list *l = ctx;
	char hex[2 * PKIX_SERIAL_LEN + 1];
	ca_intent_rec *r;
	ca_job *j;
	pc_rc rc;

	(void)stop;
	if (pc_reader_left(&key) != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "intent record: a key of %zu bytes, not a "
		    "serial", pc_reader_left(&key));
	ca_serial_hex(key.p + key.off, PKIX_SERIAL_LEN, hex);
	{
		size_t cj = l->cap, cr = l->cap;   /* parallel arrays, one capacity */
		if (!pc_grow(&l->jobs, &cj, l->n, sizeof *l->jobs, 16) ||
		    !pc_grow(&l->recs, &cr, l->n, sizeof *l->recs, 16))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->cap = cj;
	}
	r = &l->recs[l->n];
	j = &l->jobs[l->n];
	memset(j, 0, sizeof *j);
	rc = pc_rec_decode(&ca_intent_rec_type, val, r, e);
	if (rc == PC_OK && (rc = intent_check(r, e)) != PC_OK)
		pc_rec_free(&ca_intent_rec_type, r);
	if (rc != PC_OK) {
		pc_wrap(e, "intent %s", hex);
		return rc;
	}
	l->n++;
	memcpy(j->serial, key.p + key.off, PKIX_SERIAL_LEN);
	j->issuer = r->issuer;
	j->kind = r->kind;
	j->profile = r->profile;
	j->source = r->source;
	j->segment = r->segment;
	j->policy_hash = r->policy_hash;
	j->newca = r->newca;
	j->newca_uri = r->newca_uri;
	j->newca_alg = r->newca_alg;
	j->request_id = r->request;
	j->nb = (time_t)r->nb;
	j->na = (time_t)r->na;
	snprintf(j->keytype, sizeof j->keytype, "%s", r->keytype);
	/* the job owns its subject and SAN text (ca_job_free) */
	j->subject_text = r->subject;
	j->san_text = r->san;
	r->subject = r->san = NULL;
	pc_buf_append(&j->tbs, r->tbs, r->tbs_len);
	return pc_buf_ok(&j->tbs) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc ca_intents_load(store_txn *t, ca_intent_list *l, pc_err *e)
{
	return store_scan(t, STORE_INTENTS, NULL, 0, false, intent_visit, l, e);
}

void ca_intent_list_free(ca_intent_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		ca_job_free(&l->jobs[i]);
		pc_rec_free(&ca_intent_rec_type, &l->recs[i]);
	}
	free(l->jobs);
	free(l->recs);
	memset(l, 0, sizeof *l);
}
