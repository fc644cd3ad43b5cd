/*
 * fuzz_der.c - the strict DER reader, the writer, and the X.509 readers on
 * arbitrary bytes.
 *
 * The input is walked recursively with pc_der_read_any (constructed tags are
 * descended into when their content parses) and rebuilt with the writer:
 * containers with pc_der_begin/end, INTEGERs with pc_der_uint, BOOLEAN,
 * NULL, BIT STRING, OIDs through their dotted text, times through time_t.
 * Properties:
 *  - when the reader accepts the whole input, the writer's rebuild is
 *    byte-identical: the reader only accepts canonical (DER) lengths and the
 *    writer only produces them;
 *  - OID content that prints reads back (pc_oid_from_text) to the same
 *    bytes, if it reads back at all (very large arcs may not);
 *  - a time that parses re-encodes to the same bytes, except a
 *    GeneralizedTime for 1950..2049, which RFC 5280 §4.1.2.5 says to write
 *    as UTCTime;
 *  - pkix_cert_parse, pkix_name_to_text, pkix_spki_type and
 *    pkix_keyid never read outside the input, and what the view returns
 *    lies inside it.
 */
#include <string.h>

#include "fuzz.h"
#include "der.h"
#include "text.h"
#include "pkix.h"

enum { WALK_DEPTH_MAX = 64 };

static void rebuild_primitive(pc_der *w, uint8_t tag, const uint8_t *whole, size_t wl,
    const uint8_t *c, size_t n)
{
	char text[512];

	switch (tag) {
	case DER_INTEGER:
		/* minimal and non-negative: exactly what pc_der_uint writes */
		if (n > 0 && !(c[0] & 0x80) && !(n > 1 && c[0] == 0 && !(c[1] & 0x80))) {
			pc_der_uint(w, c, n);
			return;
		}
		break;
	case DER_BOOLEAN:
		if (n == 1 && (c[0] == 0 || c[0] == 0xff)) {
			pc_der_bool(w, c[0] != 0);
			return;
		}
		break;
	case DER_NULL:
		if (n == 0) {
			pc_der_null(w);
			return;
		}
		break;
	case DER_BIT_STRING:
		if (n > 0 && c[0] < 8) {
			pc_der_bits(w, c + 1, n - 1, c[0]);
			return;
		}
		break;
	case DER_OID:
		if (pc_oid_to_text(c, n, text, sizeof text)) {
			pc_buf b = PC_BUF_INIT;

			CHECK(text[0] >= '0' && text[0] <= '2' && text[1] == '.');
			if (pc_oid_from_text(&b, text)) {
				CHECK(b.len == n && memcmp(b.p, c, n) == 0);
				pc_buf_free(&b);
				pc_der_oid_text(w, text);
				return;
			}
			pc_buf_free(&b);
		}
		break;
	case DER_UTCTIME:
	case DER_GENERALIZEDTIME: {
		time_t t;

		if (pc_der_parse_time(tag, pc_reader_make(c, n), &t)) {
			pc_der tmp;
			bool same;

			pc_der_init(&tmp);
			pc_der_time(&tmp, t);
			CHECK(pc_der_ok(&tmp));
			same = tmp.b.len == wl && memcmp(tmp.b.p, whole, wl) == 0;
			if (!same) {
				int y = (c[0] - '0') * 1000 + (c[1] - '0') * 100 +
				    (c[2] - '0') * 10 + (c[3] - '0');
				CHECK(tag == DER_GENERALIZEDTIME && y >= 1950 && y <= 2049);
			}
			pc_der_free(&tmp);
			if (same) {
				pc_der_time(w, t);
				return;
			}
		}
		break;
	}
	default:
		break;
	}
	pc_der_tlv(w, tag, c, n);
}

/* Walk every TLV of r into w; false if r is not a sequence of valid TLVs. */
static bool walk(pc_reader *r, int depth, pc_der *w)
{
	while (pc_reader_left(r) > 0) {
		pc_reader c;
		uint8_t tag;
		const uint8_t *whole;
		size_t wl, n;

		if (!pc_der_read_any(r, &tag, &c, &whole, &wl)) {
			CHECK(!pc_reader_ok(r) && !pc_reader_ok(&c));
			return false;
		}
		n = pc_reader_left(&c);
		/* header: tag, then 1 to 1 + sizeof(size_t) length octets */
		CHECK(wl > n && wl - n >= 2 && wl - n <= 2 + sizeof(size_t));
		CHECK(whole[0] == tag && (tag & 0x1f) != 0x1f);
		CHECK(c.p + c.off == whole + (wl - n));
		if ((tag & 0x20) && depth < WALK_DEPTH_MAX) {
			pc_der inner;
			pc_reader in = c;

			pc_der_init(&inner);
			if (walk(&in, depth + 1, &inner)) {
				CHECK(pc_der_ok(&inner) && inner.b.len == n);
				pc_der_begin(w, tag);
				pc_der_raw(w, inner.b.p, inner.b.len);
				pc_der_end(w);
			} else {
				pc_der_tlv(w, tag, c.p + c.off, n);
			}
			pc_der_free(&inner);
		} else {
			rebuild_primitive(w, tag, whole, wl, c.p + c.off, n);
		}
	}
	return pc_reader_done(r);
}

static bool inside(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
	return p >= data && n <= size && (size_t)(p - data) <= size - n;
}

/* Text for the screen: well-formed UTF-8 without controls or invisible
 * characters, whatever the DER held (the display escaper's promise). */
static bool display_safe(const pc_buf *t)
{
	size_t i = 0, l;
	uint32_t cp;

	while (i < t->len) {
		if ((l = pc_utf8_next(t->p + i, t->len - i, &cp)) == 0 || cp < 0x20 || cp == 0x7f ||
		    pc_text_invisible(cp))
			return false;
		i += l;
	}
	return true;
}

static void check_x509(const uint8_t *data, size_t size)
{
	pkix_cert v;
	pc_buf t = PC_BUF_INIT;
	pkix_keytype kt;
	unsigned bits;
	uint8_t id[PKIX_KEYID_LEN];

	if (pkix_cert_parse(data, size, "certificate", &v, NULL) == PC_OK) {
		CHECK(inside(v.tbs, v.tbs_len, data, size));
		CHECK(inside(v.serial, v.serial_len, data, size));
		CHECK(inside(v.issuer, v.issuer_len, data, size));
		CHECK(inside(v.subject, v.subject_len, data, size));
		CHECK(inside(v.spki, v.spki_len, data, size));
		if (pkix_name_to_text(v.issuer, v.issuer_len, &t) == PC_OK)
			CHECK(pc_buf_ok(&t) && display_safe(&t));
		pc_buf_free(&t);
		if (pkix_name_to_text(v.subject, v.subject_len, &t) == PC_OK)
			CHECK(pc_buf_ok(&t) && display_safe(&t));
		pc_buf_free(&t);
		if (pkix_spki_type(v.spki, v.spki_len, "spki", PC_E_CSR, &kt, &bits, NULL) == PC_OK)
			CHECK(pkix_keyid(v.spki, v.spki_len, id) == PC_OK);
	}
	if (pkix_name_to_text(data, size, &t) == PC_OK)
		CHECK(pc_buf_ok(&t) && display_safe(&t));
	pc_buf_free(&t);
	/* a Name the rules accept also prints */
	if (pkix_name_check(data, size, NULL, PC_E_CSR, NULL) == PC_OK) {
		CHECK(pkix_name_to_text(data, size, &t) == PC_OK);
		pc_buf_free(&t);
	}
	if (pkix_spki_type(data, size, "spki", PC_E_CSR, &kt, &bits, NULL) == PC_OK)
		CHECK(kt >= PKIX_KEY_EC_P256 && kt <= PKIX_KEY_ED25519 && bits >= 256);
	/* smallest SPKI: 30 05 30 00 03 01 00 */
	if (pkix_keyid(data, size, id) == PC_OK)
		CHECK(size >= 7);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_reader r = pc_reader_make(data, size);
	pc_der w;

	pc_der_init(&w);
	if (walk(&r, 0, &w)) {
		CHECK(pc_der_ok(&w));
		if (w.b.len != size || (size > 0 && memcmp(w.b.p, data, size) != 0)) {
			FAIL("rebuild differs: %zu bytes in, %zu out", size, w.b.len);
		}
	}
	pc_der_free(&w);
	check_x509(data, size);
	return 0;
}
