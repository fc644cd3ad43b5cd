/*
 * fuzz_manifest.c - a backup's MANIFEST (ca_manifest_parse, ca/manifest.c)
 * on arbitrary bytes: `plantca restore` reads it before the signature over
 * it can be checked (the store that names the key is in the backup).
 *
 * Properties:
 *  - a refusal is PC_E_INPUT naming "fuzz:LINE:" with a line the input
 *    has, or "fuzz: does not list db/data.mdb";
 *  - every path handed on is one a backup holds, with no "..", no leading
 *    "/" and no empty component, in strictly increasing order.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "manifest.h"

struct ctx {
	char last[4096];
};

static pc_rc visit(void *p, const char *path, const uint8_t sha[32], pc_err *e)
{
	struct ctx *c = p;

	(void)sha; (void)e;
	FUZZ_ASSERT(path[0] != '/' && strstr(path, "..") == NULL && strstr(path, "//") == NULL);
	FUZZ_ASSERT(strcmp(path, c->last) > 0);
	FUZZ_ASSERT(strlen(path) < sizeof c->last);
	strcpy(c->last, path);
	return PC_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx c;
	pc_err e;
	pc_rc rc;

	memset(&c, 0, sizeof c);
	memset(&e, 0, sizeof e);
	rc = ca_manifest_parse(data, size, "fuzz", visit, &c, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(rc == PC_E_INPUT);
		if (strcmp(e.msg, "fuzz: does not list db/data.mdb") != 0) {
			long line;
			size_t i, lines = 1;
			FUZZ_ASSERT(strncmp(e.msg, "fuzz:", 5) == 0);
			line = strtol(e.msg + 5, NULL, 10);
			for (i = 0; i < size; i++)
				lines += data[i] == '\n';
			FUZZ_ASSERT(line >= 1 && (size_t)line <= lines);
		}
	}
	return 0;
}
