/* eas_hub.c — per-process LISTEN thread and waiter registry (see eas_hub.h).
 *
 * Locking: one mutex guards the registry and every waiter's event bits; each waiter sleeps on
 * its own condition variable with that mutex, so a notification signals exactly the waiters it
 * concerns. The listener thread never touches the database on a waiter's behalf: waking is all it
 * does, the waiter re-checks with a pooled connection of its own. */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <apr_hash.h>
#include <apr_strings.h>
#include <apr_thread_cond.h>
#include <apr_thread_mutex.h>
#include <apr_thread_proc.h>
#include <libpq-fe.h>

#include "eas_hub.h"
#include "eas_log.h"

#define CHANNEL        "eas_changes"
#define CONNECT_MS     10000 /* give up one connection attempt after this */
#define BACKOFF_MIN_MS 500
#define BACKOFF_MAX_MS 30000

struct eas_waiter {
    eas_hub *hub;
    apr_int64_t user_id, device_pk;
    apr_int64_t seq;        /* this request's hold seq, 0 until known */
    apr_int64_t newest_seq; /* highest seq announced for the device before seq was known */
    int nfolders;
    apr_int64_t *folders;
    unsigned char *changed;
    int fd;
    apr_uint64_t token; /* client-socket events name the waiter by token, never by pointer */
    unsigned events;
    int joined;
    apr_thread_cond_t *cond;
    eas_waiter *next, *prev; /* the user's waiters */
};

struct eas_hub {
    apr_pool_t *pool;
    const char *conninfo;
    apr_thread_mutex_t *mutex;
    apr_hash_t *by_user;  /* user id -> first waiter */
    apr_hash_t *by_token; /* token -> waiter */
    apr_uint64_t next_token;
    int count, max;
    int stopping;
    int listening;
    int epfd; /* client sockets (EPOLLRDHUP) */
    int evfd; /* wakes the listener: stop */
    apr_thread_t *thread;
};

static void wake(eas_waiter *w, unsigned ev)
{
    w->events |= ev;
    apr_thread_cond_signal(w->cond);
}

static void wake_all(eas_hub *hub, unsigned ev)
{
    apr_hash_index_t *hi;
    apr_thread_mutex_lock(hub->mutex);
    for (hi = apr_hash_first(NULL, hub->by_user); hi; hi = apr_hash_next(hi)) {
        eas_waiter *w;
        for (w = apr_hash_this_val(hi); w; w = w->next) {
            wake(w, ev);
        }
    }
    apr_thread_mutex_unlock(hub->mutex);
}

static void set_listening(eas_hub *hub, int on)
{
    apr_thread_mutex_lock(hub->mutex);
    hub->listening = on;
    apr_thread_mutex_unlock(hub->mutex);
}

static int stopping(eas_hub *hub)
{
    int s;
    apr_thread_mutex_lock(hub->mutex);
    s = hub->stopping;
    apr_thread_mutex_unlock(hub->mutex);
    return s;
}

/* Payloads: "uid:folder", "uid:hierarchy", "uid:d:device:seq" (sql/004, sql/005). */
void eas_hub_notify(eas_hub *hub, const char *payload)
{
    char *end;
    apr_int64_t uid = apr_strtoi64(payload, &end, 10), fid = 0, dev = 0, seq = 0;
    const char *rest;
    int kind; /* 'f' folder, 'h' hierarchy, 'd' device */
    eas_waiter *w;

    if (end == payload || *end != ':') {
        return;
    }
    rest = end + 1;
    if (strcmp(rest, "hierarchy") == 0) {
        kind = 'h';
    } else if (rest[0] == 'd' && rest[1] == ':') {
        kind = 'd';
        dev = apr_strtoi64(rest + 2, &end, 10);
        if (*end != ':') {
            return;
        }
        seq = apr_strtoi64(end + 1, &end, 10);
    } else {
        kind = 'f';
        fid = apr_strtoi64(rest, &end, 10);
        if (end == rest || *end) {
            return;
        }
    }
    apr_thread_mutex_lock(hub->mutex);
    for (w = apr_hash_get(hub->by_user, &uid, sizeof(uid)); w; w = w->next) {
        int i;
        if (kind == 'h') {
            wake(w, EAS_WAKE_HIERARCHY);
        } else if (kind == 'd') {
            if (w->device_pk != dev) {
                continue;
            }
            if (w->seq == 0) {
                w->newest_seq = seq > w->newest_seq ? seq : w->newest_seq;
            } else if (seq > w->seq) {
                wake(w, EAS_WAKE_SUPERSEDED);
            }
        } else {
            for (i = 0; i < w->nfolders; ++i) {
                if (w->folders[i] == fid) {
                    w->changed[i] = 1;
                    wake(w, EAS_WAKE_CHANGED);
                }
            }
        }
    }
    apr_thread_mutex_unlock(hub->mutex);
}

static void client_events(eas_hub *hub)
{
    struct epoll_event ev[64];
    int n = epoll_wait(hub->epfd, ev, 64, 0), i;
    apr_thread_mutex_lock(hub->mutex);
    for (i = 0; i < n; ++i) {
        eas_waiter *w = apr_hash_get(hub->by_token, &ev[i].data.u64, sizeof(apr_uint64_t));
        if (w) { /* else it left meanwhile */
            wake(w, EAS_WAKE_CLIENT_GONE);
        }
    }
    apr_thread_mutex_unlock(hub->mutex);
}

static void drain(int fd)
{
    uint64_t v;
    if (read(fd, &v, sizeof(v)) < 0) {
        /* nothing to read: fine, it is only a doorbell */
    }
}

/* libpq's messages span lines: one log line each, without the trailing newline. */
static void trim(char *s)
{
    size_t n = strlen(s);
    char *c;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
        s[--n] = '\0';
    }
    for (c = s; *c; ++c) {
        if (*c == '\n' || *c == '\r' || *c == '\t') {
            *c = ' ';
        }
    }
}

/* Asynchronous connect, so that a stop is never held up by an unreachable database. */
static PGconn *listen_connect(eas_hub *hub, char *why, size_t whylen)
{
    const char *kw[] = {"dbname",           "application_name",    "keepalives", "keepalives_idle",
                        "keepalives_count", "keepalives_interval", NULL};
    const char *val[] = {hub->conninfo, "mod_eas listener", "1", "30", "3", "10", NULL};
    PGconn *c = PQconnectStartParams(kw, val, 1);
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    apr_time_t deadline = apr_time_now() + apr_time_from_msec(CONNECT_MS);
    PGresult *r;

    if (!c || PQstatus(c) == CONNECTION_BAD) {
        apr_cpystrn(why, c ? PQerrorMessage(c) : "out of memory", whylen);
        goto fail;
    }
    while (st != PGRES_POLLING_OK) {
        struct pollfd pfd[2];
        apr_time_t left = deadline - apr_time_now();
        if (st == PGRES_POLLING_FAILED) {
            apr_cpystrn(why, PQerrorMessage(c), whylen);
            goto fail;
        }
        if (left <= 0) {
            apr_cpystrn(why, "connection timed out", whylen);
            goto fail;
        }
        pfd[0].fd = PQsocket(c);
        pfd[0].events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
        pfd[1].fd = hub->evfd;
        pfd[1].events = POLLIN;
        if (poll(pfd, 2, (int)apr_time_as_msec(left) + 1) < 0 && errno != EINTR) {
            apr_cpystrn(why, strerror(errno), whylen);
            goto fail;
        }
        if (pfd[1].revents) {
            drain(hub->evfd);
            if (stopping(hub)) {
                apr_cpystrn(why, "stopping", whylen);
                goto fail;
            }
        }
        if (pfd[0].revents) {
            st = PQconnectPoll(c);
        }
    }
    r = PQexec(c, "LISTEN " CHANNEL);
    if (PQresultStatus(r) != PGRES_COMMAND_OK) {
        apr_cpystrn(why, PQerrorMessage(c), whylen);
        PQclear(r);
        goto fail;
    }
    PQclear(r);
    return c;
fail:
    trim(why);
    if (c) {
        PQfinish(c);
    }
    return NULL;
}

static void *APR_THREAD_FUNC listener(apr_thread_t *t, void *data)
{
    eas_hub *hub = data;
    PGconn *pg = NULL;
    int backoff = 0, failures = 0;
    char why[256];

    while (!stopping(hub)) {
        struct pollfd pfd[3];
        int n = 2, timeout = -1;

        if (!pg) {
            pg = listen_connect(hub, why, sizeof(why));
            if (pg) {
                if (failures) {
                    eas_log_perror(EAS_LOG_MARK, EAS_LOG_NOTICE,
                                   "EAS00052: push listener connected again after %d failed "
                                   "attempts; held requests re-check",
                                   failures);
                }
                failures = 0;
                backoff = 0;
                set_listening(hub, 1);
                wake_all(hub, EAS_WAKE_RECHECK); /* what was missed while disconnected */
            } else if (stopping(hub)) {
                break; /* the doorbell was consumed by the connect: do not poll again */
            } else {
                /* the first failure is an error; repeats are quieter until it is back */
                eas_log_perror(EAS_LOG_MARK, failures ? EAS_LOG_DEBUG : EAS_LOG_ERR,
                               "EAS00050: push listener cannot LISTEN: %s; retrying with "
                               "back-off, pushes are late until then",
                               why);
                ++failures;
                backoff = backoff ? backoff * 2 : BACKOFF_MIN_MS;
                backoff = backoff > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : backoff;
                timeout = backoff;
            }
        }
        pfd[0].fd = hub->evfd;
        pfd[0].events = POLLIN;
        pfd[1].fd = hub->epfd;
        pfd[1].events = POLLIN;
        if (pg) {
            pfd[2].fd = PQsocket(pg);
            pfd[2].events = POLLIN;
            n = 3;
        }
        if (poll(pfd, (nfds_t)n, timeout) < 0) {
            continue; /* EINTR */
        }
        if (pfd[0].revents) {
            drain(hub->evfd);
        }
        if (pfd[1].revents) {
            client_events(hub);
        }
        if (pg && pfd[2].revents) {
            PGnotify *nt;
            int ok = PQconsumeInput(pg);
            while ((nt = PQnotifies(pg)) != NULL) {
                eas_hub_notify(hub, nt->extra);
                PQfreemem(nt);
            }
            if (!ok || PQstatus(pg) != CONNECTION_OK) {
                apr_cpystrn(why, PQerrorMessage(pg), sizeof(why));
                trim(why);
                eas_log_perror(EAS_LOG_MARK, EAS_LOG_WARN,
                               "EAS00051: push listener lost its connection: %s; held requests "
                               "re-check, reconnecting",
                               why);
                PQfinish(pg);
                pg = NULL;
                set_listening(hub, 0);
                wake_all(hub, EAS_WAKE_RECHECK);
            }
        }
    }
    if (pg) {
        PQfinish(pg);
    }
    return NULL;
}

static void ring(eas_hub *hub)
{
    uint64_t one = 1;
    if (write(hub->evfd, &one, sizeof(one)) < 0) {
        /* the counter is saturated: the listener is awake anyway */
    }
}

void eas_hub_stop(eas_hub *hub)
{
    apr_thread_mutex_lock(hub->mutex);
    hub->stopping = 1;
    apr_thread_mutex_unlock(hub->mutex);
    wake_all(hub, EAS_WAKE_STOPPING);
    ring(hub);
}

static apr_status_t hub_cleanup(void *data)
{
    eas_hub *hub = data;
    apr_status_t rv;
    eas_hub_stop(hub);
    if (hub->thread) {
        apr_thread_join(&rv, hub->thread);
    }
    close(hub->epfd);
    close(hub->evfd);
    return APR_SUCCESS;
}

int eas_hub_create(eas_hub **out, const eas_hub_params *params, apr_pool_t *p)
{
    eas_hub *hub = apr_pcalloc(p, sizeof(*hub));
    apr_status_t rv;

    hub->pool = p;
    hub->conninfo = apr_pstrdup(p, params->conninfo);
    hub->max = params->max_waiters;
    hub->by_user = apr_hash_make(p);
    hub->by_token = apr_hash_make(p);
    hub->epfd = epoll_create1(EPOLL_CLOEXEC);
    hub->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (hub->epfd < 0 || hub->evfd < 0) {
        rv = APR_FROM_OS_ERROR(errno);
        if (hub->epfd >= 0) {
            close(hub->epfd);
        }
        if (hub->evfd >= 0) {
            close(hub->evfd);
        }
        return rv;
    }
    rv = apr_thread_mutex_create(&hub->mutex, APR_THREAD_MUTEX_DEFAULT, p);
    if (rv == APR_SUCCESS) {
        /* pre-cleanup: the thread's own pool is a subpool of p, destroyed before p's cleanups */
        apr_pool_pre_cleanup_register(p, hub, hub_cleanup);
        rv = apr_thread_create(&hub->thread, NULL, listener, hub, p);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *out = hub;
    return APR_SUCCESS;
}

void eas_hub_stats(eas_hub *hub, int *waiters, int *max_waiters, int *listening)
{
    apr_thread_mutex_lock(hub->mutex);
    *waiters = hub->count;
    *max_waiters = hub->max;
    *listening = hub->listening;
    apr_thread_mutex_unlock(hub->mutex);
}

static apr_status_t leave_cleanup(void *data)
{
    eas_hub_leave(data);
    return APR_SUCCESS;
}

eas_join_result eas_hub_join(eas_hub *hub, apr_pool_t *p, apr_int64_t user_id,
                             apr_int64_t device_pk, int nfolders, const apr_int64_t *folders,
                             int client_fd, eas_waiter **out)
{
    eas_waiter *w = apr_pcalloc(p, sizeof(*w)), *head;

    w->hub = hub;
    w->user_id = user_id;
    w->device_pk = device_pk;
    w->nfolders = nfolders;
    w->folders = apr_pmemdup(p, folders, sizeof(*folders) * (apr_size_t)(nfolders ? nfolders : 1));
    w->changed = apr_pcalloc(p, (apr_size_t)(nfolders ? nfolders : 1));
    w->fd = -1;
    if (apr_thread_cond_create(&w->cond, p) != APR_SUCCESS) {
        return EAS_JOIN_FULL;
    }
    apr_thread_mutex_lock(hub->mutex);
    if (hub->stopping) {
        apr_thread_mutex_unlock(hub->mutex);
        return EAS_JOIN_STOPPING;
    }
    if (hub->max > 0 && hub->count >= hub->max) {
        apr_thread_mutex_unlock(hub->mutex);
        return EAS_JOIN_FULL;
    }
    w->token = ++hub->next_token;
    head = apr_hash_get(hub->by_user, &user_id, sizeof(user_id));
    if (head) {
        /* the entry's key points into the old head: re-key it on the new one */
        apr_hash_set(hub->by_user, &head->user_id, sizeof(user_id), NULL);
        head->prev = w;
        w->next = head;
    }
    apr_hash_set(hub->by_user, &w->user_id, sizeof(user_id), w);
    apr_hash_set(hub->by_token, &w->token, sizeof(w->token), w);
    ++hub->count;
    w->joined = 1;
    apr_thread_mutex_unlock(hub->mutex);
    apr_pool_cleanup_register(p, w, leave_cleanup, apr_pool_cleanup_null);

    if (client_fd >= 0) {
        struct epoll_event ev;
        memset(&ev, 0, sizeof(ev));
        ev.events = EPOLLRDHUP | EPOLLONESHOT; /* HUP and ERR are always reported */
        ev.data.u64 = w->token;
        if (epoll_ctl(hub->epfd, EPOLL_CTL_ADD, client_fd, &ev) == 0) {
            w->fd = client_fd;
        }
    }
    *out = w;
    return EAS_JOIN_OK;
}

void eas_hub_set_seq(eas_waiter *w, apr_int64_t seq)
{
    apr_thread_mutex_lock(w->hub->mutex);
    w->seq = seq;
    if (w->newest_seq > seq) {
        wake(w, EAS_WAKE_SUPERSEDED);
    }
    apr_thread_mutex_unlock(w->hub->mutex);
}

unsigned eas_hub_wait(eas_waiter *w, apr_time_t until, unsigned char *changed)
{
    eas_hub *hub = w->hub;
    unsigned ev;
    int i;

    apr_thread_mutex_lock(hub->mutex);
    while (!w->events) {
        apr_time_t now = apr_time_now();
        if (now >= until) {
            w->events |= EAS_WAKE_TIMEOUT;
            break;
        }
        apr_thread_cond_timedwait(w->cond, hub->mutex, until - now);
    }
    ev = w->events;
    w->events = 0;
    for (i = 0; i < w->nfolders; ++i) {
        if (changed) {
            changed[i] |= w->changed[i];
        }
        w->changed[i] = 0;
    }
    apr_thread_mutex_unlock(hub->mutex);
    return ev;
}

void eas_hub_leave(eas_waiter *w)
{
    eas_hub *hub = w->hub;

    if (!w->joined) {
        return;
    }
    if (w->fd >= 0) {
        epoll_ctl(hub->epfd, EPOLL_CTL_DEL, w->fd, NULL); /* before the MPM reuses the fd */
        w->fd = -1;
    }
    apr_thread_mutex_lock(hub->mutex);
    if (w->prev) {
        w->prev->next = w->next;
    } else {
        apr_hash_set(hub->by_user, &w->user_id, sizeof(w->user_id), NULL);
        if (w->next) {
            apr_hash_set(hub->by_user, &w->next->user_id, sizeof(w->user_id), w->next);
        }
    }
    if (w->next) {
        w->next->prev = w->prev;
    }
    apr_hash_set(hub->by_token, &w->token, sizeof(w->token), NULL);
    --hub->count;
    w->joined = 0;
    apr_thread_mutex_unlock(hub->mutex);
}
