/*
 * firmware.c - firmware signers, signatures, their delivery queue.
 */
#include "firmware.h"

#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "file.h"
#include "fwverify.h"
#include "json.h"
#include "pem.h"
#include "rec.h"
#include "ca_int.h"

/* record types and fields (common/rec.h); never reorder, only add */
enum { REC_SIGNER = 'F', REC_FW_PENDING = 'P' };
enum { FS_F_NAME = 1, FS_F_KEY_URI, FS_F_SERIAL, FS_F_CA, FS_F_ALG, FS_F_CREATED };
enum { P_F_NAME = 1, P_F_SIG, P_F_CREATED, P_F_PACKAGE, P_F_VERSION };

#define META_SIGNER_PREFIX "signer."
#define META_FW_PENDING_PREFIX "fw.pending."
#define META_FW_SEQ "fw.pending.seq"

/* OIDs of the signed attributes (contents) */
static const uint8_t oid_signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const uint8_t oid_content_type[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03 };
static const uint8_t oid_msg_digest[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04 };
static const uint8_t oid_signing_time[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05 };
static const uint8_t oid_fw_pkg_id[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10,
	0x02, 0x23 };
static const uint8_t oid_fw_targets[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10,
	0x02, 0x24 };

typedef struct signer_rec {
	char *name, *key_uri, *ca;
	uint8_t serial[PKIX_SERIAL_LEN];
	uint64_t alg, created;
	bool have_serial;
} signer_rec;

static void signer_rec_free(signer_rec *s)
{
	free(s->name);
	free(s->key_uri);
	free(s->ca);
	memset(s, 0, sizeof *s);
}

static pc_rc signer_decode(pc_reader val, signer_rec *s, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;

	memset(s, 0, sizeof *s);
	if (!pc_rec_open(&val, REC_SIGNER, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "signer record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case FS_F_NAME: s->name = ca_strdup_reader(f); break;
		case FS_F_KEY_URI: s->key_uri = ca_strdup_reader(f); break;
		case FS_F_CA: s->ca = ca_strdup_reader(f); break;
		case FS_F_ALG: (void)pc_rec_val_u64(f, &s->alg); break;
		case FS_F_CREATED: (void)pc_rec_val_u64(f, &s->created); break;
		case FS_F_SERIAL:
			if (pc_reader_left(&f) == PKIX_SERIAL_LEN) {
				memcpy(s->serial, pc_reader_take(&f, PKIX_SERIAL_LEN), PKIX_SERIAL_LEN);
				s->have_serial = true;
			}
			break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !s->name || !s->key_uri || !s->ca || !s->have_serial) {
		signer_rec_free(s);
		return pc_fail(e, PC_E_STORE_CORRUPT, "signer record is truncated or malformed");
	}
	return PC_OK;
}

static pc_rc signer_key(const char *name, char *key, size_t n, pc_err *e)
{
	if (!valid_ca_name(name))
		return pc_fail(e, PC_E_USAGE, "signer name '%s': use 1-%d letters, digits, '-', '_', '.'",
		    name ? name : "", CA_NAME_MAX);
	snprintf(key, n, "%s%s", META_SIGNER_PREFIX, name);
	return PC_OK;
}

static pc_rc signer_get(store_txn *t, const char *name, signer_rec *s, pc_err *e)
{
	char key[16 + CA_NAME_MAX + 1];
	pc_reader val;
	pc_rc rc;

	PC_TRY(signer_key(name, key, sizeof key, e));
	rc = store_get(t, STORE_META, key, strlen(key), &val, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "signer '%s' does not exist (see plantca firmware "
		    "signer list)", name);
	if (rc != PC_OK)
		return rc;
	return signer_decode(val, s, e);
}

/* minisign key id of a signer: the first 8 bytes of BLAKE2b-256 of the raw
 * Ed25519 public key (minisign itself picks random ids; any fixed 8 bytes
 * work, and deriving them makes the id reproducible from the certificate). */
static void minisign_keyid(const uint8_t pk[32], uint8_t id[8])
{
	uint8_t h[32];

	crypto_generichash(h, sizeof h, pk, 32, NULL, 0);
	memcpy(id, h, 8);
}

static const uint8_t *ed25519_raw(const uint8_t *spki, size_t len)
{
	/* RFC 8410: 30 2a 30 05 06 03 2b 65 70 03 21 00 || 32 bytes */
	static const uint8_t hdr[] = { 0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03,
		0x21, 0x00 };
	if (len != sizeof hdr + 32 || memcmp(spki, hdr, sizeof hdr) != 0)
		return NULL;
	return spki + sizeof hdr;
}

/* ---------------------------------------------------------- signer new */

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
	PC_TRY(signer_key(o->name, key, sizeof key, e));
	snprintf(what, sizeof what, "firmware signer '%s'", o->name);
	if (!o->ca || !o->subject)
		return pc_fail(e, PC_E_USAGE, "firmware signer new needs --ca CA and --subject DN");
	PC_TRY(hsm_alg_parse(o->key ? o->key : "ec-p256", &alg, e));
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
	if (issuer.v.not_after <= now + 86400) {
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
	snprintf(label, sizeof label, "plantca-%s-fw-%s", idhex, o->name);
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
	if ((rc = ca_run_jobs(c, &j, 1, false, e)) != PC_OK)
		goto out;

	/* then the signer record, with its own audit event */
	pc_rec_begin(&rec, REC_SIGNER, 1);
	pc_rec_str(&rec, FS_F_NAME, o->name);
	pc_rec_str(&rec, FS_F_KEY_URI, hsm_key_uri(sk));
	pc_rec_bytes(&rec, FS_F_SERIAL, j.serial, PKIX_SERIAL_LEN);
	pc_rec_str(&rec, FS_F_CA, o->ca);
	pc_rec_u64(&rec, FS_F_ALG, alg);
	pc_rec_u64(&rec, FS_F_CREATED, (uint64_t)now);
	if (!pc_buf_ok(&rec)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
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
			const uint8_t *pk = ed25519_raw(spk, spl);
			uint8_t raw[2 + 8 + 32], id[8];
			char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
			char path[PATH_MAX];
			uint64_t idv = 0;
			pc_buf pub = PC_BUF_INIT;
			int i;

			if (pk == NULL) {
				rc = pc_fail(e, PC_E_INTERNAL, "Ed25519 key with an unexpected SPKI");
				goto out;
			}
			minisign_keyid(pk, id);
			raw[0] = 'E';
			raw[1] = 'd';
			memcpy(raw + 2, id, 8);
			memcpy(raw + 10, pk, 32);
			for (i = 7; i >= 0; i--)
				idv = (idv << 8) | id[i];
			sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
			pc_buf_printf(&pub, "untrusted comment: minisign public key %016" PRIX64
			    " (plantca firmware signer %s)\n%s\n", idv, o->name, b64);
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

static pc_rc slist_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct slist_ctx *l = ctx;
	signer_rec s;
	ca_cert_rec cr;
	pc_reader cv;
	char hex[2 * PKIX_SERIAL_LEN + 1];
	const char *status = "missing";
	fw_pkgs pk;
	pc_err pe;
	size_t i;

	PC_TRY(signer_decode(val, &s, e));
	ca_serial_hex(s.serial, PKIX_SERIAL_LEN, hex);
	memset(&pk, 0, sizeof pk);
	if (store_get(l->t, STORE_CERTS, s.serial, PKIX_SERIAL_LEN, &cv, e) == PC_OK &&
	    ca_cert_rec_decode(cv, &cr, e) == PC_OK) {
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
	signer_rec_free(&s);
	(void)key;
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

/* ---------------------------------------------------------------- sign */

/* DER SET OF: elements in ascending order of their encodings (X.690 §11.6) */
typedef struct enc { uint8_t *p; size_t len; } enc;

static int enc_cmp(const void *a, const void *b)
{
	const enc *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static bool attr_one(enc *out, const uint8_t *oid, size_t oidlen, const pc_der *value)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid, oidlen);
	pc_der_begin(&d, DER_SET);
	pc_der_raw(&d, value->b.p, value->b.len);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d) || !pc_der_ok(value)) {
		pc_der_free(&d);
		return false;
	}
	out->p = pc_buf_steal(&d.b, &out->len);
	return out->p != NULL;
}

/* The signed attributes, sorted, concatenated (the content of the SET). */
static pc_rc build_attrs(const uint8_t *digest, size_t dlen, time_t now, const char *pkg_id,
    const char *const *targets, size_t ntargets, pc_buf *out, pc_err *e)
{
	enc a[5];
	size_t n = 0, i;
	pc_der v;
	bool ok = true;

	memset(a, 0, sizeof a);
	/* contentType id-data (RFC 5652 §11.1) */
	pc_der_init(&v);
	pc_der_oid(&v, oid_data, sizeof oid_data);
	ok = ok && attr_one(&a[n++], oid_content_type, sizeof oid_content_type, &v);
	pc_der_free(&v);
	/* messageDigest (§11.2) */
	pc_der_init(&v);
	pc_der_tlv(&v, DER_OCTET_STRING, digest, dlen);
	ok = ok && attr_one(&a[n++], oid_msg_digest, sizeof oid_msg_digest, &v);
	pc_der_free(&v);
	/* signingTime (§11.3: UTCTime through 2049) */
	pc_der_init(&v);
	pc_der_time(&v, now);
	ok = ok && attr_one(&a[n++], oid_signing_time, sizeof oid_signing_time, &v);
	pc_der_free(&v);
	/* firmwarePackageID, legacy name form (RFC 4108 §2.2.3) */
	pc_der_init(&v);
	pc_der_begin(&v, DER_SEQUENCE);
	pc_der_tlv(&v, DER_OCTET_STRING, pkg_id, strlen(pkg_id));
	pc_der_end(&v);
	ok = ok && attr_one(&a[n++], oid_fw_pkg_id, sizeof oid_fw_pkg_id, &v);
	pc_der_free(&v);
	/* targetHardwareIDs (RFC 4108 §2.2.4) */
	if (ntargets) {
		pc_der_init(&v);
		pc_der_begin(&v, DER_SEQUENCE);
		for (i = 0; i < ntargets; i++)
			pc_der_oid_text(&v, targets[i]);
		pc_der_end(&v);
		ok = ok && attr_one(&a[n++], oid_fw_targets, sizeof oid_fw_targets, &v);
		pc_der_free(&v);
	}
	if (ok) {
		qsort(a, n, sizeof a[0], enc_cmp);
		for (i = 0; i < n; i++)
			pc_buf_append(out, a[i].p, a[i].len);
	}
	for (i = 0; i < n; i++)
		free(a[i].p);
	if (!ok || !pc_buf_ok(out))
		return pc_fail(e, PC_E_NOMEM, "cannot encode the signed attributes");
	return PC_OK;
}

static pc_rc build_cms(fw_hash h, const uint8_t *const *certs, const size_t *cert_len,
    size_t ncerts, const pkix_cert *sv, const pc_buf *attrs, const uint8_t *sigalg,
    size_t sigalg_len, const pc_buf *sig, pc_buf *out, pc_err *e)
{
	pc_der d;
	const uint8_t *ha;
	size_t hal, i;

	ha = fw_hash_algid(h, &hal);
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);                    /* ContentInfo */
	pc_der_oid(&d, oid_signed_data, sizeof oid_signed_data);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_begin(&d, DER_SEQUENCE);                    /* SignedData */
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SET);
	pc_der_raw(&d, ha, hal);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SEQUENCE);                    /* encapContentInfo, detached */
	pc_der_oid(&d, oid_data, sizeof oid_data);
	pc_der_end(&d);
	pc_der_begin(&d, DER_CTX_CONS | 0);                /* certificates */
	for (i = 0; i < ncerts; i++)
		pc_der_raw(&d, certs[i], cert_len[i]);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SET);                         /* signerInfos */
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SEQUENCE);                    /* issuerAndSerialNumber */
	pc_der_raw(&d, sv->issuer, sv->issuer_len);
	pc_der_tlv(&d, DER_INTEGER, sv->serial, sv->serial_len);
	pc_der_end(&d);
	pc_der_raw(&d, ha, hal);
	pc_der_tlv(&d, DER_CTX_CONS | 0, attrs->p, attrs->len);
	pc_der_raw(&d, sigalg, sigalg_len);
	pc_der_tlv(&d, DER_OCTET_STRING, sig->p, sig->len);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_NOMEM, "cannot encode the signature");
	}
	*out = d.b;
	return PC_OK;
}

/* minisign, prehashed (algorithm "ED"): Ed25519 over BLAKE2b-512 of the
 * file, then a global signature over that signature || trusted comment. */
static pc_rc build_minisig(hsm_key *k, const uint8_t b2[64], const char *signer,
    const char *trusted, pc_buf *out, pc_err *e)
{
	size_t spl = 0;
	const uint8_t *spk = hsm_key_spki(k, &spl);
	const uint8_t *pk = ed25519_raw(spk, spl);
	uint8_t raw[2 + 8 + 64], id[8];
	char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
	char gb64[sodium_base64_ENCODED_LEN(64, sodium_base64_VARIANT_ORIGINAL)];
	pc_buf sig = PC_BUF_INIT, glob = PC_BUF_INIT, gmsg = PC_BUF_INIT;
	pc_rc rc;

	if (pk == NULL)
		return pc_fail(e, PC_E_USAGE, "--minisign needs an Ed25519 signer");
	minisign_keyid(pk, id);
	rc = hsm_sign(k, b2, 64, &sig, e);
	if (rc == PC_OK && sig.len != 64)
		rc = pc_fail(e, PC_E_INTERNAL, "Ed25519 signature of %zu bytes", sig.len);
	if (rc == PC_OK) {
		pc_buf_append(&gmsg, sig.p, 64);
		pc_buf_str(&gmsg, trusted);
		rc = pc_buf_ok(&gmsg) ? hsm_sign(k, gmsg.p, gmsg.len, &glob, e) :
		    pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (rc == PC_OK) {
		raw[0] = 'E';
		raw[1] = 'D';
		memcpy(raw + 2, id, 8);
		memcpy(raw + 10, sig.p, 64);
		sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
		sodium_bin2base64(gb64, sizeof gb64, glob.p, 64, sodium_base64_VARIANT_ORIGINAL);
		pc_buf_printf(out, "untrusted comment: signature from plantca firmware signer %s\n%s\n"
		    "trusted comment: %s\n%s\n", signer, b64, trusted, gb64);
		if (!pc_buf_ok(out))
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_free(&sig);
	pc_buf_free(&glob);
	pc_buf_free(&gmsg);
	return rc;
}

pc_rc ca_fw_sign(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e)
{
	signer_rec s;
	ca_cert_rec cr;
	store_txn *t = NULL;
	uint8_t *certs[FW_CHAIN_MAX] = { NULL };
	size_t cert_len[FW_CHAIN_MAX] = { 0 }, ncerts = 0, i, spki_len, sigalg_len;
	pkix_cert sv;
	hsm_key *k = NULL;
	fw_hash h;
	fw_version ver;
	uint8_t digest[FW_DIGEST_MAX], b2[64];
	uint64_t size = 0;
	char out_path[PATH_MAX], ms_path[PATH_MAX], pkg_id[FW_PKG_MAX + FW_VERSION_TEXT_MAX + 2];
	char hex[2 * PKIX_SERIAL_LEN + 1], dhex[2 * FW_DIGEST_MAX + 1];
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
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = signer_get(t, o->signer, &s, e);
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
	case HSM_EC_P256: h = FW_SHA256; break;
	case HSM_EC_P384: h = FW_SHA384; break;
	case HSM_ED25519: h = FW_SHA512; break;   /* RFC 8419 §3.1 */
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
	if ((rc = build_attrs(digest, fw_hash_len(h), now, pkg_id, o->targets, o->ntargets, &attrs,
	    e)) != PC_OK)
		goto out;
	/* RFC 5652 §5.4: the signature covers the attributes' DER with the
	 * explicit SET OF tag, not the [0] IMPLICIT one they travel under */
	{
		pc_der d;
		pc_der_init(&d);
		pc_der_tlv(&d, DER_SET, attrs.p, attrs.len);
		if (!pc_der_ok(&d)) {
			pc_der_free(&d);
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		tosign = d.b;
	}
	if ((rc = hsm_sign(k, tosign.p, tosign.len, &sig, e)) != PC_OK)
		goto out;
	sigalg = hsm_key_sigalg(k, &sigalg_len);
	if ((rc = build_cms(h, (const uint8_t *const *)certs, cert_len, ncerts, &sv, &attrs, sigalg,
	    sigalg_len, &sig, &cms, e)) != PC_OK)
		goto out;
	/* our own verifier reads what we wrote before anyone else does */
	{
		fw_cms pc;
		fw_result res;
		fw_blob anchor = { certs[ncerts - 1], cert_len[ncerts - 1], "the chain's root" };
		fw_check_opts co = { &anchor, 1, NULL, 0, NULL, NULL, now };
		if ((rc = fw_cms_parse(cms.p, cms.len, &pc, e)) != PC_OK ||
		    (rc = fw_cms_check(&pc, digest, fw_hash_len(h), &co, &res, e)) != PC_OK) {
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
	{
		pc_buf hx = PC_BUF_INIT;
		pc_hex_encode(&hx, digest, fw_hash_len(h), 0);
		pc_buf_byte(&hx, 0);
		snprintf(dhex, sizeof dhex, "%s", hx.p ? (char *)hx.p : "");
		pc_buf_free(&hx);
	}
	pc_buf_printf(&detail, "%s %s; size %" PRIu64 "; firmware %s; targets ", fw_hash_name(h),
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
	if (rc != PC_OK) {
		store_abort(t);
		t = NULL;
		goto out;
	}
	rc = store_commit(t, e);
	t = NULL;
	if (rc != PC_OK)
		goto out;
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
		printf(",\"%s\":\"%s\",\"size\":%" PRIu64 ",\"signer\":", fw_hash_name(h), dhex, size);
		json_str(stdout, o->signer);
		printf(",\"serial\":\"%s\"}\n", hex);
	} else {
		fprintf(stderr, "plantca: signed %s (%s %s) as %s with signer %s into %s%s%s\n",
		    o->image, fw_hash_name(h), dhex, pkg_id, o->signer, out_path,
		    o->minisign ? " and " : "", o->minisign ? ms_path : "");
	}
out:
	store_abort(t);
	hsm_key_free(k);
	for (i = 0; i < FW_CHAIN_MAX; i++)
		free(certs[i]);
	signer_rec_free(&s);
	pc_buf_free(&attrs);
	pc_buf_free(&tosign);
	pc_buf_free(&sig);
	pc_buf_free(&cms);
	pc_buf_free(&minisig);
	pc_buf_free(&detail);
	sodium_memzero(b2, sizeof b2);
	return rc;
}

/* ------------------------------------------------------------- publish */

/* key: "fw.pending." SEGMENT NUL sequence (u64 big-endian), so that a
 * prefix scan of one segment returns its signatures in queue order */
static void pending_prefix(pc_buf *k, const char *segment)
{
	pc_buf_str(k, META_FW_PENDING_PREFIX);
	pc_buf_str(k, segment);
	pc_buf_byte(k, 0);
}

pc_rc ca_fw_publish(ca_ctx *c, const char *segment, const char *sig_path, pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len;
	fw_cms cms;
	store_txn *t = NULL;
	pc_reader v;
	uint64_t seq = 0;
	uint8_t seqbe[8];
	pc_buf key = PC_BUF_INIT, rec = PC_BUF_INIT;
	const char *base;
	char detail[400];
	time_t now = time(NULL);
	pc_rc rc;
	int i;

	if (!valid_ca_name(segment))
		return pc_fail(e, PC_E_USAGE, "segment '%s': use 1-%d letters, digits, '-', '_', '.'",
		    segment ? segment : "", CA_NAME_MAX);
	PC_TRY(pc_file_read(sig_path, FW_SIG_MAX, &buf, &len, e));
	/* only firmware signatures travel this way: never an image */
	if ((rc = fw_cms_parse(buf, len, &cms, e)) != PC_OK) {
		pc_wrap(e, "%s", sig_path);
		goto out;
	}
	base = strrchr(sig_path, '/');
	base = base ? base + 1 : sig_path;
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	rc = store_get(t, STORE_META, META_FW_SEQ, strlen(META_FW_SEQ), &v, e);
	if (rc == PC_OK && !pc_reader_u64be(&v, &seq))
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "%s is malformed", META_FW_SEQ);
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	seq++;
	for (i = 7; i >= 0; i--)
		seqbe[7 - i] = (uint8_t)(seq >> (8 * i));
	pending_prefix(&key, segment);
	pc_buf_append(&key, seqbe, sizeof seqbe);
	pc_rec_begin(&rec, REC_FW_PENDING, 1);
	pc_rec_str(&rec, P_F_NAME, base);
	pc_rec_bytes(&rec, P_F_SIG, buf, len);
	pc_rec_u64(&rec, P_F_CREATED, (uint64_t)now);
	pc_rec_str(&rec, P_F_PACKAGE, cms.package);
	pc_rec_str(&rec, P_F_VERSION, cms.version_text);
	if (rc == PC_OK && (!pc_buf_ok(&key) || !pc_buf_ok(&rec)))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_FW_SEQ, strlen(META_FW_SEQ), seqbe, 8, false, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, key.p, key.len, rec.p, rec.len, true, e);
	snprintf(detail, sizeof detail, "firmware %s:%s; signature %s (%zu bytes) queued for the "
	    "next response bundle", cms.package, cms.version_text, base, len);
	if (rc == PC_OK)
		rc = audit_append(t, now, "fw.publish", segment, "ok", detail, e);
	if (rc != PC_OK) {
		store_abort(t);
		goto out;
	}
	if ((rc = store_commit(t, e)) != PC_OK)
		goto out;
	fprintf(stderr, "plantca: %s (%s:%s) queued for segment %s\n", base, cms.package,
	    cms.version_text, segment);
out:
	free(buf);
	pc_buf_free(&key);
	pc_buf_free(&rec);
	return rc;
}

struct pending_ctx {
	ca_fw_pending_fn fn;
	void *ctx;
};

static pc_rc pending_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct pending_ctx *p = ctx;
	uint8_t ver, tag;
	pc_reader f, sig = pc_reader_make(NULL, 0);
	char *name = NULL;
	bool have_sig = false;
	pc_rc rc;

	(void)key;
	(void)stop;
	if (!pc_rec_open(&val, REC_FW_PENDING, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "pending firmware record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		if (tag == P_F_NAME && !name)
			name = ca_strdup_reader(f);
		else if (tag == P_F_SIG) {
			sig = f;
			have_sig = true;
		}
	}
	if (!pc_reader_done(&val) || !name || !have_sig) {
		free(name);
		return pc_fail(e, PC_E_STORE_CORRUPT, "pending firmware record is malformed");
	}
	rc = p->fn(p->ctx, name, sig.p + sig.off, pc_reader_left(&sig), e);
	free(name);
	return rc;
}

pc_rc ca_firmware_pending(ca_ctx *c, store_txn *t, const char *segment, ca_fw_pending_fn fn,
    void *ctx, pc_err *e)
{
	struct pending_ctx p = { fn, ctx };
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	(void)c;
	pending_prefix(&k, segment);
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, pending_visit, &p, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	return rc;
}

struct clear_ctx {
	pc_buf keys;       /* length-prefixed keys to delete after the scan */
	size_t n;
};

static pc_rc clear_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct clear_ctx *cc = ctx;
	size_t n = pc_reader_left(&key);

	(void)val;
	(void)stop;
	pc_buf_u32be(&cc->keys, (uint32_t)n);
	pc_buf_append(&cc->keys, pc_reader_take(&key, n), n);
	cc->n++;
	return pc_buf_ok(&cc->keys) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc ca_firmware_pending_clear(ca_ctx *c, store_txn *t, const char *segment, pc_err *e)
{
	struct clear_ctx cc = { PC_BUF_INIT, 0 };
	pc_buf k = PC_BUF_INIT;
	pc_reader r;
	pc_rc rc;

	(void)c;
	pending_prefix(&k, segment);
	rc = pc_buf_ok(&k) ? store_scan(t, STORE_META, k.p, k.len, false, clear_visit, &cc, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	r = pc_reader_make(cc.keys.p, cc.keys.len);
	while (rc == PC_OK && pc_reader_left(&r)) {
		uint32_t n;
		const uint8_t *p;
		if (!pc_reader_u32be(&r, &n) || (p = pc_reader_take(&r, n)) == NULL) {
			rc = pc_fail(e, PC_E_INTERNAL, "pending key list");
			break;
		}
		rc = store_del(t, STORE_META, p, n, e);
	}
	pc_buf_free(&k);
	pc_buf_free(&cc.keys);
	return rc;
}

/* -------------------------------------------------------------- verify */

pc_rc ca_fw_verify(const ca_fw_verify_opts *o, FILE *out, pc_err *e)
{
	fw_blobs trust = { 0 }, crls = { 0 };
	fw_check_opts co;
	fw_cms cms;
	fw_result res;
	uint8_t *sig = NULL;
	size_t len, i;
	pc_rc rc;

	if (!o->image || !o->sig)
		return pc_fail(e, PC_E_USAGE, "firmware verify needs IMAGE and SIG");
	if (o->ntrust == 0)
		return pc_fail(e, PC_E_USAGE, "firmware verify needs --trust FILE (the root or CA "
		    "certificates to trust)");
	for (i = 0; i < o->ntrust; i++)
		if ((rc = fw_blobs_load(&trust, o->trust[i], false, e)) != PC_OK)
			goto out;
	for (i = 0; i < o->ncrls; i++)
		if ((rc = fw_blobs_load(&crls, o->crls[i], true, e)) != PC_OK)
			goto out;
	if (o->min_version) {
		fw_version v;
		if ((rc = fw_version_parse(o->min_version, &v, e)) != PC_OK) {
			rc = pc_wrap(e, "--min-version");
			e->rc = rc = PC_E_USAGE;
			goto out;
		}
	}
	if ((rc = pc_file_read(o->sig, FW_SIG_MAX, &sig, &len, e)) != PC_OK)
		goto out;
	memset(&co, 0, sizeof co);
	co.trust = trust.v;
	co.ntrust = trust.n;
	co.crls = crls.v;
	co.ncrls = crls.n;
	co.min_version = o->min_version;
	co.target = o->target;
	rc = fw_verify_image(o->image, sig, len, o->sig, &co, &cms, &res, e);
	if (rc != PC_OK)
		goto out;
	if (o->json) {
		fprintf(out, "{\"valid\":true,\"package\":");
		json_str(out, cms.package);
		fprintf(out, ",\"version\":");
		json_str(out, cms.version_text);
		fprintf(out, ",\"signing_time\":%lld,\"signer_serial\":\"%s\",\"signer\":",
		    (long long)cms.signing_time, res.signer_serial);
		json_str(out, res.signer_cn);
		fprintf(out, ",\"anchor\":");
		json_str(out, res.anchor_cn);
		fprintf(out, ",\"targets\":[");
		for (i = 0; i < cms.ntargets; i++) {
			fprintf(out, "%s", i ? "," : "");
			json_str(out, cms.targets[i]);
		}
		fprintf(out, "]}\n");
	} else {
		char when[32];
		ca_iso_time((uint64_t)cms.signing_time, when);
		fprintf(out, "%s: valid signature: firmware %s version %s, signed %s by '%s' "
		    "(serial %s), chain of %zu to '%s'", o->image, cms.package, cms.version_text, when,
		    res.signer_cn, res.signer_serial, res.chain_len, res.anchor_cn);
		if (cms.ntargets) {
			fprintf(out, ", targets");
			for (i = 0; i < cms.ntargets; i++)
				fprintf(out, " %s", cms.targets[i]);
		}
		fprintf(out, "\n");
	}
out:
	free(sig);
	fw_blobs_free(&trust);
	fw_blobs_free(&crls);
	return rc;
}
