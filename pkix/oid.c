#include "oid.h"

#include <string.h>

struct oid_entry {
	const char *name, *dotted;
	const uint8_t *bytes;
	size_t len;
};

#define X(id, name, dotted, ...) static const uint8_t oid_##id[] = { __VA_ARGS__ };
#include "oids.def"
#undef X

static const struct oid_entry table[PKIX_OID_COUNT] = {
	[PKIX_OID_NONE] = { "none", "", NULL, 0 },
#define X(id, name, dotted, ...) [PKIX_OID_##id] = { name, dotted, oid_##id, sizeof oid_##id },
#include "oids.def"
#undef X
};

const uint8_t *pkix_oid_bytes(pkix_oid id, size_t *len)
{
	if ((unsigned)id >= PKIX_OID_COUNT) {
		*len = 0;
		return NULL;
	}
	*len = table[id].len;
	return table[id].bytes;
}

const char *pkix_oid_name(pkix_oid id)
{
	return (unsigned)id < PKIX_OID_COUNT ? table[id].name : "?";
}

const char *pkix_oid_dotted(pkix_oid id)
{
	return (unsigned)id < PKIX_OID_COUNT ? table[id].dotted : "";
}

bool pkix_oid_is(pc_reader c, pkix_oid id)
{
	size_t n = pc_reader_left(&c);

	return id != PKIX_OID_NONE && (unsigned)id < PKIX_OID_COUNT && n == table[id].len &&
	    memcmp(c.p + c.off, table[id].bytes, n) == 0;
}

pkix_oid pkix_oid_lookup(pc_reader c)
{
	unsigned i;

	for (i = 1; i < PKIX_OID_COUNT; i++)
		if (pkix_oid_is(c, (pkix_oid)i))
			return (pkix_oid)i;
	return PKIX_OID_NONE;
}
