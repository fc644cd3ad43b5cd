/*
 * test_fwformat.c - the RAUC plain bundle layout (transfer/fwformat.h):
 * good layouts give the payload the signature covers, and a table of bad
 * ones gives each its exact message.  Inputs are built here: a squashfs
 * 4.0 superblock (magic, version, bytes_used; the rest is not read), the
 * payload, and a trailer; with --seeds DIR each input is also written as a
 * seed of the fuzz_rauc target.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fwformat.h"

/* a signedData ContentInfo of `len` bytes: SEQUENCE { OID 1.2.840.113549.1.7.2, ... } */
static size_t put_cms(uint8_t *p, size_t len, int oid_last)
{
	static const uint8_t oid[] = { 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
	size_t body = len - 4, i;

	p[0] = 0x30; p[1] = 0x82; p[2] = (uint8_t)(body >> 8); p[3] = (uint8_t)body;
	memcpy(p + 4, oid, sizeof oid);
	p[4 + sizeof oid - 1] = (uint8_t)oid_last;
	/* the rest: one OCTET STRING filling the SEQUENCE */
	p[4 + sizeof oid] = 0x04; p[5 + sizeof oid] = 0x82;
	p[6 + sizeof oid] = (uint8_t)((body - sizeof oid - 4) >> 8);
	p[7 + sizeof oid] = (uint8_t)(body - sizeof oid - 4);
	for (i = 8 + sizeof oid; i < len; i++)
		p[i] = 0x5a;
	return len;
}

struct img {
	uint8_t *p;
	size_t n;
};

/* used: bytes_used; size: payload bytes (>= 96); sig: CMS bytes (0: none);
 * lenfield: the trailer's value (0: sig); magic, vmajor as written */
static struct img mk(uint64_t used, size_t size, size_t sig, uint64_t lenfield, uint32_t magic,
    unsigned vmajor, int oid_last)
{
	struct img m;
	size_t i, t = size + (sig ? sig + 8 : 0);

	m.p = calloc(1, t ? t : 1);
	m.n = t;
	CHECK(m.p != NULL);
	if (size >= 4)
		for (i = 0; i < 4; i++)
			m.p[i] = (uint8_t)(magic >> (8 * i));
	if (size >= 32) {
		m.p[28] = (uint8_t)vmajor;
		m.p[30] = 0;
	}
	if (size >= 48)
		for (i = 0; i < 8; i++)
			m.p[40 + i] = (uint8_t)(used >> (8 * i));
	if (sig) {
		put_cms(m.p + size, sig, oid_last);
		if (lenfield == 0)
			lenfield = sig;
		for (i = 0; i < 8; i++)
			m.p[size + sig + i] = (uint8_t)(lenfield >> (56 - 8 * i));
	}
	return m;
}

static pc_rc layout(const struct img *m, fw_rauc_layout *l)
{
	size_t hl = m->n < FW_RAUC_SB_LEN ? m->n : FW_RAUC_SB_LEN;
	size_t tl = m->n < FW_RAUC_TAIL ? m->n : FW_RAUC_TAIL;

	return fw_rauc_layout_read(m->p, hl, m->p + m->n - tl, tl, m->n, "b.raucb", l, &t_err);
}

static const char *seeds;
static void seed(const char *name, const struct img *m)
{
	char path[4096];
	FILE *f;

	if (!seeds)
		return;
	snprintf(path, sizeof path, "%s/%s", seeds, name);
	f = fopen(path, "wb");
	CHECK(f != NULL && fwrite(m->p, 1, m->n, f) == m->n && fclose(f) == 0);
}

#define MAGIC 0x73717368u

int main(int argc, char **argv)
{
	fw_rauc_layout l;
	struct img m;
	size_t i;
	static const struct {
		const char *name;
		uint64_t used;
		size_t size, sig;
		uint64_t lenfield;
		uint32_t magic;
		unsigned vmajor;
		int oid_last;
		const char *want;
	} bad[] = {
		{ "bad-short", 60, 60, 0, 0, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: shorter than a squashfs superblock (96 bytes)" },
		{ "bad-magic", 4096, 4096, 0, 0, 0x73717369u, 4, 2,
		  "b.raucb: not a RAUC plain bundle: it does not start with a squashfs image (magic hsqs)" },
		{ "bad-version", 4096, 4096, 0, 0, MAGIC, 3, 2,
		  "b.raucb: not a RAUC plain bundle: squashfs version 3.0, expected 4.0" },
		{ "bad-used-big", 5000, 4096, 0, 0, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: the squashfs says it is 5000 bytes, the file has 4096" },
		{ "bad-used-small", 10, 4096, 0, 0, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: the squashfs says it is 10 bytes, the file has 4096" },
		{ "bad-trailing", 3000, 4100, 0, 0, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: the 1100 bytes after the squashfs (3000 bytes, 4096 "
		  "padded) are not a signature and its length (a verity or crypt bundle is not signed here)" },
		{ "bad-len-zero", 3000, 4096, 1000, 0xffffffffffffffffull, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: the 2104 bytes after the squashfs (3000 bytes, 4096 "
		  "padded) are not a signature and its length (a verity or crypt bundle is not signed here)" },
		{ "bad-len-off", 3000, 4096, 1000, 999, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: the 2104 bytes after the squashfs (3000 bytes, 4096 "
		  "padded) are not a signature and its length (a verity or crypt bundle is not signed here)" },
		{ "bad-sig-too-big", 3000, 4096, 70000, 0, MAGIC, 4, 2,
		  "b.raucb: not a RAUC plain bundle: the 71104 bytes after the squashfs (3000 bytes, 4096 "
		  "padded) are not a signature and its length (a verity or crypt bundle is not signed here)" },
		{ "bad-not-signeddata", 3000, 4096, 1000, 0, MAGIC, 4, 1,
		  "b.raucb: not a RAUC plain bundle: the bytes before the length are not a DER CMS SignedData" },
	};

	if (argc == 3 && strcmp(argv[1], "--seeds") == 0)
		seeds = argv[2];
	/* good: bare (exact and padded), signed (exact and padded, payload a
	 * multiple of the padding or not) */
	m = mk(4096, 4096, 0, 0, MAGIC, 4, 2);
	CHECK_OK(layout(&m, &l));
	CHECK(l.payload_len == 4096 && l.squashfs_used == 4096 && l.old_sig_len == 0);
	seed("good-bare", &m);
	free(m.p);
	m = mk(3000, 3000, 0, 0, MAGIC, 4, 2);
	CHECK_OK(layout(&m, &l));
	CHECK(l.payload_len == 3000 && l.old_sig_len == 0);
	free(m.p);
	m = mk(3000, 4096, 1500, 0, MAGIC, 4, 2);
	CHECK_OK(layout(&m, &l));
	CHECK(l.payload_len == 4096 && l.squashfs_used == 3000 && l.old_sig_len == 1500);
	seed("good-signed", &m);
	free(m.p);
	m = mk(3000, 3000, 65536, 0, MAGIC, 4, 2);
	CHECK_OK(layout(&m, &l));
	CHECK(l.payload_len == 3000 && l.old_sig_len == 65536);
	seed("good-signed-max", &m);
	free(m.p);
	/* a payload longer than the tail the caller reads */
	m = mk(200000, 200704, 2000, 0, MAGIC, 4, 2);
	CHECK_OK(layout(&m, &l));
	CHECK(l.payload_len == 200704 && l.old_sig_len == 2000);
	free(m.p);

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pc_rc rc;
		m = mk(bad[i].used, bad[i].size, bad[i].sig, bad[i].lenfield, bad[i].magic,
		    bad[i].vmajor, bad[i].oid_last);
		seed(bad[i].name, &m);
		memset(&t_err, 0, sizeof t_err);
		rc = layout(&m, &l);
		if (rc != PC_E_INPUT || strcmp(t_err.msg, bad[i].want) != 0)
			FAIL_ROW("%s: rc %d, message '%s', expected '%s'", bad[i].name, rc, t_err.msg,
			    bad[i].want);
		CHECK(l.payload_len == 0 && l.squashfs_used == 0 && l.old_sig_len == 0);
		free(m.p);
	}
	CHECK_ROWS(sizeof bad / sizeof bad[0]);
	return 0;
}
