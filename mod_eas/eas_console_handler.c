/* eas_console_handler.c — the administration console's glue ("eas-admin", docs/console.md):
 * routes, forms, CSRF checks and the pooled connection. Reads and actions are eas_admin.h's
 * (the same validation, transactions and audit rows as easctl, with the admin as actor); the
 * HTML is eas_console.h's. */
#include <string.h>
#include <strings.h>

#include "apr_strings.h"
#include "apr_uri.h"
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "util_script.h"

#include "eas_admin.h"
#include "eas_audit.h" /* eas_json_str */
#include "eas_body.h"
#include "eas_config.h"
#include "eas_console.h"
#include "eas_console_handler.h"

APLOG_USE_MODULE(eas);

#define HTML_TYPE "text/html; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define FORM_MAX  ((apr_off_t)65536)
#define API_HDR   "X-EAS-Console" /* custom header: a browser cannot send it cross-site */

typedef struct con {
    request_rec *r;
    eas_srv_conf *sc;
    eas_console_page pg;
    int api;
    apr_table_t *args; /* query + (POST) form */
    eas_admin a;
} con;

#define CON_LOG(c, level, tag, fmt, ...)                                                           \
    ap_log_rerror(APLOG_MARK, level, 0, (c)->r, tag ": console: " fmt " [admin=%s]", __VA_ARGS__,  \
                  ap_escape_logitem((c)->r->pool, (c)->r->user))

static const char *arg(con *c, const char *name)
{
    const char *v = apr_table_get(c->args, name);
    return v && *v ? v : NULL;
}

static int send_body(con *c, int status, const char *type, const char *body)
{
    request_rec *r = c->r;
    r->status = status;
    ap_set_content_type(r, type);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "X-Frame-Options", "DENY");
    apr_table_setn(r->headers_out, "Content-Security-Policy",
                   "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                   "frame-ancestors 'none'");
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_length(r, (apr_off_t)strlen(body));
    if (!r->header_only) {
        ap_rputs(body, r);
    }
    return OK;
}

static const char *json_str(apr_pool_t *p, const char *s)
{
    eas_table *t = eas_table_make(p, 1, (const char *[]){"error"}, NULL);
    const char *row;
    eas_table_add(t)[0] = s;
    row = eas_table_render_json_row(p, t, 0);
    return row;
}

/* An error in the page's form: HTML message or {"error": ...}. */
static int fail(con *c, int status, const char *title, const char *msg)
{
    CON_LOG(c, APLOG_INFO, "EAS00130", "%s %s: %d %s", c->r->method,
            ap_escape_logitem(c->r->pool, c->r->uri), status, ap_escape_logitem(c->r->pool, msg));
    if (c->api) {
        return send_body(c, status, JSON_TYPE, json_str(c->r->pool, msg));
    }
    return send_body(c, status, HTML_TYPE, eas_console_message(c->r->pool, &c->pg, title, msg));
}

static int redirect(con *c, const char *route_and_query)
{
    apr_table_setn(c->r->headers_out, "Location",
                   ap_construct_url(c->r->pool,
                                    apr_pstrcat(c->r->pool, c->pg.base, route_and_query, NULL),
                                    c->r));
    return HTTP_SEE_OTHER;
}

/* --- actions -------------------------------------------------------------------------------- */

typedef struct action_def {
    const char *name, *done;
    int confirm;
} action_def;

static const action_def actions[] = {
    {"wipe", "Remote wipe requested.", 1},
    {"account-wipe", "Account-only remote wipe requested.", 1},
    {"wipe-cancel", "Remote wipe cancelled.", 0},
    {"wipe-clear", "Wipe cleared: the device may sync again.", 0},
    {"delete", "Device deleted: it will sync from scratch.", 1},
    {"block", "Device blocked.", 0},
    {"allow", "Device allowed.", 0},
    {"quarantine", "Device quarantined.", 0},
    {"access-clear", "Access decision back to the rules.", 0},
    {NULL, NULL, 0},
};

static const action_def *find_action(const char *name)
{
    const action_def *d;
    for (d = actions; name && d->name; ++d) {
        if (strcmp(d->name, name) == 0) {
            return d;
        }
    }
    return NULL;
}

static int run_action(con *c, const action_def *d, const char *user, const char *id)
{
    eas_admin *a = &c->a;
    if (!strcmp(d->name, "wipe") || !strcmp(d->name, "account-wipe")) {
        return eas_admin_wipe_request(a, id, user, d->name[0] == 'a');
    }
    if (!strcmp(d->name, "wipe-cancel")) {
        return eas_admin_wipe_cancel(a, id, user);
    }
    if (!strcmp(d->name, "wipe-clear")) {
        return eas_admin_wipe_clear(a, id, user);
    }
    if (!strcmp(d->name, "delete")) {
        return eas_admin_device_delete(a, id, user, 0);
    }
    return eas_admin_access_override(a, id, user,
                                     strcmp(d->name, "access-clear") == 0 ? NULL : d->name);
}

/* Same-site check for browser POSTs: an Origin (or Referer) naming another host is refused, and
 * so is "null" (a sandboxed or data: page). Only the host name is compared, not the scheme or
 * port: behind a TLS-terminating proxy the browser says https://host while this hop is
 * http://host:8080. The CSRF token stays the real defence; this only adds a second one. */
static int same_origin(request_rec *r)
{
    const char *o = apr_table_get(r->headers_in, "Origin"), *self = ap_get_server_name(r);
    apr_uri_t u;

    if (!o) {
        o = apr_table_get(r->headers_in, "Referer");
    }
    if (!o) {
        return 1;
    }
    if (strcmp(o, "null") == 0 || apr_uri_parse(r->pool, o, &u) != APR_SUCCESS || !u.scheme ||
        !u.hostname || !self) {
        return 0;
    }
    return strcasecmp(u.hostname, self) == 0;
}

/* A browser form's CSRF token and origin: NULL when it may act, else why not (403). */
static const char *csrf_refused(con *c)
{
    int rc = eas_csrf_check(c->sc->admin_secret, c->sc->admin_secret_len, c->r->user,
                            apr_table_get(c->args, "csrf"), apr_time_now());
    if (rc != 0 || !same_origin(c->r)) {
        return rc > 0 ? "The form has expired: reload the page and try again."
                      : "The request did not come from this console (CSRF check).";
    }
    return NULL;
}

static int post_device(con *c)
{
    const char *user = arg(c, "user"), *id = arg(c, "id"), *why;
    const action_def *d = find_action(arg(c, "action"));

    if (!c->api && (why = csrf_refused(c)) != NULL) {
        return fail(c, HTTP_FORBIDDEN, "Refused", why);
    }
    if (!user || !id || !d) {
        return fail(c, HTTP_BAD_REQUEST, "Bad request", "user, id and a known action are needed");
    }
    if (d->confirm && !c->api &&
        (!arg(c, "confirm") || strcmp(apr_table_get(c->args, "confirm"), "yes") != 0)) {
        return send_body(c, HTTP_OK, HTML_TYPE,
                         eas_console_confirm(c->r->pool, &c->pg, user, id, d->name));
    }
    if (run_action(c, d, user, id) != 0) {
        return fail(c, HTTP_CONFLICT, "Not done", c->a.err);
    }
    CON_LOG(c, APLOG_INFO, "EAS00131", "%s on %s/%s", d->name, ap_escape_logitem(c->r->pool, user),
            ap_escape_logitem(c->r->pool, id));
    if (c->api) {
        return send_body(c, HTTP_OK, JSON_TYPE, "{\"ok\":true}");
    }
    if (!strcmp(d->name, "delete")) {
        return redirect(c, apr_pstrcat(c->r->pool, "/devices?done=delete", NULL));
    }
    return redirect(c,
                    apr_pstrcat(c->r->pool, "/device?user=", eas_url_escape(c->r->pool, user),
                                "&id=", eas_url_escape(c->r->pool, id), "&done=", d->name, NULL));
}

/* --- pages ---------------------------------------------------------------------------------- */

static void flash_from_done(con *c)
{
    const action_def *d = find_action(arg(c, "done"));
    if (d) {
        c->pg.flash = d->done; /* fixed text: nothing from the request is reflected */
    }
}

static int get_devices(con *c)
{
    eas_table *t;
    if (eas_admin_device_list(&c->a, c->api ? arg(c, "user") : NULL, &t) != 0) {
        return fail(c, HTTP_NOT_FOUND, "Not found", c->a.err);
    }
    if (c->api) {
        return send_body(c, HTTP_OK, JSON_TYPE, eas_table_render_json(c->r->pool, t));
    }
    flash_from_done(c);
    return send_body(c, HTTP_OK, HTML_TYPE,
                     eas_console_devices(c->r->pool, &c->pg, t, arg(c, "user"), arg(c, "q"),
                                         arg(c, "state"), arg(c, "sort"), arg(c, "desc") != NULL));
}

static int get_device(con *c)
{
    const char *user = arg(c, "user"), *id = arg(c, "id");
    eas_admin_device_detail d;
    if (!id) {
        return fail(c, HTTP_BAD_REQUEST, "Bad request", "id is needed");
    }
    if (eas_admin_device_show(&c->a, id, user, &d) != 0) {
        return fail(c, HTTP_NOT_FOUND, "Not found", c->a.err);
    }
    if (!user) { /* found by a unique DeviceId: the forms must name the owner */
        user = eas_table_cell(d.device, 0, eas_table_col(d.device, "user"));
    }
    if (c->api) {
        return send_body(
            c, HTTP_OK, JSON_TYPE,
            apr_pstrcat(c->r->pool,
                        "{\"device\":", eas_table_render_json_row(c->r->pool, d.device, 0),
                        ",\"policy\":", eas_table_render_json(c->r->pool, d.policy),
                        ",\"audit\":", eas_table_render_json(c->r->pool, d.audit), "}", NULL));
    }
    flash_from_done(c);
    return send_body(c, HTTP_OK, HTML_TYPE, eas_console_device(c->r->pool, &c->pg, user, id, &d));
}

static int get_audit(con *c)
{
    eas_table *t;
    if (eas_admin_audit(&c->a, arg(c, "since"), arg(c, "user"), arg(c, "device"), 200, &t) != 0) {
        return fail(c, HTTP_BAD_REQUEST, "Bad request", c->a.err);
    }
    if (c->api) {
        return send_body(c, HTTP_OK, JSON_TYPE, eas_table_render_json(c->r->pool, t));
    }
    return send_body(c, HTTP_OK, HTML_TYPE,
                     eas_console_audit(c->r->pool, &c->pg, t, arg(c, "since"), arg(c, "user"),
                                       arg(c, "device")));
}

/* "/" and "/api/overview". */
static int get_overview(con *c)
{
    eas_admin_overview ov;
    apr_pool_t *p = c->r->pool;
    if (eas_admin_overview_get(&c->a, &ov) != 0) {
        return fail(c, HTTP_INTERNAL_SERVER_ERROR, "Not available", c->a.err);
    }
    if (c->api) {
        const char *n = apr_psprintf(p,
                                     "%" APR_INT64_T_FMT ",\"users\":%" APR_INT64_T_FMT
                                     ",\"held_pings\":%" APR_INT64_T_FMT,
                                     ov.devices, ov.users, ov.held_pings);
        return send_body(
            c, HTTP_OK, JSON_TYPE,
            apr_pstrcat(p, "{\"states\":", eas_table_render_json(p, ov.states), ",\"devices\":", n,
                        ",\"syncs_per_hour\":", eas_table_render_json(p, ov.syncs), "}", NULL));
    }
    return send_body(c, HTTP_OK, HTML_TYPE, eas_console_overview(p, &c->pg, &ov));
}

/* --- policies ------------------------------------------------------------------------------ */

/* A policy scope as easctl's --global | --domain D | --user U | --device ID [--user U]. */
typedef struct policy_req {
    eas_admin_scope s;
    const char *scope, *key, *user; /* as the page and its forms name them */
} policy_req;

/* scope=global|domain|user|device (default global), key = the domain, user or DeviceId, user =
 * the device's user (looked up when not given, for the page's links). 0, else an HTTP status
 * and *why. */
static int policy_scope(con *c, policy_req *pr, const char **why)
{
    memset(pr, 0, sizeof(*pr));
    pr->scope = arg(c, "scope") ? arg(c, "scope") : "global";
    pr->key = arg(c, "key");
    pr->user = arg(c, "user");
    if (!strcmp(pr->scope, "global")) {
        pr->s.scope = EAS_SCOPE_GLOBAL;
        pr->key = pr->user = NULL;
        return 0;
    }
    if (!strcmp(pr->scope, "domain")) {
        pr->s.scope = EAS_SCOPE_DOMAIN;
        pr->s.domain = pr->key;
        pr->user = NULL;
    } else if (!strcmp(pr->scope, "user")) {
        pr->s.scope = EAS_SCOPE_USER;
        pr->s.user = pr->key = pr->key ? pr->key : pr->user;
        pr->user = NULL;
    } else if (!strcmp(pr->scope, "device")) {
        pr->s.scope = EAS_SCOPE_DEVICE;
        pr->s.device_id = pr->key;
        pr->s.user = pr->user;
    } else {
        *why = "a policy scope is global, domain, user or device";
        return HTTP_BAD_REQUEST;
    }
    if (!pr->key) {
        *why = "this scope needs a key: the domain, the user or the DeviceId";
        return HTTP_BAD_REQUEST;
    }
    if (pr->s.scope == EAS_SCOPE_DEVICE && !pr->user) {
        eas_admin_device dev;
        if (eas_admin_device_find(&c->a, pr->key, NULL, &dev) != 0) {
            *why = c->a.err;
            return HTTP_NOT_FOUND;
        }
        pr->s.user = pr->user = dev.user;
    }
    return 0;
}

/* A refused policy request: {"error": ...}, or the page again with the reason as an error
 * flash (and the table when the scope was found), so the administrator can correct it. */
static int policy_refused(con *c, int status, const policy_req *pr, const eas_table *eff,
                          const char *msg)
{
    if (c->api) {
        return fail(c, status, "Refused", msg);
    }
    CON_LOG(c, APLOG_INFO, "EAS00130", "%s %s: %d %s", c->r->method,
            ap_escape_logitem(c->r->pool, c->r->uri), status, ap_escape_logitem(c->r->pool, msg));
    c->pg.flash = msg;
    c->pg.flash_error = 1;
    return send_body(c, status, HTML_TYPE,
                     eas_console_policies(c->r->pool, &c->pg, pr->scope, pr->key, pr->user,
                                          eas_admin_policy_fields(c->r->pool), eff));
}

static int get_policies(con *c)
{
    const char *why = NULL, *done = arg(c, "done");
    eas_table *eff;
    policy_req pr;
    int status;

    if ((status = policy_scope(c, &pr, &why)) != 0) {
        return policy_refused(c, status, &pr, NULL, why);
    }
    if (eas_admin_policy_show(&c->a, &pr.s, NULL, &eff) != 0) {
        return policy_refused(c, HTTP_NOT_FOUND, &pr, NULL, c->a.err);
    }
    if (c->api) {
        return send_body(c, HTTP_OK, JSON_TYPE, eas_table_render_json(c->r->pool, eff));
    }
    /* fixed text: nothing from the request is reflected */
    if (done && !strcmp(done, "set")) {
        c->pg.flash = "Policy value set at this scope.";
    } else if (done && !strcmp(done, "unset")) {
        c->pg.flash = "Policy value removed at this scope: it is inherited again.";
    }
    return send_body(c, HTTP_OK, HTML_TYPE,
                     eas_console_policies(c->r->pool, &c->pg, pr.scope, pr.key, pr.user,
                                          eas_admin_policy_fields(c->r->pool), eff));
}

/* scope, key, user, name, and value or unset=1. */
static int post_policies(con *c)
{
    const char *why = NULL, *name = arg(c, "name"), *stored = NULL;
    const char *value = apr_table_get(c->args, "value"); /* "" is a value: no limit */
    int unset = arg(c, "unset") && !strcmp(arg(c, "unset"), "1"), status, rc;
    apr_pool_t *p = c->r->pool;
    eas_table *eff;
    policy_req pr;

    if (!c->api && (why = csrf_refused(c)) != NULL) {
        return fail(c, HTTP_FORBIDDEN, "Refused", why);
    }
    if ((status = policy_scope(c, &pr, &why)) != 0) {
        return policy_refused(c, status, &pr, NULL, why);
    }
    if (eas_admin_policy_show(&c->a, &pr.s, NULL, &eff) != 0) {
        return policy_refused(c, HTTP_NOT_FOUND, &pr, NULL, c->a.err);
    }
    if (!name || (!unset && !value)) {
        return policy_refused(c, HTTP_BAD_REQUEST, &pr, eff,
                              "a setting name and a value (or unset=1) are needed");
    }
    rc = unset ? eas_admin_policy_unset(&c->a, &pr.s, name)
               : eas_admin_policy_set(&c->a, &pr.s, name, value, &stored);
    if (rc != 0) {
        return policy_refused(c, HTTP_CONFLICT, &pr, eff, c->a.err);
    }
    CON_LOG(c, APLOG_INFO, "EAS00131", "policy %s %s at %s %s", unset ? "unset" : "set",
            ap_escape_logitem(p, name), pr.scope, ap_escape_logitem(p, pr.key ? pr.key : ""));
    if (c->api) {
        if (unset) {
            return send_body(c, HTTP_OK, JSON_TYPE, "{\"ok\":true}");
        }
        return send_body(
            c, HTTP_OK, JSON_TYPE,
            apr_pstrcat(p, "{\"ok\":true,\"value\":", eas_json_str(p, stored), "}", NULL));
    }
    return redirect(c, apr_pstrcat(p, "/policies?scope=", pr.scope, pr.key ? "&key=" : "",
                                   pr.key ? eas_url_escape(p, pr.key) : "", pr.user ? "&user=" : "",
                                   pr.user ? eas_url_escape(p, pr.user) : "",
                                   unset ? "&done=unset" : "&done=set", NULL));
}

/* Every page: its route (after the base), whether it is the JSON API, and its GET and POST. */
typedef struct route_def {
    const char *route;
    int api;
    int (*get)(con *c);
    int (*post)(con *c);
} route_def;

static const route_def routes[] = {
    /* the API first: "/api/devices" also ends with "/devices" */
    {"/api/overview", 1, get_overview, NULL},
    {"/api/devices", 1, get_devices, NULL},
    {"/api/device", 1, get_device, post_device},
    {"/api/audit", 1, get_audit, NULL},
    {"/api/policy", 1, get_policies, post_policies},
    {"/devices", 0, get_devices, NULL},
    {"/device", 0, get_device, post_device},
    {"/audit", 0, get_audit, NULL},
    {"/policies", 0, get_policies, post_policies},
    {"/", 0, get_overview, NULL},
    {NULL, 0, NULL, NULL},
};

/* The route whose path ends r->uri; the console's base is what comes before it. Found from the
 * URI rather than from the <Location> that matched: core's per-directory config names the LAST
 * section merged, which an <If> inside the location or any later <Location> changes. The
 * location's own path (when uri is exactly it) is the overview. NULL: no such page. */
static const route_def *find_route(request_rec *r, const char **base)
{
    const core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    apr_size_t n = strlen(r->uri), k;
    const route_def *d;

    for (d = routes; d->route; ++d) {
        k = strlen(d->route);
        if (n >= k && strcmp(r->uri + n - k, d->route) == 0) {
            *base = apr_pstrndup(r->pool, r->uri, n - k);
            return d;
        }
    }
    *base = "";
    if (cd->d && !cd->r && strcmp(cd->d, r->uri) == 0) {
        *base = r->uri;
        for (d = routes; strcmp(d->route, "/") != 0; ++d) {
        }
        return d; /* the overview */
    }
    return NULL;
}

/* "/eas-admin" when core's section name is not it (an <If> inside the location): the overview
 * is "/eas-admin/". Only for a single path segment, so an unknown page deeper down stays 404. */
static int slash_redirect(request_rec *r)
{
    if (r->method_number != M_GET || strchr(r->uri + 1, '/') || !r->uri[1]) {
        return 0;
    }
    apr_table_setn(
        r->headers_out, "Location",
        ap_construct_url(
            r->pool, apr_pstrcat(r->pool, ap_os_escape_path(r->pool, r->uri, 1), "/", NULL), r));
    return 1;
}

static int dispatch(con *c, const route_def *d)
{
    if (!d) {
        return fail(c, HTTP_NOT_FOUND, "Not found", "No such page.");
    }
    if (c->r->method_number == M_GET) { /* HEAD too */
        return d->get(c);
    }
    if (c->r->method_number == M_POST && d->post) {
        return d->post(c);
    }
    ap_allow_methods(c->r, REPLACE_ALLOW, "GET", d->post ? "POST" : NULL, NULL);
    return HTTP_METHOD_NOT_ALLOWED;
}

static apr_status_t release(void *data)
{
    con *c = data;
    eas_dbpool_release(c->sc->dbpool, c->a.conn);
    return APR_SUCCESS;
}

int eas_console_handler(request_rec *r)
{
    const route_def *route;
    con *c;

    if (!r->handler || strcmp(r->handler, "eas-admin") != 0) {
        return DECLINED;
    }
    c = apr_pcalloc(r->pool, sizeof(*c));
    c->r = r;
    c->sc = eas_srv_config(r->server);
    ap_allow_methods(r, REPLACE_ALLOW, "GET", "POST", NULL);
    if (!r->user) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "EAS00132: console without an authenticated user; protect its location "
                      "with AuthType Basic and Require user ...");
        return HTTP_UNAUTHORIZED;
    }
    route = find_route(r, &c->pg.base);
    if (!route && slash_redirect(r)) {
        return HTTP_MOVED_PERMANENTLY;
    }
    c->api = route && route->api;
    c->pg.admin = r->user;
    c->pg.csrf = eas_csrf_token(r->pool, c->sc->admin_secret, c->sc->admin_secret_len, r->user,
                                apr_time_now());
    c->args = apr_table_make(r->pool, 8);
    /* a POST acts on its form only: values in the query string could otherwise override it */
    if (r->method_number != M_POST && eas_form_parse(r->pool, r->args, c->args, NULL) != 0) {
        return fail(c, HTTP_BAD_REQUEST, "Bad request", "The query string does not decode.");
    }
    if (r->method_number == M_POST && route && route->post) {
        const char *ct = apr_table_get(r->headers_in, "Content-Type"), *body;
        apr_size_t len;
        int rv;
        if (c->api && !apr_table_get(r->headers_in, API_HDR)) {
            return fail(c, HTTP_FORBIDDEN, "Refused", "API POSTs need the " API_HDR " header");
        }
        if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
            return fail(c, HTTP_UNSUPPORTED_MEDIA_TYPE, "Bad request",
                        "POST an application/x-www-form-urlencoded form");
        }
        if ((rv = eas_read_body(r, FORM_MAX, &body, &len)) != OK) {
            return rv;
        }
        if (strlen(body) != len || eas_form_parse(r->pool, body, c->args, NULL) != 0) {
            return fail(c, HTTP_BAD_REQUEST, "Bad request", "The form does not decode.");
        }
    }
    if (!c->sc->dbpool || !(c->a.conn = eas_dbpool_acquire(c->sc->dbpool))) {
        return fail(c, HTTP_SERVICE_UNAVAILABLE, "Database unavailable",
                    "The database cannot be reached; try again shortly.");
    }
    apr_pool_cleanup_register(r->pool, c, release, apr_pool_cleanup_null);
    c->a.pool = r->pool;
    c->a.actor = r->user;
    return dispatch(c, route);
}
