/* eas_xml.h — small helpers for reading request trees and building response trees with the
 * EAS wire namespaces ("AirSync:", "Provision:", ...). */
#ifndef EAS_XML_H
#define EAS_XML_H

#include <libxml/tree.h>

/* New document whose root element is `root` in namespace `ns` (e.g. "Provision:"). */
xmlDocPtr eas_xml_new_doc(const char *ns, const char *root);

/* Namespace declaration for href on the root (reusing an existing one); prefix = page name. */
xmlNsPtr eas_xml_ns(xmlDocPtr doc, const char *href);

/* Child element with text (NULL text: empty element), in the parent's namespace or ns. */
xmlNodePtr eas_xml_add(xmlNodePtr parent, xmlNsPtr ns, const char *name, const char *text);
xmlNodePtr eas_xml_add_int(xmlNodePtr parent, xmlNsPtr ns, const char *name, long value);

/* First child element named name in namespace href (NULL: any namespace). */
xmlNodePtr eas_xml_child(xmlNodePtr parent, const char *href, const char *name);
/* Next sibling element of the same name and namespace as node. */
xmlNodePtr eas_xml_next(xmlNodePtr node);

/* Whether node is element name in namespace href. */
int eas_xml_is(xmlNodePtr node, const char *href, const char *name);

/* Text content of a child (trimmed of nothing), malloc-free: returned pointer lives in the tree
 * or is a static "" ; NULL if the child is absent. */
const char *eas_xml_child_text(xmlNodePtr parent, const char *href, const char *name);

#endif
