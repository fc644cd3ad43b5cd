/*
 * keys.c - the token's key pairs as a whole: list the pairs whose label
 * starts with a prefix (one CA home's keys), tell whether a key URI names
 * one, destroy one.  `plantca keys` (ca/keys.c) decides which pairs are
 * unused; this file only knows objects.
 *
 * A pair is the private and the public key object with the same CKA_ID and
 * CKA_LABEL.  Either may be missing: a removal killed between its two
 * destroys leaves the public object alone, and such a half is listed (and
 * can be destroyed) like a whole pair.
 */
#include "hsm_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fault.h"

enum {
	HSM_OBJECTS_MAX = 1000000,   /* objects on one token we are prepared to list */
	HSM_FIND_BATCH = 256,
};

bool hsm_pair_named_by(hsm *h, const hsm_pair *p, const char *uri)
{
	P11KitUri *u = p11_kit_uri_new();
	CK_ATTRIBUTE *aid, *alabel;
	bool yes = false;

	if (u == NULL || uri == NULL)
		goto out;
	if (p11_kit_uri_parse(uri, P11_KIT_URI_FOR_ANY, u) != P11_KIT_URI_OK ||
	    !hsm_uri_matches(h, u))
		goto out;
	aid = p11_kit_uri_get_attribute(u, CKA_ID);
	alabel = p11_kit_uri_get_attribute(u, CKA_LABEL);
	if (aid == NULL && alabel == NULL)
		goto out;
	/* what the URI says must all hold; plantca's URIs say both */
	yes = (aid == NULL || (aid->ulValueLen == p->id_len &&
	    memcmp(aid->pValue, p->id, p->id_len) == 0)) &&
	    (alabel == NULL || (alabel->ulValueLen == strlen(p->label) &&
	    memcmp(alabel->pValue, p->label, alabel->ulValueLen) == 0));
out:
	p11_kit_uri_free(u);
	return yes;
}

/* ---- listing ---- */

/* Every object handle on the token (those a logged-in user sees). */
PC_CHECK static pc_rc all_objects(hsm *h, CK_OBJECT_HANDLE **out, size_t *n, pc_err *e)
{
	CK_OBJECT_HANDLE *v = NULL, *nv;
	size_t cap = 0;
	CK_ULONG got;
	CK_RV rv, rv2;
	pc_rc rc = PC_OK;

	*out = NULL;
	*n = 0;
	rv = h->f->C_FindObjectsInit(h->session, NULL, 0);
	if (rv != CKR_OK)
		return hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_FindObjectsInit",
		    "listing the objects of token \"%s\"", h->label);
	for (;;) {
		if (*n + HSM_FIND_BATCH > cap) {
			if (cap >= HSM_OBJECTS_MAX) {
				rc = pc_fail(e, PC_E_HSM_FAIL, "token \"%s\": more than %d objects",
				    h->label, HSM_OBJECTS_MAX);
				break;
			}
			cap = cap ? 2 * cap : 4 * HSM_FIND_BATCH;
			nv = realloc(v, cap * sizeof *v);
			if (nv == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "token \"%s\": out of memory", h->label);
				break;
			}
			v = nv;
		}
		rv = h->f->C_FindObjects(h->session, v + *n, HSM_FIND_BATCH, &got);
		if (rv != CKR_OK) {
			rc = hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_FindObjects",
			    "listing the objects of token \"%s\"", h->label);
			break;
		}
		if (got == 0)
			break;
		*n += got;
	}
	rv2 = h->f->C_FindObjectsFinal(h->session);
	if (rc == PC_OK && rv2 != CKR_OK)
		rc = hsm_ck_fail(e, PC_E_HSM_FAIL, rv2, "C_FindObjectsFinal",
		    "listing the objects of token \"%s\"", h->label);
	if (rc != PC_OK) {
		free(v);
		*n = 0;
		return rc;
	}
	*out = v;
	return PC_OK;
}

/* The pair with this id and label in l, or a new one. */
static hsm_pair *pair_of(hsm_pairs *l, const uint8_t *id, size_t id_len, const char *label)
{
	hsm_pair *p, *nv;
	size_t i;

	for (i = 0; i < l->n; i++) {
		p = &l->v[i];
		if (p->id_len == id_len && memcmp(p->id, id, id_len) == 0 &&
		    strcmp(p->label, label) == 0)
			return p;
	}
	nv = realloc(l->v, (l->n + 1) * sizeof *nv);
	if (nv == NULL)
		return NULL;
	l->v = nv;
	p = &l->v[l->n];
	memset(p, 0, sizeof *p);
	p->label = strdup(label);
	p->id = malloc(id_len ? id_len : 1);
	if (p->label == NULL || p->id == NULL) {
		free(p->label);
		free(p->id);
		return NULL;
	}
	memcpy(p->id, id, id_len);
	p->id_len = id_len;
	l->n++;
	return p;
}

/* Open a pair that has its private key as hsm_key_open does, for its
 * algorithm and public key; a pair that does not open says why. */
PC_CHECK static pc_rc describe(hsm *h, hsm_pair *p, pc_err *e)
{
	hsm_key *k = NULL;
	pc_err ke;
	size_t n;
	const uint8_t *spki;

	p->uri = hsm_uri_text(h, p->id, p->id_len, p->label);
	if (p->uri == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if (p->npriv == 0) {
		p->note = strdup("public key object only: no private key");
	} else if (p->npriv > 1 || p->npub > 1) {
		p->note = strdup("more than one object of a kind with this CKA_ID and label");
	} else if (hsm_key_open(h, p->uri, &k, &ke) != PC_OK) {
		p->note = strdup(ke.msg);
	} else {
		p->alg = hsm_key_alg(k);
		spki = hsm_key_spki(k, &n);
		p->spki = malloc(n);
		if (p->spki != NULL) {
			memcpy(p->spki, spki, n);
			p->spki_len = n;
		}
		hsm_key_free(k);
		if (p->spki == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		return PC_OK;
	}
	if (p->note == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	return PC_OK;
}

pc_rc hsm_pairs_list(hsm *h, const char *prefix, hsm_pairs *out, pc_err *e)
{
	CK_OBJECT_HANDLE *objs = NULL;
	CK_OBJECT_CLASS cls;
	uint8_t *id = NULL, *lab = NULL;
	size_t nobj = 0, i, id_len, lab_len, plen = strlen(prefix);
	char what[HSM_WHAT_MAX], *label = NULL;
	hsm_pair *p;
	pc_rc rc = PC_OK;

	memset(out, 0, sizeof *out);
	if (!h->logged_in)
		return pc_fail(e, PC_E_STATE, "token \"%s\": not logged in", h->label);
	PC_TRY(all_objects(h, &objs, &nobj, e));
	for (i = 0; i < nobj && rc == PC_OK; i++) {
		snprintf(what, sizeof what, "object %lu on token \"%s\"", (unsigned long)objs[i],
		    h->label);
		rc = hsm_attr_fixed(h, objs[i], CKA_CLASS, "CKA_CLASS", what, &cls, sizeof cls, e);
		if (rc != PC_OK)
			break;
		if (cls != CKO_PRIVATE_KEY && cls != CKO_PUBLIC_KEY) {
			out->others++;
			continue;
		}
		rc = hsm_attr_get(h, objs[i], CKA_LABEL, "CKA_LABEL", what, &lab, &lab_len, e);
		if (rc != PC_OK)
			break;
		if (lab_len < plen || memcmp(lab, prefix, plen) != 0 || lab_len > HSM_LABEL_MAX ||
		    memchr(lab, 0, lab_len) != NULL) {
			out->others++;
			free(lab);
			lab = NULL;
			continue;
		}
		label = strndup((const char *)lab, lab_len);
		if (label == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		rc = hsm_attr_get(h, objs[i], CKA_ID, "CKA_ID", what, &id, &id_len, e);
		if (rc != PC_OK)
			break;
		p = pair_of(out, id, id_len, label);
		if (p == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		if (cls == CKO_PRIVATE_KEY)
			p->npriv++;
		else
			p->npub++;
		free(lab);
		free(id);
		free(label);
		lab = id = NULL;
		label = NULL;
	}
	free(lab);
	free(id);
	free(label);
	free(objs);
	for (i = 0; rc == PC_OK && i < out->n; i++)
		rc = describe(h, &out->v[i], e);
	if (rc != PC_OK)
		hsm_pairs_free(out);
	return rc;
}

void hsm_pairs_free(hsm_pairs *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].label);
		free(l->v[i].id);
		free(l->v[i].uri);
		free(l->v[i].spki);
		free(l->v[i].note);
	}
	free(l->v);
	memset(l, 0, sizeof *l);
}

/* ---- destroying ---- */

PC_CHECK static pc_rc destroy_class(hsm *h, const hsm_pair *p, CK_OBJECT_CLASS cls,
    const char *what, pc_err *e)
{
	CK_OBJECT_HANDLE found[4];
	CK_ULONG count, i;
	CK_ATTRIBUTE t[] = {
		{ CKA_CLASS, &cls, sizeof cls },
		{ CKA_ID, p->id, p->id_len },
		{ CKA_LABEL, p->label, strlen(p->label) },
	};
	CK_RV rv;

	PC_TRY(hsm_find_objects(h, t, 3, found, 4, &count, what, e));
	for (i = 0; i < count; i++) {
		/* the token forgets a key: a durable step (common/fault.h) */
		PC_TRY(PC_FAULT("hsm.destroy", what, e));
		rv = h->f->C_DestroyObject(h->session, found[i]);
		if (rv != CKR_OK)
			return hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_DestroyObject", "%s: %s key",
			    what, cls == CKO_PRIVATE_KEY ? "private" : "public");
	}
	return PC_OK;
}

pc_rc hsm_pair_destroy(hsm *h, const hsm_pair *p, pc_err *e)
{
	char what[HSM_WHAT_MAX];

	snprintf(what, sizeof what, "key \"%.*s\" on token \"%s\"", HSM_WHAT_MAX / 2, p->label,
	    h->label);
	if (!h->logged_in)
		return pc_fail(e, PC_E_STATE, "%s: not logged in to the token", what);
	/* the private key first: stopped half-way, what is left is public */
	PC_TRY(destroy_class(h, p, CKO_PRIVATE_KEY, what, e));
	return destroy_class(h, p, CKO_PUBLIC_KEY, what, e);
}
