/*
 * nc.c - name constraints (nc.h).
 */
#include "nc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "der.h"
#include "text.h"

enum { NC_MSG_NAMES_MAX = 8 };   /* violations spelled out in one message */

static bool dns_under(const uint8_t *name, size_t n, const uint8_t *c, size_t cn)
{
	const char *a = (const char *)name, *b = (const char *)c;

	if (cn == 0)                        /* "" permits every name (§4.2.1.10) */
		return true;
	if (b[0] == '.')
		return n > cn && strncasecmp(a + n - cn, b, cn) == 0;
	if (n == cn)
		return strncasecmp(a, b, n) == 0;
	return n > cn && strncasecmp(a + n - cn, b, cn) == 0 && a[n - cn - 1] == '.';
}

/* Host part of a URI with an authority ("scheme://[user@]host[:port]...");
 * false for a URN or an IP literal (no host name to match). */
static bool uri_host(const uint8_t *s, size_t len, const uint8_t **h, size_t *hn)
{
	const uint8_t *end = s + len, *p, *q, *at, *colon;

	p = memchr(s, ':', len);
	if (p == NULL || end - p < 3 || p[1] != '/' || p[2] != '/')
		return false;
	p += 3;
	for (q = p; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
		;
	if ((at = memchr(p, '@', (size_t)(q - p))) != NULL)
		p = at + 1;
	if (p < q && *p == '[')
		return false;
	if ((colon = memchr(p, ':', (size_t)(q - p))) != NULL)
		q = colon;
	*h = p;
	*hn = (size_t)(q - p);
	return *hn > 0;
}

/* Do the RDNs of `name` (a Name TLV) begin with those of `c`? */
static bool dn_prefix(const uint8_t *name, size_t nl, const uint8_t *c, size_t cl)
{
	pc_reader a = pc_reader_make(name, nl), b = pc_reader_make(c, cl), an, bn, ar, br;
	const uint8_t *aw, *bw;
	size_t awl, bwl;
	uint8_t t;

	if (!pc_der_read(&a, DER_SEQUENCE, &an) || !pc_der_read(&b, DER_SEQUENCE, &bn))
		return false;
	while (pc_reader_left(&bn) > 0) {
		if (!pc_der_read_any(&bn, &t, &br, &bw, &bwl) ||
		    !pc_der_read_any(&an, &t, &ar, &aw, &awl) || awl != bwl || memcmp(aw, bw, awl) != 0)
			return false;
	}
	return true;
}

bool pkix_nc_match(const pkix_gn_view *g, const pkix_gn_view *c)
{
	size_t i, half;
	const uint8_t *h;
	size_t hn;

	if (g->type != c->type)
		return false;
	switch (g->type) {
	case PKIX_GN_DNS:
		return dns_under(g->val, g->len, c->val, c->len);
	case PKIX_GN_EMAIL: {
		const uint8_t *at = memchr(g->val, '@', g->len);
		size_t k;
		if (memchr(c->val, '@', c->len))           /* a mailbox */
			return c->len == g->len &&
			    strncasecmp((const char *)g->val, (const char *)c->val, c->len) == 0;
		if (at == NULL)
			return false;
		k = (size_t)(at - g->val) + 1;
		if (c->len > 0 && c->val[0] == '.')
			return dns_under(g->val + k, g->len - k, c->val, c->len);
		return g->len - k == c->len &&
		    strncasecmp((const char *)g->val + k, (const char *)c->val, c->len) == 0;
	}
	case PKIX_GN_URI:
		if (!uri_host(g->val, g->len, &h, &hn))
			return false;
		if (c->len > 0 && c->val[0] == '.')
			return dns_under(h, hn, c->val, c->len);
		return hn == c->len && strncasecmp((const char *)h, (const char *)c->val, hn) == 0;
	case PKIX_GN_IP:
		half = g->len;
		if (c->len != 2 * half)
			return false;
		for (i = 0; i < half; i++)
			if ((g->val[i] & c->val[half + i]) != (c->val[i] & c->val[half + i]))
				return false;
		return true;
	case PKIX_GN_DIR:
		return dn_prefix(g->val, g->len, c->val, c->len);
	default:
		return false;
	}
}

void pkix_gn_view_text(const pkix_gn_view *g, pc_buf *out)
{
	char a[INET6_ADDRSTRLEN];

	switch (g->type) {
	case PKIX_GN_DNS: pc_buf_str(out, "dns:"); pc_text_escape(out, g->val, g->len); return;
	case PKIX_GN_URI: pc_buf_str(out, "uri:"); pc_text_escape(out, g->val, g->len); return;
	case PKIX_GN_EMAIL: pc_buf_str(out, "email:"); pc_text_escape(out, g->val, g->len); return;
	case PKIX_GN_IP:
		if (inet_ntop(g->len == 4 ? AF_INET : AF_INET6, g->val, a, sizeof a) != NULL)
			pc_buf_printf(out, "ip:%s", a);
		else
			pc_buf_str(out, "ip:?");
		return;
	case PKIX_GN_DIR:
		pc_buf_str(out, "dir:");
		if (pkix_name_to_text(g->val, g->len, out) != PC_OK)
			pc_buf_str(out, "?");
		return;
	default:
		pc_buf_printf(out, "name of type [%d]", (int)g->type);
		return;
	}
}

struct nc_msg {
	pc_buf b;
	size_t n;
	const char *cn_text;     /* the message for a CN outside the DNS constraints */
};

/* One violation: "SAN dns:x is outside the issuer's permitted name
 * constraints" (`kind` "SAN", "subject", ...; NULL: the CN case, which
 * says it all in `why`). */
static void violation(struct nc_msg *m, const char *kind, const pkix_gn_view *g,
    const char *why)
{
	if (m->n++ >= NC_MSG_NAMES_MAX)
		return;
	if (m->b.len)
		pc_buf_str(&m->b, "; ");
	if (kind == NULL) {
		pc_buf_str(&m->b, why);
		return;
	}
	pc_buf_printf(&m->b, "%s ", kind);
	pkix_gn_view_text(g, &m->b);
	pc_buf_printf(&m->b, " %s", why);
}

/* One name against the CA's subtrees of its type. */
static void check_name(const pkix_cert *ca, const char *kind, const pkix_gn_view *g,
    struct nc_msg *m)
{
	pc_reader p = ca->nc_permit, x = ca->nc_exclude, st;
	pkix_gn_view c;
	bool constrained = false, ok = false;

	while (pc_reader_left(&p) > 0 && pc_der_read(&p, DER_SEQUENCE, &st) &&
	    pkix_gn_read(&st, true, &c)) {
		if (c.type != g->type)
			continue;
		constrained = true;
		ok = ok || pkix_nc_match(g, &c);
	}
	if (constrained && !ok) {
		if (g->type == PKIX_GN_URI && !uri_host(g->val, g->len, &(const uint8_t *){ NULL },
		    &(size_t){ 0 }))
			violation(m, kind, g, "has no host, so it cannot satisfy the issuer's URI name "
			    "constraints (RFC 5280 §4.2.1.10)");
		else if (kind == NULL)
			violation(m, NULL, g, m->cn_text);
		else
			violation(m, kind, g, "is outside the issuer's permitted name constraints");
	}
	while (pc_reader_left(&x) > 0 && pc_der_read(&x, DER_SEQUENCE, &st) &&
	    pkix_gn_read(&st, true, &c))
		if (c.type == g->type && pkix_nc_match(g, &c))
			violation(m, kind ? kind : "CN as", g, "is in the issuer's excluded name constraints");
}

/* Does the CA constrain names of this type at all (permitted or excluded)? */
static bool constrains(const pkix_cert *ca, pkix_gn_type t)
{
	pc_reader r[2] = { ca->nc_permit, ca->nc_exclude }, st;
	pkix_gn_view c;
	int i;

	for (i = 0; i < 2; i++)
		while (pc_reader_left(&r[i]) > 0 && pc_der_read(&r[i], DER_SEQUENCE, &st) &&
		    pkix_gn_read(&st, true, &c))
			if (c.type == t)
				return true;
	return false;
}

pc_rc pkix_nc_check(const pkix_cert *ca, const pkix_cert *subj, unsigned flags,
    const char *what, pc_rc code, pc_err *e)
{
	struct nc_msg m = { PC_BUF_INIT, 0, NULL };
	pc_reader sans = subj->san;
	pkix_gn_view g;
	bool dns_san = false;
	char label[200];
	pc_rc rc = PC_OK;

	if (!(ca->flags & PKIX_CERT_F_NC))
		return PC_OK;
	while (pkix_gn_next(&sans, &g)) {
		dns_san = dns_san || g.type == PKIX_GN_DNS;
		if (g.type != PKIX_GN_DNS && g.type != PKIX_GN_EMAIL && g.type != PKIX_GN_URI &&
		    g.type != PKIX_GN_IP && g.type != PKIX_GN_DIR) {
			if (constrains(ca, g.type))
				violation(&m, "SAN", &g, "cannot be checked against the issuer's name "
				    "constraints");
			continue;
		}
		check_name(ca, "SAN", &g, &m);
	}
	/* the subject itself is a directoryName (§4.2.1.10), and its
	 * emailAddress attributes rfc822Names */
	if (subj->subject_len > 2) {
		memset(&g, 0, sizeof g);
		g.type = PKIX_GN_DIR;
		g.val = subj->subject;
		g.len = subj->subject_len;
		check_name(ca, "subject", &g, &m);
	}
	{
		const uint8_t *v;
		size_t n;
		if (pkix_name_find(subj->subject, subj->subject_len, PKIX_OID_AT_EMAIL, &v, &n)) {
			memset(&g, 0, sizeof g);
			g.type = PKIX_GN_EMAIL;
			g.val = v;
			g.len = n;
			check_name(ca, "subject emailAddress", &g, &m);
		}
		if ((flags & PKIX_NC_CN_AS_DNS) && !dns_san &&
		    pkix_name_find(subj->subject, subj->subject_len, PKIX_OID_AT_CN, &v, &n) &&
		    constrains(ca, PKIX_GN_DNS)) {
			memset(&g, 0, sizeof g);
			char q[100], text[200];
			g.type = PKIX_GN_DNS;
			g.val = v;
			g.len = n;
			/* GnuTLS (as browsers once did) checks the CN of a server
			 * certificate without a DNS SAN against dNSName constraints */
			snprintf(text, sizeof text, "serverAuth certificate without a DNS SAN whose CN "
			    "'%s' is outside the issuer's DNS name constraints (verifiers check the CN "
			    "then)", pc_text_quote(q, sizeof q, v, n));
			m.cn_text = text;
			check_name(ca, NULL, &g, &m);
			m.cn_text = NULL;
		}
	}
	if (m.n > 0) {
		pkix_cert_label(ca, label, sizeof label);
		if (m.n > NC_MSG_NAMES_MAX)
			pc_buf_printf(&m.b, "; ... (%zu in all)", m.n);
		if (what != NULL)
			rc = pc_fail(e, code, "%s: under the name constraints of CA %s: %.*s", what, label,
			    pc_buf_ok(&m.b) ? (int)m.b.len : 0, pc_buf_ok(&m.b) ? (const char *)m.b.p : "");
		else
			rc = pc_fail(e, code, "%.*s", pc_buf_ok(&m.b) ? (int)m.b.len : 0,
			    pc_buf_ok(&m.b) ? (const char *)m.b.p : "");
	}
	pc_buf_free(&m.b);
	return rc;
}
