/*
 * fw_test_sign - test helper: a firmware signature that plantca itself
 * would refuse to make.
 *
 *   fw_test_sign MODULE TOKEN PIN_FILE KEY_URI IMAGE PACKAGE:VERSION OUT.p7s
 *                SIGNER.der [CA.der]...
 *
 * The verifiers must refuse a signature for a package the signer is not
 * registered for, and a signer certificate without the package list, even
 * when the signature itself is perfect.  `plantca firmware sign` refuses to
 * make such signatures, so the tests need another maker: this one builds
 * the same detached CMS SignedData (RFC 5652, RFC 4108 firmwarePackageID;
 * shape in transfer/fwverify.h) with our DER writer around any certificate
 * given and signs it with a key in the token (hsm_sign checks the
 * signature).  Tests check its output with `openssl cms -verify` before
 * relying on it.  P-256 keys only (SHA-256).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "der.h"
#include "file.h"
#include "fwverify.h"
#include "hsm.h"
#include "pkix.h"
#include "secret.h"

enum { CERTS_MAX = 6, ATTRS = 4 };

static const uint8_t oid_signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };
static const uint8_t oid_content_type[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x03 };
static const uint8_t oid_msg_digest[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x04 };
static const uint8_t oid_signing_time[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05 };
static const uint8_t oid_fw_pkg_id[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x10,
	0x02, 0x23 };

typedef struct attr { pc_buf b; } attr;

static int attr_cmp(const void *a, const void *b)
{
	const pc_buf *x = &((const attr *)a)->b, *y = &((const attr *)b)->b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = memcmp(x->p, y->p, n);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

/* Attribute ::= SEQUENCE { type OID, values SET OF ANY } with one value. */
static void attr_make(attr *a, const uint8_t *oid, size_t oidlen, const pc_der *value)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid(&d, oid, oidlen);
	pc_der_begin(&d, DER_SET);
	pc_der_raw(&d, value->b.p, value->b.len);
	pc_der_end(&d);
	pc_der_end(&d);
	a->b = d.b;
}

int main(int argc, char **argv)
{
	pc_err e = { PC_OK, "" };
	hsm *h = NULL;
	hsm_key *k = NULL;
	pc_secret pin;
	uint8_t *certs[CERTS_MAX], digest[PKIX_HASH_MAX];
	size_t cert_len[CERTS_MAX], ncerts = 0, i, alg_len, hal;
	pkix_cert sv;
	const uint8_t *alg, *ha;
	attr a[ATTRS];
	pc_der v, d;
	pc_buf attrs = PC_BUF_INIT, sig = PC_BUF_INIT;
	time_t now = time(NULL);

	if (argc < 9 || argc - 8 > CERTS_MAX) {
		fprintf(stderr, "usage: fw_test_sign MODULE TOKEN PIN_FILE KEY_URI IMAGE PKG:VER OUT "
		    "SIGNER.der [CA.der]...\n");
		return 2;
	}
	for (i = 8; i < (size_t)argc; i++) {
		if (pc_file_read(argv[i], 65536, &certs[ncerts], &cert_len[ncerts], &e) != PC_OK)
			t_die_err(&e);
		ncerts++;
	}
	if (pkix_cert_parse(certs[0], cert_len[0], "certificate", &sv, NULL) != PC_OK) {
		fprintf(stderr, "fw_test_sign: %s: not a DER certificate\n", argv[8]);
		return 2;
	}
	if (hsm_open(argv[1], argv[2], &h, &e) != PC_OK ||
	    pc_secret_read(&pin, argv[3], "PIN", &e) != PC_OK)
		t_die_err(&e);
	if (hsm_login(h, &pin, &e) != PC_OK || hsm_key_open(h, argv[4], &k, &e) != PC_OK)
		t_die_err(&e);
	pc_secret_free(&pin);
	if (hsm_key_alg(k) != HSM_EC_P256) {
		fprintf(stderr, "fw_test_sign: P-256 keys only\n");
		return 2;
	}
	if (fw_digest_file(argv[5], PKIX_SHA256, digest, NULL, NULL, &e) != PC_OK)
		t_die_err(&e);

	/* the signed attributes, in DER SET OF order (X.690 §11.6) */
	pc_der_init(&v);
	pc_der_oid(&v, oid_data, sizeof oid_data);
	attr_make(&a[0], oid_content_type, sizeof oid_content_type, &v);
	pc_der_free(&v);
	pc_der_init(&v);
	pc_der_tlv(&v, DER_OCTET_STRING, digest, 32);
	attr_make(&a[1], oid_msg_digest, sizeof oid_msg_digest, &v);
	pc_der_free(&v);
	pc_der_init(&v);
	pc_der_time(&v, now);
	attr_make(&a[2], oid_signing_time, sizeof oid_signing_time, &v);
	pc_der_free(&v);
	pc_der_init(&v);
	pc_der_begin(&v, DER_SEQUENCE);
	pc_der_tlv(&v, DER_OCTET_STRING, argv[6], strlen(argv[6]));
	pc_der_end(&v);
	attr_make(&a[3], oid_fw_pkg_id, sizeof oid_fw_pkg_id, &v);
	pc_der_free(&v);
	qsort(a, ATTRS, sizeof a[0], attr_cmp);
	for (i = 0; i < ATTRS; i++)
		pc_buf_append(&attrs, a[i].b.p, a[i].b.len);

	/* RFC 5652 §5.4: signed with the explicit SET OF tag */
	pc_der_init(&d);
	pc_der_tlv(&d, DER_SET, attrs.p, attrs.len);
	if (!pc_der_ok(&d) || !pc_buf_ok(&attrs))
		return 2;
	if (hsm_sign(k, d.b.p, d.b.len, &sig, &e) != PC_OK)
		t_die_err(&e);
	pc_der_free(&d);
	alg = hsm_key_sigalg(k, &alg_len);
	ha = pkix_hash_algid(PKIX_SHA256, &hal);

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);                    /* ContentInfo */
	pc_der_oid(&d, oid_signed_data, sizeof oid_signed_data);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_begin(&d, DER_SEQUENCE);                    /* SignedData */
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SET);
	pc_der_raw(&d, ha, hal);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SEQUENCE);                    /* detached */
	pc_der_oid(&d, oid_data, sizeof oid_data);
	pc_der_end(&d);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	for (i = 0; i < ncerts; i++)
		pc_der_raw(&d, certs[i], cert_len[i]);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SET);
	pc_der_begin(&d, DER_SEQUENCE);                    /* SignerInfo */
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_raw(&d, sv.issuer, sv.issuer_len);
	pc_der_tlv(&d, DER_INTEGER, sv.serial, sv.serial_len);
	pc_der_end(&d);
	pc_der_raw(&d, ha, hal);
	pc_der_tlv(&d, DER_CTX_CONS | 0, attrs.p, attrs.len);
	pc_der_raw(&d, alg, alg_len);
	pc_der_tlv(&d, DER_OCTET_STRING, sig.p, sig.len);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d))
		return 2;
	if (pc_file_write_atomic(argv[7], d.b.p, d.b.len, 0644, false, &e) != PC_OK)
		t_die_err(&e);
	pc_der_free(&d);
	for (i = 0; i < ATTRS; i++)
		pc_buf_free(&a[i].b);
	for (i = 0; i < ncerts; i++)
		free(certs[i]);
	pc_buf_free(&attrs);
	pc_buf_free(&sig);
	hsm_key_free(k);
	hsm_close(h);
	return 0;
}
