/*
 * records_ca.c - the CA record (STORE_CAS, by name).  See records.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_CA = 'C' };
enum { CA_F_NAME = 1, CA_F_KEY_URI, CA_F_ALG, CA_F_CERT, CA_F_PARENT, CA_F_CREATED };

void ca_rec_free(ca_rec *r)
{
	free(r->name);
	free(r->key_uri);
	free(r->parent);
	free(r->cert);
	memset(r, 0, sizeof *r);
}

static uint8_t *reader_memdup(pc_reader v, size_t *len)
{
	size_t n = pc_reader_left(&v);
	uint8_t *p = malloc(n ? n : 1);

	if (p != NULL && n)
		memcpy(p, pc_reader_take(&v, n), n);
	*len = n;
	return p;
}

pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_CA, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case CA_F_NAME: r->name = ca_strdup_reader(f); break;
		case CA_F_KEY_URI: r->key_uri = ca_strdup_reader(f); break;
		case CA_F_PARENT: r->parent = ca_strdup_reader(f); break;
		case CA_F_ALG: (void)pc_rec_val_u64(f, &r->alg); break;
		case CA_F_CREATED: (void)pc_rec_val_u64(f, &r->created); break;
		case CA_F_CERT: r->cert = reader_memdup(f, &r->cert_len); break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !r->name || !r->key_uri || !r->parent || !r->cert ||
	    pkix_cert_parse(r->cert, r->cert_len, "certificate", &r->v, NULL) != PC_OK) {
		ca_rec_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA record is truncated or malformed");
	}
	return PC_OK;
}

pc_rc ca_rec_get(store_txn *t, const char *name, ca_rec *r, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_CAS, name, strlen(name), &val, e);

	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "CA '%s' does not exist (see plantca ca list)", name);
	if (rc != PC_OK)
		return rc;
	rc = ca_rec_decode(val, r, e);
	if (rc != PC_OK)
		pc_wrap(e, "CA '%s'", name);
	return rc;
}

void ca_rec_encode(pc_buf *b, const char *name, const char *uri, uint64_t alg,
    const uint8_t *cert, size_t cert_len, const char *parent)
{
	pc_rec_begin(b, REC_CA, 1);
	pc_rec_str(b, CA_F_NAME, name);
	pc_rec_str(b, CA_F_KEY_URI, uri);
	pc_rec_u64(b, CA_F_ALG, alg);
	pc_rec_bytes(b, CA_F_CERT, cert, cert_len);
	pc_rec_str(b, CA_F_PARENT, parent);
	pc_rec_u64(b, CA_F_CREATED, (uint64_t)time(NULL));
}
