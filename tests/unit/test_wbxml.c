/* test_wbxml.c — unit tests of the WBXML codec: known bytes, round trips, OPAQUE rules, limits and
 * a table of malformed inputs (each must fail with the right code, never crash). Run under ASan in
 * `make fuzz` builds too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "tap.h"
#include "eas_codepages.h"
#include "eas_wbxml.h"

#define H "\x03\x01\x6a\x00"

static int dec(const char *buf, size_t len, xmlDocPtr *doc, char *err, size_t errlen)
{
    return eas_wbxml_decode((const unsigned char *)buf, len, NULL, doc, err, errlen);
}

static xmlDocPtr parse(const char *xml)
{
    return xmlReadMemory(xml, (int)strlen(xml), NULL, NULL, XML_PARSE_NONET);
}

/* XML -> WBXML; returns malloc'ed bytes or NULL */
static unsigned char *enc_xml(const char *xml, size_t *len, int *rc)
{
    xmlDocPtr doc = parse(xml);
    unsigned char *out = NULL;
    char err[256];
    *rc = doc ? eas_wbxml_encode(doc, &out, len, err, sizeof(err)) : -1;
    if (*rc > 0) {
        printf("# encode: %s\n", err);
    }
    xmlFreeDoc(doc);
    return out;
}

static int bytes_eq(const unsigned char *a, size_t alen, const char *b, size_t blen)
{
    if (alen != blen || memcmp(a, b, alen) != 0) {
        printf("# got:");
        for (size_t i = 0; i < alen; i++) {
            printf(" %02x", a[i]);
        }
        printf("\n");
        return 0;
    }
    return 1;
}

static void test_known_bytes(void)
{
    size_t len;
    int rc;
    unsigned char *w;
    /* FolderSync request, page 7 */
    w = enc_xml("<FolderSync xmlns=\"FolderHierarchy:\"><SyncKey>0</SyncKey></FolderSync>", &len,
                &rc);
    is_int(rc, EAS_WBXML_OK, "encode FolderSync");
    ok(w && bytes_eq(w, len,
                     H "\x00\x07\x56\x52\x03"
                       "0\x00\x01\x01",
                     13),
       "FolderSync bytes");
    free(w);
    /* schema-style namespace without colon, empty element, page switch back and forth */
    w = enc_xml("<Sync xmlns=\"AirSync\" xmlns:e=\"Email\"><Collections><e:Read>1</e:Read>"
                "<GetChanges/></Collections></Sync>",
                &len, &rc);
    is_int(rc, EAS_WBXML_OK, "encode Sync with Email");
    ok(w && bytes_eq(w, len,
                     H "\x45\x5c\x00\x02\x55\x03"
                       "1\x00\x01\x00\x00\x13\x01\x01",
                     18),
       "Sync bytes with SWITCH_PAGE");
    free(w);
}

static void test_decode_tree(void)
{
    /* <Sync><Status>1</Status><e:Subject>a&b</e:Subject></Sync> with ENTITY and two STR_I */
    static const char in[] = H "\x45\x4e\x03"
                               "1\x00\x01\x00\x02\x54\x03"
                               "a\x00\x02\x26\x03"
                               "b\x00\x01\x01";
    xmlDocPtr doc;
    char err[256];
    int rc = dec(in, sizeof(in) - 1, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "decode Sync");
    if (rc == 0) {
        xmlNodePtr root = xmlDocGetRootElement(doc), st = root->children, sub = st->next;
        is_str((const char *)root->name, "Sync", "root name");
        is_str((const char *)root->ns->href, "AirSync:", "root namespace");
        ok(root->ns->prefix == NULL, "root namespace is the default");
        is_str((const char *)sub->ns->href, "Email:", "Email namespace");
        is_str((const char *)sub->ns->prefix, "Email", "Email prefix");
        is_str((const char *)st->children->content, "1", "Status text");
        ok(sub->children && !sub->children->next, "STR_I + ENTITY + STR_I merged in one text");
        is_str((const char *)sub->children->content, "a&b", "merged text");
        xmlFreeDoc(doc);
    }
}

/* found by the fuzzer: a text run starting with ENTITY referenced a stack buffer */
static void test_fuzz_regressions(void)
{
    static const char ent[] = H "\x00\x07\x55\x4c\x03"
                                "1\x00\x01\x52\x02\x33\x00\x01\x01";
    static const char ent2[] = H "\x45\x4e\x02\x41\x03"
                                 "b\x00\x02\x43\x01\x01";
    /* crash-dc9879ce: ConversationId whose STR_I is only whitespace (empty base64) */
    static const char conv[] = H "\x00\x14\x45\x56\x58\x03\x09\x00\x01\x01\x01";
    /* crash-4fd30d4d: ConversationId OPAQUE followed by STR_I and an element */
    static const char conv2[] = H "\x00\x14\x45\x56\x58\xc3\x02\x4b\x32\x03"
                                  "7\x00\x48\x19\x01\x01\x01\x01";
    xmlDocPtr doc;
    unsigned char *out;
    size_t olen;
    int rc = dec(conv2, sizeof(conv2) - 1, &doc, NULL, 0);
    is_int(rc, EAS_WBXML_OK, "ConversationId OPAQUE + STR_I + element decodes");
    if (!rc) {
        xmlNodePtr c = xmlDocGetRootElement(doc)->children->children;
        ok(c->children && c->children->type == XML_TEXT_NODE && c->children->next &&
               c->children->next->type == XML_ELEMENT_NODE,
           "fuzz crash-4fd30d4d: base64 text and STR_I form one text node");
        xmlFreeDoc(doc);
    }
    rc = dec(ent, sizeof(ent) - 1, &doc, NULL, 0);
    is_int(rc, EAS_WBXML_EINVAL, "fuzz crash-5e026a12: ENTITY-only text, truncated: no overread");
    rc = dec(conv, sizeof(conv) - 1, &doc, NULL, 0);
    is_int(rc, EAS_WBXML_OK, "whitespace ConversationId decodes");
    if (!rc) {
        rc = eas_wbxml_encode(doc, &out, &olen, NULL, 0);
        ok(rc == 0 && bytes_eq(out, olen, H "\x00\x14\x45\x56\x18\x01\x01", 11),
           "fuzz crash-dc9879ce: empty base64 payload is an empty element");
        free(out);
        xmlFreeDoc(doc);
    }
    rc = dec(ent2, sizeof(ent2) - 1, &doc, NULL, 0);
    is_int(rc, EAS_WBXML_OK, "ENTITY STR_I ENTITY");
    if (!rc) {
        is_str((const char *)xmlDocGetRootElement(doc)->children->children->content, "AbC",
               "ENTITY STR_I ENTITY text");
        xmlFreeDoc(doc);
    }
}

static void test_opaque(void)
{
    xmlDocPtr doc;
    char err[256];
    unsigned char *out;
    size_t olen;
    int rc;
    /* ItemOperations/Status (page 20) holding binary OPAQUE */
    static const char bin[] = H "\x00\x14\x45\x4d\xc3\x03\x00\xff\x01\x01\x01";
    /* ComposeMail SendMail/Mime OPAQUE text */
    static const char mime[] = H "\x00\x15\x45\x50\xc3\x05"
                                 "a\r\nb!\x01\x01";
    /* Email2 ConversationId OPAQUE (base64 by protocol) */
    static const char conv[] = H "\x45\x00\x16\x49\xc3\x02\xab\xcd\x01\x01";

    rc = dec(bin, sizeof(bin) - 1, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "decode binary OPAQUE");
    if (!rc) {
        xmlNodePtr st = xmlDocGetRootElement(doc)->children;
        xmlChar *v =
            xmlGetNsProp(st, (const xmlChar *)"opaque", (const xmlChar *)EAS_WBXML_META_NS);
        is_str((const char *)v, "base64", "binary OPAQUE marked eas:opaque=base64");
        is_str((const char *)st->children->content, "AP8B", "binary OPAQUE as base64");
        xmlFree(v);
        is_int(eas_wbxml_is_opaque(st), EAS_WBXML_BASE64, "is_opaque: marked element");
        rc = eas_wbxml_encode(doc, &out, &olen, err, sizeof(err));
        ok(rc == 0 && bytes_eq(out, olen, bin, sizeof(bin) - 1), "binary OPAQUE re-encodes");
        free(out);
        xmlFreeDoc(doc);
    }
    rc = dec(mime, sizeof(mime) - 1, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "decode Mime OPAQUE");
    if (!rc) {
        xmlNodePtr m = xmlDocGetRootElement(doc)->children;
        is_str((const char *)m->children->content, "a\r\nb!", "textual OPAQUE is a text node");
        ok(m->properties == NULL, "textual OPAQUE not marked");
        is_int(eas_wbxml_is_opaque(m), EAS_WBXML_RAW, "is_opaque: ComposeMail:Mime");
        rc = eas_wbxml_encode(doc, &out, &olen, err, sizeof(err));
        ok(rc == 0 && bytes_eq(out, olen, mime, sizeof(mime) - 1), "Mime goes out as OPAQUE");
        free(out);
        xmlFreeDoc(doc);
    }
    rc = dec(conv, sizeof(conv) - 1, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "decode ConversationId");
    if (!rc) {
        xmlNodePtr c = xmlDocGetRootElement(doc)->children;
        is_str((const char *)c->children->content, "q80=", "ConversationId as base64");
        ok(c->properties == NULL, "ConversationId base64 by protocol, no marker");
        rc = eas_wbxml_encode(doc, &out, &olen, err, sizeof(err));
        ok(rc == 0 && bytes_eq(out, olen, conv, sizeof(conv) - 1), "ConversationId re-encodes");
        free(out);
        xmlFreeDoc(doc);
    }
    /* Body Type 4 Data is OPAQUE, Type 2 Data is STR_I */
    {
        size_t len;
        unsigned char *w =
            enc_xml("<Body xmlns=\"AirSyncBase:\"><Type>4</Type><Data>M</Data></Body>", &len, &rc);
        ok(w && bytes_eq(w, len,
                         H "\x00\x11\x4a\x46\x03"
                           "4\x00\x01\x4b\xc3\x01M\x01\x01",
                         18),
           "MIME body Data as OPAQUE");
        free(w);
        w = enc_xml("<Body xmlns=\"AirSyncBase:\"><Type>2</Type><Data>M</Data></Body>", &len, &rc);
        ok(w && bytes_eq(w, len,
                         H "\x00\x11\x4a\x46\x03"
                           "2\x00\x01\x4b\x03M\x00\x01\x01",
                         18),
           "HTML body Data as STR_I");
        free(w);
        w = enc_xml("<Status xmlns=\"ItemOperations:\" xmlns:eas=\"" EAS_WBXML_META_NS
                    "\" eas:opaque=\"base64\">!!</Status>",
                    &len, &rc);
        is_int(rc, EAS_WBXML_EINVAL, "invalid base64 under eas:opaque rejected");
        free(w);
    }
}

static void test_encode_errors(void)
{
    size_t len;
    int rc;
    unsigned char *w;
    w = enc_xml("<Sync xmlns=\"AirSync:\"><Nope/></Sync>", &len, &rc);
    is_int(rc, EAS_WBXML_EUNKNOWN, "unknown element");
    free(w);
    w = enc_xml("<Sync xmlns=\"urn:x\"/>", &len, &rc);
    is_int(rc, EAS_WBXML_EUNKNOWN, "unknown namespace");
    free(w);
    w = enc_xml("<Sync/>", &len, &rc);
    is_int(rc, EAS_WBXML_EUNKNOWN, "no namespace");
    free(w);
    w = enc_xml("<Sync xmlns=\"AirSync:\" a=\"1\"/>", &len, &rc);
    is_int(rc, EAS_WBXML_EUNKNOWN, "attribute");
    free(w);
    w = enc_xml("<Sync xmlns=\"AirSync:\"><!-- c --><?pi x?>  <Status>1</Status>\n</Sync>", &len,
                &rc);
    ok(rc == 0 && bytes_eq(w, len,
                           H "\x45\x4e\x03"
                             "1\x00\x01\x01",
                           11),
       "comments, PIs and formatting whitespace ignored");
    free(w);
}

typedef struct bad {
    const char *name;
    const char *buf;
    size_t len;
    int rc;
} bad;

#define B(name, s, rc)                                                                             \
    {                                                                                              \
        name, s, sizeof(s) - 1, rc                                                                 \
    }

static const bad bads[] = {
    B("empty", "", EAS_WBXML_EINVAL),
    B("header only", H, EAS_WBXML_EINVAL),
    B("truncated public id", "\x03\x81", EAS_WBXML_EINVAL),
    B("version 2.0", "\x20\x01\x6a\x00\x45\x01", EAS_WBXML_EINVAL),
    B("public id in string table", "\x03\x00\x00\x6a\x00\x45\x01", EAS_WBXML_EINVAL),
    B("charset latin1", "\x03\x01\x04\x00\x45\x01", EAS_WBXML_EINVAL),
    B("string table", "\x03\x01\x6a\x01\x00\x45\x01", EAS_WBXML_EINVAL),
    B("unknown tag 0x3f page 0", H "\x7f\x01", EAS_WBXML_EINVAL),
    B("unknown tag 0x04 (LITERAL)", H "\x04\x00\x01", EAS_WBXML_EINVAL),
    B("page 26", H "\x00\x1a\x45\x01", EAS_WBXML_EINVAL),
    B("page 255", H "\x00\xff\x45\x01", EAS_WBXML_EINVAL),
    B("retired page 3", H "\x00\x03\x45\x01", EAS_WBXML_EINVAL),
    B("truncated SWITCH_PAGE", H "\x45\x00", EAS_WBXML_EINVAL),
    B("attribute bit", H "\xc5\x01\x01", EAS_WBXML_EINVAL),
    B("attribute bit no content", H "\x85\x01", EAS_WBXML_EINVAL),
    B("missing END",
      H "\x45\x4e\x03"
        "1\x00\x01",
      EAS_WBXML_EINVAL),
    B("missing all END", H "\x45\x4e", EAS_WBXML_EINVAL),
    B("extra element after root", H "\x45\x01\x45\x01", EAS_WBXML_EINVAL),
    B("extra END after root", H "\x45\x01\x01", EAS_WBXML_EINVAL),
    B("SWITCH_PAGE after root", H "\x05\x00\x01", EAS_WBXML_EINVAL),
    B("STR_T", H "\x45\x83\x00\x01", EAS_WBXML_EINVAL),
    B("LITERAL_C", H "\x44\x00\x01", EAS_WBXML_EINVAL),
    B("LITERAL_A", H "\x84\x00\x01", EAS_WBXML_EINVAL),
    B("LITERAL_AC", H "\xc4\x00\x01", EAS_WBXML_EINVAL),
    B("EXT_I_0",
      H "\x45\x40"
        "a\x00\x01",
      EAS_WBXML_EINVAL),
    B("EXT_I_2",
      H "\x45\x42"
        "a\x00\x01",
      EAS_WBXML_EINVAL),
    B("EXT_T_1", H "\x45\x81\x00\x01", EAS_WBXML_EINVAL),
    B("EXT_0", H "\x45\xc0\x01", EAS_WBXML_EINVAL),
    B("EXT_2", H "\x45\xc2\x01", EAS_WBXML_EINVAL),
    B("PI before root", H "\x43\x05\x01\x45\x01", EAS_WBXML_EINVAL),
    B("PI in content", H "\x45\x43\x05\x01\x01", EAS_WBXML_EINVAL),
    B("unterminated STR_I",
      H "\x45\x03"
        "ab",
      EAS_WBXML_EINVAL),
    B("STR_I invalid UTF-8", H "\x45\x03\xc3\x28\x00\x01", EAS_WBXML_EINVAL),
    B("STR_I overlong UTF-8", H "\x45\x03\xc0\xaf\x00\x01", EAS_WBXML_EINVAL),
    B("STR_I surrogate UTF-8", H "\x45\x03\xed\xa0\x80\x00\x01", EAS_WBXML_EINVAL),
    B("truncated OPAQUE",
      H "\x45\xc3\x10"
        "ab",
      EAS_WBXML_EINVAL),
    B("OPAQUE length truncated", H "\x45\xc3\x81", EAS_WBXML_EINVAL),
    B("mb_u_int32 6 bytes", H "\x45\xc3\x80\x80\x80\x80\x80\x00\x01", EAS_WBXML_EINVAL),
    B("mb_u_int32 overflow", H "\x45\xc3\x90\x80\x80\x80\x00\x01", EAS_WBXML_EINVAL),
    B("mb_u_int32 header overflow", "\x03\xff\xff\xff\xff\x7f\x6a\x00\x45\x01", EAS_WBXML_EINVAL),
    B("ENTITY 0", H "\x45\x02\x00\x01", EAS_WBXML_EINVAL),
    B("ENTITY surrogate", H "\x45\x02\x83\xb0\x00\x01", EAS_WBXML_EINVAL),
    B("ENTITY > U+10FFFF", H "\x45\x02\xc4\x80\x80\x00\x01", EAS_WBXML_EINVAL),
    B("END before root", H "\x01", EAS_WBXML_EINVAL),
    B("STR_I before root",
      H "\x03"
        "a\x00\x45\x01",
      EAS_WBXML_EINVAL),
    B("OPAQUE before root", H "\xc3\x00\x45\x01", EAS_WBXML_EINVAL),
    B("ENTITY before root", H "\x02\x41\x45\x01", EAS_WBXML_EINVAL),
    B("only SWITCH_PAGE", H "\x00\x01", EAS_WBXML_EINVAL),
    B("binary OPAQUE then text",
      H "\x45\xc3\x01\xff\x03"
        "a\x00\x01",
      EAS_WBXML_EINVAL),
    B("text then binary OPAQUE",
      H "\x45\x03"
        "a\x00\xc3\x01\xff\x01",
      EAS_WBXML_EINVAL),
    B("binary OPAQUE then element", H "\x45\xc3\x01\xff\x4e\x01\x01", EAS_WBXML_EINVAL),
};

static void test_malformed(void)
{
    for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
        xmlDocPtr doc = (xmlDocPtr)1;
        char err[256] = "";
        /* copy into an exact-size heap buffer so ASan catches any overread */
        char *b = malloc(bads[i].len ? bads[i].len : 1);
        int rc;
        memcpy(b, bads[i].buf, bads[i].len);
        rc = dec(b, bads[i].len, &doc, err, sizeof(err));
        if (!ok(rc == bads[i].rc && doc == NULL && err[0], "malformed: %s", bads[i].name)) {
            printf("#   rc=%d err=%s\n", rc, err);
        }
        free(b);
    }
}

/* Every proper prefix of valid documents must be rejected (and never read past its end). */
static void test_truncation(void)
{
    static const char *docs[] = {
        "<Sync xmlns=\"AirSync:\" xmlns:e=\"Email:\" xmlns:b=\"AirSyncBase:\"><Collections>"
        "<Collection><SyncKey>1</SyncKey><Commands><Add><ServerId>1:1</ServerId><ApplicationData>"
        "<e:Subject>Hello</e:Subject><b:Body><b:Type>4</b:Type><b:Data>MIME text</b:Data></b:Body>"
        "</ApplicationData></Add></Commands></Collection></Collections></Sync>",
        "<SendMail xmlns=\"ComposeMail:\"><ClientId>1</ClientId><SaveInSentItems/><Mime>" /**/
        "From: a\r\n\r\nbody" /**/ "</Mime></SendMail>",
    };
    for (size_t d = 0; d < sizeof(docs) / sizeof(docs[0]); d++) {
        size_t len;
        int rc, all = 1;
        unsigned char *w = enc_xml(docs[d], &len, &rc);
        if (!ok(w != NULL, "encode truncation sample %zu", d)) {
            continue;
        }
        for (size_t cut = 0; cut < len; cut++) {
            xmlDocPtr doc;
            unsigned char *b = malloc(cut ? cut : 1);
            memcpy(b, w, cut);
            rc = eas_wbxml_decode(b, cut, NULL, &doc, NULL, 0);
            if (rc != EAS_WBXML_EINVAL || doc) {
                printf("# cut at %zu: rc=%d\n", cut, rc);
                all = 0;
                xmlFreeDoc(doc);
            }
            free(b);
        }
        ok(all, "sample %zu: all %zu truncations rejected", d, len);
        {
            xmlDocPtr doc;
            rc = eas_wbxml_decode(w, len, NULL, &doc, NULL, 0);
            is_int(rc, EAS_WBXML_OK, "untruncated sample decodes");
            xmlFreeDoc(doc);
        }
        free(w);
    }
}

static void test_limits(void)
{
    eas_wbxml_limits lim;
    xmlDocPtr doc;
    char err[256];
    int rc;
    unsigned char *b;
    size_t n;

    eas_wbxml_limits_default(&lim);
    is_int(lim.max_depth, 64, "default depth 64");
    is_int(lim.max_input, 64 * 1024 * 1024, "default input 64 MiB");

    /* depth: 65 nested Collections in a Sync */
    b = malloc(4 + 1 + 70 * 2 + 4);
    memcpy(b, H, 4);
    n = 4;
    b[n++] = 0x45;
    for (int i = 0; i < 70; i++) {
        b[n++] = 0x5c;
    }
    for (int i = 0; i < 71; i++) {
        b[n++] = 0x01;
    }
    rc = eas_wbxml_decode(b, n, NULL, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "depth 71 > 64 rejected");
    lim.max_depth = 100;
    rc = eas_wbxml_decode(b, n, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "depth 71 accepted with max_depth 100");
    xmlFreeDoc(doc);
    free(b);

    eas_wbxml_limits_default(&lim);
    lim.max_tags = 3;
    rc = dec(H "\x45\x0e\x0e\x0e\x01", 9, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "4 tags within defaults");
    xmlFreeDoc(doc);
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\x0e\x0e\x0e\x01", 9, &lim, &doc, err,
                          sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "4 tags > max_tags 3");

    eas_wbxml_limits_default(&lim);
    lim.max_string = 3;
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\x03"
                                                   "abcd\x00\x01",
                          12, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "STR_I 4 > max_string 3");
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\x03"
                                                   "abc\x00\x01",
                          11, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "STR_I 3 == max_string");
    xmlFreeDoc(doc);
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\xc3\x04"
                                                   "abcd\x01",
                          11, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "OPAQUE 4 > max_string 3");
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\x03"
                                                   "ab\x00\x03"
                                                   "cd\x00\x01",
                          14, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "merged text 4 > max_string 3");
    /* a huge announced OPAQUE is refused before any allocation */
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\xc3\x8f\xff\xff\xff\x7f\x01", 12, NULL,
                          &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "OPAQUE of 4 GiB refused by the string limit");

    eas_wbxml_limits_default(&lim);
    lim.max_input = 5;
    rc = eas_wbxml_decode((const unsigned char *)H "\x05", 5, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_OK, "input == max_input");
    xmlFreeDoc(doc);
    rc = eas_wbxml_decode((const unsigned char *)H "\x45\x01", 6, &lim, &doc, err, sizeof(err));
    is_int(rc, EAS_WBXML_ELIMIT, "input > max_input");
    ok(strstr(err, "offset") != NULL, "error message names the offset");
}

static void test_codepages(void)
{
    int all = 1, n = 0;
    for (unsigned p = 0; p < EAS_CP_NPAGES; p++) {
        for (unsigned t = 0; t < 64; t++) {
            const char *name = eas_cp_tag[p][t];
            if (name) {
                n++;
                if (eas_cp_token(p, name, strlen(name)) != (int)t) {
                    all = 0;
                    printf("# page %u token %u %s\n", p, t, name);
                }
            }
        }
    }
    ok(all && n > 500, "perfect hash finds all %d tags", n);
    is_int(eas_cp_token(0, "Nope", 4), -1, "unknown tag -1");
    is_int(eas_cp_page_by_ns("Find:"), 25, "Find is page 25");
    is_int(eas_cp_page_by_ns("AirSyncBase"), 17, "schema-style namespace");
    is_int(eas_cp_page_by_ns("AirNotify:"), -1, "retired page 3 not mapped");
}

int main(void)
{
    test_codepages();
    test_known_bytes();
    test_decode_tree();
    test_fuzz_regressions();
    test_opaque();
    test_encode_errors();
    test_malformed();
    test_truncation();
    test_limits();
    xmlCleanupParser();
    return tap_done();
}
