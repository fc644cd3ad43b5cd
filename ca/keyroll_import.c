/*
 * keyroll_import.c - what `plantca import` does with the key lines of a
 * request bundle (keyroll.h): a station's new key (rekey), its word that
 * it holds the CA's new transfer key (holds-transfer-key), and the
 * refusal, by name, of a bundle signed by a station key a rekey replaced.
 * Kept apart from import.c: import calls in at three points.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "file.h"
#include "keyroll.h"
#include "text.h"

enum { REPLACED_LEN = 2 * CA_KEYID_LEN + CA_PK_LEN + 8 };

struct retired {
	tr_pubkey *v;
	size_t n, cap;
};

PC_CHECK static pc_rc retired_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct retired *r = ctx;

	(void)key;
	(void)stop;
	if (pc_reader_left(&val) != REPLACED_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s...: %zu bytes, expected %d",
		    META_STATION_REPLACED, pc_reader_left(&val), REPLACED_LEN);
	if (!pc_grow(&r->v, &r->cap, r->n, sizeof *r->v, 8))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(r->v[r->n].keyid, val.p + val.off, CA_KEYID_LEN);
	memcpy(r->v[r->n].pk, val.p + val.off + 2 * CA_KEYID_LEN, CA_PK_LEN);
	r->n++;
	return PC_OK;
}

pc_rc ca_import_trusted(ca_ctx *c, const ca_station_list_t *sl, tr_pubkey **keys, size_t *n,
    pc_err *e)
{
	struct retired r = { NULL, 0, 0 };
	store_txn *t;
	size_t i;
	pc_rc rc;

	*keys = NULL;
	*n = 0;
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_scan(t, STORE_META, META_STATION_REPLACED, strlen(META_STATION_REPLACED), false,
	    retired_visit, &r, e);
	store_abort(t);
	if (rc != PC_OK) {
		free(r.v);
		return rc;
	}
	*keys = calloc(sl->n + r.n + 1, sizeof **keys);
	if (*keys == NULL) {
		free(r.v);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < sl->n; i++) {
		memcpy((*keys)[i].keyid, sl->v[i].keyid, CA_KEYID_LEN);
		memcpy((*keys)[i].pk, sl->v[i].pk, CA_PK_LEN);
	}
	/* a key enrolled again is not retired (a station's id is unique) */
	for (i = 0; i < r.n; i++)
		(*keys)[sl->n + i] = r.v[i];
	*n = sl->n + r.n;
	free(r.v);
	return PC_OK;
}

pc_rc ca_import_signer_check(ca_ctx *c, const tr_bundle *b, const tr_pubkey *keys,
    size_t nstations, const char *path, pc_err *e)
{
	char key[64], old[17], nw[17], when[PC_TIME_TEXT_MAX];
	store_txn *t;
	pc_reader val;
	uint64_t at = 0;
	size_t i;
	pc_rc rc;

	if (b->signer < nstations)
		return PC_OK;
	tr_keyid_text(keys[b->signer].keyid, old);
	snprintf(key, sizeof key, "%s%s", META_STATION_REPLACED, old);
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_META, key, strlen(key), &val, e);
	if (rc == PC_OK && pc_reader_left(&val) == REPLACED_LEN) {
		tr_keyid_text(val.p + val.off + CA_KEYID_LEN, nw);
		for (i = 0; i < 8; i++)
			at = at << 8 | val.p[val.off + 2 * CA_KEYID_LEN + CA_PK_LEN + i];
	} else {
		snprintf(nw, sizeof nw, "?");
	}
	store_abort(t);
	pc_time_text((time_t)at, when);
	return pc_fail(e, PC_E_SIGNATURE, "%s: signed by station key %s, which was replaced by %s "
	    "(plantca-station rekey, imported %s): refused; accept the CA's next response at the "
	    "station (it switches to the new key), then send the request again", path, old, nw, when);
}

/* The member transfer-key.pub of a request is the key the CA announced,
 * byte for byte in its key: the station holds the right one. */
PC_CHECK static pc_rc holds_same_key(ca_ctx *c, const tr_bundle *b, pc_err *e)
{
	char what[TR_NAME_MAX + 64], *roll = NULL;
	const tr_member *m = NULL;
	tr_pubkey held, cur;
	store_txn *t;
	size_t i;
	pc_rc rc;

	for (i = 0; i < b->nmembers && m == NULL; i++)
		if (strcmp(b->members[i].name, TR_TRANSFER_KEY_MEMBER) == 0)
			m = &b->members[i];
	snprintf(what, sizeof what, "%s.tar: member %s", b->name, TR_TRANSFER_KEY_MEMBER);
	if (m == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s: missing", what);
	PC_TRY(tr_pubkey_parse(m->data, m->len, what, &held, e));
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_meta_get_str(t, META_TRANSFER_ROLL_PUB, &roll, e);
	store_abort(t);
	if (rc == PC_E_STORE_CORRUPT)
		return pc_fail(e, PC_E_BUNDLE, "%s: this CA's transfer key was never rolled", what);
	PC_TRY(rc);
	rc = tr_pubkey_parse((const uint8_t *)roll, strlen(roll), META_TRANSFER_ROLL_PUB, &cur, e);
	free(roll);
	if (rc != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %s: %s", META_TRANSFER_ROLL_PUB, e->msg);
	if (memcmp(held.keyid, cur.keyid, CA_KEYID_LEN) != 0 ||
	    sodium_memcmp(held.pk, cur.pk, CA_PK_LEN) != 0)
		return pc_fail(e, PC_E_BUNDLE, "%s: not the CA transfer key this CA announced", what);
	return PC_OK;
}

pc_rc ca_import_keys_check(ca_ctx *c, const ca_station *st, const tr_bundle *b,
    ca_import_keys *k, pc_err *e)
{
	uint8_t cur[CA_KEYID_LEN], prev[CA_KEYID_LEN];
	char cid[17], nid[17], key[64];
	bool have_prev = false, enrolled = false, replaced = false;
	store_txn *t;
	pc_reader val;
	pc_rc rc;

	memset(k, 0, sizeof *k);
	if (b->meta.holds_transfer_key[0] == '\0' && b->meta.rekey[0] == '\0')
		return PC_OK;
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_meta_get_fixed(t, META_TRANSFER_KEYID, cur, CA_KEYID_LEN, e);
	if (rc == PC_OK && (rc = store_get(t, STORE_META, META_TRANSFER_PREV_KEYID,
	    strlen(META_TRANSFER_PREV_KEYID), &val, e)) == PC_OK && pc_reader_left(&val) ==
	    CA_KEYID_LEN) {
		memcpy(prev, val.p + val.off, CA_KEYID_LEN);
		have_prev = true;
	}
	if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	if (rc == PC_OK && b->meta.rekey[0] != '\0') {
		tr_pubkey oldk;
		memcpy(oldk.keyid, st->keyid, CA_KEYID_LEN);
		memcpy(oldk.pk, st->pk, CA_PK_LEN);
		rc = tr_keyroll_verify(b, "station", TR_STATION_KEY_MEMBER, b->meta.rekey, &oldk,
		    &k->newk, e);
		if (rc == PC_OK) {
			rc = store_get(t, STORE_STATIONS, k->newk.keyid, CA_KEYID_LEN, &val, e);
			enrolled = rc == PC_OK;
			rc = rc == PC_E_NOTFOUND ? PC_OK : rc;
		}
		snprintf(key, sizeof key, "%s%s", META_STATION_REPLACED, b->meta.rekey);
		if (rc == PC_OK) {
			rc = store_get(t, STORE_META, key, strlen(key), &val, e);
			replaced = rc == PC_OK;
			rc = rc == PC_E_NOTFOUND ? PC_OK : rc;
		}
	}
	store_abort(t);
	PC_TRY(rc);
	tr_keyid_text(cur, cid);
	if (b->meta.holds_transfer_key[0] != '\0') {
		if (strcmp(b->meta.holds_transfer_key, cid) != 0)
			return pc_fail(e, PC_E_BUNDLE, "%s.tar: station %s says it holds CA transfer key "
			    "%s, which is not this CA's transfer key %s", b->name, st->keyid_text,
			    b->meta.holds_transfer_key, cid);
		PC_TRY(holds_same_key(c, b, e));
		k->holds = true;
	}
	if (b->meta.rekey[0] == '\0')
		return PC_OK;
	tr_keyid_text(k->newk.keyid, nid);
	if (enrolled)
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: new station key %s is enrolled already", b->name,
		    nid);
	if (replaced)
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: new station key %s was enrolled before and "
		    "replaced; a key is never enrolled twice", b->name, nid);
	if (memcmp(k->newk.keyid, cur, CA_KEYID_LEN) == 0 ||
	    (have_prev && memcmp(k->newk.keyid, prev, CA_KEYID_LEN) == 0))
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: new station key %s has the id of a CA transfer "
		    "key", b->name, nid);
	{
		char path[sizeof c->home + 32];
		uint8_t *buf = NULL;
		size_t len = 0;
		tr_pubkey tk;
		bool same;
		snprintf(path, sizeof path, "%s/public/transfer.pub", c->home);
		same = pc_file_read(path, CA_PUBKEY_FILE_MAX, &buf, &len, NULL) == PC_OK &&
		    tr_pubkey_parse(buf, len, path, &tk, NULL) == PC_OK &&
		    sodium_memcmp(tk.pk, k->newk.pk, CA_PK_LEN) == 0;
		free(buf);
		if (same)
			return pc_fail(e, PC_E_BUNDLE, "%s.tar: new station key %s is the CA transfer "
			    "key", b->name, nid);
	}
	k->rekey = true;
	return PC_OK;
}

pc_rc ca_import_keys_apply(store_txn *t, const ca_station *st, const tr_bundle *b,
    const ca_import_keys *k, pc_err *e)
{
	char key[64], nid[17], detail[400];
	uint8_t old[CA_KEYID_LEN], cur[CA_KEYID_LEN];
	pc_reader val;
	pc_rc rc;
	time_t now = time(NULL);

	/* the first bundle a new key signed: the station switched */
	snprintf(key, sizeof key, "%s%s", META_STATION_REKEYED, st->keyid_text);
	rc = store_get(t, STORE_META, key, strlen(key), &val, e);
	if (rc == PC_OK) {
		PC_TRY(store_del(t, STORE_META, key, strlen(key), e));
		snprintf(detail, sizeof detail, "segment %s: the station signs with its new key",
		    st->segment);
		PC_TRY(audit_append(t, now, "station.rekey.confirmed", st->keyid_text, "ok", detail, e));
	} else if (rc != PC_E_NOTFOUND) {
		return rc;
	}
	if (k->holds) {
		char id[17];
		PC_TRY(ca_meta_get_fixed(t, META_TRANSFER_KEYID, cur, CA_KEYID_LEN, e));
		snprintf(key, sizeof key, "%s%s", META_TRANSFER_HELD, st->keyid_text);
		rc = store_get(t, STORE_META, key, strlen(key), &val, e);
		if (rc != PC_OK && rc != PC_E_NOTFOUND)
			return rc;
		if (rc == PC_E_NOTFOUND || pc_reader_left(&val) != CA_KEYID_LEN ||
		    memcmp(val.p + val.off, cur, CA_KEYID_LEN) != 0) {
			PC_TRY(store_put(t, STORE_META, key, strlen(key), cur, CA_KEYID_LEN, false, e));
			tr_keyid_text(cur, id);
			snprintf(detail, sizeof detail, "segment %s: holds CA transfer key %s (bundle %s)",
			    st->segment, id, b->name);
			PC_TRY(audit_append(t, now, "station.transfer-key", st->keyid_text, "ok", detail, e));
		}
	}
	if (!k->rekey)
		return PC_OK;
	{
		ca_station cs;
		pc_buf sb = PC_BUF_INIT;
		uint8_t rv[REPLACED_LEN];
		size_t i;
		/* the record, sequence advanced by import already, under the new key */
		PC_TRY(store_get(t, STORE_STATIONS, st->keyid, CA_KEYID_LEN, &val, e));
		PC_TRY(ca_station_decode(val, &cs, e));
		memcpy(old, cs.keyid, CA_KEYID_LEN);
		memcpy(cs.keyid, k->newk.keyid, CA_KEYID_LEN);
		memcpy(cs.pk, k->newk.pk, CA_PK_LEN);
		rc = ca_station_encode(&cs, &sb, e);
		ca_station_free(&cs);
		if (rc == PC_OK)
			rc = store_del(t, STORE_STATIONS, old, CA_KEYID_LEN, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_STATIONS, k->newk.keyid, CA_KEYID_LEN, sb.p, sb.len, true, e);
		pc_buf_free(&sb);
		PC_TRY(rc);
		memcpy(rv, old, CA_KEYID_LEN);
		memcpy(rv + CA_KEYID_LEN, k->newk.keyid, CA_KEYID_LEN);
		memcpy(rv + 2 * CA_KEYID_LEN, st->pk, CA_PK_LEN);
		for (i = 0; i < 8; i++)
			rv[2 * CA_KEYID_LEN + CA_PK_LEN + i] = (uint8_t)((uint64_t)now >> (56 - 8 * i));
		snprintf(key, sizeof key, "%s%s", META_STATION_REPLACED, st->keyid_text);
		PC_TRY(store_put(t, STORE_META, key, strlen(key), rv, sizeof rv, true, e));
		tr_keyid_text(k->newk.keyid, nid);
		snprintf(key, sizeof key, "%s%s", META_STATION_REKEYED, nid);
		PC_TRY(store_put(t, STORE_META, key, strlen(key), old, CA_KEYID_LEN, true, e));
		/* the transfer key the station holds goes with it */
		snprintf(key, sizeof key, "%s%s", META_TRANSFER_HELD, st->keyid_text);
		rc = store_get(t, STORE_META, key, strlen(key), &val, e);
		if (rc == PC_OK && pc_reader_left(&val) == CA_KEYID_LEN) {
			uint8_t h[CA_KEYID_LEN];
			char nk[64];
			memcpy(h, val.p + val.off, CA_KEYID_LEN);
			PC_TRY(store_del(t, STORE_META, key, strlen(key), e));
			snprintf(nk, sizeof nk, "%s%s", META_TRANSFER_HELD, nid);
			PC_TRY(store_put(t, STORE_META, nk, strlen(nk), h, CA_KEYID_LEN, false, e));
		} else if (rc != PC_OK && rc != PC_E_NOTFOUND) {
			return rc;
		}
		snprintf(detail, sizeof detail, "new key %s, segment %s, bundle %s: bundles signed by "
		    "%s are refused from now on", nid, st->segment, b->name, st->keyid_text);
		return audit_append(t, now, "station.rekey", st->keyid_text, "ok", detail, e);
	}
}
