/* eas_console_html.h — the building blocks the console's page renderers share (internal to
 * eas_console*.c; docs/console.md). Markup is added with eas_put (literal, never data) and data
 * only through eas_put_esc/eas_put3/eas_con_cell, which HTML-escape it. */
#ifndef EAS_CONSOLE_HTML_H
#define EAS_CONSOLE_HTML_H

#include "eas_console.h"

typedef struct eas_sb {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap;
} eas_sb;

void eas_sb_init(eas_sb *b, apr_pool_t *p);
/* Literal markup. */
void eas_put(eas_sb *b, const char *s);
/* Escaped text. */
void eas_put_esc(eas_sb *b, const char *s);
/* Literal pre, escaped text, literal post. */
void eas_put3(eas_sb *b, const char *pre, const char *text, const char *post);

/* pg->base or "". */
const char *eas_con_base(const eas_console_page *pg);
/* base + route + "?k=v&..." (n pairs, empty values left out), query values %-encoded; NOT yet
 * HTML-escaped: pass it through eas_put3/eas_put_esc. */
const char *eas_con_url(apr_pool_t *p, const char *base, const char *route, const char *const *kv,
                        int n);
const char *eas_con_device_url(apr_pool_t *p, const char *base, const char *user, const char *id);

/* The document head, inline style, navigation bar, flash message and <h1>title</h1>. */
void eas_con_page_start(eas_sb *b, const eas_console_page *pg, const char *title);
/* Closes the document and returns it. */
const char *eas_con_page_end(eas_sb *b);

void eas_con_hidden(eas_sb *b, const char *name, const char *value);
void eas_con_text_input(eas_sb *b, const char *label, const char *name, const char *value);
/* A table cell's content: NULL shows as a dimmed dash, so it differs from an empty string. */
void eas_con_cell(eas_sb *b, const char *v);
/* First column whose name is one of names (NULL-terminated), or -1. */
int eas_con_col_of(const eas_table *t, const char *const *names);
/* The cell, or NULL when col < 0. */
const char *eas_con_row_cell(const eas_table *t, int row, int col);
/* A table with id, rows in order or reversed; user/device_id cells link to the device page;
 * JSON cells in <code>. */
void eas_con_table(eas_sb *b, const char *id, const eas_table *t, const char *base, int reverse);

#endif
