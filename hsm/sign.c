/*
 * sign.c - signing in the token, and checking every signature in software.
 *
 * ECDSA and RSA: hsm_sign() calls wolfSSL with a key bound to our crypto
 * callback device; wolfSSL calls hsm_cryptocb(), which signs in the token
 * with the one session the hsm keeps.  This is the path wolfSSL's own
 * certificate and CMS code takes, so it is exercised here.
 * Ed25519: our own C_Sign(CKM_EDDSA), never a wolfSSL ed25519_key with a
 * device id (wolfSSL 5.5.4 would sign with an all-zero key, see the notes).
 */
#include "fault.h"
#include "hsm_int.h"

#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>

#include "der.h"

enum {
	HASH_MAX = PKIX_HASH_MAX,
	DIGESTINFO_MAX = 19 + WC_SHA256_DIGEST_SIZE,   /* RFC 8017 §9.2 note 1 */
	PKCS1_MIN_PAD = 8,                             /* RFC 8017 §9.2 step 3 */
};

/* ---- the crypto callback ---- */

/* The hsm_key behind a wolfSSL key of our device, found by CKA_ID (wolfSSL
 * 5.5.4 keys have no user pointer; the id is what wolfSSL itself uses). */
static hsm_key *cb_key(hsm *h, const uint8_t *id, int id_len, bool ec)
{
	hsm_key *k;

	if (id_len <= 0)
		return NULL;
	for (k = h->keys; k != NULL; k = k->next) {
		if (hsm_alg_is_ec(k->alg) == ec && hsm_alg_is_rsa(k->alg) == !ec &&
		    k->id_len == (size_t)id_len && memcmp(k->id, id, k->id_len) == 0)
			return k;
	}
	return NULL;
}

static int cb_sign(hsm_key *k, CK_MECHANISM_TYPE m, const uint8_t *in, size_t inlen,
    uint8_t *out, CK_ULONG *outlen)
{
	hsm *h = k->h;
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_RV rv;

	rv = h->f->C_SignInit(h->session, &mech, k->priv);
	if (rv != CKR_OK) {
		k->cb_rv = rv;
		k->cb_fn = "C_SignInit";
		return WC_HW_E;
	}
	rv = h->f->C_Sign(h->session, (CK_BYTE_PTR)in, (CK_ULONG)inlen, out, outlen);
	if (rv != CKR_OK) {
		k->cb_rv = rv;
		k->cb_fn = "C_Sign";
		return WC_HW_E;
	}
	return 0;
}

/* ECDSA: wolfSSL hands us the hash; the token returns r||s (PKCS#11 2.40
 * §2.3.1), wolfSSL wants DER Ecdsa-Sig-Value. */
static int cb_ecdsa(hsm *h, wc_CryptoInfo *info)
{
	ecc_key *ek = info->pk.eccsign.key;
	uint8_t raw[2 * HSM_EC_MAX_FIELD];
	CK_ULONG rawlen = sizeof raw;
	hsm_key *k;
	size_t fl;
	int ret;

	k = ek != NULL ? cb_key(h, ek->id, ek->idLen, true) : NULL;
	if (k == NULL)
		return WC_HW_E;
	fl = k->sig_len / 2;
	ret = cb_sign(k, CKM_ECDSA, info->pk.eccsign.in, info->pk.eccsign.inlen, raw, &rawlen);
	if (ret != 0)
		return ret;
	if (rawlen != k->sig_len) {
		k->cb_rv = CKR_OK;
		k->cb_fn = "C_Sign (wrong signature length)";
		return WC_HW_E;
	}
	return wc_ecc_rs_raw_to_sig(raw, (word32)fl, raw + fl, (word32)fl,
	    info->pk.eccsign.out, info->pk.eccsign.outlen);
}

/* RSA: wolfSSL 5.5.4 (no WOLF_CRYPTO_CB_RSA_PAD) hands us the block it has
 * already padded, EM = 00 01 FF..FF 00 DigestInfo (RFC 8017 §9.2), for a
 * raw private-key operation.  Production HSMs forbid raw CKM_RSA_X_509,
 * so we take the padding off again, check it, and let the token pad with
 * CKM_RSA_PKCS over the same DigestInfo: the signature is identical,
 * PKCS#1 v1.5 signing being deterministic. */
static int cb_rsa(hsm *h, wc_CryptoInfo *info)
{
	RsaKey *rk = info->pk.rsa.key;
	const uint8_t *em = info->pk.rsa.in;
	size_t emlen = info->pk.rsa.inLen, i;
	uint8_t di[DIGESTINFO_MAX];
	size_t dilen;
	CK_ULONG outlen;
	hsm_key *k;
	int ret;

	k = rk != NULL ? cb_key(h, rk->id, rk->idLen, false) : NULL;
	if (k == NULL)
		return WC_HW_E;
	if (emlen != k->sig_len || *info->pk.rsa.outLen < k->sig_len ||
	    em[0] != 0x00 || em[1] != 0x01)
		return RSA_PAD_E;
	for (i = 2; i < emlen && em[i] == 0xff; i++)
		;
	if (i - 2 < PKCS1_MIN_PAD || i >= emlen || em[i] != 0x00)
		return RSA_PAD_E;
	i++;
	dilen = emlen - i;
	if (dilen == 0 || dilen > sizeof di)
		return RSA_PAD_E;
	/* in and out may be the same buffer */
	memcpy(di, em + i, dilen);
	outlen = *info->pk.rsa.outLen;
	ret = cb_sign(k, CKM_RSA_PKCS, di, dilen, info->pk.rsa.out, &outlen);
	if (ret != 0)
		return ret;
	if (outlen != k->sig_len) {
		k->cb_rv = CKR_OK;
		k->cb_fn = "C_Sign (wrong signature length)";
		return WC_HW_E;
	}
	*info->pk.rsa.outLen = (word32)outlen;
	return 0;
}

int hsm_cryptocb(int devId, wc_CryptoInfo *info, void *ctx)
{
	hsm *h = ctx;

	if (h == NULL || devId != h->devid || info->algo_type != WC_ALGO_TYPE_PK)
		return CRYPTOCB_UNAVAILABLE;
	/* For the signing operations, an unknown key is an error and never
	 * CRYPTOCB_UNAVAILABLE: wolfSSL would fall back to software with a
	 * key that has no private part. */
	if (info->pk.type == WC_PK_TYPE_ECDSA_SIGN)
		return cb_ecdsa(h, info);
	if (info->pk.type == WC_PK_TYPE_RSA && info->pk.rsa.type == RSA_PRIVATE_ENCRYPT)
		return cb_rsa(h, info);
	return CRYPTOCB_UNAVAILABLE;
}

/* ---- hsm_sign ---- */

PC_CHECK static pc_rc sign_fail(hsm_key *k, int ret, const char *wfn, pc_err *e)
{
	if (k->cb_fn != NULL && k->cb_rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_FAIL, k->cb_rv, k->cb_fn, "%s: signing", k->what);
	if (k->cb_fn != NULL)
		return pc_fail(e, PC_E_HSM_FAIL, "%s: signing: %s", k->what, k->cb_fn);
	return pc_fail(e, PC_E_HSM_FAIL, "%s: signing: %s failed: %s (%d)", k->what, wfn,
	    wc_GetErrorString(ret), ret);
}

/* The token's part of a signature: out[0..*outlen) not yet checked. */
PC_CHECK static pc_rc sign_raw_token(hsm_key *k, const uint8_t *msg, size_t len,
    uint8_t out[HSM_SIG_MAX], size_t *outlen, pc_err *e);

/* every token signature passes the fault point hsm.sign (common/fault.h) */
PC_CHECK static pc_rc sign_raw(hsm_key *k, const uint8_t *msg, size_t len, uint8_t out[HSM_SIG_MAX],
    size_t *outlen, pc_err *e)
{
	PC_TRY(PC_FAULT("hsm.sign", "the token", e));
	return sign_raw_token(k, msg, len, out, outlen, e);
}

PC_CHECK static pc_rc sign_raw_token(hsm_key *k, const uint8_t *msg, size_t len, uint8_t out[HSM_SIG_MAX],
    size_t *outlenp, pc_err *e)
{
	hsm *h = k->h;
	uint8_t hash[HASH_MAX], di[DIGESTINFO_MAX];
	size_t hlen = 0, outlen = 0;
	CK_ULONG ckl;
	word32 wl;
	int ret;

	if (h == NULL)
		return pc_fail(e, PC_E_STATE, "%s: its hsm was closed", k->what);
	if (msg == NULL && len > 0)
		return pc_fail(e, PC_E_USAGE, "%s: no message to sign", k->what);
	k->cb_rv = CKR_OK;
	k->cb_fn = NULL;
	switch (k->alg) {
	case HSM_EC_P256:
	case HSM_EC_P384:
		/* the hash of the algorithm the table names for this key */
		hlen = pkix_hash_len(k->sigalg->hash);
		PC_TRY(pkix_hash_once(k->sigalg->hash, msg != NULL ? msg : (const uint8_t *)"", len,
		    hash, e));
		wl = (size_t)HSM_SIG_MAX;
		ret = wc_ecc_sign_hash(hash, (word32)hlen, out, &wl, &h->rng, &k->w.ecc);
		if (ret != 0)
			return sign_fail(k, ret, "wc_ecc_sign_hash", e);
		outlen = wl;
		break;
	case HSM_RSA_3072:
	case HSM_RSA_4096:
		PC_TRY(pkix_hash_once(PKIX_SHA256, msg != NULL ? msg : (const uint8_t *)"", len, hash,
		    e));
		wl = wc_EncodeSignature(di, hash, WC_SHA256_DIGEST_SIZE, wc_HashGetOID(WC_HASH_TYPE_SHA256));
		if (wl == 0 || wl > sizeof di)
			return pc_fail(e, PC_E_CRYPTO, "%s: cannot encode DigestInfo", k->what);
		ret = wc_RsaSSL_Sign(di, wl, out, (size_t)HSM_SIG_MAX, &k->w.rsa, &h->rng);
		if (ret < 0)
			return sign_fail(k, ret, "wc_RsaSSL_Sign", e);
		outlen = (size_t)ret;
		break;
	case HSM_ED25519:
		ckl = (size_t)HSM_SIG_MAX;
		if (cb_sign(k, CKM_EDDSA, msg != NULL ? msg : (const uint8_t *)"", len, out, &ckl) != 0)
			return sign_fail(k, 0, "C_Sign", e);
		if (ckl != 64)
			return pc_fail(e, PC_E_HSM_FAIL, "%s: the token returned a %lu-byte Ed25519 signature",
			    k->what, (unsigned long)ckl);
		outlen = ckl;
		break;
	}
	*outlenp = outlen;
	return PC_OK;
}

/* Trust nothing the token says until software agrees. */
PC_CHECK static pc_rc check_sig(const hsm_key *k, const uint8_t *msg, size_t len, const uint8_t *sig,
    size_t siglen, pc_err *e)
{
	pc_err ve;
	pc_rc rc = k->verifier == NULL ? pc_fail(&ve, PC_E_INTERNAL, "no verifier") :
	    pkix_verifier_verify(k->verifier, k->sigalg, msg, len, sig, siglen, "signature", &ve);

	if (rc == PC_E_SIGNATURE)
		return pc_fail(e, PC_E_HSM_BADSIG,
		    "%s: the token returned a signature that does not verify (%s); nothing was signed",
		    k->what, ve.msg);
	if (rc != PC_OK)
		return pc_fail(e, rc, "%s: checking the signature: %s", k->what, ve.msg);
	return PC_OK;
}

pc_rc hsm_sign(hsm_key *k, const uint8_t *msg, size_t len, pc_buf *sig, pc_err *e)
{
	uint8_t out[HSM_SIG_MAX];
	size_t outlen = 0;

	PC_TRY(sign_raw(k, msg, len, out, &outlen, e));
	PC_TRY(check_sig(k, msg, len, out, outlen, e));
	pc_buf_append(sig, out, outlen);
	if (!pc_buf_ok(sig))
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", k->what);
	return PC_OK;
}

/* hsm_sign_many: the token signs on this thread (one session); a checker
 * thread verifies signature i in software while the token makes i+1.  The
 * hand-over is a counter under a mutex: signatures [0, produced) are
 * final and read-only for the checker. */
struct checker {
	const hsm_key *k;
	const uint8_t *const *msgs;
	const size_t *lens;
	pc_buf *sigs;
	size_t n, produced;
	bool finished;          /* producer is done (all signed, or failed) */
	atomic_bool failed;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pc_rc rc;
	pc_err err;
};

static void *checker_run(void *arg)
{
	struct checker *c = arg;
	size_t i, avail = 0;

	for (i = 0; i < c->n; i++) {
		if (i >= avail) {
			pthread_mutex_lock(&c->mu);
			while (c->produced <= i && !c->finished)
				pthread_cond_wait(&c->cv, &c->mu);
			avail = c->produced;
			pthread_mutex_unlock(&c->mu);
			if (i >= avail)
				break;          /* producer stopped early */
		}
		c->rc = check_sig(c->k, c->msgs[i], c->lens[i], c->sigs[i].p, c->sigs[i].len, &c->err);
		if (c->rc != PC_OK) {
			atomic_store(&c->failed, true);
			break;
		}
	}
	return NULL;
}

pc_rc hsm_sign_many(hsm_key *k, const uint8_t *const *msgs, const size_t *lens, size_t n,
    pc_buf *sigs, pc_err *e)
{
	struct checker c;
	pthread_t tid;
	bool threaded;
	size_t i;
	pc_rc rc = PC_OK;

	memset(&c, 0, sizeof c);
	c.k = k;
	c.msgs = msgs;
	c.lens = lens;
	c.sigs = sigs;
	c.n = n;
	atomic_init(&c.failed, false);
	if (n < 2)
		goto serial;
	if (pthread_mutex_init(&c.mu, NULL) != 0)
		goto serial;
	if (pthread_cond_init(&c.cv, NULL) != 0) {
		pthread_mutex_destroy(&c.mu);
		goto serial;
	}
	threaded = pthread_create(&tid, NULL, checker_run, &c) == 0;
	if (!threaded) {
		pthread_cond_destroy(&c.cv);
		pthread_mutex_destroy(&c.mu);
		goto serial;
	}
	for (i = 0; i < n && rc == PC_OK && !atomic_load(&c.failed); i++) {
		uint8_t out[HSM_SIG_MAX];
		size_t outlen = 0;
		rc = sign_raw(k, msgs[i], lens[i], out, &outlen, e);
		if (rc != PC_OK)
			break;
		sigs[i].len = 0;
		pc_buf_append(&sigs[i], out, outlen);
		if (!pc_buf_ok(&sigs[i])) {
			rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", k->what);
			break;
		}
		pthread_mutex_lock(&c.mu);
		c.produced = i + 1;
		pthread_cond_signal(&c.cv);
		pthread_mutex_unlock(&c.mu);
	}
	pthread_mutex_lock(&c.mu);
	c.finished = true;
	pthread_cond_signal(&c.cv);
	pthread_mutex_unlock(&c.mu);
	pthread_join(tid, NULL);
	pthread_cond_destroy(&c.cv);
	pthread_mutex_destroy(&c.mu);
	if (rc == PC_OK && atomic_load(&c.failed)) {
		*e = c.err;
		rc = c.rc;
	}
	goto out;
serial:
	for (i = 0; i < n && rc == PC_OK; i++) {
		sigs[i].len = 0;
		rc = hsm_sign(k, msgs[i], lens[i], &sigs[i], e);
	}
out:
	if (rc != PC_OK)
		for (i = 0; i < n; i++)
			sigs[i].len = 0;     /* nothing unverified leaves this function */
	return rc;
}

/* ---- verifying in software ---- */

pc_rc hsm_key_verifier(hsm_key *k, pc_err *e)
{
	k->sigalg = pkix_sigalg_for_key(hsm_alg_keytype(k->alg));
	if (k->sigalg == NULL)
		return pc_fail(e, PC_E_INTERNAL, "%s: no signature algorithm", k->what);
	PC_TRY(pkix_pubkey_parse(k->spki, k->spki_len, k->what, PC_E_HSM_KEY, &k->pub_key, e));
	return pkix_verifier_new(&k->pub_key, k->what, &k->verifier, e);
}

pc_rc hsm_verify_spki(const uint8_t *spki, size_t spki_len, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t sig_len, pc_err *e)
{
	pkix_pubkey k;

	if (spki == NULL || sig == NULL || (msg == NULL && len > 0))
		return pc_fail(e, PC_E_USAGE, "verify: missing input");
	PC_TRY(pkix_pubkey_parse(spki, spki_len, "public key", PC_E_INPUT, &k, e));
	return pkix_verify(&k, pkix_sigalg_for_key(k.type), msg, len, sig, sig_len, "signature", e);
}
