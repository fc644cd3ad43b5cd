/*
 * test_station_tx.c - plantca-station's CMP state readers (cmp_state.c):
 * DIR/cmp/TXID.tx (st_tx_parse) and a response's cmp-TXID.answer member
 * (st_answer_parse), the parsers of tests/fuzz/fuzz_station_tx.c.
 *
 *   test_station_tx CORPUS_DIR BAD_TABLE
 *
 * The seeds are those of the fuzz target: the first byte chooses the
 * reader (even: TXID.tx, odd: answer), the rest is the file.
 * 1. Every row of the table (FILE RC LINE FRAGMENT) is refused by its
 *    reader with that return code and the message "PATH:LINE: FRAGMENT"
 *    (LINE '-': "PATH: FRAGMENT"); every bad-* file of the corpus has a
 *    row, so every seed has an expected outcome.
 * 2. Every valid-tx-* file parses, and what st_tx_format writes for it
 *    parses back to the same transaction; every valid-ans-* file parses.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "station.h"

enum { TABLE_MAX = 128 };

static const char *corpus;
static char *listed[TABLE_MAX];
static size_t nlisted, nwrong;

static void read_bytes(const char *path, uint8_t **p, size_t *len)
{
	/* the corpus holds files over the readers' cap: read with room */
	CHECK_OK(pc_file_read(path, 2 * ST_TX_FILE_MAX, p, len, &t_err));
	CHECK(*len >= 1);
}

static pc_rc rc_of(const char *name)
{
	if (strcmp(name, pc_rc_name(PC_E_INPUT)) == 0)
		return PC_E_INPUT;
	if (strcmp(name, pc_rc_name(PC_E_BUNDLE)) == 0)
		return PC_E_BUNDLE;
	if (strcmp(name, pc_rc_name(PC_E_LIMIT)) == 0)
		return PC_E_LIMIT;
	fprintf(stderr, "unknown return code '%s' in the table\n", name);
	exit(1);
}

static pc_rc parse(const char *fp, const uint8_t *p, size_t len)
{
	if ((p[0] & 1) == 0) {
		st_tx t;
		return st_tx_parse(p + 1, len - 1, fp, &t, &t_err);
	} else {
		st_answer a;
		return st_answer_parse(p + 1, len - 1, fp, &a, &t_err);
	}
}

static void bad_table(const char *table)
{
	FILE *f = fopen(table, "r");
	char line[1024];

	CHECK(f != NULL);
	while (fgets(line, sizeof line, f)) {
		char *file, *rc, *lno, *frag, want[1400], fp[512];
		uint8_t *bytes;
		size_t len;
		pc_rc got, wrc;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok(line, "\t");
		rc = strtok(NULL, "\t");
		lno = strtok(NULL, "\t");
		frag = strtok(NULL, "");
		CHECK(file && rc && lno && frag);
		CHECK(nlisted < TABLE_MAX);
		CHECK((listed[nlisted++] = strdup(file)) != NULL);
		snprintf(fp, sizeof fp, "%s/%s", corpus, file);
		if (strcmp(lno, "-") == 0)
			snprintf(want, sizeof want, "%s: %s", fp, frag);
		else
			snprintf(want, sizeof want, "%s:%s: %s", fp, lno, frag);
		read_bytes(fp, &bytes, &len);
		memset(&t_err, 0, sizeof t_err);
		got = parse(fp, bytes, len);
		wrc = rc_of(rc);
		free(bytes);
		if (got != wrc || t_err.rc != wrc || strncmp(t_err.msg, want, strlen(want)) != 0) {
			fprintf(stderr, "%s: gave %s '%s'\n  expected %s '%s'\n", file,
			    pc_rc_name(got), got == PC_OK ? "" : t_err.msg, rc, want);
			nwrong++;   /* every wrong row is shown, then the test fails */
		}
	}
	fclose(f);
	CHECK(nwrong == 0 && nlisted >= 40);
	printf("ok - %zu bad TXID.tx and answer files refused with file, line and reason\n",
	    nlisted);
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
	size_t ntx = 0, nans = 0, nbad = 0;

	CHECK(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char fp[512];
		uint8_t *bytes;
		size_t len;

		snprintf(fp, sizeof fp, "%s/%s", corpus, de->d_name);
		if (strncmp(de->d_name, "bad-", 4) == 0) {
			if (!is_listed(de->d_name)) {
				fprintf(stderr, "%s: not in the table of bad CMP state files\n", fp);
				nwrong++;
			}
			nbad++;
			continue;
		}
		if (strncmp(de->d_name, "valid-tx-", 9) == 0) {
			st_tx t, again;
			pc_buf b = PC_BUF_INIT;
			read_bytes(fp, &bytes, &len);
			CHECK(bytes[0] == 0);
			CHECK_OK(st_tx_parse(bytes + 1, len - 1, fp, &t, &t_err));
			st_tx_format(&t, &b);
			CHECK(pc_buf_ok(&b));
			CHECK_OK(st_tx_parse(b.p, b.len, "formatted", &again, &t_err));
			CHECK(memcmp(&t, &again, sizeof t) == 0);
			pc_buf_free(&b);
			free(bytes);
			ntx++;
		} else if (strncmp(de->d_name, "valid-ans-", 10) == 0) {
			st_answer a;
			read_bytes(fp, &bytes, &len);
			CHECK(bytes[0] == 1);
			CHECK_OK(st_answer_parse(bytes + 1, len - 1, fp, &a, &t_err));
			free(bytes);
			nans++;
		}
	}
	closedir(d);
	CHECK(nwrong == 0 && ntx >= 8 && nans >= 4 && nbad == nlisted);
	printf("ok - %zu valid TXID.tx files parse and survive a rewrite, %zu answers parse; "
	    "every bad file is in the table\n", ntx, nans);
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
	for (i = 0; i < nlisted; i++)
		free(listed[i]);
	return 0;
}
