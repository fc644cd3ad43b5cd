/*
 * bench_hsm.c - BENCH ONLY: what the token and the software re-check cost.
 *
 *   bench_hsm MODULE TOKEN PIN-FILE [N]      (run by scripts/bench-hsm)
 *
 * Makes one key per algorithm in the token, then times N hsm_sign() calls
 * (sign in the token + verify in software, as every signature plantca
 * keeps), N hsm_verify_spki() calls alone, and one hsm_sign_many() of N
 * messages (the issuance path).  Prints the figures; asserts no time
 * (tests/unit/hsm/test_hsm.c checks that the signatures are right).
 * Exit 2 on a setup error, 1 if a signature fails.
 */
#include <time.h>

#include <sodium.h>

#include "check.h"
#include "hsm.h"
#include "secret.h"

static const uint8_t message[] = "tbsCertificate stand-in: plantca signs this";

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void row(const char *alg, const char *what, int n, double s)
{
	printf("%-10s %-44s %6d in %7.3f s: %8.0f/s\n", alg, what, n, s, s > 0 ? n / s : 0);
}

static void bench(hsm *h, hsm_alg alg, int n)
{
	const char *name = hsm_alg_name(alg);
	const uint8_t **msgs;
	const uint8_t *spki;
	pc_buf sig = PC_BUF_INIT, *sigs;
	hsm_key *k = NULL;
	size_t spki_len, *lens;
	char label[64];
	double t;
	int i;

	snprintf(label, sizeof label, "bench-%s", name);
	CHECK_OK(hsm_key_generate(h, alg, label, &k, &t_err));
	spki = hsm_key_spki(k, &spki_len);

	t = now();
	for (i = 0; i < n; i++) {
		sig.len = 0;
		CHECK_OK(hsm_sign(k, message, sizeof message, &sig, &t_err));
	}
	row(name, "hsm_sign (token + software re-check)", n, now() - t);

	t = now();
	for (i = 0; i < n; i++)
		CHECK_OK(hsm_verify_spki(spki, spki_len, message, sizeof message, sig.p, sig.len,
		    &t_err));
	row(name, "hsm_verify_spki alone (software)", n, now() - t);

	msgs = calloc((size_t)n, sizeof *msgs);
	lens = calloc((size_t)n, sizeof *lens);
	sigs = calloc((size_t)n, sizeof *sigs);
	CHECK(msgs != NULL && lens != NULL && sigs != NULL);
	for (i = 0; i < n; i++) {
		msgs[i] = message;
		lens[i] = sizeof message;
		sigs[i] = (pc_buf)PC_BUF_INIT;
	}
	t = now();
	CHECK_OK(hsm_sign_many(k, msgs, lens, (size_t)n, sigs, &t_err));
	row(name, "hsm_sign_many (pipelined re-check)", n, now() - t);
	for (i = 0; i < n; i++)
		pc_buf_free(&sigs[i]);
	free(sigs);
	free(lens);
	free(msgs);
	pc_buf_free(&sig);
	hsm_key_free(k);
}

int main(int argc, char **argv)
{
	static const hsm_alg algs[] = { HSM_EC_P256, HSM_EC_P384, HSM_ED25519, HSM_RSA_3072 };
	pc_secret pin = { 0 };
	hsm *h = NULL;
	int n = 2000;
	size_t i;

	if (argc != 4 && argc != 5)
		t_die("usage: bench_hsm MODULE TOKEN PIN-FILE [N]");
	if (argc == 5 && (n = atoi(argv[4])) <= 0)
		t_die("%s: not a positive count", argv[4]);
	if (sodium_init() < 0)
		t_die("sodium_init failed");
	if (hsm_open(argv[1], argv[2], &h, &t_err) != PC_OK ||
	    pc_secret_read(&pin, argv[3], "PIN", &t_err) != PC_OK ||
	    hsm_login(h, &pin, &t_err) != PC_OK)
		t_die_err(&t_err);
	pc_secret_free(&pin);
	for (i = 0; i < sizeof algs / sizeof algs[0]; i++)
		bench(h, algs[i], algs[i] == HSM_RSA_3072 ? (n + 9) / 10 : n);
	hsm_close(h);
	return 0;
}
