/*
 * json.h - the one JSON string writer of plantca (--json output of plantca
 * and plantca-station), to a FILE or into a pc_buf.
 *
 * The map: docs/architecture.md "Layers".
 */
#ifndef PLANTCA_JSON_H
#define PLANTCA_JSON_H

#include <stdio.h>

#include "buf.h"

/* Print s as a quoted JSON string (RFC 8259 §7).  The text first goes
 * through the display escaper (text.h), so the string never holds a
 * control character, a C1, bidi or other invisible character, or
 * ill-formed UTF-8: a consumer gets the visible escape instead, e.g. the
 * six characters \u202e for U+202E (JSON "\\u202e") and \xe9 for a byte
 * 0xe9 that is not UTF-8.  '"' and '\' are JSON-escaped.  NULL prints "".
 * Write errors are left in ferror(f) for the caller to check once. */
void json_str(FILE *f, const char *s);

/* The same without the quotes, for a string composed of several pieces. */
void json_str_body(FILE *f, const char *s);

/* json_str appended to a pc_buf: byte for byte what json_str writes (a
 * buffer that fails to grow follows its sticky-failure rule, buf.h). */
void json_buf_str(pc_buf *b, const char *s);

#endif
