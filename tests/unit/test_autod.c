/* Unit tests of the Autodiscover core (eas_autod.h): the POX request parser against good requests
 * and hostile ones (billion laughs, XXE, DOCTYPEs, malformed bodies — with nothing on stderr),
 * every response document re-parsed and checked element by element (and the mobilesync and error
 * ones validated against Microsoft's XSDs), JSON escaping, autoconfig, and the name, port and
 * address helpers. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "eas_autod.h"
#include "tap.h"

#define VALIDATE_XML "../shared/eas-reference/validate-xml"
#define XML_DECL     "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"

static apr_pool_t *pool;
static char tmpdir[] = "/tmp/test_autod.XXXXXX";

/* --- helpers ------------------------------------------------------------------------------- */

static int parse(const char *body, eas_ad_request *r, const char **why)
{
    return eas_ad_parse_request(pool, body, strlen(body), r, why);
}

/* A request in the mobilesync namespace with these two values. */
static const char *ms_request(const char *email, const char *schema)
{
    return apr_psprintf(pool,
                        "<Autodiscover xmlns=\"%s\"><Request><EMailAddress>%s</EMailAddress>"
                        "<AcceptableResponseSchema>%s</AcceptableResponseSchema></Request>"
                        "</Autodiscover>",
                        EAS_AD_NS_MS_REQ, email, schema);
}

static xmlDocPtr reparse(const char *s)
{
    return s ? xmlReadMemory(s, (int)strlen(s), NULL, NULL,
                             XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)
             : NULL;
}

/* An XPath context with the prefixes r: 2006, m: mobilesync, o: Outlook response. */
static xmlXPathContextPtr xpath_ctx(xmlDocPtr doc)
{
    xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
    xmlXPathRegisterNs(ctx, BAD_CAST "r", BAD_CAST EAS_AD_NS_RESPONSE);
    xmlXPathRegisterNs(ctx, BAD_CAST "m", BAD_CAST EAS_AD_NS_MS_RESP);
    xmlXPathRegisterNs(ctx, BAD_CAST "o", BAD_CAST EAS_AD_NS_OL_RESP);
    return ctx;
}

/* The string value of an XPath expression (r: 2006, m: mobilesync, o: Outlook response). */
static const char *xp(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr res;
    xmlChar *s;
    const char *out = NULL;

    if (!doc) {
        return NULL;
    }
    ctx = xpath_ctx(doc);
    res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    if (res) {
        s = xmlXPathCastToString(res);
        out = apr_pstrdup(pool, (const char *)s);
        xmlFree(s);
        xmlXPathFreeObject(res);
    }
    xmlXPathFreeContext(ctx);
    return out;
}

/* Local names of the element children of the first node expr selects, comma-separated. */
static const char *kids(xmlDocPtr doc, const char *expr)
{
    xmlXPathContextPtr ctx;
    xmlXPathObjectPtr res;
    xmlNodePtr c;
    const char *out = NULL;

    if (!doc) {
        return NULL;
    }
    ctx = xpath_ctx(doc);
    res = xmlXPathEvalExpression(BAD_CAST expr, ctx);
    if (res && res->nodesetval && res->nodesetval->nodeNr > 0) {
        out = "";
        for (c = res->nodesetval->nodeTab[0]->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                out = apr_pstrcat(pool, out, *out ? "," : "", (const char *)c->name, NULL);
            }
        }
    }
    xmlXPathFreeObject(res);
    xmlXPathFreeContext(ctx);
    return out;
}

/* s for a test name: control characters shown as '?' so that TAP stays one line per test */
static const char *printable(const char *s)
{
    char *out = apr_pstrdup(pool, s), *c;

    for (c = out; *c; ++c) {
        if ((unsigned char)*c < ' ' || *c == 0x7f) {
            *c = '?';
        }
    }
    return out;
}

static int starts_with(const char *s, const char *prefix)
{
    return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

/* stderr into a file, to prove the parser prints nothing whatever it is fed */
static int saved_stderr = -1;
static const char *stderr_path;

static void capture_stderr(void)
{
    int fd;

    stderr_path = apr_pstrcat(pool, tmpdir, "/stderr", NULL);
    fflush(stderr);
    saved_stderr = dup(2);
    fd = open(stderr_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 2);
    close(fd);
}

/* Bytes written to stderr since capture_stderr(). */
static long release_stderr(void)
{
    struct stat st;

    fflush(stderr);
    dup2(saved_stderr, 2);
    close(saved_stderr);
    return stat(stderr_path, &st) == 0 ? (long)st.st_size : -1;
}

/* --- the request parser ---------------------------------------------------------------------- */

static void test_parse_good(void)
{
    eas_ad_request r;
    const char *why = "unset";
    const char *body;

    body =
        apr_psprintf(pool,
                     "<Autodiscover xmlns=\"%s\">\n  <Request>\n    <EMailAddress>\n\t "
                     "jane.doe@Example.COM \t\r\n</EMailAddress>\n    <AcceptableResponseSchema> "
                     "%s\n</AcceptableResponseSchema>\n  </Request>\n</Autodiscover>\n",
                     EAS_AD_NS_MS_REQ, EAS_AD_NS_MS_RESP);
    is_int(parse(body, &r, &why), 0, "mobilesync request parses");
    ok(why == NULL, "why is NULL on success");
    is_str(r.email, "jane.doe@Example.COM", "email trimmed, case kept");
    is_str(r.schema, EAS_AD_NS_MS_RESP, "schema trimmed");
    is_int(r.kind, EAS_AD_SCHEMA_MOBILESYNC, "kind mobilesync");

    /* as iOS sends it: declaration, default namespace */
    body = apr_psprintf(pool,
                        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Autodiscover xmlns=\"%s\">"
                        "<Request><EMailAddress>a@b.example</EMailAddress>"
                        "<AcceptableResponseSchema>%s</AcceptableResponseSchema></Request>"
                        "</Autodiscover>",
                        EAS_AD_NS_MS_REQ, EAS_AD_NS_MS_RESP);
    is_int(parse(body, &r, NULL), 0, "request with XML declaration parses (why NULL allowed)");
    is_str(r.email, "a@b.example", "email with declaration");

    /* prefixed namespace */
    body =
        apr_psprintf(pool,
                     "<?xml version=\"1.0\"?><ad:Autodiscover xmlns:ad=\"%s\"><ad:Request>"
                     "<ad:EMailAddress>p@x.example</ad:EMailAddress><ad:AcceptableResponseSchema>"
                     "%s</ad:AcceptableResponseSchema></ad:Request></ad:Autodiscover>",
                     EAS_AD_NS_MS_REQ, EAS_AD_NS_MS_RESP);
    is_int(parse(body, &r, &why), 0, "prefixed namespace parses");
    is_str(r.email, "p@x.example", "prefixed email");
    is_int(r.kind, EAS_AD_SCHEMA_MOBILESYNC, "prefixed kind");

    /* Outlook for Windows, with its LegacyDN (ignored) */
    body = apr_psprintf(pool,
                        "<?xml version=\"1.0\" encoding=\"utf-8\"?><Autodiscover xmlns=\"%s\">"
                        "<Request><EMailAddress>o@x.example</EMailAddress><LegacyDN>/o=x</LegacyDN>"
                        "<AcceptableResponseSchema>%s</AcceptableResponseSchema></Request>"
                        "</Autodiscover>",
                        EAS_AD_NS_OL_REQ, EAS_AD_NS_OL_RESP);
    is_int(parse(body, &r, &why), 0, "Outlook request parses");
    is_str(r.email, "o@x.example", "Outlook email");
    is_int(r.kind, EAS_AD_SCHEMA_OUTLOOK, "kind Outlook");

    /* the response schema decides, not the request namespace */
    body =
        apr_psprintf(pool,
                     "<Autodiscover xmlns=\"%s\"><Request><EMailAddress>o@x.example</EMailAddress>"
                     "<AcceptableResponseSchema>%s</AcceptableResponseSchema></Request>"
                     "</Autodiscover>",
                     EAS_AD_NS_OL_REQ, EAS_AD_NS_MS_RESP);
    is_int(parse(body, &r, &why), 0, "Outlook root asking mobilesync parses");
    is_int(r.kind, EAS_AD_SCHEMA_MOBILESYNC, "kind follows AcceptableResponseSchema");

    is_int(parse(ms_request("a@b.example", "http://example.com/other/schema"), &r, &why), 0,
           "unknown schema parses");
    is_int(r.kind, EAS_AD_SCHEMA_OTHER, "unknown schema: kind OTHER");
    is_str(r.schema, "http://example.com/other/schema", "unknown schema kept for the log");
    is_int(parse(ms_request("a@b.example",
                            "HTTP://schemas.microsoft.com/exchange/autodiscover/mobilesync/"
                            "responseschema/2006"),
                 &r, &why),
           0, "schema differing in case parses");
    is_int(r.kind, EAS_AD_SCHEMA_OTHER, "schema compared case-sensitively");
    is_int(parse(ms_request("a@b.example", EAS_AD_NS_OL_RESP "/"), &r, &why), 0,
           "schema with trailing slash parses");
    is_int(r.kind, EAS_AD_SCHEMA_OTHER, "schema compared exactly");

    /* text forms: predefined entity, character reference, CDATA, a comment */
    is_int(
        parse(ms_request(" <![CDATA[o'b&c]]>&amp;&#x64;<!-- x -->@x.example ", EAS_AD_NS_MS_RESP),
              &r, &why),
        0, "CDATA, entity, char ref and comment parse");
    is_str(r.email, "o'b&c&d@x.example", "text forms joined");

    /* many pieces (text between comments) are joined in one copy */
    {
        char *pieces = apr_palloc(pool, 20000 * 8 + 1), *q = pieces;
        int i;

        for (i = 0; i < 20000; ++i, q += 8) {
            memcpy(q, "a<!---->", 8);
        }
        *q = '\0';
        is_int(parse(ms_request(apr_pstrcat(pool, pieces, "@x.example", NULL), EAS_AD_NS_MS_RESP),
                     &r, &why),
               0, "20000 comment-separated pieces parse");
        ok(r.email && strlen(r.email) == 20000 + 10 && r.email[19999] == 'a' &&
               strcmp(r.email + 20000, "@x.example") == 0,
           "pieces joined in order");
    }

    /* a byte-order mark and a declared legacy encoding end up as UTF-8 */
    body = apr_pstrcat(pool, "\xef\xbb\xbf", ms_request("bom@x.example", EAS_AD_NS_MS_RESP), NULL);
    is_int(parse(body, &r, &why), 0, "UTF-8 BOM accepted");
    body = apr_pstrcat(pool, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>",
                       ms_request("caf\xe9@x.example", EAS_AD_NS_MS_RESP), NULL);
    is_int(parse(body, &r, &why), 0, "ISO-8859-1 request parses");
    is_str(r.email, "caf\xc3\xa9@x.example", "ISO-8859-1 text converted to UTF-8");
}

/* A body the parser must refuse; the output is zeroed and why says something. */
static void refused(const char *name, const char *body, apr_size_t len, const char *why_has)
{
    eas_ad_request r;
    const char *why = NULL;
    int rc;

    memset(&r, 0x5a, sizeof(r));
    rc = eas_ad_parse_request(pool, body, len, &r, &why);
    ok(rc == -1 && r.email == NULL && r.schema == NULL && why && *why &&
           (!why_has || strstr(why, why_has)),
       "refused: %s", name);
    if (rc != -1 || !why || (why_has && !strstr(why, why_has))) {
        printf("#   rc %d, why '%s'\n", rc, why ? why : "(null)");
    }
}

#define refused_s(name, body, why_has) refused(name, body, strlen(body), why_has)

static void test_parse_hostile(void)
{
    static const char laughs[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Autodiscover [\n"
        " <!ENTITY lol \"lol\">\n"
        " <!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\n"
        " <!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">\n"
        " <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">\n"
        " <!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">\n"
        " <!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">\n"
        " <!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">\n"
        " <!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">\n"
        " <!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">\n"
        " <!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">\n"
        "]>\n<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request><EMailAddress>&lol9;"
        "</EMailAddress><AcceptableResponseSchema>" EAS_AD_NS_MS_RESP
        "</AcceptableResponseSchema></Request></Autodiscover>";
    static const char xxe[] =
        "<?xml version=\"1.0\"?>\n<!DOCTYPE Autodiscover [\n"
        " <!ENTITY xxe SYSTEM \"file:///etc/passwd\">\n"
        "]>\n<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request><EMailAddress>&xxe;"
        "</EMailAddress><AcceptableResponseSchema>" EAS_AD_NS_MS_RESP
        "</AcceptableResponseSchema></Request></Autodiscover>";
    static const char nul[] = "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request>"
                              "<EMailAddress>a@b.example\0</EMailAddress>"
                              "<AcceptableResponseSchema>" EAS_AD_NS_MS_RESP
                              "</AcceptableResponseSchema></Request></Autodiscover>";
    const char *good = ms_request("a@b.example", EAS_AD_NS_MS_RESP);
    eas_ad_request r;
    const char *why = NULL;
    long errbytes;
    int rc;

    capture_stderr();

    refused_s("billion laughs", laughs, "DOCTYPE");

    rc = parse(xxe, &r, &why);
    ok(rc == -1 && why && strstr(why, "DOCTYPE"), "refused: XXE internal subset (%s)",
       why ? why : "-");
    ok(!strstr(why ? why : "", "root:") && r.email == NULL, "XXE: /etc/passwd never read");
    refused_s("external DTD file:///etc/passwd",
              "<!DOCTYPE Autodiscover SYSTEM \"file:///etc/passwd\"><Autodiscover "
              "xmlns=\"" EAS_AD_NS_MS_REQ
              "\"><Request><EMailAddress>a@b.example</EMailAddress><AcceptableResponseSchema>"
              "x</AcceptableResponseSchema></Request></Autodiscover>",
              "DOCTYPE");
    refused_s("external DTD over http",
              "<!DOCTYPE Autodiscover PUBLIC \"-//X//Y\" \"http://127.0.0.1:9/x.dtd\">"
              "<Autodiscover/>",
              "DOCTYPE");
    refused_s("parameter entity",
              "<!DOCTYPE a [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]><a/>", "DOCTYPE");
    refused_s("plain DOCTYPE", apr_pstrcat(pool, "<!DOCTYPE Autodiscover>", good, NULL), "DOCTYPE");
    refused_s("empty internal subset", apr_pstrcat(pool, "<!DOCTYPE Autodiscover []>", good, NULL),
              "DOCTYPE");
    refused_s("undeclared entity", ms_request("&xxe;@b.example", EAS_AD_NS_MS_RESP), NULL);

    refused_s("malformed: mismatched tags",
              "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request></Autodiscover></Request>",
              "not well-formed");
    refused("truncated", good, strlen(good) - 10, "not well-formed");
    refused("truncated to one byte", good, 1, "not well-formed");
    refused("empty body", "", 0, "empty");
    refused("NULL body", NULL, 0, "empty");
    refused_s("white space only", " \r\n\t", "not well-formed");
    refused_s("not XML", "EMailAddress=a@b.example", "not well-formed");
    refused_s("two roots", apr_pstrcat(pool, good, "<x/>", NULL), "not well-formed");
    refused("NUL byte inside", nul, sizeof(nul) - 1, "NUL");
    refused("trailing NUL", good, strlen(good) + 1, "NUL");
    refused_s("invalid UTF-8", ms_request("a\xff@b.example", EAS_AD_NS_MS_RESP), "not well-formed");
    refused_s("bad bytes for the declared encoding",
              apr_pstrcat(pool, "<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>",
                          ms_request("\x81\xff\x81@b.example", EAS_AD_NS_MS_RESP), NULL),
              NULL);
    refused_s("unknown encoding", "<?xml version=\"1.0\" encoding=\"x-bogus\"?><Autodiscover/>",
              NULL);
    refused_s("undefined prefix", "<a:Autodiscover><a:Request/></a:Autodiscover>", NULL);
    refused_s("control character reference", ms_request("a&#1;@b.example", EAS_AD_NS_MS_RESP),
              "not well-formed");

    refused_s("wrong root",
              "<Discover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request><EMailAddress>a@b.example"
              "</EMailAddress><AcceptableResponseSchema>x</AcceptableResponseSchema></Request>"
              "</Discover>",
              "root");
    refused_s("no namespace",
              "<Autodiscover><Request><EMailAddress>a@b.example</EMailAddress>"
              "<AcceptableResponseSchema>x</AcceptableResponseSchema></Request></Autodiscover>",
              "namespace");
    refused_s("response namespace",
              "<Autodiscover xmlns=\"" EAS_AD_NS_MS_RESP "\"><Request><EMailAddress>a@b.example"
              "</EMailAddress><AcceptableResponseSchema>x</AcceptableResponseSchema></Request>"
              "</Autodiscover>",
              "namespace");
    refused_s("namespace differing in case",
              "<Autodiscover xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/MobileSync/"
              "requestschema/2006\"><Request><EMailAddress>a@b.example</EMailAddress>"
              "<AcceptableResponseSchema>x</AcceptableResponseSchema></Request></Autodiscover>",
              "namespace");
    refused_s("Request in another namespace",
              "<a:Autodiscover xmlns:a=\"" EAS_AD_NS_MS_REQ "\"><Request><EMailAddress>a@b.example"
              "</EMailAddress><AcceptableResponseSchema>x</AcceptableResponseSchema></Request>"
              "</a:Autodiscover>",
              "no Request");
    refused_s("no Request", "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"/>", "no Request");
    refused_s("two Requests",
              apr_psprintf(pool, "<Autodiscover xmlns=\"%s\"><Request/><Request/></Autodiscover>",
                           EAS_AD_NS_MS_REQ),
              "more than one Request");
    refused_s("no EMailAddress",
              "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request><AcceptableResponseSchema>"
              "x</AcceptableResponseSchema></Request></Autodiscover>",
              "no EMailAddress");
    refused_s("no AcceptableResponseSchema",
              "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request><EMailAddress>a@b.example"
              "</EMailAddress></Request></Autodiscover>",
              "no AcceptableResponseSchema");
    refused_s("EMailAddress outside Request",
              "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><EMailAddress>a@b.example"
              "</EMailAddress><Request><AcceptableResponseSchema>x</AcceptableResponseSchema>"
              "</Request></Autodiscover>",
              "no EMailAddress");
    refused_s("empty EMailAddress", ms_request("", EAS_AD_NS_MS_RESP), "empty EMailAddress");
    refused_s("blank EMailAddress", ms_request(" \n\t ", EAS_AD_NS_MS_RESP), "empty EMailAddress");
    refused_s("self-closing EMailAddress",
              "<Autodiscover xmlns=\"" EAS_AD_NS_MS_REQ "\"><Request><EMailAddress/>"
              "<AcceptableResponseSchema>x</AcceptableResponseSchema></Request></Autodiscover>",
              "empty EMailAddress");
    refused_s("empty AcceptableResponseSchema", ms_request("a@b.example", "  "),
              "empty AcceptableResponseSchema");
    refused_s("element inside EMailAddress", ms_request("<b>a@b.example</b>", EAS_AD_NS_MS_RESP),
              "element content");
    refused_s("two EMailAddress",
              ms_request("a@b.example</EMailAddress><EMailAddress>c@d.example", EAS_AD_NS_MS_RESP),
              "more than one EMailAddress");

    errbytes = release_stderr();
    is_int(errbytes, 0, "nothing written to stderr by any refused request");
}

/* --- response documents ---------------------------------------------------------------------- */

/* validate-xml (Microsoft's XSDs through xmllint) on these documents; skipped when the reference
 * material or xmllint is not installed. */
static void validates(const char *name, const char *const *docs, int n, int want_ok)
{
    const char *files = "", *out, *cmd;
    int i, rc;
    FILE *f;
    char line[512];

    if (access(VALIDATE_XML, X_OK) != 0 || system("command -v xmllint >/dev/null 2>&1") != 0) {
        ok(1, "# skip %s: " VALIDATE_XML " or xmllint missing", name);
        return;
    }
    for (i = 0; i < n; ++i) {
        const char *path = apr_psprintf(pool, "%s/doc%d.xml", tmpdir, i);
        f = fopen(path, "w");
        if (f) {
            fputs(docs[i] ? docs[i] : "", f);
            fclose(f);
        }
        files = apr_pstrcat(pool, files, " ", path, NULL);
    }
    out = apr_pstrcat(pool, tmpdir, "/validate.out", NULL);
    cmd = apr_psprintf(pool, "sh %s%s >%s 2>&1", VALIDATE_XML, files, out);
    rc = system(cmd);
    ok(want_ok ? rc == 0 : rc != 0, "%s %s the XSDs", name,
       want_ok ? "validate against" : "violate");
    if (want_ok ? rc != 0 : rc == 0) {
        f = fopen(out, "r");
        while (f && fgets(line, sizeof(line), f)) {
            printf("#   %s", line);
        }
        if (f) {
            fclose(f);
        }
    }
    for (i = 0; i < n; ++i) {
        unlink(apr_psprintf(pool, "%s/doc%d.xml", tmpdir, i));
    }
    unlink(out);
}

static void test_error_doc(void)
{
    /* 1970-01-04 13:04:05.123456 UTC */
    apr_time_t t = apr_time_from_sec(3 * 86400 + 13 * 3600 + 4 * 60 + 5) + 123456;
    const char *s = eas_ad_error_doc(pool, 600, "Invalid Request", NULL, t, 4242);
    xmlDocPtr doc;

    is_str(s,
           XML_DECL "<Autodiscover xmlns=\"" EAS_AD_NS_RESPONSE "\"><Response><Error "
                    "Time=\"13:04:05.1234560\" Id=\"4242\"><ErrorCode>600</ErrorCode><Message>"
                    "Invalid Request</Message><DebugData/></Error></Response></Autodiscover>\n",
           "error 600 document, exactly");

    s = eas_ad_error_doc(pool, 601, "Requested schema version not supported", "a<b & \"c\">", t,
                         4294967295u);
    doc = reparse(s);
    ok(doc != NULL, "error 601 document well-formed");
    is_str(xp(doc, "string(/r:Autodiscover/r:Response/r:Error/r:ErrorCode)"), "601",
           "error 601 ErrorCode");
    is_str(xp(doc, "string(/r:Autodiscover/r:Response/r:Error/r:Message)"),
           "Requested schema version not supported", "error 601 Message");
    is_str(xp(doc, "string(/r:Autodiscover/r:Response/r:Error/r:DebugData)"), "a<b & \"c\">",
           "DebugData escaped and round-trips");
    is_str(xp(doc, "string(/r:Autodiscover/r:Response/r:Error/@Id)"), "4294967295", "Id unsigned");
    is_str(kids(doc, "/r:Autodiscover/r:Response/r:Error"), "ErrorCode,Message,DebugData",
           "error children in XSD order");
    xmlFreeDoc(doc);

    {
        const char *docs[] = {eas_ad_error_doc(pool, 600, "Invalid Request", NULL, t, 1), s,
                              eas_ad_error_doc(pool, 500, "x", "y", apr_time_now(), 7)};
        validates("error documents", docs, 3, 1);
    }
}

static void test_mobilesync_docs(void)
{
    eas_ad_settings s;
    const char *d, *ms = "/r:Autodiscover/m:Response";
    xmlDocPtr doc;

    memset(&s, 0, sizeof(s));
    s.domain = "example.com";
    s.eas_url = "https://mail.example.com/Microsoft-Server-ActiveSync";
    s.order[0] = EAS_AD_ACTIVESYNC;
    s.norder = 1;

    d = eas_ad_mobilesync_doc(pool, "Jane Doe", "jane@example.com", &s);
    is_str(d,
           XML_DECL
           "<Autodiscover xmlns=\"" EAS_AD_NS_RESPONSE "\"><Response xmlns=\"" EAS_AD_NS_MS_RESP
           "\"><Culture>en:us</Culture><User><DisplayName>Jane Doe</DisplayName>"
           "<EMailAddress>jane@example.com</EMailAddress></User><Action><Settings><Server>"
           "<Type>MobileSync</Type><Url>https://mail.example.com/Microsoft-Server-ActiveSync"
           "</Url><Name>https://mail.example.com/Microsoft-Server-ActiveSync</Name>"
           "</Server></Settings></Action></Response></Autodiscover>\n",
           "mobilesync settings, exactly");

    d = eas_ad_mobilesync_doc(pool, NULL, "jane@example.com", &s);
    doc = reparse(d);
    is_str(kids(doc, "/r:Autodiscover/m:Response/m:User"), "EMailAddress",
           "no DisplayName when NULL");
    xmlFreeDoc(doc);

    /* escaping: markup characters, a URL with '&', bytes XML cannot carry */
    s.eas_url = "https://mail.example.com/Microsoft-Server-ActiveSync?a=1&b=<2>";
    d = eas_ad_mobilesync_doc(pool, "J. \"<Doe>\" & Co \x01\xff", "o'b&<x>\"@example.com", &s);
    ok(starts_with(d, XML_DECL), "mobilesync starts with the declaration");
    ok(d && !strstr(d, "<Doe>") && strstr(d, "&amp; Co"), "display name escaped in the text");
    doc = reparse(d);
    ok(doc != NULL, "escaped mobilesync document well-formed");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:User/m:DisplayName)", NULL)),
           "J. \"<Doe>\" & Co \xef\xbf\xbd\xef\xbf\xbd",
           "display name round-trips, bad bytes U+FFFD");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:User/m:EMailAddress)", NULL)),
           "o'b&<x>\"@example.com", "email round-trips");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:Action/m:Settings/m:Server/m:Url)", NULL)),
           s.eas_url, "Url round-trips");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:Action/m:Settings/m:Server/m:Name)", NULL)),
           s.eas_url, "Name is the URL");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:Culture)", NULL)), "en:us", "Culture");
    xmlFreeDoc(doc);

    d = eas_ad_mobilesync_redirect_doc(pool, "jane@old.example", "jane@example.com");
    is_str(d,
           XML_DECL "<Autodiscover xmlns=\"" EAS_AD_NS_RESPONSE
                    "\"><Response xmlns=\"" EAS_AD_NS_MS_RESP
                    "\"><Culture>en:us</Culture><User><EMailAddress>jane@old.example"
                    "</EMailAddress></User><Action><Redirect>jane@example.com</Redirect></Action>"
                    "</Response></Autodiscover>\n",
           "mobilesync redirect, exactly");

    d = eas_ad_mobilesync_error_doc(pool, "x&y@example.com", 500,
                                    "The e-mail <address> is unknown");
    doc = reparse(d);
    ok(doc != NULL, "mobilesync error well-formed");
    is_str(kids(doc, "/r:Autodiscover/m:Response"), "Culture,User,Action", "error: Response shape");
    is_str(kids(doc, "/r:Autodiscover/m:Response/m:Action/m:Error"),
           "Status,Message,DebugData,ErrorCode", "error: Action/Error shape");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:Action/m:Error/m:Status)", NULL)), "2",
           "error Status 2");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:Action/m:Error/m:ErrorCode)", NULL)), "500",
           "error ErrorCode 500");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:Action/m:Error/m:Message)", NULL)),
           "The e-mail <address> is unknown", "error Message escaped");
    is_str(xp(doc, apr_pstrcat(pool, "string(", ms, "/m:User/m:EMailAddress)", NULL)),
           "x&y@example.com", "error EMailAddress");
    xmlFreeDoc(doc);

    {
        const char *docs[] = {
            eas_ad_mobilesync_doc(pool, "Jane Doe", "jane@example.com", &s),
            eas_ad_mobilesync_doc(pool, NULL, "jane@example.com", &s),
            eas_ad_mobilesync_redirect_doc(pool, "jane@old.example", "jane@example.com"),
            eas_ad_mobilesync_error_doc(pool, "jane@example.com", 500, "unknown"),
            eas_ad_mobilesync_doc(pool, "J. \"<Doe>\" & Co \x01\xff", "o'b&<x>\"@example.com", &s)};
        validates("mobilesync documents", docs, 5, 1);
        /* the validator is not vacuous: an element the schema lacks is refused */
        docs[0] = XML_DECL "<Autodiscover xmlns=\"" EAS_AD_NS_RESPONSE
                           "\"><Response xmlns=\"" EAS_AD_NS_MS_RESP
                           "\"><Culture>en:us</Culture><Bogus/></Response></Autodiscover>\n";
        validates("a mobilesync document with <Bogus/>", docs, 1, 0);
    }
}

static void mail_settings(eas_ad_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->domain = "example.com";
    s->eas_url = "https://mail.example.com/Microsoft-Server-ActiveSync";
    s->server[EAS_AD_IMAP] = (eas_ad_server){"imap.example.com", 993, EAS_AD_SSL};
    s->server[EAS_AD_POP3] = (eas_ad_server){"pop.example.com", 110, EAS_AD_PLAIN};
    s->server[EAS_AD_SMTP] = (eas_ad_server){"smtp.example.com", 587, EAS_AD_STARTTLS};
    s->order[0] = EAS_AD_IMAP;
    s->order[1] = EAS_AD_SMTP;
    s->order[2] = EAS_AD_ACTIVESYNC;
    s->order[3] = EAS_AD_POP3;
    s->norder = 4;
}

static void test_outlook_docs(void)
{
    eas_ad_settings s;
    const char *d, *acc = "/r:Autodiscover/o:Response/o:Account";
    xmlDocPtr doc;

#define P(i, el) apr_psprintf(pool, "string(%s/o:Protocol[%d]/o:%s)", acc, i, el)
    mail_settings(&s);
    d = eas_ad_outlook_doc(pool, "Jane <Doe>", "jane@example.com", &s);
    ok(starts_with(d, XML_DECL "<Autodiscover xmlns=\"" EAS_AD_NS_RESPONSE
                               "\"><Response xmlns=\"" EAS_AD_NS_OL_RESP "\">"),
       "Outlook: declaration, 2006 root, 2006a Response");
    doc = reparse(d);
    ok(doc != NULL, "Outlook document well-formed");
    is_str(kids(doc, "/r:Autodiscover/o:Response"), "User,Account", "Outlook Response shape");
    is_str(kids(doc, "/r:Autodiscover/o:Response/o:User"), "DisplayName,AutoDiscoverSMTPAddress",
           "Outlook User shape");
    is_str(xp(doc, "string(/r:Autodiscover/o:Response/o:User/o:DisplayName)"), "Jane <Doe>",
           "Outlook DisplayName escaped");
    is_str(xp(doc, "string(/r:Autodiscover/o:Response/o:User/o:AutoDiscoverSMTPAddress)"),
           "jane@example.com", "AutoDiscoverSMTPAddress");
    is_str(kids(doc, acc), "AccountType,Action,Protocol,Protocol,Protocol",
           "one Protocol per mail server, none for ActiveSync");
    is_str(xp(doc, apr_pstrcat(pool, "string(", acc, "/o:AccountType)", NULL)), "email",
           "AccountType email");
    is_str(xp(doc, apr_pstrcat(pool, "string(", acc, "/o:Action)", NULL)), "settings",
           "Action settings");
    is_str(apr_pstrcat(pool, xp(doc, P(1, "Type")), ",", xp(doc, P(2, "Type")), ",",
                       xp(doc, P(3, "Type")), NULL),
           "IMAP,SMTP,POP3", "Protocols in s->order");
    is_str(kids(doc, apr_pstrcat(pool, acc, "/o:Protocol[1]", NULL)),
           "Type,Server,Port,DomainRequired,LoginName,SPA,SSL,Encryption,AuthRequired",
           "IMAP Protocol shape");
    is_str(kids(doc, apr_pstrcat(pool, acc, "/o:Protocol[2]", NULL)),
           "Type,Server,Port,DomainRequired,LoginName,SPA,SSL,Encryption,AuthRequired,UsePOPAuth,"
           "SMTPLast",
           "SMTP Protocol shape");
    is_str(xp(doc, P(1, "Server")), "imap.example.com", "IMAP Server");
    is_str(xp(doc, P(1, "Port")), "993", "IMAP Port");
    is_str(xp(doc, P(1, "LoginName")), "jane@example.com", "LoginName is the address");
    is_str(xp(doc, P(1, "SSL")), "on", "IMAP SSL on");
    is_str(xp(doc, P(1, "Encryption")), "SSL", "IMAP Encryption SSL");
    is_str(xp(doc, P(1, "DomainRequired")), "off", "DomainRequired off");
    is_str(xp(doc, P(1, "SPA")), "off", "SPA off");
    is_str(xp(doc, P(1, "AuthRequired")), "on", "AuthRequired on");
    is_str(xp(doc, P(2, "Port")), "587", "SMTP Port");
    is_str(xp(doc, P(2, "SSL")), "on", "STARTTLS: SSL on");
    is_str(xp(doc, P(2, "Encryption")), "TLS", "STARTTLS: Encryption TLS");
    is_str(xp(doc, P(2, "UsePOPAuth")), "on", "SMTP UsePOPAuth on");
    is_str(xp(doc, P(2, "SMTPLast")), "off", "SMTP SMTPLast off");
    is_str(xp(doc, P(3, "SSL")), "off", "plain: SSL off");
    is_str(xp(doc, P(3, "Encryption")), "None", "plain: Encryption None");
    is_str(xp(doc, P(3, "Port")), "110", "POP3 Port");
    xmlFreeDoc(doc);

    s.login_localpart = 1;
    d = eas_ad_outlook_doc(pool, NULL, "jane.doe@example.com", &s);
    doc = reparse(d);
    is_str(kids(doc, "/r:Autodiscover/o:Response/o:User"), "AutoDiscoverSMTPAddress",
           "Outlook without DisplayName");
    is_str(apr_pstrcat(pool, xp(doc, P(1, "LoginName")), ",", xp(doc, P(2, "LoginName")), NULL),
           "jane.doe,jane.doe", "LoginName is the local part");
    xmlFreeDoc(doc);

    /* ActiveSync only: no Protocol at all (the module answers 601 before asking) */
    s.order[0] = EAS_AD_ACTIVESYNC;
    s.norder = 1;
    doc = reparse(eas_ad_outlook_doc(pool, NULL, "jane@example.com", &s));
    is_str(kids(doc, acc), "AccountType,Action", "ActiveSync only: no Protocol");
    xmlFreeDoc(doc);

    d = eas_ad_outlook_redirect_doc(pool, "jane&co@example.com");
    is_str(d,
           XML_DECL "<Autodiscover xmlns=\"" EAS_AD_NS_RESPONSE
                    "\"><Response xmlns=\"" EAS_AD_NS_OL_RESP
                    "\"><Account><AccountType>email</AccountType><Action>redirectAddr</Action>"
                    "<RedirectAddr>jane&amp;co@example.com</RedirectAddr></Account></Response>"
                    "</Autodiscover>\n",
           "Outlook redirectAddr, exactly");
#undef P
}

static void test_json(void)
{
    is_str(
        eas_ad_json_doc(pool, "ActiveSync", "https://mail.example.com/Microsoft-Server-ActiveSync"),
        "{\"Protocol\":\"ActiveSync\",\"Url\":\"https://mail.example.com/Microsoft-Server-"
        "ActiveSync\"}",
        "json ActiveSync");
    is_str(eas_ad_json_doc(pool, "AutodiscoverV1", "https://h/autodiscover/autodiscover.xml"),
           "{\"Protocol\":\"AutodiscoverV1\",\"Url\":\"https://h/autodiscover/autodiscover.xml\"}",
           "json AutodiscoverV1");
    is_str(eas_ad_json_error(pool, "InvalidProtocol", "The given protocol value is invalid."),
           "{\"ErrorCode\":\"InvalidProtocol\",\"ErrorMessage\":\"The given protocol value is "
           "invalid.\"}",
           "json error");
    is_str(eas_ad_json_error(pool, "X\"\\", "a\nb\tc\x01\x1f/\xc3\xa9\xe2\x82\xac"),
           "{\"ErrorCode\":\"X\\\"\\\\\",\"ErrorMessage\":\"a\\u000ab\\u0009c\\u0001\\u001f/"
           "\xc3\xa9\xe2\x82\xac\"}",
           "json escapes quotes, backslash, controls; keeps UTF-8");
    is_str(eas_ad_json_error(pool, "E", "bad \xff byte"),
           "{\"ErrorCode\":\"E\",\"ErrorMessage\":\"bad \xef\xbf\xbd byte\"}",
           "json: a byte that is not UTF-8 becomes U+FFFD");
    is_str(eas_ad_json_doc(pool, NULL, NULL), "{\"Protocol\":\"\",\"Url\":\"\"}", "json NULLs");
}

static void test_autoconfig(void)
{
    eas_ad_settings s;
    const char *d, *ep = "/clientConfig/emailProvider";
    xmlDocPtr doc;

    mail_settings(&s);
    s.provider_name = "Example <Mail> & Co";
    s.provider_short = "Example";
    d = eas_ad_autoconfig_doc(pool, &s);
    ok(starts_with(d, XML_DECL "<clientConfig version=\"1.1\"><emailProvider id=\"example.com\">"),
       "autoconfig header");
    doc = reparse(d);
    ok(doc != NULL, "autoconfig well-formed");
    is_str(kids(doc, ep),
           "domain,displayName,displayShortName,incomingServer,outgoingServer,incomingServer,"
           "incomingServer",
           "autoconfig servers in s->order");
    is_str(xp(doc, "string(/clientConfig/emailProvider/domain)"), "example.com", "domain");
    is_str(xp(doc, "string(/clientConfig/emailProvider/displayName)"), "Example <Mail> & Co",
           "displayName escaped");
    is_str(xp(doc, "string(/clientConfig/emailProvider/displayShortName)"), "Example",
           "displayShortName");
    is_str(xp(doc, "concat(/clientConfig/emailProvider/*[4]/@type, ',',"
                   " /clientConfig/emailProvider/*[5]/@type, ',',"
                   " /clientConfig/emailProvider/*[6]/@type, ',',"
                   " /clientConfig/emailProvider/*[7]/@type)"),
           "imap,smtp,activesync,pop3", "server types in order");
    is_str(kids(doc, "/clientConfig/emailProvider/*[4]"),
           "hostname,port,socketType,authentication,username", "imap server shape");
    is_str(xp(doc, "concat(/clientConfig/emailProvider/*[4]/hostname, ':',"
                   " /clientConfig/emailProvider/*[4]/port, ' ',"
                   " /clientConfig/emailProvider/*[4]/socketType, ' ',"
                   " /clientConfig/emailProvider/*[4]/authentication, ' ',"
                   " /clientConfig/emailProvider/*[4]/username)"),
           "imap.example.com:993 SSL password-cleartext %EMAILADDRESS%", "imap server values");
    is_str(xp(doc, "concat(/clientConfig/emailProvider/outgoingServer/hostname, ':',"
                   " /clientConfig/emailProvider/outgoingServer/port, ' ',"
                   " /clientConfig/emailProvider/outgoingServer/socketType)"),
           "smtp.example.com:587 STARTTLS", "smtp server values");
    is_str(xp(doc, "string(/clientConfig/emailProvider/*[7]/socketType)"), "plain",
           "pop3 socketType plain");
    is_str(kids(doc, "/clientConfig/emailProvider/*[6]"), "url,username,authentication",
           "activesync server shape");
    is_str(xp(doc, "concat(/clientConfig/emailProvider/*[6]/url, ' ',"
                   " /clientConfig/emailProvider/*[6]/username, ' ',"
                   " /clientConfig/emailProvider/*[6]/authentication)"),
           "https://mail.example.com/Microsoft-Server-ActiveSync %EMAILADDRESS% basic",
           "activesync server values");
    xmlFreeDoc(doc);

    s.login_localpart = 1;
    s.provider_name = NULL;
    s.provider_short = NULL;
    s.order[0] = EAS_AD_ACTIVESYNC;
    s.order[1] = EAS_AD_SMTP;
    s.norder = 2;
    doc = reparse(eas_ad_autoconfig_doc(pool, &s));
    is_str(kids(doc, ep), "domain,displayName,displayShortName,incomingServer,outgoingServer",
           "ActiveSync first when ordered so");
    is_str(xp(doc, "concat(/clientConfig/emailProvider/displayName, ',',"
                   " /clientConfig/emailProvider/displayShortName)"),
           "example.com,example.com", "provider names default to the domain");
    is_str(xp(doc, "concat(/clientConfig/emailProvider/*[4]/username, ',',"
                   " /clientConfig/emailProvider/*[5]/username)"),
           "%EMAILLOCALPART%,%EMAILLOCALPART%", "LoginName LocalPart: %EMAILLOCALPART%");
    xmlFreeDoc(doc);

    s.provider_name = "Only Name";
    doc = reparse(eas_ad_autoconfig_doc(pool, &s));
    is_str(xp(doc, "string(/clientConfig/emailProvider/displayShortName)"), "Only Name",
           "displayShortName defaults to the provider name");
    xmlFreeDoc(doc);
}

/* --- helpers: names, ports, addresses ------------------------------------------------------- */

static void test_names(void)
{
    static const struct {
        const char *name;
        int want;
    } protos[] = {{"ActiveSync", EAS_AD_ACTIVESYNC},
                  {"activesync", EAS_AD_ACTIVESYNC},
                  {"IMAP", EAS_AD_IMAP},
                  {"imap", EAS_AD_IMAP},
                  {"POP3", EAS_AD_POP3},
                  {"Pop", EAS_AD_POP3},
                  {"smtp", EAS_AD_SMTP},
                  {"IMAP4", -1},
                  {"", -1},
                  {"EAS", -1}},
      sockets[] = {{"SSL", EAS_AD_SSL},
                   {"tls", EAS_AD_SSL},
                   {"STARTTLS", EAS_AD_STARTTLS},
                   {"starttls", EAS_AD_STARTTLS},
                   {"plain", EAS_AD_PLAIN},
                   {"None", EAS_AD_PLAIN},
                   {"", -1},
                   {"SSLv3", -1}};
    static const int ports[EAS_AD_NPROTO][3] = {
        {993, 143, 143}, {995, 110, 110}, {465, 587, 25}, {443, 443, 80}};
    eas_ad_settings s;
    size_t i;
    int p, k, bad = 0;

    for (i = 0; i < sizeof(protos) / sizeof(protos[0]); ++i) {
        is_int(eas_ad_proto_parse(protos[i].name), protos[i].want,
               apr_psprintf(pool, "proto_parse '%s'", protos[i].name));
    }
    is_int(eas_ad_proto_parse(NULL), -1, "proto_parse NULL");
    is_str(apr_pstrcat(pool, eas_ad_proto_name(EAS_AD_IMAP), ",", eas_ad_proto_name(EAS_AD_POP3),
                       ",", eas_ad_proto_name(EAS_AD_SMTP), ",",
                       eas_ad_proto_name(EAS_AD_ACTIVESYNC), NULL),
           "IMAP,POP3,SMTP,ActiveSync", "proto names");
    for (p = 0; p < EAS_AD_NPROTO; ++p) {
        bad += eas_ad_proto_parse(eas_ad_proto_name((eas_ad_proto)p)) != p;
    }
    is_int(bad, 0, "proto name round-trips");
    for (i = 0; i < sizeof(sockets) / sizeof(sockets[0]); ++i) {
        is_int(eas_ad_socket_parse(sockets[i].name), sockets[i].want,
               apr_psprintf(pool, "socket_parse '%s'", sockets[i].name));
    }
    is_int(eas_ad_socket_parse(NULL), -1, "socket_parse NULL");
    for (bad = 0, p = 0; p < EAS_AD_NPROTO; ++p) {
        for (k = 0; k < 3; ++k) {
            if (eas_ad_default_port((eas_ad_proto)p, (eas_ad_socket)k) != ports[p][k]) {
                printf("#   %s/%d: %d\n", eas_ad_proto_name((eas_ad_proto)p), k,
                       eas_ad_default_port((eas_ad_proto)p, (eas_ad_socket)k));
                ++bad;
            }
        }
    }
    is_int(bad, 0, "default ports");

    mail_settings(&s);
    s.norder = 2; /* IMAP, SMTP */
    ok(eas_ad_advertises(&s, EAS_AD_IMAP) && eas_ad_advertises(&s, EAS_AD_SMTP) &&
           !eas_ad_advertises(&s, EAS_AD_ACTIVESYNC) && !eas_ad_advertises(&s, EAS_AD_POP3),
       "advertises only what is in order[0..norder)");
    s.norder = 0;
    ok(!eas_ad_advertises(&s, EAS_AD_IMAP), "advertises nothing with norder 0");
}

static void test_domains(void)
{
    static const char *const good[] = {
        "example.com",           "EXAMPLE.com", "a",           "x-y.example",
        "xn--bcher-kva.example", "1.2.3.4",     "a.b.c.d.e.f", "localhost"};
    static const char *const bad[] = {"",
                                      ".example.com",
                                      "example.com.",
                                      "a..b",
                                      "-a.com",
                                      "a-.com",
                                      "a.-b.com",
                                      "exa mple.com",
                                      "exa_mple.com",
                                      "b\xc3\xbc"
                                      "cher.example",
                                      "[1.2.3.4]",
                                      "a@b.com",
                                      "example.com:443"};
    char label64[80], longname[300];
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        ok(eas_ad_valid_domain(good[i]) == 1, "valid domain '%s'", good[i]);
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ok(eas_ad_valid_domain(bad[i]) == 0, "invalid domain '%s'", printable(bad[i]));
    }
    ok(eas_ad_valid_domain(NULL) == 0, "invalid domain NULL");
    memset(label64, 'a', 63);
    strcpy(label64 + 63, ".com");
    ok(eas_ad_valid_domain(label64) == 1, "63-character label valid");
    memset(label64, 'a', 64);
    strcpy(label64 + 64, ".com");
    ok(eas_ad_valid_domain(label64) == 0, "64-character label invalid");
    /* 4 x (62 + '.') + 1 = 253 characters */
    for (i = 0; i < 4; ++i) {
        memset(longname + i * 63, 'b', 62);
        longname[i * 63 + 62] = '.';
    }
    strcpy(longname + 252, "c");
    ok(eas_ad_valid_domain(longname) == 1, "253-character name valid");
    strcpy(longname + 252, "cd");
    ok(eas_ad_valid_domain(longname) == 0, "254-character name invalid");
}

static void test_addresses(void)
{
    static const struct {
        const char *addr, *local, *domain;
    } good[] = {
        {"jane@example.com", "jane", "example.com"},
        {"Jane.Doe@Mail.EXAMPLE.com", "Jane.Doe", "mail.example.com"},
        {"o'brien+tag@example.com", "o'brien+tag", "example.com"},
        {"a!#$%&*/=?^_`{|}~-@x.example", "a!#$%&*/=?^_`{|}~-", "x.example"},
        {"x@localhost", "x", "localhost"},
    };
    static const char *const bad[] = {"",
                                      "jane",
                                      "@example.com",
                                      "jane@",
                                      "jane@@example.com",
                                      "ja@ne@example.com",
                                      "ja ne@example.com",
                                      "jane@exa mple.com",
                                      "\"jane\"@example.com",
                                      "<jane@example.com>",
                                      "jane(x)@example.com",
                                      "a,b@example.com",
                                      "a;b@example.com",
                                      "a\\b@example.com",
                                      "a\tb@example.com",
                                      "a\x7f@example.com",
                                      "caf\xc3\xa9@example.com",
                                      "jane@example.com.",
                                      "jane@-example.com",
                                      "jane@[127.0.0.1]",
                                      "a:b@example.com",
                                      " jane@example.com",
                                      "jane@example.com ",
                                      "jane@example.com\n"};
    const char *local, *domain;
    char longlocal[80];
    size_t i;
    int rc;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        local = domain = NULL;
        rc = eas_ad_split_address(pool, good[i].addr, &local, &domain);
        ok(rc == 0 && local && domain && strcmp(local, good[i].local) == 0 &&
               strcmp(domain, good[i].domain) == 0,
           "address '%s' -> '%s' @ '%s'", good[i].addr, local ? local : "-", domain ? domain : "-");
    }
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); ++i) {
        ok(eas_ad_split_address(pool, bad[i], &local, &domain) == -1, "not an address: '%s'",
           printable(bad[i]));
    }
    ok(eas_ad_split_address(pool, NULL, &local, &domain) == -1, "not an address: NULL");
    memset(longlocal, 'l', 64);
    strcpy(longlocal + 64, "@x.example");
    ok(eas_ad_split_address(pool, longlocal, &local, &domain) == 0, "64-character local part");
    memset(longlocal, 'l', 65);
    strcpy(longlocal + 65, "@x.example");
    ok(eas_ad_split_address(pool, longlocal, &local, &domain) == -1,
       "65-character local part refused");
    ok(eas_ad_split_address(pool, "a@b.example", NULL, NULL) == 0, "outputs optional");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    xmlInitParser();
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }

    test_parse_good();
    test_parse_hostile();
    test_error_doc();
    test_mobilesync_docs();
    test_outlook_docs();
    test_json();
    test_autoconfig();
    test_names();
    test_domains();
    test_addresses();

    unlink(apr_pstrcat(pool, tmpdir, "/stderr", NULL));
    rmdir(tmpdir);
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
