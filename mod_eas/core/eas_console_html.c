/* eas_console_html.c — the building blocks of every console page (see eas_console_html.h): a
 * growing buffer whose only way to add data is escaped, the layout, forms and tables. */
#include <string.h>

#include <apr_strings.h>

#include "eas_console_html.h"

void eas_sb_init(eas_sb *b, apr_pool_t *p)
{
    b->p = p;
    b->cap = 8192;
    b->len = 0;
    b->buf = apr_palloc(p, b->cap);
    b->buf[0] = '\0';
}

void eas_put(eas_sb *b, const char *s)
{
    apr_size_t n = strlen(s);
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = b->cap * 2;
        char *nb;
        while (b->len + n + 1 > cap) {
            cap *= 2;
        }
        nb = apr_palloc(b->p, cap);
        memcpy(nb, b->buf, b->len);
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, s, n + 1);
    b->len += n;
}

/* Escaped text. */
void eas_put_esc(eas_sb *b, const char *s)
{
    eas_put(b, eas_html_escape(b->p, s));
}

/* Raw markup (literal) followed by escaped text followed by raw markup. */
void eas_put3(eas_sb *b, const char *pre, const char *text, const char *post)
{
    eas_put(b, pre);
    eas_put_esc(b, text);
    eas_put(b, post);
}

const char *eas_con_base(const eas_console_page *pg)
{
    return pg && pg->base ? pg->base : "";
}

/* base + route + "?k=v&..." (n pairs, empty values left out); the result is NOT yet escaped for
 * HTML: callers pass it through put_esc (so "&" becomes "&amp;" in the attribute). */
const char *eas_con_url(apr_pool_t *p, const char *base, const char *route, const char *const *kv,
                        int n)
{
    const char *u = apr_pstrcat(p, base, route, NULL);
    char sep = '?';
    int i;

    for (i = 0; i < n; ++i) {
        const char *v = kv[2 * i + 1];
        if (v && *v) {
            u = apr_psprintf(p, "%s%c%s=%s", u, sep, kv[2 * i], eas_url_escape(p, v));
            sep = '&';
        }
    }
    return u;
}

const char *eas_con_device_url(apr_pool_t *p, const char *base, const char *user, const char *id)
{
    const char *kv[] = {"user", user, "id", id};
    return eas_con_url(p, base, "/device", kv, 2);
}

static const char style[] =
    "body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}"
    "nav{background:#2d3e50;color:#fff;padding:.5em 1em;display:flex;gap:1em;align-items:center}"
    "nav a{color:#fff;text-decoration:none}nav a:hover{text-decoration:underline}"
    "nav .admin{margin-left:auto;opacity:.8}"
    "main{padding:1em}h1{font-size:1.4em}"
    "table{border-collapse:collapse;background:#fff}"
    "th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
    "th{background:#eee}th a{color:inherit}tr:nth-child(even) td{background:#f5f5f5}"
    "dl#device{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}"
    "dt{font-weight:bold}dd{margin:0}.null{color:#999}"
    ".flash{padding:.5em 1em;margin:1em;border:1px solid #4a4;background:#efe}"
    ".flash.error{border-color:#c44;background:#fee}"
    "form.filter{margin:.5em 0}form.filter label{margin-right:1em}"
    ".actions{display:flex;flex-wrap:wrap;gap:.5em;margin:.5em 0}"
    "form.action{display:inline}button.danger{background:#c44;color:#fff;border:1px solid #a22}"
    "code{white-space:pre-wrap;word-break:break-all}"
    "tr.here td{background:#eef6ff}small.help,small.default{color:#666}#chain{margin:.5em 0}";

void eas_con_page_start(eas_sb *b, const eas_console_page *pg, const char *title)
{
    const char *base = eas_con_base(pg);

    eas_put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    eas_put3(b, "<title>", title, " - mod_eas console</title>\n");
    eas_put(b, "<style>");
    eas_put(b, style);
    eas_put(b, "</style>\n</head>\n<body>\n<nav>");
    eas_put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/", NULL), "\">Overview</a>");
    eas_put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/devices", NULL), "\">Devices</a>");
    eas_put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/audit", NULL), "\">Audit</a>");
    eas_put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/policies", NULL), "\">Policies</a>");
    eas_put3(b, "<span class=\"admin\">", pg ? pg->admin : NULL, "</span>");
    eas_put(b, "</nav>\n");
    if (pg && pg->flash) {
        eas_put(b, pg->flash_error ? "<div class=\"flash error\" role=\"alert\">"
                                   : "<div class=\"flash\" role=\"status\">");
        eas_put_esc(b, pg->flash);
        eas_put(b, "</div>\n");
    }
    eas_put3(b, "<main>\n<h1>", title, "</h1>\n");
}

const char *eas_con_page_end(eas_sb *b)
{
    eas_put(b, "</main>\n</body>\n</html>\n");
    return b->buf;
}

void eas_con_hidden(eas_sb *b, const char *name, const char *value)
{
    eas_put3(b, "<input type=\"hidden\" name=\"", name, "\" value=\"");
    eas_put_esc(b, value);
    eas_put(b, "\">");
}

void eas_con_text_input(eas_sb *b, const char *label, const char *name, const char *value)
{
    eas_put3(b, "<label>", label, " ");
    eas_put3(b, "<input type=\"text\" name=\"", name, "\" value=\"");
    eas_put_esc(b, value);
    eas_put(b, "\"></label>");
}

/* A cell: NULL shows as a dimmed dash so it differs from an empty string. */
void eas_con_cell(eas_sb *b, const char *v)
{
    if (v) {
        eas_put_esc(b, v);
    } else {
        eas_put(b, "<span class=\"null\">&#8212;</span>");
    }
}

/* First column whose name is one of names (NULL-terminated), or -1. */
int eas_con_col_of(const eas_table *t, const char *const *names)
{
    int c;
    for (; t && *names; ++names) {
        if ((c = eas_table_col(t, *names)) >= 0) {
            return c;
        }
    }
    return -1;
}

const char *eas_con_row_cell(const eas_table *t, int row, int col)
{
    return col >= 0 ? eas_table_cell(t, row, col) : NULL;
}

/* A generic table, rows in order or reversed; user/device_id cells link to the device page. */
void eas_con_table(eas_sb *b, const char *id, const eas_table *t, const char *base, int reverse)
{
    int ucol = eas_table_col(t, "user"), dcol = eas_table_col(t, "device_id"), n, i, c;

    eas_put3(b, "<table id=\"", id, "\">\n<thead><tr>");
    for (c = 0; c < t->ncols; ++c) {
        eas_put3(b, "<th>", t->names[c], "</th>");
    }
    eas_put(b, "</tr></thead>\n<tbody>\n");
    n = t->rows ? t->rows->nelts : 0;
    for (i = 0; i < n; ++i) {
        int r = reverse ? n - 1 - i : i;
        const char *u = eas_con_row_cell(t, r, ucol), *d = eas_con_row_cell(t, r, dcol);
        eas_put(b, "<tr>");
        for (c = 0; c < t->ncols; ++c) {
            const char *v = eas_table_cell(t, r, c);
            eas_put(b, "<td>");
            if (c == dcol && u && d) {
                eas_put3(b, "<a href=\"", eas_con_device_url(b->p, base, u, d), "\">");
                eas_con_cell(b, v);
                eas_put(b, "</a>");
            } else if (t->types && t->types[c] == EAS_COL_JSON && v) {
                eas_put3(b, "<code>", v, "</code>");
            } else {
                eas_con_cell(b, v);
            }
            eas_put(b, "</td>");
        }
        eas_put(b, "</tr>\n");
    }
    if (n == 0) {
        eas_put(b, apr_psprintf(b->p, "<tr><td colspan=\"%d\" class=\"null\">(none)</td></tr>\n",
                                t->ncols > 0 ? t->ncols : 1));
    }
    eas_put(b, "</tbody>\n</table>\n");
}
