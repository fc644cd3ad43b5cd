/*
 * certs.c - certificates and CRLs as plantca-station holds them: bundle
 * members, the station's own root, files it wrote before.  Read by the
 * PKIX layer (pkix_cert_parse, pkix_crl_parse); this file keeps the
 * station's view (st_cert, st_crl: what the layouts and messages need)
 * and sets of certificates with their look-ups.  The rules of a response
 * are in verify.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "der.h"
#include "file.h"
#include "pem.h"
#include "pkix.h"
#include "station.h"
#include "text.h"

/* ------------------------------------------------------------ certificates */

void st_cert_free(st_cert *c)
{
	free(c->der);
	memset(c, 0, sizeof *c);
}

/* One certificate: read by pkix_cert_parse (a copy of the bytes, which
 * the view points into), plus what the layouts use: the serial's
 * magnitude in hex, the CN for messages and file names, the SAN entries
 * as whole GeneralName TLVs (the device's identity, compared as bytes). */
pc_rc st_cert_parse(const uint8_t *der, size_t len, const char *what, st_cert *c, pc_err *e)
{
	const uint8_t *sp, *cn;
	size_t sl, i, cnl;
	pc_reader sans;

	memset(c, 0, sizeof *c);
	if (len == 0)
		return pc_fail(e, PC_E_INPUT, "%s: empty (0 bytes), not a certificate", what);
	if (len > ST_CERT_FILE_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: certificate of %zu bytes, more than the %d-byte "
		    "limit", what, len, ST_CERT_FILE_MAX);
	c->der = malloc(len);
	if (c->der == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	memcpy(c->der, der, len);
	c->len = len;
	if (pkix_cert_parse(c->der, c->len, what, &c->pc, e) != PC_OK) {
		st_cert_free(c);
		return e->rc == PC_E_LIMIT ? PC_E_LIMIT : PC_E_INPUT;
	}
	sp = c->pc.serial;
	sl = c->pc.serial_len;
	if (sl > 1 && sp[0] == 0) {
		sp++;
		sl--;
	}
	if (sl == 0 || sl > ST_SERIAL_MAX) {
		st_cert_free(c);
		return pc_fail(e, PC_E_INPUT, "%s: not a DER X.509 certificate (serial)", what);
	}
	pc_hex_str(c->serial, sizeof c->serial, sp, sl, 0);
	c->issuer = c->pc.issuer;
	c->issuer_len = c->pc.issuer_len;
	c->subject = c->pc.subject;
	c->subject_len = c->pc.subject_len;
	c->not_before = c->pc.not_before;
	c->is_ca = c->pc.is_ca;
	/* self-issued with its own key: a root.  A root roll's cross-
	 * certificates are self-issued too (same name), but their
	 * authorityKeyIdentifier is the other root's key */
	c->self_signed = pkix_cert_self_issued(&c->pc) && (c->pc.aki_len == 0 ||
	    (c->pc.aki_len == c->pc.ski_len && memcmp(c->pc.aki, c->pc.ski, c->pc.ski_len) == 0));
	/* printed in messages and used for file names: display-safe */
	if (pkix_name_find(c->subject, c->subject_len, PKIX_OID_AT_CN, &cn, &cnl) &&
	    cnl > 0 && cnl <= ST_CN_MAX) {
		for (i = 0; i < cnl; i++)
			c->cn[i] = cn[i] < 0x20 || cn[i] == 0x7f ? '?' : (char)cn[i];
		c->cn[cnl] = '\0';
	}
	/* the SAN entries, whole (the parse validated them) */
	sans = c->pc.san;
	while (pc_reader_left(&sans) > 0) {
		pc_reader gv;
		const uint8_t *w;
		size_t wl;
		uint8_t tag;
		if (!pc_der_read_any(&sans, &tag, &gv, &w, &wl))
			break;
		if (c->nsan == ST_SAN_MAX) {
			st_cert_free(c);
			return pc_fail(e, PC_E_LIMIT, "%s: more than %d subjectAltName entries", what,
			    ST_SAN_MAX);
		}
		c->san[c->nsan] = w;
		c->san_len[c->nsan] = wl;
		c->nsan++;
	}
	return PC_OK;
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
	bool cert_failed;       /* the refusal is the certificate's, named already */
} first_cert;

PC_CHECK static pc_rc first_cert_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	first_cert *f = ctx;

	/* the device certificate comes first; its chain after it is ours */
	if (f->c->der != NULL)
		return PC_OK;
	f->cert_failed = st_cert_parse(der, len, f->what, f->c, e) != PC_OK;
	return f->cert_failed ? e->rc : PC_OK;
}

pc_rc st_cert_load_first(const uint8_t *p, size_t len, const char *what, st_cert *c, pc_err *e)
{
	first_cert f = { c, what, false };
	pc_rc rc;

	memset(c, 0, sizeof *c);
	if (!pc_pem_looks_like(p, len))
		return st_cert_parse(p, len, what, c, e);
	if ((rc = pc_pem_decode_all(p, len, "CERTIFICATE", first_cert_cb, &f, e)) != PC_OK) {
		st_cert_free(c);
		/* the PEM reader's own refusals say which file too */
		if (!f.cert_failed)
			return pc_wrap(e, "%s", what);
	}
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
	if (!pc_grow(&s->v, &s->cap, s->n, sizeof *s->v, 8)) {
		st_cert_free(c);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
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

typedef struct certs_add {
	st_certs *s;
	bool cert_failed;       /* the refusal is a certificate's, named already */
} certs_add;

PC_CHECK static pc_rc certs_add_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	certs_add *a = ctx;
	pc_rc rc = st_certs_add_der(a->s, der, len, e);

	a->cert_failed = rc != PC_OK;
	return rc;
}

pc_rc st_certs_add_pem(st_certs *s, const uint8_t *p, size_t len, pc_err *e)
{
	certs_add a = { s, false };
	pc_rc rc = pc_pem_decode_all(p, len, "CERTIFICATE", certs_add_cb, &a, e);

	/* the PEM reader's own refusals say which file too */
	if (rc != PC_OK && !a.cert_failed && s->what != NULL)
		return pc_wrap(e, "%s", s->what);
	return rc;
}

const st_cert *st_certs_find_der(const st_certs *s, const st_cert *c)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (s->v[i].len == c->len && memcmp(s->v[i].der, c->der, c->len) == 0)
			return &s->v[i];
	return NULL;
}

/* The CA of that subject; of two with the same subject (the key
 * generations of a rolled CA) the one whose subjectKeyIdentifier is kid,
 * the authorityKeyIdentifier of what it issued (RFC 5280 §4.2.1.1). */
const st_cert *st_certs_find_subject(const st_certs *s, const uint8_t *name, size_t len,
    const uint8_t *kid, size_t kid_len)
{
	const st_cert *first = NULL;
	size_t i;

	for (i = 0; i < s->n; i++) {
		const pkix_cert *p = &s->v[i].pc;
		if (s->v[i].subject_len != len || memcmp(s->v[i].subject, name, len) != 0)
			continue;
		if (kid_len == 0 || (p->ski_len == kid_len && memcmp(p->ski, kid, kid_len) == 0))
			return &s->v[i];
		if (first == NULL)
			first = &s->v[i];
	}
	return first;
}

const st_cert *st_certs_find_issuer(const st_certs *s, const st_cert *c)
{
	return st_certs_find_subject(s, c->issuer, c->issuer_len, c->pc.aki, c->pc.aki_len);
}

/* ------------------------------------------------------------------- CRLs */

/* A CRL in PEM or DER, read by pkix_crl_parse; st_pki_verify checks its
 * signature and dates. */
pc_rc st_crl_parse(const uint8_t *p, size_t len, const char *what, st_crl *c, pc_err *e)
{
	static const char *const labels[] = { "X509 CRL", NULL };
	pc_err why;

	c->der = NULL;
	c->len = 0;
	c->issuer = NULL;
	c->issuer_len = 0;
	c->next_update = 0;
	if (pc_pem_looks_like(p, len)) {
		if (pc_pem_decode(p, len, labels, &c->der, &c->len, NULL, e) != PC_OK)
			return pc_wrap(e, "%s", what);
	} else {
		/* refused before the copy: the member may be as large as a bundle */
		if (len > PKIX_CRL_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: CRL of %zu bytes, more than the %d-byte "
			    "limit", what, len, PKIX_CRL_MAX);
		c->der = malloc(len ? len : 1);
		if (c->der == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		memcpy(c->der, p, len);
		c->len = len;
	}
	if (pkix_crl_parse(c->der, c->len, what, &c->pc, &why) != PC_OK) {
		st_crl_free(c);
		return pc_fail(e, why.rc == PC_E_LIMIT ? PC_E_LIMIT : PC_E_BUNDLE,
		    "%s: not an X.509 CRL (%s)", what,
		    strncmp(why.msg, what, strlen(what)) == 0 && why.msg[strlen(what)] == ':' ?
		    why.msg + strlen(what) + 2 : why.msg);
	}
	c->issuer = c->pc.issuer;
	c->issuer_len = c->pc.issuer_len;
	c->next_update = c->pc.next_update;
	return PC_OK;
}

void st_crl_free(st_crl *c)
{
	free(c->der);
	c->der = NULL;
	c->len = 0;
	c->issuer = NULL;
	c->issuer_len = 0;
}
