#include "pem.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

enum { PEM_LABEL_MAX = 64 };

static bool is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static const uint8_t *find(const uint8_t *p, const uint8_t *end, const char *s)
{
	size_t n = strlen(s);

	while ((size_t)(end - p) >= n) {
		if (memcmp(p, s, n) == 0)
			return p;
		p++;
	}
	return NULL;
}

bool pc_pem_looks_like(const uint8_t *p, size_t len)
{
	return find(p, p + len, "-----BEGIN ") != NULL;
}

/* Parse one block starting at *pos. Fills label and the base64 span. */
PC_CHECK static pc_rc next_block(const uint8_t **pos, const uint8_t *end, char label[PEM_LABEL_MAX + 1],
    uint8_t **der, size_t *der_len, pc_err *e)
{
	const uint8_t *b, *l, *le, *body, *endline, *after;
	char endmark[PEM_LABEL_MAX + 16];
	size_t ll, cap, n;
	uint8_t *out;

	b = find(*pos, end, "-----BEGIN ");
	if (b == NULL)
		return pc_fail(e, PC_E_INPUT, "no PEM BEGIN line");
	l = b + 11;
	le = find(l, end, "-----");
	if (le == NULL || (ll = (size_t)(le - l)) == 0 || ll > PEM_LABEL_MAX)
		return pc_fail(e, PC_E_INPUT, "malformed PEM BEGIN line");
	for (n = 0; n < ll; n++)
		if (l[n] < 0x20 || l[n] > 0x7e)
			return pc_fail(e, PC_E_INPUT, "malformed PEM BEGIN line");
	memcpy(label, l, ll);
	label[ll] = '\0';
	body = le + 5;
	snprintf(endmark, sizeof endmark, "-----END %s-----", label);
	endline = find(body, end, endmark);
	if (endline == NULL)
		return pc_fail(e, PC_E_INPUT, "PEM block '%s' has no END line (truncated?)", label);
	after = endline + strlen(endmark);
	cap = (size_t)(endline - body) / 4 * 3 + 3;
	out = malloc(cap + 1);
	if (out == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory decoding PEM");
	if (sodium_base642bin(out, cap, (const char *)body, (size_t)(endline - body), " \t\r\n",
	    &n, NULL, sodium_base64_VARIANT_ORIGINAL) != 0 || n == 0) {
		free(out);
		return pc_fail(e, PC_E_INPUT, "PEM block '%s' has bad base64", label);
	}
	*der = out;
	*der_len = n;
	*pos = after;
	return PC_OK;
}

pc_rc pc_pem_decode(const uint8_t *p, size_t len, const char *const *labels,
    uint8_t **der, size_t *der_len, int *label_index, pc_err *e)
{
	const uint8_t *pos = p, *end = p + len;
	char label[PEM_LABEL_MAX + 1];
	int i;

	*der = NULL;
	*der_len = 0;
	PC_TRY(next_block(&pos, end, label, der, der_len, e));
	for (i = 0; labels[i] != NULL; i++)
		if (strcmp(labels[i], label) == 0)
			break;
	if (labels[i] == NULL) {
		free(*der);
		*der = NULL;
		return pc_fail(e, PC_E_INPUT, "PEM label '%s' is not %s", label, labels[0]);
	}
	while (pos < end && (is_space(*pos) || *pos == '\0'))
		pos++;
	if (pos != end) {
		free(*der);
		*der = NULL;
		if (find(pos, end, "-----BEGIN ") != NULL)
			return pc_fail(e, PC_E_INPUT, "more than one PEM block");
		return pc_fail(e, PC_E_INPUT, "text after the PEM END line");
	}
	if (label_index)
		*label_index = i;
	return PC_OK;
}

pc_rc pc_pem_decode_all(const uint8_t *p, size_t len, const char *want,
    pc_rc (*cb)(void *ctx, const uint8_t *der, size_t len, pc_err *e),
    void *ctx, pc_err *e)
{
	const uint8_t *pos = p, *end = p + len;
	char label[PEM_LABEL_MAX + 1];
	int count = 0;

	while (find(pos, end, "-----BEGIN ") != NULL) {
		uint8_t *der;
		size_t n;
		pc_rc rc;

		PC_TRY(next_block(&pos, end, label, &der, &n, e));
		if (strcmp(label, want) != 0) {
			free(der);
			continue;
		}
		rc = cb(ctx, der, n, e);
		free(der);
		if (rc != PC_OK)
			return rc;
		count++;
	}
	if (count == 0)
		return pc_fail(e, PC_E_INPUT, "no PEM '%s' block", want);
	return PC_OK;
}

void pc_pem_encode(pc_buf *out, const char *label, const uint8_t *der, size_t len)
{
	/* straight into `out`, 48 input bytes (one 64-column line) at a time:
	 * no second copy of the whole encoding (CRLs run to tens of MB) */
	size_t lines = (len + 47) / 48, i;

	pc_buf_printf(out, "-----BEGIN %s-----\n", label);
	if (!pc_buf_reserve(out, lines * 65 + strlen(label) + 32))
		return;
	for (i = 0; i < len; i += 48) {
		size_t n = len - i < 48 ? len - i : 48;
		char line[sodium_base64_ENCODED_LEN(48, sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(line, sizeof line, der + i, n, sodium_base64_VARIANT_ORIGINAL);
		pc_buf_str(out, line);
		pc_buf_byte(out, '\n');
	}
	pc_buf_printf(out, "-----END %s-----\n", label);
}

pc_rc pc_pem_stream(const char *label, const uint8_t *der, size_t len,
    pc_rc (*out)(void *ctx, const void *p, size_t n, pc_err *e), void *ctx, pc_err *e)
{
	enum { LINES = 1000 };           /* 48 KB of DER -> 65 KB of PEM a piece */
	pc_buf b = PC_BUF_INIT;
	size_t i = 0;
	pc_rc rc = PC_OK;

	pc_buf_printf(&b, "-----BEGIN %s-----\n", label);
	do {
		size_t end = len - i < 48 * LINES ? len : i + 48 * LINES;
		for (; i < end; i += 48) {
			size_t n = len - i < 48 ? len - i : 48;
			char line[sodium_base64_ENCODED_LEN(48, sodium_base64_VARIANT_ORIGINAL)];
			sodium_bin2base64(line, sizeof line, der + i, n, sodium_base64_VARIANT_ORIGINAL);
			pc_buf_str(&b, line);
			pc_buf_byte(&b, '\n');
		}
		if (i >= len)
			pc_buf_printf(&b, "-----END %s-----\n", label);
		if (!pc_buf_ok(&b)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		rc = out(ctx, b.p, b.len, e);
		b.len = 0;
	} while (rc == PC_OK && i < len);
	pc_buf_free(&b);
	return rc;
}

static const char hex_digits[] = "0123456789abcdef";

void pc_hex_encode(pc_buf *out, const uint8_t *p, size_t len, char sep)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (sep && i > 0)
			pc_buf_byte(out, (uint8_t)sep);
		pc_buf_byte(out, (uint8_t)hex_digits[p[i] >> 4]);
		pc_buf_byte(out, (uint8_t)hex_digits[p[i] & 15]);
	}
}

void pc_hex_str(char *out, size_t cap, const uint8_t *p, size_t len, char sep)
{
	size_t i, o = 0, need;

	if (cap == 0)
		return;
	for (i = 0; i < len; i++) {
		need = (sep && i > 0 ? 1 : 0) + 2;
		if (o + need + 1 > cap)
			break;
		if (sep && i > 0)
			out[o++] = sep;
		out[o++] = hex_digits[p[i] >> 4];
		out[o++] = hex_digits[p[i] & 15];
	}
	out[o] = '\0';
}

bool pc_hex_decode(const char *s, uint8_t *out, size_t cap, size_t *out_len)
{
	const char *end;

	if (sodium_hex2bin(out, cap, s, strlen(s), NULL, out_len, &end) != 0)
		return false;
	return *end == '\0';
}
