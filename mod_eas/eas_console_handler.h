/* eas_console_handler.h — the administration console's handler ("eas-admin", docs/console.md). */
#ifndef EAS_CONSOLE_HANDLER_H
#define EAS_CONSOLE_HANDLER_H

#include "httpd.h"

int eas_console_handler(request_rec *r);

#endif
