/* eas_console_overview.c — the console's overview page (see eas_console.h, docs/console.md):
 * totals, devices by state and requests per hour as an inline SVG bar chart plus the same
 * numbers as a table. The chart is drawn here from numbers, so no script and no external
 * resource is needed (the CSP allows neither); every text from the tables is escaped. */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "eas_console.h"
#include "eas_console_html.h"

/* Chart geometry in SVG user units (the viewBox scales it to the page's width). */
#define CH_LEFT   44 /* room for the y-axis labels */
#define CH_TOP    12
#define CH_HEIGHT 160 /* the highest bar */
#define CH_BAR    12  /* one hour: a 10-wide bar and a gap */
#define CH_BOTTOM 34  /* room for the hour labels */
#define CH_RIGHT  8
/* Beyond any real count; keeps the sums and products below from overflowing. */
#define CH_CAP APR_INT64_C(1000000000000000)

typedef struct seg_def {
    const char *col, *label, *fill;
} seg_def;

/* bottom to top */
static const seg_def segs[] = {
    {"sync", "Sync", "#2d6ca2"},
    {"ping", "Ping", "#8fb8de"},
    {"other", "other", "#b0b0b0"},
};
#define NSEGS ((int)(sizeof(segs) / sizeof(segs[0])))

/* A count cell as a number: absent, malformed or negative is 0, huge is capped. */
static apr_int64_t count_of(const eas_table *t, int row, int col)
{
    const char *v = eas_con_row_cell(t, row, col);
    char *end;
    apr_int64_t n;

    if (!v || !*v) {
        return 0;
    }
    n = apr_strtoi64(v, &end, 10);
    if (*end || n < 0) {
        return 0;
    }
    return n > CH_CAP ? CH_CAP : n;
}

/* Height of count on a scale where max fills CH_HEIGHT, rounded up so that any request shows. */
static apr_int64_t scaled(apr_int64_t count, apr_int64_t max)
{
    return max > 0 ? (count * CH_HEIGHT + max - 1) / max : 0;
}

static const char *kind_caption(const char *kind)
{
    if (!strcmp(kind, "access")) {
        return "Access";
    }
    if (!strcmp(kind, "wipe")) {
        return "Remote wipe";
    }
    if (!strcmp(kind, "policy")) {
        return "Policy";
    }
    return kind;
}

/* One small table per kind, in the order the rows come; the counts of the kinds the device list
 * filters on (access, wipe and policy: distinct words) link to it filtered by that state. */
static void state_tables(eas_sb *b, const eas_table *t, const char *base)
{
    int kcol = eas_table_col(t, "kind"), scol = eas_table_col(t, "state");
    int ncol = eas_table_col(t, "devices"), n = t->rows ? t->rows->nelts : 0, i;
    const char *open = NULL;

    eas_put(b, "<div id=\"states\" style=\"display:flex;flex-wrap:wrap;gap:1.5em;"
               "align-items:flex-start\">\n");
    for (i = 0; i < n; ++i) {
        const char *kind = eas_con_row_cell(t, i, kcol), *state = eas_con_row_cell(t, i, scol);
        const char *count = eas_con_row_cell(t, i, ncol);
        kind = kind ? kind : "";
        if (!open || strcmp(open, kind) != 0) {
            if (open) {
                eas_put(b, "</tbody>\n</table>\n");
            }
            open = kind;
            eas_put3(b, "<table id=\"states-", kind, "\">");
            eas_put3(b, "<caption style=\"text-align:left;font-weight:bold\">", kind_caption(kind),
                     "</caption>\n<thead><tr><th>state</th><th>devices</th></tr></thead>\n"
                     "<tbody>\n");
        }
        eas_put(b, "<tr><td>");
        eas_con_cell(b, state);
        eas_put3(b, "</td><td style=\"text-align:right\" id=\"count-", kind, "-");
        eas_put3(b, "", state, "\">");
        if (state &&
            (!strcmp(kind, "access") || !strcmp(kind, "wipe") || !strcmp(kind, "policy"))) {
            const char *kv[] = {"state", state};
            eas_put3(b, "<a href=\"", eas_con_url(b->p, base, "/devices", kv, 1), "\">");
            eas_con_cell(b, count);
            eas_put(b, "</a>");
        } else {
            eas_con_cell(b, count);
        }
        eas_put(b, "</td></tr>\n");
    }
    if (open) {
        eas_put(b, "</tbody>\n</table>\n");
    }
    eas_put(b, "</div>\n");
}

/* "HH" of an ISO 8601 hour ("2024-05-01T18:00:00Z"), or -1 when the cell is something else. */
static int hour_of(const char *iso)
{
    if (!iso || strlen(iso) < 16 || iso[10] != 'T' || !apr_isdigit(iso[11]) ||
        !apr_isdigit(iso[12]) || iso[13] != ':') {
        return -1;
    }
    return (iso[11] - '0') * 10 + (iso[12] - '0');
}

static void chart(eas_sb *b, const eas_table *t)
{
    apr_pool_t *p = b->p;
    int hcol = eas_table_col(t, "hour"), tcol = eas_table_col(t, "total");
    int n = t->rows ? t->rows->nelts : 0, scols[NSEGS], i, k;
    int width = CH_LEFT + n * CH_BAR + CH_RIGHT, base_y = CH_TOP + CH_HEIGHT;
    apr_int64_t max = 0, sum = 0;

    for (k = 0; k < NSEGS; ++k) {
        scols[k] = eas_table_col(t, segs[k].col);
    }
    for (i = 0; i < n; ++i) {
        apr_int64_t v = count_of(t, i, tcol);
        max = v > max ? v : max;
        sum += v;
    }

    eas_put(b,
            apr_psprintf(p,
                         "<svg id=\"syncs-chart\" role=\"img\" viewBox=\"0 0 %d %d\" "
                         "style=\"max-width:%dpx;width:100%%;height:auto;background:#fff;"
                         "border:1px solid #ccc\" "
                         "font-family=\"system-ui,sans-serif\" font-size=\"10\" "
                         "aria-label=\"Requests per hour over the last %d hours: %" APR_INT64_T_FMT
                         " in all, "
                         "at most %" APR_INT64_T_FMT " in one hour\">\n",
                         width, base_y + CH_BOTTOM, width * 2, n, sum, max));
    /* axes: the top line is the highest hour, labelled with its count */
    eas_put(b, apr_psprintf(
                   p,
                   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#ddd\"/>\n"
                   "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n"
                   "<text class=\"y-max\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%" APR_INT64_T_FMT
                   "</text>\n"
                   "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">0</text>\n",
                   CH_LEFT, CH_TOP, width - CH_RIGHT, CH_TOP, CH_LEFT, base_y, width - CH_RIGHT,
                   base_y, CH_LEFT - 4, CH_TOP + 4, max, CH_LEFT - 4, base_y));
    for (i = 0; i < n; ++i) {
        const char *hour = eas_con_row_cell(t, i, hcol);
        apr_int64_t total = count_of(t, i, tcol), cum = 0, prev_h = 0;
        int x = CH_LEFT + i * CH_BAR + 1, hh = hour_of(hour);

        eas_put3(b, "<g class=\"bar\" data-hour=\"", hour, "\"");
        eas_put(b, apr_psprintf(p, " data-total=\"%" APR_INT64_T_FMT "\">", total));
        eas_put3(b, "<title>", hour ? hour : "?", "");
        eas_put(
            b, apr_psprintf(p, ": %" APR_INT64_T_FMT " request%s (", total, total == 1 ? "" : "s"));
        for (k = 0; k < NSEGS; ++k) {
            eas_put(b, apr_psprintf(p, "%s%s %" APR_INT64_T_FMT "", k ? ", " : "", segs[k].label,
                                    count_of(t, i, scols[k])));
        }
        eas_put(b, ")</title>");
        /* transparent full-height target, so that the title shows over short bars too */
        eas_put(b, apr_psprintf(p,
                                "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"#000\" "
                                "fill-opacity=\"0\"/>",
                                x - 1, CH_TOP, CH_BAR, CH_HEIGHT));
        /* stacked from the bottom; cumulative heights, so the rounding never leaves gaps */
        for (k = 0; k < NSEGS; ++k) {
            apr_int64_t h;
            cum += count_of(t, i, scols[k]);
            if (cum > total) {
                cum = total; /* inconsistent cells: never draw beyond the bar's total */
            }
            h = scaled(cum, max);
            if (h > prev_h) {
                eas_put(b, apr_psprintf(p,
                                        "<rect class=\"%s\" x=\"%d\" y=\"%" APR_INT64_T_FMT
                                        "\" width=\"%d\" "
                                        "height=\"%" APR_INT64_T_FMT "\" fill=\"%s\"/>",
                                        segs[k].col, x, base_y - h, CH_BAR - 2, h - prev_h,
                                        segs[k].fill));
            }
            prev_h = h;
        }
        /* what the three parts leave unexplained (cells from elsewhere) is drawn as other */
        if (scaled(total, max) > prev_h) {
            apr_int64_t h = scaled(total, max);
            eas_put(b, apr_psprintf(p,
                                    "<rect class=\"other\" x=\"%d\" y=\"%" APR_INT64_T_FMT
                                    "\" width=\"%d\" "
                                    "height=\"%" APR_INT64_T_FMT "\" fill=\"%s\"/>",
                                    x, base_y - h, CH_BAR - 2, h - prev_h, segs[NSEGS - 1].fill));
        }
        eas_put(b, "</g>\n");
        /* an hour label every six hours, the date under midnight */
        if (hh >= 0 && hh % 6 == 0) {
            eas_put(b, apr_psprintf(p,
                                    "<text class=\"x-label\" x=\"%d\" y=\"%d\" "
                                    "text-anchor=\"middle\">%02d:00</text>",
                                    x + CH_BAR / 2 - 1, base_y + 13, hh));
            if (hh == 0) {
                eas_put(b, apr_psprintf(p, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">",
                                        x + CH_BAR / 2 - 1, base_y + 26));
                eas_put_esc(b, apr_pstrndup(p, hour + 5, 5)); /* MM-DD */
                eas_put(b, "</text>");
            }
            eas_put(b, "\n");
        }
    }
    if (n == 0) {
        eas_put(b, apr_psprintf(p, "<text x=\"%d\" y=\"%d\">no data</text>\n", CH_LEFT + 8,
                                CH_TOP + CH_HEIGHT / 2));
    }
    eas_put(b, "</svg>\n<p class=\"legend\">");
    for (k = 0; k < NSEGS; ++k) {
        eas_put3(b, "<span style=\"color:", segs[k].fill, "\">&#9632;</span> ");
        eas_put3(b, "", segs[k].label, " &#160; ");
    }
    eas_put(b, "Hours in UTC, the current hour last.</p>\n");
}

const char *eas_console_overview(apr_pool_t *p, const eas_console_page *pg,
                                 const eas_admin_overview *ov)
{
    const char *base = eas_con_base(pg);
    eas_sb b;

    eas_sb_init(&b, p);
    eas_con_page_start(&b, pg, "Overview");
    if (!ov) {
        eas_put(&b, "<p class=\"null\">No data.</p>\n");
        return eas_con_page_end(&b);
    }
    eas_put(&b, "<dl id=\"totals\" style=\"display:grid;grid-template-columns:max-content 1fr;"
                "gap:.2em 1em\">\n");
    eas_put3(&b, "<dt>Devices</dt><dd><a id=\"device-total\" href=\"",
             apr_pstrcat(p, base, "/devices", NULL), "\">");
    eas_put(&b, apr_psprintf(p, "%" APR_INT64_T_FMT "</a></dd>\n", ov->devices));
    eas_put(&b, apr_psprintf(p, "<dt>Users</dt><dd id=\"user-total\">%" APR_INT64_T_FMT "</dd>\n",
                             ov->users));
    eas_put(&b, apr_psprintf(p,
                             "<dt>Held Pings now</dt><dd><span id=\"held-pings\">%" APR_INT64_T_FMT
                             "</span> "
                             "<span class=\"null\">(Direct Push requests waiting for a "
                             "change)</span></dd>\n",
                             ov->held_pings));
    eas_put(&b, "</dl>\n");

    eas_put(&b, "<h2>Devices by state</h2>\n");
    if (ov->states) {
        state_tables(&b, ov->states, base);
    } else {
        eas_put(&b, "<p class=\"null\">No data.</p>\n");
    }

    eas_put(&b, "<h2>Requests per hour</h2>\n");
    if (ov->syncs) {
        chart(&b, ov->syncs);
        eas_put(&b, "<details><summary>As a table</summary>\n");
        eas_con_table(&b, "syncs-table", ov->syncs, base, 1);
        eas_put(&b, "</details>\n");
    } else {
        eas_put(&b, "<p class=\"null\">No data.</p>\n");
    }
    return eas_con_page_end(&b);
}
