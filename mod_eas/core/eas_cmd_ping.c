/* eas_cmd_ping.c — the Ping command (MS-ASCMD 2.2.1.13), Direct Push.
 *
 * Validate (Status 3 to 7), remember the parameters so an empty Ping works on any server, join
 * the hub before looking for changes (so nothing committed afterwards can be missed), take the
 * device's hold (ending an older Ping or Sync of it anywhere), then sleep without a database
 * connection until a notification, the heartbeat, a safety re-check, a newer request of the
 * device, the client hanging up or the process stopping. Every wake-up is checked against the
 * database before Status 2 is answered. */
#include <stdlib.h>
#include <string.h>

#include <apr_strings.h>

#include "eas_cmd.h"
#include "eas_db.h"
#include "eas_push.h"
#include "eas_xml.h"

#define NS "Ping:"

/* Ping Status values (MS-ASCMD 2.2.3.177.11) */
#define PING_EXPIRED   1
#define PING_CHANGES   2
#define PING_MISSING   3
#define PING_SYNTAX    4
#define PING_HEARTBEAT 5
#define PING_FOLDERS   6
#define PING_HIERARCHY 7
#define PING_ERROR     8

typedef struct ping_req {
    const char *heartbeat; /* as sent, or NULL */
    apr_array_header_t *ids, *classes;
    int folders_sent;                       /* the request carried Folders */
    const char *stored_hb, *stored_folders; /* the device's last parameters */
} ping_req;

static xmlNodePtr answer(eas_cmd_ctx *ctx, int status)
{
    xmlNodePtr root;
    ctx->resp = eas_xml_new_doc(NS, "Ping");
    root = xmlDocGetRootElement(ctx->resp);
    eas_xml_add_int(root, NULL, "Status", status);
    return root;
}

static int all_digits(const char *s)
{
    if (!s || !*s || strlen(s) > 9) {
        return 0;
    }
    for (; *s; ++s) {
        if (*s < '0' || *s > '9') {
            return 0;
        }
    }
    return 1;
}

/* 0, or the Status for a request that is not well-formed. */
static int parse(eas_cmd_ctx *ctx, ping_req *pr)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, folders, f;

    pr->ids = apr_array_make(ctx->pool, 4, sizeof(const char *));
    pr->classes = apr_array_make(ctx->pool, 4, sizeof(const char *));
    if (!root) {
        return 0; /* empty Ping: the last parameters */
    }
    if (!eas_xml_is(root, NS, "Ping")) {
        return PING_SYNTAX;
    }
    pr->heartbeat = eas_xml_child_text(root, NS, "HeartbeatInterval");
    if (pr->heartbeat && !all_digits(pr->heartbeat)) {
        return PING_SYNTAX;
    }
    folders = eas_xml_child(root, NS, "Folders");
    for (f = folders ? eas_xml_child(folders, NS, "Folder") : NULL; f; f = eas_xml_next(f)) {
        const char *id = eas_xml_child_text(f, NS, "Id");
        const char *cls = eas_xml_child_text(f, NS, "Class");
        if (!id || !*id || strchr(id, ' ') || strchr(id, '\n')) {
            return PING_SYNTAX;
        }
        APR_ARRAY_PUSH(pr->ids, const char *) = id;
        APR_ARRAY_PUSH(pr->classes, const char *) = cls && *cls ? cls : "Email";
    }
    if (folders && pr->ids->nelts == 0) {
        return PING_SYNTAX; /* Folders needs at least one Folder */
    }
    pr->folders_sent = pr->ids->nelts > 0;
    return 0;
}

static int load_stored(eas_cmd_ctx *ctx, ping_req *pr)
{
    const char *params[1] = {ctx->dev.device_pk};
    PGresult *r =
        eas_db_exec(ctx->db, ctx->pool, &ctx->error,
                    "SELECT heartbeat, folders FROM ping_states WHERE device_pk = $1", 1, params);
    if (!r) {
        return -1;
    }
    if (PQntuples(r) == 1) {
        if (!PQgetisnull(r, 0, 0)) {
            pr->stored_hb = apr_pstrdup(ctx->pool, PQgetvalue(r, 0, 0));
        }
        if (!PQgetisnull(r, 0, 1)) {
            pr->stored_folders = apr_pstrdup(ctx->pool, PQgetvalue(r, 0, 1));
        }
    }
    PQclear(r);
    return 0;
}

/* "id class\n" lines, the stored form of the folder list. */
static const char *folders_text(apr_pool_t *p, const ping_req *pr)
{
    const char *out = "";
    int i;
    for (i = 0; i < pr->ids->nelts; ++i) {
        out = apr_pstrcat(p, out, APR_ARRAY_IDX(pr->ids, i, const char *), " ",
                          APR_ARRAY_IDX(pr->classes, i, const char *), "\n", NULL);
    }
    return out;
}

static void parse_folders_text(apr_pool_t *p, const char *text, ping_req *pr)
{
    char *copy = apr_pstrdup(p, text), *line, *state;
    for (line = apr_strtok(copy, "\n", &state); line; line = apr_strtok(NULL, "\n", &state)) {
        char *sp = strchr(line, ' ');
        if (sp) {
            *sp = '\0';
        }
        APR_ARRAY_PUSH(pr->ids, const char *) = line;
        APR_ARRAY_PUSH(pr->classes, const char *) = sp ? sp + 1 : "Email";
    }
}

static int changes_answer(eas_cmd_ctx *ctx, const eas_watch *w)
{
    xmlNodePtr folders = eas_xml_add(answer(ctx, PING_CHANGES), NULL, "Folders", NULL);
    int i;
    for (i = 0; i < w->n; ++i) {
        if (w->changed[i]) {
            eas_xml_add(folders, NULL, "Folder", w->ids[i]);
        }
    }
    return 0;
}

static apr_time_t jitter(eas_cmd_ctx *ctx, int round, apr_time_t span)
{
    apr_uint64_t x = (apr_uint64_t)apr_time_now() ^ (apr_uint64_t)apr_atoi64(ctx->dev.device_pk) ^
                     ((apr_uint64_t)round << 32);
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return span > 0 ? (apr_time_t)(x % (apr_uint64_t)span) : 0;
}

/* The next safety re-check: EASPingSafetyCheck +-10%, so Pings started together spread out. */
static apr_time_t safety_interval(eas_cmd_ctx *ctx, int round)
{
    apr_time_t base = apr_time_from_sec(ctx->push.safety);
    return base - base / 10 + jitter(ctx, round, base / 5);
}

/* After the listener reconnected everyone must look again: spread the look-ups over up to 2 ms
 * per held request (at most 30 s), so the database and the pool see a ramp, not a wall. */
static apr_time_t recheck_spread(eas_cmd_ctx *ctx, int round)
{
    int n = 0, max, listening;
    apr_time_t span;
    if (ctx->hub) {
        eas_hub_stats(ctx->hub, &n, &max, &listening);
    }
    span = apr_time_from_msec(2 * (apr_int64_t)n);
    return jitter(ctx, round, span > apr_time_from_sec(30) ? apr_time_from_sec(30) : span);
}

/* A failure with a dead or missing connection means "database unavailable": 1 (look again
 * later); anything else is an error: -1. */
static int lost(eas_cmd_ctx *ctx)
{
    return !ctx->db || PQstatus(ctx->db) != CONNECTION_OK ? 1 : -1;
}

/* Looks at the folders (all, or those flagged), and at the hierarchy when it changed. */
static int look(eas_cmd_ctx *ctx, eas_watch *w, int all, int hierarchy, eas_push_result *res)
{
    int current;
    if (eas_push_reconnect(ctx) != 0) {
        return 1;
    }
    if (hierarchy) {
        if (eas_push_hierarchy_current(ctx, &current) != 0) {
            return lost(ctx);
        }
        if (!current) {
            *res = EAS_PUSH_GONE;
            return 0;
        }
    }
    return eas_push_check(ctx, w, all, res) != 0 ? lost(ctx) : 0;
}

/* Holds the request until there is something to say; returns the Status. */
static int hold(eas_cmd_ctx *ctx, eas_watch *w, int heartbeat, apr_int64_t seq, eas_waiter *wt)
{
    apr_time_t deadline = apr_time_now() + apr_time_from_sec(heartbeat);
    apr_time_t next = 0; /* when to look at every folder (safety re-check); 0: now */
    eas_push_result res = EAS_PUSH_QUIET;
    unsigned ev = 0;
    int round = 0;

    for (;;) {
        apr_time_t now = apr_time_now();
        int all = next <= now, hier = (ev & EAS_WAKE_HIERARCHY) != 0;
        if (all || hier || (ev & EAS_WAKE_CHANGED)) {
            int rc = look(ctx, w, all || hier, hier, &res);
            if (rc < 0) {
                return -1;
            }
            if (rc > 0) {          /* database unavailable: the listener says when it is back */
                ctx->error = NULL; /* not the answer's concern: it is looked at again */
                next = now + apr_time_from_sec(5) + recheck_spread(ctx, round++);
            } else if (res != EAS_PUSH_QUIET) {
                break;
            } else if (all) {
                next = now + safety_interval(ctx, round++);
            }
        }
        ev = eas_push_sleep(ctx, wt, next < deadline ? next : deadline, w->changed);
        if (ev & EAS_WAKE_CLIENT_GONE) {
            ctx->client_gone = 1;
            ctx->note = "Ping: the client hung up while held";
            return 0;
        }
        if (ev & (EAS_WAKE_SUPERSEDED | EAS_WAKE_STOPPING)) {
            ctx->note = ev & EAS_WAKE_SUPERSEDED ? "Ping ended by a newer request of the device"
                                                 : "Ping released: the process is stopping";
            return PING_EXPIRED;
        }
        if ((ev & EAS_WAKE_TIMEOUT) && apr_time_now() >= deadline) {
            return PING_EXPIRED;
        }
        if (ev & EAS_WAKE_RECHECK) {
            next = apr_time_now() + recheck_spread(ctx, round++);
        }
    }
    eas_push_unhold(ctx, seq); /* best effort: a stale flag costs one notification */
    return res == EAS_PUSH_CHANGES ? PING_CHANGES : PING_HIERARCHY;
}

/* A database error: without a working connection the device is told to come back later (503);
 * with one, the protocol's Status 8 (the error is logged by the glue). */
static int server_error(eas_cmd_ctx *ctx)
{
    if (!ctx->db || PQstatus(ctx->db) != CONNECTION_OK) {
        return -1;
    }
    answer(ctx, PING_ERROR);
    return 0;
}

int eas_cmd_ping(eas_cmd_ctx *ctx)
{
    ping_req pr;
    eas_watch *w;
    eas_waiter *wt = NULL;
    apr_int64_t seq = 0;
    apr_time_t began = apr_time_now();
    int st, hb, current;

    memset(&pr, 0, sizeof(pr));
    if ((st = parse(ctx, &pr)) != 0) {
        ctx->note = "Ping request is not well-formed: Status 4";
        answer(ctx, st);
        return 0;
    }
    if ((!pr.heartbeat || !pr.ids->nelts) && load_stored(ctx, &pr) != 0) {
        return server_error(ctx);
    }
    if (!pr.heartbeat && !pr.stored_hb) {
        ctx->note = "Ping without HeartbeatInterval and none remembered: Status 3";
        answer(ctx, PING_MISSING);
        return 0;
    }
    if (!pr.ids->nelts && pr.stored_folders) {
        parse_folders_text(ctx->pool, pr.stored_folders, &pr);
    }
    if (!pr.ids->nelts) {
        ctx->note = "Ping without Folders and none remembered: Status 3";
        answer(ctx, PING_MISSING);
        return 0;
    }
    hb = atoi(pr.heartbeat ? pr.heartbeat : pr.stored_hb);
    if (hb < ctx->push.hb_min || hb > ctx->push.hb_max) {
        int limit = hb < ctx->push.hb_min ? ctx->push.hb_min : ctx->push.hb_max;
        ctx->note = apr_psprintf(ctx->pool, "Ping HeartbeatInterval %d outside %d..%d: Status 5",
                                 hb, ctx->push.hb_min, ctx->push.hb_max);
        eas_xml_add_int(answer(ctx, PING_HEARTBEAT), NULL, "HeartbeatInterval", limit);
        return 0;
    }
    if (pr.ids->nelts > ctx->push.max_folders) {
        ctx->note = apr_psprintf(ctx->pool, "Ping with %d folders, at most %d: Status 6",
                                 pr.ids->nelts, ctx->push.max_folders);
        eas_xml_add_int(answer(ctx, PING_FOLDERS), NULL, "MaxFolders", ctx->push.max_folders);
        return 0;
    }
    w = eas_watch_make(ctx->pool, pr.ids);
    if (eas_push_hierarchy_current(ctx, &current) != 0) {
        return server_error(ctx);
    }
    if (!current) {
        ctx->note = "Ping: the device's folder list is not current: Status 7";
        answer(ctx, PING_HIERARCHY);
        return 0;
    }

    switch (eas_push_join(ctx, w, &wt)) {
    case EAS_JOIN_OK:
        break;
    case EAS_JOIN_STOPPING:
        ctx->note = "Ping while the process is stopping: answered at once";
        answer(ctx, PING_EXPIRED);
        return 0;
    case EAS_JOIN_FULL:
        ctx->http_status = 503;
        ctx->retry_after = 1;
        ctx->warning = "Ping refused: this process holds as many Pings as EASPingMaxHeld allows";
        return 0;
    }
    if (eas_push_hold(ctx, 1, pr.heartbeat, pr.folders_sent ? folders_text(ctx->pool, &pr) : NULL,
                      &seq) != 0) {
        eas_hub_leave(wt);
        return server_error(ctx);
    }
    eas_hub_set_seq(wt, seq);
    st = hold(ctx, w, hb, seq, wt);
    eas_hub_leave(wt);
    if (st < 0) {
        return server_error(ctx);
    }
    if (ctx->client_gone) {
        return 0;
    }
    if (st == PING_CHANGES) {
        changes_answer(ctx, w);
    } else {
        answer(ctx, st);
    }
    if (!ctx->note || st == PING_CHANGES || st == PING_HIERARCHY) {
        ctx->note = apr_psprintf(ctx->pool, "Ping held %.1f s: Status %d",
                                 (double)(apr_time_now() - began) / APR_USEC_PER_SEC, st);
    }
    return 0;
}
