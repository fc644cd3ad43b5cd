/*
 * test_manifest.c - a backup's MANIFEST (ca_manifest_parse, ca/manifest.c).
 *
 *   test_manifest CORPUS_DIR BAD_TABLE
 *
 * Every bad seed of the table is refused with exactly PATH + the message;
 * every bad-* seed has a line; every valid-* seed parses.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "manifest.h"

enum { TABLE_MAX = 64 };

static pc_rc count(void *ctx, const char *path, const uint8_t sha[32], pc_err *e)
{
	(void)path; (void)sha; (void)e;
	(*(size_t *)ctx)++;
	return PC_OK;
}

static pc_rc run(const char *path, pc_err *e)
{
	uint8_t *p;
	size_t len, n = 0;
	pc_rc rc = pc_file_read(path, 1 << 20, &p, &len, e);

	if (rc != PC_OK)
		return rc;
	rc = ca_manifest_parse(p, len, path, count, &n, e);
	free(p);
	return rc;
}

int main(int argc, char **argv)
{
	char *listed[TABLE_MAX], line[1024], fp[1024], want[2200];
	size_t nlisted = 0, nvalid = 0, i;
	struct dirent *d;
	FILE *f;
	DIR *dir;

	CHECK(argc == 3);
	CHECK((f = fopen(argv[2], "r")) != NULL);
	while (fgets(line, sizeof line, f)) {
		char *file, *msg;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok(line, "\t");
		msg = strtok(NULL, "");
		CHECK(file && msg && nlisted < TABLE_MAX);
		CHECK((listed[nlisted++] = strdup(file)) != NULL);
		snprintf(fp, sizeof fp, "%s/%s", argv[1], file);
		if (run(fp, &t_err) != PC_E_INPUT) {
			fprintf(stderr, "%s: not refused as input ('%s')\n", file, t_err.msg);
			return 1;
		}
		snprintf(want, sizeof want, "%s%s", fp, msg);
		if (strcmp(t_err.msg, want) != 0) {
			fprintf(stderr, "%s: got '%s'\n  want '%s'\n", file, t_err.msg, want);
			return 1;
		}
	}
	fclose(f);
	CHECK((dir = opendir(argv[1])) != NULL);
	while ((d = readdir(dir)) != NULL) {
		snprintf(fp, sizeof fp, "%s/%s", argv[1], d->d_name);
		if (strncmp(d->d_name, "bad-", 4) == 0) {
			bool found = false;
			for (i = 0; i < nlisted; i++)
				found |= strcmp(listed[i], d->d_name) == 0;
			if (!found) {
				fprintf(stderr, "%s: a bad seed without a line in the table\n", d->d_name);
				return 1;
			}
		} else if (strncmp(d->d_name, "valid-", 6) == 0) {
			CHECK_OK(run(fp, &t_err));
			nvalid++;
		}
	}
	closedir(dir);
	CHECK(nlisted >= 10 && nvalid >= 2);
	printf("ok - %zu bad MANIFESTs refused with the exact message, %zu valid ones parse\n",
	    nlisted, nvalid);
	for (i = 0; i < nlisted; i++)
		free(listed[i]);
	return 0;
}
