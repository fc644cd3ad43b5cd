/*
 * records_cert.c - the certificate record (STORE_CERTS, by serial) and its
 * expiry index key.  See records.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "rec.h"
#include "records.h"

/* record type and fields (common/rec.h); never reorder, only add */
enum { REC_CERT = 'X' };
enum {
	X_F_SERIAL = 1, X_F_CA, X_F_PROFILE, X_F_SUBJECT, X_F_SAN, X_F_NB, X_F_NA, X_F_DER,
	X_F_ISSUED, X_F_SOURCE, X_F_SEGMENT, X_F_KEYTYPE, X_F_KIND, X_F_POLICY_HASH,
	X_F_REQUEST,
};

void ca_cert_encode(const ca_job *j, pc_buf *b)
{
	pc_rec_begin(b, REC_CERT, 1);
	pc_rec_bytes(b, X_F_SERIAL, j->serial, PKIX_SERIAL_LEN);
	pc_rec_str(b, X_F_CA, j->issuer);
	pc_rec_str(b, X_F_PROFILE, j->profile);
	pc_rec_str(b, X_F_SUBJECT, j->subject_text);
	pc_rec_str(b, X_F_SAN, j->san_text);
	pc_rec_u64(b, X_F_NB, (uint64_t)j->nb);
	pc_rec_u64(b, X_F_NA, (uint64_t)j->na);
	pc_rec_bytes(b, X_F_DER, j->cert.p, j->cert.len);
	pc_rec_u64(b, X_F_ISSUED, (uint64_t)time(NULL));
	pc_rec_str(b, X_F_SOURCE, j->source);
	pc_rec_str(b, X_F_SEGMENT, j->segment);
	pc_rec_str(b, X_F_KEYTYPE, j->keytype);
	pc_rec_str(b, X_F_KIND, j->kind);
	if (j->policy_hash)
		pc_rec_str(b, X_F_POLICY_HASH, j->policy_hash);
	if (j->request_id)
		pc_rec_u64(b, X_F_REQUEST, j->request_id);
}

void ca_cert_rec_free(ca_cert_rec *r)
{
	free(r->ca);
	free(r->profile);
	free(r->subject);
	free(r->san);
	free(r->source);
	free(r->segment);
	free(r->keytype);
	free(r->kind);
	free(r->policy_hash);
	memset(r, 0, sizeof *r);
}

pc_rc ca_cert_rec_decode(pc_reader val, ca_cert_rec *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;
	bool serial = false;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_CERT, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "certificate record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case X_F_SERIAL:
			if (pc_reader_left(&f) == PKIX_SERIAL_LEN) {
				memcpy(r->serial, f.p + f.off, PKIX_SERIAL_LEN);
				serial = true;
			}
			break;
		case X_F_CA: r->ca = ca_strdup_reader(f); break;
		case X_F_PROFILE: r->profile = ca_strdup_reader(f); break;
		case X_F_SUBJECT: r->subject = ca_strdup_reader(f); break;
		case X_F_SAN: r->san = ca_strdup_reader(f); break;
		case X_F_SOURCE: r->source = ca_strdup_reader(f); break;
		case X_F_SEGMENT: r->segment = ca_strdup_reader(f); break;
		case X_F_KEYTYPE: r->keytype = ca_strdup_reader(f); break;
		case X_F_KIND: r->kind = ca_strdup_reader(f); break;
		case X_F_POLICY_HASH: r->policy_hash = ca_strdup_reader(f); break;
		case X_F_NB: (void)pc_rec_val_u64(f, &r->nb); break;
		case X_F_NA: (void)pc_rec_val_u64(f, &r->na); break;
		case X_F_ISSUED: (void)pc_rec_val_u64(f, &r->issued); break;
		case X_F_REQUEST:
			if (!pc_rec_val_u64(f, &r->request) || r->request == 0) {
				ca_cert_rec_free(r);
				return pc_fail(e, PC_E_STORE_CORRUPT, "certificate record: malformed "
				    "request field");
			}
			break;
		case X_F_DER: r->der = f.p + f.off; r->der_len = pc_reader_left(&f); break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !serial || !r->ca || !r->profile || !r->subject || !r->san ||
	    !r->source || !r->segment || !r->keytype || !r->kind || !r->der) {
		ca_cert_rec_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "certificate record is truncated or malformed");
	}
	if (r->policy_hash == NULL && (r->policy_hash = strdup("")) == NULL) {
		ca_cert_rec_free(r);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	return PC_OK;
}

const char *ca_cert_status(store_txn *t, const ca_cert_rec *r, time_t now)
{
	pc_reader v;
	pc_err ignored;

	if (store_get(t, STORE_REVOCATIONS, r->serial, PKIX_SERIAL_LEN, &v, &ignored) == PC_OK)
		return "revoked";
	if ((time_t)r->na < now)
		return "expired";
	return "valid";
}

void ca_expiry_key(uint8_t k[8 + PKIX_SERIAL_LEN], time_t na, const uint8_t *serial)
{
	uint64_t v = (uint64_t)na;
	int i;

	for (i = 7; i >= 0; i--) {
		k[i] = (uint8_t)v;
		v >>= 8;
	}
	memcpy(k + 8, serial, PKIX_SERIAL_LEN);
}
