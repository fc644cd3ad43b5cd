/*
 * t.h - the store suite's helpers: temporary store directories.  The
 * assertions are the common ones (tests/unit/common/check.h).
 */
#ifndef PLANTCA_TEST_T_H
#define PLANTCA_TEST_T_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc.h"

/* CHECK, CHECK_RC, CHECK_OK, CHECK_MSG and t_err: the unit tests' one set */
#include "../common/check.h"

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
