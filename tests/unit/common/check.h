/*
 * check.h - the assertions of the common and x509 unit tests.
 *
 * A failed CHECK prints file:line, the condition and the last error message
 * (t_err), and exits 1: the first failure ends the test program, so later
 * checks may rely on earlier ones.  Every test program is run by meson; exit
 * status 0 is a pass.
 */
#ifndef PLANTCA_TEST_CHECK_H
#define PLANTCA_TEST_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc.h"

static pc_err t_err;   /* the error record the tests pass to the code */

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

/* Bytes [p, p+n) equal the n bytes `want` (printed in hex on failure). */
#define CHECK_BYTES(p, n, want, wn) \
	t_check_bytes(__FILE__, __LINE__, (const uint8_t *)(p), (n), \
	    (const uint8_t *)(want), (wn))

static inline void t_hexdump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s (%zu):", what, n);
	for (i = 0; i < n && i < 64; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

static inline void t_check_bytes(const char *file, int line, const uint8_t *p,
    size_t n, const uint8_t *want, size_t wn)
{
	if (n == wn && (n == 0 || memcmp(p, want, n) == 0))
		return;
	fprintf(stderr, "%s:%d: bytes differ\n", file, line);
	t_hexdump("got ", p, n);
	t_hexdump("want", want, wn);
	exit(1);
}

#endif
