/*
 * cmp_dump.c - a CMP message as one line per fact, for the shell tests
 * (t_cmp.sh reads the station's error replies with it):
 *
 *   cmp_dump FILE    ->  "body error", "txid HEX", "failInfo NAME", "text TEXT", ...
 *
 * Exit 0 when FILE parses as a PKIMessage (pkix_cmp_parse), 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include "check.h"
#include "file.h"
#include "pkix.h"

int main(int argc, char **argv)
{
	uint8_t *p;
	size_t n;
	pc_err e;
	pkix_cmp_msg m;
	pkix_cmp_fail f;
	char nb[16];

	if (argc != 2)
		t_die("usage: cmp_dump FILE");
	if (pc_file_read(argv[1], PKIX_CMP_MSG_MAX, &p, &n, &e) != PC_OK)
		t_die("%s", e.msg);
	if (pkix_cmp_parse(p, n, argv[1], &m, &f, &e) != PC_OK) {
		printf("unparsable %s\n", e.msg);
		free(p);
		return 1;
	}
	printf("body %s\npvno %u\ntxid ", pkix_cmp_body_name(m.body, nb, sizeof nb), m.pvno);
	for (size_t i = 0; i < m.txid_len; i++)
		printf("%02x", m.txid[i]);
	putchar('\n');
	if (m.body == PKIX_CMP_ERROR)
		printf("status %d\nfailInfo %s\n", m.err_status,
		    pkix_cmp_fail_name((pkix_cmp_fail)m.err_fail));
	printf("text %s\nprotected %s\nextraCerts %zu\n", m.text, m.protection ? "yes" : "no",
	    m.nextra);
	free(p);
	return 0;
}
