/* eas_ad_config.h — mod_autodiscover's directives (docs/autodiscover.md): <AutodiscoverDomain>
 * sections per server / virtual host and three server-wide switches. Everything a configtest can
 * know is checked while reading; redirect chains, which need every section, in check_config. */
#ifndef EAS_AD_CONFIG_H
#define EAS_AD_CONFIG_H

#include "httpd.h"
#include "http_config.h"

#include "eas_autod.h"

typedef struct eas_ad_section {
    apr_array_header_t *names;       /* const char *: lower-case domains, or "*" */
    eas_ad_settings set;             /* domain NULL; eas_url NULL: this server's */
    const ap_directive_t *protocols; /* the AutodiscoverProtocols line, NULL: default order */
    int login_set;                   /* AutodiscoverLoginName given */
    const char *redirect;            /* AutodiscoverRedirect target domain or NULL */
    const char *where;               /* "file:line" of the section, for messages */
} eas_ad_section;

typedef struct eas_ad_srv_conf {
    apr_array_header_t *sections; /* eas_ad_section *; NULL: none in this server */
    eas_ad_section *current;      /* the section being read (configuration time only) */
    int address_check;            /* -1 unset */
    int directory;                /* -1 unset */
    apr_off_t max_body;           /* -1 unset */
} eas_ad_srv_conf;

extern const command_rec eas_ad_cmds[];

void *eas_ad_create_srv_conf(apr_pool_t *p, server_rec *s);
void *eas_ad_merge_srv_conf(apr_pool_t *p, void *basev, void *addv);

/* Cross-section checks of every server (redirect chains); NULL when fine. */
const char *eas_ad_config_check(apr_pool_t *p, server_rec *s);

/* The settings for domain (lower case) as r's server answers it, defaults applied (the EAS URL
 * of this server, the order of preference): 0 found (*redirect: the target domain when the
 * section redirects, else NULL), 1 unknown domain. */
int eas_ad_settings_for(request_rec *r, const char *domain, eas_ad_settings *out,
                        const char **redirect);

int eas_ad_cfg_address_check(const server_rec *s);
int eas_ad_cfg_directory(const server_rec *s);
apr_off_t eas_ad_cfg_max_body(const server_rec *s);

#endif
