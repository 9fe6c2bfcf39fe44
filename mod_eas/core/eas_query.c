/* eas_query.c — MS-ASHTTP query parsing (see eas_query.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_strings.h>

#include "eas_query.h"

static const char *const known_versions[] = {"2.5",  "12.0", "12.1", "14.0",
                                             "14.1", "16.0", "16.1", NULL};

int eas_protocol_version_known(const char *v)
{
    int i;
    for (i = 0; v && known_versions[i]; ++i) {
        if (strcmp(v, known_versions[i]) == 0) {
            return 1;
        }
    }
    return 0;
}

int eas_protocol_version_num(const char *v)
{
    if (!eas_protocol_version_known(v)) {
        return 0;
    }
    return atoi(v) * 10 + (int)(strchr(v, '.')[1] - '0');
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

/* %XX and '+' decoding; NULL on a broken escape or an encoded NUL. */
static char *url_decode(apr_pool_t *p, const char *s, size_t len, int plus_is_space)
{
    char *out = apr_palloc(p, len + 1), *o = out;
    size_t i;

    for (i = 0; i < len; ++i) {
        if (s[i] == '%') {
            int h, l;
            if (i + 2 >= len) {
                return NULL;
            }
            h = hexval((unsigned char)s[i + 1]);
            l = hexval((unsigned char)s[i + 2]);
            if (h < 0 || l < 0 || (h == 0 && l == 0)) {
                return NULL;
            }
            *o++ = (char)(h * 16 + l);
            i += 2;
        } else if (s[i] == '+' && plus_is_space) {
            *o++ = ' ';
        } else {
            *o++ = s[i];
        }
    }
    *o = '\0';
    return out;
}

static int valid_device_id(const char *s, size_t len)
{
    size_t i;
    if (len == 0 || len > EAS_DEVICE_ID_MAX) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (!(isalnum(c) || c == '-' || c == '_' || c == '.')) {
            return 0;
        }
    }
    return 1;
}

static int valid_vchar(const char *s, size_t len, size_t max)
{
    size_t i;
    if (len == 0 || len > max) {
        return 0;
    }
    for (i = 0; i < len; ++i) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7e) {
            return 0;
        }
    }
    return 1;
}

static int parse_policy_key(const char *s, unsigned long *out)
{
    char *end;
    unsigned long long v;

    if (!s || !*s || !isdigit((unsigned char)*s)) {
        return 0;
    }
    v = strtoull(s, &end, 10);
    if (*end || v > 0xffffffffULL) {
        return 0;
    }
    *out = (unsigned long)v;
    return 1;
}

static eas_query_status fail(const char **why, const char *msg)
{
    if (why) {
        *why = msg;
    }
    return EAS_QUERY_BAD;
}

/* Plain form: Cmd=Sync&User=u&DeviceId=d&DeviceType=t[&name=value]* */
static eas_query_status parse_plain(apr_pool_t *p, const char *args, eas_query *q, const char **why)
{
    const char *s = args;
    const char *raw_devid = NULL;

    while (*s) {
        const char *amp = strchr(s, '&');
        size_t len = amp ? (size_t)(amp - s) : strlen(s);
        const char *eq = memchr(s, '=', len);
        char *name, *value;

        if (len == 0) {
            s += amp ? 1 : 0;
            if (!amp) {
                break;
            }
            continue;
        }
        if (!eq) {
            return fail(why, "query parameter without '='");
        }
        name = apr_pstrmemdup(p, s, (apr_size_t)(eq - s));
        value = url_decode(p, eq + 1, len - (size_t)(eq - s) - 1, 1);
        if (!value) {
            return fail(why, "bad %-escape in query");
        }
        if (strcasecmp(name, "Cmd") == 0) {
            if (q->cmd_name) {
                return fail(why, "Cmd given twice");
            }
            q->cmd_name = value;
        } else if (strcasecmp(name, "DeviceId") == 0) {
            if (raw_devid) {
                return fail(why, "DeviceId given twice");
            }
            raw_devid = value;
        } else if (strcasecmp(name, "DeviceType") == 0) {
            q->device_type = value;
        } else if (strcasecmp(name, "User") == 0) {
            q->user = value;
        } else if (strcasecmp(name, "AttachmentName") == 0) {
            q->attachment_name = value;
        } else if (strcasecmp(name, "CollectionId") == 0) {
            q->collection_id = value;
        } else if (strcasecmp(name, "ItemId") == 0) {
            q->item_id = value;
        } else if (strcasecmp(name, "LongId") == 0) {
            q->long_id = value;
        } else if (strcasecmp(name, "Occurrence") == 0) {
            q->occurrence = value;
        } else if (strcasecmp(name, "SaveInSent") == 0) {
            q->save_in_sent = (value[0] == 'T' || value[0] == 't');
        } else if (strcasecmp(name, "PolicyKey") == 0) {
            /* not in the ABNF, but some clients put it here instead of X-MS-PolicyKey */
            if (!parse_policy_key(value, &q->policy_key)) {
                return fail(why, "malformed PolicyKey");
            }
            q->has_policy_key = 1;
        }
        /* other parameters are ignored, as the protocol allows new ones */
        if (!amp) {
            break;
        }
        s = amp + 1;
    }
    if (raw_devid) {
        if (!valid_device_id(raw_devid, strlen(raw_devid))) {
            return fail(why, "malformed DeviceId");
        }
        q->device_id = raw_devid;
    }
    return EAS_QUERY_OK;
}

static char *hex_string(apr_pool_t *p, const unsigned char *b, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    char *s = apr_palloc(p, len * 2 + 1);
    size_t i;
    for (i = 0; i < len; ++i) {
        s[2 * i] = hex[b[i] >> 4];
        s[2 * i + 1] = hex[b[i] & 15];
    }
    s[2 * len] = '\0';
    return s;
}

/* Base64 form, MS-ASHTTP 2.2.1.1.1.1. Every length is checked against what is left. */
static eas_query_status parse_base64(apr_pool_t *p, const char *args, eas_query *q,
                                     const char **why)
{
    char *enc = url_decode(p, args, strlen(args), 0);
    unsigned char *b;
    size_t n, i = 0;
    char *c;
    int ver, code, len;

    if (!enc) {
        return fail(why, "bad %-escape in base64 query");
    }
    for (c = enc; *c; ++c) { /* tolerate the URL-safe alphabet */
        if (*c == '-') {
            *c = '+';
        } else if (*c == '_') {
            *c = '/';
        } else if (!(isalnum((unsigned char)*c) || *c == '+' || *c == '/' || *c == '=')) {
            return fail(why, "query is neither plain nor base64");
        }
    }
    b = apr_palloc(p, (apr_size_t)apr_base64_decode_len(enc) + 1);
    n = (size_t)apr_base64_decode_binary(b, enc);
    if (n < 6) {
        return fail(why, "base64 query too short");
    }
    ver = b[i++];
    code = b[i++];
    q->locale = b[i] | (b[i + 1] << 8);
    i += 2;
    q->protocol_version = apr_psprintf(p, "%d.%d", ver / 10, ver % 10); /* 141 -> "14.1" */
    if (!eas_protocol_version_known(q->protocol_version)) {
        return fail(why, "unknown protocol version in base64 query");
    }
    q->cmd = eas_cmd_by_code(code);
    q->cmd_name = q->cmd ? q->cmd->name : apr_psprintf(p, "#%d", code);

    len = b[i++];
    if (len == 0 || i + (size_t)len > n) {
        return fail(why, "malformed DeviceId in base64 query");
    }
    if (valid_device_id((const char *)b + i, (size_t)len)) {
        q->device_id = apr_pstrmemdup(p, (const char *)b + i, (apr_size_t)len);
    } else if (len <= EAS_DEVICE_ID_MAX / 2) { /* a binary GUID: keep it as hex */
        q->device_id = hex_string(p, b + i, (size_t)len);
    } else {
        return fail(why, "malformed DeviceId in base64 query");
    }
    i += (size_t)len;

    if (i >= n) {
        return fail(why, "base64 query truncated at policy key");
    }
    len = b[i++];
    if (len == 4) {
        if (i + 4 > n) {
            return fail(why, "base64 query truncated in policy key");
        }
        q->policy_key = (unsigned long)b[i] | ((unsigned long)b[i + 1] << 8) |
                        ((unsigned long)b[i + 2] << 16) | ((unsigned long)b[i + 3] << 24);
        q->has_policy_key = 1;
        i += 4;
    } else if (len != 0) {
        return fail(why, "policy key length must be 0 or 4");
    }

    if (i >= n) {
        return fail(why, "base64 query truncated at device type");
    }
    len = b[i++];
    if (i + (size_t)len > n ||
        !valid_vchar((const char *)b + i, (size_t)len, EAS_DEVICE_TYPE_MAX)) {
        return fail(why, "malformed DeviceType in base64 query");
    }
    q->device_type = apr_pstrmemdup(p, (const char *)b + i, (apr_size_t)len);
    i += (size_t)len;

    while (i < n) {
        int tag = b[i++];
        const char *v;
        if (i >= n) {
            return fail(why, "base64 query parameter truncated");
        }
        len = b[i++];
        if (i + (size_t)len > n) {
            return fail(why, "base64 query parameter truncated");
        }
        v = apr_pstrmemdup(p, (const char *)b + i, (apr_size_t)len);
        switch (tag) {
        case 0:
            q->attachment_name = v;
            break;
        case 1:
            q->collection_id = v;
            break;
        case 3:
            q->item_id = v;
            break;
        case 4:
            q->long_id = v;
            break;
        case 6:
            q->occurrence = v;
            break;
        case 7:
            if (len >= 1) {
                q->save_in_sent = (b[i] & 0x01) != 0;
                q->accept_multipart = (b[i] & 0x02) != 0;
            }
            break;
        case 8:
            q->user = v;
            break;
        default:
            break; /* unknown tags are skipped: their length is known */
        }
        i += (size_t)len;
    }
    return EAS_QUERY_OK;
}

static int looks_plain(const char *args)
{
    return strchr(args, '&') != NULL || strncasecmp(args, "Cmd=", 4) == 0 ||
           strcasestr(args, "DeviceId=") != NULL;
}

eas_query_status eas_query_parse(apr_pool_t *p, const char *args, const char *hdr_version,
                                 const char *hdr_policy_key, const char *hdr_multipart,
                                 eas_query *q, const char **why)
{
    eas_query_status st;

    memset(q, 0, sizeof(*q));
    if (why) {
        *why = NULL;
    }
    if (!args || !*args) {
        return fail(why, "no query string");
    }
    if (strlen(args) > 4096) {
        return fail(why, "query string too long");
    }
    q->base64 = !looks_plain(args);
    st = q->base64 ? parse_base64(p, args, q, why) : parse_plain(p, args, q, why);
    if (st != EAS_QUERY_OK) {
        return st;
    }
    if (!q->base64) {
        if (hdr_version) {
            if (!eas_protocol_version_known(hdr_version)) {
                return fail(why, "unknown MS-ASProtocolVersion");
            }
            q->protocol_version = hdr_version;
        }
        if (q->cmd_name) {
            q->cmd = eas_cmd_by_name(q->cmd_name);
        }
    }
    /* The header wins over the query value: it is what the protocol defines for plain queries. */
    if (hdr_policy_key && *hdr_policy_key) {
        if (!parse_policy_key(hdr_policy_key, &q->policy_key)) {
            return fail(why, "malformed X-MS-PolicyKey");
        }
        q->has_policy_key = 1;
    }
    if (hdr_multipart && (hdr_multipart[0] == 'T' || hdr_multipart[0] == 't')) {
        q->accept_multipart = 1;
    }
    if (!q->cmd_name || !*q->cmd_name) {
        return fail(why, "missing Cmd");
    }
    if (!q->device_id) {
        return fail(why, "missing DeviceId");
    }
    if (!q->device_type) {
        return fail(why, "missing DeviceType");
    }
    if (!valid_vchar(q->device_type, strlen(q->device_type), EAS_DEVICE_TYPE_MAX)) {
        return fail(why, "malformed DeviceType");
    }
    if (!q->cmd) {
        if (why) {
            *why = "unknown command";
        }
        return EAS_QUERY_UNKNOWN_CMD;
    }
    if (!q->protocol_version) {
        return fail(why, "missing MS-ASProtocolVersion");
    }
    return EAS_QUERY_OK;
}
