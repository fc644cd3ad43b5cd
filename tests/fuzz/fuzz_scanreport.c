/*
 * fuzz_scanreport.c - the scan report reader (transfer/scanreport.c), as
 * plantca import reads a bundle's report.scan member and request --scan
 * reads the station's file, then the findings (findings.c) over what it
 * holds.  Seeds: reports of real scans (TLS, OPC UA, a PKI folder) and the
 * rows of tests/unit/transfer/bad-scan-report.txt
 * (tests/tools/make-bad-reports.py).
 *
 * Properties:
 *  - a refusal is PC_E_INPUT or PC_E_LIMIT (PC_E_NOMEM) and names the
 *    input, and leaves the report empty;
 *  - what parses writes back (sr_format) to exactly the bytes read: the
 *    grammar has one spelling for each report;
 *  - every index in it points at one of its certificates, every endpoint
 *    is once;
 *  - judging it never fails but for memory, and every item names an
 *    endpoint and a certificate (or none) of the report.
 */
#include <string.h>

#include "fuzz.h"
#include "scanreport.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sr_report r;
	sr_items items;
	sr_judge j;
	pc_buf out = PC_BUF_INIT;
	pc_err e;
	pc_rc rc;
	size_t i, k;

	memset(&e, 0, sizeof e);
	rc = sr_parse(data, size, "report", &r, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(rc == PC_E_INPUT || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		FUZZ_ASSERT(strncmp(e.msg, "report", 6) == 0 || rc == PC_E_NOMEM);
		FUZZ_ASSERT(r.ncerts == 0 && r.neps == 0 && r.certs == NULL);
		return 0;
	}
	sr_format(&r, &out);
	FUZZ_ASSERT(pc_buf_ok(&out));
	FUZZ_ASSERT(out.len == size && memcmp(out.p, data, size) == 0);
	pc_buf_free(&out);
	for (i = 0; i < r.neps; i++) {
		const sr_endpoint *ep = &r.eps[i];
		FUZZ_ASSERT(ep->nchain <= SR_CHAIN_MAX && ep->nua <= SR_UA_MAX);
		for (k = 0; k < ep->nchain; k++)
			FUZZ_ASSERT(ep->chain[k] < r.ncerts);
		for (k = 0; k < ep->nua; k++)
			FUZZ_ASSERT(ep->ua[k].cert == SR_NONE || ep->ua[k].cert < r.ncerts);
	}
	memset(&j, 0, sizeof j);
	j.now = r.finished;
	j.expiring_days = 30;
	rc = sr_judge_reports((const sr_report *const[]){ &r }, 1, &j, &items, &e);
	FUZZ_ASSERT(rc == PC_OK || rc == PC_E_NOMEM);
	for (i = 0; rc == PC_OK && i < items.n; i++) {
		FUZZ_ASSERT(items.v[i].report == 0 && items.v[i].ep < r.neps);
		FUZZ_ASSERT(items.v[i].cert == SR_NONE || items.v[i].cert < r.ncerts);
		FUZZ_ASSERT(!items.v[i].plant);      /* no anchors: nothing is the plant's */
	}
	if (rc == PC_OK)
		sr_items_free(&items);
	sr_report_free(&r);
	return 0;
}
