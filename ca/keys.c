/*
 * keys.c - `plantca keys` and `plantca keys remove LABEL`: the CA home's key
 * pairs on the token and what each is for.
 *
 * Every key a command of this CA home makes has the label
 * plantca-ID-KIND-NAME-R (ca_key_label, ca/home.h).  A command killed after
 * the token made its key but before the store recorded it leaves a key no
 * record names; nothing else would ever list or remove it.  A key's role
 * comes from the store's records, matched by the key URI each one holds
 * (CKA_ID and label: hsm_pair_named_by), never by the label alone:
 *
 *   cas NAME, META cagen.ca.NAME\0GEN   root / issuing CA generations
 *   META transfer.key_uri, transfer.prev.key_uri, transfer.retired.GEN
 *                                       the transfer keys
 *   META audit.key_uri                  the audit checkpoint key
 *   META signer.NAME                    firmware signers
 *   intents (newca_uri)                 the new key of a ca new or ca roll
 *                                       (or a root roll's re-certified CA
 *                                       key) the next command completes:
 *                                       pending
 *
 * transfer roll records its key in the transaction that makes it current,
 * and root roll its new key in the switch (step 3, rootroll.c): until
 * then no record names it, and an interrupted roll starts afresh, so
 * their leftovers are unused, not pending.
 *
 * A key none of them names is unused.  `keys remove` destroys only such a
 * key, or a retired transfer key (two rolls old: it signs nothing and no
 * station accepts it), audit event first (key.remove): if the event cannot be written
 * nothing is destroyed; if the destroy fails after it, the key is still
 * listed as unused and the next remove completes it, saying so (META
 * keys.removed.LABEL holds the sequence of the first event).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "audit.h"
#include "ca.h"
#include "cagen.h"
#include "format.h"
#include "home.h"
#include "json.h"
#include "keyroll.h"
#include "checkpoint.h"
#include "pem.h"
#include "pipeline.h"
#include "records.h"
#include "text.h"

#define META_KEY_REMOVED "keys.removed."   /* + label: u64, the first key.remove event */

enum {
	KEY_ROLE_TEXT_MAX = 200,
};

/* One record of the store that names a key. */
typedef struct key_role {
	char *uri;
	const char *kind;              /* root, ca, transfer, audit, signer, pending */
	char name[CA_NAME_MAX + 1];
	uint64_t gen;                  /* 0: none */
	const char *state;             /* current, replaced, retired, previous, or "" */
	char text[KEY_ROLE_TEXT_MAX];
} key_role;

typedef struct key_roles {
	key_role *v;
	size_t n;
} key_roles;

static void roles_free(key_roles *r)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		free(r->v[i].uri);
	free(r->v);
	memset(r, 0, sizeof *r);
}

PC_CHECK static pc_rc role_add(key_roles *r, const char *uri, const char *kind, const char *name,
    uint64_t gen, const char *state, const char *text, pc_err *e)
{
	key_role *nv = realloc(r->v, (r->n + 1) * sizeof *nv), *x;

	if (nv == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	r->v = nv;
	x = &r->v[r->n];
	memset(x, 0, sizeof *x);
	if ((x->uri = strdup(uri)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	x->kind = kind;
	snprintf(x->name, sizeof x->name, "%s", name);
	x->gen = gen;
	x->state = state;
	snprintf(x->text, sizeof x->text, "%s", text);
	r->n++;
	return PC_OK;
}

/* A CA generation: the current one (cas) or a replaced one (cagen). */
PC_CHECK static pc_rc role_ca(key_roles *r, const ca_rec *c, bool current, pc_err *e)
{
	bool root = strcmp(c->name, "root") == 0;
	const char *state = current ? "current" : c->retired ? "retired" : "replaced";
	char text[KEY_ROLE_TEXT_MAX];

	snprintf(text, sizeof text, "%s%s generation %" PRIu64 " (%s)", root ? "root" : "issuing CA ",
	    root ? "" : c->name, ca_gen_no(c), current ? "current" : c->retired ? "retired" :
	    "replaced: signs only its CRL");
	return role_add(r, c->key_uri, root ? "root" : "ca", c->name, ca_gen_no(c), state, text, e);
}

struct roles_ctx {
	store_txn *t;
	key_roles *r;
};

PC_CHECK static pc_rc cas_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct roles_ctx *x = ctx;
	ca_rec c;
	ca_gen_list gl;
	size_t i;
	pc_rc rc;

	(void)key;
	(void)stop;
	memset(&c, 0, sizeof c);
	memset(&gl, 0, sizeof gl);
	PC_TRY(ca_rec_decode(val, &c, e));
	rc = role_ca(x->r, &c, true, e);
	if (rc == PC_OK)
		rc = ca_gens_load(x->t, c.name, &gl, e);
	for (i = 0; rc == PC_OK && i < gl.n; i++)
		rc = role_ca(x->r, &gl.v[i], false, e);
	ca_gen_list_free(&gl);
	ca_rec_free(&c);
	return rc;
}

PC_CHECK static pc_rc signers_visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	struct roles_ctx *x = ctx;
	ca_signer_rec s;
	char text[KEY_ROLE_TEXT_MAX];
	pc_rc rc;

	(void)key;
	(void)stop;
	memset(&s, 0, sizeof s);
	PC_TRY(ca_signer_rec_decode(val, &s, e));
	snprintf(text, sizeof text, "firmware signer %s", s.name);
	rc = role_add(x->r, s.key_uri, "signer", s.name, 0, "", text, e);
	ca_signer_rec_free(&s);
	return rc;
}

/* An optional META string: *out NULL when absent. */
PC_CHECK static pc_rc meta_opt(store_txn *t, const char *k, char **out, pc_err *e)
{
	pc_reader v;
	pc_rc rc;

	*out = NULL;
	rc = store_get(t, STORE_META, k, strlen(k), &v, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	return ca_meta_get_str(t, k, out, e);
}

/* META transfer.retired.GEN: a transfer key two or more rolls ago */
PC_CHECK static pc_rc retired_visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	struct roles_ctx *x = ctx;
	size_t pl = strlen(META_TRANSFER_RETIRED), n = pc_reader_left(&key), i;
	char k[sizeof META_TRANSFER_RETIRED + 20], text[KEY_ROLE_TEXT_MAX], *uri = NULL;
	uint64_t gen = 0;
	pc_rc rc;

	(void)val;
	(void)stop;
	for (i = pl; n == pl + 20 && i < n; i++) {
		uint8_t d = key.p[key.off + i];
		if (d < '0' || d > '9')
			break;
		gen = gen * 10 + (uint64_t)(d - '0');
	}
	if (n != pl + 20 || i != n || gen == 0)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s...: not a generation of 20 digits",
		    META_TRANSFER_RETIRED);
	memcpy(k, key.p + key.off, n);
	k[n] = '\0';
	PC_TRY(ca_meta_get_str(x->t, k, &uri, e));
	snprintf(text, sizeof text, "transfer key generation %" PRIu64 " (retired: signs nothing; "
	    "plantca keys remove LABEL may destroy it)", gen);
	rc = role_add(x->r, uri, "transfer", "", gen, "retired", text, e);
	free(uri);
	return rc;
}

PC_CHECK static pc_rc roles_meta(store_txn *t, key_roles *r, pc_err *e)
{
	struct roles_ctx x = { t, r };
	char *uri = NULL, text[KEY_ROLE_TEXT_MAX];
	uint64_t gen = 1;
	bool found;
	pc_rc rc;

	PC_TRY(ca_meta_get_u64(t, META_TRANSFER_GEN, &gen, &found, e));
	if (!found)
		gen = 1;
	PC_TRY(meta_opt(t, META_TRANSFER_URI, &uri, e));
	rc = PC_OK;
	if (uri != NULL) {
		snprintf(text, sizeof text, "transfer key generation %" PRIu64 " (current)", gen);
		rc = role_add(r, uri, "transfer", "", gen, "current", text, e);
		free(uri);
	}
	if (rc == PC_OK)
		rc = meta_opt(t, META_TRANSFER_PREV_URI, &uri, e);
	if (rc == PC_OK && uri != NULL) {
		snprintf(text, sizeof text, "transfer key generation %" PRIu64 " (previous)",
		    gen > 1 ? gen - 1 : 1);
		rc = role_add(r, uri, "transfer", "", gen > 1 ? gen - 1 : 1, "previous", text, e);
		free(uri);
	}
	if (rc == PC_OK)
		rc = store_scan(t, STORE_META, META_TRANSFER_RETIRED, strlen(META_TRANSFER_RETIRED),
		    false, retired_visit, &x, e);
	if (rc == PC_OK)
		rc = meta_opt(t, META_AUDIT_KEY_URI, &uri, e);
	if (rc == PC_OK && uri != NULL) {
		rc = role_add(r, uri, "audit", "", 0, "", "audit checkpoint key", e);
		free(uri);
	}
	return rc;
}

/* The intents of interrupted commands: a key an intent names is the one
 * the next command that logs into the token records (recovery). */
PC_CHECK static pc_rc roles_intents(store_txn *t, key_roles *r, pc_err *e)
{
	ca_intent_list l;
	char hex[2 * PKIX_SERIAL_LEN + 1], text[KEY_ROLE_TEXT_MAX];
	size_t i;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	rc = ca_intents_load(t, &l, e);
	for (i = 0; rc == PC_OK && i < l.n; i++) {
		if (l.recs[i].newca_uri == NULL)
			continue;
		ca_serial_hex(l.jobs[i].serial, PKIX_SERIAL_LEN, hex);
		snprintf(text, sizeof text, "pending: the key of CA %s in the intent of "
		    "certificate %s, which the next command that uses the token completes",
		    l.recs[i].newca ? l.recs[i].newca : "?", hex);
		rc = role_add(r, l.recs[i].newca_uri, "pending", l.recs[i].newca ? l.recs[i].newca : "",
		    0, "", text, e);
	}
	ca_intent_list_free(&l);
	return rc;
}

/* Everything the store says about keys, and the home's label prefix. */
PC_CHECK static pc_rc roles_load(ca_ctx *c, key_roles *r, char *prefix, size_t pn, pc_err *e)
{
	struct roles_ctx x = { NULL, r };
	char *id = NULL;
	pc_rc rc;

	memset(r, 0, sizeof *r);
	PC_TRY(store_begin(c->st, false, &x.t, e));
	rc = ca_meta_get_str(x.t, META_ID, &id, e);
	if (rc == PC_OK)
		snprintf(prefix, pn, "plantca-%s-", id);
	if (rc == PC_OK)
		rc = store_scan(x.t, STORE_CAS, NULL, 0, false, cas_visit, &x, e);
	if (rc == PC_OK)
		rc = store_scan(x.t, STORE_META, META_SIGNER_PREFIX, strlen(META_SIGNER_PREFIX), false,
		    signers_visit, &x, e);
	if (rc == PC_OK)
		rc = roles_meta(x.t, r, e);
	if (rc == PC_OK)
		rc = roles_intents(x.t, r, e);
	store_abort(x.t);
	free(id);
	if (rc != PC_OK)
		roles_free(r);
	return rc;
}

/* ---- one key ---- */

static void key_facts(const hsm_pair *p, char *idhex, size_t idn, char *sha, size_t shan)
{
	uint8_t d[crypto_hash_sha256_BYTES];

	pc_hex_str(idhex, idn, p->id, p->id_len, 0);
	if (p->spki == NULL) {
		snprintf(sha, shan, "-");
		return;
	}
	crypto_hash_sha256(d, p->spki, p->spki_len);
	pc_hex_str(sha, shan, d, sizeof d, 0);
}

/* The roles of pair p, or 0 of them: unused. */
static size_t roles_of(hsm *h, const key_roles *r, const hsm_pair *p, const key_role **first)
{
	size_t i, n = 0;

	*first = NULL;
	for (i = 0; i < r->n; i++)
		if (hsm_pair_named_by(h, p, r->v[i].uri)) {
			if (n++ == 0)
				*first = &r->v[i];
		}
	return n;
}

static void print_key_json(FILE *out, hsm *h, const key_roles *r, const hsm_pair *p, bool comma)
{
	char idhex[2 * 32 + 1], sha[2 * crypto_hash_sha256_BYTES + 1];
	const key_role *first;
	size_t i, n = roles_of(h, r, p, &first), k = 0;

	key_facts(p, idhex, sizeof idhex, sha, sizeof sha);
	fprintf(out, "%s{\"label\":", comma ? "," : "");
	json_str(out, p->label);
	fprintf(out, ",\"algorithm\":");
	if (p->spki != NULL)
		json_str(out, hsm_alg_name(p->alg));
	else
		fputs("null", out);
	fprintf(out, ",\"id\":\"%s\",\"spki_sha256\":", idhex);
	if (p->spki != NULL)
		fprintf(out, "\"%s\"", sha);
	else
		fputs("null", out);
	fprintf(out, ",\"private_key\":%s,\"public_key\":%s,\"uri\":", p->npriv ? "true" : "false",
	    p->npub ? "true" : "false");
	json_str(out, p->uri);
	fprintf(out, ",\"note\":");
	if (p->note != NULL)
		json_str(out, p->note);
	else
		fputs("null", out);
	fprintf(out, ",\"role\":\"%s\",\"roles\":[", n == 0 ? "unused" : first->kind);
	for (i = 0; i < r->n; i++) {
		const key_role *x = &r->v[i];
		if (!hsm_pair_named_by(h, p, x->uri))
			continue;
		fprintf(out, "%s{\"kind\":\"%s\",\"name\":", k++ ? "," : "", x->kind);
		json_str(out, x->name);
		fprintf(out, ",\"generation\":");
		if (x->gen)
			fprintf(out, "%" PRIu64, x->gen);
		else
			fputs("null", out);
		fprintf(out, ",\"state\":\"%s\",\"text\":", x->state);
		json_str(out, x->text);
		fputc('}', out);
	}
	fputs("]}", out);
}

static void print_key_text(FILE *out, hsm *h, const key_roles *r, const hsm_pair *p)
{
	char idhex[2 * 32 + 1], sha[2 * crypto_hash_sha256_BYTES + 1];
	const key_role *first;
	size_t i, n = roles_of(h, r, p, &first);

	key_facts(p, idhex, sizeof idhex, sha, sizeof sha);
	pc_text_fputs(out, p->label);
	fprintf(out, "  %s\n    CKA_ID %s  SPKI SHA-256 %s\n", p->spki ? hsm_alg_name(p->alg) : "?",
	    idhex, sha);
	if (p->note != NULL) {
		fputs("    note: ", out);
		pc_text_fputs(out, p->note);
		fputc('\n', out);
	}
	if (n == 0)
		fputs("    unused: no record of the store and no intent names it (plantca keys "
		    "remove LABEL destroys it)\n", out);
	for (i = 0; i < r->n; i++)
		if (hsm_pair_named_by(h, p, r->v[i].uri)) {
			fputs("    ", out);
			pc_text_fputs(out, r->v[i].text);
			fputc('\n', out);
		}
}

/* Every record naming p is a retired transfer key: one that signs
 * nothing any more, which keys remove may destroy like an unused one. */
static bool only_retired(hsm *h, const key_roles *r, const hsm_pair *p)
{
	size_t i;

	for (i = 0; i < r->n; i++)
		if (hsm_pair_named_by(h, p, r->v[i].uri) && (strcmp(r->v[i].kind, "transfer") != 0 ||
		    strcmp(r->v[i].state, "retired") != 0))
			return false;
	return true;
}

/* ---- the verbs ---- */

pc_rc ca_keys_list(ca_ctx *c, FILE *out, pc_err *e)
{
	key_roles r;
	hsm_pairs l;
	char prefix[160];
	const key_role *first;
	size_t i, unused = 0;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	PC_TRY(roles_load(c, &r, prefix, sizeof prefix, e));
	rc = ca_hsm_login(c, e);
	if (rc == PC_OK)
		rc = hsm_pairs_list(c->h, prefix, &l, e);
	if (rc != PC_OK) {
		roles_free(&r);
		return rc;
	}
	for (i = 0; i < l.n; i++)
		if (roles_of(c->h, &r, &l.v[i], &first) == 0)
			unused++;
	if (c->json) {
		fputs("{\"token\":", out);
		json_str(out, hsm_token_label(c->h));
		fputs(",\"prefix\":", out);
		json_str(out, prefix);
		fputs(",\"keys\":[", out);
		for (i = 0; i < l.n; i++)
			print_key_json(out, c->h, &r, &l.v[i], i > 0);
		fprintf(out, "],\"unused\":%zu,\"other_objects\":%zu}\n", unused, l.others);
	} else {
		for (i = 0; i < l.n; i++)
			print_key_text(out, c->h, &r, &l.v[i]);
		fprintf(out, "%zu key pair%s of this CA home, %zu unused\n", l.n, l.n == 1 ? "" : "s",
		    unused);
		fprintf(out, "%zu other object%s on the token %s not this CA home's\n", l.others,
		    l.others == 1 ? "" : "s", l.others == 1 ? "is" : "are");
	}
	hsm_pairs_free(&l);
	roles_free(&r);
	return PC_OK;
}

/* In t: the key.remove event of pair p (sequence into *seq), and the
 * first one's record if this is the first. */
PC_CHECK static pc_rc remove_record(store_txn *t, const hsm_pair *p, char *detail, size_t dn,
    uint64_t *seq, uint64_t *earlier, pc_err *e)
{
	char key[sizeof META_KEY_REMOVED + HSM_KEY_LABEL_MAX];
	uint8_t hash[32];
	bool found;
	size_t n = strlen(detail);

	snprintf(key, sizeof key, META_KEY_REMOVED "%s", p->label);
	PC_TRY(ca_meta_get_u64(t, key, earlier, &found, e));
	if (!found)
		*earlier = 0;
	if (found)
		snprintf(detail + n, dn - n, "; completes the key.remove of audit event %" PRIu64
		    ", whose destroy did not finish", *earlier);
	PC_TRY(audit_head(t, seq, hash, e));
	(*seq)++;
	PC_TRY(audit_append(t, time(NULL), "key.remove", p->label, "ok", detail, e));
	return found ? PC_OK : ca_meta_put_u64(t, key, *seq, e);
}

pc_rc ca_keys_remove(ca_ctx *c, const char *label, pc_err *e)
{
	key_roles r;
	hsm_pairs l;
	char prefix[160], idhex[2 * 32 + 1], sha[2 * crypto_hash_sha256_BYTES + 1], detail[1024];
	const key_role *first = NULL;
	const hsm_pair *p = NULL;
	store_txn *t = NULL;
	uint64_t seq = 0, earlier = 0;
	size_t i, n = 0, nroles;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	memset(&r, 0, sizeof r);
	PC_TRY_OUT(hsm_key_label_check(label, "keys remove: LABEL", e));
	PC_TRY_OUT(roles_load(c, &r, prefix, sizeof prefix, e));
	if (strncmp(label, prefix, strlen(prefix)) != 0) {
		rc = pc_fail(e, PC_E_INPUT, "key %s: not this CA home's (its keys' labels start with "
		    "%s); plantca removes no other key", label, prefix);
		goto out;
	}
	PC_TRY_OUT(ca_hsm_login(c, e));
	PC_TRY_OUT(hsm_pairs_list(c->h, prefix, &l, e));
	for (i = 0; i < l.n; i++)
		if (strcmp(l.v[i].label, label) == 0) {
			p = &l.v[i];
			n++;
		}
	if (n == 0) {
		rc = pc_fail(e, PC_E_NOTFOUND, "key %s: no such key on token \"%s\" (plantca keys "
		    "lists them)", label, hsm_token_label(c->h));
		goto out;
	}
	if (n > 1) {
		rc = pc_fail(e, PC_E_INPUT, "key %s: %zu key pairs on token \"%s\" have this label "
		    "(different CKA_IDs): not removed", label, n, hsm_token_label(c->h));
		goto out;
	}
	nroles = roles_of(c->h, &r, p, &first);
	if (nroles > 0 && strcmp(first->kind, "pending") == 0) {
		rc = pc_fail(e, PC_E_STATE, "key %s is %s: not removed", label, first->text);
		goto out;
	}
	if (nroles > 0 && !only_retired(c->h, &r, p)) {
		rc = pc_fail(e, PC_E_STATE, "key %s is %s (the store uses it): not removed", label,
		    first->text);
		goto out;
	}
	key_facts(p, idhex, sizeof idhex, sha, sizeof sha);
	snprintf(detail, sizeof detail, "%s key of token \"%s\": CKA_ID %s, SPKI SHA-256 %s, "
	    "%s%s%s; destroying its private and public key objects", nroles ? first->text : "unused",
	    hsm_token_label(c->h), idhex, sha, p->spki ? hsm_alg_name(p->alg) : "algorithm unknown",
	    p->note ? ": " : "", p->note ? p->note : "");
	/* the event first: no key leaves the token without it */
	PC_TRY_OUT(store_begin(c->st, true, &t, e));
	rc = remove_record(t, p, detail, sizeof detail, &seq, &earlier, e);
	if ((rc = store_end(&t, rc, e)) != PC_OK)
		goto out;
	if ((rc = hsm_pair_destroy(c->h, p, e)) != PC_OK) {
		pc_wrap(e, "audit event %" PRIu64 " (key.remove) is recorded, but the key is still on "
		    "the token: run plantca keys remove %s again", seq, label);
		goto out;
	}
	if (c->json) {
		fputs("{\"removed\":", stdout);
		json_str(stdout, label);
		fprintf(stdout, ",\"id\":\"%s\",\"spki_sha256\":", idhex);
		if (p->spki)
			fprintf(stdout, "\"%s\"", sha);
		else
			fputs("null", stdout);
		fprintf(stdout, ",\"audit_event\":%" PRIu64 ",\"completes\":", seq);
		if (earlier)
			fprintf(stdout, "%" PRIu64 "}\n", earlier);
		else
			fputs("null}\n", stdout);
	} else {
		fputs("removed key ", stdout);
		pc_text_fputs(stdout, label);
		fprintf(stdout, " (CKA_ID %s, SPKI SHA-256 %s) from token \"", idhex, sha);
		pc_text_fputs(stdout, hsm_token_label(c->h));
		fprintf(stdout, "\"; audit event %" PRIu64 "%s\n", seq, earlier ?
		    ", completing an earlier removal" : "");
	}
out:
	if (t != NULL)
		store_abort(t);
	hsm_pairs_free(&l);
	roles_free(&r);
	return rc;
}
