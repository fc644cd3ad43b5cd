/*
 * checkpoint.c - signed audit checkpoints (checkpoint.h).
 */
#include "checkpoint.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "fault.h"
#include "file.h"
#include "home.h"
#include "pem.h"
#include "pkix.h"
#include "records.h"

pc_rc ca_audit_key_generate(hsm *h, const char *idhex, hsm_key **out, pc_err *e)
{
	char label[64];

	snprintf(label, sizeof label, "plantca-%s-audit", idhex);
	return hsm_key_generate(h, HSM_ED25519, label, out, e);
}

/* The raw public key of an Ed25519 token key. */
PC_CHECK static pc_rc raw_pub(hsm_key *k, uint8_t pk[TR_PK_LEN], pc_err *e)
{
	size_t len = 0;
	const uint8_t *spki = hsm_key_spki(k, &len), *p = pkix_ed25519_raw(spki, len);

	if (p == NULL)
		return pc_fail(e, PC_E_STORE_CORRUPT, "the audit key is not Ed25519");
	memcpy(pk, p, TR_PK_LEN);
	return PC_OK;
}

/* The audit key, made in the token on first need (a home from before
 * checkpoints), with its event. */
pc_rc ca_audit_key(ca_ctx *c, hsm_key **k, uint8_t pk[TR_PK_LEN], pc_err *e)
{
	store_txn *t = NULL;
	char *uri = NULL, *id = NULL;
	hsm_key *made = NULL;
	pc_reader probe;
	pc_rc rc;

	PC_TRY_OUT(store_begin(c->st, false, &t, e));
	rc = store_get(t, STORE_META, META_AUDIT_KEY_URI, strlen(META_AUDIT_KEY_URI), &probe, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_AUDIT_KEY_URI, &uri, e);
	else if (rc == PC_E_NOTFOUND)
		rc = ca_meta_get_str(t, META_ID, &id, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK)
		goto out;
	if (uri == NULL) {
		if ((rc = ca_audit_key_generate(c->h, id, &made, e)) != PC_OK ||
		    (rc = raw_pub(made, pk, e)) != PC_OK)
			goto out;
		if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
			goto out;
		rc = ca_meta_put_str(t, META_AUDIT_KEY_URI, hsm_key_uri(made), e);
		if (rc == PC_OK)
			rc = store_put(t, STORE_META, META_AUDIT_KEY, strlen(META_AUDIT_KEY), pk,
			    TR_PK_LEN, false, e);
		if (rc == PC_OK) {
			char hex[2 * TR_PK_LEN + 1], detail[200];
			pc_hex_str(hex, sizeof hex, pk, TR_PK_LEN, 0);
			snprintf(detail, sizeof detail, "Ed25519 audit key %s made in the token for "
			    "signed checkpoints", hex);
			rc = audit_append(t, time(NULL), "audit.key", hsm_key_uri(made), "ok", detail, e);
		}
		if ((rc = store_end(&t, rc, e)) != PC_OK)
			goto out;
		if ((uri = strdup(hsm_key_uri(made))) == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if ((rc = ca_key_for(c, "#audit", uri, k, e)) == PC_OK)
		rc = raw_pub(*k, pk, e);
out:
	hsm_key_free(made);
	free(uri);
	free(id);
	return rc;
}

struct last_ctx {
	tr_checkpoint cp;
	bool found;
};

PC_CHECK static pc_rc last_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct last_ctx *l = ctx;

	(void)key;
	PC_TRY(tr_checkpoint_parse(val.p, pc_reader_left(&val), "stored audit checkpoint", &l->cp,
	    e));
	l->found = true;
	*stop = true;
	return PC_OK;
}

PC_CHECK static pc_rc latest(store_txn *t, struct last_ctx *l, pc_err *e)
{
	memset(l, 0, sizeof *l);
	return store_scan(t, STORE_META, META_AUDIT_CP, strlen(META_AUDIT_CP), true, last_visit, l,
	    e);
}

pc_rc ca_checkpoint_store(store_txn *t, const tr_checkpoint *cp, pc_err *e)
{
	char key[64], hex[2 * TR_AUDIT_HASH_LEN + 1], obj[32], detail[200];
	pc_buf text = PC_BUF_INIT;
	pc_rc rc;

	tr_checkpoint_format(cp, &text);
	snprintf(key, sizeof key, "%s%020" PRIu64, META_AUDIT_CP, cp->seq);
	rc = pc_buf_ok(&text) ? store_put(t, STORE_META, key, strlen(key), text.p, text.len, true, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&text);
	if (rc == PC_E_EXISTS)
		return PC_OK;                  /* this head is signed already */
	PC_TRY(rc);
	pc_hex_str(hex, sizeof hex, cp->head, sizeof cp->head, 0);
	snprintf(obj, sizeof obj, "event %" PRIu64, cp->seq);
	snprintf(detail, sizeof detail, "head %s signed by the audit key", hex);
	return audit_append(t, time(NULL), "audit.checkpoint", obj, "ok", detail, e);
}

pc_rc ca_checkpoint(ca_ctx *c, bool force, bool keep, bool *made, tr_checkpoint *out,
    bool *found, pc_err *e)
{
	struct last_ctx l;
	store_txn *t = NULL;
	uint64_t every = CA_CHECKPOINT_EVERY, head;
	uint8_t pk[TR_PK_LEN], headhash[TR_AUDIT_HASH_LEN];
	hsm_key *k = NULL;
	pc_buf msg = PC_BUF_INIT, sig = PC_BUF_INIT;
	bool have;
	pc_rc rc;

	*made = false;
	if ((rc = ca_audit_key(c, &k, pk, e)) != PC_OK || (rc = store_begin(c->st, true, &t, e)) != PC_OK)
		return rc;
	rc = ca_meta_get_u64(t, META_AUDIT_EVERY, &every, &have, e);
	if (rc == PC_OK && !have)
		every = CA_CHECKPOINT_EVERY;
	if (rc == PC_OK)
		rc = latest(t, &l, e);
	if (rc == PC_OK)
		rc = audit_head(t, &head, headhash, e);
	if (rc != PC_OK || head == 0 || (l.found && head == l.cp.seq) ||
	    (!force && l.found && head - l.cp.seq < every) || (!force && !l.found && head < every))
		goto done;
	{
		tr_checkpoint cp;
		memset(&cp, 0, sizeof cp);
		if ((rc = audit_head(t, &cp.seq, cp.head, e)) != PC_OK)
			goto done;
		cp.time = (uint64_t)time(NULL);
		memcpy(cp.key, pk, TR_PK_LEN);
		tr_checkpoint_message(&cp, &msg);
		if (!pc_buf_ok(&msg)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto done;
		}
		/* the token signs; hsm_sign checks the signature with the pkix verifier */
		if ((rc = hsm_sign(k, msg.p, msg.len, &sig, e)) != PC_OK)
			goto done;
		if (sig.len != TR_SIG_LEN) {
			rc = pc_fail(e, PC_E_HSM_FAIL, "the token made a %zu-byte Ed25519 signature", sig.len);
			goto done;
		}
		memcpy(cp.sig, sig.p, TR_SIG_LEN);
		if ((rc = tr_checkpoint_verify(&cp, "new audit checkpoint", e)) != PC_OK)
			goto done;
		if (keep)
			rc = ca_checkpoint_store(t, &cp, e);
		if (rc == PC_OK) {
			l.cp = cp;
			l.found = true;
			*made = true;
		}
	}
done:
	if (keep)
		rc = store_end(&t, rc, e);
	else
		store_abort(t);                /* the caller stores it (export_record) */
	pc_buf_free(&msg);
	pc_buf_free(&sig);
	if (rc == PC_OK && out != NULL)
		*out = l.cp;
	if (rc == PC_OK && found != NULL)
		*found = l.found;
	return rc;
}

struct verify_ctx {
	store_txn *t;
	uint8_t pk[TR_PK_LEN];
	bool have_key;
	uint64_t n;
};

PC_CHECK static pc_rc verify_visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	struct verify_ctx *v = ctx;
	uint8_t h[TR_AUDIT_HASH_LEN];
	char what[64], a[2 * TR_AUDIT_HASH_LEN + 1], b[2 * TR_AUDIT_HASH_LEN + 1];
	tr_checkpoint cp;
	pc_err de;

	snprintf(what, sizeof what, "checkpoint %.*s", (int)pc_reader_left(&key), (const char *)key.p);
	if (tr_checkpoint_parse(val.p, pc_reader_left(&val), what, &cp, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "%s (modified)", de.msg);
	snprintf(what, sizeof what, "checkpoint of event %" PRIu64, cp.seq);
	if (!v->have_key || sodium_memcmp(cp.key, v->pk, TR_PK_LEN) != 0)
		return pc_fail(e, PC_E_AUDIT, "%s: signed by another key than the recorded audit key "
		    "(forged)", what);
	if (tr_checkpoint_verify(&cp, what, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "%s: checkpoint signature mismatch: the audit key did not "
		    "sign this head (forged): %s", what, de.msg);
	if (audit_hash_at(v->t, cp.seq, h, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "%s: %s (the chain lost events the audit key signed)",
		    what, de.msg);
	if (sodium_memcmp(h, cp.head, TR_AUDIT_HASH_LEN) != 0) {
		pc_hex_str(a, sizeof a, h, sizeof h, 0);
		pc_hex_str(b, sizeof b, cp.head, sizeof cp.head, 0);
		return pc_fail(e, PC_E_AUDIT, "%s: checkpoint signature mismatch: event %" PRIu64
		    " has hash %s, the audit key signed %s: the chain was rewritten after the "
		    "checkpoint", what, cp.seq, a, b);
	}
	v->n++;
	return PC_OK;
}

/* An audit.checkpoint event (object "event N") says the audit key signed
 * the head at N: that checkpoint must still be stored (verify_visit then
 * checks it).  Without this, deleting the stored checkpoints made a
 * rewritten chain verify with "0 signed checkpoints". */
PC_CHECK static pc_rc cp_event_visit(void *ctx, uint64_t seq, const uint8_t *object,
    size_t object_len, pc_err *e)
{
	store_txn *t = ctx;
	char obj[32], key[64], *end = NULL;
	unsigned long long n;
	pc_reader probe;
	pc_rc rc;

	if (object_len < 7 || object_len >= sizeof obj || memcmp(object, "event ", 6) != 0)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 " (audit.checkpoint): object is not "
		    "'event N' (modified)", seq);
	memcpy(obj, object, object_len);
	obj[object_len] = '\0';
	n = strtoull(obj + 6, &end, 10);
	if (obj[6] < '1' || obj[6] > '9' || *end != '\0' || n >= seq)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 " (audit.checkpoint): object '%s' "
		    "names no earlier event (modified)", seq, obj);
	snprintf(key, sizeof key, "%s%020llu", META_AUDIT_CP, n);
	rc = store_get(t, STORE_META, key, strlen(key), &probe, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 " records a signed checkpoint of "
		    "event %llu, which is not in the store: the checkpoints were deleted (the chain "
		    "may have been rewritten; the stations' audit-check shows it)", seq, n);
	return rc;
}

pc_rc ca_checkpoints_verify(store_txn *t, uint64_t *n, pc_err *e)
{
	struct verify_ctx v;
	pc_reader val;
	pc_rc rc;

	memset(&v, 0, sizeof v);
	v.t = t;
	rc = store_get(t, STORE_META, META_AUDIT_KEY, strlen(META_AUDIT_KEY), &val, e);
	if (rc == PC_OK) {
		if (pc_reader_left(&val) != TR_PK_LEN)
			return pc_fail(e, PC_E_AUDIT, "META %s is %zu bytes, expected %d (modified)",
			    META_AUDIT_KEY, pc_reader_left(&val), TR_PK_LEN);
		memcpy(v.pk, val.p, TR_PK_LEN);
		v.have_key = true;
	} else if (rc != PC_E_NOTFOUND) {
		return rc;
	}
	rc = store_scan(t, STORE_META, META_AUDIT_CP, strlen(META_AUDIT_CP), false, verify_visit, &v,
	    e);
	*n = v.n;
	if (rc == PC_OK)
		rc = audit_each(t, "audit.checkpoint", cp_event_visit, t, e);
	return rc;
}

pc_rc ca_audit_checkpoint_verb(ca_ctx *c, pc_err *e)
{
	tr_checkpoint cp;
	bool made, found;
	char hex[2 * TR_AUDIT_HASH_LEN + 1];

	PC_TRY(ca_hsm_ready(c, e));
	PC_TRY(ca_checkpoint(c, true, true, &made, &cp, &found, e));
	if (!found)
		return pc_fail(e, PC_E_STATE, "the audit trail is empty: nothing to sign");
	pc_hex_str(hex, sizeof hex, cp.head, sizeof cp.head, 0);
	if (c->json)
		printf("{\"sequence\":%" PRIu64 ",\"head\":\"%s\",\"new\":%s}\n", cp.seq, hex,
		    made ? "true" : "false");
	else
		printf("audit checkpoint: event %" PRIu64 ", head %s%s\n", cp.seq, hex,
		    made ? "" : " (already signed)");
	return PC_OK;
}

pc_rc ca_audit_interval(ca_ctx *c, const char *text, pc_err *e)
{
	store_txn *t;
	char *end = NULL, detail[80];
	unsigned long long n;
	pc_rc rc;

	n = strtoull(text, &end, 10);
	if (text[0] < '1' || text[0] > '9' || *end != '\0' || n > CA_CHECKPOINT_EVERY_MAX)
		return pc_fail(e, PC_E_USAGE, "audit interval '%s': expected a number of events from 1 "
		    "to %d", text, CA_CHECKPOINT_EVERY_MAX);
	PC_TRY(store_begin(c->st, true, &t, e));
	rc = ca_meta_put_u64(t, META_AUDIT_EVERY, n, e);
	snprintf(detail, sizeof detail, "a signed checkpoint every %llu events", n);
	if (rc == PC_OK)
		rc = audit_append(t, time(NULL), "audit.interval", text, "ok", detail, e);
	PC_TRY(store_end(&t, rc, e));
	printf("audit checkpoints: every %llu events\n", n);
	return PC_OK;
}

pc_rc ca_audit_export(ca_ctx *c, const char *path, pc_err *e)
{
	store_txn *t;
	pc_afile f;
	char *text = NULL;
	size_t len = 0;
	FILE *m;
	pc_rc rc;

	if ((m = open_memstream(&text, &len)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if ((rc = store_begin(c->st, false, &t, e)) == PC_OK) {
		rc = audit_trail_write(t, m, e);
		store_abort(t);
	}
	if (fclose(m) != 0 && rc == PC_OK)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK && (rc = pc_afile_open(&f, path, 0644, e)) == PC_OK) {
		if ((rc = pc_afile_write(&f, text, len, e)) == PC_OK)
			rc = pc_afile_commit(&f, e);
	}
	free(text);
	if (rc == PC_OK)
		printf("%s: the audit trail (plantca-station audit-check DIR %s checks it against the "
		    "checkpoints the station kept)\n", path, path);
	return rc;
}
