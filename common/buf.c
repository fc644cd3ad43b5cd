#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void pc_buf_free(pc_buf *b)
{
	free(b->p);
	*b = (pc_buf)PC_BUF_INIT;
}

bool pc_buf_ok(const pc_buf *b)
{
	return !b->failed;
}

bool pc_buf_reserve(pc_buf *b, size_t n)
{
	size_t need, cap;
	uint8_t *np;

	if (b->failed)
		return false;
	if (!pc_add_ok(b->len, n, &need)) {
		b->failed = true;
		return false;
	}
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	np = realloc(b->p, cap);
	if (np == NULL) {
		b->failed = true;
		return false;
	}
	b->p = np;
	b->cap = cap;
	return true;
}

void pc_buf_append(pc_buf *b, const void *data, size_t n)
{
	if (n == 0 || !pc_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, data, n);
	b->len += n;
}

void pc_buf_byte(pc_buf *b, uint8_t c)
{
	pc_buf_append(b, &c, 1);
}

void pc_buf_str(pc_buf *b, const char *s)
{
	pc_buf_append(b, s, strlen(s));
}

void pc_buf_printf(pc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = true;
		return;
	}
	if (!pc_buf_reserve(b, (size_t)n + 1))
		return;
	va_start(ap, fmt);
	vsnprintf((char *)b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void pc_buf_insert(pc_buf *b, size_t off, const void *data, size_t n)
{
	if (off > b->len) {
		b->failed = true;
		return;
	}
	if (n == 0 || !pc_buf_reserve(b, n))
		return;
	memmove(b->p + off + n, b->p + off, b->len - off);
	memcpy(b->p + off, data, n);
	b->len += n;
}

void pc_buf_u32be(pc_buf *b, uint32_t v)
{
	uint8_t x[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	pc_buf_append(b, x, 4);
}

void pc_buf_u64be(pc_buf *b, uint64_t v)
{
	pc_buf_u32be(b, (uint32_t)(v >> 32));
	pc_buf_u32be(b, (uint32_t)v);
}

uint8_t *pc_buf_steal(pc_buf *b, size_t *len)
{
	uint8_t *p;

	if (b->failed) {
		pc_buf_free(b);
		return NULL;
	}
	if (b->p == NULL && !pc_buf_reserve(b, 1))
		return NULL;
	p = b->p;
	*len = b->len;
	*b = (pc_buf)PC_BUF_INIT;
	return p;
}

pc_reader pc_reader_make(const void *p, size_t len)
{
	pc_reader r = { p, len, 0, p == NULL && len != 0 };
	return r;
}

size_t pc_reader_left(const pc_reader *r)
{
	return r->failed ? 0 : r->len - r->off;
}

bool pc_reader_ok(const pc_reader *r)
{
	return !r->failed;
}

bool pc_reader_done(const pc_reader *r)
{
	return !r->failed && r->off == r->len;
}

const uint8_t *pc_reader_take(pc_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->failed || n > r->len - r->off) {
		r->failed = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

bool pc_reader_u8(pc_reader *r, uint8_t *v)
{
	const uint8_t *p = pc_reader_take(r, 1);
	*v = p ? p[0] : 0;
	return p != NULL;
}

bool pc_reader_u32be(pc_reader *r, uint32_t *v)
{
	const uint8_t *p = pc_reader_take(r, 4);
	*v = p ? ((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) : 0;
	return p != NULL;
}

bool pc_reader_u64be(pc_reader *r, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;
	bool ok = pc_reader_u32be(r, &hi) && pc_reader_u32be(r, &lo);
	*v = ok ? ((uint64_t)hi << 32 | lo) : 0;
	return ok;
}

pc_reader pc_reader_sub(pc_reader *r, size_t n)
{
	const uint8_t *p = pc_reader_take(r, n);
	pc_reader s = { p, p ? n : 0, 0, p == NULL };
	return s;
}

int pc_reader_peek(const pc_reader *r)
{
	if (r->failed || r->off >= r->len)
		return -1;
	return r->p[r->off];
}

bool pc_grow(void *arr, size_t *cap, size_t n, size_t elem, size_t first)
{
	void *old, *np;
	size_t nc;

	if (n < *cap)
		return true;
	memcpy(&old, arr, sizeof old);   /* arr is a T **: read it as the pointer it holds */
	nc = *cap ? *cap : first;
	if (*cap && nc > SIZE_MAX / 2)
		return false;
	if (*cap)
		nc *= 2;
	if ((np = reallocarray(old, nc, elem)) == NULL)
		return false;
	memcpy(arr, &np, sizeof np);
	*cap = nc;
	return true;
}
