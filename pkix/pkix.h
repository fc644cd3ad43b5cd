/*
 * pkix.h - the PKIX layer: everything X.509 above common/ and below every
 * module that touches a certificate (docs/architecture.md).  Only this
 * layer parses certificates, CSRs, CRLs and CMS, verifies signatures in
 * software, validates chains, and holds the OID table.
 *
 *   oid.h     the one table of object identifiers (oids.def)
 *   hash.h    SHA-2 digests
 *   verify.h  public keys, the algorithm table, the one verifier
 *   name.h    names, general names, the attribute rules
 *   cert.h    the certificate reader
 *   csr.h     the PKCS#10 reader (proof of possession)
 *   build.h   writing TBSCertificates and certificates, serials, key ids
 *   nc.h      name constraints
 *   crl.h     the CRL reader and the reason table
 *   chain.h   path validation
 *   crmf.h    CRMF certificate requests (RFC 4211)
 *   cmp.h     CMP messages (RFC 4210, RFC 9483): reader, protection, writer
 */
#ifndef PLANTCA_PKIX_H
#define PLANTCA_PKIX_H

#include "oid.h"
#include "hash.h"
#include "verify.h"
#include "name.h"
#include "cert.h"
#include "csr.h"
#include "build.h"
#include "nc.h"
#include "crl.h"
#include "chain.h"
#include "cms.h"
#include "crmf.h"
#include "cmp.h"

#endif
