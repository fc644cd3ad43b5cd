/*
 * tr_int.h - internals of transfer/ shared by its sources, the unit tests
 * and the fuzz targets.  Not part of the public API (transfer.h).
 */
#ifndef PLANTCA_TR_INT_H
#define PLANTCA_TR_INT_H

#include "transfer.h"

enum {
	TR_BLOCK = 512,                 /* ustar block size */
	TR_SUMS_NAME_MAX = TR_NAME_MAX,
	TR_HASH_LEN = 32,               /* SHA-256 */
	TR_REPLY_MAX = 4096,            /* in-reply-to names in one BUNDLE */
	TR_FUTURE_SLACK = PC_DAY,       /* created may be this far in the future */
};

/* ---- ustar (tar.c) ---- */

/* Append one regular-file member (mode 0644, uid/gid 0, mtime) to out.
 * The caller has checked the name (tr_member_name_ok) and the size. */
void tr_tar_add(pc_buf *out, const char *name, const uint8_t *data, size_t len,
    time_t mtime);
/* Append the end-of-archive marker (two zero blocks). */
void tr_tar_end(pc_buf *out);
/* Parse a whole ustar archive held in buf (no signature involved).  On
 * success *members is a malloc'ed array of *n entries (caller frees the
 * array; data points into buf).  Refusals: PC_E_BUNDLE / PC_E_LIMIT, the
 * message starting with `what`. */
pc_rc tr_tar_parse(const uint8_t *buf, size_t len, const char *what,
    tr_member **members, size_t *n, pc_err *e) PC_CHECK;

/* ---- SHA256SUMS (meta.c) ---- */

typedef struct tr_sum {
	char name[TR_NAME_MAX + 1];
	uint8_t hash[TR_HASH_LEN];
} tr_sum;

/* "HEX  NAME\n" lines as sha256sum writes them (lowercase hex, text mode).
 * *out malloc'ed (caller frees).  PC_E_BUNDLE naming `what` and the line. */
pc_rc tr_sums_parse(const uint8_t *text, size_t len, const char *what,
    tr_sum **out, size_t *n, pc_err *e) PC_CHECK;
void tr_sums_format(const tr_member *m, size_t n, pc_buf *out);

/* RFC 3339 "YYYY-MM-DDTHH:MM:SSZ" (UTC only). */
bool tr_time_parse(const char *s, size_t len, time_t *out);

/* ---- minisign (minisign.c) ---- */

/* The fields of a minisign secret key file, still encrypted. */
typedef struct tr_seckey_file {
	uint8_t salt[32];
	uint64_t opslimit, memlimit;
	uint8_t enc[8 + 64 + 32];       /* keynum || sk || chk, XOR-encrypted */
} tr_seckey_file;

/* Parse a secret key file without running the KDF (the fuzz target's
 * entry; tr_seckey_open calls it first).  Refuses unencrypted keys and KDF
 * limits above minisign's defaults. */
pc_rc tr_seckey_parse(const uint8_t *file, size_t len, const char *what,
    tr_seckey_file *out, pc_err *e) PC_CHECK;

/* Strict base64 (original alphabet, padded, canonical): exactly `want`
 * bytes.  s need not be NUL-terminated. */
bool tr_b64_decode_exact(const char *s, size_t slen, uint8_t *out, size_t want);
void tr_b64_append(pc_buf *out, const uint8_t *p, size_t n);

/* ---- bundle (bundle.c) ---- */

/* The part of tr_bundle_read after the signature: parse the tar, BUNDLE and
 * SHA256SUMS from buf and cross-check them (no trusted comment involved).
 * On success out->members and out->meta are filled (out->buf untouched). */
pc_rc tr_bundle_parse(const uint8_t *buf, size_t len, const char *what,
    tr_bundle *out, pc_err *e) PC_CHECK;

#endif
