/*
 * records_request.c - the queued request record (STORE_REQUESTS, by id):
 * its decoder, get and put by id, the list, and the request counter.  The
 * fields are in records.h; the request's state machine during issuance is
 * in request_state.c.
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

pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e)
{
	uint8_t k[8];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	ca_id_key(r->id, k);
	rc = ca_request_encode(r, &b, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_REQUESTS, k, 8, b.p, b.len, fresh, e);
	pc_buf_free(&b);
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

pc_rc ca_requests_count(store_txn *t, const char *status, const char *segment, size_t *n,
    pc_err *e)
{
	struct request_count rc = { status, segment, 0 };
	pc_rc r = store_scan(t, STORE_REQUESTS, NULL, 0, false, count_visit, &rc, e);

	*n = rc.n;
	return r;
}

pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e)
{
	uint8_t from[8];

	l->more = false;
	if (l->page == 0 || l->after == 0)
		return store_scan(t, STORE_REQUESTS, NULL, 0, false, request_visit, l, e);
	if (l->after == UINT64_MAX)
		return PC_OK;
	ca_id_key(l->after + 1, from);
	return store_scan_from(t, STORE_REQUESTS, from, sizeof from, request_visit, l, e);
}
