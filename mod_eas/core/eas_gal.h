/* eas_gal.h — the Global Address List: the server's users (eas_user.h, hidden ones left out)
 * plus the contacts of the shared folders named by EASGALContacts, as Search (Store GAL), Find
 * (GALSearchCriterion) and ResolveRecipients see it. Also the Range option both commands use. */
#ifndef EAS_GAL_H
#define EAS_GAL_H

#include <apr_pools.h>
#include <apr_tables.h>
#include <libpq-fe.h>
#include <libxml/tree.h>

#include "eas_cmd.h"

typedef struct eas_gal_entry {
    const char *display_name; /* never NULL */
    const char *email;        /* primary SMTP address or NULL */
    const char *first_name, *last_name, *title, *company, *office, *phone, *mobile_phone,
        *home_phone, *alias; /* NULL when unknown */
    const char *picture;     /* JPEG bytes or NULL */
    apr_size_t picture_len;
} eas_gal_entry;

/* Options/Picture of a request (14.1+) and the pictures sent so far. */
typedef struct eas_gal_picture {
    int wanted;           /* the request asked for pictures */
    apr_int64_t max_size; /* MaxSize in bytes, -1: no limit */
    int max_pictures;     /* MaxPictures, -1: no limit */
    int sent;
} eas_gal_picture;

/* Entries matching query (a prefix of a word of the display name, of the first or last name,
 * alias or an address; case-insensitive), by display name, at most conf->search_max, all read
 * under a statement timeout of conf->search_timeout seconds. apr_array of eas_gal_entry *.
 * 0 found (maybe none), 1 the timeout ran out, -1 database error (*err). */
int eas_gal_search(PGconn *c, apr_pool_t *p, const eas_lookup_conf *conf, const char *mail_domain,
                   const char *query, apr_array_header_t **out, const char **err);

/* Reads a Picture element (MaxSize, MaxPictures children in namespace ns); NULL: not wanted. */
void eas_gal_picture_parse(eas_gal_picture *pic, xmlNodePtr picture, const char *ns);

/* Adds the entry's GAL properties (namespace "GAL:") to props; a gal:Picture when pic->wanted:
 * Status 1 with Data (base64), 173 no picture, 174 larger than MaxSize, 175 MaxPictures reached
 * (MS-ASCMD 2.2.3.177.13). */
void eas_gal_properties(apr_pool_t *p, xmlDocPtr doc, xmlNodePtr props, const eas_gal_entry *e,
                        eas_gal_picture *pic);

/* A Range option "first-last" (MS-ASCMD 2.2.3.143): 0 with *first, *last; -1 if malformed. */
int eas_range_parse(const char *text, int *first, int *last);

#endif
