/*
 * firmware.h - firmware signers and signatures (plantca firmware ...).
 *
 * A signer is a key pair generated in the token (label
 * "plantca-<id>-fw-NAME") with a code-signing certificate (the policy's
 * profile code-signing decides it: EKU codeSigning, KU digitalSignature
 * critical, basicConstraints CA:FALSE in the default) that also names the
 * firmware packages it may sign (transfer/fwverify.h), issued by an
 * issuing CA through the normal intent -> HSM -> commit pipeline, so it is
 * inventoried and revocable by serial like any certificate.  This is the
 * only way to a code-signing certificate: no request can get one.  The
 * signer record (STORE_META "signer.NAME": key URI, certificate serial, CA,
 * algorithm) names both.
 *
 * A signature is a detached CMS SignedData in DER (see transfer/fwverify.h
 * for its exact shape), made with the signer's key in the HSM over the
 * image's digest, streamed; each one is an audit event ("fw.sign").
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_FIRMWARE_H
#define PLANTCA_FIRMWARE_H

#include "ca.h"

typedef struct ca_fw_signer_opts {
	const char *name;
	const char *ca;            /* issuing CA */
	const char *subject;
	const char *key;           /* NULL: ec-p256; ec-p384, ed25519 */
	unsigned days;             /* 0: the code-signing profile's `days` */
	const char *const *packages;   /* packages it may sign; none: its name */
	size_t npackages;
} ca_fw_signer_opts;

/* New signer.  For Ed25519 signers also writes HOME/public/fw-NAME.pub,
 * the minisign public key for --minisign signatures.  Errors: PC_E_USAGE
 * (also: no code-signing profile in the policy, bad package names),
 * PC_E_POLICY (the profile refuses subject, key or days), PC_E_EXISTS
 * (signer name or token label taken), PC_E_NOTFOUND (CA), HSM and store
 * errors. */
pc_rc ca_fw_signer_new(ca_ctx *c, const ca_fw_signer_opts *o, pc_err *e) PC_CHECK;

/* Signers with their serial, status, key, CA and packages. */
pc_rc ca_fw_signer_list(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;

typedef struct ca_fw_sign_opts {
	const char *image;
	const char *signer;
	const char *version;       /* dotted, e.g. 1.3.0 */
	const char *package;       /* NULL: the signer's name */
	const char *const *targets;/* dotted OIDs */
	size_t ntargets;
	const char *out;           /* NULL: IMAGE.p7s */
	bool minisign;             /* Ed25519 signers: also OUT-without-.p7s.minisig */
	const char *format;        /* NULL or "cms", "rauc", "swupdate" */
} ca_fw_sign_opts;

/* Sign an image.  Refuses (PC_E_REVOKED / PC_E_EXPIRED) a revoked or
 * expired signer, (PC_E_POLICY) a package its certificate does not list and
 * (PC_E_STATE) a signer whose certificate lists none (made before package
 * lists); checks its own output with fwverify before writing it;
 * writes files only after the audit event is committed, never over an
 * existing file (PC_E_EXISTS). */
pc_rc ca_fw_sign(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e) PC_CHECK;

/* The formats of the device updaters (docs/firmware.md), which
 * ca_fw_sign() dispatches to; the same signer checks, the same signed
 * attributes, the same records.  Both refuse Ed25519 signers (PC_E_USAGE):
 * the updaters verify with OpenSSL 3.0's CMS, which cannot.
 *
 * rauc: IMAGE is a bare squashfs image or a signed RAUC plain bundle
 * (transfer/fwformat.h); -o OUT (required) gets the payload, the new CMS
 * over it and the CMS's length, any old signature dropped.  PC_E_INPUT for
 * anything else (a verity or crypt bundle included), PC_E_LIMIT for a
 * signature over RAUC's 64 KiB.
 *
 * swupdate: IMAGE is sw-description (then OUT defaults to IMAGE.sig) or a
 * .swu newc cpio archive whose first member is sw-description (then -o
 * OUT.swu is required and gets sw-description, sw-description.sig and the
 * other members as they were).  PC_E_INPUT for another archive format, a
 * first member that is not sw-description, a second sw-description. */
pc_rc ca_fw_sign_rauc(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e) PC_CHECK;
pc_rc ca_fw_sign_swupdate(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e) PC_CHECK;

/* Every signature `firmware sign` recorded, oldest first: time, format,
 * package:version, hash and digest of what was signed, size, signer and
 * certificate serial, output (--json: an array of objects). */
pc_rc ca_fw_list(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;

/* Queue SIG (a firmware signature, checked to parse) for the segment's next
 * response bundle: see ca_firmware_pending() in records.h. */
pc_rc ca_fw_publish(ca_ctx *c, const char *segment, const char *sig_path, pc_err *e) PC_CHECK;

typedef struct ca_fw_verify_opts {
	const char *image, *sig;
	const char *const *trust; size_t ntrust;   /* files (PEM bundle or DER) */
	const char *const *crls; size_t ncrls;     /* files (PEM or DER) */
	const char *min_version;
	const char *target;
	bool json;
} ca_fw_verify_opts;

/* Verify without a CA home (no store, no HSM): the result on stdout, the
 * reason of a refusal in e. */
pc_rc ca_fw_verify(const ca_fw_verify_opts *o, FILE *out, pc_err *e) PC_CHECK;

#endif
