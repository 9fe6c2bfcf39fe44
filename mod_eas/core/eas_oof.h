/* eas_oof.h — out-of-office settings (Settings Oof Get/Set, sql/011_oof.sql) and the automatic
 * replies sent while it is on (RFC 3834 rules; at most once per sender per period). The delivery
 * hook, eas_oof_on_delivery, is declared in eas_delivered.h. */
#ifndef EAS_OOF_H
#define EAS_OOF_H

#include <apr_pools.h>
#include <libpq-fe.h>

#include "eas_delivered.h"

/* The three audiences of MS-ASCMD OofMessage, in this order everywhere. */
enum { EAS_OOF_INTERNAL, EAS_OOF_KNOWN, EAS_OOF_UNKNOWN, EAS_OOF_AUDIENCES };

typedef struct eas_oof_msg {
    int enabled;
    const char *text; /* reply text or HTML, NULL: none */
    int html;         /* text is HTML */
} eas_oof_msg;

typedef struct eas_oof {
    int state;               /* 0 off, 1 on, 2 on between start and end */
    const char *start, *end; /* UTC "YYYY-MM-DDTHH:MM:SS.mmmZ", NULL: none stored */
    eas_oof_msg msg[EAS_OOF_AUDIENCES];
} eas_oof;

/* The user's settings (all off when never set). 0, or -1 with *err. */
int eas_oof_load(PGconn *c, apr_pool_t *p, const char *user_id, eas_oof *out, const char **err);

/* Stores the settings and starts a new reply period (who got a reply is forgotten). start/end
 * must be NULL or valid timestamps. 0, or -1 with *err. */
int eas_oof_store(PGconn *c, apr_pool_t *p, const char *user_id, const eas_oof *in,
                  const char **err);

/* Plain text rendering of an HTML reply (tags dropped, entities decoded). */
const char *eas_oof_html_to_text(apr_pool_t *p, const char *html);

#endif
