/*
 * args.c - plantca's command line: the option table and its parser.  See
 * args.h.
 */
#include "args.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

enum {
	OPT_VAL_BASE = 256,        /* getopt_long value of option id: base + id */
	CA_DAYS_MAX = 36500,       /* --days, --expiring: a century */
	CA_PATH_LEN_MAX = 8,       /* --path-len */
	CA_CADENCE_DAYS_MAX = 3650,/* --next-update, --margin: a decade */
};

/* name and argument (NULL: a flag) of each option, in enum opt_id order */
const struct opt_name opts[O_COUNT] = {
	{ "home", "DIR" }, { "json", NULL }, { "pin-file", "FILE" },
	{ "module", "SO" }, { "token", "LABEL|URI" }, { "subject", "DN" }, { "key", "ALG" },
	{ "days", "N" }, { "path-len", "N" }, { "permit", "TYPE:VALUE" }, { "ca", "NAME" },
	{ "profile", "P" }, { "output", "FILE" }, { "out-dir", "DIR" }, { "der", NULL },
	{ "pem", NULL }, { "segment", "S" }, { "expiring", "DAYS" }, { "revoked", NULL },
	{ "status", "S" }, { "all", NULL }, { "reason", "TEXT" }, { "from-file", "FILE" },
	{ "next-update", "DAYS" }, { "margin", "DAYS" }, { "signer", "NAME" },
	{ "fw-version", "V" }, { "package", "P" }, { "target", "OID" }, { "trust", "FILE" },
	{ "crl", "FILE" }, { "min-version", "V" }, { "minisign", NULL },
	{ "clock-override", NULL }, { "format", "cms|rauc|swupdate" }, { "serial", "SERIAL" },
	{ "again", NULL },
};

void usage_vprint(const char *fmt, va_list ap)
{
	char msg[PC_ERR_MSG_MAX];

	/* arguments are quoted: escaped like every other message */
	vsnprintf(msg, sizeof msg, fmt, ap);
	fprintf(stderr, "plantca: ");
	pc_text_fputs(stderr, msg);
	fprintf(stderr, "\n(plantca --help shows the verbs and options)\n");
}

int usage_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	usage_vprint(fmt, ap);
	va_end(ap);
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

int parse_args(int argc, char **argv, struct args *a)
{
	struct option longopts[O_COUNT + 2];
	long v;
	int c, id, li, seen = 0;

	memset(a, 0, sizeof *a);
	a->path_len = -1;
	a->expiring = -1;
	for (id = 0; id < O_COUNT; id++) {
		longopts[id].name = opts[id].name;
		longopts[id].has_arg = opts[id].arg ? required_argument : no_argument;
		longopts[id].flag = NULL;
		longopts[id].val = id == O_OUTPUT ? 'o' : OPT_VAL_BASE + id;
	}
	longopts[O_COUNT] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[O_COUNT + 1] = (struct option){ NULL, 0, NULL, 0 };
	a->permit = calloc((size_t)argc + 1, sizeof *a->permit);
	a->segments = calloc((size_t)argc + 1, sizeof *a->segments);
	a->pos = calloc((size_t)argc + 1, sizeof *a->pos);
	a->targets = calloc((size_t)argc + 1, sizeof *a->targets);
	a->trust = calloc((size_t)argc + 1, sizeof *a->trust);
	a->crls = calloc((size_t)argc + 1, sizeof *a->crls);
	a->packages = calloc((size_t)argc + 1, sizeof *a->packages);
	a->serials = calloc((size_t)argc + 1, sizeof *a->serials);
	if (!a->permit || !a->segments || !a->pos || !a->targets || !a->trust || !a->crls || !a->packages ||
	    !a->serials)
		return usage_error("%s", "out of memory");
	opterr = 0;
	while (li = -1, (c = getopt_long(argc, argv, "ho:", longopts, &li)) != -1) {
		if (c == 'h') {
			a->help = true;
			continue;
		}
		if (c == '?' || (c != 'o' && (c < OPT_VAL_BASE || c >= OPT_VAL_BASE + O_COUNT)))
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		id = c == 'o' ? O_OUTPUT : c - OPT_VAL_BASE;
		if (!(a->given & OPT(id))) {
			a->given |= OPT(id);
			a->first_at[id] = seen++;
			if (id == O_OUTPUT)
				a->short_o = li < 0;
		}
		switch (id) {
		case O_HOME: a->home = optarg; break;
		case O_JSON: a->json = true; break;
		case O_PIN_FILE: a->pin_file = optarg; break;
		case O_MODULE: a->module = optarg; break;
		case O_TOKEN: a->token = optarg; break;
		case O_SUBJECT: a->subject = optarg; break;
		case O_KEY: a->key = optarg; break;
		case O_DAYS:
			if (!parse_uint(optarg, CA_DAYS_MAX, &v) || v == 0)
				return usage_error("--days '%s': expected 1..%d", optarg, CA_DAYS_MAX);
			a->days = (unsigned)v;
			break;
		case O_PATH_LEN:
			if (!parse_uint(optarg, CA_PATH_LEN_MAX, &v))
				return usage_error("--path-len '%s': expected 0..%d", optarg, CA_PATH_LEN_MAX);
			a->path_len = (int)v;
			break;
		case O_EXPIRING:
			if (!parse_uint(optarg, CA_DAYS_MAX, &v))
				return usage_error("--expiring '%s': expected a number of days", optarg);
			a->expiring = (int)v;
			break;
		case O_PERMIT: a->permit[a->npermit++] = optarg; break;
		case O_CA: a->ca = optarg; break;
		case O_PROFILE: a->profile = optarg; break;
		case O_OUTPUT: a->out = optarg; break;
		case O_OUT_DIR: a->out_dir = optarg; break;
		case O_DER: a->der = true; break;
		case O_PEM: a->pem = true; break;
		case O_SEGMENT: a->segment = optarg; a->segments[a->nsegments++] = optarg; break;
		case O_REVOKED: a->revoked = true; break;
		case O_STATUS: a->status = optarg; break;
		case O_ALL: a->all = true; break;
		case O_AGAIN: a->again = true; break;
		case O_REASON: a->reason = optarg; break;
		case O_FROM_FILE: a->from_file = optarg; break;
		case O_MARGIN:
			if (!parse_uint(optarg, CA_CADENCE_DAYS_MAX, &v))
				return usage_error("--margin '%s': expected a number of days", optarg);
			a->margin = (unsigned)v;
			a->margin_set = true;
			break;
		case O_NEXT_UPDATE:
			if (!parse_uint(optarg, CA_CADENCE_DAYS_MAX, &v) || v == 0)
				return usage_error("--next-update '%s': expected 1..%d days", optarg,
				    CA_CADENCE_DAYS_MAX);
			a->next_update = (unsigned)v;
			break;
		case O_SIGNER: a->signer = optarg; break;
		case O_FW_VERSION: a->fw_version = optarg; break;
		case O_PACKAGE: a->packages[a->npackages++] = optarg; break;
		case O_TARGET: a->targets[a->ntargets++] = optarg; break;
		case O_TRUST: a->trust[a->ntrust++] = optarg; break;
		case O_CRL: a->crls[a->ncrls++] = optarg; break;
		case O_MIN_VERSION: a->min_version = optarg; break;
		case O_MINISIGN: a->minisign = true; break;
		case O_CLOCK_OVERRIDE: a->clock_override = true; break;
		case O_FORMAT: a->format = optarg; break;   /* checked by firmware sign */
		case O_SERIAL: a->serials[a->nserials++] = optarg; break;
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

void args_free(struct args *a)
{
	free(a->permit);
	free(a->segments);
	a->segments = NULL;
	free(a->pos);
	free(a->targets);
	free(a->trust);
	free(a->crls);
	free(a->packages);
	free(a->serials);
	a->serials = NULL;
	a->targets = a->trust = a->crls = a->packages = NULL;
	a->permit = NULL;
	a->pos = NULL;
}
