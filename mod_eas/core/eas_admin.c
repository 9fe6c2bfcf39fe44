/* eas_admin.c — shared admin helpers, the device registry view, remote wipe and device deletion
 * (see eas_admin.h). */
#include <stdarg.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_admin_int.h"
#include "eas_audit.h"
#include "eas_db.h"

int eas_admin_fail(eas_admin *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    a->err = apr_pvsprintf(a->pool, fmt, ap);
    va_end(ap);
    return -1;
}

PGresult *eas_admin_exec(eas_admin *a, const char *sql, int n, const char *const *params)
{
    return eas_db_exec(a->conn, a->pool, &a->err, sql, n, params);
}

int eas_admin_begin(eas_admin *a)
{
    return eas_db_cmd(a->conn, a->pool, &a->err, "BEGIN");
}

int eas_admin_end(eas_admin *a, int rc)
{
    if (rc == 0) {
        return eas_db_cmd(a->conn, a->pool, &a->err, "COMMIT");
    }
    eas_db_cmd(a->conn, a->pool, NULL, "ROLLBACK");
    return rc;
}

int eas_admin_audit_write(eas_admin *a, const char *action, const char *user, const char *device_id,
                          const char *details)
{
    return eas_audit(a->conn, a->pool, a->actor, action, user, device_id, details, &a->err);
}

int eas_admin_user_check(eas_admin *a, const char *user)
{
    const char *params[1] = {user};
    PGresult *r = eas_admin_exec(a, "SELECT 1 FROM users WHERE name = $1", 1, params);
    int found;

    if (!r) {
        return -1;
    }
    found = PQntuples(r) > 0;
    PQclear(r);
    return found ? 0 : eas_admin_fail(a, "unknown user '%s'", user);
}

int eas_admin_device_lookup(eas_admin *a, const char *device_id, const char *user, int lock,
                            eas_admin_device *out)
{
    static const char sql[] =
        "SELECT d.id, u.name, d.device_id, d.protocol_version, d.wipe_state"
        " FROM devices d JOIN users u ON u.id = d.user_id"
        " WHERE d.device_id = $1 AND ($2::text IS NULL OR u.name = $2) ORDER BY u.name";
    const char *params[2] = {device_id, user};
    PGresult *r;
    int n;

    if (!device_id || !*device_id) {
        return eas_admin_fail(a, "no DeviceId given");
    }
    r = eas_admin_exec(a, lock ? apr_pstrcat(a->pool, sql, " FOR UPDATE OF d", NULL) : sql, 2,
                       params);
    if (!r) {
        return -1;
    }
    n = PQntuples(r);
    if (n == 1) {
        out->pk = apr_pstrdup(a->pool, PQgetvalue(r, 0, 0));
        out->user = apr_pstrdup(a->pool, PQgetvalue(r, 0, 1));
        out->device_id = apr_pstrdup(a->pool, PQgetvalue(r, 0, 2));
        out->protocol_version =
            PQgetisnull(r, 0, 3) ? NULL : apr_pstrdup(a->pool, PQgetvalue(r, 0, 3));
        out->wipe_state = apr_pstrdup(a->pool, PQgetvalue(r, 0, 4));
        PQclear(r);
        return 0;
    }
    if (n > 1) {
        const char *users = "";
        int i;
        for (i = 0; i < n; ++i) {
            users = apr_pstrcat(a->pool, users, i ? ", " : "", PQgetvalue(r, i, 1), NULL);
        }
        PQclear(r);
        return eas_admin_fail(a, "device '%s' is ambiguous: users %s each have one; name the user",
                              device_id, users);
    }
    PQclear(r);
    if (user) {
        if (eas_admin_user_check(a, user) != 0) {
            return -1;
        }
        return eas_admin_fail(a, "user '%s' has no device '%s'", user, device_id);
    }
    return eas_admin_fail(a, "unknown device '%s'", device_id);
}

int eas_admin_device_find(eas_admin *a, const char *device_id, const char *user,
                          eas_admin_device *out)
{
    return eas_admin_device_lookup(a, device_id, user, 0, out);
}

static void set_type(eas_table *t, const char *name, eas_col_type type)
{
    int col = eas_table_col(t, name);
    if (col >= 0) {
        t->types[col] = type;
    }
}

int eas_admin_device_list(eas_admin *a, const char *user, eas_table **out)
{
    static const char sql[] =
        "SELECT u.name AS user, d.device_id, d.device_type, d.model, d.os,"
        " d.protocol_version AS protocol, " EAS_TS("d.first_seen") " AS first_seen, " EAS_TS(
            "d.last_seen") " AS last_seen,"
                           " d.policy_key IS NOT NULL AS provisioned,"
                           " " EAS_POLICY_STATE_SQL " AS policy,"
                           " d.wipe_state AS wipe, d.access_state AS access"
                           " FROM devices d JOIN users u ON u.id = d.user_id,"
                           " policy_generation g"
                           " WHERE $1::text IS NULL OR u.name = $1 ORDER BY u.name, d.device_id";
    const char *params[1] = {user};
    PGresult *r;

    if (user && eas_admin_user_check(a, user) != 0) {
        return -1;
    }
    if (!(r = eas_admin_exec(a, sql, 1, params))) {
        return -1;
    }
    *out = eas_table_from_result(a->pool, r, NULL);
    set_type(*out, "provisioned", EAS_COL_BOOL);
    PQclear(r);
    return 0;
}

int eas_admin_device_show(eas_admin *a, const char *device_id, const char *user,
                          eas_admin_device_detail *out)
{
    static const char sql[] =
        "SELECT u.name AS user, d.device_id, d.device_type, d.user_agent, d.protocol_version,"
        " " EAS_TS("d.first_seen") " AS first_seen, " EAS_TS(
            "d.last_seen") " AS last_seen,"
                           " d.last_command, d.remote_addr,"
                           " d.model, d.imei, d.friendly_name, d.os, d.os_language, d.phone_number,"
                           " d.mobile_operator, d.info_user_agent, " EAS_TS(
                               "d.info_updated_at") " AS info_updated_at,"
                                                    " d.policy_key, d.policy_hash, NULL::boolean "
                                                    "AS policy_current, d.policy_generation,"
                                                    " d.pending_policy_key, " EAS_TS(
                                                        "d.provisioned_at") " AS provisioned_at,"
                                                                            " d.provision_status,"
                                                                            " d.wipe_state, "
                                                                            "d.wipe_type, " EAS_TS(
                                                                                "d.wipe_requested_"
                                                                                "at") " AS "
                                                                                      "wipe_"
                                                                                      "requested_"
                                                                                      "at,"
                                                                                      " d.wipe_"
                                                                                      "requested_"
                                                                                      "by, " EAS_TS(
                                                                                          "d.wipe_"
                                                                                          "sent_at") " AS wipe_sent_at,"
                                                                                                     " " EAS_TS(
                                                                                                         "d.wipe_acked_at") " AS wipe_acked_at, d.wipe_ack_status,"
                                                                                                                            " d.access_state, d.access_override, d.access_reason"
                                                                                                                            " FROM devices d JOIN users u ON u.id = d.user_id WHERE d.id = $1::bigint";
    static const char *const ints[] = {"policy_key", "policy_generation", "pending_policy_key",
                                       "provision_status", "wipe_ack_status"};
    eas_admin_device dev;
    eas_policy pol;
    const char *params[1], *state, *reason, **cells;
    PGresult *r;
    int col;
    size_t i;

    memset(out, 0, sizeof(*out));
    if (eas_admin_device_find(a, device_id, user, &dev) != 0) {
        return -1;
    }
    /* the stored decision may predate a rule change or new DeviceInformation */
    if (eas_access_evaluate(a->conn, a->pool, dev.pk, &state, &reason, &a->err) != 0) {
        return -1;
    }
    params[0] = dev.pk;
    if (!(r = eas_admin_exec(a, sql, 1, params))) {
        return -1;
    }
    out->device = eas_table_from_result(a->pool, r, NULL);
    PQclear(r);
    if (!out->device->rows->nelts) {
        return eas_admin_fail(a, "device '%s' was deleted meanwhile", device_id);
    }
    for (i = 0; i < sizeof(ints) / sizeof(ints[0]); ++i) {
        set_type(out->device, ints[i], EAS_COL_INT);
    }
    set_type(out->device, "policy_current", EAS_COL_BOOL);

    if (eas_admin_policy_effective(a, eas_policy_user_domain(dev.user), dev.user, dev.pk, NULL,
                                   &pol, &out->policy) != 0) {
        return -1;
    }
    /* does the key the device holds stand for the policy it would get now? */
    cells = APR_ARRAY_IDX(out->device->rows, 0, const char **);
    col = eas_table_col(out->device, "policy_hash");
    if (cells[col]) {
        cells[eas_table_col(out->device, "policy_current")] =
            strcmp(cells[col], eas_policy_hash(a->pool, &pol)) == 0 ? "t" : "f";
    }
    return eas_admin_audit(a, NULL, dev.user, dev.device_id, 20, &out->audit);
}

int eas_admin_begin_device(eas_admin *a, const char *device_id, const char *user,
                           eas_admin_device *dev)
{
    if (eas_admin_begin(a) != 0) {
        return -1;
    }
    if (eas_admin_device_lookup(a, device_id, user, 1, dev) != 0) {
        return eas_admin_end(a, -1);
    }
    return 0;
}

/* Runs one UPDATE/DELETE on the device (params[0] = devices.id) and writes the audit row. */
static int change_device(eas_admin *a, const eas_admin_device *dev, const char *sql, int n,
                         const char *const *params, const char *action, const char *details)
{
    PGresult *r = eas_admin_exec(a, sql, n, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return eas_admin_audit_write(a, action, dev->user, dev->device_id, details);
}

int eas_admin_wipe_request(eas_admin *a, const char *device_id, const char *user, int account_only)
{
    eas_admin_device dev;
    const char *params[3];
    int rc;

    if (eas_admin_begin_device(a, device_id, user, &dev) != 0) {
        return -1;
    }
    if (strcmp(dev.wipe_state, "requested") == 0) {
        rc = eas_admin_fail(a, "a wipe of device '%s' (user %s) is already requested",
                            dev.device_id, dev.user);
    } else if (strcmp(dev.wipe_state, "none") != 0) {
        rc = eas_admin_fail(a,
                            "device '%s' (user %s) has a wipe %s already; it is wiped again "
                            "whenever it connects until the wipe is cleared",
                            dev.device_id, dev.user, dev.wipe_state);
    } else if (account_only &&
               (!dev.protocol_version || strcmp(dev.protocol_version, "16.1") != 0)) {
        rc = eas_admin_fail(a,
                            "an account-only wipe needs ActiveSync 16.1; device '%s' (user %s) "
                            "uses %s",
                            dev.device_id, dev.user,
                            dev.protocol_version ? dev.protocol_version : "an unknown version");
    } else {
        params[0] = dev.pk;
        params[1] = account_only ? "account" : "full";
        params[2] = a->actor;
        rc = change_device(a, &dev,
                           "UPDATE devices SET wipe_state = 'requested', wipe_type = $2,"
                           " wipe_requested_at = now(), wipe_requested_by = $3,"
                           " wipe_sent_at = NULL, wipe_acked_at = NULL, wipe_ack_status = NULL"
                           " WHERE id = $1::bigint",
                           3, params, "wipe.request",
                           apr_psprintf(a->pool, "{\"type\": \"%s\"}", params[1]));
    }
    return eas_admin_end(a, rc);
}

static const char wipe_reset_sql[] =
    "UPDATE devices SET wipe_state = 'none', wipe_type = NULL, wipe_requested_at = NULL,"
    " wipe_requested_by = NULL, wipe_sent_at = NULL, wipe_acked_at = NULL,"
    " wipe_ack_status = NULL WHERE id = $1::bigint";

int eas_admin_wipe_cancel(eas_admin *a, const char *device_id, const char *user)
{
    eas_admin_device dev;
    int rc;

    if (eas_admin_begin_device(a, device_id, user, &dev) != 0) {
        return -1;
    }
    if (strcmp(dev.wipe_state, "none") == 0) {
        rc = eas_admin_fail(a, "no wipe is requested for device '%s' (user %s)", dev.device_id,
                            dev.user);
    } else if (strcmp(dev.wipe_state, "requested") != 0) {
        rc = eas_admin_fail(a,
                            "the wipe of device '%s' (user %s) was already %s and cannot be "
                            "cancelled, only cleared",
                            dev.device_id, dev.user, dev.wipe_state);
    } else {
        const char *params[1] = {dev.pk};
        rc = change_device(a, &dev, wipe_reset_sql, 1, params, "wipe.cancel", NULL);
    }
    return eas_admin_end(a, rc);
}

int eas_admin_wipe_clear(eas_admin *a, const char *device_id, const char *user)
{
    static const char sql[] = "SELECT wipe_type, " EAS_TS(
        "wipe_requested_at") ", wipe_requested_by,"
                             " " EAS_TS("wipe_sent_at") ", " EAS_TS(
                                 "wipe_acked_at") ", wipe_ack_status"
                                                  " FROM devices WHERE id = $1::bigint";
    eas_admin_device dev;
    const char *params[1];
    PGresult *r;
    int rc;

    if (eas_admin_begin_device(a, device_id, user, &dev) != 0) {
        return -1;
    }
    params[0] = dev.pk;
    if (strcmp(dev.wipe_state, "sent") != 0 && strcmp(dev.wipe_state, "acknowledged") != 0) {
        rc = eas_admin_fail(a,
                            strcmp(dev.wipe_state, "none") == 0
                                ? "device '%s' (user %s) has no wipe to clear"
                                : "the wipe of device '%s' (user %s) was not sent yet: cancel it "
                                  "instead (device wipe-cancel)",
                            dev.device_id, dev.user);
    } else if (!(r = eas_admin_exec(a, sql, 1, params))) {
        rc = -1;
    } else {
        /* the audit row keeps what the cleared state said */
        const char *details = apr_psprintf(
            a->pool,
            "{\"previous\": %s, \"type\": %s, \"requested_at\": %s, \"requested_by\": %s,"
            " \"sent_at\": %s, \"acked_at\": %s, \"ack_status\": %s}",
            eas_json_str(a->pool, dev.wipe_state),
            eas_json_str(a->pool, PQgetisnull(r, 0, 0) ? NULL : PQgetvalue(r, 0, 0)),
            eas_json_str(a->pool, PQgetisnull(r, 0, 1) ? NULL : PQgetvalue(r, 0, 1)),
            eas_json_str(a->pool, PQgetisnull(r, 0, 2) ? NULL : PQgetvalue(r, 0, 2)),
            eas_json_str(a->pool, PQgetisnull(r, 0, 3) ? NULL : PQgetvalue(r, 0, 3)),
            eas_json_str(a->pool, PQgetisnull(r, 0, 4) ? NULL : PQgetvalue(r, 0, 4)),
            PQgetisnull(r, 0, 5) ? "null" : apr_pstrdup(a->pool, PQgetvalue(r, 0, 5)));
        PQclear(r);
        rc = change_device(a, &dev, wipe_reset_sql, 1, params, "wipe.clear", details);
    }
    return eas_admin_end(a, rc);
}

int eas_admin_device_delete(eas_admin *a, const char *device_id, const char *user, int force)
{
    eas_admin_device dev;
    int rc;

    if (eas_admin_begin_device(a, device_id, user, &dev) != 0) {
        return -1;
    }
    if (!force &&
        (strcmp(dev.wipe_state, "requested") == 0 || strcmp(dev.wipe_state, "sent") == 0)) {
        rc = eas_admin_fail(a,
                            "a wipe of device '%s' (user %s) is %s: deleting the device would "
                            "forget it (cancel the wipe, or force)",
                            dev.device_id, dev.user, dev.wipe_state);
    } else {
        const char *params[1] = {dev.pk};
        rc = change_device(
            a, &dev, "DELETE FROM devices WHERE id = $1::bigint", 1, params, "device.delete",
            apr_psprintf(a->pool, "{\"wipe_state\": %s, \"force\": %s}",
                         eas_json_str(a->pool, dev.wipe_state), force ? "true" : "false"));
    }
    return eas_admin_end(a, rc);
}
