/*
 * firmware_signer.c - `plantca firmware signer new` and `firmware signer
 * list`: firmware signing keys in the token with code-signing certificates.
 * See firmware.h.
 */
#include "firmware.h"

#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "capolicy.h"
#include "file.h"
#include "format.h"
#include "fwverify.h"
#include "home.h"
#include "json.h"
#include "minisign_key.h"
#include "leaf.h"
#include "lint.h"
#include "pipeline.h"
#include "records.h"

/* The policy profile that decides a signer certificate (keys, validity,
 * subject, key usage, EKU), as for every certificate; only a signer made
 * here may use it (policy_request.fw_signer), never a request. */
#define FW_SIGNER_PROFILE "code-signing"

static pkix_keytype signer_keytype(hsm_alg alg)
{
	switch (alg) {
	case HSM_EC_P384: return PKIX_KEY_EC_P384;
	case HSM_ED25519: return PKIX_KEY_ED25519;
	default: return PKIX_KEY_EC_P256;
	}
}

pc_rc ca_fw_signer_new(ca_ctx *c, const ca_fw_signer_opts *o, pc_err *e)
{
	/* A signer key is made in the token here, never requested by a CSR:
	 * this is the only way to a certificate that can sign code.  The
	 * policy's code-signing profile decides its contents as it decides
	 * every certificate's, the package list it may sign goes in as our
	 * private extension (transfer/fwverify.h), and the TBS passes the
	 * same pre-issuance check as every certificate, expecting that list. */
	const char *def_pkg[2] = { o->name, NULL };
	const char *pkgs[FW_SIGNER_PKGS_MAX + 1];
	const char *eku[POLICY_EKU_MAX + 1];
	size_t npkgs, pi;
	char key[16 + CA_NAME_MAX + 1], label[200], what[32 + CA_NAME_MAX], *idhex = NULL;
	hsm_alg alg;
	hsm_key *sk = NULL, *ik;
	ca_rec issuer;
	store_txn *t = NULL;
	pc_buf dn = PC_BUF_INIT, subject = PC_BUF_INIT, rec = PC_BUF_INIT, ext = PC_BUF_INIT;
	pc_buf pkg_text = PC_BUF_INIT;
	policy *pol = NULL;
	pkix_csr *desc = NULL;
	pkix_tbs_params p;
	ca_lint_expect lx;
	ca_job j;
	uint8_t ikid[PKIX_KEYID_LEN];
	time_t now = time(NULL);
	unsigned days;
	pc_reader dummy;
	const uint8_t *sa;
	size_t sal;
	pc_rc rc;

	memset(&j, 0, sizeof j);
	memset(&issuer, 0, sizeof issuer);
	memset(&p, 0, sizeof p);
	PC_TRY_OUT(ca_signer_key(o->name, key, sizeof key, e));
	snprintf(what, sizeof what, "firmware signer '%s'", o->name);
	if (!o->ca || !o->subject)
		return pc_fail(e, PC_E_USAGE, "firmware signer new needs --ca CA and --subject DN");
	PC_TRY_OUT(hsm_alg_parse(o->key ? o->key : "ec-p256", &alg, e));
	if (alg != HSM_EC_P256 && alg != HSM_EC_P384 && alg != HSM_ED25519)
		return pc_fail(e, PC_E_USAGE, "--key %s: firmware signers are ec-p256, ec-p384 or "
		    "ed25519", o->key);
	/* the packages it may sign: --package, else its name (the package
	 * `firmware sign` names by default) */
	npkgs = o->npackages ? o->npackages : 1;
	if (npkgs > FW_SIGNER_PKGS_MAX)
		return pc_fail(e, PC_E_USAGE, "more than %d --package", FW_SIGNER_PKGS_MAX);
	for (pi = 0; pi < npkgs; pi++) {
		pkgs[pi] = o->npackages ? o->packages[pi] : def_pkg[pi];
		pc_buf_printf(&pkg_text, "%s%s", pi ? "," : "", pkgs[pi]);
	}
	pkgs[npkgs] = NULL;
	pc_buf_byte(&pkg_text, 0);
	if ((rc = fw_pkgs_ext_encode(pkgs, npkgs, &ext, e)) != PC_OK) {
		pc_wrap(e, "%s", what);
		goto out;
	}
	if (!pc_buf_ok(&pkg_text)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pkix_name_from_text(&dn, o->subject, e)) != PC_OK)
		goto out;
	if (dn.len <= 2) {
		rc = pc_fail(e, PC_E_USAGE, "--subject: a signer needs a non-empty subject");
		goto out;
	}
	if ((rc = ca_policy_active(c->home, &pol, e)) != PC_OK)
		goto out;
	/* refuse early, before a key is made */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = store_get(t, STORE_META, key, strlen(key), &dummy, e);
	if (rc == PC_OK)
		rc = pc_fail(e, PC_E_EXISTS, "signer '%s' already exists", o->name);
	else if (rc == PC_E_NOTFOUND)
		rc = ca_rec_get(t, o->ca, &issuer, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_ID, &idhex, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if (strcmp(o->ca, "root") == 0) {
		rc = pc_fail(e, PC_E_USAGE, "the root issues only CA certificates; use an issuing CA");
		goto out;
	}
	if (issuer.v.not_after <= now + PC_DAY) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s' expires within a day", o->ca);
		goto out;
	}
	if (pkix_keyid(issuer.v.spki, issuer.v.spki_len, ikid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': malformed key in its certificate", o->ca);
		goto out;
	}
	/* the policy's decision, before the key exists: the subject as the
	 * officer typed it and the key type to be generated */
	if ((desc = calloc(1, sizeof *desc)) == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	desc->subject = dn.p;
	desc->subject_len = dn.len;
	desc->keytype = signer_keytype(alg);
	rc = ca_policy_apply(pol, desc, FW_SIGNER_PROFILE, o->ca, NULL, NULL, o->days, true, what, &p,
	    &subject, &days, eku, e);
	if (rc == PC_E_USAGE && !policy_has_profile(pol, FW_SIGNER_PROFILE))
		pc_wrap(e, "firmware signers are made under the policy's profile %s (see "
		    "policy/default.policy)", FW_SIGNER_PROFILE);
	if (rc != PC_OK)
		goto out;
	if ((rc = ca_hsm_ready(c, e)) != PC_OK ||
	    (rc = ca_key_for(c, o->ca, issuer.key_uri, &ik, e)) != PC_OK)
		goto out;
	ca_key_label(label, sizeof label, idhex, "fw", o->name);
	if ((rc = hsm_key_generate(c->h, alg, label, &sk, e)) != PC_OK)
		goto out;

	sa = hsm_key_sigalg(ik, &sal);
	ca_tbs_issued_by(&p, &issuer, sa, sal, ikid, days, now);
	p.spki = hsm_key_spki(sk, &p.spki_len);
	p.extra_ext = ext.p;
	p.extra_ext_len = ext.len;

	memcpy(j.serial, p.serial, PKIX_SERIAL_LEN);
	j.issuer = o->ca;
	j.kind = "leaf";
	j.profile = FW_SIGNER_PROFILE;
	j.source = "plantca firmware signer new";
	j.segment = "";
	j.policy_hash = policy_hash(pol);
	j.nb = p.not_before;
	j.na = p.not_after;
	snprintf(j.keytype, sizeof j.keytype, "%s", hsm_alg_name(alg));
	if ((rc = ca_name_text(subject.p, subject.len, &j.subject_text, e)) != PC_OK)
		goto out;
	j.san_text = strdup("");
	if (!j.san_text) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pkix_tbs_build(&p, &j.tbs, e)) != PC_OK)
		goto out;
	lx.is_ca = false;
	lx.key_usage = p.key_usage;
	lx.eku = eku;
	lx.max_days = days;
	lx.fw_packages = pkgs;
	if ((rc = ca_lint_tbs(j.tbs.p, j.tbs.len, issuer.cert, issuer.cert_len, &lx, what, e)) != PC_OK)
		goto out;
	/* the certificate goes through intent -> HSM -> commit like any other */
	if ((rc = ca_run_jobs(c, &j, 1, false, NULL, e)) != PC_OK)
		goto out;

	/* then the signer record, with its own audit event */
	if ((rc = ca_signer_rec_encode(&rec, o->name, hsm_key_uri(sk), j.serial, o->ca, alg, now,
	    e)) != PC_OK)
		goto out;
	{
		char hex[2 * PKIX_SERIAL_LEN + 1], detail[600];
		ca_serial_hex(j.serial, PKIX_SERIAL_LEN, hex);
		snprintf(detail, sizeof detail, "%s; %s; packages %s; certificate %s by CA %s",
		    j.subject_text, hsm_alg_name(alg), (const char *)pkg_text.p, hex, o->ca);
		if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
			goto out;
		rc = store_put(t, STORE_META, key, strlen(key), rec.p, rec.len, true, e);
		if (rc == PC_OK)
			rc = audit_append(t, now, "fw.signer.new", o->name, "ok", detail, e);
		if (rc != PC_OK) {
			store_abort(t);
			goto out;
		}
		if ((rc = store_commit(t, e)) != PC_OK)
			goto out;
		if (alg == HSM_ED25519) {
			/* the minisign public key, for devices without X.509 */
			size_t spl = 0;
			const uint8_t *spk = hsm_key_spki(sk, &spl);
			const uint8_t *pk = pkix_ed25519_raw(spk, spl);
			uint8_t id[TR_KEYID_LEN];
			char path[PATH_MAX], note[CA_NAME_MAX + 32];
			pc_buf pub = PC_BUF_INIT;
			tr_pubkey tp;

			if (pk == NULL) {
				rc = pc_fail(e, PC_E_INTERNAL, "Ed25519 key with an unexpected SPKI");
				goto out;
			}
			ca_fw_minisign_keyid(pk, id);
			if ((rc = ca_token_minisign_pub(sk, id, &tp, e)) != PC_OK)
				goto out;
			snprintf(note, sizeof note, "plantca firmware signer %s", o->name);
			tr_pubkey_format(&tp, note, &pub);
			if (snprintf(path, sizeof path, "%s/public/fw-%s.pub", c->home, o->name) >=
			    (int)sizeof path)
				rc = pc_fail(e, PC_E_USAGE, "CA home path too long");
			else
				rc = pc_buf_ok(&pub) ? pc_file_write_atomic(path, pub.p, pub.len, 0644, false, e)
			    : pc_fail(e, PC_E_NOMEM, "out of memory");
			pc_buf_free(&pub);
			if (rc != PC_OK) {
				pc_wrap(e, "signer '%s' is made, but its minisign public key", o->name);
				goto out;
			}
		}
		if (c->json) {
			printf("{\"name\":");
			json_str(stdout, o->name);
			printf(",\"serial\":\"%s\",\"key\":\"%s\",\"ca\":", hex, hsm_alg_name(alg));
			json_str(stdout, o->ca);
			printf(",\"key_uri\":");
			json_str(stdout, hsm_key_uri(sk));
			printf(",\"packages\":[");
			for (pi = 0; pi < npkgs; pi++) {
				printf("%s", pi ? "," : "");
				json_str(stdout, pkgs[pi]);
			}
			printf("]}\n");
		} else {
			printf("firmware signer '%s': %s (%s), certificate %s by CA %s, may sign "
			    "package%s %s\n", o->name, j.subject_text, hsm_alg_name(alg), hex, o->ca,
			    npkgs > 1 ? "s" : "", (const char *)pkg_text.p);
		}
	}
out:
	hsm_key_free(sk);
	ca_rec_free(&issuer);
	free(idhex);
	free(desc);
	pc_buf_free(&dn);
	pc_buf_free(&subject);
	pc_buf_free(&rec);
	pc_buf_free(&ext);
	pc_buf_free(&pkg_text);
	ca_job_free(&j);
	policy_free(pol);      /* after the job, which points into it */
	return rc;
}

struct slist_ctx {
	FILE *out;
	store_txn *t;
	bool json;
	int n;
};

PC_CHECK static pc_rc slist_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct slist_ctx *l = ctx;
	ca_signer_rec s;
	ca_cert_rec cr;
	pc_reader cv;
	char hex[2 * PKIX_SERIAL_LEN + 1];
	const char *status = "missing";
	fw_pkgs pk;
	pc_err pe;
	size_t i;
	pc_rc rc;

	if (ca_signer_rec_decode(val, &s, e) != PC_OK)
		return pc_wrap(e, "META %.*s", (int)pc_reader_left(&key), (const char *)key.p + key.off);
	ca_serial_hex(s.serial, PKIX_SERIAL_LEN, hex);
	memset(&pk, 0, sizeof pk);
	rc = store_get(l->t, STORE_CERTS, s.serial, PKIX_SERIAL_LEN, &cv, e);
	if (rc == PC_OK && (rc = ca_cert_rec_decode(cv, &cr, e)) != PC_OK)
		pc_wrap(e, "signer '%s': certificate %s", s.name, hex);
	if (rc != PC_OK && rc != PC_E_NOTFOUND) {
		ca_signer_rec_free(&s);
		return rc;
	}
	if (rc == PC_OK) {
		status = ca_cert_status(l->t, &cr, time(NULL));
		/* no list (a signer from before package lists): shown as none */
		if (fw_cert_packages(cr.der, cr.der_len, &pk, &pe) != PC_OK)
			pk.n = 0;
		ca_cert_rec_free(&cr);
	}
	if (l->json) {
		fprintf(l->out, "%s{\"name\":", l->n ? "," : "");
		json_str(l->out, s.name);
		fprintf(l->out, ",\"serial\":\"%s\",\"status\":\"%s\",\"key\":\"%s\",\"ca\":", hex,
		    status, hsm_alg_name((hsm_alg)s.alg));
		json_str(l->out, s.ca);
		fprintf(l->out, ",\"packages\":[");
		for (i = 0; i < pk.n; i++) {
			fprintf(l->out, "%s", i ? "," : "");
			json_str(l->out, pk.name[i]);
		}
		fprintf(l->out, "]}");
	} else {
		char list[FW_SIGNER_PKGS_MAX * (FW_PKG_MAX + 1) + 1];
		fw_pkgs_text(&pk, ",", list, sizeof list);
		fprintf(l->out, "%-20s %s %-8s %-8s CA %s packages %s\n", s.name, hex, status,
		    hsm_alg_name((hsm_alg)s.alg), s.ca, pk.n ? list : "(none: cannot sign)");
	}
	l->n++;
	ca_signer_rec_free(&s);
	(void)stop;
	return PC_OK;
}

pc_rc ca_fw_signer_list(ca_ctx *c, FILE *out, pc_err *e)
{
	struct slist_ctx l = { out, NULL, c->json, 0 };
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &l.t, e));
	if (c->json)
		fputc('[', out);
	rc = store_scan(l.t, STORE_META, META_SIGNER_PREFIX, strlen(META_SIGNER_PREFIX), false,
	    slist_visit, &l, e);
	if (c->json)
		fputs("]\n", out);
	store_abort(l.t);
	return rc;
}
