/*
 * test_audit_texts.c - the two texts of the signed audit checkpoints that
 * come from outside: a checkpoint (tr_checkpoint_parse and _verify,
 * transfer/checkpoint.c) and a CA audit trail (st_trail_parse,
 * transfer/station/audit.c).
 *
 *   test_audit_texts CHECKPOINT_CORPUS CHECKPOINT_TABLE TRAIL_CORPUS TRAIL_TABLE
 *
 * Each table line is FILE<TAB>MESSAGE: the seed must be refused with
 * exactly PATH + MESSAGE (a badsig-* checkpoint parses and is refused by
 * the signature check).  Every bad-* and badsig-* seed has a line; every
 * valid-* seed is accepted (a checkpoint's signature verifies).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "station.h"

enum { TABLE_MAX = 64 };

static pc_rc count_event(void *ctx, const pc_audit_event *ev, pc_err *e)
{
	(void)ev; (void)e;
	(*(size_t *)ctx)++;
	return PC_OK;
}

/* kind 0: checkpoint, 1: trail */
static pc_rc run(int kind, const char *path, pc_err *e)
{
	uint8_t *p;
	size_t len, n = 0;
	pc_rc rc;

	rc = pc_file_read(path, 64 * 1024, &p, &len, e);
	if (rc != PC_OK)
		return rc;
	if (kind == 0) {
		tr_checkpoint c;
		rc = tr_checkpoint_parse(p, len, path, &c, e);
		if (rc == PC_OK)
			rc = tr_checkpoint_verify(&c, path, e);
	} else {
		rc = st_trail_parse(p, len, path, count_event, &n, e);
	}
	free(p);
	return rc;
}

static void table(int kind, const char *corpus, const char *tab)
{
	char *listed[TABLE_MAX], line[1024], fp[1024], want[2200];
	size_t nlisted = 0, nvalid = 0, i;
	struct dirent *d;
	FILE *f;
	DIR *dir;

	CHECK((f = fopen(tab, "r")) != NULL);
	while (fgets(line, sizeof line, f)) {
		char *file, *msg;
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok(line, "\t");
		msg = strtok(NULL, "");
		CHECK(file && msg && nlisted < TABLE_MAX);
		CHECK((listed[nlisted++] = strdup(file)) != NULL);
		snprintf(fp, sizeof fp, "%s/%s", corpus, file);
		if (run(kind, fp, &t_err) == PC_OK) {
			fprintf(stderr, "%s: accepted, expected '%s'\n", file, msg);
			exit(1);
		}
		snprintf(want, sizeof want, "%s%s", fp, msg);
		if (strcmp(t_err.msg, want) != 0) {
			fprintf(stderr, "%s: got '%s'\n  want '%s'\n", file, t_err.msg, want);
			exit(1);
		}
	}
	fclose(f);
	CHECK((dir = opendir(corpus)) != NULL);
	while ((d = readdir(dir)) != NULL) {
		snprintf(fp, sizeof fp, "%s/%s", corpus, d->d_name);
		if (strncmp(d->d_name, "bad", 3) == 0) {
			bool found = false;
			for (i = 0; i < nlisted; i++)
				found |= strcmp(listed[i], d->d_name) == 0;
			if (!found) {
				fprintf(stderr, "%s: a bad seed without a line in %s\n", d->d_name, tab);
				exit(1);
			}
		} else if (strncmp(d->d_name, "valid-", 6) == 0) {
			CHECK_OK(run(kind, fp, &t_err));
			nvalid++;
		}
	}
	closedir(dir);
	CHECK(nlisted >= 10 && nvalid >= 1);
	printf("ok - %zu bad %s refused with the exact message, %zu valid accepted\n", nlisted,
	    kind == 0 ? "checkpoints" : "trails", nvalid);
	for (i = 0; i < nlisted; i++)
		free(listed[i]);
}

int main(int argc, char **argv)
{
	CHECK(argc == 5);
	table(0, argv[1], argv[2]);
	table(1, argv[3], argv[4]);
	return 0;
}
