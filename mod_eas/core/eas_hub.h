/* eas_hub.h — the per-process notification hub behind Direct Push (Ping, Sync with Wait).
 *
 * One listener thread per process holds its own libpq connection doing LISTEN eas_changes. The
 * database sends 'user:folder' for every item write, 'user:hierarchy' for folder changes and
 * 'user:d:device:seq' when a device starts a newer request (sql/005_push.sql). Held requests are
 * waiters keyed by user, each sleeping on its own condition variable: a notification wakes only
 * the waiters of that user that watch that folder (no thundering herd). The same thread watches
 * the waiters' client sockets (epoll, EPOLLRDHUP), so a client that hangs up frees its thread at
 * once. If the LISTEN connection drops, every waiter is told to re-check (notifications may have
 * been missed), and again once it is back; the thread reconnects with back-off.
 *
 * A waiter never trusts a wake-up: it re-checks positions in the database before answering. */
#ifndef EAS_HUB_H
#define EAS_HUB_H

#include <apr_pools.h>
#include <apr_time.h>

typedef struct eas_hub eas_hub;
typedef struct eas_waiter eas_waiter;

/* Why eas_hub_wait returned (bits). */
#define EAS_WAKE_CHANGED     0x01 /* a watched folder was written (see the changed flags) */
#define EAS_WAKE_HIERARCHY   0x02 /* the user's folder hierarchy changed */
#define EAS_WAKE_RECHECK     0x04 /* notifications may have been missed: check everything */
#define EAS_WAKE_SUPERSEDED  0x08 /* a newer Ping or Sync of the same device started */
#define EAS_WAKE_STOPPING    0x10 /* the process is stopping (graceful restart) */
#define EAS_WAKE_CLIENT_GONE 0x20 /* the client closed its connection */
#define EAS_WAKE_TIMEOUT     0x40 /* the deadline passed without any of the above */

typedef struct eas_hub_params {
    const char *conninfo;
    int max_waiters; /* held requests in this process; 0 = no limit */
} eas_hub_params;

/* Creates the hub and starts its thread (child_init). The thread is stopped and joined by a
 * cleanup of p; eas_hub_stop wakes everyone first. */
int eas_hub_create(eas_hub **out, const eas_hub_params *params, apr_pool_t *p);

/* Releases every waiter with EAS_WAKE_STOPPING and refuses new ones (child_stopping). */
void eas_hub_stop(eas_hub *hub);

/* Current number of waiters, the cap, and whether LISTEN is connected. */
void eas_hub_stats(eas_hub *hub, int *waiters, int *max_waiters, int *listening);

typedef enum {
    EAS_JOIN_OK = 0,
    EAS_JOIN_FULL,     /* max_waiters reached: answer so that the device retries later */
    EAS_JOIN_STOPPING, /* the process is going away: answer at once */
} eas_join_result;

/* Registers a waiter for user/device watching nfolders folder ids (copied) and, when
 * client_fd >= 0, the client's socket. It receives notifications from now on, so changes the
 * caller checks for after joining cannot be missed. Allocated from p; a cleanup of p leaves. */
eas_join_result eas_hub_join(eas_hub *hub, apr_pool_t *p, apr_int64_t user_id,
                             apr_int64_t device_pk, int nfolders, const apr_int64_t *folders,
                             int client_fd, eas_waiter **out);

/* The hold sequence number this request got (eas_hold_begin); an earlier notification that a
 * newer request of the device exists is applied now. */
void eas_hub_set_seq(eas_waiter *w, apr_int64_t seq);

/* Sleeps until something happens or until `until` (absolute); returns the EAS_WAKE_* bits that
 * are pending and clears them. changed (nfolders bytes, may be NULL) receives which folders were
 * written since the last call (OR-ed in). */
unsigned eas_hub_wait(eas_waiter *w, apr_time_t until, unsigned char *changed);

/* What the listener does with each notification payload: "user:folder", "user:hierarchy" or
 * "user:d:device:seq". Wakes the waiters concerned; unknown payloads are ignored. */
void eas_hub_notify(eas_hub *hub, const char *payload);

/* Unregisters (idempotent; also run by the pool cleanup). */
void eas_hub_leave(eas_waiter *w);

#endif
