/*
 * hash.h - message digests for plantca: SHA-256, SHA-384 and SHA-512 from
 * OpenSSL's libcrypto (SHA-256 with the CPU's SHA extensions where it has
 * them).  No digest of our own: see docs/architecture.md for the choice.
 *
 * A pkix_hash_ctx owns a libcrypto context: pkix_hash_init, then
 * pkix_hash_update any number of times, then pkix_hash_final, which also
 * releases it (pkix_hash_abort releases it without a result).  A context
 * is used by one thread at a time.
 */
#ifndef PLANTCA_PKIX_HASH_H
#define PLANTCA_PKIX_HASH_H

#include "buf.h"
#include "oid.h"

typedef enum pkix_hash {
	PKIX_HASH_NONE = 0,     /* Ed25519: the message itself is signed (RFC 8032) */
	PKIX_SHA256,
	PKIX_SHA384,
	PKIX_SHA512,
} pkix_hash;

enum { PKIX_HASH_MAX = 64 };

typedef struct pkix_hash_ctx {
	pkix_hash h;
	void *md;               /* EVP_MD_CTX */
} pkix_hash_ctx;

size_t pkix_hash_len(pkix_hash h);           /* 0 for PKIX_HASH_NONE */
const char *pkix_hash_name(pkix_hash h);     /* "sha256", ... */
pkix_oid pkix_hash_oid(pkix_hash h);         /* PKIX_OID_SHA256, ... */
/* Its DER AlgorithmIdentifier, SEQUENCE { OID } with parameters absent
 * (RFC 5754 §2), as CMS digestAlgorithms carry it (static bytes). */
const uint8_t *pkix_hash_algid(pkix_hash h, size_t *len);
/* The hash an OID names, PKIX_HASH_NONE if none of ours. */
pkix_hash pkix_hash_by_oid(pkix_oid o);

/* PC_E_NOMEM / PC_E_CRYPTO if libcrypto cannot set it up. */
pc_rc pkix_hash_init(pkix_hash_ctx *c, pkix_hash h, pc_err *e) PC_CHECK;
void pkix_hash_update(pkix_hash_ctx *c, const void *p, size_t n);
/* Writes pkix_hash_len(c->h) bytes and releases the context. */
pc_rc pkix_hash_final(pkix_hash_ctx *c, uint8_t *out, pc_err *e) PC_CHECK;
void pkix_hash_abort(pkix_hash_ctx *c);
/* One call: out gets pkix_hash_len(h) bytes. */
pc_rc pkix_hash_once(pkix_hash h, const void *p, size_t n, uint8_t *out, pc_err *e) PC_CHECK;

#endif
