/*
 * key.c - key pairs in the token: generate, open by URI, describe.
 *
 * A key pair is two objects sharing a CKA_ID: the private key (which never
 * leaves the token) and the public key, from which we build the DER
 * SubjectPublicKeyInfo.
 */
#include "hsm_int.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/wolfcrypt/error-crypt.h>

#include "der.h"
#include "fault.h"

/* CKA_EC_PARAMS values: DER of the namedCurve OID (RFC 5480 §2.1.1);
 * PKCS#11 3.0 also allows the PrintableString "edwards25519". */
enum { ECPARAMS_MAX = 2 + 16 };   /* OID tag, length, content of our curves */

/* CKA_EC_PARAMS of a named curve: the DER OID from the table. */
static size_t ecparams(pkix_oid curve, uint8_t out[ECPARAMS_MAX])
{
	size_t n;
	const uint8_t *o = pkix_oid_bytes(curve, &n);

	if (n > ECPARAMS_MAX - 2)
		return 0;
	out[0] = DER_OID;
	out[1] = (uint8_t)n;
	memcpy(out + 2, o, n);
	return 2 + n;
}

static bool ecparams_is(const uint8_t *v, size_t l, pkix_oid curve)
{
	uint8_t p[ECPARAMS_MAX];
	size_t n = ecparams(curve, p);

	return n != 0 && l == n && memcmp(v, p, n) == 0;
}

static const uint8_t ecparams_ed25519_name[] = {
	0x13, 0x0c, 'e', 'd', 'w', 'a', 'r', 'd', 's', '2', '5', '5', '1', '9' };

static size_t ec_field_len(hsm_alg alg)
{
	return alg == HSM_EC_P384 ? 48 : 32;
}

/* ---- object access ---- */

/* Read a variable-length attribute into malloc'ed memory (*val may be NULL
 * for an empty value).  Capped at HSM_ATTR_MAX. */
pc_rc hsm_attr_get(hsm *h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
    const char *tname, const char *what, uint8_t **val, size_t *len, pc_err *e)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };
	CK_RV rv;

	*val = NULL;
	*len = 0;
	rv = h->f->C_GetAttributeValue(h->session, o, &a, 1);
	if (rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_KEY, rv, "C_GetAttributeValue",
		    "%s: reading %s", what, tname);
	if (a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > HSM_ATTR_MAX)
		return pc_fail(e, PC_E_HSM_KEY, "%s: %s is unavailable or longer than %d bytes",
		    what, tname, HSM_ATTR_MAX);
	if (a.ulValueLen == 0)
		return PC_OK;
	a.pValue = malloc(a.ulValueLen);
	if (a.pValue == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	rv = h->f->C_GetAttributeValue(h->session, o, &a, 1);
	if (rv != CKR_OK) {
		free(a.pValue);
		return hsm_ck_fail(e, PC_E_HSM_KEY, rv, "C_GetAttributeValue",
		    "%s: reading %s", what, tname);
	}
	*val = a.pValue;
	*len = a.ulValueLen;
	return PC_OK;
}

/* Read a fixed-size attribute (CK_BBOOL, CK_ULONG): the size must match. */
pc_rc hsm_attr_fixed(hsm *h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t,
    const char *tname, const char *what, void *val, size_t len, pc_err *e)
{
	CK_ATTRIBUTE a = { t, val, len };
	CK_RV rv;

	rv = h->f->C_GetAttributeValue(h->session, o, &a, 1);
	if (rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_KEY, rv, "C_GetAttributeValue",
		    "%s: reading %s", what, tname);
	if (a.ulValueLen != len)
		return pc_fail(e, PC_E_HSM_KEY, "%s: %s has %lu bytes, expected %zu",
		    what, tname, (unsigned long)a.ulValueLen, len);
	return PC_OK;
}

/* Up to `max` objects matching the template; their number in *count. */
pc_rc hsm_find_objects(hsm *h, CK_ATTRIBUTE *tmpl, CK_ULONG n,
    CK_OBJECT_HANDLE *found, CK_ULONG max, CK_ULONG *count, const char *what,
    pc_err *e)
{
	CK_RV rv, rv2;

	*count = 0;
	rv = h->f->C_FindObjectsInit(h->session, tmpl, n);
	if (rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_FindObjectsInit", "%s", what);
	rv = h->f->C_FindObjects(h->session, found, max, count);
	rv2 = h->f->C_FindObjectsFinal(h->session);
	if (rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_FindObjects", "%s", what);
	if (rv2 != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_FAIL, rv2, "C_FindObjectsFinal", "%s", what);
	return PC_OK;
}

/* ---- building the descriptions ---- */

PC_CHECK static pc_rc build_uri(hsm_key *k, pc_err *e)
{
	k->uri = hsm_uri_text(k->h, k->id, k->id_len, k->label);
	if (k->uri == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", k->what);
	return PC_OK;
}

static void spki_oid(pc_der *d, pkix_oid id)
{
	size_t ol;
	const uint8_t *o = pkix_oid_bytes(id, &ol);

	pc_der_oid(d, o, ol);
}

/* SubjectPublicKeyInfo, RFC 5280 §4.1.2.7: EC per RFC 5480 §2 (namedCurve),
 * RSA per RFC 3279 §2.3.1 (NULL parameters, RSAPublicKey in the BIT
 * STRING), Ed25519 per RFC 8410 §4 (no parameters). */
PC_CHECK static pc_rc build_spki(hsm_key *k, const uint8_t *a, size_t alen,
    const uint8_t *b, size_t blen, pc_err *e)
{
	static const uint8_t zero = 0;
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_SEQUENCE);
	switch (k->alg) {
	case HSM_EC_P256:
	case HSM_EC_P384:
		spki_oid(&d, PKIX_OID_EC_PUBKEY);
		if (k->alg == HSM_EC_P256)
			spki_oid(&d, PKIX_OID_P256);
		else
			spki_oid(&d, PKIX_OID_P384);
		pc_der_end(&d);
		pc_der_bits(&d, a, alen, 0);
		break;
	case HSM_RSA_3072:
	case HSM_RSA_4096:
		spki_oid(&d, PKIX_OID_RSA);
		pc_der_null(&d);
		pc_der_end(&d);
		pc_der_begin(&d, DER_BIT_STRING);
		pc_der_raw(&d, &zero, 1);          /* no unused bits */
		pc_der_begin(&d, DER_SEQUENCE);    /* RSAPublicKey */
		pc_der_uint(&d, a, alen);          /* modulus */
		pc_der_uint(&d, b, blen);          /* publicExponent */
		pc_der_end(&d);
		pc_der_end(&d);
		break;
	case HSM_ED25519:
		spki_oid(&d, PKIX_OID_ED25519);
		pc_der_end(&d);
		pc_der_bits(&d, a, alen, 0);
		break;
	}
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_NOMEM, "%s: cannot encode the public key", k->what);
	}
	k->spki = pc_buf_steal(&d.b, &k->spki_len);
	return PC_OK;
}

/* CKA_EC_POINT is a DER OCTET STRING holding the point (PKCS#11 2.40
 * §2.3.3), but some modules return the bare point, notably for Ed25519.
 * The two forms have different lengths, so accepting both is unambiguous. */
static bool unwrap_point(const uint8_t *v, size_t len, size_t want, const uint8_t **pt)
{
	pc_reader r = pc_reader_make(v, len), c;

	if (pc_reader_peek(&r) == DER_OCTET_STRING && pc_der_read(&r, DER_OCTET_STRING, &c) &&
	    pc_reader_done(&r) && pc_reader_left(&c) == want) {
		*pt = pc_reader_take(&c, want);
		return true;
	}
	if (v != NULL && len == want) {
		*pt = v;
		return true;
	}
	return false;
}

/* Strip leading zero bytes of an unsigned big-endian number. */
static void be_strip(const uint8_t **p, size_t *n)
{
	while (*n > 0 && (*p)[0] == 0) {
		(*p)++;
		(*n)--;
	}
}

static unsigned be_bits(const uint8_t *p, size_t n)
{
	unsigned bits;
	uint8_t top;

	if (n == 0)
		return 0;
	bits = (unsigned)(n - 1) * 8;
	for (top = p[0]; top != 0; top >>= 1)
		bits++;
	return bits;
}

/* Public part from the public key object: SPKI, wolfSSL key, sig length. */
PC_CHECK static pc_rc load_public(hsm_key *k, pc_err *e)
{
	hsm *h = k->h;
	uint8_t *v1 = NULL, *v2 = NULL;
	size_t l1 = 0, l2 = 0, want;
	const uint8_t *pt, *n, *x;
	pc_rc rc = PC_OK;
	unsigned bits;
	int ret;

	switch (k->alg) {
	case HSM_EC_P256:
	case HSM_EC_P384:
	case HSM_ED25519:
		rc = hsm_attr_get(h, k->pub, CKA_EC_POINT, "CKA_EC_POINT", k->what, &v1, &l1, e);
		if (rc != PC_OK)
			break;
		want = k->alg == HSM_ED25519 ? 32 : 1 + 2 * ec_field_len(k->alg);
		if (!unwrap_point(v1, l1, want, &pt) || (k->alg != HSM_ED25519 && pt[0] != 0x04)) {
			rc = pc_fail(e, PC_E_HSM_KEY, "%s: CKA_EC_POINT is not a %zu-byte %s public key",
			    k->what, want, k->alg == HSM_ED25519 ? "Ed25519" : "uncompressed EC");
			break;
		}
		rc = build_spki(k, pt, want, NULL, 0, e);
		if (rc != PC_OK)
			break;
		if (k->alg == HSM_ED25519) {
			k->sig_len = 64;
			break;
		}
		k->sig_len = 2 * ec_field_len(k->alg);
		/* Bound to our device by CKA_ID, which is how the crypto
		 * callback finds this key; wolfSSL wants the public point too. */
		ret = wc_ecc_init_id(&k->w.ecc, k->id, (int)k->id_len, NULL, h->devid);
		if (ret != 0) {
			rc = pc_fail(e, PC_E_CRYPTO, "%s: wc_ecc_init_id failed: %s (%d)",
			    k->what, wc_GetErrorString(ret), ret);
			break;
		}
		k->w_init = true;
		ret = wc_ecc_import_x963_ex(pt, (word32)want, &k->w.ecc,
		    k->alg == HSM_EC_P256 ? ECC_SECP256R1 : ECC_SECP384R1);
		if (ret != 0)
			rc = pc_fail(e, PC_E_HSM_KEY, "%s: wolfSSL rejects the public point: %s (%d)",
			    k->what, wc_GetErrorString(ret), ret);
		break;
	case HSM_RSA_3072:
	case HSM_RSA_4096:
		rc = hsm_attr_get(h, k->pub, CKA_MODULUS, "CKA_MODULUS", k->what, &v1, &l1, e);
		if (rc == PC_OK)
			rc = hsm_attr_get(h, k->pub, CKA_PUBLIC_EXPONENT, "CKA_PUBLIC_EXPONENT",
			    k->what, &v2, &l2, e);
		if (rc != PC_OK)
			break;
		n = v1;
		x = v2;
		be_strip(&n, &l1);
		be_strip(&x, &l2);
		bits = be_bits(n, l1);
		if (bits != (k->alg == HSM_RSA_3072 ? 3072u : 4096u)) {
			rc = pc_fail(e, PC_E_HSM_KEY, "%s: the modulus has %u bits, not %s",
			    k->what, bits, hsm_alg_name(k->alg));
			break;
		}
		/* e: odd, at least 3, at most 64 bits (RFC 8017 §3.1) */
		if (l2 == 0 || l2 > 8 || (x[l2 - 1] & 1) == 0 || (l2 == 1 && x[0] < 3)) {
			rc = pc_fail(e, PC_E_HSM_KEY, "%s: unusable public exponent", k->what);
			break;
		}
		rc = build_spki(k, n, l1, x, l2, e);
		if (rc != PC_OK)
			break;
		k->sig_len = l1;
		ret = wc_InitRsaKey_Id(&k->w.rsa, k->id, (int)k->id_len, NULL, h->devid);
		if (ret != 0) {
			rc = pc_fail(e, PC_E_CRYPTO, "%s: wc_InitRsaKey_Id failed: %s (%d)",
			    k->what, wc_GetErrorString(ret), ret);
			break;
		}
		k->w_init = true;
		ret = wc_RsaPublicKeyDecodeRaw(n, (word32)l1, x, (word32)l2, &k->w.rsa);
		if (ret != 0)
			rc = pc_fail(e, PC_E_HSM_KEY, "%s: wolfSSL rejects the public key: %s (%d)",
			    k->what, wc_GetErrorString(ret), ret);
		break;
	}
	free(v1);
	free(v2);
	if (rc == PC_OK && hsm_alg_sigalg(k->alg, &(size_t){ 0 }) == NULL)
		rc = pc_fail(e, PC_E_INTERNAL, "%s: no signature algorithm for %s", k->what,
		    hsm_alg_name(k->alg));
	if (rc == PC_OK)
		rc = hsm_key_verifier(k, e);
	if (rc == PC_OK)
		rc = build_uri(k, e);
	return rc;
}

/* The private key must be able to sign; a key we just generated must also
 * be what we asked for (a token may ignore template attributes). */
PC_CHECK static pc_rc check_private(hsm_key *k, bool fresh, pc_err *e)
{
	CK_BBOOL sign = CK_FALSE, sens = CK_FALSE, extr = CK_TRUE;

	PC_TRY(hsm_attr_fixed(k->h, k->priv, CKA_SIGN, "CKA_SIGN", k->what, &sign, sizeof sign, e));
	if (!sign)
		return pc_fail(e, PC_E_HSM_KEY, "%s: the private key may not sign (CKA_SIGN is false)",
		    k->what);
	if (!fresh)
		return PC_OK;
	PC_TRY(hsm_attr_fixed(k->h, k->priv, CKA_SENSITIVE, "CKA_SENSITIVE", k->what,
	    &sens, sizeof sens, e));
	PC_TRY(hsm_attr_fixed(k->h, k->priv, CKA_EXTRACTABLE, "CKA_EXTRACTABLE", k->what,
	    &extr, sizeof extr, e));
	if (!sens || extr)
		return pc_fail(e, PC_E_HSM_KEY,
		    "%s: the token made the private key %s despite the template",
		    k->what, !sens ? "non-sensitive" : "extractable");
	return PC_OK;
}

static hsm_key *key_new(hsm *h, hsm_alg alg, const uint8_t *id, size_t id_len,
    const char *label)
{
	hsm_key *k;

	if (id_len > HSM_ID_MAX)
		return NULL;
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return NULL;
	k->label = strdup(label);
	if (k->label == NULL) {
		free(k);
		return NULL;
	}
	k->h = h;
	k->alg = alg;
	memcpy(k->id, id, id_len);
	k->id_len = id_len;
	k->priv = CK_INVALID_HANDLE;
	k->pub = CK_INVALID_HANDLE;
	snprintf(k->what, sizeof k->what, "key \"%.*s\" on token \"%s\"",
	    HSM_WHAT_MAX / 2, label, h->label);
	k->next = h->keys;
	h->keys = k;
	return k;
}

void hsm_key_free(hsm_key *k)
{
	hsm_key **pp;

	if (k == NULL)
		return;
	/* k->h is NULL if the hsm was closed first (see hsm_close). */
	for (pp = k->h != NULL ? &k->h->keys : NULL; pp != NULL && *pp != NULL;
	    pp = &(*pp)->next) {
		if (*pp == k) {
			*pp = k->next;
			break;
		}
	}
	if (k->w_init) {
		if (hsm_alg_is_ec(k->alg))
			(void)wc_ecc_free(&k->w.ecc);
		else if (hsm_alg_is_rsa(k->alg))
			(void)wc_FreeRsaKey(&k->w.rsa);
	}
	pkix_verifier_free(k->verifier);
	free(k->label);
	free(k->uri);
	free(k->spki);
	free(k);
}

/* ---- generate ---- */

pc_rc hsm_key_label_check(const char *label, const char *what, pc_err *e)
{
	size_t i, n;

	if (label == NULL || label[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "%s is empty", what);
	n = strlen(label);
	if (n > HSM_LABEL_MAX)
		return pc_fail(e, PC_E_USAGE, "%s is longer than %d bytes", what,
		    HSM_LABEL_MAX);
	for (i = 0; i < n; i++) {
		uint8_t c = (uint8_t)label[i];
		if (c < 0x20 || c == 0x7f)
			return pc_fail(e, PC_E_USAGE, "%s has a control character at byte %zu",
			    what, i);
	}
	return PC_OK;
}

pc_rc hsm_key_generate(hsm *h, hsm_alg alg, const char *label, hsm_key **out,
    pc_err *e)
{
	static CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	static CK_BYTE f4[] = { 0x01, 0x00, 0x01 };   /* 65537 */
	CK_MECHANISM mech = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = CK_INVALID_HANDLE, priv = CK_INVALID_HANDLE, seen;
	CK_ULONG bits = 0, npub, npriv, count;
	uint8_t id[HSM_ID_LEN];
	char what[HSM_WHAT_MAX];
	hsm_key *k;
	CK_RV rv;
	pc_rc rc;
	size_t ll;

	*out = NULL;
	PC_TRY(hsm_key_label_check(label, "key label", e));
	ll = strlen(label);
	snprintf(what, sizeof what, "key \"%s\" (%s) on token \"%s\"", label,
	    hsm_alg_name(alg), h->label);
	if (!h->logged_in)
		return pc_fail(e, PC_E_STATE, "%s: not logged in to the token", what);

	/* Refuse a second key with this label: URIs name keys by label too,
	 * and wolfSSL-style lookups take the first match. */
	{
		CK_ATTRIBUTE t[] = { { CKA_LABEL, (void *)label, ll } };
		PC_TRY(hsm_find_objects(h, t, 1, &seen, 1, &count, what, e));
		if (count > 0)
			return pc_fail(e, PC_E_EXISTS,
			    "%s: an object with this label already exists", what);
	}
	randombytes_buf(id, sizeof id);
	uint8_t params[ECPARAMS_MAX];

	CK_ATTRIBUTE pubt[] = {
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_PRIVATE, &no, sizeof no },
		{ CKA_VERIFY, &yes, sizeof yes },
		{ CKA_ID, id, sizeof id },
		{ CKA_LABEL, (void *)label, ll },
		/* algorithm-specific, filled in below */
		{ CKA_EC_PARAMS, NULL, 0 },
		{ CKA_PUBLIC_EXPONENT, f4, sizeof f4 },
	};
	CK_ATTRIBUTE privt[] = {
		{ CKA_TOKEN, &yes, sizeof yes },
		{ CKA_PRIVATE, &yes, sizeof yes },
		{ CKA_SENSITIVE, &yes, sizeof yes },
		{ CKA_EXTRACTABLE, &no, sizeof no },
		{ CKA_SIGN, &yes, sizeof yes },
		/* a CA key signs and does nothing else */
		{ CKA_DECRYPT, &no, sizeof no },
		{ CKA_UNWRAP, &no, sizeof no },
		{ CKA_DERIVE, &no, sizeof no },
		{ CKA_ID, id, sizeof id },
		{ CKA_LABEL, (void *)label, ll },
	};
	npub = 6;
	npriv = sizeof privt / sizeof privt[0];
	switch (alg) {
	case HSM_EC_P256:
		pubt[5].pValue = params;
		pubt[5].ulValueLen = ecparams(PKIX_OID_P256, params);
		break;
	case HSM_EC_P384:
		pubt[5].pValue = params;
		pubt[5].ulValueLen = ecparams(PKIX_OID_P384, params);
		break;
	case HSM_ED25519:
		/* PKCS#11 3.0 §2.3.5 allows the OID or the PrintableString
		 * "edwards25519"; SoftHSM2 2.6.1 takes both (checked), and the
		 * OID is what RFC 8410 uses.  detect_alg() accepts both. */
		mech.mechanism = CKM_EC_EDWARDS_KEY_PAIR_GEN;
		pubt[5].pValue = params;
		pubt[5].ulValueLen = ecparams(PKIX_OID_ED25519, params);
		break;
	case HSM_RSA_3072:
	case HSM_RSA_4096:
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		bits = alg == HSM_RSA_3072 ? 3072 : 4096;
		pubt[5].type = CKA_MODULUS_BITS;
		pubt[5].pValue = &bits;
		pubt[5].ulValueLen = sizeof bits;
		npub = 7;
		break;
	default:
		return pc_fail(e, PC_E_USAGE, "key \"%s\": unknown algorithm %d", label, (int)alg);
	}

	/* a key the token keeps: a durable step (common/fault.h) */
	PC_TRY(PC_FAULT("hsm.keygen", what, e));
	rv = h->f->C_GenerateKeyPair(h->session, &mech, pubt, npub, privt, npriv, &pub, &priv);
	if (rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_GenerateKeyPair", "%s", what);

	k = key_new(h, alg, id, sizeof id, label);
	if (k == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		goto destroy;
	}
	k->priv = priv;
	k->pub = pub;
	rc = check_private(k, true, e);
	if (rc == PC_OK)
		rc = load_public(k, e);
	if (rc != PC_OK) {
		hsm_key_free(k);
		goto destroy;
	}
	*out = k;
	return PC_OK;
destroy:
	/* Leave no half-made key behind: a retry must not hit PC_E_EXISTS. */
	(void)h->f->C_DestroyObject(h->session, priv);
	(void)h->f->C_DestroyObject(h->session, pub);
	return rc;
}

/* ---- open ---- */

PC_CHECK static pc_rc detect_alg(hsm *h, CK_OBJECT_HANDLE priv, CK_OBJECT_HANDLE pub,
    const char *what, hsm_alg *alg, pc_err *e)
{
	CK_KEY_TYPE kpriv = 0, kpub = 0;
	uint8_t *v = NULL;
	size_t l = 0;
	const uint8_t *n;
	unsigned bits;
	pc_rc rc = PC_OK;

	PC_TRY(hsm_attr_fixed(h, priv, CKA_KEY_TYPE, "CKA_KEY_TYPE", what, &kpriv, sizeof kpriv, e));
	PC_TRY(hsm_attr_fixed(h, pub, CKA_KEY_TYPE, "CKA_KEY_TYPE", what, &kpub, sizeof kpub, e));
	if (kpriv != kpub)
		return pc_fail(e, PC_E_HSM_KEY,
		    "%s: the public and private key objects have different key types", what);
	switch (kpriv) {
	case CKK_EC:
	case CKK_EC_EDWARDS:
		PC_TRY(hsm_attr_get(h, pub, CKA_EC_PARAMS, "CKA_EC_PARAMS", what, &v, &l, e));
		if (kpriv == CKK_EC && ecparams_is(v, l, PKIX_OID_P256))
			*alg = HSM_EC_P256;
		else if (kpriv == CKK_EC && ecparams_is(v, l, PKIX_OID_P384))
			*alg = HSM_EC_P384;
		else if (kpriv == CKK_EC_EDWARDS && (ecparams_is(v, l, PKIX_OID_ED25519) ||
		    (l == sizeof ecparams_ed25519_name &&
		    memcmp(v, ecparams_ed25519_name, l) == 0)))
			*alg = HSM_ED25519;
		else
			rc = pc_fail(e, PC_E_HSM_KEY,
			    "%s: unsupported curve (P-256, P-384 and Ed25519 are supported)", what);
		break;
	case CKK_RSA:
		PC_TRY(hsm_attr_get(h, pub, CKA_MODULUS, "CKA_MODULUS", what, &v, &l, e));
		n = v;
		be_strip(&n, &l);
		bits = be_bits(n, l);
		if (bits == 3072)
			*alg = HSM_RSA_3072;
		else if (bits == 4096)
			*alg = HSM_RSA_4096;
		else
			rc = pc_fail(e, PC_E_HSM_KEY,
			    "%s: RSA-%u keys are not supported (RSA-3072 and RSA-4096 are)", what, bits);
		break;
	default:
		rc = pc_fail(e, PC_E_HSM_KEY, "%s: unsupported key type 0x%lx", what,
		    (unsigned long)kpriv);
		break;
	}
	free(v);
	return rc;
}

pc_rc hsm_key_open(hsm *h, const char *uri, hsm_key **out, pc_err *e)
{
	CK_OBJECT_CLASS cpriv = CKO_PRIVATE_KEY, cpub = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t[3];
	CK_ATTRIBUTE *aid, *alabel;
	CK_OBJECT_HANDLE found[2], priv, pub;
	CK_ULONG n, count;
	P11KitUri *u = NULL;
	uint8_t *id = NULL, *lab = NULL;
	size_t id_len = 0, lab_len = 0;
	char what[HSM_WHAT_MAX], *label = NULL;
	hsm_alg alg = HSM_EC_P256;
	hsm_key *k = NULL;
	pc_rc rc;
	int r;

	*out = NULL;
	if (uri == NULL)
		return pc_fail(e, PC_E_USAGE, "no key URI given");
	snprintf(what, sizeof what, "key %s", uri);
	if (!h->logged_in)
		return pc_fail(e, PC_E_STATE, "%s: not logged in to token \"%s\"", what, h->label);
	u = p11_kit_uri_new();
	if (u == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	r = p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u);
	if (r != P11_KIT_URI_OK) {
		rc = pc_fail(e, PC_E_USAGE, "%s: not a valid PKCS#11 URI: %s", what,
		    p11_kit_uri_message(r));
		goto out;
	}
	rc = hsm_uri_check(u, "key", uri, e);
	if (rc != PC_OK)
		goto out;
	if (!hsm_uri_matches(h, u)) {
		rc = pc_fail(e, PC_E_HSM_KEY,
		    "%s: names another token than the open token \"%s\" (module %s)",
		    what, h->label, h->module_path);
		goto out;
	}
	aid = p11_kit_uri_get_attribute(u, CKA_ID);
	alabel = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (aid == NULL && alabel == NULL) {
		rc = pc_fail(e, PC_E_USAGE, "%s: names no key (give id= or object=)", what);
		goto out;
	}
	n = 0;
	t[n++] = (CK_ATTRIBUTE){ CKA_CLASS, &cpriv, sizeof cpriv };
	if (aid != NULL)
		t[n++] = *aid;
	if (alabel != NULL)
		t[n++] = *alabel;
	rc = hsm_find_objects(h, t, n, found, 2, &count, what, e);
	if (rc != PC_OK)
		goto out;
	if (count != 1) {
		rc = pc_fail(e, PC_E_HSM_KEY, "%s: %s private key on token \"%s\"", what,
		    count == 0 ? "no such" : "more than one matching", h->label);
		goto out;
	}
	priv = found[0];

	/* The pair is tied by the private key's own CKA_ID. */
	rc = hsm_attr_get(h, priv, CKA_ID, "CKA_ID", what, &id, &id_len, e);
	if (rc != PC_OK)
		goto out;
	if (id_len == 0 || id_len > HSM_ID_MAX) {
		rc = pc_fail(e, PC_E_HSM_KEY, "%s: the private key's CKA_ID has %zu bytes (need 1 to %d)",
		    what, id_len, HSM_ID_MAX);
		goto out;
	}
	rc = hsm_attr_get(h, priv, CKA_LABEL, "CKA_LABEL", what, &lab, &lab_len, e);
	if (rc != PC_OK)
		goto out;
	if (lab_len > HSM_LABEL_MAX || (lab_len > 0 && memchr(lab, 0, lab_len) != NULL)) {
		rc = pc_fail(e, PC_E_HSM_KEY, "%s: unusable CKA_LABEL", what);
		goto out;
	}
	label = strndup(lab_len > 0 ? (const char *)lab : "", lab_len);
	if (label == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		goto out;
	}
	t[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cpub, sizeof cpub };
	t[1] = (CK_ATTRIBUTE){ CKA_ID, id, id_len };
	rc = hsm_find_objects(h, t, 2, found, 2, &count, what, e);
	if (rc != PC_OK)
		goto out;
	if (count != 1) {
		rc = pc_fail(e, PC_E_HSM_KEY, "%s: %s public key object with the private key's CKA_ID",
		    what, count == 0 ? "no" : "more than one");
		goto out;
	}
	pub = found[0];
	rc = detect_alg(h, priv, pub, what, &alg, e);
	if (rc != PC_OK)
		goto out;

	k = key_new(h, alg, id, id_len, label);
	if (k == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		goto out;
	}
	k->priv = priv;
	k->pub = pub;
	rc = check_private(k, false, e);
	if (rc == PC_OK)
		rc = load_public(k, e);
	if (rc != PC_OK) {
		hsm_key_free(k);
		goto out;
	}
	*out = k;
out:
	free(id);
	free(lab);
	free(label);
	p11_kit_uri_free(u);
	return rc;
}

/* ---- accessors ---- */

const char *hsm_key_uri(const hsm_key *k)
{
	return k->uri;
}

hsm_alg hsm_key_alg(const hsm_key *k)
{
	return k->alg;
}

const uint8_t *hsm_key_spki(const hsm_key *k, size_t *len)
{
	*len = k->spki_len;
	return k->spki;
}

const uint8_t *hsm_key_sigalg(const hsm_key *k, size_t *len)
{
	return hsm_alg_sigalg(k->alg, len);
}
