/*
 * rootroll.c - `plantca root roll`: a new root key generation (RFC 4210
 * §4.4).  In order, each step committed before the next:
 *
 *   1. a new root key in the token and its self-signed certificate (the
 *      same subject, byte for byte: relying parties tell the two roots
 *      apart by key identifier);
 *   2. NewWithOld: the new key, signed by the old root (the pipeline);
 *   3. one transaction: the old root becomes a replaced generation
 *      (cagen.h: it signs only its CRL from now on), the new one the
 *      current "root", NewWithOld kept beside it (rootgen.h), audited;
 *   4. OldWithNew: the old key, signed by the new root (the pipeline);
 *   5. every issuing CA that is current and valid, and every key
 *      generation a ca roll replaced that still has valid certificates
 *      out: a certificate for its key from the new root, the old one kept
 *      as the record's xcert.
 *
 * Interrupted after step 3, the next `root roll` completes steps 4 and 5
 * instead of rolling again (what is missing is seen in the store);
 * interrupted before it, the new key and NewWithOld stay unused (both are
 * in the token and the store, recorded) and the next run starts afresh.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "cagen.h"
#include "file.h"
#include "format.h"
#include "home.h"
#include "json.h"
#include "leaf.h"
#include "lint.h"
#include "pem.h"
#include "pipeline.h"
#include "records.h"
#include "rootgen.h"
#include "text.h"

/* The CA certificate in TBS form that step 2, 4 and 5 sign: subject and
 * key `spki` under issuer `iss` (key kid ikid, signature alg sa). */
static void cross_params(pkix_tbs_params *p, const ca_rec *iss, const uint8_t *sa, size_t sal,
    const uint8_t *ikid, const pkix_cert *subj, const uint8_t *spki, size_t spki_len,
    time_t not_after, time_t now)
{
	memset(p, 0, sizeof *p);
	ca_tbs_issued_by(p, iss, sa, sal, ikid, 1, now);
	p->not_after = not_after < iss->v.not_after ? not_after : iss->v.not_after;
	p->subject = subj->subject;
	p->subject_len = subj->subject_len;
	p->spki = spki;
	p->spki_len = spki_len;
	p->is_ca = true;
	p->path_len = subj->path_len;
	p->key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
}

/* Fill job j for TBS p issued by "root"; newca NULL for a cross-certificate. */
PC_CHECK static pc_rc job_for(ca_job *j, const pkix_tbs_params *p, const char *profile,
    const char *keytype, pc_err *e)
{
	memset(j, 0, sizeof *j);
	memcpy(j->serial, p->serial, PKIX_SERIAL_LEN);
	j->issuer = "root";
	j->kind = "ca";
	j->profile = profile;
	j->source = "plantca root roll";
	j->segment = "";
	j->nb = p->not_before;
	j->na = p->not_after;
	snprintf(j->keytype, sizeof j->keytype, "%s", keytype);
	PC_TRY(ca_name_text(p->subject, p->subject_len, &j->subject_text, e));
	if ((j->san_text = strdup("")) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	return pkix_tbs_build(p, &j->tbs, e);
}

PC_CHECK static pc_rc lint_ca(const ca_job *j, const ca_rec *iss, const char *what, pc_err *e)
{
	ca_lint_expect lx = { true, PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN, NULL, 0, NULL };

	return ca_lint_tbs(j->tbs.p, j->tbs.len, iss->cert, iss->cert_len, &lx, what, e);
}

/* Steps 1 to 3. */
PC_CHECK static pc_rc roll_key(ca_ctx *c, const ca_new_opts *o, const ca_rec *old,
    const char *idhex, time_t now, pc_err *e)
{
	hsm_key *key = NULL, *ok;
	hsm_alg alg = (hsm_alg)old->alg;
	pkix_tbs_params p;
	ca_job self, nwo, sw;
	store_txn *t = NULL;
	uint8_t oldkid[PKIX_KEYID_LEN];
	const uint8_t *sa, *spki;
	size_t sal, spki_len;
	unsigned days = o->days ? o->days : CA_ROOT_DAYS_DEFAULT;
	uint64_t gen = ca_gen_no(old);
	char label[160], detail[900], hex[2 * PKIX_SERIAL_LEN + 1], fo[PC_FINGERPRINT_MAX],
	    fn[PC_FINGERPRINT_MAX], na[PC_TIME_TEXT_MAX];
	pc_buf sig = PC_BUF_INIT;
	pc_rc rc = PC_OK;

	memset(&self, 0, sizeof self);
	memset(&nwo, 0, sizeof nwo);
	memset(&sw, 0, sizeof sw);
	if (o->key && (rc = hsm_alg_parse(o->key, &alg, e)) != PC_OK)
		return rc;
	if (alg == HSM_ED25519)
		return pc_fail(e, PC_E_USAGE, "--key ed25519: a root for OPC UA and TLS devices must be "
		    "EC or RSA");
	if (old->v.not_after <= now + PC_DAY)
		return pc_fail(e, PC_E_STATE, "the root certificate expires within a day: too late for "
		    "a roll with key continuity (docs/lifecycle.md)");
	PC_TRY_OUT(pkix_keyid(old->v.spki, old->v.spki_len, oldkid));
	PC_TRY_OUT(ca_hsm_ready(c, e));
	PC_TRY_OUT(ca_key_for(c, "root", old->key_uri, &ok, e));
	/* a random tail: a roll interrupted before its switch leaves its key
	 * in the token, and the next run must not trip over that label */
	snprintf(label, sizeof label, "plantca-%s-root-g%" PRIu64 "-%08" PRIx32, idhex, gen + 1,
	    randombytes_random());
	PC_TRY_OUT(hsm_key_generate(c->h, alg, label, &key, e));
	spki = hsm_key_spki(key, &spki_len);

	/* 1: the new self-signed root, the same subject */
	memset(&p, 0, sizeof p);
	pkix_serial_new(p.serial);
	p.sigalg = hsm_key_sigalg(key, &p.sigalg_len);
	p.issuer = old->v.subject;
	p.issuer_len = old->v.subject_len;
	p.not_before = now - CA_SKEW_SECONDS;
	p.not_after = now + (time_t)days * PC_DAY;
	p.subject = old->v.subject;
	p.subject_len = old->v.subject_len;
	p.spki = spki;
	p.spki_len = spki_len;
	p.is_ca = true;
	p.path_len = -1;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	PC_TRY_OUT(pkix_tbs_build(&p, &self.tbs, e));
	PC_TRY_OUT(hsm_sign(key, self.tbs.p, self.tbs.len, &sig, e));
	sa = hsm_key_sigalg(key, &sal);
	if ((rc = pkix_cert_assemble(self.tbs.p, self.tbs.len, sa, sal, sig.p, sig.len,
	    &self.cert)) != PC_OK) {
		rc = pc_fail(e, rc, "cannot assemble the new root certificate");
		goto out;
	}

	/* 2: NewWithOld, signed by the old root, until the old root expires */
	sa = hsm_key_sigalg(ok, &sal);
	{
		pkix_cert sv = old->v;
		sv.path_len = -1;
		cross_params(&p, old, sa, sal, oldkid, &sv, spki, spki_len, old->v.not_after, now);
	}
	PC_TRY_OUT(job_for(&nwo, &p, "root-cross-new-with-old", hsm_alg_name(alg), e));
	PC_TRY_OUT(lint_ca(&nwo, old, "NewWithOld", e));
	PC_TRY_OUT(ca_run_jobs(c, &nwo, 1, false, NULL, e));

	/* 3: the switch */
	sw.newca = "root";
	sw.newca_uri = hsm_key_uri(key);
	sw.newca_alg = alg;
	sw.issuer = "";
	sw.cert = self.cert;
	PC_TRY_OUT(store_begin(c->st, true, &t, e));
	PC_TRY_OUT(ca_gen_roll(c, t, &sw, now, e));
	PC_TRY_OUT(ca_rootx_put(t, META_ROOTX_NWO, gen + 1, nwo.cert.p, nwo.cert.len, e));
	pc_fingerprint(old->cert, old->cert_len, fo);
	pc_fingerprint(self.cert.p, self.cert.len, fn);
	pc_time_text(old->v.not_after, na);
	ca_serial_hex(nwo.serial, PKIX_SERIAL_LEN, hex);
	snprintf(detail, sizeof detail, "root generation %" PRIu64 " (SHA-256 %s, key %s) replaces "
	    "generation %" PRIu64 " (SHA-256 %s); NewWithOld %s; the old root signs only its CRL "
	    "until %s", gen + 1, fn, label, gen, fo, hex, na);
	PC_TRY_OUT(audit_append(t, now, "root.roll", "root", "ok", detail, e));
	rc = store_commit(t, e);
	t = NULL;
	if (rc != PC_OK)
		goto out;

	if (!c->json)
		printf("root generation %" PRIu64 " (%s), SHA-256 %s, replaces generation %" PRIu64
		    "\nNewWithOld %s (the new key under the old root, until %.10s)\n", gen + 1,
		    hsm_alg_name(alg), fn, gen, hex, na);
out:
	if (t)
		store_abort(t);
	hsm_key_free(key);
	pc_buf_free(&sig);
	ca_job_free(&self);
	ca_job_free(&nwo);
	return rc;
}

struct recert_ctx {
	char **names;
	size_t n, cap;
};

PC_CHECK static pc_rc name_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct recert_ctx *x = ctx;
	char *s;

	(void)val;
	(void)stop;
	if (!pc_grow(&x->names, &x->cap, x->n, sizeof *x->names, 8) ||
	    (s = strndup((const char *)key.p + key.off, pc_reader_left(&key))) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	x->names[x->n++] = s;
	return PC_OK;
}

/* Steps 4 and 5, each only if it is missing: OldWithNew into root
 * generation rootgen, and every current, valid issuing CA under the
 * root, and every replaced generation of one still signing CRLs, whose
 * certificate is not from the current root yet. */
PC_CHECK static pc_rc complete(ca_ctx *c, const ca_rec *root, time_t now, size_t *done,
    pc_err *e)
{
	struct recert_ctx x = { NULL, 0, 0 };
	uint64_t gen = ca_gen_no(root);
	enum { CAS_MAX = 256 };
	ca_rec old, *cas = calloc(CAS_MAX, sizeof *cas);
	ca_job *jobs = calloc(CAS_MAX, sizeof *jobs), own;
	pkix_gn permit[PKIX_PERMIT_MAX];
	pkix_tbs_params p;
	store_txn *t = NULL;
	pc_buf d = PC_BUF_INIT;
	hsm_key *rk;
	uint8_t kid[PKIX_KEYID_LEN];
	const uint8_t *sa;
	size_t sal, npermit, i, nj = 0, ncas = 0;
	bool have_own = false;
	pc_rc rc;

	*done = 0;
	memset(&old, 0, sizeof old);
	memset(&own, 0, sizeof own);
	if (cas == NULL || jobs == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	PC_TRY_OUT(pkix_keyid(root->v.spki, root->v.spki_len, kid));
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	PC_TRY_OUT(ca_gen_get(t, "root", gen - 1, &old, e));
	rc = ca_rootx_get(t, META_ROOTX_OWN, gen, &d, e);
	if (rc == PC_OK)
		have_own = true;
	else if (rc != PC_E_NOTFOUND)
		goto out;
	PC_TRY_OUT(store_scan(t, STORE_CAS, NULL, 0, false, name_visit, &x, e));
	for (i = 0; i < x.n; i++) {
		ca_gen_list gl;
		ca_rec r;
		size_t k;
		if (strcmp(x.names[i], "root") == 0)
			continue;
		PC_TRY_OUT(ca_rec_get(t, x.names[i], &r, e));
		if ((rc = ca_gens_load(t, x.names[i], &gl, e)) != PC_OK) {
			ca_rec_free(&r);
			goto out;
		}
		/* the current generation, then each one a ca roll replaced that
		 * still has valid certificates out (it signs their CRL): a device
		 * it issued keeps a chain to the new root without OldWithNew */
		for (k = 0; k <= gl.n && rc == PC_OK; k++) {
			ca_rec *g = k == 0 ? &r : &gl.v[k - 1];
			if (strcmp(g->parent, "root") != 0 || g->v.not_after <= now ||
			    (k > 0 && (g->retired || g->last_na <= (uint64_t)now)) ||
			    (g->v.aki_len == PKIX_KEYID_LEN && memcmp(g->v.aki, kid, PKIX_KEYID_LEN) == 0))
				continue;
			if (ncas == CAS_MAX) {
				rc = pc_fail(e, PC_E_LIMIT, "more than %d issuing CA generations to re-certify",
				    CAS_MAX);
				break;
			}
			cas[ncas++] = *g;
			memset(g, 0, sizeof *g);   /* cas owns it now */
		}
		ca_rec_free(&r);
		ca_gen_list_free(&gl);
		if (rc != PC_OK)
			goto out;
	}
	store_abort(t);
	t = NULL;
	if (have_own && ncas == 0)
		goto out;
	PC_TRY_OUT(ca_hsm_ready(c, e));
	PC_TRY_OUT(ca_key_for(c, "root", root->key_uri, &rk, e));
	sa = hsm_key_sigalg(rk, &sal);

	/* 4: OldWithNew, the old key under the new root, until the old expires */
	if (!have_own) {
		pkix_cert sv = old.v;
		sv.path_len = -1;
		cross_params(&p, root, sa, sal, kid, &sv, old.v.spki, old.v.spki_len,
		    old.v.not_after, now);
		PC_TRY_OUT(job_for(&own, &p, "root-cross-old-with-new", "root", e));
		PC_TRY_OUT(lint_ca(&own, root, "OldWithNew", e));
		PC_TRY_OUT(ca_run_jobs(c, &own, 1, false, NULL, e));
		PC_TRY_OUT(store_begin(c->st, true, &t, e));
		PC_TRY_OUT(ca_rootx_put(t, META_ROOTX_OWN, gen, own.cert.p, own.cert.len, e));
		rc = store_commit(t, e);
		t = NULL;
		PC_TRY_OUT(rc);
		if (!c->json) {
			char hex[2 * PKIX_SERIAL_LEN + 1];
			ca_serial_hex(own.serial, PKIX_SERIAL_LEN, hex);
			printf("OldWithNew %s (the old key under the new root)\n", hex);
		}
	}

	/* 5: each issuing CA's key under the new root, its notAfter kept */
	for (i = 0; i < ncas; i++) {
		const ca_rec *r = &cas[i];
		PC_TRY_OUT(ca_permits_of(&r->v, permit, &npermit, e));
		cross_params(&p, root, sa, sal, kid, &r->v, r->v.spki, r->v.spki_len, r->v.not_after,
		    now);
		if (p.path_len < 0)
			p.path_len = 0;
		p.permit = permit;
		p.npermit = npermit;
		PC_TRY_OUT(job_for(&jobs[nj], &p, "issuing-ca", hsm_alg_name((hsm_alg)r->alg), e));
		jobs[nj].newca = r->name;
		jobs[nj].newca_uri = r->key_uri;
		jobs[nj].newca_alg = r->alg;
		jobs[nj].recert = true;
		PC_TRY_OUT(lint_ca(&jobs[nj], root, r->name, e));
		nj++;
	}
	if (nj > 0)
		PC_TRY_OUT(ca_run_jobs(c, jobs, nj, false, NULL, e));
	for (i = 0; i < nj && !c->json; i++) {
		char fp[PC_FINGERPRINT_MAX], until[PC_TIME_TEXT_MAX];
		pc_fingerprint(jobs[i].cert.p, jobs[i].cert.len, fp);
		if (cas[i].rolled) {
			pc_time_text(cas[i].last_na, until);
			printf("issuing CA '%s' generation %" PRIu64 " re-certified under the new root (same "
			    "key; it signs only its CRL, until %.10s), SHA-256 %s\n", jobs[i].newca,
			    ca_gen_no(&cas[i]), until, fp);
		} else {
			printf("issuing CA '%s' re-certified under the new root (same key), SHA-256 %s\n",
			    jobs[i].newca, fp);
		}
	}
	*done = nj + (have_own ? 0 : 1);
out:
	if (t)
		store_abort(t);
	for (i = 0; i < nj; i++)
		ca_job_free(&jobs[i]);
	for (i = 0; i < ncas; i++)
		ca_rec_free(&cas[i]);
	free(jobs);
	free(cas);
	for (i = 0; i < x.n; i++)
		free(x.names[i]);
	free(x.names);
	ca_job_free(&own);
	ca_rec_free(&old);
	pc_buf_free(&d);
	return rc;
}

PC_CHECK static pc_rc put_pem(const char *home, const char *name, uint64_t gen,
    const uint8_t *der, size_t len, pc_err *e)
{
	char path[PATH_MAX + 64];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	if (gen)
		snprintf(path, sizeof path, "%s/public/%s.gen%" PRIu64 ".pem", home, name, gen);
	else
		snprintf(path, sizeof path, "%s/public/%s.pem", home, name);
	pc_pem_encode(&b, "CERTIFICATE", der, len);
	rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

/* HOME/public from the store, after every step (so that a roll completed
 * after an interruption writes them too): root.pem the current root,
 * root.genN.pem the one it replaced, root-newwithold.genN+1.pem and
 * root-oldwithnew.genN+1.pem the cross-certificates. */
PC_CHECK static pc_rc write_public(ca_ctx *c, pc_err *e)
{
	ca_rec root, old;
	pc_buf nwo = PC_BUF_INIT, own = PC_BUF_INIT;
	store_txn *t;
	uint64_t gen;
	pc_rc rc;

	memset(&root, 0, sizeof root);
	memset(&old, 0, sizeof old);
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_rec_get(t, "root", &root, e);
	gen = rc == PC_OK ? ca_gen_no(&root) : 0;
	if (rc == PC_OK)
		rc = ca_gen_get(t, "root", gen - 1, &old, e);
	if (rc == PC_OK)
		rc = ca_rootx_get(t, META_ROOTX_NWO, gen, &nwo, e);
	if (rc == PC_OK)
		rc = ca_rootx_get(t, META_ROOTX_OWN, gen, &own, e);
	store_abort(t);
	if (rc == PC_OK)
		rc = put_pem(c->home, "root", gen - 1, old.cert, old.cert_len, e);
	if (rc == PC_OK)
		rc = put_pem(c->home, "root-newwithold", gen, nwo.p, nwo.len, e);
	if (rc == PC_OK)
		rc = put_pem(c->home, "root-oldwithnew", gen, own.p, own.len, e);
	if (rc == PC_OK)
		rc = put_pem(c->home, "root", 0, root.cert, root.cert_len, e);
out:
	ca_rec_free(&root);
	ca_rec_free(&old);
	pc_buf_free(&nwo);
	pc_buf_free(&own);
	return rc;
}

/* Does HOME/public/root.pem hold root r?  (No: a roll was interrupted
 * after its last step, before the public files were written.) */
static bool public_current(ca_ctx *c, const ca_rec *r)
{
	char path[PATH_MAX + 64];
	pc_buf b = PC_BUF_INIT;
	uint8_t *text = NULL;
	size_t len = 0;
	pc_err ign;
	bool same;

	snprintf(path, sizeof path, "%s/public/root.pem", c->home);
	pc_pem_encode(&b, "CERTIFICATE", r->cert, r->cert_len);
	same = pc_buf_ok(&b) && pc_file_read(path, 64 * 1024, &text, &len, &ign) == PC_OK &&
	    len == b.len && memcmp(text, b.p, len) == 0;
	free(text);
	pc_buf_free(&b);
	return same;
}

pc_rc ca_root_roll(ca_ctx *c, const ca_new_opts *o, pc_err *e)
{
	ca_rec root, again;
	store_txn *t;
	char *idhex = NULL, fp[PC_FINGERPRINT_MAX];
	time_t now = time(NULL);
	size_t done = 0;
	bool resumed = false;
	pc_rc rc;

	memset(&root, 0, sizeof root);
	memset(&again, 0, sizeof again);
	/* the token first: interrupted issuances (a cross-certificate, a
	 * re-certification) are completed before anything is read */
	PC_TRY_OUT(ca_hsm_ready(c, e));
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_ID, &idhex, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	/* a roll whose steps 4 or 5 did not happen is completed, not repeated */
	if (ca_gen_no(&root) > 1) {
		rc = complete(c, &root, now, &done, e);
		if (rc != PC_OK)
			goto out;
		resumed = done > 0 || !public_current(c, &root);
	}
	/* the previous root still valid: this roll is done (run again after
	 * it was interrupted at its very end, or by mistake); a second roll
	 * inside the overlap is refused below */
	if (!resumed && ca_gen_no(&root) > 1) {
		ca_rec prev;
		bool overlap;
		memset(&prev, 0, sizeof prev);
		PC_TRY_OUT(store_begin(c->st, false, &t, e));
		rc = ca_gen_get(t, "root", ca_gen_no(&root) - 1, &prev, e);
		store_abort(t);
		PC_TRY_OUT(rc);
		overlap = !prev.retired && prev.v.not_after > now;
		if (overlap) {
			char na[PC_TIME_TEXT_MAX];
			pc_time_text(prev.v.not_after, na);
			if (c->json)
				printf("{\"generation\":%" PRIu64 ",\"complete\":true,\"next_roll_after\":"
				    "\"%s\"}\n", ca_gen_no(&root), na);
			else
				printf("the root roll to generation %" PRIu64 " is complete: nothing to do.  "
				    "The next one is possible once generation %" PRIu64 " has expired (%s): "
				    "stations keep one previous root\n", ca_gen_no(&root),
				    ca_gen_no(&root) - 1, na);
		}
		ca_rec_free(&prev);
		if (overlap)
			goto out;
	}
	if (!resumed) {
		PC_TRY_OUT(roll_key(c, o, &root, idhex, now, e));
		PC_TRY_OUT(store_begin(c->st, false, &t, e));
		rc = ca_rec_get(t, "root", &again, e);
		store_abort(t);
		PC_TRY_OUT(rc);
		PC_TRY_OUT(complete(c, &again, now, &done, e));
	} else if (!c->json) {
		printf("completed the interrupted root roll to generation %" PRIu64 "\n",
		    ca_gen_no(&root));
	}
	PC_TRY_OUT(write_public(c, e));
	{
		const ca_rec *r = resumed ? &root : &again;
		pc_fingerprint(r->cert, r->cert_len, fp);
		if (c->json)
			printf("{\"generation\":%" PRIu64 ",\"sha256\":\"%s\",\"completed\":%s}\n",
			    ca_gen_no(r), fp, resumed ? "true" : "false");
		else
			printf("give %s/public/root.pem and the next response bundles to every plant: "
			    "stations accept the new root through NewWithOld (docs/lifecycle.md)\n",
			    c->home);
	}
out:
	ca_rec_free(&root);
	ca_rec_free(&again);
	free(idhex);
	return rc;
}
