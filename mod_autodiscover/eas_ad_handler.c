/* eas_ad_handler.c — the endpoints of mod_autodiscover (docs/autodiscover.md): which answer a
 * request gets. The formats are the core's (eas_autod.h), the settings eas_ad_config's, and who
 * the user is mod_eas's directory when it is loaded (mod_eas.h).
 *
 * Every refusal logs one line with the user and the address; client mistakes at INFO so a
 * misconfigured phone cannot flood a production log. */
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "eas_ad_config.h"
#include "eas_ad_handler.h"
#include "eas_body.h"
#include "mod_eas.h"

APLOG_USE_MODULE(autodiscover);

#define XML_TYPE  "text/xml; charset=utf-8"
#define JSON_TYPE "application/json; charset=utf-8"
#define STR(s)    ((s) ? (s) : "-")
/* request text in a log line: control characters escaped, so a client cannot forge lines */
#define LOGSTR(r, s) ((s) ? ap_escape_logitem((r)->pool, s) : "-")

#define AD_LOG(r, level, tag, fmt, ...)                                                            \
    ap_log_rerror(APLOG_MARK, level, 0, r, tag ": autodiscover: " fmt " [user=%s client=%s]",      \
                  __VA_ARGS__, LOGSTR(r, (r)->user),                                               \
                  LOGSTR(r, apr_table_get((r)->headers_in, "User-Agent")))

static APR_OPTIONAL_FN_TYPE(eas_directory_user) * directory_user;

void eas_ad_retrieve_optional(void)
{
    directory_user = APR_RETRIEVE_OPTIONAL_FN(eas_directory_user);
}

static int send_doc(request_rec *r, int status, const char *type, const char *doc)
{
    if (!doc) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "EAS09014: autodiscover: the answer could not be built (out of memory)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->status = status;
    ap_set_content_type(r, type);
    /* a user's settings and name: never in a shared cache */
    apr_table_setn(r->headers_out, "Cache-Control", "private, no-store");
    ap_set_content_length(r, (apr_off_t)strlen(doc));
    if (!r->header_only) {
        ap_rputs(doc, r);
    }
    return OK;
}

/* Exchange sends a hash of the answering server's name as the error Id. */
static unsigned server_id(request_rec *r)
{
    const char *s = r->server->server_hostname ? r->server->server_hostname : "";
    unsigned h = 2166136261u;
    for (; *s; ++s) {
        h = (h ^ (unsigned char)*s) * 16777619u;
    }
    return h;
}

static int send_error(request_rec *r, int code, const char *message)
{
    return send_doc(r, HTTP_OK, XML_TYPE,
                    eas_ad_error_doc(r->pool, code, message, NULL, apr_time_now(), server_id(r)));
}

/* The value of key in the query string (case-insensitive key, the first occurrence),
 * form-decoded: 1 found (*out), 0 absent, -1 present but not decodable (%zz, %00). */
static int query_arg(request_rec *r, const char *key, const char **out)
{
    apr_table_t *args = apr_table_make(r->pool, 4), *bad = apr_table_make(r->pool, 1);

    eas_form_parse(r->pool, r->args, args, bad);
    *out = apr_table_get(args, key); /* apr tables compare keys case-insensitively */
    if (apr_table_get(bad, key)) {
        return -1;
    }
    return *out != NULL;
}

/* --- whose address ------------------------------------------------------------------------ */

typedef struct who {
    const char *display_name;
    int owns;
} who;

/* Whether address is the authenticated user's, and the user's display name. The directory
 * knows every address; without it (when it fails, or knows none for the user) the login name
 * itself or its local part must match. */
static void identify(request_rec *r, const char *address, const char *local, who *w)
{
    eas_directory_entry e;
    int i;

    w->display_name = NULL;
    w->owns = strcasecmp(r->user, address) == 0;
    if (directory_user && eas_ad_cfg_directory(r->server) && directory_user(r, r->user, &e) == 0) {
        w->display_name = e.display_name;
        for (i = 0; !w->owns && i < e.addresses->nelts; ++i) {
            w->owns = strcasecmp(APR_ARRAY_IDX(e.addresses, i, const char *), address) == 0;
        }
        if (e.addresses->nelts > 0) {
            return;
        }
        /* a bare login name without EASMailDomain: the directory knows no address for it */
    }
    w->owns = w->owns || strcasecmp(r->user, local) == 0;
}

/* --- POST /autodiscover/autodiscover.xml --------------------------------------------------- */

static int content_type_ok(request_rec *r)
{
    const char *ct = apr_table_get(r->headers_in, "Content-Type");
    apr_size_t n;
    if (!ct || !*ct) {
        return 1; /* some clients send none */
    }
    n = strcspn(ct, "; \t");
    return (n == 8 && strncasecmp(ct, "text/xml", n) == 0) ||
           (n == 15 && strncasecmp(ct, "application/xml", n) == 0);
}

static int pox_refuse_address(request_rec *r, eas_ad_request *req, const char *msg)
{
    if (req->kind == EAS_AD_SCHEMA_MOBILESYNC) {
        return send_doc(r, HTTP_OK, XML_TYPE,
                        eas_ad_mobilesync_error_doc(r->pool, req->email, 500, msg));
    }
    return send_error(r, 500, msg);
}

static int pox(request_rec *r)
{
    const char *body, *why = NULL, *local, *domain, *redirect;
    apr_size_t len;
    eas_ad_request req;
    eas_ad_settings set;
    who w;
    int rv, mobilesync;

    if (r->method_number == M_GET) {
        /* what Exchange answers a browser: administrators use it to test the URL */
        AD_LOG(r, APLOG_INFO, "EAS09002", "invalid request (%s, not POST): answered 600",
               r->method);
        return send_error(r, 600, "Invalid Request");
    }
    if (r->method_number != M_POST) {
        AD_LOG(r, APLOG_INFO, "EAS09008", "method %s not allowed", r->method);
        ap_allow_methods(r, REPLACE_ALLOW, "POST", "GET", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (!content_type_ok(r)) {
        AD_LOG(r, APLOG_INFO, "EAS09007", "Content-Type %s refused (text/xml expected)",
               LOGSTR(r, apr_table_get(r->headers_in, "Content-Type")));
        return HTTP_UNSUPPORTED_MEDIA_TYPE;
    }
    if (eas_ad_cfg_address_check(r->server) && !r->user) {
        AD_LOG(r, APLOG_ERR, "EAS09010", "%s",
               "no authenticated user: the location needs AuthType Basic and Require "
               "valid-user (or AutodiscoverAddressCheck Off)");
        return HTTP_UNAUTHORIZED;
    }
    rv = eas_read_body(r, eas_ad_cfg_max_body(r->server), &body, &len);
    if (rv != OK) {
        AD_LOG(r, APLOG_INFO, "EAS09006",
               "request body refused with %d (limit %" APR_OFF_T_FMT
               " bytes, AutodiscoverMaxRequestBody)",
               rv, eas_ad_cfg_max_body(r->server));
        return rv;
    }
    if (eas_ad_parse_request(r->pool, body, len, &req, &why) != 0) {
        AD_LOG(r, APLOG_INFO, "EAS09002", "invalid request (%s): answered 600", LOGSTR(r, why));
        return send_error(r, 600, "Invalid Request");
    }
    if (eas_ad_split_address(r->pool, req.email, &local, &domain) != 0) {
        AD_LOG(r, APLOG_INFO, "EAS09002",
               "invalid request (EMailAddress '%s' is not an address): "
               "answered 600",
               LOGSTR(r, req.email));
        return send_error(r, 600, "Invalid Request");
    }
    if (req.kind == EAS_AD_SCHEMA_OTHER) {
        AD_LOG(r, APLOG_INFO, "EAS09003",
               "AcceptableResponseSchema %s not served: answered 601 "
               "[address=%s]",
               LOGSTR(r, req.schema), LOGSTR(r, req.email));
        return send_error(r, 601, "Provider is not available");
    }
    if (eas_ad_settings_for(r, domain, &set, &redirect) != 0) {
        AD_LOG(r, APLOG_INFO, "EAS09004", "domain %s is not configured here [address=%s]", domain,
               LOGSTR(r, req.email));
        return pox_refuse_address(r, &req, "The e-mail address cannot be found.");
    }
    if (redirect) {
        const char *to = apr_pstrcat(r->pool, local, "@", redirect, NULL);
        AD_LOG(r, APLOG_DEBUG, "EAS09009", "%s redirected to %s", LOGSTR(r, req.email), to);
        return send_doc(r, HTTP_OK, XML_TYPE,
                        req.kind == EAS_AD_SCHEMA_MOBILESYNC
                            ? eas_ad_mobilesync_redirect_doc(r->pool, req.email, to)
                            : eas_ad_outlook_redirect_doc(r->pool, to));
    }
    w.display_name = NULL;
    w.owns = 1;
    if (r->user) {
        identify(r, req.email, local, &w);
    }
    if (!w.owns && eas_ad_cfg_address_check(r->server)) {
        /* the same answer whether the address exists or not */
        AD_LOG(r, APLOG_INFO, "EAS09005", "%s is not an address of the authenticated user",
               LOGSTR(r, req.email));
        return pox_refuse_address(r, &req, "The e-mail address cannot be found.");
    }
    if (!w.owns) {
        w.display_name = NULL; /* the checks are off: someone else's address, not their name */
    }
    mobilesync = req.kind == EAS_AD_SCHEMA_MOBILESYNC;
    if (mobilesync
            ? !eas_ad_advertises(&set, EAS_AD_ACTIVESYNC)
            : !eas_ad_advertises(&set, EAS_AD_IMAP) && !eas_ad_advertises(&set, EAS_AD_POP3) &&
                  !eas_ad_advertises(&set, EAS_AD_SMTP)) {
        AD_LOG(r, APLOG_INFO, "EAS09003", "domain %s advertises no %s: answered 601 [address=%s]",
               domain, mobilesync ? "ActiveSync" : "IMAP, POP3 or SMTP for Outlook",
               LOGSTR(r, req.email));
        return send_error(r, 601, "Provider is not available");
    }
    AD_LOG(r, APLOG_DEBUG, "EAS09012", "%s settings for %s", mobilesync ? "mobilesync" : "Outlook",
           LOGSTR(r, req.email));
    return send_doc(r, HTTP_OK, XML_TYPE,
                    mobilesync ? eas_ad_mobilesync_doc(r->pool, w.display_name, req.email, &set)
                               : eas_ad_outlook_doc(r->pool, w.display_name, req.email, &set));
}

/* --- anonymous endpoints: per-domain settings only ------------------------------------------- */

/* The settings for domain, following a redirect one hop when this server serves its target. */
static int domain_settings(request_rec *r, const char *domain, eas_ad_settings *set)
{
    const char *redirect;
    if (eas_ad_settings_for(r, domain, set, &redirect) != 0) {
        return 1;
    }
    if (redirect) {
        const char *again;
        return eas_ad_settings_for(r, redirect, set, &again) != 0 || again;
    }
    return 0;
}

static int json_error(request_rec *r, int status, const char *code, const char *message)
{
    AD_LOG(r, APLOG_INFO, "EAS09011", "%s %s: %d %s", r->method, LOGSTR(r, r->unparsed_uri), status,
           code);
    return send_doc(r, status, JSON_TYPE, eas_ad_json_error(r->pool, code, message));
}

#define JSON_PREFIX "/autodiscover/autodiscover.json"

static int json(request_rec *r)
{
    const char *rest = r->uri + strlen(JSON_PREFIX), *protocol, *address = NULL, *local, *domain;
    int have_address = 1;
    eas_ad_settings set;

    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET");
        return json_error(r, HTTP_METHOD_NOT_ALLOWED, "MethodNotAllowed", "Use GET.");
    }
    if (strncasecmp(rest, "/v1.0/", 6) == 0) {
        address = rest + 6;
    } else if (*rest && strcmp(rest, "/") != 0) {
        return json_error(r, HTTP_NOT_FOUND, "NotFound",
                          "Use /autodiscover/autodiscover.json/v1.0/{address}.");
    } else {
        have_address = query_arg(r, "Email", &address);
    }
    if (query_arg(r, "Protocol", &protocol) <= 0 ||
        (strcasecmp(protocol, "ActiveSync") != 0 && strcasecmp(protocol, "AutodiscoverV1") != 0)) {
        return json_error(r, HTTP_BAD_REQUEST, "InvalidProtocol",
                          "The given protocol value is invalid. Supported values are "
                          "'ActiveSync,AutodiscoverV1'.");
    }
    if (have_address <= 0 || !address ||
        eas_ad_split_address(r->pool, address, &local, &domain) != 0) {
        return json_error(r, HTTP_BAD_REQUEST, "InvalidUser",
                          "The e-mail address is missing or malformed.");
    }
    if (domain_settings(r, domain, &set) != 0) {
        return json_error(r, HTTP_NOT_FOUND, "DomainNotFound",
                          "The e-mail domain is not served here.");
    }
    if (strcasecmp(protocol, "AutodiscoverV1") == 0) {
        return send_doc(
            r, HTTP_OK, JSON_TYPE,
            eas_ad_json_doc(r->pool, "AutodiscoverV1",
                            ap_construct_url(r->pool, "/autodiscover/autodiscover.xml", r)));
    }
    if (!eas_ad_advertises(&set, EAS_AD_ACTIVESYNC)) {
        return json_error(r, HTTP_BAD_REQUEST, "InvalidProtocol",
                          "ActiveSync is not offered for this domain.");
    }
    return send_doc(r, HTTP_OK, JSON_TYPE, eas_ad_json_doc(r->pool, "ActiveSync", set.eas_url));
}

/* Without emailaddress the host name tells the domain: autoconfig.<domain>. */
static const char *host_domain(request_rec *r)
{
    char *h;
    if (!r->hostname) {
        return NULL;
    }
    h = apr_pstrdup(r->pool, r->hostname);
    ap_str_tolower(h);
    if (strncmp(h, "autoconfig.", 11) == 0) {
        h += 11;
    } else if (strncmp(h, "autodiscover.", 13) == 0) {
        h += 13;
    }
    return eas_ad_valid_domain(h) ? h : NULL;
}

static int autoconfig(request_rec *r)
{
    const char *address, *local, *domain;
    eas_ad_settings set;
    int have = query_arg(r, "emailaddress", &address);

    if (r->method_number != M_GET) {
        AD_LOG(r, APLOG_INFO, "EAS09008", "method %s not allowed", r->method);
        ap_allow_methods(r, REPLACE_ALLOW, "GET", NULL);
        return HTTP_METHOD_NOT_ALLOWED;
    }
    if (have) {
        if (have < 0 || eas_ad_split_address(r->pool, address, &local, &domain) != 0) {
            AD_LOG(r, APLOG_INFO, "EAS09011", "autoconfig: '%s' is not an address",
                   LOGSTR(r, address));
            return HTTP_BAD_REQUEST;
        }
    } else if (!(domain = host_domain(r))) {
        AD_LOG(r, APLOG_INFO, "EAS09011",
               "autoconfig: no emailaddress and host %s names no "
               "domain",
               STR(r->hostname));
        return HTTP_NOT_FOUND;
    }
    if (domain_settings(r, domain, &set) != 0) {
        AD_LOG(r, APLOG_INFO, "EAS09004", "autoconfig: domain %s is not configured here", domain);
        return HTTP_NOT_FOUND;
    }
    return send_doc(r, HTTP_OK, XML_TYPE, eas_ad_autoconfig_doc(r->pool, &set));
}

int eas_ad_handler(request_rec *r)
{
    const char *uri = r->uri;
    apr_size_t n = strlen(uri), tail = strlen("/mail/config-v1.1.xml");

    if (!r->handler || strcmp(r->handler, "eas-autodiscover") != 0) {
        return DECLINED;
    }
    if (strcasecmp(uri, "/autodiscover/autodiscover.xml") == 0) {
        return pox(r);
    }
    if (strncasecmp(uri, JSON_PREFIX, strlen(JSON_PREFIX)) == 0 &&
        (uri[strlen(JSON_PREFIX)] == '\0' || uri[strlen(JSON_PREFIX)] == '/')) {
        return json(r);
    }
    if (n >= tail && strcmp(uri + n - tail, "/mail/config-v1.1.xml") == 0) {
        return autoconfig(r);
    }
    AD_LOG(r, APLOG_INFO, "EAS09001", "%s is no autodiscover endpoint", LOGSTR(r, uri));
    return HTTP_NOT_FOUND;
}
