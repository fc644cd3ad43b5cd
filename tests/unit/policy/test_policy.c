/*
 * test_policy.c - the policy engine at unit level.
 *
 *   test_policy CORPUS_DIR BAD_TABLE
 *
 * 1. Every bad policy file of the table is refused with its line and
 *    message ("FILE:LINE: fragment").
 * 2. Decisions: a table of requests against good-segments.policy (direct
 *    and through segments/stations) and the built-in default, each with
 *    the expected outcome and every expected rule in the message.
 * 3. The decision's output: template subject, KU per key type, EKU, days.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "policy.h"

static const char *corpus;

static void bad_table(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	CHECK(f != NULL);
	while (fgets(line, sizeof line, f)) {
		char *file, *lno, *frag, want[1200], fp[512];
		policy *p = NULL;
		pc_rc rc;

		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || line[0] == '\0')
			continue;
		file = strtok(line, "\t");
		lno = strtok(NULL, "\t");
		frag = strtok(NULL, "");
		CHECK(file && lno && frag);
		snprintf(fp, sizeof fp, "%s/%s", corpus, file);
		rc = policy_load(fp, &p, &t_err);
		if (rc == PC_OK) {
			FAIL("%s: accepted, expected line %s: %s", file, lno, frag);
		}
		CHECK(p == NULL);
		CHECK(rc == PC_E_POLICY_FILE);
		snprintf(want, sizeof want, "%s:%s: %s", fp, lno, frag);
		CHECK_MSG(want);
		n++;
	}
	fclose(f);
	CHECK(n >= 30);
	printf("ok - %d bad policy files refused with line and reason\n", n);
}

/* ---- decisions ---- */

#define O "2.5.4.10"
#define CN "2.5.4.3"
#define SN "2.5.4.5"
#define EMAIL "1.2.840.113549.1.9.1"

struct dcase {
	const char *name;
	const char *segment, *station, *profile, *ca;
	policy_key key;
	unsigned bits;
	const char *subj[4][2];        /* OID, value */
	const char *san[4];            /* "dns:x", "ip:a.b.c.d", "uri:x", "email:x" */
	unsigned days;
	pc_rc want;
	const char *msgs[4];           /* each must appear */
};

static const struct dcase cases[] = {
	{ "segment line3 tls-server ok", "line3", "0123456789ABCDEF", "tls-server", "line3",
	  POLICY_KEY_EC_P256, 256, { { CN, "pump-1.line3.plant.local" } },
	  { "dns:pump-1.line3.plant.local", "ip:10.3.0.7" }, 0, PC_OK, { NULL } },
	{ "SAN outside the segment", "line3", "0123456789ABCDEF", "tls-server", NULL,
	  POLICY_KEY_EC_P256, 256, { { CN, "pump-12.plant.local" } },
	  { "dns:pump-12.corp.example" }, 0, PC_E_POLICY,
	  { "SAN dNSName 'pump-12.corp.example' does not match profile tls-server's names (*.plant.local)",
	    "SAN dNSName 'pump-12.corp.example' is outside segment line3's names (line3.plant.local)" } },
	{ "IP outside the segment range", "line3", "0123456789ABCDEF", "tls-server", NULL,
	  POLICY_KEY_EC_P256, 256, { { CN, "a.plant.local" } },
	  { "dns:a.line3.plant.local", "ip:10.4.0.1" }, 0, PC_E_POLICY,
	  { "SAN iPAddress '10.4.0.1' is outside segment line3's names (10.3.0.0/16)" } },
	{ "unknown station, profile not in segment", "line4", "0123456789ABCDEF", "tls-server", NULL,
	  POLICY_KEY_EC_P256, 256, { { CN, "a.plant.local" } }, { "dns:a.line4.plant.local" }, 0,
	  PC_E_POLICY, { "station 0123456789ABCDEF is not enrolled for segment line4",
	    "profile tls-server is not allowed in segment line4 (opcua-app)" } },
	{ "segment served by another CA", "line3", "FEDCBA9876543210", "tls-server", "line4",
	  POLICY_KEY_EC_P256, 256, { { CN, "a.plant.local" } }, { "dns:a.line3.plant.local" }, 0,
	  PC_E_POLICY, { "CA 'line4' does not serve segment line3 (its CA is 'line3')",
	    "profile tls-server issues only from CA 'line3', not 'line4'" } },
	{ "*.x segment: the domain itself is outside", "line4", "00000000000000AA", "opcua-app", NULL,
	  POLICY_KEY_EC_P256, 256, { { CN, "srv" } },
	  { "uri:urn:acme:line4:srv", "dns:line4.plant.local" }, 0, PC_E_POLICY,
	  { "SAN dNSName 'line4.plant.local' is outside segment line4's names (*.line4.plant.local)",
	    "SAN URI 'urn:acme:line4:srv' is outside segment line4's names (none of this type)" } },
	{ "every violation listed", NULL, NULL, "tls-server", NULL,
	  POLICY_KEY_RSA, 3072, { { O, "Evil Corp" }, { CN, "x.example.com" }, { EMAIL, "a@b" } },
	  { "uri:http://x", "dns:x.example.com" }, 900, PC_E_POLICY,
	  { "key rsa-3072 is not allowed by profile tls-server (ec-p256 rsa-2048)",
	    "validity of 900 days exceeds profile tls-server's maximum of 365",
	    "subject O 'Evil Corp' differs from profile tls-server's fixed value 'Acme Plant'",
	    "subject attribute emailAddress='a@b' is not allowed by profile tls-server" } },
	{ "subject pattern", NULL, NULL, "tls-server", NULL, POLICY_KEY_EC_P256, 256,
	  { { CN, "x.example.com" } }, { "dns:x.plant.local" }, 0, PC_E_POLICY,
	  { "subject CN 'x.example.com' does not match profile tls-server's pattern '*.plant.local'" } },
	{ "RSA-1024 never", NULL, NULL, "tls-server", NULL, POLICY_KEY_RSA, 1024,
	  { { CN, "x.plant.local" } }, { "dns:x.plant.local" }, 0, PC_E_POLICY,
	  { "RSA key of 1024 bits is under the 2048-bit minimum" } },
	{ "opcua: URI required", NULL, NULL, "opcua-app", NULL, POLICY_KEY_EC_P384, 384,
	  { { CN, "srv" } }, { "dns:srv.plant.local" }, 0, PC_E_POLICY,
	  { "profile opcua-app requires a SAN (URI) carrying the ApplicationUri" } },
	{ "opcua: one URI only, prefix", NULL, NULL, "opcua-app", NULL, POLICY_KEY_EC_P256, 256,
	  { { CN, "srv" } }, { "uri:urn:acme:a", "uri:urn:other:b" }, 0, PC_E_POLICY,
	  { "2 URI SANs exceed profile opcua-app's maximum of 1",
	    "SAN URI 'urn:other:b' does not match profile opcua-app's names (urn:acme:)" } },
	{ "opcua: forbidden attribute, required CN", NULL, NULL, "opcua-app", NULL,
	  POLICY_KEY_EC_P256, 256, { { EMAIL, "a@b" } }, { "uri:urn:acme:a" }, 0, PC_E_POLICY,
	  { "subject attribute emailAddress='a@b' is forbidden by profile opcua-app",
	    "subject attribute CN is required by profile opcua-app" } },
	{ "unknown profile", NULL, NULL, "nosuch", NULL, POLICY_KEY_EC_P256, 256,
	  { { CN, "x" } }, { NULL }, 0, PC_E_USAGE,
	  { "profile 'nosuch' is not in the policy (tls-server, opcua-app)" } },
	{ "unknown segment", "line9", NULL, "opcua-app", NULL, POLICY_KEY_EC_P256, 256,
	  { { CN, "x" } }, { NULL }, 0, PC_E_USAGE, { "segment 'line9' is not in the policy" } },
	{ "empty subject, no SAN", NULL, NULL, "tls-server", NULL, POLICY_KEY_EC_P256, 256,
	  { { NULL } }, { NULL }, 0, PC_E_POLICY,
	  { "profile tls-server requires a SAN (dNSName or iPAddress)" } },
	{ "IPv6 in the profile range", NULL, NULL, "tls-server", NULL, POLICY_KEY_EC_P256, 256,
	  { { CN, "v6.plant.local" } }, { "ip:fd00::7", "ip:2001:db8::1" }, 0, PC_E_POLICY,
	  { "SAN iPAddress '2001:db8::1' does not match profile tls-server's names (10.0.0.0/8, fd00::/8)" } },
};

static void to_san(const char *t, policy_san *s, uint8_t *buf)
{
	if (strncmp(t, "ip:", 3) == 0) {
		const char *a = t + 3;
		s->type = POLICY_SAN_IP;
		s->len = strchr(a, ':') ? 16 : 4;
		CHECK(inet_pton(s->len == 4 ? AF_INET : AF_INET6, a, buf) == 1);
		s->val = buf;
		return;
	}
	s->type = strncmp(t, "dns:", 4) == 0 ? POLICY_SAN_DNS : strncmp(t, "uri:", 4) == 0 ?
	    POLICY_SAN_URI : POLICY_SAN_EMAIL;
	s->val = (const uint8_t *)strchr(t, ':') + 1;
	s->len = strlen((const char *)s->val);
}

static void decisions(const policy *p)
{
	size_t i, k;
	static policy_decision d;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct dcase *c = &cases[i];
		policy_attr subj[4];
		policy_san san[4];
		uint8_t ipbuf[4][16];
		policy_request r;
		pc_rc rc;

		memset(&r, 0, sizeof r);
		r.what = c->name;
		r.segment = c->segment;
		r.station = c->station;
		r.profile = c->profile;
		r.ca = c->ca;
		r.key = c->key;
		r.bits = c->bits;
		for (k = 0; k < 4 && c->subj[k][0]; k++) {
			subj[k].oid = c->subj[k][0];
			subj[k].value = c->subj[k][1];
		}
		r.subject = subj;
		r.nsubject = k;
		for (k = 0; k < 4 && c->san[k]; k++)
			to_san(c->san[k], &san[k], ipbuf[k]);
		r.san = san;
		r.nsan = k;
		r.days = c->days;
		memset(&t_err, 0, sizeof t_err);
		rc = policy_decide(p, &r, &d, &t_err);
		if (rc != c->want) {
			FAIL("case '%s': %s, expected %s\n  message: %s", c->name,
			    pc_rc_name(rc), pc_rc_name(c->want), t_err.msg);
		}
		CHECK(d.allow == (rc == PC_OK));
		if (rc != PC_OK)
			CHECK(strncmp(t_err.msg, c->name, strlen(c->name)) == 0);
		for (k = 0; k < 4 && c->msgs[k]; k++)
			CHECK_MSG(c->msgs[k]);
		printf("ok - %s%s%s\n", c->name, rc ? ": " : "", rc ? t_err.msg + strlen(c->name) + 2 : "");
	}
}

static void outputs(const policy *p)
{
	static policy_decision d;
	policy_attr subj[1] = { { CN, "pump-1.plant.local" } };
	const uint8_t *dns = (const uint8_t *)"pump-1.line3.plant.local";
	policy_san san[1] = { { POLICY_SAN_DNS, dns, 24 } };
	policy_request r;

	memset(&r, 0, sizeof r);
	r.what = "out";
	r.segment = "line3";
	r.station = "FEDCBA9876543210";
	r.profile = "tls-server";
	r.key = POLICY_KEY_RSA;
	r.bits = 2048;
	r.subject = subj;
	r.nsubject = 1;
	r.san = san;
	r.nsan = 1;
	CHECK_OK(policy_decide(p, &r, &d, &t_err));
	CHECK(d.nsubject == 2);
	CHECK(strcmp(d.subject[0].oid, O) == 0 && strcmp(d.subject[0].value, "Acme Plant") == 0 &&
	    d.subject[0].from_request == -1);
	CHECK(d.subject[1].from_request == 0);
	CHECK(d.key_usage == (POLICY_KU_DIGITAL_SIGNATURE | POLICY_KU_KEY_ENCIPHERMENT));
	CHECK(strcmp(d.eku[0], "1.3.6.1.5.5.7.3.1") == 0 && strcmp(d.eku[1], "1.3.6.1.4.1.99999.1") == 0 &&
	    d.eku[2] == NULL);
	CHECK(d.days == 365 && strcmp(d.ca, "line3") == 0 && !d.needs_approval);
	CHECK(d.nsan == 1 && d.san == san);
	r.key = POLICY_KEY_EC_P256;
	CHECK_OK(policy_decide(p, &r, &d, &t_err));
	CHECK(d.key_usage == POLICY_KU_DIGITAL_SIGNATURE);
	printf("ok - decision output: template subject first, KU by key type, EKU, days, CA\n");
}

static void defaults(void)
{
	policy *p;
	static policy_decision d;
	policy_attr subj[2] = { { O, "Acme" }, { CN, "dev-1" } };
	policy_request r;
	static const char *const names[] = { "tls-server", "tls-client", "mqtt-client", "opcua-app",
	    "ldevid", "code-signing" };
	size_t i;

	CHECK_OK(policy_default(&p, &t_err));
	for (i = 0; i < 6; i++)
		CHECK(policy_has_profile(p, names[i]));
	memset(&r, 0, sizeof r);
	r.what = "ldevid";
	r.profile = "ldevid";
	r.key = POLICY_KEY_EC_P256;
	r.subject = subj;
	r.nsubject = 2;
	CHECK_RC(policy_decide(p, &r, &d, &t_err), PC_E_POLICY);
	CHECK_MSG("subject attribute serialNumber is required by profile ldevid");
	r.profile = "ldevid";
	subj[0].oid = SN;
	subj[0].value = "PUMP-0012";
	CHECK_OK(policy_decide(p, &r, &d, &t_err));
	CHECK(d.approval == POLICY_APPROVAL_SINGLE && d.needs_approval);
	subj[0].oid = O;
	subj[0].value = "Acme";
	/* code signing: never for a request, whatever it asks for */
	r.profile = "code-signing";
	r.key = POLICY_KEY_EC_P384;
	CHECK_RC(policy_decide(p, &r, &d, &t_err), PC_E_POLICY);
	CHECK_MSG("profile code-signing: code-signing certificates are made only by `plantca "
	    "firmware signer new` on the CA workstation");
	CHECK(d.nviolations == 1);
	/* ...and for a station in a segment the file does not name, also not
	 * among the profiles of [segment *] */
	r.segment = "line7";
	r.station = "0123456789ABCDEF";
	CHECK_RC(policy_decide(p, &r, &d, &t_err), PC_E_POLICY);
	CHECK_MSG("profile code-signing is not allowed in segment line7 (tls-server, tls-client, "
	    "mqtt-client, opcua-app, ldevid, cmp-ra)");
	CHECK(policy_covers_segment(p, "line7") && !policy_has_segment(p, "line7"));
	r.profile = "tls-client";
	CHECK_OK(policy_decide(p, &r, &d, &t_err));   /* stations: the store's enrollment */
	CHECK(d.approval == POLICY_APPROVAL_AUTO && !d.needs_approval);
	r.segment = NULL;
	r.station = NULL;
	/* the firmware signer that `firmware signer new` describes */
	r.profile = "code-signing";
	r.fw_signer = true;
	CHECK_OK(policy_decide(p, &r, &d, &t_err));
	CHECK(d.key_usage == POLICY_KU_DIGITAL_SIGNATURE && d.days == 1095);
	/* codeSigning, and emailProtection for the updaters' S/MIME purpose
	 * (docs/firmware.md, device updaters) */
	CHECK(strcmp(d.eku[0], "1.3.6.1.5.5.7.3.3") == 0 && d.eku[1] != NULL &&
	    strcmp(d.eku[1], "1.3.6.1.5.5.7.3.4") == 0 && d.eku[2] == NULL);
	r.key = POLICY_KEY_RSA;
	r.bits = 3072;
	CHECK_RC(policy_decide(p, &r, &d, &t_err), PC_E_POLICY);
	CHECK_MSG("key rsa-3072 is not allowed by profile code-signing (ec-p256 ec-p384 ed25519)");
	r.key = POLICY_KEY_ED25519;
	r.days = 2000;
	CHECK_RC(policy_decide(p, &r, &d, &t_err), PC_E_POLICY);
	CHECK_MSG("validity of 2000 days exceeds profile code-signing's maximum of 1095");
	r.days = 0;
	r.profile = "tls-client";        /* a signer needs codeSigning */
	CHECK_RC(policy_decide(p, &r, &d, &t_err), PC_E_POLICY);
	CHECK_MSG("profile tls-client does not give codeSigning, which a firmware signer needs");
	{
		policy_approval a;
		CHECK(policy_profile_approval(p, "ldevid", &a) && a == POLICY_APPROVAL_SINGLE);
		CHECK(policy_profile_approval(p, "opcua-app", &a) && a == POLICY_APPROVAL_AUTO);
		CHECK(!policy_profile_approval(p, "nosuch", &a));
	}
	policy_free(p);
	printf("ok - default policy: six profiles, ldevid needs serialNumber and single approval, "
	    "code-signing only for firmware signers, [segment *] lists the device profiles\n");
}

static void globs(void)
{
	CHECK(policy_glob("*.plant.local", "a.plant.local", 13));
	CHECK(!policy_glob("*.plant.local", "plant.local", 11));
	CHECK(policy_glob("pump-??", "PUMP-12", 7));
	CHECK(!policy_glob("pump-??", "pump-1", 6));
	CHECK(policy_glob("*a*b*c*", "xxaxxbxxcxx", 11));
	CHECK(!policy_glob("*a*b*c*d", "xxaxxbxxcxx", 11));
	printf("ok - glob\n");
}

int main(int argc, char **argv)
{
	policy *p;
	char path[512];

	CHECK(argc == 3);
	corpus = argv[1];
	bad_table(argv[2]);
	snprintf(path, sizeof path, "%s/good-segments.policy", corpus);
	CHECK_OK(policy_load(path, &p, &t_err));
	decisions(p);
	outputs(p);
	policy_free(p);
	defaults();
	globs();
	return 0;
}
