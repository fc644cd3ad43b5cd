/*
 * chain.h - certification path validation (RFC 5280 §6.1), one
 * implementation for the station (response bundles), the firmware
 * verifier and anyone else who must decide whether a certificate chains
 * to a trust anchor.
 *
 * pkix_chain_verify builds the path from the target up, issuer by issuer
 * (the issuer's subject equals the certificate's issuer, as DER, and the
 * issuer's key verifies its signature; where several candidates share a
 * name, the one whose key verifies is taken), preferring trust anchors,
 * up to PKIX_CHAIN_MAX certificates, and then checks, for every
 * certificate below the anchor:
 *   - the signature, with the issuer's key, under the one verifier;
 *   - validity at o->now (notBefore <= now <= notAfter; §6.1.3 (a)(2));
 *   - no unknown critical extension (§6.1.4 (o), §4.2);
 *   - every CA above it: basicConstraints cA, keyCertSign if keyUsage is
 *     present, pathLenConstraint (§6.1.4 (k), (l), (m), (n));
 *   - the name constraints of every CA above it (nc.h; §6.1.3 (b), (c)),
 *     self-issued intermediates excepted as §6.1.3 says;
 *   - revocation: a CRL among o->crls whose issuer is the certificate's
 *     issuer is checked (its signature by that issuer, who must have
 *     cRLSign if keyUsage is present; current at o->now: nextUpdate not
 *     passed) and the certificate must not be on it; with o->require_crls
 *     a missing CRL is a refusal too.
 * The anchor itself is trusted as given (§6.1.1 (d)): its validity is
 * checked, its own signature is not.  Policies are not processed: plantca
 * issues none, and a critical policy extension other than
 * certificatePolicies refuses the chain.
 *
 * Refusals: PC_E_SIGNATURE (no path, a bad signature, a rule above),
 * PC_E_EXPIRED (a certificate or CRL outside its dates), PC_E_REVOKED,
 * PC_E_POLICY (name constraints), each naming the certificate.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_CHAIN_H
#define PLANTCA_PKIX_CHAIN_H

#include <time.h>

#include "cert.h"
#include "crl.h"

enum { PKIX_CHAIN_MAX = 8 };     /* certificates from the target to the anchor */

/* Signatures already verified, so that a batch of targets under the same
 * CAs checks each CA certificate and CRL signature once, not once per
 * target.  An entry is the signed bytes, the signature, its algorithm and
 * the issuer's key, compared by content, so a hit is exactly a repeat of
 * a check that passed; only passes are kept.  While `frozen` is false a
 * pkix_chain_verify records what it verifies (one thread only); once
 * frozen it is only read, and may be shared by threads.  The entries
 * point into the certificates and CRLs verified: the memo must not
 * outlive them.  Full: nothing more is recorded. */
enum { PKIX_CHAIN_MEMO_MAX = 64 };

typedef struct pkix_chain_memo {
	struct pkix_memo_entry {
		const uint8_t *tbs, *sig, *spki;
		size_t tbs_len, sig_len, spki_len;
		const void *sigalg;
	} v[PKIX_CHAIN_MEMO_MAX];
	size_t n;
	bool frozen;
} pkix_chain_memo;

typedef struct pkix_chain_opts {
	const pkix_cert *anchors; size_t nanchors;   /* trusted certificates */
	const pkix_cert *pool; size_t npool;         /* untrusted certificates to build with */
	const pkix_crl *crls; size_t ncrls;          /* any CAs' CRLs; others are ignored */
	time_t now;
	bool require_crls;          /* every certificate below the anchor needs its CRL */
	bool skip_target_dates;     /* the target's own validity is not judged (only the
	                             * CAs' and CRLs'), for a receiver whose clock may be
	                             * behind the issuer's */
	unsigned nc_flags;          /* PKIX_NC_* for the target (e.g. CN as DNS for servers) */
	const char *role;           /* "device certificate", "signer", ... for messages */
	pkix_chain_memo *memo;      /* NULL: every signature is checked every time */
} pkix_chain_opts;

typedef struct pkix_chain {
	const pkix_cert *path[PKIX_CHAIN_MAX];       /* target first, anchor last */
	size_t n;
} pkix_chain;

pc_rc pkix_chain_verify(const pkix_cert *target, const pkix_chain_opts *o, pkix_chain *out,
    pc_err *e) PC_CHECK;

/* Is `crl` issued by `issuer` and signed by its key (cRLSign allowed)?
 * PC_E_SIGNATURE otherwise; PC_E_EXPIRED when it is out of date at now
 * (now 0: not checked).  For callers that pick CRLs to install; memo as
 * in pkix_chain_opts (NULL: none). */
pc_rc pkix_crl_verify(const pkix_crl *crl, const pkix_cert *issuer, time_t now,
    pkix_chain_memo *memo, const char *what, pc_err *e) PC_CHECK;

#endif
