/*
 * firmware_sign.c - `plantca firmware sign`: a detached CMS signature
 * (RFC 5652, RFC 4108 attributes) over an image, made in the token and
 * checked by our verifier before it is written.  See firmware.h.
 */
#include "firmware.h"
#include "firmware_key.h"

#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "der.h"
#include "file.h"
#include "format.h"
#include "fwverify.h"
#include "json.h"
#include "minisign_key.h"
#include "pem.h"
#include "records.h"

/* minisign, prehashed (algorithm "ED"): Ed25519 over BLAKE2b-512 of the
 * image (hashed while it streamed), written by transfer/'s minisign writer,
 * which checks both signatures the token makes. */
PC_CHECK static pc_rc build_minisig(hsm_key *k, const uint8_t b2[TR_PREHASH_LEN],
    const char *signer, const char *trusted, pc_buf *out, pc_err *e)
{
	size_t spl = 0;
	const uint8_t *spk = hsm_key_spki(k, &spl);
	const uint8_t *pk = pkix_ed25519_raw(spk, spl);
	uint8_t id[TR_KEYID_LEN];
	char untrusted[TR_COMMENT_MAX + 1];
	tr_pubkey pub;

	if (pk == NULL)
		return pc_fail(e, PC_E_USAGE, "--minisign needs an Ed25519 signer");
	ca_fw_minisign_keyid(pk, id);
	PC_TRY(ca_token_minisign_pub(k, id, &pub, e));
	snprintf(untrusted, sizeof untrusted, "signature from plantca firmware signer %s", signer);
	return tr_minisig_make_prehashed(b2, &pub, untrusted, trusted, ca_token_ed25519_sign, k,
	    out, e);
}

/* The image's detached CMS beside it (IMAGE.p7s or -o), and with
 * --minisign a minisign signature too. */
PC_CHECK static pc_rc sign_cms(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e)
{
	ca_fw_key fk;
	uint8_t digest[PKIX_HASH_MAX], b2[64];
	uint64_t size = 0;
	char out_path[PATH_MAX], ms_path[PATH_MAX], pkg_id[FW_PKG_ID_MAX];
	pc_buf cms = PC_BUF_INIT, minisig = PC_BUF_INIT;
	time_t now = time(NULL);
	pc_rc rc;

	memset(&fk, 0, sizeof fk);
	PC_TRY_OUT(ca_fw_opts_check(o, pkg_id, e));
	if (snprintf(out_path, sizeof out_path, "%s", o->out ? o->out : o->image) >=
	    (int)sizeof out_path - 5)
		return pc_fail(e, PC_E_USAGE, "output path too long");
	if (!o->out)
		strcat(out_path, ".p7s");
	{
		size_t l = strlen(out_path);
		snprintf(ms_path, sizeof ms_path, "%.*s.minisig",
		    (int)(l > 4 && strcmp(out_path + l - 4, ".p7s") == 0 ? l - 4 : l), out_path);
	}
	if (access(out_path, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", out_path);
	if (o->minisign && access(ms_path, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", ms_path);

	PC_TRY_OUT(ca_fw_key_open(c, o->signer, o->package ? o->package : o->signer, now, &fk, e));
	if (o->minisign && hsm_key_alg(fk.k) != HSM_ED25519) {
		rc = pc_fail(e, PC_E_USAGE, "--minisign needs an Ed25519 signer; '%s' is %s", o->signer,
		    hsm_alg_name(hsm_key_alg(fk.k)));
		goto out;
	}
	/* the image, streamed */
	PC_TRY_OUT(fw_digest_file(o->image, fk.h, digest, o->minisign ? b2 : NULL, &size, e));
	PC_TRY_OUT(ca_fw_key_sign(&fk, digest, pkg_id, o->targets, o->ntargets, now, &cms, e));
	if (o->minisign) {
		pc_buf tc = PC_BUF_INIT;
		const char *base = strrchr(o->image, '/');
		pc_buf_printf(&tc, "timestamp:%lld\tfile:%s\tfirmware:%s\tsigner:%s", (long long)now,
		    base ? base + 1 : o->image, pkg_id, o->signer);
		pc_buf_byte(&tc, 0);
		rc = pc_buf_ok(&tc) ? build_minisig(fk.k, b2, o->signer, (const char *)tc.p, &minisig,
		    e) : pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&tc);
		if (rc != PC_OK)
			goto out;
	}
	{
		/* audit and inventory first: a signature that exists is recorded */
		ca_fw_made m = { "cms", o->image, out_path, o->minisign ? ms_path : NULL, pkg_id,
			o->version, o->package ? o->package : o->signer, digest, size, o->targets,
			o->ntargets };
		PC_TRY_OUT(ca_fw_record(c, &fk, &m, now, e));
		PC_TRY_OUT(pc_file_write_atomic(out_path, cms.p, cms.len, 0644, true, e));
		if (o->minisign)
			PC_TRY_OUT(pc_file_write_atomic(ms_path, minisig.p, minisig.len, 0644, true, e));
		ca_fw_report(c, &fk, &m, o->signer);
	}
out:
	ca_fw_key_close(&fk);
	pc_buf_free(&cms);
	pc_buf_free(&minisig);
	sodium_memzero(b2, sizeof b2);
	return rc;
}

pc_rc ca_fw_sign(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e)
{
	if (o->format == NULL || strcmp(o->format, "cms") == 0)
		return sign_cms(c, o, e);
	if (o->minisign)
		return pc_fail(e, PC_E_USAGE, "--minisign goes with --format cms only");
	if (strcmp(o->format, "rauc") == 0)
		return ca_fw_sign_rauc(c, o, e);
	if (strcmp(o->format, "swupdate") == 0)
		return ca_fw_sign_swupdate(c, o, e);
	return pc_fail(e, PC_E_USAGE, "--format '%s': expected cms, rauc or swupdate", o->format);
}
