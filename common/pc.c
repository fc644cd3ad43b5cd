#include "pc.h"

#include <stdio.h>
#include <string.h>

pc_rc pc_fail(pc_err *e, pc_rc rc, const char *fmt, ...)
{
	if (e != NULL) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof e->msg, fmt, ap);
		va_end(ap);
		e->rc = rc;
	}
	return rc;
}

pc_rc pc_wrap(pc_err *e, const char *fmt, ...)
{
	char prefix[PC_ERR_MSG_MAX], old[PC_ERR_MSG_MAX];
	va_list ap;

	if (e == NULL)
		return PC_E_INTERNAL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof prefix, fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof old);
	/* truncation of an over-long message is acceptable */
	if (snprintf(e->msg, sizeof e->msg, "%.500s: %.500s", prefix, old) < 0)
		e->msg[0] = '\0';
	return e->rc;
}

int pc_rc_exit_status(pc_rc rc)
{
	switch (rc) {
	case PC_OK:
		return 0;
	case PC_E_INPUT: case PC_E_LIMIT: case PC_E_EXISTS: case PC_E_NOTFOUND:
	case PC_E_STATE: case PC_E_HSM_PIN: case PC_E_HSM_LOCKED:
	case PC_E_POLICY: case PC_E_POLICY_FILE: case PC_E_BUNDLE:
	case PC_E_SIGNATURE: case PC_E_REPLAY: case PC_E_EXPIRED:
	case PC_E_CSR: case PC_E_REVOKED: case PC_E_AUDIT:
		return 1;
	default:
		return 2;
	}
}

const char *pc_rc_name(pc_rc rc)
{
	switch (rc) {
	case PC_OK: return "ok";
	case PC_E_NOMEM: return "nomem";
	case PC_E_IO: return "io";
	case PC_E_USAGE: return "usage";
	case PC_E_INPUT: return "input";
	case PC_E_LIMIT: return "limit";
	case PC_E_EXISTS: return "exists";
	case PC_E_NOTFOUND: return "not-found";
	case PC_E_STATE: return "state";
	case PC_E_INTERNAL: return "internal";
	case PC_E_HSM_MODULE: return "hsm-module";
	case PC_E_HSM_TOKEN: return "hsm-token";
	case PC_E_HSM_PIN: return "hsm-pin";
	case PC_E_HSM_LOCKED: return "hsm-locked";
	case PC_E_HSM_KEY: return "hsm-key";
	case PC_E_HSM_FAIL: return "hsm";
	case PC_E_HSM_BADSIG: return "hsm-bad-signature";
	case PC_E_POLICY: return "policy";
	case PC_E_POLICY_FILE: return "policy-file";
	case PC_E_BUNDLE: return "bundle";
	case PC_E_SIGNATURE: return "signature";
	case PC_E_REPLAY: return "replay";
	case PC_E_EXPIRED: return "expired";
	case PC_E_CSR: return "csr";
	case PC_E_CRYPTO: return "crypto";
	case PC_E_REVOKED: return "revoked";
	case PC_E_STORE: return "store";
	case PC_E_STORE_SCHEMA: return "store-schema";
	case PC_E_STORE_CORRUPT: return "store-corrupt";
	case PC_E_AUDIT: return "audit";
	}
	return "unknown";
}
