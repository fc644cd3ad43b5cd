/*
 * test_name.c - distinguished names (pkix_name_from_text / _to_text) and
 * general names (pkix_gn_from_text / _to_text).
 *
 *   test_name [NAME.der]
 *
 * NAME.der (optional) is a Name written by OpenSSL (corpus/fuzz_der/name.der,
 * see make-seeds.sh): our encoding of the same text must equal it byte for
 * byte, an independent check of the attribute OIDs and string types.
 */
#include "pkix.h"
#include "file.h"
#include "check.h"

PC_CHECK static pc_rc name_text(const char *text, pc_buf *der, char *out, size_t cap)
{
	pc_buf t = PC_BUF_INIT;
	pc_rc rc;

	memset(&t_err, 0, sizeof t_err);
	rc = pkix_name_from_text(der, text, &t_err);
	if (rc != PC_OK)
		return rc;
	CHECK_OK(pkix_name_to_text(der->p, der->len, &t));
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
		CHECK_OK(pkix_name_from_text(&der, "CN=Root,O=Acme,C=DE", &t_err));
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
	CHECK_OK(pkix_name_from_text(&der, text, &t_err));
	CHECK_BYTES(der.p, der.len, want, len);
	CHECK_OK(pkix_name_to_text(want, len, &t));
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
			FAIL("'%s' refused: %s", t[i].in, t_err.msg);
		}
		if (strcmp(text, t[i].out) != 0) {
			FAIL("'%s' printed as '%s', want '%s'", t[i].in, text, t[i].out);
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

			CHECK_OK(pkix_name_from_text(&der2, t[i].in, &t_err));
			CHECK_OK(pkix_name_from_text(&again, text, &t_err));
			CHECK_BYTES(again.p, again.len, der2.p, der2.len);
			pc_buf_free(&again);
			pc_buf_free(&der2);
		}
	}
}

static void test_bad_names(void)
{
	/* structure: a part of the message */
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
	};
	/* the value rules (pkix_attr_check), the same for typed names and
	 * CSRs: the whole message */
	static const struct {
		const char *in;
		const char *msg;
	} v[] = {
		{ "CN=", "subject CN: empty value (X.520: at least one character)" },
		{ "/C=DE/CN=", "subject CN: empty value (X.520: at least one character)" },
		{ "C=D", "subject C: 'D' is not a two-letter country code (ISO 3166, RFC 5280 Appendix A)" },
		{ "C=DEU", "subject C: 'DEU' is not a two-letter country code (ISO 3166, RFC 5280 Appendix A)" },
		{ "C=GERMANY", "subject C: 'GERMANY' is not a two-letter country code (ISO 3166, RFC 5280 "
		    "Appendix A)" },
		{ "C=de", "subject C: 'de' is not a two-letter country code (ISO 3166, RFC 5280 Appendix A)" },
		{ "C=D*", "subject C: 'D*' is not a two-letter country code (ISO 3166, RFC 5280 Appendix A)" },
		{ "C=\xc3\xa4", "subject C: '\xc3\xa4' is not a two-letter country code (ISO 3166, RFC 5280 "
		    "Appendix A)" },
		{ "serialNumber=a_b", "subject serialNumber: 'a_b' has characters outside PrintableString "
		    "(A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)" },
		{ "serialNumber=a@b*c&d", "subject serialNumber: 'a@b*c&d' has characters outside "
		    "PrintableString (A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)" },
		{ "serialNumber=A\x1b" "1", "subject serialNumber: 'A\\x1b1' has characters outside "
		    "PrintableString (A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)" },
		{ "CN=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    "subject CN: 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' has 65 "
		    "characters, more than 64 (ub-common-name, RFC 5280 Appendix A)" },
		{ "CN=a\nb", "subject CN: 'a\\x0ab' has control characters (C0, DEL or C1; NUL included)" },
		{ "CN=a\tb", "subject CN: 'a\\x09b' has control characters (C0, DEL or C1; NUL included)" },
		{ "CN=a\x7f", "subject CN: 'a\\x7f' has control characters (C0, DEL or C1; NUL included)" },
		{ "OU=x\x1b\x07", "subject OU: 'x\\x1b\\x07' has control characters (C0, DEL or C1; NUL "
		    "included)" },
		{ "CN=a\xc2\x9b" "b", "subject CN: 'a\\u009bb' has control characters (C0, DEL or C1; NUL "
		    "included)" },
		{ "CN=\xff", "subject CN: '\\xff' is not valid UTF-8 (RFC 3629)" },
		{ "CN=\xc3", "subject CN: '\\xc3' is not valid UTF-8 (RFC 3629)" },          /* truncated */
		{ "CN=\xc0\xaf", "subject CN: '\\xc0\\xaf' is not valid UTF-8 (RFC 3629)" }, /* overlong */
		{ "CN=\xed\xa0\x80", "subject CN: '\\xed\\xa0\\x80' is not valid UTF-8 (RFC 3629)" },
		{ "CN=\xf4\x90\x80\x80", "subject CN: '\\xf4\\x90\\x80\\x80' is not valid UTF-8 (RFC 3629)" },
		{ "CN=a\x9b" "b", "subject CN: 'a\\x9bb' is not valid UTF-8 (RFC 3629)" },
		{ "emailAddress=\xc3\xa4@x", "subject emailAddress: '\xc3\xa4@x' has bytes outside "
		    "IA5String (7-bit ASCII)" },
		{ "DC=ex\xc3\xa4mple", "subject DC: 'ex\xc3\xa4mple' has bytes outside IA5String (7-bit "
		    "ASCII)" },
		{ "DC=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "subject DC: "
		    "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' has 64 characters, more "
		    "than 63 (one DNS label, RFC 4519 §2.4, RFC 1035 §2.3.4)" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_buf der = PC_BUF_INIT;
		pc_rc rc;

		memset(&t_err, 0, sizeof t_err);
		rc = pkix_name_from_text(&der, t[i].in, &t_err);
		if (rc != PC_E_USAGE || strstr(t_err.msg, t[i].msg) == NULL) {
			FAIL("'%s': got %s '%s', want usage '%s'", t[i].in,
			    pc_rc_name(rc), t_err.msg, t[i].msg);
		}
		CHECK(der.len == 0);
		pc_buf_free(&der);
	}
	for (i = 0; i < sizeof v / sizeof v[0]; i++) {
		pc_buf der = PC_BUF_INIT;
		pc_rc rc;

		memset(&t_err, 0, sizeof t_err);
		rc = pkix_name_from_text(&der, v[i].in, &t_err);
		if (rc != PC_E_USAGE || strcmp(t_err.msg, v[i].msg) != 0) {
			FAIL("'%s': got %s\n  '%s'\nwant usage\n  '%s'", v[i].in,
			    pc_rc_name(rc), t_err.msg, v[i].msg);
		}
		CHECK(der.len == 0);
		pc_buf_free(&der);
	}

	/* the bounds count characters, not bytes: 64 two-byte characters fit */
	{
		char cn[3 + 64 * 2 + 3] = "CN=";
		pc_buf der = PC_BUF_INIT;
		for (i = 0; i < 64; i++)
			memcpy(cn + 3 + 2 * i, "\xc3\xa9", 2);
		cn[3 + 128] = '\0';
		CHECK_OK(pkix_name_from_text(&der, cn, &t_err));
		pc_buf_free(&der);
		memcpy(cn + 3 + 128, "\xc3\xa9", 3);
		CHECK_RC(pkix_name_from_text(&der, cn, &t_err), PC_E_USAGE);
		CHECK_MSG("has 65 characters, more than 64 (ub-common-name");
		pc_buf_free(&der);
	}
	/* U+202E is a character (it is shown escaped, not refused) */
	{
		pc_buf der = PC_BUF_INIT;
		CHECK_OK(pkix_name_from_text(&der, "CN=exe.\xe2\x80\xaegpj", &t_err));
		pc_buf_free(&der);
	}

	/* 16 attributes fit, 17 do not */
	{
		char many[256] = "";
		pc_buf der = PC_BUF_INIT;
		int k;

		for (k = 0; k < 16; k++)
			strcat(many, "/OU=u");
		CHECK_OK(pkix_name_from_text(&der, many, &t_err));
		pc_buf_free(&der);
		strcat(many, "/OU=u");
		CHECK_RC(pkix_name_from_text(&der, many, &t_err), PC_E_USAGE);
		CHECK_MSG("too many attributes");
		pc_buf_free(&der);
	}
}

/* DER Names from elsewhere (CSRs): what pkix_name_to_text refuses. */
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

		if (pkix_name_to_text((const uint8_t *)t[i].der, t[i].len, &out) != PC_E_INPUT) {
			FAIL("Name accepted: %s", t[i].why);
		}
		pc_buf_free(&out);
	}
	/* an empty Name is valid (RFC 5280 §4.1.2.6, with a critical SAN) */
	CHECK_OK(pkix_name_to_text((const uint8_t *)"\x30\x00", 2, &t2));
	CHECK(t2.len == 0);
	/* unknown attributes print as dotted OIDs; multi-valued RDNs with '+' */
	CHECK_OK(pkix_name_to_text((const uint8_t *)
	    "\x30\x1c\x31\x1a\x30\x0a\x06\x03\x55\x04\x03\x0c\x03""abc"
	    "\x30\x0c\x06\x04\x2a\x03\x04\x05\x13\x04""d,ef", 30, &t2));
	pc_buf_byte(&t2, 0);
	CHECK(strcmp((char *)t2.p, "CN=abc+1.2.3.4.5=d\\,ef") == 0);
	pc_buf_free(&t2);
	/* what the DER holds is shown through the display escaper: control
	 * bytes, NUL (once matched as a special character by strchr), raw C1,
	 * ill-formed UTF-8, bidi overrides; RFC 4514 specials still backslashed */
	{
		static const struct {
			const char *der;
			size_t len;
			const char *text;
		} d[] = {
			{ "\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03""a\nb", 16, "CN=a\\x0ab" },
			{ "\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03""a\0b", 16, "CN=a\\x00b" },
			{ "\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x0c\x03""a\x9b" "b", 16,
			  "CN=a\\x9bb" },
			{ "\x30\x0f\x31\x0d\x30\x0b\x06\x03\x55\x04\x03\x0c\x04""\xc2\x9b,\xe9", 17,
			  "CN=\\u009b\\,\\xe9" },
			{ "\x30\x10\x31\x0e\x30\x0c\x06\x03\x55\x04\x03\x0c\x05""a\xe2\x80\xae" "b", 18,
			  "CN=a\\u202eb" },
			{ "\x30\x0e\x31\x0c\x30\x0a\x06\x03\x55\x04\x03\x13\x03""\x1b[J", 16,
			  "CN=\\x1b[J" },
		};
		size_t k;
		for (k = 0; k < sizeof d / sizeof d[0]; k++) {
			pc_buf_free(&t2);
			CHECK_OK(pkix_name_to_text((const uint8_t *)d[k].der, d[k].len, &t2));
			pc_buf_byte(&t2, 0);
			if (strcmp((char *)t2.p, d[k].text) != 0) {
				FAIL("Name %zu printed as '%s', want '%s'", k,
				    (char *)t2.p, d[k].text);
			}
		}
		pc_buf_free(&t2);
	}
}

/* A one-attribute DER Name with exactly the given type and bytes. */
static void one_attr(pc_buf *out, const char *oid, uint8_t tag, const char *v, size_t n)
{
	pc_der d;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_begin(&d, DER_SET);
	pc_der_begin(&d, DER_SEQUENCE);
	pc_der_oid_text(&d, oid);
	pc_der_tlv(&d, tag, v, n);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	CHECK(pc_der_ok(&d));
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
}

/* Names from CSRs (pkix_name_check): the bad-input table of issue 9 item 3,
 * each row with the exact message.  The same rules as typed names. */
static void test_name_check(void)
{
	static const char *const CN = "2.5.4.3", *const OU = "2.5.4.11", *const C = "2.5.4.6",
	    *const SN = "2.5.4.5", *const DC = "0.9.2342.19200300.100.1.25",
	    *const MAIL = "1.2.840.113549.1.9.1", *const OTHER = "1.3.6.1.4.1.99999.1";
	static const char cn65[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	static const struct {
		const char *oid;
		uint8_t tag;
		const char *v;
		size_t n;           /* 0: strlen(v) */
		const char *msg;    /* NULL: accepted */
	} t[] = {
		{ CN, DER_UTF8STRING, "caf\xe9", 0,
		  "x.csr: subject CN: 'caf\\xe9' is not valid UTF-8 (RFC 3629)" },
		{ CN, DER_PRINTABLESTRING, "a@b*c&d", 0, "x.csr: subject CN: 'a@b*c&d' has characters "
		  "outside PrintableString (A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)" },
		{ CN, DER_PRINTABLESTRING, "a\x1b[2Jb", 0, "x.csr: subject CN: 'a\\x1b[2Jb' has characters "
		  "outside PrintableString (A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)" },
		{ MAIL, DER_IA5STRING, "ops\xe9@plant", 0, "x.csr: subject emailAddress: 'ops\\xe9@plant' "
		  "has bytes outside IA5String (7-bit ASCII)" },
		{ DC, DER_IA5STRING, "a\x07", 0, "x.csr: subject DC: 'a\\x07' has control characters "
		  "(C0, DEL or C1; NUL included)" },
		{ C, DER_PRINTABLESTRING, "GERMANY", 0, "x.csr: subject C: 'GERMANY' is not a two-letter "
		  "country code (ISO 3166, RFC 5280 Appendix A)" },
		{ C, DER_UTF8STRING, "DE", 0, "x.csr: subject C: UTF8String values are refused "
		  "(PrintableString only, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ CN, DER_UTF8STRING, cn65, 0, "x.csr: subject CN: "
		  "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' has 65 characters, "
		  "more than 64 (ub-common-name, RFC 5280 Appendix A)" },
		{ OU, DER_UTF8STRING, "Ops\x1b\x07", 0, "x.csr: subject OU: 'Ops\\x1b\\x07' has control "
		  "characters (C0, DEL or C1; NUL included)" },
		{ CN, DER_UTF8STRING, "a\0b", 3, "x.csr: subject CN: 'a\\x00b' has control characters "
		  "(C0, DEL or C1; NUL included)" },
		{ CN, DER_UTF8STRING, "a\xc2\x9b" "b", 0, "x.csr: subject CN: 'a\\u009bb' has control "
		  "characters (C0, DEL or C1; NUL included)" },
		{ CN, DER_UTF8STRING, "a\x7f", 0, "x.csr: subject CN: 'a\\x7f' has control characters "
		  "(C0, DEL or C1; NUL included)" },
		{ CN, DER_UTF8STRING, "", 0, "x.csr: subject CN: empty value (X.520: at least one "
		  "character)" },
		{ CN, 0x14, "T61", 0, "x.csr: subject CN: TeletexString values are refused (UTF8String or "
		  "PrintableString, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ CN, 0x1e, "\0a", 2, "x.csr: subject CN: BMPString values are refused (UTF8String or "
		  "PrintableString, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ CN, 0x1c, "\0\0\0a", 4, "x.csr: subject CN: UniversalString values are refused "
		  "(UTF8String or PrintableString, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ CN, DER_IA5STRING, "ia5", 0, "x.csr: subject CN: IA5String values are refused "
		  "(UTF8String or PrintableString, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ SN, DER_UTF8STRING, "123", 0, "x.csr: subject serialNumber: UTF8String values are "
		  "refused (PrintableString only, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ CN, DER_INTEGER, "\x05", 1, "x.csr: subject CN: tag 0x02 values are refused (UTF8String "
		  "or PrintableString, RFC 5280 §4.1.2.4 and Appendix A)" },
		{ OTHER, DER_PRINTABLESTRING, "a_b", 0, "x.csr: subject 1.3.6.1.4.1.99999.1: 'a_b' has "
		  "characters outside PrintableString (A-Z a-z 0-9 space '()+,-./:=?, X.680 §41.4)" },
		{ OTHER, DER_UTF8STRING, "\x1b" "x", 0, "x.csr: subject 1.3.6.1.4.1.99999.1: '\\x1bx' has "
		  "control characters (C0, DEL or C1; NUL included)" },
		{ OTHER, 0x14, "x", 0, "x.csr: subject 1.3.6.1.4.1.99999.1: TeletexString values are "
		  "refused (UTF8String, PrintableString or IA5String, RFC 5280 §4.1.2.4 and Appendix A)" },
		/* accepted */
		{ CN, DER_UTF8STRING, cn65 + 1, 0, NULL },
		{ CN, DER_PRINTABLESTRING, "Pump 12 (line-3)", 0, NULL },
		{ CN, DER_UTF8STRING, "exe.\xe2\x80\xaegpj", 0, NULL },   /* shown escaped */
		{ C, DER_PRINTABLESTRING, "DE", 0, NULL },
		{ MAIL, DER_IA5STRING, "ops@plant.local", 0, NULL },
		{ OTHER, DER_IA5STRING, "x", 0, NULL },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		pc_buf der = PC_BUF_INIT;
		pc_rc rc;

		one_attr(&der, t[i].oid, t[i].tag, t[i].v, t[i].n ? t[i].n : strlen(t[i].v));
		memset(&t_err, 0, sizeof t_err);
		rc = pkix_name_check(der.p, der.len, "x.csr", PC_E_CSR, &t_err);
		if (t[i].msg == NULL ? rc != PC_OK
		    : rc != PC_E_CSR || strcmp(t_err.msg, t[i].msg) != 0) {
			FAIL("row %zu: got %s\n  '%s'\nwant\n  '%s'", i, pc_rc_name(rc),
			    t_err.msg, t[i].msg ? t[i].msg : "ok");
		}
		pc_buf_free(&der);
	}
	/* an unknown attribute may hold 256 characters, not 257 */
	{
		char big[258];
		pc_buf der = PC_BUF_INIT;
		memset(big, 'x', sizeof big);
		one_attr(&der, OTHER, DER_UTF8STRING, big, 256);
		CHECK_OK(pkix_name_check(der.p, der.len, NULL, PC_E_CSR, &t_err));
		pc_buf_free(&der);
		one_attr(&der, OTHER, DER_UTF8STRING, big, 257);
		CHECK_RC(pkix_name_check(der.p, der.len, NULL, PC_E_CSR, &t_err), PC_E_CSR);
		CHECK_MSG("has 257 characters, more than 256 (plantca's limit for other attributes)");
		pc_buf_free(&der);
	}
	/* structure and size */
	CHECK_RC(pkix_name_check((const uint8_t *)"\x30\x02\x31\x00", 4, "x.csr", PC_E_CSR, &t_err),
	    PC_E_CSR);
	CHECK(strcmp(t_err.msg, "x.csr: subject name is malformed (RFC 5280 §4.1.2.4)") == 0);
	CHECK_OK(pkix_name_check((const uint8_t *)"\x30\x00", 2, "x.csr", PC_E_CSR, &t_err));
	{
		uint8_t big[PKIX_NAME_MAX + 1] = { 0x30 };
		CHECK_RC(pkix_name_check(big, sizeof big, "x.csr", PC_E_CSR, &t_err), PC_E_CSR);
		CHECK_MSG("x.csr: subject name of 4097 bytes, more than 4096");
	}
}

static void gn_ok(const char *text, bool cidr, pkix_gn_type type, const char *val,
    size_t len, const char *back)
{
	pkix_gn g;
	pc_buf t = PC_BUF_INIT;

	memset(&t_err, 0, sizeof t_err);
	if (pkix_gn_from_text(text, cidr, &g, &t_err) != PC_OK) {
		FAIL("'%s' refused: %s", text, t_err.msg);
	}
	CHECK(g.type == type);
	CHECK_BYTES(g.val, g.len, val, len);
	pkix_gn_to_text(&g, &t);
	pc_buf_byte(&t, 0);
	if (strcmp((char *)t.p, back) != 0) {
		FAIL("'%s' printed as '%s', want '%s'", text, (char *)t.p, back);
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
	pkix_gn g;
	size_t i;

	gn_ok("dns:host.example", false, PKIX_GN_DNS, "host.example", 12, "dns:host.example");
	gn_ok("dns:*.wild.example", false, PKIX_GN_DNS, "*.wild.example", 14, "dns:*.wild.example");
	gn_ok("dns:.example", true, PKIX_GN_DNS, ".example", 8, "dns:.example");
	gn_ok("dns:xn--caf-dma.example", false, PKIX_GN_DNS, "xn--caf-dma.example", 19,
	    "dns:xn--caf-dma.example");
	gn_ok("ip:192.0.2.7", false, PKIX_GN_IP, "\xc0\x00\x02\x07", 4, "ip:192.0.2.7");
	gn_ok("ip:2001:db8::7", false, PKIX_GN_IP,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07", 16, "ip:2001:db8::7");
	/* RFC 5280 §4.2.1.10: address then mask; host bits cleared */
	gn_ok("ip:10.3.0.0/16", true, PKIX_GN_IP, "\x0a\x03\0\0\xff\xff\0\0", 8, "ip:10.3.0.0/16");
	gn_ok("ip:10.3.7.9/12", true, PKIX_GN_IP, "\x0a\x00\0\0\xff\xf0\0\0", 8, "ip:10.0.0.0/12");
	gn_ok("ip:0.0.0.0/0", true, PKIX_GN_IP, "\0\0\0\0\0\0\0\0", 8, "ip:0.0.0.0/0");
	gn_ok("ip:192.0.2.7", true, PKIX_GN_IP, "\xc0\x00\x02\x07\xff\xff\xff\xff", 8,
	    "ip:192.0.2.7/32");
	gn_ok("ip:2001:db8::/32", true, PKIX_GN_IP,
	    "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\0"
	    "\xff\xff\xff\xff\0\0\0\0\0\0\0\0\0\0\0\0", 32, "ip:2001:db8::/32");
	gn_ok("uri:urn:example:plant:7", false, PKIX_GN_URI, "urn:example:plant:7", 19,
	    "uri:urn:example:plant:7");
	gn_ok("email:ops@example.com", false, PKIX_GN_EMAIL, "ops@example.com", 15,
	    "email:ops@example.com");

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		pc_rc rc;

		memset(&t_err, 0, sizeof t_err);
		rc = pkix_gn_from_text(bad[i].text, bad[i].cidr, &g, &t_err);
		if (rc != PC_E_USAGE || strstr(t_err.msg, bad[i].msg) == NULL) {
			FAIL("'%s' (cidr %d): got %s '%s', want usage '%s'",
			    bad[i].text, bad[i].cidr, pc_rc_name(rc), t_err.msg, bad[i].msg);
		}
	}

	/* value length: 255 bytes fit (NUL-terminated in val[256]), 256 do not */
	strcpy(longv, "uri:");
	memset(longv + 4, 'u', 255);
	longv[4 + 255] = '\0';
	CHECK_OK(pkix_gn_from_text(longv, false, &g, &t_err));
	CHECK(g.len == 255 && g.val[255] == '\0');
	longv[4 + 255] = 'u';
	longv[4 + 256] = '\0';
	CHECK_RC(pkix_gn_from_text(longv, false, &g, &t_err), PC_E_USAGE);
	CHECK_MSG("empty or over-long value");
}

static void test_spki(void)
{
	/* id-ecPublicKey with P-256, a 65-byte uncompressed point */
	uint8_t spki[91] = {
		0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
		0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04,
	};
	pkix_keytype kt;
	unsigned bits;

	CHECK_OK(pkix_spki_type(spki, sizeof spki, "k", PC_E_CSR, &kt, &bits, &t_err));
	CHECK(kt == PKIX_KEY_EC_P256 && bits == 256);
	spki[26] = 0x02;                              /* compressed point marker */
	CHECK_RC(pkix_spki_type(spki, sizeof spki, "k", PC_E_CSR, &kt, &bits, &t_err), PC_E_CSR);
	CHECK_MSG("k: EC key on an unsupported curve or with a malformed point");
	spki[26] = 0x04;
	spki[25] = 0x01;                              /* unused bits in the key */
	CHECK_RC(pkix_spki_type(spki, sizeof spki, "k", PC_E_CSR, &kt, &bits, &t_err), PC_E_CSR);
	CHECK_MSG("malformed SubjectPublicKeyInfo");
	spki[25] = 0x00;
	CHECK_RC(pkix_spki_type(spki, sizeof spki - 1, "k", PC_E_CSR, &kt, &bits, &t_err), PC_E_CSR);
	CHECK_RC(pkix_spki_type(spki, 0, "k", PC_E_CSR, &kt, &bits, &t_err), PC_E_CSR);
}

int main(int argc, char **argv)
{
	test_known_encoding();
	if (argc > 1)
		test_openssl_name(argv[1]);
	test_escaping();
	test_bad_names();
	test_bad_der_names();
	test_name_check();
	test_general_names();
	test_spki();
	return 0;
}
