/*
 * cas.c - `plantca ca new`, `ca list`, `ca cert`: the issuing CAs under
 * the root.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cagen.h"
#include "capolicy.h"
#include "format.h"
#include "text.h"
#include "home.h"
#include "json.h"
#include "leaf.h"
#include "lint.h"
#include "pem.h"
#include "pipeline.h"
#include "records.h"

/* ca new and ca roll: a CA that would expire before the certificates it
 * is meant to issue is made (the officer may want exactly that), but said
 * so on stderr: cut short by the root, or outlived by a profile. */
static void lifetime_warn(ca_ctx *c, const char *name, unsigned days, const pkix_tbs_params *p,
    time_t now)
{
	policy *pol = NULL;
	const char *prof;
	unsigned life = (unsigned)((p->not_after - now) / PC_DAY), longest;
	char na[32];
	pc_err pe;

	pc_time_text(p->not_after, na);
	if (p->not_after < now + (time_t)days * PC_DAY)
		fprintf(stderr, "plantca: warning: CA %s expires %.10s with the root, %u days from "
		    "now, not the %u asked for: roll the root first (docs/lifecycle.md)\n", name, na,
		    life, days);
	if (ca_policy_active(c->home, &pol, &pe) != PC_OK)
		return;
	longest = policy_max_days(pol, UINT32_MAX, &prof);
	if (prof && longest > life)
		fprintf(stderr, "plantca: warning: CA %s expires %.10s, before the certificates it is "
		    "meant to issue: profile %s gives %u days, so its certificates end with the CA "
		    "(plantca status lists when to renew or roll)\n", name, na, prof, longest);
	policy_free(pol);
}

/* ca new and ca roll: the key and certificate of an issuing CA under the
 * root.  A key made on the token under label, a certificate for it signed
 * by the root (subject, pathLen, the permitted names; for days, cut short
 * by the root), linted against the root and issued through the pipeline's
 * intents as job j (the caller has set its source and roll; on return it
 * holds the certificate).  *key is the caller's to free, also on failure. */
PC_CHECK static pc_rc issue_under_root(ca_ctx *c, const ca_rec *root, const char *name,
    const char *label, hsm_alg alg, const uint8_t *subject, size_t subject_len, int path_len,
    const pkix_gn *permit, size_t npermit, unsigned days, time_t now, hsm_key **key, ca_job *j,
    pc_err *e)
{
	pkix_tbs_params p;
	uint8_t rootkid[PKIX_KEYID_LEN];
	hsm_key *rk;
	const uint8_t *sa;
	size_t sal;

	if (root->v.not_after <= now + PC_DAY)
		return pc_fail(e, PC_E_STATE, "the root certificate expires within a day");
	PC_TRY(ca_hsm_ready(c, e));
	PC_TRY(hsm_key_generate(c->h, alg, label, key, e));
	if (pkix_keyid(root->v.spki, root->v.spki_len, rootkid) != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "root certificate has a malformed key");
	PC_TRY(ca_key_for(c, "root", root->key_uri, &rk, e));
	sa = hsm_key_sigalg(rk, &sal);
	memset(&p, 0, sizeof p);
	ca_tbs_issued_by(&p, root, sa, sal, rootkid, days, now);
	p.subject = subject;
	p.subject_len = subject_len;
	p.spki = hsm_key_spki(*key, &p.spki_len);
	p.is_ca = true;
	p.path_len = path_len < 0 ? 0 : path_len;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	p.permit = permit;
	p.npermit = npermit;

	memcpy(j->serial, p.serial, PKIX_SERIAL_LEN);
	j->issuer = "root";
	j->kind = "ca";
	j->profile = "issuing-ca";
	j->segment = "";
	j->newca = name;
	j->newca_uri = hsm_key_uri(*key);
	j->newca_alg = alg;
	snprintf(j->keytype, sizeof j->keytype, "%s", hsm_alg_name(alg));
	j->nb = p.not_before;
	j->na = p.not_after;
	PC_TRY(ca_name_text(subject, subject_len, &j->subject_text, e));
	if ((j->san_text = strdup("")) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	PC_TRY(pkix_tbs_build(&p, &j->tbs, e));
	{
		ca_lint_expect lx = { true, p.key_usage, NULL, 0, NULL };
		PC_TRY(ca_lint_tbs(j->tbs.p, j->tbs.len, root->cert, root->cert_len, &lx, name, e));
	}
	PC_TRY(ca_run_jobs(c, j, 1, false, NULL, e));
	lifetime_warn(c, name, days, &p, now);
	return PC_OK;
}

pc_rc ca_new(ca_ctx *c, const ca_new_opts *o, pc_err *e)
{
	pkix_gn permit[PKIX_PERMIT_MAX];
	size_t npermit = 0;
	hsm_alg alg;
	hsm_key *key = NULL;
	ca_rec root;
	store_txn *t;
	pc_buf subject = PC_BUF_INIT;
	ca_job j;
	char *idhex = NULL, label[160];
	time_t now = time(NULL);
	unsigned days = o->days ? o->days : CA_ISSUING_DAYS_DEFAULT;
	pc_rc rc;
	pc_reader dummy;

	memset(&j, 0, sizeof j);
	memset(&root, 0, sizeof root);
	if (!valid_ca_name(o->name) || strcmp(o->name, "root") == 0)
		return pc_fail(e, PC_E_USAGE, "CA name '%s': use 1-%d letters, digits, '-', '_', '.' "
		    "(and not 'root')", o->name, CA_NAME_MAX);
	if (!o->subject)
		return pc_fail(e, PC_E_USAGE, "ca new needs --subject");
	PC_TRY_OUT(hsm_alg_parse(o->key ? o->key : "ec-p256", &alg, e));
	if (alg == HSM_ED25519)
		return pc_fail(e, PC_E_USAGE, "--key ed25519: issuing CAs must be EC or RSA "
		    "(device TLS and OPC UA stacks verify ECDSA/RSA chains)");
	for (; o->permit && o->permit[npermit]; npermit++) {
		if (npermit >= PKIX_PERMIT_MAX)
			return pc_fail(e, PC_E_USAGE, "more than %d --permit", PKIX_PERMIT_MAX);
		PC_TRY_OUT(pkix_gn_from_text(o->permit[npermit], true, &permit[npermit], e));
		/* RFC 5280 §4.2.1.10: a URI constraint is a host or domain, matched
		 * against the host part of URI SANs; a URN has no host, so such a
		 * constraint would refuse every URN ApplicationUri */
		if (permit[npermit].type == PKIX_GN_URI &&
		    memchr(permit[npermit].val, ':', permit[npermit].len) != NULL)
			return pc_fail(e, PC_E_USAGE, "--permit %s: a URI name constraint names a host or "
			    "domain (e.g. uri:.line3.plant.local), not a URI prefix; limit URNs such as "
			    "ApplicationUris with the policy's segment URI prefixes", o->permit[npermit]);
	}
	PC_TRY_OUT(pkix_name_from_text(&subject, o->subject, e));

	/* refuse early, before a key is made, if the name is taken */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = store_get(t, STORE_CAS, o->name, strlen(o->name), &dummy, e);
	if (rc == PC_OK)
		rc = pc_fail(e, PC_E_EXISTS, "CA '%s' already exists", o->name);
	else if (rc == PC_E_NOTFOUND)
		rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_ID, &idhex, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	ca_key_label(label, sizeof label, idhex, "ca", o->name);
	j.source = "plantca ca new";
	if ((rc = issue_under_root(c, &root, o->name, label, alg, subject.p, subject.len, o->path_len,
	    permit, npermit, days, now, &key, &j, e)) != PC_OK)
		goto out;
	if (c->json) {
		char fp[96];
		pc_fingerprint(j.cert.p, j.cert.len, fp);
		printf("{\"name\":");
		json_str(stdout, o->name);
		printf(",\"subject\":");
		json_str(stdout, o->subject);
		printf(",\"key\":\"%s\",\"sha256\":\"%s\"}\n", hsm_alg_name(alg), fp);
	} else {
		char fp[96];
		pc_fingerprint(j.cert.p, j.cert.len, fp);
		printf("issuing CA '%s': %s (%s), SHA-256 %s\n", o->name, o->subject,
		    hsm_alg_name(alg), fp);
	}
out:
	hsm_key_free(key);
	ca_rec_free(&root);
	free(idhex);
	pc_buf_free(&subject);
	ca_job_free(&j);
	return rc;
}

/* The permitted subtrees of a CA certificate (the only kind plantca
 * writes) as the builder's names: a roll keeps them (ca.h). */
pc_rc ca_permits_of(const pkix_cert *v, pkix_gn *permit, size_t *n, pc_err *e)
{
	pc_reader p = v->nc_permit, st;
	pkix_gn_view g;

	*n = 0;
	if (pc_reader_left(&v->nc_exclude) > 0)
		return pc_fail(e, PC_E_STATE, "the CA certificate has excluded name constraints, "
		    "which plantca does not write; it cannot be rolled");
	while (pc_reader_left(&p) > 0) {
		if (!pc_der_read(&p, DER_SEQUENCE, &st) || !pkix_gn_read(&st, true, &g) ||
		    g.len >= PKIX_GN_VALUE_MAX || *n >= PKIX_PERMIT_MAX)
			return pc_fail(e, PC_E_STORE_CORRUPT, "the CA certificate's name constraints "
			    "cannot be carried over");
		memset(&permit[*n], 0, sizeof permit[*n]);
		permit[*n].type = g.type;
		memcpy(permit[*n].val, g.val, g.len);
		permit[*n].len = g.len;
		(*n)++;
	}
	return PC_OK;
}

/* Is there an interrupted issuance of a new key of CA name (a roll)? */
PC_CHECK static pc_rc roll_pending(store_txn *t, const char *name, bool *pending, pc_err *e)
{
	ca_intent_list l;
	size_t i;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	*pending = false;
	rc = ca_intents_load(t, &l, e);
	for (i = 0; rc == PC_OK && i < l.n; i++)
		if (l.jobs[i].newca != NULL && strcmp(l.jobs[i].newca, name) == 0)
			*pending = true;
	ca_intent_list_free(&l);
	return rc;
}

pc_rc ca_roll(ca_ctx *c, const ca_new_opts *o, pc_err *e)
{
	pkix_gn permit[PKIX_PERMIT_MAX];
	size_t npermit = 0;
	hsm_alg alg;
	hsm_key *key = NULL;
	ca_rec root, cur;
	store_txn *t;
	ca_job j;
	char *idhex = NULL, label[200], na[PC_TIME_TEXT_MAX], fp[PC_FINGERPRINT_MAX];
	time_t now = time(NULL);
	unsigned days = o->days ? o->days : CA_ISSUING_DAYS_DEFAULT;
	uint64_t gen;
	bool pending;
	pc_rc rc;

	memset(&j, 0, sizeof j);
	memset(&root, 0, sizeof root);
	memset(&cur, 0, sizeof cur);
	if (strcmp(o->name, "root") == 0)
		return pc_fail(e, PC_E_USAGE, "ca roll root: the root is rolled with its "
		    "cross-certificates (docs/lifecycle.md), not as an issuing CA: plantca root roll");
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = roll_pending(t, o->name, &pending, e);
	if (rc == PC_OK)
		rc = ca_rec_get(t, o->name, &cur, e);
	if (rc == PC_OK)
		rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_ID, &idhex, e);
	/* a generation a roll made that has issued nothing yet: rolling it
	 * again is what a repeat after a crash would do */
	if (rc == PC_OK && !pending && !o->again && ca_gen_no(&cur) > 1) {
		uint8_t kid[PKIX_KEYID_LEN];
		uint64_t last = 0;
		if (pkix_keyid(cur.v.spki, cur.v.spki_len, kid) != PC_OK)
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': certificate has a malformed key",
			    o->name);
		else
			rc = ca_gen_last_na(t, o->name, kid, &last, e);
		if (rc == PC_OK && last == 0) {
			char when[PC_TIME_TEXT_MAX];
			pc_time_text((time_t)cur.created, when);
			rc = pc_fail(e, PC_E_STATE, "CA '%s' was already rolled to generation %" PRIu64
			    " (%s), which has not issued a certificate yet: not rolled again (a repeat "
			    "would leave a generation that never issues); plantca ca roll %s --again if "
			    "its key is lost or compromised", o->name, ca_gen_no(&cur), when, o->name);
		}
	}
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	/* a roll of this CA killed after its intent: the token's login
	 * completes it (recovery.c), and that is the roll asked for; rolling
	 * again would make a generation that never issues */
	if (pending) {
		if ((rc = ca_hsm_ready(c, e)) == PC_OK)
			printf("issuing CA '%s': the interrupted roll is complete (plantca ca list "
			    "shows the generations); not rolled again\n", o->name);
		goto out;
	}
	if (strcmp(cur.parent, "root") != 0) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s' is not issued by the root", o->name);
		goto out;
	}
	gen = ca_gen_no(&cur);
	if (o->key)
		rc = hsm_alg_parse(o->key, &alg, e);
	else
		alg = (hsm_alg)cur.alg;
	if (rc == PC_OK && alg == HSM_ED25519)
		rc = pc_fail(e, PC_E_USAGE, "--key ed25519: issuing CAs must be EC or RSA");
	if (rc == PC_OK)
		rc = ca_permits_of(&cur.v, permit, &npermit, e);
	if (rc != PC_OK)
		goto out;
	/* a random tail, as for ca new: a roll killed between the token's key
	 * and the store's record leaves that key, and the next run must not
	 * trip over its label */
	{
		char nm[CA_NAME_MAX + 24];
		snprintf(nm, sizeof nm, "%s-g%" PRIu64, o->name, gen + 1);
		ca_key_label(label, sizeof label, idhex, "ca", nm);
	}
	j.source = "plantca ca roll";
	j.roll = true;
	/* the same name, byte for byte */
	if ((rc = issue_under_root(c, &root, o->name, label, alg, cur.v.subject, cur.v.subject_len,
	    cur.v.path_len, permit, npermit, days, now, &key, &j, e)) != PC_OK)
		goto out;
	/* what the roll recorded about the generation it replaced */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	ca_rec_free(&cur);
	memset(&cur, 0, sizeof cur);
	rc = ca_gen_get(t, o->name, gen, &cur, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	pc_fingerprint(j.cert.p, j.cert.len, fp);
	if (cur.last_na)
		pc_time_text(cur.last_na, na);
	if (c->json) {
		printf("{\"name\":");
		json_str(stdout, o->name);
		printf(",\"generation\":%" PRIu64 ",\"key\":\"%s\",\"sha256\":\"%s\","
		    "\"previous\":{\"generation\":%" PRIu64 ",\"signs_crls_until\":\"%s\"}}\n", gen + 1,
		    hsm_alg_name(alg), fp, gen, cur.last_na ? na : "");
	} else {
		printf("issuing CA '%s' generation %" PRIu64 " (%s), SHA-256 %s, signs new "
		    "certificates from now on\n", o->name, gen + 1, hsm_alg_name(alg), fp);
		if (cur.last_na)
			printf("generation %" PRIu64 " signs only CRLs now, until its last certificate "
			    "expires (%s); then plantca crl signs its final CRL and retires it\n", gen, na);
		else
			printf("generation %" PRIu64 " issued no certificate: the next plantca crl signs "
			    "its final CRL and retires it\n", gen);
	}
out:
	hsm_key_free(key);
	ca_rec_free(&root);
	ca_rec_free(&cur);
	free(idhex);
	ca_job_free(&j);
	return rc;
}


struct list_ctx {
	FILE *out;
	bool json;
	int n;
	store_txn *t;
};

/* A CA (or a replaced generation of one) that a root roll re-certified
 * keeps its certificate from the previous root (xcert, rootgen.h): said
 * as text indented by `ind`, or as the JSON member previous_root_cert
 * (null when there is none). */
static void list_xcert(struct list_ctx *l, const ca_rec *r, const char *ind)
{
	char fp[PC_FINGERPRINT_MAX], na[PC_TIME_TEXT_MAX];
	pkix_cert xv;
	pc_err ign;
	bool have = r->xcert && pkix_cert_parse(r->xcert, r->xcert_len, "xcert", &xv, &ign) == PC_OK;

	if (have) {
		pc_fingerprint(r->xcert, r->xcert_len, fp);
		pc_time_text(xv.not_after, na);
	}
	if (l->json && have)
		fprintf(l->out, ",\"previous_root_cert\":{\"sha256\":\"%s\",\"not_after\":\"%s\"}", fp,
		    na);
	else if (l->json)
		fprintf(l->out, ",\"previous_root_cert\":null");
	else if (have)
		fprintf(l->out, "%sre-certified under the current root (same key); its certificate from "
		    "the previous root runs until %s\n%s  SHA-256 %s\n", ind, na, ind, fp);
}

/* The generations a ca roll replaced (cagen.h), after the current one. */
PC_CHECK static pc_rc list_gens(struct list_ctx *l, const ca_rec *r, pc_err *e)
{
	ca_gen_list gl;
	char fp[PC_FINGERPRINT_MAX], na[PC_TIME_TEXT_MAX], until[PC_TIME_TEXT_MAX],
	    ret[PC_TIME_TEXT_MAX];
	size_t i;

	PC_TRY(ca_gens_load(l->t, r->name, &gl, e));
	if (l->json)
		fprintf(l->out, ",\"generation\":%" PRIu64 ",\"generations\":[", ca_gen_no(r));
	else if (gl.n > 0)
		fprintf(l->out, "  generation %" PRIu64 " (current: signs certificates and its CRL)\n",
		    ca_gen_no(r));
	for (i = gl.n; i-- > 0;) {
		const ca_rec *g = &gl.v[i];
		pc_fingerprint(g->cert, g->cert_len, fp);
		pc_time_text(g->v.not_after, na);
		pc_time_text(g->last_na, until);
		pc_time_text(g->retired, ret);
		if (l->json) {
			fprintf(l->out, "%s{\"generation\":%" PRIu64 ",\"not_after\":\"%s\","
			    "\"sha256\":\"%s\",\"state\":\"%s\",\"signs_crls_until\":\"%s\","
			    "\"retired\":\"%s\"", i + 1 == gl.n ? "" : ",", ca_gen_no(g), na, fp,
			    g->retired ? "retired" : "crl-only", g->last_na ? until : "",
			    g->retired ? ret : "");
			list_xcert(l, g, "");
			fputc('}', l->out);
		} else if (g->retired) {
			fprintf(l->out, "  generation %" PRIu64 " (retired %.10s: final CRL signed), until "
			    "%s\n    SHA-256 %s\n", ca_gen_no(g), ret, na, fp);
		} else {
			fprintf(l->out, "  generation %" PRIu64 " (signs only its CRL, until its last "
			    "certificate expires %s), until %s\n    SHA-256 %s\n", ca_gen_no(g),
			    g->last_na ? until : "(it issued none: retires at the next plantca crl)", na, fp);
			list_xcert(l, g, "    ");
		}
	}
	if (l->json)
		fputc(']', l->out);
	ca_gen_list_free(&gl);
	return PC_OK;
}

PC_CHECK static pc_rc ca_list_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct list_ctx *l = ctx;
	ca_rec r;
	char *subj = NULL, fp[PC_FINGERPRINT_MAX], nb[PC_TIME_TEXT_MAX], na[PC_TIME_TEXT_MAX];
	pc_rc rc;

	(void)key;
	(void)stop;
	PC_TRY(ca_rec_decode(val, &r, e));
	if (ca_name_text(r.v.subject, r.v.subject_len, &subj, e) != PC_OK) {
		ca_rec_free(&r);
		return e->rc;
	}
	pc_fingerprint(r.cert, r.cert_len, fp);
	pc_time_text(r.v.not_before, nb);
	pc_time_text(r.v.not_after, na);
	if (l->json) {
		fprintf(l->out, "%s{\"name\":", l->n ? "," : "");
		json_str(l->out, r.name);
		fprintf(l->out, ",\"subject\":");
		json_str(l->out, subj);
		fprintf(l->out, ",\"parent\":");
		json_str(l->out, r.parent[0] ? r.parent : "");
		fprintf(l->out, ",\"key\":\"%s\",\"not_before\":\"%s\",\"not_after\":\"%s\","
		    "\"sha256\":\"%s\",\"key_uri\":", hsm_alg_name((hsm_alg)r.alg), nb, na, fp);
		json_str(l->out, r.key_uri);
	} else {
		fprintf(l->out, "%-16s %-8s %s  until %s\n  %s\n  SHA-256 %s\n", r.name,
		    hsm_alg_name((hsm_alg)r.alg), subj, na, r.parent[0] ? r.parent : "(self-signed)", fp);
	}
	list_xcert(l, &r, "  ");
	rc = list_gens(l, &r, e);
	if (l->json)
		fputc('}', l->out);
	l->n++;
	free(subj);
	ca_rec_free(&r);
	return rc;
}

pc_rc ca_list(ca_ctx *c, FILE *out, pc_err *e)
{
	struct list_ctx l = { out, c->json, 0, NULL };
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	l.t = t;
	if (c->json)
		fputc('[', out);
	rc = store_scan(t, STORE_CAS, NULL, 0, false, ca_list_visit, &l, e);
	if (c->json)
		fputs("]\n", out);
	store_abort(t);
	return rc;
}

pc_rc ca_cert(ca_ctx *c, const char *name, FILE *out, pc_err *e)
{
	store_txn *t;
	ca_rec r;
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_rec_get(t, name, &r, e);
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	pc_pem_encode(&b, "CERTIFICATE", r.cert, r.cert_len);
	if (pc_buf_ok(&b))
		fwrite(b.p, 1, b.len, out);
	else
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	ca_rec_free(&r);
	return rc;
}
