/*
 * fuzz_station_crl.c - plantca-station's CRL reader as accept uses it on a
 * NAME.crl member (st_crl_parse: one PEM block or DER), then the check of
 * that CRL against a fixed station root (fuzz_station.h) with
 * st_pki_verify: issuer, nextUpdate and signature; what verifies is
 * planned in both layouts.
 *
 * Properties:
 *  - a refusal is PC_E_BUNDLE, PC_E_INPUT or PC_E_LIMIT (PC_E_NOMEM) whose
 *    message starts with the name given, and leaves no DER behind;
 *  - a parsed CRL's issuer lies inside its own DER and is a whole TLV;
 *  - the check gives PC_OK or a refusal of its own set naming the bundle,
 *    and the CRL files a verified response would write stay inside PKI_DIR.
 */
#include <stdlib.h>
#include <string.h>

#include "der.h"
#include "fuzz_station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	st_crl crl;
	st_pki pki;
	pc_reader r;
	pc_err e;
	pc_rc rc;
	uint8_t tag;
	pc_reader x;

	memset(&crl, 0, sizeof crl);
	memset(&e, 0, sizeof e);
	rc = st_crl_parse(data, size, "member root.crl", &crl, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(rc == PC_E_BUNDLE || rc == PC_E_INPUT || rc == PC_E_LIMIT ||
		    rc == PC_E_NOMEM);
		FUZZ_ASSERT(crl.der == NULL && crl.issuer == NULL);
		FUZZ_ASSERT(rc == PC_E_NOMEM || strncmp(e.msg, "member root.crl", 15) == 0);
		return 0;
	}
	FUZZ_ASSERT(crl.der != NULL && crl.issuer != NULL && crl.issuer_len > 0);
	FUZZ_ASSERT(crl.issuer >= crl.der && crl.issuer_len <= crl.len &&
	    (size_t)(crl.issuer - crl.der) <= crl.len - crl.issuer_len);
	r = pc_reader_make(crl.issuer, crl.issuer_len);
	FUZZ_ASSERT(pc_der_read_any(&r, &tag, &x, NULL, NULL) && pc_reader_done(&r) &&
	    tag == DER_SEQUENCE);

	/* the CRL of a response bundle, checked against the station's root */
	memset(&pki, 0, sizeof pki);
	fuzz_station_root(&pki.root);
	pki.crls = calloc(1, sizeof *pki.crls);
	FUZZ_ASSERT(pki.crls != NULL);
	pki.crls[0] = crl;
	pki.ncrls = 1;
	snprintf(pki.crls[0].stem, sizeof pki.crls[0].stem, "root");
	snprintf(pki.crls[0].member, sizeof pki.crls[0].member, "root.crl");
	rc = st_pki_verify(&pki, "fuzz", &e);
	FUZZ_ASSERT(rc == PC_OK || rc == PC_E_BUNDLE || rc == PC_E_EXPIRED || rc == PC_E_CRYPTO ||
	    rc == PC_E_NOMEM);
	if (rc == PC_OK) {
		FUZZ_ASSERT(st_pki_crl_issuer(&pki, &pki.crls[0]) == &pki.cas.v[0]);
		fuzz_plan_all(&pki);
	} else if (rc == PC_E_BUNDLE || rc == PC_E_EXPIRED) {
		FUZZ_ASSERT(strncmp(e.msg, "fuzz: root.crl: ", 16) == 0);
	}
	st_pki_free(&pki);
	return 0;
}
