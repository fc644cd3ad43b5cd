/*
 * fwformat.h - the containers of the device updaters that plantca signs
 * for (`plantca firmware sign --format rauc`): where the signed bytes are
 * and where the signature goes.  Only the layout: the signature itself is
 * the detached CMS of pkix/cms.h and fwverify.h.
 *
 * RAUC "plain" bundle (RAUC 1.8, src/bundle.c; docs/firmware.md):
 *
 *   squashfs image (bytes_used from its superblock, padded by mksquashfs
 *   to a multiple of 4 KiB) || detached CMS SignedData (DER, at most
 *   FW_RAUC_SIG_MAX bytes) over everything before it || the CMS's length,
 *   8 bytes big-endian
 *
 * A "verity" or "crypt" bundle puts a hash tree between the squashfs and
 * a CMS that encapsulates the manifest: it is refused, not mistaken for a
 * plain one.  The squashfs superblock (squashfs 4.0, little-endian, 96
 * bytes) is read only for its magic, version and bytes_used.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_FWFORMAT_H
#define PLANTCA_FWFORMAT_H

#include <stdint.h>

#include "pc.h"

enum {
	FW_RAUC_SIG_MAX = 64 * 1024,  /* RAUC refuses a larger signature */
	FW_RAUC_SB_LEN = 96,          /* squashfs 4.0 superblock */
	FW_RAUC_PAD = 4096,           /* mksquashfs pads the image to this */
	FW_RAUC_TAIL = FW_RAUC_SIG_MAX + 8,   /* bytes at the end that hold a signature */
};

typedef struct fw_rauc_layout {
	uint64_t payload_len;     /* the squashfs with its padding: what the CMS covers */
	uint64_t squashfs_used;   /* the superblock's bytes_used */
	uint64_t old_sig_len;     /* the signature the input had; 0: none */
} fw_rauc_layout;

/* The layout of a file of `size` bytes from its first bytes head[0..head_len)
 * (at least FW_RAUC_SB_LEN of them when the file has that many) and its
 * last bytes tail[0..tail_len) (min(size, FW_RAUC_TAIL) of them): either a
 * bare squashfs image (size is bytes_used, or bytes_used padded to
 * FW_RAUC_PAD) or a signed plain bundle (the same followed by a DER
 * ContentInfo of id-signedData of exactly the length the last 8 bytes
 * give).  PC_E_INPUT "WHAT: not a RAUC plain bundle: REASON" otherwise, with
 * *out all zero. */
pc_rc fw_rauc_layout_read(const uint8_t *head, size_t head_len, const uint8_t *tail,
    size_t tail_len, uint64_t size, const char *what, fw_rauc_layout *out, pc_err *e) PC_CHECK;

#endif
