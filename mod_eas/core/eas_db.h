/* eas_db.h — PostgreSQL access for the core: a per-process libpq connection pool (apr_reslist,
 * as mod_dbd does), small query helpers, and the migration runner shared by easctl and the tests.
 *
 * Every query is parameterised (PQexecParams); nothing in the core builds SQL from user data. */
#ifndef EAS_DB_H
#define EAS_DB_H

#include <apr_pools.h>
#include <apr_thread_mutex.h>
#include <apr_reslist.h>
#include <libpq-fe.h>

typedef struct eas_dbpool_params {
    const char *conninfo;
    int min;                             /* connections opened eagerly */
    int keep;                            /* idle connections kept (soft max) */
    int max;                             /* hard max per process */
    apr_interval_time_t acquire_timeout; /* wait for a free connection */
    apr_interval_time_t ttl;             /* idle connections older than this are closed */
} eas_dbpool_params;

typedef struct eas_dbpool eas_dbpool;

/* Creates the pool object. Connections are opened lazily: a database that is down when a child
 * starts must not stop the child, it only makes requests fail with 503 until it is back. */
apr_status_t eas_dbpool_create(eas_dbpool **out, const eas_dbpool_params *params, apr_pool_t *p);

/* A connection that is healthy (CONNECTION_OK, idle transaction state), or NULL with a log line
 * when the database cannot be reached. Never hold one while sleeping (Ping). */
PGconn *eas_dbpool_acquire(eas_dbpool *pool);

/* Returns a connection; a broken one, or one left inside a transaction, is discarded. */
void eas_dbpool_release(eas_dbpool *pool, PGconn *conn);

/* Closes every idle connection (child exit). */
void eas_dbpool_destroy(eas_dbpool *pool);

/* Parses conninfo like libpq would; NULL if fine, else a malloc'ed message (free()). */
char *eas_db_check_conninfo(const char *conninfo);

/* Runs a parameterised statement; returns the result (PQclear it) or NULL with *err set (pool
 * string) when it did not complete with one of the OK statuses. */
PGresult *eas_db_exec(PGconn *c, apr_pool_t *p, const char **err, const char *sql, int nparams,
                      const char *const *params);

/* Runs a query that must return exactly one row and copies its first ncols values into out[]
 * (pool strings; NULL for SQL NULL). 0 on success; -1 with *err, also when there is no row. */
int eas_db_row(PGconn *c, apr_pool_t *p, const char **err, const char *sql, int nparams,
               const char *const *params, int ncols, const char **out);

/* Simple statement without parameters (BEGIN/COMMIT/...); 0 on success. */
int eas_db_cmd(PGconn *c, apr_pool_t *p, const char **err, const char *sql);

/* --- migrations ------------------------------------------------------------------------ */

typedef void eas_migrate_report_fn(void *baton, const char *version, const char *name, int applied);

/* Applies every sql/NNN_name.sql in dir not yet recorded in schema_migrations, in order, each in
 * its own transaction, under an advisory lock so concurrent runs serialise. Returns 0 on success
 * and sets *applied to the number of files applied; on error *err says which file and why. */
int eas_db_migrate(PGconn *c, const char *dir, apr_pool_t *p, int *applied, const char **err,
                   eas_migrate_report_fn *report, void *baton);

/* Latest applied version or NULL (no migrations table yet). */
const char *eas_db_schema_version(PGconn *c, apr_pool_t *p);

#endif
