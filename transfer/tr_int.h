/*
 * tr_int.h - internals of transfer/ shared by its sources, the unit tests
 * and the fuzz targets.  Not part of the public API (transfer.h).
 *
 * The map: docs/architecture.md "Layers".
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
 * message starting with `what`.  `mapped`: buf is a read-only file mapping
 * (tr_pages_release), whose pages are let go of as the parse goes. */
pc_rc tr_tar_parse(const uint8_t *buf, size_t len, bool mapped, const char *what,
    tr_member **members, size_t *n, pc_err *e) PC_CHECK;

/* Let go of the resident pages of a read-only file mapping (they are read
 * again from the file when touched): a bundle of hundreds of megabytes is
 * read in one pass without its pages adding up in memory.  Only for
 * mappings (madvise would zero anonymous memory). */
void tr_pages_release(const uint8_t *map, size_t len);
enum { TR_RELEASE_EVERY = 2048 };   /* members between releases */

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
/* One such line, for a member hashed already. */
void tr_sums_line(pc_buf *out, const char *name, const uint8_t hash[TR_HASH_LEN]);

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

/* ---- spool (spool.c) ---- */

/* Copy the regular file `path` (at most cap bytes) into a nameless file in
 * `dir` (O_TMPFILE, or a name unlinked at once where the file system has
 * no O_TMPFILE), computing its BLAKE2b-512 on the way, and map the copy
 * read-only: *map, *len (tr_spool_unmap).  Errors name `path`. */
pc_rc tr_spool_copy(const char *path, const char *dir, size_t cap, uint8_t **map, size_t *len,
    uint8_t prehash[TR_PREHASH_LEN], pc_err *e) PC_CHECK;
/* Map a file read-only (the streamed writer reads back what it wrote). */
pc_rc tr_spool_map(const char *path, size_t cap, uint8_t **map, size_t *len, pc_err *e) PC_CHECK;
void tr_spool_unmap(uint8_t *map, size_t len);

/* ---- bundle (bundle.c) ---- */

/* The part of tr_bundle_read after the signature: parse the tar, BUNDLE and
 * SHA256SUMS from buf and cross-check them (no trusted comment involved).
 * On success out->members and out->meta are filled (out->buf untouched). */
pc_rc tr_bundle_parse(const uint8_t *buf, size_t len, bool mapped, const char *what,
    tr_bundle *out, pc_err *e) PC_CHECK;
/* BUNDLE's checks on metadata for a new bundle (bundle.c). */
pc_rc tr_meta_check_new(const tr_meta *meta, size_t n, pc_err *e) PC_CHECK;

#endif
