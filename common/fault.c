/*
 * fault.c - the fault points of fault.h; compiled only with
 * -Dfault_points=true (tests), never in the product build.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fault.h"

#ifdef PC_FAULT_POINTS

static unsigned long reached_count;

pc_rc pc_fault(const char *name, const char *what, pc_err *e)
{
	const char *spec = getenv("PLANTCA_FAULT"), *log = getenv("PLANTCA_FAULT_LOG");
	char want[128], how[16];
	unsigned long n = 0;
	int err;

	if (log != NULL && *log != '\0') {
		FILE *f = fopen(log, "a");
		if (f != NULL) {
			fprintf(f, "%s\n", name);
			fclose(f);
		}
	}
	if (spec == NULL || sscanf(spec, "%127[^:]:%lu:%15s", want, &n, how) != 3 ||
	    strcmp(want, name) != 0)
		return PC_OK;
	if (++reached_count != n)
		return PC_OK;
	if (strcmp(how, "kill") == 0) {
		fflush(NULL);
		raise(SIGKILL);
	}
	if (strcmp(how, "stop") == 0) {
		/* a test acts while we wait here (creates the file about to be
		 * published, say), then sends SIGCONT; the step then goes on */
		fflush(NULL);
		raise(SIGSTOP);
		return PC_OK;
	}
	err = strcmp(how, "enospc") == 0 ? ENOSPC : EIO;
	return pc_fail(e, PC_E_IO, "%s: %s (injected at fault point %s)", what, strerror(err), name);
}

#endif
