/*
 * firmware_list.c - `plantca firmware list`: every firmware signature
 * `plantca firmware sign` made, in any format, from the store (see
 * firmware.h; the records are ca_fw_sig_rec in records.h).
 */
#include "firmware.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "json.h"
#include "records.h"
#include "text.h"

struct list_ctx {
	FILE *out;
	bool json;
	size_t n;
};

PC_CHECK static pc_rc list_visit(void *ctx, const ca_fw_sig_rec *r, pc_err *e)
{
	struct list_ctx *l = ctx;
	char when[PC_TIME_TEXT_MAX], hex[2 * PKIX_SERIAL_LEN + 1];

	(void)e;
	pc_time_text((int64_t)r->created, when);
	ca_serial_hex(r->serial, PKIX_SERIAL_LEN, hex);
	if (l->json) {
		fprintf(l->out, "%s{\"time\":\"%s\",\"format\":", l->n ? "," : "", when);
		json_str(l->out, r->format);
		fprintf(l->out, ",\"package\":");
		json_str(l->out, r->package);
		fprintf(l->out, ",\"version\":");
		json_str(l->out, r->version);
		fprintf(l->out, ",\"hash\":");
		json_str(l->out, r->hash);
		fprintf(l->out, ",\"digest\":");
		json_str(l->out, r->digest);
		fprintf(l->out, ",\"size\":%" PRIu64 ",\"signer\":", r->size);
		json_str(l->out, r->signer);
		fprintf(l->out, ",\"serial\":\"%s\",\"input\":", hex);
		json_str(l->out, r->input);
		fprintf(l->out, ",\"output\":");
		json_str(l->out, r->output);
		fputc('}', l->out);
	} else {
		fprintf(l->out, "%s %-8s %s:%s %s %s size %" PRIu64 " signer %s (%s) ", when,
		    r->format, r->package, r->version, r->hash, r->digest, r->size, r->signer, hex);
		pc_text_fputs(l->out, r->output);
		fputc('\n', l->out);
	}
	l->n++;
	return PC_OK;
}

pc_rc ca_fw_list(ca_ctx *c, FILE *out, pc_err *e)
{
	struct list_ctx l = { out, c->json, 0 };
	store_txn *t = NULL;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	if (c->json)
		fputc('[', out);
	rc = ca_fw_sig_scan(t, list_visit, &l, e);
	if (c->json)
		fputs("]\n", out);
	store_abort(t);
	return rc;
}
