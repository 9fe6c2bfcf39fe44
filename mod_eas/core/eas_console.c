/* eas_console.c — the administration console's HTML pages and CSRF tokens (see eas_console.h,
 * docs/console.md). Every byte of data that reaches a page passes through eas_html_escape here;
 * the handler only routes and calls eas_admin.h. */
#include <stdlib.h>
#include <string.h>

#include <apr_lib.h>
#include <apr_strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "eas_console.h"

/* --- escaping ----------------------------------------------------------------------------- */

const char *eas_url_escape(apr_pool_t *p, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    const unsigned char *c;
    char *out, *o;

    if (!s) {
        return "";
    }
    o = out = apr_palloc(p, strlen(s) * 3 + 1);
    for (c = (const unsigned char *)s; *c; ++c) {
        if (apr_isalnum(*c) || *c == '-' || *c == '.' || *c == '_' || *c == '~') {
            *o++ = (char)*c;
        } else {
            *o++ = '%';
            *o++ = hex[*c >> 4];
            *o++ = hex[*c & 15];
        }
    }
    *o = '\0';
    return out;
}

/* --- CSRF --------------------------------------------------------------------------------- */

#define CSRF_MAC_LEN  32
#define CSRF_SKEW_SEC 300

/* HMAC-SHA256(secret, user "|" issued); 0 on success. */
static int csrf_mac(const unsigned char *secret, apr_size_t secret_len, const char *user,
                    const char *issued, unsigned char mac[CSRF_MAC_LEN])
{
    char msg[512], *m = msg, *heap = NULL;
    size_t ulen = strlen(user ? user : ""), ilen = strlen(issued), mlen = ulen + 1 + ilen;
    unsigned int len = 0;
    static const unsigned char nokey[1] = {0};
    int rc;

    if (mlen >= sizeof(msg)) {
        if (!(heap = malloc(mlen + 1))) {
            return -1;
        }
        m = heap;
    }
    memcpy(m, user ? user : "", ulen);
    m[ulen] = '|';
    memcpy(m + ulen + 1, issued, ilen);
    /* HMAC() wants a non-NULL key even when it is empty */
    rc = HMAC(EVP_sha256(), secret && secret_len ? (const void *)secret : (const void *)nokey,
              (int)secret_len, (const unsigned char *)m, mlen, mac, &len) &&
                 len == CSRF_MAC_LEN
             ? 0
             : -1;
    free(heap);
    return rc;
}

const char *eas_csrf_token(apr_pool_t *p, const unsigned char *secret, apr_size_t secret_len,
                           const char *user, apr_time_t now)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char mac[CSRF_MAC_LEN];
    char out[2 * CSRF_MAC_LEN + 1];
    const char *issued = apr_psprintf(p, "%" APR_INT64_T_FMT, (apr_int64_t)apr_time_sec(now));
    int i;

    if (csrf_mac(secret, secret_len, user, issued, mac) != 0) {
        return NULL;
    }
    for (i = 0; i < CSRF_MAC_LEN; ++i) {
        out[2 * i] = hex[mac[i] >> 4];
        out[2 * i + 1] = hex[mac[i] & 15];
    }
    out[2 * CSRF_MAC_LEN] = '\0';
    return apr_pstrcat(p, issued, ".", out, NULL);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int eas_csrf_check(const unsigned char *secret, apr_size_t secret_len, const char *user,
                   const char *token, apr_time_t now)
{
    unsigned char want[CSRF_MAC_LEN], got[CSRF_MAC_LEN];
    char issued[20];
    const char *dot, *h;
    size_t ilen;
    long long t, nowsec = (long long)apr_time_sec(now);
    int i;

    if (!token || !(dot = strchr(token, '.'))) {
        return -1;
    }
    ilen = (size_t)(dot - token);
    /* at most 18 digits: no overflow, and far beyond any real clock */
    if (ilen == 0 || ilen > 18) {
        return -1;
    }
    for (i = 0; i < (int)ilen; ++i) {
        if (token[i] < '0' || token[i] > '9') {
            return -1;
        }
    }
    memcpy(issued, token, ilen);
    issued[ilen] = '\0';
    h = dot + 1;
    if (strlen(h) != 2 * CSRF_MAC_LEN) {
        return -1;
    }
    for (i = 0; i < CSRF_MAC_LEN; ++i) {
        int hi = hexval(h[2 * i]), lo = hexval(h[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return -1;
        }
        got[i] = (unsigned char)(hi << 4 | lo);
    }
    /* the MAC covers the issue time exactly as sent, so "0123" is not "123" */
    if (csrf_mac(secret, secret_len, user, issued, want) != 0 ||
        CRYPTO_memcmp(want, got, CSRF_MAC_LEN) != 0) {
        return -1;
    }
    t = strtoll(issued, NULL, 10);
    if (nowsec - t > EAS_CSRF_TTL || t - nowsec > CSRF_SKEW_SEC) {
        return 1;
    }
    return 0;
}

/* --- page building ------------------------------------------------------------------------ */

typedef struct sb {
    apr_pool_t *p;
    char *buf;
    apr_size_t len, cap;
} sb;

static void sb_init(sb *b, apr_pool_t *p)
{
    b->p = p;
    b->cap = 8192;
    b->len = 0;
    b->buf = apr_palloc(p, b->cap);
    b->buf[0] = '\0';
}

static void put(sb *b, const char *s)
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
static void put_esc(sb *b, const char *s)
{
    put(b, eas_html_escape(b->p, s));
}

/* Raw markup (literal) followed by escaped text followed by raw markup. */
static void put3(sb *b, const char *pre, const char *text, const char *post)
{
    put(b, pre);
    put_esc(b, text);
    put(b, post);
}

static const char *base_of(const eas_console_page *pg)
{
    return pg && pg->base ? pg->base : "";
}

/* base + route + "?k=v&..." (n pairs, empty values left out); the result is NOT yet escaped for
 * HTML: callers pass it through put_esc (so "&" becomes "&amp;" in the attribute). */
static const char *url(apr_pool_t *p, const char *base, const char *route, const char *const *kv,
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

static const char *device_url(apr_pool_t *p, const char *base, const char *user, const char *id)
{
    const char *kv[] = {"user", user, "id", id};
    return url(p, base, "/device", kv, 2);
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
    "code{white-space:pre-wrap;word-break:break-all}";

static void page_start(sb *b, const eas_console_page *pg, const char *title)
{
    const char *base = base_of(pg);

    put(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    put3(b, "<title>", title, " - mod_eas console</title>\n");
    put(b, "<style>");
    put(b, style);
    put(b, "</style>\n</head>\n<body>\n<nav>");
    put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/", NULL), "\">Overview</a>");
    put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/devices", NULL), "\">Devices</a>");
    put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/audit", NULL), "\">Audit</a>");
    put3(b, "<a href=\"", apr_pstrcat(b->p, base, "/policies", NULL), "\">Policies</a>");
    put3(b, "<span class=\"admin\">", pg ? pg->admin : NULL, "</span>");
    put(b, "</nav>\n");
    if (pg && pg->flash) {
        put(b, pg->flash_error ? "<div class=\"flash error\" role=\"alert\">"
                               : "<div class=\"flash\" role=\"status\">");
        put_esc(b, pg->flash);
        put(b, "</div>\n");
    }
    put3(b, "<main>\n<h1>", title, "</h1>\n");
}

static const char *page_end(sb *b)
{
    put(b, "</main>\n</body>\n</html>\n");
    return b->buf;
}

static void hidden(sb *b, const char *name, const char *value)
{
    put3(b, "<input type=\"hidden\" name=\"", name, "\" value=\"");
    put_esc(b, value);
    put(b, "\">");
}

static void text_input(sb *b, const char *label, const char *name, const char *value)
{
    put3(b, "<label>", label, " ");
    put3(b, "<input type=\"text\" name=\"", name, "\" value=\"");
    put_esc(b, value);
    put(b, "\"></label>");
}

/* A cell: NULL shows as a dimmed dash so it differs from an empty string. */
static void cell(sb *b, const char *v)
{
    if (v) {
        put_esc(b, v);
    } else {
        put(b, "<span class=\"null\">&#8212;</span>");
    }
}

/* First column whose name is one of names (NULL-terminated), or -1. */
static int col_of(const eas_table *t, const char *const *names)
{
    int c;
    for (; t && *names; ++names) {
        if ((c = eas_table_col(t, *names)) >= 0) {
            return c;
        }
    }
    return -1;
}

static const char *const wipe_cols[] = {"wipe", "wipe_state", NULL};
static const char *const access_cols[] = {"access", "access_state", NULL};
static const char *const protocol_cols[] = {"protocol", "protocol_version", NULL};

static const char *row_cell(const eas_table *t, int row, int col)
{
    return col >= 0 ? eas_table_cell(t, row, col) : NULL;
}

/* A generic table, rows in order or reversed; user/device_id cells link to the device page. */
static void table(sb *b, const char *id, const eas_table *t, const char *base, int reverse)
{
    int ucol = eas_table_col(t, "user"), dcol = eas_table_col(t, "device_id"), n, i, c;

    put3(b, "<table id=\"", id, "\">\n<thead><tr>");
    for (c = 0; c < t->ncols; ++c) {
        put3(b, "<th>", t->names[c], "</th>");
    }
    put(b, "</tr></thead>\n<tbody>\n");
    n = t->rows ? t->rows->nelts : 0;
    for (i = 0; i < n; ++i) {
        int r = reverse ? n - 1 - i : i;
        const char *u = row_cell(t, r, ucol), *d = row_cell(t, r, dcol);
        put(b, "<tr>");
        for (c = 0; c < t->ncols; ++c) {
            const char *v = eas_table_cell(t, r, c);
            put(b, "<td>");
            if (c == dcol && u && d) {
                put3(b, "<a href=\"", device_url(b->p, base, u, d), "\">");
                cell(b, v);
                put(b, "</a>");
            } else if (t->types && t->types[c] == EAS_COL_JSON && v) {
                put3(b, "<code>", v, "</code>");
            } else {
                cell(b, v);
            }
            put(b, "</td>");
        }
        put(b, "</tr>\n");
    }
    if (n == 0) {
        put(b, apr_psprintf(b->p, "<tr><td colspan=\"%d\" class=\"null\">(none)</td></tr>\n",
                            t->ncols > 0 ? t->ncols : 1));
    }
    put(b, "</tbody>\n</table>\n");
}

/* --- device list -------------------------------------------------------------------------- */

typedef struct sort_key {
    const char *v;
    int row;
    int desc;
} sort_key;

static int sort_cmp(const void *a, const void *b)
{
    const sort_key *x = a, *y = b;
    int c = strcmp(x->v ? x->v : "", y->v ? y->v : "");
    if (c == 0) {
        return x->row - y->row; /* stable, whatever the direction */
    }
    return x->desc ? -c : c;
}

static int row_matches(const eas_table *t, int r, int ucol, const char *filter_user, const char *q,
                       int wcol, int acol, const char *state)
{
    int c;

    if (filter_user && *filter_user && ucol >= 0) {
        const char *u = eas_table_cell(t, r, ucol);
        if (!u || strcmp(u, filter_user) != 0) {
            return 0;
        }
    }
    if (state && *state) {
        const char *w = row_cell(t, r, wcol), *a = row_cell(t, r, acol);
        if (!(w && strcmp(w, state) == 0) && !(a && strcmp(a, state) == 0)) {
            return 0;
        }
    }
    if (q && *q) {
        for (c = 0; c < t->ncols; ++c) {
            const char *v = eas_table_cell(t, r, c);
            if (v && strcasestr(v, q)) {
                break;
            }
        }
        if (c == t->ncols) {
            return 0;
        }
    }
    return 1;
}

const char *eas_console_devices(apr_pool_t *p, const eas_console_page *pg, const eas_table *devices,
                                const char *filter_user, const char *q, const char *state,
                                const char *sort, int desc)
{
    static const char *const states[] = {"",     "allow",     "block", "quarantine",
                                         "none", "requested", "sent",  "acknowledged"};
    const char *base = base_of(pg);
    sb b;
    int ucol, dcol, wcol, acol, scol, n = 0, total, i, c;
    sort_key *keys;
    size_t s;

    sb_init(&b, p);
    page_start(&b, pg, "Devices");

    put3(&b, "<form method=\"get\" action=\"", apr_pstrcat(p, base, "/devices", NULL),
         "\" class=\"filter\">");
    text_input(&b, "User", "user", filter_user);
    text_input(&b, "Search", "q", q);
    put(&b, "<label>State <select name=\"state\">");
    for (s = 0; s < sizeof(states) / sizeof(states[0]); ++s) {
        put3(&b, "<option value=\"", states[s], "\"");
        if ((state ? state : "")[0] ? !strcmp(state, states[s]) : !*states[s]) {
            put(&b, " selected");
        }
        put3(&b, ">", *states[s] ? states[s] : "any", "</option>");
    }
    if (state && *state) {
        int known = 0;
        for (s = 0; s < sizeof(states) / sizeof(states[0]); ++s) {
            known |= !strcmp(state, states[s]);
        }
        if (!known) {
            put3(&b, "<option value=\"", state, "\" selected>");
            put3(&b, "", state, "</option>");
        }
    }
    put(&b, "</select></label>");
    if (sort && *sort) {
        hidden(&b, "sort", sort);
        if (desc) {
            hidden(&b, "desc", "1");
        }
    }
    put(&b, "<button type=\"submit\">Filter</button></form>\n");

    if (!devices) {
        put(&b, "<p class=\"null\">No device list.</p>\n");
        return page_end(&b);
    }
    ucol = eas_table_col(devices, "user");
    dcol = eas_table_col(devices, "device_id");
    wcol = col_of(devices, wipe_cols);
    acol = col_of(devices, access_cols);
    scol = sort && *sort ? eas_table_col(devices, sort) : -1;
    total = devices->rows ? devices->rows->nelts : 0;
    keys = apr_pcalloc(p, sizeof(*keys) * (apr_size_t)(total + 1));
    for (i = 0; i < total; ++i) {
        if (row_matches(devices, i, ucol, filter_user, q, wcol, acol, state)) {
            keys[n].row = i;
            keys[n].v = row_cell(devices, i, scol);
            keys[n].desc = desc;
            ++n;
        }
    }
    if (scol >= 0) {
        qsort(keys, (size_t)n, sizeof(*keys), sort_cmp);
    }

    put(&b, apr_psprintf(p, "<p class=\"count\">%d of %d devices</p>\n", n, total));
    put(&b, "<table id=\"devices\">\n<thead><tr>");
    for (c = 0; c < devices->ncols; ++c) {
        const char *name = devices->names[c];
        int on = c == scol, next_desc = on && !desc;
        const char *kv[] = {"user", filter_user, "q",  q,      "state",
                            state,  "sort",      name, "desc", next_desc ? "1" : NULL};
        put(&b, on ? (desc ? "<th aria-sort=\"descending\">" : "<th aria-sort=\"ascending\">")
                   : "<th>");
        put3(&b, "<a href=\"", url(p, base, "/devices", kv, 5), "\">");
        put_esc(&b, name);
        if (on) {
            put(&b, desc ? " &#9660;" : " &#9650;");
        }
        put(&b, "</a></th>");
    }
    put(&b, "</tr></thead>\n<tbody>\n");
    for (i = 0; i < n; ++i) {
        int r = keys[i].row;
        const char *u = row_cell(devices, r, ucol), *d = row_cell(devices, r, dcol);
        const char *href = device_url(p, base, u, d);

        put3(&b, "<tr data-device=\"", d, "\">");
        for (c = 0; c < devices->ncols; ++c) {
            const char *v = eas_table_cell(devices, r, c);
            put(&b, "<td>");
            if (c == dcol) {
                put3(&b, "<a href=\"", href, "\">");
                cell(&b, v);
                put(&b, "</a>");
            } else {
                cell(&b, v);
            }
            put(&b, "</td>");
        }
        put(&b, "</tr>\n");
    }
    if (n == 0) {
        put(&b,
            apr_psprintf(p, "<tr><td colspan=\"%d\" class=\"null\">No device matches.</td></tr>\n",
                         devices->ncols > 0 ? devices->ncols : 1));
    }
    put(&b, "</tbody>\n</table>\n");
    return page_end(&b);
}

/* --- one device --------------------------------------------------------------------------- */

typedef struct action_def {
    const char *action, *label, *confirm_label, *what;
    int danger;
} action_def;

/* what each action does; "what" set: destructive, asks for confirmation first */
static const action_def actions[] = {
    {"wipe", "Remote wipe", "Yes, wipe the device",
     "erase ALL data on the device (factory reset) the next time it connects", 1},
    {"account-wipe", "Account-only wipe", "Yes, wipe the account",
     "remove this account's data from the device the next time it connects (ActiveSync 16.1)", 1},
    {"wipe-cancel", "Cancel wipe", NULL, NULL, 0},
    {"wipe-clear", "Clear wipe", NULL, NULL, 0},
    {"delete", "Delete device", "Yes, delete the device",
     "forget the device with its sync state and device policies; it has to provision again", 1},
    {"block", "Block", NULL, NULL, 0},
    {"allow", "Allow", NULL, NULL, 0},
    {"quarantine", "Quarantine", NULL, NULL, 0},
    {"access-clear", "Back to rules", NULL, NULL, 0},
};

static const action_def *action_find(const char *action)
{
    size_t i;
    for (i = 0; action && i < sizeof(actions) / sizeof(actions[0]); ++i) {
        if (!strcmp(actions[i].action, action)) {
            return &actions[i];
        }
    }
    return NULL;
}

static void action_fields(sb *b, const eas_console_page *pg, const char *user,
                          const char *device_id, const char *action)
{
    hidden(b, "user", user);
    hidden(b, "id", device_id);
    hidden(b, "action", action);
    hidden(b, "csrf", pg ? pg->csrf : NULL);
}

static void action_form(sb *b, const eas_console_page *pg, const char *user, const char *device_id,
                        const action_def *a)
{
    put3(b, "<form method=\"post\" action=\"", apr_pstrcat(b->p, base_of(pg), "/device", NULL),
         "\" class=\"action\">");
    action_fields(b, pg, user, device_id, a->action);
    put3(b, "<button type=\"submit\" name=\"go\" id=\"action-", a->action, "\"");
    put(b, a->danger ? " class=\"danger\">" : ">");
    put_esc(b, a->label);
    put(b, "</button></form>\n");
}

const char *eas_console_device(apr_pool_t *p, const eas_console_page *pg, const char *user,
                               const char *device_id, const eas_admin_device_detail *d)
{
    const char *base = base_of(pg), *protocol = NULL;
    const eas_table *dev = d ? d->device : NULL;
    sb b;
    int c, wcol, acol;
    size_t i;

    sb_init(&b, p);
    page_start(
        &b, pg,
        apr_pstrcat(p, "Device ", device_id ? device_id : "", " (", user ? user : "", ")", NULL));

    put(&b, "<h2>Device</h2>\n");
    if (dev && dev->rows && dev->rows->nelts > 0) {
        wcol = col_of(dev, wipe_cols);
        acol = col_of(dev, access_cols);
        protocol = row_cell(dev, 0, col_of(dev, protocol_cols));
        put(&b, "<dl id=\"device\">\n");
        for (c = 0; c < dev->ncols; ++c) {
            put3(&b, "<dt>", dev->names[c], "</dt>");
            put(&b, c == wcol   ? "<dd id=\"wipe-state\">"
                    : c == acol ? "<dd id=\"access-state\">"
                                : "<dd>");
            cell(&b, eas_table_cell(dev, 0, c));
            put(&b, "</dd>\n");
        }
        put(&b, "</dl>\n");
    } else {
        put(&b, "<p class=\"null\">No device data.</p>\n");
    }

    put(&b, "<h2>Actions</h2>\n<div class=\"actions\">\n");
    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); ++i) {
        /* an account-only wipe exists from ActiveSync 16.1 on; the core refuses it otherwise */
        if (!strcmp(actions[i].action, "account-wipe") &&
            !(protocol && !strcmp(protocol, "16.1"))) {
            continue;
        }
        action_form(&b, pg, user, device_id, &actions[i]);
    }
    put(&b, "</div>\n");

    put(&b, "<h2>Effective policy</h2>\n");
    if (d && d->policy) {
        table(&b, "policy", d->policy, base, 0);
    } else {
        put(&b, "<p class=\"null\">No policy.</p>\n");
    }
    put(&b, "<h2>Recent audit entries</h2>\n");
    if (d && d->audit) {
        table(&b, "audit", d->audit, base, 1); /* the core gives newest last */
    } else {
        put(&b, "<p class=\"null\">No audit entries.</p>\n");
    }
    return page_end(&b);
}

const char *eas_console_confirm(apr_pool_t *p, const eas_console_page *pg, const char *user,
                                const char *device_id, const char *action)
{
    const action_def *a = action_find(action);
    sb b;

    sb_init(&b, p);
    page_start(&b, pg, a ? apr_pstrcat(p, "Confirm: ", a->label, NULL) : "Confirm");
    put(&b, "<p class=\"confirm\">");
    if (a && a->what) {
        put3(&b, "This will ", a->what, "");
    } else {
        put3(&b, "This will perform the action \"", action, "\"");
    }
    put3(&b, " on device <strong>", device_id, "</strong>");
    put3(&b, " of user <strong>", user, "</strong>.</p>\n");
    put3(&b, "<form method=\"post\" action=\"", apr_pstrcat(p, base_of(pg), "/device", NULL),
         "\" class=\"confirm\">");
    action_fields(&b, pg, user, device_id, action);
    hidden(&b, "confirm", "yes");
    put(&b, "<button type=\"submit\" name=\"go\" id=\"confirm\" class=\"danger\">");
    put_esc(&b, a && a->confirm_label ? a->confirm_label : "Confirm");
    put(&b, "</button> ");
    put3(&b, "<a id=\"cancel\" href=\"", device_url(p, base_of(pg), user, device_id),
         "\">Cancel</a></form>\n");
    return page_end(&b);
}

/* --- audit, messages ---------------------------------------------------------------------- */

const char *eas_console_audit(apr_pool_t *p, const eas_console_page *pg, const eas_table *audit,
                              const char *since, const char *user, const char *device_id)
{
    const char *base = base_of(pg);
    sb b;

    sb_init(&b, p);
    page_start(&b, pg, "Audit log");
    put3(&b, "<form method=\"get\" action=\"", apr_pstrcat(p, base, "/audit", NULL),
         "\" class=\"filter\">");
    text_input(&b, "Since", "since", since);
    text_input(&b, "User", "user", user);
    text_input(&b, "Device", "device", device_id);
    put(&b, "<button type=\"submit\">Filter</button></form>\n");
    if (audit) {
        table(&b, "audit", audit, base, 1); /* the core gives oldest first */
    } else {
        put(&b, "<p class=\"null\">No audit entries.</p>\n");
    }
    return page_end(&b);
}

const char *eas_console_message(apr_pool_t *p, const eas_console_page *pg, const char *title,
                                const char *message)
{
    sb b;

    sb_init(&b, p);
    page_start(&b, pg, title ? title : "");
    put3(&b, "<p class=\"message\">", message, "</p>\n");
    return page_end(&b);
}
