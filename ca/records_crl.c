/*
 * records_crl.c - the current-CRL record of a CA (STORE_CRLS, by CA name)
 * and the file it pins.  See records.h.
 */
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_CRL = 'L' };
enum { L_F_NUMBER = 1, L_F_THIS, L_F_NEXT, L_F_DER, L_F_ENTRIES, L_F_SHA256, L_F_SIZE };

void ca_crl_rec_encode(pc_buf *b, const ca_crl_rec *r)
{
	pc_rec_begin(b, REC_CRL, 1);
	pc_rec_u64(b, L_F_NUMBER, r->number);
	pc_rec_u64(b, L_F_THIS, r->this_update);
	pc_rec_u64(b, L_F_NEXT, r->next_update);
	pc_rec_u64(b, L_F_ENTRIES, r->entries);
	pc_rec_bytes(b, L_F_SHA256, r->sha256, sizeof r->sha256);
	pc_rec_u64(b, L_F_SIZE, r->size);
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
	uint8_t ver, tag;
	pc_reader f;
	bool num = false, th = false, nx = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_CRL, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CRL record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case L_F_NUMBER: num = pc_rec_val_u64(f, &r->number); break;
		case L_F_THIS: th = pc_rec_val_u64(f, &r->this_update); break;
		case L_F_NEXT: nx = pc_rec_val_u64(f, &r->next_update); break;
		case L_F_ENTRIES: (void)pc_rec_val_u64(f, &r->entries); break;
		case L_F_DER: r->der = f.p + f.off; r->der_len = pc_reader_left(&f); break;
		case L_F_SIZE: (void)pc_rec_val_u64(f, &r->size); break;
		case L_F_SHA256:
			if ((r->has_sha256 = pc_reader_left(&f) == sizeof r->sha256))
				memcpy(r->sha256, f.p + f.off, sizeof r->sha256);
			break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !num || !th || !nx || (r->der == NULL && !r->has_sha256))
		return pc_fail(e, PC_E_STORE_CORRUPT, "CRL record is truncated or malformed");
	return PC_OK;
}

pc_rc ca_crl_current(ca_ctx *c, const char *ca_name, uint8_t **der, size_t *len,
    time_t *this_update, time_t *next_update, pc_err *e)
{
	store_txn *t;
	pc_reader v;
	ca_crl_rec r;
	pc_rc rc;

	*der = NULL;
	*len = 0;
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_CRLS, ca_name, strlen(ca_name), &v, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_NOTFOUND, "CA '%s' has no CRL yet (run plantca crl)", ca_name);
	if (rc == PC_OK)
		rc = ca_crl_rec_decode(v, &r, e);
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
