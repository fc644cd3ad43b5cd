/*
 * layout.c - what accept writes where in PKI_DIR: the flat and OPC UA
 * layouts planned from a verified response (st_pki), the rule that a
 * device certificate file is replaced only by the same identity (install.c
 * writes the plan).
 *
 * Output file names come from fixed names, parsed serials and sanitised
 * common names, never from a member name as given.  Certificates and CRLs
 * are re-encoded from the DER that was checked.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "pkix.h"
#include "file.h"
#include "pem.h"
#include "station.h"

/* ------------------------------------------------------------- the plan */

void st_outs_free(st_outs *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].rel);
		free(s->v[i].data);
	}
	free(s->v);
	memset(s, 0, sizeof *s);
}

pc_rc st_outs_add(st_outs *s, const char *rel, pc_buf *b, pc_err *e)
{
	if (!pc_buf_ok(b)) {
		pc_buf_free(b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (!pc_grow(&s->v, &s->cap, s->n, sizeof *s->v, 16)) {
		pc_buf_free(b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if ((s->v[s->n].rel = strdup(rel)) == NULL) {
		pc_buf_free(b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	s->v[s->n].cert = NULL;
	s->v[s->n].len = b->len;
	s->v[s->n].data = pc_buf_steal(b, &s->v[s->n].len);
	s->n++;
	if (s->v[s->n - 1].data == NULL) {
		/* an empty buffer steals as NULL: keep a valid pointer */
		s->v[s->n - 1].data = malloc(1);
		s->v[s->n - 1].len = 0;
		if (s->v[s->n - 1].data == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	return PC_OK;
}

static int out_order(const void *x, const void *y)
{
	const st_out *a = *(const st_out *const *)x, *b = *(const st_out *const *)y;
	int c = strcmp(a->rel, b->rel);

	/* equal names: in the order they were added, so the message is stable */
	return c != 0 ? c : a < b ? -1 : a > b;
}

/* Two outputs with the same name in one bundle would silently lose one:
 * refused.  Sorted, not compared pairwise: a response of 20,000
 * certificates has 40,000 outputs. */
pc_rc st_outs_unique(const st_outs *s, const char *bundle, pc_err *e)
{
	const st_out **v;
	size_t i;
	pc_rc rc = PC_OK;

	if (s->n < 2)
		return PC_OK;
	if ((v = calloc(s->n, sizeof *v)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < s->n; i++)
		v[i] = &s->v[i];
	qsort(v, s->n, sizeof *v, out_order);
	for (i = 1; i < s->n && rc == PC_OK; i++)
		if (strcmp(v[i - 1]->rel, v[i]->rel) == 0)
			rc = pc_fail(e, PC_E_BUNDLE, "%s: two outputs named %s", bundle, v[i]->rel);
	free(v);
	return rc;
}

static void put_cert(pc_buf *b, const st_cert *c, bool der)
{
	if (der)
		pc_buf_append(b, c->der, c->len);
	else
		pc_pem_encode(b, "CERTIFICATE", c->der, c->len);
}

static void put_crl(pc_buf *b, const st_crl *c, bool der)
{
	if (der)
		pc_buf_append(b, c->der, c->len);
	else
		pc_pem_encode(b, "X509 CRL", c->der, c->len);
}

void st_cert_stem(const st_cert *c, char out[ST_FILE_STEM_MAX + 1])
{
	if (!st_sanitise(c->cn, strlen(c->cn), out, ST_FILE_STEM_MAX))
		snprintf(out, ST_FILE_STEM_MAX + 1, "%s", c->serial);
}

/* ------------------------------------------------- identity of a device */

/* A device certificate file (own/certs/CN.pem, certs/SERIAL.pem) may be
 * replaced only by a certificate for the same identity: the same set of
 * subjectAltName entries (for OPC UA the URI entry is the ApplicationUri,
 * OPC 10000-6 §6.2.2, and the DNS/IP entries the host it runs on).  A
 * renewal keeps them, with a new key or not; a different device that
 * merely shares the CN does not.  Entries compare as sets of their exact
 * DER (order free, nothing normalised: the CA reproduces a renewal's
 * SANs byte for byte, and anything else fails safe). */
static bool san_has(const st_cert *c, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < c->nsan; i++)
		if (c->san_len[i] == n && memcmp(c->san[i], p, n) == 0)
			return true;
	return false;
}

static bool same_identity(const st_cert *x, const st_cert *y)
{
	size_t i;

	for (i = 0; i < x->nsan; i++)
		if (!san_has(y, x->san[i], x->san_len[i]))
			return false;
	for (i = 0; i < y->nsan; i++)
		if (!san_has(x, y->san[i], y->san_len[i]))
			return false;
	return true;
}

/* "uri:urn:acme:line3:srv, dns:srv.local, ip:10.3.0.5": each entry as
 * pkix_gn_view_text writes it (display-safe: they come from a
 * certificate); cut with "..." */
void st_san_text(const st_cert *c, char out[ST_SAN_TEXT_MAX + 1])
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	if (c->nsan == 0)
		pc_buf_str(&b, "no subjectAltName");
	for (i = 0; i < c->nsan; i++) {
		pc_reader r = pc_reader_make(c->san[i], c->san_len[i]);
		pkix_gn_view g;

		pc_buf_str(&b, i ? ", " : "");
		if (pkix_gn_read(&r, false, &g))
			pkix_gn_view_text(&g, &b);
		else
			pc_buf_str(&b, "?");   /* cannot happen: st_cert_parse read it */
	}
	if (!pc_buf_ok(&b)) {
		snprintf(out, ST_SAN_TEXT_MAX + 1, "?");
	} else if (b.len > ST_SAN_TEXT_MAX) {
		memcpy(out, b.p, ST_SAN_TEXT_MAX - 3);
		memcpy(out + ST_SAN_TEXT_MAX - 3, "...", 4);
	} else {
		memcpy(out, b.p, b.len);
		out[b.len] = '\0';
	}
	pc_buf_free(&b);
}

/* Before anything is written: every device certificate file the layout
 * would replace must hold a certificate of the same identity as the new
 * one (same_identity).  NAME.pem and NAME.der are one name to the
 * application configured with it (--der or not), so the file with the
 * other suffix is held to the same rule.  A file that holds no readable
 * certificate is not replaced either: it is not known whose it is. */
pc_rc st_layout_check_replacements(const char *pki, const st_outs *outs, const char *bundle,
    pc_err *e)
{
	char path[PATH_MAX], rel[PATH_MAX], was[ST_SAN_TEXT_MAX + 1], now[ST_SAN_TEXT_MAX + 1];
	struct stat st;
	size_t i, n;

	for (i = 0; i < 2 * outs->n; i++) {
		const st_cert *c = outs->v[i / 2].cert;
		st_cert old;
		uint8_t *buf;
		size_t len;
		pc_err why;
		pc_rc rc;

		if (c == NULL)
			continue;
		/* i even: the file itself; odd: the same name with the other suffix */
		snprintf(rel, sizeof rel, "%s", outs->v[i / 2].rel);
		n = strlen(rel);
		if (i % 2 == 1) {
			if (n < 4 || rel[n - 4] != '.')
				continue;
			memcpy(rel + n - 3, st_has_suffix(rel, ".pem") ? "der" : "pem", 3);
		}
		PC_TRY(st_path_join(path, pki, rel, e));
		if (lstat(path, &st) != 0) {
			if (errno == ENOENT)
				continue;
			return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
		}
		if ((rc = pc_file_read(path, ST_OWN_FILE_MAX, &buf, &len, &why)) != PC_OK)
			return pc_fail(e, rc, "%s (checking whose certificate it holds before "
			    "replacing it)", why.msg);
		rc = st_cert_load_first(buf, len, "certificate", &old, &why);
		free(buf);
		st_san_text(c, now);
		if (rc != PC_OK) {
			st_cert_free(&old);
			return pc_fail(e, PC_E_EXISTS, "%s: holds no certificate that can be read (%s), "
			    "so it is not known whose it is; %s would replace it with certificate %s "
			    "(%s): refused, nothing written (move the file away if it is not needed)",
			    path, why.msg, bundle, c->serial, now);
		}
		if (!same_identity(&old, c)) {
			st_san_text(&old, was);
			pc_fail(e, PC_E_EXISTS, "%s: holds certificate %s (%s), another identity than "
			    "certificate %s (%s) that %s delivers under this name: a file there is "
			    "replaced only by a renewal, with the same subjectAltName set (the "
			    "ApplicationUri): refused, nothing written (if the device really changed "
			    "its identity, move the old file away first)", path, old.serial, was,
			    c->serial, now, bundle);
			st_cert_free(&old);
			return e->rc;
		}
		st_cert_free(&old);
	}
	return PC_OK;
}

/* ------------------------------------------------------------- layouts */

PC_CHECK static pc_rc plan_flat(const st_pki *a, bool der, st_outs *outs, pc_err *e)
{
	char rel[PATH_MAX];
	size_t i;

	for (i = 0; i < a->devices.n; i++) {
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "certs/%s.%s", a->devices.v[i].serial, der ? "der" : "pem");
		put_cert(&b, &a->devices.v[i], der);
		PC_TRY(st_outs_add(outs, rel, &b, e));
		outs->v[outs->n - 1].cert = &a->devices.v[i];
	}
	/* chain.pem and trust.pem are rewritten from the parsed certificates:
	 * no text from the bundle besides base64 of checked DER */
	if (a->chain.n > 0) {
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i < a->chain.n; i++)
			put_cert(&b, &a->chain.v[i], false);
		PC_TRY(st_outs_add(outs, "chain.pem", &b, e));
	}
	if (a->trust.n > 0) {
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i < a->trust.n; i++)
			put_cert(&b, &a->trust.v[i], false);
		PC_TRY(st_outs_add(outs, "trust.pem", &b, e));
	}
	/* trust.p7b likewise: the certs-only PKCS#7 of the checked
	 * certificates (pkix_p7b_parse accepts only the canonical encoding, so
	 * these are the bytes that came, rebuilt from what was checked) */
	if (a->have_p7b) {
		const uint8_t *cv[PKIX_P7B_CERTS_MAX];
		size_t lv[PKIX_P7B_CERTS_MAX];
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i < a->p7.n && i < PKIX_P7B_CERTS_MAX; i++) {
			cv[i] = a->p7.v[i].der;
			lv[i] = a->p7.v[i].len;
		}
		if (pkix_p7b_build(cv, lv, i, &b, e) != PC_OK) {
			pc_buf_free(&b);
			return e->rc;
		}
		PC_TRY(st_outs_add(outs, "trust.p7b", &b, e));
	}
	for (i = 0; i < a->ncrls; i++) {
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "crl/%s.crl", a->crls[i].stem);
		put_crl(&b, &a->crls[i], der);
		PC_TRY(st_outs_add(outs, rel, &b, e));
	}
	return PC_OK;
}

typedef struct dev_stem {
	char stem[ST_FILE_STEM_MAX + 1];
	size_t i;                      /* index in devices */
	size_t first;                  /* where the run of this stem starts (sorted) */
} dev_stem;

static int stem_order(const void *x, const void *y)
{
	const dev_stem *a = x, *b = y;
	int c = strcmp(a->stem, b->stem);

	return c != 0 ? c : a->i < b->i ? -1 : a->i > b->i;
}

/* own/certs/CN.pem: an OPC UA application is configured with the path
 * of its own certificate, so the name is stable and a renewal lands in
 * the same file.  One name holds one identity (same_identity): two
 * devices with one CN in this bundle are refused here, one against a
 * file already there by st_layout_check_replacements. */
PC_CHECK static pc_rc plan_own(const st_pki *a, bool der, const char *bundle, st_outs *outs,
    pc_err *e)
{
	char rel[PATH_MAX], stem[ST_FILE_STEM_MAX + 1];
	const char *ext = der ? "der" : "pem";
	dev_stem *g = NULL;
	size_t *where = NULL, i, j, k;
	pc_rc rc = PC_OK;

	if (a->devices.n == 0)
		return PC_OK;
	g = calloc(a->devices.n, sizeof *g);
	where = calloc(a->devices.n, sizeof *where);
	if (g == NULL || where == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < a->devices.n; i++) {
		st_cert_stem(&a->devices.v[i], g[i].stem);
		g[i].i = i;
	}
	/* the devices that share a name, found by sorting: pairwise over a
	 * bundle of 20,000 would be 4 * 10^8 comparisons */
	qsort(g, a->devices.n, sizeof *g, stem_order);
	for (i = 0; i < a->devices.n; i++)
		g[i].first = i > 0 && strcmp(g[i - 1].stem, g[i].stem) == 0 ? g[i - 1].first : i;
	for (i = 0; i < a->devices.n; i++)
		where[g[i].i] = i;
	for (i = 0; i < a->devices.n; i++) {
		const st_cert *c = &a->devices.v[i], *p = c;
		const char *cstem = g[where[i]].stem;
		pc_buf b = PC_BUF_INIT;
		bool named = true;

		/* the others under this name, in bundle order (stem_order) */
		for (j = g[where[i]].first; j < a->devices.n && strcmp(g[j].stem, cstem) == 0; j++) {
			const st_cert *o = &a->devices.v[g[j].i];
			k = g[j].i;
			if (k == i)
				continue;
			if (!same_identity(o, c)) {
				char x[ST_SAN_TEXT_MAX + 1], y[ST_SAN_TEXT_MAX + 1];
				st_san_text(k < i ? o : c, x);
				st_san_text(k < i ? c : o, y);
				rc = pc_fail(e, PC_E_BUNDLE, "%s: certificates %s (%s) and %s (%s) would both "
				    "be own/certs/%s.%s: two identities under one name (CN '%s'); refused, "
				    "nothing written", bundle, (k < i ? o : c)->serial, x,
				    (k < i ? c : o)->serial, y, cstem, ext, c->cn);
				goto out;
			}
			/* the same identity twice (a renewal exported together with
			 * the certificate it renews): the newest takes the name, the
			 * others are still delivered, by serial */
			if (o->not_before > c->not_before || (o->not_before == c->not_before && k > i))
				named = false;
		}
		snprintf(stem, sizeof stem, "%s", named ? cstem : c->serial);
		snprintf(rel, sizeof rel, "own/certs/%s.%s", stem, ext);
		put_cert(&b, c, der);
		for (k = 0; !der && k < ST_CHAIN_DEPTH_MAX; k++) {
			p = st_certs_find_issuer(&a->cas, p);
			if (p == NULL || p->self_signed)
				break;
			put_cert(&b, p, false);
		}
		if ((rc = st_outs_add(outs, rel, &b, e)) != PC_OK)
			goto out;
		outs->v[outs->n - 1].cert = c;
	}
out:
	free(g);
	free(where);
	return rc;
}

/* A CA's file name in the OPC UA layout: its CN, and where two CAs share
 * one (the key generations of a rolled CA keep their subject) each gets
 * its serial after it, so that both stay in the store. */
static void ca_stem(const st_pki *a, const st_cert *c, char stem[ST_FILE_STEM_MAX + 1])
{
	char other[ST_FILE_STEM_MAX + 1];
	size_t i;

	st_cert_stem(c, stem);
	for (i = 1; i < a->cas.n; i++) {
		if (a->cas.v[i].len == c->len && memcmp(a->cas.v[i].der, c->der, c->len) == 0)
			continue;
		st_cert_stem(&a->cas.v[i], other);
		if (strcmp(other, stem) == 0) {
			size_t n = strlen(stem);
			if (n > ST_FILE_STEM_MAX - 17)
				n = ST_FILE_STEM_MAX - 17;
			snprintf(stem + n, ST_FILE_STEM_MAX + 1 - n, "_%.16s", c->serial);
			return;
		}
	}
}

PC_CHECK static pc_rc plan_opcua(const st_pki *a, bool der, const char *bundle, st_outs *outs,
    pc_err *e)
{
	char rel[PATH_MAX], stem[ST_FILE_STEM_MAX + 1];
	const char *ext = der ? "der" : "pem";
	size_t i;

	/* CA certificates delivered in the bundle (not the station's own copy
	 * of the root unless the bundle carries it too) */
	for (i = 1; i < a->cas.n; i++) {
		const st_cert *c = &a->cas.v[i];
		pc_buf b = PC_BUF_INIT;
		ca_stem(a, c, stem);
		snprintf(rel, sizeof rel, "%s/certs/%s.%s",
		    st_pki_ca_issues_cas(a, c) ? "issuers" : "trusted", stem, ext);
		put_cert(&b, c, der);
		PC_TRY(st_outs_add(outs, rel, &b, e));
	}
	/* the station's root always: OPC UA stacks need it to build chains */
	{
		pc_buf b = PC_BUF_INIT;
		st_cert_stem(&a->root, stem);
		snprintf(rel, sizeof rel, "issuers/certs/%s.%s", stem, ext);
		for (i = 0; i < outs->n && strcmp(outs->v[i].rel, rel) != 0; i++)
			;
		if (i == outs->n) {
			put_cert(&b, &a->root, der);
			PC_TRY(st_outs_add(outs, rel, &b, e));
		}
	}
	for (i = 0; i < a->ncrls; i++) {
		const st_cert *ca = st_pki_crl_issuer(a, &a->crls[i]);
		pc_buf b = PC_BUF_INIT;
		snprintf(rel, sizeof rel, "%s/crl/%s.crl",
		    ca != NULL && st_pki_ca_issues_cas(a, ca) ? "issuers" : "trusted",
		    a->crls[i].stem);
		put_crl(&b, &a->crls[i], der);
		PC_TRY(st_outs_add(outs, rel, &b, e));
	}
	return plan_own(a, der, bundle, outs, e);
}

pc_rc st_layout_plan(const st_pki *p, bool opcua, bool der, const char *bundle, st_outs *outs,
    pc_err *e)
{
	return opcua ? plan_opcua(p, der, bundle, outs, e) : plan_flat(p, der, outs, e);
}
