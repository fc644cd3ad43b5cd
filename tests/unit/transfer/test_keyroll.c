/*
 * test_keyroll.c - the endorsement of a new key by the old one
 * (transfer.h "keyroll.c"): made, verified, and each bad endorsement
 * refused with its exact message.  The integration test t_key_roll checks
 * the same members with stock minisign and through the real programs.
 */
#include <sodium.h>
#include <string.h>

#include "check.h"
#include "transfer.h"

static void key_from_seed(uint8_t fill, tr_pubkey *pub, tr_seckey *sk)
{
	uint8_t seed[32];

	memset(seed, fill, sizeof seed);
	sk->sk = sodium_malloc(64);
	CHECK(sk->sk != NULL);
	crypto_sign_seed_keypair(pub->pk, sk->sk, seed);
	memset(pub->keyid, fill, TR_KEYID_LEN);
	pub->keyid[0] = 'k';
	memcpy(sk->keyid, pub->keyid, TR_KEYID_LEN);
}

/* A bundle of the two members, as a reader would hand it over. */
static void bundle_of(tr_bundle *b, tr_member m[2], const pc_buf *pub, const pc_buf *sig)
{
	memset(b, 0, sizeof *b);
	snprintf(b->name, sizeof b->name, "line3-response-000005");
	snprintf(m[0].name, sizeof m[0].name, "%s", TR_TRANSFER_KEY_MEMBER);
	m[0].data = pub->p;
	m[0].len = pub->len;
	snprintf(m[1].name, sizeof m[1].name, "%s%s", TR_TRANSFER_KEY_MEMBER, TR_ENDORSEMENT_SUFFIX);
	m[1].data = sig->p;
	m[1].len = sig->len;
	b->members = m;
	b->nmembers = 2;
}

int main(void)
{
	tr_pubkey oldk, newk, other, got;
	tr_seckey olds = { { 0 }, NULL }, news = { { 0 }, NULL }, others = { { 0 }, NULL };
	pc_buf pub = PC_BUF_INIT, sig = PC_BUF_INIT, pub2 = PC_BUF_INIT, sig2 = PC_BUF_INIT;
	tr_member m[2];
	tr_bundle b;
	char newid[17], oldid[17], otherid[17], want[300];

	CHECK(sodium_init() >= 0);
	key_from_seed(1, &oldk, &olds);
	key_from_seed(2, &newk, &news);
	key_from_seed(3, &other, &others);
	tr_keyid_text(newk.keyid, newid);
	tr_keyid_text(oldk.keyid, oldid);
	tr_keyid_text(other.keyid, otherid);

	/* good: the new key, endorsed by the old one */
	CHECK_OK(tr_keyroll_make("transfer", &oldk, &newk, tr_seckey_sign, &olds, &pub, &sig, &t_err));
	bundle_of(&b, m, &pub, &sig);
	CHECK_OK(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, newid, &oldk, &got, &t_err));
	CHECK(memcmp(&got, &newk, sizeof got) == 0);

	/* announced under another id */
	CHECK_RC(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, otherid, &oldk, &got,
	    &t_err), PC_E_BUNDLE);
	snprintf(want, sizeof want, "line3-response-000005.tar: member transfer-key.pub: holds key "
	    "%s, BUNDLE announces %s", newid, otherid);
	CHECK(strcmp(t_err.msg, want) == 0);

	/* the role the signature was made for is part of it */
	CHECK_RC(tr_keyroll_verify(&b, "station", TR_TRANSFER_KEY_MEMBER, newid, &oldk, &got, &t_err),
	    PC_E_SIGNATURE);
	snprintf(want, sizeof want, "line3-response-000005.tar: member transfer-key.pub.minisig: "
	    "trusted comment is not \"plantca-key-roll role=station old=%s new=%s\"", oldid, newid);
	CHECK(strcmp(t_err.msg, want) == 0);

	/* checked against a key that did not make it */
	CHECK_RC(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, newid, &other, &got, &t_err),
	    PC_E_SIGNATURE);
	snprintf(want, sizeof want, "line3-response-000005.tar: key %s is not endorsed by key %s, "
	    "which it is to replace: line3-response-000005.tar: member transfer-key.pub.minisig: "
	    "signed by unknown key %s", newid, otherid, oldid);
	CHECK(strcmp(t_err.msg, want) == 0);

	/* signed by another key than the one it replaces */
	CHECK_OK(tr_keyroll_make("transfer", &other, &newk, tr_seckey_sign, &others, &pub2, &sig2,
	    &t_err));
	bundle_of(&b, m, &pub, &sig2);
	CHECK_RC(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, newid, &oldk, &got, &t_err),
	    PC_E_SIGNATURE);
	CHECK_MSG("is not endorsed by key");
	CHECK_MSG("signed by unknown key");

	/* the key file changed after it was signed */
	pub.p[pub.len - 3] ^= 1;
	bundle_of(&b, m, &pub, &sig);
	CHECK(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, newid, &oldk, &got, &t_err) !=
	    PC_OK);
	pub.p[pub.len - 3] ^= 1;

	/* the key it is to replace, endorsed by itself */
	pub2.len = sig2.len = 0;
	CHECK_OK(tr_keyroll_make("transfer", &oldk, &oldk, tr_seckey_sign, &olds, &pub2, &sig2, &t_err));
	bundle_of(&b, m, &pub2, &sig2);
	CHECK_RC(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, oldid, &oldk, &got, &t_err),
	    PC_E_BUNDLE);
	CHECK_MSG("member transfer-key.pub: the new key is the key it is to replace");

	/* a member missing; a key file that is not one */
	bundle_of(&b, m, &pub, &sig);
	b.nmembers = 1;
	CHECK_RC(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, newid, &oldk, &got, &t_err),
	    PC_E_BUNDLE);
	snprintf(want, sizeof want, "line3-response-000005.tar: announces key %s without members "
	    "transfer-key.pub and transfer-key.pub.minisig", newid);
	CHECK(strcmp(t_err.msg, want) == 0);
	m[0].data = (const uint8_t *)"not a key\n";
	m[0].len = 10;
	b.nmembers = 2;
	CHECK_RC(tr_keyroll_verify(&b, "transfer", TR_TRANSFER_KEY_MEMBER, newid, &oldk, &got, &t_err),
	    PC_E_INPUT);
	CHECK_MSG("line3-response-000005.tar: member transfer-key.pub: not a minisign public key");

	pc_buf_free(&pub);
	pc_buf_free(&sig);
	pc_buf_free(&pub2);
	pc_buf_free(&sig2);
	tr_seckey_free(&olds);
	tr_seckey_free(&news);
	tr_seckey_free(&others);
	printf("keyroll: 9 cases\n");
	return 0;
}
