/*
 * verify.h - public keys, signature algorithms and the one software
 * signature verifier of plantca.
 *
 * Every signature plantca checks in software goes through pkix_verify():
 * CSR self-signatures (proof of possession), certificate and CRL
 * signatures in chain validation, CMS signer signatures, and the HSM's own
 * signatures, which hsm/ re-verifies before anything is stored.  Which
 * algorithms are accepted with which keys and hashes is decided in one
 * table (verify.c, pkix_sigalgs), printed in docs/architecture.md:
 *
 *   ecdsa-with-SHA256/384/512   EC P-256 or P-384 key (the hash is not tied
 *                               to the curve: devices sign P-384 CSRs with
 *                               SHA-256), parameters absent (RFC 5758 §3.2)
 *   sha256/384/512WithRSAEncryption  RSA key of 2048..8192 bits, PKCS#1
 *                               v1.5, parameters NULL or absent (RFC 4055
 *                               §5), DigestInfo compared whole (RFC 8017
 *                               §8.2.2: encode and compare, never parse)
 *   Ed25519                     Ed25519 key, parameters absent (RFC 8410 §3)
 *
 * Nothing else: no SHA-1, no MD5, no RSA-PSS, no DSA.  The arithmetic is
 * OpenSSL libcrypto's (ECDSA, RSA; keys handed over as their parts, never
 * as DER for it to parse) and libsodium's (Ed25519); see
 * docs/architecture.md for the measurements behind that choice.
 *
 * Encodings are strict: an ECDSA signature must be a DER Ecdsa-Sig-Value
 * with minimal, positive INTEGERs no longer than the group order, an RSA
 * signature exactly as long as the modulus, an Ed25519 signature 64 bytes;
 * an EC point uncompressed and on its curve.  The behaviour is held to
 * Project Wycheproof's vectors (tests/unit/pkix/test_verify.c).
 *
 * Lifetime: a pkix_pubkey points into the SPKI bytes it was parsed from,
 * which the caller keeps alive; it owns nothing.
 */
#ifndef PLANTCA_PKIX_VERIFY_H
#define PLANTCA_PKIX_VERIFY_H

#include "buf.h"
#include "hash.h"
#include "oid.h"

enum {
	PKIX_RSA_MIN_BITS = 2048,       /* weaker keys are refused everywhere */
	PKIX_RSA_MAX_BITS = 8192,       /* bounds the cost of one verification */
	PKIX_EC_POINT_MAX = 97,         /* 04 || X || Y for P-384 */
	PKIX_RSA_E_MIN = 3,             /* RSA public exponent: odd, >= 3 ... */
	PKIX_RSA_E_MAX_BYTES = 4,       /* ... and < 2^32 (see pkix_pubkey_parse) */
};

typedef enum pkix_keytype {
	PKIX_KEY_EC_P256 = 1,
	PKIX_KEY_EC_P384,
	PKIX_KEY_RSA,
	PKIX_KEY_ED25519,
} pkix_keytype;

/* A parsed SubjectPublicKeyInfo (RFC 5280 §4.1.2.7). */
typedef struct pkix_pubkey {
	pkix_keytype type;
	unsigned bits;                  /* RSA modulus bits; 256/384 for EC, 256 Ed25519 */
	const uint8_t *key; size_t key_len;   /* EC: 04||X||Y; Ed25519: 32 bytes */
	const uint8_t *n; size_t n_len;       /* RSA modulus, minimal magnitude */
	const uint8_t *e; size_t e_len;       /* RSA exponent, minimal magnitude */
	const uint8_t *spki; size_t spki_len; /* the whole SPKI TLV */
} pkix_pubkey;

/* Parse an SPKI strictly: id-ecPublicKey with a named curve (P-256, P-384;
 * explicit parameters refused, RFC 5480 §2.1.1) and an uncompressed point
 * on that curve; rsaEncryption with NULL parameters, a positive modulus of
 * PKIX_RSA_MIN_BITS..PKIX_RSA_MAX_BITS and an odd exponent 3 <= e < 2^32
 * (a larger one only costs verification time; RFC 8017 §3.1 allows it,
 * but no real key uses one); Ed25519 without parameters.  `what` names the
 * source in messages ("request 3 (b.tar/x.csr)"); a refusal is `code`
 * (PC_E_CSR for a request's key, PC_E_INPUT elsewhere) with the reason. */
pc_rc pkix_pubkey_parse(const uint8_t *spki, size_t len, const char *what, pc_rc code,
    pkix_pubkey *k, pc_err *e) PC_CHECK;
/* Only the type and size of a key pkix_pubkey_parse accepts. */
pc_rc pkix_spki_type(const uint8_t *spki, size_t len, const char *what, pc_rc code,
    pkix_keytype *type, unsigned *bits, pc_err *e) PC_CHECK;
/* The same for a key we only look at (a scan reports weak keys): any RSA
 * size up to PKIX_RSA_MAX_BITS and any exponent are accepted. */
pc_rc pkix_pubkey_parse_any(const uint8_t *spki, size_t len, const char *what,
    pkix_pubkey *k, pc_err *e) PC_CHECK;
/* "ec-p256", "ec-p384", "rsa-3072", "ed25519" into buf (n bytes). */
const char *pkix_keytype_name(pkix_keytype t, unsigned bits, char *buf, size_t n);

/* One row of the algorithm table. */
typedef struct pkix_sigalg {
	pkix_oid oid;
	const char *name;               /* "ecdsa-with-SHA256" */
	pkix_keytype key;               /* PKIX_KEY_EC_P256 stands for any EC key here */
	pkix_hash hash;
	bool params_null;               /* written with NULL parameters (RSA) */
} pkix_sigalg;

/* Read one AlgorithmIdentifier TLV (whole, tag included) naming a
 * signature algorithm of the table; parameters as the table says.
 * PC_E_INPUT "WHAT: signature algorithm X is not accepted (...)". */
pc_rc pkix_sigalg_read(const uint8_t *der, size_t len, const char *what,
    const pkix_sigalg **out, pc_err *e) PC_CHECK;
/* The algorithm plantca signs with for a key type: ECDSA with SHA-256 for
 * P-256, SHA-384 for P-384 (the hash matched to the curve, RFC 5480 §4),
 * SHA-256 with RSA, Ed25519. */
const pkix_sigalg *pkix_sigalg_for_key(pkix_keytype t);
/* Its DER AlgorithmIdentifier (static bytes). */
const uint8_t *pkix_sigalg_der(const pkix_sigalg *a, size_t *len);
/* May a key of type t make signatures of algorithm a? */
bool pkix_sigalg_fits(const pkix_sigalg *a, pkix_keytype t);

/* A key made ready for verifying many signatures (the HSM's signatures
 * of one CA key, a chain's issuer): owns a libcrypto object, freed with
 * pkix_verifier_free.  Creating it checks that an EC point is on its curve
 * (PC_E_INPUT otherwise).  k's bytes must outlive it.  Thread-safe: one
 * verifier may verify in several threads at once. */
typedef struct pkix_verifier pkix_verifier;
pc_rc pkix_verifier_new(const pkix_pubkey *k, const char *what, pkix_verifier **out,
    pc_err *e) PC_CHECK;
void pkix_verifier_free(pkix_verifier *v);
pc_rc pkix_verifier_verify(const pkix_verifier *v, const pkix_sigalg *a, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t sig_len, const char *what, pc_err *e) PC_CHECK;
pc_rc pkix_verifier_digest(const pkix_verifier *v, const pkix_sigalg *a, const uint8_t *digest,
    size_t dlen, const uint8_t *sig, size_t sig_len, const char *what, pc_err *e) PC_CHECK;

/* Verify `sig` over `msg` with key k under algorithm a (the message is
 * hashed here with a's hash; Ed25519 signs the message itself).
 * PC_OK, or PC_E_SIGNATURE "WHAT: signature does not verify (REASON)";
 * PC_E_INPUT when the key does not fit the algorithm. */
pc_rc pkix_verify(const pkix_pubkey *k, const pkix_sigalg *a, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t sig_len, const char *what, pc_err *e) PC_CHECK;
/* The same over a digest already computed with a's hash (CMS signed
 * attributes are hashed by the caller; not for Ed25519). */
pc_rc pkix_verify_digest(const pkix_pubkey *k, const pkix_sigalg *a, const uint8_t *digest,
    size_t dlen, const uint8_t *sig, size_t sig_len, const char *what, pc_err *e) PC_CHECK;

#endif
