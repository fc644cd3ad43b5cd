/*
 * fuzz_tar.c - the ustar reader (tr_tar_parse) and the signature-free part
 * of bundle reading (tr_bundle_parse: member order, BUNDLE, SHA256SUMS and
 * their cross-checks) on arbitrary bytes.
 *
 * Properties:
 *  - a refusal is PC_E_BUNDLE, PC_E_LIMIT or PC_E_NOMEM with a message that
 *    starts with the name passed in, and hands back no members;
 *  - accepted members have allowed, distinct names and lie inside the input;
 *  - what parses, written again with tr_tar_add/tr_tar_end, parses to the
 *    same names and bytes;
 *  - tr_bundle_parse accepts only what tr_tar_parse accepts, with the
 *    payload being the members after BUNDLE and SHA256SUMS.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "tr_int.h"

static void check_refusal(pc_rc rc, const pc_err *e)
{
	CHECK(rc == PC_E_BUNDLE || rc == PC_E_LIMIT || rc == PC_E_NOMEM);
	CHECK(e->rc == rc && strncmp(e->msg, "fuzz.tar: ", 10) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	tr_member *ms = (tr_member *)1, *ms2 = NULL;
	size_t n = 99, n2 = 0, i;
	pc_err e;
	pc_rc rc, rc2;
	tr_bundle b;

	memset(&e, 0, sizeof e);
	rc = tr_tar_parse(data, size, false, "fuzz.tar", &ms, &n, &e);
	if (rc != PC_OK) {
		check_refusal(rc, &e);
		CHECK(ms == NULL && n == 0);
	} else {
		pc_buf again = PC_BUF_INIT;

		CHECK(n <= TR_MEMBERS_MAX && size >= 2 * TR_BLOCK);
		for (i = 0; i < n; i++) {
			CHECK(tr_member_name_ok(ms[i].name));
			CHECK(ms[i].len <= TR_MEMBER_MAX);
			CHECK(ms[i].len == 0 || (ms[i].data >= data &&
			    ms[i].data + ms[i].len <= data + size));
			CHECK(i == 0 || strcmp(ms[i].name, ms[0].name) != 0);
			tr_tar_add(&again, ms[i].name, ms[i].data, ms[i].len, 0);
		}
		tr_tar_end(&again);
		CHECK(pc_buf_ok(&again));
		CHECK(tr_tar_parse(again.p, again.len, false, "fuzz.tar", &ms2, &n2, &e) == PC_OK);
		CHECK(n2 == n);
		for (i = 0; i < n; i++)
			CHECK(strcmp(ms[i].name, ms2[i].name) == 0 && ms[i].len == ms2[i].len &&
			    (ms[i].len == 0 || memcmp(ms[i].data, ms2[i].data, ms[i].len) == 0));
		free(ms2);
		pc_buf_free(&again);
	}

	memset(&b, 0, sizeof b);
	rc2 = tr_bundle_parse(data, size, false, "fuzz.tar", &b, &e);
	if (rc2 == PC_OK) {
		CHECK(rc == PC_OK && n >= 3 && b.nmembers == n - 2);
		CHECK(strcmp(ms[0].name, "BUNDLE") == 0 && strcmp(ms[1].name, "SHA256SUMS") == 0);
		for (i = 0; i < b.nmembers; i++)
			CHECK(strcmp(b.members[i].name, ms[i + 2].name) == 0);
		CHECK(b.meta.version == TR_FORMAT_VERSION && b.meta.sequence > 0);
		tr_bundle_free(&b);
	} else {
		check_refusal(rc2, &e);
		CHECK(b.members == NULL && b.meta.csrs == NULL && b.meta.in_reply_to == NULL);
	}
	if (rc == PC_OK)
		free(ms);
	return 0;
}
