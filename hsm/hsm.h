/*
 * hsm.h - the HSM layer: PKCS#11 tokens, keys that never leave them, and
 * signatures that are checked before anyone sees them.
 *
 * Only this module includes pkcs11.h.  Nothing here knows about
 * certificates; it knows modules, tokens, sessions, keys and signatures.
 *
 * Lifetime: an hsm owns one PKCS#11 module (dlopen'ed), one read/write
 * session on one token, kept open and logged in for the whole run (a login
 * per signature is ~5x slower).  hsm_key objects borrow the hsm: free every
 * key before hsm_close() (a key that outlives its hsm can only be freed;
 * hsm_sign() on it is PC_E_STATE).  Pointers returned by hsm_key_*
 * accessors are owned by the key and valid until hsm_key_free().
 *
 * Signing: ECDSA and RSA go through the wolfSSL crypto callback that this
 * module registers (the same path wolfSSL's PKCS#7 code uses), Ed25519
 * through our own C_Sign(CKM_EDDSA): wolfSSL has no Ed25519 PKCS#11 path
 * and silently signs with a zero key if asked (see the notes).  Every
 * signature is verified in software against the key's public part before
 * it is returned; a mismatch is PC_E_HSM_BADSIG and nothing is returned.
 *
 * Not thread-safe: one hsm per thread.
 *
 * The map: docs/architecture.md "Layers" and "Cryptography".
 */
#ifndef PLANTCA_HSM_H
#define PLANTCA_HSM_H

#include "pc.h"
#include "buf.h"
#include "secret.h"

typedef struct hsm hsm;
typedef struct hsm_key hsm_key;

typedef enum hsm_alg {
	HSM_EC_P256 = 1,
	HSM_EC_P384,
	HSM_RSA_3072,
	HSM_RSA_4096,
	HSM_ED25519,
} hsm_alg;

/* "ec-p256" ("p256"), "ec-p384" ("p384"), "rsa-3072" ("rsa3072"),
 * "rsa-4096" ("rsa4096"), "ed25519".  PC_E_USAGE names the bad value. */
pc_rc hsm_alg_parse(const char *name, hsm_alg *out, pc_err *e) PC_CHECK;
const char *hsm_alg_name(hsm_alg alg);  /* canonical name, e.g. "ec-p256" */
/* DER AlgorithmIdentifier of the signatures keys of `alg` make (see
 * hsm_key_sigalg); needs no token, session or PIN.  Static bytes; NULL and
 * *len 0 for an unknown alg. */
const uint8_t *hsm_alg_sigalg(hsm_alg alg, size_t *len);

/* Load `module_path` (any PKCS#11 module), C_Initialize it, find the token
 * named by `token` (a token label, or an RFC 7512 "pkcs11:" URI whose token
 * attributes must match exactly one token) and open a R/W session.  URI
 * module and slot attributes are matched too and object attributes
 * ignored, so a key's URI names its token; unknown attributes, or a PIN
 * in the URI (pin-value, pin-source), are PC_E_USAGE.
 * Several hsm objects on one module share its C_Initialize (counted); at
 * most 8 hsm objects can be open in a process (wolfSSL's device table).
 * Errors: PC_E_HSM_MODULE (cannot load, no C_GetFunctionList, init fails),
 * PC_E_HSM_TOKEN (no such token, or more than one matches), PC_E_USAGE
 * (unparsable URI).  Messages name the module path and the token. */
pc_rc hsm_open(const char *module_path, const char *token, hsm **out,
    pc_err *e) PC_CHECK;

/* C_Login as CKU_USER.  Errors: PC_E_HSM_PIN for CKR_PIN_INCORRECT, with the
 * token's flags in the message ("few may be left" for COUNT_LOW, which
 * says only that a wrong PIN was given since the last good login, "one
 * try left before the PIN locks" for FINAL_TRY); PC_E_HSM_LOCKED for
 * CKR_PIN_LOCKED.  Already logged in is success.  The PIN is not kept. */
pc_rc hsm_login(hsm *h, const pc_secret *pin, pc_err *e) PC_CHECK;

/* The token's label (trailing blanks stripped); owned by h. */
const char *hsm_token_label(const hsm *h);

/* Generate a key pair inside the token: private key CKA_TOKEN, CKA_PRIVATE,
 * CKA_SENSITIVE=TRUE, CKA_EXTRACTABLE=FALSE, CKA_SIGN; public key CKA_VERIFY;
 * both with a fresh random 16-byte CKA_ID and CKA_LABEL = label.  Refuses
 * (PC_E_EXISTS) if a key with that label already exists in the token.
 * Other errors: PC_E_STATE (not logged in), PC_E_USAGE (label empty, over
 * 128 bytes or with control characters), PC_E_HSM_FAIL (the token refused),
 * PC_E_HSM_KEY (the token made a key unlike the template; it is destroyed). */
pc_rc hsm_key_generate(hsm *h, hsm_alg alg, const char *label, hsm_key **out,
    pc_err *e) PC_CHECK;

/* A key label plantca may create or name: not empty, at most
 * HSM_KEY_LABEL_MAX bytes, no control characters.  PC_E_USAGE otherwise,
 * the message starting with what ("key label", "keys remove: LABEL"); the
 * label itself is not echoed (it may hold the control characters). */
enum { HSM_KEY_LABEL_MAX = 128 };
pc_rc hsm_key_label_check(const char *label, const char *what, pc_err *e) PC_CHECK;

/* Open an existing key pair by the URI that hsm_key_uri() gave.  The
 * private key must be found exactly once (PC_E_HSM_KEY otherwise); the
 * public part is read from the public key object (CKA_EC_POINT, or
 * CKA_MODULUS + CKA_PUBLIC_EXPONENT) with the same CKA_ID, also exactly
 * one.  A URI naming another token is PC_E_HSM_KEY; an unparsable one, or
 * one with neither id= nor object=, PC_E_USAGE; not logged in, PC_E_STATE. */
pc_rc hsm_key_open(hsm *h, const char *uri, hsm_key **out, pc_err *e) PC_CHECK;

/* RFC 7512 URI naming the key: "pkcs11:token=LABEL;id=%..;object=LABEL". */
const char *hsm_key_uri(const hsm_key *k);
hsm_alg hsm_key_alg(const hsm_key *k);
/* DER SubjectPublicKeyInfo of the key (RFC 5280 §4.1.2.7; RFC 8410 for
 * Ed25519; namedCurve parameters for EC, NULL parameters for RSA). */
const uint8_t *hsm_key_spki(const hsm_key *k, size_t *len);
/* DER AlgorithmIdentifier of the signatures hsm_sign() makes with this key:
 * ecdsa-with-SHA256 (P-256), ecdsa-with-SHA384 (P-384), sha256WithRSA-
 * Encryption with NULL parameters (RSA), id-Ed25519 (no parameters);
 * hsm_alg_sigalg(hsm_key_alg(k)), static bytes. */
const uint8_t *hsm_key_sigalg(const hsm_key *k, size_t *len);

/* Sign `msg` (hashing it as the signature algorithm says; Ed25519 signs the
 * message itself) and append the signature value to `sig`: a DER
 * Ecdsa-Sig-Value for ECDSA, the k-byte PKCS#1 v1.5 block for RSA, 64 bytes
 * for Ed25519: exactly what goes inside an X.509 BIT STRING.  The signature
 * is verified in software first.  Errors: PC_E_HSM_FAIL, PC_E_HSM_BADSIG
 * (nothing is appended on any error), PC_E_CRYPTO (wolfSSL failed). */
pc_rc hsm_sign(hsm_key *k, const uint8_t *msg, size_t len, pc_buf *sig,
    pc_err *e) PC_CHECK;

/* Sign n messages as hsm_sign() does, sigs[i] receiving signature i (each
 * buffer is reset first).  The token signs on the calling thread, through
 * the one session; a second thread verifies each signature in software
 * while the token makes the next, so the check costs no wall time.  All n
 * signatures are verified before it returns; on any failure every sigs[i]
 * is emptied and the first error is returned. */
pc_rc hsm_sign_many(hsm_key *k, const uint8_t *const *msgs, const size_t *lens,
    size_t n, pc_buf *sigs, pc_err *e) PC_CHECK;

/* Verify a signature made as hsm_sign() makes them (the algorithm the
 * table names for the key's type), against a DER SPKI, in software
 * through the one verifier (pkix_verify).  PC_E_SIGNATURE if it does not
 * verify, PC_E_INPUT if the SPKI is unsupported. */
pc_rc hsm_verify_spki(const uint8_t *spki, size_t spki_len, const uint8_t *msg,
    size_t len, const uint8_t *sig, size_t sig_len, pc_err *e) PC_CHECK;

void hsm_key_free(hsm_key *k);
void hsm_close(hsm *h);

/* ---- the token's key pairs as a whole (hsm/keys.c) ---- */

/* A key pair on the token: the private and the public key object with the
 * same CKA_ID and CKA_LABEL; either may be missing (npriv or npub 0). */
typedef struct hsm_pair {
	char *label;                 /* CKA_LABEL */
	uint8_t *id;                 /* CKA_ID */
	size_t id_len;
	char *uri;                   /* as hsm_key_uri() would name it */
	unsigned npriv, npub;        /* objects of each kind */
	hsm_alg alg;                 /* 0 when spki is NULL */
	uint8_t *spki;               /* DER SubjectPublicKeyInfo, as hsm_key_spki() */
	size_t spki_len;
	char *note;                  /* why there is no spki (a half pair, a key
	                              * hsm_key_open refuses); NULL when there is */
} hsm_pair;

typedef struct hsm_pairs {
	hsm_pair *v;
	size_t n;
	size_t others;               /* objects on the token that are in none of v */
} hsm_pairs;

/* Every key pair on the token whose CKA_LABEL starts with `prefix`, in the
 * token's order, each opened as hsm_key_open() opens a key (a pair that
 * does not open is listed with a note, never an error); every other object
 * the logged-in user sees (other keys, certificates, data) is counted in
 * others.  Needs a login (PC_E_STATE); token errors are PC_E_HSM_FAIL or
 * PC_E_HSM_KEY.  Free with hsm_pairs_free (done on error). */
pc_rc hsm_pairs_list(hsm *h, const char *prefix, hsm_pairs *out, pc_err *e) PC_CHECK;
void hsm_pairs_free(hsm_pairs *l);
/* Does key URI `uri` (a store's record: hsm_key_uri()) name pair p: a URI
 * of this token whose id= and object= attributes, those it has (at least
 * one), equal p's CKA_ID and CKA_LABEL.  An unparsable URI names nothing. */
bool hsm_pair_named_by(hsm *h, const hsm_pair *p, const char *uri);
/* Destroy p's private key object, then its public one (fault point
 * hsm.destroy before each C_DestroyObject).  Stopped in between, the
 * public object is left, listed as a half pair; run again, it destroys
 * what is left.  PC_E_HSM_FAIL when the token refuses. */
pc_rc hsm_pair_destroy(hsm *h, const hsm_pair *p, pc_err *e) PC_CHECK;

#endif
