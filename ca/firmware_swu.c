/*
 * firmware_swu.c - `plantca firmware sign --format swupdate`: SWUpdate's
 * sw-description.sig, a detached CMS over sw-description made with a
 * firmware signer's token key (see firmware.h).
 *
 * Given sw-description itself, the signature goes beside it
 * (sw-description.sig, or -o).  Given a .swu (a "newc" cpio archive whose
 * first member is sw-description, SWUpdate's rule), a new .swu is written
 * (-o) with sw-description first, the new sw-description.sig second (any
 * old one dropped) and every other member after them as it was: SWUpdate
 * reads the signature right after sw-description and checks every image
 * by the sha256 that the signed sw-description gives it.
 *
 * The archive is read and written by libarchive (cpio only, newc only,
 * no compression filter), not by a parser of ours.
 */
#include "firmware.h"
#include "firmware_key.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"

enum {
	FW_SWU_DESC_MAX = 4 * 1024 * 1024,   /* sw-description bytes we sign */
};

#define SWU_DESC "sw-description"
#define SWU_SIG "sw-description.sig"

/* A newc cpio archive starts with "070701" (or "070702": with checksums). */
static bool is_newc(const char *path)
{
	char m[6];
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	bool yes;

	if (fd < 0)
		return false;
	yes = read(fd, m, sizeof m) == (ssize_t)sizeof m &&
	    (memcmp(m, "070701", 6) == 0 || memcmp(m, "070702", 6) == 0);
	close(fd);
	return yes;
}

PC_CHECK static pc_rc ar_fail(pc_err *e, struct archive *a, const char *path, const char *what)
{
	const char *why = archive_error_string(a);

	return pc_fail(e, PC_E_INPUT, "%s: %s: %s", path, what, why ? why : "libarchive error");
}

/* The current member's data, all of it, into *out (at most max bytes). */
PC_CHECK static pc_rc read_member(struct archive *in, const char *path, size_t max, pc_buf *out,
    pc_err *e)
{
	uint8_t buf[64 * 1024];
	la_ssize_t n;

	while ((n = archive_read_data(in, buf, sizeof buf)) > 0) {
		if (out->len + (size_t)n > max)
			return pc_fail(e, PC_E_LIMIT, "%s: %s is larger than %d bytes", path, SWU_DESC,
			    FW_SWU_DESC_MAX);
		pc_buf_append(out, buf, (size_t)n);
	}
	if (n < 0)
		return ar_fail(e, in, path, "reading " SWU_DESC);
	return pc_buf_ok(out) ? PC_OK : pc_fail(e, PC_E_NOMEM, "out of memory");
}

PC_CHECK static pc_rc write_member(struct archive *out, struct archive_entry *ent,
    const uint8_t *p, size_t n, const char *path, pc_err *e)
{
	if (archive_write_header(out, ent) != ARCHIVE_OK)
		return pc_fail(e, PC_E_IO, "%s: %s", path, archive_error_string(out));
	if (n && archive_write_data(out, p, n) != (la_ssize_t)n)
		return pc_fail(e, PC_E_IO, "%s: %s", path, archive_error_string(out));
	return PC_OK;
}

/* The members after sw-description (and an old signature), copied. */
PC_CHECK static pc_rc copy_rest(struct archive *in, struct archive *out, const char *ipath,
    const char *opath, pc_err *e)
{
	struct archive_entry *ent;
	uint8_t *buf;
	bool first = true;
	la_ssize_t n;
	int r;
	pc_rc rc = PC_OK;

	if ((buf = malloc(FW_CHUNK)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	while (rc == PC_OK && (r = archive_read_next_header(in, &ent)) == ARCHIVE_OK) {
		const char *name = archive_entry_pathname(ent);
		bool old_sig = name && strcmp(name, SWU_SIG) == 0;
		if (name && (strcmp(name, SWU_DESC) == 0 || (old_sig && !first))) {
			rc = pc_fail(e, PC_E_INPUT, "%s: member %s appears twice", ipath, name);
			break;
		}
		first = false;
		if (old_sig)
			continue;   /* replaced by the new signature */
		if (archive_write_header(out, ent) != ARCHIVE_OK) {
			rc = pc_fail(e, PC_E_IO, "%s: %s", opath, archive_error_string(out));
			break;
		}
		while ((n = archive_read_data(in, buf, FW_CHUNK)) > 0)
			if (archive_write_data(out, buf, (size_t)n) != n) {
				rc = pc_fail(e, PC_E_IO, "%s: %s", opath, archive_error_string(out));
				break;
			}
		if (rc == PC_OK && n < 0)
			rc = ar_fail(e, in, ipath, "reading a member");
	}
	if (rc == PC_OK && r != ARCHIVE_EOF)
		rc = ar_fail(e, in, ipath, "not a newc cpio archive");
	free(buf);
	return rc;
}

/* Open the .swu and read its first member, which must be sw-description. */
PC_CHECK static pc_rc swu_open(const char *path, struct archive **in,
    struct archive_entry **desc, pc_buf *text, pc_err *e)
{
	struct archive_entry *ent;
	int fmt;

	if ((*in = archive_read_new()) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	/* cpio only, and no compression filter: what SWUpdate reads */
	if (archive_read_support_format_cpio(*in) != ARCHIVE_OK ||
	    archive_read_open_filename(*in, path, 64 * 1024) != ARCHIVE_OK)
		return ar_fail(e, *in, path, "cannot open");
	if (archive_read_next_header(*in, &ent) != ARCHIVE_OK)
		return ar_fail(e, *in, path, "not a cpio archive");
	fmt = archive_format(*in);
	if (fmt != ARCHIVE_FORMAT_CPIO_SVR4_NOCRC && fmt != ARCHIVE_FORMAT_CPIO_SVR4_CRC)
		return pc_fail(e, PC_E_INPUT, "%s: a %s archive; SWUpdate reads newc cpio only", path,
		    archive_format_name(*in));
	if (!archive_entry_pathname(ent) || strcmp(archive_entry_pathname(ent), SWU_DESC) != 0 ||
	    archive_entry_filetype(ent) != AE_IFREG)
		return pc_fail(e, PC_E_INPUT, "%s: the first member is not the file %s (SWUpdate "
		    "requires it first)", path, SWU_DESC);
	if ((*desc = archive_entry_clone(ent)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	return read_member(*in, path, FW_SWU_DESC_MAX, text, e);
}

/* The new .swu into f: sw-description, the signature, the rest. */
PC_CHECK static pc_rc swu_write(struct archive *in, struct archive_entry *desc,
    const pc_buf *text, const pc_buf *cms, const char *ipath, pc_afile *f, pc_err *e)
{
	struct archive *out = archive_write_new();
	struct archive_entry *sig = archive_entry_new();
	pc_rc rc = PC_OK;

	if (out == NULL || sig == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	if (archive_write_set_format_cpio_newc(out) != ARCHIVE_OK ||
	    archive_write_set_bytes_in_last_block(out, 1) != ARCHIVE_OK ||
	    archive_write_open_fd(out, f->fd) != ARCHIVE_OK) {
		rc = pc_fail(e, PC_E_IO, "%s: %s", f->path, archive_error_string(out));
		goto out;
	}
	archive_entry_set_pathname(sig, SWU_SIG);
	archive_entry_set_filetype(sig, AE_IFREG);
	archive_entry_set_perm(sig, 0644);
	archive_entry_set_size(sig, (la_int64_t)cms->len);
	archive_entry_set_mtime(sig, archive_entry_mtime(desc), 0);
	archive_entry_set_nlink(sig, 1);
	archive_entry_set_ino(sig, archive_entry_ino(desc) + 1);
	PC_TRY_OUT(write_member(out, desc, text->p, text->len, f->path, e));
	PC_TRY_OUT(write_member(out, sig, cms->p, cms->len, f->path, e));
	PC_TRY_OUT(copy_rest(in, out, ipath, f->path, e));
	if (archive_write_close(out) != ARCHIVE_OK)
		rc = pc_fail(e, PC_E_IO, "%s: %s", f->path, archive_error_string(out));
out:
	archive_entry_free(sig);
	if (out)
		archive_write_free(out);
	return rc;
}

pc_rc ca_fw_sign_swupdate(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e)
{
	ca_fw_key fk;
	struct archive *in = NULL;
	struct archive_entry *desc = NULL;
	pc_afile f = { .fd = -1 };
	bool swu, afile = false;
	uint8_t digest[PKIX_HASH_MAX], *raw = NULL;
	size_t raw_len = 0;
	char pkg_id[FW_PKG_ID_MAX], out_path[PATH_MAX];
	pc_buf text = PC_BUF_INIT, cms = PC_BUF_INIT;
	time_t now = time(NULL);
	pc_rc rc;

	memset(&fk, 0, sizeof fk);
	PC_TRY_OUT(ca_fw_opts_check(o, pkg_id, e));
	swu = is_newc(o->image);
	if (swu && o->out == NULL)
		return pc_fail(e, PC_E_USAGE, "%s is a .swu archive: --format swupdate needs "
		    "-o OUT.swu (the signed archive)", o->image);
	if ((size_t)snprintf(out_path, sizeof out_path, "%s%s", o->out ? o->out : o->image,
	    o->out ? "" : ".sig") >= sizeof out_path)
		return pc_fail(e, PC_E_USAGE, "output path too long");
	if (access(out_path, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", out_path);

	/* what is signed, before the token is touched */
	if (swu) {
		PC_TRY_OUT(swu_open(o->image, &in, &desc, &text, e));
	} else {
		PC_TRY_OUT(pc_file_read(o->image, FW_SWU_DESC_MAX, &raw, &raw_len, e));
		/* sw-description is text (libconfig or JSON): a NUL byte means
		 * another archive format, which SWUpdate would not read either */
		if (memchr(raw, 0, raw_len) != NULL) {
			rc = pc_fail(e, PC_E_INPUT, "%s: neither a newc cpio archive (.swu) nor an "
			    "sw-description (it holds a NUL byte)", o->image);
			goto out;
		}
		pc_buf_append(&text, raw, raw_len);
		if (!pc_buf_ok(&text)) {
			rc = pc_fail(e, PC_E_NOMEM, "out of memory");
			goto out;
		}
	}
	if (text.len == 0) {
		rc = pc_fail(e, PC_E_INPUT, "%s: %s is empty", o->image, SWU_DESC);
		goto out;
	}
	PC_TRY_OUT(ca_fw_key_open(c, o->signer, o->package ? o->package : o->signer, now, &fk, e));
	if (hsm_key_alg(fk.k) == HSM_ED25519) {
		/* SWUpdate verifies with OpenSSL's CMS, which (3.0) has no
		 * Ed25519 SignedData at all */
		rc = pc_fail(e, PC_E_USAGE, "--format swupdate: signer '%s' is ed25519, which "
		    "SWUpdate (OpenSSL's CMS) cannot verify; use an ec-p256 or ec-p384 signer",
		    o->signer);
		goto out;
	}
	PC_TRY_OUT(pkix_hash_once(fk.h, text.p, text.len, digest, e));
	PC_TRY_OUT(ca_fw_key_sign(&fk, digest, pkg_id, o->targets, o->ntargets, now, &cms, e));
	if (swu) {
		PC_TRY_OUT(pc_afile_open(&f, out_path, 0644, e));
		afile = true;
		PC_TRY_OUT(swu_write(in, desc, &text, &cms, o->image, &f, e));
	}
	{
		ca_fw_made m = { "swupdate", o->image, out_path, NULL, pkg_id, o->version,
			o->package ? o->package : o->signer, digest, text.len, o->targets,
			o->ntargets };
		/* recorded first: a signature that exists is in the trail */
		PC_TRY_OUT(ca_fw_record(c, &fk, &m, now, e));
		if (swu) {
			PC_TRY_OUT(pc_afile_commit(&f, e));
			afile = false;
		} else {
			PC_TRY_OUT(pc_file_write_atomic(out_path, cms.p, cms.len, 0644, true, e));
		}
		ca_fw_report(c, &fk, &m, o->signer);
	}
out:
	if (afile)
		pc_afile_abort(&f);
	if (desc)
		archive_entry_free(desc);
	if (in)
		archive_read_free(in);
	free(raw);
	ca_fw_key_close(&fk);
	pc_buf_free(&text);
	pc_buf_free(&cms);
	return rc;
}
