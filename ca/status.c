/*
 * status.c - `plantca status`: per segment, how stale what the plant runs
 * on is (last export, the CRLs delivered then, certificates expiring),
 * then every coming expiry event with what to do (status_events.c).
 * --json: {"segments": [...], "events": [...]}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "discovery.h"
#include "format.h"
#include "text.h"
#include "json.h"
#include "records.h"
#include "status_events.h"

/* A segment's certificates ending within (now, until]: the keys of the
 * segment expiry index in that range, counted without reading a record. */
struct expiring_ctx {
	size_t plen;
	uint64_t until;
	size_t n;
};

PC_CHECK static pc_rc expiring_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct expiring_ctx *x = ctx;
	pc_reader k = key;
	uint64_t na = 0;

	(void)val;
	if (pc_reader_left(&k) != x->plen + 8 + PKIX_SERIAL_LEN ||
	    (k.off += x->plen, !pc_reader_u64be(&k, &na)))
		return pc_fail(e, PC_E_STORE_CORRUPT, "segment expiry index entry of %zu bytes",
		    pc_reader_left(&key));
	if (na > x->until) {
		*stop = true;
		return PC_OK;
	}
	x->n++;
	return PC_OK;
}

PC_CHECK static pc_rc expiring_count(store_txn *t, const char *seg, time_t now, time_t until,
    size_t *n, pc_err *e)
{
	struct expiring_ctx x = { strlen(seg) + 1, (uint64_t)until, 0 };
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	ca_segment_expiry_key(&k, seg, now + 1, NULL);
	rc = pc_buf_ok(&k) ? store_scan_range(t, STORE_BY_SEGMENT_EXPIRY, k.p, x.plen, k.p, k.len,
	    expiring_visit, &x, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	*n = x.n;
	return rc;
}

pc_rc ca_status(ca_ctx *c, unsigned margin_days, unsigned expiring_days, FILE *out, pc_err *e)
{
	ca_station_list_t sl;
	store_txn *t;
	time_t now = time(NULL);
	size_t i, j, shown = 0, total_open = 0;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &sl, e);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	if (c->json)
		fputs("{\"segments\":[", out);
	else
		fprintf(out, "%-14s %-19s %-6s %-19s %-9s %-9s %-9s %s\n", "SEGMENT", "LAST EXPORT", "SEQ",
		    "CRL NEXT UPDATE", "DAYS LEFT", "EXPIRING", "TO ENROLL", "FLAG");
	for (i = 0; rc == PC_OK && i < sl.n; i++) {
		const char *seg = sl.v[i].segment;
		char key[128], when[32] = "never", next[32] = "none";
		uint64_t etime = 0, eseq = 0, crl = 0;
		pc_reader val;
		long days_left = 0;
		size_t nexp = 0;
		const char *flag = "";
		size_t open = 0, closed = 0;

		for (j = 0; j < i; j++)
			if (strcmp(sl.v[j].segment, seg) == 0)
				break;
		if (j < i)
			continue;            /* one line per segment */
		snprintf(key, sizeof key, "%s%s", META_EXPORT, seg);
		rc = store_get(t, STORE_META, key, strlen(key), &val, e);
		if (rc == PC_OK) {
			ca_export_rec er;
			if ((rc = ca_export_rec_decode(val, &er, e)) != PC_OK) {
				pc_wrap(e, "segment %s", seg);
				break;
			}
			etime = er.created;
			eseq = er.seq;
			crl = ca_export_rec_crl_first(&er);
			ca_export_rec_free(&er);
			pc_time_text(etime, when);
		} else if (rc == PC_E_NOTFOUND) {
			rc = PC_OK;
		} else {
			break;
		}
		if (crl) {
			pc_time_text(crl, next);
			days_left = ((long)crl - (long)now) / PC_DAY;
		}
		rc = expiring_count(t, seg, now, now + (time_t)expiring_days * PC_DAY, &nexp, e);
		if (rc != PC_OK)
			break;
		/* expected enrollments (plantca discovered expect) not seen done yet */
		if ((rc = ca_expect_counts(t, seg, &open, &closed, e)) != PC_OK)
			break;
		total_open += open;
		if (etime == 0)
			flag = "NEVER-EXPORTED";
		else if (crl == 0)
			flag = "NO-CRL-DELIVERED";
		else if ((time_t)crl <= now)
			flag = "CRL-EXPIRED";
		else if ((time_t)crl <= now + (time_t)margin_days * PC_DAY)
			flag = "CRL-STALE-SOON";
		if (c->json) {
			fprintf(out, "%s{\"segment\":", shown ? "," : "");
			json_str(out, seg);
			fprintf(out, ",\"last_export\":%s%s%s,\"sequence\":%" PRIu64 ",\"crl_next_update\":%s%s%s,"
			    "\"days_left\":%ld,\"expiring\":%zu,\"to_enroll\":%zu,\"enrolled\":%zu,"
			    "\"flag\":\"%s\",\"flagged\":%s}",
			    etime ? "\"" : "", etime ? when : "null", etime ? "\"" : "", eseq,
			    crl ? "\"" : "", crl ? next : "null", crl ? "\"" : "", days_left, nexp, open,
			    closed, flag, flag[0] ? "true" : "false");
		} else {
			char te[32];
			snprintf(te, sizeof te, "%zu/%zu", open, open + closed);
			fprintf(out, "%-14s %-19.19s %-6" PRIu64 " %-19.19s %-9ld %-9zu %-9s %s\n", seg, when,
			    eseq, next, days_left, nexp, te, flag);
		}
		shown++;
	}
	if (c->json)
		fputs("],\"events\":", out);
	else if (rc == PC_OK && shown == 0)
		fprintf(out, "no segments (plantca station add)\n");
	else if (rc == PC_OK)
		fprintf(out, "(flagged when the delivered CRL expires within %u days; EXPIRING: "
		    "certificates ending within %u days; TO ENROLL: expected enrollments still open "
		    "/ all, plantca discovered%s)\n", margin_days, expiring_days,
		    total_open ? " lists them" : "");
	if (rc == PC_OK)
		rc = ca_status_events(c, t, now, c->json, out, e);
	if (c->json)
		fputs("}\n", out);
	store_abort(t);
	ca_station_list_free(&sl);
	return rc;
}
