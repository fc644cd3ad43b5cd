/*
 * records_scan.c - scan reports as imported (STORE_META "scan." SEGMENT
 * NUL id) and the officer's expected enrollments (STORE_META "expect."
 * SEGMENT NUL SHA-256(endpoint)), written by `plantca import` and
 * `plantca discovered expect`, read by `plantca discovered` and `plantca
 * status`.  The fields are in records.h.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "records.h"

static void scan_prefix(pc_buf *k, const char *segment)
{
	pc_buf_str(k, META_SCAN);
	if (segment != NULL) {
		pc_buf_str(k, segment);
		pc_buf_byte(k, 0);
	}
}

pc_rc ca_scan_put(store_txn *t, const char *segment, const char *station, const char *bundle,
    uint64_t sequence, const uint8_t *report, size_t len, uint64_t *id, pc_err *e)
{
	ca_scan_rec r;
	pc_buf k = PC_BUF_INIT, v = PC_BUF_INIT;
	uint64_t next;
	bool found;
	pc_rc rc;

	PC_TRY(ca_meta_get_u64(t, META_SCAN_NEXT, &next, &found, e));
	if (!found)
		next = 1;
	else if (next == 0 || next == UINT64_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %" PRIu64 " is not a scan id",
		    META_SCAN_NEXT, next);
	PC_TRY(ca_meta_put_u64(t, META_SCAN_NEXT, next + 1, e));
	memset(&r, 0, sizeof r);
	r.id = next;
	r.segment = (char *)segment;   /* borrowed to write them */
	r.station = (char *)station;
	r.bundle = (char *)bundle;
	r.sequence = sequence;
	r.imported = (uint64_t)time(NULL);
	r.report = report;
	r.report_len = len;
	scan_prefix(&k, segment);
	pc_buf_u64be(&k, next);
	rc = pc_rec_encode(&ca_scan_rec_type, &r, &v, e);
	if (rc == PC_OK)
		rc = pc_buf_ok(&k) ? store_put(t, STORE_META, k.p, k.len, v.p, v.len, true, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	pc_buf_free(&v);
	*id = next;
	return rc;
}

void ca_scan_rec_free(ca_scan_rec *r)
{
	pc_rec_free(&ca_scan_rec_type, r);
}

pc_rc ca_scan_decode(pc_reader val, ca_scan_rec *r, sr_report *rep, pc_err *e)
{
	char what[64];
	pc_err pe;

	sr_report_init(rep);
	PC_TRY(pc_rec_decode(&ca_scan_rec_type, val, r, e));
	snprintf(what, sizeof what, "scan %" PRIu64, r->id);
	/* it parsed at import: one that does not now was changed in the store */
	if (sr_parse(r->report, r->report_len, what, rep, &pe) != PC_OK) {
		ca_scan_rec_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "scan record: field report: %s", pe.msg);
	}
	return PC_OK;
}

void ca_scan_list_free(ca_scan_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		ca_scan_rec_free(&l->v[i]);
		sr_report_free(&l->reps[i]);
	}
	free(l->v);
	free(l->reps);
	memset(l, 0, sizeof *l);
}

PC_CHECK static pc_rc scan_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_scan_list *l = ctx;

	(void)key;
	(void)stop;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		ca_scan_rec *v = reallocarray(l->v, cap, sizeof *v);
		sr_report *rp;
		if (v == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->v = v;
		if ((rp = reallocarray(l->reps, cap, sizeof *rp)) == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->reps = rp;
		l->cap = cap;
	}
	PC_TRY(ca_scan_decode(val, &l->v[l->n], &l->reps[l->n], e));
	l->n++;
	return PC_OK;
}

static int cmp_scan_id(const void *a, const void *b)
{
	const ca_scan_rec *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

pc_rc ca_scans_load(store_txn *t, const char *segment, ca_scan_list *l, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;
	size_t i, j;

	memset(l, 0, sizeof *l);
	scan_prefix(&k, segment);
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, scan_visit, l, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	if (rc != PC_OK)
		return rc;
	/* keys sort by segment, then id: order by id alone (insertion sort
	 * keeps each record with its parsed report) */
	for (i = 1; i < l->n; i++)
		for (j = i; j > 0 && cmp_scan_id(&l->v[j - 1], &l->v[j]) > 0; j--) {
			ca_scan_rec tr = l->v[j];
			sr_report rr = l->reps[j];
			l->v[j] = l->v[j - 1];
			l->reps[j] = l->reps[j - 1];
			l->v[j - 1] = tr;
			l->reps[j - 1] = rr;
		}
	return PC_OK;
}

/* ------------------------------------------------------------ expected */

void ca_expect_key(pc_buf *k, const char *segment, const char *endpoint)
{
	uint8_t h[32];

	/* the URL hashed: a dir: path may be longer than an LMDB key */
	crypto_hash_sha256(h, (const uint8_t *)endpoint, strlen(endpoint));
	pc_buf_str(k, META_EXPECT);
	if (segment != NULL) {
		pc_buf_str(k, segment);
		pc_buf_byte(k, 0);
		pc_buf_append(k, h, sizeof h);
	}
}

pc_rc ca_expect_encode(const ca_expect_rec *r, pc_buf *b, pc_err *e)
{
	return pc_rec_encode(&ca_expect_rec_type, r, b, e);
}

pc_rc ca_expect_decode(pc_reader val, ca_expect_rec *r, pc_err *e)
{
	PC_TRY(pc_rec_decode(&ca_expect_rec_type, val, r, e));
	if ((r->done == 0) != (r->done_scan == 0) || (r->done == 0 && r->has_serial)) {
		ca_expect_rec_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "expectation record: field done: done, "
		    "done_scan and serial disagree");
	}
	return PC_OK;
}

void ca_expect_rec_free(ca_expect_rec *r)
{
	pc_rec_free(&ca_expect_rec_type, r);
}

pc_rc ca_expect_put(store_txn *t, const ca_expect_rec *r, pc_err *e)
{
	pc_buf k = PC_BUF_INIT, v = PC_BUF_INIT;
	pc_rc rc;

	ca_expect_key(&k, r->segment, r->endpoint);
	rc = ca_expect_encode(r, &v, e);
	if (rc == PC_OK)
		rc = pc_buf_ok(&k) ? store_put(t, STORE_META, k.p, k.len, v.p, v.len, false, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	pc_buf_free(&v);
	return rc;
}

void ca_expect_list_free(ca_expect_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_expect_rec_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

PC_CHECK static pc_rc expect_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_expect_list *l = ctx;

	(void)key;
	(void)stop;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 8;
		ca_expect_rec *v = reallocarray(l->v, cap, sizeof *v);
		if (v == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->v = v;
		l->cap = cap;
	}
	PC_TRY(ca_expect_decode(val, &l->v[l->n], e));
	l->n++;
	return PC_OK;
}

pc_rc ca_expects_load(store_txn *t, const char *segment, ca_expect_list *l, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	memset(l, 0, sizeof *l);
	pc_buf_str(&k, META_EXPECT);
	if (segment != NULL) {
		pc_buf_str(&k, segment);
		pc_buf_byte(&k, 0);
	}
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, expect_visit, l, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	return rc;
}
