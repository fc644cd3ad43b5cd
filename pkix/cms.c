/*
 * cms.c - certs-only and one-signer SignedData (see cms.h).
 *
 * Every byte goes through the bounded DER reader (common/der.h: definite
 * minimal lengths, every read inside its parent), and every SET and
 * SEQUENCE must be consumed exactly.  SignedData.version and
 * SignerInfo.version are 1 because RFC 5652 §5.1 and §5.3 say so for
 * id-data content, issuerAndSerialNumber and no attribute or "other"
 * certificates.
 */
#include "cms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pem.h"

static const uint8_t *at(const pc_reader *r)
{
	return r->p + r->off;
}

/* Read one TLV with tag `tag`, giving the whole encoding too. */
static bool read_whole(pc_reader *r, uint8_t tag, pc_reader *c, const uint8_t **w, size_t *wl)
{
	uint8_t t;

	if (pc_reader_peek(r) != tag) {
		r->failed = true;
		return false;
	}
	return pc_der_read_any(r, &t, c, w, wl);
}

/* ContentInfo { id-signedData, [0] EXPLICIT SignedData } (§3): the
 * SignedData's content into *sd.  false with the reason in *why. */
static bool read_content_info(const uint8_t *der, size_t len, pc_reader *sd, const char **why)
{
	pc_reader r = pc_reader_make(der, len), ci, oid, exp;

	if (pc_reader_peek(&r) != DER_SEQUENCE || !pc_der_read(&r, DER_SEQUENCE, &ci)) {
		*why = "ContentInfo is not a DER SEQUENCE";
		return false;
	}
	if (!pc_reader_done(&r)) {
		*why = "bytes after the ContentInfo";
		return false;
	}
	if (!pc_der_read(&ci, DER_OID, &oid) || !pkix_oid_is(oid, PKIX_OID_CMS_SIGNED_DATA)) {
		*why = "contentType is not id-signedData";
		return false;
	}
	if (pc_reader_peek(&ci) != (DER_CTX_CONS | 0) || !pc_der_read(&ci, DER_CTX_CONS | 0, &exp)) {
		*why = "content is not [0] EXPLICIT";
		return false;
	}
	if (!pc_reader_done(&ci)) {
		*why = "ContentInfo has fields after the content";
		return false;
	}
	if (pc_reader_peek(&exp) != DER_SEQUENCE || !pc_der_read(&exp, DER_SEQUENCE, sd) ||
	    !pc_reader_done(&exp)) {
		*why = "content is not one SignedData SEQUENCE";
		return false;
	}
	return true;
}

static bool read_version_1(pc_reader *r)
{
	pc_reader v;

	return pc_der_read(r, DER_INTEGER, &v) && pc_reader_left(&v) == 1 && at(&v)[0] == 1;
}

/* The ContentInfo/SignedData frame both shapes share, up to and including
 * the certificates: every shape-specific field goes to the callers. */
static void begin_signed_data(pc_der *d)
{
	size_t ol;
	const uint8_t *o = pkix_oid_bytes(PKIX_OID_CMS_SIGNED_DATA, &ol);

	pc_der_begin(d, DER_SEQUENCE);                 /* ContentInfo */
	pc_der_oid(d, o, ol);
	pc_der_begin(d, DER_CTX_CONS | 0);
	pc_der_begin(d, DER_SEQUENCE);                 /* SignedData */
	pc_der_u64(d, 1);
}

static void encap_data(pc_der *d)
{
	size_t ol;
	const uint8_t *o = pkix_oid_bytes(PKIX_OID_CMS_DATA, &ol);

	pc_der_begin(d, DER_SEQUENCE);                 /* encapContentInfo, no content */
	pc_der_oid(d, o, ol);
	pc_der_end(d);
}

static void certificates(pc_der *d, const uint8_t *const *certs, const size_t *lens, size_t n)
{
	size_t i;

	pc_der_begin(d, DER_CTX_CONS | 0);
	for (i = 0; i < n; i++)
		pc_der_raw(d, certs[i], lens[i]);
	pc_der_end(d);
}

PC_CHECK static pc_rc finish(pc_der *d, pc_buf *out, pc_err *e, const char *what)
{
	bool ok;

	pc_der_end(d);                                 /* SignedData */
	pc_der_end(d);                                 /* [0] */
	pc_der_end(d);                                 /* ContentInfo */
	ok = pc_der_ok(d);
	if (ok)
		pc_buf_append(out, d->b.p, d->b.len);
	pc_der_free(d);
	if (!ok || !pc_buf_ok(out))
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	return PC_OK;
}

/* ================================================== 1. certs-only */

PC_CHECK static pc_rc p7b_bad(pc_err *e, const char *what, const char *why)
{
	return pc_fail(e, PC_E_INPUT, "%s: not a certs-only PKCS#7 (RFC 5652 §5.1): %s", what, why);
}

PC_CHECK static pc_rc p7b_parse(const uint8_t *der, size_t len, const char *what, pkix_p7b *out,
    pc_err *e)
{
	pc_reader sd, oid, x, certs, cert;
	const char *why = NULL;
	const uint8_t *w;
	size_t wl, i;
	uint8_t tag;

	if (len == 0)
		return p7b_bad(e, what, "empty");
	/* only a diagnosis: DER always starts with the SEQUENCE tag, while a
	 * certificate inside may well contain the text "-----BEGIN " */
	if (der[0] != DER_SEQUENCE && pc_pem_looks_like(der, len))
		return p7b_bad(e, what, "PEM text; a .p7b is DER");
	if (!read_content_info(der, len, &sd, &why))
		return p7b_bad(e, what, why);
	if (!read_version_1(&sd))
		return p7b_bad(e, what, "version is not 1");
	if (pc_reader_peek(&sd) != DER_SET || !pc_der_read(&sd, DER_SET, &x) ||
	    pc_reader_left(&x) != 0)
		return p7b_bad(e, what, "digestAlgorithms is not an empty SET (a certs-only PKCS#7 "
		    "has no signers)");
	if (pc_reader_peek(&sd) != DER_SEQUENCE || !pc_der_read(&sd, DER_SEQUENCE, &x) ||
	    !pc_der_read(&x, DER_OID, &oid) || !pkix_oid_is(oid, PKIX_OID_CMS_DATA) ||
	    !pc_reader_done(&x))
		return p7b_bad(e, what, "encapContentInfo is not id-data without content");
	if (pc_reader_peek(&sd) != (DER_CTX_CONS | 0) || !pc_der_read(&sd, DER_CTX_CONS | 0, &certs))
		return p7b_bad(e, what, "no certificates [0]");
	while (pc_reader_left(&certs) > 0) {
		/* CertificateChoices: only the plain Certificate (a SEQUENCE);
		 * extendedCertificate [0], attribute certificates [1] [2] and
		 * other [3] have no place in a trust list */
		if (pc_reader_peek(&certs) != DER_SEQUENCE)
			return p7b_bad(e, what, "a certificates entry is not a Certificate SEQUENCE");
		if (!pc_der_read_any(&certs, &tag, &cert, &w, &wl))
			return p7b_bad(e, what, "a certificate is not DER (bad length)");
		if (out->ncerts == PKIX_P7B_CERTS_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: more than %d certificates", what,
			    PKIX_P7B_CERTS_MAX);
		/* CertificateSet is a SET OF: a certificate twice is an encoding
		 * error, and would make two files differ while holding "the same" */
		for (i = 0; i < out->ncerts; i++)
			if (out->cert_len[i] == wl && memcmp(out->cert[i], w, wl) == 0)
				return p7b_bad(e, what, "a certificate appears twice");
		out->cert[out->ncerts] = w;
		out->cert_len[out->ncerts] = wl;
		out->ncerts++;
	}
	if (out->ncerts == 0)
		return p7b_bad(e, what, "no certificates");
	if (pc_reader_peek(&sd) == (DER_CTX_CONS | 1))
		return p7b_bad(e, what, "it carries CRLs [1] (CRLs travel as NAME.crl)");
	if (pc_reader_peek(&sd) != DER_SET || !pc_der_read(&sd, DER_SET, &x) ||
	    pc_reader_left(&x) != 0)
		return p7b_bad(e, what, "signerInfos is not an empty SET");
	if (!pc_reader_done(&sd))
		return p7b_bad(e, what, "SignedData has fields after signerInfos");
	return PC_OK;
}

pc_rc pkix_p7b_parse(const uint8_t *der, size_t len, const char *what, pkix_p7b *out,
    pc_err *e)
{
	pc_rc rc;

	memset(out, 0, sizeof *out);
	if ((rc = p7b_parse(der, len, what, out, e)) != PC_OK)
		memset(out, 0, sizeof *out);   /* a refusal hands back nothing */
	return rc;
}

pc_rc pkix_p7b_build(const uint8_t *const *certs, const size_t *lens, size_t n, pc_buf *out,
    pc_err *e)
{
	pc_der d;

	pc_der_init(&d);
	begin_signed_data(&d);
	pc_der_begin(&d, DER_SET);                     /* digestAlgorithms: none */
	pc_der_end(&d);
	encap_data(&d);
	certificates(&d, certs, lens, n);
	pc_der_begin(&d, DER_SET);                     /* signerInfos: none */
	pc_der_end(&d);
	return finish(&d, out, e, "trust.p7b");
}

/* ======================================== 2. one-signer SignedData */

PC_CHECK static pc_rc bad(pc_err *e, const char *why)
{
	return pc_fail(e, PC_E_INPUT, "malformed signature: %s", why);
}

/* DigestAlgorithmIdentifier: parameters absent, NULL tolerated (RFC 5754 §2). */
static bool read_hash_algid(pc_reader *r, pkix_hash *h)
{
	pc_reader a, oid, nul;
	bool present;

	if (!pc_der_read(r, DER_SEQUENCE, &a) || !pc_der_read(&a, DER_OID, &oid))
		return false;
	if (!pc_der_read_opt(&a, DER_NULL, &nul, &present) || (present && pc_reader_left(&nul)) ||
	    !pc_reader_done(&a))
		return false;
	*h = pkix_hash_by_oid(pkix_oid_lookup(oid));
	return *h != PKIX_HASH_NONE;
}

enum { SEEN_CT = 1, SEEN_MD = 2, SEEN_ST = 4 };

PC_CHECK static pc_rc parse_attrs(pc_reader r, pkix_cms_attr_fn fn, void *ctx, pkix_cms *out, pc_err *e)
{
	unsigned seen = 0;
	/* the caller's attributes may each appear once too: remember their types */
	const uint8_t *other[PKIX_CMS_ATTRS_MAX];
	size_t other_len[PKIX_CMS_ATTRS_MAX], nother = 0, i;

	while (pc_reader_left(&r)) {
		pc_reader a, oid, set, v, tmp;
		unsigned bit = 0;
		uint8_t tag;

		/* Attribute ::= SEQUENCE { attrType OID, attrValues SET OF } with
		 * exactly one value (§5.3: the ones of §11 are single-valued) */
		if (!pc_der_read(&r, DER_SEQUENCE, &a) || !pc_der_read(&a, DER_OID, &oid) ||
		    !pc_der_read(&a, DER_SET, &set) || !pc_reader_done(&a))
			return bad(e, "a signed attribute is not SEQUENCE { OID, SET }");
		v = set;
		if (!pc_der_read_any(&set, &tag, &tmp, NULL, NULL) || !pc_reader_done(&set))
			return bad(e, "a signed attribute does not have exactly one value");
		if (pkix_oid_is(oid, PKIX_OID_CMS_CONTENT_TYPE)) {
			bit = SEEN_CT;
			if (!pc_der_read(&v, DER_OID, &tmp) || !pkix_oid_is(tmp, PKIX_OID_CMS_DATA))
				return bad(e, "content type is not id-data");
		} else if (pkix_oid_is(oid, PKIX_OID_CMS_MESSAGE_DIGEST)) {
			bit = SEEN_MD;
			if (!pc_der_read(&v, DER_OCTET_STRING, &tmp))
				return bad(e, "message digest is not an OCTET STRING");
			out->digest_len = pc_reader_left(&tmp);
			out->digest = at(&tmp);
		} else if (pkix_oid_is(oid, PKIX_OID_CMS_SIGNING_TIME)) {
			bit = SEEN_ST;
			if (!pc_der_read_any(&v, &tag, &tmp, NULL, NULL) ||
			    !pc_der_parse_time(tag, tmp, &out->signing_time))
				return bad(e, "signing time is not a UTCTime/GeneralizedTime");
		} else {
			for (i = 0; i < nother; i++)
				if (other_len[i] == pc_reader_left(&oid) &&
				    memcmp(other[i], at(&oid), other_len[i]) == 0)
					return bad(e, "a signed attribute appears twice");
			if (nother == PKIX_CMS_ATTRS_MAX)
				return pc_fail(e, PC_E_LIMIT, "malformed signature: more than %d signed "
				    "attributes", PKIX_CMS_ATTRS_MAX + 3);
			other[nother] = at(&oid);
			other_len[nother++] = pc_reader_left(&oid);
			if (fn == NULL) {
				char t[128] = "?";
				if (!pc_oid_to_text(at(&oid), pc_reader_left(&oid), t, sizeof t))
					snprintf(t, sizeof t, "(not an OID)");
				return pc_fail(e, PC_E_INPUT, "malformed signature: unknown signed "
				    "attribute %s", t);
			}
			PC_TRY(fn(ctx, oid, v, e));
		}
		if (seen & bit)
			return bad(e, "a signed attribute appears twice");
		seen |= bit;
	}
	if (!pc_reader_done(&r))
		return bad(e, "signed attributes are truncated");
	/* §5.3: contentType and messageDigest MUST be present */
	if (!(seen & SEEN_CT) || !(seen & SEEN_MD))
		return bad(e, "content type or message digest attribute missing");
	if (!(seen & SEEN_ST))
		return bad(e, "no signing time");
	return PC_OK;
}

PC_CHECK static pc_rc cms_parse(const uint8_t *der, size_t len, pkix_cms_attr_fn fn, void *ctx,
    pkix_cms *out, pc_err *e)
{
	pc_reader sd, set, eci, oid, certs, sis, si, sid, tmp;
	pkix_hash dh = PKIX_HASH_NONE, sh;
	const char *why = NULL;
	bool present;

	if (der == NULL || len == 0)
		return bad(e, "empty");
	if (!read_content_info(der, len, &sd, &why))
		return bad(e, why);
	if (!read_version_1(&sd))
		return bad(e, "SignedData version is not 1");
	if (!pc_der_read(&sd, DER_SET, &set))
		return bad(e, "digestAlgorithms missing");
	while (pc_reader_left(&set)) {
		pkix_hash h;
		if (!read_hash_algid(&set, &h))
			return bad(e, "unsupported digest algorithm (sha256, sha384, sha512 only)");
		if (dh != PKIX_HASH_NONE)
			return bad(e, "more than one digest algorithm");
		dh = h;
	}
	if (dh == PKIX_HASH_NONE)
		return bad(e, "no digest algorithm");
	/* EncapsulatedContentInfo ::= SEQUENCE { eContentType, [0] eContent OPTIONAL } */
	if (!pc_der_read(&sd, DER_SEQUENCE, &eci) || !pc_der_read(&eci, DER_OID, &oid) ||
	    !pkix_oid_is(oid, PKIX_OID_CMS_DATA))
		return bad(e, "encapsulated content type is not id-data");
	if (!pc_reader_done(&eci))
		return bad(e, "content is embedded; the signature must be detached");
	if (!pc_der_read_opt(&sd, DER_CTX_CONS | 0, &certs, &present) || !present)
		return bad(e, "no certificates (the signer's chain must be included)");
	while (pc_reader_left(&certs)) {
		if (out->ncerts == PKIX_CMS_CERTS_MAX)
			return pc_fail(e, PC_E_LIMIT, "signature carries more than %d certificates",
			    PKIX_CMS_CERTS_MAX);
		if (!read_whole(&certs, DER_SEQUENCE, &tmp, &out->certs[out->ncerts],
		    &out->cert_len[out->ncerts]))
			return bad(e, "a certificate is not a SEQUENCE");
		out->ncerts++;
	}
	if (pc_reader_peek(&sd) == (DER_CTX_CONS | 1))
		return bad(e, "CRLs inside the signature are not supported; pass them with --crl");
	if (!pc_der_read(&sd, DER_SET, &sis) || !pc_reader_done(&sd))
		return bad(e, "signerInfos missing or followed by other data");
	/* SignerInfo §5.3 */
	if (!pc_der_read(&sis, DER_SEQUENCE, &si))
		return bad(e, "no SignerInfo");
	if (!pc_reader_done(&sis))
		return bad(e, "more than one SignerInfo");
	if (!read_version_1(&si))
		return bad(e, "SignerInfo version is not 1 (issuerAndSerialNumber)");
	if (!pc_der_read(&si, DER_SEQUENCE, &sid) ||
	    !read_whole(&sid, DER_SEQUENCE, &tmp, &out->sid_issuer, &out->sid_issuer_len) ||
	    !pc_der_read(&sid, DER_INTEGER, &tmp) || !pc_reader_done(&sid) ||
	    pc_reader_left(&tmp) == 0)
		return bad(e, "signer identifier is not issuerAndSerialNumber");
	out->sid_serial = at(&tmp);
	out->sid_serial_len = pc_reader_left(&tmp);
	if (!read_hash_algid(&si, &sh) || sh != dh)
		return bad(e, "signer's digest algorithm differs from digestAlgorithms");
	out->hash = dh;
	if (!pc_der_read(&si, DER_CTX_CONS | 0, &tmp))
		return bad(e, "no signed attributes");
	out->attrs = at(&tmp);
	out->attrs_len = pc_reader_left(&tmp);
	PC_TRY(parse_attrs(tmp, fn, ctx, out, e));
	if (!read_whole(&si, DER_SEQUENCE, &tmp, &out->sigalg, &out->sigalg_len))
		return bad(e, "signature algorithm missing");
	if (!pc_der_read(&si, DER_OCTET_STRING, &tmp) || pc_reader_left(&tmp) == 0)
		return bad(e, "signature value missing");
	out->sig = at(&tmp);
	out->sig_len = pc_reader_left(&tmp);
	/* unsignedAttrs [1]: not covered by the signature, so not read */
	if (!pc_der_read_opt(&si, DER_CTX_CONS | 1, &tmp, &present) || !pc_reader_done(&si))
		return bad(e, "SignerInfo has trailing data");
	if (out->digest_len != pkix_hash_len(dh))
		return bad(e, "message digest length does not match the digest algorithm");
	return PC_OK;
}

pc_rc pkix_cms_parse(const uint8_t *der, size_t len, pkix_cms_attr_fn fn, void *ctx,
    pkix_cms *out, pc_err *e)
{
	pc_rc rc;

	memset(out, 0, sizeof *out);
	if ((rc = cms_parse(der, len, fn, ctx, out, e)) != PC_OK)
		memset(out, 0, sizeof *out);
	return rc;
}

const pkix_cert *pkix_cms_signer(const pkix_cms *c, const pkix_cert *certs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (certs[i].issuer_len == c->sid_issuer_len &&
		    memcmp(certs[i].issuer, c->sid_issuer, c->sid_issuer_len) == 0 &&
		    certs[i].serial_len == c->sid_serial_len &&
		    memcmp(certs[i].serial, c->sid_serial, c->sid_serial_len) == 0)
			return &certs[i];
	return NULL;
}

/* The attributes under the SET OF tag: what the signature covers (§5.4). */
PC_CHECK static pc_rc signed_bytes(const uint8_t *attrs, size_t len, pc_buf *out, pc_err *e)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_tlv(&d, DER_SET, attrs, len);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	*out = d.b;
	return PC_OK;
}

pc_rc pkix_cms_verify(const pkix_cms *c, const pkix_cert *signer, pc_err *e)
{
	const pkix_sigalg *alg;
	pkix_pubkey key;
	pc_buf tbs = PC_BUF_INIT;
	char w[200];
	pc_rc rc;

	pkix_cert_label(signer, w, sizeof w);
	if ((rc = pkix_sigalg_read(c->sigalg, c->sigalg_len, "signature", &alg, e)) != PC_OK ||
	    (rc = pkix_pubkey_parse(signer->spki, signer->spki_len, w, PC_E_SIGNATURE, &key,
	    e)) != PC_OK)
		return pc_fail(e, PC_E_SIGNATURE, "signature by %s: %s", w, e->msg);
	if (alg->hash != PKIX_HASH_NONE && alg->hash != c->hash)
		return pc_fail(e, PC_E_SIGNATURE, "signature by %s: %s with %s digests", w,
		    alg->name, pkix_hash_name(c->hash));
	PC_TRY(signed_bytes(c->attrs, c->attrs_len, &tbs, e));
	if ((rc = pkix_verify(&key, alg, tbs.p, tbs.len, c->sig, c->sig_len, "signature",
	    e)) != PC_OK)
		pc_wrap(e, "signature by %s", w);
	pc_buf_free(&tbs);
	return rc;
}

/* ============================================= writing shape 2 */

/* DER SET OF: elements in ascending order of their encodings (X.690 §11.6) */
typedef struct enc { uint8_t *p; size_t len; } enc;

static int enc_cmp(const void *a, const void *b)
{
	const enc *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Attribute { type, SET { value } } into *out; false when out of memory. */
static bool attr_one(enc *out, pkix_oid type, const uint8_t *value, size_t len)
{
	size_t ol;
	const uint8_t *o = pkix_oid_bytes(type, &ol);
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, o, ol);
	pc_der_begin(&d, DER_SET);
	pc_der_raw(&d, value, len);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return false;
	}
	out->p = pc_buf_steal(&d.b, &out->len);
	return out->p != NULL;
}

/* One value TLV written by `d`, as attribute `type`. */
static bool attr_der(enc *out, pkix_oid type, pc_der *d)
{
	bool ok = pc_der_ok(d) && attr_one(out, type, d->b.p, d->b.len);

	pc_der_free(d);
	return ok;
}

pc_rc pkix_cms_attrs_build(const uint8_t *digest, size_t digest_len, time_t signing_time,
    const pkix_cms_attr *extra, size_t nextra, pc_buf *attrs, pc_buf *tbs, pc_err *e)
{
	enc a[3 + PKIX_CMS_ATTRS_MAX];
	size_t n = 0, i, ol;
	const uint8_t *o;
	pc_der v;
	bool ok = true;
	pc_rc rc;

	if (nextra > PKIX_CMS_ATTRS_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d signed attributes", PKIX_CMS_ATTRS_MAX + 3);
	memset(a, 0, sizeof a);
	/* contentType id-data (§11.1) */
	o = pkix_oid_bytes(PKIX_OID_CMS_DATA, &ol);
	pc_der_init(&v);
	pc_der_oid(&v, o, ol);
	ok = attr_der(&a[n++], PKIX_OID_CMS_CONTENT_TYPE, &v);
	/* messageDigest (§11.2) */
	pc_der_init(&v);
	pc_der_tlv(&v, DER_OCTET_STRING, digest, digest_len);
	ok = ok && attr_der(&a[n++], PKIX_OID_CMS_MESSAGE_DIGEST, &v);
	/* signingTime (§11.3: UTCTime through 2049) */
	pc_der_init(&v);
	pc_der_time(&v, signing_time);
	ok = ok && attr_der(&a[n++], PKIX_OID_CMS_SIGNING_TIME, &v);
	for (i = 0; i < nextra && ok; i++)
		ok = attr_one(&a[n++], extra[i].type, extra[i].value, extra[i].len);
	if (ok) {
		qsort(a, n, sizeof a[0], enc_cmp);
		for (i = 0; i < n; i++)
			pc_buf_append(attrs, a[i].p, a[i].len);
	}
	for (i = 0; i < n; i++)
		free(a[i].p);
	if (!ok || !pc_buf_ok(attrs))
		return pc_fail(e, PC_E_NOMEM, "cannot encode the signed attributes");
	if ((rc = signed_bytes(attrs->p, attrs->len, tbs, e)) != PC_OK)
		pc_buf_free(attrs);
	return rc;
}

pc_rc pkix_cms_build(pkix_hash h, const uint8_t *const *certs, const size_t *cert_len,
    size_t ncerts, const pkix_cert *signer, const pc_buf *attrs, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t *sig, size_t sig_len, pc_buf *out, pc_err *e)
{
	pc_der d;
	size_t hal;
	const uint8_t *ha = pkix_hash_algid(h, &hal);

	pc_der_init(&d);
	begin_signed_data(&d);
	pc_der_begin(&d, DER_SET);                     /* digestAlgorithms */
	pc_der_raw(&d, ha, hal);
	pc_der_end(&d);
	encap_data(&d);
	certificates(&d, certs, cert_len, ncerts);
	pc_der_begin(&d, DER_SET);                     /* signerInfos */
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SEQUENCE);                /* issuerAndSerialNumber */
	pc_der_raw(&d, signer->issuer, signer->issuer_len);
	pc_der_tlv(&d, DER_INTEGER, signer->serial, signer->serial_len);
	pc_der_end(&d);
	pc_der_raw(&d, ha, hal);
	pc_der_tlv(&d, DER_CTX_CONS | 0, attrs->p, attrs->len);
	pc_der_raw(&d, sigalg, sigalg_len);
	pc_der_tlv(&d, DER_OCTET_STRING, sig, sig_len);
	pc_der_end(&d);
	pc_der_end(&d);
	return finish(&d, out, e, "signature");
}
