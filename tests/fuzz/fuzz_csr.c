/*
 * fuzz_csr.c - pkix_csr_parse() and pkix_csr_check_shape() (the station's
 * check) on arbitrary bytes.
 *
 * Properties checked for every input:
 *  - a refusal carries the same code in the error record, a message that
 *    starts with the name we passed, and leaves nothing allocated;
 *  - an accepted request is self-consistent: subject and SPKI lie inside the
 *    owned copy, the subject prints, the key has an identifier, every SAN
 *    prints and reads back (pkix_gn_from_text) to the same entry, and a
 *    certificate built from it (pkix_tbs_build + pkix_cert_assemble) reads
 *    back with pkix_cert_parse;
 *  - input that is not PEM gives the same verdict wrapped in a PEM block
 *    ("CERTIFICATE REQUEST") as it does raw: the two paths to the DER parser
 *    agree;
 *  - the station's check never says a DER request the CA's reader accepted
 *    fails its proof of possession.
 */
#include <string.h>

#include "fuzz.h"
#include "pem.h"
#include "pkix.h"

static const uint8_t alg_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };

static void check_refusal(pc_rc rc, const pkix_csr *c, const pc_err *e)
{
	CHECK(e->rc == rc);
	CHECK(strncmp(e->msg, "fuzz.csr: ", 10) == 0);
	CHECK(c->der == NULL && c->nsan == 0);
	CHECK(rc == PC_E_CSR || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
}

static void check_issue(const pkix_csr *c)
{
	static const uint8_t sig[64] = { 1 };
	pkix_tbs_params p;
	pc_buf tbs = PC_BUF_INIT, cert = PC_BUF_INIT;
	pkix_cert v;
	pc_err e;
	pc_rc rc;

	memset(&p, 0, sizeof p);
	memset(p.serial, 0x42, sizeof p.serial);
	p.sigalg = alg_ed25519;
	p.sigalg_len = sizeof alg_ed25519;
	p.issuer = c->subject;
	p.issuer_len = c->subject_len;
	p.not_before = 1700000000;
	p.not_after = 2600000000;
	p.subject = c->subject;
	p.subject_len = c->subject_len;
	p.spki = c->spki;
	p.spki_len = c->spki_len;
	p.path_len = -1;
	p.key_usage = PKIX_KU_DIGITAL_SIGNATURE;
	p.san = c->san;
	p.nsan = c->nsan;
	rc = pkix_tbs_build(&p, &tbs, &e);
	if (c->subject_len <= 2 && c->nsan == 0) {
		CHECK(rc == PC_E_INPUT);
		pc_buf_free(&tbs);
		return;
	}
	CHECK(rc == PC_OK);
	CHECK(pkix_cert_assemble(tbs.p, tbs.len, p.sigalg, p.sigalg_len, sig,
	    sizeof sig, &cert) == PC_OK);
	CHECK(pkix_cert_parse(cert.p, cert.len, "certificate", &v, NULL) == PC_OK);
	CHECK(v.tbs_len == tbs.len && memcmp(v.tbs, tbs.p, tbs.len) == 0);
	CHECK(v.subject_len == c->subject_len &&
	    memcmp(v.subject, c->subject, c->subject_len) == 0);
	CHECK(v.spki_len == c->spki_len && memcmp(v.spki, c->spki, c->spki_len) == 0);
	CHECK(v.serial_len == PKIX_SERIAL_LEN && v.serial[0] == 0x42);
	CHECK(v.not_before == p.not_before && v.not_after == p.not_after);
	pc_buf_free(&tbs);
	pc_buf_free(&cert);
}

static void check_accepted(const pkix_csr *c, size_t size)
{
	pc_buf t = PC_BUF_INIT;
	uint8_t id[PKIX_KEYID_LEN];
	pkix_keytype kt;
	unsigned bits;
	size_t i;

	CHECK(c->der != NULL && c->der_len > 0 && c->der_len <= size);
	CHECK(c->subject >= c->der && c->subject_len <= c->der_len &&
	    (size_t)(c->subject - c->der) <= c->der_len - c->subject_len);
	CHECK(c->spki >= c->der && c->spki_len <= c->der_len &&
	    (size_t)(c->spki - c->der) <= c->der_len - c->spki_len);
	CHECK(c->subject_len <= PKIX_NAME_MAX);
	CHECK(pkix_name_to_text(c->subject, c->subject_len, &t) == PC_OK);
	pc_buf_free(&t);
	CHECK(pkix_keyid(c->spki, c->spki_len, id) == PC_OK);
	CHECK(pkix_spki_type(c->spki, c->spki_len, "spki", PC_E_CSR, &kt, &bits, NULL) == PC_OK);
	CHECK(kt == c->keytype && bits == c->bits);
	CHECK(c->nsan <= PKIX_SAN_MAX);
	for (i = 0; i < c->nsan; i++) {
		const pkix_gn *g = &c->san[i];
		pkix_gn back;
		pc_err e;

		CHECK(g->len > 0 && g->len < sizeof g->val);
		pkix_gn_to_text(g, &t);
		pc_buf_byte(&t, 0);
		CHECK(pc_buf_ok(&t));
		if (pkix_gn_from_text((const char *)t.p, false, &back, &e) != PC_OK) {
			FAIL("SAN '%s' does not read back: %s", (const char *)t.p, e.msg);
		}
		CHECK(back.type == g->type && back.len == g->len &&
		    memcmp(back.val, g->val, g->len) == 0);
		pc_buf_free(&t);
	}
	check_issue(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pkix_csr c, c2;
	pc_err e, e2;
	pc_rc rc, rc2;
	pc_buf pem = PC_BUF_INIT;
	pkix_csr_shape sh;

	memset(&e, 0, sizeof e);
	rc = pkix_csr_parse(data, size, "fuzz.csr", &c, &e);
	if (rc != PC_OK)
		check_refusal(rc, &c, &e);
	else
		check_accepted(&c, size);
	/* plantca-station request's check of the same bytes: a DER request
	 * whose self-signature the CA's reader verified is never refused as
	 * one that does not verify (the same verifier, the same bytes) */
	sh = pkix_csr_check_shape(data, size);
	CHECK(sh == PKIX_CSR_SHAPE_OK || sh == PKIX_CSR_NOT_A_REQUEST || sh == PKIX_CSR_POP_FAILED);
	if (rc == PC_OK && !pc_pem_looks_like(data, size))
		CHECK(sh != PKIX_CSR_POP_FAILED);

	if (!pc_pem_looks_like(data, size)) {
		pc_pem_encode(&pem, "CERTIFICATE REQUEST", data, size);
		CHECK(pc_buf_ok(&pem));
		if (pem.len <= PKIX_CSR_MAX) {
			memset(&e2, 0, sizeof e2);
			rc2 = pkix_csr_parse(pem.p, pem.len, "fuzz.csr", &c2, &e2);
			CHECK(rc2 == rc);
			if (rc2 == PC_OK) {
				CHECK(c2.der_len == c.der_len &&
				    memcmp(c2.der, c.der, c.der_len) == 0);
				CHECK(c2.keytype == c.keytype && c2.bits == c.bits &&
				    c2.nsan == c.nsan);
				CHECK(memcmp(c2.san, c.san, c.nsan * sizeof c.san[0]) == 0);
				pkix_csr_free(&c2);
			} else {
				check_refusal(rc2, &c2, &e2);
			}
		}
		pc_buf_free(&pem);
	}
	if (rc == PC_OK)
		pkix_csr_free(&c);
	return 0;
}
