/*
 * verify.c - certificates, CRLs and chains as plantca-station checks them:
 * bundle members, the station's own root, files it wrote before, and the
 * check of a response's PKI against the station's root.  Everything X.509
 * is the PKIX layer's (pkix/: the certificate and CRL readers, the path
 * validator with name constraints and CRLs, the one verifier); this file
 * keeps the station's view of a certificate (st_cert, what the layouts
 * need) and the rules of a response.
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
	if (len == 0 || len > ST_CERT_FILE_MAX)
		return pc_fail(e, PC_E_INPUT, "%s: certificate of %zu bytes", what, len);
	c->der = malloc(len);
	if (c->der == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	memcpy(c->der, der, len);
	c->len = len;
	if (pkix_cert_parse(c->der, c->len, what, &c->pc, e) != PC_OK) {
		st_cert_free(c);
		return PC_E_INPUT;
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

/* The CA of that subject; of two with the same subject (the key
 * generations of a rolled CA) the one whose subjectKeyIdentifier is kid,
 * the authorityKeyIdentifier of what it issued (RFC 5280 §4.2.1.1). */
static const st_cert *certs_find_subject(const st_certs *s, const uint8_t *name, size_t len,
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
	return certs_find_subject(s, c->issuer, c->issuer_len, c->pc.aki, c->pc.aki_len);
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
		c->der = malloc(len ? len : 1);
		if (c->der == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		memcpy(c->der, p, len);
		c->len = len;
	}
	if (pkix_crl_parse(c->der, c->len, what, &c->pc, &why) != PC_OK) {
		st_crl_free(c);
		return pc_fail(e, PC_E_BUNDLE, "%s: not an X.509 CRL (%s)", what,
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

/* ---------------------------------------------------- the response's PKI */

void st_pki_free(st_pki *p)
{
	size_t i;

	st_cert_free(&p->root);
	st_cert_free(&p->prev);
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

/* The set of CA certificates: the station root (and the previous one,
 * rootnext.c), then chain.pem, trust.pem and trust.p7b, duplicates
 * removed.  Every one must be a CA, and the only self-signed ones allowed
 * are the station's own roots and one new root reached through NewWithOld
 * (st_root_continuity); pki_signatures then
 * verifies each from the root down.  Whatever the container, a certificate
 * the station writes as a CA goes through this one gate. */
PC_CHECK static pc_rc pki_cas(st_pki *a, const char *bundle, pc_err *e)
{
	const st_certs *src[3] = { &a->chain, &a->trust, &a->p7 };
	size_t i, k;

	free(a->cas.v);
	memset(&a->cas, 0, sizeof a->cas);
	a->next_i = 0;
	a->cas.v = calloc(2 + a->chain.n + a->trust.n + a->p7.n, sizeof *a->cas.v);
	if (a->cas.v == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	a->cas.v[a->cas.n++] = a->root;
	if (a->prev.der != NULL && st_certs_find_der(&a->cas, &a->prev) == NULL)
		a->cas.v[a->cas.n++] = a->prev;
	a->nroots = a->cas.n;
	for (k = 0; k < 3; k++) {
		for (i = 0; i < src[k]->n; i++) {
			const st_cert *c = &src[k]->v[i];
			if (!c->is_ca)
				return pc_fail(e, PC_E_BUNDLE, "%s: %s: certificate '%s' is not a CA",
				    bundle, src[k]->what, c->cn);
			if (st_certs_find_der(&a->cas, c) != NULL)
				continue;
			if (c->self_signed && a->next_i > 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: %s: root '%s': a second new root in one "
				    "response", bundle, src[k]->what, c->cn);
			if (c->self_signed) {
				PC_TRY(st_root_continuity(a, c, bundle, src[k]->what, e));
				a->next_i = a->cas.n;
			}
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
static int serial_order(const void *x, const void *y)
{
	const st_cert *a = *(const st_cert *const *)x, *b = *(const st_cert *const *)y;
	int c = strcmp(a->serial, b->serial);

	return c != 0 ? c : a < b ? -1 : a > b;
}

/* twice[i]: device i has the serial of an earlier one.  Sorted, not
 * compared pairwise (a response of 20,000 would be 2 * 10^8 compares). */
PC_CHECK static pc_rc pki_repeats(const st_certs *d, bool *twice, pc_err *e)
{
	const st_cert **v;
	size_t i;

	if (d->n == 0)
		return PC_OK;
	if ((v = calloc(d->n, sizeof *v)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < d->n; i++)
		v[i] = &d->v[i];
	qsort(v, d->n, sizeof *v, serial_order);
	for (i = 1; i < d->n; i++)
		if (strcmp(v[i - 1]->serial, v[i]->serial) == 0)
			twice[v[i] - d->v] = true;     /* the later of the two (serial_order) */
	free(v);
	return PC_OK;
}

PC_CHECK static pc_rc pki_names(const st_pki *a, const char *bundle, pc_err *e)
{
	bool *twice;
	size_t i;
	pc_rc rc = PC_OK;

	if ((twice = calloc(a->devices.n ? a->devices.n : 1, sizeof *twice)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if ((rc = pki_repeats(&a->devices, twice, e)) != PC_OK)
		goto out;
	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i];
		const st_cert *p = st_certs_find_issuer(&a->cas, c);
		if (c->self_signed || p == NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: certificate %s ('%s'): issuer is not a CA "
			    "in chain.pem or trust.pem", bundle, c->serial, c->cn);
			goto out;
		}
		if (twice[i]) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: certificate %s delivered twice", bundle,
			    c->serial);
			goto out;
		}
	}
	for (i = 0; i < a->ncrls; i++)
		if (st_pki_crl_issuer(a, &a->crls[i]) == NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: issuer is not a CA of this "
			    "station's PKI", bundle, a->crls[i].stem);
			goto out;
		}
out:
	free(twice);
	return rc;
}

/* The message of a pkix refusal without its leading "WHAT: ". */
static const char *reason_of(const pc_err *x, const char *what)
{
	size_t n = strlen(what);

	return strncmp(x->msg, what, n) == 0 && x->msg[n] == ':' && x->msg[n + 1] == ' ' ?
	    x->msg + n + 2 : x->msg;
}

/* One device certificate's chain, on one of several threads (par.c):
 * pkix_chain_verify only reads the options and certificates. */
typedef struct dev_job {
	const st_pki *a;
	const pkix_chain_opts *o;
	const char *bundle;
} dev_job;

PC_CHECK static pc_rc dev_verify(void *ctx, size_t i, pc_err *e)
{
	const dev_job *j = ctx;
	const st_cert *c = &j->a->devices.v[i];
	pkix_chain ch;
	pc_err why;

	if (pkix_chain_verify(&c->pc, j->o, &ch, &why) != PC_OK)
		return pc_fail(e, PC_E_BUNDLE, "%s: certificate %s ('%s'): %s", j->bundle, c->serial,
		    c->cn, why.msg);
	return PC_OK;
}

/* The chains (RFC 5280 §6.1), by the one path validator: every CA from the
 * station's own root down, then each delivered certificate, with the
 * delivered CRLs; then each CRL by its CA.  The bundle signature already
 * says the CA sent these bytes; this says they are the PKI the station
 * was set up with, so a mixed-up export cannot install certificates that
 * the plant's TLS and OPC UA peers would reject.  A device certificate's
 * own dates are not judged (plant clocks are often wrong, and the CA
 * issued it moments before export); everything above it is. */
PC_CHECK static pc_rc pki_signatures(const st_pki *a, const char *bundle, pc_err *e)
{
	pkix_cert *pool;
	pkix_crl *crls = NULL;
	pkix_chain_opts o;
	pkix_chain_memo memo;
	pkix_chain ch;
	pc_err why;
	time_t now = time(NULL);
	size_t i;
	pc_rc rc = PC_OK;

	pool = calloc(a->cas.n, sizeof *pool);
	if (a->ncrls)
		crls = calloc(a->ncrls, sizeof *crls);
	if (pool == NULL || (a->ncrls && crls == NULL)) {
		free(pool);
		free(crls);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < a->ncrls; i++)
		crls[i] = a->crls[i].pc;
	/* the anchors first: the station's root, the previous one and a new
	 * one reached through NewWithOld (pki_cas); the pool after them */
	{
		size_t na = 0, np = a->cas.n;
		for (i = 0; i < a->cas.n; i++) {
			bool anchor = i < a->nroots || (a->next_i && i == a->next_i);
			pool[anchor ? na++ : --np] = a->cas.v[i].pc;
		}
		memset(&o, 0, sizeof o);
		o.anchors = pool;
		o.nanchors = na;
		o.pool = pool + na;
		o.npool = a->cas.n - na;
	}
	o.now = now;
	o.role = "CA";
	/* the CAs' certificates and CRLs, once: each device's chain below
	 * then checks only its own certificate's signature (chain.h) */
	memset(&memo, 0, sizeof memo);
	o.memo = &memo;
	if (pkix_chain_verify(&a->root.pc, &o, &ch, &why) != PC_OK) {
		rc = pc_fail(e, PC_E_CRYPTO, "station root (DIR/root.pem) cannot be used as a trust "
		    "anchor: %s", why.msg);
		goto out;
	}
	for (i = 1; i < a->cas.n && rc == PC_OK; i++) {
		const st_cert *c = &a->cas.v[i];
		if (pkix_chain_verify(&c->pc, &o, &ch, &why) != PC_OK)
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s: CA certificate '%s': %s", bundle, c->from,
			    c->cn, why.msg);
	}
	/* CRLs (RFC 5280 §6.3.3 (f)): signed by the CA that issued them */
	for (i = 0; i < a->ncrls && rc == PC_OK; i++) {
		const st_cert *ca = st_pki_crl_issuer(a, &a->crls[i]);
		char what[ST_FILE_STEM_MAX + 8];
		if (a->crls[i].next_update != 0 && a->crls[i].next_update < now) {
			char when[PC_TIME_TEXT_MAX];
			pc_time_text(a->crls[i].next_update, when);
			rc = pc_fail(e, PC_E_EXPIRED, "%s: %s.crl: expired (nextUpdate %s): the CA must "
			    "export a fresh CRL, or this station's clock is wrong", bundle,
			    a->crls[i].stem, when);
			break;
		}
		snprintf(what, sizeof what, "%s.crl", a->crls[i].stem);
		if (ca == NULL || pkix_crl_verify(&crls[i], &ca->pc, 0, &memo, what, &why) != PC_OK)
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: its signature does not verify with its "
			    "CA%s%s", bundle, a->crls[i].stem, ca ? ": " : "", ca ? reason_of(&why, what) : "");
		else if (a->crls[i].pc.this_update > now + ST_CLOCK_SKEW)
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: CRL dates not valid now (thisUpdate in "
			    "the future: check this station's clock)", bundle, a->crls[i].stem);
	}
	/* the device certificates, with the delivered CRLs */
	o.crls = crls;
	o.ncrls = a->ncrls;
	memo.frozen = true;
	o.role = "certificate";
	o.skip_target_dates = true;       /* see above */
	if (rc == PC_OK && a->devices.n > 0) {
		dev_job j = { a, &o, bundle };
		rc = st_par_run(a->devices.n, a->threads ? a->threads : 1, dev_verify, &j, e);
	}
out:
	free(pool);
	free(crls);
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
	return certs_find_subject(&p->cas, c->issuer, c->issuer_len, c->pc.aki, c->pc.aki_len);
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
