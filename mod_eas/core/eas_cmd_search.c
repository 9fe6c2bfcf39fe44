/* eas_cmd_search.c — Search (MS-ASCMD 2.2.1.16): the GAL (eas_gal.h) and the user's mailbox
 * (the store's search op). DocumentLibrary is not offered (Store Status 13, access blocked).
 *
 * Results are computed afresh on every request (RebuildResults is what we always do), bounded
 * by EASSearchMaxResults and EASSearchTimeout. A mailbox Result's LongId is the item's ServerId
 * ("folder:uid"), so ItemOperations, SmartReply and SmartForward can use it directly. */
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_cmd_search.h"
#include "eas_email.h"
#include "eas_gal.h"
#include "eas_store.h"
#include "eas_submit.h"
#include "eas_xml.h"

#define NS_SEARCH "Search:"
#define NS_AS     "AirSync:"
#define NS_EMAIL  "Email:"

/* Store Status values (MS-ASCMD 2.2.3.177.13) */
enum {
    ST_OK = 1,
    ST_INVALID = 2,
    ST_SERVER = 3,
    ST_TOO_COMPLEX = 8,
    ST_TIMEOUT = 10,
    ST_FOLDERSYNC = 11,
    ST_BLOCKED = 13,
};

/* Walks a Query (And nesting) into q; Or and document library terms are beyond this server. */
static int read_query(eas_cmd_ctx *ctx, xmlNodePtr n, const char *ns, eas_mail_query *q)
{
    for (n = n ? n->children : NULL; n; n = n->next) {
        const char *t;
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        t = (const char *)xmlNodeGetContent(n);
        if (t) {
            char *dup = apr_pstrdup(ctx->pool, t);
            xmlFree((void *)t);
            t = dup;
        } else {
            t = "";
        }
        if (eas_xml_is(n, ns, "And")) {
            int st = read_query(ctx, n, ns, q);
            if (st != ST_OK) {
                return st;
            }
        } else if (eas_xml_is(n, ns, "FreeText")) {
            q->free_text = q->free_text ? apr_pstrcat(ctx->pool, q->free_text, " ", t, NULL) : t;
        } else if (eas_xml_is(n, NS_AS, "Class")) {
            if (strcmp(t, "Email") == 0) {
                q->email_class = 1;
            } else {
                q->other_class = 1;
            }
        } else if (eas_xml_is(n, NS_AS, "CollectionId")) {
            APR_ARRAY_PUSH(q->collections, const char *) = t;
        } else if (eas_xml_is(n, ns, "ConversationId")) {
            char *raw = apr_palloc(ctx->pool, (apr_size_t)apr_base64_decode_len(t) + 1);
            if (apr_base64_decode(raw, t) != 16) {
                return ST_INVALID;
            }
            q->conversation_id = raw;
        } else if (eas_xml_is(n, ns, "GreaterThan") || eas_xml_is(n, ns, "LessThan")) {
            const char *v = eas_xml_child_text(n, ns, "Value");
            apr_time_t when = v ? eas_date_parse(v) : 0;
            if (!eas_xml_child(n, NS_EMAIL, "DateReceived")) {
                return ST_TOO_COMPLEX;
            }
            if (!when) {
                return ST_INVALID;
            }
            if (eas_xml_is(n, ns, "GreaterThan")) {
                q->after = when;
            } else {
                q->before = when;
            }
        } else {
            return ST_TOO_COMPLEX; /* Or, EqualTo (document libraries), unknown terms */
        }
    }
    return ST_OK;
}

static int is_mail(const eas_folder *f)
{
    return strcmp(eas_folder_class(f->type), "Email") == 0;
}

/* f and, with deep, every mail folder below it (the list has parents before children). */
static void add_tree(apr_array_header_t *all, const eas_folder *f, int deep,
                     apr_array_header_t *out)
{
    int i, start = out->nelts;
    APR_ARRAY_PUSH(out, const eas_folder *) = f;
    if (!deep) {
        return;
    }
    for (i = 0; i < all->nelts; ++i) {
        const eas_folder *c = &APR_ARRAY_IDX(all, i, eas_folder);
        int k;
        for (k = start; k < out->nelts; ++k) {
            if (strcmp(c->parent_id, APR_ARRAY_IDX(out, k, const eas_folder *)->id) == 0) {
                if (is_mail(c)) {
                    APR_ARRAY_PUSH(out, const eas_folder *) = c;
                }
                break;
            }
        }
    }
}

int eas_mail_search(eas_cmd_ctx *ctx, eas_store *s, const eas_mail_query *mq,
                    apr_array_header_t **hits, int *total)
{
    apr_array_header_t *all = eas_store_folders(s), *folders;
    eas_search_query q;
    int i, rc;

    *hits = NULL;
    *total = 0;
    if (!all) {
        ctx->error = s->error;
        return -1;
    }
    folders = apr_array_make(ctx->pool, 8, sizeof(const eas_folder *));
    for (i = 0; i < mq->collections->nelts; ++i) {
        const eas_folder *f = eas_store_folder(s, APR_ARRAY_IDX(mq->collections, i, const char *));
        if (!f) {
            return ST_FOLDERSYNC; /* not (or no longer) one of the user's folders */
        }
        if (is_mail(f)) {
            add_tree(all, f, mq->deep, folders);
        }
    }
    if (mq->collections->nelts == 0) {
        for (i = 0; i < all->nelts; ++i) {
            const eas_folder *f = &APR_ARRAY_IDX(all, i, eas_folder);
            if (is_mail(f)) {
                APR_ARRAY_PUSH(folders, const eas_folder *) = f;
            }
        }
    }
    if (mq->other_class && !mq->email_class) {
        folders->nelts = 0; /* only mail is searched: other classes find nothing */
    }
    memset(&q, 0, sizeof(q));
    q.folders = (const eas_folder *const *)folders->elts;
    q.nfolders = folders->nelts;
    q.free_text = mq->free_text;
    q.after = mq->after;
    q.before = mq->before;
    q.conversation_id = mq->conversation_id;
    q.max = ctx->lookup && ctx->lookup->search_max > 0 ? ctx->lookup->search_max : 100;
    q.timeout = ctx->lookup ? ctx->lookup->search_timeout : 0;
    q.offset = mq->first;
    q.limit = mq->last - mq->first + 1;
    if (q.limit > q.max) {
        q.limit = q.max;
    }
    if (!s->provider->search) {
        ctx->note = "the store cannot search";
        return ST_SERVER;
    }
    rc = s->provider->search(s, &q, hits, total);
    if (rc == EAS_ST_TIMEOUT) {
        ctx->note = "mailbox search timed out";
        return ST_TIMEOUT;
    }
    if (rc != EAS_ST_OK) {
        ctx->error = s->error;
        return -1;
    }
    return ST_OK;
}

eas_mail_query *eas_mail_query_new(apr_pool_t *p)
{
    eas_mail_query *q = apr_pcalloc(p, sizeof(*q));
    q->collections = apr_array_make(p, 2, sizeof(const char *));
    q->last = 99;
    return q;
}

int eas_mail_query_read(eas_cmd_ctx *ctx, xmlNodePtr query, const char *ns, eas_mail_query *q)
{
    return read_query(ctx, query, ns, q);
}

static int search_mailbox(eas_cmd_ctx *ctx, xmlNodePtr req, xmlNodePtr store)
{
    xmlNodePtr opts = eas_xml_child(req, NS_SEARCH, "Options"), status;
    const char *range = opts ? eas_xml_child_text(opts, NS_SEARCH, "Range") : NULL;
    eas_mail_query *mq = eas_mail_query_new(ctx->pool);
    apr_array_header_t *hits;
    eas_fetch_spec spec;
    eas_body_opts o;
    eas_store *s;
    int st, total, i;

    status = eas_xml_add_int(store, NULL, "Status", ST_OK);
    if (range && eas_range_parse(range, &mq->first, &mq->last) != 0) {
        xmlNodeSetContent(status, (const xmlChar *)"2");
        return 0;
    }
    mq->deep = opts && eas_xml_child(opts, NS_SEARCH, "DeepTraversal") != NULL;
    st = read_query(ctx, eas_xml_child(req, NS_SEARCH, "Query"), NS_SEARCH, mq);
    if (st == ST_OK) {
        if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
            return -1;
        }
        st = eas_mail_search(ctx, s, mq, &hits, &total);
    }
    if (st < 0) {
        return -1;
    }
    if (st != ST_OK) {
        xmlNodeSetContent(status, (const xmlChar *)apr_itoa(ctx->pool, st));
        return 0;
    }
    eas_body_opts_init(&o);
    eas_body_opts_parse(&o, opts, ctx->version); /* BodyPreference, MIMESupport */
    eas_body_fetch_spec(&o, &spec);
    for (i = 0; i < hits->nelts; ++i) {
        const eas_search_hit *h = &APR_ARRAY_IDX(hits, i, eas_search_hit);
        eas_mail_item *it = NULL;
        xmlNodePtr r;
        if (s->provider->fetch(s, h->folder, &h->uid, 1, &spec, &it) != 0) {
            ctx->error = s->error;
            return -1;
        }
        if (!it) {
            continue; /* expunged between the search and the fetch */
        }
        r = eas_xml_add(store, NULL, "Result", NULL);
        eas_xml_add(r, eas_xml_ns(ctx->resp, NS_AS), "Class", "Email");
        eas_xml_add(r, NULL, "LongId", eas_item_server_id(ctx->pool, h->folder, h->uid));
        eas_xml_add(r, eas_xml_ns(ctx->resp, NS_AS), "CollectionId", h->folder->id);
        eas_email_app_data(ctx->pool, ctx->resp, eas_xml_add(r, NULL, "Properties", NULL),
                           h->folder, it, &o, ctx->version);
    }
    if (hits->nelts == 0) {
        eas_xml_add(store, NULL, "Result", NULL); /* no match: one empty Result */
    } else {
        eas_xml_add(store, NULL, "Range",
                    apr_psprintf(ctx->pool, "%d-%d", mq->first, mq->first + hits->nelts - 1));
    }
    eas_xml_add_int(store, NULL, "Total", total);
    return 0;
}

static int search_gal(eas_cmd_ctx *ctx, xmlNodePtr req, xmlNodePtr store)
{
    xmlNodePtr opts = eas_xml_child(req, NS_SEARCH, "Options"), status;
    const char *range = opts ? eas_xml_child_text(opts, NS_SEARCH, "Range") : NULL;
    const char *query = eas_xml_child_text(req, NS_SEARCH, "Query");
    const char *domain = ctx->submit ? ctx->submit->mail_domain : NULL;
    apr_array_header_t *found;
    eas_gal_picture pic;
    int first = 0, last = 99, i, rc;

    status = eas_xml_add_int(store, NULL, "Status", ST_OK);
    if ((range && eas_range_parse(range, &first, &last) != 0) || !query || !*query) {
        xmlNodeSetContent(status, (const xmlChar *)"2");
        return 0;
    }
    eas_gal_picture_parse(
        &pic, ctx->version >= 141 && opts ? eas_xml_child(opts, NS_SEARCH, "Picture") : NULL,
        NS_SEARCH);
    rc = eas_gal_search(ctx->db, ctx->pool, ctx->lookup, domain, query, &found, &ctx->error);
    if (rc < 0) {
        return -1;
    }
    if (rc == 1) {
        ctx->note = "GAL search timed out";
        xmlNodeSetContent(status, (const xmlChar *)"10");
        return 0;
    }
    for (i = first; i <= last && i < found->nelts; ++i) {
        xmlNodePtr r = eas_xml_add(store, NULL, "Result", NULL);
        eas_gal_properties(ctx->pool, ctx->resp, eas_xml_add(r, NULL, "Properties", NULL),
                           APR_ARRAY_IDX(found, i, const eas_gal_entry *), &pic);
    }
    if (first >= found->nelts) {
        eas_xml_add(store, NULL, "Result", NULL);
    } else {
        int end = last < found->nelts - 1 ? last : found->nelts - 1;
        eas_xml_add(store, NULL, "Range", apr_psprintf(ctx->pool, "%d-%d", first, end));
    }
    eas_xml_add_int(store, NULL, "Total", found->nelts);
    return 0;
}

int eas_cmd_search(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, out, store, req;
    const char *name;

    ctx->resp = eas_xml_new_doc(NS_SEARCH, "Search");
    out = xmlDocGetRootElement(ctx->resp);
    req = eas_xml_is(root, NS_SEARCH, "Search") ? eas_xml_child(root, NS_SEARCH, "Store") : NULL;
    name = req ? eas_xml_child_text(req, NS_SEARCH, "Name") : NULL;
    eas_xml_add_int(out, NULL, "Status", 1);
    store = eas_xml_add(eas_xml_add(out, NULL, "Response", NULL), NULL, "Store", NULL);
    if (name && strcasecmp(name, "GAL") == 0) {
        return search_gal(ctx, req, store);
    }
    if (name && strcasecmp(name, "Mailbox") == 0) {
        return search_mailbox(ctx, req, store);
    }
    if (name && strcasecmp(name, "DocumentLibrary") == 0) {
        ctx->note = "document library search is not offered";
        eas_xml_add_int(store, NULL, "Status", ST_BLOCKED);
        return 0;
    }
    ctx->note = "Search without a known Store Name";
    eas_xml_add_int(store, NULL, "Status", ST_INVALID);
    return 0;
}
