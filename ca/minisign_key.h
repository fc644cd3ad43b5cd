/*
 * minisign_key.h - Ed25519 token keys in minisign form: the transfer key
 * signs bundles and the Ed25519 firmware signers sign .minisig files with
 * transfer/'s minisign writers (transfer.h), the token making each
 * signature (ca/minisign_key.c).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_MINISIGN_KEY_H
#define PLANTCA_MINISIGN_KEY_H

#include "hsm.h"
#include "transfer.h"

/* A tr_sign_fn for an Ed25519 token key (ctx = hsm_key *): CKM_EDDSA, the
 * signature checked by hsm_sign. */
pc_rc ca_token_ed25519_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[TR_SIG_LEN],
    pc_err *e) PC_CHECK;
/* The minisign public key of token key k under key id `keyid`.
 * PC_E_HSM_KEY when k is not Ed25519. */
pc_rc ca_token_minisign_pub(hsm_key *k, const uint8_t keyid[TR_KEYID_LEN], tr_pubkey *out,
    pc_err *e) PC_CHECK;

#endif
