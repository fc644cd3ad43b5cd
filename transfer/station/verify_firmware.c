/*
 * verify_firmware.c - verb verify-firmware: the station's check of a
 * firmware signature (CMS .p7s from plantca firmware sign) through the
 * firmware verifier (fwverify.h).  The trust anchor is the root the
 * station was set up with (DIR/root.pem); the CRLs are those a response
 * delivered (--pki PKI_DIR) and any --crl files.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "file.h"
#include "fwverify.h"
#include "json.h"
#include "station.h"

/* CRL files below PKI_DIR as accept wrote them: crl/ (flat) and
 * trusted/crl, issuers/crl (opcua).  Missing directories are fine.  The
 * blobs borrow their file names (messages name them), so the names are
 * kept in *names until the caller frees them. */
PC_CHECK static pc_rc load_pki_crls(const char *pki, fw_blobs *crls, size_t *n, char ***names,
    size_t *nnames, pc_err *e)
{
	static const char *const sub[] = { "crl", "trusted/crl", "issuers/crl" };
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 2];
	size_t i;

	for (i = 0; i < sizeof sub / sizeof sub[0]; i++) {
		DIR *d;
		struct dirent *de;
		snprintf(dir, sizeof dir, "%s/%s", pki, sub[i]);
		d = opendir(dir);
		if (d == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			size_t l = strlen(de->d_name);
			if (l < 5 || strcmp(de->d_name + l - 4, ".crl") != 0)
				continue;
			char **nn = realloc(*names, (*nnames + 1) * sizeof *nn);
			if (nn == NULL) {
				closedir(d);
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			}
			*names = nn;
			snprintf(path, sizeof path, "%s/%s", dir, de->d_name);
			if ((nn[*nnames] = strdup(path)) == NULL) {
				closedir(d);
				return pc_fail(e, PC_E_NOMEM, "out of memory");
			}
			if (fw_blobs_load(crls, nn[(*nnames)++], true, e) != PC_OK) {
				closedir(d);
				return e->rc;
			}
			(*n)++;
		}
		closedir(d);
	}
	return PC_OK;
}

pc_rc st_verify_firmware(const st_args *a, pc_err *e)
{
	const st_opts *o = &a->o;
	const char *image = a->ops[0].path, *sigpath = a->ops[1].path;
	fw_blobs trust = { 0 }, crls = { 0 };
	fw_cms cms;
	fw_result res;
	size_t i, ncrl = 0, nnames = 0;
	char root[PATH_MAX], **names = NULL;
	st_conf conf;
	pc_rc rc;

	/* a directory that is no station says so, not "root.pem: cannot open" */
	if ((rc = st_conf_load(a->dir, &conf, e)) != PC_OK)
		goto out;
	snprintf(root, sizeof root, "%s/root.pem", a->dir);
	if ((rc = fw_blobs_load(&trust, root, false, e)) != PC_OK)
		goto out;
	if (o->pki && (rc = load_pki_crls(o->pki, &crls, &ncrl, &names, &nnames, e)) != PC_OK)
		goto out;
	for (i = 0; i < o->ncrls; i++, ncrl++)
		if ((rc = fw_blobs_load(&crls, o->crls[i], true, e)) != PC_OK)
			goto out;
	if ((rc = fw_verify_files(image, sigpath, &trust, &crls, o->min_version, o->target, &cms,
	    &res, e)) != PC_OK)
		goto out;
	if (o->json) {
		printf("{\"valid\":true,\"package\":");
		json_str(stdout, cms.package);
		printf(",\"version\":");
		json_str(stdout, cms.version_text);
		printf(",\"signer_serial\":\"%s\",\"crls\":%zu}\n", res.signer_serial, ncrl);
	} else {
		printf("%s: valid signature: firmware %s version %s by signer %s (serial %s), chained "
		    "to this station's root; checked against %zu CRL file(s)%s\n", image, cms.package,
		    cms.version_text, res.signer_cn[0] ? res.signer_cn : "(no CN)", res.signer_serial,
		    ncrl, ncrl ? "" : " (no CRL: revocation not checked; give --pki PKI_DIR)");
	}
out:
	fw_blobs_free(&trust);
	fw_blobs_free(&crls);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	return rc;
}
