/*
 * test_csr.c - pkix_csr_parse() over a table of files (BearSSL style):
 *
 *   test_csr CASES-FILE CORPUS-DIR
 *
 * Each line of CASES-FILE names a file of CORPUS-DIR, the expected result
 * code and a fragment of the expected message (see csr-cases.txt).  Every
 * line is checked and every failure reported before the test exits 1; a
 * corpus file without a line is a failure too, so that new seeds get an
 * expected outcome.  A few in-memory cases follow (size limit, NULL error
 * record, bytes around the limit).
 */
#include <dirent.h>
#include <sys/stat.h>

#include <sodium.h>

#include "pkix.h"
#include "file.h"
#include "check.h"

enum { CASES_MAX = 512 };

static const char san_list[] =
    "dns:host.example,dns:*.wild.example,ip:192.0.2.7,ip:2001:db8::7,"
    "uri:urn:example:plant:7,email:ops@example.com";

static char *names[CASES_MAX];
static size_t ncases;

/* Checks of a request that parsed; returns false after reporting. */
static bool check_good(const char *file, const pkix_csr *c, const char *want)
{
	char kt[32], got[64];
	pc_buf t = PC_BUF_INIT;
	uint8_t id[PKIX_KEYID_LEN];
	size_t i;
	bool ok = true;

	snprintf(got, sizeof got, "%s %zu",
	    pkix_keytype_name(c->keytype, c->bits, kt, sizeof kt), c->nsan);
	if (strcmp(got, want) != 0) {
		FAIL_ROW("%s: parsed as '%s', expected '%s'", file, got, want);
		return false;
	}
	/* the views point into the owned copy */
	if (c->subject < c->der || c->subject + c->subject_len > c->der + c->der_len ||
	    c->spki < c->der || c->spki + c->spki_len > c->der + c->der_len) {
		FAIL_ROW("%s: subject or SPKI outside the request's bytes", file);
		return false;
	}
	if (pkix_name_to_text(c->subject, c->subject_len, &t) != PC_OK) {
		FAIL_ROW("%s: subject does not print", file);
		ok = false;
	} else if (c->subject_len > 2) {
		pc_buf_byte(&t, 0);
		if (strncmp((char *)t.p, "CN=", 3) != 0 ||
		    strstr((char *)t.p, ",O=Plant,C=DE") == NULL) {
			FAIL_ROW("%s: subject is '%s'", file, (char *)t.p);
			ok = false;
		}
	}
	pc_buf_free(&t);
	if (pkix_keyid(c->spki, c->spki_len, id) != PC_OK) {
		FAIL_ROW("%s: no key identifier", file);
		ok = false;
	}
	if (c->nsan == 6) {
		for (i = 0; i < c->nsan; i++) {
			if (i > 0)
				pc_buf_byte(&t, ',');
			pkix_gn_to_text(&c->san[i], &t);
		}
		pc_buf_byte(&t, 0);
		if (strcmp((char *)t.p, san_list) != 0) {
			FAIL_ROW("%s: SANs are '%s'", file, (char *)t.p);
			ok = false;
		}
		pc_buf_free(&t);
	}
	return ok;
}

static void run_case(const char *dir, const char *file, const char *rc_name,
    const char *frag, int lineno)
{
	char path[4096];
	uint8_t *buf;
	size_t len;
	pkix_csr c;
	pc_err e;
	pc_rc rc;
	bool der;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	memset(&e, 0, sizeof e);
	/* read with a cap well above the parser's own limit: the limit is
	 * the parser's to enforce */
	if (pc_file_read(path, 4 * PKIX_CSR_MAX, &buf, &len, &e) != PC_OK) {
		FAIL_ROW("line %d: %s", lineno, e.msg);
		return;
	}
	rc = pkix_csr_parse(buf, len, file, &c, &e);
	/* plantca-station request's check (pkix_csr_check_shape) of the DER
	 * files: a good request passes it, one whose signature was changed
	 * fails its proof of possession there too */
	der = strlen(file) > 4 && strcmp(file + strlen(file) - 4, ".der") == 0;
	if (der && rc == PC_OK && pkix_csr_check_shape(buf, len) != PKIX_CSR_SHAPE_OK)
		FAIL_ROW("line %d: %s: the station's shape check refuses a good request", lineno,
		    file);
	if (der && strstr(frag, "proof of possession failed") != NULL &&
	    pkix_csr_check_shape(buf, len) != PKIX_CSR_POP_FAILED)
		FAIL_ROW("line %d: %s: the station's shape check misses a bad self-signature",
		    lineno, file);
	free(buf);
	if (strcmp(pc_rc_name(rc), rc_name) != 0) {
		FAIL_ROW("line %d: %s: got %s (%s), expected %s", lineno, file, pc_rc_name(rc),
		    rc == PC_OK ? "" : e.msg, rc_name);
	} else if (rc == PC_OK) {
		check_good(file, &c, frag);
	} else if (e.rc != rc || strstr(e.msg, file) == NULL || strstr(e.msg, frag) == NULL) {
		FAIL_ROW("line %d: %s: message '%s' (rc %s) lacks the file name or '%s'",
		    lineno, file, e.msg, pc_rc_name(e.rc), frag);
	} else if (c.der != NULL || c.nsan != 0) {
		FAIL_ROW("line %d: %s: refused request left data behind", lineno, file);
	}
	if (rc == PC_OK)
		pkix_csr_free(&c);
}

static void run_table(const char *table, const char *dir)
{
	uint8_t *text;
	size_t len;
	char *line, *next;
	int lineno = 0;

	CHECK_OK(pc_file_read(table, 1 << 20, &text, &len, &t_err));
	for (line = (char *)text; line != NULL && *line != '\0'; line = next) {
		char *file, *rc, *frag, *tab;

		next = strchr(line, '\n');
		if (next != NULL)
			*next++ = '\0';
		lineno++;
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = line;
		tab = strchr(file, '\t');
		if (tab == NULL || strchr(tab + 1, '\t') == NULL) {
			FAIL_ROW("%s:%d: expected FILE<TAB>RC<TAB>FRAGMENT", table, lineno);
			continue;
		}
		*tab = '\0';
		rc = tab + 1;
		tab = strchr(rc, '\t');
		*tab = '\0';
		frag = tab + 1;
		CHECK(ncases < CASES_MAX);
		names[ncases++] = strdup(file);
		run_case(dir, file, rc, frag, lineno);
	}
	free(text);
	CHECK(ncases > 0);
}

/* Every corpus file has a line in the table. */
static void check_complete(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t i;

	CHECK(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char path[4096];
		struct stat st;
		bool found = false;

		snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
			continue;
		for (i = 0; i < ncases && !found; i++)
			found = strcmp(names[i], de->d_name) == 0;
		if (!found)
			FAIL_ROW("%s has no line in the cases table", path);
	}
	closedir(d);
	for (i = 0; i < ncases; i++)
		free(names[i]);
}

static void test_in_memory(void)
{
	static uint8_t big[PKIX_CSR_MAX + 1];
	pkix_csr c;
	pc_err e;

	/* the size limit comes first, and is PC_E_LIMIT, not PC_E_CSR */
	memset(big, 0x30, sizeof big);
	CHECK_RC(pkix_csr_parse(big, sizeof big, "big.csr", &c, &t_err), PC_E_LIMIT);
	CHECK_MSG("big.csr");
	CHECK_MSG("larger than the 65536-byte CSR limit");
	CHECK(c.der == NULL);
	/* at the limit: parsed (and refused for what it is: 30 30 is a
	 * 48-byte SEQUENCE followed by more bytes) */
	CHECK_RC(pkix_csr_parse(big, PKIX_CSR_MAX, "max.csr", &c, &t_err), PC_E_CSR);
	CHECK_MSG("max.csr: trailing bytes after the request");
	/* a well-formed SEQUENCE of the whole 64 KiB holding garbage */
	big[0] = 0x30; big[1] = 0x82; big[2] = 0xff; big[3] = 0xfc;
	CHECK_RC(pkix_csr_parse(big, PKIX_CSR_MAX, "seq.csr", &c, &t_err), PC_E_CSR);
	CHECK_MSG("seq.csr: malformed CertificationRequest");

	/* a NULL error record is allowed everywhere, as for pc_fail() */
	CHECK(pkix_csr_parse((const uint8_t *)"x", 1, "x", &c, NULL) == PC_E_CSR);
	CHECK(pkix_csr_parse(big, sizeof big, "x", &c, NULL) == PC_E_LIMIT);
	CHECK(pkix_csr_parse((const uint8_t *)"-----BEGIN X-----\n", 18, "x", &c, NULL) == PC_E_CSR);
	CHECK(pkix_csr_parse((const uint8_t *)"", 0, "x", &c, NULL) == PC_E_CSR);

	/* PEM errors are reported as PC_E_CSR, with the name in front */
	memset(&e, 0, sizeof e);
	CHECK(pkix_csr_parse((const uint8_t *)"-----BEGIN X-----\n", 18, "in.pem", &c, &e) == PC_E_CSR);
	CHECK(e.rc == PC_E_CSR && strncmp(e.msg, "in.pem: ", 8) == 0);
}

/* pkix_csr_build: an Ed25519 request (what plantca-station ra-key makes)
 * built, read back by the one reader with the same subject and key; a
 * signer that signs something else is caught before anything is handed
 * out; a key the algorithm does not fit is refused. */
static uint8_t build_sk[crypto_sign_SECRETKEYBYTES];

PC_CHECK static pc_rc build_sign(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig, pc_err *e)
{
	uint8_t s[crypto_sign_BYTES];
	bool bad = ctx != NULL;

	(void)e;
	crypto_sign_detached(s, NULL, msg, len, build_sk);
	if (bad)
		s[5] ^= 1;
	pc_buf_append(sig, s, sizeof s);
	return PC_OK;
}

static void test_build(void)
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES], spki[PKIX_ED25519_SPKI_LEN];
	pc_buf name = PC_BUF_INIT, out = PC_BUF_INIT, txt = PC_BUF_INIT;
	pkix_csr c;
	static const uint8_t p256_spki_prefix[] = { 0x30, 0x59 };

	CHECK(sodium_init() >= 0);
	crypto_sign_keypair(pk, build_sk);
	pkix_ed25519_spki(pk, spki);
	CHECK(pkix_name_from_text(&name, "/O=plantca/OU=line3/CN=CMP RA 0123456789ABCDEF",
	    &t_err) == PC_OK);
	CHECK_RC(pkix_csr_build(name.p, name.len, spki, sizeof spki,
	    pkix_sigalg_for_key(PKIX_KEY_ED25519), build_sign, NULL, &out, &t_err), PC_OK);
	CHECK_RC(pkix_csr_parse(out.p, out.len, "built", &c, &t_err), PC_OK);
	CHECK(c.keytype == PKIX_KEY_ED25519 && c.nsan == 0);
	CHECK(c.subject_len == name.len && memcmp(c.subject, name.p, name.len) == 0);
	CHECK(c.spki_len == sizeof spki && memcmp(c.spki, spki, sizeof spki) == 0);
	CHECK(pkix_name_to_text(c.subject, c.subject_len, &txt) == PC_OK);
	pkix_csr_free(&c);
	/* a wrong signature never leaves the builder */
	out.len = 0;
	CHECK_RC(pkix_csr_build(name.p, name.len, spki, sizeof spki,
	    pkix_sigalg_for_key(PKIX_KEY_ED25519), build_sign, (void *)1, &out, &t_err),
	    PC_E_CSR);
	CHECK_MSG("built");
	CHECK(out.len == 0);
	/* an algorithm that does not fit the key */
	CHECK_RC(pkix_csr_build(name.p, name.len, spki, sizeof spki,
	    pkix_sigalg_for_key(PKIX_KEY_EC_P256), build_sign, NULL, &out, &t_err), PC_E_INTERNAL);
	CHECK_MSG("does not fit the key");
	/* a key that is not one */
	CHECK(pkix_csr_build(name.p, name.len, p256_spki_prefix, sizeof p256_spki_prefix,
	    pkix_sigalg_for_key(PKIX_KEY_ED25519), build_sign, NULL, &out, &t_err) == PC_E_CSR);
	CHECK(out.len == 0);
	pc_buf_free(&name);
	pc_buf_free(&out);
	pc_buf_free(&txt);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: %s CASES-FILE CORPUS-DIR\n", argv[0]);
		return 2;
	}
	run_table(argv[1], argv[2]);
	check_complete(argv[2]);
	test_in_memory();
	test_build();
	CHECK_ROWS(ncases);
	printf("%zu cases passed\n", ncases);
	return 0;
}
