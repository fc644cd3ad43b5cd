/*
 * bundle_write.c - building and writing bundles: one writer, whether the
 * tar is assembled in memory (tr_bundle_build) or streamed into DIR
 * (tr_bundle_stream, for bundles of any size).  Either way BUNDLE, then
 * SHA256SUMS, then the payload in the caller's order, and the result read
 * back with the reader's rules before anyone sees it: a bundle we would
 * refuse is never written.
 */
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "tr_int.h"

enum { WRITE_CHUNK = 1 << 20, PATH_CAP = 4096 };

/* Where the tar goes: a pc_buf (mem), or a file in pieces (f), hashed on
 * the way (BLAKE2b-512, the prehash its minisign signature signs). */
typedef struct tar_out {
	pc_buf *mem;
	pc_afile *f;
	pc_buf chunk;
	crypto_generichash_state h;
	size_t total;
} tar_out;

PC_CHECK static pc_rc out_flush(tar_out *o, pc_err *e)
{
	if (o->f == NULL || o->chunk.len == 0)
		return PC_OK;
	crypto_generichash_update(&o->h, o->chunk.p, o->chunk.len);
	PC_TRY(pc_afile_write(o->f, o->chunk.p, o->chunk.len, e));
	o->chunk.len = 0;
	return PC_OK;
}

PC_CHECK static pc_rc out_add(tar_out *o, const char *name, const uint8_t *data, size_t len,
    time_t mtime, pc_err *e)
{
	pc_buf *dst = o->mem != NULL ? o->mem : &o->chunk;
	size_t before = dst->len;

	tr_tar_add(dst, name, data, len, mtime);
	if (!pc_buf_ok(dst))
		return pc_fail(e, PC_E_NOMEM, "new bundle: out of memory");
	o->total += dst->len - before;
	if (o->total > TR_BUNDLE_MAX)
		return pc_fail(e, PC_E_LIMIT, "new bundle: more than %d bytes", TR_BUNDLE_MAX);
	return o->chunk.len >= WRITE_CHUNK ? out_flush(o, e) : PC_OK;
}

pc_rc tr_meta_check_new(const tr_meta *meta, size_t n, pc_err *e)
{
	if (meta->version != TR_FORMAT_VERSION || (meta->kind != TR_REQUEST &&
	    meta->kind != TR_RESPONSE) || !tr_segment_ok(meta->segment) || meta->sequence == 0)
		return pc_fail(e, PC_E_USAGE, "new bundle: bad metadata (version, kind, "
		    "segment or sequence)");
	if (n == 0)
		return pc_fail(e, PC_E_USAGE, "new bundle: no payload members");
	if (n > TR_MEMBERS_MAX - 2)
		return pc_fail(e, PC_E_LIMIT, "new bundle: more than %d members", TR_MEMBERS_MAX);
	return PC_OK;
}

PC_CHECK static pc_rc member_ok(const tr_member *m, pc_err *e)
{
	if (!tr_member_name_ok(m->name) || strcmp(m->name, "BUNDLE") == 0 ||
	    strcmp(m->name, "SHA256SUMS") == 0)
		return pc_fail(e, PC_E_USAGE, "new bundle: member name \"%.100s\" not allowed",
		    m->name);
	if (m->len > TR_MEMBER_MAX)
		return pc_fail(e, PC_E_LIMIT, "new bundle: member %s is %zu bytes, more than %d",
		    m->name, m->len, TR_MEMBER_MAX);
	return PC_OK;
}

/* The whole tar into o: each member is asked for twice, to hash it for
 * SHA256SUMS and to write it (the read-back check catches a source that
 * gave different bytes the second time). */
PC_CHECK static pc_rc emit(const tr_meta *meta, size_t n, tr_member_fn get, void *ctx,
    tar_out *o, pc_err *e)
{
	pc_buf mb = PC_BUF_INIT, sb = PC_BUF_INIT;
	size_t i;
	pc_rc rc;

	PC_TRY_OUT(tr_meta_check_new(meta, n, e));
	for (i = 0; i < n; i++) {
		tr_member m;
		uint8_t h[TR_HASH_LEN];
		if ((rc = get(ctx, i, &m, e)) != PC_OK || (rc = member_ok(&m, e)) != PC_OK)
			goto out;
		crypto_hash_sha256(h, m.data, m.len);
		tr_sums_line(&sb, m.name, h);
	}
	tr_meta_format(meta, &mb);
	if (!pc_buf_ok(&mb) || !pc_buf_ok(&sb)) {
		rc = pc_fail(e, PC_E_NOMEM, "new bundle: out of memory");
		goto out;
	}
	if (mb.len > TR_META_MAX || sb.len > TR_MEMBER_MAX) {
		rc = pc_fail(e, PC_E_LIMIT, "new bundle: BUNDLE or SHA256SUMS too large");
		goto out;
	}
	if ((rc = out_add(o, "BUNDLE", mb.p, mb.len, meta->created, e)) != PC_OK ||
	    (rc = out_add(o, "SHA256SUMS", sb.p, sb.len, meta->created, e)) != PC_OK)
		goto out;
	pc_buf_free(&sb);
	for (i = 0; i < n; i++) {
		tr_member m;
		if ((rc = get(ctx, i, &m, e)) != PC_OK ||
		    (rc = out_add(o, m.name, m.data, m.len, meta->created, e)) != PC_OK)
			goto out;
	}
	{
		pc_buf *dst = o->mem != NULL ? o->mem : &o->chunk;
		size_t before = dst->len;
		tr_tar_end(dst);
		if (!pc_buf_ok(dst)) {
			rc = pc_fail(e, PC_E_NOMEM, "new bundle: out of memory");
			goto out;
		}
		o->total += dst->len - before;
	}
	rc = out_flush(o, e);
out:
	pc_buf_free(&mb);
	pc_buf_free(&sb);
	return rc;
}

/* Read back what was written with the reader's rules (duplicates, csr
 * lines, sums). */
PC_CHECK static pc_rc read_back(const uint8_t *p, size_t len, bool mapped, pc_err *e)
{
	tr_bundle check;
	pc_rc rc;

	memset(&check, 0, sizeof check);
	rc = tr_bundle_parse(p, len, mapped, "new bundle", &check, e);
	tr_bundle_free(&check);
	return rc;
}

struct array_src {
	const tr_member *v;
};

PC_CHECK static pc_rc array_get(void *ctx, size_t i, tr_member *m, pc_err *e)
{
	const struct array_src *a = ctx;

	(void)e;
	*m = a->v[i];
	return PC_OK;
}

pc_rc tr_bundle_build(const tr_meta *meta, const tr_member *payload, size_t n,
    pc_buf *tar, pc_err *e)
{
	struct array_src a = { payload };
	tar_out o;
	size_t start = tar->len;
	pc_rc rc;

	memset(&o, 0, sizeof o);
	o.mem = tar;
	rc = emit(meta, n, array_get, &a, &o, e);
	if (rc == PC_OK)
		rc = read_back(tar->p + start, tar->len - start, false, e);
	if (rc != PC_OK && pc_buf_ok(tar))
		tar->len = start;
	return rc;
}

/* Is PATH (NAME.tar, no .minisig beside it) the tar of an earlier write
 * of this very bundle that stopped before its signature: a whole bundle by
 * the reader's rules whose BUNDLE names NAME?  (Such a tar is published
 * complete, from a temporary file, or not at all.) */
static bool lone_tar_ours(const char *path, const char *name)
{
	uint8_t *map = NULL;
	size_t len = 0;
	tr_bundle b;
	char want[TR_NAME_MAX + 1];
	bool ours = false;
	pc_err e;

	if (tr_spool_map(path, TR_BUNDLE_MAX, &map, &len, &e) != PC_OK)
		return false;
	memset(&b, 0, sizeof b);
	if (tr_bundle_parse(map, len, true, path, &b, &e) == PC_OK) {
		tr_bundle_name(b.meta.kind, b.meta.segment, b.meta.sequence, want, sizeof want);
		ours = strcmp(want, name) == 0;
	}
	tr_bundle_free(&b);
	tr_spool_unmap(map, len);
	return ours;
}

/* DIR/NAME.tar and DIR/NAME.tar.minisig, neither there yet.  A NAME.tar
 * without its NAME.tar.minisig that is this bundle's own tar (a write that
 * stopped before the signature: killed, or the signature could not be
 * written) is no bundle, refused by every reader: it is removed, so that
 * the next run completes the interrupted one.  Anything else there is
 * refused, and both names are published with link() all the same: a file
 * that appears after this check is never replaced. */
PC_CHECK static pc_rc bundle_paths(const char *dir, const char *name, char *tp, char *sp,
    pc_err *e)
{
	struct stat st;

	if (!tr_member_name_ok(name))
		return pc_fail(e, PC_E_USAGE, "bundle name \"%.100s\" not allowed", name);
	if ((size_t)snprintf(tp, PATH_CAP, "%s/%s.tar", dir, name) >= PATH_CAP ||
	    (size_t)snprintf(sp, PATH_CAP, "%s/%s.tar.minisig", dir, name) >= PATH_CAP)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", dir);
	if (lstat(sp, &st) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists", sp);
	if (lstat(tp, &st) == 0) {
		if (!S_ISREG(st.st_mode) || !lone_tar_ours(tp, name))
			return pc_fail(e, PC_E_EXISTS, "%s: already exists", tp);
		if (unlink(tp) != 0 && errno != ENOENT)
			return pc_fail(e, PC_E_IO, "%s: an interrupted bundle without its signature; "
			    "cannot remove it: %s", tp, strerror(errno));
	}
	return PC_OK;
}

pc_rc tr_bundle_write(const char *dir, const char *name, const pc_buf *tar,
    const pc_buf *minisig, pc_err *e)
{
	char tp[PATH_CAP], sp[PATH_CAP];

	PC_TRY(bundle_paths(dir, name, tp, sp, e));
	/* the tar first, its signature after: a reader that sees a .minisig
	 * can rely on the tar being complete */
	PC_TRY(pc_file_write_atomic(tp, tar->p, tar->len, 0644, true, e));
	/* a tar without its signature is no bundle: both gone again on a
	 * failure (a signature that was there before is not ours: kept) */
	if (pc_file_write_atomic(sp, minisig->p, minisig->len, 0644, true, e) != PC_OK) {
		if (e->rc != PC_E_EXISTS)
			(void)unlink(sp);
		(void)unlink(tp);
		return e->rc;
	}
	return PC_OK;
}

pc_rc tr_bundle_stream(const char *dir, const char *name, const tr_meta *meta, size_t n,
    tr_member_fn get, void *ctx, const tr_pubkey *pub, tr_sign_fn sign, void *sign_ctx,
    pc_err *e)
{
	char tp[PATH_CAP], sp[PATH_CAP], comment[TR_COMMENT_MAX];
	uint8_t hash[TR_PREHASH_LEN], *map = NULL;
	size_t maplen = 0;
	pc_afile f;
	tar_out o;
	pc_buf sig = PC_BUF_INIT;
	bool open = false;
	pc_rc rc;

	memset(&o, 0, sizeof o);
	PC_TRY_OUT(bundle_paths(dir, name, tp, sp, e));
	PC_TRY_OUT(pc_afile_open(&f, tp, 0644, e));
	open = true;
	o.f = &f;
	crypto_generichash_init(&o.h, NULL, 0, TR_PREHASH_LEN);
	if ((rc = emit(meta, n, get, ctx, &o, e)) != PC_OK)
		goto out;
	crypto_generichash_final(&o.h, hash, sizeof hash);
	/* read back from the file itself, its pages let go of as it goes */
	if ((rc = tr_spool_map(f.tmp, TR_BUNDLE_MAX, &map, &maplen, e)) != PC_OK)
		goto out;
	rc = maplen == o.total ? read_back(map, maplen, true, e)
	    : pc_fail(e, PC_E_IO, "%s: %zu bytes written, %zu bytes on disk", tp, o.total, maplen);
	tr_spool_unmap(map, maplen);
	if (rc != PC_OK)
		goto out;
	tr_trusted_comment(meta, name, comment, sizeof comment);
	if ((rc = tr_minisig_make_prehashed(hash, pub, NULL, comment, sign, sign_ctx, &sig, e)) != PC_OK)
		goto out;
	open = false;
	if ((rc = pc_afile_commit_new(&f, e)) != PC_OK)
		goto out;
	/* a tar without its signature is no bundle: both gone again on a
	 * failure (a signature that was there before is not ours: kept) */
	if ((rc = pc_file_write_atomic(sp, sig.p, sig.len, 0644, true, e)) != PC_OK) {
		if (rc != PC_E_EXISTS)
			(void)unlink(sp);
		(void)unlink(tp);
	}
out:
	if (open)
		pc_afile_abort(&f);
	pc_buf_free(&o.chunk);
	pc_buf_free(&sig);
	return rc;
}
