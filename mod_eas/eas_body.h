/* eas_body.h — reading a request body with a size limit, shared by mod_eas and
 * mod_autodiscover (compiled into both). */
#ifndef EAS_BODY_H
#define EAS_BODY_H

#include "httpd.h"

/* Reads the whole body into r->pool (NUL-terminated, *len without it), refusing more than limit
 * whether the client announced it in Content-Length or streams it chunked. OK, or the HTTP
 * status to answer: 413 too large, 400 broken upload, or ap_setup_client_block's refusal. */
int eas_read_body(request_rec *r, apr_off_t limit, const char **body, apr_size_t *len);

#endif
