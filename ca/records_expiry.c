/*
 * records_expiry.c - the expiry counts (STORE_EXPIRY_MONTHS, schema 3):
 * per month of notAfter and segment, how many leaf certificates are
 * neither revoked nor renewed.  `plantca status` reads them for its
 * "certificates" events instead of every certificate of the store.
 *
 * They are kept where the facts change, in the same transaction:
 * ca_cert_put counts a new leaf certificate, revoke (ca/revoke.c) and
 * ca_supersede_put uncount one that was counted.  Expiry changes nothing
 * here: a month that has passed is not read, and the month under way is
 * counted from the expiry index from now on (status_events.c).  audit
 * verify recounts them from the records (ca/check.c).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "records.h"

int ca_month_of(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	return (tm.tm_year + 1900) * 12 + tm.tm_mon;
}

time_t ca_month_start(int month)
{
	struct tm tm;

	memset(&tm, 0, sizeof tm);
	tm.tm_year = month / 12 - 1900;
	tm.tm_mon = month % 12;
	tm.tm_mday = 1;
	return timegm(&tm);
}

void ca_month_key(pc_buf *k, int month, const char *segment)
{
	uint8_t be[4] = { (uint8_t)((unsigned)month >> 24), (uint8_t)((unsigned)month >> 16),
		(uint8_t)((unsigned)month >> 8), (uint8_t)month };

	k->len = 0;
	pc_buf_append(k, be, sizeof be);
	pc_buf_str(k, segment ? segment : "");
}

pc_rc ca_expiry_count_add(store_txn *t, time_t na, const char *segment, int delta, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_reader v;
	uint64_t n = 0;
	uint8_t be[8];
	int i;
	pc_rc rc;

	ca_month_key(&k, ca_month_of(na), segment);
	if (!pc_buf_ok(&k))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	rc = store_get(t, STORE_EXPIRY_MONTHS, k.p, k.len, &v, e);
	if (rc == PC_OK && (pc_reader_left(&v) != 8 || !pc_reader_u64be(&v, &n)))
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "expiry count of segment '%s': not 8 bytes",
		    segment ? segment : "");
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	if (rc == PC_OK && delta < 0 && n < (uint64_t)-delta)
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "expiry count of segment '%s' would go below "
		    "zero (run plantca audit verify)", segment ? segment : "");
	if (rc == PC_OK) {
		n += (uint64_t)(int64_t)delta;
		for (i = 7; i >= 0; i--, n >>= 8)
			be[i] = (uint8_t)n;
		rc = store_put(t, STORE_EXPIRY_MONTHS, k.p, k.len, be, sizeof be, false, e);
	}
	pc_buf_free(&k);
	return rc;
}

pc_rc ca_cert_counted(store_txn *t, const ca_cert_rec *r, bool *counted, pc_err *e)
{
	pc_reader v;
	pc_rc rc;

	*counted = false;
	if (strcmp(r->kind, "leaf") != 0)
		return PC_OK;
	rc = store_get(t, STORE_REVOCATIONS, r->serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_OK)
		return PC_OK;
	if (rc != PC_E_NOTFOUND)
		return rc;
	/* the supersession entry's presence (records_cert.c reads its value) */
	rc = store_get(t, STORE_SUPERSEDED, r->serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_OK)
		return PC_OK;
	if (rc != PC_E_NOTFOUND)
		return rc;
	*counted = true;
	return PC_OK;
}

struct month_walk {
	ca_month_fn fn;
	void *ctx;
};

PC_CHECK static pc_rc month_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct month_walk *w = ctx;
	char seg[TR_SEGMENT_MAX + 1];
	uint64_t n = 0;
	size_t sl = pc_reader_left(&key);
	int month;

	(void)stop;
	if (sl < 4 || sl - 4 > TR_SEGMENT_MAX || pc_reader_left(&val) != 8 ||
	    !pc_reader_u64be(&val, &n))
		return pc_fail(e, PC_E_STORE_CORRUPT, "expiry count entry of %zu bytes", sl);
	month = (int)((uint32_t)key.p[key.off] << 24 | (uint32_t)key.p[key.off + 1] << 16 |
	    (uint32_t)key.p[key.off + 2] << 8 | key.p[key.off + 3]);
	memcpy(seg, key.p + key.off + 4, sl - 4);
	seg[sl - 4] = '\0';
	return n ? w->fn(w->ctx, month, seg, n, e) : PC_OK;
}

pc_rc ca_expiry_months(store_txn *t, int from_month, ca_month_fn fn, void *ctx, pc_err *e)
{
	struct month_walk w = { fn, ctx };
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	ca_month_key(&k, from_month, "");
	rc = pc_buf_ok(&k) ? store_scan_from(t, STORE_EXPIRY_MONTHS, k.p, k.len, month_visit, &w, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	return rc;
}
