/*
 * fuzz_station_conf.c - plantca-station's station.conf parser
 * (st_conf_parse, transfer/station/conf.c) on arbitrary bytes: the file is
 * written by the station but lives on a plant PC, and holds the replay
 * state.
 *
 * Properties:
 *  - a refusal is PC_E_INPUT with "fuzz:LINE: ..." naming a line the input
 *    has (1 + its LF count at most), or PC_E_LIMIT over ST_CONF_MAX, and
 *    leaves the state all zero;
 *  - what parses has a valid segment, 1 <= next-request-sequence < 2^64-1,
 *    an empty or valid last-response-bundle, and st_conf_format writes it
 *    as text that parses back to the same state.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "station.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const st_conf zero;
	st_conf c, again;
	pc_buf b = PC_BUF_INIT;
	pc_err e;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = st_conf_parse(data, size, "fuzz", &c, &e);
	if (rc != PC_OK) {
		FUZZ_ASSERT(memcmp(&c, &zero, sizeof c) == 0);
		FUZZ_ASSERT(e.rc == rc && e.msg[0] != '\0');
		if (rc == PC_E_LIMIT) {
			FUZZ_ASSERT(size > ST_CONF_MAX);
			return 0;
		}
		FUZZ_ASSERT(rc == PC_E_INPUT);
		{
			long line;
			size_t i, lines = 1;
			FUZZ_ASSERT(strncmp(e.msg, "fuzz:", 5) == 0);
			line = strtol(e.msg + 5, NULL, 10);
			for (i = 0; i < size; i++)
				lines += data[i] == '\n';
			FUZZ_ASSERT(line >= 1 && (size_t)line <= lines);
		}
		return 0;
	}
	FUZZ_ASSERT(tr_segment_ok(c.segment));
	FUZZ_ASSERT(c.next_request >= 1 && c.next_request < UINT64_MAX);
	FUZZ_ASSERT(c.last_bundle[0] == '\0' || tr_member_name_ok(c.last_bundle));
	st_conf_format(&c, &b);
	FUZZ_ASSERT(pc_buf_ok(&b));
	FUZZ_ASSERT(st_conf_parse(b.p, b.len, "again", &again, &e) == PC_OK);
	FUZZ_ASSERT(memcmp(&c, &again, sizeof c) == 0);
	pc_buf_free(&b);
	return 0;
}
