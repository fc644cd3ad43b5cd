/*
 * json.h - the one JSON string writer of plantca (for --json output).
 */
#ifndef PLANTCA_JSON_H
#define PLANTCA_JSON_H

#include <stdio.h>

/* Print s as a quoted JSON string (RFC 8259 section 7): '"' and '\' are
 * escaped, control characters become \n, \t, ... or \u00XX, and bytes that
 * are not well-formed UTF-8 (RFC 3629: no overlongs, surrogates or code
 * points above U+10FFFF) are each replaced by \ufffd, so the output is
 * valid JSON whatever s holds.  NULL prints "".  Write errors are left in
 * ferror(f) for the caller to check once. */
void json_str(FILE *f, const char *s);

#endif
