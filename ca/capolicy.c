/*
 * capolicy.c - the CA side of the policy engine: which policy is active,
 * describing a parsed CSR to policy_decide() and turning its decision into
 * TBS parameters, and the `plantca policy` verbs.
 *
 * Nothing is copied from the CSR into the certificate as bytes except the
 * public key: the subject is rebuilt attribute by attribute from the
 * decision (template values from the profile, allowed values from the
 * request), SANs are rebuilt from their parsed values (pkix_tbs_build), and
 * KU/EKU/validity come from the profile.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "capolicy.h"
#include "fault.h"
#include "file.h"
#include "json.h"
#include "meta.h"

_Static_assert((int)PKIX_KU_DIGITAL_SIGNATURE == (int)POLICY_KU_DIGITAL_SIGNATURE &&
    (int)PKIX_KU_KEY_ENCIPHERMENT == (int)POLICY_KU_KEY_ENCIPHERMENT &&
    (int)PKIX_KU_CRL_SIGN == (int)POLICY_KU_CRL_SIGN, "KU bits agree");
_Static_assert((int)PKIX_GN_DNS == (int)POLICY_SAN_DNS && (int)PKIX_GN_IP == (int)POLICY_SAN_IP &&
    (int)PKIX_GN_URI == (int)POLICY_SAN_URI && (int)PKIX_GN_EMAIL == (int)POLICY_SAN_EMAIL,
    "SAN types agree");

pc_rc ca_policy_active(const char *home, policy **out, pc_err *e)
{
	char path[PATH_MAX];

	if (home != NULL) {
		if ((size_t)snprintf(path, sizeof path, "%s/" CA_POLICY_FILE, home) >= sizeof path)
			return pc_fail(e, PC_E_USAGE, "%s: CA home path too long", home);
		if (access(path, F_OK) == 0)
			return policy_load(path, out, e);
	}
	return policy_default(out, e);
}

/* The subject of a CSR as a flat attribute list (multi-valued RDNs are
 * flattened; the certificate gets one attribute per RDN). */
struct subj {
	policy_attr a[POLICY_ATTRS_MAX];
	uint8_t tag[POLICY_ATTRS_MAX];
	char oid[POLICY_ATTRS_MAX][64];
	char *val[POLICY_ATTRS_MAX];
	size_t n;
};

static void subj_free(struct subj *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->val[i]);
	s->n = 0;
}

PC_CHECK static pc_rc subj_parse(const uint8_t *der, size_t len, const char *what, struct subj *s,
    pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), name, rdn, atv, oid, val;
	uint8_t tag;

	s->n = 0;
	if (!pc_der_read(&r, DER_SEQUENCE, &name) || !pc_reader_done(&r))
		return pc_fail(e, PC_E_CSR, "%s: malformed subject", what);
	while (pc_reader_left(&name) > 0) {
		if (!pc_der_read(&name, DER_SET, &rdn))
			return pc_fail(e, PC_E_CSR, "%s: malformed subject", what);
		while (pc_reader_left(&rdn) > 0) {
			size_t n;
			if (s->n >= POLICY_ATTRS_MAX)
				return pc_fail(e, PC_E_POLICY, "%s: subject has more than %d attributes",
				    what, POLICY_ATTRS_MAX);
			if (!pc_der_read(&rdn, DER_SEQUENCE, &atv) || !pc_der_read(&atv, DER_OID, &oid) ||
			    !pc_der_read_any(&atv, &tag, &val, NULL, NULL) || !pc_reader_done(&atv) ||
			    !pc_oid_to_text(oid.p + oid.off, pc_reader_left(&oid), s->oid[s->n],
			    sizeof s->oid[0]))
				return pc_fail(e, PC_E_CSR, "%s: malformed subject", what);
			n = pc_reader_left(&val);
			/* the name rules again (pkix_csr_parse applied them): the
			 * value is copied into the certificate as it is */
			PC_TRY(pkix_attr_check(s->oid[s->n], tag, val.p + val.off, n, what, PC_E_CSR, e));
			s->val[s->n] = malloc(n + 1);
			if (s->val[s->n] == NULL)
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			memcpy(s->val[s->n], val.p + val.off, n);
			s->val[s->n][n] = '\0';
			s->tag[s->n] = tag;
			s->a[s->n].oid = s->oid[s->n];
			s->a[s->n].value = s->val[s->n];
			s->n++;
		}
	}
	return PC_OK;
}

static policy_key key_of(pkix_keytype t)
{
	switch (t) {
	case PKIX_KEY_EC_P256: return POLICY_KEY_EC_P256;
	case PKIX_KEY_EC_P384: return POLICY_KEY_EC_P384;
	case PKIX_KEY_RSA: return POLICY_KEY_RSA;
	case PKIX_KEY_ED25519: return POLICY_KEY_ED25519;
	}
	return (policy_key)0;
}

pc_rc ca_policy_apply(const policy *pol, const pkix_csr *csr, const char *profile,
    const char *ca_name, const char *segment, const char *station, unsigned days,
    bool fw_signer, const char *what, pkix_tbs_params *t, pc_buf *subject, unsigned *days_out,
    const char *eku[POLICY_EKU_MAX + 1], pc_err *e)
{
	struct subj s;
	policy_san san[PKIX_SAN_MAX];
	policy_request r;
	policy_decision *d;
	pc_der der;
	size_t i;
	pc_rc rc;

	memset(&s, 0, sizeof s);
	rc = subj_parse(csr->subject, csr->subject_len, what, &s, e);
	if (rc != PC_OK) {
		subj_free(&s);
		return rc;
	}
	for (i = 0; i < csr->nsan; i++) {
		san[i].type = (policy_san_type)csr->san[i].type;
		san[i].val = csr->san[i].val;
		san[i].len = csr->san[i].len;
	}
	memset(&r, 0, sizeof r);
	r.what = what;
	/* A segment the policy file does not describe is still a segment: its
	 * stations are enrolled in the store (plantca station add) and its
	 * issuing CA's name constraints are enforced by the pre-issuance
	 * check; the file's [segment *] then says which profiles it may ask
	 * for, and without one the policy applies its profile rules only. */
	r.segment = segment && segment[0] && policy_covers_segment(pol, segment) ? segment : NULL;
	r.station = r.segment ? station : NULL;
	r.profile = profile;
	r.ca = ca_name;
	r.key = key_of(csr->keytype);
	r.bits = csr->bits;
	r.subject = s.a;
	r.nsubject = s.n;
	r.san = san;
	r.nsan = csr->nsan;
	r.days = days;
	r.fw_signer = fw_signer;
	d = malloc(sizeof *d);
	if (d == NULL) {
		subj_free(&s);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	rc = policy_decide(pol, &r, d, e);
	if (rc != PC_OK)
		goto out;

	/* the subject, rebuilt from the decision */
	pc_der_init(&der);
	pc_der_begin(&der, DER_SEQUENCE);
	for (i = 0; i < d->nsubject; i++) {
		const policy_out_attr *a = &d->subject[i];
		uint8_t tag = a->from_request >= 0 ? s.tag[a->from_request] : pkix_attr_tag(a->oid);
		pc_der_begin(&der, DER_SET);
		pc_der_begin(&der, DER_SEQUENCE);
		pc_der_oid_text(&der, a->oid);
		pc_der_tlv(&der, tag, a->value, strlen(a->value));
		pc_der_end(&der);
		pc_der_end(&der);
	}
	pc_der_end(&der);
	if (!pc_der_ok(&der)) {
		pc_der_free(&der);
		rc = pc_fail(e, PC_E_INTERNAL, "%s: cannot encode the subject", what);
		goto out;
	}
	pc_buf_append(subject, der.b.p, der.b.len);
	pc_der_free(&der);
	if (!pc_buf_ok(subject)) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; d->eku[i] != NULL; i++)
		eku[i] = d->eku[i];
	eku[i] = NULL;
	t->subject = subject->p;
	t->subject_len = subject->len;
	t->key_usage = d->key_usage;
	t->eku = eku;
	t->san = csr->san;          /* every SAN was allowed: all of them, rebuilt */
	t->nsan = csr->nsan;
	t->is_ca = false;
	t->path_len = -1;
	t->permit = NULL;
	t->npermit = 0;
	*days_out = d->days;
out:
	free(d);
	subj_free(&s);
	return rc;
}

/* ------------------------------------------------------------- verbs */

pc_rc ca_policy_check(const char *path, bool json, FILE *out, pc_err *e)
{
	policy *p;

	PC_TRY(policy_load(path, &p, e));
	if (json) {
		fprintf(out, "{\"file\":");
		json_str(out, path);
		fprintf(out, ",\"ok\":true,\"sha256\":\"%s\"}\n", policy_hash(p));
	} else
		fprintf(out, "%s: ok (sha256 %s; profiles %s)\n", path, policy_hash(p),
		    policy_profile_names(p));
	policy_free(p);
	return PC_OK;
}

pc_rc ca_policy_show(const char *home, bool json, FILE *out, pc_err *e)
{
	policy *p;
	pc_buf b = PC_BUF_INIT;
	pc_rc rc = PC_OK;

	PC_TRY(ca_policy_active(home, &p, e));
	policy_describe(p, json, &b);
	if (pc_buf_ok(&b))
		fwrite(b.p, 1, b.len, out);
	else
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	policy_free(p);
	return rc;
}

PC_CHECK static pc_rc policy_paths(const char *home, char dst[PATH_MAX], char staged[PATH_MAX],
    pc_err *e)
{
	if ((size_t)snprintf(dst, PATH_MAX, "%s/" CA_POLICY_FILE, home) >= PATH_MAX ||
	    (size_t)snprintf(staged, PATH_MAX, "%s/" CA_POLICY_STAGED, home) >= PATH_MAX)
		return pc_fail(e, PC_E_USAGE, "%s: CA home path too long", home);
	return PC_OK;
}

/* HOME/policy.conf.new becomes HOME/policy.conf: one rename, then the
 * home's directory synced */
PC_CHECK static pc_rc policy_switch(const char *home, const char *staged, const char *dst,
    bool *renamed, pc_err *e)
{
	*renamed = false;
	PC_TRY(PC_FAULT("policy.switch", dst, e));
	if (rename(staged, dst) != 0)
		return pc_fail(e, PC_E_IO, "%s: cannot rename to %s: %s", staged, dst, strerror(errno));
	*renamed = true;
	return pc_dir_sync(home, e);
}

pc_rc ca_policy_recover(ca_ctx *c, bool locked, pc_err *e)
{
	char dst[PATH_MAX], staged[PATH_MAX];
	uint8_t *buf = NULL;
	size_t len = 0;
	char *rec = NULL;
	policy *p = NULL;
	store_txn *t = NULL;
	pc_reader probe;
	pc_err ign;
	pc_rc rc;

	PC_TRY_OUT(policy_paths(c->home, dst, staged, e));
	if (access(staged, F_OK) != 0)
		goto out;
	if (!locked) {
		fprintf(stderr, "plantca: %s: a policy set was interrupted; the next command that "
		    "changes the CA home completes it (if its audit event was recorded) or drops it\n",
		    staged);
		goto out;
	}
	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_META, META_POLICY_SHA256, strlen(META_POLICY_SHA256), &probe, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_POLICY_SHA256, &rec, e);
	else if (rc == PC_E_NOTFOUND)
		rc = PC_OK;
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	/* in force only what the audit trail recorded: the hash of the last
	 * policy.set event, kept in META with it */
	if (rec != NULL && pc_file_read(staged, POLICY_FILE_MAX, &buf, &len, &ign) == PC_OK &&
	    policy_parse(buf, len, staged, &p, &ign) == PC_OK && strcmp(policy_hash(p), rec) == 0) {
		bool renamed;
		if ((rc = policy_switch(c->home, staged, dst, &renamed, e)) == PC_OK)
			fprintf(stderr, "plantca: completed an interrupted policy set: %s is in force "
			    "(sha256 %s, audit event policy.set)\n", dst, rec);
		else
			pc_wrap(e, "completing an interrupted policy set");
		goto out;
	}
	if (unlink(staged) != 0 && errno != ENOENT) {
		rc = pc_fail(e, PC_E_IO, "%s: cannot remove: %s", staged, strerror(errno));
		goto out;
	}
	fprintf(stderr, "plantca: removed %s: a policy set interrupted before its audit event (the "
	    "policy in force is unchanged)\n", staged);
	rc = PC_OK;
out:
	policy_free(p);
	free(buf);
	free(rec);
	return rc;
}

pc_rc ca_policy_set(ca_ctx *c, const char *path, pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	policy *p = NULL;
	store_txn *t;
	char dst[PATH_MAX], staged[PATH_MAX], detail[600];
	bool renamed;
	pc_rc rc;

	PC_TRY_OUT(pc_file_read(path, POLICY_FILE_MAX, &buf, &len, e));
	rc = policy_parse(buf, len, path, &p, e);
	if (rc != PC_OK)
		goto out;
	if ((rc = policy_paths(c->home, dst, staged, e)) != PC_OK)
		goto out;
	/* No policy in force without its audit event: the file is staged
	 * beside policy.conf, the event (and the hash, META policy.sha256)
	 * committed, then the file switched in by a rename.  A failed commit
	 * removes the staged file; a crash before the commit leaves one that
	 * ca_policy_recover removes, after it one that it switches in. */
	rc = pc_file_write_atomic(staged, buf, len, 0644, false, e);
	if (rc != PC_OK)
		goto out;
	snprintf(detail, sizeof detail, "sha256 %s; profiles %s; from %.300s", policy_hash(p),
	    policy_profile_names(p), path);
	if ((rc = store_begin(c->st, true, &t, e)) == PC_OK) {
		rc = audit_append(t, time(NULL), "policy.set", CA_POLICY_FILE, "ok", detail, e);
		if (rc == PC_OK)
			rc = ca_meta_put_str(t, META_POLICY_SHA256, policy_hash(p), e);
		rc = store_end(&t, rc, e);
	}
	if (rc != PC_OK) {
		(void)unlink(staged);
		goto out;
	}
	if ((rc = policy_switch(c->home, staged, dst, &renamed, e)) != PC_OK) {
		if (renamed)
			pc_wrap(e, "policy %s recorded (audit event policy.set) and in force, but %s may "
			    "not be on disk yet", policy_hash(p), dst);
		else
			pc_wrap(e, "policy %s recorded (audit event policy.set) but not yet in force: the "
			    "next command that changes the CA home puts it in force", policy_hash(p));
		goto out;
	}
	if (c->json) {
		printf("{\"policy\":");
		json_str(stdout, dst);
		printf(",\"sha256\":\"%s\"}\n", policy_hash(p));
	} else
		printf("policy installed: %s (sha256 %s)\n", dst, policy_hash(p));
out:
	policy_free(p);
	free(buf);
	return rc;
}
