/*
 * pkix_verify - the PKIX layer's path validator as a command, for tests:
 *
 *   pkix_verify [--now UNIXTIME] [--require-crls] [--server] TARGET
 *       [--anchor FILE]... [--pool FILE]... [--crl FILE]...
 *
 * Files are DER or PEM (one object each).  Prints "ok: N certificates"
 * and exits 0, or prints the refusal and exits 1; 2 on a usage error or a
 * file that cannot be read or parsed (the parse error is printed).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "file.h"
#include "pem.h"
#include "pkix.h"

enum { MAX_FILES = 16, FILE_MAX = 64 * 1024 * 1024 };

static uint8_t *load(const char *path, const char *label, size_t *len)
{
	static const char *labels[2];
	uint8_t *buf, *der;
	size_t n;
	pc_err e;

	if (pc_file_read(path, FILE_MAX, &buf, &n, &e) != PC_OK) {
		fprintf(stderr, "pkix_verify: %s\n", e.msg);
		exit(2);
	}
	if (!pc_pem_looks_like(buf, n)) {
		*len = n;
		return buf;
	}
	labels[0] = label;
	labels[1] = NULL;
	if (pc_pem_decode(buf, n, labels, &der, len, NULL, &e) != PC_OK) {
		fprintf(stderr, "pkix_verify: %s: %s\n", path, e.msg);
		exit(2);
	}
	free(buf);
	return der;
}

static void parse_cert(const char *path, pkix_cert *c)
{
	size_t n;
	uint8_t *der = load(path, "CERTIFICATE", &n);
	pc_err e;

	if (pkix_cert_parse(der, n, path, c, &e) != PC_OK) {
		printf("%s\n", e.msg);
		exit(2);
	}
}

int main(int argc, char **argv)
{
	static pkix_cert target, anchors[MAX_FILES], pool[MAX_FILES];
	static pkix_crl crls[MAX_FILES];
	pkix_chain_opts o;
	pkix_chain ch;
	pc_err e;
	int i;
	bool have_target = false;

	memset(&o, 0, sizeof o);
	o.now = time(NULL);
	o.anchors = anchors;
	o.pool = pool;
	o.crls = crls;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
			o.now = (time_t)strtoll(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--require-crls") == 0) {
			o.require_crls = true;
		} else if (strcmp(argv[i], "--server") == 0) {
			o.nc_flags |= PKIX_NC_CN_AS_DNS;
		} else if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc && o.nanchors < MAX_FILES) {
			parse_cert(argv[++i], &anchors[o.nanchors++]);
		} else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc && o.npool < MAX_FILES) {
			parse_cert(argv[++i], &pool[o.npool++]);
		} else if (strcmp(argv[i], "--crl") == 0 && i + 1 < argc && o.ncrls < MAX_FILES) {
			size_t n;
			uint8_t *der = load(argv[++i], "X509 CRL", &n);
			if (pkix_crl_parse(der, n, argv[i], &crls[o.ncrls], &e) != PC_OK) {
				printf("%s\n", e.msg);
				return 2;
			}
			o.ncrls++;
		} else if (argv[i][0] != '-' && !have_target) {
			parse_cert(argv[i], &target);
			have_target = true;
		} else {
			fprintf(stderr, "usage: pkix_verify [--now T] [--require-crls] [--server] TARGET "
			    "[--anchor F]... [--pool F]... [--crl F]...\n");
			return 2;
		}
	}
	if (!have_target) {
		fprintf(stderr, "pkix_verify: no target\n");
		return 2;
	}
	o.role = "target";
	if (pkix_chain_verify(&target, &o, &ch, &e) != PC_OK) {
		printf("%s\n", e.msg);
		return 1;
	}
	printf("ok: %zu certificates\n", ch.n);
	return 0;
}
