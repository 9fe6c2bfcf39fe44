/* eas_cmd_resolve.c — the ResolveRecipients command (MS-ASCMD 2.2.1.15).
 *
 * Each To (an SMTP address, "Name <address>", or the start of a name) is looked up among the
 * server's users (the GAL, Type 1: eas_user_by_address for an address, eas_user_search for a
 * name) and the requesting user's own contacts (Type 2, the vCards of their Contacts folders:
 * FN, N given/family, EMAIL). One match resolves (Status 1); several are suggestions (2, or 3
 * when more exist than MaxAmbiguousRecipients); none is Status 4. The same address found in
 * both is the GAL entry. Options:
 *   Availability (14.0+): MergedFreeBusy of a resolved local user (eas_freebusy.h); contacts
 *     and outside addresses have no free/busy here (Availability Status 163); more than 100 To
 *     with Availability: 160. The window must be 30 minutes to 42 days (else Status 5).
 *   CertificateRetrieval 2/3: no certificates are stored, so Certificates Status 7.
 *   Picture (14.1+): the user's directory picture or the contact's PHOTO, within MaxSize
 *     (174 when larger) and MaxPictures per To (175 past it); 173 when there is none.
 * Every look-up runs in one read-only transaction under EASSearchTimeout as statement_timeout;
 * suggestions are bounded by EASSearchMaxResults. A timeout answers Status 6 (retry). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <glib.h>

#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_email.h"
#include "eas_freebusy.h"
#include "eas_pim.h"
#include "eas_submit.h"
#include "eas_user.h"
#include "eas_vcard.h"
#include "eas_xml.h"

#define NS "ResolveRecipients:"

#define ST_OK          1
#define ST_AMBIGUOUS   2
#define ST_PARTIAL     3
#define ST_UNRESOLVED  4
#define ST_PROTOCOL    5
#define ST_SERVER      6
#define ST_NO_CERT     7
#define ST_AV_TOO_MANY 160
#define ST_AV_NO_DATA  163
#define ST_PIC_NONE    173
#define ST_PIC_TOO_BIG 174
#define ST_PIC_LIMIT   175

#define TYPE_GAL     1
#define TYPE_CONTACT 2

#define MAX_TO       1000 /* more is undefined (MS-ASCMD 2.2.3.183.3): a protocol error */
#define MAX_AVAIL_TO 100  /* with Availability (Status 160) */

typedef struct rr_opts {
    int certs;   /* CertificateRetrieval: 1 none, 2 full, 3 mini */
    int max_amb; /* suggestions per To */
    int avail;   /* Availability asked */
    apr_time_t start, end;
    int picture;       /* Picture asked (14.1+) */
    long pic_max_size; /* bytes, -1: no limit */
    long pic_max;      /* pictures per To, -1: no limit */
} rr_opts;

typedef struct rr_cand {
    int type;
    const char *name, *email;
    const char *user_id; /* GAL: users.id, for free/busy */
    const char *photo;   /* JPEG (or other image) bytes, NULL: none */
    apr_size_t photo_len;
} rr_cand;

/* A database failure that ends the whole command. */
typedef struct rr_fail {
    const char *err;
} rr_fail;

static int int_opt(xmlNodePtr opts, const char *name, long lo, long hi, long *out)
{
    const char *v = eas_xml_child_text(opts, NS, name);
    char *end;
    long n;
    if (!v) {
        return 0;
    }
    n = strtol(v, &end, 10);
    if (end == v || *end || n < lo || n > hi) {
        return -1;
    }
    *out = n;
    return 0;
}

/* Options → o; -1 on an invalid value (Status 5). */
static int parse_options(eas_cmd_ctx *ctx, xmlNodePtr opts, int search_max, rr_opts *o)
{
    long certs = 1, max_certs = 0, max_amb = search_max;
    xmlNodePtr av, pic;

    memset(o, 0, sizeof(*o));
    o->pic_max = -1;
    if (opts && (int_opt(opts, "CertificateRetrieval", 1, 3, &certs) != 0 ||
                 /* checked only: there are no certificates to count */
                 int_opt(opts, "MaxCertificates", 0, 9999, &max_certs) != 0 ||
                 int_opt(opts, "MaxAmbiguousRecipients", 0, 9999, &max_amb) != 0)) {
        return -1;
    }
    o->certs = (int)certs;
    o->max_amb = (int)(max_amb < search_max ? max_amb : search_max);
    if (opts && ctx->version >= 140 && (av = eas_xml_child(opts, NS, "Availability"))) {
        const char *s = eas_xml_child_text(av, NS, "StartTime");
        const char *e = eas_xml_child_text(av, NS, "EndTime");
        o->avail = 1;
        if (!s || !(o->start = eas_date_parse(s))) {
            return -1;
        }
        if (e) {
            if (!(o->end = eas_date_parse(e))) {
                return -1;
            }
        } else {
            o->end = o->start + apr_time_from_sec(7 * 86400);
        }
        if (o->end < o->start + EAS_FB_SLOT ||
            o->end - o->start > apr_time_from_sec(EAS_FB_MAX_DAYS * 86400)) {
            return -1;
        }
    }
    if (opts && ctx->version >= 141 && (pic = eas_xml_child(opts, NS, "Picture"))) {
        long size = -1, n = -1;
        if (int_opt(pic, "MaxSize", 0, 0x7fffffffL, &size) != 0 ||
            int_opt(pic, "MaxPictures", 0, 0x7fffffffL, &n) != 0) {
            return -1;
        }
        o->picture = 1;
        o->pic_max_size = size;
        o->pic_max = n;
    }
    return 0;
}

/* The address of "Name <addr>" or a bare address; NULL when the To is a name. */
static const char *address_of(apr_pool_t *p, const char *to)
{
    const char *lt = strrchr(to, '<'), *gt;
    const char *a = to;
    apr_size_t n = strlen(to);
    if (lt && (gt = strchr(lt, '>'))) {
        a = lt + 1;
        n = (apr_size_t)(gt - a);
    }
    while (n && (*a == ' ' || *a == '\t')) {
        ++a, --n;
    }
    while (n && (a[n - 1] == ' ' || a[n - 1] == '\t')) {
        --n;
    }
    if (!n || !memchr(a, '@', n) || memchr(a, ' ', n)) {
        return NULL;
    }
    return apr_pstrndup(p, a, n);
}

/* The name to search for: the To without quotes, angle part and surrounding blanks. */
static const char *name_of(apr_pool_t *p, const char *to)
{
    char *s = apr_pstrdup(p, to), *lt = strrchr(s, '<'), *w, *r;
    apr_size_t n;
    if (lt) {
        *lt = '\0';
    }
    for (r = w = s; *r; ++r) {
        if (*r != '"') {
            *w++ = *r;
        }
    }
    *w = '\0';
    while (*s == ' ' || *s == '\t') {
        ++s;
    }
    n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) {
        s[--n] = '\0';
    }
    return s;
}

static const char *fold(apr_pool_t *p, const char *s)
{
    gchar *f = g_utf8_casefold(s, -1);
    const char *out = apr_pstrdup(p, f);
    g_free(f);
    return out;
}

/* Whether text starts with the case-folded prefix. */
static int starts_with(apr_pool_t *p, const char *text, const char *folded_prefix)
{
    return text && *folded_prefix &&
           strncmp(fold(p, text), folded_prefix, strlen(folded_prefix)) == 0;
}

static int same_address(const char *a, const char *b)
{
    return a && b && strcasecmp(a, b) == 0;
}

static void add_cand(apr_array_header_t *c, const rr_cand *x)
{
    int i;
    for (i = 0; i < c->nelts; ++i) {
        if (same_address(APR_ARRAY_IDX(c, i, rr_cand).email, x->email)) {
            return; /* the GAL entry (added first) wins over a contact with its address */
        }
    }
    APR_ARRAY_PUSH(c, rr_cand) = *x;
}

static void gal_cand(apr_array_header_t *c, const eas_user_info *u, const char *addr)
{
    rr_cand x;
    memset(&x, 0, sizeof(x));
    x.type = TYPE_GAL;
    x.name = u->display_name;
    x.email = u->email ? u->email : addr;
    x.user_id = u->id;
    x.photo = u->picture;
    x.photo_len = u->picture_len;
    if (x.email) {
        add_cand(c, &x);
    }
}

/* A contact as a candidate when it matches: an address query one of its EMAILs, a name query
 * the start of FN, the given or family name, or an EMAIL. */
static int contact_cand(apr_pool_t *p, const char *vcard, const char *addr, const char *fq,
                        rr_cand *x)
{
    eas_vcard *c;
    const char *err = NULL, *best = NULL, *hit = NULL, *fn = NULL, *given = NULL, *family = NULL;
    int i, best_pref = 1000, match = 0;
    eas_vcard_prop *pr;

    if (eas_vcard_parse(p, vcard, &c, &err) != 0) {
        return 0;
    }
    if ((pr = eas_vcard_get(c, "FN", NULL))) {
        fn = eas_vcard_text(p, pr);
    }
    if ((pr = eas_vcard_get(c, "N", NULL))) {
        const char **f;
        int n = eas_vcard_fields(p, pr->value, ';', &f);
        family = f[0];
        given = n > 1 ? f[1] : NULL;
    }
    for (i = 0; i < c->props->nelts; ++i) {
        const char *e;
        int pref;
        pr = APR_ARRAY_IDX(c->props, i, eas_vcard_prop *);
        if (!pr || strcmp(pr->name, "EMAIL") != 0 || !*(e = eas_vcard_text(p, pr))) {
            continue;
        }
        if ((addr && same_address(e, addr)) || (!addr && starts_with(p, e, fq))) {
            hit = hit ? hit : e;
        }
        if ((pref = eas_vcard_pref(pr)) < best_pref) {
            best = e, best_pref = pref;
        }
    }
    if (addr) {
        match = hit != NULL;
    } else {
        match = hit || starts_with(p, fn, fq) || starts_with(p, given, fq) ||
                starts_with(p, family, fq);
    }
    if (!match || !(best || hit)) {
        return 0; /* no address: nothing to send to */
    }
    memset(x, 0, sizeof(*x));
    x->type = TYPE_CONTACT;
    x->email = hit ? hit : best;
    x->name = fn && *fn           ? fn
              : (given || family) ? apr_pstrcat(p, given ? given : "", given && family ? " " : "",
                                                family ? family : "", NULL)
                                  : x->email;
    if ((pr = eas_vcard_get(c, "PHOTO", NULL))) {
        x->photo = eas_vcard_photo(p, pr, &x->photo_len);
    }
    return 1;
}

/* LIKE pattern "%text%" with the metacharacters of text taken literally. */
static const char *like_any(apr_pool_t *p, const char *text)
{
    char *out = apr_palloc(p, 2 * strlen(text) + 3), *w = out;
    *w++ = '%';
    for (; *text; ++text) {
        if (*text == '%' || *text == '_' || *text == '\\') {
            *w++ = '\\';
        }
        *w++ = *text;
    }
    *w++ = '%';
    *w = '\0';
    return out;
}

/* The requesting user's contacts matching the query, at most limit of them. The ILIKE narrows
 * the rows read; the vCard is then matched field by field. */
static int find_contacts(eas_cmd_ctx *ctx, apr_array_header_t *c, const char *addr,
                         const char *name, int limit, int scan, rr_fail *fail)
{
    const char *params[3];
    const char *fq = fold(ctx->pool, name);
    PGresult *r;
    int i, found = 0;

    if (!addr && !*name) {
        return 0;
    }
    params[0] = ctx->dev.user_id;
    params[1] = like_any(ctx->pool, addr ? addr : name);
    params[2] = apr_itoa(ctx->pool, scan);
    r = eas_db_exec(ctx->db, ctx->pool, &fail->err,
                    "SELECT pim_data FROM items WHERE user_id = $1 AND class = 'Contacts' "
                    "AND NOT expunged AND pim_data IS NOT NULL AND pim_data ILIKE $2 "
                    "ORDER BY lower(coalesce(subject, '')), id LIMIT $3::int",
                    3, params);
    if (!r) {
        return -1;
    }
    for (i = 0; i < PQntuples(r) && found < limit; ++i) {
        rr_cand x;
        if (contact_cand(ctx->pool, PQgetvalue(r, i, 0), addr, fq, &x)) {
            int before = c->nelts;
            add_cand(c, &x);
            found += c->nelts > before;
        }
    }
    PQclear(r);
    return 0;
}

/* Candidates for one To, GAL first. -1 on a database failure. */
static int resolve_one(eas_cmd_ctx *ctx, const char *to, const rr_opts *o, int search_max,
                       apr_array_header_t **out, rr_fail *fail)
{
    const char *domain = ctx->submit ? ctx->submit->mail_domain : NULL;
    const char *addr = address_of(ctx->pool, to), *name = name_of(ctx->pool, to);
    apr_array_header_t *c = apr_array_make(ctx->pool, 4, sizeof(rr_cand));
    /* one more than can be shown, to tell a unique match and a partial list apart */
    int limit = (o->max_amb > 1 ? o->max_amb : 1) + 1, i, rc;

    *out = c;
    if (addr) {
        eas_user_info *u;
        rc = eas_user_by_address(ctx->db, ctx->pool, addr, domain, &u, &fail->err);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0 && !u->gal_hidden) {
            gal_cand(c, u, addr);
        }
    } else if (*name) {
        apr_array_header_t *users;
        if (eas_user_search(ctx->db, ctx->pool, name, domain, limit, &users, &fail->err) != 0) {
            return -1;
        }
        for (i = 0; i < users->nelts; ++i) {
            gal_cand(c, APR_ARRAY_IDX(users, i, eas_user_info *), NULL);
        }
    }
    return find_contacts(ctx, c, addr, name, limit, search_max, fail);
}

/* Picture Data is binary: the codec sends ResolveRecipients:Data as OPAQUE of the base64 text. */
static void photo_data(eas_cmd_ctx *ctx, xmlNodePtr pic, const rr_cand *x)
{
    eas_xml_add(pic, NULL, "Data", eas_base64(ctx->pool, x->photo, x->photo_len));
}

static int add_recipient(eas_cmd_ctx *ctx, xmlNodePtr resp, const rr_cand *x, const rr_opts *o,
                         int unique, int n_to, long *pictures, rr_fail *fail)
{
    xmlNodePtr rec = eas_xml_add(resp, NULL, "Recipient", NULL), n;

    eas_xml_add_int(rec, NULL, "Type", x->type);
    eas_xml_add(rec, NULL, "DisplayName", x->name);
    eas_xml_add(rec, NULL, "EmailAddress", x->email);
    /* free/busy only for a To that named one recipient (MS-ASCMD 2.2.3.16) */
    if (o->avail && unique) {
        n = eas_xml_add(rec, NULL, "Availability", NULL);
        if (n_to > MAX_AVAIL_TO) {
            eas_xml_add_int(n, NULL, "Status", ST_AV_TOO_MANY);
        } else if (x->type != TYPE_GAL || !x->user_id) {
            eas_xml_add_int(n, NULL, "Status", ST_AV_NO_DATA);
        } else {
            const char *fb;
            int skipped = 0;
            if (eas_freebusy_user(ctx->db, ctx->pool, x->user_id, o->start, o->end, &fb, &skipped,
                                  &fail->err) != 0) {
                return -1;
            }
            if (skipped) {
                ctx->note =
                    apr_psprintf(ctx->pool, "free/busy: %d unreadable event(s) skipped", skipped);
            }
            eas_xml_add_int(n, NULL, "Status", ST_OK);
            eas_xml_add(n, NULL, "MergedFreeBusy", fb);
        }
    }
    if (o->certs > 1) {
        /* no certificates are stored (S/MIME publishing is not part of this server) */
        n = eas_xml_add(rec, NULL, "Certificates", NULL);
        eas_xml_add_int(n, NULL, "Status", ST_NO_CERT);
        eas_xml_add_int(n, NULL, "CertificateCount", 0);
    }
    if (o->picture) {
        n = eas_xml_add(rec, NULL, "Picture", NULL);
        if (!x->photo || !x->photo_len) {
            eas_xml_add_int(n, NULL, "Status", ST_PIC_NONE);
        } else if (o->pic_max_size >= 0 && x->photo_len > (apr_size_t)o->pic_max_size) {
            eas_xml_add_int(n, NULL, "Status", ST_PIC_TOO_BIG);
        } else if (o->pic_max >= 0 && *pictures >= o->pic_max) {
            eas_xml_add_int(n, NULL, "Status", ST_PIC_LIMIT);
        } else {
            ++*pictures;
            eas_xml_add_int(n, NULL, "Status", ST_OK);
            photo_data(ctx, n, x);
        }
    }
    return 0;
}

static const char *node_text(apr_pool_t *p, xmlNodePtr n)
{
    xmlChar *t = xmlNodeGetContent(n);
    const char *s = apr_pstrdup(p, t ? (const char *)t : "");
    xmlFree(t);
    return s;
}

/* The To as echoed: at most the 256 characters the schema allows, cut between characters. */
static const char *echo(apr_pool_t *p, const char *to)
{
    if (!g_utf8_validate(to, -1, NULL)) {
        return "";
    }
    if (g_utf8_strlen(to, -1) <= 256) {
        return to;
    }
    return apr_pstrndup(p, to, (apr_size_t)(g_utf8_offset_to_pointer(to, 256) - to));
}

static void answer_status(eas_cmd_ctx *ctx, int status)
{
    ctx->resp = eas_xml_new_doc(NS, "ResolveRecipients");
    eas_xml_add_int(xmlDocGetRootElement(ctx->resp), NULL, "Status", status);
}

/* A failed look-up: a timeout is the client's to retry (Status 6), anything else is ours. */
static int failed(eas_cmd_ctx *ctx, const rr_fail *fail)
{
    const char *e = NULL;
    eas_db_cmd(ctx->db, ctx->pool, &e, "ROLLBACK");
    if (fail->err && strstr(fail->err, "statement timeout")) {
        answer_status(ctx, ST_SERVER);
        ctx->warning = apr_pstrcat(ctx->pool, "ResolveRecipients: ", fail->err, NULL);
        return 0;
    }
    ctx->error = fail->err ? fail->err : "ResolveRecipients: database error";
    return -1;
}

int eas_cmd_resolverecipients(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, n, r_root;
    int search_max = ctx->lookup && ctx->lookup->search_max > 0 ? ctx->lookup->search_max : 100;
    int timeout = ctx->lookup && ctx->lookup->search_timeout > 0 ? ctx->lookup->search_timeout : 10;
    int n_to = 0;
    const char *params[1];
    rr_fail fail = {NULL};
    rr_opts o;
    PGresult *r;

    if (!eas_xml_is(root, NS, "ResolveRecipients")) {
        ctx->http_status = 400;
        ctx->note = "ResolveRecipients without a ResolveRecipients body";
        return 0;
    }
    for (n = eas_xml_child(root, NS, "To"); n; n = eas_xml_next(n)) {
        ++n_to;
    }
    if (n_to == 0 || n_to > MAX_TO ||
        parse_options(ctx, eas_xml_child(root, NS, "Options"), search_max, &o) != 0) {
        answer_status(ctx, ST_PROTOCOL);
        ctx->note = n_to == 0 ? "no To" : n_to > MAX_TO ? "too many To" : "invalid Options";
        return 0;
    }

    /* every look-up of the request bounded together, and none of them writes */
    params[0] = apr_psprintf(ctx->pool, "%ds", timeout);
    if (eas_db_cmd(ctx->db, ctx->pool, &fail.err, "BEGIN READ ONLY") != 0) {
        ctx->error = fail.err;
        return -1;
    }
    r = eas_db_exec(ctx->db, ctx->pool, &fail.err,
                    "SELECT set_config('statement_timeout', $1, true)", 1, params);
    if (!r) {
        return failed(ctx, &fail);
    }
    PQclear(r);

    answer_status(ctx, ST_OK);
    r_root = xmlDocGetRootElement(ctx->resp);
    for (n = eas_xml_child(root, NS, "To"); n; n = eas_xml_next(n)) {
        const char *to = node_text(ctx->pool, n);
        xmlNodePtr resp = eas_xml_add(r_root, NULL, "Response", NULL);
        apr_array_header_t *c;
        long pictures = 0;
        int i, shown, status;

        eas_xml_add(resp, NULL, "To", echo(ctx->pool, to));
        if (resolve_one(ctx, to, &o, search_max, &c, &fail) != 0) {
            return failed(ctx, &fail);
        }
        if (c->nelts == 0) {
            eas_xml_add_int(resp, NULL, "Status", ST_UNRESOLVED);
            continue;
        }
        if (c->nelts == 1) {
            status = ST_OK;
            shown = 1;
        } else {
            shown = c->nelts > o.max_amb ? o.max_amb : c->nelts;
            status = c->nelts > o.max_amb ? ST_PARTIAL : ST_AMBIGUOUS;
        }
        eas_xml_add_int(resp, NULL, "Status", status);
        eas_xml_add_int(resp, NULL, "RecipientCount", shown);
        for (i = 0; i < shown; ++i) {
            if (add_recipient(ctx, resp, &APR_ARRAY_IDX(c, i, rr_cand), &o, status == ST_OK, n_to,
                              &pictures, &fail) != 0) {
                return failed(ctx, &fail);
            }
        }
    }
    if (eas_db_cmd(ctx->db, ctx->pool, &fail.err, "COMMIT") != 0) {
        return failed(ctx, &fail);
    }
    return 0;
}
