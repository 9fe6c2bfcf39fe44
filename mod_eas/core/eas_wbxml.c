/* eas_wbxml.c — WBXML (MS-ASWBXML) <-> libxml2 tree for Exchange ActiveSync.
 *
 * Decoder: a single forward pass over the input with bounds checked before every read; the tree is
 * built directly (no intermediate representation), element names are interned once per document in
 * the document's dictionary, so an element costs one allocation. No recursion: the current element
 * and its parent pointers are the stack.
 *
 * Encoder: an iterative walk of the tree writing into one growable buffer; namespace -> page via a
 * small pointer cache, tag name -> token via the generated per-page perfect hash (eas_codepages.c).
 *
 * WBXML features accepted: header version 1.0-1.3, public id (numeric), charset UTF-8 (106) or
 * "unknown" (0), an empty string table, SWITCH_PAGE, tags with/without content, END, STR_I, OPAQUE,
 * ENTITY. Rejected with EAS_WBXML_EINVAL: attributes, LITERAL*, EXT_*, PI, STR_T and any string
 * table, unknown tags, pages > 25, bad or over-long mb_u_int32, invalid UTF-8 in STR_I, truncation,
 * anything after the root element.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/dict.h>

#include "eas_codepages.h"
#include "eas_wbxml.h"

#define T_SWITCH_PAGE 0x00
#define T_END         0x01
#define T_ENTITY      0x02
#define T_STR_I       0x03
#define T_LITERAL     0x04
#define T_OPAQUE      0xC3
#define CONTENT_BIT   0x40
#define ATTR_BIT      0x80

/* Fixed tokens used by the OPAQUE rules. */
#define PG_EMAIL       2
#define TK_MIMEDATA    0x36
#define PG_AIRSYNCBASE 17
#define TK_ASB_TYPE    0x06
#define TK_ASB_BODY    0x0A
#define TK_ASB_DATA    0x0B
#define PG_RESOLVE     10
#define TK_RR_DATA     0x1C
#define PG_GAL         16
#define TK_GAL_DATA    0x12
#define PG_SEARCH      15
#define TK_S_CONVID    0x20
#define PG_ITEMOPS     20
#define TK_IO_CONVID   0x18
#define PG_COMPOSEMAIL 21
#define TK_MIME        0x10
#define PG_EMAIL2      22
#define TK_CONVID      0x09
#define TK_CONVINDEX   0x0A

void eas_wbxml_limits_default(eas_wbxml_limits *lim)
{
    lim->max_input = 64u * 1024 * 1024;
    lim->max_depth = 64;
    lim->max_string = 32u * 1024 * 1024;
    lim->max_tags = 1000000;
}

const char *eas_wbxml_strerror(int rc)
{
    switch (rc) {
    case EAS_WBXML_OK:
        return "ok";
    case EAS_WBXML_EINVAL:
        return "malformed or unsupported input";
    case EAS_WBXML_ELIMIT:
        return "limit exceeded";
    case EAS_WBXML_ENOMEM:
        return "out of memory";
    case EAS_WBXML_EUNKNOWN:
        return "element or namespace not in any EAS code page";
    default:
        return "unknown error";
    }
}

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---------------------------------------------------------------------------------------------- */
/* base64 and UTF-8 helpers                                                                       */

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static size_t b64_encode(const unsigned char *in, size_t len, char *out)
{
    char *o = out;
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = ((uint32_t)in[i] << 16) | ((uint32_t)in[i + 1] << 8) | in[i + 2];
        *o++ = b64chars[v >> 18];
        *o++ = b64chars[(v >> 12) & 63];
        *o++ = b64chars[(v >> 6) & 63];
        *o++ = b64chars[v & 63];
    }
    if (i < len) {
        uint32_t v = (uint32_t)in[i] << 16;
        if (i + 1 < len) {
            v |= (uint32_t)in[i + 1] << 8;
        }
        *o++ = b64chars[v >> 18];
        *o++ = b64chars[(v >> 12) & 63];
        *o++ = (i + 1 < len) ? b64chars[(v >> 6) & 63] : '=';
        *o++ = '=';
    }
    *o = '\0';
    return (size_t)(o - out);
}

static int b64_val(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == '+') {
        return 62;
    }
    if (c == '/') {
        return 63;
    }
    return -1;
}

/* Strict base64 (padding required, whitespace ignored). out needs len*3/4 bytes. -1 if invalid. */
static long b64_decode(const unsigned char *in, size_t len, unsigned char *out)
{
    uint32_t acc = 0;
    unsigned n = 0, pad = 0;
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = in[i];
        int v;
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            continue;
        }
        if (c == '=') {
            pad++;
            if (pad > 2) {
                return -1;
            }
            acc <<= 6;
            n++;
        } else {
            if (pad || (v = b64_val(c)) < 0) {
                return -1;
            }
            acc = (acc << 6) | (uint32_t)v;
            n++;
        }
        if (n == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            if (pad < 2) {
                out[o++] = (unsigned char)(acc >> 8);
            }
            if (pad < 1) {
                out[o++] = (unsigned char)acc;
            }
            n = 0;
            acc = 0;
            if (pad) {
                /* only whitespace may follow padding */
                for (i++; i < len; i++) {
                    c = in[i];
                    if (!(c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
                        return -1;
                    }
                }
                break;
            }
        }
    }
    if (n != 0 || (pad && n)) {
        return -1;
    }
    return (long)o;
}

/* Length of the valid UTF-8 sequence at s (1-4), 0 if invalid (overlong, surrogate, > U+10FFFF,
 * truncated). s[0] >= 0x80. */
static size_t utf8_seq(const unsigned char *s, const unsigned char *end)
{
    unsigned c = s[0];
    size_t n = (size_t)(end - s);
    if (c >= 0xC2 && c <= 0xDF) {
        return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0)) {
            return 0;
        }
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || (s[1] & 0xC0) != 0x80 || (s[2] & 0xC0) != 0x80 || (s[3] & 0xC0) != 0x80) {
            return 0;
        }
        if ((c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90)) {
            return 0;
        }
        return 4;
    }
    return 0;
}

/* xml_text: 1 = also refuse NUL and the C0 controls XML 1.0 cannot carry (all but TAB LF CR). */
static int utf8_valid(const unsigned char *s, size_t len, int xml_text)
{
    const unsigned char *end = s + len;
    while (s < end) {
        if (end - s >= 8) {
            uint64_t w;
            memcpy(&w, s, 8);
            /* fast path: 8 bytes of ASCII >= 0x20 (bytes < 0x20 borrow into the high bit) */
            if ((((w - 0x2020202020202020ull) | w) & 0x8080808080808080ull) == 0) {
                s += 8;
                continue;
            }
        }
        if (*s < 0x80) {
            if (*s < 0x20 && xml_text && *s != '\t' && *s != '\n' && *s != '\r') {
                return 0;
            }
            s++;
        } else {
            size_t n = utf8_seq(s, end);
            if (!n) {
                return 0;
            }
            s += n;
        }
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------- */
/* Decoder                                                                                        */

typedef struct dec {
    const unsigned char *start, *p, *end;
    eas_wbxml_limits lim;
    xmlDocPtr doc;
    xmlNodePtr root, cur;
    xmlNsPtr ns[EAS_CP_NPAGES];
    xmlNsPtr meta_ns;
    uint32_t names_init; /* bit per page: names[page] filled */
    unsigned page, depth;
    size_t tags;
    size_t tok_off;            /* offset of the token being decoded, for messages */
    const unsigned char *pend; /* pending text run (see dec_flush) */
    size_t pend_len;
    int pend_own; /* the run lives in tb */
    unsigned char *tb;
    size_t tb_cap;
    char *err;
    size_t errlen;
    const xmlChar *names[EAS_CP_NPAGES][64];
} dec;

static int dfail(dec *d, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int dfail(dec *d, int rc, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    set_err(d->err, d->errlen, "WBXML offset %zu: %s", d->tok_off, msg);
    return rc;
}

static int get_mb(dec *d, uint32_t *v, const char *what)
{
    uint32_t x = 0;
    for (int i = 0; i < 5; i++) {
        unsigned c;
        if (d->p >= d->end) {
            return dfail(d, EAS_WBXML_EINVAL, "truncated multi-byte integer (%s)", what);
        }
        c = *d->p++;
        if (x >> 25) {
            return dfail(d, EAS_WBXML_EINVAL, "multi-byte integer overflows 32 bits (%s)", what);
        }
        x = (x << 7) | (c & 0x7F);
        if (!(c & 0x80)) {
            *v = x;
            return EAS_WBXML_OK;
        }
    }
    return dfail(d, EAS_WBXML_EINVAL, "multi-byte integer longer than 5 bytes (%s)", what);
}

static int protocol_kind(unsigned page, unsigned tok)
{
    if ((page == PG_EMAIL2 && (tok == TK_CONVID || tok == TK_CONVINDEX)) ||
        (page == PG_ITEMOPS && tok == TK_IO_CONVID) || (page == PG_SEARCH && tok == TK_S_CONVID) ||
        /* Picture Data: a byte array (MS-ASCMD 2.2.3.39) */
        (page == PG_RESOLVE && tok == TK_RR_DATA) || (page == PG_GAL && tok == TK_GAL_DATA)) {
        return EAS_WBXML_BASE64;
    }
    if ((page == PG_COMPOSEMAIL && tok == TK_MIME) || (page == PG_EMAIL && tok == TK_MIMEDATA)) {
        return EAS_WBXML_RAW;
    }
    return EAS_WBXML_TEXT;
}

static xmlNsPtr dec_ns(dec *d, unsigned page)
{
    xmlNsPtr ns = d->ns[page];
    if (!ns) {
        const char *href = eas_cp_page_ns[page];
        ns = xmlNewNs(d->root, (const xmlChar *)href, (const xmlChar *)eas_cp_page_name[page]);
        d->ns[page] = ns;
    }
    return ns;
}

static void link_child(xmlNodePtr parent, xmlNodePtr n)
{
    n->parent = parent;
    if (!parent->children) {
        parent->children = parent->last = n;
    } else {
        n->prev = parent->last;
        parent->last->next = n;
        parent->last = n;
    }
}

/* Text runs (STR_I, ENTITY, textual OPAQUE) are collected and become one text node when the next
 * structural token arrives: a single piece is referenced in place, several are copied into a
 * growable buffer (linear time however the text is split). */
static int dec_flush(dec *d)
{
    xmlNodePtr t;
    const unsigned char *s = d->pend_own ? d->tb : d->pend;
    if (!d->pend_len) {
        return EAS_WBXML_OK;
    }
    t = xmlNewDocTextLen(d->doc, s, (int)d->pend_len);
    d->pend_len = 0;
    d->pend_own = 0;
    if (!t) {
        return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
    }
    link_child(d->cur, t);
    return EAS_WBXML_OK;
}

/* transient: s does not live in the input buffer (ENTITY): copy it at once. */
static int dec_text(dec *d, const unsigned char *s, size_t len, int transient)
{
    if (!d->cur) {
        return dfail(d, EAS_WBXML_EINVAL, "text outside the root element");
    }
    if (d->cur->properties) {
        return dfail(d, EAS_WBXML_EINVAL, "content after binary OPAQUE data");
    }
    if (!len) {
        return EAS_WBXML_OK;
    }
    if (len > d->lim.max_string - d->pend_len || d->pend_len + len > INT32_MAX) {
        return dfail(d, EAS_WBXML_ELIMIT, "text longer than %zu bytes", d->lim.max_string);
    }
    if (!d->pend_len && !transient) {
        d->pend = s;
        d->pend_len = len;
        return EAS_WBXML_OK;
    }
    if (d->pend_len + len > d->tb_cap) {
        size_t cap = d->tb_cap ? d->tb_cap : 256;
        unsigned char *nb;
        while (cap < d->pend_len + len) {
            cap *= 2;
        }
        nb = realloc(d->tb, cap);
        if (!nb) {
            return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
        }
        d->tb = nb;
        d->tb_cap = cap;
    }
    if (!d->pend_own) {
        if (d->pend_len) {
            memcpy(d->tb, d->pend, d->pend_len);
        }
        d->pend_own = 1;
    }
    memcpy(d->tb + d->pend_len, s, len);
    d->pend_len += len;
    return EAS_WBXML_OK;
}

static int dec_opaque(dec *d, const unsigned char *s, size_t len)
{
    xmlNodePtr cur = d->cur;
    int kind;
    if (!cur) {
        return dfail(d, EAS_WBXML_EINVAL, "OPAQUE outside the root element");
    }
    kind = (int)(intptr_t)cur->_private;
    if (kind != EAS_WBXML_BASE64 && utf8_valid(s, len, 1)) {
        return dec_text(d, s, len, 0);
    }
    /* binary: base64 text; elements not base64 by protocol also get eas:opaque="base64" */
    if (cur->children || cur->properties || d->pend_len) {
        return dfail(d, EAS_WBXML_EINVAL, "binary OPAQUE data mixed with other content");
    }
    if (len > ((size_t)INT32_MAX / 4) * 3 - 4) {
        return dfail(d, EAS_WBXML_ELIMIT, "OPAQUE too large for base64");
    }
    {
        char *b64 = malloc((len + 2) / 3 * 4 + 1);
        size_t blen;
        xmlNodePtr t;
        if (!b64) {
            return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
        }
        blen = b64_encode(s, len, b64);
        if (kind != EAS_WBXML_BASE64 && !d->meta_ns) {
            d->meta_ns = xmlNewNs(d->root, (const xmlChar *)EAS_WBXML_META_NS,
                                  (const xmlChar *)EAS_WBXML_META_PREFIX);
        }
        if (kind != EAS_WBXML_BASE64 &&
            (!d->meta_ns || !xmlNewNsProp(cur, d->meta_ns, (const xmlChar *)"opaque",
                                          (const xmlChar *)"base64"))) {
            free(b64);
            return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
        }
        if (kind == EAS_WBXML_BASE64) {
            /* joins any following text run, like any other text (one text node per run) */
            int rc = dec_text(d, (const unsigned char *)b64, blen, 1);
            free(b64);
            return rc;
        }
        if (blen) {
            t = xmlNewDocTextLen(d->doc, (const xmlChar *)b64, (int)blen);
            if (!t) {
                free(b64);
                return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
            }
            link_child(cur, t);
        }
        free(b64);
    }
    return EAS_WBXML_OK;
}

static int dec_tag(dec *d, unsigned tok)
{
    unsigned id = tok & 0x3F, page = d->page;
    const xmlChar *name;
    xmlNodePtr n;

    if (tok & ATTR_BIT) {
        return dfail(d, EAS_WBXML_EINVAL, "attributes are not used by EAS (tag 0x%02X)", tok);
    }
    if (!eas_cp_tag[page][id]) {
        return dfail(d, EAS_WBXML_EINVAL, "unknown tag 0x%02X on code page %u (%s)", id, page,
                     eas_cp_page_name[page] ? eas_cp_page_name[page] : "retired");
    }
    if (d->root && !d->cur) {
        return dfail(d, EAS_WBXML_EINVAL, "data after the root element");
    }
    if (d->cur && d->cur->properties) {
        return dfail(d, EAS_WBXML_EINVAL, "content after binary OPAQUE data");
    }
    if (d->pend_len && dec_flush(d)) {
        return EAS_WBXML_ENOMEM;
    }
    if (++d->tags > d->lim.max_tags) {
        return dfail(d, EAS_WBXML_ELIMIT, "more than %zu elements", d->lim.max_tags);
    }
    if (d->depth + 1 > d->lim.max_depth) {
        return dfail(d, EAS_WBXML_ELIMIT, "nesting deeper than %u", d->lim.max_depth);
    }
    if (!(d->names_init & (1u << page))) {
        memset(d->names[page], 0, sizeof(d->names[page]));
        d->names_init |= 1u << page;
    }
    name = d->names[page][id];
    if (!name) {
        name = xmlDictLookup(d->doc->dict, (const xmlChar *)eas_cp_tag[page][id],
                             eas_cp_tag_len[page][id]);
        if (!name) {
            return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
        }
        d->names[page][id] = name;
    }
    n = xmlNewDocNodeEatName(d->doc, NULL, (xmlChar *)name, NULL);
    if (!n) {
        return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
    }
    /* the protocol kind rides in _private while decoding (cleared on END) */
    n->_private = (void *)(intptr_t)protocol_kind(page, id);
    if (!d->root) {
        d->root = n;
        xmlDocSetRootElement(d->doc, n);
        /* the root's page is the default namespace */
        d->ns[page] = xmlNewNs(n, (const xmlChar *)eas_cp_page_ns[page], NULL);
    } else {
        link_child(d->cur, n);
    }
    n->ns = dec_ns(d, page);
    if (!n->ns) {
        return dfail(d, EAS_WBXML_ENOMEM, "out of memory");
    }
    if (tok & CONTENT_BIT) {
        d->cur = n;
        d->depth++;
    } else {
        n->_private = NULL;
    }
    return EAS_WBXML_OK;
}

static int decode_body(dec *d)
{
    uint32_t v;
    int rc;

    /* header: version, public id, charset, string table length */
    d->tok_off = 0;
    if (d->p >= d->end) {
        return dfail(d, EAS_WBXML_EINVAL, "empty input");
    }
    if (*d->p > 0x03) {
        return dfail(d, EAS_WBXML_EINVAL, "unsupported WBXML version 0x%02X", *d->p);
    }
    d->p++;
    d->tok_off = (size_t)(d->p - d->start);
    if ((rc = get_mb(d, &v, "public id"))) {
        return rc;
    }
    if (v == 0) {
        return dfail(d, EAS_WBXML_EINVAL, "public id in the string table is not supported");
    }
    d->tok_off = (size_t)(d->p - d->start);
    if ((rc = get_mb(d, &v, "charset"))) {
        return rc;
    }
    if (v != 106 && v != 0) {
        return dfail(d, EAS_WBXML_EINVAL, "charset %u is not UTF-8 (106)", v);
    }
    d->tok_off = (size_t)(d->p - d->start);
    if ((rc = get_mb(d, &v, "string table length"))) {
        return rc;
    }
    if (v != 0) {
        return dfail(d, EAS_WBXML_EINVAL, "string tables are not used by EAS (length %u)", v);
    }

    while (d->p < d->end) {
        unsigned tok;
        d->tok_off = (size_t)(d->p - d->start);
        if (d->root && !d->cur) {
            return dfail(d, EAS_WBXML_EINVAL, "data after the root element");
        }
        tok = *d->p++;
        switch (tok) {
        case T_SWITCH_PAGE:
            if (d->p >= d->end) {
                return dfail(d, EAS_WBXML_EINVAL, "truncated SWITCH_PAGE");
            }
            if (*d->p >= EAS_CP_NPAGES) {
                return dfail(d, EAS_WBXML_EINVAL, "code page %u does not exist (0-25)", *d->p);
            }
            d->page = *d->p++;
            break;
        case T_END:
            if (!d->cur) {
                return dfail(d, EAS_WBXML_EINVAL, "END without an open element");
            }
            if (d->pend_len && (rc = dec_flush(d))) {
                return rc;
            }
            d->cur->_private = NULL;
            d->cur = (d->cur == d->root) ? NULL : d->cur->parent;
            d->depth--;
            break;
        case T_STR_I: {
            const unsigned char *s = d->p, *z;
            size_t avail = (size_t)(d->end - s);
            size_t scan = avail < d->lim.max_string + 1 ? avail : d->lim.max_string + 1;
            z = memchr(s, 0, scan);
            if (!z) {
                if (scan < avail || avail > d->lim.max_string) {
                    return dfail(d, EAS_WBXML_ELIMIT, "inline string longer than %zu bytes",
                                 d->lim.max_string);
                }
                return dfail(d, EAS_WBXML_EINVAL, "unterminated inline string");
            }
            if (!utf8_valid(s, (size_t)(z - s), 0)) {
                return dfail(d, EAS_WBXML_EINVAL, "inline string is not valid UTF-8");
            }
            d->p = z + 1;
            if ((rc = dec_text(d, s, (size_t)(z - s), 0))) {
                return rc;
            }
            break;
        }
        case T_OPAQUE: {
            const unsigned char *s;
            if ((rc = get_mb(d, &v, "OPAQUE length"))) {
                return rc;
            }
            if (v > d->lim.max_string) {
                return dfail(d, EAS_WBXML_ELIMIT, "OPAQUE of %u bytes exceeds %zu", v,
                             d->lim.max_string);
            }
            if (v > (size_t)(d->end - d->p)) {
                return dfail(d, EAS_WBXML_EINVAL, "truncated OPAQUE (%u bytes announced, %zu left)",
                             v, (size_t)(d->end - d->p));
            }
            s = d->p;
            d->p += v;
            if ((rc = dec_opaque(d, s, v))) {
                return rc;
            }
            break;
        }
        case T_ENTITY: {
            unsigned char u[4];
            size_t n;
            if ((rc = get_mb(d, &v, "ENTITY"))) {
                return rc;
            }
            if (v == 0 || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
                return dfail(d, EAS_WBXML_EINVAL, "ENTITY U+%X is not a character", v);
            }
            if (v < 0x80) {
                u[0] = (unsigned char)v;
                n = 1;
            } else if (v < 0x800) {
                u[0] = (unsigned char)(0xC0 | (v >> 6));
                u[1] = (unsigned char)(0x80 | (v & 0x3F));
                n = 2;
            } else if (v < 0x10000) {
                u[0] = (unsigned char)(0xE0 | (v >> 12));
                u[1] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
                u[2] = (unsigned char)(0x80 | (v & 0x3F));
                n = 3;
            } else {
                u[0] = (unsigned char)(0xF0 | (v >> 18));
                u[1] = (unsigned char)(0x80 | ((v >> 12) & 0x3F));
                u[2] = (unsigned char)(0x80 | ((v >> 6) & 0x3F));
                u[3] = (unsigned char)(0x80 | (v & 0x3F));
                n = 4;
            }
            if ((rc = dec_text(d, u, n, 1))) {
                return rc;
            }
            break;
        }
        case T_LITERAL:
        case 0x44:
        case 0x84:
        case 0xC4:
            return dfail(d, EAS_WBXML_EINVAL, "LITERAL tags (string table) are not supported");
        case 0x40:
        case 0x41:
        case 0x42:
        case 0x80:
        case 0x81:
        case 0x82:
        case 0xC0:
        case 0xC1:
        case 0xC2:
            return dfail(d, EAS_WBXML_EINVAL, "extension token 0x%02X is not used by EAS", tok);
        case 0x43:
            return dfail(d, EAS_WBXML_EINVAL, "processing instructions are not supported");
        case 0x83:
            return dfail(d, EAS_WBXML_EINVAL, "STR_T (string table reference) is not supported");
        default:
            if ((rc = dec_tag(d, tok))) {
                return rc;
            }
            break;
        }
    }
    d->tok_off = (size_t)(d->p - d->start);
    if (!d->root) {
        return dfail(d, EAS_WBXML_EINVAL, "no root element");
    }
    if (d->cur) {
        return dfail(d, EAS_WBXML_EINVAL, "truncated: %u element(s) not closed", d->depth);
    }
    return EAS_WBXML_OK;
}

int eas_wbxml_decode(const unsigned char *buf, size_t len, const eas_wbxml_limits *lim,
                     xmlDocPtr *out, char *err, size_t errlen)
{
    dec *d;
    int rc;

    *out = NULL;
    if (err && errlen) {
        err[0] = '\0';
    }
    d = malloc(sizeof(*d));
    if (!d) {
        set_err(err, errlen, "out of memory");
        return EAS_WBXML_ENOMEM;
    }
    memset(d, 0, offsetof(dec, names));
    if (lim) {
        d->lim = *lim;
    } else {
        eas_wbxml_limits_default(&d->lim);
    }
    d->err = err;
    d->errlen = errlen;
    d->start = d->p = buf;
    d->end = buf + len;
    if (len > d->lim.max_input) {
        rc = dfail(d, EAS_WBXML_ELIMIT, "input of %zu bytes exceeds %zu", len, d->lim.max_input);
        free(d);
        return rc;
    }
    d->doc = xmlNewDoc((const xmlChar *)"1.0");
    if (d->doc) {
        d->doc->dict = xmlDictCreate();
    }
    if (!d->doc || !d->doc->dict) {
        xmlFreeDoc(d->doc);
        free(d);
        set_err(err, errlen, "out of memory");
        return EAS_WBXML_ENOMEM;
    }
    rc = decode_body(d);
    free(d->tb);
    if (rc) {
        /* _private of still-open elements is only a small integer: nothing to free */
        xmlFreeDoc(d->doc);
    } else {
        *out = d->doc;
    }
    free(d);
    return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Encoder                                                                                        */

typedef struct obuf {
    unsigned char *b;
    size_t len, cap;
} obuf;

static int ob_grow(obuf *o, size_t need)
{
    size_t cap = o->cap ? o->cap : 1024;
    unsigned char *nb;
    if (need > SIZE_MAX / 2 - o->len) {
        return -1;
    }
    while (cap < o->len + need) {
        cap *= 2;
    }
    nb = realloc(o->b, cap);
    if (!nb) {
        return -1;
    }
    o->b = nb;
    o->cap = cap;
    return 0;
}

static inline int ob_reserve(obuf *o, size_t need)
{
    return (o->cap - o->len >= need) ? 0 : ob_grow(o, need);
}

static inline void ob_mb(obuf *o, uint32_t v)
{
    unsigned char tmp[5];
    int n = 0;
    do {
        tmp[n++] = (unsigned char)(v & 0x7F);
        v >>= 7;
    } while (v);
    while (n > 1) {
        o->b[o->len++] = tmp[--n] | 0x80;
    }
    o->b[o->len++] = tmp[0];
}

typedef struct enc {
    obuf o;
    unsigned page;
    const xmlChar *ns_key[8];
    int ns_page[8];
    char *err;
    size_t errlen;
} enc;

static int enc_page_of(enc *e, xmlNodePtr n)
{
    const xmlChar *href;
    unsigned slot;
    int page;
    if (!n->ns || !n->ns->href) {
        return -1;
    }
    href = n->ns->href;
    slot = (unsigned)(((uintptr_t)href >> 4) & 7);
    if (e->ns_key[slot] == href) {
        return e->ns_page[slot];
    }
    page = eas_cp_page_by_ns((const char *)href);
    e->ns_key[slot] = href;
    e->ns_page[slot] = page;
    return page;
}

static int is_ws_only(const xmlChar *s)
{
    for (; *s; s++) {
        if (!(*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r')) {
            return 0;
        }
    }
    return 1;
}

static int has_meta_base64(xmlNodePtr n, int *other_attr, const xmlChar **other_name)
{
    int meta = 0;
    for (xmlAttrPtr a = n->properties; a; a = a->next) {
        if (a->ns && a->ns->href && strcmp((const char *)a->ns->href, EAS_WBXML_META_NS) == 0 &&
            strcmp((const char *)a->name, "opaque") == 0) {
            meta = 1;
        } else {
            *other_attr = 1;
            *other_name = a->name;
        }
    }
    return meta;
}

/* 1 when the element text is "4" (ignoring surrounding whitespace) */
static int text_is_4(xmlNodePtr n)
{
    const xmlChar *s;
    if (!n->children || n->children != n->last || n->children->type != XML_TEXT_NODE) {
        return 0;
    }
    s = n->children->content;
    while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
        s++;
    }
    if (*s++ != '4') {
        return 0;
    }
    return is_ws_only(s);
}

static int node_in(xmlNodePtr n, int page, const char *name)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           eas_cp_page_by_ns((const char *)n->ns->href) == page &&
           strcmp((const char *)n->name, name) == 0;
}

static int kind_of(xmlNodePtr n, int page, int tok)
{
    int k = protocol_kind((unsigned)page, (unsigned)tok);
    if (k == EAS_WBXML_TEXT && page == PG_AIRSYNCBASE && tok == TK_ASB_DATA && n->parent &&
        node_in(n->parent, PG_AIRSYNCBASE, "Body")) {
        for (xmlNodePtr s = n->parent->children; s; s = s->next) {
            if (node_in(s, PG_AIRSYNCBASE, "Type")) {
                if (text_is_4(s)) {
                    k = EAS_WBXML_RAW;
                }
                break;
            }
        }
    }
    return k;
}

int eas_wbxml_is_opaque(xmlNodePtr n)
{
    int page, tok, other = 0;
    const xmlChar *oname = NULL;
    if (!n || n->type != XML_ELEMENT_NODE) {
        return EAS_WBXML_TEXT;
    }
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            return EAS_WBXML_TEXT;
        }
    }
    if (has_meta_base64(n, &other, &oname)) {
        return EAS_WBXML_BASE64;
    }
    if (!n->ns || !n->ns->href || (page = eas_cp_page_by_ns((const char *)n->ns->href)) < 0) {
        return EAS_WBXML_TEXT;
    }
    tok = eas_cp_token((unsigned)page, (const char *)n->name, strlen((const char *)n->name));
    if (tok < 0) {
        return EAS_WBXML_TEXT;
    }
    return kind_of(n, page, tok);
}

static int enc_fail(enc *e, int rc, xmlNodePtr n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int enc_fail(enc *e, int rc, xmlNodePtr n, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n) {
        set_err(e->err, e->errlen, "line %ld: %s", (long)xmlGetLineNo(n), msg);
    } else {
        set_err(e->err, e->errlen, "%s", msg);
    }
    return rc;
}

static int enc_opaque(enc *e, const unsigned char *s, size_t len)
{
    if (len > UINT32_MAX) {
        return -1;
    }
    if (ob_reserve(&e->o, len + 7)) {
        return -1;
    }
    e->o.b[e->o.len++] = T_OPAQUE;
    ob_mb(&e->o, (uint32_t)len);
    memcpy(e->o.b + e->o.len, s, len);
    e->o.len += len;
    return 0;
}

static int enc_str(enc *e, const xmlChar *s)
{
    size_t len = strlen((const char *)s);
    if (ob_reserve(&e->o, len + 2)) {
        return -1;
    }
    e->o.b[e->o.len++] = T_STR_I;
    memcpy(e->o.b + e->o.len, s, len + 1);
    e->o.len += len + 1;
    return 0;
}

/* Writes the binary content of n (kind RAW or BASE64); n has no element children. */
/* An empty payload writes nothing and sets *empty (the caller then drops the content bit, so
 * that decode -> encode reaches its fixed point at once). */
static int enc_binary(enc *e, xmlNodePtr n, int kind, int forced, int *empty)
{
    xmlChar *txt = NULL;
    const xmlChar *s;
    size_t len;
    int rc = 0;

    if (n->children && n->children == n->last &&
        (n->children->type == XML_TEXT_NODE || n->children->type == XML_CDATA_SECTION_NODE)) {
        s = n->children->content;
    } else {
        txt = xmlNodeGetContent(n);
        s = txt ? txt : (const xmlChar *)"";
    }
    len = strlen((const char *)s);
    if (kind == EAS_WBXML_BASE64) {
        unsigned char *bin = malloc(len / 4 * 3 + 3);
        long blen;
        if (!bin) {
            xmlFree(txt);
            return enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
        }
        blen = b64_decode(s, len, bin);
        if (blen == 0) {
            *empty = 1;
        } else if (blen < 0) {
            if (forced) {
                rc = enc_fail(e, EAS_WBXML_EINVAL, n,
                              "<%s> marked opaque=\"base64\" holds invalid base64", n->name);
            } else if (enc_opaque(e, s,
                                  len)) { /* not base64 after all: send the bytes as they are */
                rc = enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
            }
        } else if (enc_opaque(e, bin, (size_t)blen)) {
            rc = enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
        }
        free(bin);
    } else if (len == 0) {
        *empty = 1;
    } else if (enc_opaque(e, s, len)) {
        rc = enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
    }
    xmlFree(txt);
    return rc;
}

/* Opens element n: SWITCH_PAGE, tag; for elements without element children also the content and
 * END. *descend = 1 when the caller must walk the children and write END. */
static int enc_open(enc *e, xmlNodePtr n, int *descend)
{
    int page, tok, has_elem = 0, has_text = 0, other = 0, meta, kind;
    const xmlChar *oname = NULL;

    *descend = 0;
    page = enc_page_of(e, n);
    if (page < 0) {
        if (!n->ns) {
            return enc_fail(e, EAS_WBXML_EUNKNOWN, n, "element <%s> has no namespace", n->name);
        }
        return enc_fail(e, EAS_WBXML_EUNKNOWN, n, "namespace \"%s\" of <%s> is no EAS code page",
                        n->ns->href, n->name);
    }
    tok = eas_cp_token((unsigned)page, (const char *)n->name, strlen((const char *)n->name));
    if (tok < 0) {
        return enc_fail(e, EAS_WBXML_EUNKNOWN, n, "<%s> is not a tag of code page %d (%s)", n->name,
                        page, eas_cp_page_name[page]);
    }
    meta = n->properties ? has_meta_base64(n, &other, &oname) : 0;
    if (other) {
        return enc_fail(e, EAS_WBXML_EUNKNOWN, n, "attribute %s of <%s> cannot be encoded", oname,
                        n->name);
    }
    for (xmlNodePtr c = n->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE) {
            has_elem = 1;
        } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
                   c->content[0]) {
            has_text = 1;
        } else if (c->type == XML_ENTITY_REF_NODE) {
            return enc_fail(e, EAS_WBXML_EINVAL, n, "unexpanded entity reference in <%s>", n->name);
        }
    }
    if (has_elem && meta) {
        return enc_fail(e, EAS_WBXML_EINVAL, n, "<%s> marked opaque has element children", n->name);
    }
    if (has_elem) {
        /* whitespace between elements is formatting, other text is kept */
        has_text = 0;
        for (xmlNodePtr c = n->children; c; c = c->next) {
            if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
                !is_ws_only(c->content)) {
                has_text = 1;
                break;
            }
        }
    }
    if (ob_reserve(&e->o, 4)) {
        return enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
    }
    if ((unsigned)page != e->page) {
        e->o.b[e->o.len++] = T_SWITCH_PAGE;
        e->o.b[e->o.len++] = (unsigned char)page;
        e->page = (unsigned)page;
    }
    if (!has_elem && !has_text) {
        e->o.b[e->o.len++] = (unsigned char)tok;
        return 0;
    }
    e->o.b[e->o.len++] = (unsigned char)(tok | CONTENT_BIT);
    if (has_elem) {
        *descend = 1;
        return 0;
    }
    kind = meta ? EAS_WBXML_BASE64 : kind_of(n, page, tok);
    if (kind != EAS_WBXML_TEXT) {
        int empty = 0, rc = enc_binary(e, n, kind, meta, &empty);
        if (rc) {
            return rc;
        }
        if (empty) {
            e->o.b[e->o.len - 1] = (unsigned char)tok; /* the tag was the last byte written */
            return 0;
        }
    } else {
        for (xmlNodePtr c = n->children; c; c = c->next) {
            if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
                c->content[0] && enc_str(e, c->content)) {
                return enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
            }
        }
    }
    if (ob_reserve(&e->o, 1)) {
        return enc_fail(e, EAS_WBXML_ENOMEM, n, "out of memory");
    }
    e->o.b[e->o.len++] = T_END;
    return 0;
}

int eas_wbxml_encode(xmlDocPtr doc, unsigned char **out, size_t *outlen, char *err, size_t errlen)
{
    enc e;
    xmlNodePtr root, n;
    int rc = 0, descend;

    *out = NULL;
    *outlen = 0;
    if (err && errlen) {
        err[0] = '\0';
    }
    memset(&e, 0, sizeof(e));
    e.err = err;
    e.errlen = errlen;
    root = doc ? xmlDocGetRootElement(doc) : NULL;
    if (!root) {
        set_err(err, errlen, "document has no root element");
        return EAS_WBXML_EINVAL;
    }
    if (ob_grow(&e.o, 4096)) {
        set_err(err, errlen, "out of memory");
        return EAS_WBXML_ENOMEM;
    }
    /* version 1.3, public id 1 (unknown), charset 106 (UTF-8), empty string table */
    e.o.b[0] = 0x03;
    e.o.b[1] = 0x01;
    e.o.b[2] = 0x6A;
    e.o.b[3] = 0x00;
    e.o.len = 4;

    n = root;
    if ((rc = enc_open(&e, n, &descend))) {
        goto fail;
    }
    if (descend) {
        xmlNodePtr c = n->children;
        for (;;) {
            while (c) {
                if (c->type == XML_ELEMENT_NODE) {
                    if ((rc = enc_open(&e, c, &descend))) {
                        goto fail;
                    }
                    if (descend) {
                        n = c;
                        c = c->children;
                        continue;
                    }
                } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                           c->content && !is_ws_only(c->content)) {
                    if (enc_str(&e, c->content)) {
                        rc = enc_fail(&e, EAS_WBXML_ENOMEM, c, "out of memory");
                        goto fail;
                    }
                }
                c = c->next;
            }
            /* children of n done */
            if (ob_reserve(&e.o, 1)) {
                rc = enc_fail(&e, EAS_WBXML_ENOMEM, n, "out of memory");
                goto fail;
            }
            e.o.b[e.o.len++] = T_END;
            if (n == root) {
                break;
            }
            c = n->next;
            n = n->parent;
        }
    }
    *out = e.o.b;
    *outlen = e.o.len;
    return EAS_WBXML_OK;
fail:
    free(e.o.b);
    return rc;
}
