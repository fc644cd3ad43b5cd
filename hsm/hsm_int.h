/*
 * hsm_int.h - what the files of hsm/ share.  Not for use outside hsm/: the rest of
 * plantca sees only hsm.h and never a CK_* type.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_HSM_INT_H
#define PLANTCA_HSM_INT_H

#include <p11-kit/pkcs11.h>
#include <p11-kit/uri.h>

/* wolfSSL's headers need the build's options first (the Debian package
 * does not define EXTERNAL_OPTS_OPENVPN, so nothing includes it for us). */
#include <wolfssl/options.h>
#include <wolfssl/wolfcrypt/cryptocb.h>
#include <wolfssl/wolfcrypt/ecc.h>
#include <wolfssl/wolfcrypt/random.h>
#include <wolfssl/wolfcrypt/rsa.h>

#include "hsm.h"
#include "pkix.h"

/* PKCS#11 3.0 names that older headers lack. */
#ifndef CKK_EC_EDWARDS
#define CKK_EC_EDWARDS 0x40UL
#endif
#ifndef CKM_EC_EDWARDS_KEY_PAIR_GEN
#define CKM_EC_EDWARDS_KEY_PAIR_GEN 0x1055UL
#endif
#ifndef CKM_EDDSA
#define CKM_EDDSA 0x1057UL
#endif

enum {
	HSM_ID_LEN = 16,          /* CKA_ID of the keys we generate */
	HSM_ID_MAX = 32,          /* longest CKA_ID we accept (= wolfSSL's
	                           * ECC_MAX_ID_LEN and RSA_MAX_ID_LEN) */
	HSM_LABEL_MAX = HSM_KEY_LABEL_MAX, /* longest key label we create or accept */
	HSM_TOKEN_LABEL_LEN = 32, /* CK_TOKEN_INFO.label, blank padded */
	HSM_SLOTS_MAX = 4096,     /* more slots than this: refuse the module */
	HSM_ATTR_MAX = 4096,      /* largest attribute value we read */
	HSM_EC_MAX_FIELD = 48,    /* P-384 */
	HSM_RSA_MAX_BYTES = 512,  /* RSA-4096 */
	HSM_SIG_MAX = 512,        /* largest signature hsm_sign() makes */
	HSM_WHAT_MAX = 256,       /* "key \"L\" on token \"T\"" for messages */
};

struct hsm {
	char *module_path;
	void *dl;                      /* dlopen() handle */
	CK_FUNCTION_LIST_PTR f;
	bool module_ref;               /* we hold a reference on C_Initialize */
	CK_SLOT_ID slot;
	CK_TOKEN_INFO tinfo;
	char label[HSM_TOKEN_LABEL_LEN + 1];   /* trailing blanks stripped */
	CK_SESSION_HANDLE session;
	bool have_session;
	bool logged_in;
	bool wolf_ref;                 /* we hold a wolfCrypt_Init() reference */
	int devid;                     /* our wolfSSL crypto-callback device */
	bool rng_init;
	WC_RNG rng;
	hsm_key *keys;                 /* live keys, for the crypto callback */
};

struct hsm_key {
	hsm *h;
	hsm_key *next;                 /* in h->keys */
	hsm_alg alg;
	CK_OBJECT_HANDLE priv, pub;
	uint8_t id[HSM_ID_MAX];
	size_t id_len;
	char *label;                   /* CKA_LABEL of the private key */
	char what[HSM_WHAT_MAX];       /* names the key in error messages */
	char *uri;
	uint8_t *spki;
	size_t spki_len;
	size_t sig_len;                /* raw C_Sign output: 2*field, k, 64 */
	/* The wolfSSL key bound to our device id (EC and RSA): it carries the
	 * public part, which wolfSSL wants, and CKA_ID, by which the crypto
	 * callback finds this hsm_key again. */
	union {
		ecc_key ecc;
		RsaKey rsa;
	} w;
	bool w_init;
	/* Set by the crypto callback so that hsm_sign() can say what the
	 * token said; wolfSSL only passes an int back. */
	CK_RV cb_rv;
	const char *cb_fn;
	/* The software check of every signature the token returns: the key
	 * as pkix reads it and the algorithm it signs with (pkix/verify.h). */
	pkix_pubkey pub_key;
	pkix_verifier *verifier;
	const pkix_sigalg *sigalg;
};

/* The pkix key type of an hsm_alg (alg.c). */
pkix_keytype hsm_alg_keytype(hsm_alg alg);
/* Make k->verifier once its SPKI is built (sign.c; key.c calls it). */
pc_rc hsm_key_verifier(hsm_key *k, pc_err *e) PC_CHECK;



/* hsm.c */
/* PC_E_USAGE for unknown attributes or a PIN in the URI. */
pc_rc hsm_uri_check(P11KitUri *uri, const char *what, const char *text, pc_err *e) PC_CHECK;
/* Do the URI's module, slot and token attributes match h's? */
bool hsm_uri_matches(hsm *h, P11KitUri *uri);

/* alg.c */
const char *ck_rv_name(CK_RV rv);
/* "WHAT: FN failed: CKR_NAME (0x..)" with code PC_E_HSM_FAIL. */
pc_rc hsm_ck_fail(pc_err *e, pc_rc rc, CK_RV rv, const char *fn,
    const char *fmt, ...) PC_PRINTF(5, 6);
bool hsm_alg_is_ec(hsm_alg alg);
bool hsm_alg_is_rsa(hsm_alg alg);
/* Read a variable-length attribute of object o into malloc'ed memory (*val
 * may be NULL for an empty value), at most HSM_ATTR_MAX bytes; `what`
 * names the object in the message. */
pc_rc hsm_attr_get(hsm *h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, const char *tname,
    const char *what, uint8_t **val, size_t *len, pc_err *e) PC_CHECK;
/* Read a fixed-size attribute (CK_BBOOL, CK_ULONG): the size must match. */
pc_rc hsm_attr_fixed(hsm *h, CK_OBJECT_HANDLE o, CK_ATTRIBUTE_TYPE t, const char *tname,
    const char *what, void *val, size_t len, pc_err *e) PC_CHECK;
/* Up to `max` objects matching the template; their number in *count. */
pc_rc hsm_find_objects(hsm *h, CK_ATTRIBUTE *tmpl, CK_ULONG n, CK_OBJECT_HANDLE *found,
    CK_ULONG max, CK_ULONG *count, const char *what, pc_err *e) PC_CHECK;

/* alg.c (key.c and keys.c both name keys by it) */
/* The RFC 7512 URI of the key with CKA_ID id and CKA_LABEL label on h's
 * token ("pkcs11:token=T;id=%..;object=L", no object= for an empty
 * label); malloc'ed, NULL when out of memory. */
char *hsm_uri_text(const hsm *h, const uint8_t *id, size_t id_len, const char *label);


/* sign.c */
int hsm_cryptocb(int devId, wc_CryptoInfo *info, void *ctx);

#endif
