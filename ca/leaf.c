/*
 * leaf.c - a CSR judged and turned into the TBS of a leaf certificate,
 * without the HSM.  See leaf.h.
 */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capolicy.h"
#include "cmp.h"
#include "format.h"
#include "leaf.h"
#include "lint.h"

/* The issuer's part of a TBS: fresh serial, the issuer key's signature
 * algorithm, issuer name and key id, validity from now (back-dated for clock
 * skew) for `days`, never beyond the issuer's own notAfter. */
void ca_tbs_issued_by(pkix_tbs_params *p, const ca_rec *issuer, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t ikid[PKIX_KEYID_LEN], unsigned days, time_t now)
{
	pkix_serial_new(p->serial);
	p->sigalg = sigalg;
	p->sigalg_len = sigalg_len;
	p->issuer = issuer->v.subject;
	p->issuer_len = issuer->v.subject_len;
	p->issuer_keyid = ikid;
	p->not_before = now - CA_SKEW_SECONDS;
	p->not_after = now + (time_t)days * PC_DAY;
	if (p->not_after > issuer->v.not_after)
		p->not_after = issuer->v.not_after;   /* never outlive the issuer */
}

pc_rc ca_prepare_leaf(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const uint8_t *buf, size_t len, const char *path, const char *what, const char *segment,
    const char *station, unsigned days, ca_job *j, pc_err *e)
{
	pkix_csr csr;
	pc_rc rc;

	memset(j, 0, sizeof *j);
	rc = pkix_csr_parse(buf, len, what ? what : path, &csr, e);
	if (rc != PC_OK)
		return rc;
	rc = ca_prepare_leaf_parsed(ca_name, pol, profile, issuer, sigalg, sigalg_len, ikid, &csr,
	    path, what, segment, station, days, j, e);
	pkix_csr_free(&csr);
	return rc;
}

pc_rc ca_prepare_leaf_parsed(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const pkix_csr *csr, const char *path, const char *what, const char *segment,
    const char *station, unsigned days, ca_job *j, pc_err *e)
{
	pkix_tbs_params p;
	pc_buf subject = PC_BUF_INIT;
	const char *eku[POLICY_EKU_MAX + 1];
	ca_lint_expect lx;
	time_t now = time(NULL);
	pc_rc rc;

	if (what == NULL)
		what = path;
	memset(j, 0, sizeof *j);
	memset(&p, 0, sizeof p);
	/* the policy decides everything but the key: nothing else is copied */
	rc = ca_policy_apply(pol, csr, profile, ca_name, segment, station, days, false, what, &p,
	    &subject, &days, eku, e);
	if (rc != PC_OK)
		goto out;
	/* an RA certificate (id-kp-cmcRA) goes only to the enrolled station
	 * that asked for it: its bundle signed the request and the subject
	 * names its key id (plantca-station ra-key writes "CMP RA KEYID") */
	for (size_t k = 0; rc == PC_OK && eku[k] != NULL; k++) {
		const uint8_t *cn;
		size_t cnl;
		char want[32];
		if (strcmp(eku[k], pkix_oid_dotted(PKIX_OID_KP_CMC_RA)) != 0)
			continue;
		snprintf(want, sizeof want, "CMP RA %s", station ? station : "");
		if (station == NULL || segment == NULL)
			rc = pc_fail(e, PC_E_POLICY, "%s: profile %s (id-kp-cmcRA) is issued only to an "
			    "enrolled station's own request, in its request bundle", what, profile);
		else if (!pkix_name_find(subject.p, subject.len, PKIX_OID_AT_CN, &cn, &cnl) ||
		    cnl != strlen(want) || memcmp(cn, want, cnl) != 0)
			rc = pc_fail(e, PC_E_POLICY, "%s: profile %s: the subject's CN must be '%s', the "
			    "station that signed the bundle (plantca-station ra-key)", what, profile, want);
	}
	if (rc != PC_OK)
		goto out;
	ca_tbs_issued_by(&p, issuer, sigalg, sigalg_len, ikid, days, now);
	memcpy(j->serial, p.serial, PKIX_SERIAL_LEN);
	p.spki = csr->spki;
	p.spki_len = csr->spki_len;
	j->issuer = ca_name;
	j->kind = "leaf";
	j->profile = profile;
	j->source = path;
	j->segment = segment ? segment : "";
	j->policy_hash = policy_hash(pol);
	j->nb = p.not_before;
	j->na = p.not_after;
	pkix_keytype_name(csr->keytype, csr->bits, j->keytype, sizeof j->keytype);
	if ((rc = ca_name_text(subject.p, subject.len, &j->subject_text, e)) != PC_OK) {
		pc_wrap(e, "%s", what);
		goto out;
	}
	j->san_text = ca_san_text(csr->san, csr->nsan);
	if (j->san_text == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	rc = pkix_tbs_build(&p, &j->tbs, e);
	if (rc != PC_OK) {
		pc_wrap(e, "%s", what);
		goto out;
	}
	/* an independent look at the bytes the HSM would sign */
	lx.is_ca = false;
	lx.key_usage = p.key_usage;
	lx.eku = eku;
	lx.max_days = days;
	lx.fw_packages = NULL;       /* never a firmware signer */
	rc = ca_lint_tbs(j->tbs.p, j->tbs.len, issuer->cert, issuer->cert_len, &lx, what, e);
out:
	pc_buf_free(&subject);
	if (rc != PC_OK)
		ca_job_free(j);
	return rc;
}

pc_rc ca_renewal_csr(const uint8_t *der, size_t len, const char *what, pkix_csr *csr,
    pc_err *e)
{
	pkix_cert c;
	pkix_pubkey k;
	pc_reader san;
	pc_buf b = PC_BUF_INIT;

	memset(csr, 0, sizeof *csr);
	PC_TRY(pkix_cert_parse(der, len, what, &c, e));
	PC_TRY(pkix_pubkey_parse(c.spki, c.spki_len, what, PC_E_CSR, &k, e));
	san = c.san;
	while (pc_reader_left(&san) > 0) {
		pc_reader gv;
		uint8_t tag;
		if (!pc_der_read_any(&san, &tag, &gv, NULL, NULL))
			return pc_fail(e, PC_E_CSR, "%s: malformed subjectAltName", what);
		if (csr->nsan >= PKIX_SAN_MAX)
			return pc_fail(e, PC_E_CSR, "%s: more than %d SAN entries", what, PKIX_SAN_MAX);
		PC_TRY(pkix_gn_from_der(tag, gv, &csr->san[csr->nsan], what, e));
		csr->nsan++;
	}
	pc_buf_append(&b, c.subject, c.subject_len);
	pc_buf_append(&b, c.spki, c.spki_len);
	if (!pc_buf_ok(&b)) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	csr->subject_len = c.subject_len;
	csr->der_len = b.len;
	csr->der = pc_buf_steal(&b, &csr->der_len);
	csr->subject = csr->der;
	csr->spki = csr->der + c.subject_len;
	csr->spki_len = c.spki_len;
	csr->keytype = k.type;
	csr->bits = k.bits;
	csr->sigalg = c.sigalg;
	return PC_OK;
}

pc_rc ca_request_prepare(const policy *pol, const ca_request *r, const pkix_csr *csr,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const char *source,
    const char *what, ca_job *j, pc_err *e)
{
	uint8_t ikid[PKIX_KEYID_LEN];

	memset(j, 0, sizeof *j);
	if (pkix_keyid(issuer->v.spki, issuer->v.spki_len, ikid) != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': malformed key in its certificate",
		    r->ca);
	/* days 0: a station asks for the profile's default validity */
	if (csr != NULL)
		return ca_prepare_leaf_parsed(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid,
		    csr, source, what, r->segment, r->station, 0, j, e);
	if (r->has_renews) {
		/* plantca renew: the stored bytes are the certificate renewed,
		 * pinned by the SHA-256 recorded when renew queued it */
		pkix_csr c2;
		uint8_t h[32];
		pc_rc rc;
		crypto_hash_sha256(h, r->csr, r->csr_len);
		if (!r->has_csr_sha256 || sodium_memcmp(h, r->csr_sha256, sizeof h) != 0)
			return pc_fail(e, PC_E_STORE_CORRUPT, "%s: the stored certificate is not the one "
			    "renew queued (its SHA-256 differs from the request record's)",
			    what ? what : source);
		PC_TRY(ca_renewal_csr(r->csr, r->csr_len, what ? what : source, &c2, e));
		rc = ca_prepare_leaf_parsed(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid,
		    &c2, source, what, r->segment, r->station, 0, j, e);
		pkix_csr_free(&c2);
		return rc;
	}
	if (ca_cmp_member(r->member)) {
		/* a device's CMP request: its template, from the signed message */
		pkix_csr c2;
		pc_rc rc;
		PC_TRY(ca_cmp_csr(r->csr, r->csr_len, what ? what : source, &c2, e));
		rc = ca_prepare_leaf_parsed(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid,
		    &c2, source, what, r->segment, r->station, 0, j, e);
		pkix_csr_free(&c2);
		return rc;
	}
	/* a CSR import checked: the stored bytes, if they are the ones checked
	 * then, are not checked again (docs/architecture.md "A CSR is checked
	 * where it enters") */
	{
		pkix_csr c2;
		uint8_t h[32];
		pc_rc rc;
		if (!r->has_csr_sha256 || r->csr_len != r->csr_bytes)
			return ca_prepare_leaf(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid,
			    r->csr, r->csr_len, source, what, r->segment, r->station, 0, j, e);
		crypto_hash_sha256(h, r->csr, r->csr_len);
		if (sodium_memcmp(h, r->csr_sha256, sizeof h) != 0)
			return pc_fail(e, PC_E_STORE_CORRUPT, "%s: the stored CSR is not the one import "
			    "checked (its SHA-256 differs from the request record's)", what ? what : source);
		PC_TRY(pkix_csr_parse_verified(r->csr, r->csr_len, what ? what : source, &c2, e));
		rc = ca_prepare_leaf_parsed(r->ca, pol, r->profile, issuer, sigalg, sigalg_len, ikid,
		    &c2, source, what, r->segment, r->station, 0, j, e);
		pkix_csr_free(&c2);
		return rc;
	}
}
