/* eas_device.c — device registry (see eas_device.h). */
#include <apr_strings.h>

#include "eas_db.h"
#include "eas_device.h"
#include "eas_xml.h"

/* One round trip. users is only inserted on first sight (DO NOTHING), so the hot path writes
 * just the device row. A user created concurrently by another connection after our snapshot
 * yields no row: the caller's retry then finds it.
 *
 * eas_count_request (sql/012_command_stats.sql) counts the request for the console's
 * requests-per-hour chart, in its own upsert whose plan the session keeps (planning it here on
 * every request cost three times as much), and purges rows older than 30 days once an hour. It is
 * called per row of d, so a request that found no user row is counted once, by the retry. Only
 * known commands get here (an unknown Cmd is answered 501 first). The third column is void. */
static const char touch_sql[] =
    "WITH ins AS (INSERT INTO users(name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id),"
    " u AS (SELECT id FROM ins UNION ALL SELECT id FROM users WHERE name = $1 LIMIT 1),"
    " d AS (INSERT INTO devices (user_id, device_id, device_type, user_agent, protocol_version,"
    "                            last_command, remote_addr)"
    "  SELECT id, $2, $3, $4, $5, $6, $7 FROM u"
    "  ON CONFLICT (user_id, device_id) DO UPDATE SET"
    "   device_type = EXCLUDED.device_type,"
    "   user_agent = coalesce(EXCLUDED.user_agent, devices.user_agent),"
    "   protocol_version = coalesce(EXCLUDED.protocol_version, devices.protocol_version),"
    "   last_command = EXCLUDED.last_command, remote_addr = EXCLUDED.remote_addr,"
    "   last_seen = now()"
    "  RETURNING user_id, id)"
    " SELECT user_id, id, eas_count_request(id, $6) FROM d";

int eas_device_touch(PGconn *c, apr_pool_t *p, const char *user, const eas_query *q,
                     const char *user_agent, const char *remote_addr, eas_device_ref *ref,
                     const char **err)
{
    const char *params[7];
    int attempt;

    params[0] = user;
    params[1] = q->device_id;
    params[2] = q->device_type;
    params[3] = user_agent;
    params[4] = q->protocol_version;
    params[5] = q->cmd ? q->cmd->name : q->cmd_name;
    params[6] = remote_addr;
    for (attempt = 0; attempt < 2; ++attempt) {
        PGresult *r = eas_db_exec(c, p, err, touch_sql, 7, params);
        if (!r) {
            return -1;
        }
        if (PQntuples(r) == 1) {
            ref->user_id = apr_pstrdup(p, PQgetvalue(r, 0, 0));
            ref->device_pk = apr_pstrdup(p, PQgetvalue(r, 0, 1));
            PQclear(r);
            return 0;
        }
        PQclear(r);
    }
    *err = "user row not visible after insert";
    return -1;
}

int eas_device_store_info(PGconn *c, apr_pool_t *p, const char *device_pk, xmlNodePtr info,
                          const char **err)
{
    static const char *const names[] = {"Model",     "IMEI",           "FriendlyName",
                                        "OS",        "OSLanguage",     "PhoneNumber",
                                        "UserAgent", "MobileOperator", NULL};
    xmlNodePtr set = eas_xml_child(info, "Settings:", "Set");
    const char *params[9];
    PGresult *r;
    int i;

    if (!set) {
        return 0;
    }
    params[0] = device_pk;
    for (i = 0; names[i]; ++i) {
        const char *v = eas_xml_child_text(set, "Settings:", names[i]);
        params[i + 1] = v ? apr_pstrndup(p, v, 512) : NULL; /* bound what a device can store */
    }
    r = eas_db_exec(c, p, err,
                    "UPDATE devices SET model = coalesce($2, model), imei = coalesce($3, imei),"
                    " friendly_name = coalesce($4, friendly_name), os = coalesce($5, os),"
                    " os_language = coalesce($6, os_language),"
                    " phone_number = coalesce($7, phone_number),"
                    " info_user_agent = coalesce($8, info_user_agent),"
                    " mobile_operator = coalesce($9, mobile_operator),"
                    " info_updated_at = now() WHERE id = $1",
                    9, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}
