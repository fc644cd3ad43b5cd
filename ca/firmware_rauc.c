/*
 * firmware_rauc.c - `plantca firmware sign --format rauc`: a RAUC plain
 * bundle signed with a firmware signer's token key (see firmware.h, and
 * transfer/fwformat.h for the layout).
 *
 * The squashfs payload is copied into the new bundle's temporary file
 * while it is hashed, so that what is signed is exactly what is written,
 * even if the input changes meanwhile; the new bundle appears (rename)
 * only after the signature is checked and recorded.
 */
#include "firmware.h"
#include "firmware_key.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file.h"
#include "fwformat.h"

/* Read exactly n bytes at off. */
PC_CHECK static pc_rc read_at(int fd, const char *path, uint64_t off, uint8_t *p, size_t n,
    pc_err *e)
{
	while (n > 0) {
		ssize_t r = pread(fd, p, n, (off_t)off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return pc_fail(e, PC_E_IO, "%s: read: %s", path, strerror(errno));
		if (r == 0)
			return pc_fail(e, PC_E_IO, "%s: shorter than it was (changed while signing)",
			    path);
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return PC_OK;
}

/* The payload's bytes into f, hashed on the way. */
PC_CHECK static pc_rc copy_payload(int fd, const char *path, uint64_t len, pkix_hash h,
    pc_afile *f, uint8_t digest[PKIX_HASH_MAX], pc_err *e)
{
	pkix_hash_ctx x;
	uint8_t *buf;
	uint64_t off = 0;
	pc_rc rc = PC_OK;

	if ((buf = malloc(FW_CHUNK)) == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	if ((rc = pkix_hash_init(&x, h, e)) != PC_OK) {
		free(buf);
		return rc;
	}
	while (rc == PC_OK && off < len) {
		size_t n = len - off < FW_CHUNK ? (size_t)(len - off) : FW_CHUNK;
		if ((rc = read_at(fd, path, off, buf, n, e)) != PC_OK)
			break;
		pkix_hash_update(&x, buf, n);
		rc = pc_afile_write(f, buf, n, e);
		off += n;
	}
	if (rc == PC_OK)
		rc = pkix_hash_final(&x, digest, e);
	else
		pkix_hash_abort(&x);
	free(buf);
	return rc;
}

pc_rc ca_fw_sign_rauc(ca_ctx *c, const ca_fw_sign_opts *o, pc_err *e)
{
	ca_fw_key fk;
	fw_rauc_layout lay;
	pc_afile f = { .fd = -1 };
	bool afile = false;
	struct stat st;
	uint8_t head[FW_RAUC_SB_LEN], *tail = NULL, digest[PKIX_HASH_MAX], len_be[8];
	size_t head_len, tail_len, i;
	char pkg_id[FW_PKG_ID_MAX];
	pc_buf cms = PC_BUF_INIT;
	time_t now = time(NULL);
	int fd = -1;
	pc_rc rc;

	memset(&fk, 0, sizeof fk);
	PC_TRY_OUT(ca_fw_opts_check(o, pkg_id, e));
	if (o->out == NULL)
		return pc_fail(e, PC_E_USAGE, "--format rauc needs -o OUT.raucb (the signed bundle)");
	if (access(o->out, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", o->out);

	/* the input's layout, before the token is touched */
	fd = open(o->image, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: %s", o->image, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = pc_fail(e, PC_E_IO, "%s: not a regular file", o->image);
		goto out;
	}
	head_len = (uint64_t)st.st_size < sizeof head ? (size_t)st.st_size : sizeof head;
	tail_len = (uint64_t)st.st_size < FW_RAUC_TAIL ? (size_t)st.st_size : FW_RAUC_TAIL;
	if ((tail = malloc(tail_len ? tail_len : 1)) == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "out of memory");
		goto out;
	}
	PC_TRY_OUT(read_at(fd, o->image, 0, head, head_len, e));
	PC_TRY_OUT(read_at(fd, o->image, (uint64_t)st.st_size - tail_len, tail, tail_len, e));
	PC_TRY_OUT(fw_rauc_layout_read(head, head_len, tail, tail_len, (uint64_t)st.st_size,
	    o->image, &lay, e));

	PC_TRY_OUT(ca_fw_key_open(c, o->signer, o->package ? o->package : o->signer, now, &fk, e));
	if (hsm_key_alg(fk.k) == HSM_ED25519) {
		/* RAUC verifies with OpenSSL's CMS, which (3.0) has no Ed25519
		 * SignedData at all: such a bundle would fail on every device */
		rc = pc_fail(e, PC_E_USAGE, "--format rauc: signer '%s' is ed25519, which RAUC "
		    "(OpenSSL's CMS) cannot verify; use an ec-p256 or ec-p384 signer", o->signer);
		goto out;
	}
	PC_TRY_OUT(pc_afile_open(&f, o->out, 0644, e));
	afile = true;
	PC_TRY_OUT(copy_payload(fd, o->image, lay.payload_len, fk.h, &f, digest, e));
	PC_TRY_OUT(ca_fw_key_sign(&fk, digest, pkg_id, o->targets, o->ntargets, now, &cms, e));
	if (cms.len > FW_RAUC_SIG_MAX) {
		rc = pc_fail(e, PC_E_LIMIT, "%s: the signature is %zu bytes, RAUC takes at most %d",
		    o->out, cms.len, FW_RAUC_SIG_MAX);
		goto out;
	}
	for (i = 0; i < 8; i++)
		len_be[i] = (uint8_t)((uint64_t)cms.len >> (56 - 8 * i));
	PC_TRY_OUT(pc_afile_write(&f, cms.p, cms.len, e));
	PC_TRY_OUT(pc_afile_write(&f, len_be, sizeof len_be, e));
	{
		ca_fw_made m = { "rauc", o->image, o->out, NULL, pkg_id, o->version,
			o->package ? o->package : o->signer, digest, lay.payload_len, o->targets,
			o->ntargets };
		/* recorded first: a bundle that exists is in the trail */
		PC_TRY_OUT(ca_fw_record(c, &fk, &m, now, e));
		PC_TRY_OUT(pc_afile_commit(&f, e));
		afile = false;
		ca_fw_report(c, &fk, &m, o->signer);
	}
out:
	if (afile)
		pc_afile_abort(&f);
	if (fd >= 0)
		close(fd);
	free(tail);
	ca_fw_key_close(&fk);
	pc_buf_free(&cms);
	return rc;
}
