/*
 * crl.h - revocation and CRLs (RFC 5280 §5): the verbs main.c calls
 * (ca/revoke.c, ca/crl.c; their records and the reason names: records.h).
 *
 * Revocation writes one record per serial into STORE_REVOCATIONS (key: the
 * 20-byte serial; value: reason, time, name of the issuing CA) together with
 * one audit event, in one transaction; many serials at once are all-or-
 * nothing.  Nothing is signed and no PIN is needed: a revocation takes
 * effect for relying parties when the next CRL is published.
 *
 * A CRL is a v2 CertificateList built by our DER writer and signed by the
 * CA's HSM key; the signature is checked in software (hsm_sign) and again
 * against the CA certificate's public key before the CRL is stored or
 * written.  STORE_CRLS holds, per CA, the current CRL and its number; the
 * number and the CRL are committed in the same transaction, and a CRL is
 * written out only after that commit, so a number is never published twice.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_CRL_H
#define PLANTCA_CRL_H

#include "ca.h"

enum {
	CA_CRL_DAYS_CA = 7,          /* default nextUpdate interval, issuing CAs */
	CA_CRL_DAYS_ROOT = 180,      /* default nextUpdate interval, the root */
	CA_CRL_DAYS_MAX = 3650,
	CA_REVOKE_FILE_MAX = 64 * 1024 * 1024,   /* --from-file size cap */
	CA_REVOKE_LINE_MAX = 128,                /* one serial line */
	CA_CRL_OVERRIDE_REASON_MAX = 256,        /* --clock-override --reason TEXT */
};

/* Revoke one serial (hex, colons allowed) or, with from_file, every serial
 * listed in the file (one per line; blank lines and '#' comments skipped).
 * reason: an RFC 5280 §5.3.1 name, "unspecified" for none.  Errors
 * (nothing revoked on any): PC_E_USAGE (bad reason or serial text),
 * PC_E_NOTFOUND (unknown serial), PC_E_STATE (already revoked, expired),
 * PC_E_LIMIT (file too large or line too long), PC_E_STORE. */
/* Revoke one certificate inside the caller's write transaction (its
 * revocation record and audit event): what `plantca revoke` does for each
 * serial, and import for a device's own rr (docs/cmp.md).  PC_E_STATE if
 * it is revoked or expired already, PC_E_NOTFOUND if there is none. */
pc_rc ca_revoke_serial(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN], unsigned reason,
    time_t now, pc_buf *scratch, pc_err *e) PC_CHECK;
pc_rc ca_revoke(ca_ctx *c, const char *serial_text, const char *from_file,
    const char *reason, pc_err *e) PC_CHECK;

typedef struct ca_crl_opts {
	const char *ca;            /* NULL: every CA, into HOME/crl/NAME.crl */
	const char *out_file;      /* NULL: stdout (only with ca) */
	bool der;                  /* DER instead of PEM */
	unsigned next_update_days; /* 0: the CA's stored cadence; else store it */
	/* The officer's way out when the last CRL was signed with the clock
	 * ahead (its thisUpdate is in the future, so every later run would be
	 * refused until then): sign anyway with the clock as it is now.  Needs
	 * ca and a reason; recorded in the audit trail with both times. */
	bool clock_override;
	const char *override_reason;
} ca_crl_opts;

/* Sign and publish new CRLs.  Errors: PC_E_NOTFOUND (no such CA),
 * PC_E_STATE (clock earlier than the last thisUpdate of that CA, unless
 * clock_override; with clock_override, a clock that is not earlier),
 * PC_E_USAGE (clock_override without ca or reason), HSM errors,
 * PC_E_HSM_BADSIG / PC_E_SIGNATURE (signature did not verify: nothing
 * stored or written), PC_E_IO.  CRL numbers increase in every case. */
pc_rc ca_crl(ca_ctx *c, const ca_crl_opts *o, pc_err *e) PC_CHECK;

#endif
