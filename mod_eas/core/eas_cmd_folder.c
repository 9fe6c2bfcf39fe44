/* eas_cmd_folder.c — FolderSync, FolderCreate, FolderUpdate, FolderDelete (MS-ASCMD 2.2.1.2-5).
 *
 * The hierarchy key is a counter per device. FolderSync with the current key makes the changes
 * sent with it part of the device's view and sends what differs now; with the previous key it
 * sends the same difference again (a retry). Create/Update/Delete need the current key, change
 * the store, record the change in the view (the device applies it itself) and issue the next key.
 */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_store.h"
#include "eas_syncstate.h"
#include "eas_xml.h"

#define NS "FolderHierarchy:"

/* FolderSync / FolderCreate / ... Status values */
#define FS_OK             1
#define FS_EXISTS         2
#define FS_SPECIAL        3
#define FS_NOT_FOUND      4
#define FS_PARENT_MISSING 5
#define FS_SERVER_ERROR   6
#define FS_BAD_KEY        9
#define FS_MALFORMED      10

static int status_doc(eas_cmd_ctx *ctx, const char *root, int status)
{
    ctx->resp = eas_xml_new_doc(NS, root);
    eas_xml_add_int(xmlDocGetRootElement(ctx->resp), NULL, "Status", status);
    return 0;
}

static int fail(eas_cmd_ctx *ctx, const char *err)
{
    ctx->error = err;
    eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK");
    return -1;
}

/* A key as the client sent it: a non-negative integer, else -1. */
static apr_int64_t parse_key(const char *s)
{
    char *end;
    long long v;
    if (!s || !*s || strlen(s) > 18) {
        return -1;
    }
    v = strtoll(s, &end, 10);
    return *end || v < 0 ? -1 : v;
}

static void add_folder_fields(xmlNodePtr n, const eas_folder *f)
{
    eas_xml_add(n, NULL, "ServerId", f->id);
    eas_xml_add(n, NULL, "ParentId", f->parent_id ? f->parent_id : "0");
    eas_xml_add(n, NULL, "DisplayName", f->name);
    eas_xml_add_int(n, NULL, "Type", f->type);
}

int eas_cmd_foldersync(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, out, changes;
    const char *keytext = eas_xml_child_text(root, NS, "SyncKey"), *pending, *err = NULL;
    apr_int64_t key = parse_key(keytext), cur, prev;
    apr_array_header_t *folders, *diff;
    eas_store *s;
    int i;

    if (!eas_xml_is(root, NS, "FolderSync") || key < 0) {
        ctx->note = "FolderSync without a valid SyncKey";
        return status_doc(ctx, "FolderSync", FS_MALFORMED);
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    if (eas_db_cmd(ctx->db, ctx->pool, &err, "BEGIN") != 0) {
        return fail(ctx, err);
    }
    if (eas_fsync_load(ctx->db, ctx->pool, ctx->dev.device_pk, &cur, &prev, &pending, &err) != 0) {
        return fail(ctx, err);
    }
    if (key == 0) {
        if (eas_fsync_reset(ctx->db, ctx->pool, ctx->dev.device_pk, &err) != 0) {
            return fail(ctx, err);
        }
        cur = 0;
    } else if (key == cur) {
        if (eas_fsync_apply(ctx->db, ctx->pool, ctx->dev.device_pk, pending, &err) != 0) {
            return fail(ctx, err);
        }
    } else if (key == prev) {
        cur = prev; /* retry: the view is as it was when prev was issued */
    } else {
        eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK");
        ctx->note = apr_psprintf(ctx->pool, "FolderSync key %s unknown: Status 9", keytext);
        return status_doc(ctx, "FolderSync", FS_BAD_KEY);
    }
    if (!(folders = eas_store_folders(s))) {
        return fail(ctx, s->error);
    }
    if (eas_fsync_diff(ctx->db, ctx->pool, ctx->dev.device_pk, folders, &diff, &err) != 0) {
        return fail(ctx, err);
    }
    /* the key advances only when something changed, so an idle device keeps its key */
    if (diff->nelts > 0 || key == 0) {
        prev = cur;
        cur = cur + 1;
    } else if (key != cur) {
        cur = key;
        prev = -1;
    }
    if (eas_fsync_save(ctx->db, ctx->pool, ctx->dev.device_pk, cur, prev,
                       eas_fsync_pending_text(ctx->pool, diff), &err) != 0 ||
        eas_db_cmd(ctx->db, ctx->pool, &err, "COMMIT") != 0) {
        return fail(ctx, err);
    }

    ctx->resp = eas_xml_new_doc(NS, "FolderSync");
    out = xmlDocGetRootElement(ctx->resp);
    eas_xml_add_int(out, NULL, "Status", FS_OK);
    eas_xml_add(out, NULL, "SyncKey", apr_psprintf(ctx->pool, "%" APR_INT64_T_FMT, cur));
    changes = eas_xml_add(out, NULL, "Changes", NULL);
    eas_xml_add_int(changes, NULL, "Count", diff->nelts);
    /* schema order: Update*, Delete*, Add* */
    for (i = 0; i < diff->nelts; ++i) {
        eas_folder_change *ch = &APR_ARRAY_IDX(diff, i, eas_folder_change);
        if (ch->op == 'U') {
            add_folder_fields(eas_xml_add(changes, NULL, "Update", NULL), &ch->f);
        }
    }
    for (i = 0; i < diff->nelts; ++i) {
        eas_folder_change *ch = &APR_ARRAY_IDX(diff, i, eas_folder_change);
        if (ch->op == 'D') {
            eas_xml_add(eas_xml_add(changes, NULL, "Delete", NULL), NULL, "ServerId", ch->f.id);
        }
    }
    for (i = 0; i < diff->nelts; ++i) {
        eas_folder_change *ch = &APR_ARRAY_IDX(diff, i, eas_folder_change);
        if (ch->op == 'A') {
            add_folder_fields(eas_xml_add(changes, NULL, "Add", NULL), &ch->f);
        }
    }
    ctx->note = apr_psprintf(ctx->pool, "FolderSync %s -> %" APR_INT64_T_FMT ": %d changes",
                             keytext, cur, diff->nelts);
    return 0;
}

/* Shared frame of Create/Update/Delete: check the key, run op, record the result in the view,
 * issue the next key. op returns an FS_* status and fills the view change. */
typedef int folder_op_fn(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr req, eas_folder_change *change,
                         const char **new_id);

static int store_status(int st)
{
    switch (st) {
    case EAS_ST_OK:
        return FS_OK;
    case EAS_ST_EXISTS:
        return FS_EXISTS;
    case EAS_ST_SPECIAL:
        return FS_SPECIAL;
    case EAS_ST_NOT_FOUND:
        return FS_NOT_FOUND;
    case EAS_ST_PARENT_MISSING:
        return FS_PARENT_MISSING;
    case EAS_ST_BAD_NAME:
        return FS_MALFORMED;
    default:
        return FS_SERVER_ERROR;
    }
}

static int folder_cmd(eas_cmd_ctx *ctx, const char *rootname, folder_op_fn *op)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, out;
    const char *keytext = eas_xml_child_text(root, NS, "SyncKey"), *pending, *err = NULL;
    const char *new_id = NULL;
    apr_int64_t key = parse_key(keytext), cur, prev;
    eas_folder_change change;
    apr_array_header_t *one;
    eas_store *s;
    int st;

    if (!eas_xml_is(root, NS, rootname) || key < 0) {
        ctx->note = apr_pstrcat(ctx->pool, rootname, " without a valid SyncKey", NULL);
        return status_doc(ctx, rootname, FS_MALFORMED);
    }
    if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
        return -1;
    }
    if (eas_db_cmd(ctx->db, ctx->pool, &err, "BEGIN") != 0 ||
        eas_fsync_load(ctx->db, ctx->pool, ctx->dev.device_pk, &cur, &prev, &pending, &err) != 0) {
        return fail(ctx, err);
    }
    if (key == 0 || key != cur) {
        eas_db_cmd(ctx->db, ctx->pool, &err, "ROLLBACK");
        ctx->note =
            apr_psprintf(ctx->pool, "%s with key %s, current is %" APR_INT64_T_FMT ": Status 9",
                         rootname, keytext, cur);
        return status_doc(ctx, rootname, FS_BAD_KEY);
    }
    /* presenting the current key proves the device has what was sent with it */
    if (eas_fsync_apply(ctx->db, ctx->pool, ctx->dev.device_pk, pending, &err) != 0) {
        return fail(ctx, err);
    }
    memset(&change, 0, sizeof(change));
    st = op(ctx, s, root, &change, &new_id);
    if (st < 0) {
        return fail(ctx, s->error ? s->error : ctx->error);
    }
    if (st != FS_OK) {
        /* nothing changed: keep the key (and the now applied pending changes) */
        if (eas_fsync_save(ctx->db, ctx->pool, ctx->dev.device_pk, cur, prev, "", &err) != 0 ||
            eas_db_cmd(ctx->db, ctx->pool, &err, "COMMIT") != 0) {
            return fail(ctx, err);
        }
        ctx->note = apr_psprintf(ctx->pool, "%s: Status %d", rootname, st);
        ctx->resp = eas_xml_new_doc(NS, rootname);
        eas_xml_add_int(xmlDocGetRootElement(ctx->resp), NULL, "Status", st);
        return 0;
    }
    one = apr_array_make(ctx->pool, 1, sizeof(eas_folder_change));
    APR_ARRAY_PUSH(one, eas_folder_change) = change;
    if (eas_fsync_apply(ctx->db, ctx->pool, ctx->dev.device_pk,
                        eas_fsync_pending_text(ctx->pool, one), &err) != 0 ||
        eas_fsync_save(ctx->db, ctx->pool, ctx->dev.device_pk, cur + 1, cur, "", &err) != 0 ||
        eas_db_cmd(ctx->db, ctx->pool, &err, "COMMIT") != 0) {
        return fail(ctx, err);
    }
    ctx->resp = eas_xml_new_doc(NS, rootname);
    out = xmlDocGetRootElement(ctx->resp);
    eas_xml_add_int(out, NULL, "Status", FS_OK);
    eas_xml_add(out, NULL, "SyncKey", apr_psprintf(ctx->pool, "%" APR_INT64_T_FMT, cur + 1));
    if (new_id) {
        eas_xml_add(out, NULL, "ServerId", new_id);
    }
    ctx->note = apr_psprintf(ctx->pool, "%s %s ok", rootname, change.f.id);
    return 0;
}

static const char *text_or_null(xmlNodePtr req, const char *name)
{
    return eas_xml_child_text(req, NS, name);
}

static int valid_user_type(int t)
{
    return t == EAS_FT_USER_GENERIC || (t >= EAS_FT_USER_MAIL && t <= EAS_FT_USER_NOTES);
}

static int op_create(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr req, eas_folder_change *ch,
                     const char **new_id)
{
    const char *parent = text_or_null(req, "ParentId"), *name = text_or_null(req, "DisplayName");
    const char *type = text_or_null(req, "Type");
    int t = type ? atoi(type) : 0, st;
    if (!parent || !name || !valid_user_type(t)) {
        return FS_MALFORMED;
    }
    st = s->provider->folder_create(s, parent, name, t, new_id);
    if (st == EAS_ST_ERROR) {
        return -1;
    }
    if (st != EAS_ST_OK) {
        return store_status(st);
    }
    ch->op = 'A';
    ch->f.id = *new_id;
    ch->f.parent_id = parent;
    ch->f.name = name;
    ch->f.type = t;
    return FS_OK;
}

static int op_update(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr req, eas_folder_change *ch,
                     const char **new_id)
{
    const char *id = text_or_null(req, "ServerId"), *parent = text_or_null(req, "ParentId");
    const char *name = text_or_null(req, "DisplayName");
    const eas_folder *f;
    int st;
    if (!id || !parent || !name) {
        return FS_MALFORMED;
    }
    if (!(f = eas_store_folder(s, id))) {
        return FS_NOT_FOUND;
    }
    st = s->provider->folder_update(s, id, parent, name);
    if (st == EAS_ST_ERROR) {
        return -1;
    }
    if (st != EAS_ST_OK) {
        return store_status(st);
    }
    ch->op = 'U';
    ch->f = *f;
    ch->f.parent_id = parent;
    ch->f.name = name;
    return FS_OK;
}

static int op_delete(eas_cmd_ctx *ctx, eas_store *s, xmlNodePtr req, eas_folder_change *ch,
                     const char **new_id)
{
    const char *id = text_or_null(req, "ServerId"), *err = NULL;
    const eas_folder *f;
    apr_array_header_t *all;
    int st, i;
    if (!id) {
        return FS_MALFORMED;
    }
    if (!(f = eas_store_folder(s, id))) {
        return FS_NOT_FOUND;
    }
    st = s->provider->folder_delete(s, id);
    if (st == EAS_ST_ERROR) {
        return -1;
    }
    if (st != EAS_ST_OK) {
        return store_status(st);
    }
    ch->op = 'D';
    ch->f = *f;
    /* subfolders went with it; the device drops them itself, so the view drops them too */
    all = eas_store_folders(s);
    eas_store_forget_folders(s);
    for (i = 0; all && i < all->nelts; ++i) {
        const eas_folder *sub = &APR_ARRAY_IDX(all, i, eas_folder);
        if (!eas_store_folder(s, sub->id)) {
            const char *params[2] = {ctx->dev.device_pk, sub->id};
            PGresult *r = eas_db_exec(ctx->db, ctx->pool, &err,
                                      "DELETE FROM folder_sync_items WHERE device_pk = $1 AND "
                                      "folder_id = $2",
                                      2, params);
            if (!r) {
                ctx->error = err;
                return -1;
            }
            PQclear(r);
        }
    }
    return FS_OK;
}

int eas_cmd_foldercreate(eas_cmd_ctx *ctx)
{
    return folder_cmd(ctx, "FolderCreate", op_create);
}

int eas_cmd_folderupdate(eas_cmd_ctx *ctx)
{
    return folder_cmd(ctx, "FolderUpdate", op_update);
}

int eas_cmd_folderdelete(eas_cmd_ctx *ctx)
{
    return folder_cmd(ctx, "FolderDelete", op_delete);
}
