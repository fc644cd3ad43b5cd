/*
 * status_events.c - what comes next, for `plantca status`: every coming
 * expiry event of the plant's PKI, soonest first, each with what to do
 * about it (docs/lifecycle.md has the procedures):
 *
 *   root, ca         a CA certificate's notAfter
 *   ca-short         a profile longer than an issuing CA's whole life:
 *                    its certificates always end with the CA (shown now)
 *   ca-window        the last day an issuing CA issues certificates of the
 *                    longest profile for their full validity (notAfter
 *                    minus that profile's days; later ones are cut short)
 *   ca-retire        the last certificate of a key generation a ca roll
 *                    replaced expires: the next plantca crl retires it
 *   crl              the nextUpdate of a CA's current CRL
 *   segment-crl      the nextUpdate of the CRLs a segment was last given
 *   certificates     valid, unrevoked, not yet renewed device certificates
 *                    ending in one month, with the count per segment
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cagen.h"
#include "capolicy.h"
#include "format.h"
#include "json.h"
#include "records.h"
#include "status_events.h"
#include "text.h"

enum { EV_TEXT_MAX = 512, EV_SEGS_MAX = 8 };

struct ev {
	time_t when;
	const char *kind;
	char object[96];
	char what[EV_TEXT_MAX];
	char action[EV_TEXT_MAX];
	/* certificates: the month, counts per segment */
	int month;                  /* year * 12 + month - 1 */
	size_t n;
	char seg[EV_SEGS_MAX][TR_SEGMENT_MAX + 1];
	size_t segn[EV_SEGS_MAX], nseg, other;
};

struct evs {
	struct ev *v;
	size_t n, cap;
	store_txn *t;
	time_t now;
};

PC_CHECK static pc_rc ev_add(struct evs *x, time_t when, const char *kind, struct ev **out,
    pc_err *e)
{
	if (!pc_grow(&x->v, &x->cap, x->n, sizeof *x->v, 16))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	*out = &x->v[x->n++];
	memset(*out, 0, sizeof **out);
	(*out)->when = when;
	(*out)->kind = kind;
	return PC_OK;
}

static bool ca_revoked(store_txn *t, const ca_rec *r)
{
	uint8_t serial[PKIX_SERIAL_LEN];
	ca_revocation rv;
	pc_err e;

	if (ca_serial_parse(r->v.serial_hex, serial, &e) != PC_OK)
		return false;
	return ca_revocation_get(t, serial, &rv, &e) == PC_OK;
}

/* The key generations of CA r that a roll replaced and that still sign
 * their CRL: each retires at the first plantca crl after its last
 * certificate has expired. */
PC_CHECK static pc_rc gen_events(struct evs *x, const ca_rec *r, pc_err *e)
{
	ca_gen_list gl;
	struct ev *v;
	char rolled[32];
	size_t i;
	pc_rc rc = PC_OK;

	PC_TRY(ca_gens_load(x->t, r->name, &gl, e));
	for (i = 0; i < gl.n && rc == PC_OK; i++) {
		const ca_rec *g = &gl.v[i];
		time_t when = (time_t)g->last_na > x->now ? (time_t)g->last_na : x->now;
		if (g->retired)
			continue;
		pc_time_text(g->rolled, rolled);
		if ((rc = ev_add(x, when, "ca-retire", &v, e)) != PC_OK)
			break;
		snprintf(v->object, sizeof v->object, "%s~%" PRIu64, r->name, ca_gen_no(g));
		snprintf(v->what, sizeof v->what, "issuing CA %s generation %" PRIu64 " (replaced %.10s) "
		    "signs only its CRL; %s", r->name, ca_gen_no(g), rolled, (time_t)g->last_na > x->now ?
		    "its last certificate expires" : "every certificate it issued has expired");
		snprintf(v->action, sizeof v->action, "keep signing CRLs (plantca crl) and exporting; "
		    "the first plantca crl from this day on signs its final CRL and retires it, and "
		    "the next export lets the stations drop its certificate");
		/* its CRL runs out like any other */
		{
			pc_buf k = PC_BUF_INIT;
			pc_reader cv;
			ca_crl_rec cr;
			char obj[sizeof v->object];
			snprintf(obj, sizeof obj, "%s", v->object);
			ca_gen_key(&k, META_CAGEN_CRL, r->name, ca_gen_no(g));
			rc = pc_buf_ok(&k) ? store_get(x->t, STORE_META, k.p, k.len, &cv, e) :
			    pc_fail(e, PC_E_NOMEM, "out of memory");
			pc_buf_free(&k);
			if (rc == PC_E_NOTFOUND) {
				rc = PC_OK;
				continue;
			}
			if (rc == PC_OK)
				rc = ca_crl_rec_decode(cv, &cr, e);
			if (rc == PC_OK)
				rc = ev_add(x, (time_t)cr.next_update, "crl", &v, e);
			if (rc != PC_OK)
				break;
			snprintf(v->object, sizeof v->object, "%s", obj);
			snprintf(v->what, sizeof v->what, "CRL %" PRIu64 " of CA %s generation %" PRIu64
			    " reaches its nextUpdate%s", cr.number, r->name, ca_gen_no(g),
			    (time_t)cr.next_update <= x->now ? " (passed)" : "");
			snprintf(v->action, sizeof v->action, "plantca crl, then plantca export to every "
			    "segment of CA %s", r->name);
		}
	}
	ca_gen_list_free(&gl);
	return rc;
}

struct ca_visit_ctx {
	struct evs *x;
	const policy *pol;
};

PC_CHECK static pc_rc ca_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct ca_visit_ctx *cx = ctx;
	struct evs *x = cx->x;
	struct ev *v;
	ca_rec r;
	char na[32];
	bool root;
	pc_rc rc = PC_OK;

	(void)key;
	(void)stop;
	unsigned life, max_days, over_days;
	const char *max_profile, *over_profile;

	PC_TRY(ca_rec_decode(val, &r, e));
	root = r.parent[0] == '\0';
	/* the profiles a CA's whole lifetime can hold, and the longest one it
	 * cannot (always cut to its notAfter) */
	life = (unsigned)((r.v.not_after - r.v.not_before) / PC_DAY);
	max_days = policy_max_days(cx->pol, life, &max_profile);
	over_days = policy_max_days(cx->pol, UINT32_MAX, &over_profile);
	pc_time_text(r.v.not_after, na);
	if (r.v.not_after > x->now && !(!root && ca_revoked(x->t, &r))) {
		rc = ev_add(x, r.v.not_after, root ? "root" : "ca", &v, e);
		if (rc == PC_OK) {
			snprintf(v->object, sizeof v->object, "%s", r.name);
			snprintf(v->what, sizeof v->what, "%s%s expires", root ? "the root CA" :
			    "issuing CA ", root ? "" : r.name);
			snprintf(v->action, sizeof v->action, root ? "every chain ends here: a new root "
			    "and its cross-certificates must reach every station long before (the root "
			    "rollover in docs/lifecycle.md)" : "its certificates stop working with it: "
			    "replace CA %s well before (plantca ca roll %s, docs/lifecycle.md)", r.name,
			    r.name);
		}
		if (rc == PC_OK && !root && over_days > life) {
			rc = ev_add(x, x->now, "ca-short", &v, e);
			if (rc == PC_OK) {
				snprintf(v->object, sizeof v->object, "%s", r.name);
				snprintf(v->what, sizeof v->what, "issuing CA %s lives %u days: %s "
				    "certificates (%u days) it issues always end with it (%.10s)", r.name,
				    life, over_profile, over_days, na);
				snprintf(v->action, sizeof v->action, "renew them before the CA expires "
				    "(plantca renew), or give the profile fewer days");
			}
		}
		if (rc == PC_OK && !root && max_days > 0 &&
		    r.v.not_after - (time_t)max_days * PC_DAY > x->now) {
			rc = ev_add(x, r.v.not_after - (time_t)max_days * PC_DAY, "ca-window", &v, e);
			if (rc == PC_OK) {
				snprintf(v->object, sizeof v->object, "%s", r.name);
				snprintf(v->what, sizeof v->what, "issuing CA %s: last day it issues %s "
				    "certificates for their full %u days (it expires %.10s)", r.name,
				    max_profile, max_days, na);
				snprintf(v->action, sizeof v->action, "replace CA %s before this day "
				    "(plantca ca roll %s), or later certificates end with the CA", r.name,
				    r.name);
			}
		} else if (rc == PC_OK && !root && max_days > 0) {
			/* already inside the window: now */
			rc = ev_add(x, x->now, "ca-window", &v, e);
			if (rc == PC_OK) {
				snprintf(v->object, sizeof v->object, "%s", r.name);
				snprintf(v->what, sizeof v->what, "issuing CA %s expires %.10s, sooner than "
				    "%s certificates (%u days) issued now would: they are cut short", r.name,
				    na, max_profile, max_days);
				snprintf(v->action, sizeof v->action, "replace CA %s now (plantca ca roll %s)",
				    r.name, r.name);
			}
		}
	}
	if (rc == PC_OK && !root)
		rc = gen_events(x, &r, e);
	ca_rec_free(&r);
	return rc;
}

PC_CHECK static pc_rc crl_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct evs *x = ctx;
	struct ev *v;
	ca_crl_rec r;
	size_t n = pc_reader_left(&key);

	(void)stop;
	PC_TRY(ca_crl_rec_decode(val, &r, e));
	if (n > CA_NAME_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CRL record: CA name of %zu bytes", n);
	PC_TRY(ev_add(x, (time_t)r.next_update, "crl", &v, e));
	snprintf(v->object, sizeof v->object, "%.*s", (int)n, (const char *)key.p + key.off);
	snprintf(v->what, sizeof v->what, "CRL %" PRIu64 " of CA %s reaches its nextUpdate%s",
	    r.number, v->object, (time_t)r.next_update <= x->now ? " (passed)" : "");
	if (strcmp(v->object, "root") == 0)
		snprintf(v->action, sizeof v->action, "plantca crl, then plantca export to every "
		    "segment");
	else
		snprintf(v->action, sizeof v->action, "plantca crl, then plantca export to every "
		    "segment of CA %s", v->object);
	return PC_OK;
}

PC_CHECK static pc_rc export_visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	struct evs *x = ctx;
	struct ev *v;
	ca_export_rec r;
	size_t n = pc_reader_left(&key), pl = strlen(META_EXPORT);
	uint64_t first;

	(void)stop;
	/* "export." SEGMENT only: "export.seq." keys are counters */
	if (n <= pl || (n > pl + 4 && memcmp(key.p + key.off + pl, "seq.", 4) == 0))
		return PC_OK;
	PC_TRY(ca_export_rec_decode(val, &r, e));
	first = ca_export_rec_crl_first(&r);
	ca_export_rec_free(&r);
	if (first == 0)
		return PC_OK;            /* the segment table flags it */
	PC_TRY(ev_add(x, (time_t)first, "segment-crl", &v, e));
	snprintf(v->object, sizeof v->object, "%.*s", (int)(n - pl), (const char *)key.p + key.off + pl);
	snprintf(v->what, sizeof v->what, "segment %s: the CRLs it was last given expire%s",
	    v->object, (time_t)first <= x->now ? "d" : "");
	snprintf(v->action, sizeof v->action, "plantca crl; plantca export %s DIR; plantca-station "
	    "accept at the segment before this time", v->object);
	return PC_OK;
}

/* The "certificates" event of month m, made on first use. */
PC_CHECK static pc_rc month_ev(struct evs *x, int m, time_t when, struct ev **out, pc_err *e)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		if (strcmp(x->v[i].kind, "certificates") == 0 && x->v[i].month == m) {
			*out = &x->v[i];
			return PC_OK;
		}
	PC_TRY(ev_add(x, when, "certificates", out, e));
	(*out)->month = m;
	return PC_OK;
}

static void month_count(struct ev *v, const char *segment, uint64_t n)
{
	size_t i;

	v->n += (size_t)n;
	for (i = 0; i < v->nseg && strcmp(v->seg[i], segment) != 0; i++)
		;
	if (i < v->nseg) {
		v->segn[i] += (size_t)n;
	} else if (v->nseg < EV_SEGS_MAX) {
		snprintf(v->seg[v->nseg], sizeof v->seg[v->nseg], "%s", segment);
		v->segn[v->nseg++] = (size_t)n;
	} else {
		v->other += (size_t)n;
	}
}

/* Per segment, the counted certificates of the month under way that have
 * already ended (before now): what the month's count holds that is no
 * longer valid. */
struct gone {
	struct gone_seg { char seg[TR_SEGMENT_MAX + 1]; uint64_t n; } *v;
	size_t n, cap;
};

/* A walk of the expiry index over [from, until) through the counted
 * certificates (records_expiry.c: leaf, not revoked, not renewed): ADD
 * adds each to its month's event, FIRST stops at the first one (the date
 * of a month's event), GONE counts them per segment. */
enum walk_mode { WALK_ADD, WALK_FIRST, WALK_GONE };

struct window {
	struct evs *x;
	store *st;
	time_t until;
	enum walk_mode mode;
	time_t found;
	size_t got;
	struct gone *gone;
};

PC_CHECK static pc_rc gone_add(struct gone *g, const char *seg, pc_err *e)
{
	size_t i;

	for (i = 0; i < g->n && strcmp(g->v[i].seg, seg) != 0; i++)
		;
	if (i == g->n) {
		/* one entry per segment: the table is as small as the plant */
		if (!pc_grow(&g->v, &g->cap, g->n, sizeof *g->v, 16))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		snprintf(g->v[i].seg, sizeof g->v[i].seg, "%s", seg);
		g->v[i].n = 0;
		g->n++;
	}
	g->v[i].n++;
	return PC_OK;
}

PC_CHECK static pc_rc window_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct window *w = ctx;
	pc_reader k = key, rec;
	uint64_t na = 0;
	ca_cert_rec r;
	struct ev *v;
	bool counted;
	pc_rc rc;

	(void)val;
	if (pc_reader_left(&k) != 8 + PKIX_SERIAL_LEN || !pc_reader_u64be(&k, &na))
		return pc_fail(e, PC_E_STORE_CORRUPT, "expiry index entry of %zu bytes",
		    pc_reader_left(&key));
	if ((time_t)na >= w->until) {
		*stop = true;
		return PC_OK;
	}
	if (++w->got % CA_RELEASE_LOOKUPS == 0)
		store_release_pages(w->st);
	PC_TRY(store_get(w->x->t, STORE_CERTS, key.p + key.off + 8, PKIX_SERIAL_LEN, &rec, e));
	PC_TRY(ca_cert_rec_decode(rec, &r, e));
	rc = ca_cert_counted(w->x->t, &r, &counted, e);
	if (rc != PC_OK || !counted) {
		/* not one of them */
	} else if (w->mode == WALK_FIRST) {
		w->found = (time_t)na;
		*stop = true;
	} else if (w->mode == WALK_GONE) {
		rc = gone_add(w->gone, r.segment, e);
	} else {
		rc = month_ev(w->x, ca_month_of((time_t)na), (time_t)na, &v, e);
		if (rc == PC_OK) {
			if ((time_t)na < v->when)
				v->when = (time_t)na;
			month_count(v, r.segment, 1);
		}
	}
	ca_cert_rec_free(&r);
	return rc;
}

PC_CHECK static pc_rc walk(struct window *w, time_t from, pc_err *e)
{
	uint8_t k[8 + PKIX_SERIAL_LEN], zero[PKIX_SERIAL_LEN] = { 0 };

	ca_expiry_key(k, from, zero);
	return store_scan_from(w->x->t, STORE_BY_EXPIRY, k, sizeof k, window_visit, w, e);
}

struct later {
	struct evs *x;
	int from;             /* the first month read from the counts */
	int now_month;        /* its ended certificates in gone */
	const struct gone *gone;
};

PC_CHECK static pc_rc later_visit(void *ctx, int month, const char *segment, uint64_t n,
    pc_err *e)
{
	struct later *l = ctx;
	struct ev *v;
	size_t i;

	if (month < l->from)
		return PC_OK;
	if (month == l->now_month && l->gone)
		for (i = 0; i < l->gone->n; i++)
			if (strcmp(l->gone->v[i].seg, segment) == 0) {
				if (l->gone->v[i].n > n)
					return pc_fail(e, PC_E_STORE_CORRUPT, "expiry count of "
					    "segment '%s' below what has ended this month (run plantca "
					    "audit verify)", segment);
				n -= l->gone->v[i].n;
			}
	if (n == 0)
		return PC_OK;
	PC_TRY(month_ev(l->x, month, 0, &v, e));
	month_count(v, segment, n);
	return PC_OK;
}

/* The certificates events.  Later months come from the expiry counts.
 * The month under way holds certificates that have already ended: in its
 * first half the ones ended since it began are walked (from the expiry
 * index) and taken off its counts, in its second half the ones still to
 * come are walked instead, whichever is fewer.  Each event is dated by its
 * first counted certificate from now on.  What is read grows with the
 * months and segments shown and at most half a month's expiries, not with
 * the store. */
PC_CHECK static pc_rc cert_events(struct evs *x, store *st, pc_err *e)
{
	int m0 = ca_month_of(x->now);
	time_t start = ca_month_start(m0), end = ca_month_start(m0 + 1);
	bool first_half = x->now - start < end - x->now;
	struct gone g = { NULL, 0, 0 };
	struct window w = { x, st, first_half ? x->now : end, first_half ? WALK_GONE : WALK_ADD, 0,
		0, &g };
	struct later l = { x, first_half ? m0 : m0 + 1, m0, first_half ? &g : NULL };
	size_t i;
	pc_rc rc;

	PC_TRY_OUT(walk(&w, first_half ? start : x->now, e));
	PC_TRY_OUT(ca_expiry_months(x->t, m0, later_visit, &l, e));
	for (i = 0; i < x->n; i++) {
		struct ev *v = &x->v[i];
		struct window f = { x, st, 0, WALK_FIRST, 0, 0, NULL };
		time_t from;
		if (strcmp(v->kind, "certificates") != 0 || (v->month == m0 && !first_half))
			continue;
		f.until = ca_month_start(v->month + 1);
		from = ca_month_start(v->month);
		PC_TRY_OUT(walk(&f, from < x->now ? x->now : from, e));
		if (f.found == 0) {
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "expiry counts: %zu certificate(s) in "
			    "%04d-%02d, none in the expiry index (run plantca audit verify)", v->n,
			    v->month / 12, v->month % 12 + 1);
			goto out;
		}
		v->when = f.found;
	}
	rc = PC_OK;
out:
	free(g.v);
	return rc;
}

static void cert_texts(struct ev *v, time_t now)
{
	char segs[EV_TEXT_MAX] = "";
	size_t i, l;
	long days;
	struct tm tm;
	time_t end;

	for (i = 0; i < v->nseg; i++) {
		l = strlen(segs);
		snprintf(segs + l, sizeof segs - l, "%s%s: %zu", i ? ", " : "",
		    v->seg[i][0] ? v->seg[i] : "(direct)", v->segn[i]);
	}
	if (v->other) {
		l = strlen(segs);
		snprintf(segs + l, sizeof segs - l, ", other segments: %zu", v->other);
	}
	snprintf(v->object, sizeof v->object, "%04d-%02d", v->month / 12, v->month % 12 + 1);
	snprintf(v->what, sizeof v->what, "%zu certificate(s) expire in %s (%s)", v->n, v->object,
	    segs);
	/* renew through the end of that month */
	memset(&tm, 0, sizeof tm);
	tm.tm_year = (v->month + 1) / 12 - 1900;
	tm.tm_mon = (v->month + 1) % 12;
	tm.tm_mday = 1;
	end = timegm(&tm);
	days = (long)((end - now + PC_DAY - 1) / PC_DAY);
	snprintf(v->action, sizeof v->action, "plantca renew --expiring %ld (same-key profiles; "
	    "rekey-only ones need new CSRs or a CMP kur), plantca sign, plantca export",
	    days < 0 ? 0 : days);
}

static int ev_cmp(const void *a, const void *b)
{
	const struct ev *x = a, *y = b;

	return x->when < y->when ? -1 : x->when > y->when;
}

pc_rc ca_status_events(ca_ctx *c, store_txn *t, time_t now, bool json, FILE *out, pc_err *e)
{
	struct evs x = { NULL, 0, 0, t, now };
	struct ca_visit_ctx cx = { &x, NULL };
	policy *pol = NULL;
	size_t i;
	pc_rc rc;

	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	cx.pol = pol;
	PC_TRY_OUT(store_scan(t, STORE_CAS, NULL, 0, false, ca_visit, &cx, e));
	PC_TRY_OUT(store_scan(t, STORE_CRLS, NULL, 0, false, crl_visit, &x, e));
	PC_TRY_OUT(store_scan(t, STORE_META, META_EXPORT, strlen(META_EXPORT), false, export_visit,
	    &x, e));
	PC_TRY_OUT(cert_events(&x, c->st, e));
	for (i = 0; i < x.n; i++)
		if (strcmp(x.v[i].kind, "certificates") == 0)
			cert_texts(&x.v[i], now);
	if (x.n > 1)
		qsort(x.v, x.n, sizeof *x.v, ev_cmp);
	if (json)
		fputc('[', out);
	else
		fprintf(out, "\n%-10s %6s  %-12s %s\n", "DATE", "DAYS", "EVENT", "WHAT / WHAT TO DO");
	for (i = 0; i < x.n; i++) {
		const struct ev *v = &x.v[i];
		char when[32];
		long days = (long)((v->when - now) / PC_DAY);
		pc_time_text(v->when, when);
		if (json) {
			fprintf(out, "%s{\"date\":\"%s\",\"days\":%ld,\"kind\":\"%s\",\"object\":", i ? "," : "",
			    when, days, v->kind);
			json_str(out, v->object);
			fprintf(out, ",\"what\":");
			json_str(out, v->what);
			fprintf(out, ",\"action\":");
			json_str(out, v->action);
			fputc('}', out);
		} else {
			fprintf(out, "%.10s %6ld  %-12s ", when, days, v->kind);
			pc_text_fputs(out, v->what);
			fputs("\n                             -> ", out);
			pc_text_fputs(out, v->action);
			fputc('\n', out);
		}
	}
	if (json)
		fputc(']', out);
	else if (x.n == 0)
		fputs("(no coming expiry events)\n", out);
	rc = PC_OK;
out:
	free(x.v);
	policy_free(pol);
	return rc;
}
