/*
 * home.c - the CA home: open (permission checks, the lock, the store),
 * close, the token login and the per-run key cache.  See home.h and ca.h.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "capolicy.h"
#include "file.h"
#include "home.h"
#include "import.h"
#include "records.h"
#include "secret.h"

/* the token keys one run has opened, by CA name and key URI (a root roll
 * gives "root" a new key within one run) */
struct ca_keycache {
	char name[CA_NAME_MAX + 1];
	char *uri;
	hsm_key *key;
	struct ca_keycache *next;
};

pc_rc ca_key_for(ca_ctx *c, const char *name, const char *uri, hsm_key **out, pc_err *e)
{
	struct ca_keycache *k;

	for (k = c->keys; k; k = k->next)
		if (strcmp(k->name, name) == 0 && strcmp(k->uri, uri) == 0) {
			*out = k->key;
			return PC_OK;
		}
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	snprintf(k->name, sizeof k->name, "%s", name);
	if ((k->uri = strdup(uri)) == NULL) {
		free(k);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (hsm_key_open(c->h, uri, &k->key, e) != PC_OK) {
		free(k->uri);
		free(k);
		return pc_wrap(e, "CA '%s'", name);
	}
	k->next = c->keys;
	c->keys = k;
	*out = k->key;
	return PC_OK;
}

pc_rc ca_hsm_login_from(hsm *h, const char *pin_file, pc_err *e)
{
	pc_secret pin;
	char prompt[300];
	pc_rc rc;

	snprintf(prompt, sizeof prompt, "PIN for token '%s'", hsm_token_label(h));
	PC_TRY(pc_secret_read(&pin, pin_file, prompt, e));
	rc = hsm_login(h, &pin, e);
	pc_secret_free(&pin);
	return rc;
}


pc_rc ca_home_paths(const char *home, char *db, char *pub, pc_err *e)
{
	if (snprintf(db, PATH_MAX, "%s/db", home) >= PATH_MAX ||
	    snprintf(pub, PATH_MAX, "%s/public", home) >= PATH_MAX)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
	return PC_OK;
}

/* The CA home and what in it decides anything (the store, the policy) may
 * be changed by the user running plantca alone: any local user who can
 * write HOME or drop HOME/policy.conf would choose the active policy, and
 * one who can write the store could rewrite it. */
PC_CHECK static pc_rc home_check(const char *home, pc_err *e)
{
	static const char *const parts[] = { "db", "db/data.mdb", "db/lock.mdb", CA_POLICY_FILE,
	    CA_POLICY_STAGED };
	char p[PATH_MAX];
	size_t i;

	if (access(home, F_OK) != 0 && errno == ENOENT)
		return pc_fail(e, PC_E_USAGE, "%s: not a CA home (run plantca init)", home);
	PC_TRY(pc_path_check_private(home, false, e));
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (snprintf(p, sizeof p, "%s/%s", home, parts[i]) >= (int)sizeof p)
			return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
		PC_TRY(pc_path_check_private(p, true, e));
	}
	return PC_OK;
}

PC_CHECK static pc_rc count_intents(ca_ctx *c, uint64_t *n, pc_err *e)
{
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_count(t, STORE_INTENTS, n, e);
	store_abort(t);
	return rc;
}

pc_rc ca_open(ca_ctx *c, const char *home, bool lock, pc_err *e)
{
	char db[PATH_MAX], pub[PATH_MAX];
	uint64_t pending = 0;
	struct stat st;
	pc_rc rc;

	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
	if (home == NULL || home[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "no CA home: use --home DIR or set PLANTCA_HOME");
	if (strlen(home) >= sizeof c->home)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
	strcpy(c->home, home);
	PC_TRY(ca_home_paths(home, db, pub, e));
	if (stat(db, &st) != 0)
		return pc_fail(e, PC_E_USAGE, "%s: not a CA home (run plantca init)", home);
	PC_TRY(home_check(home, e));
	if (lock)
		PC_TRY(pc_dir_lock(home, "plantca", &c->lock_fd, e));
	rc = store_open(db, false, &c->st, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_USAGE, "%s: not a CA home (run plantca init)", home);
	if (rc == PC_OK && store_schema(c->st) < STORE_SCHEMA_VERSION) {
		/* an older release's store: the first command that holds the
		 * lock upgrades it (ca/migrate.c); read-only ones cannot */
		if (lock)
			rc = ca_migrate(c, stderr, e);
		else
			rc = pc_fail(e, PC_E_STORE_SCHEMA, "%s: store schema %u is older than this "
			    "plantca (%d): run plantca migrate (or any command that changes the CA "
			    "home) once to upgrade it", home, store_schema(c->st),
			    STORE_SCHEMA_VERSION);
		if (rc != PC_OK) {
			store_close(c->st);
			c->st = NULL;
		}
	}
	/* a crash in the middle of a chunked import: undone before the
	 * command does anything (ca/import.h); so is a policy set cut short
	 * between its file and its audit event (ca/capolicy.c) */
	if (rc == PC_OK && ((rc = ca_import_recover(c, lock, e)) != PC_OK ||
	    (rc = ca_policy_recover(c, lock, e)) != PC_OK)) {
		store_close(c->st);
		c->st = NULL;
	}
	if (rc != PC_OK) {
		pc_dir_unlock(&c->lock_fd);
		return rc;
	}
	if (count_intents(c, &pending, e) == PC_OK && pending > 0)
		fprintf(stderr, "plantca: %s: %" PRIu64 " issuance(s) were interrupted; the next "
		    "signing command completes them\n", home, pending);
	return PC_OK;
}

void ca_close(ca_ctx *c)
{
	struct ca_keycache *k = c->keys, *n;

	for (; k; k = n) {
		n = k->next;
		hsm_key_free(k->key);
		free(k->uri);
		free(k);
	}
	c->keys = NULL;
	if (c->h)
		hsm_close(c->h);
	c->h = NULL;
	if (c->st)
		store_close(c->st);
	c->st = NULL;
	pc_dir_unlock(&c->lock_fd);
}

pc_rc ca_hsm_login(ca_ctx *c, pc_err *e)
{
	char *module = NULL, *token = NULL;
	store_txn *t;
	pc_rc rc;

	if (c->lock_fd < 0)
		return pc_fail(e, PC_E_INTERNAL, "%s: signing without the CA home's lock", c->home);
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_meta_get_str(t, META_MODULE, &module, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_TOKEN, &token, e);
	store_abort(t);
	if (rc == PC_OK)
		rc = hsm_open(module, token, &c->h, e);
	if (rc == PC_OK)
		rc = ca_hsm_login_from(c->h, c->pin_file, e);
	free(module);
	free(token);
	return rc;
}

void ca_key_label(char *out, size_t n, const char *idhex, const char *kind, const char *name)
{
	uint8_t r[4];
	char rh[2 * sizeof r + 1];

	randombytes_buf(r, sizeof r);
	sodium_bin2hex(rh, sizeof rh, r, sizeof r);
	snprintf(out, n, "plantca-%s-%s-%s-%s", idhex, kind, name, rh);
}
