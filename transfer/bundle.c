/*
 * bundle.c - reading and checking bundles (bundle_write.c builds and
 * writes them).
 *
 * Reading follows transfer.h to the letter: size cap (fstat, in
 * pc_file_read), one read into memory, signature and trusted-comment
 * signature over those bytes, and only then the tar, from the same buffer.
 */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "file.h"
#include "text.h"
#include "tr_int.h"

enum { TR_PATH_MAX = 4096 };

static const char *kind_name(tr_kind k)
{
	return k == TR_RESPONSE ? "response" : "request";
}

void tr_bundle_name(tr_kind kind, const char *segment, uint64_t seq, char *out, size_t n)
{
	snprintf(out, n, "%s-%s-%06" PRIu64, segment, kind_name(kind), seq);
}

void tr_trusted_comment(const tr_meta *m, const char *name, char *out, size_t n)
{
	snprintf(out, n, "plantca-bundle kind=%s segment=%s sender=%s sequence=%" PRIu64
	    " file=%s.tar", kind_name(m->kind), m->segment, m->sender, m->sequence, name);
}

void tr_bundle_free(tr_bundle *b)
{
	if (b->mapped)
		tr_spool_unmap(b->buf, b->len);
	else
		free(b->buf);
	free(b->members);
	tr_meta_free(&b->meta);
	memset(b, 0, sizeof *b);
}

static int cmp_sum(const void *a, const void *b)
{
	return strcmp(((const tr_sum *)a)->name, ((const tr_sum *)b)->name);
}

static int cmp_csr(const void *a, const void *b)
{
	return strcmp((*(tr_csr_entry *const *)a)->member, (*(tr_csr_entry *const *)b)->member);
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* SHA256SUMS against the payload: each member listed once, each line a
 * member, each hash right. */
PC_CHECK static pc_rc check_sums(const tr_member *pl, size_t n, const uint8_t *text, size_t len,
    const uint8_t *map, size_t maplen, const char *what, pc_err *e)
{
	tr_sum *sums = NULL, key;
	bool *used = NULL;
	size_t ns = 0, i;
	pc_rc rc = PC_OK;

	PC_TRY_OUT(tr_sums_parse(text, len, what, &sums, &ns, e));
	if (ns > 1)
		qsort(sums, ns, sizeof *sums, cmp_sum);
	for (i = 1; i < ns; i++)
		if (strcmp(sums[i - 1].name, sums[i].name) == 0) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: SHA256SUMS lists %s twice", what,
			    sums[i].name);
			goto out;
		}
	used = calloc(ns + 1, sizeof *used);
	if (used == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
		goto out;
	}
	for (i = 0; i < n; i++) {
		uint8_t h[TR_HASH_LEN];
		tr_sum *s;

		memcpy(key.name, pl[i].name, sizeof key.name);
		s = ns > 0 ? bsearch(&key, sums, ns, sizeof *sums, cmp_sum) : NULL;
		if (s == NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: member %s is not in SHA256SUMS", what,
			    pl[i].name);
			goto out;
		}
		used[s - sums] = true;
		crypto_hash_sha256(h, pl[i].data, pl[i].len);
		if (map != NULL && i % TR_RELEASE_EVERY == TR_RELEASE_EVERY - 1)
			tr_pages_release(map, maplen);
		if (sodium_memcmp(h, s->hash, sizeof h) != 0) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: member %s: SHA-256 mismatch", what,
			    pl[i].name);
			goto out;
		}
	}
	for (i = 0; i < ns; i++)
		if (!used[i]) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: SHA256SUMS lists %s, which is not in "
			    "the bundle", what, sums[i].name);
			goto out;
		}
out:
	free(used);
	free(sums);
	return rc;
}

/* Requests: every csr line names a .csr member (PKCS#10) or a .cmp
 * member (a device's signed CMP PKIMessage, docs/cmp.md), every such
 * member has exactly one csr line; each line learns its member's index.  Sorted
 * pointers and binary search: O(n log n) for the up to TR_MEMBERS_MAX
 * members a station may send (a search per member was quadratic). */
PC_CHECK static pc_rc check_csrs(tr_meta *m, const tr_member *pl, size_t n,
    const char *what, pc_err *e)
{
	tr_csr_entry **sorted, key, *keyp = &key, **hit;
	size_t i, found = 0;
	pc_rc rc = PC_OK;

	if (m->kind != TR_REQUEST)
		return PC_OK;
	sorted = calloc(m->ncsrs + 1, sizeof *sorted);
	if (sorted == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", what);
	for (i = 0; i < m->ncsrs; i++) {
		m->csrs[i].index = SIZE_MAX;
		sorted[i] = &m->csrs[i];
	}
	if (m->ncsrs > 1)
		qsort(sorted, m->ncsrs, sizeof *sorted, cmp_csr);
	for (i = 0; i < m->ncsrs; i++) {
		if (i > 0 && strcmp(sorted[i - 1]->member, sorted[i]->member) == 0) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE names %s in two csr lines", what,
			    sorted[i]->member);
			goto out;
		}
		if (!ends_with(sorted[i]->member, ".csr") && !ends_with(sorted[i]->member, ".cmp")) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE csr line names %s, not a .csr "
			    "or .cmp member", what, sorted[i]->member);
			goto out;
		}
	}
	for (i = 0; i < n; i++) {
		if (!ends_with(pl[i].name, ".csr") && !ends_with(pl[i].name, ".cmp"))
			continue;
		memcpy(key.member, pl[i].name, sizeof key.member);
		hit = m->ncsrs > 0 ? bsearch(&keyp, sorted, m->ncsrs, sizeof *sorted, cmp_csr)
		    : NULL;
		if (hit == NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: member %s has no csr line in BUNDLE",
			    what, pl[i].name);
			goto out;
		}
		/* member names are unique (tar.c), so each line is hit once */
		(*hit)->index = i;
		found++;
	}
	/* lines are unique and so are members: a line not hit has no member */
	for (i = 0; found != m->ncsrs && i < m->ncsrs; i++)
		if (m->csrs[i].index == SIZE_MAX) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE has a csr line for %s, which is "
			    "not in the bundle", what, m->csrs[i].member);
			goto out;
		}
	if (found != m->ncsrs)
		rc = pc_fail(e, PC_E_INTERNAL, "%s: csr lines and members do not match", what);
out:
	free(sorted);
	return rc;
}

/* Requests: the scan line names a .scan member, and every .scan member
 * is the one it names (a report the CA would not read is refused, not
 * carried along unseen). */
PC_CHECK static pc_rc check_scan(tr_meta *m, const tr_member *pl, size_t n, const char *what, pc_err *e)
{
	size_t i;

	m->scan_index = SIZE_MAX;
	for (i = 0; i < n; i++) {
		if (!ends_with(pl[i].name, ".scan"))
			continue;
		if (strcmp(pl[i].name, m->scan) != 0)
			return pc_fail(e, PC_E_BUNDLE, "%s: member %s has no scan line in BUNDLE", what,
			    pl[i].name);
		m->scan_index = i;
	}
	if (m->scan[0] != '\0' && m->scan_index == SIZE_MAX)
		return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE has a scan line for %s, which is not in "
		    "the bundle", what, m->scan);
	return PC_OK;
}

/* The key rotation members (keyroll.c) travel only with the BUNDLE line
 * that names their key, and the line only with them: a new key is never
 * carried along unseen, nor announced without its proof.  A response
 * announces the CA's next transfer key with its endorsement; a request
 * carries a new station key with its endorsement, and the transfer key
 * the station holds (the key file it was given, no endorsement). */
PC_CHECK static pc_rc check_keyroll(const tr_meta *m, const tr_member *pl, size_t n,
    const char *what, pc_err *e)
{
	static const struct { const char *name; tr_kind kind; const char *key; int line; } rows[] = {
		{ TR_TRANSFER_KEY_MEMBER, TR_RESPONSE, "transfer-key", 0 },
		{ TR_TRANSFER_KEY_MEMBER TR_ENDORSEMENT_SUFFIX, TR_RESPONSE, "transfer-key", 0 },
		{ TR_STATION_KEY_MEMBER, TR_REQUEST, "rekey", 1 },
		{ TR_STATION_KEY_MEMBER TR_ENDORSEMENT_SUFFIX, TR_REQUEST, "rekey", 1 },
		{ TR_TRANSFER_KEY_MEMBER, TR_REQUEST, "holds-transfer-key", 2 },
	};
	const char *line[3] = { m->transfer_key, m->rekey, m->holds_transfer_key };
	size_t i, r, found[sizeof rows / sizeof rows[0]] = { 0 };

	for (i = 0; i < n; i++) {
		bool named = false, here = false;
		for (r = 0; r < sizeof rows / sizeof rows[0]; r++)
			if (strcmp(pl[i].name, rows[r].name) == 0) {
				named = true;
				if (rows[r].kind == m->kind) {
					here = true;
					found[r]++;
				}
			}
		if (named && !here)
			return pc_fail(e, PC_E_BUNDLE, "%s: member %s does not belong in a %s", what,
			    pl[i].name, m->kind == TR_REQUEST ? "request" : "response");
	}
	for (r = 0; r < sizeof rows / sizeof rows[0]; r++) {
		if (rows[r].kind != m->kind)
			continue;
		if (found[r] > 0 && line[rows[r].line][0] == '\0')
			return pc_fail(e, PC_E_BUNDLE, "%s: member %s has no %s line in BUNDLE", what,
			    rows[r].name, rows[r].key);
		if (found[r] == 0 && line[rows[r].line][0] != '\0')
			return pc_fail(e, PC_E_BUNDLE, "%s: BUNDLE has a %s line, but member %s is not in "
			    "the bundle", what, rows[r].key, rows[r].name);
	}
	return PC_OK;
}

pc_rc tr_bundle_parse(const uint8_t *buf, size_t len, bool mapped, const char *what,
    tr_bundle *out, pc_err *e)
{
	tr_member *ms = NULL;
	size_t n = 0;
	pc_rc rc;

	out->members = NULL;
	out->nmembers = 0;
	memset(&out->meta, 0, sizeof out->meta);
	PC_TRY_OUT(tr_tar_parse(buf, len, mapped, what, &ms, &n, e));
	if (n < 1 || strcmp(ms[0].name, "BUNDLE") != 0) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: first member must be BUNDLE", what);
		goto out;
	}
	if (n < 2 || strcmp(ms[1].name, "SHA256SUMS") != 0) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: second member must be SHA256SUMS", what);
		goto out;
	}
	if (n < 3) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: no payload members", what);
		goto out;
	}
	if ((rc = tr_meta_parse(ms[0].data, ms[0].len, what, &out->meta, e)) != PC_OK)
		goto out;
	if ((rc = check_sums(ms + 2, n - 2, ms[1].data, ms[1].len, mapped ? buf : NULL, len, what,
	    e)) != PC_OK ||
	    (rc = check_csrs(&out->meta, ms + 2, n - 2, what, e)) != PC_OK ||
	    (rc = check_scan(&out->meta, ms + 2, n - 2, what, e)) != PC_OK ||
	    (rc = check_keyroll(&out->meta, ms + 2, n - 2, what, e)) != PC_OK)
		goto out;
	/* payload only: drop BUNDLE and SHA256SUMS from the front */
	memmove(ms, ms + 2, (n - 2) * sizeof *ms);
	out->members = ms;
	out->nmembers = n - 2;
	return PC_OK;
out:
	tr_meta_free(&out->meta);
	free(ms);
	return rc;
}

/* "plantca-bundle kind=K segment=S sender=X sequence=N file=F": exactly
 * these six space-separated fields in this order. */
static bool tc_field(const char **p, const char *key, char *out, size_t cap)
{
	size_t klen = strlen(key), n;
	const char *end;

	if (strncmp(*p, key, klen) != 0)
		return false;
	*p += klen;
	end = strchr(*p, ' ');
	n = end != NULL ? (size_t)(end - *p) : strlen(*p);
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, *p, n);
	out[n] = '\0';
	*p += n;
	if (**p == ' ')
		(*p)++;
	return true;
}

pc_rc tr_bundle_read(const char *path, const tr_pubkey *trusted, size_t ntrusted,
    tr_bundle *out, pc_err *e)
{
	return tr_bundle_read_spooled(path, NULL, trusted, ntrusted, out, e);
}

pc_rc tr_bundle_read_spooled(const char *path, const char *spool, const tr_pubkey *trusted,
    size_t ntrusted, tr_bundle *out, pc_err *e)
{
	char sigpath[TR_PATH_MAX], tc[TR_COMMENT_MAX + 1], signer[17];
	char kind[16], seg[TR_SEGMENT_MAX + 2], sender[18], seq[24], file[TR_NAME_MAX + 8];
	const char *base = strrchr(path, '/'), *p;
	uint8_t *sig = NULL, prehash[TR_PREHASH_LEN];
	size_t siglen = 0, blen, which = 0;
	struct stat st;
	pc_rc rc;

	memset(out, 0, sizeof *out);
	base = base != NULL ? base + 1 : path;
	blen = strlen(base);
	if (blen <= 4 || blen - 4 > TR_NAME_MAX || strcmp(base + blen - 4, ".tar") != 0)
		return pc_fail(e, PC_E_BUNDLE, "%s: bundle file name must be NAME.tar", path);
	memcpy(out->name, base, blen - 4);
	out->name[blen - 4] = '\0';
	if (!tr_member_name_ok(out->name))
		return pc_fail(e, PC_E_BUNDLE, "%s: bundle name not allowed", path);
	if ((size_t)snprintf(sigpath, sizeof sigpath, "%s.minisig", path) >= sizeof sigpath)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", path);

	/* 1. the tar: size cap by fstat, then one read into memory, or one
	 * copy into a private spool file that is mapped (hashed as it is
	 * copied: the bytes verified are the bytes used) */
	if (spool == NULL) {
		PC_TRY_OUT(pc_file_read(path, TR_BUNDLE_MAX, &out->buf, &out->len, e));
	} else {
		PC_TRY_OUT(tr_spool_copy(path, spool, TR_BUNDLE_MAX, &out->buf, &out->len, prehash, e));
		out->mapped = true;
	}
	/* 2. the signature */
	if (stat(sigpath, &st) != 0 && errno == ENOENT) {
		rc = pc_fail(e, PC_E_SIGNATURE, "%s: signature file %s is missing", path,
		    sigpath);
		goto out;
	}
	if ((rc = pc_file_read(sigpath, TR_MINISIG_MAX, &sig, &siglen, e)) != PC_OK)
		goto out;
	rc = tr_minisig_verify_hashed(sig, siglen, out->buf, out->len, out->mapped ? prehash : NULL,
	    trusted, ntrusted, path, &which, tc, e);
	if (out->mapped)
		tr_pages_release(out->buf, out->len);
	free(sig);
	if (rc != PC_OK)
		goto out;
	out->signer = which;

	/* 3. the trusted comment, now authenticated */
	p = tc;
	if (strncmp(p, "plantca-bundle ", 15) != 0 || (p += 15, false) ||
	    !tc_field(&p, "kind=", kind, sizeof kind) ||
	    !tc_field(&p, "segment=", seg, sizeof seg) ||
	    !tc_field(&p, "sender=", sender, sizeof sender) ||
	    !tc_field(&p, "sequence=", seq, sizeof seq) ||
	    !tc_field(&p, "file=", file, sizeof file) || *p != '\0') {
		char shown[201];
		size_t i;

		/* signed, but still not ours: show it without control bytes */
		for (i = 0; i < sizeof shown - 1 && tc[i] != '\0'; i++)
			shown[i] = tc[i] >= 0x20 && tc[i] < 0x7f ? tc[i] : '?';
		shown[i] = '\0';
		rc = pc_fail(e, PC_E_BUNDLE, "%s: trusted comment is not a plantca bundle "
		    "comment: \"%s\"", path, shown);
		goto out;
	}
	tr_keyid_text(trusted[which].keyid, signer);
	if (strcmp(sender, signer) != 0) {
		rc = pc_fail(e, PC_E_SIGNATURE, "%s: sender %s in the trusted comment is not "
		    "the signing key %s", path, sender, signer);
		goto out;
	}
	if (strcmp(file, base) != 0) {
		rc = pc_fail(e, PC_E_BUNDLE, "%s: trusted comment names file %s (renamed "
		    "bundle?)", path, file);
		goto out;
	}

	/* 4. only now the tar, from the verified buffer */
	if ((rc = tr_bundle_parse(out->buf, out->len, out->mapped, path, out, e)) != PC_OK)
		goto out;
	{
		char mseq[24];
		const char *field = NULL;

		snprintf(mseq, sizeof mseq, "%" PRIu64, out->meta.sequence);
		if (strcmp(kind, kind_name(out->meta.kind)) != 0)
			field = "kind";
		else if (strcmp(seg, out->meta.segment) != 0)
			field = "segment";
		else if (strcmp(sender, out->meta.sender) != 0)
			field = "sender";
		else if (strcmp(seq, mseq) != 0)
			field = "sequence";
		if (field != NULL) {
			rc = pc_fail(e, PC_E_BUNDLE, "%s: trusted comment does not match BUNDLE "
			    "(%s)", path, field);
			goto out;
		}
	}
	return PC_OK;
out:
	tr_bundle_free(out);
	return rc;
}

pc_rc tr_bundle_check(const tr_bundle *b, tr_kind kind, const char *segment,
    uint64_t last_seq, time_t now, pc_err *e)
{
	char when[PC_TIME_TEXT_MAX];

	if (b->meta.kind != kind)
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: is a %s bundle, expected a %s bundle",
		    b->name, kind_name(b->meta.kind), kind_name(kind));
	if (segment != NULL && strcmp(segment, b->meta.segment) != 0)
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: bundle for segment %s, not %s", b->name,
		    b->meta.segment, segment);
	if (b->meta.sequence <= last_seq)
		return pc_fail(e, PC_E_REPLAY, "%s.tar: sequence %" PRIu64 " is not newer than "
		    "the last accepted (%" PRIu64 "): replayed or old bundle", b->name,
		    b->meta.sequence, last_seq);
	/* bounded steps: see TR_SEQ_STEP_MAX (no overflow: sequence > last_seq) */
	if (b->meta.sequence - last_seq > TR_SEQ_STEP_MAX)
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: sequence %" PRIu64 " jumps more than %d "
		    "past %" PRIu64 ", the last accepted (a sequence that high would leave the "
		    "sender no room; number bundles one after the other)", b->name,
		    b->meta.sequence, TR_SEQ_STEP_MAX, last_seq);
	if (now >= b->meta.expires) {
		pc_time_text(b->meta.expires, when);
		return pc_fail(e, PC_E_EXPIRED, "%s.tar: expired at %s", b->name, when);
	}
	if (b->meta.created > now && b->meta.created - now > TR_FUTURE_SLACK) {
		pc_time_text(b->meta.created, when);
		return pc_fail(e, PC_E_BUNDLE, "%s.tar: created %s, more than a day in the "
		    "future (check the clocks)", b->name, when);
	}
	return PC_OK;
}
