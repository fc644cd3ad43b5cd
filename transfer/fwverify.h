/*
 * fwverify.h - firmware signatures: detached CMS SignedData (RFC 5652)
 * with RFC 4108 firmware package attributes, read strictly and checked
 * completely.  Linked by plantca (firmware verify, and the signer's
 * self-check) and meant for plantca-station (verify-firmware).
 *
 * What a plantca firmware signature is: the one-signer detached CMS
 * SignedData of pkix/cms.h (the CMS layer reads and writes the RFC 5652
 * frame and its contentType, messageDigest and signingTime attributes),
 * whose signed attributes also hold, from RFC 4108,
 *
 *   id-aa-firmwarePackageID (required) and id-aa-targetHardwareIDs (optional)
 *
 * and nothing else; the signer's chain (root optional) travels in the
 * certificates, and the signature algorithm is ecdsa-with-SHA256/384 or
 * Ed25519.
 *
 * Hashes: SHA-256 for P-256 signers, SHA-384 for P-384, SHA-512 for
 * Ed25519 (RFC 8419 §3.1 requires SHA-512 for the message digest when the
 * signature is Ed25519).  The signature covers the DER of the signed
 * attributes with the explicit SET OF tag (RFC 5652 §5.4).
 *
 * Firmware package identifier (RFC 4108 §2.2.3): we use the `legacy`
 * OCTET STRING form holding "PACKAGE:VERSION", PACKAGE printable ASCII
 * without ':', VERSION dotted decimal (1 to 4 numbers, each 0..65535,
 * e.g. "1.3.0").  The preferred form would need an OID per package, which
 * a plant does not have; the text form keeps the version readable by
 * `openssl cms -cmsout -print` and comparable for rollback checks: versions
 * compare number by number, missing numbers count as 0 ("1.3" == "1.3.0").
 * The optional `stale` field is never written and refused when read.
 *
 * Target hardware (RFC 4108 §2.2.4): SEQUENCE OF OBJECT IDENTIFIER; on the
 * command line a target is its dotted OID (e.g. 1.3.6.1.4.1.99999.1.7).
 *
 * Lifetime: fw_cms.cms points into the signature bytes the caller passed
 * and keeps them borrowed; it owns nothing.  Its strings are copies.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_FWVERIFY_H
#define PLANTCA_FWVERIFY_H

#include <time.h>

#include "buf.h"
#include "pkix.h"

enum {
	FW_SIG_MAX = 256 * 1024,      /* largest .p7s we read */
	FW_TRUST_MAX = 1024 * 1024,   /* largest trust file */
	FW_CRL_MAX = 64 * 1024 * 1024,/* largest CRL file */
	FW_CHAIN_MAX = 6,             /* signer + CAs a signature carries */
	FW_TRUST_CERTS_MAX = 64,      /* trusted certificates given to one check */
	FW_CRLS_MAX = 64,             /* CRLs given to one check */
	FW_TARGETS_MAX = 64,          /* target hardware ids in one signature */
	FW_PKG_MAX = 64,              /* package name bytes */
	FW_VERSION_TEXT_MAX = 32,     /* version text bytes */
	FW_VERSION_PARTS = 4,
	FW_OID_TEXT_MAX = 128,
	FW_CHUNK = 256 * 1024,        /* image read size (the only image buffer) */
};

/* Hash a file as a stream, FW_CHUNK bytes at a time (memory does not grow
 * with the file).  With b2 != NULL also BLAKE2b-512 of the same bytes (for
 * minisign's prehashed signatures) in the same pass.  *size gets the byte
 * count.  Errors: PC_E_IO naming the file. */
pc_rc fw_digest_file(const char *path, pkix_hash h, uint8_t out[PKIX_HASH_MAX],
    uint8_t b2[64], uint64_t *size, pc_err *e) PC_CHECK;

typedef struct fw_version {
	unsigned part[FW_VERSION_PARTS];
	unsigned nparts;
} fw_version;

/* "1.3.0" -> parts; PC_E_INPUT with the reason if not 1..4 dotted numbers
 * 0..65535 without leading zeros or signs. */
pc_rc fw_version_parse(const char *text, fw_version *v, pc_err *e) PC_CHECK;
/* <0, 0, >0 as a is lower than, equal to, higher than b. */
int fw_version_cmp(const fw_version *a, const fw_version *b);

/* A parsed firmware signature: the CMS (every pointer into the caller's
 * bytes) and the RFC 4108 attributes (copies). */
typedef struct fw_cms {
	pkix_cms cms;
	bool has_package;
	char package[FW_PKG_MAX + 1];
	char version_text[FW_VERSION_TEXT_MAX + 1];
	fw_version version;
	char targets[FW_TARGETS_MAX][FW_OID_TEXT_MAX];
	size_t ntargets;
} fw_cms;

/* Parse the DER signature strictly (the shape above; trailing bytes,
 * indefinite lengths, unknown or repeated signed attributes, embedded
 * content, more than one signer are all refused).  No cryptography.
 * PC_E_INPUT / PC_E_LIMIT with the reason. */
pc_rc fw_cms_parse(const uint8_t *der, size_t len, fw_cms *out, pc_err *e) PC_CHECK;

/* The packages a firmware signer may sign: a private certificate extension,
 * non-critical (other verifiers, which do not know it, keep accepting the
 * signer; ours require it), docs/firmware.md:
 *
 *   id-plantca-fwPackages OBJECT IDENTIFIER ::=
 *       { joint-iso-itu-t(2) uuid(25) 5292707027791555232 }
 *   FwPackages ::= SEQUENCE SIZE (1..FW_SIGNER_PKGS_MAX) OF
 *       UTF8String (SIZE (1..FW_PKG_MAX))  -- printable ASCII, no space or ':'
 *
 * Why this number and not a whole UUID under 2.25 (X.667): GnuTLS
 * (libtasn1 4.19, Debian 12) refuses to parse any certificate with an OID
 * arc of 2^64 or more ("Error in DER parsing"), and a UUID's integer is
 * always at least 2^76, so a true UUID OID would make every signer
 * certificate unreadable to certtool and to GnuTLS devices.  A random
 * 63-bit arc under 2.25 cannot collide with any UUID-allocated OID (all
 * are >= 2^76); it should move under a plantca enterprise number once one
 * is registered.
 *
 * Names are compared exactly (case matters) with the PACKAGE of the
 * signature's firmware package identifier; no two are equal. */
#define FW_PKGS_OID_TEXT "2.25.5292707027791555232"    /* PKIX_OID_FW_PACKAGES */
enum { FW_SIGNER_PKGS_MAX = 16 };

typedef struct fw_pkgs {
	char name[FW_SIGNER_PKGS_MAX][FW_PKG_MAX + 1];
	size_t n;
} fw_pkgs;

/* A package name as signatures and signer certificates carry it: 1 to
 * FW_PKG_MAX bytes of printable ASCII without space or ':'. */
bool fw_package_name_ok(const char *s, size_t n);
/* Strict reader of the extension's value (the extnValue OCTET STRING's
 * content): exactly the shape above, nothing after it.  PC_E_INPUT with
 * the reason. */
pc_rc fw_pkgs_parse(const uint8_t *der, size_t len, fw_pkgs *out, pc_err *e) PC_CHECK;
/* The same over the SEQUENCE's content (a parsed certificate's
 * fw_packages window, pkix/cert.h). */
pc_rc fw_pkgs_read(pc_reader seq, fw_pkgs *out, pc_err *e) PC_CHECK;
/* Append the whole Extension (SEQUENCE { oid, extnValue }, not critical)
 * for these names to out.  PC_E_USAGE for a bad, repeated or missing name
 * or too many; PC_E_NOMEM. */
pc_rc fw_pkgs_ext_encode(const char *const *names, size_t n, pc_buf *out, pc_err *e) PC_CHECK;
/* The list a DER certificate carries: PC_OK, PC_E_NOTFOUND without the
 * extension, PC_E_INPUT for a malformed certificate or list. */
pc_rc fw_cert_packages(const uint8_t *cert, size_t len, fw_pkgs *out, pc_err *e) PC_CHECK;
/* "a, b, c" (cut to fit n). */
void fw_pkgs_text(const fw_pkgs *p, const char *sep, char *out, size_t n);
bool fw_pkgs_has(const fw_pkgs *p, const char *name);

/* A DER blob with a name for messages (a file name). */
typedef struct fw_blob {
	const uint8_t *der;
	size_t len;
	const char *name;
} fw_blob;

typedef struct fw_check_opts {
	const fw_blob *trust; size_t ntrust;   /* trusted CA certificates */
	const fw_blob *crls; size_t ncrls;     /* CRLs (any CA's; unrelated ones ignored) */
	const char *min_version;               /* NULL: no rollback check */
	const char *target;                    /* NULL: no target check */
	time_t now;                            /* 0: time(NULL) */
} fw_check_opts;

/* What a verified signature says. */
typedef struct fw_result {
	char signer_serial[2 * 21 + 1];        /* hex (21 octets with a sign octet) */
	char signer_cn[128];                   /* subject CN, "" if none */
	char anchor_cn[128];
	size_t chain_len;                      /* certificates from signer to anchor */
} fw_result;

/* Check a parsed signature against the image digest (`digest`, computed
 * with c->hash): digest, signature over the signed attributes with the
 * signer's key, chain to one of o->trust (each certificate's signature,
 * validity at o->now, CA flag, keyCertSign, path length; the signer's
 * codeSigning EKU and digitalSignature key usage, and the signature's
 * package among those of the signer's package list, which it must
 * have), revocation of every certificate below the anchor in the CRLs
 * whose issuer is in the chain
 * (each such CRL's signature checked with its issuer's key; an out-of-date
 * CRL is refused), the minimum version, the target.
 * Refusals: PC_E_SIGNATURE (digest, signature, chain), PC_E_REVOKED,
 * PC_E_REPLAY (version lower than the minimum), PC_E_POLICY (target; a
 * package the signer is not registered for, or a signer without a list),
 * PC_E_EXPIRED (a certificate or CRL out of its dates), PC_E_INPUT
 * (malformed certificate or CRL).  The message says why. */
pc_rc fw_cms_check(const fw_cms *c, const uint8_t *digest, size_t digest_len,
    const fw_check_opts *o, fw_result *res, pc_err *e) PC_CHECK;

/* The whole verification of IMAGE against SIG (bytes): parse, stream-hash
 * the image, check.  Messages name the image and the signature file. */
pc_rc fw_verify_image(const char *image_path, const uint8_t *sig, size_t sig_len,
    const char *sig_name, const fw_check_opts *o, fw_cms *cms, fw_result *res,
    pc_err *e) PC_CHECK;

/* Read a file of certificates (PEM "CERTIFICATE" blocks, or one DER
 * certificate) / CRLs (PEM "X509 CRL" blocks, or one DER CRL), appending
 * blobs to *v (grown with realloc; n counts them).  The decoded DER is kept
 * in *store (a list the caller frees with fw_blobs_free). */
typedef struct fw_blobs {
	fw_blob *v;
	size_t n;
	uint8_t **mem;
	size_t nmem;
} fw_blobs;
pc_rc fw_blobs_load(fw_blobs *b, const char *path, bool crl, pc_err *e) PC_CHECK;
void fw_blobs_free(fw_blobs *b);

/* The verify commands of both programs (plantca firmware verify,
 * plantca-station verify-firmware): the image at image_path against the
 * signature file sig_path, with these trusted certificates and CRLs, the
 * --min-version text (NULL: none; malformed: PC_E_USAGE "--min-version:
 * ...") and the --target OID (NULL: none).  Errors as fw_verify_image. */
pc_rc fw_verify_files(const char *image_path, const char *sig_path, const fw_blobs *trust,
    const fw_blobs *crls, const char *min_version, const char *target, fw_cms *cms,
    fw_result *res, pc_err *e) PC_CHECK;

#endif
