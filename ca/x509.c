#include "x509.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/asn_public.h>
#include <wolfssl/wolfcrypt/asn.h>

#include "pem.h"
#include "text.h"

#define OID(name, ...) static const uint8_t name[] = { __VA_ARGS__ }
OID(oid_ec_public_key, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01);
OID(oid_p256, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07);
OID(oid_p384, 0x2b, 0x81, 0x04, 0x00, 0x22);
OID(oid_rsa, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01);
OID(oid_ed25519, 0x2b, 0x65, 0x70);
OID(oid_ext_request, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e);
OID(oid_san, 0x55, 0x1d, 0x11);
OID(oid_bc, 0x55, 0x1d, 0x13);
OID(oid_ku, 0x55, 0x1d, 0x0f);
OID(oid_eku, 0x55, 0x1d, 0x25);
OID(oid_ski, 0x55, 0x1d, 0x0e);
OID(oid_aki, 0x55, 0x1d, 0x23);
OID(oid_nc, 0x55, 0x1d, 0x1e);

#define OID_IS(r, o) (pc_reader_left(&(r)) == sizeof(o) && \
	memcmp((r).p + (r).off, (o), sizeof(o)) == 0)

/* ------------------------------------------------------------------ keys */

/* RSA public exponent: odd, 3 <= e < 2^32.  RFC 8017 §3.1 allows any odd e
 * in [3, n-1], but verifying costs time linear in the bits of e: a station
 * sending 4088-bit exponents made import 200 times slower than e = 65537.
 * Real keys use 3 or 65537 (CA/B BR §6.1.6 asks for an odd e of at least 3;
 * NIST SP 800-89 §5.3.3 for e > 2^16), and nothing below 2^32 is costly. */
static pc_rc rsa_exponent_check(pc_reader ex, const char *what, pc_err *e)
{
	size_t el = pc_reader_left(&ex);
	const uint8_t *ep = pc_reader_take(&ex, el);
	uint64_t v = 0;
	unsigned ebits;
	size_t i;

	if (el == 0 || ep[0] & 0x80)
		return pc_fail(e, PC_E_CSR, "%s: malformed RSA public exponent (negative or empty)",
		    what);
	while (el > 0 && ep[0] == 0) {
		ep++;
		el--;
	}
	if (el > X509_RSA_E_MAX_BYTES) {
		ebits = (unsigned)(el * 8);
		for (i = 0x80; !(ep[0] & i); i >>= 1)
			ebits--;
		return pc_fail(e, PC_E_CSR, "%s: RSA public exponent of %u bits: it must be odd, "
		    "at least 3 and below 2^32", what, ebits);
	}
	for (i = 0; i < el; i++)
		v = v << 8 | ep[i];
	if (v < X509_RSA_E_MIN)
		return pc_fail(e, PC_E_CSR, "%s: RSA public exponent %" PRIu64 " is below 3: it must "
		    "be odd, at least 3 and below 2^32", what, v);
	if (v % 2 == 0)
		return pc_fail(e, PC_E_CSR, "%s: RSA public exponent %" PRIu64 " is even: it must be "
		    "odd, at least 3 and below 2^32", what, v);
	return PC_OK;
}

pc_rc x509_spki_check(const uint8_t *spki, size_t len, x509_keytype *type,
    unsigned *bits, const char *what, pc_err *e)
{
	pc_reader r = pc_reader_make(spki, len), s, alg, oid, key, rsa, n, ex;
	const uint8_t *kb;
	uint8_t unused = 0;
	size_t klen;

	if (!pc_der_read(&r, DER_SEQUENCE, &s) || !pc_reader_done(&r) ||
	    !pc_der_read(&s, DER_SEQUENCE, &alg) || !pc_der_read(&alg, DER_OID, &oid) ||
	    !pc_der_read(&s, DER_BIT_STRING, &key) || !pc_reader_done(&s) ||
	    !pc_reader_u8(&key, &unused) || unused != 0)
		return pc_fail(e, PC_E_CSR, "%s: malformed SubjectPublicKeyInfo", what);
	klen = pc_reader_left(&key);
	kb = pc_reader_take(&key, klen);
	if (OID_IS(oid, oid_ec_public_key)) {
		pc_reader curve;
		if (pc_reader_peek(&alg) == DER_SEQUENCE)
			return pc_fail(e, PC_E_CSR, "%s: EC key with explicit curve parameters "
			    "is not allowed (RFC 5480 §2.1.1: namedCurve only)", what);
		if (!pc_der_read(&alg, DER_OID, &curve) || !pc_reader_done(&alg))
			return pc_fail(e, PC_E_CSR, "%s: EC key without a named curve", what);
		if (OID_IS(curve, oid_p256) && klen == 65 && kb[0] == 4) {
			*type = X509_KEY_EC_P256;
			*bits = 256;
		} else if (OID_IS(curve, oid_p384) && klen == 97 && kb[0] == 4) {
			*type = X509_KEY_EC_P384;
			*bits = 384;
		} else {
			return pc_fail(e, PC_E_CSR, "%s: EC key on an unsupported curve or with "
			    "a malformed point (P-256 and P-384, uncompressed, are accepted)", what);
		}
		return PC_OK;
	}
	if (OID_IS(oid, oid_rsa)) {
		pc_reader nul;
		const uint8_t *np;
		size_t nl;
		if (!pc_der_read(&alg, DER_NULL, &nul) || !pc_reader_done(&alg))
			return pc_fail(e, PC_E_CSR, "%s: RSA key algorithm parameters must be NULL", what);
		key = pc_reader_make(kb, klen);
		if (!pc_der_read(&key, DER_SEQUENCE, &rsa) || !pc_reader_done(&key) ||
		    !pc_der_read(&rsa, DER_INTEGER, &n) || !pc_der_read(&rsa, DER_INTEGER, &ex) ||
		    !pc_reader_done(&rsa))
			return pc_fail(e, PC_E_CSR, "%s: malformed RSA public key", what);
		nl = pc_reader_left(&n);
		np = pc_reader_take(&n, nl);
		if (nl == 0 || np[0] & 0x80)
			return pc_fail(e, PC_E_CSR, "%s: malformed RSA modulus (negative or empty)", what);
		while (nl > 0 && np[0] == 0) {
			np++;
			nl--;
		}
		if (nl == 0)
			return pc_fail(e, PC_E_CSR, "%s: malformed RSA modulus (zero)", what);
		*bits = (unsigned)(nl * 8);
		{
			uint8_t top = np[0];
			while (!(top & 0x80)) {
				top <<= 1;
				(*bits)--;
			}
		}
		if (*bits < 2048)
			return pc_fail(e, PC_E_CSR, "%s: RSA key of %u bits is too weak (minimum 2048)",
			    what, *bits);
		if (*bits > 8192)
			return pc_fail(e, PC_E_CSR, "%s: RSA key of %u bits is larger than 8192", what, *bits);
		PC_TRY(rsa_exponent_check(ex, what, e));
		*type = X509_KEY_RSA;
		return PC_OK;
	}
	if (OID_IS(oid, oid_ed25519)) {
		if (!pc_reader_done(&alg) || klen != 32)
			return pc_fail(e, PC_E_CSR, "%s: malformed Ed25519 key (RFC 8410)", what);
		*type = X509_KEY_ED25519;
		*bits = 256;
		return PC_OK;
	}
	return pc_fail(e, PC_E_CSR, "%s: unsupported public key algorithm "
	    "(EC P-256/P-384, RSA, Ed25519 are accepted)", what);
}

const char *x509_keytype_name(x509_keytype t, unsigned bits, char *buf, size_t n)
{
	switch (t) {
	case X509_KEY_EC_P256: snprintf(buf, n, "ec-p256"); break;
	case X509_KEY_EC_P384: snprintf(buf, n, "ec-p384"); break;
	case X509_KEY_RSA: snprintf(buf, n, "rsa-%u", bits); break;
	case X509_KEY_ED25519: snprintf(buf, n, "ed25519"); break;
	default: snprintf(buf, n, "unknown"); break;
	}
	return buf;
}

void x509_serial_new(uint8_t serial[X509_SERIAL_LEN])
{
	randombytes_buf(serial, X509_SERIAL_LEN);
	serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);
}

pc_rc x509_keyid(const uint8_t *spki, size_t len, uint8_t id[X509_KEYID_LEN])
{
	pc_reader r = pc_reader_make(spki, len), s, alg, key;
	uint8_t h[crypto_hash_sha256_BYTES];

	if (!pc_der_read(&r, DER_SEQUENCE, &s) || !pc_der_read(&s, DER_SEQUENCE, &alg) ||
	    !pc_der_read(&s, DER_BIT_STRING, &key) || pc_reader_left(&key) < 1)
		return PC_E_INPUT;
	/* the subjectPublicKey value, without the unused-bits octet */
	crypto_hash_sha256(h, key.p + key.off + 1, pc_reader_left(&key) - 1);
	memcpy(id, h, X509_KEYID_LEN);
	return PC_OK;
}

/* ----------------------------------------------------------------- names */

/*
 * The rules for attribute values, one set for every name plantca writes
 * or reads: names typed by the officer (x509_name_from_text), subjects of
 * CSRs (x509_csr_parse, and again when a subject is rebuilt in capolicy.c)
 * and the subject of every TBS before the HSM signs it (lint.c).
 *
 * String types: RFC 5280 §4.1.2.4 says new certificates use UTF8String or
 * PrintableString for DirectoryString attributes; TeletexString,
 * BMPString and UniversalString are refused (their encodings are not
 * UTF-8, and no device needs them).  Appendix A fixes CountryName and
 * serialNumber as PrintableString and emailAddress as IA5String; DC is
 * IA5String (RFC 4519 §2.4).  Upper bounds are Appendix A's ub-* values,
 * counted in characters.  No value may hold NUL, C0 controls, DEL or C1
 * controls (a NUL in a CN has fooled name checks before; controls repaint
 * terminals): those are not characters of a name.
 */
enum { T_UTF8 = 1, T_PRINT = 2, T_IA5 = 4 };

struct dn_attr {
	const char *name;
	const char *oid;
	uint8_t tag;          /* the type x509_name_from_text writes */
	unsigned tags;        /* the types accepted (T_*) */
	size_t maxlen;        /* upper bound in characters */
	const char *bound;    /* where the bound comes from */
};

static const struct dn_attr dn_attrs[] = {
	{ "C", "2.5.4.6", DER_PRINTABLESTRING, T_PRINT, 2, "ub-country-name" },
	{ "ST", "2.5.4.8", DER_UTF8STRING, T_UTF8 | T_PRINT, 128,
	    "ub-state-name, RFC 5280 Appendix A" },
	{ "L", "2.5.4.7", DER_UTF8STRING, T_UTF8 | T_PRINT, 128,
	    "ub-locality-name, RFC 5280 Appendix A" },
	{ "O", "2.5.4.10", DER_UTF8STRING, T_UTF8 | T_PRINT, 64,
	    "ub-organization-name, RFC 5280 Appendix A" },
	{ "OU", "2.5.4.11", DER_UTF8STRING, T_UTF8 | T_PRINT, 64,
	    "ub-organizational-unit-name, RFC 5280 Appendix A" },
	{ "CN", "2.5.4.3", DER_UTF8STRING, T_UTF8 | T_PRINT, 64,
	    "ub-common-name, RFC 5280 Appendix A" },
	{ "serialNumber", "2.5.4.5", DER_PRINTABLESTRING, T_PRINT, 64,
	    "ub-serial-number, RFC 5280 Appendix A" },
	{ "DC", "0.9.2342.19200300.100.1.25", DER_IA5STRING, T_IA5, 63,
	    "one DNS label, RFC 4519 §2.4, RFC 1035 §2.3.4" },
	{ "UID", "0.9.2342.19200300.100.1.1", DER_UTF8STRING, T_UTF8 | T_PRINT, 256,
	    "ub-user-identifier, RFC 4519 §2.39" },
	{ "emailAddress", "1.2.840.113549.1.9.1", DER_IA5STRING, T_IA5, 255,
	    "ub-emailaddress-length, RFC 5280 Appendix A" },
};
#define DN_COUNTRY (&dn_attrs[0])

/* Any other attribute: a string type with its alphabet, and our own cap. */
static const struct dn_attr dn_other = { NULL, NULL, DER_UTF8STRING, T_UTF8 | T_PRINT | T_IA5,
	256, "plantca's limit for other attributes" };

static const struct dn_attr *dn_attr_by_name(const char *n, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++)
		if (strlen(dn_attrs[i].name) == len && strncasecmp(dn_attrs[i].name, n, len) == 0)
			return &dn_attrs[i];
	return NULL;
}

static const struct dn_attr *dn_attr_by_oid(const char *dotted)
{
	size_t i;

	for (i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++)
		if (strcmp(dn_attrs[i].oid, dotted) == 0)
			return &dn_attrs[i];
	return NULL;
}

/* X.680 §41.4 Table 10: A-Z a-z 0-9 space ' ( ) + , - . / : = ? */
static bool printable_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    (c != '\0' && memchr(" '()+,-./:=?", c, 12) != NULL);   /* 12: not the NUL */
}

static const char *tag_name(uint8_t tag, char *buf, size_t n)
{
	switch (tag) {
	case DER_UTF8STRING: return "UTF8String";
	case DER_PRINTABLESTRING: return "PrintableString";
	case DER_IA5STRING: return "IA5String";
	case 0x14: return "TeletexString";
	case 0x1c: return "UniversalString";
	case 0x1e: return "BMPString";
	default: snprintf(buf, n, "tag 0x%02x", tag); return buf;
	}
}

static const char *tags_text(unsigned tags)
{
	switch (tags) {
	case T_PRINT: return "PrintableString only";
	case T_IA5: return "IA5String only";
	case T_UTF8 | T_PRINT: return "UTF8String or PrintableString";
	default: return "UTF8String, PrintableString or IA5String";
	}
}

static pc_rc attr_fail(pc_err *e, pc_rc code, const char *what, const char *an,
    const uint8_t *v, size_t n, const char *why)
{
	char q[100];

	return pc_fail(e, code, "%s%ssubject %s: '%s' %s", what ? what : "", what ? ": " : "", an,
	    pc_text_quote(q, sizeof q, v, n), why);
}

pc_rc x509_attr_check(const char *oid, uint8_t tag, const uint8_t *v, size_t n,
    const char *what, pc_rc code, pc_err *e)
{
	const struct dn_attr *a = dn_attr_by_oid(oid);
	const char *an = a ? a->name : oid;
	const char *w = what ? what : "", *sep = what ? ": " : "";
	unsigned t = tag == DER_UTF8STRING ? T_UTF8 : tag == DER_PRINTABLESTRING ? T_PRINT
	    : tag == DER_IA5STRING ? T_IA5 : 0;
	size_t i, chars = 0, l;
	char tb[16], why[160];
	uint32_t cp;

	if (a == NULL)
		a = &dn_other;
	if (!(a->tags & t))
		return pc_fail(e, code, "%s%ssubject %s: %s values are refused (%s, RFC 5280 "
		    "§4.1.2.4 and Appendix A)", w, sep, an, tag_name(tag, tb, sizeof tb),
		    tags_text(a->tags));
	if (n == 0)
		return pc_fail(e, code, "%s%ssubject %s: empty value (X.520: at least one "
		    "character)", w, sep, an);
	/* X.520: CountryName ::= PrintableString (SIZE (2)) -- ISO 3166 codes only */
	if (a == DN_COUNTRY && (n != 2 || v[0] < 'A' || v[0] > 'Z' || v[1] < 'A' || v[1] > 'Z'))
		return attr_fail(e, code, what, an, v, n, "is not a two-letter country code "
		    "(ISO 3166, RFC 5280 Appendix A)");
	for (i = 0; i < n; i += l, chars++) {
		l = 1;
		cp = v[i];
		if (t == T_UTF8 && (l = pc_utf8_next(v + i, n - i, &cp)) == 0)
			return attr_fail(e, code, what, an, v, n, "is not valid UTF-8 (RFC 3629)");
		if (t == T_PRINT && !printable_char(v[i]))
			return attr_fail(e, code, what, an, v, n, "has characters outside "
			    "PrintableString (A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)");
		if (t == T_IA5 && v[i] >= 0x80)
			return attr_fail(e, code, what, an, v, n, "has bytes outside IA5String "
			    "(7-bit ASCII)");
		if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
			return attr_fail(e, code, what, an, v, n, "has control characters "
			    "(C0, DEL or C1; NUL included)");
	}
	if (chars > a->maxlen) {
		snprintf(why, sizeof why, "has %zu characters, more than %zu (%s)", chars,
		    a->maxlen, a->bound);
		return attr_fail(e, code, what, an, v, n, why);
	}
	return PC_OK;
}

struct rdn_text {
	const struct dn_attr *a;
	char val[260];
	size_t len;
};

/* Split "type=value" pieces separated by `sep`, honouring backslash escapes. */
static pc_rc dn_split(const char *text, char sep, struct rdn_text *out, size_t max,
    size_t *count, pc_err *e)
{
	const char *p = text;
	size_t n = 0;

	while (*p != '\0') {
		const char *eq;
		struct rdn_text *r;

		while (*p == ' ')
			p++;
		eq = strchr(p, '=');
		if (eq == NULL || eq == p)
			return pc_fail(e, PC_E_USAGE, "subject '%s': expected TYPE=VALUE", text);
		if (n >= max)
			return pc_fail(e, PC_E_USAGE, "subject '%s': too many attributes", text);
		r = &out[n];
		r->a = dn_attr_by_name(p, (size_t)(eq - p));
		if (r->a == NULL)
			return pc_fail(e, PC_E_USAGE, "subject '%s': unknown attribute '%.*s' "
			    "(C ST L O OU CN serialNumber DC UID emailAddress)", text, (int)(eq - p), p);
		p = eq + 1;
		r->len = 0;
		while (*p != '\0' && *p != sep) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			if (r->len >= sizeof r->val - 1)
				return pc_fail(e, PC_E_USAGE, "subject '%s': value too long", text);
			r->val[r->len++] = *p++;
		}
		r->val[r->len] = '\0';
		if (*p == sep)
			p++;
		/* the same rules as for names from CSRs: the bytes go into the
		 * certificate as they are */
		PC_TRY(x509_attr_check(r->a->oid, r->a->tag, (const uint8_t *)r->val, r->len, NULL,
		    PC_E_USAGE, e));
		n++;
	}
	*count = n;
	return PC_OK;
}

pc_rc x509_name_from_text(pc_buf *out, const char *text, pc_err *e)
{
	struct rdn_text rdn[16];
	size_t n = 0, i;
	bool slash = text[0] == '/';
	pc_der d;

	PC_TRY(dn_split(slash ? text + 1 : text, slash ? '/' : ',', rdn, 16, &n, e));
	if (n == 0)
		return pc_fail(e, PC_E_USAGE, "subject '%s' is empty", text);
	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	for (i = 0; i < n; i++) {
		/* slash form lists the most significant RDN first (OpenSSL -subj);
		 * RFC 4514 lists it last */
		const struct rdn_text *r = slash ? &rdn[i] : &rdn[n - 1 - i];
		pc_der_begin(&d, DER_SET);
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_oid_text(&d, r->a->oid);
		pc_der_tlv(&d, r->a->tag, r->val, r->len);
		pc_der_end(&d);
		pc_der_end(&d);
	}
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_NOMEM, "subject '%s': cannot encode", text);
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

static const char *dn_short_name(pc_reader oid, char *buf, size_t n)
{
	size_t i;
	char dotted[128];

	if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), dotted, sizeof dotted))
		return NULL;
	for (i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++)
		if (strcmp(dn_attrs[i].oid, dotted) == 0)
			return dn_attrs[i].name;
	snprintf(buf, n, "%s", dotted);
	return buf;
}

static bool string_tag(uint8_t t)
{
	return t == DER_UTF8STRING || t == DER_PRINTABLESTRING || t == DER_IA5STRING ||
	    t == 0x14 /* T61 */ || t == 0x1e /* BMP */ || t == 0x1c /* Universal */;
}

pc_rc x509_name_to_text(const uint8_t *der, size_t len, pc_buf *out)
{
	static const char specials[] = ",+\"\\<>;=";
	pc_reader r = pc_reader_make(der, len), name;
	pc_reader rdns[32];
	size_t n = 0, i;

	if (!pc_der_read(&r, DER_SEQUENCE, &name) || !pc_reader_done(&r))
		return PC_E_INPUT;
	while (pc_reader_left(&name) > 0) {
		/* X.501: an RDN is a SET SIZE (1..MAX): no empty RDNs */
		if (n >= 32 || !pc_der_read(&name, DER_SET, &rdns[n]) ||
		    pc_reader_left(&rdns[n]) == 0)
			return PC_E_INPUT;
		n++;
	}
	for (i = n; i-- > 0;) {
		bool first_in_rdn = true;
		while (pc_reader_left(&rdns[i]) > 0) {
			pc_reader atv, oid, val;
			uint8_t tag;
			char tmp[128];
			const char *sn;
			const uint8_t *vp;
			size_t k, vl, start;
			if (!pc_der_read(&rdns[i], DER_SEQUENCE, &atv) ||
			    !pc_der_read(&atv, DER_OID, &oid) ||
			    !pc_der_read_any(&atv, &tag, &val, NULL, NULL) || !pc_reader_done(&atv) ||
			    !string_tag(tag))
				return PC_E_INPUT;
			sn = dn_short_name(oid, tmp, sizeof tmp);
			if (sn == NULL)
				return PC_E_INPUT;
			if (out->len > 0 && (first_in_rdn ? (i != n - 1) : true))
				pc_buf_byte(out, first_in_rdn ? ',' : '+');
			first_in_rdn = false;
			pc_buf_printf(out, "%s=", sn);
			/* RFC 4514 §2.4 backslashes the special characters (all
			 * ASCII, so never inside a UTF-8 sequence); everything
			 * between them goes through the display escaper, so the
			 * text is safe to show whatever the DER holds */
			vl = pc_reader_left(&val);
			vp = val.p + val.off;
			for (k = start = 0; k < vl; k++) {
				uint8_t c = vp[k];
				/* memchr over the 8 specials, not strchr: strchr
				 * finds the terminating NUL too */
				if (memchr(specials, c, sizeof specials - 1) ||
				    (k == 0 && (c == ' ' || c == '#')) || (k == vl - 1 && c == ' ')) {
					pc_text_escape(out, vp + start, k - start);
					pc_buf_byte(out, '\\');
					pc_buf_byte(out, c);
					start = k + 1;
				}
			}
			pc_text_escape(out, vp + start, vl - start);
		}
	}
	return pc_buf_ok(out) ? PC_OK : PC_E_NOMEM;
}

pc_rc x509_name_check(const uint8_t *der, size_t len, const char *what, pc_rc code, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), name, rdn, atv, oid, val;
	const char *w = what ? what : "", *sep = what ? ": " : "";
	char dotted[128];
	uint8_t tag;

	if (len > X509_NAME_MAX)
		return pc_fail(e, code, "%s%ssubject name of %zu bytes, more than %d", w, sep, len,
		    X509_NAME_MAX);
	if (!pc_der_read(&r, DER_SEQUENCE, &name) || !pc_reader_done(&r))
		return pc_fail(e, code, "%s%ssubject name is malformed (RFC 5280 §4.1.2.4)", w, sep);
	while (pc_reader_left(&name) > 0) {
		/* X.501: an RDN is a SET SIZE (1..MAX): no empty RDNs */
		if (!pc_der_read(&name, DER_SET, &rdn) || pc_reader_left(&rdn) == 0)
			return pc_fail(e, code, "%s%ssubject name is malformed (RFC 5280 §4.1.2.4)",
			    w, sep);
		while (pc_reader_left(&rdn) > 0) {
			if (!pc_der_read(&rdn, DER_SEQUENCE, &atv) || !pc_der_read(&atv, DER_OID, &oid) ||
			    !pc_der_read_any(&atv, &tag, &val, NULL, NULL) || !pc_reader_done(&atv) ||
			    !pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), dotted, sizeof dotted))
				return pc_fail(e, code, "%s%ssubject name is malformed (RFC 5280 "
				    "§4.1.2.4)", w, sep);
			PC_TRY(x509_attr_check(dotted, tag, val.p + val.off, pc_reader_left(&val), what,
			    code, e));
		}
	}
	/* and it prints (at most 32 RDNs) */
	{
		pc_buf tmp = PC_BUF_INIT;
		pc_rc rc = x509_name_to_text(der, len, &tmp);
		pc_buf_free(&tmp);
		if (rc == PC_E_NOMEM)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		if (rc != PC_OK)
			return pc_fail(e, code, "%s%ssubject name is malformed or has more than 32 "
			    "RDNs", w, sep);
	}
	return PC_OK;
}

/* --------------------------------------------------------- general names */

static bool ia5_ok(const uint8_t *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return n > 0;
}

static bool dns_ok(const char *s, size_t n)
{
	size_t i, label = 0;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!(c == '-' || c == '*' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		    (c >= 'A' && c <= 'Z')) || ++label > 63)
			return false;
	}
	return label > 0;
}

pc_rc x509_gn_from_text(const char *text, bool allow_cidr, x509_gn *g, pc_err *e)
{
	const char *colon = strchr(text, ':');
	const char *v;
	size_t n;

	memset(g, 0, sizeof *g);
	if (colon == NULL)
		return pc_fail(e, PC_E_USAGE, "'%s': expected TYPE:VALUE (dns, ip, uri, email)", text);
	v = colon + 1;
	n = strlen(v);
	if (n == 0 || n >= sizeof g->val)
		return pc_fail(e, PC_E_USAGE, "'%s': empty or over-long value", text);
	if (strncmp(text, "dns:", 4) == 0) {
		/* a leading dot is how name constraints say "subdomains of" */
		if (!dns_ok(v[0] == '.' && allow_cidr ? v + 1 : v, v[0] == '.' && allow_cidr ? n - 1 : n))
			return pc_fail(e, PC_E_USAGE, "'%s': not a valid DNS name", text);
		g->type = X509_GN_DNS;
	} else if (strncmp(text, "uri:", 4) == 0) {
		if (!ia5_ok((const uint8_t *)v, n))
			return pc_fail(e, PC_E_USAGE, "'%s': URI has spaces or non-ASCII bytes", text);
		g->type = X509_GN_URI;
	} else if (strncmp(text, "email:", 6) == 0) {
		if (!ia5_ok((const uint8_t *)v, n))
			return pc_fail(e, PC_E_USAGE, "'%s': bad email address", text);
		g->type = X509_GN_EMAIL;
	} else if (strncmp(text, "ip:", 3) == 0) {
		char addr[64];
		const char *slash = strchr(v, '/');
		size_t al = slash ? (size_t)(slash - v) : n;
		int prefix = -1, fam, i;
		if (al >= sizeof addr)
			return pc_fail(e, PC_E_USAGE, "'%s': bad IP address", text);
		memcpy(addr, v, al);
		addr[al] = '\0';
		fam = strchr(addr, ':') ? AF_INET6 : AF_INET;
		if (inet_pton(fam, addr, g->val) != 1)
			return pc_fail(e, PC_E_USAGE, "'%s': bad IP address", text);
		g->len = fam == AF_INET ? 4 : 16;
		g->type = X509_GN_IP;
		if (slash != NULL) {
			char *end;
			long pl;
			if (!allow_cidr)
				return pc_fail(e, PC_E_USAGE, "'%s': a prefix length is only allowed in name constraints", text);
			pl = strtol(slash + 1, &end, 10);
			/* digits only: strtol() alone would take " 8", "+8" and "-0" */
			if (*end != '\0' || slash[1] < '0' || slash[1] > '9' || pl < 0 ||
			    pl > (long)g->len * 8)
				return pc_fail(e, PC_E_USAGE, "'%s': bad prefix length", text);
			prefix = (int)pl;
		} else if (allow_cidr) {
			prefix = (int)g->len * 8;
		}
		if (prefix >= 0) {
			/* RFC 5280 §4.2.1.10: address followed by mask */
			for (i = 0; i < (int)g->len; i++) {
				int bitsleft = prefix - i * 8;
				uint8_t m = bitsleft >= 8 ? 0xff : bitsleft <= 0 ? 0 : (uint8_t)(0xff << (8 - bitsleft));
				g->val[g->len + (size_t)i] = m;
				g->val[i] &= m;
			}
			g->len *= 2;
		}
		return PC_OK;
	} else {
		return pc_fail(e, PC_E_USAGE, "'%s': unknown name type (dns, ip, uri, email)", text);
	}
	memcpy(g->val, v, n);
	g->len = n;
	return PC_OK;
}

void x509_gn_to_text(const x509_gn *g, pc_buf *out)
{
	char a[INET6_ADDRSTRLEN];

	switch (g->type) {
	/* text names come from requests: shown through the display escaper */
	case X509_GN_DNS: pc_buf_str(out, "dns:"); pc_text_escape(out, g->val, g->len); break;
	case X509_GN_URI: pc_buf_str(out, "uri:"); pc_text_escape(out, g->val, g->len); break;
	case X509_GN_EMAIL: pc_buf_str(out, "email:"); pc_text_escape(out, g->val, g->len); break;
	case X509_GN_IP:
		if (g->len == 4 || g->len == 8) {
			inet_ntop(AF_INET, g->val, a, sizeof a);
		} else {
			inet_ntop(AF_INET6, g->val, a, sizeof a);
		}
		pc_buf_printf(out, "ip:%s", a);
		if (g->len == 8 || g->len == 32) {
			int bits = 0;
			size_t i, half = g->len / 2;
			for (i = 0; i < half; i++)
				bits += __builtin_popcount(g->val[half + i]);
			pc_buf_printf(out, "/%d", bits);
		}
		break;
	}
}

static pc_rc gn_parse_one(uint8_t tag, pc_reader v, x509_gn *g, const char *what, pc_err *e)
{
	size_t n = pc_reader_left(&v);
	const uint8_t *p = pc_reader_take(&v, n);

	memset(g, 0, sizeof *g);
	switch (tag) {
	case DER_CTX | 1: g->type = X509_GN_EMAIL; break;
	case DER_CTX | 2: g->type = X509_GN_DNS; break;
	case DER_CTX | 6: g->type = X509_GN_URI; break;
	case DER_CTX | 7:
		if (n != 4 && n != 16)
			return pc_fail(e, PC_E_CSR, "%s: SAN iPAddress of %zu bytes", what, n);
		g->type = X509_GN_IP;
		memcpy(g->val, p, n);
		g->len = n;
		return PC_OK;
	default:
		return pc_fail(e, PC_E_CSR, "%s: SAN of type [%d] is not supported "
		    "(dNSName, iPAddress, URI, rfc822Name)", what, tag & 0x1f);
	}
	if (n == 0 || n >= sizeof g->val || !ia5_ok(p, n))
		return pc_fail(e, PC_E_CSR, "%s: SAN value is empty, too long or not printable ASCII", what);
	if (g->type == X509_GN_DNS && !dns_ok((const char *)p, n))
		return pc_fail(e, PC_E_CSR, "%s: SAN dNSName '%.*s' is not a valid DNS name",
		    what, (int)n, (const char *)p);
	memcpy(g->val, p, n);
	g->len = n;
	return PC_OK;
}

/* ------------------------------------------------------------------- CSR */

static pc_rc csr_extensions(x509_csr *c, pc_reader exts, const char *what, pc_err *e)
{
	while (pc_reader_left(&exts) > 0) {
		pc_reader ext, oid, val, crit;
		bool has_crit;
		uint8_t critical = 0;
		if (!pc_der_read(&exts, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid) ||
		    !pc_der_read_opt(&ext, DER_BOOLEAN, &crit, &has_crit) ||
		    (has_crit && (!pc_reader_u8(&crit, &critical) || !pc_reader_done(&crit))) ||
		    !pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext))
			return pc_fail(e, PC_E_CSR, "%s: malformed requested extension", what);
		/* A critical extension says "do not act on this without me"
		 * (RFC 5280 §4.2).  We know what these are and decide them
		 * ourselves from the profile; any other critical one is refused
		 * here, by name, before the self-signature is checked (wolfSSL
		 * would refuse it there as a bad signature). */
		if (critical && !OID_IS(oid, oid_san) && !OID_IS(oid, oid_bc) && !OID_IS(oid, oid_ku) &&
		    !OID_IS(oid, oid_eku) && !OID_IS(oid, oid_ski)) {
			char dotted[X509_OID_TEXT_MAX];
			if (!pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), dotted, sizeof dotted))
				snprintf(dotted, sizeof dotted, "(malformed)");
			return pc_fail(e, PC_E_CSR, "%s: requested extension OID %s is critical and not "
			    "understood", what, dotted);
		}
		if (OID_IS(oid, oid_san)) {
			pc_reader names;
			if (!pc_der_read(&val, DER_SEQUENCE, &names) || !pc_reader_done(&val))
				return pc_fail(e, PC_E_CSR, "%s: malformed subjectAltName", what);
			while (pc_reader_left(&names) > 0) {
				pc_reader gv;
				uint8_t tag;
				if (!pc_der_read_any(&names, &tag, &gv, NULL, NULL))
					return pc_fail(e, PC_E_CSR, "%s: malformed subjectAltName", what);
				if (c->nsan >= X509_SAN_MAX)
					return pc_fail(e, PC_E_CSR, "%s: more than %d SAN entries", what, X509_SAN_MAX);
				PC_TRY(gn_parse_one(tag, gv, &c->san[c->nsan], what, e));
				c->nsan++;
			}
		}
		/* Other requested extensions are ignored: the profile decides
		 * every extension of the certificate; nothing is copied through. */
	}
	return PC_OK;
}

static pc_rc csr_structure(x509_csr *c, const char *what, pc_err *e)
{
	pc_reader r = pc_reader_make(c->der, c->der_len), req, info, ver, attrs, alg, sig;
	const uint8_t *whole;
	uint8_t tag;
	bool has_attrs;

	if (!pc_der_read(&r, DER_SEQUENCE, &req))
		return pc_fail(e, PC_E_CSR, "%s: not a PKCS#10 request (truncated or not DER)", what);
	if (!pc_reader_done(&r))
		return pc_fail(e, PC_E_CSR, "%s: trailing bytes after the request", what);
	if (!pc_der_read(&req, DER_SEQUENCE, &info) || !pc_der_read(&req, DER_SEQUENCE, &alg) ||
	    !pc_der_read(&req, DER_BIT_STRING, &sig) || !pc_reader_done(&req))
		return pc_fail(e, PC_E_CSR, "%s: malformed CertificationRequest (RFC 2986)", what);
	if (!pc_der_read(&info, DER_INTEGER, &ver) || pc_reader_left(&ver) != 1 || ver.p[ver.off] != 0)
		return pc_fail(e, PC_E_CSR, "%s: request version is not v1 (0)", what);
	if (!pc_der_read_any(&info, &tag, &attrs, &whole, &c->subject_len) || tag != DER_SEQUENCE)
		return pc_fail(e, PC_E_CSR, "%s: malformed subject name", what);
	c->subject = whole;
	/* the same rules as for names the officer types (x509_attr_check) */
	PC_TRY(x509_name_check(c->subject, c->subject_len, what, PC_E_CSR, e));
	if (!pc_der_read_any(&info, &tag, &attrs, &whole, &c->spki_len) || tag != DER_SEQUENCE)
		return pc_fail(e, PC_E_CSR, "%s: malformed SubjectPublicKeyInfo", what);
	c->spki = whole;
	PC_TRY(x509_spki_check(c->spki, c->spki_len, &c->keytype, &c->bits, what, e));
	if (!pc_der_read_opt(&info, DER_CTX_CONS | 0, &attrs, &has_attrs) || !pc_reader_done(&info))
		return pc_fail(e, PC_E_CSR, "%s: malformed request attributes", what);
	while (has_attrs && pc_reader_left(&attrs) > 0) {
		pc_reader attr, oid, vals;
		if (!pc_der_read(&attrs, DER_SEQUENCE, &attr) || !pc_der_read(&attr, DER_OID, &oid) ||
		    !pc_der_read(&attr, DER_SET, &vals) || !pc_reader_done(&attr))
			return pc_fail(e, PC_E_CSR, "%s: malformed request attribute", what);
		if (OID_IS(oid, oid_ext_request)) {
			pc_reader exts;
			if (!pc_der_read(&vals, DER_SEQUENCE, &exts) || !pc_reader_done(&vals))
				return pc_fail(e, PC_E_CSR, "%s: malformed extensionRequest", what);
			PC_TRY(csr_extensions(c, exts, what, e));
		}
	}
	return PC_OK;
}

/* Proof of possession: wolfSSL checks the request's self-signature. */
static pc_rc csr_pop(x509_csr *c, const char *what, pc_err *e)
{
	DecodedCert dc;
	int ret;

	wc_InitDecodedCert(&dc, c->der, (word32)c->der_len, NULL);
	ret = wc_ParseCert(&dc, CERTREQ_TYPE, VERIFY, NULL);
	wc_FreeDecodedCert(&dc);
	if (ret != 0)
		return pc_fail(e, PC_E_CSR, "%s: the request's self-signature does not verify "
		    "(proof of possession failed, wolfSSL %d)", what, ret);
	return PC_OK;
}

pc_rc x509_csr_parse(const uint8_t *buf, size_t len, const char *what, x509_csr *c, pc_err *e)
{
	static const char *const labels[] = { "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL };
	pc_rc rc;

	memset(c, 0, sizeof *c);
	if (len > X509_CSR_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, larger than the %d-byte CSR limit",
		    what, len, X509_CSR_MAX);
	if (len == 0)
		return pc_fail(e, PC_E_CSR, "%s: empty file", what);
	if (pc_pem_looks_like(buf, len)) {
		rc = pc_pem_decode(buf, len, labels, &c->der, &c->der_len, NULL, e);
		if (rc != PC_OK) {
			if (e != NULL)    /* e may be NULL, as for pc_fail() */
				e->rc = PC_E_CSR;
			pc_wrap(e, "%s", what);
			return PC_E_CSR;
		}
	} else {
		c->der = malloc(len);
		if (c->der == NULL)
			return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		memcpy(c->der, buf, len);
		c->der_len = len;
	}
	rc = csr_structure(c, what, e);
	if (rc == PC_OK)
		rc = csr_pop(c, what, e);
	if (rc != PC_OK)
		x509_csr_free(c);
	return rc;
}

void x509_csr_free(x509_csr *c)
{
	free(c->der);
	memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------ building */

static void ext_begin(pc_der *d, const uint8_t *oid, size_t oidlen, bool critical)
{
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_oid(d, oid, oidlen);
	if (critical)
		pc_der_bool(d, true);
	pc_der_begin(d, DER_OCTET_STRING);
}

static void ext_end(pc_der *d)
{
	pc_der_end(d);
	pc_der_end(d);
}

static void gn_write(pc_der *d, const x509_gn *g)
{
	pc_der_tlv(d, (uint8_t)(DER_CTX | g->type), g->val, g->len);
}

static void key_usage_write(pc_der *d, unsigned ku)
{
	uint8_t b[2] = { 0, 0 };
	unsigned n, unused = 0;
	size_t len;

	for (n = 0; n < 9; n++)
		if (ku & (1u << n))
			b[n / 8] |= (uint8_t)(0x80 >> (n % 8));
	len = b[1] ? 2 : 1;
	/* DER (X.690 §11.2.2): trailing zero bits of a named bit list dropped */
	while (unused < 7 && !(b[len - 1] & (1u << unused)))
		unused++;
	pc_der_bits(d, b, len, unused);
}

pc_rc x509_tbs_build(const x509_tbs_params *p, pc_buf *out, pc_err *e)
{
	uint8_t ski[X509_KEYID_LEN];
	pc_der d;
	size_t i;
	bool san_critical;

	if (x509_keyid(p->spki, p->spki_len, ski) != PC_OK)
		return pc_fail(e, PC_E_INPUT, "cannot compute key identifier: malformed public key");
	/* RFC 5280 §4.2.1.6: with an empty subject the SAN must be critical */
	san_critical = p->subject_len <= 2;
	if (san_critical && p->nsan == 0)
		return pc_fail(e, PC_E_INPUT, "empty subject and no subjectAltName");

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_u64(&d, 2);                                   /* v3 */
	pc_der_end(&d);
	pc_der_uint(&d, p->serial, X509_SERIAL_LEN);
	pc_der_raw(&d, p->sigalg, p->sigalg_len);
	pc_der_raw(&d, p->issuer, p->issuer_len);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_time(&d, p->not_before);
	pc_der_time(&d, p->not_after);
	pc_der_end(&d);
	pc_der_raw(&d, p->subject, p->subject_len);
	pc_der_raw(&d, p->spki, p->spki_len);

	pc_der_begin(&d, DER_CTX_CONS | 3);
	pc_der_begin(&d, DER_SEQUENCE);

	/* RFC 5280 §4.2.1.9: critical in CA certificates; we mark it critical
	 * in leaves too, as CA/B BR do for subscriber certificates it is allowed */
	ext_begin(&d, oid_bc, sizeof oid_bc, true);
	pc_der_begin(&d, DER_SEQUENCE);
	if (p->is_ca) {
		pc_der_bool(&d, true);
		if (p->path_len >= 0)
			pc_der_u64(&d, (uint64_t)p->path_len);
	}
	pc_der_end(&d);
	ext_end(&d);

	ext_begin(&d, oid_ku, sizeof oid_ku, true);         /* §4.2.1.3: SHOULD be critical */
	key_usage_write(&d, p->key_usage);
	ext_end(&d);

	if (p->eku != NULL && p->eku[0] != NULL) {
		ext_begin(&d, oid_eku, sizeof oid_eku, false);
		pc_der_begin(&d, DER_SEQUENCE);
		for (i = 0; p->eku[i] != NULL; i++)
			pc_der_oid_text(&d, p->eku[i]);
		pc_der_end(&d);
		ext_end(&d);
	}

	if (p->nsan > 0) {
		ext_begin(&d, oid_san, sizeof oid_san, san_critical);
		pc_der_begin(&d, DER_SEQUENCE);
		for (i = 0; i < p->nsan; i++)
			gn_write(&d, &p->san[i]);
		pc_der_end(&d);
		ext_end(&d);
	}

	ext_begin(&d, oid_ski, sizeof oid_ski, false);
	pc_der_tlv(&d, DER_OCTET_STRING, ski, sizeof ski);
	ext_end(&d);

	ext_begin(&d, oid_aki, sizeof oid_aki, false);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_tlv(&d, DER_CTX | 0, p->issuer_keyid ? p->issuer_keyid : ski, X509_KEYID_LEN);
	pc_der_end(&d);
	ext_end(&d);

	if (p->npermit > 0) {
		/* RFC 5280 §4.2.1.10: MUST be critical */
		ext_begin(&d, oid_nc, sizeof oid_nc, true);
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_begin(&d, DER_CTX_CONS | 0);              /* permittedSubtrees */
		for (i = 0; i < p->npermit; i++) {
			pc_der_begin(&d, DER_SEQUENCE);
			gn_write(&d, &p->permit[i]);
			pc_der_end(&d);
		}
		pc_der_end(&d);
		pc_der_end(&d);
		ext_end(&d);
	}
	if (p->extra_ext_len > 0)
		pc_der_raw(&d, p->extra_ext, p->extra_ext_len);

	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return pc_fail(e, PC_E_INTERNAL, "cannot encode TBSCertificate");
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc x509_cert_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t *sig, size_t sig_len, pc_buf *out)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_raw(&d, tbs, tbs_len);
	pc_der_raw(&d, sigalg, sigalg_len);
	pc_der_bits(&d, sig, sig_len, 0);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return PC_E_NOMEM;
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : PC_E_NOMEM;
}

pc_rc x509_cert_view_parse(const uint8_t *der, size_t len, x509_cert_view *v)
{
	pc_reader r = pc_reader_make(der, len), cert, tbs, ver, tmp, val, t1, t2;
	uint8_t tag1, tag2;
	const uint8_t *w;
	bool has_ver;

	memset(v, 0, sizeof *v);
	if (!pc_der_read(&r, DER_SEQUENCE, &cert) || !pc_reader_done(&r))
		return PC_E_INPUT;
	if (!pc_der_read_any(&cert, &tag1, &tbs, &v->tbs, &v->tbs_len) || tag1 != DER_SEQUENCE)
		return PC_E_INPUT;
	if (!pc_der_read_opt(&tbs, DER_CTX_CONS | 0, &ver, &has_ver) ||
	    !pc_der_read(&tbs, DER_INTEGER, &tmp))
		return PC_E_INPUT;
	v->serial = tmp.p + tmp.off;
	v->serial_len = pc_reader_left(&tmp);
	if (!pc_der_read(&tbs, DER_SEQUENCE, &tmp) ||
	    !pc_der_read_any(&tbs, &tag1, &tmp, &v->issuer, &v->issuer_len) || tag1 != DER_SEQUENCE ||
	    !pc_der_read(&tbs, DER_SEQUENCE, &val) ||
	    !pc_der_read_any(&val, &tag1, &t1, NULL, NULL) ||
	    !pc_der_read_any(&val, &tag2, &t2, NULL, NULL) || !pc_reader_done(&val) ||
	    !pc_der_parse_time(tag1, t1, &v->not_before) || !pc_der_parse_time(tag2, t2, &v->not_after) ||
	    !pc_der_read_any(&tbs, &tag1, &tmp, &v->subject, &v->subject_len) || tag1 != DER_SEQUENCE ||
	    !pc_der_read_any(&tbs, &tag1, &tmp, &w, &v->spki_len) || tag1 != DER_SEQUENCE)
		return PC_E_INPUT;
	v->spki = w;
	return PC_OK;
}
