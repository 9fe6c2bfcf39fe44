/* eas_html.c — HTML escaping shared by the console pages and composed mail (eas_html.h). */
#include <string.h>

#include "eas_html.h"

const char *eas_html_escape(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;

    if (!s) {
        return "";
    }
    for (c = s; *c; ++c) {
        switch (*c) {
        case '&':
            n += 5;
            break;
        case '<':
        case '>':
            n += 4;
            break;
        case '"':
            n += 6;
            break;
        case '\'':
            n += 5;
            break;
        default:
            n += 1;
        }
    }
    if (n == (apr_size_t)(c - s)) {
        return s; /* nothing to escape: no copy */
    }
    o = out = apr_palloc(p, n + 1);
    for (c = s; *c; ++c) {
        const char *rep;
        switch (*c) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&#39;";
            break;
        default:
            *o++ = *c;
            continue;
        }
        memcpy(o, rep, strlen(rep));
        o += strlen(rep);
    }
    *o = '\0';
    return out;
}
