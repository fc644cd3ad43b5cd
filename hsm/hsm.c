/*
 * hsm.c - PKCS#11 modules, tokens, the session and the login.
 *
 * Key handling is in key.c, signing and verifying in sign.c, the key
 * algorithms and the CK_RV names in alg.c.
 */
#include "hsm_int.h"

#include <dlfcn.h>
#include <pthread.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <wolfssl/wolfcrypt/error-crypt.h>
#include <wolfssl/wolfcrypt/wc_port.h>

enum {
	HSM_MODULES_MAX = 16,     /* distinct modules loaded at once */
	HSM_DEVIDS = 8,           /* = wolfSSL's MAX_CRYPTO_DEVID_CALLBACKS */
	HSM_DEVID_BASE = 0x70634800,  /* "pcH\0": our crypto-callback device ids */
	HSM_TOKEN_LIST_MAX = 400, /* bytes of "tokens present" in messages */
};

/* ---- process-wide state: module initialisation, crypto-callback ids ----
 *
 * C_Initialize/C_Finalize are per process, not per caller: two hsm objects
 * on one module (one per thread) share one initialisation, counted here.
 * A module that someone else in the process initialised (wolfSSL's own
 * PKCS#11 layer, say) answers CKR_CRYPTOKI_ALREADY_INITIALIZED; we use it
 * and leave C_Finalize to its owner. */

static pthread_mutex_t hsm_lock = PTHREAD_MUTEX_INITIALIZER;

static struct {
	CK_FUNCTION_LIST_PTR f;
	unsigned refs;
	bool ours;
} modules[HSM_MODULES_MAX];

static bool devid_used[HSM_DEVIDS];

PC_CHECK static pc_rc module_acquire(hsm *h, pc_err *e)
{
	CK_C_INITIALIZE_ARGS args;
	CK_RV rv;
	int i, free_i = -1;
	pc_rc rc = PC_OK;

	pthread_mutex_lock(&hsm_lock);
	for (i = 0; i < HSM_MODULES_MAX; i++) {
		if (modules[i].f == h->f) {
			modules[i].refs++;
			h->module_ref = true;
			goto out;
		}
		if (modules[i].f == NULL && free_i < 0)
			free_i = i;
	}
	if (free_i < 0) {
		rc = pc_fail(e, PC_E_HSM_MODULE, "PKCS#11 module %s: more than %d modules loaded",
		    h->module_path, HSM_MODULES_MAX);
		goto out;
	}
	/* The module may create threads and must use OS locking: we are one
	 * hsm per thread, possibly several threads. */
	memset(&args, 0, sizeof args);
	args.flags = CKF_OS_LOCKING_OK;
	rv = h->f->C_Initialize(&args);
	if (rv != CKR_OK && rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		rc = hsm_ck_fail(e, PC_E_HSM_MODULE, rv, "C_Initialize",
		    "PKCS#11 module %s", h->module_path);
		goto out;
	}
	modules[free_i].f = h->f;
	modules[free_i].refs = 1;
	modules[free_i].ours = rv == CKR_OK;
	h->module_ref = true;
out:
	pthread_mutex_unlock(&hsm_lock);
	return rc;
}

static void module_release(hsm *h)
{
	int i;

	if (!h->module_ref)
		return;
	pthread_mutex_lock(&hsm_lock);
	for (i = 0; i < HSM_MODULES_MAX; i++) {
		if (modules[i].f != h->f)
			continue;
		if (--modules[i].refs == 0) {
			if (modules[i].ours)
				(void)h->f->C_Finalize(NULL);
			modules[i].f = NULL;
		}
		break;
	}
	h->module_ref = false;
	pthread_mutex_unlock(&hsm_lock);
}

/* wolfCrypt_Init() is reference counted by wolfSSL; the device table it
 * clears on the first init is global, hence the lock. */
PC_CHECK static pc_rc wolf_acquire(hsm *h, pc_err *e)
{
	int i, ret;
	pc_rc rc = PC_OK;

	pthread_mutex_lock(&hsm_lock);
	ret = wolfCrypt_Init();
	if (ret != 0) {
		rc = pc_fail(e, PC_E_CRYPTO, "wolfCrypt_Init failed: %s (%d)",
		    wc_GetErrorString(ret), ret);
		goto out;
	}
	h->wolf_ref = true;
	for (i = 0; i < HSM_DEVIDS && devid_used[i]; i++)
		;
	if (i == HSM_DEVIDS) {
		rc = pc_fail(e, PC_E_INTERNAL, "token \"%s\": more than %d open HSM sessions in this process",
		    h->label, HSM_DEVIDS);
		goto out;
	}
	ret = wc_CryptoCb_RegisterDevice(HSM_DEVID_BASE + i, hsm_cryptocb, h);
	if (ret != 0) {
		rc = pc_fail(e, PC_E_CRYPTO, "token \"%s\": cannot register wolfSSL crypto callback: %s (%d)",
		    h->label, wc_GetErrorString(ret), ret);
		goto out;
	}
	devid_used[i] = true;
	h->devid = HSM_DEVID_BASE + i;
out:
	pthread_mutex_unlock(&hsm_lock);
	return rc;
}

static void wolf_release(hsm *h)
{
	pthread_mutex_lock(&hsm_lock);
	if (h->devid != INVALID_DEVID) {
		wc_CryptoCb_UnRegisterDevice(h->devid);
		devid_used[h->devid - HSM_DEVID_BASE] = false;
		h->devid = INVALID_DEVID;
	}
	if (h->wolf_ref) {
		(void)wolfCrypt_Cleanup();
		h->wolf_ref = false;
	}
	pthread_mutex_unlock(&hsm_lock);
}

/* ---- tokens ---- */

pc_rc hsm_uri_check(P11KitUri *uri, const char *what, const char *text, pc_err *e)
{
	if (p11_kit_uri_any_unrecognized(uri))
		return pc_fail(e, PC_E_USAGE, "%s %s: the URI has attributes plantca does not know",
		    what, text);
	/* PINs come from a file or the terminal (common/secret.h), never
	 * from a URI that ends up in argv, logs and shell history. */
	if (p11_kit_uri_get_pin_value(uri) != NULL || p11_kit_uri_get_pin_source(uri) != NULL)
		return pc_fail(e, PC_E_USAGE,
		    "%s: a PIN in the URI (pin-value/pin-source) is refused; use a PIN file or the prompt",
		    what);
	return PC_OK;
}

/* CK_TOKEN_INFO.label: 32 bytes, blank padded, not NUL terminated. */
static void token_label(const CK_TOKEN_INFO *ti, char out[HSM_TOKEN_LABEL_LEN + 1])
{
	size_t n = 0;

	while (n < HSM_TOKEN_LABEL_LEN && ti->label[n] != '\0') {
		out[n] = (char)ti->label[n];
		n++;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

bool hsm_uri_matches(hsm *h, P11KitUri *uri)
{
	CK_SLOT_ID want = p11_kit_uri_get_slot_id(uri);
	CK_SLOT_INFO si;
	CK_INFO mi;

	return h->f->C_GetInfo(&mi) == CKR_OK && p11_kit_uri_match_module_info(uri, &mi) == 1 &&
	    (want == (CK_SLOT_ID)-1 || want == h->slot) &&
	    h->f->C_GetSlotInfo(h->slot, &si) == CKR_OK &&
	    p11_kit_uri_match_slot_info(uri, &si) == 1 &&
	    p11_kit_uri_match_token_info(uri, &h->tinfo) == 1;
}

static void list_append(char *list, size_t cap, const char *label)
{
	size_t n = strlen(list);

	if (n + 1 >= cap)
		return;
	snprintf(list + n, cap - n, "%s\"%s\"", n > 0 ? ", " : "", label);
}

PC_CHECK static pc_rc find_token(hsm *h, const char *token, pc_err *e)
{
	P11KitUri *uri = NULL;
	CK_SLOT_ID *slots = NULL, want_slot = (CK_SLOT_ID)-1;
	CK_SLOT_INFO si;
	CK_INFO mi;
	CK_ULONG n = 0, i, matches = 0;
	CK_RV rv;
	char want[HSM_LABEL_MAX + 1], seen[HSM_TOKEN_LIST_MAX] = "";
	size_t wl;
	pc_rc rc = PC_OK;
	int r;

	if (strncasecmp(token, "pkcs11:", 7) == 0) {
		uri = p11_kit_uri_new();
		if (uri == NULL)
			return pc_fail(e, PC_E_NOMEM, "token %s: out of memory", token);
		/* FOR_ANY: a key's URI names its token too; its object
		 * attributes are ignored here, its module and slot ones not. */
		r = p11_kit_uri_parse(token, P11_KIT_URI_FOR_ANY, uri);
		if (r != P11_KIT_URI_OK) {
			rc = pc_fail(e, PC_E_USAGE, "token %s: not a valid PKCS#11 URI: %s",
			    token, p11_kit_uri_message(r));
			goto out;
		}
		rc = hsm_uri_check(uri, "token", token, e);
		if (rc != PC_OK)
			goto out;
		if (h->f->C_GetInfo(&mi) == CKR_OK && p11_kit_uri_match_module_info(uri, &mi) != 1) {
			rc = pc_fail(e, PC_E_HSM_TOKEN, "token %s: the URI names another module than %s",
			    token, h->module_path);
			goto out;
		}
		want_slot = p11_kit_uri_get_slot_id(uri);
	} else {
		/* A label; the token cannot tell trailing blanks apart. */
		wl = strlen(token);
		while (wl > 0 && token[wl - 1] == ' ')
			wl--;
		if (wl == 0 || wl > HSM_TOKEN_LABEL_LEN)
			return pc_fail(e, PC_E_HSM_TOKEN,
			    "token \"%s\": a token label has 1 to %d bytes", token,
			    HSM_TOKEN_LABEL_LEN);
		memcpy(want, token, wl);
		want[wl] = '\0';
	}

	for (;;) {
		rv = h->f->C_GetSlotList(CK_TRUE, NULL, &n);
		if (rv != CKR_OK) {
			rc = hsm_ck_fail(e, PC_E_HSM_MODULE, rv, "C_GetSlotList",
			    "PKCS#11 module %s", h->module_path);
			goto out;
		}
		if (n > HSM_SLOTS_MAX) {
			rc = pc_fail(e, PC_E_HSM_MODULE, "PKCS#11 module %s: reports %lu slots (limit %d)",
			    h->module_path, (unsigned long)n, HSM_SLOTS_MAX);
			goto out;
		}
		free(slots);
		slots = calloc(n > 0 ? n : 1, sizeof *slots);
		if (slots == NULL) {
			rc = pc_fail(e, PC_E_NOMEM, "PKCS#11 module %s: out of memory", h->module_path);
			goto out;
		}
		rv = h->f->C_GetSlotList(CK_TRUE, slots, &n);
		if (rv == CKR_BUFFER_TOO_SMALL)
			continue;   /* a token appeared in between */
		if (rv != CKR_OK) {
			rc = hsm_ck_fail(e, PC_E_HSM_MODULE, rv, "C_GetSlotList",
			    "PKCS#11 module %s", h->module_path);
			goto out;
		}
		break;
	}

	for (i = 0; i < n; i++) {
		CK_TOKEN_INFO ti;
		char label[HSM_TOKEN_LABEL_LEN + 1];
		bool match;

		if (h->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK)
			continue;   /* removed meanwhile, or not recognised */
		if (!(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		token_label(&ti, label);
		list_append(seen, sizeof seen, label);
		if (uri != NULL)
			match = p11_kit_uri_match_token_info(uri, &ti) == 1 &&
			    (want_slot == (CK_SLOT_ID)-1 || want_slot == slots[i]) &&
			    h->f->C_GetSlotInfo(slots[i], &si) == CKR_OK &&
			    p11_kit_uri_match_slot_info(uri, &si) == 1;
		else
			match = strcmp(label, want) == 0;
		if (!match)
			continue;
		if (matches++ == 0) {
			h->slot = slots[i];
			h->tinfo = ti;
			memcpy(h->label, label, sizeof h->label);
		}
	}
	if (matches == 0)
		rc = pc_fail(e, PC_E_HSM_TOKEN,
		    "token %s%s%s: no such initialised token in PKCS#11 module %s (tokens present: %s)",
		    uri ? "" : "\"", token, uri ? "" : "\"", h->module_path,
		    seen[0] != '\0' ? seen : "none");
	else if (matches > 1)
		rc = pc_fail(e, PC_E_HSM_TOKEN,
		    "token %s%s%s: %lu tokens match in PKCS#11 module %s; name one with a pkcs11: URI giving serial=",
		    uri ? "" : "\"", token, uri ? "" : "\"", (unsigned long)matches,
		    h->module_path);
out:
	free(slots);
	if (uri != NULL)
		p11_kit_uri_free(uri);
	return rc;
}

/* ---- open / close ---- */

pc_rc hsm_open(const char *module_path, const char *token, hsm **out, pc_err *e)
{
	union {
		void *p;
		CK_C_GetFunctionList fn;
	} gfl;
	CK_SESSION_INFO si;
	CK_RV rv;
	const char *err;
	hsm *h;
	pc_rc rc;

	*out = NULL;
	if (module_path == NULL || module_path[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "no PKCS#11 module given");
	if (token == NULL || token[0] == '\0')
		return pc_fail(e, PC_E_USAGE, "no token given (a label or a pkcs11: URI)");
	if (sodium_init() < 0)
		return pc_fail(e, PC_E_INTERNAL, "libsodium failed to initialise");

	h = calloc(1, sizeof *h);
	if (h == NULL)
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	h->devid = INVALID_DEVID;
	h->module_path = strdup(module_path);
	if (h->module_path == NULL) {
		free(h);
		return pc_fail(e, PC_E_NOMEM, "out of memory");
	}

	(void)dlerror();
	h->dl = dlopen(module_path, RTLD_NOW | RTLD_LOCAL);
	if (h->dl == NULL) {
		err = dlerror();
		rc = pc_fail(e, PC_E_HSM_MODULE, "PKCS#11 module %s: cannot load: %s",
		    module_path, err != NULL ? err : "unknown dlopen error");
		goto fail;
	}
	/* A union, not a cast: ISO C has no object-to-function pointer cast. */
	gfl.p = dlsym(h->dl, "C_GetFunctionList");
	if (gfl.p == NULL) {
		rc = pc_fail(e, PC_E_HSM_MODULE,
		    "PKCS#11 module %s: no C_GetFunctionList (not a PKCS#11 module)",
		    module_path);
		goto fail;
	}
	rv = gfl.fn(&h->f);
	if (rv != CKR_OK || h->f == NULL) {
		rc = hsm_ck_fail(e, PC_E_HSM_MODULE, rv, "C_GetFunctionList",
		    "PKCS#11 module %s", module_path);
		goto fail;
	}
	if (h->f->version.major < 2) {
		rc = pc_fail(e, PC_E_HSM_MODULE, "PKCS#11 module %s: implements Cryptoki %u.%u; need 2.x",
		    module_path, h->f->version.major, h->f->version.minor);
		goto fail;
	}
	rc = module_acquire(h, e);
	if (rc != PC_OK)
		goto fail;
	rc = find_token(h, token, e);
	if (rc != PC_OK)
		goto fail;

	rv = h->f->C_OpenSession(h->slot, CKF_SERIAL_SESSION | CKF_RW_SESSION,
	    NULL, NULL, &h->session);
	if (rv != CKR_OK) {
		rc = hsm_ck_fail(e, rv == CKR_TOKEN_WRITE_PROTECTED ? PC_E_HSM_TOKEN : PC_E_HSM_FAIL,
		    rv, "C_OpenSession", "token \"%s\" (module %s)", h->label, module_path);
		goto fail;
	}
	h->have_session = true;
	/* Login state belongs to the application, not the session: another
	 * hsm on this token in this process may have logged in already. */
	if (h->f->C_GetSessionInfo(h->session, &si) == CKR_OK &&
	    si.state == CKS_RW_USER_FUNCTIONS)
		h->logged_in = true;

	if (wc_InitRng(&h->rng) != 0) {
		rc = pc_fail(e, PC_E_CRYPTO, "token \"%s\": wolfSSL RNG failed to initialise", h->label);
		goto fail;
	}
	h->rng_init = true;
	rc = wolf_acquire(h, e);
	if (rc != PC_OK)
		goto fail;
	*out = h;
	return PC_OK;
fail:
	hsm_close(h);
	return rc;
}

const char *hsm_token_label(const hsm *h)
{
	return h->label;
}

void hsm_close(hsm *h)
{
	if (h == NULL)
		return;
	/* Keys should have been freed (hsm.h).  Any left are cut loose, so
	 * that hsm_key_free() still works on them and nothing else does. */
	while (h->keys != NULL) {
		hsm_key *k = h->keys;
		h->keys = k->next;
		k->next = NULL;
		k->h = NULL;
	}
	wolf_release(h);
	if (h->rng_init)
		(void)wc_FreeRng(&h->rng);
	/* No C_Logout: login state is shared by every session of this
	 * process on the token; closing our session is enough, and the token
	 * logs out when its last session closes. */
	if (h->have_session)
		(void)h->f->C_CloseSession(h->session);
	module_release(h);
	if (h->dl != NULL)
		dlclose(h->dl);
	free(h->module_path);
	free(h);
}

/* ---- login ---- */

pc_rc hsm_login(hsm *h, const pc_secret *pin, pc_err *e)
{
	CK_TOKEN_INFO ti;
	const char *tries;
	CK_RV rv;

	if (pin == NULL || pin->s == NULL || pin->len == 0)
		return pc_fail(e, PC_E_USAGE, "token \"%s\": no PIN given", h->label);
	/* Straight from the caller's secure memory: no copy to wipe. */
	rv = h->f->C_Login(h->session, CKU_USER, (CK_UTF8CHAR_PTR)pin->s,
	    (CK_ULONG)pin->len);
	switch (rv) {
	case CKR_OK:
	case CKR_USER_ALREADY_LOGGED_IN:
		h->logged_in = true;
		return PC_OK;
	case CKR_PIN_INCORRECT:
	case CKR_PIN_INVALID:
	case CKR_PIN_LEN_RANGE:
		/* CKF_USER_PIN_COUNT_LOW means only that a wrong PIN was given
		 * since the last good login (PKCS#11 2.40 §4.5.4, CK_TOKEN_INFO)
		 * - this attempt included - not how many tries remain: that the
		 * token keeps to itself. */
		tries = "the token does not say how many tries are left";
		if (h->f->C_GetTokenInfo(h->slot, &ti) == CKR_OK) {
			if (ti.flags & CKF_USER_PIN_LOCKED)
				return pc_fail(e, PC_E_HSM_LOCKED,
				    "token \"%s\": wrong user PIN, and the PIN is now locked; the security officer must unlock it",
				    h->label);
			if (ti.flags & CKF_USER_PIN_FINAL_TRY)
				tries = "one try left before the PIN locks";
			else if (ti.flags & CKF_USER_PIN_COUNT_LOW)
				tries = "the token counts failed tries since the last good login; few may be left before the PIN locks";
		}
		return pc_fail(e, PC_E_HSM_PIN, "token \"%s\": wrong user PIN (%s); %s",
		    h->label, ck_rv_name(rv), tries);
	case CKR_PIN_LOCKED:
		return pc_fail(e, PC_E_HSM_LOCKED,
		    "token \"%s\": the user PIN is locked (CKR_PIN_LOCKED); the security officer must unlock it",
		    h->label);
	case CKR_PIN_EXPIRED:
		return pc_fail(e, PC_E_HSM_PIN,
		    "token \"%s\": the user PIN has expired (CKR_PIN_EXPIRED); change it first", h->label);
	case CKR_USER_PIN_NOT_INITIALIZED:
		return pc_fail(e, PC_E_HSM_TOKEN,
		    "token \"%s\": no user PIN set (CKR_USER_PIN_NOT_INITIALIZED)", h->label);
	default:
		return hsm_ck_fail(e, PC_E_HSM_FAIL, rv, "C_Login", "token \"%s\"", h->label);
	}
}
