/* eas_mime.c — RFC 5322 / MIME parsing for Exchange ActiveSync on top of GMime 3.0.
 *
 * One parse: the input is wrapped (not copied) in a GMimeStreamMem, GMime builds the tree with
 * per-call parser options whose warning callback records structural damage, one walker classifies
 * every node as body or attachment (eas_mime_parse and eas_mime_attachment_data share it, so the
 * attachment numbering cannot drift), the results are copied into the APR pool and every GLib
 * object is released before returning.
 *
 * Charsets are converted with iconv through GMime's descriptor cache (locked; a descriptor serves
 * one call at a time, and cached descriptors keep the gconv modules loaded). Unknown or unusable
 * labels fall back to windows-1252, ISO-8859-1 labels mean windows-1252 (as in WHATWG), unlabelled
 * or US-ASCII 8-bit text is taken as UTF-8 when it is valid UTF-8, else as windows-1252; whatever
 * comes out is validated again (invalid bytes -> U+FFFD, NUL bytes dropped), so every string handed
 * out is valid UTF-8.
 *
 * Thread safety: after g_mime_init() (pthread_once) nothing here touches shared mutable state
 * except GMime's internally locked charset/iconv caches; each call has its own parser, options
 * (the warning callback's user data is the call's own mime_doc) and streams.
 */
#include <errno.h>
#include <iconv.h>
#include <pthread.h>
#include <string.h>

#include <apr_strings.h>

#include <gmime/gmime.h>

#include "eas_itip.h"
#include "eas_mime.h"

#define MAX_DEPTH     64  /* our own walker; GMime stops nesting message/rfc822 by itself */
#define MAX_FILENAME  255 /* bytes of an attachment file name */
#define MAX_ADDR_NEST 4   /* group inside group ... */
#define REPLACEMENT   "\xEF\xBF\xBD"

static pthread_once_t mime_once = PTHREAD_ONCE_INIT;

static void mime_init_once(void)
{
    g_mime_init();
}

void eas_mime_init(void)
{
    pthread_once(&mime_once, mime_init_once);
}

/* ---- UTF-8 and charsets ------------------------------------------------------------------- */

/* Appends buf[0..len) to s as valid UTF-8: invalid bytes become U+FFFD, NUL bytes are dropped. */
static void append_clean(GString *s, const char *buf, apr_size_t len)
{
    const gchar *end;

    while (len > 0) {
        gboolean valid = g_utf8_validate_len(buf, len, &end);
        g_string_append_len(s, buf, end - buf);
        if (valid) {
            break;
        }
        len -= (apr_size_t)(end - buf);
        buf = end;
        if (*buf) {
            g_string_append(s, REPLACEMENT);
        }
        ++buf;
        --len;
    }
}

/* Valid UTF-8 copy of buf[0..len) in the pool (see append_clean). */
static char *clean_mem(apr_pool_t *p, const char *buf, apr_size_t len)
{
    GString *s;
    char *r;

    if (!buf || !len) {
        return apr_pstrdup(p, "");
    }
    if (g_utf8_validate_len(buf, len, NULL)) {
        return apr_pstrmemdup(p, buf, len);
    }
    s = g_string_sized_new(len + 16);
    append_clean(s, buf, len);
    r = apr_pstrmemdup(p, s->str, s->len);
    g_string_free(s, TRUE);
    return r;
}

static char *clean_str(apr_pool_t *p, const char *s)
{
    return clean_mem(p, s, s ? strlen(s) : 0);
}

/* 1 if buf is valid UTF-8 apart from NUL bytes. */
static int utf8_ok(const char *buf, apr_size_t len)
{
    const gchar *end;

    while (len > 0) {
        if (g_utf8_validate_len(buf, len, &end)) {
            return 1;
        }
        if (*end) {
            return 0;
        }
        len -= (apr_size_t)(end - buf) + 1;
        buf = end + 1;
    }
    return 1;
}

static int label_in(const char *cs, const char *const *names)
{
    for (; *names; ++names) {
        if (!g_ascii_strcasecmp(cs, *names)) {
            return 1;
        }
    }
    return 0;
}

static const char *const ascii_labels[] = {
    "us-ascii", "ascii", "ansi_x3.4-1968", "iso646-us", "us", "646", "iso-ir-6", "cp367", NULL};
static const char *const utf8_labels[] = {
    "utf-8", "utf8", "unicode-1-1-utf-8", "x-unicode20utf8", "unicode-2-0-utf-8", NULL};
/* WHATWG: these labels mean windows-1252, which is what such mail really contains. */
static const char *const latin1_labels[] = {
    "iso-8859-1",   "iso8859-1", "iso_8859-1",      "latin1",   "l1",
    "cp819",        "ibm819",    "iso-ir-100",      "x-cp1252", "cp1252",
    "windows-1252", "iso88591",  "iso_8859-1:1987", NULL};

/* A charset label worth handing to iconv: short, only token characters. */
static int label_sane(const char *cs)
{
    apr_size_t n = strlen(cs);

    if (n == 0 || n > 40) {
        return 0;
    }
    for (; *cs; ++cs) {
        if (!g_ascii_isalnum(*cs) && !strchr("-_.:()+", *cs)) {
            return 0;
        }
    }
    return 1;
}

/* Converts buf[0..len) from charset to valid UTF-8 in the pool. */
static char *to_utf8(apr_pool_t *p, const char *buf, apr_size_t len, const char *charset)
{
    const char *from = "CP1252";
    iconv_t cd;
    GString *s;
    char *in, *r, tmp[4096];
    size_t inleft;

    if (!buf || !len) {
        return apr_pstrdup(p, "");
    }
    if (charset) {
        while (*charset == ' ' || *charset == '\t' || *charset == '"') {
            ++charset;
        }
    }
    if (!charset || !*charset || label_in(charset, ascii_labels)) {
        if (utf8_ok(buf, len)) {
            return clean_mem(p, buf, len);
        }
    } else if (label_in(charset, utf8_labels)) {
        return clean_mem(p, buf, len);
    } else if (label_sane(charset) && !label_in(charset, latin1_labels)) {
        from = g_mime_charset_iconv_name(charset);
        if (!from || !g_ascii_strcasecmp(from, "UTF-8")) {
            return clean_mem(p, buf, len);
        }
    }
    /* GMime's descriptor cache: thread-safe, and keeps the gconv modules loaded */
    cd = g_mime_iconv_open("UTF-8", from);
    if (cd == (iconv_t)-1) {
        cd = g_mime_iconv_open("UTF-8", "CP1252");
    }
    if (cd == (iconv_t)-1) {
        return clean_mem(p, buf, len);
    }
    s = g_string_sized_new(len + len / 2 + 16);
    in = (char *)buf;
    inleft = len;
    while (inleft > 0) {
        char *out = tmp;
        size_t outleft = sizeof(tmp), before = inleft;
        size_t rc = iconv(cd, &in, &inleft, &out, &outleft);
        int e = errno;

        g_string_append_len(s, tmp, out - tmp);
        if (rc != (size_t)-1) {
            if (inleft == before && out == tmp) {
                break; /* no progress: give up rather than spin */
            }
            continue;
        }
        if (e == E2BIG && (out != tmp || inleft != before)) {
            continue;
        }
        if (e == EILSEQ || e == EINVAL) {
            /* undecodable or truncated sequence: one replacement character per byte */
            g_string_append(s, REPLACEMENT);
            ++in;
            --inleft;
            iconv(cd, NULL, NULL, NULL, NULL);
            continue;
        }
        break;
    }
    {
        char *out = tmp;
        size_t outleft = sizeof(tmp);
        if (iconv(cd, NULL, NULL, &out, &outleft) != (size_t)-1) {
            g_string_append_len(s, tmp, out - tmp);
        }
    }
    g_mime_iconv_close(cd);
    r = clean_mem(p, s->str, s->len);
    g_string_free(s, TRUE);
    return r;
}

/* <meta charset="x"> / <meta http-equiv content="...; charset=x"> in the first 2 KiB of HTML. */
static const char *html_meta_charset(apr_pool_t *p, const char *buf, apr_size_t len)
{
    apr_size_t n = len < 2048 ? len : 2048, i, j;

    for (i = 0; i + 8 < n; ++i) {
        if (g_ascii_strncasecmp(buf + i, "charset=", 8)) {
            continue;
        }
        i += 8;
        while (i < n && (buf[i] == '"' || buf[i] == '\'' || buf[i] == ' ')) {
            ++i;
        }
        for (j = i; j < n && j - i < 40 && (g_ascii_isalnum(buf[j]) || strchr("-_.:", buf[j]));
             ++j) {
        }
        return j > i ? apr_pstrmemdup(p, buf + i, j - i) : NULL;
    }
    return NULL;
}

/* ---- small string helpers ----------------------------------------------------------------- */

/* Whitespace runs (incl. CR/LF) collapsed to one space, trimmed; NULL when nothing is left. */
static const char *squeeze(apr_pool_t *p, const char *s)
{
    char *r, *o;
    int sp = 0;

    if (!s) {
        return NULL;
    }
    r = o = apr_palloc(p, strlen(s) + 1);
    for (; *s; ++s) {
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' || *s == '\v') {
            sp = o != r;
            continue;
        }
        if (sp) {
            *o++ = ' ';
            sp = 0;
        }
        *o++ = *s;
    }
    *o = '\0';
    return *r ? r : NULL;
}

static char *lower(apr_pool_t *p, const char *s)
{
    char *r = apr_pstrdup(p, s ? s : ""), *c;

    for (c = r; *c; ++c) {
        *c = g_ascii_tolower(*c);
    }
    return r;
}

/* Subject without leading Re:/Fwd:/Fw:/AW:/WG: (also "Re[2]:", "RE :"), any number of them. */
static const char *strip_prefixes(const char *s)
{
    static const char *const pre[] = {"fwd", "re", "fw", "aw", "wg", NULL};
    const char *const *w;

    for (;;) {
        const char *q;
        while (*s == ' ' || *s == '\t') {
            ++s;
        }
        for (w = pre; *w; ++w) {
            apr_size_t n = strlen(*w);
            if (!g_ascii_strncasecmp(s, *w, n)) {
                break;
            }
        }
        if (!*w) {
            return s;
        }
        q = s + strlen(*w);
        if (*q == '[' || *q == '(') {
            char close = *q == '[' ? ']' : ')';
            ++q;
            while (g_ascii_isdigit(*q)) {
                ++q;
            }
            if (*q != close) {
                return s;
            }
            ++q;
        }
        while (*q == ' ') {
            ++q;
        }
        if (*q != ':') {
            return s;
        }
        s = q + 1;
    }
}

/* Content type of obj as lower-case "type/subtype". */
static const char *mime_type(apr_pool_t *p, GMimeObject *obj)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);
    char *mt, *r;

    if (!ct) {
        return "application/octet-stream";
    }
    mt = g_mime_content_type_get_mime_type(ct);
    r = lower(p, mt ? mt : "application/octet-stream");
    g_free(mt);
    return clean_str(p, r);
}

static int ct_is(GMimeObject *obj, const char *type, const char *subtype)
{
    GMimeContentType *ct = g_mime_object_get_content_type(obj);

    return ct && g_mime_content_type_is_type(ct, type, subtype);
}

static int is_pkcs7_mime(GMimeObject *obj)
{
    return ct_is(obj, "application", "pkcs7-mime") || ct_is(obj, "application", "x-pkcs7-mime");
}

/* ---- the shared parse step ---------------------------------------------------------------- */

typedef struct mime_doc {
    GMimeParserOptions *opts;
    GByteArray *arr;
    GMimeStream *stream;
    GMimeParser *parser;
    GMimeMessage *msg;
    const char *data; /* the input without an mbox "From " line */
    apr_size_t len;
    int broken;
} mime_doc;

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
    mime_doc *d = data;

    switch (code) {
    case GMIME_WARN_MALFORMED_MULTIPART:
    case GMIME_WARN_TRUNCATED_MESSAGE:
    case GMIME_WARN_MALFORMED_MESSAGE:
    case GMIME_CRIT_INVALID_HEADER_NAME:
    case GMIME_CRIT_CONFLICTING_HEADER:
    case GMIME_CRIT_MULTIPART_WITHOUT_BOUNDARY:
    case GMIME_CRIT_NESTING_OVERFLOW:
    case GMIME_WARN_PART_WITHOUT_CONTENT:
    case GMIME_CRIT_PART_WITHOUT_HEADERS_OR_CONTENT:
        d->broken = 1;
        break;
    default:
        break;
    }
}

/* Parses data into d->msg (NULL when GMime found no header at all). The input is wrapped, not
 * copied: GMime's persistent-stream mode makes the part contents substreams of it, so it must stay
 * untouched until mime_close(). */
static void mime_open(mime_doc *d, const char *data, apr_size_t len)
{
    static const char *fallback[] = {"utf-8", "windows-1252", NULL};

    memset(d, 0, sizeof(*d));
    eas_mime_init();
    if (len >= 5 && !memcmp(data, "From ", 5)) { /* mbox separator line */
        const char *nl = memchr(data, '\n', len);
        apr_size_t skip = nl ? (apr_size_t)(nl - data) + 1 : len;
        data += skip;
        len -= skip;
    }
    d->data = data;
    d->len = len;
    if (len == 0) {
        d->broken = 1;
        return;
    }
    d->opts = g_mime_parser_options_new();
    g_mime_parser_options_set_fallback_charsets(d->opts, fallback);
    g_mime_parser_options_set_warning_callback(d->opts, on_warning, d);
    /* the array never grows (the stream is only read) and is released with free_segment FALSE */
    d->arr = g_byte_array_new_take((guint8 *)data, len);
    d->stream = g_mime_stream_mem_new_with_byte_array(d->arr);
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(d->stream), FALSE);
    d->parser = g_mime_parser_new_with_stream(d->stream);
    g_mime_parser_set_format(d->parser, GMIME_FORMAT_MESSAGE);
    d->msg = g_mime_parser_construct_message(d->parser, d->opts);
    if (!d->msg) {
        d->broken = 1;
    }
}

static void mime_close(mime_doc *d)
{
    if (d->msg) {
        g_object_unref(d->msg);
    }
    if (d->parser) {
        g_object_unref(d->parser);
    }
    if (d->stream) {
        g_object_unref(d->stream);
    }
    if (d->arr) {
        g_byte_array_free(d->arr, FALSE);
    }
    if (d->opts) {
        g_mime_parser_options_free(d->opts);
    }
    memset(d, 0, sizeof(*d));
}

/* Decoded content of a leaf (transfer encoding removed); free with g_byte_array_free(, TRUE). */
static GByteArray *part_bytes(GMimePart *part)
{
    GMimeStream *mem = g_mime_stream_mem_new();
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    GByteArray *arr;

    if (w) {
        g_mime_data_wrapper_write_to_stream(w, mem);
    }
    arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
    g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(mem), FALSE);
    g_object_unref(mem);
    return arr;
}

/* Decoded size of a leaf without keeping the bytes. */
static apr_size_t part_size(GMimePart *part)
{
    GMimeStream *null = g_mime_stream_null_new();
    GMimeDataWrapper *w = g_mime_part_get_content(part);
    apr_size_t n;

    if (w) {
        g_mime_data_wrapper_write_to_stream(w, null);
    }
    n = GMIME_STREAM_NULL(null)->written;
    g_object_unref(null);
    return n;
}

/* The embedded message of a message/rfc822 part, serialised (to a mem or a null stream). */
static void message_part_write(GMimeMessagePart *mp, GMimeStream *to)
{
    GMimeMessage *m = g_mime_message_part_get_message(mp);

    if (m) {
        g_mime_object_write_to_stream(GMIME_OBJECT(m), NULL, to);
    }
}

/* ---- the walker --------------------------------------------------------------------------- */

typedef struct walker {
    apr_pool_t *p;
    apr_array_header_t *atts; /* parse mode: eas_mime_attachment, else NULL */
    int want;                 /* data mode: the attachment index looked for */
    GMimeObject *hit;         /* data mode: found */
    int n_att;
    GMimePart *text, *html;
    int body_done;
    int broken;
} walker;

static const struct {
    const char *type, *ext;
} exts[] = {
    {"application/pdf", "pdf"},
    {"application/zip", "zip"},
    {"application/msword", "doc"},
    {"application/vnd.ms-excel", "xls"},
    {"application/vnd.ms-powerpoint", "ppt"},
    {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"},
    {"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"},
    {"application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"},
    {"application/vnd.oasis.opendocument.text", "odt"},
    {"application/vnd.oasis.opendocument.spreadsheet", "ods"},
    {"application/rtf", "rtf"},
    {"application/gzip", "gz"},
    {"application/x-gzip", "gz"},
    {"application/json", "json"},
    {"application/xml", "xml"},
    {"application/ms-tnef", "dat"},
    {"application/vnd.ms-tnef", "dat"},
    {"application/pkcs7-mime", "p7m"},
    {"application/x-pkcs7-mime", "p7m"},
    {"application/pkcs7-signature", "p7s"},
    {"application/x-pkcs7-signature", "p7s"},
    {"application/pgp-signature", "asc"},
    {"application/pgp-encrypted", "asc"},
    {"application/ics", "ics"},
    {"image/jpeg", "jpg"},
    {"image/jpg", "jpg"},
    {"image/pjpeg", "jpg"},
    {"image/png", "png"},
    {"image/gif", "gif"},
    {"image/bmp", "bmp"},
    {"image/tiff", "tif"},
    {"image/webp", "webp"},
    {"image/heic", "heic"},
    {"image/svg+xml", "svg"},
    {"audio/mpeg", "mp3"},
    {"audio/wav", "wav"},
    {"audio/x-wav", "wav"},
    {"video/mp4", "mp4"},
    {"video/quicktime", "mov"},
    {"text/plain", "txt"},
    {"text/html", "html"},
    {"text/calendar", "ics"},
    {"text/csv", "csv"},
    {"text/vcard", "vcf"},
    {"text/x-vcard", "vcf"},
    {"text/xml", "xml"},
    {"text/rfc822-headers", "txt"},
    {"message/rfc822", "eml"},
    {"message/global", "eml"},
    {"message/delivery-status", "txt"},
};

/* A file name from a header or a subject made safe to show and to save: valid UTF-8, no control
 * characters, no directory part (paths) or '/' and '\' replaced (subjects), at most
 * MAX_FILENAME bytes; NULL when nothing usable is left. */
static const char *safe_filename(apr_pool_t *p, const char *name, int from_subject)
{
    const char *base;
    char *r, *o, *c;

    if (!name) {
        return NULL;
    }
    r = clean_str(p, name);
    if (!from_subject) {
        for (base = c = r; *c; ++c) {
            if (*c == '/' || *c == '\\') {
                base = c + 1;
            }
        }
        r = (char *)base;
    }
    for (o = c = r; *c; ++c) {
        unsigned char ch = (unsigned char)*c;
        if (ch < 0x20 || ch == 0x7f) {
            *o++ = ' ';
        } else if (from_subject && (ch == '/' || ch == '\\')) {
            *o++ = '_';
        } else {
            *o++ = *c;
        }
    }
    *o = '\0';
    r = (char *)squeeze(p, r);
    if (!r || !strcmp(r, ".") || !strcmp(r, "..")) {
        return NULL;
    }
    if (strlen(r) > MAX_FILENAME) {
        r = (char *)eas_mime_truncate(p, r, MAX_FILENAME, NULL);
    }
    return r;
}

static const char *default_filename(apr_pool_t *p, int index, const char *ctype)
{
    apr_size_t i;

    for (i = 0; i < sizeof(exts) / sizeof(exts[0]); ++i) {
        if (!strcmp(ctype, exts[i].type)) {
            return apr_psprintf(p, "attachment-%d.%s", index, exts[i].ext);
        }
    }
    return apr_psprintf(p, "attachment-%d", index);
}

static void add_attachment(walker *w, GMimeObject *obj, int in_related)
{
    eas_mime_attachment *a;
    const char *name = NULL, *disp, *cid;

    ++w->n_att;
    if (w->want) {
        if (w->n_att == w->want) {
            w->hit = obj;
        }
        return;
    }
    if (!w->atts) {
        return;
    }
    a = apr_array_push(w->atts);
    memset(a, 0, sizeof(*a));
    a->index = w->n_att;
    a->content_type = mime_type(w->p, obj);
    cid = g_mime_object_get_content_id(obj);
    if (cid) {
        const char *c = squeeze(w->p, clean_str(w->p, cid));
        if (c && *c == '<') {
            ++c;
        }
        if (c) {
            apr_size_t n = strlen(c);
            if (n && c[n - 1] == '>') {
                c = apr_pstrmemdup(w->p, c, n - 1);
            }
        }
        a->content_id = c && *c ? c : NULL;
    }
    disp = g_mime_object_get_disposition(obj);
    a->is_inline =
        a->content_id && ((disp && !g_ascii_strcasecmp(disp, "inline")) || (!disp && in_related));
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeStream *null = g_mime_stream_null_new();
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

        message_part_write(GMIME_MESSAGE_PART(obj), null);
        a->size = GMIME_STREAM_NULL(null)->written;
        g_object_unref(null);
        name = safe_filename(w->p, g_mime_object_get_content_disposition_parameter(obj, "filename"),
                             0);
        if (!name) {
            name = safe_filename(w->p, g_mime_object_get_content_type_parameter(obj, "name"), 0);
        }
        if (!name && m) {
            const char *subj = safe_filename(w->p, g_mime_message_get_subject(m), 1);
            if (subj) {
                name = eas_mime_truncate(w->p, subj, MAX_FILENAME - 4, NULL);
                name = apr_pstrcat(w->p, name, ".eml", NULL);
            }
        }
    } else if (GMIME_IS_PART(obj)) {
        a->size = part_size(GMIME_PART(obj));
        name = safe_filename(w->p, g_mime_part_get_filename(GMIME_PART(obj)), 0);
    }
    a->filename = name ? name : default_filename(w->p, a->index, a->content_type);
}

/* A text/plain or text/html leaf that is not marked as an attachment. */
static int body_candidate(GMimeObject *obj, int *html)
{
    const char *disp, *fn;

    *html = ct_is(obj, "text", "html");
    if (!*html && !ct_is(obj, "text", "plain")) {
        return 0;
    }
    disp = g_mime_object_get_disposition(obj);
    if (disp && !g_ascii_strcasecmp(disp, "attachment")) {
        return 0;
    }
    fn = g_mime_part_get_filename(GMIME_PART(obj));
    return !fn || !*fn;
}

/* Classifies obj and its descendants. in_alt: inside a multipart/alternative that is being used as
 * the body (each alternative fills its slot); in_related: direct child of multipart/related. */
static void walk(walker *w, GMimeObject *obj, int depth, int in_alt, int in_related)
{
    if (w->hit || !obj) {
        return;
    }
    if (depth > MAX_DEPTH) {
        w->broken = 1;
        return;
    }
    if (GMIME_IS_MULTIPART_SIGNED(obj)) {
        /* the signed content is the message; the signature is not an attachment */
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        if (g_mime_multipart_get_count(mp) > 0) {
            walk(w, g_mime_multipart_get_part(mp, GMIME_MULTIPART_SIGNED_CONTENT), depth + 1,
                 in_alt, in_related);
        } else {
            w->broken = 1;
        }
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int i, n = g_mime_multipart_get_count(mp);
        int alt = ct_is(obj, "multipart", "alternative");
        int rel = ct_is(obj, "multipart", "related");

        if (n == 0) {
            w->broken = 1;
        }
        if (alt && !w->body_done) {
            for (i = 0; i < n && !w->hit; ++i) {
                walk(w, g_mime_multipart_get_part(mp, i), depth + 1, 1, rel);
            }
            if (w->text || w->html) {
                w->body_done = 1;
            }
            return;
        }
        for (i = 0; i < n && !w->hit; ++i) {
            walk(w, g_mime_multipart_get_part(mp, i), depth + 1, in_alt, rel);
        }
        return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
        add_attachment(w, obj, in_related);
        return;
    }
    if (GMIME_IS_PART(obj)) {
        int html;
        if (body_candidate(obj, &html)) {
            GMimePart **slot = html ? &w->html : &w->text;
            if (in_alt && !*slot) {
                *slot = GMIME_PART(obj);
                return;
            }
            if (!in_alt && !w->body_done) {
                *slot = GMIME_PART(obj);
                w->body_done = 1;
                return;
            }
        }
        add_attachment(w, obj, in_related);
    }
}

/* The message's own structure: encrypted / opaque-signed S/MIME has no body and no attachments. */
static void walk_message(walker *w, GMimeMessage *msg)
{
    GMimeObject *top = msg ? g_mime_message_get_mime_part(msg) : NULL;

    if (!top || is_pkcs7_mime(top)) {
        return;
    }
    walk(w, top, 0, 0, 0);
}

/* ---- headers ------------------------------------------------------------------------------ */

static void addr_list(GString *s, GString *names, InternetAddressList *list, int depth)
{
    int i, n = list ? internet_address_list_length(list) : 0;

    for (i = 0; i < n; ++i) {
        InternetAddress *ia = internet_address_list_get_address(list, i);
        const char *name = internet_address_get_name(ia), *addr, *c;

        if (INTERNET_ADDRESS_IS_GROUP(ia)) {
            if (depth < MAX_ADDR_NEST) {
                addr_list(s, names, internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)),
                          depth + 1);
            }
            continue;
        }
        if (!INTERNET_ADDRESS_IS_MAILBOX(ia)) {
            continue;
        }
        addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
        if (name && !*name) {
            name = NULL;
        }
        if (addr && !*addr) {
            addr = NULL;
        }
        if (!name && !addr) {
            continue;
        }
        if (s->len) {
            g_string_append(s, ", ");
        }
        if (name) {
            g_string_append_c(s, '"');
            for (c = name; *c; ++c) {
                if (*c == '"' || *c == '\\') {
                    g_string_append_c(s, '\\');
                }
                g_string_append_c(s, (unsigned char)*c < 0x20 ? ' ' : *c);
            }
            g_string_append_c(s, '"');
            if (addr) {
                g_string_append_printf(s, " <%s>", addr);
            }
        } else {
            g_string_append(s, addr);
        }
        if (names) {
            if (names->len) {
                g_string_append(names, "; ");
            }
            g_string_append(names, name ? name : addr);
        }
    }
}

static const char *addresses(apr_pool_t *p, InternetAddressList *list, const char **display)
{
    GString *s = g_string_new(NULL), *names = display ? g_string_new(NULL) : NULL;
    const char *r;

    addr_list(s, names, list, 0);
    r = clean_mem(p, s->str, s->len);
    if (names) {
        const char *d = clean_mem(p, names->str, names->len);
        *display = squeeze(p, d);
        if (!*display) {
            *display = "";
        }
        g_string_free(names, TRUE);
    }
    g_string_free(s, TRUE);
    return r;
}

static int importance(GMimeObject *m)
{
    const char *v;

    if ((v = g_mime_object_get_header(m, "Importance"))) {
        while (*v == ' ' || *v == '\t') {
            ++v;
        }
        if (!g_ascii_strncasecmp(v, "high", 4)) {
            return 2;
        }
        if (!g_ascii_strncasecmp(v, "low", 3)) {
            return 0;
        }
        if (!g_ascii_strncasecmp(v, "normal", 6)) {
            return 1;
        }
    }
    if ((v = g_mime_object_get_header(m, "X-Priority"))) {
        while (*v == ' ' || *v == '\t') {
            ++v;
        }
        if (*v >= '1' && *v <= '5') {
            return *v <= '2' ? 2 : *v == '3' ? 1 : 0;
        }
    }
    if ((v = g_mime_object_get_header(m, "Priority"))) {
        while (*v == ' ' || *v == '\t') {
            ++v;
        }
        if (!g_ascii_strncasecmp(v, "urgent", 6)) {
            return 2;
        }
        if (!g_ascii_strncasecmp(v, "non-urgent", 10)) {
            return 0;
        }
        if (!g_ascii_strncasecmp(v, "normal", 6)) {
            return 1;
        }
    }
    if ((v = g_mime_object_get_header(m, "X-MSMail-Priority"))) {
        while (*v == ' ' || *v == '\t') {
            ++v;
        }
        if (!g_ascii_strncasecmp(v, "high", 4)) {
            return 2;
        }
        if (!g_ascii_strncasecmp(v, "low", 3)) {
            return 0;
        }
    }
    return 1;
}

static const char *header_value(apr_pool_t *p, GMimeObject *m, const char *name)
{
    const char *v = g_mime_object_get_header(m, name);

    return v ? squeeze(p, clean_str(p, v)) : NULL;
}

/* ---- bodies ------------------------------------------------------------------------------- */

static const char *part_text(apr_pool_t *p, GMimePart *part, int html)
{
    GByteArray *b = part_bytes(part);
    const char *cs = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "charset");
    const char *r;

    if (html && (!cs || !*cs) && !utf8_ok((const char *)b->data, b->len)) {
        cs = html_meta_charset(p, (const char *)b->data, b->len);
    }
    r = to_utf8(p, (const char *)b->data, b->len, cs);
    g_byte_array_free(b, TRUE);
    return r;
}

/* HTML named character references that matter in mail; the Latin-1 block comes from a table. */
static const char *const latin1_entities[96] = {
    "nbsp",   "iexcl",  "cent",   "pound",  "curren", "yen",    "brvbar", "sect",   "uml",
    "copy",   "ordf",   "laquo",  "not",    "shy",    "reg",    "macr",   "deg",    "plusmn",
    "sup2",   "sup3",   "acute",  "micro",  "para",   "middot", "cedil",  "sup1",   "ordm",
    "raquo",  "frac14", "frac12", "frac34", "iquest", "Agrave", "Aacute", "Acirc",  "Atilde",
    "Auml",   "Aring",  "AElig",  "Ccedil", "Egrave", "Eacute", "Ecirc",  "Euml",   "Igrave",
    "Iacute", "Icirc",  "Iuml",   "ETH",    "Ntilde", "Ograve", "Oacute", "Ocirc",  "Otilde",
    "Ouml",   "times",  "Oslash", "Ugrave", "Uacute", "Ucirc",  "Uuml",   "Yacute", "THORN",
    "szlig",  "agrave", "aacute", "acirc",  "atilde", "auml",   "aring",  "aelig",  "ccedil",
    "egrave", "eacute", "ecirc",  "euml",   "igrave", "iacute", "icirc",  "iuml",   "eth",
    "ntilde", "ograve", "oacute", "ocirc",  "otilde", "ouml",   "divide", "oslash", "ugrave",
    "uacute", "ucirc",  "uuml",   "yacute", "thorn",  "yuml"};

static const struct {
    const char *name;
    gunichar cp;
} entities[] = {
    {"amp", '&'},       {"lt", '<'},        {"gt", '>'},        {"quot", '"'},
    {"apos", '\''},     {"OElig", 0x152},   {"oelig", 0x153},   {"Scaron", 0x160},
    {"scaron", 0x161},  {"Yuml", 0x178},    {"fnof", 0x192},    {"circ", 0x2c6},
    {"tilde", 0x2dc},   {"ensp", 0x2002},   {"emsp", 0x2003},   {"thinsp", 0x2009},
    {"zwnj", 0x200c},   {"zwj", 0x200d},    {"lrm", 0x200e},    {"rlm", 0x200f},
    {"ndash", 0x2013},  {"mdash", 0x2014},  {"lsquo", 0x2018},  {"rsquo", 0x2019},
    {"sbquo", 0x201a},  {"ldquo", 0x201c},  {"rdquo", 0x201d},  {"bdquo", 0x201e},
    {"dagger", 0x2020}, {"Dagger", 0x2021}, {"bull", 0x2022},   {"hellip", 0x2026},
    {"permil", 0x2030}, {"prime", 0x2032},  {"lsaquo", 0x2039}, {"rsaquo", 0x203a},
    {"euro", 0x20ac},   {"trade", 0x2122},  {"larr", 0x2190},   {"uarr", 0x2191},
    {"rarr", 0x2192},   {"darr", 0x2193},   {"harr", 0x2194},   {"minus", 0x2212},
    {"le", 0x2264},     {"ge", 0x2265},     {"ne", 0x2260},     {"infin", 0x221e},
    {"hearts", 0x2665}, {"check", 0x2713},  {"alpha", 0x3b1},   {"beta", 0x3b2},
    {"mu", 0x3bc},      {"pi", 0x3c0},      {"Omega", 0x3a9},   {"ohm", 0x3a9},
};

/* HTML: numeric references 0x80-0x9F mean windows-1252. */
static const unsigned short cp1252_c1[32] = {
    0x20ac, 0xfffd, 0x201a, 0x0192, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039,
    0x0152, 0xfffd, 0x017d, 0xfffd, 0xfffd, 0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022,
    0x2013, 0x2014, 0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178};

/* Decodes the character reference at s[0] == '&' (n bytes available); returns the bytes used (0
 * when it is not a reference) and the code point in *cp. */
static apr_size_t html_entity(const char *s, apr_size_t n, gunichar *cp)
{
    apr_size_t i = 1, j;

    if (n > 1 && s[1] == '#') {
        guint32 v = 0;
        int hex = n > 2 && (s[2] == 'x' || s[2] == 'X'), digits = 0;
        for (i = hex ? 3 : 2; i < n && digits < 8; ++i, ++digits) {
            int d = hex ? g_ascii_xdigit_value(s[i]) : g_ascii_digit_value(s[i]);
            if (d < 0) {
                break;
            }
            v = v * (hex ? 16 : 10) + (guint32)d;
        }
        if (!digits) {
            return 0;
        }
        if (i < n && s[i] == ';') {
            ++i;
        }
        if (v >= 0x80 && v <= 0x9f) {
            v = cp1252_c1[v - 0x80];
        } else if (v == 0 || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) {
            v = 0xfffd;
        }
        *cp = v;
        return i;
    }
    for (j = 1; j < n && j < 10 && g_ascii_isalnum(s[j]); ++j) {
    }
    if (j == 1 || j >= n || s[j] != ';') {
        return 0;
    }
    for (i = 0; i < 96; ++i) {
        if (strlen(latin1_entities[i]) == j - 1 && !strncmp(s + 1, latin1_entities[i], j - 1)) {
            *cp = 0xa0 + (gunichar)i;
            return j + 1;
        }
    }
    for (i = 0; i < sizeof(entities) / sizeof(entities[0]); ++i) {
        if (strlen(entities[i].name) == j - 1 && !strncmp(s + 1, entities[i].name, j - 1)) {
            *cp = entities[i].cp;
            return j + 1;
        }
    }
    return 0;
}

static int name_in(const char *name, const char *const *list)
{
    for (; *list; ++list) {
        if (!strcmp(name, *list)) {
            return 1;
        }
    }
    return 0;
}

/* Drops trailing spaces, then makes the output end with `want` newlines (unless it is empty). */
static void html_newlines(GString *o, int want)
{
    int have = 0;

    while (o->len && o->str[o->len - 1] == ' ') {
        g_string_truncate(o, o->len - 1);
    }
    if (!o->len) {
        return;
    }
    while ((apr_size_t)have < o->len && o->str[o->len - 1 - have] == '\n') {
        ++have;
    }
    for (; have < want; ++have) {
        g_string_append_c(o, '\n');
    }
}

/* Plain rendering of an HTML body: tags stripped, script/style/title dropped, character references
 * decoded, whitespace collapsed outside <pre>, block elements on their own lines, at most one blank
 * line in a row. Single forward pass, no recursion, tolerant of any garbage. */
static const char *html_to_text(apr_pool_t *p, const char *h)
{
    static const char *const skip[] = {"script", "style", "title", NULL};
    static const char *const para[] = {"p",     "h1",         "h2", "h3", "h4", "h5",  "h6",
                                       "table", "blockquote", "ul", "ol", "dl", "pre", NULL};
    static const char *const block[] = {"div",     "tr",      "li",       "dt",     "dd",
                                        "hr",      "section", "article",  "header", "footer",
                                        "address", "form",    "center",   "nav",    "aside",
                                        "main",    "caption", "fieldset", "figure", NULL};
    apr_size_t n = strlen(h), i = 0;
    GString *o = g_string_sized_new(n / 2 + 16);
    int pre = 0, br_run = 0;
    const char *r;

    while (i < n) {
        char c = h[i];
        if (c == '<') {
            char name[16];
            apr_size_t k = i + 1, nl = 0;
            int closing = 0;
            if (!strncmp(h + i, "<!--", 4)) {
                const char *e = strstr(h + i + 4, "-->");
                i = e ? (apr_size_t)(e - h) + 3 : n;
                continue;
            }
            if (k < n && (h[k] == '!' || h[k] == '?')) {
                const char *e = memchr(h + k, '>', n - k);
                i = e ? (apr_size_t)(e - h) + 1 : n;
                continue;
            }
            if (k < n && h[k] == '/') {
                closing = 1;
                ++k;
            }
            if (k >= n || !g_ascii_isalpha(h[k])) {
                g_string_append_c(o, '<');
                ++i;
                br_run = 0;
                continue;
            }
            while (k < n && (g_ascii_isalnum(h[k]) || h[k] == '-' || h[k] == ':')) {
                if (nl + 1 < sizeof(name)) {
                    name[nl++] = g_ascii_tolower(h[k]);
                }
                ++k;
            }
            name[nl] = '\0';
            { /* end of the tag, honouring quoted attribute values */
                char q = 0;
                for (; k < n; ++k) {
                    if (q) {
                        if (h[k] == q) {
                            q = 0;
                        }
                    } else if (h[k] == '"' || h[k] == '\'') {
                        q = h[k];
                    } else if (h[k] == '>') {
                        break;
                    }
                }
                i = k < n ? k + 1 : n;
            }
            if (!closing && name_in(name, skip)) {
                /* raw text element: drop everything up to its end tag */
                apr_size_t nlen = strlen(name);
                for (; i < n; ++i) {
                    if (h[i] == '<' && h[i + 1] == '/' &&
                        !g_ascii_strncasecmp(h + i + 2, name, nlen)) {
                        const char *e = memchr(h + i, '>', n - i);
                        i = e ? (apr_size_t)(e - h) + 1 : n;
                        break;
                    }
                }
                continue;
            }
            if (!strcmp(name, "br")) {
                while (o->len && o->str[o->len - 1] == ' ') {
                    g_string_truncate(o, o->len - 1);
                }
                if (o->len && br_run < 2) {
                    g_string_append_c(o, '\n');
                    ++br_run;
                }
                continue;
            }
            if (!strcmp(name, "pre")) {
                pre = closing ? 0 : 1;
            }
            if (name_in(name, para)) {
                html_newlines(o, 2);
                br_run = 2;
            } else if (name_in(name, block)) {
                html_newlines(o, 1);
                br_run = 1;
                if (!closing && !strcmp(name, "li")) {
                    g_string_append(o, "- ");
                    br_run = 0;
                }
            } else if ((!strcmp(name, "td") || !strcmp(name, "th")) && !closing && o->len &&
                       o->str[o->len - 1] != ' ' && o->str[o->len - 1] != '\n') {
                g_string_append_c(o, ' ');
            }
            continue;
        }
        if (c == '&') {
            gunichar cp;
            apr_size_t used = html_entity(h + i, n - i, &cp);
            if (used) {
                i += used;
                if (cp == 0xa0 || cp == ' ') {
                    if (o->len && o->str[o->len - 1] != ' ' && o->str[o->len - 1] != '\n') {
                        g_string_append_c(o, ' ');
                    }
                } else {
                    g_string_append_unichar(o, cp);
                    br_run = 0;
                }
                continue;
            }
        }
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f') {
            ++i;
            if (pre) {
                if (c != '\r') {
                    g_string_append_c(o, c);
                }
            } else if (o->len && o->str[o->len - 1] != ' ' && o->str[o->len - 1] != '\n') {
                g_string_append_c(o, ' ');
            }
            continue;
        }
        g_string_append_c(o, c);
        br_run = 0;
        ++i;
    }
    while (o->len && (o->str[o->len - 1] == ' ' || o->str[o->len - 1] == '\n')) {
        g_string_truncate(o, o->len - 1);
    }
    r = clean_mem(p, o->str, o->len);
    g_string_free(o, TRUE);
    return r;
}

/* ---- meeting messages (iMIP) ------------------------------------------------------------- */

/* The first text/calendar leaf under obj, attached messages left out (a forwarded invitation is
 * not one to answer). */
static GMimePart *calendar_part(GMimeObject *obj, int depth)
{
    if (!obj || depth > MAX_DEPTH) {
        return NULL;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int i, n = g_mime_multipart_get_count(mp);
        for (i = 0; i < n; ++i) {
            GMimePart *hit = calendar_part(g_mime_multipart_get_part(mp, i), depth + 1);
            if (hit) {
                return hit;
            }
        }
        return NULL;
    }
    return GMIME_IS_PART(obj) && ct_is(obj, "text", "calendar") ? GMIME_PART(obj) : NULL;
}

/* Method of a calendar part: the Content-Type parameter, else the VCALENDAR's METHOD line. */
static const char *calendar_method(apr_pool_t *p, GMimePart *part, const char *text)
{
    const char *m = g_mime_object_get_content_type_parameter(GMIME_OBJECT(part), "method");
    const char *line = NULL, *s;
    char *r, *c;
    apr_size_t n;

    if (!m || !*m) {
        for (s = text; s && *s; s = strchr(s, '\n') ? strchr(s, '\n') + 1 : NULL) {
            if (!g_ascii_strncasecmp(s, "METHOD:", 7)) {
                line = s + 7;
                break;
            }
        }
        if (!line) {
            return NULL;
        }
        m = line;
    }
    n = strcspn(m, "\r\n; \t");
    r = apr_pstrndup(p, m, n);
    for (c = r; *c; ++c) {
        *c = g_ascii_toupper(*c);
    }
    return *r ? r : NULL;
}

static int find_calendar(apr_pool_t *p, GMimeMessage *msg, const char **method, const char **text)
{
    GMimePart *part = msg ? calendar_part(g_mime_message_get_mime_part(msg), 0) : NULL;
    if (!part) {
        return 1;
    }
    *text = part_text(p, part, 0);
    *method = calendar_method(p, part, *text);
    return 0;
}

int eas_mime_calendar(apr_pool_t *p, const char *data, apr_size_t len, const char **method,
                      const char **text)
{
    mime_doc d;
    int rc = 1;

    *method = *text = NULL;
    if (!data || len > EAS_MIME_MAX_INPUT) {
        return 1;
    }
    mime_open(&d, data, len);
    if (d.msg) {
        rc = find_calendar(p, d.msg, method, text);
    }
    mime_close(&d);
    return rc;
}

/* ---- API ---------------------------------------------------------------------------------- */

static void info_empty(apr_pool_t *p, eas_mime_info *out)
{
    memset(out, 0, sizeof(*out));
    out->subject = out->from = out->to = out->cc = out->reply_to = out->display_to = "";
    out->thread_topic = "";
    out->importance = 1;
    out->message_class = "IPM.Note";
    out->text = "";
    out->native_type = 1;
    out->attachments = apr_array_make(p, 4, sizeof(eas_mime_attachment));
}

int eas_mime_parse(apr_pool_t *p, const char *data, apr_size_t len, eas_mime_info *out,
                   const char **err)
{
    mime_doc d;
    walker w;
    GMimeObject *m, *top;
    const char *tt;

    if (!p || !out) {
        if (err) {
            *err = "no pool or output";
        }
        return -1;
    }
    info_empty(p, out);
    if (!data || len > EAS_MIME_MAX_INPUT) {
        if (err) {
            *err = data ? "message too large" : "no message";
        }
        out->broken = 1;
        return -1;
    }
    mime_open(&d, data, len);
    memset(&w, 0, sizeof(w));
    w.p = p;
    w.atts = out->attachments;
    if (!d.msg) {
        /* no header block at all: whatever is there is the text */
        out->text = to_utf8(p, d.data, d.len, NULL);
        out->broken = 1;
        mime_close(&d);
        return 0;
    }
    m = GMIME_OBJECT(d.msg);
    out->subject = clean_str(p, g_mime_message_get_subject(d.msg));
    out->from = addresses(p, g_mime_message_get_from(d.msg), NULL);
    out->to = addresses(p, g_mime_message_get_to(d.msg), &out->display_to);
    out->cc = addresses(p, g_mime_message_get_cc(d.msg), NULL);
    out->reply_to = addresses(p, g_mime_message_get_reply_to(d.msg), NULL);
    out->message_id = g_mime_message_get_message_id(d.msg);
    if (out->message_id) {
        out->message_id = squeeze(p, clean_str(p, out->message_id));
    }
    out->in_reply_to = header_value(p, m, "In-Reply-To");
    out->references = header_value(p, m, "References");
    tt = header_value(p, m, "Thread-Topic");
    out->thread_topic = tt ? tt : apr_pstrdup(p, strip_prefixes(out->subject));
    {
        GDateTime *dt = g_mime_message_get_date(d.msg);
        if (dt) {
            out->date = (apr_time_t)g_date_time_to_unix(dt) * APR_USEC_PER_SEC +
                        g_date_time_get_microsecond(dt);
        }
    }
    out->importance = importance(m);

    top = g_mime_message_get_mime_part(d.msg);
    if (top && GMIME_IS_MULTIPART_SIGNED(top)) {
        out->message_class = "IPM.Note.SMIME.MultipartSigned";
    } else if (top && is_pkcs7_mime(top)) {
        out->message_class = "IPM.Note.SMIME";
    } else {
        const char *method, *ics, *cls;
        if (find_calendar(p, d.msg, &method, &ics) == 0 &&
            (cls = eas_itip_message_class(method, ics)) != NULL) {
            out->message_class = cls;
        }
    }
    walk_message(&w, d.msg);
    if (w.html) {
        out->html = part_text(p, w.html, 1);
    }
    if (w.text) {
        out->text = part_text(p, w.text, 0);
    } else if (out->html) {
        out->text = html_to_text(p, out->html);
    } else if (top && GMIME_IS_MULTIPART(top) &&
               !g_mime_multipart_get_count(GMIME_MULTIPART(top))) {
        /* a multipart without (usable) boundary: GMime keeps the content as the prologue */
        const char *pro = g_mime_multipart_get_prologue(GMIME_MULTIPART(top));
        if (pro) {
            out->text = to_utf8(p, pro, strlen(pro), NULL);
        }
    }
    out->native_type = out->html ? 2 : 1;
    out->broken = d.broken || w.broken;
    mime_close(&d);
    return 0;
}

int eas_mime_attachment_data(apr_pool_t *p, const char *data, apr_size_t len, int index,
                             const char **out, apr_size_t *out_len, const char **content_type,
                             const char **err)
{
    mime_doc d;
    walker w;
    const char *dummy;
    int rc = -1;

    if (!err) {
        err = &dummy;
    }
    if (out) {
        *out = NULL;
    }
    if (out_len) {
        *out_len = 0;
    }
    if (content_type) {
        *content_type = NULL;
    }
    if (!p || !data || !out || !out_len || len > EAS_MIME_MAX_INPUT) {
        *err = !data                      ? "no message"
               : len > EAS_MIME_MAX_INPUT ? "message too large"
                                          : "no pool or output";
        return -1;
    }
    if (index < 1) {
        *err = "no such attachment";
        return -1;
    }
    mime_open(&d, data, len);
    memset(&w, 0, sizeof(w));
    w.p = p;
    w.want = index;
    walk_message(&w, d.msg);
    if (!w.hit) {
        *err = "no such attachment";
    } else {
        GMimeStream *mem = g_mime_stream_mem_new();
        GByteArray *arr;
        if (GMIME_IS_MESSAGE_PART(w.hit)) {
            message_part_write(GMIME_MESSAGE_PART(w.hit), mem);
        } else {
            GMimeDataWrapper *wr = g_mime_part_get_content(GMIME_PART(w.hit));
            if (wr) {
                g_mime_data_wrapper_write_to_stream(wr, mem);
            }
        }
        arr = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        *out = apr_pstrmemdup(p, (const char *)arr->data, arr->len);
        *out_len = arr->len;
        if (content_type) {
            *content_type = mime_type(p, w.hit);
        }
        g_object_unref(mem);
        rc = 0;
    }
    mime_close(&d);
    return rc;
}

/* Length of the UTF-8 sequence starting at s (1 for anything invalid); never past a NUL. */
static apr_size_t u8len(const unsigned char *s)
{
    apr_size_t n = *s < 0x80 ? 1 : *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : *s >= 0xc0 ? 2 : 1, i;

    for (i = 1; i < n; ++i) {
        if ((s[i] & 0xc0) != 0x80) {
            return 1;
        }
    }
    return n;
}

const char *eas_mime_preview(apr_pool_t *p, const char *text, int max_chars)
{
    const unsigned char *s = (const unsigned char *)text;
    GString *o;
    int chars = 0, sp = 0;
    const char *r;

    if (!text || max_chars <= 0) {
        return "";
    }
    o = g_string_sized_new(64);
    while (*s && chars < max_chars) {
        apr_size_t n;
        if (*s == ' ' || *s == '\t' || *s == '\r' || *s == '\n' || *s == '\f' || *s == '\v') {
            sp = o->len > 0;
            ++s;
            continue;
        }
        if (s[0] == 0xc2 && s[1] == 0xa0) { /* no-break space */
            sp = o->len > 0;
            s += 2;
            continue;
        }
        if (sp) {
            g_string_append_c(o, ' ');
            sp = 0;
            if (++chars >= max_chars) {
                break;
            }
        }
        n = u8len(s);
        g_string_append_len(o, (const char *)s, (gssize)n);
        s += n;
        ++chars;
    }
    while (o->len && o->str[o->len - 1] == ' ') {
        g_string_truncate(o, o->len - 1);
    }
    r = clean_mem(p, o->str, o->len);
    g_string_free(o, TRUE);
    return r;
}

const char *eas_mime_truncate(apr_pool_t *p, const char *text, apr_size_t max_bytes, int *truncated)
{
    apr_size_t len, cut;
    int back;

    if (truncated) {
        *truncated = 0;
    }
    if (!text) {
        return "";
    }
    len = strlen(text);
    if (len <= max_bytes) {
        return text;
    }
    if (truncated) {
        *truncated = 1;
    }
    cut = max_bytes;
    /* text[cut] is the first byte left out: back up while it continues a character */
    for (back = 0; cut > 0 && back < 4 && ((unsigned char)text[cut] & 0xc0) == 0x80; ++back) {
        --cut;
    }
    if (back == 4) {
        cut = max_bytes; /* not UTF-8 anyway */
    }
    return apr_pstrmemdup(p, text, cut);
}

const char *eas_mime_text_to_html(apr_pool_t *p, const char *text)
{
    GString *o = g_string_sized_new(text ? strlen(text) + 160 : 160);
    const char *s;
    const char *r;
    int line_start = 1;

    g_string_append(o, "<html><head><meta http-equiv=\"Content-Type\" "
                       "content=\"text/html; charset=utf-8\"></head><body>");
    for (s = text ? text : ""; *s; ++s) {
        switch (*s) {
        case '&':
            g_string_append(o, "&amp;");
            break;
        case '<':
            g_string_append(o, "&lt;");
            break;
        case '>':
            g_string_append(o, "&gt;");
            break;
        case '"':
            g_string_append(o, "&quot;");
            break;
        case '\'':
            g_string_append(o, "&#39;");
            break;
        case '\r':
            if (s[1] == '\n') {
                ++s;
            }
            /* fall through */
        case '\n':
            g_string_append(o, "<br>\n");
            line_start = 1;
            continue;
        case '\t':
            g_string_append(o, "&nbsp;&nbsp;&nbsp;&nbsp;");
            break;
        case ' ':
            /* keep indentation and runs of spaces visible */
            if (line_start || s[1] == ' ' || s[1] == '\0' || s[1] == '\n' || s[1] == '\r') {
                g_string_append(o, "&nbsp;");
            } else {
                g_string_append_c(o, ' ');
            }
            continue;
        default:
            g_string_append_c(o, *s);
        }
        line_start = 0;
    }
    g_string_append(o, "</body></html>");
    r = clean_mem(p, o->str, o->len);
    g_string_free(o, TRUE);
    return r;
}
