/*
 * fuzz.h - shared by the fuzz targets.
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with -Dfuzzing=true
 * it links against libFuzzer; otherwise standalone.c supplies main(), which
 * runs every file of the directories (or files) on its command line through
 * the target once, so the seed corpora run as ordinary tests.
 *
 * FUZZ_ASSERT states a property that must hold for every input; a violation
 * aborts, which both libFuzzer and the standalone runner report as a crash.
 */
#ifndef PLANTCA_FUZZ_H
#define PLANTCA_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_ASSERT(cond) do { if (!(cond)) { \
	fprintf(stderr, "%s:%d: property violated: %s\n", __FILE__, __LINE__, #cond); \
	abort(); } } while (0)

#endif
