/* eas_compose.c — RFC 5322 messages from EAS fields (16.x Drafts adds) and the final message of
 * SmartReply/SmartForward, built with GMime so headers are RFC 2047-encoded, addresses are parsed
 * properly and bodies are UTF-8 with a transfer encoding that fits them. */
#include <string.h>
#include <strings.h>

#include <apr_date.h>
#include <apr_lib.h>
#include <apr_strings.h>
#include <gmime/gmime.h>

#include "eas_compose.h"
#include "eas_html.h"
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
    int i;

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
    msgid = g_mime_utils_generate_message_id(f->msgid_domain ? f->msgid_domain : "mod-eas.invalid");
    g_mime_message_set_message_id(m, msgid);
    g_free(msgid);
    for (i = 0; f->headers && f->headers[i] && f->headers[i + 1]; i += 2) {
        g_mime_object_set_header(GMIME_OBJECT(m), f->headers[i], f->headers[i + 1], NULL);
    }
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

/* --- SmartReply / SmartForward ------------------------------------------------------------- */

/* The input is copied into the stream, so the message does not depend on data afterwards. */
static GMimeMessage *parse_message(const char *data, apr_size_t len)
{
    GMimeStream *st;
    GMimeParser *ps;
    GMimeMessage *m;

    eas_mime_init();
    st = g_mime_stream_mem_new_with_buffer(data, len);
    ps = g_mime_parser_new_with_stream(st);
    g_mime_parser_set_format(ps, GMIME_FORMAT_MESSAGE);
    m = g_mime_parser_construct_message(ps, NULL);
    g_object_unref(ps);
    g_object_unref(st);
    return m;
}

const char *eas_compose_quote(apr_pool_t *p, const char *text)
{
    const char *s = text ? text : "", *line = s, *end;
    apr_size_t n = strlen(s);
    GString *o;
    const char *out;

    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) {
        --n; /* no empty quoted lines at the end */
    }
    end = s + n;
    o = g_string_sized_new(n + n / 16 + 16);
    while (line < end) {
        const char *nl = memchr(line, '\n', (apr_size_t)(end - line));
        apr_size_t ll = (apr_size_t)((nl ? nl : end) - line);
        if (ll && line[ll - 1] == '\r') {
            --ll;
        }
        if (ll == 0) {
            g_string_append(o, ">\n");
        } else {
            /* an already quoted line only gets one more level ('>>'), as mail clients do */
            g_string_append(o, line[0] == '>' ? ">" : "> ");
            g_string_append_len(o, line, (gssize)ll);
            g_string_append_c(o, '\n');
        }
        if (!nl) {
            break;
        }
        line = nl + 1;
    }
    out = apr_pstrmemdup(p, o->str, o->len);
    g_string_free(o, TRUE);
    return out;
}

static const char *date_text(apr_pool_t *p, apr_time_t t)
{
    char *buf = apr_palloc(p, APR_RFC822_DATE_LEN);
    return apr_rfc822_date(buf, t) == APR_SUCCESS ? buf : NULL;
}

const char *eas_compose_attribution(apr_pool_t *p, apr_time_t date, const char *from)
{
    const char *d = date ? date_text(p, date) : NULL;
    const char *who = from && *from ? from : "the sender";
    return d ? apr_psprintf(p, "On %s, %s wrote:", d, who) : apr_psprintf(p, "%s wrote:", who);
}

/* Case-insensitive search for an ASCII needle; the last match when last is set. */
static const char *ci_find(const char *hay, const char *needle, int last)
{
    apr_size_t n = strlen(needle);
    const char *found = NULL, *h;
    for (h = hay; *h; ++h) {
        if (strncasecmp(h, needle, n) == 0) {
            found = h;
            if (!last) {
                break;
            }
        }
    }
    return found;
}

const char *eas_compose_html_inner(apr_pool_t *p, const char *html)
{
    const char *b, *start, *end;
    if (!html) {
        return "";
    }
    b = ci_find(html, "<body", 0);
    start = b ? strchr(b, '>') : NULL;
    if (!start) {
        return html;
    }
    ++start;
    end = ci_find(start, "</body", 1);
    return end ? apr_pstrmemdup(p, start, (apr_size_t)(end - start)) : start;
}

/* Text without its trailing line ends (the appended block adds its own spacing). */
static const char *trim_end(apr_pool_t *p, const char *s)
{
    apr_size_t n = s ? strlen(s) : 0;
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ')) {
        --n;
    }
    return apr_pstrmemdup(p, s ? s : "", n);
}

typedef struct body_parts {
    GMimeTextPart *plain, *html;
} body_parts;

/* The first plain and HTML body of the device's message (not attachments, not inside an attached
 * message). */
static void find_bodies(GMimeObject *o, body_parts *b)
{
    GMimeContentDisposition *d;
    GMimeContentType *ct;

    if (GMIME_IS_MULTIPART(o)) {
        int i, n = g_mime_multipart_get_count(GMIME_MULTIPART(o));
        for (i = 0; i < n; ++i) {
            find_bodies(g_mime_multipart_get_part(GMIME_MULTIPART(o), i), b);
        }
        return;
    }
    if (!GMIME_IS_TEXT_PART(o)) {
        return;
    }
    d = g_mime_object_get_content_disposition(o);
    if (d && g_mime_content_disposition_is_attachment(d)) {
        return;
    }
    ct = g_mime_object_get_content_type(o);
    if (!b->plain && g_mime_content_type_is_type(ct, "text", "plain")) {
        b->plain = GMIME_TEXT_PART(o);
    } else if (!b->html && g_mime_content_type_is_type(ct, "text", "html")) {
        b->html = GMIME_TEXT_PART(o);
    }
}

static const char *part_text(apr_pool_t *p, GMimeTextPart *t)
{
    char *s = g_mime_text_part_get_text(t);
    const char *out = apr_pstrdup(p, s ? s : "");
    g_free(s);
    return out;
}

/* New UTF-8 content; the transfer encoding is the lightest that fits (7bit, QP or base64). */
static void set_utf8(GMimeTextPart *t, const char *text)
{
    GMimeStream *st = g_mime_stream_mem_new_with_buffer(text, strlen(text));
    GMimeDataWrapper *w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(GMIME_PART(t), w);
    g_object_unref(w);
    g_object_unref(st);
    g_mime_text_part_set_charset(t, "utf-8");
    g_mime_part_set_content_encoding(
        GMIME_PART(t),
        g_mime_part_get_best_content_encoding(GMIME_PART(t), GMIME_ENCODING_CONSTRAINT_7BIT));
}

/* The message's top part as multipart/mixed (wrapping what was there), to add parts to. */
static GMimeMultipart *mixed_root(GMimeMessage *m)
{
    GMimeObject *root = g_mime_message_get_mime_part(m);
    GMimeMultipart *mixed;

    if (root && GMIME_IS_MULTIPART(root) &&
        g_mime_content_type_is_type(g_mime_object_get_content_type(root), "multipart", "mixed")) {
        return GMIME_MULTIPART(root);
    }
    mixed = g_mime_multipart_new_with_subtype("mixed");
    if (root) {
        g_object_ref(root);
        g_mime_multipart_add(mixed, root);
        g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
        g_object_unref(root);
    } else {
        g_mime_message_set_mime_part(m, GMIME_OBJECT(mixed));
    }
    g_object_unref(mixed); /* the message holds it */
    return mixed;
}

/* The original's attachments (decoded, as eas_mime numbers them) re-attached base64-encoded;
 * attached messages stay message/rfc822. */
static void add_attachments(apr_pool_t *p, GMimeMessage *m, const char *orig, apr_size_t olen,
                            const eas_mime_info *info)
{
    GMimeMultipart *mixed = NULL;
    int i;

    for (i = 0; i < info->attachments->nelts; ++i) {
        const eas_mime_attachment *a = &APR_ARRAY_IDX(info->attachments, i, eas_mime_attachment);
        const char *data, *ctype, *err = NULL, *slash;
        apr_size_t dlen;
        GMimeObject *obj = NULL;

        if (eas_mime_attachment_data(p, orig, olen, a->index, &data, &dlen, &ctype, &err) != 0 ||
            (!data && dlen)) {
            continue;
        }
        ctype = a->content_type ? a->content_type : "application/octet-stream";
        slash = strchr(ctype, '/');
        if (strcmp(ctype, "message/rfc822") == 0 && data) {
            GMimeMessage *em = parse_message(data, dlen);
            if (em) {
                obj = GMIME_OBJECT(g_mime_message_part_new_with_message("rfc822", em));
                g_object_unref(em);
                g_mime_object_set_disposition(obj, "attachment");
            }
        }
        if (!obj) {
            GMimeStream *st = g_mime_stream_mem_new_with_buffer(data ? data : "", dlen);
            GMimeDataWrapper *w =
                g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
            GMimePart *part =
                slash ? g_mime_part_new_with_type(
                            apr_pstrmemdup(p, ctype, (apr_size_t)(slash - ctype)), slash + 1)
                      : g_mime_part_new_with_type("application", "octet-stream");
            g_mime_part_set_content(part, w);
            g_object_unref(w);
            g_object_unref(st);
            g_mime_part_set_content_encoding(part, GMIME_CONTENT_ENCODING_BASE64);
            obj = GMIME_OBJECT(part);
            g_mime_object_set_disposition(obj, a->is_inline ? "inline" : "attachment");
            if (a->filename) {
                g_mime_part_set_filename(part, a->filename);
            }
        }
        if (a->content_id) {
            g_mime_object_set_content_id(obj, a->content_id);
        }
        if (!mixed) {
            mixed = mixed_root(m);
        }
        g_mime_multipart_add(mixed, obj);
        g_object_unref(obj);
    }
}

static int has_address(GMimeMessage *m, const char *addr)
{
    static const GMimeAddressType types[] = {GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC,
                                             GMIME_ADDRESS_TYPE_BCC};
    unsigned t;
    for (t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
        InternetAddressList *l = g_mime_message_get_addresses(m, types[t]);
        int i, n = l ? internet_address_list_length(l) : 0;
        for (i = 0; i < n; ++i) {
            InternetAddress *a = internet_address_list_get_address(l, i);
            if (INTERNET_ADDRESS_IS_MAILBOX(a) &&
                strcasecmp(internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)), addr) ==
                    0) {
                return 1;
            }
        }
    }
    return 0;
}

static void add_extra_to(GMimeMessage *m, const apr_array_header_t *extra)
{
    InternetAddressList *to = g_mime_message_get_addresses(m, GMIME_ADDRESS_TYPE_TO);
    int i;
    for (i = 0; extra && i < extra->nelts; ++i) {
        InternetAddressList *l =
            internet_address_list_parse(NULL, APR_ARRAY_IDX(extra, i, const char *));
        int j, n = l ? internet_address_list_length(l) : 0;
        for (j = 0; j < n; ++j) {
            InternetAddress *a = internet_address_list_get_address(l, j);
            if (INTERNET_ADDRESS_IS_MAILBOX(a) &&
                !has_address(m, internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)))) {
                internet_address_list_add(to, a);
            }
        }
        if (l) {
            g_object_unref(l);
        }
    }
}

/* In-Reply-To and References pointing at the original, unless the device set them. */
static void thread_headers(apr_pool_t *p, GMimeMessage *m, const eas_mime_info *o)
{
    const char *id;
    if (!o->message_id || !*o->message_id) {
        return;
    }
    id = apr_psprintf(p, "<%s>", o->message_id);
    if (!g_mime_object_get_header(GMIME_OBJECT(m), "In-Reply-To")) {
        g_mime_object_set_header(GMIME_OBJECT(m), "In-Reply-To", id, NULL);
    }
    if (!g_mime_object_get_header(GMIME_OBJECT(m), "References")) {
        const char *prev = o->references ? o->references : o->in_reply_to;
        g_mime_object_set_header(GMIME_OBJECT(m), "References",
                                 prev && *prev ? apr_pstrcat(p, prev, " ", id, NULL) : id, NULL);
    }
}

/* An address list as people write it: names quoted only when they must be. */
static const char *pretty(apr_pool_t *p, const char *list)
{
    InternetAddressList *l = list && *list ? internet_address_list_parse(NULL, list) : NULL;
    const char *out = list ? list : "";
    if (l && internet_address_list_length(l) > 0) {
        char *s = internet_address_list_to_string(l, NULL, FALSE);
        out = apr_pstrdup(p, s);
        g_free(s);
    }
    if (l) {
        g_object_unref(l);
    }
    return out;
}

/* Text ending in exactly one line end. */
static const char *one_nl(apr_pool_t *p, const char *s)
{
    return apr_pstrcat(p, trim_end(p, s), "\n", NULL);
}

/* The plain and HTML blocks appended below the device's text. */
static void original_blocks(apr_pool_t *p, const eas_mime_info *o, int forward, const char **plain,
                            const char **html)
{
    const char *inner = eas_compose_html_inner(
        p, o->html ? o->html : eas_mime_text_to_html(p, o->text ? o->text : ""));
    if (forward) {
        const char *date = o->date ? date_text(p, o->date) : NULL;
        const char *hdr =
            apr_pstrcat(p, "---------- Forwarded message ----------\nFrom: ", pretty(p, o->from),
                        "\n", date ? "Date: " : "", date ? date : "", date ? "\n" : "",
                        "Subject: ", o->subject ? o->subject : "", "\nTo: ", pretty(p, o->to), "\n",
                        o->cc && *o->cc ? "Cc: " : "", o->cc && *o->cc ? pretty(p, o->cc) : "",
                        o->cc && *o->cc ? "\n" : "", NULL);
        char *h = apr_pstrdup(p, eas_html_escape(p, hdr)), *nl;
        const char *hh = "";
        /* the same header block in HTML, one <br> per line */
        while ((nl = strchr(h, '\n'))) {
            *nl = '\0';
            hh = apr_pstrcat(p, hh, h, "<br>\n", NULL);
            h = nl + 1;
        }
        *plain = apr_pstrcat(p, hdr, "\n", one_nl(p, o->text), NULL);
        *html = apr_pstrcat(p, "<div>", hh, "</div><br>\n", inner, NULL);
    } else {
        const char *attr = eas_compose_attribution(p, o->date, pretty(p, o->from));
        *plain = apr_pstrcat(p, attr, "\n", eas_compose_quote(p, o->text), NULL);
        *html = apr_pstrcat(p, "<div>", eas_html_escape(p, attr),
                            "<br></div>\n<blockquote type=\"cite\" style=\"margin:0 0 0 .8ex;"
                            "border-left:1px solid #ccc;padding-left:1ex\">",
                            inner, "</blockquote>\n", NULL);
    }
}

/* A signed or encrypted message cannot be changed without breaking it. */
static int sealed(GMimeMessage *m)
{
    GMimeObject *root = g_mime_message_get_mime_part(m);
    GMimeContentType *ct = root ? g_mime_object_get_content_type(root) : NULL;
    return ct && (g_mime_content_type_is_type(ct, "multipart", "signed") ||
                  g_mime_content_type_is_type(ct, "multipart", "encrypted") ||
                  g_mime_content_type_is_type(ct, "application", "pkcs7-mime") ||
                  g_mime_content_type_is_type(ct, "application", "x-pkcs7-mime"));
}

/* The device's message, NULL unless it parses and has a body. */
static GMimeMessage *device_message(const char *dev, apr_size_t dev_len)
{
    GMimeMessage *m = dev && dev_len ? parse_message(dev, dev_len) : NULL;
    if (m && !g_mime_message_get_mime_part(m)) {
        g_object_unref(m);
        m = NULL;
    }
    return m;
}

/* m as bytes in p (m is released). */
static int finish(apr_pool_t *p, GMimeMessage *m, const char **out, apr_size_t *out_len)
{
    char *raw = g_mime_object_to_string(GMIME_OBJECT(m), NULL);
    *out_len = strlen(raw);
    *out = apr_pmemdup(p, raw, *out_len + 1);
    g_free(raw);
    g_object_unref(m);
    return 0;
}

int eas_compose_smart(apr_pool_t *p, const char *dev, apr_size_t dev_len, const char *orig,
                      apr_size_t orig_len, int flags, const apr_array_header_t *extra_to,
                      const char **out, apr_size_t *out_len, const char **err)
{
    GMimeMessage *m = device_message(dev, dev_len);
    int forward = (flags & EAS_SMART_FORWARD) != 0;

    if (!m) {
        *err = "the device's message is not a MIME message";
        return -1;
    }
    add_extra_to(m, extra_to);
    if ((flags & EAS_SMART_APPEND) && orig && !sealed(m)) {
        eas_mime_info info;
        const char *perr = NULL, *plain_add, *html_add;
        body_parts b = {NULL, NULL};

        eas_mime_parse(p, orig, orig_len, &info, &perr); /* never fails on content */
        original_blocks(p, &info, forward, &plain_add, &html_add);
        find_bodies(g_mime_message_get_mime_part(m), &b);
        if (b.plain) {
            const char *t = trim_end(p, part_text(p, b.plain));
            set_utf8(b.plain, apr_pstrcat(p, t, *t ? "\n\n" : "", plain_add, NULL));
        }
        if (b.html) {
            const char *h = part_text(p, b.html), *at = ci_find(h, "</body", 1);
            set_utf8(b.html, at ? apr_pstrcat(p, apr_pstrmemdup(p, h, (apr_size_t)(at - h)),
                                              html_add, at, NULL)
                                : apr_pstrcat(p, h, html_add, NULL));
        }
        if (!b.plain && !b.html) {
            /* no body of its own (only attachments): the original's text leads */
            GMimeTextPart *t = g_mime_text_part_new_with_subtype("plain");
            set_utf8(t, plain_add);
            g_mime_multipart_insert(mixed_root(m), 0, GMIME_OBJECT(t));
            g_object_unref(t);
        }
        if (forward) {
            add_attachments(p, m, orig, orig_len, &info);
        } else {
            thread_headers(p, m, &info);
        }
    }
    return finish(p, m, out, out_len);
}

int eas_compose_attach(apr_pool_t *p, const char *dev, apr_size_t dev_len, const char *data,
                       apr_size_t data_len, const char *content_type, const char *filename,
                       const apr_array_header_t *extra_to, const char **out, apr_size_t *out_len,
                       const char **err)
{
    GMimeMessage *m = device_message(dev, dev_len);
    GMimeContentType *ct;
    GMimePart *part;
    GMimeStream *st;
    GMimeDataWrapper *w;

    if (!m) {
        *err = "the device's message is not a MIME message";
        return -1;
    }
    add_extra_to(m, extra_to);
    part = g_mime_part_new();
    ct = g_mime_content_type_parse(NULL, content_type);
    g_mime_object_set_content_type(GMIME_OBJECT(part), ct);
    g_object_unref(ct);
    st = g_mime_stream_mem_new_with_buffer(data ? data : "", data ? data_len : 0);
    w = g_mime_data_wrapper_new_with_stream(st, GMIME_CONTENT_ENCODING_DEFAULT);
    g_mime_part_set_content(part, w);
    g_object_unref(w);
    g_object_unref(st);
    g_mime_part_set_content_encoding(
        part, g_mime_part_get_best_content_encoding(part, GMIME_ENCODING_CONSTRAINT_7BIT));
    g_mime_object_set_disposition(GMIME_OBJECT(part), "attachment");
    if (filename) {
        g_mime_part_set_filename(part, filename);
    }
    if (!sealed(m)) {
        g_mime_multipart_add(mixed_root(m), GMIME_OBJECT(part));
    }
    g_object_unref(part);
    return finish(p, m, out, out_len);
}

int eas_compose_recipient_count(const char *mime, apr_size_t len)
{
    static const GMimeAddressType types[] = {GMIME_ADDRESS_TYPE_TO, GMIME_ADDRESS_TYPE_CC};
    GMimeMessage *m = mime && len ? parse_message(mime, len) : NULL;
    GHashTable *seen;
    unsigned t;
    int n;

    if (!m) {
        return 0;
    }
    seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (t = 0; t < sizeof(types) / sizeof(types[0]); ++t) {
        InternetAddressList *l = g_mime_message_get_addresses(m, types[t]);
        int i, c = l ? internet_address_list_length(l) : 0;
        for (i = 0; i < c; ++i) {
            InternetAddress *a = internet_address_list_get_address(l, i);
            if (INTERNET_ADDRESS_IS_MAILBOX(a)) {
                g_hash_table_add(
                    seen, g_ascii_strdown(
                              internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(a)), -1));
            }
        }
    }
    n = (int)g_hash_table_size(seen);
    g_hash_table_destroy(seen);
    g_object_unref(m);
    return n;
}
