/*
 * conf.c - the station directory's state: station.conf read and written,
 * and the public key files (station.pub, ca-transfer.pub) loaded.
 *
 * station.conf is written by plantca-station, but it lives on a plant PC
 * where anyone with access may edit or damage it, and it holds the replay
 * state (last-response-sequence): it is parsed as strictly as any input,
 * through the bounded reader, and every refusal names the file and line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "station.h"

enum conf_key {
	K_SEGMENT, K_NEXT_REQUEST, K_LAST_RESPONSE, K_LAST_BUNDLE, K_TRANSFER_NEXT,
	K_TRANSFER_REPLACED, K_STATION_NEXT, K_COUNT,
};

static const char *const conf_keys[K_COUNT] = {
	[K_SEGMENT] = "segment",
	[K_NEXT_REQUEST] = "next-request-sequence",
	[K_LAST_RESPONSE] = "last-response-sequence",
	[K_LAST_BUNDLE] = "last-response-bundle",
	[K_TRANSFER_NEXT] = "transfer-key-next",
	[K_TRANSFER_REPLACED] = "transfer-key-replaced",
	[K_STATION_NEXT] = "station-key-next",
};

/* One "key: value" line (NUL-terminated, without its LF) into c. */
PC_CHECK static pc_rc conf_line(char *line, const char *path, unsigned lno, unsigned seen[K_COUNT],
    st_conf *c, pc_err *e)
{
	char *v = strstr(line, ": ");
	int k;

	if (v == NULL)
		return pc_fail(e, PC_E_INPUT, "%s:%u: '%.40s' is not 'key: value'", path, lno, line);
	*v = '\0';
	v += 2;
	for (k = 0; k < K_COUNT && strcmp(line, conf_keys[k]) != 0; k++)
		;
	if (k == K_COUNT)
		return pc_fail(e, PC_E_INPUT, "%s:%u: unknown key '%.40s' (station.conf has segment, "
		    "next-request-sequence, last-response-sequence, last-response-bundle, "
		    "transfer-key-next, transfer-key-replaced, station-key-next)", path, lno, line);
	if (seen[k] != 0)
		return pc_fail(e, PC_E_INPUT, "%s:%u: %s given twice (first at line %u)", path, lno,
		    conf_keys[k], seen[k]);
	seen[k] = lno;
	switch (k) {
	case K_SEGMENT:
		if (!tr_segment_ok(v))
			return pc_fail(e, PC_E_INPUT, "%s:%u: segment '%.64s': expected "
			    "[a-z0-9][a-z0-9-]{0,62}", path, lno, v);
		snprintf(c->segment, sizeof c->segment, "%s", v);
		break;
	case K_NEXT_REQUEST:
		/* 0 is no sequence; the last one would leave none to advance to */
		if (!st_u64_parse(v, &c->next_request) || c->next_request == 0 ||
		    c->next_request == UINT64_MAX)
			return pc_fail(e, PC_E_INPUT, "%s:%u: next-request-sequence '%.24s': expected a "
			    "decimal from 1 to %llu", path, lno, v, (unsigned long long)(UINT64_MAX - 1));
		break;
	case K_LAST_RESPONSE:
		if (!st_u64_parse(v, &c->last_response))
			return pc_fail(e, PC_E_INPUT, "%s:%u: last-response-sequence '%.24s': expected a "
			    "decimal from 0 to %llu", path, lno, v, (unsigned long long)UINT64_MAX);
		break;
	case K_TRANSFER_NEXT:
	case K_TRANSFER_REPLACED: {
		/* the bare base64 line of a minisign public key */
		pc_err ign;
		tr_pubkey *kp = k == K_TRANSFER_NEXT ? &c->transfer_next : &c->transfer_replaced;
		if (tr_pubkey_parse((const uint8_t *)v, strlen(v), "key", kp, &ign) != PC_OK)
			return pc_fail(e, PC_E_INPUT, "%s:%u: %s: expected the base64 line of a minisign "
			    "public key", path, lno, conf_keys[k]);
		if (k == K_TRANSFER_NEXT)
			c->has_transfer_next = true;
		else
			c->has_transfer_replaced = true;
		break;
	}
	case K_STATION_NEXT: {
		size_t i, n = strlen(v);
		bool okid = n == 16;
		for (i = 0; okid && i < n; i++)
			okid = (v[i] >= '0' && v[i] <= '9') || (v[i] >= 'A' && v[i] <= 'F');
		if (!okid)
			return pc_fail(e, PC_E_INPUT, "%s:%u: station-key-next '%.24s': expected a key id "
			    "(16 uppercase hex digits)", path, lno, v);
		snprintf(c->station_next, sizeof c->station_next, "%s", v);
		break;
	}
	default:
		if (!tr_member_name_ok(v))
			return pc_fail(e, PC_E_INPUT, "%s:%u: last-response-bundle '%.64s': expected a "
			    "bundle name ([A-Za-z0-9][A-Za-z0-9._-]{0,99}, no '..')", path, lno, v);
		snprintf(c->last_bundle, sizeof c->last_bundle, "%s", v);
		break;
	}
	return PC_OK;
}

/* The lines of p[0..len) into c; the keys every station.conf needs. */
PC_CHECK static pc_rc conf_lines(const uint8_t *p, size_t len, const char *path, st_conf *c,
    pc_err *e)
{
	pc_reader r = pc_reader_make(p, len);
	unsigned seen[K_COUNT] = { 0 }, lno = 0;
	char line[ST_CONF_MAX + 1];
	int k;

	if (len > ST_CONF_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, more than a station.conf holds (%d)",
		    path, len, ST_CONF_MAX);
	while (pc_reader_left(&r) > 0) {
		const uint8_t *start = st_reader_at(&r), *nl = memchr(start, '\n', pc_reader_left(&r));
		size_t n = nl != NULL ? (size_t)(nl - start) : pc_reader_left(&r);
		const uint8_t *text = pc_reader_take(&r, n);

		lno++;
		if (text == NULL || (nl != NULL && pc_reader_take(&r, 1) == NULL))
			return pc_fail(e, PC_E_INTERNAL, "%s:%u: reader out of step", path, lno);
		if (memchr(text, '\0', n) != NULL)
			return pc_fail(e, PC_E_INPUT, "%s:%u: contains a NUL byte", path, lno);
		/* empty lines and '#' comments carry nothing */
		if (n == 0 || text[0] == '#')
			continue;
		memcpy(line, text, n);
		line[n] = '\0';
		PC_TRY(conf_line(line, path, lno, seen, c, e));
	}
	for (k = 0; k < K_LAST_BUNDLE; k++)
		if (seen[k] == 0)
			/* the line the file ends on: after its last LF */
			return pc_fail(e, PC_E_INPUT, "%s:%u: incomplete: no %s (station.conf needs "
			    "segment, next-request-sequence and last-response-sequence)", path,
			    (len > 0 && p[len - 1] == '\n') || lno == 0 ? lno + 1 : lno, conf_keys[k]);
	return PC_OK;
}

pc_rc st_conf_parse(const uint8_t *p, size_t len, const char *path, st_conf *c, pc_err *e)
{
	pc_rc rc;

	memset(c, 0, sizeof *c);
	/* a refused file leaves no half-read state behind */
	if ((rc = conf_lines(p, len, path, c, e)) != PC_OK)
		memset(c, 0, sizeof *c);
	return rc;
}

pc_rc st_conf_read(const char *path, st_conf *c, pc_err *e)
{
	uint8_t *text;
	size_t len;
	pc_rc rc;

	memset(c, 0, sizeof *c);
	PC_TRY(pc_file_read(path, ST_CONF_MAX, &text, &len, e));
	rc = st_conf_parse(text, len, path, c, e);
	free(text);
	return rc;
}

pc_rc st_conf_load(const char *dir, st_conf *c, pc_err *e)
{
	char path[PATH_MAX];

	memset(c, 0, sizeof *c);
	PC_TRY(st_path_join(path, dir, "station.conf", e));
	if (access(path, F_OK) != 0)
		return pc_fail(e, PC_E_NOTFOUND, "%s: not a station directory (no station.conf; "
		    "create one with plantca-station init)", dir);
	return st_conf_read(path, c, e);
}

/* "NAME: BASE64" with the key line of k's public key file */
static void conf_key_line(pc_buf *b, const char *name, const tr_pubkey *k)
{
	pc_buf f = PC_BUF_INIT;
	const char *nl;

	tr_pubkey_format(k, NULL, &f);
	pc_buf_byte(&f, '\0');
	nl = pc_buf_ok(&f) ? strchr((const char *)f.p, '\n') : NULL;
	if (nl != NULL)
		pc_buf_printf(b, "%s: %s", name, nl + 1);
	else
		b->failed = true;      /* the caller checks pc_buf_ok */
	pc_buf_free(&f);
}

void st_conf_format(const st_conf *c, pc_buf *b)
{
	pc_buf_str(b, "# plantca-station state; rewritten atomically by plantca-station\n");
	pc_buf_printf(b, "segment: %s\n", c->segment);
	pc_buf_printf(b, "next-request-sequence: %llu\n", (unsigned long long)c->next_request);
	pc_buf_printf(b, "last-response-sequence: %llu\n", (unsigned long long)c->last_response);
	if (c->last_bundle[0] != '\0')
		pc_buf_printf(b, "last-response-bundle: %s\n", c->last_bundle);
	if (c->has_transfer_next)
		conf_key_line(b, conf_keys[K_TRANSFER_NEXT], &c->transfer_next);
	if (c->has_transfer_replaced)
		conf_key_line(b, conf_keys[K_TRANSFER_REPLACED], &c->transfer_replaced);
	if (c->station_next[0] != '\0')
		pc_buf_printf(b, "station-key-next: %s\n", c->station_next);
}

pc_rc st_conf_save(const char *dir, const st_conf *c, bool create, pc_err *e)
{
	char path[PATH_MAX];
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(st_path_join(path, dir, "station.conf", e));
	st_conf_format(c, &b);
	if (!pc_buf_ok(&b)) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", path);
	}
	rc = pc_file_write_atomic(path, b.p, b.len, 0644, create, e);
	pc_buf_free(&b);
	return rc;
}

pc_rc st_pubkey_load(const char *dir, const char *name, tr_pubkey *k, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	pc_rc rc;

	PC_TRY(st_path_join(path, dir, name, e));
	PC_TRY(pc_file_read(path, ST_KEYFILE_MAX, &text, &len, e));
	rc = tr_pubkey_parse(text, len, path, k, e);
	free(text);
	return rc;
}

void st_transfer_fingerprint(const tr_pubkey *k, char out[PC_FINGERPRINT_MAX])
{
	uint8_t spki[PKIX_ED25519_SPKI_LEN];

	pkix_ed25519_spki(k->pk, spki);
	pc_fingerprint(spki, sizeof spki, out);
}
