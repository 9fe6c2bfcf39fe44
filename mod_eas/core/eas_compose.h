/* eas_compose.h — building an RFC 5322 message from EAS item fields (16.x Drafts). */
#ifndef EAS_COMPOSE_H
#define EAS_COMPOSE_H

#include <apr_pools.h>

typedef struct eas_compose_fields {
    const char *from, *to, *cc, *bcc; /* address lists, ',' or ';' separated; NULL: none */
    const char *subject;
    const char *text; /* plain body (UTF-8) */
    const char *html; /* HTML body, or NULL */
    int importance;   /* 0 low, 1 normal, 2 high */
} eas_compose_fields;

/* The message as bytes (CRLF-free, as GMime writes it), NUL-terminated in pool p. */
const char *eas_compose_message(apr_pool_t *p, const eas_compose_fields *f, apr_size_t *len);

#endif
