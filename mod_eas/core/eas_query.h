/* eas_query.h — MS-ASHTTP request line: the plain (Cmd=...&DeviceId=...) and the base64-encoded
 * query forms (2.2.1.1.1), plus the MS-ASProtocolVersion and X-MS-PolicyKey headers. Pure parsing,
 * no httpd: the glue passes r->args and the header values in. */
#ifndef EAS_QUERY_H
#define EAS_QUERY_H

#include <apr_pools.h>

#include "eas_command.h"

#define EAS_DEVICE_ID_MAX   64 /* the ABNF says 32; deployed clients send GUIDs up to 64 */
#define EAS_DEVICE_TYPE_MAX 64

typedef enum eas_query_status {
    EAS_QUERY_OK = 0,
    EAS_QUERY_BAD,        /* HTTP 400 */
    EAS_QUERY_UNKNOWN_CMD /* HTTP 501 */
} eas_query_status;

typedef struct eas_query {
    int base64;           /* the request used the base64 form */
    const char *cmd_name; /* as sent, for logging; NULL if absent */
    const eas_cmd_info *cmd;
    const char *user;      /* User= (informational; the authenticated r->user is authoritative) */
    const char *device_id; /* validated: [A-Za-z0-9._-], 1..EAS_DEVICE_ID_MAX */
    const char *device_type;
    const char *protocol_version; /* "14.1"; NULL when the client did not say */
    int has_policy_key;
    unsigned long policy_key;
    int locale;
    /* command parameters (2.2.1.1.1.2.5 / 2.2.1.1.1.1.3) */
    const char *attachment_name;
    const char *collection_id;
    const char *item_id;
    const char *long_id;
    const char *occurrence;
    int save_in_sent;     /* SaveInSent=T or Options bit 0x01 */
    int accept_multipart; /* Options bit 0x02 or MS-ASAcceptMultiPart: T */
} eas_query;

/* Parses args (r->args, may be NULL) and the two headers (may be NULL). On any status the fields
 * that could be read are filled (so that log lines can name the device); *why explains a non-OK
 * status in a short phrase. */
eas_query_status eas_query_parse(apr_pool_t *p, const char *args, const char *hdr_version,
                                 const char *hdr_policy_key, const char *hdr_multipart,
                                 eas_query *q, const char **why);

/* 1 if v is one of the protocol versions the protocol defines (2.5 ... 16.1). */
int eas_protocol_version_known(const char *v);

/* "14.1" -> 141; 0 if not a version. */
int eas_protocol_version_num(const char *v);

#endif
