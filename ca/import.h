/*
 * import.h - a bundle imported in chunks, and the partial import a crash
 * leaves (ca/import_partial.c; docs/architecture.md "Memory does not grow
 * with a batch").
 *
 * `plantca import` writes a large bundle's requests in chunks, each in its
 * own write transaction (an LMDB write transaction holds every page it
 * changes until it commits), and everything with an effect beyond the
 * requests themselves (the station's sequence, CMP revocations and
 * transaction records, the scan report, the audit event) in the last one.
 * The first chunk writes the import-in-progress record (META
 * "import.partial", ca_import_mark in records.h); the last transaction
 * deletes it.  A bundle that fits one chunk is one transaction, as before.
 *
 * A partial import is rolled back, never finished: the bundle was read
 * through a nameless spool copy that died with the process, and the
 * officer still has the original, whose sequence is not yet used.
 */
#ifndef PLANTCA_IMPORT_H
#define PLANTCA_IMPORT_H

#include "ca.h"
#include "records.h"

enum {
	CA_IMPORT_CHUNK = 4096,                 /* requests per chunk commit */
	CA_IMPORT_CHUNK_BYTES = 8 * 1024 * 1024 /* ... or this much stored CSR data */
};

void ca_import_mark_free(ca_import_mark *m);
/* The import in progress; *found false when there is none. */
pc_rc ca_import_mark_get(store_txn *t, ca_import_mark *m, bool *found, pc_err *e) PC_CHECK;
pc_rc ca_import_mark_put(store_txn *t, const ca_import_mark *m, pc_err *e) PC_CHECK;
pc_rc ca_import_mark_del(store_txn *t, pc_err *e) PC_CHECK;

/* Undo the partial import, in chunks from its last request down (a crash
 * in between leaves a smaller partial import, undone the same way): its
 * requests deleted, requests.next put back, the record deleted.  With
 * `audit`, the last transaction also appends an import.rollback event
 * naming the bundle (after a crash); without, the store is as it was
 * before the import began (an import that failed).  *removed counts the
 * requests deleted.  Nothing to do is PC_OK. */
pc_rc ca_import_rollback(ca_ctx *c, bool audit, uint64_t *removed, pc_err *e) PC_CHECK;

/* At open: a command that holds the lock rolls back a partial import
 * (with its audit event) before it does anything, and says so on stderr;
 * a read-only one only says that there is one. */
pc_rc ca_import_recover(ca_ctx *c, bool locked, pc_err *e) PC_CHECK;

#endif
