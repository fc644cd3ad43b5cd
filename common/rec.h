/*
 * rec.h - the store's record format and the one codec that reads and
 * writes it.
 *
 * Format.  A record is: type (u8), version (u8), then fields, each
 *   tag (u8) | length (u32 big-endian) | bytes.
 * Integers are u64 big-endian (exactly 8 bytes); strings are their bytes
 * without a terminator.  Never raw structs.
 *
 * Codec.  A record type is described once, by a table of pc_rec_field
 * (tag, name, kind, flags, where the value lives in the C struct, length
 * bounds) in a pc_rec_type; pc_rec_encode() writes a struct in table order,
 * pc_rec_decode() reads one back, pc_rec_free() releases what decode
 * allocated.  The tables of plantca's records are in ca/records.h.
 *
 * What decode refuses, always as PC_E_STORE_CORRUPT
 * "TYPE record: field NAME: WHY" (never a default value):
 *   - another type or version ("record: type 0x41 version 2, expected ...");
 *   - a field header cut short, or bytes after the last field that are not
 *     a whole field ("3 trailing bytes after field keyid");
 *   - a length that runs past the end of the record ("truncated");
 *   - a u64 that is not exactly 8 bytes, a fixed-length field that is not
 *     exactly its length, a string or byte string outside its bounds, a
 *     string with a NUL byte, a NONZERO integer that is 0;
 *   - a field that occurs twice (only REPEATED fields may, up to max);
 *   - a REQUIRED field that is missing;
 *   - a tag the table does not know.
 * Unknown tags are refused, above the highest known one too: the old rule
 * ("skip what you do not know, forward compatible within a version") let a
 * damaged tag byte turn a field into nothing (a certificate record's link
 * to its request, a revocation's reason) and let an unhashed field ride
 * along unseen.  A store never meets a newer writer at the same schema:
 * store_open() refuses a store whose schema is newer (PC_E_STORE_SCHEMA),
 * so a plantca that adds a field bumps the record's version or the schema.
 *
 * Optional fields.  A field is REQUIRED, OPTIONAL or LEGACY:
 *   REQUIRED  present in every record; encode always writes it.
 *   OPTIONAL  absent when it has no value; encode writes it when it has one:
 *             a non-NULL string or byte string, a presence flag that is
 *             true (U64/FIXED with `has`), a NONZERO integer that is not 0,
 *             the `count` values of a REPEATED integer.
 *   LEGACY    absent only in records written before the field existed
 *             (decode sets the presence flag, if any, so the caller can
 *             derive the old meaning); encode always writes it.
 * A required string that is NULL in the struct is written empty.
 *
 * Encode checks what decode checks, so a record that would not decode is
 * never written: a value out of bounds is PC_E_INTERNAL naming the record
 * and field, and out of memory PC_E_NOMEM.
 *
 * Ownership: decode zeroes the whole struct first; STR and BYTES values are
 * malloc'ed and belong to the struct (pc_rec_free); VIEW values point into
 * the decoded bytes and live as long as they do (for the store: until the
 * transaction ends).  On failure decode frees what it allocated and leaves
 * the struct zeroed.
 *
 * The map: docs/architecture.md "The store".
 */
#ifndef PLANTCA_REC_H
#define PLANTCA_REC_H

#include <stddef.h>

#include "buf.h"

/* ------------------------------------------------------------ the codec */

typedef enum pc_rec_kind {
	PC_REC_K_U64,     /* uint64_t; exactly 8 bytes */
	PC_REC_K_STR,     /* char *, malloc'ed, NUL-terminated; min..max bytes, no NUL */
	PC_REC_K_CHARS,   /* char[max + 1] in the struct; min..max bytes, no NUL */
	PC_REC_K_BYTES,   /* uint8_t *, malloc'ed, and a size_t length; min..max bytes */
	PC_REC_K_VIEW,    /* const uint8_t * into the decoded bytes, and a size_t length */
	PC_REC_K_FIXED,   /* uint8_t[max] in the struct; exactly max bytes */
} pc_rec_kind;

enum {
	PC_REC_REQUIRED = 1u << 0,
	PC_REC_OPTIONAL = 1u << 1,
	PC_REC_LEGACY = 1u << 2,
	PC_REC_NONZERO = 1u << 3,    /* U64: 0 is never a value */
	PC_REC_REPEATED = 1u << 4,   /* U64: up to max values in an array */
	PC_REC_TEXT = 1u << 5,       /* VIEW/BYTES: no NUL byte */
};

/* No presence flag / length / count member. */
#define PC_REC_NO_AUX ((size_t)-1)
/* The most fields one record type has (decode keeps a seen flag for each). */
enum { PC_REC_FIELDS_MAX = 32 };

typedef struct pc_rec_field {
	uint8_t tag;
	const char *name;        /* in messages: "field NAME" */
	pc_rec_kind kind;
	unsigned flags;
	size_t off;              /* offsetof the value */
	size_t aux;              /* offsetof: the size_t length (BYTES, VIEW), the bool
	                          * presence flag (U64, FIXED; or PC_REC_NO_AUX), the
	                          * size_t count (REPEATED) */
	size_t min, max;         /* length bounds in bytes; FIXED: min == max == length;
	                          * REPEATED: max is the number of values */
} pc_rec_field;

typedef struct pc_rec_type {
	const char *name;        /* "station": messages read "station record: ..." */
	uint8_t type, version;
	size_t size;             /* sizeof the struct (decode zeroes it) */
	const pc_rec_field *fields;   /* in encoding order */
	size_t nfields;
} pc_rec_type;

/*
 * Table rows.  T is the struct type, m the member; the name in messages is
 * the member's name.  Each row checks at compile time that the member has
 * the type its kind needs (a mismatch is a "distinct pointer types" error).
 */
#define PC_REC_AT_(T, m, ptype) (offsetof(T, m) + 0 * sizeof(&((T *)0)->m == (ptype)0))
#define PC_REC_SIZEOF_(T, m) sizeof(((T *)0)->m)

#define PC_REC_U64(tag, T, m, flags) \
	{ tag, #m, PC_REC_K_U64, flags, PC_REC_AT_(T, m, uint64_t *), PC_REC_NO_AUX, 8, 8 }
#define PC_REC_U64_HAS(tag, T, m, has, flags) \
	{ tag, #m, PC_REC_K_U64, flags, PC_REC_AT_(T, m, uint64_t *), \
	  PC_REC_AT_(T, has, bool *), 8, 8 }
#define PC_REC_U64_REPEATED(tag, T, m, count, flags) \
	{ tag, #m, PC_REC_K_U64, (flags) | PC_REC_REPEATED, \
	  PC_REC_AT_(T, m, uint64_t (*)[PC_REC_SIZEOF_(T, m) / sizeof(uint64_t)]), \
	  PC_REC_AT_(T, count, size_t *), 8, PC_REC_SIZEOF_(T, m) / sizeof(uint64_t) }
#define PC_REC_STR(tag, T, m, flags, min, max) \
	{ tag, #m, PC_REC_K_STR, flags, PC_REC_AT_(T, m, char **), PC_REC_NO_AUX, min, max }
#define PC_REC_CHARS(tag, T, m, flags, min) \
	{ tag, #m, PC_REC_K_CHARS, flags, PC_REC_AT_(T, m, char (*)[PC_REC_SIZEOF_(T, m)]), \
	  PC_REC_NO_AUX, min, PC_REC_SIZEOF_(T, m) - 1 }
#define PC_REC_BYTES(tag, T, m, len, flags, min, max) \
	{ tag, #m, PC_REC_K_BYTES, flags, PC_REC_AT_(T, m, uint8_t **), \
	  PC_REC_AT_(T, len, size_t *), min, max }
#define PC_REC_VIEW(tag, T, m, len, flags, min, max) \
	{ tag, #m, PC_REC_K_VIEW, flags, PC_REC_AT_(T, m, const uint8_t **), \
	  PC_REC_AT_(T, len, size_t *), min, max }
#define PC_REC_FIXED(tag, T, m, flags) \
	{ tag, #m, PC_REC_K_FIXED, flags, PC_REC_AT_(T, m, uint8_t (*)[PC_REC_SIZEOF_(T, m)]), \
	  PC_REC_NO_AUX, PC_REC_SIZEOF_(T, m), PC_REC_SIZEOF_(T, m) }
#define PC_REC_FIXED_HAS(tag, T, m, has, flags) \
	{ tag, #m, PC_REC_K_FIXED, flags, PC_REC_AT_(T, m, uint8_t (*)[PC_REC_SIZEOF_(T, m)]), \
	  PC_REC_AT_(T, has, bool *), PC_REC_SIZEOF_(T, m), PC_REC_SIZEOF_(T, m) }

#define PC_REC_TYPE(name, type, version, T, fields) \
	{ name, type, version, sizeof(T), fields, sizeof fields / sizeof fields[0] }

/* Append the record s (a struct of t's type) to b: header, then every field
 * that has a value, in table order. */
pc_rc pc_rec_encode(const pc_rec_type *t, const void *s, pc_buf *b, pc_err *e) PC_CHECK;
/* Append only fields [0, n) of t, without the header (the audit chain
 * hashes a record's first fields). */
pc_rc pc_rec_encode_fields(const pc_rec_type *t, const void *s, size_t n, pc_buf *b,
    pc_err *e) PC_CHECK;
/* Decode the whole of in (exactly) into s; see the list above. */
pc_rc pc_rec_decode(const pc_rec_type *t, pc_reader in, void *s, pc_err *e) PC_CHECK;
/* Free what decode allocated in s and zero s.  Safe on a zeroed struct. */
void pc_rec_free(const pc_rec_type *t, void *s);
/* A failure "TYPE record: field FIELD: WHY" for the rules that span fields
 * (checked by the record's own decoder after pc_rec_decode). */
pc_rc pc_rec_fail(pc_err *e, const pc_rec_type *t, const char *field, const char *fmt, ...)
    PC_PRINTF(4, 5);
/* A table that the codec can use: tags unique and not 0, names unique,
 * every field exactly one of REQUIRED/OPTIONAL/LEGACY, flags fit the kind,
 * an OPTIONAL field can be absent, bounds ordered.  false with why[n]
 * otherwise (the unit test runs it over every table). */
bool pc_rec_type_ok(const pc_rec_type *t, char *why, size_t n);

/* ------------------------------------------- the format's building blocks
 * (used by the codec and by tests that build or inspect records by hand) */

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
