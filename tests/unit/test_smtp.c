/* Unit tests: the SMTP client's pure parts — relay URLs, the DATA payload (CRLF normalisation,
 * dot-stuffing, terminator), reply parsing (multi-line, partial, garbage) and EHLO keywords. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_smtp.h"
#include "tap.h"

static apr_pool_t *pool;

static void test_url(void)
{
    eas_smtp_url u;

    ok(!eas_smtp_parse_url(pool, "smtp://mail.example.org", &u), "smtp url parses");
    is_int(u.tls, EAS_SMTP_PLAIN, "smtp: plain");
    is_int(u.port, 25, "smtp: default port 25");
    is_str(u.host, "mail.example.org", "smtp: host");
    ok(!eas_smtp_parse_url(pool, "smtps://relay:2465/", &u), "smtps with port and slash");
    is_int(u.tls, EAS_SMTP_TLS, "smtps: implicit TLS");
    is_int(u.port, 2465, "smtps: port");
    ok(!eas_smtp_parse_url(pool, "SUBMISSION://[::1]", &u), "submission, IPv6, upper case");
    is_int(u.tls, EAS_SMTP_STARTTLS, "submission: STARTTLS");
    is_int(u.port, 587, "submission: default port 587");
    is_str(u.host, "::1", "IPv6 without brackets");
    ok(!eas_smtp_parse_url(pool, "smtps://h", &u) && u.port == 465, "smtps default 465");
    ok(eas_smtp_parse_url(pool, "http://x", &u) != NULL, "other scheme refused");
    ok(eas_smtp_parse_url(pool, "smtp://", &u) != NULL, "no host refused");
    ok(eas_smtp_parse_url(pool, "smtp://u@h", &u) != NULL, "user in URL refused");
    ok(eas_smtp_parse_url(pool, "smtp://h:0", &u) != NULL, "port 0 refused");
    ok(eas_smtp_parse_url(pool, "smtp://h:70000", &u) != NULL, "port too big refused");
    ok(eas_smtp_parse_url(pool, "smtp://h:25x", &u) != NULL, "port with junk refused");
    ok(eas_smtp_parse_url(pool, "smtp://[::1", &u) != NULL, "unclosed IPv6 refused");
}

static void data_is(const char *in, const char *want, const char *name)
{
    apr_size_t n;
    char *out = eas_smtp_data(pool, in, strlen(in), &n);
    ok(n == strlen(want) && memcmp(out, want, n) == 0, "%s", name);
    if (n != strlen(want) || memcmp(out, want, n) != 0) {
        printf("#   got '%s'\n", out);
    }
}

static void test_data(void)
{
    apr_size_t n;
    char *c;

    data_is("a\r\nb\r\n", "a\r\nb\r\n.\r\n", "CRLF kept, terminator added");
    data_is("a\nb\n", "a\r\nb\r\n.\r\n", "bare LF becomes CRLF");
    data_is("a\rb", "a\r\nb\r\n.\r\n", "bare CR becomes CRLF, final CRLF added");
    data_is(".\r\n", "..\r\n.\r\n", "a lone dot line is stuffed");
    data_is("x\n.hidden\n..two\n", "x\r\n..hidden\r\n...two\r\n.\r\n", "leading dots doubled");
    data_is(".first", "..first\r\n.\r\n", "dot at the very start");
    data_is("a.b\n", "a.b\r\n.\r\n", "dots inside a line untouched");
    data_is("", ".\r\n", "empty data: only the terminator");
    data_is("a\r\n\r\nb", "a\r\n\r\nb\r\n.\r\n", "empty lines kept");
    {
        const char in[] = "a\0b\n";
        c = eas_smtp_data(pool, in, sizeof(in) - 1, &n);
        ok(n == 8 && memcmp(c, "a\0b\r\n.\r\n", 8) == 0, "NUL bytes pass through (length-based)");
    }
    c = eas_smtp_crlf(pool, "a\nb\r\n.c", 7, &n);
    ok(n == 8 && memcmp(c, "a\r\nb\r\n.c", 8) == 0, "crlf only: no stuffing, no terminator");
}

static void test_reply(void)
{
    int code = 0;
    apr_size_t used = 0;
    const char *text = NULL;
    const char *multi = "250-sink.test\r\n250-8BITMIME\r\n250-AUTH PLAIN LOGIN\r\n"
                        "250 STARTTLS\r\n354 next";

    is_int(eas_smtp_parse_reply(pool, "220 hi\r\n", 8, &code, &used, &text), 1, "one line");
    is_int(code, 220, "code 220");
    is_int(used, 8, "consumed the line");
    is_str(text, "hi", "text");
    is_int(eas_smtp_parse_reply(pool, multi, strlen(multi), &code, &used, &text), 1,
           "multi-line reply");
    is_int(code, 250, "multi: code");
    is_int(used, strlen(multi) - strlen("354 next"), "multi: stops after the last line");
    is_str(text, "sink.test / 8BITMIME / AUTH PLAIN LOGIN / STARTTLS", "multi: texts joined");
    is_int(eas_smtp_parse_reply(pool, "250-a\r\n250-b", 12, &code, &used, &text), 0,
           "incomplete multi-line: need more");
    is_int(eas_smtp_parse_reply(pool, "25", 2, &code, &used, &text), 0, "partial code: need more");
    is_int(eas_smtp_parse_reply(pool, "", 0, &code, &used, &text), 0, "nothing yet");
    is_int(eas_smtp_parse_reply(pool, "250\n", 4, &code, &used, &text), 1, "bare code, LF only");
    is_str(text, "", "bare code: empty text");
    is_int(eas_smtp_parse_reply(pool, "HTTP/1.1 400\r\n", 14, &code, &used, &text), -1, "not SMTP");
    is_int(eas_smtp_parse_reply(pool, "xyz", 3, &code, &used, &text), -1,
           "garbage without newline is an error at once");
    is_int(eas_smtp_parse_reply(pool, "250-a\r\n550 b\r\n", 14, &code, &used, &text), -1,
           "codes differing within a reply");
    is_int(eas_smtp_parse_reply(pool, "250xa\r\n", 7, &code, &used, &text), -1, "bad separator");
    is_int(eas_smtp_parse_reply(pool, "550 5.1.1 no such user\r\n", 24, &code, &used, &text), 1,
           "a refusal");
    is_int(code, 550, "550");
    is_str(text, "5.1.1 no such user", "refusal text");
}

static void test_ehlo(void)
{
    const char *e = "sink.test / 8BITMIME / SIZE 52428800 / AUTH LOGIN PLAIN / STARTTLS";
    ok(eas_smtp_ehlo_has(e, "STARTTLS", NULL), "STARTTLS announced");
    ok(eas_smtp_ehlo_has(e, "starttls", NULL), "keywords are case-insensitive");
    ok(eas_smtp_ehlo_has(e, "AUTH", "PLAIN"), "AUTH PLAIN offered");
    ok(!eas_smtp_ehlo_has(e, "AUTH", "CRAM-MD5"), "AUTH CRAM-MD5 not offered");
    ok(!eas_smtp_ehlo_has(e, "SIZ", NULL), "prefix of a keyword is not the keyword");
    ok(!eas_smtp_ehlo_has(e, "PIPELINING", NULL), "absent keyword");
    ok(eas_smtp_ehlo_has("x / AUTH=PLAIN", "AUTH", "PLAIN"), "old AUTH=PLAIN form");
    ok(!eas_smtp_ehlo_has("", "AUTH", NULL), "empty EHLO text (HELO fallback)");
    ok(!eas_smtp_ehlo_has("sink.test", "sink", NULL), "greeting domain is not a keyword match");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_url();
    test_data();
    test_reply();
    test_ehlo();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
