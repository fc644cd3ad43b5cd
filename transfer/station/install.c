/*
 * install.c - accept's switch of PKI_DIR from the old layout to the new one
 * in one step.
 *
 * The new layout is built beside PKI_DIR, in PARENT/.NAME.accept: every file
 * of the old tree that stays is hard-linked in (an application's own files,
 * private keys, rejected/ included), the planned outputs are written, the
 * file system is synced, and the two trees are exchanged with one
 * renameat2(RENAME_EXCHANGE).  An application reading PKI_DIR sees the old
 * tree or the new one, never a mixture; a crash or failure before the
 * exchange leaves the old tree as it was (the stage is removed by the next
 * accept).  After the exchange the old tree sits at the stage's name and is
 * removed once accept has recorded the sequence (st_install_cleanup).
 *
 * PKI_DIR/.plantca-layout lists the files plantca-station wrote there, one
 * path per line.  It switches with the tree, so it always describes it.
 * A file of the list that the new bundle supersedes (a CA certificate or
 * trust file when the bundle carries trust.pem, a CRL when it carries CRLs)
 * and does not deliver again is not carried into the new tree: a CA
 * dropped from the trust list stops being trusted.  Device certificates
 * and firmware signatures accumulate; files not on the list are never
 * removed.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fault.h"
#include "file.h"
#include "station.h"

#define LAYOUT_LIST ".plantca-layout"

/* The folders a layout line may name and what the files in them are. */
static const struct {
	const char *prefix;            /* "dir/" or an exact file name */
	st_layout_kind kind;
	bool exact;
} kinds[] = {
	{ "chain.pem", ST_KIND_CA, true },
	{ "trust.pem", ST_KIND_CA, true },
	{ "trust.p7b", ST_KIND_CA, true },
	{ "trusted/certs/", ST_KIND_CA, false },
	{ "issuers/certs/", ST_KIND_CA, false },
	{ "crl/", ST_KIND_CRL, false },
	{ "trusted/crl/", ST_KIND_CRL, false },
	{ "issuers/crl/", ST_KIND_CRL, false },
	{ "certs/", ST_KIND_DEVICE, false },
	{ "own/certs/", ST_KIND_DEVICE, false },
	{ "firmware/", ST_KIND_FIRMWARE, false },
};

/* A file name inside one of the folders: [A-Za-z0-9][A-Za-z0-9._-]*, no "..". */
static bool leaf_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > NAME_MAX || !st_is_alnum(s[0]) || strstr(s, "..") != NULL)
		return false;
	for (i = 0; i < n; i++)
		if (!st_is_alnum(s[i]) && s[i] != '.' && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

bool st_layout_kind_of(const char *rel, st_layout_kind *kind)
{
	size_t i, n;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		n = strlen(kinds[i].prefix);
		if (kinds[i].exact ? strcmp(rel, kinds[i].prefix) == 0 :
		    strncmp(rel, kinds[i].prefix, n) == 0 && leaf_ok(rel + n)) {
			*kind = kinds[i].kind;
			return true;
		}
	}
	return false;
}

void st_layout_list_free(st_layout_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}

PC_CHECK static pc_rc list_add(st_layout_list *l, const char *rel, pc_err *e)
{
	if (l->n >= ST_LAYOUT_FILES_MAX)
		return pc_fail(e, PC_E_LIMIT, "more than %d files in the layout", ST_LAYOUT_FILES_MAX);
	if (!pc_grow(&l->v, &l->cap, l->n, sizeof *l->v, 64) || (l->v[l->n] = strdup(rel)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	l->n++;
	return PC_OK;
}

static int cmp_rel(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_sort(st_layout_list *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof *l->v, cmp_rel);
}

/* l sorted (list_sort) */
static bool list_has(const st_layout_list *l, const char *rel)
{
	return l->n > 0 && bsearch(&rel, l->v, l->n, sizeof *l->v, cmp_rel) != NULL;
}

pc_rc st_layout_list_parse(const uint8_t *p, size_t len, const char *path, st_layout_list *l,
    pc_err *e)
{
	size_t at = 0, line = 0;
	st_layout_kind k;

	memset(l, 0, sizeof *l);
	if (len > ST_LAYOUT_LIST_MAX)
		return pc_fail(e, PC_E_LIMIT, "%s: larger than %d bytes", path, ST_LAYOUT_LIST_MAX);
	while (at < len) {
		const uint8_t *nl = memchr(p + at, '\n', len - at);
		char rel[PATH_MAX];
		size_t n;

		line++;
		if (nl == NULL) {
			st_layout_list_free(l);
			return pc_fail(e, PC_E_INPUT, "%s:%zu: no newline at the end", path, line);
		}
		n = (size_t)(nl - (p + at));
		if (n == 0 || n >= sizeof rel || memchr(p + at, '\0', n) != NULL) {
			st_layout_list_free(l);
			return pc_fail(e, PC_E_INPUT, "%s:%zu: %s", path, line,
			    n == 0 ? "empty line" : "not a path of the layout");
		}
		memcpy(rel, p + at, n);
		rel[n] = '\0';
		if (!st_layout_kind_of(rel, &k)) {
			st_layout_list_free(l);
			return pc_fail(e, PC_E_INPUT, "%s:%zu: not a path of the layout", path, line);
		}
		if (list_add(l, rel, e) != PC_OK) {
			st_layout_list_free(l);
			return pc_wrap(e, "%s:%zu", path, line);
		}
		at += n + 1;
	}
	list_sort(l);
	for (line = 1; line < l->n; line++)
		if (strcmp(l->v[line - 1], l->v[line]) == 0) {
			pc_fail(e, PC_E_INPUT, "%s: %s listed twice", path, l->v[line]);
			st_layout_list_free(l);
			return e->rc;
		}
	return PC_OK;
}

/* ------------------------------------------------------------ the stage */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	(void)st; (void)flag; (void)f;
	return remove(path) != 0 && errno != ENOENT ? -1 : 0;
}

PC_CHECK static pc_rc rm_tree(const char *path, pc_err *e)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? PC_OK : pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	if (nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS) != 0)
		return pc_fail(e, PC_E_IO, "%s: cannot remove: %s", path, strerror(errno));
	return PC_OK;
}

typedef struct stage_ctx {
	const st_layout_list *skip;    /* not carried over: stale or written anew */
	const st_layout_list *skip2;
} stage_ctx;

/* Carry the tree at src/rel into dst/rel: directories made with their
 * mode, regular files hard-linked, symbolic links copied as links. */
PC_CHECK static pc_rc carry(const char *src, const char *dst, const char *rel, int depth,
    const stage_ctx *c, pc_err *e)
{
	char sp[PATH_MAX], dp[PATH_MAX], sub[PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dir;
	pc_rc rc = PC_OK;

	if (depth > 32)
		return pc_fail(e, PC_E_STATE, "%s/%s: folders nested too deep", src, rel);
	PC_TRY(st_path_join(sp, src, rel, e));
	if ((dir = opendir(sp)) == NULL)
		return pc_fail(e, PC_E_IO, "%s: cannot read: %s", sp, strerror(errno));
	while (rc == PC_OK && (errno = 0, d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0 ||
		    (depth == 0 && strcmp(d->d_name, LAYOUT_LIST) == 0))
			continue;
		if (snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", d->d_name) >=
		    (int)sizeof sub) {
			rc = pc_fail(e, PC_E_IO, "%s/%s: path too long", sp, d->d_name);
			break;
		}
		if (list_has(c->skip, sub) || list_has(c->skip2, sub))
			continue;
		if ((rc = st_path_join(sp, src, sub, e)) != PC_OK ||
		    (rc = st_path_join(dp, dst, sub, e)) != PC_OK)
			break;
		if (lstat(sp, &st) != 0) {
			rc = pc_fail(e, PC_E_IO, "%s: %s", sp, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			if (mkdir(dp, st.st_mode & 07777) != 0 || chmod(dp, st.st_mode & 07777) != 0)
				rc = pc_fail(e, PC_E_IO, "%s: cannot create: %s", dp, strerror(errno));
			else
				rc = carry(src, dst, sub, depth + 1, c, e);
		} else if (S_ISREG(st.st_mode)) {
			if ((rc = PC_FAULT("accept.link", sp, e)) == PC_OK && link(sp, dp) != 0)
				rc = pc_fail(e, PC_E_IO, "%s: cannot link into the new layout %s: %s", sp, dp,
				    strerror(errno));
		} else if (S_ISLNK(st.st_mode)) {
			char to[PATH_MAX];
			ssize_t n = readlink(sp, to, sizeof to - 1);
			if (n < 0 || (to[n] = '\0', symlink(to, dp) != 0))
				rc = pc_fail(e, PC_E_IO, "%s: cannot copy the link: %s", sp, strerror(errno));
		} else {
			rc = pc_fail(e, PC_E_STATE, "%s: neither a file, a folder nor a link: accept "
			    "cannot carry it into the new layout (move it away)", sp);
		}
	}
	if (rc == PC_OK && errno != 0)
		rc = pc_fail(e, PC_E_IO, "%s: cannot read: %s", sp, strerror(errno));
	closedir(dir);
	return rc;
}

/* PKI_DIR/.plantca-layout of the old tree; none: an empty list. */
PC_CHECK static pc_rc old_list(const char *pki, st_layout_list *l, pc_err *e)
{
	char path[PATH_MAX];
	uint8_t *buf;
	size_t len;
	pc_rc rc;

	memset(l, 0, sizeof *l);
	PC_TRY(st_path_join(path, pki, LAYOUT_LIST, e));
	if (access(path, F_OK) != 0 && errno == ENOENT)
		return PC_OK;
	PC_TRY(pc_file_read(path, ST_LAYOUT_LIST_MAX, &buf, &len, e));
	rc = st_layout_list_parse(buf, len, path, l, e);
	free(buf);
	return rc;
}

PC_CHECK static pc_rc write_outs(const char *stage, const st_outs *outs, bool opcua,
    const st_layout_list *keep, pc_err *e)
{
	static const char *const flat_dirs[] = { "certs", "crl", NULL };
	static const char *const opcua_dirs[] = {
		"own", "own/certs", "trusted", "trusted/certs", "trusted/crl",
		"issuers", "issuers/certs", "issuers/crl", NULL,
	};
	const char *const *dirs = opcua ? opcua_dirs : flat_dirs;
	char path[PATH_MAX];
	pc_buf list = PC_BUF_INIT;
	size_t i;
	pc_rc rc = PC_OK;

	for (i = 0; dirs[i] != NULL; i++) {
		PC_TRY(st_path_join(path, stage, dirs[i], e));
		PC_TRY(pc_mkdir(path, 0755, e));
	}
	for (i = 0; i < outs->n; i++) {
		if (strncmp(outs->v[i].rel, "firmware/", 9) == 0) {
			PC_TRY(st_path_join(path, stage, "firmware", e));
			PC_TRY(pc_mkdir(path, 0755, e));
		}
		PC_TRY(st_path_join(path, stage, outs->v[i].rel, e));
		PC_TRY(pc_file_write_nosync(path, outs->v[i].data, outs->v[i].len, 0644, e));
	}
	for (i = 0; i < keep->n; i++)
		pc_buf_printf(&list, "%s\n", keep->v[i]);
	for (i = 0; i < outs->n; i++)
		if (!list_has(keep, outs->v[i].rel))
			pc_buf_printf(&list, "%s\n", outs->v[i].rel);
	if (!pc_buf_ok(&list))
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
	if (rc == PC_OK && (rc = st_path_join(path, stage, LAYOUT_LIST, e)) == PC_OK)
		rc = pc_file_write_nosync(path, list.p, list.len, 0644, e);
	pc_buf_free(&list);
	return rc;
}

pc_rc st_install_stage(const char *pki, const st_outs *outs, bool opcua, const bool replaces[ST_KIND_N],
    st_install *in, pc_err *e)
{
	char tmp[PATH_MAX], real[PATH_MAX];
	st_layout_list old, stale, keep, fresh;
	struct stat st;
	unsigned mode = 0755;
	size_t i;
	pc_rc rc = PC_OK;

	memset(in, 0, sizeof *in);
	memset(&stale, 0, sizeof stale);
	memset(&keep, 0, sizeof keep);
	memset(&fresh, 0, sizeof fresh);
	memset(&old, 0, sizeof old);
	/* the stage goes beside the real folder (PKI_DIR may be a link to it) */
	in->existed = lstat(pki, &st) == 0;
	if (!in->existed && errno != ENOENT)
		return pc_fail(e, PC_E_IO, "%s: %s", pki, strerror(errno));
	if (in->existed) {
		if (realpath(pki, real) == NULL)
			return pc_fail(e, PC_E_IO, "%s: %s", pki, strerror(errno));
		if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode))
			return pc_fail(e, PC_E_USAGE, "%s: not a directory", pki);
		mode = st.st_mode & 07777;
	} else if (snprintf(real, sizeof real, "%s", pki) >= (int)sizeof real) {
		return pc_fail(e, PC_E_USAGE, "%s: path too long", pki);
	}
	while (strlen(real) > 1 && real[strlen(real) - 1] == '/')
		real[strlen(real) - 1] = '\0';
	snprintf(in->pki, sizeof in->pki, "%s", real);
	snprintf(tmp, sizeof tmp, "%s", real);
	snprintf(in->parent, sizeof in->parent, "%s", dirname(tmp));
	snprintf(tmp, sizeof tmp, "%s", real);
	if (snprintf(in->stage, sizeof in->stage, "%s/.%s.accept", in->parent, basename(tmp)) >=
	    (int)sizeof in->stage)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", pki);

	/* a stage left by an accept that died: never the live tree */
	PC_TRY(rm_tree(in->stage, e));
	if (mkdir(in->stage, mode) != 0 || chmod(in->stage, mode) != 0)
		return pc_fail(e, PC_E_IO, "%s: cannot create: %s", in->stage, strerror(errno));
	in->staged = true;

	if (in->existed)
		rc = old_list(in->pki, &old, e);
	for (i = 0; rc == PC_OK && i < outs->n; i++)
		rc = list_add(&fresh, outs->v[i].rel, e);
	list_sort(&fresh);
	for (i = 0; rc == PC_OK && i < old.n; i++) {
		st_layout_kind k = ST_KIND_DEVICE;
		char path[PATH_MAX];
		(void)st_layout_kind_of(old.v[i], &k);
		if (list_has(&fresh, old.v[i]))
			continue;
		if (replaces[k])
			rc = list_add(&stale, old.v[i], e);
		else if ((rc = st_path_join(path, in->pki, old.v[i], e)) == PC_OK &&
		    access(path, F_OK) == 0)
			rc = list_add(&keep, old.v[i], e);
	}
	list_sort(&stale);
	list_sort(&keep);
	if (rc == PC_OK && in->existed) {
		stage_ctx c = { &stale, &fresh };
		rc = carry(in->pki, in->stage, "", 0, &c, e);
	}
	if (rc == PC_OK)
		rc = write_outs(in->stage, outs, opcua, &keep, e);
	if (rc == PC_OK)
		rc = pc_dir_sync(in->stage, e);
	in->nremoved = stale.n;
	st_layout_list_free(&old);
	st_layout_list_free(&stale);
	st_layout_list_free(&keep);
	st_layout_list_free(&fresh);
	if (rc != PC_OK) {
		pc_err ign;
		if (rm_tree(in->stage, &ign) == PC_OK)
			in->staged = false;
	}
	return rc;
}

pc_rc st_install_switch(st_install *in, pc_err *e)
{
	PC_TRY(PC_FAULT("accept.switch", in->pki, e));
	if (in->existed) {
		if (renameat2(AT_FDCWD, in->stage, AT_FDCWD, in->pki, RENAME_EXCHANGE) != 0)
			return pc_fail(e, PC_E_IO, "%s: cannot switch to the new layout %s: %s", in->pki,
			    in->stage, strerror(errno));
	} else if (rename(in->stage, in->pki) != 0) {
		return pc_fail(e, PC_E_IO, "%s: cannot move the new layout %s into place: %s", in->pki,
		    in->stage, strerror(errno));
	}
	in->switched = true;
	in->staged = in->existed;      /* the old tree is at the stage's name now */
	PC_TRY(PC_FAULT("accept.switched", in->pki, e));
	return pc_dir_sync(in->parent, e);
}

void st_install_cleanup(st_install *in)
{
	pc_err e;

	if (!in->staged)
		return;
	if (rm_tree(in->stage, &e) != PC_OK)
		fprintf(stderr, "plantca-station: warning: %s (the next accept removes it)\n", e.msg);
	in->staged = false;
}
