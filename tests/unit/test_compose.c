/* Unit tests: building messages (eas_compose) — 16.x Drafts fields, and SmartReply/SmartForward:
 * quoting, attribution, the HTML blockquote, the forwarded block with the original's attachments,
 * thread headers, Forwardees, recipient counting, signed messages left alone, junk input. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "eas_compose.h"
#include "eas_mime.h"
#include "tap.h"

static apr_pool_t *pool;

static const char *ORIG_PLAIN = "From: Alice <alice@example.org>\n"
                                "To: demo@example.test\n"
                                "Subject: Lunch?\n"
                                "Date: Mon, 03 Mar 2025 10:00:00 +0000\n"
                                "Message-ID: <orig-1@example.org>\n"
                                "References: <older@example.org>\n"
                                "MIME-Version: 1.0\n"
                                "Content-Type: text/plain; charset=utf-8\n"
                                "\n"
                                "Shall we eat?\n"
                                "\n"
                                "> earlier\n";

static const char *ORIG_HTML = "From: Bob <bob@example.org>\n"
                               "To: demo@example.test\n"
                               "Subject: Report\n"
                               "Date: Tue, 04 Mar 2025 09:30:00 +0000\n"
                               "Message-ID: <orig-2@example.org>\n"
                               "MIME-Version: 1.0\n"
                               "Content-Type: multipart/alternative; boundary=\"b1\"\n"
                               "\n"
                               "--b1\n"
                               "Content-Type: text/plain; charset=utf-8\n"
                               "\n"
                               "The report.\n"
                               "--b1\n"
                               "Content-Type: text/html; charset=utf-8\n"
                               "\n"
                               "<html><body><p>The <b>report</b>.</p></body></html>\n"
                               "--b1--\n";

static const char *ORIG_ATT = "From: Carol <carol@example.org>\n"
                              "To: demo@example.test\n"
                              "Cc: dave@example.org\n"
                              "Subject: Files\n"
                              "Date: Wed, 05 Mar 2025 08:00:00 +0000\n"
                              "Message-ID: <orig-3@example.org>\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: multipart/mixed; boundary=\"m1\"\n"
                              "\n"
                              "--m1\n"
                              "Content-Type: text/plain; charset=utf-8\n"
                              "\n"
                              "See attached.\n"
                              "--m1\n"
                              "Content-Type: application/pdf; name=\"a.pdf\"\n"
                              "Content-Disposition: attachment; filename=\"a.pdf\"\n"
                              "Content-Transfer-Encoding: base64\n"
                              "\n"
                              "JVBERi0xLjQKJcfsj6IK\n"
                              "--m1--\n";

static const char *DEV_PLAIN = "From: demo@example.test\n"
                               "To: Alice <alice@example.org>\n"
                               "Subject: Re: Lunch?\n"
                               "MIME-Version: 1.0\n"
                               "Content-Type: text/plain; charset=us-ascii\n"
                               "\n"
                               "Yes, at noon.\n";

static const char *DEV_ALT = "From: demo@example.test\n"
                             "To: Bob <bob@example.org>, erin@example.org\n"
                             "Subject: Re: Report\n"
                             "MIME-Version: 1.0\n"
                             "Content-Type: multipart/alternative; boundary=\"d1\"\n"
                             "\n"
                             "--d1\n"
                             "Content-Type: text/plain; charset=utf-8\n"
                             "\n"
                             "Thanks!\n"
                             "--d1\n"
                             "Content-Type: text/html; charset=utf-8\n"
                             "\n"
                             "<html><body><p>Thanks!</p></body></html>\n"
                             "--d1--\n";

static const char *smart(const char *dev, const char *orig, int flags,
                         const apr_array_header_t *extra, apr_size_t *len)
{
    const char *out = NULL, *err = NULL;
    int rc = eas_compose_smart(pool, dev, strlen(dev), orig, orig ? strlen(orig) : 0, flags, extra,
                               &out, len, &err);
    return rc == 0 ? out : NULL;
}

static void test_pieces(void)
{
    is_str(eas_compose_quote(pool, "a\n\nb\n> c\n\n"), "> a\n>\n> b\n>> c\n", "quote");
    is_str(eas_compose_quote(pool, "x\r\ny"), "> x\n> y\n", "quote CRLF");
    is_str(eas_compose_quote(pool, ""), "", "quote empty");
    is_str(eas_compose_quote(pool, NULL), "", "quote NULL");
    is_str(eas_compose_attribution(pool, apr_time_from_sec(1741000000), "Alice <a@b>"),
           "On Mon, 03 Mar 2025 11:06:40 GMT, Alice <a@b> wrote:", "attribution");
    is_str(eas_compose_attribution(pool, 0, "a@b"), "a@b wrote:", "attribution without date");
    is_str(eas_compose_html_inner(pool, "<HTML><Body class=x>in<b>s</b></BODY></html>"),
           "in<b>s</b>", "html inner");
    is_str(eas_compose_html_inner(pool, "<p>frag</p>"), "<p>frag</p>", "html fragment");
    is_int(eas_compose_recipient_count(DEV_PLAIN, strlen(DEV_PLAIN)), 1, "one recipient");
    is_int(eas_compose_recipient_count(DEV_ALT, strlen(DEV_ALT)), 2, "two recipients");
    is_int(eas_compose_recipient_count("", 0), 0, "nothing");
}

static void test_reply_plain(void)
{
    apr_size_t len;
    const char *out = smart(DEV_PLAIN, ORIG_PLAIN, EAS_SMART_APPEND, NULL, &len), *err;
    eas_mime_info m;

    ok(out != NULL, "reply built");
    if (!out) {
        return;
    }
    eas_mime_parse(pool, out, len, &m, &err);
    is_str(m.text,
           "Yes, at noon.\n\nOn Mon, 03 Mar 2025 10:00:00 GMT, Alice <alice@example.org> wrote:\n"
           "> Shall we eat?\n>\n>> earlier\n",
           "reply text");
    is_str(m.in_reply_to, "<orig-1@example.org>", "In-Reply-To");
    is_str(m.references, "<older@example.org> <orig-1@example.org>", "References");
    is_str(m.subject, "Re: Lunch?", "subject kept");
    ok(strstr(out, "To: Alice <alice@example.org>") != NULL, "device headers kept");
    is_int(m.attachments->nelts, 0, "no attachments");
}

static void test_reply_utf8(void)
{
    static const char *dev = "From: demo@example.test\nTo: a@example.org\nSubject: Re\n"
                             "MIME-Version: 1.0\nContent-Type: text/plain; charset=us-ascii\n"
                             "Content-Transfer-Encoding: 7bit\n\nOk\n";
    static const char *orig = "From: =?utf-8?q?J=C3=B6rg?= <j@example.org>\nTo: demo@example.test\n"
                              "Subject: x\nMIME-Version: 1.0\n"
                              "Content-Type: text/plain; charset=iso-8859-1\n"
                              "Content-Transfer-Encoding: 8bit\n\nGr\xfc\xdf"
                              "e\n";
    apr_size_t len;
    const char *out = smart(dev, orig, EAS_SMART_APPEND, NULL, &len), *err;
    eas_mime_info m;

    ok(out != NULL, "utf-8 reply built");
    if (!out) {
        return;
    }
    eas_mime_parse(pool, out, len, &m, &err);
    ok(strstr(m.text, "J\xc3\xb6rg <j@example.org> wrote:\n> Gr\xc3\xbc\xc3\x9f"
                      "e\n") != NULL,
       "charset converted, name decoded");
    ok(strstr(out, "charset=utf-8") && strstr(out, "Content-Transfer-Encoding: quoted-printable"),
       "7bit part re-encoded");
}

static void test_reply_html(void)
{
    apr_size_t len;
    const char *out = smart(DEV_ALT, ORIG_HTML, EAS_SMART_APPEND, NULL, &len), *err;
    eas_mime_info m;

    ok(out != NULL, "html reply built");
    if (!out) {
        return;
    }
    eas_mime_parse(pool, out, len, &m, &err);
    ok(m.html && strstr(m.html, "<p>Thanks!</p><div>On Tue, 04 Mar 2025 09:30:00 GMT, Bob "
                                "&lt;bob@example.org&gt; wrote:<br></div>") != NULL,
       "attribution in html");
    ok(m.html && strstr(m.html, "<blockquote type=\"cite\"") &&
           strstr(m.html, "<p>The <b>report</b>.</p></blockquote>\n</body></html>"),
       "blockquote before </body>");
    ok(strstr(m.text, "Thanks!\n\nOn Tue") && strstr(m.text, "> The report."), "plain quoted");
}

static void test_forward(void)
{
    apr_size_t len;
    const char *out = smart(DEV_PLAIN, ORIG_ATT, EAS_SMART_APPEND | EAS_SMART_FORWARD, NULL, &len);
    const char *err, *data, *ct;
    apr_size_t dlen;
    eas_mime_info m;

    ok(out != NULL, "forward built");
    if (!out) {
        return;
    }
    eas_mime_parse(pool, out, len, &m, &err);
    is_str(m.text,
           "Yes, at noon.\n\n---------- Forwarded message ----------\n"
           "From: Carol <carol@example.org>\nDate: Wed, 05 Mar 2025 08:00:00 GMT\n"
           "Subject: Files\nTo: demo@example.test\nCc: dave@example.org\n\nSee attached.\n",
           "forward text");
    is_int(m.attachments->nelts, 1, "attachment kept");
    if (m.attachments->nelts == 1) {
        const eas_mime_attachment *a = &APR_ARRAY_IDX(m.attachments, 0, eas_mime_attachment);
        is_str(a->filename, "a.pdf", "filename");
        is_str(a->content_type, "application/pdf", "type");
        ok(eas_mime_attachment_data(pool, out, len, 1, &data, &dlen, &ct, &err) == 0 &&
               dlen == 15 && memcmp(data, "%PDF-1.4\n%\xc7\xec\x8f\xa2\n", 15) == 0,
           "attachment bytes");
    }
    ok(m.in_reply_to == NULL, "no In-Reply-To on a forward");
}

static void test_forwardees_and_replace(void)
{
    apr_array_header_t *extra = apr_array_make(pool, 2, sizeof(const char *));
    apr_size_t len;
    const char *out, *err;
    eas_mime_info m;

    APR_ARRAY_PUSH(extra, const char *) = "\"Frank, F.\" <frank@example.org>";
    APR_ARRAY_PUSH(extra, const char *) = "ALICE@example.org";
    out = smart(DEV_PLAIN, ORIG_PLAIN, EAS_SMART_FORWARD, extra, &len);
    ok(out != NULL, "forwardees without append");
    if (!out) {
        return;
    }
    eas_mime_parse(pool, out, len, &m, &err);
    ok(strstr(m.to, "frank@example.org") != NULL, "forwardee added");
    is_int(eas_compose_recipient_count(out, len), 2, "alice not added twice");
    is_str(m.text, "Yes, at noon.\n", "body untouched without append");
}

static void test_odd_inputs(void)
{
    static const char *signed_msg = "From: demo@example.test\nTo: a@b\nSubject: s\n"
                                    "MIME-Version: 1.0\nContent-Type: multipart/signed; "
                                    "protocol=\"application/pkcs7-signature\"; boundary=s1\n\n"
                                    "--s1\nContent-Type: text/plain\n\nsigned\n--s1\n"
                                    "Content-Type: application/pkcs7-signature\n\nAAAA\n--s1--\n";
    static const char *att_only = "From: demo@example.test\nTo: a@b\nSubject: s\n"
                                  "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=x\n\n"
                                  "--x\nContent-Type: image/png\nContent-Disposition: attachment; "
                                  "filename=p.png\nContent-Transfer-Encoding: base64\n\niVBORw==\n"
                                  "--x--\n";
    apr_size_t len;
    const char *out, *err = NULL;
    eas_mime_info m;
    int i;

    out = smart(signed_msg, ORIG_PLAIN, EAS_SMART_APPEND, NULL, &len);
    ok(out && strstr(out, "\nsigned\n") && !strstr(out, "Shall we eat"), "signed left alone");
    out = smart(att_only, ORIG_PLAIN, EAS_SMART_APPEND | EAS_SMART_FORWARD, NULL, &len);
    ok(out != NULL, "attachment-only device message");
    if (out) {
        eas_mime_parse(pool, out, len, &m, &err);
        ok(strstr(m.text, "Shall we eat?") != NULL, "original text leads");
        is_int(m.attachments->nelts, 1, "device attachment kept");
    }
    ok(eas_compose_smart(pool, "", 0, ORIG_PLAIN, strlen(ORIG_PLAIN), EAS_SMART_APPEND, NULL, &out,
                         &len, &err) == -1,
       "empty device message refused");
    /* no crash on any prefix of the inputs */
    for (i = 0; i < (int)strlen(ORIG_ATT); i += 7) {
        err = NULL;
        eas_compose_smart(pool, ORIG_ATT, (apr_size_t)i, ORIG_ATT, strlen(ORIG_ATT) - (apr_size_t)i,
                          EAS_SMART_APPEND | EAS_SMART_FORWARD, NULL, &out, &len, &err);
    }
    ok(1, "prefixes survive");
}

static void test_drafts_message(void)
{
    eas_compose_fields f;
    apr_size_t len;
    const char *out, *err;
    eas_mime_info m;

    memset(&f, 0, sizeof(f));
    f.from = "demo@example.test";
    f.to = "a@example.org; b@example.org";
    f.subject = "Grüße";
    f.text = "Hallo\n";
    f.html = "<p>Hallo</p>";
    f.importance = 2;
    out = eas_compose_message(pool, &f, &len);
    eas_mime_parse(pool, out, len, &m, &err);
    is_str(m.subject, "Grüße", "draft subject");
    is_int(m.importance, 2, "draft importance");
    ok(m.html && strstr(m.html, "<p>Hallo</p>"), "draft html");
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    eas_mime_init();
    test_pieces();
    test_reply_plain();
    test_reply_utf8();
    test_reply_html();
    test_forward();
    test_forwardees_and_replace();
    test_odd_inputs();
    test_drafts_message();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
