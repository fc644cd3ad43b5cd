/*
 * backup.c - `plantca backup DIR` and `plantca restore DIR --home NEW`.
 *
 * A backup is a directory:
 *   db/data.mdb      the store, LMDB's compacting copy (one read transaction:
 *                    a consistent snapshot even while nothing else runs)
 *   policy.conf      the active policy, if the home has one
 *   public/...       root.pem, transfer.pub, ... as in the home
 *   crl/...          the CRL files the store pins (HOME/crl/current)
 *   MANIFEST         "SHA256  PATH" per file, sorted: `sha256sum -c MANIFEST`
 *   MANIFEST.sig     Ed25519 signature (64 bytes) of MANIFEST by the audit
 *                    key in the token: `openssl pkeyutl -verify -rawin`
 * written beside DIR and renamed into place when complete.
 *
 * Restore checks every hash and that nothing else is in DIR, builds the
 * new home beside NEW, opens the token the store names, checks the
 * manifest's signature with the audit key's public key as the token holds
 * it and that the token holds every key the store names (CAs, transfer,
 * audit, firmware signers), then moves everything a restored CA must never
 * reuse past what may have left the machine after the backup
 * (docs/operations.md "Restore"): CRL numbers to at least the current time
 * in microseconds (META crl.floor; ca/crl.c), every segment's response
 * sequence by CA_RESTORE_SEQ_BUMP; and records the event "restore".
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "backup.h"
#include "capolicy.h"
#include "checkpoint.h"
#include "fault.h"
#include "file.h"
#include "home.h"
#include "keyroll.h"
#include "pem.h"
#include "records.h"

enum {
	COPY_CHUNK = 1 << 20,
	BACKUP_FILES_MAX = 10000,
	BACKUP_MANIFEST_MAX = 16 * 1024 * 1024,   /* a backup's MANIFEST, read whole */
};

typedef struct manifest {
	char (*path)[PATH_MAX];
	uint8_t (*sha)[32];
	size_t n, cap;
} manifest;

static void manifest_free(manifest *m)
{
	free(m->path);
	free(m->sha);
	memset(m, 0, sizeof *m);
}

PC_CHECK static pc_rc manifest_add(manifest *m, const char *rel, const uint8_t sha[32], pc_err *e)
{
	size_t c1 = m->cap, c2 = m->cap;

	if (m->n >= BACKUP_FILES_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d files", BACKUP_FILES_MAX);
	if (!pc_grow(&m->path, &c1, m->n, sizeof *m->path, 32) ||
	    !pc_grow(&m->sha, &c2, m->n, sizeof *m->sha, 32))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	m->cap = c1 < c2 ? c1 : c2;
	snprintf(m->path[m->n], PATH_MAX, "%s", rel);
	memcpy(m->sha[m->n], sha, 32);
	m->n++;
	return PC_OK;
}

/* Copy src to dst (created, mode) in chunks, hashing what was copied;
 * dst NULL: only hash. */
PC_CHECK static pc_rc copy_hash(const char *src, const char *dst, unsigned mode, uint8_t sha[32],
    pc_err *e)
{
	crypto_hash_sha256_state st;
	uint8_t *buf = malloc(COPY_CHUNK);
	int in = -1, out = -1;
	ssize_t n;
	pc_rc rc = PC_OK;

	if (buf == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	crypto_hash_sha256_init(&st);
	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		rc = pc_fail(e, PC_E_IO, "%s: cannot open: %s", src, strerror(errno));
	if (rc == PC_OK && dst != NULL) {
		if ((rc = PC_FAULT("file.write", dst, e)) == PC_OK &&
		    (out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0)
			rc = pc_fail(e, PC_E_IO, "%s: cannot create: %s", dst, strerror(errno));
	}
	while (rc == PC_OK && (n = read(in, buf, COPY_CHUNK)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = pc_fail(e, PC_E_IO, "%s: read failed: %s", src, strerror(errno));
			break;
		}
		crypto_hash_sha256_update(&st, buf, (size_t)n);
		if (out >= 0 && !pc_write_all(out, buf, (size_t)n))
			rc = pc_fail(e, PC_E_IO, "%s: write failed: %s", dst, strerror(errno));
	}
	if (rc == PC_OK && out >= 0 && (fchmod(out, mode) != 0 || fsync(out) != 0))
		rc = pc_fail(e, PC_E_IO, "%s: write failed: %s", dst, strerror(errno));
	if (out >= 0 && close(out) != 0 && rc == PC_OK)
		rc = pc_fail(e, PC_E_IO, "%s: write failed: %s", dst, strerror(errno));
	if (in >= 0)
		close(in);
	free(buf);
	crypto_hash_sha256_final(&st, sha);
	return rc;
}

/* The regular files under HOME/sub (public, crl), recursively, copied to
 * DST/sub with their modes and listed in m. */
PC_CHECK static pc_rc copy_tree(const char *home, const char *dst, const char *sub, int depth,
    manifest *m, pc_err *e)
{
	char sp[PATH_MAX], dp[PATH_MAX], rel[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dir;
	pc_rc rc = PC_OK;

	if (depth > 8)
		return pc_fail(e, PC_E_STATE, "%s/%s: folders nested too deep", home, sub);
	snprintf(sp, sizeof sp, "%s/%s", home, sub);
	if ((dir = opendir(sp)) == NULL)
		return errno == ENOENT ? PC_OK : pc_fail(e, PC_E_IO, "%s: %s", sp, strerror(errno));
	snprintf(dp, sizeof dp, "%s/%s", dst, sub);
	if (mkdir(dp, 0755) != 0 && errno != EEXIST)
		rc = pc_fail(e, PC_E_IO, "%s: cannot create: %s", dp, strerror(errno));
	while (rc == PC_OK && (d = readdir(dir)) != NULL) {
		uint8_t sha[32];
		if (d->d_name[0] == '.')
			continue;
		if (snprintf(rel, sizeof rel, "%s/%s", sub, d->d_name) >= (int)sizeof rel ||
		    snprintf(sp, sizeof sp, "%s/%s", home, rel) >= (int)sizeof sp ||
		    snprintf(dp, sizeof dp, "%s/%s", dst, rel) >= (int)sizeof dp) {
			rc = pc_fail(e, PC_E_USAGE, "%s/%s: path too long", home, rel);
			break;
		}
		if (lstat(sp, &st) != 0)
			rc = pc_fail(e, PC_E_IO, "%s: %s", sp, strerror(errno));
		else if (S_ISDIR(st.st_mode))
			rc = copy_tree(home, dst, rel, depth + 1, m, e);
		else if (!S_ISREG(st.st_mode))
			rc = pc_fail(e, PC_E_STATE, "%s: not a regular file; a backup holds files only", sp);
		else if ((rc = copy_hash(sp, dp, st.st_mode & 0777, sha, e)) == PC_OK)
			rc = manifest_add(m, rel, sha, e);
	}
	closedir(dir);
	return rc;
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* "HEX  PATH\n" per file, sorted by path (sha256sum's format) */
PC_CHECK static pc_rc manifest_text(manifest *m, pc_buf *b, pc_err *e)
{
	size_t i, j;

	/* sort the two arrays together: selection by path, n is small */
	for (i = 0; i < m->n; i++)
		for (j = i + 1; j < m->n; j++)
			if (cmp_path(m->path[j], m->path[i]) < 0) {
				char tp[PATH_MAX];
				uint8_t ts[32];
				memcpy(tp, m->path[i], PATH_MAX); memcpy(m->path[i], m->path[j], PATH_MAX);
				memcpy(m->path[j], tp, PATH_MAX);
				memcpy(ts, m->sha[i], 32); memcpy(m->sha[i], m->sha[j], 32); memcpy(m->sha[j], ts, 32);
			}
	for (i = 0; i < m->n; i++) {
		pc_hex_encode(b, m->sha[i], 32, 0);
		pc_buf_printf(b, "  %s\n", m->path[i]);
	}
	return pc_buf_ok(b) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

PC_CHECK static pc_rc stage_name(const char *target, const char *what, char out[PATH_MAX],
    pc_err *e)
{
	char t[PATH_MAX], *slash;
	int n;

	snprintf(t, sizeof t, "%s", target);
	while (strlen(t) > 1 && t[strlen(t) - 1] == '/')
		t[strlen(t) - 1] = '\0';
	slash = strrchr(t, '/');
	if (slash == NULL)
		n = snprintf(out, PATH_MAX, ".%s.%s", t, what);
	else {
		*slash = '\0';
		n = snprintf(out, PATH_MAX, "%s/.%s.%s", t[0] ? t : "/", slash + 1, what);
	}
	return n < 0 || n >= PATH_MAX ? pc_fail(e, PC_E_USAGE, "%s: path too long", target) : PC_OK;
}

/* target must not exist, or be an empty directory (then removed, so that
 * the stage can be renamed onto its name) */
PC_CHECK static pc_rc target_free(const char *target, pc_err *e)
{
	DIR *d = opendir(target);
	struct dirent *x;
	bool empty = true;

	if (d == NULL)
		return errno == ENOENT ? PC_OK : pc_fail(e, PC_E_USAGE, "%s: %s", target, strerror(errno));
	while ((x = readdir(d)) != NULL)
		if (strcmp(x->d_name, ".") != 0 && strcmp(x->d_name, "..") != 0)
			empty = false;
	closedir(d);
	if (!empty)
		return pc_fail(e, PC_E_EXISTS, "%s: exists and is not empty; nothing written", target);
	return PC_OK;
}

static int rm_one(const char *p, const struct stat *s, int f, struct FTW *w)
{
	(void)s; (void)f; (void)w;
	return remove(p) != 0 && errno != ENOENT ? -1 : 0;
}

static void rm_tree(const char *path)
{
	(void)nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

PC_CHECK static pc_rc put_in_place(const char *stage, const char *target, pc_err *e)
{
	PC_TRY(pc_dir_sync(stage, e));
	PC_TRY(PC_FAULT("backup.rename", target, e));
	if (rmdir(target) != 0 && errno != ENOENT)
		return pc_fail(e, PC_E_IO, "%s: %s", target, strerror(errno));
	if (rename(stage, target) != 0)
		return pc_fail(e, PC_E_IO, "%s: cannot move %s into place: %s", target, stage,
		    strerror(errno));
	return pc_dir_sync(target, e);
}

/* ------------------------------------------------------------- backup */

pc_rc ca_backup(ca_ctx *c, const char *dir, pc_err *e)
{
	char stage[PATH_MAX], p[PATH_MAX + 64], q[PATH_MAX + 64], hex[65], detail[400];
	manifest m;
	pc_buf text = PC_BUF_INIT, sig = PC_BUF_INIT;
	uint8_t sha[32], pk[TR_PK_LEN];
	hsm_key *k;
	store_txn *t = NULL;
	bool staged = false;
	pc_rc rc;

	memset(&m, 0, sizeof m);
	PC_TRY_OUT(target_free(dir, e));
	PC_TRY_OUT(stage_name(dir, "backup", stage, e));
	PC_TRY_OUT(ca_hsm_ready(c, e));
	PC_TRY_OUT(ca_audit_key(c, &k, pk, e));
	rm_tree(stage);                    /* left by a backup that died */
	if (mkdir(stage, 0700) != 0)
		return pc_fail(e, PC_E_IO, "%s: cannot create: %s", stage, strerror(errno));
	staged = true;
	snprintf(p, sizeof p, "%s/db", stage);
	if (mkdir(p, 0700) != 0) {
		rc = pc_fail(e, PC_E_IO, "%s: cannot create: %s", p, strerror(errno));
		goto out;
	}
	PC_TRY_OUT(store_copy_compact(c->st, p, e));
	snprintf(p, sizeof p, "%s/db/data.mdb", stage);
	PC_TRY_OUT(copy_hash(p, NULL, 0, sha, e));
	PC_TRY_OUT(manifest_add(&m, "db/data.mdb", sha, e));
	snprintf(p, sizeof p, "%s/%s", c->home, CA_POLICY_FILE);
	if (access(p, F_OK) == 0) {
		snprintf(q, sizeof q, "%s/%s", stage, CA_POLICY_FILE);
		PC_TRY_OUT(copy_hash(p, q, 0600, sha, e));
		PC_TRY_OUT(manifest_add(&m, CA_POLICY_FILE, sha, e));
	}
	PC_TRY_OUT(copy_tree(c->home, stage, "public", 0, &m, e));
	PC_TRY_OUT(copy_tree(c->home, stage, "crl", 0, &m, e));
	PC_TRY_OUT(manifest_text(&m, &text, e));
	/* the token signs; hsm_sign checks the signature with the pkix verifier */
	PC_TRY_OUT(hsm_sign(k, text.p, text.len, &sig, e));
	snprintf(p, sizeof p, "%s/MANIFEST", stage);
	PC_TRY_OUT(pc_file_write_nosync(p, text.p, text.len, 0644, e));
	snprintf(p, sizeof p, "%s/MANIFEST.sig", stage);
	PC_TRY_OUT(pc_file_write_nosync(p, sig.p, sig.len, 0644, e));
	PC_TRY_OUT(put_in_place(stage, dir, e));
	staged = false;

	/* recorded after the backup exists; a crash in between leaves a
	 * backup without its event, never an event without a backup */
	crypto_hash_sha256(sha, text.p, text.len);
	pc_hex_str(hex, sizeof hex, sha, sizeof sha, 0);
	snprintf(detail, sizeof detail, "%zu files, MANIFEST SHA-256 %s, signed by the audit key",
	    m.n, hex);
	PC_TRY_OUT(store_begin(c->st, true, &t, e));
	rc = audit_append(t, time(NULL), "backup", dir, "ok", detail, e);
	if ((rc = store_end(&t, rc, e)) != PC_OK) {
		pc_wrap(e, "%s was written but the backup event was not recorded", dir);
		goto out;
	}
	pc_hex_str(hex, sizeof hex, pk, sizeof pk, 0);
	if (c->json)
		printf("{\"backup\":\"%s\",\"files\":%zu,\"audit_key\":\"%s\"}\n", dir, m.n, hex);
	else
		printf("%s: %zu files, MANIFEST signed by audit key %s\nBack up the token "
		    "separately (docs/operations.md): this backup holds no key.\n", dir, m.n, hex);
out:
	store_abort(t);
	if (staged)
		rm_tree(stage);
	manifest_free(&m);
	pc_buf_free(&text);
	pc_buf_free(&sig);
	return rc;
}

/* ------------------------------------------------------------ restore */

struct restore_ctx {
	const char *src, *stage;
	size_t n;
};

/* one manifest line: hash the file in the backup, copy it into the stage */
PC_CHECK static pc_rc restore_file(void *ctx, const char *rel, const uint8_t want[32], pc_err *e)
{
	struct restore_ctx *r = ctx;
	char sp[PATH_MAX], dp[PATH_MAX], *slash;
	uint8_t got[32];
	struct stat st;

	if (snprintf(sp, sizeof sp, "%s/%s", r->src, rel) >= (int)sizeof sp ||
	    snprintf(dp, sizeof dp, "%s/%s", r->stage, rel) >= (int)sizeof dp)
		return pc_fail(e, PC_E_USAGE, "%s/%s: path too long", r->src, rel);
	if (lstat(sp, &st) != 0 || !S_ISREG(st.st_mode))
		return pc_fail(e, PC_E_INPUT, "%s: listed in MANIFEST but not a file here", sp);
	for (slash = strchr(dp + strlen(r->stage) + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(dp, strncmp(rel, "db/", 3) == 0 ? 0700 : 0755) != 0 && errno != EEXIST)
			return pc_fail(e, PC_E_IO, "%s: cannot create: %s", dp, strerror(errno));
		*slash = '/';
	}
	PC_TRY(copy_hash(sp, dp, strcmp(rel, "db/data.mdb") == 0 || strcmp(rel, CA_POLICY_FILE) == 0 ?
	    0600 : (st.st_mode & 0755), got, e));
	if (sodium_memcmp(got, want, 32) != 0)
		return pc_fail(e, PC_E_INPUT, "%s: SHA-256 differs from MANIFEST (damaged or changed)",
		    sp);
	r->n++;
	return PC_OK;
}

/* every file of the backup is in MANIFEST (n of them) */
PC_CHECK static pc_rc count_files(const char *dir, int depth, size_t *n, pc_err *e)
{
	char p[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dd = opendir(dir);
	pc_rc rc = PC_OK;

	if (dd == NULL)
		return pc_fail(e, PC_E_IO, "%s: %s", dir, strerror(errno));
	while (rc == PC_OK && (d = readdir(dd)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
		    (depth == 0 && (strcmp(d->d_name, "MANIFEST") == 0 ||
		    strcmp(d->d_name, "MANIFEST.sig") == 0)))
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, d->d_name);
		if (lstat(p, &st) != 0)
			rc = pc_fail(e, PC_E_IO, "%s: %s", p, strerror(errno));
		else if (S_ISDIR(st.st_mode) && depth < 8)
			rc = count_files(p, depth + 1, n, e);
		else
			(*n)++;
	}
	closedir(dd);
	return rc;
}

struct key_ctx {
	ca_ctx *c;
	const char *what;
	pc_rc (*decode)(pc_reader v, char **uri, char **name, pc_err *e);
};

PC_CHECK static pc_rc key_check(ca_ctx *c, const char *uri, const char *what, pc_err *e)
{
	hsm_key *k;

	if (hsm_key_open(c->h, uri, &k, e) != PC_OK)
		return pc_wrap(e, "restore: the token lacks the key of %s (restore the token's backup "
		    "first, docs/operations.md)", what);
	hsm_key_free(k);
	return PC_OK;
}

PC_CHECK static pc_rc ca_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_ctx *c = ctx;
	ca_rec r;
	char what[CA_NAME_MAX + 8];
	pc_rc rc;

	PC_TRY(ca_rec_decode(val, &r, e));
	snprintf(what, sizeof what, "CA %s", r.name);
	rc = key_check(c, r.key_uri, what, e);
	ca_rec_free(&r);
	return rc;
}

PC_CHECK static pc_rc signer_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	ca_ctx *c = ctx;
	ca_signer_rec s;
	char what[CA_NAME_MAX + 32];
	pc_rc rc;

	PC_TRY(ca_signer_rec_decode(val, &s, e));
	snprintf(what, sizeof what, "firmware signer %s", s.name);
	rc = key_check(c, s.key_uri, what, e);
	ca_signer_rec_free(&s);
	return rc;
}

/* Every key the restored store names must be in the token. */
PC_CHECK static pc_rc keys_present(ca_ctx *c, pc_err *e)
{
	static const char *const meta[][2] = {
		{ META_TRANSFER_URI, "the CA transfer key" }, { META_AUDIT_KEY_URI, "the audit key" },
	};
	store_txn *t;
	size_t i;
	pc_rc rc;

	PC_TRY(store_begin(c->st, false, &t, e));
	rc = store_scan(t, STORE_CAS, NULL, 0, false, ca_visit, c, e);
	if (rc == PC_OK)
		rc = store_scan(t, STORE_META, META_SIGNER_PREFIX, strlen(META_SIGNER_PREFIX), false,
		    signer_visit, c, e);
	for (i = 0; rc == PC_OK && i < sizeof meta / sizeof meta[0]; i++) {
		char *uri = NULL;
		if ((rc = ca_meta_get_str(t, meta[i][0], &uri, e)) == PC_OK)
			rc = key_check(c, uri, meta[i][1], e);
		free(uri);
	}
	/* after a transfer roll, the old key signs until every station holds
	 * the new one (keyroll.c) */
	if (rc == PC_OK) {
		pc_reader v;
		char *uri = NULL;
		rc = store_get(t, STORE_META, META_TRANSFER_PREV_URI, strlen(META_TRANSFER_PREV_URI), &v, e);
		if (rc == PC_OK && (rc = ca_meta_get_str(t, META_TRANSFER_PREV_URI, &uri, e)) == PC_OK)
			rc = key_check(c, uri, "the previous CA transfer key", e);
		else if (rc == PC_E_NOTFOUND)
			rc = PC_OK;
		free(uri);
	}
	store_abort(t);
	return rc;
}

/* every segment's response sequence (META export.seq.SEGMENT) + bump */
struct bump_ctx {
	char (*keys)[128];
	uint64_t *vals;
	size_t n, cap;
};

PC_CHECK static pc_rc bump_visit(void *ctx, pc_reader key, pc_reader val, bool *stop, pc_err *e)
{
	struct bump_ctx *b = ctx;
	size_t c1 = b->cap, c2 = b->cap;
	uint64_t v = 0;

	if (pc_reader_left(&key) >= 128 || pc_reader_left(&val) != 8 || !pc_reader_u64be(&val, &v))
		return pc_fail(e, PC_E_STORE_CORRUPT, "META %.*s: not an 8-byte sequence",
		    (int)pc_reader_left(&key), (const char *)key.p);
	if (!pc_grow(&b->keys, &c1, b->n, sizeof *b->keys, 16) ||
	    !pc_grow(&b->vals, &c2, b->n, sizeof *b->vals, 16))
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	b->cap = c1 < c2 ? c1 : c2;
	memcpy(b->keys[b->n], key.p, pc_reader_left(&key));
	b->keys[b->n][pc_reader_left(&key)] = '\0';
	b->vals[b->n++] = v;
	return PC_OK;
}

PC_CHECK static pc_rc export_seq_bump(store_txn *t, uint64_t by, uint64_t *n, pc_err *e)
{
	struct bump_ctx b;
	size_t i;
	pc_rc rc;

	memset(&b, 0, sizeof b);
	rc = store_scan(t, STORE_META, META_EXPORT_SEQ, strlen(META_EXPORT_SEQ), false, bump_visit,
	    &b, e);
	for (i = 0; rc == PC_OK && i < b.n; i++) {
		uint8_t k8[8];
		ca_id_key(b.vals[i] + by, k8);
		rc = store_put(t, STORE_META, b.keys[i], strlen(b.keys[i]), k8, 8, false, e);
	}
	*n = b.n;
	free(b.keys);
	free(b.vals);
	return rc;
}

pc_rc ca_restore(const char *dir, const char *home, const char *pin_file, bool json, pc_err *e)
{
	char stage[PATH_MAX], p[PATH_MAX + 64], *module = NULL, *token = NULL, detail[400], hex[65];
	uint8_t *mf = NULL, *sig = NULL, sha[32];
	size_t mlen = 0, slen = 0, nfiles = 0;
	struct restore_ctx r;
	ca_ctx c;
	store_txn *t = NULL;
	hsm_key *ak = NULL;
	char *akuri = NULL;
	bool staged = false;
	struct timeval tv;
	uint64_t bumped = 0;
	pc_rc rc;

	memset(&c, 0, sizeof c);
	c.lock_fd = -1;
	if (home == NULL)
		return pc_fail(e, PC_E_USAGE, "restore: --home NEW is required (a new CA home)");
	PC_TRY_OUT(target_free(home, e));
	PC_TRY_OUT(stage_name(home, "restore", stage, e));
	snprintf(p, sizeof p, "%s/MANIFEST", dir);
	PC_TRY_OUT(pc_file_read(p, BACKUP_MANIFEST_MAX, &mf, &mlen, e));
	snprintf(p, sizeof p, "%s/MANIFEST.sig", dir);
	PC_TRY_OUT(pc_file_read(p, CA_PUBKEY_FILE_MAX, &sig, &slen, e));
	rm_tree(stage);
	if (mkdir(stage, 0700) != 0) {
		rc = pc_fail(e, PC_E_IO, "%s: cannot create: %s", stage, strerror(errno));
		goto out;
	}
	staged = true;
	r.src = dir;
	r.stage = stage;
	r.n = 0;
	snprintf(p, sizeof p, "%s/MANIFEST", dir);
	PC_TRY_OUT(ca_manifest_parse(mf, mlen, p, restore_file, &r, e));
	PC_TRY_OUT(count_files(dir, 0, &nfiles, e));
	if (nfiles != r.n) {
		rc = pc_fail(e, PC_E_INPUT, "%s: holds %zu files, MANIFEST lists %zu: refused", dir,
		    nfiles, r.n);
		goto out;
	}

	/* the store of the backup, in the stage: which token, which keys */
	if (strlen(stage) >= sizeof c.home) {
		rc = pc_fail(e, PC_E_USAGE, "%s: path too long", stage);
		goto out;
	}
	strcpy(c.home, stage);
	c.json = json;
	c.pin_file = pin_file;
	snprintf(p, sizeof p, "%s/db", stage);
	PC_TRY_OUT(store_open(p, false, &c.st, e));
	PC_TRY_OUT(pc_dir_lock(stage, "plantca", &c.lock_fd, e));
	PC_TRY_OUT(store_begin(c.st, false, &t, e));
	rc = ca_meta_get_str(t, META_MODULE, &module, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_TOKEN, &token, e);
	if (rc == PC_OK)
		rc = ca_meta_get_str(t, META_AUDIT_KEY_URI, &akuri, e);
	store_abort(t);
	t = NULL;
	if (rc != PC_OK) {
		pc_wrap(e, "%s: the store of the backup", dir);
		goto out;
	}
	/* the module is code this process loads: it must be a file only its
	 * owner (this user) can change, as on an installed system */
	if (module[0] != '/') {
		rc = pc_fail(e, PC_E_INPUT, "%s: the store names PKCS#11 module '%s', not an absolute "
		    "path: refused", dir, module);
		goto out;
	}
	PC_TRY_OUT(pc_path_check_private(module, false, e));
	PC_TRY_OUT(ca_hsm_login(&c, e));
	PC_TRY_OUT(hsm_key_open(c.h, akuri, &ak, e));
	{
		size_t al = 0;
		const uint8_t *spki = hsm_key_spki(ak, &al);
		if (hsm_verify_spki(spki, al, mf, mlen, sig, slen, e) != PC_OK) {
			rc = pc_fail(e, PC_E_SIGNATURE, "%s/MANIFEST.sig: the signature does not verify "
			    "with the audit key in the token: refused", dir);
			goto out;
		}
	}
	PC_TRY_OUT(keys_present(&c, e));

	/* never reuse what may have left the machine after the backup */
	gettimeofday(&tv, NULL);
	PC_TRY_OUT(store_begin(c.st, true, &t, e));
	rc = ca_meta_put_u64(t, META_CRL_FLOOR, (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec,
	    e);
	if (rc == PC_OK)
		rc = export_seq_bump(t, CA_RESTORE_SEQ_BUMP, &bumped, e);
	crypto_hash_sha256(sha, mf, mlen);
	pc_hex_str(hex, sizeof hex, sha, sizeof sha, 0);
	snprintf(detail, sizeof detail, "from %s (MANIFEST SHA-256 %s, %zu files); CRL numbers "
	    "now above the time in microseconds, %" PRIu64 " segment response sequence(s) moved "
	    "%d ahead", dir, hex, r.n, bumped, CA_RESTORE_SEQ_BUMP);
	if (rc == PC_OK)
		rc = audit_append(t, time(NULL), "restore", home, "ok", detail, e);
	PC_TRY_OUT(store_end(&t, rc, e));
	store_close(c.st);
	c.st = NULL;
	pc_dir_unlock(&c.lock_fd);
	snprintf(p, sizeof p, "%s/lock", stage);
	(void)unlink(p);
	PC_TRY_OUT(put_in_place(stage, home, e));
	staged = false;
	if (json)
		printf("{\"home\":\"%s\",\"files\":%zu,\"segments_bumped\":%" PRIu64 "}\n", home, r.n,
		    bumped);
	else
		printf("%s: restored from %s (%zu files, signature and every SHA-256 checked, every "
		    "key found in the token); CRL numbers and %" PRIu64 " response sequence(s) moved "
		    "past anything issued since the backup\n", home, dir, r.n, bumped);
out:
	store_abort(t);
	hsm_key_free(ak);
	ca_close(&c);
	if (staged)
		rm_tree(stage);
	free(module);
	free(token);
	free(akuri);
	free(mf);
	free(sig);
	return rc;
}
