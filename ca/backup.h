/*
 * backup.h - `plantca backup` and `plantca restore` (ca/backup.c); what a
 * restore moves forward is explained in docs/operations.md.
 */
#ifndef PLANTCA_BACKUP_H
#define PLANTCA_BACKUP_H

#include "ca.h"

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

/* One line of a backup's MANIFEST. */
typedef pc_rc (*ca_manifest_fn)(void *ctx, const char *path, const uint8_t sha256[32],
    pc_err *e);
/* MANIFEST from p[0..len) (untrusted): "SHA256  PATH" per line, lowercase
 * hex, paths a backup holds, sorted, each once, db/data.mdb among them;
 * PC_E_INPUT "WHAT:LINE: WHY". */
pc_rc ca_manifest_parse(const uint8_t *p, size_t len, const char *what, ca_manifest_fn fn,
    void *ctx, pc_err *e) PC_CHECK;

#endif
