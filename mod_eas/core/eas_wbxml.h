/* eas_wbxml.h — WBXML (MS-ASWBXML) <-> libxml2 tree, all EAS code pages 0-25.
 *
 * Decoded documents carry the wire namespaces "AirSync:", "Email:", ... (namespace URI = page name
 * plus a colon), the way libwbxml and the EAS specs print them. The root element's namespace is the
 * default namespace; elements of other pages get a prefix equal to the page name.
 *
 * The decoder is hardened against hostile input: every limit below is enforced before memory is
 * allocated for it, and truncated or invalid input returns EAS_WBXML_EINVAL with a message.
 */
#ifndef EAS_WBXML_H
#define EAS_WBXML_H

#include <stddef.h>
#include <libxml/tree.h>

#define EAS_WBXML_OK       0
#define EAS_WBXML_EINVAL   1 /* malformed or unsupported input */
#define EAS_WBXML_ELIMIT   2 /* a hard limit was exceeded */
#define EAS_WBXML_ENOMEM   3
#define EAS_WBXML_EUNKNOWN 4 /* encoder: element/namespace not in any code page */

typedef struct eas_wbxml_limits {
    size_t max_input;   /* bytes of WBXML accepted by the decoder */
    unsigned max_depth; /* element nesting */
    size_t max_string;  /* bytes of one STR_I / OPAQUE */
    size_t max_tags;    /* elements in one document */
} eas_wbxml_limits;

/* Defaults: 64 MiB input, depth 64, 32 MiB per string, 1,000,000 tags. */
void eas_wbxml_limits_default(eas_wbxml_limits *lim);

/* Decodes buf into a new document (free with xmlFreeDoc). lim may be NULL for the defaults.
 * On error returns non-zero, *out is NULL and err (if given) holds a one-line reason with the
 * byte offset. OPAQUE data becomes a text node holding the raw bytes when they are valid UTF-8 and
 * carry no NUL, otherwise the element gets the attribute eas:opaque="base64" and base64 text, so
 * binary payloads survive the tree. */
int eas_wbxml_decode(const unsigned char *buf, size_t len, const eas_wbxml_limits *lim,
                     xmlDocPtr *out, char *err, size_t errlen);

/* Encodes a document (wire namespaces as above; the schema-style names without the trailing colon
 * are accepted too). Text is written as STR_I, except for elements whose content is binary by
 * protocol (see eas_wbxml_is_opaque) or carrying eas:opaque="base64", which go out as OPAQUE.
 * *out is malloc'ed; free() it. */
int eas_wbxml_encode(xmlDocPtr doc, unsigned char **out, size_t *outlen, char *err, size_t errlen);

/* Namespace of the attribute marking base64-carried OPAQUE content in decoded trees. */
#define EAS_WBXML_META_NS     "urn:mod-eas:wbxml"
#define EAS_WBXML_META_PREFIX "eas"

/* How the encoder writes an element's text (see docs/wbxml.md):
 *   EAS_WBXML_TEXT    STR_I (the default: some clients cannot read OPAQUE text)
 *   EAS_WBXML_RAW     OPAQUE holding the text bytes (ComposeMail:Mime, Email:MIMEData,
 *                     AirSyncBase:Data of a Body whose Type is 4 = MIME)
 *   EAS_WBXML_BASE64  OPAQUE holding the base64-decoded text (Email2:ConversationId and
 *                     ConversationIndex, ItemOperations:ConversationId,
 *                     Search:ConversationId, ResolveRecipients:Data and GAL:Data (pictures),
 *                     and any element carrying eas:opaque="base64")
 * Elements with element children are always structural (EAS_WBXML_TEXT). */
#define EAS_WBXML_TEXT   0
#define EAS_WBXML_RAW    1
#define EAS_WBXML_BASE64 2
int eas_wbxml_is_opaque(xmlNodePtr node);

/* Static description of an EAS_WBXML_* code. */
const char *eas_wbxml_strerror(int rc);

#endif
