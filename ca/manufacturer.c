/*
 * manufacturer.c - `plantca manufacturer add|list|remove`: the device
 * manufacturers whose IDevIDs (IEEE 802.1AR) the plant accepts for CMP
 * enrollment, per segment (docs/cmp.md).  Recorded in the store with an
 * audit event; every response bundle for a segment carries the list as
 * manufacturers.pem, so that the segment's station judges IDevIDs as the
 * CA does.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cmp.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "text.h"

static bool name_ok(const char *n)
{
	size_t i, l = strlen(n);

	if (l == 0 || l > 63)
		return false;
	for (i = 0; i < l; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= '0' && n[i] <= '9') ||
		    (i > 0 && n[i] == '-')))
			return false;
	return true;
}

struct pem_check { size_t n; const char *path; };

PC_CHECK static pc_rc ca_cert_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	struct pem_check *pc = ctx;
	pkix_cert c;

	PC_TRY(pkix_cert_parse(der, len, pc->path, &c, e));
	if (!c.is_ca)
		return pc_fail(e, PC_E_INPUT, "%s: certificate %zu is not a CA (a manufacturer is named "
		    "by the CA certificate that issues its IDevIDs)", pc->path, pc->n + 1);
	pc->n++;
	return PC_OK;
}

pc_rc ca_manufacturer_add(ca_ctx *c, const char *name, const char *path,
    const char *const *segments, size_t nseg, pc_err *e)
{
	uint8_t *pem = NULL;
	size_t len, i;
	pc_buf seg = PC_BUF_INIT, rec = PC_BUF_INIT;
	struct pem_check chk = { 0, path };
	store_txn *t = NULL;
	char key[80], detail[512];
	pc_rc rc;

	if (!name_ok(name))
		return pc_fail(e, PC_E_USAGE, "manufacturer name '%s': expected [a-z0-9][a-z0-9-]{0,62}",
		    name);
	for (i = 0; i < nseg; i++) {
		if (!tr_segment_ok(segments[i])) {
			rc = pc_fail(e, PC_E_USAGE, "--segment '%s': expected [a-z0-9][a-z0-9-]{0,62}",
			    segments[i]);
			goto out;
		}
		pc_buf_printf(&seg, "%s%s", i ? "," : "", segments[i]);
	}
	pc_buf_byte(&seg, 0);
	PC_TRY_OUT(pc_file_read(path, CA_MFR_PEM_MAX, &pem, &len, e));
	rc = pc_pem_decode_all(pem, len, "CERTIFICATE", ca_cert_cb, &chk, e);
	if (rc == PC_OK && chk.n == 0)
		rc = pc_fail(e, PC_E_INPUT, "%s: no CERTIFICATE", path);
	if (rc != PC_OK)
		goto out;
	if (memchr(pem, '\0', len) != NULL) {
		rc = pc_fail(e, PC_E_INPUT, "%s: holds a NUL byte (not a PEM file)", path);
		goto out;
	}
	snprintf(key, sizeof key, "mfr.%s", name);
	if (!pc_buf_ok(&seg)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	{
		/* the record only borrows the strings to write them */
		ca_mfr m = { .name = (char *)name, .segments = (char *)seg.p, .pem = pem,
			.pem_len = len, .added = (uint64_t)time(NULL) };
		if ((rc = ca_mfr_encode(&m, &rec, e)) != PC_OK)
			goto out;
	}
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	rc = store_put(t, STORE_META, key, strlen(key), rec.p, rec.len, true, e);
	if (rc == PC_E_EXISTS)
		rc = pc_fail(e, PC_E_EXISTS, "manufacturer %s exists (remove it first)", name);
	snprintf(detail, sizeof detail, "%zu CA certificate(s) from %s; segments %s", chk.n, path,
	    seg.p[0] ? (const char *)seg.p : "all");
	if (rc == PC_OK)
		rc = audit_append(t, time(NULL), "manufacturer.add", name, "ok", detail, e);
	if (rc == PC_OK)
		rc = store_commit(t, e);
	else
		store_abort(t);
	if (rc == PC_OK)
		printf("manufacturer %s: %s; delivered to stations with the next response bundle\n",
		    name, detail);
out:
	free(pem);
	pc_buf_free(&seg);
	pc_buf_free(&rec);
	return rc;
}

pc_rc ca_manufacturer_remove(ca_ctx *c, const char *name, pc_err *e)
{
	store_txn *t;
	char key[80];
	pc_rc rc;

	if (!name_ok(name))
		return pc_fail(e, PC_E_USAGE, "manufacturer name '%s': expected [a-z0-9][a-z0-9-]{0,62}",
		    name);
	snprintf(key, sizeof key, "mfr.%s", name);
	PC_TRY(store_begin(c->st, true, &t, e));
	rc = store_del(t, STORE_META, key, strlen(key), e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_NOTFOUND, "manufacturer %s does not exist", name);
	if (rc == PC_OK)
		rc = audit_append(t, time(NULL), "manufacturer.remove", name, "ok",
		    "no longer accepted; stations learn it with the next response bundle", e);
	if (rc == PC_OK)
		return store_commit(t, e);
	store_abort(t);
	return rc;
}

struct fp_ctx { FILE *out; bool json; size_t n; };

PC_CHECK static pc_rc fp_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	struct fp_ctx *f = ctx;
	pkix_cert c;
	pc_buf b = PC_BUF_INIT;
	char fp[96];

	PC_TRY(pkix_cert_parse(der, len, "manufacturer", &c, e));
	pc_fingerprint(der, len, fp);
	if (pkix_name_to_text(c.subject, c.subject_len, &b) != PC_OK)
		pc_buf_str(&b, "?");
	pc_buf_byte(&b, 0);
	if (!pc_buf_ok(&b))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b.len--;
	if (f->json) {
		fprintf(f->out, "%s{\"subject\":", f->n ? "," : "");
		json_str(f->out, (const char *)b.p);
		fprintf(f->out, ",\"sha256\":\"%s\"}", fp);
	} else {
		fprintf(f->out, "  CA %.*s\n     SHA-256 %s\n", (int)b.len, (const char *)b.p, fp);
	}
	f->n++;
	pc_buf_free(&b);
	return PC_OK;
}

pc_rc ca_manufacturer_list(ca_ctx *c, FILE *out, pc_err *e)
{
	store_txn *t;
	ca_mfr_list l;
	size_t i;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_mfrs_load(t, NULL, &l, e);
	store_abort(t);
	if (c->json)
		fputc('[', out);
	for (i = 0; i < l.n && rc == PC_OK; i++) {
		struct fp_ctx f = { out, c->json, 0 };
		if (c->json) {
			fprintf(out, "%s{\"name\":", i ? "," : "");
			json_str(out, l.v[i].name);
			fprintf(out, ",\"segments\":");
			json_str(out, l.v[i].segments[0] ? l.v[i].segments : "*");
			fprintf(out, ",\"cas\":[");
		} else {
			fprintf(out, "%s  segments %s\n", l.v[i].name,
			    l.v[i].segments[0] ? l.v[i].segments : "(all)");
		}
		rc = pc_pem_decode_all(l.v[i].pem, l.v[i].pem_len, "CERTIFICATE", fp_cb, &f, e);
		if (c->json)
			fprintf(out, "]}");
	}
	if (c->json)
		fprintf(out, "]\n");
	else if (l.n == 0)
		fprintf(out, "no manufacturer is accepted (plantca manufacturer add NAME CA.pem)\n");
	ca_mfr_list_free(&l);
	return rc;
}
