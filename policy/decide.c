/*
 * decide.c - policy_decide: a request against its profile and segment, every
 * violated rule as text, and what the certificate carries.
 */
#include "policy_int.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "text.h"

static void violation(policy_decision *d, const char *fmt, ...) PC_PRINTF(2, 3);
static void violation(policy_decision *d, const char *fmt, ...)
{
	va_list ap;

	d->allow = false;
	if (d->nviolations < POLICY_VIOLATIONS_MAX) {
		va_start(ap, fmt);
		vsnprintf(d->violations[d->nviolations], POLICY_VIOLATION_LEN, fmt, ap);
		va_end(ap);
	}
	d->nviolations++;
}

static void san_text(const policy_san *s, char *out, size_t n)
{
	if (s->type == POLICY_SAN_IP) {
		if (s->len == 4)
			inet_ntop(AF_INET, s->val, out, (socklen_t)n);
		else if (s->len == 16)
			inet_ntop(AF_INET6, s->val, out, (socklen_t)n);
		else
			snprintf(out, n, "(bad address)");
	} else {
		(void)pc_text_quote(out, n, s->val, s->len);   /* from the request */
	}
}

static bool strlist_has(const struct strlist *l, const char *s)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return true;
	return false;
}

static bool key_allowed(const struct profile *pr, policy_key k, unsigned bits)
{
	size_t i;

	if (k == POLICY_KEY_RSA) {
		for (i = 0; i < pr->nrsa; i++)
			if (pr->rsa_bits[i] == bits)
				return true;
		return false;
	}
	return (pr->keys & (1u << k)) != 0;
}

static const struct attr_rule *rule_find(const struct profile *pr, const char *oid)
{
	size_t i;

	for (i = 0; i < pr->nrules; i++)
		if (strcmp(pr->rules[i].oid, oid) == 0)
			return &pr->rules[i];
	return NULL;
}

static void decide_subject(const struct profile *pr, const policy_request *r, policy_decision *d)
{
	size_t i, j;

	/* the template first (most general attributes, as the file lists them) */
	for (i = 0; i < pr->nrules; i++)
		if (pr->rules[i].set != NULL && d->nsubject < POLICY_ATTRS_MAX) {
			d->subject[d->nsubject].oid = pr->rules[i].oid;
			d->subject[d->nsubject].value = pr->rules[i].set;
			d->subject[d->nsubject].from_request = -1;
			d->nsubject++;
		}
	if (r->nsubject > POLICY_ATTRS_MAX) {
		violation(d, "subject has %zu attributes, more than %d", r->nsubject, POLICY_ATTRS_MAX);
		return;
	}
	for (i = 0; i < r->nsubject; i++) {
		const policy_attr *a = &r->subject[i];
		const struct attr_rule *rule = rule_find(pr, a->oid);
		const char *an = pol_attr_name_of(a->oid);
		char q[80];    /* the request's value, display-escaped (it is stored and shown) */

		(void)pc_text_quote(q, sizeof q, a->value, strlen(a->value));
		if (rule == NULL || (rule->flags & RULE_FORBID)) {
			violation(d, "subject attribute %s='%s' is %s by profile %s", an, q,
			    rule ? "forbidden" : "not allowed", pr->name);
			continue;
		}
		if (rule->set != NULL) {
			if (strcmp(rule->set, a->value) != 0)
				violation(d, "subject %s '%s' differs from profile %s's fixed value '%s'",
				    an, q, pr->name, rule->set);
			continue;      /* the template's copy goes in */
		}
		if (!(rule->flags & (RULE_ALLOW | RULE_REQUIRE)) && rule->match == NULL) {
			violation(d, "subject attribute %s='%s' is not allowed by profile %s", an,
			    q, pr->name);
			continue;
		}
		if (rule->match != NULL && !policy_glob(rule->match, a->value, strlen(a->value))) {
			violation(d, "subject %s '%s' does not match profile %s's pattern '%s'", an,
			    q, pr->name, rule->match);
			continue;
		}
		if (d->nsubject < POLICY_ATTRS_MAX) {
			d->subject[d->nsubject].oid = a->oid;
			d->subject[d->nsubject].value = a->value;
			d->subject[d->nsubject].from_request = (int)i;
			d->nsubject++;
		}
	}
	for (i = 0; i < pr->nrules; i++) {
		const struct attr_rule *rule = &pr->rules[i];
		bool have = rule->set != NULL;
		if (!(rule->flags & RULE_REQUIRE))
			continue;
		for (j = 0; j < r->nsubject && !have; j++)
			have = strcmp(r->subject[j].oid, rule->oid) == 0;
		if (!have)
			violation(d, "subject attribute %s is required by profile %s", rule->name, pr->name);
	}
}

static void decide_san(const struct profile *pr, const struct segment *sg, const policy_request *r,
    policy_decision *d)
{
	unsigned count[SAN_TYPES] = { 0 };
	bool have_required = pr->san_require == 0;
	char v[256], list[512];
	size_t i;

	if (r->nsan > POLICY_SANS_MAX || (pr->san_max && r->nsan > pr->san_max)) {
		violation(d, "%zu SANs exceed profile %s's maximum of %u", r->nsan, pr->name,
		    pr->san_max ? pr->san_max : POLICY_SANS_MAX);
		return;
	}
	for (i = 0; i < r->nsan; i++) {
		const policy_san *s = &r->san[i];
		const char *tn = policy_san_type_name(s->type);
		const char *txt = (const char *)s->val;
		bool ok;
		size_t k;

		if (s->type != POLICY_SAN_DNS && s->type != POLICY_SAN_IP && s->type != POLICY_SAN_URI &&
		    s->type != POLICY_SAN_EMAIL) {
			violation(d, "SAN of unknown type %d", (int)s->type);
			continue;
		}
		san_text(s, v, sizeof v);
		count[s->type]++;
		if (!(pr->san_allow & (1u << s->type))) {
			violation(d, "SAN %s '%s' is not allowed by profile %s", tn, v, pr->name);
			continue;
		}
		if (pr->san_require & (1u << s->type))
			have_required = true;
		/* the profile's own patterns */
		ok = true;
		switch (s->type) {
		case POLICY_SAN_DNS:
			if (pr->dns.n) {
				for (ok = false, k = 0; k < pr->dns.n && !ok; k++)
					ok = policy_glob(pr->dns.v[k], txt, s->len);
				pol_list_text(&pr->dns, list, sizeof list);
			}
			break;
		case POLICY_SAN_EMAIL:
			if (pr->email.n) {
				for (ok = false, k = 0; k < pr->email.n && !ok; k++)
					ok = policy_glob(pr->email.v[k], txt, s->len);
				pol_list_text(&pr->email, list, sizeof list);
			}
			break;
		case POLICY_SAN_URI:
			if (pr->uri.n) {
				for (ok = false, k = 0; k < pr->uri.n && !ok; k++)
					ok = s->len >= strlen(pr->uri.v[k]) &&
					    memcmp(txt, pr->uri.v[k], strlen(pr->uri.v[k])) == 0;
				pol_list_text(&pr->uri, list, sizeof list);
			}
			break;
		case POLICY_SAN_IP:
			if (pr->ip.n) {
				for (ok = false, k = 0; k < pr->ip.n && !ok; k++)
					ok = pol_ip_in(&pr->ip.v[k], s->val, s->len);
				pol_iplist_text(&pr->ip, list, sizeof list);
			}
			break;
		}
		if (!ok)
			violation(d, "SAN %s '%s' does not match profile %s's names (%s)", tn, v, pr->name,
			    list);
		if (sg == NULL)
			continue;
		/* the segment's name space */
		ok = false;
		switch (s->type) {
		case POLICY_SAN_DNS:
			for (k = 0; k < sg->dns.n && !ok; k++)
				ok = pol_dns_in(sg->dns.v[k], txt, s->len);
			pol_list_text(&sg->dns, list, sizeof list);
			break;
		case POLICY_SAN_EMAIL:
			for (k = 0; k < sg->email.n && !ok; k++)
				ok = pol_email_in(sg->email.v[k], txt, s->len);
			pol_list_text(&sg->email, list, sizeof list);
			break;
		case POLICY_SAN_URI:
			for (k = 0; k < sg->uri.n && !ok; k++)
				ok = s->len >= strlen(sg->uri.v[k]) &&
				    memcmp(txt, sg->uri.v[k], strlen(sg->uri.v[k])) == 0;
			pol_list_text(&sg->uri, list, sizeof list);
			break;
		case POLICY_SAN_IP:
			for (k = 0; k < sg->ip.n && !ok; k++)
				ok = pol_ip_in(&sg->ip.v[k], s->val, s->len);
			pol_iplist_text(&sg->ip, list, sizeof list);
			break;
		}
		if (!ok)
			violation(d, "SAN %s '%s' is outside segment %s's names (%s)", tn, v, sg->name,
			    list[0] ? list : "none of this type");
	}
	for (i = 0; i < SAN_TYPES; i++)
		if (pr->san_max_type[i] && count[i] > pr->san_max_type[i])
			violation(d, "%u %s SANs exceed profile %s's maximum of %u", count[i],
			    policy_san_type_name((policy_san_type)i), pr->name, pr->san_max_type[i]);
	if (!have_required) {
		char want[64] = "";
		for (i = 0; i < pol_nsan_names; i++)
			if (pr->san_require & (1u << pol_san_names[i].bit))
				snprintf(want + strlen(want), sizeof want - strlen(want), "%s%s",
				    want[0] ? " or " : "",
				    policy_san_type_name((policy_san_type)pol_san_names[i].bit));
		violation(d, "profile %s requires a SAN (%s)%s", pr->name, want,
		    (pr->san_require & (1u << POLICY_SAN_URI)) && strcmp(want, "URI") == 0 &&
		    pr->san_max_type[POLICY_SAN_URI] == 1 ? " carrying the ApplicationUri" : "");
	}
	d->san = r->san;
	d->nsan = r->nsan;
}

pc_rc policy_decide(const policy *p, const policy_request *r, policy_decision *d, pc_err *e)
{
	const struct profile *pr;
	const struct segment *sg = NULL;
	const char *what = r->what ? r->what : "request";
	char kn[32];
	size_t i, off;
	pc_rc rc = PC_E_POLICY;

	memset(d, 0, sizeof *d);
	d->allow = true;
	pr = pol_find_profile(p, r->profile);
	if (pr == NULL) {
		violation(d, "profile '%s' is not in the policy (%s)", r->profile ? r->profile : "",
		    p->names);
		rc = PC_E_USAGE;
		goto out;
	}
	d->profile = pr->name;
	d->approval = pr->approval;
	d->needs_approval = pr->approval != POLICY_APPROVAL_AUTO;
	/* Firmware signing means nothing if a request can obtain a signer:
	 * whatever the file says, a certificate that could sign code is made
	 * only for a key generated in the token by `firmware signer new`. */
	if (pr->signs_code && !r->fw_signer)
		violation(d, "profile %s: %scode-signing certificates are made only by `plantca "
		    "firmware signer new` on the CA workstation", pr->name, pr->has_codesign ? "" :
		    "anyExtendedKeyUsage would let the certificate sign code; ");
	if (r->fw_signer && !pr->has_codesign)
		violation(d, "profile %s does not give codeSigning, which a firmware signer needs",
		    pr->name);
	if (r->segment != NULL) {
		const char *sgname = r->segment;
		sg = pol_find_segment(p, r->segment);
		if (sg == NULL && p->has_defseg)
			sg = &p->defseg;   /* profiles only: no stations or names of its own */
		if (sg == NULL) {
			violation(d, "segment '%s' is not in the policy", r->segment);
			rc = PC_E_USAGE;
			goto out;
		}
		if (sg != &p->defseg && r->station != NULL && !strlist_has(&sg->stations, r->station))
			violation(d, "station %s is not enrolled for segment %s", r->station, sgname);
		if (!strlist_has(&sg->profiles, pr->name)) {
			char list[512];
			pol_list_text(&sg->profiles, list, sizeof list);
			violation(d, "profile %s is not allowed in segment %s (%s)", pr->name, sgname, list);
		}
		if (sg->ca && r->ca && strcmp(sg->ca, r->ca) != 0)
			violation(d, "CA '%s' does not serve segment %s (its CA is '%s')", r->ca, sgname,
			    sg->ca);
		if (sg == &p->defseg)
			sg = NULL;         /* the name space is the issuing CA's constraints */
	}
	if (pr->ca && r->ca && strcmp(pr->ca, r->ca) != 0)
		violation(d, "profile %s issues only from CA '%s', not '%s'", pr->name, pr->ca, r->ca);
	d->ca = sg && sg->ca ? sg->ca : pr->ca ? pr->ca : r->ca;

	if (r->key == POLICY_KEY_RSA && r->bits < 2048)
		violation(d, "RSA key of %u bits is under the 2048-bit minimum", r->bits);
	else if (!key_allowed(pr, r->key, r->bits))
		violation(d, "key %s is not allowed by profile %s (%s)",
		    policy_key_name(r->key, r->bits, kn, sizeof kn), pr->name, pr->keys_text);

	d->days = r->days ? r->days : pr->days;
	if (d->days > pr->max_days)
		violation(d, "validity of %u days exceeds profile %s's maximum of %u", d->days, pr->name,
		    pr->max_days);

	decide_subject(pr, r, d);
	decide_san(pr, sg, r, d);
	if (d->nsubject == 0 && r->nsan == 0)
		violation(d, "empty subject and no subjectAltName (RFC 5280 §4.2.1.6)");

	d->key_usage = r->key == POLICY_KEY_RSA ? pr->ku_rsa : pr->ku;
	for (i = 0; i < pr->neku; i++)
		d->eku[i] = pr->eku[i];
	d->eku[pr->neku] = NULL;
out:
	if (d->allow)
		return PC_OK;
	/* "WHAT: rule; rule; ..." cut to fit the error record */
	{
		char msg[PC_ERR_MSG_MAX];
		size_t shown = d->nviolations < POLICY_VIOLATIONS_MAX ? d->nviolations
		    : POLICY_VIOLATIONS_MAX;
		off = (size_t)snprintf(msg, sizeof msg, "%s: ", what);
		for (i = 0; i < shown && off < sizeof msg; i++)
			off += (size_t)snprintf(msg + off, sizeof msg - off, "%s%s", i ? "; " : "",
			    d->violations[i]);
		if (d->nviolations > shown && off < sizeof msg)
			snprintf(msg + off, sizeof msg - off, "; and %zu more",
			    d->nviolations - shown);
		pc_fail(e, rc, "%s", msg);
	}
	return rc;
}
