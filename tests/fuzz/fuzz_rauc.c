/*
 * fuzz_rauc.c - the RAUC plain bundle layout (transfer/fwformat.h), the
 * only bytes of a bundle plantca reads itself before signing it.
 *
 * Input: a whole bundle file; the reader gets its first 96 bytes and its
 * last min(size, FW_RAUC_TAIL) bytes, as ca/firmware_rauc.c hands them.
 * Properties:
 *  - accepted: the payload holds the squashfs (bytes_used <= payload) and
 *    payload, old signature and its 8-byte length add up to the file, the
 *    old signature is at most FW_RAUC_SIG_MAX bytes;
 *  - refused: PC_E_INPUT with "rauc: not a RAUC plain bundle: ", and the
 *    layout all zero.
 * Seeds (corpus/fuzz_rauc): the good and bad inputs of
 * tests/unit/transfer/test_fwformat.c (`test_fwformat --seeds DIR`), a
 * squashfs from mksquashfs and a bundle from `rauc bundle`.
 */
#include <string.h>

#include "fuzz.h"
#include "fwformat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t hl = size < FW_RAUC_SB_LEN ? size : FW_RAUC_SB_LEN;
	size_t tl = size < FW_RAUC_TAIL ? size : FW_RAUC_TAIL;
	static const char prefix[] = "rauc: not a RAUC plain bundle: ";
	fw_rauc_layout l;
	pc_err e;
	pc_rc rc;

	memset(&e, 0, sizeof e);
	rc = fw_rauc_layout_read(data, hl, data + size - tl, tl, size, "rauc", &l, &e);
	if (rc == PC_OK) {
		CHECK(l.squashfs_used >= FW_RAUC_SB_LEN && l.squashfs_used <= l.payload_len);
		CHECK(l.old_sig_len <= FW_RAUC_SIG_MAX);
		CHECK(l.payload_len + (l.old_sig_len ? l.old_sig_len + 8 : 0) == size);
		CHECK(l.payload_len - l.squashfs_used < FW_RAUC_PAD);
	} else {
		CHECK(rc == PC_E_INPUT);
		CHECK(strncmp(e.msg, prefix, sizeof prefix - 1) == 0);
		CHECK(l.payload_len == 0 && l.squashfs_used == 0 && l.old_sig_len == 0);
	}
	return 0;
}
