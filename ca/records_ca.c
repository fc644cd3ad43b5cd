/*
 * records_ca.c - the CA record (STORE_CAS, by name): its decoder and get
 * by name.  The fields are in records.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "records.h"

void ca_rec_free(ca_rec *r)
{
	pc_rec_free(&ca_rec_type, r);
}

pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e)
{
	pc_err pe;

	PC_TRY(pc_rec_decode(&ca_rec_type, val, r, e));
	if (pkix_cert_parse(r->cert, r->cert_len, "certificate", &r->v, &pe) != PC_OK) {
		ca_rec_free(r);
		return pc_rec_fail(e, &ca_rec_type, "cert", "%s", pe.msg);
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

pc_rc ca_rec_encode(pc_buf *b, const char *name, const char *uri, uint64_t alg,
    const uint8_t *cert, size_t cert_len, const char *parent, pc_err *e)
{
	/* the record only borrows the strings and the certificate to write them */
	const ca_rec r = {
		.name = (char *)name, .key_uri = (char *)uri, .parent = (char *)parent, .alg = alg,
		.created = (uint64_t)time(NULL), .cert = (uint8_t *)cert, .cert_len = cert_len,
	};

	return pc_rec_encode(&ca_rec_type, &r, b, e);
}

pc_rc ca_rec_encode_rec(pc_buf *b, const ca_rec *r, pc_err *e)
{
	return pc_rec_encode(&ca_rec_type, r, b, e);
}
