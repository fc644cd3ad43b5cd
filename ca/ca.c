#include "ca.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/ecc.h>

#include "audit.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "rec.h"
#include "text.h"
#include "ca_int.h"
#include "crl.h"

/* record types and fields (common/rec.h); never reorder, only add */
enum { REC_CA = 'C', REC_CERT = 'X', REC_INTENT = 'I' };
enum { CA_F_NAME = 1, CA_F_KEY_URI, CA_F_ALG, CA_F_CERT, CA_F_PARENT, CA_F_CREATED };
enum {
	X_F_SERIAL = 1, X_F_CA, X_F_PROFILE, X_F_SUBJECT, X_F_SAN, X_F_NB, X_F_NA, X_F_DER,
	X_F_ISSUED, X_F_SOURCE, X_F_SEGMENT, X_F_KEYTYPE, X_F_KIND, X_F_POLICY_HASH,
	X_F_REQUEST,
};
enum {
	I_F_ISSUER = 1, I_F_TBS, I_F_KIND, I_F_PROFILE, I_F_SUBJECT, I_F_SAN, I_F_NB, I_F_NA,
	I_F_SOURCE, I_F_NEWCA, I_F_NEWCA_URI, I_F_NEWCA_ALG, I_F_CREATED, I_F_KEYTYPE, I_F_SEGMENT,
	I_F_REQUEST,
	I_F_POLICY_HASH,
};


void ca_rec_free(ca_rec *r)
{
	free(r->name);
	free(r->key_uri);
	free(r->parent);
	free(r->cert);
	memset(r, 0, sizeof *r);
}

char *ca_strdup_reader(pc_reader v)
{
	return pc_rec_val_strdup(v);
}

static uint8_t *reader_memdup(pc_reader v, size_t *len)
{
	size_t n = pc_reader_left(&v);
	uint8_t *p = malloc(n ? n : 1);

	if (p != NULL && n)
		memcpy(p, pc_reader_take(&v, n), n);
	*len = n;
	return p;
}

pc_rc ca_rec_decode(pc_reader val, ca_rec *r, pc_err *e)
{
	uint8_t ver, tag;
	pc_reader f;

	memset(r, 0, sizeof *r);
	if (!pc_rec_open(&val, REC_CA, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA record: unknown type or version");
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case CA_F_NAME: r->name = ca_strdup_reader(f); break;
		case CA_F_KEY_URI: r->key_uri = ca_strdup_reader(f); break;
		case CA_F_PARENT: r->parent = ca_strdup_reader(f); break;
		case CA_F_ALG: (void)pc_rec_val_u64(f, &r->alg); break;
		case CA_F_CREATED: (void)pc_rec_val_u64(f, &r->created); break;
		case CA_F_CERT: r->cert = reader_memdup(f, &r->cert_len); break;
		default: break;
		}
	}
	if (!pc_reader_done(&val) || !r->name || !r->key_uri || !r->parent || !r->cert ||
	    pkix_cert_parse(r->cert, r->cert_len, "certificate", &r->v, NULL) != PC_OK) {
		ca_rec_free(r);
		return pc_fail(e, PC_E_STORE_CORRUPT, "CA record is truncated or malformed");
	}
	return PC_OK;
}

pc_rc ca_rec_get(store_txn *t, const char *name, ca_rec *r, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_CAS, name, strlen(name), &val, e);

	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_NOTFOUND, "CA '%s' does not exist (see plantca ca list)", name);
	if (rc != PC_OK)
		return rc;
	rc = ca_rec_decode(val, r, e);
	if (rc != PC_OK)
		pc_wrap(e, "CA '%s'", name);
	return rc;
}

pc_rc ca_meta_get_str(store_txn *t, const char *key, char **out, pc_err *e)
{
	pc_reader val;
	pc_rc rc = store_get(t, STORE_META, key, strlen(key), &val, e);

	if (rc != PC_OK)
		return rc == PC_E_NOTFOUND ? pc_fail(e, PC_E_STORE_CORRUPT,
		    "store has no '%s' (not made by plantca init?)", key) : rc;
	*out = ca_strdup_reader(val);
	return *out ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

pc_rc ca_meta_put_str(store_txn *t, const char *key, const char *v, pc_err *e)
{
	return store_put(t, STORE_META, key, strlen(key), v, strlen(v), false, e);
}

void ca_serial_hex(const uint8_t *s, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hx[s[i] >> 4];
		out[2 * i + 1] = hx[s[i] & 15];
	}
	out[2 * n] = '\0';
}

pc_rc ca_serial_parse(const char *text, uint8_t serial[PKIX_SERIAL_LEN], pc_err *e)
{
	char clean[2 * PKIX_SERIAL_LEN + 1];
	size_t n = 0, got = 0;
	const char *p;

	for (p = text; *p; p++) {
		if (*p == ':')
			continue;
		if (n >= sizeof clean - 1)
			return pc_fail(e, PC_E_USAGE, "serial '%s': longer than %d bytes", text, PKIX_SERIAL_LEN);
		clean[n++] = *p;
	}
	clean[n] = '\0';
	if (n != 2 * PKIX_SERIAL_LEN || !pc_hex_decode(clean, serial, PKIX_SERIAL_LEN, &got) ||
	    got != PKIX_SERIAL_LEN)
		return pc_fail(e, PC_E_USAGE, "serial '%s': expected %d hex digits", text, 2 * PKIX_SERIAL_LEN);
	return PC_OK;
}

bool valid_ca_name(const char *n)
{
	size_t i, len = strlen(n);

	if (len == 0 || len > CA_NAME_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!((n[i] >= 'a' && n[i] <= 'z') || (n[i] >= 'A' && n[i] <= 'Z') ||
		    (n[i] >= '0' && n[i] <= '9') || (i > 0 && (n[i] == '-' || n[i] == '_' || n[i] == '.'))))
			return false;
	return true;
}

pc_rc ca_name_text(const uint8_t *der, size_t len, char **out, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	size_t n;

	if (pkix_name_to_text(der, len, &b) != PC_OK) {
		pc_buf_free(&b);
		return pc_fail(e, PC_E_INPUT, "malformed name");
	}
	pc_buf_byte(&b, 0);
	*out = (char *)pc_buf_steal(&b, &n);
	return *out ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

char *ca_san_text(const pkix_gn *g, size_t n)
{
	pc_buf b = PC_BUF_INIT;
	size_t i, len;

	for (i = 0; i < n; i++) {
		if (i)
			pc_buf_byte(&b, ',');
		pkix_gn_to_text(&g[i], &b);
	}
	pc_buf_byte(&b, 0);
	return (char *)pc_buf_steal(&b, &len);
}

/* ------------------------------------------------------------- the HSM */

pc_rc ca_key_for(ca_ctx *c, const char *name, const char *uri, hsm_key **out, pc_err *e)
{
	struct ca_keycache *k;

	for (k = c->keys; k; k = k->next)
		if (strcmp(k->name, name) == 0) {
			*out = k->key;
			return PC_OK;
		}
	k = calloc(1, sizeof *k);
	if (k == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	snprintf(k->name, sizeof k->name, "%s", name);
	if (hsm_key_open(c->h, uri, &k->key, e) != PC_OK) {
		free(k);
		return pc_wrap(e, "CA '%s'", name);
	}
	k->next = c->keys;
	c->keys = k;
	*out = k->key;
	return PC_OK;
}

static pc_rc hsm_login_from(hsm *h, const char *pin_file, pc_err *e)
{
	pc_secret pin;
	char prompt[300];
	pc_rc rc;

	snprintf(prompt, sizeof prompt, "PIN for token '%s'", hsm_token_label(h));
	PC_TRY(pc_secret_read(&pin, pin_file, prompt, e));
	rc = hsm_login(h, &pin, e);
	pc_secret_free(&pin);
	return rc;
}

/* ------------------------------------------------------- the CA home */

static pc_rc home_paths(const char *home, char *db, char *pub, pc_err *e)
{
	if (snprintf(db, PATH_MAX, "%s/db", home) >= PATH_MAX ||
	    snprintf(pub, PATH_MAX, "%s/public", home) >= PATH_MAX)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
	return PC_OK;
}

/* The CA home and what in it decides anything (the store, the policy) may
 * be changed by the user running plantca alone: any local user who can
 * write HOME or drop HOME/policy.conf would choose the active policy, and
 * one who can write the store could rewrite it. */
static pc_rc home_check(const char *home, pc_err *e)
{
	static const char *const parts[] = { "db", "db/data.mdb", "db/lock.mdb", CA_POLICY_FILE };
	char p[PATH_MAX];
	size_t i;

	if (access(home, F_OK) != 0 && errno == ENOENT)
		return pc_fail(e, PC_E_USAGE, "%s: not a CA home (run plantca init)", home);
	PC_TRY(pc_path_check_private(home, false, e));
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		if (snprintf(p, sizeof p, "%s/%s", home, parts[i]) >= (int)sizeof p)
			return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
		PC_TRY(pc_path_check_private(p, true, e));
	}
	return PC_OK;
}

static pc_rc count_intents(ca_ctx *c, uint64_t *n, pc_err *e)
{
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_count(t, STORE_INTENTS, n, e);
	store_abort(t);
	return rc;
}

pc_rc ca_open(ca_ctx *c, const char *home, bool lock, pc_err *e)
{
	char db[PATH_MAX], pub[PATH_MAX];
	uint64_t pending = 0;
	struct stat st;
	pc_rc rc;

	memset(c, 0, sizeof *c);
	c->lock_fd = -1;
	if (home == NULL || home[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "no CA home: use --home DIR or set PLANTCA_HOME");
	if (strlen(home) >= sizeof c->home)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", home);
	strcpy(c->home, home);
	PC_TRY(home_paths(home, db, pub, e));
	if (stat(db, &st) != 0)
		return pc_fail(e, PC_E_USAGE, "%s: not a CA home (run plantca init)", home);
	PC_TRY(home_check(home, e));
	if (lock)
		PC_TRY(pc_dir_lock(home, "plantca", &c->lock_fd, e));
	rc = store_open(db, false, &c->st, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_USAGE, "%s: not a CA home (run plantca init)", home);
	if (rc != PC_OK) {
		pc_dir_unlock(&c->lock_fd);
		return rc;
	}
	if (count_intents(c, &pending, e) == PC_OK && pending > 0)
		fprintf(stderr, "plantca: %s: %" PRIu64 " issuance(s) were interrupted; the next "
		    "signing command completes them\n", home, pending);
	return PC_OK;
}

void ca_close(ca_ctx *c)
{
	struct ca_keycache *k = c->keys, *n;

	for (; k; k = n) {
		n = k->next;
		hsm_key_free(k->key);
		free(k);
	}
	c->keys = NULL;
	if (c->h)
		hsm_close(c->h);
	c->h = NULL;
	if (c->st)
		store_close(c->st);
	c->st = NULL;
	pc_dir_unlock(&c->lock_fd);
}

static pc_rc resolve_intents(ca_ctx *c, pc_err *e);

pc_rc ca_hsm_ready(ca_ctx *c, pc_err *e)
{
	char *module = NULL, *token = NULL;
	store_txn *t;
	pc_rc rc;

	if (c->h != NULL)
		return PC_OK;
	if (c->lock_fd < 0)
		return pc_fail(e, PC_E_INTERNAL, "%s: signing without the CA home's lock", c->home);
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_meta_get_str(t, META_MODULE, &module, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_TOKEN, &token, e);
	store_abort(t);
	if (rc == PC_OK)
		rc = hsm_open(module, token, &c->h, e);
	if (rc == PC_OK)
		rc = hsm_login_from(c->h, c->pin_file, e);
	free(module);
	free(token);
	if (rc == PC_OK)
		rc = resolve_intents(c, e);
	return rc;
}

/* ---------------------------------------------------------- signing core */


void ca_job_free(ca_job *j)
{
	free(j->subject_text);
	free(j->san_text);
	pc_buf_free(&j->tbs);
	pc_buf_free(&j->cert);
}

static void intent_encode(const ca_job *j, pc_buf *b)
{
	pc_rec_begin(b, REC_INTENT, 1);
	pc_rec_str(b, I_F_ISSUER, j->issuer);
	pc_rec_bytes(b, I_F_TBS, j->tbs.p, j->tbs.len);
	pc_rec_str(b, I_F_KIND, j->kind);
	pc_rec_str(b, I_F_PROFILE, j->profile);
	pc_rec_str(b, I_F_SUBJECT, j->subject_text);
	pc_rec_str(b, I_F_SAN, j->san_text);
	pc_rec_u64(b, I_F_NB, (uint64_t)j->nb);
	pc_rec_u64(b, I_F_NA, (uint64_t)j->na);
	pc_rec_str(b, I_F_SOURCE, j->source);
	pc_rec_str(b, I_F_SEGMENT, j->segment);
	pc_rec_str(b, I_F_KEYTYPE, j->keytype);
	if (j->request_id)
		pc_rec_u64(b, I_F_REQUEST, j->request_id);
	if (j->policy_hash)
		pc_rec_str(b, I_F_POLICY_HASH, j->policy_hash);
	if (j->newca) {
		pc_rec_str(b, I_F_NEWCA, j->newca);
		pc_rec_str(b, I_F_NEWCA_URI, j->newca_uri);
		pc_rec_u64(b, I_F_NEWCA_ALG, j->newca_alg);
	}
	pc_rec_u64(b, I_F_CREATED, (uint64_t)time(NULL));
}

static void cert_encode(const ca_job *j, pc_buf *b)
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

static void ca_encode(pc_buf *b, const char *name, const char *uri, uint64_t alg,
    const uint8_t *cert, size_t cert_len, const char *parent)
{
	pc_rec_begin(b, REC_CA, 1);
	pc_rec_str(b, CA_F_NAME, name);
	pc_rec_str(b, CA_F_KEY_URI, uri);
	pc_rec_u64(b, CA_F_ALG, alg);
	pc_rec_bytes(b, CA_F_CERT, cert, cert_len);
	pc_rec_str(b, CA_F_PARENT, parent);
	pc_rec_u64(b, CA_F_CREATED, (uint64_t)time(NULL));
}

static void expiry_key(uint8_t k[8 + PKIX_SERIAL_LEN], time_t na, const uint8_t *serial)
{
	uint64_t v = (uint64_t)na;
	int i;

	for (i = 7; i >= 0; i--) {
		k[i] = (uint8_t)v;
		v >>= 8;
	}
	memcpy(k + 8, serial, PKIX_SERIAL_LEN);
}

/* Phase 1: commit the intents (serial uniqueness checked by the database),
 * and claim each job's request (approved -> signing) in the same
 * transaction: LMDB runs one write transaction at a time, so of two runs
 * that both loaded a request as approved only the first claims it; the
 * other skips it here, before anything is signed. */
static pc_rc commit_intents(ca_ctx *c, ca_job *jobs, size_t n, pc_err *e)
{
	store_txn *t;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc = PC_OK;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++) {
		pc_reader dummy;
		/* a serial already used by a certificate is never reused */
		rc = store_get(t, STORE_CERTS, jobs[i].serial, PKIX_SERIAL_LEN, &dummy, e);
		if (rc == PC_OK) {
			rc = pc_fail(e, PC_E_EXISTS, "serial collision (a CSPRNG failure?)");
			break;
		}
		if (rc != PC_E_NOTFOUND)
			break;
		rc = PC_OK;
		if (jobs[i].request_id) {
			pc_err why;
			pc_rc cr = ca_request_claim(t, jobs[i].request_id, jobs[i].serial, &why);
			if (cr == PC_E_STATE) {
				jobs[i].skip = true;
				jobs[i].skip_why = "no longer approved (signed or rejected meanwhile)";
				continue;
			}
			if (cr != PC_OK) {
				*e = why;
				rc = cr;
				break;
			}
		}
		b.len = 0;
		intent_encode(&jobs[i], &b);
		rc = pc_buf_ok(&b) ? store_put(t, STORE_INTENTS, jobs[i].serial, PKIX_SERIAL_LEN,
		    b.p, b.len, true, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	pc_buf_free(&b);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

/* Phase 2: sign every TBS in the HSM; each signature is verified in
 * software (on a second core, see hsm_sign_many) before we see it.
 * Skipped jobs are not signed. */
static pc_rc sign_jobs(ca_ctx *c, ca_job *jobs, size_t n, size_t done, size_t total, pc_err *e)
{
	const uint8_t **msgs = calloc(n ? n : 1, sizeof *msgs);
	size_t *lens = calloc(n ? n : 1, sizeof *lens), *idx = calloc(n ? n : 1, sizeof *idx);
	size_t m = 0, i, j, k;
	pc_buf *sigs = calloc(n ? n : 1, sizeof *sigs);
	pc_rc rc = PC_OK;

	if (!msgs || !lens || !sigs || !idx) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (jobs[i].skip)
			continue;
		idx[m] = i;
		msgs[m] = jobs[i].tbs.p;
		lens[m] = jobs[i].tbs.len;
		m++;
	}
	/* runs of jobs with the same issuer share one key (recovery can mix) */
	for (i = 0; i < m && rc == PC_OK; i = j) {
		const char *issuer_name = jobs[idx[i]].issuer;
		ca_rec issuer;
		store_txn *t;
		hsm_key *key;
		const uint8_t *alg;
		size_t alg_len;

		for (j = i + 1; j < m && strcmp(jobs[idx[j]].issuer, issuer_name) == 0; j++)
			;
		if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
			break;
		rc = ca_rec_get(t, issuer_name, &issuer, e);
		store_abort(t);
		if (rc != PC_OK)
			break;
		rc = ca_key_for(c, issuer_name, issuer.key_uri, &key, e);
		ca_rec_free(&issuer);
		if (rc != PC_OK)
			break;
		rc = hsm_sign_many(key, msgs + i, lens + i, j - i, sigs + i, e);
		if (rc != PC_OK) {
			pc_wrap(e, "signing for CA %s", issuer_name);
			break;
		}
		alg = hsm_key_sigalg(key, &alg_len);
		for (k = i; k < j; k++) {
			ca_job *jb = &jobs[idx[k]];
			rc = pkix_cert_assemble(jb->tbs.p, jb->tbs.len, alg, alg_len, sigs[k].p,
			    sigs[k].len, &jb->cert);
			if (rc != PC_OK) {
				rc = pc_fail(e, rc, "cannot assemble certificate");
				break;
			}
		}
		if (c->progress && total > 1)
			fprintf(stderr, "\rplantca: signed %zu/%zu", done + idx[j - 1] + 1, total);
	}
out:
	for (i = 0; sigs && i < n; i++)
		pc_buf_free(&sigs[i]);
	free(msgs);
	free(lens);
	free(idx);
	free(sigs);
	return rc;
}

/* An intent that must never become a certificate (its request was issued
 * under another serial or rejected meanwhile): removed, with an audit event
 * saying why, in the caller's write transaction. */
static pc_rc abandon_intent(store_txn *t, ca_job *j, const char *why, time_t now, pc_err *e)
{
	char hex[2 * PKIX_SERIAL_LEN + 1], detail[1200];

	ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
	snprintf(detail, sizeof detail, "request %" PRIu64 ": %s; %s; not signed", j->request_id,
	    why, j->subject_text ? j->subject_text : "");
	PC_TRY(store_del(t, STORE_INTENTS, j->serial, PKIX_SERIAL_LEN, e));
	PC_TRY(audit_append(t, now, "issue.abandoned", hex, "refused: request not signable", detail, e));
	j->skip = true;
	j->skip_why = why;
	return PC_OK;
}

/* Whether intent j may still become a certificate, inside write
 * transaction t: the intent is still there (else another run completed it:
 * skip) and its request, if any, is in the state that the claim left
 * (else: abandon).  *go is false when j was skipped or abandoned. */
static pc_rc intent_still_good(store_txn *t, ca_job *j, bool recovered, time_t now, bool *go,
    pc_err *e)
{
	pc_reader v;
	ca_request r;
	pc_rc rc;
	bool ok;

	*go = false;
	rc = store_get(t, STORE_INTENTS, j->serial, PKIX_SERIAL_LEN, &v, e);
	if (rc == PC_E_NOTFOUND) {
		j->skip = true;
		j->skip_why = "completed by another run";
		return PC_OK;
	}
	PC_TRY(rc);
	if (j->request_id == 0) {
		*go = true;
		return PC_OK;
	}
	rc = ca_request_get(t, j->request_id, &r, e);
	if (rc == PC_E_NOTFOUND)
		return abandon_intent(t, j, "its request is gone", now, e);
	PC_TRY(rc);
	/* "approved" only for an intent left by a plantca that had no
	 * "signing" state: it claimed nothing, so the request must not have
	 * been issued since */
	ok = (strcmp(r.status, "signing") == 0 && r.has_serial &&
	    memcmp(r.serial, j->serial, PKIX_SERIAL_LEN) == 0) ||
	    (recovered && strcmp(r.status, "approved") == 0);
	ca_request_free(&r);
	if (!ok)
		return abandon_intent(t, j, "its request was issued under another serial or rejected",
		    now, e);
	*go = true;
	return PC_OK;
}

/* Recovery, before anything is signed: intents whose request can no
 * longer be issued are abandoned. */
static pc_rc screen_intents(ca_ctx *c, ca_job *jobs, size_t n, pc_err *e)
{
	store_txn *t;
	size_t i;
	time_t now = time(NULL);
	pc_rc rc = PC_OK;
	bool go;

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++)
		rc = intent_still_good(t, &jobs[i], true, now, &go, e);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

/* Phase 3: the certificates, their index entries and audit events, the
 * requests marked issued and the intents' removal, in one transaction.
 * Each intent is checked again inside it (intent_still_good): this, not
 * the CA home's lock, is what makes issuance exactly once. */
static pc_rc commit_certs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, pc_err *e)
{
	store_txn *t;
	pc_buf b = PC_BUF_INIT;
	size_t i;
	pc_rc rc = PC_OK;
	time_t now = time(NULL);

	PC_TRY(store_begin(c->st, true, &t, e));
	for (i = 0; i < n && rc == PC_OK; i++) {
		ca_job *j = &jobs[i];
		char hex[2 * PKIX_SERIAL_LEN + 1], detail[1200];
		uint8_t ek[8 + PKIX_SERIAL_LEN];
		bool go;

		if (j->skip)
			continue;
		if ((rc = intent_still_good(t, j, recovered, now, &go, e)) != PC_OK || !go)
			continue;
		ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
		b.len = 0;
		cert_encode(j, &b);
		if (!pc_buf_ok(&b)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		rc = store_put(t, STORE_CERTS, j->serial, PKIX_SERIAL_LEN, b.p, b.len, true, e);
		if (rc == PC_OK) {
			expiry_key(ek, j->na, j->serial);
			rc = store_put(t, STORE_BY_EXPIRY, ek, sizeof ek, "", 0, true, e);
		}
		if (rc == PC_OK && j->segment && j->segment[0]) {
			pc_buf sk = PC_BUF_INIT;
			pc_buf_str(&sk, j->segment);
			pc_buf_byte(&sk, 0);
			pc_buf_append(&sk, j->serial, PKIX_SERIAL_LEN);
			rc = pc_buf_ok(&sk) ? store_put(t, STORE_BY_SEGMENT, sk.p, sk.len, "", 0, true, e)
			    : pc_fail(e, PC_E_NOMEM, "out of memory");
			pc_buf_free(&sk);
		}
		if (rc == PC_OK && j->newca) {
			b.len = 0;
			ca_encode(&b, j->newca, j->newca_uri, j->newca_alg, j->cert.p, j->cert.len, j->issuer);
			rc = pc_buf_ok(&b) ? store_put(t, STORE_CAS, j->newca, strlen(j->newca), b.p, b.len,
			    true, e) : pc_fail(e, PC_E_NOMEM, "out of memory");
			if (rc == PC_E_EXISTS)
				pc_fail(e, rc, "CA '%s' already exists", j->newca);
		}
		if (rc == PC_OK && j->request_id)
			rc = ca_request_mark_issued(t, j->request_id, j->serial, recovered, e);
		if (rc == PC_OK)
			rc = store_del(t, STORE_INTENTS, j->serial, PKIX_SERIAL_LEN, e);
		if (rc == PC_OK) {
			snprintf(detail, sizeof detail, "%s; profile %s; by CA %s; from %s",
			    j->subject_text, j->profile, j->issuer, j->source);
			rc = audit_append(t, now, j->newca ? (recovered ? "ca.new.recovered" : "ca.new")
			    : (recovered ? "issue.recovered" : "issue"), hex, "ok", detail, e);
		}
	}
	pc_buf_free(&b);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	return store_commit(t, e);
}

pc_rc ca_run_jobs(ca_ctx *c, ca_job *jobs, size_t n, bool recovered, pc_err *e)
{
	size_t done = 0;

	while (done < n) {
		size_t g = n - done < CA_ISSUE_GROUP ? n - done : CA_ISSUE_GROUP;
		PC_TRY(recovered ? screen_intents(c, jobs + done, g, e)
		    : commit_intents(c, jobs + done, g, e));
		PC_TRY(sign_jobs(c, jobs + done, g, done, n, e));
		PC_TRY(commit_certs(c, jobs + done, g, recovered, e));
		done += g;
	}
	if (c->progress && n > 1)
		fputc('\n', stderr);
	return PC_OK;
}

/* --------------------------------------------------------- recovery */

typedef struct intent_list {
	ca_job *jobs;
	size_t n, cap;
	char **strings;
	size_t nstr, capstr;
	pc_rc rc;
} intent_list;

static const char *keep(intent_list *l, pc_reader v)
{
	char *s = ca_strdup_reader(v);

	if (s == NULL)
		return NULL;
	if (l->nstr == l->capstr) {
		size_t nc = l->capstr ? l->capstr * 2 : 64;
		char **ns = realloc(l->strings, nc * sizeof *ns);
		if (ns == NULL) {
			free(s);
			return NULL;
		}
		l->strings = ns;
		l->capstr = nc;
	}
	l->strings[l->nstr++] = s;
	return s;
}

static pc_rc intent_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	intent_list *l = ctx;
	uint8_t ver, tag;
	pc_reader f;
	ca_job *j;
	uint64_t v;

	(void)stop;
	if (l->n == l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 16;
		ca_job *nj = realloc(l->jobs, nc * sizeof *nj);
		if (nj == NULL)
			return pc_fail(e, PC_E_NOMEM, "out of memory");
		l->jobs = nj;
		l->cap = nc;
	}
	j = &l->jobs[l->n];
	memset(j, 0, sizeof *j);
	if (pc_reader_left(&key) != PKIX_SERIAL_LEN || !pc_rec_open(&val, REC_INTENT, &ver) || ver != 1)
		return pc_fail(e, PC_E_STORE_CORRUPT, "malformed issuance intent");
	memcpy(j->serial, key.p + key.off, PKIX_SERIAL_LEN);
	while (pc_rec_next(&val, &tag, &f)) {
		switch (tag) {
		case I_F_ISSUER: j->issuer = keep(l, f); break;
		case I_F_TBS: pc_buf_append(&j->tbs, f.p + f.off, pc_reader_left(&f)); break;
		case I_F_KIND: j->kind = keep(l, f); break;
		case I_F_PROFILE: j->profile = keep(l, f); break;
		case I_F_SUBJECT: j->subject_text = ca_strdup_reader(f); break;
		case I_F_SAN: j->san_text = ca_strdup_reader(f); break;
		case I_F_NB: if (pc_rec_val_u64(f, &v)) j->nb = (time_t)v; break;
		case I_F_NA: if (pc_rec_val_u64(f, &v)) j->na = (time_t)v; break;
		case I_F_SOURCE: j->source = keep(l, f); break;
		case I_F_SEGMENT: j->segment = keep(l, f); break;
		case I_F_REQUEST: (void)pc_rec_val_u64(f, &j->request_id); break;
		case I_F_KEYTYPE: {
			char *s = ca_strdup_reader(f);
			if (s)
				snprintf(j->keytype, sizeof j->keytype, "%s", s);
			free(s);
			break;
		}
		case I_F_NEWCA: j->newca = keep(l, f); break;
		case I_F_NEWCA_URI: j->newca_uri = keep(l, f); break;
		case I_F_NEWCA_ALG: (void)pc_rec_val_u64(f, &j->newca_alg); break;
		case I_F_POLICY_HASH: j->policy_hash = keep(l, f); break;
		default: break;
		}
	}
	l->n++;
	if (!pc_reader_done(&val) || !j->issuer || !j->kind || !j->profile || !j->source ||
	    !j->subject_text || !j->san_text || j->tbs.len == 0 || (j->newca && !j->newca_uri))
		return pc_fail(e, PC_E_STORE_CORRUPT, "malformed issuance intent");
	return PC_OK;
}

static pc_rc resolve_intents(ca_ctx *c, pc_err *e)
{
	intent_list l;
	store_txn *t;
	size_t i;
	pc_rc rc;

	memset(&l, 0, sizeof l);
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_scan(t, STORE_INTENTS, NULL, 0, false, intent_visit, &l, e);
	store_abort(t);
	if (rc == PC_OK && l.n > 0) {
		rc = ca_run_jobs(c, l.jobs, l.n, true, e);
		if (rc == PC_OK) {
			size_t done = 0;
			for (i = 0; i < l.n; i++)
				done += !l.jobs[i].skip;
			if (done)
				fprintf(stderr, "plantca: completed %zu interrupted issuance(s); see "
				    "plantca audit log (issue.recovered)\n", done);
			if (done < l.n)
				fprintf(stderr, "plantca: abandoned %zu interrupted issuance(s) whose "
				    "request was issued or rejected meanwhile (issue.abandoned)\n",
				    l.n - done);
		} else {
			pc_wrap(e, "completing interrupted issuances");
		}
	}
	for (i = 0; i < l.n; i++)
		ca_job_free(&l.jobs[i]);
	for (i = 0; i < l.nstr; i++)
		free(l.strings[i]);
	free(l.jobs);
	free(l.strings);
	return rc;
}

/* -------------------------------------------------------------- init */

static pc_rc dir_is_empty_or_missing(const char *path, bool *missing, pc_err *e)
{
	DIR *d = opendir(path);
	struct dirent *de;

	*missing = false;
	if (d == NULL) {
		if (errno == ENOENT) {
			*missing = true;
			return PC_OK;
		}
		return pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			closedir(d);
			return pc_fail(e, PC_E_EXISTS, "%s: exists and is not empty; "
			    "refusing to create a CA home there", path);
		}
	}
	closedir(d);
	return PC_OK;
}

/* minisign public key file (minisign's PublicKeyStruct): "Ed" || key id
 * (8 bytes, little-endian as minisign prints it) || Ed25519 public key */
static pc_rc minisign_pub(const uint8_t *spki, size_t spki_len, const uint8_t keyid[8],
    pc_buf *out, pc_err *e)
{
	uint8_t raw[2 + 8 + 32];
	char b64[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_ORIGINAL)];
	uint64_t id = 0;
	int i;

	if (spki_len != 44)
		return pc_fail(e, PC_E_INTERNAL, "transfer key is not Ed25519");
	raw[0] = 'E';
	raw[1] = 'd';
	memcpy(raw + 2, keyid, 8);
	memcpy(raw + 10, spki + 12, 32);
	for (i = 7; i >= 0; i--)
		id = (id << 8) | keyid[i];
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_ORIGINAL);
	pc_buf_printf(out, "untrusted comment: minisign public key %016" PRIX64 "\n%s\n", id, b64);
	return PC_OK;
}

static pc_rc sign_now(hsm_key *k, ca_job *j, pc_err *e)
{
	pc_buf sig = PC_BUF_INIT;
	const uint8_t *alg;
	size_t alg_len;
	pc_rc rc = hsm_sign(k, j->tbs.p, j->tbs.len, &sig, e);

	if (rc == PC_OK) {
		alg = hsm_key_sigalg(k, &alg_len);
		rc = pkix_cert_assemble(j->tbs.p, j->tbs.len, alg, alg_len, sig.p, sig.len, &j->cert);
		if (rc != PC_OK)
			pc_fail(e, rc, "cannot assemble certificate");
	}
	pc_buf_free(&sig);
	return rc;
}

void ca_fingerprint(const uint8_t *der, size_t len, char out[3 * 32])
{
	uint8_t h[32];
	pc_buf b = PC_BUF_INIT;

	crypto_hash_sha256(h, der, len);
	pc_hex_encode(&b, h, sizeof h, ':');
	pc_buf_byte(&b, 0);
	snprintf(out, 3 * 32, "%s", b.p ? (char *)b.p : "");
	pc_buf_free(&b);
}

static unsigned ca_profile_days_default(bool root)
{
	return root ? 7300 : 3650;
}

static pc_rc init_inner(const char *home, const ca_init_opts *o, const char *pin_file,
    bool json, hsm **hp, store **stp, pc_err *e)
{
	char db[PATH_MAX], pub[PATH_MAX], path[PATH_MAX + 32], idhex[17], label[128];
	char fp[96], tfp[96];
	hsm_alg alg;
	hsm_key *root = NULL, *transfer = NULL;
	uint8_t id[8], keyid[8];
	pc_buf subject = PC_BUF_INIT, b = PC_BUF_INIT;
	ca_job j;
	pkix_tbs_params p;
	const uint8_t *spki, *tspki;
	size_t spki_len, tspki_len;
	store_txn *t = NULL;
	time_t now = time(NULL);
	unsigned days = o->days ? o->days : ca_profile_days_default(true);
	pc_rc rc;

	memset(&j, 0, sizeof j);
	PC_TRY(hsm_alg_parse(o->key ? o->key : "ec-p384", &alg, e));
	if (alg == HSM_ED25519)
		return pc_fail(e, PC_E_USAGE, "--key ed25519: a root for OPC UA and TLS devices must be "
		    "EC or RSA (most device stacks cannot verify Ed25519 chains)");
	PC_TRY(pkix_name_from_text(&subject, o->subject, e));
	PC_TRY(home_paths(home, db, pub, e));
	if ((rc = hsm_open(o->module, o->token, hp, e)) != PC_OK)
		goto out;
	if ((rc = hsm_login_from(*hp, pin_file, e)) != PC_OK)
		goto out;
	if ((rc = pc_mkdir(home, CA_HOME_MODE, e)) != PC_OK || (rc = pc_mkdir(pub, 0755, e)) != PC_OK)
		goto out;
	if ((rc = store_open(db, true, stp, e)) != PC_OK)
		goto out;

	/* keys: labels carry a per-home id so two CA homes can share a token */
	randombytes_buf(id, sizeof id);
	ca_serial_hex(id, 4, idhex);
	snprintf(label, sizeof label, "plantca-%s-root", idhex);
	if ((rc = hsm_key_generate(*hp, alg, label, &root, e)) != PC_OK)
		goto out;
	snprintf(label, sizeof label, "plantca-%s-transfer", idhex);
	if ((rc = hsm_key_generate(*hp, HSM_ED25519, label, &transfer, e)) != PC_OK)
		goto out;

	spki = hsm_key_spki(root, &spki_len);
	memset(&p, 0, sizeof p);
	pkix_serial_new(p.serial);
	memcpy(j.serial, p.serial, sizeof j.serial);
	p.sigalg = hsm_key_sigalg(root, &p.sigalg_len);
	p.issuer = subject.p;
	p.issuer_len = subject.len;
	p.issuer_keyid = NULL;
	p.not_before = now - CA_SKEW_SECONDS;
	p.not_after = now + (time_t)days * 86400;
	p.subject = subject.p;
	p.subject_len = subject.len;
	p.spki = spki;
	p.spki_len = spki_len;
	p.is_ca = true;
	p.path_len = -1;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	if ((rc = pkix_tbs_build(&p, &j.tbs, e)) != PC_OK || (rc = sign_now(root, &j, e)) != PC_OK)
		goto out;

	/* one transaction: configuration, root record, transfer key, event */
	randombytes_buf(keyid, sizeof keyid);
	if ((rc = store_begin(*stp, true, &t, e)) != PC_OK)
		goto out;
	ca_encode(&b, "root", hsm_key_uri(root), alg, j.cert.p, j.cert.len, "");
	rc = pc_buf_ok(&b) ? store_put(t, STORE_CAS, "root", 4, b.p, b.len, true, e)
	    : pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_MODULE, o->module, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TOKEN, o->token, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_ID, idhex, e);
	if (rc == PC_OK)
		rc = ca_meta_put_str(t, META_TRANSFER_URI, hsm_key_uri(transfer), e);
	if (rc == PC_OK)
		rc = store_put(t, STORE_META, META_TRANSFER_KEYID, strlen(META_TRANSFER_KEYID),
		    keyid, sizeof keyid, false, e);
	if (rc == PC_OK) {
		char detail[600];
		snprintf(detail, sizeof detail, "root %s, key %s in token %s", o->subject,
		    hsm_alg_name(alg), hsm_token_label(*hp));
		ca_serial_hex(j.serial, PKIX_SERIAL_LEN, path);
		rc = audit_append(t, now, "init", path, "ok", detail, e);
	}
	if (rc != PC_OK) {
		store_abort(t);
		goto out;
	}
	if ((rc = store_commit(t, e)) != PC_OK)
		goto out;

	b.len = 0;
	pc_pem_encode(&b, "CERTIFICATE", j.cert.p, j.cert.len);
	snprintf(path, sizeof path, "%s/root.pem", pub);
	if ((rc = pc_file_write_atomic(path, b.p, b.len, 0644, false, e)) != PC_OK)
		goto out;
	b.len = 0;
	tspki = hsm_key_spki(transfer, &tspki_len);
	if ((rc = minisign_pub(tspki, tspki_len, keyid, &b, e)) != PC_OK)
		goto out;
	snprintf(path, sizeof path, "%s/transfer.pub", pub);
	if ((rc = pc_file_write_atomic(path, b.p, b.len, 0644, false, e)) != PC_OK)
		goto out;

	ca_fingerprint(j.cert.p, j.cert.len, fp);
	ca_fingerprint(tspki, tspki_len, tfp);
	if (json) {
		printf("{\"home\":");
		json_str(stdout, home);
		printf(",\"root\":{\"subject\":");
		json_str(stdout, o->subject);
		printf(",\"key\":\"%s\",\"sha256\":\"%s\",\"pem\":", hsm_alg_name(alg), fp);
		snprintf(path, sizeof path, "%s/root.pem", pub);
		json_str(stdout, path);
		printf("},\"transfer\":{\"sha256_spki\":\"%s\",\"pub\":", tfp);
		snprintf(path, sizeof path, "%s/transfer.pub", pub);
		json_str(stdout, path);
		printf("}}\n");
	} else {
		printf("CA home:       %s\n", home);
		printf("root:          %s (%s, %u days)\n", o->subject, hsm_alg_name(alg), days);
		printf("root SHA-256:  %s\n", fp);
		printf("               %s/root.pem\n", pub);
		printf("transfer key:  %s/transfer.pub (Ed25519, in the token)\n", pub);
		printf("transfer SPKI SHA-256: %s\n", tfp);
		printf("Give root.pem and transfer.pub to each plant station; check the "
		    "fingerprints on the station.\n");
	}
out:
	hsm_key_free(root);
	hsm_key_free(transfer);
	ca_job_free(&j);
	pc_buf_free(&subject);
	pc_buf_free(&b);
	return rc;
}

pc_rc ca_init(const char *home, const ca_init_opts *o, const char *pin_file, bool json, pc_err *e)
{
	hsm *h = NULL;
	store *st = NULL;
	bool missing;
	pc_rc rc;

	if (home == NULL || home[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "no CA home: use --home DIR or set PLANTCA_HOME");
	if (!o->module || !o->token || !o->subject)
		return pc_fail(e, PC_E_USAGE, "init needs --module, --token and --subject");
	PC_TRY(dir_is_empty_or_missing(home, &missing, e));
	/* an existing empty HOME: ours alone, before anything goes into it */
	if (!missing) {
		struct stat hs;
		if (stat(home, &hs) != 0)
			return pc_fail(e, PC_E_IO, "%s: %s", home, strerror(errno));
		if (hs.st_uid != geteuid())
			return pc_fail(e, PC_E_STATE, "%s: owned by uid %u, not by uid %u who runs "
			    "plantca: a CA home must be a directory of your own", home,
			    (unsigned)hs.st_uid, (unsigned)geteuid());
		if (chmod(home, CA_HOME_MODE) != 0)
			return pc_fail(e, PC_E_IO, "%s: chmod %o: %s", home, CA_HOME_MODE, strerror(errno));
	}
	rc = init_inner(home, o, pin_file, json, &h, &st, e);
	if (st)
		store_close(st);
	if (h)
		hsm_close(h);
	if (rc != PC_OK) {
		/* leave nothing half-made: a failed init removes what it created */
		char p[PATH_MAX + 32];
		static const char *const files[] = { "db/data.mdb", "db/lock.mdb", "public/root.pem",
			"public/transfer.pub", "db", "public", NULL };
		int i;
		for (i = 0; files[i]; i++) {
			snprintf(p, sizeof p, "%s/%s", home, files[i]);
			(void)(i < 4 ? unlink(p) : rmdir(p));
		}
		if (missing)
			(void)rmdir(home);
	}
	return rc;
}

/* ---------------------------------------------------------------- ca new */

pc_rc ca_new(ca_ctx *c, const ca_new_opts *o, pc_err *e)
{
	pkix_gn permit[PKIX_PERMIT_MAX];
	size_t npermit = 0;
	hsm_alg alg;
	hsm_key *key = NULL;
	ca_rec root;
	store_txn *t;
	pc_buf subject = PC_BUF_INIT;
	pkix_tbs_params p;
	ca_job j;
	char *idhex = NULL, label[160];
	uint8_t rootkid[PKIX_KEYID_LEN];
	time_t now = time(NULL);
	unsigned days = o->days ? o->days : ca_profile_days_default(false);
	pc_rc rc;
	pc_reader dummy;

	memset(&j, 0, sizeof j);
	memset(&root, 0, sizeof root);
	if (!valid_ca_name(o->name) || strcmp(o->name, "root") == 0)
		return pc_fail(e, PC_E_USAGE, "CA name '%s': use 1-%d letters, digits, '-', '_', '.' "
		    "(and not 'root')", o->name, CA_NAME_MAX);
	if (!o->subject)
		return pc_fail(e, PC_E_USAGE, "ca new needs --subject");
	PC_TRY(hsm_alg_parse(o->key ? o->key : "ec-p256", &alg, e));
	if (alg == HSM_ED25519)
		return pc_fail(e, PC_E_USAGE, "--key ed25519: issuing CAs must be EC or RSA "
		    "(device TLS and OPC UA stacks verify ECDSA/RSA chains)");
	for (; o->permit && o->permit[npermit]; npermit++) {
		if (npermit >= PKIX_PERMIT_MAX)
			return pc_fail(e, PC_E_USAGE, "more than %d --permit", PKIX_PERMIT_MAX);
		PC_TRY(pkix_gn_from_text(o->permit[npermit], true, &permit[npermit], e));
		/* RFC 5280 §4.2.1.10: a URI constraint is a host or domain, matched
		 * against the host part of URI SANs; a URN has no host, so such a
		 * constraint would refuse every URN ApplicationUri */
		if (permit[npermit].type == PKIX_GN_URI &&
		    memchr(permit[npermit].val, ':', permit[npermit].len) != NULL)
			return pc_fail(e, PC_E_USAGE, "--permit %s: a URI name constraint names a host or "
			    "domain (e.g. uri:.line3.plant.local), not a URI prefix; limit URNs such as "
			    "ApplicationUris with the policy's segment URI prefixes", o->permit[npermit]);
	}
	PC_TRY(pkix_name_from_text(&subject, o->subject, e));

	/* refuse early, before a key is made, if the name is taken */
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK)
		goto out;
	rc = store_get(t, STORE_CAS, o->name, strlen(o->name), &dummy, e);
	if (rc == PC_OK)
		rc = pc_fail(e, PC_E_EXISTS, "CA '%s' already exists", o->name);
	else if (rc == PC_E_NOTFOUND)
		rc = ca_rec_get(t, "root", &root, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_ID, &idhex, e);
	store_abort(t);
	if (rc != PC_OK)
		goto out;
	if (root.v.not_after <= now + 86400) {
		rc = pc_fail(e, PC_E_STATE, "the root certificate expires within a day");
		goto out;
	}
	if ((rc = ca_hsm_ready(c, e)) != PC_OK)
		goto out;
	snprintf(label, sizeof label, "plantca-%s-ca-%s", idhex, o->name);
	if ((rc = hsm_key_generate(c->h, alg, label, &key, e)) != PC_OK)
		goto out;
	if (pkix_keyid(root.v.spki, root.v.spki_len, rootkid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "root certificate has a malformed key");
		goto out;
	}
	{
		hsm_key *rk;
		const uint8_t *sa;
		size_t sal;

		if ((rc = ca_key_for(c, "root", root.key_uri, &rk, e)) != PC_OK)
			goto out;
		sa = hsm_key_sigalg(rk, &sal);
		memset(&p, 0, sizeof p);
		ca_tbs_issued_by(&p, &root, sa, sal, rootkid, days, now);
	}
	p.subject = subject.p;
	p.subject_len = subject.len;
	p.spki = hsm_key_spki(key, &p.spki_len);
	p.is_ca = true;
	p.path_len = o->path_len < 0 ? 0 : o->path_len;
	p.key_usage = PKIX_KU_KEY_CERT_SIGN | PKIX_KU_CRL_SIGN;
	p.permit = permit;
	p.npermit = npermit;

	memcpy(j.serial, p.serial, PKIX_SERIAL_LEN);
	j.issuer = "root";
	j.kind = "ca";
	j.profile = "issuing-ca";
	j.source = "plantca ca new";
	j.segment = "";
	j.newca = o->name;
	j.newca_uri = hsm_key_uri(key);
	j.newca_alg = alg;
	snprintf(j.keytype, sizeof j.keytype, "%s", hsm_alg_name(alg));
	j.nb = p.not_before;
	j.na = p.not_after;
	if ((rc = ca_name_text(subject.p, subject.len, &j.subject_text, e)) != PC_OK)
		goto out;
	j.san_text = strdup("");
	if (!j.san_text) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = pkix_tbs_build(&p, &j.tbs, e)) != PC_OK)
		goto out;
	{
		ca_lint_expect lx = { true, p.key_usage, NULL, 0, NULL };
		if ((rc = ca_lint_tbs(j.tbs.p, j.tbs.len, root.cert, root.cert_len, &lx, o->name,
		    e)) != PC_OK)
			goto out;
	}
	if ((rc = ca_run_jobs(c, &j, 1, false, e)) != PC_OK)
		goto out;
	if (c->json) {
		char fp[96];
		ca_fingerprint(j.cert.p, j.cert.len, fp);
		printf("{\"name\":");
		json_str(stdout, o->name);
		printf(",\"subject\":");
		json_str(stdout, o->subject);
		printf(",\"key\":\"%s\",\"sha256\":\"%s\"}\n", hsm_alg_name(alg), fp);
	} else {
		char fp[96];
		ca_fingerprint(j.cert.p, j.cert.len, fp);
		printf("issuing CA '%s': %s (%s), SHA-256 %s\n", o->name, o->subject,
		    hsm_alg_name(alg), fp);
	}
out:
	hsm_key_free(key);
	ca_rec_free(&root);
	free(idhex);
	pc_buf_free(&subject);
	ca_job_free(&j);
	return rc;
}

/* ------------------------------------------------------ list / cert */

struct list_ctx {
	FILE *out;
	bool json;
	int n;
};

static pc_rc ca_list_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct list_ctx *l = ctx;
	ca_rec r;
	char *subj = NULL, fp[96], nb[32], na[32];
	struct tm tm;

	(void)key;
	(void)stop;
	PC_TRY(ca_rec_decode(val, &r, e));
	if (ca_name_text(r.v.subject, r.v.subject_len, &subj, e) != PC_OK) {
		ca_rec_free(&r);
		return e->rc;
	}
	ca_fingerprint(r.cert, r.cert_len, fp);
	strftime(nb, sizeof nb, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&r.v.not_before, &tm));
	strftime(na, sizeof na, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&r.v.not_after, &tm));
	if (l->json) {
		fprintf(l->out, "%s{\"name\":", l->n ? "," : "");
		json_str(l->out, r.name);
		fprintf(l->out, ",\"subject\":");
		json_str(l->out, subj);
		fprintf(l->out, ",\"parent\":");
		json_str(l->out, r.parent[0] ? r.parent : "");
		fprintf(l->out, ",\"key\":\"%s\",\"not_before\":\"%s\",\"not_after\":\"%s\","
		    "\"sha256\":\"%s\",\"key_uri\":", hsm_alg_name((hsm_alg)r.alg), nb, na, fp);
		json_str(l->out, r.key_uri);
		fputc('}', l->out);
	} else {
		fprintf(l->out, "%-16s %-8s %s  until %s\n  %s\n  SHA-256 %s\n", r.name,
		    hsm_alg_name((hsm_alg)r.alg), subj, na, r.parent[0] ? r.parent : "(self-signed)", fp);
	}
	l->n++;
	free(subj);
	ca_rec_free(&r);
	return PC_OK;
}

pc_rc ca_list(ca_ctx *c, FILE *out, pc_err *e)
{
	struct list_ctx l = { out, c->json, 0 };
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	if (c->json)
		fputc('[', out);
	rc = store_scan(t, STORE_CAS, NULL, 0, false, ca_list_visit, &l, e);
	if (c->json)
		fputs("]\n", out);
	store_abort(t);
	return rc;
}

pc_rc ca_cert(ca_ctx *c, const char *name, FILE *out, pc_err *e)
{
	store_txn *t;
	ca_rec r;
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = ca_rec_get(t, name, &r, e);
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	pc_pem_encode(&b, "CERTIFICATE", r.cert, r.cert_len);
	if (pc_buf_ok(&b))
		fwrite(b.p, 1, b.len, out);
	else
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	ca_rec_free(&r);
	return rc;
}

/* -------------------------------------------------------------- issue */

/* The issuer's part of a TBS: fresh serial, the issuer key's signature
 * algorithm, issuer name and key id, validity from now (back-dated for clock
 * skew) for `days`, never beyond the issuer's own notAfter. */
void ca_tbs_issued_by(pkix_tbs_params *p, const ca_rec *issuer, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t ikid[PKIX_KEYID_LEN], unsigned days, time_t now)
{
	pkix_serial_new(p->serial);
	p->sigalg = sigalg;
	p->sigalg_len = sigalg_len;
	p->issuer = issuer->v.subject;
	p->issuer_len = issuer->v.subject_len;
	p->issuer_keyid = ikid;
	p->not_before = now - CA_SKEW_SECONDS;
	p->not_after = now + (time_t)days * 86400;
	if (p->not_after > issuer->v.not_after)
		p->not_after = issuer->v.not_after;   /* never outlive the issuer */
}

pc_rc ca_prepare_leaf(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const uint8_t *buf, size_t len, const char *path, const char *what, const char *segment,
    const char *station, unsigned days, ca_job *j, pc_err *e)
{
	pkix_csr csr;
	pc_rc rc;

	memset(j, 0, sizeof *j);
	rc = pkix_csr_parse(buf, len, what ? what : path, &csr, e);
	if (rc != PC_OK)
		return rc;
	rc = ca_prepare_leaf_parsed(ca_name, pol, profile, issuer, sigalg, sigalg_len, ikid, &csr,
	    path, what, segment, station, days, j, e);
	pkix_csr_free(&csr);
	return rc;
}

pc_rc ca_prepare_leaf_parsed(const char *ca_name, const policy *pol, const char *profile,
    const ca_rec *issuer, const uint8_t *sigalg, size_t sigalg_len, const uint8_t *ikid,
    const pkix_csr *csr, const char *path, const char *what, const char *segment,
    const char *station, unsigned days, ca_job *j, pc_err *e)
{
	pkix_tbs_params p;
	pc_buf subject = PC_BUF_INIT;
	const char *eku[POLICY_EKU_MAX + 1];
	ca_lint_expect lx;
	time_t now = time(NULL);
	pc_rc rc;

	if (what == NULL)
		what = path;
	memset(j, 0, sizeof *j);
	memset(&p, 0, sizeof p);
	/* the policy decides everything but the key: nothing else is copied */
	rc = ca_policy_apply(pol, csr, profile, ca_name, segment, station, days, false, what, &p,
	    &subject, &days, eku, e);
	if (rc != PC_OK)
		goto out;
	ca_tbs_issued_by(&p, issuer, sigalg, sigalg_len, ikid, days, now);
	memcpy(j->serial, p.serial, PKIX_SERIAL_LEN);
	p.spki = csr->spki;
	p.spki_len = csr->spki_len;
	j->issuer = ca_name;
	j->kind = "leaf";
	j->profile = profile;
	j->source = path;
	j->segment = segment ? segment : "";
	j->policy_hash = policy_hash(pol);
	j->nb = p.not_before;
	j->na = p.not_after;
	pkix_keytype_name(csr->keytype, csr->bits, j->keytype, sizeof j->keytype);
	if ((rc = ca_name_text(subject.p, subject.len, &j->subject_text, e)) != PC_OK) {
		pc_wrap(e, "%s", what);
		goto out;
	}
	j->san_text = ca_san_text(csr->san, csr->nsan);
	if (j->san_text == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	rc = pkix_tbs_build(&p, &j->tbs, e);
	if (rc != PC_OK) {
		pc_wrap(e, "%s", what);
		goto out;
	}
	/* an independent look at the bytes the HSM would sign */
	lx.is_ca = false;
	lx.key_usage = p.key_usage;
	lx.eku = eku;
	lx.max_days = days;
	lx.fw_packages = NULL;       /* never a firmware signer */
	rc = ca_lint_tbs(j->tbs.p, j->tbs.len, issuer->cert, issuer->cert_len, &lx, what, e);
out:
	pc_buf_free(&subject);
	if (rc != PC_OK)
		ca_job_free(j);
	return rc;
}

/* Parsing a CSR and checking its self-signature is the costliest step
 * before signing (wolfSSL's generic ECC math), and requests are
 * independent: workers take every n-th request.  The first failure in
 * request order is the one reported; on failure no ca_job is left allocated. */
struct prep_shared {
	const ca_issue_opts *o;
	const policy *pol;
	const ca_rec *issuer;
	const uint8_t *sigalg;
	size_t sigalg_len;
	const uint8_t *ikid;
	ca_job *jobs;
	pc_rc *rcs;
	pc_err *errs;
	size_t nworkers;
	atomic_bool stop;
};

struct prep_worker {
	struct prep_shared *sh;
	size_t first;
	pthread_t tid;
};

static void *prep_run(void *arg)
{
	struct prep_worker *w = arg;
	struct prep_shared *sh = w->sh;
	size_t i;

	for (i = w->first; i < sh->o->ncsr; i += sh->nworkers) {
		if (atomic_load(&sh->stop)) {
			sh->rcs[i] = PC_E_STATE;   /* skipped: another request failed */
			continue;
		}
		uint8_t *buf = NULL;
		size_t len = 0;
		sh->rcs[i] = pc_file_read(sh->o->csr_paths[i], PKIX_CSR_MAX, &buf, &len,
		    &sh->errs[w->first]);
		if (sh->rcs[i] == PC_OK)
			sh->rcs[i] = ca_prepare_leaf(sh->o->ca, sh->pol, sh->o->profile, sh->issuer,
			    sh->sigalg, sh->sigalg_len, sh->ikid, buf, len, sh->o->csr_paths[i], NULL, "",
			    NULL, sh->o->days, &sh->jobs[i], &sh->errs[w->first]);
		free(buf);
		if (sh->rcs[i] != PC_OK) {
			atomic_store(&sh->stop, true);
			/* keep this worker's first failure in its error slot */
			for (i += sh->nworkers; i < sh->o->ncsr; i += sh->nworkers)
				sh->rcs[i] = PC_E_STATE;
			break;
		}
	}
	/* wolfSSL's FP_ECC point cache is thread-local: free it before the
	 * thread ends, or each worker leaks its tables (harmless on the main
	 * thread, where it only empties the cache) */
	wc_ecc_fp_free();
	return NULL;
}

static pc_rc prepare_all(const ca_issue_opts *o, const policy *pol, const ca_rec *issuer,
    hsm_key *ik, const uint8_t *ikid, ca_job *jobs, pc_err *e)
{
	struct prep_shared sh;
	struct prep_worker w[CA_PREP_WORKERS_MAX];
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	size_t n, i, started = 0, bad = SIZE_MAX;
	pc_rc rc = PC_OK;

	n = ncpu < 1 ? 1 : (size_t)ncpu;
	if (n > CA_PREP_WORKERS_MAX)
		n = CA_PREP_WORKERS_MAX;
	if (n > o->ncsr)
		n = o->ncsr;
	memset(&sh, 0, sizeof sh);
	sh.o = o;
	sh.pol = pol;
	sh.issuer = issuer;
	sh.sigalg = hsm_key_sigalg(ik, &sh.sigalg_len);
	sh.ikid = ikid;
	sh.jobs = jobs;
	sh.nworkers = n;
	atomic_init(&sh.stop, false);
	sh.rcs = calloc(o->ncsr, sizeof *sh.rcs);
	sh.errs = calloc(n, sizeof *sh.errs);
	if (sh.rcs == NULL || sh.errs == NULL) {
		free(sh.rcs);
		free(sh.errs);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}
	for (i = 0; i < n; i++) {
		w[i].sh = &sh;
		w[i].first = i;
		if (n == 1 || pthread_create(&w[i].tid, NULL, prep_run, &w[i]) != 0) {
			if (i == 0) {     /* no threads: do it all here */
				sh.nworkers = 1;
				prep_run(&w[0]);
				started = 0;
				break;
			}
			atomic_store(&sh.stop, true);
			rc = pc_fail(e, PC_E_INTERNAL, "cannot start a worker thread");
			break;
		}
		started++;
	}
	for (i = 0; i < started; i++)
		pthread_join(w[i].tid, NULL);
	if (rc == PC_OK) {
		for (i = 0; i < o->ncsr; i++)
			if (sh.rcs[i] != PC_OK && sh.rcs[i] != PC_E_STATE) {
				bad = i;
				break;
			}
		if (bad == SIZE_MAX) {
			for (i = 0; i < o->ncsr; i++)
				if (sh.rcs[i] != PC_OK) {
					rc = pc_fail(e, PC_E_INTERNAL, "request %zu was not prepared", i);
					break;
				}
		} else {
			*e = sh.errs[bad % sh.nworkers];
			rc = e->rc;
		}
	}
	if (rc != PC_OK)
		for (i = 0; i < o->ncsr; i++)
			if (sh.rcs[i] == PC_OK)
				ca_job_free(&jobs[i]);
	free(sh.rcs);
	free(sh.errs);
	return rc;
}

static pc_rc write_outputs(ca_ctx *c, const ca_issue_opts *o, ca_job *jobs, size_t n, pc_err *e)
{
	pc_buf all = PC_BUF_INIT, one = PC_BUF_INIT;
	char path[PATH_MAX], hex[2 * PKIX_SERIAL_LEN + 1];
	size_t i;
	pc_rc rc = PC_OK;

	for (i = 0; i < n && rc == PC_OK; i++) {
		ca_job *j = &jobs[i];
		ca_serial_hex(j->serial, PKIX_SERIAL_LEN, hex);
		one.len = 0;
		if (o->der)
			pc_buf_append(&one, j->cert.p, j->cert.len);
		else
			pc_pem_encode(&one, "CERTIFICATE", j->cert.p, j->cert.len);
		if (!pc_buf_ok(&one)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			break;
		}
		if (o->out_dir) {
			snprintf(path, sizeof path, "%s/%s.%s", o->out_dir, hex, o->der ? "der" : "pem");
			rc = pc_file_write_nosync(path, one.p, one.len, 0644, e);
		} else {
			pc_buf_append(&all, one.p, one.len);
		}
	}
	if (rc == PC_OK && o->out_dir)
		rc = pc_dir_sync(o->out_dir, e);
	else if (rc == PC_OK && o->out_file)
		rc = pc_buf_ok(&all) ? pc_file_write_atomic(o->out_file, all.p, all.len, 0644, true, e)
		    : pc_fail(e, PC_E_NOMEM, "out of memory");
	else if (rc == PC_OK && !c->json)
		fwrite(all.p, 1, all.len, stdout);
	pc_buf_free(&all);
	pc_buf_free(&one);
	return rc;
}

pc_rc ca_issue(ca_ctx *c, const ca_issue_opts *o, pc_err *e)
{
	policy *pol = NULL;
	ca_rec issuer;
	store_txn *t;
	hsm_key *ik = NULL;
	ca_job *jobs = NULL;
	uint8_t ikid[PKIX_KEYID_LEN];
	size_t i, made = 0;
	struct stat st;
	pc_rc rc;

	memset(&issuer, 0, sizeof issuer);
	if (!o->ca || !o->profile)
		return pc_fail(e, PC_E_USAGE, "issue needs --ca NAME and --profile P");
	if (o->ncsr == 0)
		return pc_fail(e, PC_E_USAGE, "issue needs at least one CSR file");
	if (o->ncsr > CA_BATCH_MAX)
		return pc_fail(e, PC_E_LIMIT, "%zu CSRs: more than %d in one run", o->ncsr, CA_BATCH_MAX);
	if (o->out_dir && o->out_file)
		return pc_fail(e, PC_E_USAGE, "use -o FILE or --out-dir DIR, not both");
	if (o->der && o->ncsr > 1 && !o->out_dir)
		return pc_fail(e, PC_E_USAGE, "--der with several CSRs needs --out-dir");
	if (o->out_dir && (stat(o->out_dir, &st) != 0 || !S_ISDIR(st.st_mode)))
		return pc_fail(e, PC_E_USAGE, "%s: not a directory", o->out_dir);
	if (o->out_file && access(o->out_file, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", o->out_file);
	PC_TRY(ca_policy_active(c->home, &pol, e));
	if (!policy_has_profile(pol, o->profile)) {
		rc = pc_fail(e, PC_E_USAGE, "unknown profile '%s' (%s)", o->profile,
		    policy_profile_names(pol));
		policy_free(pol);
		return rc;
	}
	if ((rc = store_begin(c->st, false, &t, e)) != PC_OK) {
		policy_free(pol);
		return rc;
	}
	rc = ca_rec_get(t, o->ca, &issuer, e);
	store_abort(t);
	if (rc != PC_OK) {
		policy_free(pol);
		return rc;
	}
	if (strcmp(o->ca, "root") == 0) {
		rc = pc_fail(e, PC_E_USAGE, "the root issues only CA certificates; use an issuing CA "
		    "(plantca ca new)");
		goto out;
	}
	if (issuer.v.not_after <= time(NULL)) {
		rc = pc_fail(e, PC_E_STATE, "CA '%s' has expired", o->ca);
		goto out;
	}
	if (pkix_keyid(issuer.v.spki, issuer.v.spki_len, ikid) != PC_OK) {
		rc = pc_fail(e, PC_E_STORE_CORRUPT, "CA '%s': malformed key in its certificate", o->ca);
		goto out;
	}
	/* The HSM session comes first: the signature algorithm is the key's. */
	if ((rc = ca_hsm_ready(c, e)) != PC_OK || (rc = ca_key_for(c, o->ca, issuer.key_uri, &ik, e)) != PC_OK)
		goto out;
	jobs = calloc(o->ncsr, sizeof *jobs);
	if (jobs == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* Every CSR is read and checked before anything is written: one bad
	 * request refuses the batch and leaves the store as it was. */
	rc = prepare_all(o, pol, &issuer, ik, ikid, jobs, e);
	if (rc != PC_OK)
		goto out;
	made = o->ncsr;
	if ((rc = ca_run_jobs(c, jobs, o->ncsr, false, e)) != PC_OK)
		goto out;
	if ((rc = write_outputs(c, o, jobs, o->ncsr, e)) != PC_OK) {
		pc_wrap(e, "certificates are issued and recorded (plantca certs), but writing them failed");
		goto out;
	}
	if (c->json) {
		printf("[");
		for (i = 0; i < o->ncsr; i++) {
			char hex[2 * PKIX_SERIAL_LEN + 1];
			ca_serial_hex(jobs[i].serial, PKIX_SERIAL_LEN, hex);
			printf("%s{\"serial\":\"%s\",\"subject\":", i ? "," : "", hex);
			json_str(stdout, jobs[i].subject_text);
			printf(",\"source\":");
			json_str(stdout, jobs[i].source);
			printf("}");
		}
		printf("]\n");
	} else if (o->out_file || o->out_dir) {
		fprintf(stderr, "plantca: issued %zu certificate(s) with CA %s, profile %s, into %s\n",
		    o->ncsr, o->ca, o->profile, o->out_file ? o->out_file : o->out_dir);
	}
out:
	for (i = 0; i < made; i++)
		ca_job_free(&jobs[i]);
	free(jobs);
	ca_rec_free(&issuer);
	policy_free(pol);   /* jobs pointed into it (profile, hash) */
	return rc;
}

/* ------------------------------------------------------------ inventory */


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

void ca_iso_time(uint64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&tt, &tm));
}

/* Reason and date of a revoked certificate as text; false if not revoked. */
static bool revocation_text(store_txn *t, const ca_cert_rec *r, const char **reason,
    char when[32])
{
	ca_revocation rv;
	pc_err ignored;

	if (ca_revocation_get(t, r->serial, &rv, &ignored) != PC_OK)
		return false;
	*reason = ca_reason_name((unsigned)rv.reason);
	ca_iso_time(rv.when, when);
	return true;
}

static void cert_json(FILE *out, store_txn *t, const ca_cert_rec *r, const char *status)
{
	const char *reason;
	char when[32];
	char hex[2 * PKIX_SERIAL_LEN + 1], nb[32], na[32], is[32];

	ca_serial_hex(r->serial, PKIX_SERIAL_LEN, hex);
	ca_iso_time(r->nb, nb);
	ca_iso_time(r->na, na);
	ca_iso_time(r->issued, is);
	fprintf(out, "{\"serial\":\"%s\",\"status\":\"%s\",\"subject\":", hex, status);
	json_str(out, r->subject);
	fprintf(out, ",\"san\":");
	json_str(out, r->san);
	fprintf(out, ",\"profile\":");
	json_str(out, r->profile);
	fprintf(out, ",\"ca\":");
	json_str(out, r->ca);
	fprintf(out, ",\"kind\":");
	json_str(out, r->kind);
	fprintf(out, ",\"key\":");
	json_str(out, r->keytype);
	fprintf(out, ",\"segment\":");
	json_str(out, r->segment);
	fprintf(out, ",\"source\":");
	json_str(out, r->source);
	fprintf(out, ",\"policy_sha256\":");
	json_str(out, r->policy_hash);
	fprintf(out, ",\"not_before\":\"%s\",\"not_after\":\"%s\",\"issued\":\"%s\"", nb, na, is);
	if (revocation_text(t, r, &reason, when))
		fprintf(out, ",\"revoked\":{\"reason\":\"%s\",\"date\":\"%s\"}", reason, when);
	fputc('}', out);
}

struct certs_ctx {
	ca_ctx *c;
	const ca_certs_filter *f;
	store_txn *t;
	FILE *out;
	time_t now;
	size_t n;
};

static pc_rc certs_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct certs_ctx *x = ctx;
	ca_cert_rec r;
	const char *status;
	char hex[2 * PKIX_SERIAL_LEN + 1], na[32];

	(void)key;
	(void)stop;
	PC_TRY(ca_cert_rec_decode(val, &r, e));
	status = ca_cert_status(x->t, &r, x->now);
	if ((x->f->segment && strcmp(x->f->segment, r.segment) != 0) ||
	    (x->f->revoked && strcmp(status, "revoked") != 0) ||
	    (x->f->expiring_days >= 0 && (strcmp(status, "valid") != 0 ||
	    (time_t)r.na > x->now + (time_t)x->f->expiring_days * 86400))) {
		ca_cert_rec_free(&r);
		return PC_OK;
	}
	if (x->c->json) {
		if (x->n)
			fputc(',', x->out);
		cert_json(x->out, x->t, &r, status);
	} else {
		const char *reason;
		char when[32];
		ca_serial_hex(r.serial, PKIX_SERIAL_LEN, hex);
		ca_iso_time(r.na, na);
		fprintf(x->out, "%s  %-7s  %.10s  %-10s  %-10s  ", hex, status, na, r.profile, r.ca);
		pc_text_fputs(x->out, r.subject);     /* from a CSR: escaped */
		if (r.san[0]) {
			fputs("  ", x->out);
			pc_text_fputs(x->out, r.san);
		}
		if (revocation_text(x->t, &r, &reason, when))
			fprintf(x->out, "  [revoked %s %s]", when, reason);
		fputc('\n', x->out);
	}
	x->n++;
	ca_cert_rec_free(&r);
	return PC_OK;
}

pc_rc ca_certs(ca_ctx *c, const ca_certs_filter *f, FILE *out, pc_err *e)
{
	struct certs_ctx x = { c, f, NULL, out, time(NULL), 0 };
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &x.t, e));
	if (c->json)
		fputc('[', out);
	else
		fprintf(out, "%-40s  %-7s  %-10s  %-10s  %-10s  %s\n", "SERIAL", "STATUS", "NOT AFTER",
		    "PROFILE", "CA", "SUBJECT  SAN");
	rc = store_scan(x.t, STORE_CERTS, NULL, 0, false, certs_visit, &x, e);
	if (c->json)
		fputs("]\n", out);
	store_abort(x.t);
	return rc;
}

pc_rc ca_show(ca_ctx *c, const char *serial_text, bool pem, FILE *out, pc_err *e)
{
	uint8_t serial[PKIX_SERIAL_LEN];
	store_txn *t;
	pc_reader val;
	ca_cert_rec r;
	pc_rc rc;

	PC_TRY(ca_serial_parse(serial_text, serial, e));
	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_CERTS, serial, sizeof serial, &val, e);
	if (rc == PC_E_NOTFOUND)
		rc = pc_fail(e, PC_E_NOTFOUND, "serial %s: no such certificate", serial_text);
	if (rc == PC_OK)
		rc = ca_cert_rec_decode(val, &r, e);
	if (rc != PC_OK) {
		store_abort(t);
		return rc;
	}
	if (pem) {
		pc_buf b = PC_BUF_INIT;
		pc_pem_encode(&b, "CERTIFICATE", r.der, r.der_len);
		if (pc_buf_ok(&b))
			fwrite(b.p, 1, b.len, out);
		pc_buf_free(&b);
	} else if (c->json) {
		cert_json(out, t, &r, ca_cert_status(t, &r, time(NULL)));
		fputc('\n', out);
	} else {
		char hex[2 * PKIX_SERIAL_LEN + 1], nb[32], na[32], is[32], fp[96];
		ca_serial_hex(r.serial, PKIX_SERIAL_LEN, hex);
		ca_iso_time(r.nb, nb);
		ca_iso_time(r.na, na);
		ca_iso_time(r.issued, is);
		ca_fingerprint(r.der, r.der_len, fp);
		/* subject, SAN and source come from a CSR and its bundle:
		 * through the display escaper */
		fprintf(out, "serial:     %s\nstatus:     %s\nsubject:    ", hex,
		    ca_cert_status(t, &r, time(NULL)));
		pc_text_fputs(out, r.subject);
		fputs("\nSAN:        ", out);
		pc_text_fputs(out, r.san[0] ? r.san : "(none)");
		fprintf(out, "\nkey:        %s\nprofile:    %s\nissued by:  CA %s\nvalid:      %s .. %s\n"
		    "issued at:  %s\nsegment:    %s\nsource:     ", r.keytype, r.profile, r.ca, nb, na,
		    is, r.segment[0] ? r.segment : "(none)");
		pc_text_fputs(out, r.source);
		fprintf(out, "\nSHA-256:    %s\n", fp);
		fprintf(out, "policy:     %s\n", r.policy_hash[0] ? r.policy_hash : "(not recorded)");
		{
			const char *reason;
			char when[32];
			if (revocation_text(t, &r, &reason, when))
				fprintf(out, "revoked:    %s (%s)\n", when, reason);
		}
	}
	ca_cert_rec_free(&r);
	store_abort(t);
	return PC_OK;
}

pc_rc ca_audit_log(ca_ctx *c, FILE *out, pc_err *e)
{
	store_txn *t;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = audit_print(t, out, c->json, e);
	store_abort(t);
	return rc;
}

pc_rc ca_audit_verify(ca_ctx *c, FILE *out, pc_err *e)
{
	store_txn *t;
	uint64_t n = 0, findings = 0;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = audit_verify(t, &n, e);
	store_abort(t);
	if (rc != PC_OK)
		return rc;
	/* the chain is intact; now what it recorded must agree with itself:
	 * no request with two certificates, no certificate without its
	 * request (ca/check.c) */
	if (c->json)
		fprintf(out, "{\"events\":%" PRIu64 ",", n);
	else
		fprintf(out, "audit trail intact: %" PRIu64 " events\n", n);
	rc = ca_check_store(c, out, c->json, &findings, e);
	if (c->json)
		fprintf(out, ",\"ok\":%s}\n", rc == PC_OK ? "true" : "false");
	return rc;
}
