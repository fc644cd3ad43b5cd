/*
 * revoke_synth - BENCHMARK AND TEST TOOL ONLY; never part of a CA's life.
 *
 *   revoke_synth --bench-only HOME CA N SEED
 *
 * Writes N revocation records for synthetic serials (random-looking, with
 * no certificate behind them) under CA `CA` into the store of CA home HOME,
 * so that CRLs with 100,000 or 1,000,000 entries can be built without
 * issuing that many certificates.  One audit event ("bench.synthetic-
 * revocations") records that it ran, so the trail of any store it touched
 * says so.  Prints "SERIALHEX REASONCODE UNIXTIME" a line on stdout.  It is
 * built in tests/tools, is not installed, and refuses to run without
 * --bench-only.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "check.h"
#include "format.h"
#include "records.h"

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: reproducible from SEED */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

int main(int argc, char **argv)
{
	static const unsigned codes[] = { 0, 1, 2, 3, 4, 5, 9 };
	ca_ctx c;
	pc_err e = { PC_OK, "" };
	store_txn *t = NULL;
	pc_buf b = PC_BUF_INIT;
	ca_rec ca;
	uint64_t n, i, done = 0;
	time_t now = time(NULL);
	char detail[200], hex[2 * PKIX_SERIAL_LEN + 1];
	pc_rc rc;

	if (argc != 6 || strcmp(argv[1], "--bench-only") != 0) {
		fprintf(stderr, "usage: revoke_synth --bench-only HOME CA N SEED\n"
		    "(benchmark/test tool: writes revocations for serials that have no certificate)\n");
		return 2;
	}
	n = strtoull(argv[4], NULL, 10);
	rng_state = strtoull(argv[5], NULL, 10);
	if (ca_open(&c, argv[2], true, &e) != PC_OK)
		goto fail;
	if (store_begin(c.st, true, &t, &e) != PC_OK)
		goto fail;
	if (ca_rec_get(t, argv[3], &ca, &e) != PC_OK)
		goto fail;
	ca_rec_free(&ca);
	for (i = 0; done < n; i++) {
		uint8_t serial[PKIX_SERIAL_LEN];
		ca_revocation rv;
		size_t k;

		for (k = 0; k < PKIX_SERIAL_LEN; k += 8) {
			uint64_t v = rng();
			memcpy(serial + k, &v, PKIX_SERIAL_LEN - k < 8 ? PKIX_SERIAL_LEN - k : 8);
		}
		serial[0] = (uint8_t)((serial[0] & 0x7f) | 0x40);   /* as pkix_serial_new */
		memset(&rv, 0, sizeof rv);
		rv.reason = codes[rng() % (sizeof codes / sizeof codes[0])];
		rv.when = (uint64_t)now - rng() % 10000000;
		snprintf(rv.ca, sizeof rv.ca, "%s", argv[3]);
		b.len = 0;
		rc = ca_revocation_encode(&b, &rv, &e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_REVOCATIONS, serial, sizeof serial, b.p, b.len, true, &e);
		if (rc == PC_E_EXISTS)
			continue;
		if (rc != PC_OK)
			goto fail;
		ca_serial_hex(serial, sizeof serial, hex);
		printf("%s %u %" PRIu64 "\n", hex, (unsigned)rv.reason, rv.when);
		done++;
	}
	snprintf(detail, sizeof detail, "%" PRIu64 " synthetic revocations (seed %s) by the "
	    "benchmark tool revoke_synth", n, argv[5]);
	if (audit_append(t, now, "bench.synthetic-revocations", argv[3], "ok", detail, &e) != PC_OK ||
	    store_commit(t, &e) != PC_OK) {
		t = NULL;
		goto fail;
	}
	pc_buf_free(&b);
	ca_close(&c);
	return fflush(stdout) == 0 ? 0 : 2;
fail:
	store_abort(t);
	pc_buf_free(&b);
	t_die_err(&e);
}
