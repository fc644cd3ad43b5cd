/*
 * rec_roundtrip - TEST TOOL: every record in a CA store decodes with its
 * table (ca/records.h) and encodes back to exactly the bytes stored.
 *
 *   rec_roundtrip DBDIR
 *
 * Records are read, changed and written again (a request's status, a
 * station's last sequence), so decode then encode must be the identity on
 * what plantca wrote, including stores written before the codec.  Prints
 * "N records re-encode to their exact bytes" (exit 0) or the first record
 * that does not (exit 1); usage or setup errors exit 2 (t_die).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "records.h"

struct rt {
	const pc_rec_type *t;
	const char *prefix;      /* STORE_META: the keys of this record type */
	uint64_t n;
};

PC_CHECK static pc_rc visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct rt *x = ctx;
	pc_buf b = PC_BUF_INIT;
	void *s;
	pc_rc rc;

	(void)stop;
	/* META also holds plain values under these prefixes (export.seq.*,
	 * fw.pending.seq): only values of this record's type are records */
	if (x->prefix && (pc_reader_left(&val) == 0 || val.p[val.off] != x->t->type))
		return PC_OK;
	if ((s = calloc(1, x->t->size)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	rc = pc_rec_decode(x->t, val, s, e);
	if (rc == PC_OK)
		rc = pc_rec_encode(x->t, s, &b, e);
	if (rc == PC_OK && (b.len != pc_reader_left(&val) || memcmp(b.p, val.p + val.off, b.len)))
		rc = pc_fail(e, PC_E_INTERNAL, "%s record: re-encoded to %zu bytes that differ from "
		    "the %zu stored", x->t->name, b.len, pc_reader_left(&val));
	if (rc != PC_OK) {
		char hex[2 * 64 + 1] = "";
		size_t i, n = pc_reader_left(&key) < 64 ? pc_reader_left(&key) : 64;
		for (i = 0; i < n; i++)
			snprintf(hex + 2 * i, 3, "%02x", key.p[key.off + i]);
		pc_wrap(e, "key %s", hex);
	}
	x->n++;
	pc_rec_free(x->t, s);
	free(s);
	pc_buf_free(&b);
	return rc;
}

int main(int argc, char **argv)
{
	struct {
		store_db db;
		const pc_rec_type *t;
		const char *prefix;
	} const dbs[] = {
		{ STORE_CAS, &ca_rec_type, NULL },
		{ STORE_CERTS, &ca_cert_rec_type, NULL },
		{ STORE_INTENTS, &ca_intent_rec_type, NULL },
		{ STORE_STATIONS, &ca_station_type, NULL },
		{ STORE_REQUESTS, &ca_request_type, NULL },
		{ STORE_REVOCATIONS, &ca_revocation_type, NULL },
		{ STORE_CRLS, &ca_crl_rec_type, NULL },
		{ STORE_META, &ca_signer_rec_type, META_SIGNER_PREFIX },
		{ STORE_META, &ca_fw_pending_type, "fw.pending." },
		{ STORE_META, &ca_export_rec_type, META_EXPORT },
		{ STORE_META, &ca_mfr_type, "mfr." },
		{ STORE_META, &ca_cmp_info_type, "cmp.req." },
	};
	pc_err e = { PC_OK, "" };
	store *st;
	store_txn *t;
	uint64_t total = 0;
	size_t i;

	if (argc != 2)
		t_die("usage: rec_roundtrip DBDIR");
	if (store_open(argv[1], false, &st, &e) != PC_OK || store_begin(st, false, &t, &e) != PC_OK)
		t_die_err(&e);
	for (i = 0; i < sizeof dbs / sizeof dbs[0]; i++) {
		struct rt x = { dbs[i].t, dbs[i].prefix, 0 };
		if (store_scan(t, dbs[i].db, x.prefix, x.prefix ? strlen(x.prefix) : 0, false, visit,
		    &x, &e) != PC_OK) {
			fprintf(stderr, "rec_roundtrip: %s\n", e.msg);
			return 1;      /* the verdict: a record that does not round-trip */
		}
		total += x.n;
	}
	store_abort(t);
	store_close(st);
	printf("%llu records re-encode to their exact bytes\n", (unsigned long long)total);
	return 0;
}
