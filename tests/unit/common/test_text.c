/*
 * test_text.c - the display escaper and the UTF-8 decoder (text.h): a table
 * of inputs with the exact output, every code point and random bytes for
 * the properties (output safe, escaper idempotent), and quoting with a cut.
 */
#include <stdio.h>

#include "text.h"
#include "check.h"

static void expect(const char *in, size_t n, unsigned flags, const char *want, int line)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f != NULL);
	pc_text_fwrite(f, in, n, flags);
	CHECK(fclose(f) == 0);
	if (strcmp(out, want) != 0) {
		t_fail(__FILE__, line, "escaped to '%s', expected '%s'", out, want);
	}
	free(out);
}

#define EXPECT(in, want) expect(in, sizeof in - 1, 0, want, __LINE__)
#define EXPECT_F(in, flags, want) expect(in, sizeof in - 1, flags, want, __LINE__)

static void test_table(void)
{
	EXPECT("", "");
	EXPECT("CN=Line 3, O=Acme", "CN=Line 3, O=Acme");
	EXPECT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92");
	/* C0, DEL, NUL inside the text */
	EXPECT("\x1b[2J\x07\x7f", "\\x1b[2J\\x07\\x7f");
	EXPECT("a\0b", "a\\x00b");
	EXPECT("tab\tnl\ncr\r", "tab\\x09nl\\x0acr\\x0d");
	/* raw C1 bytes are not UTF-8: bytes; encoded C1: code points */
	EXPECT("\x9b" "31m", "\\x9b31m");
	EXPECT("\xc2\x9b" "31m", "\\u009b31m");
	EXPECT("\xc2\x80\xc2\x9f\xc2\xa0", "\\u0080\\u009f\xc2\xa0");
	/* bidi controls */
	EXPECT("\xd8\x9c", "\\u061c");
	EXPECT("\xe2\x80\x8e\xe2\x80\x8f", "\\u200e\\u200f");
	EXPECT("\xe2\x80\xaa\xe2\x80\xae", "\\u202a\\u202e");
	EXPECT("\xe2\x81\xa6\xe2\x81\xa9", "\\u2066\\u2069");
	/* zero-width, format, separators, fillers, selectors, tags */
	EXPECT("\xc2\xad\xcd\x8f", "\\u00ad\\u034f");
	EXPECT("\xe2\x80\x8b\xe2\x80\x8d\xe2\x81\xa0", "\\u200b\\u200d\\u2060");
	EXPECT("\xe2\x80\xa8\xe2\x80\xa9", "\\u2028\\u2029");
	EXPECT("\xe1\x85\x9f\xe3\x85\xa4\xef\xbe\xa0", "\\u115f\\u3164\\uffa0");
	EXPECT("\xef\xb8\x8f\xef\xbb\xbf\xef\xbf\xbb", "\\ufe0f\\ufeff\\ufffb");
	EXPECT("\xf0\x9d\x85\xb3\xf3\xa0\x80\x81\xf3\xa0\xbf\xbf", "\\U0001d173\\U000e0001\\U000e0fff");
	/* just outside the sets: visible */
	EXPECT("\xe2\x80\x8a\xe2\x80\xaf\xef\xbf\xbc", "\xe2\x80\x8a\xe2\x80\xaf\xef\xbf\xbc");
	/* ill-formed UTF-8, byte by byte */
	EXPECT("caf\xe9", "caf\\xe9");
	EXPECT("\xc0\xaf\xc1\xbf", "\\xc0\\xaf\\xc1\\xbf");          /* overlongs */
	EXPECT("\xe0\x9f\xbf", "\\xe0\\x9f\\xbf");                  /* overlong 3 */
	EXPECT("\xf0\x8f\xbf\xbf", "\\xf0\\x8f\\xbf\\xbf");         /* overlong 4 */
	EXPECT("\xed\xa0\x80\xed\xbf\xbf", "\\xed\\xa0\\x80\\xed\\xbf\\xbf"); /* surrogates */
	EXPECT("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80");         /* > U+10FFFF */
	EXPECT("\xf5\xff\xfe", "\\xf5\\xff\\xfe");
	EXPECT("\xe2\x80", "\\xe2\\x80");                           /* truncated */
	EXPECT("\xe2\x80x", "\\xe2\\x80x");
	EXPECT("\xbf", "\\xbf");                                    /* lone cont. */
	/* backslash passes: the escaper is idempotent */
	EXPECT("a\\x1b\\u202e", "a\\x1b\\u202e");
	/* JSON body: the escapes' backslashes and '"' JSON-encoded */
	EXPECT_F("\"q\"\\\x1b\xe2\x80\xae", PC_TEXT_JSON, "\\\"q\\\"\\\\\\\\x1b\\\\u202e");
}

static void test_utf8(void)
{
	uint32_t cp = 0;

	CHECK(pc_utf8_next((const uint8_t *)"A", 1, &cp) == 1 && cp == 'A');
	CHECK(pc_utf8_next((const uint8_t *)"\xc3\xa9", 2, &cp) == 2 && cp == 0xe9);
	CHECK(pc_utf8_next((const uint8_t *)"\xc3\xa9", 1, &cp) == 0);
	CHECK(pc_utf8_next((const uint8_t *)"\xe2\x80\xae", 3, &cp) == 3 && cp == 0x202e);
	CHECK(pc_utf8_next((const uint8_t *)"\xf4\x8f\xbf\xbf", 4, &cp) == 4 && cp == 0x10ffff);
	CHECK(pc_utf8_next((const uint8_t *)"\xf4\x8f\xbf", 3, &cp) == 0);
	CHECK(pc_utf8_next((const uint8_t *)"", 0, &cp) == 0);
	CHECK(pc_utf8_valid("", 0));
	CHECK(pc_utf8_valid("caf\xc3\xa9", 5));
	CHECK(pc_utf8_valid("a\0b", 3));        /* NUL is UTF-8; the name rules refuse it */
	CHECK(!pc_utf8_valid("caf\xe9", 4));
	CHECK(!pc_utf8_valid("\xed\xa0\x80", 3));
	CHECK(!pc_utf8_valid("\xc3", 1));
}

/* Encode cp as UTF-8 into b; length. */
static size_t enc(uint32_t cp, uint8_t *b)
{
	if (cp < 0x80) { b[0] = (uint8_t)cp; return 1; }
	if (cp < 0x800) {
		b[0] = (uint8_t)(0xc0 | cp >> 6); b[1] = (uint8_t)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		b[0] = (uint8_t)(0xe0 | cp >> 12); b[1] = (uint8_t)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (uint8_t)(0x80 | (cp & 0x3f)); return 3;
	}
	b[0] = (uint8_t)(0xf0 | cp >> 18); b[1] = (uint8_t)(0x80 | (cp >> 12 & 0x3f));
	b[2] = (uint8_t)(0x80 | (cp >> 6 & 0x3f)); b[3] = (uint8_t)(0x80 | (cp & 0x3f));
	return 4;
}

/* The escaper's output is safe, and escaping it again changes nothing. */
static void check_safe(const uint8_t *in, size_t n)
{
	pc_buf a = PC_BUF_INIT, b = PC_BUF_INIT;
	size_t i = 0, l;
	uint32_t cp;

	pc_text_escape(&a, in, n);
	CHECK(pc_buf_ok(&a));
	while (i < a.len) {
		l = pc_utf8_next(a.p + i, a.len - i, &cp);
		CHECK(l > 0);
		CHECK(cp >= 0x20 && cp != 0x7f && !pc_text_invisible(cp));
		i += l;
	}
	pc_text_escape(&b, a.p, a.len);
	CHECK(b.len == a.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0));
	pc_buf_free(&a);
	pc_buf_free(&b);
}

static void test_properties(void)
{
	uint8_t b[64];
	uint32_t cp, got;
	unsigned seed = 12345;
	size_t i, k;

	/* every scalar value: decodes to itself; output safe and idempotent */
	for (cp = 0; cp <= 0x10ffff; cp++) {
		size_t l;
		if (cp >= 0xd800 && cp <= 0xdfff)
			continue;
		l = enc(cp, b);
		CHECK(pc_utf8_next(b, l, &got) == l && got == cp);
		check_safe(b, l);
	}
	/* the surrogates' would-be encodings are ill-formed */
	for (cp = 0xd800; cp <= 0xdfff; cp++)
		CHECK(pc_utf8_next(b, enc(cp, b), &got) == 0);
	/* random bytes */
	for (k = 0; k < 200000; k++) {
		size_t n = (size_t)(rand_r(&seed) % (int)sizeof b);
		for (i = 0; i < n; i++)
			b[i] = (uint8_t)rand_r(&seed);
		check_safe(b, n);
	}
	/* spot checks of the set */
	CHECK(!pc_text_invisible(0x7e) && !pc_text_invisible(0xa0) && !pc_text_invisible(0xe9));
	CHECK(pc_text_invisible(0x80) && pc_text_invisible(0x9f) && !pc_text_invisible(0xa0));
	CHECK(pc_text_invisible(0x202e) && pc_text_invisible(0x2066) && pc_text_invisible(0xfeff));
	CHECK(pc_text_invisible(0xe0000) && pc_text_invisible(0xe0fff) && !pc_text_invisible(0xe1000));
	CHECK(!pc_text_invisible(0x10ffff) && !pc_text_invisible(0x1f512));
}

static void test_quote(void)
{
	char q[16], big[64];
	char *s;

	CHECK(strcmp(pc_text_quote(q, sizeof q, "short", 5), "short") == 0);
	/* exactly 15 bytes fit without a cut */
	CHECK(strcmp(pc_text_quote(q, sizeof q, "abcdefghijklmno", 15), "abcdefghijklmno") == 0);
	CHECK(strcmp(pc_text_quote(q, sizeof q, "abcdefghijklmnop", 16), "abcdefghijkl...") == 0);
	/* a cut never splits an escape or a character */
	CHECK(strcmp(pc_text_quote(q, sizeof q, "abcdefghij\x1b\x1b\x1b", 13), "abcdefghij...") == 0);
	CHECK(strcmp(pc_text_quote(q, sizeof q, "abcdefghij\xc3\xa9\xc3\xa9\xc3\xa9", 16),
	    "abcdefghij\xc3\xa9...") == 0);
	CHECK(strcmp(pc_text_quote(q, sizeof q, "\xe2\x80\xae\xe2\x80\xae", 6), "\\u202e\\u202e") == 0);
	CHECK(strcmp(pc_text_quote(big, sizeof big, "a\x9b" "b", 3), "a\\x9bb") == 0);
	CHECK(strcmp(pc_text_quote(q, 5, "abcdef", 6), "a...") == 0);
	s = pc_text_escape_str("x\x1by");
	CHECK(s != NULL && strcmp(s, "x\\x1by") == 0);
	free(s);
	s = pc_text_escape_str(NULL);
	CHECK(s != NULL && s[0] == '\0');
	free(s);
}

int main(void)
{
	test_table();
	test_utf8();
	test_properties();
	test_quote();
	printf("text: ok\n");
	return 0;
}
