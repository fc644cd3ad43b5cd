/*
 * fw_test_crl - test helper: a CRL signed by a CA key in the token.
 *
 *   fw_test_crl MODULE TOKEN PIN_FILE KEY_URI ISSUER.der NEXT_DAYS OUT.der
 *               [SERIAL_HEX:REASON_CODE]...
 *
 * CRL generation belongs to the revocation issue (another branch); the
 * firmware tests need a CRL from a CA whose key lives in the token, so this
 * helper writes a minimal RFC 5280 §5 v2 CRL with our DER writer and signs
 * it with hsm_sign().  Tests check its output with `openssl crl -verify`
 * before relying on it.  NEXT_DAYS may be negative (an out-of-date CRL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "der.h"
#include "file.h"
#include "hsm.h"
#include "pem.h"
#include "pkix.h"
#include "secret.h"

static const uint8_t oid_reason[] = { 0x55, 0x1d, 0x15 };
static const uint8_t oid_crl_number[] = { 0x55, 0x1d, 0x14 };

int main(int argc, char **argv)
{
	pc_err e = { PC_OK, "" };
	hsm *h = NULL;
	hsm_key *k = NULL;
	pc_secret pin;
	uint8_t *cert;
	size_t cert_len, alg_len;
	pkix_cert v;
	const uint8_t *alg;
	pc_der d;
	pc_buf sig = PC_BUF_INIT, out = PC_BUF_INIT;
	time_t now = time(NULL);
	long days;
	int i;

	if (argc < 8) {
		fprintf(stderr, "usage: fw_test_crl MODULE TOKEN PIN_FILE KEY_URI ISSUER.der "
		    "NEXT_DAYS OUT.der [SERIAL_HEX:REASON]...\n");
		return 2;
	}
	days = strtol(argv[6], NULL, 10);
	if (pc_file_read(argv[5], 65536, &cert, &cert_len, &e) != PC_OK)
		t_die_err(&e);
	if (pkix_cert_parse(cert, cert_len, "certificate", &v, NULL) != PC_OK) {
		fprintf(stderr, "fw_test_crl: %s: not a DER certificate\n", argv[5]);
		return 2;
	}
	if (hsm_open(argv[1], argv[2], &h, &e) != PC_OK ||
	    pc_secret_read(&pin, argv[3], "PIN", &e) != PC_OK)
		t_die_err(&e);
	if (hsm_login(h, &pin, &e) != PC_OK || hsm_key_open(h, argv[4], &k, &e) != PC_OK)
		t_die_err(&e);
	pc_secret_free(&pin);
	alg = hsm_key_sigalg(k, &alg_len);

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);              /* TBSCertList */
	pc_der_u64(&d, 1);                           /* v2 */
	pc_der_raw(&d, alg, alg_len);
	pc_der_raw(&d, v.subject, v.subject_len);
	pc_der_time(&d, now - 60);
	pc_der_time(&d, now + days * 86400);
	if (argc > 8) {
		pc_der_begin(&d, DER_SEQUENCE);
		for (i = 8; i < argc; i++) {
			uint8_t serial[32];
			size_t sl;
			char hex[80], *colon;
			uint8_t reason;

			snprintf(hex, sizeof hex, "%s", argv[i]);
			colon = strchr(hex, ':');
			if (!colon)
				return 2;
			*colon = '\0';
			reason = (uint8_t)atoi(colon + 1);
			if (!pc_hex_decode(hex, serial, sizeof serial, &sl))
				return 2;
			pc_der_begin(&d, DER_SEQUENCE);
			pc_der_uint(&d, serial, sl);
			pc_der_time(&d, now - 30);
			pc_der_begin(&d, DER_SEQUENCE);
			pc_der_begin(&d, DER_SEQUENCE);
			pc_der_oid(&d, oid_reason, sizeof oid_reason);
			pc_der_begin(&d, DER_OCTET_STRING);
			pc_der_tlv(&d, DER_ENUMERATED, &reason, 1);
			pc_der_end(&d);
			pc_der_end(&d);
			pc_der_end(&d);
			pc_der_end(&d);
		}
		pc_der_end(&d);
	}
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid_crl_number, sizeof oid_crl_number);
	pc_der_begin(&d, DER_OCTET_STRING);
	pc_der_u64(&d, 1);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d))
		return 2;
	if (hsm_sign(k, d.b.p, d.b.len, &sig, &e) != PC_OK)
		t_die_err(&e);
	/* a CertificateList has a certificate's outer shape */
	if (pkix_cert_assemble(d.b.p, d.b.len, alg, alg_len, sig.p, sig.len, &out) != PC_OK)
		return 2;
	if (pc_file_write_atomic(argv[7], out.p, out.len, 0644, false, &e) != PC_OK)
		t_die_err(&e);
	pc_buf_free(&sig);
	pc_buf_free(&out);
	pc_der_free(&d);
	free(cert);
	hsm_key_free(k);
	hsm_close(h);
	return 0;
}
