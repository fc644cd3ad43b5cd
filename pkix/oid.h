/*
 * oid.h - the one table of object identifiers (pkix/oids.def).
 *
 * Code names an OID by its PKIX_OID_* id and never spells its bytes:
 * pkix_oid_is() compares a DER OID's content with an entry,
 * pkix_oid_bytes() gives the content for writing (common/der.h
 * pc_der_oid), pkix_oid_name() the name for messages.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_PKIX_OID_H
#define PLANTCA_PKIX_OID_H

#include "buf.h"

typedef enum pkix_oid {
	PKIX_OID_NONE = 0,
#define X(id, name, dotted, ...) PKIX_OID_##id,
#include "oids.def"
#undef X
	PKIX_OID_COUNT
} pkix_oid;

/* Content bytes of `id` (static), their length in *len. */
const uint8_t *pkix_oid_bytes(pkix_oid id, size_t *len);
const char *pkix_oid_name(pkix_oid id);
const char *pkix_oid_dotted(pkix_oid id);
/* Does the OID whose content is in `c` (a reader over the content, as
 * pc_der_read(..., DER_OID, &c) leaves it) equal `id`? */
bool pkix_oid_is(pc_reader c, pkix_oid id);
/* Which table entry is `c`?  PKIX_OID_NONE if none. */
pkix_oid pkix_oid_lookup(pc_reader c);

#endif
