/*
 * verify.c - the check of a response's PKI against the station's root:
 * the CAs, their CRLs, the devices' chains, names and repeats.  Everything
 * X.509 is the PKIX layer's (pkix/: the certificate and CRL readers, the
 * path validator with name constraints and CRLs, the one verifier); the
 * station's view of a certificate and a CRL (st_cert, st_crl, what the
 * layouts need) is in certs.c, a root roll's key continuity in
 * rootnext.c.
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
		else if (a->crls[i].next_update == 0)
			/* it would never expire: an old one could be brought back
			 * for ever (conforming issuers MUST include it) */
			rc = pc_fail(e, PC_E_BUNDLE, "%s: %s.crl: has no nextUpdate (RFC 5280 §5.1.2.5: "
			    "a CRL must say when the next one is due)", bundle, a->crls[i].stem);
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
	return st_certs_find_subject(&p->cas, c->issuer, c->issuer_len, c->pc.aki, c->pc.aki_len);
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
