/*
 * keyroll.c - the CA's side of key rotation (keyroll.h; the procedure is
 * docs/lifecycle.md "Transfer and station keys").
 *
 * The transfer key: `transfer roll` makes the next key in the token and
 * its endorsement by the current one.  A station trusts a new transfer key
 * only once a response signed by a key it trusts announced it, and it
 * stops trusting the old one at the first response the new key signed.  So
 * the CA signs a segment's responses with the old key, announcing the new
 * one, until every station of the segment has said in a request bundle
 * that it holds the new key (holds-transfer-key); from then on with the
 * new key.  No station is sent a bundle signed by a key it does not hold,
 * and none is sent the old key after it switched.  One roll at a time: a
 * roll waits until every station holds the current key.
 */
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "file.h"
#include "home.h"
#include "json.h"
#include "keyroll.h"
#include "minisign_key.h"

/* META value of exactly n bytes, *found false when absent */
PC_CHECK static pc_rc meta_fixed_opt(store_txn *t, const char *key, uint8_t *out, size_t n,
    bool *found, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_META, key, strlen(key), &val, e);

	*found = false;
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (pc_reader_left(&val) != n)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %zu bytes, expected %zu", key,
		    pc_reader_left(&val), n);
	memcpy(out, val.p + val.off, n);
	*found = true;
	return PC_OK;
}

static void held_key(const uint8_t *station, char out[64])
{
	char id[17];

	tr_keyid_text(station, id);
	snprintf(out, 64, "%s%s", META_TRANSFER_HELD, id);
}

/* The transfer key station holds: its record, else the current key. */
PC_CHECK static pc_rc held_get(store_txn *t, const uint8_t *station, const uint8_t *cur,
    uint8_t out[CA_KEYID_LEN], pc_err *e)
{
	char key[64];
	bool found;

	held_key(station, key);
	PC_TRY(meta_fixed_opt(t, key, out, CA_KEYID_LEN, &found, e));
	if (!found)
		memcpy(out, cur, CA_KEYID_LEN);
	return PC_OK;
}

pc_rc ca_station_key_state(store_txn *t, const uint8_t station[CA_KEYID_LEN], char held[17],
    bool *unconfirmed, pc_err *e)
{
	uint8_t cur[CA_KEYID_LEN], h[CA_KEYID_LEN], old[CA_KEYID_LEN];
	char key[64], id[17];

	PC_TRY(ca_meta_get_fixed(t, META_TRANSFER_KEYID, cur, CA_KEYID_LEN, e));
	PC_TRY(held_get(t, station, cur, h, e));
	tr_keyid_text(h, held);
	tr_keyid_text(station, id);
	snprintf(key, sizeof key, "%s%s", META_STATION_REKEYED, id);
	return meta_fixed_opt(t, key, old, CA_KEYID_LEN, unconfirmed, e);
}

pc_rc ca_transfer_held_init(store_txn *t, const uint8_t keyid[CA_KEYID_LEN], pc_err *e)
{
	uint8_t cur[CA_KEYID_LEN];
	char key[64];

	PC_TRY(ca_meta_get_fixed(t, META_TRANSFER_KEYID, cur, CA_KEYID_LEN, e));
	held_key(keyid, key);
	return store_put(t, STORE_META, key, strlen(key), cur, CA_KEYID_LEN, false, e);
}

void ca_transfer_plan_free(ca_transfer_plan *p)
{
	free(p->uri);
	free(p->pub);
	free(p->sig);
	memset(p, 0, sizeof *p);
}

pc_rc ca_transfer_plan_get(store_txn *t, const char *segment, const ca_station_list_t *sl,
    ca_transfer_plan *p, pc_err *e)
{
	uint8_t cur[CA_KEYID_LEN], prev[CA_KEYID_LEN], held[CA_KEYID_LEN], old[CA_KEYID_LEN];
	bool have_prev, need_prev = false, pending;
	char key[64], id[17];
	size_t i;

	memset(p, 0, sizeof *p);
	PC_TRY(ca_meta_get_fixed(t, META_TRANSFER_KEYID, cur, CA_KEYID_LEN, e));
	PC_TRY(meta_fixed_opt(t, META_TRANSFER_PREV_KEYID, prev, CA_KEYID_LEN, &have_prev, e));
	for (i = 0; i < sl->n; i++) {
		const ca_station *s = &sl->v[i];
		if (strcmp(s->segment, segment) != 0)
			continue;
		PC_TRY(held_get(t, s->keyid, cur, held, e));
		if (memcmp(held, cur, CA_KEYID_LEN) != 0) {
			if (!have_prev || memcmp(held, prev, CA_KEYID_LEN) != 0) {
				tr_keyid_text(held, id);
				return pc_fail(e, PC_E_STORE_CORRUPT, "station %s holds CA transfer key %s, "
				    "neither the current nor the previous one", s->keyid_text, id);
			}
			need_prev = true;
		}
		snprintf(key, sizeof key, "%s%s", META_STATION_REKEYED, s->keyid_text);
		PC_TRY(meta_fixed_opt(t, key, old, CA_KEYID_LEN, &pending, e));
		if (pending && p->nkeys < TR_STATION_KEYS_MAX)
			snprintf(p->station_keys[p->nkeys++], 17, "%s", s->keyid_text);
	}
	if (!need_prev) {
		memcpy(p->keyid, cur, CA_KEYID_LEN);
		p->cache = "#transfer";
		return ca_meta_get_str(t, META_TRANSFER_URI, &p->uri, e);
	}
	memcpy(p->keyid, prev, CA_KEYID_LEN);
	p->cache = "#transfer-prev";
	p->announce = true;
	tr_keyid_text(cur, p->newid);
	PC_TRY(ca_meta_get_str(t, META_TRANSFER_PREV_URI, &p->uri, e));
	PC_TRY(ca_meta_get_str(t, META_TRANSFER_ROLL_PUB, &p->pub, e));
	return ca_meta_get_str(t, META_TRANSFER_ROLL_SIG, &p->sig, e);
}

/* ------------------------------------------------------- transfer roll */

/* In t, before a roll from generation gen: the previous key (generation
 * gen - 1), if any, recorded as retired. */
PC_CHECK static pc_rc retire_prev(store_txn *t, uint64_t gen, pc_err *e)
{
	char key[sizeof META_TRANSFER_RETIRED + 20], *puri = NULL;
	pc_reader v;
	pc_rc rc;

	rc = store_get(t, STORE_META, META_TRANSFER_PREV_URI, strlen(META_TRANSFER_PREV_URI), &v, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (gen < 2)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s is set, but %s is %" PRIu64,
		    META_TRANSFER_PREV_URI, META_TRANSFER_GEN, gen);
	PC_TRY(ca_meta_get_str(t, META_TRANSFER_PREV_URI, &puri, e));
	snprintf(key, sizeof key, "%s%020" PRIu64, META_TRANSFER_RETIRED, gen - 1);
	rc = ca_meta_put_str(t, key, puri, e);
	free(puri);
	return rc;
}

/* Every station holds the current key (a second roll would leave a
 * station two keys behind, with no bundle it could accept). */
PC_CHECK static pc_rc roll_ready(store_txn *t, const uint8_t *cur, const ca_station_list_t *sl,
    pc_err *e)
{
	uint8_t held[CA_KEYID_LEN];
	char id[17], hid[17];
	size_t i;

	for (i = 0; i < sl->n; i++) {
		PC_TRY(held_get(t, sl->v[i].keyid, cur, held, e));
		if (memcmp(held, cur, CA_KEYID_LEN) != 0) {
			tr_keyid_text(cur, id);
			tr_keyid_text(held, hid);
			return pc_fail(e, PC_E_STATE, "station %s (segment %s) holds CA transfer key %s, "
			    "not yet the current one %s: export to segment %s, accept the response at "
			    "the station and import its next request bundle, then roll again",
			    sl->v[i].keyid_text, sl->v[i].segment, hid, id, sl->v[i].segment);
		}
	}
	return PC_OK;
}

PC_CHECK static pc_rc write_pub(const char *home, const char *name, const tr_pubkey *k,
    pc_err *e)
{
	char path[PATH_MAX + 64];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	snprintf(path, sizeof path, "%s/public/%s", home, name);
	tr_pubkey_format(k, NULL, &b);
	rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0644, false, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

/* HOME/public/NAME holds key (cache, uri, keyid) of the token; rewritten
 * if it does not.  *fixed says so. */
PC_CHECK static pc_rc pub_sync(ca_ctx *c, const char *cache, const char *uri,
    const uint8_t *keyid, const char *name, bool *fixed, pc_err *e)
{
	char path[PATH_MAX + 64];
	hsm_key *k;
	tr_pubkey pk;
	pc_buf b = PC_BUF_INIT;
	uint8_t *have = NULL;
	size_t hl = 0;
	pc_rc rc;

	PC_TRY(ca_key_for(c, cache, uri, &k, e));
	PC_TRY(ca_token_minisign_pub(k, keyid, &pk, e));
	snprintf(path, sizeof path, "%s/public/%s", c->home, name);
	tr_pubkey_format(&pk, NULL, &b);
	if (!pc_buf_ok(&b))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if (pc_file_read(path, CA_PUBKEY_FILE_MAX, &have, &hl, e) == PC_OK && hl == b.len &&
	    memcmp(have, b.p, hl) == 0) {
		rc = PC_OK;
	} else {
		rc = write_pub(c->home, name, &pk, e);
		*fixed = rc == PC_OK;
	}
	free(have);
	pc_buf_free(&b);
	return rc;
}

/* A roll killed between its commit and HOME/public: the files the store
 * says (transfer.pub the current key, transfer-PREV.pub the one it
 * replaced), put right before anything else is decided. */
PC_CHECK static pc_rc public_sync(ca_ctx *c, const uint8_t *cur, const char *uri, pc_err *e)
{
	store_txn *t;
	uint8_t prev[CA_KEYID_LEN];
	char *puri = NULL, name[64], id[17];
	bool have_prev = false, fixed = false;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = meta_fixed_opt(t, META_TRANSFER_PREV_KEYID, prev, CA_KEYID_LEN, &have_prev, e);
	if (rc == PC_OK && have_prev)
		rc = ca_meta_get_str(t, META_TRANSFER_PREV_URI, &puri, e);
	store_abort(t);
	if (rc == PC_OK && have_prev) {
		tr_keyid_text(prev, id);
		snprintf(name, sizeof name, "transfer-%s.pub", id);
		rc = pub_sync(c, "#transfer-prev", puri, prev, name, &fixed, e);
	}
	if (rc == PC_OK)
		rc = pub_sync(c, "#transfer", uri, cur, "transfer.pub", &fixed, e);
	free(puri);
	if (rc == PC_OK && fixed) {
		tr_keyid_text(cur, id);
		fprintf(stderr, "plantca: %s/public did not hold the transfer keys the store names "
		    "(a roll interrupted after it was recorded): rewritten, transfer.pub is %s\n",
		    c->home, id);
	}
	return rc;
}

pc_rc ca_transfer_roll(ca_ctx *c, pc_err *e)
{
	ca_station_list_t sl;
	store_txn *t = NULL;
	uint8_t cur[CA_KEYID_LEN], nid[CA_KEYID_LEN], held[CA_KEYID_LEN];
	char *uri = NULL, *home_id = NULL, label[128], oldt[17], newt[17], name[64], detail[400];
	uint64_t gen = 1;
	bool found;
	hsm_key *ok = NULL, *nk = NULL;
	tr_pubkey op, np;
	pc_buf pubf = PC_BUF_INIT, sigf = PC_BUF_INIT;
	size_t i, nheld = 0;
	pc_rc rc;

	memset(&sl, 0, sizeof sl);
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = ca_meta_get_fixed(t, META_TRANSFER_KEYID, cur, CA_KEYID_LEN, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_TRANSFER_URI, &uri, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_ID, &home_id, e);
	if (rc == PC_OK)
		rc = ca_meta_get_u64(t, META_TRANSFER_GEN, &gen, &found, e);
	if (rc == PC_OK && !found)
		gen = 1;
	if (rc == PC_OK)
		rc = ca_stations_load(t, &sl, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK || (rc = ca_hsm_ready(c, e)) != PC_OK ||
	    (rc = public_sync(c, cur, uri, e)) != PC_OK)
		goto out;
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = roll_ready(t, cur, &sl, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if ((rc = ca_key_for(c, "#transfer", uri, &ok, e)) != PC_OK ||
	    (rc = ca_token_minisign_pub(ok, cur, &op, e)) != PC_OK)
		goto out;
	/* a random tail: a roll killed between the token's key and the
	 * store's record leaves that key, and the next run must not trip
	 * over its label */
	{
		char nm[32];
		snprintf(nm, sizeof nm, "g%" PRIu64, gen + 1);
		ca_key_label(label, sizeof label, home_id, "transfer", nm);
	}
	if ((rc = hsm_key_generate(c->h, HSM_ED25519, label, &nk, e)) != PC_OK)
		goto out;
	randombytes_buf(nid, sizeof nid);
	if ((rc = ca_token_minisign_pub(nk, nid, &np, e)) != PC_OK)
		goto out;
	/* the old key vouches for the new one: what every station checks */
	if ((rc = tr_keyroll_make("transfer", &op, &np, ca_token_ed25519_sign, ok, &pubf, &sigf, e)) !=
	    PC_OK)
		goto out;
	pc_buf_byte(&pubf, '\0');
	pc_buf_byte(&sigf, '\0');
	if (!pc_buf_ok(&pubf) || !pc_buf_ok(&sigf)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	tr_keyid_text(cur, oldt);
	tr_keyid_text(nid, newt);
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	/* the key this roll pushes out of "previous" stays named: retired */
	rc = retire_prev(t, gen, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TRANSFER_PREV_URI, uri, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_TRANSFER_PREV_KEYID, strlen(META_TRANSFER_PREV_KEYID),
		    cur, CA_KEYID_LEN, false, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TRANSFER_URI, hsm_key_uri(nk), e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_TRANSFER_KEYID, strlen(META_TRANSFER_KEYID), nid,
		    CA_KEYID_LEN, false, e);
	if (rc == PC_OK)
		rc = ca_meta_put_u64(t, META_TRANSFER_GEN, gen + 1, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TRANSFER_ROLL_PUB, (const char *)pubf.p, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TRANSFER_ROLL_SIG, (const char *)sigf.p, e);
	/* every station holds the old key now, recorded as such */
	for (i = 0; rc == PC_OK && i < sl.n; i++) {
		held_key(sl.v[i].keyid, name);
		rc = meta_fixed_opt(t, name, held, CA_KEYID_LEN, &found, e);
		if (rc == PC_OK && !found)
			rc = store_put(t, STORE_META, name, strlen(name), cur, CA_KEYID_LEN, false, e);
		nheld++;
	}
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "CA transfer key generation %" PRIu64 " (%s) replaces "
		    "%s; endorsed by it; %zu station(s) to switch", gen + 1, label, oldt, nheld);
		rc = audit_append(t, time(NULL), "transfer.roll", newt, "ok", detail, e);
	}
	if ((rc = store_end(&t, rc, e)) != PC_OK)
		goto out;
	snprintf(name, sizeof name, "transfer-%s.pub", oldt);
	if ((rc = write_pub(c->home, name, &op, e)) != PC_OK ||
	    (rc = write_pub(c->home, "transfer.pub", &np, e)) != PC_OK) {
		pc_wrap(e, "transfer key %s recorded, but HOME/public not updated", newt);
		goto out;
	}
	if (c->json) {
		printf("{\"transfer_key\":\"%s\",\"replaces\":\"%s\",\"generation\":%" PRIu64
		    ",\"stations\":%zu}\n", newt, oldt, gen + 1, sl.n);
	} else {
		printf("CA transfer key %s (generation %" PRIu64 ", Ed25519, in the token) replaces %s\n",
		    newt, gen + 1, oldt);
		printf("%s/public/transfer.pub is the new key, public/transfer-%s.pub the old one\n",
		    c->home, oldt);
		printf("Each segment's next response is signed by %s and announces %s; once a "
		    "segment's stations say they hold it (their next request bundle), its responses "
		    "are signed by %s.\n", oldt, newt, newt);
	}
out:
	store_abort(t);
	hsm_key_free(nk);
	free(uri);
	free(home_id);
	pc_buf_free(&pubf);
	pc_buf_free(&sigf);
	ca_station_list_free(&sl);
	return rc;
}
