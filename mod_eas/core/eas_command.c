/* eas_command.c — the MS-ASCMD command table. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "eas_cmd.h"
#include "eas_command.h"

/* Written only during start-up (single-threaded), read-only while serving. */
static eas_cmd_info commands[EAS_CMD_COUNT] = {
    {EAS_CMD_SYNC, "Sync", 0, "AirSync:", "Sync", eas_cmd_sync, 1},
    {EAS_CMD_SENDMAIL, "SendMail", 1, "ComposeMail:", "SendMail", eas_cmd_sendmail, 1},
    {EAS_CMD_SMARTFORWARD, "SmartForward", 2, "ComposeMail:", "SmartForward", eas_cmd_smartforward,
     1},
    {EAS_CMD_SMARTREPLY, "SmartReply", 3, "ComposeMail:", "SmartReply", eas_cmd_smartreply, 1},
    {EAS_CMD_GETATTACHMENT, "GetAttachment", 4, NULL, NULL, eas_cmd_getattachment, 1},
    {EAS_CMD_FOLDERSYNC, "FolderSync", 9, "FolderHierarchy:", "FolderSync", eas_cmd_foldersync, 1},
    {EAS_CMD_FOLDERCREATE, "FolderCreate", 10, "FolderHierarchy:", "FolderCreate",
     eas_cmd_foldercreate, 1},
    {EAS_CMD_FOLDERDELETE, "FolderDelete", 11, "FolderHierarchy:", "FolderDelete",
     eas_cmd_folderdelete, 1},
    {EAS_CMD_FOLDERUPDATE, "FolderUpdate", 12, "FolderHierarchy:", "FolderUpdate",
     eas_cmd_folderupdate, 1},
    {EAS_CMD_MOVEITEMS, "MoveItems", 13, "Move:", "MoveItems", eas_cmd_moveitems, 1},
    {EAS_CMD_GETITEMESTIMATE, "GetItemEstimate", 14, "GetItemEstimate:", "GetItemEstimate",
     eas_cmd_getitemestimate, 1},
    {EAS_CMD_MEETINGRESPONSE, "MeetingResponse", 15, "MeetingResponse:", "MeetingResponse",
     eas_cmd_meetingresponse, 1},
    {EAS_CMD_SEARCH, "Search", 16, "Search:", "Search", eas_cmd_search, 1},
    {EAS_CMD_SETTINGS, "Settings", 17, "Settings:", "Settings", eas_cmd_settings, 1},
    {EAS_CMD_PING, "Ping", 18, "Ping:", "Ping", eas_cmd_ping, 1},
    {EAS_CMD_ITEMOPERATIONS, "ItemOperations", 19, "ItemOperations:", "ItemOperations",
     eas_cmd_itemoperations, 1},
    {EAS_CMD_PROVISION, "Provision", 20, "Provision:", "Provision", eas_cmd_provision, 1},
    {EAS_CMD_RESOLVERECIPIENTS, "ResolveRecipients", 21, "ResolveRecipients:", "ResolveRecipients",
     eas_cmd_resolverecipients, 1},
    {EAS_CMD_VALIDATECERT, "ValidateCert", 22, "ValidateCert:", "ValidateCert",
     eas_cmd_validatecert, 1},
    {EAS_CMD_FIND, "Find", 23, "Find:", "Find", eas_cmd_find, 1},
};

const eas_cmd_info *eas_cmd_by_name(const char *name)
{
    int i;
    if (!name) {
        return NULL;
    }
    /* Command names are case-sensitive in the ABNF, but clients in the wild vary the case. */
    for (i = 0; i < EAS_CMD_COUNT; ++i) {
        if (strcasecmp(commands[i].name, name) == 0) {
            return &commands[i];
        }
    }
    return NULL;
}

const eas_cmd_info *eas_cmd_by_code(int code)
{
    int i;
    for (i = 0; i < EAS_CMD_COUNT; ++i) {
        if (commands[i].code == code) {
            return &commands[i];
        }
    }
    return NULL;
}

const eas_cmd_info *eas_cmd_get(eas_cmd_id id)
{
    return (id >= 0 && id < EAS_CMD_COUNT) ? &commands[id] : NULL;
}

void eas_cmd_set_implemented(eas_cmd_id id)
{
    if (id >= 0 && id < EAS_CMD_COUNT) {
        commands[id].implemented = 1;
    }
}

const char *eas_cmd_advertised(char *buf, unsigned long buflen)
{
    size_t used = 0;
    int i;

    if (buflen == 0) {
        return buf;
    }
    buf[0] = '\0';
    for (i = 0; i < EAS_CMD_COUNT; ++i) {
        int n;
        if (!commands[i].implemented) {
            continue;
        }
        n = snprintf(buf + used, buflen - used, "%s%s", used ? "," : "", commands[i].name);
        if (n < 0 || (size_t)n >= buflen - used) {
            break;
        }
        used += (size_t)n;
    }
    return buf;
}
