/*
 * renew.c - `plantca renew`: renewal requests for certificates that are
 * about to expire, for the same key and identity, where the profile says
 * `renewal = same-key` (docs/policy-format.md, docs/lifecycle.md).
 *
 * A renewal is a queued request like any other: its bytes are the
 * certificate being renewed (pinned by SHA-256 in the request record, as a
 * CSR's are), its subject, key and SANs are what a CSR for it would ask
 * for (ca_renewal_csr), and it is judged now exactly as import judges a
 * CSR and again at sign under the policy in force then: approved under
 * `approval = auto`, pending under officer or single, rejected with the
 * reason if the policy no longer allows it.  Signed, its certificate is
 * recorded as superseding the old one (request_state.c, STORE_SUPERSEDED)
 * and goes to the segment with the next export.
 *
 * Chosen: valid (not expired, not revoked) leaf certificates of a segment,
 * not superseded yet and with no renewal waiting, that expire within DAYS
 * (default 30), of --segment S, or exactly the --serial ones.  Named
 * serials are all or nothing: one that cannot be renewed refuses the
 * command and nothing is queued; with --expiring, such certificates are
 * listed as skipped with the reason.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "capolicy.h"
#include "format.h"
#include "json.h"
#include "leaf.h"
#include "records.h"
#include "text.h"

enum { RENEW_DAYS_DEFAULT = 30 };

struct cand {
	uint8_t serial[PKIX_SERIAL_LEN];
	char hex[2 * PKIX_SERIAL_LEN + 1];
	ca_cert_rec rec;           /* der points into der below */
	uint8_t *der;
	char station[2 * CA_KEYID_LEN + 1];
	bool skip;                 /* not renewed, because of `why` (a copy: the
	                            * array of candidates moves as it grows) */
	char why[PC_ERR_MSG_MAX];
	ca_request q;              /* the renewal request, once judged */
};

struct sel {
	ca_ctx *c;
	const ca_renew_opts *o;
	store_txn *t;
	const policy *pol;
	time_t now;
	struct cand *v;
	size_t n, cap;
	uint8_t (*queued)[PKIX_SERIAL_LEN];   /* renewals waiting (pending/approved/signing) */
	size_t nqueued, qcap;
};

static void cand_free(struct cand *k)
{
	ca_cert_rec_free(&k->rec);
	free(k->der);
	ca_request_free(&k->q);
}

static bool is_queued(const struct sel *s, const uint8_t *serial)
{
	size_t i;

	for (i = 0; i < s->nqueued; i++)
		if (memcmp(s->queued[i], serial, PKIX_SERIAL_LEN) == 0)
			return true;
	return false;
}

/* Why certificate r cannot be renewed now (NULL: it can), into k->why. */
static const char *cannot(struct sel *s, const ca_cert_rec *r, struct cand *k)
{
	uint8_t by[PKIX_SERIAL_LEN];
	char hex[2 * PKIX_SERIAL_LEN + 1], when[32];
	policy_renewal rn;
	const char *st = ca_cert_status(s->t, r, s->now);
	pc_err e;

	if (strcmp(r->kind, "leaf") != 0)
		return "a CA certificate (plantca ca roll renews a CA)";
	if (strcmp(st, "valid") != 0) {
		pc_time_text(r->na, when);
		snprintf(k->why, sizeof k->why, "%s%s%s", st, strcmp(st, "expired") == 0 ? " on " : "",
		    strcmp(st, "expired") == 0 ? when : "");
		return k->why;
	}
	if (r->segment[0] == '\0')
		return "issued directly (plantca issue), not to a segment: issue it again";
	if (ca_supersede_get(s->t, r->serial, by, &e) == PC_OK) {
		ca_serial_hex(by, PKIX_SERIAL_LEN, hex);
		snprintf(k->why, sizeof k->why, "already renewed by %s", hex);
		return k->why;
	}
	if (is_queued(s, r->serial))
		return "a renewal request for it is waiting (plantca requests)";
	if (!policy_profile_renewal(s->pol, r->profile, &rn)) {
		snprintf(k->why, sizeof k->why, "profile '%s' is not in the active policy", r->profile);
		return k->why;
	}
	if (rn == POLICY_RENEWAL_REKEY_ONLY) {
		snprintf(k->why, sizeof k->why, "profile %s says renewal = rekey-only: the device must "
		    "send a new key (a new CSR, or a CMP kur)", r->profile);
		return k->why;
	}
	if (rn == POLICY_RENEWAL_NONE) {
		snprintf(k->why, sizeof k->why, "profile %s says renewal = none", r->profile);
		return k->why;
	}
	return NULL;
}

PC_CHECK static pc_rc add(struct sel *s, pc_reader val, bool named, bool *added, pc_err *e)
{
	struct cand *k;
	ca_request oq;
	pc_err qe;

	*added = false;
	if (!pc_grow(&s->v, &s->cap, s->n, sizeof *s->v, 16))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	k = &s->v[s->n];
	memset(k, 0, sizeof *k);
	PC_TRY(ca_cert_rec_decode(val, &k->rec, e));
	memcpy(k->serial, k->rec.serial, PKIX_SERIAL_LEN);
	ca_serial_hex(k->serial, PKIX_SERIAL_LEN, k->hex);
	if (!named && ((s->o->segment && strcmp(s->o->segment, k->rec.segment) != 0) ||
	    strcmp(k->rec.kind, "leaf") != 0 || strcmp(ca_cert_status(s->t, &k->rec, s->now),
	    "valid") != 0 || (time_t)k->rec.na > s->now + (time_t)s->o->expiring_days * PC_DAY)) {
		ca_cert_rec_free(&k->rec);
		return PC_OK;
	}
	if ((k->der = malloc(k->rec.der_len)) == NULL) {
		ca_cert_rec_free(&k->rec);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	memcpy(k->der, k->rec.der, k->rec.der_len);
	k->rec.der = k->der;
	{
		const char *why = cannot(s, &k->rec, k);
		if (why != NULL && why != k->why)
			snprintf(k->why, sizeof k->why, "%s", why);
		k->skip = why != NULL;
	}
	/* the station that asked for it asks for its renewal */
	if (k->rec.request != 0 && ca_request_get(s->t, k->rec.request, &oq, &qe) == PC_OK) {
		snprintf(k->station, sizeof k->station, "%s", oq.station);
		ca_request_free(&oq);
	}
	s->n++;
	*added = true;
	return PC_OK;
}

PC_CHECK static pc_rc cert_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	bool added;

	(void)key;
	(void)stop;
	return add(ctx, val, false, &added, e);
}

PC_CHECK static pc_rc queued_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct sel *s = ctx;
	ca_request q;
	pc_rc rc = PC_OK;

	(void)key;
	(void)stop;
	PC_TRY(ca_request_decode(val, &q, e));
	if (q.has_renews && (strcmp(q.status, "pending") == 0 || strcmp(q.status, "approved") == 0 ||
	    strcmp(q.status, "signing") == 0)) {
		if (!pc_grow(&s->queued, &s->qcap, s->nqueued, sizeof *s->queued, 16))
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		else
			memcpy(s->queued[s->nqueued++], q.renews, PKIX_SERIAL_LEN);
	}
	ca_request_free(&q);
	return rc;
}

/* The renewal request for candidate k, judged as import judges a CSR. */
PC_CHECK static pc_rc judge(struct sel *s, struct cand *k, pc_err *e)
{
	ca_request *q = &k->q;
	ca_rec issuer;
	pkix_csr csr;
	ca_job j;
	policy_approval a = POLICY_APPROVAL_OFFICER;
	const uint8_t *sigalg;
	size_t sigalg_len;
	char member[64], what[128];
	pc_err je;
	pc_rc rc;

	memset(q, 0, sizeof *q);
	memset(&je, 0, sizeof je);
	snprintf(member, sizeof member, "renew-%s.crt", k->hex);
	if ((q->status = strdup("pending")) == NULL || (q->segment = strdup(k->rec.segment)) == NULL ||
	    (q->station = strdup(k->station)) == NULL || (q->bundle = strdup("renew")) == NULL ||
	    (q->member = strdup(member)) == NULL || (q->profile = strdup(k->rec.profile)) == NULL ||
	    (q->subject = strdup(k->rec.subject)) == NULL || (q->san = strdup(k->rec.san)) == NULL ||
	    (q->keytype = strdup(k->rec.keytype)) == NULL || (q->reason = strdup("")) == NULL ||
	    (q->ca = strdup(k->rec.ca)) == NULL || (q->csr = malloc(k->rec.der_len)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(q->csr, k->der, k->rec.der_len);
	q->csr_len = k->rec.der_len;
	crypto_hash_sha256(q->csr_sha256, q->csr, q->csr_len);
	q->has_csr_sha256 = true;
	q->csr_bytes = q->csr_len;
	q->has_csr_bytes = true;
	memcpy(q->renews, k->serial, PKIX_SERIAL_LEN);
	q->has_renews = true;
	q->created = (uint64_t)s->now;
	snprintf(what, sizeof what, "renewal of %s", k->hex);
	PC_TRY(ca_rec_get(s->t, k->rec.ca, &issuer, e));
	if ((sigalg = hsm_alg_sigalg((hsm_alg)issuer.alg, &sigalg_len)) == NULL) {
		ca_rec_free(&issuer);
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': unknown key algorithm %" PRIu64
		    " in its record", k->rec.ca, issuer.alg);
	}
	rc = ca_renewal_csr(k->der, k->rec.der_len, what, &csr, &je);
	if (rc == PC_OK) {
		rc = ca_request_prepare(s->pol, q, &csr, &issuer, sigalg, sigalg_len, what, what, &j,
		    &je);
		pkix_csr_free(&csr);
	}
	ca_rec_free(&issuer);
	if (rc == PC_E_NOMEM) {
		*e = je;
		return rc;
	}
	if (rc != PC_OK) {
		/* the policy in force no longer allows it: recorded, with why */
		free(q->reason);
		q->reason = NULL;
		PC_TRY(ca_set_str(&q->status, "rejected", e));
		return ca_set_str(&q->reason, je.msg, e);
	}
	ca_job_free(&j);
	if (!policy_profile_approval(s->pol, q->profile, &a))
		return pc_fail(e, PC_E_INTERNAL, "%s: profile '%s' vanished", what, q->profile);
	return ca_set_str(&q->status, a == POLICY_APPROVAL_AUTO ? "approved" : "pending", e);
}

/* Choose the certificates, in one read transaction. */
PC_CHECK static pc_rc choose(struct sel *s, pc_err *e)
{
	size_t i;
	uint8_t serial[PKIX_SERIAL_LEN];
	pc_reader v;
	bool added;
	pc_rc rc;

	PC_TRY(store_scan(s->t, STORE_REQUESTS, NULL, 0, false, queued_visit, s, e));
	if (s->o->nserials == 0)
		return store_scan(s->t, STORE_CERTS, NULL, 0, false, cert_visit, s, e);
	for (i = 0; i < s->o->nserials; i++) {
		PC_TRY(ca_serial_parse(s->o->serials[i], serial, e));
		rc = store_get(s->t, STORE_CERTS, serial, PKIX_SERIAL_LEN, &v, e);
		if (rc == PC_E_NOTFOUND)
			return pc_fail(e, PC_E_NOTFOUND, "serial %s: no such certificate",
			    s->o->serials[i]);
		PC_TRY(rc);
		PC_TRY(add(s, v, true, &added, e));
		if (s->v[s->n - 1].skip)
			return pc_fail(e, PC_E_STATE, "serial %s: not renewed: %s; nothing was queued",
			    s->v[s->n - 1].hex, s->v[s->n - 1].why);
		if (s->o->segment && strcmp(s->o->segment, s->v[s->n - 1].rec.segment) != 0)
			return pc_fail(e, PC_E_STATE, "serial %s: of segment %s, not %s; nothing was "
			    "queued", s->v[s->n - 1].hex, s->v[s->n - 1].rec.segment, s->o->segment);
	}
	return PC_OK;
}

static void report(const struct sel *s, FILE *out, bool json)
{
	size_t i, nq = 0, na = 0, np = 0, nr = 0, ns = 0;
	char na_text[32];

	if (json)
		fputc('[', out);
	for (i = 0; i < s->n; i++) {
		const struct cand *k = &s->v[i];
		pc_time_text(k->rec.na, na_text);
		if (json) {
			fprintf(out, "%s{\"serial\":\"%s\",\"not_after\":\"%s\",\"segment\":", i ? "," : "",
			    k->hex, na_text);
			json_str(out, k->rec.segment);
			fprintf(out, ",\"profile\":");
			json_str(out, k->rec.profile);
			fprintf(out, ",\"subject\":");
			json_str(out, k->rec.subject);
			if (k->skip) {
				fprintf(out, ",\"skipped\":");
				json_str(out, k->why);
			} else {
				fprintf(out, ",\"request\":%" PRIu64 ",\"status\":\"%s\"", k->q.id, k->q.status);
				if (k->q.reason[0]) {
					fprintf(out, ",\"reason\":");
					json_str(out, k->q.reason);
				}
			}
			fputc('}', out);
			continue;
		}
		fprintf(out, "%s  expires %.10s  %-10s  ", k->hex, na_text, k->rec.profile);
		pc_text_fputs(out, k->rec.subject);
		if (k->skip) {
			fputs("  skipped: ", out);
			pc_text_fputs(out, k->why);
		} else {
			fprintf(out, "  -> request %" PRIu64 " %s", k->q.id, k->q.status);
			if (k->q.reason[0]) {
				fputs(": ", out);
				pc_text_fputs(out, k->q.reason);
			}
		}
		fputc('\n', out);
	}
	if (json) {
		fputs("]\n", out);
		return;
	}
	for (i = 0; i < s->n; i++) {
		if (s->v[i].skip) {
			ns++;
			continue;
		}
		nq++;
		na += strcmp(s->v[i].q.status, "approved") == 0;
		np += strcmp(s->v[i].q.status, "pending") == 0;
		nr += strcmp(s->v[i].q.status, "rejected") == 0;
	}
	fprintf(out, "%zu renewal request(s) queued: %zu approved, %zu pending, %zu rejected; %zu "
	    "skipped%s\n", nq, na, np, nr, ns, na ? " (plantca sign issues them; the next export "
	    "delivers them)" : "");
}

pc_rc ca_renew(ca_ctx *c, const ca_renew_opts *o, FILE *out, pc_err *e)
{
	ca_renew_opts oo = *o;
	struct sel s;
	policy *pol = NULL;
	char detail[PC_ERR_MSG_MAX + 200];
	size_t i;
	pc_rc rc;

	memset(&s, 0, sizeof s);
	if (oo.expiring_days < 0)
		oo.expiring_days = RENEW_DAYS_DEFAULT;
	s.c = c;
	s.o = &oo;
	s.now = time(NULL);
	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	s.pol = pol;
	PC_TRY_OUT(store_begin(c->st, false, &s.t, e));
	PC_TRY_OUT(choose(&s, e));
	for (i = 0; i < s.n; i++)
		if (!s.v[i].skip)
			PC_TRY_OUT(judge(&s, &s.v[i], e));
	store_abort(s.t);
	s.t = NULL;
	/* queued in one transaction, each with its audit event */
	PC_TRY_OUT(store_begin(c->st, true, &s.t, e));
	for (i = 0; i < s.n && rc == PC_OK; i++) {
		struct cand *k = &s.v[i];
		if (k->skip)
			continue;
		rc = ca_next_request_id(s.t, &k->q.id, e);
		if (rc == PC_OK)
			rc = ca_request_put(s.t, &k->q, true, e);
		if (rc == PC_OK) {
			char when[32];
			pc_time_text(k->rec.na, when);
			snprintf(detail, sizeof detail, "request %" PRIu64 " %s; profile %s; segment %s; "
			    "expires %s%s%s", k->q.id, k->q.status, k->rec.profile, k->rec.segment, when,
			    k->q.reason[0] ? "; " : "", k->q.reason);
			rc = audit_append(s.t, s.now, "renew", k->hex, "ok", detail, e);
		}
	}
	rc = store_end(&s.t, rc, e);
	if (rc == PC_OK)
		report(&s, out, c->json);
out:
	store_abort(s.t);
	for (i = 0; i < s.n; i++)
		cand_free(&s.v[i]);
	free(s.v);
	free(s.queued);
	policy_free(pol);
	return rc;
}
