/*
 * crmf.c - CRMF CertReqMsg and CertTemplate reader (RFC 4211); see crmf.h.
 */
#include <stdio.h>
#include <string.h>

#include "crmf.h"
#include "der.h"
#include "oid.h"

/* Name [n] EXPLICIT: the one Name TLV inside, which must be well formed. */
static bool explicit_name(pc_reader c, const uint8_t **p, size_t *n)
{
	pc_reader in;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;

	if (!pc_der_read_any(&c, &tag, &in, &w, &wl) || tag != DER_SEQUENCE || !pc_reader_done(&c))
		return false;
	if (!pkix_name_valid(w, wl))
		return false;
	*p = w;
	*n = wl;
	return true;
}

/* subjectAltName from a template: every GeneralName kept under the rules
 * of a PKCS#10 request, except a HardwareModuleName otherName (RFC 4108
 * §5), which `openssl cmp` copies from the IDevID by default: it is
 * counted, not requested (the CA carries the IDevID's own over, if the
 * profile says so). */
PC_CHECK static pc_rc read_san(pc_reader names, const char *what, pkix_crmf_template *t, pc_err *e)
{
	while (pc_reader_left(&names) > 0) {
		uint8_t tag;
		pc_reader v;
		if (!pc_der_read_any(&names, &tag, &v, NULL, NULL))
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed "
			    "subjectAltName", what);
		if (tag == (DER_CTX_CONS | 0)) {
			pc_reader oid, val;
			if (!pc_der_read(&v, DER_OID, &oid) || !pc_der_read(&v, DER_CTX_CONS | 0, &val) ||
			    !pc_reader_done(&v))
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed "
				    "otherName", what);
			if (!pkix_oid_is(oid, PKIX_OID_ON_HW_MODULE_NAME))
				return pc_fail(e, PC_E_CSR, "%s: certificate template: an otherName "
				    "SAN other than HardwareModuleName is not accepted", what);
			t->nhwname++;
			continue;
		}
		if (t->nsan >= PKIX_SAN_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: certificate template: more than %d SANs",
			    what, PKIX_SAN_MAX);
		PC_TRY(pkix_gn_from_der(tag, v, &t->san[t->nsan], what, e));
		t->nsan++;
	}
	return PC_OK;
}

/* Extensions ::= SEQUENCE OF Extension (content). */
PC_CHECK static pc_rc read_exts(pc_reader exts, const char *what, pkix_crmf_template *t, pc_err *e)
{
	bool have_san = false;

	t->exts = exts;
	while (pc_reader_left(&exts) > 0) {
		pc_reader ext, oid, val, names;
		bool critical = false, present = false;
		if (!pc_der_read(&exts, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid))
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed extension",
			    what);
		if (!pc_der_read_opt(&ext, DER_BOOLEAN, &val, &present))
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed extension",
			    what);
		if (present) {
			/* DER: DEFAULT FALSE is never encoded (X.690 §11.5) */
			if (pc_reader_left(&val) != 1 || val.p[val.off] != 0xff)
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: extension "
				    "critical flag is not DER TRUE", what);
			critical = true;
		}
		if (!pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext))
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed extension",
			    what);
		if (pkix_oid_is(oid, PKIX_OID_EXT_SAN)) {
			if (have_san)
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: subjectAltName "
				    "twice", what);
			have_san = true;
			if (!pc_der_read(&val, DER_SEQUENCE, &names) || !pc_reader_done(&val))
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed "
				    "subjectAltName", what);
			PC_TRY(read_san(names, what, t, e));
			continue;
		}
		/* the profile decides every other extension; asking for one is
		 * harmless, but a critical one we do not understand is refused
		 * as RFC 5280 §4.2 would refuse it in a certificate */
		if (critical && !pkix_oid_is(oid, PKIX_OID_EXT_KU) && !pkix_oid_is(oid, PKIX_OID_EXT_EKU) &&
		    !pkix_oid_is(oid, PKIX_OID_EXT_BC) && !pkix_oid_is(oid, PKIX_OID_EXT_SKI)) {
			char dotted[PKIX_OID_TEXT_MAX];
			if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), dotted, sizeof dotted))
				snprintf(dotted, sizeof dotted, "(malformed)");
			return pc_fail(e, PC_E_CSR, "%s: certificate template: critical extension %s "
			    "is not supported", what, dotted);
		}
	}
	return PC_OK;
}

pc_rc pkix_crmf_template_read(pc_reader c, const char *what, pkix_crmf_template *t, pc_err *e)
{
	pc_reader v;
	bool present;
	int last = -1;

	memset(t, 0, sizeof *t);
	while (pc_reader_left(&c) > 0) {
		uint8_t tag;
		int n;
		if (!pc_der_read_any(&c, &tag, &v, NULL, NULL))
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed DER", what);
		n = tag & 0x1f;
		if ((tag & 0xc0) != 0x80 || n > 9 || n <= last)
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: unexpected field "
			    "(tag 0x%02x)", what, tag);
		last = n;
		switch (tag) {
		case DER_CTX | 0:             /* version: if present, v2 (RFC 4211 §5) */
			if (pc_reader_left(&v) != 1 || v.p[v.off] != 1)
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: version is "
				    "not v2", what);
			break;
		case DER_CTX | 1:             /* serialNumber [1] IMPLICIT INTEGER */
			if (pc_reader_left(&v) == 0 || pc_reader_left(&v) > PKIX_SERIAL_LEN + 1)
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: bad serial "
				    "number", what);
			t->serial = v.p + v.off;
			t->serial_len = pc_reader_left(&v);
			break;
		case DER_CTX_CONS | 2:        /* signingAlg: read, ignored (the CA's key decides) */
			break;
		case DER_CTX_CONS | 3:
			if (!explicit_name(v, &t->issuer, &t->issuer_len))
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed "
				    "issuer", what);
			break;
		case DER_CTX_CONS | 4:        /* validity: the profile decides */
			break;
		case DER_CTX_CONS | 5:
			if (!explicit_name(v, &t->subject, &t->subject_len))
				return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed "
				    "subject", what);
			break;
		case DER_CTX_CONS | 6: {      /* publicKey [6] IMPLICIT SubjectPublicKeyInfo */
			pc_der d;
			pc_der_init(&d);
			pc_der_tlv(&d, DER_SEQUENCE, v.p + v.off, pc_reader_left(&v));
			if (!pc_der_ok(&d) || d.b.len > sizeof t->spki) {
				pc_der_free(&d);
				return pc_fail(e, PC_E_LIMIT, "%s: certificate template: public key "
				    "larger than %d bytes", what, PKIX_CRMF_SPKI_MAX);
			}
			memcpy(t->spki, d.b.p, d.b.len);
			t->spki_len = d.b.len;
			pc_der_free(&d);
			break;
		}
		case DER_CTX_CONS | 9:
			PC_TRY(read_exts(v, what, t, e));
			break;
		default:                      /* issuerUID, subjectUID: RFC 5280 §4.1.2.8, refused */
			return pc_fail(e, PC_E_INPUT, "%s: certificate template: field [%d] is not "
			    "supported", what, n);
		}
	}
	(void)present;
	if (!pc_reader_done(&c))
		return pc_fail(e, PC_E_INPUT, "%s: certificate template: malformed DER", what);
	return PC_OK;
}

/* A small non-negative INTEGER (certReqId): -1 on anything else. */
static long small_int(pc_reader v)
{
	long x = 0;
	size_t n = pc_reader_left(&v), i;

	if (n == 0 || n > 4 || (v.p[v.off] & 0x80) || (n > 1 && v.p[v.off] == 0 &&
	    !(v.p[v.off + 1] & 0x80)))
		return -1;
	for (i = 0; i < n; i++)
		x = (x << 8) | v.p[v.off + i];
	return x;
}

/* Controls ::= SEQUENCE OF AttributeTypeAndValue: only oldCertID. */
PC_CHECK static pc_rc read_controls(pc_reader c, const char *what, pkix_crmf_req *r, pc_err *e)
{
	while (pc_reader_left(&c) > 0) {
		pc_reader atv, oid, certid, gn, serial;
		const uint8_t *w;
		size_t wl;
		uint8_t tag;
		if (!pc_der_read(&c, DER_SEQUENCE, &atv) || !pc_der_read(&atv, DER_OID, &oid))
			return pc_fail(e, PC_E_INPUT, "%s: malformed controls", what);
		if (!pkix_oid_is(oid, PKIX_OID_REGCTRL_OLD_CERT_ID))
			return pc_fail(e, PC_E_INPUT, "%s: control other than oldCertID is not "
			    "supported", what);
		if (r->has_old_cert)
			return pc_fail(e, PC_E_INPUT, "%s: oldCertID twice", what);
		/* CertId ::= SEQUENCE { issuer GeneralName, serialNumber INTEGER } */
		if (!pc_der_read(&atv, DER_SEQUENCE, &certid) || !pc_reader_done(&atv) ||
		    !pc_der_read_any(&certid, &tag, &gn, &w, &wl) ||
		    !pc_der_read(&certid, DER_INTEGER, &serial) || !pc_reader_done(&certid) ||
		    pc_reader_left(&serial) == 0 || pc_reader_left(&serial) > PKIX_SERIAL_LEN + 1)
			return pc_fail(e, PC_E_INPUT, "%s: malformed oldCertID", what);
		r->has_old_cert = true;
		r->old_issuer = w;
		r->old_issuer_len = wl;
		r->old_serial = serial.p + serial.off;
		r->old_serial_len = pc_reader_left(&serial);
	}
	return PC_OK;
}

pc_rc pkix_crmf_read(pc_reader msgs, const char *what, pkix_crmf_req *r, pc_err *e)
{
	pc_reader msg, req, x, tmpl;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;
	bool present;

	memset(r, 0, sizeof *r);
	if (!pc_der_read(&msgs, DER_SEQUENCE, &msg))
		return pc_fail(e, PC_E_INPUT, "%s: no CertReqMsg", what);
	if (pc_reader_left(&msgs) > 0)
		return pc_fail(e, PC_E_INPUT, "%s: more than one CertReqMsg (RFC 9483 §4.1.1 "
		    "allows one)", what);
	if (!pc_der_read_any(&msg, &tag, &req, &w, &wl) || tag != DER_SEQUENCE)
		return pc_fail(e, PC_E_INPUT, "%s: malformed CertRequest", what);
	r->cert_req = w;
	r->cert_req_len = wl;
	if (!pc_der_read(&req, DER_INTEGER, &x) || (r->cert_req_id = small_int(x)) < 0)
		return pc_fail(e, PC_E_INPUT, "%s: malformed certReqId", what);
	if (!pc_der_read(&req, DER_SEQUENCE, &tmpl))
		return pc_fail(e, PC_E_INPUT, "%s: malformed certTemplate", what);
	PC_TRY(pkix_crmf_template_read(tmpl, what, &r->tmpl, e));
	if (!pc_der_read_opt(&req, DER_SEQUENCE, &x, &present))
		return pc_fail(e, PC_E_INPUT, "%s: malformed controls", what);
	if (present)
		PC_TRY(read_controls(x, what, r, e));
	if (!pc_reader_done(&req))
		return pc_fail(e, PC_E_INPUT, "%s: trailing bytes in CertRequest", what);
	/* popo ProofOfPossession OPTIONAL (a CHOICE of implicit tags) */
	if (pc_reader_left(&msg) > 0 && pc_reader_peek(&msg) != DER_SEQUENCE) {
		pc_reader pop, alg, sig;
		if (!pc_der_read_any(&msg, &tag, &pop, NULL, NULL))
			return pc_fail(e, PC_E_INPUT, "%s: malformed proof of possession", what);
		if (tag != (DER_CTX_CONS | 1))
			return pc_fail(e, PC_E_INPUT, "%s: proof of possession of kind [%d] is not "
			    "supported (only a signature by the requested key)", what, tag & 0x1f);
		/* POPOSigningKey ::= SEQUENCE { poposkInput [0] OPTIONAL,
		 * algorithmIdentifier, signature BIT STRING }, [1] IMPLICIT */
		if (pc_reader_peek(&pop) == (DER_CTX_CONS | 0))
			return pc_fail(e, PC_E_INPUT, "%s: POPOSigningKey with poposkInput is not "
			    "supported (RFC 4211 §4.1: the template carries subject and key)", what);
		if (!pc_der_read_any(&pop, &tag, &alg, &w, &wl) || tag != DER_SEQUENCE ||
		    !pc_der_read(&pop, DER_BIT_STRING, &sig) || !pc_reader_done(&pop) ||
		    pc_reader_left(&sig) < 2 || sig.p[sig.off] != 0)
			return pc_fail(e, PC_E_INPUT, "%s: malformed POPOSigningKey", what);
		PC_TRY(pkix_sigalg_read(w, wl, what, &r->pop_alg, e));
		r->pop = PKIX_CRMF_POP_SIGNATURE;
		r->pop_sig = sig.p + sig.off + 1;
		r->pop_sig_len = pc_reader_left(&sig) - 1;
	}
	/* regInfo: nothing is supported, and nothing may be ignored */
	if (pc_reader_left(&msg) > 0)
		return pc_fail(e, PC_E_INPUT, "%s: regInfo is not supported", what);
	return PC_OK;
}

pc_rc pkix_crmf_verify_pop(const pkix_crmf_req *r, const char *what, pc_err *e)
{
	pkix_pubkey k;

	if (r->tmpl.spki_len == 0)
		return pc_fail(e, PC_E_INPUT, "%s: certificate template has no public key", what);
	if (r->pop != PKIX_CRMF_POP_SIGNATURE)
		return pc_fail(e, PC_E_INPUT, "%s: no proof of possession (a signature by the "
		    "requested key is required)", what);
	PC_TRY(pkix_pubkey_parse(r->tmpl.spki, r->tmpl.spki_len, what, PC_E_CSR, &k, e));
	if (!pkix_sigalg_fits(r->pop_alg, k.type))
		return pc_fail(e, PC_E_SIGNATURE, "%s: proof of possession: %s does not fit the "
		    "requested key", what, r->pop_alg->name);
	if (pkix_verify(&k, r->pop_alg, r->cert_req, r->cert_req_len, r->pop_sig, r->pop_sig_len,
	    what, e) != PC_OK)
		return pc_fail(e, PC_E_SIGNATURE, "%s: proof of possession does not verify", what);
	return PC_OK;
}
