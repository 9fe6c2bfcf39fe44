/* mod_eas.h — what mod_eas offers other modules, as APR optional functions (so a module using
 * it still loads, and degrades, when mod_eas is not loaded). mod_autodiscover asks it who a user
 * is. */
#ifndef MOD_EAS_H
#define MOD_EAS_H

#include "apr_optional.h"
#include "apr_tables.h"
#include "httpd.h"

typedef struct eas_directory_entry {
    const char *display_name;      /* NULL: the directory has none for this user */
    apr_array_header_t *addresses; /* const char *: every address of the user, primary first */
} eas_directory_entry;

/* The user `user` in the directory of r->server's EASDatabase (eas_user.h). A user without a
 * directory row yet (a phone autodiscovers before its first sync) gets the addresses mod_eas
 * would give it: the name when it is an address, else name@EASMailDomain.
 * 0 answered, 1 no EASDatabase for this server, -1 database trouble (logged). */
APR_DECLARE_OPTIONAL_FN(int, eas_directory_user,
                        (request_rec * r, const char *user, eas_directory_entry *out));

#endif
