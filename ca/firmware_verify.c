/*
 * firmware_verify.c - `plantca firmware verify`: a firmware signature
 * checked against trusted roots, CRLs and the signer's package list,
 * without a CA home.  See firmware.h.
 */
#include "firmware.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "format.h"
#include "text.h"
#include "fwverify.h"
#include "json.h"

pc_rc ca_fw_verify(const ca_fw_verify_opts *o, FILE *out, pc_err *e)
{
	fw_blobs trust = { 0 }, crls = { 0 };
	fw_cms cms;
	fw_result res;
	size_t i;
	pc_rc rc;

	if (!o->image || !o->sig)
		return pc_fail(e, PC_E_USAGE, "firmware verify needs IMAGE and SIG");
	if (o->ntrust == 0)
		return pc_fail(e, PC_E_USAGE, "firmware verify needs --trust FILE (the root or CA "
		    "certificates to trust)");
	for (i = 0; i < o->ntrust; i++)
		if ((rc = fw_blobs_load(&trust, o->trust[i], false, e)) != PC_OK)
			goto out;
	for (i = 0; i < o->ncrls; i++)
		if ((rc = fw_blobs_load(&crls, o->crls[i], true, e)) != PC_OK)
			goto out;
	if ((rc = fw_verify_files(o->image, o->sig, &trust, &crls, o->min_version, o->target, &cms,
	    &res, e)) != PC_OK)
		goto out;
	if (o->json) {
		fprintf(out, "{\"valid\":true,\"package\":");
		json_str(out, cms.package);
		fprintf(out, ",\"version\":");
		json_str(out, cms.version_text);
		fprintf(out, ",\"signing_time\":%lld,\"signer_serial\":\"%s\",\"signer\":",
		    (long long)cms.cms.signing_time, res.signer_serial);
		json_str(out, res.signer_cn);
		fprintf(out, ",\"anchor\":");
		json_str(out, res.anchor_cn);
		fprintf(out, ",\"targets\":[");
		for (i = 0; i < cms.ntargets; i++) {
			fprintf(out, "%s", i ? "," : "");
			json_str(out, cms.targets[i]);
		}
		fprintf(out, "]}\n");
	} else {
		char when[32];
		pc_time_text((uint64_t)cms.cms.signing_time, when);
		fprintf(out, "%s: valid signature: firmware %s version %s, signed %s by '%s' "
		    "(serial %s), chain of %zu to '%s'", o->image, cms.package, cms.version_text, when,
		    res.signer_cn, res.signer_serial, res.chain_len, res.anchor_cn);
		if (cms.ntargets) {
			fprintf(out, ", targets");
			for (i = 0; i < cms.ntargets; i++)
				fprintf(out, " %s", cms.targets[i]);
		}
		fprintf(out, "\n");
	}
out:
	fw_blobs_free(&trust);
	fw_blobs_free(&crls);
	return rc;
}
