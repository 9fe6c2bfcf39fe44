/* eas_admin_table.c — the result table type and its text/JSON renderings (see eas_admin.h). */
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include "eas_admin.h"
#include "eas_audit.h"

eas_table *eas_table_make(apr_pool_t *p, int ncols, const char *const *names,
                          const eas_col_type *types)
{
    eas_table *t = apr_pcalloc(p, sizeof(*t));
    int i;

    t->ncols = ncols;
    t->names = apr_pcalloc(p, sizeof(*t->names) * (apr_size_t)ncols);
    t->types = apr_pcalloc(p, sizeof(*t->types) * (apr_size_t)ncols);
    for (i = 0; i < ncols; ++i) {
        t->names[i] = apr_pstrdup(p, names[i]);
        t->types[i] = types ? types[i] : EAS_COL_TEXT;
    }
    t->rows = apr_array_make(p, 16, sizeof(const char **));
    return t;
}

const char **eas_table_add(eas_table *t)
{
    const char **cells = apr_pcalloc(t->rows->pool, sizeof(*cells) * (apr_size_t)t->ncols);
    APR_ARRAY_PUSH(t->rows, const char **) = cells;
    return cells;
}

const char *eas_table_cell(const eas_table *t, int row, int col)
{
    if (row < 0 || row >= t->rows->nelts || col < 0 || col >= t->ncols) {
        return NULL;
    }
    return APR_ARRAY_IDX(t->rows, row, const char **)[col];
}

int eas_table_col(const eas_table *t, const char *name)
{
    int i;
    for (i = 0; i < t->ncols; ++i) {
        if (strcmp(t->names[i], name) == 0) {
            return i;
        }
    }
    return -1;
}

eas_table *eas_table_from_result(apr_pool_t *p, PGresult *r, const eas_col_type *types)
{
    int ncols = PQnfields(r), i, row;
    const char **names = apr_pcalloc(p, sizeof(*names) * (apr_size_t)(ncols ? ncols : 1));
    eas_table *t;

    for (i = 0; i < ncols; ++i) {
        names[i] = PQfname(r, i);
    }
    t = eas_table_make(p, ncols, names, types);
    for (row = 0; row < PQntuples(r); ++row) {
        const char **cells = eas_table_add(t);
        for (i = 0; i < ncols; ++i) {
            cells[i] = PQgetisnull(r, row, i) ? NULL : apr_pstrdup(p, PQgetvalue(r, row, i));
        }
    }
    return t;
}

/* Display width in characters (UTF-8 continuation bytes do not count). */
static int text_width(const char *s)
{
    int n = 0;
    for (; s && *s; ++s) {
        n += ((unsigned char)*s & 0xC0) != 0x80;
    }
    return n;
}

/* A cell for text output: no value is "-", an empty one "", booleans are yes/no, control characters
 * become spaces so a hostile DeviceType cannot break the layout. */
static const char *text_cell(apr_pool_t *p, const eas_table *t, int row, int col)
{
    const char *v = eas_table_cell(t, row, col);
    char *s, *q;

    if (!v) {
        return "-";
    }
    if (!*v) {
        return "\"\""; /* an empty value (e.g. "no limit") must not look like a gap */
    }
    if (t->types[col] == EAS_COL_BOOL) {
        return (v[0] == 't' || v[0] == '1') ? "yes" : "no";
    }
    s = apr_pstrdup(p, v);
    for (q = s; *q; ++q) {
        if ((unsigned char)*q < 0x20) {
            *q = ' ';
        }
    }
    return s;
}

/* Appends s padded with blanks to width. */
static void pad(apr_array_header_t *out, const char *s, int width)
{
    int n = width - text_width(s);
    APR_ARRAY_PUSH(out, const char *) = s;
    while (n-- > 0) {
        APR_ARRAY_PUSH(out, const char *) = " ";
    }
}

const char *eas_table_render_text(apr_pool_t *p, const eas_table *t)
{
    int *w = apr_pcalloc(p, sizeof(int) * (apr_size_t)(t->ncols ? t->ncols : 1));
    apr_array_header_t *out = apr_array_make(p, 256, sizeof(const char *));
    int row, col;

    for (col = 0; col < t->ncols; ++col) {
        w[col] = text_width(t->names[col]);
        for (row = 0; row < t->rows->nelts; ++row) {
            int n = text_width(text_cell(p, t, row, col));
            w[col] = n > w[col] ? n : w[col];
        }
    }
    for (row = -1; row < t->rows->nelts; ++row) {
        for (col = 0; col < t->ncols; ++col) {
            const char *s = row < 0 ? apr_pstrdup(p, t->names[col]) : text_cell(p, t, row, col);
            if (row < 0) {
                char *u;
                for (u = (char *)s; *u; ++u) {
                    *u = (*u == '_') ? ' ' : (char)apr_toupper(*u);
                }
            }
            if (col == t->ncols - 1) {
                APR_ARRAY_PUSH(out, const char *) = s; /* no trailing blanks */
            } else {
                pad(out, s, w[col]);
                APR_ARRAY_PUSH(out, const char *) = "  ";
            }
        }
        APR_ARRAY_PUSH(out, const char *) = "\n";
    }
    if (!t->rows->nelts) {
        APR_ARRAY_PUSH(out, const char *) = "(none)\n";
    }
    return apr_array_pstrcat(p, out, 0);
}

const char *eas_table_render_record(apr_pool_t *p, const eas_table *t, int row)
{
    apr_array_header_t *out = apr_array_make(p, 128, sizeof(const char *));
    int col, w = 0;

    for (col = 0; col < t->ncols; ++col) {
        int n = text_width(t->names[col]);
        w = n > w ? n : w;
    }
    for (col = 0; col < t->ncols; ++col) {
        pad(out, apr_pstrcat(p, t->names[col], ":", NULL), w + 1);
        APR_ARRAY_PUSH(out, const char *) = " ";
        APR_ARRAY_PUSH(out, const char *) = text_cell(p, t, row, col);
        APR_ARRAY_PUSH(out, const char *) = "\n";
    }
    return apr_array_pstrcat(p, out, 0);
}

static const char *json_value(apr_pool_t *p, eas_col_type type, const char *v)
{
    if (!v) {
        return "null";
    }
    switch (type) {
    case EAS_COL_INT:
        return *v ? v : "null";
    case EAS_COL_BOOL:
        return (v[0] == 't' || v[0] == '1') ? "true" : "false";
    case EAS_COL_JSON:
        return *v ? v : "null";
    default:
        return eas_json_str(p, v);
    }
}

const char *eas_table_render_json_row(apr_pool_t *p, const eas_table *t, int row)
{
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    int col;

    APR_ARRAY_PUSH(out, const char *) = "{";
    for (col = 0; col < t->ncols; ++col) {
        APR_ARRAY_PUSH(out, const char *) = col ? ", " : "";
        APR_ARRAY_PUSH(out, const char *) = eas_json_str(p, t->names[col]);
        APR_ARRAY_PUSH(out, const char *) = ": ";
        APR_ARRAY_PUSH(out, const char *) =
            json_value(p, t->types[col], eas_table_cell(t, row, col));
    }
    APR_ARRAY_PUSH(out, const char *) = "}";
    return apr_array_pstrcat(p, out, 0);
}

const char *eas_table_render_json(apr_pool_t *p, const eas_table *t)
{
    apr_array_header_t *out = apr_array_make(p, 64, sizeof(const char *));
    int row;

    APR_ARRAY_PUSH(out, const char *) = "[";
    for (row = 0; row < t->rows->nelts; ++row) {
        APR_ARRAY_PUSH(out, const char *) = row ? ",\n  " : "\n  ";
        APR_ARRAY_PUSH(out, const char *) = eas_table_render_json_row(p, t, row);
    }
    APR_ARRAY_PUSH(out, const char *) = t->rows->nelts ? "\n]" : "]";
    return apr_array_pstrcat(p, out, 0);
}
