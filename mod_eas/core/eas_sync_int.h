/* eas_sync_int.h — what the Sync command's files share (eas_cmd_sync.c: keys, windows and the
 * collection loop; eas_sync_pim.c: the commands and changes of PIM collections). */
#ifndef EAS_SYNC_INT_H
#define EAS_SYNC_INT_H

#include "eas_cmd.h"
#include "eas_email.h"
#include "eas_pim.h"
#include "eas_store.h"

/* Sync Status values (MS-ASCMD 2.2.3.177.16) */
#define SY_OK             1
#define SY_BAD_KEY        3
#define SY_PROTOCOL_ERROR 4
#define SY_SERVER_ERROR   5
#define SY_BAD_ITEM       6
#define SY_CONFLICT       7
#define SY_NOT_FOUND      8
#define SY_HIERARCHY      12
#define SY_EMPTY_NO_CACHE 13
#define SY_LIMIT          14

typedef struct sync_req {
    eas_cmd_ctx *ctx;
    eas_store *s;
    xmlDocPtr doc;         /* response */
    xmlNodePtr out;        /* response Collections */
    int budget;            /* items left in the Sync-level window */
    int loud;              /* something to say: a new key, a command answered, an error status */
    const char *supported; /* the collection's Supported list (ghosting), or NULL */
} sync_req;

/* Responses/<what> with ServerId and Status (Change, Delete, Fetch). */
void eas_sync_response(xmlNodePtr *responses, xmlNodePtr coll, const char *what, const char *sid,
                       int status);
/* Responses/Add with ClientId, ServerId (NULL: none) and Status. */
void eas_sync_add_response(xmlNodePtr *responses, xmlNodePtr coll, const char *cid, const char *sid,
                           int status);
/* The uid a client command's ServerId names, if it is in folder f (else -1). */
int eas_sync_item_uid(sync_req *sr, const eas_folder *f, xmlNodePtr cmd, apr_int64_t *uid,
                      const char **sid);
/* A retried Add: the uid the first attempt created for this ClientId (0: none). */
int eas_sync_client_id(sync_req *sr, const eas_folder *f, const char *cid, apr_int64_t *uid);
int eas_sync_client_id_save(sync_req *sr, const eas_folder *f, const char *cid, apr_int64_t uid);

/* Client commands of a PIM collection (Add, Change, Delete incl. 16.0 InstanceId, Fetch). */
int eas_sync_pim_commands(sync_req *sr, const eas_folder *f, const eas_pim_class *pc,
                          xmlNodePtr cmds, const eas_body_opts *o, xmlNodePtr coll);
/* Server changes of a PIM collection into cmds (adds/changes with their data). */
int eas_sync_pim_changes(sync_req *sr, const eas_folder *f, const eas_pim_class *pc,
                         apr_array_header_t *changes, const eas_body_opts *o, xmlNodePtr cmds);

#endif
