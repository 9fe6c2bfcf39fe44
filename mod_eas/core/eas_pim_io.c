/* eas_pim_io.c — import and export of .ics/.vcf through the PIM classes (eas_pim.h), so an
 * imported item is stored exactly as a device's Add of the same data would be. */
#include <string.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_deliver.h"
#include "eas_pim.h"
#include "eas_pim_io.h"
#include "eas_store.h"

#define EXPORT_BATCH 500

static int db_failure(PGconn *c)
{
    return PQstatus(c) != CONNECTION_OK ? EAS_DELIVER_TEMPFAIL : EAS_DELIVER_SOFTWARE;
}

/* The class of one split item: by its first component. */
static const eas_pim_class *item_class(const char *text)
{
    const char *ev = strstr(text, "BEGIN:VEVENT"), *td = strstr(text, "BEGIN:VTODO");
    const char *jr = strstr(text, "BEGIN:VJOURNAL");
    if (ev && (!td || ev < td) && (!jr || ev < jr)) {
        return &eas_pim_calendar;
    }
    if (td && (!jr || td < jr)) {
        return &eas_pim_tasks;
    }
    return jr ? &eas_pim_notes : NULL;
}

static const char *skip_space(const char *s)
{
    if ((unsigned char)s[0] == 0xef && (unsigned char)s[1] == 0xbb && (unsigned char)s[2] == 0xbf) {
        s += 3; /* UTF-8 byte order mark */
    }
    while (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n') {
        ++s;
    }
    return s;
}

/* The uid of the live item with this UID in f (0: none). */
static int uid_of(eas_store *s, const eas_folder *f, const char *pim_uid, apr_int64_t *uid)
{
    const char *params[2] = {f->id, pim_uid};
    PGresult *r;
    *uid = 0;
    if (!pim_uid) {
        return 0;
    }
    r = eas_db_exec(s->db, s->pool, &s->error,
                    "SELECT uid FROM items WHERE folder_id = $1 AND pim_uid = $2 "
                    "AND NOT expunged AND pim_data IS NOT NULL ORDER BY uid LIMIT 1",
                    2, params);
    if (!r) {
        return -1;
    }
    if (PQntuples(r) == 1) {
        *uid = apr_atoi64(PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return 0;
}

/* The UID line of an item the class could not parse, to name it in the report. */
static const char *raw_uid(apr_pool_t *p, const char *text)
{
    const char *u = strstr(text, "\nUID:"), *e;
    if (!u) {
        return NULL;
    }
    u += 5;
    e = u + strcspn(u, "\r\n");
    return e - u > 0 && e - u < 256 ? apr_pstrmemdup(p, u, (apr_size_t)(e - u)) : NULL;
}

static const eas_folder *target(eas_store *s, const eas_folder *given, const eas_pim_class *pc)
{
    if (given) {
        return strcmp(eas_folder_class(given->type), pc->name) == 0 ? given : NULL;
    }
    return eas_deliver_folder(s, pc == &eas_pim_calendar   ? "calendar"
                                 : pc == &eas_pim_contacts ? "contacts"
                                 : pc == &eas_pim_tasks    ? "tasks"
                                                           : "notes");
}

static int import_items(eas_store *s, apr_pool_t *p, const eas_folder *given,
                        const eas_pim_class *file_pc, apr_array_header_t *items,
                        eas_pim_import_result *res)
{
    int i;
    for (i = 0; i < items->nelts; ++i) {
        const char *text = APR_ARRAY_IDX(items, i, const char *), *why = NULL;
        const eas_pim_class *pc = file_pc ? file_pc : item_class(text);
        const eas_folder *f;
        eas_pim_item it;
        apr_int64_t uid = 0, ms;
        int st, existed;

        memset(&it, 0, sizeof(it));
        if (!pc || !pc->parse) {
            why = "no VEVENT, VTODO or VJOURNAL";
        } else if (!(f = target(s, given, pc))) {
            why = apr_psprintf(p, "a %s item does not belong in folder %s", pc->name,
                               given ? given->name : "?");
        } else if (pc->parse(p, text, &it, &why) != 0) {
            why = why ? why : "invalid";
        }
        if (why) {
            if (!it.pim_uid) {
                it.pim_uid = raw_uid(p, text);
            }
            APR_ARRAY_PUSH(res->skipped, const char *) =
                apr_psprintf(p, "item %d%s%s%s: %s", i + 1, it.pim_uid ? " (UID " : "",
                             it.pim_uid ? it.pim_uid : "", it.pim_uid ? ")" : "", why);
            continue;
        }
        if (uid_of(s, f, it.pim_uid, &uid) != 0) {
            return -1;
        }
        existed = uid != 0;
        st = s->provider->pim_put(s, f, uid, &it, 0, &uid, &ms);
        if (st != EAS_ST_OK) {
            s->error = s->error ? s->error : "store refused the item";
            return -1;
        }
        ++*(existed ? &res->updated : &res->added);
    }
    return 0;
}

int eas_pim_import(PGconn *c, apr_pool_t *p, const char *user, const char *folder, int create_user,
                   const char *text, eas_pim_import_result *res, const char **err)
{
    const char *user_id = NULL, *start;
    const eas_pim_class *file_pc = NULL;
    const eas_folder *given = NULL;
    apr_array_header_t *items = NULL;
    eas_store *s;
    int rc;

    memset(res, 0, sizeof(*res));
    res->skipped = apr_array_make(p, 4, sizeof(const char *));
    start = skip_space(text);
    if (strncasecmp(start, "BEGIN:VCARD", 11) == 0) {
        file_pc = &eas_pim_contacts;
    } else if (strncasecmp(start, "BEGIN:VCALENDAR", 15) != 0) {
        *err = "neither iCalendar (BEGIN:VCALENDAR) nor vCard (BEGIN:VCARD)";
        return EAS_DELIVER_USAGE;
    }
    if (!eas_pim_contacts.split || !eas_pim_calendar.split) {
        *err = "this build cannot read PIM files";
        return EAS_DELIVER_SOFTWARE;
    }
    if ((file_pc ? file_pc : &eas_pim_calendar)->split(p, start, &items, err) != 0) {
        return EAS_DELIVER_USAGE;
    }
    if ((rc = eas_deliver_user(c, p, user, create_user, &user_id, err)) != 0) {
        return rc;
    }
    if (!(s = eas_store_open(p, c, user_id, err)) || !eas_store_folders(s)) {
        *err = s ? s->error : *err;
        return db_failure(c);
    }
    if (folder && !(given = eas_deliver_folder(s, folder))) {
        *err = apr_psprintf(p, "no folder %s for %s", folder, user);
        return EAS_DELIVER_CANTCREAT;
    }
    if (eas_db_cmd(c, p, err, "BEGIN") != 0) {
        return db_failure(c);
    }
    if (import_items(s, p, given, file_pc, items, res) != 0 ||
        eas_db_cmd(c, p, err, "COMMIT") != 0) {
        const char *ignored;
        *err = s->error ? s->error : *err;
        eas_db_cmd(c, p, &ignored, "ROLLBACK");
        res->added = res->updated = 0;
        return db_failure(c);
    }
    return EAS_DELIVER_OK;
}

int eas_pim_export(PGconn *c, apr_pool_t *p, const char *user, const char *folder,
                   const char **text, long *count, const char **err)
{
    const char *user_id = NULL;
    const eas_folder *f;
    const eas_pim_class *pc;
    apr_array_header_t *all = apr_array_make(p, 64, sizeof(const char *)), *batch;
    apr_int64_t after = 0;
    eas_store *s;
    int rc, more = 1, i;

    if ((rc = eas_deliver_user(c, p, user, 0, &user_id, err)) != 0) {
        return rc;
    }
    if (!(s = eas_store_open(p, c, user_id, err)) || !eas_store_folders(s)) {
        *err = s ? s->error : *err;
        return db_failure(c);
    }
    if (!folder || !(f = eas_deliver_folder(s, folder))) {
        *err = apr_psprintf(p, "no folder %s for %s", folder ? folder : "(none)", user);
        return EAS_DELIVER_CANTCREAT;
    }
    if (!(pc = eas_pim_class_get(eas_folder_class(f->type))) || !pc->join) {
        *err = apr_psprintf(p, "%s is a mail folder: use an IMAP client to export mail", f->name);
        return EAS_DELIVER_USAGE;
    }
    /* one snapshot, so a concurrent device write never tears the export */
    if (eas_db_cmd(c, p, err, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY") != 0) {
        return db_failure(c);
    }
    while (more) {
        if (s->provider->pim_list(s, f, after, EXPORT_BATCH, &batch, &more) != 0) {
            const char *ignored;
            *err = s->error;
            eas_db_cmd(c, p, &ignored, "ROLLBACK");
            return db_failure(c);
        }
        for (i = 0; i < batch->nelts; ++i) {
            const eas_pim_item *it = APR_ARRAY_IDX(batch, i, const eas_pim_item *);
            APR_ARRAY_PUSH(all, const char *) = it->data;
            after = it->uid;
        }
    }
    eas_db_cmd(c, p, err, "COMMIT");
    *count = all->nelts;
    *text = pc->join(p, all);
    return EAS_DELIVER_OK;
}
