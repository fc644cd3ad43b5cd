/*
 * buf.h - growable byte buffer (output side) and bounded reader (input side).
 *
 * pc_buf owns its bytes (heap); pc_buf_free() releases them.  A buffer that
 * failed to grow becomes "failed" (sticky): later appends are no-ops and
 * pc_buf_ok() is false, so writers check once at the end.
 *
 * pc_reader never owns its bytes: it is a window [p, p+len) over memory the
 * caller keeps alive.  Every read is bounded by the remaining length; a read
 * past the end sets a sticky error and returns zeroes/empty.  Sub-readers
 * (pc_reader_sub) take exactly n bytes; pc_reader_done() is true only when a
 * reader was consumed exactly and never failed: trailing bytes are an error.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_BUF_H
#define PLANTCA_BUF_H

#include "pc.h"

typedef struct pc_buf {
	uint8_t *p;
	size_t len;
	size_t cap;
	bool failed;
} pc_buf;

#define PC_BUF_INIT { NULL, 0, 0, false }

void pc_buf_free(pc_buf *b);
bool pc_buf_ok(const pc_buf *b);
/* Make room for n more bytes; false (and failed) on overflow/OOM. */
bool pc_buf_reserve(pc_buf *b, size_t n);

/* Room for element n of the array at *(T **)arr, which holds *cap elements
 * of elem bytes: when n == *cap it grows to twice the elements (`first` the
 * first time), with the size checked for overflow.  false when out of
 * memory; then the array and *cap are as they were.  Arrays in parallel
 * each take their own copy of the capacity (see ca/records_intent.c). */
bool pc_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first) PC_CHECK;
void pc_buf_append(pc_buf *b, const void *data, size_t n);
void pc_buf_byte(pc_buf *b, uint8_t c);
void pc_buf_str(pc_buf *b, const char *s);
void pc_buf_printf(pc_buf *b, const char *fmt, ...) PC_PRINTF(2, 3);
/* Insert n bytes at offset off (off <= len). */
void pc_buf_insert(pc_buf *b, size_t off, const void *data, size_t n);
/* Little-endian / big-endian fixed-width appends. */
void pc_buf_u32be(pc_buf *b, uint32_t v);
void pc_buf_u64be(pc_buf *b, uint64_t v);
/* Hand the bytes to the caller (who must free()); b is reset. NULL if failed. */
uint8_t *pc_buf_steal(pc_buf *b, size_t *len);

typedef struct pc_reader {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool failed;
} pc_reader;

pc_reader pc_reader_make(const void *p, size_t len);
size_t pc_reader_left(const pc_reader *r);
bool pc_reader_done(const pc_reader *r);   /* consumed exactly, no error */
bool pc_reader_ok(const pc_reader *r);
/* Returns a pointer to the next n bytes and advances, or NULL (sticky fail). */
const uint8_t *pc_reader_take(pc_reader *r, size_t n);
bool pc_reader_u8(pc_reader *r, uint8_t *v);
bool pc_reader_u32be(pc_reader *r, uint32_t *v);
bool pc_reader_u64be(pc_reader *r, uint64_t *v);
/* Exactly n bytes as a new reader; parent advances by n. */
pc_reader pc_reader_sub(pc_reader *r, size_t n);
/* Next byte without consuming; -1 at end. */
int pc_reader_peek(const pc_reader *r);

/* Overflow-safe a+b into *out; false on overflow. */
static inline bool pc_add_ok(size_t a, size_t b, size_t *out)
{
	return !__builtin_add_overflow(a, b, out);
}

#endif
