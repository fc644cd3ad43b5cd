/*
 * text.h - the one display escaper for untrusted text, and the one UTF-8
 * decoder.
 *
 * Every byte of untrusted text (CSR subjects, request and certificate
 * fields from the store, audit fields, error messages that quote input)
 * that reaches a terminal, a log or JSON goes through pc_text_escape() or
 * one of its wrappers here.  The output shows what is there and does
 * nothing else:
 *
 *   printable ASCII and well-formed UTF-8 (RFC 3629)   unchanged
 *   C0 controls 0x00-0x1f, DEL 0x7f                     \xHH
 *   a byte that is not part of well-formed UTF-8         \xHH (so a raw
 *     8-bit C1 such as CSI 0x9b shows as \x9b, a Latin-1 e-acute as \xe9)
 *   a well-formed character that a terminal acts on or   \uXXXX (up to
 *     that hides or reorders text (pc_text_invisible):     U+FFFF) or
 *     C1 U+0080-U+009F, bidi controls, zero-width and      \UXXXXXXXX
 *     other format characters, tags                        (above U+FFFF)
 *
 * Hex digits are lowercase.  A backslash passes unchanged, so the escaper
 * is idempotent: escaping its own output changes nothing, and text that was
 * escaped before it was stored (a subject, a rejection reason) reads the
 * same on every screen and in every log.  (Subjects stay unambiguous: RFC
 * 4514 text writes a literal backslash as \\.)  The output never holds a byte
 * below 0x20, 0x7f, ill-formed UTF-8, or a character pc_text_invisible()
 * accepts.
 *
 * Nothing here fails: writing to a pc_buf follows its sticky-failure rule;
 * writing to a FILE leaves errors in ferror(f).
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_TEXT_H
#define PLANTCA_TEXT_H

#include <stdio.h>

#include "buf.h"

enum {
	/* The body of a JSON string (RFC 8259 §7): the escapes themselves are
	 * JSON-encoded ("\\x1b", "\\u202e"), '"' becomes \", '\' becomes \\.
	 * A JSON consumer then gets the visible escape, never the character. */
	PC_TEXT_JSON = 1 << 0,
};

/* Length of the well-formed UTF-8 sequence at s (n bytes available, n > 0)
 * and its code point in *cp; 0 if the bytes at s do not start one (RFC
 * 3629 §4 / Unicode Table 3-7: no overlongs, no surrogates, nothing above
 * U+10FFFF, no truncation).  ASCII bytes are sequences of length 1. */
size_t pc_utf8_next(const uint8_t *s, size_t n, uint32_t *cp);

/* True if s[0..n) is entirely well-formed UTF-8. */
bool pc_utf8_valid(const void *s, size_t n);

/* True for code points shown as \u escapes although well-formed: C1
 * controls, bidi controls, format (Cf) and default-ignorable characters,
 * line and paragraph separators.  The table in text.c says why. */
bool pc_text_invisible(uint32_t cp);

/* Append the display-safe form of s[0..n) to out. */
void pc_text_escape(pc_buf *out, const void *s, size_t n);

/* The same with flags: PC_TEXT_*. */
void pc_text_bwrite(pc_buf *out, const void *s, size_t n, unsigned flags);

/* Write the display-safe form of s[0..n) to f; flags: PC_TEXT_*. */
void pc_text_fwrite(FILE *f, const void *s, size_t n, unsigned flags);

/* pc_text_fwrite of a NUL-terminated string; NULL writes nothing. */
void pc_text_fputs(FILE *f, const char *s);

/* The display-safe form of s as a new string (the caller frees it); NULL
 * when out of memory.  s NULL gives "". */
char *pc_text_escape_str(const char *s) PC_CHECK;

/* The display-safe form of s[0..n) in dst (cap > 4 bytes, NUL-terminated),
 * for quoting a value inside a message: when it does not fit it is cut at
 * a character or escape boundary and ends in "...".  Returns dst. */
const char *pc_text_quote(char *dst, size_t cap, const void *s, size_t n);

/* ---- the one form of times and fingerprints, on screens, in JSON and in
 * bundle metadata */

enum {
	PC_TIME_TEXT_MAX = 32,       /* "2026-12-01T11:13:42Z" and NUL, or "@SECONDS" */
	PC_FINGERPRINT_MAX = 3 * 32, /* "aa:bb:...:ff" (SHA-256) and NUL */
};

/* t (seconds since the epoch) as RFC 3339 UTC, "2026-12-01T11:13:42Z";
 * a time the C library cannot represent as "@SECONDS". */
void pc_time_text(int64_t t, char out[PC_TIME_TEXT_MAX]);

/* SHA-256 of p[0..n) as lowercase colon-separated hex, the form `openssl
 * x509 -fingerprint -sha256` prints (in lowercase). */
void pc_fingerprint(const void *p, size_t n, char out[PC_FINGERPRINT_MAX]);

#endif
