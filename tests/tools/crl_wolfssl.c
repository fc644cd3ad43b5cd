/*
 * crl_wolfssl - an independent judge of our CRLs (tests only): wolfSSL's
 * own CRL code, not our DER reader.
 *
 *   crl_wolfssl CA.pem CRL.der
 *
 * Loads CA.pem into a wolfSSL CertManager and the CRL with
 * wolfSSL_CertManagerLoadCRLBuffer (which checks its signature against the
 * CA), then decodes it with wolfSSL_d2i_X509_CRL and prints "number N"
 * and every revoked serial as "serial HEX" (lowercase), one a line, in the
 * order wolfSSL read them.  (wolfSSL 5.5.4 does not keep reason codes.)
 * Exit 0 on success, 1 if wolfSSL refuses the CRL.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wolfssl/options.h>
#include <wolfssl/ssl.h>

#include "check.h"

static unsigned char *slurp(const char *path, long *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *p;

	if (!f || fseek(f, 0, SEEK_END) != 0 || (*len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		return NULL;
	p = malloc((size_t)*len + 1);
	if (p && fread(p, 1, (size_t)*len, f) != (size_t)*len) {
		free(p);
		p = NULL;
	}
	fclose(f);
	return p;
}

int main(int argc, char **argv)
{
	WOLFSSL_CERT_MANAGER *cm;
	WOLFSSL_X509_CRL *crl;
	WOLFSSL_BIO *bio;
	unsigned char *ca, *der;
	const unsigned char *q;
	char *text, *line, *save = NULL;
	long calen, derlen;
	int ret, n;

	if (argc != 3) {
		fprintf(stderr, "usage: crl_wolfssl CA.pem CRL.der\n");
		return 2;
	}
	ca = slurp(argv[1], &calen);
	der = slurp(argv[2], &derlen);
	if (!ca || !der)
		t_die("cannot read %s or %s", argv[1], argv[2]);
	wolfSSL_Init();
	cm = wolfSSL_CertManagerNew();
	if (!cm || wolfSSL_CertManagerLoadCABuffer(cm, ca, calen, WOLFSSL_FILETYPE_PEM) !=
	    WOLFSSL_SUCCESS || wolfSSL_CertManagerEnableCRL(cm, 0) != WOLFSSL_SUCCESS)
		t_die("cannot set up the CertManager with %s", argv[1]);
	ret = wolfSSL_CertManagerLoadCRLBuffer(cm, der, derlen, WOLFSSL_FILETYPE_ASN1);
	if (ret != WOLFSSL_SUCCESS) {
		fprintf(stderr, "crl_wolfssl: wolfSSL refuses the CRL: %d\n", ret);
		return 1;
	}
	q = der;
	crl = wolfSSL_d2i_X509_CRL(NULL, q, (int)derlen);
	if (!crl) {
		fprintf(stderr, "crl_wolfssl: wolfSSL_d2i_X509_CRL failed\n");
		return 1;
	}
	bio = wolfSSL_BIO_new(wolfSSL_BIO_s_mem());
	if (!bio || wolfSSL_X509_CRL_print(bio, crl) != WOLFSSL_SUCCESS) {
		fprintf(stderr, "crl_wolfssl: wolfSSL_X509_CRL_print failed\n");
		return 1;
	}
	n = wolfSSL_BIO_get_mem_data(bio, &text);
	if (n <= 0)
		return 1;
	text = strndup(text, (size_t)n);
	/* wolfSSL prints "Serial Number:" and, on the next non-empty line, the
	 * serial in hex; "X509v3 CRL Number:" and the number likewise */
	{
		int want = 0;   /* 1: a serial is next, 2: the CRL number */
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			char *p = line;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p == '\0')
				continue;
			if (want == 1) {
				printf("serial ");
				for (; *p; p++)
					if (isxdigit((unsigned char)*p))
						putchar(tolower((unsigned char)*p));
				putchar('\n');
			} else if (want == 2) {
				printf("number %s\n", p);
			}
			want = strstr(p, "Serial Number:") ? 1 : strstr(p, "CRL Number:") ? 2 : 0;
		}
	}
	free(text);
	wolfSSL_BIO_free(bio);
	wolfSSL_X509_CRL_free(crl);
	wolfSSL_CertManagerFree(cm);
	wolfSSL_Cleanup();
	free(ca);
	free(der);
	return 0;
}
