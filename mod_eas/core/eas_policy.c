/* eas_policy.c — policy fields, inheritance and the EASProvisionDoc (see eas_policy.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_sha1.h>
#include <apr_strings.h>

#include "eas_db.h"
#include "eas_policy.h"
#include "eas_query.h"

#define B(name, dflt, help)                                                                        \
    {                                                                                              \
#name, EAS_PT_BOOL, 0, 1, dflt, 1, help                                                    \
    }
#define U(name, min, max, dflt, help)                                                              \
    {                                                                                              \
#name, EAS_PT_UINT, min, max, dflt, 1, help                                                \
    }
#define UE(name, min, max, help)                                                                   \
    {                                                                                              \
#name, EAS_PT_UINT_OR_EMPTY, min, max, "", 1, help                                         \
    }

/* Defaults are Exchange's "Default" mobile device mailbox policy: nothing enforced. */
static const eas_policy_field fields[EAS_POLICY_NFIELDS] = {
    B(DevicePasswordEnabled, "0", "require a device password"),
    B(AlphanumericDevicePasswordRequired, "0", "password must contain letters and digits"),
    B(PasswordRecoveryEnabled, "0", "device may send a recovery password to the server"),
    B(RequireStorageCardEncryption, "0", "encrypt storage cards"),
    B(AttachmentsEnabled, "1", "attachments may be downloaded"),
    UE(MinDevicePasswordLength, 1, 16, "minimum password length (empty: none)"),
    UE(MaxInactivityTimeDeviceLock, 0, 9999, "seconds of inactivity before lock (empty: none)"),
    UE(MaxDevicePasswordFailedAttempts, 4, 16, "failed unlocks before wipe (empty: none)"),
    UE(MaxAttachmentSize, 0, 2147483647L, "largest attachment in bytes (empty: unlimited)"),
    B(AllowSimpleDevicePassword, "1", "allow simple passwords such as 1234"),
    UE(DevicePasswordExpiration, 0, 730, "days until the password expires (empty: never)"),
    U(DevicePasswordHistory, 0, 50, "0", "passwords remembered and not reusable"),
    B(AllowStorageCard, "1", "allow storage cards"),
    B(AllowCamera, "1", "allow the camera"),
    B(RequireDeviceEncryption, "0", "require device encryption"),
    B(AllowUnsignedApplications, "1", "allow unsigned applications"),
    B(AllowUnsignedInstallationPackages, "1", "allow unsigned installation packages"),
    U(MinDevicePasswordComplexCharacters, 1, 4, "1", "character classes required in passwords"),
    B(AllowWiFi, "1", "allow Wi-Fi"),
    B(AllowTextMessaging, "1", "allow SMS/MMS"),
    B(AllowPOPIMAPEmail, "1", "allow POP/IMAP accounts"),
    U(AllowBluetooth, 0, 2, "2", "Bluetooth: 0 off, 1 hands-free only, 2 allowed"),
    B(AllowIrDA, "1", "allow infrared"),
    B(RequireManualSyncWhenRoaming, "0", "sync manually while roaming"),
    B(AllowDesktopSync, "1", "allow desktop sync"),
    U(MaxCalendarAgeFilter, 0, 7, "0",
      "oldest calendar items: 0 all, 4 two weeks, 5 one month, 6 three, 7 six months"),
    B(AllowHTMLEmail, "1", "allow HTML mail"),
    U(MaxEmailAgeFilter, 0, 5, "0",
      "oldest mail: 0 all, 1 one day, 2 three days, 3 one week, 4 two weeks, 5 one month"),
    {"MaxEmailBodyTruncationSize", EAS_PT_INT, -1, 2147483647L, "-1", 1,
     "plain-text body truncation in KB (-1: none)"},
    {"MaxEmailHTMLBodyTruncationSize", EAS_PT_INT, -1, 2147483647L, "-1", 1,
     "HTML body truncation in KB (-1: none)"},
    B(RequireSignedSMIMEMessages, "0", "require signed S/MIME"),
    B(RequireEncryptedSMIMEMessages, "0", "require encrypted S/MIME"),
    U(RequireSignedSMIMEAlgorithm, 0, 1, "0", "S/MIME signing: 0 SHA1, 1 MD5"),
    U(RequireEncryptionSMIMEAlgorithm, 0, 4, "0",
      "S/MIME encryption: 0 3DES, 1 DES, 2 RC2-128, 3 RC2-64, 4 RC2-40"),
    U(AllowSMIMEEncryptionAlgorithmNegotiation, 0, 2, "2",
      "algorithm negotiation: 0 no, 1 strong only, 2 any"),
    B(AllowSMIMESoftCerts, "1", "allow S/MIME soft certificates"),
    B(AllowBrowser, "1", "allow the browser"),
    B(AllowConsumerEmail, "1", "allow consumer mail accounts"),
    B(AllowRemoteDesktop, "1", "allow remote desktop"),
    B(AllowInternetSharing, "1", "allow tethering"),
    {"UnapprovedInROMApplicationList", EAS_PT_LIST, 0, 0, "", 1,
     "in-ROM applications that may not run (comma-separated)"},
    {"ApprovedApplicationList", EAS_PT_LIST, 0, 0, "", 1,
     "SHA-1 hashes of approved applications (comma-separated)"},
    {"AllowNonProvisionableDevices", EAS_PT_BOOL, 0, 1, "0", 0,
     "devices that do not provision (or only partially) may sync"},
    {"DevicePolicyRefreshInterval", EAS_PT_UINT, 0, 8760, "0", 0,
     "hours after which devices must provision again (0: only on change)"},
    {"MaxProtocolVersion", EAS_PT_VERSION, 0, 0, "16.1", 0,
     "highest ActiveSync version offered to these users/devices"},
};

const eas_policy_field *eas_policy_field_at(int i)
{
    return (i >= 0 && i < EAS_POLICY_NFIELDS) ? &fields[i] : NULL;
}

int eas_policy_field_index(const char *name)
{
    int i;
    for (i = 0; name && i < EAS_POLICY_NFIELDS; ++i) {
        if (strcasecmp(fields[i].name, name) == 0) {
            return i;
        }
    }
    return -1;
}

const char *eas_policy_scope_name(eas_policy_scope s)
{
    static const char *const names[] = {"default", "global", "domain", "user", "device"};
    return (s >= EAS_SCOPE_DEFAULT && s <= EAS_SCOPE_DEVICE) ? names[s] : "?";
}

const char *eas_policy_user_domain(const char *user)
{
    const char *at = user ? strrchr(user, '@') : NULL;
    return (at && at[1]) ? at + 1 : NULL;
}

static int parse_long(const char *s, long *out)
{
    char *end;
    long v;
    /* strtol would also take " 5" and "+5": accept only what the documents carry */
    if (!*s || !(isdigit((unsigned char)*s) || (*s == '-' && isdigit((unsigned char)s[1])))) {
        return 0;
    }
    v = strtol(s, &end, 10);
    if (*end) {
        return 0;
    }
    *out = v;
    return 1;
}

const char *eas_policy_check_value(apr_pool_t *p, int i, const char *value, const char **norm)
{
    const eas_policy_field *f = eas_policy_field_at(i);
    long v;

    if (!f || !value) {
        return "unknown policy setting";
    }
    switch (f->type) {
    case EAS_PT_BOOL:
        if (!strcmp(value, "1") || !strcasecmp(value, "true") || !strcasecmp(value, "yes") ||
            !strcasecmp(value, "on")) {
            *norm = "1";
            return NULL;
        }
        if (!strcmp(value, "0") || !strcasecmp(value, "false") || !strcasecmp(value, "no") ||
            !strcasecmp(value, "off")) {
            *norm = "0";
            return NULL;
        }
        return apr_psprintf(p, "%s takes 0 or 1 (true/false)", f->name);
    case EAS_PT_UINT_OR_EMPTY:
        if (!*value || !strcasecmp(value, "none") || !strcasecmp(value, "unlimited")) {
            *norm = "";
            return NULL;
        }
        /* fall through */
    case EAS_PT_UINT:
    case EAS_PT_INT:
        if (!parse_long(value, &v) || v < f->min || v > f->max) {
            return apr_psprintf(p, "%s takes a whole number from %ld to %ld%s", f->name, f->min,
                                f->max,
                                f->type == EAS_PT_UINT_OR_EMPTY ? " (or empty for none)" : "");
        }
        *norm = apr_ltoa(p, v);
        return NULL;
    case EAS_PT_LIST: {
        /* trim the items, drop empty ones */
        char *copy = apr_pstrdup(p, value), *tok, *state;
        const char *out = "";
        for (tok = apr_strtok(copy, ",", &state); tok; tok = apr_strtok(NULL, ",", &state)) {
            char *e;
            while (isspace((unsigned char)*tok)) {
                ++tok;
            }
            e = tok + strlen(tok);
            while (e > tok && isspace((unsigned char)e[-1])) {
                *--e = '\0';
            }
            if (*tok) {
                out = *out ? apr_pstrcat(p, out, ",", tok, NULL) : tok;
            }
        }
        *norm = out;
        return NULL;
    }
    case EAS_PT_VERSION:
        if (eas_protocol_version_num(value) < 120) { /* 2.5 is not offered by this server */
            return apr_psprintf(p, "%s takes an ActiveSync version (12.0 ... 16.1)", f->name);
        }
        *norm = value;
        return NULL;
    }
    return "unknown policy type";
}

void eas_policy_defaults(eas_policy *pol)
{
    int i;
    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        pol->value[i] = fields[i].dflt;
        pol->source[i] = EAS_SCOPE_DEFAULT;
    }
}

int eas_policy_load(PGconn *c, apr_pool_t *p, const char *user, const char *device_pk,
                    eas_policy *pol, const char **err)
{
    /* ordered so that later rows override earlier ones */
    static const char sql[] =
        "SELECT scope, name, value FROM policies WHERE scope = 'global'"
        " OR (scope = 'domain' AND lower(scope_key) = lower($1))"
        " OR (scope = 'user' AND scope_key = $2)"
        " OR (scope = 'device' AND device_pk = $3::bigint)"
        " ORDER BY CASE scope WHEN 'global' THEN 1 WHEN 'domain' THEN 2 WHEN 'user' THEN 3"
        " ELSE 4 END";
    const char *params[3];
    PGresult *r;
    int row;

    eas_policy_defaults(pol);
    params[0] = eas_policy_user_domain(user);
    params[1] = user;
    params[2] = device_pk;
    r = eas_db_exec(c, p, err, sql, 3, params);
    if (!r) {
        return -1;
    }
    for (row = 0; row < PQntuples(r); ++row) {
        const char *scope = PQgetvalue(r, row, 0);
        int i = eas_policy_field_index(PQgetvalue(r, row, 1));
        const char *norm;
        if (i < 0 || eas_policy_check_value(p, i, PQgetvalue(r, row, 2), &norm) != NULL) {
            continue; /* a setting from a newer/older version, or edited by hand: ignore */
        }
        pol->value[i] = apr_pstrdup(p, norm);
        pol->source[i] = !strcmp(scope, "global")   ? EAS_SCOPE_GLOBAL
                         : !strcmp(scope, "domain") ? EAS_SCOPE_DOMAIN
                         : !strcmp(scope, "user")   ? EAS_SCOPE_USER
                                                    : EAS_SCOPE_DEVICE;
    }
    PQclear(r);
    return 0;
}

const char *eas_policy_hash(apr_pool_t *p, const eas_policy *pol)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[APR_SHA1_DIGESTSIZE];
    apr_sha1_ctx_t ctx;
    char *out = apr_palloc(p, 2 * APR_SHA1_DIGESTSIZE + 1);
    int i;

    apr_sha1_init(&ctx);
    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        if (i == EAS_POL_MaxProtocolVersion) {
            continue; /* offered versions do not change what a device must enforce */
        }
        apr_sha1_update(&ctx, fields[i].name, (unsigned int)strlen(fields[i].name));
        apr_sha1_update(&ctx, "=", 1);
        apr_sha1_update(&ctx, pol->value[i], (unsigned int)strlen(pol->value[i]));
        apr_sha1_update(&ctx, "\n", 1);
    }
    apr_sha1_final(digest, &ctx);
    for (i = 0; i < APR_SHA1_DIGESTSIZE; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[2 * APR_SHA1_DIGESTSIZE] = '\0';
    return out;
}

xmlNodePtr eas_policy_to_doc(const eas_policy *pol, xmlNodePtr parent, xmlNsPtr ns)
{
    xmlNodePtr doc = xmlNewChild(parent, ns, BAD_CAST "EASProvisionDoc", NULL);
    int i;

    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        const eas_policy_field *f = &fields[i];
        if (!f->in_doc) {
            continue;
        }
        if (f->type == EAS_PT_LIST) {
            const char *item = i == EAS_POL_ApprovedApplicationList ? "Hash" : "ApplicationName";
            char *copy, *tok, *state;
            xmlNodePtr list;
            if (!*pol->value[i]) {
                continue; /* an empty list says nothing: leave it out */
            }
            list = xmlNewChild(doc, ns, BAD_CAST f->name, NULL);
            copy = strdup(pol->value[i]);
            for (tok = strtok_r(copy, ",", &state); tok; tok = strtok_r(NULL, ",", &state)) {
                xmlNewTextChild(list, ns, BAD_CAST item, BAD_CAST tok);
            }
            free(copy);
            continue;
        }
        /* "" (no limit) is an empty element, as the schema's unsignedIntOrEmpty allows */
        xmlNewChild(doc, ns, BAD_CAST f->name, *pol->value[i] ? BAD_CAST pol->value[i] : NULL);
    }
    return doc;
}

int eas_policy_bool(const eas_policy *pol, int field)
{
    return pol->value[field] && pol->value[field][0] == '1';
}
