/*
 * fuzz_station.h - shared by plantca-station's fuzz targets
 * (fuzz_station_cert.c, fuzz_station_crl.c): the fixed station root the
 * inputs are checked against, and the property every planned output file
 * name must have.
 *
 * station_root.h is written by make-station-seeds.sh together with the
 * seeds: the certificate seeds it signs with the root's key
 * (keys/p256.pem) verify against it, so the seeds reach the signature
 * checks and the layouts, not only the parsers.
 */
#ifndef PLANTCA_FUZZ_STATION_H
#define PLANTCA_FUZZ_STATION_H

#include <string.h>

#include "fuzz.h"
#include "station.h"
#include "station_root.h"

/* The station's root as st_root_load would give it. */
static inline void fuzz_station_root(st_cert *root)
{
	pc_err e;

	memset(&e, 0, sizeof e);
	FUZZ_ASSERT(st_cert_parse(fuzz_station_root_der, sizeof fuzz_station_root_der, "root",
	    root, &e) == PC_OK);
	FUZZ_ASSERT(root->self_signed && root->is_ca);
	root->from = "DIR/root.pem";
}

/* One path component accept may write: [A-Za-z0-9][A-Za-z0-9._-]*, no "..". */
static inline bool fuzz_component_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || !st_is_alnum(s[0]))
		return false;
	for (i = 0; i < n; i++) {
		if (!st_is_alnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
			return false;
		if (i > 0 && s[i] == '.' && s[i - 1] == '.')
			return false;
	}
	return true;
}

/* Every planned file stays inside PKI_DIR, whatever the certificates said:
 * relative, components from the sanitised alphabet, no two alike. */
static inline void fuzz_check_outs(const st_outs *outs)
{
	size_t i, k;

	for (i = 0; i < outs->n; i++) {
		const char *p = outs->v[i].rel;

		FUZZ_ASSERT(p[0] != '\0' && p[0] != '/');
		while (*p != '\0') {
			size_t n = strcspn(p, "/");
			FUZZ_ASSERT(fuzz_component_ok(p, n));
			p += n;
			if (*p == '/')
				p++;
		}
		FUZZ_ASSERT(outs->v[i].data != NULL);
		for (k = 0; k < i; k++)
			FUZZ_ASSERT(strcmp(outs->v[k].rel, outs->v[i].rel) != 0);
	}
}

/* The flat and OPC UA plans, PEM and DER, of a verified PKI. */
static inline void fuzz_plan_all(const st_pki *pki)
{
	int layout, der;

	for (layout = 0; layout < 2; layout++)
		for (der = 0; der < 2; der++) {
			st_outs outs;
			pc_err e;
			pc_rc rc;

			memset(&outs, 0, sizeof outs);
			memset(&e, 0, sizeof e);
			rc = st_layout_plan(pki, layout == 1, der == 1, "fuzz", &outs, &e);
			FUZZ_ASSERT(rc == PC_OK || rc == PC_E_BUNDLE || rc == PC_E_NOMEM);
			if (rc == PC_OK)
				fuzz_check_outs(&outs);
			st_outs_free(&outs);
		}
}

#endif
