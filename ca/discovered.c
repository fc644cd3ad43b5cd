/*
 * discovered.c - `plantca discovered` and `plantca discovered expect`,
 * and what import does with a scan report (discovery.h).
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "discovery.h"
#include "json.h"
#include "pem.h"
#include "text.h"

/* ------------------------------------------------------ the CA's trust */

typedef struct trust {
	store_txn *t;
	ca_rec *cas;
	size_t n, cap;
	pkix_cert *anchors, *pool;
	size_t nanchors, npool;
} trust;

static void trust_free(trust *tr)
{
	size_t i;

	for (i = 0; i < tr->n; i++)
		ca_rec_free(&tr->cas[i]);
	free(tr->cas);
	free(tr->anchors);
	free(tr->pool);
	memset(tr, 0, sizeof *tr);
}

PC_CHECK static pc_rc ca_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	trust *tr = ctx;

	(void)key;
	(void)stop;
	if (tr->n == tr->cap) {
		size_t cap = tr->cap ? 2 * tr->cap : 8;
		ca_rec *v = reallocarray(tr->cas, cap, sizeof *v);
		if (v == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		tr->cas = v;
		tr->cap = cap;
	}
	PC_TRY(ca_rec_decode(val, &tr->cas[tr->n], e));
	tr->n++;
	return PC_OK;
}

/* Every CA of the store: the root the anchor, all of them the pool. */
PC_CHECK static pc_rc trust_load(store_txn *t, trust *tr, pc_err *e)
{
	size_t i;

	memset(tr, 0, sizeof *tr);
	tr->t = t;
	PC_TRY(store_scan(t, STORE_CAS, NULL, 0, false, ca_visit, tr, e));
	tr->anchors = calloc(tr->n + 1, sizeof *tr->anchors);
	tr->pool = calloc(tr->n + 1, sizeof *tr->pool);
	if (tr->anchors == NULL || tr->pool == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < tr->n; i++) {
		if (tr->cas[i].parent[0] == '\0')
			tr->anchors[tr->nanchors++] = tr->cas[i].v;
		tr->pool[tr->npool++] = tr->cas[i].v;
	}
	return PC_OK;
}

/* The 20-byte serial plantca issues, from a certificate's DER. */
static bool serial_of(const uint8_t *der, size_t len, uint8_t serial[PKIX_SERIAL_LEN])
{
	pkix_cert c;
	pc_err e;
	const uint8_t *s;
	size_t n;

	if (pkix_cert_parse(der, len, "certificate", &c, &e) != PC_OK)
		return false;
	s = c.serial;
	n = c.serial_len;
	if (n == PKIX_SERIAL_LEN + 1 && s[0] == 0) {
		s++;
		n--;
	}
	if (n != PKIX_SERIAL_LEN)
		return false;
	memcpy(serial, s, n);
	return true;
}

/* Did this CA issue exactly this certificate?  Its serial's record holds
 * these very bytes. */
static bool issued(void *ctx, const uint8_t *der, size_t len)
{
	trust *tr = ctx;
	uint8_t serial[PKIX_SERIAL_LEN];
	ca_cert_rec r;
	pc_reader val;
	pc_err e;
	bool same;

	if (!serial_of(der, len, serial) ||
	    store_get(tr->t, STORE_CERTS, serial, sizeof serial, &val, &e) != PC_OK ||
	    ca_cert_rec_decode(val, &r, &e) != PC_OK)
		return false;
	same = r.der_len == len && memcmp(r.der, der, len) == 0;
	ca_cert_rec_free(&r);
	return same;
}

static void judge_of(trust *tr, time_t now, unsigned expiring, sr_judge *j)
{
	memset(j, 0, sizeof *j);
	j->anchors = tr->anchors;
	j->nanchors = tr->nanchors;
	j->cas = tr->pool;
	j->ncas = tr->npool;
	j->issued = issued;
	j->ctx = tr;
	j->now = now;
	j->expiring_days = expiring;
}

/* The certificates an endpoint presents as its own (the leaf of a TLS or
 * file chain, each OPC UA description's), up to max. */
static size_t leaves(const sr_endpoint *ep, size_t *out, size_t max)
{
	size_t n = 0, i, k;

	if (ep->result != SR_OK)
		return 0;
	if (ep->kind != SR_OPCUA) {
		if (ep->nchain > 0 && max > 0)
			out[n++] = ep->chain[0];
		return n;
	}
	for (i = 0; i < ep->nua && n < max; i++) {
		if (ep->ua[i].cert == SR_NONE)
			continue;
		for (k = 0; k < n && out[k] != ep->ua[i].cert; k++)
			;
		if (k == n)
			out[n++] = ep->ua[i].cert;
	}
	return n;
}

static const sr_endpoint *find_ep(const sr_report *r, const char *url)
{
	char u[SR_PATH_MAX * 3 + 16];
	size_t i;

	for (i = 0; i < r->neps; i++) {
		sr_endpoint_url(&r->eps[i], u, sizeof u);
		if (strcmp(u, url) == 0)
			return &r->eps[i];
	}
	return NULL;
}

/* -------------------------------------------------------------- import */

pc_rc ca_scan_import(store_txn *t, const char *segment, const char *station, const char *bundle,
    uint64_t sequence, const tr_member *m, const sr_report *rep, uint64_t *scan_id,
    size_t *closed, pc_err *e)
{
	ca_expect_list el;
	trust tr;
	char detail[256];
	size_t i, k, n, ids[SR_UA_MAX + 1];
	sr_tally tally;
	sr_items none = { NULL, 0, 0 };
	pc_rc rc;

	*closed = 0;
	PC_TRY(ca_scan_put(t, segment, station, bundle, sequence, m->data, m->len, scan_id, e));
	sr_tally_count(rep, 0, &none, &tally);
	snprintf(detail, sizeof detail, "scan %" PRIu64 " of segment %s by station %s: %zu "
	    "endpoints, %zu answered, %zu certificates", *scan_id, segment, station, rep->neps,
	    tally.results[SR_OK], rep->ncerts);
	PC_TRY(audit_append(t, time(NULL), "scan.import", bundle, "ok", detail, e));
	if ((rc = trust_load(t, &tr, e)) != PC_OK) {
		trust_free(&tr);
		return rc;
	}
	rc = ca_expects_load(t, segment, &el, e);
	for (i = 0; rc == PC_OK && i < el.n; i++) {
		ca_expect_rec *x = &el.v[i];
		const sr_endpoint *ep;
		if (x->done != 0 || (ep = find_ep(rep, x->endpoint)) == NULL)
			continue;
		n = leaves(ep, ids, SR_UA_MAX + 1);
		for (k = 0; k < n; k++) {
			const sr_cert *c = &rep->certs[ids[k]];
			char sh[2 * PKIX_SERIAL_LEN + 1];
			if (!issued(&tr, c->der, c->len) || !serial_of(c->der, c->len, x->serial))
				continue;
			x->has_serial = true;
			x->done = (uint64_t)time(NULL);
			x->done_scan = *scan_id;
			pc_hex_str(sh, sizeof sh, x->serial, PKIX_SERIAL_LEN, 0);
			snprintf(detail, sizeof detail, "segment %s: certificate %s of the plant CA seen "
			    "in scan %" PRIu64, segment, sh, *scan_id);
			if ((rc = ca_expect_put(t, x, e)) == PC_OK)
				rc = audit_append(t, time(NULL), "discovered.enrolled", x->endpoint, "ok",
				    detail, e);
			(*closed)++;
			break;
		}
	}
	ca_expect_list_free(&el);
	trust_free(&tr);
	return rc;
}

/* ------------------------------------------------------ the plant view */

/* Per endpoint URL of a report: its hash and its first leaf's hash. */
typedef struct epkey {
	uint8_t url[32], leaf[32];
	bool answered;
	size_t ep;
} epkey;

static int cmp_epkey(const void *a, const void *b)
{
	return memcmp(((const epkey *)a)->url, ((const epkey *)b)->url, 32);
}

static epkey *epkeys(const sr_report *r)
{
	epkey *v = calloc(r->neps + 1, sizeof *v);
	char url[SR_PATH_MAX * 3 + 16];
	size_t i, ids[1];

	if (v == NULL)
		return NULL;
	for (i = 0; i < r->neps; i++) {
		sr_endpoint_url(&r->eps[i], url, sizeof url);
		crypto_hash_sha256(v[i].url, (const uint8_t *)url, strlen(url));
		v[i].answered = r->eps[i].result == SR_OK;
		v[i].ep = i;
		if (leaves(&r->eps[i], ids, 1) == 1)
			memcpy(v[i].leaf, r->certs[ids[0]].hash, 32);
	}
	qsort(v, r->neps, sizeof *v, cmp_epkey);
	return v;
}

/* What changed from prev to cur: endpoints that answer now and did not
 * (new), that answered and do not (gone), whose certificate differs. */
PC_CHECK static pc_rc print_changes(FILE *out, const sr_report *prev, uint64_t prev_id,
    const sr_report *cur, bool json, pc_err *e)
{
	epkey *a = epkeys(prev), *b = epkeys(cur);
	size_t i = 0, j = 0, nn = 0, ng = 0, nc = 0, pass;
	char url[SR_PATH_MAX * 3 + 16];

	if (a == NULL || b == NULL) {
		free(a);
		free(b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	for (pass = 0; pass < 2; pass++) {
		bool first = true;
		if (pass == 1 && !json)
			fprintf(out, "  since scan %" PRIu64 ": %zu new, %zu gone, %zu changed\n", prev_id,
			    nn, ng, nc);
		for (i = j = 0; i < prev->neps || j < cur->neps;) {
			int c = i == prev->neps ? 1 : j == cur->neps ? -1 : memcmp(a[i].url, b[j].url, 32);
			const char *what = NULL;
			const sr_endpoint *ep = NULL;
			if (c < 0) {
				if (a[i].answered) {
					what = "gone";
					ep = &prev->eps[a[i].ep];
				}
				i++;
			} else if (c > 0) {
				if (b[j].answered) {
					what = "new";
					ep = &cur->eps[b[j].ep];
				}
				j++;
			} else {
				if (a[i].answered != b[j].answered)
					what = b[j].answered ? "new" : "gone";
				else if (b[j].answered && memcmp(a[i].leaf, b[j].leaf, 32) != 0)
					what = "changed";
				ep = b[j].answered ? &cur->eps[b[j].ep] : &prev->eps[a[i].ep];
				i++;
				j++;
			}
			if (what == NULL)
				continue;
			if (pass == 0) {
				nn += what[0] == 'n';
				ng += what[0] == 'g';
				nc += what[0] == 'c';
				continue;
			}
			sr_endpoint_url(ep, url, sizeof url);
			if (json) {
				fprintf(out, "%s{\"endpoint\":", first ? "" : ",");
				json_str(out, url);
				fprintf(out, ",\"change\":\"%s\"}", what);
			} else {
				fprintf(out, "    %-8s %s\n", what, url);
			}
			first = false;
		}
	}
	free(a);
	free(b);
	return PC_OK;
}

static void scan_head(FILE *out, const ca_scan_rec *s, const sr_report *r, bool json)
{
	char t1[PC_TIME_TEXT_MAX], t2[PC_TIME_TEXT_MAX], t3[PC_TIME_TEXT_MAX];

	pc_time_text(r->started, t1);
	pc_time_text(r->finished, t2);
	pc_time_text((int64_t)s->imported, t3);
	if (json) {
		fprintf(out, "\"scan\":{\"id\":%" PRIu64 ",\"station\":\"%s\",\"bundle\":", s->id,
		    s->station);
		json_str(out, s->bundle);
		fprintf(out, ",\"sequence\":%" PRIu64 ",\"started\":\"%s\",\"finished\":\"%s\","
		    "\"imported\":\"%s\"}", s->sequence, t1, t2, t3);
		return;
	}
	fprintf(out, "segment %s: scan %" PRIu64 " by station %s (%s), %s to %s, imported %s\n",
	    s->segment, s->id, s->station, s->bundle, t1, t2, t3);
}

static void print_expectations(FILE *out, const ca_expect_list *el, bool json)
{
	char t1[PC_TIME_TEXT_MAX], t2[PC_TIME_TEXT_MAX], sh[2 * PKIX_SERIAL_LEN + 1];
	size_t i;

	if (!json)
		fprintf(out, "expected enrollments: %zu\n", el->n);
	for (i = 0; i < el->n; i++) {
		const ca_expect_rec *x = &el->v[i];
		pc_time_text((int64_t)x->created, t1);
		pc_time_text((int64_t)x->done, t2);
		if (x->has_serial)
			pc_hex_str(sh, sizeof sh, x->serial, PKIX_SERIAL_LEN, 0);
		else
			sh[0] = '\0';
		if (json) {
			fprintf(out, "%s{\"segment\":\"%s\",\"endpoint\":", i ? "," : "", x->segment);
			json_str(out, x->endpoint);
			fprintf(out, ",\"status\":\"%s\",\"since\":\"%s\",\"scan\":%" PRIu64 ",\"note\":",
			    x->done ? "enrolled" : "open", t1, x->scan);
			json_str(out, x->note);
			if (x->done)
				fprintf(out, ",\"enrolled\":\"%s\",\"enrolled_scan\":%" PRIu64
				    ",\"serial\":\"%s\"}", t2, x->done_scan, sh);
			else
				fprintf(out, ",\"enrolled\":null,\"enrolled_scan\":null,\"serial\":null}");
			continue;
		}
		fprintf(out, "  %s %s  ", x->segment, x->endpoint);
		if (x->done)
			fprintf(out, "enrolled: certificate %s of the plant CA seen in scan %" PRIu64 " (%s)",
			    sh, x->done_scan, t2);
		else
			fprintf(out, "open since %s (scan %" PRIu64 "): must come back with a plant "
			    "certificate", t1, x->scan);
		if (x->note[0]) {
			fputs(" - ", out);
			pc_text_fputs(out, x->note);
		}
		fputc('\n', out);
	}
}

/* The latest and the one before of each segment in l (sorted by id):
 * indexes into l, SIZE_MAX for none. */
typedef struct seg_view {
	const char *segment;
	size_t latest, prev;
} seg_view;

static size_t segment_views(const ca_scan_list *l, seg_view *v)
{
	size_t n = 0, i, k;

	for (i = 0; i < l->n; i++) {
		for (k = 0; k < n && strcmp(v[k].segment, l->v[i].segment) != 0; k++)
			;
		if (k == n) {
			v[n].segment = l->v[i].segment;
			v[n].latest = v[n].prev = SIZE_MAX;
			n++;
		}
		v[k].prev = v[k].latest;
		v[k].latest = i;
	}
	return n;
}

pc_rc ca_discovered(ca_ctx *c, const char *segment, unsigned expiring, FILE *out, pc_err *e)
{
	ca_scan_list l;
	ca_expect_list el;
	seg_view *views = NULL;
	const sr_report **latest = NULL;
	sr_items items = { NULL, 0, 0 };
	sr_judge j;
	trust tr;
	store_txn *t = NULL;
	size_t nv = 0, i;
	bool json = c->json;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	memset(&el, 0, sizeof el);
	memset(&tr, 0, sizeof tr);
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_scans_load(t, segment, &l, e);
	if (rc == PC_OK)
		rc = ca_expects_load(t, segment, &el, e);
	if (rc == PC_OK)
		rc = trust_load(t, &tr, e);
	if (rc == PC_OK && ((views = calloc(l.n + 1, sizeof *views)) == NULL ||
	    (latest = calloc(l.n + 1, sizeof *latest)) == NULL))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc != PC_OK)
		goto out;
	nv = segment_views(&l, views);
	for (i = 0; i < nv; i++)
		latest[i] = &l.reps[views[i].latest];
	/* plant-wide: a key shared between two segments counts too */
	judge_of(&tr, time(NULL), expiring, &j);
	if ((rc = sr_judge_reports(latest, nv, &j, &items, e)) != PC_OK)
		goto out;
	if (json)
		fputs("{\"segments\":[", out);
	for (i = 0; rc == PC_OK && i < nv; i++) {
		const ca_scan_rec *s = &l.v[views[i].latest];
		sr_tally tally;
		sr_tally_count(latest[i], i, &items, &tally);
		if (json) {
			fprintf(out, "%s{\"segment\":\"%s\",", i ? "," : "", s->segment);
			scan_head(out, s, latest[i], true);
			fprintf(out, ",\"previous\":");
			if (views[i].prev == SIZE_MAX)
				fputs("null,\"changes\":[", out);
			else
				fprintf(out, "%" PRIu64 ",\"changes\":[", l.v[views[i].prev].id);
		} else {
			scan_head(out, s, latest[i], false);
		}
		if (views[i].prev != SIZE_MAX)
			rc = print_changes(out, &l.reps[views[i].prev], l.v[views[i].prev].id, latest[i],
			    json, e);
		if (json) {
			fputs("],\"endpoints\":[", out);
			sr_print_endpoints(out, latest[i], i, &items, true);
			fputs("],\"summary\":", out);
			sr_print_tally(out, &tally, true);
			fputc('}', out);
		} else {
			sr_print_endpoints(out, latest[i], i, &items, false);
			fputs("  ", out);
			sr_print_tally(out, &tally, false);
		}
	}
	if (rc != PC_OK)
		goto out;
	if (json) {
		fputs("],\"expected\":[", out);
		print_expectations(out, &el, true);
		fputs("]}\n", out);
	} else {
		if (nv == 0)
			fprintf(out, "no scan reports%s%s (plantca-station scan, then request --scan)\n",
			    segment ? " for segment " : "", segment ? segment : "");
		print_expectations(out, &el, false);
	}
out:
	store_abort(t);
	sr_items_free(&items);
	free(views);
	free(latest);
	trust_free(&tr);
	ca_expect_list_free(&el);
	ca_scan_list_free(&l);
	return rc;
}

/* ---------------------------------------------------- expected enrollment */

pc_rc ca_discovered_expect(ca_ctx *c, const char *segment, const char *const *endpoints,
    size_t n, const char *note, pc_err *e)
{
	ca_scan_list l;
	sr_items items = { NULL, 0, 0 };
	const sr_report *rep;
	sr_judge j;
	trust tr;
	store_txn *t = NULL;
	size_t i, k;
	pc_rc rc;

	memset(&tr, 0, sizeof tr);
	memset(&l, 0, sizeof l);
	if (segment == NULL)
		return pc_fail(e, PC_E_USAGE, "discovered expect: --segment S is required");
	if (n == 0)
		return pc_fail(e, PC_E_USAGE, "discovered expect: name the endpoints (as plantca "
		    "discovered shows them)");
	PC_TRY_OUT(store_begin(c->st, true, &t, e));
	rc = ca_scans_load(t, segment, &l, e);
	if (rc == PC_OK && l.n == 0)
		rc = pc_fail(e, PC_E_NOTFOUND, "segment %s: no scan report imported", segment);
	if (rc == PC_OK)
		rc = trust_load(t, &tr, e);
	if (rc != PC_OK)
		goto out;
	rep = &l.reps[l.n - 1];
	judge_of(&tr, time(NULL), 0, &j);
	if ((rc = sr_judge_reports(&rep, 1, &j, &items, e)) != PC_OK)
		goto out;
	for (i = 0; rc == PC_OK && i < n; i++) {
		const sr_endpoint *ep = find_ep(rep, endpoints[i]);
		const sr_item *hit = NULL;
		ca_expect_rec x;
		pc_buf key = PC_BUF_INIT;
		pc_reader old;
		char q[128];

		pc_text_quote(q, sizeof q, endpoints[i], strlen(endpoints[i]));
		if (ep == NULL || ep->result != SR_OK) {
			rc = pc_fail(e, PC_E_NOTFOUND, "%s: not answered in segment %s's latest scan "
			    "(scan %" PRIu64 ")", q, segment, l.v[l.n - 1].id);
			break;
		}
		for (k = 0; k < items.n && hit == NULL; k++)
			if (&rep->eps[items.v[k].ep] == ep && items.v[k].cert != SR_NONE &&
			    !items.v[k].plant)
				hit = &items.v[k];
		if (hit == NULL) {
			rc = pc_fail(e, PC_E_STATE, "%s: presents no certificate, or only certificates "
			    "of the plant CA (scan %" PRIu64 ")", q, l.v[l.n - 1].id);
			break;
		}
		ca_expect_key(&key, segment, endpoints[i]);
		rc = pc_buf_ok(&key) ? store_get(t, STORE_META, key.p, key.len, &old, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&key);
		if (rc == PC_OK) {
			rc = pc_fail(e, PC_E_EXISTS, "%s: already expected in segment %s", q, segment);
			break;
		}
		if (rc != PC_E_NOTFOUND)
			break;
		memset(&x, 0, sizeof x);
		x.segment = (char *)segment;
		x.endpoint = (char *)endpoints[i];
		x.note = (char *)(note ? note : "");
		memcpy(x.found, rep->certs[hit->cert].hash, 32);
		x.created = (uint64_t)time(NULL);
		x.scan = l.v[l.n - 1].id;
		if ((rc = ca_expect_put(t, &x, e)) == PC_OK) {
			char detail[256];
			snprintf(detail, sizeof detail, "segment %s, scan %" PRIu64 ": certificate %s "
			    "to be replaced by one of the plant CA", segment, x.scan, hit->fingerprint);
			rc = audit_append(t, time(NULL), "discovered.expect", endpoints[i], "ok", detail, e);
		}
		if (rc == PC_OK && !c->json)
			printf("expected: %s (segment %s) must come back with a plant certificate; "
			    "plantca status tracks it\n", q, segment);
	}
out:
	if (rc == PC_OK)
		rc = store_commit(t, e);
	else
		store_abort(t);
	if (rc == PC_OK && c->json)
		printf("{\"segment\":\"%s\",\"expected\":%zu}\n", segment, n);
	sr_items_free(&items);
	trust_free(&tr);
	ca_scan_list_free(&l);
	return rc;
}

pc_rc ca_expect_counts(store_txn *t, const char *segment, size_t *open, size_t *closed,
    pc_err *e)
{
	ca_expect_list el;
	size_t i;

	*open = *closed = 0;
	PC_TRY(ca_expects_load(t, segment, &el, e));
	for (i = 0; i < el.n; i++)
		if (el.v[i].done)
			(*closed)++;
		else
			(*open)++;
	ca_expect_list_free(&el);
	return PC_OK;
}
