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
