/*
 * nc.h - name constraints (RFC 5280 §4.2.1.10), one implementation: the
 * chain validator applies them to every certificate below a constrained
 * CA, and the CA's pre-issuance check to a TBS before the HSM signs it.
 *
 * Matching, per GeneralName type:
 *   dNSName     the name equals the constraint or ends in "." + constraint;
 *               a constraint with a leading "." matches names below it only
 *   rfc822Name  a mailbox constraint matches that mailbox; a host matches
 *               mailboxes at that host; ".domain" mailboxes below it
 *   URI         the host of a URI with an authority, as dNSName does; a URI
 *               without a host (a URN) cannot satisfy a URI constraint
 *   iPAddress   address AND mask equals constraint AND mask, same family
 *   directoryName  the subject's RDNs begin with the constraint's RDNs
 *               (compared as DER)
 * Case-insensitive for ASCII host names.  A constraint of another type
 * (otherName, x400Address, ...) refuses a certificate that carries a name
 * of that type: we cannot tell whether it is permitted.
 *
 * The subject's emailAddress attributes are checked as rfc822Names
 * (§4.2.1.10: "legacy implementations"), and with PKIX_NC_CN_AS_DNS a
 * certificate without a dNSName SAN has its subject CN checked as a
 * dNSName (what GnuTLS and browsers do for server certificates).
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_NC_H
#define PLANTCA_PKIX_NC_H

#include "cert.h"

enum { PKIX_NC_CN_AS_DNS = 1 };

/* Does `name` satisfy constraint `c` (the same type)? */
bool pkix_nc_match(const pkix_gn_view *name, const pkix_gn_view *c);

/* Every name of `subj` against the constraints of CA `ca` (which may have
 * none: PC_OK).  On a violation `code` with "WHAT: under the name
 * constraints of CA LABEL: SAN dns:x is outside the issuer's permitted name
 * constraints" (names display-escaped; without "WHAT: under ...: " when
 * `what` is NULL); all violations are listed, separated by "; ". */
pc_rc pkix_nc_check(const pkix_cert *ca, const pkix_cert *subj, unsigned flags,
    const char *what, pc_rc code, pc_err *e) PC_CHECK;

/* A general name as "dns:x", "ip:10.0.0.1", "uri:...", "email:...",
 * "dir:CN=...", display-safe, appended to out. */
void pkix_gn_view_text(const pkix_gn_view *g, pc_buf *out);

#endif
