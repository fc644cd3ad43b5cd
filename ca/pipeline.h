/*
 * pipeline.h - issuance: each certificate goes intent -> HSM -> record
 * (ca/pipeline.c; interrupted intents are completed by ca/recovery.c).
 *
 * For each group of CA_ISSUE_GROUP jobs: one write transaction commits the
 * intents (serial + exact TBS bytes), the HSM signs, and a second write
 * transaction commits the certificates with their index entries and audit
 * events and removes the intents.  A crash in between leaves intents, never
 * a certificate outside the store.  A job that answers a queued request
 * moves that request through its states with the
 * request state machine (request_state.h) inside the transactions that
 * record each step.
 */
#ifndef PLANTCA_PIPELINE_H
#define PLANTCA_PIPELINE_H

#include <stdlib.h>
#include <time.h>

#include "ca.h"

/* One certificate on its way through intent -> HSM -> record. */
typedef struct ca_job {
	/* inputs */
	const char *issuer;        /* CA name */
	const char *kind;          /* "leaf" or "ca" */
	const char *profile;
	const char *source;
	const char *segment;
	const char *policy_hash;   /* NULL for CA certificates */
	const char *newca;         /* kind == ca */
	const char *newca_uri;
	uint64_t newca_alg;
	uint64_t request_id;       /* queued request this answers, 0: none */
	char keytype[32];
	char *subject_text, *san_text;
	uint8_t serial[PKIX_SERIAL_LEN];
	time_t nb, na;
	pc_buf tbs;
	/* outputs */
	pc_buf cert;
	/* set by the pipeline when this job makes no certificate: its request
	 * was no longer approved when the intent was to be committed (another
	 * run took it, or the officer rejected it), or an interrupted intent
	 * was completed by someone else or abandoned (its request was issued
	 * or rejected meanwhile).  `skip_why` says which. */
	bool skip;
	const char *skip_why;
} ca_job;

/* Frees what the job owns (subject and SAN text, TBS, certificate).  Inline
 * here, beside the struct, because the record codecs (records_cert.c,
 * records_intent.c) free jobs too and sit below the pipeline. */
static inline void ca_job_free(ca_job *j)
{
	free(j->subject_text);
	free(j->san_text);
	pc_buf_free(&j->tbs);
	pc_buf_free(&j->cert);
}

/* Issue jobs[0..n): commit intents, sign (the issuer's key through the
 * key cache, every signature checked in software), commit certificates.
 * recovered: the jobs are interrupted intents read back from the store
 * (ca/recovery.c): their intents are not committed again, only checked
 * before signing, their requests may still be "approved" (intents from
 * before the "signing" state), and their audit events are
 * "issue.recovered" / "ca.new.recovered".  Skipped jobs are marked (skip,
 * skip_why); the others have their certificate in cert. */
pc_rc ca_run_jobs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, pc_err *e) PC_CHECK;

#endif
