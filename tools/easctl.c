/* easctl — mod_eas administration from the command line.
 *
 *   easctl [--db CONNINFO] [--sql-dir DIR] db migrate     apply pending sql/NNN_*.sql migrations
 *   easctl [--db CONNINFO] db status                      show the applied schema version
 *   easctl version
 *
 * The connection string comes from --db, else $EAS_DATABASE, else libpq's defaults (PG* env).
 * Exit codes: 0 ok, 1 operation failed, 2 usage. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>

#include "eas_db.h"

#ifndef EAS_SHAREDIR
#define EAS_SHAREDIR "/usr/local/share/mod_eas"
#endif
#define EASCTL_VERSION "0.1.0"

typedef struct easctl {
    apr_pool_t *pool;
    const char *db;
    const char *sql_dir;
    int verbose;
} easctl;

static void usage(FILE *f)
{
    fprintf(f, "usage: easctl [--db CONNINFO] [--sql-dir DIR] [-v] COMMAND\n"
               "commands:\n"
               "  db migrate     apply pending schema migrations (idempotent)\n"
               "  db status      print the applied schema version\n"
               "  version        print the easctl version\n"
               "The database is --db, else $EAS_DATABASE, else libpq's PG* defaults.\n");
}

static PGconn *connect_db(easctl *ctl)
{
    PGconn *c = PQconnectdb(ctl->db ? ctl->db : "");
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "easctl: cannot connect to the database: %s", PQerrorMessage(c));
        PQfinish(c);
        return NULL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    return c;
}

static const char *default_sql_dir(void)
{
    /* a source checkout run from its top directory uses its own sql/ */
    if (access("sql/001_users_devices.sql", R_OK) == 0) {
        return "sql";
    }
    return EAS_SHAREDIR "/sql";
}

static void report(void *baton, const char *version, const char *name, int applied)
{
    easctl *ctl = baton;
    if (applied) {
        printf("applied %s_%s\n", version, name);
    } else if (ctl->verbose) {
        printf("already applied %s_%s\n", version, name);
    }
}

static int cmd_db(easctl *ctl, int argc, char **argv)
{
    PGconn *c;
    int rc = 1;

    if (argc < 1 || (strcmp(argv[0], "migrate") != 0 && strcmp(argv[0], "status") != 0)) {
        usage(stderr);
        return 2;
    }
    if (!(c = connect_db(ctl))) {
        return 1;
    }
    if (strcmp(argv[0], "migrate") == 0) {
        const char *err = NULL;
        int applied = 0;
        if (eas_db_migrate(c, ctl->sql_dir, ctl->pool, &applied, &err, report, ctl) != 0) {
            fprintf(stderr, "easctl: migration failed: %s\n", err ? err : "unknown error");
        } else {
            const char *v = eas_db_schema_version(c, ctl->pool);
            printf("schema at version %s (%d migration%s applied now)\n", v ? v : "none", applied,
                   applied == 1 ? "" : "s");
            rc = 0;
        }
    } else {
        const char *v = eas_db_schema_version(c, ctl->pool);
        printf("schema version: %s\n", v ? v : "none (run: easctl db migrate)");
        rc = 0;
    }
    PQfinish(c);
    return rc;
}

int main(int argc, char **argv)
{
    easctl ctl;
    int i, rc;

    memset(&ctl, 0, sizeof(ctl));
    apr_app_initialize(&argc, (const char *const **)&argv, NULL);
    apr_pool_create(&ctl.pool, NULL);
    ctl.db = getenv("EAS_DATABASE");

    for (i = 1; i < argc && argv[i][0] == '-'; ++i) {
        if (strcmp(argv[i], "--db") == 0 && i + 1 < argc) {
            ctl.db = argv[++i];
        } else if (strcmp(argv[i], "--sql-dir") == 0 && i + 1 < argc) {
            ctl.sql_dir = argv[++i];
        } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) {
            ctl.verbose = 1;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "easctl: unknown option %s\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }
    if (!ctl.sql_dir) {
        ctl.sql_dir = default_sql_dir();
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    if (strcmp(argv[i], "db") == 0) {
        rc = cmd_db(&ctl, argc - i - 1, argv + i + 1);
    } else if (strcmp(argv[i], "version") == 0) {
        printf("easctl %s\n", EASCTL_VERSION);
        rc = 0;
    } else {
        fprintf(stderr, "easctl: unknown command '%s'\n", argv[i]);
        usage(stderr);
        rc = 2;
    }
    apr_pool_destroy(ctl.pool);
    apr_terminate();
    return rc;
}
