/*
 * cas.c - `plantca ca new`, `ca list`, `ca cert`: the issuing CAs under
 * the root.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

pc_rc ca_new(ca_ctx *c, const ca_new_opts *o, pc_err *e)
{
	pkix_gn permit[PKIX_PERMIT_MAX];
	size_t npermit = 0;
	hsm_alg alg;
	hsm_key *key = NULL;
	ca_rec root;
	store_txn *t;
	pc_buf subject = PC_BUF_INIT;
	pkix_tbs_params p;
	ca_job j;
	char *idhex = NULL, label[160];
	uint8_t rootkid[PKIX_KEYID_LEN];
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
	if (root.v.not_after <= now + PC_DAY) {
		rc = pc_fail(e, PC_E_STATE, "the root certificate expires within a day");
		goto out;
	}
	if ((rc = ca_hsm_ready(c, e)) != PC_OK)
		goto out;
	ca_key_label(label, sizeof label, idhex, "ca", o->name);
	if ((rc = hsm_key_generate(c->h, alg, label, &key, e)) != PC_OK)
		goto out;
	if (pkix_keyid(root.v.spki, root.v.spki_len, rootkid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "root certificate has a malformed key");
		goto out;
	}
	{
		hsm_key *rk;
		const uint8_t *sa;
		size_t sal;

		if ((rc = ca_key_for(c, "root", root.key_uri, &rk, e)) != PC_OK)
			goto out;
		sa = hsm_key_sigalg(rk, &sal);
		memset(&p, 0, sizeof p);
		ca_tbs_issued_by(&p, &root, sa, sal, rootkid, days, now);
	}
	p.subject = subject.p;
	p.subject_len = subject.len;
	p.spki = hsm_key_spki(key, &p.spki_len);
	p.is_ca = true;
	p.path_len = o->path_len < 0 ? 0 : o->path_len;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	p.permit = permit;
	p.npermit = npermit;

	memcpy(j.serial, p.serial, PKIX_SERIAL_LEN);
	j.issuer = "root";
	j.kind = "ca";
	j.profile = "issuing-ca";
	j.source = "plantca ca new";
	j.segment = "";
	j.newca = o->name;
	j.newca_uri = hsm_key_uri(key);
	j.newca_alg = alg;
	snprintf(j.keytype, sizeof j.keytype, "%s", hsm_alg_name(alg));
	j.nb = p.not_before;
	j.na = p.not_after;
	if ((rc = ca_name_text(subject.p, subject.len, &j.subject_text, e)) != PC_OK)
		goto out;
	j.san_text = strdup("");
	if (!j.san_text) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pkix_tbs_build(&p, &j.tbs, e)) != PC_OK)
		goto out;
	{
		ca_lint_expect lx = { true, p.key_usage, NULL, 0, NULL };
		if ((rc = ca_lint_tbs(j.tbs.p, j.tbs.len, root.cert, root.cert_len, &lx, o->name,
		    e)) != PC_OK)
			goto out;
	}
	if ((rc = ca_run_jobs(c, &j, 1, false, NULL, e)) != PC_OK)
		goto out;
	lifetime_warn(c, o->name, days, &p, now);
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


struct list_ctx {
	FILE *out;
	bool json;
	int n;
};

PC_CHECK static pc_rc ca_list_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct list_ctx *l = ctx;
	ca_rec r;
	char *subj = NULL, fp[PC_FINGERPRINT_MAX], nb[PC_TIME_TEXT_MAX], na[PC_TIME_TEXT_MAX];

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
		fputc('}', l->out);
	} else {
		fprintf(l->out, "%-16s %-8s %s  until %s\n  %s\n  SHA-256 %s\n", r.name,
		    hsm_alg_name((hsm_alg)r.alg), subj, na, r.parent[0] ? r.parent : "(self-signed)", fp);
	}
	l->n++;
	free(subj);
	ca_rec_free(&r);
	return PC_OK;
}

pc_rc ca_list(ca_ctx *c, FILE *out, pc_err *e)
{
	struct list_ctx l = { out, c->json, 0 };
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
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
