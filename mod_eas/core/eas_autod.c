/* eas_autod.c — Autodiscover request parser and response documents (see eas_autod.h,
 * docs/autodiscover.md). The request parser is the one place where an unauthenticated-looking
 * body reaches libxml2 from mod_autodiscover, so it refuses every DOCTYPE outright: no DTD, no
 * entity, nothing read but the buffer, and no error text on stderr. */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <apr_strings.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "eas_autod.h"
#include "eas_xml.h"

/* --- names, ports, addresses --------------------------------------------------------------- */

static const char *const proto_names[EAS_AD_NPROTO] = {"IMAP", "POP3", "SMTP", "ActiveSync"};

const char *eas_ad_proto_name(eas_ad_proto p)
{
    return (unsigned)p < EAS_AD_NPROTO ? proto_names[p] : "?";
}

int eas_ad_proto_parse(const char *name)
{
    int i;

    if (!name) {
        return -1;
    }
    for (i = 0; i < EAS_AD_NPROTO; ++i) {
        if (strcasecmp(name, proto_names[i]) == 0) {
            return i;
        }
    }
    return strcasecmp(name, "POP") == 0 ? EAS_AD_POP3 : -1;
}

int eas_ad_advertises(const eas_ad_settings *s, eas_ad_proto p)
{
    int i;

    for (i = 0; s && i < s->norder && i < EAS_AD_NPROTO; ++i) {
        if (s->order[i] == p) {
            return 1;
        }
    }
    return 0;
}

int eas_ad_socket_parse(const char *name)
{
    if (!name) {
        return -1;
    }
    if (strcasecmp(name, "SSL") == 0 || strcasecmp(name, "TLS") == 0) {
        return EAS_AD_SSL;
    }
    if (strcasecmp(name, "STARTTLS") == 0) {
        return EAS_AD_STARTTLS;
    }
    if (strcasecmp(name, "plain") == 0 || strcasecmp(name, "none") == 0) {
        return EAS_AD_PLAIN;
    }
    return -1;
}

int eas_ad_default_port(eas_ad_proto p, eas_ad_socket s)
{
    /* [proto][SSL, STARTTLS, plain]; ActiveSync has no STARTTLS, its "TLS" is HTTPS */
    static const int ports[EAS_AD_NPROTO][3] = {
        {993, 143, 143}, {995, 110, 110}, {465, 587, 25}, {443, 443, 80}};

    if ((unsigned)p >= EAS_AD_NPROTO || (unsigned)s > EAS_AD_PLAIN) {
        return 0;
    }
    return ports[p][s];
}

int eas_ad_valid_domain(const char *d)
{
    size_t total = 0, label = 0;
    const char *c;

    if (!d || !*d) {
        return 0;
    }
    for (c = d; *c; ++c, ++total) {
        if (*c == '.') {
            if (label == 0 || c[-1] == '-') {
                return 0; /* empty label, or a label ending in '-' */
            }
            label = 0;
        } else if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                   (*c >= '0' && *c <= '9') || *c == '-') {
            if ((label == 0 && *c == '-') || ++label > 63) {
                return 0;
            }
        } else {
            return 0;
        }
    }
    /* the last label must be non-empty too (no trailing dot) */
    return total <= 253 && label > 0 && c[-1] != '-';
}

int eas_ad_split_address(apr_pool_t *p, const char *addr, const char **local, const char **domain)
{
    const char *at, *c;
    char *dom, *q;
    size_t llen;

    if (!addr || !(at = strrchr(addr, '@'))) {
        return -1;
    }
    llen = (size_t)(at - addr);
    if (llen < 1 || llen > 64 || strlen(addr) > 254 || !eas_ad_valid_domain(at + 1)) {
        return -1;
    }
    /* the RFC 5322 specials and anything a quoted local part would need: such addresses are
     * never a mailbox a client asks about, and refusing them keeps logs and answers plain */
    for (c = addr; c < at; ++c) {
        if (*c <= ' ' || *c >= 0x7f || strchr("\"<>(),;:\\@[]", *c)) {
            return -1;
        }
    }
    dom = apr_pstrdup(p, at + 1);
    for (q = dom; *q; ++q) {
        *q = (char)tolower((unsigned char)*q);
    }
    if (local) {
        *local = apr_pstrmemdup(p, addr, llen);
    }
    if (domain) {
        *domain = dom;
    }
    return 0;
}

/* --- text ------------------------------------------------------------------------------------ */

/* Length of the well-formed UTF-8 sequence at s with its code point in *cp, 0 if s does not start
 * one (overlong forms, surrogates and anything above U+10FFFF included). */
static int utf8_char(const unsigned char *s, uint32_t *cp)
{
    int n, i;
    uint32_t c = s[0], min;

    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        n = 2, c &= 0x1f, min = 0x80;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3, c &= 0x0f, min = 0x800;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4, c &= 0x07, min = 0x10000;
    } else {
        return 0;
    }
    for (i = 1; i < n; ++i) {
        if ((s[i] & 0xc0) != 0x80) {
            return 0;
        }
        c = (c << 6) | (s[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }
    *cp = c;
    return n;
}

static int xml_char(uint32_t c)
{
    return c == 0x9 || c == 0xa || c == 0xd || (c >= 0x20 && c <= 0xd7ff) ||
           (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000;
}

/* Text as XML 1.0 can carry it: a byte that is not UTF-8 or a character XML forbids (most C0
 * controls, U+FFFE/FFFF) becomes U+FFFD, so a stray byte in a directory display name never
 * yields a document libxml2 writes badly or a client refuses to read. */
static const char *xml_text(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0, len;
    uint32_t c;
    int n;
    char *out, *o;

    if (!s) {
        return "";
    }
    len = strlen(s);
    while (i < len && (n = utf8_char(u + i, &c)) > 0 && xml_char(c)) {
        i += (size_t)n;
    }
    if (i == len) {
        return s; /* the usual case: nothing to mend */
    }
    o = out = apr_palloc(p, len * 3 + 1); /* every byte may become the 3-byte U+FFFD */
    for (i = 0; i < len;) {
        n = utf8_char(u + i, &c);
        if (n > 0 && xml_char(c)) {
            memcpy(o, s + i, (size_t)n);
            o += n;
            i += (size_t)n;
        } else {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            i += n > 0 ? (size_t)n : 1;
        }
    }
    *o = '\0';
    return out;
}

/* A JSON string literal (with its quotes): '"', '\' and control characters escaped, UTF-8 kept
 * as is, bytes that are not UTF-8 replaced by U+FFFD (JSON text must be Unicode). */
static const char *json_str(apr_pool_t *p, const char *s)
{
    const unsigned char *u = (const unsigned char *)(s ? s : "");
    size_t len = strlen((const char *)u), i;
    char *out = apr_palloc(p, len * 6 + 3), *o = out;
    uint32_t c;
    int n;

    *o++ = '"';
    for (i = 0; i < len;) {
        n = utf8_char(u + i, &c);
        if (n == 0) {
            memcpy(o, "\xef\xbf\xbd", 3);
            o += 3;
            ++i;
        } else if (c == '"' || c == '\\') {
            *o++ = '\\';
            *o++ = (char)c;
            ++i;
        } else if (c < 0x20) {
            o += sprintf(o, "\\u%04x", (unsigned)c);
            ++i;
        } else {
            memcpy(o, u + i, (size_t)n);
            o += n;
            i += (size_t)n;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* --- request parser -------------------------------------------------------------------------- */

typedef struct {
    const char *refused; /* why our SAX hooks stopped the parse */
    char error[200];     /* libxml2's first error, for the log */
    int line;
} parse_state;

static void refuse(void *ctx, const char *why)
{
    xmlParserCtxtPtr ctxt = ctx;
    parse_state *st = ctxt->_private;

    if (!st->refused) {
        st->refused = why;
    }
    xmlStopParser(ctxt);
}

/* Every DTD-related SAX event stops the parse. internalSubset fires on "<!DOCTYPE name ..."
 * before its internal subset is read and before any external identifier could be resolved, so
 * neither an entity expansion (billion laughs) nor a file or URL (XXE) is ever reached; the other
 * hooks are there should a future libxml2 call them first. */
static void sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                                const xmlChar *sys_id)
{
    refuse(ctx, "DOCTYPE not allowed");
}

static void sax_external_subset(void *ctx, const xmlChar *name, const xmlChar *ext_id,
                                const xmlChar *sys_id)
{
    refuse(ctx, "external DTD not allowed");
}

static void sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                            const xmlChar *system_id, xmlChar *content)
{
    refuse(ctx, "entity declaration not allowed");
}

static void sax_unparsed_entity_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
                                     const xmlChar *system_id, const xmlChar *notation)
{
    refuse(ctx, "entity declaration not allowed");
}

static void sax_notation_decl(void *ctx, const xmlChar *name, const xmlChar *public_id,
                              const xmlChar *system_id)
{
    refuse(ctx, "notation declaration not allowed");
}

static void sax_element_decl(void *ctx, const xmlChar *name, int type, xmlElementContentPtr c)
{
    refuse(ctx, "element declaration not allowed");
}

static void sax_attribute_decl(void *ctx, const xmlChar *elem, const xmlChar *fullname, int type,
                               int def, const xmlChar *value, xmlEnumerationPtr tree)
{
    xmlFreeEnumeration(tree); /* the handler owns it */
    refuse(ctx, "attribute declaration not allowed");
}

static xmlEntityPtr sax_get_entity(void *ctx, const xmlChar *name)
{
    /* the five predefined entities never get here; anything else would need a declaration */
    refuse(ctx, "entity reference not allowed");
    return NULL;
}

static xmlParserInputPtr sax_resolve_entity(void *ctx, const xmlChar *public_id,
                                            const xmlChar *system_id)
{
    refuse(ctx, "external entity not allowed");
    return NULL;
}

#if LIBXML_VERSION >= 21200
typedef const xmlError *eas_xml_error_ptr;
#else
typedef xmlErrorPtr eas_xml_error_ptr;
#endif

/* Keeps libxml2's first complaint for the log; nothing reaches stderr. */
static void on_error(void *ctx, eas_xml_error_ptr e)
{
    parse_state *st = ctx;
    char *c;

    if (!st || !e || st->error[0] || e->level < XML_ERR_ERROR) {
        return;
    }
    snprintf(st->error, sizeof(st->error), "%s", e->message ? e->message : "error");
    for (c = st->error; *c; ++c) {
        if ((unsigned char)*c < ' ') {
            *c = ' '; /* one log line, whatever the message quotes from the body */
        }
    }
    while (c > st->error && c[-1] == ' ') {
        *--c = '\0';
    }
    st->line = e->line;
}

/* Parser context errors arrive with ctxt->userData, ours with the state. */
static void on_ctxt_error(void *ctx, eas_xml_error_ptr e)
{
    xmlParserCtxtPtr ctxt = ctx;
    on_error(ctxt ? ctxt->_private : NULL, e);
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* The only element child of parent named name in namespace ns; *dup set when there are more. */
static xmlNodePtr only_child(xmlNodePtr parent, const xmlChar *ns, const char *name, int *dup)
{
    xmlNodePtr c, found = NULL;

    for (c = parent->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE && c->ns && xmlStrEqual(c->ns->href, ns) &&
            strcmp((const char *)c->name, name) == 0) {
            if (found) {
                *dup = 1;
                return NULL;
            }
            found = c;
        }
    }
    return found;
}

/* Text of a leaf element, trimmed of XML white space; NULL when it has element children.
 * Measured first, then copied once: a body of many comment-separated pieces stays linear. */
static const char *leaf_text(apr_pool_t *p, xmlNodePtr e)
{
    xmlNodePtr c;
    size_t len = 0, n;
    char *buf, *s, *end;

    for (c = e->children; c; c = c->next) {
        if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
            len += c->content ? strlen((const char *)c->content) : 0;
        } else if (c->type == XML_ELEMENT_NODE) {
            return NULL;
        } /* comments and processing instructions are not content */
    }
    s = buf = apr_palloc(p, len + 1);
    for (c = e->children; c; c = c->next) {
        if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content) {
            n = strlen((const char *)c->content);
            memcpy(s, c->content, n);
            s += n;
        }
    }
    *s = '\0';
    for (s = buf; is_ws(*s); ++s) {
    }
    for (end = s + strlen(s); end > s && is_ws(end[-1]); --end) {
    }
    *end = '\0';
    return s;
}

static const char *request_fields(apr_pool_t *p, xmlDocPtr doc, eas_ad_request *out)
{
    static const char *const names[2] = {"EMailAddress", "AcceptableResponseSchema"};
    xmlNodePtr root = xmlDocGetRootElement(doc), req, e;
    const char *val[2];
    const xmlChar *ns;
    int i, dup = 0;

    if (!root || strcmp((const char *)root->name, "Autodiscover") != 0) {
        return "root element is not Autodiscover";
    }
    ns = root->ns ? root->ns->href : NULL;
    if (!ns || (!xmlStrEqual(ns, BAD_CAST EAS_AD_NS_MS_REQ) &&
                !xmlStrEqual(ns, BAD_CAST EAS_AD_NS_OL_REQ))) {
        return "Autodiscover is not in a request schema namespace";
    }
    /* the request's elements are all in the root's namespace (MS-ASCMD 2.2.3.1) */
    req = only_child(root, ns, "Request", &dup);
    if (!req) {
        return dup ? "more than one Request" : "no Request";
    }
    for (i = 0; i < 2; ++i) {
        e = only_child(req, ns, names[i], &dup);
        if (!e) {
            return apr_pstrcat(p, dup ? "more than one " : "no ", names[i], NULL);
        }
        if (!(val[i] = leaf_text(p, e))) {
            return apr_pstrcat(p, names[i], " has element content", NULL);
        }
        if (!*val[i]) {
            return apr_pstrcat(p, "empty ", names[i], NULL);
        }
    }
    out->email = val[0];
    out->schema = val[1];
    out->kind = strcmp(val[1], EAS_AD_NS_MS_RESP) == 0   ? EAS_AD_SCHEMA_MOBILESYNC
                : strcmp(val[1], EAS_AD_NS_OL_RESP) == 0 ? EAS_AD_SCHEMA_OUTLOOK
                                                         : EAS_AD_SCHEMA_OTHER;
    return NULL;
}

int eas_ad_parse_request(apr_pool_t *p, const char *buf, apr_size_t len, eas_ad_request *out,
                         const char **why)
{
    parse_state st;
    xmlParserCtxtPtr ctxt;
    xmlSAXHandlerPtr sax;
    const char *reason = NULL;
    int wellformed;
#ifdef LIBXML_THREAD_ENABLED
    xmlStructuredErrorFunc saved_fn;
    void *saved_ctx;
#endif

    memset(out, 0, sizeof(*out));
    memset(&st, 0, sizeof(st));
    if (!buf || len == 0) {
        reason = "empty body";
    } else if (len > 1024 * 1024 * 64) {
        reason = "body too large"; /* the module caps bodies far lower; an int must hold len */
    } else if (memchr(buf, '\0', len)) {
        reason = "NUL byte in the body";
    }
    if (reason) {
        if (why) {
            *why = reason;
        }
        return -1;
    }
    ctxt = xmlCreateMemoryParserCtxt(buf, (int)len);
    if (!ctxt || !ctxt->sax) {
        if (ctxt) {
            xmlFreeParserCtxt(ctxt);
        }
        if (why) {
            *why = "cannot create an XML parser";
        }
        return -1;
    }
    /* never NOENT, DTDLOAD, DTDATTR or HUGE: entities stay unexpanded, no DTD is fetched and
     * libxml2's size limits hold; NOERROR/NOWARNING drop the stderr printers */
    xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA);
    ctxt->_private = &st;
    sax = ctxt->sax;
    sax->internalSubset = sax_internal_subset;
    sax->externalSubset = sax_external_subset;
    sax->entityDecl = sax_entity_decl;
    sax->unparsedEntityDecl = sax_unparsed_entity_decl;
    sax->notationDecl = sax_notation_decl;
    sax->elementDecl = sax_element_decl;
    sax->attributeDecl = sax_attribute_decl;
    sax->getEntity = sax_get_entity;
    sax->getParameterEntity = sax_get_entity;
    sax->resolveEntity = sax_resolve_entity;
    sax->warning = NULL;
    sax->error = NULL;
    sax->fatalError = NULL;
    sax->serror = on_ctxt_error; /* per context: httpd runs many of these at once */
    ctxt->vctxt.error = NULL;
    ctxt->vctxt.warning = NULL;
#ifdef LIBXML_THREAD_ENABLED
    /* Errors raised without the context (encoding conversion) go to the thread's structured
     * handler, which libxml2 keeps per thread when built with threads: borrow it for this parse
     * only, so they are not printed either. */
    saved_fn = xmlStructuredError;
    saved_ctx = xmlStructuredErrorContext;
    xmlSetStructuredErrorFunc(&st, on_error);
#endif

    xmlParseDocument(ctxt);
    wellformed = ctxt->wellFormed && ctxt->nsWellFormed && !st.refused;

#ifdef LIBXML_THREAD_ENABLED
    xmlSetStructuredErrorFunc(saved_ctx, saved_fn);
#endif
    if (st.refused) {
        reason = st.refused;
    } else if (!wellformed || !ctxt->myDoc) {
        reason = st.error[0]
                     ? apr_psprintf(p, "not well-formed XML: %s (line %d)", st.error, st.line)
                     : "not well-formed XML";
    } else {
        reason = request_fields(p, ctxt->myDoc, out);
    }
    if (ctxt->myDoc) {
        xmlFreeDoc(ctxt->myDoc);
        ctxt->myDoc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    if (reason) {
        memset(out, 0, sizeof(*out));
        if (why) {
            *why = reason;
        }
        return -1;
    }
    if (why) {
        *why = NULL;
    }
    return 0;
}

/* --- response documents ---------------------------------------------------------------------- */

/* Serialised into the pool with the declaration clients expect; frees the tree. */
static const char *finish(apr_pool_t *p, xmlDocPtr doc)
{
    xmlChar *mem = NULL;
    int size = 0;
    const char *out = NULL;

    xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "utf-8", 0);
    if (mem) {
        out = apr_pstrmemdup(p, (const char *)mem, (apr_size_t)size);
        xmlFree(mem);
    }
    xmlFreeDoc(doc);
    return out;
}

static xmlNodePtr add(apr_pool_t *p, xmlNodePtr parent, const char *name, const char *text)
{
    return eas_xml_add(parent, NULL, name, text ? xml_text(p, text) : NULL);
}

static xmlNodePtr add_int(xmlNodePtr parent, const char *name, long value)
{
    return eas_xml_add_int(parent, NULL, name, value);
}

/* <Autodiscover xmlns=responseschema/2006><Response xmlns=ns>; ns NULL: Response in 2006. */
static xmlNodePtr new_response(xmlDocPtr *doc, const char *ns)
{
    xmlNodePtr resp;

    *doc = eas_xml_new_doc(EAS_AD_NS_RESPONSE, "Autodiscover");
    resp = xmlNewChild(xmlDocGetRootElement(*doc), NULL, BAD_CAST "Response", NULL);
    if (ns) {
        xmlSetNs(resp, xmlNewNs(resp, BAD_CAST ns, NULL));
    }
    return resp;
}

const char *eas_ad_error_doc(apr_pool_t *p, int code, const char *message, const char *debug,
                             apr_time_t now, unsigned id)
{
    xmlDocPtr doc;
    xmlNodePtr err = xmlNewChild(new_response(&doc, NULL), NULL, BAD_CAST "Error", NULL);
    apr_time_exp_t tm;
    char buf[32];

    /* Exchange's Time is the UTC time of day with 100 ns digits: 16:39:45.4545788 */
    apr_time_exp_gmt(&tm, now);
    snprintf(buf, sizeof(buf), "%02d:%02d:%02d.%07d", tm.tm_hour, tm.tm_min, tm.tm_sec,
             tm.tm_usec * 10);
    xmlNewProp(err, BAD_CAST "Time", BAD_CAST buf);
    snprintf(buf, sizeof(buf), "%u", id);
    xmlNewProp(err, BAD_CAST "Id", BAD_CAST buf);
    add_int(err, "ErrorCode", code);
    add(p, err, "Message", message ? message : "");
    add(p, err, "DebugData", debug);
    return finish(p, doc);
}

/* mobilesync Response with Culture and User, ready for its Action. */
static xmlNodePtr mobilesync_response(apr_pool_t *p, xmlDocPtr *doc, const char *display_name,
                                      const char *email)
{
    xmlNodePtr resp = new_response(doc, EAS_AD_NS_MS_RESP), user;

    add(p, resp, "Culture", "en:us");
    user = add(p, resp, "User", NULL);
    if (display_name && *display_name) {
        add(p, user, "DisplayName", display_name);
    }
    add(p, user, "EMailAddress", email ? email : "");
    return add(p, resp, "Action", NULL);
}

const char *eas_ad_mobilesync_doc(apr_pool_t *p, const char *display_name, const char *email,
                                  const eas_ad_settings *s)
{
    xmlDocPtr doc;
    xmlNodePtr action = mobilesync_response(p, &doc, display_name, email), server;
    const char *url = s && s->eas_url ? s->eas_url : "";

    server = add(p, add(p, action, "Settings", NULL), "Server", NULL);
    add(p, server, "Type", "MobileSync");
    add(p, server, "Url", url);
    add(p, server, "Name", url);
    return finish(p, doc);
}

const char *eas_ad_mobilesync_redirect_doc(apr_pool_t *p, const char *email, const char *to)
{
    xmlDocPtr doc;
    xmlNodePtr action = mobilesync_response(p, &doc, NULL, email);

    add(p, action, "Redirect", to ? to : "");
    return finish(p, doc);
}

const char *eas_ad_mobilesync_error_doc(apr_pool_t *p, const char *email, int code,
                                        const char *message)
{
    xmlDocPtr doc;
    xmlNodePtr err = add(p, mobilesync_response(p, &doc, NULL, email), "Error", NULL);

    add_int(err, "Status", 2);
    add(p, err, "Message", message ? message : "");
    add(p, err, "DebugData", NULL);
    add_int(err, "ErrorCode", code);
    return finish(p, doc);
}

/* Outlook Response with Account, ready for its content; display_name/email NULL: no User. */
static xmlNodePtr outlook_account(apr_pool_t *p, xmlDocPtr *doc, const char *display_name,
                                  const char *email)
{
    xmlNodePtr resp = new_response(doc, EAS_AD_NS_OL_RESP), user, account;

    if (email) {
        user = add(p, resp, "User", NULL);
        if (display_name && *display_name) {
            add(p, user, "DisplayName", display_name);
        }
        add(p, user, "AutoDiscoverSMTPAddress", email);
    }
    account = add(p, resp, "Account", NULL);
    add(p, account, "AccountType", "email");
    return account;
}

/* The login name mail clients are told to use for email. */
static const char *login_name(apr_pool_t *p, const eas_ad_settings *s, const char *email)
{
    const char *at;

    if (s && s->login_localpart && email && (at = strrchr(email, '@'))) {
        return apr_pstrmemdup(p, email, (apr_size_t)(at - email));
    }
    return email ? email : "";
}

/* A configured mail server advertised by s, in preference order i; NULL when order[i] is
 * ActiveSync or has no server (configtest refuses that, documents just leave it out). */
static const eas_ad_server *mail_server(const eas_ad_settings *s, int i)
{
    eas_ad_proto pr = s->order[i];

    if ((unsigned)pr >= EAS_AD_ACTIVESYNC || !s->server[pr].host) {
        return NULL;
    }
    return &s->server[pr];
}

const char *eas_ad_outlook_doc(apr_pool_t *p, const char *display_name, const char *email,
                               const eas_ad_settings *s)
{
    static const char *const encryption[] = {"SSL", "TLS", "None"};
    xmlDocPtr doc;
    xmlNodePtr account = outlook_account(p, &doc, display_name, email ? email : ""), proto;
    const eas_ad_server *srv;
    int i;

    add(p, account, "Action", "settings");
    for (i = 0; s && i < s->norder && i < EAS_AD_NPROTO; ++i) {
        if (!(srv = mail_server(s, i))) {
            continue;
        }
        proto = add(p, account, "Protocol", NULL);
        add(p, proto, "Type", eas_ad_proto_name(s->order[i]));
        add(p, proto, "Server", srv->host);
        add_int(proto, "Port", srv->port);
        add(p, proto, "DomainRequired", "off");
        add(p, proto, "LoginName", login_name(p, s, email));
        add(p, proto, "SPA", "off");
        add(p, proto, "SSL", srv->socket == EAS_AD_PLAIN ? "off" : "on");
        add(p, proto, "Encryption",
            (unsigned)srv->socket <= EAS_AD_PLAIN ? encryption[srv->socket] : "None");
        add(p, proto, "AuthRequired", "on");
        if (s->order[i] == EAS_AD_SMTP) {
            add(p, proto, "UsePOPAuth", "on");
            add(p, proto, "SMTPLast", "off");
        }
    }
    return finish(p, doc);
}

const char *eas_ad_outlook_redirect_doc(apr_pool_t *p, const char *to)
{
    xmlDocPtr doc;
    xmlNodePtr account = outlook_account(p, &doc, NULL, NULL);

    add(p, account, "Action", "redirectAddr");
    add(p, account, "RedirectAddr", to ? to : "");
    return finish(p, doc);
}

/* --- autodiscover.json, config-v1.1.xml ------------------------------------------------------ */

const char *eas_ad_json_doc(apr_pool_t *p, const char *protocol, const char *url)
{
    return apr_pstrcat(p, "{\"Protocol\":", json_str(p, protocol), ",\"Url\":", json_str(p, url),
                       "}", NULL);
}

const char *eas_ad_json_error(apr_pool_t *p, const char *code, const char *message)
{
    return apr_pstrcat(p, "{\"ErrorCode\":", json_str(p, code),
                       ",\"ErrorMessage\":", json_str(p, message), "}", NULL);
}

const char *eas_ad_autoconfig_doc(apr_pool_t *p, const eas_ad_settings *s)
{
    static const char *const types[] = {"imap", "pop3", "smtp"};
    static const char *const sockets[] = {"SSL", "STARTTLS", "plain"};
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewDocNode(doc, NULL, BAD_CAST "clientConfig", NULL), prov, srv;
    const char *domain = s && s->domain ? s->domain : "";
    const char *name = s && s->provider_name && *s->provider_name ? s->provider_name : domain;
    const char *user = s && s->login_localpart ? "%EMAILLOCALPART%" : "%EMAILADDRESS%";
    const eas_ad_server *ms;
    eas_ad_proto pr;
    int i;

    xmlDocSetRootElement(doc, root);
    xmlNewProp(root, BAD_CAST "version", BAD_CAST "1.1");
    prov = add(p, root, "emailProvider", NULL);
    xmlNewProp(prov, BAD_CAST "id", BAD_CAST xml_text(p, domain));
    add(p, prov, "domain", domain);
    add(p, prov, "displayName", name);
    add(p, prov, "displayShortName",
        s && s->provider_short && *s->provider_short ? s->provider_short : name);
    for (i = 0; s && i < s->norder && i < EAS_AD_NPROTO; ++i) {
        pr = s->order[i];
        if (pr == EAS_AD_ACTIVESYNC) {
            if (!s->eas_url) {
                continue;
            }
            srv = add(p, prov, "incomingServer", NULL);
            xmlNewProp(srv, BAD_CAST "type", BAD_CAST "activesync");
            add(p, srv, "url", s->eas_url);
            add(p, srv, "username", user);
            add(p, srv, "authentication", "basic");
            continue;
        }
        if (!(ms = mail_server(s, i))) {
            continue;
        }
        srv = add(p, prov, pr == EAS_AD_SMTP ? "outgoingServer" : "incomingServer", NULL);
        xmlNewProp(srv, BAD_CAST "type", BAD_CAST types[pr]);
        add(p, srv, "hostname", ms->host);
        add_int(srv, "port", ms->port);
        add(p, srv, "socketType", (unsigned)ms->socket <= EAS_AD_PLAIN ? sockets[ms->socket] : "");
        add(p, srv, "authentication", "password-cleartext");
        add(p, srv, "username", user);
    }
    return finish(p, doc);
}
