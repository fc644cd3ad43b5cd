/*
 * import.c - `plantca import`: a request bundle from an enrolled station,
 * verified, and each request judged as sign will judge it.
 */
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cmp.h"
#include "crl.h"
#include "capolicy.h"
#include "discovery.h"
#include "fault.h"
#include "format.h"
#include "import.h"
#include "json.h"
#include "keyroll.h"
#include "leaf.h"
#include "records.h"
#include "text.h"
#include "transfer.h"

/* A rejection reason as stored: through the display escaper, so the
 * record never holds raw bytes from the CSR whatever the message quotes. */
PC_CHECK static pc_rc set_reason(ca_request *r, const char *msg, pc_err *e)
{
	char *safe = pc_text_escape_str(msg);
	pc_rc rc;

	if (safe == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	rc = ca_set_str(&r->reason, safe, e);
	free(safe);
	return rc;
}

/* The issuing CA a bundle's requests are judged against, without the HSM:
 * its record (certificate, name constraints) and the signature algorithm
 * of its key from the record (hsm_alg_sigalg), which is what sign gets
 * from the token.  `missing` holds the reason when the CA is gone. */
struct judge_ca {
	ca_rec rec;
	const uint8_t *sigalg;
	size_t sigalg_len;
	bool have;
	char missing[PC_ERR_MSG_MAX];
};

PC_CHECK static pc_rc reject(ca_request *r, const char *why, pc_err *e)
{
	PC_TRY(set_reason(r, why, e));
	return ca_set_str(&r->status, "rejected", e);
}

/* Out of memory is the run's error, not the request's. */
PC_CHECK static pc_rc pass(pc_err *to, const pc_err *from)
{
	if (to != NULL)
		*to = *from;
	return from->rc;
}

/* Judge one CSR of a bundle with exactly what `plantca sign` will run on
 * it (ca_request_prepare: CSR and proof of possession, the policy's
 * decision for its profile, segment and station, the TBS the issuing CA
 * would sign, the pre-issuance check with the CA's certificate, so its name
 * constraints), only not signed.  A request that sign would refuse is
 * rejected now with every reason.  One that passes is approved when its
 * profile says approval = auto (sign still runs only when the officer runs
 * it, and checks again under the policy in force then); under officer or
 * single it waits for plantca approve. */
PC_CHECK static pc_rc judge_csr(const policy *pol, ca_request *r, const uint8_t *data,
    size_t len, const struct judge_ca *ca, const char *what, pc_err *err)
{
	pkix_csr csr;
	ca_job j;
	policy_approval a = POLICY_APPROVAL_OFFICER;
	pc_err e;
	char kt[32];
	pc_rc rc;

	memset(&e, 0, sizeof e);
	if (pkix_csr_parse(data, len, what, &csr, &e) != PC_OK)
		return e.rc == PC_E_NOMEM ? pass(err, &e) : reject(r, e.msg, err);
	/* the review screen shows what the CSR asks for: a request whose
	 * subject cannot be shown is not judged further */
	if ((rc = ca_name_text(csr.subject, csr.subject_len, &r->subject, &e)) != PC_OK) {
		rc = rc == PC_E_NOMEM ? pass(err, &e) : reject(r, e.msg, err);
		goto out;
	}
	if ((r->san = ca_san_text(csr.san, csr.nsan)) == NULL) {
		rc = pc_fail(err, PC_E_NOMEM, "out of memory");
		goto out;
	}
	pkix_keytype_name(csr.keytype, csr.bits, kt, sizeof kt);
	if ((rc = ca_set_str(&r->keytype, kt, err)) != PC_OK)
		goto out;
	if (!ca->have) {
		rc = reject(r, ca->missing, err);
	} else if (ca_request_prepare(pol, r, &csr, &ca->rec, ca->sigalg, ca->sigalg_len, what,
	    what, &j, &e) != PC_OK) {
		rc = e.rc == PC_E_NOMEM ? pass(err, &e) : reject(r, e.msg, err);
	} else {
		ca_job_free(&j);       /* its serial is never used: sign draws its own */
		/* the profile exists: ca_request_prepare looked it up */
		if (!policy_profile_approval(pol, r->profile, &a))
			rc = pc_fail(err, PC_E_INTERNAL, "%s: profile '%s' vanished", what, r->profile);
		else if ((rc = ca_set_str(&r->status, a == POLICY_APPROVAL_AUTO ? "approved" :
		    "pending", err)) == PC_OK)
			rc = ca_set_str(&r->reason, "", err);
	}
out:
	pkix_csr_free(&csr);
	return rc;
}

/* A device's CMP message (docs/cmp.md), judged end to end from the
 * bundle: its structure, protection and proof of possession again, the
 * IDevID's chain to a manufacturer accepted for the segment or the
 * LDevID's record here, a transaction never seen before; then, for an
 * enrollment, everything judge_csr runs.  An rr that passes is marked
 * "revoke" and carried out in the import's transaction. */
/* The store's own trouble, which ends the import instead of rejecting
 * the device's request. */
static bool store_trouble(pc_rc rc)
{
	return rc == PC_E_STORE_CORRUPT || rc == PC_E_NOMEM || rc == PC_E_INTERNAL || rc == PC_E_IO;
}

PC_CHECK static pc_rc judge_cmp(store_txn *t, const policy *pol, ca_request *r,
    const uint8_t *data, size_t len, const struct judge_ca *ca, const char *what,
    ca_cmp_info *info, pc_err *e)
{
	pkix_csr csr;
	ca_job j;
	policy_approval a = POLICY_APPROVAL_OFFICER;
	char *profile = NULL, kt[32], key[200];
	pc_err why;
	uint64_t id = 0;
	bool found = false;
	pc_rc rc;

	memset(&why, 0, sizeof why);
	if ((rc = ca_cmp_judge(t, r->segment, data, len, what, info, &csr, &profile, &why)) != PC_OK) {
		if (store_trouble(rc)) {
			*e = why;
			return rc;
		}
		return reject(r, why.msg, e);
	}
	rc = PC_OK;
	if (info->body == PKIX_CMP_RR) {
		PC_TRY_OUT(ca_set_str(&r->status, "revoke", e));
		PC_TRY_OUT(ca_set_str(&r->reason, "", e));
		rc = ca_set_str(&r->profile, "cmp-rr", e);
		goto out;
	}
	if (profile != NULL) {             /* kur: the renewed certificate's profile */
		rc = ca_set_str(&r->profile, profile, e);
		free(profile);
		if (rc != PC_OK)
			goto out;
	}
	PC_TRY_OUT(ca_name_text(csr.subject, csr.subject_len, &r->subject, e));
	r->san = ca_san_text(csr.san, csr.nsan);
	pkix_keytype_name(csr.keytype, csr.bits, kt, sizeof kt);
	PC_TRY_OUT(ca_set_str(&r->keytype, kt, e));
	/* a second enrollment of a device that holds (or waits for) an LDevID
	 * of this profile is refused: renewal is kur's, never a duplicate */
	snprintf(key, sizeof key, "cmp.req.dev.%s.%s", info->signer_fp, r->profile);
	if (info->body == PKIX_CMP_IR)
		PC_TRY_OUT(ca_meta_get_u64(t, key, &id, &found, e));
	if (found) {
		ca_request old;
		bool held;
		char text[400];
		PC_TRY_OUT(ca_request_get(t, id, &old, e));
		held = strcmp(old.status, "pending") == 0 || strcmp(old.status, "approved") == 0 ||
		    strcmp(old.status, "signing") == 0;
		if (strcmp(old.status, "issued") == 0 && old.has_serial) {
			pc_reader cv;
			ca_cert_rec cr;
			if ((rc = store_get(t, STORE_CERTS, old.serial, PKIX_SERIAL_LEN, &cv, e)) == PC_OK &&
			    (rc = ca_cert_rec_decode(cv, &cr, e)) == PC_OK) {
				held = strcmp(ca_cert_status(t, &cr, time(NULL)), "valid") == 0;
				ca_cert_rec_free(&cr);
			}
		}
		if (rc == PC_OK && held)
			snprintf(text, sizeof text, "%s: this IDevID already has request %" PRIu64
			    " (%s) for an LDevID of profile %s: renew with kur, or revoke it first",
			    what, id, old.status, r->profile);
		ca_request_free(&old);
		if (rc != PC_OK)
			goto out;
		if (held) {
			rc = reject(r, text, e);
			goto out;
		}
	}
	if (!ca->have) {
		rc = reject(r, ca->missing, e);
	} else if (ca_request_prepare(pol, r, &csr, &ca->rec, ca->sigalg, ca->sigalg_len, what,
	    what, &j, &why) != PC_OK) {
		rc = reject(r, why.msg, e);
	} else {
		ca_job_free(&j);
		(void)policy_profile_approval(pol, r->profile, &a);
		PC_TRY_OUT(ca_set_str(&r->status, a == POLICY_APPROVAL_AUTO ? "approved" : "pending", e));
		PC_TRY_OUT(ca_set_str(&r->reason, "", e));
	}
out:
	pkix_csr_free(&csr);
	return rc;
}

/* A CMP message's request waits for the bundle's last transaction, where
 * what it does beyond its own record (a revocation, the transaction
 * record, the device's key) is carried out with the rest of the bundle. */
struct deferred {
	ca_request r;
	ca_cmp_info info;
};

/* One import, carried from chunk to chunk (ca/import.h). */
struct import_run {
	ca_ctx *c;
	const char *path;
	tr_bundle *b;
	const ca_station *st;
	const policy *pol;
	const struct judge_ca *jca;
	const ca_import_keys *ik;    /* the bundle's key lines (keyroll_import.c) */
	ca_import_mark mark;         /* bundle, station, segment: into b and st */
	bool marked;                 /* the mark is committed: a failure rolls back */
	uint64_t first, next;        /* the bundle's request ids: first .. next-1 */
	size_t npend, nauto, nrej;
	size_t nconf, nconf_rec, nconf_bad;  /* certConf reports: revoked, recorded, refused */
	struct deferred *dv;
	size_t dn, dcap;
};

/* Judge the bundle's jth CSR line's member into r (and info, for a CMP
 * message), and keep what the store keeps of it. */
PC_CHECK static pc_rc judge_member(struct import_run *x, store_txn *rt, size_t j, ca_request *r,
    ca_cmp_info *info, pc_err *e)
{
	const tr_bundle *b = x->b;
	const ca_station *st = x->st;
	const tr_member *m;
	char what[TR_NAME_MAX * 2 + 8];
	size_t i = b->meta.csrs[j].index, keep;

	if (i >= b->nmembers || strcmp(b->members[i].name, b->meta.csrs[j].member) != 0)
		return pc_fail(e, PC_E_INTERNAL, "%s: csr line for %s has no member", x->path,
		    b->meta.csrs[j].member);
	m = &b->members[i];
	snprintf(what, sizeof what, "%s/%s", b->name, m->name);
	r->created = (uint64_t)time(NULL);
	if (ca_set_str(&r->segment, st->segment, e) || ca_set_str(&r->station, st->keyid_text, e) ||
	    ca_set_str(&r->bundle, b->name, e) || ca_set_str(&r->member, m->name, e) ||
	    ca_set_str(&r->profile, b->meta.csrs[j].profile, e) || ca_set_str(&r->ca, st->ca, e))
		return PC_E_NOMEM;
	if (ca_cmp_member(m->name))
		PC_TRY(judge_cmp(rt, x->pol, r, m->data, m->len, x->jca, what, info, e));
	else
		PC_TRY(judge_csr(x->pol, r, m->data, m->len, x->jca, what, e));
	if (!r->status || !r->reason)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	/* a CSR refused before its fields were read shows them empty */
	if (!r->subject)
		PC_TRY(ca_set_str(&r->subject, "", e));
	if (!r->san)
		PC_TRY(ca_set_str(&r->san, "", e));
	if (!r->keytype)
		PC_TRY(ca_set_str(&r->keytype, "", e));
	/* the store keeps what sign needs (the whole CSR, at most
	 * PKIX_CSR_MAX, of a request that may be issued) and of a
	 * rejected one only its start, its size and its hash */
	keep = m->len;
	if (strcmp(r->status, "rejected") == 0 && keep > CA_REJECTED_KEEP)
		keep = CA_REJECTED_KEEP;
	r->csr = malloc(keep ? keep : 1);
	if (r->csr == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	memcpy(r->csr, m->data, keep);
	r->csr_len = keep;
	r->csr_bytes = m->len;
	crypto_hash_sha256(r->csr_sha256, m->data, m->len);
	if (strcmp(r->status, "pending") == 0 || strcmp(r->status, "revoke") == 0)
		x->npend++;
	else if (strcmp(r->status, "approved") == 0)
		x->nauto++;
	else
		x->nrej++;
	return PC_OK;
}

/* A chunk's requests, each with the next request id, in the bundle's
 * order: stored now, or, a CMP message's, kept for the last transaction
 * (the request then takes over r's fields). */
PC_CHECK static pc_rc write_chunk(struct import_run *x, store_txn *t, ca_request *reqs,
    ca_cmp_info *infos, size_t n, pc_err *e)
{
	size_t k;

	for (k = 0; k < n; k++) {
		PC_TRY(ca_next_request_id(t, &reqs[k].id, e));
		if (x->first == 0)
			x->first = reqs[k].id;
		x->next = reqs[k].id + 1;
		if (ca_cmp_member(reqs[k].member) && infos[k].txid[0] != '\0') {
			if (!pc_grow(&x->dv, &x->dcap, x->dn, sizeof *x->dv, 16))
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			x->dv[x->dn].r = reqs[k];
			x->dv[x->dn].info = infos[k];
			x->dn++;
			memset(&reqs[k], 0, sizeof reqs[k]);
		} else {
			PC_TRY(ca_request_put(t, &reqs[k], true, e));
		}
	}
	return PC_OK;
}

/* A CMP message's request and what it does: the device's own revocation
 * (RFC 9483 §4.2, proved by its signature) carried out now, so that the
 * next CRL lists it; its transaction record; the device's LDevID key. */
PC_CHECK static pc_rc finish_cmp(struct import_run *x, store_txn *t, struct deferred *d,
    pc_err *e)
{
	ca_request *r = &d->r;
	ca_cmp_info *info = &d->info;
	pc_rc rc = PC_OK;

	if (strcmp(r->status, "revoke") == 0) {
		pc_buf sc = PC_BUF_INIT;
		pc_err re;
		unsigned reason = info->rev_reason > 0 ? (unsigned)info->rev_reason : 0;
		if (ca_revoke_serial(t, info->old_serial, reason, time(NULL), &sc, &re) == PC_OK) {
			rc = ca_set_str(&r->status, "revoked", e);
		} else {
			if ((rc = set_reason(r, re.msg, e)) == PC_OK)
				rc = ca_set_str(&r->status, "rejected", e);
		}
		pc_buf_free(&sc);
		x->npend--;
	}
	if (rc == PC_OK) {
		pc_err ie;
		rc = ca_cmp_info_put(t, r->id, info, &ie);
		/* a transaction seen before was rejected as a replay by
		 * judge_cmp; its first import keeps the answer */
		if (rc == PC_E_REPLAY && strcmp(r->status, "rejected") == 0)
			rc = PC_OK;
		else if (rc != PC_OK)
			*e = ie;
	}
	if (rc == PC_OK && info->body == PKIX_CMP_IR && strcmp(r->status, "rejected") != 0) {
		char dk[200];
		uint8_t idk[8];
		snprintf(dk, sizeof dk, "cmp.req.dev.%s.%s", info->signer_fp, r->profile);
		ca_id_key(r->id, idk);
		rc = store_put(t, STORE_META, dk, strlen(dk), idk, 8, false, e);
	}
	if (rc == PC_OK)
		rc = ca_request_put(t, r, true, e);
	return rc;
}

/* The last transaction: everything with an effect beyond the requests
 * themselves, so that the bundle is in whole or not at all. */
PC_CHECK static pc_rc finish(struct import_run *x, store_txn *t, const sr_report *rep,
    bool have_scan, uint64_t *scan_id, size_t *scan_closed, pc_err *e)
{
	const ca_station *st = x->st;
	tr_bundle *b = x->b;
	pc_buf sb = PC_BUF_INIT;
	pc_reader val;
	ca_station cur;
	char detail[400];
	size_t k;
	pc_rc rc;

	/* the station's sequence: used up only now */
	rc = store_get(t, STORE_STATIONS, st->keyid, CA_KEYID_LEN, &val, e);
	if (rc == PC_OK && (rc = ca_station_decode(val, &cur, e)) != PC_OK)
		pc_wrap(e, "station %s", st->keyid_text);
	if (rc == PC_OK) {
		if (b->meta.sequence <= cur.last_seq)
			rc = pc_fail(e, PC_E_REPLAY, "%s: sequence %" PRIu64 " is not newer than "
			    "%" PRIu64 ", the last accepted from station %s (replayed?)", x->path,
			    b->meta.sequence, cur.last_seq, st->keyid_text);
		cur.last_seq = b->meta.sequence;
		if (rc == PC_OK)
			rc = ca_station_encode(&cur, &sb, e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_STATIONS, st->keyid, CA_KEYID_LEN, sb.p, sb.len, false, e);
		ca_station_free(&cur);
	}
	pc_buf_free(&sb);
	/* a new station key, the transfer key it holds (keyroll_import.c) */
	if (rc == PC_OK)
		rc = ca_import_keys_apply(t, st, b, x->ik, e);
	for (k = 0; k < x->dn && rc == PC_OK; k++)
		rc = finish_cmp(x, t, &x->dv[k], e);
	/* the certificates devices refused in their certConf (ca/cmp_conf.c) */
	if (rc == PC_OK)
		rc = ca_cmp_conf_import(t, b, st->segment, time(NULL), &x->nconf, &x->nconf_rec,
		    &x->nconf_bad, e);
	if (rc == PC_OK && have_scan)
		rc = ca_scan_import(t, st->segment, st->keyid_text, b->name, b->meta.sequence,
		    &b->members[b->meta.scan_index], rep, scan_id, scan_closed, e);
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "station %s, segment %s, sequence %" PRIu64
		    ": %zu pending, %zu approved by policy, %zu rejected", st->keyid_text, st->segment,
		    b->meta.sequence, x->npend, x->nauto, x->nrej);
		rc = audit_append(t, time(NULL), "import", b->name, "ok", detail, e);
	}
	if (rc == PC_OK && x->marked)
		rc = ca_import_mark_del(t, e);
	return rc;
}

/* The bundle's requests as stored, read back a page at a time: the
 * --json array, or the rejected ones with their reasons. */
PC_CHECK static pc_rc print_requests(struct import_run *x, bool json, pc_err *e)
{
	uint64_t id = x->first;
	store_txn *t;
	size_t k;
	pc_rc rc = PC_OK;

	while (id != 0 && id < x->next && rc == PC_OK) {
		PC_TRY(store_begin(x->c->st, false, &t, e));
		for (k = 0; k < CA_IMPORT_CHUNK && id < x->next && rc == PC_OK; k++, id++) {
			ca_request r;
			if ((rc = ca_request_get(t, id, &r, e)) != PC_OK)
				break;
			if (json) {
				printf("%s{\"id\":%" PRIu64 ",\"status\":\"%s\",\"member\":",
				    id != x->first ? "," : "", r.id, r.status);
				json_str(stdout, r.member);
				printf(",\"reason\":");
				json_str(stdout, r.reason);
				printf("}");
			} else if (strcmp(r.status, "rejected") == 0) {
				printf("  request %" PRIu64 " rejected: ", r.id);
				pc_text_fputs(stdout, r.reason);
				putchar('\n');
			}
			ca_request_free(&r);
		}
		store_abort(t);
		store_release_pages(x->c->st);
	}
	return rc;
}

pc_rc ca_import(ca_ctx *c, const char *path, pc_err *e)
{
	ca_station_list_t sl;
	tr_pubkey *keys = NULL;
	size_t nkeys = 0;
	ca_import_keys ik;
	tr_bundle b;
	ca_station *st;
	store_txn *t = NULL;
	ca_request *reqs = NULL;
	ca_cmp_info *infos = NULL;
	size_t j, k, n = 0;
	policy *pol = NULL;
	struct judge_ca *jca = NULL;
	struct import_run x;
	store_txn *rt = NULL;
	sr_report rep;
	bool have_scan = false;
	uint64_t scan_id = 0;
	size_t scan_closed = 0;
	pc_rc rc;

	sr_report_init(&rep);
	memset(&b, 0, sizeof b);
	memset(&sl, 0, sizeof sl);
	memset(&x, 0, sizeof x);
	PC_TRY_OUT(ca_policy_active(c->home, &pol, e));
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK) {
		policy_free(pol);
		return rc;
	}
	rc = ca_stations_load(t, &sl, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if (sl.n == 0) {
		rc = pc_fail(e, PC_E_STATE, "%s: no station is enrolled (plantca station add)", path);
		goto out;
	}
	/* the enrolled keys, and those a rekey replaced (refused by name) */
	if ((rc = ca_import_trusted(c, &sl, &keys, &nkeys, e)) != PC_OK)
		goto out;
	/* spooled into the CA home and mapped: a bundle of any size is read
	 * without being held in memory, and what was verified is what is used */
	if ((rc = tr_bundle_read_spooled(path, c->home, keys, nkeys, &b, e)) != PC_OK ||
	    (rc = ca_import_signer_check(c, &b, keys, sl.n, path, e)) != PC_OK)
		goto out;
	st = &sl.v[b.signer];
	if ((rc = tr_bundle_check(&b, TR_REQUEST, st->segment, st->last_seq, time(NULL), e)) != PC_OK ||
	    (rc = ca_import_keys_check(c, st, &b, &ik, e)) != PC_OK)
		goto out;
	/* the scan report, read strictly before anything is stored: a bad
	 * one refuses the whole bundle (docs/bundle-format.md) */
	if (b.meta.scan[0] != '\0') {
		char what[TR_NAME_MAX * 2 + 8];
		const tr_member *sm = &b.members[b.meta.scan_index];
		snprintf(what, sizeof what, "%s/%s", b.name, sm->name);
		if ((rc = sr_parse(sm->data, sm->len, what, &rep, e)) != PC_OK)
			goto out;
		if (strcmp(rep.segment, st->segment) != 0) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: a scan of segment %s from station %s, which "
			    "serves segment %s", what, rep.segment, st->keyid_text, st->segment);
			goto out;
		}
		have_scan = true;
	}
	/* tr_bundle_read matched members and csr lines (every .csr member has
	 * exactly one line, every line a member) and gave each line its
	 * member's index: no search here, so a bundle of TR_MEMBERS_MAX
	 * members costs O(n log n), not O(n^2).  Requests are judged and
	 * stored a chunk at a time (ca/import.h). */
	reqs = calloc(CA_IMPORT_CHUNK, sizeof *reqs);
	infos = calloc(CA_IMPORT_CHUNK, sizeof *infos);
	jca = calloc(1, sizeof *jca);
	if (reqs == NULL || jca == NULL || infos == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* the station's issuing CA, as sign will use it */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	{
		pc_err ce;
		rc = ca_rec_get(t, st->ca, &jca->rec, &ce);
		store_abort(t);
		t = NULL;
		if (rc == PC_E_NOTFOUND) {
			snprintf(jca->missing, sizeof jca->missing, "CA '%s', which serves station %s, "
			    "does not exist", st->ca, st->keyid_text);
			rc = PC_OK;
		} else if (rc != PC_OK) {
			*e = ce;
			goto out;
		} else if ((jca->sigalg = hsm_alg_sigalg((hsm_alg)jca->rec.alg, &jca->sigalg_len)) ==
		    NULL) {
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': unknown key algorithm %" PRIu64
			    " in its record", st->ca, jca->rec.alg);
			goto out;
		} else {
			jca->have = true;
		}
	}
	x.c = c;
	x.path = path;
	x.b = &b;
	x.st = st;
	x.pol = pol;
	x.jca = jca;
	x.ik = &ik;
	for (j = 0;;) {
		size_t bytes = 0;
		bool last;
		/* CMP messages are judged against the store (manufacturers,
		 * LDevIDs); what they change in it waits for the last chunk */
		PC_TRY_OUT(store_begin(c->st, false, &rt, e));
		for (n = 0; j < b.meta.ncsrs && n < CA_IMPORT_CHUNK && bytes < CA_IMPORT_CHUNK_BYTES;
		    n++, j++) {
			if (j % 2048 == 2047)
				tr_bundle_release_pages(&b);
			memset(&infos[n], 0, sizeof infos[n]);
			PC_TRY_OUT(judge_member(&x, rt, j, &reqs[n], &infos[n], e));
			bytes += reqs[n].csr_len;
		}
		store_abort(rt);
		rt = NULL;
		last = j == b.meta.ncsrs;
		PC_TRY_OUT(store_begin(c->st, true, &t, e));
		rc = write_chunk(&x, t, reqs, infos, n, e);
		if (rc == PC_OK && !last) {
			/* the import in progress, from its first chunk on: a
			 * crash before the last is rolled back (ca/import.h) */
			x.mark.bundle = b.name;
			x.mark.station = st->keyid_text;   /* x.mark is never freed */
			x.mark.segment = st->segment;
			x.mark.sequence = b.meta.sequence;
			x.mark.first = x.first;
			x.mark.next = x.next;
			if (!x.marked)
				x.mark.started = (uint64_t)time(NULL);
			rc = ca_import_mark_put(t, &x.mark, e);
		}
		if (rc == PC_OK && last)
			rc = finish(&x, t, &rep, have_scan, &scan_id, &scan_closed, e);
		PC_TRY_OUT(store_end(&t, rc, e));
		for (k = 0; k < n; k++) {
			ca_request_free(&reqs[k]);
			memset(&reqs[k], 0, sizeof reqs[k]);
		}
		n = 0;
		if (last)
			break;
		x.marked = true;
		store_release_pages(c->st);
		PC_TRY_OUT(PC_FAULT("import.chunk", path, e));
	}
	x.marked = false;   /* the bundle is in */
	if (c->json) {
		printf("{\"bundle\":");
		json_str(stdout, b.name);
		printf(",\"segment\":");
		json_str(stdout, st->segment);
		printf(",\"station\":\"%s\",\"sequence\":%" PRIu64 ",\"requests\":[", st->keyid_text,
		    b.meta.sequence);
		rc = print_requests(&x, true, e);
		printf("]");
		if (have_scan)
			printf(",\"scan\":{\"id\":%" PRIu64 ",\"endpoints\":%zu,\"enrolled\":%zu}", scan_id,
			    rep.neps, scan_closed);
		else
			printf(",\"scan\":null");
		/* the certConf reports of devices that refused their certificate */
		printf(",\"certconf\":{\"revoked\":%zu,\"already_revoked\":%zu,\"refused\":%zu}}\n",
		    x.nconf, x.nconf_rec, x.nconf_bad);
		if (rc != PC_OK)
			goto out;
	} else {
		printf("%s: from station %s (segment %s), sequence %" PRIu64 ": %zu pending, "
		    "%zu approved by policy, %zu rejected\n", b.name, st->keyid_text, st->segment,
		    b.meta.sequence, x.npend, x.nauto, x.nrej);
		PC_TRY_OUT(print_requests(&x, false, e));
		if (x.nconf + x.nconf_rec + x.nconf_bad > 0) {
			printf("certConf: %zu certificate%s refused by %s device%s, revoked; ", x.nconf,
			    x.nconf == 1 ? "" : "s", x.nconf == 1 ? "its" : "their", x.nconf == 1 ? "" : "s");
			if (x.nconf_rec > 0)
				printf("%zu recorded, already revoked; ", x.nconf_rec);
			printf("%zu report%s refused (plantca audit log)\n", x.nconf_bad,
			    x.nconf_bad == 1 ? "" : "s");
		}
		if (have_scan)
			printf("scan report: stored as scan %" PRIu64 " (%zu endpoints); %zu expected "
			    "enrollment%s fulfilled.  See: plantca discovered --segment %s\n", scan_id,
			    rep.neps, scan_closed, scan_closed == 1 ? "" : "s", st->segment);
		if (b.meta.ncsrs > 0)
			printf("Review with: plantca requests --status pending\n");
	}
out:
	if (x.marked) {
		/* the bundle is refused: the chunks stored so far go again */
		pc_err re;
		uint64_t removed;
		if (ca_import_rollback(c, false, &removed, &re) != PC_OK)
			fprintf(stderr, "plantca: %s: the requests stored so far stay until the next "
			    "command that changes the CA home removes them: %s\n", path, re.msg);
	}
	sr_report_free(&rep);
	if (reqs)                  /* the chunk in hand, judged or half judged */
		for (k = 0; k < CA_IMPORT_CHUNK; k++)
			ca_request_free(&reqs[k]);
	for (k = 0; k < x.dn; k++)
		ca_request_free(&x.dv[k].r);
	free(x.dv);
	free(reqs);
	free(infos);
	store_abort(rt);
	if (jca != NULL)
		ca_rec_free(&jca->rec);
	free(jca);
	free(keys);
	tr_bundle_free(&b);
	ca_station_list_free(&sl);
	policy_free(pol);
	return rc;
}
