/* eas_db.c — query helpers and the migration runner (see eas_db.h). */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <apr_file_io.h>
#include <apr_strings.h>
#include <apr_tables.h>

#include "eas_db.h"

/* Arbitrary constant for pg_advisory_lock: "EAS" migrations. */
#define EAS_MIGRATE_LOCK "4545530001"

char *eas_db_check_conninfo(const char *conninfo)
{
    char *errmsg = NULL;
    PQconninfoOption *opts = PQconninfoParse(conninfo, &errmsg);

    if (!opts) {
        char *m = strdup(errmsg ? errmsg : "out of memory");
        size_t n = strlen(m);
        while (n && m[n - 1] == '\n') {
            m[--n] = '\0';
        }
        PQfreemem(errmsg);
        return m;
    }
    PQconninfoFree(opts);
    return NULL;
}

static const char *pq_error(apr_pool_t *p, PGconn *c, PGresult *r)
{
    const char *m = r ? PQresultErrorMessage(r) : NULL;
    char *s;
    size_t n;

    if (!m || !*m) {
        m = PQerrorMessage(c);
    }
    s = apr_pstrdup(p, m && *m ? m : "unknown database error");
    n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == ' ')) {
        s[--n] = '\0';
    }
    return s;
}

PGresult *eas_db_exec(PGconn *c, apr_pool_t *p, const char **err, const char *sql, int nparams,
                      const char *const *params)
{
    PGresult *r = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;

    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        return r;
    }
    if (err) {
        *err = pq_error(p, c, r);
    }
    PQclear(r);
    return NULL;
}

int eas_db_row(PGconn *c, apr_pool_t *p, const char **err, const char *sql, int nparams,
               const char *const *params, int ncols, const char **out)
{
    PGresult *r = eas_db_exec(c, p, err, sql, nparams, params);
    int i;

    if (!r) {
        return -1;
    }
    if (PQntuples(r) != 1 || PQnfields(r) < ncols) {
        PQclear(r);
        if (err) {
            *err = "expected row not found";
        }
        return -1;
    }
    for (i = 0; i < ncols; ++i) {
        out[i] = PQgetisnull(r, 0, i) ? NULL : apr_pstrdup(p, PQgetvalue(r, 0, i));
    }
    PQclear(r);
    return 0;
}

int eas_db_cmd(PGconn *c, apr_pool_t *p, const char **err, const char *sql)
{
    PGresult *r = PQexec(c, sql);
    int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);

    if (!ok && err) {
        *err = pq_error(p, c, r);
    }
    PQclear(r);
    return ok ? 0 : -1;
}

const char *eas_db_schema_version(PGconn *c, apr_pool_t *p)
{
    PGresult *r = eas_db_exec(c, p, NULL,
                              "SELECT max(version) FROM schema_migrations "
                              "WHERE to_regclass('schema_migrations') IS NOT NULL",
                              0, NULL);
    const char *v = NULL;

    if (!r) {
        return NULL;
    }
    if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
        v = apr_pstrdup(p, PQgetvalue(r, 0, 0));
    }
    PQclear(r);
    return v;
}

static int migration_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* "NNN_name.sql" -> version "NNN", name "name"; 0 if the file is not a migration. */
static int split_name(apr_pool_t *p, const char *file, const char **version, const char **name)
{
    const char *us = strchr(file, '_');
    size_t len = strlen(file), i;

    if (!us || us == file || len < 5 || strcmp(file + len - 4, ".sql") != 0) {
        return 0;
    }
    for (i = 0; file + i < us; ++i) {
        if (file[i] < '0' || file[i] > '9') {
            return 0;
        }
    }
    *version = apr_pstrmemdup(p, file, (apr_size_t)(us - file));
    *name = apr_pstrmemdup(p, us + 1, (apr_size_t)(len - 4 - (size_t)(us - file) - 1));
    return 1;
}

static int read_file(apr_pool_t *p, const char *path, char **out)
{
    FILE *f = fopen(path, "rb");
    long n;
    char *buf;

    if (!f) {
        return -1;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return -1;
    }
    buf = apr_palloc(p, (apr_size_t)n + 1);
    if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
        fclose(f);
        return -1;
    }
    buf[n] = '\0';
    fclose(f);
    *out = buf;
    return 0;
}

int eas_db_migrate(PGconn *c, const char *dir, apr_pool_t *p, int *applied, const char **err,
                   eas_migrate_report_fn *report, void *baton)
{
    apr_array_header_t *files = apr_array_make(p, 16, sizeof(const char *));
    DIR *d = opendir(dir);
    struct dirent *e;
    int i, rc = -1;

    *applied = 0;
    if (!d) {
        *err = apr_psprintf(p, "cannot read migrations directory %s", dir);
        return -1;
    }
    while ((e = readdir(d)) != NULL) {
        const char *v, *n;
        if (split_name(p, e->d_name, &v, &n)) {
            APR_ARRAY_PUSH(files, const char *) = apr_pstrdup(p, e->d_name);
        }
    }
    closedir(d);
    qsort(files->elts, (size_t)files->nelts, sizeof(const char *), migration_cmp);

    /* Session-level lock: two migrators (two httpd nodes' deploy scripts) never interleave. */
    if (eas_db_cmd(c, p, err, "SELECT pg_advisory_lock(" EAS_MIGRATE_LOCK ")") != 0) {
        return -1;
    }
    if (eas_db_cmd(c, p, err,
                   "CREATE TABLE IF NOT EXISTS schema_migrations ("
                   " version text PRIMARY KEY, name text NOT NULL,"
                   " applied_at timestamptz NOT NULL DEFAULT now())") != 0) {
        goto out;
    }
    for (i = 0; i < files->nelts; ++i) {
        const char *file = APR_ARRAY_IDX(files, i, const char *);
        const char *version, *name, *params[2];
        char *sql;
        PGresult *r;
        int done;

        split_name(p, file, &version, &name);
        params[0] = version;
        params[1] = name;
        r = eas_db_exec(c, p, err, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, params);
        if (!r) {
            goto out;
        }
        done = PQntuples(r) > 0;
        PQclear(r);
        if (done) {
            if (report) {
                report(baton, version, name, 0);
            }
            continue;
        }
        if (read_file(p, apr_pstrcat(p, dir, "/", file, NULL), &sql) != 0) {
            *err = apr_psprintf(p, "cannot read %s/%s", dir, file);
            goto out;
        }
        if (eas_db_cmd(c, p, err, "BEGIN") != 0) {
            goto out;
        }
        /* PQexec runs the whole multi-statement file inside our transaction. */
        if (eas_db_cmd(c, p, err, sql) != 0 ||
            !(r = eas_db_exec(c, p, err,
                              "INSERT INTO schema_migrations(version, name) VALUES ($1, $2)", 2,
                              params))) {
            *err = apr_psprintf(p, "%s: %s", file, *err);
            eas_db_cmd(c, p, NULL, "ROLLBACK");
            goto out;
        }
        PQclear(r);
        if (eas_db_cmd(c, p, err, "COMMIT") != 0) {
            *err = apr_psprintf(p, "%s: %s", file, *err);
            goto out;
        }
        ++*applied;
        if (report) {
            report(baton, version, name, 1);
        }
    }
    rc = 0;
out:
    eas_db_cmd(c, p, NULL, "SELECT pg_advisory_unlock(" EAS_MIGRATE_LOCK ")");
    return rc;
}
