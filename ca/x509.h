/*
 * x509.h - certificates and requests, built and read by our own DER code.
 *
 * We build every TBSCertificate ourselves (common/der.h) rather than through
 * wolfSSL's template: RFC 5280 wants basicConstraints critical in CA
 * certificates, which wolfSSL 5.5.4 cannot emit, and the issuance intent
 * must hold the exact to-be-signed bytes before the HSM signs them.
 * wolfSSL is used to check CSR self-signatures (proof of possession).
 */
#ifndef PLANTCA_X509_H
#define PLANTCA_X509_H

#include <time.h>

#include "buf.h"
#include "der.h"

enum {
	X509_SERIAL_LEN = 20,            /* RFC 5280 §4.1.2.2 maximum */
	X509_KEYID_LEN = 20,             /* RFC 7093 method 1: SHA-256, 160 bits */
	X509_CSR_MAX = 64 * 1024,        /* largest CSR file we read */
	X509_NAME_MAX = 4096,            /* largest encoded Name we accept */
	X509_SAN_MAX = 64,               /* most SAN entries in one request */
	X509_PERMIT_MAX = 32,            /* most name-constraint subtrees */
	X509_RSA_E_MIN = 3,              /* RSA public exponent: odd, >= 3 ... */
	X509_RSA_E_MAX_BYTES = 4,        /* ... and < 2^32 (see x509_spki_check) */
	X509_OID_TEXT_MAX = 128,         /* dotted OID text in messages */
};

/* Key types a subject may have (from the SPKI). */
typedef enum x509_keytype {
	X509_KEY_EC_P256 = 1,
	X509_KEY_EC_P384,
	X509_KEY_RSA,
	X509_KEY_ED25519,
} x509_keytype;

/* One SubjectAltName / name-constraint entry. */
typedef enum x509_gn_type {
	X509_GN_EMAIL = 1,   /* rfc822Name [1] */
	X509_GN_DNS = 2,     /* dNSName [2] */
	X509_GN_URI = 6,     /* uniformResourceIdentifier [6] */
	X509_GN_IP = 7,      /* iPAddress [7] */
} x509_gn_type;

typedef struct x509_gn {
	x509_gn_type type;
	uint8_t val[256];    /* text (NUL-terminated) or IP bytes (+ mask) */
	size_t len;
} x509_gn;

/* Parse an SPKI: key type, RSA bits; rejects explicit EC parameters, unknown
 * curves, RSA under 2048 or over 8192 bits and RSA public exponents that are
 * even, below 3 or not below 2^32.  `what` names the source in messages. */
pc_rc x509_spki_check(const uint8_t *spki, size_t len, x509_keytype *type,
    unsigned *bits, const char *what, pc_err *e) PC_CHECK;
const char *x509_keytype_name(x509_keytype t, unsigned bits, char *buf, size_t n);

/* A parsed, proof-of-possession-checked PKCS#10 request.  Pointers point into
 * `der`, which the struct owns (x509_csr_free releases it). */
typedef struct x509_csr {
	uint8_t *der;
	size_t der_len;
	const uint8_t *subject;     /* DER Name */
	size_t subject_len;
	const uint8_t *spki;        /* DER SubjectPublicKeyInfo */
	size_t spki_len;
	x509_keytype keytype;
	unsigned bits;
	x509_gn san[X509_SAN_MAX];  /* requested SANs (rebuilt, never copied) */
	size_t nsan;
} x509_csr;

/* Parse a CSR file's bytes (PEM "CERTIFICATE REQUEST"/"NEW CERTIFICATE
 * REQUEST", or DER).  A critical requested extension other than SAN,
 * basicConstraints, keyUsage, extendedKeyUsage and subjectKeyIdentifier is
 * refused by OID before the self-signature is checked.  Errors are
 * PC_E_CSR with messages naming `what`. */
pc_rc x509_csr_parse(const uint8_t *buf, size_t len, const char *what,
    x509_csr *out, pc_err *e) PC_CHECK;
void x509_csr_free(x509_csr *c);

/* Distinguished names: "/C=DE/O=Acme/CN=Root" (OpenSSL order) or RFC 4514
 * "CN=Root,O=Acme,C=DE".  Attributes: C ST L O OU CN serialNumber DC UID
 * emailAddress.  Appends the DER Name to out. */
pc_rc x509_name_from_text(pc_buf *out, const char *text, pc_err *e) PC_CHECK;
/* RFC 4514 text of a DER Name (most specific first), safe to show: the
 * special characters are backslashed (§2.4) and the rest goes through the
 * display escaper (text.h), so control, C1, bidi and invisible characters
 * and bytes that are not UTF-8 appear as \xHH / \uXXXX escapes. */
pc_rc x509_name_to_text(const uint8_t *der, size_t len, pc_buf *out) PC_CHECK;

/* The rules for one attribute value, the same wherever a name comes from
 * (typed by the officer, a CSR's subject, the TBS before signing): the
 * ASN.1 string type allowed for the attribute (C and serialNumber
 * PrintableString; DC and emailAddress IA5String; CN, O, OU, L, ST, UID
 * UTF8String or PrintableString; other OIDs UTF8String, PrintableString or
 * IA5String), not empty, the type's alphabet (well-formed UTF-8, the
 * PrintableString set, 7-bit IA5), no NUL, C0, DEL or C1 control, C two
 * upper-case letters (ISO 3166), RFC 5280 Appendix A upper bounds counted
 * in characters (CN O OU serialNumber 64, L ST 128, emailAddress 255, DC
 * 63, UID and other attributes 256).  `oid` is dotted.  On failure returns
 * `code` with "WHAT: subject ATTR: 'VALUE' RULE" (WHAT: left out when what
 * is NULL; VALUE display-escaped), e.g.
 * "b.tar/x.csr: subject C: 'GERMANY' is not a two-letter country code
 * (ISO 3166, RFC 5280 Appendix A)". */
pc_rc x509_attr_check(const char *oid, uint8_t tag, const uint8_t *v, size_t n,
    const char *what, pc_rc code, pc_err *e) PC_CHECK;

/* A DER Name: at most X509_NAME_MAX bytes, SEQUENCE OF non-empty SET OF
 * AttributeTypeAndValue, at most 32 RDNs, every value passing
 * x509_attr_check.  Errors as there. */
pc_rc x509_name_check(const uint8_t *der, size_t len, const char *what, pc_rc code,
    pc_err *e) PC_CHECK;

/* General names from text "dns:x", "ip:10.0.0.1", "ip:10.3.0.0/16" (only
 * with allow_cidr), "uri:urn:...", "email:a@b". */
pc_rc x509_gn_from_text(const char *text, bool allow_cidr, x509_gn *out,
    pc_err *e) PC_CHECK;
void x509_gn_to_text(const x509_gn *g, pc_buf *out);

/* What goes into a certificate. */
typedef struct x509_tbs_params {
	uint8_t serial[X509_SERIAL_LEN];
	const uint8_t *sigalg; size_t sigalg_len;         /* issuer's */
	const uint8_t *issuer; size_t issuer_len;         /* issuer subject DER */
	const uint8_t *issuer_keyid;                      /* NULL: self-signed */
	time_t not_before, not_after;
	const uint8_t *subject; size_t subject_len;
	const uint8_t *spki; size_t spki_len;
	bool is_ca;
	int path_len;                /* <0: absent */
	unsigned key_usage;          /* X509_KU_* bits */
	const char *const *eku;      /* dotted OIDs, NULL-terminated, or NULL */
	const x509_gn *san; size_t nsan;
	const x509_gn *permit; size_t npermit;   /* name constraints (CA only) */
	/* further extensions, each a whole DER Extension SEQUENCE, appended
	 * as given (the firmware signer's package list); NULL: none */
	const uint8_t *extra_ext; size_t extra_ext_len;
} x509_tbs_params;

enum {
	X509_KU_DIGITAL_SIGNATURE = 1 << 0,
	X509_KU_NON_REPUDIATION = 1 << 1,
	X509_KU_KEY_ENCIPHERMENT = 1 << 2,
	X509_KU_DATA_ENCIPHERMENT = 1 << 3,
	X509_KU_KEY_AGREEMENT = 1 << 4,
	X509_KU_KEY_CERT_SIGN = 1 << 5,
	X509_KU_CRL_SIGN = 1 << 6,
};

/* Fresh serial: 20 bytes from libsodium's CSPRNG, top bit cleared (positive)
 * and second-highest set (so the encoding is exactly 20 octets): 158 random
 * bits, above CA/B BR §7.1's 64 and the 128 we promise. */
void x509_serial_new(uint8_t serial[X509_SERIAL_LEN]);
/* RFC 7093 §2 method 1 key identifier: leftmost 160 bits of SHA-256 over the
 * subjectPublicKey BIT STRING value. */
pc_rc x509_keyid(const uint8_t *spki, size_t len, uint8_t id[X509_KEYID_LEN]) PC_CHECK;

/* Build a DER TBSCertificate into out. */
pc_rc x509_tbs_build(const x509_tbs_params *p, pc_buf *out, pc_err *e) PC_CHECK;
/* Certificate ::= SEQUENCE { tbs, sigalg, BIT STRING sig } */
pc_rc x509_cert_assemble(const uint8_t *tbs, size_t tbs_len, const uint8_t *sigalg,
    size_t sigalg_len, const uint8_t *sig, size_t sig_len, pc_buf *out) PC_CHECK;

/* Pieces of a certificate we store or show.  Pointers point into the DER
 * passed in, which the caller keeps alive. */
typedef struct x509_cert_view {
	const uint8_t *tbs; size_t tbs_len;
	const uint8_t *serial; size_t serial_len;   /* INTEGER content */
	const uint8_t *issuer; size_t issuer_len;
	const uint8_t *subject; size_t subject_len;
	const uint8_t *spki; size_t spki_len;
	time_t not_before, not_after;
} x509_cert_view;

pc_rc x509_cert_view_parse(const uint8_t *der, size_t len, x509_cert_view *v) PC_CHECK;

#endif
