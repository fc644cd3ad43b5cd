/*
 * lint.c - the pre-issuance check: the TBS DER that is about to be signed
 * (not the parameters it was built from) is read again by the PKIX layer's
 * reader (pkix_tbs_parse) and held to RFC 5280 and to what the policy
 * decided, and the issuer's name constraints are applied by the same code
 * that validates chains (pkix_nc_check).  A bug in pkix_tbs_build or a
 * decision that slipped through cannot reach the HSM: the request is
 * refused instead.  Every failed rule is listed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lint.h"
#include "fwverify.h"
#include "text.h"

enum { UTCTIME_LAST_YEAR = 2049 };

struct lint {
	char msg[PC_ERR_MSG_MAX];
	size_t off;
	unsigned n;
};

static void bad(struct lint *l, const char *fmt, ...) PC_PRINTF(2, 3);
static void bad(struct lint *l, const char *fmt, ...)
{
	va_list ap;
	int w;

	l->n++;
	if (l->off >= sizeof l->msg)
		return;
	if (l->n > 1) {
		w = snprintf(l->msg + l->off, sizeof l->msg - l->off, "; ");
		l->off += w > 0 ? (size_t)w : 0;
		if (l->off >= sizeof l->msg)
			return;
	}
	va_start(ap, fmt);
	w = vsnprintf(l->msg + l->off, sizeof l->msg - l->off, fmt, ap);
	va_end(ap);
	l->off += w > 0 ? (size_t)w : 0;
}

static const char *dotted(pc_reader oid, char *buf, size_t n)
{
	if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), buf, n))
		snprintf(buf, n, "(malformed)");
	return buf;
}

static bool eku_has(const pkix_cert *t, const char *oid)
{
	char d[PKIX_OID_TEXT_MAX];
	size_t i;

	for (i = 0; i < t->neku; i++)
		if (strcmp(dotted(t->eku_raw[i], d, sizeof d), oid) == 0)
			return true;
	return false;
}

static int year_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

/* §4.1.2.2 serial, §4.1.2.5 times, validity */
static void check_dates_serial(const pkix_cert *t, const ca_lint_expect *x, struct lint *l)
{
	size_t i;
	bool zero = true;

	for (i = 0; i < t->serial_len; i++)
		zero = zero && t->serial[i] == 0;
	if (t->serial_len == 0 || (t->serial[0] & 0x80) || zero)
		bad(l, "serial number is not positive (RFC 5280 §4.1.2.2)");
	if (t->serial_len > PKIX_SERIAL_LEN)
		bad(l, "serial number of %zu octets exceeds 20 (RFC 5280 §4.1.2.2)", t->serial_len);
	if ((year_of(t->not_before) <= UTCTIME_LAST_YEAR) != (t->nb_tag == DER_UTCTIME))
		bad(l, "notBefore (%d) encoded as %s (RFC 5280 §4.1.2.5)", year_of(t->not_before),
		    t->nb_tag == DER_UTCTIME ? "UTCTime" : "GeneralizedTime");
	if ((year_of(t->not_after) <= UTCTIME_LAST_YEAR) != (t->na_tag == DER_UTCTIME))
		bad(l, "notAfter (%d) encoded as %s (RFC 5280 §4.1.2.5)", year_of(t->not_after),
		    t->na_tag == DER_UTCTIME ? "UTCTime" : "GeneralizedTime");
	if (t->not_after <= t->not_before)
		bad(l, "notAfter is not after notBefore");
	if (x->max_days && t->not_after - t->not_before >
	    (time_t)x->max_days * PC_DAY + CA_SKEW_SECONDS)
		bad(l, "validity longer than the profile's %u days", x->max_days);
}

/* §4.2: extensions present, none twice, none unknown and critical;
 * §4.2.1.9 / §4.2.1.3: CA <=> keyCertSign */
static void check_extensions(const pkix_cert *t, const ca_lint_expect *x, struct lint *l)
{
	char d[PKIX_OID_TEXT_MAX];

	if (t->version != 3)
		bad(l, "version v%u is not v3 (RFC 5280 §4.1.2.1)", t->version);
	if (t->nexts == 0)
		bad(l, "no extensions");
	if (t->flags & PKIX_CERT_F_DUPLICATE_EXT)
		bad(l, "extension %s appears twice (RFC 5280 §4.2)", dotted(t->duplicate, d, sizeof d));
	if (t->flags & PKIX_CERT_F_UNKNOWN_CRITICAL)
		bad(l, "unknown critical extension %s", dotted(t->unknown_critical, d, sizeof d));
	if (!(t->flags & PKIX_CERT_F_KU))
		bad(l, "no keyUsage");
	if (x->is_ca && (!(t->flags & PKIX_CERT_F_BC) || !t->is_ca ||
	    !(t->flags & PKIX_CERT_F_BC_CRITICAL)))
		bad(l, "CA certificate without critical basicConstraints cA TRUE (RFC 5280 §4.2.1.9)");
	if (!x->is_ca && t->is_ca)
		bad(l, "basicConstraints cA TRUE in a leaf certificate");
	if (t->is_ca != ((t->ku & PKIX_KU_KEY_CERT_SIGN) != 0))
		bad(l, "basicConstraints cA is %s but keyCertSign is %s (RFC 5280 §4.2.1.3, §4.2.1.9)",
		    t->is_ca ? "TRUE" : "FALSE", t->ku & PKIX_KU_KEY_CERT_SIGN ? "set" : "not set");
	if (t->path_len >= 0 && !t->is_ca)
		bad(l, "pathLenConstraint without cA TRUE (RFC 5280 §4.2.1.9)");
	if (x->is_ca && !(t->flags & PKIX_CERT_F_SKI))
		bad(l, "CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2)");
}

/* the subject, its SAN and its key */
static void check_subject_key(const pkix_cert *t, struct lint *l)
{
	pc_err ke;
	pkix_keytype kt = 0;
	unsigned bits = 0;

	/* §4.1.2.4 and Appendix A: the subject's values obey the same rules
	 * as names typed by the officer and names in CSRs (pkix_name_check) */
	if (pkix_name_check(t->subject, t->subject_len, NULL, PC_E_POLICY, &ke) != PC_OK)
		bad(l, "%s", ke.msg);
	/* §4.2.1.6: an empty subject needs a critical SAN */
	if (t->subject_len <= 2) {
		if (!(t->flags & PKIX_CERT_F_SAN))
			bad(l, "empty subject and no subjectAltName (RFC 5280 §4.2.1.6)");
		else if (!(t->flags & PKIX_CERT_F_SAN_CRITICAL))
			bad(l, "empty subject but subjectAltName not critical (RFC 5280 §4.2.1.6)");
	}
	/* key usage fit for the key type: EC and Ed25519 keys do not encrypt
	 * (RFC 8813 §3, RFC 8410 §5); Ed25519 and RSA do not agree keys */
	if (pkix_spki_type(t->spki, t->spki_len, "subject key", PC_E_CSR, &kt, &bits, &ke) != PC_OK) {
		bad(l, "%s", ke.msg);
		return;
	}
	if (kt != PKIX_KEY_RSA && (t->ku & (PKIX_KU_KEY_ENCIPHERMENT | PKIX_KU_DATA_ENCIPHERMENT)))
		bad(l, "keyEncipherment/dataEncipherment with an %s key",
		    kt == PKIX_KEY_ED25519 ? "Ed25519" : "EC");
	if ((kt == PKIX_KEY_RSA || kt == PKIX_KEY_ED25519) && (t->ku & PKIX_KU_KEY_AGREEMENT))
		bad(l, "keyAgreement with an %s key", kt == PKIX_KEY_RSA ? "RSA" : "Ed25519");
}

/* what the policy decided, exactly; code signing only for a firmware
 * signer (made in the token by `firmware signer new`) with exactly its
 * package list, non-critical so that verifiers which do not know it still
 * accept the signer */
static void check_decision(const pkix_cert *t, const ca_lint_expect *x, struct lint *l)
{
	size_t i, n = 0;
	fw_pkgs pkgs;
	pc_err pe;
	bool pkgs_ok = false, has_pkgs = (t->flags & PKIX_CERT_F_FW_PACKAGES) != 0;

	if ((t->flags & PKIX_CERT_F_KU) && t->ku != x->key_usage)
		bad(l, "keyUsage 0x%x differs from the profile's 0x%x", t->ku, x->key_usage);
	for (i = 0; x->eku && x->eku[i]; i++) {
		n++;
		if (!eku_has(t, x->eku[i]))
			bad(l, "extKeyUsage lacks %s", x->eku[i]);
	}
	if (t->neku != n)
		bad(l, "extKeyUsage has %zu purposes, the profile %zu", t->neku, n);
	if (has_pkgs) {
		pkgs_ok = fw_pkgs_read(t->fw_packages, &pkgs, &pe) == PC_OK;
		if (!pkgs_ok)
			bad(l, "malformed firmware package list: %s", pe.msg);
	}
	if (x->fw_packages == NULL) {
		if (has_pkgs)
			bad(l, "a firmware package list in a certificate that is not a firmware signer");
		if (pkix_cert_has_eku(t, PKIX_OID_KP_CODE_SIGNING) || pkix_cert_has_eku(t, PKIX_OID_KP_ANY))
			bad(l, "extKeyUsage %s in a certificate that is not a firmware signer "
			    "(code-signing certificates are made only by plantca firmware signer new)",
			    pkix_cert_has_eku(t, PKIX_OID_KP_CODE_SIGNING) ? "codeSigning" : "anyExtendedKeyUsage");
	} else if (!has_pkgs) {
		bad(l, "firmware signer without its package list (%s)", FW_PKGS_OID_TEXT);
	} else if (pkgs_ok) {
		bool same = true;
		for (i = 0; x->fw_packages[i] != NULL && same; i++)
			same = i < pkgs.n && strcmp(x->fw_packages[i], pkgs.name[i]) == 0;
		if (!same || i != pkgs.n)
			bad(l, "firmware package list differs from the packages asked for");
		if (t->flags & PKIX_CERT_F_FW_PACKAGES_CRITICAL)
			bad(l, "firmware package list marked critical (verifiers that do not know it "
			    "would refuse the signer)");
	}
}

/* the issuer: names chain, validity nested, name constraints (the chain
 * validator's own code, pkix_nc_check) */
static void check_issuer(const pkix_cert *t, const uint8_t *issuer_cert, size_t issuer_len,
    struct lint *l)
{
	pkix_cert is;
	pc_err pe;

	if (pkix_cert_parse(issuer_cert, issuer_len, "issuer certificate", &is, &pe) != PC_OK) {
		bad(l, "issuer certificate unreadable: %s", pe.msg);
		return;
	}
	if (t->issuer_len != is.subject_len || memcmp(t->issuer, is.subject, is.subject_len) != 0)
		bad(l, "issuer name differs from the issuer's subject");
	if (t->not_after > is.not_after)
		bad(l, "notAfter beyond the issuer's");
	if (pkix_nc_check(&is, t, pkix_cert_has_eku(t, PKIX_OID_KP_SERVER_AUTH) ? PKIX_NC_CN_AS_DNS : 0, NULL,
	    PC_E_POLICY, &pe) != PC_OK)
		bad(l, "%s", pe.msg);
}

pc_rc ca_lint_tbs(const uint8_t *tbs, size_t len, const uint8_t *issuer_cert, size_t issuer_len,
    const ca_lint_expect *x, const char *what, pc_err *e)
{
	struct lint *l;
	pkix_cert *t;
	pc_err pe;
	pc_rc rc = PC_OK;

	l = calloc(1, sizeof *l);
	t = calloc(1, sizeof *t);
	if (l == NULL || t == NULL) {
		free(l);
		free(t);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (pkix_tbs_parse(tbs, len, "TBS", t, &pe) != PC_OK) {
		bad(l, "%s", pe.msg + strlen("TBS: "));
	} else {
		check_dates_serial(t, x, l);
		check_extensions(t, x, l);
		check_subject_key(t, l);
		check_decision(t, x, l);
		if (issuer_cert != NULL)
			check_issuer(t, issuer_cert, issuer_len, l);
	}
	if (l->n > 0)
		rc = pc_fail(e, PC_E_POLICY, "%s: pre-issuance check failed: %s", what, l->msg);
	free(l);
	free(t);
	return rc;
}
