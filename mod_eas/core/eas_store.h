/* eas_store.h — the mail store provider interface (like mod_dav's dav_provider).
 *
 * Commands never touch mail tables; they call a provider. The model is IMAP's so that an IMAP
 * provider (Dovecot, CONDSTORE/QRESYNC) implements the same table without changes to commands:
 *   - a folder has a stable id, a UIDVALIDITY and a highest MODSEQ;
 *   - an item is (folder, uid); uids are never reused while UIDVALIDITY holds;
 *   - every change to an item raises its modseq; an expunge is reported as a vanished uid;
 *   - flags are \Seen, \Flagged (+ dates), keywords (categories), \Answered/$Forwarded.
 * A move is "append to the destination with a new uid + expunge from the source" (IMAP MOVE).
 *
 * Sync state (what a device holds) is not the provider's business; it lives in PostgreSQL for
 * every provider. The provider only answers "what differs from this device's view", because only
 * it can do that efficiently (pgstore: one anti-join; IMAP: UID FETCH CHANGEDSINCE + VANISHED). */
#ifndef EAS_STORE_H
#define EAS_STORE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>
#include <libpq-fe.h>

/* FolderHierarchy Type values (MS-ASCMD 2.2.3.186.3). */
enum {
    EAS_FT_USER_GENERIC = 1,
    EAS_FT_INBOX = 2,
    EAS_FT_DRAFTS = 3,
    EAS_FT_DELETED = 4,
    EAS_FT_SENT = 5,
    EAS_FT_OUTBOX = 6,
    EAS_FT_TASKS = 7,
    EAS_FT_CALENDAR = 8,
    EAS_FT_CONTACTS = 9,
    EAS_FT_NOTES = 10,
    EAS_FT_JOURNAL = 11,
    EAS_FT_USER_MAIL = 12,
    EAS_FT_USER_CALENDAR = 13,
    EAS_FT_USER_CONTACTS = 14,
    EAS_FT_USER_TASKS = 15,
    EAS_FT_USER_JOURNAL = 16,
    EAS_FT_USER_NOTES = 17,
};

typedef struct eas_folder {
    const char *id;        /* ServerId, decimal */
    const char *parent_id; /* "0" for top level */
    const char *name;
    int type;
    const char *special; /* "inbox", ... or NULL */
    apr_int64_t uidvalidity;
    apr_int64_t modseq;
} eas_folder;

/* Item class of a folder type: "Email", "Calendar", "Contacts", "Tasks", "Notes". */
const char *eas_folder_class(int type);

typedef struct eas_flags {
    int seen;
    int flag_status; /* 0 clear, 1 complete, 2 active */
    const char *flag_type;
    apr_time_t flag_start, flag_due, flag_completed; /* 0: unset */
    apr_array_header_t *categories;                  /* const char *, or NULL: unchanged */
    int last_verb;                                   /* 0 none, 1 reply, 2 reply all, 3 forward */
    apr_time_t last_verb_time;
} eas_flags;

typedef struct eas_attachment_ref {
    int idx;
    const char *filename, *content_type, *content_id;
    int is_inline;
    apr_int64_t size;
} eas_attachment_ref;

/* What a Sync or Fetch needs of one mail item. Body text fields are already cut to the limits
 * the caller asked for; the *_size fields are the full sizes in bytes. */
typedef struct eas_mail_item {
    apr_int64_t uid, modseq;
    apr_time_t received;
    apr_int64_t size;
    const char *subject, *from, *to, *cc, *reply_to, *display_to, *thread_topic, *message_id;
    const char *message_class, *preview;
    int importance;
    int native_type;
    const char *text; /* NULL unless asked */
    apr_int64_t text_size;
    const char *html; /* NULL unless asked or when the message has none */
    apr_int64_t html_size;
    int has_html;
    const char *mime; /* NULL unless asked */
    apr_size_t mime_len;
    apr_int64_t mime_size;
    const char *conversation_id; /* 16 raw bytes (derived from the thread topic) */
    eas_flags flags;
    apr_array_header_t *attachments; /* eas_attachment_ref */
} eas_mail_item;

/* What to fetch: each body kind is fetched only up to max bytes (0 = not at all, -1 = whole). */
typedef struct eas_fetch_spec {
    apr_int64_t text_max;
    apr_int64_t html_max;
    apr_int64_t mime_max;
    int attachments;
} eas_fetch_spec;

typedef enum eas_change_op {
    EAS_CH_ADD = 'A',
    EAS_CH_CHANGE = 'C',
    EAS_CH_DELETE = 'D',
    EAS_CH_SOFTDELETE = 'S', /* left the FilterType window: remove from the device only */
} eas_change_op;

typedef struct eas_change {
    eas_change_op op;
    apr_int64_t uid, modseq;
} eas_change;

/* The device's view a diff is computed against. */
typedef struct eas_sync_view {
    const char *device_pk;
    apr_time_t since; /* FilterType cut-off, 0 = everything */
    /* every change and deletion up to this modseq is already reflected in the view: only later
     * ones need looking at (keeps a sync O(changes), not O(mailbox)) */
    apr_int64_t checked_modseq;
    /* every live item up to this modseq is held: only later ones can be adds (-1: walk all) */
    apr_int64_t added_modseq;
    int complete;      /* out: all changes/deletions after checked_modseq were listed */
    int adds_complete; /* out: all adds were listed */
} eas_sync_view;

typedef struct eas_store eas_store;
struct eas_pim_item;     /* eas_pim.h */
struct eas_search_query; /* below */

typedef struct eas_store_provider {
    const char *name;
    /* Default folders on first use (Inbox, Drafts, Deleted Items, Sent Items, Outbox, Junk,
     * Contacts, Calendar, Tasks, Notes); cheap when they exist. */
    int (*ensure_defaults)(eas_store *s);
    /* Every folder of the user (apr_array of eas_folder), parents before children. */
    int (*folders)(eas_store *s, apr_array_header_t **out);
    /* Folder operations return an EAS_ST_* code (below); new id in *id_out. */
    int (*folder_create)(eas_store *s, const char *parent_id, const char *name, int type,
                         const char **id_out);
    int (*folder_update)(eas_store *s, const char *id, const char *parent_id, const char *name);
    int (*folder_delete)(eas_store *s, const char *id);
    /* Up to limit changes between the view and the folder, adds newest first; *more when there
     * are more. FilterType applies to adds; held items older than since come as soft deletes. */
    int (*changes)(eas_store *s, const eas_folder *f, eas_sync_view *v, int limit,
                   apr_array_header_t **out, int *more);
    /* Number of changes (GetItemEstimate). */
    int (*count_changes)(eas_store *s, const eas_folder *f, const eas_sync_view *v,
                         apr_int64_t *count);
    /* Items by uid (NULL entries for uids that are gone), bodies cut as spec says. */
    int (*fetch)(eas_store *s, const eas_folder *f, const apr_int64_t *uids, int n,
                 const eas_fetch_spec *spec, eas_mail_item **out);
    /* Sets the flags given (seen/flag/categories/verb) if the item's modseq is still
     * <= if_modseq (0: unconditionally). EAS_ST_OK, EAS_ST_NOT_FOUND or EAS_ST_CONFLICT; the new
     * modseq in *modseq_out. */
    int (*set_flags)(eas_store *s, const eas_folder *f, apr_int64_t uid, const eas_flags *fl,
                     int mask, apr_int64_t if_modseq, apr_int64_t *modseq_out);
    /* Moves an item; new uid in *uid_out. */
    int (*move)(eas_store *s, const eas_folder *src, apr_int64_t uid, const eas_folder *dst,
                apr_int64_t *uid_out);
    int (*expunge)(eas_store *s, const eas_folder *f, apr_int64_t uid);
    /* Empties a folder (and removes its subfolders when asked). */
    int (*empty)(eas_store *s, const eas_folder *f, int subfolders);
    /* Appends a message (delivery, Drafts, Sent Items); *uid_out. */
    int (*append)(eas_store *s, const eas_folder *f, const char *mime, apr_size_t len,
                  const eas_flags *fl, apr_int64_t *uid_out);
    /* The stored MIME bytes of one item (whole), for attachments and MIME fetch. */
    int (*mime)(eas_store *s, const eas_folder *f, apr_int64_t uid, const char **out,
                apr_size_t *len);
    /* PIM items (eas_pim.h: the standard form and its columns). uid 0 adds (new uid in *uid_out);
     * otherwise replaces the item if its modseq is still <= if_modseq (0: unconditionally):
     * EAS_ST_OK, EAS_ST_NOT_FOUND or EAS_ST_CONFLICT. The new modseq in *modseq_out. */
    int (*pim_put)(eas_store *s, const eas_folder *f, apr_int64_t uid,
                   const struct eas_pim_item *it, apr_int64_t if_modseq, apr_int64_t *uid_out,
                   apr_int64_t *modseq_out);
    /* PIM items by uid (NULL entries for uids that are gone). */
    int (*pim_get)(eas_store *s, const eas_folder *f, const apr_int64_t *uids, int n,
                   struct eas_pim_item **out);
    /* Live PIM items of a folder by uid order, from after_uid on (export); *more when more. */
    int (*pim_list)(eas_store *s, const eas_folder *f, apr_int64_t after_uid, int limit,
                    apr_array_header_t **out, int *more);
    /* Mail matching q in q->folders (the caller's own, already expanded for DeepTraversal),
     * newest first: the page q->offset..+q->limit in *hits (eas_search_hit), *total the number
     * of matches counted up to q->max. EAS_ST_OK, EAS_ST_ERROR, or EAS_ST_TIMEOUT when the
     * search ran longer than q->timeout seconds. NULL: the provider cannot search. */
    int (*search)(eas_store *s, const struct eas_search_query *q, apr_array_header_t **hits,
                  int *total);
} eas_store_provider;

/* A mailbox search (Search Store Mailbox, Find MailBoxSearchCriterion). */
typedef struct eas_search_query {
    const eas_folder *const *folders; /* where to look */
    int nfolders;
    const char *free_text;       /* words that must all occur in subject, sender, recipients
                                    or body (case-insensitive), NULL: any */
    apr_time_t after, before;    /* DateReceived strictly after / before (0: unbounded) */
    const char *conversation_id; /* 16 raw bytes (Email2:ConversationId) or NULL */
    int offset, limit;           /* the page asked for */
    int max;                     /* matches counted at most (EASSearchMaxResults) */
    int timeout;                 /* seconds (EASSearchTimeout), 0: none */
} eas_search_query;

typedef struct eas_search_hit {
    const eas_folder *folder;
    apr_int64_t uid;
} eas_search_hit;

#define EAS_ST_TIMEOUT 8 /* search only: q->timeout ran out */

/* Set-flags mask bits */
#define EAS_FL_SEEN       0x01
#define EAS_FL_FLAG       0x02
#define EAS_FL_CATEGORIES 0x04
#define EAS_FL_VERB       0x08

/* Provider results: 0 success, -1 internal error (s->error), others are EAS_ST_* */
#define EAS_ST_OK             0
#define EAS_ST_ERROR          -1
#define EAS_ST_NOT_FOUND      1
#define EAS_ST_EXISTS         2
#define EAS_ST_SPECIAL        3
#define EAS_ST_PARENT_MISSING 4
#define EAS_ST_CONFLICT       5
#define EAS_ST_SAME_FOLDER    6
#define EAS_ST_BAD_NAME       7

struct eas_store {
    const eas_store_provider *provider;
    apr_pool_t *pool;
    PGconn *db;
    const char *user_id; /* users.id */
    const char *error;   /* set with EAS_ST_ERROR */
    void *priv;
};

/* The default provider. */
extern const eas_store_provider eas_pgstore_provider;

/* Opens the user's store with the configured provider (pgstore today), creating the default
 * folders on first use. NULL with *err when the store cannot be reached. */
eas_store *eas_store_open(apr_pool_t *p, PGconn *db, const char *user_id, const char **err);

/* The folder with this ServerId, or NULL. Looked up in the list from provider->folders. */
const eas_folder *eas_store_folder(eas_store *s, const char *id);
/* Cached hierarchy of this request (provider->folders once). NULL on error. */
apr_array_header_t *eas_store_folders(eas_store *s);
/* Drops the cached hierarchy after folder operations. */
void eas_store_forget_folders(eas_store *s);
const eas_folder *eas_store_special(eas_store *s, const char *special);

/* "folder:uid" <-> parts; 0 if well formed. */
const char *eas_item_server_id(apr_pool_t *p, const eas_folder *f, apr_int64_t uid);
int eas_item_parse_server_id(const char *sid, const char **folder_id, apr_int64_t *uid,
                             apr_pool_t *p);

#endif
