/* eas_cmd_find.c — Find (MS-ASCMD 2.2.1.2, protocol 16.1): one MailBoxSearchCriterion (the
 * mailbox query of eas_cmd_search.h) or GALSearchCriterion (eas_gal.h) per request, answered
 * with the summary properties Find defines. Like Search, every request is computed afresh and
 * bounded by EASSearchMaxResults and EASSearchTimeout. */
#include <string.h>

#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_cmd_search.h"
#include "eas_email.h"
#include "eas_gal.h"
#include "eas_store.h"
#include "eas_submit.h"
#include "eas_xml.h"

#define NS_FIND   "Find:"
#define NS_AS     "AirSync:"
#define NS_EMAIL  "Email:"
#define NS_EMAIL2 "Email2:"
#define NS_IO     "ItemOperations:"

/* Find Status values (MS-ASCMD 2.2.3.177.2) */
enum { FS_OK = 1, FS_INVALID = 2, FS_FOLDERSYNC = 3 };

/* The Response element: Store name, Status, then results. */
static xmlNodePtr response(eas_cmd_ctx *ctx, xmlNodePtr out, const char *store, int status)
{
    xmlNodePtr r = eas_xml_add(out, NULL, "Response", NULL);
    eas_xml_add(r, eas_xml_ns(ctx->resp, NS_IO), "Store", store);
    eas_xml_add_int(r, NULL, "Status", status);
    return r;
}

static void add_if(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *v)
{
    if (v && *v) {
        eas_xml_add(parent, ns, name, v);
    }
}

static int find_mailbox(eas_cmd_ctx *ctx, xmlNodePtr crit, xmlNodePtr out)
{
    xmlNodePtr opts = eas_xml_child(crit, NS_FIND, "Options"), resp;
    const char *range = opts ? eas_xml_child_text(opts, NS_FIND, "Range") : NULL;
    eas_mail_query *mq = eas_mail_query_new(ctx->pool);
    xmlNsPtr as = eas_xml_ns(ctx->resp, NS_AS), em, em2;
    apr_array_header_t *hits = NULL;
    eas_fetch_spec spec = {0, 0, 0, 1};
    eas_store *s = NULL;
    int st, total = 0, i, n = 0;

    if (range && eas_range_parse(range, &mq->first, &mq->last) != 0) {
        st = 2;
    } else {
        mq->deep = opts && eas_xml_child(opts, NS_FIND, "DeepTraversal") != NULL;
        st = eas_mail_query_read(ctx, eas_xml_child(crit, NS_FIND, "Query"), NS_FIND, mq);
    }
    if (st == 1) {
        if (!(s = eas_store_open(ctx->pool, ctx->db, ctx->dev.user_id, &ctx->error))) {
            return -1;
        }
        st = eas_mail_search(ctx, s, mq, &hits, &total);
    }
    if (st < 0) {
        return -1;
    }
    if (st == 10) { /* timed out: the common "retry later" (Find has no status of its own) */
        eas_xml_add_int(out, NULL, "Status", 111);
        return 0;
    }
    eas_xml_add_int(out, NULL, "Status", 1);
    resp = response(ctx, out, "Mailbox", st == 1 ? FS_OK : st == 11 ? FS_FOLDERSYNC : FS_INVALID);
    if (st != 1) {
        return 0;
    }
    em = eas_xml_ns(ctx->resp, NS_EMAIL);
    em2 = eas_xml_ns(ctx->resp, NS_EMAIL2);
    for (i = 0; i < hits->nelts; ++i) {
        const eas_search_hit *h = &APR_ARRAY_IDX(hits, i, eas_search_hit);
        eas_mail_item *it = NULL;
        xmlNodePtr r, p;
        if (s->provider->fetch(s, h->folder, &h->uid, 1, &spec, &it) != 0) {
            ctx->error = s->error;
            return -1;
        }
        if (!it) {
            continue;
        }
        r = eas_xml_add(resp, NULL, "Result", NULL);
        eas_xml_add(r, as, "Class", "Email");
        eas_xml_add(r, as, "ServerId", eas_item_server_id(ctx->pool, h->folder, h->uid));
        eas_xml_add(r, as, "CollectionId", h->folder->id);
        p = eas_xml_add(r, NULL, "Properties", NULL);
        eas_xml_add(p, em, "Subject", it->subject ? it->subject : "");
        eas_xml_add(p, em, "DateReceived", eas_date_text(ctx->pool, it->received));
        add_if(p, em, "DisplayTo", it->display_to);
        add_if(p, NULL, "DisplayCc", it->cc);
        eas_xml_add_int(p, em, "Importance", it->importance);
        eas_xml_add(p, em, "Read", it->flags.seen ? "1" : "0");
        eas_xml_add(p, em2, "IsDraft", h->folder->type == EAS_FT_DRAFTS ? "1" : "0");
        add_if(p, NULL, "Preview", it->preview);
        eas_xml_add(p, NULL, "HasAttachments",
                    it->attachments && it->attachments->nelts > 0 ? "1" : "0");
        add_if(p, em, "From", it->from);
        ++n;
    }
    if (n > 0) {
        eas_xml_add(resp, NULL, "Range",
                    apr_psprintf(ctx->pool, "%d-%d", mq->first, mq->first + n - 1));
    }
    eas_xml_add_int(resp, NULL, "Total", total);
    return 0;
}

static int find_gal(eas_cmd_ctx *ctx, xmlNodePtr crit, xmlNodePtr out)
{
    xmlNodePtr opts = eas_xml_child(crit, NS_FIND, "Options"), q, resp;
    const char *range = opts ? eas_xml_child_text(opts, NS_FIND, "Range") : NULL;
    const char *domain = ctx->submit ? ctx->submit->mail_domain : NULL, *query = NULL;
    apr_array_header_t *found;
    eas_gal_picture pic;
    int first = 0, last = 99, i, rc;

    /* the query is the Query's FreeText (or, leniently, its own text) */
    if ((q = eas_xml_child(crit, NS_FIND, "Query"))) {
        query = eas_xml_child_text(q, NS_FIND, "FreeText");
        if (!query) {
            xmlChar *t = xmlNodeGetContent(q);
            query = t ? apr_pstrdup(ctx->pool, (const char *)t) : NULL;
            xmlFree(t);
        }
    }
    if ((range && eas_range_parse(range, &first, &last) != 0) || !query || !*query) {
        eas_xml_add_int(out, NULL, "Status", 1);
        response(ctx, out, "GAL", FS_INVALID);
        return 0;
    }
    eas_gal_picture_parse(&pic, opts ? eas_xml_child(opts, NS_FIND, "Picture") : NULL, NS_FIND);
    rc = eas_gal_search(ctx->db, ctx->pool, ctx->lookup, domain, query, &found, &ctx->error);
    if (rc < 0) {
        return -1;
    }
    if (rc == 1) {
        ctx->note = "GAL search timed out";
        eas_xml_add_int(out, NULL, "Status", 111);
        return 0;
    }
    eas_xml_add_int(out, NULL, "Status", 1);
    resp = response(ctx, out, "GAL", FS_OK);
    for (i = first; i <= last && i < found->nelts; ++i) {
        xmlNodePtr r = eas_xml_add(resp, NULL, "Result", NULL);
        eas_gal_properties(ctx->pool, ctx->resp, eas_xml_add(r, NULL, "Properties", NULL),
                           APR_ARRAY_IDX(found, i, const eas_gal_entry *), &pic);
    }
    if (first < found->nelts) {
        int end = last < found->nelts - 1 ? last : found->nelts - 1;
        eas_xml_add(resp, NULL, "Range", apr_psprintf(ctx->pool, "%d-%d", first, end));
    }
    eas_xml_add_int(resp, NULL, "Total", found->nelts);
    return 0;
}

int eas_cmd_find(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, out, exec, crit;

    ctx->resp = eas_xml_new_doc(NS_FIND, "Find");
    out = xmlDocGetRootElement(ctx->resp);
    if (ctx->version < 161) {
        ctx->note = "Find needs protocol 16.1";
        eas_xml_add_int(out, NULL, "Status", 138); /* VersionNotSupported (common status) */
        return 0;
    }
    exec = eas_xml_is(root, NS_FIND, "Find") ? eas_xml_child(root, NS_FIND, "ExecuteSearch") : NULL;
    if (exec && (crit = eas_xml_child(exec, NS_FIND, "MailBoxSearchCriterion"))) {
        return find_mailbox(ctx, crit, out);
    }
    if (exec && (crit = eas_xml_child(exec, NS_FIND, "GALSearchCriterion"))) {
        return find_gal(ctx, crit, out);
    }
    ctx->note = "Find without a search criterion";
    eas_xml_add_int(out, NULL, "Status", FS_INVALID);
    return 0;
}
