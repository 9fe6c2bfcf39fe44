/* eas_deliver.c — mail into the default store from an MTA or an import (see eas_deliver.h). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_deliver.h"
#include "eas_pgstore.h"
#include "eas_store.h"

/* A connection failure is temporary (the MTA retries); anything else is our bug or bad data. */
static int db_failure(PGconn *c)
{
    return PQstatus(c) != CONNECTION_OK ? EAS_DELIVER_TEMPFAIL : EAS_DELIVER_SOFTWARE;
}

int eas_deliver_user(PGconn *c, apr_pool_t *p, const char *user, int create, const char **id,
                     const char **err)
{
    const char *params[1] = {user};
    PGresult *r = eas_db_exec(c, p, err, "SELECT id FROM users WHERE name = $1", 1, params);
    if (!r) {
        return db_failure(c);
    }
    if (PQntuples(r) == 1) {
        *id = apr_pstrdup(p, PQgetvalue(r, 0, 0));
        PQclear(r);
        return 0;
    }
    PQclear(r);
    if (!create) {
        *err = apr_psprintf(p,
                            "no such user: %s (users appear on their first sync, or use "
                            "--create-user)",
                            user);
        return EAS_DELIVER_NOUSER;
    }
    if (eas_db_row(c, p, err,
                   "INSERT INTO users (name) VALUES ($1) ON CONFLICT (name) DO UPDATE "
                   "SET name = EXCLUDED.name RETURNING id",
                   1, params, 1, id) != 0) {
        return db_failure(c);
    }
    return 0;
}

const eas_folder *eas_deliver_folder(eas_store *s, const char *spec)
{
    static const char *specials[] = {"inbox",  "drafts",   "sent",     "deleted", "junk",
                                     "outbox", "contacts", "calendar", "tasks",   "notes"};
    apr_array_header_t *all = eas_store_folders(s);
    const char *parent = "0", *rest = spec;
    const eas_folder *found = NULL;
    size_t i;

    if (!spec || !*spec) {
        return eas_store_special(s, "inbox");
    }
    for (i = 0; i < sizeof(specials) / sizeof(specials[0]); ++i) {
        if (strcasecmp(spec, specials[i]) == 0) {
            return eas_store_special(s, specials[i]);
        }
    }
    while (all && rest && *rest) {
        const char *slash = strchr(rest, '/');
        size_t n = slash ? (size_t)(slash - rest) : strlen(rest);
        int k;
        found = NULL;
        for (k = 0; k < all->nelts; ++k) {
            const eas_folder *f = &APR_ARRAY_IDX(all, k, eas_folder);
            if (strcmp(f->parent_id, parent) == 0 && strlen(f->name) == n &&
                strncasecmp(f->name, rest, n) == 0) {
                found = f;
                break;
            }
        }
        if (!found) {
            return NULL;
        }
        parent = found->id;
        rest = slash ? slash + 1 : NULL;
    }
    return found;
}

int eas_deliver(PGconn *c, apr_pool_t *p, const char *user, const char *folder, const char *mime,
                apr_size_t len, int flags, long long *uid, int *duplicate, const char **err)
{
    const char *user_id = NULL;
    const eas_folder *f;
    eas_store *s;
    eas_flags fl;
    apr_int64_t u = 0;
    int rc;

    *duplicate = 0;
    if (!user || !*user) {
        *err = "no user given";
        return EAS_DELIVER_USAGE;
    }
    if ((rc = eas_deliver_user(c, p, user, flags & EAS_DELIVER_CREATE_USER, &user_id, err)) != 0) {
        return rc;
    }
    if (!(s = eas_store_open(p, c, user_id, err))) {
        return db_failure(c);
    }
    if (!eas_store_folders(s)) {
        *err = s->error;
        return db_failure(c);
    }
    if (!(f = eas_deliver_folder(s, folder))) {
        *err = apr_psprintf(p, "no folder %s for %s", folder, user);
        return EAS_DELIVER_CANTCREAT;
    }
    memset(&fl, 0, sizeof(fl));
    fl.seen = (flags & EAS_DELIVER_SEEN) != 0;
    if (eas_pgstore_store_message(s, f->id, mime, len, &fl, (flags & EAS_DELIVER_USE_DATE) ? -1 : 0,
                                  (flags & EAS_DELIVER_DEDUP) != 0, &u, duplicate) != 0) {
        *err = s->error;
        return db_failure(c);
    }
    *uid = u;
    return EAS_DELIVER_OK;
}

int eas_is_mbox(const char *buf, apr_size_t len)
{
    return len >= 5 && memcmp(buf, "From ", 5) == 0;
}

const char *eas_mbox_next(apr_pool_t *p, const char *buf, apr_size_t len, apr_size_t *pos,
                          apr_size_t *msg_len)
{
    apr_size_t start = *pos, end, i;
    char *out, *w;

    if (start >= len) {
        return NULL;
    }
    /* skip the "From " separator line */
    if (len - start >= 5 && memcmp(buf + start, "From ", 5) == 0) {
        const char *nl = memchr(buf + start, '\n', len - start);
        start = nl ? (apr_size_t)(nl - buf) + 1 : len;
    }
    /* the message ends before the next "\nFrom " line */
    for (end = start; end < len; ++end) {
        if (buf[end] == '\n' && len - end > 5 && memcmp(buf + end + 1, "From ", 5) == 0) {
            ++end;
            break;
        }
    }
    *pos = end;
    /* unescape ">From " (mboxrd: any number of '>' loses one) at line starts */
    out = apr_palloc(p, end - start + 1);
    w = out;
    for (i = start; i < end; ++i) {
        if ((i == start || buf[i - 1] == '\n') && buf[i] == '>') {
            apr_size_t j = i;
            while (j < end && buf[j] == '>') {
                ++j;
            }
            if (end - j >= 5 && memcmp(buf + j, "From ", 5) == 0) {
                continue; /* drop one '>' */
            }
        }
        *w++ = buf[i];
    }
    *w = '\0';
    *msg_len = (apr_size_t)(w - out);
    return out;
}
