/*
 * cmp.h - the CA's side of CMP enrollment (docs/cmp.md): accepted
 * manufacturers (ca/manufacturer.c) and the device requests that stations
 * forward in request bundles (ca/cmp.c).
 *
 * The CA does not take a station's word for a device: import verifies the
 * original signed PKIMessage again (pkix/cmp.h: structure, protection,
 * proof of possession), the IDevID's chain to a manufacturer the officer
 * accepted for the bundle's segment, or the LDevID's record in the store
 * (issued by this CA, not revoked, not expired), before the request is
 * judged as any CSR is (ca_request_prepare).
 *
 * Records (STORE_META; their fields and codec in records.h, records_cmp.c):
 *   "mfr." NAME          a manufacturer: its CA certificates (PEM, CRLs may
 *                        follow), the segments it is accepted for ("": all)
 *   "cmp.tx." TXID       the request id a transaction became (a
 *                        transactionID is accepted once, ever)
 *   "cmp.req." ID        what a CMP request was: body, transaction, the
 *                        signer (IDevID issuer, serial, fingerprint,
 *                        hardware serial, manufacturer), the certificate
 *                        it renews or revokes
 *   "cmp.dev." FP "." P  the request that gave IDevID FP an LDevID of
 *                        profile P (a second ir is refused while it is valid)
 *   "cmp.conf." TXID     the request whose certificate its device refused
 *                        in certConf (ca/cmp_conf.c; recorded once)
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_CA_CMP_H
#define PLANTCA_CA_CMP_H

#include <stdio.h>

#include "policy.h"
#include "rec.h"
#include "records.h"
#include "transfer.h"

enum { CA_CMP_MSG_MAX = 256 * 1024 };

/* Every manufacturer accepted for `segment` (NULL: all), appended. */
typedef struct ca_mfr_list { ca_mfr *v; size_t n, cap; } ca_mfr_list;
pc_rc ca_mfrs_load(store_txn *t, const char *segment, ca_mfr_list *l, pc_err *e) PC_CHECK;
void ca_mfr_list_free(ca_mfr_list *l);

/* The verbs. */
pc_rc ca_manufacturer_add(ca_ctx *c, const char *name, const char *pem_path,
    const char *const *segments, size_t nsegments, pc_err *e) PC_CHECK;
pc_rc ca_manufacturer_list(ca_ctx *c, FILE *out, pc_err *e) PC_CHECK;
pc_rc ca_manufacturer_remove(ca_ctx *c, const char *name, pc_err *e) PC_CHECK;

/* What a CMP request was (the record, ca_cmp_info in records.h), by
 * request id: _find sets *found false when the request is no CMP request;
 * _get says PC_E_NOTFOUND then.  A damaged record is PC_E_STORE_CORRUPT. */
pc_rc ca_cmp_info_find(store_txn *t, uint64_t request_id, ca_cmp_info *i, bool *found,
    pc_err *e) PC_CHECK;
pc_rc ca_cmp_info_get(store_txn *t, uint64_t request_id, ca_cmp_info *i, pc_err *e) PC_CHECK;
pc_rc ca_cmp_info_put(store_txn *t, uint64_t request_id, const ca_cmp_info *i, pc_err *e) PC_CHECK;
/* Is this request member a CMP message?  (".cmp") */
bool ca_cmp_member(const char *member);

/* Import: judge one CMP message of a bundle from `segment`.  Fills *info
 * and, for an enrollment, *csr (pkix_csr_free it) with the template as a
 * PKCS#10 would give it (the IDevID's serialNumber carried into the
 * subject when the template has none); *profile_out: the profile to ask
 * for (kur: the renewed certificate's).  A refusal is PC_E_* with the
 * reason, which import records as the rejection. */
pc_rc ca_cmp_judge(store_txn *t, const char *segment, const uint8_t *der, size_t len,
    const char *what, ca_cmp_info *info, pkix_csr *csr, char **profile_out,
    pc_err *e) PC_CHECK;
/* Import: every cmp-TXID.certconf member of request bundle b from
 * `segment` (a device refused its certificate, ca/cmp_conf.c): judged
 * from the device's signed certConf, recorded once, the certificate
 * revoked (cessationOfOperation), an audit event each; one that fails a
 * check is audited as refused.  Counts into *revoked, *recorded (a good
 * report whose certificate was revoked already: recorded and audited, not
 * revoked again) and *refused.  Only the store's own trouble is an error. */
pc_rc ca_cmp_conf_import(store_txn *t, const tr_bundle *b, const char *segment, time_t now,
    size_t *revoked, size_t *recorded, size_t *refused, pc_err *e) PC_CHECK;
/* Sign: the same message turned into *csr again (structure, protection,
 * proof of possession; the chain was judged at import). */
pc_rc ca_cmp_csr(const uint8_t *der, size_t len, const char *what, pkix_csr *csr,
    pc_err *e) PC_CHECK;

#endif
