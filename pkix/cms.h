/*
 * cms.h - the two CMS shapes plantca reads and writes (RFC 5652),
 * read strictly and written in DER.  docs/architecture.md "Layers".
 *
 * 1. Certs-only ("degenerate") SignedData, §5.1: the trust.p7b of a
 *    response bundle, what `openssl crl2pkcs7 -nocrl` writes and OT
 *    devices import as "the CAs to trust":
 *
 *      ContentInfo { id-signedData, [0] EXPLICIT SignedData {
 *        version 1, digestAlgorithms {} (empty), encapContentInfo { id-data }
 *        (no content), certificates [0] IMPLICIT { Certificate... } (at
 *        least one, each a SEQUENCE, no two alike), no crls, signerInfos {} } }
 *
 *    Nothing else is accepted: signer infos, CRLs or attribute
 *    certificates cannot be smuggled into a trust list.  The reader looks
 *    at the shape alone; each certificate is the caller's to parse and
 *    check.  A parsed p7b re-encodes with pkix_p7b_build to exactly the
 *    bytes it was parsed from.
 *
 * 2. Detached SignedData with exactly one signer (§5.1-§5.4):
 *
 *      ContentInfo { id-signedData, [0] SignedData {
 *        version 1, digestAlgorithms { one of sha256 | sha384 | sha512 },
 *        encapContentInfo { id-data }             -- detached: no eContent
 *        certificates [0] { at least one }, no crls,
 *        signerInfos { exactly one SignerInfo {
 *          version 1, sid issuerAndSerialNumber, digestAlgorithm (the same),
 *          signedAttrs [0] { contentType id-data, messageDigest,
 *            signingTime, and the caller's attributes },
 *          signatureAlgorithm, signature, [unsignedAttrs, ignored] } } } }
 *
 *    The signature covers the DER of the signed attributes under the
 *    explicit SET OF tag, not the [0] they travel under (§5.4).  Each
 *    attribute has exactly one value and appears once; contentType and
 *    messageDigest are required (§5.3), and so is signingTime here.
 *    Attributes other than those three go to the caller's callback, which
 *    refuses what it does not know: the firmware layer (transfer/fwverify)
 *    adds RFC 4108's package identifier and target hardware.
 *
 * All readers borrow the input: every pointer handed back points into it.
 */
#ifndef PLANTCA_PKIX_CMS_H
#define PLANTCA_PKIX_CMS_H

#include <time.h>

#include "buf.h"
#include "der.h"
#include "cert.h"
#include "hash.h"

enum {
	PKIX_P7B_CERTS_MAX = 64,   /* certificates in one trust.p7b */
	PKIX_CMS_CERTS_MAX = 8,    /* certificates in one signature */
};

/* ---- 1. certs-only */

typedef struct pkix_p7b {
	const uint8_t *cert[PKIX_P7B_CERTS_MAX];   /* whole Certificate TLVs, into the input */
	size_t cert_len[PKIX_P7B_CERTS_MAX];
	size_t ncerts;                             /* 1..PKIX_P7B_CERTS_MAX */
} pkix_p7b;

/* Parse der[0..len) strictly.  On a refusal *out is all zero.  PC_E_INPUT
 * (the shape) or PC_E_LIMIT (more than PKIX_P7B_CERTS_MAX certificates),
 * with the message "WHAT: not a certs-only PKCS#7 (RFC 5652 §5.1): REASON"
 * (PC_E_LIMIT: "WHAT: more than 64 certificates"). */
pc_rc pkix_p7b_parse(const uint8_t *der, size_t len, const char *what, pkix_p7b *out,
    pc_err *e) PC_CHECK;
/* Append the certs-only SignedData of n certificates (DER TLVs, in this
 * order) to out.  PC_E_NOMEM only. */
pc_rc pkix_p7b_build(const uint8_t *const *certs, const size_t *lens, size_t n, pc_buf *out,
    pc_err *e) PC_CHECK;

/* ---- 2. one-signer detached SignedData */

typedef struct pkix_cms {
	pkix_hash hash;                                     /* digestAlgorithm */
	const uint8_t *certs[PKIX_CMS_CERTS_MAX];           /* whole TLVs */
	size_t cert_len[PKIX_CMS_CERTS_MAX];
	size_t ncerts;
	const uint8_t *sid_issuer; size_t sid_issuer_len;   /* whole Name TLV */
	const uint8_t *sid_serial; size_t sid_serial_len;   /* INTEGER content */
	const uint8_t *attrs; size_t attrs_len;             /* signedAttrs [0] content */
	const uint8_t *sigalg; size_t sigalg_len;           /* whole AlgorithmIdentifier */
	const uint8_t *sig; size_t sig_len;
	const uint8_t *digest; size_t digest_len;           /* messageDigest, hash's length */
	time_t signing_time;
} pkix_cms;

/* One signed attribute beyond the three of RFC 5652: `oid` its type's
 * content, `value` its single value (a reader over the whole value TLV).
 * Return PC_OK to accept, or refuse with the reason; an attribute the
 * callback does not know should be refused (nothing unread is signed). */
typedef pc_rc (*pkix_cms_attr_fn)(void *ctx, pc_reader oid, pc_reader value, pc_err *e);

/* Parse der[0..len) as shape 2.  No cryptography.  Refusals: PC_E_INPUT
 * "malformed signature: REASON", PC_E_LIMIT (more than PKIX_CMS_CERTS_MAX
 * certificates), or what the callback returned.  fn may be NULL: then any
 * other attribute is refused as unknown. */
pc_rc pkix_cms_parse(const uint8_t *der, size_t len, pkix_cms_attr_fn fn, void *ctx,
    pkix_cms *out, pc_err *e) PC_CHECK;

/* The certificate of certs[0..n) named by the signer identifier, or NULL. */
const pkix_cert *pkix_cms_signer(const pkix_cms *c, const pkix_cert *certs, size_t n);

/* Check the signature over the signed attributes with `signer`'s key (the
 * one verifier, pkix/verify.h); the signature algorithm must be in the
 * table, fit the key, and hash with the digest algorithm.  PC_E_SIGNATURE
 * "signature by LABEL: REASON".  Checks neither the content digest (the
 * caller hashes the content) nor the signer's certificate. */
pc_rc pkix_cms_verify(const pkix_cms *c, const pkix_cert *signer, pc_err *e) PC_CHECK;

/* ---- writing shape 2 */

/* A signed attribute to write: its type and its one value (DER TLV). */
typedef struct pkix_cms_attr {
	pkix_oid type;
	const uint8_t *value;
	size_t len;
} pkix_cms_attr;

enum { PKIX_CMS_ATTRS_MAX = 8 };   /* extra attributes one signature can carry */

/* The signed attributes: contentType id-data, messageDigest, signingTime
 * and `extra`, sorted as DER's SET OF wants (X.690 §11.6), concatenated
 * into *attrs (the SET's content).  *tbs gets the bytes to sign: the same
 * under the SET OF tag.  PC_E_NOMEM, PC_E_LIMIT (too many extras). */
pc_rc pkix_cms_attrs_build(const uint8_t *digest, size_t digest_len, time_t signing_time,
    const pkix_cms_attr *extra, size_t nextra, pc_buf *attrs, pc_buf *tbs, pc_err *e) PC_CHECK;

/* The whole signature: certs (signer first, then its CAs), the signer
 * identified by issuer and serial of `signer`, the attributes from
 * pkix_cms_attrs_build, and the signature made over its tbs.  *out must be
 * empty.  PC_E_NOMEM only. */
pc_rc pkix_cms_build(pkix_hash h, const uint8_t *const *certs, const size_t *cert_len,
    size_t ncerts, const pkix_cert *signer, const pc_buf *attrs, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t *sig, size_t sig_len, pc_buf *out, pc_err *e) PC_CHECK;

#endif
