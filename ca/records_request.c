/*
 * records_request.c - the queued request record (STORE_REQUESTS, by id):
 * its decoder, get and put by id, the list, and the request counter.  The
 * fields are in records.h; the request's state machine during issuance is
 * in request_state.c.
 *
 * The request indexes (schema 3) are kept here, by ca_request_put, in the
 * transaction that writes the record, so no writer can forget them:
 * STORE_REQ_BY_STATUS (status NUL id) for every request, and
 * STORE_REQ_UNEXPORTED (segment NUL id) for those not yet delivered
 * (exported == 0).  sign, approve --all and the counts read the first,
 * export the second; neither reads the whole store.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"

void ca_request_free(ca_request *r)
{
	pc_rec_free(&ca_request_type, r);
}

pc_rc ca_request_encode(const ca_request *r, pc_buf *b, pc_err *e)
{
	return pc_rec_encode(&ca_request_type, r, b, e);
}

pc_rc ca_request_decode(pc_reader val, ca_request *r, pc_err *e)
{
	PC_TRY(pc_rec_decode(&ca_request_type, val, r, e));
	/* records written before these fields kept the whole member */
	if (!r->has_csr_sha256)
		crypto_hash_sha256(r->csr_sha256, r->csr, r->csr_len);
	if (!r->has_csr_bytes)
		r->csr_bytes = r->csr_len;
	r->has_csr_sha256 = r->has_csr_bytes = true;
	return PC_OK;
}

pc_rc ca_request_get(store_txn *t, uint64_t id, ca_request *r, pc_err *e)
{
	uint8_t k[8];
	pc_reader val;
	pc_rc rc;

	ca_id_key(id, k);
	rc = store_get(t, STORE_REQUESTS, k, 8, &val, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "request %" PRIu64 ": no such request", id);
	PC_TRY(rc);
	if ((rc = ca_request_decode(val, r, e)) != PC_OK)
		pc_wrap(e, "request %" PRIu64, id);
	return rc;
}

void ca_request_index_key(pc_buf *b, const char *word, uint64_t id)
{
	uint8_t k[8];

	ca_id_key(id, k);
	b->len = 0;
	pc_buf_str(b, word);
	pc_buf_byte(b, 0);
	pc_buf_append(b, k, sizeof k);
}

/* Put (add) or delete request id's entry under `word` in index db. */
PC_CHECK static pc_rc index_set(store_txn *t, store_db db, const char *word, uint64_t id, bool add,
    pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	ca_request_index_key(&k, word, id);
	if (!pc_buf_ok(&k))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	else if (add)
		rc = store_put(t, db, k.p, k.len, "", 0, false, e);
	else
		rc = store_del(t, db, k.p, k.len, e);
	pc_buf_free(&k);
	if (rc != PC_OK)
		pc_wrap(e, "request %" PRIu64 ": index", id);
	return rc;
}

/* The index entries of r, given what the record said before (old, NULL
 * for a new record).  A missing old entry is a damaged store, not
 * something to paper over: audit verify (check.c) says which. */
PC_CHECK static pc_rc index_update(store_txn *t, const ca_request *old, const ca_request *r,
    pc_err *e)
{
	if (old == NULL || strcmp(old->status, r->status) != 0) {
		if (old)
			PC_TRY(index_set(t, STORE_REQ_BY_STATUS, old->status, r->id, false, e));
		PC_TRY(index_set(t, STORE_REQ_BY_STATUS, r->status, r->id, true, e));
	}
	if (old && old->exported == 0 && (r->exported != 0 || strcmp(old->segment, r->segment) != 0))
		PC_TRY(index_set(t, STORE_REQ_UNEXPORTED, old->segment, r->id, false, e));
	if (r->exported == 0 && (old == NULL || old->exported != 0 ||
	    strcmp(old->segment, r->segment) != 0))
		PC_TRY(index_set(t, STORE_REQ_UNEXPORTED, r->segment, r->id, true, e));
	return PC_OK;
}

pc_rc ca_request_index_add(store_txn *t, const ca_request *r, pc_err *e)
{
	return index_update(t, NULL, r, e);
}

pc_rc ca_request_del(store_txn *t, uint64_t id, pc_err *e)
{
	uint8_t k[8];
	ca_request r;
	pc_reader val;
	pc_rc rc;

	ca_id_key(id, k);
	PC_TRY(store_get(t, STORE_REQUESTS, k, sizeof k, &val, e));
	if (ca_request_decode(val, &r, e) != PC_OK)
		return pc_wrap(e, "request %" PRIu64, id);
	rc = index_set(t, STORE_REQ_BY_STATUS, r.status, id, false, e);
	if (rc == PC_OK && r.exported == 0)
		rc = index_set(t, STORE_REQ_UNEXPORTED, r.segment, id, false, e);
	ca_request_free(&r);
	if (rc == PC_OK)
		rc = store_del(t, STORE_REQUESTS, k, sizeof k, e);
	return rc;
}

pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e)
{
	uint8_t k[8];
	pc_buf b = PC_BUF_INIT;
	ca_request old;
	bool have_old = false;
	pc_reader val;
	pc_rc rc;

	ca_id_key(r->id, k);
	rc = store_get(t, STORE_REQUESTS, k, 8, &val, e);
	if (rc == PC_OK) {
		if ((rc = ca_request_decode(val, &old, e)) != PC_OK)
			return pc_wrap(e, "request %" PRIu64, r->id);
		have_old = true;
	} else if (rc == PC_E_NOTFOUND) {
		rc = PC_OK;
	} else {
		return rc;
	}
	/* fresh with a record there: store_put refuses it (PC_E_EXISTS) */
	rc = ca_request_encode(r, &b, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_REQUESTS, k, 8, b.p, b.len, fresh, e);
	if (rc == PC_OK)
		rc = index_update(t, have_old ? &old : NULL, r, e);
	if (have_old)
		ca_request_free(&old);
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_request_mark_exported(store_txn *t, uint64_t id, uint64_t sequence, pc_err *e)
{
	uint8_t k[8];
	pc_buf b = PC_BUF_INIT;
	ca_request r, before;
	pc_rc rc;

	PC_TRY(ca_request_get(t, id, &r, e));
	/* a shallow copy: what index_update compares (status, segment,
	 * exported), as the record was; r owns the memory */
	before = r;
	r.exported = sequence;
	ca_id_key(id, k);
	rc = ca_request_encode(&r, &b, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_REQUESTS, k, 8, b.p, b.len, false, e);
	if (rc == PC_OK)
		rc = index_update(t, &before, &r, e);
	pc_buf_free(&b);
	ca_request_free(&r);
	return rc;
}

pc_rc ca_next_request_id(store_txn *t, uint64_t *id, pc_err *e)
{
	uint64_t v;
	bool found;

	PC_TRY(ca_meta_get_u64(t, META_REQ_NEXT, &v, &found, e));
	if (!found)
		v = 1;
	else if (v == 0 || v == UINT64_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %" PRIu64 " is not a request id",
		    META_REQ_NEXT, v);
	*id = v;
	return ca_meta_put_u64(t, META_REQ_NEXT, v + 1, e);
}

void ca_request_list_free(ca_request_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_request_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

PC_CHECK static pc_rc request_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_request_list *l = ctx;
	ca_request r;

	if (l->page > 0) {
		pc_reader k = key;
		uint64_t id = 0;
		if (l->n >= l->page) {
			l->more = true;
			*stop = true;
			return PC_OK;
		}
		if (pc_reader_left(&k) == 8 && pc_reader_u64be(&k, &id))
			l->after = id;
	}
	if (ca_request_decode(val, &r, e) != PC_OK) {
		pc_reader k = key;
		uint64_t id = 0;
		if (pc_reader_left(&k) == 8 && pc_reader_u64be(&k, &id))
			return pc_wrap(e, "request %" PRIu64, id);
		return e->rc;
	}
	if ((l->status && strcmp(l->status, r.status) != 0) ||
	    (l->segment && strcmp(l->segment, r.segment) != 0)) {
		ca_request_free(&r);
		return PC_OK;
	}
	if (!pc_grow(&l->v, &l->cap, l->n, sizeof *l->v, 32)) {
		ca_request_free(&r);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	l->v[l->n++] = r;
	return PC_OK;
}

struct request_count {
	const char *status, *segment;
	size_t n;
};

PC_CHECK static pc_rc count_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct request_count *rc = ctx;
	ca_request r;

	(void)stop;
	if (ca_request_decode(val, &r, e) != PC_OK) {
		uint64_t id = 0;
		if (pc_reader_left(&key) == 8 && pc_reader_u64be(&key, &id))
			return pc_wrap(e, "request %" PRIu64, id);
		return e->rc;
	}
	if ((!rc->status || strcmp(rc->status, r.status) == 0) &&
	    (!rc->segment || strcmp(rc->segment, r.segment) == 0))
		rc->n++;
	ca_request_free(&r);
	return PC_OK;
}

PC_CHECK static pc_rc key_count_visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	size_t *n = ctx;

	(void)key;
	(void)val;
	(void)stop;
	(void)e;
	(*n)++;
	return PC_OK;
}

pc_rc ca_requests_count(store_txn *t, const char *status, const char *segment, size_t *n,
    pc_err *e)
{
	struct request_count rc = { status, segment, 0 };
	pc_buf k = PC_BUF_INIT;
	pc_rc r;

	*n = 0;
	if (status && !segment) {
		/* the index's keys, no record read */
		pc_buf_str(&k, status);
		pc_buf_byte(&k, 0);
		r = pc_buf_ok(&k) ? store_scan(t, STORE_REQ_BY_STATUS, k.p, k.len, false,
		    key_count_visit, n, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&k);
		return r;
	}
	r = store_scan(t, STORE_REQUESTS, NULL, 0, false, count_visit, &rc, e);
	*n = rc.n;
	return r;
}

/* An index entry (WORD NUL id): the record it names, through
 * request_visit with the record's own key. */
struct index_walk {
	store_txn *t;
	ca_request_list *l;
	size_t plen;
};

PC_CHECK static pc_rc index_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct index_walk *w = ctx;
	pc_reader k = key, rec;
	uint64_t id = 0;
	uint8_t rk[8];
	pc_rc rc;

	(void)val;
	if (pc_reader_left(&k) != w->plen + 8 || (k.off += w->plen, !pc_reader_u64be(&k, &id)))
		return pc_fail(e, PC_E_STORE_CORRUPT, "request index entry of %zu bytes",
		    pc_reader_left(&key));
	ca_id_key(id, rk);
	rc = store_get(w->t, STORE_REQUESTS, rk, sizeof rk, &rec, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_STORE_CORRUPT, "request %" PRIu64 ": in the request index "
		    "but not in the store", id);
	PC_TRY(rc);
	return request_visit(w->l, pc_reader_make(rk, sizeof rk), rec, stop, e);
}

pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e)
{
	uint8_t from[8];
	const char *word = l->unexported ? l->segment : l->status;
	store_db db = l->unexported ? STORE_REQ_UNEXPORTED : STORE_REQ_BY_STATUS;
	struct index_walk w = { t, l, 0 };
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	l->more = false;
	if (l->unexported && l->segment == NULL)
		return pc_fail(e, PC_E_INTERNAL, "requests: unexported without a segment");
	if (word == NULL) {
		if (l->page == 0 || l->after == 0)
			return store_scan(t, STORE_REQUESTS, NULL, 0, false, request_visit, l, e);
		if (l->after == UINT64_MAX)
			return PC_OK;
		ca_id_key(l->after + 1, from);
		return store_scan_from(t, STORE_REQUESTS, from, sizeof from, request_visit, l, e);
	}
	/* through an index: WORD NUL, then from the id after the last seen */
	if (l->page > 0 && l->after == UINT64_MAX)
		return PC_OK;
	pc_buf_str(&k, word);
	pc_buf_byte(&k, 0);
	w.plen = k.len;
	if (l->page > 0 && l->after > 0) {
		ca_id_key(l->after + 1, from);
		pc_buf_append(&k, from, sizeof from);
	}
	if (!pc_buf_ok(&k))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	else
		rc = store_scan_range(t, db, k.p, w.plen, k.p, k.len, index_visit, &w, e);
	pc_buf_free(&k);
	return rc;
}
