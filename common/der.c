#include "der.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_der_init(pc_der *d)
{
	memset(d, 0, sizeof *d);
}

void pc_der_free(pc_der *d)
{
	pc_buf_free(&d->b);
	d->depth = 0;
}

static size_t len_header(size_t len, uint8_t out[9])
{
	size_t n = 0, i;
	uint8_t tmp[8];

	if (len < 0x80) {
		out[0] = (uint8_t)len;
		return 1;
	}
	while (len > 0) {
		tmp[n++] = (uint8_t)len;
		len >>= 8;
	}
	out[0] = (uint8_t)(0x80 | n);
	for (i = 0; i < n; i++)
		out[1 + i] = tmp[n - 1 - i];
	return 1 + n;
}

void pc_der_begin(pc_der *d, uint8_t tag)
{
	if (d->depth >= PC_DER_MAX_DEPTH) {
		d->failed = true;
		return;
	}
	pc_buf_byte(&d->b, tag);
	d->open[d->depth++] = d->b.len;
}

void pc_der_end(pc_der *d)
{
	uint8_t hdr[9];
	size_t start, n;

	if (d->depth <= 0) {
		d->failed = true;
		return;
	}
	start = d->open[--d->depth];
	if (d->b.failed)
		return;
	n = len_header(d->b.len - start, hdr);
	pc_buf_insert(&d->b, start, hdr, n);
}

void pc_der_cancel(pc_der *d)
{
	if (d->depth <= 0) {
		d->failed = true;
		return;
	}
	/* the tag byte sits just before the recorded content start */
	d->b.len = d->open[--d->depth] - 1;
}

void pc_der_tlv(pc_der *d, uint8_t tag, const void *content, size_t len)
{
	uint8_t hdr[9];
	size_t n = len_header(len, hdr);

	pc_buf_byte(&d->b, tag);
	pc_buf_append(&d->b, hdr, n);
	pc_buf_append(&d->b, content, len);
}

void pc_der_raw(pc_der *d, const void *der, size_t len)
{
	pc_buf_append(&d->b, der, len);
}

void pc_der_uint(pc_der *d, const uint8_t *be, size_t len)
{
	while (len > 1 && be[0] == 0) {
		be++;
		len--;
	}
	if (len == 0) {
		uint8_t z = 0;
		pc_der_tlv(d, DER_INTEGER, &z, 1);
		return;
	}
	pc_der_begin(d, DER_INTEGER);
	if (be[0] & 0x80)
		pc_buf_byte(&d->b, 0);
	pc_buf_append(&d->b, be, len);
	pc_der_end(d);
}

void pc_der_u64(pc_der *d, uint64_t v)
{
	uint8_t be[8];
	int i;

	for (i = 7; i >= 0; i--) {
		be[i] = (uint8_t)v;
		v >>= 8;
	}
	pc_der_uint(d, be, 8);
}

void pc_der_bool(pc_der *d, bool v)
{
	uint8_t c = v ? 0xff : 0x00;
	pc_der_tlv(d, DER_BOOLEAN, &c, 1);
}

void pc_der_null(pc_der *d)
{
	pc_der_tlv(d, DER_NULL, NULL, 0);
}

void pc_der_oid(pc_der *d, const uint8_t *content, size_t len)
{
	pc_der_tlv(d, DER_OID, content, len);
}

static void put_base128(pc_buf *out, unsigned long long v)
{
	uint8_t tmp[10];
	int n = 0;

	do {
		tmp[n++] = (uint8_t)(v & 0x7f);
		v >>= 7;
	} while (v > 0);
	while (n > 0) {
		n--;
		pc_buf_byte(out, (uint8_t)(tmp[n] | (n > 0 ? 0x80 : 0)));
	}
}

bool pc_oid_from_text(pc_buf *out, const char *s)
{
	unsigned long long arc[64];
	int n = 0, i;

	while (*s != '\0') {
		unsigned long long v = 0;
		if (*s < '0' || *s > '9' || n >= 64)
			return false;
		if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
			return false;    /* no leading zeros */
		while (*s >= '0' && *s <= '9') {
			/* 63 bits at most: arcs above 2^63 are refused by other
			 * readers (GnuTLS) and unknown to ours */
			if (v > ((1ULL << 63) - 10) / 10)
				return false;
			v = v * 10 + (unsigned)(*s - '0');
			s++;
		}
		arc[n++] = v;
		if (*s == '.') {
			s++;
			if (*s == '\0')
				return false;
		} else if (*s != '\0') {
			return false;
		}
	}
	if (n < 2 || arc[0] > 2 || (arc[0] < 2 && arc[1] > 39))
		return false;
	if (arc[1] > (1ULL << 63) - 81)
		return false;
	put_base128(out, arc[0] * 40 + arc[1]);
	for (i = 2; i < n; i++)
		put_base128(out, arc[i]);
	return pc_buf_ok(out);
}

bool pc_oid_to_text(const uint8_t *c, size_t len, char *out, size_t outsz)
{
	size_t i = 0, pos = 0;
	bool first = true;

	if (len == 0 || outsz == 0)
		return false;
	while (i < len) {
		unsigned long long v = 0;
		int w;
		if (c[i] == 0x80)
			return false;   /* non-minimal arc */
		do {
			if (i >= len || v > (1ULL << 56))
				return false;
			v = (v << 7) | (c[i] & 0x7f);
		} while (c[i++] & 0x80);
		if (first) {
			unsigned long long a = v < 40 ? 0 : v < 80 ? 1 : 2;
			w = snprintf(out + pos, outsz - pos, "%llu.%llu", a, v - a * 40);
			first = false;
		} else {
			w = snprintf(out + pos, outsz - pos, ".%llu", v);
		}
		if (w < 0 || (size_t)w >= outsz - pos)
			return false;
		pos += (size_t)w;
	}
	return true;
}

void pc_der_oid_text(pc_der *d, const char *dotted)
{
	pc_buf tmp = PC_BUF_INIT;

	if (!pc_oid_from_text(&tmp, dotted))
		d->failed = true;
	else
		pc_der_oid(d, tmp.p, tmp.len);
	pc_buf_free(&tmp);
}

void pc_der_bits(pc_der *d, const uint8_t *bytes, size_t len, unsigned unused)
{
	uint8_t u = (uint8_t)unused;

	pc_der_begin(d, DER_BIT_STRING);
	pc_buf_byte(&d->b, u);
	pc_buf_append(&d->b, bytes, len);
	pc_der_end(d);
}

static void der_time(pc_der *d, time_t t, bool general)
{
	struct tm tm;
	char s[32];
	int n;

	/* GeneralizedTime has exactly four year digits (RFC 5280 §4.1.2.5.2);
	 * outside 0000..9999 there is no valid encoding */
	if (gmtime_r(&t, &tm) == NULL || tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999) {
		d->failed = true;
		return;
	}
	if (tm.tm_year + 1900 >= 1950 && tm.tm_year + 1900 < 2050 && !general) {
		n = snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", tm.tm_year % 100,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		pc_der_tlv(d, DER_UTCTIME, s, (size_t)n);
	} else {
		n = snprintf(s, sizeof s, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		pc_der_tlv(d, DER_GENERALIZEDTIME, s, (size_t)n);
	}
}

void pc_der_time(pc_der *d, time_t t)
{
	der_time(d, t, false);
}

void pc_der_gentime(pc_der *d, time_t t)
{
	der_time(d, t, true);
}

bool pc_der_ok(const pc_der *d)
{
	return !d->failed && d->depth == 0 && pc_buf_ok(&d->b);
}

/* ---- reader ---- */

bool pc_der_read_any(pc_reader *r, uint8_t *tag, pc_reader *c,
    const uint8_t **whole, size_t *whole_len)
{
	size_t start = r->off, len = 0;
	uint8_t t = 0, l = 0;

	if (!pc_reader_u8(r, &t) || (t & 0x1f) == 0x1f || !pc_reader_u8(r, &l))
		goto bad;
	if (l < 0x80) {
		len = l;
	} else {
		unsigned n = l & 0x7f, i;
		if (n == 0 || n > sizeof(size_t))
			goto bad;   /* indefinite or absurd */
		for (i = 0; i < n; i++) {
			uint8_t b;
			if (!pc_reader_u8(r, &b))
				goto bad;
			if (i == 0 && b == 0)
				goto bad;   /* non-minimal */
			len = (len << 8) | b;
		}
		if (len < 0x80)
			goto bad;       /* should have used short form */
	}
	*c = pc_reader_sub(r, len);
	if (!pc_reader_ok(c))
		goto bad;
	if (tag)
		*tag = t;
	if (whole) {
		*whole = r->p + start;
		*whole_len = r->off - start;
	}
	return true;
bad:
	r->failed = true;
	*c = pc_reader_make(NULL, 0);
	c->failed = true;
	return false;
}

bool pc_der_read(pc_reader *r, uint8_t tag, pc_reader *c)
{
	uint8_t t;

	if (pc_reader_peek(r) != tag) {
		r->failed = true;
		*c = pc_reader_make(NULL, 0);
		c->failed = true;
		return false;
	}
	return pc_der_read_any(r, &t, c, NULL, NULL);
}

bool pc_der_read_uint(pc_reader *r, size_t max, const uint8_t **p, size_t *n)
{
	pc_reader c;
	size_t len;
	const uint8_t *v;

	if (!pc_der_read(r, DER_INTEGER, &c))
		return false;
	len = pc_reader_left(&c);
	v = pc_reader_take(&c, len);
	if (v == NULL || len == 0 || (v[0] & 0x80) ||
	    (len > 1 && v[0] == 0x00 && !(v[1] & 0x80))) {
		r->failed = true;                 /* empty, negative or not minimal */
		return false;
	}
	if (v[0] == 0x00 && len > 1) {
		v++;
		len--;
	}
	if (len > max) {
		r->failed = true;
		return false;
	}
	*p = v;
	*n = len;
	return true;
}

bool pc_der_read_opt(pc_reader *r, uint8_t tag, pc_reader *c, bool *present)
{
	*present = false;
	if (pc_reader_peek(r) != tag) {
		*c = pc_reader_make(NULL, 0);
		return pc_reader_ok(r);
	}
	*present = true;
	return pc_der_read(r, tag, c);
}

static bool digits(const uint8_t *p, int n, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return true;
}

bool pc_der_parse_time(uint8_t tag, pc_reader c, time_t *out)
{
	struct tm tm;
	const uint8_t *p;
	int y, mo, d, h, mi, s, i = 0;
	size_t n = pc_reader_left(&c);

	memset(&tm, 0, sizeof tm);
	if (tag == DER_UTCTIME && n == 13) {
		p = pc_reader_take(&c, n);
		if (!digits(p, 2, &y))
			return false;
		y += y < 50 ? 2000 : 1900;
		i = 2;
	} else if (tag == DER_GENERALIZEDTIME && n == 15) {
		p = pc_reader_take(&c, n);
		if (!digits(p, 4, &y))
			return false;
		i = 4;
	} else {
		return false;
	}
	if (!digits(p + i, 2, &mo) || !digits(p + i + 2, 2, &d) ||
	    !digits(p + i + 4, 2, &h) || !digits(p + i + 6, 2, &mi) ||
	    !digits(p + i + 8, 2, &s) || p[i + 10] != 'Z')
		return false;
	if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
		return false;
	/* no Feb 30 or Apr 31: timegm() would silently roll them over */
	{
		static const int mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
		if (d > mdays[mo - 1] + (mo == 2 && leap))
			return false;
	}
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*out = timegm(&tm);
	return true;
}
