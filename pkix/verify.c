/*
 * verify.c - the algorithm table and the software verifier (verify.h).
 */
#include "verify.h"

#include <inttypes.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rsa.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "der.h"

/* ------------------------------------------------------------ the table */

static const pkix_sigalg pkix_sigalgs[] = {
	{ PKIX_OID_ECDSA_SHA256, "ecdsa-with-SHA256", PKIX_KEY_EC_P256, PKIX_SHA256, false },
	{ PKIX_OID_ECDSA_SHA384, "ecdsa-with-SHA384", PKIX_KEY_EC_P256, PKIX_SHA384, false },
	{ PKIX_OID_ECDSA_SHA512, "ecdsa-with-SHA512", PKIX_KEY_EC_P256, PKIX_SHA512, false },
	{ PKIX_OID_RSA_SHA256, "sha256WithRSAEncryption", PKIX_KEY_RSA, PKIX_SHA256, true },
	{ PKIX_OID_RSA_SHA384, "sha384WithRSAEncryption", PKIX_KEY_RSA, PKIX_SHA384, true },
	{ PKIX_OID_RSA_SHA512, "sha512WithRSAEncryption", PKIX_KEY_RSA, PKIX_SHA512, true },
	{ PKIX_OID_ED25519, "Ed25519", PKIX_KEY_ED25519, PKIX_HASH_NONE, false },
};
enum { NSIGALGS = sizeof pkix_sigalgs / sizeof pkix_sigalgs[0] };

/* The DER AlgorithmIdentifier of each row, built once (SEQUENCE { OID
 * [, NULL] }): at most 2 + 2 + 9 + 2 bytes. */
static uint8_t sigalg_der[NSIGALGS][16];
static size_t sigalg_der_len[NSIGALGS];

static pthread_once_t sigalg_der_once = PTHREAD_ONCE_INIT;

static void sigalg_der_build(void)
{
	size_t i, ol;

	for (i = 0; i < NSIGALGS; i++) {
		const uint8_t *o = pkix_oid_bytes(pkix_sigalgs[i].oid, &ol);
		uint8_t *d = sigalg_der[i];
		size_t n = 0;
		d[n++] = DER_SEQUENCE;
		d[n++] = (uint8_t)(2 + ol + (pkix_sigalgs[i].params_null ? 2 : 0));
		d[n++] = DER_OID;
		d[n++] = (uint8_t)ol;
		memcpy(d + n, o, ol);
		n += ol;
		if (pkix_sigalgs[i].params_null) {
			d[n++] = DER_NULL;
			d[n++] = 0;
		}
		sigalg_der_len[i] = n;
	}
}

pc_rc pkix_sigalg_read(const uint8_t *der, size_t len, const char *what,
    const pkix_sigalg **out, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), a, oid, nul;
	pkix_oid id;
	size_t i;
	char dotted[128];

	if (!pc_der_read(&r, DER_SEQUENCE, &a) || !pc_reader_done(&r) ||
	    !pc_der_read(&a, DER_OID, &oid))
		return pc_fail(e, PC_E_INPUT, "%s: malformed signature AlgorithmIdentifier", what);
	id = pkix_oid_lookup(oid);
	for (i = 0; i < NSIGALGS; i++)
		if (pkix_sigalgs[i].oid == id && id != PKIX_OID_NONE)
			break;
	if (i == NSIGALGS) {
		if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), dotted, sizeof dotted))
			snprintf(dotted, sizeof dotted, "(malformed)");
		return pc_fail(e, PC_E_INPUT, "%s: signature algorithm %s is not accepted "
		    "(ECDSA or RSA PKCS#1 v1.5 with SHA-256/384/512, Ed25519)", what, dotted);
	}
	/* RFC 4055 §5: NULL, and absent must be accepted too; RFC 5758 §3.2
	 * and RFC 8410 §3: absent */
	if (pkix_sigalgs[i].params_null && pc_reader_left(&a) > 0 &&
	    (!pc_der_read(&a, DER_NULL, &nul) || pc_reader_left(&nul) != 0))
		return pc_fail(e, PC_E_INPUT, "%s: %s with parameters other than NULL", what,
		    pkix_sigalgs[i].name);
	if (!pc_reader_done(&a))
		return pc_fail(e, PC_E_INPUT, "%s: %s with unexpected parameters", what,
		    pkix_sigalgs[i].name);
	*out = &pkix_sigalgs[i];
	return PC_OK;
}

const pkix_sigalg *pkix_sigalg_for_key(pkix_keytype t)
{
	switch (t) {
	case PKIX_KEY_EC_P256: return &pkix_sigalgs[0];
	case PKIX_KEY_EC_P384: return &pkix_sigalgs[1];
	case PKIX_KEY_RSA: return &pkix_sigalgs[3];
	case PKIX_KEY_ED25519: return &pkix_sigalgs[6];
	}
	return NULL;
}

const uint8_t *pkix_sigalg_der(const pkix_sigalg *a, size_t *len)
{
	size_t i = (size_t)(a - pkix_sigalgs);

	pthread_once(&sigalg_der_once, sigalg_der_build);
	*len = sigalg_der_len[i];
	return sigalg_der[i];
}

static bool is_ec(pkix_keytype t)
{
	return t == PKIX_KEY_EC_P256 || t == PKIX_KEY_EC_P384;
}

bool pkix_sigalg_fits(const pkix_sigalg *a, pkix_keytype t)
{
	return is_ec(a->key) ? is_ec(t) : a->key == t;
}

/* ---------------------------------------------------------------- keys */

const char *pkix_keytype_name(pkix_keytype t, unsigned bits, char *buf, size_t n)
{
	switch (t) {
	case PKIX_KEY_EC_P256: snprintf(buf, n, "ec-p256"); break;
	case PKIX_KEY_EC_P384: snprintf(buf, n, "ec-p384"); break;
	case PKIX_KEY_RSA: snprintf(buf, n, "rsa-%u", bits); break;
	case PKIX_KEY_ED25519: snprintf(buf, n, "ed25519"); break;
	default: snprintf(buf, n, "unknown"); break;
	}
	return buf;
}

static unsigned magnitude_bits(const uint8_t *p, size_t n)
{
	unsigned bits = (unsigned)(n * 8);
	uint8_t top = p[0];

	while (bits > 0 && !(top & 0x80)) {
		top = (uint8_t)(top << 1);
		bits--;
	}
	return bits;
}

/* RSA public exponent: odd, 3 <= e < 2^32.  RFC 8017 §3.1 allows any odd e
 * in [3, n-1], but verifying costs time linear in the bits of e: a station
 * sending 4088-bit exponents made import 200 times slower than e = 65537.
 * Real keys use 3 or 65537 (CA/B BR §6.1.6 asks for an odd e of at least 3;
 * NIST SP 800-89 §5.3.3 for e > 2^16), and nothing below 2^32 is costly. */
PC_CHECK static pc_rc rsa_exponent_check(const uint8_t *ep, size_t el, const char *what, pc_rc code,
    pc_err *e)
{
	uint64_t v = 0;
	size_t i;

	if (el > PKIX_RSA_E_MAX_BYTES)
		return pc_fail(e, code, "%s: RSA public exponent of %u bits: it must be odd, "
		    "at least 3 and below 2^32", what, magnitude_bits(ep, el));
	for (i = 0; i < el; i++)
		v = v << 8 | ep[i];
	if (v < PKIX_RSA_E_MIN)
		return pc_fail(e, code, "%s: RSA public exponent %" PRIu64 " is below 3: it must "
		    "be odd, at least 3 and below 2^32", what, v);
	if (v % 2 == 0)
		return pc_fail(e, code, "%s: RSA public exponent %" PRIu64 " is even: it must be "
		    "odd, at least 3 and below 2^32", what, v);
	return PC_OK;
}

/* An INTEGER's magnitude: positive, leading zero octets dropped (a key
 * part, where only the value matters). */
static bool key_integer(pc_reader *r, const uint8_t **p, size_t *n)
{
	pc_reader c;

	if (!pc_der_read(r, DER_INTEGER, &c))
		return false;
	*n = pc_reader_left(&c);
	*p = pc_reader_take(&c, *n);
	if (*n == 0 || (*p)[0] & 0x80)
		return false;
	while (*n > 0 && (*p)[0] == 0) {
		(*p)++;
		(*n)--;
	}
	return true;
}

PC_CHECK static pc_rc pubkey_parse(const uint8_t *spki, size_t len, const char *what, pc_rc code,
    bool strict, pkix_pubkey *k, pc_err *e)
{
	pc_reader r = pc_reader_make(spki, len), s, alg, oid, key;
	const uint8_t *kb;
	uint8_t unused = 0;
	size_t klen;

	memset(k, 0, sizeof *k);
	k->spki = spki;
	k->spki_len = len;
	/* SubjectPublicKeyInfo ::= SEQUENCE { algorithm AlgorithmIdentifier,
	 *   subjectPublicKey BIT STRING }                     RFC 5280 §4.1 */
	if (!pc_der_read(&r, DER_SEQUENCE, &s) || !pc_reader_done(&r) ||
	    !pc_der_read(&s, DER_SEQUENCE, &alg) || !pc_der_read(&alg, DER_OID, &oid) ||
	    !pc_der_read(&s, DER_BIT_STRING, &key) || !pc_reader_done(&s) ||
	    !pc_reader_u8(&key, &unused) || unused != 0)
		return pc_fail(e, code, "%s: malformed SubjectPublicKeyInfo", what);
	klen = pc_reader_left(&key);
	kb = pc_reader_take(&key, klen);
	if (pkix_oid_is(oid, PKIX_OID_EC_PUBKEY)) {
		pc_reader curve;
		if (pc_reader_peek(&alg) == DER_SEQUENCE)
			return pc_fail(e, code, "%s: EC key with explicit curve parameters "
			    "is not allowed (RFC 5480 §2.1.1: namedCurve only)", what);
		if (!pc_der_read(&alg, DER_OID, &curve) || !pc_reader_done(&alg))
			return pc_fail(e, code, "%s: EC key without a named curve", what);
		/* the format here; whether the point is on the curve is checked
		 * by libcrypto when the key is first used (pkix_verifier_new) */
		if (pkix_oid_is(curve, PKIX_OID_P256) && klen == 65 && kb[0] == 4) {
			k->type = PKIX_KEY_EC_P256;
			k->bits = 256;
		} else if (pkix_oid_is(curve, PKIX_OID_P384) && klen == 97 && kb[0] == 4) {
			k->type = PKIX_KEY_EC_P384;
			k->bits = 384;
		} else {
			return pc_fail(e, code, "%s: EC key on an unsupported curve or with "
			    "a malformed point (P-256 and P-384, uncompressed, are accepted)", what);
		}
		k->key = kb;
		k->key_len = klen;
		return PC_OK;
	}
	if (pkix_oid_is(oid, PKIX_OID_RSA)) {
		pc_reader nul, rsa;
		/* RFC 3279 §2.3.1: parameters MUST be NULL */
		if (!pc_der_read(&alg, DER_NULL, &nul) || !pc_reader_done(&alg))
			return pc_fail(e, code, "%s: RSA key algorithm parameters must be NULL", what);
		/* RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent
		 * INTEGER }                                   RFC 8017 A.1.1 */
		key = pc_reader_make(kb, klen);
		if (!pc_der_read(&key, DER_SEQUENCE, &rsa) || !pc_reader_done(&key) ||
		    !key_integer(&rsa, &k->n, &k->n_len) || !key_integer(&rsa, &k->e, &k->e_len) ||
		    !pc_reader_done(&rsa))
			return pc_fail(e, code, "%s: malformed RSA public key", what);
		if (k->n_len == 0)
			return pc_fail(e, code, "%s: malformed RSA modulus (zero)", what);
		if (k->e_len == 0)
			return pc_fail(e, code, "%s: RSA public exponent 0 is below 3: it must be odd, "
			    "at least 3 and below 2^32", what);
		k->bits = magnitude_bits(k->n, k->n_len);
		k->type = PKIX_KEY_RSA;
		if (k->bits > PKIX_RSA_MAX_BITS)
			return pc_fail(e, code, "%s: RSA key of %u bits is larger than %d", what, k->bits,
			    PKIX_RSA_MAX_BITS);
		if (!strict)
			return PC_OK;
		if (k->bits < PKIX_RSA_MIN_BITS)
			return pc_fail(e, code, "%s: RSA key of %u bits is too weak (minimum %d)",
			    what, k->bits, PKIX_RSA_MIN_BITS);
		return rsa_exponent_check(k->e, k->e_len, what, code, e);
	}
	if (pkix_oid_is(oid, PKIX_OID_ED25519)) {
		/* RFC 8410 §3: parameters MUST be absent */
		if (!pc_reader_done(&alg) || klen != crypto_sign_PUBLICKEYBYTES)
			return pc_fail(e, code, "%s: malformed Ed25519 key (RFC 8410)", what);
		k->type = PKIX_KEY_ED25519;
		k->bits = 256;
		k->key = kb;
		k->key_len = klen;
		return PC_OK;
	}
	return pc_fail(e, code, "%s: unsupported public key algorithm "
	    "(EC P-256/P-384, RSA, Ed25519 are accepted)", what);
}

pc_rc pkix_pubkey_parse(const uint8_t *spki, size_t len, const char *what, pc_rc code,
    pkix_pubkey *k, pc_err *e)
{
	return pubkey_parse(spki, len, what, code, true, k, e);
}

pc_rc pkix_spki_type(const uint8_t *spki, size_t len, const char *what, pc_rc code,
    pkix_keytype *type, unsigned *bits, pc_err *e)
{
	pkix_pubkey k;

	PC_TRY(pubkey_parse(spki, len, what, code, true, &k, e));
	*type = k.type;
	*bits = k.bits;
	return PC_OK;
}

pc_rc pkix_pubkey_parse_any(const uint8_t *spki, size_t len, const char *what,
    pkix_pubkey *k, pc_err *e)
{
	return pubkey_parse(spki, len, what, PC_E_INPUT, false, k, e);
}

/* The public key as a libcrypto object, built from its parts (never by
 * letting libcrypto parse the SPKI: pkix/ is the only X.509 reader).  For
 * EC, libcrypto decodes the point and refuses one that is not on the
 * curve (SEC 1 §2.3.4). */
static EVP_PKEY *make_pkey(const pkix_pubkey *k)
{
	OSSL_PARAM params[3];
	EVP_PKEY_CTX *c;
	EVP_PKEY *pkey = NULL;
	uint8_t n_le[PKIX_RSA_MAX_BITS / 8], e_le[8];
	size_t i;

	if (k->type == PKIX_KEY_EC_P256 || k->type == PKIX_KEY_EC_P384) {
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME,
		    (char *)(k->type == PKIX_KEY_EC_P384 ? "P-384" : "P-256"), 0);
		params[1] = OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY,
		    (void *)k->key, k->key_len);
		params[2] = OSSL_PARAM_construct_end();
		c = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	} else if (k->type == PKIX_KEY_RSA) {
		/* OSSL_PARAM integers are native-endian: little-endian here */
		if (k->n_len > sizeof n_le || k->e_len > sizeof e_le)
			return NULL;
		for (i = 0; i < k->n_len; i++)
			n_le[i] = k->n[k->n_len - 1 - i];
		for (i = 0; i < k->e_len; i++)
			e_le[i] = k->e[k->e_len - 1 - i];
		params[0] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_N, n_le, k->n_len);
		params[1] = OSSL_PARAM_construct_BN(OSSL_PKEY_PARAM_RSA_E, e_le, k->e_len);
		params[2] = OSSL_PARAM_construct_end();
		c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	} else {
		return NULL;
	}
	if (c == NULL)
		return NULL;
	if (EVP_PKEY_fromdata_init(c) != 1 ||
	    EVP_PKEY_fromdata(c, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX_free(c);
	return pkey;
}

/* ---------------------------------------------------------- verifying */

PC_CHECK static pc_rc bad_sig(pc_err *e, const char *what, const char *why)
{
	return pc_fail(e, PC_E_SIGNATURE, "%s: signature does not verify (%s)", what, why);
}

/* Strict DER for an Ecdsa-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER }
 * (RFC 5480 §2.2, RFC 3279 §2.2.3): minimal positive INTEGERs no longer
 * than the field, nothing after; libcrypto checks 0 < r, s < n. */
static bool ecdsa_der_ok(const pkix_pubkey *k, const uint8_t *sig, size_t sig_len)
{
	size_t fl = k->type == PKIX_KEY_EC_P384 ? 48 : 32, n;
	pc_reader r = pc_reader_make(sig, sig_len), s;
	const uint8_t *p;

	return pc_der_read(&r, DER_SEQUENCE, &s) && pc_reader_done(&r) &&
	    pc_der_read_uint(&s, fl, &p, &n) && pc_der_read_uint(&s, fl, &p, &n) &&
	    pc_reader_done(&s);
}

struct pkix_verifier {
	pkix_pubkey k;
	EVP_PKEY *pkey;             /* NULL for Ed25519 (libsodium needs only k.key) */
};

pc_rc pkix_verifier_new(const pkix_pubkey *k, const char *what, pkix_verifier **out, pc_err *e)
{
	pkix_verifier *v = calloc(1, sizeof *v);

	*out = NULL;
	if (v == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	v->k = *k;
	if (k->type != PKIX_KEY_ED25519 && (v->pkey = make_pkey(k)) == NULL) {
		free(v);
		return pc_fail(e, PC_E_INPUT, "%s: %s", what, k->type == PKIX_KEY_RSA ?
		    "RSA public key refused by libcrypto" : "EC public key is not on its curve");
	}
	*out = v;
	return PC_OK;
}

void pkix_verifier_free(pkix_verifier *v)
{
	if (v == NULL)
		return;
	EVP_PKEY_free(v->pkey);
	free(v);
}

PC_CHECK static pc_rc verify_pkey(const pkix_verifier *v, pkix_hash h, const uint8_t *digest, size_t dlen,
    const uint8_t *sig, size_t sig_len, const char *what, pc_err *e)
{
	const pkix_pubkey *k = &v->k;
	EVP_PKEY_CTX *c = NULL;
	const char *mdname = h == PKIX_SHA384 ? "SHA2-384" : h == PKIX_SHA512 ? "SHA2-512" :
	    "SHA2-256";
	int ok = 0;

	if (k->type == PKIX_KEY_RSA) {
		/* RFC 8017 §8.2.2 step 1: exactly the modulus length */
		if (sig_len != (k->bits + 7) / 8)
			return bad_sig(e, what, "RSA signature length differs from the modulus");
		if (k->bits < PKIX_RSA_MIN_BITS)
			return bad_sig(e, what, "RSA key too weak to verify with");
	} else if (!ecdsa_der_ok(k, sig, sig_len)) {
		return bad_sig(e, what, "not a DER ECDSA signature");
	}
	c = EVP_PKEY_CTX_new_from_pkey(NULL, v->pkey, NULL);
	if (c != NULL && EVP_PKEY_verify_init(c) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(c, EVP_get_digestbyname(mdname)) == 1 &&
	    (k->type != PKIX_KEY_RSA || EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1))
		/* RSA: libcrypto encodes the expected DigestInfo and compares */
		ok = EVP_PKEY_verify(c, sig, sig_len, digest, dlen) == 1;
	EVP_PKEY_CTX_free(c);
	return ok ? PC_OK : bad_sig(e, what, k->type == PKIX_KEY_RSA ? "RSA PKCS#1 v1.5" : "ECDSA");
}

pc_rc pkix_verifier_digest(const pkix_verifier *v, const pkix_sigalg *a, const uint8_t *digest,
    size_t dlen, const uint8_t *sig, size_t sig_len, const char *what, pc_err *e)
{
	if (!pkix_sigalg_fits(a, v->k.type))
		return pc_fail(e, PC_E_INPUT, "%s: a %s signature cannot come from this key", what,
		    a->name);
	if (a->hash == PKIX_HASH_NONE || dlen != pkix_hash_len(a->hash))
		return pc_fail(e, PC_E_INTERNAL, "%s: digest does not fit %s", what, a->name);
	return verify_pkey(v, a->hash, digest, dlen, sig, sig_len, what, e);
}

pc_rc pkix_verifier_verify(const pkix_verifier *v, const pkix_sigalg *a, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t sig_len, const char *what, pc_err *e)
{
	uint8_t d[PKIX_HASH_MAX];

	if (!pkix_sigalg_fits(a, v->k.type))
		return pc_fail(e, PC_E_INPUT, "%s: a %s signature cannot come from this key", what,
		    a->name);
	if (msg == NULL)
		msg = (const uint8_t *)"";
	if (a->hash == PKIX_HASH_NONE) {
		/* RFC 8032 §5.1.7; libsodium refuses non-canonical S and
		 * small-order keys */
		if (sodium_init() < 0)
			return pc_fail(e, PC_E_INTERNAL, "libsodium failed to initialise");
		if (sig_len != crypto_sign_BYTES)
			return bad_sig(e, what, "an Ed25519 signature has 64 bytes");
		if (crypto_sign_verify_detached(sig, msg, len, v->k.key) != 0)
			return bad_sig(e, what, "Ed25519");
		return PC_OK;
	}
	PC_TRY(pkix_hash_once(a->hash, msg, len, d, e));
	return pkix_verifier_digest(v, a, d, pkix_hash_len(a->hash), sig, sig_len, what, e);
}

pc_rc pkix_verify(const pkix_pubkey *k, const pkix_sigalg *a, const uint8_t *msg, size_t len,
    const uint8_t *sig, size_t sig_len, const char *what, pc_err *e)
{
	pkix_verifier *v;
	pc_rc rc;

	PC_TRY(pkix_verifier_new(k, what, &v, e));
	rc = pkix_verifier_verify(v, a, msg, len, sig, sig_len, what, e);
	pkix_verifier_free(v);
	return rc;
}

pc_rc pkix_verify_digest(const pkix_pubkey *k, const pkix_sigalg *a, const uint8_t *digest,
    size_t dlen, const uint8_t *sig, size_t sig_len, const char *what, pc_err *e)
{
	pkix_verifier *v;
	pc_rc rc;

	PC_TRY(pkix_verifier_new(k, what, &v, e));
	rc = pkix_verifier_digest(v, a, digest, dlen, sig, sig_len, what, e);
	pkix_verifier_free(v);
	return rc;
}
