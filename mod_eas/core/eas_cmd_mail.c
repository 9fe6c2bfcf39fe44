/* eas_cmd_mail.c — GetItemEstimate, MoveItems, ItemOperations (Fetch, EmptyFolderContents) and
 * GetAttachment (12.x) on the store. */
#include <stdlib.h>
#include <string.h>

#include <apr_base64.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_email.h"
#include "eas_mime.h"
#include "eas_pim.h"
#include "eas_store.h"
#include "eas_syncstate.h"
#include "eas_xml.h"

#define NS_AS "AirSync:"

/* --- GetItemEstimate ---------------------------------------------------------------------- */

#define NS_GIE "GetItemEstimate:"

static int estimate_one(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr c, xmlNodePtr resp_root)
{
    const char *id = eas_xml_child_text(c, NS_GIE, "CollectionId");
    const char *key = eas_xml_child_text(c, NS_AS, "SyncKey"), *err = NULL;
    xmlNodePtr resp = eas_xml_add(resp_root, NULL, "Response", NULL), rc;
    const eas_folder *f = id ? eas_store_folder(s, id) : NULL;
    eas_sync_state st;
    eas_body_opts o;
    eas_sync_view v;
    apr_int64_t n = 0;
    xmlNodePtr opt;

    if (!f) {
        eas_xml_add_int(resp, NULL, "Status", 2);
        return 0;
    }
    if (eas_sync_load(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, &st, &err) != 0) {
        ctx->error = err;
        return -1;
    }
    if (!st.exists || !key || strcmp(key, "0") == 0) {
        eas_xml_add_int(resp, NULL, "Status", 3); /* not primed: Sync with key 0 first */
        return 0;
    }
    if (eas_sync_match(&st, key) != EAS_KEY_CURRENT && eas_sync_match(&st, key) != EAS_KEY_RETRY) {
        eas_xml_add_int(resp, NULL, "Status", 4);
        return 0;
    }
    eas_body_opts_init(&o);
    o.filter_type = st.filter_type;
    opt = eas_xml_child(c, NS_AS, "Options");
    if (opt) {
        eas_body_opts_parse(&o, opt, ctx->version);
    } else if (eas_xml_child(c, NS_AS, "FilterType")) { /* 12.x: FilterType directly */
        o.filter_type = atoi(eas_xml_child_text(c, NS_AS, "FilterType"));
    }
    v.device_pk = ctx->dev.device_pk;
    v.since = eas_filter_since(o.filter_type, apr_time_now());
    v.checked_modseq =
        eas_sync_match(&st, key) == EAS_KEY_CURRENT ? st.checked_modseq : st.prev_checked_modseq;
    v.added_modseq = -1; /* an estimate counts every add: walk */
    v.complete = 0;
    v.adds_complete = 0;
    /* the estimate is against what the device will hold after the current key is used */
    if (eas_sync_match(&st, key) == EAS_KEY_CURRENT) {
        if (eas_sync_apply_pending(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, st.pending,
                                   &err) != 0) {
            ctx->error = err;
            return -1;
        }
    }
    if (s->provider->count_changes(s, f, &v, &n) != 0) {
        ctx->error = s->error;
        return -1;
    }
    eas_xml_add_int(resp, NULL, "Status", 1);
    rc = eas_xml_add(resp, NULL, "Collection", NULL);
    eas_xml_add(rc, NULL, "CollectionId", f->id);
    eas_xml_add(rc, NULL, "Estimate", apr_psprintf(ctx->pool, "%" APR_INT64_T_FMT, n));
    return 0;
}

int eas_cmd_getitemestimate(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, colls, c, out;
    const char *err = NULL;
    eas_store *s;
    int n = 0;

    ctx->resp = eas_xml_new_doc(NS_GIE, "GetItemEstimate");
    out = xmlDocGetRootElement(ctx->resp);
    colls = eas_xml_is(root, NS_GIE, "GetItemEstimate") ? eas_xml_child(root, NS_GIE, "Collections")
                                                        : NULL;
    if (!colls) {
        eas_xml_add_int(out, NULL, "Status", 2);
        ctx->note = "GetItemEstimate without Collections";
        return 0;
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    /* a read-only transaction: applying pending to count must not persist (the key decides) */
    if (eas_db_cmd(ctx->db, ctx->pool, &err, "BEGIN") != 0) {
        ctx->error = err;
        return -1;
    }
    for (c = eas_xml_child(colls, NS_GIE, "Collection"); c && n < 300; c = eas_xml_next(c), ++n) {
        if (estimate_one(ctx, s, c, out) != 0) {
            eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK");
            return -1;
        }
    }
    if (eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK") != 0) {
        ctx->error = err;
        return -1;
    }
    return 0;
}

/* --- MoveItems ---------------------------------------------------------------------------- */

#define NS_MOVE "Move:"

static int move_one(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr mv, xmlNodePtr out)
{
    const char *src = eas_xml_child_text(mv, NS_MOVE, "SrcMsgId");
    const char *sfid = eas_xml_child_text(mv, NS_MOVE, "SrcFldId");
    const char *dfid = eas_xml_child_text(mv, NS_MOVE, "DstFldId"), *fid = NULL, *err = NULL;
    const eas_folder *sf = sfid ? eas_store_folder(s, sfid) : NULL;
    const eas_folder *df = dfid ? eas_store_folder(s, dfid) : NULL;
    xmlNodePtr r = eas_xml_add(out, NULL, "Response", NULL);
    apr_int64_t uid = 0, nu = 0;
    int st, status;

    eas_xml_add(r, NULL, "SrcMsgId", src ? src : "");
    if (!sf || eas_item_parse_server_id(src, &fid, &uid, ctx->pool) != 0 ||
        strcmp(fid, sf->id) != 0) {
        status = 1;
    } else if (!df || strcmp(eas_folder_class(df->type), eas_folder_class(sf->type)) != 0) {
        status = 2;
    } else if (strcmp(sf->id, df->id) == 0) {
        status = 4;
    } else {
        st = s->provider->move(s, sf, uid, df, &nu);
        if (st == EAS_ST_ERROR) {
            ctx->error = s->error;
            return -1;
        }
        status = st == EAS_ST_OK ? 3 : 1;
    }
    eas_xml_add_int(r, NULL, "Status", status);
    if (status == 3) {
        apr_int64_t ms = 0;
        eas_mail_item *it = NULL;
        eas_fetch_spec spec;
        const char *dst = eas_item_server_id(ctx->pool, df, nu);
        eas_xml_add(r, NULL, "DstMsgId", dst);
        /* the device moved it itself: its source view drops the old id and its destination view
         * holds the new one, so neither folder re-announces the item (no duplicate on device) */
        memset(&spec, 0, sizeof(spec));
        if (s->provider->fetch(s, df, &nu, 1, &spec, &it) != 0) {
            ctx->error = s->error;
            return -1;
        }
        ms = it ? it->modseq : 0;
        if (eas_sync_view_remove(ctx->db, ctx->pool, ctx->dev.device_pk, sf->id, uid, &err) != 0 ||
            eas_sync_view_set(ctx->db, ctx->pool, ctx->dev.device_pk, df->id, nu, ms, &err) != 0) {
            ctx->error = err;
            return -1;
        }
    }
    return 0;
}

int eas_cmd_moveitems(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, mv, out;
    const char *err = NULL;
    eas_store *s;
    int n = 0;

    ctx->resp = eas_xml_new_doc(NS_MOVE, "MoveItems");
    out = xmlDocGetRootElement(ctx->resp);
    if (!eas_xml_is(root, NS_MOVE, "MoveItems") || !eas_xml_child(root, NS_MOVE, "Move")) {
        eas_xml_add_int(out, NULL, "Status", 5);
        ctx->note = "MoveItems without Move";
        return 0;
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    for (mv = eas_xml_child(root, NS_MOVE, "Move"); mv; mv = eas_xml_next(mv), ++n) {
        /* each move is its own transaction: one failure does not undo the others */
        if (eas_db_cmd(ctx->db, ctx->pool, &err, "BEGIN") != 0) {
            ctx->error = err;
            return -1;
        }
        if (move_one(ctx, s, mv, out) != 0) {
            eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK");
            return -1;
        }
        if (eas_db_cmd(ctx->db, ctx->pool, &err, "COMMIT") != 0) {
            ctx->error = err;
            return -1;
        }
    }
    ctx->note = apr_psprintf(ctx->pool, "MoveItems: %d moves", n);
    return 0;
}

/* --- attachments -------------------------------------------------------------------------- */

/* "folder:uid:idx" -> folder, uid, idx. */
static int parse_file_ref(eas_cmd_ctx *ctx, eas_store *s, const char *ref, const eas_folder **f,
                          apr_int64_t *uid, int *idx)
{
    const char *last = ref ? strrchr(ref, ':') : NULL, *fid;
    char *item;
    if (!last || !last[1]) {
        return -1;
    }
    item = apr_pstrndup(ctx->pool, ref, (apr_size_t)(last - ref));
    *idx = atoi(last + 1);
    if (*idx <= 0 || eas_item_parse_server_id(item, &fid, uid, ctx->pool) != 0 ||
        !(*f = eas_store_folder(s, fid))) {
        return -1;
    }
    return 0;
}

/* The attachment's bytes: 0, EAS_ST_NOT_FOUND, or -1 (ctx->error). */
static int attachment_bytes(eas_cmd_ctx *ctx, eas_store *s, const char *ref, const char **data,
                            apr_size_t *len, const char **ctype)
{
    const eas_folder *f;
    apr_int64_t uid;
    const char *mime, *err = NULL;
    apr_size_t mlen;
    int idx, st;

    if (parse_file_ref(ctx, s, ref, &f, &uid, &idx) != 0) {
        return EAS_ST_NOT_FOUND;
    }
    st = s->provider->mime(s, f, uid, &mime, &mlen);
    if (st == EAS_ST_ERROR) {
        ctx->error = s->error;
        return -1;
    }
    if (st != 0) {
        return EAS_ST_NOT_FOUND;
    }
    eas_mime_init();
    if (eas_mime_attachment_data(ctx->pool, mime, mlen, idx, data, len, ctype, &err) != 0) {
        return EAS_ST_NOT_FOUND;
    }
    return 0;
}

int eas_cmd_getattachment(eas_cmd_ctx *ctx)
{
    eas_store *s;
    const char *data, *ctype;
    apr_size_t len;
    int st;

    if (!ctx->q->attachment_name) {
        ctx->http_status = 400;
        ctx->note = "GetAttachment without AttachmentName";
        return 0;
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    st = attachment_bytes(ctx, s, ctx->q->attachment_name, &data, &len, &ctype);
    if (st < 0) {
        return -1;
    }
    if (st != 0) {
        /* MS-ASCMD: a missing attachment is HTTP 500 for GetAttachment */
        ctx->http_status = 500;
        ctx->note = apr_pstrcat(ctx->pool, "no attachment ", ctx->q->attachment_name, NULL);
        return 0;
    }
    ctx->raw = data;
    ctx->raw_len = len;
    ctx->raw_type = ctype ? ctype : "application/octet-stream";
    return 0;
}

/* --- ItemOperations ----------------------------------------------------------------------- */

#define NS_IO "ItemOperations:"

/* Range "m-n" of Options: clipped to the data; -1 if malformed. */
static int parse_range(const char *r, apr_size_t total, apr_size_t *from, apr_size_t *to)
{
    long long a, b;
    char dash;
    if (!r) {
        *from = 0;
        *to = total ? total - 1 : 0;
        return 0;
    }
    if (sscanf(r, "%lld%c%lld", &a, &dash, &b) != 3 || dash != '-' || a < 0 || b < a) {
        return -1;
    }
    if ((apr_size_t)a >= total && total > 0) {
        return -1;
    }
    *from = (apr_size_t)a;
    *to = (apr_size_t)b >= total ? (total ? total - 1 : 0) : (apr_size_t)b;
    return 0;
}

int eas_cmd_add_part(eas_cmd_ctx *ctx, const char *data, apr_size_t len)
{
    eas_part *pt;
    if (!ctx->parts) {
        ctx->parts = apr_array_make(ctx->pool, 4, sizeof(eas_part));
    }
    pt = apr_array_push(ctx->parts);
    pt->data = data;
    pt->len = len;
    return ctx->parts->nelts;
}

static xmlNodePtr io_fetch_head(xmlNodePtr resp, int status)
{
    xmlNodePtr f = eas_xml_add(resp, NULL, "Fetch", NULL);
    eas_xml_add_int(f, NULL, "Status", status);
    return f;
}

static int fetch_attachment(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr fetch, xmlNodePtr resp,
                            const char *ref)
{
    xmlNodePtr opt = eas_xml_child(fetch, NS_IO, "Options"), f, props;
    xmlNsPtr base = eas_xml_ns(ctx->resp, "AirSyncBase:");
    const char *data, *ctype, *range = opt ? eas_xml_child_text(opt, NS_IO, "Range") : NULL;
    apr_size_t len, from, to;
    int st = attachment_bytes(ctx, s, ref, &data, &len, &ctype);

    if (st < 0) {
        return -1;
    }
    if (st != 0) {
        f = io_fetch_head(resp, 15);
        eas_xml_add(f, base, "FileReference", ref);
        return 0;
    }
    if (parse_range(range, len, &from, &to) != 0) {
        f = io_fetch_head(resp, 8);
        eas_xml_add(f, base, "FileReference", ref);
        return 0;
    }
    f = io_fetch_head(resp, 1);
    eas_xml_add(f, base, "FileReference", ref);
    props = eas_xml_add(f, NULL, "Properties", NULL);
    eas_xml_add(props, base, "ContentType", ctype ? ctype : "application/octet-stream");
    if (range) {
        eas_xml_add(props, NULL, "Range",
                    apr_psprintf(ctx->pool, "%lu-%lu", (unsigned long)from, (unsigned long)to));
        eas_xml_add(props, NULL, "Total", apr_psprintf(ctx->pool, "%lu", (unsigned long)len));
    }
    if (ctx->q->accept_multipart) {
        /* the bytes travel as a binary part, not as base64 inside the WBXML */
        eas_xml_add_int(props, NULL, "Part",
                        eas_cmd_add_part(ctx, data + from, len ? to - from + 1 : 0));
    } else {
        eas_xml_add(props, NULL, "Data",
                    len ? eas_base64(ctx->pool, data + from, to - from + 1) : "");
    }
    return 0;
}

/* A Contacts/Calendar/Tasks/Notes item: its class's properties. */
static int fetch_pim_item(eas_cmd_ctx *ctx, eas_store *s, const eas_folder *folder,
                          const eas_pim_class *pc, apr_int64_t uid, const char *cid,
                          const char *sid, const eas_body_opts *o, xmlNodePtr resp)
{
    eas_pim_item *it = NULL;
    const char *err = NULL;
    xmlNodePtr f;

    if (pc->to_eas && s->provider->pim_get(s, folder, &uid, 1, &it) != 0) {
        ctx->error = s->error;
        return -1;
    }
    f = io_fetch_head(resp, it ? 1 : 6);
    if (cid) {
        eas_xml_add(f, eas_xml_ns(ctx->resp, NS_AS), "CollectionId", cid);
    }
    eas_xml_add(f, eas_xml_ns(ctx->resp, NS_AS), "ServerId", sid);
    if (it) {
        eas_xml_add(f, eas_xml_ns(ctx->resp, NS_AS), "Class", pc->name);
        if (pc->to_eas(ctx->pool, ctx->resp, eas_xml_add(f, NULL, "Properties", NULL), it->data, o,
                       ctx->version, &err) != 0) {
            ctx->warning = apr_psprintf(ctx->pool, "%s item %s unreadable: %s", pc->name, sid,
                                        err ? err : "?");
        }
    }
    return 0;
}

static int fetch_item(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr fetch, xmlNodePtr resp)
{
    const char *cid = eas_xml_child_text(fetch, NS_AS, "CollectionId");
    const char *sid = eas_xml_child_text(fetch, NS_AS, "ServerId"), *fid = NULL;
    /* a Search/Find result is fetched by its LongId, which is the item's ServerId string */
    const char *long_id = sid ? NULL : eas_xml_child_text(fetch, "Search:", "LongId");
    xmlNodePtr opt = eas_xml_child(fetch, NS_IO, "Options"), f;
    const eas_folder *folder = NULL;
    const eas_pim_class *pc;
    eas_mail_item *it = NULL;
    eas_fetch_spec spec;
    eas_body_opts o;
    apr_int64_t uid = 0;

    if (long_id) {
        sid = long_id;
        cid = NULL;
    }
    if (sid && eas_item_parse_server_id(sid, &fid, &uid, ctx->pool) == 0 &&
        (!cid || strcmp(cid, fid) == 0)) {
        folder = eas_store_folder(s, fid);
    }
    eas_body_opts_init(&o);
    eas_body_opts_parse(&o, opt, ctx->version); /* MIMESupport, BodyPreference */
    if (folder && (pc = eas_pim_class_get(eas_folder_class(folder->type)))) {
        return fetch_pim_item(ctx, s, folder, pc, uid, cid, sid, &o, resp);
    }
    if (folder) {
        eas_body_fetch_spec(&o, &spec);
        if (s->provider->fetch(s, folder, &uid, 1, &spec, &it) != 0) {
            ctx->error = s->error;
            return -1;
        }
    }
    f = io_fetch_head(resp, it ? 1 : 6);
    if (cid) {
        eas_xml_add(f, eas_xml_ns(ctx->resp, NS_AS), "CollectionId", cid);
    }
    if (long_id) {
        eas_xml_add(f, eas_xml_ns(ctx->resp, "Search:"), "LongId", long_id);
    } else {
        eas_xml_add(f, eas_xml_ns(ctx->resp, NS_AS), "ServerId", sid ? sid : "");
    }
    if (it) {
        eas_xml_add(f, eas_xml_ns(ctx->resp, NS_AS), "Class", "Email");
        eas_email_app_data(ctx->pool, ctx->resp, eas_xml_add(f, NULL, "Properties", NULL), folder,
                           it, &o, ctx->version);
    }
    return 0;
}

static int empty_folder(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr op, xmlNodePtr resp)
{
    const char *cid = eas_xml_child_text(op, NS_AS, "CollectionId");
    xmlNodePtr opt = eas_xml_child(op, NS_IO, "Options"), e;
    const eas_folder *f = cid ? eas_store_folder(s, cid) : NULL;
    int st = 6;
    if (f) {
        int rc = s->provider->empty(s, f, opt && eas_xml_child(opt, NS_IO, "DeleteSubFolders"));
        if (rc == EAS_ST_ERROR) {
            ctx->error = s->error;
            return -1;
        }
        st = rc == 0 ? 1 : 3;
        eas_store_forget_folders(s);
    }
    e = eas_xml_add(resp, NULL, "EmptyFolderContents", NULL);
    eas_xml_add_int(e, NULL, "Status", st);
    eas_xml_add(e, eas_xml_ns(ctx->resp, NS_AS), "CollectionId", cid ? cid : "");
    return 0;
}

int eas_cmd_itemoperations(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, out, resp, op;
    eas_store *s;
    int pass;

    ctx->resp = eas_xml_new_doc(NS_IO, "ItemOperations");
    out = xmlDocGetRootElement(ctx->resp);
    if (!eas_xml_is(root, NS_IO, "ItemOperations")) {
        eas_xml_add_int(out, NULL, "Status", 2);
        ctx->note = "ItemOperations without an ItemOperations body";
        return 0;
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    eas_xml_add_int(out, NULL, "Status", 1);
    resp = eas_xml_add(out, NULL, "Response", NULL);
    /* the response schema groups operations by kind: Move, EmptyFolderContents, Fetch */
    for (pass = 0; pass < 3; ++pass) {
        for (op = root->children; op; op = op->next) {
            int rc = 0;
            if (op->type != XML_ELEMENT_NODE) {
                continue;
            }
            if (pass == 0 && eas_xml_is(op, NS_IO, "Move")) {
                xmlNodePtr m = eas_xml_add(resp, NULL, "Move", NULL);
                const char *conv = eas_xml_child_text(op, NS_IO, "ConversationId");
                /* conversation moves need conversation tracking this store does not keep */
                eas_xml_add_int(m, NULL, "Status", 6);
                eas_xml_add(m, NULL, "ConversationId", conv ? conv : "");
            } else if (pass == 1 && eas_xml_is(op, NS_IO, "EmptyFolderContents")) {
                rc = empty_folder(ctx, s, op, resp);
            } else if (pass == 2 && eas_xml_is(op, NS_IO, "Fetch")) {
                const char *store = eas_xml_child_text(op, NS_IO, "Store");
                const char *ref = eas_xml_child_text(op, "AirSyncBase:", "FileReference");
                if (!store || strcasecmp(store, "Mailbox") != 0) {
                    io_fetch_head(resp, 9);
                } else if (ref) {
                    rc = fetch_attachment(ctx, s, op, resp, ref);
                } else if (eas_xml_child(op, NS_AS, "ServerId") ||
                           eas_xml_child(op, "Search:", "LongId")) {
                    rc = fetch_item(ctx, s, op, resp);
                } else {
                    io_fetch_head(resp, 2);
                }
            }
            if (rc != 0) {
                return -1;
            }
        }
    }
    return 0;
}
