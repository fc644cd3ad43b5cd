/*
 * fuzz.h - shared by the fuzz targets.
 *
 * Each target defines LLVMFuzzerTestOneInput().  Built with -Dfuzzing=true
 * it links against libFuzzer; otherwise standalone.c supplies main(), which
 * runs every file of the directories (or files) on its command line through
 * the target once, so the seed corpora run as ordinary tests.
 *
 * A target states the properties that must hold for every input with the
 * assertions of tests/check.h (CHECK, FAIL, ...).  Here a failed check
 * aborts instead of exiting 1, which both libFuzzer and the standalone
 * runner report as a crash (libFuzzer then keeps the input).
 */
#ifndef PLANTCA_FUZZ_H
#define PLANTCA_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#define T_FAIL_ABORTS
/* by path, so that the fuzz build needs no include directory for tests/ */
#include "../check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
