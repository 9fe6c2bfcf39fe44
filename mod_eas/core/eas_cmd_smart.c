/* eas_cmd_smart.c — placeholder until this command lands. */
#include "eas_cmd.h"

int eas_cmd_smartreply(eas_cmd_ctx *ctx)
{
    ctx->http_status = 501;
    ctx->note = "not implemented yet";
    return 0;
}

int eas_cmd_smartforward(eas_cmd_ctx *ctx)
{
    ctx->http_status = 501;
    ctx->note = "not implemented yet";
    return 0;
}
