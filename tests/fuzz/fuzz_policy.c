/*
 * fuzz_policy.c - policy_parse() on arbitrary bytes, and policy_decide() on
 * whatever parses.
 *
 * Properties:
 *  - a refusal is PC_E_POLICY_FILE (or PC_E_LIMIT) with a message of the
 *    form "fuzz:LINE: ..." naming a line that exists;
 *  - what parses has a 64-digit hash, describes itself as text and JSON,
 *    and parses again to the same hash;
 *  - for every profile, a spread of requests decides without crashing; an
 *    allowed request has a key usage, a validity within POLICY_DAYS_MAX and
 *    the profile's name; RSA under 2048 bits is never allowed; a denial
 *    names at least one rule.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "policy.h"

static const policy_key keys[] = {
	POLICY_KEY_EC_P256, POLICY_KEY_EC_P384, POLICY_KEY_RSA, POLICY_KEY_ED25519, POLICY_KEY_RSA,
};
static const unsigned bits[] = { 256, 384, 2048, 255, 1024 };

static void decide_all(const policy *p)
{
	char names[4096];
	char *save = NULL, *tok;
	static const uint8_t ip4[4] = { 10, 3, 0, 7 };
	static const char dns[] = "pump-1.line3.plant.local";
	static const char uri[] = "urn:acme:line3:pump-1";
	policy_san san[3] = {
		{ POLICY_SAN_DNS, (const uint8_t *)dns, sizeof dns - 1 },
		{ POLICY_SAN_IP, ip4, 4 },
		{ POLICY_SAN_URI, (const uint8_t *)uri, sizeof uri - 1 },
	};
	policy_attr subj[3] = {
		{ "2.5.4.10", "Acme Plant" }, { "2.5.4.3", "pump-1" }, { "2.5.4.5", "SN123" },
	};
	policy_decision *d = malloc(sizeof *d);
	size_t k;

	CHECK(d != NULL);
	snprintf(names, sizeof names, "%s", policy_profile_names(p));
	for (tok = strtok_r(names, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
			policy_request r;
			pc_err e;
			pc_rc rc;

			memset(&r, 0, sizeof r);
			r.what = "req";
			r.profile = tok;
			r.key = keys[k];
			r.bits = bits[k];
			r.subject = subj;
			r.nsubject = k % 4;
			r.san = san;
			r.nsan = k % 4;
			r.days = (unsigned)k * 200;
			r.segment = k == 3 ? "line3" : NULL;
			r.station = k == 3 ? "0123456789ABCDEF" : NULL;
			memset(&e, 0, sizeof e);
			rc = policy_decide(p, &r, d, &e);
			if (rc == PC_OK) {
				CHECK(d->allow && d->nviolations == 0);
				CHECK(d->key_usage != 0);
				CHECK(d->days > 0 && d->days <= POLICY_DAYS_MAX);
				CHECK(strcmp(d->profile, tok) == 0);
				CHECK(!(r.key == POLICY_KEY_RSA && r.bits < 2048));
			} else {
				CHECK(rc == PC_E_POLICY || rc == PC_E_USAGE);
				CHECK(!d->allow && d->nviolations > 0);
				CHECK(strncmp(e.msg, "req: ", 5) == 0);
			}
		}
	}
	free(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	policy *p = NULL, *p2 = NULL;
	pc_err e;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = policy_parse(data, size, "fuzz", &p, &e);
	if (rc != PC_OK) {
		CHECK(p == NULL);
		CHECK(rc == PC_E_POLICY_FILE || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		CHECK(e.rc == rc && e.msg[0] != '\0');
		if (rc == PC_E_POLICY_FILE) {
			long line;
			size_t i, lines = 1;
			CHECK(strncmp(e.msg, "fuzz:", 5) == 0);
			line = strtol(e.msg + 5, NULL, 10);
			for (i = 0; i < size; i++)
				lines += data[i] == '\n';
			CHECK(line >= 1 && (size_t)line <= lines);
		}
		return 0;
	}
	CHECK(p != NULL && strlen(policy_hash(p)) == 64);
	{
		pc_buf b = PC_BUF_INIT;
		policy_describe(p, false, &b);
		CHECK(pc_buf_ok(&b) && b.len > 0);
		b.len = 0;
		policy_describe(p, true, &b);
		CHECK(pc_buf_ok(&b) && b.len > 0 && b.p[0] == '{');
		pc_buf_free(&b);
	}
	CHECK(policy_parse(data, size, "again", &p2, &e) == PC_OK);
	CHECK(strcmp(policy_hash(p), policy_hash(p2)) == 0);
	decide_all(p);
	policy_free(p2);
	policy_free(p);
	return 0;
}
