/* eas_handler.h — the eas-sync handler: MS-ASHTTP (OPTIONS, POST), request validation, device
 * registry, command dispatch. */
#ifndef EAS_HANDLER_H
#define EAS_HANDLER_H

#include "httpd.h"

#define EAS_HANDLER_NAME "eas-sync"

int eas_handler(request_rec *r);

#endif
