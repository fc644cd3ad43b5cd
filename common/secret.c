#include "secret.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

/* Mode bits a PIN or passphrase file must not have: its owner alone may
 * read or write it (chmod 600). */
#define PC_SECRET_FILE_FORBIDDEN (S_IRWXG | S_IRWXO)

pc_rc pc_secure_process(pc_err *e)
{
	struct rlimit rl = { 0, 0 };

	if (setrlimit(RLIMIT_CORE, &rl) != 0)
		return pc_fail(e, PC_E_IO, "cannot disable core dumps: %s", strerror(errno));
	/* Not dumpable: no core files, no ptrace by same-uid processes. */
	(void)prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	if (sodium_init() < 0)
		return pc_fail(e, PC_E_INTERNAL, "libsodium failed to initialise");
	return PC_OK;
}

void pc_secret_free(pc_secret *s)
{
	if (s->s != NULL)
		sodium_free(s->s);   /* wipes before unmapping */
	s->s = NULL;
	s->len = 0;
}

PC_CHECK static pc_rc read_fd_line(int fd, pc_secret *out, const char *what, pc_err *e)
{
	size_t n = 0;

	out->s = sodium_malloc(PC_SECRET_MAX + 1);
	if (out->s == NULL)
		return pc_fail(e, PC_E_NOMEM, "%s: cannot allocate secure memory", what);
	for (;;) {
		char c;
		ssize_t r = read(fd, &c, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int err = errno;
			pc_secret_free(out);
			return pc_fail(e, PC_E_IO, "%s: read failed: %s", what, strerror(err));
		}
		if (r == 0 || c == '\n')
			break;
		if (n >= PC_SECRET_MAX) {
			pc_secret_free(out);
			return pc_fail(e, PC_E_INPUT, "%s: longer than %d bytes", what, PC_SECRET_MAX);
		}
		out->s[n++] = c;
	}
	if (n > 0 && out->s[n - 1] == '\r')
		n--;
	out->s[n] = '\0';
	out->len = n;
	if (n == 0) {
		pc_secret_free(out);
		return pc_fail(e, PC_E_INPUT, "%s: empty", what);
	}
	return PC_OK;
}

pc_rc pc_secret_read(pc_secret *out, const char *path, const char *prompt, pc_err *e)
{
	struct termios old, quiet;
	struct stat st;
	pc_rc rc;
	int fd;

	out->s = NULL;
	out->len = 0;
	if (path != NULL) {
		fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return pc_fail(e, PC_E_IO, "%s: cannot open: %s", path, strerror(errno));
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > PC_SECRET_MAX + 2) {
			close(fd);
			return pc_fail(e, PC_E_INPUT, "%s: not a regular file of at most %d bytes",
			    path, PC_SECRET_MAX);
		}
		/* refused, not warned about: a warning scrolls by in a script,
		 * and a PIN any local user can read is no longer secret (one they
		 * can write can lock the token with wrong PINs) */
		if (st.st_mode & PC_SECRET_FILE_FORBIDDEN) {
			close(fd);
			return pc_fail(e, PC_E_INPUT, "%s: readable or writable by group or others "
			    "(mode %04o): chmod 600 %s", path, (unsigned)(st.st_mode & 07777), path);
		}
		rc = read_fd_line(fd, out, path, e);
		close(fd);
		return rc;
	}
	fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return pc_fail(e, PC_E_USAGE, "%s: no terminal to prompt on; use --pin-file/--passphrase-file",
		    prompt);
	if (tcgetattr(fd, &old) != 0) {
		close(fd);
		return pc_fail(e, PC_E_USAGE, "%s: cannot turn terminal echo off", prompt);
	}
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
	quiet.c_lflag |= ICANON;
	(void)!write(fd, prompt, strlen(prompt));
	(void)!write(fd, ": ", 2);
	if (tcsetattr(fd, TCSAFLUSH, &quiet) != 0) {
		close(fd);
		return pc_fail(e, PC_E_USAGE, "%s: cannot turn terminal echo off", prompt);
	}
	rc = read_fd_line(fd, out, prompt, e);
	(void)tcsetattr(fd, TCSAFLUSH, &old);
	(void)!write(fd, "\n", 1);
	close(fd);
	return rc;
}
