/*
 * fuzz_station_tx.c - plantca-station's two CMP state readers on arbitrary
 * bytes (transfer/station/cmp_state.c): DIR/cmp/TXID.tx (st_tx_parse: a
 * plant PC's disk) when the first byte is even, a response's
 * cmp-TXID.answer member (st_answer_parse) when it is odd; the rest of the
 * input is the file.
 *
 * Properties:
 *  - TXID.tx: a refusal is PC_E_INPUT, or PC_E_LIMIT over ST_TX_FILE_MAX,
 *    with a message; what parses has a hex transaction id, a known kind
 *    and state, a 64-digit signer, and st_tx_format writes it as text that
 *    parses back to the same transaction;
 *  - answer: a refusal is PC_E_BUNDLE or PC_E_LIMIT; what parses has a hex
 *    transaction id, one of the four statuses, and a serial exactly when
 *    the status is issued.
 * Seeds (corpus/fuzz_station_tx, make-station-tx-seeds.sh): transactions in every
 * state as serve writes them, answers as export writes them, and broken
 * copies (bad-*).
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cmp.h"
#include "station.h"

static bool hex(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n % 2)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	pc_err e;
	pc_rc rc;

	if (size == 0)
		return 0;
	memset(&e, 0, sizeof e);
	if ((data[0] & 1) == 0) {
		st_tx t, again;
		pc_buf b = PC_BUF_INIT;
		rc = st_tx_parse(data + 1, size - 1, "fuzz", &t, &e);
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "  tx -> %s %s\n", pc_rc_name(rc), rc ? e.msg : "");
		if (rc != PC_OK) {
			CHECK(rc == PC_E_INPUT || (rc == PC_E_LIMIT && size - 1 > ST_TX_FILE_MAX));
			CHECK(e.rc == rc && e.msg[0] != '\0');
			return 0;
		}
		CHECK(hex(t.txid) && strlen(t.txid) <= 2 * ST_TXID_MAX);
		CHECK(t.body == PKIX_CMP_IR || t.body == PKIX_CMP_CR || t.body == PKIX_CMP_P10CR ||
		    t.body == PKIX_CMP_KUR || t.body == PKIX_CMP_RR);
		CHECK(t.state >= ST_TX_QUEUED && t.state <= ST_TX_REPORTED);
		CHECK(strlen(t.signer) == 64 && hex(t.signer));
		CHECK(t.profile[0] != '\0' && t.cert_req_id >= -1);
		st_tx_format(&t, &b);
		CHECK(pc_buf_ok(&b));
		if (st_tx_parse(b.p, b.len, "again", &again, &e) != PC_OK)
			FAIL("formatted transaction does not parse: %s", e.msg);
		CHECK(memcmp(&t, &again, sizeof t) == 0);
		pc_buf_free(&b);
	} else {
		st_answer a;
		rc = st_answer_parse(data + 1, size - 1, "fuzz", &a, &e);
		if (getenv("FUZZ_VERBOSE"))
			fprintf(stderr, "  answer -> %s %s\n", pc_rc_name(rc), rc ? e.msg : "");
		if (rc != PC_OK) {
			CHECK(rc == PC_E_BUNDLE || (rc == PC_E_LIMIT && size - 1 > ST_TX_FILE_MAX));
			CHECK(e.rc == rc && e.msg[0] != '\0');
			return 0;
		}
		CHECK(hex(a.txid));
		CHECK(!strcmp(a.status, "issued") || !strcmp(a.status, "rejected") ||
		    !strcmp(a.status, "revoked") || !strcmp(a.status, "refused"));
		CHECK((strcmp(a.status, "issued") == 0) == (a.serial[0] != '\0'));
		CHECK(a.serial[0] == '\0' || hex(a.serial));
	}
	return 0;
}
