/* eas_admin.h — the administration core behind easctl (and the web console): devices, remote
 * wipe, access rules, policies and the audit log.
 *
 * Every function works on an eas_admin context (connection, pool, actor). Reads return results
 * as eas_table values (named, typed columns; rows of text cells) so that callers render them as
 * aligned text or JSON without knowing the schema. Every state-changing function validates
 * everything first, then writes the change and its audit_log row in ONE transaction: on error
 * nothing is written and a->err says why, in words meant for an administrator. */
#ifndef EAS_ADMIN_H
#define EAS_ADMIN_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

#include "eas_policy.h"

typedef struct eas_admin {
    PGconn *conn;
    apr_pool_t *pool;  /* results and messages live here */
    const char *actor; /* recorded in audit_log.actor */
    const char *err;   /* set when a function returns non-zero */
} eas_admin;

/* --- tables ------------------------------------------------------------------------------ */

typedef enum eas_col_type {
    EAS_COL_TEXT,
    EAS_COL_INT,  /* JSON number */
    EAS_COL_BOOL, /* "t"/"f" or "1"/"0" -> JSON true/false */
    EAS_COL_JSON  /* the cell is JSON already (audit details) */
} eas_col_type;

typedef struct eas_table {
    int ncols;
    const char **names;
    eas_col_type *types;
    apr_array_header_t *rows; /* of const char ** (ncols cells; NULL = no value) */
} eas_table;

eas_table *eas_table_make(apr_pool_t *p, int ncols, const char *const *names,
                          const eas_col_type *types);
/* Appends an empty row and returns its cells to fill. */
const char **eas_table_add(eas_table *t);
const char *eas_table_cell(const eas_table *t, int row, int col);
/* Column index by name, or -1. */
int eas_table_col(const eas_table *t, const char *name);
/* Copies every row of r; column names from the result, types as given (NULL: all text). */
eas_table *eas_table_from_result(apr_pool_t *p, PGresult *r, const eas_col_type *types);

/* Aligned columns under a header line, one row per line; "(none)" when empty. */
const char *eas_table_render_text(apr_pool_t *p, const eas_table *t);
/* "name: value" lines for one row (a record), names padded to one width. */
const char *eas_table_render_record(apr_pool_t *p, const eas_table *t, int row);
/* JSON array of objects. */
const char *eas_table_render_json(apr_pool_t *p, const eas_table *t);
/* JSON object for one row. */
const char *eas_table_render_json_row(apr_pool_t *p, const eas_table *t, int row);

/* --- devices ----------------------------------------------------------------------------- */

/* A device as found by DeviceId (and optionally user). */
typedef struct eas_admin_device {
    const char *pk; /* devices.id */
    const char *user;
    const char *device_id;
    const char *protocol_version; /* may be NULL */
    const char *wipe_state;
} eas_admin_device;

/* Finds the device: unknown user, unknown device and a DeviceId that more than one user has
 * (without user) are errors naming what was looked for. */
int eas_admin_device_find(eas_admin *a, const char *device_id, const char *user,
                          eas_admin_device *out);

/* user, device_id, device_type, model, protocol, last_seen, provisioned, wipe, access.
 * user NULL: every device; an unknown user is an error. */
int eas_admin_device_list(eas_admin *a, const char *user, eas_table **out);

typedef struct eas_admin_device_detail {
    eas_table *device; /* one row: identity, DeviceInformation, provisioning, wipe, access */
    eas_table *policy; /* name, value, source, source_key: the effective policy */
    eas_table *audit;  /* the device's recent audit entries, newest last */
} eas_admin_device_detail;

/* Re-evaluates the access decision first, so "access" is current. */
int eas_admin_device_show(eas_admin *a, const char *device_id, const char *user,
                          eas_admin_device_detail *out);

/* Remote wipe: none -> requested -> sent -> acknowledged. account_only needs protocol 16.1. */
int eas_admin_wipe_request(eas_admin *a, const char *device_id, const char *user, int account_only);
/* requested -> none; refused once the wipe was sent. */
int eas_admin_wipe_cancel(eas_admin *a, const char *device_id, const char *user);
/* sent/acknowledged -> none: the administrator's clearance (until then the device is wiped
 * again whenever it comes back). */
int eas_admin_wipe_clear(eas_admin *a, const char *device_id, const char *user);
/* Forgets the device and (by cascade) its sync state and device-scope policies. Refused while a
 * wipe is requested or sent, unless force. */
int eas_admin_device_delete(eas_admin *a, const char *device_id, const char *user, int force);

/* --- access ------------------------------------------------------------------------------ */

/* "allow", "block", "quarantine"; NULL override = back to the rules. */
int eas_admin_access_override(eas_admin *a, const char *device_id, const char *user,
                              const char *override);

/* id, priority, action, match, pattern, created_at, created_by; in evaluation order. */
int eas_admin_rule_list(eas_admin *a, eas_table **out);
/* match: user | device_type | model | user_agent; pattern: case-insensitive glob. *id_out may
 * be NULL. Every device's stored access state is refreshed in the same transaction. */
int eas_admin_rule_add(eas_admin *a, const char *action, const char *match, const char *pattern,
                       int priority, long *id_out);
int eas_admin_rule_delete(eas_admin *a, const char *id);

int eas_admin_access_default_get(eas_admin *a, const char **value);
int eas_admin_access_default_set(eas_admin *a, const char *value);

/* The access decision for one device: the administrator's override if set, else the first
 * matching rule by (priority, id), else the default. *reason: "administrator override",
 * "rule #3: device_type matches 'Android*'" or "default". Stores the decision in
 * devices.access_state/access_reason when it changed. Two queries (three when it changed).
 * 0 on success, else *err. */
int eas_access_evaluate(PGconn *c, apr_pool_t *p, const char *device_pk, const char **state,
                        const char **reason, const char **err);

/* --- policies ---------------------------------------------------------------------------- */

typedef struct eas_admin_scope {
    eas_policy_scope scope; /* GLOBAL, DOMAIN, USER or DEVICE */
    const char *domain;     /* DOMAIN */
    const char *user;       /* USER; DEVICE: optional, to pick among users */
    const char *device_id;  /* DEVICE */
} eas_admin_scope;

/* The effective policy at a scope (global: defaults + global; domain: + that domain; user: + the
 * user's domain and the user; device: + the device): name, value, source, source_key.
 * name NULL: every field; else only that one (unknown name: error). */
int eas_admin_policy_show(eas_admin *a, const eas_admin_scope *s, const char *name,
                          eas_table **out);
/* Validates name and value (eas_policy_check_value) and stores the normalised value, which
 * *stored (may be NULL) receives. */
int eas_admin_policy_set(eas_admin *a, const eas_admin_scope *s, const char *name,
                         const char *value, const char **stored);
/* Removes the value set at exactly this scope; not set there is an error. */
int eas_admin_policy_unset(eas_admin *a, const eas_admin_scope *s, const char *name);
/* name, type, range, default, in_doc, help. */
eas_table *eas_admin_policy_fields(apr_pool_t *p);

/* --- audit ------------------------------------------------------------------------------- */

/* since: a timestamp PostgreSQL understands, or a relative age like 30m, 12h, 7d, 2w (NULL: no
 * bound); user/device_id filters may be NULL; limit <= 0: 100. The newest `limit` entries, oldest
 * first: id, at, actor, action, user, device_id, details. */
int eas_admin_audit(eas_admin *a, const char *since, const char *user, const char *device_id,
                    int limit, eas_table **out);

/* --- overview ---------------------------------------------------------------------------- */

/* Hours of requests eas_admin_overview_get returns, the current one last. */
#define EAS_OVERVIEW_HOURS 48

typedef struct eas_admin_overview {
    /* kind (access, wipe, policy), state, devices: every state the schema allows, 0 too; the
     * states are the device list's access, wipe and policy values */
    eas_table *states;
    /* hour (UTC, ISO 8601), total, sync, ping, other: requests counted in command_stats for each
     * of the last EAS_OVERVIEW_HOURS hours, oldest first, hours without requests as zeros */
    eas_table *syncs;
    apr_int64_t devices;    /* every device */
    apr_int64_t users;      /* every user */
    apr_int64_t held_pings; /* ping_states.held: requests of devices waiting now (Ping or Sync) */
} eas_admin_overview;

/* Three queries. */
int eas_admin_overview_get(eas_admin *a, eas_admin_overview *out);

#endif
