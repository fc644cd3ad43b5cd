/*
 * minisign.c - minisign key and signature files (the formats of minisign
 * 0.11, https://jedisct1.github.io/minisign/), with libsodium.
 *
 *   public key:  "untrusted comment: ...\n" base64("Ed" keyid[8] pk[32]) "\n"
 *   secret key:  "untrusted comment: ...\n" base64("Ed" "Sc" "B2" salt[32]
 *                opslimit[8 LE] memlimit[8 LE] E(keyid[8] sk[64] chk[32])) "\n"
 *                E = XOR with scrypt(passphrase, salt, opslimit, memlimit),
 *                chk = BLAKE2b-256("Ed" keyid sk)
 *   signature:   "untrusted comment: ...\n" base64("ED" keyid sig[64]) "\n"
 *                "trusted comment: TEXT\n" base64(global_sig[64]) "\n"
 *                sig = Ed25519(BLAKE2b-512(data)) ("ED") or Ed25519(data)
 *                ("Ed", legacy); global_sig = Ed25519(sig || TEXT)
 *
 * Decoding is strict: canonical padded base64, exact decoded lengths, LF
 * line ends, nothing after the last line.  Secret material lives only in
 * sodium_malloc memory.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "tr_int.h"
#include "verify.h"

/* An Ed25519 signature of a minisign key (a raw 32-byte key, not an SPKI)
 * through the one software verifier (pkix/verify.h), like every other
 * signature plantca checks. */
static bool ed25519_ok(const uint8_t pk[32], const uint8_t *msg, size_t len,
    const uint8_t sig[TR_SIG_LEN])
{
	pkix_pubkey k = { .type = PKIX_KEY_ED25519, .bits = 256, .key = pk, .key_len = 32 };
	pc_err ign;

	return pkix_verify(&k, pkix_sigalg_for_key(PKIX_KEY_ED25519), msg, len, sig, TR_SIG_LEN,
	    "minisign signature", &ign) == PC_OK;
}

enum {
	PK_STRUCT_LEN = 2 + TR_KEYID_LEN + TR_PK_LEN,                 /* 42 */
	SIG_STRUCT_LEN = 2 + TR_KEYID_LEN + TR_SIG_LEN,               /* 74 */
	KEYNUM_SK_LEN = TR_KEYID_LEN + 64 + 32,                       /* 104 */
	SK_STRUCT_LEN = 2 + 2 + 2 + 32 + 8 + 8 + KEYNUM_SK_LEN,       /* 158 */
	B64_LINE_MAX = 256,
};

#define UNTRUSTED_PREFIX "untrusted comment: "
#define TRUSTED_PREFIX "trusted comment: "

/* The cost bounds are libsodium's levels (transfer.h): minisign's own
 * default is the "sensitive" one, and files asking for more are refused,
 * so a hostile key file cannot make us spend more than minisign would. */
_Static_assert(TR_KDF_OPS_MIN == crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE,
    "floor: libsodium's interactive opslimit");
_Static_assert(TR_KDF_MEM_MIN == crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE,
    "floor: libsodium's interactive memlimit");
_Static_assert(TR_KDF_OPS_MAX == crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE,
    "ceiling: libsodium's sensitive opslimit, minisign's default");
_Static_assert(TR_KDF_MEM_MAX == crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE,
    "ceiling: libsodium's sensitive memlimit, minisign's default");

static void le64_store(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t le64_load(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

void tr_keyid_text(const uint8_t keyid[TR_KEYID_LEN], char out[17])
{
	snprintf(out, 17, "%016" PRIX64, le64_load(keyid));
}

bool tr_b64_decode_exact(const char *s, size_t slen, uint8_t *out, size_t want)
{
	size_t got = 0, i;
	const char *end = NULL;
	char again[B64_LINE_MAX + 1];

	if (slen == 0 || slen > B64_LINE_MAX || sodium_base64_encoded_len(want,
	    sodium_base64_VARIANT_ORIGINAL) != slen + 1)
		return false;
	for (i = 0; i < slen; i++)
		if (s[i] == '\0')
			return false;
	if (sodium_base642bin(out, want, s, slen, NULL, &got, &end,
	    sodium_base64_VARIANT_ORIGINAL) != 0 || got != want || end != s + slen)
		return false;
	/* canonical: re-encoding gives the same text (no stray low bits) */
	sodium_bin2base64(again, sizeof again, out, want, sodium_base64_VARIANT_ORIGINAL);
	return memcmp(again, s, slen) == 0;
}

void tr_b64_append(pc_buf *out, const uint8_t *p, size_t n)
{
	char tmp[B64_LINE_MAX + 1];

	if (sodium_base64_encoded_len(n, sodium_base64_VARIANT_ORIGINAL) > sizeof tmp) {
		out->failed = true;
		return;
	}
	sodium_bin2base64(tmp, sizeof tmp, p, n, sodium_base64_VARIANT_ORIGINAL);
	pc_buf_str(out, tmp);
}

/* Split off the next line (LF-terminated unless last_optional and at the
 * end).  Returns false when there is no line. */
static bool next_line(pc_reader *r, const char **line, size_t *len, bool lf_optional)
{
	size_t left = pc_reader_left(r), i;
	const uint8_t *p;

	if (left == 0)
		return false;
	p = r->p + r->off;
	for (i = 0; i < left && p[i] != '\n'; i++)
		;
	if (i == left && !lf_optional)
		return false;
	*line = (const char *)p;
	*len = i;
	(void)pc_reader_take(r, i == left ? i : i + 1);
	return true;
}

static bool has_prefix(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(line, prefix, n) == 0;
}

static bool comment_ok(const char *s, size_t len)
{
	size_t i;

	if (len > TR_COMMENT_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (s[i] == '\0' || s[i] == '\r')
			return false;
	return true;
}

/* ---- public keys ---- */

pc_rc tr_pubkey_parse(const uint8_t *text, size_t len, const char *what,
    tr_pubkey *out, pc_err *e)
{
	pc_reader r = pc_reader_make(text, len);
	const char *line, *b64;
	size_t llen, blen;
	uint8_t raw[PK_STRUCT_LEN];

	if (!next_line(&r, &line, &llen, true))
		return pc_fail(e, PC_E_INPUT, "%s: empty public key file", what);
	if (has_prefix(line, llen, UNTRUSTED_PREFIX)) {
		if (!comment_ok(line, llen))
			return pc_fail(e, PC_E_INPUT, "%s: bad untrusted comment line", what);
		if (!next_line(&r, &b64, &blen, true))
			return pc_fail(e, PC_E_INPUT, "%s: no key line after the comment", what);
	} else {
		b64 = line;
		blen = llen;
	}
	if (pc_reader_left(&r) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: text after the public key", what);
	if (!tr_b64_decode_exact(b64, blen, raw, sizeof raw))
		return pc_fail(e, PC_E_INPUT, "%s: not a minisign public key (bad base64 "
		    "or wrong length)", what);
	if (memcmp(raw, "Ed", 2) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: unsupported public key algorithm", what);
	memcpy(out->keyid, raw + 2, TR_KEYID_LEN);
	memcpy(out->pk, raw + 2 + TR_KEYID_LEN, TR_PK_LEN);
	return PC_OK;
}

void tr_pubkey_format(const tr_pubkey *k, const char *note, pc_buf *out)
{
	uint8_t raw[PK_STRUCT_LEN];
	char id[17];

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, k->keyid, TR_KEYID_LEN);
	memcpy(raw + 2 + TR_KEYID_LEN, k->pk, TR_PK_LEN);
	tr_keyid_text(k->keyid, id);
	pc_buf_printf(out, UNTRUSTED_PREFIX "minisign public key %s%s%s%s\n", id,
	    note ? " (" : "", note ? note : "", note ? ")" : "");
	tr_b64_append(out, raw, sizeof raw);
	pc_buf_byte(out, '\n');
}

/* ---- secret keys ---- */

pc_rc tr_seckey_parse(const uint8_t *file, size_t len, const char *what,
    tr_seckey_file *out, pc_err *e)
{
	pc_reader r = pc_reader_make(file, len), s;
	const char *line, *b64;
	size_t llen, blen;
	uint8_t raw[SK_STRUCT_LEN];
	const uint8_t *alg;

	if (!next_line(&r, &line, &llen, false) || !has_prefix(line, llen, UNTRUSTED_PREFIX) ||
	    !comment_ok(line, llen))
		return pc_fail(e, PC_E_INPUT, "%s: no untrusted comment line", what);
	if (!next_line(&r, &b64, &blen, true) || pc_reader_left(&r) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: want exactly two lines", what);
	if (!tr_b64_decode_exact(b64, blen, raw, sizeof raw))
		return pc_fail(e, PC_E_INPUT, "%s: not a minisign secret key (bad base64 "
		    "or wrong length)", what);
	s = pc_reader_make(raw, sizeof raw);
	alg = pc_reader_take(&s, 6);
	if (memcmp(alg, "Ed", 2) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: unsupported signature algorithm", what);
	if (memcmp(alg + 2, "\0\0", 2) == 0)
		return pc_fail(e, PC_E_INPUT, "%s: unencrypted secret key refused", what);
	if (memcmp(alg + 2, "Sc", 2) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: unsupported key derivation function", what);
	if (memcmp(alg + 4, "B2", 2) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: unsupported checksum function", what);
	memcpy(out->salt, pc_reader_take(&s, sizeof out->salt), sizeof out->salt);
	out->opslimit = le64_load(pc_reader_take(&s, 8));
	out->memlimit = le64_load(pc_reader_take(&s, 8));
	memcpy(out->enc, pc_reader_take(&s, sizeof out->enc), sizeof out->enc);
	sodium_memzero(raw, sizeof raw);
	if (!pc_reader_done(&s))
		return pc_fail(e, PC_E_INTERNAL, "%s: secret key layout", what);
	if (out->opslimit > TR_KDF_OPS_MAX || out->memlimit > TR_KDF_MEM_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: key derivation limits above minisign's "
		    "defaults", what);
	if (out->opslimit < crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN ||
	    out->memlimit < crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN)
		return pc_fail(e, PC_E_INPUT, "%s: key derivation limits too low", what);
	return PC_OK;
}

/* BLAKE2b-256("Ed" || keynum || sk), minisign's seckey_chk(). */
static void seckey_chk(uint8_t chk[32], const uint8_t *keynum_sk)
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&hs, keynum_sk, TR_KEYID_LEN + 64);
	crypto_generichash_final(&hs, chk, 32);
	sodium_memzero(&hs, sizeof hs);
}

PC_CHECK static pc_rc kdf_stream(uint8_t *stream, const pc_secret *pw, const uint8_t salt[32],
    uint64_t ops, uint64_t mem, const char *what, pc_err *e)
{
	if (crypto_pwhash_scryptsalsa208sha256(stream, KEYNUM_SK_LEN, pw->s, pw->len, salt,
	    (unsigned long long)ops, (size_t)mem) != 0)
		return pc_fail(e, PC_E_NOMEM, "%s: key derivation failed: scrypt needs up to %llu MiB "
		    "of memory here (out of memory?)", what,
		    (unsigned long long)((mem + TR_KDF_MIB - 1) / TR_KDF_MIB));
	return PC_OK;
}

/* ---- the key derivation's cost ---- */

tr_kdf tr_kdf_default(void)
{
	tr_kdf k = { TR_KDF_OPS_DEFAULT, TR_KDF_MEM_DEFAULT };

	return k;
}

tr_kdf tr_kdf_for_memory(uint64_t memlimit)
{
	tr_kdf k = { memlimit / 32 * 4, memlimit };

	if (k.opslimit < TR_KDF_OPS_MIN)
		k.opslimit = TR_KDF_OPS_MIN;
	if (k.opslimit > TR_KDF_OPS_MAX)
		k.opslimit = TR_KDF_OPS_MAX;
	return k;
}

pc_rc tr_kdf_check(const tr_kdf *k, pc_err *e)
{
	uint64_t mib = k->memlimit / TR_KDF_MIB;

	if (k->memlimit < TR_KDF_MEM_MIN)
		return pc_fail(e, PC_E_USAGE, "key derivation memory %llu MiB is below libsodium's "
		    "interactive level (%d MiB), the least a station key may cost",
		    (unsigned long long)mib, TR_KDF_MEM_MIN / TR_KDF_MIB);
	if (k->memlimit > TR_KDF_MEM_MAX)
		return pc_fail(e, PC_E_USAGE, "key derivation memory %llu MiB is above minisign's "
		    "default (%d MiB), the most a minisign key file may ask for",
		    (unsigned long long)mib, TR_KDF_MEM_MAX / TR_KDF_MIB);
	if (k->memlimit % TR_KDF_MIB != 0 || (mib & (mib - 1)) != 0)
		return pc_fail(e, PC_E_USAGE, "key derivation memory %llu bytes: scrypt uses a power "
		    "of two (16, 32, 64, ... 1024 MiB)", (unsigned long long)k->memlimit);
	if (k->opslimit < TR_KDF_OPS_MIN)
		return pc_fail(e, PC_E_USAGE, "key derivation operations %llu are below libsodium's "
		    "interactive level (%d), the least a station key may cost",
		    (unsigned long long)k->opslimit, TR_KDF_OPS_MIN);
	if (k->opslimit > TR_KDF_OPS_MAX)
		return pc_fail(e, PC_E_USAGE, "key derivation operations %llu are above minisign's "
		    "default (%d), the most a minisign key file may ask for",
		    (unsigned long long)k->opslimit, TR_KDF_OPS_MAX);
	if (k->opslimit < k->memlimit / 32)
		return pc_fail(e, PC_E_USAGE, "key derivation operations %llu are too few for %llu "
		    "MiB: scrypt needs at least %llu (memory / 32), or it would use less memory "
		    "than asked", (unsigned long long)k->opslimit, (unsigned long long)mib,
		    (unsigned long long)(k->memlimit / 32));
	return PC_OK;
}

void tr_kdf_scrypt(const tr_kdf *k, unsigned *log2n, unsigned *r, unsigned *p)
{
	/* libsodium's pickparams() for opslimit >= memlimit / 32: r = 8, N the
	 * largest power of two with 128 r N <= memlimit, p = (opslimit / 4) /
	 * N / r */
	uint64_t n = k->memlimit / 1024;

	*r = 8;
	*log2n = 0;
	while (n > 1) {
		n >>= 1;
		(*log2n)++;
	}
	*p = (unsigned)(k->opslimit / 4 / ((uint64_t)1 << *log2n) / 8);
}

pc_rc tr_seckey_kdf(const uint8_t *file, size_t len, const char *what, tr_kdf *out,
    pc_err *e)
{
	tr_seckey_file f;

	PC_TRY(tr_seckey_parse(file, len, what, &f, e));
	out->opslimit = f.opslimit;
	out->memlimit = f.memlimit;
	sodium_memzero(&f, sizeof f);
	return PC_OK;
}

void tr_seckey_free(tr_seckey *k)
{
	if (k->sk != NULL)
		sodium_free(k->sk);
	k->sk = NULL;
	sodium_memzero(k->keyid, sizeof k->keyid);
}

pc_rc tr_seckey_open(const uint8_t *file, size_t len, const char *what,
    const pc_secret *passphrase, tr_seckey *out, pc_err *e)
{
	tr_seckey_file f;
	uint8_t *plain = NULL, chk[32];
	pc_rc rc;
	size_t i;

	out->sk = NULL;
	PC_TRY_OUT(tr_seckey_parse(file, len, what, &f, e));
	plain = sodium_malloc(KEYNUM_SK_LEN);
	if (plain == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: cannot allocate secure memory", what);
	if ((rc = kdf_stream(plain, passphrase, f.salt, f.opslimit, f.memlimit, what, e)) != PC_OK)
		goto out;
	for (i = 0; i < KEYNUM_SK_LEN; i++)
		plain[i] ^= f.enc[i];
	seckey_chk(chk, plain);
	if (sodium_memcmp(chk, plain + TR_KEYID_LEN + 64, sizeof chk) != 0) {
		rc = pc_fail(e, PC_E_SIGNATURE, "%s: wrong passphrase (checksum mismatch)", what);
		goto out;
	}
	out->sk = sodium_malloc(64);
	if (out->sk == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "%s: cannot allocate secure memory", what);
		goto out;
	}
	memcpy(out->keyid, plain, TR_KEYID_LEN);
	memcpy(out->sk, plain + TR_KEYID_LEN, 64);
	rc = PC_OK;
out:
	sodium_free(plain);
	sodium_memzero(chk, sizeof chk);
	sodium_memzero(&f, sizeof f);
	return rc;
}

pc_rc tr_seckey_generate(const pc_secret *passphrase, const tr_kdf *kdf, pc_buf *file,
    tr_pubkey *pub, tr_seckey *out, pc_err *e)
{
	const tr_kdf cost = kdf != NULL ? *kdf : tr_kdf_default();
	/* raw = the whole SeckeyStruct; the plaintext part is secret until it
	 * has been XOR-encrypted, so all of it lives in sodium_malloc memory */
	uint8_t *raw = sodium_malloc(SK_STRUCT_LEN), *stream = sodium_malloc(KEYNUM_SK_LEN);
	uint8_t *keynum_sk, *salt;
	pc_rc rc;
	size_t i;

	out->sk = NULL;
	if ((rc = tr_kdf_check(&cost, e)) != PC_OK)
		goto out;
	if (raw == NULL || stream == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "cannot allocate secure memory");
		goto out;
	}
	memcpy(raw, "EdScB2", 6);
	salt = raw + 6;
	randombytes_buf(salt, 32);
	le64_store(raw + 38, cost.opslimit);
	le64_store(raw + 46, cost.memlimit);
	keynum_sk = raw + 54;
	randombytes_buf(keynum_sk, TR_KEYID_LEN);
	if (crypto_sign_keypair(pub->pk, keynum_sk + TR_KEYID_LEN) != 0) {
		rc = pc_fail(e, PC_E_INTERNAL, "Ed25519 key generation failed");
		goto out;
	}
	memcpy(pub->keyid, keynum_sk, TR_KEYID_LEN);
	seckey_chk(keynum_sk + TR_KEYID_LEN + 64, keynum_sk);
	out->sk = sodium_malloc(64);
	if (out->sk == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "cannot allocate secure memory");
		goto out;
	}
	memcpy(out->keyid, keynum_sk, TR_KEYID_LEN);
	memcpy(out->sk, keynum_sk + TR_KEYID_LEN, 64);
	if ((rc = kdf_stream(stream, passphrase, salt, cost.opslimit, cost.memlimit,
	    "new secret key", e)) != PC_OK)
		goto out;
	for (i = 0; i < KEYNUM_SK_LEN; i++)
		keynum_sk[i] ^= stream[i];
	pc_buf_str(file, UNTRUSTED_PREFIX "minisign encrypted secret key\n");
	tr_b64_append(file, raw, SK_STRUCT_LEN);
	pc_buf_byte(file, '\n');
	rc = pc_buf_ok(file) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
out:
	if (rc != PC_OK)
		tr_seckey_free(out);
	if (raw != NULL)
		sodium_free(raw);
	if (stream != NULL)
		sodium_free(stream);
	return rc;
}

pc_rc tr_seckey_sign(void *ctx, const uint8_t *msg, size_t len,
    uint8_t sig[TR_SIG_LEN], pc_err *e)
{
	const tr_seckey *k = ctx;

	if (k == NULL || k->sk == NULL)
		return pc_fail(e, PC_E_INTERNAL, "signing with a closed secret key");
	if (crypto_sign_detached(sig, NULL, msg, len, k->sk) != 0)
		return pc_fail(e, PC_E_INTERNAL, "Ed25519 signing failed");
	return PC_OK;
}

/* ---- signatures ---- */

pc_rc tr_minisig_make(const uint8_t *data, size_t len, const tr_pubkey *pub,
    const char *trusted_comment, tr_sign_fn sign, void *ctx, pc_buf *out,
    pc_err *e)
{
	uint8_t hash[TR_PREHASH_LEN];

	crypto_generichash(hash, sizeof hash, data, len, NULL, 0);
	return tr_minisig_make_prehashed(hash, pub, NULL, trusted_comment, sign, ctx, out, e);
}

_Static_assert(TR_PREHASH_LEN == crypto_generichash_BYTES_MAX, "BLAKE2b-512");

pc_rc tr_minisig_make_prehashed(const uint8_t hash[TR_PREHASH_LEN], const tr_pubkey *pub,
    const char *untrusted, const char *trusted_comment, tr_sign_fn sign, void *ctx,
    pc_buf *out, pc_err *e)
{
	uint8_t raw[SIG_STRUCT_LEN];
	uint8_t global[TR_SIG_LEN], *m;
	size_t tlen = strlen(trusted_comment);
	pc_rc rc;

	if (!comment_ok(trusted_comment, tlen) || strchr(trusted_comment, '\n') != NULL)
		return pc_fail(e, PC_E_USAGE, "trusted comment must be one line of at most "
		    "%d bytes", TR_COMMENT_MAX);
	if (untrusted != NULL && (!comment_ok(untrusted, strlen(untrusted)) ||
	    strchr(untrusted, '\n') != NULL))
		return pc_fail(e, PC_E_USAGE, "untrusted comment must be one line of at most "
		    "%d bytes", TR_COMMENT_MAX);
	memcpy(raw, "ED", 2);
	memcpy(raw + 2, pub->keyid, TR_KEYID_LEN);
	PC_TRY(sign(ctx, hash, TR_PREHASH_LEN, raw + 2 + TR_KEYID_LEN, e));
	if (!ed25519_ok(pub->pk, hash, TR_PREHASH_LEN, raw + 2 + TR_KEYID_LEN))
		return pc_fail(e, PC_E_SIGNATURE, "signer returned a signature that does not "
		    "verify with the public key");
	m = malloc(TR_SIG_LEN + tlen);
	if (m == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(m, raw + 2 + TR_KEYID_LEN, TR_SIG_LEN);
	memcpy(m + TR_SIG_LEN, trusted_comment, tlen);
	if ((rc = sign(ctx, m, TR_SIG_LEN + tlen, global, e)) != PC_OK) {
		free(m);
		return rc;
	}
	if (!ed25519_ok(pub->pk, m, TR_SIG_LEN + tlen, global)) {
		free(m);
		return pc_fail(e, PC_E_SIGNATURE, "signer returned a trusted-comment "
		    "signature that does not verify with the public key");
	}
	free(m);
	pc_buf_str(out, UNTRUSTED_PREFIX);
	pc_buf_str(out, untrusted ? untrusted : "signature from plantca");
	pc_buf_byte(out, '\n');
	tr_b64_append(out, raw, sizeof raw);
	pc_buf_str(out, "\n" TRUSTED_PREFIX);
	pc_buf_str(out, trusted_comment);
	pc_buf_byte(out, '\n');
	tr_b64_append(out, global, sizeof global);
	pc_buf_byte(out, '\n');
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc tr_minisig_verify(const uint8_t *sig, size_t siglen, const uint8_t *data,
    size_t len, const tr_pubkey *trusted, size_t ntrusted, const char *what,
    size_t *which, char *trusted_comment, pc_err *e)
{
	return tr_minisig_verify_hashed(sig, siglen, data, len, NULL, trusted, ntrusted, what, which,
	    trusted_comment, e);
}

pc_rc tr_minisig_verify_hashed(const uint8_t *sig, size_t siglen, const uint8_t *data,
    size_t len, const uint8_t *prehash, const tr_pubkey *trusted, size_t ntrusted,
    const char *what, size_t *which, char *trusted_comment, pc_err *e)
{
	pc_reader r = pc_reader_make(sig, siglen);
	const char *l1, *l2, *l3, *l4, *tc;
	size_t n1, n2, n3, n4, tclen, i, k;
	uint8_t raw[SIG_STRUCT_LEN], global[TR_SIG_LEN], hash[crypto_generichash_BYTES_MAX];
	uint8_t *m;
	char id[17];
	bool hashed;
	int bad;

	if (siglen > TR_MINISIG_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: signature file larger than %d bytes", what,
		    TR_MINISIG_MAX);
	if (!next_line(&r, &l1, &n1, false) || !next_line(&r, &l2, &n2, false) ||
	    !next_line(&r, &l3, &n3, false) || !next_line(&r, &l4, &n4, false) ||
	    pc_reader_left(&r) != 0)
		return pc_fail(e, PC_E_SIGNATURE, "%s: malformed signature file (want four "
		    "LF-terminated lines)", what);
	if (!has_prefix(l1, n1, UNTRUSTED_PREFIX) || !comment_ok(l1, n1))
		return pc_fail(e, PC_E_SIGNATURE, "%s: malformed signature file (untrusted "
		    "comment line)", what);
	if (!tr_b64_decode_exact(l2, n2, raw, sizeof raw))
		return pc_fail(e, PC_E_SIGNATURE, "%s: malformed signature (bad base64 or "
		    "wrong length)", what);
	if (memcmp(raw, "ED", 2) == 0)
		hashed = true;
	else if (memcmp(raw, "Ed", 2) == 0)
		hashed = false;
	else
		return pc_fail(e, PC_E_SIGNATURE, "%s: unsupported signature algorithm", what);
	if (!has_prefix(l3, n3, TRUSTED_PREFIX))
		return pc_fail(e, PC_E_SIGNATURE, "%s: malformed signature file (no trusted "
		    "comment line)", what);
	tc = l3 + strlen(TRUSTED_PREFIX);
	tclen = n3 - strlen(TRUSTED_PREFIX);
	if (!comment_ok(tc, tclen))
		return pc_fail(e, PC_E_SIGNATURE, "%s: trusted comment too long or not text",
		    what);
	if (!tr_b64_decode_exact(l4, n4, global, sizeof global))
		return pc_fail(e, PC_E_SIGNATURE, "%s: malformed trusted comment signature "
		    "(bad base64 or wrong length)", what);
	for (k = 0; k < ntrusted; k++)
		if (memcmp(trusted[k].keyid, raw + 2, TR_KEYID_LEN) == 0)
			break;
	if (k == ntrusted) {
		tr_keyid_text(raw + 2, id);
		return pc_fail(e, PC_E_SIGNATURE, "%s: signed by unknown key %s", what, id);
	}
	if (hashed) {
		if (prehash != NULL)
			memcpy(hash, prehash, sizeof hash);
		else
			crypto_generichash(hash, sizeof hash, data, len, NULL, 0);
		bad = !ed25519_ok(trusted[k].pk, hash, sizeof hash, raw + 2 + TR_KEYID_LEN);
	} else {
		bad = !ed25519_ok(trusted[k].pk, data, len, raw + 2 + TR_KEYID_LEN);
	}
	if (bad != 0)
		return pc_fail(e, PC_E_SIGNATURE, "%s: bad signature (data altered or signed "
		    "by another key)", what);
	m = malloc(TR_SIG_LEN + tclen + 1);
	if (m == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	memcpy(m, raw + 2 + TR_KEYID_LEN, TR_SIG_LEN);
	memcpy(m + TR_SIG_LEN, tc, tclen);
	bad = !ed25519_ok(trusted[k].pk, m, TR_SIG_LEN + tclen, global);
	free(m);
	if (bad != 0)
		return pc_fail(e, PC_E_SIGNATURE, "%s: bad trusted comment signature", what);
	for (i = 0; i < tclen; i++)
		trusted_comment[i] = tc[i];
	trusted_comment[tclen] = '\0';
	*which = k;
	return PC_OK;
}
