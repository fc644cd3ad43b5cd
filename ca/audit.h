/*
 * audit.h - the hash-chained audit trail (in the store's AUDIT database).
 *
 * Event n is: sequence n (u64), time (unix seconds), action ("init",
 * "ca.new", "issue", ...), object (what it concerns: a serial, a CA name, a
 * file), result ("ok" or "refused: why"), detail (free text), prev (the hash
 * of event n-1, 32 zero bytes for n = 1) and hash = BLAKE2b-256(prev ||
 * encoded fields).  META "audit.head" holds (last sequence, last hash) and
 * is updated in the same transaction, so deleting the newest events is
 * detected too.
 *
 * audit_append() writes into the caller's write transaction: the event
 * commits with the change it records, or neither does.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_AUDIT_H
#define PLANTCA_AUDIT_H

#include <stdio.h>
#include <time.h>

#include "store.h"

pc_rc audit_append(store_txn *t, time_t when, const char *action,
    const char *object, const char *result, const char *detail,
    pc_err *e) PC_CHECK;

/* Walk the chain.  Returns PC_OK if intact; PC_E_AUDIT naming the first bad
 * event ("event 7: hash does not match its contents (modified)", "event 7:
 * previous-hash link broken (deleted or reordered)", "chain ends at 6 but
 * head says 9 (events deleted)"), with *checked set to events checked. */
pc_rc audit_verify(store_txn *t, uint64_t *checked, pc_err *e) PC_CHECK;

/* Print events, oldest first: text lines, or a JSON array with `json`. */
pc_rc audit_print(store_txn *t, FILE *out, bool json, pc_err *e) PC_CHECK;

/* Call fn for every event whose action is `action`, oldest first, with its
 * sequence and object (not NUL-terminated); fn's error stops the walk. */
typedef pc_rc (*audit_event_fn)(void *ctx, uint64_t seq, const uint8_t *object, size_t object_len,
    pc_err *e);
pc_rc audit_each(store_txn *t, const char *action, audit_event_fn fn, void *ctx,
    pc_err *e) PC_CHECK;

/* The head: last sequence (0 when there are no events) and its hash. */
pc_rc audit_head(store_txn *t, uint64_t *seq, uint8_t hash[32], pc_err *e) PC_CHECK;
/* The stored hash of event seq; PC_E_AUDIT when it is missing or does not
 * decode. */
pc_rc audit_hash_at(store_txn *t, uint64_t seq, uint8_t hash[32], pc_err *e) PC_CHECK;
/* The whole trail in the form plantca-station audit-check reads
 * (common/auditev.h PC_AUDIT_TRAIL_MAGIC). */
pc_rc audit_trail_write(store_txn *t, FILE *f, pc_err *e) PC_CHECK;

#endif
