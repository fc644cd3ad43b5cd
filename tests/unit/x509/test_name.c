/*
 * test_name.c - distinguished names (x509_name_from_text / _to_text) and
 * general names (x509_gn_from_text / _to_text).
 *
 *   test_name [NAME.der]
 *
 * NAME.der (optional) is a Name written by OpenSSL (corpus/fuzz_der/name.der,
 * see make-seeds.sh): our encoding of the same text must equal it byte for
 * byte, an independent check of the attribute OIDs and string types.
 */
#include "x509.h"
#include "file.h"
#include "check.h"

static pc_rc name_text(const char *text, pc_buf *der, char *out, size_t cap)
{
	pc_buf t = PC_BUF_INIT;
	pc_rc rc;

	memset(&t_err, 0, sizeof t_err);
	rc = x509_name_from_text(der, text, &t_err);
	if (rc != PC_OK)
		return rc;
	CHECK_OK(x509_name_to_text(der->p, der->len, &t));
	CHECK(t.len < cap);
	memcpy(out, t.p, t.len);
	out[t.len] = '\0';
	pc_buf_free(&t);
	return PC_OK;
}

static void test_known_encoding(void)
{
	/* SEQUENCE { SET { SEQ { 2.5.4.6, PrintableString "DE" } },
	 *            SET { SEQ { 2.5.4.10, UTF8String "Acme" } },
	 *            SET { SEQ { 2.5.4.3, UTF8String "Root" } } } */
	static const uint8_t want[] = {
		0x30, 0x2b,
		0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13, 0x02, 'D', 'E',
		0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x0c, 0x04, 'A', 'c', 'm', 'e',
		0x31, 0x0d, 0x30, 0x0b, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x04, 'R', 'o', 'o', 't',
	};
	static const char *const spellings[] = {
		"/C=DE/O=Acme/CN=Root",           /* OpenSSL -subj: most significant first */
		"CN=Root,O=Acme,C=DE",            /* RFC 4514: most significant last */
		"CN=Root, O=Acme, C=DE",
		"cn=Root,o=Acme,c=DE",            /* attribute names are case-insensitive */
		"/C=DE/O=Acme/CN=Root/",
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
		pc_buf der = PC_BUF_INIT;

		CHECK_OK(name_text(spellings[i], &der, text, sizeof text));
		CHECK_BYTES(der.p, der.len, want, sizeof want);
		CHECK(strcmp(text, "CN=Root,O=Acme,C=DE") == 0);
		pc_buf_free(&der);
	}

	/* appends to what the buffer already holds */
	{
		pc_buf der = PC_BUF_INIT;

		pc_buf_str(&der, "xy");
		CHECK_OK(x509_name_from_text(&der, "CN=Root,O=Acme,C=DE", &t_err));
		CHECK(der.len == 2 + sizeof want && memcmp(der.p + 2, want, sizeof want) == 0);
		pc_buf_free(&der);
	}
}

static void test_openssl_name(const char *path)
{
	static const char text[] =
	    "/C=DE/ST=Berlin/L=Berlin/O=Plant/OU=Ops/CN=RSA Seed/emailAddress=ops@example.com";
	pc_buf der = PC_BUF_INIT, t = PC_BUF_INIT;
	uint8_t *want;
	size_t len;

	CHECK_OK(pc_file_read(path, 4096, &want, &len, &t_err));
	CHECK_OK(x509_name_from_text(&der, text, &t_err));
	CHECK_BYTES(der.p, der.len, want, len);
	CHECK_OK(x509_name_to_text(want, len, &t));
	pc_buf_byte(&t, 0);
	CHECK(strcmp((char *)t.p, "emailAddress=ops@example.com,CN=RSA Seed,OU=Ops,"
	    "O=Plant,L=Berlin,ST=Berlin,C=DE") == 0);
	free(want);
	pc_buf_free(&der);
	pc_buf_free(&t);
}

/* RFC 4514 §2.4: escaped characters survive a round trip text -> DER -> text. */
static void test_escaping(void)
{
	static const struct {
		const char *in;
		const char *out;
		const char *value;    /* the bytes of the first value in the DER */
	} t[] = {
		{ "/CN=a,b", "CN=a\\,b", "a,b" },
		{ "CN=a\\,b", "CN=a\\,b", "a,b" },
		{ "/CN=a+b", "CN=a\\+b", "a+b" },
		{ "/CN=x=y", "CN=x\\=y", "x=y" },
		{ "/CN=q\"uo<t>e;d", "CN=q\\\"uo\\<t\\>e\\;d", "q\"uo<t>e;d" },
		{ "/CN=back\\\\slash", "CN=back\\\\slash", "back\\slash" },
		{ "/CN=a\\/b", "CN=a/b", "a/b" },
		{ "/CN=#hash", "CN=\\#hash", "#hash" },
		{ "/CN=in#side", "CN=in#side", "in#side" },
		{ "/CN= lead", "CN=\\ lead", " lead" },
		{ "/CN=trail ", "CN=trail\\ ", "trail " },
		{ "CN=\\ lead,O=x", "CN=\\ lead,O=x", "x" },
		{ "/CN=caf\xc3\xa9", "CN=caf\xc3\xa9", "caf\xc3\xa9" },
		{ "/DC=example/DC=com/UID=u1", "UID=u1,DC=com,DC=example", "example" },
		{ "/serialNumber=A-1 (2)", "serialNumber=A-1 (2)", "A-1 (2)" },
	};
	char text[512];
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_buf der = PC_BUF_INIT;
		pc_reader r, name, rdn, atv, oid, val;
		uint8_t tag;

		if (name_text(t[i].in, &der, text, sizeof text) != PC_OK) {
			fprintf(stderr, "'%s' refused: %s\n", t[i].in, t_err.msg);
			CHECK(0);
		}
		if (strcmp(text, t[i].out) != 0) {
			fprintf(stderr, "'%s' printed as '%s', want '%s'\n", t[i].in, text, t[i].out);
			CHECK(0);
		}
		r = pc_reader_make(der.p, der.len);
		CHECK(pc_der_read(&r, DER_SEQUENCE, &name) && pc_der_read(&name, DER_SET, &rdn) &&
		    pc_der_read(&rdn, DER_SEQUENCE, &atv) && pc_der_read(&atv, DER_OID, &oid) &&
		    pc_der_read_any(&atv, &tag, &val, NULL, NULL));
		CHECK_BYTES(val.p + val.off, pc_reader_left(&val), t[i].value, strlen(t[i].value));
		pc_buf_free(&der);

		/* and the printed form reads back to the same DER */
		{
			pc_buf again = PC_BUF_INIT, der2 = PC_BUF_INIT;

			CHECK_OK(x509_name_from_text(&der2, t[i].in, &t_err));
			CHECK_OK(x509_name_from_text(&again, text, &t_err));
			CHECK_BYTES(again.p, again.len, der2.p, der2.len);
			pc_buf_free(&again);
			pc_buf_free(&der2);
		}
	}
}

static void test_bad_names(void)
{
	static const struct {
		const char *in;
		const char *msg;
	} t[] = {
		{ "", "is empty" },
		{ "/", "is empty" },
		{ "CN", "expected TYPE=VALUE" },
		{ "=x", "expected TYPE=VALUE" },
		{ "CN=a,,O=b", "unknown attribute ',O'" },
		{ "/CN=a//O=b", "unknown attribute '/O'" },
		{ "XX=a", "unknown attribute 'XX'" },
		{ "commonName=a", "unknown attribute 'commonName'" },
		{ "2.5.4.3=a", "unknown attribute '2.5.4.3'" },
		{ "CN=", "CN must be 1 to 64 characters" },
		{ "/C=DE/CN=", "CN must be 1 to 64 characters" },
		{ "C=D", "C must be a two-letter country code" },
		{ "C=DEU", "C must be 1 to 2 characters" },
		{ "C=D*", "C has characters outside PrintableString" },
		{ "C=\xc3\xa4", "C has characters outside PrintableString" },
		{ "serialNumber=a_b", "serialNumber has characters outside PrintableString" },
		{ "serialNumber=a@b", "serialNumber has characters outside PrintableString" },
		{ "CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "CN must be 1 to 64 characters" },
		{ "CN=a\nb", "CN has control characters" },
		{ "CN=a\tb", "CN has control characters" },
		{ "CN=a\x7f", "CN has control characters" },
		{ "CN=\xff", "CN is not valid UTF-8" },
		{ "CN=\xc3", "CN is not valid UTF-8" },               /* truncated */
		{ "CN=\xc0\xaf", "CN is not valid UTF-8" },           /* overlong '/' */
		{ "CN=\xed\xa0\x80", "CN is not valid UTF-8" },       /* surrogate */
		{ "CN=\xf4\x90\x80\x80", "CN is not valid UTF-8" },   /* > U+10FFFF */
		{ "emailAddress=\xc3\xa4@x", "emailAddress has characters outside IA5String" },
		{ "DC=ex\xc3\xa4mple", "DC has characters outside IA5String" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_buf der = PC_BUF_INIT;
		pc_rc rc;

		memset(&t_err, 0, sizeof t_err);
		rc = x509_name_from_text(&der, t[i].in, &t_err);
		if (rc != PC_E_USAGE || strstr(t_err.msg, t[i].msg) == NULL) {
			fprintf(stderr, "'%s': got %s '%s', want usage '%s'\n", t[i].in,
			    pc_rc_name(rc), t_err.msg, t[i].msg);
			CHECK(0);
		}
		CHECK(der.len == 0);
		pc_buf_free(&der);
	}

	/* 16 attributes fit, 17 do not */
	{
		char many[256] = "";
		pc_buf der = PC_BUF_INIT;
		int k;

		for (k = 0; k < 16; k++)
			strcat(many, "/OU=u");
		CHECK_OK(x509_name_from_text(&der, many, &t_err));
		pc_buf_free(&der);
		strcat(many, "/OU=u");
		CHECK_RC(x509_name_from_text(&der, many, &t_err), PC_E_USAGE);
		CHECK_MSG("too many attributes");
		pc_buf_free(&der);
	}
}

/* DER Names from elsewhere (CSRs): what x509_name_to_text refuses. */
static void test_bad_der_names(void)
{
	static const struct {
		const char *why;
		const char *der;
		size_t len;
	} t[] = {
		{ "not a SEQUENCE", "\x31\x00", 2 },
		{ "trailing byte", "\x30\x00\x00", 3 },
		{ "RDN not a SET", "\x30\x02\x30\x00", 4 },
		{ "empty RDN", "\x30\x02\x31\x00", 4 },
		{ "ATV without value", "\x30\x09\x31\x07\x30\x05\x06\x03\x55\x04\x03", 11 },
		{ "value not a string", "\x30\x0c\x31\x0a\x30\x08\x06\x03\x55\x04\x03\x02\x01\x05", 14 },
		{ "extra element in ATV",
		  "\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x01x\x05\x00", 16 },
		{ "bad OID", "\x30\x0b\x31\x09\x30\x07\x06\x02\x55\x84\x0c\x01x", 13 },
	};
	size_t i;
	pc_buf t2 = PC_BUF_INIT;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_buf out = PC_BUF_INIT;

		if (x509_name_to_text((const uint8_t *)t[i].der, t[i].len, &out) != PC_E_INPUT) {
			fprintf(stderr, "Name accepted: %s\n", t[i].why);
			CHECK(0);
		}
		pc_buf_free(&out);
	}
	/* an empty Name is valid (RFC 5280 §4.1.2.6, with a critical SAN) */
	CHECK_OK(x509_name_to_text((const uint8_t *)"\x30\x00", 2, &t2));
	CHECK(t2.len == 0);
	/* unknown attributes print as dotted OIDs; multi-valued RDNs with '+' */
	CHECK_OK(x509_name_to_text((const uint8_t *)
	    "\x30\x1c\x31\x1a\x30\x0a\x06\x03\x55\x04\x03\x0c\x03""abc"
	    "\x30\x0c\x06\x04\x2a\x03\x04\x05\x13\x04""d,ef", 30, &t2));
	pc_buf_byte(&t2, 0);
	CHECK(strcmp((char *)t2.p, "CN=abc+1.2.3.4.5=d\\,ef") == 0);
	pc_buf_free(&t2);
	/* control bytes print as \XX hex pairs */
	CHECK_OK(x509_name_to_text((const uint8_t *)
	    "\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03""a\nb", 16, &t2));
	pc_buf_byte(&t2, 0);
	CHECK(strcmp((char *)t2.p, "CN=a\\0ab") == 0);
	pc_buf_free(&t2);
}

static void gn_ok(const char *text, bool cidr, x509_gn_type type, const char *val,
    size_t len, const char *back)
{
	x509_gn g;
	pc_buf t = PC_BUF_INIT;

	memset(&t_err, 0, sizeof t_err);
	if (x509_gn_from_text(text, cidr, &g, &t_err) != PC_OK) {
		fprintf(stderr, "'%s' refused: %s\n", text, t_err.msg);
		CHECK(0);
	}
	CHECK(g.type == type);
	CHECK_BYTES(g.val, g.len, val, len);
	x509_gn_to_text(&g, &t);
	pc_buf_byte(&t, 0);
	if (strcmp((char *)t.p, back) != 0) {
		fprintf(stderr, "'%s' printed as '%s', want '%s'\n", text, (char *)t.p, back);
		CHECK(0);
	}
	pc_buf_free(&t);
}

static void test_general_names(void)
{
	static const struct {
		const char *text;
		bool cidr;
		const char *msg;
	} bad[] = {
		{ "host.example", false, "expected TYPE:VALUE" },
		{ "dns:", false, "empty or over-long value" },
		{ "dns:a..b", false, "not a valid DNS name" },
		{ "dns:a.", false, "not a valid DNS name" },
		{ "dns:.a", false, "not a valid DNS name" },         /* only in constraints */
		{ "dns:.", true, "not a valid DNS name" },
		{ "dns:a b", false, "not a valid DNS name" },
		{ "dns:a_b", false, "not a valid DNS name" },
		{ "dns:caf\xc3\xa9.example", false, "not a valid DNS name" },
		{ "dns:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", false,
		    "not a valid DNS name" },                           /* 64-octet label */
		{ "ip:10.0.0.256", false, "bad IP address" },
		{ "ip:10.0.0", false, "bad IP address" },
		{ "ip:010.0.0.1", false, "bad IP address" },
		{ "ip:host", false, "bad IP address" },
		{ "ip:2001:db8::g", false, "bad IP address" },
		{ "ip:10.0.0.0/8", false, "only allowed in name constraints" },
		{ "ip:10.0.0.0/33", true, "bad prefix length" },
		{ "ip:2001:db8::/129", true, "bad prefix length" },
		{ "ip:10.0.0.0/", true, "bad prefix length" },
		{ "ip:10.0.0.0/8x", true, "bad prefix length" },
		{ "ip:10.0.0.0/-1", true, "bad prefix length" },
		{ "ip:10.0.0.0/ 8", true, "bad prefix length" },
		{ "ip:10.0.0.0/+8", true, "bad prefix length" },
		{ "ip:10.0.0.0/-0", true, "bad prefix length" },
		{ "ip:10.0.0.0/99999999999999999999", true, "bad prefix length" },
		{ "uri:urn:a b", false, "URI has spaces or non-ASCII bytes" },
		{ "uri:http://caf\xc3\xa9/", false, "URI has spaces or non-ASCII bytes" },
		{ "email:a b@example.com", false, "bad email address" },
		{ "email:a\x01@example.com", false, "bad email address" },
		{ "DNS:upper.example", false, "unknown name type" },
		{ "otherName:1.2.3", false, "unknown name type" },
		{ "dirName:/CN=x", false, "unknown name type" },
	};
	char longv[300];
	x509_gn g;
	size_t i;

	gn_ok("dns:host.example", false, X509_GN_DNS, "host.example", 12, "dns:host.example");
	gn_ok("dns:*.wild.example", false, X509_GN_DNS, "*.wild.example", 14, "dns:*.wild.example");
	gn_ok("dns:.example", true, X509_GN_DNS, ".example", 8, "dns:.example");
	gn_ok("dns:xn--caf-dma.example", false, X509_GN_DNS, "xn--caf-dma.example", 19,
	    "dns:xn--caf-dma.example");
	gn_ok("ip:192.0.2.7", false, X509_GN_IP, "\xc0\x00\x02\x07", 4, "ip:192.0.2.7");
	gn_ok("ip:2001:db8::7", false, X509_GN_IP,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07", 16, "ip:2001:db8::7");
	/* RFC 5280 §4.2.1.10: address then mask; host bits cleared */
	gn_ok("ip:10.3.0.0/16", true, X509_GN_IP, "\x0a\x03\0\0\xff\xff\0\0", 8, "ip:10.3.0.0/16");
	gn_ok("ip:10.3.7.9/12", true, X509_GN_IP, "\x0a\x00\0\0\xff\xf0\0\0", 8, "ip:10.0.0.0/12");
	gn_ok("ip:0.0.0.0/0", true, X509_GN_IP, "\0\0\0\0\0\0\0\0", 8, "ip:0.0.0.0/0");
	gn_ok("ip:192.0.2.7", true, X509_GN_IP, "\xc0\x00\x02\x07\xff\xff\xff\xff", 8,
	    "ip:192.0.2.7/32");
	gn_ok("ip:2001:db8::/32", true, X509_GN_IP,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\0\0", 32, "ip:2001:db8::/32");
	gn_ok("uri:urn:example:plant:7", false, X509_GN_URI, "urn:example:plant:7", 19,
	    "uri:urn:example:plant:7");
	gn_ok("email:ops@example.com", false, X509_GN_EMAIL, "ops@example.com", 15,
	    "email:ops@example.com");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pc_rc rc;

		memset(&t_err, 0, sizeof t_err);
		rc = x509_gn_from_text(bad[i].text, bad[i].cidr, &g, &t_err);
		if (rc != PC_E_USAGE || strstr(t_err.msg, bad[i].msg) == NULL) {
			fprintf(stderr, "'%s' (cidr %d): got %s '%s', want usage '%s'\n",
			    bad[i].text, bad[i].cidr, pc_rc_name(rc), t_err.msg, bad[i].msg);
			CHECK(0);
		}
	}

	/* value length: 255 bytes fit (NUL-terminated in val[256]), 256 do not */
	strcpy(longv, "uri:");
	memset(longv + 4, 'u', 255);
	longv[4 + 255] = '\0';
	CHECK_OK(x509_gn_from_text(longv, false, &g, &t_err));
	CHECK(g.len == 255 && g.val[255] == '\0');
	longv[4 + 255] = 'u';
	longv[4 + 256] = '\0';
	CHECK_RC(x509_gn_from_text(longv, false, &g, &t_err), PC_E_USAGE);
	CHECK_MSG("empty or over-long value");
}

static void test_spki(void)
{
	/* id-ecPublicKey with P-256, a 65-byte uncompressed point */
	uint8_t spki[91] = {
		0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
	};
	x509_keytype kt;
	unsigned bits;

	CHECK_OK(x509_spki_check(spki, sizeof spki, &kt, &bits, "k", &t_err));
	CHECK(kt == X509_KEY_EC_P256 && bits == 256);
	spki[26] = 0x02;                              /* compressed point marker */
	CHECK_RC(x509_spki_check(spki, sizeof spki, &kt, &bits, "k", &t_err), PC_E_CSR);
	CHECK_MSG("k: EC key on an unsupported curve or with a malformed point");
	spki[26] = 0x04;
	spki[25] = 0x01;                              /* unused bits in the key */
	CHECK_RC(x509_spki_check(spki, sizeof spki, &kt, &bits, "k", &t_err), PC_E_CSR);
	CHECK_MSG("malformed SubjectPublicKeyInfo");
	spki[25] = 0x00;
	CHECK_RC(x509_spki_check(spki, sizeof spki - 1, &kt, &bits, "k", &t_err), PC_E_CSR);
	CHECK_RC(x509_spki_check(spki, 0, &kt, &bits, "k", &t_err), PC_E_CSR);
}

int main(int argc, char **argv)
{
	test_known_encoding();
	if (argc > 1)
		test_openssl_name(argv[1]);
	test_escaping();
	test_bad_names();
	test_bad_der_names();
	test_general_names();
	test_spki();
	return 0;
}
