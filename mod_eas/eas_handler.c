/* eas_handler.c — MS-ASHTTP front door of mod_eas (see eas_handler.h).
 *
 * Order of checks for a POST, each with the protocol's answer and one log line naming user,
 * device and command: query (400), command (501), body size (413), database (503), device
 * registry, dispatch. A pooled connection is tied to r->pool so no error path can leak it. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "eas_cmd.h"
#include "eas_audit.h"
#include "eas_config.h"
#include "eas_device.h"
#include "eas_gate.h"
#include "eas_policy.h"
#include "eas_wbxml.h"
#include "eas_handler.h"
#include "eas_body.h"
#include "eas_submit.h"
#include "eas_query.h"

APLOG_USE_MODULE(eas);

typedef struct eas_req {
    request_rec *r;
    eas_query q;
    eas_dbpool *dbpool;
    eas_device_ref dev;
    const char *body;
    apr_size_t body_len;
    eas_cmd_ctx ctx; /* ctx.db is the request's one pooled connection (a held Ping lends it back) */
} eas_req;

#define STR(s) ((s) ? (s) : "-")

/* One line per refused request: what went wrong and for whom. Client mistakes are INFO (a phone
 * in a loop must not flood a production log at the default level), server trouble is ERR. */
#define REQ_LOG(er, level, status, tag, why)                                                       \
    ap_log_rerror(APLOG_MARK, level, status, (er)->r, tag ": %s [user=%s device=%s cmd=%s]", why,  \
                  STR((er)->r->user), STR((er)->q.device_id), STR((er)->q.cmd_name))

/* The versions offered at this location, capped by the user's effective MaxProtocolVersion
 * policy (global -> domain -> user). Without the database the location's list is offered. */
static const char *offered_versions(request_rec *r)
{
    const char *list = eas_cfg_protocol_versions(r), *err = NULL;
    eas_srv_conf *sc = eas_srv_config(r->server);
    char *copy, *tok, *state;
    const char *out = NULL;
    eas_policy pol;
    PGconn *db;
    int max;

    if (!sc->dbpool || !(db = eas_dbpool_acquire(sc->dbpool))) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r,
                      "EAS00017: OPTIONS without database: offering the configured versions "
                      "[user=%s]",
                      r->user);
        return list;
    }
    if (eas_policy_load(db, r->pool, r->user, NULL, &pol, &err) != 0) {
        eas_dbpool_release(sc->dbpool, db);
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "EAS00018: cannot load the policy: %s", err);
        return list;
    }
    eas_dbpool_release(sc->dbpool, db);
    max = eas_protocol_version_num(pol.value[EAS_POL_MaxProtocolVersion]);
    copy = apr_pstrdup(r->pool, list);
    for (tok = apr_strtok(copy, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
        if (eas_protocol_version_num(tok) <= max) {
            out = out ? apr_pstrcat(r->pool, out, ",", tok, NULL) : tok;
        }
    }
    return out ? out : "";
}

static int answer_options(request_rec *r)
{
    char cmds[512];

    apr_table_setn(r->headers_out, "Allow", "OPTIONS,POST");
    apr_table_setn(r->headers_out, "Public", "OPTIONS,POST");
    apr_table_set(r->headers_out, "MS-ASProtocolVersions", offered_versions(r));
    apr_table_set(r->headers_out, "MS-ASProtocolCommands", eas_cmd_advertised(cmds, sizeof(cmds)));
    ap_set_content_length(r, 0);
    return OK;
}

static int version_offered(request_rec *r, const char *v)
{
    const char *list = eas_cfg_protocol_versions(r);
    const char *needle = apr_pstrcat(r->pool, ",", v, ",", NULL);
    return strstr(apr_pstrcat(r->pool, ",", list, ",", NULL), needle) != NULL;
}

static apr_status_t release_db(void *data)
{
    eas_req *er = data;
    if (er->ctx.db) {
        eas_dbpool_release(er->dbpool, er->ctx.db);
        er->ctx.db = NULL;
    }
    return APR_SUCCESS;
}

/* Puts a failed or refused request in the device's audit trail (eas_audit_device_error): only
 * once the device row exists and on a healthy connection outside any transaction; failing to
 * record is logged at debug level and never changes the answer. */
static void audit_error(eas_req *er, const char *action, int status, const char *why)
{
    const char *err = NULL;
    PGconn *db = er->ctx.db;
    if (!db || !er->dev.device_pk || PQstatus(db) != CONNECTION_OK ||
        PQtransactionStatus(db) != PQTRANS_IDLE) {
        return;
    }
    if (eas_audit_device_error(db, er->r->pool, action, er->r->user, er->q.device_id,
                               er->q.cmd_name, status, why, &err) != 0) {
        REQ_LOG(
            er, APLOG_DEBUG, 0, "EAS00044",
            apr_pstrcat(er->r->pool, "could not record the error in the audit log: ", err, NULL));
    }
}

static int service_unavailable(eas_req *er, const char *why)
{
    request_rec *r = er->r;
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_itoa(r->pool, eas_cfg_retry_after(r->server)));
    REQ_LOG(er, APLOG_ERR, 0, "EAS00030", why);
    return HTTP_SERVICE_UNAVAILABLE;
}

/* A command or the gate hit a database or internal error: 503 if the connection died (the
 * device retries later), else 500; one error line either way. */
static int command_failed(eas_req *er, const char *what)
{
    request_rec *r = er->r;
    const char *err = er->ctx.error ? er->ctx.error : "unknown error";
    if (PQstatus(er->ctx.db) != CONNECTION_OK) { /* also when a held request found none */
        return service_unavailable(er, apr_pstrcat(r->pool, "database lost: ", err, NULL));
    }
    err = apr_pstrcat(r->pool, what, " failed: ", err, NULL);
    REQ_LOG(er, APLOG_ERR, 0, "EAS00040", err);
    audit_error(er, "device.error", HTTP_INTERNAL_SERVER_ERROR, err);
    return HTTP_INTERNAL_SERVER_ERROR;
}

static int acquire_db(eas_req *er)
{
    request_rec *r = er->r;
    eas_srv_conf *sc = eas_srv_config(r->server);

    if (!sc->db_conninfo) {
        REQ_LOG(er, APLOG_ERR, 0, "EAS00031", "EASDatabase is not set for this server");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (!sc->dbpool) {
        return service_unavailable(er, "no database pool in this child");
    }
    er->dbpool = sc->dbpool;
    er->ctx.db = eas_dbpool_acquire(er->dbpool);
    if (!er->ctx.db) {
        return service_unavailable(er, "database unavailable");
    }
    apr_pool_cleanup_register(r->pool, er, release_db, apr_pool_cleanup_null);
    return OK;
}

static apr_status_t free_doc(void *doc)
{
    xmlFreeDoc(doc);
    return APR_SUCCESS;
}

static apr_status_t free_buf(void *buf)
{
    free(buf);
    return APR_SUCCESS;
}

/* Bodies that are not WBXML: 12.x SendMail/SmartReply/SmartForward carry the MIME message. */
static int body_is_wbxml(eas_req *er)
{
    const char *ct = apr_table_get(er->r->headers_in, "Content-Type");
    if (er->body_len == 0) {
        return 0;
    }
    if (ct && strncasecmp(ct, "application/vnd.ms-sync", 23) == 0) {
        return 1;
    }
    if (ct && strncasecmp(ct, "message/rfc822", 14) == 0) {
        return 0;
    }
    return (unsigned char)er->body[0] == 0x03; /* WBXML 1.3 version byte */
}

static int send_doc(eas_req *er, xmlDocPtr doc)
{
    request_rec *r = er->r;
    unsigned char *out = NULL;
    size_t len = 0;
    char err[256];

    if (eas_wbxml_encode(doc, &out, &len, err, sizeof(err)) != EAS_WBXML_OK) {
        REQ_LOG(er, APLOG_ERR, 0, "EAS00041",
                apr_pstrcat(r->pool, "cannot encode the response: ", err, NULL));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(r->pool, out, free_buf, apr_pool_cleanup_null);
    ap_set_content_type(r, "application/vnd.ms-sync.wbxml");
    ap_set_content_length(r, (apr_off_t)len);
    ap_rwrite(out, (int)len, r);
    return OK;
}

static void put_le32(unsigned char *p, apr_uint32_t v)
{
    p[0] = (unsigned char)(v & 0xff);
    p[1] = (unsigned char)((v >> 8) & 0xff);
    p[2] = (unsigned char)((v >> 16) & 0xff);
    p[3] = (unsigned char)((v >> 24) & 0xff);
}

/* MS-ASCMD 2.2.2.10.1 multipart body: part count, (offset, length) per part, then the parts;
 * part 0 is the WBXML response, the others are what its Part elements point at. */
static int send_multipart(eas_req *er, xmlDocPtr doc, apr_array_header_t *parts)
{
    request_rec *r = er->r;
    unsigned char *wbxml = NULL, *head;
    size_t wlen = 0, total, hlen;
    apr_uint32_t off;
    char err[256];
    int i, n = parts->nelts + 1;

    if (eas_wbxml_encode(doc, &wbxml, &wlen, err, sizeof(err)) != EAS_WBXML_OK) {
        REQ_LOG(er, APLOG_ERR, 0, "EAS00041",
                apr_pstrcat(r->pool, "cannot encode the response: ", err, NULL));
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    apr_pool_cleanup_register(r->pool, wbxml, free_buf, apr_pool_cleanup_null);
    hlen = 4 + 8 * (size_t)n;
    total = hlen + wlen;
    for (i = 0; i < parts->nelts; ++i) {
        total += APR_ARRAY_IDX(parts, i, eas_part).len;
    }
    if (total > 0x7fffffffU) {
        REQ_LOG(er, APLOG_ERR, 0, "EAS00041", "multipart response larger than 2 GiB");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    head = apr_palloc(r->pool, hlen);
    put_le32(head, (apr_uint32_t)n);
    off = (apr_uint32_t)hlen;
    put_le32(head + 4, off);
    put_le32(head + 8, (apr_uint32_t)wlen);
    off += (apr_uint32_t)wlen;
    for (i = 0; i < parts->nelts; ++i) {
        apr_uint32_t plen = (apr_uint32_t)APR_ARRAY_IDX(parts, i, eas_part).len;
        put_le32(head + 12 + 8 * i, off);
        put_le32(head + 16 + 8 * i, plen);
        off += plen;
    }
    ap_set_content_type(r, "application/vnd.ms-sync.multipart");
    ap_set_content_length(r, (apr_off_t)total);
    ap_rwrite(head, (int)hlen, r);
    ap_rwrite(wbxml, (int)wlen, r);
    for (i = 0; i < parts->nelts; ++i) {
        const eas_part *pt = &APR_ARRAY_IDX(parts, i, eas_part);
        ap_rwrite(pt->data, (int)pt->len, r);
    }
    return OK;
}

/* 449 is not an HTTP status httpd knows (it would turn it into 500): send it ourselves with
 * an explicit status line, as Exchange does. */
static int send_449(request_rec *r)
{
    r->status = 449;
    r->status_line = "449 Retry after sending a PROVISION command";
    ap_set_content_length(r, 0);
    return OK;
}

/* The client's socket, watched while a request is held so a hang-up frees the thread; -1 for
 * HTTP/2 streams (their socket is the shared connection's). */
static int client_socket(request_rec *r)
{
    apr_socket_t *sock;
    apr_os_sock_t fd;
    if (r->connection->master || !(sock = ap_get_conn_socket(r->connection)) ||
        apr_os_sock_get(&fd, sock) != APR_SUCCESS) {
        return -1;
    }
    return (int)fd;
}

static int dispatch(eas_req *er)
{
    request_rec *r = er->r;
    eas_cmd_ctx *ctx = &er->ctx;
    const eas_cmd_info *cmd = er->q.cmd;
    eas_gate_result gate;
    apr_pool_t *gate_pool;
    int rc;

    ctx->pool = r->pool;
    ctx->user = r->user;
    ctx->q = &er->q;
    ctx->dev = er->dev;
    ctx->version = eas_protocol_version_num(er->q.protocol_version);
    ctx->body = er->body;
    ctx->body_len = er->body_len;
    ctx->wipe_notify_admin = eas_cfg_wipe_notify_admin(r->server);
    ctx->wipe_notify_user = eas_cfg_wipe_notify_user(r->server);
    ctx->hub = eas_srv_config(r->server)->hub;
    ctx->dbpool = er->dbpool;
    ctx->client_fd = client_socket(r);
    eas_cfg_push(r->server, &ctx->push);
    {
        eas_submit_conf *sc = apr_pcalloc(r->pool, sizeof(*sc));
        eas_lookup_conf *lc = apr_pcalloc(r->pool, sizeof(*lc));
        eas_cfg_submit(r->server, sc);
        eas_cfg_lookup(r->server, lc);
        ctx->submit = sc;
        ctx->lookup = lc;
        if (sc->auth_user && sc->relay) {
            const char *u = NULL, *pw = NULL;
            /* the relay checks the same credentials Apache just accepted */
            if (ap_get_basic_auth_components(r, &u, &pw) == APR_SUCCESS) {
                ctx->password = pw;
            }
        }
    }

    if (body_is_wbxml(er)) {
        char err[256];
        eas_wbxml_limits lim;
        eas_wbxml_limits_default(&lim);
        if (eas_wbxml_decode((const unsigned char *)er->body, er->body_len, &lim, &ctx->req, err,
                             sizeof(err)) != EAS_WBXML_OK) {
            const char *why = apr_pstrcat(r->pool, "malformed WBXML body: ", err, NULL);
            REQ_LOG(er, APLOG_INFO, 0, "EAS00016", why);
            audit_error(er, "device.error", HTTP_BAD_REQUEST, why);
            return HTTP_BAD_REQUEST;
        }
        apr_pool_cleanup_register(r->pool, ctx->req, free_doc, apr_pool_cleanup_null);
    }

    /* the gate's look-ups (access rules, effective policy) in a pool of their own, dropped once
     * the device passes: a held Ping must not keep them for its whole heartbeat */
    apr_pool_create(&gate_pool, r->pool);
    ctx->pool = gate_pool;
    rc = eas_gate_check(ctx, &gate);
    ctx->pool = r->pool;
    if (rc != 0) {
        return command_failed(er, "device gate");
    }
    if (gate.kind == EAS_GATE_PASS) {
        apr_pool_destroy(gate_pool);
    }
    if (gate.kind == EAS_GATE_HTTP) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00021",
                apr_psprintf(r->pool, "%s: HTTP %d", gate.why, gate.code));
        if (gate.code != 449) { /* 449 is the normal "provision first" step */
            audit_error(er, "device.refused", gate.code, gate.why);
        }
        return gate.code == 449 ? send_449(r) : gate.code;
    }
    if (gate.kind == EAS_GATE_STATUS) {
        xmlDocPtr doc;
        REQ_LOG(er, APLOG_INFO, 0, "EAS00022",
                apr_psprintf(r->pool, "%s: Status %d", gate.why, gate.code));
        if (gate.code == 129) { /* blocked or quarantined; 140-144 are wipe and provisioning */
            audit_error(er, "device.refused", gate.code, gate.why);
        }
        if (!cmd->ns) {
            return gate.code == 129 ? HTTP_FORBIDDEN : send_449(r);
        }
        doc = eas_gate_status_doc(cmd->ns, cmd->root, gate.code);
        apr_pool_cleanup_register(r->pool, doc, free_doc, apr_pool_cleanup_null);
        return send_doc(er, doc);
    }

    if (!cmd->fn) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00015", "command not implemented in this build");
        return HTTP_NOT_IMPLEMENTED;
    }
    rc = cmd->fn(ctx);
    if (ctx->resp) {
        apr_pool_cleanup_register(r->pool, ctx->resp, free_doc, apr_pool_cleanup_null);
    }
    if (rc != 0) {
        return command_failed(er, cmd->name);
    }
    if (ctx->note) {
        REQ_LOG(er, APLOG_DEBUG, 0, "EAS00020", ctx->note);
    }
    if (ctx->warning) {
        REQ_LOG(er, APLOG_WARNING, 0, "EAS00042", ctx->warning);
    }
    if (ctx->error) { /* answered with the protocol's server-error status */
        REQ_LOG(er, APLOG_ERR, 0, "EAS00043",
                apr_pstrcat(r->pool, cmd->name,
                            " failed, answered with its error status: ", ctx->error, NULL));
        audit_error(er, "device.error", 200,
                    apr_pstrcat(r->pool, "answered with its error status: ", ctx->error, NULL));
    }
    if (ctx->client_gone) {
        r->connection->keepalive = AP_CONN_CLOSE; /* nobody is listening any more */
        return OK;
    }
    if (ctx->retry_after) {
        apr_table_setn(r->err_headers_out, "Retry-After", apr_itoa(r->pool, ctx->retry_after));
    }
    if (ctx->http_status && ctx->http_status != 200) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00023",
                apr_psprintf(r->pool, "HTTP %d: %s", ctx->http_status,
                             ctx->note ? ctx->note : "refused"));
        audit_error(er, "device.error", ctx->http_status, ctx->note ? ctx->note : "refused");
        return ctx->http_status;
    }
    if (ctx->resp && ctx->parts) {
        return send_multipart(er, ctx->resp, ctx->parts);
    }
    if (ctx->resp) {
        return send_doc(er, ctx->resp);
    }
    if (ctx->raw) {
        ap_set_content_type(r, ctx->raw_type);
        ap_set_content_length(r, (apr_off_t)ctx->raw_len);
        ap_rwrite(ctx->raw, (int)ctx->raw_len, r);
        return OK;
    }
    ap_set_content_length(r, 0);
    return OK;
}

static int handle_post(request_rec *r)
{
    eas_req *er = apr_pcalloc(r->pool, sizeof(*er));
    const char *why = NULL, *err = NULL;
    eas_query_status qs;
    int rv;

    er->r = r;
    qs = eas_query_parse(r->pool, r->args, apr_table_get(r->headers_in, "MS-ASProtocolVersion"),
                         apr_table_get(r->headers_in, "X-MS-PolicyKey"),
                         apr_table_get(r->headers_in, "MS-ASAcceptMultiPart"), &er->q, &why);
    if (qs == EAS_QUERY_UNKNOWN_CMD) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00011", "unknown command");
        return HTTP_NOT_IMPLEMENTED;
    }
    if (qs != EAS_QUERY_OK) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00010", apr_pstrcat(r->pool, "bad request: ", why, NULL));
        return HTTP_BAD_REQUEST;
    }
    if (!version_offered(r, er->q.protocol_version)) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00012",
                apr_psprintf(r->pool, "protocol version %s is not offered here",
                             er->q.protocol_version));
        return HTTP_BAD_REQUEST;
    }

    rv = eas_read_body(r, eas_cfg_max_request_size(r), &er->body, &er->body_len);
    if (rv == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        r->connection->keepalive = AP_CONN_CLOSE; /* don't read the rest of a huge body */
        REQ_LOG(er, APLOG_INFO, 0, "EAS00013",
                apr_psprintf(r->pool,
                             "request body larger than EASMaxRequestSize (%" APR_OFF_T_FMT
                             " bytes)",
                             eas_cfg_max_request_size(r)));
        return rv;
    }
    if (rv != OK) {
        REQ_LOG(er, APLOG_INFO, 0, "EAS00014", "could not read the request body");
        return rv;
    }

    rv = acquire_db(er);
    if (rv != OK) {
        return rv;
    }
    if (eas_device_touch(er->ctx.db, r->pool, r->user, &er->q,
                         apr_table_get(r->headers_in, "User-Agent"), r->useragent_ip, &er->dev,
                         &err) != 0) {
        if (PQstatus(er->ctx.db) != CONNECTION_OK) {
            return service_unavailable(er, apr_pstrcat(r->pool, "database lost: ", err, NULL));
        }
        REQ_LOG(er, APLOG_ERR, 0, "EAS00032",
                apr_pstrcat(r->pool, "cannot record the device: ", err, NULL));
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    return dispatch(er);
}

int eas_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, EAS_HANDLER_NAME) != 0) {
        return DECLINED;
    }
    ap_allow_methods(r, REPLACE_ALLOW, "OPTIONS", "POST", NULL);
    /* err_headers_out: sent with errors and successes alike */
    apr_table_setn(r->err_headers_out, "MS-Server-ActiveSync", EAS_SERVER_VERSION);
    apr_table_setn(r->err_headers_out, "Cache-Control", "private");

    if (!r->user) {
        /* Apache's auth did not run: a configuration mistake that must not expose anything. */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "EAS00003: no authenticated user; protect this location with AuthType "
                      "Basic and Require valid-user");
        apr_table_setn(r->err_headers_out, "WWW-Authenticate", "Basic realm=\"ActiveSync\"");
        return HTTP_UNAUTHORIZED;
    }
    if (r->method_number == M_OPTIONS) {
        return answer_options(r);
    }
    if (r->method_number != M_POST) {
        return HTTP_METHOD_NOT_ALLOWED; /* httpd answers with Allow from ap_allow_methods */
    }
    return handle_post(r);
}
