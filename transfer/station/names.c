/*
 * names.c - the names plantca-station makes and the small grammar its files
 * share: the one sanitiser that every name made from untrusted text passes
 * through (output files from certificate CNs, bundle members from CSR file
 * names), decimal numbers, path joins.
 */
#include <stdio.h>
#include <string.h>

#include "station.h"

bool st_is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool st_has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);

	return n >= m && strcmp(s + n - m, suf) == 0;
}

bool st_sanitise(const char *in, size_t inlen, char *out, size_t max)
{
	size_t i, n = 0;

	for (i = 0; i < inlen && n < max; i++) {
		char c = in[i];
		if (!st_is_alnum(c) && c != '.' && c != '-' && c != '_')
			c = '_';
		if (n == 0 && !st_is_alnum(c))
			continue;
		if (c == '_' && n > 0 && out[n - 1] == '_')
			continue;
		/* ".." is legal in a flat name but confusing next to paths */
		if (c == '.' && n > 0 && out[n - 1] == '.')
			continue;
		out[n++] = c;
	}
	while (n > 0 && (out[n - 1] == '_' || out[n - 1] == '.' || out[n - 1] == '-'))
		n--;
	out[n] = '\0';
	return n > 0;
}

bool st_u64_parse(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (*s == '\0' || strlen(s) > 20)
		return false;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

pc_rc st_path_join(char out[PATH_MAX], const char *dir, const char *name, pc_err *e)
{
	int n = snprintf(out, PATH_MAX, "%s/%s", dir, name);

	if (n < 0 || n >= PATH_MAX)
		return pc_fail(e, PC_E_USAGE, "%s/%s: path too long", dir, name);
	return PC_OK;
}
