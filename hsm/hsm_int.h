/*
 * hsm_int.h - what the files of hsm/ share.  Not for use outside hsm/: the rest of
 * plantca sees only hsm.h and never a CK_* type.
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
	HSM_LABEL_MAX = 128,      /* longest key label we create or accept */
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
};

/* OID contents (no tag, no length); use with HSM_OID(). */
#define HSM_OID_EC_PUBKEY  "\x2a\x86\x48\xce\x3d\x02\x01"       /* 1.2.840.10045.2.1 */
#define HSM_OID_P256       "\x2a\x86\x48\xce\x3d\x03\x01\x07"   /* 1.2.840.10045.3.1.7 */
#define HSM_OID_P384       "\x2b\x81\x04\x00\x22"                 /* 1.3.132.0.34 */
#define HSM_OID_RSA        "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x01" /* 1.2.840.113549.1.1.1 */
#define HSM_OID_SHA256_RSA "\x2a\x86\x48\x86\xf7\x0d\x01\x01\x0b" /* 1.2.840.113549.1.1.11 */
#define HSM_OID_ECDSA_SHA256 "\x2a\x86\x48\xce\x3d\x04\x03\x02" /* 1.2.840.10045.4.3.2 */
#define HSM_OID_ECDSA_SHA384 "\x2a\x86\x48\xce\x3d\x04\x03\x03" /* 1.2.840.10045.4.3.3 */
#define HSM_OID_ED25519    "\x2b\x65\x70"                         /* 1.3.101.112 */
#define HSM_OID(o) (const uint8_t *)(o), (sizeof(o) - 1)

/* Does reader content c hold exactly this OID content? */
bool hsm_oid_eq(const pc_reader *c, const uint8_t *oid, size_t len);

/* hsm.c */
/* PC_E_USAGE for unknown attributes or a PIN in the URI. */
pc_rc hsm_uri_check(P11KitUri *uri, const char *what, const char *text, pc_err *e);
/* Do the URI's module, slot and token attributes match h's? */
bool hsm_uri_matches(hsm *h, P11KitUri *uri);
const char *ck_rv_name(CK_RV rv);
/* "WHAT: FN failed: CKR_NAME (0x..)" with code PC_E_HSM_FAIL. */
pc_rc hsm_ck_fail(pc_err *e, pc_rc rc, CK_RV rv, const char *fn,
    const char *fmt, ...) PC_PRINTF(5, 6);

/* key.c */
bool hsm_alg_is_ec(hsm_alg alg);
bool hsm_alg_is_rsa(hsm_alg alg);

/* sign.c */
int hsm_cryptocb(int devId, wc_CryptoInfo *info, void *ctx);

#endif
