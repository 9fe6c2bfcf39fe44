/* eas_admin_int.h — helpers shared by the eas_admin*.c files; not part of the admin API. */
#ifndef EAS_ADMIN_INT_H
#define EAS_ADMIN_INT_H

#include "eas_admin.h"

/* ISO 8601 UTC text for a timestamptz column, so text and JSON output agree. */
#define EAS_TS(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* A device's policy state (devices d, policy_generation g): unprovisioned (never provisioned),
 * pending (the phase 1 key is not acknowledged), changed (a policy changed since it provisioned:
 * its next request re-checks whether it must provision again; the request path's cheap
 * generation test), current. Shared by the device list and the overview so they never differ. */
#define EAS_POLICY_STATE_SQL                                                                       \
    "CASE WHEN d.policy_key IS NULL THEN 'unprovisioned'"                                          \
    " WHEN d.pending_policy_key IS NOT NULL THEN 'pending'"                                        \
    " WHEN d.policy_generation IS DISTINCT FROM g.last_value THEN 'changed'"                       \
    " ELSE 'current' END"

/* Sets a->err and returns -1. */
int eas_admin_fail(eas_admin *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parameterised query; NULL with a->err set on failure. */
PGresult *eas_admin_exec(eas_admin *a, const char *sql, int n, const char *const *params);

int eas_admin_begin(eas_admin *a);
/* Commits when rc == 0, else rolls back (keeping the first error); returns rc or the commit's
 * failure. */
int eas_admin_end(eas_admin *a, int rc);

/* eas_admin_device_find, optionally locking the row (inside a transaction). */
int eas_admin_device_lookup(eas_admin *a, const char *device_id, const char *user, int lock,
                            eas_admin_device *out);

/* Starts a transaction and finds (and locks) the device; on error the transaction is over. */
int eas_admin_begin_device(eas_admin *a, const char *device_id, const char *user,
                           eas_admin_device *dev);

/* The effective policy for the given levels (each may be NULL): a table of name, value, source,
 * source_key (only the field `only` when not NULL) and, when pol is not NULL, the policy. */
int eas_admin_policy_effective(eas_admin *a, const char *domain, const char *user,
                               const char *device_pk, const char *only, eas_policy *pol,
                               eas_table **out);

/* 0 if the user exists, else an "unknown user" error. */
int eas_admin_user_check(eas_admin *a, const char *user);

/* Re-evaluates and stores the access decision of every device (after a rule/default change). */
int eas_admin_access_refresh_all(eas_admin *a);

/* Audit row for the current action, within the caller's transaction. */
int eas_admin_audit_write(eas_admin *a, const char *action, const char *user, const char *device_id,
                          const char *details);

#endif
