/*
 * profile.h - the built-in starter set of certificate profiles.
 *
 * A profile decides every extension of a leaf certificate: key usage (by
 * subject key type), extended key usage, which SAN types are allowed and
 * required, and validity.  The full policy engine (policy/) will replace
 * this table with the officer's policy file.
 */
#ifndef PLANTCA_PROFILE_H
#define PLANTCA_PROFILE_H

#include "x509.h"

typedef struct ca_profile {
	const char *name;
	const char *summary;
	unsigned ku_ec;          /* KU for EC and Ed25519 subject keys */
	unsigned ku_rsa;         /* KU for RSA subject keys */
	const char *const *eku;  /* dotted OIDs, NULL-terminated */
	unsigned san_allowed;    /* bit (1 << x509_gn_type) */
	unsigned san_required;   /* at least one SAN of one of these types */
	unsigned days;
} ca_profile;

/* NULL if unknown. */
const ca_profile *ca_profile_find(const char *name);
/* NULL-terminated list of the built-in profiles. */
const ca_profile *const *ca_profile_all(void);

/* Check a parsed CSR against a profile and fill in KU/EKU/SAN/validity of
 * the TBS parameters.  PC_E_POLICY with every violated rule named. */
pc_rc ca_profile_apply(const ca_profile *p, const x509_csr *csr, const char *what,
    x509_tbs_params *t, pc_err *e) PC_CHECK;

#endif
