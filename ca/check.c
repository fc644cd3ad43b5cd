/*
 * check.c - the store's own invariants, beyond the audit chain: the second
 * half of `plantca audit verify` (see store_check.h).
 *
 * The cardinal rule of a CA is that a request is issued exactly once.  The
 * issuance pipeline (ca/pipeline.c) enforces it inside its transactions; this
 * is the independent look afterwards, reading only what is stored:
 *   - every certificate record sits under its own serial;
 *   - a certificate made for a queued request names that request, and the
 *     request names that certificate's serial and is "issued": a request
 *     with two certificates, or a certificate whose request does not know
 *     it, is a finding;
 *   - an issued request's certificate exists and points back to it;
 *   - a request in "signing" has its issuance intent (an interrupted
 *     issuance, completed by the next signing command), and every intent
 *     belongs to such a request or to a direct issue;
 *   - the indexes say what the records say: every certificate has its
 *     by-expiry entry (and by-segment, with a segment), every request its
 *     by-status entry and, until it is delivered, its not-yet-exported
 *     entry, and each index holds exactly that many entries (none stale).
 * Findings are printed one per line (escaped) and make the check fail with
 * PC_E_AUDIT.  Everything is looked up by key (no table grows with the
 * store), so memory stays flat for a store of millions of certificates.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "records.h"
#include "store_check.h"
#include "json.h"

enum { CHECK_SHOWN_MAX = 200 };   /* findings printed; the count is exact */

struct check {
	store_txn *t;
	FILE *out;
	bool json;
	uint64_t certs, requests, intents, findings;
	uint64_t with_segment, unexported;   /* index entries expected */
	struct month_n { int month; char seg[TR_SEGMENT_MAX + 1]; uint64_t n, have; } *mn;
	size_t nmn, capmn;                   /* the expiry counts recounted */
	size_t got;
	store *st;
};

static void finding(struct check *k, const char *fmt, ...) PC_PRINTF(2, 3);

/* One index entry the record implies; a finding if it is absent. */
PC_CHECK static pc_rc index_has(struct check *k, store_db db, const void *key, size_t len,
    const char *what, pc_err *e)
{
	pc_reader v;
	pc_rc rc = store_get(k->t, db, key, len, &v, e);

	if (rc == PC_E_NOTFOUND) {
		finding(k, "%s", what);
		return PC_OK;
	}
	return rc;
}

/* The expiry count (month, segment) the records imply, one more. */
PC_CHECK static pc_rc month_recount(struct check *k, const ca_cert_rec *r, pc_err *e)
{
	int m = ca_month_of((time_t)r->na);
	bool counted;
	size_t i;

	PC_TRY(ca_cert_counted(k->t, r, &counted, e));
	if (!counted)
		return PC_OK;
	for (i = 0; i < k->nmn; i++)
		if (k->mn[i].month == m && strcmp(k->mn[i].seg, r->segment) == 0)
			break;
	if (i == k->nmn) {
		/* months x segments: a few hundred entries, not the store */
		if (!pc_grow(&k->mn, &k->capmn, k->nmn, sizeof *k->mn, 64))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		memset(&k->mn[i], 0, sizeof k->mn[i]);
		k->mn[i].month = m;
		snprintf(k->mn[i].seg, sizeof k->mn[i].seg, "%s", r->segment);
		k->nmn++;
	}
	k->mn[i].n++;
	return PC_OK;
}

PC_CHECK static pc_rc month_have(void *ctx, int month, const char *segment, uint64_t n, pc_err *e)
{
	struct check *k = ctx;
	size_t i;

	(void)e;
	for (i = 0; i < k->nmn; i++)
		if (k->mn[i].month == month && strcmp(k->mn[i].seg, segment) == 0) {
			k->mn[i].have = n;
			return PC_OK;
		}
	finding(k, "expiry count %04d-%02d segment '%s' is %" PRIu64 ", the records imply 0",
	    month / 12, month % 12 + 1, segment, n);
	return PC_OK;
}

PC_CHECK static pc_rc months_check(struct check *k, pc_err *e)
{
	size_t i;

	PC_TRY(ca_expiry_months(k->t, 0, month_have, k, e));
	for (i = 0; i < k->nmn; i++)
		if (k->mn[i].have != k->mn[i].n)
			finding(k, "expiry count %04d-%02d segment '%s' is %" PRIu64 ", the records "
			    "imply %" PRIu64, k->mn[i].month / 12, k->mn[i].month % 12 + 1, k->mn[i].seg,
			    k->mn[i].have, k->mn[i].n);
	return PC_OK;
}

PC_CHECK static pc_rc cert_index_check(struct check *k, const ca_cert_rec *r, const char *hex,
    pc_err *e)
{
	uint8_t ek[8 + PKIX_SERIAL_LEN];
	char what[160];
	pc_buf sk = PC_BUF_INIT;
	pc_rc rc;

	/* random lookups map pages around each: let go of them as it goes */
	if (++k->got % CA_RELEASE_LOOKUPS == 0)
		store_release_pages(k->st);
	PC_TRY(month_recount(k, r, e));

	ca_expiry_key(ek, (time_t)r->na, r->serial);
	snprintf(what, sizeof what, "certificate %s is missing from the expiry index", hex);
	PC_TRY(index_has(k, STORE_BY_EXPIRY, ek, sizeof ek, what, e));
	if (!r->segment[0])
		return PC_OK;
	k->with_segment++;
	pc_buf_str(&sk, r->segment);
	pc_buf_byte(&sk, 0);
	pc_buf_append(&sk, r->serial, PKIX_SERIAL_LEN);
	snprintf(what, sizeof what, "certificate %s is missing from the segment index", hex);
	rc = pc_buf_ok(&sk) ? index_has(k, STORE_BY_SEGMENT, sk.p, sk.len, what, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK) {
		ca_segment_expiry_key(&sk, r->segment, (time_t)r->na, r->serial);
		snprintf(what, sizeof what, "certificate %s is missing from the segment expiry "
		    "index", hex);
		rc = pc_buf_ok(&sk) ? index_has(k, STORE_BY_SEGMENT_EXPIRY, sk.p, sk.len, what, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_free(&sk);
	return rc;
}

PC_CHECK static pc_rc request_index_check(struct check *k, const ca_request *q, pc_err *e)
{
	char what[160];
	pc_buf ik = PC_BUF_INIT;
	pc_rc rc;

	if (++k->got % CA_RELEASE_LOOKUPS == 0)
		store_release_pages(k->st);
	ca_request_index_key(&ik, q->status, q->id);
	snprintf(what, sizeof what, "request %" PRIu64 " is missing from the status index (%.20s)",
	    q->id, q->status);
	rc = pc_buf_ok(&ik) ? index_has(k, STORE_REQ_BY_STATUS, ik.p, ik.len, what, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK && q->exported == 0) {
		k->unexported++;
		ca_request_index_key(&ik, q->segment, q->id);
		snprintf(what, sizeof what, "request %" PRIu64 " is not yet exported but missing "
		    "from the export index", q->id);
		rc = pc_buf_ok(&ik) ? index_has(k, STORE_REQ_UNEXPORTED, ik.p, ik.len, what, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_free(&ik);
	return rc;
}

/* Each index holds exactly the entries its records imply: with every
 * implied one present (above), an equal count means none is stale. */
PC_CHECK static pc_rc index_counts(struct check *k, pc_err *e)
{
	static const struct { store_db db; const char *name; } idx[] = {
		{ STORE_BY_EXPIRY, "expiry index" }, { STORE_BY_SEGMENT, "segment index" },
		{ STORE_REQ_BY_STATUS, "request status index" },
		{ STORE_REQ_UNEXPORTED, "export index" },
		{ STORE_BY_SEGMENT_EXPIRY, "segment expiry index" },
	};
	const uint64_t want[] = { k->certs, k->with_segment, k->requests, k->unexported,
		k->with_segment };
	uint64_t n;
	size_t i;

	for (i = 0; i < sizeof idx / sizeof idx[0]; i++) {
		PC_TRY(store_count(k->t, idx[i].db, &n, e));
		if (n != want[i])
			finding(k, "the %s has %" PRIu64 " entries, the records imply %" PRIu64
			    " (stale entries)", idx[i].name, n, want[i]);
	}
	return PC_OK;
}

static void finding(struct check *k, const char *fmt, ...) PC_PRINTF(2, 3);
static void finding(struct check *k, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	k->findings++;
	if (k->findings > CHECK_SHOWN_MAX)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (k->json) {
		fprintf(k->out, "%s", k->findings > 1 ? "," : "");
		json_str(k->out, msg);
	} else {
		fprintf(k->out, "store check: %s\n", msg);
	}
}

/* The request a certificate record answers: its request field, or, for a
 * record written before that field existed, the "request N ..." source
 * that ca_sign has always recorded. */
static uint64_t cert_request_id(const ca_cert_rec *r)
{
	const char *p;
	uint64_t v = 0;

	if (r->request)
		return r->request;
	if (strncmp(r->source, "request ", 8) != 0)
		return 0;
	for (p = r->source + 8; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return *p == ' ' ? v : 0;
}

PC_CHECK static pc_rc cert_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct check *k = ctx;
	ca_cert_rec r;
	ca_request q;
	char hex[2 * PKIX_SERIAL_LEN + 1], qhex[2 * PKIX_SERIAL_LEN + 1];
	uint64_t id;
	pc_rc rc;

	(void)stop;
	PC_TRY(ca_cert_rec_decode(val, &r, e));
	k->certs++;
	ca_serial_hex(r.serial, PKIX_SERIAL_LEN, hex);
	if (pc_reader_left(&key) != PKIX_SERIAL_LEN ||
	    memcmp(key.p + key.off, r.serial, PKIX_SERIAL_LEN) != 0)
		finding(k, "certificate record %s is stored under another key", hex);
	if ((rc = cert_index_check(k, &r, hex, e)) != PC_OK) {
		ca_cert_rec_free(&r);
		return rc;
	}
	id = cert_request_id(&r);
	if (id == 0) {
		ca_cert_rec_free(&r);
		return PC_OK;
	}
	rc = ca_request_get(k->t, id, &q, e);
	if (rc == PC_E_NOTFOUND) {
		finding(k, "certificate %s was issued for request %" PRIu64 ", which does not exist "
		    "(a certificate without its request)", hex, id);
		ca_cert_rec_free(&r);
		return PC_OK;
	}
	if (rc != PC_OK) {
		ca_cert_rec_free(&r);
		return rc;
	}
	if (!q.has_serial) {
		finding(k, "certificate %s was issued for request %" PRIu64 ", which is %s and names "
		    "no certificate (a certificate without its request)", hex, id, q.status);
	} else if (memcmp(q.serial, r.serial, PKIX_SERIAL_LEN) != 0) {
		ca_serial_hex(q.serial, PKIX_SERIAL_LEN, qhex);
		finding(k, "request %" PRIu64 " has two certificates: %s (the one it names) and %s",
		    id, qhex, hex);
	} else if (strcmp(q.status, "issued") != 0) {
		finding(k, "request %" PRIu64 " is %s but certificate %s exists for it", id, q.status,
		    hex);
	}
	ca_request_free(&q);
	ca_cert_rec_free(&r);
	return PC_OK;
}

PC_CHECK static pc_rc request_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct check *k = ctx;
	ca_request q;
	ca_cert_rec r;
	pc_reader v;
	char hex[2 * PKIX_SERIAL_LEN + 1];
	pc_rc rc;

	(void)key;
	(void)stop;
	PC_TRY(ca_request_decode(val, &q, e));
	k->requests++;
	if ((rc = request_index_check(k, &q, e)) != PC_OK) {
		ca_request_free(&q);
		return rc;
	}
	if (q.has_serial)
		ca_serial_hex(q.serial, PKIX_SERIAL_LEN, hex);
	if (strcmp(q.status, "issued") == 0) {
		if (!q.has_serial) {
			finding(k, "request %" PRIu64 " is issued but names no certificate", q.id);
		} else if ((rc = store_get(k->t, STORE_CERTS, q.serial, PKIX_SERIAL_LEN, &v, e)) ==
		    PC_E_NOTFOUND) {
			finding(k, "request %" PRIu64 " names certificate %s, which is not in the store",
			    q.id, hex);
		} else if (rc != PC_OK) {
			ca_request_free(&q);
			return rc;
		} else {
			if ((rc = ca_cert_rec_decode(v, &r, e)) != PC_OK) {
				ca_request_free(&q);
				return rc;
			}
			if (cert_request_id(&r) != q.id)
				finding(k, "request %" PRIu64 " names certificate %s, which was issued for "
				    "%s", q.id, hex, cert_request_id(&r) ? "another request" : "no request");
			ca_cert_rec_free(&r);
		}
	} else if (strcmp(q.status, "signing") == 0) {
		if (!q.has_serial)
			finding(k, "request %" PRIu64 " is being signed but names no serial", q.id);
		else if ((rc = store_get(k->t, STORE_INTENTS, q.serial, PKIX_SERIAL_LEN, &v, e)) ==
		    PC_E_NOTFOUND)
			finding(k, "request %" PRIu64 " is being signed as %s, but there is no issuance "
			    "intent for it", q.id, hex);
		else if (rc != PC_OK) {
			ca_request_free(&q);
			return rc;
		}
	}
	ca_request_free(&q);
	return PC_OK;
}

PC_CHECK static pc_rc intent_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct check *k = ctx;
	pc_reader v;

	(void)val;
	(void)stop;
	k->intents++;
	/* a serial is either an intent or a certificate, never both */
	if (pc_reader_left(&key) == PKIX_SERIAL_LEN &&
	    store_get(k->t, STORE_CERTS, key.p + key.off, PKIX_SERIAL_LEN, &v, e) == PC_OK) {
		char hex[2 * PKIX_SERIAL_LEN + 1];
		ca_serial_hex(key.p + key.off, PKIX_SERIAL_LEN, hex);
		finding(k, "serial %s is both an issuance intent and a certificate", hex);
	}
	return PC_OK;
}

pc_rc ca_check_store(ca_ctx *c, FILE *out, bool json, uint64_t *findings, pc_err *e)
{
	struct check k;
	pc_rc rc;

	memset(&k, 0, sizeof k);
	k.out = out;
	k.json = json;
	k.st = c->st;
	PC_TRY(store_begin(c->st, false, &k.t, e));
	if (json)
		fprintf(out, "\"findings\":[");
	rc = store_scan(k.t, STORE_CERTS, NULL, 0, false, cert_visit, &k, e);
	if (rc == PC_OK)
		rc = store_scan(k.t, STORE_REQUESTS, NULL, 0, false, request_visit, &k, e);
	if (rc == PC_OK)
		rc = store_scan(k.t, STORE_INTENTS, NULL, 0, false, intent_visit, &k, e);
	if (rc == PC_OK)
		rc = index_counts(&k, e);
	if (rc == PC_OK)
		rc = months_check(&k, e);
	store_abort(k.t);
	free(k.mn);
	if (json)
		fprintf(out, "],\"certificates\":%" PRIu64 ",\"requests\":%" PRIu64 ",\"intents\":%"
		    PRIu64, k.certs, k.requests, k.intents);
	else if (rc == PC_OK && k.findings == 0)
		fprintf(out, "store consistent: %" PRIu64 " certificates, %" PRIu64 " requests, %" PRIu64
		    " interrupted issuance(s)\n", k.certs, k.requests, k.intents);
	if (k.findings > CHECK_SHOWN_MAX && !json)
		fprintf(out, "store check: ... %" PRIu64 " more\n", k.findings - CHECK_SHOWN_MAX);
	*findings = k.findings;
	if (rc == PC_OK && k.findings)
		rc = pc_fail(e, PC_E_AUDIT, "%s: store check failed: %" PRIu64 " finding(s)", c->home,
		    k.findings);
	return rc;
}
