/* eas_cmd_meeting_response.c — MeetingResponse (MS-ASCMD 2.2.1.11): accept, tentatively accept
 * or decline a meeting request (a mail in a mail folder, or an event in a calendar folder).
 *
 * The answer is recorded in the user's calendar (accept/tentative: the event with the user's
 * PARTSTAT, ResponseType and BusyStatus, CalendarId returned; decline: the event removed). The
 * iTIP REPLY goes to the organizer only for 16.x with SendResponse: before 16.0 the device sends
 * it itself with SendMail (MS-ASCMD 2.2.1.11). The request mail stays where it is, so a retried
 * request finds it again and, the event being looked up by its UID, changes nothing twice. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_email.h"
#include "eas_meeting.h"
#include "eas_submit.h"
#include "eas_user.h"
#include "eas_xml.h"

#define NS_MR     "MeetingResponse:"
#define NS_SEARCH "Search:"

enum { MR_OK = 1, MR_INVALID = 2, MR_MAILBOX = 3, MR_SERVER = 4 };

typedef struct mr_request {
    int answer; /* EAS_ITIP_* */
    const char *collection_id, *request_id, *long_id, *instance_id;
    xmlNodePtr send_response; /* 16.x SendResponse, NULL: absent */
} mr_request;

/* The invitation the request points at: from a mail's text/calendar part or a calendar item.
 * *target: the calendar folder the answer goes to. MR_OK or a status. */
static int locate(eas_cmd_ctx *ctx, eas_store *s, const mr_request *rq, eas_itip *it,
                  const eas_folder **target)
{
    const char *fid = NULL, *sid = rq->long_id ? rq->long_id : rq->request_id, *err = NULL;
    const eas_folder *f;
    apr_int64_t uid;
    const char *cls;

    if (!sid || eas_item_parse_server_id(sid, &fid, &uid, ctx->pool) != 0 ||
        (rq->collection_id && !rq->long_id && strcmp(rq->collection_id, fid) != 0) ||
        !(f = eas_store_folder(s, fid))) {
        return MR_INVALID;
    }
    cls = eas_folder_class(f->type);
    if (strcmp(cls, "Email") == 0) {
        const char *mime = NULL;
        apr_size_t len = 0;
        int rc = s->provider->mime(s, f, uid, &mime, &len);
        if (rc == EAS_ST_ERROR) {
            ctx->error = s->error;
            return -1;
        }
        if (rc != EAS_ST_OK || eas_itip_from_mime(ctx->pool, mime, len, it) != 0 ||
            strcmp(it->method, "REQUEST") != 0) {
            return MR_INVALID;
        }
        *target = eas_store_special(s, "calendar");
        return *target ? MR_OK : MR_MAILBOX;
    }
    if (strcmp(cls, "Calendar") == 0) {
        eas_pim_item *item = NULL;
        if (s->provider->pim_get(s, f, &uid, 1, &item) != 0) {
            ctx->error = s->error;
            return -1;
        }
        if (!item || !item->data || eas_itip_from_stored(ctx->pool, item->data, it, &err) != 0) {
            return MR_INVALID;
        }
        *target = f;
        return MR_OK;
    }
    return MR_INVALID;
}

/* The iTIP REPLY to the organizer through the mail path. MR_OK or a status. */
static int send_reply(eas_cmd_ctx *ctx, const eas_itip *it, const eas_user_info *u, int answer)
{
    eas_submit_req req;
    eas_submit_result res;
    const char *ics, *mime, *err = NULL;
    apr_size_t len;

    if (!u->email) {
        ctx->warning = "meeting reply not sent: the user has no mail address";
        return MR_MAILBOX;
    }
    ics = eas_itip_reply(ctx->pool, it, u->email, u->display_name, answer);
    mime = eas_itip_reply_mime(ctx->pool, u->email, u->display_name, it->organizer, it, answer, ics,
                               &len);
    memset(&req, 0, sizeof(req));
    req.user = ctx->user;
    req.password = ctx->password;
    req.device_id = ctx->q ? ctx->q->device_id : NULL;
    /* a retried MeetingResponse must not send the same answer twice */
    req.client_id =
        apr_psprintf(ctx->pool, "meeting-reply:%s:%d:%d", it->uid, it->sequence, answer);
    req.mime = mime;
    req.len = len;
    req.save_in_sent = 1;
    if (eas_submit(ctx->db, ctx->pool, ctx->submit, &req, &res, &err) != 0) {
        ctx->error = err ? err : "meeting reply submission failed";
        return -1;
    }
    if (res.warning) {
        ctx->warning = res.warning;
    }
    if (res.status == EAS_SUBMIT_OK || res.status == EAS_SUBMIT_PREVIOUSLY_SENT) {
        return MR_OK;
    }
    ctx->warning = apr_psprintf(ctx->pool, "meeting reply to %s not sent (status %d): %s",
                                it->organizer, res.status, res.detail ? res.detail : "");
    return res.status == EAS_SUBMIT_SUBMISSION_FAILED ? MR_SERVER : MR_MAILBOX;
}

/* One Request → one Result under out. 0, or -1 (ctx->error). */
static int respond(eas_cmd_ctx *ctx, eas_store *s, const eas_user_info *u, const mr_request *rq,
                   xmlNodePtr out)
{
    xmlNodePtr res = eas_xml_add(out, NULL, "Result", NULL);
    const eas_folder *cal = NULL;
    apr_int64_t cuid = 0;
    const char *err = NULL;
    eas_itip it;
    int st = MR_OK, rc;

    if (rq->request_id && strlen(rq->request_id) <= 64) {
        eas_xml_add(res, NULL, "RequestId", rq->request_id);
    }
    if (rq->answer < EAS_ITIP_ACCEPT || rq->answer > EAS_ITIP_DECLINE ||
        (rq->instance_id && ctx->version < 141) ||
        (rq->instance_id && !eas_date_parse(rq->instance_id))) {
        st = MR_INVALID;
    } else {
        st = locate(ctx, s, rq, &it, &cal);
        if (st < 0) {
            return -1;
        }
    }
    if (st == MR_OK && it.organizer && eas_user_owns_address(u, it.organizer)) {
        st = MR_INVALID; /* the organizer does not answer their own meeting */
    }
    if (st == MR_OK) {
        rc = eas_meeting_store(s, cal, &it, u, rq->answer, 0, &cuid, &err);
        if (rc < 0) {
            ctx->error = err;
            return -1;
        }
        if (rc > 0) {
            ctx->warning = apr_psprintf(ctx->pool, "meeting %s not stored: %s", it.uid, err);
            st = MR_INVALID;
        }
    }
    if (st == MR_OK && ctx->version >= 160 && rq->send_response && it.organizer) {
        st = send_reply(ctx, &it, u, rq->answer);
        if (st < 0) {
            return -1;
        }
    }
    eas_xml_add_int(res, NULL, "Status", st);
    if (st == MR_OK && rq->answer != EAS_ITIP_DECLINE && cuid) {
        eas_xml_add(res, NULL, "CalendarId", eas_item_server_id(ctx->pool, cal, cuid));
    }
    if (rq->instance_id && strlen(rq->instance_id) == 24) {
        eas_xml_add(res, NULL, "InstanceId", rq->instance_id);
    }
    return 0;
}

int eas_cmd_meetingresponse(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, n, out;
    eas_user_info *u = NULL;
    eas_store *s;
    int count = 0, rc;

    ctx->resp = eas_xml_new_doc(NS_MR, "MeetingResponse");
    out = xmlDocGetRootElement(ctx->resp);
    if (!eas_xml_is(root, NS_MR, "MeetingResponse") || !eas_xml_child(root, NS_MR, "Request")) {
        xmlNodePtr res = eas_xml_add(out, NULL, "Result", NULL);
        eas_xml_add_int(res, NULL, "Status", MR_INVALID);
        ctx->note = "MeetingResponse without Request";
        return 0;
    }
    rc = eas_user_get(ctx->db, ctx->pool, ctx->user, ctx->submit ? ctx->submit->mail_domain : NULL,
                      &u, &ctx->error);
    if (rc != 0) {
        if (rc > 0) {
            ctx->error = "authenticated user has no users row";
        }
        return -1;
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    for (n = eas_xml_child(root, NS_MR, "Request"); n; n = eas_xml_next(n), ++count) {
        mr_request rq;
        const char *v = eas_xml_child_text(n, NS_MR, "UserResponse");
        memset(&rq, 0, sizeof(rq));
        rq.answer = v ? atoi(v) : 0;
        rq.collection_id = eas_xml_child_text(n, NS_MR, "CollectionId");
        rq.request_id = eas_xml_child_text(n, NS_MR, "RequestId");
        rq.long_id = eas_xml_child_text(n, NS_SEARCH, "LongId");
        rq.instance_id = eas_xml_child_text(n, NS_MR, "InstanceId");
        rq.send_response = eas_xml_child(n, NS_MR, "SendResponse");
        if (respond(ctx, s, u, &rq, out) != 0) {
            return -1;
        }
    }
    ctx->note = apr_psprintf(ctx->pool, "MeetingResponse: %d requests", count);
    return 0;
}
