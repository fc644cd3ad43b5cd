/*
 * records_cmp.c - the CMP records of the store: a manufacturer ("mfr."
 * NAME, `plantca manufacturer`) and what a CMP request was ("cmp.req." ID,
 * written by import, read by requests, show, certs, export).  The fields
 * are in records.h; the rules that span fields are checked here.
 */
#include <string.h>

#include "records.h"

pc_rc ca_mfr_encode(const ca_mfr *m, pc_buf *b, pc_err *e)
{
	return pc_rec_encode(&ca_mfr_type, m, b, e);
}

pc_rc ca_mfr_decode(pc_reader val, ca_mfr *m, pc_err *e)
{
	return pc_rec_decode(&ca_mfr_type, val, m, e);
}

void ca_mfr_free(ca_mfr *m)
{
	pc_rec_free(&ca_mfr_type, m);
}

pc_rc ca_cmp_info_encode(const ca_cmp_info *i, pc_buf *b, pc_err *e)
{
	ca_cmp_info r = *i;

	/* the reason is written shifted by one, so that "none" (-1) is 0 */
	r.reason_code = i->rev_reason < 0 ? 0 : (uint64_t)i->rev_reason + 1;
	return pc_rec_encode(&ca_cmp_info_type, &r, b, e);
}

static bool hex_ok(const char *s)
{
	size_t n = strlen(s), k;

	if (n % 2 != 0)
		return false;
	for (k = 0; k < n; k++)
		if (!((s[k] >= '0' && s[k] <= '9') || (s[k] >= 'a' && s[k] <= 'f')))
			return false;
	return true;
}

pc_rc ca_cmp_info_decode(pc_reader val, ca_cmp_info *i, pc_err *e)
{
	PC_TRY(pc_rec_decode(&ca_cmp_info_type, val, i, e));
	if (i->body != PKIX_CMP_IR && i->body != PKIX_CMP_CR && i->body != PKIX_CMP_P10CR &&
	    i->body != PKIX_CMP_KUR && i->body != PKIX_CMP_RR) {
		uint64_t b = i->body;
		memset(i, 0, sizeof *i);
		return pc_rec_fail(e, &ca_cmp_info_type, "body", "%llu is not a request body",
		    (unsigned long long)b);
	}
	if (!hex_ok(i->txid)) {
		memset(i, 0, sizeof *i);
		return pc_rec_fail(e, &ca_cmp_info_type, "txid", "not lowercase hex");
	}
	if (i->reason_code > 11) {
		memset(i, 0, sizeof *i);
		return pc_rec_fail(e, &ca_cmp_info_type, "reason_code", "not a CRLReason");
	}
	if ((i->body == PKIX_CMP_KUR || i->body == PKIX_CMP_RR) && !i->has_old) {
		bool kur = i->body == PKIX_CMP_KUR;
		memset(i, 0, sizeof *i);
		return pc_rec_fail(e, &ca_cmp_info_type, "old_serial", "missing (a %s names the "
		    "certificate it %s)", kur ? "kur" : "rr", kur ? "renews" : "revokes");
	}
	i->rev_reason = (int)i->reason_code - 1;
	return PC_OK;
}
