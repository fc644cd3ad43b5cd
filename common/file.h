/*
 * file.h - reading untrusted files with a cap, writing outputs atomically.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_FILE_H
#define PLANTCA_FILE_H

#include <limits.h>

#include "pc.h"

/* Read a whole regular file of at most `cap` bytes.  The size is checked
 * with fstat before reading and again while reading (the file may grow).
 * On success *out is a malloc'ed buffer (caller frees) with a NUL byte after
 * the data (not counted in *len).  Errors: PC_E_IO (cannot open/read, not a
 * regular file), PC_E_LIMIT (larger than cap). */
pc_rc pc_file_read(const char *path, size_t cap, uint8_t **out, size_t *len,
    pc_err *e) PC_CHECK;

/* Write atomically: temporary file in the same directory (O_EXCL|O_NOFOLLOW),
 * write, fsync, rename over `path`, fsync the directory.  `mode` is applied
 * to the new file.  If `no_clobber` and `path` exists: PC_E_EXISTS and
 * nothing is written. */
pc_rc pc_file_write_atomic(const char *path, const void *data, size_t len,
    unsigned mode, bool no_clobber, pc_err *e) PC_CHECK;

/* Create a directory (mode) if missing; PC_E_IO if it exists as non-dir. */
pc_rc pc_mkdir(const char *path, unsigned mode, pc_err *e) PC_CHECK;

/* A path only its owner may change: it exists (or, if `optional`, does
 * not), is owned by the effective user and is writable by neither group
 * nor others.  Refusals are PC_E_STATE with a message naming the path and
 * saying what to chmod or chown; PC_E_IO if it cannot be examined.  For
 * the CA home and what it trusts (store, policy): a file another local
 * user can replace is one they decide. */
pc_rc pc_path_check_private(const char *path, bool optional, pc_err *e) PC_CHECK;

/* Write all bytes to an fd, retrying on EINTR/short writes. */
bool pc_write_all(int fd, const void *p, size_t n);



/* Like pc_file_write_atomic(no_clobber) but without the fsyncs: for many
 * files in one directory, followed by one pc_dir_sync(). */
pc_rc pc_file_write_nosync(const char *path, const void *data, size_t len,
    unsigned mode, pc_err *e) PC_CHECK;
/* Flush the file system holding `dir` (syncfs) and fsync `dir` itself. */
pc_rc pc_dir_sync(const char *dir, pc_err *e) PC_CHECK;


/* A file written in pieces but published atomically: a temporary file in
 * the target directory (O_EXCL|O_NOFOLLOW), pc_afile_write() as often as
 * needed, then pc_afile_commit() (fsync, rename over `path`, fsync of the
 * directory) or pc_afile_abort() (the temporary file is removed).  For
 * outputs too large to assemble in memory first (CRLs of millions of
 * entries). */
typedef struct pc_afile {
	int fd;
	char tmp[4096];
	char path[4096];
} pc_afile;

pc_rc pc_afile_open(pc_afile *f, const char *path, unsigned mode, pc_err *e) PC_CHECK;
pc_rc pc_afile_write(pc_afile *f, const void *p, size_t n, pc_err *e) PC_CHECK;
pc_rc pc_afile_commit(pc_afile *f, pc_err *e) PC_CHECK;
/* The same, but never replacing: published with link(), which fails
 * (PC_E_EXISTS "PATH: already exists; not overwriting", the temporary file
 * removed) if `path` exists by then, however recently it appeared. */
pc_rc pc_afile_commit_new(pc_afile *f, pc_err *e) PC_CHECK;
void pc_afile_abort(pc_afile *f);

/* An exclusive lock on a directory that one process at a time may change
 * (the CA home, a station directory): a POSIX write lock on DIR/lock,
 * taken without waiting; a refusal names the holder (F_GETLK): PC_E_STATE
 * "DIR is in use by pid N (another WHO command)".  The kernel drops the
 * lock when the process ends, however it ends (a kill -9 included), so a
 * stale lock file never blocks anybody.  `who` names the program in the
 * message ("plantca", "plantca-station").  *fd gets the descriptor (keep
 * it open while working; pc_dir_unlock closes it). */
pc_rc pc_dir_lock(const char *dir, const char *who, int *fd, pc_err *e) PC_CHECK;
void pc_dir_unlock(int *fd);

#endif
