/* eas_compose.h — building RFC 5322 messages: from EAS item fields (16.x Drafts), and the final
 * message of SmartReply / SmartForward (MS-ASCMD 2.2.1.19/2.2.1.20) from the device's message and
 * the stored original. */
#ifndef EAS_COMPOSE_H
#define EAS_COMPOSE_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

typedef struct eas_compose_fields {
    const char *from, *to, *cc, *bcc; /* address lists, ',' or ';' separated; NULL: none */
    const char *subject;
    const char *text;           /* plain body (UTF-8) */
    const char *html;           /* HTML body, or NULL */
    int importance;             /* 0 low, 1 normal, 2 high */
    const char *msgid_domain;   /* right side of the new Message-ID (NULL: mod-eas.invalid) */
    const char *const *headers; /* extra header name/value pairs, NULL-terminated, or NULL
                                   (In-Reply-To, Auto-Submitted, ...) */
} eas_compose_fields;

/* The message as bytes (CRLF-free, as GMime writes it), NUL-terminated in pool p. */
const char *eas_compose_message(apr_pool_t *p, const eas_compose_fields *f, apr_size_t *len);

/* eas_compose_smart flags */
#define EAS_SMART_FORWARD 0x01 /* forward (else reply) */
#define EAS_SMART_APPEND                                                                           \
    0x02 /* add the original (no ReplaceMime): reply: quoted below the                             \
            device's text; forward: a "Forwarded message" block and the                            \
            original's attachments */

/* The message SmartReply/SmartForward submits: the device's message (dev) with, per flags, the
 * original (orig, stored bytes) appended; a reply gets In-Reply-To/References from the original
 * when the device set none. extra_to ("Name <a@b>" or bare addresses, NULL: none; 16.x
 * Forwardees) are added to To unless already a recipient. 0 with *out and *out_len (NUL-terminated
 * in p); -1 with *err when dev is not a message. */
int eas_compose_smart(apr_pool_t *p, const char *dev, apr_size_t dev_len, const char *orig,
                      apr_size_t orig_len, int flags, const apr_array_header_t *extra_to,
                      const char **out, apr_size_t *out_len, const char **err);

/* The device's message with one more attachment (a forwarded meeting's text/calendar): data as
 * content_type (with parameters, e.g. "text/calendar; method=REQUEST; charset=utf-8") named
 * filename; extra_to as for eas_compose_smart. 0, or -1 with *err when dev is not a message. */
int eas_compose_attach(apr_pool_t *p, const char *dev, apr_size_t dev_len, const char *data,
                       apr_size_t data_len, const char *content_type, const char *filename,
                       const apr_array_header_t *extra_to, const char **out, apr_size_t *out_len,
                       const char **err);

/* Pieces of eas_compose_smart, exposed for the unit tests. */
/* "> " quoting of text ('>' before lines already quoted, a bare '>' on empty lines), LF ends. */
const char *eas_compose_quote(apr_pool_t *p, const char *text);
/* "On <date>, <from> wrote:" (date as RFC 822 in GMT; without it "<from> wrote:"). */
const char *eas_compose_attribution(apr_pool_t *p, apr_time_t date, const char *from);
/* The content of an HTML document's <body> (the whole text when it has none). */
const char *eas_compose_html_inner(apr_pool_t *p, const char *html);

/* Number of distinct To/Cc addresses of a message (reply vs reply-all), 0 if unparsable. */
int eas_compose_recipient_count(const char *mime, apr_size_t len);

#endif
