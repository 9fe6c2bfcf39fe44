/* Unit tests: MIME parsing for EAS (eas_mime) — headers, charsets, body selection, attachments and
 * their bytes, S/MIME classes, damaged input, preview/truncate/text_to_html, a fuzz-ish loop over
 * prefixes and byte flips of every fixture, and concurrent parsing from several threads. */
#include <pthread.h>
#include <string.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>
#include <apr_time.h>

#include "eas_mime.h"
#include "tap.h"

static apr_pool_t *pool;

/* ---- helpers ------------------------------------------------------------------------------- */

static int utf8_valid(const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    if (!s) {
        return 1;
    }
    while (*u) {
        int n, i;
        unsigned cp;
        if (*u < 0x80) {
            ++u;
            continue;
        }
        if (*u >= 0xc2 && *u <= 0xdf) {
            n = 1, cp = *u & 0x1f;
        } else if (*u >= 0xe0 && *u <= 0xef) {
            n = 2, cp = *u & 0x0f;
        } else if (*u >= 0xf0 && *u <= 0xf4) {
            n = 3, cp = *u & 0x07;
        } else {
            return 0;
        }
        for (i = 1; i <= n; ++i) {
            if ((u[i] & 0xc0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (u[i] & 0x3f);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return 0;
        }
        u += n + 1;
    }
    return 1;
}

/* Every string of info is valid UTF-8 and the mandatory ones are non-NULL. */
static int info_sane(const eas_mime_info *m)
{
    int i;

    if (!m->subject || !m->from || !m->to || !m->cc || !m->reply_to || !m->display_to ||
        !m->thread_topic || !m->message_class || !m->text || !m->attachments) {
        return 0;
    }
    if (!utf8_valid(m->subject) || !utf8_valid(m->from) || !utf8_valid(m->to) ||
        !utf8_valid(m->cc) || !utf8_valid(m->reply_to) || !utf8_valid(m->display_to) ||
        !utf8_valid(m->message_id) || !utf8_valid(m->in_reply_to) || !utf8_valid(m->references) ||
        !utf8_valid(m->thread_topic) || !utf8_valid(m->text) || !utf8_valid(m->html)) {
        return 0;
    }
    if (m->native_type != 1 && m->native_type != 2) {
        return 0;
    }
    for (i = 0; i < m->attachments->nelts; ++i) {
        const eas_mime_attachment *a = &APR_ARRAY_IDX(m->attachments, i, eas_mime_attachment);
        if (a->index != i + 1 || !a->filename || !*a->filename || !utf8_valid(a->filename) ||
            !a->content_type || !utf8_valid(a->content_type) || !utf8_valid(a->content_id)) {
            return 0;
        }
    }
    return 1;
}

static const eas_mime_attachment *att(const eas_mime_info *m, int i)
{
    return i < m->attachments->nelts ? &APR_ARRAY_IDX(m->attachments, i, eas_mime_attachment)
                                     : NULL;
}

static int parse(const char *msg, eas_mime_info *m)
{
    const char *err = NULL;
    return eas_mime_parse(pool, msg, strlen(msg), m, &err);
}

/* Base64 of raw bytes with 76-column lines, as mailers write it. */
static const char *b64_lines(const unsigned char *raw, int len)
{
    char *flat = apr_palloc(pool, (apr_size_t)apr_base64_encode_len(len));
    apr_size_t n, i;
    char *out, *o;

    apr_base64_encode_binary(flat, raw, len);
    n = strlen(flat);
    out = o = apr_palloc(pool, n + n / 76 * 2 + 4);
    for (i = 0; i < n; i += 76) {
        apr_size_t k = n - i < 76 ? n - i : 76;
        memcpy(o, flat + i, k);
        o += k;
        *o++ = '\n';
    }
    *o = '\0';
    return out;
}

/* Deterministic binary "PDF": header, NULs, every byte value. */
static unsigned char *fake_pdf(int len)
{
    unsigned char *b = apr_palloc(pool, (apr_size_t)len);
    unsigned x = 12345;
    int i;

    for (i = 0; i < len; ++i) {
        x = x * 1103515245u + 12345u;
        b[i] = (unsigned char)(x >> 16);
    }
    memcpy(b, "%PDF-1.4\n\0\0\xff\xfe", 13);
    return b;
}

/* ---- fixtures ------------------------------------------------------------------------------ */

static const char plain_msg[] = "From: \"Alice Example\" <alice@example.com>\n"
                                "To: Bob <bob@example.com>, carol@example.com\n"
                                "Cc: \"Dan, D.\" <dan@example.com>\n"
                                "Reply-To: replies@example.com\n"
                                "Subject: Re: Fwd: Quarterly numbers\n"
                                "Date: Tue, 15 Nov 1994 08:12:31 -0500\n"
                                "Message-ID: <abc123@example.com>\n"
                                "In-Reply-To: <prev@example.com>\n"
                                "References: <first@example.com>\n"
                                " <prev@example.com>\n"
                                "MIME-Version: 1.0\n"
                                "Content-Type: text/plain; charset=us-ascii\n"
                                "\n"
                                "Hello Bob,\n"
                                "\n"
                                "numbers attached.\n";

static const char rfc2047_msg[] =
    "From: =?ISO-8859-1?Q?J=F6rg_M=FCller?= <joerg@example.de>\r\n"
    "To: =?UTF-8?B?w4lsb2RpZSBEdXBvbnQ=?= <elodie@example.fr>, =?UTF-8?Q?Zo=C3=AB?= "
    "<zoe@example.org>\r\n"
    "Subject: =?UTF-8?B?SGVsbG8g4pyTIHdvcmxk?=\r\n"
    "Thread-Topic: =?ISO-8859-1?Q?Gr=FC=DFe_aus_K=F6ln?=\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Transfer-Encoding: 8bit\r\n"
    "\r\n"
    "Gr\xc3\xbc\xc3\x9f"
    "e\r\n";

static const char latin1_msg[] = "Subject: latin1\n"
                                 "Content-Type: text/plain; charset=\"ISO-8859-1\"\n"
                                 "Content-Transfer-Encoding: quoted-printable\n"
                                 "\n"
                                 "caf=E9 na=EFve =\n"
                                 "soft break\n";

static const char cp1252_msg[] = "Subject: cp1252\n"
                                 "Content-Type: text/plain; charset=windows-1252\n"
                                 "Content-Transfer-Encoding: 8bit\n"
                                 "\n"
                                 "\x93quoted\x94 \x80 5 \x85\n";

static const char koi8_msg[] = "Subject: koi8\n"
                               "Content-Type: text/plain; charset=koi8-r\n"
                               "Content-Transfer-Encoding: 8bit\n"
                               "\n"
                               "\xf0\xd2\xc9\xd7\xc5\xd4\n";

static const char unknown_cs_msg[] = "Subject: unknown charset\n"
                                     "Content-Type: text/plain; charset=x-klingon-42\n"
                                     "Content-Transfer-Encoding: 8bit\n"
                                     "\n"
                                     "\xe9t\xe9 \xff\n";

static const char nocs_utf8_msg[] = "Subject: no charset\n"
                                    "\n"
                                    "na\xc3\xafve \xe2\x82\xac\n";

static const char alt_msg[] = "Subject: alternative\n"
                              "MIME-Version: 1.0\n"
                              "Content-Type: multipart/alternative; boundary=\"ALT\"\n"
                              "\n"
                              "preamble\n"
                              "--ALT\n"
                              "Content-Type: text/plain; charset=utf-8\n"
                              "\n"
                              "Plain version\n"
                              "--ALT\n"
                              "Content-Type: text/html; charset=utf-8\n"
                              "\n"
                              "<p>HTML <b>version</b></p>\n"
                              "--ALT--\n"
                              "epilogue\n";

static const char html_only_msg[] =
    "Subject: html only\n"
    "Content-Type: text/html; charset=utf-8\n"
    "\n"
    "<html><head><title>T</title><style>p { color: red }</style></head><body>"
    "<p>Caf&eacute; &amp; bar&nbsp;&lt;ok&gt;</p><div>line2<br>line3</div>"
    "<script>alert('x')</script><!-- comment -->&#8364;&#x41;&bogus; &#150;</body></html>\n";

static const char html_meta_msg[] =
    "Subject: html meta charset\n"
    "Content-Type: text/html\n"
    "\n"
    "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">"
    "</head><body>Gr\xfc\xdf"
    "e</body></html>\n";

static const char related_msg[] =
    "Subject: related\n"
    "Content-Type: multipart/related; boundary=\"REL\"; type=\"multipart/alternative\"\n"
    "\n"
    "--REL\n"
    "Content-Type: multipart/alternative; boundary=\"ALT\"\n"
    "\n"
    "--ALT\n"
    "Content-Type: text/plain\n"
    "\n"
    "see image\n"
    "--ALT\n"
    "Content-Type: text/html\n"
    "\n"
    "<p>see <img src=\"cid:img1@example\"></p>\n"
    "--ALT--\n"
    "--REL\n"
    "Content-Type: image/png\n"
    "Content-ID: <img1@example>\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "iVBORw0KGgo=\n"
    "--REL\n"
    "Content-Type: image/gif; name=\"logo.gif\"\n"
    "Content-ID: <logo@example>\n"
    "Content-Disposition: inline; filename=\"logo.gif\"\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "R0lGODlh\n"
    "--REL\n"
    "Content-Type: image/jpeg\n"
    "Content-ID: <photo@example>\n"
    "Content-Disposition: attachment; filename=photo.jpg\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "/9j/4AAQ\n"
    "--REL--\n";

static const char rfc822_msg[] = "Subject: forward\n"
                                 "Content-Type: multipart/mixed; boundary=\"MIX\"\n"
                                 "\n"
                                 "--MIX\n"
                                 "Content-Type: text/plain\n"
                                 "\n"
                                 "see attached message\n"
                                 "--MIX\n"
                                 "Content-Type: message/rfc822\n"
                                 "\n"
                                 "Subject: Inner news / today\n"
                                 "From: inner@example.com\n"
                                 "Content-Type: multipart/mixed; boundary=\"IN\"\n"
                                 "\n"
                                 "--IN\n"
                                 "Content-Type: text/plain\n"
                                 "\n"
                                 "inner body\n"
                                 "--IN\n"
                                 "Content-Type: application/pdf; name=inner.pdf\n"
                                 "\n"
                                 "inner pdf\n"
                                 "--IN--\n"
                                 "\n"
                                 "--MIX--\n";

static const char pkcs7_msg[] =
    "Subject: encrypted\n"
    "MIME-Version: 1.0\n"
    "Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m\n"
    "Content-Disposition: attachment; filename=smime.p7m\n"
    "Content-Transfer-Encoding: base64\n"
    "\n"
    "MIAGCSqGSIb3DQEHA6CAMIACAQAxggFAMIIBPAIBADCBpDCBnjELMAkGA1UEBhMC\n";

static const char no_boundary_msg[] = "Subject: no boundary\n"
                                      "Content-Type: multipart/mixed\n"
                                      "\n"
                                      "hello there\n"
                                      "--foo\n"
                                      "\n"
                                      "bar\n";

static const char bad_b64_msg[] = "Subject: bad base64\n"
                                  "Content-Type: multipart/mixed; boundary=B\n"
                                  "\n"
                                  "--B\n"
                                  "Content-Type: text/plain; charset=utf-8\n"
                                  "Content-Transfer-Encoding: base64\n"
                                  "\n"
                                  "SGVsbG8g!!!***d29y\xff\xfe"
                                  "bGQ=====garbage\n"
                                  "--B\n"
                                  "Content-Type: application/octet-stream; name=x.bin\n"
                                  "Content-Transfer-Encoding: base64\n"
                                  "\n"
                                  "%%%%####@@@@\n"
                                  "QUJD\n"
                                  "--B--\n";

static const char dates_msg[] = "Subject: garbage date\n"
                                "Date: not a date at all, 99 Foo 12345 99:99:99 +9999\n"
                                "\n"
                                "x\n";

static const char raw8_msg[] = "Subject: Pr\xc3\xbc"
                               "fung \xe2\x82\xac\n"
                               "From: \"J\xc3\xb6rg\" <j@example.de>\n"
                               "To: Ren\xe9 <rene@example.fr>\n"
                               "\n"
                               "body\n";

static const char headers_only_msg[] = "Subject: only headers\nFrom: a@example.com";

static const char headerless_msg[] = "just some text\nwithout any header\n";

static const char mbox_msg[] = "From alice@example.com Mon Jan  1 00:00:00 2024\n"
                               "Subject: mbox line\n"
                               "\n"
                               "hi\n";

static const char mixed_texts_msg[] = "Subject: two texts\n"
                                      "Content-Type: multipart/mixed; boundary=M\n"
                                      "\n"
                                      "--M\n"
                                      "Content-Type: text/plain\n"
                                      "\n"
                                      "first text\n"
                                      "--M\n"
                                      "Content-Type: text/plain\n"
                                      "\n"
                                      "second text\n"
                                      "--M\n"
                                      "Content-Type: text/plain; name=notes.txt\n"
                                      "\n"
                                      "named text\n"
                                      "--M\n"
                                      "Content-Type: text/calendar; method=REQUEST\n"
                                      "\n"
                                      "BEGIN:VCALENDAR\n"
                                      "--M--\n";

/* Built at run time (binary attachments), used by several tests and the fuzz loop. */
static const char *pdf_msg, *signed_msg, *rfc2231_msg, *no_final_msg;
static const unsigned char *pdf;
static const int pdf_len = 3001;

static void build_fixtures(void)
{
    const char *b64;

    pdf = fake_pdf(pdf_len);
    b64 = b64_lines(pdf, pdf_len);
    pdf_msg = apr_pstrcat(pool,
                          "From: a@example.com\n"
                          "Subject: report\n"
                          "Content-Type: multipart/mixed; boundary=\"=_mix\"\n"
                          "\n"
                          "--=_mix\n"
                          "Content-Type: text/plain; charset=utf-8\n"
                          "\n"
                          "Report attached.\n"
                          "--=_mix\n"
                          "Content-Type: application/pdf; name=\"report.pdf\"\n"
                          "Content-Disposition: attachment; filename=\"report.pdf\"\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n",
                          b64,
                          "--=_mix\n"
                          "Content-Type: application/octet-stream\n"
                          "Content-Transfer-Encoding: base64\n"
                          "\n"
                          "AAECAw==\n"
                          "--=_mix--\n",
                          NULL);
    signed_msg =
        apr_pstrcat(pool,
                    "Subject: signed\n"
                    "Content-Type: multipart/signed; protocol=\"application/pkcs7-signature\";"
                    " micalg=sha-256; boundary=\"SIG\"\n"
                    "\n"
                    "--SIG\n"
                    "Content-Type: multipart/mixed; boundary=\"MIX\"\n"
                    "\n"
                    "--MIX\n"
                    "Content-Type: text/plain\n"
                    "\n"
                    "signed body\n"
                    "--MIX\n"
                    "Content-Type: application/pdf; name=signed.pdf\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n",
                    b64,
                    "--MIX--\n"
                    "\n"
                    "--SIG\n"
                    "Content-Type: application/pkcs7-signature; name=smime.p7s\n"
                    "Content-Disposition: attachment; filename=smime.p7s\n"
                    "Content-Transfer-Encoding: base64\n"
                    "\n"
                    "MIAGCSqGSIb3DQEHAqCAMIACAQExDzANBglghkgBZQMEAgEFADCABgkqhkiG9w0B\n"
                    "--SIG--\n",
                    NULL);
    rfc2231_msg = "Subject: filenames\n"
                  "Content-Type: multipart/mixed; boundary=F\n"
                  "\n"
                  "--F\n"
                  "Content-Type: text/plain\n"
                  "\n"
                  "files\n"
                  "--F\n"
                  "Content-Type: application/pdf\n"
                  "Content-Disposition: attachment;\n"
                  " filename*=UTF-8''%E2%82%AC%20Rechnung%20M%C3%A4rz.pdf\n"
                  "\n"
                  "x\n"
                  "--F\n"
                  "Content-Type: application/vnd.openxmlformats-officedocument."
                  "wordprocessingml.document\n"
                  "Content-Disposition: attachment;\n"
                  " filename*0*=UTF-8''%C3%9Cberweisung%20;\n"
                  " filename*1*=Gr%C3%B6%C3%9Fe.docx\n"
                  "\n"
                  "y\n"
                  "--F\n"
                  "Content-Type: application/octet-stream;\n"
                  " name=\"=?ISO-8859-1?Q?K=F6ln=2Etxt?=\"\n"
                  "\n"
                  "z\n"
                  "--F\n"
                  "Content-Type: application/octet-stream\n"
                  "Content-Disposition: attachment; filename=\"../../etc/passwd\"\n"
                  "\n"
                  "w\n"
                  "--F--\n";
    no_final_msg = apr_pstrcat(pool,
                               "Subject: no final boundary\n"
                               "Content-Type: multipart/mixed; boundary=NF\n"
                               "\n"
                               "--NF\n"
                               "Content-Type: text/plain\n"
                               "\n"
                               "body before cut\n"
                               "--NF\n"
                               "Content-Type: application/pdf; name=cut.pdf\n"
                               "Content-Transfer-Encoding: base64\n"
                               "\n",
                               b64, NULL);
}

/* ---- tests --------------------------------------------------------------------------------- */

static void test_plain(void)
{
    eas_mime_info m;

    is_int(parse(plain_msg, &m), 0, "plain: parses");
    ok(info_sane(&m), "plain: sane");
    is_str(m.subject, "Re: Fwd: Quarterly numbers", "plain: subject");
    is_str(m.from, "\"Alice Example\" <alice@example.com>", "plain: from");
    is_str(m.to, "\"Bob\" <bob@example.com>, carol@example.com", "plain: to");
    is_str(m.display_to, "Bob; carol@example.com", "plain: display_to");
    is_str(m.cc, "\"Dan, D.\" <dan@example.com>", "plain: cc with a comma in the name");
    is_str(m.reply_to, "replies@example.com", "plain: reply_to");
    is_str(m.message_id, "abc123@example.com", "plain: message id without <>");
    is_str(m.in_reply_to, "<prev@example.com>", "plain: in_reply_to");
    is_str(m.references, "<first@example.com> <prev@example.com>", "plain: references unfolded");
    is_str(m.thread_topic, "Quarterly numbers", "plain: thread topic from the subject");
    ok(m.date == apr_time_from_sec(784905151), "plain: date with zone -0500");
    is_int(m.importance, 1, "plain: normal importance");
    is_str(m.message_class, "IPM.Note", "plain: message class");
    is_str(m.text, "Hello Bob,\n\nnumbers attached.\n", "plain: text");
    ok(m.html == NULL, "plain: no html");
    is_int(m.native_type, 1, "plain: native type plain");
    is_int(m.attachments->nelts, 0, "plain: no attachments");
    is_int(m.broken, 0, "plain: not broken");
}

static void test_rfc2047(void)
{
    eas_mime_info m;

    is_int(parse(rfc2047_msg, &m), 0, "2047: parses (CRLF)");
    ok(info_sane(&m), "2047: sane");
    is_str(m.subject, "Hello \xe2\x9c\x93 world", "2047: UTF-8 B subject");
    is_str(m.thread_topic,
           "Gr\xc3\xbc\xc3\x9f"
           "e aus K\xc3\xb6ln",
           "2047: latin1 Q Thread-Topic");
    is_str(m.from, "\"J\xc3\xb6rg M\xc3\xbcller\" <joerg@example.de>", "2047: encoded from name");
    is_str(m.display_to, "\xc3\x89lodie Dupont; Zo\xc3\xab", "2047: encoded To names");
    is_str(m.text,
           "Gr\xc3\xbc\xc3\x9f"
           "e\r\n",
           "2047: 8bit utf-8 body");
    ok(m.message_id == NULL && m.in_reply_to == NULL && m.references == NULL,
       "2047: absent ids are NULL");
    ok(m.date == 0, "2047: no Date is 0");
}

static void test_charsets(void)
{
    eas_mime_info m;

    parse(latin1_msg, &m);
    is_str(m.text, "caf\xc3\xa9 na\xc3\xafve soft break\n", "charset: latin1 quoted-printable");
    parse(cp1252_msg, &m);
    is_str(m.text, "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac 5 \xe2\x80\xa6\n",
           "charset: windows-1252 quotes, euro, ellipsis");
    parse(koi8_msg, &m);
    is_str(m.text, "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n", "charset: koi8-r");
    parse(unknown_cs_msg, &m);
    is_str(m.text, "\xc3\xa9t\xc3\xa9 \xc3\xbf\n", "charset: unknown label -> windows-1252");
    parse(nocs_utf8_msg, &m);
    is_str(m.text, "na\xc3\xafve \xe2\x82\xac\n", "charset: unlabelled valid UTF-8 kept");
    parse(html_meta_msg, &m);
    ok(m.html && strstr(m.html, "Gr\xc3\xbc\xc3\x9f"
                                "e"),
       "charset: html <meta> charset used");
    is_str(m.text,
           "Gr\xc3\xbc\xc3\x9f"
           "e",
           "charset: html meta rendering");
}

static void test_alternative(void)
{
    eas_mime_info m;

    is_int(parse(alt_msg, &m), 0, "alt: parses");
    ok(info_sane(&m), "alt: sane");
    is_str(m.text, "Plain version", "alt: text from text/plain");
    is_str(m.html, "<p>HTML <b>version</b></p>", "alt: html from text/html");
    is_int(m.native_type, 2, "alt: native type html");
    is_int(m.attachments->nelts, 0, "alt: no attachments");
    is_int(m.broken, 0, "alt: not broken");
}

static void test_html_only(void)
{
    eas_mime_info m;

    is_int(parse(html_only_msg, &m), 0, "html: parses");
    ok(m.html && strstr(m.html, "<script>"), "html: html kept verbatim");
    is_str(m.text,
           "Caf\xc3\xa9 & bar <ok>\n\nline2\nline3\n\xe2\x82\xac"
           "A&bogus; \xe2\x80\x93",
           "html: derived text (tags, script, comments dropped; entities decoded)");
    is_int(m.native_type, 2, "html: native type html");
}

static void test_pdf(void)
{
    eas_mime_info m;
    const eas_mime_attachment *a;
    const char *data, *ct, *err;
    apr_size_t dlen;

    is_int(parse(pdf_msg, &m), 0, "pdf: parses");
    ok(info_sane(&m), "pdf: sane");
    is_str(m.text, "Report attached.", "pdf: body (the newline before a boundary is part of it)");
    is_int(m.attachments->nelts, 2, "pdf: two attachments");
    a = att(&m, 0);
    ok(a && a->index == 1, "pdf: index 1");
    is_str(a ? a->filename : NULL, "report.pdf", "pdf: filename");
    is_str(a ? a->content_type : NULL, "application/pdf", "pdf: content type");
    is_int(a ? a->size : 0, pdf_len, "pdf: decoded size exact");
    ok(a && !a->is_inline && !a->content_id, "pdf: not inline, no cid");
    is_int(eas_mime_attachment_data(pool, pdf_msg, strlen(pdf_msg), 1, &data, &dlen, &ct, &err), 0,
           "pdf: data of attachment 1");
    is_int(dlen, pdf_len, "pdf: data length");
    ok(data && memcmp(data, pdf, (size_t)pdf_len) == 0, "pdf: bytes exact");
    is_str(ct, "application/pdf", "pdf: data content type");
    a = att(&m, 1);
    is_str(a ? a->filename : NULL, "attachment-2", "pdf: unnamed octet-stream gets a name");
    is_int(a ? a->size : 0, 4, "pdf: second size");
    is_int(eas_mime_attachment_data(pool, pdf_msg, strlen(pdf_msg), 2, &data, &dlen, &ct, &err), 0,
           "pdf: data of attachment 2");
    ok(dlen == 4 && !memcmp(data, "\0\1\2\3", 4), "pdf: second bytes");
    err = NULL;
    is_int(eas_mime_attachment_data(pool, pdf_msg, strlen(pdf_msg), 3, &data, &dlen, &ct, &err), -1,
           "pdf: no attachment 3");
    ok(err != NULL, "pdf: error message");
    is_int(eas_mime_attachment_data(pool, pdf_msg, strlen(pdf_msg), 0, &data, &dlen, &ct, &err), -1,
           "pdf: no attachment 0");
}

static void test_filenames(void)
{
    eas_mime_info m;

    parse(rfc2231_msg, &m);
    ok(info_sane(&m), "names: sane");
    is_int(m.attachments->nelts, 4, "names: four attachments");
    is_str(att(&m, 0)->filename, "\xe2\x82\xac Rechnung M\xc3\xa4rz.pdf", "names: RFC 2231 UTF-8");
    is_str(att(&m, 1)->filename,
           "\xc3\x9c"
           "berweisung Gr\xc3\xb6\xc3\x9f"
           "e.docx",
           "names: RFC 2231 continuations");
    is_str(att(&m, 1)->content_type,
           "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
           "names: long content type");
    is_str(att(&m, 2)->filename, "K\xc3\xb6ln.txt", "names: RFC 2047 in name=");
    is_str(att(&m, 3)->filename, "passwd", "names: directory part removed");
}

static void test_related(void)
{
    eas_mime_info m;
    const char *data, *ct, *err;
    apr_size_t dlen;

    parse(related_msg, &m);
    ok(info_sane(&m), "related: sane");
    is_str(m.text, "see image", "related: text");
    ok(m.html && strstr(m.html, "cid:img1@example"), "related: html");
    is_int(m.native_type, 2, "related: native html");
    is_int(m.attachments->nelts, 3, "related: three images");
    is_str(att(&m, 0)->content_id, "img1@example", "related: cid without <>");
    is_int(att(&m, 0)->is_inline, 1, "related: cid image without disposition is inline");
    is_str(att(&m, 0)->filename, "attachment-1.png", "related: default name with extension");
    is_int(att(&m, 0)->size, 8, "related: png size");
    is_int(att(&m, 1)->is_inline, 1, "related: disposition inline + cid is inline");
    is_str(att(&m, 1)->filename, "logo.gif", "related: inline filename");
    is_int(att(&m, 2)->is_inline, 0, "related: disposition attachment is not inline");
    is_str(att(&m, 2)->content_id, "photo@example", "related: cid of the attachment kept");
    is_int(eas_mime_attachment_data(pool, related_msg, strlen(related_msg), 1, &data, &dlen, &ct,
                                    &err),
           0, "related: data of the inline image");
    ok(dlen == 8 && !memcmp(data, "\x89PNG\r\n\x1a\n", 8), "related: png bytes");
    is_str(ct, "image/png", "related: png type");
}

static void test_rfc822(void)
{
    eas_mime_info m;
    const char *data, *ct, *err;
    apr_size_t dlen;
    const eas_mime_attachment *a;

    parse(rfc822_msg, &m);
    ok(info_sane(&m), "rfc822: sane");
    is_str(m.text, "see attached message", "rfc822: outer body");
    is_int(m.attachments->nelts, 1, "rfc822: inner parts are not listed");
    a = att(&m, 0);
    is_str(a->filename, "Inner news _ today.eml", "rfc822: name from the inner subject");
    is_str(a->content_type, "message/rfc822", "rfc822: content type");
    is_int(
        eas_mime_attachment_data(pool, rfc822_msg, strlen(rfc822_msg), 1, &data, &dlen, &ct, &err),
        0, "rfc822: data");
    is_int(dlen, a->size, "rfc822: size matches the data");
    ok(dlen > 100 && !strncmp(data, "Subject: Inner news / today\n", 28),
       "rfc822: data is the embedded message");
    ok(strstr(data, "inner pdf") != NULL, "rfc822: embedded message complete");
    is_str(ct, "message/rfc822", "rfc822: data type");
}

static void test_smime(void)
{
    eas_mime_info m;
    const char *data, *ct, *err;
    apr_size_t dlen;

    parse(signed_msg, &m);
    ok(info_sane(&m), "signed: sane");
    is_str(m.message_class, "IPM.Note.SMIME.MultipartSigned", "signed: message class");
    is_str(m.text, "signed body", "signed: body of the signed content");
    is_int(m.attachments->nelts, 1, "signed: signature not listed");
    is_str(att(&m, 0)->filename, "signed.pdf", "signed: the pdf");
    is_int(att(&m, 0)->size, pdf_len, "signed: pdf size");
    is_int(
        eas_mime_attachment_data(pool, signed_msg, strlen(signed_msg), 1, &data, &dlen, &ct, &err),
        0, "signed: pdf data");
    ok(dlen == (apr_size_t)pdf_len && !memcmp(data, pdf, dlen), "signed: pdf bytes");
    is_int(
        eas_mime_attachment_data(pool, signed_msg, strlen(signed_msg), 2, &data, &dlen, &ct, &err),
        -1, "signed: no second attachment");

    parse(pkcs7_msg, &m);
    ok(info_sane(&m), "pkcs7: sane");
    is_str(m.message_class, "IPM.Note.SMIME", "pkcs7: message class");
    is_str(m.text, "", "pkcs7: no text");
    ok(m.html == NULL, "pkcs7: no html");
    is_int(m.attachments->nelts, 0, "pkcs7: no attachments");
    is_int(eas_mime_attachment_data(pool, pkcs7_msg, strlen(pkcs7_msg), 1, &data, &dlen, &ct, &err),
           -1, "pkcs7: no attachment data");
}

static void test_damage(void)
{
    eas_mime_info m;
    const char *data, *ct, *err;
    apr_size_t dlen;

    is_int(parse(no_final_msg, &m), 0, "no final boundary: parses");
    ok(info_sane(&m), "no final boundary: sane");
    is_str(m.text, "body before cut", "no final boundary: body");
    is_int(m.attachments->nelts, 1, "no final boundary: attachment found");
    is_int(att(&m, 0)->size, pdf_len, "no final boundary: attachment complete");
    is_int(m.broken, 1, "no final boundary: broken");

    is_int(parse(no_boundary_msg, &m), 0, "no boundary: parses");
    ok(info_sane(&m), "no boundary: sane");
    is_int(m.broken, 1, "no boundary: broken");
    ok(strstr(m.text, "hello there") != NULL, "no boundary: content kept as text");

    is_int(parse(bad_b64_msg, &m), 0, "bad base64: parses");
    ok(info_sane(&m), "bad base64: sane");
    ok(!strncmp(m.text, "Hello ", 6), "bad base64: decodable start of the text");
    is_int(m.attachments->nelts, 1, "bad base64: attachment listed");
    is_int(eas_mime_attachment_data(pool, bad_b64_msg, strlen(bad_b64_msg), 1, &data, &dlen, &ct,
                                    &err),
           0, "bad base64: data");
    is_int(dlen, att(&m, 0)->size, "bad base64: size matches data");

    is_int(parse(dates_msg, &m), 0, "garbage date: parses");
    ok(m.date == 0, "garbage date: 0");

    is_int(parse(headers_only_msg, &m), 0, "headers only: parses");
    is_str(m.subject, "only headers", "headers only: subject");
    is_str(m.from, "a@example.com", "headers only: from");
    is_str(m.text, "", "headers only: empty text");

    is_int(parse(headerless_msg, &m), 0, "headerless: parses");
    is_str(m.text, headerless_msg, "headerless: everything is text");
    is_int(m.broken, 1, "headerless: broken");

    is_int(parse(mbox_msg, &m), 0, "mbox From line: parses");
    is_str(m.subject, "mbox line", "mbox From line: skipped");
    is_str(m.text, "hi\n", "mbox From line: body");

    parse(mixed_texts_msg, &m);
    ok(info_sane(&m), "mixed texts: sane");
    is_str(m.text, "first text", "mixed texts: first text is the body");
    is_int(m.attachments->nelts, 3, "mixed texts: the others are attachments");
    is_str(att(&m, 0)->filename, "attachment-1.txt", "mixed texts: unnamed second text");
    is_str(att(&m, 1)->filename, "notes.txt", "mixed texts: named text");
    is_str(att(&m, 2)->filename, "attachment-3.ics", "mixed texts: calendar");
}

static void test_nul_and_empty(void)
{
    static const char nul_msg[] =
        "Subject: nul\0bytes\nContent-Type: text/plain\n\nbefore\0after\n";
    eas_mime_info m;
    const char *err = NULL, *data, *ct;
    apr_size_t dlen;

    is_int(eas_mime_parse(pool, nul_msg, sizeof(nul_msg) - 1, &m, &err), 0, "nul: parses");
    ok(info_sane(&m), "nul: sane");
    is_str(m.text, "beforeafter\n", "nul: NUL dropped from the text");

    is_int(eas_mime_parse(pool, "", 0, &m, &err), 0, "empty: parses");
    ok(info_sane(&m), "empty: sane");
    is_str(m.subject, "", "empty: no subject");
    is_str(m.text, "", "empty: no text");
    is_int(m.broken, 1, "empty: broken");
    is_int(m.attachments->nelts, 0, "empty: no attachments");
    is_int(eas_mime_attachment_data(pool, "", 0, 1, &data, &dlen, &ct, &err), -1,
           "empty: no attachment");

    err = NULL;
    is_int(eas_mime_parse(pool, NULL, 10, &m, &err), -1, "NULL: refused");
    ok(err != NULL, "NULL: error message");
    ok(info_sane(&m), "NULL: output still filled");
    is_int(eas_mime_parse(pool, "x", EAS_MIME_MAX_INPUT + 1, &m, &err), -1,
           "absurd length: refused");
    is_int(eas_mime_attachment_data(pool, NULL, 0, 1, &data, &dlen, &ct, &err), -1,
           "NULL: no attachment data");
}

static void test_importance(void)
{
    static const struct {
        const char *hdr;
        int want;
    } cases[] = {
        {"X-Priority: 1 (Highest)\n", 2},
        {"X-Priority: 2\n", 2},
        {"X-Priority: 3 (Normal)\n", 1},
        {"X-Priority: 5 (Lowest)\n", 0},
        {"Importance: low\n", 0},
        {"Importance: High\n", 2},
        {"Importance: high\nX-Priority: 5\n", 2},
        {"Priority: urgent\n", 2},
        {"Priority: non-urgent\n", 0},
        {"X-MSMail-Priority: Low\n", 0},
        {"X-Priority: nonsense\n", 1},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        eas_mime_info m;
        parse(apr_pstrcat(pool, "Subject: p\n", cases[i].hdr, "\nbody\n", NULL), &m);
        if (!ok(m.importance == cases[i].want, "importance: case %d (%.*s)", (int)i,
                (int)strcspn(cases[i].hdr, "\n"), cases[i].hdr)) {
            printf("#   got %d, want %d\n", m.importance, cases[i].want);
        }
    }
}

static void test_raw_headers(void)
{
    eas_mime_info m;

    parse(raw8_msg, &m);
    ok(info_sane(&m), "8bit headers: sane");
    is_str(m.subject,
           "Pr\xc3\xbc"
           "fung \xe2\x82\xac",
           "8bit headers: raw UTF-8 subject");
    is_str(m.from, "\"J\xc3\xb6rg\" <j@example.de>", "8bit headers: raw UTF-8 name");
    is_str(m.display_to, "Ren\xc3\xa9", "8bit headers: raw latin1 name");
}

static void test_big(void)
{
    apr_size_t target = 1024 * 1024, body_len;
    char *body, *msg, *o;
    unsigned char *bin;
    eas_mime_info m;
    const char *data, *ct, *err;
    apr_size_t dlen;
    apr_time_t t0;
    int i;

    body = o = apr_palloc(pool, target + 100);
    for (i = 0; (apr_size_t)(o - body) < target; ++i) {
        o += sprintf(o, "Line %07d of the big message, with some words \xc3\xa4\xc3\xb6\xc3\xbc.\n",
                     i);
    }
    *o = '\0';
    body_len = (apr_size_t)(o - body) - 1; /* the last newline belongs to the boundary */
    bin = fake_pdf(300000);
    msg = apr_pstrcat(pool,
                      "Subject: big\nContent-Type: multipart/mixed; boundary=BIG\n\n--BIG\n"
                      "Content-Type: text/plain; charset=utf-8\n\n",
                      body,
                      "--BIG\nContent-Type: application/pdf; name=big.pdf\n"
                      "Content-Transfer-Encoding: base64\n\n",
                      b64_lines(bin, 300000), "--BIG--\n", NULL);
    t0 = apr_time_now();
    is_int(parse(msg, &m), 0, "1 MB: parses");
    is_int(strlen(m.text), body_len, "1 MB: whole text");
    ok(!memcmp(m.text, body, body_len), "1 MB: text bytes");
    is_int(att(&m, 0) ? att(&m, 0)->size : 0, 300000, "1 MB: attachment size");
    is_int(eas_mime_attachment_data(pool, msg, strlen(msg), 1, &data, &dlen, &ct, &err), 0,
           "1 MB: attachment data");
    ok(dlen == 300000 && !memcmp(data, bin, dlen), "1 MB: attachment bytes");
    ok(apr_time_now() - t0 < apr_time_from_sec(5), "1 MB: parsed in reasonable time (%lld ms)",
       (long long)apr_time_as_msec(apr_time_now() - t0));
}

static void test_preview_truncate(void)
{
    /* a, e-acute (2 bytes), euro (3 bytes), U+1F600 (4 bytes) = 10 bytes */
    static const char s[] = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";
    int tr = -1;

    is_str(eas_mime_preview(pool, "  Hello \t  w\xc3\xb6rld\r\n\n\xe2\x82\xacuro  ", 255),
           "Hello w\xc3\xb6rld \xe2\x82\xacuro", "preview: whitespace collapsed and trimmed");
    is_str(eas_mime_preview(pool, "Hello w\xc3\xb6rld", 7), "Hello w", "preview: 7 chars");
    is_str(eas_mime_preview(pool, "Hello w\xc3\xb6rld", 8), "Hello w\xc3\xb6",
           "preview: multibyte char counts once");
    is_str(eas_mime_preview(pool, "Hello   world", 6), "Hello", "preview: no trailing space");
    is_str(eas_mime_preview(pool, s, 3), "a\xc3\xa9\xe2\x82\xac", "preview: 3 chars of 4");
    is_str(eas_mime_preview(pool, "abc", 0), "", "preview: 0 chars");
    is_str(eas_mime_preview(pool, NULL, 10), "", "preview: NULL");
    is_str(eas_mime_preview(pool, "\xc3\xa4\xff\xfe", 10), "\xc3\xa4\xef\xbf\xbd\xef\xbf\xbd",
           "preview: invalid input becomes valid UTF-8");

    ok(eas_mime_truncate(pool, s, 10, &tr) == s && tr == 0, "truncate: fits, same pointer");
    is_str(eas_mime_truncate(pool, s, 9, &tr), "a\xc3\xa9\xe2\x82\xac", "truncate: 9 -> 6 bytes");
    is_int(tr, 1, "truncate: flagged");
    is_str(eas_mime_truncate(pool, s, 6, &tr), "a\xc3\xa9\xe2\x82\xac", "truncate: 6 exact");
    is_str(eas_mime_truncate(pool, s, 5, &tr), "a\xc3\xa9", "truncate: 5 -> 3 bytes");
    is_str(eas_mime_truncate(pool, s, 4, &tr), "a\xc3\xa9", "truncate: 4 -> 3 bytes");
    is_str(eas_mime_truncate(pool, s, 2, &tr), "a", "truncate: 2 -> 1 byte");
    is_str(eas_mime_truncate(pool, s, 0, &tr), "", "truncate: 0");
    is_int(tr, 1, "truncate: 0 flagged");
    is_str(eas_mime_truncate(pool, NULL, 5, &tr), "", "truncate: NULL");
    is_str(eas_mime_truncate(pool, "abc", 1, NULL), "a", "truncate: NULL flag pointer");
}

static void test_text_to_html(void)
{
    is_str(eas_mime_text_to_html(pool, "a < b & \"c\"\nline2\r\n  indented 'q'"),
           "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
           "</head><body>a &lt; b &amp; &quot;c&quot;<br>\nline2<br>\n&nbsp;&nbsp;indented "
           "&#39;q&#39;</body></html>",
           "text_to_html: escaping and line breaks");
    is_str(eas_mime_text_to_html(pool, ""),
           "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">"
           "</head><body></body></html>",
           "text_to_html: empty");
    ok(strstr(eas_mime_text_to_html(pool, "<script>alert(1)</script>"), "<script>") == NULL,
       "text_to_html: no live markup");
}

/* Every fixture, cut at every 37th byte and with byte flips: no crash, sane output, and the
 * attachment list agrees with eas_mime_attachment_data. */
static void test_fuzz(void)
{
    const char *fixtures[] = {plain_msg,        rfc2047_msg,    latin1_msg,      cp1252_msg,
                              koi8_msg,         unknown_cs_msg, alt_msg,         html_only_msg,
                              html_meta_msg,    related_msg,    rfc822_msg,      pkcs7_msg,
                              no_boundary_msg,  bad_b64_msg,    dates_msg,       raw8_msg,
                              headers_only_msg, mbox_msg,       mixed_texts_msg, pdf_msg,
                              signed_msg,       rfc2231_msg,    no_final_msg};
    static const char flips[] = {'\0', '\xff', '-', '\n', '=', ':', '<', ';', '"', '\x80', ' '};
    apr_pool_t *sub;
    size_t f;
    int runs = 0, insane = 0, mismatch = 0, failed = 0;
    unsigned x = 42;

    apr_pool_create(&sub, pool);
    for (f = 0; f < sizeof(fixtures) / sizeof(fixtures[0]); ++f) {
        apr_size_t len = strlen(fixtures[f]), cut;
        int k;
        for (cut = 0; cut <= len + 36; cut += 37) {
            for (k = -1; k < 3; ++k) {
                apr_size_t n = cut < len ? cut : len;
                char *buf = apr_pmemdup(sub, fixtures[f], n ? n : 1);
                eas_mime_info m;
                const char *err, *data, *ct;
                apr_size_t dlen;
                int i;

                if (k >= 0 && n) { /* flip a few bytes of this prefix */
                    int j;
                    for (j = 0; j < 3; ++j) {
                        x = x * 1103515245u + 12345u;
                        buf[(x >> 8) % n] = flips[(x >> 20) % sizeof(flips)];
                    }
                }
                ++runs;
                if (eas_mime_parse(sub, buf, n, &m, &err) != 0) {
                    ++failed;
                    continue;
                }
                if (!info_sane(&m)) {
                    ++insane;
                }
                for (i = 1; i <= m.attachments->nelts + 1; ++i) {
                    int rc = eas_mime_attachment_data(sub, buf, n, i, &data, &dlen, &ct, &err);
                    if (i <= m.attachments->nelts) {
                        const eas_mime_attachment *a = att(&m, i - 1);
                        if (rc != 0 || dlen != a->size || strcmp(ct, a->content_type) != 0) {
                            ++mismatch;
                        }
                    } else if (rc != -1) {
                        ++mismatch;
                    }
                }
                apr_pool_clear(sub);
            }
        }
    }
    ok(runs > 1000, "fuzz: %d parses of prefixes and byte flips", runs);
    is_int(failed, 0, "fuzz: parse never fails on content");
    is_int(insane, 0, "fuzz: output always sane UTF-8");
    is_int(mismatch, 0, "fuzz: attachment list and attachment data agree");
    apr_pool_destroy(sub);
}

/* Several threads parse and extract at once; results must equal the single-threaded ones. */
typedef struct thread_job {
    apr_pool_t *p;
    int errors;
} thread_job;

static void *thread_main(void *arg)
{
    thread_job *j = arg;
    int i;

    for (i = 0; i < 30; ++i) {
        eas_mime_info m;
        const char *err, *data, *ct;
        apr_size_t dlen;

        if (eas_mime_parse(j->p, pdf_msg, strlen(pdf_msg), &m, &err) != 0 ||
            strcmp(m.text, "Report attached.") || m.attachments->nelts != 2) {
            ++j->errors;
        }
        if (eas_mime_parse(j->p, cp1252_msg, strlen(cp1252_msg), &m, &err) != 0 ||
            strcmp(m.text, "\xe2\x80\x9cquoted\xe2\x80\x9d \xe2\x82\xac 5 \xe2\x80\xa6\n")) {
            ++j->errors;
        }
        if (eas_mime_parse(j->p, rfc2047_msg, strlen(rfc2047_msg), &m, &err) != 0 ||
            strcmp(m.subject, "Hello \xe2\x9c\x93 world")) {
            ++j->errors;
        }
        if (eas_mime_attachment_data(j->p, signed_msg, strlen(signed_msg), 1, &data, &dlen, &ct,
                                     &err) != 0 ||
            dlen != (apr_size_t)pdf_len || memcmp(data, pdf, dlen)) {
            ++j->errors;
        }
        apr_pool_clear(j->p);
    }
    return NULL;
}

static void test_threads(void)
{
    enum { N = 8 };
    pthread_t t[N];
    thread_job jobs[N];
    int i, errors = 0, started = 0;

    for (i = 0; i < N; ++i) {
        jobs[i].errors = 0;
        apr_pool_create(&jobs[i].p, pool);
    }
    for (i = 0; i < N; ++i) {
        started += pthread_create(&t[i], NULL, thread_main, &jobs[i]) == 0;
    }
    for (i = 0; i < started; ++i) {
        pthread_join(t[i], NULL);
        errors += jobs[i].errors;
    }
    is_int(started, N, "threads: all started");
    is_int(errors, 0, "threads: concurrent parses agree");
    for (i = 0; i < N; ++i) {
        apr_pool_destroy(jobs[i].p);
    }
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    eas_mime_init();
    eas_mime_init(); /* idempotent */
    build_fixtures();
    test_plain();
    test_rfc2047();
    test_charsets();
    test_alternative();
    test_html_only();
    test_pdf();
    test_filenames();
    test_related();
    test_rfc822();
    test_smime();
    test_damage();
    test_nul_and_empty();
    test_importance();
    test_raw_headers();
    test_big();
    test_preview_truncate();
    test_text_to_html();
    test_fuzz();
    test_threads();
    apr_pool_destroy(pool);
    return tap_done();
}
