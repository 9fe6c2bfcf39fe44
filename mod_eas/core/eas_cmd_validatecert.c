/* eas_cmd_validatecert.c — the ValidateCert command (MS-ASCMD 2.2.1.22): each S/MIME certificate
 * the device sends is verified with OpenSSL against the configured trust store (EASCertCAFile /
 * EASCertCAPath, else the system's), for S/MIME signing, with the device's CertificateChain as
 * untrusted intermediates, and with CheckCRL=1 against the CRLs of EASCertCRLFile. */
#include <string.h>
#include <strings.h>

#include <apr_base64.h>
#include <apr_strings.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include "eas_cmd.h"
#include "eas_xml.h"

#define NS "ValidateCert:"

#define MAX_CERTS 100         /* certificates (and chain entries) per request */
#define MAX_CERT  (64 * 1024) /* base64 bytes of one certificate */

/* MS-ASCMD 2.2.3.177.18 Status (ValidateCert) */
#define VC_OK              1
#define VC_PROTOCOL        2
#define VC_SIGNATURE       3  /* the signature in the digital ID cannot be validated */
#define VC_UNTRUSTED       4  /* issued by an untrusted source */
#define VC_BAD_CHAIN       5  /* the chain was not created correctly */
#define VC_NOT_FOR_EMAIL   6  /* not valid for signing e-mail */
#define VC_EXPIRED         7  /* expired or not yet valid */
#define VC_TIME_NESTING    8  /* validity periods of the chain do not nest */
#define VC_MISUSED         9  /* a certificate in the chain used incorrectly */
#define VC_BAD_DATA        10 /* missing or incorrect information */
#define VC_ROLE            11 /* end-entity used as a CA or the reverse */
#define VC_REVOKED         13 /* the digital ID was revoked */
#define VC_CRL_UNREACHABLE 14 /* revocation status unknown: no CRL */
#define VC_CHAIN_REVOKED   15 /* a certificate of the chain was revoked */
#define VC_UNKNOWN         16 /* cannot be validated, for another reason */
#define VC_SERVER_ERROR    17

/* The certificate in an element's text (base64 DER, line breaks allowed); NULL if it is none. */
static X509 *decode(apr_pool_t *p, const char *b64)
{
    char *clean;
    unsigned char *der;
    const unsigned char *q;
    apr_size_t i, n = 0, len;
    int dlen;
    X509 *x;

    if (!b64 || (len = strlen(b64)) == 0 || len > MAX_CERT) {
        return NULL;
    }
    clean = apr_palloc(p, len + 1);
    for (i = 0; i < len; ++i) {
        char ch = b64[i];
        if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
            continue;
        }
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '+' || ch == '/' || ch == '=')) {
            return NULL;
        }
        clean[n++] = ch;
    }
    clean[n] = '\0';
    der = apr_palloc(p, (apr_size_t)apr_base64_decode_len(clean) + 1);
    dlen = apr_base64_decode_binary(der, clean);
    q = der;
    x = d2i_X509(NULL, &q, dlen);
    if (x && q != der + dlen) {
        X509_free(x); /* trailing bytes: not one DER certificate */
        x = NULL;
    }
    return x;
}

/* The text of an element with only text inside, else NULL. */
static const char *node_text(xmlNodePtr n)
{
    if (n->children && n->children->type == XML_TEXT_NODE && !n->children->next) {
        return (const char *)n->children->content;
    }
    return NULL;
}

/* OpenSSL's verdict as the documented status. */
static int map_error(int err, int depth)
{
    switch (err) {
    case X509_V_OK:
        return VC_OK;
    case X509_V_ERR_CERT_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CERT_SIGNATURE:
    case X509_V_ERR_UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY:
        return VC_SIGNATURE;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_CERT_UNTRUSTED:
    case X509_V_ERR_CERT_REJECTED:
        return VC_UNTRUSTED;
    case X509_V_ERR_CERT_CHAIN_TOO_LONG:
    case X509_V_ERR_PATH_LENGTH_EXCEEDED:
        return VC_BAD_CHAIN;
    case X509_V_ERR_INVALID_PURPOSE:
        return VC_NOT_FOR_EMAIL;
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
        return depth == 0 ? VC_EXPIRED : VC_TIME_NESTING;
    case X509_V_ERR_KEYUSAGE_NO_CERTSIGN:
        return VC_MISUSED;
    case X509_V_ERR_ERROR_IN_CERT_NOT_BEFORE_FIELD:
    case X509_V_ERR_ERROR_IN_CERT_NOT_AFTER_FIELD:
    case X509_V_ERR_INVALID_EXTENSION:
    case X509_V_ERR_UNHANDLED_CRITICAL_EXTENSION:
        return VC_BAD_DATA;
    case X509_V_ERR_INVALID_CA:
    case X509_V_ERR_INVALID_NON_CA:
        return VC_ROLE;
    case X509_V_ERR_CERT_REVOKED:
        return depth == 0 ? VC_REVOKED : VC_CHAIN_REVOKED;
    case X509_V_ERR_UNABLE_TO_GET_CRL:
    case X509_V_ERR_UNABLE_TO_GET_CRL_ISSUER:
    case X509_V_ERR_CRL_HAS_EXPIRED:
    case X509_V_ERR_CRL_NOT_YET_VALID:
    case X509_V_ERR_CRL_SIGNATURE_FAILURE:
    case X509_V_ERR_UNABLE_TO_DECRYPT_CRL_SIGNATURE:
    case X509_V_ERR_ERROR_IN_CRL_LAST_UPDATE_FIELD:
    case X509_V_ERR_ERROR_IN_CRL_NEXT_UPDATE_FIELD:
    case X509_V_ERR_KEYUSAGE_NO_CRL_SIGN:
    case X509_V_ERR_DIFFERENT_CRL_SCOPE:
        return VC_CRL_UNREACHABLE;
    default:
        return VC_UNKNOWN;
    }
}

/* CheckCRL=0 (MS-ASCMD 2.2.3.23): a revocation status that cannot be verified is ignored, a
 * CRL that says "revoked" still counts. */
static int ignore_unknown_revocation(int ok, X509_STORE_CTX *sc)
{
    if (!ok && map_error(X509_STORE_CTX_get_error(sc), 0) == VC_CRL_UNREACHABLE) {
        X509_STORE_CTX_set_error(sc, X509_V_OK);
        return 1;
    }
    return ok;
}

/* The trust store for this request; NULL when it cannot be loaded (*why says what). */
static X509_STORE *trust_store(const eas_lookup_conf *lc, int with_crls, const char **why)
{
    X509_STORE *st = X509_STORE_new();
    const char *ca_file = lc ? lc->ca_file : NULL, *ca_path = lc ? lc->ca_path : NULL;

    if (!st) {
        *why = "out of memory";
        return NULL;
    }
    if (ca_file || ca_path) {
        if (X509_STORE_load_locations(st, ca_file, ca_path) != 1) {
            *why = "EASCertCAFile/EASCertCAPath could not be loaded";
            X509_STORE_free(st);
            return NULL;
        }
    } else if (X509_STORE_set_default_paths(st) != 1) {
        *why = "the system trust store could not be loaded";
        X509_STORE_free(st);
        return NULL;
    }
    /* a CRL file that cannot be read leaves the store without CRLs: CheckCRL then answers
     * "cannot be contacted" (14), which is the truth */
    if (with_crls && lc && lc->crl_file) {
        X509_LOOKUP *lk = X509_STORE_add_lookup(st, X509_LOOKUP_file());
        if (!lk || X509_load_cert_crl_file(lk, lc->crl_file, X509_FILETYPE_PEM) <= 0) {
            *why = "EASCertCRLFile could not be loaded";
        }
    }
    ERR_clear_error();
    return st;
}

static int verify(X509_STORE *st, X509 *cert, STACK_OF(X509) * chain, int check_crl, int have_crls)
{
    X509_STORE_CTX *sc = X509_STORE_CTX_new();
    int status;

    if (!sc || X509_STORE_CTX_init(sc, st, cert, chain) != 1) {
        X509_STORE_CTX_free(sc);
        return VC_SERVER_ERROR;
    }
    X509_STORE_CTX_set_purpose(sc, X509_PURPOSE_SMIME_SIGN);
    if (check_crl || have_crls) {
        X509_STORE_CTX_set_flags(sc, X509_V_FLAG_CRL_CHECK);
    }
    if (!check_crl) {
        X509_STORE_CTX_set_verify_cb(sc, ignore_unknown_revocation);
    }
    if (X509_verify_cert(sc) == 1) {
        status = VC_OK;
    } else {
        status = map_error(X509_STORE_CTX_get_error(sc), X509_STORE_CTX_get_error_depth(sc));
        if (status == VC_OK) {
            status = VC_UNKNOWN; /* failed without saying why */
        }
    }
    X509_STORE_CTX_free(sc);
    ERR_clear_error();
    return status;
}

int eas_cmd_validatecert(eas_cmd_ctx *ctx)
{
    xmlNodePtr root = ctx->req ? xmlDocGetRootElement(ctx->req) : NULL, certs, n, r_root;
    /* MS-ASWBXML spells the token CheckCrl; MS-ASCMD's prose says CheckCRL */
    const char *crl = eas_xml_child(root, NS, "CheckCrl")
                          ? eas_xml_child_text(root, NS, "CheckCrl")
                          : eas_xml_child_text(root, NS, "CheckCRL"),
               *why = NULL;
    int check_crl, count = 0;
    STACK_OF(X509) *chain = NULL;
    X509_STORE *st = NULL;

    if (!eas_xml_is(root, NS, "ValidateCert")) {
        ctx->http_status = 400;
        ctx->note = "ValidateCert without a ValidateCert body";
        return 0;
    }
    ctx->resp = eas_xml_new_doc(NS, "ValidateCert");
    r_root = xmlDocGetRootElement(ctx->resp);
    certs = eas_xml_child(root, NS, "Certificates");
    check_crl = crl && (!strcmp(crl, "1") || !strcasecmp(crl, "true"));
    for (n = certs ? eas_xml_child(certs, NS, "Certificate") : NULL; n; n = eas_xml_next(n)) {
        ++count;
    }
    if (!count || count > MAX_CERTS ||
        (crl && strcmp(crl, "0") && strcmp(crl, "1") && strcasecmp(crl, "true") &&
         strcasecmp(crl, "false"))) {
        ctx->note = "malformed ValidateCert";
        eas_xml_add_int(r_root, NULL, "Status", VC_PROTOCOL);
        return 0;
    }
    if (!(st = trust_store(ctx->lookup, 1, &why))) {
        ctx->warning = apr_pstrcat(ctx->pool, "ValidateCert: ", why, NULL);
        eas_xml_add_int(r_root, NULL, "Status", VC_SERVER_ERROR);
        return 0;
    }
    if (why) {
        ctx->warning = apr_pstrcat(ctx->pool, "ValidateCert: ", why, NULL);
    }
    /* intermediates the device offers: used to build paths, never trusted; one that does not
     * decode is left out (the path then fails on its own terms) */
    chain = sk_X509_new_null();
    if (!chain) {
        X509_STORE_free(st);
        ctx->error = "out of memory";
        return -1;
    }
    if ((n = eas_xml_child(root, NS, "CertificateChain")) != NULL) {
        int k = 0;
        for (n = eas_xml_child(n, NS, "Certificate"); n && k < MAX_CERTS;
             n = eas_xml_next(n), ++k) {
            X509 *x = decode(ctx->pool, node_text(n));
            if (x && !sk_X509_push(chain, x)) {
                X509_free(x);
            }
        }
    }
    eas_xml_add_int(r_root, NULL, "Status", VC_OK);
    for (n = eas_xml_child(certs, NS, "Certificate"); n; n = eas_xml_next(n)) {
        X509 *x = decode(ctx->pool, node_text(n));
        int status =
            x ? verify(st, x, chain, check_crl, ctx->lookup && ctx->lookup->crl_file) : VC_PROTOCOL;
        eas_xml_add_int(eas_xml_add(r_root, NULL, "Certificate", NULL), NULL, "Status", status);
        X509_free(x);
    }
    sk_X509_pop_free(chain, X509_free);
    X509_STORE_free(st);
    return 0;
}
