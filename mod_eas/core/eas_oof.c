/* eas_oof.c — out-of-office settings and automatic replies (see eas_oof.h).
 *
 * A reply goes out only when RFC 3834 allows it: never to automatic mail (Auto-Submitted other
 * than "no", Precedence bulk/list/junk, List-Id, X-Auto-Response-Suppress), never to a null or
 * system sender, never to the user's own addresses, and at most once per sender per period. The
 * claim on oof_replies is taken before sending and given back when the send fails, so two
 * deliveries racing for the same sender produce one reply. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <gmime/gmime.h>

#include "eas_db.h"
#include "eas_mime.h"
#include "eas_compose.h"
#include "eas_oof.h"
#include "eas_submit.h"
#include "eas_user.h"

#define TIME_FMT       "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'"
#define MAX_REFERENCES 10

/* --- settings ---------------------------------------------------------------------------- */

int eas_oof_load(PGconn *c, apr_pool_t *p, const char *user_id, eas_oof *out, const char **err)
{
    const char *params[1] = {user_id};
    PGresult *r;
    int a;

    memset(out, 0, sizeof(*out));
    r = eas_db_exec(c, p, err,
                    "SELECT state, to_char(start_time AT TIME ZONE 'UTC', " TIME_FMT "), "
                    "to_char(end_time AT TIME ZONE 'UTC', " TIME_FMT "), "
                    "internal_on, internal_msg, internal_html, known_on, known_msg, known_html, "
                    "unknown_on, unknown_msg, unknown_html "
                    "FROM oof_settings WHERE user_id = $1",
                    1, params);
    if (!r) {
        return -1;
    }
    if (PQntuples(r) == 1) {
        out->state = atoi(PQgetvalue(r, 0, 0));
        out->start = PQgetisnull(r, 0, 1) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, 1));
        out->end = PQgetisnull(r, 0, 2) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, 2));
        for (a = 0; a < EAS_OOF_AUDIENCES; ++a) {
            int col = 3 + 3 * a;
            out->msg[a].enabled = PQgetvalue(r, 0, col)[0] == 't';
            out->msg[a].text =
                PQgetisnull(r, 0, col + 1) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, col + 1));
            out->msg[a].html = PQgetvalue(r, 0, col + 2)[0] == 't';
        }
    }
    PQclear(r);
    return 0;
}

int eas_oof_store(PGconn *c, apr_pool_t *p, const char *user_id, const eas_oof *in,
                  const char **err)
{
    const char *params[13];
    PGresult *r;
    int a;

    params[0] = user_id;
    params[1] = apr_itoa(p, in->state);
    params[2] = in->start;
    params[3] = in->end;
    for (a = 0; a < EAS_OOF_AUDIENCES; ++a) {
        params[4 + 3 * a] = in->msg[a].enabled ? "t" : "f";
        params[5 + 3 * a] = in->msg[a].text;
        params[6 + 3 * a] = in->msg[a].html ? "t" : "f";
    }
    if (eas_db_cmd(c, p, err, "BEGIN") != 0) {
        return -1;
    }
    r = eas_db_exec(c, p, err,
                    "INSERT INTO oof_settings (user_id, state, start_time, end_time, internal_on, "
                    "internal_msg, internal_html, known_on, known_msg, known_html, unknown_on, "
                    "unknown_msg, unknown_html, updated_at) "
                    "VALUES ($1, $2::smallint, $3::timestamptz, $4::timestamptz, $5::boolean, $6, "
                    "$7::boolean, $8::boolean, $9, $10::boolean, $11::boolean, $12, $13::boolean, "
                    "now()) "
                    "ON CONFLICT (user_id) DO UPDATE SET state = EXCLUDED.state, "
                    "start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time, "
                    "internal_on = EXCLUDED.internal_on, internal_msg = EXCLUDED.internal_msg, "
                    "internal_html = EXCLUDED.internal_html, known_on = EXCLUDED.known_on, "
                    "known_msg = EXCLUDED.known_msg, known_html = EXCLUDED.known_html, "
                    "unknown_on = EXCLUDED.unknown_on, unknown_msg = EXCLUDED.unknown_msg, "
                    "unknown_html = EXCLUDED.unknown_html, updated_at = now()",
                    13, params);
    if (!r) {
        PQclear(PQexec(c, "ROLLBACK"));
        return -1;
    }
    PQclear(r);
    /* a new Set is a new period: everybody may get the (possibly new) reply once more */
    r = eas_db_exec(c, p, err, "DELETE FROM oof_replies WHERE user_id = $1", 1, params);
    if (!r) {
        PQclear(PQexec(c, "ROLLBACK"));
        return -1;
    }
    PQclear(r);
    return eas_db_cmd(c, p, err, "COMMIT");
}

const char *eas_oof_html_to_text(apr_pool_t *p, const char *html)
{
    /* the MIME parser already renders HTML-only bodies as text: reuse it rather than keep a
     * second renderer */
    const char *msg =
        apr_pstrcat(p, "Content-Type: text/html; charset=utf-8\n\n", html ? html : "", NULL);
    eas_mime_info info;
    const char *err = NULL;

    if (eas_mime_parse(p, msg, strlen(msg), &info, &err) != 0 || !info.text) {
        return "";
    }
    return info.text;
}

/* --- the delivery hook ------------------------------------------------------------------- */

static const char *domain_of(const char *addr)
{
    const char *at = addr ? strchr(addr, '@') : NULL;
    return at && at[1] ? at + 1 : NULL;
}

/* The header block of a message: enough to decide and to answer, without parsing the body. */
static GMimeMessage *parse_headers(apr_pool_t *p, const char *mime, apr_size_t len)
{
    apr_size_t i, end = len;
    GMimeStream *st;
    GMimeParser *ps;
    GMimeMessage *m;
    char *copy;

    for (i = 0; i + 1 < len; ++i) {
        if (mime[i] == '\n' &&
            (mime[i + 1] == '\n' || (mime[i + 1] == '\r' && i + 2 < len && mime[i + 2] == '\n'))) {
            end = i + 1;
            break;
        }
    }
    copy = apr_palloc(p, end + 2);
    memcpy(copy, mime, end);
    copy[end] = '\n';
    copy[end + 1] = '\0';
    st = g_mime_stream_mem_new_with_buffer(copy, end + 1);
    ps = g_mime_parser_new_with_stream(st);
    m = g_mime_parser_construct_message(ps, NULL);
    g_object_unref(ps);
    g_object_unref(st);
    return m;
}

static const char *header(GMimeMessage *m, const char *name)
{
    const char *v = g_mime_object_get_header(GMIME_OBJECT(m), name);
    while (v && isspace((unsigned char)*v)) {
        ++v;
    }
    return v;
}

/* First mailbox address of an address list header value, lower case; NULL when none ("<>"). */
static const char *first_address(apr_pool_t *p, InternetAddressList *l)
{
    int i;
    for (i = 0; l && i < internet_address_list_length(l); ++i) {
        InternetAddress *a = internet_address_list_get_address(l, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
            const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a));
            if (addr && strchr(addr, '@') && !strpbrk(addr, " \t\r\n<>,;\"")) {
                char *s = apr_pstrdup(p, addr), *c;
                for (c = s; *c; ++c) {
                    *c = (char)tolower((unsigned char)*c);
                }
                return s;
            }
        }
    }
    return NULL;
}

/* The address a reply goes to: the envelope sender (Return-Path) when the MTA recorded it, else
 * From. NULL: nobody to answer (null reverse path). */
static const char *reply_address(apr_pool_t *p, GMimeMessage *m)
{
    const char *rp = header(m, "Return-Path");
    if (rp) {
        InternetAddressList *l = internet_address_list_parse(NULL, rp);
        const char *a = first_address(p, l);
        if (l) {
            g_object_unref(l);
        }
        return a;
    }
    return first_address(p, g_mime_message_get_from(m));
}

static int token_is(const char *v, const char *word)
{
    size_t n = strlen(word);
    return v && strncasecmp(v, word, n) == 0 &&
           (v[n] == '\0' || v[n] == ';' || isspace((unsigned char)v[n]));
}

/* RFC 3834 section 2 and common practice: mail nobody should answer automatically. */
static const char *why_not(GMimeMessage *m, const char *sender)
{
    const char *v, *at = strchr(sender, '@');
    size_t local = (size_t)(at - sender);
    static const char *const system[] = {"mailer-daemon", "postmaster", "noreply",  "no-reply",
                                         "do-not-reply",  "donotreply", "listserv", "majordomo",
                                         "bounce",        "bounces",    NULL};
    int i;

    if ((v = header(m, "Auto-Submitted")) && !token_is(v, "no")) {
        return "automatic message";
    }
    if ((v = header(m, "Precedence")) &&
        (token_is(v, "bulk") || token_is(v, "list") || token_is(v, "junk"))) {
        return "bulk or list mail";
    }
    if (header(m, "List-Id") || header(m, "List-Unsubscribe")) {
        return "list mail";
    }
    if ((v = header(m, "X-Auto-Response-Suppress")) &&
        (strcasestr(v, "OOF") || strcasestr(v, "All"))) {
        return "sender suppresses auto-replies";
    }
    for (i = 0; system[i]; ++i) {
        if (strlen(system[i]) == local && strncasecmp(sender, system[i], local) == 0) {
            return "system sender";
        }
    }
    if ((local > 6 && strncasecmp(sender, "owner-", 6) == 0) ||
        (local > 8 && strncasecmp(at - 8, "-request", 8) == 0)) {
        return "list sender";
    }
    return NULL;
}

/* An address as a literal in a PostgreSQL regular expression (ARE: backslash + non-alnum is
 * that character). */
static const char *regex_literal(apr_pool_t *p, const char *s)
{
    char *out = apr_palloc(p, 2 * strlen(s) + 1), *w = out;
    for (; *s; ++s) {
        if (!isalnum((unsigned char)*s)) {
            *w++ = '\\';
        }
        *w++ = *s;
    }
    *w = '\0';
    return out;
}

/* 1 when sender is on an EMAIL line of one of the user's contacts. */
static int known_contact(PGconn *c, apr_pool_t *p, const char *user_id, const char *sender,
                         int *known, const char **err)
{
    const char *params[2];
    PGresult *r;
    params[0] = user_id;
    params[1] = apr_pstrcat(p, "(^|\\n)([a-z0-9-]+\\.)?EMAIL[^:\\n]*:([^\\n]*[<\\s:\"])?",
                            regex_literal(p, sender), "([>\\s\"]|$)", NULL);
    r = eas_db_exec(c, p, err,
                    "SELECT 1 FROM items WHERE user_id = $1 AND class = 'Contacts' "
                    "AND NOT expunged AND pim_data ~* $2 LIMIT 1",
                    2, params);
    if (!r) {
        return -1;
    }
    *known = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

/* References of the reply: the original's (well-formed ids only, the last few) plus its id. */
static const char *references(apr_pool_t *p, const char *orig, const char *msgid)
{
    const char *ids[MAX_REFERENCES];
    int n = 0, i;
    const char *s = orig, *out = "";

    while (s && (s = strchr(s, '<')) != NULL) {
        size_t k = strcspn(s + 1, "<> \t\r\n\"");
        if (s[1 + k] == '>' && k > 0 && k < 250) {
            if (n == MAX_REFERENCES - 1) {
                memmove(ids, ids + 1, sizeof(ids[0]) * (MAX_REFERENCES - 2));
                --n;
            }
            ids[n++] = apr_pstrndup(p, s, k + 2);
        }
        s += 1 + k;
    }
    for (i = 0; i < n; ++i) {
        out = apr_pstrcat(p, out, ids[i], " ", NULL);
    }
    return apr_pstrcat(p, out, "<", msgid, ">", NULL);
}

/* The reply itself (RFC 3834 section 3): to the sender, "Automatic reply: " subject, threaded,
 * Auto-Submitted: auto-replied. */
static const char *build_reply(apr_pool_t *p, GMimeMessage *orig, const eas_user_info *u,
                               const char *to, const eas_oof_msg *msg, apr_size_t *len)
{
    const char *subject = g_mime_message_get_subject(orig),
               *id = g_mime_message_get_message_id(orig);
    const char *headers[9];
    InternetAddress *from = internet_address_mailbox_new(u->display_name, u->email);
    eas_compose_fields f;
    char *from_s = internet_address_to_string(from, NULL, TRUE);
    const char *out;
    int n = 0;

    memset(&f, 0, sizeof(f));
    f.from = apr_pstrdup(p, from_s);
    g_free(from_s);
    g_object_unref(from);
    f.to = to;
    f.subject = apr_pstrcat(p, "Automatic reply: ", subject ? subject : "", NULL);
    f.importance = 1;
    f.msgid_domain = domain_of(u->email);
    if (msg->html) {
        f.html = msg->text;
        f.text = eas_oof_html_to_text(p, msg->text);
    } else {
        f.text = msg->text;
    }
    if (id && *id && !strpbrk(id, "<> \t\r\n\"") && strlen(id) < 250) {
        headers[n++] = "In-Reply-To";
        headers[n++] = apr_pstrcat(p, "<", id, ">", NULL);
        headers[n++] = "References";
        headers[n++] = references(p, header(orig, "References"), id);
    }
    headers[n++] = "Auto-Submitted";
    headers[n++] = "auto-replied";
    /* Exchange's equivalent, so Microsoft servers do not answer our reply either */
    headers[n++] = "X-Auto-Response-Suppress";
    headers[n++] = "All";
    headers[n] = NULL;
    f.headers = headers;
    out = eas_compose_message(p, &f, len);
    return out;
}

static int claim(PGconn *c, apr_pool_t *p, const char *user_id, const char *sender, int interval,
                 const char **prev, const char **err)
{
    const char *params[3] = {user_id, sender, apr_itoa(p, interval)};
    PGresult *r = eas_db_exec(
        c, p, err,
        "WITH prev AS (SELECT sent_at FROM oof_replies WHERE user_id = $1 AND sender = $2) "
        "INSERT INTO oof_replies (user_id, sender, sent_at) VALUES ($1, $2, clock_timestamp()) "
        "ON CONFLICT (user_id, sender) DO UPDATE SET sent_at = clock_timestamp() "
        "WHERE oof_replies.sent_at < clock_timestamp() - make_interval(secs => $3::int) "
        "RETURNING (SELECT sent_at FROM prev)::text",
        3, params);
    int rc;
    if (!r) {
        return -1;
    }
    rc = PQntuples(r) == 1;
    *prev = rc && !PQgetisnull(r, 0, 0) ? apr_pstrdup(p, PQgetvalue(r, 0, 0)) : NULL;
    PQclear(r);
    return rc;
}

static void unclaim(PGconn *c, apr_pool_t *p, const char *user_id, const char *sender,
                    const char *prev)
{
    const char *params[3] = {user_id, sender, prev}, *err = NULL;
    PGresult *r =
        prev ? eas_db_exec(c, p, &err,
                           "UPDATE oof_replies SET sent_at = $3::timestamptz "
                           "WHERE user_id = $1 AND sender = $2",
                           3, params)
             : eas_db_exec(c, p, &err, "DELETE FROM oof_replies WHERE user_id = $1 AND sender = $2",
                           2, params);
    if (r) {
        PQclear(r);
    }
}

/* Whether OOF is on at this moment, with the settings. */
static int active(PGconn *c, apr_pool_t *p, const char *user_id, int *on, const char **err)
{
    const char *params[1] = {user_id};
    PGresult *r = eas_db_exec(c, p, err,
                              "SELECT 1 FROM oof_settings WHERE user_id = $1 AND (state = 1 OR "
                              "(state = 2 AND now() >= start_time AND now() < end_time))",
                              1, params);
    if (!r) {
        return -1;
    }
    *on = PQntuples(r) > 0;
    PQclear(r);
    return 0;
}

int eas_oof_on_delivery(PGconn *c, apr_pool_t *p, const struct eas_submit_conf *conf,
                        const eas_delivered *d, const char **err)
{
    const char *mail_domain = conf ? conf->mail_domain : NULL, *sender, *dom, *prev = NULL;
    eas_user_info *u, *local = NULL;
    GMimeMessage *m;
    eas_oof oof;
    int on = 0, aud, rc, known = 0;
    eas_submit_req req;
    eas_submit_result res;
    apr_size_t len;

    if (d->depth > 0 || !d->mime || !d->user_id || !conf) {
        return 0; /* never answer what a hook produced */
    }
    if (active(c, p, d->user_id, &on, err) != 0) {
        return -1;
    }
    if (!on) {
        return 0;
    }
    eas_mime_init();
    m = parse_headers(p, d->mime, d->len);
    if (!m) {
        return 0;
    }
    rc = 0;
    if (!(sender = reply_address(p, m)) || why_not(m, sender)) {
        goto done;
    }
    if ((rc = eas_user_get(c, p, d->user, mail_domain, &u, err)) != 0) {
        rc = rc < 0 ? -1 : 0;
        goto done;
    }
    if (eas_user_owns_address(u, sender) || (rc = eas_oof_load(c, p, d->user_id, &oof, err))) {
        goto done;
    }
    /* internal: the user's own domain, the server's mail domain, or any local user */
    dom = strchr(sender, '@') + 1;
    if ((rc = eas_user_by_address(c, p, sender, mail_domain, &local, err)) < 0) {
        goto done;
    }
    if (rc == 0 || (domain_of(u->email) && strcasecmp(dom, domain_of(u->email)) == 0) ||
        (mail_domain && strcasecmp(dom, mail_domain) == 0)) {
        aud = EAS_OOF_INTERNAL;
    } else {
        if ((rc = known_contact(c, p, d->user_id, sender, &known, err)) != 0) {
            goto done;
        }
        aud = known ? EAS_OOF_KNOWN : EAS_OOF_UNKNOWN;
    }
    rc = 0;
    if (!oof.msg[aud].enabled || !oof.msg[aud].text || !*oof.msg[aud].text) {
        goto done;
    }
    /* without a relay only local senders can be answered */
    if (!local && (!conf->relay || !*conf->relay)) {
        goto done;
    }
    if ((rc = claim(c, p, d->user_id, sender, conf->oof_interval > 0 ? conf->oof_interval : 0,
                    &prev, err)) <= 0) {
        goto done;
    }
    rc = 0;
    memset(&req, 0, sizeof(req));
    memset(&res, 0, sizeof(res));
    req.user = d->user;
    req.mime = build_reply(p, m, u, sender, &oof.msg[aud], &len);
    req.len = len;
    req.flags = EAS_SUBMIT_AUTO;
    req.depth = d->depth + 1;
    if (eas_submit(c, p, conf, &req, &res, err) != 0 || res.status != EAS_SUBMIT_OK) {
        if (PQtransactionStatus(c) != PQTRANS_IDLE) {
            PQclear(PQexec(c, "ROLLBACK"));
        }
        unclaim(c, p, d->user_id, sender, prev);
        if (res.status != EAS_SUBMIT_OK && !*err) {
            *err = apr_psprintf(p, "reply to %s not sent (status %d%s%s)", sender, res.status,
                                res.detail ? ": " : "", res.detail ? res.detail : "");
        }
        rc = -1;
    }
done:
    g_object_unref(m);
    return rc;
}
