/*
 * request_state.h - a queued request's way through issuance (ca/
 * request_state.c), each step inside the write transaction that records
 * it, so that a request yields at most one certificate whatever runs
 * concurrently or crashes:
 *   approved --claim--> signing (serial reserved; committed with the intent)
 *   signing  --issued-> issued  (committed with the certificate)
 * The pipeline knows nothing of requests: sign and recovery hand it
 * ca_request_hook, which takes these steps when the pipeline reports them.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_REQUEST_STATE_H
#define PLANTCA_REQUEST_STATE_H

#include "pipeline.h"

/* PC_OK and the request is now "signing" with `serial`; PC_E_STATE if it
 * is not "approved" (the caller skips it). */
pc_rc ca_request_claim(store_txn *t, uint64_t id, const uint8_t *serial, pc_err *e) PC_CHECK;
/* PC_OK if the request was "signing" with exactly this serial (or, for an
 * intent written by plantca before the "signing" state existed, `legacy`
 * and still "approved"), now "issued"; PC_E_STATE otherwise (the intent
 * must then be abandoned, never signed). */
pc_rc ca_request_mark_issued(store_txn *t, uint64_t id, const uint8_t *serial, bool legacy,
    pc_err *e) PC_CHECK;

/* The hook's context: legacy is true for interrupted intents that recovery
 * completes (ca_request_mark_issued's rule), false for sign's own jobs. */
typedef struct ca_request_hook_ctx {
	bool legacy;
} ca_request_hook_ctx;

/* A ca_job_hook_fn (pipeline.h) for jobs that answer queued requests (j->
 * request_id; 0: nothing to do): CA_STEP_CLAIM claims the request,
 * CA_STEP_CHECK tells whether it may still take j's serial,
 * CA_STEP_ISSUED marks it issued; a request that was rejected, issued
 * under another serial or removed meanwhile is PC_E_STATE with the why. */
pc_rc ca_request_hook(void *ctx, store_txn *t, ca_job_step step, const ca_job *j,
    const char **why, pc_err *e) PC_CHECK;

#endif
