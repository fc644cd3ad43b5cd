#include "json.h"

#include <stddef.h>

/* Length of the well-formed UTF-8 sequence at p (lead byte >= 0x80), or 0.
 * Table 3-7 of the Unicode standard / RFC 3629 section 4.  p is
 * NUL-terminated and NUL is never a continuation byte, so the && chain
 * never reads past the terminator. */
static size_t utf8_len(const unsigned char *p)
{
#define CONT(c) ((c) >= 0x80 && (c) <= 0xbf)
	unsigned c = p[0];

	if (c >= 0xc2 && c <= 0xdf)
		return CONT(p[1]) ? 2 : 0;
	if (c == 0xe0)
		return p[1] >= 0xa0 && p[1] <= 0xbf && CONT(p[2]) ? 3 : 0;
	if (c == 0xed)  /* U+D800..U+DFFF are surrogates, not characters */
		return p[1] >= 0x80 && p[1] <= 0x9f && CONT(p[2]) ? 3 : 0;
	if (c >= 0xe1 && c <= 0xef)
		return CONT(p[1]) && CONT(p[2]) ? 3 : 0;
	if (c == 0xf0)
		return p[1] >= 0x90 && p[1] <= 0xbf && CONT(p[2]) &&
		    CONT(p[3]) ? 4 : 0;
	if (c >= 0xf1 && c <= 0xf3)
		return CONT(p[1]) && CONT(p[2]) && CONT(p[3]) ? 4 : 0;
	if (c == 0xf4)  /* up to U+10FFFF */
		return p[1] >= 0x80 && p[1] <= 0x8f && CONT(p[2]) &&
		    CONT(p[3]) ? 4 : 0;
	return 0;
#undef CONT
}

void json_str(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	size_t n;

	putc('"', f);
	while (*p != '\0') {
		unsigned c = *p;

		if (c == '"' || c == '\\') {
			putc('\\', f);
			putc((int)c, f);
			p++;
		} else if (c < 0x20 || c == 0x7f) {
			switch (c) {
			case '\b': fputs("\\b", f); break;
			case '\f': fputs("\\f", f); break;
			case '\n': fputs("\\n", f); break;
			case '\r': fputs("\\r", f); break;
			case '\t': fputs("\\t", f); break;
			default: fprintf(f, "\\u%04x", c); break;
			}
			p++;
		} else if (c < 0x80) {
			putc((int)c, f);
			p++;
		} else if ((n = utf8_len(p)) != 0) {
			fwrite(p, 1, n, f);
			p += n;
		} else {
			fputs("\\ufffd", f);
			p++;
		}
	}
	putc('"', f);
}
