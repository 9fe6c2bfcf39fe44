/* eas_smtp.c — SMTP client (see eas_smtp.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>

#include <apr_base64.h>
#include <apr_network_io.h>
#include <apr_portable.h>
#include <apr_strings.h>
#include <apr_support.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "eas_smtp.h"

#define MAX_REPLY 65536 /* a relay sending more in one reply is broken or hostile */

const char *eas_smtp_parse_url(apr_pool_t *p, const char *url, eas_smtp_url *out)
{
    const char *rest, *colon, *end;
    char *e;
    long port;

    memset(out, 0, sizeof(*out));
    if (!strncasecmp(url, "smtp://", 7)) {
        out->tls = EAS_SMTP_PLAIN;
        out->port = 25;
        rest = url + 7;
    } else if (!strncasecmp(url, "smtps://", 8)) {
        out->tls = EAS_SMTP_TLS;
        out->port = 465;
        rest = url + 8;
    } else if (!strncasecmp(url, "submission://", 13)) {
        out->tls = EAS_SMTP_STARTTLS;
        out->port = 587;
        rest = url + 13;
    } else {
        return apr_psprintf(p, "'%s' is not smtp://, smtps:// or submission://host[:port]", url);
    }
    end = rest + strlen(rest);
    if (end > rest && end[-1] == '/') {
        --end;
    }
    if (*rest == '[') {
        const char *close = memchr(rest, ']', (size_t)(end - rest));
        if (!close || close == rest + 1) {
            return apr_psprintf(p, "'%s': bad IPv6 address", url);
        }
        out->host = apr_pstrndup(p, rest + 1, (size_t)(close - rest - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != end) {
            return apr_psprintf(p, "'%s': unexpected text after the address", url);
        }
    } else {
        colon = memchr(rest, ':', (size_t)(end - rest));
        out->host = apr_pstrndup(p, rest, (size_t)((colon ? colon : end) - rest));
    }
    if (!*out->host || strpbrk(out->host, "/@?# \t")) {
        return apr_psprintf(p,
                            "'%s': no usable host name (user names and paths do not belong "
                            "in the URL)",
                            url);
    }
    if (colon) {
        char *num = apr_pstrndup(p, colon + 1, (size_t)(end - colon - 1));
        port = strtol(num, &e, 10);
        if (!*num || *e || port < 1 || port > 65535) {
            return apr_psprintf(p, "'%s': bad port", url);
        }
        out->port = (int)port;
    }
    return NULL;
}

/* ---- pure helpers ------------------------------------------------------------------------- */

/* One pass writes (out non-NULL) or only counts; returns the length. */
static apr_size_t normalise_into(char *out, const char *data, apr_size_t len, int stuff)
{
    apr_size_t i, n = 0;
    int bol = 1;

    for (i = 0; i < len; ++i) {
        char ch = data[i];
        if (bol && stuff && ch == '.') {
            if (out) {
                out[n] = '.';
            }
            ++n;
        }
        bol = 0;
        if (ch == '\r' || ch == '\n') {
            if (ch == '\r' && i + 1 < len && data[i + 1] == '\n') {
                ++i;
            }
            if (out) {
                out[n] = '\r';
                out[n + 1] = '\n';
            }
            n += 2;
            bol = 1;
            continue;
        }
        if (out) {
            out[n] = ch;
        }
        ++n;
    }
    if (stuff) {
        const char *tail = bol ? ".\r\n" : "\r\n.\r\n";
        apr_size_t tl = strlen(tail);
        if (out) {
            memcpy(out + n, tail, tl);
        }
        n += tl;
    }
    return n;
}

/* Counted first so a big message costs its size once, not three times. */
static char *normalise(apr_pool_t *p, const char *data, apr_size_t len, int stuff, apr_size_t *n)
{
    char *out;
    *n = normalise_into(NULL, data, len, stuff);
    out = apr_palloc(p, *n + 1);
    normalise_into(out, data, len, stuff);
    out[*n] = '\0';
    return out;
}

char *eas_smtp_data(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len)
{
    return normalise(p, data, len, 1, out_len);
}

char *eas_smtp_crlf(apr_pool_t *p, const char *data, apr_size_t len, apr_size_t *out_len)
{
    return normalise(p, data, len, 0, out_len);
}

int eas_smtp_parse_reply(apr_pool_t *p, const char *buf, apr_size_t len, int *code,
                         apr_size_t *consumed, const char **text)
{
    apr_size_t pos = 0;
    int first = -1;
    char *t = NULL;

    for (;;) {
        const char *line = buf + pos, *nl = memchr(line, '\n', len - pos);
        apr_size_t n, tl;
        int c;
        if (!nl) {
            /* no complete line yet; a partial line that cannot be a reply is an error now */
            apr_size_t k, have = len - pos;
            for (k = 0; k < have && k < 3; ++k) {
                if (line[k] < '0' || line[k] > '9') {
                    return -1;
                }
            }
            return 0;
        }
        n = (apr_size_t)(nl - line);
        if (n > 0 && line[n - 1] == '\r') {
            --n;
        }
        if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' || line[1] > '9' ||
            line[2] < '0' || line[2] > '9' || (n > 3 && line[3] != ' ' && line[3] != '-')) {
            return -1;
        }
        c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
        if (first >= 0 && c != first) {
            return -1; /* RFC 5321 4.2.1: every line of a reply has the same code */
        }
        first = c;
        tl = n > 4 ? n - 4 : 0;
        {
            char *piece = apr_pstrndup(p, line + (n > 4 ? 4 : n), tl);
            t = t ? apr_pstrcat(p, t, " / ", piece, NULL) : piece;
        }
        pos = (apr_size_t)(nl - buf) + 1;
        if (n == 3 || line[3] == ' ') {
            *code = c;
            *consumed = pos;
            *text = t;
            return 1;
        }
    }
}

int eas_smtp_ehlo_has(const char *ehlo_text, const char *keyword, const char *want)
{
    const char *s = ehlo_text;
    size_t kl = strlen(keyword);

    while (s && *s) {
        const char *end = strstr(s, " / ");
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (n >= kl && strncasecmp(s, keyword, kl) == 0 &&
            (n == kl || s[kl] == ' ' || s[kl] == '=')) {
            const char *q;
            size_t wl;
            if (!want) {
                return 1;
            }
            /* parameters: space separated words after the keyword */
            wl = strlen(want);
            for (q = s + kl; q < s + n;) {
                size_t w;
                while (q < s + n && (*q == ' ' || *q == '=')) {
                    ++q;
                }
                for (w = 0; q + w < s + n && q[w] != ' '; ++w) {
                }
                if (w == wl && strncasecmp(q, want, wl) == 0) {
                    return 1;
                }
                q += w;
            }
        }
        s = end ? end + 3 : NULL;
    }
    return 0;
}

/* ---- the session -------------------------------------------------------------------------- */

typedef struct session {
    apr_pool_t *p;
    apr_socket_t *sock;
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
    char buf[MAX_REPLY];
    apr_size_t have;
    eas_smtp_result *res;
    const eas_smtp_opts *o;
    const char *host;
} session;

static int fail(session *s, int status, int code, const char *stage, const char *why)
{
    s->res->status = status;
    s->res->code = code;
    s->res->stage = stage;
    s->res->reply = why;
    return -1;
}

static const char *ssl_error(apr_pool_t *p)
{
    unsigned long e = ERR_get_error();
    char b[256];
    if (!e) {
        return "TLS failure";
    }
    ERR_error_string_n(e, b, sizeof(b));
    ERR_clear_error();
    return apr_pstrdup(p, b);
}

/* Waits until the socket is readable/writable within the timeout (the socket is non-blocking
 * once APR has a timeout on it, and OpenSSL reads it directly). */
static int wait_io(session *s, int for_read)
{
    return apr_wait_for_io_or_timeout(NULL, s->sock, for_read) == APR_SUCCESS ? 0 : -1;
}

/* SSL_* call result: 1 retry after waiting, 0 done, -1 error */
static int ssl_retry(session *s, int rc)
{
    int e = SSL_get_error(s->ssl, rc);
    if (e == SSL_ERROR_WANT_READ) {
        return wait_io(s, 1) == 0 ? 1 : -1;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        return wait_io(s, 0) == 0 ? 1 : -1;
    }
    return -1;
}

static int send_all(session *s, const char *stage, const char *data, apr_size_t len)
{
    while (len > 0) {
        apr_size_t n = len;
        if (s->ssl) {
            int rc = SSL_write(s->ssl, data, len > 1 << 20 ? 1 << 20 : (int)len);
            if (rc <= 0) {
                if (ssl_retry(s, rc) == 1) {
                    continue;
                }
                return fail(
                    s, EAS_SMTP_TEMP, 0, stage,
                    apr_psprintf(s->p, "sending to %s failed: %s", s->host, ssl_error(s->p)));
            }
            n = (apr_size_t)rc;
        } else {
            apr_status_t st = apr_socket_send(s->sock, data, &n);
            if (st != APR_SUCCESS && n == 0) {
                char e[120];
                return fail(s, EAS_SMTP_TEMP, 0, stage,
                            apr_psprintf(s->p, "sending to %s failed: %s", s->host,
                                         apr_strerror(st, e, sizeof(e))));
            }
        }
        data += n;
        len -= n;
    }
    return 0;
}

/* Reads one reply: 0 with its code and text, -1 (res set). */
static int read_reply(session *s, const char *stage, int *code, const char **text)
{
    for (;;) {
        apr_size_t used;
        int rc = eas_smtp_parse_reply(s->p, s->buf, s->have, code, &used, text);
        if (rc == 1) {
            memmove(s->buf, s->buf + used, s->have - used);
            s->have -= used;
            return 0;
        }
        if (rc < 0) {
            return fail(s, EAS_SMTP_TEMP, 0, stage,
                        apr_psprintf(s->p, "%s sent something that is not an SMTP reply", s->host));
        }
        if (s->have >= sizeof(s->buf) - 1) {
            return fail(s, EAS_SMTP_TEMP, 0, stage,
                        apr_psprintf(s->p, "%s sent an overlong reply", s->host));
        }
        if (s->ssl) {
            int n = SSL_read(s->ssl, s->buf + s->have, (int)(sizeof(s->buf) - 1 - s->have));
            if (n <= 0) {
                if (ssl_retry(s, n) == 1) {
                    continue;
                }
                return fail(
                    s, EAS_SMTP_TEMP, 0, stage,
                    apr_psprintf(s->p, "no reply from %s (TLS): %s", s->host, ssl_error(s->p)));
            }
            s->have += (apr_size_t)n;
        } else {
            apr_size_t n = sizeof(s->buf) - 1 - s->have;
            apr_status_t st = apr_socket_recv(s->sock, s->buf + s->have, &n);
            if (n == 0) {
                char e[120];
                return fail(s, EAS_SMTP_TEMP, 0, stage,
                            apr_psprintf(s->p, "no reply from %s: %s", s->host,
                                         st == APR_SUCCESS || APR_STATUS_IS_EOF(st)
                                             ? "connection closed"
                                             : apr_strerror(st, e, sizeof(e))));
            }
            s->have += n;
        }
    }
}

/* Sends a command line and reads the reply; a reply outside [lo, hi] fails the session. */
static int command(session *s, const char *stage, const char *line, int lo, int hi,
                   const char **text)
{
    int code;
    const char *t;
    if (line && send_all(s, stage, apr_pstrcat(s->p, line, "\r\n", NULL), strlen(line) + 2) != 0) {
        return -1;
    }
    if (read_reply(s, stage, &code, &t) != 0) {
        return -1;
    }
    if (text) {
        *text = t;
    }
    if (code < lo || code > hi) {
        return fail(s, code >= 500 ? EAS_SMTP_PERM : EAS_SMTP_TEMP, code, stage,
                    apr_psprintf(s->p, "%d %s", code, t ? t : ""));
    }
    return 0;
}

static int is_ip(const char *host)
{
    unsigned char b[16];
    return inet_pton(AF_INET, host, b) == 1 || inet_pton(AF_INET6, host, b) == 1;
}

static int start_tls(session *s, const char *stage)
{
    const eas_smtp_opts *o = s->o;
    int rc;

    s->ctx = SSL_CTX_new(TLS_client_method());
    if (!s->ctx) {
        return fail(s, EAS_SMTP_TEMP, 0, stage, ssl_error(s->p));
    }
    SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
    if (o->tls_verify) {
        if ((o->ca_file ? SSL_CTX_load_verify_locations(s->ctx, o->ca_file, NULL)
                        : SSL_CTX_set_default_verify_paths(s->ctx)) != 1) {
            return fail(s, EAS_SMTP_TEMP, 0, stage,
                        apr_psprintf(s->p, "cannot load the CA certificates %s: %s",
                                     o->ca_file ? o->ca_file : "(system default)",
                                     ssl_error(s->p)));
        }
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_PEER, NULL);
    } else {
        SSL_CTX_set_verify(s->ctx, SSL_VERIFY_NONE, NULL);
    }
    s->ssl = SSL_new(s->ctx);
    if (!s->ssl || SSL_set_fd(s->ssl, s->fd) != 1) {
        return fail(s, EAS_SMTP_TEMP, 0, stage, ssl_error(s->p));
    }
    if (!is_ip(s->host)) {
        SSL_set_tlsext_host_name(s->ssl, s->host); /* SNI */
    }
    if (o->tls_verify) {
        /* the certificate must name the host we were configured with (name or IP SAN) */
        X509_VERIFY_PARAM *vp = SSL_get0_param(s->ssl);
        if (is_ip(s->host) ? X509_VERIFY_PARAM_set1_ip_asc(vp, s->host) != 1
                           : SSL_set1_host(s->ssl, s->host) != 1) {
            return fail(s, EAS_SMTP_TEMP, 0, stage, ssl_error(s->p));
        }
    }
    while ((rc = SSL_connect(s->ssl)) != 1) {
        if (ssl_retry(s, rc) != 1) {
            long v = SSL_get_verify_result(s->ssl);
            const char *why = v != X509_V_OK
                                  ? apr_psprintf(s->p, "certificate of %s not accepted: %s",
                                                 s->host, X509_verify_cert_error_string(v))
                                  : apr_psprintf(s->p, "TLS handshake with %s failed: %s", s->host,
                                                 ssl_error(s->p));
            /* a certificate that does not verify will not verify on retry either */
            return fail(s, v != X509_V_OK ? EAS_SMTP_PERM : EAS_SMTP_TEMP, 0, stage, why);
        }
    }
    s->res->tls = 1;
    return 0;
}

static int ehlo(session *s, const char **ext)
{
    const char *line = apr_pstrcat(s->p, "EHLO ", s->o->helo ? s->o->helo : "localhost", NULL);
    int code;
    const char *t;
    if (send_all(s, "EHLO", apr_pstrcat(s->p, line, "\r\n", NULL), strlen(line) + 2) != 0 ||
        read_reply(s, "EHLO", &code, &t) != 0) {
        return -1;
    }
    if (code == 250) {
        *ext = t;
        return 0;
    }
    /* an old relay without ESMTP: HELO, no extensions */
    *ext = "";
    return command(s, "HELO",
                   apr_pstrcat(s->p, "HELO ", s->o->helo ? s->o->helo : "localhost", NULL), 250,
                   250, NULL);
}

static const char *angle(apr_pool_t *p, const char *verb, const char *addr)
{
    return apr_pstrcat(p, verb, "<", addr ? addr : "", ">", NULL);
}

static int session_run(session *s, const eas_smtp_url *u, const eas_smtp_msg *m)
{
    const eas_smtp_opts *o = s->o;
    const char *ext = NULL;
    int i;

    if (u->tls == EAS_SMTP_TLS && start_tls(s, "connect") != 0) {
        return -1;
    }
    if (command(s, "greeting", NULL, 220, 220, NULL) != 0 || ehlo(s, &ext) != 0) {
        return -1;
    }
    if (u->tls != EAS_SMTP_TLS && eas_smtp_ehlo_has(ext, "STARTTLS", NULL)) {
        if (command(s, "STARTTLS", "STARTTLS", 220, 220, NULL) != 0 ||
            start_tls(s, "STARTTLS") != 0 || ehlo(s, &ext) != 0) {
            return -1;
        }
    } else if (u->tls == EAS_SMTP_STARTTLS) {
        return fail(s, EAS_SMTP_PERM, 0, "STARTTLS",
                    apr_psprintf(s->p, "%s does not offer STARTTLS, which submission:// requires",
                                 s->host));
    }
    if (o->auth_user) {
        const char *pass = o->auth_pass ? o->auth_pass : "";
        apr_size_t ul = strlen(o->auth_user), pl = strlen(pass), n = ul + pl + 2;
        char *raw = apr_palloc(s->p, n), *b64;
        if (!eas_smtp_ehlo_has(ext, "AUTH", "PLAIN")) {
            return fail(
                s, EAS_SMTP_PERM, 0, "AUTH",
                apr_psprintf(s->p, "%s does not offer AUTH PLAIN%s, but EASSMTPAuth User needs it",
                             s->host, s->res->tls ? "" : " without TLS"));
        }
        raw[0] = '\0';
        memcpy(raw + 1, o->auth_user, ul);
        raw[1 + ul] = '\0';
        memcpy(raw + 2 + ul, pass, pl);
        b64 = apr_palloc(s->p, (apr_size_t)apr_base64_encode_len((int)n));
        apr_base64_encode(b64, raw, (int)n);
        memset(raw, 0, n);
        if (command(s, "AUTH", apr_pstrcat(s->p, "AUTH PLAIN ", b64, NULL), 235, 235, NULL) != 0) {
            return -1;
        }
    }
    if (command(s, "MAIL",
                apr_pstrcat(s->p, angle(s->p, "MAIL FROM:", m->mail_from),
                            eas_smtp_ehlo_has(ext, "8BITMIME", NULL) ? " BODY=8BITMIME" : "", NULL),
                250, 259, NULL) != 0) {
        return -1;
    }
    for (i = 0; i < m->rcpt->nelts; ++i) {
        const char *r = APR_ARRAY_IDX(m->rcpt, i, const char *);
        if (command(s, "RCPT", angle(s->p, "RCPT TO:", r), 250, 259, NULL) != 0) {
            s->res->rcpt = r;
            return -1;
        }
    }
    if (command(s, "DATA", "DATA", 354, 354, NULL) != 0) {
        return -1;
    }
    {
        apr_size_t n;
        const char *payload = eas_smtp_data(s->p, m->data, m->len, &n);
        int code;
        const char *t;
        if (send_all(s, "DATA", payload, n) != 0 || read_reply(s, "end of data", &code, &t) != 0) {
            return -1;
        }
        if (code < 250 || code > 259) {
            return fail(s, code >= 500 ? EAS_SMTP_PERM : EAS_SMTP_TEMP, code, "end of data",
                        apr_psprintf(s->p, "%d %s", code, t ? t : ""));
        }
        s->res->code = code;
        s->res->reply = apr_psprintf(s->p, "%d %s", code, t ? t : "");
    }
    return 0;
}

static apr_status_t free_tls(void *data)
{
    session *s = data;
    if (s->ssl) {
        SSL_free(s->ssl);
        s->ssl = NULL;
    }
    if (s->ctx) {
        SSL_CTX_free(s->ctx);
        s->ctx = NULL;
    }
    return APR_SUCCESS;
}

/* A relay closing the connection while we write must not kill a command-line tool (eas-deliver
 * sending an out-of-office reply) with SIGPIPE: block it for this thread while we talk and
 * swallow one that arrived meanwhile (what libpq does). httpd ignores SIGPIPE anyway. */
static int sigpipe_block(sigset_t *old, int *was_pending)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (pthread_sigmask(SIG_BLOCK, &pipe, old) != 0) {
        return -1;
    }
    sigpending(&pending);
    *was_pending = sigismember(&pending, SIGPIPE);
    return 0;
}

static void sigpipe_restore(const sigset_t *old, int was_pending)
{
    sigset_t pipe, pending;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    sigpending(&pending);
    if (!was_pending && sigismember(&pending, SIGPIPE)) {
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe, NULL, &zero);
    }
    pthread_sigmask(SIG_SETMASK, old, NULL);
}

static int smtp_send(apr_pool_t *p, const eas_smtp_opts *o, const eas_smtp_msg *m,
                     eas_smtp_result *res);

int eas_smtp_send(apr_pool_t *p, const eas_smtp_opts *o, const eas_smtp_msg *m,
                  eas_smtp_result *res)
{
    sigset_t old;
    int pending = 0, blocked = sigpipe_block(&old, &pending) == 0, rc;
    rc = smtp_send(p, o, m, res);
    if (blocked) {
        sigpipe_restore(&old, pending);
    }
    return rc;
}

static int smtp_send(apr_pool_t *p, const eas_smtp_opts *o, const eas_smtp_msg *m,
                     eas_smtp_result *res)
{
    eas_smtp_url u;
    const char *err;
    apr_sockaddr_t *sa;
    apr_status_t st;
    apr_os_sock_t fd;
    session *s;
    char e[120];
    int rc;

    memset(res, 0, sizeof(*res));
    if ((err = eas_smtp_parse_url(p, o->url ? o->url : "", &u)) != NULL) {
        res->status = EAS_SMTP_PERM;
        res->stage = "connect";
        res->reply = err;
        return res->status;
    }
    if (!m->rcpt || m->rcpt->nelts == 0) {
        res->status = EAS_SMTP_PERM;
        res->stage = "RCPT";
        res->reply = "no recipients";
        return res->status;
    }
    s = apr_pcalloc(p, sizeof(*s));
    s->p = p;
    s->o = o;
    s->res = res;
    s->host = u.host;
    apr_pool_cleanup_register(p, s, free_tls, apr_pool_cleanup_null);
    if ((st = apr_sockaddr_info_get(&sa, u.host, APR_UNSPEC, (apr_port_t)u.port, 0, p)) !=
        APR_SUCCESS) {
        fail(s, EAS_SMTP_TEMP, 0, "connect",
             apr_psprintf(p, "cannot resolve %s: %s", u.host, apr_strerror(st, e, sizeof(e))));
        return res->status;
    }
    /* every address of the name in turn, each with the timeout */
    for (; sa; sa = sa->next) {
        if ((st = apr_socket_create(&s->sock, sa->family, SOCK_STREAM, APR_PROTO_TCP, p)) !=
            APR_SUCCESS) {
            continue;
        }
        apr_socket_timeout_set(s->sock, apr_time_from_sec(o->timeout > 0 ? o->timeout : 30));
        if ((st = apr_socket_connect(s->sock, sa)) == APR_SUCCESS) {
            break;
        }
        apr_socket_close(s->sock);
        s->sock = NULL;
    }
    if (!s->sock) {
        fail(s, EAS_SMTP_TEMP, 0, "connect",
             apr_psprintf(p, "cannot connect to %s port %d: %s", u.host, u.port,
                          apr_strerror(st, e, sizeof(e))));
        return res->status;
    }
    apr_os_sock_get(&fd, s->sock);
    s->fd = fd;
    rc = session_run(s, &u, m);
    if (rc != 0 && res->rcpt) {
        /* nothing goes out when a recipient was refused */
        const char *keep = res->reply;
        int code = res->code, status = res->status;
        command(s, "RSET", "RSET", 200, 299, NULL);
        res->reply = keep;
        res->code = code;
        res->status = status;
        res->stage = "RCPT";
    }
    if (rc == 0 || res->code) {
        /* the relay is still talking: say goodbye (its answer does not matter) */
        eas_smtp_result keep = *res;
        command(s, "QUIT", "QUIT", 221, 221, NULL);
        *res = keep;
    }
    if (s->ssl) {
        SSL_shutdown(s->ssl);
    }
    free_tls(s);
    apr_socket_close(s->sock);
    if (rc == 0) {
        res->status = EAS_SMTP_OK;
    }
    return res->status;
}
