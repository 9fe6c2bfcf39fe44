/* Unit tests: the push hub's registry without a database (the listener thread keeps failing to
 * connect to a closed port meanwhile, which must not matter): who a notification wakes, seq-based
 * superseding, the cap, timeouts, hang-ups of the client socket, and stop. */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_thread_proc.h>

#include "eas_hub.h"
#include "eas_log.h"
#include "tap.h"

static apr_pool_t *pool;

static void quiet_log(void *baton, const char *file, int line, int level, const char *msg)
{
}

static apr_time_t soon(int ms)
{
    return apr_time_now() + apr_time_from_msec(ms);
}

typedef struct sleeper {
    eas_waiter *w;
    int ms;
    unsigned ev;
    apr_time_t took;
} sleeper;

static void *APR_THREAD_FUNC sleep_main(apr_thread_t *t, void *data)
{
    sleeper *s = data;
    apr_time_t t0 = apr_time_now();
    s->ev = eas_hub_wait(s->w, soon(s->ms), NULL);
    s->took = apr_time_now() - t0;
    return NULL;
}

int main(void)
{
    eas_hub *hub;
    eas_hub_params hp;
    eas_waiter *a, *b, *c, *d;
    apr_int64_t fa[2] = {10, 11}, fb[1] = {20};
    unsigned char changed[2] = {0, 0};
    apr_thread_t *th;
    apr_status_t rv;
    sleeper s;
    int sv[2], n, max, listening;

    apr_initialize();
    apr_pool_create(&pool, NULL);
    eas_log_set(quiet_log, NULL, NULL);
    hp.conninfo = "host=127.0.0.1 port=1 connect_timeout=1";
    hp.max_waiters = 3;
    ok(eas_hub_create(&hub, &hp, pool) == APR_SUCCESS, "hub starts without a database");

    is_int(eas_hub_join(hub, pool, 1, 100, 2, fa, -1, &a), EAS_JOIN_OK, "join: user 1");
    is_int(eas_hub_join(hub, pool, 2, 200, 1, fb, -1, &b), EAS_JOIN_OK, "join: user 2");
    eas_hub_set_seq(a, 5);
    eas_hub_set_seq(b, 7);

    /* a write to user 1's folder 11 wakes a only, and says which folder */
    eas_hub_notify(hub, "1:11");
    is_int(eas_hub_wait(a, soon(1000), changed), EAS_WAKE_CHANGED,
           "folder write wakes its watcher");
    ok(changed[0] == 0 && changed[1] == 1, "changed flags name the folder");
    is_int(eas_hub_wait(b, soon(50), NULL), EAS_WAKE_TIMEOUT, "other user not woken");
    /* unwatched folder, other users, garbage: nobody */
    eas_hub_notify(hub, "1:12");
    eas_hub_notify(hub, "3:10");
    eas_hub_notify(hub, "x:10");
    eas_hub_notify(hub, "1:");
    eas_hub_notify(hub, "1:d:100");
    is_int(eas_hub_wait(a, soon(50), NULL), EAS_WAKE_TIMEOUT, "unwatched or malformed: no wake");
    /* hierarchy: every waiter of the user */
    eas_hub_notify(hub, "2:hierarchy");
    is_int(eas_hub_wait(b, soon(1000), NULL), EAS_WAKE_HIERARCHY, "hierarchy wakes the user");

    /* superseding: only a higher seq of the same device */
    eas_hub_notify(hub, "1:d:100:5");
    eas_hub_notify(hub, "1:d:101:9");
    is_int(eas_hub_wait(a, soon(50), NULL), EAS_WAKE_TIMEOUT, "same seq or other device: held");
    eas_hub_notify(hub, "1:d:100:6");
    is_int(eas_hub_wait(a, soon(1000), NULL), EAS_WAKE_SUPERSEDED, "newer seq supersedes");
    /* a newer request announced before this one learnt its own seq */
    is_int(eas_hub_join(hub, pool, 1, 102, 2, fa, -1, &c), EAS_JOIN_OK, "join: second of user 1");
    eas_hub_notify(hub, "1:d:102:4");
    eas_hub_set_seq(c, 3);
    is_int(eas_hub_wait(c, soon(1000), NULL), EAS_WAKE_SUPERSEDED, "early notice applied");

    /* the cap */
    is_int(eas_hub_join(hub, pool, 4, 400, 1, fb, -1, &d), EAS_JOIN_FULL, "cap: refused");
    eas_hub_stats(hub, &n, &max, &listening);
    ok(n == 3 && max == 3 && !listening, "stats: 3 of 3, not listening");
    eas_hub_leave(c);
    eas_hub_leave(c);
    is_int(eas_hub_join(hub, pool, 4, 400, 1, fb, -1, &d), EAS_JOIN_OK, "cap: room after leave");

    /* list surgery: user 1 has a only again; removing the head keeps the others reachable */
    eas_hub_leave(d);
    is_int(eas_hub_join(hub, pool, 1, 103, 1, fa, -1, &c), EAS_JOIN_OK, "join: third of user 1");
    eas_hub_set_seq(c, 1);
    eas_hub_leave(c);
    eas_hub_notify(hub, "1:10");
    is_int(eas_hub_wait(a, soon(1000), NULL), EAS_WAKE_CHANGED, "older waiter still reached");

    /* a sleeping thread is woken at once, not at its deadline */
    s.w = b;
    s.ms = 10000;
    apr_thread_create(&th, NULL, sleep_main, &s, pool);
    apr_sleep(apr_time_from_msec(100));
    eas_hub_notify(hub, "2:20");
    apr_thread_join(&rv, th);
    ok(s.ev == EAS_WAKE_CHANGED && s.took < apr_time_from_sec(2), "sleeper woken promptly");

    /* the client hangs up: its socket's RDHUP wakes the waiter */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    is_int(eas_hub_join(hub, pool, 4, 400, 1, fb, sv[0], &d), EAS_JOIN_OK, "join with a socket");
    is_int(eas_hub_wait(d, soon(50), NULL), EAS_WAKE_TIMEOUT, "open socket: held");
    close(sv[1]);
    is_int(eas_hub_wait(d, soon(2000), NULL), EAS_WAKE_CLIENT_GONE, "hang-up wakes");
    eas_hub_leave(d);
    close(sv[0]);

    /* stop: everyone answers, nobody new joins */
    s.w = b;
    s.ms = 10000;
    apr_thread_create(&th, NULL, sleep_main, &s, pool);
    apr_sleep(apr_time_from_msec(100));
    eas_hub_stop(hub);
    apr_thread_join(&rv, th);
    ok((s.ev & EAS_WAKE_STOPPING) && s.took < apr_time_from_sec(2), "stop releases sleepers");
    is_int(eas_hub_join(hub, pool, 5, 500, 1, fb, -1, &d), EAS_JOIN_STOPPING,
           "no joins after stop");

    apr_pool_destroy(pool); /* leaves, joins the listener */
    ok(1, "pool destroyed cleanly");
    apr_terminate();
    return tap_done();
}
