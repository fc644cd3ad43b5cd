/*
 * test_pem.c - strict PEM (RFC 7468): one block, the allowed labels, CRLF
 * and explanatory text tolerated, everything else refused with a reason.
 * Also hex.
 */
#include "pem.h"
#include "check.h"

static const char *const csr_labels[] = {
	"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL,
};

/* "hello world!" is aGVsbG8gd29ybGQh */
#define BODY "aGVsbG8gd29ybGQh"
#define BEGIN "-----BEGIN CERTIFICATE REQUEST-----"
#define END "-----END CERTIFICATE REQUEST-----"

PC_CHECK static pc_rc decode(const char *text, uint8_t **der, size_t *len, int *idx)
{
	memset(&t_err, 0, sizeof t_err);
	return pc_pem_decode((const uint8_t *)text, strlen(text), csr_labels, der, len,
	    idx, &t_err);
}

static void test_good(void)
{
	static const struct {
		const char *why;
		const char *text;
		int idx;
	} t[] = {
		{ "plain", BEGIN "\n" BODY "\n" END "\n", 0 },
		{ "no final newline", BEGIN "\n" BODY "\n" END, 0 },
		{ "CRLF", BEGIN "\r\n" BODY "\r\n" END "\r\n", 0 },
		{ "body split over lines", BEGIN "\naGVsbG8g\nd29y\r\nbGQh\n" END "\n", 0 },
		{ "blank lines and spaces around", "\n\n  " BEGIN "\n" BODY "\n" END "\n\n \t\n", 0 },
		{ "text before BEGIN", "Certificate Request:\n    Data: ...\n" BEGIN "\n" BODY "\n" END "\n", 0 },
		{ "second label", "-----BEGIN NEW CERTIFICATE REQUEST-----\n" BODY
		    "\n-----END NEW CERTIFICATE REQUEST-----\n", 1 },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t *der = NULL;
		size_t len = 0;
		int idx = -1;

		if (decode(t[i].text, &der, &len, &idx) != PC_OK) {
			FAIL("PEM refused (%s): %s", t[i].why, t_err.msg);
		}
		CHECK_BYTES(der, len, "hello world!", 12);
		CHECK(idx == t[i].idx);
		free(der);
	}

	/* NUL padding after the block (some tools write fixed-size buffers) */
	{
		static const char nul[] = BEGIN "\n" BODY "\n" END "\n\0\0";
		uint8_t *der;
		size_t len;

		CHECK_OK(pc_pem_decode((const uint8_t *)nul, sizeof nul, csr_labels, &der,
		    &len, NULL, &t_err));
		free(der);
	}
}

static void test_bad(void)
{
	static const struct {
		const char *why;
		const char *text;
		const char *msg;
	} t[] = {
		{ "empty", "", "no PEM BEGIN line" },
		{ "no BEGIN", BODY "\n" END "\n", "no PEM BEGIN line" },
		{ "missing END", BEGIN "\n" BODY "\n", "has no END line" },
		{ "truncated END", BEGIN "\n" BODY "\n-----END CERTIFICATE REQ", "has no END line" },
		{ "END of another label", BEGIN "\n" BODY "\n-----END CERTIFICATE-----\n", "has no END line" },
		{ "bad base64 character", BEGIN "\naGVsbG8*d29ybGQh\n" END "\n", "bad base64" },
		{ "base64 missing padding", BEGIN "\naGVsbG8gd29ybGQ\n" END "\n", "bad base64" },
		{ "base64url alphabet", BEGIN "\naGVsbG8_d29ybGQh\n" END "\n", "bad base64" },
		{ "data after padding", BEGIN "\naGk=aGk=\n" END "\n", "bad base64" },
		{ "empty body", BEGIN "\n" END "\n", "bad base64" },
		{ "RFC 1421 headers", BEGIN "\nProc-Type: 4,ENCRYPTED\n\n" BODY "\n" END "\n", "bad base64" },
		{ "wrong label", "-----BEGIN CERTIFICATE-----\n" BODY "\n-----END CERTIFICATE-----\n",
		    "PEM label 'CERTIFICATE' is not CERTIFICATE REQUEST" },
		{ "label case", "-----BEGIN certificate request-----\n" BODY
		    "\n-----END certificate request-----\n", "is not CERTIFICATE REQUEST" },
		{ "empty label", "-----BEGIN -----\n" BODY "\n-----END -----\n", "malformed PEM BEGIN line" },
		{ "label with newline", "-----BEGIN CERT\nIFICATE-----\n", "malformed PEM BEGIN line" },
		{ "unterminated BEGIN", "-----BEGIN CERTIFICATE REQUEST\n", "malformed PEM BEGIN line" },
		{ "label too long", "-----BEGIN AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-----\n",
		    "malformed PEM BEGIN line" },
		{ "two blocks", BEGIN "\n" BODY "\n" END "\n" BEGIN "\n" BODY "\n" END "\n",
		    "more than one PEM block" },
		{ "two blocks, second other label", BEGIN "\n" BODY "\n" END "\n"
		    "-----BEGIN CERTIFICATE-----\n" BODY "\n-----END CERTIFICATE-----\n",
		    "more than one PEM block" },
		{ "trailing text", BEGIN "\n" BODY "\n" END "\nsigned: me\n", "text after the PEM END line" },
		{ "text right after END", BEGIN "\n" BODY "\n" END "x\n", "text after the PEM END line" },
	};
	size_t i;

	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint8_t *der = (uint8_t *)1;
		size_t len = 1;
		pc_rc rc = decode(t[i].text, &der, &len, NULL);

		if (rc != PC_E_INPUT || strstr(t_err.msg, t[i].msg) == NULL) {
			FAIL("%s: got %s '%s', want input '%s'", t[i].why,
			    pc_rc_name(rc), t_err.msg, t[i].msg);
		}
		CHECK(der == NULL);                 /* nothing leaked to the caller */
		CHECK(t_err.rc == PC_E_INPUT);
	}
}

static void test_encode(void)
{
	uint8_t data[100];
	pc_buf b = PC_BUF_INIT;
	uint8_t *der;
	size_t len, i;
	const char *p;
	int lines = 0;

	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	pc_pem_encode(&b, "CERTIFICATE REQUEST", data, sizeof data);
	pc_buf_byte(&b, 0);
	CHECK(pc_buf_ok(&b));
	CHECK(strncmp((char *)b.p, BEGIN "\n", strlen(BEGIN) + 1) == 0);
	/* 100 bytes: 136 base64 characters, as 64 + 64 + 8 */
	for (p = (char *)b.p; (p = strchr(p, '\n')) != NULL; p++)
		lines++;
	CHECK(lines == 5);
	CHECK(strstr((char *)b.p, "\n" END "\n") != NULL);
	CHECK(strchr((char *)b.p + strlen(BEGIN) + 1, '\n') - ((char *)b.p + strlen(BEGIN) + 1) == 64);
	CHECK_OK(pc_pem_decode(b.p, b.len - 1, csr_labels, &der, &len, NULL, &t_err));
	CHECK_BYTES(der, len, data, sizeof data);
	free(der);
	pc_buf_free(&b);

	pc_pem_encode(&b, "X", (const uint8_t *)"hello world!", 12);
	CHECK_BYTES(b.p, b.len, "-----BEGIN X-----\n" BODY "\n-----END X-----\n",
	    strlen("-----BEGIN X-----\n" BODY "\n-----END X-----\n"));
	pc_buf_free(&b);
}

struct collect {
	int n;
	size_t lens[8];
	int fail_at;
};

PC_CHECK static pc_rc collect_cb(void *ctx, const uint8_t *der, size_t len, pc_err *e)
{
	struct collect *c = ctx;

	(void)der;
	if (c->n == c->fail_at)
		return pc_fail(e, PC_E_STATE, "callback refused block %d", c->n);
	c->lens[c->n++] = len;
	return PC_OK;
}

static void test_decode_all(void)
{
	static const char bundle[] =
	    "intro text\n"
	    "-----BEGIN CERTIFICATE-----\naGk=\n-----END CERTIFICATE-----\n"
	    "-----BEGIN X509 CRL-----\naGVsbG8=\n-----END X509 CRL-----\n"
	    "between\n"
	    "-----BEGIN CERTIFICATE-----\r\n" BODY "\r\n-----END CERTIFICATE-----\r\n";
	static const char broken[] =
	    "-----BEGIN CERTIFICATE-----\naGk=\n-----END CERTIFICATE-----\n"
	    "-----BEGIN CERTIFICATE-----\naGk*\n-----END CERTIFICATE-----\n";
	struct collect c = { 0, { 0 }, -1 };

	CHECK_OK(pc_pem_decode_all((const uint8_t *)bundle, strlen(bundle), "CERTIFICATE",
	    collect_cb, &c, &t_err));
	CHECK(c.n == 2 && c.lens[0] == 2 && c.lens[1] == 12);

	memset(&c, 0, sizeof c);
	c.fail_at = -1;
	CHECK_OK(pc_pem_decode_all((const uint8_t *)bundle, strlen(bundle), "X509 CRL",
	    collect_cb, &c, &t_err));
	CHECK(c.n == 1 && c.lens[0] == 5);

	/* the callback's error comes back unchanged */
	memset(&c, 0, sizeof c);
	c.fail_at = 1;
	CHECK_RC(pc_pem_decode_all((const uint8_t *)bundle, strlen(bundle), "CERTIFICATE",
	    collect_cb, &c, &t_err), PC_E_STATE);
	CHECK_MSG("callback refused block 1");

	memset(&c, 0, sizeof c);
	c.fail_at = -1;
	CHECK_RC(pc_pem_decode_all((const uint8_t *)bundle, strlen(bundle), "PRIVATE KEY",
	    collect_cb, &c, &t_err), PC_E_INPUT);
	CHECK_MSG("no PEM 'PRIVATE KEY' block");
	CHECK(c.n == 0);

	CHECK_RC(pc_pem_decode_all((const uint8_t *)"", 0, "CERTIFICATE",
	    collect_cb, &c, &t_err), PC_E_INPUT);

	/* one bad block spoils the bundle */
	memset(&c, 0, sizeof c);
	c.fail_at = -1;
	CHECK_RC(pc_pem_decode_all((const uint8_t *)broken, strlen(broken), "CERTIFICATE",
	    collect_cb, &c, &t_err), PC_E_INPUT);
	CHECK_MSG("bad base64");
}

static void test_hex(void)
{
	static const uint8_t bytes[] = { 0x00, 0x0f, 0xa5, 0xff };
	pc_buf b = PC_BUF_INIT;
	uint8_t out[8];
	size_t n;

	pc_hex_encode(&b, bytes, sizeof bytes, 0);
	pc_hex_encode(&b, bytes, sizeof bytes, ':');
	pc_hex_encode(&b, bytes, 0, ':');
	CHECK_BYTES(b.p, b.len, "000fa5ff00:0f:a5:ff", 19);
	pc_buf_free(&b);

	CHECK(pc_hex_decode("000fA5ff", out, sizeof out, &n));
	CHECK_BYTES(out, n, bytes, sizeof bytes);
	CHECK(pc_hex_decode("", out, sizeof out, &n) && n == 0);
	CHECK(!pc_hex_decode("000", out, sizeof out, &n));          /* odd length */
	CHECK(!pc_hex_decode("0g", out, sizeof out, &n));
	CHECK(!pc_hex_decode("00:0f", out, sizeof out, &n));
	CHECK(!pc_hex_decode("00 ", out, sizeof out, &n));
	CHECK(!pc_hex_decode("000102030405060708", out, sizeof out, &n));   /* 9 > cap */
}

PC_CHECK static pc_rc collect(void *ctx, const void *p, size_t n, pc_err *e)
{
	(void)e;
	pc_buf_append(ctx, p, n);
	return PC_OK;
}

/* pc_pem_stream gives exactly what pc_pem_encode gives, at every boundary
 * (a line, a 48,000-byte piece), in pieces. */
static void test_stream(void)
{
	static const size_t sizes[] = { 0, 1, 47, 48, 49, 48000, 48001, 96000, 100003 };
	uint8_t *der = malloc(100003);
	size_t i;

	CHECK(der != NULL);
	for (i = 0; i < 100003; i++)
		der[i] = (uint8_t)(i * 131 + 7);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		pc_buf a = PC_BUF_INIT, b = PC_BUF_INIT;
		pc_err e;
		pc_pem_encode(&a, "X509 CRL", der, sizes[i]);
		CHECK(pc_pem_stream("X509 CRL", der, sizes[i], collect, &b, &e) == PC_OK);
		CHECK(pc_buf_ok(&a) && pc_buf_ok(&b) && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
		pc_buf_free(&a);
		pc_buf_free(&b);
	}
	free(der);
}

int main(void)
{
	test_stream();
	test_good();
	test_bad();
	test_encode();
	test_decode_all();
	test_hex();
	return 0;
}
