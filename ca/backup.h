/*
 * backup.h - `plantca backup` and `plantca restore` (ca/backup.c); what a
 * restore moves forward is explained in docs/operations.md.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_BACKUP_H
#define PLANTCA_BACKUP_H

#include "ca.h"
#include "manifest.h"

/* Response sequences a restore skips for every segment: more exports than
 * this between the backup and the restore would reuse a sequence a
 * station has seen (it then refuses the bundle as a replay).  Well below
 * the station's TR_SEQ_STEP_MAX. */
enum { CA_RESTORE_SEQ_BUMP = 10000 };

/* META u64: the lowest CRL number the next CRL may have (ca/crl.c); a
 * restore sets it to the time in microseconds. */
#define META_CRL_FLOOR "crl.floor"

pc_rc ca_backup(ca_ctx *c, const char *dir, pc_err *e) PC_CHECK;
pc_rc ca_restore(const char *dir, const char *home, const char *pin_file, bool json,
    pc_err *e) PC_CHECK;

#endif
