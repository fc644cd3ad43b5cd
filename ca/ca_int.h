/*
 * ca_int.h - what the CA engine's files share among themselves (not a
 * public interface: main.c and other layers use ca.h).
 */
#ifndef PLANTCA_CA_INT_H
#define PLANTCA_CA_INT_H

#include "ca.h"
#include "profile.h"

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
	x509_cert_view v;
} ca_rec;


typedef struct ca_cert_rec {
	uint8_t serial[X509_SERIAL_LEN];
	char *ca, *profile, *subject, *san, *source, *segment, *keytype, *kind;
	uint64_t nb, na, issued;
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
	const char *newca;         /* kind == ca */
	const char *newca_uri;
	uint64_t newca_alg;
	char keytype[32];
	char *subject_text, *san_text;
	uint8_t serial[X509_SERIAL_LEN];
	time_t nb, na;
	pc_buf tbs;
	/* outputs */
	pc_buf cert;
} ca_job;

void ca_rec_free(ca_rec *r);
char *ca_strdup_reader(pc_reader v);
pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e);
pc_rc ca_rec_get(store_txn *t, const char *name, ca_rec *r, pc_err *e);
pc_rc ca_meta_get_str(store_txn *t, const char *key, char **out, pc_err *e);
pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e);
void ca_serial_hex(const uint8_t *s, size_t n, char *out);
pc_rc ca_name_text(const uint8_t *der, size_t len, char **out, pc_err *e);
char *ca_san_text(const x509_gn *g, size_t n);
pc_rc ca_key_for(ca_ctx *c, const char *name, const char *uri, hsm_key **out, pc_err *e);
void ca_job_free(ca_job *j);
pc_rc ca_run_jobs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, pc_err *e);
void ca_cert_rec_free(ca_cert_rec *r);
pc_rc ca_cert_rec_decode(pc_reader val, ca_cert_rec *r, pc_err *e);
const char *ca_cert_status(store_txn *t, const ca_cert_rec *r, time_t now);
void ca_iso_time(uint64_t t, char out[32]);
void ca_fingerprint(const uint8_t *der, size_t len, char out[3 * 32]);
bool valid_ca_name(const char *n);

/* Check one CSR (bytes from `source`) against `prof` and build its TBS as a
 * leaf of `issuer`, signed later with `ik`.  Fills j (ca_job_free it). */
pc_rc ca_prepare_leaf(const char *ca_name, const ca_profile *prof, const ca_rec *issuer,
    hsm_key *ik, const uint8_t *ikid, const uint8_t *csr, size_t csr_len, const char *source,
    const char *segment, unsigned days, ca_job *j, pc_err *e) PC_CHECK;

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
