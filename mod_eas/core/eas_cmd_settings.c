/* eas_cmd_settings.c — the Settings command (MS-ASCMD 2.2.1.18), the parts this build has data
 * for: DeviceInformation Set (stored in the device registry), UserInformation Get, DevicePassword
 * Set (recorded as a time in the audit log, never the password) and RightsManagementInformation
 * Get (no templates). Out-of-office needs the mail path: Get truthfully reports it disabled, Set
 * answers Status 4 (server unavailable) until then. */
#include <string.h>

#include <apr_strings.h>

#include "eas_audit.h"
#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_device.h"
#include "eas_xml.h"

#define NS  "Settings:"
#define NSR "RightsManagement:"

#define ST_OK                 1
#define ST_PROTOCOL_ERROR     2
#define ST_SERVER_UNAVAILABLE 4

static void user_information(eas_cmd_ctx *ctx, xmlNodePtr out)
{
    xmlNodePtr get = eas_xml_add(out, NULL, "Get", NULL), addrs;
    int is_address = strchr(ctx->user, '@') != NULL;

    if (ctx->version >= 141) {
        xmlNodePtr acc =
            eas_xml_add(eas_xml_add(get, NULL, "Accounts", NULL), NULL, "Account", NULL);
        eas_xml_add(acc, NULL, "UserDisplayName", ctx->user);
        if (is_address) {
            addrs = eas_xml_add(acc, NULL, "EmailAddresses", NULL);
            eas_xml_add(addrs, NULL, "PrimarySmtpAddress", ctx->user);
        }
    } else if (is_address) {
        addrs = eas_xml_add(get, NULL, "EmailAddresses", NULL);
        eas_xml_add(addrs, NULL, "SMTPAddress", ctx->user);
    }
}

int eas_cmd_settings(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, r_root, n;
    int seen_info = 0, seen_user = 0, seen_pw = 0, seen_rm = 0, seen_oof = 0;

    if (!eas_xml_is(root, NS, "Settings")) {
        ctx->http_status = 400;
        ctx->note = "Settings without a Settings:Settings body";
        return 0;
    }
    ctx->resp = eas_xml_new_doc(NS, "Settings");
    r_root = xmlDocGetRootElement(ctx->resp);
    eas_xml_add_int(r_root, NULL, "Status", ST_OK);

    /* the response schema allows each element once: answer the first of each kind */
    for (n = root->children; n; n = n->next) {
        xmlNodePtr out;
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (eas_xml_is(n, NS, "DeviceInformation") && !seen_info++) {
            out = eas_xml_add(r_root, NULL, "DeviceInformation", NULL);
            if (!eas_xml_child(n, NS, "Set")) {
                eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
                continue;
            }
            if (eas_device_store_info(ctx->db, ctx->pool, ctx->dev.device_pk, n, &ctx->error) !=
                0) {
                return -1;
            }
            eas_xml_add_int(out, NULL, "Status", ST_OK);
        } else if (eas_xml_is(n, NS, "UserInformation") && !seen_user++) {
            out = eas_xml_add(r_root, NULL, "UserInformation", NULL);
            if (!eas_xml_child(n, NS, "Get")) {
                eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
                continue;
            }
            eas_xml_add_int(out, NULL, "Status", ST_OK);
            user_information(ctx, out);
        } else if (eas_xml_is(n, NS, "DevicePassword") && !seen_pw++) {
            xmlNodePtr set = eas_xml_child(n, NS, "Set");
            out = eas_xml_add(r_root, NULL, "DevicePassword", NULL);
            if (!set) {
                eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
                continue;
            }
            /* PasswordRecoveryEnabled devices send their recovery password here: we keep only
             * the fact and the time, never the secret */
            if (eas_audit(ctx->db, ctx->pool, "device", "device.password", ctx->user,
                          ctx->q->device_id, "{\"stored\": false}", &ctx->error) != 0) {
                return -1;
            }
            eas_xml_add_int(out, NULL, "Status", ST_OK);
        } else if (eas_xml_is(n, NS, "RightsManagementInformation") && !seen_rm++) {
            xmlNsPtr rm = eas_xml_ns(ctx->resp, NSR);
            out = eas_xml_add(r_root, NULL, "RightsManagementInformation", NULL);
            eas_xml_add_int(out, NULL, "Status", ST_OK);
            eas_xml_add(eas_xml_add(out, NULL, "Get", NULL), rm, "RightsManagementTemplates", NULL);
        } else if (eas_xml_is(n, NS, "Oof") && !seen_oof++) {
            out = eas_xml_add(r_root, NULL, "Oof", NULL);
            if (eas_xml_child(n, NS, "Get")) {
                eas_xml_add_int(out, NULL, "Status", ST_OK);
                eas_xml_add_int(eas_xml_add(out, NULL, "Get", NULL), NULL, "OofState", 0);
            } else {
                eas_xml_add_int(out, NULL, "Status", ST_SERVER_UNAVAILABLE);
                ctx->note = "Oof Set is not available in this build";
            }
        }
    }
    return 0;
}
