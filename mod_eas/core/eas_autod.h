/* eas_autod.h — Autodiscover documents without httpd (docs/autodiscover.md): the POX request
 * parser (libxml2 with no DTD, no entity, no network), the mobilesync / Outlook / error response
 * documents, Autodiscover v2 JSON and Thunderbird autoconfig. mod_autodiscover decides which
 * answer a request gets; this file only reads and writes the formats. */
#ifndef EAS_AUTOD_H
#define EAS_AUTOD_H

#include <apr_pools.h>
#include <apr_time.h>

#define EAS_AD_NS_RESPONSE "http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006"
#define EAS_AD_NS_MS_REQ                                                                           \
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/requestschema/2006"
#define EAS_AD_NS_MS_RESP                                                                          \
    "http://schemas.microsoft.com/exchange/autodiscover/mobilesync/responseschema/2006"
#define EAS_AD_NS_OL_REQ                                                                           \
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"
#define EAS_AD_NS_OL_RESP                                                                          \
    "http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a"

/* Protocols a domain can advertise; the order of this enum is the default order of preference
 * (ActiveSync last: clients reading autoconfig mostly speak IMAP). */
typedef enum {
    EAS_AD_IMAP,
    EAS_AD_POP3,
    EAS_AD_SMTP,
    EAS_AD_ACTIVESYNC,
    EAS_AD_NPROTO
} eas_ad_proto;

typedef enum { EAS_AD_SSL, EAS_AD_STARTTLS, EAS_AD_PLAIN } eas_ad_socket;

typedef struct eas_ad_server {
    const char *host; /* NULL: not configured */
    int port;
    eas_ad_socket socket;
} eas_ad_server;

/* The settings of one mail domain, as a response needs them. */
typedef struct eas_ad_settings {
    const char *domain;                  /* the address's domain (lower case) */
    const char *eas_url;                 /* absolute ActiveSync URL */
    eas_ad_server server[EAS_AD_NPROTO]; /* IMAP, POP3, SMTP; [EAS_AD_ACTIVESYNC] unused */
    eas_ad_proto order[EAS_AD_NPROTO];   /* advertised protocols, preferred first */
    int norder;
    const char *provider_name, *provider_short; /* NULL: the domain */
    int login_localpart;                        /* login is the local part, not the address */
} eas_ad_settings;

const char *eas_ad_proto_name(eas_ad_proto p); /* "IMAP", "POP3", "SMTP", "ActiveSync"; "?" */
/* Those names and "POP" (case-insensitive); -1 when unknown. */
int eas_ad_proto_parse(const char *name);
/* 1 when p is among s->order[0..norder) (whether or not its server is set). */
int eas_ad_advertises(const eas_ad_settings *s, eas_ad_proto p);

/* "SSL" / "STARTTLS" / "plain" (case-insensitive; "TLS" is taken as SSL); -1 unknown. */
int eas_ad_socket_parse(const char *name);
/* The default port of a protocol over a socket type (0 for values out of range). */
int eas_ad_default_port(eas_ad_proto p, eas_ad_socket s);

/* A DNS name (letters, digits, '-', '.', labels 1-63, total <= 253, no leading/trailing '-' or
 * '.'); 1 valid. */
int eas_ad_valid_domain(const char *d);
/* Splits an addr-spec at its only '@': local part (1-64 printable ASCII without spaces or any of
 * " < > ( ) , ; : \ [ ] @) into *local, a valid domain lower-cased into *domain (either may be
 * NULL). 0 fine, -1 not an address. */
int eas_ad_split_address(apr_pool_t *p, const char *addr, const char **local, const char **domain);

/* --- autodiscover.xml --------------------------------------------------------------------- */

typedef enum { EAS_AD_SCHEMA_OTHER, EAS_AD_SCHEMA_MOBILESYNC, EAS_AD_SCHEMA_OUTLOOK } eas_ad_schema;

typedef struct eas_ad_request {
    const char *email;  /* EMailAddress, trimmed */
    const char *schema; /* AcceptableResponseSchema, trimmed */
    eas_ad_schema kind; /* which response schema that is */
} eas_ad_request;

/* Parses a POX request: root Autodiscover in the mobilesync or Outlook request namespace,
 * Request with EMailAddress and AcceptableResponseSchema (all in the root's namespace, each
 * once). Any DOCTYPE, a NUL byte, malformed XML, wrong structure or a missing/empty element: -1
 * with *why (for the log; why may be NULL) and *out zeroed. 0 parsed (kind may be OTHER: the
 * caller answers 601); the address is not checked here (eas_ad_split_address). Never reads
 * anything but buf, never prints. The process should have called xmlInitParser() before
 * threads start (libxml2 2.9 initialises lazily, and not thread-safely). */
int eas_ad_parse_request(apr_pool_t *p, const char *buf, apr_size_t len, eas_ad_request *out,
                         const char **why);

/* Error in the responseschema/2006 Response (600, 601, 500 ...), with Time and Id attributes as
 * Exchange sends them (id: any number identifying this server). */
const char *eas_ad_error_doc(apr_pool_t *p, int code, const char *message, const char *debug,
                             apr_time_t now, unsigned id);

/* Documents below are UTF-8 with an XML declaration, in the pool; NULL only when libxml2 runs
 * out of memory. Text is escaped by libxml2; bytes that are not UTF-8 or characters XML cannot
 * carry become U+FFFD. */

/* mobilesync answers: settings (Url = s->eas_url; display_name may be NULL), a redirect, and the
 * Action/Error form (Status 2 + Message + empty DebugData + ErrorCode). */
const char *eas_ad_mobilesync_doc(apr_pool_t *p, const char *display_name, const char *email,
                                  const eas_ad_settings *s);
const char *eas_ad_mobilesync_redirect_doc(apr_pool_t *p, const char *email, const char *to);
const char *eas_ad_mobilesync_error_doc(apr_pool_t *p, const char *email, int code,
                                        const char *message);

/* Outlook (2006a) answers: settings (one Protocol per advertised IMAP/POP3/SMTP with a host, in
 * s->order) and redirectAddr. */
const char *eas_ad_outlook_doc(apr_pool_t *p, const char *display_name, const char *email,
                               const eas_ad_settings *s);
const char *eas_ad_outlook_redirect_doc(apr_pool_t *p, const char *to);

/* --- autodiscover.json, config-v1.1.xml --------------------------------------------------------
 */

/* {"Protocol":protocol,"Url":url} and {"ErrorCode":code,"ErrorMessage":message}, JSON-escaped. */
const char *eas_ad_json_doc(apr_pool_t *p, const char *protocol, const char *url);
const char *eas_ad_json_error(apr_pool_t *p, const char *code, const char *message);

/* Thunderbird autoconfig clientConfig 1.1 for s->domain: the advertised servers in s->order
 * (left out: IMAP/POP3/SMTP without a host, ActiveSync without eas_url). */
const char *eas_ad_autoconfig_doc(apr_pool_t *p, const eas_ad_settings *s);

#endif
