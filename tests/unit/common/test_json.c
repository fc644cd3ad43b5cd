/*
 * test_json.c - json_str() and json_buf_str(), which write the same bytes:
 * RFC 8259 escapes of '"' and '\', and every untrusted character through
 * the display escaper (text.h) first, so a JSON consumer gets the visible
 * escape (the six characters \u202e), never a control, C1, bidi or
 * invisible character or ill-formed UTF-8.
 */
#include <stdio.h>

#include "json.h"
#include "check.h"

static void expect(const char *in, const char *want, int line)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f != NULL);
	json_str(f, in);
	CHECK(fclose(f) == 0);
	if (strcmp(out, want) != 0) {
		t_fail(__FILE__, line, "json_str gave %s, expected %s",
		    out, want);
	}
	free(out);

	pc_buf b = PC_BUF_INIT;
	json_buf_str(&b, in);
	CHECK(pc_buf_ok(&b));
	if (b.len != strlen(want) || memcmp(b.p, want, b.len) != 0)
		t_fail(__FILE__, line, "json_buf_str gave %.*s, expected %s", (int)b.len,
		    (const char *)b.p, want);
	pc_buf_free(&b);
}

#define EXPECT(in, want) expect(in, want, __LINE__)

int main(void)
{
	EXPECT(NULL, "\"\"");
	EXPECT("", "\"\"");
	EXPECT("plain text", "\"plain text\"");
	EXPECT("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	/* C0 and DEL: the escaper's \xHH, JSON-encoded */
	EXPECT("\b\f\n\r\t", "\"\\\\x08\\\\x0c\\\\x0a\\\\x0d\\\\x09\"");
	EXPECT("\x01\x1b[2J\x1f\x7f", "\"\\\\x01\\\\x1b[2J\\\\x1f\\\\x7f\"");
	/* well-formed: 2, 3 and 4 bytes, the extremes of each */
	EXPECT("\xc2\xa0 \xdf\xbf", "\"\xc2\xa0 \xdf\xbf\"");
	EXPECT("\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf",
	    "\"\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf\"");
	EXPECT("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf",
	    "\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"");
	/* C1 (raw and encoded), bidi, zero-width, tags */
	EXPECT("\x9b" "31m", "\"\\\\x9b31m\"");
	EXPECT("\xc2\x80\xc2\x9b", "\"\\\\u0080\\\\u009b\"");
	EXPECT("a\xe2\x80\xae" "b", "\"a\\\\u202eb\"");
	EXPECT("\xe2\x80\x8b\xef\xbb\xbf\xf3\xa0\x80\x81",
	    "\"\\\\u200b\\\\ufeff\\\\U000e0001\"");
	/* ill-formed: each bad byte as \xHH */
	EXPECT("\xc0\xaf", "\"\\\\xc0\\\\xaf\"");             /* overlong / */
	EXPECT("\xe0\x80\xaf", "\"\\\\xe0\\\\x80\\\\xaf\"");   /* overlong */
	EXPECT("\xed\xa0\x80", "\"\\\\xed\\\\xa0\\\\x80\"");   /* surrogate */
	EXPECT("\xf4\x90\x80\x80",
	    "\"\\\\xf4\\\\x90\\\\x80\\\\x80\"");              /* > U+10FFFF */
	EXPECT("\xf5\x80", "\"\\\\xf5\\\\x80\"");
	EXPECT("caf\xe9", "\"caf\\\\xe9\"");
	EXPECT("a\xe2\x82", "\"a\\\\xe2\\\\x82\"");            /* truncated */
	EXPECT("\xe2\x82x", "\"\\\\xe2\\\\x82x\"");
	EXPECT("\x80x", "\"\\\\x80x\"");                       /* lone cont. */
	/* an escape already in the text stays one: \ is JSON-escaped once */
	EXPECT("\\x1b", "\"\\\\x1b\"");
	printf("json: ok\n");
	return 0;
}
