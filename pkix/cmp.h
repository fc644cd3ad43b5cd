/*
 * cmp.h - Certificate Management Protocol messages (RFC 4210, RFC 9480),
 * as the Lightweight CMP profile (RFC 9483) uses them: the one reader of
 * PKIMessages, the check of their signature-based protection, and the
 * writer of the replies plantca-station sends.
 *
 *   PKIMessage ::= SEQUENCE { header PKIHeader, body PKIBody,
 *       protection [0] PKIProtection OPTIONAL,
 *       extraCerts [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL }
 *
 * The CMP module uses EXPLICIT TAGS (RFC 4210 Appendix F): every [n] of
 * PKIHeader and every PKIBody choice wraps a whole TLV.  CRMF, inside
 * ir/cr/kur, uses IMPLICIT TAGS (crmf.h).
 *
 * What the reader accepts: pvno 2 or 3 (cmp2000, cmp2021: RFC 9480 §2.20);
 * sender and recipient any GeneralName (the caller decides; plantca wants
 * a directoryName sender for signature protection, RFC 9483 §3.1);
 * transactionID and senderNonce required, 1..64 bytes (RFC 9483 §3.1:
 * 128 bits); bodies ir, cr, kur (one CertReqMsg), p10cr (one PKCS#10),
 * certConf (one CertStatus), pollReq (one), rr (one RevDetails), error,
 * pkiConf, and, read but answered only with an error, genm.  Others are
 * PC_E_INPUT with PKIX_CMP_FI_BAD_REQUEST.  Each refusal also names the
 * PKIFailureInfo bit a reply should carry (pkix_cmp_parse's *fail).
 *
 * Lifetime: a pkix_cmp_msg points into the DER it was parsed from (the
 * caller keeps it alive); it owns nothing (the CRMF request's SPKI is
 * copied into it).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_CMP_H
#define PLANTCA_PKIX_CMP_H

#include <time.h>

#include "buf.h"
#include "cert.h"
#include "crmf.h"
#include "der.h"
#include "verify.h"

enum {
	PKIX_CMP_MSG_MAX = 256 * 1024,   /* largest PKIMessage we read */
	PKIX_CMP_EXTRA_MAX = 8,          /* extraCerts we look at */
	PKIX_CMP_ID_MAX = 64,            /* transactionID, nonces, key ids */
	PKIX_CMP_TEXT_MAX = 512,         /* freeText / statusString we keep */
	PKIX_CMP_NONCE_LEN = 16,         /* the nonces we make (RFC 9483 §3.1: 128 bits) */
};

/* PKIBody choices (RFC 4210 §5.1.2). */
typedef enum pkix_cmp_body {
	PKIX_CMP_IR = 0, PKIX_CMP_IP = 1, PKIX_CMP_CR = 2, PKIX_CMP_CP = 3,
	PKIX_CMP_P10CR = 4, PKIX_CMP_KUR = 7, PKIX_CMP_KUP = 8,
	PKIX_CMP_RR = 11, PKIX_CMP_RP = 12, PKIX_CMP_PKICONF = 19,
	PKIX_CMP_GENM = 21, PKIX_CMP_GENP = 22, PKIX_CMP_ERROR = 23,
	PKIX_CMP_CERTCONF = 24, PKIX_CMP_POLLREQ = 25, PKIX_CMP_POLLREP = 26,
} pkix_cmp_body;

/* PKIStatus (RFC 4210 §5.2.3). */
typedef enum pkix_cmp_status {
	PKIX_CMP_ACCEPTED = 0, PKIX_CMP_GRANTED_WITH_MODS = 1, PKIX_CMP_REJECTION = 2,
	PKIX_CMP_WAITING = 3, PKIX_CMP_REVOCATION_WARNING = 4,
} pkix_cmp_status;

/* PKIFailureInfo bit numbers (RFC 4210 §5.2.3); -1 stands for "none". */
typedef enum pkix_cmp_fail {
	PKIX_CMP_FI_NONE = -1,
	PKIX_CMP_FI_BAD_ALG = 0, PKIX_CMP_FI_BAD_MESSAGE_CHECK = 1, PKIX_CMP_FI_BAD_REQUEST = 2,
	PKIX_CMP_FI_BAD_TIME = 3, PKIX_CMP_FI_BAD_CERT_ID = 4, PKIX_CMP_FI_BAD_DATA_FORMAT = 5,
	PKIX_CMP_FI_WRONG_AUTHORITY = 6, PKIX_CMP_FI_INCORRECT_DATA = 7, PKIX_CMP_FI_BAD_POP = 9,
	PKIX_CMP_FI_CERT_REVOKED = 10, PKIX_CMP_FI_CERT_CONFIRMED = 11,
	PKIX_CMP_FI_WRONG_INTEGRITY = 12, PKIX_CMP_FI_BAD_RECIPIENT_NONCE = 13,
	PKIX_CMP_FI_BAD_SENDER_NONCE = 18, PKIX_CMP_FI_BAD_CERT_TEMPLATE = 19,
	PKIX_CMP_FI_SIGNER_NOT_TRUSTED = 20, PKIX_CMP_FI_TRANSACTION_ID_IN_USE = 21,
	PKIX_CMP_FI_UNSUPPORTED_VERSION = 22, PKIX_CMP_FI_NOT_AUTHORIZED = 23,
	PKIX_CMP_FI_SYSTEM_UNAVAIL = 24, PKIX_CMP_FI_SYSTEM_FAILURE = 25,
	PKIX_CMP_FI_DUPLICATE_CERT_REQ = 26,
} pkix_cmp_fail;

/* "badMessageCheck", ...; "none" for PKIX_CMP_FI_NONE. */
const char *pkix_cmp_fail_name(pkix_cmp_fail f);
/* "ir", "pollReq", ... ("body[N]" in buf for others). */
const char *pkix_cmp_body_name(int body, char *buf, size_t n);

typedef struct pkix_cmp_msg {
	const uint8_t *der; size_t len;
	unsigned pvno;
	const uint8_t *header; size_t header_len;     /* PKIHeader TLV */
	const uint8_t *body_tlv; size_t body_tlv_len; /* PKIBody TLV ([n] and content) */
	int body;                                     /* pkix_cmp_body */
	uint8_t sender_tag;                           /* GeneralName tag (0xa4: directoryName) */
	const uint8_t *sender; size_t sender_len;     /* directoryName: the Name TLV; else the GN TLV */
	const uint8_t *recipient; size_t recipient_len;   /* the whole recipient GeneralName TLV */
	uint8_t recipient_tag;
	const uint8_t *recipient_name; size_t recipient_name_len; /* its Name TLV (directoryName) */
	const uint8_t *prot_alg; size_t prot_alg_len; /* AlgorithmIdentifier TLV; NULL: absent */
	const pkix_sigalg *sigalg;                    /* prot_alg as a signature; NULL: not one */
	bool mac_protected;                           /* PasswordBasedMac or PBMAC1 */
	const uint8_t *sender_kid; size_t sender_kid_len;
	const uint8_t *txid; size_t txid_len;
	const uint8_t *sender_nonce; size_t sender_nonce_len;
	const uint8_t *recip_nonce; size_t recip_nonce_len;
	bool implicit_confirm;                        /* generalInfo asks for it */
	const uint8_t *protection; size_t protection_len;   /* BIT STRING value; NULL: none */
	const uint8_t *extra[PKIX_CMP_EXTRA_MAX]; size_t extra_len[PKIX_CMP_EXTRA_MAX];
	size_t nextra;
	/* ir, cr, kur */
	pkix_crmf_req req;
	/* p10cr: the CertificationRequest TLV (pkix_csr_parse reads it) */
	const uint8_t *p10; size_t p10_len;
	/* certConf */
	const uint8_t *cert_hash; size_t cert_hash_len;
	long conf_req_id;
	bool conf_rejected;                           /* statusInfo present and not accepted */
	bool conf_hash_alg;                           /* hashAlg [0] given (cmp2021) */
	/* pollReq, and the certReqId of certConf */
	long poll_req_id;
	/* rr */
	pkix_crmf_template rev;
	int rev_reason;                               /* CRLReason; -1: none given */
	/* error (from the client), and the status of certConf */
	int err_status;
	int err_fail;                                 /* its first failInfo bit; -1: none */
	char text[PKIX_CMP_TEXT_MAX];                 /* freeText / statusString, escaped */
} pkix_cmp_msg;

/* Parse der[0..len).  On a refusal returns PC_E_INPUT (PC_E_LIMIT over
 * PKIX_CMP_MSG_MAX, PC_E_CSR for a template the name or key rules
 * refuse) with "WHAT: REASON", and *fail the failure bit a reply
 * carries.  The message's protection is not checked here. */
pc_rc pkix_cmp_parse(const uint8_t *der, size_t len, const char *what, pkix_cmp_msg *m,
    pkix_cmp_fail *fail, pc_err *e) PC_CHECK;

/* Check m's signature-based protection (RFC 9483 §3.2, §3.3): the first
 * extraCerts certificate is the signer; its subject equals the sender
 * (a directoryName), its subjectKeyIdentifier (if it has one) equals
 * senderKID (if given), its keyUsage (if present) has digitalSignature,
 * and its key verifies the protection over ProtectedPart ::= SEQUENCE {
 * header, body } (RFC 4210 §5.1.3).  Whether the signer is trusted is the
 * caller's (pkix_chain_verify with m's other extraCerts as the pool).
 * Refusals (PC_E_SIGNATURE, PC_E_INPUT) set *fail: badMessageCheck for
 * missing or broken protection, wrongIntegrity for MAC protection, badAlg
 * for an algorithm we do not accept.  signer gets the parsed certificate
 * (pointing into m's DER). */
pc_rc pkix_cmp_verify(const pkix_cmp_msg *m, const char *what, pkix_cert *signer,
    pkix_cmp_fail *fail, pc_err *e) PC_CHECK;

/* ---------------------------------------------------------------- writer */

/* Sign msg[0..len) with the protection key; the signature's bytes are
 * appended to sig (the BIT STRING value, without the unused-bits byte). */
typedef pc_rc (*pkix_cmp_sign_fn)(void *ctx, const uint8_t *msg, size_t len, pc_buf *sig,
    pc_err *e);

typedef struct pkix_cmp_signer {
	const uint8_t *cert; size_t cert_len;         /* protection certificate: extraCerts[0] */
	const uint8_t *const *chain; const size_t *chain_len; size_t nchain;   /* more extraCerts */
	const pkix_sigalg *alg;                       /* what sign makes */
	pkix_cmp_sign_fn sign;
	void *ctx;
} pkix_cmp_signer;

/* A reply's header: sender and senderKID from the signer's certificate,
 * a fresh senderNonce; the rest from the request answered. */
typedef struct pkix_cmp_reply {
	unsigned pvno;                                /* 2: what OpenSSL 3.0 takes */
	const uint8_t *recipient; size_t recipient_len;   /* GeneralName TLV; NULL: NULL-DN */
	const uint8_t *txid; size_t txid_len;
	const uint8_t *recip_nonce; size_t recip_nonce_len;   /* the request's senderNonce */
	bool implicit_confirm;                        /* grant it (RFC 4210 §5.1.1.1) */
	time_t now;
} pkix_cmp_reply;

/* Body contents (each appends one whole PKIBody choice TLV to d). */
/* ip/cp/kup: one CertResponse; cert NULL unless status is accepted. */
void pkix_cmp_body_certrep(pc_der *d, int body, long cert_req_id, pkix_cmp_status status,
    pkix_cmp_fail fail, const char *text, const uint8_t *cert, size_t cert_len);
void pkix_cmp_body_pollrep(pc_der *d, long cert_req_id, long check_after, const char *text);
void pkix_cmp_body_rp(pc_der *d, pkix_cmp_status status, pkix_cmp_fail fail, const char *text);
void pkix_cmp_body_error(pc_der *d, pkix_cmp_fail fail, const char *text);
void pkix_cmp_body_pkiconf(pc_der *d);
/* A PKIStatusInfo (also for request writers in tests). */
void pkix_cmp_status_info(pc_der *d, pkix_cmp_status status, pkix_cmp_fail fail,
    const char *text);

/* The whole protected PKIMessage: header (h, the signer), the body TLV,
 * the protection over both, extraCerts.  Appended to out. */
pc_rc pkix_cmp_write(const pkix_cmp_reply *h, const pkix_cmp_signer *s, const uint8_t *body,
    size_t body_len, pc_buf *out, pc_err *e) PC_CHECK;
/* The same with the header's sender, senderKID and senderNonce given:
 * for request writers (tests, the benchmark's simulated devices). */
pc_rc pkix_cmp_write_as(const pkix_cmp_reply *h, const uint8_t *sender_name, size_t sender_len,
    const uint8_t *kid, size_t kid_len, const uint8_t *nonce, size_t nonce_len,
    const pkix_cmp_signer *s, const uint8_t *body, size_t body_len, pc_buf *out,
    pc_err *e) PC_CHECK;

#endif
