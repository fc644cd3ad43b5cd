/*
 * policy.c - a parsed policy: the arena its strings live in, the name tables
 * of the file format, and lookups in a policy.  The files of policy/ and
 * their jobs: policy_int.h.
 */
#include "policy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oid.h"

char *pol_arena_dup(policy *p, const char *s, size_t n)
{
	struct chunk *c = malloc(sizeof *c + n + 1);

	if (c == NULL)
		return NULL;
	memcpy(c->data, s, n);
	c->data[n] = '\0';
	c->next = p->arena;
	p->arena = c;
	return c->data;
}

void policy_free(policy *p)
{
	struct chunk *c, *n;

	if (p == NULL)
		return;
	for (c = p->arena; c != NULL; c = n) {
		n = c->next;
		free(c);
	}
	free(p->prof);
	free(p->seg);
	free(p);
}

/* Subject attributes a profile may name, by their names in the OID table
 * (pkix/oids.def): C ST L O OU CN serialNumber DC UID emailAddress. */
static const pkix_oid attr_ids[] = {
	PKIX_OID_AT_C, PKIX_OID_AT_ST, PKIX_OID_AT_L, PKIX_OID_AT_O, PKIX_OID_AT_OU, PKIX_OID_AT_CN,
	PKIX_OID_AT_SERIAL, PKIX_OID_AT_DC, PKIX_OID_AT_UID, PKIX_OID_AT_EMAIL,
};

const struct named pol_ku_names[] = {
	{ "digitalSignature", NULL, POLICY_KU_DIGITAL_SIGNATURE },
	{ "nonRepudiation", NULL, POLICY_KU_NON_REPUDIATION },
	{ "contentCommitment", NULL, POLICY_KU_NON_REPUDIATION },
	{ "keyEncipherment", NULL, POLICY_KU_KEY_ENCIPHERMENT },
	{ "dataEncipherment", NULL, POLICY_KU_DATA_ENCIPHERMENT },
	{ "keyAgreement", NULL, POLICY_KU_KEY_AGREEMENT },
	{ "keyCertSign", NULL, POLICY_KU_KEY_CERT_SIGN },
	{ "cRLSign", NULL, POLICY_KU_CRL_SIGN },
};

/* Key purposes a profile may name (RFC 5280 §4.2.1.12), by their table names. */
static const pkix_oid eku_ids[] = {
	PKIX_OID_KP_SERVER_AUTH, PKIX_OID_KP_CLIENT_AUTH, PKIX_OID_KP_CODE_SIGNING,
	PKIX_OID_KP_EMAIL, PKIX_OID_KP_TIME_STAMPING, PKIX_OID_KP_OCSP_SIGNING,
	/* RFC 6402 §2.10: a CMP registration authority (plantca-station's RA
	 * certificate, RFC 9483 §3.3) */
	PKIX_OID_KP_CMC_RA,
};

const struct named pol_san_names[] = {
	{ "dns", NULL, POLICY_SAN_DNS }, { "ip", NULL, POLICY_SAN_IP },
	{ "uri", NULL, POLICY_SAN_URI }, { "email", NULL, POLICY_SAN_EMAIL },
};

const size_t pol_nku_names = NELEM(pol_ku_names);
const size_t pol_nsan_names = NELEM(pol_san_names);

const struct named *pol_named_find(const struct named *t, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(t[i].name, s) == 0)
			return &t[i];
	return NULL;
}

/* The dotted OID of purpose `name` ("serverAuth"), NULL if not ours. */
const char *pol_eku_oid(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(eku_ids); i++)
		if (strcmp(pkix_oid_name(eku_ids[i]), name) == 0)
			return pkix_oid_dotted(eku_ids[i]);
	return NULL;
}

const char *pol_attr_oid(const char *name)
{
	size_t i;

	for (i = 0; i < NELEM(attr_ids); i++)
		if (strcmp(pkix_oid_name(attr_ids[i]), name) == 0)
			return pkix_oid_dotted(attr_ids[i]);
	return NULL;
}

const char *pol_attr_name_of(const char *oid)
{
	size_t i;

	for (i = 0; i < NELEM(attr_ids); i++)
		if (strcmp(pkix_oid_dotted(attr_ids[i]), oid) == 0)
			return pkix_oid_name(attr_ids[i]);
	return oid;
}

const char *policy_san_type_name(policy_san_type t)
{
	switch (t) {
	case POLICY_SAN_DNS: return "dNSName";
	case POLICY_SAN_IP: return "iPAddress";
	case POLICY_SAN_URI: return "URI";
	case POLICY_SAN_EMAIL: return "rfc822Name";
	}
	return "?";
}

const char *policy_key_name(policy_key k, unsigned bits, char *buf, size_t n)
{
	switch (k) {
	case POLICY_KEY_EC_P256: snprintf(buf, n, "ec-p256"); break;
	case POLICY_KEY_EC_P384: snprintf(buf, n, "ec-p384"); break;
	case POLICY_KEY_ED25519: snprintf(buf, n, "ed25519"); break;
	case POLICY_KEY_RSA: snprintf(buf, n, "rsa-%u", bits); break;
	default: snprintf(buf, n, "unknown"); break;
	}
	return buf;
}

const char *policy_hash(const policy *p) { return p->hash; }
const char *policy_source(const policy *p) { return p->source; }
const char *policy_profile_names(const policy *p) { return p->names; }

const struct profile *pol_find_profile(const policy *p, const char *name)
{
	size_t i;

	for (i = 0; name && i < p->nprof; i++)
		if (strcmp(p->prof[i].name, name) == 0)
			return &p->prof[i];
	return NULL;
}

const struct segment *pol_find_segment(const policy *p, const char *name)
{
	size_t i;

	for (i = 0; name && i < p->nseg; i++)
		if (strcmp(p->seg[i].name, name) == 0)
			return &p->seg[i];
	return NULL;
}

bool policy_has_profile(const policy *p, const char *name)
{
	return pol_find_profile(p, name) != NULL;
}

bool policy_has_segment(const policy *p, const char *name)
{
	return pol_find_segment(p, name) != NULL;
}

bool policy_covers_segment(const policy *p, const char *name)
{
	return name != NULL && (p->has_defseg || pol_find_segment(p, name) != NULL);
}

bool policy_profile_approval(const policy *p, const char *name, policy_approval *out)
{
	const struct profile *pr = pol_find_profile(p, name);

	if (pr == NULL)
		return false;
	*out = pr->approval;
	return true;
}

bool policy_profile_renewal(const policy *p, const char *name, policy_renewal *out)
{
	const struct profile *pr = pol_find_profile(p, name);

	if (pr == NULL)
		return false;
	*out = pr->renewal;
	return true;
}

const char *policy_renewal_name(policy_renewal r)
{
	switch (r) {
	case POLICY_RENEWAL_SAME_KEY: return "same-key";
	case POLICY_RENEWAL_REKEY_ONLY: return "rekey-only";
	case POLICY_RENEWAL_NONE: return "none";
	}
	return "?";
}

unsigned policy_max_days(const policy *p, unsigned limit, const char **profile)
{
	unsigned best = 0;
	size_t i;

	*profile = NULL;
	for (i = 0; i < p->nprof; i++) {
		if (p->prof[i].days > best && p->prof[i].days <= limit) {
			best = p->prof[i].days;
			*profile = p->prof[i].name;
		}
	}
	return best;
}

void pol_list_text(const struct strlist *l, char *out, size_t n)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < l->n && off < n; i++) {
		int w = snprintf(out + off, n - off, "%s%s", i ? ", " : "", l->v[i]);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}

void pol_iplist_text(const struct iplist *l, char *out, size_t n)
{
	size_t i, off = 0;

	out[0] = '\0';
	for (i = 0; i < l->n && off < n; i++) {
		int w = snprintf(out + off, n - off, "%s%s", i ? ", " : "", l->v[i].text);
		if (w < 0)
			break;
		off += (size_t)w;
	}
}
