/* eas_gate.h — the device gate: before a command runs, decide whether this device may run it
 * (access rules, pending remote wipe, provisioning / policy key). */
#ifndef EAS_GATE_H
#define EAS_GATE_H

#include "eas_cmd.h"

typedef enum eas_gate_kind {
    EAS_GATE_PASS = 0,
    EAS_GATE_HTTP,  /* answer with HTTP status `code` (449 for 12.x, 403) */
    EAS_GATE_STATUS /* answer the command's response root with <Status>code</Status> (14.0+) */
} eas_gate_kind;

typedef struct eas_gate_result {
    eas_gate_kind kind;
    int code;
    const char *why; /* for the log line */
} eas_gate_result;

/* 0 with *res filled, or -1 with ctx->error (database trouble). */
int eas_gate_check(eas_cmd_ctx *ctx, eas_gate_result *res);

/* Response document <root xmlns=ns><Status>code</Status></root> for a gate refusal. */
xmlDocPtr eas_gate_status_doc(const char *ns, const char *root, int code);

#endif
