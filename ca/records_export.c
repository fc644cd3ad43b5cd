/*
 * records_export.c - the record of a segment's last export (STORE_META
 * "export." SEGMENT), written by `plantca export` and read by `plantca
 * status`.  The fields are in records.h.
 */
#include "records.h"

pc_rc ca_export_rec_encode(pc_buf *b, uint64_t created, uint64_t seq, const char *bundle,
    const uint64_t crl_next[CA_EXPORT_CRLS], pc_err *e)
{
	/* the record only borrows the bundle name to write it */
	ca_export_rec r = { .created = created, .seq = seq, .bundle = (char *)bundle };
	size_t i;

	/* the CRLs as delivered: what the plant will run on until next time */
	for (i = 0; i < CA_EXPORT_CRLS; i++)
		if (crl_next[i])
			r.crl_next[r.ncrl++] = crl_next[i];
	return pc_rec_encode(&ca_export_rec_type, &r, b, e);
}

pc_rc ca_export_rec_decode(pc_reader val, ca_export_rec *r, pc_err *e)
{
	return pc_rec_decode(&ca_export_rec_type, val, r, e);
}

void ca_export_rec_free(ca_export_rec *r)
{
	pc_rec_free(&ca_export_rec_type, r);
}

uint64_t ca_export_rec_crl_first(const ca_export_rec *r)
{
	uint64_t first = 0;
	size_t i;

	/* the first CRL to go stale rules */
	for (i = 0; i < r->ncrl; i++)
		if (first == 0 || r->crl_next[i] < first)
			first = r->crl_next[i];
	return first;
}
