/*
 * lint.c - the pre-issuance check: an independent parse of the TBS DER that
 * is about to be signed (not of the parameters it was built from), against
 * RFC 5280 and what the policy decided.  A bug in pkix_tbs_build or a
 * decision that slipped through cannot reach the HSM: the request is
 * refused instead.  Every failed rule is listed.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lint.h"
#include "text.h"
#include "fwverify.h"

enum {
	LINT_EXT_MAX = 32,
	LINT_SAN_MAX = PKIX_SAN_MAX,
	LINT_NC_MAX = 64,
	LINT_EKU_MAX = 16,
};

/* what the parse of one TBSCertificate found */
struct tbs_info {
	pc_reader serial;
	const uint8_t *issuer; size_t issuer_len;
	const uint8_t *subject; size_t subject_len;
	const uint8_t *spki; size_t spki_len;
	uint8_t nb_tag, na_tag;
	time_t nb, na;
	bool has_bc, bc_critical, ca, has_pathlen;
	bool has_ku, ku_critical;
	unsigned ku;
	bool has_san, san_critical;
	pkix_gn san[LINT_SAN_MAX];
	size_t nsan;
	char eku[LINT_EKU_MAX][64];
	size_t neku;
	bool has_eku, has_ski, has_aki;
	pkix_gn permit[LINT_NC_MAX], exclude[LINT_NC_MAX];
	size_t npermit, nexclude;
	bool has_nc;
	/* the firmware signer's package list (transfer/fwverify.h) */
	bool has_pkgs, pkgs_critical, pkgs_ok;
	fw_pkgs pkgs;
	char pkgs_err[PC_ERR_MSG_MAX];
};

struct lint {
	char msg[PC_ERR_MSG_MAX];
	size_t off;
	unsigned n;
};

static void bad(struct lint *l, const char *fmt, ...) PC_PRINTF(2, 3);
static void bad(struct lint *l, const char *fmt, ...)
{
	va_list ap;
	int w;

	l->n++;
	if (l->off >= sizeof l->msg)
		return;
	if (l->n > 1) {
		w = snprintf(l->msg + l->off, sizeof l->msg - l->off, "; ");
		l->off += w > 0 ? (size_t)w : 0;
		if (l->off >= sizeof l->msg)
			return;
	}
	va_start(ap, fmt);
	w = vsnprintf(l->msg + l->off, sizeof l->msg - l->off, fmt, ap);
	va_end(ap);
	l->off += w > 0 ? (size_t)w : 0;
}

static bool oid_is(pc_reader oid, const char *dotted)
{
	char t[64];

	return pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), t, sizeof t) &&
	    strcmp(t, dotted) == 0;
}

static bool gn_read(pc_reader *r, pkix_gn *g)
{
	uint8_t tag;
	pc_reader v;
	size_t n;

	memset(g, 0, sizeof *g);
	if (!pc_der_read_any(r, &tag, &v, NULL, NULL))
		return false;
	n = pc_reader_left(&v);
	if (n >= sizeof g->val)
		return false;
	switch (tag) {
	case DER_CTX | 1: g->type = PKIX_GN_EMAIL; break;
	case DER_CTX | 2: g->type = PKIX_GN_DNS; break;
	case DER_CTX | 6: g->type = PKIX_GN_URI; break;
	case DER_CTX | 7: g->type = PKIX_GN_IP; break;
	default: g->type = 0; break;       /* another form: kept as unknown */
	}
	memcpy(g->val, pc_reader_take(&v, n), n);
	g->len = n;
	return true;
}

/* Parse the extensions; structural problems go to l. */
static void parse_exts(pc_reader exts, struct tbs_info *t, struct lint *l)
{
	uint8_t seen[LINT_EXT_MAX][32];
	size_t seen_len[LINT_EXT_MAX], nseen = 0, i;

	if (pc_reader_left(&exts) == 0)
		bad(l, "empty extensions field (RFC 5280 §4.1: SIZE (1..MAX))");
	while (pc_reader_left(&exts) > 0) {
		pc_reader ext, oid, crit, val, in;
		bool has_crit, critical = false;
		uint8_t b;

		if (!pc_der_read(&exts, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid) ||
		    !pc_der_read_opt(&ext, DER_BOOLEAN, &crit, &has_crit) ||
		    !pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext)) {
			bad(l, "malformed extension");
			return;
		}
		if (has_crit) {
			if (!pc_reader_u8(&crit, &b) || !pc_reader_done(&crit) || (b != 0xff && b != 0)) {
				bad(l, "malformed critical flag");
				return;
			}
			/* X.690 §11.5: a DEFAULT value is never encoded */
			if (b == 0)
				bad(l, "critical FALSE encoded (DER omits DEFAULT values)");
			critical = b == 0xff;
		}
		for (i = 0; i < nseen; i++)
			if (seen_len[i] == pc_reader_left(&oid) &&
			    memcmp(seen[i], oid.p + oid.off, seen_len[i]) == 0) {
				char d[64] = "?";
				(void)pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), d, sizeof d);
				bad(l, "extension %s appears twice (RFC 5280 §4.2)", d);
			}
		if (nseen < LINT_EXT_MAX && pc_reader_left(&oid) <= sizeof seen[0]) {
			seen_len[nseen] = pc_reader_left(&oid);
			memcpy(seen[nseen++], oid.p + oid.off, pc_reader_left(&oid));
		}
		if (oid_is(oid, "2.5.29.19")) {            /* basicConstraints */
			pc_reader c, x;
			bool p;
			t->has_bc = true;
			t->bc_critical = critical;
			if (!pc_der_read(&val, DER_SEQUENCE, &in) || !pc_reader_done(&val)) {
				bad(l, "malformed basicConstraints");
				continue;
			}
			if (pc_der_read_opt(&in, DER_BOOLEAN, &c, &p) && p) {
				if (!pc_reader_u8(&c, &b) || b != 0xff)
					bad(l, "basicConstraints cA FALSE encoded (DER omits DEFAULT values)");
				t->ca = b == 0xff;
			}
			if (pc_der_read_opt(&in, DER_INTEGER, &x, &p) && p)
				t->has_pathlen = true;
			if (!pc_reader_done(&in))
				bad(l, "malformed basicConstraints");
		} else if (oid_is(oid, "2.5.29.15")) {     /* keyUsage */
			pc_reader bits;
			uint8_t unused, x;
			unsigned k = 0;
			t->has_ku = true;
			t->ku_critical = critical;
			if (!pc_der_read(&val, DER_BIT_STRING, &bits) || !pc_reader_done(&val) ||
			    !pc_reader_u8(&bits, &unused) || unused > 7 || pc_reader_left(&bits) == 0 ||
			    pc_reader_left(&bits) > 2) {
				bad(l, "malformed keyUsage");
				continue;
			}
			while (pc_reader_u8(&bits, &x)) {
				unsigned j;
				for (j = 0; j < 8; j++)
					if (x & (0x80 >> j))
						t->ku |= 1u << (k + j);
				k += 8;
			}
		} else if (oid_is(oid, "2.5.29.37")) {     /* extKeyUsage */
			t->has_eku = true;
			if (!pc_der_read(&val, DER_SEQUENCE, &in) || !pc_reader_done(&val)) {
				bad(l, "malformed extKeyUsage");
				continue;
			}
			while (pc_reader_left(&in) > 0) {
				pc_reader o;
				if (!pc_der_read(&in, DER_OID, &o) || t->neku >= LINT_EKU_MAX ||
				    !pc_oid_to_text(o.p + o.off, pc_reader_left(&o), t->eku[t->neku],
				    sizeof t->eku[0])) {
					bad(l, "malformed extKeyUsage");
					break;
				}
				t->neku++;
			}
		} else if (oid_is(oid, "2.5.29.17")) {     /* subjectAltName */
			t->has_san = true;
			t->san_critical = critical;
			if (!pc_der_read(&val, DER_SEQUENCE, &in) || !pc_reader_done(&val) ||
			    pc_reader_left(&in) == 0) {
				bad(l, "malformed or empty subjectAltName");
				continue;
			}
			while (pc_reader_left(&in) > 0) {
				if (t->nsan >= LINT_SAN_MAX || !gn_read(&in, &t->san[t->nsan])) {
					bad(l, "malformed subjectAltName");
					break;
				}
				t->nsan++;
			}
		} else if (oid_is(oid, "2.5.29.30")) {     /* nameConstraints */
			pc_reader sub;
			bool p;
			t->has_nc = true;
			if (!pc_der_read(&val, DER_SEQUENCE, &in) || !pc_reader_done(&val)) {
				bad(l, "malformed nameConstraints");
				continue;
			}
			for (i = 0; i < 2; i++) {
				pkix_gn *arr = i == 0 ? t->permit : t->exclude;
				size_t *cnt = i == 0 ? &t->npermit : &t->nexclude;
				if (!pc_der_read_opt(&in, (uint8_t)(DER_CTX_CONS | i), &sub, &p) || !p)
					continue;
				while (pc_reader_left(&sub) > 0) {
					pc_reader gs;
					if (*cnt >= LINT_NC_MAX || !pc_der_read(&sub, DER_SEQUENCE, &gs) ||
					    !gn_read(&gs, &arr[*cnt])) {
						bad(l, "malformed nameConstraints");
						break;
					}
					(*cnt)++;
				}
			}
		} else if (pc_reader_left(&oid) == fw_pkgs_oid_len &&
		    memcmp(oid.p + oid.off, fw_pkgs_oid, fw_pkgs_oid_len) == 0) {
			pc_err pe;
			t->has_pkgs = true;
			t->pkgs_critical = critical;
			t->pkgs_ok = fw_pkgs_parse(val.p + val.off, pc_reader_left(&val), &t->pkgs,
			    &pe) == PC_OK;
			if (!t->pkgs_ok)
				snprintf(t->pkgs_err, sizeof t->pkgs_err, "%s", pe.msg);
		} else if (oid_is(oid, "2.5.29.14")) {
			t->has_ski = true;
		} else if (oid_is(oid, "2.5.29.35")) {
			t->has_aki = true;
		} else if (critical) {
			char d[64] = "?";
			(void)pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), d, sizeof d);
			bad(l, "unknown critical extension %s", d);
		}
	}
}

static int year_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return tm.tm_year + 1900;
}

/* Parse a TBSCertificate.  False (with a reason in l) if it cannot be read. */
static bool parse_tbs(const uint8_t *der, size_t len, struct tbs_info *t, struct lint *l)
{
	pc_reader r = pc_reader_make(der, len), tbs, ver, v, alg, name, val, spki, exts, x;
	uint8_t tag;
	const uint8_t *whole;
	size_t wl;
	bool p;
	uint64_t version = 0;
	uint8_t b;

	memset(t, 0, sizeof *t);
	if (!pc_der_read(&r, DER_SEQUENCE, &tbs) || !pc_reader_done(&r)) {
		bad(l, "not one DER SEQUENCE");
		return false;
	}
	if (!pc_der_read_opt(&tbs, DER_CTX_CONS | 0, &ver, &p) || !p ||
	    !pc_der_read(&ver, DER_INTEGER, &v) || !pc_reader_done(&ver) ||
	    pc_reader_left(&v) != 1 || !pc_reader_u8(&v, &b)) {
		bad(l, "version missing: extensions need v3 (RFC 5280 §4.1.2.1)");
		return false;
	}
	version = b;
	if (version != 2)
		bad(l, "version %u is not v3 (RFC 5280 §4.1.2.1)", (unsigned)version + 1);
	if (!pc_der_read(&tbs, DER_INTEGER, &t->serial) ||
	    !pc_der_read(&tbs, DER_SEQUENCE, &alg)) {
		bad(l, "malformed serialNumber or signature");
		return false;
	}
	if (!pc_der_read_any(&tbs, &tag, &name, &whole, &wl) || tag != DER_SEQUENCE) {
		bad(l, "malformed issuer");
		return false;
	}
	t->issuer = whole;
	t->issuer_len = wl;
	if (!pc_der_read(&tbs, DER_SEQUENCE, &val) ||
	    !pc_der_read_any(&val, &t->nb_tag, &x, NULL, NULL) ||
	    !pc_der_parse_time(t->nb_tag, x, &t->nb) ||
	    !pc_der_read_any(&val, &t->na_tag, &x, NULL, NULL) ||
	    !pc_der_parse_time(t->na_tag, x, &t->na) || !pc_reader_done(&val)) {
		bad(l, "malformed validity");
		return false;
	}
	if (!pc_der_read_any(&tbs, &tag, &name, &whole, &wl) || tag != DER_SEQUENCE) {
		bad(l, "malformed subject");
		return false;
	}
	t->subject = whole;
	t->subject_len = wl;
	if (!pc_der_read_any(&tbs, &tag, &spki, &whole, &wl) || tag != DER_SEQUENCE) {
		bad(l, "malformed subjectPublicKeyInfo");
		return false;
	}
	t->spki = whole;
	t->spki_len = wl;
	if (pc_reader_peek(&tbs) == (DER_CTX | 1) || pc_reader_peek(&tbs) == (DER_CTX | 2) ||
	    pc_reader_peek(&tbs) == (DER_CTX_CONS | 1) || pc_reader_peek(&tbs) == (DER_CTX_CONS | 2))
		bad(l, "unique identifiers present (RFC 5280 §4.1.2.8: CAs MUST NOT generate them)");
	if (!pc_der_read_opt(&tbs, DER_CTX_CONS | 3, &x, &p) || !p ||
	    !pc_der_read(&x, DER_SEQUENCE, &exts) || !pc_reader_done(&x)) {
		bad(l, "no extensions");
		return false;
	}
	if (!pc_reader_done(&tbs)) {
		bad(l, "trailing data after the extensions");
		return false;
	}
	parse_exts(exts, t, l);
	return true;
}

/* RFC 5280 §4.2.1.10 matching, per name type. */
static bool dns_under(const char *name, size_t n, const char *c, size_t cn)
{
	if (cn == 0)
		return true;
	if (c[0] == '.')
		return n > cn && strncasecmp(name + n - cn, c, cn) == 0;
	if (n == cn)
		return strncasecmp(name, c, n) == 0;
	return n > cn && strncasecmp(name + n - cn, c, cn) == 0 && name[n - cn - 1] == '.';
}

/* Host part of a URI with an authority ("scheme://[user@]host[:port]..."). */
static bool uri_host(const pkix_gn *g, const char **h, size_t *hn)
{
	const char *s = (const char *)g->val, *end = s + g->len, *p, *q;

	p = memchr(s, ':', g->len);
	if (p == NULL || end - p < 3 || p[1] != '/' || p[2] != '/')
		return false;
	p += 3;
	for (q = p; q < end && *q != '/' && *q != '?' && *q != '#'; q++)
		;
	{
		const char *at = memchr(p, '@', (size_t)(q - p));
		if (at)
			p = at + 1;
	}
	if (p < q && *p == '[')
		return false;           /* IP literal: no host name to match */
	{
		const char *colon = memchr(p, ':', (size_t)(q - p));
		if (colon)
			q = colon;
	}
	*h = p;
	*hn = (size_t)(q - p);
	return *hn > 0;
}

static bool gn_matches(const pkix_gn *name, const pkix_gn *c)
{
	size_t i;

	switch (name->type) {
	case PKIX_GN_DNS:
		return dns_under((const char *)name->val, name->len, (const char *)c->val, c->len);
	case PKIX_GN_EMAIL: {
		const char *s = (const char *)name->val;
		const char *at = memchr(s, '@', name->len);
		size_t k;
		if (memchr(c->val, '@', c->len))       /* a mailbox */
			return c->len == name->len && strncasecmp(s, (const char *)c->val, c->len) == 0;
		if (at == NULL)
			return false;
		k = (size_t)(at - s) + 1;
		if (c->val[0] == '.')
			return dns_under(s + k, name->len - k, (const char *)c->val, c->len);
		return name->len - k == c->len && strncasecmp(s + k, (const char *)c->val, c->len) == 0;
	}
	case PKIX_GN_URI: {
		const char *h;
		size_t hn;
		if (!uri_host(name, &h, &hn))
			return false;
		if (c->val[0] == '.')
			return dns_under(h, hn, (const char *)c->val, c->len);
		return hn == c->len && strncasecmp(h, (const char *)c->val, hn) == 0;
	}
	case PKIX_GN_IP:
		if (c->len != 2 * name->len)
			return false;
		for (i = 0; i < name->len; i++)
			if ((name->val[i] & c->val[name->len + i]) != (c->val[i] & c->val[name->len + i]))
				return false;
		return true;
	default:
		return false;
	}
}

static bool eku_has(const struct tbs_info *t, const char *oid)
{
	size_t i;

	for (i = 0; i < t->neku; i++)
		if (strcmp(t->eku[i], oid) == 0)
			return true;
	return false;
}

/* The subject's last CN as text, if any. */
static bool subject_cn(const struct tbs_info *t, char *out, size_t n)
{
	pc_reader r = pc_reader_make(t->subject, t->subject_len), name, rdn, atv, oid, val;
	uint8_t tag;
	bool found = false;

	if (!pc_der_read(&r, DER_SEQUENCE, &name))
		return false;
	while (pc_der_read(&name, DER_SET, &rdn))
		while (pc_der_read(&rdn, DER_SEQUENCE, &atv))
			if (pc_der_read(&atv, DER_OID, &oid) &&
			    pc_der_read_any(&atv, &tag, &val, NULL, NULL) && oid_is(oid, "2.5.4.3") &&
			    pc_reader_left(&val) < n) {
				memcpy(out, val.p + val.off, pc_reader_left(&val));
				out[pc_reader_left(&val)] = '\0';
				found = true;
			}
	return found;
}

static void check_nc(const struct tbs_info *t, const struct tbs_info *is, struct lint *l)
{
	size_t i, k;
	bool dns_san = false;
	char cn[256];

	/* A server certificate without a DNS SAN: GnuTLS (as browsers once
	 * did) checks its CN against the issuer's dNSName constraints. */
	for (i = 0; i < t->nsan; i++)
		dns_san = dns_san || t->san[i].type == PKIX_GN_DNS;
	if (!dns_san && eku_has(t, "1.3.6.1.5.5.7.3.1") && subject_cn(t, cn, sizeof cn)) {
		bool constrained = false, ok = false;
		pkix_gn g;
		memset(&g, 0, sizeof g);
		g.type = PKIX_GN_DNS;
		g.len = strlen(cn);
		memcpy(g.val, cn, g.len);
		for (k = 0; k < is->npermit; k++)
			if (is->permit[k].type == PKIX_GN_DNS) {
				constrained = true;
				ok = ok || gn_matches(&g, &is->permit[k]);
			}
		if (constrained && !ok) {
			char q[100];
			bad(l, "serverAuth certificate without a DNS SAN whose CN '%s' is outside the "
			    "issuer's DNS name constraints (verifiers check the CN then)",
			    pc_text_quote(q, sizeof q, cn, strlen(cn)));
		}
	}

	for (i = 0; i < t->nsan; i++) {
		const pkix_gn *g = &t->san[i];
		bool constrained = false, ok = false;
		pc_buf txt = PC_BUF_INIT;

		pkix_gn_to_text(g, &txt);
		pc_buf_byte(&txt, 0);
		for (k = 0; k < is->npermit; k++) {
			if (is->permit[k].type != g->type)
				continue;
			constrained = true;
			if (gn_matches(g, &is->permit[k]))
				ok = true;
		}
		if (constrained && !ok) {
			if (g->type == PKIX_GN_URI && !uri_host(g, &(const char *){ NULL }, &(size_t){ 0 }))
				bad(l, "SAN %s has no host, so it cannot satisfy the issuer's URI name "
				    "constraints (RFC 5280 §4.2.1.10)", pc_buf_ok(&txt) ? (char *)txt.p : "?");
			else
				bad(l, "SAN %s is outside the issuer's permitted name constraints",
				    pc_buf_ok(&txt) ? (char *)txt.p : "?");
		}
		for (k = 0; k < is->nexclude; k++)
			if (is->exclude[k].type == g->type && gn_matches(g, &is->exclude[k]))
				bad(l, "SAN %s is in the issuer's excluded name constraints",
				    pc_buf_ok(&txt) ? (char *)txt.p : "?");
		pc_buf_free(&txt);
	}
}


pc_rc ca_lint_tbs(const uint8_t *tbs, size_t len, const uint8_t *issuer_cert, size_t issuer_len,
    const ca_lint_expect *x, const char *what, pc_err *e)
{
	struct tbs_info *t = NULL, *is = NULL;
	struct lint *l;
	pc_err ke;
	pkix_keytype kt = 0;
	unsigned bits = 0;
	pc_rc rc = PC_OK;
	size_t i, n;

	l = calloc(1, sizeof *l);
	t = calloc(1, sizeof *t);
	is = calloc(1, sizeof *is);
	if (l == NULL || t == NULL || is == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if (!parse_tbs(tbs, len, t, l))
		goto report;

	/* §4.1.2.2: positive, at most 20 octets, minimal */
	n = pc_reader_left(&t->serial);
	{
		const uint8_t *s = t->serial.p + t->serial.off;
		bool zero = true;
		for (i = 0; i < n; i++)
			zero = zero && s[i] == 0;
		if (n == 0 || (s[0] & 0x80) || zero)
			bad(l, "serial number is not positive (RFC 5280 §4.1.2.2)");
		if (n > PKIX_SERIAL_LEN)
			bad(l, "serial number of %zu octets exceeds 20 (RFC 5280 §4.1.2.2)", n);
	}
	/* §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 */
	if ((year_of(t->nb) < 2050) != (t->nb_tag == DER_UTCTIME))
		bad(l, "notBefore (%d) encoded as %s (RFC 5280 §4.1.2.5)", year_of(t->nb),
		    t->nb_tag == DER_UTCTIME ? "UTCTime" : "GeneralizedTime");
	if ((year_of(t->na) < 2050) != (t->na_tag == DER_UTCTIME))
		bad(l, "notAfter (%d) encoded as %s (RFC 5280 §4.1.2.5)", year_of(t->na),
		    t->na_tag == DER_UTCTIME ? "UTCTime" : "GeneralizedTime");
	if (t->na <= t->nb)
		bad(l, "notAfter is not after notBefore");
	if (x->max_days && t->na - t->nb > (time_t)x->max_days * 86400 + CA_SKEW_SECONDS)
		bad(l, "validity longer than the profile's %u days", x->max_days);

	/* §4.2.1.9 / §4.2.1.3: CA <=> keyCertSign */
	if (!t->has_ku)
		bad(l, "no keyUsage");
	if (x->is_ca && (!t->has_bc || !t->ca || !t->bc_critical))
		bad(l, "CA certificate without critical basicConstraints cA TRUE (RFC 5280 §4.2.1.9)");
	if (!x->is_ca && t->ca)
		bad(l, "basicConstraints cA TRUE in a leaf certificate");
	if (t->ca != ((t->ku & PKIX_KU_KEY_CERT_SIGN) != 0))
		bad(l, "basicConstraints cA is %s but keyCertSign is %s (RFC 5280 §4.2.1.3, §4.2.1.9)",
		    t->ca ? "TRUE" : "FALSE", t->ku & PKIX_KU_KEY_CERT_SIGN ? "set" : "not set");
	if (t->has_pathlen && !t->ca)
		bad(l, "pathLenConstraint without cA TRUE (RFC 5280 §4.2.1.9)");
	if (x->is_ca && !t->has_ski)
		bad(l, "CA certificate without subjectKeyIdentifier (RFC 5280 §4.2.1.2)");

	/* §4.1.2.4 and Appendix A: the subject's values obey the same rules as
	 * names typed by the officer and names in CSRs (pkix_name_check) */
	if (pkix_name_check(t->subject, t->subject_len, NULL, PC_E_POLICY, &ke) != PC_OK)
		bad(l, "%s", ke.msg);

	/* §4.2.1.6: an empty subject needs a critical SAN */
	if (t->subject_len <= 2) {
		if (!t->has_san)
			bad(l, "empty subject and no subjectAltName (RFC 5280 §4.2.1.6)");
		else if (!t->san_critical)
			bad(l, "empty subject but subjectAltName not critical (RFC 5280 §4.2.1.6)");
	}

	/* key usage fit for the key type: EC and Ed25519 keys do not encrypt
	 * (RFC 8813 §3, RFC 8410 §5); Ed25519 and RSA do not agree keys */
	if (pkix_spki_type(t->spki, t->spki_len, "subject key", PC_E_CSR, &kt, &bits, &ke) != PC_OK) {
		bad(l, "%s", ke.msg);
	} else {
		if (kt != PKIX_KEY_RSA &&
		    (t->ku & (PKIX_KU_KEY_ENCIPHERMENT | PKIX_KU_DATA_ENCIPHERMENT)))
			bad(l, "keyEncipherment/dataEncipherment with an %s key",
			    kt == PKIX_KEY_ED25519 ? "Ed25519" : "EC");
		if ((kt == PKIX_KEY_RSA || kt == PKIX_KEY_ED25519) && (t->ku & PKIX_KU_KEY_AGREEMENT))
			bad(l, "keyAgreement with an %s key", kt == PKIX_KEY_RSA ? "RSA" : "Ed25519");
	}

	/* what the policy decided, exactly */
	if (t->has_ku && t->ku != x->key_usage)
		bad(l, "keyUsage 0x%x differs from the profile's 0x%x", t->ku, x->key_usage);
	n = 0;
	for (i = 0; x->eku && x->eku[i]; i++) {
		n++;
		if (!eku_has(t, x->eku[i]))
			bad(l, "extKeyUsage lacks %s", x->eku[i]);
	}
	if (t->neku != n)
		bad(l, "extKeyUsage has %zu purposes, the profile %zu", t->neku, n);

	/* code signing: only a firmware signer (made in the token by
	 * `firmware signer new`) with exactly its package list, non-critical
	 * so that verifiers which do not know it still accept the signer */
	if (t->has_pkgs && !t->pkgs_ok)
		bad(l, "malformed firmware package list: %s", t->pkgs_err);
	if (x->fw_packages == NULL) {
		if (t->has_pkgs)
			bad(l, "a firmware package list in a certificate that is not a firmware signer");
		if (eku_has(t, "1.3.6.1.5.5.7.3.3") || eku_has(t, "2.5.29.37.0"))
			bad(l, "extKeyUsage %s in a certificate that is not a firmware signer "
			    "(code-signing certificates are made only by plantca firmware signer new)",
			    eku_has(t, "1.3.6.1.5.5.7.3.3") ? "codeSigning" : "anyExtendedKeyUsage");
	} else if (!t->has_pkgs) {
		bad(l, "firmware signer without its package list (%s)", FW_PKGS_OID_TEXT);
	} else if (t->pkgs_ok) {
		bool same = true;
		for (i = 0; x->fw_packages[i] != NULL && same; i++)
			same = i < t->pkgs.n && strcmp(x->fw_packages[i], t->pkgs.name[i]) == 0;
		if (!same || i != t->pkgs.n)
			bad(l, "firmware package list differs from the packages asked for");
		if (t->pkgs_critical)
			bad(l, "firmware package list marked critical (verifiers that do not know it "
			    "would refuse the signer)");
	}

	/* the issuer: names chain, validity nested, name constraints */
	if (issuer_cert != NULL) {
		pkix_cert v;
		if (pkix_cert_parse(issuer_cert, issuer_len, "certificate", &v, NULL) != PC_OK) {
			bad(l, "issuer certificate unreadable");
		} else {
			struct lint il;
			memset(&il, 0, sizeof il);
			if (!parse_tbs(v.tbs, v.tbs_len, is, &il)) {
				bad(l, "issuer certificate unreadable: %s", il.msg);
			} else {
				if (t->issuer_len != v.subject_len ||
				    memcmp(t->issuer, v.subject, v.subject_len) != 0)
					bad(l, "issuer name differs from the issuer's subject");
				if (t->na > v.not_after)
					bad(l, "notAfter beyond the issuer's");
				check_nc(t, is, l);
			}
		}
	}
report:
	if (l->n > 0)
		rc = pc_fail(e, PC_E_POLICY, "%s: pre-issuance check failed: %s", what, l->msg);
out:
	free(l);
	free(t);
	free(is);
	return rc;
}
