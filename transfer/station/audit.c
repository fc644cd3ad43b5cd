/*
 * audit.c - the CA's signed audit checkpoints on the plant side: accept
 * keeps each one a response carries (DIR/audit/SEQ.checkpoint), and verb
 * audit-check proves that a CA audit trail (`plantca audit export`) still
 * holds every head the plant was shown.
 *
 * A checkpoint arrives inside a bundle the CA transfer key signed, and its
 * own signature is checked against the audit key it names; the first
 * audit key a station sees is the one it holds every later checkpoint to
 * (a new key is refused: a CA restored onto another token needs the
 * station's audit/ folder moved away, on purpose).  A checkpoint older
 * than one kept, or another head for a sequence already kept, is kept
 * aside and reported: it is what a CA restored from an old backup, or a
 * rewritten trail, shows, and audit-check then names it.
 *
 * The trail (common/auditev.h PC_AUDIT_TRAIL_MAGIC) is read strictly and
 * every hash recomputed from the fields: the check needs nothing from the
 * CA but the file.
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "auditev.h"
#include "file.h"
#include "json.h"
#include "pem.h"
#include "station.h"

/* ------------------------------------------------------- kept checkpoints */

PC_CHECK static pc_rc audit_dir(const char *dir, char out[PATH_MAX], pc_err *e)
{
	return st_path_join(out, dir, "audit", e);
}

void st_kept_free(st_kept *k)
{
	free(k->v);
	memset(k, 0, sizeof *k);
}

static int kept_cmp(const void *a, const void *b)
{
	const tr_checkpoint *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

pc_rc st_kept_load(const char *dir, st_kept *k, pc_err *e)
{
	char ad[PATH_MAX], path[PATH_MAX];
	struct dirent *d;
	DIR *dd;
	pc_rc rc = PC_OK;

	memset(k, 0, sizeof *k);
	PC_TRY(audit_dir(dir, ad, e));
	if ((dd = opendir(ad)) == NULL)
		return errno == ENOENT ? PC_OK : pc_fail(e, PC_E_IO, "%s: %s", ad, strerror(errno));
	while (rc == PC_OK && (d = readdir(dd)) != NULL) {
		uint8_t *buf;
		size_t len;
		if (!st_has_suffix(d->d_name, ".checkpoint"))
			continue;
		if ((rc = st_path_join(path, ad, d->d_name, e)) != PC_OK ||
		    (rc = pc_file_read(path, TR_CHECKPOINT_MAX, &buf, &len, e)) != PC_OK)
			break;
		if (!pc_grow(&k->v, &k->cap, k->n, sizeof *k->v, 16))
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		if (rc == PC_OK && (rc = tr_checkpoint_parse(buf, len, path, &k->v[k->n], e)) == PC_OK &&
		    (rc = tr_checkpoint_verify(&k->v[k->n], path, e)) == PC_OK)
			k->n++;
		free(buf);
	}
	closedir(dd);
	if (rc != PC_OK) {
		st_kept_free(k);
		return rc;
	}
	if (k->n > 1)
		qsort(k->v, k->n, sizeof *k->v, kept_cmp);
	return PC_OK;
}

pc_rc st_checkpoint_check(const char *dir, const uint8_t *p, size_t len, const char *what,
    tr_checkpoint *cp, pc_err *e)
{
	st_kept k;
	size_t i;
	pc_rc rc;

	PC_TRY(tr_checkpoint_parse(p, len, what, cp, e));
	PC_TRY(tr_checkpoint_verify(cp, what, e));
	PC_TRY(st_kept_load(dir, &k, e));
	rc = PC_OK;
	for (i = 0; i < k.n && rc == PC_OK; i++)
		if (memcmp(k.v[i].key, cp->key, sizeof cp->key) != 0)
			rc = pc_fail(e, PC_E_SIGNATURE, "%s: signed by another audit key than the "
			    "checkpoints in DIR/audit/ (a CA audit key does not change; if the CA was "
			    "rebuilt on purpose, move DIR/audit away first)", what);
	st_kept_free(&k);
	return rc;
}

pc_rc st_checkpoint_keep(const char *dir, const tr_checkpoint *cp, const char *bundle, pc_err *e)
{
	char ad[PATH_MAX], path[PATH_MAX], name[64];
	pc_buf b = PC_BUF_INIT;
	st_kept k;
	size_t i;
	bool other = false, older = false;
	pc_rc rc;

	PC_TRY(st_kept_load(dir, &k, e));
	for (i = 0; i < k.n; i++) {
		if (k.v[i].seq == cp->seq && memcmp(k.v[i].head, cp->head, sizeof cp->head) != 0)
			other = true;
		if (k.v[i].seq > cp->seq)
			older = true;
		if (k.v[i].seq == cp->seq && memcmp(k.v[i].head, cp->head, sizeof cp->head) == 0) {
			st_kept_free(&k);
			return PC_OK;          /* kept already (the bundle accepted again) */
		}
	}
	st_kept_free(&k);
	if (other || older)
		fprintf(stderr, "plantca-station: warning: %s: the CA's audit checkpoint of event %"
		    PRIu64 " %s: its trail was rewritten or restored from a backup (run audit-check "
		    "on the CA's trail)\n", bundle, cp->seq, other ?
		    "has another head than the one kept for that event" :
		    "is older than a checkpoint kept before");
	PC_TRY(audit_dir(dir, ad, e));
	PC_TRY(pc_mkdir(ad, 0700, e));
	/* a second head for one sequence is kept beside the first, by time */
	if (other)
		snprintf(name, sizeof name, "%020" PRIu64 "-%" PRIu64 ".checkpoint", cp->seq, cp->time);
	else
		snprintf(name, sizeof name, "%020" PRIu64 ".checkpoint", cp->seq);
	PC_TRY(st_path_join(path, ad, name, e));
	tr_checkpoint_format(cp, &b);
	rc = pc_buf_ok(&b) ? pc_file_write_atomic(path, b.p, b.len, 0600, false, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

/* ---------------------------------------------------------- the CA trail */

/* One field of a trail line: "-" or lowercase hex of at most
 * PC_AUDIT_FIELD_MAX bytes, decoded into out. */
static bool trail_field(const char *s, size_t n, uint8_t *out, size_t *len)
{
	size_t i;

	if (n == 1 && s[0] == '-') {
		*len = 0;
		return true;
	}
	if (n == 0 || n % 2 != 0 || n / 2 > PC_AUDIT_FIELD_MAX)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	for (i = 0; i < n / 2; i++) {
		unsigned hi = (unsigned)(s[2 * i] <= '9' ? s[2 * i] - '0' : s[2 * i] - 'a' + 10);
		unsigned lo = (unsigned)(s[2 * i + 1] <= '9' ? s[2 * i + 1] - '0' : s[2 * i + 1] - 'a' + 10);
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	*len = n / 2;
	return true;
}

static bool trail_u64(const char *s, size_t n, uint64_t *v)
{
	char tmp[21];

	if (n == 0 || n > 20 || (n > 1 && s[0] == '0'))
		return false;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return st_u64_parse(tmp, v);
}

pc_rc st_trail_parse(const uint8_t *p, size_t len, const char *path, st_trail_fn fn, void *ctx,
    pc_err *e)
{
	static const char magic[] = PC_AUDIT_TRAIL_MAGIC;
	uint8_t *fields[4] = { NULL, NULL, NULL, NULL }, prev[PC_AUDIT_HASH_LEN] = { 0 };
	size_t at, line = 1, i;
	uint64_t next = 1;
	pc_rc rc = PC_OK;

	if (len < sizeof magic - 1 || memcmp(p, magic, sizeof magic - 1) != 0)
		return pc_fail(e, PC_E_INPUT, "%s:1: not a plantca audit trail (first line is not "
		    "'plantca audit trail 1')", path);
	for (i = 0; i < 4; i++)
		if ((fields[i] = malloc(PC_AUDIT_FIELD_MAX)) == NULL)
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	for (at = sizeof magic - 1; rc == PC_OK && at < len; ) {
		const char *s = (const char *)p + at, *tok[6];
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		size_t n, tl[6], k = 0, j;
		pc_audit_event ev;
		size_t flen[4];

		line++;
		if (nl == NULL) {
			rc = pc_fail(e, PC_E_INPUT, "%s:%zu: no newline at the end", path, line);
			break;
		}
		n = (size_t)(nl - (p + at));
		for (j = 0; j <= n && k < 6; k++) {
			size_t st = j;
			while (j < n && s[j] != ' ')
				j++;
			tok[k] = s + st;
			tl[k] = j - st;
			j++;
		}
		memset(&ev, 0, sizeof ev);
		if (k != 6 || j <= n) {
			rc = pc_fail(e, PC_E_INPUT, "%s:%zu: expected SEQ TIME ACTION OBJECT RESULT DETAIL",
			    path, line);
			break;
		}
		if (!trail_u64(tok[0], tl[0], &ev.seq) || !trail_u64(tok[1], tl[1], &ev.time)) {
			rc = pc_fail(e, PC_E_INPUT, "%s:%zu: SEQ and TIME must be decimals", path, line);
			break;
		}
		if (ev.seq != next) {
			rc = pc_fail(e, PC_E_INPUT, "%s:%zu: event %" PRIu64 " where event %" PRIu64
			    " belongs (the trail must hold every event from 1, in order)", path, line,
			    ev.seq, next);
			break;
		}
		for (j = 0; j < 4 && rc == PC_OK; j++)
			if (!trail_field(tok[2 + j], tl[2 + j], fields[j], &flen[j]))
				rc = pc_fail(e, PC_E_INPUT, "%s:%zu: field %zu is neither '-' nor lowercase "
				    "hex of at most %d bytes", path, line, j + 3, PC_AUDIT_FIELD_MAX);
		/* the CA's record codec never writes a NUL into these text
		 * fields (and refuses to hash one): such a line is no event */
		for (j = 0; j < 4 && rc == PC_OK; j++)
			if (memchr(fields[j], '\0', flen[j]) != NULL)
				rc = pc_fail(e, PC_E_INPUT, "%s:%zu: field %zu holds a NUL byte, which no "
				    "audit event has", path, line, j + 3);
		if (rc != PC_OK)
			break;
		ev.action = fields[0]; ev.action_len = flen[0];
		ev.object = fields[1]; ev.object_len = flen[1];
		ev.result = fields[2]; ev.result_len = flen[2];
		ev.detail = fields[3]; ev.detail_len = flen[3];
		memcpy(ev.prev, prev, sizeof prev);
		if ((rc = pc_audit_event_hash(ev.hash, &ev, e)) != PC_OK ||
		    (rc = fn(ctx, &ev, e)) != PC_OK)
			break;
		memcpy(prev, ev.hash, sizeof prev);
		next++;
		at += n + 1;
	}
	for (i = 0; i < 4; i++)
		free(fields[i]);
	return rc;
}

/* ------------------------------------------------------ verb audit-check */

struct check_ctx {
	const st_kept *k;
	size_t next;                   /* the next kept checkpoint to meet */
	uint64_t events;
	const char *trail;
};

PC_CHECK static pc_rc check_event(void *ctx, const pc_audit_event *ev, pc_err *e)
{
	struct check_ctx *c = ctx;
	char a[2 * PC_AUDIT_HASH_LEN + 1], b[2 * PC_AUDIT_HASH_LEN + 1];

	c->events = ev->seq;
	for (; c->next < c->k->n && c->k->v[c->next].seq == ev->seq; c->next++) {
		const tr_checkpoint *cp = &c->k->v[c->next];
		if (memcmp(cp->head, ev->hash, PC_AUDIT_HASH_LEN) != 0) {
			pc_hex_str(a, sizeof a, ev->hash, PC_AUDIT_HASH_LEN, 0);
			pc_hex_str(b, sizeof b, cp->head, PC_AUDIT_HASH_LEN, 0);
			return pc_fail(e, PC_E_AUDIT, "%s: event %" PRIu64 " has hash %s, but the CA's "
			    "audit key signed %s for it in a checkpoint this station kept: the trail "
			    "was rewritten after the plant was shown it", c->trail, ev->seq, a, b);
		}
	}
	return PC_OK;
}

pc_rc st_audit_check(const st_args *args, pc_err *e)
{
	const char *dir = args->dir, *trail = args->ops[0].path;
	struct check_ctx c;
	st_conf conf;
	st_kept k;
	uint8_t *buf = NULL;
	size_t len = 0;
	pc_rc rc;

	PC_TRY(st_conf_load(dir, &conf, e));
	PC_TRY(st_kept_load(dir, &k, e));
	if (k.n == 0) {
		st_kept_free(&k);
		return pc_fail(e, PC_E_STATE, "%s/audit: no checkpoints kept yet (each accepted "
		    "response bundle brings one)", dir);
	}
	memset(&c, 0, sizeof c);
	c.k = &k;
	c.trail = trail;
	rc = pc_file_read(trail, ST_TRAIL_MAX, &buf, &len, e);
	if (rc == PC_OK)
		rc = st_trail_parse(buf, len, trail, check_event, &c, e);
	if (rc == PC_OK && c.next < k.n)
		rc = pc_fail(e, PC_E_AUDIT, "%s: ends at event %" PRIu64 ", but the CA's audit key "
		    "signed event %" PRIu64 " in a checkpoint this station kept: events were removed "
		    "from the trail", trail, c.events, k.v[c.next].seq);
	if (rc == PC_OK) {
		if (args->o.json) {
			printf("{\"trail\":");
			json_str(stdout, trail);
			printf(",\"events\":%" PRIu64 ",\"checkpoints\":%zu,\"ok\":true}\n", c.events,
			    k.n);
		} else {
			printf("%s: %" PRIu64 " events, hash chain intact; all %zu checkpoint%s this "
			    "station kept (last: event %" PRIu64 ") are in it\n", trail, c.events, k.n,
			    k.n == 1 ? "" : "s", k.v[k.n - 1].seq);
		}
	}
	free(buf);
	st_kept_free(&k);
	return rc;
}
