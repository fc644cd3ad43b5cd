/*
 * keyroll.h - the CA's side of key rotation (docs/lifecycle.md "Transfer
 * and station keys"): `plantca transfer roll`, which transfer key signs a
 * segment's next response and what it announces (export), and what import
 * does with a station's new key and its word that it holds the new
 * transfer key.
 *
 * META keys (values through the strict getters):
 *   transfer.prev.key_uri, transfer.prev.keyid  the key the last roll replaced
 *   transfer.generation     u64, 1 before any roll
 *   transfer.retired.GEN    the key URI of generation GEN (20 decimal
 *                           digits) once a second roll retired it: it signs
 *                           nothing, and `plantca keys` names it
 *   transfer.roll.pub, transfer.roll.minisig  the current key's public key
 *                           file and its endorsement by the previous key
 *   transfer.held.STATION   8 bytes: the transfer key id that station holds
 *                           (absent: the current key, no roll since it was
 *                           enrolled)
 *   station.replaced.OLD    old key id (8) || new key id (8) || old public
 *                           key (32) || when (u64 BE): a station key a
 *                           rekey replaced
 *   station.rekeyed.NEW     old key id (8): a rekey the station has not yet
 *                           confirmed by signing with the new key
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_KEYROLL_H
#define PLANTCA_KEYROLL_H

#include "ca.h"
#include "records.h"
#include "transfer.h"

#define META_TRANSFER_PREV_URI "transfer.prev.key_uri"
#define META_TRANSFER_PREV_KEYID "transfer.prev.keyid"
#define META_TRANSFER_GEN "transfer.generation"
#define META_TRANSFER_RETIRED "transfer.retired."
#define META_TRANSFER_ROLL_PUB "transfer.roll.pub"
#define META_TRANSFER_ROLL_SIG "transfer.roll.minisig"
#define META_TRANSFER_HELD "transfer.held."
#define META_STATION_REPLACED "station.replaced."
#define META_STATION_REKEYED "station.rekeyed."

/* `plantca transfer roll` */
pc_rc ca_transfer_roll(ca_ctx *c, pc_err *e) PC_CHECK;

/* What signs segment's next response: the current transfer key once every
 * station of the segment holds it, else the previous one, and then the
 * bundle announces the current one (members from the roll).  station_keys:
 * the segment's stations whose rekey is not confirmed yet. */
typedef struct ca_transfer_plan {
	char *uri;                     /* the signing key */
	const char *cache;             /* its ca_key_for name */
	uint8_t keyid[CA_KEYID_LEN];
	bool announce;
	char newid[17];
	char *pub, *sig;               /* the endorsement members (announce) */
	char station_keys[TR_STATION_KEYS_MAX][17];
	size_t nkeys;
} ca_transfer_plan;
pc_rc ca_transfer_plan_get(store_txn *t, const char *segment, const ca_station_list_t *sl,
    ca_transfer_plan *p, pc_err *e) PC_CHECK;
void ca_transfer_plan_free(ca_transfer_plan *p);

/* For station list: the transfer key id station holds, and whether the
 * CA recorded it from a rekey and has not seen it sign a bundle yet. */
pc_rc ca_station_key_state(store_txn *t, const uint8_t station[CA_KEYID_LEN], char held[17],
    bool *unconfirmed, pc_err *e) PC_CHECK;

/* At station add: the station holds the current transfer key. */
pc_rc ca_transfer_held_init(store_txn *t, const uint8_t keyid[CA_KEYID_LEN], pc_err *e) PC_CHECK;

/* import: the keys a request may be signed with, the enrolled stations'
 * (first, in sl order) and those a rekey replaced (after them, so that a
 * bundle signed by one is refused by name, ca_import_signer_check). */
pc_rc ca_import_trusted(ca_ctx *c, const ca_station_list_t *sl, tr_pubkey **keys, size_t *n,
    pc_err *e) PC_CHECK;
pc_rc ca_import_signer_check(ca_ctx *c, const tr_bundle *b, const tr_pubkey *keys,
    size_t nstations, const char *path, pc_err *e) PC_CHECK;
/* The key lines of a request, checked before anything is stored: the
 * transfer key it says it holds is the CA's current one; a new station
 * key is endorsed by the enrolled one and is nobody's key yet. */
typedef struct ca_import_keys {
	bool rekey;
	tr_pubkey newk;
	bool holds;
} ca_import_keys;
pc_rc ca_import_keys_check(ca_ctx *c, const ca_station *st, const tr_bundle *b,
    ca_import_keys *k, pc_err *e) PC_CHECK;
/* In the import's transaction, after the station's sequence: the station
 * record moved to the new key (audit station.rekey), the transfer key it
 * holds recorded (audit station.transfer-key), a rekey confirmed by a
 * bundle the new key signed. */
pc_rc ca_import_keys_apply(store_txn *t, const ca_station *st, const tr_bundle *b,
    const ca_import_keys *k, pc_err *e) PC_CHECK;

#endif
