/*
 * scanreport.c - the scan report's model, writer and strict reader
 * (scanreport.h has the grammar; docs/discovery.md the whole story).
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "scanreport.h"
#include "text.h"
#include "tr_int.h"

/* ------------------------------------------------------------- the model */

void sr_report_init(sr_report *r)
{
	memset(r, 0, sizeof *r);
}

void sr_report_free(sr_report *r)
{
	size_t i;

	for (i = 0; i < r->ncerts; i++)
		free(r->certs[i].der);
	for (i = 0; i < r->neps; i++) {
		free(r->eps[i].path);
		free(r->eps[i].ua);
	}
	free(r->certs);
	free(r->eps);
	free(r->index);
	memset(r, 0, sizeof *r);
}

static uint32_t hash_slot(const uint8_t h[32], size_t cap)
{
	uint32_t v = (uint32_t)h[0] | (uint32_t)h[1] << 8 | (uint32_t)h[2] << 16 |
	    (uint32_t)h[3] << 24;

	return v & (uint32_t)(cap - 1);
}

/* An open-addressed index of the certificates by hash (slot value:
 * index + 1, 0 free), at most half full. */
static bool index_grow(sr_report *r)
{
	size_t cap = r->index_cap ? 2 * r->index_cap : 64, i;
	uint32_t *ix = calloc(cap, sizeof *ix);

	if (ix == NULL)
		return false;
	for (i = 0; i < r->ncerts; i++) {
		uint32_t s = hash_slot(r->certs[i].hash, cap);
		while (ix[s] != 0)
			s = (s + 1) & (uint32_t)(cap - 1);
		ix[s] = (uint32_t)i + 1;
	}
	free(r->index);
	r->index = ix;
	r->index_cap = cap;
	return true;
}

static size_t cert_find(const sr_report *r, const uint8_t *der, size_t len, const uint8_t h[32])
{
	uint32_t s;

	if (r->index_cap == 0)
		return SR_NONE;
	for (s = hash_slot(h, r->index_cap); r->index[s] != 0;
	    s = (s + 1) & (uint32_t)(r->index_cap - 1)) {
		const sr_cert *c = &r->certs[r->index[s] - 1];
		if (c->len == len && memcmp(c->hash, h, 32) == 0 && memcmp(c->der, der, len) == 0)
			return r->index[s] - 1;
	}
	return SR_NONE;
}

/* One DER SEQUENCE TLV and nothing after it. */
static bool one_sequence(const uint8_t *der, size_t len)
{
	pc_reader rd = pc_reader_make(der, len), c;

	return pc_der_read(&rd, DER_SEQUENCE, &c) && pc_reader_done(&rd);
}

pc_rc sr_cert_add(sr_report *r, const uint8_t *der, size_t len, size_t *index, pc_err *e)
{
	uint8_t h[32];
	sr_cert *c;
	uint32_t s;

	if (len > SR_CERT_MAX)
		return pc_fail(e, PC_E_LIMIT, "certificate of %zu bytes, more than %d", len,
		    SR_CERT_MAX);
	if (len == 0 || !one_sequence(der, len))
		return pc_fail(e, PC_E_INPUT, "certificate is not one DER SEQUENCE");
	crypto_hash_sha256(h, der, len);
	if ((*index = cert_find(r, der, len, h)) != SR_NONE)
		return PC_OK;
	if (r->ncerts >= SR_CERTS_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d certificates", SR_CERTS_MAX);
	if (r->ncerts == r->certs_cap) {
		size_t cap = r->certs_cap ? 2 * r->certs_cap : 16;
		sr_cert *v = reallocarray(r->certs, cap, sizeof *v);
		if (v == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		r->certs = v;
		r->certs_cap = cap;
	}
	if (2 * (r->ncerts + 1) > r->index_cap && !index_grow(r))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	c = &r->certs[r->ncerts];
	if ((c->der = malloc(len)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(c->der, der, len);
	c->len = len;
	memcpy(c->hash, h, 32);
	for (s = hash_slot(h, r->index_cap); r->index[s] != 0;
	    s = (s + 1) & (uint32_t)(r->index_cap - 1))
		;
	r->index[s] = (uint32_t)r->ncerts + 1;
	*index = r->ncerts++;
	return PC_OK;
}

pc_rc sr_endpoint_add(sr_report *r, sr_kind kind, const char *host, uint16_t port,
    const char *path, sr_endpoint **out, pc_err *e)
{
	sr_endpoint *ep;

	if (r->neps >= SR_ENDPOINTS_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d endpoints", SR_ENDPOINTS_MAX);
	if (strlen(host) > SR_HOST_MAX || (path != NULL && strlen(path) > SR_PATH_MAX))
		return pc_fail(e, PC_E_LIMIT, "endpoint name too long");
	if (r->neps == r->eps_cap) {
		size_t cap = r->eps_cap ? 2 * r->eps_cap : 16;
		sr_endpoint *v = reallocarray(r->eps, cap, sizeof *v);
		if (v == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		r->eps = v;
		r->eps_cap = cap;
	}
	ep = &r->eps[r->neps];
	memset(ep, 0, sizeof *ep);
	if (path != NULL && (ep->path = strdup(path)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	ep->kind = kind;
	snprintf(ep->host, sizeof ep->host, "%s", host);
	ep->port = port;
	ep->result = SR_ERROR;
	r->neps++;
	*out = ep;
	return PC_OK;
}

pc_rc sr_ua_add(sr_endpoint *ep, const sr_ua *ua, pc_err *e)
{
	sr_ua *v;

	if (ep->nua >= SR_UA_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d OPC UA endpoint descriptions", SR_UA_MAX);
	if ((v = reallocarray(ep->ua, ep->nua + 1, sizeof *v)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	ep->ua = v;
	ep->ua[ep->nua++] = *ua;
	return PC_OK;
}

/* --------------------------------------------------------------- names */

static const char *const kind_names[] = { NULL, "tls", "mqtts", "opc.tcp", "dir" };
static const char *const result_names[] = { NULL, "ok", "timeout", "refused", "unreachable",
	"error" };

const char *sr_kind_scheme(sr_kind k)
{
	return k >= SR_TLS && k <= SR_DIR ? kind_names[k] : "?";
}

const char *sr_result_name(sr_result r)
{
	return r >= SR_OK && r <= SR_ERROR ? result_names[r] : "?";
}

const char *sr_mode_name(uint32_t mode, char buf[16])
{
	static const char *const names[] = { "Invalid", "None", "Sign", "SignAndEncrypt" };

	if (mode <= SR_MODE_SIGN_ENCRYPT)
		return names[mode];
	snprintf(buf, 16, "mode-%" PRIu32, mode);
	return buf;
}

/* TOKEN: '!'..'~' except '%' as themselves, every other byte %XX. */
static bool tok_plain(uint8_t c)
{
	return c > ' ' && c < 0x7f && c != '%';
}

static void tok_put(pc_buf *b, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789ABCDEF";
	size_t i;

	if (n == 1 && p[0] == '-') {
		pc_buf_str(b, "%2D");
		return;
	}
	for (i = 0; i < n; i++) {
		if (tok_plain(p[i])) {
			pc_buf_byte(b, p[i]);
		} else {
			pc_buf_byte(b, '%');
			pc_buf_byte(b, (uint8_t)hx[p[i] >> 4]);
			pc_buf_byte(b, (uint8_t)hx[p[i] & 15]);
		}
	}
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode a TOKEN of n bytes into out (cap bytes); false when it is not
 * canonical (lower-case hex, an escaped byte that needs none, a bare '%').
 * The empty value is written "-", so a value of exactly "-" is "%2D". */
static bool tok_get(const char *s, size_t n, uint8_t *out, size_t cap, size_t *len)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)s[i];
		if (c == '%') {
			int h, l;
			if (i + 2 >= n)
				return false;
			h = hexval(s[i + 1]);
			l = hexval(s[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = (uint8_t)(h << 4 | l);
			if (tok_plain(c) && !(n == 3 && c == '-'))
				return false;
			i += 2;
		} else if (!tok_plain(c)) {
			return false;
		}
		if (k >= cap)
			return false;
		out[k++] = c;
	}
	*len = k;
	return true;
}

static void host_put(char *out, size_t n, const sr_endpoint *ep)
{
	if (strchr(ep->host, ':') != NULL)
		snprintf(out, n, "%s://[%s]:%u", sr_kind_scheme(ep->kind), ep->host, ep->port);
	else
		snprintf(out, n, "%s://%s:%u", sr_kind_scheme(ep->kind), ep->host, ep->port);
}

void sr_endpoint_url(const sr_endpoint *ep, char *out, size_t n)
{
	pc_buf b = PC_BUF_INIT;

	if (ep->kind != SR_DIR) {
		host_put(out, n, ep);
		return;
	}
	pc_buf_str(&b, "dir:");
	if (ep->path != NULL)
		tok_put(&b, (const uint8_t *)ep->path, strlen(ep->path));
	if (!pc_buf_ok(&b) || n == 0) {
		snprintf(out, n, "dir:?");
	} else {
		size_t k = b.len < n - 1 ? b.len : n - 1;
		memcpy(out, b.p, k);
		out[k] = '\0';
	}
	pc_buf_free(&b);
}

/* -------------------------------------------------------------- writing */

void sr_format(const sr_report *r, pc_buf *out)
{
	char t1[PC_TIME_TEXT_MAX], t2[PC_TIME_TEXT_MAX], url[SR_PATH_MAX * 3 + 16], mb[16];
	size_t i, k;

	pc_time_text(r->started, t1);
	pc_time_text(r->finished, t2);
	pc_buf_printf(out, "plantca-scan: %d\nsegment: %s\nstarted: %s\nfinished: %s\n",
	    SR_VERSION, r->segment, t1, t2);
	for (i = 0; i < r->ncerts; i++) {
		size_t blen = sodium_base64_ENCODED_LEN(r->certs[i].len,
		    sodium_base64_VARIANT_ORIGINAL);
		pc_buf_printf(out, "cert: %zu ", i);
		if (!pc_buf_reserve(out, blen))
			return;
		sodium_bin2base64((char *)out->p + out->len, blen, r->certs[i].der, r->certs[i].len,
		    sodium_base64_VARIANT_ORIGINAL);
		out->len += blen - 1;
		pc_buf_byte(out, '\n');
	}
	for (i = 0; i < r->neps; i++) {
		const sr_endpoint *ep = &r->eps[i];
		sr_endpoint_url(ep, url, sizeof url);
		pc_buf_printf(out, "endpoint: %s\nresult: %s%s%s\n", url, sr_result_name(ep->result),
		    ep->reason[0] ? " " : "", ep->reason);
		if (ep->tls_version[0])
			pc_buf_printf(out, "tls: %s\n", ep->tls_version);
		if (ep->nchain > 0) {
			pc_buf_str(out, "chain:");
			for (k = 0; k < ep->nchain; k++)
				pc_buf_printf(out, " %zu", ep->chain[k]);
			pc_buf_byte(out, '\n');
		}
		for (k = 0; k < ep->nua; k++) {
			const sr_ua *u = &ep->ua[k];
			pc_buf_printf(out, "ua: %s ", sr_mode_name(u->mode, mb));
			if (u->cert == SR_NONE)
				pc_buf_str(out, "-");
			else
				pc_buf_printf(out, "%zu", u->cert);
			pc_buf_byte(out, ' ');
			if (u->policy_len == 0)
				pc_buf_str(out, "-");
			tok_put(out, u->policy, u->policy_len);
			pc_buf_byte(out, ' ');
			if (u->app_uri_len == 0)
				pc_buf_str(out, "-");
			tok_put(out, u->app_uri, u->app_uri_len);
			pc_buf_byte(out, '\n');
		}
	}
}

/* -------------------------------------------------------------- reading */

typedef struct rd {
	const char *what;
	size_t line;
	pc_err *e;
} rd;

PC_PRINTF(2, 3) static pc_rc bad(rd *d, const char *fmt, ...)
{
	char why[PC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return pc_fail(d->e, PC_E_INPUT, "%s:%zu: %s", d->what, d->line, why);
}

/* A decimal without sign or leading zeros, at most max. */
static bool dec(const char *s, size_t n, uint64_t max, uint64_t *v)
{
	uint64_t x = 0;
	size_t i;

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9' || x > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		x = x * 10 + (uint64_t)(s[i] - '0');
	}
	if (x > max)
		return false;
	*v = x;
	return true;
}

static bool host_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	    c == '.' || c == '-' || c == '_';
}

static bool v6_char(char c)
{
	return (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F') || (c >= '0' && c <= '9') ||
	    c == ':' || c == '.';
}

/* "SCHEME://HOST:PORT" or "dir:TOKEN" into ep's fields. */
PC_CHECK static pc_rc url_parse(rd *d, const char *s, size_t n, sr_report *r, sr_endpoint **out)
{
	static const sr_kind kinds[] = { SR_TLS, SR_MQTTS, SR_OPCUA };
	char host[SR_HOST_MAX + 1];
	uint8_t *path;
	size_t i, k, plen;
	uint64_t port;
	struct in6_addr a6;
	const char *h, *end = s + n, *colon;
	pc_rc rc;

	if (n > 4 && memcmp(s, "dir:", 4) == 0) {
		if ((path = malloc(SR_PATH_MAX + 1)) == NULL)
			return pc_fail(d->e, PC_E_NOMEM, "out of memory");
		if (!tok_get(s + 4, n - 4, path, SR_PATH_MAX, &plen) || plen == 0 ||
		    memchr(path, 0, plen) != NULL || (plen == 1 && path[0] == '-' && n - 4 == 1)) {
			free(path);
			return bad(d, "endpoint: malformed dir: path");
		}
		path[plen] = '\0';
		rc = sr_endpoint_add(r, SR_DIR, "", 0, (const char *)path, out, d->e);
		free(path);
		return rc;
	}
	for (k = 0; k < 3; k++) {
		size_t sl = strlen(kind_names[kinds[k]]);
		if (n > sl + 3 && memcmp(s, kind_names[kinds[k]], sl) == 0 &&
		    memcmp(s + sl, "://", 3) == 0)
			break;
	}
	if (k == 3)
		return bad(d, "endpoint: unknown kind (tls://, mqtts://, opc.tcp://, dir:)");
	h = s + strlen(kind_names[kinds[k]]) + 3;
	if (*h == '[') {
		const char *rb = memchr(h, ']', (size_t)(end - h));
		if (rb == NULL || rb == h + 1 || rb + 1 >= end || rb[1] != ':' ||
		    (size_t)(rb - h - 1) > SR_HOST_MAX)
			return bad(d, "endpoint: malformed [address]:port");
		for (i = 1; h + i < rb; i++)
			if (!v6_char(h[i]))
				return bad(d, "endpoint: malformed [address]:port");
		memcpy(host, h + 1, (size_t)(rb - h - 1));
		host[rb - h - 1] = '\0';
		/* only IPv6 goes in brackets: the writer brackets a host that holds
		 * a ':' (fuzz_scanreport: "[5555]" read, then written bare) */
		if (inet_pton(AF_INET6, host, &a6) != 1)
			return bad(d, "endpoint: malformed [address]:port");
		colon = rb + 1;
	} else {
		colon = memchr(h, ':', (size_t)(end - h));
		if (colon == NULL || colon == h || (size_t)(colon - h) > SR_HOST_MAX)
			return bad(d, "endpoint: malformed host:port");
		for (i = 0; h + i < colon; i++)
			if (!host_char(h[i]))
				return bad(d, "endpoint: malformed host:port");
		memcpy(host, h, (size_t)(colon - h));
		host[colon - h] = '\0';
	}
	if (!dec(colon + 1, (size_t)(end - colon - 1), 65535, &port) || port == 0)
		return bad(d, "endpoint: port is not 1..65535");
	return sr_endpoint_add(r, kinds[k], host, (uint16_t)port, NULL, out, d->e);
}

PC_CHECK static pc_rc result_parse(rd *d, const char *v, size_t n, sr_endpoint *ep)
{
	size_t w = 0, k;

	while (w < n && v[w] != ' ')
		w++;
	for (k = SR_OK; k <= SR_ERROR; k++)
		if (strlen(result_names[k]) == w && memcmp(v, result_names[k], w) == 0)
			break;
	if (k > SR_ERROR)
		return bad(d, "result: unknown result (ok, timeout, refused, unreachable, error)");
	ep->result = (sr_result)k;
	if (w == n)
		return PC_OK;
	if (k == SR_OK)
		return bad(d, "result: ok takes no reason");
	if (n - w - 1 == 0 || n - w - 1 > SR_REASON_MAX || v[w + 1] == ' ' || v[n - 1] == ' ')
		return bad(d, "result: reason empty, longer than %d or with spaces around it",
		    SR_REASON_MAX);
	memcpy(ep->reason, v + w + 1, n - w - 1);
	ep->reason[n - w - 1] = '\0';
	return PC_OK;
}

PC_CHECK static pc_rc tls_parse(rd *d, const char *v, size_t n, sr_endpoint *ep)
{
	static const char *const versions[] = { "SSLv3", "TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3" };
	size_t k;

	if (ep->kind != SR_TLS && ep->kind != SR_MQTTS)
		return bad(d, "tls: for a %s endpoint", sr_kind_scheme(ep->kind));
	for (k = 0; k < 5; k++)
		if (strlen(versions[k]) == n && memcmp(v, versions[k], n) == 0) {
			memcpy(ep->tls_version, v, n);
			ep->tls_version[n] = '\0';
			return PC_OK;
		}
	return bad(d, "tls: unknown version (SSLv3, TLSv1, TLSv1.1, TLSv1.2, TLSv1.3)");
}

/* Split v[0..n) at single spaces into at most max fields; false on an
 * empty field (a leading, trailing or double space) or more than max. */
static bool split(const char *v, size_t n, const char **f, size_t *fl, size_t max, size_t *nf)
{
	size_t i = 0, start = 0;

	*nf = 0;
	for (i = 0; i <= n; i++) {
		if (i < n && v[i] != ' ')
			continue;
		if (i == start || *nf == max)
			return false;
		f[*nf] = v + start;
		fl[(*nf)++] = i - start;
		start = i + 1;
	}
	return true;
}

PC_CHECK static pc_rc chain_parse(rd *d, const char *v, size_t n, const sr_report *r, sr_endpoint *ep)
{
	const char *f[SR_CHAIN_MAX + 1];
	size_t fl[SR_CHAIN_MAX + 1], nf, i;
	uint64_t ix;

	if (ep->kind == SR_OPCUA)
		return bad(d, "chain: for an opc.tcp endpoint (its certificates are in ua lines)");
	if (!split(v, n, f, fl, SR_CHAIN_MAX + 1, &nf))
		return bad(d, "chain: want certificate indexes separated by one space");
	if (nf > SR_CHAIN_MAX)
		return pc_fail(d->e, PC_E_LIMIT, "%s:%zu: chain: more than %d certificates",
		    d->what, d->line, SR_CHAIN_MAX);
	for (i = 0; i < nf; i++) {
		if (!dec(f[i], fl[i], SR_CERTS_MAX, &ix))
			return bad(d, "chain: want certificate indexes separated by one space");
		if (ix >= r->ncerts)
			return bad(d, "chain: certificate %" PRIu64 " is not in the report", ix);
		ep->chain[ep->nchain++] = (size_t)ix;
	}
	return PC_OK;
}

static bool text_tok(const char *f, size_t fl, uint8_t *out, size_t *len)
{
	if (fl == 1 && f[0] == '-') {
		*len = 0;
		return true;
	}
	return tok_get(f, fl, out, SR_TEXT_MAX, len) && *len > 0;
}

PC_CHECK static pc_rc ua_parse(rd *d, const char *v, size_t n, const sr_report *r, sr_endpoint *ep)
{
	static const char *const names[] = { "Invalid", "None", "Sign", "SignAndEncrypt" };
	const char *f[5];
	size_t fl[5], nf, k;
	uint64_t x;
	sr_ua u;

	if (ep->kind != SR_OPCUA)
		return bad(d, "ua: for a %s endpoint", sr_kind_scheme(ep->kind));
	memset(&u, 0, sizeof u);
	if (!split(v, n, f, fl, 5, &nf) || nf != 4)
		return bad(d, "ua: want MODE CERT POLICY APPLICATION-URI");
	for (k = 0; k < 4; k++)
		if (strlen(names[k]) == fl[0] && memcmp(f[0], names[k], fl[0]) == 0)
			break;
	if (k < 4)
		u.mode = (uint32_t)k;
	else if (fl[0] > 5 && memcmp(f[0], "mode-", 5) == 0 &&
	    dec(f[0] + 5, fl[0] - 5, UINT32_MAX, &x) && x > 3)
		u.mode = (uint32_t)x;
	else
		return bad(d, "ua: unknown security mode");
	if (fl[1] == 1 && f[1][0] == '-')
		u.cert = SR_NONE;
	else if (!dec(f[1], fl[1], SR_CERTS_MAX, &x) || x >= r->ncerts)
		return bad(d, "ua: certificate is not an index into the report or -");
	else
		u.cert = (size_t)x;
	if (!text_tok(f[2], fl[2], u.policy, &u.policy_len))
		return bad(d, "ua: malformed security policy URI");
	if (!text_tok(f[3], fl[3], u.app_uri, &u.app_uri_len))
		return bad(d, "ua: malformed ApplicationUri");
	if (ep->nua >= SR_UA_MAX)
		return pc_fail(d->e, PC_E_LIMIT, "%s:%zu: ua: more than %d for one endpoint",
		    d->what, d->line, SR_UA_MAX);
	return sr_ua_add(ep, &u, d->e);
}

PC_CHECK static pc_rc cert_parse(rd *d, const char *v, size_t n, sr_report *r)
{
	const char *sp = memchr(v, ' ', n), *b64;
	uint8_t *der;
	char *check;
	size_t blen, dlen, ix, elen;
	uint64_t want;
	pc_rc rc;

	if (sp == NULL || !dec(v, (size_t)(sp - v), SR_CERTS_MAX, &want))
		return bad(d, "cert: want INDEX BASE64");
	if (want != r->ncerts)
		return bad(d, "cert: index %" PRIu64 ", expected %zu", want, r->ncerts);
	b64 = sp + 1;
	blen = (size_t)(v + n - b64);
	if (blen > sodium_base64_ENCODED_LEN(SR_CERT_MAX, sodium_base64_VARIANT_ORIGINAL))
		return pc_fail(d->e, PC_E_LIMIT, "%s:%zu: cert: more than %d bytes", d->what, d->line,
		    SR_CERT_MAX);
	if ((der = malloc(blen)) == NULL || (check = malloc(blen + 1)) == NULL) {
		free(der);
		return pc_fail(d->e, PC_E_NOMEM, "out of memory");
	}
	rc = PC_OK;
	if (sodium_base642bin(der, blen, b64, blen, NULL, &dlen, NULL,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || dlen == 0) {
		rc = bad(d, "cert: malformed base64");
	} else {
		elen = sodium_base64_ENCODED_LEN(dlen, sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(check, elen, der, dlen, sodium_base64_VARIANT_ORIGINAL);
		if (elen - 1 != blen || memcmp(check, b64, blen) != 0)
			rc = bad(d, "cert: base64 is not canonical");
	}
	if (rc == PC_OK && (rc = sr_cert_add(r, der, dlen, &ix, d->e)) != PC_OK)
		rc = pc_wrap(d->e, "%s:%zu: cert", d->what, d->line);
	if (rc == PC_OK && ix != want)
		rc = bad(d, "cert: the same certificate as %zu", ix);
	free(der);
	free(check);
	return rc;
}

static int cmp_hash(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* No endpoint twice: their URLs hashed and sorted. */
PC_CHECK static pc_rc check_unique(rd *d, const sr_report *r)
{
	uint8_t (*h)[32];
	char url[SR_PATH_MAX * 3 + 16];
	size_t i;

	if (r->neps < 2)
		return PC_OK;
	if ((h = calloc(r->neps, sizeof *h)) == NULL)
		return pc_fail(d->e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < r->neps; i++) {
		sr_endpoint_url(&r->eps[i], url, sizeof url);
		crypto_hash_sha256(h[i], (const uint8_t *)url, strlen(url));
	}
	qsort(h, r->neps, sizeof *h, cmp_hash);
	for (i = 1; i < r->neps; i++)
		if (memcmp(h[i - 1], h[i], 32) == 0) {
			free(h);
			return pc_fail(d->e, PC_E_INPUT, "%s: an endpoint is listed twice", d->what);
		}
	free(h);
	return PC_OK;
}

enum { ST_HEAD, ST_SEGMENT, ST_STARTED, ST_FINISHED, ST_BODY };

PC_CHECK static pc_rc parse_line(rd *d, int *state, const char *k, size_t kl, const char *v, size_t n,
    sr_report *r, int *ep_stage)
{
	sr_endpoint *ep = r->neps ? &r->eps[r->neps - 1] : NULL;
	uint64_t ver;

#define KEY(s) (kl == sizeof(s) - 1 && memcmp(k, s, kl) == 0)
	switch (*state) {
	case ST_HEAD:
		if (!KEY("plantca-scan") || !dec(v, n, UINT32_MAX, &ver))
			return bad(d, "not a plantca scan report (want \"plantca-scan: %d\")", SR_VERSION);
		if (ver != SR_VERSION)
			return bad(d, "report format %" PRIu64 ", this plantca reads %d", ver, SR_VERSION);
		*state = ST_SEGMENT;
		return PC_OK;
	case ST_SEGMENT: {
		char seg[SR_SEGMENT_MAX + 1];
		if (!KEY("segment") || n == 0 || n > SR_SEGMENT_MAX)
			return bad(d, "want \"segment: NAME\"");
		memcpy(seg, v, n);
		seg[n] = '\0';
		if (!tr_segment_ok(seg))
			return bad(d, "segment: not [a-z0-9][a-z0-9-]{0,62}");
		memcpy(r->segment, seg, n + 1);
		*state = ST_STARTED;
		return PC_OK;
	}
	case ST_STARTED:
		if (!KEY("started") || !tr_time_parse(v, n, &r->started))
			return bad(d, "want \"started: YYYY-MM-DDTHH:MM:SSZ\"");
		*state = ST_FINISHED;
		return PC_OK;
	case ST_FINISHED:
		if (!KEY("finished") || !tr_time_parse(v, n, &r->finished))
			return bad(d, "want \"finished: YYYY-MM-DDTHH:MM:SSZ\"");
		if (r->finished < r->started)
			return bad(d, "finished is before started");
		*state = ST_BODY;
		return PC_OK;
	default:
		break;
	}
	/* ep_stage: 0 before an endpoint's result, 1 after it, 2 after tls,
	 * 3 after chain, 4 in ua lines */
	if (KEY("cert")) {
		if (r->neps > 0)
			return bad(d, "cert: after the first endpoint");
		return cert_parse(d, v, n, r);
	}
	if (KEY("endpoint")) {
		if (ep != NULL && *ep_stage == 0)
			return bad(d, "endpoint: the one before has no result line");
		*ep_stage = 0;
		return url_parse(d, v, n, r, &ep);
	}
	if (ep == NULL)
		return bad(d, "%.*s: before the first endpoint", (int)kl, k);
	if (KEY("result")) {
		if (*ep_stage != 0)
			return bad(d, "result: twice for one endpoint");
		*ep_stage = 1;
		return result_parse(d, v, n, ep);
	}
	if (*ep_stage == 0)
		return bad(d, "%.*s: before the endpoint's result line", (int)kl, k);
	if (KEY("tls")) {
		if (*ep_stage >= 2)
			return bad(d, "tls: out of order (endpoint, result, tls, chain, ua)");
		*ep_stage = 2;
		return tls_parse(d, v, n, ep);
	}
	if (KEY("chain")) {
		if (*ep_stage >= 3)
			return bad(d, "chain: out of order (endpoint, result, tls, chain, ua)");
		*ep_stage = 3;
		return chain_parse(d, v, n, r, ep);
	}
	if (KEY("ua")) {
		*ep_stage = 4;
		return ua_parse(d, v, n, r, ep);
	}
	return bad(d, "unknown key '%.*s'", (int)(kl < 32 ? kl : 32), k);
#undef KEY
}

pc_rc sr_parse(const uint8_t *p, size_t len, const char *what, sr_report *out, pc_err *e)
{
	rd d = { what, 0, e };
	size_t off = 0, i;
	int state = ST_HEAD, ep_stage = 0;
	pc_rc rc = PC_OK;

	sr_report_init(out);
	if (len > SR_REPORT_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, more than %d", what, len, SR_REPORT_MAX);
	while (off < len && rc == PC_OK) {
		const char *l = (const char *)p + off, *nl = memchr(l, '\n', len - off), *colon;
		size_t n;
		d.line++;
		if (nl == NULL) {
			rc = bad(&d, "last line does not end with LF");
			break;
		}
		n = (size_t)(nl - l);
		off += n + 1;
		for (i = 0; i < n; i++)
			if ((uint8_t)l[i] < 0x20 || (uint8_t)l[i] > 0x7e)
				break;
		if (i < n) {
			rc = bad(&d, "byte 0x%02x: only printable ASCII is allowed", (uint8_t)l[i]);
			break;
		}
		colon = memchr(l, ':', n);
		if (colon == NULL || colon == l || (size_t)(colon - l) + 1 >= n || colon[1] != ' ' ||
		    (size_t)(colon - l) + 2 == n) {
			rc = bad(&d, "want \"key: value\"");
			break;
		}
		rc = parse_line(&d, &state, l, (size_t)(colon - l), colon + 2,
		    n - (size_t)(colon - l) - 2, out, &ep_stage);
	}
	if (rc == PC_OK && state != ST_BODY)
		rc = pc_fail(e, PC_E_INPUT, "%s: report ends inside its header", what);
	if (rc == PC_OK && out->neps > 0 && ep_stage == 0)
		rc = pc_fail(e, PC_E_INPUT, "%s: the last endpoint has no result line", what);
	if (rc == PC_OK)
		rc = check_unique(&d, out);
	if (rc != PC_OK)
		sr_report_free(out);
	return rc;
}
