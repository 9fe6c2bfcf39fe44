/* eas_cmd_compose.h — what SendMail, SmartReply and SmartForward share (MS-ASCMD 2.2.1.16,
 * 2.2.1.19, 2.2.1.20): the request in either form (12.x: query parameters + raw MIME body;
 * 14.0+: ComposeMail WBXML), submission through eas_submit, and the answer (14.0+: empty body on
 * success, <Root><Status>n</Status></Root> on failure; 12.x: an HTTP status). */
#ifndef EAS_CMD_COMPOSE_H
#define EAS_CMD_COMPOSE_H

#include "eas_cmd.h"

typedef struct eas_forwardee {
    const char *name, *email;
} eas_forwardee;

typedef struct eas_compose_req {
    const char *root; /* "SendMail", "SmartReply", "SmartForward" */
    const char *client_id;
    const char *account_id;
    int save_in_sent;
    int replace_mime;
    const char *mime; /* the device's message (bytes, not NUL-safe: use mime_len) */
    apr_size_t mime_len;
    /* Source: which item is replied to / forwarded (NULL: not given). LongId is the ServerId
     * string ("folder:uid") of a Search/Find result; InstanceId an occurrence start (UTC). */
    const char *folder_id, *item_id, *long_id, *instance_id;
    apr_array_header_t *forwardees; /* 16.x Forwardees: eas_forwardee, or NULL */
} eas_compose_req;

/* Reads the request (either form). 0 when usable; otherwise the response is already set
 * (Status or HTTP error) and the command returns 0. */
int eas_compose_parse(eas_cmd_ctx *ctx, const char *root, eas_compose_req *out);

/* Submits mime (the final message) and answers: 0 (response set), -1 internal error. */
int eas_compose_submit(eas_cmd_ctx *ctx, const eas_compose_req *req, const char *mime,
                       apr_size_t len);

/* Answers with an EAS status (14.0+ WBXML Status; 12.x an HTTP status) and a note/warning. */
void eas_compose_fail(eas_cmd_ctx *ctx, const eas_compose_req *req, int status, const char *why);

/* Bytes of an element that may carry OPAQUE content (raw text, or base64 when the decoder marked
 * it eas:opaque="base64"); NULL if absent. */
const char *eas_cmd_opaque(apr_pool_t *p, xmlNodePtr node, apr_size_t *len);

#endif
