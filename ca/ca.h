/*
 * ca.h - the CA engine: CA home, root and issuing CAs, issuance, inventory.
 *
 * A ca_ctx holds the open store and, once a signing command needs it, the
 * logged-in HSM.  Read-only commands never open the HSM or ask for a PIN.
 *
 * Issuance is crash-safe (ca/pipeline.h): for each group of requests the
 * intents (serial + exact TBS bytes) are committed before the HSM signs, and
 * the certificates, with their audit events, after; output files are
 * written only after that commit.  An intent left by a crash is reported
 * by every command that opens the store and completed by the next command
 * that logs into the HSM ("issue.recovered" in the audit trail).
 *
 * Each verb below is in the file named after it (ca/cas.c for `ca new`,
 * `ca list`, `ca cert`; ca/certs.c for `certs` and `show`); revocation and
 * CRLs are in crl.h, firmware in firmware.h.
 *
 * The map: docs/architecture.md "Layers" and "Where each rule lives".
 */
#ifndef PLANTCA_CA_H
#define PLANTCA_CA_H

#include <stdio.h>

#include "hsm.h"
#include "store.h"
#include "pkix.h"

enum {
	CA_NAME_MAX = 63,
	CA_ISSUE_GROUP = 512,      /* certificates per pair of commits */
	CA_BATCH_MAX = 1000000,    /* CSRs in one issue command */
	CA_SKEW_SECONDS = 300,     /* notBefore back-dating for clock skew */
	CA_PREP_WORKERS_MAX = 8,   /* threads parsing/checking CSRs */
	CA_ROOT_DAYS_DEFAULT = 7300,     /* init without --days */
	CA_ISSUING_DAYS_DEFAULT = 3650,  /* ca new without --days */
	CA_PUBKEY_FILE_MAX = 4096, /* a minisign public key or signature file */
};

typedef struct ca_ctx {
	char home[4096];
	store *st;
	hsm *h;
	const char *pin_file;      /* NULL: prompt on the terminal */
	bool json;
	bool progress;             /* show progress on stderr */
	/* a batch issued in several calls of the pipeline (sign's pages):
	 * progress counts over the whole batch; batch_total 0: no batch */
	size_t batch_done, batch_total;
	struct ca_keycache *keys;
	int lock_fd;               /* HOME/lock, held by commands that change state; -1: none */
} ca_ctx;

typedef struct ca_init_opts {
	const char *module;
	const char *token;
	const char *subject;
	const char *key;           /* NULL: ec-p384 */
	unsigned days;             /* 0: 7300 */
} ca_init_opts;

typedef struct ca_new_opts {
	const char *name;
	const char *subject;
	const char *key;           /* NULL: ec-p256 */
	unsigned days;             /* 0: 3650 */
	int path_len;              /* <0: 0 */
	const char *const *permit; /* "dns:x" ..., NULL-terminated or NULL */
	bool again;                /* ca roll: also a generation that has issued nothing */
} ca_new_opts;

typedef struct ca_issue_opts {
	const char *ca;
	const char *profile;
	const char *const *csr_paths;
	size_t ncsr;
	const char *out_file;      /* all certificates into one file */
	const char *out_dir;       /* one SERIAL.pem/.der per certificate */
	bool der;
	unsigned days;             /* 0: the profile's */
} ca_issue_opts;

/* Create HOME (must not exist or be empty), the store, root key and CA
 * transfer key in the token, the self-signed root; writes
 * HOME/public/root.pem and HOME/public/transfer.pub. */
pc_rc ca_init(const char *home, const ca_init_opts *o, const char *pin_file,
    bool json, pc_err *e) PC_CHECK;

/* Open an existing CA home (store only).  With `lock`, first take the CA
 * home's lock (pc_dir_lock: one state-changing plantca command at a time;
 * a second one is refused with "HOME is in use by pid N").  The lock is a
 * convenience for the officer; the guarantee that a request is issued at
 * most once is checked inside the transactions themselves (ca/pipeline.c). */
pc_rc ca_open(ca_ctx *c, const char *home, bool lock, pc_err *e) PC_CHECK;
void ca_close(ca_ctx *c);
/* Open and log into the HSM named in the store; completes interrupted
 * issuances (ca/recovery.c).  Needs a home opened with `lock`
 * (PC_E_INTERNAL otherwise). */
pc_rc ca_hsm_ready(ca_ctx *c, pc_err *e) PC_CHECK;

pc_rc ca_new(ca_ctx *c, const ca_new_opts *o, pc_err *e) PC_CHECK;
/* ca roll NAME [--key ALG] [--days N]: a new key generation of an issuing
 * CA (same subject, path length and name constraints), cagen.h. */
pc_rc ca_roll(ca_ctx *c, const ca_new_opts *o, pc_err *e) PC_CHECK;
/* root roll [--key ALG] [--days N]: a new root key and self-signed
 * certificate, both cross-certificates, every issuing CA re-certified
 * (RFC 4210 §4.4; rootroll.c, rootgen.h). */
pc_rc ca_root_roll(ca_ctx *c, const ca_new_opts *o, pc_err *e) PC_CHECK;
/* The permitted subtrees of CA certificate v as builder names (cas.c):
 * ca roll and root roll keep them. */
pc_rc ca_permits_of(const pkix_cert *v, pkix_gn *permit, size_t *n, pc_err *e) PC_CHECK;
pc_rc ca_list(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;
pc_rc ca_cert(ca_ctx *c, const char *name, FILE *out, pc_err *e) PC_CHECK;

pc_rc ca_issue(ca_ctx *c, const ca_issue_opts *o, pc_err *e) PC_CHECK;

typedef struct ca_certs_filter {
	const char *segment;
	int expiring_days;         /* <0: no filter */
	bool revoked;
} ca_certs_filter;

pc_rc ca_certs(ca_ctx *c, const ca_certs_filter *f, FILE *out, pc_err *e) PC_CHECK;
pc_rc ca_show(ca_ctx *c, const char *serial_text, bool pem, FILE *out, pc_err *e) PC_CHECK;

/* `plantca keys` (ca/keys.c): the CA home's key pairs on the token, each
 * with its role from the store (or unused), and a count of the token's
 * other objects.  Holds the lock (a key being made is not shown unused). */
pc_rc ca_keys_list(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;
/* `plantca keys remove LABEL`: destroy one key ca_keys_list shows as
 * unused or as a retired transfer key, audit event key.remove first;
 * refuses any other. */
pc_rc ca_keys_remove(ca_ctx *c, const char *label, pc_err *e) PC_CHECK;

pc_rc ca_audit_log(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;
pc_rc ca_audit_verify(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;

/* ---- plant stations, request bundles in, response bundles out ---- */

/* Enroll a station's minisign public key (file) for SEGMENT, served by
 * issuing CA `ca_name`.  Refuses a key id already enrolled. */
pc_rc ca_station_add(ca_ctx *c, const char *segment, const char *pubkey_path,
    const char *ca_name, pc_err *e) PC_CHECK;
pc_rc ca_station_list(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;
/* Verify a request bundle from an enrolled station and queue its requests
 * (pending, or rejected with the reason); the station's sequence number is
 * stored in the same transaction.  A bad bundle changes nothing. */
pc_rc ca_import(ca_ctx *c, const char *bundle_path, pc_err *e) PC_CHECK;
/* status: NULL (all), "pending", "approved", "rejected", "issued". */
pc_rc ca_requests(ca_ctx *c, const char *status, FILE *out, pc_err *e) PC_CHECK;
pc_rc ca_approve(ca_ctx *c, const char *const *ids, size_t n, bool all, pc_err *e) PC_CHECK;
pc_rc ca_reject(ca_ctx *c, const char *id, const char *reason, pc_err *e) PC_CHECK;
/* Issue every approved request. */
pc_rc ca_sign(ca_ctx *c, pc_err *e) PC_CHECK;
/* Write the signed response bundle for SEGMENT into DIR. */
pc_rc ca_export(ca_ctx *c, const char *segment, const char *dir, pc_err *e) PC_CHECK;

/* Staleness at a glance: per segment the last export, the nextUpdate of
 * the CRLs delivered then, days left, certificates expiring within
 * `expiring_days`; flagged when the delivered CRL expires within
 * `margin_days` (or never was delivered). */
pc_rc ca_status(ca_ctx *c, unsigned margin_days, unsigned expiring_days, FILE *out,
    pc_err *e) PC_CHECK;

/* `plantca policy check FILE`: parse FILE; errors name the line. */
pc_rc ca_policy_check(const char *path, bool json, FILE *out, pc_err *e) PC_CHECK;
/* `plantca policy show`: the active policy of `home` (NULL: the default). */
pc_rc ca_policy_show(const char *home, bool json, FILE *out, pc_err *e) PC_CHECK;
/* `plantca policy set FILE`: check FILE, install it as HOME/policy.conf
 * atomically, record "policy.set" with its SHA-256 in the audit trail. */
pc_rc ca_policy_set(ca_ctx *c, const char *path, pc_err *e) PC_CHECK;

/* plantca renew (ca/renew.c): renewal requests, same key and identity. */
typedef struct ca_renew_opts {
	int expiring_days;             /* <0: 30 */
	const char *segment;           /* NULL: every segment */
	const char *const *serials;    /* exactly these (all or nothing) */
	size_t nserials;
} ca_renew_opts;

pc_rc ca_renew(ca_ctx *c, const ca_renew_opts *o, FILE *out, pc_err *e) PC_CHECK;

/* Upgrade an older release's store to STORE_SCHEMA_VERSION in one write
 * transaction (ca/migrate.c); nothing to do if it is current.  Needs the
 * CA home's lock.  Says what it did on `out` (NULL: nothing). */
pc_rc ca_migrate(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;

#endif
