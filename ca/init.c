/*
 * init.c - `plantca init`: a new CA home, the root key and the CA transfer
 * key in the token, the self-signed root.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "checkpoint.h"
#include "file.h"
#include "format.h"
#include "text.h"
#include "home.h"
#include "json.h"
#include "minisign_key.h"
#include "pem.h"
#include "pipeline.h"
#include "records.h"

PC_CHECK static pc_rc dir_is_empty_or_missing(const char *path, bool *missing, pc_err *e)
{
	DIR *d = opendir(path);
	struct dirent *de;

	*missing = false;
	if (d == NULL) {
		if (errno == ENOENT) {
			*missing = true;
			return PC_OK;
		}
		return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			return pc_fail(e, PC_E_EXISTS, "%s: exists and is not empty; "
			    "refusing to create a CA home there", path);
		}
	}
	closedir(d);
	return PC_OK;
}

PC_CHECK static pc_rc sign_now(hsm_key *k, ca_job *j, pc_err *e)
{
	pc_buf sig = PC_BUF_INIT;
	const uint8_t *alg;
	size_t alg_len;
	pc_rc rc = hsm_sign(k, j->tbs.p, j->tbs.len, &sig, e);

	if (rc == PC_OK) {
		alg = hsm_key_sigalg(k, &alg_len);
		rc = pkix_cert_assemble(j->tbs.p, j->tbs.len, alg, alg_len, sig.p, sig.len, &j->cert);
		if (rc != PC_OK)
			pc_fail(e, rc, "cannot assemble certificate");
	}
	pc_buf_free(&sig);
	return rc;
}

PC_CHECK static pc_rc init_inner(const char *home, const ca_init_opts *o, const char *pin_file,
    bool json, hsm **hp, store **stp, pc_err *e)
{
	char db[PATH_MAX], pub[PATH_MAX], path[PATH_MAX + 32], idhex[17], label[128];
	char fp[96], tfp[96];
	hsm_alg alg;
	hsm_key *root = NULL, *transfer = NULL, *audit = NULL;
	char ahex[65] = "";
	uint8_t id[8], keyid[8];
	pc_buf subject = PC_BUF_INIT, b = PC_BUF_INIT;
	ca_job j;
	pkix_tbs_params p;
	const uint8_t *spki, *tspki;
	size_t spki_len, tspki_len;
	store_txn *t = NULL;
	time_t now = time(NULL);
	unsigned days = o->days ? o->days : CA_ROOT_DAYS_DEFAULT;
	pc_rc rc;

	memset(&j, 0, sizeof j);
	PC_TRY_OUT(hsm_alg_parse(o->key ? o->key : "ec-p384", &alg, e));
	if (alg == HSM_ED25519)
		return pc_fail(e, PC_E_USAGE, "--key ed25519: a root for OPC UA and TLS devices must be "
		    "EC or RSA (most device stacks cannot verify Ed25519 chains)");
	PC_TRY_OUT(pkix_name_from_text(&subject, o->subject, e));
	PC_TRY_OUT(ca_home_paths(home, db, pub, e));
	if ((rc = hsm_open(o->module, o->token, hp, e)) != PC_OK)
		goto out;
	if ((rc = ca_hsm_login_from(*hp, pin_file, e)) != PC_OK)
		goto out;
	if ((rc = pc_mkdir(home, CA_HOME_MODE, e)) != PC_OK || (rc = pc_mkdir(pub, 0755, e)) != PC_OK)
		goto out;
	if ((rc = store_open(db, true, stp, e)) != PC_OK)
		goto out;

	/* keys: labels carry a per-home id so two CA homes can share a token */
	randombytes_buf(id, sizeof id);
	ca_serial_hex(id, 4, idhex);
	snprintf(label, sizeof label, "plantca-%s-root", idhex);
	if ((rc = hsm_key_generate(*hp, alg, label, &root, e)) != PC_OK)
		goto out;
	snprintf(label, sizeof label, "plantca-%s-transfer", idhex);
	if ((rc = hsm_key_generate(*hp, HSM_ED25519, label, &transfer, e)) != PC_OK)
		goto out;
	if ((rc = ca_audit_key_generate(*hp, idhex, &audit, e)) != PC_OK)
		goto out;

	spki = hsm_key_spki(root, &spki_len);
	memset(&p, 0, sizeof p);
	pkix_serial_new(p.serial);
	memcpy(j.serial, p.serial, sizeof j.serial);
	p.sigalg = hsm_key_sigalg(root, &p.sigalg_len);
	p.issuer = subject.p;
	p.issuer_len = subject.len;
	p.issuer_keyid = NULL;
	p.not_before = now - CA_SKEW_SECONDS;
	p.not_after = now + (time_t)days * PC_DAY;
	p.subject = subject.p;
	p.subject_len = subject.len;
	p.spki = spki;
	p.spki_len = spki_len;
	p.is_ca = true;
	p.path_len = -1;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	if ((rc = pkix_tbs_build(&p, &j.tbs, e)) != PC_OK || (rc = sign_now(root, &j, e)) != PC_OK)
		goto out;

	/* one transaction: configuration, root record, transfer key, event */
	randombytes_buf(keyid, sizeof keyid);
	if ((rc = store_begin(*stp, true, &t, e)) != PC_OK)
		goto out;
	rc = ca_rec_encode(&b, "root", hsm_key_uri(root), alg, j.cert.p, j.cert.len, "", e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_CAS, "root", 4, b.p, b.len, true, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_MODULE, o->module, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TOKEN, o->token, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_ID, idhex, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TRANSFER_URI, hsm_key_uri(transfer), e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_TRANSFER_KEYID, strlen(META_TRANSFER_KEYID),
		    keyid, sizeof keyid, false, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_AUDIT_KEY_URI, hsm_key_uri(audit), e);
	if (rc == PC_OK) {
		size_t al = 0;
		const uint8_t *aspki = hsm_key_spki(audit, &al);
		const uint8_t *apk = pkix_ed25519_raw(aspki, al);
		rc = apk == NULL ? pc_fail(e, PC_E_HSM_KEY, "the audit key is not Ed25519") :
		    store_put(t, STORE_META, META_AUDIT_KEY, strlen(META_AUDIT_KEY), apk, 32, false, e);
	}
	if (rc == PC_OK) {
		char detail[600];
		snprintf(detail, sizeof detail, "root %s, key %s in token %s; CA transfer key and "
		    "audit key Ed25519", o->subject, hsm_alg_name(alg), hsm_token_label(*hp));
		ca_serial_hex(j.serial, PKIX_SERIAL_LEN, path);
		rc = audit_append(t, now, "init", path, "ok", detail, e);
	}
	if (rc != PC_OK) {
		store_abort(t);
		goto out;
	}
	if ((rc = store_commit(t, e)) != PC_OK)
		goto out;

	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", j.cert.p, j.cert.len);
	snprintf(path, sizeof path, "%s/root.pem", pub);
	if ((rc = pc_file_write_atomic(path, b.p, b.len, 0644, false, e)) != PC_OK)
		goto out;
	b.len = 0;
	tspki = hsm_key_spki(transfer, &tspki_len);
	{
		tr_pubkey tp;
		if ((rc = ca_token_minisign_pub(transfer, keyid, &tp, e)) != PC_OK)
			goto out;
		tr_pubkey_format(&tp, NULL, &b);
	}
	snprintf(path, sizeof path, "%s/transfer.pub", pub);
	if ((rc = pc_file_write_atomic(path, b.p, b.len, 0644, false, e)) != PC_OK)
		goto out;

	pc_fingerprint(j.cert.p, j.cert.len, fp);
	pc_fingerprint(tspki, tspki_len, tfp);
	{
		size_t al = 0;
		const uint8_t *aspki = hsm_key_spki(audit, &al), *apk = pkix_ed25519_raw(aspki, al);
		pc_hex_str(ahex, sizeof ahex, apk, apk ? 32 : 0, 0);
	}
	if (json) {
		printf("{\"home\":");
		json_str(stdout, home);
		printf(",\"root\":{\"subject\":");
		json_str(stdout, o->subject);
		printf(",\"key\":\"%s\",\"sha256\":\"%s\",\"pem\":", hsm_alg_name(alg), fp);
		snprintf(path, sizeof path, "%s/root.pem", pub);
		json_str(stdout, path);
		printf("},\"transfer\":{\"sha256_spki\":\"%s\",\"pub\":", tfp);
		snprintf(path, sizeof path, "%s/transfer.pub", pub);
		json_str(stdout, path);
		printf("},\"audit_key\":\"%s\"}\n", ahex);
	} else {
		printf("CA home:       %s\n", home);
		printf("root:          %s (%s, %u days)\n", o->subject, hsm_alg_name(alg), days);
		printf("root SHA-256:  %s\n", fp);
		printf("               %s/root.pem\n", pub);
		printf("transfer key:  %s/transfer.pub (Ed25519, in the token)\n", pub);
		printf("transfer SPKI SHA-256: %s\n", tfp);
		printf("audit key:     %s (Ed25519, in the token: signs audit checkpoints and "
		    "backups)\n", ahex);
		printf("Give root.pem and transfer.pub to each plant station; check the "
		    "fingerprints on the station.\n");
	}
out:
	hsm_key_free(root);
	hsm_key_free(transfer);
	hsm_key_free(audit);
	ca_job_free(&j);
	pc_buf_free(&subject);
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_init(const char *home, const ca_init_opts *o, const char *pin_file, bool json, pc_err *e)
{
	hsm *h = NULL;
	store *st = NULL;
	bool missing;
	pc_rc rc;

	if (home == NULL || home[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "no CA home: use --home DIR or set PLANTCA_HOME");
	if (!o->module || !o->token || !o->subject)
		return pc_fail(e, PC_E_USAGE, "init needs --module, --token and --subject");
	PC_TRY(dir_is_empty_or_missing(home, &missing, e));
	/* an existing empty HOME: ours alone, before anything goes into it */
	if (!missing) {
		struct stat hs;
		if (stat(home, &hs) != 0)
			return pc_fail(e, PC_E_IO, "%s: %s", home, strerror(errno));
		if (hs.st_uid != geteuid())
			return pc_fail(e, PC_E_STATE, "%s: owned by uid %u, not by uid %u who runs "
			    "plantca: a CA home must be a directory of your own", home,
			    (unsigned)hs.st_uid, (unsigned)geteuid());
		if (chmod(home, CA_HOME_MODE) != 0)
			return pc_fail(e, PC_E_IO, "%s: chmod %o: %s", home, CA_HOME_MODE, strerror(errno));
	}
	rc = init_inner(home, o, pin_file, json, &h, &st, e);
	if (st)
		store_close(st);
	if (h)
		hsm_close(h);
	if (rc != PC_OK) {
		/* leave nothing half-made: a failed init removes what it created */
		char p[PATH_MAX + 32];
		static const char *const files[] = { "db/data.mdb", "db/lock.mdb", "public/root.pem",
			"public/transfer.pub", "db", "public", NULL };
		int i;
		for (i = 0; files[i]; i++) {
			snprintf(p, sizeof p, "%s/%s", home, files[i]);
			(void)(i < 4 ? unlink(p) : rmdir(p));
		}
		if (missing)
			(void)rmdir(home);
	}
	return rc;
}
