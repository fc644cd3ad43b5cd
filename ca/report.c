/*
 * report.c - `plantca report [-o FILE.html]`: the plant at a glance.  One
 * read transaction gathers the CAs, the segments and the CRLs their last
 * export delivered, the certificates expiring per month, the pending
 * requests and the newest revocations; then one HTML page is written, with
 * its style inline and its pictures as inline SVG (ca/svg.c), nothing
 * fetched from anywhere: it opens on the CA workstation, which has no
 * network.  Read-only: no lock, no token.
 *
 * The page's elements carry ids, classes and data- attributes (segment,
 * days-left, count) so that a test reads the DOM a browser built, not
 * the text.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cagen.h"
#include "checkpoint.h"
#include "file.h"
#include "format.h"
#include "pem.h"
#include "records.h"
#include "report.h"
#include "rootgen.h"
#include "text.h"

typedef struct rep_revoked {
	uint8_t serial[PKIX_SERIAL_LEN];
	ca_revocation r;
	char *subject;               /* NULL: no certificate record */
} rep_revoked;

typedef struct rep {
	store_txn *t;                /* one read transaction for the whole page */
	time_t now;
	ca_rec cas[REPORT_CA_MAX];
	char *subjects[REPORT_CA_MAX];   /* one per view entry */
	report_ca view[REPORT_CA_MAX];   /* cas[i] is view[i]; then the replaced roots */
	size_t ncas, nview;
	bool more_cas;
	ca_gen_list rootgens;            /* the replaced root generations, oldest first */
	report_cross cross[REPORT_CROSS_MAX];
	size_t ncross;
	ca_station_list_t stations;
	char months[REPORT_MONTHS][8];
	time_t month_end[REPORT_MONTHS];
	size_t per_month[REPORT_MONTHS], later;
	size_t valid, revoked, expired;
	rep_revoked revs[REPORT_REVOCATIONS];
	size_t nrevs, revocations;
	ca_request_list pending;
	bool have_cp, cp_ok;         /* the last signed audit checkpoint, checked */
	tr_checkpoint cp;
	char cp_why[1024];
} rep;

/* ----------------------------------------------------------- gathering */

PC_CHECK static pc_rc ca_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	rep *r = ctx;
	size_t i = r->ncas;

	(void)key;
	if (i == REPORT_CA_MAX) {
		r->more_cas = true;
		*stop = true;
		return PC_OK;
	}
	PC_TRY(ca_rec_decode(val, &r->cas[i], e));
	r->ncas++;
	return ca_name_text(r->cas[i].v.subject, r->cas[i].v.subject_len, &r->subjects[i], e);
}

/* whether the certificate with this INTEGER content is revoked */
static bool serial_revoked(store_txn *t, const uint8_t *s, size_t n)
{
	pc_reader v;
	pc_err ignored;

	if (n == PKIX_SERIAL_LEN + 1 && s[0] == 0) {
		s++;
		n--;
	}
	return n == PKIX_SERIAL_LEN &&
	    store_get(t, STORE_REVOCATIONS, s, PKIX_SERIAL_LEN, &v, &ignored) == PC_OK;
}

static void cas_view(rep *r, store_txn *t)
{
	size_t i, j;

	for (i = 0; i < r->ncas; i++) {
		const ca_rec *c = &r->cas[i];
		report_ca *v = &r->view[i];
		v->name = c->name;
		v->parent = c->parent;
		v->subject = r->subjects[i];
		v->not_after = c->v.not_after;
		v->revoked = serial_revoked(t, c->v.serial, c->v.serial_len);
		v->cross = false;
		v->gen = ca_gen_no(c);
		v->replaced = false;
		v->ski = c->v.ski;
		v->ski_len = c->v.ski_len;
		/* a CA whose certificate its recorded parent did not issue (a
		 * cross-certificate): drawn dashed */
		for (j = 0; j < r->ncas && c->parent[0]; j++)
			if (strcmp(r->cas[j].name, c->parent) == 0)
				v->cross = c->v.issuer_len != r->cas[j].v.subject_len ||
				    memcmp(c->v.issuer, r->cas[j].v.subject, c->v.issuer_len) != 0;
	}
	r->nview = r->ncas;
}

/* the box of root key generation gen, or of the root generation whose key
 * has identifier kid (kid != NULL); SIZE_MAX: not drawn */
static size_t root_box(const rep *r, uint64_t gen, const uint8_t *kid, size_t kid_len)
{
	size_t i;

	for (i = 0; i < r->nview; i++) {
		const report_ca *v = &r->view[i];
		if (v->parent[0] || strcmp(v->name, "root") != 0)
			continue;
		if (kid ? v->ski_len == kid_len && kid_len && memcmp(v->ski, kid, kid_len) == 0 :
		    v->gen == gen)
			return i;
	}
	return SIZE_MAX;
}

static void cross_add(rep *r, size_t issuer, size_t subject, const char *kind, time_t na)
{
	if (issuer == SIZE_MAX || subject == SIZE_MAX || r->ncross == REPORT_CROSS_MAX)
		return;
	r->cross[r->ncross++] = (report_cross){ issuer, subject, kind, na };
}

/* After `plantca root roll` (rootgen.h): the replaced root generations as
 * boxes of their own, NewWithOld and OldWithNew between each and the next,
 * and every issuing CA's certificate from a replaced root. */
PC_CHECK static pc_rc root_gens(rep *r, store_txn *t, pc_err *e)
{
	static const char *const pfx[2] = { META_ROOTX_NWO, META_ROOTX_OWN };
	pc_buf d = PC_BUF_INIT;
	size_t i, k;
	pc_rc rc = PC_OK;

	PC_TRY(ca_gens_load(t, "root", &r->rootgens, e));
	for (i = 0; i < r->rootgens.n; i++) {
		const ca_rec *g = &r->rootgens.v[i];
		report_ca *v;
		if (r->nview == REPORT_CA_MAX) {
			r->more_cas = true;
			break;
		}
		v = &r->view[r->nview];
		PC_TRY(ca_name_text(g->v.subject, g->v.subject_len, &r->subjects[r->nview], e));
		*v = (report_ca){ .name = g->name, .parent = "", .subject = r->subjects[r->nview],
			.not_after = g->v.not_after, .gen = ca_gen_no(g), .replaced = true,
			.ski = g->v.ski, .ski_len = g->v.ski_len };
		r->nview++;
	}
	/* NewWithOld into generation g+1: issued by g for g+1; OldWithNew: by
	 * g+1 for g */
	for (i = 0; i < r->rootgens.n && rc == PC_OK; i++) {
		uint64_t g = ca_gen_no(&r->rootgens.v[i]);
		for (k = 0; k < 2 && rc == PC_OK; k++) {
			pkix_cert x;
			pc_err pe;
			rc = ca_rootx_get(t, pfx[k], g + 1, &d, e);
			if (rc == PC_E_NOTFOUND) {
				rc = PC_OK;        /* an interrupted root roll: plantca root roll completes it */
				continue;
			}
			if (rc != PC_OK)
				break;
			if (pkix_cert_parse(d.p, d.len, "cross-certificate", &x, &pe) != PC_OK) {
				rc = pc_fail(e, PC_E_STORE_CORRUPT, "root generation %" PRIu64 ": %s",
				    g + 1, pe.msg);
				break;
			}
			if (k == 0)
				cross_add(r, root_box(r, g, NULL, 0), root_box(r, g + 1, NULL, 0),
				    "NewWithOld", x.not_after);
			else
				cross_add(r, root_box(r, g + 1, NULL, 0), root_box(r, g, NULL, 0),
				    "OldWithNew", x.not_after);
		}
	}
	pc_buf_free(&d);
	/* an issuing CA a root roll re-certified: its certificate from the
	 * replaced root, by that root's key identifier */
	for (i = 0; i < r->ncas && rc == PC_OK; i++) {
		pkix_cert x;
		pc_err pe;
		if (r->cas[i].xcert == NULL)
			continue;
		if (pkix_cert_parse(r->cas[i].xcert, r->cas[i].xcert_len, "certificate", &x, &pe) !=
		    PC_OK)
			return pc_fail(e, PC_E_STORE_CORRUPT, "CA %s: its previous certificate: %s",
			    r->cas[i].name, pe.msg);
		cross_add(r, root_box(r, 0, x.aki, x.aki_len), i, "previous-root", x.not_after);
	}
	return rc;
}

PC_CHECK static pc_rc cert_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	rep *r = ctx;
	ca_cert_rec c;
	size_t m;

	(void)key;
	(void)stop;
	PC_TRY(ca_cert_rec_decode(val, &c, e));
	if (strcmp(ca_cert_status(r->t, &c, r->now), "revoked") == 0) {
		r->revoked++;
	} else if ((time_t)c.na < r->now) {
		r->expired++;
	} else {
		r->valid++;
		for (m = 0; m < REPORT_MONTHS && (time_t)c.na >= r->month_end[m]; m++)
			;
		if (m < REPORT_MONTHS)
			r->per_month[m]++;
		else
			r->later++;
	}
	ca_cert_rec_free(&c);
	return PC_OK;
}

PC_CHECK static pc_rc rev_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	rep *r = ctx;
	ca_revocation v;
	size_t i;

	(void)stop;
	if (key.len != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "revocation record: key of %zu bytes", key.len);
	PC_TRY(ca_revocation_decode(val, &v, e));
	r->revocations++;
	/* keep the newest REPORT_REVOCATIONS, newest first */
	for (i = r->nrevs; i > 0 && r->revs[i - 1].r.when < v.when; i--)
		;
	if (i == REPORT_REVOCATIONS)
		return PC_OK;
	if (r->nrevs == REPORT_REVOCATIONS)
		r->nrevs--;
	memmove(&r->revs[i + 1], &r->revs[i], (r->nrevs - i) * sizeof r->revs[0]);
	memcpy(r->revs[i].serial, key.p, PKIX_SERIAL_LEN);
	r->revs[i].r = v;
	r->revs[i].subject = NULL;
	r->nrevs++;
	return PC_OK;
}

PC_CHECK static pc_rc rev_subjects(rep *r, store_txn *t, pc_err *e)
{
	size_t i;

	for (i = 0; i < r->nrevs; i++) {
		pc_reader val;
		ca_cert_rec c;
		pc_rc rc = store_get(t, STORE_CERTS, r->revs[i].serial, PKIX_SERIAL_LEN, &val, e);
		if (rc == PC_E_NOTFOUND)
			continue;
		PC_TRY(rc);
		PC_TRY(ca_cert_rec_decode(val, &c, e));
		r->revs[i].subject = strdup(c.subject);
		ca_cert_rec_free(&c);
		if (r->revs[i].subject == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	return PC_OK;
}

/* this month and the next ones: labels "YYYY-MM" and the first second of
 * the month after each */
static void months_init(rep *r)
{
	struct tm tm;
	size_t m;
	int y, mon;

	gmtime_r(&r->now, &tm);
	y = tm.tm_year + 1900;
	mon = tm.tm_mon;
	for (m = 0; m < REPORT_MONTHS; m++) {
		struct tm next = { 0 };
		snprintf(r->months[m], sizeof r->months[m], "%04u-%02u", (unsigned)y % 10000u,
		    (unsigned)mon % 12u + 1u);
		if (++mon == 12) {
			mon = 0;
			y++;
		}
		next.tm_year = y - 1900;
		next.tm_mon = mon;
		next.tm_mday = 1;
		r->month_end[m] = timegm(&next);
	}
}

/* Opens r->t, which rep_free ends. */
/* The last signed audit checkpoint (META audit.checkpoint.SEQ, keys in
 * numeric order: the last key is the latest), with its signature checked
 * here: the page says whether it verifies. */
PC_CHECK static pc_rc cp_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	rep *r = ctx;
	pc_err ce;

	(void)key;
	(void)e;
	*stop = true;
	r->have_cp = true;
	if (tr_checkpoint_parse(val.p + val.off, pc_reader_left(&val), "checkpoint", &r->cp,
	    &ce) != PC_OK || tr_checkpoint_verify(&r->cp, "checkpoint", &ce) != PC_OK)
		snprintf(r->cp_why, sizeof r->cp_why, "%s", ce.msg);
	else
		r->cp_ok = true;
	return PC_OK;
}

PC_CHECK static pc_rc gather(ca_ctx *c, rep *r, pc_err *e)
{
	store_txn *t;
	pc_rc rc;

	r->now = time(NULL);
	months_init(r);
	PC_TRY(store_begin(c->st, false, &r->t, e));
	t = r->t;
	rc = store_scan(t, STORE_CAS, NULL, 0, false, ca_visit, r, e);
	if (rc == PC_OK)
		cas_view(r, t);
	if (rc == PC_OK)
		rc = root_gens(r, t, e);
	if (rc == PC_OK)
		rc = ca_stations_load(t, &r->stations, e);
	if (rc == PC_OK)
		rc = store_scan(t, STORE_CERTS, NULL, 0, false, cert_visit, r, e);
	if (rc == PC_OK)
		rc = store_scan(t, STORE_REVOCATIONS, NULL, 0, false, rev_visit, r, e);
	if (rc == PC_OK)
		rc = rev_subjects(r, t, e);
	if (rc == PC_OK) {
		r->pending.status = "pending";
		rc = ca_requests_load(t, &r->pending, e);
	}
	if (rc == PC_OK)
		rc = store_scan(t, STORE_META, META_AUDIT_CP, strlen(META_AUDIT_CP), true, cp_visit, r, e);
	return rc;
}

static void rep_free(rep *r)
{
	size_t i;

	for (i = 0; i < r->ncas; i++)
		ca_rec_free(&r->cas[i]);
	for (i = 0; i < REPORT_CA_MAX; i++)
		free(r->subjects[i]);
	ca_gen_list_free(&r->rootgens);
	for (i = 0; i < r->nrevs; i++)
		free(r->revs[i].subject);
	ca_station_list_free(&r->stations);
	ca_request_list_free(&r->pending);
	if (r->t)
		store_abort(r->t);
}

/* ------------------------------------------------------------- writing */

static const char page_head[] =
"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
/* nothing from outside the page may load, whatever it contains */
"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
"style-src 'unsafe-inline'; img-src data:\">\n"
"<title>plantca report</title>\n<style>\n"
"body{font-family:sans-serif;margin:1.5em;color:#111;background:#fff}\n"
"h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #999;margin-top:1.6em}\n"
"table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:.25em .6em;"
"text-align:left;vertical-align:top}\n"
"th{background:#eee}.stale{background:#f8d0d0;color:#900;font-weight:bold}\n"
".ok{background:#dff0d8}.empty{color:#666;font-style:italic}.mono{font-family:monospace}\n"
"</style>\n</head>\n<body>\n";

static void td(pc_buf *b, const char *cls, const char *text)
{
	pc_buf_printf(b, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	report_esc(b, text);
	pc_buf_str(b, "</td>");
}

static void date_td(pc_buf *b, uint64_t t)
{
	char s[PC_TIME_TEXT_MAX];

	if (t == 0) {
		td(b, NULL, "none");
		return;
	}
	pc_time_text((int64_t)t, s);
	td(b, "mono", s);
}

/* The cross-certificates the diagram draws, with their dates, as a table. */
static void cross_table(pc_buf *b, const rep *r)
{
	size_t i;

	if (r->ncross == 0)
		return;
	pc_buf_str(b, "<table>\n<tr><th>cross-certificate</th><th>issuer</th><th>subject</th>"
	    "<th>until</th></tr>\n");
	for (i = 0; i < r->ncross; i++) {
		const report_cross *x = &r->cross[i];
		const report_ca *is = &r->view[x->issuer], *su = &r->view[x->subject];
		char gi[48], gs[48];
		snprintf(gi, sizeof gi, "root generation %" PRIu64, is->gen);
		snprintf(gs, sizeof gs, "root generation %" PRIu64, su->gen);
		pc_buf_printf(b, "<tr class=\"cross\" data-kind=\"%s\" data-issuer-gen=\"%" PRIu64
		    "\" data-subject=\"", x->kind, is->gen);
		report_esc(b, su->name);
		pc_buf_printf(b, "\" data-subject-gen=\"%" PRIu64 "\">", su->gen);
		td(b, NULL, strcmp(x->kind, "NewWithOld") == 0 ? "NewWithOld (the new root key "
		    "signed by the old)" : strcmp(x->kind, "OldWithNew") == 0 ? "OldWithNew (the old "
		    "root key signed by the new)" : "previous certificate (the same key, from the "
		    "replaced root)");
		td(b, NULL, gi);
		td(b, NULL, su->parent[0] ? su->name : gs);
		date_td(b, (uint64_t)x->not_after);
		pc_buf_str(b, "</tr>\n");
	}
	pc_buf_str(b, "</table>\n");
}

static void section_hierarchy(pc_buf *b, rep *r)
{
	pc_buf_printf(b, "<section id=\"hierarchy\" data-count=\"%zu\" data-cross=\"%zu\">\n"
	    "<h2>CA hierarchy</h2>\n", r->nview, r->ncross);
	svg_hierarchy(b, r->view, r->nview, r->cross, r->ncross, r->now);
	pc_buf_str(b, "<p>Boxes: red expired or revoked, amber within 90 days of the end of its "
	    "validity; a box with a dotted border is a replaced root key generation (plantca root "
	    "roll).  A dashed line is a cross-certificate: NewWithOld and OldWithNew between two "
	    "root generations, an issuing CA's certificate from the replaced root, or a CA "
	    "certificate its recorded parent did not issue.</p>\n");
	cross_table(b, r);
	if (r->more_cas)
		pc_buf_printf(b, "<p class=\"stale\">Only the first %d CAs are drawn.</p>\n",
		    REPORT_CA_MAX);
	pc_buf_str(b, "</section>\n");
}

PC_CHECK static pc_rc section_segments(pc_buf *b, rep *r, pc_err *e)
{
	size_t i, j, shown = 0;
	pc_rc rc = PC_OK;

	pc_buf_str(b, "<section id=\"segments\">\n<h2>Segments: CRLs delivered</h2>\n<table>\n"
	    "<tr><th>segment</th><th>issuing CA</th><th>last export</th><th>sequence</th>"
	    "<th>CRL next update</th><th>days left</th><th>state</th></tr>\n");
	for (i = 0; rc == PC_OK && i < r->stations.n; i++) {
		const ca_station *s = &r->stations.v[i];
		char key[128], days[32];
		ca_export_rec er = { 0 };
		pc_reader val;
		uint64_t crl = 0;
		long left = 0;
		const char *state;
		bool stale, exported = false;
		for (j = 0; j < i; j++)
			if (strcmp(r->stations.v[j].segment, s->segment) == 0)
				break;
		if (j < i)
			continue;            /* one row per segment */
		snprintf(key, sizeof key, "%s%s", META_EXPORT, s->segment);
		rc = store_get(r->t, STORE_META, key, strlen(key), &val, e);
		if (rc == PC_E_NOTFOUND) {
			rc = PC_OK;
		} else if (rc == PC_OK) {
			if ((rc = ca_export_rec_decode(val, &er, e)) != PC_OK) {
				pc_wrap(e, "segment %s", s->segment);
				break;
			}
			exported = true;
			crl = ca_export_rec_crl_first(&er);
		} else {
			break;
		}
		if (crl)
			left = ((long)crl - (long)r->now) / PC_DAY;
		stale = crl == 0 || (time_t)crl <= r->now + (time_t)REPORT_STALE_DAYS * PC_DAY;
		state = !exported ? "never exported" : crl == 0 ? "no CRL delivered" :
		    (time_t)crl <= r->now ? "CRL expired" : stale ? "CRL stale soon" : "ok";
		pc_buf_str(b, "<tr class=\"segment");
		pc_buf_str(b, stale ? " stale\"" : "\"");
		pc_buf_str(b, " data-segment=\"");
		report_esc(b, s->segment);
		pc_buf_printf(b, "\" data-days-left=\"%ld\" data-stale=\"%s\">", crl ? left : -1,
		    stale ? "yes" : "no");
		td(b, NULL, s->segment);
		td(b, NULL, s->ca);
		date_td(b, exported ? er.created : 0);
		snprintf(days, sizeof days, "%" PRIu64, exported ? er.seq : 0);
		td(b, NULL, days);
		date_td(b, crl);
		snprintf(days, sizeof days, crl ? "%ld" : "-", left);
		td(b, stale ? "stale" : "ok", days);
		td(b, stale ? "stale" : "ok", state);
		pc_buf_str(b, "</tr>\n");
		if (exported)
			ca_export_rec_free(&er);
		shown++;
	}
	pc_buf_str(b, "</table>\n");
	if (shown == 0)
		pc_buf_str(b, "<p class=\"empty\">No segments (plantca station add).</p>\n");
	pc_buf_printf(b, "<p>Red: the CRL the segment last received expires within %d days, has "
	    "expired, or never went out: run plantca crl and plantca export.</p>\n</section>\n",
	    REPORT_STALE_DAYS);
	return rc;
}

static void section_expiry(pc_buf *b, rep *r)
{
	pc_buf_printf(b, "<section id=\"expiry\" data-valid=\"%zu\" data-expired=\"%zu\" "
	    "data-revoked=\"%zu\">\n<h2>Certificates expiring per month</h2>\n", r->valid,
	    r->expired, r->revoked);
	svg_months(b, (const char (*)[8])r->months, r->per_month, REPORT_MONTHS, r->later);
	pc_buf_printf(b, "<p>%zu certificates valid (not revoked, not expired), %zu expired, %zu "
	    "revoked.  The first bar is this month.</p>\n</section>\n", r->valid, r->expired,
	    r->revoked);
}

static void section_pending(pc_buf *b, rep *r)
{
	size_t i;

	pc_buf_printf(b, "<section id=\"pending\" data-count=\"%zu\">\n<h2>Pending requests (%zu)"
	    "</h2>\n", r->pending.n, r->pending.n);
	if (r->pending.n == 0) {
		pc_buf_str(b, "<p class=\"empty\">No request waits for approval.</p>\n</section>\n");
		return;
	}
	pc_buf_str(b, "<table>\n<tr><th>id</th><th>segment</th><th>profile</th><th>subject</th>"
	    "<th>SAN</th><th>key</th><th>bundle</th><th>received</th></tr>\n");
	for (i = 0; i < r->pending.n; i++) {
		const ca_request *q = &r->pending.v[i];
		char id[24];
		snprintf(id, sizeof id, "%" PRIu64, q->id);
		pc_buf_printf(b, "<tr class=\"request\" data-id=\"%s\">", id);
		td(b, NULL, id);
		td(b, NULL, q->segment);
		td(b, NULL, q->profile);
		td(b, "subject", q->subject);
		td(b, NULL, q->san);
		td(b, NULL, q->keytype);
		td(b, NULL, q->bundle);
		date_td(b, q->created);
		pc_buf_str(b, "</tr>\n");
	}
	pc_buf_str(b, "</table>\n<p>plantca requests shows them; plantca approve ID or reject ID "
	    "--reason TEXT decides.</p>\n</section>\n");
}

static void section_revocations(pc_buf *b, rep *r)
{
	size_t i;

	pc_buf_printf(b, "<section id=\"revocations\" data-count=\"%zu\">\n<h2>Recent revocations "
	    "(%zu of %zu)</h2>\n", r->nrevs, r->nrevs, r->revocations);
	if (r->nrevs == 0) {
		pc_buf_str(b, "<p class=\"empty\">No certificate has been revoked.</p>\n</section>\n");
		return;
	}
	pc_buf_str(b, "<table>\n<tr><th>revoked</th><th>serial</th><th>CA</th><th>reason</th>"
	    "<th>subject</th></tr>\n");
	for (i = 0; i < r->nrevs; i++) {
		char hex[2 * PKIX_SERIAL_LEN + 1];
		ca_serial_hex(r->revs[i].serial, PKIX_SERIAL_LEN, hex);
		pc_buf_printf(b, "<tr class=\"revocation\" data-serial=\"%s\">", hex);
		date_td(b, r->revs[i].r.when);
		td(b, "mono", hex);
		td(b, NULL, r->revs[i].r.ca);
		td(b, NULL, pkix_reason_name((unsigned)r->revs[i].r.reason));
		td(b, "subject", r->revs[i].subject ? r->revs[i].subject : "(no certificate record)");
		pc_buf_str(b, "</tr>\n");
	}
	pc_buf_str(b, "</table>\n</section>\n");
}

static void section_checkpoint(pc_buf *b, const rep *r)
{
	char when[PC_TIME_TEXT_MAX];

	if (!r->have_cp) {
		/* none yet: the section says so rather than being left out, so
		 * that its absence is visible */
		pc_buf_str(b, "<section id=\"checkpoint\" data-count=\"0\">\n<h2>Last signed audit "
		    "checkpoint</h2>\n<p class=\"empty\">No signed audit checkpoint in this store. "
		    "plantca audit checkpoint signs one; plantca audit verify checks the whole hash "
		    "chain.</p>\n</section>\n");
		return;
	}
	pc_time_text((time_t)r->cp.time, when);
	pc_buf_printf(b, "<section id=\"checkpoint\" data-count=\"1\" data-seq=\"%" PRIu64
	    "\" data-verified=\"%s\">\n<h2>Last signed audit checkpoint</h2>\n<p>Event %" PRIu64
	    ", signed %s by the audit key in the token. Head <span class=\"mono\">", r->cp.seq,
	    r->cp_ok ? "yes" : "no", r->cp.seq, when);
	pc_hex_encode(b, r->cp.head, sizeof r->cp.head, 0);
	pc_buf_str(b, "</span>.</p>\n");
	if (r->cp_ok) {
		pc_buf_str(b, "<p>Its signature verifies. Stations keep every checkpoint they "
		    "receive; plantca-station audit-check proves a trail still holds them.</p>\n");
	} else {
		pc_buf_str(b, "<p class=\"stale\">Its signature does not verify: ");
		report_esc(b, r->cp_why);
		pc_buf_str(b, ". Run plantca audit verify.</p>\n");
	}
	pc_buf_str(b, "</section>\n");
}

pc_rc ca_report(ca_ctx *c, const char *path, FILE *out, pc_err *e)
{
	rep *r;
	pc_buf b = PC_BUF_INIT;
	char when[PC_TIME_TEXT_MAX];
	pc_rc rc;

	if ((r = calloc(1, sizeof *r)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	rc = gather(c, r, e);
	if (rc == PC_OK) {
		pc_time_text(r->now, when);
		pc_buf_str(&b, page_head);
		pc_buf_str(&b, "<header>\n<h1>Plant PKI at a glance</h1>\n<p>CA home <span "
		    "class=\"mono\">");
		report_esc(&b, c->home);
		pc_buf_printf(&b, "</span>, written %s by plantca report.</p>\n</header>\n", when);
		section_hierarchy(&b, r);
		rc = section_segments(&b, r, e);
	}
	if (rc == PC_OK) {
		section_expiry(&b, r);
		section_pending(&b, r);
		section_revocations(&b, r);
		section_checkpoint(&b, r);
		pc_buf_str(&b, "</body>\n</html>\n");
		if (!pc_buf_ok(&b))
			rc = pc_fail(e, PC_E_NOMEM, "report: out of memory");
	}
	if (rc == PC_OK && path) {
		rc = pc_file_write_atomic(path, b.p, b.len, 0644, false, e);
	} else if (rc == PC_OK && fwrite(b.p, 1, b.len, out) != b.len) {
		rc = pc_fail(e, PC_E_IO, "stdout: write failed");
	}
	pc_buf_free(&b);
	rep_free(r);
	free(r);
	return rc;
}
