/*
 * transfer.h - signed bundles on removable media (docs/architecture.md
 * "Layers"; the full format is in docs/bundle-format.md).
 *
 * A bundle is NAME.tar (POSIX ustar: BUNDLE metadata first, SHA256SUMS
 * second, payload after; regular files with flat names only) and
 * NAME.tar.minisig (minisign, Ed25519 over BLAKE2b-512 of the whole tar,
 * trusted comment naming kind, segment, sender key id and sequence).
 *
 * This module knows bytes, keys and formats; it has no CA database and no
 * HSM.  Signing goes through a callback so that the CA signs with its HSM
 * key and a station with its passphrase-protected minisign key.
 *
 * Reading is strict and in this order: size cap checked with fstat, the
 * .tar read into memory once, the .minisig read (capped), the signature and
 * the trusted-comment signature verified over those bytes with a trusted
 * key, and only then the tar parsed, from the same buffer.  Member names are
 * never used as paths.  Every refusal is PC_E_BUNDLE, PC_E_SIGNATURE,
 * PC_E_LIMIT, PC_E_REPLAY or PC_E_EXPIRED with a message that names the
 * bundle file and the reason.
 */
#ifndef PLANTCA_TRANSFER_H
#define PLANTCA_TRANSFER_H

#include <time.h>

#include "pc.h"
#include "buf.h"
#include "secret.h"

enum {
	TR_FORMAT_VERSION = 1,
	/* sized for 50,000 CSRs of up to 4 KiB each plus headers */
	TR_BUNDLE_MAX = 512 * 1024 * 1024,  /* bytes in NAME.tar */
	TR_MINISIG_MAX = 4096,              /* bytes in NAME.tar.minisig */
	TR_MEMBERS_MAX = 200000,            /* members in one tar */
	TR_MEMBER_MAX = 64 * 1024 * 1024,   /* bytes in one member */
	TR_META_MAX = 4 * 1024 * 1024,      /* bytes in BUNDLE */
	TR_NAME_MAX = 100,                  /* member name: [A-Za-z0-9][A-Za-z0-9._-]{0,99} */
	TR_SEGMENT_MAX = 63,                /* segment: [a-z0-9][a-z0-9-]{0,62} */
	TR_PROFILE_MAX = 63,
	TR_COMMENT_MAX = 1024,              /* minisign comment lines */
	TR_KEYID_LEN = 8,
	TR_PK_LEN = 32,
	TR_SIG_LEN = 64,
	/* A bundle lives at most this long (expires - created), whatever its
	 * kind: media can sit in a drawer for months, but a signed request
	 * valid for a century is a standing order nobody meant to give. */
	TR_LIFETIME_MAX_DAYS = 366,
	/* A sequence may be at most this far past the last accepted one from
	 * the same sender.  Without a bound one bundle with 2^64-1 (signed by
	 * a stolen or buggy key) would leave no greater sequence and lock the
	 * sender out for ever; with it that takes 2^64 / 10^6 bundles, while a
	 * million request bundles lost or never taken to the CA still pass. */
	TR_SEQ_STEP_MAX = 1000000,
	/* station key ids one response may name in "station-keys:" */
	TR_STATION_KEYS_MAX = 64,
};

typedef enum tr_kind { TR_REQUEST = 1, TR_RESPONSE = 2 } tr_kind;

/* ---- keys (minisign formats) ---- */

typedef struct tr_pubkey {
	uint8_t keyid[TR_KEYID_LEN];   /* as stored in the file (little-endian) */
	uint8_t pk[TR_PK_LEN];
} tr_pubkey;

/* Key id as minisign prints it: 16 uppercase hex digits of the
 * little-endian 64-bit number.  out: 17 bytes. */
void tr_keyid_text(const uint8_t keyid[TR_KEYID_LEN], char out[17]);

/* Parse a minisign public key file ("untrusted comment: ...\n" + base64 of
 * "Ed" || keyid || pk), or the bare base64 line.  PC_E_INPUT names `what`. */
pc_rc tr_pubkey_parse(const uint8_t *text, size_t len, const char *what,
    tr_pubkey *out, pc_err *e) PC_CHECK;
/* Append a minisign public key file for k to out; `note` (NULL for none)
 * follows the key id in the untrusted comment: "minisign public key ID
 * (NOTE)". */
void tr_pubkey_format(const tr_pubkey *k, const char *note, pc_buf *out);

/* A station's secret key: keyid and the 64-byte libsodium Ed25519 secret
 * key, in sodium_malloc() memory (tr_seckey_free wipes it). */
typedef struct tr_seckey {
	uint8_t keyid[TR_KEYID_LEN];
	uint8_t *sk;                   /* 64 bytes, sodium_malloc */
} tr_seckey;

/* The scrypt cost of a minisign secret key: libsodium's opslimit and
 * memlimit (crypto_pwhash_scryptsalsa208sha256), both stored in the key
 * file, from which minisign and tr_seckey_open read them.  Opening the key
 * costs memlimit bytes of memory and time in proportion to opslimit.
 *
 * libsodium turns the two into scrypt's N, r, p; tr_kdf_check keeps to the
 * costs where that is exact: memlimit a power of two and opslimit at least
 * memlimit / 32 give N = memlimit / 1024, r = 8, p = opslimit * 32 /
 * memlimit (rounded down), and scrypt then uses exactly memlimit bytes
 * (fewer operations would make it use less memory than asked). */
typedef struct tr_kdf {
	uint64_t opslimit, memlimit;
} tr_kdf;

enum {
	TR_KDF_MIB = 1024 * 1024,
	/* libsodium's INTERACTIVE level, the floor */
	TR_KDF_OPS_MIN = 524288,
	TR_KDF_MEM_MIN = 16 * TR_KDF_MIB,
	/* its SENSITIVE level (minisign's own default), the ceiling: key files
	 * asking for more are refused when read */
	TR_KDF_OPS_MAX = 33554432,
	TR_KDF_MEM_MAX = 1024 * TR_KDF_MIB,
	/* the default: 64 MiB, which a 512 MiB plant gateway can spare, and 16
	 * times the floor's operations (scrypt p = 4): 4x the floor's memory and
	 * about 16x its time, 1/16 of minisign's memory and 1/4 of its time */
	TR_KDF_OPS_DEFAULT = 8388608,
	TR_KDF_MEM_DEFAULT = 64 * TR_KDF_MIB,
};

/* The default cost (TR_KDF_*_DEFAULT). */
tr_kdf tr_kdf_default(void);
/* The cost for memlimit bytes when only the memory is chosen: the
 * default's scrypt p = 4, i.e. opslimit = 4 * memlimit / 32, kept within
 * TR_KDF_OPS_MIN..MAX (1 GiB gets minisign's own cost, p = 1). */
tr_kdf tr_kdf_for_memory(uint64_t memlimit);
/* Refuse a cost outside TR_KDF_*_MIN..MAX or where scrypt would not use
 * memlimit exactly (above); PC_E_USAGE saying which and what to give. */
pc_rc tr_kdf_check(const tr_kdf *k, pc_err *e) PC_CHECK;
/* scrypt's parameters for a cost tr_kdf_check accepts: N = 2^log2n, r, p. */
void tr_kdf_scrypt(const tr_kdf *k, unsigned *log2n, unsigned *r, unsigned *p);
/* The cost stored in a minisign secret key file (the file is parsed and
 * checked, the passphrase not needed). */
pc_rc tr_seckey_kdf(const uint8_t *file, size_t len, const char *what, tr_kdf *out,
    pc_err *e) PC_CHECK;

/* New key pair; `file` receives a minisign secret key file (scrypt-encrypted
 * with the passphrase exactly as minisign does, at cost kdf (NULL: the
 * default), so `minisign -S -s FILE` can use it) and `pub` the public key. */
pc_rc tr_seckey_generate(const pc_secret *passphrase, const tr_kdf *kdf, pc_buf *file,
    tr_pubkey *pub, tr_seckey *out, pc_err *e) PC_CHECK;
/* Decrypt a minisign secret key file.  Wrong passphrase: PC_E_SIGNATURE
 * ("wrong passphrase (checksum mismatch)"). */
pc_rc tr_seckey_open(const uint8_t *file, size_t len, const char *what,
    const pc_secret *passphrase, tr_seckey *out, pc_err *e) PC_CHECK;
void tr_seckey_free(tr_seckey *k);

/* ---- signing ---- */

/* Sign `msg` with Ed25519 (pure), writing 64 bytes to sig. */
typedef pc_rc (*tr_sign_fn)(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[TR_SIG_LEN], pc_err *e);
/* A tr_sign_fn for a tr_seckey (ctx = tr_seckey *). */
pc_rc tr_seckey_sign(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[TR_SIG_LEN], pc_err *e) PC_CHECK;

/* A minisign signature file for `data` (prehashed "ED" algorithm: Ed25519
 * over BLAKE2b-512(data)), with the given trusted comment (one line, no
 * newline) and global signature over sig || trusted comment.  Both
 * signatures are verified against `pub` before this returns. */
pc_rc tr_minisig_make(const uint8_t *data, size_t len, const tr_pubkey *pub,
    const char *trusted_comment, tr_sign_fn sign, void *ctx, pc_buf *out,
    pc_err *e) PC_CHECK;
/* The same for data hashed already (a firmware image, streamed): hash is
 * BLAKE2b-512 of the data; `untrusted` the untrusted comment's text (NULL:
 * "signature from plantca"). */
enum { TR_PREHASH_LEN = 64 };
pc_rc tr_minisig_make_prehashed(const uint8_t hash[TR_PREHASH_LEN], const tr_pubkey *pub,
    const char *untrusted, const char *trusted_comment, tr_sign_fn sign, void *ctx,
    pc_buf *out, pc_err *e) PC_CHECK;

/* Verify a minisign signature file over data against one of n trusted keys
 * (chosen by key id).  Accepts the prehashed "ED" and legacy "Ed"
 * algorithms.  On success *which is the index of the key and
 * trusted_comment (TR_COMMENT_MAX + 1 bytes) the verified trusted comment. */
pc_rc tr_minisig_verify(const uint8_t *sig, size_t siglen, const uint8_t *data,
    size_t len, const tr_pubkey *trusted, size_t ntrusted, const char *what,
    size_t *which, char *trusted_comment, pc_err *e) PC_CHECK;
/* The same with the BLAKE2b-512 of data computed already (prehash; NULL:
 * computed here); data is still read for a legacy "Ed" signature. */
pc_rc tr_minisig_verify_hashed(const uint8_t *sig, size_t siglen, const uint8_t *data,
    size_t len, const uint8_t *prehash, const tr_pubkey *trusted, size_t ntrusted,
    const char *what, size_t *which, char *trusted_comment, pc_err *e) PC_CHECK;

/* ---- metadata ---- */

typedef struct tr_csr_entry {
	char member[TR_NAME_MAX + 1];   /* the .csr member */
	char profile[TR_PROFILE_MAX + 1];
	size_t index;                   /* tr_bundle_read: members[index] is that member */
} tr_csr_entry;

typedef struct tr_meta {
	unsigned version;
	tr_kind kind;
	char segment[TR_SEGMENT_MAX + 1];
	char sender[17];                /* key id, tr_keyid_text form */
	uint64_t sequence;              /* > 0 */
	time_t created, expires;        /* RFC 3339 UTC in the file */
	char **in_reply_to;             /* bundle names (responses), NULL-terminated */
	size_t nreply;
	tr_csr_entry *csrs;             /* requests: one per .csr member */
	size_t ncsrs;
	char scan[TR_NAME_MAX + 1];     /* requests: the NAME.scan member ("scan:"), "" if none */
	size_t scan_index;              /* tr_bundle_read: members[scan_index] is that member */
	/* key rotation (keyroll.c, docs/lifecycle.md); each "" when absent */
	char transfer_key[17];          /* responses: the CA's next transfer key, announced
	                                 * (members transfer-key.pub, transfer-key.pub.minisig) */
	char station_keys[TR_STATION_KEYS_MAX][17];   /* responses: new station keys the CA
	                                 * has recorded for this segment ("station-keys:") */
	size_t nstation_keys;
	char rekey[17];                 /* requests: the station's new key (members
	                                 * station-key.pub, station-key.pub.minisig) */
	char holds_transfer_key[17];    /* requests: the announced CA transfer key the station
	                                 * holds ("holds-transfer-key:") */
} tr_meta;

/* Parse BUNDLE text: "key: value" lines (format, kind, segment, sender,
 * sequence, created, expires, in-reply-to, scan: MEMBER, csr: MEMBER PROFILE), LF line
 * ends, no duplicates of single-valued keys, unknown keys refused; expires
 * after created by at most TR_LIFETIME_MAX_DAYS. */
pc_rc tr_meta_parse(const uint8_t *text, size_t len, const char *what, tr_meta *out,
    pc_err *e) PC_CHECK;
void tr_meta_format(const tr_meta *m, pc_buf *out);
void tr_meta_free(tr_meta *m);

/* ---- bundles ---- */

typedef struct tr_member {
	char name[TR_NAME_MAX + 1];
	const uint8_t *data;            /* into the bundle's buffer */
	size_t len;
} tr_member;

typedef struct tr_bundle {
	uint8_t *buf;                   /* the whole tar, owned (malloc'ed, or mapped) */
	size_t len;
	bool mapped;                    /* buf maps a private spool copy (tr_bundle_read_spooled) */
	tr_meta meta;
	tr_member *members;             /* payload only (not BUNDLE/SHA256SUMS), in tar order */
	size_t nmembers;
	size_t signer;                  /* index into the trusted keys */
	char name[TR_NAME_MAX + 1];     /* NAME of NAME.tar */
} tr_bundle;

/* Read and verify PATH (NAME.tar) and PATH.minisig with one of the trusted
 * keys; parse and check the tar (see the header comment), SHA256SUMS (every
 * payload member listed exactly once, every listed member present, every
 * hash right), BUNDLE, and that the trusted comment agrees with BUNDLE
 * (kind, segment, sender, sequence) and the sender is the signing key.
 * For requests, every .csr member has exactly one csr line and every csr
 * line names a .csr member; meta.csrs[i].index is that member's index in
 * members (found in O(n log n), so callers need not search).  A scan line
 * names a .scan member, and the only one (meta.scan_index is its index).
 * Does not judge replay, expiry, kind or segment: tr_bundle_check does. */
pc_rc tr_bundle_read(const char *path, const tr_pubkey *trusted, size_t ntrusted,
    tr_bundle *out, pc_err *e) PC_CHECK;
/* The same for bundles of any size: PATH is first copied into a private,
 * nameless file in the directory `spool` (O_TMPFILE: it vanishes with the
 * process, however it ends), hashed as it is copied, and the copy is
 * mapped; the signature is checked over that hash and the tar parsed from
 * the mapping, its pages let go of as the parse goes.  What is checked is
 * what is used: nobody can change the private copy, unlike PATH on a
 * stick.  Memory does not grow with the bundle (tr_bundle_release_pages
 * between pieces of work on its members). */
pc_rc tr_bundle_read_spooled(const char *path, const char *spool, const tr_pubkey *trusted,
    size_t ntrusted, tr_bundle *out, pc_err *e) PC_CHECK;
/* Let go of the resident pages of a spooled bundle (no-op otherwise);
 * members stay valid: their pages are read again when touched. */
void tr_bundle_release_pages(const tr_bundle *b);
/* The caller's rules: kind, segment (NULL: any), sequence > last_seq
 * (PC_E_REPLAY) and at most last_seq + TR_SEQ_STEP_MAX (PC_E_BUNDLE),
 * now < expires (PC_E_EXPIRED) and created not absurdly in the future (more
 * than a day: PC_E_BUNDLE).  (The lifetime cap, TR_LIFETIME_MAX_DAYS, is
 * checked at read: tr_meta_parse refuses a longer-lived BUNDLE.) */
pc_rc tr_bundle_check(const tr_bundle *b, tr_kind kind, const char *segment,
    uint64_t last_seq, time_t now, pc_err *e) PC_CHECK;
void tr_bundle_free(tr_bundle *b);

/* Build NAME.tar bytes: BUNDLE (from meta), SHA256SUMS, then the payload
 * members in the given order (names checked, no duplicates). */
pc_rc tr_bundle_build(const tr_meta *meta, const tr_member *payload, size_t n,
    pc_buf *tar, pc_err *e) PC_CHECK;
/* The trusted comment for a bundle: "plantca-bundle kind=request
 * segment=line3 sender=0123456789ABCDEF sequence=17 file=NAME.tar". */
void tr_trusted_comment(const tr_meta *m, const char *name, char *out, size_t n);
/* Write DIR/NAME.tar then DIR/NAME.tar.minisig, each atomically (temporary
 * file, fsync, rename, fsync of DIR); refuses to overwrite (PC_E_EXISTS). */
pc_rc tr_bundle_write(const char *dir, const char *name, const pc_buf *tar,
    const pc_buf *minisig, pc_err *e) PC_CHECK;
/* A payload member on demand, for bundles too large to hold in memory:
 * fill *m for member i < n (m->data valid until the next call).  Asked
 * for twice per member (to hash it, then to write it); must give the same
 * bytes both times. */
typedef pc_rc (*tr_member_fn)(void *ctx, size_t i, tr_member *m, pc_err *e);
/* tr_bundle_build, tr_minisig_make and tr_bundle_write in one pass, for
 * bundles of any size: DIR/NAME.tar is streamed into a temporary file
 * (hashed as it is written), read back from the file with the reader's
 * rules, signed (prehash; sign() with pub's key, trusted comment from
 * tr_trusted_comment) and published by rename, then DIR/NAME.tar.minisig
 * written.  Memory does not grow with the bundle.  Refuses to overwrite
 * (PC_E_EXISTS); on failure nothing is left in DIR. */
pc_rc tr_bundle_stream(const char *dir, const char *name, const tr_meta *meta, size_t n,
    tr_member_fn get, void *ctx, const tr_pubkey *pub, tr_sign_fn sign, void *sign_ctx,
    pc_err *e) PC_CHECK;
/* Conventional bundle name: "SEGMENT-request-000017" / "SEGMENT-response-000017". */
void tr_bundle_name(tr_kind kind, const char *segment, uint64_t seq, char *out, size_t n);

/* ---- checkpoint.c: a signed audit checkpoint (docs/bundle-format.md) */

enum {
	TR_CHECKPOINT_MAX = 1024,      /* bytes of audit-checkpoint.txt */
	TR_AUDIT_HASH_LEN = 32,
};
#define TR_CHECKPOINT_MEMBER "audit-checkpoint.txt"

/* The CA's audit chain head (event seq, its hash) at `time`, signed by the
 * audit key (raw Ed25519 public key) in the CA's token. */
typedef struct tr_checkpoint {
	uint64_t seq;
	uint8_t head[TR_AUDIT_HASH_LEN];
	uint64_t time;
	uint8_t key[TR_PK_LEN];
	uint8_t sig[TR_SIG_LEN];
} tr_checkpoint;

/* The signed text (the five lines before the signature); check pc_buf_ok. */
void tr_checkpoint_message(const tr_checkpoint *c, pc_buf *b);
/* The whole checkpoint text, signature line included. */
void tr_checkpoint_format(const tr_checkpoint *c, pc_buf *b);
/* Strict: exactly what tr_checkpoint_format writes; PC_E_INPUT "WHAT:
 * line N: ..." or PC_E_LIMIT; *c zeroed on failure.  The signature is not
 * checked here. */
pc_rc tr_checkpoint_parse(const uint8_t *p, size_t len, const char *what, tr_checkpoint *c,
    pc_err *e) PC_CHECK;
/* The signature over the message, with the key the checkpoint names
 * (pkix_verify); PC_E_SIGNATURE "WHAT: checkpoint signature does not
 * verify". */
pc_rc tr_checkpoint_verify(const tr_checkpoint *c, const char *what, pc_err *e) PC_CHECK;

/* ---- keyroll.c: a key endorsed by the key it replaces (docs/lifecycle.md) */

/* The members that carry a new key: NAME.pub (minisign public key file)
 * and NAME.pub.minisig, a minisign signature over NAME.pub by the old key
 * with the trusted comment "plantca-key-roll role=ROLE old=OLDID new=NEWID".
 * A response carries the CA's next transfer key (role transfer), a request
 * the station's next key (role station). */
#define TR_TRANSFER_KEY_MEMBER "transfer-key.pub"
#define TR_STATION_KEY_MEMBER "station-key.pub"
#define TR_ENDORSEMENT_SUFFIX ".minisig"

/* The endorsement of newk by oldk: *pubfile the public key file, *sigfile
 * its minisign signature made by sign() (oldk's key). */
pc_rc tr_keyroll_make(const char *role, const tr_pubkey *oldk, const tr_pubkey *newk,
    tr_sign_fn sign, void *ctx, pc_buf *pubfile, pc_buf *sigfile, pc_err *e) PC_CHECK;
/* The endorsement members `member` and `member`.minisig of bundle b: the
 * key file parses, its key id is newid (as BUNDLE announces it), it is not
 * oldk, and the signature verifies with oldk with exactly the trusted
 * comment above.  *newk the endorsed key.  PC_E_BUNDLE or PC_E_SIGNATURE
 * "BUNDLE.tar: member M: WHY". */
pc_rc tr_keyroll_verify(const tr_bundle *b, const char *role, const char *member,
    const char *newid, const tr_pubkey *oldk, tr_pubkey *newk, pc_err *e) PC_CHECK;

/* Name checks shared by reader, writer and callers. */
bool tr_member_name_ok(const char *name);
bool tr_segment_ok(const char *segment);

#endif
