/*
 * firmware_key.h - what every format of `plantca firmware sign` shares
 * (ca/firmware_key.c): the options' checks, the signer's key and chain
 * opened for signing, one detached CMS over a digest made in the token and
 * checked by our verifier, and the signature recorded in the store and the
 * audit trail.  The formats (firmware_sign.c: a detached .p7s beside the
 * image; firmware_rauc.c: a RAUC plain bundle; firmware_swu.c: SWUpdate's
 * sw-description.sig) only differ in what they hash and what they write.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_FIRMWARE_KEY_H
#define PLANTCA_FIRMWARE_KEY_H

#include "firmware.h"
#include "fwverify.h"
#include "records.h"

/* Version, package and targets of o checked (PC_E_USAGE with the reason);
 * pkg_id[FW_PKG_ID_MAX] gets "PACKAGE:VERSION". */
enum { FW_PKG_ID_MAX = FW_PKG_MAX + FW_VERSION_TEXT_MAX + 2 };
pc_rc ca_fw_opts_check(const ca_fw_sign_opts *o, char pkg_id[FW_PKG_ID_MAX], pc_err *e) PC_CHECK;

/* A signer ready to sign: its record, certificate chain (signer first,
 * root last, as the store has them), certificate, token key and hash. */
typedef struct ca_fw_key {
	ca_signer_rec s;
	uint8_t *certs[FW_CHAIN_MAX];
	size_t cert_len[FW_CHAIN_MAX], ncerts;
	pkix_cert sv;             /* parsed certs[0] */
	hsm_key *k;
	pkix_hash h;              /* P-256 sha256, P-384 sha384, Ed25519 sha512 */
	char hex[2 * PKIX_SERIAL_LEN + 1];   /* the certificate's serial */
} ca_fw_key;

/* Open signer `name` for package `pkg`: refuses (PC_E_REVOKED,
 * PC_E_EXPIRED) a certificate not valid at `now`, (PC_E_STATE) one without
 * a package list, (PC_E_POLICY) a package it does not list, all before the
 * token is touched; then logs in and checks the token key is the
 * certificate's.  ca_fw_key_close() it also after an error. */
pc_rc ca_fw_key_open(ca_ctx *c, const char *name, const char *pkg, time_t now, ca_fw_key *fk,
    pc_err *e) PC_CHECK;
void ca_fw_key_close(ca_fw_key *fk);

/* The detached CMS (appended to the empty *cms) over content whose digest
 * (fk->h) is `digest`, with the RFC 4108 attributes pkg_id and targets and
 * signingTime now; the token's signature is checked by hsm/, and the
 * whole CMS by fwverify against the chain's root before this returns
 * (PC_E_INTERNAL "self-check ... failed" if it does not pass). */
pc_rc ca_fw_key_sign(ca_fw_key *fk, const uint8_t *digest, const char *pkg_id,
    const char *const *targets, size_t ntargets, time_t now, pc_buf *cms, pc_err *e) PC_CHECK;

/* The signature made: the audit event "fw.sign" (subject `input`) with the
 * format, the digest, the size, the package, the targets, the signer and
 * the outputs, and the store record of `firmware list`, in one committed
 * transaction.  Call it before any output becomes visible. */
typedef struct ca_fw_made {
	const char *format, *input, *output, *extra_output;   /* extra_output may be NULL */
	const char *pkg_id, *version, *package;
	const uint8_t *digest;
	uint64_t size;
	const char *const *targets;
	size_t ntargets;
} ca_fw_made;
pc_rc ca_fw_record(ca_ctx *c, const ca_fw_key *fk, const ca_fw_made *m, time_t now, pc_err *e)
    PC_CHECK;

/* The result line (stderr) or object (--json, stdout) of one signing. */
void ca_fw_report(const ca_ctx *c, const ca_fw_key *fk, const ca_fw_made *m, const char *signer);

#endif
