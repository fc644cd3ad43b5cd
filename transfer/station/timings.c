/*
 * timings.c - what each phase of a verb took (--timings, --json): wall
 * clock from CLOCK_MONOTONIC and the process's peak memory from
 * getrusage(2), so that the cost of a big request or accept on a plant PC
 * can be seen without a profiler.  Reports only; nothing depends on them.
 */
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "station.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

void st_timings_start(st_timings *t)
{
	t->n = 0;
	t->start = t->last = now_ms();
}

void st_timings_mark(st_timings *t, const char *phase)
{
	double now = now_ms();

	if (t->n < ST_PHASES_MAX) {
		t->phase[t->n].name = phase;
		t->phase[t->n].ms = now - t->last;
		t->n++;
	}
	t->last = now;
}

static long peak_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) == 0 ? ru.ru_maxrss : -1;
}

void st_timings_json(const st_timings *t, unsigned threads, FILE *f)
{
	size_t i;

	/* phase names are fixed identifiers of ours, never input */
	fprintf(f, "\"timings\":{\"threads\":%u", threads);
	for (i = 0; i < t->n; i++)
		fprintf(f, ",\"%s_ms\":%.1f", t->phase[i].name, t->phase[i].ms);
	fprintf(f, ",\"total_ms\":%.1f,\"peak_rss_kib\":%ld}", t->last - t->start, peak_rss_kib());
}

void st_timings_text(const st_timings *t, unsigned threads, FILE *f)
{
	size_t i;

	fprintf(f, "timings (%u thread%s):", threads, threads == 1 ? "" : "s");
	for (i = 0; i < t->n; i++)
		fprintf(f, " %s %.1f ms,", t->phase[i].name, t->phase[i].ms);
	fprintf(f, " total %.1f ms, peak RSS %ld KiB\n", t->last - t->start, peak_rss_kib());
}
