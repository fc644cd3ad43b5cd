/*
 * fwverify.c - reading and checking firmware signatures (see fwverify.h).
 *
 * Every byte of the signature goes through the bounded DER reader
 * (common/der.h); certificates, CRLs, chains and signatures are the PKIX
 * layer's (pkix/): this file adds only what makes a signature a firmware
 * signature (RFC 4108 attributes, the signer's package list, rollback and
 * target checks).
 */
#include "fwverify.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "der.h"
#include "file.h"
#include "pem.h"
#include "pkix.h"
#include "text.h"

static const uint8_t *rd_ptr(const pc_reader *r)
{
	return r->p + r->off;
}

/* ------------------------------------------------------------ hashes */

pc_rc fw_digest_file(const char *path, pkix_hash h, uint8_t out[PKIX_HASH_MAX],
    uint8_t b2[64], uint64_t *size, pc_err *e)
{
	crypto_generichash_state g;
	pkix_hash_ctx x;
	struct stat st;
	uint8_t *buf;
	uint64_t total = 0;
	ssize_t n;
	int fd;
	pc_rc rc = PC_OK;

	if (sodium_init() < 0)
		return pc_fail(e, PC_E_INTERNAL, "libsodium failed to initialise");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pc_fail(e, PC_E_IO, "%s: not a regular file", path);
	}
	(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	buf = malloc(FW_CHUNK);
	if (buf == NULL) {
		close(fd);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (pkix_hash_init(&x, h, e) != PC_OK) {
		free(buf);
		close(fd);
		return pc_wrap(e, "%s", path);
	}
	if (b2 && crypto_generichash_init(&g, NULL, 0, 64) != 0) {
		rc = pc_fail(e, PC_E_CRYPTO, "%s: hash initialisation failed", path);
		goto out;
	}
	for (;;) {
		n = read(fd, buf, FW_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pc_fail(e, PC_E_IO, "%s: read: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		pkix_hash_update(&x, buf, (size_t)n);
		if (b2 && crypto_generichash_update(&g, buf, (size_t)n) != 0) {
			rc = pc_fail(e, PC_E_CRYPTO, "%s: hashing failed", path);
			break;
		}
		total += (uint64_t)n;
	}
	if (rc == PC_OK && pkix_hash_final(&x, out, e) != PC_OK)
		rc = pc_wrap(e, "%s", path);
	if (rc == PC_OK && b2 && crypto_generichash_final(&g, b2, 64) != 0)
		rc = pc_fail(e, PC_E_CRYPTO, "%s: hashing failed", path);
	if (rc == PC_OK && size)
		*size = total;
out:
	pkix_hash_abort(&x);
	free(buf);
	close(fd);
	return rc;
}

/* ----------------------------------------------------------- versions */

pc_rc fw_version_parse(const char *text, fw_version *v, pc_err *e)
{
	const char *p = text;

	memset(v, 0, sizeof *v);
	if (text == NULL || *text == '\0')
		return pc_fail(e, PC_E_INPUT, "version is empty");
	if (strlen(text) > FW_VERSION_TEXT_MAX)
		return pc_fail(e, PC_E_INPUT, "version '%.40s...' is too long", text);
	for (;;) {
		unsigned long n = 0;
		const char *start = p;

		if (v->nparts == FW_VERSION_PARTS)
			return pc_fail(e, PC_E_INPUT, "version '%s': more than %d numbers", text,
			    FW_VERSION_PARTS);
		while (*p >= '0' && *p <= '9') {
			n = n * 10 + (unsigned long)(*p - '0');
			if (n > 65535)
				return pc_fail(e, PC_E_INPUT, "version '%s': a number is above 65535", text);
			p++;
		}
		if (p == start || (p - start > 1 && *start == '0'))
			return pc_fail(e, PC_E_INPUT, "version '%s': expected dotted numbers like 1.3.0 "
			    "(no leading zeros)", text);
		v->part[v->nparts++] = (unsigned)n;
		if (*p == '\0')
			return PC_OK;
		if (*p != '.')
			return pc_fail(e, PC_E_INPUT, "version '%s': expected dotted numbers like 1.3.0",
			    text);
		p++;
	}
}

int fw_version_cmp(const fw_version *a, const fw_version *b)
{
	unsigned i;

	for (i = 0; i < FW_VERSION_PARTS; i++) {
		unsigned x = i < a->nparts ? a->part[i] : 0, y = i < b->nparts ? b->part[i] : 0;
		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* ----------------------------------------- the firmware attributes */

PC_CHECK static pc_rc bad(pc_err *e, const char *why)
{
	return pc_fail(e, PC_E_INPUT, "malformed signature: %s", why);
}

static bool printable_ascii(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

/* FirmwarePackageIdentifier ::= SEQUENCE {
 *   name PreferredOrLegacyPackageIdentifier,
 *   stale PreferredOrLegacyStalePackageIdentifier OPTIONAL }   RFC 4108 §2.2.3
 * We accept only name = legacy OCTET STRING "PACKAGE:VERSION", no stale. */
PC_CHECK static pc_rc parse_pkg_id(pc_reader v, fw_cms *out, pc_err *e)
{
	pc_reader s, os;
	const uint8_t *p, *colon;
	size_t n, pl;

	if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v))
		return bad(e, "firmware package identifier is not a SEQUENCE");
	if (pc_reader_peek(&s) == DER_SEQUENCE)
		return bad(e, "firmware package identifier in the preferred (OID) form: "
		    "plantca signs and reads the legacy \"PACKAGE:VERSION\" form");
	if (!pc_der_read(&s, DER_OCTET_STRING, &os))
		return bad(e, "firmware package identifier: name is not an OCTET STRING");
	if (!pc_reader_done(&s))
		return bad(e, "firmware package identifier: 'stale' is not supported");
	n = pc_reader_left(&os);
	p = pc_reader_take(&os, n);
	if (p == NULL || n == 0 || !printable_ascii(p, n))
		return bad(e, "firmware package identifier is empty or not printable ASCII");
	colon = memchr(p, ':', n);
	if (colon == NULL)
		return bad(e, "firmware package identifier lacks ':' between package and version");
	pl = (size_t)(colon - p);
	if (pl == 0 || pl > FW_PKG_MAX || n - pl - 1 > FW_VERSION_TEXT_MAX)
		return bad(e, "firmware package identifier: package or version too long or empty");
	memcpy(out->package, p, pl);
	out->package[pl] = '\0';
	memcpy(out->version_text, colon + 1, n - pl - 1);
	out->version_text[n - pl - 1] = '\0';
	if (fw_version_parse(out->version_text, &out->version, e) != PC_OK)
		return pc_wrap(e, "malformed signature: firmware package identifier");
	out->has_package = true;
	return PC_OK;
}

/* TargetHardwareIdentifiers ::= SEQUENCE OF OBJECT IDENTIFIER  RFC 4108 §2.2.4 */
PC_CHECK static pc_rc parse_targets(pc_reader v, fw_cms *out, pc_err *e)
{
	pc_reader s, oid;

	if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v))
		return bad(e, "target hardware identifiers are not a SEQUENCE");
	while (pc_reader_left(&s)) {
		if (out->ntargets == FW_TARGETS_MAX)
			return pc_fail(e, PC_E_LIMIT, "signature lists more than %d targets",
			    FW_TARGETS_MAX);
		if (!pc_der_read(&s, DER_OID, &oid) ||
		    !pc_oid_to_text(rd_ptr(&oid), pc_reader_left(&oid), out->targets[out->ntargets],
		    FW_OID_TEXT_MAX))
			return bad(e, "a target hardware identifier is not an OID");
		out->ntargets++;
	}
	if (out->ntargets == 0)
		return bad(e, "empty target hardware identifiers");
	return PC_OK;
}

/* The signed attributes RFC 5652 leaves to us (pkix/cms.h pkix_cms_attr_fn). */
PC_CHECK static pc_rc fw_attr(void *ctx, pc_reader oid, pc_reader value, pc_err *e)
{
	fw_cms *out = ctx;
	char t[FW_OID_TEXT_MAX] = "?";

	if (pkix_oid_is(oid, PKIX_OID_FW_PACKAGE_ID))
		return parse_pkg_id(value, out, e);
	if (pkix_oid_is(oid, PKIX_OID_FW_TARGET_HW))
		return parse_targets(value, out, e);
	if (!pc_oid_to_text(rd_ptr(&oid), pc_reader_left(&oid), t, sizeof t))
		snprintf(t, sizeof t, "(not an OID)");
	return pc_fail(e, PC_E_INPUT, "malformed signature: unknown signed attribute %s", t);
}

pc_rc fw_cms_parse(const uint8_t *der, size_t len, fw_cms *out, pc_err *e)
{
	pc_rc rc;

	memset(out, 0, sizeof *out);
	if (len > FW_SIG_MAX)
		return pc_fail(e, PC_E_LIMIT, "signature is larger than %d bytes", FW_SIG_MAX);
	rc = pkix_cms_parse(der, len, fw_attr, out, &out->cms, e);
	/* the package identifier is what makes this a firmware signature */
	if (rc == PC_OK && !out->has_package)
		rc = bad(e, "no firmware package identifier (RFC 4108 §2.2.3): not a firmware "
		    "signature");
	if (rc != PC_OK)
		memset(out, 0, sizeof *out);   /* a refusal hands back nothing */
	return rc;
}

/* ------------------------------------------------- signer package list */

bool fw_package_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > FW_PKG_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e || s[i] == ':')
			return false;
	return true;
}

bool fw_pkgs_has(const fw_pkgs *p, const char *name)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->name[i], name) == 0)
			return true;
	return false;
}

void fw_pkgs_text(const fw_pkgs *p, const char *sep, char *out, size_t n)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < p->n && off < n; i++) {
		int w = snprintf(out + off, n - off, "%s%s", i ? sep : "", p->name[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

pc_rc fw_pkgs_read(pc_reader seq, fw_pkgs *out, pc_err *e)
{
	pc_reader s;
	const uint8_t *p;
	size_t n;

	memset(out, 0, sizeof *out);
	if (pc_reader_left(&seq) == 0)
		return pc_fail(e, PC_E_INPUT, "firmware package list is empty");
	while (pc_reader_left(&seq) > 0) {
		if (!pc_der_read(&seq, DER_UTF8STRING, &s))
			return pc_fail(e, PC_E_INPUT, "firmware package list: an entry is not a "
			    "UTF8String");
		if (out->n == FW_SIGNER_PKGS_MAX)
			return pc_fail(e, PC_E_INPUT, "firmware package list: more than %d names",
			    FW_SIGNER_PKGS_MAX);
		n = pc_reader_left(&s);
		p = pc_reader_take(&s, n);
		if (p == NULL || !fw_package_name_ok((const char *)p, n))
			return pc_fail(e, PC_E_INPUT, "firmware package list: entry %zu is empty, "
			    "longer than %d bytes or not printable ASCII without space and ':'",
			    out->n + 1, FW_PKG_MAX);
		memcpy(out->name[out->n], p, n);
		out->name[out->n][n] = '\0';
		/* fw_pkgs_has() looks at the n names before this one */
		if (fw_pkgs_has(out, out->name[out->n]))
			return pc_fail(e, PC_E_INPUT, "firmware package list: '%s' appears twice",
			    out->name[out->n]);
		out->n++;
	}
	return PC_OK;
}

pc_rc fw_pkgs_parse(const uint8_t *der, size_t len, fw_pkgs *out, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), seq;

	memset(out, 0, sizeof *out);
	if (!pc_der_read(&r, DER_SEQUENCE, &seq) || !pc_reader_done(&r))
		return pc_fail(e, PC_E_INPUT, "firmware package list is not one SEQUENCE");
	return fw_pkgs_read(seq, out, e);
}

pc_rc fw_pkgs_ext_encode(const char *const *names, size_t n, pc_buf *out, pc_err *e)
{
	pc_der d;
	size_t i, j;

	if (n == 0 || n > FW_SIGNER_PKGS_MAX)
		return pc_fail(e, PC_E_USAGE, "a signer names 1 to %d packages, not %zu",
		    FW_SIGNER_PKGS_MAX, n);
	for (i = 0; i < n; i++) {
		if (!fw_package_name_ok(names[i], strlen(names[i])))
			return pc_fail(e, PC_E_USAGE, "package name '%s': 1-%d printable characters, "
			    "no ':' or space", names[i], FW_PKG_MAX);
		for (j = 0; j < i; j++)
			if (strcmp(names[i], names[j]) == 0)
				return pc_fail(e, PC_E_USAGE, "package '%s' given twice", names[i]);
	}
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);             /* Extension, critical absent (FALSE) */
	{
		size_t ol;
		const uint8_t *o = pkix_oid_bytes(PKIX_OID_FW_PACKAGES, &ol);
		pc_der_oid(&d, o, ol);
	}
	pc_der_begin(&d, DER_OCTET_STRING);
	pc_der_begin(&d, DER_SEQUENCE);
	for (i = 0; i < n; i++)
		pc_der_tlv(&d, DER_UTF8STRING, names[i], strlen(names[i]));
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

/* The subject CN of a certificate, display-safe ("" if none). */
static void cert_cn(const pkix_cert *c, char *out, size_t n)
{
	const uint8_t *v;
	size_t vl;
	pc_buf b = PC_BUF_INIT;

	out[0] = '\0';
	if (!pkix_name_find(c->subject, c->subject_len, PKIX_OID_AT_CN, &v, &vl))
		return;
	pc_text_escape(&b, v, vl);
	if (pc_buf_ok(&b))
		snprintf(out, n, "%.*s", (int)b.len, (const char *)b.p);
	pc_buf_free(&b);
}

/* ------------------------------------------------------------ check */

/* The certificates of a check: parsed once, pointing into the blobs. */
struct fw_certs {
	pkix_cert trust[FW_TRUST_CERTS_MAX];
	pkix_cert cms[PKIX_CMS_CERTS_MAX];
	pkix_crl crls[FW_CRLS_MAX];
	size_t ntrust, ncms, ncrls;
};

pc_rc fw_cms_check(const fw_cms *c, const uint8_t *digest, size_t digest_len,
    const fw_check_opts *o, fw_result *res, pc_err *e)
{
	struct fw_certs *cs;
	const pkix_cert *signer = NULL;
	pkix_chain_opts co;
	pkix_chain chain;
	char w[200];
	size_t i;
	pc_rc rc = PC_OK;

	memset(res, 0, sizeof *res);
	/* 1. the image */
	if (digest_len != c->cms.digest_len || sodium_memcmp(digest, c->cms.digest, digest_len) != 0)
		return pc_fail(e, PC_E_SIGNATURE, "image digest does not match (%s): the image was "
		    "changed, or this is another image's signature", pkix_hash_name(c->cms.hash));
	if (o->ntrust > FW_TRUST_CERTS_MAX || o->ncrls > FW_CRLS_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d trusted certificates or %d CRLs",
		    FW_TRUST_CERTS_MAX, FW_CRLS_MAX);
	if ((cs = calloc(1, sizeof *cs)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; i < o->ntrust && rc == PC_OK; i++)
		if ((rc = pkix_cert_parse(o->trust[i].der, o->trust[i].len, o->trust[i].name ?
		    o->trust[i].name : "trusted certificate", &cs->trust[cs->ntrust], e)) == PC_OK)
			cs->ntrust++;
	for (i = 0; i < o->ncrls && rc == PC_OK; i++)
		if ((rc = pkix_crl_parse(o->crls[i].der, o->crls[i].len, o->crls[i].name ?
		    o->crls[i].name : "CRL", &cs->crls[cs->ncrls], e)) == PC_OK)
			cs->ncrls++;
	/* 2. the signer certificate, named by issuerAndSerialNumber */
	for (i = 0; i < c->cms.ncerts && rc == PC_OK; i++)
		if ((rc = pkix_cert_parse(c->cms.certs[i], c->cms.cert_len[i],
		    "certificate in the signature", &cs->cms[cs->ncms], e)) == PC_OK)
			cs->ncms++;
	if (rc != PC_OK)
		goto out;
	if ((signer = pkix_cms_signer(&c->cms, cs->cms, cs->ncms)) == NULL) {
		rc = pc_fail(e, PC_E_SIGNATURE, "the signer's certificate is not in the signature");
		goto out;
	}
	pkix_cert_label(signer, w, sizeof w);
	/* 3. the signature over the signed attributes, by the one verifier */
	if ((rc = pkix_cms_verify(&c->cms, signer, e)) != PC_OK)
		goto out;
	/* 4. the signer may sign code (RFC 5280 §4.2.1.12, §4.2.1.3) */
	if (signer->is_ca)
		rc = pc_fail(e, PC_E_SIGNATURE, "signer %s is a CA certificate", w);
	else if (!(signer->flags & PKIX_CERT_F_EKU) || !pkix_cert_has_eku(signer,
	    PKIX_OID_KP_CODE_SIGNING))
		rc = pc_fail(e, PC_E_SIGNATURE, "signer %s lacks the codeSigning extended key usage", w);
	else if ((signer->flags & PKIX_CERT_F_KU) && !(signer->ku & PKIX_KU_DIGITAL_SIGNATURE))
		rc = pc_fail(e, PC_E_SIGNATURE, "signer %s may not make digital signatures (keyUsage)",
		    w);
	if (rc != PC_OK)
		goto out;
	/* 5. the chain up to a trust anchor, with revocation: the one path
	 *    validator (pkix/chain.h) */
	memset(&co, 0, sizeof co);
	co.anchors = cs->trust;
	co.nanchors = cs->ntrust;
	co.pool = cs->cms;
	co.npool = cs->ncms;
	co.crls = cs->crls;
	co.ncrls = cs->ncrls;
	co.now = o->now ? o->now : time(NULL);
	co.role = "signer";
	if ((rc = pkix_chain_verify(signer, &co, &chain, e)) != PC_OK)
		goto out;
	/* 6. the package: a signer signs only what its (now trusted)
	 * certificate registers it for; a code signer from elsewhere, without
	 * the list, is not a plantca firmware signer */
	{
		fw_pkgs pk;
		char list[FW_SIGNER_PKGS_MAX * (FW_PKG_MAX + 2) + 1];
		if (!(signer->flags & PKIX_CERT_F_FW_PACKAGES)) {
			rc = pc_fail(e, PC_E_POLICY, "signer %s names no firmware packages (no %s "
			    "extension): not a plantca firmware signer", w, FW_PKGS_OID_TEXT);
			goto out;
		}
		if ((rc = fw_pkgs_read(signer->fw_packages, &pk, e)) != PC_OK)
			goto out;
		if (!fw_pkgs_has(&pk, c->package)) {
			fw_pkgs_text(&pk, ", ", list, sizeof list);
			rc = pc_fail(e, PC_E_POLICY, "signer %s is not registered for firmware package "
			    "'%s' (it may sign %s)", w, c->package, list);
			goto out;
		}
	}
	/* 7. rollback and target */
	if (o->min_version) {
		fw_version min;
		if ((rc = fw_version_parse(o->min_version, &min, e)) != PC_OK)
			goto out;
		if (fw_version_cmp(&c->version, &min) < 0) {
			rc = pc_fail(e, PC_E_REPLAY, "version %s is lower than the minimum %s "
			    "(rollback refused)", c->version_text, o->min_version);
			goto out;
		}
	}
	if (o->target) {
		bool hit = false;
		for (i = 0; i < c->ntargets && !hit; i++)
			hit = strcmp(c->targets[i], o->target) == 0;
		if (!hit) {
			rc = pc_fail(e, PC_E_POLICY, c->ntargets ? "target %s is not among the image's "
			    "targets" : "target %s is not among the image's targets (it names none)",
			    o->target);
			goto out;
		}
	}
	snprintf(res->signer_serial, sizeof res->signer_serial, "%s", signer->serial_hex);
	cert_cn(signer, res->signer_cn, sizeof res->signer_cn);
	cert_cn(chain.path[chain.n - 1], res->anchor_cn, sizeof res->anchor_cn);
	res->chain_len = chain.n;
out:
	free(cs);
	return rc;
}

pc_rc fw_verify_image(const char *image_path, const uint8_t *sig, size_t sig_len,
    const char *sig_name, const fw_check_opts *o, fw_cms *cms, fw_result *res, pc_err *e)
{
	uint8_t digest[PKIX_HASH_MAX];

	if (fw_cms_parse(sig, sig_len, cms, e) != PC_OK)
		return pc_wrap(e, "%s", sig_name);
	PC_TRY(fw_digest_file(image_path, cms->cms.hash, digest, NULL, NULL, e));
	if (fw_cms_check(cms, digest, pkix_hash_len(cms->cms.hash), o, res, e) != PC_OK)
		return pc_wrap(e, "%s", image_path);
	return PC_OK;
}

pc_rc fw_cert_packages(const uint8_t *cert, size_t len, fw_pkgs *out, pc_err *e)
{
	pkix_cert c;

	memset(out, 0, sizeof *out);
	PC_TRY(pkix_cert_parse(cert, len, "certificate", &c, e));
	if (!(c.flags & PKIX_CERT_F_FW_PACKAGES))
		return pc_fail(e, PC_E_NOTFOUND, "certificate %s names no firmware packages",
		    c.serial_hex);
	return fw_pkgs_read(c.fw_packages, out, e);
}

/* ------------------------------------------------------------ files */

PC_CHECK static pc_rc blob_add(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	fw_blobs *b = ctx;
	fw_blob *nv;
	uint8_t **nm, *copy;

	nv = realloc(b->v, (b->n + 1) * sizeof *nv);
	if (nv == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b->v = nv;
	nm = realloc(b->mem, (b->nmem + 1) * sizeof *nm);
	if (nm == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b->mem = nm;
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(copy, der, len);
	b->mem[b->nmem++] = copy;
	b->v[b->n].der = copy;
	b->v[b->n].len = len;
	b->v[b->n].name = NULL;
	b->n++;
	return PC_OK;
}

pc_rc fw_blobs_load(fw_blobs *b, const char *path, bool crl, pc_err *e)
{
	uint8_t *buf;
	size_t len, first = b->n, i;
	pc_rc rc;

	PC_TRY(pc_file_read(path, crl ? FW_CRL_MAX : FW_TRUST_MAX, &buf, &len, e));
	if (pc_pem_looks_like(buf, len))
		rc = pc_pem_decode_all(buf, len, crl ? "X509 CRL" : "CERTIFICATE", blob_add, b, e);
	else
		rc = blob_add(b, buf, len, e);
	free(buf);
	if (rc == PC_OK && b->n == first)
		rc = pc_fail(e, PC_E_INPUT, "no %s found", crl ? "CRL" : "certificate");
	if (rc != PC_OK)
		return pc_wrap(e, "%s", path);
	for (i = first; i < b->n; i++)
		b->v[i].name = path;
	return PC_OK;
}

void fw_blobs_free(fw_blobs *b)
{
	size_t i;

	for (i = 0; i < b->nmem; i++)
		free(b->mem[i]);
	free(b->mem);
	free(b->v);
	memset(b, 0, sizeof *b);
}

pc_rc fw_verify_files(const char *image_path, const char *sig_path, const fw_blobs *trust,
    const fw_blobs *crls, const char *min_version, const char *target, fw_cms *cms,
    fw_result *res, pc_err *e)
{
	fw_check_opts co;
	uint8_t *sig = NULL;
	size_t len;
	pc_rc rc;

	if (min_version) {
		fw_version v;
		if (fw_version_parse(min_version, &v, e) != PC_OK) {
			pc_wrap(e, "--min-version");
			return e->rc = PC_E_USAGE;
		}
	}
	PC_TRY(pc_file_read(sig_path, FW_SIG_MAX, &sig, &len, e));
	memset(&co, 0, sizeof co);
	co.trust = trust->v;
	co.ntrust = trust->n;
	co.crls = crls->v;
	co.ncrls = crls->n;
	co.min_version = min_version;
	co.target = target;
	rc = fw_verify_image(image_path, sig, len, sig_path, &co, cms, res, e);
	free(sig);
	return rc;
}
