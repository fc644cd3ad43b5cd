/*
 * records.h - the store's records: one struct and one codec per kind, and
 * the META keys.  Each kind's codec is in ca/records_KIND.c.
 *
 * Records are versioned and encoded field by field (common/rec.h), never
 * as raw structs.  Decoded records own their strings (free them with the
 * kind's _free) unless a field says it points into the store, in which
 * case it is valid only until the transaction ends.
 */
#ifndef PLANTCA_RECORDS_H
#define PLANTCA_RECORDS_H

#include <time.h>

#include "ca.h"

struct ca_job;   /* pipeline.h: intents and certificates are written from jobs */

/* ---------------------------------------------------- META keys and helpers */

#define META_MODULE "config.module"
#define META_TOKEN "config.token"
#define META_ID "config.id"
#define META_TRANSFER_URI "transfer.key_uri"
#define META_TRANSFER_KEYID "transfer.keyid"
#define META_REQ_NEXT "requests.next"
#define META_EXPORT_SEQ "export.seq."   /* + segment */
#define META_EXPORT "export."           /* + segment: last export record */

/* (records_meta.c) a field's bytes as a malloc'ed string (NULL: no memory) */
char *ca_strdup_reader(pc_reader v);
/* Replace *field with a copy of v. */
pc_rc ca_set_str(char **field, const char *v, pc_err *e);
/* A u64 as the 8-byte big-endian key that keeps numeric order. */
void ca_id_key(uint64_t id, uint8_t k[8]);
/* META string values; a missing one is PC_E_STORE_CORRUPT (init writes them). */
pc_rc ca_meta_get_str(store_txn *t, const char *key, char **out, pc_err *e);
pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e);

/* ------------------------------------- CAs: STORE_CAS by name (records_ca.c) */

/* A CA as stored; owns its strings and certificate. */
typedef struct ca_rec {
	char *name, *key_uri, *parent;
	uint64_t alg, created;
	uint8_t *cert;
	size_t cert_len;
	pkix_cert v;
} ca_rec;

void ca_rec_free(ca_rec *r);
void ca_rec_encode(pc_buf *b, const char *name, const char *uri, uint64_t alg,
    const uint8_t *cert, size_t cert_len, const char *parent);
pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e);
/* PC_E_NOTFOUND "CA 'x' does not exist" if there is none. */
pc_rc ca_rec_get(store_txn *t, const char *name, ca_rec *r, pc_err *e);

/* ----------- certificates: STORE_CERTS by serial, and indexes (records_cert.c) */

typedef struct ca_cert_rec {
	uint8_t serial[PKIX_SERIAL_LEN];
	char *ca, *profile, *subject, *san, *source, *segment, *keytype, *kind;
	char *policy_hash;    /* SHA-256 of the policy file it was issued under ("" before) */
	uint64_t nb, na, issued;
	uint64_t request;     /* queued request it answers; 0: none, or a record older
	                       * than the field (see cert_request_id in ca/check.c) */
	const uint8_t *der;   /* into the store: valid during the txn */
	size_t der_len;
} ca_cert_rec;

/* The certificate record of a signed job. */
void ca_cert_encode(const struct ca_job *j, pc_buf *b);
void ca_cert_rec_free(ca_cert_rec *r);
pc_rc ca_cert_rec_decode(pc_reader val, ca_cert_rec *r, pc_err *e);
/* "revoked", "expired" or "valid" at `now`. */
const char *ca_cert_status(store_txn *t, const ca_cert_rec *r, time_t now);
/* STORE_BY_EXPIRY key: notAfter (u64 big-endian) then the serial. */
void ca_expiry_key(uint8_t k[8 + PKIX_SERIAL_LEN], time_t na, const uint8_t *serial);

/* ---------------- issuance intents: STORE_INTENTS by serial (records_intent.c) */

void ca_intent_encode(const struct ca_job *j, pc_buf *b);

/* Every intent in the store, decoded into jobs (recovery). */
typedef struct ca_intent_list {
	struct ca_job *jobs;
	size_t n, cap;
	char **strings;          /* the jobs' borrowed strings, owned here */
	size_t nstr, capstr;
} ca_intent_list;

/* Fills l (memset it to 0 first; free it with ca_intent_list_free, also
 * after an error).  A malformed intent is PC_E_STORE_CORRUPT. */
pc_rc ca_intents_load(store_txn *t, ca_intent_list *l, pc_err *e) PC_CHECK;
void ca_intent_list_free(ca_intent_list *l);

/* ------------ plant stations: STORE_STATIONS by key id (records_station.c) */

/* a station's minisign key: 8-byte id, 32-byte Ed25519 public key (the
 * same sizes as transfer.h's TR_KEYID_LEN / TR_PK_LEN) */
enum { CA_KEYID_LEN = 8, CA_PK_LEN = 32 };

typedef struct ca_station {
	uint8_t keyid[CA_KEYID_LEN];
	char keyid_text[17];
	char *segment, *ca;
	uint8_t pk[CA_PK_LEN];
	uint64_t last_seq, added;
} ca_station;

typedef struct ca_station_list_t {
	ca_station *v;
	size_t n, cap;
} ca_station_list_t;

/* Key id as minisign prints it (16 uppercase hex digits of the
 * little-endian number). */
void ca_keyid_text(const uint8_t id[CA_KEYID_LEN], char out[17]);
void ca_station_free(ca_station *s);
void ca_station_encode(const ca_station *s, pc_buf *b);
pc_rc ca_station_decode(pc_reader val, ca_station *s, pc_err *e);
void ca_station_list_free(ca_station_list_t *l);
pc_rc ca_stations_load(store_txn *t, ca_station_list_t *l, pc_err *e);

/* --------------- queued requests: STORE_REQUESTS by id (records_request.c) */

enum {
	REASON_MAX = 512,            /* a rejection reason as stored */
	/* A rejected request keeps only this much of its member (with the
	 * SHA-256 and size of the whole): enough to look at, while a station
	 * cannot fill the store with 64 MiB members that were never CSRs. */
	CA_REJECTED_KEEP = 4096,
};

typedef struct ca_request {
	uint64_t id, created, exported;
	char *status, *segment, *station, *bundle, *member, *profile, *subject, *san, *keytype,
	    *reason, *ca;
	uint8_t *csr;                /* the member's bytes; rejected: the first CA_REJECTED_KEEP */
	size_t csr_len;              /* bytes in csr */
	uint64_t csr_bytes;          /* size of the whole member */
	uint8_t csr_sha256[32];      /* SHA-256 of the whole member */
	uint8_t serial[PKIX_SERIAL_LEN];
	bool has_serial;
} ca_request;

typedef struct ca_request_list {
	ca_request *v;
	size_t n, cap;
	const char *status;      /* filter, NULL: all */
	const char *segment;     /* filter, NULL: all */
} ca_request_list;

void ca_request_free(ca_request *r);
void ca_request_encode(const ca_request *r, pc_buf *b);
pc_rc ca_request_decode(pc_reader val, ca_request *r, pc_err *e);
pc_rc ca_request_get(store_txn *t, uint64_t id, ca_request *r, pc_err *e);
pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e);
/* The next request id (META_REQ_NEXT), counted up in t. */
pc_rc ca_next_request_id(store_txn *t, uint64_t *id, pc_err *e);
void ca_request_list_free(ca_request_list *l);
/* Appends the requests that pass l's filters. */
pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e);

/* --------- revocations: STORE_REVOCATIONS by serial (records_revocation.c) */

/* A revocation as stored in STORE_REVOCATIONS under the 20-byte serial. */
typedef struct ca_revocation {
	uint64_t reason;            /* RFC 5280 §5.3.1 CRLReason; 0: unspecified */
	uint64_t when;              /* revocation time, unix seconds */
	char ca[CA_NAME_MAX + 1];   /* the CA that issued the certificate */
} ca_revocation;

/* RFC 5280 §5.3.1 reason name for a code ("unspecified" for 0), NULL if the
 * code is not one plantca issues. */
const char *ca_reason_name(unsigned code);
/* The code of a reason name; PC_E_USAGE naming the choices otherwise
 * (also for NULL: --reason is missing). */
pc_rc ca_reason_parse(const char *name, unsigned *code, pc_err *e) PC_CHECK;
void ca_revocation_encode(pc_buf *b, const ca_revocation *r);
pc_rc ca_revocation_decode(pc_reader val, ca_revocation *r, pc_err *e) PC_CHECK;
/* Revocation of `serial`, if any: PC_OK and *r, PC_E_NOTFOUND, or an error. */
pc_rc ca_revocation_get(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN],
    ca_revocation *r, pc_err *e) PC_CHECK;

/* --------------- CRLs: STORE_CRLS by CA name, DER in files (records_crl.c) */

/* The current CRL of a CA: its number and dates in the store, its DER in
 * HOME/crl/current/NAME.NUMBER.der, pinned by the SHA-256 in the record.
 * (A CRL of a million entries is 51 MB: kept in LMDB it would be copied
 * into the write transaction's dirty pages and held there twice over.)
 * Records of the first format carried the DER itself (der). */
typedef struct ca_crl_rec {
	uint64_t number, this_update, next_update, entries, size;
	const uint8_t *der;       /* first-format records only: into the store */
	size_t der_len;
	uint8_t sha256[32];
	bool has_sha256;
} ca_crl_rec;

void ca_crl_rec_encode(pc_buf *b, const ca_crl_rec *r);
pc_rc ca_crl_rec_decode(pc_reader val, ca_crl_rec *r, pc_err *e) PC_CHECK;
/* HOME/crl/current/CA.NUMBER.der into out[n]. */
pc_rc ca_crl_file_path(const char *home, const char *ca, uint64_t number, char *out, size_t n,
    pc_err *e) PC_CHECK;
/* The current CRL of CA `ca_name` as last published by `plantca crl`: a
 * malloc'ed copy of its DER in *der (caller frees), its thisUpdate and
 * nextUpdate.  PC_E_NOTFOUND if that CA has no CRL yet. */
pc_rc ca_crl_current(ca_ctx *c, const char *ca_name, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e) PC_CHECK;

/* ------ firmware signers and queued signatures: STORE_META (records_firmware.c) */

/* A firmware signer (META "signer." NAME): its token key and certificate. */
typedef struct ca_signer_rec {
	char *name, *key_uri, *ca;
	uint8_t serial[PKIX_SERIAL_LEN];
	uint64_t alg, created;
	bool have_serial;
} ca_signer_rec;

#define META_SIGNER_PREFIX "signer."

void ca_signer_rec_free(ca_signer_rec *s);
void ca_signer_rec_encode(pc_buf *b, const char *name, const char *key_uri,
    const uint8_t serial[PKIX_SERIAL_LEN], const char *ca, uint64_t alg, time_t created);
pc_rc ca_signer_rec_decode(pc_reader val, ca_signer_rec *s, pc_err *e) PC_CHECK;
/* The META key of signer `name` into key[n]; PC_E_USAGE for a bad name. */
pc_rc ca_signer_key(const char *name, char *key, size_t n, pc_err *e) PC_CHECK;
/* PC_E_NOTFOUND "signer 'x' does not exist" if there is none. */
pc_rc ca_signer_get(store_txn *t, const char *name, ca_signer_rec *s, pc_err *e) PC_CHECK;
/* The raw Ed25519 public key inside an RFC 8410 SPKI, NULL if it is not one. */
const uint8_t *ca_ed25519_raw(const uint8_t *spki, size_t len);
/* minisign key id of a signer: the first 8 bytes of BLAKE2b-256 of the raw
 * Ed25519 public key (reproducible from the certificate). */
void ca_fw_minisign_keyid(const uint8_t pk[32], uint8_t id[8]);

/* Queue a firmware signature (DER sig[len], checked by the caller) for
 * `segment`'s next response bundle, in t: file name, signature, package and
 * version for the record. */
pc_rc ca_firmware_queue(store_txn *t, const char *segment, const char *name, const uint8_t *sig,
    size_t len, const char *package, const char *version, time_t now, pc_err *e) PC_CHECK;
/* Firmware signatures queued by `plantca firmware publish` for `segment`,
 * oldest first, inside the caller's transaction: fn gets the file name the
 * officer gave and the signature's DER bytes (valid only during the call).
 * A callback error stops the scan and is returned.  The export that puts
 * them into a response bundle removes them with ca_firmware_pending_clear()
 * in the transaction that records the bundle. */
typedef pc_rc (*ca_fw_pending_fn)(void *ctx, const char *name, const uint8_t *sig, size_t len,
    pc_err *e);
pc_rc ca_firmware_pending(ca_ctx *c, store_txn *t, const char *segment, ca_fw_pending_fn fn,
    void *ctx, pc_err *e) PC_CHECK;
pc_rc ca_firmware_pending_clear(ca_ctx *c, store_txn *t, const char *segment,
    pc_err *e) PC_CHECK;

/* ----------- the last export of a segment: META "export." SEGMENT (records_export.c) */

/* When, under which sequence and bundle name, and the nextUpdate of each
 * CRL it delivered (crl_next[i] 0: none for that CA). */
void ca_export_rec_encode(pc_buf *b, uint64_t created, uint64_t seq, const char *bundle,
    const uint64_t crl_next[2]);
/* created and seq (0 if absent) and the earliest CRL nextUpdate delivered
 * (0: none).  PC_E_STORE_CORRUPT naming `segment` for another record. */
pc_rc ca_export_rec_decode(pc_reader val, const char *segment, uint64_t *created, uint64_t *seq,
    uint64_t *crl_first, pc_err *e) PC_CHECK;

#endif
