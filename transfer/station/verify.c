/*
 * verify.c - certificates, CRLs and chains as plantca-station checks them:
 * the station's reader of certificates and CRLs (bundle members, its own
 * root, files it wrote before) and the check of a response's PKI against
 * the station's root.  The only station file that parses X.509 or calls
 * wolfSSL; its interface is the verify.c part of station.h, so that the
 * insides can move to pkix/ without touching the verbs.
 */
#include <wolfssl/options.h>
#include <wolfssl/ssl.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/asn.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "file.h"
#include "pem.h"
#include "station.h"

/* ------------------------------------------------------------ certificates */

void st_cert_free(st_cert *c)
{
	free(c->der);
	memset(c, 0, sizeof *c);
}

/* 2.5.29.17 */
static const uint8_t oid_san[] = { 0x55, 0x1d, 0x11 };

/* Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension (RFC 5280 §4.1):
 * collects the subjectAltName entries.  False: malformed, or SAN twice
 * (§4.2: an extension appears at most once).  *over: more than ST_SAN_MAX. */
static bool cert_exts(pc_reader exts, st_cert *c, bool *over)
{
	bool seen = false;

	if (pc_reader_left(&exts) == 0)
		return false;
	while (pc_reader_left(&exts) > 0) {
		pc_reader ext, oid, crit, val, names, gn;
		const uint8_t *w;
		size_t wl;
		uint8_t tag;
		bool cp;

		if (!pc_der_read(&exts, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid) ||
		    !pc_der_read_opt(&ext, DER_BOOLEAN, &crit, &cp) ||
		    !pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext))
			return false;
		if (pc_reader_left(&oid) != sizeof oid_san ||
		    memcmp(st_reader_at(&oid), oid_san, sizeof oid_san) != 0)
			continue;
		/* GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
		if (seen || !pc_der_read(&val, DER_SEQUENCE, &names) || !pc_reader_done(&val) ||
		    pc_reader_left(&names) == 0)
			return false;
		seen = true;
		while (pc_reader_left(&names) > 0) {
			if (!pc_der_read_any(&names, &tag, &gn, &w, &wl) || (tag & 0xc0) != DER_CTX)
				return false;
			if (c->nsan == ST_SAN_MAX) {
				*over = true;
				return false;
			}
			c->san[c->nsan] = w;
			c->san_len[c->nsan] = wl;
			c->nsan++;
		}
	}
	return true;
}

/* One certificate, parsed twice: our strict DER reader finds the raw issuer
 * and subject names (for subject == issuer comparisons, RFC 5280 §4.1.2.4
 * and §4.1.2.6), the serial, notBefore and the subjectAltName entries;
 * wolfSSL parses the whole certificate (no signature check here) and gives
 * the CN and basicConstraints. */
pc_rc st_cert_parse(const uint8_t *der, size_t len, const char *what, st_cert *c, pc_err *e)
{
	pc_reader r, cert, tbs, x, val;
	const uint8_t *w, *sp;
	size_t wl, sl, i;
	uint8_t tag;
	bool present, over = false;
	DecodedCert dc;
	int ret;

	memset(c, 0, sizeof *c);
	if (len == 0 || len > ST_CERT_FILE_MAX)
		return pc_fail(e, PC_E_INPUT, "%s: certificate of %zu bytes", what, len);
	c->der = malloc(len);
	if (c->der == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	memcpy(c->der, der, len);
	c->len = len;

	/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } */
	r = pc_reader_make(c->der, c->len);
	if (!pc_der_read(&r, DER_SEQUENCE, &cert) || !pc_reader_done(&r) ||
	    !pc_der_read(&cert, DER_SEQUENCE, &tbs) ||
	    !pc_der_read(&cert, DER_SEQUENCE, &x) || !pc_der_read(&cert, DER_BIT_STRING, &x) ||
	    !pc_reader_done(&cert) ||
	    !pc_der_read_opt(&tbs, DER_CTX_CONS | 0, &x, &present) ||
	    !pc_der_read(&tbs, DER_INTEGER, &x))
		goto bad;
	sp = st_reader_at(&x);
	sl = pc_reader_left(&x);
	if (sl > 1 && sp[0] == 0) {
		sp++;
		sl--;
	}
	if (sl == 0 || sl > ST_SERIAL_MAX)
		goto bad;
	for (i = 0; i < sl; i++)
		snprintf(c->serial + 2 * i, 3, "%02x", sp[i]);
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&tbs, &tag, &x, &w, &wl) || tag != DER_SEQUENCE)
		goto bad;
	c->issuer = w;
	c->issuer_len = wl;
	/* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
	if (!pc_der_read(&tbs, DER_SEQUENCE, &val) || !pc_der_read_any(&val, &tag, &x, NULL, NULL) ||
	    !pc_der_parse_time(tag, x, &c->not_before) ||
	    !pc_der_read_any(&tbs, &tag, &x, &w, &wl) || tag != DER_SEQUENCE)
		goto bad;
	c->subject = w;
	c->subject_len = wl;
	/* subjectPublicKeyInfo, [1] issuerUniqueID, [2] subjectUniqueID,
	 * [3] extensions, and nothing after them */
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_opt(&tbs, DER_CTX | 1, &x, &present) ||
	    !pc_der_read_opt(&tbs, DER_CTX | 2, &x, &present) ||
	    !pc_der_read_opt(&tbs, DER_CTX_CONS | 3, &x, &present))
		goto bad;
	if (present) {
		pc_reader exts;
		if (!pc_der_read(&x, DER_SEQUENCE, &exts) || !pc_reader_done(&x) ||
		    !cert_exts(exts, c, &over)) {
			if (over) {
				st_cert_free(c);
				return pc_fail(e, PC_E_LIMIT, "%s: more than %d subjectAltName entries",
				    what, ST_SAN_MAX);
			}
			goto bad;
		}
	}
	if (!pc_reader_done(&tbs))
		goto bad;
	c->self_signed = c->issuer_len == c->subject_len &&
	    memcmp(c->issuer, c->subject, c->subject_len) == 0;

	wc_InitDecodedCert(&dc, c->der, (word32)c->len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
	if (ret == 0) {
		c->is_ca = dc.isCA;
		if (dc.subjectCN != NULL && dc.subjectCNLen > 0 && dc.subjectCNLen <= ST_CN_MAX) {
			int k;
			memcpy(c->cn, dc.subjectCN, (size_t)dc.subjectCNLen);
			c->cn[dc.subjectCNLen] = '\0';
			/* printed in messages: no terminal control bytes */
			for (k = 0; k < dc.subjectCNLen; k++)
				if ((unsigned char)c->cn[k] < 0x20 || c->cn[k] == 0x7f)
					c->cn[k] = '?';
		}
	}
	wc_FreeDecodedCert(&dc);
	if (ret != 0) {
		st_cert_free(c);
		return pc_fail(e, PC_E_INPUT, "%s: certificate does not parse (wolfSSL %d)", what, ret);
	}
	return PC_OK;
bad:
	st_cert_free(c);
	return pc_fail(e, PC_E_INPUT, "%s: not a DER X.509 certificate", what);
}

pc_rc st_cert_load(const uint8_t *p, size_t len, const char *what, st_cert *c, pc_err *e)
{
	static const char *const labels[] = { "CERTIFICATE", NULL };
	uint8_t *der;
	size_t dlen;
	pc_rc rc;

	memset(c, 0, sizeof *c);
	if (!pc_pem_looks_like(p, len))
		return st_cert_parse(p, len, what, c, e);
	if ((rc = pc_pem_decode(p, len, labels, &der, &dlen, NULL, e)) != PC_OK)
		return pc_wrap(e, "%s", what);
	rc = st_cert_parse(der, dlen, what, c, e);
	free(der);
	return rc;
}

typedef struct first_cert {
	st_cert *c;
	const char *what;
} first_cert;

PC_CHECK static pc_rc first_cert_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	first_cert *f = ctx;

	/* the device certificate comes first; its chain after it is ours */
	if (f->c->der != NULL)
		return PC_OK;
	return st_cert_parse(der, len, f->what, f->c, e);
}

pc_rc st_cert_load_first(const uint8_t *p, size_t len, const char *what, st_cert *c, pc_err *e)
{
	first_cert f = { c, what };
	pc_rc rc;

	memset(c, 0, sizeof *c);
	if (!pc_pem_looks_like(p, len))
		return st_cert_parse(p, len, what, c, e);
	if ((rc = pc_pem_decode_all(p, len, "CERTIFICATE", first_cert_cb, &f, e)) != PC_OK)
		st_cert_free(c);
	return rc;
}

pc_rc st_root_load(const char *path, st_cert *root, pc_err *e)
{
	uint8_t *text;
	size_t len;
	pc_rc rc;

	memset(root, 0, sizeof *root);
	PC_TRY(pc_file_read(path, ST_CERT_FILE_MAX, &text, &len, e));
	if (!pc_pem_looks_like(text, len)) {
		free(text);
		return pc_fail(e, PC_E_INPUT, "%s: not a PEM certificate", path);
	}
	rc = st_cert_load(text, len, path, root, e);
	free(text);
	if (rc != PC_OK)
		return rc;
	if (!root->self_signed || !root->is_ca) {
		st_cert_free(root);
		return pc_fail(e, PC_E_INPUT, "%s: not a self-signed CA certificate (a plant root "
		    "has subject == issuer and basicConstraints cA)", path);
	}
	return PC_OK;
}

/* ------------------------------------------------------- certificate sets */

void st_certs_free(st_certs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		st_cert_free(&s->v[i]);
	free(s->v);
	memset(s, 0, sizeof *s);
}

pc_rc st_certs_push(st_certs *s, st_cert *c, pc_err *e)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		st_cert *v = realloc(s->v, cap * sizeof *v);
		if (v == NULL) {
			st_cert_free(c);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = *c;
	return PC_OK;
}

pc_rc st_certs_add_der(st_certs *s, const uint8_t *der, size_t len, pc_err *e)
{
	st_cert c;

	PC_TRY(st_cert_parse(der, len, s->what, &c, e));
	c.from = s->what;
	return st_certs_push(s, &c, e);
}

PC_CHECK static pc_rc certs_add_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	return st_certs_add_der(ctx, der, len, e);
}

pc_rc st_certs_add_pem(st_certs *s, const uint8_t *p, size_t len, pc_err *e)
{
	return pc_pem_decode_all(p, len, "CERTIFICATE", certs_add_cb, s, e);
}

const st_cert *st_certs_find_der(const st_certs *s, const st_cert *c)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len == c->len && memcmp(s->v[i].der, c->der, c->len) == 0)
			return &s->v[i];
	return NULL;
}

static const st_cert *certs_find_subject(const st_certs *s, const uint8_t *name, size_t len)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].subject_len == len && memcmp(s->v[i].subject, name, len) == 0)
			return &s->v[i];
	return NULL;
}

const st_cert *st_certs_find_issuer(const st_certs *s, const st_cert *c)
{
	return certs_find_subject(s, c->issuer, c->issuer_len);
}

/* ------------------------------------------------------------------- CRLs */

/* RFC 5280 §5.1: CertificateList ::= SEQUENCE { tbsCertList SEQUENCE {
 * version INTEGER OPTIONAL, signature AlgorithmIdentifier, issuer Name,
 * thisUpdate Time, nextUpdate Time OPTIONAL, ... }, signatureAlgorithm,
 * signatureValue BIT STRING }.  Only the shape and the names are read here;
 * st_pki_verify checks the signature. */
pc_rc st_crl_parse(const uint8_t *p, size_t len, const char *what, st_crl *c, pc_err *e)
{
	static const char *const labels[] = { "X509 CRL", NULL };
	pc_reader r, crl, tbs, x;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;

	c->der = NULL;
	c->len = 0;
	c->issuer = NULL;
	c->issuer_len = 0;
	c->next_update = 0;
	if (pc_pem_looks_like(p, len)) {
		if (pc_pem_decode(p, len, labels, &c->der, &c->len, NULL, e) != PC_OK)
			return pc_wrap(e, "%s", what);
	} else {
		c->der = malloc(len ? len : 1);
		if (c->der == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		memcpy(c->der, p, len);
		c->len = len;
	}
	r = pc_reader_make(c->der, c->len);
	if (!pc_der_read(&r, DER_SEQUENCE, &crl) || !pc_reader_done(&r) ||
	    !pc_der_read(&crl, DER_SEQUENCE, &tbs) ||
	    !pc_der_read(&crl, DER_SEQUENCE, &x) || !pc_der_read(&crl, DER_BIT_STRING, &x) ||
	    !pc_reader_done(&crl))
		goto bad;
	if (pc_reader_peek(&tbs) == DER_INTEGER && !pc_der_read(&tbs, DER_INTEGER, &x))
		goto bad;
	if (!pc_der_read(&tbs, DER_SEQUENCE, &x) ||
	    !pc_der_read_any(&tbs, &tag, &x, &w, &wl) || tag != DER_SEQUENCE ||
	    !pc_der_read_any(&tbs, &tag, &x, NULL, NULL) ||
	    (tag != DER_UTCTIME && tag != DER_GENERALIZEDTIME))
		goto bad;
	c->issuer = w;
	c->issuer_len = wl;
	if (pc_reader_peek(&tbs) == DER_UTCTIME || pc_reader_peek(&tbs) == DER_GENERALIZEDTIME) {
		if (!pc_der_read_any(&tbs, &tag, &x, NULL, NULL) ||
		    !pc_der_parse_time(tag, x, &c->next_update))
			goto bad;
	}
	return PC_OK;
bad:
	st_crl_free(c);
	return pc_fail(e, PC_E_BUNDLE, "%s: not an X.509 CRL", what);
}

void st_crl_free(st_crl *c)
{
	free(c->der);
	c->der = NULL;
	c->len = 0;
	c->issuer = NULL;
	c->issuer_len = 0;
}

/* ---------------------------------------------------- the response's PKI */

void st_pki_free(st_pki *p)
{
	size_t i;

	st_cert_free(&p->root);
	st_certs_free(&p->chain);
	st_certs_free(&p->trust);
	st_certs_free(&p->p7);
	/* cas holds copies of pointers owned by chain/trust/p7/root: free only the array */
	free(p->cas.v);
	st_certs_free(&p->devices);
	for (i = 0; i < p->ncrls; i++)
		st_crl_free(&p->crls[i]);
	free(p->crls);
	memset(p, 0, sizeof *p);
}

/* The set of CA certificates: the station root, then chain.pem, trust.pem
 * and trust.p7b, duplicates removed.  Every one must be a CA, and the only
 * self-signed one allowed is the station's own root; pki_signatures then
 * verifies each from the root down.  Whatever the container, a certificate
 * the station writes as a CA goes through this one gate. */
PC_CHECK static pc_rc pki_cas(st_pki *a, const char *bundle, pc_err *e)
{
	const st_certs *src[3] = { &a->chain, &a->trust, &a->p7 };
	size_t i, k;

	free(a->cas.v);
	memset(&a->cas, 0, sizeof a->cas);
	a->cas.v = calloc(1 + a->chain.n + a->trust.n + a->p7.n, sizeof *a->cas.v);
	if (a->cas.v == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	a->cas.v[a->cas.n++] = a->root;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < src[k]->n; i++) {
			const st_cert *c = &src[k]->v[i];
			if (!c->is_ca)
				return pc_fail(e, PC_E_BUNDLE, "%s: %s: certificate '%s' is not a CA",
				    bundle, src[k]->what, c->cn);
			if (c->self_signed && (c->len != a->root.len ||
			    memcmp(c->der, a->root.der, c->len) != 0))
				return pc_fail(e, PC_E_BUNDLE, "%s: %s: root '%s' is not the root this "
				    "station trusts (DIR/root.pem)", bundle, src[k]->what, c->cn);
			if (st_certs_find_der(&a->cas, c) == NULL)
				a->cas.v[a->cas.n++] = *c;
		}
	}
	/* every CA must chain by name to the station's root */
	for (i = 1; i < a->cas.n; i++) {
		const st_cert *c = &a->cas.v[i];
		for (k = 0; k < ST_CHAIN_DEPTH_MAX && !c->self_signed; k++) {
			c = st_certs_find_issuer(&a->cas, c);
			if (c == NULL)
				break;
		}
		if (c == NULL || !c->self_signed)
			return pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s' does not chain to the "
			    "station's root", bundle, a->cas.v[i].from, a->cas.v[i].cn);
	}
	return PC_OK;
}

/* Nothing is written before every certificate and CRL has been matched to
 * the station's root: this turns a signed-but-inconsistent response (a CA
 * bug, a mix-up between plants) into a refusal instead of a broken store. */
PC_CHECK static pc_rc pki_names(const st_pki *a, const char *bundle, pc_err *e)
{
	size_t i, k;

	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i];
		const st_cert *p = st_certs_find_issuer(&a->cas, c);
		if (c->self_signed || p == NULL)
			return pc_fail(e, PC_E_BUNDLE, "%s: certificate %s ('%s'): issuer is not a CA "
			    "in chain.pem or trust.pem", bundle, c->serial, c->cn);
		for (k = 0; k < i; k++)
			if (strcmp(a->devices.v[k].serial, c->serial) == 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: certificate %s delivered twice",
				    bundle, c->serial);
	}
	for (i = 0; i < a->ncrls; i++)
		if (st_pki_crl_issuer(a, &a->crls[i]) == NULL)
			return pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: issuer is not a CA of this "
			    "station's PKI", bundle, a->crls[i].stem);
	return PC_OK;
}

/* The signature of c, checked with `issuer`'s public key alone. */
static int signature_only(const st_cert *c, const st_cert *issuer)
{
	DecodedCert dc;
	int ret;

	wc_InitDecodedCert(&dc, issuer->der, (word32)issuer->len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, NO_VERIFY, NULL);
	if (ret == 0)
		ret = wc_CheckCertSigPubKey(c->der, (word32)c->len, NULL, dc.publicKey, dc.pubKeySize,
		    (int)dc.keyOID);
	wc_FreeDecodedCert(&dc);
	return ret;
}

/* wolfSSL verifies c's signature with its issuer from cm (found by AKI or
 * issuer name).  Dates are skipped: plant clocks are often wrong, and the CA
 * issued these certificates moments before export. */
static int verify_with(WOLFSSL_CERT_MANAGER *cm, const st_cert *c, const st_cert *issuer)
{
	DecodedCert dc;
	int ret;

	wc_InitDecodedCert(&dc, c->der, (word32)c->len, NULL);
	ret = wc_ParseCert(&dc, CERT_TYPE, VERIFY_SKIP_DATE, cm);
	wc_FreeDecodedCert(&dc);
	/* wolfSSL 5.5.4 refuses an iPAddress SAN under an iPAddress name
	 * constraint it cannot evaluate (ASN_NAME_INVALID_E), although OpenSSL
	 * and GnuTLS accept the same chain.  The CA checked the constraints
	 * before signing (pre-issuance check); here the signature is what must
	 * hold, so check that alone. */
	if (ret == ASN_NAME_INVALID_E && issuer != NULL)
		ret = signature_only(c, issuer);
	return ret;
}

/* Signatures (RFC 5280 §6.1.3 (a)(1)): from the station's own root down,
 * each CA certificate is verified by its issuer before it may vouch for
 * others, then each delivered certificate by its CA.  The bundle signature
 * already says the CA sent these bytes; this says they are the PKI the
 * station was set up with, so a mixed-up export cannot install certificates
 * that the plant's TLS and OPC UA peers would reject. */
PC_CHECK static pc_rc pki_signatures(const st_pki *a, const char *bundle, pc_err *e)
{
	WOLFSSL_CERT_MANAGER *cm;
	bool *loaded, progress = true;
	size_t i;
	int ret;
	pc_rc rc = PC_OK;

	loaded = calloc(a->cas.n, sizeof *loaded);
	cm = wolfSSL_CertManagerNew();
	if (loaded == NULL || cm == NULL) {
		free(loaded);
		if (cm != NULL)
			wolfSSL_CertManagerFree(cm);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	/* cas.v[0] is the station's root (pki_cas) */
	ret = wolfSSL_CertManagerLoadCABuffer(cm, a->root.der, (long)a->root.len,
	    WOLFSSL_FILETYPE_ASN1);
	if (ret != WOLFSSL_SUCCESS) {
		rc = pc_fail(e, PC_E_CRYPTO, "station root (DIR/root.pem) cannot be used as a trust "
		    "anchor (wolfSSL %d; expired?)", ret);
		goto out;
	}
	loaded[0] = true;
	while (progress) {
		progress = false;
		for (i = 1; i < a->cas.n; i++) {
			const st_cert *c = &a->cas.v[i], *p;
			if (loaded[i] || (p = st_certs_find_issuer(&a->cas, c)) == NULL ||
			    !loaded[p - a->cas.v])
				continue;
			if ((ret = verify_with(cm, c, p)) != 0) {
				rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s': signature does "
				    "not verify with '%s' (wolfSSL %d)", bundle, c->from, c->cn, p->cn, ret);
				goto out;
			}
			ret = wolfSSL_CertManagerLoadCABuffer(cm, c->der, (long)c->len,
			    WOLFSSL_FILETYPE_ASN1);
			if (ret != WOLFSSL_SUCCESS) {
				rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s' cannot be used "
				    "(wolfSSL %d; expired or not yet valid?)", bundle, c->from, c->cn, ret);
				goto out;
			}
			loaded[i] = progress = true;
		}
	}
	for (i = 1; i < a->cas.n; i++)
		if (!loaded[i]) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s' does not chain to the "
			    "station's root", bundle, a->cas.v[i].from, a->cas.v[i].cn);
			goto out;
		}
	/* CRLs (RFC 5280 §6.3.3 (f)): signed by the CA that issued them */
	if (a->ncrls > 0 && (ret = wolfSSL_CertManagerEnableCRL(cm, 0)) != WOLFSSL_SUCCESS) {
		rc = pc_fail(e, PC_E_CRYPTO, "cannot enable CRL checking (wolfSSL %d)", ret);
		goto out;
	}
	for (i = 0; i < a->ncrls; i++) {
		/* wolfSSL 5.5.4 reports a CRL past nextUpdate as a parse error
		 * (ASN_PARSE_E) without checking its signature: say it ourselves */
		if (a->crls[i].next_update != 0 && a->crls[i].next_update < time(NULL)) {
			char when[32] = "?";
			struct tm tm;
			if (gmtime_r(&a->crls[i].next_update, &tm) != NULL)
				strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
			rc = pc_fail(e, PC_E_EXPIRED, "%s: %s.crl: expired (nextUpdate %s): the CA must "
			    "export a fresh CRL, or this station's clock is wrong", bundle,
			    a->crls[i].stem, when);
			goto out;
		}
		ret = wolfSSL_CertManagerLoadCRLBuffer(cm, a->crls[i].der, (long)a->crls[i].len,
		    WOLFSSL_FILETYPE_ASN1);
		if (ret != WOLFSSL_SUCCESS) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: %s (wolfSSL %d)", bundle, a->crls[i].stem,
			    ret == CRL_CERT_DATE_ERR || ret == ASN_AFTER_DATE_E ?
			    "CRL dates not valid now (check this station's clock)" :
			    "does not parse or its signature does not verify with its CA", ret);
			goto out;
		}
	}
	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i];
		if ((ret = verify_with(cm, c, st_certs_find_issuer(&a->cas, c))) != 0) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: certificate %s ('%s'): signature does not "
			    "verify with its CA (wolfSSL %d)", bundle, c->serial, c->cn, ret);
			goto out;
		}
	}
out:
	wolfSSL_CertManagerFree(cm);
	free(loaded);
	return rc;
}

pc_rc st_pki_verify(st_pki *p, const char *bundle, pc_err *e)
{
	PC_TRY(pki_cas(p, bundle, e));
	PC_TRY(pki_names(p, bundle, e));
	return pki_signatures(p, bundle, e);
}

const st_cert *st_pki_crl_issuer(const st_pki *p, const st_crl *c)
{
	return certs_find_subject(&p->cas, c->issuer, c->issuer_len);
}

bool st_pki_ca_issues_cas(const st_pki *p, const st_cert *c)
{
	size_t i;

	if (c->self_signed)
		return true;
	for (i = 0; i < p->cas.n; i++)
		if (!p->cas.v[i].self_signed && &p->cas.v[i] != c &&
		    p->cas.v[i].issuer_len == c->subject_len &&
		    memcmp(p->cas.v[i].issuer, c->subject, c->subject_len) == 0)
			return true;
	return false;
}
