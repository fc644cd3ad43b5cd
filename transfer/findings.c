/*
 * findings.c - what is wrong with the certificates a scan saw
 * (scanreport.h sr_judge_reports; docs/discovery.md lists the findings).
 * Every certificate is read by the PKIX layer (pkix_cert_parse), chains
 * to the plant's anchors are built by its path validator; nothing here
 * parses X.509 itself.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "der.h"
#include "scanreport.h"
#include "text.h"

static const char *const finding_names[SR_F_COUNT] = {
	"self-signed", "expired", "not-yet-valid", "expiring", "weak-key", "weak-signature",
	"not-plant", "shared-key", "name-mismatch", "uri-mismatch", "unreadable",
	"no-certificate", "policy-none", "deprecated-policy", "timeout", "protocol-error",
};

const char *sr_finding_name(unsigned i)
{
	return i < SR_F_COUNT ? finding_names[i] : "?";
}

void sr_items_free(sr_items *s)
{
	free(s->v);
	memset(s, 0, sizeof *s);
}

static sr_item *item_new(sr_items *s, size_t report, size_t ep, size_t cert, pc_err *e)
{
	sr_item *it;

	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 32;
		sr_item *v = reallocarray(s->v, cap, sizeof *v);
		if (v == NULL) {
			(void)pc_fail(e, PC_E_NOMEM, "out of memory");
			return NULL;
		}
		s->v = v;
		s->cap = cap;
	}
	it = &s->v[s->n++];
	memset(it, 0, sizeof *it);
	it->report = report;
	it->ep = ep;
	it->cert = cert;
	return it;
}

/* Every certificate of every report parsed once. */
typedef struct parsed {
	pkix_cert c;
	bool ok;
	char why[160];
} parsed;

typedef struct ctx {
	const sr_report *const *reports;
	size_t nreports;
	const sr_judge *j;
	parsed **p;                        /* p[report][cert] */
	pkix_cert *pool;                   /* the judge's CAs, then every CA seen */
	size_t npool;
} ctx;

static bool is_weak_sig(const pkix_cert *c, char *name, size_t n)
{
	pc_reader r = pc_reader_make(c->sigalg_der, c->sigalg_len), s, oid;
	pkix_oid id;

	name[0] = '\0';
	if (!pc_der_read(&r, DER_SEQUENCE, &s) || !pc_der_read(&s, DER_OID, &oid))
		return false;
	id = pkix_oid_lookup(oid);
	if (id != PKIX_OID_NONE)
		snprintf(name, n, "%s", pkix_oid_name(id));
	else if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), name, n))
		snprintf(name, n, "?");
	return id == PKIX_OID_RSA_MD2 || id == PKIX_OID_RSA_MD5 || id == PKIX_OID_RSA_SHA1 ||
	    id == PKIX_OID_ECDSA_SHA1 || id == PKIX_OID_DSA_SHA1;
}

/* Is c the plant's: one of the anchors, known to the judge, or chained to
 * an anchor through CAs seen (RFC 5280 §6.1; its own dates are judged
 * apart: an expired plant certificate is still the plant's). */
static bool is_plant(const ctx *x, const pkix_cert *c)
{
	const sr_judge *j = x->j;
	pkix_chain_opts o;
	pkix_chain ch;
	pc_err e;
	size_t i;

	for (i = 0; i < j->nanchors; i++)
		if (j->anchors[i].len == c->len && memcmp(j->anchors[i].der, c->der, c->len) == 0)
			return true;
	if (j->issued != NULL && j->issued(j->ctx, c->der, c->len))
		return true;
	if (j->nanchors == 0)
		return false;
	memset(&o, 0, sizeof o);
	o.anchors = j->anchors;
	o.nanchors = j->nanchors;
	o.pool = x->pool;
	o.npool = x->npool;
	o.now = j->now;
	o.skip_target_dates = true;
	o.role = "scanned certificate";
	return pkix_chain_verify(c, &o, &ch, &e) == PC_OK;
}

/* RFC 6125 §6.4: a DNS name, or a wildcard in the left-most label only. */
static bool dns_match(const uint8_t *san, size_t n, const char *host)
{
	size_t hl = strlen(host);
	const char *dot;

	if (n == hl && strncasecmp((const char *)san, host, n) == 0)
		return true;
	if (n > 2 && san[0] == '*' && san[1] == '.' && (dot = strchr(host, '.')) != NULL &&
	    dot != host) {
		size_t rest = hl - (size_t)(dot - host);
		return rest == n - 1 && strncasecmp((const char *)san + 1, dot, rest) == 0;
	}
	return false;
}

/* Is the host as scanned (a name, or an address) in c's subjectAltName? */
static bool host_in_san(const pkix_cert *c, const char *host)
{
	uint8_t a[16];
	size_t alen = 0;
	pc_reader sans = c->san;
	pkix_gn_view g;

	if (inet_pton(AF_INET, host, a) == 1)
		alen = 4;
	else if (inet_pton(AF_INET6, host, a) == 1)
		alen = 16;
	while (pkix_gn_next(&sans, &g)) {
		if (alen != 0 && g.type == PKIX_GN_IP && g.len == alen && memcmp(g.val, a, alen) == 0)
			return true;
		if (alen == 0 && g.type == PKIX_GN_DNS && dns_match(g.val, g.len, host))
			return true;
	}
	return false;
}

static bool uri_in_san(const pkix_cert *c, const uint8_t *uri, size_t n)
{
	pc_reader sans = c->san;
	pkix_gn_view g;

	while (pkix_gn_next(&sans, &g))
		if (g.type == PKIX_GN_URI && g.len == n && memcmp(g.val, uri, n) == 0)
			return true;
	return false;
}

/* The findings of certificate ci of report ri as presented by endpoint ep. */
PC_CHECK static pc_rc judge_cert(const ctx *x, size_t ri, size_t ei, size_t ci, sr_items *out, pc_err *e)
{
	const sr_report *r = x->reports[ri];
	const sr_endpoint *ep = &r->eps[ei];
	const parsed *p = &x->p[ri][ci];
	const pkix_cert *c = &p->c;
	const sr_judge *j = x->j;
	pkix_pubkey k;
	pc_buf nb = PC_BUF_INIT;
	pc_err ke;
	sr_item *it;
	size_t i;

	if ((it = item_new(out, ri, ei, ci, e)) == NULL)
		return PC_E_NOMEM;
	pc_fingerprint(r->certs[ci].der, r->certs[ci].len, it->fingerprint);
	if (!p->ok) {
		it->flags = SR_F_UNREADABLE | SR_F_NOT_PLANT;
		snprintf(it->why, sizeof it->why, "%s", p->why);
		return PC_OK;
	}
	it->not_after = c->not_after;
	if (pkix_name_to_text(c->subject, c->subject_len, &nb) == PC_OK && pc_buf_ok(&nb))
		snprintf(it->subject, sizeof it->subject, "%.*s", (int)nb.len, (const char *)nb.p);
	pc_buf_free(&nb);
	if (pkix_cert_self_issued(c))
		it->flags |= SR_F_SELF_SIGNED;
	if (j->now > c->not_after)
		it->flags |= SR_F_EXPIRED;
	else if (c->not_after - j->now <= (time_t)j->expiring_days * PC_DAY)
		it->flags |= SR_F_EXPIRING;
	if (j->now < c->not_before)
		it->flags |= SR_F_NOT_YET_VALID;
	if (pkix_pubkey_parse_any(c->spki, c->spki_len, "key", &k, &ke) == PC_OK) {
		pkix_keytype_name(k.type, k.bits, it->key, sizeof it->key);
		if (k.type == PKIX_KEY_RSA && k.bits < PKIX_RSA_MIN_BITS)
			it->flags |= SR_F_WEAK_KEY;
	} else {
		snprintf(it->key, sizeof it->key, "unknown");
	}
	if (is_weak_sig(c, it->sigalg, sizeof it->sigalg))
		it->flags |= SR_F_WEAK_SIG;
	it->plant = is_plant(x, c);
	if (!it->plant)
		it->flags |= SR_F_NOT_PLANT;
	if (ep->kind != SR_DIR && !host_in_san(c, ep->host))
		it->flags |= SR_F_NAME_MISMATCH;
	for (i = 0; ep->kind == SR_OPCUA && i < ep->nua; i++)
		if (ep->ua[i].cert == ci && !uri_in_san(c, ep->ua[i].app_uri, ep->ua[i].app_uri_len)) {
			char q[96];
			it->flags |= SR_F_URI_MISMATCH;
			snprintf(it->why, sizeof it->why, "ApplicationUri '%s'",
			    pc_text_quote(q, sizeof q, ep->ua[i].app_uri, ep->ua[i].app_uri_len));
			break;
		}
	return PC_OK;
}

static bool policy_is(const sr_ua *u, const char *name)
{
	static const char prefix[] = "http://opcfoundation.org/UA/SecurityPolicy#";
	size_t pl = sizeof prefix - 1, nl = strlen(name);

	return u->policy_len == pl + nl && memcmp(u->policy, prefix, pl) == 0 &&
	    memcmp(u->policy + pl, name, nl) == 0;
}

/* An OPC UA server: what it offers, then each distinct certificate. */
PC_CHECK static pc_rc judge_opcua(const ctx *x, size_t ri, size_t ei, sr_items *out, pc_err *e)
{
	const sr_endpoint *ep = &x->reports[ri]->eps[ei];
	unsigned flags = 0;
	size_t i, k, ncert = 0, len = 0;
	char why[160] = "";
	sr_item *it;

	for (i = 0; i < ep->nua; i++) {
		const sr_ua *u = &ep->ua[i];
		const char *bad = NULL;
		if (u->mode == SR_MODE_NONE || policy_is(u, "None")) {
			flags |= SR_F_POLICY_NONE;
			bad = "None";
		} else if (policy_is(u, "Basic128Rsa15") || policy_is(u, "Basic256")) {
			flags |= SR_F_DEPRECATED_POLICY;
			bad = policy_is(u, "Basic256") ? "Basic256" : "Basic128Rsa15";
		}
		if (bad != NULL && strstr(why, bad) == NULL && len + strlen(bad) + 2 < sizeof why)
			len += (size_t)snprintf(why + len, sizeof why - len, "%s%s", len ? ", " : "offers ",
			    bad);
		if (u->cert != SR_NONE)
			ncert++;
	}
	if (ncert == 0)
		flags |= SR_F_NO_CERT;
	if (flags != 0) {
		if ((it = item_new(out, ri, ei, SR_NONE, e)) == NULL)
			return PC_E_NOMEM;
		it->flags = flags;
		snprintf(it->why, sizeof it->why, "%s", ep->nua == 0 ? "no endpoint descriptions" : why);
	}
	for (i = 0; i < ep->nua; i++) {
		if (ep->ua[i].cert == SR_NONE)
			continue;
		for (k = 0; k < i; k++)
			if (ep->ua[k].cert == ep->ua[i].cert)
				break;
		if (k == i)
			PC_TRY(judge_cert(x, ri, ei, ep->ua[i].cert, out, e));
	}
	return PC_OK;
}

/* Same key at several network endpoints: the items' SPKIs hashed, sorted,
 * and counted per distinct (report, endpoint). */
typedef struct keyref {
	uint8_t h[32];
	size_t item, report, ep;
} keyref;

static int cmp_keyref(const void *a, const void *b)
{
	const keyref *x = a, *y = b;
	int c = memcmp(x->h, y->h, 32);

	if (c != 0)
		return c;
	if (x->report != y->report)
		return x->report < y->report ? -1 : 1;
	return x->ep < y->ep ? -1 : x->ep > y->ep;
}

PC_CHECK static pc_rc shared_keys(const ctx *x, sr_items *out, pc_err *e)
{
	keyref *v = calloc(out->n ? out->n : 1, sizeof *v);
	size_t n = 0, i, g, k;

	if (v == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < out->n; i++) {
		const sr_item *it = &out->v[i];
		const parsed *p;
		if (it->cert == SR_NONE || x->reports[it->report]->eps[it->ep].kind == SR_DIR)
			continue;
		p = &x->p[it->report][it->cert];
		if (!p->ok || pkix_hash_once(PKIX_SHA256, p->c.spki, p->c.spki_len, v[n].h, e) != PC_OK)
			continue;
		v[n].item = i;
		v[n].report = it->report;
		v[n].ep = it->ep;
		n++;
	}
	qsort(v, n, sizeof *v, cmp_keyref);
	for (g = 0; g < n; g = k) {
		size_t distinct = 1;
		for (k = g + 1; k < n && memcmp(v[k].h, v[g].h, 32) == 0; k++)
			if (v[k].report != v[k - 1].report || v[k].ep != v[k - 1].ep)
				distinct++;
		if (distinct < 2)
			continue;
		for (i = g; i < k; i++) {
			out->v[v[i].item].flags |= SR_F_SHARED_KEY;
			out->v[v[i].item].shared = distinct - 1;
		}
	}
	free(v);
	return PC_OK;
}

PC_CHECK static pc_rc judge_endpoint(const ctx *x, size_t ri, size_t ei, sr_items *out, pc_err *e)
{
	const sr_endpoint *ep = &x->reports[ri]->eps[ei];
	sr_item *it;

	switch (ep->result) {
	case SR_REFUSED:
	case SR_UNREACHABLE:
		return PC_OK;          /* nothing there to enroll */
	case SR_TIMEOUT:
	case SR_ERROR:
		if ((it = item_new(out, ri, ei, SR_NONE, e)) == NULL)
			return PC_E_NOMEM;
		it->flags = ep->result == SR_TIMEOUT ? SR_F_TIMEOUT : SR_F_PROTOCOL_ERROR;
		snprintf(it->why, sizeof it->why, "%.*s", (int)(sizeof it->why - 1), ep->reason);
		return PC_OK;
	default:
		break;
	}
	if (ep->kind == SR_OPCUA)
		return judge_opcua(x, ri, ei, out, e);
	if (ep->nchain == 0) {
		if ((it = item_new(out, ri, ei, SR_NONE, e)) == NULL)
			return PC_E_NOMEM;
		it->flags = SR_F_NO_CERT;
		return PC_OK;
	}
	return judge_cert(x, ri, ei, ep->chain[0], out, e);
}

pc_rc sr_judge_reports(const sr_report *const *reports, size_t n, const sr_judge *j,
    sr_items *out, pc_err *e)
{
	ctx x;
	size_t ri, ci, ei, total = 0;
	pc_rc rc = PC_OK;

	memset(out, 0, sizeof out[0]);
	memset(&x, 0, sizeof x);
	x.reports = reports;
	x.nreports = n;
	x.j = j;
	if ((x.p = calloc(n ? n : 1, sizeof *x.p)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (ri = 0; ri < n; ri++)
		total += reports[ri]->ncerts;
	if ((x.pool = calloc(j->ncas + total + 1, sizeof *x.pool)) == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (ci = 0; ci < j->ncas; ci++)
		x.pool[x.npool++] = j->cas[ci];
	for (ri = 0; ri < n; ri++) {
		const sr_report *r = reports[ri];
		if ((x.p[ri] = calloc(r->ncerts ? r->ncerts : 1, sizeof *x.p[ri])) == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		for (ci = 0; ci < r->ncerts; ci++) {
			parsed *p = &x.p[ri][ci];
			pc_err pe;
			pe.msg[0] = '\0';
			p->ok = pkix_cert_parse(r->certs[ci].der, r->certs[ci].len, "certificate", &p->c,
			    &pe) == PC_OK;
			if (!p->ok)
				pc_text_quote(p->why, sizeof p->why, pe.msg, strlen(pe.msg));
			else if (p->c.is_ca)
				x.pool[x.npool++] = p->c;
		}
	}
	for (ri = 0; rc == PC_OK && ri < n; ri++)
		for (ei = 0; rc == PC_OK && ei < reports[ri]->neps; ei++)
			rc = judge_endpoint(&x, ri, ei, out, e);
	if (rc == PC_OK)
		rc = shared_keys(&x, out, e);
out:
	for (ri = 0; ri < n; ri++)
		free(x.p[ri]);
	free(x.p);
	free(x.pool);
	if (rc != PC_OK)
		sr_items_free(out);
	return rc;
}
