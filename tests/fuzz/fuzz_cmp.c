/*
 * fuzz_cmp.c - the CMP message reader (pkix/cmp.h pkix_cmp_parse, with
 * CRMF, pkix/crmf.h) and what the station runs on a message it read: the
 * check of its protection, the proof of possession of ir/cr/kur, the
 * PKCS#10 reader for p10cr, and the reply built to it (pkix/cmp_write.c),
 * on arbitrary bytes.  Every body the station takes goes through here:
 * ir, cr, p10cr, kur, certConf, pollReq, rr, error, pkiConf, genm.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT, PC_E_LIMIT (more than PKIX_CMP_MSG_MAX bytes
 *    or PKIX_CMP_EXTRA_MAX extraCerts, too many SANs, a key too large) or
 *    PC_E_CSR (a template the name or key rules refuse), with a message
 *    and a PKIFailureInfo bit other than "none";
 *  - what parses has every pointer inside the input, pvno 2 or 3, a body
 *    the reader supports, a transactionID and senderNonce of 1..64 bytes
 *    (an error message may lack both), at most PKIX_CMP_EXTRA_MAX
 *    extraCerts, certReqIds >= -1, a CRLReason in 0..10 or -1;
 *  - pkix_cmp_verify ends in PC_OK or PC_E_SIGNATURE with a failure bit;
 *  - a reply to it, echoing its transactionID and senderNonce and quoting
 *    its text (what the station does), parses back with both equal.
 * Seeds (corpus/fuzz_cmp, make-cmp-seeds.sh): the requests and replies of
 * Debian's `openssl cmp` against its own mock server (ir, cr, p10cr, kur,
 * rr, certConf, pollReq, genm, with signatures and with MAC), and the rows
 * of tests/unit/pkix/bad-cmp.txt (table-*).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cmp.h"
#include "csr.h"

static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	CHECK(p != NULL && p >= data && n <= size && (size_t)(p - data) <= size - n);
}

static void opt_inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	if (p != NULL)
		inside(data, size, p, n);
}

PC_CHECK static pc_rc zero_sign(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig, pc_err *e)
{
	static const uint8_t s[64];

	(void)ctx;
	(void)msg;
	(void)len;
	(void)e;
	pc_buf_append(sig, s, sizeof s);
	return PC_OK;
}

/* The station's reply shape: an error quoting the text, echoing txid and
 * nonce; it must read back. */
static void reply_roundtrip(const pkix_cmp_msg *m)
{
	static const uint8_t cert[] = { 0x30, 0x03, 0x02, 0x01, 0x01 };
	static const uint8_t ra[] = { 0x30, 0x0d, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04,
		0x03, 0x0c, 0x02, 'R', 'A' };
	static const uint8_t nonce[16] = { 1 };
	pkix_cmp_reply h;
	pkix_cmp_signer s;
	pkix_cmp_msg back;
	pkix_cmp_fail f;
	pc_buf out = PC_BUF_INIT;
	pc_der d, rcpt;
	pc_err e;

	memset(&h, 0, sizeof h);
	memset(&s, 0, sizeof s);
	h.pvno = 2;
	h.now = 1764590400;
	h.txid = m->txid;
	h.txid_len = m->txid ? m->txid_len : 0;
	h.recip_nonce = m->sender_nonce;
	h.recip_nonce_len = m->sender_nonce ? m->sender_nonce_len : 0;
	pc_der_init(&rcpt);
	if (m->sender_tag == (DER_CTX_CONS | 4)) {
		pc_der_begin(&rcpt, DER_CTX_CONS | 4);
		pc_der_raw(&rcpt, m->sender, m->sender_len);
		pc_der_end(&rcpt);
		CHECK(pc_der_ok(&rcpt));
		h.recipient = rcpt.b.p;
		h.recipient_len = rcpt.b.len;
	}
	s.cert = cert;
	s.cert_len = sizeof cert;
	s.alg = pkix_sigalg_for_key(PKIX_KEY_ED25519);
	s.sign = zero_sign;
	pc_der_init(&d);
	pkix_cmp_body_error(&d, PKIX_CMP_FI_BAD_REQUEST, m->text);
	CHECK(pc_der_ok(&d));
	CHECK(pkix_cmp_write_as(&h, ra, sizeof ra, NULL, 0, nonce, sizeof nonce, &s, d.b.p, d.b.len,
	    &out, &e) == PC_OK);
	if (pkix_cmp_parse(out.p, out.len, "reply", &back, &f, &e) != PC_OK)
		FAIL("the reply does not read back: %s", e.msg);
	CHECK(back.body == PKIX_CMP_ERROR && back.err_fail == PKIX_CMP_FI_BAD_REQUEST);
	CHECK(back.txid_len == h.txid_len && (h.txid_len == 0 ||
	    memcmp(back.txid, h.txid, h.txid_len) == 0));
	CHECK(back.recip_nonce_len == h.recip_nonce_len && (h.recip_nonce_len == 0 ||
	    memcmp(back.recip_nonce, h.recip_nonce, h.recip_nonce_len) == 0));
	pc_der_free(&d);
	pc_der_free(&rcpt);
	pc_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pkix_cmp_msg m;
	pkix_cmp_fail f;
	pkix_cert signer;
	pkix_csr csr;
	pc_err e;
	size_t i;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = pkix_cmp_parse(data, size, "fuzz", &m, &f, &e);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "  parse -> %s %s: %s\n", pc_rc_name(rc), pkix_cmp_fail_name(f),
		    rc == PC_OK ? "read" : e.msg);
	if (rc != PC_OK) {
		CHECK(rc == PC_E_INPUT || rc == PC_E_LIMIT || rc == PC_E_CSR);
		CHECK(e.rc == rc && e.msg[0] != '\0');
		CHECK(f != PKIX_CMP_FI_NONE && strcmp(pkix_cmp_fail_name(f), "none") != 0);
		return 0;
	}
	CHECK(f == PKIX_CMP_FI_NONE);
	CHECK(m.der == data && m.len == size);
	CHECK(m.pvno == 2 || m.pvno == 3);
	inside(data, size, m.header, m.header_len);
	inside(data, size, m.body_tlv, m.body_tlv_len);
	inside(data, size, m.sender, m.sender_len);
	inside(data, size, m.recipient, m.recipient_len);
	opt_inside(data, size, m.recipient_name, m.recipient_name_len);
	opt_inside(data, size, m.prot_alg, m.prot_alg_len);
	opt_inside(data, size, m.sender_kid, m.sender_kid_len);
	opt_inside(data, size, m.protection, m.protection_len);
	CHECK((m.protection == NULL) == (m.protection_len == 0) || m.protection != NULL);
	if (m.body != PKIX_CMP_ERROR) {
		CHECK(m.txid != NULL && m.sender_nonce != NULL);
	}
	if (m.txid != NULL) {
		inside(data, size, m.txid, m.txid_len);
		CHECK(m.txid_len >= 1 && m.txid_len <= PKIX_CMP_ID_MAX);
	}
	if (m.sender_nonce != NULL) {
		inside(data, size, m.sender_nonce, m.sender_nonce_len);
		CHECK(m.sender_nonce_len >= 1 && m.sender_nonce_len <= PKIX_CMP_ID_MAX);
	}
	if (m.recip_nonce != NULL)
		inside(data, size, m.recip_nonce, m.recip_nonce_len);
	CHECK(m.nextra <= PKIX_CMP_EXTRA_MAX);
	for (i = 0; i < m.nextra; i++)
		inside(data, size, m.extra[i], m.extra_len[i]);
	CHECK(strlen(m.text) < sizeof m.text);
	switch (m.body) {
	case PKIX_CMP_IR: case PKIX_CMP_CR: case PKIX_CMP_KUR:
		CHECK(m.req.cert_req_id >= 0);
		inside(data, size, m.req.cert_req, m.req.cert_req_len);
		CHECK(m.req.tmpl.spki_len <= PKIX_CRMF_SPKI_MAX && m.req.tmpl.nsan <= PKIX_SAN_MAX);
		opt_inside(data, size, m.req.tmpl.subject, m.req.tmpl.subject_len);
		if (m.req.pop == PKIX_CRMF_POP_SIGNATURE) {
			CHECK(m.req.pop_alg != NULL);
			inside(data, size, m.req.pop_sig, m.req.pop_sig_len);
		}
		if (m.req.has_old_cert)
			inside(data, size, m.req.old_serial, m.req.old_serial_len);
		rc = pkix_crmf_verify_pop(&m.req, "fuzz", &e);
		CHECK(rc == PC_OK || rc == PC_E_INPUT || rc == PC_E_SIGNATURE || rc == PC_E_CSR);
		break;
	case PKIX_CMP_P10CR:
		inside(data, size, m.p10, m.p10_len);
		rc = pkix_csr_parse(m.p10, m.p10_len, "fuzz", &csr, &e);
		if (rc == PC_OK)
			pkix_csr_free(&csr);
		break;
	case PKIX_CMP_CERTCONF:
		inside(data, size, m.cert_hash, m.cert_hash_len);
		CHECK(m.conf_req_id >= -1);
		break;
	case PKIX_CMP_POLLREQ:
		CHECK(m.poll_req_id >= -1);
		break;
	case PKIX_CMP_RR:
		inside(data, size, m.rev.serial, m.rev.serial_len);
		inside(data, size, m.rev.issuer, m.rev.issuer_len);
		CHECK(m.rev_reason >= -1 && m.rev_reason <= 10);
		break;
	case PKIX_CMP_ERROR: case PKIX_CMP_PKICONF: case PKIX_CMP_GENM:
		break;
	default:
		FAIL("body %d was read", m.body);
	}
	rc = pkix_cmp_verify(&m, "fuzz", &signer, &f, &e);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "  verify -> %s %s: %s\n", pc_rc_name(rc), pkix_cmp_fail_name(f),
		    rc == PC_OK ? "verified" : e.msg);
	CHECK(rc == PC_OK || rc == PC_E_SIGNATURE);
	CHECK((rc == PC_OK) == (f == PKIX_CMP_FI_NONE));
	if (rc == PC_OK)
		inside(data, size, signer.der, signer.len);
	reply_roundtrip(&m);
	return 0;
}
