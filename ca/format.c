/*
 * format.c - the texts plantca prints and reads: serials, names, SANs,
 * times, fingerprints, CA names.  See format.h.
 */
#include "format.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ca.h"
#include "pem.h"

void ca_serial_hex(const uint8_t *s, size_t n, char *out)
{
	pc_hex_str(out, 2 * n + 1, s, n, 0);
}

pc_rc ca_serial_parse(const char *text, uint8_t serial[PKIX_SERIAL_LEN], pc_err *e)
{
	char clean[2 * PKIX_SERIAL_LEN + 1];
	size_t n = 0, got = 0;
	const char *p;

	for (p = text; *p; p++) {
		if (*p == ':')
			continue;
		if (n >= sizeof clean - 1)
			return pc_fail(e, PC_E_USAGE, "serial '%s': longer than %d bytes", text, PKIX_SERIAL_LEN);
		clean[n++] = *p;
	}
	clean[n] = '\0';
	if (n != 2 * PKIX_SERIAL_LEN || !pc_hex_decode(clean, serial, PKIX_SERIAL_LEN, &got) ||
	    got != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_USAGE, "serial '%s': expected %d hex digits", text, 2 * PKIX_SERIAL_LEN);
	return PC_OK;
}

bool valid_ca_name(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > CA_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		    (n[i] >= '0' && n[i] <= '9') || (i > 0 && (n[i] == '-' || n[i] == '_' || n[i] == '.'))))
			return false;
	return true;
}

pc_rc ca_name_text(const uint8_t *der, size_t len, char **out, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	size_t n;

	if (pkix_name_to_text(der, len, &b) != PC_OK) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_INPUT, "malformed name");
	}
	pc_buf_byte(&b, 0);
	*out = (char *)pc_buf_steal(&b, &n);
	return *out ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

char *ca_san_text(const pkix_gn *g, size_t n)
{
	pc_buf b = PC_BUF_INIT;
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (i)
			pc_buf_byte(&b, ',');
		pkix_gn_to_text(&g[i], &b);
	}
	pc_buf_byte(&b, 0);
	return (char *)pc_buf_steal(&b, &len);
}

