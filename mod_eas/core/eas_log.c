/* eas_log.c — the core's logging sink (see eas_log.h). */
#include <stdio.h>
#include <stdlib.h>

#include "eas_log.h"

/* Set once at start-up before any thread runs, read-only afterwards: no lock needed. */
static eas_log_fn *log_fn;
static eas_log_enabled_fn *log_enabled;
static void *log_baton;

void eas_log_set(eas_log_fn *fn, eas_log_enabled_fn *enabled, void *baton)
{
    log_fn = fn;
    log_enabled = enabled;
    log_baton = baton;
}

int eas_log_is_enabled(int level)
{
    if (log_enabled) {
        return log_enabled(log_baton, level);
    }
    if (log_fn) {
        return 1;
    }
    {
        const char *v = getenv("EAS_LOG_LEVEL");
        return level <= (v ? atoi(v) : EAS_LOG_WARN);
    }
}

void eas_log_perror(const char *file, int line, int level, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;

    if (!eas_log_is_enabled(level)) {
        return;
    }
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (log_fn) {
        log_fn(log_baton, file, line, level, buf);
    } else {
        fprintf(stderr, "%s\n", buf);
    }
}
