/*
 * par.c - the station's one way of spreading work over the cores: a bounded
 * number of threads, each taking the next item in order, and the error of
 * the lowest failing item reported, as a serial loop would report it.
 *
 * Why that order is the serial one: items are handed out in increasing
 * order, and once item k has failed no item above k is started, so every
 * item below k is run to its end; the lowest failure is therefore the one a
 * serial loop would have stopped at, whatever the threads' timing.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "station.h"

unsigned st_threads(unsigned asked, size_t items)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n = asked != 0 ? asked : cpus > 0 ? (size_t)cpus : 1;

	if (n > ST_THREADS_MAX)
		n = ST_THREADS_MAX;
	if (n > items)
		n = items;
	return n == 0 ? 1 : (unsigned)n;
}

typedef struct par_run {
	pthread_mutex_t mu;
	size_t next, n, failed;        /* failed: the lowest failing item, n: none */
	pc_err err;                    /* its error */
	st_par_fn fn;
	void *ctx;
} par_run;

static void *par_worker(void *arg)
{
	par_run *r = arg;

	for (;;) {
		size_t i;
		pc_err e = { PC_OK, "" };

		pthread_mutex_lock(&r->mu);
		if (r->next >= r->n || r->next > r->failed) {
			pthread_mutex_unlock(&r->mu);
			return NULL;
		}
		i = r->next++;
		pthread_mutex_unlock(&r->mu);
		if (r->fn(r->ctx, i, &e) == PC_OK)
			continue;
		pthread_mutex_lock(&r->mu);
		if (i < r->failed) {
			r->failed = i;
			r->err = e;
		}
		pthread_mutex_unlock(&r->mu);
	}
}

pc_rc st_par_run(size_t n, unsigned threads, st_par_fn fn, void *ctx, pc_err *e)
{
	pthread_t tid[ST_THREADS_MAX];
	par_run r;
	unsigned k, started = 0;

	if (threads == 0 || threads > ST_THREADS_MAX)
		return pc_fail(e, PC_E_INTERNAL, "st_par_run: %u threads", threads);
	memset(&r, 0, sizeof r);
	r.n = n;
	r.failed = n;
	r.fn = fn;
	r.ctx = ctx;
	if (pthread_mutex_init(&r.mu, NULL) != 0)
		return pc_fail(e, PC_E_INTERNAL, "cannot create a mutex");
	/* the calling thread is one of the workers */
	for (k = 1; k < threads; k++) {
		if (pthread_create(&tid[started], NULL, par_worker, &r) != 0)
			break;         /* fewer threads: slower, not wrong */
		started++;
	}
	(void)par_worker(&r);
	for (k = 0; k < started; k++)
		pthread_join(tid[k], NULL);
	pthread_mutex_destroy(&r.mu);
	if (r.failed < n) {
		*e = r.err;
		return e->rc;
	}
	return PC_OK;
}
