/*
 * csr.c - the PKCS#10 reader (csr.h).
 */
#include "csr.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "pem.h"

PC_CHECK static pc_rc csr_extensions(pkix_csr *c, pc_reader exts, const char *what, pc_err *e)
{
	while (pc_reader_left(&exts) > 0) {
		pc_reader ext, oid, val, crit;
		bool has_crit;
		uint8_t critical = 0;
		if (!pc_der_read(&exts, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid) ||
		    !pc_der_read_opt(&ext, DER_BOOLEAN, &crit, &has_crit) ||
		    (has_crit && (!pc_reader_u8(&crit, &critical) || !pc_reader_done(&crit))) ||
		    !pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext))
			return pc_fail(e, PC_E_CSR, "%s: malformed requested extension", what);
		/* A critical extension says "do not act on this without me"
		 * (RFC 5280 §4.2).  We know what these are and decide them
		 * ourselves from the profile; any other critical one is refused
		 * here, by name, before the self-signature is checked. */
		if (critical && !pkix_oid_is(oid, PKIX_OID_EXT_SAN) && !pkix_oid_is(oid, PKIX_OID_EXT_BC) &&
		    !pkix_oid_is(oid, PKIX_OID_EXT_KU) && !pkix_oid_is(oid, PKIX_OID_EXT_EKU) &&
		    !pkix_oid_is(oid, PKIX_OID_EXT_SKI)) {
			char dotted[PKIX_OID_TEXT_MAX];
			if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), dotted, sizeof dotted))
				snprintf(dotted, sizeof dotted, "(malformed)");
			return pc_fail(e, PC_E_CSR, "%s: requested extension OID %s is critical and not "
			    "understood", what, dotted);
		}
		if (pkix_oid_is(oid, PKIX_OID_EXT_SAN)) {
			pc_reader names;
			if (!pc_der_read(&val, DER_SEQUENCE, &names) || !pc_reader_done(&val))
				return pc_fail(e, PC_E_CSR, "%s: malformed subjectAltName", what);
			while (pc_reader_left(&names) > 0) {
				pc_reader gv;
				uint8_t tag;
				if (!pc_der_read_any(&names, &tag, &gv, NULL, NULL))
					return pc_fail(e, PC_E_CSR, "%s: malformed subjectAltName", what);
				if (c->nsan >= PKIX_SAN_MAX)
					return pc_fail(e, PC_E_CSR, "%s: more than %d SAN entries", what, PKIX_SAN_MAX);
				PC_TRY(pkix_gn_from_der(tag, gv, &c->san[c->nsan], what, e));
				c->nsan++;
			}
		}
		/* Other requested extensions are ignored: the profile decides
		 * every extension of the certificate; nothing is copied through. */
	}
	return PC_OK;
}

/* The parts proof of possession needs (csr_pop): into c->der. */
struct csr_signed {
	const uint8_t *info; size_t info_len;     /* CertificationRequestInfo TLV */
	const uint8_t *alg; size_t alg_len;       /* AlgorithmIdentifier TLV */
	const uint8_t *sig; size_t sig_len;       /* signature BIT STRING value */
};

PC_CHECK static pc_rc csr_structure(pkix_csr *c, struct csr_signed *cs, const char *what, pc_err *e)
{
	pc_reader r = pc_reader_make(c->der, c->der_len), req, info, ver, attrs, alg, sig;
	const uint8_t *whole;
	uint8_t tag, tag2, unused = 0xff;
	bool has_attrs;
	pkix_pubkey k;

	if (!pc_der_read(&r, DER_SEQUENCE, &req))
		return pc_fail(e, PC_E_CSR, "%s: not a PKCS#10 request (truncated or not DER)", what);
	if (!pc_reader_done(&r))
		return pc_fail(e, PC_E_CSR, "%s: trailing bytes after the request", what);
	if (!pc_der_read_any(&req, &tag, &info, &cs->info, &cs->info_len) || tag != DER_SEQUENCE ||
	    !pc_der_read_any(&req, &tag2, &alg, &cs->alg, &cs->alg_len) || tag2 != DER_SEQUENCE ||
	    !pc_der_read(&req, DER_BIT_STRING, &sig) || !pc_reader_done(&req) ||
	    !pc_reader_u8(&sig, &unused) || unused != 0)
		return pc_fail(e, PC_E_CSR, "%s: malformed CertificationRequest (RFC 2986)", what);
	cs->sig = sig.p + sig.off;
	cs->sig_len = pc_reader_left(&sig);
	if (!pc_der_read(&info, DER_INTEGER, &ver) || pc_reader_left(&ver) != 1 || ver.p[ver.off] != 0)
		return pc_fail(e, PC_E_CSR, "%s: request version is not v1 (0)", what);
	if (!pc_der_read_any(&info, &tag, &attrs, &whole, &c->subject_len) || tag != DER_SEQUENCE)
		return pc_fail(e, PC_E_CSR, "%s: malformed subject name", what);
	c->subject = whole;
	/* the same rules as for names the officer types (pkix_attr_check) */
	PC_TRY(pkix_name_check(c->subject, c->subject_len, what, PC_E_CSR, e));
	if (!pc_der_read_any(&info, &tag, &attrs, &whole, &c->spki_len) || tag != DER_SEQUENCE)
		return pc_fail(e, PC_E_CSR, "%s: malformed SubjectPublicKeyInfo", what);
	c->spki = whole;
	PC_TRY(pkix_pubkey_parse(c->spki, c->spki_len, what, PC_E_CSR, &k, e));
	c->keytype = k.type;
	c->bits = k.bits;
	if (!pc_der_read_opt(&info, DER_CTX_CONS | 0, &attrs, &has_attrs) || !pc_reader_done(&info))
		return pc_fail(e, PC_E_CSR, "%s: malformed request attributes", what);
	while (has_attrs && pc_reader_left(&attrs) > 0) {
		pc_reader attr, oid, vals;
		if (!pc_der_read(&attrs, DER_SEQUENCE, &attr) || !pc_der_read(&attr, DER_OID, &oid) ||
		    !pc_der_read(&attr, DER_SET, &vals) || !pc_reader_done(&attr))
			return pc_fail(e, PC_E_CSR, "%s: malformed request attribute", what);
		if (pkix_oid_is(oid, PKIX_OID_PKCS9_EXT_REQUEST)) {
			pc_reader exts;
			if (!pc_der_read(&vals, DER_SEQUENCE, &exts) || !pc_reader_done(&vals))
				return pc_fail(e, PC_E_CSR, "%s: malformed extensionRequest", what);
			PC_TRY(csr_extensions(c, exts, what, e));
		}
	}
	return PC_OK;
}

/* Proof of possession (RFC 2986 §3, RFC 4211 §4): the request's signature
 * over CertificationRequestInfo verifies with the key it carries, under
 * an algorithm of the table that fits that key. */
PC_CHECK static pc_rc csr_pop(pkix_csr *c, const struct csr_signed *cs, const char *what, pc_err *e)
{
	pkix_pubkey k;
	pc_err why;

	if (pkix_sigalg_read(cs->alg, cs->alg_len, what, &c->sigalg, &why) != PC_OK)
		return pc_fail(e, PC_E_CSR, "%s", why.msg);
	PC_TRY(pkix_pubkey_parse(c->spki, c->spki_len, what, PC_E_CSR, &k, e));
	if (pkix_verify(&k, c->sigalg, cs->info, cs->info_len, cs->sig, cs->sig_len, what, &why) !=
	    PC_OK)
		return pc_fail(e, PC_E_CSR, "%s: the request's self-signature does not verify (proof "
		    "of possession failed)", what);
	return PC_OK;
}

PC_CHECK static pc_rc csr_parse(const uint8_t *buf, size_t len, const char *what, bool pop,
    pkix_csr *c, pc_err *e)
{
	static const char *const labels[] = { "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL };
	pc_rc rc;

	memset(c, 0, sizeof *c);
	if (len > PKIX_CSR_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, larger than the %d-byte CSR limit",
		    what, len, PKIX_CSR_MAX);
	if (len == 0)
		return pc_fail(e, PC_E_CSR, "%s: empty file", what);
	if (pc_pem_looks_like(buf, len)) {
		rc = pc_pem_decode(buf, len, labels, &c->der, &c->der_len, NULL, e);
		if (rc != PC_OK) {
			if (e != NULL)    /* e may be NULL, as for pc_fail() */
				e->rc = PC_E_CSR;
			pc_wrap(e, "%s", what);
			return PC_E_CSR;
		}
	} else {
		c->der = malloc(len);
		if (c->der == NULL)
			return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		memcpy(c->der, buf, len);
		c->der_len = len;
	}
	{
		struct csr_signed cs;
		rc = csr_structure(c, &cs, what, e);
		if (rc == PC_OK && pop)
			rc = csr_pop(c, &cs, what, e);
	}
	if (rc != PC_OK)
		pkix_csr_free(c);
	return rc;
}

pc_rc pkix_csr_parse(const uint8_t *buf, size_t len, const char *what, pkix_csr *c, pc_err *e)
{
	return csr_parse(buf, len, what, true, c, e);
}

pc_rc pkix_csr_parse_verified(const uint8_t *buf, size_t len, const char *what, pkix_csr *c,
    pc_err *e)
{
	return csr_parse(buf, len, what, false, c, e);
}

void pkix_csr_free(pkix_csr *c)
{
	free(c->der);
	memset(c, 0, sizeof *c);
}


pc_rc pkix_csr_build(const uint8_t *subject, size_t subject_len, const uint8_t *spki,
    size_t spki_len, const pkix_sigalg *alg, pkix_csr_sign_fn sign, void *ctx, pc_buf *out,
    pc_err *e)
{
	pc_der info, req;
	pc_buf sig = PC_BUF_INIT;
	pkix_pubkey k;
	pkix_csr back;
	const uint8_t *ad;
	size_t al;
	pc_rc rc = PC_OK;

	pc_der_init(&info);
	pc_der_init(&req);
	PC_TRY_OUT(pkix_name_check(subject, subject_len, "certification request", PC_E_CSR, e));
	PC_TRY_OUT(pkix_pubkey_parse(spki, spki_len, "certification request", PC_E_CSR, &k, e));
	if (!pkix_sigalg_fits(alg, k.type)) {
		rc = pc_fail(e, PC_E_INTERNAL, "certification request: %s does not fit the key",
		    alg->name);
		goto out;
	}
	ad = pkix_sigalg_der(alg, &al);
	/* CertificationRequestInfo ::= SEQUENCE { version 0, subject,
	 * subjectPKInfo, attributes [0] IMPLICIT SET OF Attribute } */
	pc_der_begin(&info, DER_SEQUENCE);
	pc_der_u64(&info, 0);
	pc_der_raw(&info, subject, subject_len);
	pc_der_raw(&info, spki, spki_len);
	pc_der_begin(&info, DER_CTX_CONS | 0);
	pc_der_end(&info);
	pc_der_end(&info);
	if (!pc_der_ok(&info)) {
		rc = pc_fail(e, PC_E_NOMEM, "certification request: out of memory");
		goto out;
	}
	PC_TRY_OUT(sign(ctx, info.b.p, info.b.len, &sig, e));
	if (!pc_buf_ok(&sig)) {
		rc = pc_fail(e, PC_E_NOMEM, "certification request: out of memory");
		goto out;
	}
	pc_der_begin(&req, DER_SEQUENCE);
	pc_der_raw(&req, info.b.p, info.b.len);
	pc_der_raw(&req, ad, al);
	pc_der_bits(&req, sig.p, sig.len, 0);
	pc_der_end(&req);
	if (!pc_der_ok(&req)) {
		rc = pc_fail(e, PC_E_NOMEM, "certification request: out of memory");
		goto out;
	}
	/* read back with the one reader: structure, name rules, signature */
	PC_TRY_OUT(pkix_csr_parse(req.b.p, req.b.len, "certification request (built)", &back, e));
	pkix_csr_free(&back);
	pc_buf_append(out, req.b.p, req.b.len);
	if (!pc_buf_ok(out))
		rc = pc_fail(e, PC_E_NOMEM, "certification request: out of memory");
out:
	pc_der_free(&info);
	pc_der_free(&req);
	pc_buf_free(&sig);
	return rc;
}

/* The station's check (csr.h); the parts as whole TLVs. */
pkix_csr_shape pkix_csr_check_shape(const uint8_t *der, size_t len)
{
	pc_reader r = pc_reader_make(der, len), req, info, x;
	const uint8_t *info_p, *alg_p, *spki_p, *sig_p;
	size_t info_len, alg_len, spki_len, sig_len;
	const pkix_sigalg *alg;
	pkix_pubkey key;
	uint8_t tag;
	pc_err ign;

	if (!pc_der_read(&r, DER_SEQUENCE, &req) || !pc_reader_done(&r) ||
	    !pc_der_read_any(&req, &tag, &info, &info_p, &info_len) || tag != DER_SEQUENCE ||
	    !pc_der_read_any(&req, &tag, &x, &alg_p, &alg_len) || tag != DER_SEQUENCE ||
	    !pc_der_read(&req, DER_BIT_STRING, &x) || !pc_reader_done(&req) ||
	    pc_reader_left(&x) < 1 || x.p[x.off] != 0)
		return PKIX_CSR_NOT_A_REQUEST;
	sig_p = x.p + x.off + 1;
	sig_len = pc_reader_left(&x) - 1;
	if (!pc_der_read(&info, DER_INTEGER, &x) || pc_reader_left(&x) != 1 || x.p[x.off] != 0 ||
	    !pc_der_read(&info, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&info, &tag, &x, &spki_p, &spki_len) || tag != DER_SEQUENCE ||
	    !pc_der_read(&info, DER_CTX_CONS | 0, &x) || !pc_reader_done(&info))
		return PKIX_CSR_NOT_A_REQUEST;
	if (pkix_sigalg_read(alg_p, alg_len, "CSR", &alg, &ign) == PC_OK &&
	    pkix_pubkey_parse_any(spki_p, spki_len, "CSR", &key, &ign) == PC_OK &&
	    pkix_sigalg_fits(alg, key.type) &&
	    pkix_verify(&key, alg, info_p, info_len, sig_p, sig_len, "CSR", &ign) != PC_OK)
		return PKIX_CSR_POP_FAILED;
	return PKIX_CSR_SHAPE_OK;
}
