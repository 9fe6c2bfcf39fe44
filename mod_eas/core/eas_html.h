/* eas_html.h — text into HTML: the one escaper for element content and attribute values
 * (console pages, quoted headers in composed replies and forwards). */
#ifndef EAS_HTML_H
#define EAS_HTML_H

#include <apr_pools.h>

/* & < > " ' escaped; NULL gives ""; s itself when nothing needs escaping. */
const char *eas_html_escape(apr_pool_t *p, const char *s);

#endif
