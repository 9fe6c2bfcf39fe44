/* eas_log.h — logging from the core without httpd.
 *
 * The core never calls ap_log_*: the Apache glue installs a callback (mod_md's md_log idea), the
 * command-line tools install one that prints to stderr. Levels use syslog/APLOG numbering so the
 * glue passes them straight through. Every message starts with its own "EASnnnnn: " tag.
 */
#ifndef EAS_LOG_H
#define EAS_LOG_H

#include <stdarg.h>

#define EAS_LOG_EMERG  0
#define EAS_LOG_ALERT  1
#define EAS_LOG_CRIT   2
#define EAS_LOG_ERR    3
#define EAS_LOG_WARN   4
#define EAS_LOG_NOTICE 5
#define EAS_LOG_INFO   6
#define EAS_LOG_DEBUG  7
#define EAS_LOG_TRACE1 8

typedef void eas_log_fn(void *baton, const char *file, int line, int level, const char *msg);
typedef int eas_log_enabled_fn(void *baton, int level);

/* Installs the sink; called once at start-up (before threads exist). NULL restores stderr. */
void eas_log_set(eas_log_fn *fn, eas_log_enabled_fn *enabled, void *baton);
int eas_log_is_enabled(int level);
void eas_log_perror(const char *file, int line, int level, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#define EAS_LOG_MARK __FILE__, __LINE__

#endif
