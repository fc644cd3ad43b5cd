/*
 * args.h - plantca's command line (ca/args.c): one getopt_long table for
 * every option, values checked as they are read, the positional arguments.
 * Which verb takes which option is main.c's verb table.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_ARGS_H
#define PLANTCA_ARGS_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pc.h"

/* One id per option; the global ones apply to every verb. */
enum opt_id {
	O_HOME, O_JSON, O_PIN_FILE,
	O_MODULE, O_TOKEN, O_SUBJECT, O_KEY, O_DAYS, O_PATH_LEN, O_PERMIT, O_CA, O_PROFILE,
	O_OUTPUT, O_OUT_DIR, O_DER, O_PEM, O_SEGMENT, O_EXPIRING, O_REVOKED, O_STATUS, O_ALL,
	O_REASON, O_FROM_FILE, O_NEXT_UPDATE, O_MARGIN, O_SIGNER, O_FW_VERSION, O_PACKAGE,
	O_TARGET, O_TRUST, O_CRL, O_MIN_VERSION, O_MINISIGN, O_CLOCK_OVERRIDE, O_FORMAT,
	O_SERIAL, O_AGAIN,
	O_COUNT
};
#define OPT(id) (UINT64_C(1) << (id))
#define GLOBAL_OPTS (OPT(O_HOME) | OPT(O_JSON) | OPT(O_PIN_FILE))

/* name and argument (NULL: a flag) of each option, in enum opt_id order */
struct opt_name {
	const char *name, *arg;
};
extern const struct opt_name opts[O_COUNT];

struct args {
	const char *home, *pin_file, *module, *token, *subject, *key, *ca, *profile;
	const char *out, *out_dir, *segment, *status;
	const char *reason, *from_file;
	unsigned days, next_update, margin;
	int path_len, expiring;
	bool json, der, pem, revoked, all, margin_set, clock_override, help, again;
	const char **permit;
	size_t npermit;
	const char **segments;    /* every --segment, in order (manufacturer add) */
	size_t nsegments;
	/* firmware */
	const char *signer, *fw_version, *min_version, *format;
	const char **targets, **trust, **crls, **packages;
	size_t ntargets, ntrust, ncrls, npackages;
	bool minisign;
	const char **serials;      /* every --serial (renew) */
	size_t nserials;
	char **pos;       /* positional arguments, verb first */
	int npos;
	/* which options were given, and where: the first one a verb does not
	 * take is named in the refusal */
	uint64_t given;
	int first_at[O_COUNT];
	bool short_o;     /* the output option was spelled -o */
	/* the verb's own arguments: pos after its words */
	char **arg;
	int narg;
};

/* Parse argv into a (args_free it also after an error).  0, or the exit
 * status of a usage error already reported.  --home falls back to
 * $PLANTCA_HOME. */
int parse_args(int argc, char **argv, struct args *a);
void args_free(struct args *a);

/* "plantca: MSG" and the pointer to --help on stderr (MSG escaped: it
 * quotes arguments); usage_error returns the exit status 2. */
void usage_vprint(const char *fmt, va_list ap) PC_PRINTF(1, 0);
int usage_error(const char *fmt, ...) PC_PRINTF(1, 2);

#endif
