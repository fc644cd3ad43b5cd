/*
 * rootgen.c - the root's key generations in the store: its cross-
 * certificates, the re-certification of an issuing CA (inside the
 * pipeline's transaction) and what exports carry.  See rootgen.h.
 */
#include "rootgen.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "cagen.h"
#include "pipeline.h"

PC_CHECK static pc_rc rootx_key(pc_buf *k, const char *prefix, uint64_t gen, pc_err *e)
{
	pc_buf_str(k, prefix);
	pc_buf_u64be(k, gen);
	if (!pc_buf_ok(k)) {
		pc_buf_free(k);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	return PC_OK;
}

pc_rc ca_rootx_put(store_txn *t, const char *prefix, uint64_t gen, const uint8_t *der,
    size_t len, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(rootx_key(&k, prefix, gen, e));
	rc = store_put(t, STORE_META, k.p, k.len, der, len, false, e);
	pc_buf_free(&k);
	return rc;
}

pc_rc ca_rootx_get(store_txn *t, const char *prefix, uint64_t gen, pc_buf *der, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_reader v;
	pkix_cert pc;
	pc_err pe;
	pc_rc rc;

	PC_TRY(rootx_key(&k, prefix, gen, e));
	rc = store_get(t, STORE_META, k.p, k.len, &v, e);
	pc_buf_free(&k);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "root generation %" PRIu64 " has no %s", gen,
		    strcmp(prefix, META_ROOTX_NWO) == 0 ? "NewWithOld" : "OldWithNew");
	PC_TRY(rc);
	if (pkix_cert_parse(v.p + v.off, pc_reader_left(&v), "cross-certificate", &pc, &pe) != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "root generation %" PRIu64 ": %s: %s", gen,
		    prefix, pe.msg);
	der->len = 0;
	pc_buf_append(der, v.p + v.off, pc_reader_left(&v));
	return pc_buf_ok(der) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

/* Record r's new certificate j->cert (same key): the one it had becomes
 * its xcert; one from the same root (a repeated re-certification) is
 * replaced.  r borrows j's bytes: the caller encodes r before the job
 * goes. */
static void recert_swap(ca_rec *r, const pkix_cert *nc, const ca_job *j)
{
	if (r->v.aki_len == nc->aki_len && memcmp(r->v.aki, nc->aki, nc->aki_len) == 0) {
		free(r->cert);
	} else {
		free(r->xcert);
		r->xcert = r->cert;
		r->xcert_len = r->cert_len;
	}
	r->cert = (uint8_t *)j->cert.p;
	r->cert_len = j->cert.len;
}

static bool same_key(const pkix_cert *nc, const ca_rec *r)
{
	return nc->spki_len == r->v.spki_len && memcmp(nc->spki, r->v.spki, nc->spki_len) == 0;
}

pc_rc ca_root_recert(store_txn *t, const ca_job *j, bool *done, pc_err *e)
{
	ca_rec cur;
	ca_gen_list gl;
	pkix_cert nc;
	pc_buf b = PC_BUF_INIT;
	ca_rec *r = &cur;
	size_t i;
	pc_rc rc;

	*done = false;
	memset(&cur, 0, sizeof cur);
	memset(&gl, 0, sizeof gl);
	PC_TRY_OUT(ca_rec_get(t, j->newca, &cur, e));
	rc = pkix_cert_parse(j->cert.p, j->cert.len, "re-certified CA certificate", &nc, e);
	if (rc != PC_OK)
		goto out;
	if (!same_key(&nc, &cur)) {
		/* a replaced key generation that still signs CRLs (cagen.h):
		 * its record in META takes the certificate */
		PC_TRY_OUT(ca_gens_load(t, j->newca, &gl, e));
		for (r = NULL, i = 0; i < gl.n && r == NULL; i++)
			if (same_key(&nc, &gl.v[i]))
				r = &gl.v[i];
		if (r == NULL)
			goto out;          /* another key: a ca roll, not ours */
	}
	if (nc.subject_len != r->v.subject_len ||
	    memcmp(nc.subject, r->v.subject, nc.subject_len) != 0) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s': the re-certified certificate has another "
		    "subject", j->newca);
		goto out;
	}
	recert_swap(r, &nc, j);
	if (r == &cur) {
		rc = ca_rec_encode_rec(&b, &cur, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_CAS, j->newca, strlen(j->newca), b.p, b.len, false, e);
	} else {
		rc = ca_gen_put(t, r, e);
	}
	r->cert = NULL;                /* borrowed from the job */
	r->cert_len = 0;
	if (rc == PC_OK)
		*done = true;
out:
	pc_buf_free(&b);
	ca_rec_free(&cur);
	ca_gen_list_free(&gl);
	return rc;
}

PC_CHECK static pc_rc extra_add(ca_root_extra *x, const uint8_t *der, size_t len, pc_err *e)
{
	if (!pc_grow(&x->v, &x->cap, x->n, sizeof *x->v, 4))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	x->v[x->n] = (pc_buf)PC_BUF_INIT;
	pc_buf_append(&x->v[x->n], der, len);
	x->n++;
	return pc_buf_ok(&x->v[x->n - 1]) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

void ca_root_extra_free(ca_root_extra *x)
{
	size_t i;

	for (i = 0; i < x->n; i++)
		pc_buf_free(&x->v[i]);
	free(x->v);
	memset(x, 0, sizeof *x);
}

pc_rc ca_root_extras(store_txn *t, time_t now, ca_root_extra *x, pc_err *e)
{
	ca_gen_list gl;
	pc_buf d = PC_BUF_INIT;
	size_t i, k;
	pc_rc rc;

	memset(x, 0, sizeof *x);
	PC_TRY(ca_gens_load(t, "root", &gl, e));
	rc = PC_OK;
	for (i = 0; i < gl.n && rc == PC_OK; i++) {
		static const char *const pfx[2] = { META_ROOTX_NWO, META_ROOTX_OWN };
		const ca_rec *g = &gl.v[i];
		if (g->v.not_after <= now)
			continue;          /* the overlap is over: devices trust the next one */
		rc = extra_add(x, g->cert, g->cert_len, e);
		for (k = 0; k < 2 && rc == PC_OK; k++) {
			rc = ca_rootx_get(t, pfx[k], ca_gen_no(g) + 1, &d, e);
			if (rc == PC_E_NOTFOUND)
				rc = PC_OK;        /* an interrupted root roll: plantca root roll completes it */
			else if (rc == PC_OK)
				rc = extra_add(x, d.p, d.len, e);
			d.len = 0;
		}
	}
	pc_buf_free(&d);
	ca_gen_list_free(&gl);
	if (rc != PC_OK)
		ca_root_extra_free(x);
	return rc;
}
