/*
 * policy.c - the policy file parser and the decision.  Format and meaning:
 * docs/policy-format.md.
 *
 * The file is read line by line through a pc_reader; every value is checked
 * when its line is read, and references between sections (a segment's
 * profiles) when the whole file is read, so every error names one line.
 */
#include "policy.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "der.h"
#include "oid.h"
#include "file.h"
#include "text.h"

/* ------------------------------------------------------------- storage */

/* Every string of a policy lives in one arena, freed with the policy. */
struct chunk {
	struct chunk *next;
	char data[];
};

enum {
	RULE_REQUIRE = 1, RULE_ALLOW = 2, RULE_FORBID = 4,
	SAN_TYPES = 8,            /* index by policy_san_type (1..7) */
	ATTR_RULES_MAX = 16,
	IPNETS_MAX = POLICY_LIST_MAX,
	STATION_ID_LEN = 16,
};

struct strlist {
	const char *v[POLICY_LIST_MAX];
	size_t n;
};

struct ipnet {
	uint8_t addr[16], mask[16];
	size_t len;               /* 4 or 16 */
	const char *text;
};

struct iplist {
	struct ipnet v[IPNETS_MAX];
	size_t n;
};

struct attr_rule {
	const char *name;         /* as written in the file */
	const char *oid;
	unsigned flags;           /* RULE_* */
	const char *match;        /* glob or NULL */
	const char *set;          /* template value or NULL */
};

struct profile {
	const char *name, *summary, *ca;
	int line;
	unsigned keys;            /* bit (1 << policy_key) for EC/Ed25519 */
	unsigned rsa_bits[8];
	size_t nrsa;
	unsigned days, max_days;
	unsigned ku, ku_rsa;
	bool has_ku, has_ku_rsa;
	const char *eku[POLICY_EKU_MAX + 1];
	size_t neku;
	struct attr_rule rules[ATTR_RULES_MAX];
	size_t nrules;
	unsigned san_allow, san_require;   /* bit (1 << policy_san_type) */
	unsigned san_max;                  /* 0: no limit beyond POLICY_SANS_MAX */
	unsigned san_max_type[SAN_TYPES];  /* 0: no limit */
	struct strlist dns, uri, email;    /* globs, prefixes, globs */
	struct iplist ip;
	policy_approval approval;
	policy_renewal renewal;
	/* EKU codeSigning or anyExtendedKeyUsage: a certificate that could
	 * sign firmware, never made from a request (see signs_code_why) */
	bool signs_code, has_codesign;
	const char *keys_text, *ku_text, *ku_rsa_text, *eku_text;
};

struct segment {
	const char *name, *ca;
	int line, profiles_line;
	struct strlist stations, profiles;
	struct strlist dns, uri, email;
	struct iplist ip;
	const char *dns_text, *ip_text, *uri_text, *email_text;
};

struct policy {
	struct chunk *arena;
	struct profile *prof;
	size_t nprof;
	struct segment *seg;
	size_t nseg;
	/* [segment *]: the rules for every segment the file does not name */
	struct segment defseg;
	bool has_defseg;
	char hash[2 * crypto_hash_sha256_BYTES + 1];
	const char *source;
	const char *names;
};

static char *arena_dup(policy *p, const char *s, size_t n)
{
	struct chunk *c = malloc(sizeof *c + n + 1);

	if (c == NULL)
		return NULL;
	memcpy(c->data, s, n);
	c->data[n] = '\0';
	c->next = p->arena;
	p->arena = c;
	return c->data;
}

void policy_free(policy *p)
{
	struct chunk *c, *n;

	if (p == NULL)
		return;
	for (c = p->arena; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	free(p->prof);
	free(p->seg);
	free(p);
}

/* ------------------------------------------------------------- tables */

struct named { const char *name; const char *oid; unsigned bit; };

/* Subject attributes a profile may name, by their names in the OID table
 * (pkix/oids.def): C ST L O OU CN serialNumber DC UID emailAddress. */
static const pkix_oid attr_ids[] = {
	PKIX_OID_AT_C, PKIX_OID_AT_ST, PKIX_OID_AT_L, PKIX_OID_AT_O, PKIX_OID_AT_OU, PKIX_OID_AT_CN,
	PKIX_OID_AT_SERIAL, PKIX_OID_AT_DC, PKIX_OID_AT_UID, PKIX_OID_AT_EMAIL,
};

static const struct named ku_names[] = {
	{ "digitalSignature", NULL, POLICY_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", NULL, POLICY_KU_NON_REPUDIATION },
	{ "contentCommitment", NULL, POLICY_KU_NON_REPUDIATION },
	{ "keyEncipherment", NULL, POLICY_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", NULL, POLICY_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", NULL, POLICY_KU_KEY_AGREEMENT },
	{ "keyCertSign", NULL, POLICY_KU_KEY_CERT_SIGN },
	{ "cRLSign", NULL, POLICY_KU_CRL_SIGN },
};

/* Key purposes a profile may name (RFC 5280 §4.2.1.12), by their table names. */
static const pkix_oid eku_ids[] = {
	PKIX_OID_KP_SERVER_AUTH, PKIX_OID_KP_CLIENT_AUTH, PKIX_OID_KP_CODE_SIGNING,
	PKIX_OID_KP_EMAIL, PKIX_OID_KP_TIME_STAMPING, PKIX_OID_KP_OCSP_SIGNING,
	/* RFC 6402 §2.10: a CMP registration authority (plantca-station's RA
	 * certificate, RFC 9483 §3.3) */
	PKIX_OID_KP_CMC_RA,
};

static const struct named san_names[] = {
	{ "dns", NULL, POLICY_SAN_DNS }, { "ip", NULL, POLICY_SAN_IP },
	{ "uri", NULL, POLICY_SAN_URI }, { "email", NULL, POLICY_SAN_EMAIL },
};

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

static const struct named *named_find(const struct named *t, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, s) == 0)
			return &t[i];
	return NULL;
}

/* The dotted OID of purpose `name` ("serverAuth"), NULL if not ours. */
static const char *eku_oid(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(eku_ids); i++)
		if (strcmp(pkix_oid_name(eku_ids[i]), name) == 0)
			return pkix_oid_dotted(eku_ids[i]);
	return NULL;
}

static const char *attr_name_of(const char *oid)
{
	size_t i;

	for (i = 0; i < NELEM(attr_ids); i++)
		if (strcmp(pkix_oid_dotted(attr_ids[i]), oid) == 0)
			return pkix_oid_name(attr_ids[i]);
	return oid;
}

const char *policy_san_type_name(policy_san_type t)
{
	switch (t) {
	case POLICY_SAN_DNS: return "dNSName";
	case POLICY_SAN_IP: return "iPAddress";
	case POLICY_SAN_URI: return "URI";
	case POLICY_SAN_EMAIL: return "rfc822Name";
	}
	return "?";
}

const char *policy_key_name(policy_key k, unsigned bits, char *buf, size_t n)
{
	switch (k) {
	case POLICY_KEY_EC_P256: snprintf(buf, n, "ec-p256"); break;
	case POLICY_KEY_EC_P384: snprintf(buf, n, "ec-p384"); break;
	case POLICY_KEY_ED25519: snprintf(buf, n, "ed25519"); break;
	case POLICY_KEY_RSA: snprintf(buf, n, "rsa-%u", bits); break;
	default: snprintf(buf, n, "unknown"); break;
	}
	return buf;
}

/* ------------------------------------------------------------ matching */

static char tolower_ascii(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

bool policy_glob(const char *pat, const char *s, size_t n)
{
	size_t pi = 0, si = 0, star_p = SIZE_MAX, star_s = 0;
	size_t pn = strlen(pat);

	/* iterative with one backtrack point: linear in practice, no recursion
	 * depth to exhaust on hostile patterns */
	while (si < n) {
		if (pi < pn && pat[pi] == '*') {
			star_p = pi++;
			star_s = si;
		} else if (pi < pn && (pat[pi] == '?' ||
		    (tolower_ascii(pat[pi]) == tolower_ascii(s[si])))) {
			pi++;
			si++;
		} else if (star_p != SIZE_MAX) {
			pi = star_p + 1;
			si = ++star_s;
		} else {
			return false;
		}
	}
	while (pi < pn && pat[pi] == '*')
		pi++;
	return pi == pn;
}

static bool ends_with_ci(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);

	return k <= n && strncasecmp(s + n - k, suf, k) == 0;
}

/* A DNS name-space entry: "*.x" or ".x" = strictly below x; "x" = x itself
 * and everything below it (RFC 5280 §4.2.1.10 dNSName semantics). */
static bool dns_in(const char *entry, const char *s, size_t n)
{
	const char *base = entry;
	size_t bn;

	if (entry[0] == '*' && entry[1] == '.')
		base = entry + 1;
	if (base[0] == '.')
		return n > strlen(base) && ends_with_ci(s, n, base);
	bn = strlen(base);
	if (n == bn && strncasecmp(s, base, n) == 0)
		return true;
	return n > bn && ends_with_ci(s, n, base) && s[n - bn - 1] == '.';
}

static bool ip_in(const struct ipnet *net, const uint8_t *a, size_t n)
{
	size_t i;

	if (n != net->len)
		return false;
	for (i = 0; i < n; i++)
		if ((a[i] & net->mask[i]) != net->addr[i])
			return false;
	return true;
}

static bool email_in(const char *entry, const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t k;

	if (at == NULL)
		return false;
	k = (size_t)(at - s) + 1;
	return dns_in(entry, s + k, n - k);
}

/* --------------------------------------------------------------- parser */

struct parser {
	policy *p;
	const char *what;
	int line;
	pc_err *e;
	struct profile *cur_prof;
	struct segment *cur_seg;
	char seen[64][48];        /* keys seen in the current section */
	size_t nseen;
};

PC_CHECK static pc_rc perr(struct parser *ps, const char *fmt, ...) PC_PRINTF(2, 3);
PC_CHECK static pc_rc perr(struct parser *ps, const char *fmt, ...)
{
	char msg[PC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return pc_fail(ps->e, PC_E_POLICY_FILE, "%s:%d: %s", ps->what, ps->line, msg);
}

static bool name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > POLICY_NAME_MAX)
		return false;
	for (i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
		if (!alnum && (i == 0 || (c != '-' && c != '_' && c != '.')))
			return false;
	}
	return true;
}

/* Split a list value at blanks and commas into arena strings. */
PC_CHECK static pc_rc split_list(struct parser *ps, const char *key, const char *v, struct strlist *out)
{
	const char *s = v;

	out->n = 0;
	for (;;) {
		size_t n;
		while (*s == ' ' || *s == '\t' || *s == ',')
			s++;
		if (*s == '\0')
			break;
		n = strcspn(s, " \t,");
		if (out->n >= POLICY_LIST_MAX)
			return perr(ps, "%s: more than %d items", key, POLICY_LIST_MAX);
		if ((out->v[out->n++] = arena_dup(ps->p, s, n)) == NULL)
			return pc_fail(ps->e, PC_E_NOMEM, "out of memory");
		s += n;
	}
	if (out->n == 0)
		return perr(ps, "%s: empty list", key);
	return PC_OK;
}

PC_CHECK static pc_rc parse_uint(struct parser *ps, const char *key, const char *v, unsigned max,
    unsigned *out)
{
	unsigned long x = 0;
	size_t i;

	if (v[0] == '\0' || strlen(v) > 9)
		return perr(ps, "%s: '%s' is not a number from 1 to %u", key, v, max);
	for (i = 0; v[i]; i++) {
		if (v[i] < '0' || v[i] > '9')
			return perr(ps, "%s: '%s' is not a number from 1 to %u", key, v, max);
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (x == 0 || x > max)
		return perr(ps, "%s: '%s' is not a number from 1 to %u", key, v, max);
	*out = (unsigned)x;
	return PC_OK;
}

PC_CHECK static pc_rc parse_ipnet(struct parser *ps, const char *key, const char *text, struct ipnet *n)
{
	char a[64];
	const char *slash = strchr(text, '/');
	size_t al = slash ? (size_t)(slash - text) : strlen(text), i;
	unsigned bits;
	int af;

	memset(n, 0, sizeof *n);
	if (al >= sizeof a)
		return perr(ps, "%s: '%s' is not an IP address or CIDR range", key, text);
	memcpy(a, text, al);
	a[al] = '\0';
	af = strchr(a, ':') ? AF_INET6 : AF_INET;
	n->len = af == AF_INET ? 4 : 16;
	if (inet_pton(af, a, n->addr) != 1)
		return perr(ps, "%s: '%s' is not an IP address or CIDR range", key, text);
	bits = (unsigned)n->len * 8;
	if (slash != NULL) {
		const char *b = slash + 1;
		unsigned long x = 0;
		if (*b == '\0' || strlen(b) > 3)
			return perr(ps, "%s: '%s': bad prefix length", key, text);
		for (; *b; b++) {
			if (*b < '0' || *b > '9')
				return perr(ps, "%s: '%s': bad prefix length", key, text);
			x = x * 10 + (unsigned long)(*b - '0');
		}
		if (x > bits)
			return perr(ps, "%s: '%s': prefix longer than the address", key, text);
		bits = (unsigned)x;
	}
	for (i = 0; i < n->len; i++) {
		unsigned take = bits >= 8 ? 8 : bits;
		n->mask[i] = (uint8_t)(take ? (0xff << (8 - take)) & 0xff : 0);
		bits -= take;
		if ((n->addr[i] & ~n->mask[i]) != 0)
			return perr(ps, "%s: '%s': host bits set below the prefix length", key, text);
	}
	n->text = text;
	return PC_OK;
}

PC_CHECK static pc_rc parse_iplist(struct parser *ps, const char *key, const char *v, struct iplist *out)
{
	struct strlist l;
	size_t i;

	PC_TRY(split_list(ps, key, v, &l));
	for (i = 0; i < l.n; i++)
		PC_TRY(parse_ipnet(ps, key, l.v[i], &out->v[i]));
	out->n = l.n;
	return PC_OK;
}

PC_CHECK static pc_rc parse_dns_list(struct parser *ps, const char *key, const char *v, struct strlist *out,
    bool segment)
{
	size_t i, j;

	PC_TRY(split_list(ps, key, v, out));
	for (i = 0; i < out->n; i++) {
		const char *s = out->v[i];
		if (segment) {
			/* name space: "x", ".x" or "*.x"; no other wildcard */
			const char *b = s[0] == '*' && s[1] == '.' ? s + 2 : s[0] == '.' ? s + 1 : s;
			if (*b == '\0' || strchr(b, '*') || strchr(b, '?'))
				return perr(ps, "%s: '%s' is not a domain (x, .x or *.x)", key, s);
			s = b;
		}
		for (j = 0; s[j]; j++) {
			char c = s[j];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    c == '-' || c == '.' || c == '*' || c == '?' || (c == '@' && !segment)))
				return perr(ps, "%s: '%s' has a character not allowed in a domain", key,
				    out->v[i]);
		}
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_ku(struct parser *ps, const char *key, const char *v, unsigned *out)
{
	struct strlist l;
	size_t i;

	PC_TRY(split_list(ps, key, v, &l));
	*out = 0;
	for (i = 0; i < l.n; i++) {
		const struct named *k = named_find(ku_names, NELEM(ku_names), l.v[i]);
		if (k == NULL)
			return perr(ps, "%s: unknown key usage '%s' (digitalSignature, nonRepudiation, "
			    "keyEncipherment, dataEncipherment, keyAgreement)", key, l.v[i]);
		if (k->bit & (POLICY_KU_KEY_CERT_SIGN | POLICY_KU_CRL_SIGN))
			return perr(ps, "%s: %s is for CA certificates, which profiles never issue",
			    key, l.v[i]);
		if (*out & k->bit)
			return perr(ps, "%s: '%s' given twice", key, l.v[i]);
		*out |= k->bit;
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_eku(struct parser *ps, const char *key, const char *v, struct profile *pr)
{
	struct strlist l;
	size_t i, j;

	PC_TRY(split_list(ps, key, v, &l));
	if (l.n > POLICY_EKU_MAX)
		return perr(ps, "%s: more than %d purposes", key, POLICY_EKU_MAX);
	for (i = 0; i < l.n; i++) {
		const char *oid = eku_oid(l.v[i]);
		if (oid == NULL) {
			oid = l.v[i];
			pc_buf tmp = PC_BUF_INIT;
			bool ok = l.v[i][0] >= '0' && l.v[i][0] <= '2' && pc_oid_from_text(&tmp, l.v[i]);
			pc_buf_free(&tmp);
			if (!ok)
				return perr(ps, "%s: '%s' is neither a known purpose (serverAuth, clientAuth, "
				    "codeSigning, emailProtection, timeStamping, OCSPSigning) nor a dotted "
				    "OID", key, l.v[i]);
		}
		for (j = 0; j < i; j++)
			if (strcmp(pr->eku[j], oid) == 0)
				return perr(ps, "%s: '%s' given twice", key, l.v[i]);
		pr->eku[i] = oid;
	}
	pr->eku[l.n] = NULL;
	pr->neku = l.n;
	return PC_OK;
}

PC_CHECK static pc_rc parse_keys(struct parser *ps, const char *key, const char *v, struct profile *pr)
{
	struct strlist l;
	size_t i;

	PC_TRY(split_list(ps, key, v, &l));
	for (i = 0; i < l.n; i++) {
		const char *k = l.v[i];
		if (strcmp(k, "ec-p256") == 0) {
			pr->keys |= 1u << POLICY_KEY_EC_P256;
		} else if (strcmp(k, "ec-p384") == 0) {
			pr->keys |= 1u << POLICY_KEY_EC_P384;
		} else if (strcmp(k, "ed25519") == 0) {
			pr->keys |= 1u << POLICY_KEY_ED25519;
		} else if (strncmp(k, "rsa-", 4) == 0) {
			unsigned bits;
			if (parse_uint(ps, key, k + 4, 16384, &bits) != PC_OK)
				return perr(ps, "%s: '%s': expected rsa-BITS", key, k);
			/* never RSA under 2048 bits (NIST SP 800-131A) */
			if (bits < 2048)
				return perr(ps, "%s: '%s': RSA keys under 2048 bits are never allowed", key, k);
			if (pr->nrsa >= NELEM(pr->rsa_bits))
				return perr(ps, "%s: more than %zu RSA sizes", key, NELEM(pr->rsa_bits));
			pr->rsa_bits[pr->nrsa++] = bits;
		} else {
			return perr(ps, "%s: unknown key type '%s' (ec-p256, ec-p384, ed25519, rsa-BITS; "
			    "explicit curve parameters are never allowed)", key, k);
		}
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_san_types(struct parser *ps, const char *key, const char *v, unsigned *out)
{
	struct strlist l;
	size_t i;

	PC_TRY(split_list(ps, key, v, &l));
	*out = 0;
	for (i = 0; i < l.n; i++) {
		const struct named *k = named_find(san_names, NELEM(san_names), l.v[i]);
		if (k == NULL)
			return perr(ps, "%s: unknown SAN type '%s' (dns, ip, uri, email)", key, l.v[i]);
		*out |= 1u << k->bit;
	}
	return PC_OK;
}

static const char *attr_oid(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(attr_ids); i++)
		if (strcmp(pkix_oid_name(attr_ids[i]), name) == 0)
			return pkix_oid_dotted(attr_ids[i]);
	return NULL;
}

PC_CHECK static pc_rc rule_for(struct parser *ps, const char *key, const char *name,
    struct attr_rule **out)
{
	struct profile *pr = ps->cur_prof;
	const char *oid = attr_oid(name);
	size_t i;

	if (oid == NULL) {
		pc_buf tmp = PC_BUF_INIT;
		bool ok = name[0] >= '0' && name[0] <= '2' && pc_oid_from_text(&tmp, name);
		pc_buf_free(&tmp);
		if (!ok)
			return perr(ps, "%s: unknown subject attribute '%s' (C ST L O OU CN "
			    "serialNumber DC UID emailAddress, or a dotted OID)", key, name);
		oid = name;
	}
	for (i = 0; i < pr->nrules; i++)
		if (strcmp(pr->rules[i].oid, oid) == 0) {
			*out = &pr->rules[i];
			return PC_OK;
		}
	if (pr->nrules >= ATTR_RULES_MAX)
		return perr(ps, "%s: more than %d subject attributes named", key, ATTR_RULES_MAX);
	*out = &pr->rules[pr->nrules++];
	memset(*out, 0, sizeof **out);
	(*out)->name = arena_dup(ps->p, name, strlen(name));
	(*out)->oid = oid == name ? (*out)->name : oid;
	return (*out)->name ? PC_OK : pc_fail(ps->e, PC_E_NOMEM, "out of memory");
}

PC_CHECK static pc_rc parse_attr_flags(struct parser *ps, const char *key, const char *v, unsigned flag)
{
	struct strlist l;
	size_t i;

	PC_TRY(split_list(ps, key, v, &l));
	for (i = 0; i < l.n; i++) {
		struct attr_rule *r;
		PC_TRY(rule_for(ps, key, l.v[i], &r));
		if ((flag == RULE_FORBID && (r->flags & (RULE_ALLOW | RULE_REQUIRE))) ||
		    (flag != RULE_FORBID && (r->flags & RULE_FORBID)))
			return perr(ps, "%s: '%s' is both forbidden and allowed", key, l.v[i]);
		r->flags |= flag;
	}
	return PC_OK;
}

PC_CHECK static pc_rc profile_key(struct parser *ps, const char *key, const char *v)
{
	struct profile *pr = ps->cur_prof;
	policy *p = ps->p;
	const struct named *t;

	if (strcmp(key, "summary") == 0) {
		pr->summary = v;
	} else if (strcmp(key, "keys") == 0) {
		pr->keys_text = v;
		return parse_keys(ps, key, v, pr);
	} else if (strcmp(key, "days") == 0) {
		return parse_uint(ps, key, v, POLICY_DAYS_MAX, &pr->days);
	} else if (strcmp(key, "max-days") == 0) {
		return parse_uint(ps, key, v, POLICY_DAYS_MAX, &pr->max_days);
	} else if (strcmp(key, "key-usage") == 0) {
		pr->ku_text = v;
		pr->has_ku = true;
		PC_TRY(parse_ku(ps, key, v, &pr->ku));
		/* this set applies to EC and Ed25519 keys, which cannot encrypt
		 * (RFC 8813 §3, RFC 8410 §5) */
		if (pr->ku & (POLICY_KU_KEY_ENCIPHERMENT | POLICY_KU_DATA_ENCIPHERMENT))
			return perr(ps, "key-usage: keyEncipherment/dataEncipherment are for RSA keys "
			    "only; put them in key-usage-rsa");
	} else if (strcmp(key, "key-usage-rsa") == 0) {
		pr->ku_rsa_text = v;
		pr->has_ku_rsa = true;
		PC_TRY(parse_ku(ps, key, v, &pr->ku_rsa));
		if (pr->ku_rsa & POLICY_KU_KEY_AGREEMENT)
			return perr(ps, "key-usage-rsa: keyAgreement is not an RSA key usage");
	} else if (strcmp(key, "ext-key-usage") == 0) {
		pr->eku_text = v;
		return parse_eku(ps, key, v, pr);
	} else if (strcmp(key, "subject-require") == 0) {
		return parse_attr_flags(ps, key, v, RULE_REQUIRE);
	} else if (strcmp(key, "subject-allow") == 0) {
		return parse_attr_flags(ps, key, v, RULE_ALLOW);
	} else if (strcmp(key, "subject-forbid") == 0) {
		return parse_attr_flags(ps, key, v, RULE_FORBID);
	} else if (strncmp(key, "subject-match.", 14) == 0 || strncmp(key, "subject-set.", 12) == 0) {
		bool set = key[8] == 's';
		struct attr_rule *r;
		PC_TRY(rule_for(ps, key, key + (set ? 12 : 14), &r));
		if (r->flags & RULE_FORBID)
			return perr(ps, "%s: the attribute is forbidden", key);
		if (set)
			r->set = v;
		else
			r->match = v;
	} else if (strcmp(key, "san-allow") == 0) {
		return parse_san_types(ps, key, v, &pr->san_allow);
	} else if (strcmp(key, "san-require") == 0) {
		return parse_san_types(ps, key, v, &pr->san_require);
	} else if (strcmp(key, "san-max") == 0) {
		return parse_uint(ps, key, v, POLICY_SANS_MAX, &pr->san_max);
	} else if (strncmp(key, "san-max.", 8) == 0) {
		if ((t = named_find(san_names, NELEM(san_names), key + 8)) == NULL)
			return perr(ps, "%s: unknown SAN type '%s' (dns, ip, uri, email)", key, key + 8);
		return parse_uint(ps, key, v, POLICY_SANS_MAX, &pr->san_max_type[t->bit]);
	} else if (strcmp(key, "san-dns") == 0) {
		return parse_dns_list(ps, key, v, &pr->dns, false);
	} else if (strcmp(key, "san-ip") == 0) {
		return parse_iplist(ps, key, v, &pr->ip);
	} else if (strcmp(key, "san-uri") == 0) {
		return split_list(ps, key, v, &pr->uri);
	} else if (strcmp(key, "san-email") == 0) {
		return parse_dns_list(ps, key, v, &pr->email, false);
	} else if (strcmp(key, "ca") == 0) {
		if (!name_ok(v))
			return perr(ps, "ca: '%s' is not a CA name", v);
		pr->ca = v;
	} else if (strcmp(key, "approval") == 0) {
		if (strcmp(v, "auto") == 0)
			pr->approval = POLICY_APPROVAL_AUTO;
		else if (strcmp(v, "officer") == 0)
			pr->approval = POLICY_APPROVAL_OFFICER;
		else if (strcmp(v, "single") == 0)
			pr->approval = POLICY_APPROVAL_SINGLE;
		else
			return perr(ps, "approval: '%s': expected auto, officer or single", v);
	} else if (strcmp(key, "renewal") == 0) {
		if (strcmp(v, "same-key") == 0)
			pr->renewal = POLICY_RENEWAL_SAME_KEY;
		else if (strcmp(v, "rekey-only") == 0)
			pr->renewal = POLICY_RENEWAL_REKEY_ONLY;
		else if (strcmp(v, "none") == 0)
			pr->renewal = POLICY_RENEWAL_NONE;
		else
			return perr(ps, "renewal: '%s': expected same-key, rekey-only or none", v);
	} else {
		return perr(ps, "unknown profile key '%s'", key);
	}
	(void)p;
	return PC_OK;
}

static bool station_ok(const char *s)
{
	size_t i;

	if (strlen(s) != STATION_ID_LEN)
		return false;
	for (i = 0; i < STATION_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

PC_CHECK static pc_rc segment_key(struct parser *ps, const char *key, const char *v)
{
	struct segment *sg = ps->cur_seg;
	size_t i;

	/* a segment the file does not name keeps what stands for it outside
	 * the file: its stations' enrollment (plantca station add), its CA,
	 * and that CA's name constraints; the file adds its profiles only */
	if (sg == &ps->p->defseg && strcmp(key, "profiles") != 0)
		return perr(ps, "[segment *] takes only 'profiles' (a segment the file does not name "
		    "keeps its enrolled stations, its CA and the CA's name constraints)");
	if (strcmp(key, "stations") == 0) {
		PC_TRY(split_list(ps, key, v, &sg->stations));
		for (i = 0; i < sg->stations.n; i++)
			if (!station_ok(sg->stations.v[i]))
				return perr(ps, "stations: '%s' is not a station key id (16 uppercase hex "
				    "digits)", sg->stations.v[i]);
	} else if (strcmp(key, "profiles") == 0) {
		sg->profiles_line = ps->line;
		return split_list(ps, key, v, &sg->profiles);
	} else if (strcmp(key, "ca") == 0) {
		if (!name_ok(v))
			return perr(ps, "ca: '%s' is not a CA name", v);
		sg->ca = v;
	} else if (strcmp(key, "dns") == 0) {
		sg->dns_text = v;
		return parse_dns_list(ps, key, v, &sg->dns, true);
	} else if (strcmp(key, "ip") == 0) {
		sg->ip_text = v;
		return parse_iplist(ps, key, v, &sg->ip);
	} else if (strcmp(key, "uri") == 0) {
		sg->uri_text = v;
		return split_list(ps, key, v, &sg->uri);
	} else if (strcmp(key, "email") == 0) {
		sg->email_text = v;
		return parse_dns_list(ps, key, v, &sg->email, true);
	} else {
		return perr(ps, "unknown segment key '%s'", key);
	}
	return PC_OK;
}

PC_CHECK static pc_rc section_end(struct parser *ps)
{
	struct profile *pr = ps->cur_prof;
	struct segment *sg = ps->cur_seg;
	int line = ps->line;

	if (pr != NULL) {
		ps->line = pr->line;
		if (pr->keys == 0 && pr->nrsa == 0)
			return perr(ps, "profile %s: no 'keys' (allowed key types)", pr->name);
		if (pr->days == 0)
			return perr(ps, "profile %s: no 'days' (default validity)", pr->name);
		if (pr->max_days == 0)
			pr->max_days = pr->days;
		if (pr->days > pr->max_days)
			return perr(ps, "profile %s: days %u exceed max-days %u", pr->name, pr->days,
			    pr->max_days);
		if (!pr->has_ku)
			return perr(ps, "profile %s: no 'key-usage'", pr->name);
		if (!pr->has_ku_rsa) {
			pr->ku_rsa = pr->ku & ~(unsigned)POLICY_KU_KEY_AGREEMENT;
			pr->ku_rsa_text = pr->ku_text;
		}
		if (pr->ku == 0 && (pr->keys != 0))
			return perr(ps, "profile %s: empty key usage", pr->name);
		if ((pr->keys & (1u << POLICY_KEY_ED25519)) && (pr->ku & POLICY_KU_KEY_AGREEMENT))
			return perr(ps, "profile %s: keyAgreement with ed25519 keys (Ed25519 only signs)",
			    pr->name);
		if ((pr->san_require & ~pr->san_allow) != 0)
			return perr(ps, "profile %s: san-require names a type that san-allow does not",
			    pr->name);
		for (size_t i = 0; i < pr->neku; i++) {
			if (strcmp(pr->eku[i], pkix_oid_dotted(PKIX_OID_KP_CODE_SIGNING)) == 0)
				pr->signs_code = pr->has_codesign = true;
			else if (strcmp(pr->eku[i], pkix_oid_dotted(PKIX_OID_KP_ANY)) == 0)
				pr->signs_code = true;
		}
	}
	if (sg != NULL) {
		ps->line = sg->line;
		if (sg->profiles.n == 0)
			return perr(ps, "segment %s: no 'profiles'", sg->name);
	}
	ps->line = line;
	ps->cur_prof = NULL;
	ps->cur_seg = NULL;
	ps->nseen = 0;
	return PC_OK;
}

PC_CHECK static pc_rc section_start(struct parser *ps, char *s)
{
	policy *p = ps->p;
	size_t n = strlen(s), i;
	char *name;
	bool prof;

	if (s[n - 1] != ']')
		return perr(ps, "section header without ']'");
	s[n - 1] = '\0';
	s++;
	if (strncmp(s, "profile ", 8) == 0)
		prof = true;
	else if (strncmp(s, "segment ", 8) == 0)
		prof = false;
	else
		return perr(ps, "unknown section '[%s]' (profile NAME, segment NAME)", s);
	name = s + 8;
	while (*name == ' ')
		name++;
	n = strlen(name);
	while (n > 0 && name[n - 1] == ' ')
		name[--n] = '\0';
	if (!prof && strcmp(name, "*") == 0) {
		if (p->has_defseg)
			return perr(ps, "segment * defined twice (first at line %d)", p->defseg.line);
		p->has_defseg = true;
		ps->cur_seg = &p->defseg;
		memset(ps->cur_seg, 0, sizeof *ps->cur_seg);
		ps->cur_seg->line = ps->line;
		ps->cur_seg->name = "*";
		return PC_OK;
	}
	if (!name_ok(name))
		return perr(ps, "'%s' is not a valid name ([A-Za-z0-9][A-Za-z0-9._-]*, at most %d)",
		    name, POLICY_NAME_MAX);
	if (prof) {
		for (i = 0; i < p->nprof; i++)
			if (strcmp(p->prof[i].name, name) == 0)
				return perr(ps, "profile %s defined twice (first at line %d)", name,
				    p->prof[i].line);
		if (p->nprof >= POLICY_PROFILES_MAX)
			return perr(ps, "more than %d profiles", POLICY_PROFILES_MAX);
		ps->cur_prof = &p->prof[p->nprof++];
		memset(ps->cur_prof, 0, sizeof *ps->cur_prof);
		ps->cur_prof->line = ps->line;
		ps->cur_prof->name = arena_dup(p, name, n);
		return ps->cur_prof->name ? PC_OK : pc_fail(ps->e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < p->nseg; i++)
		if (strcmp(p->seg[i].name, name) == 0)
			return perr(ps, "segment %s defined twice (first at line %d)", name, p->seg[i].line);
	if (p->nseg >= POLICY_SEGMENTS_MAX)
		return perr(ps, "more than %d segments", POLICY_SEGMENTS_MAX);
	ps->cur_seg = &p->seg[p->nseg++];
	memset(ps->cur_seg, 0, sizeof *ps->cur_seg);
	ps->cur_seg->line = ps->line;
	ps->cur_seg->name = arena_dup(p, name, n);
	return ps->cur_seg->name ? PC_OK : pc_fail(ps->e, PC_E_NOMEM, "out of memory");
}

PC_CHECK static pc_rc parse_line(struct parser *ps, const uint8_t *raw, size_t n)
{
	char buf[POLICY_LINE_MAX + 1];
	char *s, *eq, *key, *val;
	size_t i, kn;

	for (i = 0; i < n; i++) {
		uint8_t c = raw[i];
		if (c == '\r' && i == n - 1)
			break;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return perr(ps, "control character 0x%02x", c);
	}
	n = i;
	if (!pc_utf8_valid(raw, n))   /* RFC 3629 */
		return perr(ps, "not valid UTF-8");
	memcpy(buf, raw, n);
	buf[n] = '\0';
	for (i = 0; i < n; i++)
		if (buf[i] == '\t')
			buf[i] = ' ';
	s = buf;
	while (*s == ' ')
		s++;
	while (n > 0 && (buf[n - 1] == ' '))
		buf[--n] = '\0';
	if (*s == '\0' || *s == '#' || *s == ';')
		return PC_OK;
	if (*s == '[') {
		PC_TRY(section_end(ps));
		return section_start(ps, s);
	}
	eq = strchr(s, '=');
	if (eq == NULL)
		return perr(ps, "expected 'key = value', '[profile NAME]' or '[segment NAME]'");
	key = s;
	kn = (size_t)(eq - s);
	while (kn > 0 && key[kn - 1] == ' ')
		kn--;
	key[kn] = '\0';
	if (kn == 0)
		return perr(ps, "empty key");
	for (i = 0; i < kn; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= 'A' && key[i] <= 'Z') ||
		    (key[i] >= '0' && key[i] <= '9') || key[i] == '-' || key[i] == '.'))
			return perr(ps, "bad character in key '%s'", key);
	val = eq + 1;
	while (*val == ' ')
		val++;
	if (*val == '\0')
		return perr(ps, "%s: empty value", key);
	if (ps->cur_prof == NULL && ps->cur_seg == NULL)
		return perr(ps, "'%s' outside a [profile NAME] or [segment NAME] section", key);
	if (kn >= sizeof ps->seen[0])
		return perr(ps, "unknown key '%s'", key);
	for (i = 0; i < ps->nseen; i++)
		if (strcmp(ps->seen[i], key) == 0)
			return perr(ps, "%s: given twice in this section", key);
	if (ps->nseen < NELEM(ps->seen))
		memcpy(ps->seen[ps->nseen++], key, kn + 1);
	else
		return perr(ps, "too many keys in one section");
	val = arena_dup(ps->p, val, strlen(val));
	if (val == NULL)
		return pc_fail(ps->e, PC_E_NOMEM, "out of memory");
	return ps->cur_prof ? profile_key(ps, key, val) : segment_key(ps, key, val);
}

PC_CHECK static pc_rc check_refs(struct parser *ps)
{
	policy *p = ps->p;
	size_t i, j, k;

	if (p->nprof == 0) {
		ps->line = ps->line > 0 ? ps->line : 1;
		return perr(ps, "no profiles");
	}
	for (i = 0; i < p->nseg + (p->has_defseg ? 1 : 0); i++) {
		struct segment *sg = i < p->nseg ? &p->seg[i] : &p->defseg;
		for (j = 0; j < sg->profiles.n; j++) {
			for (k = 0; k < p->nprof; k++)
				if (strcmp(p->prof[k].name, sg->profiles.v[j]) == 0)
					break;
			if (k == p->nprof) {
				ps->line = sg->profiles_line;
				return perr(ps, "segment %s: profile '%s' is not defined", sg->name,
				    sg->profiles.v[j]);
			}
			/* a station's request never makes a certificate that
			 * could sign firmware (the hard rule in policy_decide;
			 * refused here so that no file pretends otherwise) */
			if (p->prof[k].signs_code) {
				ps->line = sg->profiles_line;
				return perr(ps, "segment %s: profile %s makes code-signing certificates (%s), "
				    "which are never issued from a station's request (`plantca firmware "
				    "signer new` makes signers)", sg->name, p->prof[k].name,
				    p->prof[k].has_codesign ? "codeSigning" : "anyExtendedKeyUsage");
			}
			if (p->prof[k].ca && sg->ca && strcmp(p->prof[k].ca, sg->ca) != 0) {
				ps->line = sg->profiles_line;
				return perr(ps, "segment %s: profile %s issues from CA '%s', the segment "
				    "from CA '%s'", sg->name, p->prof[k].name, p->prof[k].ca, sg->ca);
			}
		}
	}
	return PC_OK;
}

PC_CHECK static pc_rc parse_all(struct parser *ps, const uint8_t *text, size_t len)
{
	pc_reader r = pc_reader_make(text, len);

	while (pc_reader_left(&r) > 0) {
		size_t left = pc_reader_left(&r), n;
		const uint8_t *start = r.p + r.off;
		const uint8_t *nl = memchr(start, '\n', left);
		ps->line++;
		n = nl ? (size_t)(nl - start) : left;
		if (n > POLICY_LINE_MAX)
			return perr(ps, "line longer than %d bytes", POLICY_LINE_MAX);
		if (memchr(start, '\0', n) != NULL)
			return perr(ps, "NUL byte");
		start = pc_reader_take(&r, n);
		if (start == NULL && n > 0)
			return pc_fail(ps->e, PC_E_INTERNAL, "policy reader failed");
		PC_TRY(parse_line(ps, start, n));
		if (nl != NULL && pc_reader_take(&r, 1) == NULL)
			return pc_fail(ps->e, PC_E_INTERNAL, "policy reader failed");
	}
	if (!pc_reader_done(&r))
		return pc_fail(ps->e, PC_E_INTERNAL, "policy reader failed");
	PC_TRY(section_end(ps));
	return check_refs(ps);
}

static void names_join(policy *p)
{
	pc_buf b = PC_BUF_INIT;
	size_t i;

	for (i = 0; i < p->nprof; i++)
		pc_buf_printf(&b, "%s%s", i ? ", " : "", p->prof[i].name);
	if (pc_buf_ok(&b))
		p->names = arena_dup(p, (const char *)b.p, b.len);
	pc_buf_free(&b);
	if (p->names == NULL)
		p->names = "";
}

pc_rc policy_parse(const uint8_t *text, size_t len, const char *what, policy **out, pc_err *e)
{
	struct parser ps;
	uint8_t h[crypto_hash_sha256_BYTES];
	policy *p;
	pc_rc rc;

	*out = NULL;
	if (len > POLICY_FILE_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: larger than the %d-byte limit", what, POLICY_FILE_MAX);
	p = calloc(1, sizeof *p);
	if (p == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	p->prof = calloc(POLICY_PROFILES_MAX, sizeof *p->prof);
	p->seg = calloc(POLICY_SEGMENTS_MAX, sizeof *p->seg);
	p->source = arena_dup(p, what, strlen(what));
	if (p->prof == NULL || p->seg == NULL || p->source == NULL) {
		policy_free(p);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	memset(&ps, 0, sizeof ps);
	ps.p = p;
	ps.what = what;
	ps.e = e;
	rc = parse_all(&ps, text, len);
	if (rc != PC_OK) {
		policy_free(p);
		return rc;
	}
	crypto_hash_sha256(h, text, len);
	sodium_bin2hex(p->hash, sizeof p->hash, h, sizeof h);
	names_join(p);
	*out = p;
	return PC_OK;
}

pc_rc policy_load(const char *path, policy **out, pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	pc_rc rc;

	*out = NULL;
	rc = pc_file_read(path, POLICY_FILE_MAX, &buf, &len, e);
	if (rc != PC_OK)
		return rc;
	rc = policy_parse(buf, len, path, out, e);
	free(buf);
	return rc;
}

extern const uint8_t policy_default_bytes[];
extern const size_t policy_default_len;

const uint8_t *policy_default_text(size_t *len)
{
	*len = policy_default_len;
	return policy_default_bytes;
}

pc_rc policy_default(policy **out, pc_err *e)
{
	return policy_parse(policy_default_bytes, policy_default_len, "(built-in default policy)",
	    out, e);
}

const char *policy_hash(const policy *p) { return p->hash; }
const char *policy_source(const policy *p) { return p->source; }
const char *policy_profile_names(const policy *p) { return p->names; }

static const struct profile *find_profile(const policy *p, const char *name)
{
	size_t i;

	for (i = 0; name && i < p->nprof; i++)
		if (strcmp(p->prof[i].name, name) == 0)
			return &p->prof[i];
	return NULL;
}

static const struct segment *find_segment(const policy *p, const char *name)
{
	size_t i;

	for (i = 0; name && i < p->nseg; i++)
		if (strcmp(p->seg[i].name, name) == 0)
			return &p->seg[i];
	return NULL;
}

bool policy_has_profile(const policy *p, const char *name)
{
	return find_profile(p, name) != NULL;
}

bool policy_has_segment(const policy *p, const char *name)
{
	return find_segment(p, name) != NULL;
}

bool policy_covers_segment(const policy *p, const char *name)
{
	return name != NULL && (p->has_defseg || find_segment(p, name) != NULL);
}

bool policy_profile_approval(const policy *p, const char *name, policy_approval *out)
{
	const struct profile *pr = find_profile(p, name);

	if (pr == NULL)
		return false;
	*out = pr->approval;
	return true;
}

/* ------------------------------------------------------------ decision */

static void violation(policy_decision *d, const char *fmt, ...) PC_PRINTF(2, 3);
static void violation(policy_decision *d, const char *fmt, ...)
{
	va_list ap;

	d->allow = false;
	if (d->nviolations < POLICY_VIOLATIONS_MAX) {
		va_start(ap, fmt);
		vsnprintf(d->violations[d->nviolations], POLICY_VIOLATION_LEN, fmt, ap);
		va_end(ap);
	}
	d->nviolations++;
}

static void list_text(const struct strlist *l, char *out, size_t n)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < l->n && off < n; i++) {
		int w = snprintf(out + off, n - off, "%s%s", i ? ", " : "", l->v[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void iplist_text(const struct iplist *l, char *out, size_t n)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < l->n && off < n; i++) {
		int w = snprintf(out + off, n - off, "%s%s", i ? ", " : "", l->v[i].text);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

static void san_text(const policy_san *s, char *out, size_t n)
{
	if (s->type == POLICY_SAN_IP) {
		if (s->len == 4)
			inet_ntop(AF_INET, s->val, out, (socklen_t)n);
		else if (s->len == 16)
			inet_ntop(AF_INET6, s->val, out, (socklen_t)n);
		else
			snprintf(out, n, "(bad address)");
	} else {
		(void)pc_text_quote(out, n, s->val, s->len);   /* from the request */
	}
}

static bool strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static bool key_allowed(const struct profile *pr, policy_key k, unsigned bits)
{
	size_t i;

	if (k == POLICY_KEY_RSA) {
		for (i = 0; i < pr->nrsa; i++)
			if (pr->rsa_bits[i] == bits)
				return true;
		return false;
	}
	return (pr->keys & (1u << k)) != 0;
}

static const struct attr_rule *rule_find(const struct profile *pr, const char *oid)
{
	size_t i;

	for (i = 0; i < pr->nrules; i++)
		if (strcmp(pr->rules[i].oid, oid) == 0)
			return &pr->rules[i];
	return NULL;
}

static void decide_subject(const struct profile *pr, const policy_request *r, policy_decision *d)
{
	size_t i, j;

	/* the template first (most general attributes, as the file lists them) */
	for (i = 0; i < pr->nrules; i++)
		if (pr->rules[i].set != NULL && d->nsubject < POLICY_ATTRS_MAX) {
			d->subject[d->nsubject].oid = pr->rules[i].oid;
			d->subject[d->nsubject].value = pr->rules[i].set;
			d->subject[d->nsubject].from_request = -1;
			d->nsubject++;
		}
	if (r->nsubject > POLICY_ATTRS_MAX) {
		violation(d, "subject has %zu attributes, more than %d", r->nsubject, POLICY_ATTRS_MAX);
		return;
	}
	for (i = 0; i < r->nsubject; i++) {
		const policy_attr *a = &r->subject[i];
		const struct attr_rule *rule = rule_find(pr, a->oid);
		const char *an = attr_name_of(a->oid);
		char q[80];    /* the request's value, display-escaped (it is stored and shown) */

		(void)pc_text_quote(q, sizeof q, a->value, strlen(a->value));
		if (rule == NULL || (rule->flags & RULE_FORBID)) {
			violation(d, "subject attribute %s='%s' is %s by profile %s", an, q,
			    rule ? "forbidden" : "not allowed", pr->name);
			continue;
		}
		if (rule->set != NULL) {
			if (strcmp(rule->set, a->value) != 0)
				violation(d, "subject %s '%s' differs from profile %s's fixed value '%s'",
				    an, q, pr->name, rule->set);
			continue;      /* the template's copy goes in */
		}
		if (!(rule->flags & (RULE_ALLOW | RULE_REQUIRE)) && rule->match == NULL) {
			violation(d, "subject attribute %s='%s' is not allowed by profile %s", an,
			    q, pr->name);
			continue;
		}
		if (rule->match != NULL && !policy_glob(rule->match, a->value, strlen(a->value))) {
			violation(d, "subject %s '%s' does not match profile %s's pattern '%s'", an,
			    q, pr->name, rule->match);
			continue;
		}
		if (d->nsubject < POLICY_ATTRS_MAX) {
			d->subject[d->nsubject].oid = a->oid;
			d->subject[d->nsubject].value = a->value;
			d->subject[d->nsubject].from_request = (int)i;
			d->nsubject++;
		}
	}
	for (i = 0; i < pr->nrules; i++) {
		const struct attr_rule *rule = &pr->rules[i];
		bool have = rule->set != NULL;
		if (!(rule->flags & RULE_REQUIRE))
			continue;
		for (j = 0; j < r->nsubject && !have; j++)
			have = strcmp(r->subject[j].oid, rule->oid) == 0;
		if (!have)
			violation(d, "subject attribute %s is required by profile %s", rule->name, pr->name);
	}
}

static void decide_san(const struct profile *pr, const struct segment *sg, const policy_request *r,
    policy_decision *d)
{
	unsigned count[SAN_TYPES] = { 0 };
	bool have_required = pr->san_require == 0;
	char v[256], list[512];
	size_t i;

	if (r->nsan > POLICY_SANS_MAX || (pr->san_max && r->nsan > pr->san_max)) {
		violation(d, "%zu SANs exceed profile %s's maximum of %u", r->nsan, pr->name,
		    pr->san_max ? pr->san_max : POLICY_SANS_MAX);
		return;
	}
	for (i = 0; i < r->nsan; i++) {
		const policy_san *s = &r->san[i];
		const char *tn = policy_san_type_name(s->type);
		const char *txt = (const char *)s->val;
		bool ok;
		size_t k;

		if (s->type != POLICY_SAN_DNS && s->type != POLICY_SAN_IP && s->type != POLICY_SAN_URI &&
		    s->type != POLICY_SAN_EMAIL) {
			violation(d, "SAN of unknown type %d", (int)s->type);
			continue;
		}
		san_text(s, v, sizeof v);
		count[s->type]++;
		if (!(pr->san_allow & (1u << s->type))) {
			violation(d, "SAN %s '%s' is not allowed by profile %s", tn, v, pr->name);
			continue;
		}
		if (pr->san_require & (1u << s->type))
			have_required = true;
		/* the profile's own patterns */
		ok = true;
		switch (s->type) {
		case POLICY_SAN_DNS:
			if (pr->dns.n) {
				for (ok = false, k = 0; k < pr->dns.n && !ok; k++)
					ok = policy_glob(pr->dns.v[k], txt, s->len);
				list_text(&pr->dns, list, sizeof list);
			}
			break;
		case POLICY_SAN_EMAIL:
			if (pr->email.n) {
				for (ok = false, k = 0; k < pr->email.n && !ok; k++)
					ok = policy_glob(pr->email.v[k], txt, s->len);
				list_text(&pr->email, list, sizeof list);
			}
			break;
		case POLICY_SAN_URI:
			if (pr->uri.n) {
				for (ok = false, k = 0; k < pr->uri.n && !ok; k++)
					ok = s->len >= strlen(pr->uri.v[k]) &&
					    memcmp(txt, pr->uri.v[k], strlen(pr->uri.v[k])) == 0;
				list_text(&pr->uri, list, sizeof list);
			}
			break;
		case POLICY_SAN_IP:
			if (pr->ip.n) {
				for (ok = false, k = 0; k < pr->ip.n && !ok; k++)
					ok = ip_in(&pr->ip.v[k], s->val, s->len);
				iplist_text(&pr->ip, list, sizeof list);
			}
			break;
		}
		if (!ok)
			violation(d, "SAN %s '%s' does not match profile %s's names (%s)", tn, v, pr->name,
			    list);
		if (sg == NULL)
			continue;
		/* the segment's name space */
		ok = false;
		switch (s->type) {
		case POLICY_SAN_DNS:
			for (k = 0; k < sg->dns.n && !ok; k++)
				ok = dns_in(sg->dns.v[k], txt, s->len);
			list_text(&sg->dns, list, sizeof list);
			break;
		case POLICY_SAN_EMAIL:
			for (k = 0; k < sg->email.n && !ok; k++)
				ok = email_in(sg->email.v[k], txt, s->len);
			list_text(&sg->email, list, sizeof list);
			break;
		case POLICY_SAN_URI:
			for (k = 0; k < sg->uri.n && !ok; k++)
				ok = s->len >= strlen(sg->uri.v[k]) &&
				    memcmp(txt, sg->uri.v[k], strlen(sg->uri.v[k])) == 0;
			list_text(&sg->uri, list, sizeof list);
			break;
		case POLICY_SAN_IP:
			for (k = 0; k < sg->ip.n && !ok; k++)
				ok = ip_in(&sg->ip.v[k], s->val, s->len);
			iplist_text(&sg->ip, list, sizeof list);
			break;
		}
		if (!ok)
			violation(d, "SAN %s '%s' is outside segment %s's names (%s)", tn, v, sg->name,
			    list[0] ? list : "none of this type");
	}
	for (i = 0; i < SAN_TYPES; i++)
		if (pr->san_max_type[i] && count[i] > pr->san_max_type[i])
			violation(d, "%u %s SANs exceed profile %s's maximum of %u", count[i],
			    policy_san_type_name((policy_san_type)i), pr->name, pr->san_max_type[i]);
	if (!have_required) {
		char want[64] = "";
		for (i = 0; i < NELEM(san_names); i++)
			if (pr->san_require & (1u << san_names[i].bit))
				snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
				    want[0] ? " or " : "",
				    policy_san_type_name((policy_san_type)san_names[i].bit));
		violation(d, "profile %s requires a SAN (%s)%s", pr->name, want,
		    (pr->san_require & (1u << POLICY_SAN_URI)) && strcmp(want, "URI") == 0 &&
		    pr->san_max_type[POLICY_SAN_URI] == 1 ? " carrying the ApplicationUri" : "");
	}
	d->san = r->san;
	d->nsan = r->nsan;
}

pc_rc policy_decide(const policy *p, const policy_request *r, policy_decision *d, pc_err *e)
{
	const struct profile *pr;
	const struct segment *sg = NULL;
	const char *what = r->what ? r->what : "request";
	char kn[32];
	size_t i, off;
	pc_rc rc = PC_E_POLICY;

	memset(d, 0, sizeof *d);
	d->allow = true;
	pr = find_profile(p, r->profile);
	if (pr == NULL) {
		violation(d, "profile '%s' is not in the policy (%s)", r->profile ? r->profile : "",
		    p->names);
		rc = PC_E_USAGE;
		goto out;
	}
	d->profile = pr->name;
	d->approval = pr->approval;
	d->needs_approval = pr->approval != POLICY_APPROVAL_AUTO;
	/* Firmware signing means nothing if a request can obtain a signer:
	 * whatever the file says, a certificate that could sign code is made
	 * only for a key generated in the token by `firmware signer new`. */
	if (pr->signs_code && !r->fw_signer)
		violation(d, "profile %s: %scode-signing certificates are made only by `plantca "
		    "firmware signer new` on the CA workstation", pr->name, pr->has_codesign ? "" :
		    "anyExtendedKeyUsage would let the certificate sign code; ");
	if (r->fw_signer && !pr->has_codesign)
		violation(d, "profile %s does not give codeSigning, which a firmware signer needs",
		    pr->name);
	if (r->segment != NULL) {
		const char *sgname = r->segment;
		sg = find_segment(p, r->segment);
		if (sg == NULL && p->has_defseg)
			sg = &p->defseg;   /* profiles only: no stations or names of its own */
		if (sg == NULL) {
			violation(d, "segment '%s' is not in the policy", r->segment);
			rc = PC_E_USAGE;
			goto out;
		}
		if (sg != &p->defseg && r->station != NULL && !strlist_has(&sg->stations, r->station))
			violation(d, "station %s is not enrolled for segment %s", r->station, sgname);
		if (!strlist_has(&sg->profiles, pr->name)) {
			char list[512];
			list_text(&sg->profiles, list, sizeof list);
			violation(d, "profile %s is not allowed in segment %s (%s)", pr->name, sgname, list);
		}
		if (sg->ca && r->ca && strcmp(sg->ca, r->ca) != 0)
			violation(d, "CA '%s' does not serve segment %s (its CA is '%s')", r->ca, sgname,
			    sg->ca);
		if (sg == &p->defseg)
			sg = NULL;         /* the name space is the issuing CA's constraints */
	}
	if (pr->ca && r->ca && strcmp(pr->ca, r->ca) != 0)
		violation(d, "profile %s issues only from CA '%s', not '%s'", pr->name, pr->ca, r->ca);
	d->ca = sg && sg->ca ? sg->ca : pr->ca ? pr->ca : r->ca;

	if (r->key == POLICY_KEY_RSA && r->bits < 2048)
		violation(d, "RSA key of %u bits is under the 2048-bit minimum", r->bits);
	else if (!key_allowed(pr, r->key, r->bits))
		violation(d, "key %s is not allowed by profile %s (%s)",
		    policy_key_name(r->key, r->bits, kn, sizeof kn), pr->name, pr->keys_text);

	d->days = r->days ? r->days : pr->days;
	if (d->days > pr->max_days)
		violation(d, "validity of %u days exceeds profile %s's maximum of %u", d->days, pr->name,
		    pr->max_days);

	decide_subject(pr, r, d);
	decide_san(pr, sg, r, d);
	if (d->nsubject == 0 && r->nsan == 0)
		violation(d, "empty subject and no subjectAltName (RFC 5280 §4.2.1.6)");

	d->key_usage = r->key == POLICY_KEY_RSA ? pr->ku_rsa : pr->ku;
	for (i = 0; i < pr->neku; i++)
		d->eku[i] = pr->eku[i];
	d->eku[pr->neku] = NULL;
out:
	if (d->allow)
		return PC_OK;
	/* "WHAT: rule; rule; ..." cut to fit the error record */
	{
		char msg[PC_ERR_MSG_MAX];
		size_t shown = d->nviolations < POLICY_VIOLATIONS_MAX ? d->nviolations
		    : POLICY_VIOLATIONS_MAX;
		off = (size_t)snprintf(msg, sizeof msg, "%s: ", what);
		for (i = 0; i < shown && off < sizeof msg; i++)
			off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", i ? "; " : "",
			    d->violations[i]);
		if (d->nviolations > shown && off < sizeof msg)
			snprintf(msg + off, sizeof msg - off, "; and %zu more",
			    d->nviolations - shown);
		pc_fail(e, rc, "%s", msg);
	}
	return rc;
}

bool policy_profile_renewal(const policy *p, const char *name, policy_renewal *out)
{
	const struct profile *pr = find_profile(p, name);

	if (pr == NULL)
		return false;
	*out = pr->renewal;
	return true;
}

unsigned policy_max_days(const policy *p, unsigned limit, const char **profile)
{
	unsigned best = 0;
	size_t i;

	*profile = NULL;
	for (i = 0; i < p->nprof; i++) {
		if (p->prof[i].days > best && p->prof[i].days <= limit) {
			best = p->prof[i].days;
			*profile = p->prof[i].name;
		}
	}
	return best;
}

const char *policy_renewal_name(policy_renewal r)
{
	switch (r) {
	case POLICY_RENEWAL_SAME_KEY: return "same-key";
	case POLICY_RENEWAL_REKEY_ONLY: return "rekey-only";
	case POLICY_RENEWAL_NONE: return "none";
	}
	return "?";
}

/* ------------------------------------------------------------ describe */

static const char *approval_name(policy_approval a)
{
	switch (a) {
	case POLICY_APPROVAL_AUTO: return "auto";
	case POLICY_APPROVAL_OFFICER: return "officer";
	case POLICY_APPROVAL_SINGLE: return "single";
	}
	return "?";
}

static void json_s(pc_buf *b, const char *s)
{
	pc_buf_byte(b, '"');
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			pc_buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			pc_buf_printf(b, "\\u%04x", c);
		else
			pc_buf_byte(b, c);
	}
	pc_buf_byte(b, '"');
}

static void json_list(pc_buf *b, const char *key, const struct strlist *l)
{
	size_t i;

	pc_buf_printf(b, ",\"%s\":[", key);
	for (i = 0; i < l->n; i++) {
		if (i)
			pc_buf_byte(b, ',');
		json_s(b, l->v[i]);
	}
	pc_buf_byte(b, ']');
}

static void json_ips(pc_buf *b, const char *key, const struct iplist *l)
{
	size_t i;

	pc_buf_printf(b, ",\"%s\":[", key);
	for (i = 0; i < l->n; i++) {
		if (i)
			pc_buf_byte(b, ',');
		json_s(b, l->v[i].text);
	}
	pc_buf_byte(b, ']');
}

static void ku_list(pc_buf *b, unsigned ku, bool json)
{
	size_t i;
	bool first = true;

	for (i = 0; i < NELEM(ku_names); i++) {
		if (!(ku & ku_names[i].bit) || strcmp(ku_names[i].name, "contentCommitment") == 0)
			continue;
		if (json) {
			if (!first)
				pc_buf_byte(b, ',');
			json_s(b, ku_names[i].name);
		} else {
			pc_buf_printf(b, "%s%s", first ? "" : " ", ku_names[i].name);
		}
		first = false;
	}
}

static void san_types(pc_buf *b, unsigned mask, bool json)
{
	size_t i;
	bool first = true;

	for (i = 0; i < NELEM(san_names); i++) {
		if (!(mask & (1u << san_names[i].bit)))
			continue;
		if (json) {
			if (!first)
				pc_buf_byte(b, ',');
			json_s(b, san_names[i].name);
		} else {
			pc_buf_printf(b, "%s%s", first ? "" : " ", san_names[i].name);
		}
		first = false;
	}
	if (first && !json)
		pc_buf_str(b, "(none)");
}

void policy_describe(const policy *p, bool json, pc_buf *b)
{
	size_t i, j;

	if (json) {
		pc_buf_str(b, "{\"source\":");
		json_s(b, p->source);
		pc_buf_printf(b, ",\"sha256\":\"%s\",\"profiles\":[", p->hash);
		for (i = 0; i < p->nprof; i++) {
			const struct profile *pr = &p->prof[i];
			pc_buf_str(b, i ? ",{\"name\":" : "{\"name\":");
			json_s(b, pr->name);
			pc_buf_str(b, ",\"summary\":");
			json_s(b, pr->summary ? pr->summary : "");
			pc_buf_str(b, ",\"keys\":");
			json_s(b, pr->keys_text);
			pc_buf_printf(b, ",\"days\":%u,\"max_days\":%u,\"key_usage\":[", pr->days,
			    pr->max_days);
			ku_list(b, pr->ku, true);
			pc_buf_str(b, "],\"key_usage_rsa\":[");
			ku_list(b, pr->ku_rsa, true);
			pc_buf_str(b, "],\"ext_key_usage\":[");
			for (j = 0; j < pr->neku; j++) {
				if (j)
					pc_buf_byte(b, ',');
				json_s(b, pr->eku[j]);
			}
			pc_buf_str(b, "],\"subject\":[");
			for (j = 0; j < pr->nrules; j++) {
				const struct attr_rule *r = &pr->rules[j];
				pc_buf_str(b, j ? ",{\"attribute\":" : "{\"attribute\":");
				json_s(b, r->name);
				pc_buf_printf(b, ",\"rule\":\"%s\"", r->flags & RULE_FORBID ? "forbid" :
				    r->flags & RULE_REQUIRE ? "require" : r->set ? "set" : "allow");
				if (r->match) {
					pc_buf_str(b, ",\"match\":");
					json_s(b, r->match);
				}
				if (r->set) {
					pc_buf_str(b, ",\"set\":");
					json_s(b, r->set);
				}
				pc_buf_byte(b, '}');
			}
			pc_buf_str(b, "],\"san_allow\":[");
			san_types(b, pr->san_allow, true);
			pc_buf_str(b, "],\"san_require\":[");
			san_types(b, pr->san_require, true);
			pc_buf_printf(b, "],\"san_max\":%u", pr->san_max);
			json_list(b, "san_dns", &pr->dns);
			json_ips(b, "san_ip", &pr->ip);
			json_list(b, "san_uri", &pr->uri);
			json_list(b, "san_email", &pr->email);
			pc_buf_str(b, ",\"ca\":");
			if (pr->ca)
				json_s(b, pr->ca);
			else
				pc_buf_str(b, "null");
			pc_buf_printf(b, ",\"approval\":\"%s\",\"renewal\":\"%s\",\"signer_only\":%s}",
			    approval_name(pr->approval), policy_renewal_name(pr->renewal),
			    pr->signs_code ? "true" : "false");
		}
		pc_buf_str(b, "],\"segments\":[");
		for (i = 0; i < p->nseg + (p->has_defseg ? 1 : 0); i++) {
			const struct segment *sg = i < p->nseg ? &p->seg[i] : &p->defseg;
			pc_buf_str(b, i ? ",{\"name\":" : "{\"name\":");
			json_s(b, sg->name);
			json_list(b, "stations", &sg->stations);
			json_list(b, "profiles", &sg->profiles);
			pc_buf_str(b, ",\"ca\":");
			if (sg->ca)
				json_s(b, sg->ca);
			else
				pc_buf_str(b, "null");
			json_list(b, "dns", &sg->dns);
			json_ips(b, "ip", &sg->ip);
			json_list(b, "uri", &sg->uri);
			json_list(b, "email", &sg->email);
			pc_buf_byte(b, '}');
		}
		pc_buf_str(b, "]}\n");
		return;
	}
	pc_buf_printf(b, "policy %s\nsha256 %s\n", p->source, p->hash);
	for (i = 0; i < p->nprof; i++) {
		const struct profile *pr = &p->prof[i];
		pc_buf_printf(b, "\nprofile %s%s%s\n", pr->name, pr->summary ? ": " : "",
		    pr->summary ? pr->summary : "");
		pc_buf_printf(b, "  keys           %s\n", pr->keys_text);
		pc_buf_printf(b, "  validity       %u days (at most %u)\n", pr->days, pr->max_days);
		pc_buf_str(b, "  key usage      ");
		ku_list(b, pr->ku, false);
		pc_buf_str(b, "\n  key usage RSA  ");
		ku_list(b, pr->ku_rsa, false);
		pc_buf_printf(b, "\n  ext key usage  %s\n", pr->eku_text ? pr->eku_text : "(none)");
		for (j = 0; j < pr->nrules; j++) {
			const struct attr_rule *r = &pr->rules[j];
			pc_buf_printf(b, "  subject %-6s %s%s%s%s%s\n", r->name,
			    r->flags & RULE_FORBID ? "forbidden" : r->flags & RULE_REQUIRE ? "required" :
			    r->set ? "set" : "allowed", r->match ? ", matching " : "",
			    r->match ? r->match : "", r->set ? " to " : "", r->set ? r->set : "");
		}
		pc_buf_str(b, "  SAN types      ");
		san_types(b, pr->san_allow, false);
		if (pr->san_require) {
			pc_buf_str(b, " (one of ");
			san_types(b, pr->san_require, false);
			pc_buf_str(b, " required)");
		}
		pc_buf_byte(b, '\n');
		if (pr->san_max)
			pc_buf_printf(b, "  SANs at most   %u\n", pr->san_max);
		pc_buf_printf(b, "  issuing CA     %s\n  approval       %s\n", pr->ca ? pr->ca : "(any)",
		    pr->signs_code ? "never from a request: firmware signers only (plantca firmware "
		    "signer new)" : approval_name(pr->approval));
		pc_buf_printf(b, "  renewal        %s\n", policy_renewal_name(pr->renewal));
	}
	for (i = 0; i < p->nseg + (p->has_defseg ? 1 : 0); i++) {
		const struct segment *sg = i < p->nseg ? &p->seg[i] : &p->defseg;
		char l[512];
		if (sg == &p->defseg) {
			list_text(&sg->profiles, l, sizeof l);
			pc_buf_printf(b, "\nsegment * (every segment this file does not name)\n"
			    "  profiles       %s\n  stations, CA, names: the enrollment in the store and "
			    "the CA's name constraints\n", l);
			continue;
		}
		pc_buf_printf(b, "\nsegment %s\n", sg->name);
		list_text(&sg->stations, l, sizeof l);
		pc_buf_printf(b, "  stations       %s\n", l[0] ? l : "(none)");
		list_text(&sg->profiles, l, sizeof l);
		pc_buf_printf(b, "  profiles       %s\n  issuing CA     %s\n", l, sg->ca ? sg->ca : "(any)");
		pc_buf_printf(b, "  dns            %s\n  ip             %s\n  uri            %s\n"
		    "  email          %s\n", sg->dns_text ? sg->dns_text : "(none)",
		    sg->ip_text ? sg->ip_text : "(none)", sg->uri_text ? sg->uri_text : "(none)",
		    sg->email_text ? sg->email_text : "(none)");
	}
}
