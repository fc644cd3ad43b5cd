/*
 * main.c - plantca-station's command line: options, usage text and the
 * dispatch to one handler per verb (station.h lists the files).  Request
 * and accept hold the station directory's lock.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "file.h"
#include "secret.h"
#include "station.h"
#include "text.h"

/* in parts: ISO C caps string literals at 4095 bytes */
static const char usage_verbs[] =
"usage: plantca-station VERB [ARGS]\n"
"\n"
"plantca-station runs on a plant segment's station.  It builds request bundles\n"
"of device CSRs for the offline plantca workstation and verifies and unpacks\n"
"the response bundles (certificates, chains, trust bundles, CRLs) it sends\n"
"back.  Bundles travel on removable media as NAME.tar + NAME.tar.minisig.\n"
"\n"
"Verbs:\n"
"  init DIR --segment S --ca-key TRANSFER.pub --trust ROOT.pem\n"
"       [--passphrase-file F] [--json]\n"
"        Create the station directory DIR (must not exist, or be empty; mode\n"
"        0700): a new Ed25519 station key pair in minisign format\n"
"        (DIR/station.key, encrypted with the passphrase, mode 0600;\n"
"        DIR/station.pub), the CA transfer public key (DIR/ca-transfer.pub)\n"
"        and plant root certificate (DIR/root.pem) that plantca init wrote to\n"
"        the CA home's public/ folder, and DIR/station.conf.  Prints the\n"
"        station key id and the fingerprints to compare with the ones plantca\n"
"        init printed.  The CA officer then enrolls DIR/station.pub with\n"
"        'plantca station add S station.pub --ca NAME'.\n"
"  request DIR --profile P CSR... [--profile P2 CSR...] -o MEDIA_DIR\n"
"       [--expires DAYS] [--passphrase-file F] [--json]\n"
"        Sign the CSRs (PKCS#10, PEM or DER, at most 64 KiB each) into a\n"
"        request bundle MEDIA_DIR/SEGMENT-request-NNNNNN.tar (+ .minisig).\n"
"        Each --profile applies to the CSRs after it (tls-server, tls-client,\n"
"        opcua-app, ...); the CA decides what it grants.  The bundle is valid\n"
"        for DAYS days (default 30, at most 366).  The sequence number in\n"
"        station.conf is advanced after the bundle is written.\n";

static const char usage_accept[] =
"  accept DIR BUNDLE.tar --out PKI_DIR [--layout flat|opcua] [--der] [--json]\n"
"        Verify a response bundle (BUNDLE.tar and BUNDLE.tar.minisig): signed\n"
"        by the CA transfer key, addressed to this segment, sequence newer than\n"
"        the last accepted one, not expired, every SHA-256 right; every\n"
"        certificate in every file (certificates, chain.pem, trust.pem,\n"
"        trust.p7b, the signers in firmware-*.p7s) and every CRL either the\n"
"        station's root (DIR/root.pem) or signed by a CA that chains to it;\n"
"        trust.p7b a certs-only PKCS#7 holding exactly trust.pem's\n"
"        certificates; firmware signatures by a codeSigning certificate, not\n"
"        revoked; no CRL past its nextUpdate; no device certificate file\n"
"        replaced by another identity (below).  Nothing is written unless all\n"
"        of that holds; then each file is replaced atomically.\n"
"        --layout flat (default):\n"
"          certs/SERIAL.pem   delivered certificates, by serial\n"
"          chain.pem          issuing CA(s), then the root\n"
"          trust.pem          the root and the segment's issuing CAs\n"
"          trust.p7b          the same as PKCS#7 certs-only (DER)\n"
"          crl/NAME.crl       CRLs, NAME the CA's name ('root' for the root)\n"
"        --layout opcua (OPC 10000-12 certificate store):\n"
"          trusted/certs/     the segment's issuing CA certificate(s)\n"
"          trusted/crl/       their CRLs\n"
"          issuers/certs/     the root (and any CA between)\n"
"          issuers/crl/       the root's CRL\n"
"          own/certs/CN.pem   each delivered certificate followed by its chain\n"
"                             up to, not including, the root (CN sanitised;\n"
"                             the serial when there is no usable CN)\n"
"        A device certificate file (own/certs/CN.pem, certs/SERIAL.pem; .der\n"
"        or .pem) that exists is replaced only by a renewal: a certificate with\n"
"        the same subjectAltName set (for OPC UA, the same ApplicationUri),\n"
"        with a new key or not.  Another device's certificate under the same\n"
"        name, in this bundle or in the file, refuses the whole response,\n"
"        naming both (move the old file away if the device really changed).\n"
"        One identity twice in a bundle: the newest (notBefore) takes CN.pem,\n"
"        the others are written by serial.\n"
"        Firmware signatures (firmware-*.p7s) go to firmware/ in both layouts.\n"
"        --der writes certificates and CRLs as DER (one certificate per file:\n"
"        own/certs then holds only the device certificate; chain.pem and\n"
"        trust.pem stay PEM).  PEM is the default because some OPC UA stacks\n"
"        misread short DER files.\n"
"  verify-firmware DIR IMAGE SIG [--pki PKI_DIR] [--crl FILE]... [--min-version V]\n"
"        [--target OID]\n"
"        Check a firmware signature (CMS .p7s from plantca firmware sign)\n"
"        against this station's root (DIR/root.pem) and the CRLs a response\n"
"        delivered (--pki: the PKI_DIR given to accept) or --crl files: image\n"
"        digest, signature, chain, codeSigning, revocation, version not below\n"
"        V (rollback), target listed.  Exit 0 valid, 1 refused with the reason.\n";

static const char usage_options[] =
"\n"
"Options:\n"
"  --segment S           Plant segment name: [a-z0-9][a-z0-9-]{0,62}.\n"
"  --ca-key FILE         The CA transfer public key (minisign format).\n"
"  --trust FILE          The plant root certificate (one PEM CERTIFICATE).\n"
"  --passphrase-file F   Station key passphrase, first line of F.  Without it\n"
"                        plantca-station prompts on the terminal with echo off\n"
"                        (twice for init).  Never taken from the command line\n"
"                        or the environment.\n"
"  --profile P           Certificate profile for the CSRs that follow.\n"
"  -o, --output DIR      Media directory for the request bundle.\n"
"  --expires DAYS        Validity of a request bundle, 1..366 (default 30).\n"
"  --out DIR             PKI directory that accept writes (created if missing).\n"
"  --layout L            flat (default) or opcua.\n"
"  --der                 DER instead of PEM where a file holds one object.\n"
"  --json                Machine-readable summary on stdout.\n"
"  -h, --help            This text.\n"
"\n"
"Exit status: 0 done; 1 refused (bad signature, wrong passphrase, replayed,\n"
"expired or misaddressed bundle, malformed input); 2 usage, environment or\n"
"system error.  Messages go to stderr as \"plantca-station: WHAT: WHY\".\n";

/* ---------------------------------------------------------------- utilities */

/* Messages quote bundle members, certificate names and firmware fields:
 * they reach the terminal only through the display escaper. */
static int fail(const pc_err *e)
{
	fputs("plantca-station: ", stderr);
	pc_text_fputs(stderr, e->msg);
	fputc('\n', stderr);
	return pc_rc_exit_status(e->rc);
}

static int usage_error(const char *fmt, ...) PC_PRINTF(1, 2);
static int usage_error(const char *fmt, ...)
{
	va_list ap;
	char msg[PC_ERR_MSG_MAX];

	/* arguments are quoted: escaped like every other message */
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "plantca-station: ");
	pc_text_fputs(stderr, msg);
	fprintf(stderr, "\n(plantca-station --help shows the verbs and options)\n");
	return 2;
}

/* -------------------------------------------------------------------- main */

enum {
	OPT_SEGMENT = 256, OPT_CA_KEY, OPT_TRUST, OPT_PASS_FILE, OPT_JSON, OPT_PROFILE,
	OPT_EXPIRES, OPT_OUT, OPT_LAYOUT, OPT_DER, OPT_PKI, OPT_CRL, OPT_MIN_VERSION, OPT_TARGET,
};

static const struct option longopts[] = {
	{ "segment", required_argument, NULL, OPT_SEGMENT },
	{ "ca-key", required_argument, NULL, OPT_CA_KEY },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "passphrase-file", required_argument, NULL, OPT_PASS_FILE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "output", required_argument, NULL, 'o' },
	{ "expires", required_argument, NULL, OPT_EXPIRES },
	{ "out", required_argument, NULL, OPT_OUT },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "der", no_argument, NULL, OPT_DER },
	{ "pki", required_argument, NULL, OPT_PKI },
	{ "crl", required_argument, NULL, OPT_CRL },
	{ "min-version", required_argument, NULL, OPT_MIN_VERSION },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

/* The station directory's lock (pc_dir_lock), taken only in a directory
 * that holds a station (elsewhere the verb's own message says what is
 * wrong, and no lock file is left in a stranger's directory). */
PC_CHECK static pc_rc station_lock(const char *dir, int *fd, pc_err *e)
{
	char path[PATH_MAX];
	struct stat sb;

	*fd = -1;
	if (st_path_join(path, dir, "station.conf", e) != PC_OK || stat(path, &sb) != 0)
		return PC_OK;
	return pc_dir_lock(dir, "plantca-station", fd, e);
}

/* DIR and the operands after it, for the verb's handler */
static const st_args *operands(st_args *a, const st_operand *pos, size_t npos)
{
	a->dir = pos[1].path;
	a->ops = pos + 2;
	a->nops = npos - 2;
	return a;
}

int main(int argc, char **argv)
{
	st_args a;
	st_opts *op = &a.o;
	st_operand *pos;
	const char *profile = NULL;
	size_t npos = 0;
	pc_err e = { PC_OK, "" };
	pc_rc rc;
	int c, st = 0, lock_fd = -1;

	if (pc_secure_process(&e) != PC_OK)
		return fail(&e);
	memset(&a, 0, sizeof a);
	op->expires_days = ST_EXPIRES_DEFAULT;
	pos = calloc((size_t)argc + 1, sizeof *pos);
	op->crls = calloc((size_t)argc + 1, sizeof *op->crls);
	if (pos == NULL || op->crls == NULL) {
		free(pos);
		free(op->crls);
		return usage_error("%s", "out of memory");
	}
	opterr = 0;
	/* "-": operands are returned in order (as 1), so that each CSR picks up
	 * the --profile given before it */
	while ((c = getopt_long(argc, argv, "-ho:", longopts, NULL)) != -1) {
		switch (c) {
		case 1:
			pos[npos].path = optarg;
			pos[npos].profile = profile;
			npos++;
			break;
		case OPT_SEGMENT: op->segment = optarg; break;
		case OPT_CA_KEY: op->ca_key = optarg; break;
		case OPT_TRUST: op->trust = optarg; break;
		case OPT_PASS_FILE: op->pass_file = optarg; break;
		case OPT_JSON: op->json = true; break;
		case OPT_PROFILE: profile = optarg; break;
		case 'o': op->media = optarg; break;
		case OPT_EXPIRES: {
			uint64_t v;
			if (!st_u64_parse(optarg, &v) || v == 0 || v > ST_EXPIRES_MAX) {
				st = usage_error("--expires '%s': expected 1..%d days", optarg,
				    ST_EXPIRES_MAX);
				goto done;
			}
			op->expires_days = (unsigned)v;
			break;
		}
		case OPT_OUT: op->out = optarg; break;
		case OPT_LAYOUT: op->layout = optarg; break;
		case OPT_DER: op->der = true; break;
		case OPT_PKI: op->pki = optarg; break;
		case OPT_CRL: op->crls[op->ncrls++] = optarg; break;
		case OPT_MIN_VERSION: op->min_version = optarg; break;
		case OPT_TARGET:
			if (op->target) {
				st = usage_error("%s", "verify-firmware takes one --target");
				goto done;
			}
			op->target = optarg;
			break;
		case 'h':
			fputs(usage_verbs, stdout);
			fputs(usage_accept, stdout);
			fputs(usage_options, stdout);
			goto done;
		case '?':
		default:
			st = usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
			goto done;
		}
	}
	if (npos == 0) {
		st = usage_error("%s", "no verb given");
		goto done;
	}
	if (strcmp(pos[0].path, "init") == 0) {
		if (npos != 2) {
			st = usage_error("usage: plantca-station init DIR --segment S --ca-key "
			    "TRANSFER.pub --trust ROOT.pem");
			goto done;
		}
		rc = st_init(operands(&a, pos, npos), &e);
	} else if (strcmp(pos[0].path, "request") == 0) {
		if (npos < 3) {
			st = usage_error("usage: plantca-station request DIR --profile P CSR... "
			    "-o MEDIA_DIR");
			goto done;
		}
		/* one request or accept at a time per station: two at once would
		 * take the same sequence number, and the CA would refuse the
		 * second bundle as a replay */
		if ((rc = station_lock(pos[1].path, &lock_fd, &e)) == PC_OK)
			rc = st_request(operands(&a, pos, npos), &e);
	} else if (strcmp(pos[0].path, "accept") == 0) {
		if (npos != 3) {
			st = usage_error("usage: plantca-station accept DIR BUNDLE.tar --out PKI_DIR "
			    "[--layout flat|opcua]");
			goto done;
		}
		if ((rc = station_lock(pos[1].path, &lock_fd, &e)) == PC_OK)
			rc = st_accept(operands(&a, pos, npos), &e);
	} else if (strcmp(pos[0].path, "verify-firmware") == 0) {
		if (npos != 4) {
			st = usage_error("usage: plantca-station verify-firmware DIR IMAGE SIG [--pki PKI_DIR] "
			    "[--crl FILE]... [--min-version V] [--target OID]");
			goto done;
		}
		rc = st_verify_firmware(operands(&a, pos, npos), &e);
	} else {
		st = usage_error("unknown verb '%s'", pos[0].path);
		goto done;
	}
	if (rc == PC_OK && fflush(stdout) != 0)
		rc = pc_fail(&e, PC_E_IO, "stdout: write failed");
	st = rc == PC_OK ? 0 : fail(&e);
done:
	pc_dir_unlock(&lock_fd);
	free(pos);
	free(op->crls);
	return st;
}
