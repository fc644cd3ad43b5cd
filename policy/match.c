/*
 * match.c - matching a request's names: the glob of patterns, DNS and e-mail
 * name spaces, IP ranges.
 */
#include "policy_int.h"

#include <string.h>
#include <strings.h>

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
bool pol_dns_in(const char *entry, const char *s, size_t n)
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

bool pol_ip_in(const struct ipnet *net, const uint8_t *a, size_t n)
{
	size_t i;

	if (n != net->len)
		return false;
	for (i = 0; i < n; i++)
		if ((a[i] & net->mask[i]) != net->addr[i])
			return false;
	return true;
}

bool pol_email_in(const char *entry, const char *s, size_t n)
{
	const char *at = memchr(s, '@', n);
	size_t k;

	if (at == NULL)
		return false;
	k = (size_t)(at - s) + 1;
	return pol_dns_in(entry, s + k, n - k);
}
