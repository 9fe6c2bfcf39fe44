/* eas_audit.h — the append-only audit log (table audit_log): every administrative action and
 * every device-side step of a wipe or provisioning is recorded with who did it. */
#ifndef EAS_AUDIT_H
#define EAS_AUDIT_H

#include <apr_pools.h>
#include <libpq-fe.h>

/* details_json: a JSON object as text, or NULL for {}. Runs inside the caller's transaction
 * when there is one, so an action and its audit row commit together. 0 on success. */
int eas_audit(PGconn *c, apr_pool_t *p, const char *actor, const char *action,
              const char *user_name, const char *device_id, const char *details_json,
              const char **err);

/* A request of a device that ended in an error or a refusal (action "device.error" or
 * "device.refused", actor "device", details {command, status, why}), so the console and easctl
 * show a device's recent trouble next to its wipes and provisioning. Only errors reach here,
 * never the hot path; a device repeating the same failure is recorded once per 5 minutes (per
 * action, command and status) so a broken client cannot flood the log. 0 on success. */
int eas_audit_device_error(PGconn *c, apr_pool_t *p, const char *action, const char *user_name,
                           const char *device_id, const char *command, int status, const char *why,
                           const char **err);

/* JSON string literal for s (quotes included), for building details. */
const char *eas_json_str(apr_pool_t *p, const char *s);

#endif
