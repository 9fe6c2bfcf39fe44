/* eas_cmd_compose.c — the shared half of SendMail, SmartReply and SmartForward (see
 * eas_cmd_compose.h) and SendMail itself. */
#include <string.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_cmd_compose.h"
#include "eas_submit.h"
#include "eas_wbxml.h"
#include "eas_xml.h"

#define NS "ComposeMail:"

const char *eas_cmd_opaque(apr_pool_t *p, xmlNodePtr node, apr_size_t *len)
{
    xmlChar *text, *enc;
    const char *out;

    if (!node) {
        return NULL;
    }
    text = xmlNodeGetContent(node);
    enc = xmlGetNsProp(node, (const xmlChar *)"opaque", (const xmlChar *)EAS_WBXML_META_NS);
    if (enc && xmlStrcmp(enc, (const xmlChar *)"base64") == 0) {
        char *raw = apr_palloc(p, (apr_size_t)apr_base64_decode_len((const char *)text) + 1);
        int n = apr_base64_decode(raw, (const char *)text);
        raw[n] = '\0';
        *len = (apr_size_t)n;
        out = raw;
    } else {
        *len = text ? strlen((const char *)text) : 0;
        out = apr_pstrmemdup(p, text ? (const char *)text : "", *len);
    }
    xmlFree(enc);
    xmlFree(text);
    return out;
}

/* The Message-ID header of a raw message (12.x has no ClientId: a device retrying a request whose
 * answer it lost sends the same message again, Message-ID included), or NULL. */
static const char *message_id_of(apr_pool_t *p, const char *mime, apr_size_t len)
{
    const char *s = mime, *end = mime + len;
    while (s < end) {
        const char *eol = memchr(s, '\n', (apr_size_t)(end - s));
        apr_size_t n = (apr_size_t)((eol ? eol : end) - s);
        if (n == 0 || (n == 1 && *s == '\r')) {
            return NULL; /* end of the header */
        }
        if (n > 11 && strncasecmp(s, "Message-ID:", 11) == 0) {
            const char *v = s + 11, *ve = s + n;
            while (v < ve && (*v == ' ' || *v == '\t')) {
                ++v;
            }
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t')) {
                --ve;
            }
            return ve > v && ve - v <= 250
                       ? apr_pstrcat(p, "mid:", apr_pstrmemdup(p, v, (apr_size_t)(ve - v)), NULL)
                       : NULL;
        }
        s = eol ? eol + 1 : end;
    }
    return NULL;
}

static const char *text_or_null(apr_pool_t *p, xmlNodePtr parent, const char *name)
{
    const char *t = eas_xml_child_text(parent, NS, name);
    return t && *t ? apr_pstrdup(p, t) : NULL;
}

void eas_compose_fail(eas_cmd_ctx *ctx, const eas_compose_req *req, int status, const char *why)
{
    ctx->note = apr_psprintf(ctx->pool, "%s Status %d: %s", req->root, status, why);
    if (status == EAS_SUBMIT_SUBMISSION_FAILED || status == EAS_SUBMIT_SERVER_ERROR ||
        status == EAS_SUBMIT_RETRY_LATER) {
        ctx->warning = ctx->note; /* the administrator wants to see a failing relay */
    }
    if (ctx->version >= 140) {
        ctx->resp = eas_xml_new_doc(NS, req->root);
        eas_xml_add_int(xmlDocGetRootElement(ctx->resp), NULL, "Status", status);
        return;
    }
    /* 12.x has no status body. A message already sent is a success for the retrying device
     * (it only lost our answer); 400 for what the device got wrong, 503 to retry later, 500 else */
    if (status == EAS_SUBMIT_PREVIOUSLY_SENT) {
        ctx->warning = NULL;
        return;
    }
    ctx->http_status =
        status == EAS_SUBMIT_RETRY_LATER                                                      ? 503
        : (status >= 101 && status <= 109) || status == 118 || status == 119 || status == 150 ? 400
                                                                                              : 500;
}

int eas_compose_parse(eas_cmd_ctx *ctx, const char *root, eas_compose_req *out)
{
    xmlNodePtr r, src;

    memset(out, 0, sizeof(*out));
    out->root = root;
    if (!ctx->req) {
        /* 12.x: parameters in the query, the message is the body */
        if (ctx->version >= 140 && ctx->body_len == 0) {
            eas_compose_fail(ctx, out, 103, "no ComposeMail body");
            return -1;
        }
        out->save_in_sent = ctx->q->save_in_sent;
        out->folder_id = ctx->q->collection_id;
        out->item_id = ctx->q->item_id;
        out->long_id = ctx->q->long_id;
        out->instance_id = ctx->q->occurrence;
        out->mime = ctx->body;
        out->mime_len = ctx->body_len;
        out->replace_mime = 0;
        if (!out->mime || out->mime_len == 0) {
            eas_compose_fail(ctx, out, EAS_SUBMIT_INVALID_MIME, "empty message");
            return -1;
        }
        out->client_id = message_id_of(ctx->pool, out->mime, out->mime_len);
        return 0;
    }
    r = xmlDocGetRootElement(ctx->req);
    if (!eas_xml_is(r, NS, root)) {
        eas_compose_fail(ctx, out, 103, apr_psprintf(ctx->pool, "the body is not a %s", root));
        return -1;
    }
    out->client_id = text_or_null(ctx->pool, r, "ClientId");
    out->account_id = text_or_null(ctx->pool, r, "AccountId");
    out->save_in_sent = eas_xml_child(r, NS, "SaveInSentItems") != NULL;
    out->replace_mime = eas_xml_child(r, NS, "ReplaceMime") != NULL;
    out->mime = eas_cmd_opaque(ctx->pool, eas_xml_child(r, NS, "Mime"), &out->mime_len);
    if ((src = eas_xml_child(r, NS, "Source"))) {
        out->folder_id = text_or_null(ctx->pool, src, "FolderId");
        out->item_id = text_or_null(ctx->pool, src, "ItemId");
        out->long_id = text_or_null(ctx->pool, src, "LongId");
        out->instance_id = text_or_null(ctx->pool, src, "InstanceId");
    }
    if ((src = eas_xml_child(r, NS, "Forwardees"))) {
        xmlNodePtr f;
        out->forwardees = apr_array_make(ctx->pool, 2, sizeof(eas_forwardee));
        for (f = eas_xml_child(src, NS, "Forwardee"); f; f = eas_xml_next(f)) {
            eas_forwardee *fw = apr_array_push(out->forwardees);
            fw->name = text_or_null(ctx->pool, f, "ForwardeeName");
            fw->email = text_or_null(ctx->pool, f, "ForwardeeEmail");
        }
    }
    if (!out->client_id || strlen(out->client_id) > 40) {
        /* ClientId is required from 14.0 on and at most 40 characters (MS-ASCMD 2.2.3.27.1) */
        eas_compose_fail(ctx, out, 103, "ClientId missing or longer than 40 characters");
        return -1;
    }
    if (!out->mime || out->mime_len == 0) {
        eas_compose_fail(ctx, out, EAS_SUBMIT_INVALID_MIME, "no Mime element");
        return -1;
    }
    return 0;
}

int eas_compose_submit(eas_cmd_ctx *ctx, const eas_compose_req *req, const char *mime,
                       apr_size_t len)
{
    eas_submit_req sr;
    eas_submit_result res;

    memset(&sr, 0, sizeof(sr));
    sr.user = ctx->user;
    sr.password = ctx->password;
    sr.device_id = ctx->q->device_id;
    sr.client_id = req->client_id;
    sr.mime = mime;
    sr.len = len;
    sr.save_in_sent = req->save_in_sent;
    if (eas_submit(ctx->db, ctx->pool, ctx->submit, &sr, &res, &ctx->error) != 0) {
        return -1;
    }
    if (res.warning) {
        ctx->warning = res.warning;
    }
    if (res.status != EAS_SUBMIT_OK) {
        eas_compose_fail(ctx, req, res.status, res.detail ? res.detail : "not sent");
        return 0;
    }
    ctx->note = apr_psprintf(ctx->pool, "%s sent %s: %d local, %d via relay", req->root,
                             res.message_id ? res.message_id : "", res.local, res.remote);
    return 0; /* success: empty 200 */
}

int eas_cmd_sendmail(eas_cmd_ctx *ctx)
{
    eas_compose_req req;
    if (eas_compose_parse(ctx, "SendMail", &req) != 0) {
        return 0;
    }
    return eas_compose_submit(ctx, &req, req.mime, req.mime_len);
}
