/* ping_load.c — Direct Push (Ping) load client for mod_eas; bench/bench_ping.py (make bench-push)
 * runs it, but it works on its own against any stack.
 *
 *   ping_load --port N --password PW [--devices N] [--db CONNINFO] [options]
 *
 * One process. One epoll thread drives N simulated devices, each with its own keep-alive HTTP/1.1
 * connection to --host:--port: user push%05d (index 0..N-1, --user-prefix), DeviceId PB%08d,
 * DeviceType PushBench, MS-ASProtocolVersion 14.1, HTTP Basic auth with one --password for all.
 * A second thread delivers mail with eas_deliver over its own libpq connection (--db).
 *
 * Phases, each ended by one line on stdout (flushed at once, for the caller to parse):
 *   setup    FolderSync (SyncKey 0) of every device, --setup-concurrency at a time, learning each
 *            user's Inbox ServerId, then Sync key 0 of the Inbox (not with --no-sync); HTTP 503
 *            is retried; each device's connection is closed when its setup is done.
 *              -> SETUP_DONE ok=N failed=F seconds=S
 *            With --gate the tool then waits for the line "go" on stdin (the caller measures
 *            the server's baseline in between).
 *   hold     every device sends its Ping (Inbox, --heartbeat seconds), --ramp-rate new devices per
 *            second. Every answer is recorded and the Ping re-issued at once on the same
 *            connection, so each device keeps one Ping held, as a phone does. A Status 2 is
 *            followed by a Sync of the Inbox first (until no MoreAvailable), as a phone does:
 *            mod_eas reports a folder as changed while a Sync would send something (--no-sync:
 *            re-issue the Ping at once, for servers that report changes since the last Ping).
 *            HTTP 503: the connection is closed (a new one may be accepted by another child) and
 *            the request re-sent after Retry-After seconds (at most --retry-after-max; without
 *            the header --retry-ms), +-50%. Once every device's Ping is outstanding and nothing
 *            was sent or received for --settle-ms:
 *              -> READY held=N pings=P http_503=X seconds=S   (S: ramp until all were held)
 *                 (after --ready-timeout without that: READY_TIMEOUT ...)
 *   idle     nothing happens for --idle-seconds, or with --gate until the line "deliver" on
 *            stdin (the caller measures idle CPU and memory; "stats" on stdin prints
 *            STATS held=.. pings=.. responses=.. status_1=.. status_2=.. http_503=.. errors=..
 *            connects=.., so it can tell that nothing happened meanwhile)
 *              -> IDLE_END held=H
 *   deliver  --deliveries messages of a few hundred bytes (unique Message-ID) to random users at
 *            --delivery-rate per second, from the delivery thread; then --wake-window seconds for
 *            the last wake-ups.
 *              -> DELIVER_END deliveries=D
 *   (then --hold-seconds more of holding, and finally one line of JSON: the summary)
 *
 * Wake latency: the delivery thread takes the CLOCK_MONOTONIC time right before eas_deliver and
 * right after it returned (the COMMIT is done); the epoll thread stamps a response with the time
 * its first bytes were read. After the run, per user, every Status-2 Ping answer is matched with
 * the deliveries to that user that started before it and no earlier Status 2 already reported:
 * latency = answer time - commit time (it can be a little negative: the server may answer before
 * libpq has handed eas_deliver the COMMIT's result). A Status 2 with nothing to match is a wrong
 * wake; a delivery not reported within --wake-window is a missed wake.
 *
 * Progress goes to stderr every --progress seconds (0: never). Exit status: 0 after the summary,
 * 2 on bad usage or when the process cannot get enough file descriptors, 1 on other setup failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <libpq-fe.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "eas_deliver.h"
#include "eas_mime.h"
#include "eas_wbxml.h"
#include "eas_xml.h"

#define NS_PER_S       1000000000LL
#define NS_PER_MS      1000000LL
#define MAX_EVENTS     512
#define MAX_RESPONSE   (4 * 1024 * 1024)
#define SETUP_ATTEMPTS 20
#define RA_BUCKETS     122 /* 503s by Retry-After: none, 0..119, more */

/* ------------------------------------------------------------------------------------------- */
/* options                                                                                      */

static struct {
    const char *host, *password, *prefix, *db, *version, *device_type;
    int port, devices, heartbeat, setup_conc, ramp_rate, deliveries, sync_on_wake, empty_ping;
    int gate, retry_ms, retry_after_max, settle_ms, progress;
    double delivery_rate, idle_s, hold_s, ready_timeout_s, wake_window_s, setup_timeout_s;
    unsigned long long seed;
} opt = {
    .host = "127.0.0.1",
    .prefix = "push",
    .version = "14.1",
    .device_type = "PushBench",
    .devices = 200,
    .heartbeat = 900,
    .setup_conc = 64,
    .ramp_rate = 2000,
    .deliveries = 200,
    .retry_ms = 500,
    .retry_after_max = 60,
    .settle_ms = 2000,
    .progress = 5,
    .sync_on_wake = 1,
    .delivery_rate = 20,
    .idle_s = 20,
    .hold_s = 0,
    .ready_timeout_s = 600,
    .wake_window_s = 5,
    .setup_timeout_s = 1800,
    .seed = 20240601,
};

/* ------------------------------------------------------------------------------------------- */
/* state                                                                                        */

enum { S_IDLE, S_CONNECTING, S_SENDING, S_READING };
enum { K_NONE, K_FOLDERSYNC, K_SYNC0, K_SYNC, K_PING };
enum { SU_PENDING, SU_RUNNING, SU_OK, SU_FAILED };

typedef struct dev {
    int fd;
    int idx;
    unsigned char state, kind, setup, retried, held, sent_full_ping;
    unsigned short attempts;
    uint32_t ev; /* epoll mask registered for fd */
    unsigned reqs_on_conn;
    char inbox[32];
    char *synckey;
    char *out;
    size_t out_len, out_off;
    char *in;
    size_t in_len, in_cap;
    int64_t t_sent, t_first, deadline, action_at;
} dev;

typedef struct wake {
    int dev;
    int folder_ok;
    int64_t t_resp, t_sent;
} wake;

typedef struct delivery {
    int dev, rc;
    int64_t t_start, t_commit;
} delivery;

static struct {
    int ep;
    struct sockaddr_in addr;
    dev *devs;
    int64_t next_due;
    int stopping;
    /* setup */
    int setup_next, setup_running, setup_ok, setup_failed, setup_503, setup_printed;
    /* hold */
    int ramp_next, holding;
    long held, max_held, min_held_delivering;
    int delivering, cmd_go, cmd_deliver;
    /* counters */
    long connects, pings_sent, responses, status1, status2, status_other[256], http_503, http_other,
        http_codes[600], conn_errors, timeouts, parse_errors, keepalive_retries, syncs, sync_adds,
        sync_errors, server_closed_idle, errors_printed, ra_counts[RA_BUCKETS];
    int64_t last_activity; /* a request sent or a response read */
    /* wakes */
    wake *wakes;
    size_t nwakes, cap_wakes;
    /* deliveries (written by the delivery thread; read after it was joined) */
    delivery *dl;
    int dl_count, dl_failed;
    volatile int dl_done;
    const char *dl_error;
    apr_pool_t *pool;
} G;

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ping_load: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        die("out of memory");
    }
    return p;
}

static void *xrealloc(void *p, size_t n)
{
    p = realloc(p, n ? n : 1);
    if (!p) {
        die("out of memory");
    }
    return p;
}

/* at most a few lines per kind of error go to stderr; the counters tell the rest */
static void note_error(const dev *d, const char *fmt, ...)
{
    va_list ap;
    if (G.errors_printed >= 20) {
        return;
    }
    G.errors_printed++;
    va_start(ap, fmt);
    fprintf(stderr, "ping_load: device %d: ", d->idx);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stdout, fmt, ap);
    va_end(ap);
    fputc('\n', stdout);
    fflush(stdout);
}

/* splitmix64; one state per thread */
static uint64_t rng_main, rng_deliver;

static uint64_t rng(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void due(int64_t t)
{
    if (t < G.next_due) {
        G.next_due = t;
    }
}

/* ------------------------------------------------------------------------------------------- */
/* requests                                                                                     */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void b64(const char *in, size_t n, char *out)
{
    size_t i;
    char *o = out;
    for (i = 0; i + 2 < n; i += 3) {
        unsigned v =
            (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = B64[(v >> 6) & 63];
        *o++ = B64[v & 63];
    }
    if (i < n) {
        unsigned v = (unsigned char)in[i] << 16 | (i + 1 < n ? (unsigned char)in[i + 1] << 8 : 0);
        *o++ = B64[v >> 18];
        *o++ = B64[(v >> 12) & 63];
        *o++ = i + 1 < n ? B64[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
}

static void user_name(int idx, char *buf, size_t len)
{
    snprintf(buf, len, "%s%05d", opt.prefix, idx);
}

static unsigned char *encode_doc(xmlDocPtr doc, size_t *len)
{
    unsigned char *out = NULL;
    char err[256];
    if (eas_wbxml_encode(doc, &out, len, err, sizeof(err)) != EAS_WBXML_OK) {
        die("WBXML encode: %s", err);
    }
    xmlFreeDoc(doc);
    return out;
}

static unsigned char *body_foldersync(size_t *len)
{
    xmlDocPtr doc = eas_xml_new_doc("FolderHierarchy:", "FolderSync");
    eas_xml_add(xmlDocGetRootElement(doc), NULL, "SyncKey", "0");
    return encode_doc(doc, len);
}

static unsigned char *body_sync(const dev *d, size_t *len)
{
    xmlDocPtr doc = eas_xml_new_doc("AirSync:", "Sync");
    xmlNodePtr cols = eas_xml_add(xmlDocGetRootElement(doc), NULL, "Collections", NULL);
    xmlNodePtr col = eas_xml_add(cols, NULL, "Collection", NULL);
    int initial = !d->synckey;
    eas_xml_add(col, NULL, "SyncKey", initial ? "0" : d->synckey);
    eas_xml_add(col, NULL, "CollectionId", d->inbox);
    if (!initial) {
        eas_xml_add(col, NULL, "GetChanges", "1");
        eas_xml_add(col, NULL, "WindowSize", "100");
    }
    return encode_doc(doc, len);
}

static unsigned char *body_ping(const dev *d, size_t *len)
{
    xmlDocPtr doc = eas_xml_new_doc("Ping:", "Ping");
    xmlNodePtr root = xmlDocGetRootElement(doc), folders, f;
    eas_xml_add_int(root, NULL, "HeartbeatInterval", opt.heartbeat);
    folders = eas_xml_add(root, NULL, "Folders", NULL);
    f = eas_xml_add(folders, NULL, "Folder", NULL);
    eas_xml_add(f, NULL, "Id", d->inbox);
    eas_xml_add(f, NULL, "Class", "Email");
    return encode_doc(doc, len);
}

static void build_request(dev *d)
{
    static const char *cmds[] = {"", "FolderSync", "Sync", "Sync", "Ping"};
    char user[64], cred[256], auth[360];
    unsigned char *body = NULL;
    size_t blen = 0, cap;
    int n;

    user_name(d->idx, user, sizeof(user));
    n = snprintf(cred, sizeof(cred), "%s:%s", user, opt.password);
    b64(cred, (size_t)n, auth);
    switch (d->kind) {
    case K_FOLDERSYNC:
        body = body_foldersync(&blen);
        break;
    case K_SYNC0:
    case K_SYNC:
        body = body_sync(d, &blen);
        break;
    case K_PING:
        /* --empty-ping: after the first full Ping the server is to reuse its parameters */
        if (!(opt.empty_ping && d->sent_full_ping)) {
            body = body_ping(d, &blen);
        }
        break;
    }
    cap = 1024 + blen;
    free(d->out);
    d->out = xmalloc(cap);
    n = snprintf(d->out, cap,
                 "POST /Microsoft-Server-ActiveSync?Cmd=%s&User=%s&DeviceId=PB%08d&DeviceType=%s "
                 "HTTP/1.1\r\n"
                 "Host: %s:%d\r\n"
                 "Authorization: Basic %s\r\n"
                 "MS-ASProtocolVersion: %s\r\n"
                 "Content-Type: application/vnd.ms-sync.wbxml\r\n"
                 "User-Agent: ping_load/1\r\n"
                 "Content-Length: %zu\r\n\r\n",
                 cmds[d->kind], user, d->idx, opt.device_type, opt.host, opt.port, auth,
                 opt.version, blen);
    if (n < 0 || (size_t)n + blen > cap) {
        die("request too long");
    }
    if (blen) {
        memcpy(d->out + n, body, blen);
    }
    free(body);
    d->out_len = (size_t)n + blen;
    d->out_off = 0;
}

/* ------------------------------------------------------------------------------------------- */
/* HTTP responses                                                                               */

typedef struct hresp {
    int code, close;
    long retry_after; /* seconds, -1 without the header */
    const char *body;
    size_t body_len;
    char *owned; /* decoded chunked body */
    size_t consumed;
} hresp;

static const char *find_crlf(const char *p, const char *end)
{
    const char *q = memchr(p, '\n', (size_t)(end - p));
    return q && q > p && q[-1] == '\r' ? q - 1 : (q ? q : NULL);
}

/* 1: complete response in r; 0: need more bytes; -1: malformed. At eof a body delimited by the
 * connection's end is complete. */
static int http_parse(const char *buf, size_t len, int eof, hresp *r)
{
    const char *p = buf, *end = buf + len;
    memset(r, 0, sizeof(*r));
    r->retry_after = -1;
    for (;;) {
        const char *hend = NULL, *line, *le;
        long long clen = -1;
        int chunked = 0, minor = 1, keepalive = 0;
        size_t i;

        for (i = 0; p + i + 3 < end; ++i) {
            if (p[i] == '\r' && p[i + 1] == '\n' && p[i + 2] == '\r' && p[i + 3] == '\n') {
                hend = p + i;
                break;
            }
        }
        if (!hend) {
            return (size_t)(end - p) > 65536 || eof ? -1 : 0;
        }
        if (end - p < 12 || strncmp(p, "HTTP/1.", 7) != 0 || p[8] != ' ') {
            return -1;
        }
        minor = p[7] - '0';
        r->code = atoi(p + 9);
        if (r->code < 100 || r->code > 599) {
            return -1;
        }
        r->close = minor == 0;
        line = find_crlf(p, hend + 2);
        while (line && line < hend) {
            line += 2;
            le = find_crlf(line, hend + 2);
            if (!le) {
                break;
            }
            if (!strncasecmp(line, "Content-Length:", 15)) {
                clen = strtoll(line + 15, NULL, 10);
            } else if (!strncasecmp(line, "Retry-After:", 12)) {
                r->retry_after = strtol(line + 12, NULL, 10);
            } else if (!strncasecmp(line, "Transfer-Encoding:", 18)) {
                const char *v = line + 18;
                while (v < le && (*v == ' ' || *v == '\t')) {
                    v++;
                }
                chunked = (size_t)(le - v) >= 7 && !strncasecmp(v, "chunked", 7);
            } else if (!strncasecmp(line, "Connection:", 11)) {
                const char *v = line + 11;
                while (v < le && (*v == ' ' || *v == '\t')) {
                    v++;
                }
                if ((size_t)(le - v) >= 5 && !strncasecmp(v, "close", 5)) {
                    r->close = 1;
                } else if ((size_t)(le - v) >= 10 && !strncasecmp(v, "keep-alive", 10)) {
                    keepalive = 1;
                }
            }
            line = le;
        }
        if (minor == 0 && keepalive) {
            r->close = 0;
        }
        p = hend + 4;
        if (r->code < 200) {
            continue; /* 100 Continue and friends */
        }
        if (r->code == 204 || r->code == 304) {
            r->body = p;
            r->body_len = 0;
            r->consumed = (size_t)(p - buf);
            return 1;
        }
        if (chunked) {
            size_t olen = 0;
            char *o = NULL;
            for (;;) {
                const char *cl = find_crlf(p, end);
                char *ep;
                unsigned long long sz;
                if (!cl) {
                    free(o);
                    return eof ? -1 : 0;
                }
                sz = strtoull(p, &ep, 16);
                if (ep == p) {
                    free(o);
                    return -1;
                }
                p = cl + 2;
                if (sz == 0) {
                    /* trailers up to an empty line */
                    for (;;) {
                        const char *tl = find_crlf(p, end);
                        if (!tl) {
                            free(o);
                            return eof ? -1 : 0;
                        }
                        if (tl == p) {
                            p = tl + 2;
                            break;
                        }
                        p = tl + 2;
                    }
                    break;
                }
                if (sz > MAX_RESPONSE || (size_t)(end - p) < sz + 2) {
                    free(o);
                    return sz > MAX_RESPONSE || eof ? -1 : 0;
                }
                o = xrealloc(o, olen + sz + 1);
                memcpy(o + olen, p, sz);
                olen += sz;
                p += sz + 2;
            }
            r->owned = o;
            r->body = o ? o : "";
            r->body_len = olen;
            r->consumed = (size_t)(p - buf);
            return 1;
        }
        if (clen >= 0) {
            if ((long long)(end - p) < clen) {
                return eof ? -1 : 0;
            }
            r->body = p;
            r->body_len = (size_t)clen;
            r->consumed = (size_t)(p - buf) + (size_t)clen;
            return 1;
        }
        /* no length: the body ends with the connection */
        if (!eof) {
            return 0;
        }
        r->body = p;
        r->body_len = (size_t)(end - p);
        r->consumed = len;
        r->close = 1;
        return 1;
    }
}

/* ------------------------------------------------------------------------------------------- */
/* connections                                                                                  */

static void set_events(dev *d, uint32_t ev)
{
    struct epoll_event e;
    if (d->ev == ev) {
        return;
    }
    e.events = ev;
    e.data.ptr = d;
    if (epoll_ctl(G.ep, EPOLL_CTL_MOD, d->fd, &e) != 0) {
        die("epoll_ctl MOD: %s", strerror(errno));
    }
    d->ev = ev;
}

static void held_off(dev *d)
{
    if (d->held) {
        d->held = 0;
        G.held--;
        if (G.delivering && G.held < G.min_held_delivering) {
            G.min_held_delivering = G.held;
        }
    }
}

static void conn_close(dev *d)
{
    held_off(d);
    if (d->fd >= 0) {
        close(d->fd); /* also leaves the epoll set */
        d->fd = -1;
    }
    free(d->out);
    d->out = NULL;
    free(d->in);
    d->in = NULL;
    d->in_len = d->in_cap = 0;
    d->state = S_IDLE;
    d->ev = 0;
    d->reqs_on_conn = 0;
    d->deadline = 0;
}

static void do_send(dev *d);
static void request_failed(dev *d, const char *what, int err);

static void start_request(dev *d, int kind)
{
    int64_t now = now_ns();
    d->kind = (unsigned char)kind;
    d->action_at = 0;
    build_request(d);
    d->in_len = 0;
    d->t_first = 0;
    d->deadline = now + (kind == K_PING ? (int64_t)(opt.heartbeat + 120) * NS_PER_S
                                        : (int64_t)120 * NS_PER_S);
    due(d->deadline);
    if (d->fd < 0) {
        struct epoll_event e;
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
        if (fd < 0) {
            request_failed(d, "socket", errno);
            return;
        }
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        d->fd = fd;
        G.connects++;
        e.events = EPOLLOUT;
        e.data.ptr = d;
        if (epoll_ctl(G.ep, EPOLL_CTL_ADD, fd, &e) != 0) {
            die("epoll_ctl ADD: %s", strerror(errno));
        }
        d->ev = EPOLLOUT;
        if (connect(fd, (struct sockaddr *)&G.addr, sizeof(G.addr)) != 0 && errno != EINPROGRESS) {
            request_failed(d, "connect", errno);
            return;
        }
        d->state = S_CONNECTING;
        return;
    }
    d->state = S_SENDING;
    do_send(d);
}

static void schedule(dev *d, int kind, int64_t delay)
{
    d->kind = (unsigned char)kind;
    d->action_at = now_ns() + delay;
    due(d->action_at);
}

/* After a 503 with Retry-After: that many seconds (at most --retry-after-max), as a phone waits;
 * otherwise --retry-ms. Either +-50%, so a crowd that got 503 together does not come back
 * together. r may be NULL (no response at all). */
static int64_t retry_delay(const hresp *r)
{
    int64_t base = (int64_t)opt.retry_ms * NS_PER_MS;
    if (r && r->retry_after > 0) {
        base =
            (int64_t)(r->retry_after < opt.retry_after_max ? r->retry_after : opt.retry_after_max) *
            NS_PER_S;
    }
    return base / 2 + (int64_t)(rng(&rng_main) % (uint64_t)(base + 1));
}

static void count_503(const hresp *r)
{
    long ra = r->retry_after;
    G.ra_counts[ra >= 0 && ra < RA_BUCKETS - 1 ? ra + 1 : (ra < 0 ? 0 : RA_BUCKETS - 1)]++;
}

static void setup_finished(dev *d, int ok)
{
    d->setup = ok ? SU_OK : SU_FAILED;
    G.setup_running--;
    if (ok) {
        G.setup_ok++;
    } else {
        G.setup_failed++;
    }
    conn_close(d);
}

static void request_failed(dev *d, const char *what, int err)
{
    int64_t now = now_ns();
    int reused = d->reqs_on_conn > 0, kind = d->kind;
    /* the server may close an idle keep-alive connection just as the request goes out: resend
     * once on a new connection before calling it an error */
    if (reused && !d->retried && d->in_len == 0 &&
        (d->state != S_READING || now - d->t_sent < NS_PER_S)) {
        conn_close(d);
        d->retried = 1;
        G.keepalive_retries++;
        start_request(d, kind);
        return;
    }
    G.conn_errors++;
    note_error(d, "%s: %s (kind %d)", what, err ? strerror(err) : "connection closed", kind);
    conn_close(d);
    d->retried = 0;
    if (kind == K_FOLDERSYNC || kind == K_SYNC0) {
        if (++d->attempts > SETUP_ATTEMPTS) {
            setup_finished(d, 0);
            return;
        }
        schedule(d, kind, retry_delay(NULL));
        return;
    }
    if (!G.stopping) {
        schedule(d, kind, NS_PER_S);
    }
}

static void do_send(dev *d)
{
    while (d->out_off < d->out_len) {
        ssize_t n = send(d->fd, d->out + d->out_off, d->out_len - d->out_off, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                set_events(d, EPOLLOUT);
                return;
            }
            if (errno == EINTR) {
                continue;
            }
            request_failed(d, "send", errno);
            return;
        }
        d->out_off += (size_t)n;
    }
    free(d->out);
    d->out = NULL;
    d->state = S_READING;
    d->t_sent = now_ns();
    G.last_activity = d->t_sent;
    set_events(d, EPOLLIN | EPOLLRDHUP);
    if (d->kind == K_PING) {
        G.pings_sent++;
        if (!d->held) {
            d->held = 1;
            G.held++;
            if (G.held > G.max_held) {
                G.max_held = G.held;
            }
        }
    }
}

/* ------------------------------------------------------------------------------------------- */
/* responses                                                                                    */

static xmlDocPtr decode_body(dev *d, const hresp *r, const char *root_ns, const char *root_name)
{
    xmlDocPtr doc = NULL;
    char err[256];
    xmlNodePtr root;
    if (!r->body_len) {
        G.parse_errors++;
        note_error(d, "HTTP 200 without a body (kind %d)", d->kind);
        return NULL;
    }
    if (eas_wbxml_decode((const unsigned char *)r->body, r->body_len, NULL, &doc, err,
                         sizeof(err)) != EAS_WBXML_OK) {
        G.parse_errors++;
        note_error(d, "WBXML: %s", err);
        return NULL;
    }
    root = xmlDocGetRootElement(doc);
    if (!eas_xml_is(root, root_ns, root_name)) {
        G.parse_errors++;
        note_error(d, "unexpected root %s", root ? (const char *)root->name : "(none)");
        xmlFreeDoc(doc);
        return NULL;
    }
    return doc;
}

static void reissue(dev *d)
{
    if (!G.stopping) {
        start_request(d, K_PING);
    }
}

/* The HTTP status of a set-up step: 503 retries it later (up to SETUP_ATTEMPTS), anything but 200
 * ends the device's set-up as failed. 1 when the response was handled here. */
static int setup_http(dev *d, const hresp *r, int again, const char *what)
{
    if (r->code == 503) {
        G.setup_503++;
        count_503(r);
        conn_close(d);
        if (++d->attempts > SETUP_ATTEMPTS) {
            setup_finished(d, 0);
        } else {
            schedule(d, again, retry_delay(r));
        }
        return 1;
    }
    if (r->code != 200) {
        G.http_other++;
        G.http_codes[r->code]++;
        note_error(d, "%s: HTTP %d", what, r->code);
        setup_finished(d, 0);
        return 1;
    }
    return 0;
}

static void on_foldersync(dev *d, const hresp *r)
{
    xmlDocPtr doc;
    xmlNodePtr root, changes, add;
    const char *st;
    char status[16];
    if (setup_http(d, r, K_FOLDERSYNC, "FolderSync")) {
        return;
    }
    doc = decode_body(d, r, "FolderHierarchy:", "FolderSync");
    if (!doc) {
        setup_finished(d, 0);
        return;
    }
    root = xmlDocGetRootElement(doc);
    st = eas_xml_child_text(root, NULL, "Status");
    snprintf(status, sizeof(status), "%s", st ? st : "(none)");
    d->inbox[0] = '\0';
    changes = eas_xml_child(root, NULL, "Changes");
    for (add = eas_xml_child(changes, NULL, "Add"); add; add = eas_xml_next(add)) {
        const char *type = eas_xml_child_text(add, NULL, "Type");
        const char *sid = eas_xml_child_text(add, NULL, "ServerId");
        if (type && sid && !strcmp(type, "2") && strlen(sid) < sizeof(d->inbox)) {
            strcpy(d->inbox, sid);
        }
    }
    xmlFreeDoc(doc);
    if (strcmp(status, "1") != 0 || !d->inbox[0]) {
        G.parse_errors++;
        note_error(d, "FolderSync: Status %s, %s", status,
                   d->inbox[0] ? "Inbox found" : "no Inbox (Type 2)");
        setup_finished(d, 0);
        return;
    }
    d->attempts = 0;
    if (opt.sync_on_wake) {
        start_request(d, K_SYNC0);
    } else {
        setup_finished(d, 1);
    }
}

/* Sync of the Inbox: 1 done (new key stored), 2 more available, 0 failed. */
static int sync_result(dev *d, const hresp *r)
{
    xmlDocPtr doc = decode_body(d, r, "AirSync:", "Sync");
    xmlNodePtr root, col, cmds, c;
    const char *st, *key;
    int more, ok = 0;
    if (!doc) {
        return 0;
    }
    root = xmlDocGetRootElement(doc);
    col = eas_xml_child(eas_xml_child(root, NULL, "Collections"), NULL, "Collection");
    st = eas_xml_child_text(col ? col : root, NULL, "Status");
    key = col ? eas_xml_child_text(col, NULL, "SyncKey") : NULL;
    if (st && !strcmp(st, "1") && key && *key) {
        free(d->synckey);
        d->synckey = strdup(key);
        more = eas_xml_child(col, NULL, "MoreAvailable") != NULL;
        cmds = eas_xml_child(col, NULL, "Commands");
        for (c = cmds ? cmds->children : NULL; c; c = c->next) {
            if (eas_xml_is(c, NULL, "Add")) {
                G.sync_adds++;
            }
        }
        ok = more ? 2 : 1;
    } else {
        note_error(d, "Sync: Status %s", st ? st : "(none)");
    }
    xmlFreeDoc(doc);
    return ok;
}

static void on_sync0(dev *d, const hresp *r)
{
    if (setup_http(d, r, K_SYNC0, "Sync key 0")) {
        return;
    }
    setup_finished(d, sync_result(d, r) != 0);
}

static void on_sync(dev *d, const hresp *r)
{
    int res;
    G.syncs++;
    if (r->code == 503) {
        G.http_503++;
        count_503(r);
        conn_close(d);
        schedule(d, K_SYNC, retry_delay(r));
        return;
    }
    if (r->code != 200) {
        G.http_other++;
        G.http_codes[r->code]++;
        G.sync_errors++;
        note_error(d, "Sync: HTTP %d", r->code);
        schedule(d, K_PING, 2 * NS_PER_S);
        return;
    }
    res = sync_result(d, r);
    if (res == 2) {
        start_request(d, K_SYNC);
    } else {
        if (res == 0) {
            G.sync_errors++;
        }
        reissue(d);
    }
}

static void record_wake(dev *d, int folder_ok)
{
    wake *w;
    if (G.nwakes == G.cap_wakes) {
        G.cap_wakes = G.cap_wakes ? G.cap_wakes * 2 : 1024;
        G.wakes = xrealloc(G.wakes, G.cap_wakes * sizeof(*G.wakes));
    }
    w = &G.wakes[G.nwakes++];
    w->dev = d->idx;
    w->folder_ok = folder_ok;
    w->t_resp = d->t_first;
    w->t_sent = d->t_sent;
}

static void on_ping(dev *d, const hresp *r)
{
    xmlDocPtr doc;
    xmlNodePtr root, f;
    const char *st;
    int status, folder_ok = 0;

    if (r->code == 503) {
        /* the child's cap on held Pings (Retry-After 1) or no database connection in time:
         * come back later on a new connection, which another child may accept */
        G.http_503++;
        count_503(r);
        conn_close(d);
        schedule(d, K_PING, retry_delay(r));
        return;
    }
    if (r->code != 200) {
        G.http_other++;
        G.http_codes[r->code]++;
        note_error(d, "Ping: HTTP %d", r->code);
        schedule(d, K_PING, 2 * NS_PER_S);
        return;
    }
    doc = decode_body(d, r, "Ping:", "Ping");
    if (!doc) {
        schedule(d, K_PING, 2 * NS_PER_S);
        return;
    }
    d->sent_full_ping = 1;
    root = xmlDocGetRootElement(doc);
    st = eas_xml_child_text(root, NULL, "Status");
    status = st ? atoi(st) : -1;
    if (status == 2) {
        for (f = eas_xml_child(eas_xml_child(root, NULL, "Folders"), NULL, "Folder"); f;
             f = eas_xml_next(f)) {
            const char *id = f->children && f->children->type == XML_TEXT_NODE
                                 ? (const char *)f->children->content
                                 : NULL;
            if (id && !strcmp(id, d->inbox)) {
                folder_ok = 1;
            }
        }
    }
    xmlFreeDoc(doc);
    if (status == 1) {
        G.status1++;
        reissue(d);
    } else if (status == 2) {
        G.status2++;
        record_wake(d, folder_ok);
        if (opt.sync_on_wake) {
            start_request(d, K_SYNC);
        } else {
            reissue(d);
        }
    } else {
        G.status_other[status >= 0 && status < 256 ? status : 255]++;
        note_error(d, "Ping: Status %d", status);
        schedule(d, K_PING, 2 * NS_PER_S);
    }
}

static void on_response(dev *d, hresp *r)
{
    int kind = d->kind;
    char *in = d->in; /* r points into it: detached, so that closing or reading cannot free it */
    d->in = NULL;
    d->in_cap = 0;
    G.responses++;
    held_off(d);
    d->reqs_on_conn++;
    d->retried = 0;
    d->in_len = 0;
    d->deadline = 0;
    d->state = S_IDLE;
    if (r->close) {
        /* the next request opens a new connection */
        conn_close(d);
    }
    switch (kind) {
    case K_FOLDERSYNC:
        on_foldersync(d, r);
        break;
    case K_SYNC0:
        on_sync0(d, r);
        break;
    case K_SYNC:
        on_sync(d, r);
        break;
    case K_PING:
        on_ping(d, r);
        break;
    }
    free(r->owned);
    free(in);
}

static void do_read(dev *d)
{
    int eof = 0;
    hresp r;
    int rc;
    for (;;) {
        ssize_t n;
        if (d->in_cap - d->in_len < 4096) {
            if (d->in_cap >= MAX_RESPONSE) {
                G.parse_errors++;
                note_error(d, "response larger than %d bytes", MAX_RESPONSE);
                conn_close(d);
                schedule(d, d->kind, NS_PER_S);
                return;
            }
            d->in_cap = d->in_cap ? d->in_cap * 2 : 8192;
            d->in = xrealloc(d->in, d->in_cap);
        }
        n = recv(d->fd, d->in + d->in_len, d->in_cap - d->in_len, 0);
        if (n > 0) {
            if (d->in_len == 0 && d->state == S_READING && !d->t_first) {
                d->t_first = now_ns();
                G.last_activity = d->t_first;
            }
            d->in_len += (size_t)n;
            continue;
        }
        if (n == 0) {
            eof = 1;
            break;
        }
        if (errno == EINTR) {
            continue;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        }
        request_failed(d, "recv", errno);
        return;
    }
    if (d->state != S_READING) {
        /* idle keep-alive connection: the server closed it (KeepAliveTimeout) */
        if (d->in_len) {
            G.parse_errors++;
            note_error(d, "%zu unexpected bytes on an idle connection", d->in_len);
        } else if (eof) {
            G.server_closed_idle++;
        }
        conn_close(d);
        return;
    }
    if (d->in_len == 0) {
        if (eof) {
            request_failed(d, "response", 0);
        }
        return;
    }
    rc = http_parse(d->in, d->in_len, eof, &r);
    if (rc == 0 && !eof) {
        return;
    }
    if (rc <= 0) {
        G.parse_errors++;
        note_error(d, "malformed or truncated HTTP response (%zu bytes)", d->in_len);
        request_failed(d, "response", 0);
        return;
    }
    if (r.consumed != d->in_len) {
        G.parse_errors++;
        note_error(d, "%zu bytes after the response", d->in_len - r.consumed);
        r.close = 1;
    }
    if (eof) {
        r.close = 1;
    }
    on_response(d, &r);
}

static void on_event(dev *d, uint32_t ev)
{
    switch (d->state) {
    case S_CONNECTING: {
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(d->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) {
            err = errno;
        }
        if (err) {
            request_failed(d, "connect", err);
            return;
        }
        d->state = S_SENDING;
        do_send(d);
        return;
    }
    case S_SENDING:
        if (ev & (EPOLLERR | EPOLLHUP)) {
            request_failed(d, "send", EPIPE);
            return;
        }
        do_send(d);
        return;
    default:
        do_read(d);
        return;
    }
}

/* Starts what is due and times out what took too long; recomputes G.next_due. */
static void scan_due(int64_t now)
{
    int i;
    int64_t next = INT64_MAX;
    for (i = 0; i < opt.devices; ++i) {
        dev *d = &G.devs[i];
        if (d->action_at && d->action_at <= now) {
            if (!G.stopping) {
                start_request(d, d->kind);
            } else {
                d->action_at = 0;
            }
        } else if (d->deadline && d->deadline <= now && d->state != S_IDLE) {
            int kind = d->kind;
            G.timeouts++;
            note_error(d, "no answer within %lld s (kind %d)",
                       (long long)((now - d->t_sent) / NS_PER_S), kind);
            conn_close(d);
            if (kind == K_FOLDERSYNC || kind == K_SYNC0) {
                if (++d->attempts > SETUP_ATTEMPTS) {
                    setup_finished(d, 0);
                    continue;
                }
            }
            schedule(d, kind, NS_PER_S);
        }
        if (d->action_at && d->action_at < next) {
            next = d->action_at;
        }
        if (d->deadline && d->state != S_IDLE && d->deadline < next) {
            next = d->deadline;
        }
    }
    G.next_due = next;
}

/* --gate: commands on stdin, one per line. "go" ends the wait after SETUP_DONE, "stats" prints a
 * STATS line at once, "deliver" ends the idle phase. */
static void print_stats(void)
{
    long other = 0;
    int i;
    for (i = 0; i < 256; ++i) {
        other += G.status_other[i];
    }
    say("STATS held=%ld pings=%ld responses=%ld status_1=%ld status_2=%ld http_503=%ld "
        "errors=%ld connects=%ld",
        G.held, G.pings_sent, G.responses, G.status1, G.status2, G.http_503,
        G.conn_errors + G.timeouts + G.parse_errors + G.http_other + G.sync_errors + other,
        G.connects);
}

static void stdin_read(void)
{
    static char buf[1024];
    static size_t len;
    ssize_t n = read(STDIN_FILENO, buf + len, sizeof(buf) - 1 - len);
    char *nl;
    if (n <= 0) {
        if (n < 0 && errno == EINTR) {
            return;
        }
        die("stdin closed while waiting for commands (--gate)");
    }
    len += (size_t)n;
    buf[len] = '\0';
    while ((nl = strchr(buf, '\n')) != NULL) {
        *nl = '\0';
        if (!strcmp(buf, "go")) {
            G.cmd_go = 1;
        } else if (!strcmp(buf, "stats")) {
            print_stats();
        } else if (!strcmp(buf, "deliver")) {
            G.cmd_deliver = 1;
        } else if (buf[0]) {
            fprintf(stderr, "ping_load: unknown command '%s' (go, stats, deliver)\n", buf);
        }
        len -= (size_t)(nl + 1 - buf);
        memmove(buf, nl + 1, len + 1);
    }
    if (len == sizeof(buf) - 1) {
        len = 0; /* a line that long is no command */
    }
}

/* One round of the event loop: waits at most max_wait (ns) for events or the next due time. */
static void loop_once(int64_t max_wait)
{
    struct epoll_event evs[MAX_EVENTS];
    int64_t now = now_ns(), wait = max_wait;
    int n, i, ms;
    if (G.next_due != INT64_MAX) {
        int64_t until = G.next_due - now;
        if (until < wait) {
            wait = until < 0 ? 0 : until;
        }
    }
    ms = (int)((wait + NS_PER_MS - 1) / NS_PER_MS);
    n = epoll_wait(G.ep, evs, MAX_EVENTS, ms);
    if (n < 0 && errno != EINTR) {
        die("epoll_wait: %s", strerror(errno));
    }
    for (i = 0; i < n; ++i) {
        if (evs[i].data.ptr) {
            on_event(evs[i].data.ptr, evs[i].events);
        } else {
            stdin_read();
        }
    }
    now = now_ns();
    if (now >= G.next_due) {
        scan_due(now);
    }
}

/* ------------------------------------------------------------------------------------------- */
/* deliveries                                                                                   */

static void *deliver_main(void *arg)
{
    PGconn *c = PQconnectdb(opt.db);
    apr_pool_t *p;
    int64_t t0;
    int k;
    (void)arg;
    if (PQstatus(c) != CONNECTION_OK) {
        G.dl_error = strdup(PQerrorMessage(c));
        PQfinish(c);
        G.dl_done = 1;
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    apr_pool_create(&p, G.pool);
    t0 = now_ns();
    for (k = 0; k < opt.deliveries; ++k) {
        int64_t at = t0 + (int64_t)((double)k * NS_PER_S / opt.delivery_rate), now = now_ns();
        char user[64], msg[1024];
        const char *err = NULL;
        long long uid = 0;
        int dup = 0, n, u;
        delivery *dl = &G.dl[k];
        if (at > now) {
            struct timespec ts = {(time_t)((at - now) / NS_PER_S), (long)((at - now) % NS_PER_S)};
            nanosleep(&ts, NULL);
        }
        u = (int)(rng(&rng_deliver) % (uint64_t)opt.devices);
        while (G.devs[u].setup != SU_OK) {
            u = (u + 1) % opt.devices; /* devices whose setup failed have no user to deliver to */
        }
        user_name(u, user, sizeof(user));
        n = snprintf(
            msg, sizeof(msg),
            "From: Push Bench <bench@example.org>\r\n"
            "To: %s@example.org\r\n"
            "Subject: push bench %d\r\n"
            "Date: Mon, 03 Jun 2024 10:00:00 +0000\r\n"
            "Message-ID: <%d.%llu.%ld@ping-load.example.org>\r\n"
            "MIME-Version: 1.0\r\n"
            "Content-Type: text/plain; charset=utf-8\r\n"
            "\r\n"
            "Message %d of the Direct Push benchmark, delivered to %s while its device\r\n"
            "holds a Ping. A few hundred bytes, like a short notification mail, so that\r\n"
            "the delivery itself costs little and the wake-up is what is measured.\r\n",
            user, k, k, opt.seed, (long)getpid(), k, user);
        dl->dev = u;
        dl->t_start = now_ns();
        dl->rc = eas_deliver(c, p, user, NULL, msg, (apr_size_t)n, 0, &uid, &dup, &err);
        dl->t_commit = now_ns();
        if (dl->rc != EAS_DELIVER_OK) {
            G.dl_failed++;
            if (G.dl_failed <= 5) {
                fprintf(stderr, "ping_load: delivery %d to %s failed (%d): %s\n", k, user, dl->rc,
                        err ? err : "?");
            }
        }
        apr_pool_clear(p);
        __atomic_store_n(&G.dl_count, k + 1, __ATOMIC_RELEASE);
    }
    apr_pool_destroy(p);
    PQfinish(c);
    __atomic_store_n(&G.dl_done, 1, __ATOMIC_RELEASE);
    return NULL;
}

/* ------------------------------------------------------------------------------------------- */
/* summary                                                                                      */

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static double pct_ms(const int64_t *v, size_t n, double p)
{
    size_t i;
    if (!n) {
        return 0;
    }
    i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
    return (double)v[i < n ? i : n - 1] / 1e6;
}

typedef struct analysis {
    long woken, missed, late, wrong, wrong_folder, negative, failed;
    int64_t *lat;
    size_t nlat;
} analysis;

static void analyse(analysis *a)
{
    size_t w;
    int k, n = G.dl_count;
    int64_t window = (int64_t)(opt.wake_window_s * NS_PER_S);
    int64_t *wake_at = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    memset(a, 0, sizeof(*a));
    for (k = 0; k < n; ++k) {
        wake_at[k] = G.dl[k].rc == EAS_DELIVER_OK ? 0 : -1;
    }
    /* wakes are in arrival order; each reports every delivery to its user that started before it
     * and that no earlier wake reported */
    for (w = 0; w < G.nwakes; ++w) {
        const wake *x = &G.wakes[w];
        int matched = 0;
        for (k = 0; k < n; ++k) {
            if (wake_at[k] == 0 && G.dl[k].dev == x->dev && G.dl[k].t_start < x->t_resp) {
                wake_at[k] = x->t_resp;
                matched = 1;
            }
        }
        if (!matched) {
            a->wrong++;
        } else if (!x->folder_ok) {
            a->wrong_folder++;
        }
    }
    a->lat = xmalloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (k = 0; k < n; ++k) {
        int64_t lat;
        if (wake_at[k] < 0) {
            a->failed++;
            continue;
        }
        if (wake_at[k] == 0) {
            a->missed++;
            continue;
        }
        lat = wake_at[k] - G.dl[k].t_commit;
        a->woken++;
        if (lat > window) {
            a->missed++;
            a->late++;
        }
        if (lat < 0) {
            a->negative++;
        }
        a->lat[a->nlat++] = lat;
    }
    qsort(a->lat, a->nlat, sizeof(int64_t), cmp_i64);
    free(wake_at);
}

static void print_summary(int64_t t_setup, int64_t t_ramp, long held_ready, long held_deliv,
                          long held_end, int ready)
{
    analysis a;
    struct rusage ru;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    long errors, other = 0;
    int i;
    double mean = 0;
    size_t j;

    analyse(&a);
    for (j = 0; j < a.nlat; ++j) {
        mean += (double)a.lat[j] / 1e6;
    }
    mean = a.nlat ? mean / (double)a.nlat : 0;
    for (i = 0; i < 256; ++i) {
        other += G.status_other[i];
    }
    errors = G.http_other + other + G.conn_errors + G.timeouts + G.parse_errors + G.sync_errors +
             G.dl_failed + G.setup_failed + (G.dl_error ? 1 : 0);
    getrusage(RUSAGE_SELF, &ru);
    fprintf(f, "{\"devices\": %d, \"ready\": %s, \"setup\": {\"ok\": %d, \"failed\": %d, ",
            opt.devices, ready ? "true" : "false", G.setup_ok, G.setup_failed);
    fprintf(f, "\"http_503\": %d, \"seconds\": %.3f}, ", G.setup_503, (double)t_setup / 1e9);
    fprintf(f, "\"ramp_seconds\": %.3f, \"max_held\": %ld, \"held_at_ready\": %ld, ",
            (double)t_ramp / 1e9, G.max_held, held_ready);
    fprintf(f, "\"held_at_deliveries\": %ld, \"min_held_during_deliveries\": %ld, ", held_deliv,
            G.min_held_delivering);
    fprintf(f, "\"held_at_end\": %ld, \"deliveries\": %d, \"deliveries_failed\": %d, ", held_end,
            G.dl_count, G.dl_failed);
    if (G.dl_error) {
        fprintf(f, "\"delivery_error\": \"");
        for (i = 0; G.dl_error[i]; ++i) {
            unsigned char ch = (unsigned char)G.dl_error[i];
            if (ch == '"' || ch == '\\') {
                fprintf(f, "\\%c", ch);
            } else if (ch >= 0x20) {
                fputc(ch, f);
            }
        }
        fprintf(f, "\", ");
    }
    fprintf(f, "\"woken\": %ld, \"latency_ms\": {\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, ",
            a.woken, pct_ms(a.lat, a.nlat, 50), pct_ms(a.lat, a.nlat, 90),
            pct_ms(a.lat, a.nlat, 99));
    fprintf(f, "\"max\": %.3f, \"min\": %.3f, \"mean\": %.3f}, ",
            a.nlat ? (double)a.lat[a.nlat - 1] / 1e6 : 0.0, a.nlat ? (double)a.lat[0] / 1e6 : 0.0,
            mean);
    fprintf(f, "\"wake_before_commit_returned\": %ld, ", a.negative);
    fprintf(f, "\"wrong_wakes\": %ld, \"wrong_folder_wakes\": %ld, \"missed_wakes\": %ld, ",
            a.wrong, a.wrong_folder, a.missed);
    fprintf(f, "\"late_wakes\": %ld, \"wake_window_s\": %.1f, ", a.late, opt.wake_window_s);
    fprintf(f, "\"pings_sent\": %ld, \"responses\": %ld, \"status_1\": %ld, \"status_2\": %ld, ",
            G.pings_sent, G.responses, G.status1, G.status2);
    fprintf(f, "\"status_other\": {");
    for (i = 0, j = 0; i < 256; ++i) {
        if (G.status_other[i]) {
            fprintf(f, "%s\"%d\": %ld", j++ ? ", " : "", i == 255 ? -1 : i, G.status_other[i]);
        }
    }
    fprintf(f, "}, \"http_503\": %ld, \"http_503_by_retry_after\": {", G.http_503);
    for (i = 0, j = 0; i < RA_BUCKETS; ++i) {
        if (G.ra_counts[i]) {
            char key[16];
            if (i == 0) {
                snprintf(key, sizeof(key), "none");
            } else {
                snprintf(key, sizeof(key), "%s%d", i == RA_BUCKETS - 1 ? ">=" : "", i - 1);
            }
            fprintf(f, "%s\"%s\": %ld", j++ ? ", " : "", key, G.ra_counts[i]);
        }
    }
    fprintf(f, "}, \"http_other\": {");
    for (i = 0, j = 0; i < 600; ++i) {
        if (G.http_codes[i]) {
            fprintf(f, "%s\"%d\": %ld", j++ ? ", " : "", i, G.http_codes[i]);
        }
    }
    fprintf(f, "}, \"errors\": %ld, \"error_detail\": {\"connection\": %ld, \"timeouts\": %ld, ",
            errors, G.conn_errors, G.timeouts);
    fprintf(f, "\"protocol\": %ld, \"sync\": %ld}, ", G.parse_errors, G.sync_errors);
    fprintf(f, "\"connects\": %ld, \"keepalive_retries\": %ld, \"server_closed_idle\": %ld, ",
            G.connects, G.keepalive_retries, G.server_closed_idle);
    fprintf(f, "\"syncs\": %ld, \"sync_adds\": %ld, ", G.syncs, G.sync_adds);
    fprintf(f,
            "\"options\": {\"heartbeat\": %d, \"ramp_rate\": %d, \"delivery_rate\": %.2f, "
            "\"sync_on_wake\": %s, \"empty_ping\": %s, \"retry_ms\": %d, "
            "\"retry_after_max\": %d, \"settle_ms\": %d}, ",
            opt.heartbeat, opt.ramp_rate, opt.delivery_rate, opt.sync_on_wake ? "true" : "false",
            opt.empty_ping ? "true" : "false", opt.retry_ms, opt.retry_after_max, opt.settle_ms);
    fprintf(f, "\"client_cpu_s\": %.3f, \"client_maxrss_kb\": %ld}",
            (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6,
            ru.ru_maxrss);
    fclose(f);
    say("%s", buf);
    free(buf);
    free(a.lat);
}

/* ------------------------------------------------------------------------------------------- */
/* main                                                                                         */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: ping_load --port N --password PW [options]\n"
            "  --host A             server address (127.0.0.1)\n"
            "  --devices N          simulated devices, users PREFIX%%05d (200)\n"
            "  --user-prefix S      user name prefix (push)\n"
            "  --db CONNINFO        database for the deliveries (needed when --deliveries > 0)\n"
            "  --heartbeat S        Ping HeartbeatInterval (900)\n"
            "  --setup-concurrency N FolderSyncs in flight during setup (64)\n"
            "  --ramp-rate N        new Pings per second in the hold phase (2000)\n"
            "  --settle-ms N        READY once all Pings are outstanding and nothing was sent\n"
            "                       or received for N ms (2000)\n"
            "  --ready-timeout S    give up waiting for READY after S seconds (600)\n"
            "  --idle-seconds S     sit still with all Pings held (20; not with --gate)\n"
            "  --deliveries N       messages to deliver (200)\n"
            "  --delivery-rate R    deliveries per second (20)\n"
            "  --wake-window S      a delivery not reported within S seconds is missed (5)\n"
            "  --hold-seconds S     keep holding this long after the deliveries (0)\n"
            "  --retry-ms N         delay (+-50%%) before a retry after HTTP 503 without\n"
            "                       Retry-After or a broken connection (500)\n"
            "  --retry-after-max S  after HTTP 503 wait Retry-After seconds (+-50%%), at most\n"
            "                       S (60)\n"
            "  --no-sync            after Status 2 re-issue the Ping at once, without the Sync\n"
            "                       a phone makes (the server must then report changes since\n"
            "                       the last Ping; mod_eas reports what a Sync would send)\n"
            "  --empty-ping         re-issued Pings have an empty body (server reuses params)\n"
            "  --gate               commands on stdin: after SETUP_DONE wait for \"go\", after\n"
            "                       READY hold until \"deliver\"; \"stats\" prints a STATS line\n"
            "  --progress S         progress on stderr every S seconds, 0 = never (5)\n"
            "  --seed N             seed for the choice of recipients (20240601)\n");
}

static void raise_nofile(int need)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) {
        die("getrlimit: %s", strerror(errno));
    }
    if (rl.rlim_cur >= (rlim_t)need) {
        return;
    }
    if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (rlim_t)need) {
        fprintf(stderr,
                "ping_load: %d devices need %d file descriptors, the hard limit is %llu: raise it "
                "(as root: ulimit -Hn %d) or use fewer devices\n",
                opt.devices, need, (unsigned long long)rl.rlim_max, need);
        exit(2);
    }
    rl.rlim_cur = (rlim_t)need;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) {
        fprintf(stderr, "ping_load: setrlimit(RLIMIT_NOFILE, %d): %s\n", need, strerror(errno));
        exit(2);
    }
}

static void progress(const char *phase, int64_t *last)
{
    int64_t now = now_ns();
    if (!opt.progress || now - *last < (int64_t)opt.progress * NS_PER_S) {
        return;
    }
    *last = now;
    fprintf(stderr,
            "ping_load: %-7s setup %d/%d ok (%d failed), held %ld (max %ld), pings %ld, status "
            "1/2 %ld/%ld, 503 %ld, errors %ld+%ld+%ld, deliveries %d\n",
            phase, G.setup_ok, opt.devices, G.setup_failed, G.held, G.max_held, G.pings_sent,
            G.status1, G.status2, G.http_503 + G.setup_503, G.conn_errors, G.timeouts,
            G.parse_errors, __atomic_load_n(&G.dl_count, __ATOMIC_ACQUIRE));
}

static void run_for(double seconds, const char *phase, int64_t *last)
{
    int64_t end = now_ns() + (int64_t)(seconds * NS_PER_S);
    while (now_ns() < end) {
        int64_t left = end - now_ns();
        loop_once(left < 100 * NS_PER_MS ? left : 100 * NS_PER_MS);
        progress(phase, last);
    }
}

int main(int argc, char **argv)
{
    enum {
        OPT_HOST = 256,
        OPT_PORT,
        OPT_DEVICES,
        OPT_PREFIX,
        OPT_PASSWORD,
        OPT_DB,
        OPT_HEARTBEAT,
        OPT_SETUPC,
        OPT_RAMP,
        OPT_SETTLE,
        OPT_READY,
        OPT_IDLE,
        OPT_DELIV,
        OPT_DRATE,
        OPT_WINDOW,
        OPT_HOLD,
        OPT_RETRY,
        OPT_RETRY_MAX,
        OPT_SYNC,
        OPT_EMPTY,
        OPT_GATE,
        OPT_PROGRESS,
        OPT_SEED,
        OPT_HELP
    };
    static const struct option longopts[] = {
        {"host", 1, NULL, OPT_HOST},
        {"port", 1, NULL, OPT_PORT},
        {"devices", 1, NULL, OPT_DEVICES},
        {"user-prefix", 1, NULL, OPT_PREFIX},
        {"password", 1, NULL, OPT_PASSWORD},
        {"db", 1, NULL, OPT_DB},
        {"heartbeat", 1, NULL, OPT_HEARTBEAT},
        {"setup-concurrency", 1, NULL, OPT_SETUPC},
        {"ramp-rate", 1, NULL, OPT_RAMP},
        {"settle-ms", 1, NULL, OPT_SETTLE},
        {"ready-timeout", 1, NULL, OPT_READY},
        {"idle-seconds", 1, NULL, OPT_IDLE},
        {"deliveries", 1, NULL, OPT_DELIV},
        {"delivery-rate", 1, NULL, OPT_DRATE},
        {"wake-window", 1, NULL, OPT_WINDOW},
        {"hold-seconds", 1, NULL, OPT_HOLD},
        {"retry-ms", 1, NULL, OPT_RETRY},
        {"retry-after-max", 1, NULL, OPT_RETRY_MAX},
        {"no-sync", 0, NULL, OPT_SYNC},
        {"empty-ping", 0, NULL, OPT_EMPTY},
        {"gate", 0, NULL, OPT_GATE},
        {"progress", 1, NULL, OPT_PROGRESS},
        {"seed", 1, NULL, OPT_SEED},
        {"help", 0, NULL, OPT_HELP},
        {NULL, 0, NULL, 0},
    };
    int c, i;
    int64_t t0, t_setup, t_ramp0, t_ramp = 0, all_held_since = 0, last = 0, end;
    long held_ready, held_deliv = 0, held_end;
    int ready = 0;
    pthread_t th;

    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_HOST:
            opt.host = optarg;
            break;
        case OPT_PORT:
            opt.port = atoi(optarg);
            break;
        case OPT_DEVICES:
            opt.devices = atoi(optarg);
            break;
        case OPT_PREFIX:
            opt.prefix = optarg;
            break;
        case OPT_PASSWORD:
            opt.password = optarg;
            break;
        case OPT_DB:
            opt.db = optarg;
            break;
        case OPT_HEARTBEAT:
            opt.heartbeat = atoi(optarg);
            break;
        case OPT_SETUPC:
            opt.setup_conc = atoi(optarg);
            break;
        case OPT_RAMP:
            opt.ramp_rate = atoi(optarg);
            break;
        case OPT_SETTLE:
            opt.settle_ms = atoi(optarg);
            break;
        case OPT_READY:
            opt.ready_timeout_s = atof(optarg);
            break;
        case OPT_IDLE:
            opt.idle_s = atof(optarg);
            break;
        case OPT_DELIV:
            opt.deliveries = atoi(optarg);
            break;
        case OPT_DRATE:
            opt.delivery_rate = atof(optarg);
            break;
        case OPT_WINDOW:
            opt.wake_window_s = atof(optarg);
            break;
        case OPT_HOLD:
            opt.hold_s = atof(optarg);
            break;
        case OPT_RETRY:
            opt.retry_ms = atoi(optarg);
            break;
        case OPT_RETRY_MAX:
            opt.retry_after_max = atoi(optarg);
            break;
        case OPT_SYNC:
            opt.sync_on_wake = 0;
            break;
        case OPT_EMPTY:
            opt.empty_ping = 1;
            break;
        case OPT_GATE:
            opt.gate = 1;
            break;
        case OPT_PROGRESS:
            opt.progress = atoi(optarg);
            break;
        case OPT_SEED:
            opt.seed = strtoull(optarg, NULL, 10);
            break;
        case OPT_HELP:
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc || opt.port <= 0 || opt.port > 65535 || !opt.password || opt.devices < 1 ||
        opt.devices > 99999 || opt.heartbeat < 1 || opt.setup_conc < 1 || opt.ramp_rate < 1 ||
        opt.retry_ms < 1 || opt.delivery_rate <= 0 || opt.deliveries < 0 ||
        (opt.deliveries > 0 && !opt.db)) {
        usage(stderr);
        return 2;
    }
    raise_nofile(opt.devices + opt.setup_conc + 64);

    memset(&G.addr, 0, sizeof(G.addr));
    G.addr.sin_family = AF_INET;
    G.addr.sin_port = htons((uint16_t)opt.port);
    if (inet_pton(AF_INET, opt.host, &G.addr.sin_addr) != 1) {
        fprintf(stderr, "ping_load: --host must be an IPv4 address\n");
        return 2;
    }
    rng_main = opt.seed ^ 0x5eed;
    rng_deliver = opt.seed;
    apr_initialize();
    apr_pool_create(&G.pool, NULL);
    eas_mime_init();
    xmlInitParser();
    G.ep = epoll_create1(EPOLL_CLOEXEC);
    if (G.ep < 0) {
        die("epoll_create1: %s", strerror(errno));
    }
    G.devs = calloc((size_t)opt.devices, sizeof(dev));
    G.dl = calloc((size_t)(opt.deliveries ? opt.deliveries : 1), sizeof(delivery));
    if (!G.devs || !G.dl) {
        die("out of memory");
    }
    for (i = 0; i < opt.devices; ++i) {
        G.devs[i].fd = -1;
        G.devs[i].idx = i;
    }
    G.next_due = INT64_MAX;

    /* --- setup: FolderSync (and Sync key 0) of every device ------------------------------ */
    t0 = now_ns();
    while (G.setup_ok + G.setup_failed < opt.devices) {
        while (G.setup_running < opt.setup_conc && G.setup_next < opt.devices) {
            dev *d = &G.devs[G.setup_next++];
            d->setup = SU_RUNNING;
            G.setup_running++;
            start_request(d, K_FOLDERSYNC);
        }
        loop_once(100 * NS_PER_MS);
        progress("setup", &last);
        if (now_ns() - t0 > (int64_t)(opt.setup_timeout_s * NS_PER_S)) {
            die("setup did not finish within %.0f s", opt.setup_timeout_s);
        }
    }
    t_setup = now_ns() - t0;
    say("SETUP_DONE ok=%d failed=%d seconds=%.3f", G.setup_ok, G.setup_failed,
        (double)t_setup / 1e9);
    while (opt.gate && !G.cmd_go) {
        stdin_read();
    }

    /* --- hold: ramp the Pings up, then wait until every device holds one ----------------- */
    t_ramp0 = now_ns();
    for (;;) {
        int64_t now = now_ns();
        long allowed = (long)((double)(now - t_ramp0) * opt.ramp_rate / NS_PER_S) + 1;
        while (G.ramp_next < opt.devices && G.ramp_next < allowed) {
            dev *d = &G.devs[G.ramp_next++];
            if (d->setup == SU_OK) {
                start_request(d, K_PING);
            }
        }
        loop_once(G.ramp_next < opt.devices ? NS_PER_MS : 50 * NS_PER_MS);
        progress("hold", &last);
        now = now_ns();
        if (G.ramp_next >= opt.devices && G.held >= G.setup_ok && G.setup_ok > 0) {
            /* every device's Ping outstanding, and for --settle-ms no request sent and no answer
             * read (a Ping waiting for a database connection on the server also looks
             * outstanding until it gets its 503) */
            if (!all_held_since) {
                all_held_since = now;
            }
            if (now - all_held_since >= (int64_t)opt.settle_ms * NS_PER_MS &&
                now - G.last_activity >= (int64_t)opt.settle_ms * NS_PER_MS) {
                ready = 1;
                t_ramp = all_held_since - t_ramp0;
                break;
            }
        } else {
            all_held_since = 0;
        }
        if (now - t_ramp0 > (int64_t)(opt.ready_timeout_s * NS_PER_S)) {
            break;
        }
    }
    held_ready = G.held;
    if (!ready) {
        t_ramp = now_ns() - t_ramp0;
    }
    say("%s held=%ld pings=%ld http_503=%ld seconds=%.3f", ready ? "READY" : "READY_TIMEOUT",
        G.held, G.pings_sent, G.http_503, (double)t_ramp / 1e9);

    /* --- idle: --idle-seconds, or with --gate until the caller says "deliver" ---------------- */
    if (opt.gate) {
        struct epoll_event e;
        e.events = EPOLLIN;
        e.data.ptr = NULL;
        if (epoll_ctl(G.ep, EPOLL_CTL_ADD, STDIN_FILENO, &e) != 0) {
            die("--gate: cannot watch stdin (%s); it must be a pipe", strerror(errno));
        }
        while (!G.cmd_deliver) {
            loop_once(100 * NS_PER_MS);
            progress("idle", &last);
        }
    } else {
        run_for(opt.idle_s, "idle", &last);
    }
    say("IDLE_END held=%ld", G.held);

    /* --- deliveries ------------------------------------------------------------------------ */
    if (opt.deliveries > 0 && G.setup_ok == 0) {
        fprintf(stderr, "ping_load: no device finished its setup: no deliveries\n");
    } else if (opt.deliveries > 0) {
        held_deliv = G.held;
        G.min_held_delivering = G.held;
        G.delivering = 1;
        if (pthread_create(&th, NULL, deliver_main, NULL) != 0) {
            die("pthread_create failed");
        }
        while (!__atomic_load_n(&G.dl_done, __ATOMIC_ACQUIRE)) {
            loop_once(50 * NS_PER_MS);
            progress("deliver", &last);
        }
        pthread_join(th, NULL);
        if (G.dl_error) {
            fprintf(stderr, "ping_load: deliveries: database unavailable: %s", G.dl_error);
        }
        /* the last deliveries get their wake window */
        end = now_ns() + (int64_t)(opt.wake_window_s * NS_PER_S) + NS_PER_S;
        while (now_ns() < end) {
            loop_once(50 * NS_PER_MS);
            progress("deliver", &last);
        }
        G.delivering = 0;
    }
    say("DELIVER_END deliveries=%d", G.dl_count);
    if (opt.hold_s > 0) {
        run_for(opt.hold_s, "hold", &last);
    }
    held_end = G.held;
    G.stopping = 1;
    print_summary(t_setup, t_ramp, held_ready, held_deliv, held_end, ready);
    for (i = 0; i < opt.devices; ++i) {
        conn_close(&G.devs[i]);
        free(G.devs[i].synckey);
    }
    close(G.ep);
    free(G.devs);
    free(G.dl);
    free(G.wakes);
    xmlCleanupParser();
    apr_pool_destroy(G.pool);
    apr_terminate();
    return 0;
}
