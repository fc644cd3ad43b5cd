/*
 * crmf.h - the one reader of CRMF certificate requests (RFC 4211), as
 * Lightweight CMP (RFC 9483 §4.1) carries them in ir, cr and kur, and the
 * CertTemplate of a revocation request (RFC 4210 §5.3.9).
 *
 * The CRMF module is written with IMPLICIT TAGS (RFC 4211 Appendix B):
 * CertTemplate's fields are [0]..[9] IMPLICIT, except issuer [3] and
 * subject [5], whose type Name is a CHOICE and so is tagged explicitly
 * (X.680 §31.2.7).  publicKey [6] holds the SubjectPublicKeyInfo's
 * content; we rebuild the SPKI TLV (a SEQUENCE header in front) into
 * pkix_crmf_req.spki so that the one key parser reads it.
 *
 * What is read: certReqId, the template's subject, publicKey, issuer,
 * serialNumber, validity (read, ignored: the profile decides), extensions
 * (only subjectAltName is kept, as for PKCS#10; an unknown critical one is
 * refused), the controls (oldCertID for kur, RFC 4211 §6.5; other
 * controls refused, since nothing else is supported), and the proof of
 * possession: signature (POPOSigningKey without poposkInput, signed over
 * the CertRequest's DER, §4.1), or nothing.  raVerified, keyEncipherment
 * and keyAgreement POPs are refused: a device proves its key itself.
 *
 * Lifetime: every pointer points into the bytes parsed, which the caller
 * keeps alive, except spki, which is a copy.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_CRMF_H
#define PLANTCA_PKIX_CRMF_H

#include "buf.h"
#include "cert.h"
#include "name.h"
#include "verify.h"

enum {
	/* the largest SPKI we accept: an RSA-8192 key is about 1,060 bytes */
	PKIX_CRMF_SPKI_MAX = 1200,
};

/* A CertTemplate (RFC 4211 §5), as far as plantca reads it. */
typedef struct pkix_crmf_template {
	const uint8_t *subject; size_t subject_len;   /* Name TLV; NULL: absent */
	const uint8_t *issuer; size_t issuer_len;     /* Name TLV; NULL: absent */
	const uint8_t *serial; size_t serial_len;     /* INTEGER content; NULL: absent */
	uint8_t spki[PKIX_CRMF_SPKI_MAX]; size_t spki_len;   /* rebuilt TLV; 0: absent */
	pkix_gn san[PKIX_SAN_MAX]; size_t nsan;       /* requested SANs (rebuilt) */
	size_t nhwname;                               /* HardwareModuleName SANs left out */
	pc_reader exts;                               /* Extensions content (crlEntryDetails for rr) */
} pkix_crmf_template;

typedef enum pkix_crmf_pop {
	PKIX_CRMF_POP_NONE = 0,
	PKIX_CRMF_POP_SIGNATURE,
} pkix_crmf_pop;

/* One CertReqMsg (RFC 4211 §3). */
typedef struct pkix_crmf_req {
	long cert_req_id;
	pkix_crmf_template tmpl;
	const uint8_t *cert_req; size_t cert_req_len; /* CertRequest TLV: what POP signs */
	pkix_crmf_pop pop;
	const pkix_sigalg *pop_alg;
	const uint8_t *pop_sig; size_t pop_sig_len;   /* BIT STRING value */
	bool has_old_cert;                            /* controls: oldCertID (kur) */
	const uint8_t *old_issuer; size_t old_issuer_len;   /* GeneralName TLV */
	const uint8_t *old_serial; size_t old_serial_len;   /* INTEGER content */
} pkix_crmf_req;

/* Read one CertTemplate (content of the SEQUENCE) into t.  PC_E_INPUT
 * "WHAT: REASON" on malformed input, PC_E_CSR for a SAN or key the rules
 * refuse. */
pc_rc pkix_crmf_template_read(pc_reader content, const char *what, pkix_crmf_template *t,
    pc_err *e) PC_CHECK;
/* Read CertReqMessages (content of the SEQUENCE OF) holding exactly one
 * CertReqMsg (RFC 9483 §4.1.1).  The POP is read, not checked. */
pc_rc pkix_crmf_read(pc_reader content, const char *what, pkix_crmf_req *r, pc_err *e) PC_CHECK;
/* Check the proof of possession of r: a signature POP by the template's
 * key over the CertRequest.  PC_E_SIGNATURE ("... proof of possession does
 * not verify") or PC_E_INPUT (no key, no POP). */
pc_rc pkix_crmf_verify_pop(const pkix_crmf_req *r, const char *what, pc_err *e) PC_CHECK;

#endif
