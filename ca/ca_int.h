/*
 * ca_int.h - what the CA engine's files share among themselves (not a
 * public interface: main.c and other layers use ca.h).
 */
#ifndef PLANTCA_CA_INT_H
#define PLANTCA_CA_INT_H

#include "ca.h"
#include "policy.h"

#define META_MODULE "config.module"
#define META_TOKEN "config.token"
#define META_ID "config.id"
#define META_TRANSFER_URI "transfer.key_uri"
#define META_TRANSFER_KEYID "transfer.keyid"

struct ca_keycache {
	char name[CA_NAME_MAX + 1];
	hsm_key *key;
	struct ca_keycache *next;
};

/* A CA as stored; owns its strings and certificate. */
typedef struct ca_rec {
	char *name, *key_uri, *parent;
	uint64_t alg, created;
	uint8_t *cert;
	size_t cert_len;
	pkix_cert v;
} ca_rec;


typedef struct ca_cert_rec {
	uint8_t serial[PKIX_SERIAL_LEN];
	char *ca, *profile, *subject, *san, *source, *segment, *keytype, *kind;
	char *policy_hash;    /* SHA-256 of the policy file it was issued under ("" before) */
	uint64_t nb, na, issued;
	uint64_t request;     /* queued request it answers; 0: none, or a record older
	                       * than the field (see ca_cert_request_id) */
	const uint8_t *der;   /* into the store: valid during the txn */
	size_t der_len;
} ca_cert_rec;


/* One certificate on its way through intent -> HSM -> record. */
typedef struct ca_job {
	/* inputs */
	const char *issuer;        /* CA name */
	const char *kind;          /* "leaf" or "ca" */
	const char *profile;
	const char *source;
	const char *segment;
	const char *policy_hash;   /* NULL for CA certificates */
	const char *newca;         /* kind == ca */
	const char *newca_uri;
	uint64_t newca_alg;
	uint64_t request_id;       /* queued request this answers, 0: none */
	char keytype[32];
	char *subject_text, *san_text;
	uint8_t serial[PKIX_SERIAL_LEN];
	time_t nb, na;
	pc_buf tbs;
	/* outputs */
	pc_buf cert;
	/* set by the pipeline when this job makes no certificate: its request
	 * was no longer approved when the intent was to be committed (another
	 * run took it, or the officer rejected it), or an interrupted intent
	 * was completed by someone else or abandoned (its request was issued
	 * or rejected meanwhile).  `skip_why` says which. */
	bool skip;
	const char *skip_why;
} ca_job;

void ca_rec_free(ca_rec *r);
char *ca_strdup_reader(pc_reader v);
pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e);
pc_rc ca_rec_get(store_txn *t, const char *name, ca_rec *r, pc_err *e);
pc_rc ca_meta_get_str(store_txn *t, const char *key, char **out, pc_err *e);
pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e);
void ca_serial_hex(const uint8_t *s, size_t n, char *out);
pc_rc ca_name_text(const uint8_t *der, size_t len, char **out, pc_err *e);
char *ca_san_text(const pkix_gn *g, size_t n);
pc_rc ca_key_for(ca_ctx *c, const char *name, const char *uri, hsm_key **out, pc_err *e);
void ca_job_free(ca_job *j);
pc_rc ca_run_jobs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, pc_err *e);
void ca_cert_rec_free(ca_cert_rec *r);
pc_rc ca_cert_rec_decode(pc_reader val, ca_cert_rec *r, pc_err *e);
const char *ca_cert_status(store_txn *t, const ca_cert_rec *r, time_t now);
void ca_iso_time(uint64_t t, char out[32]);
void ca_fingerprint(const uint8_t *der, size_t len, char out[3 * 32]);
bool valid_ca_name(const char *n);

/* The request state machine of issuance (ca/requests.c), each step inside
 * the write transaction that records it, so that a request yields at most
 * one certificate whatever runs concurrently or crashes:
 *   approved --claim--> signing (serial reserved; committed with the intent)
 *   signing  --issued-> issued  (committed with the certificate)
 * ca_request_claim: PC_OK and the request is now "signing" with `serial`;
 * PC_E_STATE if it is not "approved" (the caller skips it).
 * ca_request_mark_issued: PC_OK if the request was "signing" with exactly
 * this serial (or, for an intent written by plantca before the "signing"
 * state existed, `legacy` and still "approved"), now "issued"; PC_E_STATE
 * otherwise (the intent must then be abandoned, never signed). */
pc_rc ca_request_claim(store_txn *t, uint64_t id, const uint8_t *serial, pc_err *e) PC_CHECK;
pc_rc ca_request_mark_issued(store_txn *t, uint64_t id, const uint8_t *serial, bool legacy,
    pc_err *e) PC_CHECK;

/* Fill the issuer's part of a TBS (serial, signature algorithm `sigalg`
 * (DER AlgorithmIdentifier, borrowed: it must outlive p), issuer,
 * validity capped at the issuer's notAfter). */
void ca_tbs_issued_by(pkix_tbs_params *p, const ca_rec *issuer, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t ikid[PKIX_KEYID_LEN], unsigned days, time_t now);

/* Check one CSR (bytes from `source`) against the policy's `profile` (and
 * `segment` and `station` when it came in a bundle; NULL for a direct
 * issue), build its TBS as a leaf of `issuer` whose signatures carry
 * `sigalg` (hsm_key_sigalg of the key that will sign; import, which has no
 * token, passes hsm_alg_sigalg of the CA record's algorithm), and run the
 * pre-issuance check on it with the issuer's certificate (so its name
 * constraints hold).  Needs no HSM.  `what` prefixes refusals (the file
 * name, or "request 17 (bundle.tar/x.csr)"); NULL: `source`.  Fills j
 * (ca_job_free it; it points into pol, source and sigalg). */
pc_rc ca_prepare_leaf(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const uint8_t *csr, size_t csr_len, const char *source, const char *what,
    const char *segment, const char *station, unsigned days, ca_job *j, pc_err *e) PC_CHECK;
/* The same for a CSR the caller has parsed (pkix_csr_parse) and frees. */
pc_rc ca_prepare_leaf_parsed(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const pkix_csr *csr, const char *source, const char *what, const char *segment,
    const char *station, unsigned days, ca_job *j, pc_err *e) PC_CHECK;

/* The store's invariants (ca/check.c): each certificate under its own
 * serial, each request with at most one certificate and that certificate
 * pointing back to it, no certificate for a request that does not name it,
 * an intent for every request being signed.  Findings go to `out` (text
 * lines, or with `json` the members "findings":[...],"certificates":N,...
 * of an object the caller opened); any finding is PC_E_AUDIT. */
pc_rc ca_check_store(ca_ctx *c, FILE *out, bool json, uint64_t *findings, pc_err *e) PC_CHECK;

/* ---- policy (capolicy.c) ---- */

#define CA_POLICY_FILE "policy.conf"
/* HOME is the officer's alone (init sets it, every command checks it) */
enum { CA_HOME_MODE = 0700 };

/* The active policy: HOME/policy.conf, else the built-in default. */
pc_rc ca_policy_active(const char *home, policy **out, pc_err *e) PC_CHECK;

/* Describe a parsed CSR to the policy, decide, and fill the TBS fields the
 * decision governs (subject rebuilt into `subject`, which must outlive t;
 * KU, EKU, SANs, leaf basicConstraints).  *days gets the decided validity.
 * fw_signer: the "CSR" describes a key that `firmware signer new` made in
 * the token (policy_request.fw_signer); false for every real request. */
pc_rc ca_policy_apply(const policy *pol, const pkix_csr *csr, const char *profile,
    const char *ca_name, const char *segment, const char *station, unsigned days,
    bool fw_signer, const char *what, pkix_tbs_params *t, pc_buf *subject, unsigned *days_out,
    const char *eku[POLICY_EKU_MAX + 1], pc_err *e) PC_CHECK;

/* ---- pre-issuance check (lint.c) ---- */

typedef struct ca_lint_expect {
	bool is_ca;
	unsigned key_usage;          /* PKIX_KU_* exactly */
	const char *const *eku;      /* exactly these purposes (NULL-terminated) or NULL */
	unsigned max_days;           /* 0: no limit */
	/* a firmware signer's package list (transfer/fwverify.h), exactly
	 * these names in this order, NULL-terminated; NULL: not a signer, so
	 * neither the list nor EKU codeSigning / anyExtendedKeyUsage */
	const char *const *fw_packages;
} ca_lint_expect;

/* Parse the TBSCertificate DER independently and check RFC 5280 and the
 * expectations: serial positive and <= 20 octets; v3; UTCTime through 2049,
 * GeneralizedTime from 2050; notBefore < notAfter; no duplicate extension,
 * no unknown critical one; basicConstraints cA <=> keyCertSign; empty
 * subject => critical SAN; no keyEncipherment/dataEncipherment for EC or
 * Ed25519 keys; a code-signing purpose only with the expected firmware
 * package list (non-critical); issuer name and validity nest in
 * issuer_cert (DER, may be NULL for a self-signed root) and its name
 * constraints hold for every SAN.
 * PC_E_POLICY "WHAT: pre-issuance check failed: rule; rule" on failure. */
pc_rc ca_lint_tbs(const uint8_t *tbs, size_t len, const uint8_t *issuer_cert, size_t issuer_len,
    const ca_lint_expect *x, const char *what, pc_err *e) PC_CHECK;

/* ---- stations and queued requests (requests.c; bundles: bundle.c) ---- */

/* a station's minisign key: 8-byte id, 32-byte Ed25519 public key (the
 * same sizes as transfer.h's TR_KEYID_LEN / TR_PK_LEN) */
enum { CA_KEYID_LEN = 8, CA_PK_LEN = 32 };
/* an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): 12 bytes, then the key */
enum { CA_ED25519_SPKI_LEN = 12 + CA_PK_LEN };
/* a minisign public key file: a comment line and one base64 line */
enum { CA_PUBKEY_FILE_MAX = 4096 };
/* Key id as minisign prints it (16 uppercase hex digits of the
 * little-endian number). */
void ca_keyid_text(const uint8_t id[CA_KEYID_LEN], char out[17]);

enum { REC_STATION = 'S', REC_REQUEST = 'Q', REC_EXPORT = 'E' };
enum { S_F_SEGMENT = 1, S_F_CA, S_F_PK, S_F_LAST_SEQ, S_F_ADDED, S_F_KEYID };
enum {
	R_F_ID = 1, R_F_STATUS, R_F_SEGMENT, R_F_STATION, R_F_BUNDLE, R_F_MEMBER, R_F_PROFILE,
	R_F_CSR, R_F_SUBJECT, R_F_SAN, R_F_KEYTYPE, R_F_REASON, R_F_SERIAL, R_F_CREATED,
	R_F_EXPORTED, R_F_CA, R_F_CSR_SHA256, R_F_CSR_BYTES,
};
enum { E_F_TIME = 1, E_F_SEQ, E_F_CRL, E_F_BUNDLE };

enum {
	RESPONSE_DAYS = 30,          /* a response bundle expires after this */
	REASON_MAX = 512,
	/* A rejected request keeps only this much of its member (with the
	 * SHA-256 and size of the whole): enough to look at, while a station
	 * cannot fill the store with 64 MiB members that were never CSRs. */
	CA_REJECTED_KEEP = 4096,
};

#define META_REQ_NEXT "requests.next"
#define META_EXPORT_SEQ "export.seq."   /* + segment */
#define META_EXPORT "export."           /* + segment: last export record */

/* ------------------------------------------------------------ stations */

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

void ca_station_free(ca_station *s);
void ca_station_encode(const ca_station *s, pc_buf *b);
pc_rc ca_station_decode(pc_reader val, ca_station *s, pc_err *e);
void ca_station_list_free(ca_station_list_t *l);
pc_rc ca_stations_load(store_txn *t, ca_station_list_t *l, pc_err *e);
void ca_request_free(ca_request *r);
void ca_request_encode(const ca_request *r, pc_buf *b);
pc_rc ca_request_decode(pc_reader val, ca_request *r, pc_err *e);
void ca_id_key(uint64_t id, uint8_t k[8]);
pc_rc ca_request_get(store_txn *t, uint64_t id, ca_request *r, pc_err *e);
pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e);
pc_rc ca_set_str(char **field, const char *v, pc_err *e);
pc_rc ca_next_request_id(store_txn *t, uint64_t *id, pc_err *e);
void ca_request_list_free(ca_request_list *l);
pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e);

/* Everything `plantca sign` checks for queued request r before the HSM
 * signs, through ca_prepare_leaf with the request's own profile, CA,
 * segment and station: CSR parse and proof of possession, the policy's
 * decision, the TBS as `issuer` would sign it (`sigalg` as there), the
 * pre-issuance check with the issuer's certificate.  Import calls it as
 * sign does, so a request that sign would refuse is rejected at import.
 * csr: r->csr already parsed by the caller (import shows its subject), or
 * NULL.  Fills j (ca_job_free it; it points into pol, source and sigalg). */
pc_rc ca_request_prepare(const policy *pol, const ca_request *r, const pkix_csr *csr,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const char *source,
    const char *what, ca_job *j, pc_err *e) PC_CHECK;
/* ---- revocations and CRLs (crl.c) ---- */

/* A revocation as stored in STORE_REVOCATIONS under the 20-byte serial. */
typedef struct ca_revocation {
	uint64_t reason;            /* RFC 5280 §5.3.1 CRLReason; 0: unspecified */
	uint64_t when;              /* revocation time, unix seconds */
	char ca[CA_NAME_MAX + 1];   /* the CA that issued the certificate */
} ca_revocation;

void ca_revocation_encode(pc_buf *b, const ca_revocation *r);
pc_rc ca_revocation_decode(pc_reader val, ca_revocation *r, pc_err *e) PC_CHECK;
/* Revocation of `serial`, if any: PC_OK and *r, PC_E_NOTFOUND, or an error. */
pc_rc ca_revocation_get(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN],
    ca_revocation *r, pc_err *e) PC_CHECK;

/* The current CRL of CA `ca_name` as last published by `plantca crl`: a
 * malloc'ed copy of its DER in *der (caller frees), its thisUpdate and
 * nextUpdate.  PC_E_NOTFOUND if that CA has no CRL yet. */
pc_rc ca_crl_current(ca_ctx *c, const char *ca_name, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e) PC_CHECK;

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

#endif
