/*
 * cert.h - the one reader of X.509 certificates (RFC 5280 §4) in plantca.
 *
 * pkix_cert_parse() reads a whole Certificate, pkix_tbs_parse() only a
 * TBSCertificate (the pre-issuance check reads the bytes the HSM is about
 * to sign).  Both are strict DER through the bounded reader: every field in
 * its place, definite minimal lengths, nothing after the end; the outer and
 * inner signature algorithms must be equal (§4.1.1.2); v1 or v3 (v2 is a
 * relic that carries only unique identifiers, which we refuse); extensions
 * only in v3, each understood one decoded.  Two faults are recorded, not
 * refused, so that the pre-issuance check can list them with the others:
 * a critical extension that is not understood (PKIX_CERT_F_UNKNOWN_CRITICAL)
 * and an extension that appears twice (PKIX_CERT_F_DUPLICATE_EXT); the
 * chain validator refuses both (§6.1.4 (o), §4.2).  Likewise a
 * pathLenConstraint without cA is read, not refused: users judge it.
 *
 * Understood extensions: basicConstraints, keyUsage, extKeyUsage,
 * subjectAltName, nameConstraints, subjectKeyIdentifier,
 * authorityKeyIdentifier, certificatePolicies (parsed for well-formedness,
 * not evaluated: plantca issues and accepts no policy constraints), and
 * plantca's firmware-package extension.
 *
 * Lifetime: a pkix_cert points into the DER it was parsed from (the
 * caller keeps it alive) and owns nothing.  GeneralNames are read on
 * demand from the windows it keeps (pkix_gn_next), already validated by
 * the parse, so iterating cannot fail on a parsed certificate.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_CERT_H
#define PLANTCA_PKIX_CERT_H

#include <time.h>

#include "buf.h"
#include "name.h"
#include "verify.h"

enum {
	PKIX_SERIAL_LEN = 20,           /* RFC 5280 §4.1.2.2 maximum (21 read, with a sign octet) */
	PKIX_KEYID_LEN = 20,            /* ours: RFC 7093 method 1, SHA-256, 160 bits */
	PKIX_CERT_MAX = 64 * 1024,      /* largest certificate we read */
	PKIX_EXT_MAX = 32,              /* extensions in one certificate */
	PKIX_EKU_MAX = 16,              /* purposes in one extKeyUsage */
	PKIX_GN_MAX = 64,               /* names in one GeneralNames */
	PKIX_KEYID_MAX = 64,
};

/* A general name as it stands in a certificate (a view into its DER). */
typedef struct pkix_gn_view {
	pkix_gn_type type;
	const uint8_t *val; size_t len; /* IA5 text, address bytes, Name TLV, or otherName value */
	const uint8_t *oid; size_t oid_len;   /* otherName type-id content */
} pkix_gn_view;

/* Read one GeneralName from r (strict: IA5 text for email/DNS/URI, 4/16
 * bytes for an address, or 8/32 with `constraint`). */
bool pkix_gn_read(pc_reader *r, bool constraint, pkix_gn_view *g);
/* Next name from a window kept by a parsed certificate; false at the end. */
bool pkix_gn_next(pc_reader *names, pkix_gn_view *g);
/* When g is an otherName HardwareModuleName (RFC 4108 §5: SEQUENCE { hwType
 * OID, hwSerialNum OCTET STRING }), its hwSerialNum into *sn and *n (a view
 * into g's bytes) and true; else false. */
bool pkix_gn_hw_serial(const pkix_gn_view *g, const uint8_t **sn, size_t *n);

/* keyUsage bits (RFC 5280 §4.2.1.3; bit n is 1 << n). */
enum {
	PKIX_KU_DIGITAL_SIGNATURE = 1 << 0,
	PKIX_KU_NON_REPUDIATION = 1 << 1,
	PKIX_KU_KEY_ENCIPHERMENT = 1 << 2,
	PKIX_KU_DATA_ENCIPHERMENT = 1 << 3,
	PKIX_KU_KEY_AGREEMENT = 1 << 4,
	PKIX_KU_KEY_CERT_SIGN = 1 << 5,
	PKIX_KU_CRL_SIGN = 1 << 6,
	PKIX_KU_ENCIPHER_ONLY = 1 << 7,
	PKIX_KU_DECIPHER_ONLY = 1 << 8,
};

/* What the parse found (flags). */
enum {
	PKIX_CERT_F_BC = 1 << 0,                /* basicConstraints present */
	PKIX_CERT_F_BC_CRITICAL = 1 << 1,
	PKIX_CERT_F_KU = 1 << 2,
	PKIX_CERT_F_KU_CRITICAL = 1 << 3,
	PKIX_CERT_F_EKU = 1 << 4,
	PKIX_CERT_F_SAN = 1 << 5,
	PKIX_CERT_F_SAN_CRITICAL = 1 << 6,
	PKIX_CERT_F_NC = 1 << 7,
	PKIX_CERT_F_SKI = 1 << 8,
	PKIX_CERT_F_AKI = 1 << 9,
	PKIX_CERT_F_UNKNOWN_CRITICAL = 1 << 10, /* a critical extension we do not understand */
	PKIX_CERT_F_FW_PACKAGES = 1 << 11,      /* plantca firmware-package extension */
	PKIX_CERT_F_EKU_ANY = 1 << 12,          /* anyExtendedKeyUsage listed */
	PKIX_CERT_F_DUPLICATE_EXT = 1 << 13,    /* an extension appears twice (§4.2) */
	PKIX_CERT_F_FW_PACKAGES_CRITICAL = 1 << 14,
};

typedef struct pkix_cert {
	const uint8_t *der; size_t len;         /* the whole Certificate (NULL for a TBS) */
	const uint8_t *tbs; size_t tbs_len;     /* TBSCertificate TLV */
	const uint8_t *sigalg_der; size_t sigalg_len;   /* AlgorithmIdentifier TLV */
	const pkix_sigalg *sigalg;              /* NULL if not one of ours (parse still succeeds) */
	const uint8_t *sig; size_t sig_len;     /* signature BIT STRING value */
	unsigned version;                       /* 1 or 3 */
	const uint8_t *serial; size_t serial_len;   /* INTEGER content as encoded */
	char serial_hex[2 * (PKIX_SERIAL_LEN + 1) + 1];   /* lowercase hex of serial */
	const uint8_t *issuer; size_t issuer_len;   /* Name TLV */
	const uint8_t *subject; size_t subject_len; /* Name TLV */
	uint8_t nb_tag, na_tag;                 /* DER_UTCTIME or DER_GENERALIZEDTIME */
	time_t not_before, not_after;
	const uint8_t *spki; size_t spki_len;   /* SubjectPublicKeyInfo TLV */
	unsigned flags;                         /* PKIX_CERT_F_* */
	bool is_ca;
	int path_len;                           /* -1: absent */
	unsigned ku;                            /* PKIX_KU_* */
	pkix_oid eku[PKIX_EKU_MAX];             /* known purposes; PKIX_OID_NONE for others */
	pc_reader eku_raw[PKIX_EKU_MAX];        /* each purpose's OID content */
	size_t neku;
	pc_reader san;                          /* GeneralNames content (pkix_gn_next) */
	pc_reader nc_permit, nc_exclude;        /* GeneralSubtrees contents, empty if absent */
	const uint8_t *ski; size_t ski_len;
	const uint8_t *aki; size_t aki_len;     /* keyIdentifier, if any */
	pc_reader fw_packages;                  /* SEQUENCE OF UTF8String content */
	size_t nexts;
	pkix_oid ext_oids[PKIX_EXT_MAX];        /* for the pre-issuance check */
	pc_reader ext_raw[PKIX_EXT_MAX];        /* each extension's OID content */
	pc_reader unknown_critical;             /* OID content of the first one, if any */
	pc_reader duplicate;                    /* OID content of the first repeated one */
} pkix_cert;

/* Parse a DER certificate.  `what` names it in messages.  PC_E_INPUT with
 * the reason; PC_E_LIMIT over PKIX_CERT_MAX. */
pc_rc pkix_cert_parse(const uint8_t *der, size_t len, const char *what, pkix_cert *c,
    pc_err *e) PC_CHECK;
/* Parse a TBSCertificate alone (der/sig fields stay NULL). */
pc_rc pkix_tbs_parse(const uint8_t *tbs, size_t len, const char *what, pkix_cert *c,
    pc_err *e) PC_CHECK;

/* Helpers on a parsed certificate. */
bool pkix_cert_self_issued(const pkix_cert *c);   /* issuer == subject (§6.1) */
bool pkix_cert_has_eku(const pkix_cert *c, pkix_oid purpose);
/* "CN=..." short name for messages: the CN, escaped, or the serial. */
void pkix_cert_label(const pkix_cert *c, char *out, size_t n);

#endif
