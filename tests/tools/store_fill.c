/*
 * store_fill - BENCHMARK TOOL ONLY; never part of a CA's life.
 *
 *   store_fill --bench-only HOME N SEGMENTS NEW REVOKED SEED
 *
 * Fills the store of CA home HOME with N certificates, each with its
 * request, through the product's own record functions: ca_request_put
 * (the request record and its indexes), ca_cert_put (the certificate
 * record and its indexes, as the issuance pipeline writes them),
 * audit_append (one "issue" event each, in the hash chain) and
 * ca_revoke_serial (the revocations, as `plantca revoke` makes them).
 * The template is the first certificate of the store that answers a
 * request (scripts/bench-store issues it for real: import, approve, sign):
 * every copy keeps its CA, profile, subject, SAN and CSR, and gets its own
 * serial, notAfter (1 to 730 days ahead, spread evenly), segment and id.
 *
 * THE FILLING SIGNATURES ARE NOT HSM SIGNATURES.  Each copy's DER is the
 * template with the new serial and dates, re-signed with a P-256 key made
 * in software for this run and thrown away: real DER, but it does not
 * verify against the CA.  Its record says so (source "store_fill ...").
 * The commands measured afterwards are the real plantca binary.
 *
 * Segments "seg01".."segNN": the first N - NEW certificates round-robin,
 * their requests marked delivered (exported 1); the last NEW all in the
 * last segment, not yet delivered (what one export then carries).
 * REVOKED of the delivered ones are revoked (every k-th).  Commits every
 * FILL_GROUP certificates.  Prints one line of what it wrote.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "audit.h"
#include "check.h"
#include "crl.h"
#include "format.h"
#include "pipeline.h"
#include "records.h"

enum { FILL_GROUP = 5000 };

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64: reproducible from SEED */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

struct tmpl {
	ca_cert_rec cert;
	uint8_t *der;
	size_t der_len;
	bool found;
};

PC_CHECK static pc_rc find_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct tmpl *x = ctx;

	(void)key;
	if (ca_cert_rec_decode(val, &x->cert, e) != PC_OK)
		return e->rc;
	if (strcmp(x->cert.kind, "leaf") != 0 || x->cert.request == 0) {
		ca_cert_rec_free(&x->cert);
		return PC_OK;
	}
	if ((x->der = malloc(x->cert.der_len)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(x->der, x->cert.der, x->cert.der_len);
	x->der_len = x->cert.der_len;
	x->found = true;
	*stop = true;
	return PC_OK;
}

/* The template re-dated, re-numbered and re-signed in software. */
static int resign(X509 *x, EVP_PKEY *k, const uint8_t serial[PKIX_SERIAL_LEN], time_t nb,
    time_t na, pc_buf *out)
{
	BIGNUM *bn = BN_bin2bn(serial, PKIX_SERIAL_LEN, NULL);
	ASN1_INTEGER *ai = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
	ASN1_TIME *tb = ASN1_TIME_set(NULL, nb), *ta = ASN1_TIME_set(NULL, na);
	unsigned char *p;
	int len, ok = ai && tb && ta && X509_set_serialNumber(x, ai) && X509_set1_notBefore(x, tb) &&
	    X509_set1_notAfter(x, ta) && X509_sign(x, k, EVP_sha256()) > 0;

	BN_free(bn);
	ASN1_INTEGER_free(ai);
	ASN1_TIME_free(tb);
	ASN1_TIME_free(ta);
	if (!ok || (len = i2d_X509(x, NULL)) <= 0)
		return 0;
	out->len = 0;
	if (!pc_buf_reserve(out, (size_t)len))
		return 0;
	p = out->p;
	if (i2d_X509(x, &p) != len)
		return 0;
	out->len = (size_t)len;
	return 1;
}

int main(int argc, char **argv)
{
	ca_ctx c;
	pc_err e = { PC_OK, "" };
	store_txn *t = NULL;
	struct tmpl tp;
	ca_request q0;
	ca_job j;
	pc_buf scratch = PC_BUF_INIT;
	EVP_PKEY *key = NULL;
	X509 *x = NULL;
	const unsigned char *dp;
	uint64_t n, nseg, nnew, nrev, i, every, revoked = 0;
	time_t now = time(NULL);
	char seg[16], hex[2 * PKIX_SERIAL_LEN + 1], detail[1200];
	static const char source[] = "store_fill (benchmark: copy of a real record, "
	    "software signature, not the CA's)";

	if (argc != 8 || strcmp(argv[1], "--bench-only") != 0) {
		fprintf(stderr, "usage: store_fill --bench-only HOME N SEGMENTS NEW REVOKED SEED\n"
		    "(benchmark tool: fills a store with copies of a real certificate, signed in "
		    "software)\n");
		return 2;
	}
	n = strtoull(argv[3], NULL, 10);
	nseg = strtoull(argv[4], NULL, 10);
	nnew = strtoull(argv[5], NULL, 10);
	nrev = strtoull(argv[6], NULL, 10);
	rng_state = strtoull(argv[7], NULL, 10);
	if (nseg == 0 || nseg > 99 || nnew > n || nrev > n - nnew) {
		fprintf(stderr, "store_fill: SEGMENTS 1..99, NEW <= N, REVOKED <= N - NEW\n");
		return 2;
	}
	every = nrev ? (n - nnew) / nrev : 0;
	memset(&tp, 0, sizeof tp);
	if (ca_open(&c, argv[2], true, &e) != PC_OK)
		goto fail;
	if (store_begin(c.st, false, &t, &e) != PC_OK ||
	    store_scan(t, STORE_CERTS, NULL, 0, false, find_visit, &tp, &e) != PC_OK)
		goto fail;
	if (!tp.found) {
		pc_fail(&e, PC_E_NOTFOUND, "%s: no certificate that answers a request to copy", argv[2]);
		goto fail;
	}
	if (ca_request_get(t, tp.cert.request, &q0, &e) != PC_OK)
		goto fail;
	store_abort(t);
	t = NULL;
	dp = tp.der;
	if ((x = d2i_X509(NULL, &dp, (long)tp.der_len)) == NULL ||
	    (key = EVP_EC_gen("P-256")) == NULL) {
		pc_fail(&e, PC_E_INTERNAL, "OpenSSL: template or software key");
		goto fail;
	}
	memset(&j, 0, sizeof j);
	j.issuer = tp.cert.ca;
	j.kind = "leaf";
	j.profile = tp.cert.profile;
	j.source = source;
	j.policy_hash = tp.cert.policy_hash;
	snprintf(j.keytype, sizeof j.keytype, "%s", tp.cert.keytype);
	j.subject_text = tp.cert.subject;
	j.san_text = tp.cert.san;
	for (i = 0; i < n; i++) {
		ca_request q = q0;
		bool fresh_new = i >= n - nnew;
		if (t == NULL && store_begin(c.st, true, &t, &e) != PC_OK)
			goto fail;
		snprintf(seg, sizeof seg, "seg%02" PRIu64, fresh_new ? nseg : i % nseg + 1);
		pkix_serial_new(j.serial);
		j.nb = now - PC_DAY;
		j.na = now + PC_DAY + (time_t)(rng() % (730 * (uint64_t)PC_DAY));
		j.segment = seg;
		if (!resign(x, key, j.serial, j.nb, j.na, &j.cert)) {
			pc_fail(&e, PC_E_INTERNAL, "OpenSSL: re-signing copy %" PRIu64, i);
			goto fail;
		}
		if (ca_next_request_id(t, &j.request_id, &e) != PC_OK)
			goto fail;
		q.id = j.request_id;
		q.status = "issued";
		q.segment = seg;
		q.bundle = "store_fill.tar";
		memcpy(q.serial, j.serial, PKIX_SERIAL_LEN);
		q.has_serial = true;
		q.created = (uint64_t)now;
		q.exported = fresh_new ? 0 : 1;
		ca_serial_hex(j.serial, PKIX_SERIAL_LEN, hex);
		snprintf(detail, sizeof detail, "%s; profile %s; by CA %s; from %s", j.subject_text,
		    j.profile, j.issuer, source);
		if (ca_request_put(t, &q, true, &e) != PC_OK || ca_cert_put(t, &j, &scratch, &e) != PC_OK ||
		    audit_append(t, now, "issue", hex, "ok", detail, &e) != PC_OK)
			goto fail;
		if (!fresh_new && every && i % every == 0 && revoked < nrev) {
			if (ca_revoke_serial(t, j.serial, 4 /* superseded */, now, &scratch, &e) != PC_OK)
				goto fail;
			revoked++;
		}
		if (i % FILL_GROUP == FILL_GROUP - 1 || i == n - 1) {
			if (store_commit(t, &e) != PC_OK) {
				t = NULL;
				goto fail;
			}
			t = NULL;
			store_release_pages(c.st);
		}
	}
	printf("store_fill: %" PRIu64 " certificates in %" PRIu64 " segments (%" PRIu64
	    " not yet delivered, in seg%02" PRIu64 "), %" PRIu64 " revoked; software signatures\n",
	    n, nseg, nnew, nseg, revoked);
	pc_buf_free(&j.cert);
	pc_buf_free(&scratch);
	X509_free(x);
	EVP_PKEY_free(key);
	ca_request_free(&q0);
	ca_cert_rec_free(&tp.cert);
	free(tp.der);
	ca_close(&c);
	return fflush(stdout) == 0 ? 0 : 2;
fail:
	store_abort(t);
	t_die_err(&e);
}
