/* eas_cmd_smart.c — SmartReply and SmartForward (MS-ASCMD 2.2.1.19, 2.2.1.20): the device sends
 * its new text and names the original (Source: FolderId+ItemId or LongId; 12.x: CollectionId,
 * ItemId, LongId in the query); the server appends the original from its copy (quoted for a
 * reply, as a forwarded block with its attachments for a forward) unless ReplaceMime says the
 * device already did, submits, and records the verb on the original (LastVerbExecuted). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "eas_cmd.h"
#include "eas_cmd_compose.h"
#include "eas_compose.h"
#include "eas_pim.h"
#include "eas_store.h"
#include "eas_xml.h"

#define NS "ComposeMail:"

#define ST_ITEM_NOT_FOUND 150 /* the Source item is not in the mailbox (MS-ASCMD 2.2.2) */

typedef struct smart_source {
    const eas_folder *folder;
    apr_int64_t uid;
    const char *mime; /* a mail item: its stored message */
    apr_size_t len;
    const char *ics; /* a calendar item: the event as an iTIP REQUEST */
} smart_source;

static int all_digits(const char *s)
{
    if (!s || !*s) {
        return 0;
    }
    for (; *s; ++s) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

/* A meeting as Source (forwarding it from the calendar): the stored event as METHOD:REQUEST, so
 * the recipients' clients offer to accept it. The whole series is sent, also when InstanceId
 * names one occurrence. 0, 1 not found (*why), -1 error. */
static int calendar_source(eas_cmd_ctx *ctx, eas_store *s, smart_source *src, const char *sid,
                           const char **why)
{
    eas_pim_item *it = NULL;
    icalcomponent *cal;
    icalproperty *m;
    char *text;

    if (s->provider->pim_get(s, src->folder, &src->uid, 1, &it) != 0) {
        ctx->error = s->error;
        return -1;
    }
    if (!it || !it->data || !(cal = icalparser_parse_string(it->data))) {
        *why = apr_psprintf(ctx->pool, "no event %s", sid);
        return 1;
    }
    while ((m = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY))) {
        icalcomponent_remove_property(cal, m);
        icalproperty_free(m);
    }
    icalcomponent_add_property(cal, icalproperty_new_method(ICAL_METHOD_REQUEST));
    text = icalcomponent_as_ical_string_r(cal);
    src->ics = apr_pstrdup(ctx->pool, text ? text : "");
    free(text);
    icalcomponent_free(cal);
    return 0;
}

/* Finds the original among the user's own items: 0 found, 1 not found (*why), -1 error. */
static int find_source(eas_cmd_ctx *ctx, eas_store *s, const eas_compose_req *req,
                       smart_source *src, const char **why)
{
    const char *sid = req->long_id ? req->long_id : req->item_id, *fid = NULL;
    int st;

    memset(src, 0, sizeof(*src));
    if (!sid) {
        *why = "no Source item given";
        return 1;
    }
    if (eas_item_parse_server_id(sid, &fid, &src->uid, ctx->pool) != 0) {
        /* tolerate a bare uid next to its FolderId */
        if (req->long_id || !req->folder_id || !all_digits(sid)) {
            *why = apr_psprintf(ctx->pool, "malformed item id %s", sid);
            return 1;
        }
        fid = req->folder_id;
        src->uid = apr_atoi64(sid);
    } else if (!req->long_id && req->folder_id && strcmp(req->folder_id, fid) != 0) {
        *why = apr_psprintf(ctx->pool, "item %s is not in folder %s", sid, req->folder_id);
        return 1;
    }
    if (!(src->folder = eas_store_folder(s, fid))) {
        *why = apr_psprintf(ctx->pool, "no folder %s", fid);
        return 1;
    }
    if (strcmp(eas_folder_class(src->folder->type), "Calendar") == 0) {
        return calendar_source(ctx, s, src, sid, why);
    }
    if (strcmp(eas_folder_class(src->folder->type), "Email") != 0) {
        *why = apr_psprintf(ctx->pool, "item %s is a %s item, not mail", sid,
                            eas_folder_class(src->folder->type));
        return 1;
    }
    st = s->provider->mime(s, src->folder, src->uid, &src->mime, &src->len);
    if (st == EAS_ST_ERROR) {
        ctx->error = s->error;
        return -1;
    }
    if (st != EAS_ST_OK) {
        *why = apr_psprintf(ctx->pool, "no item %s", sid);
        return 1;
    }
    return 0;
}

/* One Forwardee child: ForwardeeEmail/ForwardeeName per ComposeMail.xsd (Email/Name accepted). */
static const char *forwardee_text(xmlNodePtr f, const char *name, const char *alt)
{
    const char *t = eas_xml_child_text(f, NS, name);
    return t && *t ? t : eas_xml_child_text(f, NS, alt);
}

/* 16.x Forwardees as address strings for eas_compose_smart (NULL: none). Read from the request
 * itself: the shared parse looks for Name/Email children, which the schema calls
 * ForwardeeName/ForwardeeEmail. */
static apr_array_header_t *forwardee_list(eas_cmd_ctx *ctx)
{
    xmlNodePtr r = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, fw, f;
    apr_array_header_t *out = apr_array_make(ctx->pool, 2, sizeof(const char *));

    if (!r || !(fw = eas_xml_child(r, NS, "Forwardees"))) {
        return NULL;
    }
    for (f = eas_xml_child(fw, NS, "Forwardee"); f; f = eas_xml_next(f)) {
        const char *email = forwardee_text(f, "ForwardeeEmail", "Email");
        const char *name = forwardee_text(f, "ForwardeeName", "Name");
        char *q, *w;
        if (!email || !*email) {
            continue;
        }
        if (!name || !*name) {
            APR_ARRAY_PUSH(out, const char *) = apr_pstrdup(ctx->pool, email);
            continue;
        }
        /* a quoted name keeps commas and brackets in it part of the name */
        q = apr_palloc(ctx->pool, strlen(name) * 2 + 1);
        for (w = q; *name; ++name) {
            if (*name == '"' || *name == '\\') {
                *w++ = '\\';
            }
            *w++ = *name;
        }
        *w = '\0';
        APR_ARRAY_PUSH(out, const char *) = apr_psprintf(ctx->pool, "\"%s\" <%s>", q, email);
    }
    return out->nelts ? out : NULL;
}

static int smart(eas_cmd_ctx *ctx, const char *root, int forward)
{
    eas_compose_req req;
    smart_source src;
    eas_store *s;
    apr_array_header_t *extra;
    const char *why = NULL, *mime, *err = NULL;
    apr_size_t len;
    int rc, verb;

    if (eas_compose_parse(ctx, root, &req) != 0) {
        return 0;
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    rc = find_source(ctx, s, &req, &src, &why);
    if (rc < 0) {
        return -1;
    }
    if (rc > 0) {
        eas_compose_fail(ctx, &req, ST_ITEM_NOT_FOUND, why);
        return 0;
    }
    extra = forward ? forwardee_list(ctx) : NULL;
    if (src.ics) {
        /* a meeting: forwarded as an invitation; a reply to it carries only the device's text */
        if (!forward) {
            mime = req.mime;
            len = req.mime_len;
        } else if (eas_compose_attach(ctx->pool, req.mime, req.mime_len, forward ? src.ics : NULL,
                                      forward ? strlen(src.ics) : 0,
                                      "text/calendar; method=REQUEST; charset=utf-8", "invite.ics",
                                      extra, &mime, &len, &err) != 0) {
            eas_compose_fail(ctx, &req, 107, err);
            return 0;
        }
    } else if (req.replace_mime && !extra) {
        mime = req.mime; /* the device sent the whole message (MS-ASCMD 2.2.3.148) */
        len = req.mime_len;
    } else if (eas_compose_smart(ctx->pool, req.mime, req.mime_len, src.mime, src.len,
                                 (forward ? EAS_SMART_FORWARD : 0) |
                                     (req.replace_mime ? 0 : EAS_SMART_APPEND),
                                 extra, &mime, &len, &err) != 0) {
        eas_compose_fail(ctx, &req, 107, err); /* InvalidMIME */
        return 0;
    }
    if (eas_compose_submit(ctx, &req, mime, len) != 0) {
        return -1;
    }
    if (ctx->resp || ctx->http_status) {
        return 0; /* not sent: the status is the answer, the original stays as it was */
    }
    if (src.ics) {
        return 0; /* events have no LastVerbExecuted */
    }
    /* the verb the device shows on the original: reply-all when anyone but one person gets it */
    verb = forward ? 3 : eas_compose_recipient_count(mime, len) > 1 ? 2 : 1;
    {
        eas_flags fl;
        int st;
        memset(&fl, 0, sizeof(fl));
        fl.last_verb = verb;
        fl.last_verb_time = apr_time_now();
        st = s->provider->set_flags(s, src.folder, src.uid, &fl, EAS_FL_VERB, 0, NULL);
        if (st == EAS_ST_ERROR) {
            /* sent already: a 500 would make the device retry a message that went out */
            ctx->warning = apr_psprintf(ctx->pool, "%s sent, but LastVerbExecuted not saved: %s",
                                        root, s->error ? s->error : "?");
        }
    }
    ctx->note = apr_psprintf(ctx->pool, "%s (verb %d)", ctx->note ? ctx->note : root, verb);
    return 0;
}

int eas_cmd_smartreply(eas_cmd_ctx *ctx)
{
    return smart(ctx, "SmartReply", 0);
}

int eas_cmd_smartforward(eas_cmd_ctx *ctx)
{
    return smart(ctx, "SmartForward", 1);
}
