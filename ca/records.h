/*
 * records.h - every record of the CA store: its struct, its table for the
 * one codec (common/rec.h), its key and database, and the META values.
 *
 * Records (type byte, version 1; key -> value in the LMDB database named):
 *
 *   CA            'C'  STORE_CAS          CA name ("root", "line3")
 *   certificate   'X'  STORE_CERTS        serial (20 bytes); indexes with empty
 *                                         values: STORE_BY_SEGMENT (segment NUL
 *                                         serial), STORE_BY_EXPIRY (notAfter
 *                                         u64be serial), STORE_BY_SEGMENT_EXPIRY
 *                                         (schema 3: segment NUL notAfter
 *                                         serial); counts: STORE_EXPIRY_MONTHS
 *   intent        'I'  STORE_INTENTS      serial (20 bytes), until recorded
 *   station       'S'  STORE_STATIONS     minisign key id (8 bytes)
 *   request       'Q'  STORE_REQUESTS     request id (u64be); indexes with empty
 *                                         values (schema 3): STORE_REQ_BY_STATUS
 *                                         (status NUL id), STORE_REQ_UNEXPORTED
 *                                         (segment NUL id, while exported == 0)
 *   revocation    'R'  STORE_REVOCATIONS  serial (20 bytes)
 *   CRL           'L'  STORE_CRLS         CA name; the DER is in
 *                                         HOME/crl/current/CA.NUMBER.der
 *   signer        'F'  STORE_META         "signer." NAME
 *   firmware      'P'  STORE_META         "fw.pending." SEGMENT NUL seq (u64be)
 *   firmware sig. 'G'  STORE_META         "fw.sig." seq (u64be)
 *   export        'E'  STORE_META         "export." SEGMENT
 *   scan          'D'  STORE_META         "scan." SEGMENT NUL id (u64be)
 *   expectation   'N'  STORE_META         "expect." SEGMENT NUL SHA-256(endpoint)
 *   manufacturer  'W'  STORE_META         "mfr." NAME
 *   CMP request   'M'  STORE_META         "cmp.req." ID (20 decimal digits)
 *   import in     'J'  STORE_META         "import.partial", while a bundle is
 *   progress                              imported in chunks (ca/import.h)
 *   audit event   'A'  STORE_AUDIT        sequence (u64be); its table is in
 *                                         ca/audit.c, beside the hash chain
 *                                         that depends on its field order
 *
 * META values that are not records: ca/meta.h.
 * CA records and CRL records in META (ca/cagen.h): cagen.ca.NAME NUL gen and
 * cagen.crl.NAME NUL gen, the key generations a ca roll replaced.
 *
 * Each table lists a record's fields in the order they are written: tag
 * (never reused, never renumbered), kind, whether it is required, its
 * bounds.  Every reader goes through pc_rec_decode(), which refuses a
 * missing, malformed, over-long, repeated, unknown or trailing field with
 * PC_E_STORE_CORRUPT "TYPE record: field NAME: WHY" (rec.h says exactly
 * what, and why unknown tags are refused); the record's own decoder below
 * then checks what spans fields and fills what is derived.  LEGACY fields
 * are the ones older plantca versions did not write.  Files: records.c
 * instantiates the tables; records_KIND.c holds each kind's decoder,
 * get/put by key and list loading.
 *
 * Decoded records own their strings (free them with the kind's _free);
 * a field whose comment says "into the store" is valid only until the
 * transaction ends.
 *
 * The map: docs/architecture.md "The store".
 */
#ifndef PLANTCA_RECORDS_H
#define PLANTCA_RECORDS_H

#include <time.h>

#include "ca.h"
#include "meta.h"
#include "fwverify.h"
#include "policy.h"
#include "rec.h"
#include "scanreport.h"
#include "transfer.h"

struct ca_job;   /* pipeline.h: intents and certificates are written from jobs */

/* Bounds of the fields, each at least what any writer can produce. */
enum {
	CA_REC_WORD_MAX = 16,           /* "leaf", "ca", request states */
	CA_REC_KEYTYPE_MAX = 31,        /* pkix_keytype_name into char[32] */
	CA_REC_HASH_HEX_MAX = 64,       /* a SHA-256 in hex */
	CA_REC_URI_MAX = 1024,          /* hsm_key_uri: token label, CKA_ID and key
	                                 * label percent-encoded, under 700 bytes */
	CA_REC_PATH_MAX = 4096,         /* a path or file name (Linux PATH_MAX) */
	/* text made from untrusted input through the display escaper (subject,
	 * SANs, rejection reasons, sources): the largest, 64 SANs of 256
	 * bytes at 4 bytes per escaped byte, is about 66 KiB */
	CA_REC_TEXT_MAX = 256 * 1024,
};

/* Tables are instantiated by records.c alone (it defines this). */
#ifdef CA_RECORDS_TABLES
#define CA_REC_TABLE(var, name, type, T, ...) \
	static const pc_rec_field var##_fields[] = { __VA_ARGS__ }; \
	const pc_rec_type var = PC_REC_TYPE(name, type, 1, T, var##_fields);
#else
#define CA_REC_TABLE(var, name, type, T, ...) extern const pc_rec_type var;
#endif

#define F_REQ PC_REC_REQUIRED
#define F_OPT PC_REC_OPTIONAL
#define F_OLD PC_REC_LEGACY

/* ------------------------------------------------- CAs (records_ca.c) */

/* A CA as stored; owns its strings and certificate.  STORE_CAS holds each
 * CA's current key generation; the generations a `ca roll` replaced are
 * kept in META (cagen.c) with the same fields. */
typedef struct ca_rec {
	char *name, *key_uri, *parent;   /* parent: "" for the root */
	uint64_t alg, created;           /* hsm_alg of the key; unix seconds */
	uint8_t *cert;
	size_t cert_len;
	uint64_t gen;                    /* key generation, 0: the first (records
	                                  * before ca roll have none) */
	uint64_t rolled;                 /* replaced generations: when ca roll replaced it */
	uint64_t last_na;                /* replaced: notAfter of the last certificate it
	                                  * issued, 0: it issued none */
	uint64_t retired;                /* replaced: when it signed its final CRL, 0: not yet */
	uint8_t *xcert;                  /* an issuing CA a root roll re-certified: its
	                                  * certificate from the previous root (same key),
	                                  * carried in exports until that expires (rootgen.h) */
	size_t xcert_len;
	pkix_cert v;                     /* derived: cert parsed (points into cert) */
} ca_rec;

CA_REC_TABLE(ca_rec_type, "CA", 'C', ca_rec,
	PC_REC_STR(1, ca_rec, name, F_REQ, 1, CA_NAME_MAX),
	PC_REC_STR(2, ca_rec, key_uri, F_REQ, 1, CA_REC_URI_MAX),
	PC_REC_U64(3, ca_rec, alg, F_REQ),
	PC_REC_BYTES(4, ca_rec, cert, cert_len, F_REQ, 1, PKIX_CERT_MAX),
	PC_REC_STR(5, ca_rec, parent, F_REQ, 0, CA_NAME_MAX),
	PC_REC_U64(6, ca_rec, created, F_REQ),
	PC_REC_U64(7, ca_rec, gen, F_OPT | PC_REC_NONZERO),
	PC_REC_U64(8, ca_rec, rolled, F_OPT | PC_REC_NONZERO),
	PC_REC_U64(9, ca_rec, last_na, F_OPT | PC_REC_NONZERO),
	PC_REC_U64(10, ca_rec, retired, F_OPT | PC_REC_NONZERO),
	PC_REC_BYTES(11, ca_rec, xcert, xcert_len, F_OPT, 1, PKIX_CERT_MAX),
)

void ca_rec_free(ca_rec *r);
/* created is now. */
pc_rc ca_rec_encode(pc_buf *b, const char *name, const char *uri, uint64_t alg,
    const uint8_t *cert, size_t cert_len, const char *parent, pc_err *e) PC_CHECK;
/* The whole record as it is (cagen.c: generations). */
pc_rc ca_rec_encode_rec(pc_buf *b, const ca_rec *r, pc_err *e) PC_CHECK;
/* Also parses the certificate (a CA record whose cert does not parse is
 * PC_E_STORE_CORRUPT, field cert). */
pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e) PC_CHECK;
/* PC_E_NOTFOUND "CA 'x' does not exist" if there is none. */
pc_rc ca_rec_get(store_txn *t, const char *name, ca_rec *r, pc_err *e) PC_CHECK;

/* ----------- certificates, and their expiry index key (records_cert.c) */

typedef struct ca_cert_rec {
	uint8_t serial[PKIX_SERIAL_LEN];
	char *ca, *profile, *subject, *san;
	uint64_t nb, na;
	const uint8_t *der;   /* into the store: valid during the txn */
	size_t der_len;
	uint64_t issued;
	char *source, *segment, *keytype, *kind;
	char *policy_hash;    /* SHA-256 of the policy file it was issued under; ""
	                       * for CA certificates and records older than the field */
	uint64_t request;     /* queued request it answers; 0: none, or a record older
	                       * than the field (see cert_request_id in ca/check.c) */
} ca_cert_rec;

CA_REC_TABLE(ca_cert_rec_type, "certificate", 'X', ca_cert_rec,
	PC_REC_FIXED(1, ca_cert_rec, serial, F_REQ),
	PC_REC_STR(2, ca_cert_rec, ca, F_REQ, 1, CA_NAME_MAX),
	PC_REC_STR(3, ca_cert_rec, profile, F_REQ, 0, POLICY_NAME_MAX),
	PC_REC_STR(4, ca_cert_rec, subject, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(5, ca_cert_rec, san, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_U64(6, ca_cert_rec, nb, F_REQ),
	PC_REC_U64(7, ca_cert_rec, na, F_REQ),
	PC_REC_VIEW(8, ca_cert_rec, der, der_len, F_REQ, 1, PKIX_CERT_MAX),
	PC_REC_U64(9, ca_cert_rec, issued, F_REQ),
	PC_REC_STR(10, ca_cert_rec, source, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(11, ca_cert_rec, segment, F_REQ, 0, TR_SEGMENT_MAX),
	PC_REC_STR(12, ca_cert_rec, keytype, F_REQ, 0, CA_REC_KEYTYPE_MAX),
	PC_REC_STR(13, ca_cert_rec, kind, F_REQ, 1, CA_REC_WORD_MAX),
	PC_REC_STR(14, ca_cert_rec, policy_hash, F_OPT, 0, CA_REC_HASH_HEX_MAX),
	PC_REC_U64(15, ca_cert_rec, request, F_OPT | PC_REC_NONZERO),
)

/* The certificate record of a signed job (issued: now). */
pc_rc ca_cert_encode(const struct ca_job *j, pc_buf *b, pc_err *e) PC_CHECK;
/* A walk that looks up records by key (an index's, or a record's
 * request) lets go of the store's pages every CA_RELEASE_LOOKUPS lookups
 * (store_release_pages): each random lookup maps the pages around it, and
 * memory would grow with the listing. */
enum { CA_RELEASE_LOOKUPS = 32 };

/* ------ expiry counts (records_expiry.c, STORE_EXPIRY_MONTHS) */

/* year * 12 + month - 1 of t (UTC), and the first second of such a month. */
int ca_month_of(time_t t);
time_t ca_month_start(int month);
/* The STORE_EXPIRY_MONTHS key of (month, segment) into k. */
void ca_month_key(pc_buf *k, int month, const char *segment);
/* Count of (month of na, segment) changed by delta, in t; below zero is
 * PC_E_STORE_CORRUPT. */
pc_rc ca_expiry_count_add(store_txn *t, time_t na, const char *segment, int delta,
    pc_err *e) PC_CHECK;
/* Whether r is counted: a leaf certificate neither revoked nor renewed. */
pc_rc ca_cert_counted(store_txn *t, const ca_cert_rec *r, bool *counted, pc_err *e) PC_CHECK;
/* Every non-zero count from month from_month on, in key order (month,
 * then segment). */
typedef pc_rc (*ca_month_fn)(void *ctx, int month, const char *segment, uint64_t n, pc_err *e);
pc_rc ca_expiry_months(store_txn *t, int from_month, ca_month_fn fn, void *ctx,
    pc_err *e) PC_CHECK;

/* The certificate record of signed job j and its index entries
 * (STORE_BY_EXPIRY; STORE_BY_SEGMENT and STORE_BY_SEGMENT_EXPIRY with a
 * segment; the expiry count of a leaf), in t; scratch
 * is reused between calls.  PC_E_EXISTS if the serial is taken. */
pc_rc ca_cert_put(store_txn *t, const struct ca_job *j, pc_buf *scratch, pc_err *e) PC_CHECK;
/* The STORE_BY_SEGMENT_EXPIRY entry of a record already stored (the
 * migration); nothing without a segment. */
pc_rc ca_segment_expiry_add(store_txn *t, const ca_cert_rec *r, pc_err *e) PC_CHECK;
void ca_cert_rec_free(ca_cert_rec *r);
pc_rc ca_cert_rec_decode(pc_reader val, ca_cert_rec *r, pc_err *e) PC_CHECK;
/* "revoked", "expired" or "valid" at `now`. */
const char *ca_cert_status(store_txn *t, const ca_cert_rec *r, time_t now);
/* STORE_BY_SEGMENT_EXPIRY key: segment NUL, notAfter (u64 big-endian),
 * the serial (NULL: zeros, the start of that second), into k. */
void ca_segment_expiry_key(pc_buf *k, const char *segment, time_t na, const uint8_t *serial);
/* STORE_BY_EXPIRY key: notAfter (u64 big-endian) then the serial. */
void ca_expiry_key(uint8_t k[8 + PKIX_SERIAL_LEN], time_t na, const uint8_t *serial);

/* STORE_SUPERSEDED: certificate `old` was renewed by `by` (renew, or a CMP
 * kur); a later renewal of the same certificate replaces the entry. */
pc_rc ca_supersede_put(store_txn *t, const uint8_t old[PKIX_SERIAL_LEN],
    const uint8_t by[PKIX_SERIAL_LEN], pc_err *e) PC_CHECK;
/* PC_OK with *by, PC_E_NOTFOUND if `old` was not renewed, or an error (a
 * malformed entry is PC_E_STORE_CORRUPT). */
pc_rc ca_supersede_get(store_txn *t, const uint8_t old[PKIX_SERIAL_LEN],
    uint8_t by[PKIX_SERIAL_LEN], pc_err *e) PC_CHECK;

/* ---------------- issuance intents (records_intent.c) */

/* An intent as stored: the exact TBS and what the certificate record will
 * say; new_ca* only for a CA certificate (ca new). */
typedef struct ca_intent_rec {
	char *issuer;
	uint8_t *tbs;
	size_t tbs_len;
	char *kind, *profile, *subject, *san;
	uint64_t nb, na;
	char *source, *segment;
	char keytype[CA_REC_KEYTYPE_MAX + 1];
	uint64_t request;          /* 0: answers no request */
	char *policy_hash;         /* NULL: a CA certificate, or older than the field */
	char *newca, *newca_uri;
	uint64_t newca_alg;
	bool has_newca_alg;
	uint64_t created;
} ca_intent_rec;

CA_REC_TABLE(ca_intent_rec_type, "intent", 'I', ca_intent_rec,
	PC_REC_STR(1, ca_intent_rec, issuer, F_REQ, 1, CA_NAME_MAX),
	PC_REC_BYTES(2, ca_intent_rec, tbs, tbs_len, F_REQ, 1, PKIX_CERT_MAX),
	PC_REC_STR(3, ca_intent_rec, kind, F_REQ, 1, CA_REC_WORD_MAX),
	PC_REC_STR(4, ca_intent_rec, profile, F_REQ, 0, POLICY_NAME_MAX),
	PC_REC_STR(5, ca_intent_rec, subject, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(6, ca_intent_rec, san, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_U64(7, ca_intent_rec, nb, F_REQ),
	PC_REC_U64(8, ca_intent_rec, na, F_REQ),
	PC_REC_STR(9, ca_intent_rec, source, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(15, ca_intent_rec, segment, F_REQ, 0, TR_SEGMENT_MAX),
	PC_REC_CHARS(14, ca_intent_rec, keytype, F_REQ, 0),
	PC_REC_U64(16, ca_intent_rec, request, F_OPT | PC_REC_NONZERO),
	PC_REC_STR(17, ca_intent_rec, policy_hash, F_OPT, 0, CA_REC_HASH_HEX_MAX),
	PC_REC_STR(10, ca_intent_rec, newca, F_OPT, 1, CA_NAME_MAX),
	PC_REC_STR(11, ca_intent_rec, newca_uri, F_OPT, 1, CA_REC_URI_MAX),
	PC_REC_U64_HAS(12, ca_intent_rec, newca_alg, has_newca_alg, F_OPT),
	PC_REC_U64(13, ca_intent_rec, created, F_REQ),
)

/* The intent of a job (created: now). */
pc_rc ca_intent_encode(const struct ca_job *j, pc_buf *b, pc_err *e) PC_CHECK;

/* Every intent in the store, decoded into jobs (recovery).  jobs[i]
 * borrows its strings from recs[i]. */
typedef struct ca_intent_list {
	struct ca_job *jobs;
	ca_intent_rec *recs;
	size_t n, cap;
} ca_intent_list;

/* Fills l (memset it to 0 first; free it with ca_intent_list_free, also
 * after an error).  A malformed intent is PC_E_STORE_CORRUPT. */
pc_rc ca_intents_load(store_txn *t, ca_intent_list *l, pc_err *e) PC_CHECK;
void ca_intent_list_free(ca_intent_list *l);

/* ------------ plant stations (records_station.c) */

/* a station's minisign key: 8-byte id, 32-byte Ed25519 public key (the
 * same sizes as transfer.h's TR_KEYID_LEN / TR_PK_LEN) */
enum { CA_KEYID_LEN = 8, CA_PK_LEN = 32 };

typedef struct ca_station {
	char *segment, *ca;
	uint8_t pk[CA_PK_LEN];
	uint64_t last_seq;         /* the last bundle sequence accepted (replay) */
	uint64_t added;
	uint8_t keyid[CA_KEYID_LEN];
	char keyid_text[17];       /* derived from keyid */
} ca_station;

CA_REC_TABLE(ca_station_type, "station", 'S', ca_station,
	PC_REC_STR(1, ca_station, segment, F_REQ, 1, TR_SEGMENT_MAX),
	PC_REC_STR(2, ca_station, ca, F_REQ, 1, CA_NAME_MAX),
	PC_REC_FIXED(3, ca_station, pk, F_REQ),
	PC_REC_U64(4, ca_station, last_seq, F_REQ),
	PC_REC_U64(5, ca_station, added, F_REQ),
	PC_REC_FIXED(6, ca_station, keyid, F_REQ),
)

typedef struct ca_station_list_t {
	ca_station *v;
	size_t n, cap;
} ca_station_list_t;

void ca_station_free(ca_station *s);
pc_rc ca_station_encode(const ca_station *s, pc_buf *b, pc_err *e) PC_CHECK;
pc_rc ca_station_decode(pc_reader val, ca_station *s, pc_err *e) PC_CHECK;
void ca_station_list_free(ca_station_list_t *l);
pc_rc ca_stations_load(store_txn *t, ca_station_list_t *l, pc_err *e) PC_CHECK;

/* --------------- queued requests (records_request.c) */

enum {
	REASON_MAX = 512,            /* a rejection reason as shown in one message */
	/* A rejected request keeps only this much of its member (with the
	 * SHA-256 and size of the whole): enough to look at, while a station
	 * cannot fill the store with 64 MiB members that were never CSRs. */
	CA_REJECTED_KEEP = 4096,
};

typedef struct ca_request {
	uint64_t id;
	char *status, *segment, *station, *bundle, *member, *profile;
	uint8_t *csr;                /* the member's bytes; rejected: the first CA_REJECTED_KEEP */
	size_t csr_len;              /* bytes in csr */
	uint8_t csr_sha256[32];      /* SHA-256 of the whole member */
	uint64_t csr_bytes;          /* size of the whole member */
	bool has_csr_sha256, has_csr_bytes;   /* decode: false in records older than the
	                                       * fields (then derived from csr) */
	char *subject, *san, *keytype, *reason, *ca;
	uint8_t serial[PKIX_SERIAL_LEN];
	bool has_serial;
	uint64_t created, exported;  /* exported: sequence of the response bundle, 0: not yet */
	uint8_t renews[PKIX_SERIAL_LEN];   /* plantca renew: the certificate this renews */
	bool has_renews;
} ca_request;

CA_REC_TABLE(ca_request_type, "request", 'Q', ca_request,
	PC_REC_U64(1, ca_request, id, F_REQ),
	PC_REC_STR(2, ca_request, status, F_REQ, 1, CA_REC_WORD_MAX),
	PC_REC_STR(3, ca_request, segment, F_REQ, 1, TR_SEGMENT_MAX),
	PC_REC_STR(4, ca_request, station, F_REQ, 0, 2 * CA_KEYID_LEN),
	PC_REC_STR(5, ca_request, bundle, F_REQ, 0, TR_NAME_MAX),
	PC_REC_STR(6, ca_request, member, F_REQ, 0, TR_NAME_MAX),
	PC_REC_STR(7, ca_request, profile, F_REQ, 0, TR_PROFILE_MAX),
	PC_REC_BYTES(8, ca_request, csr, csr_len, F_REQ, 0, PKIX_CSR_MAX),
	PC_REC_FIXED_HAS(17, ca_request, csr_sha256, has_csr_sha256, F_OLD),
	PC_REC_U64_HAS(18, ca_request, csr_bytes, has_csr_bytes, F_OLD),
	PC_REC_STR(9, ca_request, subject, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(10, ca_request, san, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(11, ca_request, keytype, F_REQ, 0, CA_REC_KEYTYPE_MAX),
	PC_REC_STR(12, ca_request, reason, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_STR(16, ca_request, ca, F_REQ, 0, CA_NAME_MAX),
	PC_REC_FIXED_HAS(13, ca_request, serial, has_serial, F_OPT),
	PC_REC_U64(14, ca_request, created, F_REQ),
	PC_REC_U64(15, ca_request, exported, F_REQ),
	PC_REC_FIXED_HAS(19, ca_request, renews, has_renews, F_OPT),
)

typedef struct ca_request_list {
	ca_request *v;
	size_t n, cap;
	const char *status;      /* filter, NULL: all */
	const char *segment;     /* filter, NULL: all */
	bool unexported;         /* only segment's requests not yet delivered
	                          * (STORE_REQ_UNEXPORTED; segment required) */
	/* Pages: with page > 0 a load appends at most `page` requests, those
	 * with ids after `after`, sets `after` to the last id it looked at
	 * and `more` when it stopped before the end.  A batch is read page by
	 * page, each in a short transaction, so that memory does not grow
	 * with the number of requests. */
	size_t page;
	uint64_t after;
	bool more;
} ca_request_list;

void ca_request_free(ca_request *r);
pc_rc ca_request_encode(const ca_request *r, pc_buf *b, pc_err *e) PC_CHECK;
pc_rc ca_request_decode(pc_reader val, ca_request *r, pc_err *e) PC_CHECK;
pc_rc ca_request_get(store_txn *t, uint64_t id, ca_request *r, pc_err *e) PC_CHECK;
/* Writes the record and its index entries (STORE_REQ_BY_STATUS,
 * STORE_REQ_UNEXPORTED), in t. */
pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e) PC_CHECK;
/* Request id delivered by the export of that sequence (exported = sequence,
 * its STORE_REQ_UNEXPORTED entry gone), in t: the record read and decoded
 * once (ca_request_put would decode it again to learn its old entries). */
pc_rc ca_request_mark_exported(store_txn *t, uint64_t id, uint64_t sequence, pc_err *e) PC_CHECK;
/* Deletes request id's record and its index entries, in t (an import
 * rolled back, ca/import_partial.c); PC_E_NOTFOUND if there is none. */
pc_rc ca_request_del(store_txn *t, uint64_t id, pc_err *e) PC_CHECK;
/* The index entries of a record already in the store (the migration). */
pc_rc ca_request_index_add(store_txn *t, const ca_request *r, pc_err *e) PC_CHECK;
/* An index key: WORD (status or segment) NUL id (u64be), into b. */
void ca_request_index_key(pc_buf *b, const char *word, uint64_t id);
/* The next request id (META_REQ_NEXT), counted up in t. */
pc_rc ca_next_request_id(store_txn *t, uint64_t *id, pc_err *e) PC_CHECK;
void ca_request_list_free(ca_request_list *l);
/* Appends the requests that pass l's filters (a page of them with page);
 * with a status (or unexported) through its index, in id order. */
pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e) PC_CHECK;
/* How many requests pass the filters (NULL: any), without keeping them. */
pc_rc ca_requests_count(store_txn *t, const char *status, const char *segment, size_t *n,
    pc_err *e) PC_CHECK;

/* --------- revocations (records_revocation.c) */

typedef struct ca_revocation {
	uint64_t reason;            /* RFC 5280 §5.3.1 CRLReason; 0: unspecified */
	uint64_t when;              /* revocation time, unix seconds */
	char ca[CA_NAME_MAX + 1];   /* the CA that issued the certificate */
} ca_revocation;

CA_REC_TABLE(ca_revocation_type, "revocation", 'R', ca_revocation,
	PC_REC_U64(1, ca_revocation, reason, F_REQ),
	PC_REC_U64(2, ca_revocation, when, F_REQ),
	PC_REC_CHARS(3, ca_revocation, ca, F_REQ, 1),
)

/* The code of a reason name; PC_E_USAGE naming the choices otherwise
 * (also for NULL: --reason is missing). */
pc_rc ca_reason_parse(const char *name, unsigned *code, pc_err *e) PC_CHECK;
pc_rc ca_revocation_encode(pc_buf *b, const ca_revocation *r, pc_err *e) PC_CHECK;
/* Also refuses a reason code plantca does not issue (field reason). */
pc_rc ca_revocation_decode(pc_reader val, ca_revocation *r, pc_err *e) PC_CHECK;
/* Revocation of `serial`, if any: PC_OK and *r, PC_E_NOTFOUND, or an error. */
pc_rc ca_revocation_get(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN],
    ca_revocation *r, pc_err *e) PC_CHECK;

/* --------------- CRLs: the record, and the DER in a file (records_crl.c) */

/* The current CRL of a CA: its number and dates in the store, its DER in
 * HOME/crl/current/NAME.NUMBER.der, pinned by the SHA-256 and size in the
 * record.  (A CRL of a million entries is 51 MB: kept in LMDB it would be
 * copied into the write transaction's dirty pages and held there twice
 * over.)  Records of the first format carried the DER itself (der) and no
 * sha256 or size; a record has one or the other. */
typedef struct ca_crl_rec {
	uint64_t number, this_update, next_update, entries;
	uint8_t sha256[32];
	bool has_sha256;
	uint64_t size;
	bool has_size;
	const uint8_t *der;       /* first-format records only: into the store */
	size_t der_len;
} ca_crl_rec;

CA_REC_TABLE(ca_crl_rec_type, "CRL", 'L', ca_crl_rec,
	PC_REC_U64(1, ca_crl_rec, number, F_REQ),
	PC_REC_U64(2, ca_crl_rec, this_update, F_REQ),
	PC_REC_U64(3, ca_crl_rec, next_update, F_REQ),
	PC_REC_U64(5, ca_crl_rec, entries, F_REQ),
	PC_REC_FIXED_HAS(6, ca_crl_rec, sha256, has_sha256, F_OLD),
	PC_REC_U64_HAS(7, ca_crl_rec, size, has_size, F_OLD),
	PC_REC_VIEW(4, ca_crl_rec, der, der_len, F_OPT, 1, PKIX_CRL_MAX),
)

/* Writes number, dates, entries, sha256 and size (never der). */
pc_rc ca_crl_rec_encode(pc_buf *b, const ca_crl_rec *r, pc_err *e) PC_CHECK;
pc_rc ca_crl_rec_decode(pc_reader val, ca_crl_rec *r, pc_err *e) PC_CHECK;
/* HOME/crl/current/CA.NUMBER.der into out[n]. */
pc_rc ca_crl_file_path(const char *home, const char *ca, uint64_t number, char *out, size_t n,
    pc_err *e) PC_CHECK;
/* The current CRL of CA `ca_name` as last published by `plantca crl`: a
 * malloc'ed copy of its DER in *der (caller frees), its thisUpdate and
 * nextUpdate.  PC_E_NOTFOUND if that CA has no CRL yet. */
pc_rc ca_crl_current(ca_ctx *c, const char *ca_name, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e) PC_CHECK;
/* The same for key generation `gen` of CA `name` that a ca roll replaced
 * (ca/cagen.h); gen 0: the current one, as ca_crl_current. */
pc_rc ca_crl_current_gen(ca_ctx *c, const char *name, uint64_t gen, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e) PC_CHECK;

/* ------ firmware signers and queued signatures (records_firmware.c) */

/* A firmware signer (META "signer." NAME): its token key and certificate. */
typedef struct ca_signer_rec {
	char *name, *key_uri;
	uint8_t serial[PKIX_SERIAL_LEN];
	char *ca;
	uint64_t alg, created;
} ca_signer_rec;

CA_REC_TABLE(ca_signer_rec_type, "signer", 'F', ca_signer_rec,
	PC_REC_STR(1, ca_signer_rec, name, F_REQ, 1, CA_NAME_MAX),
	PC_REC_STR(2, ca_signer_rec, key_uri, F_REQ, 1, CA_REC_URI_MAX),
	PC_REC_FIXED(3, ca_signer_rec, serial, F_REQ),
	PC_REC_STR(4, ca_signer_rec, ca, F_REQ, 1, CA_NAME_MAX),
	PC_REC_U64(5, ca_signer_rec, alg, F_REQ),
	PC_REC_U64(6, ca_signer_rec, created, F_REQ),
)

/* A firmware signature queued for a segment's next response bundle
 * (META "fw.pending." SEGMENT NUL sequence). */
typedef struct ca_fw_pending_rec {
	char *name;               /* the file name the officer gave */
	const uint8_t *sig;       /* DER CMS, into the store */
	size_t sig_len;
	uint64_t created;
	char *package, *version;
} ca_fw_pending_rec;

CA_REC_TABLE(ca_fw_pending_type, "firmware", 'P', ca_fw_pending_rec,
	PC_REC_STR(1, ca_fw_pending_rec, name, F_REQ, 0, CA_REC_PATH_MAX),
	PC_REC_VIEW(2, ca_fw_pending_rec, sig, sig_len, F_REQ, 1, FW_SIG_MAX),
	PC_REC_U64(3, ca_fw_pending_rec, created, F_REQ),
	PC_REC_STR(4, ca_fw_pending_rec, package, F_REQ, 0, FW_PKG_MAX),
	PC_REC_STR(5, ca_fw_pending_rec, version, F_REQ, 0, FW_VERSION_TEXT_MAX),
)

/* One firmware signature made by `plantca firmware sign`, whatever its
 * format (META "fw.sig." sequence (u64be)): what `plantca firmware list`
 * shows.  `digest` is of what the signature covers: the image, the RAUC
 * bundle's squashfs payload, or SWUpdate's sw-description. */
typedef struct ca_fw_sig_rec {
	char *format;             /* "cms", "rauc", "swupdate" */
	char *signer;
	uint8_t serial[PKIX_SERIAL_LEN];   /* the signer's certificate */
	char *package, *version;
	char *hash;               /* "sha256", "sha384", "sha512" */
	char *digest;             /* hex */
	uint64_t size;            /* bytes covered by the digest */
	char *input, *output;     /* paths as given */
	uint64_t created;
} ca_fw_sig_rec;

CA_REC_TABLE(ca_fw_sig_type, "firmware signature", 'G', ca_fw_sig_rec,
	PC_REC_STR(1, ca_fw_sig_rec, format, F_REQ, 1, CA_REC_WORD_MAX),
	PC_REC_STR(2, ca_fw_sig_rec, signer, F_REQ, 1, CA_NAME_MAX),
	PC_REC_FIXED(3, ca_fw_sig_rec, serial, F_REQ),
	PC_REC_STR(4, ca_fw_sig_rec, package, F_REQ, 1, FW_PKG_MAX),
	PC_REC_STR(5, ca_fw_sig_rec, version, F_REQ, 1, FW_VERSION_TEXT_MAX),
	PC_REC_STR(6, ca_fw_sig_rec, hash, F_REQ, 1, CA_REC_WORD_MAX),
	PC_REC_STR(7, ca_fw_sig_rec, digest, F_REQ, 1, 2 * PKIX_HASH_MAX),
	PC_REC_U64(8, ca_fw_sig_rec, size, F_REQ),
	PC_REC_STR(9, ca_fw_sig_rec, input, F_REQ, 1, CA_REC_PATH_MAX),
	PC_REC_STR(10, ca_fw_sig_rec, output, F_REQ, 1, CA_REC_PATH_MAX),
	PC_REC_U64(11, ca_fw_sig_rec, created, F_REQ),
)

#define META_SIGNER_PREFIX "signer."

void ca_signer_rec_free(ca_signer_rec *s);
pc_rc ca_signer_rec_encode(pc_buf *b, const char *name, const char *key_uri,
    const uint8_t serial[PKIX_SERIAL_LEN], const char *ca, uint64_t alg, time_t created,
    pc_err *e) PC_CHECK;
pc_rc ca_signer_rec_decode(pc_reader val, ca_signer_rec *s, pc_err *e) PC_CHECK;
/* The META key of signer `name` into key[n]; PC_E_USAGE for a bad name. */
pc_rc ca_signer_key(const char *name, char *key, size_t n, pc_err *e) PC_CHECK;
/* PC_E_NOTFOUND "signer 'x' does not exist" if there is none. */
pc_rc ca_signer_get(store_txn *t, const char *name, ca_signer_rec *s, pc_err *e) PC_CHECK;
/* minisign key id of a signer: the first 8 bytes of BLAKE2b-256 of the raw
 * Ed25519 public key (reproducible from the certificate). */
void ca_fw_minisign_keyid(const uint8_t pk[32], uint8_t id[8]);

/* Queue a firmware signature (DER sig[len], checked by the caller) for
 * `segment`'s next response bundle, in t: file name, signature, package and
 * version for the record. */
pc_rc ca_firmware_queue(store_txn *t, const char *segment, const char *name, const uint8_t *sig,
    size_t len, const char *package, const char *version, time_t now, pc_err *e) PC_CHECK;
/* Record signature r (its strings borrowed) under the next "fw.sig."
 * sequence, in t. */
pc_rc ca_fw_sig_put(store_txn *t, const ca_fw_sig_rec *r, pc_err *e) PC_CHECK;
/* Every recorded firmware signature, oldest first, inside t: fn gets the
 * decoded record (valid only during the call).  A callback error stops the
 * scan and is returned. */
typedef pc_rc (*ca_fw_sig_fn)(void *ctx, const ca_fw_sig_rec *r, pc_err *e);
pc_rc ca_fw_sig_scan(store_txn *t, ca_fw_sig_fn fn, void *ctx, pc_err *e) PC_CHECK;

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

/* ----------- the last export of a segment (records_export.c) */

enum { CA_EXPORT_CRLS = 2 };   /* the issuing CA's CRL and the root's */

/* When, under which sequence and bundle name, and the nextUpdate of each
 * CRL it delivered. */
typedef struct ca_export_rec {
	uint64_t created, seq;
	char *bundle;
	uint64_t crl_next[CA_EXPORT_CRLS];
	size_t ncrl;
} ca_export_rec;

CA_REC_TABLE(ca_export_rec_type, "export", 'E', ca_export_rec,
	PC_REC_U64(1, ca_export_rec, created, F_REQ),
	PC_REC_U64(2, ca_export_rec, seq, F_REQ),
	PC_REC_STR(4, ca_export_rec, bundle, F_REQ, 0, TR_NAME_MAX),
	PC_REC_U64_REPEATED(3, ca_export_rec, crl_next, ncrl, F_OPT | PC_REC_NONZERO),
)

/* crl_next[i] 0: no CRL of that CA was delivered (not written). */
pc_rc ca_export_rec_encode(pc_buf *b, uint64_t created, uint64_t seq, const char *bundle,
    const uint64_t crl_next[CA_EXPORT_CRLS], pc_err *e) PC_CHECK;
pc_rc ca_export_rec_decode(pc_reader val, ca_export_rec *r, pc_err *e) PC_CHECK;
void ca_export_rec_free(ca_export_rec *r);
/* The earliest nextUpdate the export delivered, 0: none. */
uint64_t ca_export_rec_crl_first(const ca_export_rec *r);

/* ---------- scan reports and expected enrollments (records_scan.c) */

#define META_SCAN "scan."             /* + SEGMENT NUL id (u64be) */
#define META_SCAN_NEXT "scans.next"
#define META_EXPECT "expect."         /* + SEGMENT NUL SHA-256 of the endpoint URL */

/* A scan report as a request bundle brought it (plantca import), kept
 * whole: it is judged when it is shown, against the CA's certificates
 * then (scanreport.h sr_judge_reports). */
typedef struct ca_scan_rec {
	uint64_t id;                  /* scans.next when it was imported: the order */
	char *segment, *station, *bundle;
	uint64_t sequence, imported;  /* the bundle's sequence; unix seconds */
	const uint8_t *report;        /* the report.scan member, into the store */
	size_t report_len;
} ca_scan_rec;

CA_REC_TABLE(ca_scan_rec_type, "scan", 'D', ca_scan_rec,
	PC_REC_U64(1, ca_scan_rec, id, F_REQ | PC_REC_NONZERO),
	PC_REC_STR(2, ca_scan_rec, segment, F_REQ, 1, TR_SEGMENT_MAX),
	PC_REC_STR(3, ca_scan_rec, station, F_REQ, 16, 16),
	PC_REC_STR(4, ca_scan_rec, bundle, F_REQ, 1, TR_NAME_MAX),
	PC_REC_U64(5, ca_scan_rec, sequence, F_REQ | PC_REC_NONZERO),
	PC_REC_U64(6, ca_scan_rec, imported, F_REQ),
	PC_REC_VIEW(7, ca_scan_rec, report, report_len, F_REQ | PC_REC_TEXT, 1, SR_REPORT_MAX),
)

/* "This device must come back with a plant certificate": an endpoint of
 * a segment's scan that showed a certificate the plant CA did not issue
 * (plantca discovered expect).  Open until an imported scan shows a
 * certificate of ours there (done: when; done_scan: which scan). */
typedef struct ca_expect_rec {
	char *segment, *endpoint, *note;
	uint8_t found[32];            /* SHA-256 of the certificate seen there then */
	uint64_t created, scan;       /* when the officer asked; the scan it names */
	uint64_t done, done_scan;     /* 0 while open */
	uint8_t serial[PKIX_SERIAL_LEN];   /* the plant certificate seen there */
	bool has_serial;
} ca_expect_rec;

CA_REC_TABLE(ca_expect_rec_type, "expectation", 'N', ca_expect_rec,
	PC_REC_STR(1, ca_expect_rec, segment, F_REQ, 1, TR_SEGMENT_MAX),
	PC_REC_STR(2, ca_expect_rec, endpoint, F_REQ, 1, CA_REC_TEXT_MAX),
	PC_REC_STR(3, ca_expect_rec, note, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_FIXED(4, ca_expect_rec, found, F_REQ),
	PC_REC_U64(5, ca_expect_rec, created, F_REQ),
	PC_REC_U64(6, ca_expect_rec, scan, F_REQ | PC_REC_NONZERO),
	PC_REC_U64(7, ca_expect_rec, done, F_REQ),
	PC_REC_U64(8, ca_expect_rec, done_scan, F_REQ),
	PC_REC_FIXED_HAS(9, ca_expect_rec, serial, has_serial, F_OPT),
)

/* Store a scan in t: its id from scans.next (in *id). */
pc_rc ca_scan_put(store_txn *t, const char *segment, const char *station, const char *bundle,
    uint64_t sequence, const uint8_t *report, size_t len, uint64_t *id, pc_err *e) PC_CHECK;
/* Decodes and parses the report (a report that does not parse is
 * PC_E_STORE_CORRUPT, field report); rep owned by the caller. */
pc_rc ca_scan_decode(pc_reader val, ca_scan_rec *r, sr_report *rep, pc_err *e) PC_CHECK;
void ca_scan_rec_free(ca_scan_rec *r);

/* A segment's scans, oldest first (decoded, reports parsed). */
typedef struct ca_scan_list {
	ca_scan_rec *v;
	sr_report *reps;
	size_t n, cap;
} ca_scan_list;

/* Every segment's (segment NULL) or one segment's scans, in t. */
pc_rc ca_scans_load(store_txn *t, const char *segment, ca_scan_list *l, pc_err *e) PC_CHECK;
void ca_scan_list_free(ca_scan_list *l);

pc_rc ca_expect_encode(const ca_expect_rec *r, pc_buf *b, pc_err *e) PC_CHECK;
pc_rc ca_expect_decode(pc_reader val, ca_expect_rec *r, pc_err *e) PC_CHECK;
void ca_expect_rec_free(ca_expect_rec *r);
/* The META key of segment's expectation for endpoint. */
void ca_expect_key(pc_buf *k, const char *segment, const char *endpoint);
pc_rc ca_expect_put(store_txn *t, const ca_expect_rec *r, pc_err *e) PC_CHECK;

typedef struct ca_expect_list {
	ca_expect_rec *v;
	size_t n, cap;
} ca_expect_list;

/* Every segment's (NULL) or one segment's expectations, in t. */
pc_rc ca_expects_load(store_txn *t, const char *segment, ca_expect_list *l, pc_err *e) PC_CHECK;
void ca_expect_list_free(ca_expect_list *l);
/* ----------- CMP (records_cmp.c; the verbs and judgement: ca/cmp.h) */

enum { CA_MFR_PEM_MAX = 256 * 1024 };

/* "mfr." NAME: a manufacturer whose IDevIDs the plant accepts. */
typedef struct ca_mfr {
	char *name, *segments;      /* segments: comma-separated, "" = every segment */
	uint8_t *pem; size_t pem_len;   /* its CA certificates, CRLs may follow */
	uint64_t added;
} ca_mfr;

CA_REC_TABLE(ca_mfr_type, "manufacturer", 'W', ca_mfr,
	PC_REC_STR(1, ca_mfr, name, F_REQ, 1, 63),
	PC_REC_STR(2, ca_mfr, segments, F_REQ, 0, CA_REC_TEXT_MAX),
	PC_REC_BYTES(3, ca_mfr, pem, pem_len, F_REQ | PC_REC_TEXT, 1, CA_MFR_PEM_MAX),
	PC_REC_U64(4, ca_mfr, added, F_REQ),
)

pc_rc ca_mfr_encode(const ca_mfr *m, pc_buf *b, pc_err *e) PC_CHECK;
pc_rc ca_mfr_decode(pc_reader val, ca_mfr *m, pc_err *e) PC_CHECK;
void ca_mfr_free(ca_mfr *m);

/* "cmp.req." ID (20 decimal digits): what a CMP request was, as import
 * found it.  The strings were display-escaped when recorded. */
typedef struct ca_cmp_info {
	uint64_t body;              /* pkix_cmp_body: ir, cr, p10cr, kur or rr */
	char txid[65];              /* lowercase hex */
	char manufacturer[64];      /* "" unless an IDevID signed it */
	char signer_issuer[256], signer_serial[43], signer_fp[96], hw_serial[128];
	uint8_t old_serial[PKIX_SERIAL_LEN];   /* kur: renewed, rr: revoked */
	bool has_old;
	uint64_t reason_code;       /* CRLReason + 1 as recorded; 0: none */
	int rev_reason;             /* derived: reason_code - 1 */
} ca_cmp_info;

CA_REC_TABLE(ca_cmp_info_type, "CMP request", 'M', ca_cmp_info,
	PC_REC_U64(1, ca_cmp_info, body, F_REQ),
	PC_REC_CHARS(2, ca_cmp_info, txid, F_REQ, 2),
	PC_REC_CHARS(3, ca_cmp_info, manufacturer, F_REQ, 0),
	PC_REC_CHARS(4, ca_cmp_info, signer_issuer, F_REQ, 0),
	PC_REC_CHARS(5, ca_cmp_info, signer_serial, F_REQ, 1),
	PC_REC_CHARS(6, ca_cmp_info, signer_fp, F_REQ, 1),
	PC_REC_CHARS(7, ca_cmp_info, hw_serial, F_REQ, 0),
	PC_REC_FIXED_HAS(8, ca_cmp_info, old_serial, has_old, F_OPT),
	PC_REC_U64(9, ca_cmp_info, reason_code, F_REQ),
)

/* encode writes reason_code from rev_reason; decode checks the body, the
 * transaction id (hex) and the reason, and derives rev_reason. */
pc_rc ca_cmp_info_encode(const ca_cmp_info *i, pc_buf *b, pc_err *e) PC_CHECK;
pc_rc ca_cmp_info_decode(pc_reader val, ca_cmp_info *i, pc_err *e) PC_CHECK;

/* ---- an import committed in chunks (ca/import_partial.c, ca/import.h) */

/* META "import.partial": a bundle whose requests are being written in
 * chunks.  Requests first .. next-1 are in the store; the bundle is not
 * (its sequence is unused, no event names it).  requests.next equals
 * next while the record exists. */
#define META_IMPORT_PARTIAL "import.partial"

typedef struct ca_import_mark {
	char *bundle, *station, *segment;   /* station: key id, tr_keyid_text */
	uint64_t sequence, first, next, started;
} ca_import_mark;

CA_REC_TABLE(ca_import_mark_type, "import in progress", 'J', ca_import_mark,
	PC_REC_STR(1, ca_import_mark, bundle, F_REQ, 1, TR_NAME_MAX),
	PC_REC_STR(2, ca_import_mark, station, F_REQ, 1, 2 * CA_KEYID_LEN),
	PC_REC_STR(3, ca_import_mark, segment, F_REQ, 1, TR_SEGMENT_MAX),
	PC_REC_U64(4, ca_import_mark, sequence, F_REQ | PC_REC_NONZERO),
	PC_REC_U64(5, ca_import_mark, first, F_REQ | PC_REC_NONZERO),
	PC_REC_U64(6, ca_import_mark, next, F_REQ | PC_REC_NONZERO),
	PC_REC_U64(7, ca_import_mark, started, F_REQ),
)

#undef F_REQ
#undef F_OPT
#undef F_OLD

/* Every table above (records.c), for the tests that check them all. */
enum { CA_REC_NTYPES = 16 };
extern const pc_rec_type *const ca_rec_types[CA_REC_NTYPES];

#endif
