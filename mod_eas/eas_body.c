/* eas_body.c — request bodies for the modules (eas_body.h). */
#include <string.h>

#include "apr_strings.h"
#include "httpd.h"
#include "http_protocol.h"

#include <libxml/xmlstring.h>

#include "eas_body.h"

/* Reads the whole body into r->pool, refusing more than the configured limit, whether the
 * client announced it in Content-Length or streams it chunked. */
int eas_read_body(request_rec *r, apr_off_t limit, const char **body, apr_size_t *body_len)
{
    apr_size_t cap, len = 0;
    char *buf;
    int rv;

    rv = ap_setup_client_block(r, REQUEST_CHUNKED_DECHUNK);
    if (rv != OK) {
        return rv;
    }
    if (r->remaining > limit) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    if (!ap_should_client_block(r)) {
        *body = "";
        *body_len = 0;
        return OK;
    }
    cap = r->remaining > 0 ? (apr_size_t)r->remaining : 8192;
    if ((apr_off_t)cap > limit) {
        cap = (apr_size_t)limit; /* chunked: the limit is enforced when the buffer is full */
    }
    buf = apr_palloc(r->pool, cap + 1);
    for (;;) {
        long n;
        if (len == cap) {
            char *nb;
            if ((apr_off_t)cap >= limit) {
                /* full to the limit: one more byte means too large */
                char probe;
                n = ap_get_client_block(r, &probe, 1);
                if (n > 0) {
                    return HTTP_REQUEST_ENTITY_TOO_LARGE;
                }
                if (n < 0) {
                    return HTTP_BAD_REQUEST;
                }
                break;
            }
            cap = (apr_off_t)(cap * 2) > limit ? (apr_size_t)limit : cap * 2;
            nb = apr_palloc(r->pool, cap + 1);
            memcpy(nb, buf, len);
            buf = nb;
        }
        n = ap_get_client_block(r, buf + len, cap - len);
        if (n == 0) {
            break;
        }
        if (n < 0) {
            return HTTP_BAD_REQUEST; /* client went away or sent a broken chunk */
        }
        len += (apr_size_t)n;
    }
    buf[len] = '\0';
    *body = buf;
    *body_len = len;
    return OK;
}

int eas_form_parse(apr_pool_t *p, const char *s, apr_table_t *out, apr_table_t *bad)
{
    char *tok, *state;
    int rc = 0;

    for (tok = apr_strtok(apr_pstrdup(p, s ? s : ""), "&", &state); tok;
         tok = apr_strtok(NULL, "&", &state)) {
        char *eq = strchr(tok, '='), *raw;
        if (!eq) {
            continue;
        }
        *eq = '\0';
        raw = apr_pstrdup(p, tok);
        /* not UTF-8 counts as undecodable: it would reach the database (which refuses it)
         * and JSON answers (which must not carry it) */
        if (ap_unescape_urlencoded(tok) == OK && ap_unescape_urlencoded(eq + 1) == OK &&
            xmlCheckUTF8((const xmlChar *)tok) && xmlCheckUTF8((const xmlChar *)eq + 1)) {
            apr_table_add(out, tok, eq + 1);
        } else {
            rc = -1;
            if (bad) {
                apr_table_add(bad, raw, "");
            }
        }
    }
    return rc;
}
