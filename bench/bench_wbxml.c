/* bench_wbxml.c — decode/encode throughput of the mod_eas WBXML codec vs libwbxml (make
 * bench-wbxml).
 *
 * Documents are generated here (no files needed), three classes:
 *   small  Ping response + FolderSync response (alternating), a few hundred bytes
 *   sync   Sync response, 100 Email adds with HTML bodies of ~3 KB
 *   mime   ItemOperations Fetch response carrying a ~1 MB MIME body (Type 4)
 *
 * What each row measures (same documents, same run; MB/s over the input bytes of the operation):
 *   decode ours->tree   WBXML bytes -> libxml2 tree (what the server uses)
 *   decode ours->text   WBXML bytes -> libxml2 tree -> XML text (xmlDocDumpMemory)
 *   decode libwbxml     WBXML bytes -> XML text (wbxml_conv_wbxml2xml_run, compact, ACTIVESYNC)
 *   encode ours text    XML text -> libxml2 parse -> WBXML (like for like with libwbxml)
 *   encode ours tree    libxml2 tree -> WBXML (what the server does)
 *   encode libwbxml     XML text -> WBXML (wbxml_conv_xml2wbxml_run, no string table, no public id)
 * Both decoders read the same WBXML (ours; libwbxml's differs only in STR_I vs OPAQUE for MIME).
 * Ratios are ours/libwbxml throughput (> 1 means we are faster).
 *
 * Usage: bench_wbxml [seconds-per-measurement (default 0.5)]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <wbxml/wbxml.h>
#include <wbxml/wbxml_conv.h>

#include "eas_wbxml.h"

#define DOCTYPE                                                                                    \
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<!DOCTYPE ActiveSync PUBLIC \"-//MICROSOFT//DTD " \
    "ActiveSync//EN\" \"http://www.microsoft.com/\">\n"

typedef struct sbuf {
    char *b;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *s, const char *str)
{
    size_t n = strlen(str);
    if (s->len + n + 1 > s->cap) {
        s->cap = (s->len + n + 1) * 2;
        s->b = realloc(s->b, s->cap);
        if (!s->b) {
            abort();
        }
    }
    memcpy(s->b + s->len, str, n + 1);
    s->len += n;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

typedef struct doc {
    char *xml;
    size_t xml_len;
    unsigned char *wbxml;
    size_t wbxml_len;
    xmlDocPtr tree;
} doc;

typedef struct cls {
    const char *name;
    doc docs[2];
    int ndocs;
} cls;

static char *gen_small(int which)
{
    sbuf s = {0};
    sb_add(&s, DOCTYPE);
    if (which == 0) {
        sb_add(&s, "<Ping xmlns=\"Ping:\"><Status>2</Status><Folders><Folder>1</Folder>"
                   "<Folder>4</Folder><Folder>8</Folder></Folders></Ping>");
    } else {
        char line[256];
        sb_add(&s, "<FolderSync xmlns=\"FolderHierarchy:\"><Status>1</Status><SyncKey>1</SyncKey>"
                   "<Changes><Count>10</Count>");
        for (int i = 0; i < 10; i++) {
            snprintf(line, sizeof(line),
                     "<Add><ServerId>%d</ServerId><ParentId>0</ParentId><DisplayName>Folder %d"
                     "</DisplayName><Type>%d</Type></Add>",
                     i + 1, i + 1, i == 0 ? 2 : 12);
            sb_add(&s, line);
        }
        sb_add(&s, "</Changes></FolderSync>");
    }
    return s.b;
}

static char *gen_sync(void)
{
    sbuf s = {0};
    char line[1024];
    sb_add(&s, DOCTYPE);
    sb_add(&s, "<Sync xmlns=\"AirSync:\" xmlns:email=\"Email:\" xmlns:airsyncbase=\"AirSyncBase:\">"
               "<Collections><Collection><SyncKey>42</SyncKey><CollectionId>1</CollectionId>"
               "<Status>1</Status><Commands>");
    for (int i = 0; i < 100; i++) {
        snprintf(line, sizeof(line),
                 "<Add><ServerId>1:%d</ServerId><ApplicationData>"
                 "<email:To>\"Bob Example\" &lt;bob@example.org&gt;</email:To>"
                 "<email:From>\"Alice %d\" &lt;alice%d@example.org&gt;</email:From>"
                 "<email:Subject>Message number %d about the quarterly report</email:Subject>"
                 "<email:DateReceived>2025-03-01T10:%02d:00.000Z</email:DateReceived>"
                 "<email:Importance>1</email:Importance><email:Read>0</email:Read>"
                 "<airsyncbase:Body><airsyncbase:Type>2</airsyncbase:Type>"
                 "<airsyncbase:EstimatedDataSize>3000</airsyncbase:EstimatedDataSize>"
                 "<airsyncbase:Data>",
                 i + 1, i, i, i, i % 60);
        sb_add(&s, line);
        sb_add(&s, "&lt;html&gt;&lt;body&gt;");
        for (int p = 0; p < 25; p++) {
            sb_add(&s, "&lt;p&gt;Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do "
                       "eiusmod tempor incididunt ut labore.&lt;/p&gt;");
        }
        sb_add(&s, "&lt;/body&gt;&lt;/html&gt;</airsyncbase:Data></airsyncbase:Body>"
                   "<email:MessageClass>IPM.Note</email:MessageClass>"
                   "<email:InternetCPID>65001</email:InternetCPID>"
                   "<airsyncbase:NativeBodyType>2</airsyncbase:NativeBodyType>"
                   "</ApplicationData></Add>");
    }
    sb_add(&s, "</Commands></Collection></Collections></Sync>");
    return s.b;
}

static char *gen_mime(void)
{
    sbuf s = {0};
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[80];
    sb_add(&s, DOCTYPE);
    sb_add(&s, "<ItemOperations xmlns=\"ItemOperations:\" xmlns:airsync=\"AirSync:\" "
               "xmlns:airsyncbase=\"AirSyncBase:\" xmlns:email=\"Email:\"><Status>1</Status>"
               "<Response><Fetch><Status>1</Status><airsync:CollectionId>1</airsync:CollectionId>"
               "<airsync:ServerId>1:20</airsync:ServerId><airsync:Class>Email</airsync:Class>"
               "<Properties><email:Subject>Big attachment</email:Subject><airsyncbase:Body>"
               "<airsyncbase:Type>4</airsyncbase:Type><airsyncbase:Data>"
               "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: Big attachment\r\n"
               "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n"
               "Content-Type: text/plain\r\n\r\nSee attached.\r\n--b1\r\nContent-Type: "
               "application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n");
    for (int i = 0; i < 13500; i++) { /* 13500 lines of 76 base64 chars + CRLF ~ 1 MB */
        for (int j = 0; j < 76; j++) {
            line[j] = b64[(i * 7 + j * 13) & 63];
        }
        line[76] = '\r';
        line[77] = '\n';
        line[78] = '\0';
        sb_add(&s, line);
    }
    sb_add(&s, "--b1--</airsyncbase:Data></airsyncbase:Body></Properties></Fetch></Response>"
               "</ItemOperations>");
    return s.b;
}

static void prepare(doc *d, char *xml)
{
    char err[256];
    d->xml = xml;
    d->xml_len = strlen(xml);
    d->tree = xmlReadMemory(xml, (int)d->xml_len, NULL, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
    if (!d->tree || eas_wbxml_encode(d->tree, &d->wbxml, &d->wbxml_len, err, sizeof(err))) {
        fprintf(stderr, "bench: cannot prepare document: %s\n", err);
        exit(1);
    }
}

enum { D_OURS_TREE, D_OURS_TEXT, D_LIB, E_OURS_TEXT, E_OURS_TREE, E_LIB, NOPS };
static const char *op_name[NOPS] = {"decode ours->tree", "decode ours->text", "decode libwbxml",
                                    "encode ours text",  "encode ours tree",  "encode libwbxml"};

static int run_op(int op, doc *d)
{
    char err[256];
    switch (op) {
    case D_OURS_TREE:
    case D_OURS_TEXT: {
        xmlDocPtr t;
        if (eas_wbxml_decode(d->wbxml, d->wbxml_len, NULL, &t, err, sizeof(err))) {
            return -1;
        }
        if (op == D_OURS_TEXT) {
            xmlChar *x;
            int n;
            xmlDocDumpMemory(t, &x, &n);
            xmlFree(x);
        }
        xmlFreeDoc(t);
        return 0;
    }
    case D_LIB: {
        WBXMLConvWBXML2XML *conv = NULL;
        WB_UTINY *xml = NULL;
        WB_ULONG xlen = 0;
        WBXMLError rc;
        if (wbxml_conv_wbxml2xml_create(&conv) != WBXML_OK) {
            return -1;
        }
        wbxml_conv_wbxml2xml_set_language(conv, WBXML_LANG_ACTIVESYNC);
        wbxml_conv_wbxml2xml_set_gen_type(conv, WBXML_GEN_XML_COMPACT);
        rc = wbxml_conv_wbxml2xml_run(conv, d->wbxml, (WB_ULONG)d->wbxml_len, &xml, &xlen);
        wbxml_conv_wbxml2xml_destroy(conv);
        free(xml);
        return rc == WBXML_OK ? 0 : -1;
    }
    case E_OURS_TEXT:
    case E_OURS_TREE: {
        unsigned char *out;
        size_t olen;
        xmlDocPtr t = d->tree;
        int rc;
        if (op == E_OURS_TEXT) {
            t = xmlReadMemory(d->xml, (int)d->xml_len, NULL, NULL,
                              XML_PARSE_NONET | XML_PARSE_HUGE);
        }
        rc = t ? eas_wbxml_encode(t, &out, &olen, err, sizeof(err)) : -1;
        if (op == E_OURS_TEXT) {
            xmlFreeDoc(t);
        }
        if (rc) {
            return -1;
        }
        free(out);
        return 0;
    }
    case E_LIB: {
        WBXMLConvXML2WBXML *conv = NULL;
        WB_UTINY *out = NULL;
        WB_ULONG olen = 0;
        WBXMLError rc;
        if (wbxml_conv_xml2wbxml_create(&conv) != WBXML_OK) {
            return -1;
        }
        wbxml_conv_xml2wbxml_disable_string_table(conv);
        wbxml_conv_xml2wbxml_disable_public_id(conv);
        rc = wbxml_conv_xml2wbxml_run(conv, (WB_UTINY *)d->xml, (WB_ULONG)d->xml_len, &out, &olen);
        wbxml_conv_xml2wbxml_destroy(conv);
        free(out);
        return rc == WBXML_OK ? 0 : -1;
    }
    }
    return -1;
}

typedef struct result {
    double mbs, docs;
} result;

static result measure(int op, cls *c, double secs)
{
    double t0, t;
    long n = 0;
    size_t bytes = 0;
    result r;
    /* warm-up */
    for (int i = 0; i < c->ndocs; i++) {
        if (run_op(op, &c->docs[i])) {
            fprintf(stderr, "bench: %s failed on %s\n", op_name[op], c->name);
            exit(1);
        }
    }
    t0 = now();
    do {
        for (int i = 0; i < c->ndocs; i++) {
            run_op(op, &c->docs[i]);
            bytes += (op <= D_LIB) ? c->docs[i].wbxml_len : c->docs[i].xml_len;
            n++;
        }
        t = now() - t0;
    } while (t < secs);
    r.mbs = bytes / t / 1e6;
    r.docs = n / t;
    return r;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    cls classes[3] = {{"small", {{0}}, 2}, {"sync100", {{0}}, 1}, {"mime1MB", {{0}}, 1}};
    int fail = 0;

    xmlInitParser();
    prepare(&classes[0].docs[0], gen_small(0));
    prepare(&classes[0].docs[1], gen_small(1));
    prepare(&classes[1].docs[0], gen_sync());
    prepare(&classes[2].docs[0], gen_mime());

    printf("WBXML benchmark: mod_eas codec vs libwbxml %s, %.2f s per measurement\n",
           WBXML_LIB_VERSION, secs);
    for (int i = 0; i < 3; i++) {
        size_t xb = 0, wb = 0;
        for (int j = 0; j < classes[i].ndocs; j++) {
            xb += classes[i].docs[j].xml_len;
            wb += classes[i].docs[j].wbxml_len;
        }
        printf("  %-8s %d doc(s), XML %zu bytes, WBXML %zu bytes\n", classes[i].name,
               classes[i].ndocs, xb, wb);
    }
    printf("MB/s = input bytes (WBXML for decode, XML text for encode) per second\n\n");
    printf("%-8s %-18s %10s %12s\n", "class", "operation", "MB/s", "docs/s");
    for (int i = 0; i < 3; i++) {
        result r[NOPS];
        for (int op = 0; op < NOPS; op++) {
            r[op] = measure(op, &classes[i], secs);
            printf("%-8s %-18s %10.1f %12.0f\n", classes[i].name, op_name[op], r[op].mbs,
                   r[op].docs);
        }
        printf("%-8s ratio decode ours->tree/libwbxml %.1fx, ours->text/libwbxml %.1fx\n",
               classes[i].name, r[D_OURS_TREE].docs / r[D_LIB].docs,
               r[D_OURS_TEXT].docs / r[D_LIB].docs);
        printf("%-8s ratio encode ours text/libwbxml %.1fx, ours tree/libwbxml %.1fx\n\n",
               classes[i].name, r[E_OURS_TEXT].docs / r[E_LIB].docs,
               r[E_OURS_TREE].docs / r[E_LIB].docs);
        if (r[D_OURS_TEXT].docs < r[D_LIB].docs || r[E_OURS_TEXT].docs < r[E_LIB].docs) {
            fail = 1;
        }
    }
    printf("%s\n", fail ? "RESULT: slower than libwbxml on at least one like-for-like measurement"
                        : "RESULT: faster than libwbxml on every class (like for like)");
    for (int i = 0; i < 3; i++) {
        for (int j = 0; j < classes[i].ndocs; j++) {
            free(classes[i].docs[j].xml);
            free(classes[i].docs[j].wbxml);
            xmlFreeDoc(classes[i].docs[j].tree);
        }
    }
    xmlCleanupParser();
    return 0;
}
