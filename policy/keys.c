/*
 * keys.c - the keys of a [profile NAME] and a [segment NAME] section: what
 * each means, checked when its line is read.
 */
#include "policy_int.h"

#include <string.h>

#include "der.h"

PC_CHECK static pc_rc rule_for(struct parser *ps, const char *key, const char *name,
    struct attr_rule **out)
{
	struct profile *pr = ps->cur_prof;
	const char *oid = pol_attr_oid(name);
	size_t i;

	if (oid == NULL) {
		pc_buf tmp = PC_BUF_INIT;
		bool ok = name[0] >= '0' && name[0] <= '2' && pc_oid_from_text(&tmp, name);
		pc_buf_free(&tmp);
		if (!ok)
			return pol_perr(ps, "%s: unknown subject attribute '%s' (C ST L O OU CN "
			    "serialNumber DC UID emailAddress, or a dotted OID)", key, name);
		oid = name;
	}
	for (i = 0; i < pr->nrules; i++)
		if (strcmp(pr->rules[i].oid, oid) == 0) {
			*out = &pr->rules[i];
			return PC_OK;
		}
	if (pr->nrules >= ATTR_RULES_MAX)
		return pol_perr(ps, "%s: more than %d subject attributes named", key, ATTR_RULES_MAX);
	*out = &pr->rules[pr->nrules++];
	memset(*out, 0, sizeof **out);
	(*out)->name = pol_arena_dup(ps->p, name, strlen(name));
	(*out)->oid = oid == name ? (*out)->name : oid;
	return (*out)->name ? PC_OK : pc_fail(ps->e, PC_E_NOMEM, "out of memory");
}

PC_CHECK static pc_rc parse_attr_flags(struct parser *ps, const char *key, const char *v, unsigned flag)
{
	struct strlist l;
	size_t i;

	PC_TRY(pol_split_list(ps, key, v, &l));
	for (i = 0; i < l.n; i++) {
		struct attr_rule *r;
		PC_TRY(rule_for(ps, key, l.v[i], &r));
		if ((flag == RULE_FORBID && (r->flags & (RULE_ALLOW | RULE_REQUIRE))) ||
		    (flag != RULE_FORBID && (r->flags & RULE_FORBID)))
			return pol_perr(ps, "%s: '%s' is both forbidden and allowed", key, l.v[i]);
		r->flags |= flag;
	}
	return PC_OK;
}

pc_rc pol_profile_key(struct parser *ps, const char *key, const char *v)
{
	struct profile *pr = ps->cur_prof;
	policy *p = ps->p;
	const struct named *t;

	if (strcmp(key, "summary") == 0) {
		pr->summary = v;
	} else if (strcmp(key, "keys") == 0) {
		pr->keys_text = v;
		return pol_parse_keys(ps, key, v, pr);
	} else if (strcmp(key, "days") == 0) {
		return pol_parse_uint(ps, key, v, POLICY_DAYS_MAX, &pr->days);
	} else if (strcmp(key, "max-days") == 0) {
		return pol_parse_uint(ps, key, v, POLICY_DAYS_MAX, &pr->max_days);
	} else if (strcmp(key, "key-usage") == 0) {
		pr->ku_text = v;
		pr->has_ku = true;
		PC_TRY(pol_parse_ku(ps, key, v, &pr->ku));
		/* this set applies to EC and Ed25519 keys, which cannot encrypt
		 * (RFC 8813 §3, RFC 8410 §5) */
		if (pr->ku & (POLICY_KU_KEY_ENCIPHERMENT | POLICY_KU_DATA_ENCIPHERMENT))
			return pol_perr(ps, "key-usage: keyEncipherment/dataEncipherment are for RSA keys "
			    "only; put them in key-usage-rsa");
	} else if (strcmp(key, "key-usage-rsa") == 0) {
		pr->ku_rsa_text = v;
		pr->has_ku_rsa = true;
		PC_TRY(pol_parse_ku(ps, key, v, &pr->ku_rsa));
		if (pr->ku_rsa & POLICY_KU_KEY_AGREEMENT)
			return pol_perr(ps, "key-usage-rsa: keyAgreement is not an RSA key usage");
	} else if (strcmp(key, "ext-key-usage") == 0) {
		pr->eku_text = v;
		return pol_parse_eku(ps, key, v, pr);
	} else if (strcmp(key, "subject-require") == 0) {
		return parse_attr_flags(ps, key, v, RULE_REQUIRE);
	} else if (strcmp(key, "subject-allow") == 0) {
		return parse_attr_flags(ps, key, v, RULE_ALLOW);
	} else if (strcmp(key, "subject-forbid") == 0) {
		return parse_attr_flags(ps, key, v, RULE_FORBID);
	} else if (strncmp(key, "subject-match.", 14) == 0 || strncmp(key, "subject-set.", 12) == 0) {
		bool set = key[8] == 's';
		struct attr_rule *r;
		PC_TRY(rule_for(ps, key, key + (set ? 12 : 14), &r));
		if (r->flags & RULE_FORBID)
			return pol_perr(ps, "%s: the attribute is forbidden", key);
		if (set)
			r->set = v;
		else
			r->match = v;
	} else if (strcmp(key, "san-allow") == 0) {
		return pol_parse_san_types(ps, key, v, &pr->san_allow);
	} else if (strcmp(key, "san-require") == 0) {
		return pol_parse_san_types(ps, key, v, &pr->san_require);
	} else if (strcmp(key, "san-max") == 0) {
		return pol_parse_uint(ps, key, v, POLICY_SANS_MAX, &pr->san_max);
	} else if (strncmp(key, "san-max.", 8) == 0) {
		if ((t = pol_named_find(pol_san_names, pol_nsan_names, key + 8)) == NULL)
			return pol_perr(ps, "%s: unknown SAN type '%s' (dns, ip, uri, email)", key, key + 8);
		return pol_parse_uint(ps, key, v, POLICY_SANS_MAX, &pr->san_max_type[t->bit]);
	} else if (strcmp(key, "san-dns") == 0) {
		return pol_parse_dns_list(ps, key, v, &pr->dns, false);
	} else if (strcmp(key, "san-ip") == 0) {
		return pol_parse_iplist(ps, key, v, &pr->ip);
	} else if (strcmp(key, "san-uri") == 0) {
		return pol_split_list(ps, key, v, &pr->uri);
	} else if (strcmp(key, "san-email") == 0) {
		return pol_parse_dns_list(ps, key, v, &pr->email, false);
	} else if (strcmp(key, "ca") == 0) {
		if (!pol_name_ok(v))
			return pol_perr(ps, "ca: '%s' is not a CA name", v);
		pr->ca = v;
	} else if (strcmp(key, "approval") == 0) {
		if (strcmp(v, "auto") == 0)
			pr->approval = POLICY_APPROVAL_AUTO;
		else if (strcmp(v, "officer") == 0)
			pr->approval = POLICY_APPROVAL_OFFICER;
		else if (strcmp(v, "single") == 0)
			pr->approval = POLICY_APPROVAL_SINGLE;
		else
			return pol_perr(ps, "approval: '%s': expected auto, officer or single", v);
	} else if (strcmp(key, "renewal") == 0) {
		if (strcmp(v, "same-key") == 0)
			pr->renewal = POLICY_RENEWAL_SAME_KEY;
		else if (strcmp(v, "rekey-only") == 0)
			pr->renewal = POLICY_RENEWAL_REKEY_ONLY;
		else if (strcmp(v, "none") == 0)
			pr->renewal = POLICY_RENEWAL_NONE;
		else
			return pol_perr(ps, "renewal: '%s': expected same-key, rekey-only or none", v);
	} else {
		return pol_perr(ps, "unknown profile key '%s'", key);
	}
	(void)p;
	return PC_OK;
}

static bool station_ok(const char *s)
{
	size_t i;

	if (strlen(s) != STATION_ID_LEN)
		return false;
	for (i = 0; i < STATION_ID_LEN; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'A' && s[i] <= 'F')))
			return false;
	return true;
}

pc_rc pol_segment_key(struct parser *ps, const char *key, const char *v)
{
	struct segment *sg = ps->cur_seg;
	size_t i;

	/* a segment the file does not name keeps what stands for it outside
	 * the file: its stations' enrollment (plantca station add), its CA,
	 * and that CA's name constraints; the file adds its profiles only */
	if (sg == &ps->p->defseg && strcmp(key, "profiles") != 0)
		return pol_perr(ps, "[segment *] takes only 'profiles' (a segment the file does not name "
		    "keeps its enrolled stations, its CA and the CA's name constraints)");
	if (strcmp(key, "stations") == 0) {
		PC_TRY(pol_split_list(ps, key, v, &sg->stations));
		for (i = 0; i < sg->stations.n; i++)
			if (!station_ok(sg->stations.v[i]))
				return pol_perr(ps, "stations: '%s' is not a station key id (16 uppercase hex "
				    "digits)", sg->stations.v[i]);
	} else if (strcmp(key, "profiles") == 0) {
		sg->profiles_line = ps->line;
		return pol_split_list(ps, key, v, &sg->profiles);
	} else if (strcmp(key, "ca") == 0) {
		if (!pol_name_ok(v))
			return pol_perr(ps, "ca: '%s' is not a CA name", v);
		sg->ca = v;
	} else if (strcmp(key, "dns") == 0) {
		sg->dns_text = v;
		return pol_parse_dns_list(ps, key, v, &sg->dns, true);
	} else if (strcmp(key, "ip") == 0) {
		sg->ip_text = v;
		return pol_parse_iplist(ps, key, v, &sg->ip);
	} else if (strcmp(key, "uri") == 0) {
		sg->uri_text = v;
		return pol_split_list(ps, key, v, &sg->uri);
	} else if (strcmp(key, "email") == 0) {
		sg->email_text = v;
		return pol_parse_dns_list(ps, key, v, &sg->email, true);
	} else {
		return pol_perr(ps, "unknown segment key '%s'", key);
	}
	return PC_OK;
}
