/*
 * requests.c - plant stations and queued requests: the records, the review
 * screen, approval and signing.  (Bundles in and out: bundle.c.)
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "ca_int.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "rec.h"
#include "text.h"

void ca_keyid_text(const uint8_t id[CA_KEYID_LEN], char out[17])
{
	uint64_t v = 0;
	int i;

	for (i = CA_KEYID_LEN - 1; i >= 0; i--)
		v = (v << 8) | id[i];
	snprintf(out, 17, "%016" PRIX64, v);
}

void ca_station_free(ca_station *s)
{
	free(s->segment);
	free(s->ca);
	memset(s, 0, sizeof *s);
}

void ca_station_encode(const ca_station *s, pc_buf *b)
{
	pc_rec_begin(b, REC_STATION, 1);
	pc_rec_str(b, S_F_SEGMENT, s->segment);
	pc_rec_str(b, S_F_CA, s->ca);
	pc_rec_bytes(b, S_F_PK, s->pk, CA_PK_LEN);
	pc_rec_u64(b, S_F_LAST_SEQ, s->last_seq);
	pc_rec_u64(b, S_F_ADDED, s->added);
	pc_rec_bytes(b, S_F_KEYID, s->keyid, CA_KEYID_LEN);
}

pc_rc ca_station_decode(pc_reader val, ca_station *s, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool pk = false, kid = false;

	memset(s, 0, sizeof *s);
	if (!pc_rec_open(&val, REC_STATION, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "station record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case S_F_SEGMENT: s->segment = ca_strdup_reader(f); break;
		case S_F_CA: s->ca = ca_strdup_reader(f); break;
		case S_F_PK:
			if ((pk = pc_reader_left(&f) == CA_PK_LEN))
				memcpy(s->pk, f.p + f.off, CA_PK_LEN);
			break;
		case S_F_KEYID:
			if ((kid = pc_reader_left(&f) == CA_KEYID_LEN))
				memcpy(s->keyid, f.p + f.off, CA_KEYID_LEN);
			break;
		case S_F_LAST_SEQ: (void)pc_rec_val_u64(f, &s->last_seq); break;
		case S_F_ADDED: (void)pc_rec_val_u64(f, &s->added); break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !s->segment || !s->ca || !pk || !kid) {
		ca_station_free(s);
		return pc_fail(e, PC_E_STORE_CORRUPT, "station record is truncated or malformed");
	}
	ca_keyid_text(s->keyid, s->keyid_text);
	return PC_OK;
}


void ca_station_list_free(ca_station_list_t *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_station_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

static pc_rc station_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_station_list_t *l = ctx;

	(void)key;
	(void)stop;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 8;
		ca_station *nv = realloc(l->v, nc * sizeof *nv);
		if (nv == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->v = nv;
		l->cap = nc;
	}
	PC_TRY(ca_station_decode(val, &l->v[l->n], e));
	l->n++;
	return PC_OK;
}

pc_rc ca_stations_load(store_txn *t, ca_station_list_t *l, pc_err *e)
{
	memset(l, 0, sizeof *l);
	return store_scan(t, STORE_STATIONS, NULL, 0, false, station_visit, l, e);
}

pc_rc ca_station_list(ca_ctx *c, FILE *out, pc_err *e)
{
	ca_station_list_t l;
	store_txn *t;
	size_t i;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &l, e);
	store_abort(t);
	if (rc != PC_OK) {
		ca_station_list_free(&l);
		return rc;
	}
	if (c->json)
		fputc('[', out);
	else if (l.n == 0)
		fprintf(out, "no stations enrolled (plantca station add SEGMENT PUBKEY --ca NAME)\n");
	for (i = 0; i < l.n; i++) {
		char added[32];
		ca_iso_time(l.v[i].added, added);
		if (c->json) {
			fprintf(out, "%s{\"key_id\":\"%s\",\"segment\":", i ? "," : "", l.v[i].keyid_text);
			json_str(out, l.v[i].segment);
			fprintf(out, ",\"ca\":");
			json_str(out, l.v[i].ca);
			fprintf(out, ",\"last_sequence\":%" PRIu64 ",\"added\":\"%s\"}", l.v[i].last_seq, added);
		} else {
			fprintf(out, "%s  segment %-12s CA %-12s last sequence %-6" PRIu64 " added %s\n",
			    l.v[i].keyid_text, l.v[i].segment, l.v[i].ca, l.v[i].last_seq, added);
		}
	}
	if (c->json)
		fputs("]\n", out);
	ca_station_list_free(&l);
	return PC_OK;
}

/* ------------------------------------------------------------ requests */


void ca_request_free(ca_request *r)
{
	free(r->status);
	free(r->segment);
	free(r->station);
	free(r->bundle);
	free(r->member);
	free(r->profile);
	free(r->subject);
	free(r->san);
	free(r->keytype);
	free(r->reason);
	free(r->ca);
	free(r->csr);
	memset(r, 0, sizeof *r);
}

void ca_request_encode(const ca_request *r, pc_buf *b)
{
	pc_rec_begin(b, REC_REQUEST, 1);
	pc_rec_u64(b, R_F_ID, r->id);
	pc_rec_str(b, R_F_STATUS, r->status);
	pc_rec_str(b, R_F_SEGMENT, r->segment);
	pc_rec_str(b, R_F_STATION, r->station);
	pc_rec_str(b, R_F_BUNDLE, r->bundle);
	pc_rec_str(b, R_F_MEMBER, r->member);
	pc_rec_str(b, R_F_PROFILE, r->profile);
	pc_rec_bytes(b, R_F_CSR, r->csr, r->csr_len);
	pc_rec_bytes(b, R_F_CSR_SHA256, r->csr_sha256, sizeof r->csr_sha256);
	pc_rec_u64(b, R_F_CSR_BYTES, r->csr_bytes);
	pc_rec_str(b, R_F_SUBJECT, r->subject);
	pc_rec_str(b, R_F_SAN, r->san);
	pc_rec_str(b, R_F_KEYTYPE, r->keytype);
	pc_rec_str(b, R_F_REASON, r->reason);
	pc_rec_str(b, R_F_CA, r->ca);
	if (r->has_serial)
		pc_rec_bytes(b, R_F_SERIAL, r->serial, PKIX_SERIAL_LEN);
	pc_rec_u64(b, R_F_CREATED, r->created);
	pc_rec_u64(b, R_F_EXPORTED, r->exported);
}

pc_rc ca_request_decode(pc_reader val, ca_request *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool has_sha = false, has_bytes = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_REQUEST, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "request record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case R_F_ID: (void)pc_rec_val_u64(f, &r->id); break;
		case R_F_STATUS: r->status = ca_strdup_reader(f); break;
		case R_F_SEGMENT: r->segment = ca_strdup_reader(f); break;
		case R_F_STATION: r->station = ca_strdup_reader(f); break;
		case R_F_BUNDLE: r->bundle = ca_strdup_reader(f); break;
		case R_F_MEMBER: r->member = ca_strdup_reader(f); break;
		case R_F_PROFILE: r->profile = ca_strdup_reader(f); break;
		case R_F_SUBJECT: r->subject = ca_strdup_reader(f); break;
		case R_F_SAN: r->san = ca_strdup_reader(f); break;
		case R_F_KEYTYPE: r->keytype = ca_strdup_reader(f); break;
		case R_F_REASON: r->reason = ca_strdup_reader(f); break;
		case R_F_CA: r->ca = ca_strdup_reader(f); break;
		case R_F_CSR: {
			size_t n = pc_reader_left(&f);
			r->csr = malloc(n ? n : 1);
			if (r->csr && n)
				memcpy(r->csr, f.p + f.off, n);
			r->csr_len = n;
			break;
		}
		case R_F_SERIAL:
			if ((r->has_serial = pc_reader_left(&f) == PKIX_SERIAL_LEN))
				memcpy(r->serial, f.p + f.off, PKIX_SERIAL_LEN);
			break;
		case R_F_CREATED: (void)pc_rec_val_u64(f, &r->created); break;
		case R_F_EXPORTED: (void)pc_rec_val_u64(f, &r->exported); break;
		case R_F_CSR_SHA256:
			if ((has_sha = pc_reader_left(&f) == sizeof r->csr_sha256))
				memcpy(r->csr_sha256, f.p + f.off, sizeof r->csr_sha256);
			break;
		case R_F_CSR_BYTES: has_bytes = pc_rec_val_u64(f, &r->csr_bytes); break;
		default: break;
		}
	}
	/* records written before these fields kept the whole member */
	if (r->csr != NULL && !has_sha)
		crypto_hash_sha256(r->csr_sha256, r->csr, r->csr_len);
	if (r->csr != NULL && !has_bytes)
		r->csr_bytes = r->csr_len;
	if (!pc_reader_done(&val) || !r->status || !r->segment || !r->station || !r->bundle ||
	    !r->member || !r->profile || !r->csr || !r->subject || !r->san || !r->keytype ||
	    !r->reason || !r->ca) {
		ca_request_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "request record is truncated or malformed");
	}
	return PC_OK;
}

void ca_id_key(uint64_t id, uint8_t k[8])
{
	int i;

	for (i = 7; i >= 0; i--) {
		k[i] = (uint8_t)id;
		id >>= 8;
	}
}

pc_rc ca_request_get(store_txn *t, uint64_t id, ca_request *r, pc_err *e)
{
	uint8_t k[8];
	pc_reader val;
	pc_rc rc;

	ca_id_key(id, k);
	rc = store_get(t, STORE_REQUESTS, k, 8, &val, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "request %" PRIu64 ": no such request", id);
	PC_TRY(rc);
	return ca_request_decode(val, r, e);
}

pc_rc ca_request_put(store_txn *t, const ca_request *r, bool fresh, pc_err *e)
{
	uint8_t k[8];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	ca_id_key(r->id, k);
	ca_request_encode(r, &b);
	rc = pc_buf_ok(&b) ? store_put(t, STORE_REQUESTS, k, 8, b.p, b.len, fresh, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_set_str(char **field, const char *v, pc_err *e)
{
	char *n = strdup(v);

	if (n == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	free(*field);
	*field = n;
	return PC_OK;
}

pc_rc ca_request_claim(store_txn *t, uint64_t id, const uint8_t *serial, pc_err *e)
{
	ca_request r;
	pc_rc rc;

	PC_TRY(ca_request_get(t, id, &r, e));
	if (strcmp(r.status, "approved") != 0)
		rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is %s, no longer approved", id, r.status);
	else
		rc = ca_set_str(&r.status, "signing", e);
	if (rc == PC_OK) {
		memcpy(r.serial, serial, PKIX_SERIAL_LEN);
		r.has_serial = true;
		rc = ca_request_put(t, &r, false, e);
	}
	ca_request_free(&r);
	return rc;
}

pc_rc ca_request_mark_issued(store_txn *t, uint64_t id, const uint8_t *serial, bool legacy,
    pc_err *e)
{
	ca_request r;
	pc_rc rc = PC_OK;

	PC_TRY(ca_request_get(t, id, &r, e));
	if (strcmp(r.status, "signing") == 0) {
		if (!r.has_serial || memcmp(r.serial, serial, PKIX_SERIAL_LEN) != 0)
			rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is being signed under another "
			    "serial", id);
	} else if (!(legacy && strcmp(r.status, "approved") == 0)) {
		rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is %s", id, r.status);
	}
	if (rc == PC_OK)
		rc = ca_set_str(&r.status, "issued", e);
	if (rc == PC_OK) {
		memcpy(r.serial, serial, PKIX_SERIAL_LEN);
		r.has_serial = true;
		rc = ca_request_put(t, &r, false, e);
	}
	ca_request_free(&r);
	return rc;
}

pc_rc ca_next_request_id(store_txn *t, uint64_t *id, pc_err *e)
{
	pc_reader val;
	uint64_t v = 0;
	uint8_t k[8];
	pc_rc rc = store_get(t, STORE_META, META_REQ_NEXT, strlen(META_REQ_NEXT), &val, e);

	if (rc == PC_E_NOTFOUND)
		v = 1;
	else if (rc != PC_OK)
		return rc;
	else if (!pc_reader_u64be(&val, &v) || v == 0)
		return pc_fail(e, PC_E_STORE_CORRUPT, "request counter is malformed");
	*id = v;
	ca_id_key(v + 1, k);
	return store_put(t, STORE_META, META_REQ_NEXT, strlen(META_REQ_NEXT), k, 8, false, e);
}

/* ------------------------------------------------------------- review */


void ca_request_list_free(ca_request_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_request_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static pc_rc request_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_request_list *l = ctx;
	ca_request r;

	(void)key;
	(void)stop;
	PC_TRY(ca_request_decode(val, &r, e));
	if ((l->status && strcmp(l->status, r.status) != 0) ||
	    (l->segment && strcmp(l->segment, r.segment) != 0)) {
		ca_request_free(&r);
		return PC_OK;
	}
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 32;
		ca_request *nv = realloc(l->v, nc * sizeof *nv);
		if (nv == NULL) {
			ca_request_free(&r);
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		}
		l->v = nv;
		l->cap = nc;
	}
	l->v[l->n++] = r;
	return PC_OK;
}

pc_rc ca_requests_load(store_txn *t, ca_request_list *l, pc_err *e)
{
	return store_scan(t, STORE_REQUESTS, NULL, 0, false, request_visit, l, e);
}

static bool status_ok(const char *s)
{
	return !strcmp(s, "pending") || !strcmp(s, "approved") || !strcmp(s, "rejected") ||
	    !strcmp(s, "signing") || !strcmp(s, "issued");
}

pc_rc ca_requests(ca_ctx *c, const char *status, FILE *out, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	size_t i;
	pc_rc rc;

	if (status && !status_ok(status))
		return pc_fail(e, PC_E_USAGE, "--status '%s': pending, approved, rejected, signing or issued", status);
	memset(&l, 0, sizeof l);
	l.status = status;
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_requests_load(t, &l, e);
	store_abort(t);
	if (rc != PC_OK) {
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
			fprintf(out, ",\"serial\":\"%s\"}", hex);
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
	ca_request_list_free(&l);
	return PC_OK;
}

static pc_rc parse_id(const char *s, uint64_t *id, pc_err *e)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (s[0] < '1' || s[0] > '9')
		return pc_fail(e, PC_E_USAGE, "request id '%s': expected a number", s);
	v = strtoull(s, &end, 10);
	if (*end != '\0' || errno != 0)
		return pc_fail(e, PC_E_USAGE, "request id '%s': expected a number", s);
	*id = v;
	return PC_OK;
}

/* Move requests to a new status in one transaction with one audit event. */
static pc_rc set_status(ca_ctx *c, const uint64_t *ids, size_t n, const char *from1,
    const char *from2, const char *to, const char *reason, const char *action, pc_err *e)
{
	store_txn *t;
	pc_buf obj = PC_BUF_INIT;
	size_t i, len;
	pc_rc rc = PC_OK;
	char *objs;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++) {
		ca_request r;
		rc = ca_request_get(t, ids[i], &r, e);
		if (rc != PC_OK)
			break;
		if (strcmp(r.status, from1) != 0 && (!from2 || strcmp(r.status, from2) != 0))
			rc = pc_fail(e, PC_E_STATE, "request %" PRIu64 " is %s, not %s%s%s", ids[i],
			    r.status, from1, from2 ? " or " : "", from2 ? from2 : "");
		if (rc == PC_OK)
			rc = ca_set_str(&r.status, to, e);
		if (rc == PC_OK && reason)
			rc = ca_set_str(&r.reason, reason, e);
		if (rc == PC_OK)
			rc = ca_request_put(t, &r, false, e);
		ca_request_free(&r);
		pc_buf_printf(&obj, "%s%" PRIu64, i ? "," : "", ids[i]);
	}
	pc_buf_byte(&obj, 0);
	objs = (char *)pc_buf_steal(&obj, &len);
	if (rc == PC_OK && objs == NULL)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = audit_append(t, time(NULL), action, objs, "ok", reason ? reason : "", e);
	free(objs);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

/* A request whose profile wants approval = single is approved only by an
 * `approve ID` that names it alone: the officer looked at that one request.
 * A profile the active policy does not define counts as single too (sign
 * would refuse it anyway; a bulk approval must not wave it through). */
static bool needs_single(const policy *pol, const char *profile)
{
	policy_approval a;

	return !policy_profile_approval(pol, profile, &a) || a == POLICY_APPROVAL_SINGLE;
}

static void single_msg(pc_buf *b, uint64_t id, const char *profile)
{
	pc_buf_printf(b, "request %" PRIu64 " (profile %s) needs its own approval: plantca approve %"
	    PRIu64, id, profile, id);
}

pc_rc ca_approve(ca_ctx *c, const char *const *ids, size_t n, bool all, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	policy *pol = NULL;
	uint64_t *v = NULL;
	size_t *skip = NULL;      /* indexes into l of the requests --all left */
	size_t i, count = 0, nskip = 0;
	pc_rc rc = PC_OK;

	if (all == (n > 0))
		return pc_fail(e, PC_E_USAGE, "usage: plantca approve ID... | --all");
	memset(&l, 0, sizeof l);
	PC_TRY(ca_policy_active(c->home, &pol, e));
	if (all) {
		l.status = "pending";
		if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
			goto out;
		rc = ca_requests_load(t, &l, e);
		store_abort(t);
		if (rc == PC_OK && l.n > 0 && ((v = calloc(l.n, sizeof *v)) == NULL ||
		    (skip = calloc(l.n, sizeof *skip)) == NULL))
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		/* skipped, and said so: approve --all is never the officer's
		 * look at a request that needs one */
		for (i = 0; rc == PC_OK && i < l.n; i++) {
			if (needs_single(pol, l.v[i].profile))
				skip[nskip++] = i;
			else
				v[count++] = l.v[i].id;
		}
		if (rc != PC_OK)
			goto out;
		if (count == 0 && nskip == 0) {
			if (!c->json)
				printf("no pending requests\n");
			else
				printf("{\"approved\":[],\"skipped\":[]}\n");
			goto out;
		}
	} else {
		v = calloc(n, sizeof *v);
		if (v == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; rc == PC_OK && i < n; i++)
			rc = parse_id(ids[i], &v[count++], e);
		/* several ids: none of them may need a single approval (the
		 * profile of a request never changes, so a read is enough) */
		if (rc == PC_OK && count > 1 && (rc = store_begin(c->st, false, &t, e)) == PC_OK) {
			pc_buf msg = PC_BUF_INIT;
			for (i = 0; rc == PC_OK && i < count; i++) {
				ca_request r;
				pc_err ignored;
				if (ca_request_get(t, v[i], &r, &ignored) != PC_OK)
					continue;      /* set_status names a missing request */
				if (needs_single(pol, r.profile)) {
					if (msg.len)
						pc_buf_str(&msg, "; ");
					single_msg(&msg, r.id, r.profile);
				}
				ca_request_free(&r);
			}
			store_abort(t);
			if (msg.len) {
				pc_buf_byte(&msg, 0);
				rc = pc_buf_ok(&msg) ? pc_fail(e, PC_E_POLICY, "%s (nothing approved)",
				    (const char *)msg.p) : pc_fail(e, PC_E_NOMEM, "out of memory");
			}
			pc_buf_free(&msg);
		}
		if (rc != PC_OK)
			goto out;
	}
	if (count > 0 &&
	    (rc = set_status(c, v, count, "pending", NULL, "approved", NULL, "approve", e)) != PC_OK)
		goto out;
	if (c->json) {
		printf("{\"approved\":[");
		for (i = 0; i < count; i++)
			printf("%s%" PRIu64, i ? "," : "", v[i]);
		printf("],\"skipped\":[");
		for (i = 0; i < nskip; i++) {
			printf("%s{\"id\":%" PRIu64 ",\"profile\":", i ? "," : "", l.v[skip[i]].id);
			json_str(stdout, l.v[skip[i]].profile);
			printf("}");
		}
		printf("]}\n");
	} else {
		for (i = 0; i < nskip; i++) {
			pc_buf m = PC_BUF_INIT;
			single_msg(&m, l.v[skip[i]].id, l.v[skip[i]].profile);
			printf("%.*s\n", (int)m.len, m.p ? (const char *)m.p : "");
			pc_buf_free(&m);
		}
		printf("approved %zu request(s); plantca sign issues them\n", count);
	}
out:
	ca_request_list_free(&l);
	policy_free(pol);
	free(skip);
	free(v);
	return rc;
}

pc_rc ca_reject(ca_ctx *c, const char *id, const char *reason, pc_err *e)
{
	uint64_t v;
	char full[REASON_MAX];

	if (!id || !reason || !reason[0])
		return pc_fail(e, PC_E_USAGE, "usage: plantca reject ID --reason TEXT");
	PC_TRY(parse_id(id, &v, e));
	snprintf(full, sizeof full, "rejected by the officer: %s", reason);
	PC_TRY(set_status(c, &v, 1, "pending", "approved", "rejected", full, "reject", e));
	if (c->json)
		printf("{\"rejected\":%" PRIu64 "}\n", v);
	else
		printf("request %" PRIu64 " rejected\n", v);
	return PC_OK;
}

/* ---------------------------------------------------------------- sign */

pc_rc ca_request_prepare(const policy *pol, const ca_request *r, const pkix_csr *csr,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const char *source,
    const char *what, ca_job *j, pc_err *e)
{
	uint8_t ikid[PKIX_KEYID_LEN];

	memset(j, 0, sizeof *j);
	if (pkix_keyid(issuer->v.spki, issuer->v.spki_len, ikid) != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': malformed key in its certificate",
		    r->ca);
	/* days 0: a station asks for the profile's default validity */
	if (csr != NULL)
		return ca_prepare_leaf_parsed(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid,
		    csr, source, what, r->segment, r->station, 0, j, e);
	return ca_prepare_leaf(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid, r->csr,
	    r->csr_len, source, what, r->segment, r->station, 0, j, e);
}

/* Requests that failed their checks at signing time are rejected with the
 * reason, each only if it is still approved (checked in the transaction),
 * so that they do not block the next runs; one audit event each. */
static pc_rc reject_at_signing(ca_ctx *c, const ca_request_list *l, char **why, size_t *nrej,
    pc_err *e)
{
	store_txn *t;
	size_t i;
	pc_rc rc = PC_OK;
	time_t now = time(NULL);

	*nrej = 0;
	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < l->n && rc == PC_OK; i++) {
		ca_request r;
		char obj[24], full[REASON_MAX];
		if (why[i] == NULL)
			continue;
		if ((rc = ca_request_get(t, l->v[i].id, &r, e)) != PC_OK)
			break;
		if (strcmp(r.status, "approved") != 0) {
			ca_request_free(&r);
			continue;
		}
		snprintf(full, sizeof full, "refused at signing: %s", why[i]);
		rc = ca_set_str(&r.status, "rejected", e);
		if (rc == PC_OK)
			rc = ca_set_str(&r.reason, full, e);
		if (rc == PC_OK)
			rc = ca_request_put(t, &r, false, e);
		ca_request_free(&r);
		snprintf(obj, sizeof obj, "%" PRIu64, l->v[i].id);
		if (rc == PC_OK)
			rc = audit_append(t, now, "reject", obj, "ok", full, e);
		if (rc == PC_OK)
			(*nrej)++;
	}
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

pc_rc ca_sign(ca_ctx *c, pc_err *e)
{
	ca_request_list l;
	store_txn *t;
	ca_job *jobs = NULL;
	size_t i, nprep = 0, nok = 0, nbad = 0, nrej = 0;
	char **sources = NULL, **why = NULL;
	uint64_t nintents = 0;
	policy *pol = NULL;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	l.status = "approved";
	/* the policy in force now decides, not the one at import */
	PC_TRY(ca_policy_active(c->home, &pol, e));
	/* Interrupted issuances are completed first (ca_hsm_ready), and only
	 * then is the list of approved requests read: a request whose intent
	 * was committed is "signing", not "approved", so it cannot be
	 * prepared a second time. */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = store_count(t, STORE_INTENTS, &nintents, e);
	if (rc == PC_OK && nintents == 0)
		rc = ca_requests_load(t, &l, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (nintents == 0 && l.n == 0) {
		if (c->json)
			printf("[]\n");
		else
			printf("no approved requests to sign\n");
		goto out;
	}
	ca_request_list_free(&l);
	if ((rc = ca_hsm_ready(c, e)) != PC_OK)
		goto out;
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = ca_requests_load(t, &l, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (l.n == 0) {
		if (c->json)
			printf("[]\n");
		else
			printf("no approved requests to sign\n");
		goto out;
	}
	jobs = calloc(l.n, sizeof *jobs);
	sources = calloc(l.n, sizeof *sources);
	why = calloc(l.n, sizeof *why);
	if (!jobs || !sources || !why) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* Every approved request is prepared (and checked again) before any is
	 * signed.  One that no longer passes does not stop the others: it is
	 * rejected with the reason and reported. */
	for (i = 0; i < l.n; i++) {
		ca_request *r = &l.v[i];
		ca_rec issuer;
		hsm_key *ik;
		const uint8_t *sa = NULL;
		size_t sal = 0;
		char what[600];
		size_t sl = strlen(r->bundle) + strlen(r->member) + 32;
		pc_err pe;
		pc_rc prc;

		if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
			goto out;
		prc = ca_rec_get(t, r->ca, &issuer, &pe);
		store_abort(t);
		if (prc == PC_OK) {
			prc = ca_key_for(c, r->ca, issuer.key_uri, &ik, &pe);
			if (prc == PC_OK)
				sa = hsm_key_sigalg(ik, &sal);
			if (prc == PC_OK && (sources[i] = malloc(sl)) == NULL)
				prc = pc_fail(&pe, PC_E_NOMEM, "out of memory");
			if (prc == PC_OK) {
				snprintf(sources[i], sl, "request %" PRIu64 " %s/%s", r->id, r->bundle,
				    r->member);
				snprintf(what, sizeof what, "request %" PRIu64 " (%s/%s)", r->id, r->bundle,
				    r->member);
				prc = ca_request_prepare(pol, r, NULL, &issuer, sa, sal, sources[i], what,
				    &jobs[i], &pe);
			}
			ca_rec_free(&issuer);
		}
		if (prc == PC_OK) {
			jobs[i].request_id = r->id;
			nprep++;
			continue;
		}
		/* a system failure (token, memory, store) stops the run; a
		 * refusal of this one request does not */
		if (pc_rc_exit_status(prc) != 1) {
			*e = pe;
			rc = prc;
			goto out;
		}
		memset(&jobs[i], 0, sizeof jobs[i]);
		jobs[i].skip = true;
		if ((why[i] = strdup(pe.msg)) == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		nbad++;
	}
	if (nbad && (rc = reject_at_signing(c, &l, why, &nrej, e)) != PC_OK)
		goto out;
	{
		/* ca_run_jobs sees the prepared jobs only */
		ca_job *run = calloc(nprep ? nprep : 1, sizeof *run);
		size_t k = 0;
		if (run == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		for (i = 0; i < l.n; i++)
			if (!jobs[i].skip)
				run[k++] = jobs[i];
		rc = nprep ? ca_run_jobs(c, run, nprep, false, e) : PC_OK;
		for (i = 0, k = 0; i < l.n; i++)
			if (!jobs[i].skip)
				jobs[i] = run[k++];
		free(run);
		if (rc != PC_OK)
			goto out;
	}
	for (i = 0; i < l.n; i++)
		nok += !why[i] && !jobs[i].skip;
	if (c->json) {
		size_t shown = 0;
		printf("[");
		for (i = 0; i < l.n; i++) {
			char hex[2 * PKIX_SERIAL_LEN + 1];
			if (why[i]) {
				printf("%s{\"id\":%" PRIu64 ",\"status\":\"rejected\",\"reason\":",
				    shown++ ? "," : "", l.v[i].id);
				json_str(stdout, why[i]);
				printf("}");
				continue;
			}
			if (jobs[i].skip) {
				printf("%s{\"id\":%" PRIu64 ",\"status\":\"skipped\",\"reason\":",
				    shown++ ? "," : "", l.v[i].id);
				json_str(stdout, jobs[i].skip_why);
				printf("}");
				continue;
			}
			ca_serial_hex(jobs[i].serial, PKIX_SERIAL_LEN, hex);
			printf("%s{\"id\":%" PRIu64 ",\"status\":\"issued\",\"serial\":\"%s\","
			    "\"subject\":", shown++ ? "," : "", l.v[i].id, hex);
			json_str(stdout, jobs[i].subject_text);
			printf("}");
		}
		printf("]\n");
	} else {
		size_t nskip = 0;
		for (i = 0; i < l.n; i++) {
			if (why[i])
				fprintf(stderr, "plantca: %s (rejected)\n", why[i]);
			else if (jobs[i].skip)
				nskip++;
		}
		if (nskip)
			fprintf(stderr, "plantca: %zu request(s) not signed by this run: they were no "
			    "longer approved when it came to them (signed by another run, or rejected)\n",
			    nskip);
		printf("signed %zu request(s); plantca export SEGMENT DIR writes the response bundle\n",
		    nok);
	}
	if (nbad)
		rc = pc_fail(e, PC_E_POLICY, "%zu request(s) refused at signing, %zu of them now "
		    "rejected with the reason (plantca requests --status rejected); %zu signed", nbad,
		    nrej, nok);
out:
	for (i = 0; jobs && i < l.n; i++)
		ca_job_free(&jobs[i]);
	for (i = 0; sources && i < l.n; i++)
		free(sources[i]);
	for (i = 0; why && i < l.n; i++)
		free(why[i]);
	free(sources);
	free(why);
	free(jobs);
	ca_request_list_free(&l);
	policy_free(pol);   /* jobs pointed into it (profile, hash) */
	return rc;
}
