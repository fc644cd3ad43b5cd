/*
 * svg.c - the pictures of `plantca report` as inline SVG, and the one
 * HTML/SVG text escaper of the page (report.h says why twice over).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "text.h"

void report_esc(pc_buf *b, const char *s)
{
	char *safe;
	const char *p;

	if (s == NULL)
		return;
	if ((safe = pc_text_escape_str(s)) == NULL) {
		/* out of memory: the buffer's sticky failure reports it */
		pc_buf_free(b);
		b->failed = true;
		return;
	}
	for (p = safe; *p; p++) {
		switch (*p) {
		case '&': pc_buf_str(b, "&amp;"); break;
		case '<': pc_buf_str(b, "&lt;"); break;
		case '>': pc_buf_str(b, "&gt;"); break;
		case '"': pc_buf_str(b, "&quot;"); break;
		case '\'': pc_buf_str(b, "&#39;"); break;
		default: pc_buf_byte(b, (uint8_t)*p); break;
		}
	}
	free(safe);
}

/* ----------------------------------------------------------- hierarchy */

enum {
	BOX_W = 220, BOX_H = 64, GAP_X = 24, GAP_Y = 48, MARGIN = 12,
	CN_SHOWN = 30,            /* characters of the subject in a box */
	SOON_DAYS = 90,
};

/* depth of CA i: steps to the root through parents (a parent that is not
 * among the CAs, or a cycle, ends the walk) */
static size_t depth_of(const report_ca *cas, size_t n, size_t i)
{
	size_t d = 0, j, steps;

	for (steps = 0; steps < n && cas[i].parent[0]; steps++) {
		for (j = 0; j < n; j++)
			if (!cas[j].replaced && strcmp(cas[j].name, cas[i].parent) == 0)
				break;
		if (j == n)
			break;
		i = j;
		d++;
	}
	return d;
}

/* The subject's CN if it has one, else the whole subject, cut to
 * CN_SHOWN characters (bytes of escaped text are cut in report_esc's
 * input, which is whole UTF-8 characters here: the cut is at a byte that
 * does not continue a character). */
static void short_subject(const char *subject, char *out, size_t cap)
{
	const char *cn = strstr(subject, "CN=");
	size_t n;

	if (cn == NULL)
		cn = subject;
	else
		cn += 3;
	n = strcspn(cn, ",");
	if (n > CN_SHOWN) {
		n = CN_SHOWN;
		while (n > 0 && ((unsigned char)cn[n] & 0xc0) == 0x80)
			n--;
	}
	if (n >= cap)
		n = cap - 1;
	memcpy(out, cn, n);
	out[n] = '\0';
}

/* One cross-certificate as a dashed line: between two boxes of one row
 * (root generations) from side to side, NewWithOld above the middle and
 * OldWithNew below it; else from the issuer's bottom to the subject's top. */
static void cross_line(pc_buf *b, const report_cross *x, int ix, int iy, int sx, int sy,
    bool same_row)
{
	char until[PC_TIME_TEXT_MAX];
	int x1, y1, x2, y2;

	pc_time_text(x->not_after, until);
	until[10] = '\0';
	if (same_row) {
		int dy = strcmp(x->kind, "NewWithOld") == 0 ? -10 : 10;
		x1 = ix < sx ? ix + BOX_W : ix;
		x2 = ix < sx ? sx : sx + BOX_W;
		y1 = y2 = iy + BOX_H / 2 + dy;
	} else {
		x1 = ix + BOX_W / 2;
		y1 = iy + BOX_H;
		x2 = sx + BOX_W / 2;
		y2 = sy;
	}
	pc_buf_printf(b, "<line class=\"edge cross\" data-kind=\"%s\" data-until=\"%s\" "
	    "x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#555\" stroke-width=\"2\" "
	    "stroke-dasharray=\"6 4\"><title>%s until %s</title></line>\n", x->kind, until, x1, y1,
	    x2, y2, x->kind, until);
}

void svg_hierarchy(pc_buf *b, const report_ca *cas, size_t n, const report_cross *x, size_t nx,
    time_t now)
{
	size_t depth[REPORT_CA_MAX], col[REPORT_CA_MAX], per[REPORT_CA_MAX] = { 0 };
	size_t i, j, k, rows = 0, widest = 1;
	int w, h;

	if (n > REPORT_CA_MAX)
		n = REPORT_CA_MAX;
	for (i = 0; i < n; i++) {
		depth[i] = depth_of(cas, n, i);
		if (depth[i] + 1 > rows)
			rows = depth[i] + 1;
	}
	/* replaced root generations first (oldest first), then the rest: the
	 * generations of the root stand side by side, each next to the one
	 * its cross-certificates join it to */
	for (k = 0; k < 2; k++)
		for (i = 0; i < n; i++)
			if (cas[i].replaced == (k == 0))
				col[i] = per[depth[i]]++;
	for (i = 0; i < rows; i++)
		if (per[i] > widest)
			widest = per[i];
	w = 2 * MARGIN + (int)widest * (BOX_W + GAP_X) - GAP_X;
	h = 2 * MARGIN + (int)rows * (BOX_H + GAP_Y) - GAP_Y;
	if (n == 0)
		h = 2 * MARGIN + BOX_H;
	pc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"hierarchy-svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"CA hierarchy\">\n", w, h, w, h);
#define BOX_X(k) (MARGIN + (int)(((widest - per[depth[k]]) * (BOX_W + GAP_X)) / 2 + \
	    col[k] * (BOX_W + GAP_X)))
#define BOX_Y(k) (MARGIN + (int)depth[k] * (BOX_H + GAP_Y))
	/* the lines first, under the boxes */
	for (i = 0; i < n; i++) {
		for (j = 0; j < n && cas[i].parent[0]; j++) {
			if (cas[j].replaced || strcmp(cas[j].name, cas[i].parent) != 0)
				continue;
			pc_buf_printf(b, "<line class=\"edge%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
			    "stroke=\"#555\" stroke-width=\"2\"%s/>\n", cas[i].cross ? " cross" : "",
			    BOX_X(j) + BOX_W / 2, BOX_Y(j) + BOX_H, BOX_X(i) + BOX_W / 2, BOX_Y(i),
			    cas[i].cross ? " stroke-dasharray=\"6 4\"" : "");
		}
	}
	for (k = 0; k < nx; k++)
		if (x[k].issuer < n && x[k].subject < n)
			cross_line(b, &x[k], BOX_X(x[k].issuer), BOX_Y(x[k].issuer), BOX_X(x[k].subject),
			    BOX_Y(x[k].subject), depth[x[k].issuer] == depth[x[k].subject]);
	for (i = 0; i < n; i++) {
		char until[PC_TIME_TEXT_MAX], cn[4 * CN_SHOWN + 1];
		const char *fill = "#e8f0fe", *state = "valid";
		bool words;
		if (cas[i].revoked) {
			fill = "#f8d0d0";
			state = "revoked";
		} else if (cas[i].not_after <= now) {
			fill = "#f8d0d0";
			state = "expired";
		} else if (cas[i].not_after <= now + (time_t)SOON_DAYS * PC_DAY) {
			fill = "#fff0c0";
			state = "expiring";
		}
		words = strcmp(state, "revoked") == 0 || strcmp(state, "expired") == 0;
		pc_time_text(cas[i].not_after, until);
		until[10] = '\0';
		short_subject(cas[i].subject, cn, sizeof cn);
		pc_buf_printf(b, "<g class=\"ca %s%s%s%s\" data-ca=\"", cas[i].parent[0] ? "issuing" :
		    "root", cas[i].cross ? " cross" : "", cas[i].replaced ? " replaced" : "",
		    strcmp(state, "valid") ? " alert" : "");
		report_esc(b, cas[i].name);
		pc_buf_printf(b, "\" data-gen=\"%" PRIu64 "\" data-state=\"%s\">\n<rect x=\"%d\" y=\"%d\" "
		    "width=\"%d\" height=\"%d\" rx=\"6\" fill=\"%s\" stroke=\"#335\" "
		    "stroke-width=\"1.5\"%s/>\n", cas[i].gen, state, BOX_X(i),
		    BOX_Y(i), BOX_W, BOX_H, fill, cas[i].replaced ? " stroke-dasharray=\"3 3\"" : "");
		pc_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"14\" font-weight=\"bold\">",
		    BOX_X(i) + 8, BOX_Y(i) + 18);
		report_esc(b, cas[i].name);
		if (cas[i].replaced || cas[i].gen > 1)
			pc_buf_printf(b, " gen %" PRIu64 "%s", cas[i].gen,
			    cas[i].replaced ? " (replaced)" : "");
		pc_buf_printf(b, "%s</text>\n<text x=\"%d\" y=\"%d\" font-size=\"12\">",
		    cas[i].parent[0] ? (cas[i].cross ? " (cross)" : "") :
		    strcmp(cas[i].name, "root") ? " (root)" : "", BOX_X(i) + 8,
		    BOX_Y(i) + 36);
		report_esc(b, cn);
		/* the state in words after the date, not by colour alone */
		pc_buf_printf(b, "</text>\n<text x=\"%d\" y=\"%d\" font-size=\"12\">until %s%s%s</text>\n"
		    "</g>\n", BOX_X(i) + 8, BOX_Y(i) + 54, until, words ? " \xe2\x80\x94 " : "",
		    words ? state : "");
	}
#undef BOX_X
#undef BOX_Y
	if (n == 0)
		pc_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"14\">no CA in this store</text>\n",
		    MARGIN, MARGIN + 20);
	pc_buf_str(b, "</svg>\n");
}

/* --------------------------------------------------------------- chart */

enum { BAR_W = 40, BAR_GAP = 12, CHART_H = 160, AXIS = 36, TOP = 20 };

void svg_months(pc_buf *b, const char labels[][8], const size_t *counts, size_t n, size_t later)
{
	size_t i, max = later;
	int w = MARGIN * 2 + (int)(n + 1) * (BAR_W + BAR_GAP);
	int h = TOP + CHART_H + AXIS;

	for (i = 0; i < n; i++)
		if (counts[i] > max)
			max = counts[i];
	pc_buf_printf(b, "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"expiry-svg\" width=\"%d\" "
	    "height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"certificates expiring "
	    "per month\">\n<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333\"/>\n", w, h, w,
	    h, MARGIN, TOP + CHART_H, w - MARGIN, TOP + CHART_H);
	for (i = 0; i <= n; i++) {
		size_t c = i < n ? counts[i] : later;
		const char *label = i < n ? labels[i] : "later";
		int bh = max ? (int)((c * (size_t)CHART_H) / max) : 0;
		int x = MARGIN + (int)i * (BAR_W + BAR_GAP);
		if (c > 0 && bh < 2)
			bh = 2;
		pc_buf_printf(b, "<rect class=\"bar\" data-month=\"%s\" data-count=\"%zu\" x=\"%d\" "
		    "y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n", label, c, x,
		    TOP + CHART_H - bh, BAR_W, bh, i == 0 ? "#c0392b" : "#2e6da4");
		pc_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"12\" text-anchor=\"middle\">%zu"
		    "</text>\n", x + BAR_W / 2, TOP + CHART_H - bh - 4, c);
		pc_buf_printf(b, "<text x=\"%d\" y=\"%d\" font-size=\"11\" text-anchor=\"middle\">%s"
		    "</text>\n", x + BAR_W / 2, TOP + CHART_H + 16, i < n ? label + 2 : label);
	}
	pc_buf_str(b, "</svg>\n");
}
