/*
 * cmp_handle.c - one CMP request judged and answered (RFC 9483 §4, as
 * plantca-station serves it; docs/cmp.md).  No HTTP here: serve.c hands
 * over the bytes and sends back what this file builds.
 *
 * Every reply is built and signed fresh with the RA key: recipNonce is
 * the senderNonce of the request it answers (OpenSSL's client checks it
 * against its latest request), pvno 2, sender the RA certificate's
 * subject.  Nothing is queued for the CA unless every check passed;
 * every state change is on disk (cmp_state.c) before the reply leaves.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmp.h"
#include "file.h"
#include "pem.h"
#include "station.h"
#include "text.h"

/* --------------------------------------------------------------- trust */

typedef struct trust {
	st_cert root;
	st_certs plant, mfg;           /* plant.pem (the CAs below the root), manufacturers.pem */
	st_crl *crls; size_t ncrls, capcrls;
	pkix_cert *anchors_mfg; size_t nmfg;
	pkix_cert *pool; size_t npool;
	pkix_crl *pcrls;
} trust;

static void trust_free(trust *t)
{
	size_t i;

	st_cert_free(&t->root);
	st_certs_free(&t->plant);
	st_certs_free(&t->mfg);
	for (i = 0; i < t->ncrls; i++)
		st_crl_free(&t->crls[i]);
	free(t->crls);
	free(t->anchors_mfg);
	free(t->pool);
	free(t->pcrls);
	memset(t, 0, sizeof *t);
}

PC_CHECK static pc_rc crl_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	trust *t = ctx;

	if (t->ncrls == t->capcrls) {
		size_t nc = t->capcrls ? 2 * t->capcrls : 8;
		st_crl *nv = realloc(t->crls, nc * sizeof *nv);
		if (nv == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		t->crls = nv;
		t->capcrls = nc;
	}
	PC_TRY(st_crl_parse(der, len, "CRL", &t->crls[t->ncrls], e));
	t->ncrls++;
	return PC_OK;
}

/* An optional PEM file of DIR: its bytes, or NULL when it is not there. */
PC_CHECK static pc_rc read_opt(const char *dir, const char *name, uint8_t **p, size_t *n, pc_err *e)
{
	char path[PATH_MAX];
	struct stat sb;

	*p = NULL;
	*n = 0;
	PC_TRY(st_path_join(path, dir, name, e));
	if (stat(path, &sb) != 0)
		return PC_OK;
	return pc_file_read(path, ST_TRUST_MAX, p, n, e);
}

PC_CHECK static pc_rc trust_load(const char *dir, trust *t, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *p;
	size_t n, i;
	pc_rc rc = PC_OK;

	memset(t, 0, sizeof *t);
	t->plant.what = "plant.pem";
	t->mfg.what = "manufacturers.pem";
	PC_TRY(st_path_join(path, dir, "root.pem", e));
	PC_TRY(st_root_load(path, &t->root, e));
	PC_TRY(read_opt(dir, "plant.pem", &p, &n, e));
	if (p != NULL && n > 0)
		rc = st_certs_add_pem(&t->plant, p, n, e);
	free(p);
	PC_TRY(rc);
	PC_TRY(read_opt(dir, "crls.pem", &p, &n, e));
	if (p != NULL && n > 0)
		rc = pc_pem_decode_all(p, n, "X509 CRL", crl_cb, t, e);
	free(p);
	PC_TRY(rc);
	PC_TRY(read_opt(dir, "manufacturers.pem", &p, &n, e));
	if (p != NULL && n > 0) {
		rc = st_certs_add_pem(&t->mfg, p, n, e);
		/* a manufacturer's CRLs travel in the same file */
		if (rc == PC_OK && memmem(p, n, "-----BEGIN X509 CRL-----", 24) != NULL)
			rc = pc_pem_decode_all(p, n, "X509 CRL", crl_cb, t, e);
	}
	free(p);
	PC_TRY(rc);
	t->anchors_mfg = calloc(t->mfg.n + 1, sizeof *t->anchors_mfg);
	t->pool = calloc(t->plant.n + PKIX_CMP_EXTRA_MAX + 1, sizeof *t->pool);
	t->pcrls = calloc(t->ncrls + 1, sizeof *t->pcrls);
	if (t->anchors_mfg == NULL || t->pool == NULL || t->pcrls == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < t->mfg.n; i++)
		t->anchors_mfg[t->nmfg++] = t->mfg.v[i].pc;
	for (i = 0; i < t->plant.n; i++)
		if (!t->plant.v[i].self_signed)
			t->pool[t->npool++] = t->plant.v[i].pc;
	for (i = 0; i < t->ncrls; i++)
		t->pcrls[i] = t->crls[i].pc;
	return PC_OK;
}

/* ------------------------------------------------------------ replies */

static time_t now_of(const st_cmp_ctx *c)
{
	return c->clock ? c->clock() : time(NULL);
}

PC_CHECK static pc_rc ra_sign(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig, pc_err *e)
{
	const st_cmp_ctx *c = ctx;
	uint8_t s[crypto_sign_BYTES];

	if (crypto_sign_detached(s, NULL, msg, len, c->ra.sk) != 0)
		return pc_fail(e, PC_E_INTERNAL, "RA key: signing failed");
	pc_buf_append(sig, s, sizeof s);
	return PC_OK;
}

/* The reply to m (possibly only partly read: txid and nonce when they
 * were), with the body in d; grant: implicitConfirm granted in its header
 * (the reply that delivers a certificate the device asked it for). */
PC_CHECK static pc_rc reply_ic(st_cmp_ctx *c, const pkix_cmp_msg *m, bool grant, pc_der *d,
    pc_buf *out, pc_err *e)
{
	pkix_cmp_reply h;
	pkix_cmp_signer s;
	const uint8_t *chain[ST_CHAIN_DEPTH_MAX];
	size_t chain_len[ST_CHAIN_DEPTH_MAX], i;
	pc_der rcpt;
	pc_rc rc;

	if (!pc_der_ok(d))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memset(&h, 0, sizeof h);
	memset(&s, 0, sizeof s);
	h.pvno = 2;                    /* OpenSSL 3.0 refuses 3 ("unexpected pvno") */
	h.now = now_of(c);
	h.implicit_confirm = grant;
	pc_der_init(&rcpt);
	if (m != NULL && m->sender_tag == (DER_CTX_CONS | 4) && m->sender != NULL) {
		pc_der_begin(&rcpt, DER_CTX_CONS | 4);
		pc_der_raw(&rcpt, m->sender, m->sender_len);
		pc_der_end(&rcpt);
		if (pc_der_ok(&rcpt)) {
			h.recipient = rcpt.b.p;
			h.recipient_len = rcpt.b.len;
		}
	}
	if (m != NULL) {
		h.txid = m->txid;
		h.txid_len = m->txid ? m->txid_len : 0;
		h.recip_nonce = m->sender_nonce;
		h.recip_nonce_len = m->sender_nonce ? m->sender_nonce_len : 0;
	}
	s.cert = c->ra_certs.v[0].der;
	s.cert_len = c->ra_certs.v[0].len;
	for (i = 1; i < c->ra_certs.n && i <= ST_CHAIN_DEPTH_MAX; i++) {
		chain[i - 1] = c->ra_certs.v[i].der;
		chain_len[i - 1] = c->ra_certs.v[i].len;
	}
	s.chain = chain;
	s.chain_len = chain_len;
	s.nchain = i - 1;
	s.alg = pkix_sigalg_for_key(PKIX_KEY_ED25519);
	s.sign = ra_sign;
	s.ctx = c;
	rc = pkix_cmp_write(&h, &s, d->b.p, d->b.len, out, e);
	pc_der_free(&rcpt);
	return rc;
}

PC_CHECK static pc_rc reply(st_cmp_ctx *c, const pkix_cmp_msg *m, pc_der *d, pc_buf *out, pc_err *e)
{
	return reply_ic(c, m, false, d, out, e);
}

/* A CMP error reply for a refusal; log says why. */
PC_CHECK static pc_rc refuse(st_cmp_ctx *c, const pkix_cmp_msg *m, pkix_cmp_fail f,
    const char *why, pc_buf *out, st_cmp_log *log, pc_err *e)
{
	pc_der d;
	pc_rc rc;

	snprintf(log->outcome, sizeof log->outcome, "refused");
	snprintf(log->fail, sizeof log->fail, "%s", pkix_cmp_fail_name(f));
	snprintf(log->reply, sizeof log->reply, "error");
	pc_text_quote(log->msg, sizeof log->msg, why, strlen(why));
	pc_der_init(&d);
	pkix_cmp_body_error(&d, f, why);
	rc = reply(c, m, &d, out, e);
	pc_der_free(&d);
	return rc;
}

pc_rc st_cmp_refuse(st_cmp_ctx *c, int fail, const char *text, pc_buf *out, pc_err *e)
{
	st_cmp_log log;

	memset(&log, 0, sizeof log);
	return refuse(c, NULL, (pkix_cmp_fail)fail, text, out, &log, e);
}

static int rep_body(int req)
{
	switch (req) {
	case PKIX_CMP_IR: return PKIX_CMP_IP;
	case PKIX_CMP_KUR: return PKIX_CMP_KUP;
	default: return PKIX_CMP_CP;      /* cr, p10cr (RFC 4210 §5.3.4) */
	}
}

/* ------------------------------------------------------------ signers */

/* The hardware identity an 802.1AR IDevID carries: the subject's
 * serialNumber and the HardwareModuleName otherName (RFC 4108 §5). */
static void idevid_text(const pkix_cert *c, char *out, size_t cap)
{
	pc_buf b = PC_BUF_INIT, name = PC_BUF_INIT;
	const uint8_t *v;
	size_t n;
	pc_reader san = c->san;
	pkix_gn_view g;

	if (pkix_name_to_text(c->subject, c->subject_len, &name) == PC_OK)
		pc_buf_printf(&b, "'%.*s'", (int)name.len, (const char *)name.p);
	if (pkix_name_find(c->subject, c->subject_len, PKIX_OID_AT_SERIAL, &v, &n)) {
		pc_buf_str(&b, ", serialNumber ");
		pc_text_escape(&b, v, n);
	}
	while (pkix_gn_next(&san, &g)) {
		if (pkix_gn_hw_serial(&g, &v, &n)) {
			pc_buf_str(&b, ", hwSerialNum ");
			pc_text_escape(&b, v, n);
		}
	}
	pc_buf_printf(&b, ", serial %s", c->serial_hex);
	if (pc_buf_ok(&b))
		pc_text_quote(out, cap, b.p, b.len);
	else
		snprintf(out, cap, "?");
	pc_buf_free(&b);
	pc_buf_free(&name);
}

static pkix_cmp_fail chain_fail(pc_rc rc)
{
	return rc == PC_E_REVOKED ? PKIX_CMP_FI_CERT_REVOKED : PKIX_CMP_FI_SIGNER_NOT_TRUSTED;
}

/* Does the protection certificate chain to an anchor?  mfg: to an
 * accepted manufacturer (IDevID) or else to the plant root (LDevID). */
PC_CHECK static pc_rc signer_chain(const trust *t, const pkix_cmp_msg *m, const pkix_cert *signer,
    bool mfg, time_t now, pkix_cmp_fail *f, pc_err *e)
{
	pkix_chain_opts o;
	pkix_chain ch;
	pkix_cert *pool;
	size_t i, n = 0;
	pc_rc rc;

	pool = calloc(t->npool + m->nextra + 1, sizeof *pool);
	if (pool == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < t->npool; i++)
		pool[n++] = t->pool[i];
	for (i = 1; i < m->nextra; i++) {
		pc_err ign;
		if (pkix_cert_parse(m->extra[i], m->extra_len[i], "extraCerts", &pool[n], &ign) == PC_OK)
			n++;
	}
	memset(&o, 0, sizeof o);
	o.anchors = mfg ? t->anchors_mfg : &t->root.pc;
	o.nanchors = mfg ? t->nmfg : 1;
	o.pool = pool;
	o.npool = n;
	o.crls = t->pcrls;
	o.ncrls = t->ncrls;
	o.now = now;
	o.role = mfg ? "IDevID" : "device certificate";
	if (mfg && t->nmfg == 0) {
		free(pool);
		*f = PKIX_CMP_FI_SIGNER_NOT_TRUSTED;
		return pc_fail(e, PC_E_SIGNATURE, "no manufacturer is accepted for segment (plantca "
		    "manufacturer add, then a response bundle)");
	}
	rc = pkix_chain_verify(signer, &o, &ch, e);
	free(pool);
	if (rc != PC_OK) {
		*f = chain_fail(rc);
		return rc;
	}
	if (mfg && !(signer->flags & PKIX_CERT_F_AKI)) {
		*f = PKIX_CMP_FI_SIGNER_NOT_TRUSTED;
		return pc_fail(e, PC_E_SIGNATURE, "IDevID has no authorityKeyIdentifier (IEEE 802.1AR "
		    "requires one)");
	}
	return PC_OK;
}

/* --------------------------------------------------------- the requests */

PC_CHECK static pc_rc new_tx(st_cmp_ctx *c, const pkix_cmp_msg *m, const pkix_cert *signer,
    const char *txid, const char *device, const char *profile, st_tx *t, pc_err *e)
{
	uint8_t fp[32];

	memset(t, 0, sizeof *t);
	snprintf(t->txid, sizeof t->txid, "%s", txid);
	t->body = m->body;
	t->state = ST_TX_QUEUED;
	t->created = t->updated = (uint64_t)now_of(c);
	t->cert_req_id = m->body == PKIX_CMP_P10CR ? -1 : m->req.cert_req_id;
	snprintf(t->profile, sizeof t->profile, "%s", profile);
	crypto_hash_sha256(fp, signer->der, signer->len);
	pc_hex_str(t->signer, sizeof t->signer, fp, sizeof fp, 0);
	snprintf(t->device, sizeof t->device, "%s", device);
	/* asked in the request; granted (or not) when the certificate goes out */
	t->implicit_confirm = m->implicit_confirm && m->body != PKIX_CMP_RR;
	/* the device's message first: a .tx without its .msg never exists */
	PC_TRY(st_tx_file_write(c->dir, txid, "msg", m->der, m->len, e));
	return st_tx_save(c->dir, t, e);
}

/* ir, cr, p10cr, kur, rr: a new transaction. */
PC_CHECK static pc_rc handle_new(st_cmp_ctx *c, const pkix_cmp_msg *m, const pkix_cert *signer,
    const char *txid, pc_buf *out, st_cmp_log *log, pc_err *e)
{
	trust t;
	st_tx tx, old;
	pkix_cmp_fail f = PKIX_CMP_FI_NONE;
	char device[ST_TX_TEXT_MAX + 1];
	pc_err why = { PC_OK, "" };
	time_t now = now_of(c);
	bool mfg = m->body == PKIX_CMP_IR;
	pc_der d;
	pc_rc rc;

	if (st_tx_load(c->dir, txid, &old, &why) != PC_E_NOTFOUND)
		return refuse(c, m, PKIX_CMP_FI_TRANSACTION_ID_IN_USE, "transactionID is already in "
		    "use (a replayed or repeated request; start a new transaction)", out, log, e);
	if ((rc = trust_load(c->dir, &t, &why)) != PC_OK) {
		trust_free(&t);
		return refuse(c, m, PKIX_CMP_FI_SYSTEM_FAILURE, why.msg, out, log, e);
	}
	/* p10cr: an IDevID or an LDevID may sign it (RFC 9483 §4.1.4) */
	if (m->body == PKIX_CMP_P10CR)
		mfg = signer_chain(&t, m, signer, false, now, &f, &why) != PC_OK;
	rc = signer_chain(&t, m, signer, mfg, now, &f, &why);
	trust_free(&t);
	if (rc != PC_OK) {
		char msg[PC_ERR_MSG_MAX];
		snprintf(msg, sizeof msg, "%s not accepted: %s", mfg ? "IDevID" : "signer", why.msg);
		return refuse(c, m, f, msg, out, log, e);
	}
	idevid_text(signer, device, sizeof device);
	switch (m->body) {
	case PKIX_CMP_IR: case PKIX_CMP_CR: case PKIX_CMP_KUR:
		if (pkix_crmf_verify_pop(&m->req, "certificate request", &why) != PC_OK)
			return refuse(c, m, PKIX_CMP_FI_BAD_POP, why.msg, out, log, e);
		if (m->body == PKIX_CMP_KUR && m->req.has_old_cert &&
		    (m->req.old_serial_len != signer->serial_len ||
		    memcmp(m->req.old_serial, signer->serial, signer->serial_len) != 0))
			return refuse(c, m, PKIX_CMP_FI_BAD_CERT_ID, "kur: oldCertID is not the "
			    "certificate that signs the request (RFC 9483 §4.1.3)", out, log, e);
		break;
	case PKIX_CMP_P10CR: {
		pkix_csr csr;
		if (pkix_csr_parse(m->p10, m->p10_len, "p10cr", &csr, &why) != PC_OK)
			return refuse(c, m, PKIX_CMP_FI_BAD_POP, why.msg, out, log, e);
		pkix_csr_free(&csr);
		break;
	}
	case PKIX_CMP_RR:
		/* RFC 9483 §4.2: signed with the certificate to be revoked */
		if (m->rev.serial_len != signer->serial_len ||
		    memcmp(m->rev.serial, signer->serial, signer->serial_len) != 0 ||
		    m->rev.issuer_len != signer->issuer_len ||
		    memcmp(m->rev.issuer, signer->issuer, signer->issuer_len) != 0)
			return refuse(c, m, PKIX_CMP_FI_NOT_AUTHORIZED, "rr must be signed by the "
			    "certificate it revokes (RFC 9483 §4.2)", out, log, e);
		break;
	}
	if ((rc = new_tx(c, m, signer, txid, device, m->body == PKIX_CMP_RR ? "cmp-rr" : c->profile,
	    &tx, &why)) != PC_OK)
		return refuse(c, m, PKIX_CMP_FI_SYSTEM_FAILURE, why.msg, out, log, e);
	pc_text_quote(log->msg, sizeof log->msg, device, strlen(device));
	pc_der_init(&d);
	if (m->body == PKIX_CMP_RR) {
		/* answered at once (the CA is offline; `waiting` in an rp is an
		 * error to OpenSSL): accepted means queued for the CA, which
		 * revokes when it imports the next request bundle */
		snprintf(log->outcome, sizeof log->outcome, "queued");
		snprintf(log->reply, sizeof log->reply, "rp");
		pkix_cmp_body_rp(&d, PKIX_CMP_ACCEPTED, PKIX_CMP_FI_NONE, "revocation queued for the "
		    "CA; it takes effect with the next CRL");
	} else {
		char nb[16];
		snprintf(log->outcome, sizeof log->outcome, "waiting");
		snprintf(log->reply, sizeof log->reply, "%s",
		    pkix_cmp_body_name(rep_body(m->body), nb, sizeof nb));
		pkix_cmp_body_certrep(&d, rep_body(m->body), tx.cert_req_id, PKIX_CMP_WAITING,
		    PKIX_CMP_FI_NONE, "queued for the offline CA", NULL, 0);
	}
	rc = reply(c, m, &d, out, e);
	pc_der_free(&d);
	return rc;
}

/* pollReq, certConf, error: an open transaction of the same signer. */
PC_CHECK static pc_rc handle_open(st_cmp_ctx *c, const pkix_cmp_msg *m, const pkix_cert *signer,
    const char *txid, pc_buf *out, st_cmp_log *log, pc_err *e)
{
	st_tx t;
	pc_err why = { PC_OK, "" };
	uint8_t fp[32];
	char fph[65], nb[16];
	time_t now = now_of(c);
	bool grant = false;
	pc_der d;
	pc_rc rc;

	rc = st_tx_load(c->dir, txid, &t, &why);
	if (rc == PC_E_NOTFOUND)
		return refuse(c, m, PKIX_CMP_FI_BAD_REQUEST, "no such transaction", out, log, e);
	if (rc != PC_OK)
		return refuse(c, m, PKIX_CMP_FI_SYSTEM_FAILURE, why.msg, out, log, e);
	crypto_hash_sha256(fp, signer->der, signer->len);
	pc_hex_str(fph, sizeof fph, fp, sizeof fp, 0);
	if (strcmp(fph, t.signer) != 0)
		return refuse(c, m, PKIX_CMP_FI_NOT_AUTHORIZED, "the transaction was opened by another "
		    "certificate", out, log, e);
	pc_der_init(&d);
	snprintf(log->reply, sizeof log->reply, "%s", pkix_cmp_body_name(rep_body(t.body), nb, sizeof nb));
	if (m->body == PKIX_CMP_ERROR) {
		/* RFC 9483 §3.6.4: the device gave up; pkiConf ends it */
		t.state = ST_TX_CLOSED;
		snprintf(t.reason, sizeof t.reason, "device sent an error: %.300s", m->text);
		snprintf(log->outcome, sizeof log->outcome, "closed");
		snprintf(log->reply, sizeof log->reply, "pkiconf");
		pkix_cmp_body_pkiconf(&d);
	} else if (m->body == PKIX_CMP_CERTCONF) {
		if (t.state != ST_TX_DELIVERED) {
			pc_der_free(&d);
			return refuse(c, m, PKIX_CMP_FI_BAD_REQUEST, "certConf without a delivered "
			    "certificate", out, log, e);
		}
		t.state = ST_TX_CONFIRMED;
		if (m->conf_rejected) {
			/* the device refused the certificate: its signed certConf
			 * goes to the CA in the next request bundle, which revokes
			 * it (docs/cmp.md); on disk before the pkiConf leaves */
			t.state = ST_TX_CERT_REJECTED;
			snprintf(t.reason, sizeof t.reason, "device rejected the certificate: %.300s", m->text);
			if ((rc = st_tx_file_write(c->dir, txid, "conf", m->der, m->len, &why)) != PC_OK) {
				pc_der_free(&d);
				return refuse(c, m, PKIX_CMP_FI_SYSTEM_FAILURE, why.msg, out, log, e);
			}
			pc_text_quote(log->msg, sizeof log->msg, t.reason, strlen(t.reason));
		}
		snprintf(log->outcome, sizeof log->outcome, m->conf_rejected ? "cert-rejected" : "confirmed");
		snprintf(log->reply, sizeof log->reply, "pkiconf");
		pkix_cmp_body_pkiconf(&d);
	} else if (t.state == ST_TX_ANSWERED || t.state == ST_TX_DELIVERED) {
		uint8_t *cert;
		size_t clen;
		if ((rc = st_tx_file_read(c->dir, txid, "crt", ST_CERT_FILE_MAX, &cert, &clen, &why)) != PC_OK) {
			pc_der_free(&d);
			return refuse(c, m, PKIX_CMP_FI_SYSTEM_FAILURE, why.msg, out, log, e);
		}
		pkix_cmp_body_certrep(&d, rep_body(t.body), t.cert_req_id, PKIX_CMP_ACCEPTED,
		    PKIX_CMP_FI_NONE, NULL, cert, clen);
		free(cert);
		/* implicitConfirm: asked in the request (a pollReq does not repeat
		 * it); granted, so no certConf follows (RFC 4210 §5.1.1.1) */
		grant = t.implicit_confirm || m->implicit_confirm;
		t.state = grant ? ST_TX_CONFIRMED : ST_TX_DELIVERED;
		snprintf(log->outcome, sizeof log->outcome, "delivered");
		snprintf(log->msg, sizeof log->msg, "certificate %s", t.serial);
	} else if (t.state == ST_TX_REJECTED) {
		pkix_cmp_body_certrep(&d, rep_body(t.body), t.cert_req_id, PKIX_CMP_REJECTION,
		    PKIX_CMP_FI_BAD_REQUEST, t.reason, NULL, 0);
		t.state = ST_TX_CLOSED;
		snprintf(log->outcome, sizeof log->outcome, "rejected");
		pc_text_quote(log->msg, sizeof log->msg, t.reason, strlen(t.reason));
	} else if ((t.state == ST_TX_QUEUED || t.state == ST_TX_SENT) &&
	    (uint64_t)now > t.created + c->expire) {
		snprintf(t.reason, sizeof t.reason, "expired: no answer from the CA within %llu hours",
		    (unsigned long long)(c->expire / 3600));
		pkix_cmp_body_certrep(&d, rep_body(t.body), t.cert_req_id, PKIX_CMP_REJECTION,
		    PKIX_CMP_FI_SYSTEM_UNAVAIL, t.reason, NULL, 0);
		t.state = ST_TX_EXPIRED;
		snprintf(log->outcome, sizeof log->outcome, "expired");
	} else if (t.state == ST_TX_QUEUED || t.state == ST_TX_SENT) {
		pkix_cmp_body_pollrep(&d, t.cert_req_id, (long)c->check_after,
		    t.state == ST_TX_QUEUED ? "waiting for the next request bundle" :
		    "waiting for the CA's response bundle");
		snprintf(log->outcome, sizeof log->outcome, "waiting");
		snprintf(log->reply, sizeof log->reply, "pollRep");
		rc = reply(c, m, &d, out, e);
		pc_der_free(&d);
		return rc;             /* nothing changed: no write */
	} else {
		pc_der_free(&d);
		return refuse(c, m, PKIX_CMP_FI_BAD_REQUEST, "the transaction is closed", out, log, e);
	}
	t.updated = (uint64_t)now;
	if ((rc = st_tx_save(c->dir, &t, &why)) != PC_OK) {
		pc_der_free(&d);
		return refuse(c, m, PKIX_CMP_FI_SYSTEM_FAILURE, why.msg, out, log, e);
	}
	rc = reply_ic(c, m, grant, &d, out, e);
	pc_der_free(&d);
	return rc;
}

pc_rc st_cmp_handle(st_cmp_ctx *c, const uint8_t *req, size_t len, pc_buf *out, st_cmp_log *log,
    pc_err *e)
{
	pkix_cmp_msg m;
	pkix_cmp_fail f;
	pkix_cert signer;
	pc_err why = { PC_OK, "" };
	char txid[2 * ST_TXID_MAX + 1];
	const pkix_cert *ra = &c->ra_certs.v[0].pc;

	memset(log, 0, sizeof *log);
	snprintf(log->body, sizeof log->body, "-");
	snprintf(log->txid, sizeof log->txid, "-");
	snprintf(log->fail, sizeof log->fail, "none");
	if (pkix_cmp_parse(req, len, "request", &m, &f, &why) != PC_OK) {
		if (m.body >= 0)
			(void)pkix_cmp_body_name(m.body, log->body, sizeof log->body);
		return refuse(c, &m, f, why.msg, out, log, e);
	}
	{
		char nb[16];
		snprintf(log->body, sizeof log->body, "%s", pkix_cmp_body_name(m.body, nb, sizeof nb));
	}
	if (m.txid == NULL)
		return refuse(c, &m, PKIX_CMP_FI_BAD_REQUEST, "no transactionID", out, log, e);
	if (m.txid_len > ST_TXID_MAX)
		return refuse(c, &m, PKIX_CMP_FI_BAD_DATA_FORMAT, "transactionID longer than 32 bytes",
		    out, log, e);
	pc_hex_str(txid, sizeof txid, m.txid, m.txid_len, 0);
	snprintf(log->txid, sizeof log->txid, "%s", txid);
	/* recipient: the RA, its CA, or the NULL-DN (RFC 9483 §3.1) */
	if (m.recipient_tag != (DER_CTX_CONS | 4) ||
	    (m.recipient_name_len > 2 &&
	    !(m.recipient_name_len == ra->subject_len &&
	    memcmp(m.recipient_name, ra->subject, ra->subject_len) == 0) &&
	    !(m.recipient_name_len == ra->issuer_len &&
	    memcmp(m.recipient_name, ra->issuer, ra->issuer_len) == 0)))
		return refuse(c, &m, PKIX_CMP_FI_WRONG_AUTHORITY, "recipient is neither this station's "
		    "RA nor its CA", out, log, e);
	if (m.body == PKIX_CMP_GENM || m.body == PKIX_CMP_PKICONF)
		return refuse(c, &m, PKIX_CMP_FI_BAD_REQUEST, "genm and pkiConf requests are not "
		    "supported here", out, log, e);
	if (pkix_cmp_verify(&m, "request", &signer, &f, &why) != PC_OK)
		return refuse(c, &m, f, why.msg, out, log, e);
	switch (m.body) {
	case PKIX_CMP_IR: case PKIX_CMP_CR: case PKIX_CMP_P10CR: case PKIX_CMP_KUR: case PKIX_CMP_RR:
		return handle_new(c, &m, &signer, txid, out, log, e);
	default:
		return handle_open(c, &m, &signer, txid, out, log, e);
	}
}

/* ---------------------------------------------------------- open, close */

pc_rc st_cmp_open(st_cmp_ctx *c, const char *dir, const pc_secret *pass, pc_err *e)
{
	char path[PATH_MAX];
	st_conf conf;
	uint8_t *p = NULL;
	size_t n;
	pkix_pubkey k;
	pc_rc rc;

	memset(c, 0, sizeof *c);
	c->dir = dir;
	c->ra_certs.what = "ra.pem";
	PC_TRY_OUT(st_conf_load(dir, &conf, e));
	snprintf(c->segment, sizeof c->segment, "%s", conf.segment);
	PC_TRY_OUT(st_path_join(path, dir, "ra.pem", e));
	if (access(path, F_OK) != 0)
		return pc_fail(e, PC_E_STATE, "%s: no RA certificate yet: serve signs every reply with "
		    "it (plantca-station ra-key, request --profile cmp-ra, then accept the response)",
		    path);
	PC_TRY_OUT(pc_file_read(path, ST_TRUST_MAX, &p, &n, e));
	rc = st_certs_add_pem(&c->ra_certs, p, n, e);
	free(p);
	p = NULL;
	if (rc == PC_OK && c->ra_certs.n == 0)
		rc = pc_fail(e, PC_E_INPUT, "%s: no certificate", path);
	if (rc != PC_OK)
		goto out;
	PC_TRY_OUT(st_path_join(path, dir, "ra.key", e));
	if ((rc = pc_file_read(path, ST_KEYFILE_MAX, &p, &n, e)) != PC_OK)
		goto out;
	rc = tr_seckey_open(p, n, path, pass, &c->ra, e);
	sodium_memzero(p, n);
	free(p);
	if (rc != PC_OK)
		goto out;
	/* the certificate must be this key's, and fit what OpenSSL checks */
	rc = pkix_pubkey_parse(c->ra_certs.v[0].pc.spki, c->ra_certs.v[0].pc.spki_len, "ra.pem",
	    PC_E_INPUT, &k, e);
	if (rc == PC_OK && (k.type != PKIX_KEY_ED25519 ||
	    sodium_memcmp(k.key, c->ra.sk + 32, 32) != 0))
		rc = pc_fail(e, PC_E_STATE, "ra.pem: its key is not ra.key's");
	if (rc == PC_OK && !pkix_cert_has_eku(&c->ra_certs.v[0].pc, PKIX_OID_KP_CMC_RA))
		rc = pc_fail(e, PC_E_STATE, "ra.pem: not a CMP RA certificate (no id-kp-cmcRA)");
	if (rc == PC_OK && (c->ra_certs.v[0].pc.flags & PKIX_CERT_F_KU) &&
	    !(c->ra_certs.v[0].pc.ku & PKIX_KU_DIGITAL_SIGNATURE))
		rc = pc_fail(e, PC_E_STATE, "ra.pem: keyUsage lacks digitalSignature");
	if (rc == PC_OK && c->ra_certs.v[0].pc.not_after < time(NULL))
		rc = pc_fail(e, PC_E_EXPIRED, "ra.pem: the RA certificate has expired (ask for a new "
		    "one: ra-key, request --profile cmp-ra)");
	if (rc == PC_OK)
		return PC_OK;
out:
	st_cmp_close(c);
	return rc;
}

void st_cmp_close(st_cmp_ctx *c)
{
	tr_seckey_free(&c->ra);
	st_certs_free(&c->ra_certs);
}
