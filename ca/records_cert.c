/*
 * records_cert.c - the certificate record (STORE_CERTS, by serial): its
 * encoder from a signed job, its put with its index entries, its decoder,
 * and its expiry index key.  The
 * fields are in records.h.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pipeline.h"
#include "records.h"

pc_rc ca_cert_encode(const ca_job *j, pc_buf *b, pc_err *e)
{
	/* the record only borrows the job's strings and bytes to write them */
	ca_cert_rec r = {
		.ca = (char *)j->issuer, .profile = (char *)j->profile, .subject = j->subject_text,
		.san = j->san_text, .nb = (uint64_t)j->nb, .na = (uint64_t)j->na, .der = j->cert.p,
		.der_len = j->cert.len, .issued = (uint64_t)time(NULL), .source = (char *)j->source,
		.segment = (char *)j->segment, .keytype = (char *)j->keytype, .kind = (char *)j->kind,
		.policy_hash = (char *)j->policy_hash, .request = j->request_id,
	};

	memcpy(r.serial, j->serial, PKIX_SERIAL_LEN);
	return pc_rec_encode(&ca_cert_rec_type, &r, b, e);
}

pc_rc ca_cert_put(store_txn *t, const ca_job *j, pc_buf *b, pc_err *e)
{
	uint8_t ek[8 + PKIX_SERIAL_LEN];
	pc_buf sk = PC_BUF_INIT;
	pc_rc rc;

	b->len = 0;
	PC_TRY(ca_cert_encode(j, b, e));
	PC_TRY(store_put(t, STORE_CERTS, j->serial, PKIX_SERIAL_LEN, b->p, b->len, true, e));
	ca_expiry_key(ek, j->na, j->serial);
	PC_TRY(store_put(t, STORE_BY_EXPIRY, ek, sizeof ek, "", 0, true, e));
	if (strcmp(j->kind, "leaf") == 0)
		PC_TRY(ca_expiry_count_add(t, j->na, j->segment, 1, e));
	if (j->segment == NULL || j->segment[0] == '\0')
		return PC_OK;
	pc_buf_str(&sk, j->segment);
	pc_buf_byte(&sk, 0);
	pc_buf_append(&sk, j->serial, PKIX_SERIAL_LEN);
	rc = pc_buf_ok(&sk) ? store_put(t, STORE_BY_SEGMENT, sk.p, sk.len, "", 0, true, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK) {
		ca_segment_expiry_key(&sk, j->segment, j->na, j->serial);
		rc = pc_buf_ok(&sk) ? store_put(t, STORE_BY_SEGMENT_EXPIRY, sk.p, sk.len, "", 0, true,
		    e) : pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_free(&sk);
	return rc;
}

pc_rc ca_segment_expiry_add(store_txn *t, const ca_cert_rec *r, pc_err *e)
{
	pc_buf k = PC_BUF_INIT;
	pc_rc rc;

	if (r->segment[0] == '\0')
		return PC_OK;
	ca_segment_expiry_key(&k, r->segment, (time_t)r->na, r->serial);
	rc = pc_buf_ok(&k) ? store_put(t, STORE_BY_SEGMENT_EXPIRY, k.p, k.len, "", 0, true, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&k);
	return rc;
}

void ca_cert_rec_free(ca_cert_rec *r)
{
	pc_rec_free(&ca_cert_rec_type, r);
}

pc_rc ca_cert_rec_decode(pc_reader val, ca_cert_rec *r, pc_err *e)
{
	PC_TRY(pc_rec_decode(&ca_cert_rec_type, val, r, e));
	/* CA certificates, and records older than the field, have none */
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

void ca_segment_expiry_key(pc_buf *k, const char *segment, time_t na, const uint8_t *serial)
{
	static const uint8_t zero[PKIX_SERIAL_LEN];
	uint8_t ek[8 + PKIX_SERIAL_LEN];

	ca_expiry_key(ek, na, serial ? serial : zero);
	k->len = 0;
	pc_buf_str(k, segment);
	pc_buf_byte(k, 0);
	pc_buf_append(k, ek, sizeof ek);
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

pc_rc ca_supersede_put(store_txn *t, const uint8_t old[PKIX_SERIAL_LEN],
    const uint8_t by[PKIX_SERIAL_LEN], pc_err *e)
{
	ca_cert_rec r;
	pc_reader v;
	bool counted = false;
	pc_rc rc;

	/* the old certificate leaves the expiry counts if it was in them */
	rc = store_get(t, STORE_CERTS, old, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_OK) {
		PC_TRY(ca_cert_rec_decode(v, &r, e));
		rc = ca_cert_counted(t, &r, &counted, e);
		if (rc == PC_OK && counted)
			rc = ca_expiry_count_add(t, (time_t)r.na, r.segment, -1, e);
		ca_cert_rec_free(&r);
	} else if (rc == PC_E_NOTFOUND) {
		rc = PC_OK;
	}
	PC_TRY(rc);
	return store_put(t, STORE_SUPERSEDED, old, PKIX_SERIAL_LEN, by, PKIX_SERIAL_LEN, false, e);
}

pc_rc ca_supersede_get(store_txn *t, const uint8_t old[PKIX_SERIAL_LEN],
    uint8_t by[PKIX_SERIAL_LEN], pc_err *e)
{
	pc_reader v;

	PC_TRY(store_get(t, STORE_SUPERSEDED, old, PKIX_SERIAL_LEN, &v, e));
	if (pc_reader_left(&v) != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "superseded entry: %zu bytes, expected %d",
		    pc_reader_left(&v), PKIX_SERIAL_LEN);
	memcpy(by, v.p + v.off, PKIX_SERIAL_LEN);
	return PC_OK;
}
