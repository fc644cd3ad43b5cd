/*
 * fwformat.c - the RAUC plain bundle's layout (see fwformat.h).
 */
#include "fwformat.h"

#include <stdio.h>
#include <string.h>

#include "der.h"
#include "pkix.h"

/* squashfs 4.0 superblock fields (squashfs-tools squashfs_fs.h) */
enum {
	SB_MAGIC = 0x73717368,    /* "hsqs" */
	SB_OFF_VMAJOR = 28,
	SB_OFF_VMINOR = 30,
	SB_OFF_BYTES_USED = 40,
};

static uint64_t load_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = (v << 8) | p[n];
	return v;
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < 8; i++)
		v = (v << 8) | p[i];
	return v;
}

PC_CHECK static pc_rc bad(pc_err *e, const char *what, const char *why)
{
	return pc_fail(e, PC_E_INPUT, "%s: not a RAUC plain bundle: %s", what, why);
}

/* sig[0..len) is one DER ContentInfo of id-signedData, nothing after it
 * (RFC 5652 §3); its inside is the CMS reader's, not ours. */
static bool looks_signed_data(const uint8_t *sig, size_t len)
{
	pc_reader r = pc_reader_make(sig, len), ci, oid;

	return pc_reader_peek(&r) == DER_SEQUENCE && pc_der_read(&r, DER_SEQUENCE, &ci) &&
	    pc_reader_done(&r) && pc_der_read(&ci, DER_OID, &oid) &&
	    pkix_oid_is(oid, PKIX_OID_CMS_SIGNED_DATA);
}

pc_rc fw_rauc_layout_read(const uint8_t *head, size_t head_len, const uint8_t *tail,
    size_t tail_len, uint64_t size, const char *what, fw_rauc_layout *out, pc_err *e)
{
	uint64_t used, padded, len;
	char why[256];

	memset(out, 0, sizeof *out);
	if (size < FW_RAUC_SB_LEN || head_len < FW_RAUC_SB_LEN)
		return bad(e, what, "shorter than a squashfs superblock (96 bytes)");
	if (load_le(head, 4) != SB_MAGIC)
		return bad(e, what, "it does not start with a squashfs image (magic hsqs)");
	if (load_le(head + SB_OFF_VMAJOR, 2) != 4 || load_le(head + SB_OFF_VMINOR, 2) != 0) {
		snprintf(why, sizeof why, "squashfs version %u.%u, expected 4.0",
		    (unsigned)load_le(head + SB_OFF_VMAJOR, 2), (unsigned)load_le(head + SB_OFF_VMINOR, 2));
		return bad(e, what, why);
	}
	used = load_le(head + SB_OFF_BYTES_USED, 8);
	if (used < FW_RAUC_SB_LEN || used > size) {
		snprintf(why, sizeof why, "the squashfs says it is %llu bytes, the file has %llu",
		    (unsigned long long)used, (unsigned long long)size);
		return bad(e, what, why);
	}
	padded = (used + FW_RAUC_PAD - 1) / FW_RAUC_PAD * FW_RAUC_PAD;
	if (size == used || size == padded) {
		out->payload_len = size;   /* unsigned: a bare squashfs image */
		out->squashfs_used = used;
		return PC_OK;
	}
	if (tail_len != (size < FW_RAUC_TAIL ? size : FW_RAUC_TAIL))
		return pc_fail(e, PC_E_INTERNAL, "%s: bundle tail of %zu bytes", what, tail_len);
	len = load_be64(tail + tail_len - 8);
	if (len == 0 || len > FW_RAUC_SIG_MAX || len > size - 8 ||
	    (size - 8 - len != used && size - 8 - len != padded)) {
		snprintf(why, sizeof why, "the %llu bytes after the squashfs (%llu bytes, %llu padded) "
		    "are not a signature and its length (a verity or crypt bundle is not signed here)",
		    (unsigned long long)(size - used), (unsigned long long)used, (unsigned long long)padded);
		return bad(e, what, why);
	}
	if (!looks_signed_data(tail + tail_len - 8 - len, (size_t)len))
		return bad(e, what, "the bytes before the length are not a DER CMS SignedData");
	out->payload_len = size - 8 - len;
	out->squashfs_used = used;
	out->old_sig_len = len;
	return PC_OK;
}
