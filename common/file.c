#include "fault.h"
#include "file.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

pc_rc pc_file_read(const char *path, size_t cap, uint8_t **out, size_t *len, pc_err *e)
{
	struct stat st;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: opening a FIFO without a writer would otherwise block
	 * before fstat() can refuse it; it changes nothing for regular files */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open: %s", path, strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return pc_fail(e, PC_E_IO, "%s: not a regular file", path);
	}
	if ((uintmax_t)st.st_size > cap) {
		close(fd);
		return pc_fail(e, PC_E_LIMIT, "%s: file is %jd bytes, larger than the %zu-byte limit",
		    path, (intmax_t)st.st_size, cap);
	}
	buf = malloc((size_t)st.st_size + 2);
	if (buf == NULL) {
		close(fd);
		return pc_fail(e, PC_E_NOMEM, "%s: out of memory", path);
	}
	for (;;) {
		/* read one byte more than fstat said, to notice growth */
		ssize_t n = read(fd, buf + got, (size_t)st.st_size + 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int err = errno;
			free(buf);
			close(fd);
			return pc_fail(e, PC_E_IO, "%s: read failed: %s", path, strerror(err));
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > (size_t)st.st_size) {
			free(buf);
			close(fd);
			return pc_fail(e, PC_E_IO, "%s: file changed while being read", path);
		}
	}
	close(fd);
	buf[got] = 0;
	*out = buf;
	*len = got;
	return PC_OK;
}

bool pc_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *c = p;

	while (n > 0) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return false;
		c += w;
		n -= (size_t)w;
	}
	return true;
}

PC_CHECK static pc_rc fsync_dir_of(const char *path, pc_err *e)
{
	char tmp[PATH_MAX];
	int fd;

	if (strlen(path) >= sizeof tmp)
		return pc_fail(e, PC_E_IO, "%s: path too long", path);
	strcpy(tmp, path);
	fd = open(dirname(tmp), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open directory: %s", path, strerror(errno));
	if (fsync(fd) != 0) {
		int err = errno;
		close(fd);
		return pc_fail(e, PC_E_IO, "%s: fsync of directory failed: %s", path, strerror(err));
	}
	close(fd);
	return PC_OK;
}

/* An output is written beside its name and renamed over it: that would
 * replace a device, a FIFO, a directory entry of another kind or a
 * symlink (not write through it) with a regular file.  `-o /dev/null` once
 * turned /dev/null into a file this way.  Only a missing name or a
 * regular file may be replaced. */
PC_CHECK static pc_rc target_ok(const char *path, pc_err *e)
{
	struct stat st;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? PC_OK : pc_fail(e, PC_E_IO, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pc_fail(e, PC_E_USAGE, "%s: exists and is not a regular file (outputs are "
		    "written beside it and renamed into place); give a new file name", path);
	return PC_OK;
}

pc_rc pc_file_write_atomic(const char *path, const void *data, size_t len,
    unsigned mode, bool no_clobber, pc_err *e)
{
	char tmp[PATH_MAX];
	int fd, n, err;

	PC_TRY(target_ok(path, e));
	if (no_clobber && access(path, F_OK) == 0)
		return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", path);
	n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp)
		return pc_fail(e, PC_E_IO, "%s: path too long", path);
	PC_TRY(PC_FAULT("file.write", path, e));
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot create: %s", tmp, strerror(errno));
	if (fchmod(fd, mode) != 0 || !pc_write_all(fd, data, len) || fsync(fd) != 0) {
		err = errno;
		close(fd);
		unlink(tmp);
		return pc_fail(e, PC_E_IO, "%s: write failed: %s", path, strerror(err));
	}
	if (close(fd) != 0) {
		err = errno;
		unlink(tmp);
		return pc_fail(e, PC_E_IO, "%s: close failed: %s", path, strerror(err));
	}
	if (PC_FAULT("file.rename", path, e) != PC_OK) {
		unlink(tmp);
		return e->rc;
	}
	if (no_clobber) {
		/* link() refuses to replace an existing name: no race with access() */
		if (link(tmp, path) != 0) {
			err = errno;
			unlink(tmp);
			if (err == EEXIST)
				return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", path);
			return pc_fail(e, PC_E_IO, "%s: cannot create: %s", path, strerror(err));
		}
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		err = errno;
		unlink(tmp);
		return pc_fail(e, PC_E_IO, "%s: rename failed: %s", path, strerror(err));
	}
	PC_TRY(PC_FAULT("file.dirsync", path, e));
	return fsync_dir_of(path, e);
}

pc_rc pc_path_check_private(const char *path, bool optional, pc_err *e)
{
	struct stat st;
	uid_t me = geteuid();

	if (stat(path, &st) != 0) {
		if (errno == ENOENT && optional)
			return PC_OK;
		return pc_fail(e, PC_E_IO, "%s: cannot examine: %s", path, strerror(errno));
	}
	if (st.st_uid != me)
		return pc_fail(e, PC_E_STATE, "%s: owned by uid %u, not by uid %u who runs this: "
		    "chown %u %s (or use a directory of your own)", path, (unsigned)st.st_uid,
		    (unsigned)me, (unsigned)me, path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return pc_fail(e, PC_E_STATE, "%s: writable by group or others (mode %04o): "
		    "chmod go-w %s", path, (unsigned)(st.st_mode & 07777), path);
	return PC_OK;
}

pc_rc pc_mkdir(const char *path, unsigned mode, pc_err *e)
{
	struct stat st;

	if (mkdir(path, mode) == 0)
		return PC_OK;
	if (errno == EEXIST && stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		return PC_OK;
	return pc_fail(e, PC_E_IO, "%s: cannot create directory: %s", path, strerror(errno));
}

/* An unnamed file in `dir` (O_TMPFILE), or -1 where the file system has
 * none (then the caller falls back to a temporary name). */
static int open_unnamed(const char *path, unsigned mode)
{
	char dir[PATH_MAX];

	if (strlen(path) >= sizeof dir)
		return -1;
	strcpy(dir, path);
	return open(dirname(dir), O_WRONLY | O_TMPFILE | O_CLOEXEC, mode);
}

pc_rc pc_file_write_nosync(const char *path, const void *data, size_t len,
    unsigned mode, pc_err *e)
{
	char tmp[PATH_MAX];
	int fd, n, err;
	bool unnamed;

	/* Write under no name (O_TMPFILE) or a temporary one, then link() it
	 * in: a reader, or a crash, never sees a partial file under the final
	 * name, and an existing file is never replaced (link fails EEXIST). */
	PC_TRY(PC_FAULT("file.write", path, e));
	fd = open_unnamed(path, mode);
	unnamed = fd >= 0;
	if (unnamed) {
		n = snprintf(tmp, sizeof tmp, "/proc/self/fd/%d", fd);
	} else {
		n = snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
		if (n > 0 && (size_t)n < sizeof tmp)
			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	}
	if (n < 0 || (size_t)n >= sizeof tmp)
		return pc_fail(e, PC_E_IO, "%s: path too long", path);
	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot create: %s", path, strerror(errno));
	if (!pc_write_all(fd, data, len) || (unnamed && fchmod(fd, mode) != 0)) {
		err = errno;
		close(fd);
		if (!unnamed)
			unlink(tmp);
		return pc_fail(e, PC_E_IO, "%s: write failed: %s", path, strerror(err));
	}
	if (unnamed) {
		/* linking through /proc needs no privilege, unlike AT_EMPTY_PATH */
		n = linkat(AT_FDCWD, tmp, AT_FDCWD, path, AT_SYMLINK_FOLLOW);
		err = errno;
		close(fd);
	} else {
		if (close(fd) != 0) {
			err = errno;
			unlink(tmp);
			return pc_fail(e, PC_E_IO, "%s: close failed: %s", path, strerror(err));
		}
		n = link(tmp, path);
		err = errno;
		unlink(tmp);
	}
	if (n != 0) {
		if (err == EEXIST)
			return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", path);
		return pc_fail(e, PC_E_IO, "%s: cannot create: %s", path, strerror(err));
	}
	return PC_OK;
}

pc_rc pc_dir_sync(const char *dir, pc_err *e)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int err;

	if (fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open directory: %s", dir, strerror(errno));
	if (PC_FAULT("dir.sync", dir, e) != PC_OK) {
		close(fd);
		return e->rc;
	}
	if (syncfs(fd) != 0 || fsync(fd) != 0) {
		err = errno;
		close(fd);
		return pc_fail(e, PC_E_IO, "%s: sync failed: %s", dir, strerror(err));
	}
	close(fd);
	return PC_OK;
}

pc_rc pc_afile_open(pc_afile *f, const char *path, unsigned mode, pc_err *e)
{
	int n;

	f->fd = -1;
	if (strlen(path) >= sizeof f->path)
		return pc_fail(e, PC_E_IO, "%s: path too long", path);
	PC_TRY(target_ok(path, e));
	strcpy(f->path, path);
	n = snprintf(f->tmp, sizeof f->tmp, "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof f->tmp)
		return pc_fail(e, PC_E_IO, "%s: path too long", path);
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (f->fd < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot create: %s", f->tmp, strerror(errno));
	if (fchmod(f->fd, mode) != 0) {
		int err = errno;
		pc_afile_abort(f);
		return pc_fail(e, PC_E_IO, "%s: chmod failed: %s", path, strerror(err));
	}
	return PC_OK;
}

pc_rc pc_afile_write(pc_afile *f, const void *p, size_t n, pc_err *e)
{
	if (f->fd < 0)
		return pc_fail(e, PC_E_INTERNAL, "%s: not open", f->path);
	if (!pc_write_all(f->fd, p, n)) {
		int err = errno;
		pc_afile_abort(f);
		return pc_fail(e, PC_E_IO, "%s: write failed: %s", f->path, strerror(err));
	}
	return PC_OK;
}

/* fsync and close f, then publish it: rename over the name, or (no_clobber)
 * link() beside it, which fails if the name exists, whatever was checked
 * before (another writer may create it in between). */
PC_CHECK static pc_rc afile_publish(pc_afile *f, bool no_clobber, pc_err *e)
{
	int err;

	if (f->fd < 0)
		return pc_fail(e, PC_E_INTERNAL, "%s: not open", f->path);
	if (fsync(f->fd) != 0 || close(f->fd) != 0) {
		err = errno;
		f->fd = -1;
		unlink(f->tmp);
		return pc_fail(e, PC_E_IO, "%s: write failed: %s", f->path, strerror(err));
	}
	f->fd = -1;
	if (PC_FAULT(no_clobber ? "file.link" : "file.rename", f->path, e) != PC_OK) {
		unlink(f->tmp);
		return e->rc;
	}
	if (no_clobber) {
		if (link(f->tmp, f->path) != 0) {
			err = errno;
			unlink(f->tmp);
			if (err == EEXIST)
				return pc_fail(e, PC_E_EXISTS, "%s: already exists; not overwriting", f->path);
			return pc_fail(e, PC_E_IO, "%s: cannot create: %s", f->path, strerror(err));
		}
		unlink(f->tmp);
	} else if (rename(f->tmp, f->path) != 0) {
		err = errno;
		unlink(f->tmp);
		return pc_fail(e, PC_E_IO, "%s: rename failed: %s", f->path, strerror(err));
	}
	return fsync_dir_of(f->path, e);
}

pc_rc pc_afile_commit(pc_afile *f, pc_err *e)
{
	return afile_publish(f, false, e);
}

pc_rc pc_afile_commit_new(pc_afile *f, pc_err *e)
{
	return afile_publish(f, true, e);
}

void pc_afile_abort(pc_afile *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->tmp);
	}
	f->fd = -1;
}

pc_rc pc_dir_lock(const char *dir, const char *who, int *fd, pc_err *e)
{
	char path[PATH_MAX], pidtext[32];
	struct flock fl;
	int f, n;

	*fd = -1;
	if ((size_t)snprintf(path, sizeof path, "%s/lock", dir) >= sizeof path)
		return pc_fail(e, PC_E_USAGE, "%s: path too long", dir);
	f = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	if (f < 0)
		return pc_fail(e, PC_E_IO, "%s: cannot open: %s", path, strerror(errno));
	/* a POSIX record lock, so that F_GETLK can name the holder; this is
	 * the only descriptor of the file in the process (closing another one
	 * would drop a POSIX lock) */
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(f, F_SETLK, &fl) != 0) {
		int err = errno;

		if (err != EACCES && err != EAGAIN) {
			close(f);
			return pc_fail(e, PC_E_IO, "%s: cannot lock: %s", path, strerror(err));
		}
		memset(&fl, 0, sizeof fl);
		fl.l_type = F_WRLCK;
		fl.l_whence = SEEK_SET;
		if (fcntl(f, F_GETLK, &fl) != 0 || fl.l_type == F_UNLCK)
			fl.l_pid = 0;
		close(f);
		if (fl.l_pid > 0)
			return pc_fail(e, PC_E_STATE, "%s is in use by pid %ld (another %s command); "
			    "wait for it to finish", dir, (long)fl.l_pid, who);
		return pc_fail(e, PC_E_STATE, "%s is in use by another %s command; wait for it to "
		    "finish", dir, who);
	}
	/* the pid in the file is for a person looking at the directory */
	n = snprintf(pidtext, sizeof pidtext, "%ld\n", (long)getpid());
	if (ftruncate(f, 0) != 0 || pwrite(f, pidtext, (size_t)n, 0) != n) {
		int err = errno;
		close(f);
		return pc_fail(e, PC_E_IO, "%s: cannot write: %s", path, strerror(err));
	}
	*fd = f;
	return PC_OK;
}

void pc_dir_unlock(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}
