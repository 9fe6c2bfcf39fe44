/* eas_ad_config.c — directives of mod_autodiscover (see eas_ad_config.h). The section is read
 * like mod_md's <MDomainSet>: its handler walks the children with a pointer to the section being
 * filled, so the inner directives know where they belong and refuse to stand alone. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "httpd.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_uri.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"

#include "eas_ad_config.h"

extern module AP_MODULE_DECLARE_DATA autodiscover_module;

#define DEF_MAX_BODY 16384
#define MIN_MAX_BODY 512
#define MAX_MAX_BODY (1024 * 1024)
#define EAS_PATH     "/Microsoft-Server-ActiveSync"

#define MERGE(base, add, field, unset) ((add)->field != (unset) ? (add)->field : (base)->field)

static eas_ad_srv_conf *srv_conf(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &autodiscover_module);
}

void *eas_ad_create_srv_conf(apr_pool_t *p, server_rec *s)
{
    eas_ad_srv_conf *c = apr_pcalloc(p, sizeof(*c));
    c->address_check = c->directory = -1;
    c->max_body = -1;
    return c;
}

/* A virtual host with sections of its own answers only those; one without inherits the main
 * server's, so one set of sections can serve every host name. */
void *eas_ad_merge_srv_conf(apr_pool_t *p, void *basev, void *addv)
{
    eas_ad_srv_conf *base = basev, *add = addv, *c = apr_pcalloc(p, sizeof(*c));
    c->sections = add->sections ? add->sections : base->sections;
    c->address_check = MERGE(base, add, address_check, -1);
    c->directory = MERGE(base, add, directory, -1);
    c->max_body = MERGE(base, add, max_body, -1);
    return c;
}

/* --- the section ------------------------------------------------------------------------ */

static eas_ad_section *section_of(cmd_parms *cmd, const char **err)
{
    eas_ad_section *sec = srv_conf(cmd->server)->current;
    *err =
        sec ? NULL
            : apr_pstrcat(cmd->pool, cmd->cmd->name, " belongs inside <AutodiscoverDomain>", NULL);
    return sec;
}

static eas_ad_section *find_name(apr_array_header_t *sections, const char *name)
{
    int i, j;
    for (i = 0; sections && i < sections->nelts; ++i) {
        eas_ad_section *sec = APR_ARRAY_IDX(sections, i, eas_ad_section *);
        for (j = 0; j < sec->names->nelts; ++j) {
            if (strcmp(APR_ARRAY_IDX(sec->names, j, const char *), name) == 0) {
                return sec;
            }
        }
    }
    return NULL;
}

/* Checks that need the whole section: advertised protocols have servers, the default order,
 * no redirect to itself. */
static const char *section_finish(cmd_parms *cmd, eas_ad_section *sec)
{
    eas_ad_settings *set = &sec->set;
    int i;

    if (!sec->protocols) {
        set->norder = 0;
        for (i = 0; i < EAS_AD_NPROTO; ++i) {
            if (i == EAS_AD_ACTIVESYNC || set->server[i].host) {
                set->order[set->norder++] = (eas_ad_proto)i;
            }
        }
    }
    for (i = 0; i < set->norder; ++i) {
        eas_ad_proto pr = set->order[i];
        if (pr != EAS_AD_ACTIVESYNC && !set->server[pr].host) {
            return apr_psprintf(cmd->pool,
                                "AutodiscoverProtocols names %s but the section at %s has no "
                                "Autodiscover%s server",
                                eas_ad_proto_name(pr), sec->where, eas_ad_proto_name(pr));
        }
    }
    if (sec->redirect &&
        (set->eas_url || set->server[EAS_AD_IMAP].host || set->server[EAS_AD_POP3].host ||
         set->server[EAS_AD_SMTP].host || sec->protocols || set->provider_name || sec->login_set)) {
        return apr_psprintf(cmd->pool,
                            "AutodiscoverRedirect in the section at %s replaces every other "
                            "setting there: move them to the target's section",
                            sec->where);
    }
    for (i = 0; sec->redirect && i < sec->names->nelts; ++i) {
        const char *n = APR_ARRAY_IDX(sec->names, i, const char *);
        if (strcmp(n, "*") == 0) {
            return "AutodiscoverRedirect cannot be used in <AutodiscoverDomain *>: every "
                   "address would be redirected, the target's included";
        }
        if (strcmp(n, sec->redirect) == 0) {
            return apr_psprintf(cmd->pool, "AutodiscoverRedirect %s: redirects %s to itself",
                                sec->redirect, n);
        }
    }
    return NULL;
}

static const char *section_start(cmd_parms *cmd, void *dummy, const char *arg)
{
    eas_ad_srv_conf *sc = srv_conf(cmd->server);
    const char *err, *endp = ap_strrchr_c(arg, '>'), *word;
    eas_ad_section *sec;
    ap_directive_t *child;
    char *args;

    if ((err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT))) {
        return err;
    }
    if (!endp) {
        return "<AutodiscoverDomain> lacks its closing '>'";
    }
    if (sc->current) {
        return "<AutodiscoverDomain> sections cannot be nested";
    }
    args = apr_pstrndup(cmd->temp_pool, arg, (apr_size_t)(endp - arg));
    sec = apr_pcalloc(cmd->pool, sizeof(*sec));
    sec->names = apr_array_make(cmd->pool, 2, sizeof(const char *));
    sec->where =
        apr_psprintf(cmd->pool, "%s:%d", cmd->directive->filename, cmd->directive->line_num);
    for (;;) {
        char *name;
        while (apr_isspace(*args)) {
            ++args;
        }
        if (!*args) {
            break;
        }
        word = ap_getword_conf(cmd->temp_pool, (const char **)&args);
        if (!*word) {
            return "<AutodiscoverDomain>: an empty domain name";
        }
        name = apr_pstrdup(cmd->pool, word);
        ap_str_tolower(name);
        if (strcmp(name, "*") != 0 && !eas_ad_valid_domain(name)) {
            return apr_psprintf(cmd->pool, "<AutodiscoverDomain>: '%s' is not a domain name", word);
        }
        if (find_name(sc->sections, name)) {
            return apr_psprintf(cmd->pool,
                                "<AutodiscoverDomain>: %s is already configured in another "
                                "section",
                                name);
        }
        for (int i = 0; i < sec->names->nelts; ++i) {
            if (strcmp(APR_ARRAY_IDX(sec->names, i, const char *), name) == 0) {
                return apr_psprintf(cmd->pool, "<AutodiscoverDomain>: %s is named twice", name);
            }
        }
        APR_ARRAY_PUSH(sec->names, const char *) = name;
    }
    if (sec->names->nelts == 0) {
        return "<AutodiscoverDomain> needs at least one domain (or *)";
    }
    for (child = cmd->directive->first_child; child; child = child->next) {
        /* anything else would silently apply to the enclosing server */
        if (strncasecmp(child->directive, "Autodiscover", 12) != 0) {
            return apr_psprintf(cmd->pool, "%s (%s:%d) cannot be used inside <AutodiscoverDomain>",
                                child->directive, child->filename, child->line_num);
        }
    }
    sc->current = sec;
    err = ap_walk_config(cmd->directive->first_child, cmd, cmd->context);
    sc->current = NULL;
    if (!err) {
        err = section_finish(cmd, sec);
    }
    if (err) {
        return err;
    }
    if (!sc->sections) {
        sc->sections = apr_array_make(cmd->pool, 4, sizeof(eas_ad_section *));
    }
    APR_ARRAY_PUSH(sc->sections, eas_ad_section *) = sec;
    return NULL;
}

/* --- directives inside the section ----------------------------------------------------------- */

static int port_ok(const char *s)
{
    apr_size_t n = strspn(s, "0123456789");
    return n > 0 && n <= 5 && !s[n] && atoi(s) >= 1 && atoi(s) <= 65535;
}

/* A DNS name, or an IPv6 literal (apr_uri_parse took the brackets off). */
static int url_host_ok(const char *h)
{
    if (strchr(h, ':')) {
        return strspn(h, "0123456789abcdefABCDEF:.") == strlen(h);
    }
    return eas_ad_valid_domain(h);
}

static const char *set_eas_url(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err;
    eas_ad_section *sec = section_of(cmd, &err);
    apr_uri_t u;

    if (!sec) {
        return err;
    }
    if (apr_uri_parse(cmd->temp_pool, arg, &u) != APR_SUCCESS || !u.scheme || !u.hostname ||
        (strcasecmp(u.scheme, "https") != 0 && strcasecmp(u.scheme, "http") != 0) ||
        !url_host_ok(u.hostname) || (u.port_str && !port_ok(u.port_str)) || u.fragment || u.user ||
        u.password || strpbrk(arg, " \t\"<>\\")) {
        return apr_psprintf(cmd->pool,
                            "AutodiscoverActiveSyncURL: '%s' is not an absolute http(s) "
                            "URL with a host name, a port 1-65535 and no user or password",
                            arg);
    }
    if (sec->set.eas_url) {
        return "AutodiscoverActiveSyncURL is given twice in this section";
    }
    sec->set.eas_url = arg;
    return NULL;
}

/* AutodiscoverIMAP / POP3 / SMTP host[:port] [SSL|STARTTLS|plain] */
static const char *set_server(cmd_parms *cmd, void *dummy, const char *hostport, const char *sock)
{
    eas_ad_proto pr = (eas_ad_proto)(long)cmd->info;
    const char *err, *colon;
    eas_ad_section *sec = section_of(cmd, &err);
    eas_ad_server *srv;
    char *host;
    int s = EAS_AD_SSL;

    if (!sec) {
        return err;
    }
    srv = &sec->set.server[pr];
    if (srv->host) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name, " is given twice in this section", NULL);
    }
    if (sock && (s = eas_ad_socket_parse(sock)) < 0) {
        return apr_psprintf(cmd->pool, "%s: socket type '%s' is not one of SSL, STARTTLS, plain",
                            cmd->cmd->name, sock);
    }
    colon = strrchr(hostport, ':');
    host = apr_pstrndup(cmd->pool, hostport,
                        colon ? (apr_size_t)(colon - hostport) : strlen(hostport));
    if (!eas_ad_valid_domain(host)) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a host name", cmd->cmd->name, host);
    }
    srv->port = eas_ad_default_port(pr, (eas_ad_socket)s);
    if (colon) {
        if (!port_ok(colon + 1)) {
            return apr_psprintf(cmd->pool, "%s: '%s' is not a port (1-65535)", cmd->cmd->name,
                                colon + 1);
        }
        srv->port = atoi(colon + 1);
    }
    srv->host = host;
    srv->socket = (eas_ad_socket)s;
    return NULL;
}

static const char *set_protocols(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err;
    eas_ad_section *sec = section_of(cmd, &err);
    int pr, i;

    if (!sec) {
        return err;
    }
    if ((pr = eas_ad_proto_parse(arg)) < 0) {
        return apr_psprintf(cmd->pool,
                            "AutodiscoverProtocols: '%s' is not one of ActiveSync, IMAP, POP3, "
                            "SMTP",
                            arg);
    }
    if (sec->protocols && sec->protocols != cmd->directive) {
        return "AutodiscoverProtocols is given twice in this section";
    }
    if (!sec->protocols) {
        sec->protocols = cmd->directive; /* ITERATE: called once per name of the same line */
        sec->set.norder = 0;
    }
    for (i = 0; i < sec->set.norder; ++i) {
        if (sec->set.order[i] == (eas_ad_proto)pr) {
            return apr_psprintf(cmd->pool, "AutodiscoverProtocols: %s is named twice", arg);
        }
    }
    sec->set.order[sec->set.norder++] = (eas_ad_proto)pr;
    return NULL;
}

static const char *set_provider(cmd_parms *cmd, void *dummy, const char *name, const char *shrt)
{
    const char *err;
    eas_ad_section *sec = section_of(cmd, &err);
    if (!sec) {
        return err;
    }
    if (!*name || strlen(name) > 60 || (shrt && (!*shrt || strlen(shrt) > 20))) {
        return "AutodiscoverProviderName: the name must be 1-60 characters, the short name 1-20";
    }
    if (sec->set.provider_name) {
        return "AutodiscoverProviderName is given twice in this section";
    }
    sec->set.provider_name = name;
    sec->set.provider_short = shrt;
    return NULL;
}

static const char *set_login(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err;
    eas_ad_section *sec = section_of(cmd, &err);
    if (!sec) {
        return err;
    }
    if (sec->login_set++) {
        return "AutodiscoverLoginName is given twice in this section";
    }
    if (strcasecmp(arg, "Address") == 0) {
        sec->set.login_localpart = 0;
    } else if (strcasecmp(arg, "LocalPart") == 0) {
        sec->set.login_localpart = 1;
    } else {
        return "AutodiscoverLoginName is Address or LocalPart";
    }
    return NULL;
}

static const char *set_redirect(cmd_parms *cmd, void *dummy, const char *arg)
{
    const char *err;
    eas_ad_section *sec = section_of(cmd, &err);
    char *d;
    if (!sec) {
        return err;
    }
    if (sec->redirect) {
        return "AutodiscoverRedirect is given twice in this section";
    }
    d = apr_pstrdup(cmd->pool, arg);
    ap_str_tolower(d);
    if (!eas_ad_valid_domain(d)) {
        return apr_psprintf(cmd->pool, "AutodiscoverRedirect: '%s' is not a domain name", arg);
    }
    sec->redirect = d;
    return NULL;
}

/* --- server-wide ------------------------------------------------------------------------------ */

static const char *set_flag(cmd_parms *cmd, void *dummy, int on)
{
    eas_ad_srv_conf *sc = srv_conf(cmd->server);
    const char *err = ap_check_cmd_context(cmd, NOT_IN_DIR_CONTEXT);
    if (err) {
        return err;
    }
    if (sc->current) {
        return apr_pstrcat(cmd->pool, cmd->cmd->name,
                           " applies to the whole server: put it outside <AutodiscoverDomain>",
                           NULL);
    }
    if (cmd->info) {
        sc->directory = on;
    } else {
        sc->address_check = on;
    }
    return NULL;
}

static const char *set_max_body(cmd_parms *cmd, void *dummy, const char *arg)
{
    eas_ad_srv_conf *sc = srv_conf(cmd->server);
    char *end;
    long long n = strtoll(arg, &end, 10);
    if (sc->current) {
        return "AutodiscoverMaxRequestBody applies to the whole server: put it outside "
               "<AutodiscoverDomain>";
    }
    if (*end || n < MIN_MAX_BODY || n > MAX_MAX_BODY) {
        return apr_psprintf(cmd->pool,
                            "AutodiscoverMaxRequestBody: '%s' is not a byte count "
                            "(%d-%d)",
                            arg, MIN_MAX_BODY, MAX_MAX_BODY);
    }
    sc->max_body = (apr_off_t)n;
    return NULL;
}

const command_rec eas_ad_cmds[] = {
    AP_INIT_RAW_ARGS("<AutodiscoverDomain", section_start, NULL, RSRC_CONF,
                     "Container for the autodiscover settings of mail domains (or *)"),
    AP_INIT_TAKE1("AutodiscoverActiveSyncURL", set_eas_url, NULL, RSRC_CONF,
                  "ActiveSync URL handed out for the section's domains"),
    AP_INIT_TAKE12("AutodiscoverIMAP", set_server, (void *)(long)EAS_AD_IMAP, RSRC_CONF,
                   "IMAP server: host[:port] [SSL|STARTTLS|plain]"),
    AP_INIT_TAKE12("AutodiscoverPOP3", set_server, (void *)(long)EAS_AD_POP3, RSRC_CONF,
                   "POP3 server: host[:port] [SSL|STARTTLS|plain]"),
    AP_INIT_TAKE12("AutodiscoverSMTP", set_server, (void *)(long)EAS_AD_SMTP, RSRC_CONF,
                   "SMTP submission server: host[:port] [SSL|STARTTLS|plain]"),
    AP_INIT_ITERATE("AutodiscoverProtocols", set_protocols, NULL, RSRC_CONF,
                    "Protocols to advertise, preferred first: ActiveSync IMAP POP3 SMTP"),
    AP_INIT_TAKE12("AutodiscoverProviderName", set_provider, NULL, RSRC_CONF,
                   "Provider name and short name for autoconfig clients"),
    AP_INIT_TAKE1("AutodiscoverLoginName", set_login, NULL, RSRC_CONF,
                  "Login name for IMAP/POP3/SMTP clients: Address or LocalPart"),
    AP_INIT_TAKE1("AutodiscoverRedirect", set_redirect, NULL, RSRC_CONF,
                  "Redirect the section's addresses to the same local part at this domain"),
    AP_INIT_FLAG("AutodiscoverAddressCheck", set_flag, NULL, RSRC_CONF,
                 "Answer autodiscover.xml only for addresses of the authenticated user"),
    AP_INIT_FLAG("AutodiscoverDirectory", set_flag, (void *)1, RSRC_CONF,
                 "Take display names and addresses from mod_eas's user directory"),
    AP_INIT_TAKE1("AutodiscoverMaxRequestBody", set_max_body, NULL, RSRC_CONF,
                  "Largest autodiscover.xml request body in bytes"),
    {NULL},
};

/* --- checks and lookups ----------------------------------------------------------------------- */

const char *eas_ad_config_check(apr_pool_t *p, server_rec *s)
{
    for (; s; s = s->next) {
        apr_array_header_t *secs = srv_conf(s)->sections;
        int i;
        for (i = 0; secs && i < secs->nelts; ++i) {
            eas_ad_section *sec = APR_ARRAY_IDX(secs, i, eas_ad_section *), *to;
            if (sec->redirect && (to = find_name(secs, sec->redirect)) && to->redirect) {
                return apr_psprintf(p,
                                    "AutodiscoverRedirect %s (section at %s) leads to a domain "
                                    "that redirects again (to %s): clients follow one redirect",
                                    sec->redirect, sec->where, to->redirect);
            }
        }
    }
    return NULL;
}

int eas_ad_settings_for(request_rec *r, const char *domain, eas_ad_settings *out,
                        const char **redirect)
{
    apr_array_header_t *secs = srv_conf(r->server)->sections;
    eas_ad_section *sec = NULL;

    *redirect = NULL;
    memset(out, 0, sizeof(*out));
    if (secs) {
        if (!(sec = find_name(secs, domain)) && !(sec = find_name(secs, "*"))) {
            return 1;
        }
        *out = sec->set;
        *redirect = sec->redirect;
    } else {
        out->order[0] = EAS_AD_ACTIVESYNC;
        out->norder = 1;
    }
    out->domain = domain;
    if (!out->eas_url) {
        out->eas_url = ap_construct_url(r->pool, EAS_PATH, r);
    }
    return 0;
}

int eas_ad_cfg_address_check(const server_rec *s)
{
    int v = srv_conf(s)->address_check;
    return v < 0 ? 1 : v;
}

int eas_ad_cfg_directory(const server_rec *s)
{
    int v = srv_conf(s)->directory;
    return v < 0 ? 1 : v;
}

apr_off_t eas_ad_cfg_max_body(const server_rec *s)
{
    apr_off_t v = srv_conf(s)->max_body;
    return v < 0 ? DEF_MAX_BODY : v;
}
