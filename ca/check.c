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
 *     belongs to such a request or to a direct issue.
 * Findings are printed one per line (escaped) and make the check fail with
 * PC_E_AUDIT.  Everything is looked up by key (no table grows with the
 * store), so memory stays flat for a store of millions of certificates.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

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
};

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
	PC_TRY(store_begin(c->st, false, &k.t, e));
	if (json)
		fprintf(out, "\"findings\":[");
	rc = store_scan(k.t, STORE_CERTS, NULL, 0, false, cert_visit, &k, e);
	if (rc == PC_OK)
		rc = store_scan(k.t, STORE_REQUESTS, NULL, 0, false, request_visit, &k, e);
	if (rc == PC_OK)
		rc = store_scan(k.t, STORE_INTENTS, NULL, 0, false, intent_visit, &k, e);
	store_abort(k.t);
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
