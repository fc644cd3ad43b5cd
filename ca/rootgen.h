/*
 * rootgen.h - the root's key generations after `plantca root roll`
 * (RFC 4210 §4.4): what the store keeps of them and what exports carry.
 *
 * The root is the CA record "root" (parent ""); a roll makes it a key
 * generation like any rolled CA (cagen.h): the replaced root moves to
 * META "cagen.ca.root" NUL gen and keeps signing its CRL (revocations of
 * the certificates it issued, chosen by authorityKeyIdentifier) until the
 * last of them has expired, which is its own notAfter because NewWithOld
 * runs until then.  Beside it:
 *
 *   "rootx.nwo." gen (u64be)  NewWithOld: generation gen's key signed by
 *                             generation gen-1's (key continuity for a
 *                             relying party that trusts gen-1)
 *   "rootx.own." gen          OldWithNew: gen-1's key signed by gen's
 *                             (old certificates for one that trusts gen)
 *
 * Both are also certificate records issued by "root" (STORE_CERTS) and run
 * until generation gen-1's notAfter.  Every issuing CA the roll
 * re-certified keeps its previous certificate (from gen-1, same key) in
 * its record's xcert, carried in exports until that expires; so does each
 * replaced key generation of an issuing CA (cagen.h) that still had valid
 * certificates out, whose record in META the roll re-certified the same
 * way.
 *
 * The map: docs/architecture.md "The store", docs/lifecycle.md.
 */
#ifndef PLANTCA_ROOTGEN_H
#define PLANTCA_ROOTGEN_H

#include <stdbool.h>
#include <time.h>

#include "records.h"

struct ca_job;

/* Cross-certificate `prefix` (META_ROOTX_NWO or META_ROOTX_OWN) into root
 * generation gen: put (overwrite) and get (PC_E_NOTFOUND: none). */
pc_rc ca_rootx_put(store_txn *t, const char *prefix, uint64_t gen, const uint8_t *der,
    size_t len, pc_err *e) PC_CHECK;
pc_rc ca_rootx_get(store_txn *t, const char *prefix, uint64_t gen, pc_buf *der,
    pc_err *e) PC_CHECK;

/* In the pipeline's write transaction: if job j's certificate is for the
 * key CA j->newca already has, or the key of one of its replaced
 * generations (a root roll's re-certification, or its interrupted
 * intent), that certificate becomes the CA's (or that generation's), the
 * previous one its xcert, and *done is true; else nothing is written and
 * *done false. */
pc_rc ca_root_recert(store_txn *t, const struct ca_job *j, bool *done, pc_err *e) PC_CHECK;

/* What an export's trust files carry beside the current root and the
 * segment's CA: for every replaced root generation not expired at `now`,
 * its certificate, then NewWithOld and OldWithNew into the generation
 * after it; DER, owned. */
typedef struct ca_root_extra {
	pc_buf *v;
	size_t n, cap;
} ca_root_extra;

pc_rc ca_root_extras(store_txn *t, time_t now, ca_root_extra *x, pc_err *e) PC_CHECK;
void ca_root_extra_free(ca_root_extra *x);

#endif
