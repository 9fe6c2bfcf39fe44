/* eas_smtp.c — SMTP client (see eas_smtp.h). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>

#include "eas_smtp.h"

const char *eas_smtp_parse_url(apr_pool_t *p, const char *url, eas_smtp_url *out)
{
    const char *rest, *colon, *end;
    char *e;
    long port;

    memset(out, 0, sizeof(*out));
    if (!strncasecmp(url, "smtp://", 7)) {
        out->tls = EAS_SMTP_PLAIN;
        out->port = 25;
        rest = url + 7;
    } else if (!strncasecmp(url, "smtps://", 8)) {
        out->tls = EAS_SMTP_TLS;
        out->port = 465;
        rest = url + 8;
    } else if (!strncasecmp(url, "submission://", 13)) {
        out->tls = EAS_SMTP_STARTTLS;
        out->port = 587;
        rest = url + 13;
    } else {
        return apr_psprintf(p, "'%s' is not smtp://, smtps:// or submission://host[:port]", url);
    }
    end = rest + strlen(rest);
    if (end > rest && end[-1] == '/') {
        --end;
    }
    if (*rest == '[') {
        const char *close = memchr(rest, ']', (size_t)(end - rest));
        if (!close || close == rest + 1) {
            return apr_psprintf(p, "'%s': bad IPv6 address", url);
        }
        out->host = apr_pstrndup(p, rest + 1, (size_t)(close - rest - 1));
        colon = close + 1 < end && close[1] == ':' ? close + 1 : NULL;
        if (!colon && close + 1 != end) {
            return apr_psprintf(p, "'%s': unexpected text after the address", url);
        }
    } else {
        colon = memchr(rest, ':', (size_t)(end - rest));
        out->host = apr_pstrndup(p, rest, (size_t)((colon ? colon : end) - rest));
    }
    if (!*out->host || strpbrk(out->host, "/@?# \t")) {
        return apr_psprintf(p, "'%s': no usable host name (user names and paths do not belong "
                               "in the URL)",
                            url);
    }
    if (colon) {
        char *num = apr_pstrndup(p, colon + 1, (size_t)(end - colon - 1));
        port = strtol(num, &e, 10);
        if (!*num || *e || port < 1 || port > 65535) {
            return apr_psprintf(p, "'%s': bad port", url);
        }
        out->port = (int)port;
    }
    return NULL;
}
