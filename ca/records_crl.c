/*
 * records_crl.c - the current-CRL record of a CA (STORE_CRLS, by CA name)
 * and the file it pins: its decoder, the file's path, reading the current
 * CRL back.  The fields are in records.h.
 */
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "records.h"

pc_rc ca_crl_rec_encode(pc_buf *b, const ca_crl_rec *r, pc_err *e)
{
	ca_crl_rec w = *r;

	w.der = NULL;        /* the DER lives in its file */
	w.der_len = 0;
	return pc_rec_encode(&ca_crl_rec_type, &w, b, e);
}

pc_rc ca_crl_file_path(const char *home, const char *ca, uint64_t number, char *out,
    size_t n, pc_err *e)
{
	int w = snprintf(out, n, "%s/crl/current/%s.%" PRIu64 ".der", home, ca, number);

	if (w < 0 || (size_t)w >= n)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
	return PC_OK;
}

pc_rc ca_crl_rec_decode(pc_reader val, ca_crl_rec *r, pc_err *e)
{
	const pc_rec_type *t = &ca_crl_rec_type;

	PC_TRY(pc_rec_decode(t, val, r, e));
	/* the first format carried the DER; the second pins a file */
	if (r->der == NULL && !r->has_sha256)
		return pc_rec_fail(e, t, "sha256", "missing (and no der: the CRL is nowhere)");
	if (r->der == NULL && !r->has_size)
		return pc_rec_fail(e, t, "size", "missing (and no der: the CRL is nowhere)");
	return PC_OK;
}

pc_rc ca_crl_current(ca_ctx *c, const char *ca_name, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e)
{
	return ca_crl_current_gen(c, ca_name, 0, der, len, this_update, next_update, e);
}

pc_rc ca_crl_current_gen(ca_ctx *c, const char *name, uint64_t gen, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e)
{
	store_txn *t;
	pc_reader v;
	ca_crl_rec r;
	pc_buf k = PC_BUF_INIT;
	char ca_name[CA_NAME_MAX + 24];
	pc_rc rc;

	*der = NULL;
	*len = 0;
	/* a replaced key generation (ca/cagen.h): its record in META, its
	 * file under NAME~GEN */
	if (gen) {
		snprintf(ca_name, sizeof ca_name, "%s~%" PRIu64, name, gen);
		pc_buf_str(&k, META_CAGEN_CRL);
		pc_buf_str(&k, name);
		pc_buf_byte(&k, 0);
		pc_buf_u64be(&k, gen);
		if (!pc_buf_ok(&k))
			return pc_fail(e, PC_E_NOMEM, "out of memory");
	} else {
		snprintf(ca_name, sizeof ca_name, "%s", name);
	}
	rc = store_begin(c->st, false, &t, e);
	if (rc != PC_OK) {
		pc_buf_free(&k);
		return rc;
	}
	rc = gen ? store_get(t, STORE_META, k.p, k.len, &v, e) :
	    store_get(t, STORE_CRLS, ca_name, strlen(ca_name), &v, e);
	pc_buf_free(&k);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_NOTFOUND, "CA '%s' has no CRL yet (run plantca crl)", ca_name);
	if (rc == PC_OK && (rc = ca_crl_rec_decode(v, &r, e)) != PC_OK)
		pc_wrap(e, "CA '%s'", ca_name);
	if (rc == PC_OK && r.der != NULL) {
		/* a first-format record: the DER is in the store, copy it out
		 * before the transaction ends */
		*der = malloc(r.der_len ? r.der_len : 1);
		if (*der == NULL)
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		else
			memcpy(*der, r.der, r.der_len);
		*len = r.der_len;
	}
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	if (r.der == NULL) {
		char path[PATH_MAX];
		uint8_t h[32];
		PC_TRY(ca_crl_file_path(c->home, ca_name, r.number, path, sizeof path, e));
		PC_TRY(pc_file_read(path, (size_t)r.size, der, len, e));
		crypto_hash_sha256(h, *der, *len);
		if (*len != r.size || sodium_memcmp(h, r.sha256, sizeof h) != 0) {
			free(*der);
			*der = NULL;
			*len = 0;
			return pc_fail(e, PC_E_STORE_CORRUPT, "%s: does not match the SHA-256 the store "
			    "recorded for CRL %" PRIu64 " of CA '%s'", path, r.number, ca_name);
		}
	}
	if (this_update)
		*this_update = (time_t)r.this_update;
	if (next_update)
		*next_update = (time_t)r.next_update;
	return PC_OK;
}
