/*
 * fuzz_minisig.c - the minisign parsers on arbitrary bytes: public key files
 * (tr_pubkey_parse), signature files (tr_minisig_verify, with a fixed test
 * key over a fixed message) and secret key files (tr_seckey_parse: parsing
 * only; the scrypt KDF of tr_seckey_open is far too slow to fuzz).
 *
 * Properties:
 *  - refusals are PC_E_INPUT / PC_E_SIGNATURE / PC_E_LIMIT with a message
 *    naming the input;
 *  - a public key that parses formats (tr_pubkey_format) to a file that
 *    parses to the same key;
 *  - a signature that verifies names the test key and a trusted comment
 *    without CR, LF or NUL, no longer than TR_COMMENT_MAX; and it stays
 *    valid for the message it verified (tr_minisig_make with the test key
 *    and that comment produces a file that verifies too);
 *  - a secret key that parses has KDF limits within minisign's defaults.
 */
#include <sodium.h>
#include <string.h>

#include "fuzz.h"
#include "tr_int.h"

/* The fixed TEST key: Ed25519 from a seed of 32 bytes 0x42, key id
 * "plantcaF".  make_transfer_seeds.c uses the same. */
static const uint8_t msg[] = "plantca fuzz message\n";
static tr_pubkey key;
static tr_seckey sk;
static uint8_t skbuf[64];

static void init(void)
{
	static bool done;
	uint8_t seed[32];

	if (done)
		return;
	done = true;
	CHECK(sodium_init() >= 0);
	memset(seed, 0x42, sizeof seed);
	crypto_sign_seed_keypair(key.pk, skbuf, seed);
	memcpy(key.keyid, "plantcaF", 8);
	memcpy(sk.keyid, key.keyid, 8);
	sk.sk = skbuf;   /* test key: not secret, no sodium_malloc needed */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tr_pubkey pk;
	tr_seckey_file f;
	char tc[TR_COMMENT_MAX + 1];
	size_t which = 99;
	pc_err e;
	pc_rc rc;

	init();
	memset(&e, 0, sizeof e);
	rc = tr_pubkey_parse(data, size, "fuzz.pub", &pk, &e);
	if (rc == PC_OK) {
		pc_buf b = PC_BUF_INIT;
		tr_pubkey pk2;

		tr_pubkey_format(&pk, NULL, &b);
		CHECK(pc_buf_ok(&b));
		CHECK(tr_pubkey_parse(b.p, b.len, "again", &pk2, &e) == PC_OK);
		CHECK(memcmp(&pk, &pk2, sizeof pk) == 0);
		pc_buf_free(&b);
	} else {
		CHECK(rc == PC_E_INPUT && strncmp(e.msg, "fuzz.pub: ", 10) == 0);
	}

	rc = tr_minisig_verify(data, size, msg, sizeof msg - 1, &key, 1, "fuzz.minisig",
	    &which, tc, &e);
	if (rc == PC_OK) {
		pc_buf b = PC_BUF_INIT;

		CHECK(which == 0);
		CHECK(strlen(tc) <= TR_COMMENT_MAX && strpbrk(tc, "\r\n") == NULL);
		CHECK(tr_minisig_make(msg, sizeof msg - 1, &key, tc, tr_seckey_sign, &sk, &b,
		    &e) == PC_OK);
		CHECK(tr_minisig_verify(b.p, b.len, msg, sizeof msg - 1, &key, 1, "again",
		    &which, tc, &e) == PC_OK);
		pc_buf_free(&b);
	} else {
		CHECK(rc == PC_E_SIGNATURE || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		CHECK(strncmp(e.msg, "fuzz.minisig: ", 14) == 0);
	}

	rc = tr_seckey_parse(data, size, "fuzz.key", &f, &e);
	if (rc == PC_OK)
		CHECK(f.opslimit <= crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE &&
		    f.memlimit <= crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE);
	else
		CHECK((rc == PC_E_INPUT || rc == PC_E_LIMIT) &&
		    strncmp(e.msg, "fuzz.key: ", 10) == 0);
	return 0;
}
