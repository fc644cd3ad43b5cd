/*
 * build.h - writing X.509: the TBSCertificate plantca signs, the signed
 * certificate around it, serial numbers and key identifiers.
 *
 * We build every TBSCertificate ourselves (common/der.h) rather than
 * through a library's template: RFC 5280 wants basicConstraints critical
 * in CA certificates, which wolfSSL 5.5.4 cannot emit, and the issuance
 * intent must hold the exact to-be-signed bytes before the HSM signs them.
 * What is written is read back by the independent reader (cert.h) in the
 * pre-issuance check before anything is signed.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_BUILD_H
#define PLANTCA_PKIX_BUILD_H

#include <time.h>

#include "buf.h"
#include "cert.h"
#include "name.h"

/* What goes into a certificate. */
typedef struct pkix_tbs_params {
	uint8_t serial[PKIX_SERIAL_LEN];
	const uint8_t *sigalg; size_t sigalg_len;         /* issuer's */
	const uint8_t *issuer; size_t issuer_len;         /* issuer subject DER */
	const uint8_t *issuer_keyid;                      /* NULL: self-signed */
	time_t not_before, not_after;
	const uint8_t *subject; size_t subject_len;
	const uint8_t *spki; size_t spki_len;
	bool is_ca;
	int path_len;                /* <0: absent */
	unsigned key_usage;          /* PKIX_KU_* bits */
	const char *const *eku;      /* dotted OIDs, NULL-terminated, or NULL */
	const pkix_gn *san; size_t nsan;
	const pkix_gn *permit; size_t npermit;   /* name constraints (CA only) */
	/* further extensions, each a whole DER Extension SEQUENCE, appended
	 * as given (the firmware signer's package list); NULL: none */
	const uint8_t *extra_ext; size_t extra_ext_len;
} pkix_tbs_params;


/* Fresh serial: 20 bytes from libsodium's CSPRNG, top bit cleared (positive)
 * and second-highest set (so the encoding is exactly 20 octets): 158 random
 * bits, above CA/B BR §7.1's 64 and the 128 we promise. */
void pkix_serial_new(uint8_t serial[PKIX_SERIAL_LEN]);
/* RFC 7093 §2 method 1 key identifier: leftmost 160 bits of SHA-256 over the
 * subjectPublicKey BIT STRING value. */
pc_rc pkix_keyid(const uint8_t *spki, size_t len, uint8_t id[PKIX_KEYID_LEN]) PC_CHECK;

/* The SubjectPublicKeyInfo of an Ed25519 key (RFC 8410 §4): what plantca
 * and the station fingerprint as "transfer SPKI SHA-256", and what the
 * firmware signers' certificates carry. */
enum { PKIX_ED25519_PK_LEN = 32, PKIX_ED25519_SPKI_LEN = 12 + PKIX_ED25519_PK_LEN };
void pkix_ed25519_spki(const uint8_t pk[PKIX_ED25519_PK_LEN], uint8_t out[PKIX_ED25519_SPKI_LEN]);
/* The raw key inside an Ed25519 SPKI, NULL when spki is not exactly that. */
const uint8_t *pkix_ed25519_raw(const uint8_t *spki, size_t len);

/* Build a DER TBSCertificate into out. */
pc_rc pkix_tbs_build(const pkix_tbs_params *p, pc_buf *out, pc_err *e) PC_CHECK;
/* Certificate ::= SEQUENCE { tbs, sigalg, BIT STRING sig } */
pc_rc pkix_cert_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t *sig, size_t sig_len, pc_buf *out) PC_CHECK;

#endif
