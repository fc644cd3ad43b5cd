/*
 * records_export.c - the record of a segment's last export (STORE_META
 * "export." SEGMENT), read by `plantca status`.  See records.h.
 */
#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_EXPORT = 'E' };
enum { E_F_TIME = 1, E_F_SEQ, E_F_CRL, E_F_BUNDLE };

void ca_export_rec_encode(pc_buf *b, uint64_t created, uint64_t seq, const char *bundle,
    const uint64_t crl_next[2])
{
	pc_rec_begin(b, REC_EXPORT, 1);
	pc_rec_u64(b, E_F_TIME, created);
	pc_rec_u64(b, E_F_SEQ, seq);
	pc_rec_str(b, E_F_BUNDLE, bundle);
	/* the CRLs as delivered: what the plant will run on until next time */
	if (crl_next[0])
		pc_rec_u64(b, E_F_CRL, crl_next[0]);
	if (crl_next[1])
		pc_rec_u64(b, E_F_CRL, crl_next[1]);
}

pc_rc ca_export_rec_decode(pc_reader val, const char *segment, uint64_t *created, uint64_t *seq,
    uint64_t *crl_first, pc_err *e)
{
	pc_reader f;
	uint8_t ver, tag;
	uint64_t v;

	*created = *seq = *crl_first = 0;
	if (!pc_rec_open(&val, REC_EXPORT, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "export record of %s is malformed", segment);
	while (pc_rec_next(&val, &tag, &f)) {
		if (tag == E_F_TIME)
			(void)pc_rec_val_u64(f, created);
		else if (tag == E_F_SEQ)
			(void)pc_rec_val_u64(f, seq);
		else if (tag == E_F_CRL && pc_rec_val_u64(f, &v) && (*crl_first == 0 || v < *crl_first))
			*crl_first = v;     /* the first CRL to go stale rules */
	}
	return PC_OK;
}
