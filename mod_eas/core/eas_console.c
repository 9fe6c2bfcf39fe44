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
#include "eas_console_html.h"

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

static const char *const wipe_cols[] = {"wipe", "wipe_state", NULL};
static const char *const access_cols[] = {"access", "access_state", NULL};
static const char *const policy_cols[] = {"policy", NULL};
static const char *const protocol_cols[] = {"protocol", "protocol_version", NULL};

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

/* state matches the wipe, access or policy column (their values are distinct words). */
static int row_matches(const eas_table *t, int r, int ucol, const char *filter_user, const char *q,
                       const int *state_cols, const char *state)
{
    int c;

    if (filter_user && *filter_user && ucol >= 0) {
        const char *u = eas_table_cell(t, r, ucol);
        if (!u || strcmp(u, filter_user) != 0) {
            return 0;
        }
    }
    if (state && *state) {
        for (c = 0; c < 3; ++c) {
            const char *v = eas_con_row_cell(t, r, state_cols[c]);
            if (v && strcmp(v, state) == 0) {
                break;
            }
        }
        if (c == 3) {
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
    static const char *const states[] = {"",        "allow",     "block",   "quarantine",
                                         "none",    "requested", "sent",    "acknowledged",
                                         "current", "changed",   "pending", "unprovisioned"};
    const char *base = eas_con_base(pg);
    eas_sb b;
    int ucol, dcol, state_cols[3], scol, n = 0, total, i, c;
    sort_key *keys;
    size_t s;

    eas_sb_init(&b, p);
    eas_con_page_start(&b, pg, "Devices");

    eas_put3(&b, "<form method=\"get\" action=\"", apr_pstrcat(p, base, "/devices", NULL),
             "\" class=\"filter\">");
    eas_con_text_input(&b, "User", "user", filter_user);
    eas_con_text_input(&b, "Search", "q", q);
    eas_put(&b, "<label>State <select name=\"state\">");
    for (s = 0; s < sizeof(states) / sizeof(states[0]); ++s) {
        eas_put3(&b, "<option value=\"", states[s], "\"");
        if ((state ? state : "")[0] ? !strcmp(state, states[s]) : !*states[s]) {
            eas_put(&b, " selected");
        }
        eas_put3(&b, ">", *states[s] ? states[s] : "any", "</option>");
    }
    if (state && *state) {
        int known = 0;
        for (s = 0; s < sizeof(states) / sizeof(states[0]); ++s) {
            known |= !strcmp(state, states[s]);
        }
        if (!known) {
            eas_put3(&b, "<option value=\"", state, "\" selected>");
            eas_put3(&b, "", state, "</option>");
        }
    }
    eas_put(&b, "</select></label>");
    if (sort && *sort) {
        eas_con_hidden(&b, "sort", sort);
        if (desc) {
            eas_con_hidden(&b, "desc", "1");
        }
    }
    eas_put(&b, "<button type=\"submit\">Filter</button></form>\n");

    if (!devices) {
        eas_put(&b, "<p class=\"null\">No device list.</p>\n");
        return eas_con_page_end(&b);
    }
    ucol = eas_table_col(devices, "user");
    dcol = eas_table_col(devices, "device_id");
    state_cols[0] = eas_con_col_of(devices, wipe_cols);
    state_cols[1] = eas_con_col_of(devices, access_cols);
    state_cols[2] = eas_con_col_of(devices, policy_cols);
    scol = sort && *sort ? eas_table_col(devices, sort) : -1;
    total = devices->rows ? devices->rows->nelts : 0;
    keys = apr_pcalloc(p, sizeof(*keys) * (apr_size_t)(total + 1));
    for (i = 0; i < total; ++i) {
        if (row_matches(devices, i, ucol, filter_user, q, state_cols, state)) {
            keys[n].row = i;
            keys[n].v = eas_con_row_cell(devices, i, scol);
            keys[n].desc = desc;
            ++n;
        }
    }
    if (scol >= 0) {
        qsort(keys, (size_t)n, sizeof(*keys), sort_cmp);
    }

    eas_put(&b, apr_psprintf(p, "<p class=\"count\">%d of %d devices</p>\n", n, total));
    eas_put(&b, "<table id=\"devices\">\n<thead><tr>");
    for (c = 0; c < devices->ncols; ++c) {
        const char *name = devices->names[c];
        int on = c == scol, next_desc = on && !desc;
        const char *kv[] = {"user", filter_user, "q",  q,      "state",
                            state,  "sort",      name, "desc", next_desc ? "1" : NULL};
        eas_put(&b, on ? (desc ? "<th aria-sort=\"descending\">" : "<th aria-sort=\"ascending\">")
                       : "<th>");
        eas_put3(&b, "<a href=\"", eas_con_url(p, base, "/devices", kv, 5), "\">");
        eas_put_esc(&b, name);
        if (on) {
            eas_put(&b, desc ? " &#9660;" : " &#9650;");
        }
        eas_put(&b, "</a></th>");
    }
    eas_put(&b, "</tr></thead>\n<tbody>\n");
    for (i = 0; i < n; ++i) {
        int r = keys[i].row;
        const char *u = eas_con_row_cell(devices, r, ucol), *d = eas_con_row_cell(devices, r, dcol);
        const char *href = eas_con_device_url(p, base, u, d);

        eas_put3(&b, "<tr data-device=\"", d, "\">");
        for (c = 0; c < devices->ncols; ++c) {
            const char *v = eas_table_cell(devices, r, c);
            eas_put(&b, "<td>");
            if (c == dcol) {
                eas_put3(&b, "<a href=\"", href, "\">");
                eas_con_cell(&b, v);
                eas_put(&b, "</a>");
            } else {
                eas_con_cell(&b, v);
            }
            eas_put(&b, "</td>");
        }
        eas_put(&b, "</tr>\n");
    }
    if (n == 0) {
        eas_put(&b, apr_psprintf(
                        p, "<tr><td colspan=\"%d\" class=\"null\">No device matches.</td></tr>\n",
                        devices->ncols > 0 ? devices->ncols : 1));
    }
    eas_put(&b, "</tbody>\n</table>\n");
    return eas_con_page_end(&b);
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

static void action_fields(eas_sb *b, const eas_console_page *pg, const char *user,
                          const char *device_id, const char *action)
{
    eas_con_hidden(b, "user", user);
    eas_con_hidden(b, "id", device_id);
    eas_con_hidden(b, "action", action);
    eas_con_hidden(b, "csrf", pg ? pg->csrf : NULL);
}

static void action_form(eas_sb *b, const eas_console_page *pg, const char *user,
                        const char *device_id, const action_def *a)
{
    eas_put3(b, "<form method=\"post\" action=\"",
             apr_pstrcat(b->p, eas_con_base(pg), "/device", NULL), "\" class=\"action\">");
    action_fields(b, pg, user, device_id, a->action);
    eas_put3(b, "<button type=\"submit\" name=\"go\" id=\"action-", a->action, "\"");
    eas_put(b, a->danger ? " class=\"danger\">" : ">");
    eas_put_esc(b, a->label);
    eas_put(b, "</button></form>\n");
}

const char *eas_console_device(apr_pool_t *p, const eas_console_page *pg, const char *user,
                               const char *device_id, const eas_admin_device_detail *d)
{
    const char *base = eas_con_base(pg), *protocol = NULL;
    const eas_table *dev = d ? d->device : NULL;
    eas_sb b;
    int c, wcol, acol;
    size_t i;

    eas_sb_init(&b, p);
    eas_con_page_start(
        &b, pg,
        apr_pstrcat(p, "Device ", device_id ? device_id : "", " (", user ? user : "", ")", NULL));

    eas_put(&b, "<h2>Device</h2>\n");
    if (dev && dev->rows && dev->rows->nelts > 0) {
        wcol = eas_con_col_of(dev, wipe_cols);
        acol = eas_con_col_of(dev, access_cols);
        protocol = eas_con_row_cell(dev, 0, eas_con_col_of(dev, protocol_cols));
        eas_put(&b, "<dl id=\"device\">\n");
        for (c = 0; c < dev->ncols; ++c) {
            eas_put3(&b, "<dt>", dev->names[c], "</dt>");
            eas_put(&b, c == wcol   ? "<dd id=\"wipe-state\">"
                        : c == acol ? "<dd id=\"access-state\">"
                                    : "<dd>");
            eas_con_cell(&b, eas_table_cell(dev, 0, c));
            eas_put(&b, "</dd>\n");
        }
        eas_put(&b, "</dl>\n");
    } else {
        eas_put(&b, "<p class=\"null\">No device data.</p>\n");
    }

    eas_put(&b, "<h2>Actions</h2>\n<div class=\"actions\">\n");
    for (i = 0; i < sizeof(actions) / sizeof(actions[0]); ++i) {
        /* an account-only wipe exists from ActiveSync 16.1 on; the core refuses it otherwise */
        if (!strcmp(actions[i].action, "account-wipe") &&
            !(protocol && !strcmp(protocol, "16.1"))) {
            continue;
        }
        action_form(&b, pg, user, device_id, &actions[i]);
    }
    eas_put(&b, "</div>\n");

    eas_put(&b, "<h2>Effective policy</h2>\n");
    if (d && d->policy) {
        eas_con_table(&b, "policy", d->policy, base, 0);
    } else {
        eas_put(&b, "<p class=\"null\">No policy.</p>\n");
    }
    eas_put(&b, "<h2>Recent audit entries</h2>\n");
    if (d && d->audit) {
        eas_con_table(&b, "audit", d->audit, base, 1); /* the core gives newest last */
    } else {
        eas_put(&b, "<p class=\"null\">No audit entries.</p>\n");
    }
    return eas_con_page_end(&b);
}

const char *eas_console_confirm(apr_pool_t *p, const eas_console_page *pg, const char *user,
                                const char *device_id, const char *action)
{
    const action_def *a = action_find(action);
    eas_sb b;

    eas_sb_init(&b, p);
    eas_con_page_start(&b, pg, a ? apr_pstrcat(p, "Confirm: ", a->label, NULL) : "Confirm");
    eas_put(&b, "<p class=\"confirm\">");
    if (a && a->what) {
        eas_put3(&b, "This will ", a->what, "");
    } else {
        eas_put3(&b, "This will perform the action \"", action, "\"");
    }
    eas_put3(&b, " on device <strong>", device_id, "</strong>");
    eas_put3(&b, " of user <strong>", user, "</strong>.</p>\n");
    eas_put3(&b, "<form method=\"post\" action=\"",
             apr_pstrcat(p, eas_con_base(pg), "/device", NULL), "\" class=\"confirm\">");
    action_fields(&b, pg, user, device_id, action);
    eas_con_hidden(&b, "confirm", "yes");
    eas_put(&b, "<button type=\"submit\" name=\"go\" id=\"confirm\" class=\"danger\">");
    eas_put_esc(&b, a && a->confirm_label ? a->confirm_label : "Confirm");
    eas_put(&b, "</button> ");
    eas_put3(&b, "<a id=\"cancel\" href=\"",
             eas_con_device_url(p, eas_con_base(pg), user, device_id), "\">Cancel</a></form>\n");
    return eas_con_page_end(&b);
}

/* --- audit, messages ---------------------------------------------------------------------- */

const char *eas_console_audit(apr_pool_t *p, const eas_console_page *pg, const eas_table *audit,
                              const char *since, const char *user, const char *device_id)
{
    const char *base = eas_con_base(pg);
    eas_sb b;

    eas_sb_init(&b, p);
    eas_con_page_start(&b, pg, "Audit log");
    eas_put3(&b, "<form method=\"get\" action=\"", apr_pstrcat(p, base, "/audit", NULL),
             "\" class=\"filter\">");
    eas_con_text_input(&b, "Since", "since", since);
    eas_con_text_input(&b, "User", "user", user);
    eas_con_text_input(&b, "Device", "device", device_id);
    eas_put(&b, "<button type=\"submit\">Filter</button></form>\n");
    if (audit) {
        eas_con_table(&b, "audit", audit, base, 1); /* the core gives oldest first */
    } else {
        eas_put(&b, "<p class=\"null\">No audit entries.</p>\n");
    }
    return eas_con_page_end(&b);
}

const char *eas_console_message(apr_pool_t *p, const eas_console_page *pg, const char *title,
                                const char *message)
{
    eas_sb b;

    eas_sb_init(&b, p);
    eas_con_page_start(&b, pg, title ? title : "");
    eas_put3(&b, "<p class=\"message\">", message, "</p>\n");
    return eas_con_page_end(&b);
}
