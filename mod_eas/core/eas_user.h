/* eas_user.h — the accounts as a directory: display name, primary and additional SMTP addresses
 * and the GAL attributes (sql/007_user_directory.sql; set with `easctl user set`). A user whose
 * name is an address and who has no e-mail set uses the name; a bare name gets
 * name@EASMailDomain when a mail domain is configured. */
#ifndef EAS_USER_H
#define EAS_USER_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>

typedef struct eas_user_info {
    const char *id;              /* users.id */
    const char *name;            /* users.name (r->user) */
    const char *display_name;    /* never NULL: falls back to the name */
    const char *email;           /* primary SMTP address, NULL: none */
    apr_array_header_t *aliases; /* const char *: additional addresses (lower case) */
    /* GAL attributes, NULL when unset */
    const char *first_name, *last_name, *title, *company, *office, *phone, *mobile_phone,
        *home_phone, *alias;
    const char *picture; /* JPEG bytes or NULL */
    apr_size_t picture_len;
    int gal_hidden; /* not listed in the GAL */
} eas_user_info;

/* The user named name. 0 found, 1 no such user, -1 database error (*err). */
int eas_user_get(PGconn *c, apr_pool_t *p, const char *name, const char *mail_domain,
                 eas_user_info **out, const char **err);

/* The local user owning address (primary, alias, or name / name@mail_domain), case-insensitive.
 * 0 found, 1 not local, -1 database error. */
int eas_user_by_address(PGconn *c, apr_pool_t *p, const char *address, const char *mail_domain,
                        eas_user_info **out, const char **err);

/* 1 if addr (bare address, no display name) is one of u's addresses. */
int eas_user_owns_address(const eas_user_info *u, const char *addr);

/* Every address of u, primary first (const char *). */
apr_array_header_t *eas_user_addresses(apr_pool_t *p, const eas_user_info *u);

/* Users matching a GAL query (prefix of display name, first/last name, alias or address,
 * case-insensitive), display-name order, hidden users left out; at most limit (+1 to tell
 * there are more). apr_array of eas_user_info *. 0 or -1. */
int eas_user_search(PGconn *c, apr_pool_t *p, const char *query, const char *mail_domain, int limit,
                    apr_array_header_t **out, const char **err);

/* Directory attributes `easctl user set` may change: option name (without --) and column. */
typedef struct eas_user_field {
    const char *option, *column;
} eas_user_field;
extern const eas_user_field eas_user_fields[];

/* One change: column from eas_user_fields (value NULL clears it), or the specials "+address" /
 * "-address" (add/remove an additional address), "picture" (JPEG bytes in value/len),
 * "gal_hidden" ("t"/"f"). */
typedef struct eas_user_change {
    const char *column;
    const char *value;
    apr_size_t len; /* picture only */
} eas_user_change;

/* Applies changes to user name (created first when create), in one transaction. 0 done, 1 no
 * such user, 2 an address belongs to another user (*err says which), -1 database error. */
int eas_user_update(PGconn *c, apr_pool_t *p, const char *name, int create,
                    const apr_array_header_t *changes, const char **err);

#endif
