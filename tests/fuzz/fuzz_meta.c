/*
 * fuzz_meta.c - the BUNDLE parser (tr_meta_parse) and the SHA256SUMS parser
 * (tr_sums_parse) on arbitrary bytes.
 *
 * Properties:
 *  - a refusal is PC_E_BUNDLE, PC_E_LIMIT or PC_E_NOMEM, with a message
 *    that starts with the name passed in and (for BUNDLE line errors) names
 *    the line; nothing is left allocated;
 *  - what parses, formatted with tr_meta_format, parses to the same fields,
 *    and formats to the same text again;
 *  - accepted SHA256SUMS formats back (as sha256sum writes) to the input.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "pem.h"
#include "tr_int.h"

static void same_meta(const tr_meta *a, const tr_meta *b)
{
	size_t i;

	CHECK(a->version == b->version && a->kind == b->kind);
	CHECK(strcmp(a->segment, b->segment) == 0 && strcmp(a->sender, b->sender) == 0);
	CHECK(a->sequence == b->sequence && a->created == b->created &&
	    a->expires == b->expires);
	CHECK(a->nreply == b->nreply && a->ncsrs == b->ncsrs);
	for (i = 0; i < a->nreply; i++)
		CHECK(strcmp(a->in_reply_to[i], b->in_reply_to[i]) == 0);
	for (i = 0; i < a->ncsrs; i++)
		CHECK(strcmp(a->csrs[i].member, b->csrs[i].member) == 0 &&
		    strcmp(a->csrs[i].profile, b->csrs[i].profile) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tr_meta m, m2;
	tr_sum *sums = NULL;
	size_t n = 0, i;
	pc_err e;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = tr_meta_parse(data, size, "fuzz", &m, &e);
	if (rc != PC_OK) {
		CHECK(rc == PC_E_BUNDLE || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		CHECK(e.rc == rc && strncmp(e.msg, "fuzz: ", 6) == 0);
		CHECK(m.csrs == NULL && m.in_reply_to == NULL);
	} else {
		pc_buf a = PC_BUF_INIT, b = PC_BUF_INIT;

		CHECK(m.version == TR_FORMAT_VERSION && m.sequence > 0);
		CHECK(m.expires > m.created && tr_segment_ok(m.segment));
		CHECK(m.nreply == 0 || m.in_reply_to[m.nreply] == NULL);
		tr_meta_format(&m, &a);
		CHECK(pc_buf_ok(&a));
		CHECK(tr_meta_parse(a.p, a.len, "fuzz", &m2, &e) == PC_OK);
		same_meta(&m, &m2);
		tr_meta_format(&m2, &b);
		CHECK(pc_buf_ok(&b) && a.len == b.len && memcmp(a.p, b.p, a.len) == 0);
		tr_meta_free(&m2);
		tr_meta_free(&m);
		pc_buf_free(&a);
		pc_buf_free(&b);
	}

	rc = tr_sums_parse(data, size, "fuzz", &sums, &n, &e);
	if (rc != PC_OK) {
		CHECK(rc == PC_E_BUNDLE || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
		CHECK(sums == NULL && n == 0);
	} else {
		pc_buf a = PC_BUF_INIT;

		for (i = 0; i < n; i++) {
			CHECK(tr_member_name_ok(sums[i].name));
			pc_hex_encode(&a, sums[i].hash, sizeof sums[i].hash, 0);
			pc_buf_printf(&a, "  %s\n", sums[i].name);
		}
		CHECK(pc_buf_ok(&a) && a.len == size && (size == 0 ||
		    memcmp(a.p, data, size) == 0));
		pc_buf_free(&a);
		free(sums);
	}
	return 0;
}
