/*
 * test_buf.c - pc_buf (sticky failure) and pc_reader (bounded reads,
 * sub-readers consumed exactly, overflow-safe lengths).
 */
#include "buf.h"
#include "check.h"

static void test_reader_bounds(void)
{
	static const uint8_t data[] = { 1, 2, 3, 4, 5 };
	pc_reader r = pc_reader_make(data, sizeof data);
	const uint8_t *p;
	uint8_t b;

	CHECK(pc_reader_ok(&r) && !pc_reader_done(&r));
	CHECK(pc_reader_left(&r) == 5);
	CHECK(pc_reader_peek(&r) == 1);
	p = pc_reader_take(&r, 2);
	CHECK(p == data);
	CHECK(pc_reader_left(&r) == 3);
	/* one byte more than is left: fails, and the failure is sticky */
	CHECK(pc_reader_take(&r, 4) == NULL);
	CHECK(!pc_reader_ok(&r));
	CHECK(pc_reader_left(&r) == 0);
	CHECK(pc_reader_peek(&r) == -1);
	CHECK(pc_reader_take(&r, 1) == NULL);
	CHECK(pc_reader_take(&r, 0) == NULL);
	CHECK(!pc_reader_u8(&r, &b) && b == 0);
	CHECK(!pc_reader_done(&r));

	/* exactly to the end: done */
	r = pc_reader_make(data, sizeof data);
	CHECK(pc_reader_take(&r, 5) == data);
	CHECK(pc_reader_done(&r));
	CHECK(pc_reader_peek(&r) == -1);
	CHECK(pc_reader_take(&r, 0) != NULL);    /* an empty read at the end is fine */
	CHECK(pc_reader_done(&r));
	CHECK(pc_reader_take(&r, 1) == NULL);
	CHECK(!pc_reader_done(&r));

	/* a NULL window is only valid when empty */
	r = pc_reader_make(NULL, 3);
	CHECK(!pc_reader_ok(&r) && pc_reader_left(&r) == 0);
	r = pc_reader_make(NULL, 0);
	CHECK(pc_reader_done(&r));
	CHECK(!pc_reader_u8(&r, &b));
}

static void test_reader_overflow(void)
{
	static const uint8_t data[8] = { 0 };
	pc_reader r = pc_reader_make(data, sizeof data), s;
	size_t sum;

	/* lengths near SIZE_MAX must not wrap around the bounds check */
	CHECK(pc_reader_take(&r, 3) != NULL);
	CHECK(pc_reader_take(&r, SIZE_MAX) == NULL);
	CHECK(!pc_reader_ok(&r));
	r = pc_reader_make(data, sizeof data);
	CHECK(pc_reader_take(&r, 1) != NULL);
	CHECK(pc_reader_take(&r, SIZE_MAX) == NULL);     /* 1 + n wraps to 0 */
	r = pc_reader_make(data, sizeof data);
	CHECK(pc_reader_take(&r, 7) != NULL);
	CHECK(pc_reader_take(&r, SIZE_MAX - 5) == NULL);   /* 7 + n wraps to 1 */
	r = pc_reader_make(data, sizeof data);
	s = pc_reader_sub(&r, SIZE_MAX);
	CHECK(!pc_reader_ok(&s) && !pc_reader_ok(&r));
	CHECK(pc_reader_left(&s) == 0);

	CHECK(pc_add_ok(1, 2, &sum) && sum == 3);
	CHECK(pc_add_ok(SIZE_MAX - 1, 1, &sum) && sum == SIZE_MAX);
	CHECK(!pc_add_ok(SIZE_MAX, 1, &sum));
	CHECK(!pc_add_ok(SIZE_MAX / 2 + 1, SIZE_MAX / 2 + 1, &sum));
}

static void test_reader_ints(void)
{
	static const uint8_t data[] = {
		0x01, 0x02, 0x03, 0x04,
		0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
		0xff, 0xaa,
	};
	pc_reader r = pc_reader_make(data, sizeof data);
	uint32_t u32;
	uint64_t u64;
	uint8_t u8;

	CHECK(pc_reader_u32be(&r, &u32) && u32 == 0x01020304u);
	CHECK(pc_reader_u64be(&r, &u64) && u64 == 0x1112131415161718ull);
	CHECK(pc_reader_u8(&r, &u8) && u8 == 0xff);
	/* one byte left: a u32 fails and zeroes its output */
	u32 = 7;
	CHECK(!pc_reader_u32be(&r, &u32) && u32 == 0);
	CHECK(!pc_reader_ok(&r));

	/* a u64 that runs out in its second half */
	r = pc_reader_make(data, 6);
	u64 = 7;
	CHECK(!pc_reader_u64be(&r, &u64) && u64 == 0);
}

static void test_reader_sub(void)
{
	static const uint8_t data[] = { 1, 2, 3, 4, 5, 6 };
	pc_reader r = pc_reader_make(data, sizeof data), s, t;
	uint8_t b;

	s = pc_reader_sub(&r, 4);
	CHECK(pc_reader_ok(&s) && pc_reader_left(&s) == 4);
	CHECK(pc_reader_left(&r) == 2);          /* the parent moved on by 4 */
	CHECK(pc_reader_u8(&s, &b) && b == 1);
	CHECK(!pc_reader_done(&s));              /* 3 bytes not consumed */
	CHECK(pc_reader_take(&s, 3) != NULL);
	CHECK(pc_reader_done(&s));
	/* a sub-reader never reads past its own end into the parent's bytes */
	CHECK(!pc_reader_u8(&s, &b));
	CHECK(pc_reader_ok(&r) && pc_reader_left(&r) == 2);

	/* a nested sub-reader of zero bytes is done at once */
	t = pc_reader_sub(&r, 0);
	CHECK(pc_reader_done(&t));
	CHECK(pc_reader_left(&r) == 2);

	/* longer than the parent: both fail */
	s = pc_reader_sub(&r, 3);
	CHECK(!pc_reader_ok(&s) && !pc_reader_done(&s));
	CHECK(!pc_reader_ok(&r));

	/* a failed parent gives a failed sub-reader, even of 0 bytes */
	s = pc_reader_sub(&r, 0);
	CHECK(!pc_reader_ok(&s));
}

static void test_buf(void)
{
	pc_buf b = PC_BUF_INIT;
	uint8_t *p;
	size_t n = 99;
	int i;

	/* stealing an empty buffer gives a valid (freeable) pointer */
	p = pc_buf_steal(&b, &n);
	CHECK(p != NULL && n == 0);
	free(p);

	pc_buf_str(&b, "bc");
	pc_buf_insert(&b, 0, "a", 1);
	pc_buf_insert(&b, 3, "d", 1);
	pc_buf_byte(&b, 'e');
	pc_buf_printf(&b, "%d%s", 42, "f");
	CHECK(pc_buf_ok(&b));
	CHECK_BYTES(b.p, b.len, "abcde42f", 8);
	pc_buf_u32be(&b, 0x01020304u);
	pc_buf_u64be(&b, 0x05060708090a0b0cull);
	CHECK_BYTES(b.p + 8, b.len - 8,
	    "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 12);

	/* growth well past the first allocation keeps the contents */
	for (i = 0; i < 1000; i++)
		pc_buf_byte(&b, (uint8_t)i);
	CHECK(pc_buf_ok(&b) && b.len == 1020 && b.cap >= b.len);
	CHECK(b.p[20] == 0 && b.p[1019] == (uint8_t)999);

	/* insert past the end: failed, and it sticks */
	pc_buf_insert(&b, b.len + 1, "x", 1);
	CHECK(!pc_buf_ok(&b));
	n = b.len;
	pc_buf_str(&b, "more");
	CHECK(b.len == n);
	CHECK(!pc_buf_reserve(&b, 1));
	p = pc_buf_steal(&b, &n);
	CHECK(p == NULL);
	CHECK(b.p == NULL && b.len == 0 && !b.failed);   /* reset by steal */

	/* reserve that would overflow len + n */
	pc_buf_byte(&b, 1);
	CHECK(!pc_buf_reserve(&b, SIZE_MAX));
	CHECK(!pc_buf_ok(&b));
	pc_buf_free(&b);
	CHECK(pc_buf_ok(&b) && b.p == NULL);

	/* steal hands over exactly what was written */
	pc_buf_str(&b, "xyz");
	p = pc_buf_steal(&b, &n);
	CHECK(p != NULL && n == 3 && memcmp(p, "xyz", 3) == 0);
	free(p);
}

static void test_errors(void)
{
	pc_err e;
	char big[2000];

	CHECK(pc_fail(&e, PC_E_INPUT, "%s: %s", "file.csr", "truncated") == PC_E_INPUT);
	CHECK(e.rc == PC_E_INPUT && strcmp(e.msg, "file.csr: truncated") == 0);
	CHECK(pc_wrap(&e, "while reading %d", 3) == PC_E_INPUT);
	CHECK(strcmp(e.msg, "while reading 3: file.csr: truncated") == 0);
	CHECK(pc_fail(NULL, PC_E_IO, "x") == PC_E_IO);   /* e may be NULL */
	/* over-long messages are truncated, not overflowed */
	memset(big, 'a', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	CHECK(pc_fail(&e, PC_E_LIMIT, "%s", big) == PC_E_LIMIT);
	CHECK(strlen(e.msg) == PC_ERR_MSG_MAX - 1);
	CHECK(pc_wrap(&e, "%s", big) == PC_E_LIMIT);
	CHECK(strlen(e.msg) < PC_ERR_MSG_MAX);

	CHECK(strcmp(pc_rc_name(PC_E_CSR), "csr") == 0);
	CHECK(strcmp(pc_rc_name(PC_E_LIMIT), "limit") == 0);
	CHECK(strcmp(pc_rc_name((pc_rc)12345), "unknown") == 0);
	CHECK(pc_rc_exit_status(PC_OK) == 0);
	CHECK(pc_rc_exit_status(PC_E_CSR) == 1);
	CHECK(pc_rc_exit_status(PC_E_IO) == 2);
}

int main(void)
{
	test_reader_bounds();
	test_reader_overflow();
	test_reader_ints();
	test_reader_sub();
	test_buf();
	test_errors();
	return 0;
}
