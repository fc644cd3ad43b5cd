/*
 * revoke.c - `plantca revoke`: revocation records, all or nothing; they
 * reach relying parties with the next CRL.  See crl.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "crl.h"
#include "file.h"
#include "format.h"
#include "text.h"
#include "records.h"

PC_CHECK static pc_rc revoke_one(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN], unsigned reason,
    time_t now, pc_buf *scratch, pc_err *e)
{
	char hex[2 * PKIX_SERIAL_LEN + 1], when[32], detail[1200];
	ca_cert_rec cr;
	ca_revocation rv;
	pc_reader v;
	pc_rc rc;

	memset(&cr, 0, sizeof cr);
	ca_serial_hex(serial, PKIX_SERIAL_LEN, hex);
	rc = store_get(t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "serial %s: no such certificate", hex);
	PC_TRY_OUT(rc);
	PC_TRY_OUT(ca_cert_rec_decode(v, &cr, e));
	rc = ca_revocation_get(t, serial, &rv, e);
	if (rc == PC_OK) {
		pc_time_text(rv.when, when);
		rc = pc_fail(e, PC_E_STATE, "serial %s: already revoked on %s (%s)", hex, when,
		    pkix_reason_name((unsigned)rv.reason));
		goto out;
	}
	if (rc != PC_E_NOTFOUND)
		goto out;
	if ((time_t)cr.na < now) {
		/* RFC 5280 §5: a CRL lists unexpired certificates; an expired one is
		 * already refused by every relying party */
		pc_time_text(cr.na, when);
		rc = pc_fail(e, PC_E_STATE, "serial %s: expired on %s; expired certificates are "
		    "not revoked", hex, when);
		goto out;
	}
	if (strlen(cr.ca) > CA_NAME_MAX) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "serial %s: issuing CA name too long", hex);
		goto out;
	}
	/* counted until now: it leaves the expiry counts (records_expiry.c) */
	{
		bool counted;
		PC_TRY_OUT(ca_cert_counted(t, &cr, &counted, e));
		if (counted)
			PC_TRY_OUT(ca_expiry_count_add(t, (time_t)cr.na, cr.segment, -1, e));
	}
	memset(&rv, 0, sizeof rv);
	rv.reason = reason;
	rv.when = (uint64_t)now;
	strcpy(rv.ca, cr.ca);
	scratch->len = 0;
	rc = ca_revocation_encode(scratch, &rv, e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_REVOCATIONS, serial, PKIX_SERIAL_LEN, scratch->p,
		    scratch->len, true, e);
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "reason %s; %s by CA %s; %s", pkix_reason_name(reason),
		    cr.kind, cr.ca, cr.subject);
		rc = audit_append(t, now, "revoke", hex, "ok", detail, e);
	}
out:
	ca_cert_rec_free(&cr);
	return rc;
}

pc_rc ca_revoke_serial(store_txn *t, const uint8_t serial[PKIX_SERIAL_LEN], unsigned reason,
    time_t now, pc_buf *scratch, pc_err *e)
{
	return revoke_one(t, serial, reason, now, scratch, e);
}

/* Serials from a file: one per line, blank lines and '#' comments skipped.
 * Every line is parsed before anything is revoked. */
PC_CHECK static pc_rc read_serial_file(const char *path, uint8_t **serials, size_t **lines, size_t *n,
    pc_err *e)
{
	uint8_t *buf = NULL, *s = NULL;
	size_t len = 0, off = 0, lineno = 0, cap = 0, *ln = NULL;
	pc_rc rc = PC_OK;

	*n = 0;
	PC_TRY(pc_file_read(path, CA_REVOKE_FILE_MAX, &buf, &len, e));
	while (off < len && rc == PC_OK) {
		const uint8_t *p = buf + off, *nl = memchr(p, '\n', len - off);
		size_t l = nl ? (size_t)(nl - p) : len - off;
		char text[CA_REVOKE_LINE_MAX + 1];
		size_t a = 0, b = l;

		off += l + (nl ? 1 : 0);
		lineno++;
		while (a < b && (p[a] == ' ' || p[a] == '\t'))
			a++;
		while (b > a && (p[b - 1] == ' ' || p[b - 1] == '\t' || p[b - 1] == '\r'))
			b--;
		if (a == b || p[a] == '#')
			continue;
		if (b - a > CA_REVOKE_LINE_MAX) {
			rc = pc_fail(e, PC_E_LIMIT, "%s:%zu: line longer than %d characters", path,
			    lineno, CA_REVOKE_LINE_MAX);
			break;
		}
		memcpy(text, p + a, b - a);
		text[b - a] = '\0';
		if (strlen(text) != b - a) {
			rc = pc_fail(e, PC_E_INPUT, "%s:%zu: NUL byte in line", path, lineno);
			break;
		}
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 256;
			uint8_t *ns = realloc(s, nc * PKIX_SERIAL_LEN);
			size_t *nln;
			if (ns == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			s = ns;
			nln = realloc(ln, nc * sizeof *ln);
			if (nln == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			ln = nln;
			cap = nc;
		}
		rc = ca_serial_parse(text, s + *n * PKIX_SERIAL_LEN, e);
		if (rc != PC_OK) {
			pc_wrap(e, "%s:%zu", path, lineno);
			rc = PC_E_INPUT;
			e->rc = rc;
			break;
		}
		ln[(*n)++] = lineno;
	}
	free(buf);
	if (rc == PC_OK && *n == 0)
		rc = pc_fail(e, PC_E_INPUT, "%s: no serials in file", path);
	if (rc != PC_OK) {
		free(s);
		free(ln);
		*n = 0;
		return rc;
	}
	*serials = s;
	*lines = ln;
	return PC_OK;
}

pc_rc ca_revoke(ca_ctx *c, const char *serial_text, const char *from_file,
    const char *reason_name, pc_err *e)
{
	uint8_t one[PKIX_SERIAL_LEN], *serials = one;
	size_t n = 1, i, *lines = NULL;
	unsigned reason = 0;
	store_txn *t;
	pc_buf scratch = PC_BUF_INIT;
	time_t now = time(NULL);
	char hex[2 * PKIX_SERIAL_LEN + 1], when[32];
	pc_rc rc = PC_OK;

	if ((serial_text == NULL) == (from_file == NULL))
		return pc_fail(e, PC_E_USAGE, "revoke takes one SERIAL or --from-file FILE");
	PC_TRY_OUT(ca_reason_parse(reason_name, &reason, e));
	if (from_file)
		PC_TRY_OUT(read_serial_file(from_file, &serials, &lines, &n, e));
	else if (ca_serial_parse(serial_text, one, e) != PC_OK)
		return e->rc;

	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	for (i = 0; i < n && rc == PC_OK; i++) {
		rc = revoke_one(t, serials + i * PKIX_SERIAL_LEN, reason, now, &scratch, e);
		if (rc != PC_OK && from_file)
			pc_wrap(e, "%s:%zu", from_file, lines[i]);
	}
	if (rc != PC_OK) {
		store_abort(t);
		if (from_file)
			pc_wrap(e, "nothing revoked");
		goto out;
	}
	if ((rc = store_commit(t, e)) != PC_OK)
		goto out;

	pc_time_text((uint64_t)now, when);
	if (c->json) {
		printf("{\"reason\":\"%s\",\"time\":\"%s\",\"revoked\":[", pkix_reason_name(reason), when);
		for (i = 0; i < n; i++) {
			ca_serial_hex(serials + i * PKIX_SERIAL_LEN, PKIX_SERIAL_LEN, hex);
			printf("%s\"%s\"", i ? "," : "", hex);
		}
		printf("]}\n");
	} else if (n == 1) {
		ca_serial_hex(serials, PKIX_SERIAL_LEN, hex);
		printf("revoked %s (%s) at %s; publish it with plantca crl\n", hex,
		    pkix_reason_name(reason), when);
	} else {
		printf("revoked %zu certificates (%s) at %s; publish them with plantca crl\n", n,
		    pkix_reason_name(reason), when);
	}
out:
	if (serials != one)
		free(serials);
	free(lines);
	pc_buf_free(&scratch);
	return rc;
}
