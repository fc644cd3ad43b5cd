/*
 * tt.h - helpers of the transfer unit tests: temporary directories, shell
 * commands, fast throw-away keys and a default bundle.
 */
#ifndef PLANTCA_TEST_TT_H
#define PLANTCA_TEST_TT_H

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "file.h"
#include "tr_int.h"

/* 2026-11-27T09:00:00Z */
#define TT_CREATED ((time_t)1795770000)
#define TT_NOW (TT_CREATED + 3600)

static char tt_dir[256];

static void tt_rm_dir(void)
{
	char cmd[400];

	if (tt_dir[0] != '\0' && getenv("TT_KEEP") == NULL) {
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", tt_dir);
		if (system(cmd) != 0)
			fprintf(stderr, "cannot remove %s\n", tt_dir);
	}
}

/* Own temporary directory, removed at exit (TT_KEEP=1 keeps it). */
static void tt_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	CHECK(sodium_init() >= 0);
	snprintf(tt_dir, sizeof tt_dir, "%s/plantca-transfer-XXXXXX",
	    tmp != NULL ? tmp : "/tmp");
	CHECK(mkdtemp(tt_dir) != NULL);
	atexit(tt_rm_dir);
}

__attribute__((unused))
static void tt_path(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", tt_dir, name);
}

/* Run a shell command in tt_dir; returns its exit status. */
static int tt_sh(const char *fmt, ...) PC_PRINTF(1, 2) __attribute__((unused));
static int tt_sh(const char *fmt, ...)
{
	char cmd[4096], full[4400];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	snprintf(full, sizeof full, "cd '%s' && %s", tt_dir, cmd);
	rc = system(full);
	return WIFEXITED(rc) ? WEXITSTATUS(rc) : 255;
}

__attribute__((unused))
static void tt_write(const char *name, const void *p, size_t n)
{
	char path[512];
	FILE *f;

	tt_path(path, sizeof path, name);
	f = fopen(path, "wb");
	CHECK(f != NULL);
	CHECK(n == 0 || fwrite(p, 1, n, f) == n);
	CHECK(fclose(f) == 0);
}

/* A key pair without the scrypt cost of tr_seckey_generate. */
__attribute__((unused))
static void tt_key(tr_seckey *sk, tr_pubkey *pk)
{
	sk->sk = sodium_malloc(64);
	CHECK(sk->sk != NULL);
	CHECK(crypto_sign_keypair(pk->pk, sk->sk) == 0);
	randombytes_buf(pk->keyid, sizeof pk->keyid);
	memcpy(sk->keyid, pk->keyid, sizeof pk->keyid);
}

/* The default request metadata: segment line3, sequence 17, one CSR. */
static tr_csr_entry tt_csr_a = { "a.csr", "tls-server", 0 };

__attribute__((unused))
static void tt_meta(tr_meta *m, const tr_pubkey *sender)
{
	memset(m, 0, sizeof *m);
	m->version = TR_FORMAT_VERSION;
	m->kind = TR_REQUEST;
	snprintf(m->segment, sizeof m->segment, "line3");
	tr_keyid_text(sender->keyid, m->sender);
	m->sequence = 17;
	m->created = TT_CREATED;
	m->expires = TT_CREATED + 30 * 86400;
	m->csrs = &tt_csr_a;
	m->ncsrs = 1;
}

__attribute__((unused))
static void tt_sign(const uint8_t *tar, size_t len, const tr_pubkey *pk, tr_seckey *sk,
    const char *tc, pc_buf *sig)
{
	CHECK_OK(tr_minisig_make(tar, len, pk, tc, tr_seckey_sign, sk, sig, &t_err));
}

#endif
