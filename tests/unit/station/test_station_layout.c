/*
 * test_station_layout.c - the list of files accept wrote into PKI_DIR
 * (st_layout_list_parse, transfer/station/install.c).
 *
 *   test_station_layout CORPUS_DIR BAD_TABLE
 *
 * 1. Every bad list of the table is refused with PC_E_INPUT and exactly
 *    "PATH" + the message given; every bad-* seed is in the table.
 * 2. Every valid-* seed parses; the lists come out sorted.
 * 3. One file more than ST_LAYOUT_FILES_MAX is PC_E_LIMIT.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "station.h"

enum { TABLE_MAX = 64 };

int main(int argc, char **argv)
{
	char *listed[TABLE_MAX], line[1024], fp[1024], want[2200];
	size_t nlisted = 0, nvalid = 0, i;
	st_layout_list l;
	struct dirent *d;
	uint8_t *bytes;
	size_t len;
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
		CHECK_OK(pc_file_read(fp, ST_LAYOUT_LIST_MAX, &bytes, &len, &t_err));
		CHECK(st_layout_list_parse(bytes, len, fp, &l, &t_err) == PC_E_INPUT);
		CHECK(l.n == 0 && l.v == NULL);
		snprintf(want, sizeof want, "%s%s", fp, msg);
		if (strcmp(t_err.msg, want) != 0) {
			fprintf(stderr, "%s: got '%s', want '%s'\n", file, t_err.msg, want);
			return 1;
		}
		free(bytes);
	}
	fclose(f);
	CHECK((dir = opendir(argv[1])) != NULL);
	while ((d = readdir(dir)) != NULL) {
		if (strncmp(d->d_name, "bad-", 4) == 0) {
			bool found = false;
			for (i = 0; i < nlisted; i++)
				found |= strcmp(listed[i], d->d_name) == 0;
			if (!found) {
				fprintf(stderr, "%s: a bad seed without a line in the table\n", d->d_name);
				return 1;
			}
		} else if (strncmp(d->d_name, "valid-", 6) == 0) {
			snprintf(fp, sizeof fp, "%s/%s", argv[1], d->d_name);
			CHECK_OK(pc_file_read(fp, ST_LAYOUT_LIST_MAX, &bytes, &len, &t_err));
			CHECK_OK(st_layout_list_parse(bytes, len, fp, &l, &t_err));
			for (i = 1; i < l.n; i++)
				CHECK(strcmp(l.v[i - 1], l.v[i]) < 0);
			st_layout_list_free(&l);
			free(bytes);
			nvalid++;
		}
	}
	closedir(dir);
	CHECK(nlisted >= 15 && nvalid >= 3);
	printf("ok - %zu bad .plantca-layout files refused with the exact message, %zu valid ones parse\n",
	    nlisted, nvalid);

	{
		pc_buf b = PC_BUF_INIT;
		for (i = 0; i <= ST_LAYOUT_FILES_MAX; i++)
			pc_buf_printf(&b, "certs/%zu.pem\n", i);
		CHECK(pc_buf_ok(&b));
		CHECK(st_layout_list_parse(b.p, b.len, "big", &l, &t_err) == PC_E_LIMIT);
		CHECK_MSG("more than 100000 files in the layout");
		pc_buf_free(&b);
	}
	printf("ok - a list of %d files is refused (PC_E_LIMIT)\n", ST_LAYOUT_FILES_MAX + 1);
	for (i = 0; i < nlisted; i++)
		free(listed[i]);
	return 0;
}
