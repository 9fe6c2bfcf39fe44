/* eas_console.h — the administration console's pages and its CSRF tokens, without httpd
 * (docs/console.md). The handler (mod_eas/eas_console_handler.c) routes, reads forms and calls
 * eas_admin.h; everything that turns data into HTML lives here, so escaping is in one place and
 * unit-tested. Every page is a complete HTML5 document (inline CSS, no external resource). */
#ifndef EAS_CONSOLE_H
#define EAS_CONSOLE_H

#include <apr_pools.h>
#include <apr_time.h>

#include "eas_admin.h"
#include "eas_html.h" /* eas_html_escape */

/* A query-string component: everything but unreserved characters %-encoded. */
const char *eas_url_escape(apr_pool_t *p, const char *s);

/* --- CSRF tokens: "<issued, decimal seconds>.<hex HMAC-SHA256(secret, user|issued)>" -------- */
#define EAS_CSRF_TTL (12 * 3600)
const char *eas_csrf_token(apr_pool_t *p, const unsigned char *secret, apr_size_t secret_len,
                           const char *user, apr_time_t now);
/* 0 valid; 1 expired (older than EAS_CSRF_TTL or issued in the future by more than 5 min);
 * -1 malformed or wrong (constant-time comparison). */
int eas_csrf_check(const unsigned char *secret, apr_size_t secret_len, const char *user,
                   const char *token, apr_time_t now);

/* --- pages -------------------------------------------------------------------------------- */

/* What every page needs: where the console lives, who looks, a token for its forms, and an
 * optional one-line message (after an action: "Remote wipe requested for ..."). */
typedef struct eas_console_page {
    const char *base;  /* the <Location> path, no trailing slash ("/eas-admin") */
    const char *admin; /* r->user */
    const char *csrf;  /* token for every form */
    const char *flash; /* NULL: none */
    int flash_error;   /* the flash reports a failure */
} eas_console_page;

/* The device list (eas_admin_device_list's columns), with the filter form (user, free text q
 * over every column, state = access/wipe value) and sortable column headers: sort names a
 * column, desc reverses. Rows are filtered and sorted here, each row links to its device page. */
const char *eas_console_devices(apr_pool_t *p, const eas_console_page *pg, const eas_table *devices,
                                const char *filter_user, const char *q, const char *state,
                                const char *sort, int desc);

/* A device: every cell of d->device as a definition list, the effective policy with its source
 * column, the device's audit entries, and one POST form per action (hidden user, id, action,
 * csrf) — wipe, account-wipe (only when the protocol is 16.1), wipe-cancel, wipe-clear, delete,
 * block, allow, quarantine, access-clear. */
const char *eas_console_device(apr_pool_t *p, const eas_console_page *pg, const char *user,
                               const char *device_id, const eas_admin_device_detail *d);

/* The confirmation step of a destructive action: what will happen, to which device, and a form
 * repeating the action with confirm=yes, plus a cancel link back to the device. */
const char *eas_console_confirm(apr_pool_t *p, const eas_console_page *pg, const char *user,
                                const char *device_id, const char *action);

/* The audit log (eas_admin_audit's columns), newest first, with the filter form. */
const char *eas_console_audit(apr_pool_t *p, const eas_console_page *pg, const eas_table *audit,
                              const char *since, const char *user, const char *device_id);

/* A page with a title and an escaped message (errors: 403, 404, ...). */
const char *eas_console_message(apr_pool_t *p, const eas_console_page *pg, const char *title,
                                const char *message);

/* The policy editor at one scope (eas_console_policy.c): a scope chooser (GET form), the chain
 * of scopes values are inherited through, and the table id="policy" with one row per setting of
 * effective (eas_admin_policy_show's name, value, source, source_key): its help and type from
 * fields (eas_admin_policy_fields), the value, where it comes from (class="here" when set at
 * this scope, else a link to the scope it is inherited from), a set form (id="set-<name>") and,
 * when set here, an unset button (id="unset-<name>"); both POST scope, key, user, name and csrf
 * to /policies. scope: global, domain, user or device (NULL: global); key: the domain, user or
 * DeviceId; user: the device's user. effective NULL: only the chooser (the scope was refused). */
const char *eas_console_policies(apr_pool_t *p, const eas_console_page *pg, const char *scope,
                                 const char *key, const char *user, const eas_table *fields,
                                 const eas_table *effective);

/* The overview (eas_console_overview.c): the device and user totals (id="device-total",
 * id="user-total"), held requests (id="held-pings"), one table per kind of ov->states (each
 * access, wipe and policy count links to the device list filtered by that state), requests per
 * hour as an inline SVG bar chart (id="syncs-chart": one <g class="bar"> per hour, stacked Sync,
 * Ping and other, with a <title>) and the same numbers as a table (id="syncs-table"). No script. */
const char *eas_console_overview(apr_pool_t *p, const eas_console_page *pg,
                                 const eas_admin_overview *ov);

#endif
