/*
 * status.c - `plantca status`: per segment, how stale what the plant runs
 * on is (last export, the CRLs delivered then, certificates expiring),
 * then every coming expiry event with what to do (status_events.c).
 * --json: {"segments": [...], "events": [...]}.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "format.h"
#include "text.h"
#include "json.h"
#include "records.h"
#include "status_events.h"

struct expiring_ctx {
	const char *segment;
	time_t now, until;
	size_t n;
};

PC_CHECK static pc_rc expiring_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct expiring_ctx *x = ctx;
	ca_cert_rec r;

	(void)key;
	(void)stop;
	PC_TRY(ca_cert_rec_decode(val, &r, e));
	if (strcmp(r.segment, x->segment) == 0 && (time_t)r.na > x->now && (time_t)r.na <= x->until)
		x->n++;
	ca_cert_rec_free(&r);
	return PC_OK;
}

pc_rc ca_status(ca_ctx *c, unsigned margin_days, unsigned expiring_days, FILE *out, pc_err *e)
{
	ca_station_list_t sl;
	store_txn *t;
	time_t now = time(NULL);
	size_t i, j, shown = 0;
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
		fprintf(out, "%-14s %-19s %-6s %-19s %-9s %-9s %s\n", "SEGMENT", "LAST EXPORT", "SEQ",
		    "CRL NEXT UPDATE", "DAYS LEFT", "EXPIRING", "FLAG");
	for (i = 0; rc == PC_OK && i < sl.n; i++) {
		const char *seg = sl.v[i].segment;
		char key[128], when[32] = "never", next[32] = "none";
		uint64_t etime = 0, eseq = 0, crl = 0;
		pc_reader val;
		struct expiring_ctx x = { seg, now, now + (time_t)expiring_days * PC_DAY, 0 };
		long days_left = 0;
		const char *flag = "";

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
		rc = store_scan(t, STORE_CERTS, NULL, 0, false, expiring_visit, &x, e);
		if (rc != PC_OK)
			break;
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
			    "\"days_left\":%ld,\"expiring\":%zu,\"flag\":\"%s\",\"flagged\":%s}",
			    etime ? "\"" : "", etime ? when : "null", etime ? "\"" : "", eseq,
			    crl ? "\"" : "", crl ? next : "null", crl ? "\"" : "", days_left, x.n, flag,
			    flag[0] ? "true" : "false");
		} else {
			fprintf(out, "%-14s %-19.19s %-6" PRIu64 " %-19.19s %-9ld %-9zu %s\n", seg, when, eseq,
			    next, days_left, x.n, flag);
		}
		shown++;
	}
	if (c->json)
		fputs("],\"events\":", out);
	else if (rc == PC_OK && shown == 0)
		fprintf(out, "no segments (plantca station add)\n");
	else if (rc == PC_OK)
		fprintf(out, "(flagged when the delivered CRL expires within %u days; EXPIRING: "
		    "certificates ending within %u days)\n", margin_days, expiring_days);
	if (rc == PC_OK)
		rc = ca_status_events(c, t, now, c->json, out, e);
	if (c->json)
		fputs("}\n", out);
	store_abort(t);
	ca_station_list_free(&sl);
	return rc;
}
