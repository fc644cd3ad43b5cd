/*
 * import_partial.c - the import-in-progress record of a bundle imported in
 * chunks, and the rollback of the partial import a crash leaves (why a
 * rollback and not a completion: ca/import.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "fault.h"
#include "import.h"

void ca_import_mark_free(ca_import_mark *m)
{
	pc_rec_free(&ca_import_mark_type, m);
}

pc_rc ca_import_mark_get(store_txn *t, ca_import_mark *m, bool *found, pc_err *e)
{
	pc_reader val;
	pc_rc rc;

	memset(m, 0, sizeof *m);
	*found = false;
	rc = store_get(t, STORE_META, META_IMPORT_PARTIAL, strlen(META_IMPORT_PARTIAL), &val, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if ((rc = pc_rec_decode(&ca_import_mark_type, val, m, e)) != PC_OK)
		return pc_wrap(e, "META %s", META_IMPORT_PARTIAL);
	if (m->next < m->first) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "META %s: requests %" PRIu64 " to %" PRIu64
		    " is no range", META_IMPORT_PARTIAL, m->first, m->next);
		ca_import_mark_free(m);
		return rc;
	}
	*found = true;
	return PC_OK;
}

pc_rc ca_import_mark_put(store_txn *t, const ca_import_mark *m, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	rc = pc_rec_encode(&ca_import_mark_type, m, &b, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_IMPORT_PARTIAL, strlen(META_IMPORT_PARTIAL), b.p,
		    b.len, false, e);
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_import_mark_del(store_txn *t, pc_err *e)
{
	return store_del(t, STORE_META, META_IMPORT_PARTIAL, strlen(META_IMPORT_PARTIAL), e);
}

/* One request of the partial import gone; an id it reserved for a CMP
 * message (written only by the last transaction) has no record. */
PC_CHECK static pc_rc request_del(store_txn *t, uint64_t id, uint64_t *removed, pc_err *e)
{
	pc_rc rc;

	/* the record with its index entries (records_request.c) */
	rc = ca_request_del(t, id, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	if (rc == PC_OK)
		(*removed)++;
	return rc;
}

/* One rollback transaction: the last CA_IMPORT_CHUNK requests of the
 * partial import; *done once the record is gone with the first of them. */
PC_CHECK static pc_rc rollback_chunk(ca_ctx *c, bool audit, bool *done, uint64_t *removed,
    pc_err *e)
{
	ca_import_mark m;
	store_txn *t;
	uint64_t lo, id, next = 0;
	bool found = false, have_next = false;
	char detail[400];
	pc_rc rc;

	PC_TRY(store_begin(c->st, true, &t, e));
	rc = ca_import_mark_get(t, &m, &found, e);
	if (rc != PC_OK || !found) {
		store_abort(t);
		*done = true;
		return rc;
	}
	lo = m.next - m.first > CA_IMPORT_CHUNK ? m.next - CA_IMPORT_CHUNK : m.first;
	for (id = lo; rc == PC_OK && id < m.next; id++)
		rc = request_del(t, id, removed, e);
	/* the ids go back too, so that a failed import leaves the store as
	 * it was (an absent counter counts from 1) */
	if (rc == PC_OK)
		rc = ca_meta_get_u64(t, META_REQ_NEXT, &next, &have_next, e);
	if (rc == PC_OK && have_next && next == m.next)
		rc = lo == 1 ? store_del(t, STORE_META, META_REQ_NEXT, strlen(META_REQ_NEXT), e) :
		    ca_meta_put_u64(t, META_REQ_NEXT, lo, e);
	m.next = lo;
	*done = lo == m.first;
	if (rc == PC_OK && !*done)
		rc = ca_import_mark_put(t, &m, e);
	if (rc == PC_OK && *done)
		rc = ca_import_mark_del(t, e);
	if (rc == PC_OK && *done && audit) {
		snprintf(detail, sizeof detail, "station %s, segment %s, sequence %" PRIu64 ": "
		    "interrupted after its requests from %" PRIu64 " on were stored; %" PRIu64
		    " removed, the sequence not used: import the bundle again", m.station, m.segment,
		    m.sequence, m.first, *removed);
		rc = audit_append(t, time(NULL), "import.rollback", m.bundle, "ok", detail, e);
	}
	ca_import_mark_free(&m);
	PC_TRY(store_end(&t, rc, e));
	store_release_pages(c->st);
	if (!*done)
		PC_TRY(PC_FAULT("import.rollback", c->home, e));
	return PC_OK;
}

pc_rc ca_import_rollback(ca_ctx *c, bool audit, uint64_t *removed, pc_err *e)
{
	bool done = false;

	*removed = 0;
	while (!done)
		PC_TRY(rollback_chunk(c, audit, &done, removed, e));
	return PC_OK;
}

pc_rc ca_import_recover(ca_ctx *c, bool locked, pc_err *e)
{
	ca_import_mark m;
	store_txn *t;
	uint64_t removed = 0;
	bool found = false;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_import_mark_get(t, &m, &found, e);
	store_abort(t);
	if (rc != PC_OK && !locked) {
		/* a read-only command shows the store as it is, and says so */
		fprintf(stderr, "plantca: warning: %s\n", e->msg);
		return PC_OK;
	}
	if (rc != PC_OK || !found)
		return rc;
	if (!locked) {
		fprintf(stderr, "plantca: %s: the import of %s (station %s, sequence %" PRIu64 ") was "
		    "interrupted with %" PRIu64 " of its requests stored; the next command that "
		    "changes the CA home removes them (then import the bundle again)\n", c->home,
		    m.bundle, m.station, m.sequence, m.next - m.first);
	} else if ((rc = ca_import_rollback(c, true, &removed, e)) == PC_OK) {
		fprintf(stderr, "plantca: rolled back the interrupted import of %s (station %s, "
		    "sequence %" PRIu64 "): %" PRIu64 " request(s) removed; import the bundle again "
		    "(audit event import.rollback)\n", m.bundle, m.station, m.sequence, removed);
	} else {
		pc_wrap(e, "rolling back the interrupted import of %s", m.bundle);
	}
	ca_import_mark_free(&m);
	return rc;
}
