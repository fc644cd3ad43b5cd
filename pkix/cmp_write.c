/*
 * cmp_write.c - writing protected PKIMessages (RFC 4210 §5.1, RFC 9483
 * §3): the replies of plantca-station and, for tests and the benchmark,
 * requests.  See cmp.h.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cmp.h"
#include "oid.h"
#include "text.h"

/* PKIFreeText with one UTF8String: the display-escaped text (so it is
 * well-formed UTF-8 whatever it quotes). */
static void free_text(pc_der *d, const char *text)
{
	pc_buf b = PC_BUF_INIT;

	pc_text_escape(&b, text, strlen(text));
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_tlv(d, DER_UTF8STRING, b.p ? b.p : (const uint8_t *)"", b.len);
	pc_der_end(d);
	if (!pc_buf_ok(&b))
		d->failed = true;
	pc_buf_free(&b);
}

/* INTEGER certReqId, -1 for p10cr (RFC 4210 §5.3.4) */
static void write_req_id(pc_der *d, long id)
{
	static const uint8_t minus_one = 0xff;

	if (id < 0)
		pc_der_tlv(d, DER_INTEGER, &minus_one, 1);
	else
		pc_der_u64(d, (uint64_t)id);
}

void pkix_cmp_status_info(pc_der *d, pkix_cmp_status status, pkix_cmp_fail fail, const char *text)
{
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_u64(d, (uint64_t)status);
	if (text != NULL && text[0] != '\0')
		free_text(d, text);
	if ((int)fail >= 0) {
		/* a named BIT STRING in DER has no trailing zero bits (X.690
		 * §11.2.2): the last byte holds the one bit set */
		uint8_t bits[4] = { 0 };
		unsigned n = (unsigned)fail;
		bits[n / 8] = (uint8_t)(0x80 >> (n % 8));
		pc_der_bits(d, bits, n / 8 + 1, 7 - n % 8);
	}
	pc_der_end(d);
}

void pkix_cmp_body_certrep(pc_der *d, int body, long cert_req_id, pkix_cmp_status status,
    pkix_cmp_fail fail, const char *text, const uint8_t *cert, size_t cert_len)
{
	/* CertRepMessage ::= SEQUENCE { caPubs [1] OPTIONAL, response SEQUENCE OF
	 * CertResponse }; CertResponse ::= SEQUENCE { certReqId, status,
	 * certifiedKeyPair OPTIONAL }; CertifiedKeyPair ::= SEQUENCE {
	 * certOrEncCert CHOICE { certificate [0] CMPCertificate } } */
	pc_der_begin(d, DER_CTX_CONS | (uint8_t)body);
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_begin(d, DER_SEQUENCE);
	write_req_id(d, cert_req_id);
	pkix_cmp_status_info(d, status, fail, text);
	if (cert != NULL) {
		pc_der_begin(d, DER_SEQUENCE);
		pc_der_begin(d, DER_CTX_CONS | 0);
		pc_der_raw(d, cert, cert_len);
		pc_der_end(d);
		pc_der_end(d);
	}
	pc_der_end(d);
	pc_der_end(d);
	pc_der_end(d);
	pc_der_end(d);
}

void pkix_cmp_body_pollrep(pc_der *d, long cert_req_id, long check_after, const char *text)
{
	pc_der_begin(d, DER_CTX_CONS | PKIX_CMP_POLLREP);
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_begin(d, DER_SEQUENCE);
	write_req_id(d, cert_req_id);
	pc_der_u64(d, (uint64_t)check_after);
	if (text != NULL && text[0] != '\0')
		free_text(d, text);
	pc_der_end(d);
	pc_der_end(d);
	pc_der_end(d);
}

void pkix_cmp_body_rp(pc_der *d, pkix_cmp_status status, pkix_cmp_fail fail, const char *text)
{
	/* RevRepContent ::= SEQUENCE { status SEQUENCE OF PKIStatusInfo, ... } */
	pc_der_begin(d, DER_CTX_CONS | PKIX_CMP_RP);
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_begin(d, DER_SEQUENCE);
	pkix_cmp_status_info(d, status, fail, text);
	pc_der_end(d);
	pc_der_end(d);
	pc_der_end(d);
}

void pkix_cmp_body_error(pc_der *d, pkix_cmp_fail fail, const char *text)
{
	/* ErrorMsgContent ::= SEQUENCE { pKIStatusInfo, errorCode OPTIONAL,
	 * errorDetails OPTIONAL } */
	pc_der_begin(d, DER_CTX_CONS | PKIX_CMP_ERROR);
	pc_der_begin(d, DER_SEQUENCE);
	pkix_cmp_status_info(d, PKIX_CMP_REJECTION, fail, text);
	pc_der_end(d);
	pc_der_end(d);
}

void pkix_cmp_body_pkiconf(pc_der *d)
{
	pc_der_begin(d, DER_CTX_CONS | PKIX_CMP_PKICONF);
	pc_der_null(d);
	pc_der_end(d);
}

/* [n] EXPLICIT OCTET STRING */
static void octets(pc_der *d, unsigned n, const uint8_t *p, size_t len)
{
	if (p == NULL)
		return;
	pc_der_begin(d, DER_CTX_CONS | (uint8_t)n);
	pc_der_tlv(d, DER_OCTET_STRING, p, len);
	pc_der_end(d);
}

pc_rc pkix_cmp_write_as(const pkix_cmp_reply *h, const uint8_t *sender, size_t sender_len,
    const uint8_t *kid, size_t kid_len, const uint8_t *nonce, size_t nonce_len,
    const pkix_cmp_signer *s, const uint8_t *body, size_t body_len, pc_buf *out, pc_err *e)
{
	pc_der hd, pp, msg;
	pc_buf sig = PC_BUF_INIT;
	const uint8_t *alg;
	size_t alg_len, i;
	time_t now = h->now;
	pc_rc rc = PC_OK;

	alg = pkix_sigalg_der(s->alg, &alg_len);
	pc_der_init(&hd);
	pc_der_init(&pp);
	pc_der_init(&msg);
	/* PKIHeader */
	pc_der_begin(&hd, DER_SEQUENCE);
	pc_der_u64(&hd, h->pvno);
	pc_der_begin(&hd, DER_CTX_CONS | 4);          /* sender: directoryName */
	pc_der_raw(&hd, sender, sender_len);
	pc_der_end(&hd);
	if (h->recipient != NULL) {
		pc_der_raw(&hd, h->recipient, h->recipient_len);
	} else {                                      /* the NULL-DN (RFC 4210 §5.1.1) */
		pc_der_begin(&hd, DER_CTX_CONS | 4);
		pc_der_begin(&hd, DER_SEQUENCE);
		pc_der_end(&hd);
		pc_der_end(&hd);
	}
	pc_der_begin(&hd, DER_CTX_CONS | 0);
	pc_der_gentime(&hd, now);
	pc_der_end(&hd);
	pc_der_begin(&hd, DER_CTX_CONS | 1);
	pc_der_raw(&hd, alg, alg_len);
	pc_der_end(&hd);
	octets(&hd, 2, kid, kid_len);
	octets(&hd, 4, h->txid, h->txid_len);
	octets(&hd, 5, nonce, nonce_len);
	octets(&hd, 6, h->recip_nonce, h->recip_nonce_len);
	if (h->implicit_confirm) {
		size_t ol;
		const uint8_t *oid = pkix_oid_bytes(PKIX_OID_IT_IMPLICIT_CONFIRM, &ol);
		pc_der_begin(&hd, DER_CTX_CONS | 8);
		pc_der_begin(&hd, DER_SEQUENCE);
		pc_der_begin(&hd, DER_SEQUENCE);
		pc_der_oid(&hd, oid, ol);
		pc_der_null(&hd);
		pc_der_end(&hd);
		pc_der_end(&hd);
		pc_der_end(&hd);
	}
	pc_der_end(&hd);
	/* ProtectedPart, signed */
	pc_der_begin(&pp, DER_SEQUENCE);
	pc_der_raw(&pp, hd.b.p, hd.b.len);
	pc_der_raw(&pp, body, body_len);
	pc_der_end(&pp);
	if (!pc_der_ok(&hd) || !pc_der_ok(&pp)) {
		rc = pc_fail(e, PC_E_NOMEM, "CMP message: out of memory");
		goto out;
	}
	if ((rc = s->sign(s->ctx, pp.b.p, pp.b.len, &sig, e)) != PC_OK)
		goto out;
	if (!pc_buf_ok(&sig)) {
		rc = pc_fail(e, PC_E_NOMEM, "CMP message: out of memory");
		goto out;
	}
	pc_der_begin(&msg, DER_SEQUENCE);
	pc_der_raw(&msg, hd.b.p, hd.b.len);
	pc_der_raw(&msg, body, body_len);
	pc_der_begin(&msg, DER_CTX_CONS | 0);
	pc_der_bits(&msg, sig.p, sig.len, 0);
	pc_der_end(&msg);
	pc_der_begin(&msg, DER_CTX_CONS | 1);
	pc_der_begin(&msg, DER_SEQUENCE);
	pc_der_raw(&msg, s->cert, s->cert_len);
	for (i = 0; i < s->nchain; i++)
		pc_der_raw(&msg, s->chain[i], s->chain_len[i]);
	pc_der_end(&msg);
	pc_der_end(&msg);
	pc_der_end(&msg);
	if (!pc_der_ok(&msg)) {
		rc = pc_fail(e, PC_E_NOMEM, "CMP message: out of memory");
		goto out;
	}
	pc_buf_append(out, msg.b.p, msg.b.len);
	if (!pc_buf_ok(out))
		rc = pc_fail(e, PC_E_NOMEM, "CMP message: out of memory");
out:
	pc_buf_free(&sig);
	pc_der_free(&hd);
	pc_der_free(&pp);
	pc_der_free(&msg);
	return rc;
}

pc_rc pkix_cmp_write(const pkix_cmp_reply *h, const pkix_cmp_signer *s, const uint8_t *body,
    size_t body_len, pc_buf *out, pc_err *e)
{
	pkix_cert c;
	uint8_t nonce[PKIX_CMP_NONCE_LEN];

	if (pkix_cert_parse(s->cert, s->cert_len, "CMP protection certificate", &c, e) != PC_OK)
		return e->rc;
	randombytes_buf(nonce, sizeof nonce);
	return pkix_cmp_write_as(h, c.subject, c.subject_len, c.ski, c.ski ? c.ski_len : 0,
	    nonce, sizeof nonce, s, body, body_len, out, e);
}
