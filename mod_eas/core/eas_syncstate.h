/* eas_syncstate.h — replayable SyncKeys.
 *
 * A device's state per collection is its view (what it holds, at which modseq: sync_items) plus
 * the changes sent with the newest key (pending). Pending changes join the view only when the
 * device presents that key, which proves it received them. Until then the previous key stays
 * valid: a retry is answered from the unchanged view, so it gets the same changes again and a lost
 * response can neither duplicate nor drop an item. The folder hierarchy works the same way
 * (folder_sync_items). All functions run inside the caller's transaction. */
#ifndef EAS_SYNCSTATE_H
#define EAS_SYNCSTATE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

#include "eas_store.h"

typedef struct eas_sync_state {
    int exists;
    const char *sync_key; /* newest key issued */
    const char *prev_key; /* the one before: a retry */
    const char *pending;  /* changes sent with sync_key */
    apr_int64_t uidvalidity;
    int filter_type;
    apr_int64_t seen_modseq;         /* folder modseq at which the diff was empty, -1 unknown */
    const char *options;             /* serialised eas_body_opts last sent, or NULL */
    apr_int64_t checked_modseq;      /* see eas_sync_view: valid for the view at sync_key */
    apr_int64_t prev_checked_modseq; /* ... and for the view at prev_key */
    apr_int64_t added_modseq;        /* see eas_sync_view, likewise per key */
    apr_int64_t prev_added_modseq;
    const char *supported; /* Sync Supported of a PIM collection ("Contacts:FirstName\n"...) */
} eas_sync_state;

/* How a presented key relates to the state. */
typedef enum {
    EAS_KEY_INVALID = 0,
    EAS_KEY_CURRENT, /* the newest: apply pending, go on */
    EAS_KEY_RETRY,   /* the previous one: forget pending, answer again */
} eas_key_match;

/* Loads and locks (FOR UPDATE) the state of one collection. */
int eas_sync_load(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                  eas_sync_state *st, const char **err);

eas_key_match eas_sync_match(const eas_sync_state *st, const char *key);

/* SyncKey 0: forgets the device's view of the folder and starts a new key generation; the new
 * key (no changes pending) in *key. */
int eas_sync_reset(PGconn *c, apr_pool_t *p, const char *device_pk, const eas_folder *f,
                   int filter_type, const char **key, const char **err);

/* Moves the pending changes into the view. */
int eas_sync_apply_pending(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                           const char *pending, const char **err);

/* The key after cur ("<generation>-<n+1>"). */
const char *eas_sync_next_key(apr_pool_t *p, const char *cur);

/* Serialises changes for the pending column. */
const char *eas_sync_pending_text(apr_pool_t *p, const apr_array_header_t *changes);

/* Stores the new key, the previous one and the pending changes. */
int eas_sync_save(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                  const char *key, const char *prev, const char *pending, int filter_type,
                  apr_int64_t seen_modseq, apr_int64_t checked, apr_int64_t prev_checked,
                  apr_int64_t added, apr_int64_t prev_added, const char **err);

/* Remembers the collection's Options (clients send them once; they persist). */
/* The Supported list sent with SyncKey 0 (NULL: none). */
int eas_sync_save_supported(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                            const char *supported, const char **err);
int eas_sync_save_options(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                          const char *options, const char **err);

/* The device holds uid at modseq now (its own change, a move it made); no-op when the device has
 * no state for the folder. */
int eas_sync_view_set(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                      apr_int64_t uid, apr_int64_t modseq, const char **err);
int eas_sync_view_remove(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                         apr_int64_t uid, const char **err);
/* The modseq at which the device holds uid, 0 if it does not. */
int eas_sync_view_modseq(PGconn *c, apr_pool_t *p, const char *device_pk, const char *folder_id,
                         apr_int64_t uid, apr_int64_t *modseq, const char **err);

/* --- folder hierarchy ---------------------------------------------------------------------- */

typedef struct eas_folder_change {
    char op; /* 'A' add, 'U' update, 'D' delete */
    eas_folder f;
} eas_folder_change;

/* Loads and locks the hierarchy state; *key = 0 when there is none. */
int eas_fsync_load(PGconn *c, apr_pool_t *p, const char *device_pk, apr_int64_t *key,
                   apr_int64_t *prev, const char **pending, const char **err);
/* Forgets the device's hierarchy view (FolderSync with key 0). */
int eas_fsync_reset(PGconn *c, apr_pool_t *p, const char *device_pk, const char **err);
/* Applies pending hierarchy changes to the view. */
int eas_fsync_apply(PGconn *c, apr_pool_t *p, const char *device_pk, const char *pending,
                    const char **err);
/* Differences between the live folders and the device's view. */
int eas_fsync_diff(PGconn *c, apr_pool_t *p, const char *device_pk, apr_array_header_t *folders,
                   apr_array_header_t **changes, const char **err);
const char *eas_fsync_pending_text(apr_pool_t *p, const apr_array_header_t *changes);
int eas_fsync_save(PGconn *c, apr_pool_t *p, const char *device_pk, apr_int64_t key,
                   apr_int64_t prev, const char *pending, const char **err);

#endif
