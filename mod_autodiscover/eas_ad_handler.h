/* eas_ad_handler.h — the handler of mod_autodiscover ("eas-autodiscover"). */
#ifndef EAS_AD_HANDLER_H
#define EAS_AD_HANDLER_H

#include "httpd.h"

int eas_ad_handler(request_rec *r);

/* Looks up mod_eas's optional functions (optional_fn_retrieve hook). */
void eas_ad_retrieve_optional(void);

#endif
