/*
 * cmp_state.c - CMP transactions on the station's disk and the answers a
 * response bundle brings for them (station.h "CMP").
 *
 * A transaction is DIR/cmp/TXID.tx, rewritten atomically (temporary file,
 * fsync, rename, fsync of the directory) at every change of state before
 * the device hears of it, so that a crash or a restart of serve loses
 * nothing the device was told.  The files are never removed: the set of
 * names is the set of transaction IDs ever used, and a second request
 * with one of them is refused (transactionIdInUse).
 *
 * TXID.tx and cmp-TXID.answer are untrusted input (a plant PC's disk, a
 * bundle member): both are parsed strictly through the bounded reader.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmp.h"
#include "fault.h"
#include "file.h"
#include "station.h"
#include "text.h"

static const char *const state_names[] = {
	[ST_TX_QUEUED] = "queued", [ST_TX_SENT] = "sent", [ST_TX_ANSWERED] = "answered",
	[ST_TX_DELIVERED] = "delivered", [ST_TX_CONFIRMED] = "confirmed",
	[ST_TX_REJECTED] = "rejected", [ST_TX_CLOSED] = "closed", [ST_TX_EXPIRED] = "expired",
	[ST_TX_CERT_REJECTED] = "cert-rejected", [ST_TX_REPORTED] = "reported",
};

const char *st_tx_state_name(st_tx_state s)
{
	if ((int)s < ST_TX_QUEUED || (int)s > ST_TX_REPORTED)
		return "?";
	return state_names[s];
}

static bool hex_ok(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max || n % 2 != 0)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/* Display-escaped text: well-formed UTF-8 without controls. */
static bool text_ok(const char *s)
{
	const char *p;

	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p == 0x7f)
			return false;
	return pc_utf8_valid(s, strlen(s));
}

void st_tx_format(const st_tx *t, pc_buf *b)
{
	char nb[16];

	pc_buf_printf(b, "transaction: %s\nkind: %s\nstate: %s\ncreated: %llu\nupdated: %llu\n"
	    "cert-req-id: %ld\nprofile: %s\nsigner: %s\n", t->txid,
	    pkix_cmp_body_name(t->body, nb, sizeof nb), st_tx_state_name(t->state),
	    (unsigned long long)t->created, (unsigned long long)t->updated, t->cert_req_id,
	    t->profile, t->signer);
	if (t->bundle[0])
		pc_buf_printf(b, "bundle: %s\n", t->bundle);
	if (t->serial[0])
		pc_buf_printf(b, "serial: %s\n", t->serial);
	if (t->device[0])
		pc_buf_printf(b, "device: %s\n", t->device);
	if (t->reason[0])
		pc_buf_printf(b, "reason: %s\n", t->reason);
	if (t->implicit_confirm)
		pc_buf_printf(b, "implicit-confirm: yes\n");
}

enum tx_key { T_TXID, T_KIND, T_STATE, T_CREATED, T_UPDATED, T_REQID, T_PROFILE, T_SIGNER,
	T_BUNDLE, T_SERIAL, T_DEVICE, T_REASON, T_IMPLICIT, T_COUNT };
static const char *const tx_keys[T_COUNT] = {
	"transaction", "kind", "state", "created", "updated", "cert-req-id", "profile", "signer",
	"bundle", "serial", "device", "reason", "implicit-confirm",
};
/* what each value must be, for the refusal */
static const char *const tx_wants[T_COUNT] = {
	"expected 2 to 64 lowercase hex digits",
	"expected ir, cr, p10cr, kur or rr",
	("expected queued, sent, answered, delivered, confirmed, rejected, closed, expired, "
	    "cert-rejected or reported"),
	"expected a decimal of at most 20 digits",
	"expected a decimal of at most 20 digits",
	"expected -1 or a decimal from 0 to 2147483647",
	"expected a profile name ([A-Za-z0-9][A-Za-z0-9._-]{0,62})",
	"expected 64 lowercase hex digits",
	"expected a bundle name ([A-Za-z0-9][A-Za-z0-9._-]{0,99}, no '..')",
	"expected 2 to 42 lowercase hex digits",
	"expected up to 400 bytes of UTF-8 without control characters",
	"expected up to 400 bytes of UTF-8 without control characters",
	"expected yes",
};
enum { T_REQUIRED = T_SIGNER + 1 };   /* the keys before bundle are required */

static int body_from_name(const char *v)
{
	static const int kinds[] = { PKIX_CMP_IR, PKIX_CMP_CR, PKIX_CMP_P10CR, PKIX_CMP_KUR,
		PKIX_CMP_RR };
	char nb[16];
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(v, pkix_cmp_body_name(kinds[i], nb, sizeof nb)) == 0)
			return kinds[i];
	return -1;
}

/* Copy v (n bytes, NUL-free) into dst of cap bytes; false if it is longer. */
static bool copy_field(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap)
		return false;
	memcpy(dst, v, n + 1);
	return true;
}

PC_CHECK static pc_rc tx_line(char *l, const char *what, unsigned lno, unsigned *seen, st_tx *t,
    pc_err *e)
{
	char *v = strstr(l, ": ");
	uint64_t u;
	int k;
	bool ok = true;

	if (v == NULL)
		return pc_fail(e, PC_E_INPUT, "%s:%u: not 'key: value'", what, lno);
	*v = '\0';
	v += 2;
	for (k = 0; k < T_COUNT && strcmp(l, tx_keys[k]) != 0; k++)
		;
	if (k == T_COUNT)
		return pc_fail(e, PC_E_INPUT, "%s:%u: unknown key '%.40s'", what, lno, l);
	if (*seen & (1u << k))
		return pc_fail(e, PC_E_INPUT, "%s:%u: %s given twice", what, lno, tx_keys[k]);
	*seen |= 1u << k;
	switch (k) {
	case T_TXID: ok = hex_ok(v, 2 * ST_TXID_MAX) && copy_field(t->txid, sizeof t->txid, v); break;
	case T_KIND: ok = (t->body = body_from_name(v)) >= 0; break;
	case T_STATE:
		for (t->state = ST_TX_QUEUED; t->state <= ST_TX_REPORTED; t->state++)
			if (strcmp(v, state_names[t->state]) == 0)
				break;
		ok = t->state <= ST_TX_REPORTED;
		break;
	case T_CREATED: ok = st_u64_parse(v, &t->created); break;
	case T_UPDATED: ok = st_u64_parse(v, &t->updated); break;
	case T_REQID:
		if (strcmp(v, "-1") == 0)
			t->cert_req_id = -1;
		else if ((ok = st_u64_parse(v, &u) && u <= 0x7fffffff))
			t->cert_req_id = (long)u;
		break;
	case T_PROFILE:
		/* as the request's meta.json must name it (written into it later) */
		ok = tr_member_name_ok(v) && copy_field(t->profile, sizeof t->profile, v);
		break;
	case T_SIGNER: ok = hex_ok(v, 64) && strlen(v) == 64 && copy_field(t->signer, sizeof t->signer, v); break;
	case T_BUNDLE: ok = tr_member_name_ok(v) && copy_field(t->bundle, sizeof t->bundle, v); break;
	case T_SERIAL: ok = hex_ok(v, 2 * ST_SERIAL_MAX) && copy_field(t->serial, sizeof t->serial, v); break;
	case T_DEVICE: ok = text_ok(v) && copy_field(t->device, sizeof t->device, v); break;
	case T_IMPLICIT: ok = strcmp(v, "yes") == 0 && (t->implicit_confirm = true); break;
	default: ok = text_ok(v) && copy_field(t->reason, sizeof t->reason, v); break;
	}
	if (!ok)
		return pc_fail(e, PC_E_INPUT, "%s:%u: bad %s: %s", what, lno, tx_keys[k], tx_wants[k]);
	return PC_OK;
}

/* "key: value" lines of p[0..len) through fn. */
typedef pc_rc (*line_fn)(char *l, const char *what, unsigned lno, unsigned *seen, void *obj,
    pc_err *e);

PC_CHECK static pc_rc read_lines(const uint8_t *p, size_t len, size_t cap, const char *what,
    line_fn fn, void *obj, unsigned *seen, pc_err *e)
{
	pc_reader r = pc_reader_make(p, len);
	char line[1024];
	unsigned lno = 0;

	if (len > cap)
		return pc_fail(e, PC_E_LIMIT, "%s: %zu bytes, more than %zu", what, len, cap);
	while (pc_reader_left(&r) > 0) {
		const uint8_t *s = st_reader_at(&r), *nl = memchr(s, '\n', pc_reader_left(&r));
		size_t n;
		lno++;
		if (nl == NULL)
			return pc_fail(e, PC_E_INPUT, "%s:%u: no newline at the end", what, lno);
		n = (size_t)(nl - s);
		if (n >= sizeof line || memchr(s, '\0', n) != NULL)
			return pc_fail(e, PC_E_INPUT, "%s:%u: line too long or holds a NUL", what, lno);
		memcpy(line, s, n);
		line[n] = '\0';
		(void)pc_reader_take(&r, n + 1);
		PC_TRY(fn(line, what, lno, seen, obj, e));
	}
	return PC_OK;
}

PC_CHECK static pc_rc tx_line_cb(char *l, const char *what, unsigned lno, unsigned *seen, void *obj,
    pc_err *e)
{
	return tx_line(l, what, lno, seen, obj, e);
}

pc_rc st_tx_parse(const uint8_t *p, size_t len, const char *what, st_tx *t, pc_err *e)
{
	unsigned seen = 0;
	int k;

	memset(t, 0, sizeof *t);
	PC_TRY(read_lines(p, len, ST_TX_FILE_MAX, what, tx_line_cb, t, &seen, e));
	for (k = 0; k < T_REQUIRED; k++)
		if (!(seen & (1u << k)))
			return pc_fail(e, PC_E_INPUT, "%s: no %s", what, tx_keys[k]);
	return PC_OK;
}

PC_CHECK static pc_rc tx_path(char out[PATH_MAX], const char *dir, const char *txid,
    const char *ext, pc_err *e)
{
	if (!hex_ok(txid, 2 * ST_TXID_MAX))
		return pc_fail(e, PC_E_INTERNAL, "transaction id '%.80s' is not hex", txid);
	if ((size_t)snprintf(out, PATH_MAX, "%s/cmp/%s.%s", dir, txid, ext) >= PATH_MAX)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", dir);
	return PC_OK;
}

pc_rc st_tx_file_write(const char *dir, const char *txid, const char *ext, const uint8_t *p,
    size_t len, pc_err *e)
{
	char path[PATH_MAX], sub[PATH_MAX];

	PC_TRY(st_path_join(sub, dir, "cmp", e));
	PC_TRY(pc_mkdir(sub, 0700, e));
	PC_TRY(tx_path(path, dir, txid, ext, e));
	return pc_file_write_atomic(path, p, len, 0600, false, e);
}

pc_rc st_tx_file_read(const char *dir, const char *txid, const char *ext, size_t cap,
    uint8_t **p, size_t *len, pc_err *e)
{
	char path[PATH_MAX];
	struct stat sb;

	PC_TRY(tx_path(path, dir, txid, ext, e));
	if (stat(path, &sb) != 0 && errno == ENOENT)
		return pc_fail(e, PC_E_NOTFOUND, "%s: no such transaction file", path);
	return pc_file_read(path, cap, p, len, e);
}

pc_rc st_tx_load(const char *dir, const char *txid, st_tx *t, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *p;
	size_t n;
	pc_rc rc;

	PC_TRY(tx_path(path, dir, txid, "tx", e));
	PC_TRY(st_tx_file_read(dir, txid, "tx", ST_TX_FILE_MAX, &p, &n, e));
	rc = st_tx_parse(p, n, path, t, e);
	free(p);
	if (rc == PC_OK && strcmp(t->txid, txid) != 0)
		rc = pc_fail(e, PC_E_INPUT, "%s: names transaction %s", path, t->txid);
	return rc;
}

pc_rc st_tx_save(const char *dir, const st_tx *t, pc_err *e)
{
	pc_buf b = PC_BUF_INIT;
	pc_rc rc;

	st_tx_format(t, &b);
	rc = pc_buf_ok(&b) ? st_tx_file_write(dir, t->txid, "tx", b.p, b.len, e) :
	    pc_fail(e, PC_E_NOMEM, "out of memory");
	pc_buf_free(&b);
	return rc;
}

pc_rc st_tx_files_write(const char *dir, const st_tx_file *v, size_t n, pc_err *e)
{
	char sub[PATH_MAX], path[PATH_MAX], staged[PATH_MAX + 8];
	size_t i;

	if (n == 0)
		return PC_OK;
	PC_TRY(st_path_join(sub, dir, "cmp", e));
	PC_TRY(pc_mkdir(sub, 0700, e));
	/* every new content under a staging name first, then one sync of the
	 * file system: all of it is on disk before any name changes */
	for (i = 0; i < n; i++) {
		PC_TRY(tx_path(path, dir, v[i].txid, v[i].ext, e));
		snprintf(staged, sizeof staged, "%s.new", path);
		if (unlink(staged) != 0 && errno != ENOENT)
			return pc_fail(e, PC_E_IO, "%s: cannot remove: %s", staged, strerror(errno));
		PC_TRY(pc_file_write_nosync(staged, v[i].p, v[i].len, 0600, e));
	}
	PC_TRY(pc_dir_sync(sub, e));
	/* each rename replaces one file whole; the directory's fsync makes
	 * the new names durable together */
	for (i = 0; i < n; i++) {
		PC_TRY(tx_path(path, dir, v[i].txid, v[i].ext, e));
		snprintf(staged, sizeof staged, "%s.new", path);
		PC_TRY(PC_FAULT("cmp.rename", path, e));
		if (rename(staged, path) != 0)
			return pc_fail(e, PC_E_IO, "%s: cannot rename to %s: %s", staged, path,
			    strerror(errno));
	}
	return pc_dir_sync(sub, e);
}

pc_rc st_tx_save_many(const char *dir, const st_tx *t, size_t n, pc_err *e)
{
	pc_buf *b = calloc(n + 1, sizeof *b);
	st_tx_file *f = calloc(n + 1, sizeof *f);
	size_t i;
	pc_rc rc = PC_OK;

	if (b == NULL || f == NULL)
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	for (i = 0; rc == PC_OK && i < n; i++) {
		st_tx_format(&t[i], &b[i]);
		if (!pc_buf_ok(&b[i]))
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		f[i] = (st_tx_file){ t[i].txid, "tx", b[i].p, b[i].len };
	}
	if (rc == PC_OK)
		rc = st_tx_files_write(dir, f, n, e);
	for (i = 0; b != NULL && i < n; i++)
		pc_buf_free(&b[i]);
	free(b);
	free(f);
	return rc;
}

pc_rc st_tx_lock_open(const char *dir, int *fd, pc_err *e)
{
	char path[PATH_MAX];

	PC_TRY(st_path_join(path, dir, "cmp.lock", e));
	if ((*fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open", path);
	return PC_OK;
}

pc_rc st_tx_lock(const char *dir, int *fd, pc_err *e)
{
	PC_TRY(st_tx_lock_open(dir, fd, e));
	if (flock(*fd, LOCK_EX) != 0) {
		st_tx_lock_close(fd);
		return pc_fail(e, PC_E_IO, "%s/cmp.lock: cannot lock", dir);
	}
	return PC_OK;
}

void st_tx_lock_close(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int tx_cmp(const void *a, const void *b)
{
	return strcmp(((const st_tx *)a)->txid, ((const st_tx *)b)->txid);
}

pc_rc st_tx_list(const char *dir, st_tx **v, size_t *n, pc_err *e)
{
	char sub[PATH_MAX];
	DIR *d;
	struct dirent *de;
	size_t cap = 0;
	pc_rc rc = PC_OK;

	*v = NULL;
	*n = 0;
	PC_TRY(st_path_join(sub, dir, "cmp", e));
	if ((d = opendir(sub)) == NULL)
		return errno == ENOENT ? PC_OK : pc_fail(e, PC_E_IO, "%s: cannot read", sub);
	while (rc == PC_OK && (de = readdir(d)) != NULL) {
		char id[2 * ST_TXID_MAX + 1];
		size_t l = strlen(de->d_name);
		if (l < 4 || l - 3 > 2 * ST_TXID_MAX || !st_has_suffix(de->d_name, ".tx"))
			continue;
		memcpy(id, de->d_name, l - 3);
		id[l - 3] = '\0';
		if (!hex_ok(id, 2 * ST_TXID_MAX))
			continue;
		if (*n == cap) {
			size_t nc = cap ? 2 * cap : 16;
			st_tx *nv = realloc(*v, nc * sizeof *nv);
			if (nv == NULL) {
				rc = pc_fail(e, PC_E_NOMEM, "out of memory");
				break;
			}
			*v = nv;
			cap = nc;
		}
		if ((rc = st_tx_load(dir, id, &(*v)[*n], e)) == PC_OK)
			(*n)++;
	}
	closedir(d);
	if (rc != PC_OK) {
		free(*v);
		*v = NULL;
		*n = 0;
		return rc;
	}
	if (*n > 1)
		qsort(*v, *n, sizeof **v, tx_cmp);
	return PC_OK;
}

/* ------------------------------------------------------------- answers */

bool st_answer_member(const char *name, char txid[2 * ST_TXID_MAX + 1])
{
	size_t n = strlen(name);

	if (n < 4 + 7 + 2 || strncmp(name, "cmp-", 4) != 0 || !st_has_suffix(name, ".answer") ||
	    n - 11 > 2 * ST_TXID_MAX)
		return false;
	memcpy(txid, name + 4, n - 11);
	txid[n - 11] = '\0';
	return hex_ok(txid, 2 * ST_TXID_MAX);
}

enum ans_key { A_TXID, A_STATUS, A_SERIAL, A_REASON, A_COUNT };
static const char *const ans_keys[A_COUNT] = { "transaction", "status", "serial", "reason" };
static const char *const ans_wants[A_COUNT] = {
	"expected 2 to 64 lowercase hex digits", "expected issued, rejected, revoked or refused",
	"expected 2 to 42 lowercase hex digits",
	"expected up to 400 bytes of UTF-8 without control characters",
};

PC_CHECK static pc_rc ans_line_cb(char *l, const char *what, unsigned lno, unsigned *seen, void *obj,
    pc_err *e)
{
	st_answer *a = obj;
	char *v = strstr(l, ": ");
	int k;
	bool ok;

	if (v == NULL)
		return pc_fail(e, PC_E_BUNDLE, "%s:%u: not 'key: value'", what, lno);
	*v = '\0';
	v += 2;
	for (k = 0; k < A_COUNT && strcmp(l, ans_keys[k]) != 0; k++)
		;
	if (k == A_COUNT)
		return pc_fail(e, PC_E_BUNDLE, "%s:%u: unknown key '%.40s'", what, lno, l);
	if (*seen & (1u << k))
		return pc_fail(e, PC_E_BUNDLE, "%s:%u: %s given twice", what, lno, ans_keys[k]);
	*seen |= 1u << k;
	switch (k) {
	case A_TXID: ok = hex_ok(v, 2 * ST_TXID_MAX) && copy_field(a->txid, sizeof a->txid, v); break;
	case A_STATUS:
		ok = (strcmp(v, "issued") == 0 || strcmp(v, "rejected") == 0 ||
		    strcmp(v, "revoked") == 0 || strcmp(v, "refused") == 0) &&
		    copy_field(a->status, sizeof a->status, v);
		break;
	case A_SERIAL: ok = hex_ok(v, 2 * ST_SERIAL_MAX) && copy_field(a->serial, sizeof a->serial, v); break;
	default: ok = text_ok(v) && copy_field(a->reason, sizeof a->reason, v); break;
	}
	if (!ok)
		return pc_fail(e, PC_E_BUNDLE, "%s:%u: bad %s: %s", what, lno, ans_keys[k], ans_wants[k]);
	return PC_OK;
}

pc_rc st_answer_parse(const uint8_t *p, size_t len, const char *what, st_answer *a, pc_err *e)
{
	unsigned seen = 0;
	pc_rc rc;

	memset(a, 0, sizeof *a);
	rc = read_lines(p, len, ST_TX_FILE_MAX, what, ans_line_cb, a, &seen, e);
	if (rc != PC_OK)
		return rc == PC_E_INPUT ? (e->rc = PC_E_BUNDLE) : rc;
	if (!(seen & (1u << A_TXID)) || !(seen & (1u << A_STATUS)))
		return pc_fail(e, PC_E_BUNDLE, "%s: needs transaction and status", what);
	if (strcmp(a->status, "issued") == 0 && a->serial[0] == '\0')
		return pc_fail(e, PC_E_BUNDLE, "%s: issued without a serial", what);
	if (strcmp(a->status, "issued") != 0 && a->serial[0] != '\0')
		return pc_fail(e, PC_E_BUNDLE, "%s: a serial with status %s", what, a->status);
	return PC_OK;
}

pc_rc st_answers_apply(const char *dir, const st_answer *v, size_t n, const st_certs *devices,
    pc_err *e)
{
	st_tx *txs = calloc(n + 1, sizeof *txs);
	st_tx_file *files = calloc(2 * n + 1, sizeof *files);
	pc_buf *fmt = calloc(n + 1, sizeof *fmt);
	size_t i, j, nt = 0, nf = 0;
	pc_rc rc = PC_OK;

	if (txs == NULL || files == NULL || fmt == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	/* every answer judged first; then all the files written together */
	for (i = 0; i < n; i++) {
		const st_answer *a = &v[i];
		st_tx *t = &txs[nt];
		rc = st_tx_load(dir, a->txid, t, e);
		if (rc == PC_E_NOTFOUND) {
			/* an answer for a transaction this station does not hold
			 * (another station's directory restored here?): said, skipped */
			fprintf(stderr, "plantca-station: accept: warning: the response answers CMP "
			    "transaction %s, which this station does not hold\n", a->txid);
			rc = PC_OK;
			continue;
		}
		if (rc != PC_OK)
			goto out;
		if (t->state != ST_TX_QUEUED && t->state != ST_TX_SENT)
			continue;          /* answered before, or expired meanwhile */
		if (strcmp(a->status, "issued") == 0) {
			const st_cert *c = NULL;
			for (j = 0; j < devices->n && c == NULL; j++)
				if (strcmp(devices->v[j].serial, a->serial) == 0)
					c = &devices->v[j];
			if (c == NULL) {
				rc = pc_fail(e, PC_E_BUNDLE, "cmp-%s.answer: certificate %s is not in "
				    "the response", a->txid, a->serial);
				goto out;
			}
			files[nf++] = (st_tx_file){ t->txid, "crt", c->der, c->len };
			snprintf(t->serial, sizeof t->serial, "%s", a->serial);
			t->state = ST_TX_ANSWERED;
		} else if (strcmp(a->status, "rejected") == 0 || strcmp(a->status, "refused") == 0) {
			snprintf(t->reason, sizeof t->reason, "%s", a->reason[0] ? a->reason :
			    "rejected by the CA");
			t->state = t->body == PKIX_CMP_RR ? ST_TX_CLOSED : ST_TX_REJECTED;
		} else {
			t->state = ST_TX_CLOSED;   /* revoked: the rr was answered at once */
		}
		t->updated = (uint64_t)time(NULL);
		nt++;
	}
	/* the certificate before the state that points to it, in the same sync */
	for (i = 0; i < nt; i++) {
		st_tx_format(&txs[i], &fmt[i]);
		if (!pc_buf_ok(&fmt[i])) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
		files[nf++] = (st_tx_file){ txs[i].txid, "tx", fmt[i].p, fmt[i].len };
	}
	rc = st_tx_files_write(dir, files, nf, e);
out:
	for (i = 0; fmt != NULL && i < n; i++)
		pc_buf_free(&fmt[i]);
	free(fmt);
	free(files);
	free(txs);
	return rc;
}
