#include "rec.h"

#include <stdlib.h>
#include <string.h>

void pc_rec_begin(pc_buf *b, uint8_t type, uint8_t version)
{
	pc_buf_byte(b, type);
	pc_buf_byte(b, version);
}

void pc_rec_bytes(pc_buf *b, uint8_t tag, const void *p, size_t n)
{
	if (n > UINT32_MAX) {
		b->failed = true;
		return;
	}
	pc_buf_byte(b, tag);
	pc_buf_u32be(b, (uint32_t)n);
	pc_buf_append(b, p, n);
}

void pc_rec_str(pc_buf *b, uint8_t tag, const char *s)
{
	pc_rec_bytes(b, tag, s ? s : "", s ? strlen(s) : 0);
}

void pc_rec_u64(pc_buf *b, uint8_t tag, uint64_t v)
{
	pc_buf_byte(b, tag);
	pc_buf_u32be(b, 8);
	pc_buf_u64be(b, v);
}

bool pc_rec_open(pc_reader *r, uint8_t type, uint8_t *version)
{
	uint8_t t = 0;

	return pc_reader_u8(r, &t) && t == type && pc_reader_u8(r, version);
}

bool pc_rec_next(pc_reader *r, uint8_t *tag, pc_reader *val)
{
	uint32_t n;

	if (pc_reader_left(r) == 0)
		return false;
	if (!pc_reader_u8(r, tag) || !pc_reader_u32be(r, &n))
		return false;
	*val = pc_reader_sub(r, n);
	return pc_reader_ok(r);
}

bool pc_rec_val_u64(pc_reader val, uint64_t *v)
{
	return pc_reader_u64be(&val, v) && pc_reader_done(&val);
}

char *pc_rec_val_strdup(pc_reader val)
{
	size_t n = pc_reader_left(&val);
	const uint8_t *p = pc_reader_take(&val, n);
	char *s = malloc(n + 1);

	if (s == NULL)
		return NULL;
	if (n)
		memcpy(s, p, n);
	s[n] = '\0';
	return s;
}
