/*
 * crl.c - the CRL reader (crl.h).
 */
#include "crl.h"

#include <stdio.h>
#include <string.h>

#include "der.h"

/* RFC 5280 §5.3.1 CRLReason; 7 is not used */
static const char *const reason_names[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged", "superseded",
	"cessationOfOperation", "certificateHold", NULL, "removeFromCRL", "privilegeWithdrawn",
	"aACompromise",
};
enum { NREASONS = sizeof reason_names / sizeof reason_names[0] };

const char *pkix_reason_name(unsigned r)
{
	if (r < NREASONS && reason_names[r] != NULL)
		return reason_names[r];
	return "reason outside RFC 5280";
}

bool pkix_reason_issued(unsigned r)
{
	return r <= 5 || r == 9;
}

int pkix_reason_parse(const char *name)
{
	unsigned i;

	for (i = 0; i < NREASONS; i++)
		if (reason_names[i] != NULL && strcmp(reason_names[i], name) == 0)
			return (int)i;
	return -1;
}

static bool read_whole(pc_reader *r, uint8_t tag, pc_reader *c, const uint8_t **w, size_t *wl)
{
	uint8_t t;

	return pc_der_read_any(r, &t, c, w, wl) && t == tag;
}

static bool read_time(pc_reader *r, time_t *t)
{
	uint8_t tag;
	pc_reader c;

	return pc_der_read_any(r, &tag, &c, NULL, NULL) && pc_der_parse_time(tag, c, t);
}

/* One extension: OID, optional critical TRUE, value. */
static bool read_ext(pc_reader *exts, pc_reader *oid, bool *critical, pc_reader *val)
{
	pc_reader x, b;
	bool present;

	*critical = false;
	if (!pc_der_read(exts, DER_SEQUENCE, &x) || !pc_der_read(&x, DER_OID, oid) ||
	    !pc_der_read_opt(&x, DER_BOOLEAN, &b, &present))
		return false;
	if (present) {
		if (pc_reader_left(&b) != 1 || b.p[b.off] != 0xff)
			return false;
		*critical = true;
	}
	return pc_der_read(&x, DER_OCTET_STRING, val) && pc_reader_done(&x);
}

/* One revokedCertificates entry; the reason code from its extensions. */
static bool read_entry(pc_reader *entries, pc_reader *serial, time_t *when, unsigned *reason,
    bool *bad_critical)
{
	pc_reader ent, exts;
	bool present;

	*reason = 0;
	*bad_critical = false;
	if (!pc_der_read(entries, DER_SEQUENCE, &ent) || !pc_der_read(&ent, DER_INTEGER, serial) ||
	    pc_reader_left(serial) == 0 || pc_reader_left(serial) > PKIX_SERIAL_LEN + 1 ||
	    !read_time(&ent, when) || !pc_der_read_opt(&ent, DER_SEQUENCE, &exts, &present) ||
	    !pc_reader_done(&ent))
		return false;
	while (present && pc_reader_left(&exts) > 0) {
		pc_reader oid, val, en;
		bool critical;
		if (!read_ext(&exts, &oid, &critical, &val))
			return false;
		if (pkix_oid_is(oid, PKIX_OID_EXT_CRL_REASON)) {
			/* CRLReason ::= ENUMERATED */
			if (!pc_der_read(&val, DER_ENUMERATED, &en) || !pc_reader_done(&val) ||
			    pc_reader_left(&en) != 1)
				return false;
			*reason = en.p[en.off];
		} else if (critical) {
			*bad_critical = true;       /* certificateIssuer (indirect CRLs) and others */
		}
	}
	return true;
}

pc_rc pkix_crl_parse(const uint8_t *der, size_t len, const char *what, pkix_crl *c, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), cl, tbs, tmp, bits, v, walk;
	const uint8_t *inner;
	size_t inner_len;
	uint8_t unused = 0xff;
	bool present, v2 = false;

	memset(c, 0, sizeof *c);
	c->entries = pc_reader_make(NULL, 0);
	if (len > PKIX_CRL_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: CRL of %zu bytes, more than %d", what, len,
		    PKIX_CRL_MAX);
	/* CertificateList ::= SEQUENCE { tbsCertList, signatureAlgorithm,
	 *   signatureValue BIT STRING }                          §5.1 */
	if (!pc_der_read(&r, DER_SEQUENCE, &cl) || !pc_reader_done(&r) ||
	    !read_whole(&cl, DER_SEQUENCE, &tbs, &c->tbs, &c->tbs_len) ||
	    !read_whole(&cl, DER_SEQUENCE, &tmp, &c->sigalg_der, &c->sigalg_len) ||
	    !pc_der_read(&cl, DER_BIT_STRING, &bits) || !pc_reader_done(&cl) ||
	    !pc_reader_u8(&bits, &unused) || unused != 0)
		return pc_fail(e, PC_E_INPUT, "%s: not a DER CRL", what);
	snprintf(c->name, sizeof c->name, "%s", what);
	c->der = der;
	c->len = len;
	c->sig = bits.p + bits.off;
	c->sig_len = pc_reader_left(&bits);
	{
		pc_err ignored;
		if (pkix_sigalg_read(c->sigalg_der, c->sigalg_len, what, &c->sigalg, &ignored) != PC_OK)
			c->sigalg = NULL;
	}
	/* version Version OPTIONAL: v2 (1) when present (§5.1.2.1) */
	if (pc_reader_peek(&tbs) == DER_INTEGER) {
		if (!pc_der_read(&tbs, DER_INTEGER, &v) || pc_reader_left(&v) != 1 || v.p[v.off] != 1)
			return pc_fail(e, PC_E_INPUT, "%s: unsupported CRL version", what);
		v2 = true;
	}
	if (!read_whole(&tbs, DER_SEQUENCE, &tmp, &inner, &inner_len) || inner_len != c->sigalg_len ||
	    memcmp(inner, c->sigalg_der, inner_len) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: the two signature algorithms differ (RFC 5280 "
		    "§5.1.1.2)", what);
	if (!read_whole(&tbs, DER_SEQUENCE, &tmp, &c->issuer, &c->issuer_len) ||
	    !pkix_name_valid(c->issuer, c->issuer_len) || !read_time(&tbs, &c->this_update))
		return pc_fail(e, PC_E_INPUT, "%s: malformed CRL issuer or thisUpdate", what);
	if (pc_reader_peek(&tbs) == DER_UTCTIME || pc_reader_peek(&tbs) == DER_GENERALIZEDTIME) {
		if (!read_time(&tbs, &c->next_update))
			return pc_fail(e, PC_E_INPUT, "%s: malformed nextUpdate", what);
	}
	if (!pc_der_read_opt(&tbs, DER_SEQUENCE, &c->entries, &present))
		return pc_fail(e, PC_E_INPUT, "%s: malformed revokedCertificates", what);
	/* validate every entry once, so that lookups cannot fail later */
	walk = c->entries;
	while (present && pc_reader_left(&walk) > 0) {
		pc_reader serial;
		time_t when;
		unsigned reason;
		bool bad;
		if (!read_entry(&walk, &serial, &when, &reason, &bad))
			return pc_fail(e, PC_E_INPUT, "%s: malformed entry %zu", what, c->nentries + 1);
		if (bad)
			return pc_fail(e, PC_E_INPUT, "%s: entry %zu has an unsupported critical "
			    "extension (indirect CRLs are not supported)", what, c->nentries + 1);
		c->nentries++;
	}
	/* crlExtensions [0] EXPLICIT Extensions OPTIONAL (v2 only) */
	if (!pc_der_read_opt(&tbs, DER_CTX_CONS | 0, &tmp, &present) || !pc_reader_done(&tbs))
		return pc_fail(e, PC_E_INPUT, "%s: trailing data in the CRL", what);
	if (present) {
		pc_reader exts;
		if (!v2 || !pc_der_read(&tmp, DER_SEQUENCE, &exts) || !pc_reader_done(&tmp) ||
		    pc_reader_left(&exts) == 0)
			return pc_fail(e, PC_E_INPUT, "%s: malformed CRL extensions", what);
		while (pc_reader_left(&exts) > 0) {
			pc_reader oid, val;
			bool critical;
			if (!read_ext(&exts, &oid, &critical, &val))
				return pc_fail(e, PC_E_INPUT, "%s: malformed CRL extension", what);
			if (pkix_oid_is(oid, PKIX_OID_EXT_CRL_NUMBER)) {
				if (c->number != NULL ||
				    !pc_der_read_uint(&val, PKIX_CRL_NUMBER_MAX, &c->number, &c->number_len) ||
				    !pc_reader_done(&val))
					return pc_fail(e, PC_E_INPUT, "%s: malformed cRLNumber", what);
			} else if (pkix_oid_is(oid, PKIX_OID_EXT_AKI)) {
				pc_reader s, k, x;
				bool kp, ip, sp;
				if (c->aki != NULL || !pc_der_read(&val, DER_SEQUENCE, &s) ||
				    !pc_reader_done(&val) || !pc_der_read_opt(&s, DER_CTX | 0, &k, &kp) ||
				    !pc_der_read_opt(&s, DER_CTX_CONS | 1, &x, &ip) ||
				    !pc_der_read_opt(&s, DER_CTX | 2, &x, &sp) || !pc_reader_done(&s))
					return pc_fail(e, PC_E_INPUT, "%s: malformed authorityKeyIdentifier", what);
				if (kp) {
					c->aki = k.p + k.off;
					c->aki_len = pc_reader_left(&k);
				}
			} else if (critical) {
				/* deltaCRLIndicator, issuingDistributionPoint, ...:
				 * a CRL we do not fully understand must not be
				 * taken as complete (§5.2) */
				return pc_fail(e, PC_E_INPUT, "%s: unsupported critical extension (delta or "
				    "partitioned CRLs are not supported)", what);
			}
		}
	}
	return PC_OK;
}

bool pkix_crl_lookup(const pkix_crl *c, const uint8_t *serial, size_t serial_len,
    unsigned *reason, time_t *when)
{
	pc_reader walk = c->entries, s;
	bool bad;

	while (pc_reader_left(&walk) > 0 && read_entry(&walk, &s, when, reason, &bad))
		if (pc_reader_left(&s) == serial_len && memcmp(s.p + s.off, serial, serial_len) == 0)
			return true;
	return false;
}
