/*
 * test_station_pki.c - plantca-station's readers of certificates and CRLs
 * from response bundles and PKI files (certs.c: st_cert_load,
 * st_cert_load_first, st_certs_add_pem, st_crl_parse), the parsers of
 * tests/fuzz/fuzz_station_cert.c and fuzz_station_crl.c.
 *
 *   test_station_pki CERT_CORPUS BAD_CERT_TABLE CRL_CORPUS BAD_CRL_TABLE
 *
 * 1. Every row of a table (FILE STAGE RC FRAGMENT) is refused with that
 *    return code and the message "PATH: FRAGMENT": at STAGE 'load' by the
 *    reader (st_cert_load, st_crl_parse), which then holds no DER; at
 *    STAGE 'verify' the reader accepts it and the check of a response
 *    against the fuzz targets' station root (tests/fuzz/station_root.h)
 *    refuses it, as the fuzz targets run it, with the bundle named PATH;
 *    at STAGE 'pem' (certificates) the reader of chain.pem, trust.pem and
 *    the station's PEM files (st_certs_add_pem, the set named PATH), at
 *    'first' the reader of a device certificate file in PKI_DIR (the first
 *    certificate of own/certs/CN.pem: st_cert_load_first).
 *    Every bad-* file of a corpus has a row, so every seed has an expected
 *    outcome (the files: make-station-seeds.sh and make-bad-station-pki.py).
 * 2. Every valid-* file is read: a certificate file by st_cert_load_first
 *    and, PEM, by st_certs_add_pem (st_cert_load too when it holds one
 *    certificate); a CRL by st_crl_parse.
 * 3. A CRL over the reader's cap (PKIX_CRL_MAX, 64 MiB: not kept in the
 *    corpus) is refused as too large before it is copied.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "file.h"
#include "pem.h"
#include "station.h"
#include "fuzz/station_root.h"

enum { TABLE_MAX = 128 };

typedef struct table {
	const char *corpus, *kind;
	char *listed[TABLE_MAX];
	size_t n, rows;            /* files listed, rows */
} table;

static size_t nwrong;

static void read_bytes(const char *path, uint8_t **p, size_t *len)
{
	/* the corpus holds files over the readers' caps: read with room */
	CHECK_OK(pc_file_read(path, 4 * ST_CERT_FILE_MAX, p, len, &t_err));
}

static pc_rc rc_of(const char *name)
{
	static const pc_rc all[] = { PC_E_INPUT, PC_E_LIMIT, PC_E_BUNDLE, PC_E_EXPIRED,
		PC_E_CRYPTO, PC_E_SIGNATURE };
	size_t i;

	for (i = 0; i < sizeof all / sizeof all[0]; i++)
		if (strcmp(pc_rc_name(all[i]), name) == 0)
			return all[i];
	fprintf(stderr, "unknown return code '%s' in the table\n", name);
	exit(1);
}

static void root(st_cert *r)
{
	CHECK_OK(st_cert_parse(fuzz_station_root_der, sizeof fuzz_station_root_der, "root", r,
	    &t_err));
	r->from = "DIR/root.pem";
}

/* A certificate against the root, as fuzz_station_cert's check_chain. */
static pc_rc verify_cert(st_cert *c, const char *bundle)
{
	st_pki pki;
	pc_rc rc;

	memset(&pki, 0, sizeof pki);
	root(&pki.root);
	pki.chain.what = "chain.pem";
	c->from = "chain.pem";
	CHECK_OK(st_certs_push(c->is_ca ? &pki.chain : &pki.devices, c, &t_err));
	rc = st_pki_verify(&pki, bundle, &t_err);
	st_pki_free(&pki);
	return rc;
}

/* A CRL member root.crl against the root, as fuzz_station_crl. */
static pc_rc verify_crl(st_crl *crl, const char *bundle)
{
	st_pki pki;
	pc_rc rc;

	memset(&pki, 0, sizeof pki);
	root(&pki.root);
	CHECK((pki.crls = calloc(1, sizeof *pki.crls)) != NULL);
	pki.crls[0] = *crl;
	pki.ncrls = 1;
	snprintf(pki.crls[0].stem, sizeof pki.crls[0].stem, "root");
	snprintf(pki.crls[0].member, sizeof pki.crls[0].member, "root.crl");
	rc = st_pki_verify(&pki, bundle, &t_err);
	st_pki_free(&pki);
	return rc;
}

/* One row: the refusal it names.  is_crl: the CRL reader, else the
 * certificate reader. */
static void row(const char *fp, bool is_crl, const char *stage, pc_rc want_rc, const char *frag)
{
	char want[1400];
	uint8_t *bytes;
	size_t len;
	pc_rc rc;

	read_bytes(fp, &bytes, &len);
	memset(&t_err, 0, sizeof t_err);
	if (is_crl) {
		st_crl crl;
		rc = st_crl_parse(bytes, len, fp, &crl, &t_err);
		if (rc == PC_OK && strcmp(stage, "verify") == 0)
			rc = verify_crl(&crl, fp);
		else if (rc == PC_OK)
			st_crl_free(&crl);
		else
			CHECK(crl.der == NULL && crl.issuer == NULL);
	} else if (strcmp(stage, "first") == 0) {
		st_cert c;
		rc = st_cert_load_first(bytes, len, fp, &c, &t_err);
		if (rc == PC_OK)
			st_cert_free(&c);
		else
			CHECK(c.der == NULL);
	} else if (strcmp(stage, "pem") == 0) {
		st_certs s;
		memset(&s, 0, sizeof s);
		s.what = fp;
		rc = st_certs_add_pem(&s, bytes, len, &t_err);
		st_certs_free(&s);
	} else {
		st_cert c;
		rc = st_cert_load(bytes, len, fp, &c, &t_err);
		if (rc == PC_OK && strcmp(stage, "verify") == 0)
			rc = verify_cert(&c, fp);
		else if (rc == PC_OK)
			st_cert_free(&c);
		else
			CHECK(c.der == NULL && c.len == 0 && c.nsan == 0);
	}
	free(bytes);
	snprintf(want, sizeof want, "%s: %s", fp, frag);
	if (rc != want_rc || strncmp(t_err.msg, fp, strlen(fp)) != 0 || strstr(t_err.msg, want) == NULL) {
		fprintf(stderr, "%s (%s): gave %s '%s'\n  expected %s '%s'\n", fp, stage,
		    pc_rc_name(rc), rc == PC_OK ? "" : t_err.msg, pc_rc_name(want_rc), want);
		nwrong++;   /* every wrong row is shown, then the test fails */
	}
}

static bool is_listed(const table *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->listed[i], name) == 0)
			return true;
	return false;
}

static void bad_table(table *t, bool is_crl, const char *path, size_t min_rows)
{
	FILE *f = fopen(path, "r");
	char line[1024];

	CHECK(f != NULL);
	while (fgets(line, sizeof line, f)) {
		char *file, *stage, *rc, *frag, fp[512];

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok(line, "\t");
		stage = strtok(NULL, "\t");
		rc = strtok(NULL, "\t");
		frag = strtok(NULL, "");
		CHECK(file && stage && rc && frag);
		CHECK(strcmp(stage, "load") == 0 || strcmp(stage, "verify") == 0 ||
		    (!is_crl && (strcmp(stage, "pem") == 0 || strcmp(stage, "first") == 0)));
		CHECK(t->n < TABLE_MAX);
		if (!is_listed(t, file))   /* a file may have a row for each reader */
			CHECK((t->listed[t->n++] = strdup(file)) != NULL);
		t->rows++;
		snprintf(fp, sizeof fp, "%s/%s", t->corpus, file);
		row(fp, is_crl, stage, rc_of(rc), frag);
	}
	fclose(f);
	CHECK(nwrong == 0 && t->rows >= min_rows);
	printf("ok - %zu bad %s files refused with the file and the reason (%zu rows)\n", t->n,
	    t->kind, t->rows);
}

static size_t pem_blocks(const uint8_t *p, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i + 11 <= len; i++)
		if (memcmp(p + i, "-----BEGIN ", 11) == 0)
			n++;
	return n;
}

static void valid_file(const char *fp, bool is_crl)
{
	uint8_t *bytes;
	size_t len;

	read_bytes(fp, &bytes, &len);
	if (is_crl) {
		st_crl crl;
		CHECK_OK(st_crl_parse(bytes, len, fp, &crl, &t_err));
		CHECK(crl.der != NULL && crl.issuer_len > 0);
		st_crl_free(&crl);
	} else {
		st_cert c;
		st_certs s;
		CHECK_OK(st_cert_load_first(bytes, len, fp, &c, &t_err));
		CHECK(c.der != NULL);
		st_cert_free(&c);
		if (pem_blocks(bytes, len) <= 1) {
			CHECK_OK(st_cert_load(bytes, len, fp, &c, &t_err));
			st_cert_free(&c);
		}
		if (pem_blocks(bytes, len) >= 1) {
			memset(&s, 0, sizeof s);
			s.what = fp;
			CHECK_OK(st_certs_add_pem(&s, bytes, len, &t_err));
			CHECK(s.n == pem_blocks(bytes, len));
			st_certs_free(&s);
		}
	}
	free(bytes);
}

static void corpus_files(const table *t, bool is_crl)
{
	DIR *d = opendir(t->corpus);
	struct dirent *de;
	size_t nvalid = 0, nbad = 0;

	CHECK(d != NULL);
	while ((de = readdir(d)) != NULL) {
		char fp[512];

		snprintf(fp, sizeof fp, "%s/%s", t->corpus, de->d_name);
		if (strncmp(de->d_name, "bad-", 4) == 0) {
			if (!is_listed(t, de->d_name)) {
				fprintf(stderr, "%s: not in the table of bad %s files\n", fp, t->kind);
				nwrong++;
			}
			nbad++;
		} else if (strncmp(de->d_name, "valid-", 6) == 0) {
			valid_file(fp, is_crl);
			nvalid++;
		}
	}
	closedir(d);
	CHECK(nwrong == 0 && nvalid >= 5 && nbad == t->n);
	printf("ok - %zu valid %s files read; every bad one is in the table\n", nvalid, t->kind);
}

static void crl_over_cap(void)
{
	size_t n = (size_t)PKIX_CRL_MAX + 1;
	uint8_t *big = calloc(1, n);
	st_crl crl;

	CHECK(big != NULL);
	big[0] = 0x30;   /* looks like DER, not PEM */
	CHECK_RC(st_crl_parse(big, n, "member big.crl", &crl, &t_err), PC_E_LIMIT);
	CHECK_MSG("member big.crl: CRL of 67108865 bytes, more than the 67108864-byte limit");
	CHECK(crl.der == NULL && crl.issuer == NULL);
	free(big);
	printf("ok - a CRL over the 64 MiB cap is refused as too large\n");
}

int main(int argc, char **argv)
{
	table certs = { .kind = "certificate" }, crls = { .kind = "CRL" };
	size_t i;

	if (argc != 5) {
		fprintf(stderr, "usage: %s CERT_CORPUS BAD_CERT_TABLE CRL_CORPUS BAD_CRL_TABLE\n",
		    argv[0]);
		return 2;
	}
	certs.corpus = argv[1];
	crls.corpus = argv[3];
	bad_table(&certs, false, argv[2], 30);
	corpus_files(&certs, false);
	bad_table(&crls, true, argv[4], 20);
	corpus_files(&crls, true);
	crl_over_cap();
	for (i = 0; i < certs.n; i++)
		free(certs.listed[i]);
	for (i = 0; i < crls.n; i++)
		free(crls.listed[i]);
	return 0;
}
