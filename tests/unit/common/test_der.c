/*
 * test_der.c - the DER writer against known encodings (X.690 §8, §10), OID
 * text round trips, RFC 5280 §4.1.2.5 time choice, and a table of encodings
 * the strict reader must refuse.
 */
#include "der.h"
#include "check.h"

/* The writer's bytes equal `want`. */
#define CHECK_DER(d, want, wn) do { CHECK(pc_der_ok(d)); \
	CHECK_BYTES((d)->b.p, (d)->b.len, (want), (wn)); } while (0)

/* ---------------------------------------------------------------- writer */

/* X.690 §8.1.3: short form up to 127, then 0x80|n and n big-endian octets,
 * the fewest possible (§10.1). */
static void test_lengths(void)
{
	static const struct {
		size_t len;
		uint8_t hdr[5];
		size_t hn;
	} t[] = {
		{ 0, { 0x00 }, 1 },
		{ 1, { 0x01 }, 1 },
		{ 127, { 0x7f }, 1 },
		{ 128, { 0x81, 0x80 }, 2 },
		{ 255, { 0x81, 0xff }, 2 },
		{ 256, { 0x82, 0x01, 0x00 }, 3 },
		{ 65535, { 0x82, 0xff, 0xff }, 3 },
		{ 65536, { 0x83, 0x01, 0x00, 0x00 }, 4 },
	};
	static uint8_t content[65536];
	size_t i;

	for (i = 0; i < sizeof content; i++)
		content[i] = (uint8_t)(i * 7);
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_der d;
		pc_reader r, c;
		uint8_t tag;
		const uint8_t *whole;
		size_t wl;

		/* a primitive TLV */
		pc_der_init(&d);
		pc_der_tlv(&d, DER_OCTET_STRING, content, t[i].len);
		CHECK(pc_der_ok(&d));
		CHECK(d.b.len == 1 + t[i].hn + t[i].len);
		CHECK(d.b.p[0] == DER_OCTET_STRING);
		CHECK_BYTES(d.b.p + 1, t[i].hn, t[i].hdr, t[i].hn);
		CHECK(t[i].len == 0 || memcmp(d.b.p + 1 + t[i].hn, content, t[i].len) == 0);

		/* the reader takes it back, exactly */
		r = pc_reader_make(d.b.p, d.b.len);
		CHECK(pc_der_read_any(&r, &tag, &c, &whole, &wl));
		CHECK(tag == DER_OCTET_STRING && pc_reader_left(&c) == t[i].len);
		CHECK(whole == d.b.p && wl == d.b.len);
		CHECK(pc_reader_done(&r));
		pc_der_free(&d);

		/* a container whose header is inserted when it closes */
		pc_der_init(&d);
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_raw(&d, content, t[i].len);
		pc_der_end(&d);
		CHECK(pc_der_ok(&d));
		CHECK(d.b.len == 1 + t[i].hn + t[i].len);
		CHECK(d.b.p[0] == DER_SEQUENCE);
		CHECK_BYTES(d.b.p + 1, t[i].hn, t[i].hdr, t[i].hn);
		CHECK(t[i].len == 0 || memcmp(d.b.p + 1 + t[i].hn, content, t[i].len) == 0);
		pc_der_free(&d);
	}
}

/* Nested containers whose inner header changes size when it closes. */
static void test_nesting(void)
{
	static uint8_t content[200];
	pc_der d;
	int i;

	memset(content, 0xab, sizeof content);
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_SET);
	pc_der_tlv(&d, DER_OCTET_STRING, content, 125);   /* 04 7d ...: 127 bytes */
	pc_der_end(&d);                                   /* 31 7f */
	pc_der_null(&d);
	pc_der_end(&d);                                   /* 30 81 83 */
	CHECK(pc_der_ok(&d));
	CHECK(d.b.len == 3 + 2 + 127 + 2);
	CHECK_BYTES(d.b.p, 7, "\x30\x81\x83\x31\x7f\x04\x7d", 7);
	CHECK_BYTES(d.b.p + d.b.len - 2, 2, "\x05\x00", 2);
	pc_der_free(&d);

	/* too deep: the writer fails and stays failed */
	pc_der_init(&d);
	for (i = 0; i < PC_DER_MAX_DEPTH; i++)
		pc_der_begin(&d, DER_SEQUENCE);
	CHECK(!d.failed);
	pc_der_begin(&d, DER_SEQUENCE);
	CHECK(d.failed);
	for (i = 0; i < PC_DER_MAX_DEPTH; i++)
		pc_der_end(&d);
	CHECK(!pc_der_ok(&d));
	pc_der_free(&d);

	/* more ends than begins; a container left open */
	pc_der_init(&d);
	pc_der_end(&d);
	CHECK(!pc_der_ok(&d));
	pc_der_free(&d);
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	CHECK(!pc_der_ok(&d));
	pc_der_free(&d);
}

/* X.690 §8.3: two's complement, minimal; our INTEGERs are never negative. */
static void test_integers(void)
{
	static const struct {
		const char *in;
		size_t inlen;
		const char *want;
		size_t wantlen;
	} t[] = {
		{ "", 0, "\x02\x01\x00", 3 },
		{ "\x00", 1, "\x02\x01\x00", 3 },
		{ "\x00\x00\x00", 3, "\x02\x01\x00", 3 },
		{ "\x01", 1, "\x02\x01\x01", 3 },
		{ "\x7f", 1, "\x02\x01\x7f", 3 },
		{ "\x80", 1, "\x02\x02\x00\x80", 4 },
		{ "\x00\x80", 2, "\x02\x02\x00\x80", 4 },
		{ "\x00\x00\x7f\xff", 4, "\x02\x02\x7f\xff", 4 },
		{ "\xff\xff", 2, "\x02\x03\x00\xff\xff", 5 },
		{ "\x00\x01\x00", 3, "\x02\x02\x01\x00", 4 },
	};
	static const struct {
		uint64_t v;
		const char *want;
		size_t wantlen;
	} u[] = {
		{ 0, "\x02\x01\x00", 3 },
		{ 2, "\x02\x01\x02", 3 },
		{ 127, "\x02\x01\x7f", 3 },
		{ 128, "\x02\x02\x00\x80", 4 },
		{ 256, "\x02\x02\x01\x00", 4 },
		{ UINT64_MAX, "\x02\x09\x00\xff\xff\xff\xff\xff\xff\xff\xff", 11 },
	};
	pc_der d;
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_der_init(&d);
		pc_der_uint(&d, (const uint8_t *)t[i].in, t[i].inlen);
		CHECK_DER(&d, t[i].want, t[i].wantlen);
		pc_der_free(&d);
	}
	for (i = 0; i < sizeof u / sizeof u[0]; i++) {
		pc_der_init(&d);
		pc_der_u64(&d, u[i].v);
		CHECK_DER(&d, u[i].want, u[i].wantlen);
		pc_der_free(&d);
	}

	pc_der_init(&d);
	pc_der_bool(&d, true);
	pc_der_bool(&d, false);          /* X.690 §11.1: TRUE is 0xff */
	pc_der_null(&d);
	pc_der_bits(&d, (const uint8_t *)"\xa0", 1, 5);
	pc_der_bits(&d, NULL, 0, 0);
	CHECK_DER(&d, "\x01\x01\xff\x01\x01\x00\x05\x00\x03\x02\x05\xa0\x03\x01\x00", 15);
	pc_der_free(&d);
}

/* ------------------------------------------------------------------ OIDs */

static void test_oids(void)
{
	static const struct {
		const char *text;
		const char *der;
		size_t len;
	} good[] = {
		{ "0.0", "\x00", 1 },
		{ "0.39", "\x27", 1 },
		{ "1.0", "\x28", 1 },
		{ "1.39", "\x4f", 1 },
		{ "2.0", "\x50", 1 },
		{ "2.5.4.3", "\x55\x04\x03", 3 },
		{ "1.2.840.113549.1.1.11", "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b", 9 },
		{ "1.3.6.1.5.5.7.3.1", "\x2b\x06\x01\x05\x05\x07\x03\x01", 8 },
		{ "0.9.2342.19200300.100.1.25", "\x09\x92\x26\x89\x93\xf2\x2c\x64\x01\x19", 10 },
		/* X.690 §8.19.4: the first subidentifier is 40*X+Y, unbounded for X=2 */
		{ "2.999", "\x88\x37", 2 },
		{ "2.999.3", "\x88\x37\x03", 3 },
		{ "2.47", "\x7f", 1 },
		{ "2.48", "\x81\x00", 2 },
		/* large arcs: base 128, no leading 0x80 */
		{ "1.2.127", "\x2a\x7f", 2 },
		{ "1.2.128", "\x2a\x81\x00", 3 },
		{ "1.2.16383", "\x2a\xff\x7f", 3 },
		{ "1.2.16384", "\x2a\x81\x80\x00", 4 },
		{ "1.2.4294967295", "\x2a\x8f\xff\xff\xff\x7f", 6 },
		{ "1.2.4294967296", "\x2a\x90\x80\x80\x80\x00", 6 },
		{ "1.2.72057594037927936", "\x2a\x81\x80\x80\x80\x80\x80\x80\x80\x00", 10 },
	};
	static const char *const bad_text[] = {
		"", "1", "3.1", "1.40", "0.40", "1..2", "1.2.", ".1.2", "01.2", "1.02",
		"1.2.a", "1.2 ", " 1.2", "1.-2", "+1.2", "1.2.18446744073709551616",
		"1.2.99999999999999999999999", "2.25.329800735698586629295641978511506172918",
	};
	static const struct {
		const char *der;
		size_t len;
	} bad_der[] = {
		{ "", 0 },
		{ "\x2a\x86", 2 },                 /* last arc unterminated */
		{ "\x80\x01", 2 },                 /* leading 0x80: non-minimal */
		{ "\x2a\x80\x01", 3 },
		{ "\x2a\xff\xff\xff\xff\xff\xff\xff\xff\xff\x7f", 11 },   /* > 64 bits */
	};
	char text[256];
	size_t i;
	int k;

	for (i = 0; i < sizeof good / sizeof good[0]; i++) {
		pc_buf b = PC_BUF_INIT;
		pc_der d;

		if (!pc_oid_from_text(&b, good[i].text)) {
			FAIL("OID %s refused", good[i].text);
		}
		CHECK_BYTES(b.p, b.len, good[i].der, good[i].len);
		CHECK(pc_oid_to_text(b.p, b.len, text, sizeof text));
		if (strcmp(text, good[i].text) != 0) {
			FAIL("OID %s came back as %s", good[i].text, text);
		}
		/* an output buffer one byte short fails, never truncates */
		CHECK(!pc_oid_to_text(b.p, b.len, text, strlen(good[i].text)));
		pc_buf_free(&b);

		pc_der_init(&d);
		pc_der_oid_text(&d, good[i].text);
		CHECK(pc_der_ok(&d) && d.b.len == 2 + good[i].len && d.b.p[0] == DER_OID);
		pc_der_free(&d);
	}
	for (i = 0; i < sizeof bad_text / sizeof bad_text[0]; i++) {
		pc_buf b = PC_BUF_INIT;
		pc_der d;

		if (pc_oid_from_text(&b, bad_text[i])) {
			FAIL("bad OID '%s' accepted", bad_text[i]);
		}
		pc_buf_free(&b);
		pc_der_init(&d);
		pc_der_oid_text(&d, bad_text[i]);
		CHECK(!pc_der_ok(&d));
		pc_der_free(&d);
	}
	for (i = 0; i < sizeof bad_der / sizeof bad_der[0]; i++) {
		if (pc_oid_to_text((const uint8_t *)bad_der[i].der, bad_der[i].len, text, sizeof text)) {
			FAIL("bad OID content #%zu accepted as %s", i, text);
		}
	}

	/* 64 arcs are allowed, 65 are not */
	{
		char many[400] = "1.2";
		pc_buf b = PC_BUF_INIT;

		for (k = 2; k < 64; k++)
			strcat(many, ".5");
		CHECK(pc_oid_from_text(&b, many));
		CHECK(b.len == 63);
		pc_buf_free(&b);
		strcat(many, ".5");
		CHECK(!pc_oid_from_text(&b, many));
		pc_buf_free(&b);
	}
}

/* ----------------------------------------------------------------- times */

static void test_times(void)
{
	static const struct {
		time_t t;
		uint8_t tag;
		const char *text;
	} t[] = {
		/* RFC 5280 §4.1.2.5: UTCTime for 1950..2049, GeneralizedTime outside */
		{ 0, DER_UTCTIME, "700101000000Z" },
		{ -631152001, DER_GENERALIZEDTIME, "19491231235959Z" },
		{ -631152000, DER_UTCTIME, "500101000000Z" },
		{ 1700000000, DER_UTCTIME, "231114221320Z" },
		{ 2524607999, DER_UTCTIME, "491231235959Z" },
		{ 2524608000, DER_GENERALIZEDTIME, "20500101000000Z" },
		{ 253402300799, DER_GENERALIZEDTIME, "99991231235959Z" },
		{ 951782400, DER_UTCTIME, "000229000000Z" },          /* leap day 2000 */
	};
	static const struct {
		uint8_t tag;
		const char *text;
	} bad[] = {
		{ DER_UTCTIME, "" },
		{ DER_UTCTIME, "4912312359Z" },               /* no seconds */
		{ DER_UTCTIME, "491231235959" },              /* no Z */
		{ DER_UTCTIME, "491231235959+0100" },
		{ DER_UTCTIME, "49123123595Z9" },
		{ DER_UTCTIME, "491331235959Z" },             /* month 13 */
		{ DER_UTCTIME, "490001000000Z" },             /* month 0 */
		{ DER_UTCTIME, "490100000000Z" },             /* day 0 */
		{ DER_UTCTIME, "490132000000Z" },             /* Jan 32 */
		{ DER_UTCTIME, "490230000000Z" },             /* Feb 30 */
		{ DER_UTCTIME, "490229000000Z" },             /* 2049 is not a leap year */
		{ DER_UTCTIME, "490431000000Z" },             /* Apr 31 */
		{ DER_UTCTIME, "491231240000Z" },
		{ DER_UTCTIME, "491231236000Z" },
		{ DER_UTCTIME, "491231235960Z" },
		{ DER_UTCTIME, " 91231235959Z" },
		{ DER_UTCTIME, "-91231235959Z" },
		{ DER_UTCTIME, "20491231235959Z" },           /* GeneralizedTime length */
		{ DER_GENERALIZEDTIME, "491231235959Z" },
		{ DER_GENERALIZEDTIME, "20500101000000.5Z" },  /* fractions: not DER here */
		{ DER_GENERALIZEDTIME, "20500101000000" },
		{ DER_GENERALIZEDTIME, "21000229000000Z" },   /* 2100 is not a leap year */
		{ DER_OCTET_STRING, "491231235959Z" },
	};
	char want[40];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_der d;
		pc_reader r, c;
		uint8_t tag;
		time_t back;

		pc_der_init(&d);
		pc_der_time(&d, t[i].t);
		want[0] = (char)t[i].tag;
		want[1] = (char)strlen(t[i].text);
		memcpy(want + 2, t[i].text, strlen(t[i].text));
		CHECK_DER(&d, want, 2 + strlen(t[i].text));
		r = pc_reader_make(d.b.p, d.b.len);
		CHECK(pc_der_read_any(&r, &tag, &c, NULL, NULL));
		CHECK(pc_der_parse_time(tag, c, &back));
		if (back != t[i].t) {
			FAIL("%s parsed as %lld, want %lld", t[i].text,
			    (long long)back, (long long)t[i].t);
		}
		pc_der_free(&d);
	}
	/* GeneralizedTime has four year digits: years past 9999 cannot be encoded */
	{
		pc_der d;

		pc_der_init(&d);
		pc_der_time(&d, (time_t)253402300800);
		CHECK(!pc_der_ok(&d));
		pc_der_free(&d);
	}
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		time_t out = 12345;

		if (pc_der_parse_time(bad[i].tag,
		    pc_reader_make(bad[i].text, strlen(bad[i].text)), &out)) {
			FAIL("bad time '%s' (tag %02x) accepted as %lld",
			    bad[i].text, bad[i].tag, (long long)out);
		}
	}
}

/* ---------------------------------------------------------------- reader */

static void test_reader_good(void)
{
	/* SEQUENCE { INTEGER 5, [0] { NULL }, OCTET STRING (128 bytes) } */
	uint8_t der[4 + 3 + 4 + 3 + 128];
	pc_reader r, s, c, opt;
	uint8_t tag;
	bool present;
	size_t n = 0;

	der[n++] = 0x30; der[n++] = 0x81; der[n++] = 3 + 4 + 3 + 128;
	der[n++] = 0x02; der[n++] = 0x01; der[n++] = 0x05;
	der[n++] = 0xa0; der[n++] = 0x02; der[n++] = 0x05; der[n++] = 0x00;
	der[n++] = 0x04; der[n++] = 0x81; der[n++] = 0x80;
	memset(der + n, 0x5a, 128);
	n += 128;

	r = pc_reader_make(der, n);
	CHECK(pc_der_read(&r, DER_SEQUENCE, &s));
	CHECK(pc_reader_done(&r));
	CHECK(pc_der_read(&s, DER_INTEGER, &c));
	CHECK(pc_reader_left(&c) == 1 && c.p[c.off] == 5);
	/* absent optional element: no harm done */
	CHECK(pc_der_read_opt(&s, DER_CTX_CONS | 1, &opt, &present));
	CHECK(!present && pc_reader_ok(&s));
	CHECK(pc_der_read_opt(&s, DER_CTX_CONS | 0, &opt, &present));
	CHECK(present && pc_der_read(&opt, DER_NULL, &c) && pc_reader_done(&opt));
	CHECK(pc_der_read_any(&s, &tag, &c, NULL, NULL));
	CHECK(tag == DER_OCTET_STRING && pc_reader_left(&c) == 128);
	CHECK(pc_reader_done(&s));
	/* nothing left: reading more fails */
	CHECK(!pc_der_read_any(&s, &tag, &c, NULL, NULL));
	CHECK(!pc_reader_ok(&s) && !pc_reader_ok(&c));
	/* optional on a failed reader: false */
	CHECK(!pc_der_read_opt(&s, DER_NULL, &c, &present));

	/* the wrong tag fails the reader */
	r = pc_reader_make(der, n);
	CHECK(!pc_der_read(&r, DER_SET, &s));
	CHECK(!pc_reader_ok(&r) && !pc_reader_ok(&s));
}

/* BearSSL-style: encodings the strict reader must refuse, one per line. */
static void test_reader_bad(void)
{
	static const struct {
		const char *why;
		const char *der;
		size_t len;
	} t[] = {
		{ "empty", "", 0 },
		{ "tag only", "\x30", 1 },
		{ "truncated long length", "\x30\x81", 2 },
		{ "truncated two-byte length", "\x30\x82\x01", 3 },
		{ "content truncated", "\x30\x03\x02\x01", 4 },
		{ "content truncated, long form", "\x04\x81\x80\x00", 4 },
		{ "indefinite length", "\x30\x80\x02\x01\x00\x00\x00", 7 },
		{ "long form for a short length", "\x30\x81\x03\x02\x01\x00", 6 },
		{ "long form for 127", "\x04\x81\x7f", 3 },
		{ "leading zero in length", "\x30\x82\x00\x03\x02\x01\x00", 7 },
		{ "leading zero, 128", "\x04\x82\x00\x80", 4 },
		{ "9 length octets", "\x04\x89\x01\x00\x00\x00\x00\x00\x00\x00\x00", 11 },
		{ "length 0x7f octets", "\x04\xff", 2 },
		{ "huge length", "\x04\x88\xff\xff\xff\xff\xff\xff\xff\xff\x00", 11 },
		{ "length 2^32", "\x04\x85\x01\x00\x00\x00\x00\x00", 7 },
		{ "high tag number", "\x1f\x81\x01\x01\x00", 5 },
		{ "high tag, context", "\x9f\x20\x01\x00", 4 },
		{ "high tag, constructed", "\x3f\x20\x00", 3 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_reader r = pc_reader_make(t[i].der, t[i].len), c;
		uint8_t tag;
		const uint8_t *whole = NULL;
		size_t wl = 0;

		if (pc_der_read_any(&r, &tag, &c, &whole, &wl)) {
			FAIL("reader accepted: %s", t[i].why);
		}
		if (pc_reader_ok(&r) || pc_reader_ok(&c) || pc_reader_left(&c) != 0) {
			FAIL("reader not failed after: %s", t[i].why);
		}
		/* pc_der_read with the matching tag refuses it too */
		r = pc_reader_make(t[i].der, t[i].len);
		CHECK(t[i].len == 0 || !pc_der_read(&r, (uint8_t)t[i].der[0], &c));
	}
}

int main(void)
{
	test_lengths();
	test_nesting();
	test_integers();
	test_oids();
	test_times();
	test_reader_good();
	test_reader_bad();
	return 0;
}
