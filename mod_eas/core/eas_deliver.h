/* eas_deliver.h — mail into the default store from outside: the delivery agent (eas-deliver,
 * an MTA's mailbox_command or pipe transport) and `easctl mail import` (.eml files, mbox). */
#ifndef EAS_DELIVER_H
#define EAS_DELIVER_H

#include <apr_pools.h>
#include <libpq-fe.h>

/* Results, chosen to map 1:1 onto sysexits.h so the MTA does the right thing. */
#define EAS_DELIVER_OK        0  /* EX_OK */
#define EAS_DELIVER_USAGE     64 /* EX_USAGE */
#define EAS_DELIVER_NOUSER    67 /* EX_NOUSER: bounce */
#define EAS_DELIVER_SOFTWARE  70 /* EX_SOFTWARE */
#define EAS_DELIVER_CANTCREAT 73 /* EX_CANTCREAT: no such folder */
#define EAS_DELIVER_TEMPFAIL  75 /* EX_TEMPFAIL: database down, the MTA retries later */

#define EAS_DELIVER_CREATE_USER 0x01 /* create an unknown user instead of EX_NOUSER */
#define EAS_DELIVER_DEDUP       0x02 /* same bytes to the same folder within a day: stored once */
#define EAS_DELIVER_USE_DATE    0x04 /* DateReceived from the Date header (imports) */
#define EAS_DELIVER_SEEN        0x08 /* mark read */

/* Stores one message for user in folder (NULL: Inbox; a special name "inbox", "drafts", "sent",
 * "deleted", "junk", "outbox"; or a folder path "Parent/Child", case-insensitive). Atomic: the
 * message is either stored (and devices notified) or not at all. */
int eas_deliver(PGconn *c, apr_pool_t *p, const char *user, const char *folder, const char *mime,
                apr_size_t len, int flags, long long *uid, int *duplicate, const char **err);

/* The users.id of a user name (created when asked); an EAS_DELIVER_* result. */
int eas_deliver_user(PGconn *c, apr_pool_t *p, const char *user, int create, const char **id,
                     const char **err);

/* A folder by special name (inbox, drafts, sent, deleted, junk, outbox, contacts, calendar,
 * tasks, notes) or by path "Parent/Child", case-insensitive; NULL: not found. NULL spec: Inbox. */
struct eas_store;
const struct eas_folder *eas_deliver_folder(struct eas_store *s, const char *spec);

/* Splits an mbox buffer: returns the next message (">From " unescaped, the "From " line dropped)
 * and advances *pos; NULL at the end. */
const char *eas_mbox_next(apr_pool_t *p, const char *buf, apr_size_t len, apr_size_t *pos,
                          apr_size_t *msg_len);

/* Whether buf looks like an mbox (starts with "From "). */
int eas_is_mbox(const char *buf, apr_size_t len);

#endif
