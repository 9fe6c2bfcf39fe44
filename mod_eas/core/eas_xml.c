/* eas_xml.c — tree helpers (see eas_xml.h). */
#include <stdio.h>
#include <string.h>

#include "eas_xml.h"

xmlDocPtr eas_xml_new_doc(const char *ns, const char *root)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr r = xmlNewDocNode(doc, NULL, BAD_CAST root, NULL);
    xmlNsPtr n;

    xmlDocSetRootElement(doc, r);
    n = xmlNewNs(r, BAD_CAST ns, NULL); /* the root's page is the default namespace */
    xmlSetNs(r, n);
    return doc;
}

xmlNsPtr eas_xml_ns(xmlDocPtr doc, const char *href)
{
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlNsPtr n = xmlSearchNsByHref(doc, root, BAD_CAST href);
    char prefix[64];
    size_t len;

    if (n) {
        return n;
    }
    len = strcspn(href, ":");
    if (len >= sizeof(prefix)) {
        len = sizeof(prefix) - 1;
    }
    memcpy(prefix, href, len);
    prefix[len] = '\0';
    return xmlNewNs(root, BAD_CAST href, BAD_CAST prefix);
}

xmlNodePtr eas_xml_add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text)
{
    /* xmlNewTextChild escapes text; xmlNewChild would treat it as markup */
    if (text) {
        return xmlNewTextChild(parent, ns ? ns : parent->ns, BAD_CAST name, BAD_CAST text);
    }
    return xmlNewChild(parent, ns ? ns : parent->ns, BAD_CAST name, NULL);
}

xmlNodePtr eas_xml_add_int(xmlNodePtr parent, xmlNsPtr ns, const char *name, long value)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%ld", value);
    return eas_xml_add(parent, ns, name, buf);
}

int eas_xml_is(xmlNodePtr node, const char *href, const char *name)
{
    if (!node || node->type != XML_ELEMENT_NODE || strcmp((const char *)node->name, name) != 0) {
        return 0;
    }
    if (!href) {
        return 1;
    }
    return node->ns && node->ns->href && strcmp((const char *)node->ns->href, href) == 0;
}

xmlNodePtr eas_xml_child(xmlNodePtr parent, const char *href, const char *name)
{
    xmlNodePtr c;
    for (c = parent ? parent->children : NULL; c; c = c->next) {
        if (eas_xml_is(c, href, name)) {
            return c;
        }
    }
    return NULL;
}

xmlNodePtr eas_xml_next(xmlNodePtr node)
{
    xmlNodePtr c;
    for (c = node->next; c; c = c->next) {
        if (eas_xml_is(c, node->ns ? (const char *)node->ns->href : NULL,
                       (const char *)node->name)) {
            return c;
        }
    }
    return NULL;
}

const char *eas_xml_child_text(xmlNodePtr parent, const char *href, const char *name)
{
    xmlNodePtr c = eas_xml_child(parent, href, name);
    if (!c) {
        return NULL;
    }
    if (c->children && c->children->type == XML_TEXT_NODE && !c->children->next) {
        return (const char *)c->children->content;
    }
    return c->children ? NULL : "";
}
