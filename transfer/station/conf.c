/*
 * conf.c - the station directory's state: station.conf read and written,
 * and the public key files (station.pub, ca-transfer.pub) loaded.
 *
 * station.conf is written by plantca-station, but it lives on a plant PC
 * where anyone with access may edit or damage it, and it holds the replay
 * state (last-response-sequence): it is parsed as strictly as any input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"
#include "station.h"

/* station.conf is ours, but a station may be tampered with or hand-edited:
 * parse it as strictly as any input.  Keys: segment, next-request-sequence,
 * last-response-sequence, last-response-bundle; '#' comments. */
pc_rc st_conf_load(const char *dir, st_conf *c, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *text;
	size_t len;
	char *line, *save = NULL;
	bool have_seg = false, have_next = false, have_last = false;
	pc_rc rc = PC_OK;

	memset(c, 0, sizeof *c);
	PC_TRY(st_path_join(path, dir, "station.conf", e));
	if (access(path, F_OK) != 0)
		return pc_fail(e, PC_E_NOTFOUND, "%s: not a station directory (no station.conf; "
		    "create one with plantca-station init)", dir);
	PC_TRY(pc_file_read(path, ST_CONF_MAX, &text, &len, e));
	if (memchr(text, '\0', len) != NULL) {
		free(text);
		return pc_fail(e, PC_E_INPUT, "%s: contains a NUL byte", path);
	}
	for (line = strtok_r((char *)text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		char *v = strstr(line, ": ");
		if (line[0] == '#' || line[0] == '\0')
			continue;
		if (v == NULL) {
			rc = pc_fail(e, PC_E_INPUT, "%s: line '%.40s' is not 'key: value'", path, line);
			break;
		}
		*v = '\0';
		v += 2;
		if (strcmp(line, "segment") == 0 && !have_seg) {
			if (!tr_segment_ok(v)) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad segment '%.64s'", path, v);
				break;
			}
			snprintf(c->segment, sizeof c->segment, "%s", v);
			have_seg = true;
		} else if (strcmp(line, "next-request-sequence") == 0 && !have_next) {
			if (!st_u64_parse(v, &c->next_request) || c->next_request == 0 ||
			    c->next_request == UINT64_MAX) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad next-request-sequence", path);
				break;
			}
			have_next = true;
		} else if (strcmp(line, "last-response-sequence") == 0 && !have_last) {
			if (!st_u64_parse(v, &c->last_response)) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad last-response-sequence", path);
				break;
			}
			have_last = true;
		} else if (strcmp(line, "last-response-bundle") == 0 && c->last_bundle[0] == '\0') {
			if (!tr_member_name_ok(v)) {
				rc = pc_fail(e, PC_E_INPUT, "%s: bad last-response-bundle", path);
				break;
			}
			snprintf(c->last_bundle, sizeof c->last_bundle, "%s", v);
		} else {
			rc = pc_fail(e, PC_E_INPUT, "%s: unknown or repeated key '%.40s'", path, line);
			break;
		}
	}
	free(text);
	if (rc == PC_OK && !(have_seg && have_next && have_last))
		rc = pc_fail(e, PC_E_INPUT, "%s: incomplete (needs segment, next-request-sequence "
		    "and last-response-sequence)", path);
	return rc;
}

void st_conf_format(const st_conf *c, pc_buf *b)
{
	pc_buf_str(b, "# plantca-station state; rewritten atomically by plantca-station\n");
	pc_buf_printf(b, "segment: %s\n", c->segment);
	pc_buf_printf(b, "next-request-sequence: %llu\n", (unsigned long long)c->next_request);
	pc_buf_printf(b, "last-response-sequence: %llu\n", (unsigned long long)c->last_response);
	if (c->last_bundle[0] != '\0')
		pc_buf_printf(b, "last-response-bundle: %s\n", c->last_bundle);
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
