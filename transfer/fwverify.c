/*
 * fwverify.c - reading and checking firmware signatures (see fwverify.h).
 *
 * Every byte of the signature, the certificates and the CRLs goes through
 * the bounded DER reader (common/der.h); wolfSSL and libsodium are used
 * only for hashes and signature arithmetic, never to parse.
 */
#include "fwverify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/hash.h>
#include <wolfssl/wolfcrypt/rsa.h>
#include <wolfssl/wolfcrypt/sha256.h>
#include <wolfssl/wolfcrypt/sha512.h>

#include "der.h"
#include "file.h"
#include "pem.h"

/* OID contents (no tag, no length) */
#define OID_SIGNED_DATA  "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"      /* 1.2.840.113549.1.7.2 */
#define OID_DATA         "\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01"      /* 1.2.840.113549.1.7.1 */
#define OID_CONTENT_TYPE "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x03"      /* 1.2.840.113549.1.9.3 */
#define OID_MSG_DIGEST   "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x04"      /* 1.2.840.113549.1.9.4 */
#define OID_SIGNING_TIME "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x05"      /* 1.2.840.113549.1.9.5 */
#define OID_FW_PKG_ID    "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x02\x23" /* ...9.16.2.35 */
#define OID_FW_TARGETS   "\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x02\x24" /* ...9.16.2.36 */
#define OID_SHA256       "\x60\x86\x48\x01\x65\x03\x04\x02\x01"
#define OID_SHA384       "\x60\x86\x48\x01\x65\x03\x04\x02\x02"
#define OID_SHA512       "\x60\x86\x48\x01\x65\x03\x04\x02\x03"
#define OID_ECDSA_SHA256 "\x2a\x86\x48\xce\x3d\x04\x03\x02"
#define OID_ECDSA_SHA384 "\x2a\x86\x48\xce\x3d\x04\x03\x03"
#define OID_ECDSA_SHA512 "\x2a\x86\x48\xce\x3d\x04\x03\x04"
#define OID_ED25519      "\x2b\x65\x70"
#define OID_RSA          "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01"
#define OID_RSA_SHA256   "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b"
#define OID_RSA_SHA384   "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0c"
#define OID_RSA_SHA512   "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0d"
#define OID_EC_PUBKEY    "\x2a\x86\x48\xce\x3d\x02\x01"
#define OID_P256         "\x2a\x86\x48\xce\x3d\x03\x01\x07"
#define OID_P384         "\x2b\x81\x04\x00\x22"
#define OID_CN           "\x55\x04\x03"
#define OID_EXT_SKI      "\x55\x1d\x0e"
#define OID_EXT_KU       "\x55\x1d\x0f"
#define OID_EXT_SAN      "\x55\x1d\x11"
#define OID_EXT_BC       "\x55\x1d\x13"
#define OID_EXT_CRL_NUM  "\x55\x1d\x14"
#define OID_EXT_REASON   "\x55\x1d\x15"
#define OID_EXT_INV_DATE "\x55\x1d\x18"
#define OID_EXT_NC       "\x55\x1d\x1e"
#define OID_EXT_POLICIES "\x55\x1d\x20"
#define OID_EXT_AKI      "\x55\x1d\x23"
#define OID_EXT_EKU      "\x55\x1d\x25"
#define OID_EKU_ANY      "\x55\x1d\x25\x00"
#define OID_EKU_CODESIGN "\x2b\x06\x01\x05\x05\x07\x03\x03"          /* 1.3.6.1.5.5.7.3.3 */
#define OID(o) (const uint8_t *)(o), (sizeof(o) - 1)

/* FW_PKGS_OID_TEXT in DER: 2*40+25, then the arc in base 128 */
const uint8_t fw_pkgs_oid[] = { 0x69, 0xc9, 0xb9, 0xde, 0x9f, 0xff, 0x9d, 0xea, 0xd5, 0x20 };
const size_t fw_pkgs_oid_len = sizeof fw_pkgs_oid;

enum { RSA_MAX_BYTES = 512, RSA_MIN_BITS = 2048 };

/* keyUsage bits as numbered in RFC 5280 §4.2.1.3 */
enum { KU_DIGITAL_SIGNATURE = 0, KU_KEY_CERT_SIGN = 5, KU_CRL_SIGN = 6 };

static bool oid_is(pc_reader oid, const uint8_t *want, size_t n)
{
	return pc_reader_left(&oid) == n && memcmp(oid.p + oid.off, want, n) == 0;
}

static const uint8_t *rd_ptr(const pc_reader *r)
{
	return r->p + r->off;
}

/* Read one TLV with tag `tag`, giving the whole encoding too. */
static bool read_whole(pc_reader *r, uint8_t tag, pc_reader *c, const uint8_t **w, size_t *wl)
{
	uint8_t t;

	if (pc_reader_peek(r) != tag) {
		r->failed = true;
		return false;
	}
	return pc_der_read_any(r, &t, c, w, wl);
}

/* ------------------------------------------------------------ hashes */

size_t fw_hash_len(fw_hash h)
{
	switch (h) {
	case FW_SHA256: return 32;
	case FW_SHA384: return 48;
	case FW_SHA512: return 64;
	}
	return 0;
}

const char *fw_hash_name(fw_hash h)
{
	switch (h) {
	case FW_SHA256: return "sha256";
	case FW_SHA384: return "sha384";
	case FW_SHA512: return "sha512";
	}
	return "?";
}

const uint8_t *fw_hash_algid(fw_hash h, size_t *len)
{
	/* SEQUENCE { OID } with parameters absent (RFC 5754 §2) */
	static const uint8_t s256[] = { 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
		0x04, 0x02, 0x01 };
	static const uint8_t s384[] = { 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
		0x04, 0x02, 0x02 };
	static const uint8_t s512[] = { 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
		0x04, 0x02, 0x03 };

	*len = sizeof s256;
	switch (h) {
	case FW_SHA256: return s256;
	case FW_SHA384: return s384;
	case FW_SHA512: return s512;
	}
	*len = 0;
	return NULL;
}

/* One-shot hash of bytes in memory. */
static bool hash_mem(fw_hash h, const uint8_t *p, size_t n, uint8_t *out)
{
	switch (h) {
	case FW_SHA256: return wc_Sha256Hash(p, (word32)n, out) == 0;
	case FW_SHA384: return wc_Sha384Hash(p, (word32)n, out) == 0;
	case FW_SHA512: return wc_Sha512Hash(p, (word32)n, out) == 0;
	}
	return false;
}


/* SHA-256 with the x86 SHA extensions (SHA-NI), chosen at run time when the
 * CPU has them.  Neither Debian's wolfSSL (no USE_INTEL_SPEEDUP) nor
 * libsodium uses them, and both run at a fraction of `openssl dgst`'s speed
 * on such CPUs; hashing a firmware image is the whole cost of signing it.
 * The round structure is Intel's (sha256rnds2 does two rounds on the
 * ABEF/CDGH halves of the state); the unit test and fuzz seeds compare it
 * with libsodium on many lengths, and OpenSSL checks every signature. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>

static const uint32_t sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

bool fw_sha256_ni_available(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return false;
	if (__get_cpuid_max(0, NULL) < 7)
		return false;
	__cpuid_count(7, 0, a, b, c, d);
	return (b & (1u << 29)) != 0;     /* CPUID.(EAX=7,ECX=0):EBX.SHA[bit 29] */
}

__attribute__((target("sha,sse4.1,ssse3")))
static void sha256_ni_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
	const __m128i mask = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i s0, s1, tmp, msg, x[4], abef, cdgh;
	unsigned g;

	tmp = _mm_loadu_si128((const __m128i *)(const void *)&st[0]);
	s1 = _mm_loadu_si128((const __m128i *)(const void *)&st[4]);
	tmp = _mm_shuffle_epi32(tmp, 0xb1);          /* CDAB */
	s1 = _mm_shuffle_epi32(s1, 0x1b);            /* EFGH */
	s0 = _mm_alignr_epi8(tmp, s1, 8);            /* ABEF */
	s1 = _mm_blend_epi16(s1, tmp, 0xf0);         /* CDGH */
	for (; nblocks > 0; nblocks--, p += 64) {
		abef = s0;
		cdgh = s1;
		for (g = 0; g < 16; g++) {
			if (g < 4) {
				x[g] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(const void *)
				    (p + 16 * g)), mask);
			} else {
				/* W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16] */
				__m128i t = _mm_sha256msg1_epu32(x[g & 3], x[(g + 1) & 3]);
				t = _mm_add_epi32(t, _mm_alignr_epi8(x[(g + 3) & 3], x[(g + 2) & 3], 4));
				x[g & 3] = _mm_sha256msg2_epu32(t, x[(g + 3) & 3]);
			}
			msg = _mm_add_epi32(x[g & 3], _mm_loadu_si128((const __m128i *)(const void *)
			    &sha256_k[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, msg);
			msg = _mm_shuffle_epi32(msg, 0x0e);
			s0 = _mm_sha256rnds2_epu32(s0, s1, msg);
		}
		s0 = _mm_add_epi32(s0, abef);
		s1 = _mm_add_epi32(s1, cdgh);
	}
	tmp = _mm_shuffle_epi32(s0, 0x1b);           /* FEBA */
	s1 = _mm_shuffle_epi32(s1, 0xb1);            /* DCHG */
	s0 = _mm_blend_epi16(tmp, s1, 0xf0);         /* DCBA */
	s1 = _mm_alignr_epi8(s1, tmp, 8);            /* HGFE */
	_mm_storeu_si128((__m128i *)(void *)&st[0], s0);
	_mm_storeu_si128((__m128i *)(void *)&st[4], s1);
}
#else
bool fw_sha256_ni_available(void)
{
	return false;
}

static void sha256_ni_blocks(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
	(void)st; (void)p; (void)nblocks;
	abort();
}
#endif

void fw_sha256_ni_init(fw_sha256_ni *c)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f,
		0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };

	memcpy(c->st, iv, sizeof iv);
	c->total = 0;
	c->used = 0;
}

void fw_sha256_ni_update(fw_sha256_ni *c, const uint8_t *p, size_t n)
{
	c->total += n;
	if (c->used) {
		size_t take = 64 - c->used < n ? 64 - c->used : n;
		memcpy(c->buf + c->used, p, take);
		c->used += take;
		p += take;
		n -= take;
		if (c->used < 64)
			return;
		sha256_ni_blocks(c->st, c->buf, 1);
		c->used = 0;
	}
	if (n >= 64) {
		sha256_ni_blocks(c->st, p, n / 64);
		p += n - n % 64;
		n %= 64;
	}
	memcpy(c->buf, p, n);
	c->used = n;
}

void fw_sha256_ni_final(fw_sha256_ni *c, uint8_t out[32])
{
	uint64_t bits = c->total * 8;
	unsigned i;

	/* FIPS 180-4 §5.1.1: 0x80, zeros, 64-bit big-endian bit length */
	c->buf[c->used++] = 0x80;
	if (c->used > 56) {
		memset(c->buf + c->used, 0, 64 - c->used);
		sha256_ni_blocks(c->st, c->buf, 1);
		c->used = 0;
	}
	memset(c->buf + c->used, 0, 56 - c->used);
	for (i = 0; i < 8; i++)
		c->buf[56 + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_ni_blocks(c->st, c->buf, 1);
	for (i = 0; i < 8; i++) {
		out[4 * i] = (uint8_t)(c->st[i] >> 24);
		out[4 * i + 1] = (uint8_t)(c->st[i] >> 16);
		out[4 * i + 2] = (uint8_t)(c->st[i] >> 8);
		out[4 * i + 3] = (uint8_t)c->st[i];
	}
	sodium_memzero(c, sizeof *c);
}

/* Streaming: SHA-NI SHA-256 when the CPU has it, else libsodium's SHA-256/SHA-512 where it has them, wolfSSL's
 * SHA-384 (libsodium has none).  Both libraries are portable C in Debian
 * 12 (wolfSSL is built without USE_INTEL_SPEEDUP), see scripts/bench-firmware. */
typedef struct fw_hctx {
	fw_hash h;
	bool ni;
	union {
		fw_sha256_ni ni256;
		crypto_hash_sha256_state s256;
		crypto_hash_sha512_state s512;
		wc_Sha384 s384;
	} u;
} fw_hctx;

static bool hctx_init(fw_hctx *x, fw_hash h)
{
	x->h = h;
	x->ni = h == FW_SHA256 && fw_sha256_ni_available() && getenv("PLANTCA_NO_SHA_NI") == NULL;
	if (x->ni) {
		fw_sha256_ni_init(&x->u.ni256);
		return true;
	}
	switch (h) {
	case FW_SHA256: return crypto_hash_sha256_init(&x->u.s256) == 0;
	case FW_SHA512: return crypto_hash_sha512_init(&x->u.s512) == 0;
	case FW_SHA384: return wc_InitSha384(&x->u.s384) == 0;
	}
	return false;
}

static bool hctx_update(fw_hctx *x, const uint8_t *p, size_t n)
{
	if (x->ni) {
		fw_sha256_ni_update(&x->u.ni256, p, n);
		return true;
	}
	switch (x->h) {
	case FW_SHA256: return crypto_hash_sha256_update(&x->u.s256, p, n) == 0;
	case FW_SHA512: return crypto_hash_sha512_update(&x->u.s512, p, n) == 0;
	case FW_SHA384: return wc_Sha384Update(&x->u.s384, p, (word32)n) == 0;
	}
	return false;
}

static bool hctx_final(fw_hctx *x, uint8_t *out)
{
	bool ok = false;

	if (x->ni) {
		fw_sha256_ni_final(&x->u.ni256, out);
		return true;
	}
	switch (x->h) {
	case FW_SHA256: ok = crypto_hash_sha256_final(&x->u.s256, out) == 0; break;
	case FW_SHA512: ok = crypto_hash_sha512_final(&x->u.s512, out) == 0; break;
	case FW_SHA384:
		ok = wc_Sha384Final(&x->u.s384, out) == 0;
		wc_Sha384Free(&x->u.s384);
		break;
	}
	return ok;
}

pc_rc fw_digest_file(const char *path, fw_hash h, uint8_t out[FW_DIGEST_MAX],
    uint8_t b2[64], uint64_t *size, pc_err *e)
{
	crypto_generichash_state g;
	fw_hctx x;
	struct stat st;
	uint8_t *buf;
	uint64_t total = 0;
	ssize_t n;
	int fd;
	pc_rc rc = PC_OK;

	if (sodium_init() < 0)
		return pc_fail(e, PC_E_INTERNAL, "libsodium failed to initialise");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pc_fail(e, PC_E_IO, "%s: not a regular file", path);
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = malloc(FW_CHUNK);
	if (buf == NULL) {
		close(fd);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (!hctx_init(&x, h) || (b2 && crypto_generichash_init(&g, NULL, 0, 64) != 0)) {
		rc = pc_fail(e, PC_E_CRYPTO, "%s: hash initialisation failed", path);
		goto out;
	}
	for (;;) {
		n = read(fd, buf, FW_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pc_fail(e, PC_E_IO, "%s: read: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		if (!hctx_update(&x, buf, (size_t)n) ||
		    (b2 && crypto_generichash_update(&g, buf, (size_t)n) != 0)) {
			rc = pc_fail(e, PC_E_CRYPTO, "%s: hashing failed", path);
			break;
		}
		total += (uint64_t)n;
	}
	if (rc == PC_OK && (!hctx_final(&x, out) || (b2 && crypto_generichash_final(&g, b2, 64) != 0)))
		rc = pc_fail(e, PC_E_CRYPTO, "%s: hashing failed", path);
	if (rc == PC_OK && size)
		*size = total;
out:
	free(buf);
	close(fd);
	return rc;
}

/* ----------------------------------------------------------- versions */

pc_rc fw_version_parse(const char *text, fw_version *v, pc_err *e)
{
	const char *p = text;

	memset(v, 0, sizeof *v);
	if (text == NULL || *text == '\0')
		return pc_fail(e, PC_E_INPUT, "version is empty");
	if (strlen(text) > FW_VERSION_TEXT_MAX)
		return pc_fail(e, PC_E_INPUT, "version '%.40s...' is too long", text);
	for (;;) {
		unsigned long n = 0;
		const char *start = p;

		if (v->nparts == FW_VERSION_PARTS)
			return pc_fail(e, PC_E_INPUT, "version '%s': more than %d numbers", text,
			    FW_VERSION_PARTS);
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned long)(*p - '0');
			if (n > 65535)
				return pc_fail(e, PC_E_INPUT, "version '%s': a number is above 65535", text);
			p++;
		}
		if (p == start || (p - start > 1 && *start == '0'))
			return pc_fail(e, PC_E_INPUT, "version '%s': expected dotted numbers like 1.3.0 "
			    "(no leading zeros)", text);
		v->part[v->nparts++] = (unsigned)n;
		if (*p == '\0')
			return PC_OK;
		if (*p != '.')
			return pc_fail(e, PC_E_INPUT, "version '%s': expected dotted numbers like 1.3.0",
			    text);
		p++;
	}
}

int fw_version_cmp(const fw_version *a, const fw_version *b)
{
	unsigned i;

	for (i = 0; i < FW_VERSION_PARTS; i++) {
		unsigned x = i < a->nparts ? a->part[i] : 0, y = i < b->nparts ? b->part[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* --------------------------------------------------------- the CMS */

static pc_rc bad(pc_err *e, const char *why)
{
	return pc_fail(e, PC_E_INPUT, "malformed signature: %s", why);
}

static bool read_hash_algid(pc_reader *r, fw_hash *h)
{
	pc_reader a, oid, nul;
	bool present;

	if (!pc_der_read(r, DER_SEQUENCE, &a) || !pc_der_read(&a, DER_OID, &oid))
		return false;
	/* parameters absent (RFC 5754 §2), NULL tolerated as RFC 5754 asks */
	if (!pc_der_read_opt(&a, DER_NULL, &nul, &present) || (present && pc_reader_left(&nul)) ||
	    !pc_reader_done(&a))
		return false;
	if (oid_is(oid, OID(OID_SHA256)))
		*h = FW_SHA256;
	else if (oid_is(oid, OID(OID_SHA384)))
		*h = FW_SHA384;
	else if (oid_is(oid, OID(OID_SHA512)))
		*h = FW_SHA512;
	else
		return false;
	return true;
}

static bool printable_ascii(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/* FirmwarePackageIdentifier ::= SEQUENCE {
 *   name PreferredOrLegacyPackageIdentifier,
 *   stale PreferredOrLegacyStalePackageIdentifier OPTIONAL }   RFC 4108 §2.2.3
 * We accept only name = legacy OCTET STRING "PACKAGE:VERSION", no stale. */
static pc_rc parse_pkg_id(pc_reader v, fw_cms *out, pc_err *e)
{
	pc_reader s, os;
	const uint8_t *p, *colon;
	size_t n, pl;

	if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v))
		return bad(e, "firmware package identifier is not a SEQUENCE");
	if (pc_reader_peek(&s) == DER_SEQUENCE)
		return bad(e, "firmware package identifier in the preferred (OID) form: "
		    "plantca signs and reads the legacy \"PACKAGE:VERSION\" form");
	if (!pc_der_read(&s, DER_OCTET_STRING, &os))
		return bad(e, "firmware package identifier: name is not an OCTET STRING");
	if (!pc_reader_done(&s))
		return bad(e, "firmware package identifier: 'stale' is not supported");
	n = pc_reader_left(&os);
	p = pc_reader_take(&os, n);
	if (p == NULL || n == 0 || !printable_ascii(p, n))
		return bad(e, "firmware package identifier is empty or not printable ASCII");
	colon = memchr(p, ':', n);
	if (colon == NULL)
		return bad(e, "firmware package identifier lacks ':' between package and version");
	pl = (size_t)(colon - p);
	if (pl == 0 || pl > FW_PKG_MAX || n - pl - 1 > FW_VERSION_TEXT_MAX)
		return bad(e, "firmware package identifier: package or version too long or empty");
	memcpy(out->package, p, pl);
	out->package[pl] = '\0';
	memcpy(out->version_text, colon + 1, n - pl - 1);
	out->version_text[n - pl - 1] = '\0';
	if (fw_version_parse(out->version_text, &out->version, e) != PC_OK)
		return pc_wrap(e, "malformed signature: firmware package identifier");
	return PC_OK;
}

/* TargetHardwareIdentifiers ::= SEQUENCE OF OBJECT IDENTIFIER  RFC 4108 §2.2.4 */
static pc_rc parse_targets(pc_reader v, fw_cms *out, pc_err *e)
{
	pc_reader s, oid;

	if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v))
		return bad(e, "target hardware identifiers are not a SEQUENCE");
	while (pc_reader_left(&s)) {
		if (out->ntargets == FW_TARGETS_MAX)
			return pc_fail(e, PC_E_LIMIT, "signature lists more than %d targets",
			    FW_TARGETS_MAX);
		if (!pc_der_read(&s, DER_OID, &oid) ||
		    !pc_oid_to_text(rd_ptr(&oid), pc_reader_left(&oid), out->targets[out->ntargets],
		    FW_OID_TEXT_MAX))
			return bad(e, "a target hardware identifier is not an OID");
		out->ntargets++;
	}
	if (out->ntargets == 0)
		return bad(e, "empty target hardware identifiers");
	return PC_OK;
}

enum { SEEN_CT = 1, SEEN_MD = 2, SEEN_ST = 4, SEEN_PKG = 8, SEEN_TGT = 16 };

static pc_rc parse_attrs(pc_reader r, fw_cms *out, pc_err *e)
{
	unsigned seen = 0;

	while (pc_reader_left(&r)) {
		pc_reader a, oid, set, v, tmp;
		unsigned bit;
		uint8_t tag;

		/* Attribute ::= SEQUENCE { attrType OID, attrValues SET OF } with
		 * exactly one value for each of ours (RFC 5652 §11, RFC 4108 §2) */
		if (!pc_der_read(&r, DER_SEQUENCE, &a) || !pc_der_read(&a, DER_OID, &oid) ||
		    !pc_der_read(&a, DER_SET, &set) || !pc_reader_done(&a))
			return bad(e, "a signed attribute is not SEQUENCE { OID, SET }");
		v = set;
		if (!pc_der_read_any(&set, &tag, &tmp, NULL, NULL) || !pc_reader_done(&set))
			return bad(e, "a signed attribute does not have exactly one value");
		if (oid_is(oid, OID(OID_CONTENT_TYPE))) {
			bit = SEEN_CT;
			if (!pc_der_read(&v, DER_OID, &tmp) || !oid_is(tmp, OID(OID_DATA)))
				return bad(e, "content type is not id-data");
		} else if (oid_is(oid, OID(OID_MSG_DIGEST))) {
			bit = SEEN_MD;
			if (!pc_der_read(&v, DER_OCTET_STRING, &tmp))
				return bad(e, "message digest is not an OCTET STRING");
			out->digest_len = pc_reader_left(&tmp);
			out->digest = rd_ptr(&tmp);
		} else if (oid_is(oid, OID(OID_SIGNING_TIME))) {
			bit = SEEN_ST;
			if (!pc_der_read_any(&v, &tag, &tmp, NULL, NULL) ||
			    !pc_der_parse_time(tag, tmp, &out->signing_time))
				return bad(e, "signing time is not a UTCTime/GeneralizedTime");
		} else if (oid_is(oid, OID(OID_FW_PKG_ID))) {
			bit = SEEN_PKG;
			PC_TRY(parse_pkg_id(v, out, e));
		} else if (oid_is(oid, OID(OID_FW_TARGETS))) {
			bit = SEEN_TGT;
			PC_TRY(parse_targets(v, out, e));
		} else {
			char t[FW_OID_TEXT_MAX] = "?";
			(void)pc_oid_to_text(rd_ptr(&oid), pc_reader_left(&oid), t, sizeof t);
			return pc_fail(e, PC_E_INPUT, "malformed signature: unknown signed attribute %s", t);
		}
		if (seen & bit)
			return bad(e, "a signed attribute appears twice");
		seen |= bit;
	}
	if (!pc_reader_done(&r))
		return bad(e, "signed attributes are truncated");
	/* RFC 5652 §5.3: contentType and messageDigest MUST be present; the
	 * package identifier is what makes this a firmware signature. */
	if (!(seen & SEEN_CT) || !(seen & SEEN_MD))
		return bad(e, "content type or message digest attribute missing");
	if (!(seen & SEEN_PKG))
		return bad(e, "no firmware package identifier (RFC 4108 §2.2.3): not a firmware signature");
	if (!(seen & SEEN_ST))
		return bad(e, "no signing time");
	return PC_OK;
}

pc_rc fw_cms_parse(const uint8_t *der, size_t len, fw_cms *out, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), ci, oid, sd, sdx, v, set, eci, certs, sis, si,
	    sid, tmp;
	fw_hash dh = FW_SHA256, sh;
	bool present, have_dh = false;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;

	memset(out, 0, sizeof *out);
	if (der == NULL || len == 0)
		return bad(e, "empty");
	if (len > FW_SIG_MAX)
		return pc_fail(e, PC_E_LIMIT, "signature is larger than %d bytes", FW_SIG_MAX);
	/* ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content } §3 */
	if (!pc_der_read(&r, DER_SEQUENCE, &ci) || !pc_reader_done(&r))
		return bad(e, "not one DER SEQUENCE (PEM or trailing bytes?)");
	if (!pc_der_read(&ci, DER_OID, &oid) || !oid_is(oid, OID(OID_SIGNED_DATA)))
		return bad(e, "not a CMS SignedData");
	if (!pc_der_read(&ci, DER_CTX_CONS | 0, &sdx) || !pc_reader_done(&ci) ||
	    !pc_der_read(&sdx, DER_SEQUENCE, &sd) || !pc_reader_done(&sdx))
		return bad(e, "SignedData is not wrapped as [0] SEQUENCE");
	/* SignedData §5.1: version 1 (issuerAndSerialNumber, id-data, no
	 * attribute certificates) */
	if (!pc_der_read(&sd, DER_INTEGER, &v) || pc_reader_left(&v) != 1 || rd_ptr(&v)[0] != 1)
		return bad(e, "SignedData version is not 1");
	if (!pc_der_read(&sd, DER_SET, &set))
		return bad(e, "digestAlgorithms missing");
	while (pc_reader_left(&set)) {
		fw_hash h;
		if (!read_hash_algid(&set, &h))
			return bad(e, "unsupported digest algorithm (sha256, sha384, sha512 only)");
		if (have_dh)
			return bad(e, "more than one digest algorithm");
		dh = h;
		have_dh = true;
	}
	if (!have_dh)
		return bad(e, "no digest algorithm");
	/* EncapsulatedContentInfo ::= SEQUENCE { eContentType, [0] eContent OPTIONAL } */
	if (!pc_der_read(&sd, DER_SEQUENCE, &eci) || !pc_der_read(&eci, DER_OID, &oid) ||
	    !oid_is(oid, OID(OID_DATA)))
		return bad(e, "encapsulated content type is not id-data");
	if (!pc_reader_done(&eci))
		return bad(e, "content is embedded; firmware signatures are detached");
	if (!pc_der_read_opt(&sd, DER_CTX_CONS | 0, &certs, &present) || !present)
		return bad(e, "no certificates (the signer's chain must be included)");
	while (pc_reader_left(&certs)) {
		if (out->ncerts == FW_CERTS_MAX)
			return pc_fail(e, PC_E_LIMIT, "signature carries more than %d certificates",
			    FW_CERTS_MAX);
		if (!read_whole(&certs, DER_SEQUENCE, &tmp, &w, &wl))
			return bad(e, "a certificate is not a SEQUENCE");
		out->certs[out->ncerts] = w;
		out->cert_len[out->ncerts++] = wl;
	}
	if (pc_reader_peek(&sd) == (DER_CTX_CONS | 1))
		return bad(e, "CRLs inside the signature are not supported; pass them with --crl");
	if (!pc_der_read(&sd, DER_SET, &sis) || !pc_reader_done(&sd))
		return bad(e, "signerInfos missing or followed by other data");
	/* SignerInfo §5.3 */
	if (!pc_der_read(&sis, DER_SEQUENCE, &si))
		return bad(e, "no SignerInfo");
	if (!pc_reader_done(&sis))
		return bad(e, "more than one SignerInfo");
	if (!pc_der_read(&si, DER_INTEGER, &v) || pc_reader_left(&v) != 1 || rd_ptr(&v)[0] != 1)
		return bad(e, "SignerInfo version is not 1 (issuerAndSerialNumber)");
	if (!pc_der_read(&si, DER_SEQUENCE, &sid) ||
	    !read_whole(&sid, DER_SEQUENCE, &tmp, &out->sid_issuer, &out->sid_issuer_len) ||
	    !pc_der_read(&sid, DER_INTEGER, &tmp) || !pc_reader_done(&sid) ||
	    pc_reader_left(&tmp) == 0)
		return bad(e, "signer identifier is not issuerAndSerialNumber");
	out->sid_serial = rd_ptr(&tmp);
	out->sid_serial_len = pc_reader_left(&tmp);
	if (!read_hash_algid(&si, &sh) || sh != dh)
		return bad(e, "signer's digest algorithm differs from digestAlgorithms");
	out->hash = dh;
	if (!pc_der_read(&si, DER_CTX_CONS | 0, &tmp))
		return bad(e, "no signed attributes");
	out->attrs = rd_ptr(&tmp);
	out->attrs_len = pc_reader_left(&tmp);
	PC_TRY(parse_attrs(tmp, out, e));
	if (!read_whole(&si, DER_SEQUENCE, &tmp, &out->sigalg, &out->sigalg_len))
		return bad(e, "signature algorithm missing");
	if (!pc_der_read(&si, DER_OCTET_STRING, &tmp) || pc_reader_left(&tmp) == 0)
		return bad(e, "signature value missing");
	out->sig = rd_ptr(&tmp);
	out->sig_len = pc_reader_left(&tmp);
	(void)pc_der_read_opt(&si, DER_CTX_CONS | 1, &tmp, &present);   /* unsigned attrs: ignored */
	if (!pc_reader_done(&si))
		return bad(e, "SignerInfo has trailing data");
	(void)tag;
	if (out->digest_len != fw_hash_len(dh))
		return bad(e, "message digest length does not match the digest algorithm");
	return PC_OK;
}

/* ------------------------------------------------- signature checks */

static bool read_uint(pc_reader *r, size_t max, const uint8_t **p, size_t *n)
{
	pc_reader c;
	size_t len;
	const uint8_t *v;

	if (!pc_der_read(r, DER_INTEGER, &c))
		return false;
	len = pc_reader_left(&c);
	v = pc_reader_take(&c, len);
	if (v == NULL || len == 0 || (v[0] & 0x80))
		return false;
	if (len > 1 && v[0] == 0x00 && !(v[1] & 0x80))
		return false;
	if (v[0] == 0x00 && len > 1) {
		v++;
		len--;
	}
	if (len > max)
		return false;
	*p = v;
	*n = len;
	return true;
}

typedef enum sig_scheme { SCH_ECDSA = 1, SCH_ED25519, SCH_RSA } sig_scheme;

/* Verify sig over msg with the key in `spki`, by the AlgorithmIdentifier
 * `algid` (whole TLV).  PC_E_SIGNATURE on a bad signature. */
static pc_rc verify_sig(const uint8_t *spki, size_t spki_len, const uint8_t *algid,
    size_t algid_len, const uint8_t *msg, size_t len, const uint8_t *sig, size_t sig_len,
    pc_err *e)
{
	pc_reader r = pc_reader_make(algid, algid_len), a, oid, k, ka, koid, bits, params;
	sig_scheme sch;
	fw_hash h = FW_SHA256;
	uint8_t hash[FW_DIGEST_MAX], unused = 0xff;
	bool present;
	const uint8_t *pt;
	size_t ptlen;

	if (!pc_der_read(&r, DER_SEQUENCE, &a) || !pc_reader_done(&r) ||
	    !pc_der_read(&a, DER_OID, &oid))
		return pc_fail(e, PC_E_INPUT, "malformed signature algorithm");
	if (oid_is(oid, OID(OID_ECDSA_SHA256)) || oid_is(oid, OID(OID_ECDSA_SHA384)) ||
	    oid_is(oid, OID(OID_ECDSA_SHA512))) {
		sch = SCH_ECDSA;
		h = oid_is(oid, OID(OID_ECDSA_SHA256)) ? FW_SHA256 :
		    oid_is(oid, OID(OID_ECDSA_SHA384)) ? FW_SHA384 : FW_SHA512;
		if (!pc_reader_done(&a))     /* RFC 5758 §3.2: parameters absent */
			return pc_fail(e, PC_E_INPUT, "ECDSA signature algorithm with parameters");
	} else if (oid_is(oid, OID(OID_ED25519))) {
		sch = SCH_ED25519;
		if (!pc_reader_done(&a))     /* RFC 8410 §3 */
			return pc_fail(e, PC_E_INPUT, "Ed25519 signature algorithm with parameters");
	} else if (oid_is(oid, OID(OID_RSA_SHA256)) || oid_is(oid, OID(OID_RSA_SHA384)) ||
	    oid_is(oid, OID(OID_RSA_SHA512))) {
		sch = SCH_RSA;
		h = oid_is(oid, OID(OID_RSA_SHA256)) ? FW_SHA256 :
		    oid_is(oid, OID(OID_RSA_SHA384)) ? FW_SHA384 : FW_SHA512;
		if (!pc_der_read_opt(&a, DER_NULL, &params, &present) || !pc_reader_done(&a))
			return pc_fail(e, PC_E_INPUT, "RSA signature algorithm with bad parameters");
	} else {
		return pc_fail(e, PC_E_SIGNATURE, "unsupported signature algorithm");
	}

	r = pc_reader_make(spki, spki_len);
	if (!pc_der_read(&r, DER_SEQUENCE, &k) || !pc_reader_done(&r) ||
	    !pc_der_read(&k, DER_SEQUENCE, &ka) || !pc_der_read(&k, DER_BIT_STRING, &bits) ||
	    !pc_reader_done(&k) || !pc_der_read(&ka, DER_OID, &koid) ||
	    !pc_reader_u8(&bits, &unused) || unused != 0)
		return pc_fail(e, PC_E_INPUT, "malformed SubjectPublicKeyInfo");
	ptlen = pc_reader_left(&bits);
	pt = pc_reader_take(&bits, ptlen);
	if (pt == NULL)
		return pc_fail(e, PC_E_INPUT, "empty public key");

	if (sch == SCH_ED25519) {
		if (!oid_is(koid, OID(OID_ED25519)) || !pc_reader_done(&ka) ||
		    ptlen != crypto_sign_PUBLICKEYBYTES)
			return pc_fail(e, PC_E_SIGNATURE, "Ed25519 signature but not an Ed25519 key");
		if (sig_len != crypto_sign_BYTES ||
		    crypto_sign_verify_detached(sig, msg, len, pt) != 0)
			return pc_fail(e, PC_E_SIGNATURE, "Ed25519 signature does not verify");
		return PC_OK;
	}
	if (!hash_mem(h, msg, len, hash))
		return pc_fail(e, PC_E_CRYPTO, "hashing failed");
	if (sch == SCH_ECDSA) {
		ecc_key key;
		size_t fl;
		int curve, ret, res = 0;
		const uint8_t *x;
		size_t xl;
		pc_reader sr = pc_reader_make(sig, sig_len), ss;

		if (!oid_is(koid, OID(OID_EC_PUBKEY)) || !pc_der_read(&ka, DER_OID, &params) ||
		    !pc_reader_done(&ka))
			return pc_fail(e, PC_E_SIGNATURE, "ECDSA signature but not a named-curve EC key");
		if (oid_is(params, OID(OID_P256))) {
			curve = ECC_SECP256R1;
			fl = 32;
		} else if (oid_is(params, OID(OID_P384))) {
			curve = ECC_SECP384R1;
			fl = 48;
		} else {
			return pc_fail(e, PC_E_SIGNATURE, "unsupported EC curve");
		}
		if (ptlen != 1 + 2 * fl || pt[0] != 0x04)
			return pc_fail(e, PC_E_INPUT, "EC public key is not an uncompressed point");
		/* Ecdsa-Sig-Value, strictly DER (RFC 3279 §2.2.3) */
		if (!pc_der_read(&sr, DER_SEQUENCE, &ss) || !pc_reader_done(&sr) ||
		    !read_uint(&ss, fl, &x, &xl) || !read_uint(&ss, fl, &x, &xl) || !pc_reader_done(&ss))
			return pc_fail(e, PC_E_SIGNATURE, "ECDSA signature is not a DER Ecdsa-Sig-Value");
		if (wc_ecc_init(&key) != 0)
			return pc_fail(e, PC_E_CRYPTO, "wc_ecc_init failed");
		ret = wc_ecc_import_x963_ex(pt, (word32)ptlen, &key, curve);
		if (ret == 0)
			ret = wc_ecc_verify_hash(sig, (word32)sig_len, hash, (word32)fw_hash_len(h), &res,
			    &key);
		wc_ecc_free(&key);
		if (ret != 0 || res != 1)
			return pc_fail(e, PC_E_SIGNATURE, "ECDSA signature does not verify");
		return PC_OK;
	}
	{
		uint8_t di[128], tmp[RSA_MAX_BYTES];
		const uint8_t *n, *x;
		size_t nl, xl;
		pc_reader seq = pc_reader_make(pt, ptlen), s2;
		RsaKey key;
		byte *dec = NULL;
		word32 dil;
		int ret, ht = h == FW_SHA256 ? WC_HASH_TYPE_SHA256 : h == FW_SHA384 ?
		    WC_HASH_TYPE_SHA384 : WC_HASH_TYPE_SHA512;

		if (!oid_is(koid, OID(OID_RSA)))
			return pc_fail(e, PC_E_SIGNATURE, "RSA signature but not an RSA key");
		if (!pc_der_read(&seq, DER_SEQUENCE, &s2) || !pc_reader_done(&seq) ||
		    !read_uint(&s2, RSA_MAX_BYTES, &n, &nl) || !read_uint(&s2, 8, &x, &xl) ||
		    !pc_reader_done(&s2) || nl * 8 < RSA_MIN_BITS)
			return pc_fail(e, PC_E_INPUT, "malformed or short RSA public key");
		if (sig_len != nl)
			return pc_fail(e, PC_E_SIGNATURE, "RSA signature length differs from the modulus");
		dil = wc_EncodeSignature(di, hash, (word32)fw_hash_len(h), wc_HashGetOID(ht));
		if (dil == 0 || dil > sizeof di)
			return pc_fail(e, PC_E_CRYPTO, "cannot encode DigestInfo");
		if (wc_InitRsaKey(&key, NULL) != 0)
			return pc_fail(e, PC_E_CRYPTO, "wc_InitRsaKey failed");
		ret = wc_RsaPublicKeyDecodeRaw(n, (word32)nl, x, (word32)xl, &key);
		memcpy(tmp, sig, sig_len);
		if (ret == 0)
			ret = wc_RsaSSL_VerifyInline(tmp, (word32)sig_len, &dec, &key);
		wc_FreeRsaKey(&key);
		/* the whole DigestInfo must match (RFC 8017 §8.2.2 step 4) */
		if (ret < 0 || (word32)ret != dil || memcmp(dec, di, dil) != 0)
			return pc_fail(e, PC_E_SIGNATURE, "RSA signature does not verify");
		return PC_OK;
	}
}

/* ------------------------------------------------- signer package list */

bool fw_package_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FW_PKG_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ':')
			return false;
	return true;
}

bool fw_pkgs_has(const fw_pkgs *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return true;
	return false;
}

void fw_pkgs_text(const fw_pkgs *p, const char *sep, char *out, size_t n)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < p->n && off < n; i++) {
		int w = snprintf(out + off, n - off, "%s%s", i ? sep : "", p->name[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

pc_rc fw_pkgs_parse(const uint8_t *der, size_t len, fw_pkgs *out, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), seq, s;
	const uint8_t *p;
	size_t n;

	memset(out, 0, sizeof *out);
	if (!pc_der_read(&r, DER_SEQUENCE, &seq) || !pc_reader_done(&r))
		return pc_fail(e, PC_E_INPUT, "firmware package list is not one SEQUENCE");
	if (pc_reader_left(&seq) == 0)
		return pc_fail(e, PC_E_INPUT, "firmware package list is empty");
	while (pc_reader_left(&seq) > 0) {
		if (!pc_der_read(&seq, DER_UTF8STRING, &s))
			return pc_fail(e, PC_E_INPUT, "firmware package list: an entry is not a "
			    "UTF8String");
		if (out->n == FW_SIGNER_PKGS_MAX)
			return pc_fail(e, PC_E_INPUT, "firmware package list: more than %d names",
			    FW_SIGNER_PKGS_MAX);
		n = pc_reader_left(&s);
		p = pc_reader_take(&s, n);
		if (p == NULL || !fw_package_name_ok((const char *)p, n))
			return pc_fail(e, PC_E_INPUT, "firmware package list: entry %zu is empty, "
			    "longer than %d bytes or not printable ASCII without space and ':'",
			    out->n + 1, FW_PKG_MAX);
		memcpy(out->name[out->n], p, n);
		out->name[out->n][n] = '\0';
		/* fw_pkgs_has() looks at the n names before this one */
		if (fw_pkgs_has(out, out->name[out->n]))
			return pc_fail(e, PC_E_INPUT, "firmware package list: '%s' appears twice",
			    out->name[out->n]);
		out->n++;
	}
	return PC_OK;
}

pc_rc fw_pkgs_ext_encode(const char *const *names, size_t n, pc_buf *out, pc_err *e)
{
	pc_der d;
	size_t i, j;

	if (n == 0 || n > FW_SIGNER_PKGS_MAX)
		return pc_fail(e, PC_E_USAGE, "a signer names 1 to %d packages, not %zu",
		    FW_SIGNER_PKGS_MAX, n);
	for (i = 0; i < n; i++) {
		if (!fw_package_name_ok(names[i], strlen(names[i])))
			return pc_fail(e, PC_E_USAGE, "package name '%s': 1-%d printable characters, "
			    "no ':' or space", names[i], FW_PKG_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return pc_fail(e, PC_E_USAGE, "package '%s' given twice", names[i]);
	}
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);             /* Extension, critical absent (FALSE) */
	pc_der_oid(&d, fw_pkgs_oid, fw_pkgs_oid_len);
	pc_der_begin(&d, DER_OCTET_STRING);
	pc_der_begin(&d, DER_SEQUENCE);
	for (i = 0; i < n; i++)
		pc_der_tlv(&d, DER_UTF8STRING, names[i], strlen(names[i]));
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

/* ------------------------------------------------------ certificates */

typedef struct fw_cert {
	const uint8_t *der; size_t len;
	const uint8_t *tbs; size_t tbs_len;
	const uint8_t *sigalg; size_t sigalg_len;
	const uint8_t *sig; size_t sig_len;
	const uint8_t *serial; size_t serial_len;
	const uint8_t *issuer; size_t issuer_len;
	const uint8_t *subject; size_t subject_len;
	const uint8_t *spki; size_t spki_len;
	time_t nb, na;
	bool is_ca;
	int path_len;           /* <0: none */
	bool has_ku;
	unsigned ku;            /* bit n = RFC 5280 KeyUsage bit n */
	bool has_eku, eku_codesign, eku_any;
	bool has_pkgs;          /* the signer package list (checked when read) */
	const uint8_t *pkgs; size_t pkgs_len;
	char cn[128];
	char serial_hex[2 * 20 + 1];
} fw_cert;

static void hex_of(const uint8_t *p, size_t n, char *out, size_t outsz)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n && 2 * i + 2 < outsz; i++) {
		out[2 * i] = hx[p[i] >> 4];
		out[2 * i + 1] = hx[p[i] & 15];
	}
	out[2 * i] = '\0';
}

/* CN of a Name, sanitised to printable ASCII ("" if none). */
static void name_cn(const uint8_t *name, size_t len, char *out, size_t outsz)
{
	pc_reader r = pc_reader_make(name, len), seq, set, atv, oid, v;
	uint8_t tag;

	out[0] = '\0';
	if (!pc_der_read(&r, DER_SEQUENCE, &seq))
		return;
	while (pc_reader_left(&seq) && pc_der_read(&seq, DER_SET, &set)) {
		while (pc_reader_left(&set) && pc_der_read(&set, DER_SEQUENCE, &atv)) {
			if (pc_der_read(&atv, DER_OID, &oid) && oid_is(oid, OID(OID_CN)) &&
			    pc_der_read_any(&atv, &tag, &v, NULL, NULL)) {
				size_t n = pc_reader_left(&v), i;
				const uint8_t *p = pc_reader_take(&v, n);
				if (n >= outsz)
					n = outsz - 1;
				for (i = 0; p && i < n; i++)
					out[i] = p[i] >= 0x20 && p[i] < 0x7f ? (char)p[i] : '?';
				out[p ? n : 0] = '\0';
			}
		}
	}
}

static pc_rc read_time(pc_reader *r, time_t *t)
{
	uint8_t tag;
	pc_reader c;

	if (!pc_der_read_any(r, &tag, &c, NULL, NULL) || !pc_der_parse_time(tag, c, t))
		return PC_E_INPUT;
	return PC_OK;
}

static bool parse_ku(pc_reader v, unsigned *ku)
{
	pc_reader bs;
	uint8_t unused, b;

	*ku = 0;
	if (!pc_der_read(&v, DER_BIT_STRING, &bs) || !pc_reader_done(&v) ||
	    !pc_reader_u8(&bs, &unused) || unused > 7)
		return false;
	for (unsigned i = 0; pc_reader_left(&bs); i++) {
		if (!pc_reader_u8(&bs, &b) || i > 1)
			return false;
		for (unsigned j = 0; j < 8; j++)
			if (b & (0x80 >> j))
				*ku |= 1u << (8 * i + j);
	}
	return true;
}

static pc_rc cert_parse(const uint8_t *der, size_t len, fw_cert *c, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), cert, tbs, t, v, tmp, exts, bits;
	const uint8_t *inner_alg;
	size_t inner_alg_len;
	uint8_t unused;
	bool present;

	memset(c, 0, sizeof *c);
	c->der = der;
	c->len = len;
	c->path_len = -1;
	if (!pc_der_read(&r, DER_SEQUENCE, &cert) || !pc_reader_done(&r) ||
	    !read_whole(&cert, DER_SEQUENCE, &tbs, &c->tbs, &c->tbs_len) ||
	    !read_whole(&cert, DER_SEQUENCE, &tmp, &c->sigalg, &c->sigalg_len) ||
	    !pc_der_read(&cert, DER_BIT_STRING, &bits) || !pc_reader_done(&cert) ||
	    !pc_reader_u8(&bits, &unused) || unused != 0)
		return pc_fail(e, PC_E_INPUT, "malformed certificate");
	c->sig_len = pc_reader_left(&bits);
	c->sig = rd_ptr(&bits);
	t = tbs;
	/* TBSCertificate, RFC 5280 §4.1: version [0] must be v3 (2) */
	if (!pc_der_read(&t, DER_CTX_CONS | 0, &tmp) || !pc_der_read(&tmp, DER_INTEGER, &v) ||
	    !pc_reader_done(&tmp) || pc_reader_left(&v) != 1 || rd_ptr(&v)[0] != 2)
		return pc_fail(e, PC_E_INPUT, "certificate is not X.509 v3");
	if (!pc_der_read(&t, DER_INTEGER, &v) || pc_reader_left(&v) == 0 ||
	    pc_reader_left(&v) > 21)
		return pc_fail(e, PC_E_INPUT, "certificate serial is malformed");
	c->serial = rd_ptr(&v);
	c->serial_len = pc_reader_left(&v);
	hex_of(c->serial, c->serial_len, c->serial_hex, sizeof c->serial_hex);
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &inner_alg, &inner_alg_len) ||
	    inner_alg_len != c->sigalg_len || memcmp(inner_alg, c->sigalg, inner_alg_len) != 0)
		return pc_fail(e, PC_E_INPUT, "certificate signature algorithms differ (§4.1.1.2)");
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &c->issuer, &c->issuer_len) ||
	    !pc_der_read(&t, DER_SEQUENCE, &v) || read_time(&v, &c->nb) != PC_OK ||
	    read_time(&v, &c->na) != PC_OK || !pc_reader_done(&v) ||
	    !read_whole(&t, DER_SEQUENCE, &tmp, &c->subject, &c->subject_len) ||
	    !read_whole(&t, DER_SEQUENCE, &tmp, &c->spki, &c->spki_len))
		return pc_fail(e, PC_E_INPUT, "malformed certificate fields");
	name_cn(c->subject, c->subject_len, c->cn, sizeof c->cn);
	(void)pc_der_read_opt(&t, DER_CTX | 1, &tmp, &present);
	(void)pc_der_read_opt(&t, DER_CTX | 2, &tmp, &present);
	if (!pc_der_read_opt(&t, DER_CTX_CONS | 3, &tmp, &present) || !pc_reader_done(&t))
		return pc_fail(e, PC_E_INPUT, "certificate has trailing data");
	if (!present)
		return PC_OK;
	if (!pc_der_read(&tmp, DER_SEQUENCE, &exts) || !pc_reader_done(&tmp))
		return pc_fail(e, PC_E_INPUT, "malformed certificate extensions");
	while (pc_reader_left(&exts)) {
		pc_reader x, oid, crit, os;
		bool critical = false;

		if (!pc_der_read(&exts, DER_SEQUENCE, &x) || !pc_der_read(&x, DER_OID, &oid) ||
		    !pc_der_read_opt(&x, DER_BOOLEAN, &crit, &present) ||
		    (present && (pc_reader_left(&crit) != 1 || rd_ptr(&crit)[0] != 0xff)) ||
		    !pc_der_read(&x, DER_OCTET_STRING, &os) || !pc_reader_done(&x))
			return pc_fail(e, PC_E_INPUT, "malformed certificate extension");
		critical = present;
		if (oid_is(oid, OID(OID_EXT_BC))) {
			pc_reader s, b, pl;
			bool bp, pp;
			if (!pc_der_read(&os, DER_SEQUENCE, &s) || !pc_reader_done(&os) ||
			    !pc_der_read_opt(&s, DER_BOOLEAN, &b, &bp) ||
			    (bp && (pc_reader_left(&b) != 1 || rd_ptr(&b)[0] != 0xff)) ||
			    !pc_der_read_opt(&s, DER_INTEGER, &pl, &pp) || !pc_reader_done(&s) ||
			    (pp && (pc_reader_left(&pl) != 1 || rd_ptr(&pl)[0] > 0x7f)))
				return pc_fail(e, PC_E_INPUT, "malformed basicConstraints");
			c->is_ca = bp;
			if (pp)
				c->path_len = rd_ptr(&pl)[0];
		} else if (oid_is(oid, OID(OID_EXT_KU))) {
			if (!parse_ku(os, &c->ku))
				return pc_fail(e, PC_E_INPUT, "malformed keyUsage");
			c->has_ku = true;
		} else if (oid_is(oid, OID(OID_EXT_EKU))) {
			pc_reader s, o;
			if (!pc_der_read(&os, DER_SEQUENCE, &s) || !pc_reader_done(&os))
				return pc_fail(e, PC_E_INPUT, "malformed extKeyUsage");
			c->has_eku = true;
			while (pc_reader_left(&s)) {
				if (!pc_der_read(&s, DER_OID, &o))
					return pc_fail(e, PC_E_INPUT, "malformed extKeyUsage");
				if (oid_is(o, OID(OID_EKU_CODESIGN)))
					c->eku_codesign = true;
				else if (oid_is(o, OID(OID_EKU_ANY)))
					c->eku_any = true;
			}
		} else if (oid_is(oid, fw_pkgs_oid, fw_pkgs_oid_len)) {
			/* our own: read strictly now, so that a malformed list
			 * refuses the certificate wherever it sits in the chain */
			fw_pkgs list;
			if (c->has_pkgs)
				return pc_fail(e, PC_E_INPUT, "certificate %s has two firmware package "
				    "lists", c->serial_hex);
			c->pkgs_len = pc_reader_left(&os);
			c->pkgs = pc_reader_take(&os, c->pkgs_len);
			c->has_pkgs = true;
			if (fw_pkgs_parse(c->pkgs, c->pkgs_len, &list, e) != PC_OK)
				return pc_wrap(e, "certificate %s", c->serial_hex);
		} else if (critical && !oid_is(oid, OID(OID_EXT_NC)) && !oid_is(oid, OID(OID_EXT_SAN)) &&
		    !oid_is(oid, OID(OID_EXT_POLICIES))) {
			/* RFC 5280 §4.2: a critical extension we do not know
			 * refuses the certificate.  Name constraints are
			 * understood but constrain no code-signing name: signer
			 * certificates carry no SAN (§4.2.1.10 applies them to
			 * names of those types only). */
			return pc_fail(e, PC_E_INPUT, "certificate %s has an unknown critical extension",
			    c->serial_hex);
		}
	}
	return PC_OK;
}

static bool same(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

static const char *who(const fw_cert *c, char *buf, size_t n)
{
	snprintf(buf, n, "%s%s%s (serial %s)", c->cn[0] ? "'" : "", c->cn, c->cn[0] ? "'" : "",
	    c->serial_hex);
	return buf;
}

static pc_rc check_dates(const fw_cert *c, time_t now, const char *role, pc_err *e)
{
	char w[200];

	if (now < c->nb)
		return pc_fail(e, PC_E_EXPIRED, "%s certificate %s is not valid yet", role,
		    who(c, w, sizeof w));
	if (now > c->na)
		return pc_fail(e, PC_E_EXPIRED, "%s certificate %s has expired", role,
		    who(c, w, sizeof w));
	return PC_OK;
}

/* ------------------------------------------------------------- CRLs */

static const char *reason_name(unsigned r)
{
	static const char *const names[] = { "unspecified", "keyCompromise", "cACompromise",
		"affiliationChanged", "superseded", "cessationOfOperation", "certificateHold",
		"reason 7", "removeFromCRL", "privilegeWithdrawn", "aACompromise" };
	return r < sizeof names / sizeof names[0] ? names[r] : "unknown reason";
}

/* If the CRL `crl` was issued by `issuer` (its name), check it with the
 * issuer's key and look up `c`.  *used says whether the CRL applied. */
static pc_rc crl_check(const fw_blob *crl, const fw_cert *c, const fw_cert *issuer,
    const char *role, time_t now, bool *used, pc_err *e)
{
	pc_reader r = pc_reader_make(crl->der, crl->len), cl, tbs, t, v, tmp, revs, bits;
	const uint8_t *tbs_w, *alg, *inner, *iname, *sigp;
	size_t tbs_wl, alg_len, inner_len, iname_len, sig_len;
	time_t this_upd, next_upd = 0;
	uint8_t unused;
	bool present;
	char w[200];

	*used = false;
	if (!pc_der_read(&r, DER_SEQUENCE, &cl) || !pc_reader_done(&r) ||
	    !read_whole(&cl, DER_SEQUENCE, &tbs, &tbs_w, &tbs_wl) ||
	    !read_whole(&cl, DER_SEQUENCE, &tmp, &alg, &alg_len) ||
	    !pc_der_read(&cl, DER_BIT_STRING, &bits) || !pc_reader_done(&cl) ||
	    !pc_reader_u8(&bits, &unused) || unused != 0)
		return pc_fail(e, PC_E_INPUT, "CRL %s: malformed", crl->name);
	sig_len = pc_reader_left(&bits);
	sigp = rd_ptr(&bits);
	t = tbs;
	/* TBSCertList, RFC 5280 §5.1: version v2 (1) when present */
	if (pc_reader_peek(&t) == DER_INTEGER &&
	    (!pc_der_read(&t, DER_INTEGER, &v) || pc_reader_left(&v) != 1 || rd_ptr(&v)[0] != 1))
		return pc_fail(e, PC_E_INPUT, "CRL %s: unsupported version", crl->name);
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &inner, &inner_len) || !same(inner, inner_len, alg,
	    alg_len) || !read_whole(&t, DER_SEQUENCE, &tmp, &iname, &iname_len) ||
	    read_time(&t, &this_upd) != PC_OK)
		return pc_fail(e, PC_E_INPUT, "CRL %s: malformed header", crl->name);
	if (!same(iname, iname_len, c->issuer, c->issuer_len))
		return PC_OK;                    /* another CA's CRL: not ours to judge */
	*used = true;
	/* RFC 5280 §6.3.3 (f): the CRL's signature, by the certificate's issuer,
	 * which must be allowed to sign CRLs */
	if (issuer->has_ku && !(issuer->ku & (1u << KU_CRL_SIGN)))
		return pc_fail(e, PC_E_SIGNATURE, "CRL %s: issuer %s may not sign CRLs (keyUsage)",
		    crl->name, who(issuer, w, sizeof w));
	if (verify_sig(issuer->spki, issuer->spki_len, alg, alg_len, tbs_w, tbs_wl, sigp, sig_len,
	    e) != PC_OK)
		return pc_wrap(e, "CRL %s: not signed by %s", crl->name, who(issuer, w, sizeof w));
	if (pc_reader_peek(&t) == DER_UTCTIME || pc_reader_peek(&t) == DER_GENERALIZEDTIME) {
		if (read_time(&t, &next_upd) != PC_OK)
			return pc_fail(e, PC_E_INPUT, "CRL %s: malformed nextUpdate", crl->name);
	}
	if (this_upd > now + 300)
		return pc_fail(e, PC_E_EXPIRED, "CRL %s: issued in the future (thisUpdate)", crl->name);
	if (next_upd != 0 && next_upd < now)
		return pc_fail(e, PC_E_EXPIRED, "CRL %s is out of date (its nextUpdate has passed): "
		    "get a current CRL from the CA", crl->name);
	if (!pc_der_read_opt(&t, DER_SEQUENCE, &revs, &present))
		return pc_fail(e, PC_E_INPUT, "CRL %s: malformed revokedCertificates", crl->name);
	{
		/* crlExtensions [0]: refuse unknown critical ones (§5.2) */
		pc_reader x0, xs;
		bool xp;
		if (!pc_der_read_opt(&t, DER_CTX_CONS | 0, &x0, &xp) || !pc_reader_done(&t))
			return pc_fail(e, PC_E_INPUT, "CRL %s: trailing data", crl->name);
		if (xp) {
			if (!pc_der_read(&x0, DER_SEQUENCE, &xs) || !pc_reader_done(&x0))
				return pc_fail(e, PC_E_INPUT, "CRL %s: malformed extensions", crl->name);
			while (pc_reader_left(&xs)) {
				pc_reader x, oid, crit, os;
				bool cp;
				if (!pc_der_read(&xs, DER_SEQUENCE, &x) || !pc_der_read(&x, DER_OID, &oid) ||
				    !pc_der_read_opt(&x, DER_BOOLEAN, &crit, &cp) ||
				    !pc_der_read(&x, DER_OCTET_STRING, &os) || !pc_reader_done(&x))
					return pc_fail(e, PC_E_INPUT, "CRL %s: malformed extension",
					    crl->name);
				if (cp && !oid_is(oid, OID(OID_EXT_CRL_NUM)) && !oid_is(oid, OID(OID_EXT_AKI)))
					return pc_fail(e, PC_E_INPUT, "CRL %s: unsupported critical "
					    "extension (delta or partitioned CRLs are not supported)", crl->name);
			}
		}
	}
	while (present && pc_reader_left(&revs)) {
		pc_reader ent, ser, ex;
		time_t when;
		bool ep;
		unsigned reason = 0;

		if (!pc_der_read(&revs, DER_SEQUENCE, &ent) || !pc_der_read(&ent, DER_INTEGER, &ser) ||
		    read_time(&ent, &when) != PC_OK || !pc_der_read_opt(&ent, DER_SEQUENCE, &ex, &ep) ||
		    !pc_reader_done(&ent))
			return pc_fail(e, PC_E_INPUT, "CRL %s: malformed entry", crl->name);
		if (!same(rd_ptr(&ser), pc_reader_left(&ser), c->serial, c->serial_len))
			continue;
		while (ep && pc_reader_left(&ex)) {
			pc_reader x, oid, crit, os, en;
			bool cp;
			if (!pc_der_read(&ex, DER_SEQUENCE, &x) || !pc_der_read(&x, DER_OID, &oid) ||
			    !pc_der_read_opt(&x, DER_BOOLEAN, &crit, &cp) ||
			    !pc_der_read(&x, DER_OCTET_STRING, &os) || !pc_reader_done(&x))
				return pc_fail(e, PC_E_INPUT, "CRL %s: malformed entry extension", crl->name);
			if (oid_is(oid, OID(OID_EXT_REASON)) && pc_der_read(&os, DER_ENUMERATED, &en) &&
			    pc_reader_left(&en) == 1)
				reason = rd_ptr(&en)[0];
		}
		return pc_fail(e, PC_E_REVOKED, "%s %s is revoked (%s) by CRL %s", role,
		    c->serial_hex, reason_name(reason), crl->name);
	}
	return PC_OK;
}

/* ------------------------------------------------------------ check */

pc_rc fw_cms_check(const fw_cms *c, const uint8_t *digest, size_t digest_len,
    const fw_check_opts *o, fw_result *res, pc_err *e)
{
	fw_cert cms[FW_CERTS_MAX], anchors_buf, chain[FW_CHAIN_MAX];
	size_t n = 0, i, k, depth;
	time_t now = o->now ? o->now : time(NULL);
	const fw_cert *signer = NULL;
	bool anchored = false;
	pc_buf signed_attrs = PC_BUF_INIT;
	char w[200];
	pc_rc rc;

	memset(res, 0, sizeof *res);
	/* 1. the image */
	if (digest_len != c->digest_len || sodium_memcmp(digest, c->digest, digest_len) != 0)
		return pc_fail(e, PC_E_SIGNATURE, "image digest does not match (%s): the image was "
		    "changed, or this is another image's signature", fw_hash_name(c->hash));
	/* 2. the signer certificate, named by issuerAndSerialNumber */
	for (i = 0; i < c->ncerts; i++) {
		PC_TRY(cert_parse(c->certs[i], c->cert_len[i], &cms[n], e));
		if (same(cms[n].issuer, cms[n].issuer_len, c->sid_issuer, c->sid_issuer_len) &&
		    same(cms[n].serial, cms[n].serial_len, c->sid_serial, c->sid_serial_len))
			signer = &cms[n];
		n++;
	}
	if (signer == NULL)
		return pc_fail(e, PC_E_SIGNATURE, "the signer's certificate is not in the signature");
	/* 3. the signature over the DER of the signed attributes with the
	 *    explicit SET OF tag, not the [0] of the encoding (RFC 5652 §5.4) */
	{
		pc_der d;
		pc_der_init(&d);
		pc_der_tlv(&d, DER_SET, c->attrs, c->attrs_len);
		if (!pc_der_ok(&d)) {
			pc_der_free(&d);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		signed_attrs = d.b;
	}
	rc = verify_sig(signer->spki, signer->spki_len, c->sigalg, c->sigalg_len, signed_attrs.p,
	    signed_attrs.len, c->sig, c->sig_len, e);
	pc_buf_free(&signed_attrs);
	if (rc != PC_OK)
		return pc_wrap(e, "signature by %s", who(signer, w, sizeof w));
	/* 4. the signer may sign code (RFC 5280 §4.2.1.12, §4.2.1.3) */
	if (signer->is_ca)
		return pc_fail(e, PC_E_SIGNATURE, "signer %s is a CA certificate", who(signer, w, sizeof w));
	if (!signer->has_eku || !signer->eku_codesign)
		return pc_fail(e, PC_E_SIGNATURE, "signer %s lacks the codeSigning extended key usage",
		    who(signer, w, sizeof w));
	if (signer->has_ku && !(signer->ku & (1u << KU_DIGITAL_SIGNATURE)))
		return pc_fail(e, PC_E_SIGNATURE, "signer %s may not make digital signatures (keyUsage)",
		    who(signer, w, sizeof w));
	PC_TRY(check_dates(signer, now, "signer", e));
	/* 5. the chain, issuer by issuer, up to a trust anchor */
	chain[0] = *signer;
	depth = 1;
	while (!anchored) {
		const fw_cert *cur = &chain[depth - 1];
		bool found = false;

		if (depth == FW_CHAIN_MAX)
			return pc_fail(e, PC_E_SIGNATURE, "chain longer than %d certificates", FW_CHAIN_MAX);
		/* prefer trust anchors, then the signature's own certificates */
		for (k = 0; k < o->ntrust + n && !found; k++) {
			fw_cert cand;
			pc_err ignored;
			if (k < o->ntrust) {
				if (cert_parse(o->trust[k].der, o->trust[k].len, &anchors_buf, e) != PC_OK)
					return pc_wrap(e, "trusted certificate %s", o->trust[k].name);
				cand = anchors_buf;
			} else {
				cand = cms[k - o->ntrust];
			}
			if (!same(cand.subject, cand.subject_len, cur->issuer, cur->issuer_len) ||
			    same(cand.der, cand.len, cur->der, cur->len))
				continue;
			if (verify_sig(cand.spki, cand.spki_len, cur->sigalg, cur->sigalg_len, cur->tbs,
			    cur->tbs_len, cur->sig, cur->sig_len, &ignored) != PC_OK)
				continue;
			found = true;
			anchored = k < o->ntrust;
			chain[depth++] = cand;
		}
		if (!found)
			return pc_fail(e, PC_E_SIGNATURE, "certificate %s does not chain to a trusted "
			    "root (no trusted or included issuer's key verifies it)", who(cur, w, sizeof w));
		{
			const fw_cert *ca = &chain[depth - 1];
			/* RFC 5280 §6.1.4 (k), (n), (l): CA, keyCertSign, path length */
			if (!ca->is_ca)
				return pc_fail(e, PC_E_SIGNATURE, "issuer %s is not a CA (basicConstraints)",
				    who(ca, w, sizeof w));
			if (ca->has_ku && !(ca->ku & (1u << KU_KEY_CERT_SIGN)))
				return pc_fail(e, PC_E_SIGNATURE, "issuer %s may not sign certificates",
				    who(ca, w, sizeof w));
			if (ca->path_len >= 0 && (int)depth - 2 > ca->path_len)
				return pc_fail(e, PC_E_SIGNATURE, "issuer %s: path length exceeded",
				    who(ca, w, sizeof w));
			PC_TRY(check_dates(ca, now, anchored ? "trusted" : "CA", e));
		}
	}
	/* 6. revocation of every certificate below the anchor */
	for (i = 0; i + 1 < depth; i++) {
		for (k = 0; k < o->ncrls; k++) {
			bool used;
			PC_TRY(crl_check(&o->crls[k], &chain[i], &chain[i + 1], i == 0 ? "signer" :
			    "issuing CA", now, &used, e));
		}
	}
	/* 7. the package: a signer signs only what its (now trusted)
	 * certificate registers it for; a code signer from elsewhere, without
	 * the list, is not a plantca firmware signer */
	{
		fw_pkgs pk;
		char list[FW_SIGNER_PKGS_MAX * (FW_PKG_MAX + 2) + 1];
		if (!signer->has_pkgs)
			return pc_fail(e, PC_E_POLICY, "signer %s names no firmware packages (no %s "
			    "extension): not a plantca firmware signer", who(signer, w, sizeof w),
			    FW_PKGS_OID_TEXT);
		PC_TRY(fw_pkgs_parse(signer->pkgs, signer->pkgs_len, &pk, e));
		if (!fw_pkgs_has(&pk, c->package)) {
			fw_pkgs_text(&pk, ", ", list, sizeof list);
			return pc_fail(e, PC_E_POLICY, "signer %s is not registered for firmware package "
			    "'%s' (it may sign %s)", who(signer, w, sizeof w), c->package, list);
		}
	}
	/* 8. rollback and target */
	if (o->min_version) {
		fw_version min;
		PC_TRY(fw_version_parse(o->min_version, &min, e));
		if (fw_version_cmp(&c->version, &min) < 0)
			return pc_fail(e, PC_E_REPLAY, "version %s is lower than the minimum %s "
			    "(rollback refused)", c->version_text, o->min_version);
	}
	if (o->target) {
		bool hit = false;
		for (i = 0; i < c->ntargets && !hit; i++)
			hit = strcmp(c->targets[i], o->target) == 0;
		if (!hit)
			return pc_fail(e, PC_E_POLICY, c->ntargets ? "target %s is not among the image's "
			    "targets" : "target %s is not among the image's targets (it names none)",
			    o->target);
	}
	snprintf(res->signer_serial, sizeof res->signer_serial, "%s", signer->serial_hex);
	snprintf(res->signer_cn, sizeof res->signer_cn, "%s", signer->cn);
	snprintf(res->anchor_cn, sizeof res->anchor_cn, "%s", chain[depth - 1].cn);
	res->chain_len = depth;
	return PC_OK;
}

pc_rc fw_verify_image(const char *image_path, const uint8_t *sig, size_t sig_len,
    const char *sig_name, const fw_check_opts *o, fw_cms *cms, fw_result *res, pc_err *e)
{
	uint8_t digest[FW_DIGEST_MAX];

	if (fw_cms_parse(sig, sig_len, cms, e) != PC_OK)
		return pc_wrap(e, "%s", sig_name);
	PC_TRY(fw_digest_file(image_path, cms->hash, digest, NULL, NULL, e));
	if (fw_cms_check(cms, digest, fw_hash_len(cms->hash), o, res, e) != PC_OK)
		return pc_wrap(e, "%s", image_path);
	return PC_OK;
}

pc_rc fw_cert_packages(const uint8_t *cert, size_t len, fw_pkgs *out, pc_err *e)
{
	fw_cert c;

	memset(out, 0, sizeof *out);
	PC_TRY(cert_parse(cert, len, &c, e));
	if (!c.has_pkgs)
		return pc_fail(e, PC_E_NOTFOUND, "certificate %s names no firmware packages",
		    c.serial_hex);
	return fw_pkgs_parse(c.pkgs, c.pkgs_len, out, e);
}

/* ------------------------------------------------------------ files */

static pc_rc blob_add(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	fw_blobs *b = ctx;
	fw_blob *nv;
	uint8_t **nm, *copy;

	nv = realloc(b->v, (b->n + 1) * sizeof *nv);
	if (nv == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b->v = nv;
	nm = realloc(b->mem, (b->nmem + 1) * sizeof *nm);
	if (nm == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b->mem = nm;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(copy, der, len);
	b->mem[b->nmem++] = copy;
	b->v[b->n].der = copy;
	b->v[b->n].len = len;
	b->v[b->n].name = NULL;
	b->n++;
	return PC_OK;
}

pc_rc fw_blobs_load(fw_blobs *b, const char *path, bool crl, pc_err *e)
{
	uint8_t *buf;
	size_t len, first = b->n, i;
	pc_rc rc;

	PC_TRY(pc_file_read(path, crl ? FW_CRL_MAX : FW_TRUST_MAX, &buf, &len, e));
	if (pc_pem_looks_like(buf, len))
		rc = pc_pem_decode_all(buf, len, crl ? "X509 CRL" : "CERTIFICATE", blob_add, b, e);
	else
		rc = blob_add(b, buf, len, e);
	free(buf);
	if (rc == PC_OK && b->n == first)
		rc = pc_fail(e, PC_E_INPUT, "no %s found", crl ? "CRL" : "certificate");
	if (rc != PC_OK)
		return pc_wrap(e, "%s", path);
	for (i = first; i < b->n; i++)
		b->v[i].name = path;
	return PC_OK;
}

void fw_blobs_free(fw_blobs *b)
{
	size_t i;

	for (i = 0; i < b->nmem; i++)
		free(b->mem[i]);
	free(b->mem);
	free(b->v);
	memset(b, 0, sizeof *b);
}
