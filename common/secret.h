/*
 * secret.h - PINs and passphrases.
 *
 * A secret lives only in sodium_malloc() memory (guard pages, mlock'ed,
 * wiped on free).  It comes from a file (first line, newline stripped) or a
 * no-echo prompt on the controlling terminal, never from argv or the
 * environment.  pc_secure_process() disables core dumps and ptrace
 * attachment; call it first thing in main().
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_SECRET_H
#define PLANTCA_SECRET_H

#include "pc.h"

enum { PC_SECRET_MAX = 256 };

typedef struct pc_secret {
	char *s;        /* NUL-terminated, in sodium_malloc memory */
	size_t len;
} pc_secret;

/* path != NULL: read the file (must be a regular file of at most
 * PC_SECRET_MAX bytes that its owner alone may read or write: chmod 600);
 * path == NULL: prompt on /dev/tty with echo off.  Errors: PC_E_IO,
 * PC_E_USAGE (no terminal and no file), PC_E_INPUT (empty, too large, not
 * a regular file, or readable or writable by group or others). */
pc_rc pc_secret_read(pc_secret *out, const char *path, const char *prompt,
    pc_err *e) PC_CHECK;
/* Wipe and free; safe on a zeroed struct. */
void pc_secret_free(pc_secret *s);

/* No core dumps, no ptrace, libsodium initialised. */
pc_rc pc_secure_process(pc_err *e) PC_CHECK;

#endif
