/* eas_vcard.c — a small vCard reader/writer: content lines kept as name, group, parameters and
 * raw value, so nothing a card carries is lost between reading and writing it. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "eas_pim.h"
#include "eas_vcard.h"

#define FOLD_AT 75 /* octets per physical line, CRLF excluded (RFC 6350 3.2) */

/* ---- a growable string in a pool (geometric, so long PHOTO lines stay linear) -------------- */

typedef struct sbuf {
    apr_pool_t *p;
    char *s;
    apr_size_t len, cap;
} sbuf;

static void sb_init(sbuf *b, apr_pool_t *p, apr_size_t cap)
{
    b->p = p;
    b->cap = cap < 64 ? 64 : cap;
    b->s = apr_palloc(p, b->cap);
    b->len = 0;
    b->s[0] = '\0';
}

static void sb_addn(sbuf *b, const char *s, apr_size_t n)
{
    if (b->len + n + 1 > b->cap) {
        apr_size_t cap = b->cap * 2;
        char *ns;
        while (cap < b->len + n + 1) {
            cap *= 2;
        }
        ns = apr_palloc(b->p, cap);
        memcpy(ns, b->s, b->len);
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

static void sb_add(sbuf *b, const char *s)
{
    sb_addn(b, s, strlen(s));
}

static void sb_addc(sbuf *b, char c)
{
    sb_addn(b, &c, 1);
}

/* ---- unfolding --------------------------------------------------------------------------------
 */

/* Whether the logical line [start, end) is a vCard 2.1 quoted-printable one ending in a soft
 * line break ('='), whose continuation lines are not indented. */
static int qp_soft_break(const char *start, apr_size_t n)
{
    const char *colon = memchr(start, ':', n);
    apr_size_t i, head;
    if (n == 0 || start[n - 1] != '=' || !colon) {
        return 0;
    }
    head = (apr_size_t)(colon - start);
    for (i = 0; i + 16 <= head; ++i) {
        if (strncasecmp(start + i, "QUOTED-PRINTABLE", 16) == 0) {
            return 1;
        }
    }
    return 0;
}

/* Logical lines of text separated by eol; with qp, 2.1 soft line breaks are joined as well. */
static const char *unfold(apr_pool_t *p, const char *text, const char *eol, int qp)
{
    sbuf b;
    apr_size_t line_start = 0;
    const char *s = text;
    sb_init(&b, p, strlen(text) + 1);
    while (*s) {
        if (*s == '\r' || *s == '\n') {
            const char *next = s + ((*s == '\r' && s[1] == '\n') ? 2 : 1);
            if (*next == ' ' || *next == '\t') {
                s = next + 1; /* folded: the break and one white space character vanish */
                continue;
            }
            if (qp && qp_soft_break(b.s + line_start, b.len - line_start)) {
                b.s[--b.len] = '\0';
                s = next;
                continue;
            }
            sb_add(&b, eol);
            line_start = b.len;
            s = next;
            continue;
        }
        sb_addc(&b, *s++);
    }
    return b.s;
}

const char *eas_vcard_unfold(apr_pool_t *p, const char *text)
{
    return unfold(p, text, "\r\n", 0);
}

/* ---- folding ----------------------------------------------------------------------------------
 */

static apr_size_t utf8_len(unsigned char c)
{
    if (c >= 0xf0) {
        return 4;
    }
    if (c >= 0xe0) {
        return 3;
    }
    if (c >= 0xc0) {
        return 2;
    }
    return 1;
}

const char *eas_vcard_fold(apr_pool_t *p, const char *line)
{
    sbuf b;
    apr_size_t col = 0, n = strlen(line), i = 0;
    sb_init(&b, p, n + n / 60 * 3 + 8);
    while (i < n) {
        apr_size_t k = utf8_len((unsigned char)line[i]);
        if (i + k > n) {
            k = n - i;
        }
        if (col + k > FOLD_AT) {
            sb_add(&b, "\r\n ");
            col = 1;
        }
        sb_addn(&b, line + i, k);
        col += k;
        i += k;
    }
    sb_add(&b, "\r\n");
    return b.s;
}

/* ---- cards and properties ---------------------------------------------------------------------
 */

eas_vcard *eas_vcard_new(apr_pool_t *p)
{
    eas_vcard *c = apr_pcalloc(p, sizeof(*c));
    c->pool = p;
    c->version = "4.0";
    c->props = apr_array_make(p, 32, sizeof(eas_vcard_prop *));
    return c;
}

static eas_vcard_prop *prop_new(eas_vcard *c, const char *group, const char *name, const char *raw)
{
    eas_vcard_prop *pr = apr_pcalloc(c->pool, sizeof(*pr));
    char *n = apr_pstrdup(c->pool, name), *u;
    for (u = n; *u; ++u) {
        *u = (char)toupper((unsigned char)*u);
    }
    pr->group = group;
    pr->name = n;
    pr->params = apr_array_make(c->pool, 2, sizeof(eas_vcard_param));
    pr->value = raw ? raw : "";
    APR_ARRAY_PUSH(c->props, eas_vcard_prop *) = pr;
    return pr;
}

eas_vcard_prop *eas_vcard_add(eas_vcard *c, const char *name, const char *raw)
{
    return prop_new(c, NULL, name, raw);
}

eas_vcard_prop *eas_vcard_add_text(eas_vcard *c, const char *name, const char *text)
{
    return prop_new(c, NULL, name, eas_pim_escape(c->pool, text ? text : ""));
}

void eas_vcard_add_param(eas_vcard_prop *pr, const char *name, const char *value)
{
    eas_vcard_param *pa = apr_array_push(pr->params);
    char *n = apr_pstrdup(pr->params->pool, name), *u;
    for (u = n; *u; ++u) {
        *u = (char)toupper((unsigned char)*u);
    }
    pa->name = n;
    pa->value = value ? value : "";
}

void eas_vcard_del_param(eas_vcard_prop *pr, const char *name)
{
    int i, j = 0;
    eas_vcard_param *pa = (eas_vcard_param *)pr->params->elts;
    for (i = 0; i < pr->params->nelts; ++i) {
        if (strcasecmp(pa[i].name, name) != 0) {
            pa[j++] = pa[i];
        }
    }
    pr->params->nelts = j;
}

void eas_vcard_remove(eas_vcard *c, int i)
{
    if (i >= 0 && i < c->props->nelts) {
        APR_ARRAY_IDX(c->props, i, eas_vcard_prop *) = NULL;
    }
}

eas_vcard_prop *eas_vcard_get(const eas_vcard *c, const char *name, int *i)
{
    int k;
    for (k = 0; k < c->props->nelts; ++k) {
        eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, k, eas_vcard_prop *);
        if (pr && strcasecmp(pr->name, name) == 0) {
            if (i) {
                *i = k;
            }
            return pr;
        }
    }
    return NULL;
}

const char *eas_vcard_get_param(const eas_vcard_prop *pr, const char *name)
{
    int i;
    for (i = 0; i < pr->params->nelts; ++i) {
        const eas_vcard_param *pa = &APR_ARRAY_IDX(pr->params, i, eas_vcard_param);
        if (strcasecmp(pa->name, name) == 0) {
            return pa->value;
        }
    }
    return NULL;
}

int eas_vcard_has_type(const eas_vcard_prop *pr, const char *type)
{
    apr_size_t n = strlen(type);
    int i;
    for (i = 0; i < pr->params->nelts; ++i) {
        const eas_vcard_param *pa = &APR_ARRAY_IDX(pr->params, i, eas_vcard_param);
        const char *s = pa->value;
        if (strcasecmp(pa->name, "TYPE") != 0) {
            continue;
        }
        while (*s) {
            apr_size_t k = strcspn(s, ",");
            if (k == n && strncasecmp(s, type, n) == 0) {
                return 1;
            }
            s += k;
            s += *s == ',';
        }
    }
    return 0;
}

int eas_vcard_pref(const eas_vcard_prop *pr)
{
    const char *v = eas_vcard_get_param(pr, "PREF");
    if (v && atoi(v) >= 1 && atoi(v) <= 100) {
        return atoi(v);
    }
    return eas_vcard_has_type(pr, "pref") ? 1 : 101;
}

const char *eas_vcard_text(apr_pool_t *p, const eas_vcard_prop *pr)
{
    return eas_pim_unescape(p, pr->value);
}

int eas_vcard_fields(apr_pool_t *p, const char *raw, char sep, const char ***out)
{
    apr_array_header_t *a = apr_array_make(p, 8, sizeof(const char *));
    const char *s = raw, *start = raw;
    for (;; ++s) {
        if (*s == '\\' && s[1]) {
            ++s;
            continue;
        }
        if (*s == sep || !*s) {
            APR_ARRAY_PUSH(a, const char *) =
                eas_pim_unescape(p, apr_pstrndup(p, start, (apr_size_t)(s - start)));
            if (!*s) {
                break;
            }
            start = s + 1;
        }
    }
    *out = (const char **)a->elts;
    return a->nelts;
}

const char *eas_vcard_join(apr_pool_t *p, const char *const *texts, int n, char sep)
{
    sbuf b;
    int i;
    sb_init(&b, p, 64);
    for (i = 0; i < n; ++i) {
        if (i) {
            sb_addc(&b, sep);
        }
        sb_add(&b, eas_pim_escape(p, texts[i] ? texts[i] : ""));
    }
    return b.s;
}

/* ---- reading ----------------------------------------------------------------------------------
 */

/* RFC 6868: ^n newline, ^' double quote, ^^ caret. */
static const char *caret_decode(apr_pool_t *p, const char *s, apr_size_t n)
{
    char *out = apr_palloc(p, n + 1), *o = out;
    apr_size_t i;
    for (i = 0; i < n; ++i) {
        if (s[i] == '^' && i + 1 < n && (s[i + 1] == 'n' || s[i + 1] == '\'' || s[i + 1] == '^')) {
            ++i;
            *o++ = s[i] == 'n' ? '\n' : s[i] == '\'' ? '"' : '^';
        } else if (s[i] != '"') {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = (char)toupper((unsigned char)c);
    return (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
}

static const char *qp_decode(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) + 1), *o = out;
    while (*s) {
        if (*s == '=' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
            *o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
            s += 3;
        } else {
            *o++ = *s++;
        }
    }
    *o = '\0';
    return out;
}

static const char *latin1_to_utf8(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, strlen(s) * 2 + 1), *o = out;
    for (; *s; ++s) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x80) {
            *o++ = (char)c;
        } else {
            *o++ = (char)(0xc0 | (c >> 6));
            *o++ = (char)(0x80 | (c & 0x3f));
        }
    }
    *o = '\0';
    return out;
}

static int is_encoding_word(const char *s, apr_size_t n)
{
    static const char *const words[] = {"BASE64", "QUOTED-PRINTABLE", "8BIT", "7BIT", "B"};
    size_t i;
    for (i = 0; i < sizeof(words) / sizeof(words[0]); ++i) {
        if (strlen(words[i]) == n && strncasecmp(s, words[i], n) == 0) {
            return 1;
        }
    }
    return 0;
}

/* One logical line → a property of c; 0 when the line has no ':' (skipped). */
static eas_vcard_prop *read_line(eas_vcard *c, const char *line)
{
    apr_pool_t *p = c->pool;
    const char *s = line, *colon = NULL, *tok, *dot;
    eas_vcard_prop *pr;
    int quoted = 0;
    apr_size_t k;
    for (; *s; ++s) {
        if (*s == '"') {
            quoted = !quoted;
        } else if (*s == ':' && !quoted) {
            colon = s;
            break;
        }
    }
    if (!colon) {
        return NULL;
    }
    k = strcspn(line, ";:");
    tok = apr_pstrndup(p, line, k);
    dot = strrchr(tok, '.');
    pr = prop_new(c, dot ? apr_pstrndup(p, tok, (apr_size_t)(dot - tok)) : NULL,
                  dot ? dot + 1 : tok, apr_pstrdup(p, colon + 1));
    s = line + k;
    while (s < colon) {
        const char *start = ++s, *eq = NULL;
        quoted = 0;
        for (; s < colon && (quoted || *s != ';'); ++s) {
            if (*s == '"') {
                quoted = !quoted;
            } else if (*s == '=' && !eq && !quoted) {
                eq = s;
            }
        }
        if (s == start) {
            continue;
        }
        if (!eq) { /* vCard 2.1: "TEL;HOME;VOICE", "PHOTO;BASE64" */
            eas_vcard_add_param(
                pr, is_encoding_word(start, (apr_size_t)(s - start)) ? "ENCODING" : "TYPE",
                caret_decode(p, start, (apr_size_t)(s - start)));
        } else {
            eas_vcard_add_param(pr, apr_pstrndup(p, start, (apr_size_t)(eq - start)),
                                caret_decode(p, eq + 1, (apr_size_t)(s - eq - 1)));
        }
    }
    return pr;
}

/* TYPE values in lower case (vCard 4 style), 2.1 quoted-printable and charsets decoded. */
static void normalise_params(apr_pool_t *p, eas_vcard_prop *pr)
{
    const char *enc = eas_vcard_get_param(pr, "ENCODING"), *cs = eas_vcard_get_param(pr, "CHARSET");
    int i;
    for (i = 0; i < pr->params->nelts; ++i) {
        eas_vcard_param *pa = &APR_ARRAY_IDX(pr->params, i, eas_vcard_param);
        if (strcmp(pa->name, "TYPE") == 0) {
            char *v = apr_pstrdup(p, pa->value), *u;
            for (u = v; *u; ++u) {
                *u = (char)tolower((unsigned char)*u);
            }
            pa->value = v;
        }
    }
    if (enc && strcasecmp(enc, "QUOTED-PRINTABLE") == 0) {
        pr->value = qp_decode(p, pr->value);
        eas_vcard_del_param(pr, "ENCODING");
    }
    if (cs) {
        if (strcasecmp(cs, "ISO-8859-1") == 0 || strcasecmp(cs, "WINDOWS-1252") == 0 ||
            strcasecmp(cs, "LATIN1") == 0) {
            pr->value = latin1_to_utf8(p, pr->value);
        }
        eas_vcard_del_param(pr, "CHARSET");
    }
}

static int blank(const char *s)
{
    while (*s == ' ' || *s == '\t') {
        ++s;
    }
    return !*s;
}

int eas_vcard_parse(apr_pool_t *p, const char *text, eas_vcard **out, const char **err)
{
    eas_vcard *c = eas_vcard_new(p);
    char *lines, *line, *save = NULL;
    int depth = 0, done = 0;
    c->version = NULL;
    lines = (char *)unfold(p, text ? text : "", "\n", 1); /* a fresh buffer: strtok may cut it */
    for (line = apr_strtok(lines, "\n", &save); line; line = apr_strtok(NULL, "\n", &save)) {
        if (blank(line)) {
            continue;
        }
        if (done) {
            *err = "text after END:VCARD (one vCard expected)";
            return -1;
        }
        if (strncasecmp(line, "BEGIN:VCARD", 11) == 0 && blank(line + 11)) {
            ++depth; /* a 2.1 AGENT card inside is skipped */
            continue;
        }
        if (depth == 0) {
            *err = "not a vCard (no BEGIN:VCARD)";
            return -1;
        }
        if (strncasecmp(line, "END:VCARD", 9) == 0 && blank(line + 9)) {
            done = --depth == 0;
            continue;
        }
        if (depth > 1) {
            continue;
        }
        if (strncasecmp(line, "VERSION:", 8) == 0) {
            c->version = apr_pstrdup(p, line + 8);
            continue;
        }
        {
            eas_vcard_prop *pr = read_line(c, line);
            if (pr) {
                normalise_params(p, pr);
            }
        }
    }
    if (!done) {
        *err = depth ? "vCard not closed (no END:VCARD)" : "not a vCard (no BEGIN:VCARD)";
        return -1;
    }
    if (!c->version) {
        c->version = "3.0";
    }
    *out = c;
    return 0;
}

/* ---- writing ----------------------------------------------------------------------------------
 */

static void add_param_value(sbuf *b, const char *name, const char *v)
{
    int quote = strpbrk(v, ":;\"\n") != NULL || (strcmp(name, "TYPE") != 0 && strchr(v, ','));
    if (quote) {
        sb_addc(b, '"');
    }
    for (; *v; ++v) {
        if (*v == '\n') {
            sb_add(b, "^n");
        } else if (*v == '"') {
            sb_add(b, "^'");
        } else if (*v == '^' && (v[1] == 'n' || v[1] == '\'' || v[1] == '^')) {
            sb_add(b, "^^");
        } else if (*v != '\r') {
            sb_addc(b, *v);
        }
    }
    if (quote) {
        sb_addc(b, '"');
    }
}

const char *eas_vcard_write(apr_pool_t *p, const eas_vcard *c)
{
    sbuf out, line;
    int i, j;
    sb_init(&out, p, 1024);
    sb_add(&out, "BEGIN:VCARD\r\nVERSION:4.0\r\n");
    for (i = 0; i < c->props->nelts; ++i) {
        const eas_vcard_prop *pr = APR_ARRAY_IDX(c->props, i, eas_vcard_prop *);
        if (!pr) {
            continue;
        }
        sb_init(&line, p, strlen(pr->value) + 64);
        if (pr->group) {
            sb_add(&line, pr->group);
            sb_addc(&line, '.');
        }
        sb_add(&line, pr->name);
        for (j = 0; j < pr->params->nelts; ++j) {
            const eas_vcard_param *pa = &APR_ARRAY_IDX(pr->params, j, eas_vcard_param);
            sb_addc(&line, ';');
            sb_add(&line, pa->name);
            sb_addc(&line, '=');
            add_param_value(&line, pa->name, pa->value);
        }
        sb_addc(&line, ':');
        sb_add(&line, pr->value);
        sb_add(&out, eas_vcard_fold(p, line.s));
    }
    sb_add(&out, "END:VCARD\r\n");
    return out.s;
}

/* ---- files --------------------------------------------------------------------------------------
 */

int eas_vcard_split(apr_pool_t *p, const char *file, apr_array_header_t **items, const char **err)
{
    const char *s = file ? file : "", *start = NULL;
    int depth = 0, text = 0;
    *items = apr_array_make(p, 16, sizeof(const char *));
    while (*s) {
        apr_size_t n = strcspn(s, "\r\n");
        const char *next = s + n;
        next += (*next == '\r' && next[1] == '\n') ? 2 : (*next ? 1 : 0);
        if (n >= 11 && strncasecmp(s, "BEGIN:VCARD", 11) == 0 &&
            blank(apr_pstrndup(p, s + 11, n - 11))) {
            if (depth++ == 0) {
                start = s;
            }
        } else if (n >= 9 && strncasecmp(s, "END:VCARD", 9) == 0 &&
                   blank(apr_pstrndup(p, s + 9, n - 9)) && depth > 0) {
            if (--depth == 0) {
                APR_ARRAY_PUSH(*items, const char *) =
                    apr_pstrndup(p, start, (apr_size_t)(next - start));
            }
        } else if (depth == 0 && !blank(apr_pstrndup(p, s, n))) {
            text = 1;
        }
        s = next;
    }
    if (depth > 0) {
        *err = "vCard not closed (no END:VCARD)";
        return -1;
    }
    if (text && (*items)->nelts == 0) {
        *err = "not a vCard file (no BEGIN:VCARD)";
        return -1;
    }
    return 0;
}

/* ---- HTML to text --------------------------------------------------------------------------- */

static void add_utf8(sbuf *b, unsigned long cp)
{
    char u[4];
    if (cp == 0 || cp > 0x10ffff) {
        return;
    }
    if (cp < 0x80) {
        sb_addc(b, (char)cp);
    } else if (cp < 0x800) {
        u[0] = (char)(0xc0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3f));
        sb_addn(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xe0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[2] = (char)(0x80 | (cp & 0x3f));
        sb_addn(b, u, 3);
    } else {
        u[0] = (char)(0xf0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
        u[3] = (char)(0x80 | (cp & 0x3f));
        sb_addn(b, u, 4);
    }
}

/* An entity at s ("&amp;"): appended to b, returns its length; 0 when not one we know. */
static apr_size_t entity(sbuf *b, const char *s)
{
    static const struct {
        const char *name, *text;
    } named[] = {{"&amp;", "&"},   {"&lt;", "<"},   {"&gt;", ">"},
                 {"&quot;", "\""}, {"&apos;", "'"}, {"&nbsp;", " "}};
    size_t i;
    if (s[1] == '#') {
        char *end;
        unsigned long cp =
            (s[2] == 'x' || s[2] == 'X') ? strtoul(s + 3, &end, 16) : strtoul(s + 2, &end, 10);
        if (*end == ';' && end > s + 2) {
            add_utf8(b, cp);
            return (apr_size_t)(end - s) + 1;
        }
        return 0;
    }
    for (i = 0; i < sizeof(named) / sizeof(named[0]); ++i) {
        apr_size_t n = strlen(named[i].name);
        if (strncasecmp(s, named[i].name, n) == 0) {
            sb_add(b, named[i].text);
            return n;
        }
    }
    return 0;
}

const char *eas_vcard_html_text(apr_pool_t *p, const char *html)
{
    sbuf b;
    const char *s = html ? html : "";
    const char *skip_to = NULL; /* inside <style>, <script>, <head> */
    sb_init(&b, p, strlen(s) + 1);
    while (*s) {
        if (*s == '<') {
            const char *end = strchr(s, '>');
            char name[16];
            apr_size_t n = 0;
            const char *t = s + 1;
            int closing = *t == '/';
            if (!end) {
                break;
            }
            t += closing;
            while (n + 1 < sizeof(name) && isalnum((unsigned char)*t)) {
                name[n++] = (char)tolower((unsigned char)*t++);
            }
            name[n] = '\0';
            if (skip_to) {
                if (closing && strcmp(name, skip_to) == 0) {
                    skip_to = NULL;
                }
            } else if (!closing && (!strcmp(name, "style") || !strcmp(name, "script") ||
                                    !strcmp(name, "head"))) {
                skip_to = !strcmp(name, "style")    ? "style"
                          : !strcmp(name, "script") ? "script"
                                                    : "head";
            } else if (!strcmp(name, "br") ||
                       (closing && (!strcmp(name, "p") || !strcmp(name, "div") ||
                                    !strcmp(name, "li") || !strcmp(name, "tr")))) {
                sb_addc(&b, '\n');
            }
            s = end + 1;
            continue;
        }
        if (skip_to) {
            ++s;
            continue;
        }
        if (*s == '&') {
            apr_size_t n = entity(&b, s);
            if (n) {
                s += n;
                continue;
            }
        }
        if (*s == '\r' || *s == '\n' || *s == '\t' || *s == ' ') {
            if (b.len && b.s[b.len - 1] != ' ' && b.s[b.len - 1] != '\n') {
                sb_addc(&b, ' ');
            }
            ++s;
            continue;
        }
        sb_addc(&b, *s++);
    }
    while (b.len && (b.s[b.len - 1] == '\n' || b.s[b.len - 1] == ' ')) {
        b.s[--b.len] = '\0';
    }
    return b.s;
}

/* The inline image bytes of a PHOTO (data: URI or ENCODING=b); NULL when it is a link. */
const char *eas_vcard_photo(apr_pool_t *p, const eas_vcard_prop *pr, apr_size_t *len)
{
    const char *enc = eas_vcard_get_param(pr, "ENCODING"), *b64 = NULL;
    char *clean, *w, *out;
    const char *r;
    int n;
    if (!strncasecmp(pr->value, "data:", 5)) {
        const char *comma = strchr(pr->value, ',');
        if (comma && comma - pr->value >= 7 && !strncasecmp(comma - 7, ";base64", 7)) {
            b64 = comma + 1;
        }
    } else if (enc && (!strcasecmp(enc, "b") || !strcasecmp(enc, "base64"))) {
        b64 = pr->value;
    }
    if (!b64) {
        return NULL;
    }
    clean = w = apr_palloc(p, strlen(b64) + 1);
    for (r = b64; *r; ++r) {
        if (*r != ' ' && *r != '\t' && *r != '\r' && *r != '\n') {
            *w++ = *r;
        }
    }
    *w = '\0';
    out = apr_palloc(p, (apr_size_t)apr_base64_decode_len(clean) + 1);
    n = apr_base64_decode_binary((unsigned char *)out, clean);
    if (n <= 0) {
        return NULL;
    }
    *len = (apr_size_t)n;
    return out;
}
