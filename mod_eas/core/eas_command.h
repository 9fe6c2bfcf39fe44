/* eas_command.h — the MS-ASCMD command table: names, base64 command codes, and which ones this
 * build implements (only those are advertised in MS-ASProtocolCommands). */
#ifndef EAS_COMMAND_H
#define EAS_COMMAND_H

typedef enum eas_cmd_id {
    EAS_CMD_UNKNOWN = -1,
    EAS_CMD_SYNC = 0,
    EAS_CMD_SENDMAIL,
    EAS_CMD_SMARTFORWARD,
    EAS_CMD_SMARTREPLY,
    EAS_CMD_GETATTACHMENT,
    EAS_CMD_FOLDERSYNC,
    EAS_CMD_FOLDERCREATE,
    EAS_CMD_FOLDERDELETE,
    EAS_CMD_FOLDERUPDATE,
    EAS_CMD_MOVEITEMS,
    EAS_CMD_GETITEMESTIMATE,
    EAS_CMD_MEETINGRESPONSE,
    EAS_CMD_SEARCH,
    EAS_CMD_SETTINGS,
    EAS_CMD_PING,
    EAS_CMD_ITEMOPERATIONS,
    EAS_CMD_PROVISION,
    EAS_CMD_RESOLVERECIPIENTS,
    EAS_CMD_VALIDATECERT,
    EAS_CMD_FIND,
    EAS_CMD_COUNT
} eas_cmd_id;

struct eas_cmd_ctx;

typedef struct eas_cmd_info {
    eas_cmd_id id;
    const char *name; /* as in the Cmd= query parameter */
    int code;         /* MS-ASHTTP 2.2.1.1.1.1.2 base64 command code */
    const char *ns;   /* namespace and root element of its WBXML response, NULL: none */
    const char *root;
    int (*fn)(struct eas_cmd_ctx *ctx); /* implementation, NULL: not in this build */
    int implemented;                    /* advertised in OPTIONS and dispatched */
} eas_cmd_info;

const eas_cmd_info *eas_cmd_by_name(const char *name);
const eas_cmd_info *eas_cmd_by_code(int code);
const eas_cmd_info *eas_cmd_get(eas_cmd_id id);

/* Marks a command implemented; called once at start-up by the code registering its handler. */
void eas_cmd_set_implemented(eas_cmd_id id);

/* Comma-separated list of the implemented commands (for MS-ASProtocolCommands) in buf. */
const char *eas_cmd_advertised(char *buf, unsigned long buflen);

#endif
