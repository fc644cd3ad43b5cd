/*
 * station.c - `plantca station add` and `plantca station list`: the plant
 * stations whose request bundles the CA accepts.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "file.h"
#include "format.h"
#include "text.h"
#include "home.h"
#include "json.h"
#include "keyroll.h"
#include "records.h"
#include "transfer.h"

_Static_assert((int)CA_KEYID_LEN == (int)TR_KEYID_LEN && (int)CA_PK_LEN == (int)TR_PK_LEN,
    "station records and minisign keys must agree on sizes");

/* an Ed25519 SubjectPublicKeyInfo (RFC 8410 §4): 12 bytes, then the key */
enum { CA_ED25519_SPKI_LEN = 12 + CA_PK_LEN };
/* a minisign public key file: a comment line and one base64 line */

/* The CA transfer key's id (from the store) and public key: from
 * HOME/public/transfer.pub when that file still holds this key id, else
 * from the token (which then needs the PIN). */
PC_CHECK static pc_rc transfer_pubkey(ca_ctx *c, tr_pubkey *out, pc_err *e)
{
	char path[sizeof c->home + 32], *uri = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, sl;
	store_txn *t;
	hsm_key *tk;
	tr_pubkey f;
	const uint8_t *spki;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_meta_get_fixed(t, META_TRANSFER_KEYID, out->keyid, CA_KEYID_LEN, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_TRANSFER_URI, &uri, e);
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	snprintf(path, sizeof path, "%s/public/transfer.pub", c->home);
	if (pc_file_read(path, CA_PUBKEY_FILE_MAX, &buf, &len, NULL) == PC_OK &&
	    tr_pubkey_parse(buf, len, path, &f, NULL) == PC_OK &&
	    memcmp(f.keyid, out->keyid, CA_KEYID_LEN) == 0) {
		memcpy(out->pk, f.pk, CA_PK_LEN);
		free(buf);
		free(uri);
		return PC_OK;
	}
	free(buf);
	rc = ca_hsm_ready(c, e);
	if (rc == PC_OK)
		rc = ca_key_for(c, "#transfer", uri, &tk, e);
	free(uri);
	PC_TRY(rc);
	spki = hsm_key_spki(tk, &sl);
	/* Ed25519 SPKI (RFC 8410 §4): 12 bytes of header, then the key */
	if (sl != CA_ED25519_SPKI_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "the CA transfer key is not Ed25519");
	memcpy(out->pk, spki + CA_ED25519_SPKI_LEN - CA_PK_LEN, CA_PK_LEN);
	return PC_OK;
}

pc_rc ca_station_add(ca_ctx *c, const char *segment, const char *pubkey_path, const char *ca_name,
    pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	tr_pubkey pk;
	ca_station s;
	ca_rec cr;
	store_txn *t;
	pc_reader dummy;
	pc_buf b = PC_BUF_INIT;
	char detail[300];
	pc_rc rc;

	if (!segment || !pubkey_path || !ca_name)
		return pc_fail(e, PC_E_USAGE, "usage: plantca station add SEGMENT PUBKEY --ca NAME");
	if (!tr_segment_ok(segment))
		return pc_fail(e, PC_E_USAGE, "segment '%s': use 1-%d lowercase letters, digits and '-'",
		    segment, TR_SEGMENT_MAX);
	if (strcmp(ca_name, "root") == 0)
		return pc_fail(e, PC_E_USAGE, "a segment is served by an issuing CA, not the root");
	PC_TRY(pc_file_read(pubkey_path, CA_PUBKEY_FILE_MAX, &buf, &len, e));
	rc = tr_pubkey_parse(buf, len, pubkey_path, &pk, e);
	free(buf);
	if (rc != PC_OK)
		return rc;
	/* A station key signs requests the CA trusts; the transfer key signs
	 * what stations trust.  One key in both roles would let either side's
	 * bundles pass for the other's, so the transfer key is never enrolled,
	 * not even under another key id. */
	{
		tr_pubkey tk;
		char kt[17];
		PC_TRY(transfer_pubkey(c, &tk, e));
		tr_keyid_text(tk.keyid, kt);
		if (memcmp(pk.keyid, tk.keyid, CA_KEYID_LEN) == 0)
			return pc_fail(e, PC_E_INPUT, "%s: key %s is the CA transfer key, not a station key "
			    "(stations get it as --ca-key; enroll the station's own station.pub)",
			    pubkey_path, kt);
		if (sodium_memcmp(pk.pk, tk.pk, CA_PK_LEN) == 0)
			return pc_fail(e, PC_E_INPUT, "%s: this is the public key of the CA transfer key "
			    "(key id %s) under another key id; enroll the station's own station.pub",
			    pubkey_path, kt);
	}
	memset(&s, 0, sizeof s);
	PC_TRY(store_begin(c->st, true, &t, e));
	rc = ca_rec_get(t, ca_name, &cr, e);
	if (rc == PC_OK)
		ca_rec_free(&cr);
	if (rc == PC_OK) {
		rc = store_get(t, STORE_STATIONS, pk.keyid, CA_KEYID_LEN, &dummy, e);
		if (rc == PC_OK) {
			char kt[17];
			tr_keyid_text(pk.keyid, kt);
			rc = pc_fail(e, PC_E_EXISTS, "station key %s is already enrolled", kt);
		} else if (rc == PC_E_NOTFOUND) {
			rc = PC_OK;
		}
	}
	if (rc == PC_OK) {
		memcpy(s.keyid, pk.keyid, CA_KEYID_LEN);
		memcpy(s.pk, pk.pk, CA_PK_LEN);
		tr_keyid_text(s.keyid, s.keyid_text);
		s.segment = (char *)segment;
		s.ca = (char *)ca_name;
		s.added = (uint64_t)time(NULL);
		rc = ca_station_encode(&s, &b, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_STATIONS, s.keyid, CA_KEYID_LEN, b.p, b.len, true, e);
		/* it was given the current transfer key (keyroll.c) */
		if (rc == PC_OK)
			rc = ca_transfer_held_init(t, s.keyid, e);
	}
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "segment %s, CA %s, from %s", segment, ca_name, pubkey_path);
		rc = audit_append(t, time(NULL), "station.add", s.keyid_text, "ok", detail, e);
	}
	pc_buf_free(&b);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	PC_TRY(store_commit(t, e));
	if (c->json) {
		printf("{\"key_id\":\"%s\",\"segment\":", s.keyid_text);
		json_str(stdout, segment);
		printf(",\"ca\":");
		json_str(stdout, ca_name);
		printf("}\n");
	} else {
		printf("station key %s enrolled for segment %s (issuing CA %s)\n", s.keyid_text, segment,
		    ca_name);
		printf("Compare the key id with the one plantca-station init printed on the station.\n");
	}
	return PC_OK;
}

pc_rc ca_station_list(ca_ctx *c, FILE *out, pc_err *e)
{
	ca_station_list_t l;
	store_txn *t;
	size_t i;
	pc_rc rc;

	char (*held)[17] = NULL;
	bool *unconf = NULL;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &l, e);
	if (rc == PC_OK && ((held = calloc(l.n + 1, sizeof *held)) == NULL ||
	    (unconf = calloc(l.n + 1, sizeof *unconf)) == NULL))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	/* the key rotation state of each (keyroll.c) */
	for (i = 0; rc == PC_OK && i < l.n; i++)
		rc = ca_station_key_state(t, l.v[i].keyid, held[i], &unconf[i], e);
	store_abort(t);
	if (rc != PC_OK) {
		free(held);
		free(unconf);
		ca_station_list_free(&l);
		return rc;
	}
	if (c->json)
		fputc('[', out);
	else if (l.n == 0)
		fprintf(out, "no stations enrolled (plantca station add SEGMENT PUBKEY --ca NAME)\n");
	for (i = 0; i < l.n; i++) {
		char added[32];
		pc_time_text(l.v[i].added, added);
		if (c->json) {
			fprintf(out, "%s{\"key_id\":\"%s\",\"segment\":", i ? "," : "", l.v[i].keyid_text);
			json_str(out, l.v[i].segment);
			fprintf(out, ",\"ca\":");
			json_str(out, l.v[i].ca);
			fprintf(out, ",\"last_sequence\":%" PRIu64 ",\"added\":\"%s\",\"transfer_key\":\"%s\","
			    "\"key_unconfirmed\":%s}", l.v[i].last_seq, added, held[i],
			    unconf[i] ? "true" : "false");
		} else {
			fprintf(out, "%s  segment %-12s CA %-12s last sequence %-6" PRIu64 " added %s  "
			    "holds transfer key %s%s\n", l.v[i].keyid_text, l.v[i].segment, l.v[i].ca,
			    l.v[i].last_seq, added, held[i], unconf[i] ? "  (new key, not yet used)" : "");
		}
	}
	free(held);
	free(unconf);
	if (c->json)
		fputs("]\n", out);
	ca_station_list_free(&l);
	return PC_OK;
}
