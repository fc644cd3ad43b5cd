/*
 * certs.c - `plantca certs` and `plantca show`: the inventory of issued
 * certificates.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "cmp.h"
#include "json.h"
#include "pem.h"
#include "records.h"
#include "text.h"

/* A certificate's revocation as shown: reason and date. */
struct rev_text {
	bool revoked;
	const char *reason;
	char when[32];
};

/* Reason and date of a revoked certificate as text (revoked false if it is
 * not); a revocation record that does not decode is an error, never "not
 * revoked". */
PC_CHECK static pc_rc revocation_text(store_txn *t, const ca_cert_rec *r, struct rev_text *rt,
    pc_err *e)
{
	ca_revocation rv;
	pc_rc rc = ca_revocation_get(t, r->serial, &rv, e);

	memset(rt, 0, sizeof *rt);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	rt->revoked = true;
	rt->reason = pkix_reason_name((unsigned)rv.reason);
	pc_time_text(rv.when, rt->when);
	return PC_OK;
}

/* The CMP request a certificate answers (*have), and the certificate that
 * renewed it, by a kur or plantca renew (*sup_have, hex in sup; the
 * supersession index, STORE_SUPERSEDED): what `show` and `certs --json`
 * say of it.  A damaged record is an error, never left out. */
PC_CHECK static pc_rc cmp_facts(store_txn *t, const ca_cert_rec *r, ca_cmp_info *ci, bool *have,
    char sup[2 * PKIX_SERIAL_LEN + 1], bool *sup_have, pc_err *e)
{
	uint8_t by[PKIX_SERIAL_LEN];
	pc_rc rc;

	*have = *sup_have = false;
	if (r->request != 0)
		PC_TRY(ca_cmp_info_find(t, r->request, ci, have, e));
	rc = ca_supersede_get(t, r->serial, by, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	ca_serial_hex(by, PKIX_SERIAL_LEN, sup);
	*sup_have = true;
	return PC_OK;
}

/* The certificate a `plantca renew` request renewed, if r answers one. */
static bool renewed_from(store_txn *t, const ca_cert_rec *r, char out[2 * PKIX_SERIAL_LEN + 1])
{
	ca_request q;
	pc_err e;
	bool yes;

	if (r->request == 0 || ca_request_get(t, r->request, &q, &e) != PC_OK)
		return false;
	yes = q.has_renews;
	if (yes)
		ca_serial_hex(q.renews, PKIX_SERIAL_LEN, out);
	ca_request_free(&q);
	return yes;
}

PC_CHECK static pc_rc cert_json(FILE *out, store_txn *t, const ca_cert_rec *r, const char *status,
    const struct rev_text *rt, pc_err *e)
{
	ca_cmp_info ci;
	char sup[2 * PKIX_SERIAL_LEN + 1], renewed[2 * PKIX_SERIAL_LEN + 1];
	char hex[2 * PKIX_SERIAL_LEN + 1], nb[32], na[32], is[32];
	bool have, sup_have;

	PC_TRY(cmp_facts(t, r, &ci, &have, renewed, &sup_have, e));

	ca_serial_hex(r->serial, PKIX_SERIAL_LEN, hex);
	pc_time_text(r->nb, nb);
	pc_time_text(r->na, na);
	pc_time_text(r->issued, is);
	fprintf(out, "{\"serial\":\"%s\",\"status\":\"%s\",\"subject\":", hex, status);
	json_str(out, r->subject);
	fprintf(out, ",\"san\":");
	json_str(out, r->san);
	fprintf(out, ",\"profile\":");
	json_str(out, r->profile);
	fprintf(out, ",\"ca\":");
	json_str(out, r->ca);
	fprintf(out, ",\"kind\":");
	json_str(out, r->kind);
	fprintf(out, ",\"key\":");
	json_str(out, r->keytype);
	fprintf(out, ",\"segment\":");
	json_str(out, r->segment);
	fprintf(out, ",\"source\":");
	json_str(out, r->source);
	fprintf(out, ",\"policy_sha256\":");
	json_str(out, r->policy_hash);
	fprintf(out, ",\"not_before\":\"%s\",\"not_after\":\"%s\",\"issued\":\"%s\"", nb, na, is);
	if (rt->revoked)
		fprintf(out, ",\"revoked\":{\"reason\":\"%s\",\"date\":\"%s\"}", rt->reason,
		    rt->when);
	if (have) {
		fprintf(out, ",\"cmp\":\"%s\",\"transaction\":\"%s\"",
		    pkix_cmp_body_name((int)ci.body, sup, sizeof sup), ci.txid);
		if (ci.manufacturer[0]) {
			fprintf(out, ",\"idevid\":{\"manufacturer\":");
			json_str(out, ci.manufacturer);
			fprintf(out, ",\"issuer\":");
			json_str(out, ci.signer_issuer);
			fprintf(out, ",\"serial\":\"%s\",\"sha256\":\"%s\",\"hw_serial\":", ci.signer_serial,
			    ci.signer_fp);
			json_str(out, ci.hw_serial);
			fputc('}', out);
		}
		if (ci.body == PKIX_CMP_KUR && ci.has_old) {
			ca_serial_hex(ci.old_serial, PKIX_SERIAL_LEN, sup);
			fprintf(out, ",\"renews\":\"%s\"", sup);
		}
	}
	if (renewed_from(t, r, sup))
		fprintf(out, ",\"renews\":\"%s\"", sup);
	if (sup_have)
		fprintf(out, ",\"superseded_by\":\"%s\"", renewed);
	fputc('}', out);
	return PC_OK;
}

struct certs_ctx {
	ca_ctx *c;
	const ca_certs_filter *f;
	store_txn *t;
	FILE *out;
	time_t now;
	size_t n;
};

PC_CHECK static pc_rc certs_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct certs_ctx *x = ctx;
	ca_cert_rec r;
	struct rev_text rt;
	const char *status;
	char hex[2 * PKIX_SERIAL_LEN + 1], na[32];

	(void)stop;
	if (ca_cert_rec_decode(val, &r, e) != PC_OK) {
		if (pc_reader_left(&key) != PKIX_SERIAL_LEN)
			return e->rc;
		ca_serial_hex(key.p + key.off, PKIX_SERIAL_LEN, hex);
		return pc_wrap(e, "certificate %s", hex);
	}
	status = ca_cert_status(x->t, &r, x->now);
	if ((x->f->segment && strcmp(x->f->segment, r.segment) != 0) ||
	    (x->f->revoked && strcmp(status, "revoked") != 0) ||
	    (x->f->expiring_days >= 0 && (strcmp(status, "valid") != 0 ||
	    (time_t)r.na > x->now + (time_t)x->f->expiring_days * PC_DAY))) {
		ca_cert_rec_free(&r);
		return PC_OK;
	}
	if (revocation_text(x->t, &r, &rt, e) != PC_OK) {
		ca_cert_rec_free(&r);
		return e->rc;
	}
	if (x->c->json) {
		if (x->n)
			fputc(',', x->out);
		if (cert_json(x->out, x->t, &r, status, &rt, e) != PC_OK) {
			ca_cert_rec_free(&r);
			return e->rc;
		}
	} else {
		ca_serial_hex(r.serial, PKIX_SERIAL_LEN, hex);
		pc_time_text(r.na, na);
		fprintf(x->out, "%s  %-7s  %.10s  %-10s  %-10s  ", hex, status, na, r.profile, r.ca);
		pc_text_fputs(x->out, r.subject);     /* from a CSR: escaped */
		if (r.san[0]) {
			fputs("  ", x->out);
			pc_text_fputs(x->out, r.san);
		}
		if (rt.revoked)
			fprintf(x->out, "  [revoked %s %s]", rt.when, rt.reason);
		{
			char sup[2 * PKIX_SERIAL_LEN + 1];
			uint8_t by[PKIX_SERIAL_LEN];
			pc_err se;
			if (renewed_from(x->t, &r, sup))
				fprintf(x->out, "  [renews %s]", sup);
			if (ca_supersede_get(x->t, r.serial, by, &se) == PC_OK) {
				ca_serial_hex(by, PKIX_SERIAL_LEN, sup);
				fprintf(x->out, "  [superseded by %s]", sup);
			}
		}
		fputc('\n', x->out);
	}
	x->n++;
	ca_cert_rec_free(&r);
	return PC_OK;
}

/* An index entry that ends in a serial (by-segment: SEGMENT NUL serial,
 * by-expiry: notAfter serial, revocations: serial): the certificate it
 * names, through certs_visit.  by-expiry ends the walk past the window. */
struct index_walk {
	struct certs_ctx *x;
	size_t at;              /* where the serial starts in the key */
	bool expiry;
	uint64_t until;
	size_t got;
};

PC_CHECK static pc_rc index_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct index_walk *w = ctx;
	const uint8_t *serial;
	char hex[2 * PKIX_SERIAL_LEN + 1];
	pc_reader k = key, rec;
	pc_rc rc;

	(void)val;
	if (pc_reader_left(&k) != w->at + PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "certificate index entry of %zu bytes",
		    pc_reader_left(&k));
	if (w->expiry) {
		uint64_t na = 0;
		if (pc_reader_u64be(&k, &na) && na > w->until) {
			*stop = true;
			return PC_OK;
		}
	}
	serial = key.p + key.off + w->at;
	/* random lookups map the pages around each: let go of them often, so
	 * that memory does not grow with the listing */
	if (++w->got % CA_RELEASE_LOOKUPS == 0)
		store_release_pages(w->x->c->st);
	rc = store_get(w->x->t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &rec, e);
	if (rc == PC_E_NOTFOUND) {
		/* a revocation of a serial we never issued (restored or
		 * synthetic): not a certificate to list */
		if (w->at == 0 && !w->expiry)
			return PC_OK;
		ca_serial_hex(serial, PKIX_SERIAL_LEN, hex);
		return pc_fail(e, PC_E_STORE_CORRUPT, "certificate %s: in an index but not in the "
		    "store", hex);
	}
	PC_TRY(rc);
	return certs_visit(w->x, pc_reader_make(serial, PKIX_SERIAL_LEN), rec, stop, e);
}

/* The filters an index answers: a segment (by-segment, serial order),
 * --expiring (by-expiry, soonest first), --revoked (the revocations,
 * serial order); certs_visit still applies every filter.  Without one,
 * every certificate. */
PC_CHECK static pc_rc certs_walk(struct certs_ctx *x, pc_err *e)
{
	const ca_certs_filter *f = x->f;
	struct index_walk w = { x, 0, false, 0, 0 };
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	if (f->expiring_days >= 0) {
		uint8_t from[8 + PKIX_SERIAL_LEN], zero[PKIX_SERIAL_LEN] = { 0 };
		/* valid: notAfter not before now (ca_cert_status) */
		ca_expiry_key(from, x->now, zero);
		w.at = 8;
		w.expiry = true;
		w.until = (uint64_t)x->now + (uint64_t)f->expiring_days * PC_DAY;
		return store_scan_from(x->t, STORE_BY_EXPIRY, from, sizeof from, index_visit, &w, e);
	}
	if (f->segment && f->segment[0]) {
		pc_buf_str(&k, f->segment);
		pc_buf_byte(&k, 0);
		w.at = k.len;
		rc = pc_buf_ok(&k) ? store_scan(x->t, STORE_BY_SEGMENT, k.p, k.len, false, index_visit,
		    &w, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&k);
		return rc;
	}
	if (f->revoked)
		return store_scan(x->t, STORE_REVOCATIONS, NULL, 0, false, index_visit, &w, e);
	return store_scan(x->t, STORE_CERTS, NULL, 0, false, certs_visit, x, e);
}

pc_rc ca_certs(ca_ctx *c, const ca_certs_filter *f, FILE *out, pc_err *e)
{
	struct certs_ctx x = { c, f, NULL, out, time(NULL), 0 };
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &x.t, e));
	if (c->json)
		fputc('[', out);
	else
		fprintf(out, "%-40s  %-7s  %-10s  %-10s  %-10s  %s\n", "SERIAL", "STATUS", "NOT AFTER",
		    "PROFILE", "CA", "SUBJECT  SAN");
	rc = certs_walk(&x, e);
	if (c->json)
		fputs("]\n", out);
	store_abort(x.t);
	return rc;
}

pc_rc ca_show(ca_ctx *c, const char *serial_text, bool pem, FILE *out, pc_err *e)
{
	uint8_t serial[PKIX_SERIAL_LEN];
	store_txn *t;
	pc_reader val;
	ca_cert_rec r;
	struct rev_text rt;
	ca_cmp_info ci;
	char renewed[2 * PKIX_SERIAL_LEN + 1];
	bool have = false, sup_have = false;
	pc_rc rc;

	PC_TRY(ca_serial_parse(serial_text, serial, e));
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_CERTS, serial, sizeof serial, &val, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_NOTFOUND, "serial %s: no such certificate", serial_text);
	if (rc == PC_OK && (rc = ca_cert_rec_decode(val, &r, e)) != PC_OK)
		pc_wrap(e, "certificate %s", serial_text);
	if (rc == PC_OK && (rc = revocation_text(t, &r, &rt, e)) != PC_OK)
		ca_cert_rec_free(&r);
	/* everything read before anything is printed: a damaged record is
	 * an error, not half a screen */
	if (rc == PC_OK && (rc = cmp_facts(t, &r, &ci, &have, renewed, &sup_have, e)) != PC_OK)
		ca_cert_rec_free(&r);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	if (pem) {
		pc_buf b = PC_BUF_INIT;
		pc_pem_encode(&b, "CERTIFICATE", r.der, r.der_len);
		if (pc_buf_ok(&b))
			fwrite(b.p, 1, b.len, out);
		pc_buf_free(&b);
	} else if (c->json) {
		if ((rc = cert_json(out, t, &r, ca_cert_status(t, &r, time(NULL)), &rt, e)) != PC_OK) {
			ca_cert_rec_free(&r);
			store_abort(t);
			return rc;
		}
		fputc('\n', out);
	} else {
		char hex[2 * PKIX_SERIAL_LEN + 1], nb[32], na[32], is[32], fp[96];
		ca_serial_hex(r.serial, PKIX_SERIAL_LEN, hex);
		pc_time_text(r.nb, nb);
		pc_time_text(r.na, na);
		pc_time_text(r.issued, is);
		pc_fingerprint(r.der, r.der_len, fp);
		/* subject, SAN and source come from a CSR and its bundle:
		 * through the display escaper */
		fprintf(out, "serial:     %s\nstatus:     %s\nsubject:    ", hex,
		    ca_cert_status(t, &r, time(NULL)));
		pc_text_fputs(out, r.subject);
		fputs("\nSAN:        ", out);
		pc_text_fputs(out, r.san[0] ? r.san : "(none)");
		fprintf(out, "\nkey:        %s\nprofile:    %s\nissued by:  CA %s\nvalid:      %s .. %s\n"
		    "issued at:  %s\nsegment:    %s\nsource:     ", r.keytype, r.profile, r.ca, nb, na,
		    is, r.segment[0] ? r.segment : "(none)");
		pc_text_fputs(out, r.source);
		fprintf(out, "\nSHA-256:    %s\n", fp);
		fprintf(out, "policy:     %s\n", r.policy_hash[0] ? r.policy_hash : "(not recorded)");
		if (rt.revoked)
			fprintf(out, "revoked:    %s (%s)\n", rt.when, rt.reason);
		{
		char sup[2 * PKIX_SERIAL_LEN + 1];
		if (have) {
			fprintf(out, "CMP:        %s, transaction %s\n",
			    pkix_cmp_body_name((int)ci.body, sup, sizeof sup), ci.txid);
			if (ci.manufacturer[0]) {
				/* escaped when recorded (import) */
				fprintf(out, "IDevID:     manufacturer %s, issuer ", ci.manufacturer);
				pc_text_fputs(out, ci.signer_issuer);
				fprintf(out, ", serial %s\n            SHA-256 %s\n            hardware "
				    "serial ", ci.signer_serial, ci.signer_fp);
				pc_text_fputs(out, ci.hw_serial[0] ? ci.hw_serial : "(none)");
				fputc('\n', out);
			}
			if (ci.body == PKIX_CMP_KUR && ci.has_old) {
				ca_serial_hex(ci.old_serial, PKIX_SERIAL_LEN, sup);
				fprintf(out, "renews:     %s\n", sup);
			}
		}
		if (renewed_from(t, &r, sup))
			fprintf(out, "renews:     %s (plantca renew, same key)\n", sup);
		if (sup_have)
			fprintf(out, "superseded by %s\n", renewed);
		if (strcmp(r.profile, "cmp-ra") == 0 && r.request != 0) {
			ca_request q;
			pc_err qe;
			if (ca_request_get(t, r.request, &q, &qe) == PC_OK) {
				fprintf(out, "held by:    station %s (CMP RA of segment %s)\n", q.station,
				    q.segment);
				ca_request_free(&q);
			}
		}
		}
	}
	ca_cert_rec_free(&r);
	store_abort(t);
	return PC_OK;
}
