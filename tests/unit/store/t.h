/*
 * t.h - tiny test helpers for the store suite.  A failed CHECK prints
 * file:line, the condition and the last error message, and exits 1.
 */
#ifndef PLANTCA_TEST_T_H
#define PLANTCA_TEST_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc.h"

static pc_err t_err;   /* the error record every test call uses */

#define CHECK(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n  last error: %s\n", \
	    __FILE__, __LINE__, #cond, t_err.msg); \
	exit(1); } } while (0)

/* expr must return `want` (a pc_rc). */
#define CHECK_RC(expr, want) do { pc_rc t_got_ = (expr); \
	if (t_got_ != (want)) { \
	fprintf(stderr, "%s:%d: %s\n  returned %s, expected %s\n" \
	    "  message: %s\n", __FILE__, __LINE__, #expr, \
	    pc_rc_name(t_got_), pc_rc_name(want), \
	    t_got_ != PC_OK ? t_err.msg : ""); \
	exit(1); } } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, PC_OK)

/* The last error message contains `frag`. */
#define CHECK_MSG(frag) do { if (strstr(t_err.msg, (frag)) == NULL) { \
	fprintf(stderr, "%s:%d: message lacks \"%s\"\n  message: %s\n", \
	    __FILE__, __LINE__, (frag), t_err.msg); \
	exit(1); } } while (0)

/* A fresh private directory under $TMPDIR (or /tmp). */
static inline void t_mktemp(char *out, size_t cap)
{
	const char *base = getenv("TMPDIR");

	snprintf(out, cap, "%s/plantca-store-XXXXXX", base ? base : "/tmp");
	CHECK(mkdtemp(out) != NULL);
}

/* Remove a store directory made by the tests: only the LMDB files. */
static inline void t_rmstore(const char *dir)
{
	char p[4096];

	snprintf(p, sizeof p, "%s/data.mdb", dir);
	(void)unlink(p);
	snprintf(p, sizeof p, "%s/lock.mdb", dir);
	(void)unlink(p);
	CHECK(rmdir(dir) == 0);
}

#endif
