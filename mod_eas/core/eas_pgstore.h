/* eas_pgstore.h — what only the default PostgreSQL store offers beyond eas_store.h: storing a
 * delivered message (eas-deliver, easctl mail import). */
#ifndef EAS_PGSTORE_H
#define EAS_PGSTORE_H

#include "eas_store.h"

/* Stores one RFC 5322 message in folder_id atomically (blob once per SHA-256, derived text/HTML/
 * attachment list, item row, notification). received: > 0 that time, 0 now, -1 the message's
 * Date header (imports). dedup: the same bytes already delivered to this folder in the last day
 * are not stored again (*duplicate = 1, *uid_out the existing uid) — an MTA retrying after a
 * lost exit status. Runs in the caller's transaction if one is open. EAS_ST_OK or EAS_ST_ERROR. */
int eas_pgstore_store_message(eas_store *s, const char *folder_id, const char *mime, apr_size_t len,
                              const eas_flags *fl, apr_time_t received, int dedup,
                              apr_int64_t *uid_out, int *duplicate);

/* Shared by the pgstore files: a transaction unless the caller has one (own), ended with rc;
 * the next modseq of the user (locks the users row). */
int eas_pg_tx_begin(eas_store *s, int *own);
int eas_pg_tx_end(eas_store *s, int own, int rc);
int eas_pg_next_modseq(eas_store *s, const char **out);

/* A bigint[] literal of uids ("{1,2,3}") for "= ANY($n::bigint[])". */
const char *eas_pg_uid_array(apr_pool_t *p, const apr_int64_t *uids, int n);

/* Mailbox search (eas_pgstore_search.c) */
int eas_pg_search(eas_store *s, const eas_search_query *q, apr_array_header_t **hits, int *total);

/* PIM items (eas_pgstore_pim.c) */
int eas_pg_pim_put(eas_store *s, const eas_folder *f, apr_int64_t uid,
                   const struct eas_pim_item *it, apr_int64_t if_modseq, apr_int64_t *uid_out,
                   apr_int64_t *modseq_out);
int eas_pg_pim_get(eas_store *s, const eas_folder *f, const apr_int64_t *uids, int n,
                   struct eas_pim_item **out);
int eas_pg_pim_list(eas_store *s, const eas_folder *f, apr_int64_t after_uid, int limit,
                    apr_array_header_t **out, int *more);

#endif
