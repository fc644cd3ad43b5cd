/*
 * name.c - names (name.h): the attribute rules, DN text both ways, and
 * general names as plantca keeps them.
 */
#include "name.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "text.h"

/* ----------------------------------------------------------------- names */

/*
 * The rules for attribute values, one set for every name plantca writes
 * or reads: names typed by the officer (pkix_name_from_text), subjects of
 * CSRs (pkix_csr_parse, and again when a subject is rebuilt in capolicy.c)
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
	pkix_oid id;          /* name and dotted text from the OID table */
	uint8_t tag;          /* the type pkix_name_from_text writes */
	unsigned tags;        /* the types accepted (T_*) */
	size_t maxlen;        /* upper bound in characters */
	const char *bound;    /* where the bound comes from */
};

static const struct dn_attr dn_attrs[] = {
	{ PKIX_OID_AT_C, DER_PRINTABLESTRING, T_PRINT, 2, "ub-country-name" },
	{ PKIX_OID_AT_ST, DER_UTF8STRING, T_UTF8 | T_PRINT, 128,
	    "ub-state-name, RFC 5280 Appendix A" },
	{ PKIX_OID_AT_L, DER_UTF8STRING, T_UTF8 | T_PRINT, 128,
	    "ub-locality-name, RFC 5280 Appendix A" },
	{ PKIX_OID_AT_O, DER_UTF8STRING, T_UTF8 | T_PRINT, 64,
	    "ub-organization-name, RFC 5280 Appendix A" },
	{ PKIX_OID_AT_OU, DER_UTF8STRING, T_UTF8 | T_PRINT, 64,
	    "ub-organizational-unit-name, RFC 5280 Appendix A" },
	{ PKIX_OID_AT_CN, DER_UTF8STRING, T_UTF8 | T_PRINT, 64,
	    "ub-common-name, RFC 5280 Appendix A" },
	{ PKIX_OID_AT_SERIAL, DER_PRINTABLESTRING, T_PRINT, 64,
	    "ub-serial-number, RFC 5280 Appendix A" },
	{ PKIX_OID_AT_DC, DER_IA5STRING, T_IA5, 63,
	    "one DNS label, RFC 4519 §2.4, RFC 1035 §2.3.4" },
	{ PKIX_OID_AT_UID, DER_UTF8STRING, T_UTF8 | T_PRINT, 256,
	    "ub-user-identifier, RFC 4519 §2.39" },
	{ PKIX_OID_AT_EMAIL, DER_IA5STRING, T_IA5, 255,
	    "ub-emailaddress-length, RFC 5280 Appendix A" },
};
#define DN_COUNTRY (&dn_attrs[0])

/* Any other attribute: a string type with its alphabet, and our own cap. */
static const struct dn_attr dn_other = { PKIX_OID_NONE, DER_UTF8STRING, T_UTF8 | T_PRINT | T_IA5,
	256, "plantca's limit for other attributes" };

static const struct dn_attr *dn_attr_by_name(const char *n, size_t len)
{
	size_t i;

	for (i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++)
		if (strlen(pkix_oid_name(dn_attrs[i].id)) == len &&
		    strncasecmp(pkix_oid_name(dn_attrs[i].id), n, len) == 0)
			return &dn_attrs[i];
	return NULL;
}

static const struct dn_attr *dn_attr_by_oid(const char *dotted)
{
	size_t i;

	for (i = 0; i < sizeof dn_attrs / sizeof dn_attrs[0]; i++)
		if (strcmp(pkix_oid_dotted(dn_attrs[i].id), dotted) == 0)
			return &dn_attrs[i];
	return NULL;
}

uint8_t pkix_attr_tag(const char *dotted)
{
	const struct dn_attr *a = dn_attr_by_oid(dotted);

	return a != NULL ? a->tag : dn_other.tag;
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

PC_CHECK static pc_rc attr_fail(pc_err *e, pc_rc code, const char *what, const char *an,
    const uint8_t *v, size_t n, const char *why)
{
	char q[100];

	return pc_fail(e, code, "%s%ssubject %s: '%s' %s", what ? what : "", what ? ": " : "", an,
	    pc_text_quote(q, sizeof q, v, n), why);
}

pc_rc pkix_attr_check(const char *oid, uint8_t tag, const uint8_t *v, size_t n,
    const char *what, pc_rc code, pc_err *e)
{
	const struct dn_attr *a = dn_attr_by_oid(oid);
	const char *an = a ? pkix_oid_name(a->id) : oid;
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
PC_CHECK static pc_rc dn_split(const char *text, char sep, struct rdn_text *out, size_t max,
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
		PC_TRY(pkix_attr_check(pkix_oid_dotted(r->a->id), r->a->tag, (const uint8_t *)r->val, r->len, NULL,
		    PC_E_USAGE, e));
		n++;
	}
	*count = n;
	return PC_OK;
}

pc_rc pkix_name_from_text(pc_buf *out, const char *text, pc_err *e)
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
		{
			size_t ol;
			const uint8_t *o = pkix_oid_bytes(r->a->id, &ol);
			pc_der_oid(&d, o, ol);
		}
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
		if (strcmp(pkix_oid_dotted(dn_attrs[i].id), dotted) == 0)
			return pkix_oid_name(dn_attrs[i].id);
	snprintf(buf, n, "%s", dotted);
	return buf;
}

static bool string_tag(uint8_t t)
{
	return t == DER_UTF8STRING || t == DER_PRINTABLESTRING || t == DER_IA5STRING ||
	    t == 0x14 /* T61 */ || t == 0x1e /* BMP */ || t == 0x1c /* Universal */;
}

pc_rc pkix_name_to_text(const uint8_t *der, size_t len, pc_buf *out)
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

pc_rc pkix_name_check(const uint8_t *der, size_t len, const char *what, pc_rc code, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), name, rdn, atv, oid, val;
	const char *w = what ? what : "", *sep = what ? ": " : "";
	char dotted[128];
	uint8_t tag;

	if (len > PKIX_NAME_MAX)
		return pc_fail(e, code, "%s%ssubject name of %zu bytes, more than %d", w, sep, len,
		    PKIX_NAME_MAX);
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
			PC_TRY(pkix_attr_check(dotted, tag, val.p + val.off, pc_reader_left(&val), what,
			    code, e));
		}
	}
	/* and it prints (at most 32 RDNs) */
	{
		pc_buf tmp = PC_BUF_INIT;
		pc_rc rc = pkix_name_to_text(der, len, &tmp);
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

pc_rc pkix_gn_from_text(const char *text, bool allow_cidr, pkix_gn *g, pc_err *e)
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
		g->type = PKIX_GN_DNS;
	} else if (strncmp(text, "uri:", 4) == 0) {
		if (!ia5_ok((const uint8_t *)v, n))
			return pc_fail(e, PC_E_USAGE, "'%s': URI has spaces or non-ASCII bytes", text);
		g->type = PKIX_GN_URI;
	} else if (strncmp(text, "email:", 6) == 0) {
		if (!ia5_ok((const uint8_t *)v, n))
			return pc_fail(e, PC_E_USAGE, "'%s': bad email address", text);
		g->type = PKIX_GN_EMAIL;
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
		g->type = PKIX_GN_IP;
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

void pkix_gn_to_text(const pkix_gn *g, pc_buf *out)
{
	char a[INET6_ADDRSTRLEN];

	switch (g->type) {
	/* text names come from requests: shown through the display escaper */
	case PKIX_GN_DNS: pc_buf_str(out, "dns:"); pc_text_escape(out, g->val, g->len); break;
	case PKIX_GN_URI: pc_buf_str(out, "uri:"); pc_text_escape(out, g->val, g->len); break;
	case PKIX_GN_EMAIL: pc_buf_str(out, "email:"); pc_text_escape(out, g->val, g->len); break;
	case PKIX_GN_IP:
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
	case PKIX_GN_OTHER: case PKIX_GN_X400: case PKIX_GN_DIR: case PKIX_GN_EDI:
	case PKIX_GN_RID:
		/* never kept in a pkix_gn (pkix_gn_from_der refuses them) */
		pc_buf_printf(out, "[%d]", (int)g->type);
		break;
	}
}

pc_rc pkix_gn_from_der(uint8_t tag, pc_reader v, pkix_gn *g, const char *what, pc_err *e)
{
	size_t n = pc_reader_left(&v);
	const uint8_t *p = pc_reader_take(&v, n);

	memset(g, 0, sizeof *g);
	switch (tag) {
	case DER_CTX | 1: g->type = PKIX_GN_EMAIL; break;
	case DER_CTX | 2: g->type = PKIX_GN_DNS; break;
	case DER_CTX | 6: g->type = PKIX_GN_URI; break;
	case DER_CTX | 7:
		if (n != 4 && n != 16)
			return pc_fail(e, PC_E_CSR, "%s: SAN iPAddress of %zu bytes", what, n);
		g->type = PKIX_GN_IP;
		memcpy(g->val, p, n);
		g->len = n;
		return PC_OK;
	default:
		return pc_fail(e, PC_E_CSR, "%s: SAN of type [%d] is not supported "
		    "(dNSName, iPAddress, URI, rfc822Name)", what, tag & 0x1f);
	}
	if (n == 0 || n >= sizeof g->val || !ia5_ok(p, n))
		return pc_fail(e, PC_E_CSR, "%s: SAN value is empty, too long or not printable ASCII", what);
	if (g->type == PKIX_GN_DNS && !dns_ok((const char *)p, n))
		return pc_fail(e, PC_E_CSR, "%s: SAN dNSName '%.*s' is not a valid DNS name",
		    what, (int)n, (const char *)p);
	memcpy(g->val, p, n);
	g->len = n;
	return PC_OK;
}


bool pkix_name_valid(const uint8_t *der, size_t len)
{
	pc_reader r = pc_reader_make(der, len), name, rdn, atv, oid, val;
	size_t n = 0;
	uint8_t tag;

	if (len > PKIX_NAME_MAX || !pc_der_read(&r, DER_SEQUENCE, &name) || !pc_reader_done(&r))
		return false;
	while (pc_reader_left(&name) > 0) {
		/* X.501: an RDN is a SET SIZE (1..MAX) */
		if (++n > PKIX_RDN_MAX || !pc_der_read(&name, DER_SET, &rdn) || pc_reader_left(&rdn) == 0)
			return false;
		while (pc_reader_left(&rdn) > 0)
			if (!pc_der_read(&rdn, DER_SEQUENCE, &atv) || !pc_der_read(&atv, DER_OID, &oid) ||
			    !pc_der_read_any(&atv, &tag, &val, NULL, NULL) || !pc_reader_done(&atv) ||
			    !string_tag(tag))
				return false;
	}
	return true;
}

bool pkix_name_find(const uint8_t *der, size_t len, pkix_oid attr, const uint8_t **v, size_t *n)
{
	pc_reader r = pc_reader_make(der, len), name, rdn, atv, oid, val;
	uint8_t tag;

	if (!pc_der_read(&r, DER_SEQUENCE, &name))
		return false;
	while (pc_reader_left(&name) > 0) {
		if (!pc_der_read(&name, DER_SET, &rdn))
			return false;
		while (pc_reader_left(&rdn) > 0) {
			if (!pc_der_read(&rdn, DER_SEQUENCE, &atv) || !pc_der_read(&atv, DER_OID, &oid) ||
			    !pc_der_read_any(&atv, &tag, &val, NULL, NULL))
				return false;
			if (pkix_oid_is(oid, attr)) {
				*v = val.p + val.off;
				*n = pc_reader_left(&val);
				return true;
			}
		}
	}
	return false;
}
