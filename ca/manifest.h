/*
 * manifest.h - a backup's MANIFEST read back (ca/manifest.c); needs
 * nothing but common/, so that its fuzz target links it alone.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_MANIFEST_H
#define PLANTCA_MANIFEST_H

#include "pc.h"

/* the policy file's name in a backup (capolicy.h CA_POLICY_FILE) */
#define CA_BACKUP_POLICY "policy.conf"

/* One line of a backup's MANIFEST. */
typedef pc_rc (*ca_manifest_fn)(void *ctx, const char *path, const uint8_t sha256[32],
    pc_err *e);
/* MANIFEST from p[0..len) (untrusted): "SHA256  PATH" per line, lowercase
 * hex, paths a backup holds, sorted, each once, db/data.mdb among them;
 * PC_E_INPUT "WHAT:LINE: WHY". */
pc_rc ca_manifest_parse(const uint8_t *p, size_t len, const char *what, ca_manifest_fn fn,
    void *ctx, pc_err *e) PC_CHECK;

#endif
