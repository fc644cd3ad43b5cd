/*
 * format.h - the texts plantca prints and reads for what it keeps: serials
 * in hex, names and SANs as text, ISO 8601 times, SHA-256 fingerprints, CA
 * names.  No store, no HSM (ca/format.c).
 *
 * Text made from a CSR (names, SANs) is returned as is: whoever shows it
 * on a terminal or in a log passes it through common/text.h.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_FORMAT_H
#define PLANTCA_FORMAT_H

#include "pkix.h"

/* n bytes as 2n lowercase hex digits and a NUL into out. */
void ca_serial_hex(const uint8_t *s, size_t n, char *out);
/* A serial given as hex (colons allowed): exactly PKIX_SERIAL_LEN bytes;
 * PC_E_USAGE otherwise. */
pc_rc ca_serial_parse(const char *text, uint8_t serial[PKIX_SERIAL_LEN], pc_err *e) PC_CHECK;
/* 1..CA_NAME_MAX letters, digits and (not first) '-', '_', '.': names of
 * CAs, signers and segments that become store keys and file names. */
bool valid_ca_name(const char *n);
/* A DER Name as RFC 4514 text, malloc'ed into *out (caller frees). */
pc_rc ca_name_text(const uint8_t *der, size_t len, char **out, pc_err *e) PC_CHECK;
/* SANs as "dns:a,ip:b" text, malloc'ed (caller frees); NULL: no memory. */
char *ca_san_text(const pkix_gn *g, size_t n);

#endif
