/*
 * test_rec.c - versioned field-by-field records: round trip, unknown fields
 * skipped, truncation and malformed fields detected.
 */
#include "rec.h"
#include "check.h"

enum { T_TYPE = 7, T_VERSION = 2 };
enum { F_SERIAL = 1, F_NAME = 2, F_BLOB = 3, F_UNKNOWN = 200 };

static void build(pc_buf *b, bool with_unknown)
{
	pc_rec_begin(b, T_TYPE, T_VERSION);
	pc_rec_u64(b, F_SERIAL, 0x0102030405060708ull);
	if (with_unknown)
		pc_rec_bytes(b, F_UNKNOWN, "\x00\xff\x30\x00", 4);   /* a newer writer */
	pc_rec_str(b, F_NAME, "station-7");
	pc_rec_bytes(b, F_BLOB, NULL, 0);
	pc_rec_str(b, F_NAME, NULL);                              /* NULL: empty */
}

struct parsed {
	uint64_t serial;
	char *names[2];
	int nnames;
	int nblob;
	int nunknown;
};

/* The way store code reads a record: skip unknown tags, end exactly. */
static bool parse(const uint8_t *p, size_t n, struct parsed *out)
{
	pc_reader r = pc_reader_make(p, n), v;
	uint8_t version = 0, tag;

	memset(out, 0, sizeof *out);
	if (!pc_rec_open(&r, T_TYPE, &version) || version != T_VERSION)
		return false;
	while (pc_rec_next(&r, &tag, &v)) {
		switch (tag) {
		case F_SERIAL:
			if (!pc_rec_val_u64(v, &out->serial))
				return false;
			break;
		case F_NAME:
			if (out->nnames >= 2)
				return false;
			out->names[out->nnames] = pc_rec_val_strdup(v);
			if (out->names[out->nnames++] == NULL)
				return false;
			break;
		case F_BLOB:
			out->nblob++;
			break;
		default:
			out->nunknown++;     /* forward compatible: skipped */
			break;
		}
	}
	return pc_reader_done(&r);
}

static void parsed_free(struct parsed *p)
{
	free(p->names[0]);
	free(p->names[1]);
	memset(p, 0, sizeof *p);
}

static void test_round_trip(void)
{
	pc_buf b = PC_BUF_INIT;
	struct parsed p;

	build(&b, false);
	CHECK(pc_buf_ok(&b));
	/* the layout is part of the on-disk format: pin it */
	CHECK(b.len == 2 + 13 + 14 + 5 + 5);
	CHECK_BYTES(b.p, 15, "\x07\x02\x01\x00\x00\x00\x08\x01\x02\x03\x04\x05\x06\x07\x08", 15);
	CHECK_BYTES(b.p + 15, 14, "\x02\x00\x00\x00\x09station-7", 14);
	CHECK(parse(b.p, b.len, &p));
	CHECK(p.serial == 0x0102030405060708ull);
	CHECK(p.nnames == 2 && strcmp(p.names[0], "station-7") == 0 && p.names[1][0] == '\0');
	CHECK(p.nblob == 1 && p.nunknown == 0);
	parsed_free(&p);
	pc_buf_free(&b);
}

static void test_unknown_skipped(void)
{
	pc_buf b = PC_BUF_INIT;
	struct parsed p;

	build(&b, true);
	CHECK(parse(b.p, b.len, &p));
	CHECK(p.nunknown == 1);
	CHECK(p.serial == 0x0102030405060708ull && p.nnames == 2 && p.nblob == 1);
	parsed_free(&p);
	pc_buf_free(&b);
}

static void test_truncation(void)
{
	pc_buf b = PC_BUF_INIT;
	struct parsed p;
	/* field boundaries of build(&b, true): a record cut exactly there is a
	 * well-formed shorter record; callers notice the missing fields */
	static const size_t boundary[] = { 2, 15, 24, 38, 43, 48 };
	size_t cut, k;

	build(&b, true);
	CHECK(b.len == 48);
	for (cut = 0; cut < b.len; cut++) {
		bool at_boundary = false;

		for (k = 0; k < sizeof boundary / sizeof boundary[0]; k++)
			at_boundary |= boundary[k] == cut;
		if (parse(b.p, cut, &p) != at_boundary) {
			FAIL("record cut at %zu of %zu: parse %s", cut, b.len,
			    at_boundary ? "failed" : "succeeded");
		}
		parsed_free(&p);
	}
	/* one byte too many: a field header that cannot be complete */
	pc_buf_byte(&b, F_NAME);
	CHECK(!parse(b.p, b.len, &p));
	parsed_free(&p);
	pc_buf_free(&b);
}

static void test_malformed(void)
{
	pc_reader r, v;
	uint8_t version, tag;
	uint64_t u;
	char *s;

	/* wrong type */
	r = pc_reader_make("\x08\x02", 2);
	CHECK(!pc_rec_open(&r, T_TYPE, &version));
	/* no version byte */
	r = pc_reader_make("\x07", 1);
	CHECK(!pc_rec_open(&r, T_TYPE, &version));

	/* a field length far past the end, and 0xffffffff */
	r = pc_reader_make("\x07\x02\x01\x00\x00\x01\x00xx", 9);
	CHECK(pc_rec_open(&r, T_TYPE, &version));
	CHECK(!pc_rec_next(&r, &tag, &v) && !pc_reader_done(&r));
	r = pc_reader_make("\x07\x02\x01\xff\xff\xff\xffxx", 9);
	CHECK(pc_rec_open(&r, T_TYPE, &version));
	CHECK(!pc_rec_next(&r, &tag, &v) && !pc_reader_done(&r));

	/* a u64 must be exactly 8 bytes */
	CHECK(!pc_rec_val_u64(pc_reader_make("\x01\x02\x03\x04\x05\x06\x07", 7), &u));
	CHECK(!pc_rec_val_u64(pc_reader_make("\x01\x02\x03\x04\x05\x06\x07\x08\x09", 9), &u));
	CHECK(pc_rec_val_u64(pc_reader_make("\x00\x00\x00\x00\x00\x00\x01\x00", 8), &u) && u == 256);

	/* strings are copied and NUL-terminated */
	s = pc_rec_val_strdup(pc_reader_make("abc", 3));
	CHECK(s != NULL && strcmp(s, "abc") == 0);
	free(s);
	s = pc_rec_val_strdup(pc_reader_make("", 0));
	CHECK(s != NULL && s[0] == '\0');
	free(s);
}

int main(void)
{
	test_round_trip();
	test_unknown_skipped();
	test_truncation();
	test_malformed();
	return 0;
}
