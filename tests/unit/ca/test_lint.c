/*
 * test_lint.c - the pre-issuance check refuses deliberately broken
 * TBSCertificates, each for its specific reason.
 *
 * Every TBS here is built by hand with common/der.h (not by
 * pkix_tbs_build), starting from a good one and breaking one thing; the
 * good one must pass, so each refusal is caused by the one change.  The
 * issuer is a CA certificate (also hand-built) with name constraints
 * dns:line3.plant.local, ip:10.3.0.0/16, uri:.plant.local,
 * email:plant.local.  Code signing: only a firmware signer's TBS, with
 * exactly its package list, non-critical, may carry codeSigning or
 * anyExtendedKeyUsage.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "lint.h"
#include "fwverify.h"

static const uint8_t OID_BC[] = { 0x55, 0x1d, 0x13 }, OID_KU[] = { 0x55, 0x1d, 0x0f },
    OID_EKU[] = { 0x55, 0x1d, 0x25 }, OID_SAN[] = { 0x55, 0x1d, 0x11 },
    OID_SKI[] = { 0x55, 0x1d, 0x0e }, OID_NC[] = { 0x55, 0x1d, 0x1e };

enum { KEY_EC, KEY_ED25519 };
enum { PKGS_OK = 1, PKGS_CRITICAL, PKGS_MALFORMED };

struct spec {
	uint8_t serial[24];
	size_t serial_len;
	int version;                 /* 2 = v3 */
	time_t nb, na;
	int nb_tag, na_tag;          /* 0: the RFC 5280 choice */
	bool empty_subject;
	int key;
	bool bc_ca, bc_pathlen;
	unsigned ku;
	bool eku;
	const char *eku_oid;         /* NULL: serverAuth */
	int pkgs;                    /* firmware package list: 0 none, PKGS_* */
	const char *san[4];          /* "dns:x", "ip:a.b.c.d", "uri:x", "email:x" */
	bool san_critical;
	bool dup_ku;
	bool unknown_critical;
	bool ski;
	bool nc;
	const uint8_t *subject;      /* a DER Name instead of leaf_name */
	size_t subject_len;
};

static const uint8_t issuer_name[] = {
	0x30, 0x10, 0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x05,
	'l', 'i', 'n', 'e', '3',
};
static const uint8_t leaf_name[] = {
	0x30, 0x10, 0x31, 0x0e, 0x30, 0x0c, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x05,
	'p', 'u', 'm', 'p', '1',
};
static const uint8_t sigalg[] = {   /* ecdsa-with-SHA256 */
	0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
};

static void ext_begin(pc_der *d, const uint8_t *oid, size_t n, bool crit)
{
	pc_der_begin(d, DER_SEQUENCE);
	pc_der_oid(d, oid, n);
	if (crit)
		pc_der_bool(d, true);
	pc_der_begin(d, DER_OCTET_STRING);
}

static void ext_end(pc_der *d)
{
	pc_der_end(d);
	pc_der_end(d);
}

static void time_tlv(pc_der *d, time_t t, int tag)
{
	struct tm tm;
	char s[32];

	if (tag == 0) {
		pc_der_time(d, t);
		return;
	}
	gmtime_r(&t, &tm);
	if (tag == DER_UTCTIME)
		snprintf(s, sizeof s, "%02d%02d%02d%02d%02d%02dZ", (tm.tm_year + 1900) % 100,
		    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
	else
		strftime(s, sizeof s, "%Y%m%d%H%M%SZ", &tm);
	pc_der_tlv(d, (uint8_t)tag, s, strlen(s));
}

static void ku_bits(pc_der *d, unsigned ku)
{
	uint8_t b[2] = { 0, 0 };
	unsigned n, unused = 0;
	size_t len;

	for (n = 0; n < 9; n++)
		if (ku & (1u << n))
			b[n / 8] |= (uint8_t)(0x80 >> (n % 8));
	len = b[1] ? 2 : 1;
	while (unused < 7 && !(b[len - 1] & (1u << unused)))
		unused++;
	pc_der_bits(d, b, len, unused);
}

static void gn(pc_der *d, const char *t, bool constraint)
{
	pkix_gn g;

	CHECK_OK(pkix_gn_from_text(t, constraint, &g, &t_err));
	pc_der_tlv(d, (uint8_t)(DER_CTX | g.type), g.val, g.len);
}

static void spki(pc_der *d, int key)
{
	uint8_t pt[65];

	pc_der_begin(d, DER_SEQUENCE);
	pc_der_begin(d, DER_SEQUENCE);
	if (key == KEY_EC) {
		pc_der_oid_text(d, "1.2.840.10045.2.1");
		pc_der_oid_text(d, "1.2.840.10045.3.1.7");
		pc_der_end(d);
		memset(pt, 0x11, sizeof pt);
		pt[0] = 4;
		pc_der_bits(d, pt, 65, 0);
	} else {
		pc_der_oid_text(d, "1.3.101.112");
		pc_der_end(d);
		memset(pt, 0x22, 32);
		pc_der_bits(d, pt, 32, 0);
	}
	pc_der_end(d);
}

static void build(const struct spec *s, bool is_issuer, pc_buf *out)
{
	pc_der d;
	size_t i;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_u64(&d, (uint64_t)s->version);
	pc_der_end(&d);
	pc_der_tlv(&d, DER_INTEGER, s->serial, s->serial_len);   /* raw: may be negative */
	pc_der_raw(&d, sigalg, sizeof sigalg);
	pc_der_raw(&d, issuer_name, sizeof issuer_name);
	pc_der_begin(&d, DER_SEQUENCE);
	time_tlv(&d, s->nb, s->nb_tag);
	time_tlv(&d, s->na, s->na_tag);
	pc_der_end(&d);
	if (s->empty_subject)
		pc_der_tlv(&d, DER_SEQUENCE, NULL, 0);
	else if (s->subject != NULL)
		pc_der_raw(&d, s->subject, s->subject_len);
	else if (is_issuer)
		pc_der_raw(&d, issuer_name, sizeof issuer_name);
	else
		pc_der_raw(&d, leaf_name, sizeof leaf_name);
	spki(&d, s->key);
	pc_der_begin(&d, DER_CTX_CONS | 3);
	pc_der_begin(&d, DER_SEQUENCE);
	ext_begin(&d, OID_BC, sizeof OID_BC, true);
	pc_der_begin(&d, DER_SEQUENCE);
	if (s->bc_ca)
		pc_der_bool(&d, true);
	if (s->bc_pathlen)
		pc_der_u64(&d, 0);
	pc_der_end(&d);
	ext_end(&d);
	for (i = 0; i < (s->dup_ku ? 2u : 1u); i++) {
		ext_begin(&d, OID_KU, sizeof OID_KU, true);
		ku_bits(&d, s->ku);
		ext_end(&d);
	}
	if (s->eku) {
		ext_begin(&d, OID_EKU, sizeof OID_EKU, false);
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_oid_text(&d, s->eku_oid ? s->eku_oid : "1.3.6.1.5.5.7.3.1");
		pc_der_end(&d);
		ext_end(&d);
	}
	if (s->pkgs) {
		{
			size_t ol;
			const uint8_t *o = pkix_oid_bytes(PKIX_OID_FW_PACKAGES, &ol);
			ext_begin(&d, o, ol, s->pkgs == PKGS_CRITICAL);
		}
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_tlv(&d, s->pkgs == PKGS_MALFORMED ? DER_PRINTABLESTRING : DER_UTF8STRING,
		    "pumps", 5);
		pc_der_end(&d);
		ext_end(&d);
	}
	if (s->san[0]) {
		ext_begin(&d, OID_SAN, sizeof OID_SAN, s->san_critical);
		pc_der_begin(&d, DER_SEQUENCE);
		for (i = 0; i < 4 && s->san[i]; i++)
			gn(&d, s->san[i], false);
		pc_der_end(&d);
		ext_end(&d);
	}
	if (s->ski) {
		uint8_t id[20] = { 1 };
		ext_begin(&d, OID_SKI, sizeof OID_SKI, false);
		pc_der_tlv(&d, DER_OCTET_STRING, id, sizeof id);
		ext_end(&d);
	}
	if (s->nc) {
		static const char *const permit[] = { "dns:line3.plant.local", "ip:10.3.0.0/16",
		    "uri:.plant.local", "email:plant.local" };
		ext_begin(&d, OID_NC, sizeof OID_NC, true);
		pc_der_begin(&d, DER_SEQUENCE);
		pc_der_begin(&d, DER_CTX_CONS | 0);
		for (i = 0; i < 4; i++) {
			pc_der_begin(&d, DER_SEQUENCE);
			gn(&d, permit[i], true);
			pc_der_end(&d);
		}
		pc_der_end(&d);
		pc_der_end(&d);
		ext_end(&d);
	}
	if (s->unknown_critical) {
		ext_begin(&d, (const uint8_t[]){ 0x2b, 0x06, 0x01, 0x04, 0x01, 0x82, 0x37 }, 7, true);
		pc_der_null(&d);
		ext_end(&d);
	}
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	CHECK(pc_der_ok(&d));
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
}

static struct spec good(time_t now)
{
	struct spec s;

	memset(&s, 0, sizeof s);
	memset(s.serial, 0x5a, 20);
	s.serial_len = 20;
	s.version = 2;
	s.nb = now - 300;
	s.na = now + 365 * 86400;
	s.key = KEY_EC;
	s.ku = PKIX_KU_DIGITAL_SIGNATURE;
	s.eku = true;
	s.san[0] = "dns:pump-1.line3.plant.local";
	s.san[1] = "ip:10.3.0.7";
	s.san[2] = "uri:https://hmi.plant.local/x";
	s.san[3] = "email:ops@plant.local";
	return s;
}

static pc_buf issuer;
static const char *const eku_server[] = { "1.3.6.1.5.5.7.3.1", NULL };

PC_CHECK static pc_rc run(const struct spec *s, unsigned want_ku, bool ca)
{
	pc_buf tbs = PC_BUF_INIT;
	ca_lint_expect x = { ca, want_ku, ca ? NULL : eku_server, ca ? 0 : 400, NULL };
	pc_rc rc;

	build(s, false, &tbs);
	CHECK(pc_buf_ok(&tbs));
	memset(&t_err, 0, sizeof t_err);
	rc = ca_lint_tbs(tbs.p, tbs.len, issuer.p, issuer.len, &x, "t", &t_err);
	pc_buf_free(&tbs);
	return rc;
}

/* A firmware signer's TBS: codeSigning expected, and package list `pkgs`. */
static const char *const eku_code[] = { "1.3.6.1.5.5.7.3.3", NULL };

PC_CHECK static pc_rc run_signer(const struct spec *s, const char *const *pkgs)
{
	pc_buf tbs = PC_BUF_INIT;
	ca_lint_expect x = { false, PKIX_KU_DIGITAL_SIGNATURE, eku_code, 400, pkgs };
	pc_rc rc;

	build(s, false, &tbs);
	CHECK(pc_buf_ok(&tbs));
	memset(&t_err, 0, sizeof t_err);
	rc = ca_lint_tbs(tbs.p, tbs.len, issuer.p, issuer.len, &x, "t", &t_err);
	pc_buf_free(&tbs);
	return rc;
}

#define REFUSED(what, s, ku, ca, frag) do { \
	CHECK_RC(run(&(s), (ku), (ca)), PC_E_POLICY); \
	CHECK_MSG("t: pre-issuance check failed: "); \
	CHECK_MSG(frag); \
	printf("ok - %s: %s\n", (what), t_err.msg + 30); } while (0)

/* A one-attribute Name. */
static size_t name1(uint8_t *out, size_t cap, const char *oid, uint8_t tag, const char *v,
    size_t n)
{
	pc_der d;
	size_t len;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_SET);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid_text(&d, oid);
	pc_der_tlv(&d, tag, v, n);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	CHECK(pc_der_ok(&d) && d.b.len <= cap);
	memcpy(out, d.b.p, d.b.len);
	len = d.b.len;
	pc_der_free(&d);
	return len;
}

int main(void)
{
	time_t now = time(NULL);
	struct spec s, is;
	pc_buf itbs = PC_BUF_INIT;
	static const uint8_t fake_sig[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	/* the issuer: a CA certificate with name constraints */
	is = good(now);
	is.na = now + 3650L * 86400;
	is.bc_ca = true;
	is.bc_pathlen = true;
	is.ku = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	is.eku = false;
	is.san[0] = NULL;
	is.ski = true;
	is.nc = true;
	build(&is, true, &itbs);
	CHECK_OK(pkix_cert_assemble(itbs.p, itbs.len, sigalg, sizeof sigalg, fake_sig,
	    sizeof fake_sig, &issuer));
	pc_buf_free(&itbs);

	s = good(now);
	CHECK_OK(run(&s, PKIX_KU_DIGITAL_SIGNATURE, false));
	printf("ok - the good TBS passes\n");

	s = good(now); s.serial[0] = 0x80;
	REFUSED("negative serial", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "serial number is not positive");
	s = good(now); memset(s.serial, 0, 20); s.serial_len = 1;
	REFUSED("zero serial", s, PKIX_KU_DIGITAL_SIGNATURE, false, "serial number is not positive");
	s = good(now); memset(s.serial, 0x11, 21); s.serial_len = 21;
	REFUSED("21-octet serial", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "serial number of 21 octets exceeds 20");
	s = good(now); s.version = 0;
	REFUSED("v1 with extensions", s, PKIX_KU_DIGITAL_SIGNATURE, false, "is not v3");
	s = good(now); s.na = s.nb - 1;
	REFUSED("notAfter before notBefore", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "notAfter is not after notBefore");
	s = good(now); s.na = now + 2000L * 86400;
	REFUSED("longer than the profile", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "validity longer than the profile's 400 days");
	s = good(now); s.nb_tag = DER_GENERALIZEDTIME;
	REFUSED("GeneralizedTime before 2050", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "notBefore (");
	CHECK_MSG("encoded as GeneralizedTime (RFC 5280 §4.1.2.5)");
	{
		struct tm tm = { .tm_year = 2051 - 1900, .tm_mon = 0, .tm_mday = 1 };
		s = good(now); s.na = timegm(&tm); s.na_tag = DER_UTCTIME;
		/* UTCTime cannot say 2051: it reads back as 1951, before notBefore */
		REFUSED("UTCTime after 2049", s, PKIX_KU_DIGITAL_SIGNATURE, false,
		    "notAfter is not after notBefore");
	}
	s = good(now); s.dup_ku = true;
	REFUSED("duplicate extension", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "extension 2.5.29.15 appears twice");
	s = good(now); s.unknown_critical = true;
	REFUSED("unknown critical extension", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "unknown critical extension 1.3.6.1.4.1.311");
	s = good(now); s.bc_ca = true;
	REFUSED("cA TRUE without keyCertSign in a leaf", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "basicConstraints cA is TRUE but keyCertSign is not set");
	CHECK_MSG("basicConstraints cA TRUE in a leaf certificate");
	s = good(now); s.ku |= PKIX_KU_KEY_CERT_SIGN;
	REFUSED("keyCertSign without cA", s, PKIX_KU_DIGITAL_SIGNATURE | PKIX_KU_KEY_CERT_SIGN, false,
	    "basicConstraints cA is FALSE but keyCertSign is set");
	s = good(now); s.bc_pathlen = true;
	REFUSED("pathLen in a leaf", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "pathLenConstraint without cA TRUE");
	s = good(now); s.bc_ca = true; s.ku = PKIX_KU_KEY_CERT_SIGN; s.eku = false;
	REFUSED("CA certificate without SKI", s, PKIX_KU_KEY_CERT_SIGN, true,
	    "CA certificate without subjectKeyIdentifier");
	s = good(now); s.empty_subject = true; s.san[0] = NULL;
	REFUSED("empty subject, no SAN", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "empty subject and no subjectAltName");
	s = good(now); s.empty_subject = true;
	REFUSED("empty subject, SAN not critical", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "empty subject but subjectAltName not critical");
	s = good(now); s.empty_subject = true; s.san_critical = true;
	CHECK_OK(run(&s, PKIX_KU_DIGITAL_SIGNATURE, false));
	printf("ok - empty subject with a critical SAN passes\n");
	s = good(now); s.ku |= PKIX_KU_KEY_ENCIPHERMENT;
	REFUSED("keyEncipherment with an EC key", s, PKIX_KU_DIGITAL_SIGNATURE | PKIX_KU_KEY_ENCIPHERMENT,
	    false, "keyEncipherment/dataEncipherment with an EC key");
	s = good(now); s.key = KEY_ED25519; s.ku |= PKIX_KU_DATA_ENCIPHERMENT;
	REFUSED("dataEncipherment with an Ed25519 key", s,
	    PKIX_KU_DIGITAL_SIGNATURE | PKIX_KU_DATA_ENCIPHERMENT, false,
	    "keyEncipherment/dataEncipherment with an Ed25519 key");
	s = good(now); s.key = KEY_ED25519; s.ku |= PKIX_KU_KEY_AGREEMENT;
	REFUSED("keyAgreement with an Ed25519 key", s,
	    PKIX_KU_DIGITAL_SIGNATURE | PKIX_KU_KEY_AGREEMENT, false, "keyAgreement with an Ed25519 key");
	s = good(now);
	REFUSED("KU differs from the profile", s, PKIX_KU_DIGITAL_SIGNATURE | PKIX_KU_NON_REPUDIATION,
	    false, "keyUsage 0x1 differs from the profile's 0x3");
	s = good(now); s.eku = false;
	REFUSED("EKU missing", s, PKIX_KU_DIGITAL_SIGNATURE, false, "extKeyUsage lacks 1.3.6.1.5.5.7.3.1");
	s = good(now); s.san[0] = "dns:pump.corp.example";
	REFUSED("DNS SAN outside the name constraints", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "SAN dns:pump.corp.example is outside the issuer's permitted name constraints");
	s = good(now); s.san[0] = "dns:evilline3.plant.local";
	REFUSED("DNS suffix without a label boundary", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "SAN dns:evilline3.plant.local is outside");
	s = good(now); s.san[1] = "ip:10.4.0.7";
	REFUSED("IP SAN outside the range", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "SAN ip:10.4.0.7 is outside the issuer's permitted name constraints");
	s = good(now); s.san[2] = "uri:https://evil.example/x";
	REFUSED("URI host outside", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "SAN uri:https://evil.example/x is outside");
	s = good(now); s.san[2] = "uri:urn:acme:line3:pump";
	REFUSED("URN under a URI constraint", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "SAN uri:urn:acme:line3:pump has no host, so it cannot satisfy the issuer's URI name "
	    "constraints");
	s = good(now); s.san[3] = "email:ops@corp.example";
	REFUSED("email domain outside", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "SAN email:ops@corp.example is outside");
	s = good(now); s.san[0] = "ip:10.3.0.7"; s.san[1] = NULL;
	REFUSED("serverAuth, no DNS SAN, CN outside the DNS constraints", s,
	    PKIX_KU_DIGITAL_SIGNATURE, false, "serverAuth certificate without a DNS SAN whose CN "
	    "'pump1' is outside the issuer's DNS name constraints");
	s = good(now); s.serial[0] = 0x80; s.na = s.nb - 1; s.dup_ku = true;
	REFUSED("several faults, all listed", s, PKIX_KU_DIGITAL_SIGNATURE, false,
	    "serial number is not positive");
	CHECK_MSG("notAfter is not after notBefore");
	CHECK_MSG("appears twice");

	/* the subject obeys the name rules (pkix_name_check), whatever built
	 * the TBS: the bad-input table of issue 9 item 3 */
	{
		static const struct {
			const char *what, *oid;
			uint8_t tag;
			const char *v;
			const char *msg;
		} n[] = {
			{ "UTF8String that is not UTF-8", "2.5.4.3", DER_UTF8STRING, "caf\xe9",
			  "subject CN: 'caf\\xe9' is not valid UTF-8 (RFC 3629)" },
			{ "PrintableString with @*&", "2.5.4.3", DER_PRINTABLESTRING, "a@b*c&d",
			  "subject CN: 'a@b*c&d' has characters outside PrintableString (A-Z a-z 0-9 space "
			  "'()+,-./:=?, X.680 §41.4)" },
			{ "PrintableString with ESC", "2.5.4.10", DER_PRINTABLESTRING, "Acme\x1b[2J",
			  "subject O: 'Acme\\x1b[2J' has characters outside PrintableString (A-Z a-z 0-9 "
			  "space '()+,-./:=?, X.680 §41.4)" },
			/* the address is inside the issuer's email constraint
			 * (plant.local), which applies to emailAddress too */
			{ "IA5String with 0xe9", "1.2.840.113549.1.9.1", DER_IA5STRING, "ops\xe9@plant.local",
			  "subject emailAddress: 'ops\\xe9@plant.local' has bytes outside IA5String (7-bit "
			  "ASCII)" },
			{ "C=GERMANY", "2.5.4.6", DER_PRINTABLESTRING, "GERMANY",
			  "subject C: 'GERMANY' is not a two-letter country code (ISO 3166, RFC 5280 "
			  "Appendix A)" },
			{ "65-character CN", "2.5.4.3", DER_UTF8STRING,
			  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
			  "subject CN: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' has 65 "
			  "characters, more than 64 (ub-common-name, RFC 5280 Appendix A)" },
			{ "ESC and BEL in OU", "2.5.4.11", DER_UTF8STRING, "Ops\x1b\x07",
			  "subject OU: 'Ops\\x1b\\x07' has control characters (C0, DEL or C1; NUL "
			  "included)" },
			{ "UTF-8 C1 in CN", "2.5.4.3", DER_UTF8STRING, "a\xc2\x9b" "b",
			  "subject CN: 'a\\u009bb' has control characters (C0, DEL or C1; NUL included)" },
			{ "TeletexString CN", "2.5.4.3", 0x14, "t61",
			  "subject CN: TeletexString values are refused (UTF8String or PrintableString, "
			  "RFC 5280 §4.1.2.4 and Appendix A)" },
		};
		uint8_t name[256];
		size_t k;

		for (k = 0; k < sizeof n / sizeof n[0]; k++) {
			s = good(now);
			s.subject = name;
			s.subject_len = name1(name, sizeof name, n[k].oid, n[k].tag, n[k].v, strlen(n[k].v));
			CHECK_RC(run(&s, PKIX_KU_DIGITAL_SIGNATURE, false), PC_E_POLICY);
			if (strncmp(t_err.msg, "t: pre-issuance check failed: ", 30) != 0 ||
			    strcmp(t_err.msg + 30, n[k].msg) != 0) {
				FAIL("%s: got\n  %s\nwant\n  t: pre-issuance check failed: "
				    "%s", n[k].what, t_err.msg, n[k].msg);
			}
			printf("ok - %s: %s\n", n[k].what, t_err.msg + 30);
		}
		/* and a good one passes */
		s = good(now);
		s.subject = name;
		s.subject_len = name1(name, sizeof name, "2.5.4.3", DER_UTF8STRING, "pump-\xc3\xa9", 7);
		CHECK_OK(run(&s, PKIX_KU_DIGITAL_SIGNATURE, false));
	}

	/* code signing: firmware signers only, with exactly their list */
	{
		static const char *const pumps[] = { "pumps", NULL };
		static const char *const two[] = { "pumps", "valves", NULL };
		static const char *const eku_any[] = { "2.5.29.37.0", NULL };
		pc_buf tbs = PC_BUF_INIT;
		ca_lint_expect x = { false, PKIX_KU_DIGITAL_SIGNATURE, eku_any, 400, NULL };

		s = good(now); s.eku_oid = "1.3.6.1.5.5.7.3.3"; s.san[0] = NULL; s.san[1] = NULL;
		s.san[2] = NULL; s.san[3] = NULL;
		/* a request's certificate: refused even when the EKU is "expected" */
		{
			ca_lint_expect xr = { false, PKIX_KU_DIGITAL_SIGNATURE, eku_code, 400, NULL };
			build(&s, false, &tbs);
			CHECK_RC(ca_lint_tbs(tbs.p, tbs.len, issuer.p, issuer.len, &xr, "t", &t_err),
			    PC_E_POLICY);
			CHECK_MSG("extKeyUsage codeSigning in a certificate that is not a firmware signer");
			pc_buf_free(&tbs);
			printf("ok - codeSigning outside a firmware signer: %s\n", t_err.msg + 30);
		}
		s.eku_oid = "2.5.29.37.0";
		build(&s, false, &tbs);
		CHECK_RC(ca_lint_tbs(tbs.p, tbs.len, issuer.p, issuer.len, &x, "t", &t_err), PC_E_POLICY);
		CHECK_MSG("extKeyUsage anyExtendedKeyUsage in a certificate that is not a firmware signer");
		pc_buf_free(&tbs);
		printf("ok - anyExtendedKeyUsage outside a firmware signer: %s\n", t_err.msg + 30);

		s = good(now); s.pkgs = PKGS_OK;
		REFUSED("package list in a device certificate", s, PKIX_KU_DIGITAL_SIGNATURE, false,
		    "a firmware package list in a certificate that is not a firmware signer");

		s = good(now); s.eku_oid = "1.3.6.1.5.5.7.3.3"; s.pkgs = PKGS_OK;
		CHECK_OK(run_signer(&s, pumps));
		printf("ok - a firmware signer with its package list passes\n");
		s.pkgs = PKGS_CRITICAL;
		CHECK_RC(run_signer(&s, pumps), PC_E_POLICY);
		CHECK_MSG("firmware package list marked critical");
		s.pkgs = PKGS_OK;
		CHECK_RC(run_signer(&s, two), PC_E_POLICY);
		CHECK_MSG("firmware package list differs from the packages asked for");
		s.pkgs = 0;
		CHECK_RC(run_signer(&s, pumps), PC_E_POLICY);
		CHECK_MSG("firmware signer without its package list (" FW_PKGS_OID_TEXT ")");
		s.pkgs = PKGS_MALFORMED;
		CHECK_RC(run_signer(&s, pumps), PC_E_POLICY);
		CHECK_MSG("malformed firmware package list: firmware package list: an entry is not a "
		    "UTF8String");
		printf("ok - signer: critical, different, missing, malformed package lists refused\n");
	}

	/* not DER at all */
	{
		static const uint8_t junk[] = { 0x30, 0x03, 0x02, 0x01 };
		ca_lint_expect x = { false, 0, NULL, 0, NULL };
		CHECK_RC(ca_lint_tbs(junk, sizeof junk, NULL, 0, &x, "t", &t_err), PC_E_POLICY);
		CHECK_MSG("not one DER SEQUENCE");
	}
	pc_buf_free(&issuer);
	printf("all pre-issuance refusals seen\n");
	return 0;
}
