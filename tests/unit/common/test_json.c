/*
 * test_json.c - json_str(): escapes, and ill-formed UTF-8 replaced byte by
 * byte (RFC 3629: overlongs, surrogates, > U+10FFFF, truncated sequences).
 */
#include "json.h"
#include "t.h"

static void expect(const char *in, const char *want, int line)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);

	CHECK(f != NULL);
	json_str(f, in);
	CHECK(fclose(f) == 0);
	if (strcmp(out, want) != 0) {
		fprintf(stderr, "%s:%d: json_str gave %s, expected %s\n",
		    __FILE__, line, out, want);
		exit(1);
	}
	free(out);
}

#define EXPECT(in, want) expect(in, want, __LINE__)

int main(void)
{
	EXPECT(NULL, "\"\"");
	EXPECT("", "\"\"");
	EXPECT("plain text", "\"plain text\"");
	EXPECT("a\"b\\c/d", "\"a\\\"b\\\\c/d\"");
	EXPECT("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
	EXPECT("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
	/* well-formed: 2, 3 and 4 bytes, the extremes of each */
	EXPECT("\xc2\x80 \xdf\xbf", "\"\xc2\x80 \xdf\xbf\"");
	EXPECT("\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf",
	    "\"\xe0\xa0\x80 \xed\x9f\xbf \xee\x80\x80 \xef\xbf\xbf\"");
	EXPECT("\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf",
	    "\"\xf0\x90\x80\x80 \xf4\x8f\xbf\xbf\"");
	/* ill-formed: one U+FFFD per bad byte */
	EXPECT("\xc0\xaf", "\"\\ufffd\\ufffd\"");            /* overlong / */
	EXPECT("\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\"");  /* overlong */
	EXPECT("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\"");  /* surrogate */
	EXPECT("\xf4\x90\x80\x80",
	    "\"\\ufffd\\ufffd\\ufffd\\ufffd\"");             /* > U+10FFFF */
	EXPECT("\xf5\x80", "\"\\ufffd\\ufffd\"");
	EXPECT("\xff", "\"\\ufffd\"");
	EXPECT("a\xe2\x82", "\"a\\ufffd\\ufffd\"");           /* truncated */
	EXPECT("\xe2\x82x", "\"\\ufffd\\ufffdx\"");
	EXPECT("\x80x", "\"\\ufffdx\"");                      /* lone cont. */
	printf("json: ok\n");
	return 0;
}
