/* eas_body.h — reading a request body with a size limit and decoding forms and query strings,
 * shared by mod_eas and mod_autodiscover (compiled into both). */
#ifndef EAS_BODY_H
#define EAS_BODY_H

#include "httpd.h"

/* Reads the whole body into r->pool (NUL-terminated, *len without it), refusing more than limit
 * whether the client announced it in Content-Length or streams it chunked. OK, or the HTTP
 * status to answer: 413 too large, 400 broken upload, or ap_setup_client_block's refusal. */
int eas_read_body(request_rec *r, apr_off_t limit, const char **body, apr_size_t *len);

/* Decodes "k=v&k2=v2" (a query string or an application/x-www-form-urlencoded body; s is not
 * changed) into out. A pair without '=' is skipped. A pair whose key or value does not decode
 * (%00, a bad escape, not UTF-8) goes into bad (when not NULL) by its raw key instead, so callers
 * tell "absent" from "malformed". 0, or -1 when anything was malformed. */
int eas_form_parse(apr_pool_t *p, const char *s, apr_table_t *out, apr_table_t *bad);

#endif
