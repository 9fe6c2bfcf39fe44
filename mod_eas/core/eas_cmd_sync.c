/* eas_cmd_sync.c — the Sync command (MS-ASCMD 2.2.1.21) for mail folders.
 *
 * Per collection, in one transaction holding the state row lock (a device's parallel retries
 * queue up instead of racing): check the key (current, previous = retry, else Status 3), make
 * the changes sent with the current key part of the device's view, apply the client's commands,
 * compute the next window of server changes against the view, remember them as pending with the
 * next key, and answer. A retry with the previous key discards the pending changes and answers
 * from the same view: the same changes again, never a duplicate or a gap. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_compose.h"
#include "eas_db.h"
#include "eas_email.h"
#include "eas_push.h"
#include "eas_store.h"
#include "eas_sync_int.h"
#include "eas_syncstate.h"
#include "eas_wbxml.h"
#include "eas_xml.h"

#define NS "AirSync:"

#define WINDOW_MAX     512
#define WINDOW_DEFAULT 100

static int fail(eas_cmd_ctx *ctx, const char *err)
{
    const char *ignored;
    ctx->error = err ? err : "store error";
    if (PQtransactionStatus(ctx->db) != PQTRANS_IDLE) {
        eas_db_cmd(ctx->db, ctx->pool, &ignored, "ROLLBACK");
    }
    return -1;
}

static xmlNodePtr collection_head(sync_req *sr, const char *key, const char *id, int status)
{
    xmlNodePtr c = eas_xml_add(sr->out, NULL, "Collection", NULL);
    eas_xml_add(c, NULL, "SyncKey", key);
    eas_xml_add(c, NULL, "CollectionId", id);
    eas_xml_add_int(c, NULL, "Status", status);
    return c;
}

static const char *server_id(sync_req *sr, const eas_folder *f, apr_int64_t uid)
{
    return eas_item_server_id(sr->ctx->pool, f, uid);
}

int eas_sync_item_uid(sync_req *sr, const eas_folder *f, xmlNodePtr cmd, apr_int64_t *uid,
                      const char **sid)
{
    const char *fid;
    *sid = eas_xml_child_text(cmd, NS, "ServerId");
    if (eas_item_parse_server_id(*sid, &fid, uid, sr->ctx->pool) != 0 || strcmp(fid, f->id)) {
        return -1;
    }
    return 0;
}

void eas_sync_response(xmlNodePtr *responses, xmlNodePtr coll, const char *what, const char *sid,
                       int status)
{
    xmlNodePtr n;
    if (!*responses) {
        *responses = eas_xml_add(coll, NULL, "Responses", NULL);
    }
    n = eas_xml_add(*responses, NULL, what, NULL);
    eas_xml_add(n, NULL, "ServerId", sid ? sid : "");
    eas_xml_add_int(n, NULL, "Status", status);
}

static int client_change(sync_req *sr, const eas_folder *f, xmlNodePtr cmd, const eas_body_opts *o,
                         xmlNodePtr coll, xmlNodePtr *responses)
{
    eas_cmd_ctx *ctx = sr->ctx;
    xmlNodePtr app = eas_xml_child(cmd, NS, "ApplicationData");
    const char *sid, *err = NULL;
    apr_int64_t uid, held = 0, ms = 0;
    eas_flags fl;
    int mask, st;

    if (eas_sync_item_uid(sr, f, cmd, &uid, &sid) != 0) {
        eas_sync_response(responses, coll, "Change", sid, SY_NOT_FOUND);
        return 0;
    }
    mask = app ? eas_email_parse_change(ctx->pool, app, &fl) : 0;
    if (mask == 0) {
        return 0; /* nothing a mail item lets the client change: accept silently */
    }
    if (eas_sync_view_modseq(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, uid, &held, &err) !=
        0) {
        ctx->error = err;
        return -1;
    }
    if (held == 0) {
        eas_sync_response(responses, coll, "Change", sid, SY_NOT_FOUND);
        return 0;
    }
    /* server wins (Conflict 1, the default): the change applies only if the item is still as
     * the device last saw it; otherwise the device gets the server's version with Status 7 */
    st = sr->s->provider->set_flags(sr->s, f, uid, &fl, mask, o->conflict == 0 ? 0 : held, &ms);
    if (st == EAS_ST_ERROR) {
        ctx->error = sr->s->error;
        return -1;
    }
    if (st == EAS_ST_CONFLICT) {
        eas_sync_response(responses, coll, "Change", sid, SY_CONFLICT);
        return 0;
    }
    if (st == EAS_ST_NOT_FOUND) {
        eas_sync_response(responses, coll, "Change", sid, SY_NOT_FOUND);
        return 0;
    }
    /* the device has this version already: do not echo it back */
    if (eas_sync_view_set(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, uid, ms, &err) != 0) {
        ctx->error = err;
        return -1;
    }
    return 0;
}

static int client_delete(sync_req *sr, const eas_folder *f, xmlNodePtr cmd, const eas_body_opts *o,
                         xmlNodePtr coll, xmlNodePtr *responses)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const eas_folder *trash = eas_store_special(sr->s, "deleted");
    const char *sid, *err = NULL;
    apr_int64_t uid, new_uid;
    int st;

    if (eas_sync_item_uid(sr, f, cmd, &uid, &sid) != 0) {
        eas_sync_response(responses, coll, "Delete", sid, SY_NOT_FOUND);
        return 0;
    }
    if (o->deletes_as_moves && trash && strcmp(trash->id, f->id) != 0) {
        st = sr->s->provider->move(sr->s, f, uid, trash, &new_uid);
    } else {
        st = sr->s->provider->expunge(sr->s, f, uid);
    }
    if (st == EAS_ST_ERROR) {
        ctx->error = sr->s->error;
        return -1;
    }
    /* gone already (a retried request): the device's wish holds, say nothing */
    if (eas_sync_view_remove(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, uid, &err) != 0) {
        ctx->error = err;
        return -1;
    }
    return 0;
}

static int client_fetch(sync_req *sr, const eas_folder *f, xmlNodePtr cmd, const eas_body_opts *o,
                        xmlNodePtr coll, xmlNodePtr *responses)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const char *sid;
    apr_int64_t uid;
    eas_fetch_spec spec;
    eas_mail_item *it = NULL;
    xmlNodePtr n;

    if (!*responses) {
        *responses = eas_xml_add(coll, NULL, "Responses", NULL);
    }
    if (eas_sync_item_uid(sr, f, cmd, &uid, &sid) != 0) {
        eas_sync_response(responses, coll, "Fetch", sid, SY_NOT_FOUND);
        return 0;
    }
    eas_body_fetch_spec(o, &spec);
    if (sr->s->provider->fetch(sr->s, f, &uid, 1, &spec, &it) != 0) {
        ctx->error = sr->s->error;
        return -1;
    }
    if (!it) {
        eas_sync_response(responses, coll, "Fetch", sid, SY_NOT_FOUND);
        return 0;
    }
    n = eas_xml_add(*responses, NULL, "Fetch", NULL);
    eas_xml_add(n, NULL, "ServerId", sid);
    eas_xml_add_int(n, NULL, "Status", SY_OK);
    eas_email_app_data(ctx->pool, sr->doc, eas_xml_add(n, NULL, "ApplicationData", NULL), f, it, o,
                       ctx->version);
    return 0;
}

void eas_sync_add_response(xmlNodePtr *responses, xmlNodePtr coll, const char *cid, const char *sid,
                           int status)
{
    xmlNodePtr n;
    if (!*responses) {
        *responses = eas_xml_add(coll, NULL, "Responses", NULL);
    }
    n = eas_xml_add(*responses, NULL, "Add", NULL);
    eas_xml_add(n, NULL, "ClientId", cid ? cid : "");
    if (sid) {
        eas_xml_add(n, NULL, "ServerId", sid);
    }
    eas_xml_add_int(n, NULL, "Status", status);
}

int eas_sync_client_id(sync_req *sr, const eas_folder *f, const char *cid, apr_int64_t *uid)
{
    const char *params[3] = {sr->ctx->dev.device_pk, f->id, cid}, *err = NULL;
    PGresult *r = eas_db_exec(sr->ctx->db, sr->ctx->pool, &err,
                              "SELECT uid FROM sync_client_ids WHERE device_pk = $1 "
                              "AND folder_id = $2 AND client_id = $3",
                              3, params);
    if (!r) {
        sr->ctx->error = err;
        return -1;
    }
    *uid = PQntuples(r) == 1 ? apr_atoi64(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return 0;
}

int eas_sync_client_id_save(sync_req *sr, const eas_folder *f, const char *cid, apr_int64_t uid)
{
    const char *params[4] = {sr->ctx->dev.device_pk, f->id, cid,
                             apr_psprintf(sr->ctx->pool, "%" APR_INT64_T_FMT, uid)};
    const char *err = NULL;
    PGresult *r = eas_db_exec(sr->ctx->db, sr->ctx->pool, &err,
                              "INSERT INTO sync_client_ids (device_pk, folder_id, client_id, uid) "
                              "VALUES ($1, $2, $3, $4)",
                              4, params);
    if (!r) {
        sr->ctx->error = err;
        return -1;
    }
    PQclear(r);
    return 0;
}

/* A new draft (16.0+: the only mail items a device may create through Sync). The ClientId map
 * makes a retried Add answer with the item the first attempt created. */
static int client_add(sync_req *sr, const eas_folder *f, xmlNodePtr cmd, xmlNodePtr coll,
                      xmlNodePtr *responses)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const char *cid = eas_xml_child_text(cmd, NS, "ClientId"), *err = NULL, *raw;
    xmlNodePtr app = eas_xml_child(cmd, NS, "ApplicationData"), body;
    eas_compose_fields cf;
    eas_flags fl;
    eas_mail_item *it = NULL;
    eas_fetch_spec spec;
    apr_int64_t uid = 0;
    apr_size_t len;

    if (!cid || !*cid || strlen(cid) > 64 || !app) {
        eas_sync_add_response(responses, coll, cid, NULL, SY_PROTOCOL_ERROR);
        return 0;
    }
    if (ctx->version < 160 || !f->special || strcmp(f->special, "drafts") != 0) {
        eas_sync_add_response(responses, coll, cid, NULL, SY_BAD_ITEM);
        return 0;
    }
    if (eas_sync_client_id(sr, f, cid, &uid) != 0) {
        return -1;
    }
    if (uid) {
        eas_sync_add_response(responses, coll, cid, server_id(sr, f, uid), SY_OK);
        return 0;
    }

    memset(&cf, 0, sizeof(cf));
    cf.from = strchr(ctx->user, '@') ? ctx->user : NULL;
    cf.to = eas_xml_child_text(app, "Email:", "To");
    cf.cc = eas_xml_child_text(app, "Email:", "Cc");
    cf.bcc = eas_xml_child_text(app, "Email2:", "Bcc");
    cf.subject = eas_xml_child_text(app, "Email:", "Subject");
    cf.importance = eas_xml_child_text(app, "Email:", "Importance")
                        ? atoi(eas_xml_child_text(app, "Email:", "Importance"))
                        : 1;
    body = eas_xml_child(app, "AirSyncBase:", "Body");
    if (body) {
        const char *type = eas_xml_child_text(body, "AirSyncBase:", "Type");
        const char *data = eas_xml_child_text(body, "AirSyncBase:", "Data");
        if (type && atoi(type) == 2) {
            cf.html = data ? data : "";
        } else {
            cf.text = data ? data : "";
        }
    }
    raw = eas_compose_message(ctx->pool, &cf, &len);
    memset(&fl, 0, sizeof(fl));
    fl.seen = 1;
    if (sr->s->provider->append(sr->s, f, raw, len, &fl, &uid) != 0) {
        ctx->error = sr->s->error;
        return -1;
    }
    memset(&spec, 0, sizeof(spec));
    if (sr->s->provider->fetch(sr->s, f, &uid, 1, &spec, &it) != 0 || !it) {
        ctx->error = sr->s->error ? sr->s->error : "draft vanished";
        return -1;
    }
    if (eas_sync_client_id_save(sr, f, cid, uid) != 0) {
        return -1;
    }
    /* the device has it already: the view holds it so it is not sent back as an Add */
    if (eas_sync_view_set(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, uid, it->modseq, &err) !=
        0) {
        ctx->error = err;
        return -1;
    }
    eas_sync_add_response(responses, coll, cid, server_id(sr, f, uid), SY_OK);
    return 0;
}

static int client_commands(sync_req *sr, const eas_folder *f, xmlNodePtr cmds,
                           const eas_body_opts *o, xmlNodePtr coll)
{
    xmlNodePtr c, responses = NULL;
    for (c = cmds ? cmds->children : NULL; c; c = c->next) {
        int rc = 0;
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (eas_xml_is(c, NS, "Change")) {
            rc = client_change(sr, f, c, o, coll, &responses);
        } else if (eas_xml_is(c, NS, "Delete")) {
            rc = client_delete(sr, f, c, o, coll, &responses);
        } else if (eas_xml_is(c, NS, "Fetch")) {
            rc = client_fetch(sr, f, c, o, coll, &responses);
        } else if (eas_xml_is(c, NS, "Add")) {
            rc = client_add(sr, f, c, coll, &responses);
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

/* Server changes into Commands: deletes and soft deletes as they are, adds/changes with data. */
static int server_changes(sync_req *sr, const eas_folder *f, apr_array_header_t *changes,
                          const eas_body_opts *o, xmlNodePtr cmds)
{
    eas_cmd_ctx *ctx = sr->ctx;
    apr_int64_t *uids = apr_palloc(ctx->pool, sizeof(apr_int64_t) * (apr_size_t)changes->nelts);
    eas_mail_item **items = apr_pcalloc(ctx->pool, sizeof(*items) * (apr_size_t)changes->nelts);
    eas_fetch_spec spec;
    int i, n = 0;

    for (i = 0; i < changes->nelts; ++i) {
        eas_change *ch = &APR_ARRAY_IDX(changes, i, eas_change);
        if (ch->op == EAS_CH_ADD || ch->op == EAS_CH_CHANGE) {
            uids[n++] = ch->uid;
        }
    }
    eas_body_fetch_spec(o, &spec);
    if (n && sr->s->provider->fetch(sr->s, f, uids, n, &spec, items) != 0) {
        ctx->error = sr->s->error;
        return -1;
    }
    for (i = 0, n = 0; i < changes->nelts; ++i) {
        eas_change *ch = &APR_ARRAY_IDX(changes, i, eas_change);
        xmlNodePtr c;
        if (ch->op == EAS_CH_DELETE || ch->op == EAS_CH_SOFTDELETE) {
            c = eas_xml_add(cmds, NULL, ch->op == EAS_CH_DELETE ? "Delete" : "SoftDelete", NULL);
            eas_xml_add(c, NULL, "ServerId", server_id(sr, f, ch->uid));
            continue;
        }
        if (!items[n]) {
            /* expunged between the diff and the fetch: a held item (Change) is announced gone;
             * an Add the device never had is dropped. Pending records a delete either way. */
            if (ch->op == EAS_CH_CHANGE) {
                c = eas_xml_add(cmds, NULL, "Delete", NULL);
                eas_xml_add(c, NULL, "ServerId", server_id(sr, f, ch->uid));
            }
            ch->op = EAS_CH_DELETE;
            ++n;
            continue;
        }
        c = eas_xml_add(cmds, NULL, ch->op == EAS_CH_ADD ? "Add" : "Change", NULL);
        eas_xml_add(c, NULL, "ServerId", server_id(sr, f, ch->uid));
        ch->modseq = items[n]->modseq; /* the version sent is the one held */
        eas_email_app_data(ctx->pool, sr->doc, eas_xml_add(c, NULL, "ApplicationData", NULL), f,
                           items[n], o, ctx->version);
        ++n;
    }
    return 0;
}

static int parse_window(xmlNodePtr node, int dflt)
{
    const char *w = eas_xml_child_text(node, NS, "WindowSize");
    int v;
    if (!w || !*w) {
        return dflt;
    }
    v = atoi(w);
    return v < 1 ? dflt : v > WINDOW_MAX ? WINDOW_MAX : v;
}

/* Options that apply to the folder's class: the first Options without Class or with its Class
 * (a mail folder may also carry SMS Options, which this server does not serve). */
static xmlNodePtr class_options(xmlNodePtr coll, const char *cls_name)
{
    xmlNodePtr o;
    for (o = eas_xml_child(coll, NS, "Options"); o; o = eas_xml_next(o)) {
        const char *cls = eas_xml_child_text(o, NS, "Class");
        if (!cls || strcmp(cls, cls_name) == 0) {
            return o;
        }
    }
    return NULL;
}

/* Supported (PIM collections, with SyncKey 0) as "ns:name\n" lines; NULL when absent. */
static const char *supported_list(apr_pool_t *p, xmlNodePtr coll)
{
    xmlNodePtr sup = eas_xml_child(coll, NS, "Supported"), c;
    const char *out = "";
    if (!sup) {
        return NULL;
    }
    for (c = sup->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns && c->ns->href) {
            out = apr_pstrcat(p, out, (const char *)c->ns->href, (const char *)c->name, "\n", NULL);
        }
    }
    return out;
}

static int has_commands(xmlNodePtr req)
{
    xmlNodePtr cmds = eas_xml_child(req, NS, "Commands"), c;
    for (c = cmds ? cmds->children : NULL; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            return 1;
        }
    }
    return 0;
}

static int sync_collection(sync_req *sr, xmlNodePtr req)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const char *key = eas_xml_child_text(req, NS, "SyncKey");
    const char *id = eas_xml_child_text(req, NS, "CollectionId");
    const char *gc = eas_xml_child_text(req, NS, "GetChanges");
    const char *err = NULL, *new_key, *prev_key;
    const eas_folder *f;
    const eas_pim_class *pc;
    eas_sync_state st;
    eas_key_match m;
    eas_body_opts o;
    eas_sync_view view;
    apr_array_header_t *changes = NULL;
    xmlNodePtr coll, cmds, opts;
    int more = 0, window, was_loud = sr->loud;
    apr_int64_t seen = -1, checked = 0, prev_checked = 0, added = -1, prev_added = -1;

    sr->loud = 1; /* until the quiet case below is known */
    if (!key || !id) {
        collection_head(sr, key ? key : "0", id ? id : "", SY_PROTOCOL_ERROR);
        return 0;
    }
    if (!(f = eas_store_folder(sr->s, id))) {
        ctx->note = apr_psprintf(ctx->pool, "Sync of unknown collection %s: Status 12", id);
        collection_head(sr, key, id, SY_HIERARCHY);
        return 0;
    }
    pc = eas_pim_class_get(eas_folder_class(f->type));
    opts = class_options(req, pc ? pc->name : "Email");
    eas_body_opts_init(&o);
    if (gc) {
        o.get_changes = atoi(gc) != 0;
    }
    {
        const char *dam = eas_xml_child_text(req, NS, "DeletesAsMoves");
        if (dam) {
            o.deletes_as_moves = atoi(dam) != 0;
        }
    }
    window = parse_window(req, WINDOW_DEFAULT);
    if (window > sr->budget) {
        window = sr->budget;
    }

    if (eas_db_cmd(ctx->db, ctx->pool, &err, "BEGIN") != 0 ||
        eas_sync_load(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, &st, &err) != 0) {
        return fail(ctx, err);
    }
    /* Options persist: a request without them uses the ones sent last for this collection */
    if (opts) {
        eas_body_opts_parse(&o, opts, ctx->version);
    } else if (strcmp(key, "0") != 0) {
        eas_body_opts_load(&o, st.options);
    }
    if (strcmp(key, "0") == 0) {
        if (eas_sync_reset(ctx->db, ctx->pool, ctx->dev.device_pk, f, o.filter_type, &new_key,
                           &err) != 0 ||
            (pc && eas_sync_save_supported(ctx->db, ctx->pool, ctx->dev.device_pk, f->id,
                                           supported_list(ctx->pool, req), &err) != 0) ||
            (opts && eas_sync_save_options(ctx->db, ctx->pool, ctx->dev.device_pk, f->id,
                                           eas_body_opts_save(ctx->pool, &o), &err) != 0) ||
            eas_db_cmd(ctx->db, ctx->pool, &err, "COMMIT") != 0) {
            return fail(ctx, err);
        }
        collection_head(sr, new_key, id, SY_OK);
        return 0;
    }
    m = eas_sync_match(&st, key);
    if (m == EAS_KEY_INVALID || st.uidvalidity != f->uidvalidity) {
        eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK");
        ctx->note =
            apr_psprintf(ctx->pool, "Sync key %s of collection %s unknown: Status 3", key, id);
        collection_head(sr, "0", id, SY_BAD_KEY);
        return 0;
    }
    if (m == EAS_KEY_CURRENT) {
        if (eas_sync_apply_pending(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, st.pending,
                                   &err) != 0) {
            return fail(ctx, err);
        }
        new_key = eas_sync_next_key(ctx->pool, st.sync_key);
        prev_key = st.sync_key;
        checked = prev_checked = st.checked_modseq;
        added = prev_added = st.added_modseq;
    } else {
        new_key = st.sync_key; /* a retry gets the key it was given before */
        prev_key = st.prev_key;
        checked = prev_checked = st.prev_checked_modseq;
        added = prev_added = st.prev_added_modseq;
    }
    if (st.filter_type != o.filter_type) {
        added = -1; /* a wider window can bring back items never offered: walk again */
    }

    coll = collection_head(sr, new_key, id, SY_OK);
    sr->supported = st.supported;
    if ((pc ? eas_sync_pim_commands(sr, f, pc, eas_xml_child(req, NS, "Commands"), &o, coll)
            : client_commands(sr, f, eas_xml_child(req, NS, "Commands"), &o, coll)) != 0) {
        return fail(ctx, ctx->error);
    }
    if (o.get_changes && window > 0) {
        view.device_pk = ctx->dev.device_pk;
        view.since = eas_filter_since(o.filter_type, apr_time_now());
        view.checked_modseq = checked;
        view.added_modseq = added;
        view.complete = 0;
        view.adds_complete = 0;
        if (m == EAS_KEY_CURRENT && st.seen_modseq == f->modseq &&
            st.filter_type == o.filter_type && !st.pending[0]) {
            /* nothing written to the folder since the last empty diff */
            changes = apr_array_make(ctx->pool, 1, sizeof(eas_change));
        } else if (sr->s->provider->changes(sr->s, f, &view, window, &changes, &more) != 0) {
            return fail(ctx, sr->s->error);
        }
        if (changes->nelts > 0) {
            cmds = eas_xml_add(coll, NULL, "Commands", NULL);
            if ((pc ? eas_sync_pim_changes(sr, f, pc, changes, &o, cmds)
                    : server_changes(sr, f, changes, &o, cmds)) != 0) {
                return fail(ctx, ctx->error);
            }
            sr->budget -= changes->nelts;
        }
        if (more) {
            /* schema: MoreAvailable is a Collection child; clients expect it before Commands */
            xmlNodePtr ma = xmlNewNode(coll->ns, BAD_CAST "MoreAvailable");
            xmlNodePtr first_cmd = eas_xml_child(coll, NS, "Commands");
            if (first_cmd) {
                xmlAddPrevSibling(first_cmd, ma);
            } else {
                xmlAddChild(coll, ma);
            }
        }
        if (changes->nelts == 0 && !more) {
            seen = f->modseq;
        }
        if (view.complete && f->modseq > checked) {
            checked = f->modseq; /* read before the diff: later writes are looked at again */
        }
        if (view.adds_complete && f->modseq > added) {
            added = f->modseq;
        } else if (!view.adds_complete && view.added_modseq < 0) {
            added = -1;
        }
    }
    if (m == EAS_KEY_CURRENT && !st.pending[0] && !has_commands(req) &&
        (!changes || changes->nelts == 0) && !more && st.filter_type == o.filter_type) {
        /* nothing happened: the device keeps its key (and may get an empty response) */
        new_key = st.sync_key;
        prev_key = st.prev_key;
        prev_checked = st.prev_checked_modseq;
        prev_added = st.prev_added_modseq;
        xmlNodeSetContent(eas_xml_child(coll, NS, "SyncKey"), BAD_CAST new_key);
        sr->loud = was_loud;
    }
    if (eas_sync_save(ctx->db, ctx->pool, ctx->dev.device_pk, f->id, new_key, prev_key,
                      changes ? eas_sync_pending_text(ctx->pool, changes) : "", o.filter_type, seen,
                      checked, prev_checked, added, prev_added, &err) != 0 ||
        (opts && eas_sync_save_options(ctx->db, ctx->pool, ctx->dev.device_pk, f->id,
                                       eas_body_opts_save(ctx->pool, &o), &err) != 0) ||
        eas_db_cmd(ctx->db, ctx->pool, &err, "COMMIT") != 0) {
        return fail(ctx, err);
    }
    ctx->note = apr_psprintf(ctx->pool, "Sync %s %s -> %s: %d changes%s", id, key, new_key,
                             changes ? changes->nelts : 0, more ? " (more)" : "");
    return 0;
}

/* The request to work on: the body, or for an empty body the last full request (MS-ASCMD
 * 2.2.3.177: an empty Sync repeats the previous one with the current keys). */
static xmlDocPtr cached_request(eas_cmd_ctx *ctx, const char **err)
{
    const char *params[1] = {ctx->dev.device_pk};
    PGresult *r = PQexecParams(ctx->db, "SELECT body FROM sync_last_request WHERE device_pk = $1",
                               1, NULL, params, NULL, NULL, 1);
    xmlDocPtr doc = NULL;
    char e[128];
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        *err = apr_pstrdup(ctx->pool, PQerrorMessage(ctx->db));
        PQclear(r);
        return NULL;
    }
    if (PQntuples(r) == 1) {
        eas_wbxml_decode((const unsigned char *)PQgetvalue(r, 0, 0), (size_t)PQgetlength(r, 0, 0),
                         NULL, &doc, e, sizeof(e));
    }
    PQclear(r);
    return doc;
}

static int remember_request(eas_cmd_ctx *ctx)
{
    const char *params[2] = {ctx->dev.device_pk, ctx->body};
    int lengths[2] = {0, (int)ctx->body_len}, formats[2] = {0, 1};
    PGresult *r =
        PQexecParams(ctx->db,
                     "INSERT INTO sync_last_request (device_pk, body) VALUES ($1, $2) "
                     "ON CONFLICT (device_pk) DO UPDATE SET body = $2, updated_at = now()",
                     2, NULL, params, lengths, formats, 0);
    int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    if (!ok) {
        ctx->error = apr_pstrdup(ctx->pool, PQerrorMessage(ctx->db));
    }
    PQclear(r);
    return ok ? 0 : -1;
}

static apr_status_t free_doc(void *d)
{
    xmlFreeDoc(d);
    return APR_SUCCESS;
}

/* For a request taken from the cache the keys are the device's current ones. */
static void use_current_keys(eas_cmd_ctx *ctx, xmlNodePtr colls)
{
    xmlNodePtr c;
    for (c = eas_xml_child(colls, NS, "Collection"); c; c = eas_xml_next(c)) {
        xmlNodePtr k = eas_xml_child(c, NS, "SyncKey"), cmds = eas_xml_child(c, NS, "Commands");
        const char *id = eas_xml_child_text(c, NS, "CollectionId"), *err = NULL;
        eas_sync_state st;
        if (cmds) {
            xmlUnlinkNode(cmds);
            xmlFreeNode(cmds);
        }
        if (k && id && eas_sync_load(ctx->db, ctx->pool, ctx->dev.device_pk, id, &st, &err) == 0 &&
            st.exists) {
            xmlNodeSetContent(k, BAD_CAST st.sync_key);
        }
    }
}

/* One pass over the collections into a fresh response document (sr->doc). */
static int run_collections(sync_req *sr, xmlNodePtr root, xmlNodePtr colls, xmlDocPtr cached,
                           int partial)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const char *err = NULL;
    xmlNodePtr c;

    sr->doc = eas_xml_new_doc(NS, "Sync");
    sr->loud = 0;
    if (!(sr->s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &err))) {
        return fail(ctx, err);
    }
    sr->budget = parse_window(root, WINDOW_MAX);
    sr->out = eas_xml_add(xmlDocGetRootElement(sr->doc), NULL, "Collections", NULL);
    for (c = eas_xml_child(colls, NS, "Collection"); c; c = eas_xml_next(c)) {
        if (sync_collection(sr, c) != 0) {
            return -1;
        }
    }
    if (partial && cached) {
        /* Partial: the cached collections the request did not name run as well */
        xmlNodePtr cc = eas_xml_child(xmlDocGetRootElement(cached), NS, "Collections");
        use_current_keys(ctx, cc);
        for (c = cc ? eas_xml_child(cc, NS, "Collection") : NULL; c; c = eas_xml_next(c)) {
            const char *id = eas_xml_child_text(c, NS, "CollectionId");
            xmlNodePtr r;
            int named = 0;
            for (r = eas_xml_child(colls, NS, "Collection"); r; r = eas_xml_next(r)) {
                const char *rid = eas_xml_child_text(r, NS, "CollectionId");
                if (id && rid && strcmp(id, rid) == 0) {
                    named = 1;
                }
            }
            if (!named && sync_collection(sr, c) != 0) {
                return -1;
            }
        }
    }
    return 0;
}

/* Wait (minutes, 12.1) or HeartbeatInterval (seconds, 14.0+): how long a Sync without changes may
 * be held. 0: not asked; -1: a Status document was set (4 both given, 14 out of bounds). */
static int hold_seconds(eas_cmd_ctx *ctx, xmlNodePtr root, xmlNodePtr out)
{
    const char *wait = eas_xml_child_text(root, NS, "Wait");
    const char *hb = eas_xml_child_text(root, NS, "HeartbeatInterval");
    int v, lo = ctx->push.hb_min, hi = ctx->push.hb_max, unit = 1;

    if (wait && hb) {
        eas_xml_add_int(out, NULL, "Status", SY_PROTOCOL_ERROR);
        ctx->note = "Sync with both Wait and HeartbeatInterval: Status 4";
        return -1;
    }
    if (!wait && !hb) {
        return 0;
    }
    if (wait) { /* minutes, 1..59 by the protocol, within the configured bounds */
        unit = 60;
        lo = (lo + 59) / 60 > 1 ? (lo + 59) / 60 : 1;
        hi = hi / 60 < 59 ? hi / 60 : 59;
    }
    v = atoi(wait ? wait : hb);
    if (v < lo || v > hi) {
        eas_xml_add_int(out, NULL, "Status", SY_LIMIT);
        eas_xml_add_int(out, NULL, "Limit", v < lo ? lo : hi);
        ctx->note = apr_psprintf(ctx->pool, "Sync %s %d outside %d..%d: Status 14",
                                 wait ? "Wait" : "HeartbeatInterval", v, lo, hi);
        return -1;
    }
    return v * unit;
}

/* The collections a held Sync watches. */
static eas_watch *sync_watch(eas_cmd_ctx *ctx, xmlNodePtr colls, xmlDocPtr cached)
{
    apr_array_header_t *ids = apr_array_make(ctx->pool, 4, sizeof(const char *));
    xmlNodePtr lists[2], c;
    int k;

    lists[0] = colls;
    lists[1] = cached ? eas_xml_child(xmlDocGetRootElement(cached), NS, "Collections") : NULL;
    for (k = 0; k < 2; ++k) {
        for (c = lists[k] ? eas_xml_child(lists[k], NS, "Collection") : NULL; c;
             c = eas_xml_next(c)) {
            const char *id = eas_xml_child_text(c, NS, "CollectionId");
            if (id) {
                APR_ARRAY_PUSH(ids, const char *) = id;
            }
        }
    }
    return eas_watch_make(ctx->pool, ids);
}

static apr_status_t free_doc_ptr(void *d)
{
    xmlDocPtr *doc = d;
    if (*doc) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }
    return APR_SUCCESS;
}

int eas_cmd_sync(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, colls, out;
    xmlDocPtr cached = NULL;
    const char *err = NULL;
    eas_waiter *wt = NULL;
    apr_int64_t seq = 0;
    apr_time_t deadline = 0;
    sync_req *sr = apr_pcalloc(ctx->pool, sizeof(*sr)); /* outlives the call: cleanup below */
    int partial = 0, hold;

    sr->ctx = ctx;
    ctx->resp = eas_xml_new_doc(NS, "Sync");
    out = xmlDocGetRootElement(ctx->resp);

    if (root && !eas_xml_is(root, NS, "Sync")) {
        eas_xml_add_int(out, NULL, "Status", SY_PROTOCOL_ERROR);
        ctx->note = "Sync body is not AirSync:Sync";
        return 0;
    }
    partial = root && eas_xml_child(root, NS, "Partial") != NULL;
    colls = root ? eas_xml_child(root, NS, "Collections") : NULL;
    if (!colls || partial) {
        if (!(cached = cached_request(ctx, &err)) && err) {
            return fail(ctx, err);
        }
        if (cached) {
            apr_pool_cleanup_register(ctx->pool, cached, free_doc, apr_pool_cleanup_null);
        }
        if (!cached && !colls) {
            eas_xml_add_int(out, NULL, "Status", SY_EMPTY_NO_CACHE);
            ctx->note = "empty Sync without a previous request: Status 13";
            return 0;
        }
        if (cached && !colls) {
            colls = eas_xml_child(xmlDocGetRootElement(cached), NS, "Collections");
            use_current_keys(ctx, colls);
            root = xmlDocGetRootElement(cached);
        }
    } else if (ctx->body_len && remember_request(ctx) != 0) {
        return -1;
    }
    if (!colls) {
        eas_xml_add_int(out, NULL, "Status", SY_PROTOCOL_ERROR);
        return 0;
    }
    if ((hold = hold_seconds(ctx, root, out)) < 0) {
        return 0;
    }
    xmlFreeDoc(ctx->resp);
    ctx->resp = NULL;

    /* a Sync ends the device's held Ping (or held Sync); a held Sync joins the hub first, so a
     * change committed while it looks is a notification, never lost */
    if (hold > 0 && ctx->version >= 121) {
        eas_watch *w = sync_watch(ctx, colls, partial ? cached : NULL);
        if (eas_push_join(ctx, w, &wt) != EAS_JOIN_OK) {
            hold = 0; /* full or stopping: answer now, the device asks again */
        }
        deadline = apr_time_now() + apr_time_from_sec(hold);
    } else {
        hold = 0;
    }
    if (eas_push_hold(ctx, hold > 0, NULL, NULL, &seq) != 0) {
        return -1;
    }
    if (wt) {
        eas_hub_set_seq(wt, seq);
    }
    apr_pool_cleanup_register(ctx->pool, &sr->doc, free_doc_ptr, apr_pool_cleanup_null);
    for (;;) {
        unsigned ev;
        if (run_collections(sr, root, colls, cached, partial) != 0) {
            return -1;
        }
        if (sr->loud || !wt) {
            break;
        }
        ev = eas_push_sleep(ctx, wt, deadline, NULL);
        if (ev & EAS_WAKE_CLIENT_GONE) {
            ctx->client_gone = 1;
            ctx->note = "Sync: the client hung up while held";
            return 0;
        }
        if (ev & (EAS_WAKE_SUPERSEDED | EAS_WAKE_STOPPING | EAS_WAKE_TIMEOUT)) {
            break; /* nothing new: the empty response below */
        }
        if (eas_push_reconnect(ctx) != 0) {
            break; /* database unavailable: the empty response, the device asks again later */
        }
        xmlFreeDoc(sr->doc);
        sr->doc = NULL;
    }
    if (wt) {
        eas_hub_leave(wt);
        if (sr->loud && ctx->db) {
            eas_push_unhold(ctx, seq);
        }
    }
    if (!sr->loud && ctx->version >= 121) {
        ctx->note = apr_pstrcat(ctx->pool, ctx->note ? ctx->note : "Sync",
                                "; no changes: empty response", NULL);
        return 0; /* MS-ASCMD 4.5.10: an empty 200, the keys stay as they are */
    }
    ctx->resp = sr->doc; /* the handler frees it from now on */
    sr->doc = NULL;
    return 0;
}
