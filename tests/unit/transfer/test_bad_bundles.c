/*
 * test_bad_bundles.c - the table of bad bundles (bad-bundles.txt).
 *
 * For each line CASE<TAB>RC<TAB>FRAGMENT, make_case() crafts DIR/CASE.tar
 * and DIR/CASE.tar.minisig: a tar written header by header here (not with
 * the library's writer, so that the reader is tested against independent
 * bytes), then changed as the case says, then signed (or not).  The test
 * wants exactly RC and a message naming CASE.tar and containing FRAGMENT.
 * A case in the table without a generator, or a generator without a line,
 * is a failure.
 */
#include <fcntl.h>

#include <sodium.h>
#include <sys/stat.h>

#include "check.h"
#include "file.h"
#include "tr_int.h"

/* 2026-11-27T09:00:00Z */
#define TT_CREATED ((time_t)1795770000)
#define TT_NOW (TT_CREATED + 3600)

/* A key pair without the scrypt cost of tr_seckey_generate. */
static void tt_key(tr_seckey *sk, tr_pubkey *pk)
{
	sk->sk = sodium_malloc(64);
	CHECK(sk->sk != NULL);
	CHECK(crypto_sign_keypair(pk->pk, sk->sk) == 0);
	randombytes_buf(pk->keyid, sizeof pk->keyid);
	memcpy(sk->keyid, pk->keyid, sizeof pk->keyid);
}

static void tt_sign(const uint8_t *tar, size_t len, const tr_pubkey *pk, tr_seckey *sk,
    const char *tc, pc_buf *sig)
{
	CHECK_OK(tr_minisig_make(tar, len, pk, tc, tr_seckey_sign, sk, sig, &t_err));
}

enum { MAXM = 8 };

struct mem {
	const char *name;      /* NULL: slot unused */
	size_t namelen;        /* 0: strlen(name) */
	const char *data;
	size_t len;
	char type;             /* 0: '0' */
	const char *magic;     /* 8 bytes of magic+version; NULL: "ustar\0" "00" */
	bool prefix, linkname, bad_chk, nosum;
	const char *size_field; /* raw size field (12 bytes) */
	bool dirty_pad;
};

struct spec {
	struct mem m[MAXM];    /* payload (after BUNDLE and SHA256SUMS) */
	const char *meta;      /* BUNDLE text; NULL: the default */
	const char *sums;      /* SHA256SUMS text; NULL: computed */
	const char *extra_sum; /* appended to the computed SHA256SUMS */
	int order;             /* 0 normal, 1 SHA256SUMS first, 2 SHA256SUMS last */
	bool no_bundle_sums;
	const char *tail;      /* raw bytes after the archive */
	size_t tail_len;
	bool no_end, one_zero;
	long cut;              /* remove this many bytes from the end */
	int key;               /* 0 signer, 1 unknown key, -1 no .minisig, 2 garbage */
	const char *tc;        /* trusted comment; NULL: the right one */
	bool flip, forge_tc;
	const char *signed_as; /* sign for this file name (renamed bundles) */
	long many;             /* this many empty members */
	bool oversized;
	/* tr_bundle_check */
	tr_kind kind;
	const char *segment;
	uint64_t last;
	time_t now;
};

static tr_seckey sk, osk;
static tr_pubkey pk, opk;

static void put_octal(uint8_t *f, size_t len, uint64_t v)
{
	char tmp[32];

	snprintf(tmp, sizeof tmp, "%0*llo", (int)(len - 1), (unsigned long long)v);
	memcpy(f, tmp, len);
}

static void header(pc_buf *out, const struct mem *m)
{
	uint8_t h[512];
	unsigned sum = 0;
	size_t i, nl = m->namelen ? m->namelen : strlen(m->name);

	memset(h, 0, sizeof h);
	memcpy(h, m->name, nl);
	put_octal(h + 100, 8, 0644);
	put_octal(h + 108, 8, 1000);
	put_octal(h + 116, 8, 1000);
	put_octal(h + 124, 12, m->len);
	if (m->size_field != NULL)
		memcpy(h + 124, m->size_field, 12);
	put_octal(h + 136, 12, (uint64_t)TT_CREATED);
	h[156] = m->type ? (uint8_t)m->type : '0';
	if (m->linkname)
		memcpy(h + 157, "target", 6);
	memcpy(h + 257, m->magic ? m->magic : "ustar\0" "00", 8);
	memcpy(h + 265, "plant", 5);
	memcpy(h + 297, "plant", 5);
	if (m->prefix)
		memcpy(h + 345, "sub", 3);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	if (m->bad_chk)
		sum++;
	snprintf((char *)h + 148, 8, "%06o", sum);
	pc_buf_append(out, h, sizeof h);
}

static void member(pc_buf *out, const struct mem *m)
{
	static const uint8_t zero[512];

	header(out, m);
	pc_buf_append(out, m->data, m->len);
	if (m->len % 512) {
		if (m->dirty_pad) {
			pc_buf_byte(out, 'x');
			pc_buf_append(out, zero, 511 - m->len % 512);
		} else {
			pc_buf_append(out, zero, 512 - m->len % 512);
		}
	}
}

static const char default_meta_fmt[] =
    "format: 1\nkind: request\nsegment: line3\nsender: %s\nsequence: 17\n"
    "created: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n%s";

/* The case's settings on top of the good bundle: payload a.csr. */
static bool make_case(const char *c, struct spec *s, char *meta, size_t metacap)
{
	char sender[17];
	const char *csrs = "csr: a.csr tls-server\n";
	static char longname[TR_NAME_MAX + 2];

	memset(s, 0, sizeof *s);
	s->m[0] = (struct mem){ .name = "a.csr", .data = "CSR-A\n", .len = 6 };
	s->kind = TR_REQUEST;
	s->segment = "line3";
	s->last = 16;
	s->now = TT_NOW;
	tr_keyid_text(pk.keyid, sender);
#define IS(x) (strcmp(c, (x)) == 0)
#define EXTRA(...) (s->m[1] = (struct mem){ __VA_ARGS__ })
	if (IS("good") || IS("missing-minisig") || IS("flipped-bit") || IS("replayed") ||
	    IS("older") || IS("expired") || IS("other-segment") || IS("wrong-kind") ||
	    IS("unknown-key") || IS("minisig-garbage") || IS("tc-forged") || IS("renamed") ||
	    IS("oversized") || IS("tc-not-plantca")) {
		s->key = IS("missing-minisig") ? -1 : IS("unknown-key") ? 1 :
		    IS("minisig-garbage") ? 2 : 0;
		s->flip = IS("flipped-bit");
		s->forge_tc = IS("tc-forged");
		s->oversized = IS("oversized");
		s->last = IS("replayed") ? 17 : IS("older") ? 20 : 16;
		if (IS("expired"))
			s->now = TT_CREATED + 30 * 86400;
		if (IS("other-segment"))
			s->segment = "line4";
		if (IS("wrong-kind"))
			s->kind = TR_RESPONSE;
		if (IS("renamed"))
			s->signed_as = "line3-request-000017.tar";
		if (IS("tc-not-plantca"))
			s->tc = "timestamp:1795770000\tfile:tc-not-plantca.tar";
	} else if (IS("symlink") || IS("hardlink") || IS("chardev") || IS("blockdev") ||
	    IS("directory") || IS("fifo") || IS("pax-header") || IS("pax-global") ||
	    IS("gnu-longname") || IS("gnu-longlink") || IS("unknown-type")) {
		char t = IS("symlink") ? '2' : IS("hardlink") ? '1' : IS("chardev") ? '3' :
		    IS("blockdev") ? '4' : IS("directory") ? '5' : IS("fifo") ? '6' :
		    IS("pax-header") ? 'x' : IS("pax-global") ? 'g' : IS("gnu-longname") ? 'L' :
		    IS("gnu-longlink") ? 'K' : 'Z';
		EXTRA(.name = "evil", .data = "", .len = 0, .type = t, .nosum = true);
	} else if (IS("old-gnu-magic")) {
		s->m[0].magic = "ustar  ";
	} else if (IS("not-ustar")) {
		s->m[0].magic = "USTAR\0" "00";
	} else if (IS("name-slash") || IS("name-dotdot") || IS("name-dotdot-inside") ||
	    IS("name-leading-dot") || IS("name-space")) {
		const char *n = IS("name-slash") ? "sub/a.csr" : IS("name-dotdot") ? ".." :
		    IS("name-dotdot-inside") ? "a..csr" : IS("name-leading-dot") ? ".a.csr" :
		    "a b.csr";
		EXTRA(.name = n, .data = "x", .len = 1, .nosum = true);
	} else if (IS("name-nul")) {
		EXTRA(.name = "b.csr\0.txt", .namelen = 10, .data = "x", .len = 1, .nosum = true);
	} else if (IS("name-prefix")) {
		s->m[0].prefix = true;
	} else if (IS("linkname")) {
		s->m[0].linkname = true;
	} else if (IS("duplicate-name")) {
		EXTRA(.name = "a.csr", .data = "CSR-A\n", .len = 6, .nosum = true);
	} else if (IS("header-checksum")) {
		s->m[0].bad_chk = true;
	} else if (IS("size-not-octal")) {
		s->m[0].size_field = "0000000000 8";
	} else if (IS("size-base256")) {
		s->m[0].size_field = "\x80\0\0\0\0\0\0\0\0\0\0\x06";
	} else if (IS("member-too-large")) {
		s->m[0].size_field = "00400000001";   /* 64 MiB + 1 */
	} else if (IS("too-many-members")) {
		s->many = TR_MEMBERS_MAX;
	} else if (IS("nonzero-padding")) {
		s->m[0].dirty_pad = true;
	} else if (IS("trailing-garbage")) {
		s->tail = "\0\0\0\0garbage";
		s->tail_len = 11;
	} else if (IS("trailing-zeros")) {
		s->tail = "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
		s->tail_len = 17;
	} else if (IS("truncated-member")) {
		s->no_end = true;
		s->cut = 510;                          /* into a.csr's block */
	} else if (IS("truncated-header")) {
		s->no_end = true;
		EXTRA(.name = "b.csr", .data = "", .len = 0);
		s->cut = 100;
	} else if (IS("missing-end")) {
		s->no_end = true;
	} else if (IS("one-zero-block")) {
		s->no_end = true;
		s->one_zero = true;
	} else if (IS("bundle-not-first")) {
		s->order = 1;
	} else if (IS("sums-not-second")) {
		s->order = 2;
	} else if (IS("no-payload")) {
		s->m[0].name = NULL;
		csrs = "";
	} else if (IS("not-in-sums")) {
		EXTRA(.name = "b.csr", .data = "CSR-B\n", .len = 6, .nosum = true);
		csrs = "csr: a.csr tls-server\ncsr: b.csr tls-server\n";
	} else if (IS("sum-without-member")) {
		s->extra_sum = "0000000000000000000000000000000000000000000000000000000000000000"
		    "  c.csr\n";
	} else if (IS("sum-twice")) {
		s->extra_sum = "0000000000000000000000000000000000000000000000000000000000000000"
		    "  a.csr\n";
	} else if (IS("hash-mismatch")) {
		s->sums = "0000000000000000000000000000000000000000000000000000000000000000"
		    "  a.csr\n";
	} else if (IS("sums-uppercase")) {
		/* SHA-256 of "CSR-A\n", upper case */
		s->sums = "UPPER";
	} else if (IS("sums-binary-mode")) {
		s->sums = "BINARY";
	} else if (IS("csr-without-line")) {
		EXTRA(.name = "b.csr", .data = "CSR-B\n", .len = 6);
	} else if (IS("csr-line-without-member")) {
		csrs = "csr: a.csr tls-server\ncsr: z.csr tls-server\n";
	} else if (IS("meta-leading-zero")) {
		s->meta = "format: 1\nkind: request\nsegment: line3\nsender: %s\nsequence: 017\n";
	} else if (IS("meta-unknown-key")) {
		csrs = "csr: a.csr tls-server\ncolour: red\n";
	} else if (IS("meta-format-2")) {
		s->meta = "format: 2\n";
	} else if (IS("meta-crlf")) {
		s->meta = "format: 1\r\n";
	} else if (IS("rekey-without-members")) {
		csrs = "csr: a.csr tls-server\nrekey: 0123456789ABCDEF\n";
	} else if (IS("rekey-without-endorsement")) {
		EXTRA(.name = "station-key.pub", .data = "x", .len = 1);
		csrs = "csr: a.csr tls-server\nrekey: 0123456789ABCDEF\n";
	} else if (IS("station-key-without-line")) {
		EXTRA(.name = "station-key.pub", .data = "x", .len = 1);
	} else if (IS("holds-without-member")) {
		csrs = "csr: a.csr tls-server\nholds-transfer-key: 0123456789ABCDEF\n";
	} else if (IS("held-key-without-line")) {
		EXTRA(.name = "transfer-key.pub", .data = "x", .len = 1);
	} else if (IS("endorsement-in-request")) {
		EXTRA(.name = "transfer-key.pub.minisig", .data = "x", .len = 1);
	} else if (IS("transfer-key-in-request")) {
		csrs = "csr: a.csr tls-server\ntransfer-key: 0123456789ABCDEF\n";
	} else if (IS("station-keys-in-request")) {
		csrs = "csr: a.csr tls-server\nstation-keys: 0123456789ABCDEF\n";
	} else if (IS("rekey-bad-id")) {
		csrs = "csr: a.csr tls-server\nrekey: 0123456789abcdef\n";
	} else if (IS("rekey-twice")) {
		csrs = "csr: a.csr tls-server\nrekey: 0123456789ABCDEF\nrekey: 0123456789ABCDEF\n";
	} else if (IS("station-keys-twice") || IS("station-keys-bad") || IS("rekey-in-response") ||
	    IS("announce-without-members") || IS("station-keys-ok")) {
		s->meta = IS("station-keys-twice") ?
		    "format: 1\nkind: response\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "station-keys: 0123456789ABCDEF,0123456789ABCDEF\n" : IS("station-keys-bad") ?
		    "format: 1\nkind: response\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "station-keys: 0123456789ABCDEF,\n" : IS("rekey-in-response") ?
		    "format: 1\nkind: response\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "rekey: 0123456789ABCDEF\n" : IS("announce-without-members") ?
		    "format: 1\nkind: response\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "transfer-key: 0123456789ABCDEF\n" :
		    "format: 1\nkind: response\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "station-keys: 0123456789ABCDEF,FEDCBA9876543210\n";
		s->kind = TR_RESPONSE;
		if (IS("station-keys-ok")) {
			static char tc[300];
			snprintf(tc, sizeof tc, "plantca-bundle kind=response segment=line3 sender=%s "
			    "sequence=17 file=%s.tar", sender, c);
			s->tc = tc;
		}
	} else if (IS("tc-mismatch-sequence") || IS("tc-mismatch-segment") ||
	    IS("tc-mismatch-kind")) {
		static char tc[300];
		snprintf(tc, sizeof tc, "plantca-bundle kind=%s segment=%s sender=%s "
		    "sequence=%s file=%s.tar", IS("tc-mismatch-kind") ? "response" : "request",
		    IS("tc-mismatch-segment") ? "line4" : "line3", sender,
		    IS("tc-mismatch-sequence") ? "18" : "17", c);
		s->tc = tc;
	} else if (IS("sender-not-signer")) {
		static char tc[300];
		char other[17];
		tr_keyid_text(opk.keyid, other);
		snprintf(tc, sizeof tc, "plantca-bundle kind=request segment=line3 sender=%s "
		    "sequence=17 file=%s.tar", other, c);
		s->tc = tc;
	} else if (IS("lifetime-century") || IS("lifetime-over") || IS("lifetime-max") ||
	    IS("lifetime-response")) {
		/* TR_LIFETIME_MAX_DAYS = 366 days from 2026-11-27T09:00:00Z */
		static char tc[300];
		s->meta = IS("lifetime-century") ?
		    "format: 1\nkind: request\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2126-11-27T09:00:00Z\n"
		    "csr: a.csr tls-server\n" : IS("lifetime-over") ?
		    "format: 1\nkind: request\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2027-11-28T09:00:01Z\n"
		    "csr: a.csr tls-server\n" : IS("lifetime-max") ?
		    "format: 1\nkind: request\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2027-11-28T09:00:00Z\n"
		    "csr: a.csr tls-server\n" :
		    "format: 1\nkind: response\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-27T09:00:00Z\nexpires: 2036-11-27T09:00:00Z\n";
		if (IS("lifetime-response")) {
			s->kind = TR_RESPONSE;
			snprintf(tc, sizeof tc, "plantca-bundle kind=response segment=line3 sender=%s "
			    "sequence=17 file=%s.tar", sender, c);
			s->tc = tc;
		}
	} else if (IS("seq-max") || IS("seq-jump") || IS("seq-step-max")) {
		/* TR_SEQ_STEP_MAX = 1000000 past the last accepted, 16 */
		static char tc[300], m[400];
		const char *seq = IS("seq-max") ? "18446744073709551615" : IS("seq-jump") ?
		    "1000017" : "1000016";
		snprintf(m, sizeof m, "format: 1\nkind: request\nsegment: line3\nsender: %%s\n"
		    "sequence: %s\ncreated: 2026-11-27T09:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "csr: a.csr tls-server\n", seq);
		s->meta = m;
		snprintf(tc, sizeof tc, "plantca-bundle kind=request segment=line3 sender=%s "
		    "sequence=%s file=%s.tar", sender, seq, c);
		s->tc = tc;
	} else if (IS("future")) {
		s->meta = "format: 1\nkind: request\nsegment: line3\nsender: %s\nsequence: 17\n"
		    "created: 2026-11-29T11:00:00Z\nexpires: 2026-12-27T09:00:00Z\n"
		    "csr: a.csr tls-server\n";
	} else {
		return false;
	}
	(void)longname;
	if (s->meta != NULL) {
		/* "%s" in a case's BUNDLE text stands for the sender */
		const char *at = strstr(s->meta, "%s");
		if (at != NULL)
			snprintf(meta, metacap, "%.*s%s%s", (int)(at - s->meta), s->meta, sender,
			    at + 2);
		else
			snprintf(meta, metacap, "%s", s->meta);
	} else {
		snprintf(meta, metacap, default_meta_fmt, sender, csrs);
	}
	return true;
#undef IS
#undef EXTRA
}

static void sums_text(const struct spec *s, pc_buf *out)
{
	size_t i;

	for (i = 0; i < MAXM && s->m[i].name != NULL; i++) {
		tr_member tm;
		if (s->m[i].nosum)
			continue;
		snprintf(tm.name, sizeof tm.name, "%s", s->m[i].name);
		tm.data = (const uint8_t *)s->m[i].data;
		tm.len = s->m[i].len;
		tr_sums_format(&tm, 1, out);
	}
	if (s->extra_sum != NULL)
		pc_buf_str(out, s->extra_sum);
}

static void build(const char *c, const struct spec *s, const char *meta, pc_buf *tar)
{
	pc_buf sums = PC_BUF_INIT;
	struct mem mb = { .name = "BUNDLE" }, ms = { .name = "SHA256SUMS" };
	static const uint8_t zero[1024];
	size_t i;

	if (s->sums != NULL && strcmp(s->sums, "UPPER") == 0) {
		pc_buf lower = PC_BUF_INIT;
		sums_text(s, &lower);
		for (i = 0; i < 64; i++)
			if (lower.p[i] >= 'a' && lower.p[i] <= 'f')
				lower.p[i] = (uint8_t)(lower.p[i] - 'a' + 'A');
		pc_buf_append(&sums, lower.p, lower.len);
		pc_buf_free(&lower);
	} else if (s->sums != NULL && strcmp(s->sums, "BINARY") == 0) {
		sums_text(s, &sums);
		sums.p[65] = '*';
	} else if (s->sums != NULL) {
		pc_buf_str(&sums, s->sums);
	} else {
		sums_text(s, &sums);
	}
	mb.data = meta;
	mb.len = strlen(meta);
	ms.data = (const char *)sums.p;
	ms.len = sums.len;
	if (s->order == 1)
		member(tar, &ms);
	member(tar, &mb);
	if (s->order == 0)
		member(tar, &ms);
	for (i = 0; i < MAXM && s->m[i].name != NULL; i++)
		member(tar, &s->m[i]);
	if (s->order == 2)
		member(tar, &ms);
	for (long k = 0; k < s->many; k++) {
		char name[32];
		struct mem e = { .name = name, .data = "", .len = 0 };
		snprintf(name, sizeof name, "m%06ld", k);
		member(tar, &e);
	}
	if (s->one_zero)
		pc_buf_append(tar, zero, 512);
	if (!s->no_end)
		pc_buf_append(tar, zero, 1024);
	if (s->tail != NULL)
		pc_buf_append(tar, s->tail, s->tail_len);
	if (s->cut > 0)
		tar->len -= (size_t)s->cut;
	CHECK(pc_buf_ok(tar) && pc_buf_ok(&sums));
	pc_buf_free(&sums);
	(void)c;
}

static void run_case(const char *c, const char *want_rc, const char *frag)
{
	struct spec s;
	char sender[17], meta[2048], file[1100], sigfile[1200], path[1500], tc[TR_COMMENT_MAX + 1];
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT;
	tr_bundle b;
	pc_rc rc;

	if (!make_case(c, &s, meta, sizeof meta)) {
		FAIL("bad-bundles.txt: case %s has no generator", c);
	}
	snprintf(file, sizeof file, "%s.tar", c);
	snprintf(sigfile, sizeof sigfile, "%s.tar.minisig", c);
	build(c, &s, meta, &tar);
	tr_keyid_text(pk.keyid, sender);
	if (s.tc != NULL)
		snprintf(tc, sizeof tc, "%s", s.tc);
	else
		snprintf(tc, sizeof tc, "plantca-bundle kind=request segment=line3 sender=%s "
		    "sequence=17 file=%.200s", sender, s.signed_as != NULL ? s.signed_as : file);
	if (s.key == 0)
		tt_sign(tar.p, tar.len, &pk, &sk, tc, &sig);
	else if (s.key == 1)
		tt_sign(tar.p, tar.len, &opk, &osk, tc, &sig);
	else if (s.key == 2)
		pc_buf_str(&sig, "hello\n");
	if (s.forge_tc) {
		/* same signatures, another trusted comment */
		uint8_t *q = memmem(sig.p, sig.len, "sequence=17", 11);
		CHECK(q != NULL);
		q[10] = '8';
	}
	if (s.flip)
		tar.p[700] ^= 0x01;
	t_write(file, tar.p, tar.len);
	if (s.key != -1)
		t_write(sigfile, sig.p, sig.len);
	t_path(path, sizeof path, file);
	if (s.oversized) {
		int fd = open(path, O_WRONLY);
		CHECK(fd >= 0 && ftruncate(fd, (off_t)TR_BUNDLE_MAX + 1) == 0 && close(fd) == 0);
	}
	memset(&t_err, 0, sizeof t_err);
	rc = tr_bundle_read(path, &pk, 1, &b, &t_err);
	if (rc == PC_OK) {
		rc = tr_bundle_check(&b, s.kind, s.segment, s.last, s.now, &t_err);
		tr_bundle_free(&b);
	}
	if (strcmp(pc_rc_name(rc), want_rc) != 0) {
		FAIL("case %s: got %s, want %s\n  message: %s", c, pc_rc_name(rc),
		    want_rc, rc == PC_OK ? "" : t_err.msg);
	}
	/* read through a spool copy (what plantca import does): the same
	 * verdict and the same message, and no spool file left behind */
	{
		pc_err se;
		pc_rc src;
		char cmd[1200];
		memset(&se, 0, sizeof se);
		src = tr_bundle_read_spooled(path, t_dir, &pk, 1, &b, &se);
		if (src == PC_OK) {
			src = tr_bundle_check(&b, s.kind, s.segment, s.last, s.now, &se);
			tr_bundle_free(&b);
		}
		if (src != rc || (rc != PC_OK && strcmp(se.msg, t_err.msg) != 0))
			FAIL("case %s: spooled read gives %s \"%s\", in memory %s \"%s\"", c,
			    pc_rc_name(src), se.msg, pc_rc_name(rc), t_err.msg);
		snprintf(cmd, sizeof cmd, "test -z \"$(ls -A '%s' | grep spool)\"", t_dir);
		if (system(cmd) != 0)
			FAIL("case %s: a spool file was left in %s", c, t_dir);
	}
	if (rc != PC_OK && (strstr(t_err.msg, file) == NULL || strstr(t_err.msg, frag) == NULL)) {
		FAIL("case %s: message lacks \"%s\" or \"%s\"\n  message: %s", c,
		    file, frag, t_err.msg);
	}
	fprintf(stderr, "ok %-26s %-9s %s\n", c, want_rc, rc == PC_OK ? "" : t_err.msg);
	/* BAD_BUNDLE_SEEDS=DIR: keep the small crafted tars as fuzz seeds */
	if (getenv("BAD_BUNDLE_SEEDS") != NULL && !s.oversized && s.many == 0 &&
	    strcmp(want_rc, "ok") != 0) {
		char seed[1600];
		FILE *sf;

		snprintf(seed, sizeof seed, "%s/bad-%s.tar", getenv("BAD_BUNDLE_SEEDS"), c);
		sf = fopen(seed, "wb");
		CHECK(sf != NULL && fwrite(tar.p, 1, tar.len, sf) == tar.len && fclose(sf) == 0);
	}
	/* big files go at once */
	if (s.oversized || s.many > 0)
		CHECK(unlink(path) == 0);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
}

int main(int argc, char **argv)
{
	FILE *f;
	char line[1024];
	size_t n = 0;

	CHECK(argc == 2);
	CHECK(sodium_init() >= 0);
	t_workdir("transfer");
	tt_key(&sk, &pk);
	tt_key(&osk, &opk);
	f = fopen(argv[1], "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof line, f) != NULL) {
		char *c = line, *rc, *frag, *nl;

		if (line[0] == '#' || line[0] == '\n')
			continue;
		if ((nl = strchr(line, '\n')) != NULL)
			*nl = '\0';
		rc = strchr(c, '\t');
		CHECK(rc != NULL);
		*rc++ = '\0';
		frag = strchr(rc, '\t');
		CHECK(frag != NULL);
		*frag++ = '\0';
		run_case(c, rc, frag);
		n++;
	}
	fclose(f);
	CHECK(n >= 60);
	{
		/* every generator has a line: try names the table lacks */
		struct spec s;
		char meta[2048];
		CHECK(!make_case("no-such-case", &s, meta, sizeof meta));
	}
	fprintf(stderr, "%zu cases\n", n);
	tr_seckey_free(&sk);
	tr_seckey_free(&osk);
	return 0;
}
