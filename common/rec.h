/*
 * rec.h - versioned, field-by-field record encoding for the store.
 *
 * A record is: type (u8), version (u8), then fields, each
 * tag (u8) | length (u32 big-endian) | bytes.  Integers are u64 big-endian.
 * Readers skip fields they do not know (forward compatible within a version)
 * and fail on truncation.  Never raw structs.
 */
#ifndef PLANTCA_REC_H
#define PLANTCA_REC_H

#include "buf.h"

void pc_rec_begin(pc_buf *b, uint8_t type, uint8_t version);
void pc_rec_bytes(pc_buf *b, uint8_t tag, const void *p, size_t n);
void pc_rec_str(pc_buf *b, uint8_t tag, const char *s);
void pc_rec_u64(pc_buf *b, uint8_t tag, uint64_t v);

/* Open a record: checks type, returns version. */
bool pc_rec_open(pc_reader *r, uint8_t type, uint8_t *version);
/* Next field; false at end (check pc_reader_done to tell end from error). */
bool pc_rec_next(pc_reader *r, uint8_t *tag, pc_reader *val);
/* Field value as u64 (exactly 8 bytes) / malloc'ed NUL-terminated string. */
bool pc_rec_val_u64(pc_reader val, uint64_t *v);
char *pc_rec_val_strdup(pc_reader val);

#endif
