/* eas_cmd_search.h — the mailbox query shared by Search (Store Mailbox) and Find
 * (MailBoxSearchCriterion): read from the request, resolved to the user's folders, run through
 * the store's search op. */
#ifndef EAS_CMD_SEARCH_H
#define EAS_CMD_SEARCH_H

#include <apr_tables.h>
#include <apr_time.h>
#include <libxml/tree.h>

#include "eas_cmd.h"
#include "eas_store.h"

typedef struct eas_mail_query {
    apr_array_header_t *collections; /* const char *: CollectionIds (none: every mail folder) */
    int deep;                        /* DeepTraversal: subfolders too */
    int email_class, other_class;    /* Class values seen */
    const char *free_text;           /* NULL: any */
    apr_time_t after, before;        /* DateReceived bounds, 0: none */
    const char *conversation_id;     /* 16 raw bytes or NULL */
    int first, last;                 /* Range (default 0-99) */
} eas_mail_query;

eas_mail_query *eas_mail_query_new(apr_pool_t *p);

/* Reads the terms under a Query element of namespace ns (And nests, FreeText, airsync:Class,
 * airsync:CollectionId, ConversationId, GreaterThan/LessThan on email:DateReceived). Returns a
 * Search Store Status: 1, 2 (malformed value) or 8 (a term this server does not search). */
int eas_mail_query_read(eas_cmd_ctx *ctx, xmlNodePtr query, const char *ns, eas_mail_query *q);

/* Runs q over the user's folders: the page in *hits (eas_search_hit), the bounded count in
 * *total. Returns a Search Store Status (1, 3, 10 timed out, 11 unknown CollectionId) or -1 with
 * ctx->error. */
int eas_mail_search(eas_cmd_ctx *ctx, eas_store *s, const eas_mail_query *q,
                    apr_array_header_t **hits, int *total);

#endif
