/*
 * firmware_key.c - the signer side every format of `plantca firmware sign`
 * shares: checks of the options, the signer opened, one CMS made in the
 * token and checked, the signature recorded.  See firmware_key.h.
 */
#include "firmware_key.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cagen.h"
#include "der.h"
#include "format.h"
#include "json.h"
#include "pem.h"
#include "records.h"

pc_rc ca_fw_opts_check(const ca_fw_sign_opts *o, char pkg_id[FW_PKG_ID_MAX], pc_err *e)
{
	fw_version ver;
	const char *pkg;
	size_t i;

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
	snprintf(pkg_id, FW_PKG_ID_MAX, "%s:%s", pkg, o->version);
	return PC_OK;
}

/* The signer record, its certificate (valid now) and the chain up to the
 * root, from the store, in one read transaction. */
PC_CHECK static pc_rc load_chain(ca_ctx *c, const char *name, time_t now, ca_fw_key *fk,
    pc_err *e)
{
	store_txn *t = NULL;
	ca_cert_rec cr;
	pc_reader v;
	const char *status;
	char *ca = NULL;
	pc_rc rc;

	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	PC_TRY_OUT(ca_signer_get(t, name, &fk->s, e));
	rc = store_get(t, STORE_CERTS, fk->s.serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "signer '%s': its certificate is missing", name);
	if (rc != PC_OK)
		goto out;
	PC_TRY_OUT(ca_cert_rec_decode(v, &cr, e));
	status = ca_cert_status(t, &cr, now);
	ca_serial_hex(fk->s.serial, PKIX_SERIAL_LEN, fk->hex);
	if (strcmp(status, "revoked") == 0)
		rc = pc_fail(e, PC_E_REVOKED, "signer '%s' (certificate %s) is revoked", name, fk->hex);
	else if (strcmp(status, "valid") != 0 || (time_t)cr.nb > now)
		rc = pc_fail(e, PC_E_EXPIRED, "signer '%s' (certificate %s) is not valid now (%s)",
		    name, fk->hex, status);
	else if ((fk->certs[0] = malloc(cr.der_len)) == NULL)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	else {
		memcpy(fk->certs[0], cr.der, cr.der_len);
		fk->cert_len[0] = cr.der_len;
		fk->ncerts = 1;
	}
	ca_cert_rec_free(&cr);
	if (rc != PC_OK)
		goto out;
	/* the issuing CA, then its parents up to the root */
	if ((ca = strdup(fk->s.ca)) == NULL)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	while (rc == PC_OK && ca && ca[0] && fk->ncerts < FW_CHAIN_MAX) {
		ca_rec r;
		pkix_cert sc;
		pc_err ign;
		/* the signer's issuer by key: a rolled CA has more than one (cagen.h) */
		if (fk->ncerts == 1 && pkix_cert_parse(fk->certs[0], fk->cert_len[0], "certificate",
		    &sc, &ign) == PC_OK)
			rc = ca_rec_for_kid(t, ca, sc.aki, sc.aki_len, &r, e);
		else
			rc = ca_rec_get(t, ca, &r, e);
		if (rc != PC_OK)
			break;
		fk->certs[fk->ncerts] = r.cert;
		fk->cert_len[fk->ncerts++] = r.cert_len;
		r.cert = NULL;
		free(ca);
		ca = strcmp(r.name, "root") == 0 ? NULL : strdup(r.parent);
		ca_rec_free(&r);
	}
out:
	free(ca);
	store_abort(t);
	return rc;
}

pc_rc ca_fw_key_open(ca_ctx *c, const char *name, const char *pkg, time_t now, ca_fw_key *fk,
    pc_err *e)
{
	char list[FW_SIGNER_PKGS_MAX * (FW_PKG_MAX + 2) + 1];
	const uint8_t *spki;
	size_t spki_len;
	fw_pkgs pk;
	pc_rc rc;

	memset(fk, 0, sizeof *fk);
	PC_TRY(load_chain(c, name, now, fk, e));
	if (pkix_cert_parse(fk->certs[0], fk->cert_len[0], "certificate", &fk->sv, NULL) != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "signer '%s': malformed certificate", name);
	/* the packages the certificate registers it for (the verifiers refuse
	 * any other), before the token is touched */
	rc = fw_cert_packages(fk->certs[0], fk->cert_len[0], &pk, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_STATE, "signer '%s' (certificate %s) names no firmware "
		    "packages (made before signers were registered for packages), and the "
		    "verifiers refuse its signatures: make a new signer (plantca firmware signer "
		    "new NAME --package P)", name, fk->hex);
	if (rc != PC_OK)
		return pc_wrap(e, "signer '%s'", name);
	if (!fw_pkgs_has(&pk, pkg)) {
		fw_pkgs_text(&pk, ", ", list, sizeof list);
		return pc_fail(e, PC_E_POLICY, "signer '%s' is not registered for firmware package "
		    "'%s' (it may sign %s)", name, pkg, list);
	}
	/* the key, which must be the certificate's */
	PC_TRY(ca_hsm_ready(c, e));
	PC_TRY(hsm_key_open(c->h, fk->s.key_uri, &fk->k, e));
	spki = hsm_key_spki(fk->k, &spki_len);
	if (spki_len != fk->sv.spki_len || memcmp(spki, fk->sv.spki, spki_len) != 0)
		return pc_fail(e, PC_E_HSM_KEY, "signer '%s': the token key is not the certificate's",
		    name);
	switch (hsm_key_alg(fk->k)) {
	case HSM_EC_P256: fk->h = PKIX_SHA256; break;
	case HSM_EC_P384: fk->h = PKIX_SHA384; break;
	case HSM_ED25519: fk->h = PKIX_SHA512; break;   /* RFC 8419 §3.1 */
	default:
		return pc_fail(e, PC_E_HSM_KEY, "signer '%s': unsupported key type", name);
	}
	return PC_OK;
}

void ca_fw_key_close(ca_fw_key *fk)
{
	size_t i;

	hsm_key_free(fk->k);
	fk->k = NULL;
	for (i = 0; i < FW_CHAIN_MAX; i++) {
		free(fk->certs[i]);
		fk->certs[i] = NULL;
	}
	ca_signer_rec_free(&fk->s);
}

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

pc_rc ca_fw_key_sign(ca_fw_key *fk, const uint8_t *digest, const char *pkg_id,
    const char *const *targets, size_t ntargets, time_t now, pc_buf *cms, pc_err *e)
{
	pc_buf attrs = PC_BUF_INIT, tosign = PC_BUF_INIT, sig = PC_BUF_INIT;
	pkix_cms_attr fa[2];
	size_t nfa = 0, sigalg_len;
	const uint8_t *sigalg;
	pc_der pv, tv;
	fw_cms pc;
	fw_result res;
	fw_blob anchor = { fk->certs[fk->ncerts - 1], fk->cert_len[fk->ncerts - 1],
		"the chain's root" };
	fw_check_opts co = { &anchor, 1, NULL, 0, NULL, NULL, now };
	pc_rc rc;

	/* the signature covers the attributes' DER under the SET OF tag
	 * (RFC 5652 §5.4): pkix_cms_attrs_build hands back both */
	rc = fw_attrs(pkg_id, targets, ntargets, fa, &nfa, &pv, &tv, e);
	if (rc == PC_OK)
		rc = pkix_cms_attrs_build(digest, pkix_hash_len(fk->h), now, fa, nfa, &attrs, &tosign,
		    e);
	pc_der_free(&pv);
	pc_der_free(&tv);
	if (rc != PC_OK)
		goto out;
	PC_TRY_OUT(hsm_sign(fk->k, tosign.p, tosign.len, &sig, e));
	sigalg = hsm_key_sigalg(fk->k, &sigalg_len);
	PC_TRY_OUT(pkix_cms_build(fk->h, (const uint8_t *const *)fk->certs, fk->cert_len,
	    fk->ncerts, &fk->sv, &attrs, sigalg, sigalg_len, sig.p, sig.len, cms, e));
	/* our own verifier reads what we wrote before anyone else does */
	if ((rc = fw_cms_parse(cms->p, cms->len, &pc, e)) != PC_OK ||
	    (rc = fw_cms_check(&pc, digest, pkix_hash_len(fk->h), &co, &res, e)) != PC_OK) {
		pc_wrap(e, "self-check of the new signature failed (nothing written)");
		rc = e->rc = PC_E_INTERNAL;
	}
out:
	pc_buf_free(&attrs);
	pc_buf_free(&tosign);
	pc_buf_free(&sig);
	return rc;
}

pc_rc ca_fw_record(ca_ctx *c, const ca_fw_key *fk, const ca_fw_made *m, time_t now, pc_err *e)
{
	char dhex[2 * PKIX_HASH_MAX + 1];
	pc_buf detail = PC_BUF_INIT;
	store_txn *t = NULL;
	size_t i;
	pc_rc rc;
	ca_fw_sig_rec r = {
		.format = (char *)m->format, .signer = fk->s.name, .package = (char *)m->package,
		.version = (char *)m->version, .hash = (char *)pkix_hash_name(fk->h), .digest = dhex,
		.size = m->size, .input = (char *)m->input, .output = (char *)m->output,
		.created = (uint64_t)now,
	};

	memcpy(r.serial, fk->s.serial, PKIX_SERIAL_LEN);
	pc_hex_str(dhex, sizeof dhex, m->digest, pkix_hash_len(fk->h), 0);
	pc_buf_printf(&detail, "%s %s; size %" PRIu64 "; firmware %s; targets ", pkix_hash_name(fk->h),
	    dhex, m->size, m->pkg_id);
	for (i = 0; i < m->ntargets; i++)
		pc_buf_printf(&detail, "%s%s", i ? "," : "", m->targets[i]);
	if (m->ntargets == 0)
		pc_buf_str(&detail, "(any)");
	pc_buf_printf(&detail, "; signer %s (certificate %s); format %s; output %s%s%s", fk->s.name,
	    fk->hex, m->format, m->output, m->extra_output ? ", " : "",
	    m->extra_output ? m->extra_output : "");
	pc_buf_byte(&detail, 0);
	if (!pc_buf_ok(&detail))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	/* a signature that exists is always in the trail and the inventory */
	rc = store_begin(c->st, true, &t, e);
	if (rc == PC_OK)
		rc = audit_append(t, now, "fw.sign", m->input, "ok", (const char *)detail.p, e);
	if (rc == PC_OK)
		rc = ca_fw_sig_put(t, &r, e);
	if (t)
		rc = store_end(&t, rc, e);
	pc_buf_free(&detail);
	return rc;
}

void ca_fw_report(const ca_ctx *c, const ca_fw_key *fk, const ca_fw_made *m, const char *signer)
{
	char dhex[2 * PKIX_HASH_MAX + 1];

	pc_hex_str(dhex, sizeof dhex, m->digest, pkix_hash_len(fk->h), 0);
	if (c->json) {
		printf("{\"format\":\"%s\",\"signature\":", m->format);
		json_str(stdout, m->output);
		printf(",\"firmware\":");
		json_str(stdout, m->pkg_id);
		printf(",\"%s\":\"%s\",\"size\":%" PRIu64 ",\"signer\":", pkix_hash_name(fk->h), dhex,
		    m->size);
		json_str(stdout, signer);
		printf(",\"serial\":\"%s\"}\n", fk->hex);
	} else {
		fprintf(stderr, "plantca: signed %s (%s %s) as %s with signer %s into %s%s%s\n",
		    m->input, pkix_hash_name(fk->h), dhex, m->pkg_id, signer, m->output,
		    m->extra_output ? " and " : "", m->extra_output ? m->extra_output : "");
	}
}
