/*
 * csr.h - the one reader of PKCS#10 certification requests (RFC 2986).
 *
 * Strict DER through the bounded reader: v1, a subject under the name
 * rules (name.h), a public key the verifier accepts (verify.h), the
 * requested extensions read only for their subjectAltName (the profile
 * decides every extension of a certificate; nothing is copied), an unknown
 * critical requested extension refused by OID, and the self-signature
 * checked with the one verifier.
 */
#ifndef PLANTCA_PKIX_CSR_H
#define PLANTCA_PKIX_CSR_H

#include "buf.h"
#include "name.h"
#include "verify.h"

enum { PKIX_CSR_MAX = 64 * 1024 };   /* largest CSR file we read */

/* A parsed, proof-of-possession-checked PKCS#10 request.  Pointers point into
 * `der`, which the struct owns (pkix_csr_free releases it). */
typedef struct pkix_csr {
	uint8_t *der;
	size_t der_len;
	const uint8_t *subject;     /* DER Name */
	size_t subject_len;
	const uint8_t *spki;        /* DER SubjectPublicKeyInfo */
	size_t spki_len;
	pkix_keytype keytype;
	unsigned bits;
	const pkix_sigalg *sigalg;  /* what the request is signed with */
	pkix_gn san[PKIX_SAN_MAX];  /* requested SANs (rebuilt, never copied) */
	size_t nsan;
} pkix_csr;

/* Parse a CSR file's bytes (PEM "CERTIFICATE REQUEST"/"NEW CERTIFICATE
 * REQUEST", or DER) and check its self-signature with pkix_verify (proof
 * of possession, RFC 2986 §3).  A critical requested extension other than SAN,
 * basicConstraints, keyUsage, extendedKeyUsage and subjectKeyIdentifier is
 * refused by OID before the self-signature is checked.  Errors are
 * PC_E_CSR with messages naming `what`. */
pc_rc pkix_csr_parse(const uint8_t *buf, size_t len, const char *what,
    pkix_csr *out, pc_err *e) PC_CHECK;
/* The same without the self-signature check, for bytes whose self-signature
 * this program verified already and that came back from its own store
 * unchanged (the caller compares them with the SHA-256 recorded then):
 * plantca sign, after import checked every CSR (docs/architecture.md "A
 * CSR is checked where it enters").  Every structural check still runs. */
pc_rc pkix_csr_parse_verified(const uint8_t *buf, size_t len, const char *what,
    pkix_csr *out, pc_err *e) PC_CHECK;
void pkix_csr_free(pkix_csr *c);

/* What plantca-station request checks in a CSR before it bundles it: only
 * the shape of a v1 CertificationRequest (RFC 2986 §4: the request,
 * certificationRequestInfo with version 0, subject, subjectPKInfo and
 * attributes, signatureAlgorithm, a signature BIT STRING without unused
 * bits) and, when its algorithm and key are ones the verifier reads and
 * they fit, the self-signature with pkix_verify.  Names, keys, algorithms
 * and extensions are the CA's to judge (pkix_csr_parse at import), so a key
 * or algorithm this cannot read is PKIX_CSR_SHAPE_OK.  der is the DER (the
 * caller decodes PEM). */
typedef enum {
	PKIX_CSR_SHAPE_OK,        /* the shape holds; the signature verifies or was not judged */
	PKIX_CSR_NOT_A_REQUEST,   /* not a DER v1 CertificationRequest */
	PKIX_CSR_POP_FAILED,      /* the self-signature was checked and does not verify */
} pkix_csr_shape;
pkix_csr_shape pkix_csr_check_shape(const uint8_t *der, size_t len);

/* Sign msg[0..len) with the private key of the request; the signature's
 * bytes (the BIT STRING value, without the unused-bits byte) are appended
 * to sig. */
typedef pc_rc (*pkix_csr_sign_fn)(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig,
    pc_err *e);

/* Build a PKCS#10 request (RFC 2986 §4): version 0, the subject (a Name
 * TLV), the key (an SPKI TLV), no attributes, signed by sign with alg
 * (which must fit the key).  The DER is appended to out only after it was
 * read back by pkix_csr_parse, self-signature included: what we hand to
 * a CA is what the CA's reader accepts. */
pc_rc pkix_csr_build(const uint8_t *subject, size_t subject_len, const uint8_t *spki,
    size_t spki_len, const pkix_sigalg *alg, pkix_csr_sign_fn sign, void *ctx, pc_buf *out,
    pc_err *e) PC_CHECK;

#endif
