/*
 * cmp.c - the PKIMessage reader and the check of its protection; see cmp.h.
 * Every read goes through the bounded DER reader (common/der.h); every
 * refusal says what is wrong and which PKIFailureInfo answers it.
 */
#include <stdio.h>
#include <string.h>

#include "cmp.h"
#include "oid.h"
#include "text.h"

static const char *const fail_names[] = {
	[PKIX_CMP_FI_BAD_ALG] = "badAlg",
	[PKIX_CMP_FI_BAD_MESSAGE_CHECK] = "badMessageCheck",
	[PKIX_CMP_FI_BAD_REQUEST] = "badRequest",
	[PKIX_CMP_FI_BAD_TIME] = "badTime",
	[PKIX_CMP_FI_BAD_CERT_ID] = "badCertId",
	[PKIX_CMP_FI_BAD_DATA_FORMAT] = "badDataFormat",
	[PKIX_CMP_FI_WRONG_AUTHORITY] = "wrongAuthority",
	[PKIX_CMP_FI_INCORRECT_DATA] = "incorrectData",
	[PKIX_CMP_FI_BAD_POP] = "badPOP",
	[PKIX_CMP_FI_CERT_REVOKED] = "certRevoked",
	[PKIX_CMP_FI_CERT_CONFIRMED] = "certConfirmed",
	[PKIX_CMP_FI_WRONG_INTEGRITY] = "wrongIntegrity",
	[PKIX_CMP_FI_BAD_RECIPIENT_NONCE] = "badRecipientNonce",
	[PKIX_CMP_FI_BAD_SENDER_NONCE] = "badSenderNonce",
	[PKIX_CMP_FI_BAD_CERT_TEMPLATE] = "badCertTemplate",
	[PKIX_CMP_FI_SIGNER_NOT_TRUSTED] = "signerNotTrusted",
	[PKIX_CMP_FI_TRANSACTION_ID_IN_USE] = "transactionIdInUse",
	[PKIX_CMP_FI_UNSUPPORTED_VERSION] = "unsupportedVersion",
	[PKIX_CMP_FI_NOT_AUTHORIZED] = "notAuthorized",
	[PKIX_CMP_FI_SYSTEM_UNAVAIL] = "systemUnavail",
	[PKIX_CMP_FI_SYSTEM_FAILURE] = "systemFailure",
	[PKIX_CMP_FI_DUPLICATE_CERT_REQ] = "duplicateCertReq",
};

const char *pkix_cmp_fail_name(pkix_cmp_fail f)
{
	if ((int)f < 0 || (size_t)f >= sizeof fail_names / sizeof fail_names[0] ||
	    fail_names[f] == NULL)
		return "none";
	return fail_names[f];
}

const char *pkix_cmp_body_name(int body, char *buf, size_t n)
{
	static const char *const names[] = {
		"ir", "ip", "cr", "cp", "p10cr", "popdecc", "popdecr", "kur", "kup", "krr", "krp",
		"rr", "rp", "ccr", "ccp", "ckuann", "cann", "rann", "crlann", "pkiconf", "nested",
		"genm", "genp", "error", "certConf", "pollReq", "pollRep",
	};
	if (body >= 0 && (size_t)body < sizeof names / sizeof names[0])
		return names[body];
	snprintf(buf, n, "body[%d]", body);
	return buf;
}

/* A failure: the message and the failure bit together. */
PC_PRINTF(5, 6) static pc_rc refuse(pc_err *e, pc_rc rc, pkix_cmp_fail *fail, pkix_cmp_fail f,
    const char *fmt, ...)
{
	va_list ap;
	char msg[PC_ERR_MSG_MAX];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	*fail = f;
	return pc_fail(e, rc, "%s", msg);
}

/* A small non-negative INTEGER (certReqId, status): -1 on anything else. */
static long small_uint(pc_reader v)
{
	long x = 0;
	size_t n = pc_reader_left(&v), i;

	if (n == 0 || n > 4 || (v.p[v.off] & 0x80) ||
	    (n > 1 && v.p[v.off] == 0 && !(v.p[v.off + 1] & 0x80)))
		return -1;
	for (i = 0; i < n; i++)
		x = (x << 8) | v.p[v.off + i];
	return x;
}

/* A certReqId: a small non-negative INTEGER, or -1, which p10cr uses
 * (RFC 4210 §5.3.4: "certReqId ... MUST be -1" for a PKCS#10 request);
 * -2 on anything else (never -1: that is a value). */
static long req_id(pc_reader v)
{
	long x;

	if (pc_reader_left(&v) == 1 && v.p[v.off] == 0xff)
		return -1;
	x = small_uint(v);
	return x < 0 ? -2 : x;
}

/* [n] EXPLICIT OCTET STRING of 1..PKIX_CMP_ID_MAX bytes. */
static bool id_field(pc_reader c, const uint8_t **p, size_t *n)
{
	pc_reader o;

	if (!pc_der_read(&c, DER_OCTET_STRING, &o) || !pc_reader_done(&c) ||
	    pc_reader_left(&o) == 0 || pc_reader_left(&o) > PKIX_CMP_ID_MAX)
		return false;
	*p = o.p + o.off;
	*n = pc_reader_left(&o);
	return true;
}

/* PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String: the strings
 * joined with "; ", escaped for display, cut to fit. */
static bool free_text(pc_reader seq, char *out, size_t cap)
{
	pc_buf b = PC_BUF_INIT;
	size_t n = 0;

	while (pc_reader_left(&seq) > 0) {
		pc_reader s;
		if (!pc_der_read(&seq, DER_UTF8STRING, &s)) {
			pc_buf_free(&b);
			return false;
		}
		if (n++ > 0)
			pc_buf_str(&b, "; ");
		pc_buf_append(&b, s.p + s.off, pc_reader_left(&s));
	}
	pc_text_quote(out, cap, b.p ? b.p : (const uint8_t *)"", b.len);
	/* pc_text_quote never needs more than the input: an empty text is "" */
	pc_buf_free(&b);
	return true;
}

/* PKIStatusInfo ::= SEQUENCE { status, statusString OPTIONAL, failInfo OPTIONAL } */
static bool status_info(pc_reader si, int *status, char *text, size_t cap, int *fail)
{
	pc_reader x;
	bool present;

	if (!pc_der_read(&si, DER_INTEGER, &x) || (*status = (int)small_uint(x)) < 0 || *status > 6)
		return false;
	if (!pc_der_read_opt(&si, DER_SEQUENCE, &x, &present))
		return false;
	if (present && !free_text(x, text, cap))
		return false;
	if (!pc_der_read_opt(&si, DER_BIT_STRING, &x, &present))
		return false;
	*fail = -1;
	if (present && pc_reader_left(&x) >= 1) {
		size_t i, n = pc_reader_left(&x);
		for (i = 1; i < n && *fail < 0; i++) {
			unsigned b;
			for (b = 0; b < 8; b++)
				if (x.p[x.off + i] & (0x80 >> b)) {
					*fail = (int)((i - 1) * 8 + b);
					break;
				}
		}
	}
	return pc_reader_done(&si);
}

PC_CHECK static pc_rc read_header(pc_reader h, const char *what, pkix_cmp_msg *m,
    pkix_cmp_fail *fail, pc_err *e)
{
	pc_reader x, in, oidr;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;
	long pvno;
	int last = -1;

	if (!pc_der_read(&h, DER_INTEGER, &x) || (pvno = small_uint(x)) < 0)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIHeader: malformed pvno", what);
	if (pvno != 2 && pvno != 3)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_UNSUPPORTED_VERSION,
		    "%s: pvno %ld is not supported (2 or 3, RFC 9480 §2.20)", what, pvno);
	m->pvno = (unsigned)pvno;
	/* sender, recipient: GeneralName */
	if (!pc_der_read_any(&h, &tag, &in, &w, &wl) || (tag & 0xc0) != 0x80)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIHeader: malformed sender", what);
	m->sender_tag = tag;
	m->sender = w;
	m->sender_len = wl;
	if (tag == (DER_CTX_CONS | 4)) {
		if (!pc_der_read_any(&in, &tag, &x, &w, &wl) || tag != DER_SEQUENCE ||
		    !pc_reader_done(&in) || !pkix_name_valid(w, wl))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: PKIHeader: malformed sender name", what);
		m->sender = w;
		m->sender_len = wl;
	}
	if (!pc_der_read_any(&h, &tag, &in, &w, &wl) || (tag & 0xc0) != 0x80)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIHeader: malformed recipient", what);
	m->recipient_tag = tag;
	m->recipient = w;
	m->recipient_len = wl;
	if (tag == (DER_CTX_CONS | 4)) {
		if (!pc_der_read_any(&in, &tag, &x, &w, &wl) || tag != DER_SEQUENCE ||
		    !pc_reader_done(&in) || !pkix_name_valid(w, wl))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: PKIHeader: malformed recipient name", what);
		m->recipient_name = w;
		m->recipient_name_len = wl;
	}
	while (pc_reader_left(&h) > 0) {
		int n;
		if (!pc_der_read_any(&h, &tag, &in, NULL, NULL) || (tag & 0xe0) != DER_CTX_CONS ||
		    (n = tag & 0x1f) > 8 || n <= last)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: PKIHeader: unexpected or misordered field", what);
		last = n;
		switch (n) {
		case 0:                       /* messageTime: read for shape, not judged */
			if (!pc_der_read(&in, DER_GENERALIZEDTIME, &x) || !pc_reader_done(&in))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIHeader: malformed messageTime", what);
			break;
		case 1:
			if (!pc_der_read_any(&in, &tag, &x, &w, &wl) || tag != DER_SEQUENCE ||
			    !pc_reader_done(&in) || !pc_der_read(&x, DER_OID, &oidr))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIHeader: malformed protectionAlg", what);
			m->prot_alg = w;
			m->prot_alg_len = wl;
			m->mac_protected = pkix_oid_is(oidr, PKIX_OID_PASSWORD_BASED_MAC) ||
			    pkix_oid_is(oidr, PKIX_OID_PBMAC1);
			{
				pc_err ignore;
				if (pkix_sigalg_read(w, wl, what, &m->sigalg, &ignore) != PC_OK)
					m->sigalg = NULL;
			}
			break;
		case 2:
			if (!id_field(in, &m->sender_kid, &m->sender_kid_len))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIHeader: malformed senderKID", what);
			break;
		case 3:                       /* recipKID: only for MAC protection (not ours) */
			break;
		case 4:
			if (!id_field(in, &m->txid, &m->txid_len))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIHeader: malformed transactionID", what);
			break;
		case 5:
			if (!id_field(in, &m->sender_nonce, &m->sender_nonce_len))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_SENDER_NONCE,
				    "%s: PKIHeader: malformed senderNonce", what);
			break;
		case 6:
			if (!id_field(in, &m->recip_nonce, &m->recip_nonce_len))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_RECIPIENT_NONCE,
				    "%s: PKIHeader: malformed recipNonce", what);
			break;
		case 7:
			if (!pc_der_read(&in, DER_SEQUENCE, &x) || !pc_reader_done(&in) ||
			    !free_text(x, m->text, sizeof m->text))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIHeader: malformed freeText", what);
			break;
		case 8: {                     /* generalInfo: implicitConfirm, others ignored */
			pc_reader seq;
			if (!pc_der_read(&in, DER_SEQUENCE, &seq) || !pc_reader_done(&in))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIHeader: malformed generalInfo", what);
			while (pc_reader_left(&seq) > 0) {
				pc_reader itav, oid;
				if (!pc_der_read(&seq, DER_SEQUENCE, &itav) ||
				    !pc_der_read(&itav, DER_OID, &oid))
					return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
					    "%s: PKIHeader: malformed generalInfo", what);
				if (pkix_oid_is(oid, PKIX_OID_IT_IMPLICIT_CONFIRM))
					m->implicit_confirm = true;
			}
			break;
		}
		}
	}
	return PC_OK;
}

/* One certConf CertStatus, pollReq entry, or rr RevDetails. */
PC_CHECK static pc_rc read_body(pc_reader c, const char *what, pkix_cmp_msg *m,
    pkix_cmp_fail *fail, pc_err *e)
{
	pc_reader seq, one, x;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;
	bool present;
	char nb[16];
	pc_rc rc;

	switch (m->body) {
	case PKIX_CMP_IR: case PKIX_CMP_CR: case PKIX_CMP_KUR:
		if (!pc_der_read(&c, DER_SEQUENCE, &seq) || !pc_reader_done(&c))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed CertReqMessages", what);
		if ((rc = pkix_crmf_read(seq, what, &m->req, e)) != PC_OK) {
			*fail = rc == PC_E_INPUT ? PKIX_CMP_FI_BAD_DATA_FORMAT : PKIX_CMP_FI_BAD_CERT_TEMPLATE;
			if (strstr(e->msg, "proof of possession") || strstr(e->msg, "POPOSigningKey"))
				*fail = PKIX_CMP_FI_BAD_POP;
			return rc;
		}
		return PC_OK;
	case PKIX_CMP_P10CR:
		if (!pc_der_read_any(&c, &tag, &x, &w, &wl) || tag != DER_SEQUENCE || !pc_reader_done(&c))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed p10cr", what);
		m->p10 = w;
		m->p10_len = wl;
		return PC_OK;
	case PKIX_CMP_CERTCONF:
		/* CertConfirmContent ::= SEQUENCE OF CertStatus; CertStatus ::=
		 * SEQUENCE { certHash OCTET STRING, certReqId INTEGER,
		 * statusInfo PKIStatusInfo OPTIONAL, hashAlg [0] OPTIONAL } */
		if (!pc_der_read(&c, DER_SEQUENCE, &seq) || !pc_reader_done(&c) ||
		    !pc_der_read(&seq, DER_SEQUENCE, &one) || pc_reader_left(&seq) != 0 ||
		    !pc_der_read(&one, DER_OCTET_STRING, &x) || pc_reader_left(&x) == 0 ||
		    pc_reader_left(&x) > PKIX_CMP_ID_MAX)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed certConf (one CertStatus expected)", what);
		m->cert_hash = x.p + x.off;
		m->cert_hash_len = pc_reader_left(&x);
		if (!pc_der_read(&one, DER_INTEGER, &x) || (m->conf_req_id = req_id(x)) < -1)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: certConf: malformed certReqId", what);
		if (!pc_der_read_opt(&one, DER_SEQUENCE, &x, &present) ||
		    (present && !status_info(x, &m->err_status, m->text, sizeof m->text, &m->err_fail)))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: certConf: malformed statusInfo", what);
		m->conf_rejected = present && m->err_status != PKIX_CMP_ACCEPTED &&
		    m->err_status != PKIX_CMP_GRANTED_WITH_MODS;
		if (!pc_der_read_opt(&one, DER_CTX_CONS | 0, &x, &m->conf_hash_alg) || !pc_reader_done(&one))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: certConf: malformed CertStatus", what);
		return PC_OK;
	case PKIX_CMP_POLLREQ:
		if (!pc_der_read(&c, DER_SEQUENCE, &seq) || !pc_reader_done(&c) ||
		    !pc_der_read(&seq, DER_SEQUENCE, &one) || pc_reader_left(&seq) != 0 ||
		    !pc_der_read(&one, DER_INTEGER, &x) || !pc_reader_done(&one) ||
		    (m->poll_req_id = req_id(x)) < -1)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed pollReq (one certReqId expected)", what);
		return PC_OK;
	case PKIX_CMP_RR:
		m->rev_reason = -1;
		if (!pc_der_read(&c, DER_SEQUENCE, &seq) || !pc_reader_done(&c) ||
		    !pc_der_read(&seq, DER_SEQUENCE, &one) || pc_reader_left(&seq) != 0 ||
		    !pc_der_read(&one, DER_SEQUENCE, &x))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed rr (one RevDetails expected)", what);
		if ((rc = pkix_crmf_template_read(x, what, &m->rev, e)) != PC_OK) {
			*fail = PKIX_CMP_FI_BAD_DATA_FORMAT;
			return rc;
		}
		if (m->rev.serial == NULL || m->rev.issuer == NULL)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_CERT_TEMPLATE,
			    "%s: rr: certDetails must name issuer and serialNumber (RFC 9483 §4.2)", what);
		if (!pc_der_read_opt(&one, DER_SEQUENCE, &x, &present) || !pc_reader_done(&one))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: rr: malformed crlEntryDetails", what);
		while (present && pc_reader_left(&x) > 0) {
			pc_reader ext, oid, val, en;
			if (!pc_der_read(&x, DER_SEQUENCE, &ext) || !pc_der_read(&ext, DER_OID, &oid) ||
			    !pc_der_read(&ext, DER_OCTET_STRING, &val) || !pc_reader_done(&ext))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: rr: malformed crlEntryDetails", what);
			if (!pkix_oid_is(oid, PKIX_OID_EXT_CRL_REASON))
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_REQUEST,
				    "%s: rr: only the reasonCode entry extension is supported", what);
			if (!pc_der_read(&val, DER_ENUMERATED, &en) || !pc_reader_done(&val) ||
			    (m->rev_reason = (int)small_uint(en)) < 0 || m->rev_reason > 10)
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: rr: malformed reasonCode", what);
		}
		return PC_OK;
	case PKIX_CMP_ERROR:
		if (!pc_der_read(&c, DER_SEQUENCE, &seq) || !pc_reader_done(&c) ||
		    !pc_der_read(&seq, DER_SEQUENCE, &x) ||
		    !status_info(x, &m->err_status, m->text, sizeof m->text, &m->err_fail))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed error message", what);
		return PC_OK;
	case PKIX_CMP_PKICONF:
		if (!pc_der_read(&c, DER_NULL, &x) || pc_reader_left(&x) != 0 || !pc_reader_done(&c))
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: malformed pkiConf", what);
		return PC_OK;
	case PKIX_CMP_GENM:
		return PC_OK;         /* answered with an error: its content is not read */
	default:
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_REQUEST,
		    "%s: %s messages are not supported", what, pkix_cmp_body_name(m->body, nb, sizeof nb));
	}
}

pc_rc pkix_cmp_parse(const uint8_t *der, size_t len, const char *what, pkix_cmp_msg *m,
    pkix_cmp_fail *fail, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), msg, h, b, x;
	const uint8_t *w;
	size_t wl;
	uint8_t tag;
	bool present;

	memset(m, 0, sizeof *m);
	*fail = PKIX_CMP_FI_NONE;
	m->body = -1;
	m->rev_reason = -1;
	m->err_fail = -1;
	if (len > PKIX_CMP_MSG_MAX)
		return refuse(e, PC_E_LIMIT, fail, PKIX_CMP_FI_BAD_REQUEST,
		    "%s: %zu bytes, more than a PKIMessage may have (%d)", what, len, PKIX_CMP_MSG_MAX);
	if (!pc_der_read(&r, DER_SEQUENCE, &msg) || !pc_reader_done(&r))
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: not a DER PKIMessage", what);
	m->der = der;
	m->len = len;
	if (!pc_der_read_any(&msg, &tag, &h, &w, &wl) || tag != DER_SEQUENCE)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIMessage: malformed header", what);
	m->header = w;
	m->header_len = wl;
	PC_TRY(read_header(h, what, m, fail, e));
	if (!pc_der_read_any(&msg, &tag, &b, &w, &wl) || (tag & 0xe0) != DER_CTX_CONS ||
	    (tag & 0x1f) > PKIX_CMP_POLLREP)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIMessage: malformed body", what);
	m->body_tlv = w;
	m->body_tlv_len = wl;
	m->body = tag & 0x1f;
	/* an error may answer a request that could not be read, so it may
	 * lack both; every other message carries them (RFC 9483 §3.1) */
	if (m->txid == NULL && m->body != PKIX_CMP_ERROR)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_REQUEST,
		    "%s: PKIHeader has no transactionID (RFC 9483 §3.1)", what);
	if (m->sender_nonce == NULL && m->body != PKIX_CMP_ERROR)
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_SENDER_NONCE,
		    "%s: PKIHeader has no senderNonce (RFC 9483 §3.1)", what);
	if (!pc_der_read_opt(&msg, DER_CTX_CONS | 0, &x, &present))
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIMessage: malformed protection", what);
	if (present) {
		pc_reader bits;
		if (!pc_der_read(&x, DER_BIT_STRING, &bits) || !pc_reader_done(&x) ||
		    pc_reader_left(&bits) < 2 || bits.p[bits.off] != 0)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: PKIMessage: malformed protection", what);
		m->protection = bits.p + bits.off + 1;
		m->protection_len = pc_reader_left(&bits) - 1;
	}
	if (!pc_der_read_opt(&msg, DER_CTX_CONS | 1, &x, &present))
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIMessage: malformed extraCerts", what);
	if (present) {
		pc_reader certs;
		if (!pc_der_read(&x, DER_SEQUENCE, &certs) || !pc_reader_done(&x) ||
		    pc_reader_left(&certs) == 0)
			return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
			    "%s: PKIMessage: malformed extraCerts", what);
		while (pc_reader_left(&certs) > 0) {
			pc_reader one;
			if (!pc_der_read_any(&certs, &tag, &one, &w, &wl) || tag != DER_SEQUENCE)
				return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
				    "%s: PKIMessage: malformed extraCerts", what);
			if (m->nextra == PKIX_CMP_EXTRA_MAX)
				return refuse(e, PC_E_LIMIT, fail, PKIX_CMP_FI_BAD_REQUEST,
				    "%s: more than %d extraCerts", what, PKIX_CMP_EXTRA_MAX);
			m->extra[m->nextra] = w;
			m->extra_len[m->nextra++] = wl;
		}
	}
	if (!pc_reader_done(&msg))
		return refuse(e, PC_E_INPUT, fail, PKIX_CMP_FI_BAD_DATA_FORMAT,
		    "%s: PKIMessage: trailing bytes", what);
	return read_body(b, what, m, fail, e);
}

pc_rc pkix_cmp_verify(const pkix_cmp_msg *m, const char *what, pkix_cert *signer,
    pkix_cmp_fail *fail, pc_err *e)
{
	pkix_pubkey k;
	pc_der pp;
	pc_rc rc;

	*fail = PKIX_CMP_FI_NONE;
	if (m->protection == NULL || m->prot_alg == NULL)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_MESSAGE_CHECK,
		    "%s: the message is not protected (signature-based protection with the "
		    "device certificate is required, RFC 9483 §3.2)", what);
	if (m->mac_protected)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_WRONG_INTEGRITY,
		    "%s: MAC-based protection is not accepted (sign the request with the device "
		    "certificate, RFC 9483 §3.2)", what);
	if (m->sigalg == NULL)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_ALG,
		    "%s: protection algorithm is not one plantca accepts", what);
	if (m->sender_tag != (DER_CTX_CONS | 4))
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_MESSAGE_CHECK,
		    "%s: sender is not a directoryName (RFC 9483 §3.1)", what);
	if (m->nextra == 0)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_SIGNER_NOT_TRUSTED,
		    "%s: no protection certificate in extraCerts (RFC 9483 §3.3)", what);
	if (pkix_cert_parse(m->extra[0], m->extra_len[0], what, signer, e) != PC_OK)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_MESSAGE_CHECK,
		    "%s: protection certificate does not parse: %s", what, e->msg);
	if (signer->subject_len != m->sender_len ||
	    memcmp(signer->subject, m->sender, m->sender_len) != 0)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_MESSAGE_CHECK,
		    "%s: sender is not the subject of the protection certificate", what);
	if (m->sender_kid != NULL && signer->ski != NULL &&
	    (signer->ski_len != m->sender_kid_len ||
	    memcmp(signer->ski, m->sender_kid, m->sender_kid_len) != 0))
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_MESSAGE_CHECK,
		    "%s: senderKID is not the protection certificate's key identifier", what);
	if ((signer->flags & PKIX_CERT_F_KU) && !(signer->ku & PKIX_KU_DIGITAL_SIGNATURE))
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_NOT_AUTHORIZED,
		    "%s: protection certificate's keyUsage lacks digitalSignature", what);
	if (pkix_pubkey_parse(signer->spki, signer->spki_len, what, PC_E_INPUT, &k, e) != PC_OK)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_ALG,
		    "%s: protection certificate's key: %s", what, e->msg);
	if (!pkix_sigalg_fits(m->sigalg, k.type))
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_ALG,
		    "%s: protection algorithm %s does not fit the certificate's key", what,
		    m->sigalg->name);
	/* ProtectedPart ::= SEQUENCE { header, body } (RFC 4210 §5.1.3) */
	pc_der_init(&pp);
	pc_der_begin(&pp, DER_SEQUENCE);
	pc_der_raw(&pp, m->header, m->header_len);
	pc_der_raw(&pp, m->body_tlv, m->body_tlv_len);
	pc_der_end(&pp);
	if (!pc_der_ok(&pp)) {
		pc_der_free(&pp);
		return refuse(e, PC_E_NOMEM, fail, PKIX_CMP_FI_SYSTEM_FAILURE, "out of memory");
	}
	rc = pkix_verify(&k, m->sigalg, pp.b.p, pp.b.len, m->protection, m->protection_len, what, e);
	pc_der_free(&pp);
	if (rc != PC_OK)
		return refuse(e, PC_E_SIGNATURE, fail, PKIX_CMP_FI_BAD_MESSAGE_CHECK,
		    "%s: message protection does not verify", what);
	return PC_OK;
}
