/* eas-deliver — local delivery agent for the default store: reads one RFC 5322 message on stdin
 * and stores it for a user, atomically, waking the user's devices.
 *
 *   eas-deliver [--db CONNINFO] --user USER [--folder F] [--create-user] [--no-dedup] [--seen]
 *               [--relay URL] [--mail-domain D] [--helo NAME] [--no-hooks]
 *
 * Postfix: mailbox_command = /usr/local/bin/eas-deliver --user "$USER"
 *      or  a pipe(8) transport: argv=/usr/local/bin/eas-deliver --user ${user}@${domain}
 * Exit codes follow sysexits.h: 0 stored, 64 usage, 65 message unreadable or too big, 67 no such
 * user (bounce), 73 no such folder, 75 database unavailable (the MTA keeps the message and
 * retries), 70 internal error. A retry after a lost exit status does not store the message twice:
 * the same bytes delivered to the same folder within a day are recognised (--no-dedup turns this
 * off).
 *
 * Mail landing in the Inbox then goes through the delivery hooks (eas_delivered.h): meeting
 * invitations reach the calendar, iTIP replies update the organizer's event, and an
 * out-of-office reply is sent — through --relay (the same EASSMTPRelay URL httpd uses) or, with
 * no relay, only to senders who are local users. Give --mail-domain like EASMailDomain. A hook
 * that fails is reported on stderr; the delivery itself stands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>

#include "eas_deliver.h"
#include "eas_delivered.h"
#include "eas_pim.h"
#include "eas_smtp.h"
#include "eas_store.h"
#include "eas_submit.h"

#define MAX_MESSAGE (256L * 1024 * 1024)

static void usage(FILE *f)
{
    fprintf(f, "usage: eas-deliver [--db CONNINFO] --user USER [--folder F] [--create-user]\n"
               "                   [--no-dedup] [--seen] [--relay URL] [--mail-domain D]\n"
               "                   [--helo NAME] [--no-hooks] < message\n"
               "F: inbox (default), drafts, sent, deleted, junk, outbox, or a path Parent/Child.\n"
               "The database is --db, else $EAS_DATABASE, else libpq's PG* defaults.\n");
}

static int read_all(apr_pool_t *p, FILE *in, char **out, apr_size_t *len)
{
    apr_size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    size_t got;
    if (!buf) {
        return EX_OSERR;
    }
    while ((got = fread(buf + n, 1, cap - n, in)) > 0) {
        n += got;
        if (n == cap) {
            char *nb;
            if (cap >= (apr_size_t)MAX_MESSAGE) {
                free(buf);
                return EX_DATAERR;
            }
            nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                return EX_OSERR;
            }
            buf = nb;
            cap *= 2;
        }
    }
    if (ferror(in)) {
        free(buf);
        return EX_IOERR;
    }
    *out = apr_pmemdup(p, buf, n + 1);
    (*out)[n] = '\0';
    *len = n;
    free(buf);
    return 0;
}

/* Meeting and out-of-office processing of a message stored in the user's Inbox. */
static void run_hooks(PGconn *c, apr_pool_t *p, const eas_submit_conf *conf, const char *user,
                      const char *folder, long long uid, const char *msg, apr_size_t len)
{
    const char *user_id = NULL, *err = NULL, *warn;
    const eas_folder *inbox;
    eas_delivered d;
    eas_store *s;

    if (folder && *folder && strcasecmp(folder, "inbox") != 0) {
        return; /* filed elsewhere by the MTA's rules: not for auto-processing */
    }
    if (eas_deliver_user(c, p, user, 0, &user_id, &err) != 0 ||
        !(s = eas_store_open(p, c, user_id, &err)) || !(inbox = eas_store_special(s, "inbox"))) {
        fprintf(stderr, "eas-deliver: delivery hooks skipped: %s\n", err ? err : "no Inbox");
        return;
    }
    memset(&d, 0, sizeof(d));
    d.user = user;
    d.user_id = user_id;
    d.folder_id = inbox->id;
    d.uid = uid;
    d.mime = msg;
    d.len = len;
    eas_pim_init();
    if ((warn = eas_delivered_hooks(c, p, conf, &d)) != NULL) {
        fprintf(stderr, "eas-deliver: warning: %s\n", warn);
    }
}

int main(int argc, char **argv)
{
    const char *db = getenv("EAS_DATABASE"), *user = NULL, *folder = NULL, *err = NULL;
    int flags = EAS_DELIVER_DEDUP, i, rc, dup = 0, hooks = 1;
    eas_submit_conf conf;
    apr_pool_t *p;
    char *msg;
    apr_size_t len;
    long long uid = 0;
    PGconn *c;

    memset(&conf, 0, sizeof(conf));
    conf.tls_verify = 1;
    conf.timeout = 30;
    conf.helo = "localhost";
    conf.oof_interval = 7 * 86400;
    for (i = 1; i < argc; ++i) {
        if (!strcmp(argv[i], "--db") && i + 1 < argc) {
            db = argv[++i];
        } else if (!strcmp(argv[i], "--user") && i + 1 < argc) {
            user = argv[++i];
        } else if (!strcmp(argv[i], "--folder") && i + 1 < argc) {
            folder = argv[++i];
        } else if (!strcmp(argv[i], "--create-user")) {
            flags |= EAS_DELIVER_CREATE_USER;
        } else if (!strcmp(argv[i], "--no-dedup")) {
            flags &= ~EAS_DELIVER_DEDUP;
        } else if (!strcmp(argv[i], "--seen")) {
            flags |= EAS_DELIVER_SEEN;
        } else if (!strcmp(argv[i], "--relay") && i + 1 < argc) {
            conf.relay = argv[++i];
        } else if (!strcmp(argv[i], "--mail-domain") && i + 1 < argc) {
            conf.mail_domain = argv[++i];
        } else if (!strcmp(argv[i], "--helo") && i + 1 < argc) {
            conf.helo = argv[++i];
        } else if (!strcmp(argv[i], "--no-hooks")) {
            hooks = 0;
        } else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return EX_USAGE;
        }
    }
    if (!user || !*user) {
        usage(stderr);
        return EX_USAGE;
    }
    apr_app_initialize(&argc, (const char *const **)&argv, NULL);
    apr_pool_create(&p, NULL);
    if (conf.relay) {
        eas_smtp_url u;
        const char *bad = eas_smtp_parse_url(p, conf.relay, &u);
        if (bad) {
            fprintf(stderr, "eas-deliver: --relay: %s\n", bad);
            return EX_USAGE;
        }
    }
    rc = read_all(p, stdin, &msg, &len);
    if (rc != 0) {
        fprintf(stderr, "eas-deliver: %s\n",
                rc == EX_DATAERR ? "message larger than 256 MiB" : "cannot read the message");
        return rc;
    }
    c = PQconnectdb(db ? db : "");
    if (PQstatus(c) != CONNECTION_OK) {
        /* the MTA keeps the message and tries again later */
        fprintf(stderr, "eas-deliver: database unavailable: %s", PQerrorMessage(c));
        PQfinish(c);
        return EX_TEMPFAIL;
    }
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    rc = eas_deliver(c, p, user, folder, msg, len, flags, &uid, &dup, &err);
    if (rc != EAS_DELIVER_OK) {
        fprintf(stderr, "eas-deliver: %s\n", err ? err : "delivery failed");
    } else {
        if (getenv("EAS_DELIVER_VERBOSE")) {
            fprintf(stderr, "eas-deliver: %s uid %lld for %s\n",
                    dup ? "already stored as" : "stored as", uid, user);
        }
        if (hooks && !dup) {
            run_hooks(c, p, &conf, user, folder, uid, msg, len);
        }
    }
    PQfinish(c);
    apr_pool_destroy(p);
    apr_terminate();
    return rc;
}
