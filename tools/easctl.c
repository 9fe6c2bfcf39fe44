/* easctl — mod_eas administration from the command line: a thin CLI over the admin core
 * (eas_admin.h), which the web console shares. See docs/easctl.md.
 *
 *   easctl [--db CONNINFO] [--sql-dir DIR] [-v] [--json] [--actor NAME] COMMAND ...
 *
 * The connection string comes from --db, else $EAS_DATABASE, else libpq's defaults (PG* env).
 * Exit codes: 0 ok, 1 operation failed (message on stderr), 2 usage. */
#include <limits.h>
#include <pwd.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "eas_admin.h"
#include "eas_audit.h"
#include "eas_db.h"
#include "eas_deliver.h"
#include "eas_user.h"
#include "eas_pim.h"
#include "eas_pim_io.h"

#ifndef EAS_SHAREDIR
#define EAS_SHAREDIR "/usr/local/share/mod_eas"
#endif
#define EASCTL_VERSION "0.2.0"

typedef struct easctl {
    apr_pool_t *pool;
    const char *db;
    const char *sql_dir;
    int verbose;
    int json;          /* machine output */
    const char *actor; /* recorded in the audit log */
} easctl;

static void usage(FILE *f)
{
    fprintf(
        f, "usage: easctl [--db CONNINFO] [--sql-dir DIR] [-v] [--json] [--actor NAME] COMMAND\n"
           "commands:\n"
           "  db migrate | db status                 schema migrations\n"
           "  device list [--user U]                 registered devices\n"
           "  device show ID [--user U]              everything about one device\n"
           "  device wipe ID [--user U] [--account-only]\n"
           "                                         request a remote wipe (account-only: 16.1)\n"
           "  device wipe-cancel ID [--user U]       cancel a wipe not sent yet\n"
           "  device wipe-clear ID [--user U]        clear a sent/acknowledged wipe\n"
           "  device delete ID [--user U] [--force]  forget the device (next sync is a full one)\n"
           "  device block|allow|quarantine ID [--user U]\n"
           "                                         administrator override of the access rules\n"
           "  device access-clear ID [--user U]      remove the override (the rules decide)\n"
           "  access rule add --action A --match M --pattern P [--priority N]\n"
           "                                         A: allow|block|quarantine;\n"
           "                                         M: user|device_type|model|user_agent\n"
           "  access rule list | access rule delete N\n"
           "  access default [allow|block|quarantine]\n"
           "  policy show SCOPE [NAME]               effective policy and where each value is set\n"
           "  policy set SCOPE NAME VALUE | policy unset SCOPE NAME\n"
           "                                         SCOPE: --global | --domain D | --user U |\n"
           "                                         --device ID [--user U]\n"
           "  policy fields                          every setting with type, range and default\n"
           "  audit [--since TIME] [--user U] [--device ID] [--limit N]\n"
           "  mail import --user U [--folder F] [--create-user] [--seen] FILE...\n"
           "                                         .eml files or mbox files into a folder\n"
           "  pim import --user U [--folder F] [--create-user] FILE...\n"
           "                                         .ics (events, tasks, notes) and .vcf\n"
           "                                         (contacts); an item whose UID is there\n"
           "                                         already is replaced\n"
           "  pim export --user U --folder F [-o FILE]\n"
           "                                         a Contacts/Calendar/Tasks/Notes folder\n"
           "                                         as one .vcf or .ics\n"
           "  user set NAME [--create] [--display-name V] [--email A] [--first-name V]\n"
           "           [--last-name V] [--title V] [--company V] [--office V] [--phone V]\n"
           "           [--mobile-phone V] [--home-phone V] [--alias V] [--add-address A]\n"
           "           [--remove-address A] [--picture FILE.jpg | --no-picture]\n"
           "           [--hidden | --listed]           directory entry (GAL, addresses)\n"
           "  user show NAME | user list             directory entries\n"
           "  version                                print the easctl version\n"
           "The database is --db, else $EAS_DATABASE, else libpq's PG* defaults. The actor in the\n"
           "audit log is --actor, else $SUDO_USER, else the login name. See docs/easctl.md.\n");
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

static const char *default_actor(apr_pool_t *p)
{
    const char *s = getenv("SUDO_USER");
    struct passwd *pw;

    if (s && *s) {
        return s;
    }
    pw = getpwuid(getuid());
    return pw ? apr_pstrdup(p, pw->pw_name) : apr_psprintf(p, "uid %lu", (unsigned long)getuid());
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

/* --- command options ------------------------------------------------------------------ */

typedef struct opts {
    const char *pos[4]; /* positional arguments */
    int npos;
    const char *user, *device, *domain, *since, *limit, *action, *match, *pattern, *priority;
    int global, account_only, force;
} opts;

typedef struct optdef {
    const char *name;
    size_t offset; /* of the const char * (valued) or int (flag) in opts */
    int valued;
} optdef;

static const optdef optdefs[] = {
    {"--user", offsetof(opts, user), 1},
    {"--device", offsetof(opts, device), 1},
    {"--domain", offsetof(opts, domain), 1},
    {"--since", offsetof(opts, since), 1},
    {"--limit", offsetof(opts, limit), 1},
    {"--action", offsetof(opts, action), 1},
    {"--match", offsetof(opts, match), 1},
    {"--pattern", offsetof(opts, pattern), 1},
    {"--priority", offsetof(opts, priority), 1},
    {"--global", offsetof(opts, global), 0},
    {"--account-only", offsetof(opts, account_only), 0},
    {"--force", offsetof(opts, force), 0},
};

/* Parses argv (after the command words) accepting only the options named in `allowed` (space
 * separated) and at most npos_max positional arguments. 0, or 2 after a usage message. */
static int parse_opts(const char *cmd, int argc, char **argv, const char *allowed, int npos_max,
                      opts *o)
{
    int i, only_pos = 0;
    size_t k;

    memset(o, 0, sizeof(*o));
    for (i = 0; i < argc; ++i) {
        const char *a = argv[i];
        /* "-1" is a value (MaxEmailBodyTruncationSize), not an option */
        if (!only_pos && a[0] == '-' && a[1] && !(a[1] >= '0' && a[1] <= '9')) {
            const char *hit;
            size_t n = strlen(a);
            if (strcmp(a, "--") == 0) {
                only_pos = 1;
                continue;
            }
            hit = strstr(allowed, a);
            for (k = 0; k < sizeof(optdefs) / sizeof(optdefs[0]); ++k) {
                if (strcmp(optdefs[k].name, a) == 0) {
                    break;
                }
            }
            if (!hit || (hit[n] != ' ' && hit[n] != '\0') ||
                k == sizeof(optdefs) / sizeof(optdefs[0])) {
                fprintf(stderr, "easctl: %s: unknown option %s\n", cmd, a);
                return 2;
            }
            if (optdefs[k].valued) {
                if (i + 1 >= argc) {
                    fprintf(stderr, "easctl: %s: %s needs a value\n", cmd, a);
                    return 2;
                }
                *(const char **)((char *)o + optdefs[k].offset) = argv[++i];
            } else {
                *(int *)((char *)o + optdefs[k].offset) = 1;
            }
            continue;
        }
        if (o->npos >= npos_max || o->npos >= 4) {
            fprintf(stderr, "easctl: %s: unexpected argument '%s'\n", cmd, a);
            return 2;
        }
        o->pos[o->npos++] = a;
    }
    return 0;
}

static int need_pos(const char *cmd, const opts *o, int n, const char *what)
{
    if (o->npos < n) {
        fprintf(stderr, "easctl: %s: %s missing\n", cmd, what);
        return 2;
    }
    return 0;
}

/* A positive whole number option, or -1 after a message. */
static long number_opt(const char *cmd, const char *name, const char *v, long min, long max)
{
    char *end;
    long n = strtol(v, &end, 10);
    if (!*v || *end || n < min || n > max) {
        fprintf(stderr, "easctl: %s: %s takes a whole number from %ld to %ld, not '%s'\n", cmd,
                name, min, max, v);
        return LONG_MIN;
    }
    return n;
}

/* --- output -------------------------------------------------------------------------------- */

static int fail(eas_admin *a)
{
    fprintf(stderr, "easctl: %s\n", a->err ? a->err : "unknown error");
    return 1;
}

static void print_table(easctl *ctl, const eas_table *t)
{
    if (ctl->json) {
        printf("%s\n", eas_table_render_json(ctl->pool, t));
    } else {
        fputs(eas_table_render_text(ctl->pool, t), stdout);
    }
}

/* The outcome of an action: a sentence, or {"ok": true, "message": ...}. */
static int done(easctl *ctl, const char *message)
{
    if (ctl->json) {
        printf("{\"ok\": true, \"message\": %s}\n", eas_json_str(ctl->pool, message));
    } else {
        printf("%s\n", message);
    }
    return 0;
}

static const char *who(apr_pool_t *p, const char *device_id, const char *user)
{
    return user ? apr_psprintf(p, "device %s (user %s)", device_id, user)
                : apr_psprintf(p, "device %s", device_id);
}

/* --- device -------------------------------------------------------------------------------- */

static int device_show(easctl *ctl, eas_admin *a, const opts *o)
{
    eas_admin_device_detail d;

    if (eas_admin_device_show(a, o->pos[0], o->user, &d) != 0) {
        return fail(a);
    }
    if (ctl->json) {
        printf("{\"device\": %s,\n \"policy\": %s,\n \"audit\": %s}\n",
               eas_table_render_json_row(ctl->pool, d.device, 0),
               eas_table_render_json(ctl->pool, d.policy),
               eas_table_render_json(ctl->pool, d.audit));
        return 0;
    }
    fputs(eas_table_render_record(ctl->pool, d.device, 0), stdout);
    printf("\nEffective policy:\n%s", eas_table_render_text(ctl->pool, d.policy));
    printf("\nRecent audit entries:\n%s", eas_table_render_text(ctl->pool, d.audit));
    return 0;
}

static int cmd_device(easctl *ctl, eas_admin *a, int argc, char **argv)
{
    const char *sub = argc ? argv[0] : "";
    const char *cmd = apr_pstrcat(ctl->pool, "device ", sub, NULL);
    eas_admin_device dev;
    opts o;
    int rc;

    if (!strcmp(sub, "list")) {
        eas_table *t;
        if ((rc = parse_opts(cmd, argc - 1, argv + 1, "--user", 0, &o))) {
            return rc;
        }
        if (eas_admin_device_list(a, o.user, &t) != 0) {
            return fail(a);
        }
        print_table(ctl, t);
        return 0;
    }
    if (!strcmp(sub, "show")) {
        if ((rc = parse_opts(cmd, argc - 1, argv + 1, "--user", 1, &o)) ||
            (rc = need_pos(cmd, &o, 1, "DeviceId"))) {
            return rc;
        }
        return device_show(ctl, a, &o);
    }
    if (strcmp(sub, "wipe") && strcmp(sub, "wipe-cancel") && strcmp(sub, "wipe-clear") &&
        strcmp(sub, "delete") && strcmp(sub, "block") && strcmp(sub, "allow") &&
        strcmp(sub, "quarantine") && strcmp(sub, "access-clear")) {
        fprintf(stderr, "easctl: device: unknown subcommand '%s'\n", sub);
        return 2;
    }
    if ((rc = parse_opts(cmd, argc - 1, argv + 1,
                         !strcmp(sub, "wipe")     ? "--user --account-only"
                         : !strcmp(sub, "delete") ? "--user --force"
                                                  : "--user",
                         1, &o)) ||
        (rc = need_pos(cmd, &o, 1, "DeviceId"))) {
        return rc;
    }
    /* resolve first so that the messages name the user even when --user was not given */
    if (eas_admin_device_find(a, o.pos[0], o.user, &dev) != 0) {
        return fail(a);
    }
    if (!strcmp(sub, "wipe")) {
        if (eas_admin_wipe_request(a, dev.device_id, dev.user, o.account_only) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "%s wipe requested for %s",
                                      o.account_only ? "account-only" : "full",
                                      who(ctl->pool, dev.device_id, dev.user)));
    }
    if (!strcmp(sub, "wipe-cancel")) {
        if (eas_admin_wipe_cancel(a, dev.device_id, dev.user) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "wipe cancelled for %s",
                                      who(ctl->pool, dev.device_id, dev.user)));
    }
    if (!strcmp(sub, "wipe-clear")) {
        if (eas_admin_wipe_clear(a, dev.device_id, dev.user) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "wipe cleared for %s",
                                      who(ctl->pool, dev.device_id, dev.user)));
    }
    if (!strcmp(sub, "delete")) {
        if (eas_admin_device_delete(a, dev.device_id, dev.user, o.force) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "deleted %s; its next sync is a full one",
                                      who(ctl->pool, dev.device_id, dev.user)));
    }
    if (!strcmp(sub, "access-clear")) {
        if (eas_admin_access_override(a, dev.device_id, dev.user, NULL) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "access override removed for %s",
                                      who(ctl->pool, dev.device_id, dev.user)));
    }
    if (eas_admin_access_override(a, dev.device_id, dev.user, sub) != 0) {
        return fail(a);
    }
    return done(ctl, apr_psprintf(ctl->pool, "access of %s set to %s (administrator override)",
                                  who(ctl->pool, dev.device_id, dev.user), sub));
}

/* --- access -------------------------------------------------------------------------------- */

static int cmd_access(easctl *ctl, eas_admin *a, int argc, char **argv)
{
    const char *sub = argc ? argv[0] : "";
    opts o;
    int rc;

    if (!strcmp(sub, "default")) {
        const char *v;
        if ((rc = parse_opts("access default", argc - 1, argv + 1, "", 1, &o))) {
            return rc;
        }
        if (o.npos == 0) {
            if (eas_admin_access_default_get(a, &v) != 0) {
                return fail(a);
            }
            if (ctl->json) {
                printf("{\"default\": %s}\n", eas_json_str(ctl->pool, v));
            } else {
                printf("%s\n", v);
            }
            return 0;
        }
        if (eas_admin_access_default_set(a, o.pos[0]) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "default access set to %s", o.pos[0]));
    }
    if (strcmp(sub, "rule") != 0 || argc < 2) {
        fprintf(stderr, "easctl: access: expected 'rule add|list|delete' or 'default'\n");
        return 2;
    }
    sub = argv[1];
    if (!strcmp(sub, "list")) {
        eas_table *t;
        if ((rc = parse_opts("access rule list", argc - 2, argv + 2, "", 0, &o))) {
            return rc;
        }
        if (eas_admin_rule_list(a, &t) != 0) {
            return fail(a);
        }
        print_table(ctl, t);
        return 0;
    }
    if (!strcmp(sub, "add")) {
        long prio = 100, id;
        if ((rc = parse_opts("access rule add", argc - 2, argv + 2,
                             "--action --match --pattern --priority", 0, &o))) {
            return rc;
        }
        if (!o.action || !o.match || !o.pattern) {
            fprintf(stderr, "easctl: access rule add: --action, --match and --pattern are "
                            "required\n");
            return 2;
        }
        if (o.priority && (prio = number_opt("access rule add", "--priority", o.priority, -1000000,
                                             1000000)) == LONG_MIN) {
            return 2;
        }
        if (eas_admin_rule_add(a, o.action, o.match, o.pattern, (int)prio, &id) != 0) {
            return fail(a);
        }
        if (ctl->json) {
            printf("{\"ok\": true, \"id\": %ld}\n", id);
            return 0;
        }
        printf("added rule #%ld: %s when %s matches '%s' (priority %ld)\n", id, o.action, o.match,
               o.pattern, prio);
        return 0;
    }
    if (!strcmp(sub, "delete")) {
        if ((rc = parse_opts("access rule delete", argc - 2, argv + 2, "", 1, &o)) ||
            (rc = need_pos("access rule delete", &o, 1, "rule number"))) {
            return rc;
        }
        if (eas_admin_rule_delete(a, o.pos[0]) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "deleted rule #%s", o.pos[0]));
    }
    fprintf(stderr, "easctl: access rule: unknown subcommand '%s'\n", sub);
    return 2;
}

/* --- policy -------------------------------------------------------------------------------- */

/* Exactly one of --global, --domain, --user, --device (--user may accompany --device). */
static int scope_from_opts(const char *cmd, const opts *o, eas_admin_scope *s)
{
    int n = o->global + !!o->domain + !!o->device + (o->user && !o->device);

    memset(s, 0, sizeof(*s));
    if (n != 1) {
        fprintf(stderr,
                "easctl: %s: give one scope: --global, --domain D, --user U or --device "
                "ID [--user U]\n",
                cmd);
        return 2;
    }
    s->scope = o->global   ? EAS_SCOPE_GLOBAL
               : o->domain ? EAS_SCOPE_DOMAIN
               : o->device ? EAS_SCOPE_DEVICE
                           : EAS_SCOPE_USER;
    s->domain = o->domain;
    s->user = o->user;
    s->device_id = o->device;
    return 0;
}

static const char *scope_label(apr_pool_t *p, const eas_admin_scope *s)
{
    switch (s->scope) {
    case EAS_SCOPE_GLOBAL:
        return "global scope";
    case EAS_SCOPE_DOMAIN:
        return apr_psprintf(p, "domain %s", s->domain);
    case EAS_SCOPE_USER:
        return apr_psprintf(p, "user %s", s->user);
    default:
        return who(p, s->device_id, s->user);
    }
}

static int cmd_policy(easctl *ctl, eas_admin *a, int argc, char **argv)
{
    static const char scope_opts[] = "--global --domain --user --device";
    const char *sub = argc ? argv[0] : "";
    const char *cmd = apr_pstrcat(ctl->pool, "policy ", sub, NULL), *stored;
    eas_admin_scope s;
    opts o;
    int rc;

    if (!strcmp(sub, "fields")) {
        if ((rc = parse_opts(cmd, argc - 1, argv + 1, "", 0, &o))) {
            return rc;
        }
        print_table(ctl, eas_admin_policy_fields(ctl->pool));
        return 0;
    }
    if (strcmp(sub, "show") && strcmp(sub, "set") && strcmp(sub, "unset")) {
        fprintf(stderr, "easctl: policy: unknown subcommand '%s'\n", sub);
        return 2;
    }
    if ((rc = parse_opts(cmd, argc - 1, argv + 1, scope_opts, !strcmp(sub, "set") ? 2 : 1, &o)) ||
        (rc = scope_from_opts(cmd, &o, &s))) {
        return rc;
    }
    if (!strcmp(sub, "show")) {
        eas_table *t;
        if (eas_admin_policy_show(a, &s, o.npos ? o.pos[0] : NULL, &t) != 0) {
            return fail(a);
        }
        print_table(ctl, t);
        return 0;
    }
    if (!strcmp(sub, "set")) {
        if ((rc = need_pos(cmd, &o, 2, "NAME VALUE"))) {
            return rc;
        }
        if (eas_admin_policy_set(a, &s, o.pos[0], o.pos[1], &stored) != 0) {
            return fail(a);
        }
        return done(ctl, apr_psprintf(ctl->pool, "%s set to '%s' at %s",
                                      eas_policy_field_at(eas_policy_field_index(o.pos[0]))->name,
                                      stored, scope_label(ctl->pool, &s)));
    }
    if ((rc = need_pos(cmd, &o, 1, "NAME"))) {
        return rc;
    }
    if (eas_admin_policy_unset(a, &s, o.pos[0]) != 0) {
        return fail(a);
    }
    return done(ctl, apr_psprintf(ctl->pool, "%s unset at %s",
                                  eas_policy_field_at(eas_policy_field_index(o.pos[0]))->name,
                                  scope_label(ctl->pool, &s)));
}

/* --- audit --------------------------------------------------------------------------------- */

static int cmd_audit(easctl *ctl, eas_admin *a, int argc, char **argv)
{
    eas_table *t;
    long limit = 0;
    opts o;
    int rc;

    if ((rc = parse_opts("audit", argc, argv, "--since --user --device --limit", 0, &o))) {
        return rc;
    }
    if (o.limit && (limit = number_opt("audit", "--limit", o.limit, 1, 100000)) == LONG_MIN) {
        return 2;
    }
    if (eas_admin_audit(a, o.since, o.user, o.device, (int)limit, &t) != 0) {
        return fail(a);
    }
    print_table(ctl, t);
    return 0;
}

/* Whole file into memory (pool-owned, NUL-terminated); NULL on failure (message printed). */
static char *read_file(apr_pool_t *p, const char *path, long *size_out)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    apr_size_t cap = 65536, len = 0, n;
    char *buf;
    int failed;
    if (!f) {
        fprintf(stderr, "easctl: cannot open %s\n", path);
        return NULL;
    }
    buf = malloc(cap);
    while (buf && (n = fread(buf + len, 1, cap - len, f)) > 0) {
        len += n;
        if (len == cap) {
            char *nb = realloc(buf, cap *= 2);
            if (!nb) {
                free(buf);
            }
            buf = nb;
        }
    }
    failed = ferror(f);
    if (f != stdin) {
        fclose(f);
    }
    if (!buf || failed) {
        fprintf(stderr, buf ? "easctl: cannot read %s\n" : "easctl: %s: out of memory\n", path);
        free(buf);
        return NULL;
    }
    {
        char *out = apr_pstrmemdup(p, buf, len);
        free(buf);
        *size_out = (long)len;
        return out;
    }
}

/* mail import: each file is one message, or an mbox of many; DateReceived comes from the Date
 * header. Re-importing the same file within a day stores nothing twice. */
static int cmd_mail(easctl *ctl, int argc, char **argv)
{
    const char *user = NULL, *folder = NULL, *err = NULL;
    int flags = EAS_DELIVER_DEDUP | EAS_DELIVER_USE_DATE, i, nfiles = 0, rc = 0;
    long stored = 0, dups = 0;
    PGconn *c;

    if (argc < 1 || strcmp(argv[0], "import") != 0) {
        return 2;
    }
    for (i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--user") && i + 1 < argc) {
            user = argv[++i];
        } else if (!strcmp(argv[i], "--folder") && i + 1 < argc) {
            folder = argv[++i];
        } else if (!strcmp(argv[i], "--create-user")) {
            flags |= EAS_DELIVER_CREATE_USER;
        } else if (!strcmp(argv[i], "--seen")) {
            flags |= EAS_DELIVER_SEEN;
        } else if (argv[i][0] == '-') {
            fprintf(stderr, "easctl mail import: unknown option %s\n", argv[i]);
            return 2;
        } else {
            argv[1 + nfiles++] = argv[i];
        }
    }
    if (!user || nfiles == 0) {
        fprintf(stderr, "easctl mail import: needs --user and at least one file\n");
        return 2;
    }
    if (!(c = connect_db(ctl))) {
        return 1;
    }
    for (i = 1; i <= nfiles && rc == 0; ++i) {
        apr_pool_t *fp;
        char *buf;
        long size = 0;
        apr_size_t pos = 0, mlen;
        const char *m;
        apr_pool_create(&fp, ctl->pool);
        if (!(buf = read_file(fp, argv[i], &size))) {
            rc = 1;
            apr_pool_destroy(fp);
            break;
        }
        if (!eas_is_mbox(buf, (apr_size_t)size)) {
            long long uid;
            int dup = 0, r = eas_deliver(c, fp, user, folder, buf, (apr_size_t)size, flags, &uid,
                                         &dup, &err);
            if (r != 0) {
                fprintf(stderr, "easctl: %s: %s\n", argv[i], err ? err : "failed");
                rc = 1;
            }
            stored += !dup && r == 0;
            dups += dup;
        }
        while (rc == 0 && eas_is_mbox(buf, (apr_size_t)size) &&
               (m = eas_mbox_next(fp, buf, (apr_size_t)size, &pos, &mlen))) {
            apr_pool_t *mp;
            long long uid;
            int dup = 0, r;
            apr_pool_create(&mp, fp);
            r = eas_deliver(c, mp, user, folder, m, mlen, flags, &uid, &dup, &err);
            if (r != 0) {
                fprintf(stderr, "easctl: %s: message at byte %lu: %s\n", argv[i],
                        (unsigned long)pos, err ? err : "failed");
                rc = 1;
            }
            stored += !dup && r == 0;
            dups += dup;
            apr_pool_destroy(mp);
        }
        apr_pool_destroy(fp);
    }
    if (stored >= 100) {
        /* a bulk load changes the tables' shape at once: fresh statistics keep the first syncs
         * on index plans instead of waiting for autovacuum */
        PQclear(PQexec(c, "ANALYZE items, blobs, blob_attachments"));
    }
    printf("imported %ld message(s) for %s%s", stored, user, dups ? "" : "\n");
    if (dups) {
        printf(", %ld already present\n", dups);
    }
    PQfinish(c);
    return rc;
}

/* easctl pim import|export: .ics/.vcf through the PIM classes (eas_pim_io.h). */
static int cmd_pim(easctl *ctl, int argc, char **argv)
{
    const char *user = NULL, *folder = NULL, *out = NULL, *err = NULL;
    int create = 0, i, nfiles = 0, rc = 0, import;
    PGconn *c;

    if (argc < 1 || (strcmp(argv[0], "import") != 0 && strcmp(argv[0], "export") != 0)) {
        return 2;
    }
    import = strcmp(argv[0], "import") == 0;
    for (i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--user") && i + 1 < argc) {
            user = argv[++i];
        } else if (!strcmp(argv[i], "--folder") && i + 1 < argc) {
            folder = argv[++i];
        } else if (!import && (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--output")) &&
                   i + 1 < argc) {
            out = argv[++i];
        } else if (import && !strcmp(argv[i], "--create-user")) {
            create = 1;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "easctl pim %s: unknown option %s\n", argv[0], argv[i]);
            return 2;
        } else {
            argv[1 + nfiles++] = argv[i];
        }
    }
    if (!user || (import && nfiles == 0) || (!import && (!folder || nfiles))) {
        fprintf(stderr, import ? "easctl pim import: needs --user and at least one file\n"
                               : "easctl pim export: needs --user and --folder\n");
        return 2;
    }
    if (!(c = connect_db(ctl))) {
        return 1;
    }
    if (!import) {
        const char *text = NULL;
        long count = 0;
        FILE *f;
        if (eas_pim_export(c, ctl->pool, user, folder, &text, &count, &err) != 0) {
            fprintf(stderr, "easctl: %s\n", err ? err : "export failed");
            PQfinish(c);
            return 1;
        }
        f = out ? fopen(out, "wb") : stdout;
        if (!f || fputs(text, f) < 0 || (out && fclose(f) != 0)) {
            fprintf(stderr, "easctl: cannot write %s\n", out ? out : "stdout");
            rc = 1;
        }
        fprintf(stderr, "exported %ld item(s) of %s\n", count, user);
        PQfinish(c);
        return rc;
    }
    for (i = 1; i <= nfiles; ++i) {
        apr_pool_t *fp;
        eas_pim_import_result res;
        long size = 0;
        char *buf;
        int r, k;
        apr_pool_create(&fp, ctl->pool);
        if (!(buf = read_file(fp, argv[i], &size))) {
            rc = 1;
            apr_pool_destroy(fp);
            continue;
        }
        r = eas_pim_import(c, fp, user, folder, create, buf, &res, &err);
        if (r != 0) {
            fprintf(stderr, "easctl: %s: %s\n", argv[i], err ? err : "failed");
            rc = 1;
        } else {
            for (k = 0; k < res.skipped->nelts; ++k) {
                fprintf(stderr, "easctl: %s: skipped %s\n", argv[i],
                        APR_ARRAY_IDX(res.skipped, k, const char *));
            }
            printf("%s: %ld added, %ld updated, %d skipped\n", argv[i], res.added, res.updated,
                   res.skipped->nelts);
            rc |= res.skipped->nelts > 0;
        }
        apr_pool_destroy(fp);
    }
    PQfinish(c);
    return rc;
}

/* Commands that need the database and an admin context. */
static int run_admin(easctl *ctl, const char *cmd, int argc, char **argv)
{
    eas_admin a;
    PGconn *c;
    int rc;

    if (!strcmp(cmd, "policy") && argc && !strcmp(argv[0], "fields")) {
        c = NULL; /* needs no database */
    } else if (!(c = connect_db(ctl))) {
        return 1;
    }
    memset(&a, 0, sizeof(a));
    a.conn = c;
    a.pool = ctl->pool;
    a.actor = ctl->actor;
    rc = !strcmp(cmd, "device")   ? cmd_device(ctl, &a, argc, argv)
         : !strcmp(cmd, "access") ? cmd_access(ctl, &a, argc, argv)
         : !strcmp(cmd, "policy") ? cmd_policy(ctl, &a, argc, argv)
                                  : cmd_audit(ctl, &a, argc, argv);
    if (rc == 2) {
        usage(stderr);
    }
    if (c) {
        PQfinish(c);
    }
    return rc;
}

static void print_user(apr_pool_t *p, const eas_user_info *u)
{
    apr_array_header_t *a = eas_user_addresses(p, u);
    int i;
    printf("name:         %s\n", u->name);
    printf("display name: %s\n", u->display_name);
    for (i = 0; i < a->nelts; ++i) {
        printf("%s %s\n", i ? "address:     " : "primary:     ", APR_ARRAY_IDX(a, i, const char *));
    }
#define LINE(label, v)                                                                             \
    if (v) {                                                                                       \
        printf("%-13s %s\n", label ":", v);                                                        \
    }
    LINE("first name", u->first_name);
    LINE("last name", u->last_name);
    LINE("title", u->title);
    LINE("company", u->company);
    LINE("office", u->office);
    LINE("phone", u->phone);
    LINE("mobile phone", u->mobile_phone);
    LINE("home phone", u->home_phone);
    LINE("alias", u->alias);
#undef LINE
    if (u->picture) {
        printf("picture:      %lu bytes\n", (unsigned long)u->picture_len);
    }
    printf("in GAL:       %s\n", u->gal_hidden ? "no (hidden)" : "yes");
}

/* easctl user set|show|list: the directory side of an account (eas_user.h). */
static int cmd_user(easctl *ctl, int argc, char **argv)
{
    const char *err = NULL, *domain = getenv("EAS_MAIL_DOMAIN");
    apr_array_header_t *changes = apr_array_make(ctl->pool, 8, sizeof(eas_user_change));
    int i, create = 0, rc;
    PGconn *c;

    if (argc < 1 || (strcmp(argv[0], "list") != 0 && argc < 2) ||
        (strcmp(argv[0], "set") && strcmp(argv[0], "show") && strcmp(argv[0], "list"))) {
        return 2;
    }
    for (i = 2; !strcmp(argv[0], "set") && i < argc; ++i) {
        eas_user_change ch = {NULL, NULL, 0};
        const char *opt = argv[i];
        int k, found = 0;
        if (!strcmp(opt, "--create")) {
            create = 1;
            continue;
        }
        if (!strcmp(opt, "--hidden") || !strcmp(opt, "--listed")) {
            ch.column = "gal_hidden";
            ch.value = opt[2] == 'h' ? "t" : "f";
            APR_ARRAY_PUSH(changes, eas_user_change) = ch;
            continue;
        }
        if (!strcmp(opt, "--no-picture")) {
            ch.column = "picture";
            APR_ARRAY_PUSH(changes, eas_user_change) = ch;
            continue;
        }
        if (i + 1 >= argc || strncmp(opt, "--", 2) != 0) {
            fprintf(stderr, "easctl user set: unknown or incomplete option %s\n", opt);
            return 2;
        }
        if (!strcmp(opt, "--add-address") || !strcmp(opt, "--remove-address")) {
            ch.column = opt[2] == 'a' ? "+address" : "-address";
            found = 1;
        } else if (!strcmp(opt, "--picture")) {
            long size = 0;
            if (!(ch.value = read_file(ctl->pool, argv[i + 1], &size))) {
                return 1;
            }
            if (size > 100 * 1024) {
                fprintf(stderr, "easctl user set: %s is larger than 100 KiB\n", argv[i + 1]);
                return 1;
            }
            ch.len = (apr_size_t)size;
            ch.column = "picture";
            APR_ARRAY_PUSH(changes, eas_user_change) = ch;
            ++i;
            continue;
        }
        for (k = 0; !found && eas_user_fields[k].option; ++k) {
            if (!strcmp(opt + 2, eas_user_fields[k].option)) {
                ch.column = eas_user_fields[k].column;
                found = 1;
            }
        }
        if (!found) {
            fprintf(stderr, "easctl user set: unknown option %s\n", opt);
            return 2;
        }
        ch.value = argv[++i];
        APR_ARRAY_PUSH(changes, eas_user_change) = ch;
    }
    if (!(c = connect_db(ctl))) {
        return 1;
    }
    if (!strcmp(argv[0], "set")) {
        rc = eas_user_update(c, ctl->pool, argv[1], create, changes, &err);
        if (rc != 0) {
            fprintf(stderr, "easctl: %s\n", err ? err : "failed");
            PQfinish(c);
            return 1;
        }
        eas_audit(c, ctl->pool, ctl->actor, "user.set", argv[1], NULL,
                  apr_psprintf(ctl->pool, "{\"changes\": %d}", changes->nelts), &err);
    }
    if (!strcmp(argv[0], "list")) {
        apr_array_header_t *all = NULL;
        rc = eas_user_search(c, ctl->pool, "", domain, 100000, &all, &err);
        for (i = 0; rc == 0 && i < all->nelts; ++i) {
            const eas_user_info *u = APR_ARRAY_IDX(all, i, eas_user_info *);
            printf("%-30s %-30s %s\n", u->name, u->email ? u->email : "-", u->display_name);
        }
    } else {
        eas_user_info *u = NULL;
        rc = eas_user_get(c, ctl->pool, argv[1], domain, &u, &err);
        if (rc == 0) {
            print_user(ctl->pool, u);
        } else if (rc == 1) {
            fprintf(stderr, "easctl: no such user: %s\n", argv[1]);
        }
    }
    if (rc < 0) {
        fprintf(stderr, "easctl: %s\n", err ? err : "failed");
    }
    PQfinish(c);
    return rc == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    easctl ctl;
    int i, j, n, rc;

    memset(&ctl, 0, sizeof(ctl));
    apr_app_initialize(&argc, (const char *const **)&argv, NULL);
    apr_pool_create(&ctl.pool, NULL);
    eas_pim_init();
    ctl.db = getenv("EAS_DATABASE");

    /* --json and --actor are accepted anywhere: `easctl device list --json` reads naturally */
    for (i = j = 1; i < argc; ++i) {
        if (strcmp(argv[i], "--json") == 0) {
            ctl.json = 1;
        } else if (strcmp(argv[i], "--actor") == 0 && i + 1 < argc) {
            ctl.actor = argv[++i];
        } else {
            argv[j++] = argv[i];
        }
    }
    argc = j;
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
    if (!ctl.actor || !*ctl.actor) {
        ctl.actor = default_actor(ctl.pool);
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    n = argc - i - 1;
    if (strcmp(argv[i], "db") == 0) {
        rc = cmd_db(&ctl, n, argv + i + 1);
    } else if (strcmp(argv[i], "version") == 0) {
        printf("easctl %s\n", EASCTL_VERSION);
        rc = 0;
    } else if (strcmp(argv[i], "pim") == 0) {
        rc = cmd_pim(&ctl, n, argv + i + 1);
        if (rc == 2) {
            usage(stderr);
        }
    } else if (strcmp(argv[i], "user") == 0) {
        rc = cmd_user(&ctl, n, argv + i + 1);
        if (rc == 2) {
            usage(stderr);
        }
    } else if (strcmp(argv[i], "mail") == 0) {
        rc = cmd_mail(&ctl, n, argv + i + 1);
        if (rc == 2) {
            usage(stderr);
        }
    } else if (!strcmp(argv[i], "device") || !strcmp(argv[i], "access") ||
               !strcmp(argv[i], "policy") || !strcmp(argv[i], "audit")) {
        rc = run_admin(&ctl, argv[i], n, argv + i + 1);
    } else {
        fprintf(stderr, "easctl: unknown command '%s'\n", argv[i]);
        usage(stderr);
        rc = 2;
    }
    apr_pool_destroy(ctl.pool);
    apr_terminate();
    return rc;
}
