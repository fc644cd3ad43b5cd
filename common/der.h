/*
 * der.h - a small DER writer and a strict DER reader (X.690 §10).
 *
 * Writer: containers are opened with pc_der_begin() and closed with
 * pc_der_end(); the length header is inserted when the container closes, so
 * callers never compute lengths.  Errors are sticky in the underlying pc_buf
 * (check pc_der_ok()).  Nesting is limited to PC_DER_MAX_DEPTH.
 *
 * Reader: single-byte tags only (all that X.509/CMS need here), definite
 * minimal-length encodings only; anything else fails the reader.  Content is
 * returned as a sub-reader over the caller's bytes (no copies, no ownership).
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_DER_H
#define PLANTCA_DER_H

#include <time.h>

#include "buf.h"

enum {
	DER_BOOLEAN = 0x01,
	DER_INTEGER = 0x02,
	DER_BIT_STRING = 0x03,
	DER_OCTET_STRING = 0x04,
	DER_NULL = 0x05,
	DER_OID = 0x06,
	DER_ENUMERATED = 0x0a,
	DER_UTF8STRING = 0x0c,
	DER_PRINTABLESTRING = 0x13,
	DER_IA5STRING = 0x16,
	DER_UTCTIME = 0x17,
	DER_GENERALIZEDTIME = 0x18,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31,
	DER_CTX = 0x80,           /* context-specific, primitive: DER_CTX|n */
	DER_CTX_CONS = 0xa0,      /* context-specific, constructed: DER_CTX_CONS|n */
};

enum { PC_DER_MAX_DEPTH = 24 };

typedef struct pc_der {
	pc_buf b;
	size_t open[PC_DER_MAX_DEPTH];
	int depth;
	bool failed;
} pc_der;

void pc_der_init(pc_der *d);
void pc_der_free(pc_der *d);
void pc_der_begin(pc_der *d, uint8_t tag);
void pc_der_end(pc_der *d);
/* Drop the innermost open container and everything written into it (an
 * OPTIONAL SEQUENCE OF that turned out empty, RFC 5280 §5.1.2.6). */
void pc_der_cancel(pc_der *d);
void pc_der_tlv(pc_der *d, uint8_t tag, const void *content, size_t len);
/* Already-encoded TLV(s), copied verbatim. */
void pc_der_raw(pc_der *d, const void *der, size_t len);
/* INTEGER from an unsigned big-endian magnitude (leading zeros stripped,
 * 0x00 prepended when the top bit is set, so the value stays positive). */
void pc_der_uint(pc_der *d, const uint8_t *be, size_t len);
void pc_der_u64(pc_der *d, uint64_t v);
void pc_der_bool(pc_der *d, bool v);
void pc_der_null(pc_der *d);
/* OID given as its encoded content bytes (no tag/length). */
void pc_der_oid(pc_der *d, const uint8_t *content, size_t len);
/* OID from dotted text ("1.3.6.1.5.5.7.3.1"); fails the writer on bad text. */
void pc_der_oid_text(pc_der *d, const char *dotted);
void pc_der_bits(pc_der *d, const uint8_t *bytes, size_t len, unsigned unused);
/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
void pc_der_time(pc_der *d, time_t t);
/* GeneralizedTime whatever the year (the RFC 5280 §4.1.2.5.2 form, Z), for
 * fields that are always one (RFC 4210 §5.1.1 messageTime). */
void pc_der_gentime(pc_der *d, time_t t);
/* Encode dotted OID text into content bytes; false on bad text. */
bool pc_oid_from_text(pc_buf *out, const char *dotted);
/* Dotted text from OID content; false if malformed. */
bool pc_oid_to_text(const uint8_t *c, size_t len, char *out, size_t outsz);
/* Finish: all containers closed, no error.  Returns the buffer's bytes. */
bool pc_der_ok(const pc_der *d);

/* ---- reader ---- */

/* Read one TLV with exactly this tag; content in *c.  False on mismatch,
 * truncation, non-minimal or indefinite length (reader left failed). */
bool pc_der_read(pc_reader *r, uint8_t tag, pc_reader *c);
/* Read one TLV of any single-byte tag.  whole/whole_len give the full TLV. */
bool pc_der_read_any(pc_reader *r, uint8_t *tag, pc_reader *c,
    const uint8_t **whole, size_t *whole_len);
/* Optional element: if the next tag is `tag`, read it (true, *present=1). */
bool pc_der_read_opt(pc_reader *r, uint8_t tag, pc_reader *c, bool *present);
/* An INTEGER that must be positive and minimally encoded (X.690 §8.3.2):
 * p and n get its magnitude without the optional 00 sign byte, at most `max`
 * bytes.  False (the reader fails) on a negative, empty, non-minimal or
 * longer value: for signature values and key parts, where a lax reader
 * lets one signature have many encodings. */
bool pc_der_read_uint(pc_reader *r, size_t max, const uint8_t **p, size_t *n);
/* Parse UTCTime/GeneralizedTime content (Z form only) into time_t. */
bool pc_der_parse_time(uint8_t tag, pc_reader c, time_t *out);

#endif
