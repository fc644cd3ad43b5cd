/*
 * help.c - what plantca's verb table (main.c) says to a person: the entry
 * a command line names, `--help` for all verbs, one verb or a group, and
 * the usage line of a half verb.  The table itself, and the dispatch, are
 * in main.c; both read the same rows (verbs.h).
 */
#include <stdio.h>
#include <string.h>

#include "verbs.h"

int verb_nwords(const struct verb *v)
{
	int n = 0;

	while (n < WORDS_MAX && v->words[n])
		n++;
	return n;
}

/* The entry whose words begin the positional arguments (the longest such),
 * or NULL. */
const struct verb *verb_find(char *const *pos, int npos)
{
	const struct verb *best = NULL;
	size_t i;
	int k, n;

	for (i = 0; i < ca_nverbs; i++) {
		n = verb_nwords(&ca_verbs[i]);
		if (n > npos || (best && n <= verb_nwords(best)))
			continue;
		for (k = 0; k < n && strcmp(ca_verbs[i].words[k], pos[k]) == 0; k++)
			;
		if (k == n)
			best = &ca_verbs[i];
	}
	return best;
}

/* Whether entry v begins with the first n positional arguments: the
 * entries `plantca firmware --help` or a half verb names. */
static bool verb_in_group(const struct verb *v, char *const *pos, int n)
{
	int k;

	if (n > verb_nwords(v))
		return false;
	for (k = 0; k < n; k++)
		if (strcmp(v->words[k], pos[k]) != 0)
			return false;
	return true;
}

void verb_words(const struct verb *v, char *out, size_t n)
{
	int k;

	out[0] = '\0';
	for (k = 0; k < verb_nwords(v); k++)
		snprintf(out + strlen(out), n - strlen(out), "%s%s", k ? " " : "", v->words[k]);
}

/* -------------------------------------------------------------- --help */

enum { HELP_WIDTH = 78 };

/* The length of the word at w: up to a space, or with `groups` up to the
 * space after a bracketed group ("[--permit TYPE:VALUE]..."), which a
 * synopsis never breaks. */
static int word_len(const char *w, bool groups)
{
	int len = 0, depth = 0;

	for (; w[len] && (w[len] != ' ' || depth > 0); len++) {
		if (groups && w[len] == '[')
			depth++;
		else if (groups && w[len] == ']' && depth > 0)
			depth--;
	}
	return len;
}

/* Words of `text` from column `col` on, wrapped at HELP_WIDTH with
 * continuation lines indented by `indent`; runs of spaces (two after a
 * sentence) are kept within a line. */
static void wrap(FILE *out, const char *text, int col, int indent, bool groups)
{
	const char *p = text;

	while (*p) {
		const char *w = p;
		int gap, len;

		while (*w == ' ')
			w++;
		gap = (int)(w - p);
		len = word_len(w, groups);
		if (len == 0)
			break;
		if (col > indent && col + gap + len > HELP_WIDTH) {
			fprintf(out, "\n%*s", indent, "");
			col = indent;
			gap = 0;
		}
		fprintf(out, "%*s%.*s", gap, "", len, w);
		col += gap + len;
		p = w + len;
	}
	fputc('\n', out);
}

/* lead, the words and the synopsis (continued at column 6), then the help
 * at column `indent` (after a blank line when it is 2). */
static void verb_help(FILE *out, const struct verb *v, const char *lead, int indent)
{
	char words[64];
	int col;

	verb_words(v, words, sizeof words);
	fprintf(out, "%s%s%s", lead, words, v->synopsis[0] ? " " : "");
	col = (int)(strlen(lead) + strlen(words)) + (v->synopsis[0] ? 1 : 0);
	wrap(out, v->synopsis, col, 6, true);
	fprintf(out, "%s%*s", indent == 2 ? "\n" : "", indent, "");
	wrap(out, v->help, indent, indent, false);
}

/* "Options: --ca NAME, -o/--output FILE, ..." for a set of options,
 * wrapped between options */
static void opts_text(FILE *out, uint64_t set)
{
	int id, n = 0, col = 9;

	fputs("Options:", out);
	for (id = 0; id < O_COUNT; id++) {
		char item[64];
		int len;
		if (!(set & OPT(id)))
			continue;
		len = snprintf(item, sizeof item, "%s--%s%s%s", id == O_OUTPUT ? "-o/" : "",
		    opts[id].name, opts[id].arg ? " " : "", opts[id].arg ? opts[id].arg : "");
		if (n && col + 2 + len > HELP_WIDTH) {
			fputs(",\n        ", out);
			col = 8;
		} else if (n) {
			fputc(',', out);
			col++;
		}
		fprintf(out, " %s", item);
		col += 1 + len;
		n++;
	}
	fputs(n ? "\n" : " none\n", out);
}

static const char help_head[] =
"usage: plantca [--home DIR] [--json] [--pin-file FILE] VERB [ARGS]\n"
"\n"
"plantca is an offline certificate authority for air-gapped plants.  Its keys\n"
"live in a PKCS#11 token and never leave it; every state change is recorded in\n"
"the CA home's store and in a hash-chained audit trail.\n"
"\n"
"Verbs (plantca VERB --help shows one; an option a verb does not take is\n"
"refused):\n";

static const char help_tail[] =
"\n"
"Global options:\n"
"  --home DIR        CA home (else $PLANTCA_HOME).\n"
"  --json            Machine-readable output on stdout.\n"
"  --pin-file FILE   Token user PIN, first line of FILE.  Without it plantca\n"
"                    prompts on the terminal with echo off.  A PIN is never\n"
"                    taken from the command line or the environment.\n"
"  -h, --help        This text, or with a verb that verb's.\n"
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

void help_all(void)
{
	size_t i;

	fputs(help_head, stdout);
	for (i = 0; i < ca_nverbs; i++)
		verb_help(stdout, &ca_verbs[i], "  ", 8);
	fputs(help_tail, stdout);
}

void help_one(const struct verb *v)
{
	verb_help(stdout, v, "usage: plantca ", 2);
	fputc('\n', stdout);
	opts_text(stdout, v->opts);
	fputs("Global options: --home DIR, --json, --pin-file FILE (plantca --help).\n", stdout);
	fprintf(stdout, "%s\n", v->home == HOME_WRITE ? "Changes the CA home: holds HOME/lock."
	    : v->home == HOME_NONE ? "Needs no CA home." : "Read-only: takes no lock.");
}

/* No verb entry matches: with --help, the entries of a group ("plantca
 * firmware --help"); else a half verb gets its group's usage, anything
 * else is unknown. */
int verb_none(const struct args *a)
{
	char msg[PC_ERR_MSG_MAX];
	size_t i, n = 0;
	int depth;

	for (depth = a->npos < WORDS_MAX ? a->npos : WORDS_MAX; depth > 0; depth--) {
		for (i = 0; i < ca_nverbs; i++)
			n += verb_in_group(&ca_verbs[i], a->pos, depth);
		if (n)
			break;
	}
	if (n == 0)
		return usage_error("unknown verb '%s'", a->pos[0]);
	if (a->help) {
		for (i = 0; i < ca_nverbs; i++)
			if (verb_in_group(&ca_verbs[i], a->pos, depth))
				verb_help(stdout, &ca_verbs[i], "  ", 8);
		return 0;
	}
	msg[0] = '\0';
	for (i = 0; i < ca_nverbs; i++) {
		char words[64];
		size_t l = strlen(msg);
		if (!verb_in_group(&ca_verbs[i], a->pos, depth))
			continue;
		verb_words(&ca_verbs[i], words, sizeof words);
		snprintf(msg + l, sizeof msg - l, "%splantca %s%s%s", l ? " | " : "usage: ", words,
		    ca_verbs[i].synopsis[0] ? " " : "", ca_verbs[i].synopsis);
	}
	return usage_error("%s", msg);
}
