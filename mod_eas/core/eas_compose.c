/* eas_compose.c — RFC 5322 messages from EAS fields (16.x Drafts adds), built with GMime so
 * headers are RFC 2047-encoded, addresses are parsed properly and bodies are UTF-8
 * quoted-printable. */
#include <string.h>

#include <apr_strings.h>
#include <gmime/gmime.h>

#include "eas_compose.h"
#include "eas_mime.h"

static void add_addresses(GMimeMessage *m, GMimeAddressType type, const char *list)
{
    InternetAddressList *parsed;
    if (!list || !*list) {
        return;
    }
    /* EAS separates recipients with ',' or ';' */
    {
        char *copy = g_strdup(list), *c;
        for (c = copy; *c; ++c) {
            if (*c == ';') {
                *c = ',';
            }
        }
        parsed = internet_address_list_parse(NULL, copy);
        g_free(copy);
    }
    if (parsed) {
        internet_address_list_append(g_mime_message_get_addresses(m, type), parsed);
        g_object_unref(parsed);
    }
}

static GMimeObject *text_part(const char *subtype, const char *text)
{
    GMimeTextPart *part = g_mime_text_part_new_with_subtype(subtype);
    g_mime_text_part_set_text(part, text ? text : "");
    g_mime_part_set_content_encoding(GMIME_PART(part), GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
    return GMIME_OBJECT(part);
}

const char *eas_compose_message(apr_pool_t *p, const eas_compose_fields *f, apr_size_t *len)
{
    GMimeMessage *m;
    GMimeObject *body;
    GDateTime *now;
    char *raw, *msgid;
    const char *out;

    eas_mime_init();
    m = g_mime_message_new(TRUE);
    add_addresses(m, GMIME_ADDRESS_TYPE_FROM, f->from);
    add_addresses(m, GMIME_ADDRESS_TYPE_TO, f->to);
    add_addresses(m, GMIME_ADDRESS_TYPE_CC, f->cc);
    add_addresses(m, GMIME_ADDRESS_TYPE_BCC, f->bcc);
    g_mime_message_set_subject(m, f->subject ? f->subject : "", "utf-8");
    now = g_date_time_new_now_utc();
    g_mime_message_set_date(m, now);
    g_date_time_unref(now);
    msgid = g_mime_utils_generate_message_id("mod-eas.invalid");
    g_mime_message_set_message_id(m, msgid);
    g_free(msgid);
    if (f->importance == 0 || f->importance == 2) {
        g_mime_object_set_header(GMIME_OBJECT(m), "Importance", f->importance ? "high" : "low",
                                 NULL);
    }
    if (f->html && !f->text) {
        body = text_part("html", f->html);
    } else if (f->html) {
        GMimeMultipart *alt = g_mime_multipart_new_with_subtype("alternative");
        GMimeObject *t = text_part("plain", f->text ? f->text : ""),
                    *h = text_part("html", f->html);
        g_mime_multipart_add(alt, t);
        g_mime_multipart_add(alt, h);
        g_object_unref(t);
        g_object_unref(h);
        body = GMIME_OBJECT(alt);
    } else {
        body = text_part("plain", f->text);
    }
    g_mime_message_set_mime_part(m, body);
    g_object_unref(body);
    raw = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
    *len = strlen(raw);
    out = apr_pmemdup(p, raw, *len + 1);
    g_free(raw);
    g_object_unref(m);
    return out;
}
