/* eas_console_policy.c — the console's policy editor (see eas_console.h, docs/console.md): the
 * effective policy at one scope with where each value comes from, and per setting a form that
 * sets it at this scope or, when it is set here, removes it so the value is inherited again.
 * Data reaches the page only through the escaping helpers of eas_console_html.h. */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_console.h"
#include "eas_console_html.h"

static const char *const scope_names[] = {"global", "domain", "user", "device"};

/* The versions a server of this kind offers (eas_policy_check_value accepts these and more). */
static const char *const versions[] = {"12.0", "12.1", "14.0", "14.1", "16.0", "16.1"};

/* Small unsigned ranges ("0..2": Bluetooth, S/MIME algorithms, age filters) are enums whose
 * meanings the help text lists: a select. */
#define ENUM_MAX_CHOICES 10

static const char *policies_url(apr_pool_t *p, const char *base, const char *scope, const char *key,
                                const char *user)
{
    const char *kv[] = {"scope", scope, "key", key, "user", user};
    return eas_con_url(p, base, "/policies", kv, 3);
}

/* "domain example.com", "device D (user U)". */
static const char *scope_label(apr_pool_t *p, const char *scope, const char *key, const char *user)
{
    if (!strcmp(scope, "global")) {
        return "global";
    }
    if (!strcmp(scope, "device") && user) {
        return apr_pstrcat(p, "device ", key ? key : "", " (user ", user, ")", NULL);
    }
    return apr_pstrcat(p, scope, " ", key ? key : "", NULL);
}

static void chooser(eas_sb *b, const eas_console_page *pg, const char *scope, const char *key,
                    const char *user)
{
    size_t i;

    eas_put3(b, "<form method=\"get\" action=\"",
             apr_pstrcat(b->p, eas_con_base(pg), "/policies", NULL),
             "\" class=\"filter\" id=\"scope\">");
    eas_put(b, "<label>Scope <select name=\"scope\">");
    for (i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); ++i) {
        eas_put3(b, "<option value=\"", scope_names[i], "\"");
        eas_put(b, scope && !strcmp(scope, scope_names[i]) ? " selected>" : ">");
        eas_put3(b, "", scope_names[i], "</option>");
    }
    eas_put(b, "</select></label>");
    eas_con_text_input(b, "Domain, user or DeviceId", "key", key);
    eas_con_text_input(b, "User (of the device)", "user", user);
    eas_put(b, "<button type=\"submit\">Show</button></form>\n");
}

/* Where values come from, most general first, each a link to that scope's page. */
static void chain(eas_sb *b, const eas_console_page *pg, const char *scope, const char *key,
                  const char *user)
{
    const char *base = eas_con_base(pg), *owner, *domain;

    owner = !strcmp(scope, "user") ? key : !strcmp(scope, "device") ? user : NULL;
    domain = !strcmp(scope, "domain") ? key : eas_policy_user_domain(owner);
    eas_put(b, "<p id=\"chain\">The most specific scope that sets a value wins: default");
    if (strcmp(scope, "global") != 0) {
        eas_put3(b, " &#8594; <a href=\"", policies_url(b->p, base, "global", NULL, NULL),
                 "\">global</a>");
    }
    if (domain && strcmp(scope, "domain") != 0) {
        eas_put3(b, " &#8594; <a href=\"", policies_url(b->p, base, "domain", domain, NULL),
                 "\">domain ");
        eas_put3(b, "", domain, "</a>");
    }
    if (owner && !strcmp(scope, "device")) {
        eas_put3(b, " &#8594; <a href=\"", policies_url(b->p, base, "user", owner, NULL),
                 "\">user ");
        eas_put3(b, "", owner, "</a>");
    }
    eas_put3(b, " &#8594; <strong>", scope_label(b->p, scope, key, user), "</strong>");
    if (!strcmp(scope, "device") && key) {
        eas_put3(b, " (<a href=\"", eas_con_device_url(b->p, base, user, key),
                 "\">device page</a>)");
    }
    eas_put(b, ".</p>\n");
}

/* The hidden fields that name the scope and the setting in both forms of a row. */
static void row_hidden(eas_sb *b, const eas_console_page *pg, const char *scope, const char *key,
                       const char *user, const char *name)
{
    eas_con_hidden(b, "scope", scope);
    eas_con_hidden(b, "key", key);
    eas_con_hidden(b, "user", user);
    eas_con_hidden(b, "name", name);
    eas_con_hidden(b, "csrf", pg ? pg->csrf : NULL);
}

static void option(eas_sb *b, const char *value, const char *label, int selected)
{
    eas_put3(b, "<option value=\"", value, selected ? "\" selected>" : "\">");
    eas_put3(b, "", label, "</option>");
}

/* The value widget: a select for booleans, small ranges and versions, else a text input. */
static void value_input(eas_sb *b, const char *type, const char *range, const char *current)
{
    const char *cur = current ? current : "";
    long lo, hi, v;
    size_t i;
    int found = 0;

    if (type && !strcmp(type, "bool")) {
        eas_put(b, "<select name=\"value\">");
        option(b, "1", "1 (yes)", !strcmp(cur, "1"));
        option(b, "0", "0 (no)", !strcmp(cur, "0"));
        if (*cur && strcmp(cur, "1") != 0 && strcmp(cur, "0") != 0) {
            option(b, cur, cur, 1); /* not a value the core stores: shown, not hidden */
        }
        eas_put(b, "</select>");
        return;
    }
    if (type && !strcmp(type, "uint") && range && sscanf(range, "%ld..%ld", &lo, &hi) == 2 &&
        lo <= hi && hi - lo < ENUM_MAX_CHOICES) {
        eas_put(b, "<select name=\"value\">");
        for (v = lo; v <= hi; ++v) {
            const char *s = apr_ltoa(b->p, v);
            found |= !strcmp(cur, s);
            option(b, s, s, !strcmp(cur, s));
        }
        if (!found && *cur) {
            option(b, cur, cur, 1);
        }
        eas_put(b, "</select>");
        return;
    }
    if (type && !strcmp(type, "version")) {
        eas_put(b, "<select name=\"value\">");
        for (i = 0; i < sizeof(versions) / sizeof(versions[0]); ++i) {
            found |= !strcmp(cur, versions[i]);
            option(b, versions[i], versions[i], !strcmp(cur, versions[i]));
        }
        if (!found && *cur) {
            option(b, cur, cur, 1);
        }
        eas_put(b, "</select>");
        return;
    }
    eas_put3(b, "<input type=\"text\" name=\"value\" value=\"", cur, "\"");
    if (range) {
        eas_put3(b, " placeholder=\"", range, "\"");
    }
    eas_put(b, ">");
}

/* The source cell: "set here", or the scope it is inherited from as a link to that page. */
static void source_cell(eas_sb *b, const eas_console_page *pg, const char *source,
                        const char *source_key, int here, const char *user)
{
    if (here) {
        eas_put(b, "<strong>set here</strong>");
        return;
    }
    if (!source || !strcmp(source, "default")) {
        eas_put(b, "default");
        return;
    }
    eas_put3(b, "inherited from <a href=\"",
             policies_url(b->p, eas_con_base(pg), source, source_key,
                          !strcmp(source, "device") ? user : NULL),
             "\">");
    eas_put_esc(b, source);
    if (source_key) {
        eas_put3(b, " ", source_key, "");
    }
    eas_put(b, "</a>");
}

const char *eas_console_policies(apr_pool_t *p, const eas_console_page *pg, const char *scope,
                                 const char *key, const char *user, const eas_table *fields,
                                 const eas_table *effective)
{
    const char *action = apr_pstrcat(p, eas_con_base(pg), "/policies", NULL);
    int ncol, vcol, scol, kcol, fname, ftype, frange, fhelp, fdflt, n, i, j;
    eas_sb b;

    scope = scope ? scope : "global";
    eas_sb_init(&b, p);
    eas_con_page_start(
        &b, pg,
        effective ? apr_pstrcat(p, "Policy: ", scope_label(p, scope, key, user), NULL) : "Policy");
    chooser(&b, pg, scope, key, user);
    if (!effective) {
        eas_put(&b, "<p class=\"null\">Choose a scope and, except for global, a domain, a user "
                    "or a DeviceId.</p>\n");
        return eas_con_page_end(&b);
    }
    chain(&b, pg, scope, key, user);

    ncol = eas_table_col(effective, "name");
    vcol = eas_table_col(effective, "value");
    scol = eas_table_col(effective, "source");
    kcol = eas_table_col(effective, "source_key");
    fname = fields ? eas_table_col(fields, "name") : -1;
    ftype = fields ? eas_table_col(fields, "type") : -1;
    frange = fields ? eas_table_col(fields, "range") : -1;
    fhelp = fields ? eas_table_col(fields, "help") : -1;
    fdflt = fields ? eas_table_col(fields, "default") : -1;

    eas_put(&b, "<table id=\"policy\">\n<thead><tr><th>Setting</th><th>Value</th>"
                "<th>Comes from</th><th>Change at this scope</th></tr></thead>\n<tbody>\n");
    n = effective->rows ? effective->rows->nelts : 0;
    for (i = 0; i < n; ++i) {
        const char *name = eas_con_row_cell(effective, i, ncol);
        const char *value = eas_con_row_cell(effective, i, vcol);
        const char *source = eas_con_row_cell(effective, i, scol);
        const char *type = NULL, *range = NULL, *help = NULL, *dflt = NULL;
        int here = source && !strcmp(source, scope);
        int nf = fields && fields->rows ? fields->rows->nelts : 0;

        for (j = 0; name && j < nf; ++j) {
            const char *fn = eas_con_row_cell(fields, j, fname);
            if (fn && !strcmp(fn, name)) {
                type = eas_con_row_cell(fields, j, ftype);
                range = eas_con_row_cell(fields, j, frange);
                help = eas_con_row_cell(fields, j, fhelp);
                dflt = eas_con_row_cell(fields, j, fdflt);
                break;
            }
        }

        eas_put3(&b, "<tr id=\"policy-", name,
                 here ? "\" class=\"here\"" : "\" class=\"inherited\"");
        eas_put3(&b, " data-source=\"", source, "\">");
        eas_put3(&b, "<td><span class=\"name\" title=\"", help, "\">");
        eas_put_esc(&b, name);
        eas_put(&b, "</span>");
        if (help) {
            eas_put3(&b, "<br><small class=\"help\">", help, "</small>");
        }
        eas_put(&b, "</td><td class=\"value\">");
        if (value && !*value) {
            eas_put(&b, "<span class=\"null\">(empty)</span>");
        } else {
            eas_con_cell(&b, value);
        }
        if (dflt && value && strcmp(dflt, value) != 0) {
            eas_put3(&b, " <small class=\"default\">(default ", *dflt ? dflt : "empty",
                     ")</small>");
        }
        eas_put(&b, "</td><td class=\"source\">");
        source_cell(&b, pg, source, eas_con_row_cell(effective, i, kcol), here, user);
        eas_put(&b, "</td><td>");

        eas_put3(&b, "<form method=\"post\" action=\"", action, "\" class=\"action\" id=\"set-");
        eas_put3(&b, "", name, "\">");
        row_hidden(&b, pg, scope, key, user, name);
        value_input(&b, type, range, value);
        eas_put(&b, " <button type=\"submit\" name=\"go\">Set</button></form>");
        if (here) {
            eas_put3(&b, " <form method=\"post\" action=\"", action, "\" class=\"action\">");
            row_hidden(&b, pg, scope, key, user, name);
            eas_con_hidden(&b, "unset", "1");
            eas_put3(&b, "<button type=\"submit\" name=\"go\" id=\"unset-", name,
                     "\" title=\"remove the value set here: inherit it\">Unset</button></form>");
        }
        eas_put(&b, "</td></tr>\n");
    }
    if (n == 0) {
        eas_put(&b, "<tr><td colspan=\"4\" class=\"null\">(none)</td></tr>\n");
    }
    eas_put(&b, "</tbody>\n</table>\n");
    return eas_con_page_end(&b);
}
