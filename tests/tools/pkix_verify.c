/*
 * pkix_verify - the PKIX layer's path validator as a command, for tests:
 *
 *   pkix_verify [--now UNIXTIME] [--require-crls] [--server] TARGET
 *       [--anchor FILE]... [--pool FILE]... [--crl FILE]... [--then ARGS...]
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

struct run {
	pkix_cert target, anchors[MAX_FILES], pool[MAX_FILES];
	pkix_crl crls[MAX_FILES];
	pkix_chain_opts o;
	bool have_target;
};

static void usage(void)
{
	fprintf(stderr, "usage: pkix_verify [--now T] [--require-crls] [--server] TARGET "
	    "[--anchor F]... [--pool F]... [--crl F]... [--then ARGS...]\n");
	exit(2);
}

/* argv[from..] up to "--then" (its index, or argc) into r */
static int parse_run(int argc, char **argv, int from, struct run *r)
{
	pc_err e;
	int i;

	memset(r, 0, sizeof *r);
	r->o.now = time(NULL);
	r->o.anchors = r->anchors;
	r->o.pool = r->pool;
	r->o.crls = r->crls;
	r->o.role = "target";
	for (i = from; i < argc && strcmp(argv[i], "--then") != 0; i++) {
		if (strcmp(argv[i], "--now") == 0 && i + 1 < argc) {
			r->o.now = (time_t)strtoll(argv[++i], NULL, 10);
		} else if (strcmp(argv[i], "--require-crls") == 0) {
			r->o.require_crls = true;
		} else if (strcmp(argv[i], "--server") == 0) {
			r->o.nc_flags |= PKIX_NC_CN_AS_DNS;
		} else if (strcmp(argv[i], "--anchor") == 0 && i + 1 < argc &&
		    r->o.nanchors < MAX_FILES) {
			parse_cert(argv[++i], &r->anchors[r->o.nanchors++]);
		} else if (strcmp(argv[i], "--pool") == 0 && i + 1 < argc && r->o.npool < MAX_FILES) {
			parse_cert(argv[++i], &r->pool[r->o.npool++]);
		} else if (strcmp(argv[i], "--crl") == 0 && i + 1 < argc && r->o.ncrls < MAX_FILES) {
			size_t n;
			uint8_t *der = load(argv[++i], "X509 CRL", &n);
			if (pkix_crl_parse(der, n, argv[i], &r->crls[r->o.ncrls], &e) != PC_OK) {
				printf("%s\n", e.msg);
				exit(2);
			}
			r->o.ncrls++;
		} else if (argv[i][0] != '-' && !r->have_target) {
			parse_cert(argv[i], &r->target);
			r->have_target = true;
		} else {
			usage();
		}
	}
	if (!r->have_target) {
		fprintf(stderr, "pkix_verify: no target\n");
		exit(2);
	}
	return i;
}

/* With "--then", the first run's verifications fill a memo (chain.h),
 * which is then frozen and used by the second: what a station does for a
 * batch of device certificates under the same CAs.  The first run must
 * pass (exit 3 otherwise); the second's result is printed. */
int main(int argc, char **argv)
{
	static struct run first, second;
	static pkix_chain_memo memo;
	struct run *r = &first;
	pkix_chain ch;
	pc_err e;
	int i;

	i = parse_run(argc, argv, 1, &first);
	if (i < argc) {
		first.o.memo = &memo;
		if (pkix_chain_verify(&first.target, &first.o, &ch, &e) != PC_OK) {
			printf("first run refused: %s\n", e.msg);
			return 3;
		}
		memo.frozen = true;
		parse_run(argc, argv, i + 1, &second);
		second.o.memo = &memo;
		r = &second;
	}
	if (pkix_chain_verify(&r->target, &r->o, &ch, &e) != PC_OK) {
		printf("%s\n", e.msg);
		return 1;
	}
	printf("ok: %zu certificates%s\n", ch.n, r == &second ? " (memo)" : "");
	return 0;
}
