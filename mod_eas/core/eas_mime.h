/* eas_mime.h — RFC 5322 / MIME parsing for Exchange ActiveSync (GMime 3.0 underneath).
 *
 * Two users: the mail delivery agent derives what EAS needs once per message (eas_mime_parse), and
 * httpd worker threads extract one attachment's bytes on demand (eas_mime_attachment_data). Both
 * walk the MIME tree with the same code, so attachment numbers always agree for the same bytes.
 *
 * Every result is copied into the caller's pool; no GLib/GMime object outlives a call. Results are
 * always valid UTF-8 without NUL bytes. The parser never fails on malformed content: it returns
 * what it could derive and sets broken=1.
 *
 * Threads: call eas_mime_init() once per process (child_init, main); every function is then safe
 * to call from any number of threads at once (each call uses its own parser, options and streams).
 */
#ifndef EAS_MIME_H
#define EAS_MIME_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <apr_time.h>

/* Inputs larger than this are refused by eas_mime_parse / eas_mime_attachment_data. */
#define EAS_MIME_MAX_INPUT ((apr_size_t)1 << 30)

typedef struct eas_mime_attachment {
    int index;                /* 1-based order among attachments; stable for the same bytes (used in
                                 FileReference) */
    const char *filename;     /* UTF-8 (RFC 2231 / RFC 2047 decoded, directory part removed);
                                 "attachment-N.<ext>" or "attachment-N" when none */
    const char *content_type; /* lower-case "type/subtype" */
    const char *content_id;   /* without angle brackets, or NULL */
    int is_inline;   /* has a Content-ID and Content-Disposition inline (or no disposition inside
                        multipart/related): an inline image referenced by cid: */
    apr_size_t size; /* decoded size in bytes (message/rfc822: size of the embedded message) */
} eas_mime_attachment;

typedef struct eas_mime_info {
    const char *subject;                   /* UTF-8, RFC 2047 decoded, "" if none */
    const char *from, *to, *cc, *reply_to; /* UTF-8 address lists as '"Name" <a@b>, c@d', "" */
    const char *display_to; /* display names (or addresses when no name) of To, joined by "; " */
    const char *message_id; /* without <>, or NULL */
    const char *in_reply_to, *references; /* unfolded header values, NULL if absent */
    const char *thread_topic; /* Thread-Topic header, else the subject without Re:/Fwd:/Fw:/AW:/WG:
                                 prefixes (never NULL) */
    apr_time_t date;          /* Date: header (usec since the epoch), 0 if absent or unparsable */
    int importance; /* 0 low, 1 normal, 2 high (Importance:, X-Priority: 1-2 high, 4-5 low,
                       Priority: urgent/non-urgent, X-MSMail-Priority:) */
    const char *message_class; /* "IPM.Note", "IPM.Note.SMIME" (application/pkcs7-mime),
                                  "IPM.Note.SMIME.MultipartSigned" (multipart/signed) */
    const char *text; /* best text/plain body in UTF-8 (charset converted, invalid bytes replaced by
                         U+FFFD); if the message has only HTML, a plain rendering of it (tags
                         stripped, entities decoded, block tags -> newlines); "" if no body */
    const char *html; /* best text/html body in UTF-8, or NULL when the message has none */
    int native_type;  /* 1 plain, 2 html: the message's own preferred body (multipart/alternative
                         -> 2 when an html alternative exists) */
    apr_array_header_t *attachments; /* of eas_mime_attachment, never NULL */
    int broken; /* 1 if the parser had to tolerate structural damage (informational) */
} eas_mime_info;

/* Initialises GMime once per process (pthread_once); call from child_init / main. Safe to call
 * repeatedly; the functions below also call it. */
void eas_mime_init(void);

/* Parses an RFC 5322 message. Never fails on malformed content (returns what could be derived,
 * broken=1); returns -1 with *err only for NULL/absurd input (out is still filled with empty
 * values). An mbox "From " first line is skipped. */
int eas_mime_parse(apr_pool_t *p, const char *data, apr_size_t len, eas_mime_info *out,
                   const char **err);

/* Decoded bytes of attachment `index` (same numbering as eas_mime_parse), NUL-terminated for
 * convenience (not counted in out_len). 0 ok; -1 with *err if no such attachment. */
int eas_mime_attachment_data(apr_pool_t *p, const char *data, apr_size_t len, int index,
                             const char **out, apr_size_t *out_len, const char **content_type,
                             const char **err);

/* The first text/calendar part (iMIP, RFC 6047; not inside an attached message): its text in
 * UTF-8 and its iTIP method (upper case, from the Content-Type method parameter, else the
 * METHOD line; NULL when neither). 0 found, 1 none. */
int eas_mime_calendar(apr_pool_t *p, const char *data, apr_size_t len, const char **method,
                      const char **text);

/* First max_chars characters of text with whitespace runs collapsed to one space, trimmed, cut on
 * a UTF-8 boundary (EAS Preview, max 255). NULL text gives "". */
const char *eas_mime_preview(apr_pool_t *p, const char *text, int max_chars);

/* Cuts UTF-8 text to at most max_bytes bytes on a character boundary; *truncated set to 1 when
 * cut, else 0 (truncated may be NULL). Returns text itself when it already fits. */
const char *eas_mime_truncate(apr_pool_t *p, const char *text, apr_size_t max_bytes,
                              int *truncated);

/* Minimal HTML for a plain text body (escaped, <pre>-free: paragraphs/line breaks as <br>), for
 * clients that ask only for HTML. */
const char *eas_mime_text_to_html(apr_pool_t *p, const char *text);

#endif
