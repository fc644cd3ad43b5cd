/*
 * firmware_sign.c - `plantca firmware sign`: a detached CMS signature
 * (RFC 5652, RFC 4108 attributes) over an image, made in the token and
 * checked by our verifier before it is written.  See firmware.h.
 */
#include "firmware.h"

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

/* The RFC 4108 attributes: package "NAME:VERSION" (legacy form) and the
 * target hardware, as pkix_cms_attrs_build wants them; values in *pkg_v
 * and *tgt_v, which the caller frees. */
PC_CHECK static pc_rc fw_attrs(const char *pkg_id, const char *const *targets, size_t ntargets,
    pkix_cms_attr *a, size_t *n, pc_der *pkg_v, pc_der *tgt_v, pc_err *e)
{
	size_t i;

	pc_der_init(pkg_v);
	pc_der_init(tgt_v);
	/* firmwarePackageID, legacy name form (RFC 4108 §2.2.3) */
	pc_der_begin(pkg_v, DER_SEQUENCE);
	pc_der_tlv(pkg_v, DER_OCTET_STRING, pkg_id, strlen(pkg_id));
	pc_der_end(pkg_v);
	/* targetHardwareIDs (RFC 4108 §2.2.4) */
	pc_der_begin(tgt_v, DER_SEQUENCE);
	for (i = 0; i < ntargets; i++)
		pc_der_oid_text(tgt_v, targets[i]);
	pc_der_end(tgt_v);
	if (!pc_der_ok(pkg_v) || !pc_der_ok(tgt_v))
		return pc_fail(e, PC_E_NOMEM, "cannot encode the signed attributes");
	*n = 0;
	a[(*n)++] = (pkix_cms_attr){ PKIX_OID_FW_PACKAGE_ID, pkg_v->b.p, pkg_v->b.len };
	if (ntargets)
		a[(*n)++] = (pkix_cms_attr){ PKIX_OID_FW_TARGET_HW, tgt_v->b.p, tgt_v->b.len };
	return PC_OK;
}

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

pc_rc ca_fw_sign(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e)
{
	ca_signer_rec s;
	ca_cert_rec cr;
	store_txn *t = NULL;
	uint8_t *certs[FW_CHAIN_MAX] = { NULL };
	size_t cert_len[FW_CHAIN_MAX] = { 0 }, ncerts = 0, i, spki_len, sigalg_len;
	pkix_cert sv;
	hsm_key *k = NULL;
	pkix_hash h;
	fw_version ver;
	uint8_t digest[PKIX_HASH_MAX], b2[64];
	uint64_t size = 0;
	char out_path[PATH_MAX], ms_path[PATH_MAX], pkg_id[FW_PKG_MAX + FW_VERSION_TEXT_MAX + 2];
	char hex[2 * PKIX_SERIAL_LEN + 1], dhex[2 * PKIX_HASH_MAX + 1];
	const uint8_t *spki, *sigalg;
	pc_buf attrs = PC_BUF_INIT, tosign = PC_BUF_INIT, sig = PC_BUF_INIT, cms = PC_BUF_INIT;
	pc_buf minisig = PC_BUF_INIT, detail = PC_BUF_INIT;
	time_t now = time(NULL);
	const char *status, *pkg;
	pc_rc rc;

	memset(&s, 0, sizeof s);
	if (!o->image || !o->signer || !o->version)
		return pc_fail(e, PC_E_USAGE, "firmware sign needs IMAGE, --signer NAME and "
		    "--fw-version V");
	if (fw_version_parse(o->version, &ver, e) != PC_OK) {
		pc_wrap(e, "--fw-version");
		return e->rc = PC_E_USAGE;
	}
	pkg = o->package ? o->package : o->signer;
	if (!fw_package_name_ok(pkg, strlen(pkg)))
		return pc_fail(e, PC_E_USAGE, "package name '%s': 1-%d printable characters, no ':' "
		    "or space", pkg, FW_PKG_MAX);
	if (o->ntargets > FW_TARGETS_MAX)
		return pc_fail(e, PC_E_USAGE, "more than %d --target", FW_TARGETS_MAX);
	for (i = 0; i < o->ntargets; i++) {
		pc_buf tmp = PC_BUF_INIT;
		bool ok = pc_oid_from_text(&tmp, o->targets[i]) && tmp.len > 0;
		pc_buf_free(&tmp);
		if (!ok || strlen(o->targets[i]) >= FW_OID_TEXT_MAX)
			return pc_fail(e, PC_E_USAGE, "--target '%s': expected a dotted OID such as "
			    "1.3.6.1.4.1.99999.1.7", o->targets[i]);
	}
	snprintf(pkg_id, sizeof pkg_id, "%s:%s", pkg, o->version);
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

	/* the signer, its certificate and chain, from the store */
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_signer_get(t, o->signer, &s, e);
	if (rc == PC_OK) {
		pc_reader v;
		rc = store_get(t, STORE_CERTS, s.serial, PKIX_SERIAL_LEN, &v, e);
		if (rc == PC_OK)
			rc = ca_cert_rec_decode(v, &cr, e);
		else if (rc == PC_E_NOTFOUND)
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "signer '%s': its certificate is missing",
			    o->signer);
		if (rc == PC_OK) {
			status = ca_cert_status(t, &cr, now);
			ca_serial_hex(s.serial, PKIX_SERIAL_LEN, hex);
			if (strcmp(status, "revoked") == 0)
				rc = pc_fail(e, PC_E_REVOKED, "signer '%s' (certificate %s) is revoked",
				    o->signer, hex);
			else if (strcmp(status, "valid") != 0 || (time_t)cr.nb > now)
				rc = pc_fail(e, PC_E_EXPIRED, "signer '%s' (certificate %s) is not valid "
				    "now (%s)", o->signer, hex, status);
			if (rc == PC_OK) {
				certs[0] = malloc(cr.der_len);
				if (certs[0]) {
					memcpy(certs[0], cr.der, cr.der_len);
					cert_len[0] = cr.der_len;
					ncerts = 1;
				}
			}
			ca_cert_rec_free(&cr);
		}
	}
	if (rc == PC_OK && ncerts == 0)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	/* the issuing CA, then its parents up to the root */
	if (rc == PC_OK) {
		char *name = strdup(s.ca);
		while (rc == PC_OK && name && name[0] && ncerts < FW_CHAIN_MAX) {
			ca_rec r;
			if ((rc = ca_rec_get(t, name, &r, e)) != PC_OK)
				break;
			certs[ncerts] = r.cert;
			cert_len[ncerts++] = r.cert_len;
			r.cert = NULL;
			free(name);
			name = strcmp(r.name, "root") == 0 ? NULL : strdup(r.parent);
			ca_rec_free(&r);
		}
		free(name);
	}
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if (pkix_cert_parse(certs[0], cert_len[0], "certificate", &sv, NULL) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "signer '%s': malformed certificate", o->signer);
		goto out;
	}
	/* the packages the certificate registers it for (the verifiers refuse
	 * any other), before the token is touched */
	{
		fw_pkgs pk;
		char list[FW_SIGNER_PKGS_MAX * (FW_PKG_MAX + 2) + 1];
		rc = fw_cert_packages(certs[0], cert_len[0], &pk, e);
		if (rc == PC_E_NOTFOUND) {
			rc = pc_fail(e, PC_E_STATE, "signer '%s' (certificate %s) names no firmware "
			    "packages (made before signers were registered for packages), and the "
			    "verifiers refuse its signatures: make a new signer (plantca firmware signer "
			    "new NAME --package P)", o->signer, hex);
			goto out;
		}
		if (rc != PC_OK) {
			pc_wrap(e, "signer '%s'", o->signer);
			goto out;
		}
		if (!fw_pkgs_has(&pk, pkg)) {
			fw_pkgs_text(&pk, ", ", list, sizeof list);
			rc = pc_fail(e, PC_E_POLICY, "signer '%s' is not registered for firmware package "
			    "'%s' (it may sign %s)", o->signer, pkg, list);
			goto out;
		}
	}

	/* the key, which must be the certificate's */
	if ((rc = ca_hsm_ready(c, e)) != PC_OK || (rc = hsm_key_open(c->h, s.key_uri, &k, e)) != PC_OK)
		goto out;
	spki = hsm_key_spki(k, &spki_len);
	if (spki_len != sv.spki_len || memcmp(spki, sv.spki, spki_len) != 0) {
		rc = pc_fail(e, PC_E_HSM_KEY, "signer '%s': the token key is not the certificate's",
		    o->signer);
		goto out;
	}
	switch (hsm_key_alg(k)) {
	case HSM_EC_P256: h = PKIX_SHA256; break;
	case HSM_EC_P384: h = PKIX_SHA384; break;
	case HSM_ED25519: h = PKIX_SHA512; break;   /* RFC 8419 §3.1 */
	default:
		rc = pc_fail(e, PC_E_HSM_KEY, "signer '%s': unsupported key type", o->signer);
		goto out;
	}
	if (o->minisign && hsm_key_alg(k) != HSM_ED25519) {
		rc = pc_fail(e, PC_E_USAGE, "--minisign needs an Ed25519 signer; '%s' is %s", o->signer,
		    hsm_alg_name(hsm_key_alg(k)));
		goto out;
	}

	/* the image, streamed */
	if ((rc = fw_digest_file(o->image, h, digest, o->minisign ? b2 : NULL, &size, e)) != PC_OK)
		goto out;
	/* the signature covers the attributes' DER under the SET OF tag
	 * (RFC 5652 §5.4): pkix_cms_attrs_build hands back both */
	{
		pkix_cms_attr fa[2];
		size_t nfa = 0;
		pc_der pv, tv;
		rc = fw_attrs(pkg_id, o->targets, o->ntargets, fa, &nfa, &pv, &tv, e);
		if (rc == PC_OK)
			rc = pkix_cms_attrs_build(digest, pkix_hash_len(h), now, fa, nfa, &attrs,
			    &tosign, e);
		pc_der_free(&pv);
		pc_der_free(&tv);
		if (rc != PC_OK)
			goto out;
	}
	if ((rc = hsm_sign(k, tosign.p, tosign.len, &sig, e)) != PC_OK)
		goto out;
	sigalg = hsm_key_sigalg(k, &sigalg_len);
	if ((rc = pkix_cms_build(h, (const uint8_t *const *)certs, cert_len, ncerts, &sv, &attrs,
	    sigalg, sigalg_len, sig.p, sig.len, &cms, e)) != PC_OK)
		goto out;
	/* our own verifier reads what we wrote before anyone else does */
	{
		fw_cms pc;
		fw_result res;
		fw_blob anchor = { certs[ncerts - 1], cert_len[ncerts - 1], "the chain's root" };
		fw_check_opts co = { &anchor, 1, NULL, 0, NULL, NULL, now };
		if ((rc = fw_cms_parse(cms.p, cms.len, &pc, e)) != PC_OK ||
		    (rc = fw_cms_check(&pc, digest, pkix_hash_len(h), &co, &res, e)) != PC_OK) {
			pc_wrap(e, "self-check of the new signature failed (nothing written)");
			rc = PC_E_INTERNAL;
			e->rc = rc;
			goto out;
		}
	}
	if (o->minisign) {
		pc_buf tc = PC_BUF_INIT;
		const char *base = strrchr(o->image, '/');
		pc_buf_printf(&tc, "timestamp:%lld\tfile:%s\tfirmware:%s\tsigner:%s", (long long)now,
		    base ? base + 1 : o->image, pkg_id, o->signer);
		pc_buf_byte(&tc, 0);
		rc = pc_buf_ok(&tc) ? build_minisig(k, b2, o->signer, (const char *)tc.p, &minisig, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
		pc_buf_free(&tc);
		if (rc != PC_OK)
			goto out;
	}

	/* audit first: a signature that exists is always in the trail */
	pc_hex_str(dhex, sizeof dhex, digest, pkix_hash_len(h), 0);
	pc_buf_printf(&detail, "%s %s; size %" PRIu64 "; firmware %s; targets ", pkix_hash_name(h),
	    dhex, size, pkg_id);
	for (i = 0; i < o->ntargets; i++)
		pc_buf_printf(&detail, "%s%s", i ? "," : "", o->targets[i]);
	if (o->ntargets == 0)
		pc_buf_str(&detail, "(any)");
	pc_buf_printf(&detail, "; signer %s (certificate %s); output %s%s%s", o->signer, hex,
	    out_path, o->minisign ? ", " : "", o->minisign ? ms_path : "");
	pc_buf_byte(&detail, 0);
	if (!pc_buf_ok(&detail)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	rc = audit_append(t, now, "fw.sign", o->image, "ok", (const char *)detail.p, e);
	PC_TRY_OUT(store_end(&t, rc, e));
	if ((rc = pc_file_write_atomic(out_path, cms.p, cms.len, 0644, true, e)) != PC_OK)
		goto out;
	if (o->minisign &&
	    (rc = pc_file_write_atomic(ms_path, minisig.p, minisig.len, 0644, true, e)) != PC_OK)
		goto out;
	if (c->json) {
		printf("{\"signature\":");
		json_str(stdout, out_path);
		printf(",\"firmware\":");
		json_str(stdout, pkg_id);
		printf(",\"%s\":\"%s\",\"size\":%" PRIu64 ",\"signer\":", pkix_hash_name(h), dhex, size);
		json_str(stdout, o->signer);
		printf(",\"serial\":\"%s\"}\n", hex);
	} else {
		fprintf(stderr, "plantca: signed %s (%s %s) as %s with signer %s into %s%s%s\n",
		    o->image, pkix_hash_name(h), dhex, pkg_id, o->signer, out_path,
		    o->minisign ? " and " : "", o->minisign ? ms_path : "");
	}
out:
	store_abort(t);
	hsm_key_free(k);
	for (i = 0; i < FW_CHAIN_MAX; i++)
		free(certs[i]);
	ca_signer_rec_free(&s);
	pc_buf_free(&attrs);
	pc_buf_free(&tosign);
	pc_buf_free(&sig);
	pc_buf_free(&cms);
	pc_buf_free(&minisig);
	pc_buf_free(&detail);
	sodium_memzero(b2, sizeof b2);
	return rc;
}
