/*
 * audit.c - the hash-chained audit trail (audit.h).
 *
 * The event record and its hash are common/auditev.h (plantca-station
 * recomputes them); events are stored in STORE_AUDIT under the key seq
 * (u64 big-endian).
 *
 * META "audit.head" = last seq (u64 big-endian) || last hash (32 bytes).
 *
 * Limit: the hash is unkeyed, so someone who can write the store can
 * rewrite a whole tail and the head consistently; the chain proves that
 * nothing changed only relative to a head hash kept elsewhere.
 */
#include "audit.h"

#include <inttypes.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auditev.h"
#include "json.h"
#include "rec.h"
#include "pem.h"
#include "text.h"

enum {
	AUDIT_HASH_LEN = PC_AUDIT_HASH_LEN,
	AUDIT_HEAD_LEN = 8 + AUDIT_HASH_LEN,
	AUDIT_FIELD_MAX = PC_AUDIT_FIELD_MAX,
	AUDIT_TIME_MAX = 32,
};

static const char HEAD_KEY[] = "audit.head";

/* Strict decode (see event_fields); views into r's bytes. */
PC_CHECK static pc_rc event_decode(pc_reader r, pc_audit_event *ev, pc_err *e)
{
	return pc_rec_decode(&pc_audit_event_type, r, ev, e);
}

static uint64_t load_u64be(const uint8_t *p)
{
	pc_reader r = pc_reader_make(p, 8);
	uint64_t v = 0;

	(void)pc_reader_u64be(&r, &v);
	return v;
}

static void store_u64be(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* Head: *found false (seq 0, zero hash) when there are no events yet. */
PC_CHECK static pc_rc head_read(store_txn *t, bool *found, uint64_t *seq,
    uint8_t hash[AUDIT_HASH_LEN], pc_err *e)
{
	pc_reader v;
	pc_rc rc;

	*found = false;
	*seq = 0;
	memset(hash, 0, AUDIT_HASH_LEN);
	rc = store_get(t, STORE_META, HEAD_KEY, sizeof HEAD_KEY - 1, &v, e);
	if (rc == PC_E_NOTFOUND)
		return PC_OK;
	PC_TRY(rc);
	if (pc_reader_left(&v) != AUDIT_HEAD_LEN)
		return pc_fail(e, PC_E_STORE_CORRUPT, "audit head is %zu "
		    "bytes, expected %d", pc_reader_left(&v), AUDIT_HEAD_LEN);
	*seq = load_u64be(v.p);
	memcpy(hash, v.p + 8, AUDIT_HASH_LEN);
	*found = true;
	return PC_OK;
}

static void text(const char *s, const uint8_t **p, size_t *len)
{
	*p = (const uint8_t *)(s ? s : "");
	*len = s ? strlen(s) : 0;
}

pc_rc audit_append(store_txn *t, time_t when, const char *action,
    const char *object, const char *result, const char *detail,
    pc_err *e)
{
	uint8_t key[8], head[AUDIT_HEAD_LEN];
	pc_buf rec = PC_BUF_INIT;
	pc_audit_event ev;
	uint64_t last;
	bool found;
	pc_rc rc;

	memset(&ev, 0, sizeof ev);
	if (when < 0)
		return pc_fail(e, PC_E_INTERNAL, "audit: time before 1970");
	ev.time = (uint64_t)when;
	text(action, &ev.action, &ev.action_len);
	text(object, &ev.object, &ev.object_len);
	text(result, &ev.result, &ev.result_len);
	text(detail, &ev.detail, &ev.detail_len);
	if (ev.action_len > AUDIT_FIELD_MAX || ev.object_len > AUDIT_FIELD_MAX ||
	    ev.result_len > AUDIT_FIELD_MAX || ev.detail_len > AUDIT_FIELD_MAX)
		return pc_fail(e, PC_E_LIMIT, "audit: event field longer than "
		    "%d bytes", AUDIT_FIELD_MAX);

	PC_TRY(head_read(t, &found, &last, ev.prev, e));
	if (last == UINT64_MAX)
		return pc_fail(e, PC_E_STORE_CORRUPT, "audit: sequence "
		    "exhausted");
	ev.seq = last + 1;
	PC_TRY(pc_audit_event_hash(ev.hash, &ev, e));

	if ((rc = pc_rec_encode(&pc_audit_event_type, &ev, &rec, e)) != PC_OK) {
		pc_buf_free(&rec);
		return pc_wrap(e, "audit");
	}
	/* History is never overwritten: the database refuses a used seq. */
	store_u64be(key, ev.seq);
	rc = store_put(t, STORE_AUDIT, key, sizeof key, rec.p, rec.len, true,
	    e);
	pc_buf_free(&rec);
	if (rc == PC_E_EXISTS)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": already "
		    "exists but the head says %" PRIu64 " (run plantca audit "
		    "verify)", ev.seq, last);
	PC_TRY(rc);

	store_u64be(head, ev.seq);
	memcpy(head + 8, ev.hash, AUDIT_HASH_LEN);
	return store_put(t, STORE_META, HEAD_KEY, sizeof HEAD_KEY - 1, head,
	    sizeof head, false, e);
}

struct verify_ctx {
	uint64_t next;                  /* expected sequence */
	uint8_t prev[AUDIT_HASH_LEN];   /* hash of event next - 1 */
	uint64_t checked;
};

PC_CHECK static pc_rc verify_visit(void *ctx, pc_reader key, pc_reader val,
    bool *stop, pc_err *e)
{
	struct verify_ctx *vc = ctx;
	uint8_t h[AUDIT_HASH_LEN];
	pc_audit_event ev;
	uint64_t seq;
	pc_err de;

	if (pc_reader_left(&key) != 8)
		return pc_fail(e, PC_E_AUDIT, "audit: a key of %zu bytes "
		    "where event %" PRIu64 " belongs (inserted)",
		    pc_reader_left(&key), vc->next);
	seq = load_u64be(key.p);
	if (seq < vc->next)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": not a "
		    "valid sequence number (inserted)", seq);
	if (seq > vc->next)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": missing "
		    "(deleted)", vc->next);
	if (event_decode(val, &ev, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": record "
		    "does not decode (modified): %s", seq, de.msg);
	if (ev.seq != seq)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": holds event "
		    "%" PRIu64 " (reordered)", seq, ev.seq);
	PC_TRY(pc_audit_event_hash(h, &ev, e));
	if (sodium_memcmp(h, ev.hash, AUDIT_HASH_LEN) != 0)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": hash does "
		    "not match its contents (modified)", seq);
	if (sodium_memcmp(ev.prev, vc->prev, AUDIT_HASH_LEN) != 0)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": "
		    "previous-hash link broken (deleted or reordered)", seq);
	memcpy(vc->prev, ev.hash, AUDIT_HASH_LEN);
	vc->next++;
	vc->checked++;
	return PC_OK;
}

pc_rc audit_verify(store_txn *t, uint64_t *checked, pc_err *e)
{
	struct verify_ctx vc;
	uint8_t hash[AUDIT_HASH_LEN];
	uint64_t head, last;
	bool found;
	pc_rc rc;

	memset(&vc, 0, sizeof vc);
	vc.next = 1;
	rc = store_scan(t, STORE_AUDIT, NULL, 0, false, verify_visit, &vc, e);
	if (checked != NULL)
		*checked = vc.checked;
	PC_TRY(rc);

	last = vc.next - 1;
	rc = head_read(t, &found, &head, hash, e);
	if (rc == PC_E_STORE_CORRUPT)
		return pc_fail(e, PC_E_AUDIT, "audit head malformed "
		    "(modified)");
	PC_TRY(rc);
	if (!found && last > 0)
		return pc_fail(e, PC_E_AUDIT, "chain ends at %" PRIu64 " but "
		    "the head is missing (deleted)", last);
	if (head > last)
		return pc_fail(e, PC_E_AUDIT, "chain ends at %" PRIu64 " but "
		    "head says %" PRIu64 " (events deleted)", last, head);
	if (head < last)
		return pc_fail(e, PC_E_AUDIT, "chain ends at %" PRIu64 " but "
		    "head says %" PRIu64 " (head rolled back or events added)",
		    last, head);
	if (sodium_memcmp(hash, vc.prev, AUDIT_HASH_LEN) != 0)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": hash does "
		    "not match the head (modified)", last);
	return PC_OK;
}

struct print_ctx {
	FILE *out;
	bool json;
	bool first;
	uint64_t last;   /* seq of the last event printed */
};

/* Text output is one event per line, through the display escaper: no
 * field can forge a line or act on the terminal, and a subject quoted in a
 * detail reads as on every other screen; an empty field prints "-". */
static void text_field(FILE *f, const uint8_t *p, size_t n)
{
	putc(' ', f);
	if (n == 0)
		putc('-', f);
	pc_text_fwrite(f, p, n, 0);
}

/* p[0..n) as lowercase hex (the one hex codec, pem.h), in pieces */
static void hex_body(FILE *f, const uint8_t *p, size_t n)
{
	char h[2 * 64 + 1];
	size_t i;

	for (i = 0; i < n; i += 64) {
		pc_hex_str(h, sizeof h, p + i, n - i < 64 ? n - i : 64, 0);
		fputs(h, f);
	}
}

static void hex(FILE *f, const uint8_t *p, size_t n)
{
	putc('"', f);
	hex_body(f, p, n);
	putc('"', f);
}

/* p[n] holds no NUL (the codec checks), so the copy is the whole field */
PC_CHECK static pc_rc json_field(FILE *f, const char *name, const uint8_t *p, size_t n,
    pc_err *e)
{
	char *s = pc_rec_val_strdup(pc_reader_make(p, n));

	if (s == NULL)
		return pc_fail(e, PC_E_NOMEM, "audit: out of memory");
	fprintf(f, ",\"%s\":", name);
	json_str(f, s);
	free(s);
	return PC_OK;
}

PC_CHECK static pc_rc print_visit(void *ctx, pc_reader key, pc_reader val,
    bool *stop, pc_err *e)
{
	struct print_ctx *pc = ctx;
	char when[AUDIT_TIME_MAX];
	pc_audit_event ev;
	pc_err de;

	if (pc_reader_left(&key) != 8)
		return pc_fail(e, PC_E_STORE_CORRUPT, "audit: a key of %zu bytes "
		    "after event %" PRIu64 " (run plantca audit verify)",
		    pc_reader_left(&key), pc->last);
	if (event_decode(val, &ev, &de) != PC_OK)
		return pc_fail(e, PC_E_STORE_CORRUPT, "audit: a record after "
		    "event %" PRIu64 " does not decode (run plantca audit "
		    "verify): %s", pc->last, de.msg);
	pc->last = ev.seq;
	pc_time_text((int64_t)ev.time, when);
	if (!pc->json) {
		fprintf(pc->out, "%" PRIu64 " %s", ev.seq, when);
		text_field(pc->out, ev.action, ev.action_len);
		text_field(pc->out, ev.object, ev.object_len);
		text_field(pc->out, ev.result, ev.result_len);
		text_field(pc->out, ev.detail, ev.detail_len);
		putc('\n', pc->out);
		return PC_OK;
	}
	fprintf(pc->out, "%s\n  {\"seq\":%" PRIu64 ",\"time\":\"%s\","
	    "\"unix_time\":%" PRIu64, pc->first ? "" : ",", ev.seq, when,
	    ev.time);
	pc->first = false;
	PC_TRY(json_field(pc->out, "action", ev.action, ev.action_len, e));
	PC_TRY(json_field(pc->out, "object", ev.object, ev.object_len, e));
	PC_TRY(json_field(pc->out, "result", ev.result, ev.result_len, e));
	PC_TRY(json_field(pc->out, "detail", ev.detail, ev.detail_len, e));
	fputs(",\"prev\":", pc->out);
	hex(pc->out, ev.prev, AUDIT_HASH_LEN);
	fputs(",\"hash\":", pc->out);
	hex(pc->out, ev.hash, AUDIT_HASH_LEN);
	putc('}', pc->out);
	return PC_OK;
}

pc_rc audit_print(store_txn *t, FILE *out, bool json, pc_err *e)
{
	struct print_ctx pc = { out, json, true, 0 };

	if (json)
		putc('[', out);
	PC_TRY(store_scan(t, STORE_AUDIT, NULL, 0, false, print_visit, &pc,
	    e));
	if (json)
		fputs(pc.first ? "]\n" : "\n]\n", out);
	if (fflush(out) != 0 || ferror(out))
		return pc_fail(e, PC_E_IO, "audit output: write failed");
	return PC_OK;
}

struct each_ctx {
	const char *action;
	audit_event_fn fn;
	void *ctx;
};

PC_CHECK static pc_rc each_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct each_ctx *c = ctx;
	pc_audit_event ev;
	pc_err de;

	(void)key;
	(void)stop;
	if (event_decode(val, &ev, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "audit: a record does not decode (modified): %s", de.msg);
	if (ev.action_len != strlen(c->action) || memcmp(ev.action, c->action, ev.action_len) != 0)
		return PC_OK;
	return c->fn(c->ctx, ev.seq, ev.object, ev.object_len, e);
}

pc_rc audit_each(store_txn *t, const char *action, audit_event_fn fn, void *ctx, pc_err *e)
{
	struct each_ctx c = { action, fn, ctx };

	return store_scan(t, STORE_AUDIT, NULL, 0, false, each_visit, &c, e);
}

pc_rc audit_head(store_txn *t, uint64_t *seq, uint8_t hash[AUDIT_HASH_LEN], pc_err *e)
{
	bool found;

	return head_read(t, &found, seq, hash, e);
}

pc_rc audit_hash_at(store_txn *t, uint64_t seq, uint8_t hash[AUDIT_HASH_LEN], pc_err *e)
{
	uint8_t key[8];
	pc_audit_event ev;
	pc_reader v;
	pc_err de;
	pc_rc rc;

	store_u64be(key, seq);
	rc = store_get(t, STORE_AUDIT, key, sizeof key, &v, e);
	if (rc == PC_E_NOTFOUND)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": missing", seq);
	PC_TRY(rc);
	if (event_decode(v, &ev, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "event %" PRIu64 ": record does not decode "
		    "(modified): %s", seq, de.msg);
	memcpy(hash, ev.hash, AUDIT_HASH_LEN);
	return PC_OK;
}

/* The trail as plantca-station audit-check reads it: each event's hashed
 * fields, text fields in hex ("-" when empty). */
static void trail_hex(FILE *f, const uint8_t *p, size_t n)
{
	putc(' ', f);
	if (n == 0)
		putc('-', f);
	hex_body(f, p, n);
}

PC_CHECK static pc_rc trail_visit(void *ctx, pc_reader key, pc_reader val, bool *stop,
    pc_err *e)
{
	FILE *f = ctx;
	pc_audit_event ev;
	pc_err de;

	(void)key;
	if (event_decode(val, &ev, &de) != PC_OK)
		return pc_fail(e, PC_E_AUDIT, "audit: a record does not decode (run plantca audit "
		    "verify): %s", de.msg);
	fprintf(f, "%" PRIu64 " %" PRIu64, ev.seq, ev.time);
	trail_hex(f, ev.action, ev.action_len);
	trail_hex(f, ev.object, ev.object_len);
	trail_hex(f, ev.result, ev.result_len);
	trail_hex(f, ev.detail, ev.detail_len);
	putc('\n', f);
	return PC_OK;
}

pc_rc audit_trail_write(store_txn *t, FILE *f, pc_err *e)
{
	fputs(PC_AUDIT_TRAIL_MAGIC, f);
	PC_TRY(store_scan(t, STORE_AUDIT, NULL, 0, false, trail_visit, f, e));
	if (fflush(f) != 0 || ferror(f))
		return pc_fail(e, PC_E_IO, "audit trail: write failed");
	return PC_OK;
}
