/*
 * test_codec.c - the table-driven record codec (common/rec.h): a record of
 * every kind round-trips to the exact bytes the format's building blocks
 * write; every way a field can be damaged is refused with
 * PC_E_STORE_CORRUPT naming the record and the field (a table of cases,
 * each with its exact message); encode refuses what decode would; the
 * table checker refuses broken tables.
 */
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "check.h"

typedef struct thing {
	uint64_t id;
	char *name;
	char word[8];
	uint8_t *blob;
	size_t blob_len;
	const uint8_t *text;
	size_t text_len;
	uint8_t key[4];
	uint8_t opt_key[2];
	bool has_opt_key;
	uint64_t link;              /* optional, nonzero */
	uint64_t count;             /* legacy */
	bool has_count;
	uint64_t when[2];           /* repeated */
	size_t nwhen;
	char *note;                 /* optional */
} thing;

enum { T_TYPE = 'T' };

static const pc_rec_field thing_fields[] = {
	PC_REC_U64(1, thing, id, PC_REC_REQUIRED),
	PC_REC_STR(2, thing, name, PC_REC_REQUIRED, 1, 10),
	PC_REC_CHARS(3, thing, word, PC_REC_REQUIRED, 0),
	PC_REC_BYTES(4, thing, blob, blob_len, PC_REC_REQUIRED, 0, 6),
	PC_REC_VIEW(5, thing, text, text_len, PC_REC_REQUIRED | PC_REC_TEXT, 0, 16),
	PC_REC_FIXED(6, thing, key, PC_REC_REQUIRED),
	PC_REC_FIXED_HAS(7, thing, opt_key, has_opt_key, PC_REC_OPTIONAL),
	PC_REC_U64(8, thing, link, PC_REC_OPTIONAL | PC_REC_NONZERO),
	PC_REC_U64_HAS(9, thing, count, has_count, PC_REC_LEGACY),
	PC_REC_U64_REPEATED(10, thing, when, nwhen, PC_REC_OPTIONAL | PC_REC_NONZERO),
	PC_REC_STR(11, thing, note, PC_REC_OPTIONAL, 0, 10),
};
static const pc_rec_type thing_type = PC_REC_TYPE("thing", T_TYPE, 1, thing, thing_fields);

/* The same record written with the building blocks, field by field. */
static void by_hand(pc_buf *b, bool opt)
{
	pc_rec_begin(b, T_TYPE, 1);
	pc_rec_u64(b, 1, 42);
	pc_rec_str(b, 2, "pump-7");
	pc_rec_str(b, 3, "leaf");
	pc_rec_bytes(b, 4, "\x00\x01\x02", 3);
	pc_rec_str(b, 5, "hello");
	pc_rec_bytes(b, 6, "\xde\xad\xbe\xef", 4);
	if (opt)
		pc_rec_bytes(b, 7, "\x01\x02", 2);
	if (opt)
		pc_rec_u64(b, 8, 7);
	pc_rec_u64(b, 9, 3);
	if (opt) {
		pc_rec_u64(b, 10, 100);
		pc_rec_u64(b, 10, 200);
		pc_rec_str(b, 11, "n");
	}
}

static void fill(thing *t, bool opt)
{
	static uint8_t blob[] = { 0, 1, 2 };

	memset(t, 0, sizeof *t);
	t->id = 42;
	t->name = "pump-7";
	strcpy(t->word, "leaf");
	t->blob = blob;
	t->blob_len = 3;
	t->text = (const uint8_t *)"hello";
	t->text_len = 5;
	memcpy(t->key, "\xde\xad\xbe\xef", 4);
	t->count = 3;
	if (opt) {
		memcpy(t->opt_key, "\x01\x02", 2);
		t->has_opt_key = true;
		t->link = 7;
		t->when[0] = 100;
		t->when[1] = 200;
		t->nwhen = 2;
		t->note = "n";
	}
}

static void test_round_trip(void)
{
	int opt;

	CHECK(pc_rec_type_ok(&thing_type, t_err.msg, sizeof t_err.msg));
	for (opt = 0; opt <= 1; opt++) {
		pc_buf a = PC_BUF_INIT, b = PC_BUF_INIT, c = PC_BUF_INIT;
		thing in, out;
		fill(&in, opt);
		by_hand(&a, opt);
		CHECK_OK(pc_rec_encode(&thing_type, &in, &b, &t_err));
		CHECK(a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
		CHECK_OK(pc_rec_decode(&thing_type, pc_reader_make(b.p, b.len), &out, &t_err));
		CHECK(out.id == 42 && strcmp(out.name, "pump-7") == 0 && strcmp(out.word, "leaf") == 0);
		CHECK(out.blob_len == 3 && memcmp(out.blob, "\x00\x01\x02", 3) == 0);
		CHECK(out.text_len == 5 && memcmp(out.text, "hello", 5) == 0);
		CHECK(out.text >= b.p && out.text < b.p + b.len);     /* a view, not a copy */
		CHECK(memcmp(out.key, "\xde\xad\xbe\xef", 4) == 0);
		CHECK(out.has_opt_key == (opt != 0) && out.link == (opt ? 7u : 0u));
		CHECK(out.has_count && out.count == 3);
		CHECK(out.nwhen == (opt ? 2u : 0u) && (!opt || (out.when[0] == 100 && out.when[1] == 200)));
		CHECK(opt ? strcmp(out.note, "n") == 0 : out.note == NULL);
		/* and back to the same bytes */
		CHECK_OK(pc_rec_encode(&thing_type, &out, &c, &t_err));
		CHECK(c.len == b.len && memcmp(c.p, b.p, b.len) == 0);
		pc_rec_free(&thing_type, &out);
		CHECK(out.name == NULL && out.blob == NULL);
		pc_buf_free(&a);
		pc_buf_free(&b);
		pc_buf_free(&c);
	}
}

/* A legacy field may be absent; decode says so, encode writes it anyway. */
static void test_legacy(void)
{
	pc_buf a = PC_BUF_INIT, b = PC_BUF_INIT;
	thing out;
	size_t cut;

	by_hand(&a, false);
	cut = a.len - 13;                       /* drop field 9 (count), the last */
	CHECK_OK(pc_rec_decode(&thing_type, pc_reader_make(a.p, cut), &out, &t_err));
	CHECK(!out.has_count && out.count == 0);
	CHECK_OK(pc_rec_encode(&thing_type, &out, &b, &t_err));
	CHECK(b.len == a.len);
	pc_rec_free(&thing_type, &out);
	pc_buf_free(&a);
	pc_buf_free(&b);
}

/* Damage: each case rewrites the good record and names the message. */
struct damage {
	const char *what;
	const uint8_t *bytes;
	size_t len;
	const char *msg;
};

#define H "T\x01"
#define ID "\x01\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x2a"
#define NAME "\x02\x00\x00\x00\x01n"
#define WORD "\x03\x00\x00\x00\x00"
#define BLOB "\x04\x00\x00\x00\x00"
#define TEXT "\x05\x00\x00\x00\x00"
#define KEY "\x06\x00\x00\x00\x04kkkk"
#define GOOD H ID NAME WORD BLOB TEXT KEY
#define ROW(what, lit, msg) { what, (const uint8_t *)lit, sizeof lit - 1, msg }

static const struct damage cases[] = {
	ROW("empty", "", "thing record: 0 bytes, shorter than a record header"),
	ROW("type", "U\x01", "thing record: type 0x55 version 1, expected 0x54 ('T') version 1"),
	ROW("version", "T\x02", "thing record: type 0x54 version 2, expected 0x54 ('T') version 1"),
	ROW("id missing", H NAME WORD BLOB TEXT KEY, "thing record: field id: missing"),
	ROW("key missing", H ID NAME WORD BLOB TEXT, "thing record: field key: missing"),
	ROW("u64 short", H "\x01\x00\x00\x00\x07\x00\x00\x00\x00\x00\x00\x2a" NAME WORD BLOB TEXT KEY,
	    "thing record: field id: 7 bytes, expected 8"),
	ROW("u64 long", H "\x01\x00\x00\x00\x09\x00\x00\x00\x00\x00\x00\x00\x00\x2a" NAME WORD BLOB
	    TEXT KEY, "thing record: field id: 9 bytes, expected 8"),
	ROW("u64 repeated", GOOD ID, "thing record: field id: repeated"),
	ROW("str empty", H ID "\x02\x00\x00\x00\x00" WORD BLOB TEXT KEY,
	    "thing record: field name: 0 bytes, at least 1"),
	ROW("str over-long", H ID "\x02\x00\x00\x00\x0b" "12345678901" WORD BLOB TEXT KEY,
	    "thing record: field name: 11 bytes, at most 10 (over-long)"),
	ROW("str NUL", H ID "\x02\x00\x00\x00\x03" "a\0b" WORD BLOB TEXT KEY,
	    "thing record: field name: contains a NUL byte"),
	ROW("chars over-long", H ID NAME "\x03\x00\x00\x00\x08" "12345678" BLOB TEXT KEY,
	    "thing record: field word: 8 bytes, at most 7 (over-long)"),
	ROW("chars NUL", H ID NAME "\x03\x00\x00\x00\x01\0" BLOB TEXT KEY,
	    "thing record: field word: contains a NUL byte"),
	ROW("bytes over-long", H ID NAME WORD "\x04\x00\x00\x00\x07" "1234567" TEXT KEY,
	    "thing record: field blob: 7 bytes, at most 6 (over-long)"),
	ROW("text NUL", H ID NAME WORD BLOB "\x05\x00\x00\x00\x02x\0" KEY,
	    "thing record: field text: contains a NUL byte"),
	ROW("fixed short", H ID NAME WORD BLOB TEXT "\x06\x00\x00\x00\x03kkk",
	    "thing record: field key: 3 bytes, expected 4"),
	ROW("fixed long", H ID NAME WORD BLOB TEXT "\x06\x00\x00\x00\x05kkkkk",
	    "thing record: field key: 5 bytes, expected 4"),
	ROW("optional fixed short", GOOD "\x07\x00\x00\x00\x01x",
	    "thing record: field opt_key: 1 bytes, expected 2"),
	ROW("nonzero 0", GOOD "\x08\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x00",
	    "thing record: field link: 0 is not a valid value"),
	ROW("repeated 3", GOOD "\x0a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x01"
	    "\x0a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x02"
	    "\x0a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00\x00\x03",
	    "thing record: field when: more than 2 values"),
	ROW("truncated", H ID NAME WORD BLOB TEXT "\x06\x00\x00\x00\x04kk",
	    "thing record: field key: truncated: length 4, 2 bytes left in the record"),
	ROW("huge length", H ID "\x02\xff\xff\xff\xff" "n",
	    "thing record: field name: truncated: length 4294967295, 1 bytes left in the record"),
	ROW("trailing", GOOD "\x0b\x00\x00",
	    "thing record: 3 trailing bytes after field key"),
	ROW("trailing after header", H "\x01", "thing record: 1 trailing bytes after the header"),
	ROW("unknown tag above", GOOD "\x0c\x00\x00\x00\x00",
	    "thing record: field tag 12: unknown (after field key)"),
	ROW("unknown tag 0", H "\x00\x00\x00\x00\x00" ID NAME WORD BLOB TEXT KEY,
	    "thing record: field tag 0: unknown (the first field)"),
};

static void test_damage(void)
{
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct damage *d = &cases[i];
		thing out;
		pc_rc rc;
		memset(&t_err, 0, sizeof t_err);
		rc = pc_rec_decode(&thing_type, pc_reader_make(d->bytes, d->len), &out, &t_err);
		if (rc != PC_E_STORE_CORRUPT || strcmp(t_err.msg, d->msg) != 0)
			FAIL_ROW("%s: rc %d, message '%s', expected '%s'", d->what, (int)rc, t_err.msg,
			    d->msg);
		/* a failed decode leaves nothing allocated and the struct zeroed */
		if (out.name != NULL || out.blob != NULL || out.id != 0)
			FAIL_ROW("%s: struct not zeroed", d->what);
	}
	CHECK_ROWS(sizeof cases / sizeof cases[0]);
	/* the good one is good, and a byte string may hold a NUL */
	{
		static const char good[] = GOOD;
		static const char nul[] = H ID NAME WORD "\x04\x00\x00\x00\x01\0" TEXT KEY;
		thing out;
		CHECK_OK(pc_rec_decode(&thing_type, pc_reader_make(good, sizeof good - 1), &out, &t_err));
		pc_rec_free(&thing_type, &out);
		CHECK_OK(pc_rec_decode(&thing_type, pc_reader_make(nul, sizeof nul - 1), &out, &t_err));
		CHECK(out.blob_len == 1 && out.blob[0] == 0);
		pc_rec_free(&thing_type, &out);
	}
}

/* Encode refuses what decode would refuse: nothing unreadable is written. */
static void test_encode_refuses(void)
{
	pc_buf b = PC_BUF_INIT;
	thing t;

	fill(&t, false);
	t.name = "far-too-long";
	CHECK_RC(pc_rec_encode(&thing_type, &t, &b, &t_err), PC_E_INTERNAL);
	CHECK_MSG("thing record: field name: 12 bytes, not within 1..10 (not written)");
	fill(&t, false);
	t.name = NULL;                           /* required: written empty, below min */
	CHECK_RC(pc_rec_encode(&thing_type, &t, &b, &t_err), PC_E_INTERNAL);
	CHECK_MSG("field name: 0 bytes");
	fill(&t, false);
	t.nwhen = 1;
	t.when[0] = 0;                           /* nonzero */
	CHECK_RC(pc_rec_encode(&thing_type, &t, &b, &t_err), PC_E_INTERNAL);
	CHECK_MSG("thing record: field when: 0 is not a value (not written)");
	fill(&t, false);
	t.nwhen = 3;
	CHECK_RC(pc_rec_encode(&thing_type, &t, &b, &t_err), PC_E_INTERNAL);
	CHECK_MSG("field when: 3 values, at most 2");
	fill(&t, false);
	t.text = (const uint8_t *)"a\0b";
	t.text_len = 3;
	CHECK_RC(pc_rec_encode(&thing_type, &t, &b, &t_err), PC_E_INTERNAL);
	CHECK_MSG("field text: contains a NUL byte");
	fill(&t, false);
	memset(t.word, 'x', sizeof t.word);      /* no terminator */
	CHECK_RC(pc_rec_encode(&thing_type, &t, &b, &t_err), PC_E_INTERNAL);
	CHECK_MSG("field word: not terminated");
	pc_buf_free(&b);
}

/* The table checker. */
typedef struct bad {
	uint64_t a, b;
	bool has_b;
	char c[4];
} bad;

static void test_tables(void)
{
	static const pc_rec_field dup_tag[] = {
		PC_REC_U64(1, bad, a, PC_REC_REQUIRED), PC_REC_U64(1, bad, b, PC_REC_REQUIRED),
	};
	static const pc_rec_field no_presence[] = {
		PC_REC_U64(1, bad, a, PC_REC_REQUIRED | PC_REC_OPTIONAL),
	};
	static const pc_rec_field cannot_be_absent[] = {
		PC_REC_U64(1, bad, a, PC_REC_OPTIONAL),
	};
	static const pc_rec_field chars_optional[] = {
		PC_REC_CHARS(1, bad, c, PC_REC_OPTIONAL, 0),
	};
	static const pc_rec_field tag0[] = { PC_REC_U64(0, bad, a, PC_REC_REQUIRED) };
	static const pc_rec_field fine[] = {
		PC_REC_U64(1, bad, a, PC_REC_OPTIONAL | PC_REC_NONZERO),
		PC_REC_U64_HAS(2, bad, b, has_b, PC_REC_OPTIONAL),
		PC_REC_CHARS(3, bad, c, PC_REC_REQUIRED, 0),
	};
	const pc_rec_type t1 = PC_REC_TYPE("bad", 'B', 1, bad, dup_tag);
	const pc_rec_type t2 = PC_REC_TYPE("bad", 'B', 1, bad, no_presence);
	const pc_rec_type t3 = PC_REC_TYPE("bad", 'B', 1, bad, cannot_be_absent);
	const pc_rec_type t4 = PC_REC_TYPE("bad", 'B', 1, bad, chars_optional);
	const pc_rec_type t5 = PC_REC_TYPE("bad", 'B', 1, bad, tag0);
	const pc_rec_type t6 = PC_REC_TYPE("bad", 'B', 1, bad, fine);
	char why[200];

	CHECK(!pc_rec_type_ok(&t1, why, sizeof why) && strstr(why, "tag 1 used twice"));
	CHECK(!pc_rec_type_ok(&t2, why, sizeof why) && strstr(why, "not exactly one"));
	CHECK(!pc_rec_type_ok(&t3, why, sizeof why) && strstr(why, "way to be absent"));
	CHECK(!pc_rec_type_ok(&t4, why, sizeof why) && strstr(why, "way to be absent"));
	CHECK(!pc_rec_type_ok(&t5, why, sizeof why) && strstr(why, "tag 0"));
	CHECKF(pc_rec_type_ok(&t6, why, sizeof why), "%s", why);
}

int main(void)
{
	test_round_trip();
	test_legacy();
	test_damage();
	test_encode_refuses();
	test_tables();
	return 0;
}
