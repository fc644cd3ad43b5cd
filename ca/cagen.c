/*
 * cagen.c - the key generations of an issuing CA: the records of the
 * generations a `ca roll` replaced, and the roll itself inside the
 * pipeline's transaction.  See cagen.h.
 */
#include "cagen.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "file.h"
#include "format.h"
#include "pem.h"
#include "pipeline.h"
#include "text.h"

void ca_gen_stem(const char *name, uint64_t gen, char *out, size_t n)
{
	if (gen == 0)
		snprintf(out, n, "%s", name);
	else
		snprintf(out, n, "%s~%" PRIu64, name, gen);
}

void ca_gen_key(pc_buf *k, const char *prefix, const char *name, uint64_t gen)
{
	pc_buf_str(k, prefix);
	pc_buf_str(k, name);
	pc_buf_byte(k, 0);
	pc_buf_u64be(k, gen);
}

void ca_gen_list_free(ca_gen_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		ca_rec_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

PC_CHECK static pc_rc gen_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_gen_list *l = ctx;

	(void)key;
	(void)stop;
	if (!pc_grow(&l->v, &l->cap, l->n, sizeof *l->v, 4))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	PC_TRY(ca_rec_decode(val, &l->v[l->n], e));
	l->n++;
	return PC_OK;
}

pc_rc ca_gens_load(store_txn *t, const char *name, ca_gen_list *l, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	memset(l, 0, sizeof *l);
	pc_buf_str(&k, META_CAGEN);
	pc_buf_str(&k, name);
	pc_buf_byte(&k, 0);
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, gen_visit, l, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	if (rc != PC_OK) {
		ca_gen_list_free(l);
		pc_wrap(e, "CA '%s': generations", name);
	}
	return rc;
}

pc_rc ca_gen_get(store_txn *t, const char *name, uint64_t gen, ca_rec *r, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_reader v;
	pc_rc rc;

	ca_gen_key(&k, META_CAGEN, name, gen);
	rc = pc_buf_ok(&k) ? store_get(t, STORE_META, k.p, k.len, &v, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "CA '%s' has no replaced generation %" PRIu64, name,
		    gen);
	PC_TRY(rc);
	rc = ca_rec_decode(v, r, e);
	if (rc != PC_OK)
		pc_wrap(e, "CA '%s' generation %" PRIu64, name, gen);
	return rc;
}

pc_rc ca_gen_put(store_txn *t, const ca_rec *r, pc_err *e)
{
	pc_buf k = PC_BUF_INIT, b = PC_BUF_INIT;
	pc_rc rc;

	ca_gen_key(&k, META_CAGEN, r->name, ca_gen_no(r));
	rc = ca_rec_encode_rec(&b, r, e);
	if (rc == PC_OK)
		rc = pc_buf_ok(&k) ? store_put(t, STORE_META, k.p, k.len, b.p, b.len, false, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_rec_for_kid(store_txn *t, const char *name, const uint8_t *kid, size_t kid_len,
    ca_rec *r, pc_err *e)
{
	uint8_t k[PKIX_KEYID_LEN];
	ca_gen_list gl;
	size_t i;

	PC_TRY(ca_rec_get(t, name, r, e));
	if (kid_len != PKIX_KEYID_LEN || (pkix_keyid(r->v.spki, r->v.spki_len, k) == PC_OK &&
	    memcmp(k, kid, PKIX_KEYID_LEN) == 0))
		return PC_OK;
	if (ca_gens_load(t, name, &gl, e) != PC_OK) {
		ca_rec_free(r);
		return e->rc;
	}
	for (i = 0; i < gl.n; i++)
		if (pkix_keyid(gl.v[i].v.spki, gl.v[i].v.spki_len, k) == PC_OK &&
		    memcmp(k, kid, PKIX_KEYID_LEN) == 0) {
			ca_rec_free(r);
			*r = gl.v[i];
			/* the list no longer owns it */
			memmove(&gl.v[i], &gl.v[i + 1], (gl.n - i - 1) * sizeof gl.v[0]);
			gl.n--;
			break;
		}
	ca_gen_list_free(&gl);
	return PC_OK;
}

struct crlmax {
	uint64_t max;
};

PC_CHECK static pc_rc crlmax_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct crlmax *x = ctx;
	ca_crl_rec r;

	(void)key;
	(void)stop;
	PC_TRY(ca_crl_rec_decode(val, &r, e));
	if (r.number > x->max)
		x->max = r.number;
	return PC_OK;
}

pc_rc ca_gen_crl_max(store_txn *t, const char *name, uint64_t *max, pc_err *e)
{
	struct crlmax x = { 0 };
	pc_buf k = PC_BUF_INIT;
	pc_reader v;
	pc_rc rc;

	rc = store_get(t, STORE_CRLS, name, strlen(name), &v, e);
	if (rc == PC_OK)
		rc = crlmax_visit(&x, v, v, NULL, e);
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	pc_buf_str(&k, META_CAGEN_CRL);
	pc_buf_str(&k, name);
	pc_buf_byte(&k, 0);
	if (rc == PC_OK)
		rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, crlmax_visit, &x, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	*max = x.max;
	return rc;
}

/* The notAfter of the last certificate the generation with key id `kid`
 * issued: the expiry index from the end, the first certificate of this CA
 * name whose authorityKeyIdentifier is kid. */
struct last_ctx {
	store_txn *t;
	const char *name;
	const uint8_t *kid;
	uint64_t na;
};

PC_CHECK static pc_rc last_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct last_ctx *x = ctx;
	ca_cert_rec r;
	pkix_cert pc;
	pc_reader v;
	pc_err ign;

	(void)val;
	if (pc_reader_left(&key) != 8 + PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "expiry index: key of %zu bytes",
		    pc_reader_left(&key));
	PC_TRY(store_get(x->t, STORE_CERTS, key.p + key.off + 8, PKIX_SERIAL_LEN, &v, e));
	PC_TRY(ca_cert_rec_decode(v, &r, e));
	if (strcmp(r.ca, x->name) == 0 &&
	    pkix_cert_parse(r.der, r.der_len, "certificate", &pc, &ign) == PC_OK &&
	    pc.aki_len == PKIX_KEYID_LEN && memcmp(pc.aki, x->kid, PKIX_KEYID_LEN) == 0) {
		x->na = r.na;
		*stop = true;
	}
	ca_cert_rec_free(&r);
	return PC_OK;
}

pc_rc ca_gen_last_na(store_txn *t, const char *name, const uint8_t *kid, uint64_t *na,
    pc_err *e)
{
	struct last_ctx x;

	memset(&x, 0, sizeof x);
	x.t = t;
	x.name = name;
	x.kid = kid;
	PC_TRY(store_scan(t, STORE_BY_EXPIRY, NULL, 0, true, last_visit, &x, e));
	*na = x.na;
	return PC_OK;
}

/* The current CRL of `name` moves with its generation: the record to META,
 * its DER to the generation's file name (the old file stays until the next
 * CRL of the name would have removed it; it is never read again). */
PC_CHECK static pc_rc move_crl(ca_ctx *c, store_txn *t, const char *name, uint64_t gen, pc_err *e)
{
	char from[PATH_MAX], to[PATH_MAX], stem[CA_NAME_MAX + 24];
	pc_buf k = PC_BUF_INIT;
	uint8_t *der = NULL;
	size_t len = 0;
	ca_crl_rec r;
	pc_reader v;
	pc_rc rc;

	rc = store_get(t, STORE_CRLS, name, strlen(name), &v, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	PC_TRY(ca_crl_rec_decode(v, &r, e));
	if (r.der == NULL) {
		ca_gen_stem(name, gen, stem, sizeof stem);
		PC_TRY(ca_crl_file_path(c->home, name, r.number, from, sizeof from, e));
		PC_TRY(ca_crl_file_path(c->home, stem, r.number, to, sizeof to, e));
		PC_TRY(pc_file_read(from, (size_t)r.size, &der, &len, e));
		rc = pc_file_write_atomic(to, der, len, 0644, false, e);
		free(der);
		PC_TRY(rc);
	}
	ca_gen_key(&k, META_CAGEN_CRL, name, gen);
	rc = pc_buf_ok(&k) ? store_put(t, STORE_META, k.p, k.len, v.p + v.off, pc_reader_left(&v),
	    true, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	PC_TRY(rc);
	return store_del(t, STORE_CRLS, name, strlen(name), e);
}

pc_rc ca_gen_roll(ca_ctx *c, store_txn *t, const ca_job *j, time_t now, pc_err *e)
{
	ca_rec cur, nw;
	pkix_cert nc;
	pc_buf b = PC_BUF_INIT;
	uint8_t kid[PKIX_KEYID_LEN];
	char detail[600], na[PC_TIME_TEXT_MAX], fp_old[PC_FINGERPRINT_MAX], fp_new[PC_FINGERPRINT_MAX];
	struct last_ctx x;
	uint64_t gen;
	pc_rc rc;

	memset(&cur, 0, sizeof cur);
	PC_TRY_OUT(ca_rec_get(t, j->newca, &cur, e));
	gen = ca_gen_no(&cur);
	if ((rc = pkix_cert_parse(j->cert.p, j->cert.len, "new CA certificate", &nc, e)) != PC_OK)
		goto out;
	if (nc.subject_len != cur.v.subject_len ||
	    memcmp(nc.subject, cur.v.subject, nc.subject_len) != 0) {
		rc = pc_fail(e, PC_E_EXISTS, "CA '%s' already exists (with another subject: not a "
		    "roll)", j->newca);
		goto out;
	}
	if (pkix_keyid(cur.v.spki, cur.v.spki_len, kid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': certificate has a malformed key", j->newca);
		goto out;
	}
	if ((rc = ca_gen_last_na(t, j->newca, kid, &x.na, e)) != PC_OK)
		goto out;
	cur.gen = gen;
	cur.rolled = (uint64_t)now;
	cur.last_na = x.na;
	cur.retired = 0;
	if ((rc = ca_gen_put(t, &cur, e)) != PC_OK || (rc = move_crl(c, t, j->newca, gen, e)) != PC_OK)
		goto out;
	nw = (ca_rec){ .name = (char *)j->newca, .key_uri = (char *)j->newca_uri,
	    .parent = (char *)j->issuer, .alg = j->newca_alg, .created = (uint64_t)now,
	    .cert = j->cert.p, .cert_len = j->cert.len, .gen = gen + 1 };
	if ((rc = ca_rec_encode_rec(&b, &nw, e)) != PC_OK ||
	    (rc = store_put(t, STORE_CAS, j->newca, strlen(j->newca), b.p, b.len, false, e)) != PC_OK)
		goto out;
	pc_fingerprint(cur.cert, cur.cert_len, fp_old);
	pc_fingerprint(j->cert.p, j->cert.len, fp_new);
	if (x.na)
		pc_time_text(x.na, na);
	snprintf(detail, sizeof detail, "generation %" PRIu64 " (SHA-256 %s) now signs certificates; "
	    "generation %" PRIu64 " (SHA-256 %s) signs only CRLs, %s%s", gen + 1, fp_new, gen, fp_old,
	    x.na ? "until its last certificate expires at " : "and retires at its next CRL: it "
	    "issued no certificate", x.na ? na : "");
	rc = audit_append(t, now, "ca.roll", j->newca, "ok", detail, e);
out:
	ca_rec_free(&cur);
	pc_buf_free(&b);
	return rc;
}
