/* eas_cmd_validatecert.c — placeholder until this command lands. */
#include "eas_cmd.h"

int eas_cmd_validatecert(eas_cmd_ctx *ctx)
{
    ctx->http_status = 501;
    ctx->note = "not implemented yet";
    return 0;
}
