/* eas_pim_io.h — .ics and .vcf files in and out of the default store (`easctl pim import` and
 * `easctl pim export`): a hosting provider moving users in from another system, or out. */
#ifndef EAS_PIM_IO_H
#define EAS_PIM_IO_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

typedef struct eas_pim_import_result {
    long added, updated;         /* an item whose UID the folder holds already is replaced */
    apr_array_header_t *skipped; /* const char *: "item 3 (UID x): reason" — invalid items */
} eas_pim_import_result;

/* Imports one .ics or .vcf file for user into folder (NULL: each item into the default folder of
 * its class — Contacts, Calendar, Tasks, Notes; else a special name or a path whose class must
 * match). All valid items are stored in one transaction (devices are notified); invalid ones are
 * listed in res->skipped. An EAS_DELIVER_* result (eas_deliver.h). */
int eas_pim_import(PGconn *c, apr_pool_t *p, const char *user, const char *folder, int create_user,
                   const char *text, eas_pim_import_result *res, const char **err);

/* Every item of folder (a special name or path) as one .ics or .vcf text. */
int eas_pim_export(PGconn *c, apr_pool_t *p, const char *user, const char *folder,
                   const char **text, long *count, const char **err);

#endif
