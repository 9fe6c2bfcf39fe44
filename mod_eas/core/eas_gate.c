/* eas_gate.c — access, wipe and provisioning checks before a command (see eas_gate.h).
 *
 * MS-ASPROV 3.2.5.1: every command but Provision, Ping and Autodiscover carries the policy key.
 * 12.x clients are sent to Provision with HTTP 449; 14.0+ get a command response whose Status is
 * 142 (no key), 144 (wrong key), 143 (policy changed or refresh due) or 140 (wipe pending).
 * The effective policy is recomputed on every gated request: one indexed query, and it makes
 * policy changes at any scope take effect on the device's next request without caches. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>
#include <apr_time.h>

#include "eas_admin.h"
#include "eas_db.h"
#include "eas_gate.h"
#include "eas_policy.h"
#include "eas_xml.h"

#define ST_BLOCKED         129
#define ST_WIPE            140
#define ST_NOT_PROVISIONED 142
#define ST_POLICY_REFRESH  143
#define ST_INVALID_KEY     144

static void refuse(eas_cmd_ctx *ctx, eas_gate_result *res, int status, const char *why)
{
    if (ctx->version < 140) {
        res->kind = EAS_GATE_HTTP;
        res->code = status == ST_BLOCKED ? 403 : 449;
    } else {
        res->kind = EAS_GATE_STATUS;
        res->code = status;
    }
    res->why = why;
}

xmlDocPtr eas_gate_status_doc(const char *ns, const char *root, int code)
{
    xmlDocPtr doc = eas_xml_new_doc(ns, root);
    eas_xml_add_int(xmlDocGetRootElement(doc), NULL, "Status", code);
    return doc;
}

int eas_gate_check(eas_cmd_ctx *ctx, eas_gate_result *res)
{
    const char *params[1], *state = NULL, *reason = NULL, *v[4];
    eas_policy pol;
    const char *key, *hash, *wipe;
    long refresh_hours;
    apr_time_t provisioned;
    eas_cmd_id cmd = ctx->q->cmd->id;

    memset(res, 0, sizeof(*res));
    if (eas_access_evaluate(ctx->db, ctx->pool, ctx->dev.device_pk, &state, &reason, &ctx->error) !=
        0) {
        return -1;
    }
    if (strcmp(state, "allow") != 0) {
        /* quarantine answers like block: no data until an administrator releases the device */
        refuse(ctx, res, ST_BLOCKED,
               apr_psprintf(ctx->pool, "device %s (%s)",
                            strcmp(state, "block") == 0 ? "blocked" : "quarantined", reason));
        return 0;
    }
    if (eas_policy_load(ctx->db, ctx->pool, ctx->user, ctx->dev.device_pk, &pol, &ctx->error) !=
        0) {
        return -1;
    }
    if (ctx->version > eas_protocol_version_num(pol.value[EAS_POL_MaxProtocolVersion])) {
        res->kind = EAS_GATE_HTTP;
        res->code = 400;
        res->why = apr_psprintf(ctx->pool, "protocol version above MaxProtocolVersion %s",
                                pol.value[EAS_POL_MaxProtocolVersion]);
        return 0;
    }
    if (cmd == EAS_CMD_PROVISION) {
        return 0; /* Provision delivers wipes and keys itself */
    }

    params[0] = ctx->dev.device_pk;
    if (eas_db_row(ctx->db, ctx->pool, &ctx->error,
                   "SELECT policy_key, policy_hash, wipe_state,"
                   " extract(epoch FROM provisioned_at)::bigint FROM devices WHERE id = $1",
                   1, params, 4, v) != 0) {
        return -1;
    }
    key = v[0];
    hash = v[1];
    wipe = v[2];
    provisioned = v[3] ? apr_time_from_sec(atoll(v[3])) : 0;

    if (strcmp(wipe, "none") != 0) {
        refuse(ctx, res, ST_WIPE, "remote wipe pending");
        return 0;
    }
    if (cmd == EAS_CMD_PING) {
        return 0; /* Ping carries no policy key (MS-ASPROV 3.2.5.1) */
    }
    if (!ctx->q->has_policy_key || ctx->q->policy_key == 0 || !key) {
        if (eas_policy_bool(&pol, EAS_POL_AllowNonProvisionableDevices)) {
            return 0;
        }
        refuse(ctx, res, ST_NOT_PROVISIONED, "device not provisioned");
        return 0;
    }
    if (strtoul(key, NULL, 10) != ctx->q->policy_key) {
        refuse(ctx, res, ST_INVALID_KEY, "policy key does not match");
        return 0;
    }
    if (!hash || strcmp(hash, eas_policy_hash(ctx->pool, &pol)) != 0) {
        refuse(ctx, res, ST_POLICY_REFRESH, "effective policy changed");
        return 0;
    }
    refresh_hours = atol(pol.value[EAS_POL_DevicePolicyRefreshInterval]);
    if (refresh_hours > 0 &&
        provisioned + apr_time_from_sec(refresh_hours * 3600) < apr_time_now()) {
        refuse(ctx, res, ST_POLICY_REFRESH, "policy refresh interval elapsed");
        return 0;
    }
    return 0;
}
