/*
 * make_transfer_seeds.c - writes the valid seeds of fuzz_tar, fuzz_meta and
 * fuzz_minisig (the crafted bad bundles come from the unit test table:
 * BAD_BUNDLE_SEEDS=DIR build/tests/unit/transfer/test_bad_bundles ...).
 *
 *   build/tests/fuzz/make_transfer_seeds tests/fuzz/corpus
 *
 * Uses the fixed TEST key of fuzz_minisig.c (seed 32 x 0x42, id "plantcaF");
 * everything it writes is deterministic except the secret key file (random
 * salt), which is written only once.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tr_int.h"
/* by path: the fuzz build has no include directory for tests/ */
#include "../check.h"

static const char *root;

static void put(const char *target, const char *name, const void *p, size_t n)
{
	char path[1024];
	FILE *f;

	snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
	f = fopen(path, "wb");
	if (f == NULL || (n > 0 && fwrite(p, 1, n, f) != n) || fclose(f) != 0)
		t_die("%s: %s", path, strerror(errno));
}

static void put_buf(const char *target, const char *name, const pc_buf *b)
{
	if (!pc_buf_ok(b))
		t_die("%s/%s: out of memory", target, name);
	put(target, name, b->p, b->len);
}

static void ok(pc_rc rc, const pc_err *e)
{
	if (rc != PC_OK)
		t_die_err(e);
}

int main(int argc, char **argv)
{
	static const uint8_t msg[] = "plantca fuzz message\n";
	uint8_t seed[32], skb[64], legacy[2 + 8 + 64], gsig[64];
	tr_pubkey pk;
	tr_seckey sk;
	tr_meta m;
	tr_csr_entry csrs[2] = { { "a.csr", "tls-server", 0 }, { "b.csr", "opcua-app", 0 } };
	char *reply[3] = { "line3-request-000016", "line3-request-000017", NULL };
	tr_member pl[3] = {
		{ "a.csr", (const uint8_t *)"CSR-A\n", 6 },
		{ "b.csr", (const uint8_t *)"", 0 },
		{ "notes.txt", (const uint8_t *)"x", 1 },
	};
	pc_buf b = PC_BUF_INIT;
	pc_err e;
	char tc[TR_COMMENT_MAX + 1], path[1024];
	struct stat st;

	if (argc != 2 || sodium_init() < 0)
		return 2;
	root = argv[1];
	memset(seed, 0x42, sizeof seed);
	crypto_sign_seed_keypair(pk.pk, skb, seed);
	memcpy(pk.keyid, "plantcaF", 8);
	memcpy(sk.keyid, pk.keyid, 8);
	sk.sk = skb;

	/* fuzz_meta: BUNDLE of a request and a response, SHA256SUMS */
	memset(&m, 0, sizeof m);
	m.version = TR_FORMAT_VERSION;
	m.kind = TR_REQUEST;
	strcpy(m.segment, "line3");
	tr_keyid_text(pk.keyid, m.sender);
	m.sequence = 17;
	m.created = 1795770000;
	m.expires = m.created + 30 * 86400;
	m.csrs = csrs;
	m.ncsrs = 2;
	tr_meta_format(&m, &b);
	put_buf("fuzz_meta", "good-request", &b);
	b.len = 0;
	tr_sums_format(pl, 3, &b);
	put_buf("fuzz_meta", "good-sha256sums", &b);
	b.len = 0;

	/* fuzz_tar: the request bundle */
	ok(tr_bundle_build(&m, pl, 3, &b, &e), &e);
	put_buf("fuzz_tar", "good-request.tar", &b);
	/* fuzz_minisig: its signature (prehashed "ED") over the fixed message */
	b.len = 0;
	tr_trusted_comment(&m, "line3-request-000017", tc, sizeof tc);
	ok(tr_minisig_make(msg, sizeof msg - 1, &pk, tc, tr_seckey_sign, &sk, &b, &e), &e);
	put_buf("fuzz_minisig", "good-ed.minisig", &b);

	/* response */
	m.kind = TR_RESPONSE;
	m.csrs = NULL;
	m.ncsrs = 0;
	m.in_reply_to = reply;
	m.nreply = 2;
	b.len = 0;
	tr_meta_format(&m, &b);
	put_buf("fuzz_meta", "good-response", &b);
	b.len = 0;
	ok(tr_bundle_build(&m, pl + 2, 1, &b, &e), &e);
	put_buf("fuzz_tar", "good-response.tar", &b);

	/* legacy "Ed" signature, made by hand */
	memcpy(legacy, "Ed", 2);
	memcpy(legacy + 2, pk.keyid, 8);
	crypto_sign_detached(legacy + 10, NULL, msg, sizeof msg - 1, skb);
	{
		uint8_t gm[64 + 9];
		memcpy(gm, legacy + 10, 64);
		memcpy(gm + 64, "legacy ok", 9);
		crypto_sign_detached(gsig, NULL, gm, sizeof gm, skb);
	}
	b.len = 0;
	pc_buf_str(&b, "untrusted comment: legacy\n");
	tr_b64_append(&b, legacy, sizeof legacy);
	pc_buf_str(&b, "\ntrusted comment: legacy ok\n");
	tr_b64_append(&b, gsig, sizeof gsig);
	pc_buf_byte(&b, '\n');
	put_buf("fuzz_minisig", "good-legacy-ed.minisig", &b);

	/* public key file and bare line */
	b.len = 0;
	tr_pubkey_format(&pk, NULL, &b);
	put_buf("fuzz_minisig", "good.pub", &b);
	{
		const uint8_t *nl = memchr(b.p, '\n', b.len);
		put("fuzz_minisig", "good-bare.pub", nl + 1, b.len - (size_t)(nl + 1 - b.p));
	}

	/* an encrypted secret key (random salt: written once) */
	snprintf(path, sizeof path, "%s/fuzz_minisig/good.key", root);
	if (stat(path, &st) != 0) {
		pc_secret pw;
		tr_seckey fresh;
		tr_pubkey fpk;

		pw.s = sodium_malloc(8);
		strcpy(pw.s, "fuzz");
		pw.len = 4;
		b.len = 0;
		ok(tr_seckey_generate(&pw, NULL, &b, &fpk, &fresh, &e), &e);
		put_buf("fuzz_minisig", "good.key", &b);
		tr_seckey_free(&fresh);
		pc_secret_free(&pw);
	}
	pc_buf_free(&b);
	return 0;
}
