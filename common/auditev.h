/*
 * auditev.h - one event of the CA's hash-chained audit trail: its record
 * (common/rec.h) and its hash.  The chain itself, the head and the
 * checkpoints are ca/audit.c; the definition is here, below both programs,
 * because plantca-station recomputes the same hashes when it checks a CA
 * audit trail against the checkpoints it was shown (audit-check).
 *
 * Event record: type 'A', version 1, fields
 *   1 seq (u64)   2 time (u64, unix seconds)   3 action   4 object
 *   5 result      6 detail                     7 prev (32 bytes)
 *   8 hash (32 bytes)
 * Every field is required, text fields are at most PC_AUDIT_FIELD_MAX
 * bytes without NUL, and no other field is allowed (an unhashed extra
 * field would be an undetectable insertion).
 *
 * The hash of an event is exactly
 *
 *   hash = BLAKE2b-256(prev || F(1, seq) || F(2, time) || F(3, action) ||
 *                      F(4, object) || F(5, result) || F(6, detail))
 *
 * unkeyed, 32-byte output (libsodium crypto_generichash), where
 * F(tag, v) = tag (u8) || length of v (u32 big-endian) || v, i.e. the rec.h
 * field encoding; seq and time are 8-byte big-endian integers and the text
 * fields their bytes without a terminator.  Every field carries its length,
 * so bytes cannot move across a field boundary without changing the hash.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_AUDITEV_H
#define PLANTCA_AUDITEV_H

#include "rec.h"

enum {
	PC_AUDIT_HASH_LEN = 32,
	PC_AUDIT_FIELD_MAX = 64 * 1024,   /* per text field */
	PC_AUDIT_HASHED_FIELDS = 6,       /* the first six fields of the table */
};

/* A decoded event; the text fields are windows into the decoded bytes
 * or into the caller's strings. */
typedef struct pc_audit_event {
	uint64_t seq;
	uint64_t time;
	const uint8_t *action, *object, *result, *detail;
	size_t action_len, object_len, result_len, detail_len;
	uint8_t prev[PC_AUDIT_HASH_LEN];
	uint8_t hash[PC_AUDIT_HASH_LEN];
} pc_audit_event;

extern const pc_rec_type pc_audit_event_type;

/* An audit trail as `plantca audit export` writes it and
 * `plantca-station audit-check` reads it: this first line, then one line
 * per event, oldest first, from event 1:
 *   SEQ TIME ACTION OBJECT RESULT DETAIL
 * decimal SEQ and TIME, the four text fields in lowercase hex ("-" when
 * empty), single spaces, LF.  The hashes are not in the file: the reader
 * recomputes them from the fields (prev of event 1 is all zero). */
#define PC_AUDIT_TRAIL_MAGIC "plantca audit trail 1\n"

/* out = the hash of ev as above (ev->hash is not read). */
pc_rc pc_audit_event_hash(uint8_t out[PC_AUDIT_HASH_LEN], const pc_audit_event *ev,
    pc_err *e) PC_CHECK;

#endif
