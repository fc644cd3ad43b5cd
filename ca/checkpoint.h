/*
 * checkpoint.h - signed audit checkpoints (ca/checkpoint.c): the chain
 * head signed in the token by the dedicated audit key.
 *
 * The audit key is Ed25519, made in the token at `plantca init` (or, in a
 * home made before checkpoints existed, by the first command that needs
 * it), recorded as META "audit.key_uri" and "audit.key" (the raw public
 * key), with the event "audit.key".  A checkpoint is stored as META
 * "audit.checkpoint.SEQ" (SEQ in 20 digits, so that key order is numeric
 * order) holding the text of transfer.h tr_checkpoint_format, and recorded
 * by the event "audit.checkpoint" (which comes after the head it signs).
 *
 * When: at every export (the response bundle carries it), by `plantca
 * audit checkpoint`, and after any state-changing command that used the
 * token once CA_CHECKPOINT_EVERY (or META "audit.checkpoint_every", set by
 * `plantca audit interval N`) events have passed since the last one.
 * Commands that never log into the token (import, approve) cannot sign;
 * their events are covered by the next checkpoint.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_CHECKPOINT_H
#define PLANTCA_CHECKPOINT_H

#include "ca.h"
#include "transfer.h"

enum { CA_CHECKPOINT_EVERY = 100, CA_CHECKPOINT_EVERY_MAX = 1000000 };

#define META_AUDIT_KEY_URI "audit.key_uri"
#define META_AUDIT_KEY "audit.key"
#define META_AUDIT_EVERY "audit.checkpoint_every"
#define META_AUDIT_CP "audit.checkpoint."

/* Make the audit key in the token now (init: the caller's transaction
 * records it with META_AUDIT_KEY_URI and META_AUDIT_KEY). */
pc_rc ca_audit_key_generate(hsm *h, const char *idhex, hsm_key **out, pc_err *e) PC_CHECK;

/* The audit key (needs the token), made on first need; pk its raw public
 * key.  *k is owned by c's key cache. */
pc_rc ca_audit_key(ca_ctx *c, hsm_key **k, uint8_t pk[TR_PK_LEN], pc_err *e) PC_CHECK;

/* Sign the head now (force) or when due; needs the token (ca_hsm_ready).
 * *made says whether a new checkpoint was signed; with keep it is stored
 * (and recorded) at once, else the caller stores it with
 * ca_checkpoint_store in the transaction that records its own work
 * (export: a refused export changes nothing).  out (may be NULL) gets the
 * latest checkpoint either way (*found false: none exists). */
pc_rc ca_checkpoint(ca_ctx *c, bool force, bool keep, bool *made, tr_checkpoint *out,
    bool *found, pc_err *e) PC_CHECK;
/* Store cp and its event "audit.checkpoint" in t; a head already stored
 * is left as it is. */
pc_rc ca_checkpoint_store(store_txn *t, const tr_checkpoint *cp, pc_err *e) PC_CHECK;

/* Every stored checkpoint: its signature (pkix verifier), its key (the
 * recorded audit key) and the hash of the event it names; PC_E_AUDIT
 * naming the first that fails.  *n gets the number checked. */
pc_rc ca_checkpoints_verify(store_txn *t, uint64_t *n, pc_err *e) PC_CHECK;

/* `plantca audit checkpoint`, `audit interval N`, `audit export FILE` */
pc_rc ca_audit_checkpoint_verb(ca_ctx *c, pc_err *e) PC_CHECK;
pc_rc ca_audit_interval(ca_ctx *c, const char *n, pc_err *e) PC_CHECK;
pc_rc ca_audit_export(ca_ctx *c, const char *path, pc_err *e) PC_CHECK;

#endif
