/* eas_store.c — provider-independent parts of the store interface: opening a user's store,
 * the per-request folder cache, and item ServerIds ("folder:uid"). */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_store.h"

typedef struct store_cache {
    apr_array_header_t *folders;
} store_cache;

const char *eas_folder_class(int type)
{
    switch (type) {
    case EAS_FT_TASKS:
    case EAS_FT_USER_TASKS:
        return "Tasks";
    case EAS_FT_CALENDAR:
    case EAS_FT_USER_CALENDAR:
        return "Calendar";
    case EAS_FT_CONTACTS:
    case EAS_FT_USER_CONTACTS:
        return "Contacts";
    case EAS_FT_NOTES:
    case EAS_FT_USER_NOTES:
        return "Notes";
    case EAS_FT_JOURNAL:
    case EAS_FT_USER_JOURNAL:
        return "Journal";
    default:
        return "Email";
    }
}

eas_store *eas_store_open(apr_pool_t *p, PGconn *db, const char *user_id, const char **err)
{
    eas_store *s = apr_pcalloc(p, sizeof(*s));
    s->provider = &eas_pgstore_provider;
    s->pool = p;
    s->db = db;
    s->user_id = user_id;
    s->priv = apr_pcalloc(p, sizeof(store_cache));
    if (s->provider->ensure_defaults(s) != 0) {
        *err = s->error;
        return NULL;
    }
    return s;
}

apr_array_header_t *eas_store_folders(eas_store *s)
{
    store_cache *c = s->priv;
    if (!c->folders && s->provider->folders(s, &c->folders) != 0) {
        c->folders = NULL;
    }
    return c->folders;
}

void eas_store_forget_folders(eas_store *s)
{
    ((store_cache *)s->priv)->folders = NULL;
}

const eas_folder *eas_store_folder(eas_store *s, const char *id)
{
    apr_array_header_t *all = eas_store_folders(s);
    int i;
    if (!all || !id) {
        return NULL;
    }
    for (i = 0; i < all->nelts; ++i) {
        const eas_folder *f = &APR_ARRAY_IDX(all, i, eas_folder);
        if (strcmp(f->id, id) == 0) {
            return f;
        }
    }
    return NULL;
}

const eas_folder *eas_store_special(eas_store *s, const char *special)
{
    apr_array_header_t *all = eas_store_folders(s);
    int i;
    for (i = 0; all && i < all->nelts; ++i) {
        const eas_folder *f = &APR_ARRAY_IDX(all, i, eas_folder);
        if (f->special && strcmp(f->special, special) == 0) {
            return f;
        }
    }
    return NULL;
}

const char *eas_item_server_id(apr_pool_t *p, const eas_folder *f, apr_int64_t uid)
{
    return apr_psprintf(p, "%s:%" APR_INT64_T_FMT, f->id, uid);
}

int eas_item_parse_server_id(const char *sid, const char **folder_id, apr_int64_t *uid,
                             apr_pool_t *p)
{
    const char *colon;
    char *end;
    long long v;
    if (!sid || !(colon = strchr(sid, ':')) || colon == sid || colon - sid > 19) {
        return -1;
    }
    for (const char *c = sid; c < colon; ++c) {
        if (*c < '0' || *c > '9') {
            return -1;
        }
    }
    if (colon[1] < '0' || colon[1] > '9') {
        return -1;
    }
    v = strtoll(colon + 1, &end, 10);
    if (*end || v <= 0) {
        return -1;
    }
    *folder_id = apr_pstrndup(p, sid, (apr_size_t)(colon - sid));
    *uid = v;
    return 0;
}
