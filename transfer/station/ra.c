/*
 * ra.c - verb ra-key: the station's CMP identity (docs/cmp.md).
 *
 * serve signs every CMP reply with an RA certificate from the segment's
 * CA (RFC 9483 §3.3: extended key usage id-kp-cmcRA).  Its key is an
 * Ed25519 key pair made here, kept as the station key is kept (minisign
 * format, scrypt-encrypted with the station passphrase, mode 0600,
 * created with O_EXCL), and its certificate is asked for through the
 * normal round trip: DIR/ra.csr goes into a request bundle with
 * `request --profile cmp-ra`, signed by the enrolled station key; the
 * CA officer approves it by itself (approval = single) and the response
 * brings the certificate, which accept installs as DIR/ra.pem.
 *
 * The subject names the station, so that the CA issues the certificate
 * only to the station whose key signed the bundle:
 * "O=plantca, OU=SEGMENT, CN=CMP RA KEYID".
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "json.h"
#include "pem.h"
#include "secret.h"
#include "station.h"

/* The RA key signs its own request (Ed25519, RFC 8410 §6). */
PC_CHECK static pc_rc ra_sign(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig, pc_err *e)
{
	const tr_seckey *sk = ctx;
	uint8_t s[crypto_sign_BYTES];

	if (crypto_sign_detached(s, NULL, msg, len, sk->sk) != 0)
		return pc_fail(e, PC_E_INTERNAL, "ra-key: cannot sign the request");
	pc_buf_append(sig, s, sizeof s);
	return PC_OK;
}

/* The PKCS#10 request of the RA key, built and read back by pkix/csr.c. */
PC_CHECK static pc_rc ra_csr(tr_seckey *sk, const char *subject_text, pc_buf *pem, pc_err *e)
{
	pc_buf subject = PC_BUF_INIT, der = PC_BUF_INIT;
	uint8_t spki[PKIX_ED25519_SPKI_LEN];
	pc_rc rc = PC_OK;

	PC_TRY_OUT(pkix_name_from_text(&subject, subject_text, e));
	pkix_ed25519_spki(sk->sk + 32, spki);
	PC_TRY_OUT(pkix_csr_build(subject.p, subject.len, spki, sizeof spki,
	    pkix_sigalg_for_key(PKIX_KEY_ED25519), ra_sign, sk, &der, e));
	pc_pem_encode(pem, "CERTIFICATE REQUEST", der.p, der.len);
	if (!pc_buf_ok(pem))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
out:
	pc_buf_free(&der);
	pc_buf_free(&subject);
	return rc;
}

/* ra.key is opened with the station passphrase whenever serve starts:
 * it costs what the officer chose for station.key at init. */
PC_CHECK static pc_rc ra_station_kdf(const char *dir, tr_kdf *k, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	pc_rc rc;

	PC_TRY(st_path_join(path, dir, "station.key", e));
	PC_TRY(pc_file_read(path, ST_KEYFILE_MAX, &text, &len, e));
	rc = tr_seckey_kdf(text, len, path, k, e);
	sodium_memzero(text, len);
	free(text);
	return rc;
}

pc_rc st_ra_key(const st_args *a, pc_err *e)
{
	char path[PATH_MAX], csr_path[PATH_MAX], subject[TR_SEGMENT_MAX + 64], keyid[17];
	char prompt[PATH_MAX + 64];
	st_conf conf;
	tr_pubkey station, pub;
	tr_seckey sk = { { 0 }, NULL };
	tr_kdf kdf;
	pc_secret pass = { NULL, 0 };
	pc_buf file = PC_BUF_INIT, pem = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(st_conf_load(a->dir, &conf, e));
	PC_TRY(st_pubkey_load(a->dir, "station.pub", &station, e));
	PC_TRY(st_path_join(path, a->dir, "ra.key", e));
	PC_TRY(st_path_join(csr_path, a->dir, "ra.csr", e));
	if (access(path, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s exists: this station has its RA key (move it away "
		    "first to make a new one)", path);
	tr_keyid_text(station.keyid, keyid);
	snprintf(subject, sizeof subject, "/O=plantca/OU=%s/CN=CMP RA %s", conf.segment, keyid);
	snprintf(prompt, sizeof prompt, "Passphrase (the station key's) for %s", path);
	PC_TRY(ra_station_kdf(a->dir, &kdf, e));
	PC_TRY(pc_secret_read(&pass, a->o.pass_file, prompt, e));
	rc = tr_seckey_generate(&pass, &kdf, &file, &pub, &sk, e);
	pc_secret_free(&pass);
	if (rc == PC_OK)
		rc = ra_csr(&sk, subject, &pem, e);
	if (rc == PC_OK)
		rc = pc_file_write_atomic(path, file.p, file.len, 0600, true, e);
	if (rc == PC_OK && (rc = pc_file_write_atomic(csr_path, pem.p, pem.len, 0644, false, e)) != PC_OK)
		(void)unlink(path);
	if (rc == PC_OK) {
		/* DIR/ra.pub: how accept recognises the RA certificate */
		pc_buf pb = PC_BUF_INIT;
		char pub_path[PATH_MAX];
		tr_pubkey_format(&pub, NULL, &pb);
		rc = st_path_join(pub_path, a->dir, "ra.pub", e);
		if (rc == PC_OK)
			rc = pc_buf_ok(&pb) ? pc_file_write_atomic(pub_path, pb.p, pb.len, 0644, false, e) :
			    pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&pb);
	}
	if (rc == PC_OK) {
		if (a->o.json) {
			printf("{\"key\":");
			json_str(stdout, path);
			printf(",\"csr\":");
			json_str(stdout, csr_path);
			printf(",\"subject\":");
			json_str(stdout, subject);
			printf(",\"profile\":\"cmp-ra\"}\n");
		} else {
			printf("%s\n%s\nsubject %s\nnext: plantca-station request %s --profile cmp-ra %s "
			    "-o MEDIA_DIR\n", path, csr_path, subject, a->dir, csr_path);
		}
	}
	tr_seckey_free(&sk);
	if (file.p != NULL)
		sodium_memzero(file.p, file.len);
	pc_buf_free(&file);
	pc_buf_free(&pem);
	return rc;
}
