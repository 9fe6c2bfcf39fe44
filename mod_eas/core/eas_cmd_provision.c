/* eas_cmd_provision.c — the Provision command (MS-ASPROV): device information, the two-phase
 * policy download with temporary and final policy keys, and remote wipe delivery and
 * acknowledgement (full, and account-only for 16.1).
 *
 * Every state change and its audit row commit in one transaction; the response is built only
 * after the commit succeeded, so a device never holds a key the database does not know. */
#include <stdlib.h>
#include <string.h>

#include <apr_time.h>
#include <apr_random.h>
#include <apr_strings.h>

#include "eas_audit.h"
#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_policy.h"
#include "eas_submit.h"
#include "eas_user.h"
#include "eas_xml.h"

#define NS_PROV     "Provision:"
#define NS_SETTINGS "Settings:"
#define POLICY_TYPE "MS-EAS-Provisioning-WBXML"

/* Provision/Status values (MS-ASPROV 2.2.2.53.2) and Policy/Status values (2.2.2.53.1) */
#define PROV_OK             1
#define PROV_PROTOCOL_ERROR 2
#define PROV_NOT_COMPLIANT  139 /* common status DeviceNotFullyProvisionable, 14.0+ */
#define POL_OK              1
#define POL_UNKNOWN_TYPE    3
#define POL_WRONG_KEY       5

typedef struct prov_device {
    const char *wipe_state;
    const char *wipe_type;
    const char *pending_key;
    const char *pending_hash;
    const char *policy_key;
    const char *acked_key; /* the temporary key policy_key was issued for */
} prov_device;

/* A fresh policy key: non-zero, 31 bits (some clients parse it as a signed int), and different
 * from the keys the device holds now. */
static const char *new_key(apr_pool_t *p, const prov_device *d)
{
    for (;;) {
        unsigned char b[4];
        unsigned long k;
        const char *s;
        if (apr_generate_random_bytes(b, sizeof(b)) != APR_SUCCESS) {
            b[0] = (unsigned char)rand(); /* never reached on Linux; keep a value anyway */
        }
        k = ((unsigned long)(b[0] & 0x7f) << 24) | ((unsigned long)b[1] << 16) |
            ((unsigned long)b[2] << 8) | b[3];
        if (k == 0) {
            continue;
        }
        s = apr_psprintf(p, "%lu", k);
        if ((d->policy_key && !strcmp(s, d->policy_key)) ||
            (d->pending_key && !strcmp(s, d->pending_key))) {
            continue;
        }
        return s;
    }
}

static int load_device(eas_cmd_ctx *ctx, prov_device *d)
{
    const char *params[1] = {ctx->dev.device_pk}, *v[6];

    if (eas_db_row(ctx->db, ctx->pool, &ctx->error,
                   "SELECT wipe_state, wipe_type, pending_policy_key, pending_policy_hash,"
                   " policy_key, acked_policy_key FROM devices WHERE id = $1 FOR UPDATE",
                   1, params, 6, v) != 0) {
        return -1;
    }
    d->wipe_state = v[0];
    d->wipe_type = v[1];
    d->pending_key = v[2];
    d->pending_hash = v[3];
    d->policy_key = v[4];
    d->acked_key = v[5];
    return 0;
}

static int exec_update(eas_cmd_ctx *ctx, const char *sql, int n, const char *const *params)
{
    PGresult *r = eas_db_exec(ctx->db, ctx->pool, &ctx->error, sql, n, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}

static int audit(eas_cmd_ctx *ctx, const char *action, const char *details)
{
    return eas_audit(ctx->db, ctx->pool, "device", action, ctx->user, ctx->q->device_id, details,
                     &ctx->error);
}

/* Header-safe copy of text from the device (its id): control characters become '?'. */
static const char *header_safe(apr_pool_t *p, const char *in)
{
    char *out = apr_pstrdup(p, in ? in : ""), *c;
    for (c = out; *c; ++c) {
        if ((unsigned char)*c < 0x20 || *c == 0x7f) {
            *c = '?';
        }
    }
    return out;
}

/* The confirmation mail to the user (EASWipeNotifyUser, when the user has an address) and/or the
 * administrator (EASWipeNotifyAdmin) once a wipe is acknowledged, sent as a server notice. It
 * runs inside the Provision transaction (eas_submit uses a savepoint there); a failure to send
 * never fails the Provision: it is a warning, and the audit entry says delivered false and why. */
static int record_notification(eas_cmd_ctx *ctx, const char *status)
{
    apr_pool_t *p = ctx->pool;
    const char *to_json = NULL, *to_hdr = NULL, *dev = header_safe(p, ctx->q->device_id), *err;
    apr_array_header_t *rcpt = apr_array_make(p, 2, sizeof(const char *));
    eas_submit_req req;
    eas_submit_result res;
    char when[APR_RFC822_DATE_LEN];
    int delivered = 0, i;

    if (ctx->wipe_notify_user) {
        eas_user_info *u = NULL;
        int rc = eas_user_get(ctx->db, p, ctx->user, ctx->submit ? ctx->submit->mail_domain : NULL,
                              &u, &ctx->error);
        if (rc < 0) {
            return -1;
        }
        if (rc == 0 && u->email) {
            APR_ARRAY_PUSH(rcpt, const char *) = u->email;
        }
    }
    if (ctx->wipe_notify_admin) {
        APR_ARRAY_PUSH(rcpt, const char *) = ctx->wipe_notify_admin;
    }
    if (rcpt->nelts == 0) {
        return 0;
    }
    for (i = 0; i < rcpt->nelts; ++i) {
        const char *a = APR_ARRAY_IDX(rcpt, i, const char *);
        const char *j = eas_json_str(p, a);
        to_json = to_json ? apr_pstrcat(p, to_json, ", ", j, NULL) : j;
        to_hdr = to_hdr ? apr_pstrcat(p, to_hdr, ", <", a, ">", NULL)
                        : apr_pstrcat(p, "<", a, ">", NULL);
    }
    apr_rfc822_date(when, apr_time_now());
    memset(&req, 0, sizeof(req));
    req.user = ctx->user;
    req.password = ctx->password;
    req.device_id = ctx->q->device_id;
    req.flags = EAS_SUBMIT_NOTICE;
    req.mime = apr_psprintf(
        p,
        "To: %s\r\nSubject: Remote wipe of device %s acknowledged\r\n"
        "Auto-Submitted: auto-generated\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        "The device %s of user %s acknowledged the remote wipe.\r\n\r\n"
        "User:   %s\r\nDevice: %s\r\nStatus: %s (%s)\r\nTime:   %s\r\n",
        to_hdr, dev, dev, header_safe(p, ctx->user), header_safe(p, ctx->user), dev, status,
        !strcmp(status, "1") ? "wipe succeeded" : "the device reported a failure", when);
    req.len = strlen(req.mime);
    err = NULL;
    if (!ctx->submit) {
        res.status = EAS_SUBMIT_SUBMISSION_FAILED;
        res.detail = "no mail configuration";
    } else if (eas_submit(ctx->db, p, ctx->submit, &req, &res, &err) != 0) {
        res.status = EAS_SUBMIT_SERVER_ERROR;
        res.detail = err ? err : "internal error";
    }
    delivered = res.status == EAS_SUBMIT_OK;
    if (!delivered) {
        ctx->warning = apr_psprintf(p, "wipe acknowledgement notice not sent (Status %d): %s",
                                    res.status, res.detail ? res.detail : "unknown reason");
    }
    return audit(ctx, "wipe.notify",
                 apr_psprintf(p,
                              "{\"to\": [%s], \"wipe_status\": %s, \"delivered\": %s, "
                              "\"status\": %d, \"detail\": %s}",
                              to_json, status, delivered ? "true" : "false", res.status,
                              eas_json_str(p, delivered ? (res.message_id ? res.message_id : "")
                                                        : (res.detail ? res.detail : ""))));
}

/* Wipe acknowledgement: record the device's Status with the time. A failure report is answered
 * with Status 2 and the directive again (MS-ASPROV 3.2.5.1.2.2). */
static int handle_wipe_ack(eas_cmd_ctx *ctx, const prov_device *d, xmlNodePtr ack, int *status,
                           int *resend)
{
    const char *st = eas_xml_child_text(ack, NS_PROV, "Status");
    const char *params[2];

    if (!st || (strcmp(st, "1") != 0 && strcmp(st, "2") != 0)) {
        *status = PROV_PROTOCOL_ERROR;
        return 0;
    }
    if (!strcmp(d->wipe_state, "none")) {
        /* an acknowledgement nobody asked for: accept it, change nothing, but keep a trace */
        *status = PROV_OK;
        return audit(ctx, "wipe.ack-unexpected", apr_psprintf(ctx->pool, "{\"status\": %s}", st));
    }
    params[0] = ctx->dev.device_pk;
    params[1] = st;
    if (exec_update(ctx,
                    "UPDATE devices SET wipe_state = 'acknowledged', wipe_acked_at = now(),"
                    " wipe_ack_status = $2::int WHERE id = $1",
                    2, params) != 0 ||
        audit(ctx, "wipe.ack",
              apr_psprintf(ctx->pool, "{\"status\": %s, \"type\": %s}", st,
                           eas_json_str(ctx->pool, d->wipe_type))) != 0) {
        return -1;
    }
    *status = !strcmp(st, "1") ? PROV_OK : PROV_PROTOCOL_ERROR;
    *resend = strcmp(st, "1") != 0;
    return record_notification(ctx, st);
}

int eas_cmd_provision(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL;
    xmlNodePtr info = NULL, policy = NULL, wipe_ack = NULL, r_root;
    prov_device d;
    int status = PROV_OK, pol_status = 0, send_wipe = 0, account_only = 0;
    const char *pol_type = NULL, *resp_key = NULL, *err;
    eas_policy pol;
    int with_doc = 0;

    if (!eas_xml_is(root, NS_PROV, "Provision")) {
        ctx->http_status = 400;
        ctx->note = "Provision without a Provision:Provision body";
        return 0;
    }
    info = eas_xml_child(root, NS_SETTINGS, "DeviceInformation");
    wipe_ack = eas_xml_child(root, NS_PROV, "RemoteWipe");
    if (!wipe_ack) {
        wipe_ack = eas_xml_child(root, NS_PROV, "AccountOnlyRemoteWipe");
    }
    if (wipe_ack && !eas_xml_child(wipe_ack, NS_PROV, "Status")) {
        wipe_ack = NULL; /* <RemoteWipe/> without Status is no acknowledgement */
    }
    policy = eas_xml_child(eas_xml_child(root, NS_PROV, "Policies"), NS_PROV, "Policy");

    if (eas_db_cmd(ctx->db, ctx->pool, &ctx->error, "BEGIN") != 0) {
        return -1;
    }
    if (load_device(ctx, &d) != 0 ||
        (info &&
         eas_device_store_info(ctx->db, ctx->pool, ctx->dev.device_pk, info, &ctx->error) != 0)) {
        goto fail;
    }

    if (wipe_ack) {
        if (handle_wipe_ack(ctx, &d, wipe_ack, &status, &send_wipe) != 0) {
            goto fail;
        }
        account_only = d.wipe_type && !strcmp(d.wipe_type, "account");
        ctx->note = "remote wipe acknowledged";
    } else if (strcmp(d.wipe_state, "none") != 0) {
        account_only = d.wipe_type && !strcmp(d.wipe_type, "account");
        if (account_only && ctx->version < 161) {
            /* never turn an account-only wipe into a full one for an older client */
            ctx->note = "account-only wipe pending but the device speaks < 16.1; not sent";
        } else {
            const char *params[1] = {ctx->dev.device_pk};
            int first = !strcmp(d.wipe_state, "requested");
            send_wipe = 1;
            if (first && exec_update(ctx,
                                     "UPDATE devices SET wipe_state = 'sent', wipe_sent_at = now()"
                                     " WHERE id = $1",
                                     1, params) != 0) {
                goto fail;
            }
            if (audit(ctx, first ? "wipe.sent" : "wipe.resent",
                      apr_psprintf(ctx->pool, "{\"type\": %s, \"previous_state\": %s}",
                                   eas_json_str(ctx->pool, d.wipe_type),
                                   eas_json_str(ctx->pool, d.wipe_state))) != 0) {
                goto fail;
            }
            ctx->note = "remote wipe directive sent";
        }
    }

    if (!send_wipe && !wipe_ack && policy) {
        const char *key = eas_xml_child_text(policy, NS_PROV, "PolicyKey");
        pol_type = eas_xml_child_text(policy, NS_PROV, "PolicyType");
        if (!pol_type || strcmp(pol_type, POLICY_TYPE) != 0) {
            pol_status = POL_UNKNOWN_TYPE; /* MS-WAP-Provisioning-XML is 2.5 only */
            if (!pol_type) {
                pol_type = "";
            }
        } else if (eas_policy_load(ctx->db, ctx->pool, ctx->user, ctx->dev.device_pk, &pol,
                                   &ctx->error) != 0) {
            goto fail;
        } else if (!key) {
            /* phase 1: offer the policy under a temporary key */
            const char *params[3];
            resp_key = new_key(ctx->pool, &d);
            params[0] = ctx->dev.device_pk;
            params[1] = resp_key;
            params[2] = eas_policy_hash(ctx->pool, &pol);
            if (exec_update(ctx,
                            "UPDATE devices SET pending_policy_key = $2::bigint,"
                            " pending_policy_hash = $3 WHERE id = $1",
                            3, params) != 0) {
                goto fail;
            }
            pol_status = POL_OK;
            with_doc = 1;
            ctx->note = "policy offered";
        } else if (d.acked_key && d.policy_key && !strcmp(key, d.acked_key) &&
                   (!d.pending_key || strcmp(key, d.pending_key) != 0)) {
            /* the same acknowledgement again: its answer was lost, give the same final key */
            resp_key = d.policy_key;
            pol_status = POL_OK;
            ctx->note = "repeated acknowledgement answered with the current key";
        } else if (!d.pending_key || strcmp(key, d.pending_key) != 0) {
            pol_status = POL_WRONG_KEY;
            ctx->note = "acknowledged an unknown policy key";
        } else {
            /* phase 2: the device reports how well it applied the policy */
            const char *cst = eas_xml_child_text(policy, NS_PROV, "Status");
            int compliance = cst ? atoi(cst) : 1;
            int accept =
                compliance == 1 ||
                (compliance == 2 && eas_policy_bool(&pol, EAS_POL_AllowNonProvisionableDevices));
            const char *params[4];
            params[0] = ctx->dev.device_pk;
            params[1] = apr_itoa(ctx->pool, compliance);
            if (accept) {
                resp_key = new_key(ctx->pool, &d);
                params[2] = resp_key;
                params[3] = d.pending_hash;
                if (exec_update(ctx,
                                "UPDATE devices SET policy_key = $3::bigint, policy_hash = $4,"
                                " acked_policy_key = pending_policy_key,"
                                " pending_policy_key = NULL, pending_policy_hash = NULL,"
                                " provisioned_at = now(), provision_status = $2::int,"
                                " policy_generation = (SELECT last_value FROM policy_generation)"
                                " WHERE id = $1",
                                4, params) != 0 ||
                    audit(ctx, "provision",
                          apr_psprintf(ctx->pool, "{\"status\": %d, \"policy_hash\": %s}",
                                       compliance, eas_json_str(ctx->pool, d.pending_hash))) != 0) {
                    goto fail;
                }
                pol_status = POL_OK;
                ctx->note = "provisioned";
            } else {
                if (exec_update(ctx,
                                "UPDATE devices SET provision_status = $2::int,"
                                " pending_policy_key = NULL WHERE id = $1",
                                2, params) != 0 ||
                    audit(ctx, "provision.refused",
                          apr_psprintf(ctx->pool, "{\"status\": %d}", compliance)) != 0) {
                    goto fail;
                }
                status = ctx->version >= 140 ? PROV_NOT_COMPLIANT : PROV_PROTOCOL_ERROR;
                ctx->note = "device did not apply the policy";
            }
        }
    }
    if (eas_db_cmd(ctx->db, ctx->pool, &ctx->error, "COMMIT") != 0) {
        goto fail;
    }

    /* the response, in the schema's order */
    ctx->resp = eas_xml_new_doc(NS_PROV, "Provision");
    r_root = xmlDocGetRootElement(ctx->resp);
    if (info && ctx->version >= 141) {
        xmlNsPtr sns = eas_xml_ns(ctx->resp, NS_SETTINGS);
        xmlNodePtr di = eas_xml_add(r_root, sns, "DeviceInformation", NULL);
        eas_xml_add_int(di, sns, "Status", 1);
    }
    eas_xml_add_int(r_root, NULL, "Status", status);
    if (pol_status && status == PROV_OK) {
        xmlNodePtr pe =
            eas_xml_add(eas_xml_add(r_root, NULL, "Policies", NULL), NULL, "Policy", NULL);
        eas_xml_add(pe, NULL, "PolicyType", pol_type);
        eas_xml_add_int(pe, NULL, "Status", pol_status);
        if (resp_key) {
            eas_xml_add(pe, NULL, "PolicyKey", resp_key);
        }
        if (with_doc) {
            eas_policy_to_doc(&pol, eas_xml_add(pe, NULL, "Data", NULL), r_root->ns);
        }
    }
    if (send_wipe) {
        eas_xml_add(r_root, NULL, account_only ? "AccountOnlyRemoteWipe" : "RemoteWipe", NULL);
    }
    return 0;

fail:
    err = ctx->error;
    eas_db_cmd(ctx->db, ctx->pool, NULL, "ROLLBACK");
    ctx->error = err;
    return -1;
}
