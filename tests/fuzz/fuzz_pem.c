/*
 * fuzz_pem.c - pc_pem_decode(), pc_pem_decode_all() and pc_hex_decode() on
 * arbitrary bytes.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT with a message, and hands back no buffer;
 *  - what decodes re-encodes (pc_pem_encode) to text that decodes to the
 *    same bytes and label;
 *  - when pc_pem_decode accepts the input, pc_pem_decode_all finds exactly
 *    that one block, with the same bytes;
 *  - pc_pem_decode_all passes only non-empty blocks of the wanted label to
 *    its callback, and returns the callback's error unchanged;
 *  - hex that decodes, encodes back to the same (lower-cased) text.
 */
#include <ctype.h>
#include <string.h>

#include "fuzz.h"
#include "pem.h"

static const char *const labels[] = {
	"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", "CERTIFICATE", NULL,
};

struct ctx {
	int n;
	const uint8_t *want;       /* the block pc_pem_decode returned, if any */
	size_t want_len;
	bool refuse_ff;            /* refuse blocks starting with 0xff */
};

PC_CHECK static pc_rc cb(void *vctx, const uint8_t *der, size_t len, pc_err *e)
{
	struct ctx *c = vctx;

	CHECK(der != NULL && len > 0);
	if (c->want != NULL)
		CHECK(len == c->want_len && memcmp(der, c->want, len) == 0);
	c->n++;
	if (c->refuse_ff && der[0] == 0xff)
		return pc_fail(e, PC_E_STATE, "refused by the callback");
	return PC_OK;
}

static void check_hex(const uint8_t *data, size_t size)
{
	char s[257];
	uint8_t out[128];
	size_t n, i;
	pc_buf b = PC_BUF_INIT;

	if (size >= sizeof s || memchr(data, 0, size) != NULL)
		return;
	memcpy(s, data, size);
	s[size] = '\0';
	if (!pc_hex_decode(s, out, sizeof out, &n))
		return;
	CHECK(n * 2 == size);
	pc_hex_encode(&b, out, n, 0);
	CHECK(pc_buf_ok(&b) && b.len == size);
	for (i = 0; i < size; i++)
		CHECK(b.p[i] == (uint8_t)tolower((unsigned char)s[i]));
	pc_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *der = (uint8_t *)"x", *der2;
	size_t len = 0, len2;
	int idx = -1, idx2 = -1;
	pc_err e;
	pc_rc rc, rc_all;
	struct ctx c;

	memset(&e, 0, sizeof e);
	rc = pc_pem_decode(data, size, labels, &der, &len, &idx, &e);
	if (rc != PC_OK) {
		CHECK(rc == PC_E_INPUT || rc == PC_E_NOMEM);
		CHECK(e.rc == rc && e.msg[0] != '\0');
		CHECK(der == NULL);
	} else {
		pc_buf pem = PC_BUF_INIT;

		CHECK(der != NULL && len > 0 && len <= size);
		CHECK(idx >= 0 && idx < 3);
		CHECK(pc_pem_looks_like(data, size));
		pc_pem_encode(&pem, labels[idx], der, len);
		CHECK(pc_buf_ok(&pem));
		CHECK(pc_pem_decode(pem.p, pem.len, labels, &der2, &len2, &idx2, &e) == PC_OK);
		CHECK(len2 == len && memcmp(der2, der, len) == 0 && idx2 == idx);
		free(der2);
		pc_buf_free(&pem);
	}

	/* decode_all over the same bytes, for the label decode found */
	memset(&c, 0, sizeof c);
	if (rc == PC_OK) {
		c.want = der;
		c.want_len = len;
	}
	rc_all = pc_pem_decode_all(data, size, rc == PC_OK ? labels[idx] : "CERTIFICATE",
	    cb, &c, &e);
	if (rc == PC_OK)
		CHECK(rc_all == PC_OK && c.n == 1);
	if (rc_all == PC_OK)
		CHECK(c.n > 0);
	else
		CHECK(e.rc == rc_all && e.msg[0] != '\0');

	/* the callback's refusal comes back as it is */
	memset(&c, 0, sizeof c);
	c.refuse_ff = true;
	rc_all = pc_pem_decode_all(data, size, "CERTIFICATE", cb, &c, &e);
	CHECK(rc_all == PC_OK || rc_all == PC_E_INPUT || rc_all == PC_E_STATE ||
	    rc_all == PC_E_NOMEM);
	if (rc_all == PC_E_STATE)
		CHECK(strcmp(e.msg, "refused by the callback") == 0);

	if (rc == PC_OK)
		free(der);
	check_hex(data, size);
	return 0;
}
