/*
 * fuzz_p7b.c - the trust.p7b reader (pkix_p7b_parse, pkix/cms.h) and its
 * writer (pkix_p7b_build) on arbitrary bytes.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT or PC_E_LIMIT with a message that starts with
 *    the name passed in, and hands back no certificates;
 *  - what parses has 1..PKIX_P7B_CERTS_MAX certificates, each a SEQUENCE TLV
 *    inside the input, no two alike;
 *  - the reader accepts only the canonical encoding: the parsed
 *    certificates, written again with pkix_p7b_build, give back exactly the
 *    input bytes (so the station may rebuild trust.p7b from what it
 *    checked without changing a byte);
 *  - the writer's output always parses: when the input starts with one DER
 *    SEQUENCE, a p7b holding it as its one certificate parses back to it.
 * Seeds (corpus/fuzz_p7b): make-p7b-seeds.sh (openssl crl2pkcs7 and cms
 * output, good and bad) and the inputs of tests/unit/pkix/bad-p7b.txt.
 */
#include <string.h>

#include "fuzz.h"
#include "der.h"
#include "cms.h"

static void check_refusal(pc_rc rc, const pc_err *e, const pkix_p7b *p)
{
	CHECK(rc == PC_E_INPUT || rc == PC_E_LIMIT);
	CHECK(e->rc == rc && strncmp(e->msg, "fuzz.p7b: ", 10) == 0);
	CHECK(p->ncerts == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pkix_p7b p;
	pc_err e;
	pc_rc rc;
	size_t i, k;

	memset(&e, 0, sizeof e);
	rc = pkix_p7b_parse(data, size, "fuzz.p7b", &p, &e);
	if (rc != PC_OK) {
		check_refusal(rc, &e, &p);
	} else {
		pc_buf again = PC_BUF_INIT;

		CHECK(p.ncerts >= 1 && p.ncerts <= PKIX_P7B_CERTS_MAX);
		for (i = 0; i < p.ncerts; i++) {
			CHECK(p.cert[i] >= data && p.cert_len[i] >= 2 &&
			    p.cert_len[i] <= size && (size_t)(p.cert[i] - data) <= size - p.cert_len[i]);
			CHECK(p.cert[i][0] == DER_SEQUENCE);
			for (k = 0; k < i; k++)
				CHECK(p.cert_len[k] != p.cert_len[i] ||
				    memcmp(p.cert[k], p.cert[i], p.cert_len[i]) != 0);
		}
		CHECK(pkix_p7b_build(p.cert, p.cert_len, p.ncerts, &again, &e) == PC_OK);
		CHECK(again.len == size && memcmp(again.p, data, size) == 0);
		pc_buf_free(&again);
	}

	/* the writer's side: the input's first DER SEQUENCE as a certificate */
	{
		pc_reader r = pc_reader_make(data, size), c;
		const uint8_t *w;
		size_t wl;
		uint8_t tag;

		if (pc_der_read_any(&r, &tag, &c, &w, &wl) && tag == DER_SEQUENCE) {
			pc_buf b = PC_BUF_INIT;
			pkix_p7b q;

			CHECK(pkix_p7b_build(&w, &wl, 1, &b, &e) == PC_OK);
			CHECK(pkix_p7b_parse(b.p, b.len, "fuzz.p7b", &q, &e) == PC_OK);
			CHECK(q.ncerts == 1 && q.cert_len[0] == wl && memcmp(q.cert[0], w, wl) == 0);
			pc_buf_free(&b);
		}
	}
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "  -> %s: %s\n", pc_rc_name(rc), rc == PC_OK ? "valid" : e.msg);
	return 0;
}
