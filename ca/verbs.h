/*
 * verbs.h - plantca's verb table: one row per verb (words, synopsis, help,
 * the options it takes, its arguments, how it uses the CA home, its
 * handler).  The rows are in main.c, which dispatches from them; help.c
 * prints --help and usage from the same rows.  docs/architecture.md
 * "Layers".
 */
#ifndef PLANTCA_VERBS_H
#define PLANTCA_VERBS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "ca.h"

typedef enum home_use {
	HOME_NONE,      /* no CA home (init makes one; checks that need none) */
	HOME_IF_GIVEN,  /* read-only, if --home or PLANTCA_HOME names one */
	HOME_READ,      /* read-only: never waits for, nor blocks, a changing command */
	HOME_WRITE,     /* changes the CA home: holds HOME/lock while it runs */
} home_use;

enum { ANY = -1, WORDS_MAX = 3 };

struct verb {
	const char *words[WORDS_MAX];   /* "ca", "new" */
	const char *synopsis;           /* what follows the words */
	const char *help;               /* one paragraph */
	uint64_t opts;                  /* options beyond the global ones */
	int args_min, args_max;         /* arguments after the words; ANY: no limit */
	home_use home;
	pc_rc (*run)(ca_ctx *c, const struct args *a, pc_err *e);
};

extern const struct verb ca_verbs[];
extern const size_t ca_nverbs;

/* How many words the entry has ("ca new": 2). */
int verb_nwords(const struct verb *v);
/* The entry whose words begin the positional arguments (the longest such),
 * or NULL. */
const struct verb *verb_find(char *const *pos, int npos);
/* "ca new" into out[0..n). */
void verb_words(const struct verb *v, char *out, size_t n);
/* plantca --help: every verb. */
void help_all(void);
/* plantca VERB --help. */
void help_one(const struct verb *v);
/* No entry matches the command line: with --help the entries of a group
 * ("plantca firmware --help"), else a half verb's usage or "unknown verb";
 * returns the exit status. */
int verb_none(const struct args *a);

#endif
