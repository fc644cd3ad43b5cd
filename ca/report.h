/*
 * report.h - `plantca report`: the plant at a glance, one self-contained
 * HTML page (no script, and no style, font or image from outside the
 * file).  ca/report.c reads the store and writes the page; ca/svg.c draws
 * its two pictures (the CA hierarchy, certificates expiring per month) as
 * inline SVG and escapes every text the page shows.
 *
 * Every text from the store (subjects, SANs, names, profiles) is escaped
 * twice over: the display escaper first (common/text.h: controls, bidi and
 * invisible characters become visible \x and \u escapes), then for HTML
 * (& < > " ' as character references), so a CSR subject cannot add markup
 * to the page.
 *
 * The map: docs/architecture.md "Where each rule lives".
 */
#ifndef PLANTCA_REPORT_H
#define PLANTCA_REPORT_H

#include <stdio.h>
#include <time.h>

#include "buf.h"
#include "ca.h"

enum {
	REPORT_MONTHS = 12,          /* the chart: this month and the next 11 */
	REPORT_REVOCATIONS = 20,     /* the newest revocations shown */
	REPORT_STALE_DAYS = 3,       /* a delivered CRL this close to nextUpdate is red */
	REPORT_CA_MAX = 256,         /* CAs drawn in the hierarchy (root generations among them) */
	REPORT_CROSS_MAX = 2 * REPORT_CA_MAX,   /* cross-certificates drawn */
};

/* One CA as the diagram draws it. */
typedef struct report_ca {
	const char *name, *parent;   /* parent "": the root */
	const char *subject;         /* RFC 4514 text, unescaped */
	time_t not_after;
	bool revoked;
	bool cross;                  /* issued by a CA other than its parent's key */
	uint64_t gen;                /* key generation (cagen.h), 1 for a CA never rolled */
	bool replaced;               /* a replaced root generation (rootgen.h), not the
	                              * current record: no CA names it as parent */
	const uint8_t *ski;          /* its subjectKeyIdentifier: which box issued a cross */
	size_t ski_len;
} report_ca;

/* A cross-certificate between two of the CAs drawn (indexes into them):
 * after `plantca root roll`, NewWithOld (generation g+1's key signed by
 * g's) and OldWithNew (g's key signed by g+1's) between two root
 * generations, and each issuing CA's certificate from the replaced root
 * (its record's xcert, same key). */
typedef struct report_cross {
	size_t issuer, subject;
	const char *kind;            /* "NewWithOld", "OldWithNew", "previous-root" */
	time_t not_after;
} report_cross;

/* The text s made safe for HTML and SVG: display-escaped, then & < > " '
 * as character references.  NULL writes nothing. */
void report_esc(pc_buf *b, const char *s);

/* The hierarchy of n CAs (parents before children or not: drawn by depth)
 * and the nx cross-certificates between them (dashed lines) as an <svg>
 * element; boxes red when expired or revoked, amber within 90 days of
 * notAfter. */
void svg_hierarchy(pc_buf *b, const report_ca *cas, size_t n, const report_cross *x, size_t nx,
    time_t now);

/* A bar chart, one bar per label with its count (labels "2027-01"), and a
 * last bar "later"; as an <svg> element whose bars carry data-month and
 * data-count. */
void svg_months(pc_buf *b, const char labels[][8], const size_t *counts, size_t n, size_t later);

/* The page for CA home c, into path (atomically, mode 0644) or, with path
 * NULL, to out. */
pc_rc ca_report(ca_ctx *c, const char *path, FILE *out, pc_err *e) PC_CHECK;

#endif
