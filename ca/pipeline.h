/*
 * pipeline.h - issuance: each certificate goes intent -> HSM -> record
 * (ca/pipeline.c; interrupted intents are completed by ca/recovery.c).
 *
 * For each group of CA_ISSUE_GROUP jobs: one write transaction commits the
 * intents (serial + exact TBS bytes), the HSM signs, and a second write
 * transaction commits the certificates with their index entries and audit
 * events and removes the intents.  A crash in between leaves intents, never
 * a certificate outside the store.  What a certificate answers (a queued
 * request) is the caller's business: the pipeline reports each step to the
 * caller's hook inside the transaction that records it, and the hook may
 * hold a job back.  Nothing here knows about requests.
 *
 * The map: docs/architecture.md "Where each rule lives".
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
	bool roll;                 /* ca roll: newca exists, this is its next key generation */
	bool recert;               /* root roll: newca exists, the same key under the new root
	                            * (rootgen.h ca_root_recert) */
	uint64_t request_id;       /* queued request this answers, 0: none (recorded in
	                            * the intent and the certificate; the hook acts on it) */
	char keytype[32];
	char *subject_text, *san_text;
	uint8_t serial[PKIX_SERIAL_LEN];
	time_t nb, na;
	pc_buf tbs;
	/* outputs */
	pc_buf cert;
	/* set by the pipeline when this job makes no certificate: the hook held
	 * it back when its intent was to be committed (its request was no
	 * longer approved), an interrupted intent was completed by another run,
	 * or the hook refused it later and the intent was abandoned.
	 * `skip_why` (static text) says which. */
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

/* The steps a hook hears about, each inside the pipeline's write
 * transaction t, so that what the hook checks and writes commits with the
 * step or not at all. */
typedef enum ca_job_step {
	/* the job's intent is about to be committed (before anything is signed) */
	CA_STEP_CLAIM,
	/* recovery, before an interrupted intent is signed again: may it still
	 * become a certificate?  The hook must not write. */
	CA_STEP_CHECK,
	/* the job's certificate is about to be committed */
	CA_STEP_ISSUED,
} ca_job_step;

/* PC_OK: go on.  PC_E_STATE: this job must not go on, *why (static text)
 * says why: at CA_STEP_CLAIM the job is skipped (no intent is written), at
 * the other steps its intent is abandoned (removed, "issue.abandoned" in
 * the audit trail) and never signed or recorded.  Any other error aborts
 * the transaction and the run. */
typedef pc_rc (*ca_job_hook_fn)(void *ctx, store_txn *t, ca_job_step step, const ca_job *j,
    const char **why, pc_err *e);
typedef struct ca_job_hook {
	ca_job_hook_fn fn;
	void *ctx;
} ca_job_hook;

/* Issue jobs[0..n): commit intents, sign (the issuer's key through the
 * key cache, every signature checked in software), commit certificates.
 * recovered: the jobs are interrupted intents read back from the store
 * (ca/recovery.c): their intents are not committed again, only checked
 * (CA_STEP_CHECK) before signing, and their audit events are
 * "issue.recovered" / "ca.new.recovered".  hook: NULL when no job answers
 * anything (direct issue, ca new, firmware signer new).  Skipped jobs are
 * marked (skip, skip_why); the others have their certificate in cert. */
pc_rc ca_run_jobs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, const ca_job_hook *hook,
    pc_err *e) PC_CHECK;

#endif
