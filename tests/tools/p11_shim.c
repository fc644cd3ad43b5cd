/*
 * p11_shim.c - TEST ONLY: a PKCS#11 module that forwards every call to the
 * module named by $P11_SHIM_TARGET (SoftHSM2) and, when $P11_SHIM_LOCKED is
 * set, answers C_Login with CKR_PIN_LOCKED and reports CKF_USER_PIN_LOCKED,
 * as a token does after too many wrong PINs (SoftHSM2 never locks).  So
 * the tests see plantca's message for a locked token (t_hsm_errors).
 */
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

static CK_FUNCTION_LIST shim;
static CK_FUNCTION_LIST_PTR real;

static CK_RV shim_login(CK_SESSION_HANDLE s, CK_USER_TYPE u, CK_UTF8CHAR_PTR pin, CK_ULONG n)
{
	if (getenv("P11_SHIM_LOCKED"))
		return CKR_PIN_LOCKED;
	return real->C_Login(s, u, pin, n);
}

static CK_RV shim_token_info(CK_SLOT_ID slot, CK_TOKEN_INFO_PTR ti)
{
	CK_RV rv = real->C_GetTokenInfo(slot, ti);

	if (rv == CKR_OK && getenv("P11_SHIM_LOCKED"))
		ti->flags |= CKF_USER_PIN_LOCKED;
	return rv;
}

CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out);
CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR out)
{
	const char *target = getenv("P11_SHIM_TARGET");
	CK_RV (*get)(CK_FUNCTION_LIST_PTR_PTR);
	CK_RV rv;
	void *h;

	if (target == NULL || (h = dlopen(target, RTLD_NOW | RTLD_LOCAL)) == NULL)
		return CKR_GENERAL_ERROR;
	*(void **)&get = dlsym(h, "C_GetFunctionList");
	if (get == NULL || (rv = get(&real)) != CKR_OK)
		return CKR_GENERAL_ERROR;
	memcpy(&shim, real, sizeof shim);
	shim.C_Login = shim_login;
	shim.C_GetTokenInfo = shim_token_info;
	*out = &shim;
	return CKR_OK;
}
