#include "hash.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

/* Fetched once: EVP_sha256() & co. would look the implementation up
 * again on every init (OpenSSL 3.0 "implicit fetch"). */
static EVP_MD *mds[4];
static pthread_once_t mds_once = PTHREAD_ONCE_INIT;

static void mds_fetch(void)
{
	mds[PKIX_SHA256] = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	mds[PKIX_SHA384] = EVP_MD_fetch(NULL, "SHA2-384", NULL);
	mds[PKIX_SHA512] = EVP_MD_fetch(NULL, "SHA2-512", NULL);
}

static const EVP_MD *md_of(pkix_hash h)
{
	pthread_once(&mds_once, mds_fetch);
	return h >= PKIX_SHA256 && h <= PKIX_SHA512 ? mds[h] : NULL;
}

size_t pkix_hash_len(pkix_hash h)
{
	switch (h) {
	case PKIX_SHA256: return 32;
	case PKIX_SHA384: return 48;
	case PKIX_SHA512: return 64;
	case PKIX_HASH_NONE: break;
	}
	return 0;
}

const char *pkix_hash_name(pkix_hash h)
{
	switch (h) {
	case PKIX_SHA256: return "sha256";
	case PKIX_SHA384: return "sha384";
	case PKIX_SHA512: return "sha512";
	case PKIX_HASH_NONE: break;
	}
	return "none";
}

pkix_oid pkix_hash_oid(pkix_hash h)
{
	switch (h) {
	case PKIX_SHA256: return PKIX_OID_SHA256;
	case PKIX_SHA384: return PKIX_OID_SHA384;
	case PKIX_SHA512: return PKIX_OID_SHA512;
	case PKIX_HASH_NONE: break;
	}
	return PKIX_OID_NONE;
}

/* SEQUENCE { OID } of each hash, built once from the OID table */
static uint8_t algid[4][16];
static size_t algid_len[4];
static pthread_once_t algid_once = PTHREAD_ONCE_INIT;

static void algid_build(void)
{
	pkix_hash h;

	for (h = PKIX_SHA256; h <= PKIX_SHA512; h++) {
		size_t ol;
		const uint8_t *o = pkix_oid_bytes(pkix_hash_oid(h), &ol);
		algid[h][0] = 0x30;                  /* SEQUENCE */
		algid[h][1] = (uint8_t)(2 + ol);
		algid[h][2] = 0x06;                  /* OBJECT IDENTIFIER */
		algid[h][3] = (uint8_t)ol;
		memcpy(algid[h] + 4, o, ol);
		algid_len[h] = 4 + ol;
	}
}

const uint8_t *pkix_hash_algid(pkix_hash h, size_t *len)
{
	if (h < PKIX_SHA256 || h > PKIX_SHA512) {
		*len = 0;
		return NULL;
	}
	pthread_once(&algid_once, algid_build);
	*len = algid_len[h];
	return algid[h];
}

pkix_hash pkix_hash_by_oid(pkix_oid o)
{
	switch (o) {
	case PKIX_OID_SHA256: return PKIX_SHA256;
	case PKIX_OID_SHA384: return PKIX_SHA384;
	case PKIX_OID_SHA512: return PKIX_SHA512;
	default: return PKIX_HASH_NONE;
	}
}

pc_rc pkix_hash_init(pkix_hash_ctx *c, pkix_hash h, pc_err *e)
{
	const EVP_MD *md = md_of(h);
	EVP_MD_CTX *x;

	c->h = h;
	c->md = NULL;
	if (md == NULL)
		return pc_fail(e, PC_E_CRYPTO, "hash %s is not available", pkix_hash_name(h));
	if ((x = EVP_MD_CTX_new()) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if (EVP_DigestInit_ex(x, md, NULL) != 1) {
		EVP_MD_CTX_free(x);
		return pc_fail(e, PC_E_CRYPTO, "cannot start %s", pkix_hash_name(h));
	}
	c->md = x;
	return PC_OK;
}

void pkix_hash_update(pkix_hash_ctx *c, const void *p, size_t n)
{
	/* EVP_DigestUpdate fails only on a context that was never set up,
	 * which final reports */
	if (c->md != NULL && n > 0 && EVP_DigestUpdate(c->md, p, n) != 1) {
		EVP_MD_CTX_free(c->md);
		c->md = NULL;
	}
}

pc_rc pkix_hash_final(pkix_hash_ctx *c, uint8_t *out, pc_err *e)
{
	unsigned n = 0;
	int ok = c->md != NULL && EVP_DigestFinal_ex(c->md, out, &n) == 1 &&
	    n == pkix_hash_len(c->h);

	pkix_hash_abort(c);
	return ok ? PC_OK : pc_fail(e, PC_E_CRYPTO, "%s failed", pkix_hash_name(c->h));
}

void pkix_hash_abort(pkix_hash_ctx *c)
{
	EVP_MD_CTX_free(c->md);
	c->md = NULL;
}

pc_rc pkix_hash_once(pkix_hash h, const void *p, size_t n, uint8_t *out, pc_err *e)
{
	const EVP_MD *md = md_of(h);
	unsigned got = 0;

	if (md == NULL || EVP_Digest(p, n, out, &got, md, NULL) != 1 || got != pkix_hash_len(h))
		return pc_fail(e, PC_E_CRYPTO, "%s failed", pkix_hash_name(h));
	return PC_OK;
}
