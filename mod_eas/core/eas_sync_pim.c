/* eas_sync_pim.c — Sync of Contacts, Calendar, Tasks and Notes collections: client Adds (with the
 * ClientId map, so a retried Add never creates a second item), Changes (server wins unless the
 * device asked for Conflict 0), Deletes (16.0: one occurrence by InstanceId), Fetches, and the
 * server's changes as ApplicationData. A device's invalid item gets Status 6 and a warning with
 * the reason; the other commands of the request go on. */
#include <string.h>

#include <apr_strings.h>

#include "eas_cal.h"
#include "eas_db.h"
#include "eas_store.h"
#include "eas_sync_int.h"
#include "eas_syncstate.h"
#include "eas_xml.h"

#define NS "AirSync:"

static void bad_item(sync_req *sr, const eas_folder *f, const char *what, const char *id,
                     const char *why)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const char *w = apr_psprintf(ctx->pool, "Sync %s %s in collection %s: %s: Status 6", what,
                                 id ? id : "", f->id, why ? why : "invalid");
    ctx->warning = ctx->warning ? apr_pstrcat(ctx->pool, ctx->warning, "; ", w, NULL) : w;
}

static int view_set(sync_req *sr, const eas_folder *f, apr_int64_t uid, apr_int64_t ms)
{
    const char *err = NULL;
    if (eas_sync_view_set(sr->ctx->db, sr->ctx->pool, sr->ctx->dev.device_pk, f->id, uid, ms,
                          &err) != 0) {
        sr->ctx->error = err;
        return -1;
    }
    return 0;
}

static int store_failed(sync_req *sr)
{
    sr->ctx->error = sr->s->error ? sr->s->error : "store error";
    return -1;
}

static int pim_add(sync_req *sr, const eas_folder *f, const eas_pim_class *pc, xmlNodePtr cmd,
                   xmlNodePtr coll, xmlNodePtr *responses)
{
    eas_cmd_ctx *ctx = sr->ctx;
    const char *cid = eas_xml_child_text(cmd, NS, "ClientId"), *err = NULL;
    xmlNodePtr app = eas_xml_child(cmd, NS, "ApplicationData");
    eas_pim_item it;
    apr_int64_t uid = 0, ms = 0;

    if (!cid || !*cid || strlen(cid) > 64 || !app) {
        eas_sync_add_response(responses, coll, cid, NULL, SY_PROTOCOL_ERROR);
        return 0;
    }
    if (eas_sync_client_id(sr, f, cid, &uid) != 0) {
        return -1;
    }
    if (uid) { /* a retry: the item the first attempt created */
        eas_sync_add_response(responses, coll, cid, eas_item_server_id(ctx->pool, f, uid), SY_OK);
        return 0;
    }
    memset(&it, 0, sizeof(it));
    if (pc->from_eas(ctx->pool, app, NULL, ctx->version, &it, &err) != 0) {
        bad_item(sr, f, "Add", cid, err);
        eas_sync_add_response(responses, coll, cid, NULL, SY_BAD_ITEM);
        return 0;
    }
    if (sr->s->provider->pim_put(sr->s, f, 0, &it, 0, &uid, &ms) != EAS_ST_OK) {
        return store_failed(sr);
    }
    if (eas_sync_client_id_save(sr, f, cid, uid) != 0 || view_set(sr, f, uid, ms) != 0) {
        return -1;
    }
    eas_sync_add_response(responses, coll, cid, eas_item_server_id(ctx->pool, f, uid), SY_OK);
    return 0;
}

/* The stored item a Change/Delete names and the modseq the device holds (0: not held). */
static int held_item(sync_req *sr, const eas_folder *f, apr_int64_t uid, eas_pim_item **it,
                     apr_int64_t *held)
{
    const char *err = NULL;
    *it = NULL;
    if (eas_sync_view_modseq(sr->ctx->db, sr->ctx->pool, sr->ctx->dev.device_pk, f->id, uid, held,
                             &err) != 0) {
        sr->ctx->error = err;
        return -1;
    }
    if (*held && sr->s->provider->pim_get(sr->s, f, &uid, 1, it) != 0) {
        return store_failed(sr);
    }
    return 0;
}

static int put_change(sync_req *sr, const eas_folder *f, const eas_body_opts *o, apr_int64_t uid,
                      const eas_pim_item *it, apr_int64_t held, const char *what, const char *sid,
                      xmlNodePtr coll, xmlNodePtr *responses)
{
    apr_int64_t ms = 0;
    /* server wins (Conflict 1, the default): the change applies only if the item is still as
     * the device last saw it; otherwise Status 7 and the server's version follows */
    int st = sr->s->provider->pim_put(sr->s, f, uid, it, o->conflict == 0 ? 0 : held, NULL, &ms);
    if (st == EAS_ST_ERROR) {
        return store_failed(sr);
    }
    if (st != EAS_ST_OK) {
        eas_sync_response(responses, coll, what, sid,
                          st == EAS_ST_CONFLICT ? SY_CONFLICT : SY_NOT_FOUND);
        return 0;
    }
    return view_set(sr, f, uid, ms);
}

/* Ghosting (MS-ASCMD 2.2.3.168 Supported): a device that listed the elements it carries only
 * replaces those; every other element of the stored item is copied into the Change before it
 * is read, so what the device cannot show survives its edits. */
static void ghost(sync_req *sr, const eas_pim_class *pc, const eas_pim_item *old, xmlNodePtr app)
{
    xmlDocPtr tmp = eas_xml_new_doc(NS, "ApplicationData");
    xmlNodePtr root = xmlDocGetRootElement(tmp), c;
    const char *err = NULL;
    eas_body_opts whole;

    eas_body_opts_init(&whole);
    if (pc->to_eas(sr->ctx->pool, tmp, root, old->data, &whole, sr->ctx->version, &err) == 0) {
        for (c = root->children; c; c = c->next) {
            const char *href;
            if (c->type != XML_ELEMENT_NODE || !c->ns || !c->ns->href) {
                continue;
            }
            href = (const char *)c->ns->href;
            if (strcmp(href, "AirSyncBase:") == 0 ||
                strstr(sr->supported, apr_pstrcat(sr->ctx->pool, href, c->name, "\n", NULL)) ||
                eas_xml_child(app, href, (const char *)c->name)) {
                continue; /* the body keeps itself; supported or sent: the device decides */
            }
            xmlAddChild(app, xmlDocCopyNode(c, app->doc, 1));
        }
    }
    xmlFreeDoc(tmp);
}

static int pim_change(sync_req *sr, const eas_folder *f, const eas_pim_class *pc, xmlNodePtr cmd,
                      const eas_body_opts *o, xmlNodePtr coll, xmlNodePtr *responses)
{
    xmlNodePtr app = eas_xml_child(cmd, NS, "ApplicationData");
    const char *sid, *err = NULL;
    eas_pim_item *old, it;
    apr_int64_t uid, held = 0;

    if (eas_sync_item_uid(sr, f, cmd, &uid, &sid) != 0) {
        eas_sync_response(responses, coll, "Change", sid, SY_NOT_FOUND);
        return 0;
    }
    if (held_item(sr, f, uid, &old, &held) != 0) {
        return -1;
    }
    if (!old) {
        eas_sync_response(responses, coll, "Change", sid, SY_NOT_FOUND);
        return 0;
    }
    if (!app) {
        return 0; /* nothing to change */
    }
    if (sr->supported) {
        ghost(sr, pc, old, app);
    }
    memset(&it, 0, sizeof(it));
    if (pc->from_eas(sr->ctx->pool, app, old->data, sr->ctx->version, &it, &err) != 0) {
        bad_item(sr, f, "Change", sid, err);
        eas_sync_response(responses, coll, "Change", sid, SY_BAD_ITEM);
        return 0;
    }
    return put_change(sr, f, o, uid, &it, held, "Change", sid, coll, responses);
}

static int pim_delete(sync_req *sr, const eas_folder *f, const eas_pim_class *pc, xmlNodePtr cmd,
                      const eas_body_opts *o, xmlNodePtr coll, xmlNodePtr *responses)
{
    const char *sid, *err = NULL;
    const char *instance = eas_xml_child_text(cmd, "AirSyncBase:", "InstanceId");
    apr_int64_t uid, held = 0;
    int st;

    if (eas_sync_item_uid(sr, f, cmd, &uid, &sid) != 0) {
        eas_sync_response(responses, coll, "Delete", sid, SY_NOT_FOUND);
        return 0;
    }
    if (instance && *instance) {
        /* 16.0+: one occurrence of a series goes, the series stays */
        eas_pim_item *old, it;
        if (pc != &eas_pim_calendar) {
            eas_sync_response(responses, coll, "Delete", sid, SY_PROTOCOL_ERROR);
            return 0;
        }
        if (held_item(sr, f, uid, &old, &held) != 0) {
            return -1;
        }
        if (!old) {
            eas_sync_response(responses, coll, "Delete", sid, SY_NOT_FOUND);
            return 0;
        }
        memset(&it, 0, sizeof(it));
        if (eas_cal_delete_instance(sr->ctx->pool, old->data, instance, &it, &err) != 0) {
            bad_item(sr, f, "Delete", sid, err);
            eas_sync_response(responses, coll, "Delete", sid, SY_BAD_ITEM);
            return 0;
        }
        return put_change(sr, f, o, uid, &it, held, "Delete", sid, coll, responses);
    }
    st = sr->s->provider->expunge(sr->s, f, uid);
    if (st == EAS_ST_ERROR) {
        return store_failed(sr);
    }
    /* gone already (a retried request): the device's wish holds, say nothing */
    if (eas_sync_view_remove(sr->ctx->db, sr->ctx->pool, sr->ctx->dev.device_pk, f->id, uid,
                             &err) != 0) {
        sr->ctx->error = err;
        return -1;
    }
    return 0;
}

static int app_data(sync_req *sr, const eas_folder *f, const eas_pim_class *pc,
                    const eas_pim_item *it, const eas_body_opts *o, xmlNodePtr parent)
{
    const char *err = NULL;
    xmlNodePtr app = eas_xml_add(parent, NULL, "ApplicationData", NULL);
    if (pc->to_eas(sr->ctx->pool, sr->doc, app, it->data, o, sr->ctx->version, &err) != 0) {
        /* stored data this build cannot read: say so in the log, send the item bare */
        sr->ctx->warning =
            apr_psprintf(sr->ctx->pool, "%s item %s:%" APR_INT64_T_FMT " unreadable: %s", pc->name,
                         f->id, it->uid, err ? err : "?");
    }
    return 0;
}

static int pim_fetch(sync_req *sr, const eas_folder *f, const eas_pim_class *pc, xmlNodePtr cmd,
                     const eas_body_opts *o, xmlNodePtr coll, xmlNodePtr *responses)
{
    const char *sid;
    apr_int64_t uid;
    eas_pim_item *it = NULL;
    xmlNodePtr n;

    if (eas_sync_item_uid(sr, f, cmd, &uid, &sid) != 0) {
        eas_sync_response(responses, coll, "Fetch", sid, SY_NOT_FOUND);
        return 0;
    }
    if (sr->s->provider->pim_get(sr->s, f, &uid, 1, &it) != 0) {
        return store_failed(sr);
    }
    if (!it) {
        eas_sync_response(responses, coll, "Fetch", sid, SY_NOT_FOUND);
        return 0;
    }
    eas_sync_response(responses, coll, "Fetch", sid, SY_OK);
    n = xmlGetLastChild(*responses);
    return app_data(sr, f, pc, it, o, n);
}

int eas_sync_pim_commands(sync_req *sr, const eas_folder *f, const eas_pim_class *pc,
                          xmlNodePtr cmds, const eas_body_opts *o, xmlNodePtr coll)
{
    xmlNodePtr c, responses = NULL;
    for (c = cmds ? cmds->children : NULL; c; c = c->next) {
        int rc = 0;
        if (c->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (!pc->from_eas) {
            /* a class this build does not carry: refuse each write, keep the session */
            if (!eas_xml_is(c, NS, "Fetch")) {
                eas_sync_response(&responses, coll, (const char *)c->name,
                                  eas_xml_child_text(c, NS, "ServerId"), SY_BAD_ITEM);
                continue;
            }
        }
        if (eas_xml_is(c, NS, "Add")) {
            rc = pim_add(sr, f, pc, c, coll, &responses);
        } else if (eas_xml_is(c, NS, "Change")) {
            rc = pim_change(sr, f, pc, c, o, coll, &responses);
        } else if (eas_xml_is(c, NS, "Delete")) {
            rc = pim_delete(sr, f, pc, c, o, coll, &responses);
        } else if (eas_xml_is(c, NS, "Fetch")) {
            rc = pim_fetch(sr, f, pc, c, o, coll, &responses);
        }
        if (rc != 0) {
            return -1;
        }
    }
    return 0;
}

int eas_sync_pim_changes(sync_req *sr, const eas_folder *f, const eas_pim_class *pc,
                         apr_array_header_t *changes, const eas_body_opts *o, xmlNodePtr cmds)
{
    eas_cmd_ctx *ctx = sr->ctx;
    apr_int64_t *uids = apr_palloc(ctx->pool, sizeof(apr_int64_t) * (apr_size_t)changes->nelts);
    eas_pim_item **items = apr_pcalloc(ctx->pool, sizeof(*items) * (apr_size_t)changes->nelts);
    int i, n = 0;

    for (i = 0; i < changes->nelts; ++i) {
        eas_change *ch = &APR_ARRAY_IDX(changes, i, eas_change);
        if (ch->op == EAS_CH_ADD || ch->op == EAS_CH_CHANGE) {
            uids[n++] = ch->uid;
        }
    }
    if (n && sr->s->provider->pim_get(sr->s, f, uids, n, items) != 0) {
        return store_failed(sr);
    }
    for (i = 0, n = 0; i < changes->nelts; ++i) {
        eas_change *ch = &APR_ARRAY_IDX(changes, i, eas_change);
        xmlNodePtr c;
        const char *sid = eas_item_server_id(ctx->pool, f, ch->uid);
        if (ch->op == EAS_CH_DELETE || ch->op == EAS_CH_SOFTDELETE) {
            c = eas_xml_add(cmds, NULL, ch->op == EAS_CH_DELETE ? "Delete" : "SoftDelete", NULL);
            eas_xml_add(c, NULL, "ServerId", sid);
            continue;
        }
        if (!items[n]) {
            /* gone between the diff and the fetch (see server_changes for mail) */
            if (ch->op == EAS_CH_CHANGE) {
                c = eas_xml_add(cmds, NULL, "Delete", NULL);
                eas_xml_add(c, NULL, "ServerId", sid);
            }
            ch->op = EAS_CH_DELETE;
            ++n;
            continue;
        }
        c = eas_xml_add(cmds, NULL, ch->op == EAS_CH_ADD ? "Add" : "Change", NULL);
        eas_xml_add(c, NULL, "ServerId", sid);
        ch->modseq = items[n]->modseq; /* the version sent is the one held */
        if (app_data(sr, f, pc, items[n], o, c) != 0) {
            return -1;
        }
        ++n;
    }
    return 0;
}
