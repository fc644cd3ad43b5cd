/*
 * lint.h - the pre-issuance check (ca/lint.c): an independent parse of the
 * TBSCertificate about to be signed.  Includes ca.h for the engine's limits
 * the check allows for (CA_SKEW_SECONDS).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_LINT_H
#define PLANTCA_LINT_H

#include "ca.h"

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

#endif
