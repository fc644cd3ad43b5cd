/*
 * describe.c - policy_describe: the active policy as readable text or as JSON
 * (strings through json_buf_str, common/json.h).
 */
#include "policy_int.h"

#include <string.h>

#include "json.h"

static const char *approval_name(policy_approval a)
{
	switch (a) {
	case POLICY_APPROVAL_AUTO: return "auto";
	case POLICY_APPROVAL_OFFICER: return "officer";
	case POLICY_APPROVAL_SINGLE: return "single";
	}
	return "?";
}

static void json_list(pc_buf *b, const char *key, const struct strlist *l)
{
	size_t i;

	pc_buf_printf(b, ",\"%s\":[", key);
	for (i = 0; i < l->n; i++) {
		if (i)
			pc_buf_byte(b, ',');
		json_buf_str(b, l->v[i]);
	}
	pc_buf_byte(b, ']');
}

static void json_ips(pc_buf *b, const char *key, const struct iplist *l)
{
	size_t i;

	pc_buf_printf(b, ",\"%s\":[", key);
	for (i = 0; i < l->n; i++) {
		if (i)
			pc_buf_byte(b, ',');
		json_buf_str(b, l->v[i].text);
	}
	pc_buf_byte(b, ']');
}

static void ku_list(pc_buf *b, unsigned ku, bool json)
{
	size_t i;
	bool first = true;

	for (i = 0; i < pol_nku_names; i++) {
		if (!(ku & pol_ku_names[i].bit) || strcmp(pol_ku_names[i].name, "contentCommitment") == 0)
			continue;
		if (json) {
			if (!first)
				pc_buf_byte(b, ',');
			json_buf_str(b, pol_ku_names[i].name);
		} else {
			pc_buf_printf(b, "%s%s", first ? "" : " ", pol_ku_names[i].name);
		}
		first = false;
	}
}

static void san_types(pc_buf *b, unsigned mask, bool json)
{
	size_t i;
	bool first = true;

	for (i = 0; i < pol_nsan_names; i++) {
		if (!(mask & (1u << pol_san_names[i].bit)))
			continue;
		if (json) {
			if (!first)
				pc_buf_byte(b, ',');
			json_buf_str(b, pol_san_names[i].name);
		} else {
			pc_buf_printf(b, "%s%s", first ? "" : " ", pol_san_names[i].name);
		}
		first = false;
	}
	if (first && !json)
		pc_buf_str(b, "(none)");
}

void policy_describe(const policy *p, bool json, pc_buf *b)
{
	size_t i, j;

	if (json) {
		pc_buf_str(b, "{\"source\":");
		json_buf_str(b, p->source);
		pc_buf_printf(b, ",\"sha256\":\"%s\",\"profiles\":[", p->hash);
		for (i = 0; i < p->nprof; i++) {
			const struct profile *pr = &p->prof[i];
			pc_buf_str(b, i ? ",{\"name\":" : "{\"name\":");
			json_buf_str(b, pr->name);
			pc_buf_str(b, ",\"summary\":");
			json_buf_str(b, pr->summary ? pr->summary : "");
			pc_buf_str(b, ",\"keys\":");
			json_buf_str(b, pr->keys_text);
			pc_buf_printf(b, ",\"days\":%u,\"max_days\":%u,\"key_usage\":[", pr->days,
			    pr->max_days);
			ku_list(b, pr->ku, true);
			pc_buf_str(b, "],\"key_usage_rsa\":[");
			ku_list(b, pr->ku_rsa, true);
			pc_buf_str(b, "],\"ext_key_usage\":[");
			for (j = 0; j < pr->neku; j++) {
				if (j)
					pc_buf_byte(b, ',');
				json_buf_str(b, pr->eku[j]);
			}
			pc_buf_str(b, "],\"subject\":[");
			for (j = 0; j < pr->nrules; j++) {
				const struct attr_rule *r = &pr->rules[j];
				pc_buf_str(b, j ? ",{\"attribute\":" : "{\"attribute\":");
				json_buf_str(b, r->name);
				pc_buf_printf(b, ",\"rule\":\"%s\"", r->flags & RULE_FORBID ? "forbid" :
				    r->flags & RULE_REQUIRE ? "require" : r->set ? "set" : "allow");
				if (r->match) {
					pc_buf_str(b, ",\"match\":");
					json_buf_str(b, r->match);
				}
				if (r->set) {
					pc_buf_str(b, ",\"set\":");
					json_buf_str(b, r->set);
				}
				pc_buf_byte(b, '}');
			}
			pc_buf_str(b, "],\"san_allow\":[");
			san_types(b, pr->san_allow, true);
			pc_buf_str(b, "],\"san_require\":[");
			san_types(b, pr->san_require, true);
			pc_buf_printf(b, "],\"san_max\":%u", pr->san_max);
			json_list(b, "san_dns", &pr->dns);
			json_ips(b, "san_ip", &pr->ip);
			json_list(b, "san_uri", &pr->uri);
			json_list(b, "san_email", &pr->email);
			pc_buf_str(b, ",\"ca\":");
			if (pr->ca)
				json_buf_str(b, pr->ca);
			else
				pc_buf_str(b, "null");
			pc_buf_printf(b, ",\"approval\":\"%s\",\"renewal\":\"%s\",\"signer_only\":%s}",
			    approval_name(pr->approval), policy_renewal_name(pr->renewal),
			    pr->signs_code ? "true" : "false");
		}
		pc_buf_str(b, "],\"segments\":[");
		for (i = 0; i < p->nseg + (p->has_defseg ? 1 : 0); i++) {
			const struct segment *sg = i < p->nseg ? &p->seg[i] : &p->defseg;
			pc_buf_str(b, i ? ",{\"name\":" : "{\"name\":");
			json_buf_str(b, sg->name);
			json_list(b, "stations", &sg->stations);
			json_list(b, "profiles", &sg->profiles);
			pc_buf_str(b, ",\"ca\":");
			if (sg->ca)
				json_buf_str(b, sg->ca);
			else
				pc_buf_str(b, "null");
			json_list(b, "dns", &sg->dns);
			json_ips(b, "ip", &sg->ip);
			json_list(b, "uri", &sg->uri);
			json_list(b, "email", &sg->email);
			pc_buf_byte(b, '}');
		}
		pc_buf_str(b, "]}\n");
		return;
	}
	pc_buf_printf(b, "policy %s\nsha256 %s\n", p->source, p->hash);
	for (i = 0; i < p->nprof; i++) {
		const struct profile *pr = &p->prof[i];
		pc_buf_printf(b, "\nprofile %s%s%s\n", pr->name, pr->summary ? ": " : "",
		    pr->summary ? pr->summary : "");
		pc_buf_printf(b, "  keys           %s\n", pr->keys_text);
		pc_buf_printf(b, "  validity       %u days (at most %u)\n", pr->days, pr->max_days);
		pc_buf_str(b, "  key usage      ");
		ku_list(b, pr->ku, false);
		pc_buf_str(b, "\n  key usage RSA  ");
		ku_list(b, pr->ku_rsa, false);
		pc_buf_printf(b, "\n  ext key usage  %s\n", pr->eku_text ? pr->eku_text : "(none)");
		for (j = 0; j < pr->nrules; j++) {
			const struct attr_rule *r = &pr->rules[j];
			pc_buf_printf(b, "  subject %-6s %s%s%s%s%s\n", r->name,
			    r->flags & RULE_FORBID ? "forbidden" : r->flags & RULE_REQUIRE ? "required" :
			    r->set ? "set" : "allowed", r->match ? ", matching " : "",
			    r->match ? r->match : "", r->set ? " to " : "", r->set ? r->set : "");
		}
		pc_buf_str(b, "  SAN types      ");
		san_types(b, pr->san_allow, false);
		if (pr->san_require) {
			pc_buf_str(b, " (one of ");
			san_types(b, pr->san_require, false);
			pc_buf_str(b, " required)");
		}
		pc_buf_byte(b, '\n');
		if (pr->san_max)
			pc_buf_printf(b, "  SANs at most   %u\n", pr->san_max);
		pc_buf_printf(b, "  issuing CA     %s\n  approval       %s\n", pr->ca ? pr->ca : "(any)",
		    pr->signs_code ? "never from a request: firmware signers only (plantca firmware "
		    "signer new)" : approval_name(pr->approval));
		pc_buf_printf(b, "  renewal        %s\n", policy_renewal_name(pr->renewal));
	}
	for (i = 0; i < p->nseg + (p->has_defseg ? 1 : 0); i++) {
		const struct segment *sg = i < p->nseg ? &p->seg[i] : &p->defseg;
		char l[512];
		if (sg == &p->defseg) {
			pol_list_text(&sg->profiles, l, sizeof l);
			pc_buf_printf(b, "\nsegment * (every segment this file does not name)\n"
			    "  profiles       %s\n  stations, CA, names: the enrollment in the store and "
			    "the CA's name constraints\n", l);
			continue;
		}
		pc_buf_printf(b, "\nsegment %s\n", sg->name);
		pol_list_text(&sg->stations, l, sizeof l);
		pc_buf_printf(b, "  stations       %s\n", l[0] ? l : "(none)");
		pol_list_text(&sg->profiles, l, sizeof l);
		pc_buf_printf(b, "  profiles       %s\n  issuing CA     %s\n", l, sg->ca ? sg->ca : "(any)");
		pc_buf_printf(b, "  dns            %s\n  ip             %s\n  uri            %s\n"
		    "  email          %s\n", sg->dns_text ? sg->dns_text : "(none)",
		    sg->ip_text ? sg->ip_text : "(none)", sg->uri_text ? sg->uri_text : "(none)",
		    sg->email_text ? sg->email_text : "(none)");
	}
}
