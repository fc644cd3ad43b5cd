#include "text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "pem.h"

size_t pc_utf8_next(const uint8_t *s, size_t n, uint32_t *cp)
{
#define CONT(c) ((c) >= 0x80 && (c) <= 0xbf)
	uint8_t c;
	size_t len;
	uint8_t lo = 0x80, hi = 0xbf;   /* allowed range of the second byte */
	size_t i;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	/* Unicode 15 Table 3-7, the well-formed byte sequences */
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;                 /* no overlongs */
		else if (c == 0xed)
			hi = 0x9f;                 /* U+D800..U+DFFF are surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;                 /* no overlongs */
		else if (c == 0xf4)
			hi = 0x8f;                 /* nothing above U+10FFFF */
	} else {
		return 0;                      /* 0x80..0xc1, 0xf5..0xff */
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (!CONT(s[i]))
			return 0;
	*cp = (uint32_t)(c & (len == 2 ? 0x1f : len == 3 ? 0x0f : 0x07));
	for (i = 1; i < len; i++)
		*cp = *cp << 6 | (uint32_t)(s[i] & 0x3f);
	return len;
#undef CONT
}

bool pc_utf8_valid(const void *p, size_t n)
{
	const uint8_t *s = p;
	size_t i = 0, l;
	uint32_t cp;

	while (i < n) {
		if ((l = pc_utf8_next(s + i, n - i, &cp)) == 0)
			return false;
		i += l;
	}
	return true;
}

/*
 * Characters that a terminal acts on or that change what the reader sees
 * without a glyph of their own.  A hostile CSR uses them to make the review
 * screen show something other than what will be signed: U+202E reverses
 * "exe.gpj" into "jpg.exe", U+200B makes two different names look equal,
 * U+2028 starts a line in some renderers, the tags block (U+E0000..) hides
 * a whole ASCII string.  The set is:
 *
 * - C1 controls U+0080..U+009F (U+009B is CSI, like ESC '[');
 * - every format character (General_Category Cf, Unicode 15.0
 *   UnicodeData.txt): soft hyphen, Arabic number marks, the bidi
 *   controls (U+061C, U+200E, U+200F, U+202A..U+202E, U+2066..U+2069),
 *   zero-width space/joiners, word joiner and invisible operators, BOM,
 *   interlinear annotation controls, Egyptian/shorthand/musical format
 *   controls, tags;
 * - every Default_Ignorable_Code_Point (DerivedCoreProperties.txt) that
 *   is not Cf: combining grapheme joiner, Hangul and Khmer fillers,
 *   Mongolian and other variation selectors, the reserved U+FFF0..U+FFF8
 *   and U+E0000..U+E0FFF (renderers must show nothing for them, so a
 *   future assignment stays invisible);
 * - the line and paragraph separators U+2028, U+2029 (Zl, Zp).
 *
 * Left visible on purpose: combining marks and confusable letters (they
 * draw a glyph; what they look like is a font question), private use and
 * unassigned characters outside the ignorable blocks (shown as boxes).
 * Sorted, non-overlapping, for the binary search.
 */
static const struct { uint32_t lo, hi; } invisible[] = {
	{ 0x0080, 0x009f },   /* C1 controls */
	{ 0x00ad, 0x00ad },   /* soft hyphen */
	{ 0x034f, 0x034f },   /* combining grapheme joiner */
	{ 0x0600, 0x0605 },   /* Arabic number signs (Cf) */
	{ 0x061c, 0x061c },   /* Arabic letter mark (bidi) */
	{ 0x06dd, 0x06dd },   /* Arabic end of ayah (Cf) */
	{ 0x070f, 0x070f },   /* Syriac abbreviation mark (Cf) */
	{ 0x0890, 0x0891 },   /* Arabic pound/piastre mark above (Cf) */
	{ 0x08e2, 0x08e2 },   /* Arabic disputed end of ayah (Cf) */
	{ 0x115f, 0x1160 },   /* Hangul choseong/jungseong fillers */
	{ 0x17b4, 0x17b5 },   /* Khmer inherent vowels */
	{ 0x180b, 0x180f },   /* Mongolian variation selectors, vowel separator */
	{ 0x200b, 0x200f },   /* ZWSP, ZWNJ, ZWJ, LRM, RLM */
	{ 0x2028, 0x202e },   /* line/paragraph separator, LRE RLE PDF LRO RLO */
	{ 0x2060, 0x206f },   /* word joiner, invisible operators, LRI RLI FSI PDI, ... */
	{ 0x3164, 0x3164 },   /* Hangul filler */
	{ 0xfe00, 0xfe0f },   /* variation selectors */
	{ 0xfeff, 0xfeff },   /* BOM, zero-width no-break space */
	{ 0xffa0, 0xffa0 },   /* halfwidth Hangul filler */
	{ 0xfff0, 0xfffb },   /* reserved ignorables, interlinear annotation */
	{ 0x110bd, 0x110bd }, /* Kaithi number sign (Cf) */
	{ 0x110cd, 0x110cd }, /* Kaithi number sign above (Cf) */
	{ 0x13430, 0x1343f }, /* Egyptian hieroglyph format controls */
	{ 0x1bca0, 0x1bca3 }, /* shorthand format controls */
	{ 0x1d173, 0x1d17a }, /* musical symbol format controls */
	{ 0xe0000, 0xe0fff }, /* tags, variation selectors supplement */
};

bool pc_text_invisible(uint32_t cp)
{
	size_t lo = 0, hi = sizeof invisible / sizeof invisible[0];

	if (cp < 0x80)
		return false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cp < invisible[mid].lo)
			hi = mid;
		else if (cp > invisible[mid].hi)
			lo = mid + 1;
		else
			return true;
	}
	return false;
}

/* Where escaped text goes.  `units`: every put() is one character or one
 * escape, never a run, so a quote can be cut between two of them. */
struct sink {
	FILE *f;
	pc_buf *b;
	char *dst;
	size_t cap, len, mark;
	bool full, units;
};

static void quote_put(struct sink *k, const void *p, size_t n)
{
	if (k->full)
		return;
	if (k->len + n > k->cap - 1) {
		/* does not fit: back to the last boundary with room for "..." */
		k->full = true;
		memcpy(k->dst + k->mark, "...", 4);
		return;
	}
	memcpy(k->dst + k->len, p, n);
	k->len += n;
	k->dst[k->len] = '\0';
	if (k->len <= k->cap - 4)
		k->mark = k->len;
}

static void put(struct sink *k, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (k->f != NULL)
		fwrite(p, 1, n, k->f);
	else if (k->b != NULL)
		pc_buf_append(k->b, p, n);
	else
		quote_put(k, p, n);
}

static void escape(struct sink *k, const uint8_t *s, size_t n, unsigned flags)
{
	/* in a JSON string the escape's own backslash is written as \\ */
	const char *bs = flags & PC_TEXT_JSON ? "\\\\" : "\\";
	size_t i = 0, run = 0;

	while (i < n) {
		char e[16];
		uint32_t cp = 0;
		size_t l = pc_utf8_next(s + i, n - i, &cp);
		int w;

		if (l == 0) {
			w = snprintf(e, sizeof e, "%sx%02x", bs, s[i]);
			l = 1;
		} else if (cp < 0x20 || cp == 0x7f) {
			w = snprintf(e, sizeof e, "%sx%02x", bs, (unsigned)cp);
		} else if (pc_text_invisible(cp)) {
			w = cp <= 0xffff ? snprintf(e, sizeof e, "%su%04x", bs, (unsigned)cp)
			    : snprintf(e, sizeof e, "%sU%08x", bs, (unsigned)cp);
		} else if ((cp == '\\' || cp == '"') && (flags & PC_TEXT_JSON)) {
			w = snprintf(e, sizeof e, "\\%c", (char)cp);
		} else {
			if (k->units) {
				put(k, s + i, l);
				run = i + l;
			}
			i += l;
			continue;
		}
		put(k, s + run, i - run);
		put(k, e, (size_t)w);
		i += l;
		run = i;
	}
	put(k, s + run, n - run);
}

void pc_text_bwrite(pc_buf *out, const void *s, size_t n, unsigned flags)
{
	struct sink k = { .b = out };

	escape(&k, s, n, flags);
}

void pc_text_escape(pc_buf *out, const void *s, size_t n)
{
	pc_text_bwrite(out, s, n, 0);
}

void pc_text_fwrite(FILE *f, const void *s, size_t n, unsigned flags)
{
	struct sink k = { .f = f };

	escape(&k, s, n, flags);
}

void pc_text_fputs(FILE *f, const char *s)
{
	if (s != NULL)
		pc_text_fwrite(f, s, strlen(s), 0);
}

char *pc_text_escape_str(const char *s)
{
	pc_buf b = PC_BUF_INIT;
	size_t len;

	if (s == NULL)
		s = "";
	pc_text_escape(&b, s, strlen(s));
	pc_buf_byte(&b, 0);
	return (char *)pc_buf_steal(&b, &len);
}

const char *pc_text_quote(char *dst, size_t cap, const void *s, size_t n)
{
	struct sink k = { .dst = dst, .cap = cap, .units = true };

	if (cap < 5) {
		if (cap > 0)
			dst[0] = '\0';
		return dst;
	}
	dst[0] = '\0';
	escape(&k, s, n, 0);
	return dst;
}

void pc_time_text(int64_t t, char out[PC_TIME_TEXT_MAX])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if ((int64_t)tt != t || gmtime_r(&tt, &tm) == NULL ||
	    strftime(out, PC_TIME_TEXT_MAX, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, PC_TIME_TEXT_MAX, "@%" PRId64, t);
}

void pc_fingerprint(const void *p, size_t n, char out[PC_FINGERPRINT_MAX])
{
	uint8_t h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, p, n);
	pc_hex_str(out, PC_FINGERPRINT_MAX, h, sizeof h, ':');
}
