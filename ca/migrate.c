/*
 * migrate.c - store upgrades: a store written by an older plantca is
 * brought to STORE_SCHEMA_VERSION once, in one write transaction, by the
 * first command that holds the CA home's lock (or `plantca migrate`).
 *
 * Each step takes schema N to N+1 and may only add: new databases (made by
 * store_migrate_begin), index entries derived from what is there, new
 * META values.  Nothing is rewritten or removed, so every record of every
 * database that existed before is still there afterwards; the migration
 * counts them before and after and aborts if any count changed.  The audit
 * trail gets one "store.migrate" event in the same transaction.  A crash
 * leaves the old schema, untouched, and the next command tries again.
 *
 * Steps:
 *   1 -> 2  STORE_SUPERSEDED: old serial -> new serial, filled from the
 *           CMP key update requests (kur) already issued.
 *   2 -> 3  STORE_REQ_BY_STATUS and STORE_REQ_UNEXPORTED: every request's
 *           index entries, as ca_request_put keeps them from then on;
 *           STORE_EXPIRY_MONTHS: every leaf certificate neither revoked
 *           nor renewed counted (records_expiry.c); STORE_BY_SEGMENT_EXPIRY
 *           for every certificate with a segment.
 *
 * The map: docs/architecture.md "The store", docs/lifecycle.md.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "ca.h"
#include "cmp.h"
#include "records.h"

/* a migration lets go of the pages it has read every this many records */
enum { CA_MIGRATE_RELEASE = 4096 };

struct kur_ctx {
	store_txn *t;
	uint64_t n;
};

PC_CHECK static pc_rc kur_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct kur_ctx *x = ctx;
	ca_cmp_info i;
	ca_request q;
	char k[48];
	uint64_t id = 0;
	size_t n = pc_reader_left(&key);
	pc_rc rc;

	(void)val;
	(void)stop;
	if (n >= sizeof k)
		return PC_OK;
	memcpy(k, key.p + key.off, n);
	k[n] = '\0';
	/* "cmp.req." then 20 digits; "cmp.req.dev." keys are something else */
	if (n != 28 || sscanf(k, "cmp.req.%" SCNu64, &id) != 1)
		return PC_OK;
	PC_TRY(ca_cmp_info_get(x->t, id, &i, e));
	if (i.body != PKIX_CMP_KUR || !i.has_old)
		return PC_OK;
	PC_TRY(ca_request_get(x->t, id, &q, e));
	rc = PC_OK;
	if (strcmp(q.status, "issued") == 0 && q.has_serial) {
		/* the entry alone: the expiry counts do not exist yet at
		 * schema 2; step 2 -> 3 counts with this entry in place */
		rc = store_put(x->t, STORE_SUPERSEDED, i.old_serial, PKIX_SERIAL_LEN, q.serial,
		    PKIX_SERIAL_LEN, false, e);
		if (rc == PC_OK)
			x->n++;
	}
	ca_request_free(&q);
	return rc;
}

PC_CHECK static pc_rc step_1_2(store_txn *t, store *st, char *what, size_t n, pc_err *e)
{
	struct kur_ctx x = { t, 0 };

	(void)st;

	PC_TRY(store_scan(t, STORE_META, "cmp.req.", 8, false, kur_visit, &x, e));
	snprintf(what, n, "database superseded, %" PRIu64 " renewal(s) by kur indexed", x.n);
	return PC_OK;
}

struct req_ctx {
	store_txn *t;
	store *st;
	uint64_t n, open;
};

PC_CHECK static pc_rc req_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct req_ctx *x = ctx;
	ca_request q;
	uint64_t id = 0;
	pc_rc rc;

	(void)stop;
	if (ca_request_decode(val, &q, e) != PC_OK) {
		if (pc_reader_left(&key) == 8 && pc_reader_u64be(&key, &id))
			return pc_wrap(e, "request %" PRIu64, id);
		return e->rc;
	}
	rc = ca_request_index_add(x->t, &q, e);
	x->n++;
	x->open += q.exported == 0;
	ca_request_free(&q);
	/* the read pages of a big store: let go of them as it goes */
	if (x->n % CA_MIGRATE_RELEASE == 0)
		store_release_pages(x->st);
	return rc;
}

PC_CHECK static pc_rc count_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct req_ctx *x = ctx;
	ca_cert_rec r;
	bool counted;
	pc_rc rc;

	(void)key;
	(void)stop;
	PC_TRY(ca_cert_rec_decode(val, &r, e));
	rc = ca_segment_expiry_add(x->t, &r, e);
	if (rc == PC_OK)
		rc = ca_cert_counted(x->t, &r, &counted, e);
	if (rc == PC_OK && counted) {
		rc = ca_expiry_count_add(x->t, (time_t)r.na, r.segment, 1, e);
		x->open++;
	}
	ca_cert_rec_free(&r);
	if (++x->n % CA_MIGRATE_RELEASE == 0)
		store_release_pages(x->st);
	return rc;
}

PC_CHECK static pc_rc step_2_3(store_txn *t, store *st, char *what, size_t n, pc_err *e)
{
	struct req_ctx x = { t, st, 0, 0 }, y = { t, st, 0, 0 };

	PC_TRY(store_scan(t, STORE_REQUESTS, NULL, 0, false, req_visit, &x, e));
	PC_TRY(store_scan(t, STORE_CERTS, NULL, 0, false, count_visit, &y, e));
	snprintf(what, n, "request indexes by status and not yet exported, %" PRIu64 " request(s), "
	    "%" PRIu64 " not yet exported; expiry counts of %" PRIu64 " of %" PRIu64
	    " certificate(s)", x.n, x.open, y.open, y.n);
	return PC_OK;
}

typedef pc_rc (*step_fn)(store_txn *t, store *st, char *what, size_t n, pc_err *e);
static const step_fn steps[STORE_SCHEMA_VERSION] = {
	[1] = step_1_2,    /* steps[N]: N -> N+1 */
	[2] = step_2_3,
};

/* Entries of every database that exists at schema `ver`. */
PC_CHECK static pc_rc counts(store_txn *t, unsigned n, uint64_t c[STORE_DB_COUNT], pc_err *e)
{
	unsigned i;

	for (i = 0; i < n; i++)
		PC_TRY(store_count(t, (store_db)i, &c[i], e));
	return PC_OK;
}

pc_rc ca_migrate(ca_ctx *c, FILE *out, pc_err *e)
{
	uint64_t before[STORE_DB_COUNT], after[STORE_DB_COUNT], total = 0;
	char what[512], detail[1024];
	unsigned from = store_schema(c->st), v, ndb, i;
	store_txn *t = NULL;
	pc_rc rc = PC_OK;

	if (from >= STORE_SCHEMA_VERSION)
		return PC_OK;
	if (c->lock_fd < 0)
		return pc_fail(e, PC_E_INTERNAL, "%s: migration without the CA home's lock", c->home);
	/* the databases of the old schema: all that come before the first
	 * one a later schema added (store.h keeps them in that order) */
	for (ndb = 0; ndb < STORE_DB_COUNT && store_db_since((store_db)ndb) <= from; ndb++)
		;
	PC_TRY_OUT(store_migrate_begin(c->st, &t, e));
	PC_TRY_OUT(counts(t, ndb, before, e));
	detail[0] = '\0';
	for (v = from; v < STORE_SCHEMA_VERSION; v++) {
		if (steps[v] == NULL) {
			rc = pc_fail(e, PC_E_STORE_SCHEMA, "%s: store schema %u has no migration to %u",
			    c->home, v, v + 1);
			goto out;
		}
		PC_TRY_OUT(steps[v](t, c->st, what, sizeof what, e));
		snprintf(detail + strlen(detail), sizeof detail - strlen(detail), "%s%u -> %u: %s",
		    detail[0] ? "; " : "", v, v + 1, what);
	}
	PC_TRY_OUT(counts(t, ndb, after, e));
	for (i = 0; i < ndb; i++) {
		if (before[i] != after[i]) {
			rc = pc_fail(e, PC_E_INTERNAL, "%s: migration changed the number of records "
			    "in database %u (%" PRIu64 " -> %" PRIu64 "); nothing was changed", c->home,
			    i, before[i], after[i]);
			goto out;
		}
		total += before[i];
	}
	snprintf(detail + strlen(detail), sizeof detail - strlen(detail),
	    "; %" PRIu64 " entries in %u databases kept", total, ndb);
	PC_TRY_OUT(store_schema_set(t, STORE_SCHEMA_VERSION, e));
	{
		char obj[32];
		snprintf(obj, sizeof obj, "schema %u -> %d", from, STORE_SCHEMA_VERSION);
		PC_TRY_OUT(audit_append(t, time(NULL), "store.migrate", obj, "ok", detail, e));
	}
	rc = store_end(&t, PC_OK, e);
	if (rc == PC_OK && out)
		fprintf(out, "plantca: %s: store upgraded from schema %u to %d (%s)\n", c->home, from,
		    STORE_SCHEMA_VERSION, detail);
out:
	if (t)
		store_abort(t);
	return rc;
}
