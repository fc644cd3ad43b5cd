/*
 * p7b.c - trust.p7b, the certs-only PKCS#7 of a response bundle
 * (transfer.h "trust.p7b").
 *
 * RFC 5652 §5.1 calls a SignedData without signers "degenerate" and uses it
 * to carry certificates: digestAlgorithms and signerInfos empty,
 * encapContentInfo id-data without eContent.  That is all a trust list
 * needs, so it is all that is accepted: an attacker (or a confused export)
 * cannot smuggle signer infos, CRLs or attribute certificates into the
 * file a plant's OPC UA and TLS stacks import as "the CAs to trust".  The
 * station then checks every certificate found here like those of
 * trust.pem.
 *
 * The reader is bounded (common/der.h: definite minimal lengths, every
 * read inside its parent), and every SET and SEQUENCE must be consumed
 * exactly.  SignedData.version is 1 because RFC 5652 §5.1 says so for
 * id-data content without attribute or "other" certificates.
 */
#include <string.h>

#include "der.h"
#include "pem.h"
#include "transfer.h"

/* 1.2.840.113549.1.7.2 and 1.2.840.113549.1.7.1 (RFC 5652 §5.1, §4) */
static const uint8_t oid_signed_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02 };
static const uint8_t oid_data[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01 };

static pc_rc bad(pc_err *e, const char *what, const char *why)
{
	return pc_fail(e, PC_E_INPUT, "%s: not a certs-only PKCS#7 (RFC 5652 §5.1): %s", what, why);
}

static bool oid_is(pc_reader oid, const uint8_t *want, size_t len)
{
	return pc_reader_left(&oid) == len && memcmp(oid.p + oid.off, want, len) == 0;
}

static pc_rc parse(const uint8_t *der, size_t len, const char *what, tr_p7b *out, pc_err *e)
{
	pc_reader r = pc_reader_make(der, len), ci, oid, exp, sd, x, certs, cert;
	const uint8_t *w;
	size_t wl, i;
	uint8_t tag;

	if (len == 0)
		return bad(e, what, "empty");
	/* only a diagnosis: DER always starts with the SEQUENCE tag, while a
	 * certificate inside may well contain the text "-----BEGIN " */
	if (pc_reader_peek(&r) != DER_SEQUENCE && pc_pem_looks_like(der, len))
		return bad(e, what, "PEM text; a .p7b is DER");
	/* ContentInfo ::= SEQUENCE { contentType, [0] EXPLICIT content } (§3) */
	if (pc_reader_peek(&r) != DER_SEQUENCE || !pc_der_read(&r, DER_SEQUENCE, &ci))
		return bad(e, what, "ContentInfo is not a DER SEQUENCE");
	if (!pc_reader_done(&r))
		return bad(e, what, "bytes after the ContentInfo");
	if (!pc_der_read(&ci, DER_OID, &oid) || !oid_is(oid, oid_signed_data, sizeof oid_signed_data))
		return bad(e, what, "contentType is not id-signedData");
	if (pc_reader_peek(&ci) != (DER_CTX_CONS | 0) || !pc_der_read(&ci, DER_CTX_CONS | 0, &exp))
		return bad(e, what, "content is not [0] EXPLICIT");
	if (!pc_reader_done(&ci))
		return bad(e, what, "ContentInfo has fields after the content");
	if (pc_reader_peek(&exp) != DER_SEQUENCE || !pc_der_read(&exp, DER_SEQUENCE, &sd) ||
	    !pc_reader_done(&exp))
		return bad(e, what, "content is not one SignedData SEQUENCE");
	/* SignedData ::= SEQUENCE { version, digestAlgorithms, encapContentInfo,
	 *   certificates [0] IMPLICIT OPTIONAL, crls [1] IMPLICIT OPTIONAL,
	 *   signerInfos } (§5.1) */
	if (!pc_der_read(&sd, DER_INTEGER, &x) || pc_reader_left(&x) != 1 || x.p[x.off] != 1)
		return bad(e, what, "version is not 1");
	if (pc_reader_peek(&sd) != DER_SET || !pc_der_read(&sd, DER_SET, &x) ||
	    pc_reader_left(&x) != 0)
		return bad(e, what, "digestAlgorithms is not an empty SET (a certs-only PKCS#7 has no signers)");
	if (pc_reader_peek(&sd) != DER_SEQUENCE || !pc_der_read(&sd, DER_SEQUENCE, &x) ||
	    !pc_der_read(&x, DER_OID, &oid) || !oid_is(oid, oid_data, sizeof oid_data) ||
	    !pc_reader_done(&x))
		return bad(e, what, "encapContentInfo is not id-data without content");
	if (pc_reader_peek(&sd) != (DER_CTX_CONS | 0) || !pc_der_read(&sd, DER_CTX_CONS | 0, &certs))
		return bad(e, what, "no certificates [0]");
	while (pc_reader_left(&certs) > 0) {
		/* CertificateChoices: only the plain Certificate (a SEQUENCE);
		 * extendedCertificate [0], attribute certificates [1] [2] and
		 * other [3] have no place in a trust list */
		if (pc_reader_peek(&certs) != DER_SEQUENCE)
			return bad(e, what, "a certificates entry is not a Certificate SEQUENCE");
		if (!pc_der_read_any(&certs, &tag, &cert, &w, &wl))
			return bad(e, what, "a certificate is not DER (bad length)");
		if (out->ncerts == TR_P7B_CERTS_MAX)
			return pc_fail(e, PC_E_LIMIT, "%s: more than %d certificates", what,
			    TR_P7B_CERTS_MAX);
		/* CertificateSet is a SET OF: a certificate twice is an encoding
		 * error, and would make two files differ while holding "the same" */
		for (i = 0; i < out->ncerts; i++)
			if (out->cert_len[i] == wl && memcmp(out->cert[i], w, wl) == 0)
				return bad(e, what, "a certificate appears twice");
		out->cert[out->ncerts] = w;
		out->cert_len[out->ncerts] = wl;
		out->ncerts++;
	}
	if (out->ncerts == 0)
		return bad(e, what, "no certificates");
	if (pc_reader_peek(&sd) == (DER_CTX_CONS | 1))
		return bad(e, what, "it carries CRLs [1] (CRLs travel as NAME.crl)");
	if (pc_reader_peek(&sd) != DER_SET || !pc_der_read(&sd, DER_SET, &x) ||
	    pc_reader_left(&x) != 0)
		return bad(e, what, "signerInfos is not an empty SET");
	if (!pc_reader_done(&sd))
		return bad(e, what, "SignedData has fields after signerInfos");
	return PC_OK;
}

pc_rc tr_p7b_parse(const uint8_t *der, size_t len, const char *what, tr_p7b *out, pc_err *e)
{
	pc_rc rc;

	memset(out, 0, sizeof *out);
	if ((rc = parse(der, len, what, out, e)) != PC_OK)
		memset(out, 0, sizeof *out);   /* a refusal hands back nothing */
	return rc;
}

pc_rc tr_p7b_build(const uint8_t *const *certs, const size_t *lens, size_t n, pc_buf *out,
    pc_err *e)
{
	pc_der d;
	size_t i;
	bool ok;

	pc_der_init(&d);
	pc_der_begin(&d, DER_SEQUENCE);                 /* ContentInfo */
	pc_der_oid(&d, oid_signed_data, sizeof oid_signed_data);
	pc_der_begin(&d, DER_CTX_CONS | 0);
	pc_der_begin(&d, DER_SEQUENCE);                 /* SignedData */
	pc_der_u64(&d, 1);
	pc_der_begin(&d, DER_SET);                      /* digestAlgorithms: none */
	pc_der_end(&d);
	pc_der_begin(&d, DER_SEQUENCE);                 /* encapContentInfo */
	pc_der_oid(&d, oid_data, sizeof oid_data);
	pc_der_end(&d);
	pc_der_begin(&d, DER_CTX_CONS | 0);             /* certificates */
	for (i = 0; i < n; i++)
		pc_der_raw(&d, certs[i], lens[i]);
	pc_der_end(&d);
	pc_der_begin(&d, DER_SET);                      /* signerInfos: none */
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	pc_der_end(&d);
	ok = pc_der_ok(&d);
	if (ok)
		pc_buf_append(out, d.b.p, d.b.len);
	pc_der_free(&d);
	if (!ok || !pc_buf_ok(out))
		return pc_fail(e, PC_E_NOMEM, "trust.p7b: out of memory");
	return PC_OK;
}
