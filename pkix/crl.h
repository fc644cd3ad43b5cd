/*
 * crl.h - the one reader of certificate revocation lists (RFC 5280 §5).
 *
 * Strict DER: v2 (or v1 without extensions), the two signature algorithms
 * equal, thisUpdate and nextUpdate, revokedCertificates in order of the
 * encoding, CRL extensions known or refused when critical (delta and
 * partitioned CRLs, issuingDistributionPoint, are not supported and are
 * refused), entry extensions read for the reason code.  The whole list is
 * validated once by pkix_crl_parse; lookups then walk the entries again
 * (a CRL of a million entries is 50 MB: no index is built).
 *
 * Lifetime: a pkix_crl points into the DER it was parsed from.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_CRL_H
#define PLANTCA_PKIX_CRL_H

#include <time.h>

#include "cert.h"

enum {
	PKIX_CRL_MAX = 64 * 1024 * 1024,    /* largest CRL we read */
	PKIX_CRL_NUMBER_MAX = 20,           /* octets of a cRLNumber (§5.2.3) */
	PKIX_CRL_NAME_MAX = 160,            /* bytes of the name kept for messages */
};

typedef struct pkix_crl {
	char name[PKIX_CRL_NAME_MAX];       /* the `what` it was parsed as (a copy) */
	const uint8_t *der; size_t len;
	const uint8_t *tbs; size_t tbs_len;
	const uint8_t *sigalg_der; size_t sigalg_len;
	const pkix_sigalg *sigalg;          /* NULL if not one of ours */
	const uint8_t *sig; size_t sig_len;
	const uint8_t *issuer; size_t issuer_len;   /* Name TLV */
	time_t this_update, next_update;    /* next_update 0: absent */
	const uint8_t *number; size_t number_len;   /* cRLNumber magnitude, NULL if absent */
	const uint8_t *aki; size_t aki_len;         /* authorityKeyIdentifier keyIdentifier */
	pc_reader entries;                  /* revokedCertificates content */
	size_t nentries;
} pkix_crl;

/* Parse a DER CRL; `what` names it in messages.  PC_E_INPUT / PC_E_LIMIT. */
pc_rc pkix_crl_parse(const uint8_t *der, size_t len, const char *what, pkix_crl *c,
    pc_err *e) PC_CHECK;

/* Is the certificate with this serial (INTEGER content as encoded) on the
 * list?  *reason gets the CRLReason (0 when the entry has none), *when
 * the revocation date. */
bool pkix_crl_lookup(const pkix_crl *c, const uint8_t *serial, size_t serial_len,
    unsigned *reason, time_t *when);

/* CRLReason names (RFC 5280 §5.3.1): "keyCompromise", ...; "reason N"
 * for values outside the list.  The one table of them. */
const char *pkix_reason_name(unsigned reason);
/* The reasons plantca writes: every RFC 5280 reason but certificateHold
 * and removeFromCRL (plantca never suspends: a revocation is final) and
 * aACompromise (it issues no attribute certificates). */
bool pkix_reason_issued(unsigned reason);
/* The value of a name, or -1. */
int pkix_reason_parse(const char *name);

#endif
