/*
 * name.h - X.501 names and general names: reading, writing, showing, and
 * the one set of rules every attribute value obeys.
 *
 * Names the officer types (plantca init/ca new --subject), names in CSRs
 * and the subject of every TBS before the HSM signs it all pass
 * pkix_attr_check.  Certificates of others (a scanned device, a trust
 * anchor) are only required to be well formed (pkix_name_valid): the
 * rules are for what plantca issues.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_NAME_H
#define PLANTCA_PKIX_NAME_H

#include "buf.h"
#include "der.h"
#include "oid.h"

enum {
	PKIX_NAME_MAX = 4096,            /* largest encoded Name we accept */
	PKIX_RDN_MAX = 32,               /* RDNs in one Name */
	PKIX_SAN_MAX = 64,               /* most SAN entries in one request */
	PKIX_PERMIT_MAX = 32,            /* most name-constraint subtrees we write */
	PKIX_OID_TEXT_MAX = 128,         /* dotted OID text in messages */
	PKIX_GN_VALUE_MAX = 256,         /* one general name's value, as we keep it */
};

/* GeneralName CHOICE numbers (RFC 5280 §4.2.1.6). */
typedef enum pkix_gn_type {
	PKIX_GN_OTHER = 0,               /* otherName: type-id + value */
	PKIX_GN_EMAIL = 1,               /* rfc822Name */
	PKIX_GN_DNS = 2,                 /* dNSName */
	PKIX_GN_X400 = 3,
	PKIX_GN_DIR = 4,                 /* directoryName: a Name */
	PKIX_GN_EDI = 5,
	PKIX_GN_URI = 6,                 /* uniformResourceIdentifier */
	PKIX_GN_IP = 7,                  /* iPAddress */
	PKIX_GN_RID = 8,
} pkix_gn_type;

/* A general name we keep and write (a SAN of a request, a constraint of
 * a new CA): email, DNS, URI or IP, the value copied. */
typedef struct pkix_gn {
	pkix_gn_type type;
	uint8_t val[PKIX_GN_VALUE_MAX];  /* text (NUL-terminated) or IP bytes (+ mask) */
	size_t len;
} pkix_gn;

/* Distinguished names: "/C=DE/O=Acme/CN=Root" (OpenSSL order) or RFC 4514
 * "CN=Root,O=Acme,C=DE".  Attributes: C ST L O OU CN serialNumber DC UID
 * emailAddress.  Appends the DER Name to out. */
pc_rc pkix_name_from_text(pc_buf *out, const char *text, pc_err *e) PC_CHECK;
/* RFC 4514 text of a DER Name (most specific first), safe to show: the
 * special characters are backslashed (§2.4) and the rest goes through the
 * display escaper (text.h), so control, C1, bidi and invisible characters
 * and bytes that are not UTF-8 appear as \xHH / \uXXXX escapes. */
pc_rc pkix_name_to_text(const uint8_t *der, size_t len, pc_buf *out) PC_CHECK;

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
pc_rc pkix_attr_check(const char *oid, uint8_t tag, const uint8_t *v, size_t n,
    const char *what, pc_rc code, pc_err *e) PC_CHECK;

/* A DER Name: at most PKIX_NAME_MAX bytes, SEQUENCE OF non-empty SET OF
 * AttributeTypeAndValue, at most 32 RDNs, every value passing
 * pkix_attr_check.  Errors as there. */
pc_rc pkix_name_check(const uint8_t *der, size_t len, const char *what, pc_rc code,
    pc_err *e) PC_CHECK;

/* General names from text "dns:x", "ip:10.0.0.1", "ip:10.3.0.0/16" (only
 * with allow_cidr), "uri:urn:...", "email:a@b". */
/* The string type plantca writes for attribute `dotted` (RFC 5280
 * Appendix A, RFC 4519): PrintableString for C and serialNumber, IA5String
 * for DC and emailAddress, UTF8String otherwise. */
uint8_t pkix_attr_tag(const char *dotted);
pc_rc pkix_gn_from_text(const char *text, bool allow_cidr, pkix_gn *out,
    pc_err *e) PC_CHECK;
void pkix_gn_to_text(const pkix_gn *g, pc_buf *out);
/* One GeneralName of a request's subjectAltName (tag and content as read):
 * email, DNS, URI (non-empty printable ASCII, DNS names valid) or a 4/16
 * byte address, copied into g.  PC_E_CSR with the reason naming `what`. */
pc_rc pkix_gn_from_der(uint8_t tag, pc_reader v, pkix_gn *g, const char *what, pc_err *e) PC_CHECK;

/* Is `der` a well-formed Name (SEQUENCE OF non-empty SET OF
 * AttributeTypeAndValue with string values, at most PKIX_NAME_MAX bytes)?
 * The structure only: for names plantca did not write. */
bool pkix_name_valid(const uint8_t *der, size_t len);
/* The first value of attribute `attr` (e.g. PKIX_OID_AT_CN) in a
 * well-formed Name: *v points into der.  False if absent. */
bool pkix_name_find(const uint8_t *der, size_t len, pkix_oid attr, const uint8_t **v,
    size_t *n);

#endif
