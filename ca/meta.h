/*
 * meta.h - the plain values of the store's META database that are not
 * records, their keys and their strict getters (records_meta.c).  The
 * records, META ones included, are in records.h.
 *
 * The values (read only through the helpers below):
 *   schema (u32be, store.c), config.module, config.token, config.id,
 *   transfer.key_uri (strings), transfer.keyid (8 bytes), requests.next,
 *   export.seq.SEGMENT, fw.pending.seq, fw.sig.seq, scans.next (u64be),
 *   crl.days.CA (decimal text), audit.head (u64be sequence || 32-byte hash, ca/audit.c),
 *   cmp.tx.TXID and cmp.req.dev.FP.PROFILE (u64be request ids, ca/cmp.h),
 *   policy.sha256 (the hash the last policy.set event recorded, ca/capolicy.c).
 *
 * The map: docs/architecture.md "The store".
 */
#ifndef PLANTCA_META_H
#define PLANTCA_META_H

#include <stdbool.h>
#include <stdint.h>

#include "pc.h"
#include "store.h"

#define META_MODULE "config.module"
#define META_TOKEN "config.token"
#define META_ID "config.id"
#define META_TRANSFER_URI "transfer.key_uri"
#define META_TRANSFER_KEYID "transfer.keyid"
#define META_REQ_NEXT "requests.next"
#define META_EXPORT_SEQ "export.seq."   /* + segment */
#define META_EXPORT "export."           /* + segment: last export record */
#define META_CAGEN "cagen.ca."          /* + CA NUL gen: a replaced key generation (cagen.h) */
#define META_CAGEN_CRL "cagen.crl."     /* + CA NUL gen: its current CRL record */
#define META_ROOTX_NWO "rootx.nwo."     /* + gen (u64be): NewWithOld into root generation gen */
#define META_POLICY_SHA256 "policy.sha256"  /* the policy the last policy.set event put in force */
#define META_ROOTX_OWN "rootx.own."     /* + gen: OldWithNew, generation gen-1's key under gen */

/* (records_meta.c) Replace *field with a copy of v. */
pc_rc ca_set_str(char **field, const char *v, pc_err *e) PC_CHECK;
/* A u64 as the 8-byte big-endian key that keeps numeric order. */
void ca_id_key(uint64_t id, uint8_t k[8]);
/* META string values: at most CA_REC_PATH_MAX bytes, no NUL; a missing
 * one is PC_E_STORE_CORRUPT (init writes them).  *out is malloc'ed. */
pc_rc ca_meta_get_str(store_txn *t, const char *key, char **out, pc_err *e) PC_CHECK;
pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e) PC_CHECK;
/* A META u64 (exactly 8 bytes big-endian): *found false and *v 0 when the
 * key is absent; PC_E_STORE_CORRUPT "META KEY: ..." when malformed. */
pc_rc ca_meta_get_u64(store_txn *t, const char *key, uint64_t *v, bool *found,
    pc_err *e) PC_CHECK;
pc_rc ca_meta_put_u64(store_txn *t, const char *key, uint64_t v, pc_err *e) PC_CHECK;
/* A META value of exactly n bytes into out; absent is PC_E_STORE_CORRUPT. */
pc_rc ca_meta_get_fixed(store_txn *t, const char *key, uint8_t *out, size_t n,
    pc_err *e) PC_CHECK;

#endif
