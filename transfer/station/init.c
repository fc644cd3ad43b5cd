/*
 * init.c - verb init: a new station directory, with an Ed25519 key pair in
 * minisign format (the secret key scrypt-encrypted with a passphrase), the
 * CA transfer key and the root certificate it trusts, and station.conf.
 * Everything that can be refused is checked before DIR is touched; a
 * failure part-way removes what was written.
 */
#include <dirent.h>
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "json.h"
#include "pem.h"
#include "secret.h"
#include "station.h"
#include "text.h"

static const char *const station_files[] = {
	"station.key", "station.pub", "ca-transfer.pub", "root.pem", "station.conf", NULL,
};

PC_CHECK static pc_rc passphrase_new(const char *file, pc_secret *out, pc_err *e)
{
	pc_secret again = { NULL, 0 };
	pc_rc rc;

	if (file != NULL)
		return pc_secret_read(out, file, NULL, e);
	PC_TRY(pc_secret_read(out, NULL, "Passphrase for the new station key", e));
	if ((rc = pc_secret_read(&again, NULL, "Repeat the passphrase", e)) != PC_OK) {
		pc_secret_free(out);
		return rc;
	}
	if (again.len != out->len || sodium_memcmp(again.s, out->s, out->len) != 0) {
		pc_secret_free(out);
		pc_secret_free(&again);
		return pc_fail(e, PC_E_USAGE, "passphrase: the two entries differ; nothing created");
	}
	pc_secret_free(&again);
	return PC_OK;
}

/* DIR must not exist, or be an empty directory.  *created says which. */
PC_CHECK static pc_rc init_dir(const char *dir, bool *created, pc_err *e)
{
	struct stat st;
	DIR *d;
	struct dirent *de;

	*created = false;
	if (mkdir(dir, 0700) == 0) {
		*created = true;
		return PC_OK;
	}
	if (errno != EEXIST)
		return pc_fail(e, PC_E_IO, "%s: cannot create directory: %s", dir, strerror(errno));
	if (lstat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pc_fail(e, PC_E_EXISTS, "%s: exists and is not a directory", dir);
	d = opendir(dir);
	if (d == NULL)
		return pc_fail(e, PC_E_IO, "%s: cannot read directory: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			closedir(d);
			return pc_fail(e, PC_E_EXISTS, "%s: directory is not empty; refusing to "
			    "create a station in it", dir);
		}
	}
	closedir(d);
	if (chmod(dir, 0700) != 0)
		return pc_fail(e, PC_E_IO, "%s: chmod 0700 failed: %s", dir, strerror(errno));
	return PC_OK;
}

static void init_cleanup(const char *dir, bool created)
{
	char path[PATH_MAX];
	size_t i;

	for (i = 0; station_files[i] != NULL; i++) {
		pc_err ignore;
		if (st_path_join(path, dir, station_files[i], &ignore) == PC_OK)
			(void)unlink(path);
	}
	if (created)
		(void)rmdir(dir);
}

/* DIR/NAME from b, which must hold the whole file. */
PC_CHECK static pc_rc put_file(const char *dir, const char *name, const pc_buf *b, unsigned mode,
    pc_err *e)
{
	char path[PATH_MAX];

	if (!pc_buf_ok(b))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	PC_TRY(st_path_join(path, dir, name, e));
	return pc_file_write_atomic(path, b->p, b->len, mode, true, e);
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) + (double)(t1.tv_nsec - t0->tv_nsec) / 1e9;
}

/* The cost chosen (--kdf-memory, --kdf-ops, else the default), checked
 * before anything is written. */
PC_CHECK static pc_rc init_kdf(const st_opts *o, tr_kdf *k, pc_err *e)
{
	*k = o->kdf_memory != 0 ? tr_kdf_for_memory(o->kdf_memory) : tr_kdf_default();
	if (o->kdf_ops != 0)
		k->opslimit = o->kdf_ops;
	if (tr_kdf_check(k, e) != PC_OK)
		return pc_wrap(e, "init --kdf-memory/--kdf-ops");
	return PC_OK;
}

static void init_report(const char *dir, const st_opts *o, const tr_pubkey *pub,
    const tr_pubkey *capub, const st_cert *root, const tr_kdf *kdf, double kdf_seconds)
{
	char path[PATH_MAX], keyid[17], cakeyid[17], fp[PC_FINGERPRINT_MAX], tfp[PC_FINGERPRINT_MAX];
	unsigned log2n, r, p;

	tr_kdf_scrypt(kdf, &log2n, &r, &p);
	tr_keyid_text(pub->keyid, keyid);
	tr_keyid_text(capub->keyid, cakeyid);
	pc_fingerprint(root->der, root->len, fp);
	st_transfer_fingerprint(capub, tfp);
	if (o->json) {
		printf("{\"dir\":");
		json_str(stdout, dir);
		printf(",\"segment\":\"%s\",\"station_key_id\":\"%s\",\"station_pub\":", o->segment, keyid);
		snprintf(path, sizeof path, "%s/station.pub", dir);
		json_str(stdout, path);
		printf(",\"ca_transfer_key_id\":\"%s\",\"ca_transfer_spki_sha256\":\"%s\","
		    "\"root_sha256\":\"%s\",\"root_subject_cn\":", cakeyid, tfp, fp);
		json_str(stdout, root->cn);
		printf(",\"kdf\":{\"memory_mib\":%llu,\"opslimit\":%llu,\"scrypt_n_log2\":%u,"
		    "\"scrypt_r\":%u,\"scrypt_p\":%u,\"seconds\":%.3f}}\n",
		    (unsigned long long)(kdf->memlimit / TR_KDF_MIB), (unsigned long long)kdf->opslimit,
		    log2n, r, p, kdf_seconds);
		return;
	}
	printf("station:               %s (segment %s)\n", dir, o->segment);
	printf("station key id:        %s\n", keyid);
	printf("station public key:    %s/station.pub\n", dir);
	printf("CA transfer key id:    %s\n", cakeyid);
	printf("transfer SPKI SHA-256: %s\n", tfp);
	printf("root:                  ");
	pc_text_fputs(stdout, root->cn[0] ? root->cn : "(no CN)");
	putchar('\n');
	printf("root SHA-256:          %s\n", fp);
	printf("station key cost:      scrypt N=2^%u r=%u p=%u (%llu MiB, opslimit %llu); "
	    "%.2f s here, paid by every request\n", log2n, r, p,
	    (unsigned long long)(kdf->memlimit / TR_KDF_MIB), (unsigned long long)kdf->opslimit,
	    kdf_seconds);
	printf("Compare the two SHA-256 fingerprints with what 'plantca init' printed.\n");
	printf("Next, on the CA workstation:\n"
	    "  plantca station add %s %s/station.pub --ca NAME\n"
	    "and check that it shows key id %s.\n", o->segment, dir, keyid);
}

pc_rc st_init(const st_args *a, pc_err *e)
{
	const st_opts *o = &a->o;
	const char *dir = a->dir;
	uint8_t *catext = NULL;
	size_t calen;
	tr_pubkey capub, pub;
	tr_seckey sk = { { 0 }, NULL };
	st_cert root = { 0 };
	pc_secret pass = { NULL, 0 };
	pc_buf keyfile = PC_BUF_INIT, b = PC_BUF_INIT;
	st_conf conf;
	tr_kdf kdf;
	struct timespec t0;
	double kdf_seconds;
	bool created = false, started = false;
	pc_rc rc;

	if (o->segment == NULL || o->ca_key == NULL || o->trust == NULL)
		return pc_fail(e, PC_E_USAGE, "init needs --segment, --ca-key and --trust");
	if (!tr_segment_ok(o->segment))
		return pc_fail(e, PC_E_USAGE, "--segment '%s': expected [a-z0-9][a-z0-9-]{0,62}",
		    o->segment);

	/* everything that can be refused is checked before DIR is touched */
	PC_TRY_OUT(init_kdf(o, &kdf, e));
	if ((rc = pc_file_read(o->ca_key, ST_KEYFILE_MAX, &catext, &calen, e)) != PC_OK)
		goto out;
	if ((rc = tr_pubkey_parse(catext, calen, o->ca_key, &capub, e)) != PC_OK)
		goto out;
	if ((rc = st_root_load(o->trust, &root, e)) != PC_OK)
		goto out;
	if ((rc = passphrase_new(o->pass_file, &pass, e)) != PC_OK)
		goto out;
	if ((rc = init_dir(dir, &created, e)) != PC_OK)
		goto out;
	started = true;

	/* the key derivation is nearly all of the time generate takes, and
	 * opening the key costs the same: what every request will pay */
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rc = tr_seckey_generate(&pass, &kdf, &keyfile, &pub, &sk, e);
	kdf_seconds = seconds_since(&t0);
	pc_secret_free(&pass);
	if (rc != PC_OK)
		goto out;
	tr_seckey_free(&sk);
	if ((rc = put_file(dir, "station.key", &keyfile, 0600, e)) != PC_OK)
		goto out;
	tr_pubkey_format(&pub, NULL, &b);
	if ((rc = put_file(dir, "station.pub", &b, 0644, e)) != PC_OK)
		goto out;
	b.len = 0;
	/* re-encoded from the parsed key and certificate: canonical files */
	tr_pubkey_format(&capub, NULL, &b);
	if ((rc = put_file(dir, "ca-transfer.pub", &b, 0644, e)) != PC_OK)
		goto out;
	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", root.der, root.len);
	if ((rc = put_file(dir, "root.pem", &b, 0644, e)) != PC_OK)
		goto out;
	memset(&conf, 0, sizeof conf);
	snprintf(conf.segment, sizeof conf.segment, "%s", o->segment);
	conf.next_request = 1;
	conf.last_response = 0;
	/* station.conf last: its presence marks a complete station */
	if ((rc = st_conf_save(dir, &conf, true, e)) != PC_OK)
		goto out;
	init_report(dir, o, &pub, &capub, &root, &kdf, kdf_seconds);
out:
	if (rc != PC_OK && started)
		init_cleanup(dir, created);
	pc_secret_free(&pass);
	tr_seckey_free(&sk);
	if (keyfile.p != NULL)
		sodium_memzero(keyfile.p, keyfile.cap);
	pc_buf_free(&keyfile);
	pc_buf_free(&b);
	free(catext);
	st_cert_free(&root);
	return rc;
}
