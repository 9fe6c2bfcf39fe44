/* eas_handler.c — MS-ASHTTP front door of mod_eas (see eas_handler.h).
 *
 * Order of checks for a POST, each with the protocol's answer and one log line naming user,
 * device and command: query (400), command (501), body size (413), database (503), device
 * registry, dispatch. A pooled connection is tied to r->pool so no error path can leak it. */
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"

#include "eas_config.h"
#include "eas_device.h"
#include "eas_handler.h"
#include "eas_query.h"

APLOG_USE_MODULE(eas);

typedef struct eas_req {
    request_rec *r;
    eas_query q;
    eas_dbpool *dbpool;
    PGconn *db;
    eas_device_ref dev;
    const char *body;
    apr_size_t body_len;
} eas_req;

#define STR(s) ((s) ? (s) : "-")

/* One line per refused request: what went wrong and for whom. Client mistakes are INFO (a phone
 * in a loop must not flood a production log at the default level), server trouble is ERR. */
#define REQ_LOG(er, level, status, tag, why)                                                       \
    ap_log_rerror(APLOG_MARK, level, status, (er)->r, tag ": %s [user=%s device=%s cmd=%s]", why,  \
                  STR((er)->r->user), STR((er)->q.device_id), STR((er)->q.cmd_name))

static int answer_options(request_rec *r)
{
    char cmds[512];

    apr_table_setn(r->headers_out, "Allow", "OPTIONS,POST");
    apr_table_setn(r->headers_out, "Public", "OPTIONS,POST");
    apr_table_set(r->headers_out, "MS-ASProtocolVersions", eas_cfg_protocol_versions(r));
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

/* Reads the whole body into r->pool, refusing more than the configured limit, whether the
 * client announced it in Content-Length or streams it chunked. */
static int read_body(eas_req *er, apr_off_t limit)
{
    request_rec *r = er->r;
    apr_size_t cap, len = 0;
    char *buf;
    int rv;

    rv = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rv != OK) {
        return rv;
    }
    if (r->remaining > limit) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    if (!ap_should_client_block(r)) {
        er->body = "";
        er->body_len = 0;
        return OK;
    }
    cap = r->remaining > 0 ? (apr_size_t)r->remaining : 8192;
    if ((apr_off_t)cap > limit) {
        cap = (apr_size_t)limit; /* chunked: the limit is enforced when the buffer is full */
    }
    buf = apr_palloc(r->pool, cap + 1);
    for (;;) {
        long n;
        if (len == cap) {
            char *nb;
            if ((apr_off_t)cap >= limit) {
                /* full to the limit: one more byte means too large */
                char probe;
                n = ap_get_client_block(r, &probe, 1);
                if (n > 0) {
                    return HTTP_REQUEST_ENTITY_TOO_LARGE;
                }
                if (n < 0) {
                    return HTTP_BAD_REQUEST;
                }
                break;
            }
            cap = (apr_off_t)(cap * 2) > limit ? (apr_size_t)limit : cap * 2;
            nb = apr_palloc(r->pool, cap + 1);
            memcpy(nb, buf, len);
            buf = nb;
        }
        n = ap_get_client_block(r, buf + len, cap - len);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            return HTTP_BAD_REQUEST; /* client went away or sent a broken chunk */
        }
        len += (apr_size_t)n;
    }
    buf[len] = '\0';
    er->body = buf;
    er->body_len = len;
    return OK;
}

static apr_status_t release_db(void *data)
{
    eas_req *er = data;
    if (er->db) {
        eas_dbpool_release(er->dbpool, er->db);
        er->db = NULL;
    }
    return APR_SUCCESS;
}

static int service_unavailable(eas_req *er, const char *why)
{
    request_rec *r = er->r;
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_itoa(r->pool, eas_cfg_retry_after(r->server)));
    REQ_LOG(er, APLOG_ERR, 0, "EAS00030", why);
    return HTTP_SERVICE_UNAVAILABLE;
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
    er->db = eas_dbpool_acquire(er->dbpool);
    if (!er->db) {
        return service_unavailable(er, "database unavailable");
    }
    apr_pool_cleanup_register(r->pool, er, release_db, apr_pool_cleanup_null);
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

    rv = read_body(er, eas_cfg_max_request_size(r));
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
    if (eas_device_touch(er->db, r->pool, r->user, &er->q,
                         apr_table_get(r->headers_in, "User-Agent"), r->useragent_ip, &er->dev,
                         &err) != 0) {
        if (PQstatus(er->db) != CONNECTION_OK) {
            return service_unavailable(er, apr_pstrcat(r->pool, "database lost: ", err, NULL));
        }
        REQ_LOG(er, APLOG_ERR, 0, "EAS00032",
                apr_pstrcat(r->pool, "cannot record the device: ", err, NULL));
        return HTTP_INTERNAL_SERVER_ERROR;
    }

    /* Command dispatch: commands register here as they are implemented (later issues). */
    REQ_LOG(er, APLOG_INFO, 0, "EAS00015", "command not implemented in this build");
    return HTTP_NOT_IMPLEMENTED;
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
