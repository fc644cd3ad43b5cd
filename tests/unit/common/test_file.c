/*
 * test_file.c - pc_file_read (size cap, regular files only, messages that
 * name the file) and the atomic writers.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.h"
#include "check.h"

static char dir[256];

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", dir, name);
}

static void put(const char *path, const void *p, size_t n)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

	CHECK(fd >= 0);
	CHECK(pc_write_all(fd, p, n));
	CHECK(close(fd) == 0);
}

static void test_read(void)
{
	char path[512], empty[512], sub[512], fifo[512], missing[512];
	uint8_t data[1000], *out;
	size_t len, i;

	for (i = 0; i < sizeof data; i++)
		data[i] = (uint8_t)i;
	path_in(path, sizeof path, "data.bin");
	put(path, data, sizeof data);

	/* cap == size is fine; the buffer carries a NUL after the data */
	CHECK_OK(pc_file_read(path, sizeof data, &out, &len, &t_err));
	CHECK(len == sizeof data && memcmp(out, data, len) == 0 && out[len] == 0);
	free(out);
	CHECK_OK(pc_file_read(path, SIZE_MAX, &out, &len, &t_err));
	free(out);

	/* one byte over the cap: refused, naming the file and the limit */
	out = (uint8_t *)1;
	len = 1;
	CHECK_RC(pc_file_read(path, sizeof data - 1, &out, &len, &t_err), PC_E_LIMIT);
	CHECK(out == NULL && len == 0);
	CHECK(t_err.rc == PC_E_LIMIT);
	CHECK_MSG(path);
	CHECK_MSG("1000 bytes");
	CHECK_MSG("999-byte limit");
	CHECK_RC(pc_file_read(path, 0, &out, &len, &t_err), PC_E_LIMIT);

	/* an empty file: a valid empty buffer */
	path_in(empty, sizeof empty, "empty");
	put(empty, "", 0);
	CHECK_OK(pc_file_read(empty, 0, &out, &len, &t_err));
	CHECK(out != NULL && len == 0 && out[0] == 0);
	free(out);

	/* not regular files */
	path_in(sub, sizeof sub, "subdir");
	CHECK(mkdir(sub, 0700) == 0);
	CHECK_RC(pc_file_read(sub, 4096, &out, &len, &t_err), PC_E_IO);
	CHECK_MSG(sub);
	CHECK_MSG("not a regular file");
	CHECK(out == NULL);
	CHECK_RC(pc_file_read("/dev/null", 4096, &out, &len, &t_err), PC_E_IO);
	CHECK_MSG("/dev/null: not a regular file");

	/* a FIFO with no writer must not block the reader: the alarm turns a
	 * hang into a failure of this test */
	path_in(fifo, sizeof fifo, "fifo");
	CHECK(mkfifo(fifo, 0600) == 0);
	alarm(10);
	CHECK_RC(pc_file_read(fifo, 4096, &out, &len, &t_err), PC_E_IO);
	alarm(0);
	CHECK_MSG("not a regular file");

	path_in(missing, sizeof missing, "missing");
	CHECK_RC(pc_file_read(missing, 4096, &out, &len, &t_err), PC_E_IO);
	CHECK_MSG(missing);
	CHECK_MSG("cannot open");

	CHECK(unlink(path) == 0);
	CHECK(unlink(empty) == 0);
	CHECK(unlink(fifo) == 0);
	CHECK(rmdir(sub) == 0);
}

static void test_write(void)
{
	char path[512], link_path[512], sub[512];
	struct stat st;
	uint8_t *out;
	size_t len;

	path_in(path, sizeof path, "out.pem");
	CHECK_OK(pc_file_write_atomic(path, "one", 3, 0640, true, &t_err));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0640);
	/* no_clobber: refused, content unchanged */
	CHECK_RC(pc_file_write_atomic(path, "two", 3, 0600, true, &t_err), PC_E_EXISTS);
	CHECK_MSG(path);
	CHECK_OK(pc_file_read(path, 100, &out, &len, &t_err));
	CHECK_BYTES(out, len, "one", 3);
	free(out);
	/* replace */
	CHECK_OK(pc_file_write_atomic(path, "three", 5, 0600, false, &t_err));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
	CHECK_OK(pc_file_read(path, 100, &out, &len, &t_err));
	CHECK_BYTES(out, len, "three", 5);
	free(out);

	/* the no-sync writer never replaces, and never follows a symlink */
	CHECK_RC(pc_file_write_nosync(path, "x", 1, 0600, &t_err), PC_E_EXISTS);
	path_in(link_path, sizeof link_path, "link");
	CHECK(symlink(path, link_path) == 0);
	CHECK(pc_file_write_nosync(link_path, "x", 1, 0600, &t_err) != PC_OK);
	CHECK(unlink(link_path) == 0);

	path_in(sub, sizeof sub, "d");
	CHECK_OK(pc_mkdir(sub, 0700, &t_err));
	CHECK_OK(pc_mkdir(sub, 0700, &t_err));              /* exists: fine */
	CHECK_RC(pc_mkdir(path, 0700, &t_err), PC_E_IO);    /* a file is in the way */
	CHECK_OK(pc_dir_sync(dir, &t_err));

	CHECK(unlink(path) == 0);
	CHECK(rmdir(sub) == 0);
}

/* pc_path_check_private: mode bits (the owner check needs another user:
 * tests/integration/t_perms.sh, which runs as root, does that one) */
static void test_private(void)
{
	char path[512], missing[512];

	path_in(path, sizeof path, "private");
	path_in(missing, sizeof missing, "no-such-file");
	put(path, "x", 1);
	CHECK(chmod(path, 0644) == 0);
	CHECK_OK(pc_path_check_private(path, false, &t_err));
	CHECK(chmod(path, 0664) == 0);
	CHECK_RC(pc_path_check_private(path, false, &t_err), PC_E_STATE);
	CHECK_MSG("private: writable by group or others (mode 0664): chmod go-w ");
	CHECK(chmod(path, 0602) == 0);
	CHECK_RC(pc_path_check_private(path, false, &t_err), PC_E_STATE);
	CHECK_MSG("(mode 0602)");
	CHECK_OK(pc_path_check_private(missing, true, &t_err));
	CHECK_RC(pc_path_check_private(missing, false, &t_err), PC_E_IO);
	CHECK_MSG("no-such-file: cannot examine");
	CHECK(unlink(path) == 0);
}

int main(void)
{
	t_tmpdir(dir, sizeof dir, "common");
	test_read();
	test_write();
	test_private();
	{
		/* pc_afile: pieces, then all or nothing */
		char path[600];
		pc_afile f;
		pc_err e;
		uint8_t *got;
		size_t len;
		snprintf(path, sizeof path, "%s/pieces", dir);
		CHECK(pc_afile_open(&f, path, 0644, &e) == PC_OK);
		CHECK(pc_afile_write(&f, "abc", 3, &e) == PC_OK);
		CHECK(access(path, F_OK) != 0);          /* nothing under the name yet */
		CHECK(pc_afile_write(&f, "def", 3, &e) == PC_OK);
		CHECK(pc_afile_commit(&f, &e) == PC_OK);
		CHECK(pc_file_read(path, 100, &got, &len, &e) == PC_OK && len == 6 && memcmp(got, "abcdef", 6) == 0);
		free(got);
		CHECK(pc_afile_open(&f, path, 0644, &e) == PC_OK);
		CHECK(pc_afile_write(&f, "zzz", 3, &e) == PC_OK);
		pc_afile_abort(&f);                       /* the old content stays */
		CHECK(pc_file_read(path, 100, &got, &len, &e) == PC_OK && len == 6 && memcmp(got, "abcdef", 6) == 0);
		free(got);
		/* commit_new never replaces: not a file that was there at open,
		 * nor one that appeared after it (the name free at open) */
		CHECK(pc_afile_open(&f, path, 0644, &e) == PC_OK);
		CHECK(pc_afile_write(&f, "new", 3, &e) == PC_OK);
		CHECK(pc_afile_commit_new(&f, &e) == PC_E_EXISTS);
		CHECK(strstr(e.msg, "already exists; not overwriting") != NULL);
		CHECK(pc_file_read(path, 100, &got, &len, &e) == PC_OK && len == 6 && memcmp(got, "abcdef", 6) == 0);
		free(got);
		CHECK(unlink(path) == 0);
		CHECK(pc_afile_open(&f, path, 0644, &e) == PC_OK);
		CHECK(pc_afile_write(&f, "new", 3, &e) == PC_OK);
		put(path, "theirs", 6);                   /* another writer, in between */
		CHECK(pc_afile_commit_new(&f, &e) == PC_E_EXISTS);
		CHECK(pc_file_read(path, 100, &got, &len, &e) == PC_OK && len == 6 && memcmp(got, "theirs", 6) == 0);
		free(got);
		CHECK(unlink(path) == 0);
		CHECK(pc_afile_open(&f, path, 0644, &e) == PC_OK);
		CHECK(pc_afile_write(&f, "new", 3, &e) == PC_OK);
		CHECK(pc_afile_commit_new(&f, &e) == PC_OK);
		CHECK(pc_file_read(path, 100, &got, &len, &e) == PC_OK && len == 3 && memcmp(got, "new", 3) == 0);
		free(got);
		CHECK(unlink(path) == 0);
	}
	CHECK(rmdir(dir) == 0);
	return 0;
}
