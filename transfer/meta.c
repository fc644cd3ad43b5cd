/*
 * meta.c - the BUNDLE metadata member and the SHA256SUMS member.
 *
 * BUNDLE is "key: value\n" lines (docs/bundle-format.md has the grammar).
 * SHA256SUMS is exactly what GNU sha256sum writes in text mode:
 * "HEX  NAME\n", 64 lowercase hex digits, two spaces.  Both parsers are
 * strict and every refusal names the bundle and the line number.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pem.h"
#include "text.h"
#include "tr_int.h"

/* ---- time: RFC 3339 section 5.6, restricted to "Z" and no fraction ---- */

static bool two_digits(const char *s, int *v)
{
	if (s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9')
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	return true;
}

bool tr_time_parse(const char *s, size_t len, time_t *out)
{
	static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int yh, yl, mo, d, h, mi, se, y, dim;
	struct tm tm;
	time_t t;

	if (len != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
	    s[16] != ':' || s[19] != 'Z')
		return false;
	if (!two_digits(s, &yh) || !two_digits(s + 2, &yl) || !two_digits(s + 5, &mo) ||
	    !two_digits(s + 8, &d) || !two_digits(s + 11, &h) || !two_digits(s + 14, &mi) ||
	    !two_digits(s + 17, &se))
		return false;
	y = yh * 100 + yl;
	if (y < 1970 || mo < 1 || mo > 12 || h > 23 || mi > 59 || se > 59)
		return false;   /* no leap seconds: time_t cannot hold them */
	dim = mdays[mo - 1];
	if (mo == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		dim = 29;
	if (d < 1 || d > dim)
		return false;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	t = timegm(&tm);
	if (t == (time_t)-1)
		return false;
	*out = t;
	return true;
}

/* ---- names ---- */

bool tr_segment_ok(const char *s)
{
	size_t i;

	if (s == NULL || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (i = 1; s[i] != '\0'; i++) {
		if (i >= TR_SEGMENT_MAX)
			return false;
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-'))
			return false;
	}
	return true;
}

/* profile: [A-Za-z0-9][A-Za-z0-9._-]{0,62} */
static bool profile_ok(const char *s)
{
	return tr_member_name_ok(s) && strlen(s) <= TR_PROFILE_MAX;
}

static bool keyid_text_ok(const char *s)
{
	size_t i;

	for (i = 0; i < 16; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return s[16] == '\0';
}

/* decimal, no sign, no leading zero, > 0, fits in 64 bits */
static bool seq_parse(const char *s, size_t len, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (len == 0 || len > 20 || s[0] == '0')
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

/* ---- BUNDLE ---- */

void tr_meta_free(tr_meta *m)
{
	size_t i;

	if (m->in_reply_to != NULL) {
		for (i = 0; i < m->nreply; i++)
			free(m->in_reply_to[i]);
		free(m->in_reply_to);
	}
	free(m->csrs);
	m->in_reply_to = NULL;
	m->nreply = 0;
	m->csrs = NULL;
	m->ncsrs = 0;
}

enum {
	K_FORMAT = 1 << 0, K_KIND = 1 << 1, K_SEGMENT = 1 << 2, K_SENDER = 1 << 3,
	K_SEQUENCE = 1 << 4, K_CREATED = 1 << 5, K_EXPIRES = 1 << 6, K_REPLY = 1 << 7,
	K_SCAN = 1 << 8, K_TKEY = 1 << 9, K_SKEYS = 1 << 10, K_REKEY = 1 << 11, K_HOLDS = 1 << 12,
	K_REQUIRED = K_FORMAT | K_KIND | K_SEGMENT | K_SENDER | K_SEQUENCE | K_CREATED |
	    K_EXPIRES,
};

static const struct { const char *name; unsigned bit; } keys[] = {
	{ "format", K_FORMAT }, { "kind", K_KIND }, { "segment", K_SEGMENT },
	{ "sender", K_SENDER }, { "sequence", K_SEQUENCE }, { "created", K_CREATED },
	{ "expires", K_EXPIRES }, { "in-reply-to", K_REPLY }, { "scan", K_SCAN },
	{ "transfer-key", K_TKEY }, { "station-keys", K_SKEYS }, { "rekey", K_REKEY },
	{ "holds-transfer-key", K_HOLDS }, { "csr", 0 },
};

/* Copy value [v, v+n) into a NUL-terminated fixed buffer; false if too long. */
static bool copy_value(char *dst, size_t cap, const char *v, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return true;
}

/* "station-keys: ID,ID,...": key ids, each once */
PC_CHECK static pc_rc parse_station_keys(tr_meta *m, const char *v, size_t n, const char *what,
    size_t line, pc_err *e)
{
	size_t start = 0, i, j;

	for (i = 0; i <= n; i++) {
		char id[17];
		if (i < n && v[i] != ',')
			continue;
		if (!copy_value(id, sizeof id, v + start, i - start) || !keyid_text_ok(id))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: station-keys must be key "
			    "ids (16 uppercase hex digits) separated by commas", what, line);
		if (m->nstation_keys >= TR_STATION_KEYS_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: BUNDLE line %zu: more than %d station-keys",
			    what, line, TR_STATION_KEYS_MAX);
		for (j = 0; j < m->nstation_keys; j++)
			if (strcmp(m->station_keys[j], id) == 0)
				return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: station-keys names %s "
				    "twice", what, line, id);
		memcpy(m->station_keys[m->nstation_keys++], id, sizeof id);
		start = i + 1;
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_reply(tr_meta *m, const char *v, size_t n, const char *what,
    size_t line, pc_err *e)
{
	size_t start = 0, i;

	for (i = 0; i <= n; i++) {
		char name[TR_NAME_MAX + 1];
		char **nr;

		if (i < n && v[i] != ',')
			continue;
		if (!copy_value(name, sizeof name, v + start, i - start) ||
		    !tr_member_name_ok(name))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: bad bundle name in "
			    "in-reply-to", what, line);
		if (m->nreply >= TR_REPLY_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: BUNDLE line %zu: more than %d "
			    "in-reply-to names", what, line, TR_REPLY_MAX);
		nr = realloc(m->in_reply_to, (m->nreply + 2) * sizeof *nr);
		if (nr == NULL)
			return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		m->in_reply_to = nr;
		nr[m->nreply] = strdup(name);
		nr[m->nreply + 1] = NULL;
		if (nr[m->nreply] == NULL)
			return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		m->nreply++;
		start = i + 1;
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_csr(tr_meta *m, size_t *cap, const char *v, size_t n,
    const char *what, size_t line, pc_err *e)
{
	const char *sp = memchr(v, ' ', n);
	tr_csr_entry ce;

	memset(&ce, 0, sizeof ce);
	if (sp == NULL || !copy_value(ce.member, sizeof ce.member, v, (size_t)(sp - v)) ||
	    !copy_value(ce.profile, sizeof ce.profile, sp + 1, n - (size_t)(sp - v) - 1) ||
	    !tr_member_name_ok(ce.member) || !profile_ok(ce.profile))
		return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: want \"csr: MEMBER PROFILE\"",
		    what, line);
	if (m->ncsrs >= TR_MEMBERS_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: BUNDLE line %zu: more than %d csr lines",
		    what, line, TR_MEMBERS_MAX);
	if (!pc_grow(&m->csrs, cap, m->ncsrs, sizeof *m->csrs, 16))
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	m->csrs[m->ncsrs++] = ce;
	return PC_OK;
}

PC_CHECK static pc_rc parse_line(tr_meta *m, unsigned *seen, size_t *csrcap, const char *l,
    size_t n, const char *what, size_t line, pc_err *e)
{
	const char *colon = memchr(l, ':', n), *v;
	size_t klen, vlen, i, k;
	char tmp[32];

	for (i = 0; i < n; i++)
		if ((unsigned char)l[i] < 0x20 || (unsigned char)l[i] > 0x7e)
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: control or non-ASCII "
			    "character", what, line);
	if (colon == NULL || (size_t)(colon - l) + 2 > n || colon[1] != ' ')
		return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: want \"key: value\"", what,
		    line);
	klen = (size_t)(colon - l);
	v = colon + 2;
	vlen = n - klen - 2;
	if (vlen == 0 || v[0] == ' ' || v[vlen - 1] == ' ')
		return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: empty value or stray "
		    "spaces", what, line);
	for (k = 0; k < sizeof keys / sizeof keys[0]; k++)
		if (strlen(keys[k].name) == klen && memcmp(keys[k].name, l, klen) == 0)
			break;
	if (k == sizeof keys / sizeof keys[0])
		return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: unknown key \"%.*s\"", what,
		    line, (int)(klen > 40 ? 40 : klen), l);
	if (keys[k].bit != 0) {
		if (*seen & keys[k].bit)
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: duplicate key \"%s\"",
			    what, line, keys[k].name);
		*seen |= keys[k].bit;
	}
	switch (keys[k].bit) {
	case K_FORMAT:
		if (vlen != 1 || v[0] != '0' + TR_FORMAT_VERSION)
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: unsupported format "
			    "version (want %d)", what, line, TR_FORMAT_VERSION);
		m->version = TR_FORMAT_VERSION;
		return PC_OK;
	case K_KIND:
		if (vlen == 7 && memcmp(v, "request", 7) == 0)
			m->kind = TR_REQUEST;
		else if (vlen == 8 && memcmp(v, "response", 8) == 0)
			m->kind = TR_RESPONSE;
		else
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: kind must be request "
			    "or response", what, line);
		return PC_OK;
	case K_SEGMENT:
		if (!copy_value(m->segment, sizeof m->segment, v, vlen) ||
		    !tr_segment_ok(m->segment))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: bad segment name",
			    what, line);
		return PC_OK;
	case K_SENDER:
		if (!copy_value(m->sender, sizeof m->sender, v, vlen) ||
		    !keyid_text_ok(m->sender))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: sender must be 16 "
			    "uppercase hex digits", what, line);
		return PC_OK;
	case K_SEQUENCE:
		if (!seq_parse(v, vlen, &m->sequence))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: sequence must be a "
			    "decimal number > 0 without leading zeros", what, line);
		return PC_OK;
	case K_CREATED:
	case K_EXPIRES:
		if (!copy_value(tmp, sizeof tmp, v, vlen) ||
		    !tr_time_parse(tmp, vlen, keys[k].bit == K_CREATED ? &m->created : &m->expires))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: %s must be "
			    "YYYY-MM-DDTHH:MM:SSZ", what, line, keys[k].name);
		return PC_OK;
	case K_REPLY:
		return parse_reply(m, v, vlen, what, line, e);
	case K_SCAN:
		/* the scan report member (scanreport.h): NAME.scan, once */
		if (!copy_value(m->scan, sizeof m->scan, v, vlen) || !tr_member_name_ok(m->scan) ||
		    vlen <= 5 || memcmp(v + vlen - 5, ".scan", 5) != 0)
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: scan must name a "
			    "NAME.scan member", what, line);
		return PC_OK;
	case K_TKEY:
	case K_REKEY:
	case K_HOLDS: {
		char *dst = keys[k].bit == K_TKEY ? m->transfer_key : keys[k].bit == K_REKEY ?
		    m->rekey : m->holds_transfer_key;
		if (!copy_value(dst, 17, v, vlen) || !keyid_text_ok(dst))
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: %s must be a key id (16 "
			    "uppercase hex digits)", what, line, keys[k].name);
		return PC_OK;
	}
	case K_SKEYS:
		return parse_station_keys(m, v, vlen, what, line, e);
	default:
		return parse_csr(m, csrcap, v, vlen, what, line, e);
	}
}

pc_rc tr_meta_parse(const uint8_t *text, size_t len, const char *what, tr_meta *out,
    pc_err *e)
{
	pc_reader r = pc_reader_make(text, len);
	unsigned seen = 0;
	size_t line = 0, csrcap = 0, i;
	pc_rc rc = PC_OK;

	memset(out, 0, sizeof *out);
	if (len > TR_META_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: BUNDLE is %zu bytes, more than %d", what, len,
		    TR_META_MAX);
	while (pc_reader_left(&r) > 0) {
		const uint8_t *p = r.p + r.off, *nl;
		size_t n;

		line++;
		nl = memchr(p, '\n', pc_reader_left(&r));
		if (nl == NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE line %zu: no newline at the end",
			    what, line);
			goto fail;
		}
		n = (size_t)(nl - p);
		(void)pc_reader_take(&r, n + 1);
		if ((rc = parse_line(out, &seen, &csrcap, (const char *)p, n, what, line, e)) !=
		    PC_OK)
			goto fail;
	}
	if ((seen & K_REQUIRED) != K_REQUIRED) {
		for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
			if ((keys[i].bit & K_REQUIRED) && !(seen & keys[i].bit))
				break;
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: missing key \"%s\"", what,
		    i < sizeof keys / sizeof keys[0] ? keys[i].name : "?");
		goto fail;
	}
	if (out->expires <= out->created) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: expires is not after created", what);
		goto fail;
	}
	if (out->expires - out->created > (time_t)TR_LIFETIME_MAX_DAYS * PC_DAY) {
		char c[PC_TIME_TEXT_MAX], x[PC_TIME_TEXT_MAX];
		pc_time_text(out->created, c);
		pc_time_text(out->expires, x);
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: lives %lld days (created %s, expires %s); "
		    "a bundle may live at most %d days", what,
		    (long long)((out->expires - out->created + PC_DAY - 1) / PC_DAY), c, x,
		    TR_LIFETIME_MAX_DAYS);
		goto fail;
	}
	if (out->kind == TR_REQUEST && out->nreply > 0) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: in-reply-to in a request", what);
		goto fail;
	}
	if (out->kind == TR_RESPONSE && out->ncsrs > 0) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: csr lines in a response", what);
		goto fail;
	}
	if (out->kind == TR_RESPONSE && out->scan[0] != '\0') {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: a scan line in a response", what);
		goto fail;
	}
	/* key rotation: each key in the direction it travels */
	if (out->kind == TR_RESPONSE && (out->rekey[0] != '\0' || out->holds_transfer_key[0] != '\0')) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: %s in a response", what,
		    out->rekey[0] != '\0' ? "rekey" : "holds-transfer-key");
		goto fail;
	}
	if (out->kind == TR_REQUEST && (out->transfer_key[0] != '\0' || out->nstation_keys > 0)) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE: %s in a request", what,
		    out->transfer_key[0] != '\0' ? "transfer-key" : "station-keys");
		goto fail;
	}
	return PC_OK;
fail:
	tr_meta_free(out);
	return rc;
}

void tr_meta_format(const tr_meta *m, pc_buf *out)
{
	char created[PC_TIME_TEXT_MAX], expires[PC_TIME_TEXT_MAX];
	size_t i;

	pc_time_text(m->created, created);
	pc_time_text(m->expires, expires);
	pc_buf_printf(out, "format: %u\nkind: %s\nsegment: %s\nsender: %s\n"
	    "sequence: %" PRIu64 "\ncreated: %s\nexpires: %s\n", m->version,
	    m->kind == TR_RESPONSE ? "response" : "request", m->segment, m->sender,
	    m->sequence, created, expires);
	if (m->nreply > 0) {
		pc_buf_str(out, "in-reply-to: ");
		for (i = 0; i < m->nreply; i++) {
			if (i > 0)
				pc_buf_byte(out, ',');
			pc_buf_str(out, m->in_reply_to[i]);
		}
		pc_buf_byte(out, '\n');
	}
	if (m->scan[0] != '\0')
		pc_buf_printf(out, "scan: %s\n", m->scan);
	if (m->transfer_key[0] != '\0')
		pc_buf_printf(out, "transfer-key: %s\n", m->transfer_key);
	for (i = 0; i < m->nstation_keys; i++)
		pc_buf_printf(out, "%s%s", i == 0 ? "station-keys: " : ",", m->station_keys[i]);
	if (m->nstation_keys > 0)
		pc_buf_byte(out, '\n');
	if (m->rekey[0] != '\0')
		pc_buf_printf(out, "rekey: %s\n", m->rekey);
	if (m->holds_transfer_key[0] != '\0')
		pc_buf_printf(out, "holds-transfer-key: %s\n", m->holds_transfer_key);
	for (i = 0; i < m->ncsrs; i++)
		pc_buf_printf(out, "csr: %s %s\n", m->csrs[i].member, m->csrs[i].profile);
}

/* ---- SHA256SUMS ---- */

void tr_sums_line(pc_buf *out, const char *name, const uint8_t hash[TR_HASH_LEN])
{
	pc_hex_encode(out, hash, TR_HASH_LEN, 0);
	pc_buf_printf(out, "  %s\n", name);
}

void tr_sums_format(const tr_member *m, size_t n, pc_buf *out)
{
	uint8_t h[TR_HASH_LEN];
	size_t i;

	for (i = 0; i < n; i++) {
		crypto_hash_sha256(h, m[i].data, m[i].len);
		tr_sums_line(out, m[i].name, h);
	}
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;      /* uppercase refused: sha256sum writes lowercase */
}

pc_rc tr_sums_parse(const uint8_t *text, size_t len, const char *what,
    tr_sum **out, size_t *n, pc_err *e)
{
	pc_reader r = pc_reader_make(text, len);
	tr_sum *s = NULL;
	size_t count = 0, cap = 0, line = 0;

	*out = NULL;
	*n = 0;
	while (pc_reader_left(&r) > 0) {
		const uint8_t *p = r.p + r.off, *nl;
		size_t ll, i;
		tr_sum one;

		line++;
		nl = memchr(p, '\n', pc_reader_left(&r));
		if (nl == NULL) {
			free(s);
			return pc_fail(e, PC_E_BUNDLE, "%s: SHA256SUMS line %zu: no newline at the "
			    "end", what, line);
		}
		ll = (size_t)(nl - p);
		(void)pc_reader_take(&r, ll + 1);
		memset(&one, 0, sizeof one);
		if (ll < 2 * TR_HASH_LEN + 3 || ll > 2 * TR_HASH_LEN + 2 + TR_NAME_MAX ||
		    p[2 * TR_HASH_LEN] != ' ' || p[2 * TR_HASH_LEN + 1] != ' ') {
			free(s);
			return pc_fail(e, PC_E_BUNDLE, "%s: SHA256SUMS line %zu: want \"HEX  NAME\"",
			    what, line);
		}
		for (i = 0; i < TR_HASH_LEN; i++) {
			int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
			if (hi < 0 || lo < 0) {
				free(s);
				return pc_fail(e, PC_E_BUNDLE, "%s: SHA256SUMS line %zu: hash must be "
				    "64 lowercase hex digits", what, line);
			}
			one.hash[i] = (uint8_t)(hi << 4 | lo);
		}
		memcpy(one.name, p + 2 * TR_HASH_LEN + 2, ll - 2 * TR_HASH_LEN - 2);
		if (memchr(one.name, '\0', ll - 2 * TR_HASH_LEN - 2) != NULL ||
		    !tr_member_name_ok(one.name)) {
			free(s);
			return pc_fail(e, PC_E_BUNDLE, "%s: SHA256SUMS line %zu: bad member name",
			    what, line);
		}
		if (count >= TR_MEMBERS_MAX) {
			free(s);
			return pc_fail(e, PC_E_LIMIT, "%s: SHA256SUMS: more than %d lines", what,
			    TR_MEMBERS_MAX);
		}
		if (!pc_grow(&s, &cap, count, sizeof *s, 16)) {
			free(s);
			return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		}
		s[count++] = one;
	}
	*out = s;
	*n = count;
	return PC_OK;
}
