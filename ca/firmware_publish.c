/*
 * firmware_publish.c - `plantca firmware publish`: a firmware signature
 * queued for a segment's next response bundle.  See firmware.h.
 */
#include "firmware.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "file.h"
#include "format.h"
#include "fwverify.h"
#include "records.h"

pc_rc ca_fw_publish(ca_ctx *c, const char *segment, const char *sig_path, pc_err *e)
{
	uint8_t *buf = NULL;
	size_t len;
	fw_cms cms;
	store_txn *t = NULL;
	const char *base;
	char detail[400];
	time_t now = time(NULL);
	pc_rc rc;

	if (!valid_ca_name(segment))
		return pc_fail(e, PC_E_USAGE, "segment '%s': use 1-%d letters, digits, '-', '_', '.'",
		    segment ? segment : "", CA_NAME_MAX);
	PC_TRY_OUT(pc_file_read(sig_path, FW_SIG_MAX, &buf, &len, e));
	/* only firmware signatures travel this way: never an image */
	if ((rc = fw_cms_parse(buf, len, &cms, e)) != PC_OK) {
		pc_wrap(e, "%s", sig_path);
		goto out;
	}
	base = strrchr(sig_path, '/');
	base = base ? base + 1 : sig_path;
	if ((rc = store_begin(c->st, true, &t, e)) != PC_OK)
		goto out;
	rc = ca_firmware_queue(t, segment, base, buf, len, cms.package, cms.version_text, now, e);
	snprintf(detail, sizeof detail, "firmware %s:%s; signature %s (%zu bytes) queued for the "
	    "next response bundle", cms.package, cms.version_text, base, len);
	if (rc == PC_OK)
		rc = audit_append(t, now, "fw.publish", segment, "ok", detail, e);
	if (rc != PC_OK) {
		store_abort(t);
		goto out;
	}
	if ((rc = store_commit(t, e)) != PC_OK)
		goto out;
	fprintf(stderr, "plantca: %s (%s:%s) queued for segment %s\n", base, cms.package,
	    cms.version_text, segment);
out:
	free(buf);
	return rc;
}
