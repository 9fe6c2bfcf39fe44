/* eas_smtp.h — a small SMTP client (RFC 5321) over APR sockets and OpenSSL: EHLO, STARTTLS
 * (RFC 3207) or implicit TLS, AUTH PLAIN (RFC 4616), MAIL/RCPT/DATA with dot-stuffing, 8BITMIME
 * when offered. One message per connection; every step has the configured timeout. */
#ifndef EAS_SMTP_H
#define EAS_SMTP_H

#include <apr_pools.h>
#include <apr_tables.h>

#define EAS_SMTP_PLAIN    0 /* smtp:// — plain, STARTTLS used when offered */
#define EAS_SMTP_STARTTLS 1 /* submission:// — STARTTLS required */
#define EAS_SMTP_TLS      2 /* smtps:// — implicit TLS */

typedef struct eas_smtp_url {
    int tls;          /* EAS_SMTP_* */
    const char *host; /* name or address ([v6] without brackets) */
    int port;
} eas_smtp_url;

/* Parses smtp://host[:port], smtps://host[:port], submission://host[:port]; NULL when fine,
 * else a message. Default ports 25, 465, 587. */
const char *eas_smtp_parse_url(apr_pool_t *p, const char *url, eas_smtp_url *out);

#endif
