/*
 * fuzz_station_layout.c - PKI_DIR/.plantca-layout, the list of files
 * accept wrote (st_layout_list_parse, transfer/station/install.c), on
 * arbitrary bytes: PKI_DIR is shared with the applications, and the list
 * decides which files the next accept leaves out.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT naming "fuzz:LINE:" with a line the input has
 *    or "fuzz: PATH listed twice", or PC_E_LIMIT, and leaves the list empty;
 *  - every path of a list that parses is one a layout writes (a folder of
 *    the layout and a plain file name, no "..", no "/" inside the name),
 *    each once, sorted.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	st_layout_list l;
	st_layout_kind k;
	pc_err e;
	size_t i;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = st_layout_list_parse(data, size, "fuzz", &l, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(l.n == 0 && l.v == NULL);
		FUZZ_ASSERT(e.rc == rc && e.msg[0] != '\0');
		FUZZ_ASSERT(rc == PC_E_INPUT || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		if (rc == PC_E_INPUT && strncmp(e.msg, "fuzz: ", 6) != 0) {
			long line;
			size_t lines = 1;
			FUZZ_ASSERT(strncmp(e.msg, "fuzz:", 5) == 0);
			line = strtol(e.msg + 5, NULL, 10);
			for (i = 0; i < size; i++)
				lines += data[i] == '\n';
			FUZZ_ASSERT(line >= 1 && (size_t)line <= lines);
		}
		return 0;
	}
	for (i = 0; i < l.n; i++) {
		const char *slash = strrchr(l.v[i], '/');
		FUZZ_ASSERT(st_layout_kind_of(l.v[i], &k) && k < ST_KIND_N);
		FUZZ_ASSERT(strstr(l.v[i], "..") == NULL && l.v[i][0] != '/');
		FUZZ_ASSERT(slash == NULL || slash[1] != '.');
		FUZZ_ASSERT(i == 0 || strcmp(l.v[i - 1], l.v[i]) < 0);
	}
	st_layout_list_free(&l);
	return 0;
}
