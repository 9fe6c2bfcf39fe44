/* eas_meeting.c — meeting requests, cancellations and replies reaching local users (see
 * eas_meeting.h and eas_delivered.h). */
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_db.h"
#include "eas_meeting.h"
#include "eas_submit.h"
#include "eas_user.h"

int eas_meeting_find(eas_store *s, const eas_folder *cal, const char *pim_uid, apr_int64_t *uid,
                     const char **err)
{
    const char *params[3] = {cal->id, s->user_id, pim_uid};
    PGresult *r = eas_db_exec(s->db, s->pool, err,
                              "SELECT uid FROM items WHERE folder_id = $1 AND user_id = $2 "
                              "AND pim_uid = $3 AND NOT expunged ORDER BY uid LIMIT 1",
                              3, params);
    if (!r) {
        return -1;
    }
    *uid = PQntuples(r) ? apr_atoi64(PQgetvalue(r, 0, 0)) : 0;
    PQclear(r);
    return 0;
}

static int store_locked(eas_store *s, const eas_folder *cal, const eas_itip *it,
                        const eas_user_info *u, int answer, int cancelled, apr_int64_t *uid_out,
                        const char **err)
{
    apr_int64_t uid = 0, modseq = 0;
    eas_pim_item item;
    int rc;

    *uid_out = 0;
    if (eas_meeting_find(s, cal, it->uid, &uid, err) != 0) {
        return -1;
    }
    if (answer == EAS_ITIP_DECLINE) {
        if (uid && (rc = s->provider->expunge(s, cal, uid)) != EAS_ST_OK &&
            rc != EAS_ST_NOT_FOUND) {
            *err = s->error ? s->error : "cannot remove the event";
            return -1;
        }
        return 0;
    }
    if (cancelled && !uid) {
        return 0; /* nothing to cancel */
    }
    if (eas_itip_to_calendar(s->pool, it, u, answer, cancelled, &item, err) != 0) {
        return 1;
    }
    rc = s->provider->pim_put(s, cal, uid, &item, 0, uid_out, &modseq);
    if (rc == EAS_ST_NOT_FOUND && uid) { /* removed meanwhile: add it again */
        rc = s->provider->pim_put(s, cal, 0, &item, 0, uid_out, &modseq);
    }
    if (rc != EAS_ST_OK) {
        *err = s->error ? s->error : "cannot store the event";
        return -1;
    }
    if (uid && !*uid_out) {
        *uid_out = uid;
    }
    return 0;
}

int eas_meeting_store(eas_store *s, const eas_folder *cal, const eas_itip *it,
                      const eas_user_info *u, int answer, int cancelled, apr_int64_t *uid_out,
                      const char **err)
{
    const char *params[1] = {s->user_id};
    PGresult *r;
    int own = PQtransactionStatus(s->db) == PQTRANS_IDLE, rc;

    /* look-up and write under the user's row lock: a retried or concurrent answer to the same
     * invitation finds the event the first one stored instead of adding a second */
    if (own && eas_db_cmd(s->db, s->pool, err, "BEGIN") != 0) {
        return -1;
    }
    r = eas_db_exec(s->db, s->pool, err, "SELECT 1 FROM users WHERE id = $1 FOR UPDATE", 1, params);
    if (!r) {
        rc = -1;
    } else {
        PQclear(r);
        rc = store_locked(s, cal, it, u, answer, cancelled, uid_out, err);
    }
    if (own) {
        const char *e2 = NULL;
        if (rc < 0) {
            eas_db_cmd(s->db, s->pool, &e2, "ROLLBACK");
        } else if (eas_db_cmd(s->db, s->pool, &e2, "COMMIT") != 0) {
            *err = e2;
            rc = -1;
        }
    }
    return rc;
}

/* Whether the invitation is older than the stored event (lower SEQUENCE, or the same SEQUENCE
 * and no newer DTSTAMP: a second delivery of the same message). */
static int is_stale(eas_store *s, const eas_folder *cal, apr_int64_t uid, const eas_itip *it)
{
    eas_pim_item *old = NULL;
    icalcomponent *ccal, *ev;
    icalproperty *prop;
    int seq = 0, stale;
    apr_time_t stamp = 0;

    if (!uid || s->provider->pim_get(s, cal, &uid, 1, &old) != 0 || !old || !old->data ||
        !(ccal = icalparser_parse_string(old->data))) {
        return 0;
    }
    ev = icalcomponent_get_first_component(ccal, ICAL_VEVENT_COMPONENT);
    if (ev && (prop = icalcomponent_get_first_property(ev, ICAL_SEQUENCE_PROPERTY))) {
        seq = icalproperty_get_sequence(prop);
    }
    if (ev && (prop = icalcomponent_get_first_property(ev, ICAL_DTSTAMP_PROPERTY))) {
        stamp = (apr_time_t)icaltime_as_timet_with_zone(icalproperty_get_dtstamp(prop),
                                                        icaltimezone_get_utc_timezone()) *
                APR_USEC_PER_SEC;
    }
    icalcomponent_free(ccal);
    stale =
        it->sequence < seq || (it->sequence == seq && it->dtstamp && stamp && it->dtstamp <= stamp);
    return stale;
}

static int on_request(eas_store *s, const eas_folder *cal, const eas_itip *it,
                      const eas_user_info *u, const char **err)
{
    apr_int64_t uid = 0, out = 0;
    int cancelled = strcmp(it->method, "CANCEL") == 0;
    if (it->organizer && eas_user_owns_address(u, it->organizer)) {
        return 0; /* the organizer's own copy: the event is theirs already */
    }
    if (eas_meeting_find(s, cal, it->uid, &uid, err) != 0) {
        return -1;
    }
    if (is_stale(s, cal, uid, it)) {
        return 0;
    }
    return eas_meeting_store(s, cal, it, u, EAS_ITIP_NONE, cancelled, &out, err) < 0 ? -1 : 0;
}

static int on_reply(eas_store *s, const eas_folder *cal, const eas_itip *it, const eas_user_info *u,
                    const char **err)
{
    apr_int64_t uid = 0, nuid = 0, modseq = 0;
    eas_pim_item *old = NULL, item;
    int rc;
    if (!it->organizer || !eas_user_owns_address(u, it->organizer)) {
        return 0; /* only the organizer's event records answers */
    }
    if (eas_meeting_find(s, cal, it->uid, &uid, err) != 0) {
        return -1;
    }
    if (!uid) {
        return 0;
    }
    if (s->provider->pim_get(s, cal, &uid, 1, &old) != 0) {
        *err = s->error;
        return -1;
    }
    if (!old || !old->data) {
        return 0;
    }
    rc = eas_itip_apply_reply(s->pool, old->data, it, &item, err);
    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }
    rc = s->provider->pim_put(s, cal, uid, &item, old->modseq, &nuid, &modseq);
    if (rc == EAS_ST_ERROR) {
        *err = s->error;
        return -1;
    }
    return 0; /* a conflict (changed meanwhile) loses this one answer: acceptable */
}

int eas_meeting_on_delivery(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                            const eas_delivered *d, const char **err)
{
    eas_itip it;
    eas_user_info *u = NULL;
    eas_store *s;
    const eas_folder *cal;
    int rc;

    if (eas_itip_from_mime(p, d->mime, d->len, &it) != 0) {
        return 0; /* not a meeting message */
    }
    rc = eas_user_get(c, p, d->user, conf ? conf->mail_domain : NULL, &u, err);
    if (rc != 0) {
        return rc < 0 ? -1 : 0;
    }
    if (!(s = eas_store_open(p, c, d->user_id, err))) {
        return -1;
    }
    if (!(cal = eas_store_special(s, "calendar"))) {
        return 0;
    }
    if (strcmp(it.method, "REQUEST") == 0 || strcmp(it.method, "CANCEL") == 0) {
        rc = on_request(s, cal, &it, u, err);
    } else if (strcmp(it.method, "REPLY") == 0) {
        rc = on_reply(s, cal, &it, u, err);
    } else {
        rc = 0; /* PUBLISH, COUNTER, REFRESH...: left to the user */
    }
    if (rc != 0 && !*err) {
        *err = s->error ? s->error : "meeting processing failed";
    }
    return rc;
}
