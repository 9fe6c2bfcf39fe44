/* eas_vcard.h — a small vCard reader/writer (RFC 6350 syntax; vCard 3.0 and 2.1 read too).
 *
 * A card is a list of content lines kept close to the text: name, group, parameters and the raw
 * (still escaped) value, so properties nobody here understands survive a read/write unchanged.
 * Reading unfolds lines, decodes RFC 6868 parameter carets and vCard 2.1 quoted-printable, and
 * turns 2.1 bare parameters ("TEL;HOME;VOICE") into TYPE. Writing emits vCard 4.0 with CRLF and
 * folds at 75 octets without splitting a UTF-8 sequence. TEXT escaping: eas_pim_escape/unescape. */
#ifndef EAS_VCARD_H
#define EAS_VCARD_H

#include <apr_pools.h>
#include <apr_tables.h>

typedef struct eas_vcard_param {
    const char *name;  /* upper case */
    const char *value; /* unquoted, carets decoded; TYPE lists stay comma-joined */
} eas_vcard_param;

typedef struct eas_vcard_prop {
    const char *group;          /* "item1" of "item1.TEL", or NULL */
    const char *name;           /* upper case */
    apr_array_header_t *params; /* eas_vcard_param */
    const char *value;          /* raw value as on the (unfolded) line */
} eas_vcard_prop;

typedef struct eas_vcard {
    apr_pool_t *pool;
    const char *version;       /* VERSION of the text read ("4.0" for new cards) */
    apr_array_header_t *props; /* eas_vcard_prop *, NULL for removed ones; no BEGIN/END/VERSION */
} eas_vcard;

eas_vcard *eas_vcard_new(apr_pool_t *p);

/* Exactly one BEGIN:VCARD ... END:VCARD (blank lines around it allowed). -1 with *err if not. */
int eas_vcard_parse(apr_pool_t *p, const char *text, eas_vcard **out, const char **err);

/* The card as vCard 4.0 text: BEGIN, VERSION:4.0, the properties in order, END; CRLF, folded. */
const char *eas_vcard_write(apr_pool_t *p, const eas_vcard *c);

/* One content line (no line end) folded at 75 octets, each physical line ending in CRLF. */
const char *eas_vcard_fold(apr_pool_t *p, const char *line);
/* Text with its folded lines joined (CRLF or LF followed by a space or tab removed). */
const char *eas_vcard_unfold(apr_pool_t *p, const char *text);

/* Appends a property with a raw value (already escaped / a URI), or a TEXT value escaped here. */
eas_vcard_prop *eas_vcard_add(eas_vcard *c, const char *name, const char *raw);
eas_vcard_prop *eas_vcard_add_text(eas_vcard *c, const char *name, const char *text);
void eas_vcard_add_param(eas_vcard_prop *pr, const char *name, const char *value);
void eas_vcard_del_param(eas_vcard_prop *pr, const char *name);
void eas_vcard_remove(eas_vcard *c, int i);

/* First property named name (case-insensitive), its index in *i when i is given; NULL if none. */
eas_vcard_prop *eas_vcard_get(const eas_vcard *c, const char *name, int *i);
/* First value of parameter name; NULL if absent. */
const char *eas_vcard_get_param(const eas_vcard_prop *pr, const char *name);
/* Whether any TYPE parameter lists type (case-insensitive). */
int eas_vcard_has_type(const eas_vcard_prop *pr, const char *type);
/* PREF parameter (1..100; TYPE=pref of vCard 3 counts as 1); 101 when absent. */
int eas_vcard_pref(const eas_vcard_prop *pr);

/* The value unescaped as TEXT. */
const char *eas_vcard_text(apr_pool_t *p, const eas_vcard_prop *pr);
/* A raw value split at unescaped sep (';' components, ',' list items), each unescaped; returns
 * the count (at least 1), items in *out. */
int eas_vcard_fields(apr_pool_t *p, const char *raw, char sep, const char ***out);
/* n texts escaped and joined with sep (NULL items are empty). */
const char *eas_vcard_join(apr_pool_t *p, const char *const *texts, int n, char sep);

/* A .vcf file → the text of each BEGIN:VCARD..END:VCARD (apr_array of const char *). -1 with
 * *err when a card is not closed or the file has text but no card. */
int eas_vcard_split(apr_pool_t *p, const char *file, apr_array_header_t **items, const char **err);

/* Plain rendering of an HTML body (tags dropped, <br>/<p>/<div> as line breaks, common entities
 * decoded), for the TEXT property stored beside an HTML one. */
/* The inline image bytes of a PHOTO (data: URI or ENCODING=b), NULL when it is a link. */
const char *eas_vcard_photo(apr_pool_t *p, const eas_vcard_prop *pr, apr_size_t *len);

const char *eas_vcard_html_text(apr_pool_t *p, const char *html);

#endif
