/*
 * records_request.c - the queued request record (STORE_REQUESTS, by id)
 * and the request counter.  See records.h; the request's state machine
 * during issuance is in request_state.c.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_REQUEST = 'Q' };
enum {
	R_F_ID = 1, R_F_STATUS, R_F_SEGMENT, R_F_STATION, R_F_BUNDLE, R_F_MEMBER, R_F_PROFILE,
	R_F_CSR, R_F_SUBJECT, R_F_SAN, R_F_KEYTYPE, R_F_REASON, R_F_SERIAL, R_F_CREATED,
	R_F_EXPORTED, R_F_CA, R_F_CSR_SHA256, R_F_CSR_BYTES,
};

void ca_request_free(ca_request *r)
{
	free(r->status);
	free(r->segment);
	free(r->station);
	free(r->bundle);
	free(r->member);
	free(r->profile);
	free(r->subject);
	free(r->san);
	free(r->keytype);
	free(r->reason);
	free(r->ca);
	free(r->csr);
	memset(r, 0, sizeof *r);
}

void ca_request_encode(const ca_request *r, pc_buf *b)
{
	pc_rec_begin(b, REC_REQUEST, 1);
	pc_rec_u64(b, R_F_ID, r->id);
	pc_rec_str(b, R_F_STATUS, r->status);
	pc_rec_str(b, R_F_SEGMENT, r->segment);
	pc_rec_str(b, R_F_STATION, r->station);
	pc_rec_str(b, R_F_BUNDLE, r->bundle);
	pc_rec_str(b, R_F_MEMBER, r->member);
	pc_rec_str(b, R_F_PROFILE, r->profile);
	pc_rec_bytes(b, R_F_CSR, r->csr, r->csr_len);
	pc_rec_bytes(b, R_F_CSR_SHA256, r->csr_sha256, sizeof r->csr_sha256);
	pc_rec_u64(b, R_F_CSR_BYTES, r->csr_bytes);
	pc_rec_str(b, R_F_SUBJECT, r->subject);
	pc_rec_str(b, R_F_SAN, r->san);
	pc_rec_str(b, R_F_KEYTYPE, r->keytype);
	pc_rec_str(b, R_F_REASON, r->reason);
	pc_rec_str(b, R_F_CA, r->ca);
	if (r->has_serial)
		pc_rec_bytes(b, R_F_SERIAL, r->serial, PKIX_SERIAL_LEN);
	pc_rec_u64(b, R_F_CREATED, r->created);
	pc_rec_u64(b, R_F_EXPORTED, r->exported);
}

pc_rc ca_request_decode(pc_reader val, ca_request *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool has_sha = false, has_bytes = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_REQUEST, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "request record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case R_F_ID: (void)pc_rec_val_u64(f, &r->id); break;
		case R_F_STATUS: r->status = ca_strdup_reader(f); break;
		case R_F_SEGMENT: r->segment = ca_strdup_reader(f); break;
		case R_F_STATION: r->station = ca_strdup_reader(f); break;
		case R_F_BUNDLE: r->bundle = ca_strdup_reader(f); break;
		case R_F_MEMBER: r->member = ca_strdup_reader(f); break;
		case R_F_PROFILE: r->profile = ca_strdup_reader(f); break;
		case R_F_SUBJECT: r->subject = ca_strdup_reader(f); break;
		case R_F_SAN: r->san = ca_strdup_reader(f); break;
		case R_F_KEYTYPE: r->keytype = ca_strdup_reader(f); break;
		case R_F_REASON: r->reason = ca_strdup_reader(f); break;
		case R_F_CA: r->ca = ca_strdup_reader(f); break;
		case R_F_CSR: {
			size_t n = pc_reader_left(&f);
			r->csr = malloc(n ? n : 1);
			if (r->csr && n)
				memcpy(r->csr, f.p + f.off, n);
			r->csr_len = n;
			break;
		}
		case R_F_SERIAL:
			if ((r->has_serial = pc_reader_left(&f) == PKIX_SERIAL_LEN))
				memcpy(r->serial, f.p + f.off, PKIX_SERIAL_LEN);
			break;
		case R_F_CREATED: (void)pc_rec_val_u64(f, &r->created); break;
		case R_F_EXPORTED: (void)pc_rec_val_u64(f, &r->exported); break;
		case R_F_CSR_SHA256:
			if ((has_sha = pc_reader_left(&f) == sizeof r->csr_sha256))
				memcpy(r->csr_sha256, f.p + f.off, sizeof r->csr_sha256);
			break;
		case R_F_CSR_BYTES: has_bytes = pc_rec_val_u64(f, &r->csr_bytes); break;
		default: break;
		}
	}
	/* records written before these fields kept the whole member */
	if (r->csr != NULL && !has_sha)
		crypto_hash_sha256(r->csr_sha256, r->csr, r->csr_len);
	if (r->csr != NULL && !has_bytes)
		r->csr_bytes = r->csr_len;
	if (!pc_reader_done(&val) || !r->status || !r->segment || !r->station || !r->bundle ||
	    !r->member || !r->profile || !r->csr || !r->subject || !r->san || !r->keytype ||
	    !r->reason || !r->ca) {
		ca_request_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "request record is truncated or malformed");
	}
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
	return ca_request_decode(val, r, e);
}

pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e)
{
	uint8_t k[8];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	ca_id_key(r->id, k);
	ca_request_encode(r, &b);
	rc = pc_buf_ok(&b) ? store_put(t, STORE_REQUESTS, k, 8, b.p, b.len, fresh, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_next_request_id(store_txn *t, uint64_t *id, pc_err *e)
{
	pc_reader val;
	uint64_t v = 0;
	uint8_t k[8];
	pc_rc rc = store_get(t, STORE_META, META_REQ_NEXT, strlen(META_REQ_NEXT), &val, e);

	if (rc == PC_E_NOTFOUND)
		v = 1;
	else if (rc != PC_OK)
		return rc;
	else if (!pc_reader_u64be(&val, &v) || v == 0)
		return pc_fail(e, PC_E_STORE_CORRUPT, "request counter is malformed");
	*id = v;
	ca_id_key(v + 1, k);
	return store_put(t, STORE_META, META_REQ_NEXT, strlen(META_REQ_NEXT), k, 8, false, e);
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

	(void)key;
	(void)stop;
	PC_TRY(ca_request_decode(val, &r, e));
	if ((l->status && strcmp(l->status, r.status) != 0) ||
	    (l->segment && strcmp(l->segment, r.segment) != 0)) {
		ca_request_free(&r);
		return PC_OK;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 32;
		ca_request *nv = realloc(l->v, nc * sizeof *nv);
		if (nv == NULL) {
			ca_request_free(&r);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = r;
	return PC_OK;
}

pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e)
{
	return store_scan(t, STORE_REQUESTS, NULL, 0, false, request_visit, l, e);
}
