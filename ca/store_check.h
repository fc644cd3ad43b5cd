/*
 * store_check.h - the store's invariants (ca/check.c), the second half of
 * `plantca audit verify`.
 *
 * The map: docs/architecture.md "The store".
 */
#ifndef PLANTCA_STORE_CHECK_H
#define PLANTCA_STORE_CHECK_H

#include "ca.h"

/* Each certificate under its own serial, each request with at most one
 * certificate and that certificate pointing back to it, no certificate for
 * a request that does not name it, an intent for every request being
 * signed.  Findings go to `out` (text lines, or with `json` the members
 * "findings":[...],"certificates":N,... of an object the caller opened);
 * any finding is PC_E_AUDIT. */
pc_rc ca_check_store(ca_ctx *c, FILE *out, bool json, uint64_t *findings, pc_err *e) PC_CHECK;

#endif
