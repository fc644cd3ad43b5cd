/*
 * bundle.c - the CA side of the air gap: plant stations, ca_request bundles in
 * (import, review, sign), response bundles out (export).
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit.h"
#include "ca_int.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "rec.h"
#include "text.h"
#include "transfer.h"

_Static_assert((int)CA_KEYID_LEN == (int)TR_KEYID_LEN && (int)CA_PK_LEN == (int)TR_PK_LEN,
    "station records and minisign keys must agree on sizes");

/* The CA transfer key's id (from the store) and public key: from
 * HOME/public/transfer.pub when that file still holds this key id, else
 * from the token (which then needs the PIN). */
static pc_rc transfer_pubkey(ca_ctx *c, tr_pubkey *out, pc_err *e)
{
	char path[sizeof c->home + 32], *uri = NULL;
	uint8_t *buf = NULL;
	size_t len = 0, sl;
	store_txn *t;
	pc_reader val;
	hsm_key *tk;
	tr_pubkey f;
	const uint8_t *spki;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_META, META_TRANSFER_KEYID, strlen(META_TRANSFER_KEYID), &val, e);
	if (rc == PC_OK && pc_reader_left(&val) != CA_KEYID_LEN)
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "transfer key id is malformed");
	if (rc == PC_OK) {
		memcpy(out->keyid, val.p + val.off, CA_KEYID_LEN);
		rc = ca_meta_get_str(t, META_TRANSFER_URI, &uri, e);
	}
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	snprintf(path, sizeof path, "%s/public/transfer.pub", c->home);
	if (pc_file_read(path, CA_PUBKEY_FILE_MAX, &buf, &len, NULL) == PC_OK &&
	    tr_pubkey_parse(buf, len, path, &f, NULL) == PC_OK &&
	    memcmp(f.keyid, out->keyid, CA_KEYID_LEN) == 0) {
		memcpy(out->pk, f.pk, CA_PK_LEN);
		free(buf);
		free(uri);
		return PC_OK;
	}
	free(buf);
	rc = ca_hsm_ready(c, e);
	if (rc == PC_OK)
		rc = ca_key_for(c, "#transfer", uri, &tk, e);
	free(uri);
	PC_TRY(rc);
	spki = hsm_key_spki(tk, &sl);
	/* Ed25519 SPKI (RFC 8410 §4): 12 bytes of header, then the key */
	if (sl != CA_ED25519_SPKI_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "the CA transfer key is not Ed25519");
	memcpy(out->pk, spki + CA_ED25519_SPKI_LEN - CA_PK_LEN, CA_PK_LEN);
	return PC_OK;
}

pc_rc ca_station_add(ca_ctx *c, const char *segment, const char *pubkey_path, const char *ca_name,
    pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	tr_pubkey pk;
	ca_station s;
	ca_rec cr;
	store_txn *t;
	pc_reader dummy;
	pc_buf b = PC_BUF_INIT;
	char detail[300];
	pc_rc rc;

	if (!segment || !pubkey_path || !ca_name)
		return pc_fail(e, PC_E_USAGE, "usage: plantca station add SEGMENT PUBKEY --ca NAME");
	if (!tr_segment_ok(segment))
		return pc_fail(e, PC_E_USAGE, "segment '%s': use 1-%d lowercase letters, digits and '-'",
		    segment, TR_SEGMENT_MAX);
	if (strcmp(ca_name, "root") == 0)
		return pc_fail(e, PC_E_USAGE, "a segment is served by an issuing CA, not the root");
	PC_TRY(pc_file_read(pubkey_path, CA_PUBKEY_FILE_MAX, &buf, &len, e));
	rc = tr_pubkey_parse(buf, len, pubkey_path, &pk, e);
	free(buf);
	if (rc != PC_OK)
		return rc;
	/* A station key signs requests the CA trusts; the transfer key signs
	 * what stations trust.  One key in both roles would let either side's
	 * bundles pass for the other's, so the transfer key is never enrolled,
	 * not even under another key id. */
	{
		tr_pubkey tk;
		char kt[17];
		PC_TRY(transfer_pubkey(c, &tk, e));
		tr_keyid_text(tk.keyid, kt);
		if (memcmp(pk.keyid, tk.keyid, CA_KEYID_LEN) == 0)
			return pc_fail(e, PC_E_INPUT, "%s: key %s is the CA transfer key, not a station key "
			    "(stations get it as --ca-key; enroll the station's own station.pub)",
			    pubkey_path, kt);
		if (sodium_memcmp(pk.pk, tk.pk, CA_PK_LEN) == 0)
			return pc_fail(e, PC_E_INPUT, "%s: this is the public key of the CA transfer key "
			    "(key id %s) under another key id; enroll the station's own station.pub",
			    pubkey_path, kt);
	}
	memset(&s, 0, sizeof s);
	PC_TRY(store_begin(c->st, true, &t, e));
	rc = ca_rec_get(t, ca_name, &cr, e);
	if (rc == PC_OK)
		ca_rec_free(&cr);
	if (rc == PC_OK) {
		rc = store_get(t, STORE_STATIONS, pk.keyid, CA_KEYID_LEN, &dummy, e);
		if (rc == PC_OK) {
			char kt[17];
			tr_keyid_text(pk.keyid, kt);
			rc = pc_fail(e, PC_E_EXISTS, "station key %s is already enrolled", kt);
		} else if (rc == PC_E_NOTFOUND) {
			rc = PC_OK;
		}
	}
	if (rc == PC_OK) {
		memcpy(s.keyid, pk.keyid, CA_KEYID_LEN);
		memcpy(s.pk, pk.pk, CA_PK_LEN);
		tr_keyid_text(s.keyid, s.keyid_text);
		s.segment = (char *)segment;
		s.ca = (char *)ca_name;
		s.added = (uint64_t)time(NULL);
		ca_station_encode(&s, &b);
		rc = pc_buf_ok(&b) ? store_put(t, STORE_STATIONS, s.keyid, CA_KEYID_LEN, b.p, b.len, true, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "segment %s, CA %s, from %s", segment, ca_name, pubkey_path);
		rc = audit_append(t, time(NULL), "station.add", s.keyid_text, "ok", detail, e);
	}
	pc_buf_free(&b);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	PC_TRY(store_commit(t, e));
	if (c->json) {
		printf("{\"key_id\":\"%s\",\"segment\":", s.keyid_text);
		json_str(stdout, segment);
		printf(",\"ca\":");
		json_str(stdout, ca_name);
		printf("}\n");
	} else {
		printf("station key %s enrolled for segment %s (issuing CA %s)\n", s.keyid_text, segment,
		    ca_name);
		printf("Compare the key id with the one plantca-station init printed on the station.\n");
	}
	return PC_OK;
}

/* --------------------------------------------------------------- import */

/* A rejection reason as stored: through the display escaper, so the
 * record never holds raw bytes from the CSR whatever the message quotes. */
static void set_reason(ca_request *r, const char *msg, pc_err *e)
{
	char *safe = pc_text_escape_str(msg);

	(void)ca_set_str(&r->reason, safe ? safe : "(out of memory)", e);
	free(safe);
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

static void reject(ca_request *r, const char *why)
{
	pc_err e;

	set_reason(r, why, &e);
	(void)ca_set_str(&r->status, "rejected", &e);
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
static void judge_csr(const policy *pol, ca_request *r, const uint8_t *data, size_t len,
    const struct judge_ca *ca, const char *what)
{
	pkix_csr csr;
	ca_job j;
	policy_approval a = POLICY_APPROVAL_OFFICER;
	pc_err e;
	char kt[32];

	memset(&e, 0, sizeof e);
	if (pkix_csr_parse(data, len, what, &csr, &e) != PC_OK) {
		reject(r, e.msg);
		return;
	}
	/* the review screen shows what the CSR asks for */
	(void)ca_name_text(csr.subject, csr.subject_len, &r->subject, &e);
	r->san = ca_san_text(csr.san, csr.nsan);
	pkix_keytype_name(csr.keytype, csr.bits, kt, sizeof kt);
	(void)ca_set_str(&r->keytype, kt, &e);
	if (!ca->have) {
		reject(r, ca->missing);
	} else if (ca_request_prepare(pol, r, &csr, &ca->rec, ca->sigalg, ca->sigalg_len, what,
	    what, &j, &e) != PC_OK) {
		reject(r, e.msg);
	} else {
		ca_job_free(&j);       /* its serial is never used: sign draws its own */
		(void)policy_profile_approval(pol, r->profile, &a);
		(void)ca_set_str(&r->status, a == POLICY_APPROVAL_AUTO ? "approved" : "pending", &e);
		(void)ca_set_str(&r->reason, "", &e);
	}
	pkix_csr_free(&csr);
}

pc_rc ca_import(ca_ctx *c, const char *path, pc_err *e)
{
	ca_station_list_t sl;
	tr_pubkey *keys = NULL;
	tr_bundle b;
	ca_station *st;
	store_txn *t = NULL;
	ca_request *reqs = NULL;
	size_t i, j, npend = 0, nauto = 0, nrej = 0;
	pc_buf sb = PC_BUF_INIT;
	char detail[400];
	policy *pol = NULL;
	struct judge_ca *jca = NULL;
	pc_rc rc;

	memset(&b, 0, sizeof b);
	memset(&sl, 0, sizeof sl);
	PC_TRY(ca_policy_active(c->home, &pol, e));
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
	keys = calloc(sl.n, sizeof *keys);
	if (keys == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < sl.n; i++) {
		memcpy(keys[i].keyid, sl.v[i].keyid, CA_KEYID_LEN);
		memcpy(keys[i].pk, sl.v[i].pk, CA_PK_LEN);
	}
	if ((rc = tr_bundle_read(path, keys, sl.n, &b, e)) != PC_OK)
		goto out;
	st = &sl.v[b.signer];
	if ((rc = tr_bundle_check(&b, TR_REQUEST, st->segment, st->last_seq, time(NULL), e)) != PC_OK)
		goto out;
	/* tr_bundle_read matched members and csr lines (every .csr member has
	 * exactly one line, every line a member) and gave each line its
	 * member's index: no search here, so a bundle of TR_MEMBERS_MAX
	 * members costs O(n log n), not O(n^2) */
	reqs = calloc(b.meta.ncsrs ? b.meta.ncsrs : 1, sizeof *reqs);
	jca = calloc(1, sizeof *jca);
	if (reqs == NULL || jca == NULL) {
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
	for (j = 0; j < b.meta.ncsrs; j++) {
		const tr_member *m;
		char what[TR_NAME_MAX * 2 + 8];
		ca_request *r = &reqs[j];
		size_t keep;
		i = b.meta.csrs[j].index;
		if (i >= b.nmembers || strcmp(b.members[i].name, b.meta.csrs[j].member) != 0) {
			rc = pc_fail(e, PC_E_INTERNAL, "%s: csr line for %s has no member", path,
			    b.meta.csrs[j].member);
			goto out;
		}
		m = &b.members[i];
		snprintf(what, sizeof what, "%s/%s", b.name, m->name);
		r->created = (uint64_t)time(NULL);
		if (ca_set_str(&r->segment, st->segment, e) || ca_set_str(&r->station, st->keyid_text, e) ||
		    ca_set_str(&r->bundle, b.name, e) || ca_set_str(&r->member, m->name, e) ||
		    ca_set_str(&r->profile, b.meta.csrs[j].profile, e) || ca_set_str(&r->ca, st->ca, e)) {
			rc = PC_E_NOMEM;
			goto out;
		}
		judge_csr(pol, r, m->data, m->len, jca, what);
		if (!r->status || !r->reason || (!r->subject && ca_set_str(&r->subject, "", e)) ||
		    (!r->san && ca_set_str(&r->san, "", e)) || (!r->keytype && ca_set_str(&r->keytype, "", e))) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		/* the store keeps what sign needs (the whole CSR, at most
		 * PKIX_CSR_MAX, of a request that may be issued) and of a
		 * rejected one only its start, its size and its hash */
		keep = m->len;
		if (strcmp(r->status, "rejected") == 0 && keep > CA_REJECTED_KEEP)
			keep = CA_REJECTED_KEEP;
		r->csr = malloc(keep ? keep : 1);
		if (r->csr == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		memcpy(r->csr, m->data, keep);
		r->csr_len = keep;
		r->csr_bytes = m->len;
		crypto_hash_sha256(r->csr_sha256, m->data, m->len);
		if (strcmp(r->status, "pending") == 0)
			npend++;
		else if (strcmp(r->status, "approved") == 0)
			nauto++;
		else
			nrej++;
	}

	/* one transaction: requests, the station's sequence, the event */
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	{
		pc_reader val;
		ca_station cur;
		rc = store_get(t, STORE_STATIONS, st->keyid, CA_KEYID_LEN, &val, e);
		if (rc == PC_OK)
			rc = ca_station_decode(val, &cur, e);
		if (rc == PC_OK) {
			if (b.meta.sequence <= cur.last_seq)
				rc = pc_fail(e, PC_E_REPLAY, "%s: sequence %" PRIu64 " is not newer than "
				    "%" PRIu64 ", the last accepted from station %s (replayed?)", path,
				    b.meta.sequence, cur.last_seq, st->keyid_text);
			cur.last_seq = b.meta.sequence;
			ca_station_encode(&cur, &sb);
			if (rc == PC_OK)
				rc = pc_buf_ok(&sb) ? store_put(t, STORE_STATIONS, st->keyid, CA_KEYID_LEN,
				    sb.p, sb.len, false, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
			ca_station_free(&cur);
		}
	}
	for (j = 0; j < b.meta.ncsrs && rc == PC_OK; j++) {
		rc = ca_next_request_id(t, &reqs[j].id, e);
		if (rc == PC_OK)
			rc = ca_request_put(t, &reqs[j], true, e);
	}
	if (rc == PC_OK) {
		snprintf(detail, sizeof detail, "station %s, segment %s, sequence %" PRIu64
		    ": %zu pending, %zu approved by policy, %zu rejected", st->keyid_text, st->segment,
		    b.meta.sequence, npend, nauto, nrej);
		rc = audit_append(t, time(NULL), "import", b.name, "ok", detail, e);
	}
	if (rc != PC_OK) {
		store_abort(t);
		t = NULL;
		goto out;
	}
	rc = store_commit(t, e);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if (c->json) {
		printf("{\"bundle\":");
		json_str(stdout, b.name);
		printf(",\"segment\":");
		json_str(stdout, st->segment);
		printf(",\"station\":\"%s\",\"sequence\":%" PRIu64 ",\"requests\":[", st->keyid_text,
		    b.meta.sequence);
		for (j = 0; j < b.meta.ncsrs; j++) {
			printf("%s{\"id\":%" PRIu64 ",\"status\":\"%s\",\"member\":", j ? "," : "", reqs[j].id,
			    reqs[j].status);
			json_str(stdout, reqs[j].member);
			printf(",\"reason\":");
			json_str(stdout, reqs[j].reason);
			printf("}");
		}
		printf("]}\n");
	} else {
		printf("%s: from station %s (segment %s), sequence %" PRIu64 ": %zu pending, "
		    "%zu approved by policy, %zu rejected\n", b.name, st->keyid_text, st->segment,
		    b.meta.sequence, npend, nauto, nrej);
		for (j = 0; j < b.meta.ncsrs; j++)
			if (strcmp(reqs[j].status, "rejected") == 0) {
				printf("  request %" PRIu64 " rejected: ", reqs[j].id);
				pc_text_fputs(stdout, reqs[j].reason);
				putchar('\n');
			}
		printf("Review with: plantca requests --status pending\n");
	}
out:
	if (reqs)
		for (j = 0; j < b.meta.ncsrs; j++)
			ca_request_free(&reqs[j]);
	free(reqs);
	if (jca != NULL)
		ca_rec_free(&jca->rec);
	free(jca);
	free(keys);
	pc_buf_free(&sb);
	tr_bundle_free(&b);
	ca_station_list_free(&sl);
	policy_free(pol);
	return rc;
}

/* --------------------------------------------------------------- export */

/* PKCS#7 / CMS SignedData with certificates only (RFC 5652 §5.1; the
 * "degenerate" certs-only form that OT devices import as .p7b). */
static pc_rc p7b_build(const uint8_t *const *certs, const size_t *lens, size_t n, pc_buf *out)
{
	pc_der d;
	size_t i;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);                 /* ContentInfo */
	pc_der_oid_text(&d, "1.2.840.113549.1.7.2");    /* id-signedData */
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_begin(&d, DER_SEQUENCE);                 /* SignedData */
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SET);                      /* digestAlgorithms: none */
	pc_der_end(&d);
	pc_der_begin(&d, DER_SEQUENCE);                 /* encapContentInfo */
	pc_der_oid_text(&d, "1.2.840.113549.1.7.1");    /* id-data, no content */
	pc_der_end(&d);
	pc_der_begin(&d, DER_CTX_CONS | 0);             /* certificates */
	for (i = 0; i < n; i++)
		pc_der_raw(&d, certs[i], lens[i]);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SET);                      /* signerInfos: none */
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	if (!pc_der_ok(&d)) {
		pc_der_free(&d);
		return PC_E_NOMEM;
	}
	pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	return pc_buf_ok(out) ? PC_OK : PC_E_NOMEM;
}

/* The CA transfer key signs through the HSM (CKM_EDDSA, checked there). */
static pc_rc hsm_ed25519_sign(void *ctx, const uint8_t *msg, size_t len, uint8_t sig[TR_SIG_LEN],
    pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	pc_rc rc = hsm_sign(ctx, msg, len, &b, e);

	if (rc == PC_OK && b.len != TR_SIG_LEN)
		rc = pc_fail(e, PC_E_HSM_FAIL, "the transfer key made a %zu-byte signature", b.len);
	if (rc == PC_OK)
		memcpy(sig, b.p, TR_SIG_LEN);
	pc_buf_free(&b);
	return rc;
}

typedef struct member_set {
	tr_member *v;
	pc_buf *bufs;     /* owned bytes behind v[i].data */
	size_t n, cap;
} member_set;

static pc_rc member_add(member_set *m, const char *name, pc_buf *bytes, pc_err *e)
{
	if (m->n == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		tr_member *nv = realloc(m->v, nc * sizeof *nv);
		pc_buf *nb;
		if (nv == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		m->v = nv;
		nb = realloc(m->bufs, nc * sizeof *nb);
		if (nb == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		m->bufs = nb;
		m->cap = nc;
	}
	if (!pc_buf_ok(bytes))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	m->bufs[m->n] = *bytes;
	*bytes = (pc_buf)PC_BUF_INIT;
	snprintf(m->v[m->n].name, sizeof m->v[m->n].name, "%s", name);
	m->n++;
	return PC_OK;
}

static void member_set_free(member_set *m)
{
	size_t i;

	for (i = 0; i < m->n; i++)
		pc_buf_free(&m->bufs[i]);
	free(m->v);
	free(m->bufs);
	memset(m, 0, sizeof m[0]);
}

/* A queued firmware signature becomes member "firmware-NAME.p7s", NAME
 * from the officer's file name reduced to the member-name alphabet. */
struct fw_collect {
	member_set *ms;
	size_t n;
};

static pc_rc fw_collect(void *ctx, const char *name, const uint8_t *sig, size_t len, pc_err *e)
{
	struct fw_collect *fc = ctx;
	char base[64], mname[TR_NAME_MAX + 1];
	const char *slash = strrchr(name, '/');
	size_t i, k = 0;
	pc_buf b = PC_BUF_INIT;

	name = slash ? slash + 1 : name;
	for (i = 0; name[i] && k < 40; i++) {
		char ch = name[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		    ch == '.' || ch == '-' || ch == '_'))
			ch = '_';
		base[k++] = ch;
	}
	base[k] = '\0';
	if (k > 4 && strcmp(base + k - 4, ".p7s") == 0)
		base[k - 4] = '\0';
	snprintf(mname, sizeof mname, "firmware-%zu-%s.p7s", ++fc->n, base[0] ? base : "sig");
	pc_buf_append(&b, sig, len);
	return member_add(fc->ms, mname, &b, e);
}

static pc_rc u64_meta(store_txn *t, const char *key, uint64_t *v, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_META, key, strlen(key), &val, e);

	*v = 0;
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (!pc_reader_u64be(&val, v))
		return pc_fail(e, PC_E_STORE_CORRUPT, "%s: malformed", key);
	return PC_OK;
}

pc_rc ca_export(ca_ctx *c, const char *segment, const char *dir, pc_err *e)
{
	ca_station_list_t sl;
	ca_request_list rl;
	member_set ms;
	store_txn *t = NULL;
	ca_rec root, ica;
	tr_meta meta;
	tr_pubkey tpub;
	hsm_key *tk = NULL;
	pc_buf tar = PC_BUF_INIT, sig = PC_BUF_INIT, b = PC_BUF_INIT;
	char *turi = NULL, *ca_name = NULL, name[TR_NAME_MAX + 1], key[128], comment[TR_COMMENT_MAX];
	char **replies = NULL;
	size_t i, j, nreply = 0, ncerts = 0;
	uint64_t seq = 0;
	time_t crl_next[2] = { 0, 0 };
	size_t nfw = 0;
	struct stat st;
	pc_rc rc;

	memset(&sl, 0, sizeof sl);
	memset(&rl, 0, sizeof rl);
	memset(&ms, 0, sizeof ms);
	memset(&root, 0, sizeof root);
	memset(&ica, 0, sizeof ica);
	memset(&meta, 0, sizeof meta);
	if (!segment || !dir)
		return pc_fail(e, PC_E_USAGE, "usage: plantca export SEGMENT DIR");
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return pc_fail(e, PC_E_USAGE, "%s: not a directory", dir);

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &sl, e);
	for (i = 0; rc == PC_OK && i < sl.n; i++)
		if (strcmp(sl.v[i].segment, segment) == 0) {
			ca_name = sl.v[i].ca;
			break;
		}
	if (rc == PC_OK && ca_name == NULL)
		rc = pc_fail(e, PC_E_NOTFOUND, "segment '%s' has no enrolled station", segment);
	if (rc == PC_OK)
		rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_rec_get(t, ca_name, &ica, e);
	if (rc == PC_OK) {
		rl.status = "issued";
		rl.segment = segment;
		rc = ca_requests_load(t, &rl, e);
	}
	snprintf(key, sizeof key, "%s%s", META_EXPORT_SEQ, segment);
	if (rc == PC_OK)
		rc = u64_meta(t, key, &seq, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, "transfer.key_uri", &turi, e);
	if (rc == PC_OK) {
		pc_reader val;
		rc = store_get(t, STORE_META, "transfer.keyid", strlen("transfer.keyid"), &val, e);
		if (rc == PC_OK && pc_reader_left(&val) != CA_KEYID_LEN)
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "transfer key id is malformed");
		if (rc == PC_OK)
			memcpy(tpub.keyid, val.p + val.off, CA_KEYID_LEN);
	}
	/* firmware signatures queued for this segment */
	if (rc == PC_OK) {
		struct fw_collect fc = { &ms, 0 };
		rc = ca_firmware_pending(c, t, segment, fw_collect, &fc, e);
		nfw = fc.n;
	}
	/* the certificates not yet delivered */
	for (i = 0; rc == PC_OK && i < rl.n; i++) {
		pc_reader val;
		ca_cert_rec cr;
		char hex[2 * PKIX_SERIAL_LEN + 1], mname[64];
		if (rl.v[i].exported || !rl.v[i].has_serial)
			continue;
		rc = store_get(t, STORE_CERTS, rl.v[i].serial, PKIX_SERIAL_LEN, &val, e);
		if (rc == PC_OK)
			rc = ca_cert_rec_decode(val, &cr, e);
		if (rc != PC_OK)
			break;
		ca_serial_hex(rl.v[i].serial, PKIX_SERIAL_LEN, hex);
		snprintf(mname, sizeof mname, "%s.crt", hex);
		b.len = 0;
		pc_pem_encode(&b, "CERTIFICATE", cr.der, cr.der_len);
		ca_cert_rec_free(&cr);
		rc = member_add(&ms, mname, &b, e);
		ncerts++;
		/* in-reply-to: each ca_request bundle once */
		for (j = 0; j < nreply; j++)
			if (strcmp(replies[j], rl.v[i].bundle) == 0)
				break;
		if (rc == PC_OK && j == nreply) {
			char **nr = realloc(replies, (nreply + 2) * sizeof *nr);
			if (nr == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			replies = nr;
			replies[nreply++] = rl.v[i].bundle;
			replies[nreply] = NULL;
		}
	}
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
		goto out;

	/* the current CRLs of the segment's CA and of the root, as PEM */
	{
		const char *cas[2] = { ca_name, "root" };
		for (i = 0; i < 2; i++) {
			uint8_t *der = NULL;
			size_t dl = 0;
			time_t tu, nu;
			char mname[CA_NAME_MAX + 8];
			rc = ca_crl_current(c, cas[i], &der, &dl, &tu, &nu, e);
			if (rc == PC_E_NOTFOUND) {
				rc = PC_OK;
				fprintf(stderr, "plantca: export %s: CA %s has no CRL yet (plantca crl --ca %s); "
				    "the bundle carries none for it\n", segment, cas[i], cas[i]);
				continue;
			}
			if (rc != PC_OK)
				goto out;
			if (nu <= time(NULL))
				fprintf(stderr, "plantca: export %s: warning: the CRL of CA %s expired at its "
				    "nextUpdate; issue a new one (plantca crl --ca %s)\n", segment, cas[i], cas[i]);
			b.len = 0;
			pc_pem_encode(&b, "X509 CRL", der, dl);
			free(der);
			snprintf(mname, sizeof mname, "%s.crl", cas[i]);
			if ((rc = member_add(&ms, mname, &b, e)) != PC_OK)
				goto out;
			crl_next[i] = nu;
		}
	}

	/* chain.pem: issuing CA then root; trust.pem: root then issuing CA */
	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", ica.cert, ica.cert_len);
	pc_pem_encode(&b, "CERTIFICATE", root.cert, root.cert_len);
	if ((rc = member_add(&ms, "chain.pem", &b, e)) != PC_OK)
		goto out;
	pc_pem_encode(&b, "CERTIFICATE", root.cert, root.cert_len);
	pc_pem_encode(&b, "CERTIFICATE", ica.cert, ica.cert_len);
	if ((rc = member_add(&ms, "trust.pem", &b, e)) != PC_OK)
		goto out;
	{
		const uint8_t *certs[2] = { root.cert, ica.cert };
		size_t lens[2] = { root.cert_len, ica.cert_len };
		if (p7b_build(certs, lens, 2, &b) != PC_OK || (rc = member_add(&ms, "trust.p7b", &b, e)) != PC_OK) {
			rc = rc ? rc : pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
	}
	for (i = 0; i < ms.n; i++) {
		ms.v[i].data = ms.bufs[i].p;
		ms.v[i].len = ms.bufs[i].len;
	}

	/* the HSM: transfer key */
	if ((rc = ca_hsm_ready(c, e)) != PC_OK || (rc = ca_key_for(c, "#transfer", turi, &tk, e)) != PC_OK)
		goto out;
	{
		size_t sl_len;
		const uint8_t *spki = hsm_key_spki(tk, &sl_len);
		if (sl_len != 44) {
			rc = pc_fail(e, PC_E_STORE_CORRUPT, "the CA transfer key is not Ed25519");
			goto out;
		}
		memcpy(tpub.pk, spki + 12, CA_PK_LEN);
	}
	meta.version = TR_FORMAT_VERSION;
	meta.kind = TR_RESPONSE;
	snprintf(meta.segment, sizeof meta.segment, "%s", segment);
	tr_keyid_text(tpub.keyid, meta.sender);
	meta.sequence = seq + 1;
	meta.created = time(NULL);
	meta.expires = meta.created + (time_t)RESPONSE_DAYS * 86400;
	meta.in_reply_to = replies;
	meta.nreply = nreply;
	tr_bundle_name(TR_RESPONSE, segment, meta.sequence, name, sizeof name);
	if ((rc = tr_bundle_build(&meta, ms.v, ms.n, &tar, e)) != PC_OK)
		goto out;
	tr_trusted_comment(&meta, name, comment, sizeof comment);
	if ((rc = tr_minisig_make(tar.p, tar.len, &tpub, comment, hsm_ed25519_sign, tk, &sig, e)) != PC_OK)
		goto out;
	if ((rc = tr_bundle_write(dir, name, &tar, &sig, e)) != PC_OK)
		goto out;

	/* recorded after the files exist: a crash in between re-exports the
	 * same certificates under the next sequence number, never loses them */
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	for (i = 0; rc == PC_OK && i < rl.n; i++) {
		ca_request r;
		if (rl.v[i].exported || !rl.v[i].has_serial)
			continue;
		rc = ca_request_get(t, rl.v[i].id, &r, e);
		if (rc == PC_OK) {
			r.exported = meta.sequence;
			rc = ca_request_put(t, &r, false, e);
			ca_request_free(&r);
		}
	}
	if (rc == PC_OK && nfw > 0)
		rc = ca_firmware_pending_clear(c, t, segment, e);
	if (rc == PC_OK) {
		uint8_t k8[8];
		ca_id_key(meta.sequence, k8);
		rc = store_put(t, STORE_META, key, strlen(key), k8, 8, false, e);
	}
	if (rc == PC_OK) {
		char ek[128];
		b.len = 0;
		pc_rec_begin(&b, REC_EXPORT, 1);
		pc_rec_u64(&b, E_F_TIME, (uint64_t)meta.created);
		pc_rec_u64(&b, E_F_SEQ, meta.sequence);
		pc_rec_str(&b, E_F_BUNDLE, name);
		/* the CRLs as delivered: what the plant will run on until next time */
		if (crl_next[0])
			pc_rec_u64(&b, E_F_CRL, (uint64_t)crl_next[0]);
		if (crl_next[1])
			pc_rec_u64(&b, E_F_CRL, (uint64_t)crl_next[1]);
		snprintf(ek, sizeof ek, "%s%s", META_EXPORT, segment);
		rc = pc_buf_ok(&b) ? store_put(t, STORE_META, ek, strlen(ek), b.p, b.len, false, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	if (rc == PC_OK) {
		char detail[300];
		snprintf(detail, sizeof detail, "segment %s, sequence %" PRIu64 ", %zu certificate(s), "
		    "%zu firmware signature(s), to %s", segment, meta.sequence, ncerts, nfw, dir);
		rc = audit_append(t, time(NULL), "export", name, "ok", detail, e);
	}
	if (rc != PC_OK) {
		store_abort(t);
		t = NULL;
		pc_wrap(e, "%s/%s.tar was written but not recorded; the next export repeats it", dir, name);
		goto out;
	}
	rc = store_commit(t, e);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if (c->json) {
		printf("{\"bundle\":\"%s/%s.tar\",\"segment\":", dir, name);
		json_str(stdout, segment);
		printf(",\"sequence\":%" PRIu64 ",\"certificates\":%zu}\n", meta.sequence, ncerts);
	} else {
		printf("%s/%s.tar (+ .minisig): segment %s, sequence %" PRIu64 ", %zu certificate(s), "
		    "%zu firmware signature(s), chain, trust.pem, trust.p7b\n", dir, name, segment,
		    meta.sequence, ncerts, nfw);
	}
out:
	store_abort(t);
	free(replies);
	free(turi);
	ca_rec_free(&root);
	ca_rec_free(&ica);
	member_set_free(&ms);
	pc_buf_free(&tar);
	pc_buf_free(&sig);
	pc_buf_free(&b);
	ca_request_list_free(&rl);
	ca_station_list_free(&sl);
	return rc;
}

/* --------------------------------------------------------------- status */

struct expiring_ctx {
	const char *segment;
	time_t now, until;
	size_t n;
};

static pc_rc expiring_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct expiring_ctx *x = ctx;
	ca_cert_rec r;

	(void)key;
	(void)stop;
	PC_TRY(ca_cert_rec_decode(val, &r, e));
	if (strcmp(r.segment, x->segment) == 0 && (time_t)r.na > x->now && (time_t)r.na <= x->until)
		x->n++;
	ca_cert_rec_free(&r);
	return PC_OK;
}

pc_rc ca_status(ca_ctx *c, unsigned margin_days, unsigned expiring_days, FILE *out, pc_err *e)
{
	ca_station_list_t sl;
	store_txn *t;
	time_t now = time(NULL);
	size_t i, j, shown = 0;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_stations_load(t, &sl, e);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	if (c->json)
		fputc('[', out);
	else
		fprintf(out, "%-14s %-19s %-6s %-19s %-9s %-9s %s\n", "SEGMENT", "LAST EXPORT", "SEQ",
		    "CRL NEXT UPDATE", "DAYS LEFT", "EXPIRING", "FLAG");
	for (i = 0; rc == PC_OK && i < sl.n; i++) {
		const char *seg = sl.v[i].segment;
		char key[128], when[32] = "never", next[32] = "none";
		uint64_t etime = 0, eseq = 0, crl = 0, v;
		pc_reader val, f;
		uint8_t ver, tag;
		struct expiring_ctx x = { seg, now, now + (time_t)expiring_days * 86400, 0 };
		long days_left = 0;
		const char *flag = "";

		for (j = 0; j < i; j++)
			if (strcmp(sl.v[j].segment, seg) == 0)
				break;
		if (j < i)
			continue;            /* one line per segment */
		snprintf(key, sizeof key, "%s%s", META_EXPORT, seg);
		rc = store_get(t, STORE_META, key, strlen(key), &val, e);
		if (rc == PC_OK) {
			if (!pc_rec_open(&val, REC_EXPORT, &ver) || ver != 1) {
				rc = pc_fail(e, PC_E_STORE_CORRUPT, "export record of %s is malformed", seg);
				break;
			}
			while (pc_rec_next(&val, &tag, &f)) {
				if (tag == E_F_TIME)
					(void)pc_rec_val_u64(f, &etime);
				else if (tag == E_F_SEQ)
					(void)pc_rec_val_u64(f, &eseq);
				else if (tag == E_F_CRL && pc_rec_val_u64(f, &v) && (crl == 0 || v < crl))
					crl = v;     /* the first CRL to go stale rules */
			}
			ca_iso_time(etime, when);
		} else if (rc == PC_E_NOTFOUND) {
			rc = PC_OK;
		} else {
			break;
		}
		if (crl) {
			ca_iso_time(crl, next);
			days_left = ((long)crl - (long)now) / 86400;
		}
		rc = store_scan(t, STORE_CERTS, NULL, 0, false, expiring_visit, &x, e);
		if (rc != PC_OK)
			break;
		if (etime == 0)
			flag = "NEVER-EXPORTED";
		else if (crl == 0)
			flag = "NO-CRL-DELIVERED";
		else if ((time_t)crl <= now)
			flag = "CRL-EXPIRED";
		else if ((time_t)crl <= now + (time_t)margin_days * 86400)
			flag = "CRL-STALE-SOON";
		if (c->json) {
			fprintf(out, "%s{\"segment\":", shown ? "," : "");
			json_str(out, seg);
			fprintf(out, ",\"last_export\":%s%s%s,\"sequence\":%" PRIu64 ",\"crl_next_update\":%s%s%s,"
			    "\"days_left\":%ld,\"expiring\":%zu,\"flag\":\"%s\",\"flagged\":%s}",
			    etime ? "\"" : "", etime ? when : "null", etime ? "\"" : "", eseq,
			    crl ? "\"" : "", crl ? next : "null", crl ? "\"" : "", days_left, x.n, flag,
			    flag[0] ? "true" : "false");
		} else {
			fprintf(out, "%-14s %-19.19s %-6" PRIu64 " %-19.19s %-9ld %-9zu %s\n", seg, when, eseq,
			    next, days_left, x.n, flag);
		}
		shown++;
	}
	store_abort(t);
	if (c->json)
		fputs("]\n", out);
	else if (rc == PC_OK && shown == 0)
		fprintf(out, "no segments (plantca station add)\n");
	else if (rc == PC_OK)
		fprintf(out, "(flagged when the delivered CRL expires within %u days; EXPIRING: "
		    "certificates ending within %u days)\n", margin_days, expiring_days);
	ca_station_list_free(&sl);
	return rc;
}
