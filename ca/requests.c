/*
 * requests.c - `plantca requests`: the review screen of queued requests.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmp.h"
#include "format.h"
#include "json.h"
#include "pem.h"
#include "records.h"
#include "text.h"

static bool status_ok(const char *s)
{
	return !strcmp(s, "pending") || !strcmp(s, "approved") || !strcmp(s, "rejected") ||
	    !strcmp(s, "signing") || !strcmp(s, "issued");
}

/* A CMP request's device facts (docs/cmp.md), all recorded at import and
 * escaped then: the message, its transaction, and who signed it. */
static void cmp_json(FILE *out, const ca_cmp_info *ci)
{
	char nb[16], hex[2 * PKIX_SERIAL_LEN + 1];

	fprintf(out, ",\"cmp\":{\"body\":\"%s\",\"transaction\":\"%s\",\"signer\":{\"issuer\":",
	    pkix_cmp_body_name((int)ci->body, nb, sizeof nb), ci->txid);
	json_str(out, ci->signer_issuer);
	fprintf(out, ",\"serial\":\"%s\",\"sha256\":\"%s\"}", ci->signer_serial, ci->signer_fp);
	if (ci->manufacturer[0]) {
		fprintf(out, ",\"idevid\":{\"manufacturer\":");
		json_str(out, ci->manufacturer);
		fprintf(out, ",\"hw_serial\":");
		json_str(out, ci->hw_serial);
		fputc('}', out);
	}
	if (ci->has_old) {
		ca_serial_hex(ci->old_serial, PKIX_SERIAL_LEN, hex);
		fprintf(out, ",\"%s\":\"%s\"", ci->body == PKIX_CMP_RR ? "revokes" : "renews", hex);
	}
	fputc('}', out);
}

static void cmp_text(FILE *out, const ca_cmp_info *ci)
{
	char nb[16], hex[2 * PKIX_SERIAL_LEN + 1];

	fprintf(out, "  CMP      %s, transaction %s\n", pkix_cmp_body_name((int)ci->body, nb, sizeof nb),
	    ci->txid);
	if (ci->manufacturer[0]) {
		fputs("  IDevID   manufacturer ", out);
		pc_text_fputs(out, ci->manufacturer);
		fputs(", hardware serial ", out);
		pc_text_fputs(out, ci->hw_serial[0] ? ci->hw_serial : "(none)");
		fputs("\n           issuer ", out);
	} else {
		fputs("  signer   LDevID, issuer ", out);
	}
	pc_text_fputs(out, ci->signer_issuer);
	fputs(", serial ", out);
	pc_text_fputs(out, ci->signer_serial);
	fputs("\n           SHA-256 ", out);
	pc_text_fputs(out, ci->signer_fp);
	fputc('\n', out);
	if (ci->has_old) {
		ca_serial_hex(ci->old_serial, PKIX_SERIAL_LEN, hex);
		fprintf(out, "  %-8s %s\n", ci->body == PKIX_CMP_RR ? "revokes" : "renews", hex);
	}
}

pc_rc ca_requests(ca_ctx *c, const char *status, FILE *out, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	ca_cmp_info *ci = NULL;
	bool *have = NULL;
	size_t i;
	pc_rc rc;

	if (status && !status_ok(status))
		return pc_fail(e, PC_E_USAGE, "--status '%s': pending, approved, rejected, signing or issued", status);
	memset(&l, 0, sizeof l);
	l.status = status;
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_requests_load(t, &l, e);
	/* the device facts of the CMP requests, read before anything is
	 * shown: a damaged record is an error, not a blank */
	if (rc == PC_OK && ((ci = calloc(l.n + 1, sizeof *ci)) == NULL ||
	    (have = calloc(l.n + 1, sizeof *have)) == NULL))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; rc == PC_OK && i < l.n; i++)
		if (ca_cmp_member(l.v[i].member))
			rc = ca_cmp_info_find(t, l.v[i].id, &ci[i], &have[i], e);
	store_abort(t);
	if (rc != PC_OK) {
		free(ci);
		free(have);
		ca_request_list_free(&l);
		return rc;
	}
	if (c->json)
		fputc('[', out);
	for (i = 0; i < l.n; i++) {
		ca_request *r = &l.v[i];
		char hex[2 * PKIX_SERIAL_LEN + 1] = "";
		pc_buf sha = PC_BUF_INIT;
		if (r->has_serial)
			ca_serial_hex(r->serial, PKIX_SERIAL_LEN, hex);
		if (c->json) {
			fprintf(out, "%s{\"id\":%" PRIu64 ",\"status\":\"%s\",\"segment\":", i ? "," : "",
			    r->id, r->status);
			json_str(out, r->segment);
			fprintf(out, ",\"station\":");
			json_str(out, r->station);
			fprintf(out, ",\"bundle\":");
			json_str(out, r->bundle);
			fprintf(out, ",\"member\":");
			json_str(out, r->member);
			fprintf(out, ",\"profile\":");
			json_str(out, r->profile);
			fprintf(out, ",\"ca\":");
			json_str(out, r->ca);
			fprintf(out, ",\"subject\":");
			json_str(out, r->subject);
			fprintf(out, ",\"san\":");
			json_str(out, r->san);
			fprintf(out, ",\"key\":");
			json_str(out, r->keytype);
			fprintf(out, ",\"reason\":");
			json_str(out, r->reason);
			pc_hex_encode(&sha, r->csr_sha256, sizeof r->csr_sha256, 0);
			pc_buf_byte(&sha, 0);
			fprintf(out, ",\"csr_bytes\":%" PRIu64 ",\"csr_kept\":%zu,\"csr_sha256\":\"%s\"",
			    r->csr_bytes, r->csr_len, pc_buf_ok(&sha) ? (char *)sha.p : "");
			fprintf(out, ",\"serial\":\"%s\"", hex);
			if (have[i])
				cmp_json(out, &ci[i]);
			fputc('}', out);
		} else {
			/* the review screen: what will be signed, and by what right;
			 * every stored field through the display escaper, so a
			 * hostile CSR cannot repaint it (issue 9) */
			fprintf(out, "request %" PRIu64 "  %-8s  ", r->id, r->status);
			pc_text_fputs(out, r->bundle);
			fputc('/', out);
			pc_text_fputs(out, r->member);
			fputs("\n  subject  ", out);
			pc_text_fputs(out, r->subject[0] ? r->subject : "(unparsable)");
			fputs("\n  SAN      ", out);
			pc_text_fputs(out, r->san[0] ? r->san : "(none)");
			fputs("\n  key      ", out);
			pc_text_fputs(out, r->keytype[0] ? r->keytype : "-");
			fputs("\n  profile  ", out);
			pc_text_fputs(out, r->profile);
			fputs("   CA ", out);
			pc_text_fputs(out, r->ca);
			fputs("   segment ", out);
			pc_text_fputs(out, r->segment);
			fputs("   station ", out);
			pc_text_fputs(out, r->station);
			fputc('\n', out);
			if (have[i])
				cmp_text(out, &ci[i]);
			if (r->reason[0]) {
				fputs("  reason   ", out);
				pc_text_fputs(out, r->reason);
				fputc('\n', out);
			}
			/* the hash lets the officer match the request to the device's CSR;
			 * a rejected one was cut to its first CA_REJECTED_KEEP bytes */
			pc_hex_encode(&sha, r->csr_sha256, sizeof r->csr_sha256, 0);
			pc_buf_byte(&sha, 0);
			fprintf(out, "  csr      %" PRIu64 " bytes, SHA-256 %s", r->csr_bytes,
			    pc_buf_ok(&sha) ? (char *)sha.p : "?");
			if (r->csr_len < r->csr_bytes)
				fprintf(out, " (first %zu kept)", r->csr_len);
			fputc('\n', out);
			if (hex[0])
				fprintf(out, "  serial   %s\n", hex);
		}
		pc_buf_free(&sha);
	}
	if (c->json)
		fputs("]\n", out);
	else if (l.n == 0)
		fprintf(out, "no %s requests\n", status ? status : "queued");
	free(ci);
	free(have);
	ca_request_list_free(&l);
	return PC_OK;
}
