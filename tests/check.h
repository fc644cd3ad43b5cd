/*
 * check.h - the one assertion header of plantca's C tests: every unit test,
 * every fuzz target (through fuzz.h) and every test tool includes it, and
 * none defines assertions of its own.
 *
 * Exit status, as meson reads it:
 *   0   pass (main returns 0);
 *   1   a check failed (CHECK..., FAIL, CHECK_ROWS); fuzz targets abort()
 *       instead (fuzz.h defines T_FAIL_ABORTS), which libFuzzer and the
 *       standalone runner both report as a crash;
 *   77  skipped (SKIP): the test could not run, and says why.  Never 0: a
 *       test that did not run is not a pass;
 *   2   a test tool's usage or setup error (t_die, t_die_err).
 *
 * The first failed check prints file:line, the condition, what came back
 * and the last error message (t_err), and ends the program, so later checks
 * may rely on earlier ones.  Table drivers that should report every bad row
 * before failing use FAIL_ROW and, at the end, CHECK_ROWS.
 *
 * t_err is the error record the tests hand to the code under test; CHECK_RC
 * and CHECK_MSG read it.
 */
#ifndef PLANTCA_TEST_CHECK_H
#define PLANTCA_TEST_CHECK_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pc.h"

#define T_NORETURN __attribute__((noreturn))
#define T_UNUSED __attribute__((unused))

T_UNUSED static pc_err t_err;    /* the error record the tests pass to the code */
T_UNUSED static int t_failures;  /* rows reported by FAIL_ROW */

/* Ends the program after a failed check. */
T_NORETURN T_UNUSED static void t_fail_exit(void)
{
	fflush(stdout);
#ifdef T_FAIL_ABORTS
	abort();
#else
	exit(1);
#endif
}

/* "file:line: " then the formatted text, a newline, the end. */
T_NORETURN T_UNUSED PC_PRINTF(3, 4)
static void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	t_fail_exit();
}

/* The condition must hold. */
#define CHECK(cond) do { if (!(cond)) \
	t_fail(__FILE__, __LINE__, "CHECK failed: %s\n  last error: %s", #cond, t_err.msg); \
	} while (0)

/* The condition must hold; on failure the formatted text says what came
 * back (for checks whose condition alone would not tell). */
#define CHECKF(cond, ...) do { if (!(cond)) { \
	fflush(stdout); \
	fprintf(stderr, "%s:%d: CHECK failed: %s\n  ", __FILE__, __LINE__, #cond); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	t_fail_exit(); } } while (0)

/* An unconditional failure, with what happened. */
#define FAIL(...) t_fail(__FILE__, __LINE__, __VA_ARGS__)

/* expr must return `want` (a pc_rc); the message is t_err's. */
#define CHECK_RC(expr, want) do { pc_rc t_got_ = (expr); \
	if (t_got_ != (want)) \
		t_fail(__FILE__, __LINE__, "%s\n  returned %s, expected %s\n  message: %s", \
		    #expr, pc_rc_name(t_got_), pc_rc_name(want), \
		    t_got_ != PC_OK ? t_err.msg : ""); \
	} while (0)

#define CHECK_OK(expr) CHECK_RC(expr, PC_OK)

/* The last error message (t_err) contains `frag`. */
#define CHECK_MSG(frag) do { if (strstr(t_err.msg, (frag)) == NULL) \
	t_fail(__FILE__, __LINE__, "message lacks \"%s\"\n  message: %s", (frag), t_err.msg); \
	} while (0)

/* Bytes [p, p+n) equal the wn bytes `want` (printed in hex on failure). */
#define CHECK_BYTES(p, n, want, wn) \
	t_check_bytes(__FILE__, __LINE__, (const uint8_t *)(p), (n), \
	    (const uint8_t *)(want), (wn))

/* The name the fuzz targets used before this header; the same as CHECK. */
#define FUZZ_ASSERT(cond) CHECK(cond)

/* A table row failed: report it and go on with the next row; CHECK_ROWS at
 * the end of the table fails the test if any row did. */
#define FAIL_ROW(...) do { t_failures++; \
	fprintf(stderr, "%s:%d: ", __FILE__, __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); } while (0)

#define CHECK_ROWS(nrows) do { if (t_failures > 0) \
	t_fail(__FILE__, __LINE__, "%d of %zu rows failed", t_failures, (size_t)(nrows)); \
	} while (0)

/* Skip the test (exit 77, meson's SKIP), saying why: call it before a
 * check that cannot run here, never after a failure. */
#define SKIP(...) t_skip(__VA_ARGS__)

T_NORETURN T_UNUSED PC_PRINTF(1, 2)
static void t_skip(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("SKIP: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(77);
}

T_UNUSED static void t_hexdump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "  %s (%zu):", what, n);
	for (i = 0; i < n && i < 64; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", n > 64 ? " ..." : "");
}

T_UNUSED static void t_check_bytes(const char *file, int line, const uint8_t *p,
    size_t n, const uint8_t *want, size_t wn)
{
	if (n == wn && (n == 0 || memcmp(p, want, n) == 0))
		return;
	fflush(stdout);
	fprintf(stderr, "%s:%d: bytes differ\n", file, line);
	t_hexdump("got ", p, n);
	t_hexdump("want", want, wn);
	t_fail_exit();
}

/*
 * Scratch directories.  t_tmpdir makes a fresh private directory
 * "$TMPDIR/plantca-WHAT-XXXXXX" (/tmp without TMPDIR); the test removes
 * what it wrote and then the directory with t_rmdir, which fails the test
 * if anything else was left there.  t_workdir makes one for the whole
 * program, removed with everything in it at exit (T_KEEP=1 keeps it), and
 * t_path, t_write and t_sh work inside it.
 */
T_UNUSED static void t_tmpdir(char *out, size_t cap, const char *what)
{
	const char *base = getenv("TMPDIR");

	CHECK((size_t)snprintf(out, cap, "%s/plantca-%s-XXXXXX",
	    base != NULL && base[0] != '\0' ? base : "/tmp", what) < cap);
	CHECKF(mkdtemp(out) != NULL, "mkdtemp %s: %s", out, strerror(errno));
}

/* Unlink the named files of dir (a NULL-terminated list), then rmdir it. */
T_UNUSED static void t_rmdir(const char *dir, ...)
{
	char p[4096];
	const char *name;
	va_list ap;

	va_start(ap, dir);
	while ((name = va_arg(ap, const char *)) != NULL) {
		snprintf(p, sizeof p, "%s/%s", dir, name);
		(void)unlink(p);
	}
	va_end(ap);
	CHECKF(rmdir(dir) == 0, "rmdir %s: %s", dir, strerror(errno));
}

T_UNUSED static char t_dir[512];

T_UNUSED static void t_workdir_rm(void)
{
	char cmd[600];

	if (t_dir[0] != '\0' && getenv("T_KEEP") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf -- '%s'", t_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", t_dir);
	}
}

T_UNUSED static void t_workdir(const char *what)
{
	t_tmpdir(t_dir, sizeof t_dir, what);
	CHECK(atexit(t_workdir_rm) == 0);
}

/* dir/name of the work directory. */
T_UNUSED static void t_path(char *out, size_t n, const char *name)
{
	CHECK((size_t)snprintf(out, n, "%s/%s", t_dir, name) < n);
}

/* Write n bytes to name in the work directory. */
T_UNUSED static void t_write(const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	t_path(path, sizeof path, name);
	f = fopen(path, "wb");
	CHECKF(f != NULL, "%s: %s", path, strerror(errno));
	CHECK(n == 0 || fwrite(p, 1, n, f) == n);
	CHECK(fclose(f) == 0);
}

/* Run a shell command in the work directory; its exit status (255: none). */
T_UNUSED PC_PRINTF(1, 2) static int t_sh(const char *fmt, ...)
{
	char cmd[4096], full[4700];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	CHECK(vsnprintf(cmd, sizeof cmd, fmt, ap) < (int)sizeof cmd);
	va_end(ap);
	snprintf(full, sizeof full, "cd '%s' && %s", t_dir, cmd);
	rc = system(full);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

/*
 * Test tools (programs the tests and benchmarks run, not tests): a usage
 * or setup error ends the tool with exit status 2 and a message naming it.
 * A tool's verdicts (crl_wolfssl refusing a CRL: 1) are its own.
 */
T_NORETURN T_UNUSED PC_PRINTF(1, 2)
static void t_die(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* t_die with an error record's message (e may be NULL). */
T_NORETURN T_UNUSED static void t_die_err(const pc_err *e)
{
	t_die("%s", e != NULL && e->msg[0] != '\0' ? e->msg : "failed");
}


/* A table file: one row per line, fields separated by TABs, lines starting
 * with '#' and empty lines skipped.  Calls fn for each row, which must have
 * exactly `cols` fields (a line cut by the buffer or with another count is
 * a broken table and fails the test).  Returns the number of rows. */
enum { T_TABLE_LINE_MAX = 1 << 20, T_TABLE_COLS_MAX = 8 };
typedef void (*t_row_fn)(char *const *field, void *ctx);

T_UNUSED static size_t t_table(const char *path, size_t cols, t_row_fn fn, void *ctx)
{
	char *line = malloc(T_TABLE_LINE_MAX), *field[T_TABLE_COLS_MAX], *p, *nl;
	size_t rows = 0, n, lineno = 0;
	FILE *f;

	if (line == NULL || cols == 0 || cols > T_TABLE_COLS_MAX)
		t_die("t_table: bad arguments or out of memory");
	if ((f = fopen(path, "r")) == NULL)
		t_die("%s: %s", path, strerror(errno));
	while (fgets(line, T_TABLE_LINE_MAX, f) != NULL) {
		lineno++;
		if ((nl = strchr(line, '\n')) == NULL)
			t_die("%s:%zu: line too long or not ended", path, lineno);
		*nl = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		for (n = 0, p = line; n < cols; n++) {
			field[n] = p;
			p = strchr(p, '\t');
			if (p != NULL)
				*p++ = '\0';
			if ((p == NULL) != (n == cols - 1))
				t_die("%s:%zu: expected %zu TAB-separated fields", path, lineno, cols);
		}
		fn(field, ctx);
		rows++;
	}
	fclose(f);
	free(line);
	return rows;
}

#endif
