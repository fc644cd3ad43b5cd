/*
 * standalone.c - main() for fuzz targets built without a fuzzing engine.
 *
 *   fuzz_TARGET [-flags ignored] DIR-OR-FILE...
 *
 * Every regular file of each directory (in name order, not recursing), and
 * every file named directly, is read into a buffer of exactly its size (so
 * that AddressSanitizer sees a read one byte past the end) and passed to
 * LLVMFuzzerTestOneInput() once.  Arguments starting with '-' are libFuzzer
 * flags and are skipped, so meson can pass the same arguments either way.
 * Exit status: 0 when every input ran, 1 when no input was found (a wrong
 * corpus path must not pass silently), 2 on a read error.  A property
 * violation in the target aborts.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

enum { STANDALONE_INPUT_MAX = 16 * 1024 * 1024 };

static int run_file(const char *path, size_t *count)
{
	FILE *f = fopen(path, "rb");
	struct stat st;
	uint8_t *buf;
	size_t got;

	if (f == NULL || fstat(fileno(f), &st) != 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		if (f != NULL)
			fclose(f);
		return 2;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > STANDALONE_INPUT_MAX) {
		fprintf(stderr, "%s: not a regular file or larger than %d bytes\n", path,
		    STANDALONE_INPUT_MAX);
		fclose(f);
		return 2;
	}
	buf = malloc(st.st_size > 0 ? (size_t)st.st_size : 1);
	if (buf == NULL) {
		fclose(f);
		return 2;
	}
	got = fread(buf, 1, (size_t)st.st_size, f);
	fclose(f);
	if (got != (size_t)st.st_size) {
		fprintf(stderr, "%s: short read\n", path);
		free(buf);
		return 2;
	}
	fprintf(stderr, "running %s (%zu bytes)\n", path, got);
	LLVMFuzzerTestOneInput(buf, got);
	free(buf);
	(*count)++;
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	int rc = 0;

	if (d == NULL) {
		fprintf(stderr, "%s: %s\n", dir, strerror(errno));
		return 2;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof *names);
			if (nn == NULL) {
				rc = 2;
				break;
			}
			names = nn;
		}
		names[n] = strdup(de->d_name);
		if (names[n] == NULL) {
			rc = 2;
			break;
		}
		n++;
	}
	closedir(d);
	if (n > 0)
		qsort(names, n, sizeof *names, cmp_names);
	for (i = 0; i < n; i++) {
		char path[4096];
		struct stat st;

		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		if (rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			rc = run_file(path, count);
		free(names[i]);
	}
	free(names);
	return rc;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i, rc = 0;

	for (i = 1; i < argc && rc == 0; i++) {
		struct stat st;

		if (argv[i][0] == '-')
			continue;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			return 2;
		}
		rc = S_ISDIR(st.st_mode) ? run_dir(argv[i], &count) : run_file(argv[i], &count);
	}
	if (rc != 0)
		return rc;
	if (count == 0) {
		fprintf(stderr, "%s: no inputs\n", argv[0]);
		return 1;
	}
	fprintf(stderr, "%zu inputs ran\n", count);
	return 0;
}
