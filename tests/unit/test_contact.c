/* Unit tests: the Contacts class (eas_contact, vCard 4 through eas_vcard) — a contact with every
 * MS-ASCNTC element round trips exactly, the stored vCard's key lines, folding and unfolding,
 * TEXT escaping, the Picture limit, bad dates, a Change keeping foreign properties, imports of
 * vCard 3.0 (Apple, Google) and 2.1, split/join, XSD validation of the produced elements. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <apr_general.h>
#include <apr_strings.h>

#include "eas_email.h"
#include "eas_pim.h"
#include "eas_vcard.h"
#include "eas_xml.h"
#include "tap.h"

static apr_pool_t *pool;

typedef struct kv {
    const char *ns, *name, *value;
} kv;

/* Every element of Contacts.xsd and Contacts2.xsd a device sends (the 2.5-only Body, BodySize,
 * BodyTruncated and the recipient-cache Alias / WeightedRank are tested apart). */
static const kv every[] = {
    {"Contacts:", "FileAs", "Doe, John"},
    {"Contacts:", "FirstName", "John"},
    {"Contacts:", "MiddleName", "Quincy"},
    {"Contacts:", "LastName", "Doe"},
    {"Contacts:", "Title", "Dr."},
    {"Contacts:", "Suffix", "Jr."},
    {"Contacts:", "YomiFirstName", "ジョン"},
    {"Contacts:", "YomiLastName", "ドウ"},
    {"Contacts:", "YomiCompanyName", "アクメ"},
    {"Contacts:", "CompanyName", "Acme; Inc."},
    {"Contacts:", "Department", "Research, East"},
    {"Contacts:", "JobTitle", "Chief \\ Scientist"},
    {"Contacts:", "OfficeLocation", "Building 7"},
    {"Contacts:", "Email1Address", "\"John Doe\" <john@example.com>"},
    {"Contacts:", "Email2Address", "\"Doe, John\" <jd@work.example>"},
    {"Contacts:", "Email3Address", "john.doe@home.example"},
    {"Contacts:", "BusinessPhoneNumber", "+1 555 0101"},
    {"Contacts:", "Business2PhoneNumber", "+1 555 0102"},
    {"Contacts:", "HomePhoneNumber", "+1 555 0103"},
    {"Contacts:", "Home2PhoneNumber", "+1 555 0104"},
    {"Contacts:", "MobilePhoneNumber", "+1 555 0105"},
    {"Contacts:", "BusinessFaxNumber", "+1 555 0106"},
    {"Contacts:", "HomeFaxNumber", "+1 555 0107"},
    {"Contacts:", "CarPhoneNumber", "+1 555 0108"},
    {"Contacts:", "PagerNumber", "+1 555 0109"},
    {"Contacts:", "RadioPhoneNumber", "+1 555 0110"},
    {"Contacts:", "AssistantPhoneNumber", "+1 555 0111"},
    {"Contacts2:", "CompanyMainPhone", "+1 555 0112"},
    {"Contacts2:", "MMS", "+1 555 0113"},
    {"Contacts:", "HomeAddressStreet", "1 Main St\nApt 2"},
    {"Contacts:", "HomeAddressCity", "Springfield"},
    {"Contacts:", "HomeAddressState", "IL"},
    {"Contacts:", "HomeAddressPostalCode", "62701"},
    {"Contacts:", "HomeAddressCountry", "USA"},
    {"Contacts:", "BusinessAddressStreet", "100 Industrial Way"},
    {"Contacts:", "BusinessAddressCity", "Shelbyville"},
    {"Contacts:", "BusinessAddressState", "IL"},
    {"Contacts:", "BusinessAddressPostalCode", "62565"},
    {"Contacts:", "BusinessAddressCountry", "USA"},
    {"Contacts:", "OtherAddressStreet", "PO Box 9"},
    {"Contacts:", "OtherAddressCity", "Capital City"},
    {"Contacts:", "OtherAddressState", "IL"},
    {"Contacts:", "OtherAddressPostalCode", "62000"},
    {"Contacts:", "OtherAddressCountry", "USA"},
    {"Contacts:", "WebPage", "https://example.com/~john?a=1,b=2"},
    {"Contacts:", "Birthday", "1980-05-16T22:00:00.000Z"},
    {"Contacts:", "Anniversary", "2005-06-18T00:00:00.000Z"},
    {"Contacts:", "Spouse", "Jane Doe"},
    {"Contacts:", "AssistantName", "Igor"},
    {"Contacts2:", "ManagerName", "Big Boss"},
    {"Contacts:", "Picture",
     "/9j/4AAQSkZJRgABAQEAYABgAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U"},
    {"Contacts2:", "CustomerId", "C-42"},
    {"Contacts2:", "GovernmentId", "123-45-6789"},
    {"Contacts2:", "IMAddress", "sip:john@example.com"},
    {"Contacts2:", "IMAddress2", "john@jabber.example"},
    {"Contacts2:", "IMAddress3", "aim:jdoe"},
    {"Contacts2:", "AccountName", "ACCT-7"},
    {"Contacts2:", "NickName", "Johnny, the Doe"},
    {"Contacts:", "Categories/Category", "Friends"},
    {"Contacts:", "Categories/Category", "VIP"},
    {"Contacts:", "Children/Child", "Jimmy"},
    {"Contacts:", "Children/Child", "Judy"},
    {NULL, NULL, NULL},
};

/* ---- helpers ------------------------------------------------------------------------------- */

static xmlNodePtr new_app(xmlDocPtr *doc)
{
    *doc = eas_xml_new_doc("AirSync:", "ApplicationData");
    return xmlDocGetRootElement(*doc);
}

/* Adds e (a "List/Item" name adds an item to that list). */
static void add(xmlDocPtr doc, xmlNodePtr app, const kv *e)
{
    xmlNsPtr ns = eas_xml_ns(doc, e->ns);
    const char *slash = strchr(e->name, '/');
    if (slash) {
        char list[32];
        xmlNodePtr l;
        snprintf(list, sizeof(list), "%.*s", (int)(slash - e->name), e->name);
        l = eas_xml_child(app, e->ns, list);
        if (!l) {
            l = eas_xml_add(app, ns, list, NULL);
        }
        eas_xml_add(l, ns, slash + 1, e->value);
    } else {
        eas_xml_add(app, ns, e->name, e->value);
    }
}

static void add_body(xmlDocPtr doc, xmlNodePtr app, int type, const char *data)
{
    xmlNsPtr b = eas_xml_ns(doc, "AirSyncBase:");
    xmlNodePtr body = eas_xml_add(app, b, "Body", NULL);
    eas_xml_add_int(body, b, "Type", type);
    eas_xml_add(body, b, "Data", data);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The elements under app as sorted "ns name=value" lines (lists as "ns List/Item=value"). */
static const char *flatten(xmlNodePtr app, int with_body)
{
    apr_array_header_t *a = apr_array_make(pool, 64, sizeof(const char *));
    xmlNodePtr n, k;
    const char *out = "";
    int i;
    for (n = app->children; n; n = n->next) {
        int list = !strcmp((const char *)n->name, "Categories") ||
                   !strcmp((const char *)n->name, "Children");
        if (n->type != XML_ELEMENT_NODE) {
            continue;
        }
        if (!strcmp((const char *)n->name, "Body") && !with_body) {
            continue;
        }
        if (list || !strcmp((const char *)n->name, "Body")) {
            for (k = n->children; k; k = k->next) {
                xmlChar *t = xmlNodeGetContent(k);
                APR_ARRAY_PUSH(a, const char *) = apr_psprintf(pool, "%s %s/%s=%s", n->ns->href,
                                                               n->name, k->name, (const char *)t);
                xmlFree(t);
            }
        } else {
            xmlChar *t = xmlNodeGetContent(n);
            APR_ARRAY_PUSH(a, const char *) =
                apr_psprintf(pool, "%s %s=%s", n->ns->href, n->name, (const char *)t);
            xmlFree(t);
        }
    }
    qsort(a->elts, (size_t)a->nelts, sizeof(const char *), cmp_str);
    for (i = 0; i < a->nelts; ++i) {
        out = apr_pstrcat(pool, out, APR_ARRAY_IDX(a, i, const char *), "\n", NULL);
    }
    return out;
}

static const char *expected(const kv *list)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    const char *s;
    for (; list->ns; ++list) {
        add(d, app, list);
    }
    s = flatten(app, 0);
    xmlFreeDoc(d);
    return s;
}

/* to_eas of data as flattened lines. */
static const char *shown(const char *data, int version, const eas_body_opts *o, int with_body)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    const char *err = NULL, *s;
    eas_body_opts dflt;
    eas_body_opts_init(&dflt);
    if (eas_pim_contacts.to_eas(pool, d, app, data, o ? o : &dflt, version, &err) < 0) {
        xmlFreeDoc(d);
        return apr_pstrcat(pool, "error: ", err, NULL);
    }
    s = flatten(app, with_body);
    xmlFreeDoc(d);
    return s;
}

static int from(xmlDocPtr d, xmlNodePtr app, const char *old, eas_pim_item *it, const char **err)
{
    int rc;
    *err = NULL;
    rc = eas_pim_contacts.from_eas(pool, app, old, 161, it, err);
    xmlFreeDoc(d);
    return rc;
}

static const char *unfolded(const char *data)
{
    return apr_pstrcat(pool, "\r\n", eas_vcard_unfold(pool, data), NULL);
}

static int has_line(const char *data, const char *line)
{
    return strstr(unfolded(data), apr_pstrcat(pool, "\r\n", line, "\r\n", NULL)) != NULL;
}

#define has(data, line)                                                                            \
    do {                                                                                           \
        if (!ok(has_line(data, line), "line %s", line))                                            \
            printf("# in:\n%s\n", data);                                                           \
    } while (0)

/* ---- tests ---------------------------------------------------------------------------------- */

static const char *full_data;

static void test_every_field(void)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err, *want = expected(every), *got;
    const kv *e;
    int i;
    for (e = every; e->ns; ++e) {
        add(d, app, e);
    }
    add_body(d, app, 1, "Met at the conference.\nLikes tea; hates coffee, mostly.");
    ok(from(d, app, NULL, &it, &err) == 0, "every field: from_eas");
    full_data = it.data;
    is_str(it.subject, "Doe, John", "subject column is FileAs");
    ok(it.pim_uid && strlen(it.pim_uid) == 32 && strspn(it.pim_uid, "0123456789abcdef") == 32,
       "pim_uid: 32 random hex digits");
    ok(!strncmp(it.data, "BEGIN:VCARD\r\nVERSION:4.0\r\n", 26), "starts BEGIN:VCARD, VERSION:4.0");
    ok(strlen(it.data) > 11 && !strcmp(it.data + strlen(it.data) - 11, "END:VCARD\r\n"),
       "ends END:VCARD CRLF");
    for (i = 0; it.data[i]; ++i) {
        if (it.data[i] == '\n' && (i == 0 || it.data[i - 1] != '\r')) {
            break;
        }
    }
    ok(!it.data[i], "every line ends in CRLF");

    got = shown(it.data, 161, NULL, 0);
    is_str(got, want, "every field: to_eas gives the same elements and values");
    got = shown(it.data, 161, NULL, 1);
    ok(strstr(got, "AirSyncBase: Body/Data=Met at the conference.\nLikes tea; hates coffee, "
                   "mostly.\n") != NULL,
       "body back as Type 1 data");
    ok(strstr(got, "AirSyncBase: Body/Type=1\n") != NULL, "body Type 1");

    has(it.data, "N:Doe;John;Quincy;Dr.;Jr.");
    has(it.data, "FN:Dr. John Quincy Doe Jr.");
    has(it.data, "TEL;TYPE=cell:+1 555 0105");
    has(it.data, "TEL;TYPE=work,voice:+1 555 0101");
    has(it.data, "TEL;TYPE=work,voice,x-eas-business2:+1 555 0102");
    has(it.data, "TEL;TYPE=home,fax:+1 555 0107");
    has(it.data, "TEL;TYPE=x-eas-car:+1 555 0108");
    has(it.data, "ADR;TYPE=home:;;1 Main St\\nApt 2;Springfield;IL;62701;USA");
    has(it.data, "ADR;TYPE=work:;;100 Industrial Way;Shelbyville;IL;62565;USA");
    has(it.data, "ADR;TYPE=x-eas-other:;;PO Box 9;Capital City;IL;62000;USA");
    has(it.data, "BDAY;X-EAS-DATETIME=\"1980-05-16T22:00:00.000Z\":19800517");
    has(it.data, "ANNIVERSARY:20050618");
    has(it.data, "PHOTO:data:image/jpeg;base64,"
                 "/9j/4AAQSkZJRgABAQEAYABgAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8U");
    has(it.data, "ORG:Acme\\; Inc.;Research\\, East");
    has(it.data, "TITLE:Chief \\\\ Scientist");
    has(it.data, "EMAIL;PREF=1:\"John Doe\" <john@example.com>");
    has(it.data, "EMAIL;PREF=2:\"Doe\\, John\" <jd@work.example>");
    has(it.data, "RELATED;TYPE=spouse;VALUE=text:Jane Doe");
    has(it.data, "RELATED;TYPE=child;VALUE=text:Jimmy");
    has(it.data, "CATEGORIES:Friends,VIP");
    has(it.data, "IMPP;PREF=2;X-EAS-IM=plain:im:john@jabber.example");
    has(it.data, "IMPP;PREF=1:sip:john@example.com");
    has(it.data, "NICKNAME:Johnny\\, the Doe");
    has(it.data, "X-PHONETIC-FIRST-NAME:ジョン");
    has(it.data, "URL:https://example.com/~john?a=1,b=2");
    has(it.data, "NOTE:Met at the conference.\\nLikes tea\\; hates coffee\\, mostly.");
    has(it.data, apr_pstrcat(pool, "UID:", it.pim_uid, NULL));

    /* a second from_eas of what to_eas produced stores the same card (but UID and REV) */
    {
        xmlDocPtr d2;
        xmlNodePtr app2 = new_app(&d2);
        eas_pim_item it2;
        eas_body_opts o;
        eas_body_opts_init(&o);
        eas_pim_contacts.to_eas(pool, d2, app2, it.data, &o, 161, &err);
        ok(from(d2, app2, NULL, &it2, &err) == 0, "from_eas of to_eas output");
        is_str(shown(it2.data, 161, NULL, 1), shown(it.data, 161, NULL, 1),
               "second round trip is stable");
    }
}

static void test_versions(void)
{
    static const kv ric[] = {{"Contacts:", "FileAs", "Alias Person"},
                             {"Contacts:", "Alias", "aperson"},
                             {"Contacts:", "WeightedRank", "42"},
                             {NULL, NULL, NULL}};
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err;
    const kv *e;
    for (e = ric; e->ns; ++e) {
        add(d, app, e);
    }
    ok(from(d, app, NULL, &it, &err) == 0, "Alias/WeightedRank stored");
    is_str(shown(it.data, 140, NULL, 0), expected(ric), "14.0: Alias and WeightedRank shown");
    is_str(shown(it.data, 121, NULL, 0), "Contacts: FileAs=Alias Person\n",
           "12.1: Alias and WeightedRank left out");
}

static void test_folding(void)
{
    char line[106], *u8;
    const char *f;
    int i, ok_utf8 = 1;
    const char *s;
    memcpy(line, "NOTE:", 5);
    memset(line + 5, 'a', 100);
    line[105] = '\0';
    f = eas_vcard_fold(pool, line);
    is_str(f,
           apr_pstrcat(pool, "NOTE:", apr_pstrndup(pool, line + 5, 70), "\r\n ",
                       apr_pstrndup(pool, line + 5, 30), "\r\n", NULL),
           "fold: 75 octets, then a space and the rest");
    is_str(eas_vcard_unfold(pool, f), apr_pstrcat(pool, line, "\r\n", NULL),
           "unfold gives it back");

    /* 2-octet characters: no physical line over 75 octets, no sequence split */
    u8 = apr_pstrdup(pool, "NOTE:");
    for (i = 0; i < 60; ++i) {
        u8 = apr_pstrcat(pool, u8, "é", NULL);
    }
    f = eas_vcard_fold(pool, u8);
    for (s = f; *s;) {
        apr_size_t n = strcspn(s, "\r");
        if (n > 75 || ((unsigned char)s[0] & 0xc0) == 0x80 ||
            (s != f && ((unsigned char)s[1] & 0xc0) == 0x80)) {
            ok_utf8 = 0;
        }
        s += n + 2;
    }
    ok(ok_utf8, "fold never splits a UTF-8 sequence, lines <= 75 octets");
    is_str(eas_vcard_unfold(pool, f), apr_pstrcat(pool, u8, "\r\n", NULL), "unfold UTF-8");
    is_str(eas_vcard_unfold(pool, "A:1\n 2\n\t3\r\nB:x"), "A:123\r\nB:x", "unfold LF and tab");

    /* a long NOTE stored folded reads back whole */
    {
        xmlDocPtr d;
        xmlNodePtr app = new_app(&d);
        eas_pim_item it;
        const char *err, *body = "";
        static const kv fa = {"Contacts:", "FileAs", "Long"};
        for (i = 0; i < 30; ++i) {
            body = apr_pstrcat(pool, body, "word, ", NULL);
        }
        add(d, app, &fa);
        add_body(d, app, 1, body);
        from(d, app, NULL, &it, &err);
        ok(strstr(it.data, "\r\n ") != NULL, "long NOTE folded in the stored card");
        ok(strstr(shown(it.data, 161, NULL, 1),
                  apr_pstrcat(pool, "Body/Data=", body, "\n", NULL)) != NULL,
           "long NOTE read back whole");
    }
}

static void test_escaping(void)
{
    static const kv esc[] = {{"Contacts:", "FirstName", "a;b"},
                             {"Contacts:", "LastName", "c,d"},
                             {"Contacts:", "Department", "x\\y"},
                             {"Contacts:", "OfficeLocation", "line1\nline2"},
                             {NULL, NULL, NULL}};
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err, **f;
    const kv *e;
    int n;
    for (e = esc; e->ns; ++e) {
        add(d, app, e);
    }
    from(d, app, NULL, &it, &err);
    has(it.data, "N:c\\,d;a\\;b;;;");
    has(it.data, "FN:a\\;b c\\,d");
    has(it.data, "ORG:;x\\\\y");
    has(it.data, "X-EAS-OFFICELOCATION:line1\\nline2");
    is_str(shown(it.data, 161, NULL, 0), expected(esc), "escaped values round trip");
    n = eas_vcard_fields(pool, "a\\;b;c\\,d;\\\\;e\\nf", ';', &f);
    is_int(n, 4, "fields: 4 components");
    ok(n == 4 && !strcmp(f[0], "a;b") && !strcmp(f[1], "c,d") && !strcmp(f[2], "\\") &&
           !strcmp(f[3], "e\nf"),
       "fields unescaped");
}

static const char *picture(apr_size_t n)
{
    char *b = apr_palloc(pool, n);
    memset(b, 'x', n);
    b[0] = (char)0xff, b[1] = (char)0xd8;
    return eas_base64(pool, b, n);
}

static int with_picture(const char *b64, eas_pim_item *it, const char **err)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    kv e = {"Contacts:", "Picture", b64};
    add(d, app, &e);
    return from(d, app, NULL, it, err);
}

static void test_picture(void)
{
    eas_pim_item it;
    const char *err, *b64 = picture(EAS_PIM_PICTURE_MAX);
    ok(with_picture(b64, &it, &err) == 0, "picture of exactly %d bytes accepted",
       EAS_PIM_PICTURE_MAX);
    is_str(shown(it.data, 161, NULL, 0), apr_pstrcat(pool, "Contacts: Picture=", b64, "\n", NULL),
           "picture at the limit shown again");
    ok(with_picture(picture(EAS_PIM_PICTURE_MAX + 1), &it, &err) == -1, "one byte more rejected");
    is_str(err, "picture too large", "err: picture too large");
    ok(with_picture("!!!notbase64", &it, &err) == -1, "invalid base64 rejected");
    is_str(err, "invalid Picture (not base64)", "err: invalid Picture");
    ok(with_picture("QUJD=", &it, &err) == -1, "bad base64 length rejected");
}

static void test_bad_dates(void)
{
    static const char *bad[] = {"yesterday",
                                "1980-13-01T00:00:00.000Z",
                                "1981-02-29T00:00:00.000Z",
                                "1980-05-17T25:00:00.000Z",
                                "1980-05-17T00:00:00.000Zjunk",
                                ""};
    size_t i;
    for (i = 0; i + 1 < sizeof(bad) / sizeof(bad[0]); ++i) {
        xmlDocPtr d;
        xmlNodePtr app = new_app(&d);
        eas_pim_item it;
        const char *err;
        kv e = {"Contacts:", "Birthday", bad[i]};
        add(d, app, &e);
        ok(from(d, app, NULL, &it, &err) == -1, "bad Birthday '%s' rejected", bad[i]);
        is_str(err, "invalid Birthday", "err: invalid Birthday");
    }
    {
        xmlDocPtr d;
        xmlNodePtr app = new_app(&d);
        eas_pim_item it;
        const char *err;
        kv e = {"Contacts:", "Anniversary", "2001-02-30T00:00:00.000Z"};
        add(d, app, &e);
        ok(from(d, app, NULL, &it, &err) == -1, "bad Anniversary rejected");
        is_str(err, "invalid Anniversary", "err: invalid Anniversary");
    }
    {
        /* leap day, compact form, no millis: accepted and normalised */
        xmlDocPtr d;
        xmlNodePtr app = new_app(&d);
        eas_pim_item it;
        const char *err;
        kv e1 = {"Contacts:", "Birthday", "2000-02-29T00:00:00Z"};
        kv e2 = {"Contacts:", "Anniversary", "20101231T230000Z"};
        add(d, app, &e1);
        add(d, app, &e2);
        ok(from(d, app, NULL, &it, &err) == 0, "good date forms accepted");
        has(it.data, "BDAY:20000229");
        has(it.data, "ANNIVERSARY;X-EAS-DATETIME=\"2010-12-31T23:00:00.000Z\":20110101");
        is_str(shown(it.data, 161, NULL, 0),
               "Contacts: Anniversary=2010-12-31T23:00:00.000Z\n"
               "Contacts: Birthday=2000-02-29T00:00:00.000Z\n",
               "dates shown as xs:dateTime");
    }
}

static void test_change_keeps_foreign(void)
{
    static const char *old = "BEGIN:VCARD\r\n"
                             "VERSION:4.0\r\n"
                             "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1\r\n"
                             "FN:Old Name\r\n"
                             "N:Name;Old;;;\r\n"
                             "X-FOO;X-BAR=1:keep me\r\n"
                             "GEO:geo:37.386013,-122.082932\r\n"
                             "KEY:http://www.example.com/keys/jdoe.cer\r\n"
                             "EMAIL;PREF=1:one@example.com\r\n"
                             "EMAIL;PREF=2:two@example.com\r\n"
                             "EMAIL;PREF=3:three@example.com\r\n"
                             "EMAIL;PREF=4:four@example.com\r\n"
                             "TEL;TYPE=pager:+1 555 0198\r\n"
                             "TEL;TYPE=pager:+1 555 0199\r\n"
                             "TEL;TYPE=cell:+1 555 0100\r\n"
                             "NOTE:old note\r\n"
                             "REV:20200101T000000Z\r\n"
                             "END:VCARD\r\n";
    static const kv change[] = {{"Contacts:", "FirstName", "New"},
                                {"Contacts:", "LastName", "Name"},
                                {"Contacts:", "Email1Address", "first@example.com"},
                                {NULL, NULL, NULL}};
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    const char *err, *u;
    const kv *e;
    for (e = change; e->ns; ++e) {
        add(d, app, e);
    }
    ok(from(d, app, old, &it, &err) == 0, "Change: from_eas");
    u = unfolded(it.data);
    has(it.data, "UID:urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1");
    is_str(it.pim_uid, "urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1", "UID kept");
    has(it.data, "X-FOO;X-BAR=1:keep me");
    has(it.data, "GEO:geo:37.386013,-122.082932");
    has(it.data, "KEY:http://www.example.com/keys/jdoe.cer");
    has(it.data, "EMAIL;PREF=4:four@example.com");
    has(it.data, "TEL;TYPE=pager:+1 555 0199");
    has(it.data, "NOTE:old note");
    has(it.data, "N:Name;New;;;");
    has(it.data, "FN:New Name");
    has(it.data, "EMAIL;PREF=1:first@example.com");
    ok(!strstr(u, "one@example.com") && !strstr(u, "two@example.com") &&
           !strstr(u, "+1 555 0100") && !strstr(u, "+1 555 0198") && !strstr(u, "Old Name") &&
           !strstr(u, "20200101T000000Z"),
       "what the device saw and left out is replaced");
    is_str(it.subject, "New Name", "subject column: FN without FileAs");
    {
        xmlDocPtr d2;
        xmlNodePtr app2 = new_app(&d2);
        eas_pim_item it2;
        add_body(d2, app2, 1, "");
        ok(from(d2, app2, it.data, &it2, &err) == 0, "Change with an empty body");
        ok(!strstr(it2.data, "NOTE:"), "empty body deletes NOTE");
        has(it2.data, "X-FOO;X-BAR=1:keep me");
    }
}

static const char *apple =
    "BEGIN:VCARD\r\n"
    "VERSION:3.0\r\n"
    "PRODID:-//Apple Inc.//iPhone OS 17.2//EN\r\n"
    "N:Appleseed;Johnny;;;\r\n"
    "FN:Johnny Appleseed\r\n"
    "ORG:Apple Inc.;\r\n"
    "EMAIL;type=INTERNET;type=WORK;type=pref:johnny@apple.example\r\n"
    "EMAIL;type=INTERNET;type=HOME:johnny@home.example\r\n"
    "TEL;type=CELL;type=VOICE;type=pref:+1 (408) 555-0101\r\n"
    "TEL;type=WORK;type=VOICE:+1 408 555 0102\r\n"
    "TEL;type=HOME;type=FAX:+1 408 555 0103\r\n"
    "item1.ADR;type=HOME;type=pref:;;1 Infinite Loop;Cupertino;CA;95014;United States\r\n"
    "item1.X-ABADR:us\r\n"
    "item2.URL;type=pref:http\\://www.apple.com\r\n"
    "item2.X-ABLabel:_$!<HomePage>!$_\r\n"
    "BDAY;value=date:1976-04-01\r\n"
    "X-ABUID:2E4CB084-4767-4C85-BBCA-805B1DCB1C8E:ABPerson\r\n"
    "NOTE:Line one\\nLine two\r\n"
    "PHOTO;ENCODING=b;TYPE=JPEG:/9j/4AAQSkZJRgABAQAAAQABAAD/"
    "4gxYSUNDX1BST0ZJTEUAAQEAAAxITGlubwIQAABt\r\n"
    "  bnRyUkdCIFhZWiAHzgACAAkABgAxAABhY3NwTVNGVAAAAABJRUMgc1JHQgAAAAAAAAAAAAAAAA==\r\n"
    "END:VCARD\r\n";

static void test_import_apple(void)
{
    eas_pim_item it;
    const char *err = NULL, *got;
    ok(eas_pim_contacts.parse(pool, apple, &it, &err) == 0, "Apple vCard 3.0 parses");
    is_str(it.subject, "Johnny Appleseed", "subject: FN");
    ok(it.pim_uid && strlen(it.pim_uid) == 32, "UID generated");
    ok(!strncmp(it.data, "BEGIN:VCARD\r\nVERSION:4.0\r\n", 26), "stored as vCard 4.0");
    has(it.data, "BDAY;VALUE=date:19760401");
    has(it.data, "PHOTO:data:image/jpeg;base64,/9j/4AAQSkZJRgABAQAAAQABAAD/"
                 "4gxYSUNDX1BST0ZJTEUAAQEAAAxITGlubwIQAABt"
                 "bnRyUkdCIFhZWiAHzgACAAkABgAxAABhY3NwTVNGVAAAAABJRUMgc1JHQgAAAAAAAAAAAAAAAA==");
    has(it.data, "item1.X-ABADR:us");
    has(it.data, "X-ABUID:2E4CB084-4767-4C85-BBCA-805B1DCB1C8E:ABPerson");
    has(it.data, "EMAIL;TYPE=internet,work;PREF=1:johnny@apple.example");
    got = shown(it.data, 161, NULL, 1);
    is_str(got,
           "AirSyncBase: Body/Data=Line one\nLine two\n"
           "AirSyncBase: Body/EstimatedDataSize=17\n"
           "AirSyncBase: Body/Type=1\n"
           "Contacts: Birthday=1976-04-01T00:00:00.000Z\n"
           "Contacts: BusinessPhoneNumber=+1 408 555 0102\n"
           "Contacts: CompanyName=Apple Inc.\n"
           "Contacts: Email1Address=johnny@apple.example\n"
           "Contacts: Email2Address=johnny@home.example\n"
           "Contacts: FirstName=Johnny\n"
           "Contacts: HomeAddressCity=Cupertino\n"
           "Contacts: HomeAddressCountry=United States\n"
           "Contacts: HomeAddressPostalCode=95014\n"
           "Contacts: HomeAddressState=CA\n"
           "Contacts: HomeAddressStreet=1 Infinite Loop\n"
           "Contacts: HomeFaxNumber=+1 408 555 0103\n"
           "Contacts: LastName=Appleseed\n"
           "Contacts: MobilePhoneNumber=+1 (408) 555-0101\n"
           "Contacts: Picture=/9j/4AAQSkZJRgABAQAAAQABAAD/4gxYSUNDX1BST0ZJTEUAAQEAAAxITGlubwIQAABt"
           "bnRyUkdCIFhZWiAHzgACAAkABgAxAABhY3NwTVNGVAAAAABJRUMgc1JHQgAAAAAAAAAAAAAAAA==\n"
           "Contacts: WebPage=http://www.apple.com\n",
           "Apple card shown to a device");
}

static void test_import_google_21(void)
{
    static const char *google = "BEGIN:VCARD\n"
                                "VERSION:3.0\n"
                                "FN:Grace Hopper\n"
                                "N:Hopper;Grace;Brewster Murray;Rear Admiral;\n"
                                "EMAIL;TYPE=INTERNET;TYPE=HOME:grace@example.org\n"
                                "TEL;TYPE=CELL:+1-202-555-0142\n"
                                "TEL:+1-202-555-0143\n"
                                "ADR;TYPE=WORK:;;Navy Yard;Washington;DC;20374;USA\n"
                                "ORG:US Navy\n"
                                "TITLE:Computer Scientist\n"
                                "CATEGORIES:myContacts,Pioneers\n"
                                "UID:google-1234\n"
                                "END:VCARD\n";
    static const char *v21 =
        "BEGIN:VCARD\r\n"
        "VERSION:2.1\r\n"
        "N;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:M=C3=BCller;J=C3=BCrgen\r\n"
        "TEL;HOME;VOICE:030 1234\r\n"
        "TEL;WORK;FAX:030 5678\r\n"
        "NOTE;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:caf=C3=A9 =\r\n"
        "und mehr\r\n"
        "ADR;HOME;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:;;Stra=DFe 1;Berlin;;10115;DE\r\n"
        "END:VCARD\r\n";
    eas_pim_item it;
    const char *err = NULL;
    ok(eas_pim_contacts.parse(pool, google, &it, &err) == 0, "Google vCard 3.0 (LF) parses");
    is_str(it.pim_uid, "google-1234", "UID kept");
    is_str(it.subject, "Grace Hopper", "subject FN");
    is_str(shown(it.data, 161, NULL, 0),
           "Contacts: BusinessAddressCity=Washington\n"
           "Contacts: BusinessAddressCountry=USA\n"
           "Contacts: BusinessAddressPostalCode=20374\n"
           "Contacts: BusinessAddressState=DC\n"
           "Contacts: BusinessAddressStreet=Navy Yard\n"
           "Contacts: Categories/Category=Pioneers\n" /* sorted lines */
           "Contacts: Categories/Category=myContacts\n"
           "Contacts: CompanyName=US Navy\n"
           "Contacts: Email1Address=grace@example.org\n"
           "Contacts: FirstName=Grace\n"
           "Contacts: HomePhoneNumber=+1-202-555-0143\n"
           "Contacts: JobTitle=Computer Scientist\n"
           "Contacts: LastName=Hopper\n"
           "Contacts: MiddleName=Brewster Murray\n"
           "Contacts: MobilePhoneNumber=+1-202-555-0142\n"
           "Contacts: Title=Rear Admiral\n",
           "Google card shown to a device");

    ok(eas_pim_contacts.parse(pool, v21, &it, &err) == 0, "vCard 2.1 parses");
    has(it.data, "NOTE:café und mehr");
    has(it.data, "FN:Jürgen Müller");
    is_str(shown(it.data, 161, NULL, 0),
           "Contacts: BusinessFaxNumber=030 5678\n"
           "Contacts: FirstName=Jürgen\n"
           "Contacts: HomeAddressCity=Berlin\n"
           "Contacts: HomeAddressCountry=DE\n"
           "Contacts: HomeAddressPostalCode=10115\n"
           "Contacts: HomeAddressStreet=Straße 1\n"
           "Contacts: HomePhoneNumber=030 1234\n"
           "Contacts: LastName=Müller\n",
           "2.1 card shown to a device");

    ok(eas_pim_contacts.parse(pool, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Only FN\r\nEND:VCARD\r\n",
                              &it, &err) == 0,
       "FN-only vCard 4 parses");
    is_str(shown(it.data, 161, NULL, 0), "Contacts: FileAs=Only FN\n", "FN-only: FileAs = FN");
    ok(eas_pim_contacts.parse(pool, "BEGIN:VCARD\r\nFN:x\r\n", &it, &err) == -1,
       "unclosed card rejected");
    ok(eas_pim_contacts.parse(pool, "hello", &it, &err) == -1, "non-vCard rejected");
    ok(eas_pim_contacts.parse(pool, "BEGIN:VCARD\r\nEND:VCARD\r\nBEGIN:VCARD\r\nEND:VCARD\r\n", &it,
                              &err) == -1,
       "two cards in parse rejected");
}

static void test_split_join(void)
{
    const char *file =
        apr_pstrcat(pool,
                    "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:One\r\nEND:VCARD\r\n"
                    "\r\n",
                    apple, "begin:vcard\nversion:3.0\nfn:Three\nn:;Three;;;\nend:vcard\n", NULL);
    apr_array_header_t *items;
    const char *err = NULL, *j;
    eas_pim_item it;
    int i, all = 1;
    ok(eas_pim_contacts.split(pool, file, &items, &err) == 0, "split a 3-card file");
    is_int(items->nelts, 3, "3 cards");
    is_str(APR_ARRAY_IDX(items, 0, const char *),
           "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:One\r\nEND:VCARD\r\n", "first card text");
    is_str(APR_ARRAY_IDX(items, 1, const char *), apple, "second card text");
    is_str(APR_ARRAY_IDX(items, 2, const char *),
           "begin:vcard\nversion:3.0\nfn:Three\nn:;Three;;;\nend:vcard\n", "third card text");
    for (i = 0; i < items->nelts; ++i) {
        all &= eas_pim_contacts.parse(pool, APR_ARRAY_IDX(items, i, const char *), &it, &err) == 0;
    }
    ok(all, "each split card parses");
    is_str(it.subject, "Three", "third card's subject");
    j = eas_pim_contacts.join(pool, items);
    is_str(j,
           apr_pstrcat(pool, "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:One\r\nEND:VCARD\r\n", apple,
                       "begin:vcard\nversion:3.0\nfn:Three\nn:;Three;;;\nend:vcard\n", NULL),
           "join concatenates");
    ok(eas_pim_contacts.split(pool, j, &items, &err) == 0 && items->nelts == 3,
       "joined file splits into 3 again");
    ok(eas_pim_contacts.split(pool, "BEGIN:VCARD\r\nFN:x\r\n", &items, &err) == -1,
       "unclosed card: split fails");
    ok(eas_pim_contacts.split(pool, "not a vcard\r\n", &items, &err) == -1,
       "text without a card: split fails");
    ok(eas_pim_contacts.split(pool, "", &items, &err) == 0 && items->nelts == 0,
       "empty file: no cards");
}

static void test_html_body(void)
{
    xmlDocPtr d;
    xmlNodePtr app = new_app(&d);
    eas_pim_item it;
    eas_body_opts o;
    const char *err;
    add_body(d, app, 2, "<html><body><p>Hello &amp; welcome</p><p>Bye<br>now</p></body></html>");
    ok(from(d, app, NULL, &it, &err) == 0, "HTML body stored");
    has(it.data, "NOTE:Hello & welcome\\nBye\\nnow");
    eas_body_opts_init(&o);
    o.nprefs = 1;
    o.prefs[0].type = 2;
    o.prefs[0].trunc = -1;
    ok(strstr(shown(it.data, 161, &o, 1), "Body/Data=<html><body><p>Hello &amp; welcome</p>") !=
           NULL,
       "HTML body back for Type 2");
    ok(strstr(shown(it.data, 161, NULL, 1), "Body/Data=Hello & welcome\nBye\nnow\n") != NULL,
       "plain rendering for Type 1");
}

/* The elements inside a Sync response, checked against Microsoft's XSDs when they are here. */
static void test_xsd(void)
{
    const char *ref = getenv("EAS_REFERENCE_DIR");
    char path[] = "/tmp/test_contact_XXXXXX";
    const char *tool;
    xmlDocPtr d;
    xmlNodePtr root, n;
    eas_body_opts o;
    const char *err;
    int fd, rc;
    FILE *f;
    tool = apr_pstrcat(pool, ref ? ref : "../shared/eas-reference", "/validate-xml", NULL);
    if (access(tool, X_OK) != 0 || system("command -v xmllint >/dev/null 2>&1") != 0) {
        ok(1, "# SKIP validate-xml or xmllint not found");
        return;
    }
    d = eas_xml_new_doc("AirSync:", "Sync");
    root = xmlDocGetRootElement(d);
    n = eas_xml_add(root, NULL, "Collections", NULL);
    n = eas_xml_add(n, NULL, "Collection", NULL);
    eas_xml_add(n, NULL, "SyncKey", "2");
    eas_xml_add(n, NULL, "CollectionId", "3");
    eas_xml_add(n, NULL, "Status", "1");
    n = eas_xml_add(n, NULL, "Commands", NULL);
    n = eas_xml_add(n, NULL, "Add", NULL);
    eas_xml_add(n, NULL, "ServerId", "3:1");
    n = eas_xml_add(n, NULL, "ApplicationData", NULL);
    eas_body_opts_init(&o);
    rc = eas_pim_contacts.to_eas(pool, d, n, full_data, &o, 161, &err);
    fd = mkstemp(path);
    f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (f) {
        xmlDocFormatDump(f, d, 1);
        fclose(f);
    }
    xmlFreeDoc(d);
    ok(rc == 0 && f, "Sync response written");
    ok(system(apr_psprintf(pool, "%s %s >/dev/null", tool, path)) == 0,
       "every-field contact validates against Contacts.xsd/Contacts2.xsd (%s)", path);
    unlink(path);
}

int main(void)
{
    apr_initialize();
    apr_pool_create(&pool, NULL);
    test_every_field();
    test_versions();
    test_folding();
    test_escaping();
    test_picture();
    test_bad_dates();
    test_change_keeps_foreign();
    test_import_apple();
    test_import_google_21();
    test_split_join();
    test_html_body();
    test_xsd();
    apr_pool_destroy(pool);
    xmlCleanupParser();
    apr_terminate();
    return tap_done();
}
