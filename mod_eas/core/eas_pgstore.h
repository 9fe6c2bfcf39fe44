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

#endif
