/*
 * leaf.h - from a CSR to the TBS a leaf certificate would have (ca/leaf.c):
 * CSR parse and proof of possession, the policy's decision, the TBS as the
 * issuer would sign it, the pre-issuance check.  Needs no HSM: direct
 * issue, import and sign all judge a CSR here, so import refuses exactly
 * what sign would refuse.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_LEAF_H
#define PLANTCA_LEAF_H

#include "pipeline.h"
#include "policy.h"
#include "records.h"

/* Fill the issuer's part of a TBS (serial, signature algorithm `sigalg`
 * (DER AlgorithmIdentifier, borrowed: it must outlive p), issuer,
 * validity capped at the issuer's notAfter). */
void ca_tbs_issued_by(pkix_tbs_params *p, const ca_rec *issuer, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t ikid[PKIX_KEYID_LEN], unsigned days, time_t now);

/* Check one CSR (bytes from `source`) against the policy's `profile` (and
 * `segment` and `station` when it came in a bundle; NULL for a direct
 * issue), build its TBS as a leaf of `issuer` whose signatures carry
 * `sigalg` (hsm_key_sigalg of the key that will sign; import, which has no
 * token, passes hsm_alg_sigalg of the CA record's algorithm), and run the
 * pre-issuance check on it with the issuer's certificate (so its name
 * constraints hold).  `what` prefixes refusals (the file name, or
 * "request 17 (bundle.tar/x.csr)"); NULL: `source`.  Fills j (ca_job_free
 * it; it points into pol, source and sigalg). */
pc_rc ca_prepare_leaf(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const uint8_t *csr, size_t csr_len, const char *source, const char *what,
    const char *segment, const char *station, unsigned days, ca_job *j, pc_err *e) PC_CHECK;
/* The same for a CSR the caller has parsed (pkix_csr_parse) and frees. */
pc_rc ca_prepare_leaf_parsed(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const pkix_csr *csr, const char *source, const char *what, const char *segment,
    const char *station, unsigned days, ca_job *j, pc_err *e) PC_CHECK;

/* Everything `plantca sign` checks for queued request r before the HSM
 * signs, through ca_prepare_leaf with the request's own profile, CA,
 * segment and station.  Import calls it as sign does, so a request that
 * sign would refuse is rejected at import.  csr: r->csr already parsed by
 * the caller (import shows its subject), or NULL.  Fills j (ca_job_free
 * it; it points into pol, source and sigalg). */
pc_rc ca_request_prepare(const policy *pol, const ca_request *r, const pkix_csr *csr,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const char *source,
    const char *what, ca_job *j, pc_err *e) PC_CHECK;

/* A renewal (plantca renew): the certificate being renewed (DER, its
 * issuer's own) as the request a CSR would make for it: its subject, its
 * key, its SANs; nothing else is carried over (the profile decides every
 * extension again).  Proof of possession is the old certificate: the CA
 * issued it for this key after checking the key holder's CSR, and it is
 * valid and unrevoked when renew queues the renewal. */
pc_rc ca_renewal_csr(const uint8_t *cert, size_t len, const char *what, pkix_csr *csr,
    pc_err *e) PC_CHECK;

#endif
