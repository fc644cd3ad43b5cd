/*
 * fuzz_pkix.c - the PKIX layer's readers on arbitrary bytes: the input as
 * a certificate, a TBSCertificate and a CRL, and, when it is a
 * certificate, as its own trust anchor and as a target under itself (the
 * path validator, the name-constraint checker and the one verifier).
 * Properties:
 *  - every pointer a reader returns lies inside the input;
 *  - a parsed certificate's SANs and name-constraint subtrees iterate to
 *    their end without failing (the parse validated them), and a DNS
 *    constraint without a leading dot matches itself;
 *  - a parsed CRL's entries walk to exactly nentries, and looking up each
 *    entry's serial finds it;
 *  - a self-signed certificate given as its own anchor validates exactly
 *    when it is one (the anchor is trusted as given).
 */
#include <string.h>

#include "fuzz.h"
#include "der.h"
#include "pkix.h"

static bool inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *q = p;

	return n == 0 || (q >= data && n <= size && q <= data + size - n);
}

static void as_cert(const uint8_t *data, size_t size)
{
	pkix_cert c;
	pkix_gn_view g;
	pc_reader r, st;
	pkix_chain_opts o;
	pkix_chain ch;
	pc_buf t = PC_BUF_INIT;
	pc_rc rc;

	if (pkix_cert_parse(data, size, "fuzz", &c, NULL) != PC_OK) {
		if (pkix_tbs_parse(data, size, "fuzz", &c, NULL) == PC_OK)
			FUZZ_ASSERT(inside(c.subject, c.subject_len, data, size));
		return;
	}
	FUZZ_ASSERT(inside(c.tbs, c.tbs_len, data, size) && inside(c.sig, c.sig_len, data, size));
	FUZZ_ASSERT(inside(c.issuer, c.issuer_len, data, size) &&
	    inside(c.subject, c.subject_len, data, size) && inside(c.spki, c.spki_len, data, size));
	r = c.san;
	while (pc_reader_left(&r) > 0) {
		FUZZ_ASSERT(pkix_gn_next(&r, &g));
		FUZZ_ASSERT(inside(g.val, g.len, data, size));
		pkix_gn_view_text(&g, &t);
	}
	r = c.nc_permit;
	while (pc_reader_left(&r) > 0) {
		FUZZ_ASSERT(pc_der_read(&r, DER_SEQUENCE, &st) && pkix_gn_read(&st, true, &g));
		/* a DNS constraint matches itself, unless it names only what is
		 * below it (".x") */
		FUZZ_ASSERT(g.type != PKIX_GN_DNS || (g.len > 0 && g.val[0] == '.') ||
		    pkix_nc_match(&g, &g));
	}
	pc_buf_free(&t);
	rc = pkix_nc_check(&c, &c, PKIX_NC_CN_AS_DNS, "fuzz", PC_E_POLICY, NULL);
	FUZZ_ASSERT(rc == PC_OK || rc == PC_E_POLICY);
	memset(&o, 0, sizeof o);
	o.anchors = &c;
	o.nanchors = 1;
	o.now = c.not_before;
	FUZZ_ASSERT(pkix_chain_verify(&c, &o, &ch, NULL) == PC_OK ||
	    c.not_after < c.not_before);
	o.anchors = NULL;
	o.nanchors = 0;
	o.pool = &c;
	o.npool = 1;
	rc = pkix_chain_verify(&c, &o, &ch, NULL);
	FUZZ_ASSERT(rc != PC_OK || ch.n >= 1);
}

static void as_crl(const uint8_t *data, size_t size)
{
	pkix_crl c;
	pc_reader walk, ent, serial;
	size_t n = 0;
	unsigned reason;
	time_t when;

	if (pkix_crl_parse(data, size, "fuzz", &c, NULL) != PC_OK)
		return;
	FUZZ_ASSERT(inside(c.tbs, c.tbs_len, data, size) && inside(c.issuer, c.issuer_len, data, size));
	FUZZ_ASSERT(c.number == NULL || inside(c.number, c.number_len, data, size));
	walk = c.entries;
	while (pc_reader_left(&walk) > 0) {
		FUZZ_ASSERT(pc_der_read(&walk, DER_SEQUENCE, &ent) && pc_der_read(&ent, DER_INTEGER,
		    &serial));
		FUZZ_ASSERT(pkix_crl_lookup(&c, serial.p + serial.off, pc_reader_left(&serial), &reason,
		    &when));
		(void)pkix_reason_name(reason);
		n++;
	}
	FUZZ_ASSERT(n == c.nentries);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	as_cert(data, size);
	as_crl(data, size);
	return 0;
}
