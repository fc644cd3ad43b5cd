/*
 * fuzz_cms.c - the firmware signature verifier's input path
 * (transfer/fwverify.h): the CMS reader, the certificate and CRL readers
 * and the checks that run on them, on arbitrary bytes.
 *
 * Input: one DER TLV, read as the signature (fw_cms_parse), optionally
 * followed by more bytes, given to the checker as a CRL.  When the
 * signature parses it is checked with its own last certificate as the
 * trust anchor, its own messageDigest as the image digest and its signing
 * time as "now", so the chain, signature and CRL code run (deterministic,
 * whatever the date).
 * Properties:
 *  - every pointer fw_cms_parse returns lies inside the input;
 *  - what it returns is within the documented limits (certificates,
 *    targets, digest length matching the algorithm, a version that parses);
 *  - fw_cms_check ends with PC_OK or one of its documented refusals.
 * Seeds (corpus/fuzz_cms): signatures made by t_firmware.sh's steps with
 * P-256, P-384 and Ed25519 signers, one followed by a CRL revoking its
 * signer, one by an unrelated CRL, and damaged copies of each.
 */
#include <string.h>

#include "fuzz.h"
#include "der.h"
#include "fwverify.h"

static void inside(const uint8_t *data, size_t size, const uint8_t *p, size_t n)
{
	CHECK(p != NULL && p >= data && n <= size && (size_t)(p - data) <= size - n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_reader r = pc_reader_make(data, size), c;
	const uint8_t *whole;
	size_t wl, i;
	uint8_t tag;
	fw_cms cms;
	fw_result res;
	fw_blob anchor, crl;
	fw_check_opts o;
	fw_version v;
	pc_err e;
	pc_rc rc;

	if (!pc_der_read_any(&r, &tag, &c, &whole, &wl))
		return 0;
	if (fw_cms_parse(whole, wl, &cms, &e) != PC_OK)
		return 0;
	CHECK(cms.cms.ncerts >= 1 && cms.cms.ncerts <= PKIX_CMS_CERTS_MAX);
	for (i = 0; i < cms.cms.ncerts; i++)
		inside(whole, wl, cms.cms.certs[i], cms.cms.cert_len[i]);
	inside(whole, wl, cms.cms.sid_issuer, cms.cms.sid_issuer_len);
	inside(whole, wl, cms.cms.sid_serial, cms.cms.sid_serial_len);
	inside(whole, wl, cms.cms.attrs, cms.cms.attrs_len);
	inside(whole, wl, cms.cms.sigalg, cms.cms.sigalg_len);
	inside(whole, wl, cms.cms.sig, cms.cms.sig_len);
	inside(whole, wl, cms.cms.digest, cms.cms.digest_len);
	CHECK(cms.cms.digest_len == pkix_hash_len(cms.cms.hash));
	CHECK(cms.ntargets <= FW_TARGETS_MAX);
	CHECK(fw_version_parse(cms.version_text, &v, NULL) == PC_OK);
	CHECK(fw_version_cmp(&v, &cms.version) == 0);
	CHECK(strlen(cms.package) > 0 && strchr(cms.package, ':') == NULL);

	anchor.der = cms.cms.certs[cms.cms.ncerts - 1];
	anchor.len = cms.cms.cert_len[cms.cms.ncerts - 1];
	anchor.name = "anchor";
	crl.der = data + (size - pc_reader_left(&r));
	crl.len = pc_reader_left(&r);
	crl.name = "crl";
	memset(&o, 0, sizeof o);
	o.trust = &anchor;
	o.ntrust = 1;
	o.crls = &crl;
	o.ncrls = crl.len ? 1 : 0;
	o.min_version = "1.0";
	o.target = cms.ntargets ? cms.targets[0] : NULL;
	o.now = cms.cms.signing_time > 0 ? cms.cms.signing_time : 1;
	rc = fw_cms_check(&cms, cms.cms.digest, cms.cms.digest_len, &o, &res, &e);
	CHECK(rc == PC_OK || rc == PC_E_SIGNATURE || rc == PC_E_REVOKED || rc == PC_E_REPLAY ||
	    rc == PC_E_POLICY || rc == PC_E_EXPIRED || rc == PC_E_INPUT || rc == PC_E_LIMIT);
	if (getenv("FUZZ_VERBOSE"))
		fprintf(stderr, "  -> %s: %s\n", pc_rc_name(rc), rc == PC_OK ? "valid" : e.msg);
	if (rc == PC_OK)
		CHECK(res.chain_len >= 2 && res.chain_len <= FW_CHAIN_MAX);
	return 0;
}
