/* eas-wbxml — EAS WBXML from the command line (tests, administrators, bug reports).
 *
 *   eas-wbxml decode [--hex] [-o OUT] [IN|-]   WBXML -> pretty-printed XML
 *   eas-wbxml encode [--hex] [-o OUT] [IN|-]   XML -> WBXML (--hex: write hex text instead)
 *   eas-wbxml dump   [--hex] [-o OUT] [IN|-]   token-level listing with offsets, pages and tokens
 *
 * --hex on decode/dump: the input is hex text (as pasted from a capture: whitespace, "0x", ':' and
 * ',' separators are ignored). Exit status 0 on success, 1 on invalid input, 2 on usage/IO errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "eas_codepages.h"
#include "eas_wbxml.h"

static const char *prog = "eas-wbxml";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s decode [--hex] [-o OUT] [IN|-]   WBXML -> XML (pretty-printed)\n"
            "       %s encode [--hex] [-o OUT] [IN|-]   XML -> WBXML (--hex: hex text output)\n"
            "       %s dump   [--hex] [-o OUT] [IN|-]   token listing (offset, page, token)\n"
            "  --hex   decode/dump: input is hex text (whitespace, 0x, ':' ',' ignored)\n"
            "  -o OUT  output file (default stdout)\n",
            prog, prog, prog);
}

static int read_all(const char *path, unsigned char **buf, size_t *len)
{
    FILE *f = (!path || strcmp(path, "-") == 0) ? stdin : fopen(path, "rb");
    size_t cap = 65536, n = 0;
    unsigned char *b;
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
        return -1;
    }
    b = malloc(cap);
    while (b) {
        size_t r = fread(b + n, 1, cap - n, f);
        n += r;
        if (n < cap) {
            if (ferror(f)) {
                fprintf(stderr, "%s: read error: %s\n", prog, strerror(errno));
                free(b);
                b = NULL;
            }
            break;
        }
        cap *= 2;
        {
            unsigned char *nb = realloc(b, cap);
            if (!nb) {
                free(b);
            }
            b = nb;
        }
    }
    if (f != stdin) {
        fclose(f);
    }
    if (!b) {
        return -1;
    }
    *buf = b;
    *len = n;
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* In place: hex text -> bytes. -1 on a stray character or an odd digit count. */
static int unhex(unsigned char *buf, size_t *len)
{
    size_t o = 0, i = 0, n = *len;
    int hi = -1;
    while (i < n) {
        int c = buf[i];
        int v;
        if (c == '0' && i + 1 < n && (buf[i + 1] == 'x' || buf[i + 1] == 'X') && hi < 0) {
            i += 2;
            continue;
        }
        if (isspace(c) || c == ':' || c == ',') {
            i++;
            continue;
        }
        v = hexval(c);
        if (v < 0) {
            fprintf(stderr, "%s: --hex: unexpected character '%c' at input offset %zu\n", prog, c,
                    i);
            return -1;
        }
        if (hi < 0) {
            hi = v;
        } else {
            buf[o++] = (unsigned char)(hi << 4 | v);
            hi = -1;
        }
        i++;
    }
    if (hi >= 0) {
        fprintf(stderr, "%s: --hex: odd number of hex digits\n", prog);
        return -1;
    }
    *len = o;
    return 0;
}

static FILE *open_out(const char *path)
{
    FILE *f;
    if (!path || strcmp(path, "-") == 0) {
        return stdout;
    }
    f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
    }
    return f;
}

static int close_out(FILE *f)
{
    int bad = ferror(f);
    if (f != stdout) {
        bad |= fclose(f) != 0;
    } else {
        bad |= fflush(f) != 0;
    }
    if (bad) {
        fprintf(stderr, "%s: write error\n", prog);
        return 2;
    }
    return 0;
}

static int cmd_decode(const unsigned char *buf, size_t len, const char *outpath)
{
    xmlDocPtr doc;
    char err[256];
    xmlChar *xml = NULL;
    int xlen = 0, rc;
    FILE *f;

    rc = eas_wbxml_decode(buf, len, NULL, &doc, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "%s: decode: %s (%s)\n", prog, err, eas_wbxml_strerror(rc));
        return 1;
    }
    xmlDocDumpFormatMemoryEnc(doc, &xml, &xlen, "UTF-8", 1);
    xmlFreeDoc(doc);
    if (!xml) {
        fprintf(stderr, "%s: decode: cannot serialize the document\n", prog);
        return 1;
    }
    if (!(f = open_out(outpath))) {
        xmlFree(xml);
        return 2;
    }
    fwrite(xml, 1, (size_t)xlen, f);
    xmlFree(xml);
    return close_out(f);
}

static int cmd_encode(const unsigned char *buf, size_t len, const char *outpath, int hex)
{
    xmlDocPtr doc;
    unsigned char *out;
    size_t olen;
    char err[256];
    int rc;
    FILE *f;

    if (len > INT32_MAX) {
        fprintf(stderr, "%s: encode: input too large\n", prog);
        return 1;
    }
    doc = xmlReadMemory((const char *)buf, (int)len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    if (!doc) {
        fprintf(stderr, "%s: encode: input is not well-formed XML\n", prog);
        return 1;
    }
    rc = eas_wbxml_encode(doc, &out, &olen, err, sizeof(err));
    xmlFreeDoc(doc);
    if (rc) {
        fprintf(stderr, "%s: encode: %s (%s)\n", prog, err, eas_wbxml_strerror(rc));
        return 1;
    }
    if (!(f = open_out(outpath))) {
        free(out);
        return 2;
    }
    if (hex) {
        for (size_t i = 0; i < olen; i++) {
            fprintf(f, "%02x%s", out[i], (i % 16 == 15 || i + 1 == olen) ? "\n" : " ");
        }
    } else {
        fwrite(out, 1, olen, f);
    }
    free(out);
    return close_out(f);
}

/* ---- dump: an independent, forgiving walk over the tokens (stops at the first error) ---- */

typedef struct dumper {
    const unsigned char *b;
    size_t len, pos;
    FILE *f;
} dumper;

static void dump_line(dumper *d, size_t start, unsigned depth, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void dump_line(dumper *d, size_t start, unsigned depth, const char *fmt, ...)
{
    char hex[3 * 8 + 4] = "";
    size_t n = d->pos - start, shown = n > 8 ? 8 : n, o = 0;
    va_list ap;
    for (size_t i = 0; i < shown; i++) {
        o += (size_t)snprintf(hex + o, sizeof(hex) - o, "%02x ", d->b[start + i]);
    }
    if (n > shown) {
        snprintf(hex + o, sizeof(hex) - o, "..");
    }
    fprintf(d->f, "%06zx  %-26s %*s", start, hex, (int)(depth * 2), "");
    va_start(ap, fmt);
    vfprintf(d->f, fmt, ap);
    va_end(ap);
    fputc('\n', d->f);
}

static int dump_mb(dumper *d, uint32_t *v)
{
    uint32_t x = 0;
    for (int i = 0; i < 5; i++) {
        unsigned c;
        if (d->pos >= d->len) {
            return -1;
        }
        c = d->b[d->pos++];
        if (x >> 25) {
            return -1;
        }
        x = (x << 7) | (c & 0x7F);
        if (!(c & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return -1;
}

static void preview(const unsigned char *s, size_t n, char *out, size_t outlen)
{
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < n && o + 6 < outlen; i++) {
        unsigned c = s[i];
        if (c == '"' || c == '\\') {
            o += (size_t)snprintf(out + o, outlen - o, "\\%c", c);
        } else if (c >= 0x20 && c < 0x7F) {
            out[o++] = (char)c;
        } else if (c == '\n') {
            o += (size_t)snprintf(out + o, outlen - o, "\\n");
        } else if (c == '\r') {
            o += (size_t)snprintf(out + o, outlen - o, "\\r");
        } else {
            o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
        }
        if (i + 1 < n && o + 6 >= outlen) {
            o += (size_t)snprintf(out + o, outlen - o, "...");
            break;
        }
    }
    if (o < outlen - 1) {
        out[o++] = '"';
    }
    out[o < outlen ? o : outlen - 1] = '\0';
}

static int cmd_dump(const unsigned char *buf, size_t len, const char *outpath)
{
    dumper d = {buf, len, 0, NULL};
    unsigned page = 0, depth = 0, stack_page[256];
    unsigned char stack_tok[256];
    int seen_root = 0, rc = 0;
    uint32_t v;
    size_t start;
    char pv[100];
    const char *why = NULL;

    if (!(d.f = open_out(outpath))) {
        return 2;
    }
    fprintf(d.f, "offset  bytes                      token\n");
    if (len < 1) {
        why = "empty input";
        goto bad;
    }
    start = d.pos++;
    dump_line(&d, start, 0, "version 1.%u", buf[0]);
    start = d.pos;
    if (dump_mb(&d, &v)) {
        why = "bad public id";
        goto bad;
    }
    dump_line(&d, start, 0, "public id %u", v);
    start = d.pos;
    if (dump_mb(&d, &v)) {
        why = "bad charset";
        goto bad;
    }
    dump_line(&d, start, 0, "charset %u%s", v, v == 106 ? " (UTF-8)" : "");
    start = d.pos;
    if (dump_mb(&d, &v)) {
        why = "bad string table length";
        goto bad;
    }
    dump_line(&d, start, 0, "string table length %u", v);
    if (v) {
        if (v > len - d.pos) {
            why = "string table runs past the end";
            goto bad;
        }
        d.pos += v;
    }
    while (d.pos < len) {
        unsigned tok;
        start = d.pos;
        tok = buf[d.pos++];
        switch (tok) {
        case 0x00:
            if (d.pos >= len) {
                why = "truncated SWITCH_PAGE";
                goto bad;
            }
            page = buf[d.pos++];
            dump_line(&d, start, depth, "SWITCH_PAGE %u (%s)", page,
                      page < EAS_CP_NPAGES && eas_cp_page_name[page] ? eas_cp_page_name[page]
                                                                     : "no such page");
            break;
        case 0x01:
            if (!depth) {
                why = "END without an open element";
                goto bad;
            }
            depth--;
            {
                unsigned p = stack_page[depth % 256], t = stack_tok[depth % 256];
                dump_line(&d, start, depth, "END </%s:%s>",
                          p < EAS_CP_NPAGES && eas_cp_page_name[p] ? eas_cp_page_name[p] : "?",
                          p < EAS_CP_NPAGES && eas_cp_tag[p][t] ? eas_cp_tag[p][t] : "?");
            }
            break;
        case 0x02:
            if (dump_mb(&d, &v)) {
                why = "bad ENTITY";
                goto bad;
            }
            dump_line(&d, start, depth, "ENTITY U+%04X", v);
            break;
        case 0x03: {
            const unsigned char *z = memchr(buf + d.pos, 0, len - d.pos);
            size_t n;
            if (!z) {
                why = "unterminated STR_I";
                goto bad;
            }
            n = (size_t)(z - (buf + d.pos));
            preview(buf + d.pos, n, pv, sizeof(pv));
            d.pos += n + 1;
            dump_line(&d, start, depth, "STR_I %zu bytes %s", n, pv);
            break;
        }
        case 0xC3:
            if (dump_mb(&d, &v)) {
                why = "bad OPAQUE length";
                goto bad;
            }
            if (v > len - d.pos) {
                why = "OPAQUE runs past the end";
                goto bad;
            }
            preview(buf + d.pos, v, pv, sizeof(pv));
            d.pos += v;
            dump_line(&d, start, depth, "OPAQUE %u bytes %s", v, pv);
            break;
        case 0x04:
        case 0x40:
        case 0x41:
        case 0x42:
        case 0x43:
        case 0x44:
        case 0x80:
        case 0x81:
        case 0x82:
        case 0x83:
        case 0x84:
        case 0xC0:
        case 0xC1:
        case 0xC2:
        case 0xC4:
            dump_line(&d, start, depth, "global token 0x%02X (not used by EAS)", tok);
            why = "unsupported global token";
            goto bad;
        default: {
            unsigned id = tok & 0x3F;
            const char *pn =
                page < EAS_CP_NPAGES && eas_cp_page_name[page] ? eas_cp_page_name[page] : "?";
            const char *tn =
                page < EAS_CP_NPAGES && eas_cp_tag[page][id] ? eas_cp_tag[page][id] : NULL;
            if (seen_root && !depth) {
                why = "data after the root element";
                d.pos = start;
                goto bad;
            }
            seen_root = 1;
            dump_line(&d, start, depth, "<%s:%s%s> page %u token 0x%02X%s%s", pn,
                      tn ? tn : "UNKNOWN", (tok & 0x40) ? "" : "/", page, id,
                      (tok & 0x40) ? " +content" : "", (tok & 0x80) ? " +attributes" : "");
            if (!tn) {
                why = "unknown tag";
                goto bad;
            }
            if (tok & 0x80) {
                why = "attributes are not used by EAS";
                goto bad;
            }
            if (tok & 0x40) {
                stack_page[depth % 256] = page;
                stack_tok[depth % 256] = (unsigned char)id;
                depth++;
            }
        }
        }
    }
    if (depth) {
        why = "truncated: elements not closed";
        goto bad;
    }
    fprintf(d.f, "%06zx  end (%zu bytes)\n", len, len);
    {
        /* the listing is forgiving; the verdict is the decoder's */
        xmlDocPtr doc;
        char err[256];
        int drc = eas_wbxml_decode(buf, len, NULL, &doc, err, sizeof(err));
        if (drc) {
            fprintf(d.f, "ERROR: %s\n", err);
            close_out(d.f);
            fprintf(stderr, "%s: dump: %s (%s)\n", prog, err, eas_wbxml_strerror(drc));
            return 1;
        }
        xmlFreeDoc(doc);
    }
    rc = close_out(d.f);
    return rc;
bad:
    fprintf(d.f, "%06zx  ERROR: %s\n", d.pos, why);
    close_out(d.f);
    fprintf(stderr, "%s: dump: offset %zu: %s\n", prog, d.pos, why);
    return 1;
}

int main(int argc, char **argv)
{
    const char *cmd, *in = NULL, *outpath = NULL;
    int hex = 0, rc;
    unsigned char *buf;
    size_t len;

    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    cmd = argv[1];
    if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "decode") && strcmp(cmd, "encode") && strcmp(cmd, "dump")) {
        fprintf(stderr, "%s: unknown command '%s'\n", prog, cmd);
        usage(stderr);
        return 2;
    }
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--hex") == 0) {
            hex = 1;
        } else if (strcmp(argv[i], "-o") == 0 && i + 1 < argc) {
            outpath = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "%s: unknown option '%s'\n", prog, argv[i]);
            usage(stderr);
            return 2;
        } else if (!in) {
            in = argv[i];
        } else {
            fprintf(stderr, "%s: more than one input file\n", prog);
            return 2;
        }
    }
    if (read_all(in, &buf, &len)) {
        return 2;
    }
    if (hex && strcmp(cmd, "encode") != 0 && unhex(buf, &len)) {
        free(buf);
        return 1;
    }
    if (strcmp(cmd, "decode") == 0) {
        rc = cmd_decode(buf, len, outpath);
    } else if (strcmp(cmd, "encode") == 0) {
        rc = cmd_encode(buf, len, outpath, hex);
    } else {
        rc = cmd_dump(buf, len, outpath);
    }
    free(buf);
    xmlCleanupParser();
    return rc;
}
