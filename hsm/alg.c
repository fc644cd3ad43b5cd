/*
 * alg.c - what hsm.c, key.c, keys.c and sign.c need and none of them owns: the
 * token's key algorithms (names, the pkix key type, the AlgorithmIdentifier
 * of their signatures), the names of PKCS#11 return values in errors and
 * the RFC 7512 URI of a key.
 * It calls none of them, so they call one way (the callgraph-hsm test).
 */
#include "hsm_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- CK_RV names ---- */

#define RV(x) { x, #x }
static const struct {
	CK_RV rv;
	const char *name;
} rv_names[] = {
	RV(CKR_OK), RV(CKR_CANCEL), RV(CKR_HOST_MEMORY), RV(CKR_SLOT_ID_INVALID),
	RV(CKR_GENERAL_ERROR), RV(CKR_FUNCTION_FAILED), RV(CKR_ARGUMENTS_BAD),
	RV(CKR_CANT_LOCK), RV(CKR_ATTRIBUTE_READ_ONLY),
	RV(CKR_ATTRIBUTE_SENSITIVE), RV(CKR_ATTRIBUTE_TYPE_INVALID),
	RV(CKR_ATTRIBUTE_VALUE_INVALID), RV(CKR_ACTION_PROHIBITED),
	RV(CKR_DATA_INVALID), RV(CKR_DATA_LEN_RANGE), RV(CKR_DEVICE_ERROR),
	RV(CKR_DEVICE_MEMORY), RV(CKR_DEVICE_REMOVED),
	RV(CKR_FUNCTION_CANCELED), RV(CKR_FUNCTION_NOT_SUPPORTED),
	RV(CKR_KEY_HANDLE_INVALID), RV(CKR_KEY_SIZE_RANGE),
	RV(CKR_KEY_TYPE_INCONSISTENT), RV(CKR_KEY_FUNCTION_NOT_PERMITTED),
	RV(CKR_KEY_UNEXTRACTABLE), RV(CKR_MECHANISM_INVALID),
	RV(CKR_MECHANISM_PARAM_INVALID), RV(CKR_OBJECT_HANDLE_INVALID),
	RV(CKR_OPERATION_ACTIVE), RV(CKR_OPERATION_NOT_INITIALIZED),
	RV(CKR_PIN_INCORRECT), RV(CKR_PIN_INVALID), RV(CKR_PIN_LEN_RANGE),
	RV(CKR_PIN_EXPIRED), RV(CKR_PIN_LOCKED), RV(CKR_SESSION_CLOSED),
	RV(CKR_SESSION_COUNT), RV(CKR_SESSION_HANDLE_INVALID),
	RV(CKR_SESSION_PARALLEL_NOT_SUPPORTED), RV(CKR_SESSION_READ_ONLY),
	RV(CKR_SESSION_EXISTS), RV(CKR_SESSION_READ_ONLY_EXISTS),
	RV(CKR_SESSION_READ_WRITE_SO_EXISTS), RV(CKR_SIGNATURE_INVALID),
	RV(CKR_SIGNATURE_LEN_RANGE), RV(CKR_TEMPLATE_INCOMPLETE),
	RV(CKR_TEMPLATE_INCONSISTENT), RV(CKR_TOKEN_NOT_PRESENT),
	RV(CKR_TOKEN_NOT_RECOGNIZED), RV(CKR_TOKEN_WRITE_PROTECTED),
	RV(CKR_USER_ALREADY_LOGGED_IN), RV(CKR_USER_NOT_LOGGED_IN),
	RV(CKR_USER_PIN_NOT_INITIALIZED), RV(CKR_USER_TYPE_INVALID),
	RV(CKR_USER_ANOTHER_ALREADY_LOGGED_IN), RV(CKR_USER_TOO_MANY_TYPES),
	RV(CKR_RANDOM_NO_RNG), RV(CKR_DOMAIN_PARAMS_INVALID),
	RV(CKR_CURVE_NOT_SUPPORTED), RV(CKR_BUFFER_TOO_SMALL),
	RV(CKR_INFORMATION_SENSITIVE), RV(CKR_CRYPTOKI_NOT_INITIALIZED),
	RV(CKR_CRYPTOKI_ALREADY_INITIALIZED), RV(CKR_MUTEX_BAD),
	RV(CKR_MUTEX_NOT_LOCKED), RV(CKR_FUNCTION_REJECTED),
	RV(CKR_PUBLIC_KEY_INVALID), RV(CKR_LIBRARY_LOAD_FAILED),
	RV(CKR_PIN_TOO_WEAK),
};
#undef RV

const char *ck_rv_name(CK_RV rv)
{
	size_t i;

	for (i = 0; i < sizeof rv_names / sizeof rv_names[0]; i++)
		if (rv_names[i].rv == rv)
			return rv_names[i].name;
	if (rv >= CKR_VENDOR_DEFINED)
		return "vendor-defined error";
	return "unknown error";
}

pc_rc hsm_ck_fail(pc_err *e, pc_rc rc, CK_RV rv, const char *fn,
    const char *fmt, ...)
{
	char what[PC_ERR_MSG_MAX / 2];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	return pc_fail(e, rc, "%s: %s failed: %s (0x%lx)", what, fn,
	    ck_rv_name(rv), (unsigned long)rv);
}

/* ---- algorithms ---- */

static const struct {
	hsm_alg alg;
	const char *name;
	const char *alias;
} alg_names[] = {
	{ HSM_EC_P256, "ec-p256", "p256" },
	{ HSM_EC_P384, "ec-p384", "p384" },
	{ HSM_RSA_3072, "rsa-3072", "rsa3072" },
	{ HSM_RSA_4096, "rsa-4096", "rsa4096" },
	{ HSM_ED25519, "ed25519", "ed25519" },
};

pc_rc hsm_alg_parse(const char *name, hsm_alg *out, pc_err *e)
{
	size_t i;

	for (i = 0; name != NULL && i < sizeof alg_names / sizeof alg_names[0]; i++) {
		if (strcmp(name, alg_names[i].name) == 0 ||
		    strcmp(name, alg_names[i].alias) == 0) {
			*out = alg_names[i].alg;
			return PC_OK;
		}
	}
	return pc_fail(e, PC_E_USAGE,
	    "key algorithm \"%s\": unknown; use ec-p256, ec-p384, rsa-3072, rsa-4096 or ed25519",
	    name != NULL ? name : "(none)");
}

const char *hsm_alg_name(hsm_alg alg)
{
	size_t i;

	for (i = 0; i < sizeof alg_names / sizeof alg_names[0]; i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "unknown";
}

pkix_keytype hsm_alg_keytype(hsm_alg alg)
{
	switch (alg) {
	case HSM_EC_P256: return PKIX_KEY_EC_P256;
	case HSM_EC_P384: return PKIX_KEY_EC_P384;
	case HSM_RSA_3072:
	case HSM_RSA_4096: return PKIX_KEY_RSA;
	case HSM_ED25519: return PKIX_KEY_ED25519;
	}
	return (pkix_keytype)0;
}

/* The AlgorithmIdentifier of the signatures each key type makes comes
 * from the one algorithm table (pkix_sigalg_for_key): hsm_key_sigalg()
 * answers from it too, so a TBS built without the token (import) names
 * the algorithm the token will sign with. */
const uint8_t *hsm_alg_sigalg(hsm_alg alg, size_t *len)
{
	const pkix_sigalg *a = pkix_sigalg_for_key(hsm_alg_keytype(alg));

	if (a == NULL) {
		*len = 0;
		return NULL;
	}
	return pkix_sigalg_der(a, len);
}

bool hsm_alg_is_ec(hsm_alg alg)
{
	return alg == HSM_EC_P256 || alg == HSM_EC_P384;
}

bool hsm_alg_is_rsa(hsm_alg alg)
{
	return alg == HSM_RSA_3072 || alg == HSM_RSA_4096;
}

/* ---- URIs ---- */

/* RFC 3986 §2.3 unreserved characters stay; everything else is %XX
 * (RFC 7512 §2.3 allows more, but this is always safe to parse).  With
 * `all`, every byte is encoded (the id= attribute). */
static void pct_encode(pc_buf *b, const uint8_t *s, size_t n, bool all)
{
	size_t i;

	for (i = 0; i < n; i++) {
		uint8_t c = s[i];
		bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
		if (keep && !all)
			pc_buf_byte(b, c);
		else
			pc_buf_printf(b, "%%%02X", c);
	}
}

char *hsm_uri_text(const hsm *h, const uint8_t *id, size_t id_len, const char *label)
{
	pc_buf b = PC_BUF_INIT;
	size_t n;

	pc_buf_str(&b, "pkcs11:token=");
	pct_encode(&b, (const uint8_t *)h->label, strlen(h->label), false);
	pc_buf_str(&b, ";id=");
	pct_encode(&b, id, id_len, true);
	if (label[0] != '\0') {
		pc_buf_str(&b, ";object=");
		pct_encode(&b, (const uint8_t *)label, strlen(label), false);
	}
	pc_buf_byte(&b, 0);
	return (char *)pc_buf_steal(&b, &n);
}
