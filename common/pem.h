/*
 * pem.h - strict PEM (RFC 7468) decoding and encoding.
 *
 * Decoding accepts exactly one block with one of the allowed labels,
 * optional whitespace around it, lines of base64 (CR/LF tolerated), and
 * nothing but whitespace after the END line.  Explanatory text before BEGIN
 * is allowed (OpenSSL -text output puts it there).
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_PEM_H
#define PLANTCA_PEM_H

#include "buf.h"

/* True if the bytes look like PEM (first non-space bytes "-----BEGIN "
 * or text followed by a BEGIN line). */
bool pc_pem_looks_like(const uint8_t *p, size_t len);

/* Decode the single block whose label is one of `labels` (NULL-terminated).
 * On success *der is malloc'ed (caller frees); *label_index says which label.
 * Errors: PC_E_INPUT with a reason ("no BEGIN line", "bad base64", "label
 * X not allowed", "text after END line", "more than one block"). The message
 * does not name a file: callers wrap it. */
pc_rc pc_pem_decode(const uint8_t *p, size_t len, const char *const *labels,
    uint8_t **der, size_t *der_len, int *label_index, pc_err *e) PC_CHECK;

/* Decode every block with the given label, in order, calling cb for each. */
pc_rc pc_pem_decode_all(const uint8_t *p, size_t len, const char *label,
    pc_rc (*cb)(void *ctx, const uint8_t *der, size_t len, pc_err *e),
    void *ctx, pc_err *e) PC_CHECK;

/* Append a PEM block (64-column lines) to out. */
void pc_pem_encode(pc_buf *out, const char *label, const uint8_t *der, size_t len);

/* PEM of der, produced in pieces of at most about 64 KiB handed to `out`
 * (e.g. a pc_afile or stdout): memory does not grow with der. */
pc_rc pc_pem_stream(const char *label, const uint8_t *der, size_t len,
    pc_rc (*out)(void *ctx, const void *p, size_t n, pc_err *e), void *ctx, pc_err *e) PC_CHECK;

/* The hex codec.  Lowercase hex of bytes, with optional separator (0 for
 * none), appended to out. */
void pc_hex_encode(pc_buf *out, const uint8_t *p, size_t len, char sep);
/* The same into out[0..cap), NUL-terminated; cut at a whole byte when cap
 * is short (2n+1 bytes, or 3n with a separator, always fit). */
void pc_hex_str(char *out, size_t cap, const uint8_t *p, size_t len, char sep);
/* Parse hex (no separators, upper or lower case) into out; false if bad. */
bool pc_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len);

#endif
