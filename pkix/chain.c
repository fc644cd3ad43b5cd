/*
 * chain.c - path validation (chain.h).
 */
#include "chain.h"

#include <stdio.h>
#include <string.h>

#include "nc.h"

enum { CHAIN_SKEW = 0 };   /* no clock tolerance: certificates carry their own back-dating */

static bool same(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return al == bl && memcmp(a, b, al) == 0;
}

/* The memo (chain.h): was this exact signature over these exact bytes
 * already verified with this exact key? */
static bool memo_has(const pkix_chain_memo *m, const struct pkix_memo_entry *q)
{
	size_t i;

	for (i = 0; m != NULL && i < m->n; i++) {
		const struct pkix_memo_entry *x = &m->v[i];
		if (x->sigalg == q->sigalg && same(x->tbs, x->tbs_len, q->tbs, q->tbs_len) &&
		    same(x->sig, x->sig_len, q->sig, q->sig_len) &&
		    same(x->spki, x->spki_len, q->spki, q->spki_len))
			return true;
	}
	return false;
}

static void memo_add(pkix_chain_memo *m, const struct pkix_memo_entry *q)
{
	if (m != NULL && !m->frozen && m->n < PKIX_CHAIN_MEMO_MAX && !memo_has(m, q))
		m->v[m->n++] = *q;
}

/* Does the key in spki verify sig over tbs?  Remembered in the memo. */
PC_CHECK static pc_rc verify_signed(const uint8_t *tbs, size_t tbs_len, const pkix_sigalg *alg,
    const uint8_t *sig, size_t sig_len, const pkix_cert *issuer, pkix_chain_memo *memo,
    const char *what, pc_err *e)
{
	const struct pkix_memo_entry q = { tbs, sig, issuer->spki, tbs_len, sig_len,
		issuer->spki_len, alg };
	pkix_pubkey k;
	char label[200];

	if (memo_has(memo, &q))
		return PC_OK;
	pkix_cert_label(issuer, label, sizeof label);
	if (pkix_pubkey_parse(issuer->spki, issuer->spki_len, label, PC_E_SIGNATURE, &k, e) != PC_OK)
		return e->rc;
	PC_TRY(pkix_verify(&k, alg, tbs, tbs_len, sig, sig_len, what, e));
	memo_add(memo, &q);
	return PC_OK;
}

/* Does issuer's key verify c's signature? */
PC_CHECK static pc_rc signed_by(const pkix_cert *c, const pkix_cert *issuer, pkix_chain_memo *memo,
    const char *what, pc_err *e)
{
	if (c->sigalg == NULL || c->sig == NULL)
		return pc_fail(e, PC_E_SIGNATURE, "%s: signature algorithm not accepted", what);
	return verify_signed(c->tbs, c->tbs_len, c->sigalg, c->sig, c->sig_len, issuer, memo, what, e);
}

PC_CHECK static pc_rc crl_verify(const pkix_crl *crl, const pkix_cert *issuer, time_t now,
    pkix_chain_memo *memo, const char *what, pc_err *e)
{
	char label[200];

	pkix_cert_label(issuer, label, sizeof label);
	if (!same(crl->issuer, crl->issuer_len, issuer->subject, issuer->subject_len))
		return pc_fail(e, PC_E_SIGNATURE, "%s: not issued by %s", what, label);
	/* §6.3.3 (f): the CRL issuer must be allowed to sign CRLs */
	if ((issuer->flags & PKIX_CERT_F_KU) && !(issuer->ku & PKIX_KU_CRL_SIGN))
		return pc_fail(e, PC_E_SIGNATURE, "%s: issuer %s may not sign CRLs (keyUsage)", what,
		    label);
	if (crl->sigalg == NULL)
		return pc_fail(e, PC_E_SIGNATURE, "%s: signature algorithm not accepted", what);
	if (verify_signed(crl->tbs, crl->tbs_len, crl->sigalg, crl->sig, crl->sig_len, issuer, memo,
	    what, e) != PC_OK)
		return pc_wrap(e, "not signed by %s", label);
	if (now != 0) {
		if (crl->this_update > now)
			return pc_fail(e, PC_E_EXPIRED, "%s: issued in the future (thisUpdate)", what);
		if (crl->next_update != 0 && crl->next_update < now)
			return pc_fail(e, PC_E_EXPIRED, "%s is out of date (its nextUpdate has passed): "
			    "get a current CRL from the CA", what);
	}
	return PC_OK;
}

pc_rc pkix_crl_verify(const pkix_crl *crl, const pkix_cert *issuer, time_t now,
    pkix_chain_memo *memo, const char *what, pc_err *e)
{
	return crl_verify(crl, issuer, now, memo, what, e);
}

PC_CHECK static pc_rc dates(const pkix_cert *c, time_t now, const char *role, pc_err *e)
{
	char label[200];

	pkix_cert_label(c, label, sizeof label);
	if (now + CHAIN_SKEW < c->not_before)
		return pc_fail(e, PC_E_EXPIRED, "%s %s is not valid yet", role, label);
	if (now > c->not_after)
		return pc_fail(e, PC_E_EXPIRED, "%s %s has expired", role, label);
	return PC_OK;
}

/* Find the issuer of cur: anchors first, then the pool; the candidate's
 * subject must equal cur's issuer and its key must verify cur. */
static const pkix_cert *find_issuer(const pkix_cert *cur, const pkix_chain_opts *o,
    const pkix_chain *ch, bool *anchored, const pkix_cert **named)
{
	size_t k, j;
	pc_err ignored;

	*named = NULL;
	for (k = 0; k < o->nanchors + o->npool; k++) {
		const pkix_cert *cand = k < o->nanchors ? &o->anchors[k] : &o->pool[k - o->nanchors];
		bool loop = false;
		if (!same(cand->subject, cand->subject_len, cur->issuer, cur->issuer_len))
			continue;
		for (j = 0; j < ch->n; j++)
			loop = loop || same(ch->path[j]->der, ch->path[j]->len, cand->der, cand->len);
		if (loop)
			continue;
		if (*named == NULL)
			*named = cand;
		if (signed_by(cur, cand, o->memo, "candidate", &ignored) != PC_OK)
			continue;
		*anchored = k < o->nanchors;
		return cand;
	}
	return NULL;
}

PC_CHECK static pc_rc revocation(const pkix_cert *c, const pkix_cert *issuer, const pkix_chain_opts *o,
    const char *role, pc_err *e)
{
	size_t k;
	bool found = false;
	char label[200];

	pkix_cert_label(c, label, sizeof label);
	for (k = 0; k < o->ncrls; k++) {
		const pkix_crl *crl = &o->crls[k];
		unsigned reason;
		time_t when;
		char what[240];
		if (!same(crl->issuer, crl->issuer_len, issuer->subject, issuer->subject_len))
			continue;           /* another CA's CRL: not ours to judge */
		/* the CRL of another key of the same name (a rolled CA's other
		 * generation, §6.3.3 (f): the CRL must be signed by the key
		 * that issued the certificate) */
		if (crl->aki_len > 0 && issuer->ski_len > 0 &&
		    !same(crl->aki, crl->aki_len, issuer->ski, issuer->ski_len))
			continue;
		snprintf(what, sizeof what, "CRL %.200s", crl->name[0] ? crl->name : issuer->serial_hex);
		PC_TRY(crl_verify(crl, issuer, o->now, o->memo, what, e));
		found = true;
		if (pkix_crl_lookup(crl, c->serial, c->serial_len, &reason, &when))
			return pc_fail(e, PC_E_REVOKED, "%s %s is revoked (%s) by %s", role, c->serial_hex,
			    pkix_reason_name(reason), what);
	}
	if (!found && o->require_crls)
		return pc_fail(e, PC_E_REVOKED, "%s %s: no CRL from its issuer to check it against",
		    role, label);
	return PC_OK;
}

pc_rc pkix_chain_verify(const pkix_cert *target, const pkix_chain_opts *o, pkix_chain *out,
    pc_err *e)
{
	pkix_chain ch;
	bool anchored = false;
	const char *role = o->role ? o->role : "certificate";
	char label[200];
	size_t i, k;

	memset(&ch, 0, sizeof ch);
	ch.path[ch.n++] = target;
	/* a target that is itself an anchor, byte for byte, is trusted */
	for (k = 0; k < o->nanchors; k++)
		if (same(o->anchors[k].der, o->anchors[k].len, target->der, target->len))
			anchored = true;
	while (!anchored) {
		const pkix_cert *cur = ch.path[ch.n - 1], *up, *named;
		if (ch.n == PKIX_CHAIN_MAX) {
			pkix_cert_label(target, label, sizeof label);
			return pc_fail(e, PC_E_SIGNATURE, "%s %s: chain longer than %d certificates", role,
			    label, PKIX_CHAIN_MAX);
		}
		if ((up = find_issuer(cur, o, &ch, &anchored, &named)) == NULL) {
			char nl[200];
			pkix_cert_label(cur, label, sizeof label);
			if (named == NULL)
				return pc_fail(e, PC_E_SIGNATURE, "%s %s does not chain to a trusted root (no "
				    "issuer of that name is trusted or included)", cur == target ? role : "CA",
				    label);
			pkix_cert_label(named, nl, sizeof nl);
			return pc_fail(e, PC_E_SIGNATURE, "%s %s does not chain to a trusted root: its "
			    "signature does not verify with the key of %s, its issuer by name (forged, or "
			    "another CA of the same name)", cur == target ? role : "CA", label, nl);
		}
		ch.path[ch.n++] = up;
	}
	/* the issuers: CAs allowed to sign certificates, path lengths kept
	 * (§6.1.4 (k)-(n)); a v1 anchor is trusted as given */
	for (k = 1; k < ch.n; k++) {
		const pkix_cert *ca = ch.path[k];
		size_t between = 0, m;
		pkix_cert_label(ca, label, sizeof label);
		if (ca->version == 3 || k + 1 < ch.n) {
			if (!ca->is_ca)
				return pc_fail(e, PC_E_SIGNATURE, "issuer %s is not a CA (basicConstraints)",
				    label);
			if ((ca->flags & PKIX_CERT_F_KU) && !(ca->ku & PKIX_KU_KEY_CERT_SIGN))
				return pc_fail(e, PC_E_SIGNATURE, "issuer %s may not sign certificates "
				    "(keyUsage)", label);
		}
		/* pathLenConstraint: the non-self-issued CA certificates between
		 * this CA and the target */
		for (m = 1; m < k; m++)
			between += !pkix_cert_self_issued(ch.path[m]);
		if (ca->path_len >= 0 && between > (size_t)ca->path_len)
			return pc_fail(e, PC_E_SIGNATURE, "issuer %s: path length constraint (%d) "
			    "exceeded", label, ca->path_len);
	}
	/* every certificate below the anchor */
	for (i = 0; i + 1 < ch.n; i++) {
		const pkix_cert *c = ch.path[i];
		const char *r = i == 0 ? role : "CA";
		pkix_cert_label(c, label, sizeof label);
		if (i > 0 || !o->skip_target_dates)
			PC_TRY(dates(c, o->now, r, e));
		if (c->flags & PKIX_CERT_F_UNKNOWN_CRITICAL)
			return pc_fail(e, PC_E_SIGNATURE, "%s %s has a critical extension that is not "
			    "understood (RFC 5280 §4.2)", r, label);
		if (c->flags & PKIX_CERT_F_DUPLICATE_EXT)
			return pc_fail(e, PC_E_SIGNATURE, "%s %s has an extension twice (RFC 5280 §4.2)", r,
			    label);
		/* the name constraints of every CA above it; a self-issued
		 * intermediate is exempt (§6.1.4 (b)) */
		if (i == 0 || !pkix_cert_self_issued(c))
			for (k = i + 1; k < ch.n; k++)
				PC_TRY(pkix_nc_check(ch.path[k], c, i == 0 ? o->nc_flags : 0, label,
				    PC_E_POLICY, e));
		PC_TRY(revocation(c, ch.path[i + 1], o, r, e));
	}
	if (ch.n == 1 && !o->skip_target_dates)
		PC_TRY(dates(target, o->now, role, e));
	if (ch.n > 1)
		PC_TRY(dates(ch.path[ch.n - 1], o->now, "trusted", e));
	if (out != NULL)
		*out = ch;
	return PC_OK;
}
