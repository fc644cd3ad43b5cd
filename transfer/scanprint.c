/*
 * scanprint.c - judged scan reports on a screen or as JSON, the same for
 * `plantca-station scan` and `plantca discovered` (scanreport.h).  Every
 * string that came from a device is display-safe already (the subject
 * through pkix_name_to_text, reasons and URIs through the escaper) and
 * goes through json_str for JSON.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "scanreport.h"
#include "text.h"

/* the date part of the one time formatter's text (text.h) */
static void day_text(time_t t, char out[11])
{
	char full[PC_TIME_TEXT_MAX];

	pc_time_text(t, full);
	if (full[0] == '@' || strlen(full) < 10)
		snprintf(out, 11, "?");
	else
		snprintf(out, 11, "%.10s", full);
}

void sr_print_flags(FILE *f, unsigned flags, bool json)
{
	unsigned i;
	bool first = true;

	for (i = 0; i < SR_F_COUNT; i++)
		if (flags & (1u << i)) {
			fprintf(f, json ? "%s\"%s\"" : "%s%s", first ? "" : json ? "," : " ",
			    sr_finding_name(i));
			first = false;
		}
}

static void item_text(FILE *f, const sr_item *it)
{
	char day[11];

	if (it->cert == SR_NONE) {
		fprintf(f, "  findings: ");
		sr_print_flags(f, it->flags, false);
		if (it->why[0])
			fprintf(f, " (%s)", it->why);
		fprintf(f, "\n");
		return;
	}
	day_text(it->not_after, day);
	fprintf(f, "  certificate %s\n    %s  %s  until %s  sha256 %s\n", it->subject[0] ?
	    it->subject : "(unreadable)", it->key[0] ? it->key : "-", it->sigalg[0] ? it->sigalg :
	    "-", it->flags & SR_F_UNREADABLE ? "-" : day, it->fingerprint);
	fprintf(f, "    %s", it->plant ? "issued by the plant CA" : "to enroll");
	if (it->flags) {
		fprintf(f, "; findings: ");
		sr_print_flags(f, it->flags, false);
	}
	if (it->shared)
		fprintf(f, " (key also at %zu other endpoint%s)", it->shared, it->shared == 1 ? "" : "s");
	if (it->why[0])
		fprintf(f, " (%s)", it->why);
	fprintf(f, "\n");
}

static void item_json(FILE *f, const sr_item *it, bool first)
{
	char day[11];
	bool unread = (it->flags & SR_F_UNREADABLE) != 0;

	fprintf(f, "%s{\"sha256\":\"%s\",\"subject\":", first ? "" : ",", it->fingerprint);
	json_str(f, it->subject);
	day_text(it->not_after, day);
	fprintf(f, ",\"key\":\"%s\",\"signature\":", it->key);
	json_str(f, it->sigalg);
	fprintf(f, ",\"not_after\":%s%s%s,\"plant\":%s,\"shared\":%zu,\"findings\":[",
	    unread ? "" : "\"", unread ? "null" : day, unread ? "" : "\"", it->plant ? "true" : "false",
	    it->shared);
	sr_print_flags(f, it->flags, true);
	fprintf(f, "],\"why\":");
	json_str(f, it->why);
	fprintf(f, "}");
}

void sr_print_endpoints(FILE *f, const sr_report *r, size_t ri, const sr_items *items, bool json)
{
	char url[SR_PATH_MAX * 3 + 16];
	size_t ei, k = 0, i;

	while (k < items->n && items->v[k].report < ri)
		k++;
	for (ei = 0; ei < r->neps; ei++) {
		const sr_endpoint *ep = &r->eps[ei];
		size_t first = k;
		bool one = true;
		for (; k < items->n && items->v[k].report == ri && items->v[k].ep == ei; k++)
			;
		sr_endpoint_url(ep, url, sizeof url);
		if (json) {
			const sr_item *epi = NULL;
			for (i = first; i < k; i++)
				if (items->v[i].cert == SR_NONE)
					epi = &items->v[i];
			fprintf(f, "%s{\"endpoint\":", ei ? "," : "");
			json_str(f, url);
			fprintf(f, ",\"result\":\"%s\",\"reason\":", sr_result_name(ep->result));
			json_str(f, ep->reason);
			fprintf(f, ",\"tls\":");
			json_str(f, ep->tls_version);
			fprintf(f, ",\"findings\":[");
			if (epi != NULL)
				sr_print_flags(f, epi->flags, true);
			fprintf(f, "],\"why\":");
			json_str(f, epi != NULL ? epi->why : "");
			fprintf(f, ",\"certificates\":[");
			for (i = first; i < k; i++)
				if (items->v[i].cert != SR_NONE) {
					item_json(f, &items->v[i], one);
					one = false;
				}
			fprintf(f, "]}");
			continue;
		}
		/* nothing listens there: counted in the summary, not listed */
		if (ep->result == SR_REFUSED || ep->result == SR_UNREACHABLE)
			continue;
		fprintf(f, "%s  %s%s%s\n", url, ep->result == SR_OK ? (ep->tls_version[0] ?
		    ep->tls_version : "ok") : sr_result_name(ep->result), ep->reason[0] ? ": " : "",
		    ep->reason);
		for (i = first; i < k; i++)
			item_text(f, &items->v[i]);
	}
}

void sr_tally_count(const sr_report *r, size_t ri, const sr_items *items, sr_tally *t)
{
	bool *seen = calloc(r->ncerts + 1, sizeof *seen);
	size_t i;

	memset(t, 0, sizeof *t);
	t->endpoints = r->neps;
	for (i = 0; i < r->neps; i++)
		t->results[r->eps[i].result]++;
	/* distinct certificates in use (one may be at several endpoints) */
	for (i = 0; seen != NULL && i < items->n; i++) {
		const sr_item *it = &items->v[i];
		if (it->report != ri || it->cert == SR_NONE || seen[it->cert])
			continue;
		seen[it->cert] = true;
		t->certs++;
		if (it->plant)
			t->plant++;
		else
			t->enroll++;
	}
	free(seen);
}

void sr_print_tally(FILE *f, const sr_tally *t, bool json)
{
	if (json) {
		fprintf(f, "{\"endpoints\":%zu,\"answered\":%zu,\"timeout\":%zu,\"error\":%zu,"
		    "\"refused\":%zu,\"unreachable\":%zu,\"certificates\":%zu,\"plant\":%zu,"
		    "\"to_enroll\":%zu}", t->endpoints, t->results[SR_OK], t->results[SR_TIMEOUT],
		    t->results[SR_ERROR], t->results[SR_REFUSED], t->results[SR_UNREACHABLE], t->certs,
		    t->plant, t->enroll);
		return;
	}
	fprintf(f, "%zu endpoints: %zu answered, %zu timed out, %zu protocol errors, %zu refused, "
	    "%zu unreachable; %zu certificates: %zu from the plant CA, %zu to enroll\n", t->endpoints,
	    t->results[SR_OK], t->results[SR_TIMEOUT], t->results[SR_ERROR], t->results[SR_REFUSED],
	    t->results[SR_UNREACHABLE], t->certs, t->plant, t->enroll);
}
