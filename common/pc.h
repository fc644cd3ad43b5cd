/*
 * pc.h - the floor of plantca: one result type, one error record.
 *
 * Every fallible function in plantca returns a pc_rc and, on failure, fills
 * a caller-provided pc_err with a message of the form "WHAT: WHY" that names
 * the file, serial or request concerned.  Codes come from one enum with a
 * range per module; foreign codes (CK_RV, MDB_*, wolfSSL) are translated at
 * the module boundary and never leak upward.  Only main() exits.
 *
 * pc_rc is marked warn_unused_result through PC_CHECK: ignoring a result is a
 * compile error under -Werror.
 *
 * The map: docs/architecture.md "Errors".
 */
#ifndef PLANTCA_PC_H
#define PLANTCA_PC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#define PC_CHECK __attribute__((warn_unused_result))
#define PC_PRINTF(f, a) __attribute__((format(printf, f, a)))

typedef enum pc_rc {
	PC_OK = 0,

	/* common: 100..199 */
	PC_E_NOMEM = 100,   /* allocation failed */
	PC_E_IO,            /* read/write/fsync/rename failed (system) */
	PC_E_USAGE,         /* bad command line or argument */
	PC_E_INPUT,         /* malformed untrusted input (refused) */
	PC_E_LIMIT,         /* untrusted input exceeds a named size cap (refused) */
	PC_E_EXISTS,        /* object already exists (refused) */
	PC_E_NOTFOUND,      /* object does not exist (refused) */
	PC_E_STATE,         /* operation not allowed in the current state (refused) */
	PC_E_INTERNAL,      /* a bug or an unexpected library failure (system) */

	/* hsm: 200..299 */
	PC_E_HSM_MODULE = 200, /* PKCS#11 module missing or failed to load/initialise */
	PC_E_HSM_TOKEN,        /* token not found / not initialised */
	PC_E_HSM_PIN,          /* wrong PIN (refused) */
	PC_E_HSM_LOCKED,       /* PIN locked (refused) */
	PC_E_HSM_KEY,          /* key missing or unusable */
	PC_E_HSM_FAIL,         /* any other PKCS#11 failure */
	PC_E_HSM_BADSIG,       /* HSM returned a signature that does not verify */

	/* policy: 300..399 */
	PC_E_POLICY = 300,     /* request violates policy (refused) */
	PC_E_POLICY_FILE,      /* policy file is malformed (refused) */

	/* transfer: 400..499 */
	PC_E_BUNDLE = 400,     /* malformed bundle (refused) */
	PC_E_SIGNATURE,        /* signature missing/invalid/unknown key (refused) */
	PC_E_REPLAY,           /* sequence not newer than the last accepted (refused) */
	PC_E_EXPIRED,          /* bundle expired (refused) */

	/* ca: 500..599 */
	PC_E_CSR = 500,        /* CSR unparsable or self-signature invalid (refused) */
	PC_E_CRYPTO,           /* a wolfSSL operation failed (system) */
	PC_E_REVOKED,          /* object is revoked (refused) */

	/* store: 600..699 */
	PC_E_STORE = 600,      /* LMDB failure (system) */
	PC_E_STORE_SCHEMA,     /* store written by a newer plantca (system) */
	PC_E_STORE_CORRUPT,    /* a record failed to decode (system) */
	PC_E_AUDIT,            /* audit chain broken (refused) */
} pc_rc;

enum { PC_ERR_MSG_MAX = 1024 };

typedef struct pc_err {
	pc_rc rc;
	char msg[PC_ERR_MSG_MAX];
} pc_err;

/* Record a failure in e (may be NULL) and return rc.  Usage:
 *   return pc_fail(e, PC_E_INPUT, "%s: truncated CSR", path);          */
pc_rc pc_fail(pc_err *e, pc_rc rc, const char *fmt, ...) PC_PRINTF(3, 4);

/* Prefix an existing message: "PREFIX: old message".  Returns e->rc. */
pc_rc pc_wrap(pc_err *e, const char *fmt, ...) PC_PRINTF(2, 3);

/* Process exit status for a code: 0 ok, 1 refused, 2 usage/system. */
int pc_rc_exit_status(pc_rc rc);

/* Short stable name, e.g. "input", "hsm-pin" (for --json). */
const char *pc_rc_name(pc_rc rc);

/* Happy path reads straight down (s2n's GUARD). */
/* Return the error of expr.  Only before the function owns anything: a
 * function with a cleanup label uses PC_TRY_OUT (tests/tools/
 * check_pc_check.py enforces it). */
#define PC_TRY(expr) do { pc_rc pc_try_rc_ = (expr); \
	if (pc_try_rc_ != PC_OK) return pc_try_rc_; } while (0)
/* In a function with a result variable `rc` and a cleanup label `out`:
 * keep expr's error in rc and go to the cleanup. */
#define PC_TRY_OUT(expr) do { if ((rc = (expr)) != PC_OK) goto out; } while (0)

/* Time in seconds: plantca counts validity, cadences and lifetimes in days. */
enum { PC_DAY = 24 * 60 * 60 };

#endif
