/*
 * test_oid - every entry of pkix/oids.def: its bytes are the DER content
 * of its dotted text, names and dotted forms are unique, lookup finds it.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "der.h"
#include "oid.h"

int main(void)
{
	unsigned i, j;

	for (i = 1; i < PKIX_OID_COUNT; i++) {
		pc_buf b = PC_BUF_INIT;
		size_t n;
		const uint8_t *p = pkix_oid_bytes((pkix_oid)i, &n);
		CHECK(pc_oid_from_text(&b, pkix_oid_dotted((pkix_oid)i)));
		CHECK_BYTES(p, n, b.p, b.len);
		CHECK(pkix_oid_lookup(pc_reader_make(p, n)) == (pkix_oid)i);
		for (j = 1; j < i; j++) {
			CHECK(strcmp(pkix_oid_name((pkix_oid)i), pkix_oid_name((pkix_oid)j)) != 0);
			CHECK(strcmp(pkix_oid_dotted((pkix_oid)i), pkix_oid_dotted((pkix_oid)j)) != 0);
		}
		pc_buf_free(&b);
	}
	printf("ok - %u OIDs: bytes match their dotted text, unique, found by lookup\n",
	    PKIX_OID_COUNT - 1);
	return 0;
}
