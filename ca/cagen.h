/*
 * cagen.h - the key generations of an issuing CA (`plantca ca roll`).
 *
 * STORE_CAS "NAME" always holds the current generation: every command
 * that signs certificates (sign, issue, renew, CMP) uses it.  A roll moves
 * the generation it replaces, with its current CRL, into META:
 *
 *   "cagen.ca." NAME NUL gen (u64be)   the replaced generation's CA record
 *                                      (rolled, last_na, retired set)
 *   "cagen.crl." NAME NUL gen (u64be)  its current CRL record; the DER in
 *                                      HOME/crl/current/NAME~GEN.NUMBER.der
 *
 * A replaced generation keeps signing CRLs for the certificates it issued
 * (the CRL entries are chosen by the certificate's authorityKeyIdentifier)
 * until the last of them has expired; then `plantca crl` signs its final
 * CRL and marks it retired, and exports stop carrying it.  CRL numbers of
 * all generations of one name share one sequence: a relying party that
 * orders CRLs of one issuer name by number never sees one go backwards.
 *
 * The map: docs/architecture.md "The store", docs/lifecycle.md.
 */
#ifndef PLANTCA_CAGEN_H
#define PLANTCA_CAGEN_H

#include "records.h"

struct ca_job;

/* META_CAGEN and META_CAGEN_CRL are in records.h */

/* The replaced generations of one CA, oldest first. */
typedef struct ca_gen_list {
	ca_rec *v;
	size_t n, cap;
} ca_gen_list;

static inline uint64_t ca_gen_no(const ca_rec *r)
{
	return r->gen ? r->gen : 1;
}

/* "NAME" for the current generation (gen 0), "NAME~GEN" for a replaced
 * one ('~' is never in a CA name): CRL file names and the key cache. */
void ca_gen_stem(const char *name, uint64_t gen, char *out, size_t n);
/* The META key PREFIX NAME NUL gen into k. */
void ca_gen_key(pc_buf *k, const char *prefix, const char *name, uint64_t gen);

pc_rc ca_gens_load(store_txn *t, const char *name, ca_gen_list *l, pc_err *e) PC_CHECK;
void ca_gen_list_free(ca_gen_list *l);
/* A replaced generation; PC_E_NOTFOUND naming it if there is none. */
pc_rc ca_gen_get(store_txn *t, const char *name, uint64_t gen, ca_rec *r, pc_err *e) PC_CHECK;
/* Write a replaced generation's record (overwrite). */
pc_rc ca_gen_put(store_txn *t, const ca_rec *r, pc_err *e) PC_CHECK;
/* The notAfter of the last-expiring certificate CA name issued with the
 * key of identifier kid (the expiry index, from the end); 0: none. */
pc_rc ca_gen_last_na(store_txn *t, const char *name, const uint8_t *kid, uint64_t *na,
    pc_err *e) PC_CHECK;
/* The highest CRL number any generation of `name` has signed (0: none). */
pc_rc ca_gen_crl_max(store_txn *t, const char *name, uint64_t *max, pc_err *e) PC_CHECK;

/* The generation of CA `name` whose key has identifier kid (the
 * authorityKeyIdentifier of a certificate it issued): the current one, or
 * a replaced one; the current one when kid is empty or nothing matches. */
pc_rc ca_rec_for_kid(store_txn *t, const char *name, const uint8_t *kid, size_t kid_len,
    ca_rec *r, pc_err *e) PC_CHECK;

/* In the pipeline's write transaction t, with the new generation's job j
 * (signed): the current generation of j->newca and its CRL move to META,
 * the new one becomes current, an audit event says so.  Refuses a job
 * whose certificate has another subject than the CA it replaces. */
pc_rc ca_gen_roll(ca_ctx *c, store_txn *t, const struct ca_job *j, time_t now,
    pc_err *e) PC_CHECK;

#endif
