/*
 * test_station_conf.c - plantca-station's station.conf parser (conf.c).
 *
 *   test_station_conf CORPUS_DIR BAD_TABLE
 *
 * 1. Every bad station.conf of the table is refused by st_conf_read with
 *    PC_E_INPUT and "PATH:LINE: fragment" (LINE '-': PC_E_LIMIT, "PATH: "),
 *    and st_conf_parse over the same bytes says the same; every bad-* file
 *    of the corpus is in the table, so every seed has an expected outcome.
 * 2. Every valid-* file parses, and what st_conf_format writes for it
 *    parses back to the same state.
 * 3. st_conf_load names a directory without station.conf.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "station.h"

enum { TABLE_MAX = 256 };

static const char *corpus;
static char *listed[TABLE_MAX];
static size_t nlisted;

static void read_bytes(const char *path, uint8_t **p, size_t *len)
{
	/* the corpus holds a file over the station.conf cap: read with room */
	CHECK_OK(pc_file_read(path, 2 * ST_CONF_MAX, p, len, &t_err));
}

static void bad_table(const char *table)
{
	FILE *f = fopen(table, "r");
	char line[1024];

	CHECK(f != NULL);
	while (fgets(line, sizeof line, f)) {
		char *file, *lno, *frag, want[1400], fp[512];
		st_conf c;
		uint8_t *bytes;
		size_t len;
		pc_rc rc;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok(line, "\t");
		lno = strtok(NULL, "\t");
		frag = strtok(NULL, "");
		CHECK(file && lno && frag);
		CHECK(nlisted < TABLE_MAX);
		CHECK((listed[nlisted++] = strdup(file)) != NULL);
		snprintf(fp, sizeof fp, "%s/%s", corpus, file);
		rc = st_conf_read(fp, &c, &t_err);
		if (rc == PC_OK) {
			fprintf(stderr, "%s: accepted, expected line %s: %s\n", file, lno, frag);
			exit(1);
		}
		CHECK(rc == (strcmp(lno, "-") == 0 ? PC_E_LIMIT : PC_E_INPUT));
		CHECK(c.segment[0] == '\0' && c.next_request == 0);
		if (strcmp(lno, "-") == 0)
			snprintf(want, sizeof want, "%s: %s", fp, frag);
		else
			snprintf(want, sizeof want, "%s:%s: %s", fp, lno, frag);
		CHECK_MSG(want);
		/* the same bytes, given directly: the same refusal */
		read_bytes(fp, &bytes, &len);
		CHECK(st_conf_parse(bytes, len, fp, &c, &t_err) == rc);
		if (rc == PC_E_INPUT)
			CHECK_MSG(want);
		free(bytes);
	}
	fclose(f);
	CHECK(nlisted >= 30);
	printf("ok - %zu bad station.conf files refused with file, line and reason\n", nlisted);
}

static bool is_listed(const char *name)
{
	size_t i;

	for (i = 0; i < nlisted; i++)
		if (strcmp(listed[i], name) == 0)
			return true;
	return false;
}

static void corpus_files(void)
{
	DIR *d = opendir(corpus);
	struct dirent *de;
	size_t nvalid = 0, nbad = 0;

	CHECK(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char fp[512];
		st_conf c, again;
		pc_buf b = PC_BUF_INIT;

		snprintf(fp, sizeof fp, "%s/%s", corpus, de->d_name);
		if (strncmp(de->d_name, "bad-", 4) == 0) {
			if (!is_listed(de->d_name)) {
				fprintf(stderr, "%s: not in the table of bad station.conf files\n", fp);
				exit(1);
			}
			nbad++;
			continue;
		}
		if (strncmp(de->d_name, "valid-", 6) != 0)
			continue;
		CHECK_OK(st_conf_read(fp, &c, &t_err));
		CHECK(tr_segment_ok(c.segment) && c.next_request >= 1);
		st_conf_format(&c, &b);
		CHECK(pc_buf_ok(&b));
		CHECK_OK(st_conf_parse(b.p, b.len, "formatted", &again, &t_err));
		CHECK(memcmp(&c, &again, sizeof c) == 0);
		pc_buf_free(&b);
		nvalid++;
	}
	closedir(d);
	CHECK(nvalid >= 4 && nbad == nlisted);
	printf("ok - %zu valid station.conf files parse and survive a rewrite; every bad one is "
	    "in the table\n", nvalid);
}

static void not_a_station(void)
{
	st_conf c;

	CHECK_RC(st_conf_load(corpus, &c, &t_err), PC_E_NOTFOUND);
	CHECK_MSG("not a station directory (no station.conf");
	printf("ok - a directory without station.conf is not a station\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc != 3) {
		fprintf(stderr, "usage: %s CORPUS_DIR BAD_TABLE\n", argv[0]);
		return 2;
	}
	corpus = argv[1];
	bad_table(argv[2]);
	corpus_files();
	not_a_station();
	for (i = 0; i < nlisted; i++)
		free(listed[i]);
	return 0;
}
