/*
 * home.h - what the engine's files share about the CA home and the token
 * (ca/home.c): the key cache and the login.  Opening and closing a home is
 * in ca.h; ca_hsm_ready (login, then recovery) is in ca/recovery.c.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_HOME_H
#define PLANTCA_HOME_H

#include "ca.h"

/* HOME is the officer's alone (init sets it, every command checks it) */
enum { CA_HOME_MODE = 0700 };

/* HOME/db and HOME/public into db[PATH_MAX] and pub[PATH_MAX]. */
pc_rc ca_home_paths(const char *home, char *db, char *pub, pc_err *e) PC_CHECK;

/* Log into token h with the PIN from pin_file (NULL: a no-echo prompt);
 * the PIN is wiped right after. */
pc_rc ca_hsm_login_from(hsm *h, const char *pin_file, pc_err *e) PC_CHECK;
/* Open the module and token named in the store and log in (c->h).  Needs a
 * home opened with its lock (PC_E_INTERNAL otherwise).  Completes nothing:
 * commands call ca_hsm_ready (ca.h), which also completes interrupted
 * issuances. */
pc_rc ca_hsm_login(ca_ctx *c, pc_err *e) PC_CHECK;

/* The token key of CA (or other key holder) `name` at `uri`, opened once per
 * run and kept in c's cache; *out is owned by c until ca_close. */
pc_rc ca_key_for(ca_ctx *c, const char *name, const char *uri, hsm_key **out, pc_err *e) PC_CHECK;

/* The token label of a new key of CA or signer `name` of this home:
 * "plantca-ID-KIND-NAME-R", R eight random hex digits.  A run killed after
 * the token made the key but before the store recorded it leaves a key no
 * record names; hsm_key_generate refuses a label twice, so a fixed label
 * would refuse every later attempt at that name.  The record keeps the
 * key's URI (label and CKA_ID); nothing looks a key up by its name. */
void ca_key_label(char *out, size_t n, const char *idhex, const char *kind, const char *name);

#endif
