/* eas_directory.c — the eas_directory_user optional function (mod_eas.h): the user directory of
 * eas_user.h for other modules, through the same per-child pool as the commands. */
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_log.h"

#include "eas_config.h"
#include "eas_directory.h"
#include "eas_user.h"
#include "mod_eas.h"

APLOG_USE_MODULE(eas);

static int eas_directory_user(request_rec *r, const char *user, eas_directory_entry *out)
{
    eas_srv_conf *sc = eas_srv_config(r->server);
    eas_user_info *u = NULL;
    const char *err = NULL;
    PGconn *db;
    int rc;

    out->display_name = NULL;
    out->addresses = apr_array_make(r->pool, 2, sizeof(const char *));
    if (!sc->dbpool) {
        return 1;
    }
    if (!(db = eas_dbpool_acquire(sc->dbpool))) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r,
                      "EAS00120: user directory: no database connection [user=%s]", user);
        return -1;
    }
    rc = eas_user_get(db, r->pool, user, sc->mail_domain, &u, &err);
    eas_dbpool_release(sc->dbpool, db);
    if (rc < 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, "EAS00121: user directory: %s [user=%s]", err,
                      user);
        return -1;
    }
    if (rc == 0) {
        out->display_name = u->display_name;
        out->addresses = eas_user_addresses(r->pool, u);
    } else if (strchr(user, '@')) {
        APR_ARRAY_PUSH(out->addresses, const char *) = user;
    } else if (sc->mail_domain) {
        APR_ARRAY_PUSH(out->addresses, const char *) =
            apr_pstrcat(r->pool, user, "@", sc->mail_domain, NULL);
    }
    return 0;
}

void eas_directory_register(void)
{
    APR_REGISTER_OPTIONAL_FN(eas_directory_user);
}
