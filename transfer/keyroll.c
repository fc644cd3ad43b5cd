/*
 * keyroll.c - a new key endorsed by the key it replaces (transfer.h
 * "keyroll.c"): the CA's next transfer key in a response, a station's
 * next key in a request.  The endorsement is an ordinary minisign
 * signature over the new public key file, so `minisign -V -p OLD.pub -m
 * NAME.pub` checks it without plantca.
 */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "tr_int.h"

static void keyroll_comment(const char *role, const tr_pubkey *oldk, const tr_pubkey *newk,
    char *out, size_t n)
{
	char o[17], w[17];

	tr_keyid_text(oldk->keyid, o);
	tr_keyid_text(newk->keyid, w);
	snprintf(out, n, "plantca-key-roll role=%s old=%s new=%s", role, o, w);
}

pc_rc tr_keyroll_make(const char *role, const tr_pubkey *oldk, const tr_pubkey *newk,
    tr_sign_fn sign, void *ctx, pc_buf *pubfile, pc_buf *sigfile, pc_err *e)
{
	char comment[TR_COMMENT_MAX + 1];

	tr_pubkey_format(newk, role, pubfile);
	if (!pc_buf_ok(pubfile))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	keyroll_comment(role, oldk, newk, comment, sizeof comment);
	return tr_minisig_make(pubfile->p, pubfile->len, oldk, comment, sign, ctx, sigfile, e);
}

static const tr_member *find_member(const tr_bundle *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nmembers; i++)
		if (strcmp(b->members[i].name, name) == 0)
			return &b->members[i];
	return NULL;
}

pc_rc tr_keyroll_verify(const tr_bundle *b, const char *role, const char *member,
    const char *newid, const tr_pubkey *oldk, tr_pubkey *newk, pc_err *e)
{
	char sname[TR_NAME_MAX + 1], what[2 * TR_NAME_MAX + 32], id[17], want[TR_COMMENT_MAX + 1];
	char tc[TR_COMMENT_MAX + 1];
	const tr_member *pm = find_member(b, member), *sm;
	size_t which = 0;

	snprintf(sname, sizeof sname, "%s%s", member, TR_ENDORSEMENT_SUFFIX);
	sm = find_member(b, sname);
	snprintf(what, sizeof what, "%s.tar: member %s", b->name, member);
	if (pm == NULL || sm == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: announces key %s without members %s and %s",
		    b->name, newid, member, sname);
	PC_TRY(tr_pubkey_parse(pm->data, pm->len, what, newk, e));
	tr_keyid_text(newk->keyid, id);
	if (strcmp(id, newid) != 0)
		return pc_fail(e, PC_E_BUNDLE, "%s: holds key %s, BUNDLE announces %s", what, id, newid);
	if (memcmp(newk->keyid, oldk->keyid, TR_KEYID_LEN) == 0 ||
	    sodium_memcmp(newk->pk, oldk->pk, TR_PK_LEN) == 0)
		return pc_fail(e, PC_E_BUNDLE, "%s: the new key is the key it is to replace", what);
	snprintf(what, sizeof what, "%s.tar: member %s", b->name, sname);
	{
		char oid[17];
		tr_keyid_text(oldk->keyid, oid);
		if (tr_minisig_verify(sm->data, sm->len, pm->data, pm->len, oldk, 1, what, &which, tc,
		    e) != PC_OK)
			return pc_wrap(e, "%s.tar: key %s is not endorsed by key %s, which it is to "
			    "replace", b->name, newid, oid);
	}
	keyroll_comment(role, oldk, newk, want, sizeof want);
	if (strcmp(tc, want) != 0)
		return pc_fail(e, PC_E_SIGNATURE, "%s: trusted comment is not \"%s\"", what, want);
	return PC_OK;
}
