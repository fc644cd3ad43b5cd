/*
 * test_verify - pkix_verify() against Project Wycheproof (tests/vectors/
 * wycheproof, turned into lines by wycheproof.py): every vector's expected
 * outcome, exactly; then the algorithm table's own rules.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "der.h"
#include "verify.h"

enum { LINE_MAX_ = 1 << 16 };

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	if (strcmp(s, "-") == 0)
		return 0;
	while (s[0] && s[1] && n < cap) {
		unsigned v;
		CHECK(sscanf(s, "%2x", &v) == 1);
		out[n++] = (uint8_t)v;
		s += 2;
	}
	CHECK(*s == '\0');
	return n;
}

static const pkix_sigalg *alg_by_name(const char *name)
{
	static const pkix_keytype keys[] = { PKIX_KEY_EC_P256, PKIX_KEY_EC_P384, PKIX_KEY_RSA,
		PKIX_KEY_ED25519 };
	size_t i;

	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (strcmp(pkix_sigalg_for_key(keys[i])->name, name) == 0)
			return pkix_sigalg_for_key(keys[i]);
	FAIL("unknown algorithm %s", name);
}

int main(int argc, char **argv)
{
	static char line[LINE_MAX_], id[256], want[16], alg[64], spki_h[4096], msg_h[LINE_MAX_ / 2],
	    sig_h[16384];
	static uint8_t spki[2048], msg[LINE_MAX_ / 4], sig[8192];
	unsigned accepted = 0, refused = 0, badkey = 0;
	FILE *f;

	CHECK(argc == 2);
	CHECK(sodium_init() >= 0);
	f = fopen(argv[1], "r");
	CHECK(f != NULL);
	while (fgets(line, sizeof line, f)) {
		pkix_pubkey k;
		size_t sl, ml, gl;
		pc_rc rc;
		CHECK(sscanf(line, "%255s %15s %63s %4095s %32767s %16383s", id, want, alg, spki_h, msg_h,
		    sig_h) == 6);
		sl = unhex(spki_h, spki, sizeof spki);
		ml = unhex(msg_h, msg, sizeof msg);
		gl = unhex(sig_h, sig, sizeof sig);
		rc = pkix_pubkey_parse(spki, sl, id, PC_E_INPUT, &k, &t_err);
		if (rc == PC_OK)
			rc = pkix_verify(&k, alg_by_name(alg), msg, ml, sig, gl, id, &t_err);
		else
			badkey++;        /* a key we refuse: the signature is refused too */
		if (strcmp(want, "accept") == 0) {
			if (rc != PC_OK) {
				FAIL("%s: valid signature refused: %s", id, t_err.msg);
			}
			accepted++;
		} else {
			if (rc == PC_OK) {
				FAIL("%s: invalid signature accepted", id);
			}
			refused++;
		}
	}
	fclose(f);
	CHECK(accepted > 300 && refused > 900);
	printf("ok - Wycheproof: %u valid accepted, %u invalid refused (%u by their key)\n",
	    accepted, refused, badkey);

	/* the table: parameters as RFC 4055 / 5758 / 8410 say */
	{
		static const uint8_t ecdsa_null[] = { 0x30, 0x0c, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce,
			0x3d, 0x04, 0x03, 0x02, 0x05, 0x00 };
		static const uint8_t rsa_absent[] = { 0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
			0xf7, 0x0d, 0x01, 0x01, 0x0b };
		static const uint8_t sha1_rsa[] = { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86,
			0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00 };
		const pkix_sigalg *a;
		const uint8_t *d;
		size_t dl;
		CHECK_RC(pkix_sigalg_read(ecdsa_null, sizeof ecdsa_null, "t", &a, &t_err), PC_E_INPUT);
		CHECK_MSG("unexpected parameters");
		CHECK_OK(pkix_sigalg_read(rsa_absent, sizeof rsa_absent, "t", &a, &t_err));
		CHECK(a->hash == PKIX_SHA256 && a->key == PKIX_KEY_RSA);
		CHECK_RC(pkix_sigalg_read(sha1_rsa, sizeof sha1_rsa, "t", &a, &t_err), PC_E_INPUT);
		CHECK_MSG("1.2.840.113549.1.1.5 is not accepted");
		d = pkix_sigalg_der(pkix_sigalg_for_key(PKIX_KEY_RSA), &dl);
		CHECK_OK(pkix_sigalg_read(d, dl, "t", &a, &t_err));
		CHECK(a == pkix_sigalg_for_key(PKIX_KEY_RSA) && dl == 15);
		d = pkix_sigalg_der(pkix_sigalg_for_key(PKIX_KEY_EC_P384), &dl);
		CHECK_OK(pkix_sigalg_read(d, dl, "t", &a, &t_err));
		CHECK(a->hash == PKIX_SHA384 && dl == 12);
		CHECK(pkix_sigalg_fits(pkix_sigalg_for_key(PKIX_KEY_EC_P256), PKIX_KEY_EC_P384));
		CHECK(!pkix_sigalg_fits(pkix_sigalg_for_key(PKIX_KEY_RSA), PKIX_KEY_EC_P256));
		printf("ok - algorithm table: parameters, SHA-1 refused, DER round trip\n");
	}
	return 0;
}
