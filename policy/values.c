/*
 * values.c - the parser's error (FILE:LINE: ...) and the value parsers: lists,
 * numbers, IP ranges, domains, key usages, purposes, key types, SAN types.
 */
#include "policy_int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "der.h"

pc_rc pol_perr(struct parser *ps, const char *fmt, ...)
{
	char msg[PC_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return pc_fail(ps->e, PC_E_POLICY_FILE, "%s:%d: %s", ps->what, ps->line, msg);
}

bool pol_name_ok(const char *s)
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
pc_rc pol_split_list(struct parser *ps, const char *key, const char *v, struct strlist *out)
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
			return pol_perr(ps, "%s: more than %d items", key, POLICY_LIST_MAX);
		if ((out->v[out->n++] = pol_arena_dup(ps->p, s, n)) == NULL)
			return pc_fail(ps->e, PC_E_NOMEM, "out of memory");
		s += n;
	}
	if (out->n == 0)
		return pol_perr(ps, "%s: empty list", key);
	return PC_OK;
}

pc_rc pol_parse_uint(struct parser *ps, const char *key, const char *v, unsigned max,
    unsigned *out)
{
	unsigned long x = 0;
	size_t i;

	if (v[0] == '\0' || strlen(v) > 9)
		return pol_perr(ps, "%s: '%s' is not a number from 1 to %u", key, v, max);
	for (i = 0; v[i]; i++) {
		if (v[i] < '0' || v[i] > '9')
			return pol_perr(ps, "%s: '%s' is not a number from 1 to %u", key, v, max);
		x = x * 10 + (unsigned long)(v[i] - '0');
	}
	if (x == 0 || x > max)
		return pol_perr(ps, "%s: '%s' is not a number from 1 to %u", key, v, max);
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
		return pol_perr(ps, "%s: '%s' is not an IP address or CIDR range", key, text);
	memcpy(a, text, al);
	a[al] = '\0';
	af = strchr(a, ':') ? AF_INET6 : AF_INET;
	n->len = af == AF_INET ? 4 : 16;
	if (inet_pton(af, a, n->addr) != 1)
		return pol_perr(ps, "%s: '%s' is not an IP address or CIDR range", key, text);
	bits = (unsigned)n->len * 8;
	if (slash != NULL) {
		const char *b = slash + 1;
		unsigned long x = 0;
		if (*b == '\0' || strlen(b) > 3)
			return pol_perr(ps, "%s: '%s': bad prefix length", key, text);
		for (; *b; b++) {
			if (*b < '0' || *b > '9')
				return pol_perr(ps, "%s: '%s': bad prefix length", key, text);
			x = x * 10 + (unsigned long)(*b - '0');
		}
		if (x > bits)
			return pol_perr(ps, "%s: '%s': prefix longer than the address", key, text);
		bits = (unsigned)x;
	}
	for (i = 0; i < n->len; i++) {
		unsigned take = bits >= 8 ? 8 : bits;
		n->mask[i] = (uint8_t)(take ? (0xff << (8 - take)) & 0xff : 0);
		bits -= take;
		if ((n->addr[i] & ~n->mask[i]) != 0)
			return pol_perr(ps, "%s: '%s': host bits set below the prefix length", key, text);
	}
	n->text = text;
	return PC_OK;
}

pc_rc pol_parse_iplist(struct parser *ps, const char *key, const char *v, struct iplist *out)
{
	struct strlist l;
	size_t i;

	PC_TRY(pol_split_list(ps, key, v, &l));
	for (i = 0; i < l.n; i++)
		PC_TRY(parse_ipnet(ps, key, l.v[i], &out->v[i]));
	out->n = l.n;
	return PC_OK;
}

pc_rc pol_parse_dns_list(struct parser *ps, const char *key, const char *v, struct strlist *out,
    bool segment)
{
	size_t i, j;

	PC_TRY(pol_split_list(ps, key, v, out));
	for (i = 0; i < out->n; i++) {
		const char *s = out->v[i];
		if (segment) {
			/* name space: "x", ".x" or "*.x"; no other wildcard */
			const char *b = s[0] == '*' && s[1] == '.' ? s + 2 : s[0] == '.' ? s + 1 : s;
			if (*b == '\0' || strchr(b, '*') || strchr(b, '?'))
				return pol_perr(ps, "%s: '%s' is not a domain (x, .x or *.x)", key, s);
			s = b;
		}
		for (j = 0; s[j]; j++) {
			char c = s[j];
			if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    c == '-' || c == '.' || c == '*' || c == '?' || (c == '@' && !segment)))
				return pol_perr(ps, "%s: '%s' has a character not allowed in a domain", key,
				    out->v[i]);
		}
	}
	return PC_OK;
}

pc_rc pol_parse_ku(struct parser *ps, const char *key, const char *v, unsigned *out)
{
	struct strlist l;
	size_t i;

	PC_TRY(pol_split_list(ps, key, v, &l));
	*out = 0;
	for (i = 0; i < l.n; i++) {
		const struct named *k = pol_named_find(pol_ku_names, pol_nku_names, l.v[i]);
		if (k == NULL)
			return pol_perr(ps, "%s: unknown key usage '%s' (digitalSignature, nonRepudiation, "
			    "keyEncipherment, dataEncipherment, keyAgreement)", key, l.v[i]);
		if (k->bit & (POLICY_KU_KEY_CERT_SIGN | POLICY_KU_CRL_SIGN))
			return pol_perr(ps, "%s: %s is for CA certificates, which profiles never issue",
			    key, l.v[i]);
		if (*out & k->bit)
			return pol_perr(ps, "%s: '%s' given twice", key, l.v[i]);
		*out |= k->bit;
	}
	return PC_OK;
}

pc_rc pol_parse_eku(struct parser *ps, const char *key, const char *v, struct profile *pr)
{
	struct strlist l;
	size_t i, j;

	PC_TRY(pol_split_list(ps, key, v, &l));
	if (l.n > POLICY_EKU_MAX)
		return pol_perr(ps, "%s: more than %d purposes", key, POLICY_EKU_MAX);
	for (i = 0; i < l.n; i++) {
		const char *oid = pol_eku_oid(l.v[i]);
		if (oid == NULL) {
			oid = l.v[i];
			pc_buf tmp = PC_BUF_INIT;
			bool ok = l.v[i][0] >= '0' && l.v[i][0] <= '2' && pc_oid_from_text(&tmp, l.v[i]);
			pc_buf_free(&tmp);
			if (!ok)
				return pol_perr(ps, "%s: '%s' is neither a known purpose (serverAuth, clientAuth, "
				    "codeSigning, emailProtection, timeStamping, OCSPSigning) nor a dotted "
				    "OID", key, l.v[i]);
		}
		for (j = 0; j < i; j++)
			if (strcmp(pr->eku[j], oid) == 0)
				return pol_perr(ps, "%s: '%s' given twice", key, l.v[i]);
		pr->eku[i] = oid;
	}
	pr->eku[l.n] = NULL;
	pr->neku = l.n;
	return PC_OK;
}

pc_rc pol_parse_keys(struct parser *ps, const char *key, const char *v, struct profile *pr)
{
	struct strlist l;
	size_t i;

	PC_TRY(pol_split_list(ps, key, v, &l));
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
			if (pol_parse_uint(ps, key, k + 4, 16384, &bits) != PC_OK)
				return pol_perr(ps, "%s: '%s': expected rsa-BITS", key, k);
			/* never RSA under 2048 bits (NIST SP 800-131A) */
			if (bits < 2048)
				return pol_perr(ps, "%s: '%s': RSA keys under 2048 bits are never allowed", key, k);
			if (pr->nrsa >= NELEM(pr->rsa_bits))
				return pol_perr(ps, "%s: more than %zu RSA sizes", key, NELEM(pr->rsa_bits));
			pr->rsa_bits[pr->nrsa++] = bits;
		} else {
			return pol_perr(ps, "%s: unknown key type '%s' (ec-p256, ec-p384, ed25519, rsa-BITS; "
			    "explicit curve parameters are never allowed)", key, k);
		}
	}
	return PC_OK;
}

pc_rc pol_parse_san_types(struct parser *ps, const char *key, const char *v, unsigned *out)
{
	struct strlist l;
	size_t i;

	PC_TRY(pol_split_list(ps, key, v, &l));
	*out = 0;
	for (i = 0; i < l.n; i++) {
		const struct named *k = pol_named_find(pol_san_names, pol_nsan_names, l.v[i]);
		if (k == NULL)
			return pol_perr(ps, "%s: unknown SAN type '%s' (dns, ip, uri, email)", key, l.v[i]);
		*out |= 1u << k->bit;
	}
	return PC_OK;
}
