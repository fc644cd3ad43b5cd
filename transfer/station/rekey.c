/*
 * rekey.c - verb rekey: a new station key, sent to the CA in a request
 * bundle signed by the current one (docs/lifecycle.md "Station key").
 *
 * The new key is written beside the current one (station.next.key,
 * station.next.pub) and station.conf names it (station-key-next) before
 * the bundle is made; every request from then on carries it, endorsed by
 * the current key, until a response of the CA confirms it (station-keys),
 * when accept puts it in place of station.key.  Until then both keys are
 * kept: whether the bundle reached the CA or not, the station can go on.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "secret.h"
#include "station.h"

/* The cost of the new key: --kdf-memory / --kdf-ops as init takes them,
 * else the cost of the current key (chosen at init). */
PC_CHECK static pc_rc rekey_kdf(const st_opts *o, const uint8_t *cur, size_t len, const char *path,
    tr_kdf *k, pc_err *e)
{
	if (o->kdf_memory != 0 || o->kdf_ops != 0) {
		*k = o->kdf_memory != 0 ? tr_kdf_for_memory(o->kdf_memory) : tr_kdf_default();
		if (o->kdf_ops != 0)
			k->opslimit = o->kdf_ops;
	} else {
		PC_TRY(tr_seckey_kdf(cur, len, path, k, e));
	}
	if (tr_kdf_check(k, e) != PC_OK)
		return pc_wrap(e, "rekey --kdf-memory/--kdf-ops");
	return PC_OK;
}

PC_CHECK static pc_rc put_new(const char *dir, const char *name, const pc_buf *b, unsigned mode,
    pc_err *e)
{
	char path[PATH_MAX];

	if (!pc_buf_ok(b))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	PC_TRY(st_path_join(path, dir, name, e));
	/* a file left by a rekey that stopped before station.conf named it */
	if (unlink(path) != 0 && errno != ENOENT)
		return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	return pc_file_write_atomic(path, b->p, b->len, mode, true, e);
}

pc_rc st_rekey(const st_args *a, pc_err *e)
{
	const st_opts *o = &a->o;
	const char *dir = a->dir;
	char path[PATH_MAX], prompt[PATH_MAX + 32], id[17], old[17];
	st_conf conf;
	tr_pubkey pub, np;
	tr_seckey sk = { { 0 }, NULL }, nsk = { { 0 }, NULL };
	pc_secret pass = { NULL, 0 };
	uint8_t *keytext = NULL;
	size_t keylen = 0;
	pc_buf keyfile = PC_BUF_INIT, b = PC_BUF_INIT;
	tr_kdf kdf;
	pc_rc rc;

	if (o->media == NULL)
		return pc_fail(e, PC_E_USAGE, "rekey: -o MEDIA_DIR is required");
	PC_TRY_OUT(st_conf_load(dir, &conf, e));
	PC_TRY_OUT(st_keys_settle(dir, &conf, e));
	PC_TRY_OUT(st_pubkey_load(dir, "station.pub", &pub, e));
	tr_keyid_text(pub.keyid, old);
	PC_TRY_OUT(st_path_join(path, dir, "station.key", e));
	PC_TRY_OUT(pc_file_read(path, ST_KEYFILE_MAX, &keytext, &keylen, e));
	snprintf(prompt, sizeof prompt, "Passphrase for %s", path);
	PC_TRY_OUT(pc_secret_read(&pass, o->pass_file, prompt, e));
	if (conf.station_next[0] != '\0') {
		/* the key made before is sent again: it may be at the CA already */
		fprintf(stderr, "plantca-station: rekey: station key %s waits for the CA's "
		    "confirmation; sending it again\n", conf.station_next);
		rc = st_request_with(a, &pass, e);
		goto out;
	}
	PC_TRY_OUT(rekey_kdf(o, keytext, keylen, path, &kdf, e));
	/* the passphrase must open the current key: the new one is encrypted
	 * with it, and the bundle is signed with the current one */
	PC_TRY_OUT(tr_seckey_open(keytext, keylen, path, &pass, &sk, e));
	if (sodium_memcmp(sk.keyid, pub.keyid, TR_KEYID_LEN) != 0) {
		rc = pc_fail(e, PC_E_STATE, "%s: key id differs from station.pub's", path);
		goto out;
	}
	tr_seckey_free(&sk);
	PC_TRY_OUT(tr_seckey_generate(&pass, &kdf, &keyfile, &np, &nsk, e));
	tr_seckey_free(&nsk);
	PC_TRY_OUT(put_new(dir, "station.next.key", &keyfile, 0600, e));
	tr_pubkey_format(&np, NULL, &b);
	PC_TRY_OUT(put_new(dir, "station.next.pub", &b, 0644, e));
	tr_keyid_text(np.keyid, id);
	/* from this save on every request carries the new key */
	snprintf(conf.station_next, sizeof conf.station_next, "%s", id);
	PC_TRY_OUT(st_conf_save(dir, &conf, false, e));
	if (!o->json)
		printf("new station key %s (DIR/station.next.key); %s stays in use until the CA "
		    "confirms it\n", id, old);
	rc = st_request_with(a, &pass, e);
out:
	pc_secret_free(&pass);
	tr_seckey_free(&sk);
	tr_seckey_free(&nsk);
	if (keytext != NULL) {
		sodium_memzero(keytext, keylen);
		free(keytext);
	}
	if (keyfile.p != NULL)
		sodium_memzero(keyfile.p, keyfile.cap);
	pc_buf_free(&keyfile);
	pc_buf_free(&b);
	return rc;
}
