/*
 * policy_int.h - what the files of policy/ share.  Not for use outside
 * policy/: the rest of plantca sees only policy.h.
 *
 *   policy.c    a parsed policy: the arena, the name tables, lookups
 *   values.c    the parser's error and the value parsers
 *   keys.c      the keys of [profile] and [segment] sections
 *   parse.c     the line and section parser; policy_parse, _load, _default
 *   match.c     name matching: glob, DNS and e-mail name spaces, IP ranges
 *   decide.c    policy_decide
 *   describe.c  policy_describe
 *
 * They call one way (tests/tools/callgraph.py): parse -> keys -> values ->
 * policy; decide -> match, policy; describe -> policy.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_POLICY_INT_H
#define PLANTCA_POLICY_INT_H

#include <sodium.h>

#include "policy.h"

/* ---- a parsed policy (policy.c) */

/* Every string of a policy lives in one arena, freed with the policy. */
struct chunk {
	struct chunk *next;
	char data[];
};

enum {
	RULE_REQUIRE = 1, RULE_ALLOW = 2, RULE_FORBID = 4,
	SAN_TYPES = 8,            /* index by policy_san_type (1..7) */
	ATTR_RULES_MAX = 16,
	IPNETS_MAX = POLICY_LIST_MAX,
	STATION_ID_LEN = 16,
};

struct strlist {
	const char *v[POLICY_LIST_MAX];
	size_t n;
};

struct ipnet {
	uint8_t addr[16], mask[16];
	size_t len;               /* 4 or 16 */
	const char *text;
};

struct iplist {
	struct ipnet v[IPNETS_MAX];
	size_t n;
};

struct attr_rule {
	const char *name;         /* as written in the file */
	const char *oid;
	unsigned flags;           /* RULE_* */
	const char *match;        /* glob or NULL */
	const char *set;          /* template value or NULL */
};

struct profile {
	const char *name, *summary, *ca;
	int line;
	unsigned keys;            /* bit (1 << policy_key) for EC/Ed25519 */
	unsigned rsa_bits[8];
	size_t nrsa;
	unsigned days, max_days;
	unsigned ku, ku_rsa;
	bool has_ku, has_ku_rsa;
	const char *eku[POLICY_EKU_MAX + 1];
	size_t neku;
	struct attr_rule rules[ATTR_RULES_MAX];
	size_t nrules;
	unsigned san_allow, san_require;   /* bit (1 << policy_san_type) */
	unsigned san_max;                  /* 0: no limit beyond POLICY_SANS_MAX */
	unsigned san_max_type[SAN_TYPES];  /* 0: no limit */
	struct strlist dns, uri, email;    /* globs, prefixes, globs */
	struct iplist ip;
	policy_approval approval;
	policy_renewal renewal;
	/* EKU codeSigning or anyExtendedKeyUsage: a certificate that could
	 * sign firmware, never made from a request (see signs_code_why) */
	bool signs_code, has_codesign;
	const char *keys_text, *ku_text, *ku_rsa_text, *eku_text;
};

struct segment {
	const char *name, *ca;
	int line, profiles_line;
	struct strlist stations, profiles;
	struct strlist dns, uri, email;
	struct iplist ip;
	const char *dns_text, *ip_text, *uri_text, *email_text;
};

struct policy {
	struct chunk *arena;
	struct profile *prof;
	size_t nprof;
	struct segment *seg;
	size_t nseg;
	/* [segment *]: the rules for every segment the file does not name */
	struct segment defseg;
	bool has_defseg;
	char hash[2 * crypto_hash_sha256_BYTES + 1];
	const char *source;
	const char *names;
};

char *pol_arena_dup(policy *p, const char *s, size_t n);

/* ---- the name tables of the file format and lookups (policy.c) */

struct named { const char *name; const char *oid; unsigned bit; };

#define NELEM(a) (sizeof (a) / sizeof (a)[0])

/* key usages (RFC 5280 §4.2.1.3) and SAN types by their names in the file */
extern const struct named pol_ku_names[];
extern const size_t pol_nku_names;
extern const struct named pol_san_names[];
extern const size_t pol_nsan_names;

const struct named *pol_named_find(const struct named *t, size_t n, const char *s);
/* The dotted OID of purpose `name` ("serverAuth"), NULL if not ours. */
const char *pol_eku_oid(const char *name);
/* The dotted OID of subject attribute `name` ("CN"), NULL if not ours. */
const char *pol_attr_oid(const char *name);
/* The name of a subject attribute's OID, the OID itself if not ours. */
const char *pol_attr_name_of(const char *oid);
const struct profile *pol_find_profile(const policy *p, const char *name);
const struct segment *pol_find_segment(const policy *p, const char *name);
/* A list as "a, b, c" in out[0..n), cut to fit. */
void pol_list_text(const struct strlist *l, char *out, size_t n);
void pol_iplist_text(const struct iplist *l, char *out, size_t n);

/* ---- name matching (match.c) */

bool pol_dns_in(const char *entry, const char *s, size_t n);
bool pol_ip_in(const struct ipnet *net, const uint8_t *a, size_t n);
bool pol_email_in(const char *entry, const char *s, size_t n);

/* ---- the parser (values.c, keys.c, parse.c) */

struct parser {
	policy *p;
	const char *what;
	int line;
	pc_err *e;
	struct profile *cur_prof;
	struct segment *cur_seg;
	char seen[64][48];        /* keys seen in the current section */
	size_t nseen;
};

/* PC_E_POLICY_FILE with "WHAT:LINE: message" (values.c). */
pc_rc pol_perr(struct parser *ps, const char *fmt, ...) PC_PRINTF(2, 3) PC_CHECK;

/* The value parsers (values.c): each checks a value when its line is read,
 * KEY names it in messages. */
bool pol_name_ok(const char *s);
pc_rc pol_split_list(struct parser *ps, const char *key, const char *v, struct strlist *out)
    PC_CHECK;
pc_rc pol_parse_uint(struct parser *ps, const char *key, const char *v, unsigned max,
    unsigned *out) PC_CHECK;
pc_rc pol_parse_iplist(struct parser *ps, const char *key, const char *v, struct iplist *out)
    PC_CHECK;
pc_rc pol_parse_dns_list(struct parser *ps, const char *key, const char *v, struct strlist *out,
    bool segment) PC_CHECK;
pc_rc pol_parse_ku(struct parser *ps, const char *key, const char *v, unsigned *out) PC_CHECK;
pc_rc pol_parse_eku(struct parser *ps, const char *key, const char *v, struct profile *pr)
    PC_CHECK;
pc_rc pol_parse_keys(struct parser *ps, const char *key, const char *v, struct profile *pr)
    PC_CHECK;
pc_rc pol_parse_san_types(struct parser *ps, const char *key, const char *v, unsigned *out)
    PC_CHECK;

/* One key = value line of the current [profile] or [segment] (keys.c). */
pc_rc pol_profile_key(struct parser *ps, const char *key, const char *v) PC_CHECK;
pc_rc pol_segment_key(struct parser *ps, const char *key, const char *v) PC_CHECK;

#endif
