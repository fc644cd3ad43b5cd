/*
 * policy.h - the policy engine: the officer's policy file, parsed strictly,
 * and the decision whether a request may be issued and with what.
 *
 * The policy file (docs/policy-format.md) is untrusted input: it is read
 * through the bounded reader, every error names the line and the problem,
 * and it is covered by tests/fuzz/fuzz_policy.c.
 *
 * This layer knows nothing of CSRs, X.509 or the store.  The caller (ca/)
 * describes a request in the plain structs below and gets back a decision:
 * allow or deny, every violated rule as text, and what the certificate must
 * carry (key usage, EKU, validity, subject, SANs).  Nothing in a request
 * reaches a certificate unless the decision names it.
 *
 * Ownership: a policy is immutable once parsed and may be shared by threads
 * deciding in parallel.  Strings in a decision point into the policy or into
 * the request; both must outlive the decision.
 *
 * The map: docs/architecture.md "Where each rule lives"; the engine's files,
 * one job each, are listed in policy_int.h.
 */
#ifndef PLANTCA_POLICY_H
#define PLANTCA_POLICY_H

#include "buf.h"

enum {
	POLICY_FILE_MAX = 256 * 1024,   /* largest policy file we read */
	POLICY_LINE_MAX = 1024,         /* longest line, without the newline */
	POLICY_PROFILES_MAX = 64,
	POLICY_SEGMENTS_MAX = 256,
	POLICY_LIST_MAX = 64,           /* items in one list value */
	POLICY_NAME_MAX = 63,           /* profile, segment and CA names */
	POLICY_EKU_MAX = 16,
	POLICY_ATTRS_MAX = 32,          /* subject attributes in a request */
	POLICY_SANS_MAX = 64,           /* SANs in a request */
	POLICY_VIOLATIONS_MAX = 32,     /* violations recorded per decision */
	POLICY_VIOLATION_LEN = 256,
	POLICY_DAYS_MAX = 36500,
};

/* Subject key types (mirrors the SPKI classes the CA accepts). */
typedef enum policy_key {
	POLICY_KEY_EC_P256 = 1,
	POLICY_KEY_EC_P384,
	POLICY_KEY_RSA,
	POLICY_KEY_ED25519,
} policy_key;

/* SAN types; the values are the GeneralName CHOICE tags (RFC 5280 §4.2.1.6). */
typedef enum policy_san_type {
	POLICY_SAN_EMAIL = 1,
	POLICY_SAN_DNS = 2,
	POLICY_SAN_URI = 6,
	POLICY_SAN_IP = 7,
} policy_san_type;

/* keyUsage bits, in the order of RFC 5280 §4.2.1.3 (bit n = 1 << n). */
enum {
	POLICY_KU_DIGITAL_SIGNATURE = 1 << 0,
	POLICY_KU_NON_REPUDIATION = 1 << 1,
	POLICY_KU_KEY_ENCIPHERMENT = 1 << 2,
	POLICY_KU_DATA_ENCIPHERMENT = 1 << 3,
	POLICY_KU_KEY_AGREEMENT = 1 << 4,
	POLICY_KU_KEY_CERT_SIGN = 1 << 5,
	POLICY_KU_CRL_SIGN = 1 << 6,
};

/* One subject attribute: type as dotted OID text, value as UTF-8 text. */
typedef struct policy_attr {
	const char *oid;
	const char *value;
} policy_attr;

/* One SAN: text (NUL-terminated, len without the NUL) for DNS/URI/email,
 * 4 or 16 address bytes for IP. */
typedef struct policy_san {
	policy_san_type type;
	const uint8_t *val;
	size_t len;
} policy_san;

/* How a request under a profile is approved (`approval =`). */
typedef enum policy_approval {
	POLICY_APPROVAL_AUTO = 0,   /* approved at import when every check passes */
	POLICY_APPROVAL_OFFICER,    /* waits for plantca approve (ID... or --all) */
	POLICY_APPROVAL_SINGLE,     /* waits for plantca approve ID, that ID alone */
} policy_approval;

/* How a certificate under a profile is renewed (`renewal =`): plantca
 * renew queues a same-key renewal only under same-key; under rekey-only the
 * device must send a new key (a new CSR or a CMP kur); under none the
 * certificate is not renewed at all (a new request is a new identity). */
typedef enum policy_renewal {
	POLICY_RENEWAL_SAME_KEY = 0,
	POLICY_RENEWAL_REKEY_ONLY,
	POLICY_RENEWAL_NONE,
} policy_renewal;

/* What is asked for. */
typedef struct policy_request {
	const char *what;          /* message prefix: "request 17 (b.tar/x.csr)" or the file name */
	const char *segment;       /* NULL: direct issue by the officer (no segment rules) */
	const char *station;       /* key id, 16 uppercase hex digits; NULL: not checked */
	const char *profile;
	const char *ca;            /* issuing CA asked for; NULL: the policy's choice */
	policy_key key;
	unsigned bits;             /* RSA modulus bits; ignored for other keys */
	const policy_attr *subject;   /* in certificate order (most general first) */
	size_t nsubject;
	const policy_san *san;
	size_t nsan;
	unsigned days;             /* validity asked for; 0: the profile's default */
	/* A firmware signer that `plantca firmware signer new` makes: its key
	 * was generated in the token on the CA workstation, no CSR is
	 * involved, and only then may a code-signing profile (one whose EKU
	 * has codeSigning or anyExtendedKeyUsage) decide.  Every request that
	 * carries a CSR has it false, and a code-signing profile refuses it. */
	bool fw_signer;
} policy_request;

/* One subject attribute of the certificate: from the profile's template
 * (from_request < 0; oid and value point into the policy) or the request's
 * attribute number from_request (oid and value point into the request). */
typedef struct policy_out_attr {
	const char *oid;
	const char *value;
	int from_request;
} policy_out_attr;

typedef struct policy_decision {
	bool allow;
	bool needs_approval;       /* approval is officer or single */
	policy_approval approval;  /* the profile's approval */
	const char *profile;       /* canonical profile name (into the policy) */
	const char *ca;            /* issuing CA: segment's, else profile's, else the request's */
	unsigned key_usage;        /* POLICY_KU_* for this key type */
	const char *eku[POLICY_EKU_MAX + 1];   /* dotted OIDs, NULL-terminated */
	unsigned days;
	policy_out_attr subject[POLICY_ATTRS_MAX];
	size_t nsubject;
	/* SANs to copy: all of the request's, when allowed (any SAN the
	 * profile or segment does not allow denies the whole request). */
	const policy_san *san;
	size_t nsan;
	char violations[POLICY_VIOLATIONS_MAX][POLICY_VIOLATION_LEN];
	size_t nviolations;        /* may exceed POLICY_VIOLATIONS_MAX: then truncated */
} policy_decision;

typedef struct policy policy;

/* Parse policy text.  `what` names the source in messages ("FILE:LINE: ...").
 * PC_E_POLICY_FILE on any error (the first one, with its line number),
 * PC_E_LIMIT over POLICY_FILE_MAX.  *out is owned by the caller
 * (policy_free).  The SHA-256 of the bytes is kept as the policy's hash. */
pc_rc policy_parse(const uint8_t *text, size_t len, const char *what, policy **out,
    pc_err *e) PC_CHECK;
/* Read and parse a file (at most POLICY_FILE_MAX bytes). */
pc_rc policy_load(const char *path, policy **out, pc_err *e) PC_CHECK;
/* The built-in default policy (policy/default.policy, compiled in). */
pc_rc policy_default(policy **out, pc_err *e) PC_CHECK;
const uint8_t *policy_default_text(size_t *len);
void policy_free(policy *p);

/* Lower-case hex SHA-256 of the file bytes (64 digits), valid while p lives. */
const char *policy_hash(const policy *p);
/* Where it came from (the `what` given to policy_parse). */
const char *policy_source(const policy *p);
bool policy_has_profile(const policy *p, const char *name);
bool policy_has_segment(const policy *p, const char *name);
/* The file has rules for segment `name`: its own [segment NAME], or the
 * [segment *] that stands for every segment the file does not name. */
bool policy_covers_segment(const policy *p, const char *name);
/* Profile `name`'s approval; false if there is no such profile. */
bool policy_profile_approval(const policy *p, const char *name, policy_approval *out);
/* Profile `name`'s renewal; false if there is no such profile. */
bool policy_profile_renewal(const policy *p, const char *name, policy_renewal *out);
const char *policy_renewal_name(policy_renewal r);
/* The longest default validity (`days`) of any profile that is at most
 * `limit` days, and that profile's name (NULL when there is none: then 0):
 * how long before its notAfter an issuing CA starts cutting certificates
 * short. */
unsigned policy_max_days(const policy *p, unsigned limit, const char **profile);
/* Profile names, comma-separated, for usage messages; into p. */
const char *policy_profile_names(const policy *p);

/* The active policy as readable text or JSON, appended to out. */
void policy_describe(const policy *p, bool json, pc_buf *out);

/* Decide.  PC_OK and d->allow when the request may be issued; PC_E_POLICY
 * with d->allow false and every violated rule in d->violations, e->msg
 * "WHAT: rule; rule; ..." (cut to fit); PC_E_USAGE for an unknown profile
 * or segment (also a violation).  d is filled either way. */
pc_rc policy_decide(const policy *p, const policy_request *r, policy_decision *d,
    pc_err *e) PC_CHECK;

/* Names used in messages and in the file format. */
const char *policy_san_type_name(policy_san_type t);   /* "dNSName", ... */
const char *policy_key_name(policy_key k, unsigned bits, char *buf, size_t n);

/* Simple glob: '*' any run of characters, '?' one character, case-insensitive
 * for ASCII (DNS names and attribute values are compared that way). */
bool policy_glob(const char *pattern, const char *s, size_t n);

#endif
