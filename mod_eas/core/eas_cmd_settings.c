/* eas_cmd_settings.c — the Settings command (MS-ASCMD 2.2.1.18): Oof Get/Set (stored per user,
 * answered by the delivery hook in eas_oof.c), DeviceInformation Set (the device registry),
 * UserInformation Get (the user directory, eas_user.h), DevicePassword Set (recorded as a time,
 * never the password) and RightsManagementInformation Get (no templates). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_audit.h"
#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_device.h"
#include "eas_mime.h"
#include "eas_oof.h"
#include "eas_submit.h"
#include "eas_user.h"
#include "eas_xml.h"

#define NS  "Settings:"
#define NSR "RightsManagement:"

#define ST_OK             1
#define ST_PROTOCOL_ERROR 2

#define MAX_REPLY (64 * 1024) /* bytes of one OOF message */

static const char *const applies_to[EAS_OOF_AUDIENCES] = {
    "AppliesToInternal", "AppliesToExternalKnown", "AppliesToExternalUnknown"};

/* MS-ASDTYPE dateTime ("2024-05-01T08:00:00.000Z", fraction and Z optional) as the same form
 * with milliseconds, so two of them compare as strings; NULL when invalid. */
static const char *parse_time(apr_pool_t *p, const char *s)
{
    static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec, n = 0, ms = 0;
    const char *rest;

    if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
        n != 19) {
        return NULL;
    }
    rest = s + n;
    if (*rest == '.') {
        int digits = 0;
        for (++rest; *rest >= '0' && *rest <= '9'; ++rest, ++digits) {
            if (digits < 3) {
                ms = ms * 10 + (*rest - '0');
            }
        }
        if (!digits) {
            return NULL;
        }
        for (; digits < 3; ++digits) {
            ms *= 10;
        }
    }
    if (*rest == 'Z') {
        ++rest;
    }
    if (*rest || y < 1601 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
        (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0)) || h > 23 ||
        mi > 59 || sec > 59 || h < 0 || mi < 0 || sec < 0) {
        return NULL;
    }
    return apr_psprintf(p, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, mo, d, h, mi, sec, ms);
}

/* "Text" -> 0, "HTML" -> 1, anything else -1. */
static int body_type(const char *v)
{
    if (v && strcasecmp(v, "Text") == 0) {
        return 0;
    }
    if (v && strcasecmp(v, "HTML") == 0) {
        return 1;
    }
    return -1;
}

/* Oof Get: the settings with each message in the body type the device asked for. */
static int oof_get(eas_cmd_ctx *ctx, xmlNodePtr get, xmlNodePtr out)
{
    const char *bt = eas_xml_child_text(get, NS, "BodyType");
    int want_html = bt ? body_type(bt) : 0, a;
    xmlNodePtr g;
    eas_oof oof;

    if (want_html < 0) {
        eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
        return 0;
    }
    if (eas_oof_load(ctx->db, ctx->pool, ctx->dev.user_id, &oof, &ctx->error) != 0) {
        return -1;
    }
    eas_xml_add_int(out, NULL, "Status", ST_OK);
    g = eas_xml_add(out, NULL, "Get", NULL);
    eas_xml_add_int(g, NULL, "OofState", oof.state);
    if (oof.state == 2) {
        eas_xml_add(g, NULL, "StartTime", oof.start);
        eas_xml_add(g, NULL, "EndTime", oof.end);
    }
    for (a = 0; a < EAS_OOF_AUDIENCES; ++a) {
        xmlNodePtr m = eas_xml_add(g, NULL, "OofMessage", NULL);
        const char *text = oof.msg[a].text;
        eas_xml_add(m, NULL, applies_to[a], NULL);
        eas_xml_add_int(m, NULL, "Enabled", oof.msg[a].enabled);
        if (text) {
            if (want_html && !oof.msg[a].html) {
                text = eas_mime_text_to_html(ctx->pool, text);
            } else if (!want_html && oof.msg[a].html) {
                text = eas_oof_html_to_text(ctx->pool, text);
            }
            eas_xml_add(m, NULL, "ReplyMessage", text);
        }
        eas_xml_add(m, NULL, "BodyType", want_html ? "HTML" : "Text");
    }
    return 0;
}

/* One OofMessage of a Set applied to oof; 0, or -1 when malformed. */
static int oof_set_message(xmlNodePtr n, eas_oof *oof)
{
    const char *enabled = eas_xml_child_text(n, NS, "Enabled"),
               *reply = eas_xml_child_text(n, NS, "ReplyMessage"),
               *bt = eas_xml_child_text(n, NS, "BodyType");
    int a, which = -1, html = bt ? body_type(bt) : 0;

    for (a = 0; a < EAS_OOF_AUDIENCES; ++a) {
        if (eas_xml_child(n, NS, applies_to[a])) {
            if (which >= 0) {
                return -1; /* one audience per message */
            }
            which = a;
        }
    }
    if (which < 0 || html < 0 || (enabled && strcmp(enabled, "0") && strcmp(enabled, "1")) ||
        (reply && strlen(reply) > MAX_REPLY)) {
        return -1;
    }
    if (enabled) {
        oof->msg[which].enabled = enabled[0] == '1';
    }
    if (reply) {
        oof->msg[which].text = reply;
        oof->msg[which].html = html;
    }
    return 0;
}

/* Oof Set: validated as a whole, then stored (a new reply period starts). */
static int oof_set(eas_cmd_ctx *ctx, xmlNodePtr set, xmlNodePtr out)
{
    const char *state = eas_xml_child_text(set, NS, "OofState"),
               *st = eas_xml_child_text(set, NS, "StartTime"),
               *et = eas_xml_child_text(set, NS, "EndTime");
    const char *start = st ? parse_time(ctx->pool, st) : NULL,
               *end = et ? parse_time(ctx->pool, et) : NULL;
    eas_oof oof;
    xmlNodePtr n;

    if (eas_oof_load(ctx->db, ctx->pool, ctx->dev.user_id, &oof, &ctx->error) != 0) {
        return -1;
    }
    if ((state && (strlen(state) != 1 || state[0] < '0' || state[0] > '2')) || (!st != !et) ||
        (st && !start) || (et && !end)) {
        goto bad;
    }
    if (state) {
        oof.state = state[0] - '0';
    }
    /* times are kept only with a timed state (MS-ASCMD 2.2.3.124) */
    if (start && oof.state == 2) {
        oof.start = start;
        oof.end = end;
    }
    if (oof.state == 2 && (!oof.start || !oof.end || strcmp(oof.start, oof.end) >= 0)) {
        goto bad;
    }
    for (n = set->children; n; n = n->next) {
        if (eas_xml_is(n, NS, "OofMessage") && oof_set_message(n, &oof) != 0) {
            goto bad;
        }
    }
    if (eas_oof_store(ctx->db, ctx->pool, ctx->dev.user_id, &oof, &ctx->error) != 0) {
        return -1;
    }
    eas_xml_add_int(out, NULL, "Status", ST_OK);
    return 0;
bad:
    ctx->note = "malformed Oof Set";
    eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
    return 0;
}

/* The user's addresses (SMTPAddress for each, then the primary) into EmailAddresses. */
static void add_addresses(eas_cmd_ctx *ctx, xmlNodePtr parent, const eas_user_info *u,
                          int with_primary)
{
    apr_array_header_t *all = eas_user_addresses(ctx->pool, u);
    xmlNodePtr addrs;
    int i;

    if (!all->nelts) {
        return;
    }
    addrs = eas_xml_add(parent, NULL, "EmailAddresses", NULL);
    for (i = 0; i < all->nelts; ++i) {
        eas_xml_add(addrs, NULL, "SMTPAddress", APR_ARRAY_IDX(all, i, const char *));
    }
    if (with_primary && u->email) {
        eas_xml_add(addrs, NULL, "PrimarySmtpAddress", u->email);
    }
}

static int user_information(eas_cmd_ctx *ctx, xmlNodePtr out)
{
    const char *domain = ctx->submit ? ctx->submit->mail_domain : NULL;
    eas_user_info *u = NULL;
    xmlNodePtr get;
    int rc = eas_user_get(ctx->db, ctx->pool, ctx->user, domain, &u, &ctx->error);

    if (rc < 0) {
        return -1;
    }
    eas_xml_add_int(out, NULL, "Status", ST_OK);
    get = eas_xml_add(out, NULL, "Get", NULL);
    if (rc != 0) {
        return 0; /* no directory entry yet: nothing to tell */
    }
    if (ctx->version >= 141) {
        /* one account: the mailbox itself (no AccountId: it is the default account) */
        xmlNodePtr acc =
            eas_xml_add(eas_xml_add(get, NULL, "Accounts", NULL), NULL, "Account", NULL);
        eas_xml_add(acc, NULL, "AccountName", u->email ? u->email : u->name);
        eas_xml_add(acc, NULL, "UserDisplayName", u->display_name);
        add_addresses(ctx, acc, u, 1);
    } else {
        add_addresses(ctx, get, u, 0);
    }
    return 0;
}

/* PasswordRecoveryEnabled devices send their recovery password here: we keep only the fact and
 * the time, never the secret. */
static int device_password(eas_cmd_ctx *ctx)
{
    const char *params[1] = {ctx->dev.device_pk};
    PGresult *r =
        eas_db_exec(ctx->db, ctx->pool, &ctx->error,
                    "UPDATE devices SET password_recovery_set_at = now() WHERE id = $1", 1, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return eas_audit(ctx->db, ctx->pool, "device", "device.password", ctx->user, ctx->q->device_id,
                     "{\"stored\": false}", &ctx->error);
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
            if (user_information(ctx, out) != 0) {
                return -1;
            }
        } else if (eas_xml_is(n, NS, "DevicePassword") && !seen_pw++) {
            xmlNodePtr set = eas_xml_child(n, NS, "Set");
            out = eas_xml_add(r_root, NULL, "DevicePassword", NULL);
            if (!set) {
                eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
                continue;
            }
            if (device_password(ctx) != 0) {
                return -1;
            }
            eas_xml_add_int(out, NULL, "Status", ST_OK);
        } else if (eas_xml_is(n, NS, "RightsManagementInformation") && !seen_rm++) {
            xmlNsPtr rm = eas_xml_ns(ctx->resp, NSR);
            out = eas_xml_add(r_root, NULL, "RightsManagementInformation", NULL);
            eas_xml_add_int(out, NULL, "Status", ST_OK);
            eas_xml_add(eas_xml_add(out, NULL, "Get", NULL), rm, "RightsManagementTemplates", NULL);
        } else if (eas_xml_is(n, NS, "Oof") && !seen_oof++) {
            xmlNodePtr get = eas_xml_child(n, NS, "Get"), set = eas_xml_child(n, NS, "Set");
            out = eas_xml_add(r_root, NULL, "Oof", NULL);
            if (!get == !set) {
                eas_xml_add_int(out, NULL, "Status", ST_PROTOCOL_ERROR);
            } else if ((get ? oof_get(ctx, get, out) : oof_set(ctx, set, out)) != 0) {
                return -1;
            }
        }
    }
    return 0;
}
