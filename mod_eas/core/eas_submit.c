/* eas_submit.c — outgoing mail (see eas_submit.h).
 *
 * Order of work: parse and fix up the message (GMime), sort the recipients into local users and
 * the rest, then one transaction: lock the involved users rows in id order (two users mailing
 * each other at once must not deadlock), record the ClientId, deliver locally, store the Sent
 * Items copy, hand the message to the relay, and commit only when the relay said 250. Hooks of
 * the local deliveries (meeting requests, out-of-office) run after the commit. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <gmime/gmime.h>

#include "eas_db.h"
#include "eas_deliver.h"
#include "eas_delivered.h"
#include "eas_mime.h"
#include "eas_pgstore.h"
#include "eas_smtp.h"
#include "eas_store.h"
#include "eas_submit.h"
#include "eas_user.h"

typedef struct local_rcpt {
    eas_user_info *u;
    const char *folder_id;
    apr_int64_t uid;
} local_rcpt;

typedef struct submit {
    apr_pool_t *p;
    PGconn *c;
    const eas_submit_conf *conf;
    const eas_submit_req *req;
    eas_submit_result *res;
    const char **err;
    GMimeMessage *msg;
    eas_user_info *sender;    /* NULL for a server notice without a user */
    const char *from_addr;    /* envelope sender (bare address) */
    apr_array_header_t *rcpt; /* const char *, bare, unique */
    apr_array_header_t *local;
    apr_array_header_t *remote; /* const char * */
    const char *wire;           /* what recipients get (no Bcc), LF line ends */
    apr_size_t wire_len;
    const char *copy; /* the Sent Items copy (with Bcc), LF line ends */
    apr_size_t copy_len;
    int own_tx; /* our transaction (else a savepoint in the caller's) */
} submit;

static int answer(submit *s, int status, const char *detail)
{
    s->res->status = status;
    s->res->detail = detail;
    return 0;
}

/* ---- addresses ---------------------------------------------------------------------------- */

static void add_rcpt(submit *s, const char *addr)
{
    int i;
    if (!addr || !*addr) {
        return;
    }
    if (!strchr(addr, '@') && s->conf->mail_domain && *s->conf->mail_domain) {
        addr = apr_pstrcat(s->p, addr, "@", s->conf->mail_domain, NULL);
    }
    for (i = 0; i < s->rcpt->nelts; ++i) {
        if (strcasecmp(APR_ARRAY_IDX(s->rcpt, i, const char *), addr) == 0) {
            return;
        }
    }
    APR_ARRAY_PUSH(s->rcpt, const char *) = apr_pstrdup(s->p, addr);
}

/* Mailboxes of a list, groups flattened ("undisclosed-recipients:;" adds nothing). */
static void add_list(submit *s, InternetAddressList *l)
{
    int i, n = l ? internet_address_list_length(l) : 0;
    for (i = 0; i < n; ++i) {
        InternetAddress *ia = internet_address_list_get_address(l, i);
        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            add_list(s, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));
        } else if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            add_rcpt(s, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia)));
        }
    }
}

/* First mailbox of a list: its address and display name (either may be NULL). */
static void first_mailbox(InternetAddressList *l, const char **addr, const char **name)
{
    int i, n = l ? internet_address_list_length(l) : 0;
    *addr = *name = NULL;
    for (i = 0; i < n; ++i) {
        InternetAddress *ia = internet_address_list_get_address(l, i);
        if (INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
            *name = internet_address_get_name(ia);
            return;
        }
    }
}

static void set_from(GMimeMessage *m, const char *name, const char *addr)
{
    InternetAddressList *from = g_mime_message_get_from(m);
    InternetAddress *ia = internet_address_mailbox_new(name && *name ? name : NULL, addr);
    internet_address_list_clear(from);
    internet_address_list_add(from, ia);
    g_object_unref(ia);
}

/* The From of the message: one of the user's addresses (or the notice sender). 0, or an answer. */
static int force_from(submit *s, int *answered)
{
    const char *dev_addr, *dev_name, *addr;
    apr_pool_t *p = s->p;

    *answered = 0;
    first_mailbox(g_mime_message_get_from(s->msg), &dev_addr, &dev_name);
    dev_addr = dev_addr ? apr_pstrdup(p, dev_addr) : NULL;
    dev_name = dev_name ? apr_pstrdup(p, dev_name) : NULL;
    if (s->req->flags & EAS_SUBMIT_NOTICE) {
        const char *nf = s->conf->notice_from, *name = NULL;
        addr = NULL;
        if (nf && *nf) {
            InternetAddressList *l = internet_address_list_parse(NULL, nf);
            first_mailbox(l, &addr, &name);
            addr = addr ? apr_pstrdup(p, addr) : NULL;
            name = name ? apr_pstrdup(p, name) : NULL;
            if (l) {
                g_object_unref(l);
            }
        }
        if (!addr) {
            const char *dom = s->conf->mail_domain && *s->conf->mail_domain ? s->conf->mail_domain
                              : s->conf->helo                               ? s->conf->helo
                                                                            : "localhost";
            addr = apr_pstrcat(p, "postmaster@", dom, NULL);
        }
        s->from_addr = addr;
        set_from(s->msg, name, addr);
        return 0;
    }
    if (!s->sender->email) {
        *answered = 1;
        return answer(s, EAS_SUBMIT_SUBMISSION_FAILED,
                      apr_psprintf(p,
                                   "user %s has no e-mail address (set one with `easctl user set` "
                                   "or configure EASMailDomain)",
                                   s->sender->name));
    }
    addr = dev_addr && eas_user_owns_address(s->sender, dev_addr) ? dev_addr : s->sender->email;
    if (!dev_name || !*dev_name) {
        /* the directory's name, unless it is only the account name */
        dev_name =
            strcmp(s->sender->display_name, s->sender->name) != 0 ? s->sender->display_name : NULL;
    }
    s->from_addr = addr;
    set_from(s->msg, dev_name, addr);
    /* a device must not claim to send on behalf of someone else either */
    g_mime_object_remove_header(GMIME_OBJECT(s->msg), "Sender");
    return 0;
}

/* ---- the message -------------------------------------------------------------------------- */

/* Every line ending (CRLF, CR, LF) as LF. */
static const char *lf(apr_pool_t *p, const char *in, apr_size_t n, apr_size_t *len)
{
    char *out = apr_palloc(p, n + 1), *w = out;
    apr_size_t i;
    for (i = 0; i < n; ++i) {
        if (in[i] == '\r') {
            if (i + 1 < n && in[i + 1] == '\n') {
                continue;
            }
            *w++ = '\n';
            continue;
        }
        *w++ = in[i];
    }
    *w = '\0';
    *len = (apr_size_t)(w - out);
    return out;
}

static const char *serialise(submit *s, apr_size_t *len)
{
    GMimeStream *st = g_mime_stream_mem_new();
    GByteArray *ba;
    const char *out;
    g_mime_object_write_to_stream(GMIME_OBJECT(s->msg), NULL, st);
    ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(st));
    /* stored with LF like what MTAs and eas_compose hand over; the relay gets CRLF */
    out = lf(s->p, (const char *)ba->data, ba->len, len);
    g_object_unref(st);
    return out;
}

static int prepare(submit *s, int *answered)
{
    GMimeStream *st;
    GMimeParser *parser;
    const char *dom;
    int i;

    *answered = 0;
    eas_mime_init();
    st = g_mime_stream_mem_new_with_buffer(s->req->mime, s->req->len);
    parser = g_mime_parser_new_with_stream(st);
    s->msg = g_mime_parser_construct_message(parser, NULL);
    g_object_unref(parser);
    g_object_unref(st);
    if (!s->msg) {
        *answered = 1;
        return answer(s, EAS_SUBMIT_INVALID_MIME, "the message is not RFC 5322 / MIME");
    }
    add_list(s, g_mime_message_get_addresses(s->msg, GMIME_ADDRESS_TYPE_TO));
    add_list(s, g_mime_message_get_addresses(s->msg, GMIME_ADDRESS_TYPE_CC));
    add_list(s, g_mime_message_get_addresses(s->msg, GMIME_ADDRESS_TYPE_BCC));
    for (i = 0; s->req->rcpt && i < s->req->rcpt->nelts; ++i) {
        add_rcpt(s, APR_ARRAY_IDX(s->req->rcpt, i, const char *));
    }
    if (s->rcpt->nelts == 0) {
        *answered = 1;
        return answer(s, EAS_SUBMIT_NO_RECIPIENT, "no recipient in To, Cc or Bcc");
    }
    for (i = 0; i < s->rcpt->nelts; ++i) {
        const char *a = APR_ARRAY_IDX(s->rcpt, i, const char *);
        if (!strchr(a, '@') || strpbrk(a, " \t\r\n<>")) {
            *answered = 1;
            return answer(s, EAS_SUBMIT_SUBMISSION_FAILED,
                          apr_psprintf(s->p, "recipient '%s' is not a usable address", a));
        }
    }
    if (force_from(s, answered) != 0 || *answered) {
        return 0;
    }
    if (!g_mime_message_get_date(s->msg)) {
        GDateTime *now = g_date_time_new_now_utc();
        g_mime_message_set_date(s->msg, now);
        g_date_time_unref(now);
    }
    dom = strchr(s->from_addr, '@');
    if (!g_mime_message_get_message_id(s->msg)) {
        char *id = g_mime_utils_generate_message_id(dom && dom[1] ? dom + 1 : "mod-eas.invalid");
        g_mime_message_set_message_id(s->msg, id);
        g_free(id);
    }
    s->res->message_id = apr_psprintf(s->p, "<%s>", g_mime_message_get_message_id(s->msg));
    s->copy = serialise(s, &s->copy_len);
    /* Bcc recipients are in the envelope only (RFC 5322 3.6.3) */
    g_mime_object_remove_header(GMIME_OBJECT(s->msg), "Bcc");
    s->wire = serialise(s, &s->wire_len);
    return 0;
}

/* ---- recipients --------------------------------------------------------------------------- */

static int classify(submit *s)
{
    int i, k;
    for (i = 0; i < s->rcpt->nelts; ++i) {
        const char *a = APR_ARRAY_IDX(s->rcpt, i, const char *);
        eas_user_info *u = NULL;
        int rc = eas_user_by_address(s->c, s->p, a, s->conf->mail_domain, &u, s->err);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1) {
            APR_ARRAY_PUSH(s->remote, const char *) = a;
            continue;
        }
        /* two addresses of one user: one delivery */
        for (k = 0; k < s->local->nelts; ++k) {
            if (strcmp(APR_ARRAY_IDX(s->local, k, local_rcpt).u->id, u->id) == 0) {
                break;
            }
        }
        if (k == s->local->nelts) {
            local_rcpt *l = apr_array_push(s->local);
            memset(l, 0, sizeof(*l));
            l->u = u;
        }
    }
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    apr_int64_t x = *(const apr_int64_t *)a, y = *(const apr_int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Row locks on every users row we will write, in id order. */
static int lock_users(submit *s)
{
    apr_int64_t *ids = apr_palloc(s->p, sizeof(*ids) * (size_t)(s->local->nelts + 1));
    const char *params[1];
    PGresult *r;
    int i, n = 0;
    if (s->sender) {
        ids[n++] = apr_atoi64(s->sender->id);
    }
    for (i = 0; i < s->local->nelts; ++i) {
        ids[n++] = apr_atoi64(APR_ARRAY_IDX(s->local, i, local_rcpt).u->id);
    }
    if (n == 0) {
        return 0;
    }
    qsort(ids, (size_t)n, sizeof(*ids), cmp_i64);
    params[0] = eas_pg_uid_array(s->p, ids, n);
    r = eas_db_exec(s->c, s->p, s->err,
                    "SELECT id FROM users WHERE id = ANY ($1::bigint[]) ORDER BY id FOR UPDATE", 1,
                    params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    return 0;
}

/* 0 new, 1 already sent, -1 error */
static int record_client_id(submit *s)
{
    const char *params[4];
    PGresult *r;
    int n;
    if (!s->req->client_id || !s->sender) {
        return 0;
    }
    params[0] = s->sender->id;
    /* opportunistic purge of this user's old keys (we hold the users row anyway) */
    r = eas_db_exec(s->c, s->p, s->err,
                    "DELETE FROM submissions WHERE user_id = $1 "
                    "AND created < now() - interval '7 days'",
                    1, params);
    if (!r) {
        return -1;
    }
    PQclear(r);
    params[1] = s->req->device_id ? s->req->device_id : "";
    params[2] = s->req->client_id;
    params[3] = s->res->message_id;
    r = eas_db_exec(s->c, s->p, s->err,
                    "INSERT INTO submissions (user_id, device_id, client_id, message_id) "
                    "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                    4, params);
    if (!r) {
        return -1;
    }
    n = PQntuples(r);
    PQclear(r);
    return n == 1 ? 0 : 1;
}

static int store(submit *s, const char *user_id, const char *special, const char *mime,
                 apr_size_t len, int seen, const char **folder_id, apr_int64_t *uid)
{
    eas_store *st = eas_store_open(s->p, s->c, user_id, s->err);
    const eas_folder *f;
    eas_flags fl;
    int dup = 0;
    if (!st) {
        return -1;
    }
    if (!eas_store_folders(st) || !(f = eas_deliver_folder(st, special))) {
        *s->err = st->error ? st->error
                            : apr_psprintf(s->p, "user %s has no %s folder", user_id, special);
        return -1;
    }
    memset(&fl, 0, sizeof(fl));
    fl.seen = seen;
    if (eas_pgstore_store_message(st, f->id, mime, len, &fl, 0, 0, uid, &dup) != EAS_ST_OK) {
        *s->err = st->error;
        return -1;
    }
    *folder_id = f->id;
    return 0;
}

static int relay(submit *s)
{
    eas_smtp_opts o;
    eas_smtp_msg m;
    eas_smtp_result r;
    memset(&o, 0, sizeof(o));
    o.url = s->conf->relay;
    o.helo = s->conf->helo;
    o.timeout = s->conf->timeout;
    o.tls_verify = s->conf->tls_verify;
    o.ca_file = s->conf->tls_ca_file;
    if (s->conf->auth_user && s->req->user && s->req->password) {
        /* without the user's password (an automatic reply) the relay decides */
        o.auth_user = s->req->user;
        o.auth_pass = s->req->password;
    }
    memset(&m, 0, sizeof(m));
    m.mail_from = (s->req->flags & EAS_SUBMIT_AUTO) ? "" : s->from_addr;
    m.rcpt = s->remote;
    m.data = s->wire;
    m.len = s->wire_len;
    if (eas_smtp_send(s->p, &o, &m, &r) == EAS_SMTP_OK) {
        s->res->remote = s->remote->nelts;
        return 0;
    }
    s->res->status = EAS_SUBMIT_SUBMISSION_FAILED;
    s->res->detail = r.rcpt ? apr_psprintf(s->p, "relay %s refused recipient %s: %s",
                                           s->conf->relay, r.rcpt, r.reply)
                            : apr_psprintf(s->p, "relay %s failed at %s (%s): %s", s->conf->relay,
                                           r.stage ? r.stage : "?",
                                           r.status == EAS_SMTP_TEMP ? "temporary" : "permanent",
                                           r.reply ? r.reply : "no reply");
    return 1;
}

static int tx(submit *s, const char *own, const char *nested)
{
    return eas_db_cmd(s->c, s->p, s->err, s->own_tx ? own : nested);
}

static void rollback(submit *s)
{
    const char *keep = *s->err;
    if (PQtransactionStatus(s->c) == PQTRANS_INTRANS ||
        PQtransactionStatus(s->c) == PQTRANS_INERROR) {
        tx(s, "ROLLBACK", "ROLLBACK TO SAVEPOINT eas_submit");
        if (!s->own_tx) {
            eas_db_cmd(s->c, s->p, s->err, "RELEASE SAVEPOINT eas_submit");
        }
    }
    *s->err = keep;
}

/* The transaction: 0 (res->status says how it went), -1 internal error (rolled back). */
static int deliver_all(submit *s)
{
    int i, rc;

    s->own_tx = PQtransactionStatus(s->c) == PQTRANS_IDLE;
    if (tx(s, "BEGIN", "SAVEPOINT eas_submit") != 0) {
        return -1;
    }
    if (lock_users(s) != 0 || (rc = record_client_id(s)) < 0) {
        goto fail;
    }
    if (rc == 1) {
        rollback(s);
        return answer(
            s, EAS_SUBMIT_PREVIOUSLY_SENT,
            apr_psprintf(s->p, "ClientId %s was sent before; not sent again", s->req->client_id));
    }
    for (i = 0; i < s->local->nelts; ++i) {
        local_rcpt *l = &APR_ARRAY_IDX(s->local, i, local_rcpt);
        if (store(s, l->u->id, "inbox", s->wire, s->wire_len, 0, &l->folder_id, &l->uid) != 0) {
            goto fail;
        }
    }
    s->res->local = s->local->nelts;
    if (s->sender && s->req->save_in_sent && !(s->req->flags & EAS_SUBMIT_AUTO)) {
        const char *fid;
        apr_int64_t uid;
        if (store(s, s->sender->id, "sent", s->copy, s->copy_len, 1, &fid, &uid) != 0) {
            goto fail;
        }
        s->res->sent_uid = uid;
    }
    /* last: once the relay has the message we can no longer take it back */
    if (s->remote->nelts > 0 && relay(s) != 0) {
        rollback(s);
        s->res->local = 0;
        s->res->sent_uid = 0;
        return 0;
    }
    if (tx(s, "COMMIT", "RELEASE SAVEPOINT eas_submit") != 0) {
        /* the relay may already have it: say so, the log must show the mismatch */
        *s->err =
            apr_psprintf(s->p, "commit after sending %s failed: %s", s->res->message_id, *s->err);
        goto fail;
    }
    s->res->status = EAS_SUBMIT_OK;
    return 0;
fail:
    rollback(s);
    return -1;
}

static apr_status_t unref_msg(void *data)
{
    submit *s = data;
    if (s->msg) {
        g_object_unref(s->msg);
        s->msg = NULL;
    }
    return APR_SUCCESS;
}

int eas_submit(PGconn *c, apr_pool_t *p, const eas_submit_conf *conf, const eas_submit_req *req,
               eas_submit_result *res, const char **err)
{
    submit *s = apr_pcalloc(p, sizeof(*s));
    int answered, i;

    memset(res, 0, sizeof(*res));
    s->p = p;
    s->c = c;
    s->conf = conf;
    s->req = req;
    s->res = res;
    s->err = err;
    s->rcpt = apr_array_make(p, 4, sizeof(const char *));
    s->local = apr_array_make(p, 2, sizeof(local_rcpt));
    s->remote = apr_array_make(p, 4, sizeof(const char *));
    apr_pool_cleanup_register(p, s, unref_msg, apr_pool_cleanup_null);

    if (!req->mime || req->len == 0) {
        return answer(s, EAS_SUBMIT_INVALID_MIME, "empty message");
    }
    if (req->user) {
        int rc = eas_user_get(c, p, req->user, conf->mail_domain, &s->sender, err);
        if (rc < 0) {
            return -1;
        }
        if (rc == 1 && !(req->flags & EAS_SUBMIT_NOTICE)) {
            return answer(s, EAS_SUBMIT_SUBMISSION_FAILED,
                          apr_psprintf(p, "no such user: %s", req->user));
        }
    } else if (!(req->flags & EAS_SUBMIT_NOTICE)) {
        return answer(s, EAS_SUBMIT_SUBMISSION_FAILED, "no sending user");
    }
    if (req->flags & EAS_SUBMIT_NOTICE) {
        s->sender = NULL; /* a notice is nobody's sent mail */
    }
    if (prepare(s, &answered) != 0) {
        return -1;
    }
    if (answered) {
        return 0;
    }
    if (classify(s) != 0) {
        return -1;
    }
    if (s->remote->nelts > 0 && !conf->relay) {
        const char *list = NULL;
        for (i = 0; i < s->remote->nelts; ++i) {
            const char *a = APR_ARRAY_IDX(s->remote, i, const char *);
            list = list ? apr_pstrcat(p, list, ", ", a, NULL) : a;
        }
        return answer(s, EAS_SUBMIT_SUBMISSION_FAILED,
                      apr_psprintf(p,
                                   "not sent: %s %s not a local user and no EASSMTPRelay is "
                                   "configured",
                                   list, s->remote->nelts > 1 ? "are" : "is"));
    }
    if (deliver_all(s) != 0) {
        return -1;
    }
    if (res->status != EAS_SUBMIT_OK || !s->own_tx) {
        return 0;
    }
    /* after the commit: what the recipients' side does with it (never undoes the delivery) */
    for (i = 0; i < s->local->nelts; ++i) {
        local_rcpt *l = &APR_ARRAY_IDX(s->local, i, local_rcpt);
        eas_delivered d;
        const char *w;
        memset(&d, 0, sizeof(d));
        d.user = l->u->name;
        d.user_id = l->u->id;
        d.folder_id = l->folder_id;
        d.uid = l->uid;
        d.mime = s->wire;
        d.len = s->wire_len;
        d.depth = req->depth;
        if ((w = eas_delivered_hooks(c, p, conf, &d)) != NULL) {
            res->warning = res->warning ? apr_pstrcat(p, res->warning, "; ", w, NULL) : w;
        }
    }
    return 0;
}
