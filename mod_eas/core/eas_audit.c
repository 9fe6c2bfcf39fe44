/* eas_audit.c — audit log writer (see eas_audit.h). */
#include <stdio.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_audit.h"
#include "eas_db.h"

int eas_audit(PGconn *c, apr_pool_t *p, const char *actor, const char *action,
              const char *user_name, const char *device_id, const char *details_json,
              const char **err)
{
    const char *params[5];
    PGresult *r;

    params[0] = actor ? actor : "unknown";
    params[1] = action;
    params[2] = user_name;
    params[3] = device_id;
    params[4] = details_json ? details_json : "{}";
    r = eas_db_exec(c, p, err,
                    "INSERT INTO audit_log (actor, action, user_name, device_id, details)"
                    " VALUES ($1, $2, $3, $4, $5::jsonb)",
                    5, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}

int eas_audit_device_error(PGconn *c, apr_pool_t *p, const char *action, const char *user_name,
                           const char *device_id, const char *command, int status, const char *why,
                           const char **err)
{
    const char *params[4];
    PGresult *r;

    params[0] = action;
    params[1] = user_name;
    params[2] = device_id;
    params[3] = apr_psprintf(p, "{\"command\": %s, \"status\": %d, \"why\": %s}",
                             eas_json_str(p, command), status, eas_json_str(p, why));
    r = eas_db_exec(c, p, err,
                    "INSERT INTO audit_log (actor, action, user_name, device_id, details)"
                    " SELECT 'device', $1, $2, $3, $4::jsonb WHERE NOT EXISTS ("
                    "  SELECT 1 FROM audit_log WHERE user_name = $2 AND device_id = $3"
                    "   AND action = $1 AND at > now() - interval '5 minutes'"
                    "   AND details->'command' = $4::jsonb->'command'"
                    "   AND details->'status' = $4::jsonb->'status')",
                    4, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}

const char *eas_json_str(apr_pool_t *p, const char *s)
{
    size_t n = s ? strlen(s) : 0, i;
    char *out, *o;

    if (!s) {
        return "null";
    }
    out = o = apr_palloc(p, n * 6 + 3);
    *o++ = '"';
    for (i = 0; i < n; ++i) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = (char)ch;
        } else if (ch < 0x20) {
            o += sprintf(o, "\\u%04x", ch);
        } else {
            *o++ = (char)ch;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}
