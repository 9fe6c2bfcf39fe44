/* eas_gal.c — the Global Address List (eas_gal.h): users from eas_user_search, contacts of the
 * EASGALContacts folders read straight from their vCards, merged and sorted by display name.
 *
 * Bounds: at most search_max entries, and every query under a statement_timeout local to a
 * read-only transaction of our own, so a directory lookup never holds a connection for long. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "eas_db.h"
#include "eas_email.h"
#include "eas_gal.h"
#include "eas_user.h"
#include "eas_vcard.h"
#include "eas_xml.h"

#define NS_GAL "GAL:"

int eas_range_parse(const char *text, int *first, int *last)
{
    char *end;
    long a, b;

    if (!text || *text < '0' || *text > '9') {
        return -1;
    }
    a = strtol(text, &end, 10);
    if (*end != '-' || end[1] < '0' || end[1] > '9') {
        return -1;
    }
    b = strtol(end + 1, &end, 10);
    if (*end || a > b || b > 100000) {
        return -1;
    }
    *first = (int)a;
    *last = (int)b;
    return 0;
}

/* Whether q (qn bytes) starts a word of text; with whole, only text's start counts. */
static int prefix_of(const char *text, const char *q, size_t qn, int whole)
{
    const char *s = text;
    if (!s) {
        return 0;
    }
    while (*s) {
        if (strncasecmp(s, q, qn) == 0) {
            return 1;
        }
        if (whole) {
            return 0;
        }
        while (*s && !strchr(" ,;.-()\"'", *s)) {
            ++s;
        }
        while (*s && strchr(" ,;.-()\"'", *s)) {
            ++s;
        }
    }
    return 0;
}

static int entry_matches(const eas_gal_entry *e, const char *q)
{
    size_t n = strlen(q);
    return prefix_of(e->display_name, q, n, 0) || prefix_of(e->first_name, q, n, 0) ||
           prefix_of(e->last_name, q, n, 0) || prefix_of(e->alias, q, n, 1) ||
           prefix_of(e->email, q, n, 1);
}

static const char *text_of(apr_pool_t *p, const eas_vcard *v, const char *name)
{
    eas_vcard_prop *pr = eas_vcard_get(v, name, NULL);
    const char *t = pr ? eas_vcard_text(p, pr) : NULL;
    return t && *t ? t : NULL;
}

/* PHOTO as bytes: a data: URI (vCard 4) or ENCODING=b (vCard 3). */
static void photo_of(apr_pool_t *p, const eas_vcard *v, eas_gal_entry *e)
{
    eas_vcard_prop *pr = eas_vcard_get(v, "PHOTO", NULL);
    if (pr && pr->value) {
        e->picture = eas_vcard_photo(p, pr, &e->picture_len);
    }
}

static eas_gal_entry *from_vcard(apr_pool_t *p, const char *text)
{
    eas_gal_entry *e = apr_pcalloc(p, sizeof(*e));
    const char *err = NULL, **f;
    eas_vcard *v;
    eas_vcard_prop *pr;
    int i, n, best = 102;

    if (eas_vcard_parse(p, text, &v, &err) != 0) {
        return NULL;
    }
    if ((pr = eas_vcard_get(v, "N", NULL)) && pr->value) {
        n = eas_vcard_fields(p, pr->value, ';', &f);
        e->last_name = n > 0 && *f[0] ? f[0] : NULL;
        e->first_name = n > 1 && *f[1] ? f[1] : NULL;
    }
    if ((pr = eas_vcard_get(v, "ORG", NULL)) && pr->value) {
        n = eas_vcard_fields(p, pr->value, ';', &f);
        e->company = n > 0 && *f[0] ? f[0] : NULL;
    }
    e->title = text_of(p, v, "TITLE");
    e->alias = text_of(p, v, "NICKNAME");
    for (i = 0; i < v->props->nelts; ++i) {
        eas_vcard_prop *x = APR_ARRAY_IDX(v->props, i, eas_vcard_prop *);
        const char *t;
        if (!x || !x->value) {
            continue;
        }
        if (!strcmp(x->name, "EMAIL") && eas_vcard_pref(x) < best) {
            best = eas_vcard_pref(x);
            e->email = eas_vcard_text(p, x);
        } else if (!strcmp(x->name, "TEL")) {
            t = eas_vcard_text(p, x);
            if (strncasecmp(t, "tel:", 4) == 0) {
                t += 4;
            }
            if (eas_vcard_has_type(x, "cell")) {
                e->mobile_phone = e->mobile_phone ? e->mobile_phone : t;
            } else if (eas_vcard_has_type(x, "home")) {
                e->home_phone = e->home_phone ? e->home_phone : t;
            } else if (!eas_vcard_has_type(x, "fax")) {
                e->phone = e->phone ? e->phone : t;
            }
        }
    }
    photo_of(p, v, e);
    e->display_name = text_of(p, v, "FN");
    if (!e->display_name) {
        e->display_name = (e->first_name || e->last_name)
                              ? apr_pstrcat(p, e->first_name ? e->first_name : "",
                                            e->first_name && e->last_name ? " " : "",
                                            e->last_name ? e->last_name : "", NULL)
                              : (e->email ? e->email : "");
    }
    return e;
}

static eas_gal_entry *from_user(apr_pool_t *p, const eas_user_info *u)
{
    eas_gal_entry *e = apr_pcalloc(p, sizeof(*e));
    e->display_name = u->display_name;
    e->email = u->email;
    e->first_name = u->first_name;
    e->last_name = u->last_name;
    e->title = u->title;
    e->company = u->company;
    e->office = u->office;
    e->phone = u->phone;
    e->mobile_phone = u->mobile_phone;
    e->home_phone = u->home_phone;
    e->alias = u->alias;
    e->picture = u->picture;
    e->picture_len = u->picture_len;
    return e;
}

/* A statement cancelled by statement_timeout (SQLSTATE in the verbose message). */
static int timed_out(const char *err)
{
    return err && strstr(err, "57014") != NULL;
}

/* Contacts of one "user\tfolder" share matching q, appended to out. 0, 1 timeout, -1. */
static int share_contacts(PGconn *c, apr_pool_t *p, const char *share, const char *q, int max,
                          apr_array_header_t *out, const apr_array_header_t *users,
                          const char **err)
{
    const char *tab = strchr(share, '\t'), *params[4];
    char *like = apr_palloc(p, 2 * strlen(q) + 3), *w = like;
    const char *s;
    PGresult *r;
    int i, k;

    if (!tab) {
        return 0;
    }
    *w++ = '%';
    for (s = q; *s; ++s) {
        if (*s == '%' || *s == '_' || *s == '\\') {
            *w++ = '\\';
        }
        *w++ = *s;
    }
    *w++ = '%';
    *w = '\0';
    params[0] = apr_pstrndup(p, share, (apr_size_t)(tab - share));
    params[1] = tab + 1;
    params[2] = like;
    /* the ILIKE is a coarse filter over the card text; prefixes are checked on parsed cards */
    params[3] = apr_itoa(p, 10 * max);
    r = eas_db_exec(c, p, err,
                    "SELECT i.pim_data FROM users u JOIN folders f ON f.user_id = u.id "
                    "JOIN items i ON i.folder_id = f.id "
                    "WHERE lower(u.name) = lower($1) AND lower(f.name) = lower($2) "
                    "AND f.type IN (9, 14) AND NOT i.expunged AND i.pim_data IS NOT NULL "
                    "AND i.pim_data ILIKE $3 ORDER BY i.uid LIMIT $4::int",
                    4, params);
    if (!r) {
        return timed_out(*err) ? 1 : -1;
    }
    for (i = 0; i < PQntuples(r); ++i) {
        eas_gal_entry *e = from_vcard(p, PQgetvalue(r, i, 0));
        int dup = 0;
        if (!e || !entry_matches(e, q)) {
            continue;
        }
        /* a contact card of a local user adds nothing to the user's own entry */
        for (k = 0; e->email && k < users->nelts; ++k) {
            const eas_gal_entry *u = APR_ARRAY_IDX(users, k, const eas_gal_entry *);
            if (u->email && strcasecmp(u->email, e->email) == 0) {
                dup = 1;
                break;
            }
        }
        if (!dup) {
            APR_ARRAY_PUSH(out, eas_gal_entry *) = e;
        }
    }
    PQclear(r);
    return 0;
}

static int by_display_name(const void *a, const void *b)
{
    const eas_gal_entry *x = *(const eas_gal_entry *const *)a;
    const eas_gal_entry *y = *(const eas_gal_entry *const *)b;
    int d = strcasecmp(x->display_name, y->display_name);
    if (d) {
        return d;
    }
    return strcasecmp(x->email ? x->email : "", y->email ? y->email : "");
}

int eas_gal_search(PGconn *c, apr_pool_t *p, const eas_lookup_conf *conf, const char *mail_domain,
                   const char *query, apr_array_header_t **out, const char **err)
{
    int max = conf && conf->search_max > 0 ? conf->search_max : 100;
    int secs = conf ? conf->search_timeout : 0;
    int own = PQtransactionStatus(c) == PQTRANS_IDLE && secs > 0, rc = 0, i;
    PGVerbosity verb;
    apr_array_header_t *users = NULL, *users_e, *all;

    *out = apr_array_make(p, 0, sizeof(eas_gal_entry *));
    if (!query || !*query) {
        return 0;
    }
    if (own) {
        const char *t = apr_psprintf(p, "%ds", secs);
        PGresult *r;
        if (eas_db_cmd(c, p, err, "BEGIN READ ONLY") != 0) {
            return -1;
        }
        r = eas_db_exec(c, p, err, "SELECT set_config('statement_timeout', $1, true)", 1, &t);
        if (!r) {
            eas_db_cmd(c, p, NULL, "ROLLBACK");
            return -1;
        }
        PQclear(r);
    }
    /* verbose messages carry the SQLSTATE, which tells a timeout in any server locale */
    verb = PQsetErrorVerbosity(c, PQERRORS_VERBOSE);
    if (eas_user_search(c, p, query, mail_domain, max, &users, err) != 0) {
        rc = timed_out(*err) ? 1 : -1;
    }
    users_e = apr_array_make(p, users ? users->nelts : 0, sizeof(eas_gal_entry *));
    for (i = 0; rc == 0 && i < users->nelts; ++i) {
        APR_ARRAY_PUSH(users_e, eas_gal_entry *) =
            from_user(p, APR_ARRAY_IDX(users, i, const eas_user_info *));
    }
    all = apr_array_copy(p, users_e);
    for (i = 0; rc == 0 && conf && conf->gal_folders && i < conf->gal_folders->nelts; ++i) {
        rc = share_contacts(c, p, APR_ARRAY_IDX(conf->gal_folders, i, const char *), query, max,
                            all, users_e, err);
    }
    PQsetErrorVerbosity(c, verb);
    if (own) {
        eas_db_cmd(c, p, NULL, rc == 0 ? "COMMIT" : "ROLLBACK");
    }
    if (rc != 0) {
        return rc;
    }
    qsort(all->elts, (size_t)all->nelts, sizeof(eas_gal_entry *), by_display_name);
    if (all->nelts > max) {
        all->nelts = max;
    }
    *out = all;
    return 0;
}

void eas_gal_picture_parse(eas_gal_picture *pic, xmlNodePtr picture, const char *ns)
{
    const char *t;
    memset(pic, 0, sizeof(*pic));
    pic->max_size = -1;
    pic->max_pictures = -1;
    if (!picture) {
        return;
    }
    pic->wanted = 1;
    if ((t = eas_xml_child_text(picture, ns, "MaxSize")) && *t) {
        pic->max_size = apr_atoi64(t);
    }
    if ((t = eas_xml_child_text(picture, ns, "MaxPictures")) && *t) {
        pic->max_pictures = atoi(t);
    }
}

static void add_if(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *v)
{
    if (v && *v) {
        eas_xml_add(parent, ns, name, v);
    }
}

void eas_gal_properties(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr props, const eas_gal_entry *e,
                        eas_gal_picture *pic)
{
    xmlNsPtr g = eas_xml_ns(doc, NS_GAL);

    eas_xml_add(props, g, "DisplayName", e->display_name);
    add_if(props, g, "Phone", e->phone);
    add_if(props, g, "Office", e->office);
    add_if(props, g, "Title", e->title);
    add_if(props, g, "Company", e->company);
    add_if(props, g, "Alias", e->alias);
    add_if(props, g, "FirstName", e->first_name);
    add_if(props, g, "LastName", e->last_name);
    add_if(props, g, "HomePhone", e->home_phone);
    add_if(props, g, "MobilePhone", e->mobile_phone);
    add_if(props, g, "EmailAddress", e->email);
    if (pic && pic->wanted) {
        xmlNodePtr n = eas_xml_add(props, g, "Picture", NULL);
        if (!e->picture || !e->picture_len) {
            eas_xml_add_int(n, g, "Status", 173);
        } else if (pic->max_size >= 0 && (apr_int64_t)e->picture_len > pic->max_size) {
            eas_xml_add_int(n, g, "Status", 174);
        } else if (pic->max_pictures >= 0 && pic->sent >= pic->max_pictures) {
            eas_xml_add_int(n, g, "Status", 175);
        } else {
            eas_xml_add_int(n, g, "Status", 1);
            /* GAL:Data is binary: the codec sends its base64 text as OPAQUE bytes */
            eas_xml_add(n, g, "Data", eas_base64(p, e->picture, e->picture_len));
            pic->sent++;
        }
    }
}
