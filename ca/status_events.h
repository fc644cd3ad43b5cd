/*
 * status_events.h - the coming expiry events of `plantca status`
 * (ca/status_events.c).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_STATUS_EVENTS_H
#define PLANTCA_STATUS_EVENTS_H

#include <stdio.h>
#include <time.h>

#include "ca.h"

/* Every coming expiry event (root, each CA, the last day each issuing CA
 * issues full-length certificates, each CA's CRL, each segment's delivered
 * CRLs, device certificates by month), soonest first, with what to do:
 * a table, or with `json` a JSON array. */
pc_rc ca_status_events(ca_ctx *c, store_txn *t, time_t now, bool json, FILE *out,
    pc_err *e) PC_CHECK;

#endif
