/*
 * spool.c - a bundle of any size read without holding it in memory: copied
 * into a private nameless file, hashed on the way, mapped read-only.
 *
 * Why a copy and not a mapping of the file itself: the file is on a stick
 * that a hostile plant side prepared.  A mapping's pages are read again
 * from the file whenever memory is let go of (tr_pages_release), and a
 * stick (or a fake one) may answer the second read differently from the
 * first.  The copy lives in a directory of ours (the CA home, the station
 * directory), has no name (O_TMPFILE), so nobody can open or change it,
 * and vanishes when the process ends, however it ends.  Its BLAKE2b-512,
 * the prehash a minisign "ED" signature signs, is computed from the very
 * bytes written into it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "tr_int.h"

enum { SPOOL_CHUNK = 1 << 20 };

/* A file in dir that no one else can reach: O_TMPFILE where the file
 * system has it, else a fresh name unlinked at once. */
PC_CHECK static pc_rc spool_open(const char *dir, int *fd, pc_err *e)
{
	char tmpl[4096];

	*fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (*fd >= 0)
		return PC_OK;
	if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
		return pc_fail(e, PC_E_IO, "%s: cannot make a spool file: %s", dir, strerror(errno));
	if ((size_t)snprintf(tmpl, sizeof tmpl, "%s/.spool.XXXXXX", dir) >= sizeof tmpl)
		return pc_fail(e, PC_E_IO, "%s: path too long", dir);
	*fd = mkostemp(tmpl, O_CLOEXEC);
	if (*fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot make a spool file: %s", dir, strerror(errno));
	(void)unlink(tmpl);
	return PC_OK;
}

/* Read-only mapping of len bytes of fd (len 0: a page of nothing, so that
 * every mapping can be unmapped the same way). */
PC_CHECK static pc_rc map_fd(int fd, size_t len, const char *what, uint8_t **map, pc_err *e)
{
	void *m = len > 0 ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0)
	    : mmap(NULL, 1, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return pc_fail(e, PC_E_NOMEM, "%s: cannot map: %s", what, strerror(errno));
	*map = m;
	return PC_OK;
}

void tr_spool_unmap(uint8_t *map, size_t len)
{
	if (map != NULL)
		(void)munmap(map, len > 0 ? len : 1);
}

pc_rc tr_spool_copy(const char *path, const char *dir, size_t cap, uint8_t **map, size_t *len,
    uint8_t prehash[TR_PREHASH_LEN], pc_err *e)
{
	crypto_generichash_state h;
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int in, out = -1;
	pc_rc rc = PC_OK;

	*map = NULL;
	*len = 0;
	/* the same opening rules and messages as pc_file_read */
	in = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(in, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = pc_fail(e, PC_E_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((uintmax_t)st.st_size > cap) {
		rc = pc_fail(e, PC_E_LIMIT, "%s: file is %jd bytes, larger than the %zu-byte limit",
		    path, (intmax_t)st.st_size, cap);
		goto out;
	}
	if ((buf = malloc(SPOOL_CHUNK)) == NULL) {
		rc = pc_fail(e, PC_E_NOMEM, "%s: out of memory", path);
		goto out;
	}
	if ((rc = spool_open(dir, &out, e)) != PC_OK)
		goto out;
	crypto_generichash_init(&h, NULL, 0, TR_PREHASH_LEN);
	for (;;) {
		ssize_t n = read(in, buf, SPOOL_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pc_fail(e, PC_E_IO, "%s: read failed: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			rc = pc_fail(e, PC_E_IO, "%s: file changed while being read", path);
			goto out;
		}
		crypto_generichash_update(&h, buf, (size_t)n);
		if (!pc_write_all(out, buf, (size_t)n)) {
			rc = pc_fail(e, PC_E_IO, "%s: cannot write the spool copy in %s: %s", path, dir,
			    strerror(errno));
			goto out;
		}
	}
	crypto_generichash_final(&h, prehash, TR_PREHASH_LEN);
	if ((rc = map_fd(out, got, path, map, e)) == PC_OK)
		*len = got;
out:
	free(buf);
	close(in);
	if (out >= 0)
		close(out);   /* the mapping keeps the nameless file alive */
	return rc;
}

pc_rc tr_spool_map(const char *path, size_t cap, uint8_t **map, size_t *len, pc_err *e)
{
	struct stat st;
	int fd;
	pc_rc rc;

	*map = NULL;
	*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uintmax_t)st.st_size > cap) {
		close(fd);
		return pc_fail(e, PC_E_IO, "%s: not a regular file of at most %zu bytes", path, cap);
	}
	rc = map_fd(fd, (size_t)st.st_size, path, map, e);
	if (rc == PC_OK)
		*len = (size_t)st.st_size;
	close(fd);
	return rc;
}

void tr_bundle_release_pages(const tr_bundle *b)
{
	if (b->mapped)
		tr_pages_release(b->buf, b->len);
}
