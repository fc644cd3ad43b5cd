/*
 * discovery.h - what the plant's stations found on their segments
 * (docs/discovery.md): scan reports stored at import, the plant-wide view
 * (`plantca discovered`), the officer's expected enrollments (`plantca
 * discovered expect`) and their state (`plantca status`).
 *
 * The CA judges every report itself, when it shows it: a certificate is
 * the plant's when the CA issued exactly it (its DER is the one recorded
 * under its serial) or it is one of the CA certificates, or it chains to
 * the root through them (scanreport.h sr_judge).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_DISCOVERY_H
#define PLANTCA_DISCOVERY_H

#include <stdio.h>

#include "ca.h"
#include "records.h"
#include "scanreport.h"
#include "transfer.h"

/* In import's write transaction t: the report (member m of bundle,
 * parsed already into rep, of the station's segment) stored as a scan
 * record, with an audit event; every open expectation of the segment
 * that rep now shows answered with a plant certificate closed, with an
 * audit event each.  *closed counts them. */
pc_rc ca_scan_import(store_txn *t, const char *segment, const char *station, const char *bundle,
    uint64_t sequence, const tr_member *m, const sr_report *rep, uint64_t *scan_id,
    size_t *closed, pc_err *e) PC_CHECK;

/* plantca discovered [--segment S] [--expiring DAYS]: per segment the
 * latest scan, judged, and what changed since the one before; then the
 * expected enrollments. */
pc_rc ca_discovered(ca_ctx *c, const char *segment, unsigned expiring_days, FILE *out,
    pc_err *e) PC_CHECK;

/* plantca discovered expect ENDPOINT... --segment S [--reason TEXT]: each
 * endpoint must be in the segment's latest scan, answered, with a
 * certificate the plant CA did not issue. */
pc_rc ca_discovered_expect(ca_ctx *c, const char *segment, const char *const *endpoints,
    size_t n, const char *note, pc_err *e) PC_CHECK;

/* Open and closed expectations of a segment (status). */
pc_rc ca_expect_counts(store_txn *t, const char *segment, size_t *open, size_t *closed,
    pc_err *e) PC_CHECK;

#endif
