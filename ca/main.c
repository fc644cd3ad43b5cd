/*
 * plantca - the offline CA workstation program.  One verb per run.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ca.h"
#include "crl.h"
#include "firmware.h"
#include "pc.h"
#include "secret.h"
#include "text.h"

static const char usage_text[] =
"usage: plantca [--home DIR] [--json] [--pin-file FILE] VERB [ARGS]\n"
"\n"
"plantca is an offline certificate authority for air-gapped plants.  Its keys\n"
"live in a PKCS#11 token and never leave it; every state change is recorded in\n"
"the CA home's store and in a hash-chained audit trail.\n"
"\n"
"Verbs:\n"
"  init --module SO --token LABEL|URI --subject DN [--key ALG] [--days N]\n"
"        Create the CA home: store, root key and CA transfer key in the token,\n"
"        the self-signed root.  Writes HOME/public/root.pem and\n"
"        HOME/public/transfer.pub (minisign format) for plant stations.\n"
"        ALG: ec-p384 (default), ec-p256, rsa-3072, rsa-4096.  Days: 7300.\n"
"  ca new NAME --subject DN [--key ALG] [--days N] [--path-len N]\n"
"        [--permit TYPE:VALUE]...\n"
"        Issuing CA signed by the root, key in the token (default ec-p256,\n"
"        3650 days, path length 0).  --permit adds a critical name constraint\n"
"        (dns:line3.plant.local, ip:10.3.0.0/16, uri:HOST, email:DOMAIN).\n"
"  ca list                 CAs with key type, validity and SHA-256 fingerprints.\n"
"  ca cert NAME            One CA's certificate as PEM on stdout ('root' too).\n"
"  issue CSR... --ca NAME --profile P [-o FILE | --out-dir DIR] [--der]\n"
"        [--days N]\n"
"        Certificates from PKCS#10 requests (PEM or DER; EC P-256/P-384, RSA\n"
"        2048..8192 bits with an odd exponent 3 <= e < 2^32, Ed25519).  Each\n"
"        request's self-signature must verify.  All CSRs are checked before\n"
"        anything is signed: one bad CSR refuses the batch.  Profiles come\n"
"        from the policy (plantca policy show): tls-server, tls-client,\n"
"        mqtt-client, opcua-app, ldevid by default (code-signing certificates\n"
"        come only from firmware signer new).  Output: PEM on stdout, or\n"
"        -o FILE (all certificates), or DIR/SERIAL.pem each.\n"
"  policy check FILE       Check a policy file (docs/policy-format.md); errors\n"
"                          name the line.  Exit 1 if it is bad.\n"
"  policy show             The active policy (HOME/policy.conf, else the\n"
"                          built-in default), as text or --json.\n"
"  policy set FILE         Check FILE and install it as the CA home's policy;\n"
"                          the audit trail records its SHA-256.\n"
"  station add SEGMENT PUBKEY --ca NAME\n"
"        Enroll a plant station's minisign public key (station.pub) for a\n"
"        segment served by issuing CA NAME.  Shows the key id to compare.\n"
"  station list            Enrolled stations, segments and last sequences.\n";
static const char usage_text1b[] =
"  import BUNDLE.tar       Verify a request bundle (signature by an enrolled\n"
"                          station, segment, sequence, expiry, every hash) and\n"
"                          check each request as sign will (policy, segment,\n"
"                          the TBS, the pre-issuance check with the CA's name\n"
"                          constraints; no HSM): rejected with why, else\n"
"                          approved (approval = auto) or pending.\n"
"  requests [--status pending|approved|rejected|signing|issued]\n"
"                          The review screen: subject, SAN, key type, profile,\n"
"                          station and any reason, per request.  Untrusted\n"
"                          text is shown escaped: \\x1b (controls, bytes that\n"
"                          are not UTF-8), \\u202e (C1, bidi, invisible).\n"
"  approve ID... | --all   Approve pending requests.  A profile with\n"
"                          approval = single (ldevid by default) is approved\n"
"                          only by 'approve ID' with that ID alone; --all\n"
"                          skips it and says so.\n"
"  reject ID --reason TEXT Reject a pending or approved request.\n"
"  sign                    Issue every approved request (progress on a terminal).\n"
"                          Completes interrupted issuances first.  A request\n"
"                          that no longer passes its checks is rejected with\n"
"                          the reason and the others are still signed (exit 1\n"
"                          when any was refused).  Each request yields at most\n"
"                          one certificate, however runs are killed or started\n"
"                          side by side: approved -> signing (serial reserved,\n"
"                          with the intent) -> issued (with the certificate).\n";
/* split: ISO C requires compilers to support string literals of 4095 bytes */
static const char usage_text2[] =
"  export SEGMENT DIR      Write the signed response bundle for a segment:\n"
"                          new certificates, chain.pem, trust.pem, trust.p7b,\n"
"                          signed by the CA transfer key in the token.\n"
"  certs [--segment S] [--expiring DAYS] [--revoked]\n"
"                          Issued certificates: serial, status, expiry, profile,\n"
"                          CA, subject, SAN.\n"
"  status [--margin DAYS] [--expiring DAYS]\n"
"                          Per segment: last export, nextUpdate of the CRLs\n"
"                          delivered then, days left, certificates expiring\n"
"                          within DAYS (30); flags segments whose delivered CRL\n"
"                          expires within the margin (3 days) or never went out.\n"
"  show SERIAL [--pem]     One certificate in detail (or its PEM).\n"
"  revoke SERIAL --reason R | revoke --from-file FILE --reason R\n"
"        Revoke certificates (an issuing CA by its certificate's serial: it\n"
"        goes on the root's CRL).  R: keyCompromise, cACompromise,\n"
"        affiliationChanged, superseded, cessationOfOperation,\n"
"        privilegeWithdrawn, or unspecified (no reason code on the CRL).\n"
"        FILE: one serial a line ('#' comments); all or nothing.  Unknown,\n"
"        already revoked or expired serials are refused.  No PIN needed; the\n"
"        revocation reaches devices with the next CRL.\n"
"  crl [--ca NAME] [-o FILE] [--der] [--next-update DAYS]\n"
"      [--clock-override --reason TEXT]\n"
"        Sign a new v2 CRL (PEM, or DER with --der) for CA NAME ('root' for\n"
"        the root's), on stdout or into FILE; without --ca, one for every CA\n"
"        into HOME/crl/NAME.crl.  The current CRLs are kept in the store for\n"
"        export.  nextUpdate = thisUpdate + the CA's cadence: 7 days for\n"
"        issuing CAs, 180 for the root; --next-update DAYS (with --ca) sets\n"
"        that CA's cadence from now on.  Refused when the clock is earlier\n"
"        than the thisUpdate of the last CRL that CA signed.  If that CRL was\n"
"        signed with the clock ahead and the clock is right now,\n"
"        --clock-override --reason TEXT (with --ca) signs anyway: thisUpdate\n"
"        is the clock, the CRL number still goes up, and the audit trail\n"
"        records both times and TEXT.\n";
static const char usage_text3[] =
"  firmware signer new NAME --ca CA --subject DN [--key ALG] [--days N]\n"
"        [--package P]...\n"
"        Firmware signer: key in the token (ec-p256 default, ec-p384, ed25519)\n"
"        and a code-signing certificate from CA under the policy's profile\n"
"        code-signing, naming the packages it may sign (default: NAME); the\n"
"        verifiers refuse its signatures for any other package.\n"
"  firmware signer list    Signers with certificate serial, status, packages.\n"
"  firmware sign IMAGE --signer NAME --fw-version V [--package P]\n"
"        [--target OID]... [-o FILE] [--minisign]\n"
"        Detached CMS signature (DER, default IMAGE.p7s) with the RFC 4108\n"
"        firmware package (P:V, P defaults to the signer name) and target\n"
"        hardware attributes.  --minisign (Ed25519 signers) also writes a\n"
"        minisign signature (FILE without .p7s, plus .minisig).\n"
"  firmware verify IMAGE SIG --trust FILE [--crl FILE]... [--min-version V]\n"
"        [--target OID]\n"
"        Check a firmware signature: digest, signature, chain to --trust,\n"
"        codeSigning, the signer's package list, revocation, rollback,\n"
"        target.  Exit 0 valid, 1 refused.\n"
"  firmware publish SEGMENT SIG\n"
"        Queue a firmware signature for the segment's next response bundle.\n"
"  audit log               The audit trail, oldest first.\n"
"  audit verify            Check the hash chain, then the store's invariants\n"
"                          (no request with two certificates, no certificate\n"
"                          without its request, an intent for every request\n"
"                          being signed); exit 1 on any finding or if an event\n"
"                          was modified, deleted or reordered.\n"
"\n"
"Global options:\n"
"  --home DIR        CA home (else $PLANTCA_HOME).\n"
"  --json            Machine-readable output on stdout.\n"
"  --pin-file FILE   Token user PIN, first line of FILE.  Without it plantca\n"
"                    prompts on the terminal with echo off.  A PIN is never\n"
"                    taken from the command line or the environment.\n"
"  -h, --help        This text.\n"
"\n"
"DN syntax: \"/C=DE/O=Acme/CN=Line 3 CA\" (OpenSSL order) or RFC 4514\n"
"\"CN=Line 3 CA,O=Acme,C=DE\".  Attributes: C ST L O OU CN serialNumber DC UID\n"
"emailAddress.\n"
"\n"
"Commands that change the CA home hold HOME/lock while they run; a second\n"
"one is refused (\"HOME is in use by pid N\"); read-only verbs never wait.\n"
"\n"
"Exit status: 0 done; 1 refused (bad input, policy, signature, state);\n"
"2 usage, environment or system error.  Messages go to stderr as\n"
"\"plantca: WHAT: WHY\".\n";

enum {
	OPT_HOME = 256, OPT_JSON, OPT_PIN_FILE, OPT_MODULE, OPT_TOKEN, OPT_SUBJECT, OPT_KEY,
	OPT_DAYS, OPT_PATH_LEN, OPT_PERMIT, OPT_CA, OPT_PROFILE, OPT_OUT_DIR, OPT_DER, OPT_PEM,
	OPT_SEGMENT, OPT_EXPIRING, OPT_REVOKED, OPT_STATUS, OPT_ALL, OPT_REASON, OPT_FROM_FILE,
	OPT_NEXT_UPDATE, OPT_MARGIN,
	OPT_SIGNER, OPT_FW_VERSION, OPT_PACKAGE, OPT_TARGET, OPT_TRUST, OPT_CRL, OPT_MIN_VERSION,
	OPT_MINISIGN, OPT_CLOCK_OVERRIDE,
};

static const struct option longopts[] = {
	{ "home", required_argument, NULL, OPT_HOME },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "pin-file", required_argument, NULL, OPT_PIN_FILE },
	{ "module", required_argument, NULL, OPT_MODULE },
	{ "token", required_argument, NULL, OPT_TOKEN },
	{ "subject", required_argument, NULL, OPT_SUBJECT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "days", required_argument, NULL, OPT_DAYS },
	{ "path-len", required_argument, NULL, OPT_PATH_LEN },
	{ "permit", required_argument, NULL, OPT_PERMIT },
	{ "ca", required_argument, NULL, OPT_CA },
	{ "profile", required_argument, NULL, OPT_PROFILE },
	{ "output", required_argument, NULL, 'o' },
	{ "out-dir", required_argument, NULL, OPT_OUT_DIR },
	{ "der", no_argument, NULL, OPT_DER },
	{ "pem", no_argument, NULL, OPT_PEM },
	{ "segment", required_argument, NULL, OPT_SEGMENT },
	{ "expiring", required_argument, NULL, OPT_EXPIRING },
	{ "revoked", no_argument, NULL, OPT_REVOKED },
	{ "status", required_argument, NULL, OPT_STATUS },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "reason", required_argument, NULL, OPT_REASON },
	{ "from-file", required_argument, NULL, OPT_FROM_FILE },
	{ "next-update", required_argument, NULL, OPT_NEXT_UPDATE },
	{ "margin", required_argument, NULL, OPT_MARGIN },
	{ "signer", required_argument, NULL, OPT_SIGNER },
	{ "fw-version", required_argument, NULL, OPT_FW_VERSION },
	{ "package", required_argument, NULL, OPT_PACKAGE },
	{ "target", required_argument, NULL, OPT_TARGET },
	{ "trust", required_argument, NULL, OPT_TRUST },
	{ "crl", required_argument, NULL, OPT_CRL },
	{ "min-version", required_argument, NULL, OPT_MIN_VERSION },
	{ "minisign", no_argument, NULL, OPT_MINISIGN },
	{ "clock-override", no_argument, NULL, OPT_CLOCK_OVERRIDE },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct args {
	const char *home, *pin_file, *module, *token, *subject, *key, *ca, *profile;
	const char *out, *out_dir, *segment, *status;
	const char *reason, *from_file;
	unsigned days, next_update, margin;
	int path_len, expiring;
	bool json, der, pem, revoked, all, margin_set, clock_override;
	const char **permit;
	size_t npermit;
	/* firmware */
	const char *signer, *fw_version, *min_version;
	const char **targets, **trust, **crls, **packages;
	size_t ntargets, ntrust, ncrls, npackages;
	bool minisign;
	char **pos;       /* positional arguments, verb first */
	int npos;
};

/* Messages quote CSR contents, bundle members and stored fields: they
 * reach the terminal only through the display escaper (common/text.h). */
static int fail(const pc_err *e)
{
	fputs("plantca: ", stderr);
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
	fprintf(stderr, "plantca: ");
	pc_text_fputs(stderr, msg);
	fprintf(stderr, "\n(plantca --help shows the verbs and options)\n");
	return 2;
}

static bool parse_uint(const char *s, long max, long *out)
{
	char *end;
	long v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 0 || v > max)
		return false;
	*out = v;
	return true;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	long v;
	int c;

	memset(a, 0, sizeof *a);
	a->path_len = -1;
	a->expiring = -1;
	a->permit = calloc((size_t)argc + 1, sizeof *a->permit);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	a->targets = calloc((size_t)argc + 1, sizeof *a->targets);
	a->trust = calloc((size_t)argc + 1, sizeof *a->trust);
	a->crls = calloc((size_t)argc + 1, sizeof *a->crls);
	a->packages = calloc((size_t)argc + 1, sizeof *a->packages);
	if (!a->permit || !a->pos || !a->targets || !a->trust || !a->crls || !a->packages)
		return usage_error("%s", "out of memory");
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ho:", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_HOME: a->home = optarg; break;
		case OPT_JSON: a->json = true; break;
		case OPT_PIN_FILE: a->pin_file = optarg; break;
		case OPT_MODULE: a->module = optarg; break;
		case OPT_TOKEN: a->token = optarg; break;
		case OPT_SUBJECT: a->subject = optarg; break;
		case OPT_KEY: a->key = optarg; break;
		case OPT_DAYS:
			if (!parse_uint(optarg, 36500, &v) || v == 0)
				return usage_error("--days '%s': expected 1..36500", optarg);
			a->days = (unsigned)v;
			break;
		case OPT_PATH_LEN:
			if (!parse_uint(optarg, 8, &v))
				return usage_error("--path-len '%s': expected 0..8", optarg);
			a->path_len = (int)v;
			break;
		case OPT_EXPIRING:
			if (!parse_uint(optarg, 36500, &v))
				return usage_error("--expiring '%s': expected a number of days", optarg);
			a->expiring = (int)v;
			break;
		case OPT_PERMIT: a->permit[a->npermit++] = optarg; break;
		case OPT_CA: a->ca = optarg; break;
		case OPT_PROFILE: a->profile = optarg; break;
		case 'o': a->out = optarg; break;
		case OPT_OUT_DIR: a->out_dir = optarg; break;
		case OPT_DER: a->der = true; break;
		case OPT_PEM: a->pem = true; break;
		case OPT_SEGMENT: a->segment = optarg; break;
		case OPT_REVOKED: a->revoked = true; break;
		case OPT_STATUS: a->status = optarg; break;
		case OPT_ALL: a->all = true; break;
		case OPT_REASON: a->reason = optarg; break;
		case OPT_FROM_FILE: a->from_file = optarg; break;
		case OPT_MARGIN:
			if (!parse_uint(optarg, 3650, &v))
				return usage_error("--margin '%s': expected a number of days", optarg);
			a->margin = (unsigned)v;
			a->margin_set = true;
			break;
		case OPT_NEXT_UPDATE:
			if (!parse_uint(optarg, 3650, &v) || v == 0)
				return usage_error("--next-update '%s': expected 1..3650 days", optarg);
			a->next_update = (unsigned)v;
			break;
		case OPT_SIGNER: a->signer = optarg; break;
		case OPT_FW_VERSION: a->fw_version = optarg; break;
		case OPT_PACKAGE: a->packages[a->npackages++] = optarg; break;
		case OPT_TARGET: a->targets[a->ntargets++] = optarg; break;
		case OPT_TRUST: a->trust[a->ntrust++] = optarg; break;
		case OPT_CRL: a->crls[a->ncrls++] = optarg; break;
		case OPT_MIN_VERSION: a->min_version = optarg; break;
		case OPT_MINISIGN: a->minisign = true; break;
		case OPT_CLOCK_OVERRIDE: a->clock_override = true; break;
		case 'h':
			fputs(usage_text, stdout);
			fputs(usage_text1b, stdout);
			fputs(usage_text2, stdout);
			fputs(usage_text3, stdout);
			exit(0);
		case '?':
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	while (optind < argc)
		a->pos[a->npos++] = argv[optind++];
	if (!a->home)
		a->home = getenv("PLANTCA_HOME");
	return 0;
}

static void args_free(struct args *a)
{
	free(a->permit);
	free(a->pos);
	free(a->targets);
	free(a->trust);
	free(a->crls);
	free(a->packages);
	a->targets = a->trust = a->crls = a->packages = NULL;
	a->permit = NULL;
	a->pos = NULL;
}

static bool verb_is(const struct args *a, const char *v1, const char *v2)
{
	if (a->npos < 1 || strcmp(a->pos[0], v1) != 0)
		return false;
	if (v2 == NULL)
		return true;
	return a->npos >= 2 && strcmp(a->pos[1], v2) == 0;
}

static int need_pos(const struct args *a, int n, const char *what)
{
	if (a->npos != n)
		return usage_error("usage: plantca %s", what);
	return 0;
}

int main(int argc, char **argv)
{
	struct args a;
	ca_ctx c;
	pc_err e = { PC_OK, "" };
	pc_rc rc;
	int st;
	bool lock;

	if (pc_secure_process(&e) != PC_OK)
		return fail(&e);
	if ((st = parse_args(argc, argv, &a)) != 0 || a.npos == 0) {
		if (st == 0)
			st = usage_error("%s", "no verb given");
		args_free(&a);
		return st;
	}

	if (verb_is(&a, "init", NULL)) {
		ca_init_opts o = { a.module, a.token, a.subject, a.key, a.days };
		if ((st = need_pos(&a, 1, "init --module SO --token LABEL --subject DN")) != 0)
			return st;
		rc = ca_init(a.home, &o, a.pin_file, a.json, &e);
		args_free(&a);
		return rc == PC_OK ? 0 : fail(&e);
	}
	/* policy check needs no CA home; policy show works without one */
	if (verb_is(&a, "policy", "check") || (verb_is(&a, "policy", "show") && !a.home)) {
		bool check = verb_is(&a, "policy", "check");
		if ((st = need_pos(&a, check ? 3 : 2, check ? "policy check FILE" : "policy show")) != 0) {
			args_free(&a);
			return st;
		}
		rc = check ? ca_policy_check(a.pos[2], a.json, stdout, &e)
		    : ca_policy_show(NULL, a.json, stdout, &e);
		args_free(&a);
		return rc == PC_OK ? 0 : fail(&e);
	}
	if (verb_is(&a, "firmware", "verify")) {
		/* needs no CA home: anyone with the trusted roots can verify */
		ca_fw_verify_opts o = { a.npos == 4 ? a.pos[2] : NULL, a.npos == 4 ? a.pos[3] : NULL,
			a.trust, a.ntrust, a.crls, a.ncrls, a.min_version,
			a.ntargets ? a.targets[0] : NULL, a.json };
		if ((st = need_pos(&a, 4, "firmware verify IMAGE SIG --trust FILE")) != 0) {
			args_free(&a);
			return st;
		}
		if (a.ntargets > 1) {
			args_free(&a);
			return usage_error("%s", "firmware verify takes one --target");
		}
		rc = ca_fw_verify(&o, stdout, &e);
		args_free(&a);
		return rc == PC_OK ? 0 : fail(&e);
	}
	if (!(verb_is(&a, "firmware", "signer") || verb_is(&a, "firmware", "sign") ||
	    verb_is(&a, "firmware", "publish") ||
	    verb_is(&a, "ca", "new") || verb_is(&a, "ca", "list") || verb_is(&a, "ca", "cert") ||
	    verb_is(&a, "issue", NULL) || verb_is(&a, "certs", NULL) || verb_is(&a, "show", NULL) ||
	    verb_is(&a, "audit", "log") || verb_is(&a, "audit", "verify") ||
	    verb_is(&a, "policy", "show") || verb_is(&a, "policy", "set") ||
	    verb_is(&a, "station", "add") || verb_is(&a, "station", "list") ||
	    verb_is(&a, "import", NULL) || verb_is(&a, "requests", NULL) ||
	    verb_is(&a, "approve", NULL) || verb_is(&a, "reject", NULL) ||
	    verb_is(&a, "sign", NULL) || verb_is(&a, "export", NULL) ||
	    verb_is(&a, "revoke", NULL) || verb_is(&a, "crl", NULL) || verb_is(&a, "status", NULL)))
	{
		st = usage_error("unknown verb '%s'", a.pos[0]);
		args_free(&a);
		return st;
	}

	/* read-only verbs never wait for, nor block, a command that changes
	 * the CA home; every other verb holds its lock while it runs */
	{
		bool ro = verb_is(&a, "ca", "list") || verb_is(&a, "ca", "cert") ||
		    verb_is(&a, "certs", NULL) || verb_is(&a, "show", NULL) ||
		    verb_is(&a, "requests", NULL) || verb_is(&a, "status", NULL) ||
		    verb_is(&a, "audit", "log") || verb_is(&a, "audit", "verify") ||
		    verb_is(&a, "check", NULL) || verb_is(&a, "station", "list") ||
		    verb_is(&a, "policy", "show") ||
		    (verb_is(&a, "firmware", "signer") && a.npos == 3 && strcmp(a.pos[2], "list") == 0);
		lock = !ro;
	}
	if (ca_open(&c, a.home, lock, &e) != PC_OK) {
		args_free(&a);
		return fail(&e);
	}
	c.pin_file = a.pin_file;
	c.json = a.json;
	c.progress = isatty(STDERR_FILENO) && !a.json;

	if (verb_is(&a, "firmware", "signer")) {
		if (a.npos == 3 && strcmp(a.pos[2], "list") == 0) {
			rc = ca_fw_signer_list(&c, stdout, &e);
		} else {
			ca_fw_signer_opts o = { a.npos == 4 ? a.pos[3] : NULL, a.ca, a.subject, a.key,
				a.days, a.packages, a.npackages };
			if (a.npos != 4 || strcmp(a.pos[2], "new") != 0) {
				st = usage_error("%s", "usage: plantca firmware signer new NAME --ca CA "
				    "--subject DN | firmware signer list");
				goto out_st;
			}
			rc = ca_fw_signer_new(&c, &o, &e);
		}
	} else if (verb_is(&a, "firmware", "sign")) {
		ca_fw_sign_opts o = { a.npos == 3 ? a.pos[2] : NULL, a.signer, a.fw_version,
			a.npackages ? a.packages[0] : NULL, a.targets, a.ntargets, a.out, a.minisign };
		if ((st = need_pos(&a, 3, "firmware sign IMAGE --signer NAME --fw-version V")) != 0)
			goto out_st;
		if (a.npackages > 1) {
			st = usage_error("%s", "firmware sign takes one --package");
			goto out_st;
		}
		rc = ca_fw_sign(&c, &o, &e);
	} else if (verb_is(&a, "firmware", "publish")) {
		if ((st = need_pos(&a, 4, "firmware publish SEGMENT SIG")) != 0)
			goto out_st;
		rc = ca_fw_publish(&c, a.pos[2], a.pos[3], &e);
	} else if (verb_is(&a, "ca", "new")) {
		ca_new_opts o;
		a.permit[a.npermit] = NULL;
		o.name = a.npos == 3 ? a.pos[2] : NULL;
		o.subject = a.subject;
		o.key = a.key;
		o.days = a.days;
		o.path_len = a.path_len;
		o.permit = a.permit;
		if ((st = need_pos(&a, 3, "ca new NAME --subject DN")) != 0)
			goto out_st;
		rc = ca_new(&c, &o, &e);
	} else if (verb_is(&a, "ca", "list")) {
		rc = ca_list(&c, stdout, &e);
	} else if (verb_is(&a, "ca", "cert")) {
		if ((st = need_pos(&a, 3, "ca cert NAME")) != 0)
			goto out_st;
		rc = ca_cert(&c, a.pos[2], stdout, &e);
	} else if (verb_is(&a, "issue", NULL)) {
		ca_issue_opts o;
		o.ca = a.ca;
		o.profile = a.profile;
		o.csr_paths = (const char *const *)a.pos + 1;
		o.ncsr = (size_t)a.npos - 1;
		o.out_file = a.out;
		o.out_dir = a.out_dir;
		o.der = a.der;
		o.days = a.days;
		rc = ca_issue(&c, &o, &e);
	} else if (verb_is(&a, "certs", NULL)) {
		ca_certs_filter f = { a.segment, a.expiring, a.revoked };
		if ((st = need_pos(&a, 1, "certs [--segment S] [--expiring DAYS] [--revoked]")) != 0)
			goto out_st;
		rc = ca_certs(&c, &f, stdout, &e);
	} else if (verb_is(&a, "show", NULL)) {
		if ((st = need_pos(&a, 2, "show SERIAL [--pem]")) != 0)
			goto out_st;
		rc = ca_show(&c, a.pos[1], a.pem, stdout, &e);
	} else if (verb_is(&a, "policy", "show")) {
		if ((st = need_pos(&a, 2, "policy show")) != 0)
			goto out_st;
		rc = ca_policy_show(c.home, a.json, stdout, &e);
	} else if (verb_is(&a, "policy", "set")) {
		if ((st = need_pos(&a, 3, "policy set FILE")) != 0)
			goto out_st;
		rc = ca_policy_set(&c, a.pos[2], &e);
	} else if (verb_is(&a, "station", "add")) {
		if ((st = need_pos(&a, 4, "station add SEGMENT PUBKEY --ca NAME")) != 0)
			goto out_st;
		rc = ca_station_add(&c, a.pos[2], a.pos[3], a.ca, &e);
	} else if (verb_is(&a, "station", "list")) {
		rc = ca_station_list(&c, stdout, &e);
	} else if (verb_is(&a, "import", NULL)) {
		if ((st = need_pos(&a, 2, "import BUNDLE.tar")) != 0)
			goto out_st;
		rc = ca_import(&c, a.pos[1], &e);
	} else if (verb_is(&a, "requests", NULL)) {
		rc = ca_requests(&c, a.status, stdout, &e);
	} else if (verb_is(&a, "approve", NULL)) {
		rc = ca_approve(&c, (const char *const *)a.pos + 1, (size_t)a.npos - 1, a.all, &e);
	} else if (verb_is(&a, "reject", NULL)) {
		if ((st = need_pos(&a, 2, "reject ID --reason TEXT")) != 0)
			goto out_st;
		rc = ca_reject(&c, a.pos[1], a.reason, &e);
	} else if (verb_is(&a, "sign", NULL)) {
		rc = ca_sign(&c, &e);
	} else if (verb_is(&a, "export", NULL)) {
		if ((st = need_pos(&a, 3, "export SEGMENT DIR")) != 0)
			goto out_st;
		rc = ca_export(&c, a.pos[1], a.pos[2], &e);
	} else if (verb_is(&a, "status", NULL)) {
		if ((st = need_pos(&a, 1, "status [--margin DAYS] [--expiring DAYS]")) != 0)
			goto out_st;
		rc = ca_status(&c, a.margin_set ? a.margin : 3, a.expiring >= 0 ? (unsigned)a.expiring : 30,
		    stdout, &e);
	} else if (verb_is(&a, "revoke", NULL)) {
		if (a.npos > 2 || (a.npos == 2) == (a.from_file != NULL)) {
			st = usage_error("%s", "usage: plantca revoke SERIAL --reason R | revoke "
			    "--from-file FILE --reason R");
			goto out_st;
		}
		rc = ca_revoke(&c, a.npos == 2 ? a.pos[1] : NULL, a.from_file, a.reason, &e);
	} else if (verb_is(&a, "crl", NULL)) {
		ca_crl_opts o = { a.ca, a.out, a.der, a.next_update, a.clock_override, a.reason };
		if ((st = need_pos(&a, 1, "crl [--ca NAME] [-o FILE] [--der] [--next-update DAYS] "
		    "[--clock-override --reason TEXT]")) != 0)
			goto out_st;
		rc = ca_crl(&c, &o, &e);
	} else if (verb_is(&a, "audit", "log")) {
		rc = ca_audit_log(&c, stdout, &e);
	} else {
		rc = ca_audit_verify(&c, stdout, &e);
	}
	ca_close(&c);
	args_free(&a);
	if (fflush(stdout) != 0 && rc == PC_OK)
		rc = pc_fail(&e, PC_E_IO, "stdout: write failed");
	return rc == PC_OK ? 0 : fail(&e);
out_st:
	ca_close(&c);
	args_free(&a);
	return st;
}
