/*
 * manifest.c - a backup's MANIFEST read back (backup.h
 * ca_manifest_parse).  Apart from ca/backup.c because it reads untrusted
 * bytes and has its own fuzz target (tests/fuzz/fuzz_manifest.c), which
 * links this file alone.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "manifest.h"
#include "pem.h"

/* A path a backup may hold: db/data.mdb, policy.conf, public/NAME,
 * crl/NAME or crl/current/NAME; NAME [A-Za-z0-9][A-Za-z0-9._-]*, no "..". */
static bool backup_path_ok(const char *p)
{
	const char *name = NULL;
	size_t i;

	if (strcmp(p, "db/data.mdb") == 0 || strcmp(p, CA_BACKUP_POLICY) == 0)
		return true;
	if (strncmp(p, "public/", 7) == 0)
		name = p + 7;
	else if (strncmp(p, "crl/current/", 12) == 0)
		name = p + 12;
	else if (strncmp(p, "crl/", 4) == 0)
		name = p + 4;
	if (name == NULL || name[0] == '\0' || strstr(name, "..") != NULL || strlen(name) > 255)
		return false;
	for (i = 0; name[i]; i++) {
		char ch = name[i];
		bool alnum = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || (ch != '.' && ch != '-' && ch != '_')))
			return false;
	}
	return true;
}

/* MANIFEST from p[0..len) (untrusted until its signature is checked):
 * "HEX  PATH\n" lines, paths of backup_path_ok, sorted, each once. */
pc_rc ca_manifest_parse(const uint8_t *p, size_t len, const char *what, ca_manifest_fn fn,
    void *ctx, pc_err *e)
{
	char last[PATH_MAX] = "", path[PATH_MAX], hex[65];
	size_t at = 0, line = 0;
	uint8_t sha[32];
	bool have_db = false;

	while (at < len) {
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		size_t n, got = 0;
		line++;
		if (nl == NULL)
			return pc_fail(e, PC_E_INPUT, "%s:%zu: no newline at the end", what, line);
		n = (size_t)(nl - (p + at));
		if (n < 67 || n - 66 >= sizeof path || p[at + 64] != ' ' || p[at + 65] != ' ' ||
		    memchr(p + at, '\0', n) != NULL)
			return pc_fail(e, PC_E_INPUT, "%s:%zu: expected 'SHA256  PATH'", what, line);
		memcpy(hex, p + at, 64);
		hex[64] = '\0';
		memcpy(path, p + at + 66, n - 66);
		path[n - 66] = '\0';
		if (strspn(hex, "0123456789abcdef") != 64 || !pc_hex_decode(hex, sha, 32, &got) || got != 32)
			return pc_fail(e, PC_E_INPUT, "%s:%zu: the SHA-256 is not 64 lowercase hex digits",
			    what, line);
		for (got = 0; path[got] != '\0'; got++)
			if ((unsigned char)path[got] < 0x21 || (unsigned char)path[got] > 0x7e)
				return pc_fail(e, PC_E_INPUT, "%s:%zu: a path with a space, control or "
				    "non-ASCII byte", what, line);
		if (!backup_path_ok(path))
			return pc_fail(e, PC_E_INPUT, "%s:%zu: '%s' is not a file a backup holds", what,
			    line, path);
		if (strcmp(path, last) <= 0)
			return pc_fail(e, PC_E_INPUT, "%s:%zu: %s out of order or twice", what, line, path);
		snprintf(last, sizeof last, "%s", path);
		have_db |= strcmp(path, "db/data.mdb") == 0;
		PC_TRY(fn(ctx, path, sha, e));
		at += n + 1;
	}
	if (!have_db)
		return pc_fail(e, PC_E_INPUT, "%s: does not list db/data.mdb", what);
	return PC_OK;
}

