/*
 * test_cert.c - pkix_tbs_build + pkix_cert_assemble, checked by OpenSSL and
 * read back with pkix_cert_parse.
 *
 *   test_cert OPENSSL CSR.der
 *
 * 1. A certificate with a dummy signature and validity 2049-12-31 23:59:59 ..
 *    2050-01-01 00:00:00 (RFC 5280 §4.1.2.5: UTCTime, then GeneralizedTime):
 *    `openssl asn1parse` and `openssl x509` accept it and agree with us on
 *    serial and dates.
 * 2. A real chain: an Ed25519 root (libsodium signs, RFC 8410) with name
 *    constraints, and a leaf for the key and SANs of CSR.der.  `openssl
 *    verify -x509_strict` accepts both; a leaf whose SAN is outside the
 *    constraints is refused.  A bug shared by our writer and our reader is
 *    invisible to round trips; OpenSSL is the independent check.
 */
#include <sodium.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pkix.h"
#include "file.h"
#include "pem.h"
#include "check.h"

static const char *openssl;
static char dir[256];

static const uint8_t alg_ed25519[] = { 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70 };
static const uint8_t alg_ecdsa_sha256[] = {
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};

/* Run a shell command; its output (stdout and stderr) into out. */
static int run(char *out, size_t cap, const char *fmt, ...) PC_PRINTF(3, 4);
static int run(char *out, size_t cap, const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	FILE *f;
	size_t n;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	CHECK(strlen(cmd) + 6 < sizeof cmd);
	strcat(cmd, " 2>&1");
	f = popen(cmd, "r");
	CHECK(f != NULL);
	n = fread(out, 1, cap - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void write_file(const char *name, const uint8_t *p, size_t n, bool pem)
{
	char path[512];
	pc_buf b = PC_BUF_INIT;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (pem)
		pc_pem_encode(&b, "CERTIFICATE", p, n);
	else
		pc_buf_append(&b, p, n);
	CHECK(pc_buf_ok(&b));
	CHECK_OK(pc_file_write_atomic(path, b.p, b.len, 0600, false, &t_err));
	pc_buf_free(&b);
}

static void remove_file(const char *name)
{
	char path[512];

	snprintf(path, sizeof path, "%s/%s", dir, name);
	CHECK(unlink(path) == 0);
}

struct key {
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	uint8_t sk[crypto_sign_SECRETKEYBYTES];
	uint8_t spki[44];
};

static void key_new(struct key *k)
{
	static const uint8_t hdr[12] = {
		0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
	};

	crypto_sign_keypair(k->pk, k->sk);
	memcpy(k->spki, hdr, sizeof hdr);
	memcpy(k->spki + sizeof hdr, k->pk, sizeof k->pk);
}

/* Build, sign with `signer` (or a dummy signature), assemble. */
static void make_cert(const pkix_tbs_params *p, const struct key *signer, pc_buf *cert,
    pc_buf *tbs)
{
	uint8_t sig[crypto_sign_BYTES];

	CHECK_OK(pkix_tbs_build(p, tbs, &t_err));
	if (signer != NULL)
		CHECK(crypto_sign_detached(sig, NULL, tbs->p, tbs->len, signer->sk) == 0);
	else
		memset(sig, 0x5a, sizeof sig);
	CHECK_OK(pkix_cert_assemble(tbs->p, tbs->len, p->sigalg, p->sigalg_len, sig,
	    sizeof sig, cert));
}

/* What x509_cert_view_parse reads back is what went in. */
static void check_view(const pc_buf *cert, const pc_buf *tbs, const pkix_tbs_params *p)
{
	pkix_cert v;
	size_t cut;

	CHECK_OK(pkix_cert_parse(cert->p, cert->len, "certificate", &v, NULL));
	CHECK_BYTES(v.tbs, v.tbs_len, tbs->p, tbs->len);
	/* RFC 5280 §4.1.2.2: positive, at most 20 octets; ours are exactly 20 */
	CHECK(v.serial_len == PKIX_SERIAL_LEN);
	CHECK((v.serial[0] & 0x80) == 0 && (v.serial[0] & 0x40) != 0);
	CHECK_BYTES(v.serial, v.serial_len, p->serial, PKIX_SERIAL_LEN);
	CHECK_BYTES(v.issuer, v.issuer_len, p->issuer, p->issuer_len);
	CHECK_BYTES(v.subject, v.subject_len, p->subject, p->subject_len);
	CHECK_BYTES(v.spki, v.spki_len, p->spki, p->spki_len);
	CHECK(v.not_before == p->not_before && v.not_after == p->not_after);

	/* every truncation, and one byte more, is refused */
	for (cut = 0; cut < cert->len; cut++)
		CHECK(pkix_cert_parse(cert->p, cut, "certificate", &v, NULL) == PC_E_INPUT);
	{
		uint8_t *more = malloc(cert->len + 1);

		CHECK(more != NULL);
		memcpy(more, cert->p, cert->len);
		more[cert->len] = 0;
		CHECK(pkix_cert_parse(more, cert->len + 1, "certificate", &v, NULL) == PC_E_INPUT);
		free(more);
	}
}

static void test_dummy_signature(const pkix_csr *csr)
{
	static const char *const eku[] = { "1.3.6.1.5.5.7.3.1", NULL };
	pc_buf issuer = PC_BUF_INIT, cert = PC_BUF_INIT, tbs = PC_BUF_INIT, hex = PC_BUF_INIT;
	pkix_tbs_params p;
	char out[16384], want[128];

	memset(&p, 0, sizeof p);
	CHECK_OK(pkix_name_from_text(&issuer, "/C=DE/O=Plant/CN=Dummy Issuer", &t_err));
	pkix_serial_new(p.serial);
	p.sigalg = alg_ecdsa_sha256;
	p.sigalg_len = sizeof alg_ecdsa_sha256;
	p.issuer = issuer.p;
	p.issuer_len = issuer.len;
	p.issuer_keyid = (const uint8_t *)"01234567890123456789";
	p.not_before = 2524607999;     /* 2049-12-31 23:59:59Z: last UTCTime second */
	p.not_after = 2524608000;      /* 2050-01-01 00:00:00Z: GeneralizedTime */
	p.subject = csr->subject;
	p.subject_len = csr->subject_len;
	p.spki = csr->spki;
	p.spki_len = csr->spki_len;
	p.path_len = -1;
	p.key_usage = PKIX_KU_DIGITAL_SIGNATURE | PKIX_KU_KEY_AGREEMENT;
	p.eku = eku;
	p.san = csr->san;
	p.nsan = csr->nsan;
	make_cert(&p, NULL, &cert, &tbs);
	check_view(&cert, &tbs, &p);

	write_file("dummy.der", cert.p, cert.len, false);
	CHECK(run(out, sizeof out, "'%s' asn1parse -inform DER -in '%s/dummy.der'",
	    openssl, dir) == 0);
	CHECK(strstr(out, "UTCTIME           :491231235959Z") != NULL);
	CHECK(strstr(out, "GENERALIZEDTIME   :20500101000000Z") != NULL);
	CHECK(strstr(out, "error") == NULL);

	CHECK(run(out, sizeof out, "'%s' x509 -inform DER -in '%s/dummy.der' -noout "
	    "-serial -startdate -enddate -ext basicConstraints,keyUsage,subjectAltName",
	    openssl, dir) == 0);
	pc_hex_encode(&hex, p.serial, PKIX_SERIAL_LEN, 0);
	pc_buf_byte(&hex, 0);
	for (char *c = (char *)hex.p; *c; c++)
		if (*c >= 'a' && *c <= 'f')
			*c = (char)(*c - 'a' + 'A');
	snprintf(want, sizeof want, "serial=%s\n", (char *)hex.p);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "notBefore=Dec 31 23:59:59 2049 GMT") != NULL);
	CHECK(strstr(out, "notAfter=Jan  1 00:00:00 2050 GMT") != NULL);
	CHECK(strstr(out, "X509v3 Basic Constraints: critical\n    CA:FALSE") != NULL);
	CHECK(strstr(out, "X509v3 Key Usage: critical\n    Digital Signature, Key Agreement") != NULL);
	CHECK(strstr(out, "DNS:host.example, DNS:*.wild.example, IP Address:192.0.2.7, "
	    "IP Address:2001:DB8:0:0:0:0:0:7, URI:urn:example:plant:7, "
	    "email:ops@example.com") != NULL);
	remove_file("dummy.der");

	pc_buf_free(&issuer);
	pc_buf_free(&cert);
	pc_buf_free(&tbs);
	pc_buf_free(&hex);
}

static void test_chain(const pkix_csr *csr)
{
	static const char *const eku[] = { "1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", NULL };
	struct key root;
	pkix_gn permit[3], other[1];
	uint8_t root_id[PKIX_KEYID_LEN];
	pc_buf name = PC_BUF_INIT, rc = PC_BUF_INIT, rt = PC_BUF_INIT;
	pc_buf lc = PC_BUF_INIT, lt = PC_BUF_INIT, bc = PC_BUF_INIT, bt = PC_BUF_INIT;
	pkix_tbs_params p;
	time_t now = time(NULL);
	char out[16384];

	key_new(&root);
	CHECK_OK(pkix_keyid(root.spki, sizeof root.spki, root_id));
	CHECK_OK(pkix_gn_from_text("dns:example", true, &permit[0], &t_err));
	CHECK_OK(pkix_gn_from_text("ip:192.0.2.0/24", true, &permit[1], &t_err));
	CHECK_OK(pkix_gn_from_text("ip:2001:db8::/32", true, &permit[2], &t_err));
	CHECK_OK(pkix_name_from_text(&name, "CN=Test Root,O=Plant,C=DE", &t_err));

	/* the root: self-signed, pathLen 0, name constraints */
	memset(&p, 0, sizeof p);
	pkix_serial_new(p.serial);
	p.sigalg = alg_ed25519;
	p.sigalg_len = sizeof alg_ed25519;
	p.issuer = name.p;
	p.issuer_len = name.len;
	p.not_before = now - 3600;
	p.not_after = now + 86400 * 30;
	p.subject = name.p;
	p.subject_len = name.len;
	p.spki = root.spki;
	p.spki_len = sizeof root.spki;
	p.is_ca = true;
	p.path_len = 0;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	p.permit = permit;
	p.npermit = 3;
	make_cert(&p, &root, &rc, &rt);
	check_view(&rc, &rt, &p);
	write_file("root.pem", rc.p, rc.len, true);

	/* the leaf: the CSR's key and SANs */
	pkix_serial_new(p.serial);
	p.issuer_keyid = root_id;
	p.subject = csr->subject;
	p.subject_len = csr->subject_len;
	p.spki = csr->spki;
	p.spki_len = csr->spki_len;
	p.is_ca = false;
	p.path_len = -1;
	p.key_usage = PKIX_KU_DIGITAL_SIGNATURE;
	p.eku = eku;
	p.permit = NULL;
	p.npermit = 0;
	p.san = csr->san;
	p.nsan = csr->nsan;
	make_cert(&p, &root, &lc, &lt);
	check_view(&lc, &lt, &p);
	write_file("leaf.pem", lc.p, lc.len, true);

	/* a leaf outside the root's name constraints */
	CHECK_OK(pkix_gn_from_text("dns:host.other", false, &other[0], &t_err));
	p.san = other;
	p.nsan = 1;
	make_cert(&p, &root, &bc, &bt);
	write_file("outside.pem", bc.p, bc.len, true);

	if (run(out, sizeof out, "'%s' x509 -in '%s/root.pem' -noout -text", openssl, dir) != 0 ||
	    strstr(out, "X509v3 Name Constraints: critical") == NULL ||
	    strstr(out, "Permitted:\n") == NULL || strstr(out, " DNS:example\n") == NULL ||
	    strstr(out, " IP:192.0.2.0/255.255.255.0\n") == NULL ||
	    strstr(out, " IP:2001:DB8:0:0:0:0:0:0/FFFF:FFFF:0:0:0:0:0:0\n") == NULL ||
	    strstr(out, "CA:TRUE, pathlen:0") == NULL) {
		FAIL("%s", out);
	}
	if (run(out, sizeof out, "'%s' verify -x509_strict -check_ss_sig -CAfile '%s/root.pem' "
	    "'%s/root.pem'", openssl, dir, dir) != 0 || strstr(out, "root.pem: OK") == NULL) {
		FAIL("openssl verify (root):\n%s", out);
	}
	if (run(out, sizeof out, "'%s' verify -x509_strict -purpose sslserver -CAfile '%s/root.pem' "
	    "'%s/leaf.pem'", openssl, dir, dir) != 0 || strstr(out, "leaf.pem: OK") == NULL) {
		FAIL("openssl verify (leaf):\n%s", out);
	}
	if (run(out, sizeof out, "'%s' verify -x509_strict -CAfile '%s/root.pem' "
	    "'%s/outside.pem'", openssl, dir, dir) == 0 ||
	    strstr(out, "permitted subtree violation") == NULL) {
		FAIL("openssl verify (outside the constraints):\n%s", out);
	}
	/* and a flipped bit in the leaf's signature is noticed: the signature
	 * OpenSSL checked above really is over our TBS bytes */
	lc.p[lc.len - 1] ^= 1;
	write_file("leaf.pem", lc.p, lc.len, true);
	CHECK(run(out, sizeof out, "'%s' verify -CAfile '%s/root.pem' '%s/leaf.pem'",
	    openssl, dir, dir) != 0);

	remove_file("root.pem");
	remove_file("leaf.pem");
	remove_file("outside.pem");
	pc_buf_free(&name);
	pc_buf_free(&rc);
	pc_buf_free(&rt);
	pc_buf_free(&lc);
	pc_buf_free(&lt);
	pc_buf_free(&bc);
	pc_buf_free(&bt);
}

static void test_build_errors(const pkix_csr *csr)
{
	pkix_tbs_params p;
	pc_buf out = PC_BUF_INIT;
	static const char *const bad_eku[] = { "1.3.6.1.5.5.7.3.1", "not-an-oid", NULL };

	memset(&p, 0, sizeof p);
	p.sigalg = alg_ed25519;
	p.sigalg_len = sizeof alg_ed25519;
	p.issuer = csr->subject;
	p.issuer_len = csr->subject_len;
	p.subject = (const uint8_t *)"\x30\x00";
	p.subject_len = 2;
	p.spki = csr->spki;
	p.spki_len = csr->spki_len;
	p.path_len = -1;
	p.key_usage = PKIX_KU_DIGITAL_SIGNATURE;
	/* RFC 5280 §4.2.1.6: an empty subject needs a (critical) SAN */
	CHECK_RC(pkix_tbs_build(&p, &out, &t_err), PC_E_INPUT);
	CHECK_MSG("empty subject and no subjectAltName");
	p.san = csr->san;
	p.nsan = csr->nsan;
	CHECK_OK(pkix_tbs_build(&p, &out, &t_err));
	pc_buf_free(&out);
	/* a malformed SPKI */
	p.spki_len = 5;
	CHECK_RC(pkix_tbs_build(&p, &out, &t_err), PC_E_INPUT);
	CHECK_MSG("malformed public key");
	p.spki_len = csr->spki_len;
	/* a bad EKU OID fails the encoder rather than producing garbage */
	p.eku = bad_eku;
	CHECK_RC(pkix_tbs_build(&p, &out, &t_err), PC_E_INTERNAL);
	pc_buf_free(&out);
	/* validity past 9999 cannot be encoded */
	p.eku = NULL;
	p.not_after = (time_t)253402300800;
	CHECK_RC(pkix_tbs_build(&p, &out, &t_err), PC_E_INTERNAL);
	pc_buf_free(&out);
}

int main(int argc, char **argv)
{
	uint8_t *buf;
	size_t len;
	pkix_csr csr;

	if (argc != 3) {
		fprintf(stderr, "usage: %s OPENSSL CSR.der\n", argv[0]);
		return 2;
	}
	openssl = argv[1];
	if (openssl[0] == '\0')
		SKIP("openssl not found when the build was configured: it judges the certificates");
	CHECK(sodium_init() >= 0);
	CHECK_OK(pc_file_read(argv[2], PKIX_CSR_MAX, &buf, &len, &t_err));
	CHECK_OK(pkix_csr_parse(buf, len, argv[2], &csr, &t_err));
	free(buf);
	CHECK(csr.nsan == 6);

	t_tmpdir(dir, sizeof dir, "x509");
	test_dummy_signature(&csr);
	test_chain(&csr);
	test_build_errors(&csr);
	CHECK(rmdir(dir) == 0);
	pkix_csr_free(&csr);
	return 0;
}
