/*
 * cert.c - the certificate reader (cert.h).
 */
#include "cert.h"

#include <stdio.h>
#include <string.h>

#include "der.h"
#include "name.h"
#include "pem.h"
#include "text.h"

/* --------------------------------------------------------- GeneralName */

static bool ia5(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x21 || p[i] > 0x7e)
			return false;
	return true;
}

bool pkix_gn_read(pc_reader *r, bool constraint, pkix_gn_view *g)
{
	uint8_t tag;
	pc_reader v;

	memset(g, 0, sizeof *g);
	if (!pc_der_read_any(r, &tag, &v, NULL, NULL))
		return false;
	g->val = v.p + v.off;
	g->len = pc_reader_left(&v);
	switch (tag) {
	case DER_CTX_CONS | 0: {          /* otherName ::= SEQUENCE { type-id, [0] EXPLICIT value } */
		pc_reader oid, val;
		g->type = PKIX_GN_OTHER;
		if (!pc_der_read(&v, DER_OID, &oid) || !pc_der_read(&v, DER_CTX_CONS | 0, &val) ||
		    !pc_reader_done(&v)) {
			r->failed = true;
			return false;
		}
		g->oid = oid.p + oid.off;
		g->oid_len = pc_reader_left(&oid);
		g->val = val.p + val.off;
		g->len = pc_reader_left(&val);
		return true;
	}
	case DER_CTX | 1: g->type = PKIX_GN_EMAIL; break;
	case DER_CTX | 2: g->type = PKIX_GN_DNS; break;
	case DER_CTX | 6: g->type = PKIX_GN_URI; break;
	case DER_CTX | 7:
		g->type = PKIX_GN_IP;
		if (!(constraint ? g->len == 8 || g->len == 32 : g->len == 4 || g->len == 16)) {
			r->failed = true;
			return false;
		}
		return true;
	case DER_CTX_CONS | 4: {          /* directoryName: [4] EXPLICIT Name */
		pc_reader n;
		const uint8_t *w;
		size_t wl;
		uint8_t t;
		g->type = PKIX_GN_DIR;
		if (!pc_der_read_any(&v, &t, &n, &w, &wl) || t != DER_SEQUENCE || !pc_reader_done(&v)) {
			r->failed = true;
			return false;
		}
		g->val = w;
		g->len = wl;
		return true;
	}
	case DER_CTX_CONS | 3: g->type = PKIX_GN_X400; return true;
	case DER_CTX_CONS | 5: g->type = PKIX_GN_EDI; return true;
	case DER_CTX | 8: g->type = PKIX_GN_RID; return true;
	default:
		r->failed = true;
		return false;
	}
	/* email, DNS, URI: IA5String without spaces or controls; a constraint
	 * may be empty for email/DNS (RFC 5280 §4.2.1.10: "" matches all) */
	if ((!constraint && g->len == 0) || !ia5(g->val, g->len)) {
		r->failed = true;
		return false;
	}
	return true;
}

bool pkix_gn_next(pc_reader *names, pkix_gn_view *g)
{
	return pc_reader_left(names) > 0 && pkix_gn_read(names, false, g);
}

bool pkix_gn_hw_serial(const pkix_gn_view *g, const uint8_t **sn, size_t *n)
{
	pc_reader oid = pc_reader_make(g->oid, g->oid_len), seq, hw, type, num;

	if (g->type != PKIX_GN_OTHER || !pkix_oid_is(oid, PKIX_OID_ON_HW_MODULE_NAME))
		return false;
	seq = pc_reader_make(g->val, g->len);
	if (!pc_der_read(&seq, DER_SEQUENCE, &hw) || !pc_der_read(&hw, DER_OID, &type) ||
	    !pc_der_read(&hw, DER_OCTET_STRING, &num))
		return false;
	*sn = num.p + num.off;
	*n = pc_reader_left(&num);
	return true;
}

/* GeneralNames / GeneralSubtrees, validated whole. */
static bool gns_ok(pc_reader names, bool constraint, bool subtrees)
{
	pkix_gn_view g;
	size_t n = 0;

	while (pc_reader_left(&names) > 0) {
		if (++n > PKIX_GN_MAX)
			return false;
		if (subtrees) {
			/* GeneralSubtree ::= SEQUENCE { base, minimum [0] DEFAULT 0,
			 * maximum [1] OPTIONAL }: §4.2.1.10 says minimum MUST be
			 * zero and maximum absent, so neither may appear in DER */
			pc_reader st;
			if (!pc_der_read(&names, DER_SEQUENCE, &st) || !pkix_gn_read(&st, true, &g) ||
			    !pc_reader_done(&st))
				return false;
		} else if (!pkix_gn_read(&names, constraint, &g)) {
			return false;
		}
	}
	return pc_reader_done(&names);
}

/* ---------------------------------------------------------- extensions */

static bool read_bool_true(pc_reader *r, bool *v, bool *present)
{
	pc_reader b;

	if (!pc_der_read_opt(r, DER_BOOLEAN, &b, present))
		return false;
	*v = false;
	if (!*present)
		return true;
	/* DER: TRUE is 0xff; a DEFAULT FALSE value is never encoded (X.690 §11.5) */
	if (pc_reader_left(&b) != 1 || b.p[b.off] != 0xff)
		return false;
	*v = true;
	return true;
}

static bool parse_ku(pc_reader v, unsigned *ku)
{
	pc_reader bs;
	uint8_t unused, b;
	size_t i, n;
	unsigned j;

	*ku = 0;
	if (!pc_der_read(&v, DER_BIT_STRING, &bs) || !pc_reader_done(&v) ||
	    !pc_reader_u8(&bs, &unused) || unused > 7)
		return false;
	n = pc_reader_left(&bs);
	if (n == 0 || n > 2)
		return false;
	for (i = 0; i < n; i++) {
		if (!pc_reader_u8(&bs, &b))
			return false;
		/* DER named bit list: no trailing zero bits (X.690 §11.2.2) */
		if (i == n - 1 && (b & ((1u << unused) - 1)) != 0)
			return false;
		for (j = 0; j < 8; j++)
			if (b & (0x80 >> j))
				*ku |= 1u << (8 * i + j);
	}
	return *ku != 0;
}

PC_CHECK static pc_rc ext_fail(pc_err *e, const char *what, const char *ext)
{
	return pc_fail(e, PC_E_INPUT, "%s: malformed %s extension", what, ext);
}

PC_CHECK static pc_rc parse_ext(pkix_cert *c, pkix_oid id, bool critical, pc_reader v, const char *what,
    pc_err *e)
{
	switch (id) {
	case PKIX_OID_EXT_BC: {
		pc_reader s, pl;
		bool present, pp;
		const uint8_t *p;
		size_t n;
		if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v) ||
		    !read_bool_true(&s, &c->is_ca, &present))
			return ext_fail(e, what, "basicConstraints");
		(void)pl;
		pp = pc_reader_peek(&s) == DER_INTEGER;
		if (pp && (!pc_der_read_uint(&s, 1, &p, &n) || p[0] > 127))
			return ext_fail(e, what, "basicConstraints");
		if (!pc_reader_done(&s))
			return ext_fail(e, what, "basicConstraints");
		c->path_len = pp ? p[0] : -1;
		c->flags |= PKIX_CERT_F_BC | (critical ? PKIX_CERT_F_BC_CRITICAL : 0);
		return PC_OK;
	}
	case PKIX_OID_EXT_KU:
		if (!parse_ku(v, &c->ku))
			return ext_fail(e, what, "keyUsage");
		c->flags |= PKIX_CERT_F_KU | (critical ? PKIX_CERT_F_KU_CRITICAL : 0);
		return PC_OK;
	case PKIX_OID_EXT_EKU: {
		pc_reader s, o;
		if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v) || pc_reader_left(&s) == 0)
			return ext_fail(e, what, "extKeyUsage");
		while (pc_reader_left(&s) > 0) {
			if (c->neku >= PKIX_EKU_MAX || !pc_der_read(&s, DER_OID, &o) ||
			    pc_reader_left(&o) == 0)
				return ext_fail(e, what, "extKeyUsage");
			c->eku[c->neku] = pkix_oid_lookup(o);
			c->eku_raw[c->neku] = o;
			if (c->eku[c->neku] == PKIX_OID_KP_ANY)
				c->flags |= PKIX_CERT_F_EKU_ANY;
			c->neku++;
		}
		c->flags |= PKIX_CERT_F_EKU;
		return PC_OK;
	}
	case PKIX_OID_EXT_SAN:
		/* SubjectAltName ::= GeneralNames: SIZE (1..MAX) */
		if (!pc_der_read(&v, DER_SEQUENCE, &c->san) || !pc_reader_done(&v) ||
		    pc_reader_left(&c->san) == 0)
			return ext_fail(e, what, "subjectAltName");
		if (!gns_ok(c->san, false, false)) {
			/* too many names is a limit, not a malformed extension */
			pc_reader w = c->san, x;
			size_t n = 0;
			uint8_t tag;
			while (n <= PKIX_GN_MAX && pc_der_read_any(&w, &tag, &x, NULL, NULL))
				n++;
			if (n > PKIX_GN_MAX)
				return pc_fail(e, PC_E_LIMIT, "%s: more than %d names in subjectAltName",
				    what, PKIX_GN_MAX);
			return ext_fail(e, what, "subjectAltName");
		}
		c->flags |= PKIX_CERT_F_SAN | (critical ? PKIX_CERT_F_SAN_CRITICAL : 0);
		return PC_OK;
	case PKIX_OID_EXT_NC: {
		pc_reader s;
		bool pp, ep;
		/* NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL,
		 *   excludedSubtrees [1] OPTIONAL }: one of them at least, and
		 * MUST be critical (§4.2.1.10) */
		if (!critical || !pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v) ||
		    !pc_der_read_opt(&s, DER_CTX_CONS | 0, &c->nc_permit, &pp) ||
		    !pc_der_read_opt(&s, DER_CTX_CONS | 1, &c->nc_exclude, &ep) || !pc_reader_done(&s) ||
		    (!pp && !ep) || (pp && (pc_reader_left(&c->nc_permit) == 0 ||
		    !gns_ok(c->nc_permit, true, true))) ||
		    (ep && (pc_reader_left(&c->nc_exclude) == 0 || !gns_ok(c->nc_exclude, true, true))))
			return ext_fail(e, what, "nameConstraints");
		c->flags |= PKIX_CERT_F_NC;
		return PC_OK;
	}
	case PKIX_OID_EXT_SKI: {
		pc_reader k;
		if (!pc_der_read(&v, DER_OCTET_STRING, &k) || !pc_reader_done(&v) ||
		    pc_reader_left(&k) == 0 || pc_reader_left(&k) > PKIX_KEYID_MAX)
			return ext_fail(e, what, "subjectKeyIdentifier");
		c->ski = k.p + k.off;
		c->ski_len = pc_reader_left(&k);
		c->flags |= PKIX_CERT_F_SKI;
		return PC_OK;
	}
	case PKIX_OID_EXT_AKI: {
		/* AuthorityKeyIdentifier ::= SEQUENCE { keyIdentifier [0],
		 *   authorityCertIssuer [1], authorityCertSerialNumber [2] } */
		pc_reader s, k, x;
		bool kp, ip, sp;
		if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v) ||
		    !pc_der_read_opt(&s, DER_CTX | 0, &k, &kp) ||
		    !pc_der_read_opt(&s, DER_CTX_CONS | 1, &x, &ip) ||
		    !pc_der_read_opt(&s, DER_CTX | 2, &x, &sp) || !pc_reader_done(&s) ||
		    ip != sp || (kp && (pc_reader_left(&k) == 0 || pc_reader_left(&k) > PKIX_KEYID_MAX)))
			return ext_fail(e, what, "authorityKeyIdentifier");
		if (kp) {
			c->aki = k.p + k.off;
			c->aki_len = pc_reader_left(&k);
		}
		c->flags |= PKIX_CERT_F_AKI;
		return PC_OK;
	}
	case PKIX_OID_EXT_POLICIES: {
		/* certificatePolicies: well-formed SEQUENCE SIZE (1..MAX) OF
		 * PolicyInformation; not evaluated (no policy constraints) */
		pc_reader s, pi, o;
		if (!pc_der_read(&v, DER_SEQUENCE, &s) || !pc_reader_done(&v) || pc_reader_left(&s) == 0)
			return ext_fail(e, what, "certificatePolicies");
		while (pc_reader_left(&s) > 0)
			if (!pc_der_read(&s, DER_SEQUENCE, &pi) || !pc_der_read(&pi, DER_OID, &o))
				return ext_fail(e, what, "certificatePolicies");
		return PC_OK;
	}
	case PKIX_OID_FW_PACKAGES:
		/* plantca's firmware-package list: SEQUENCE OF UTF8String,
		 * read whole by the firmware verifier (fw_pkgs_parse) */
		if (!pc_der_read(&v, DER_SEQUENCE, &c->fw_packages) || !pc_reader_done(&v))
			return ext_fail(e, what, "firmware-package");
		c->flags |= PKIX_CERT_F_FW_PACKAGES | (critical ? PKIX_CERT_F_FW_PACKAGES_CRITICAL : 0);
		return PC_OK;
	default:
		return PC_OK;
	}
}

PC_CHECK static pc_rc parse_exts(pkix_cert *c, pc_reader exts, const char *what, pc_err *e)
{
	size_t i;

	if (pc_reader_left(&exts) == 0)      /* Extensions ::= SEQUENCE SIZE (1..MAX) */
		return pc_fail(e, PC_E_INPUT, "%s: empty extensions field", what);
	while (pc_reader_left(&exts) > 0) {
		pc_reader x, oid, v;
		bool critical, present;
		pkix_oid id;

		if (c->nexts >= PKIX_EXT_MAX)
			return pc_fail(e, PC_E_INPUT, "%s: more than %d extensions", what, PKIX_EXT_MAX);
		if (!pc_der_read(&exts, DER_SEQUENCE, &x) || !pc_der_read(&x, DER_OID, &oid) ||
		    !read_bool_true(&x, &critical, &present) ||
		    !pc_der_read(&x, DER_OCTET_STRING, &v) || !pc_reader_done(&x))
			return pc_fail(e, PC_E_INPUT, "%s: malformed extension", what);
		id = pkix_oid_lookup(oid);
		/* §4.2: a certificate MUST NOT include more than one instance of
		 * a particular extension (compared as OID bytes): recorded */
		for (i = 0; i < c->nexts; i++)
			if (pc_reader_left(&c->ext_raw[i]) == pc_reader_left(&oid) &&
			    memcmp(c->ext_raw[i].p + c->ext_raw[i].off, oid.p + oid.off,
			    pc_reader_left(&oid)) == 0 && !(c->flags & PKIX_CERT_F_DUPLICATE_EXT)) {
				c->flags |= PKIX_CERT_F_DUPLICATE_EXT;
				c->duplicate = oid;
			}
		if (id == PKIX_OID_NONE && critical && !(c->flags & PKIX_CERT_F_UNKNOWN_CRITICAL)) {
			c->flags |= PKIX_CERT_F_UNKNOWN_CRITICAL;
			c->unknown_critical = oid;
		}
		c->ext_raw[c->nexts] = oid;
		c->ext_oids[c->nexts++] = id;
		if (c->flags & PKIX_CERT_F_DUPLICATE_EXT && pc_reader_left(&c->duplicate) ==
		    pc_reader_left(&oid) && memcmp(c->duplicate.p + c->duplicate.off, oid.p + oid.off,
		    pc_reader_left(&oid)) == 0)
			continue;          /* the first instance decides */
		PC_TRY(parse_ext(c, id, critical, v, what, e));
	}
	return PC_OK;
}

/* ------------------------------------------------------------------ TBS */

static bool read_whole(pc_reader *r, uint8_t tag, pc_reader *c, const uint8_t **w, size_t *wl)
{
	uint8_t t;

	return pc_der_read_any(r, &t, c, w, wl) && t == tag;
}

PC_CHECK static pc_rc tbs_fields(pkix_cert *c, pc_reader t, const char *what, pc_err *e)
{
	pc_reader ver, v, tmp, val, t1, t2;
	const uint8_t *inner;
	size_t inner_len;
	bool present;

	/* version [0] EXPLICIT Version DEFAULT v1: DER omits v1 */
	if (!pc_der_read_opt(&t, DER_CTX_CONS | 0, &ver, &present))
		return pc_fail(e, PC_E_INPUT, "%s: malformed version", what);
	c->version = 1;
	if (present) {
		if (!pc_der_read(&ver, DER_INTEGER, &v) || !pc_reader_done(&ver) ||
		    pc_reader_left(&v) != 1 || v.p[v.off] != 2)
			return pc_fail(e, PC_E_INPUT, "%s: version is not v3 (only v1 and v3 are "
			    "accepted)", what);
		c->version = 3;
	}
	if (!pc_der_read(&t, DER_INTEGER, &v) || pc_reader_left(&v) == 0 ||
	    pc_reader_left(&v) > PKIX_SERIAL_LEN + 1)
		return pc_fail(e, PC_E_INPUT, "%s: serial number is missing or longer than %d octets "
		    "(RFC 5280 §4.1.2.2)", what, PKIX_SERIAL_LEN);
	c->serial = v.p + v.off;
	c->serial_len = pc_reader_left(&v);
	pc_hex_str(c->serial_hex, sizeof c->serial_hex, c->serial, c->serial_len, 0);
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &inner, &inner_len))
		return pc_fail(e, PC_E_INPUT, "%s: malformed signature algorithm", what);
	if (c->sigalg_der != NULL &&
	    (inner_len != c->sigalg_len || memcmp(inner, c->sigalg_der, inner_len) != 0))
		return pc_fail(e, PC_E_INPUT, "%s: the two signature algorithms differ (RFC 5280 "
		    "§4.1.1.2)", what);
	if (c->sigalg_der == NULL) {
		c->sigalg_der = inner;
		c->sigalg_len = inner_len;
	}
	{
		pc_err ignored;
		if (pkix_sigalg_read(c->sigalg_der, c->sigalg_len, what, &c->sigalg, &ignored) != PC_OK)
			c->sigalg = NULL;   /* unknown algorithm: the parse still reports the rest */
	}
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &c->issuer, &c->issuer_len) ||
	    !pkix_name_valid(c->issuer, c->issuer_len))
		return pc_fail(e, PC_E_INPUT, "%s: malformed issuer name", what);
	/* Validity ::= SEQUENCE { notBefore Time, notAfter Time } */
	if (!pc_der_read(&t, DER_SEQUENCE, &val) ||
	    !pc_der_read_any(&val, &c->nb_tag, &t1, NULL, NULL) ||
	    !pc_der_read_any(&val, &c->na_tag, &t2, NULL, NULL) || !pc_reader_done(&val) ||
	    !pc_der_parse_time(c->nb_tag, t1, &c->not_before) ||
	    !pc_der_parse_time(c->na_tag, t2, &c->not_after))
		return pc_fail(e, PC_E_INPUT, "%s: malformed validity", what);
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &c->subject, &c->subject_len) ||
	    !pkix_name_valid(c->subject, c->subject_len))
		return pc_fail(e, PC_E_INPUT, "%s: malformed subject name", what);
	if (!read_whole(&t, DER_SEQUENCE, &tmp, &c->spki, &c->spki_len))
		return pc_fail(e, PC_E_INPUT, "%s: malformed subjectPublicKeyInfo", what);
	/* issuerUniqueID [1] / subjectUniqueID [2]: only in v2/v3, and never
	 * written by conforming CAs (§4.1.2.8); refused */
	if (pc_reader_peek(&t) == (DER_CTX | 1) || pc_reader_peek(&t) == (DER_CTX | 2))
		return pc_fail(e, PC_E_INPUT, "%s: unique identifiers are not accepted", what);
	if (!pc_der_read_opt(&t, DER_CTX_CONS | 3, &tmp, &present) || !pc_reader_done(&t))
		return pc_fail(e, PC_E_INPUT, "%s: trailing data in the certificate", what);
	if (!present)
		return PC_OK;
	if (c->version != 3)
		return pc_fail(e, PC_E_INPUT, "%s: version v1 is not v3, and only v3 may carry "
		    "extensions (RFC 5280 §4.1.2.1)", what);
	if (!pc_der_read(&tmp, DER_SEQUENCE, &v) || !pc_reader_done(&tmp))
		return pc_fail(e, PC_E_INPUT, "%s: malformed extensions", what);
	return parse_exts(c, v, what, e);
}

static void cert_init(pkix_cert *c)
{
	memset(c, 0, sizeof *c);
	c->path_len = -1;
	c->san = pc_reader_make(NULL, 0);
	c->nc_permit = pc_reader_make(NULL, 0);
	c->nc_exclude = pc_reader_make(NULL, 0);
	c->fw_packages = pc_reader_make(NULL, 0);
	c->unknown_critical = pc_reader_make(NULL, 0);
	c->duplicate = pc_reader_make(NULL, 0);
}

pc_rc pkix_tbs_parse(const uint8_t *der, size_t len, const char *what, pkix_cert *c, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), t;

	cert_init(c);
	if (len > PKIX_CERT_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, more than %d", what, len, PKIX_CERT_MAX);
	if (!read_whole(&r, DER_SEQUENCE, &t, &c->tbs, &c->tbs_len) || !pc_reader_done(&r))
		return pc_fail(e, PC_E_INPUT, "%s: not one DER SEQUENCE (a TBSCertificate)", what);
	return tbs_fields(c, t, what, e);
}

pc_rc pkix_cert_parse(const uint8_t *der, size_t len, const char *what, pkix_cert *c, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), cert, tbs, tmp, bits;
	uint8_t unused = 0xff;

	cert_init(c);
	if (len > PKIX_CERT_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, more than %d", what, len, PKIX_CERT_MAX);
	/* Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
	 *   signatureValue BIT STRING }                          §4.1 */
	if (!pc_der_read(&r, DER_SEQUENCE, &cert) || !pc_reader_done(&r) ||
	    !read_whole(&cert, DER_SEQUENCE, &tbs, &c->tbs, &c->tbs_len) ||
	    !read_whole(&cert, DER_SEQUENCE, &tmp, &c->sigalg_der, &c->sigalg_len) ||
	    !pc_der_read(&cert, DER_BIT_STRING, &bits) || !pc_reader_done(&cert) ||
	    !pc_reader_u8(&bits, &unused) || unused != 0)
		return pc_fail(e, PC_E_INPUT, "%s: not a DER X.509 certificate", what);
	c->der = der;
	c->len = len;
	c->sig = bits.p + bits.off;
	c->sig_len = pc_reader_left(&bits);
	return tbs_fields(c, tbs, what, e);
}

/* ---------------------------------------------------------------- helpers */

bool pkix_cert_self_issued(const pkix_cert *c)
{
	return c->issuer_len == c->subject_len && memcmp(c->issuer, c->subject, c->issuer_len) == 0;
}

bool pkix_cert_has_eku(const pkix_cert *c, pkix_oid purpose)
{
	size_t i;

	for (i = 0; i < c->neku; i++)
		if (c->eku[i] == purpose)
			return true;
	return false;
}

void pkix_cert_label(const pkix_cert *c, char *out, size_t n)
{
	const uint8_t *cn;
	size_t cnl;
	pc_buf b = PC_BUF_INIT;

	if (pkix_name_find(c->subject, c->subject_len, PKIX_OID_AT_CN, &cn, &cnl)) {
		pc_text_escape(&b, cn, cnl);
		if (pc_buf_ok(&b)) {
			snprintf(out, n, "'%.*s' (serial %s)", (int)b.len, (const char *)b.p, c->serial_hex);
			pc_buf_free(&b);
			return;
		}
	}
	pc_buf_free(&b);
	snprintf(out, n, "serial %s", c->serial_hex);
}

