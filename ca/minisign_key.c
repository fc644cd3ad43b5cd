/*
 * minisign_key.c - Ed25519 token keys in minisign form (minisign_key.h).
 */
#include "minisign_key.h"

#include <string.h>

#include "pkix.h"

pc_rc ca_token_ed25519_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[TR_SIG_LEN],
    pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	pc_rc rc = hsm_sign(ctx, msg, len, &b, e);

	if (rc == PC_OK && b.len != TR_SIG_LEN)
		rc = pc_fail(e, PC_E_HSM_FAIL, "the token made a %zu-byte Ed25519 signature", b.len);
	if (rc == PC_OK)
		memcpy(sig, b.p, TR_SIG_LEN);
	pc_buf_free(&b);
	return rc;
}

_Static_assert((int)TR_PK_LEN == (int)PKIX_ED25519_PK_LEN, "Ed25519 public keys");

pc_rc ca_token_minisign_pub(hsm_key *k, const uint8_t keyid[TR_KEYID_LEN], tr_pubkey *out,
    pc_err *e)
{
	size_t len = 0;
	const uint8_t *spki = hsm_key_spki(k, &len);
	const uint8_t *pk = pkix_ed25519_raw(spki, len);

	if (pk == NULL)
		return pc_fail(e, PC_E_HSM_KEY, "the token key is not Ed25519");
	memcpy(out->keyid, keyid, TR_KEYID_LEN);
	memcpy(out->pk, pk, TR_PK_LEN);
	return PC_OK;
}
