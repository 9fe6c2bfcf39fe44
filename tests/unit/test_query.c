/* Unit tests: MS-ASHTTP query parsing (plain and base64 forms) and the command table. */
#include <string.h>

#include <apr_base64.h>
#include <apr_general.h>
#include <apr_strings.h>

#include "eas_command.h"
#include "eas_query.h"
#include "tap.h"

static apr_pool_t *pool;

static eas_query_status parse(const char *args, const char *ver, const char *pk, eas_query *q,
                              const char **why)
{
    return eas_query_parse(pool, args, ver, pk, NULL, q, why);
}

/* Builds a base64 query from raw bytes. */
static const char *b64(const unsigned char *raw, int len)
{
    char *out = apr_palloc(pool, (apr_size_t)apr_base64_encode_len(len));
    apr_base64_encode_binary(out, raw, len);
    return out;
}

static void test_plain(void)
{
    eas_query q;
    const char *why;

    is_int(parse("Cmd=Sync&User=rmjones&DeviceId=v140Device&DeviceType=SmartPhone", "14.0", NULL,
                 &q, &why),
           EAS_QUERY_OK, "plain: spec example parses");
    is_str(q.cmd_name, "Sync", "plain: command");
    ok(q.cmd && q.cmd->id == EAS_CMD_SYNC, "plain: command resolved");
    is_str(q.user, "rmjones", "plain: user");
    is_str(q.device_id, "v140Device", "plain: device id");
    is_str(q.device_type, "SmartPhone", "plain: device type");
    is_str(q.protocol_version, "14.0", "plain: version from header");
    ok(!q.base64, "plain: not base64");

    is_int(parse("Cmd=SmartReply&User=u&DeviceId=d1&DeviceType=t&ItemId=5%3A7&CollectionId=3"
                 "&SaveInSent=T",
                 "12.1", "1234", &q, &why),
           EAS_QUERY_OK, "plain: command parameters");
    is_str(q.item_id, "5:7", "plain: %-decoded ItemId");
    is_str(q.collection_id, "3", "plain: CollectionId");
    ok(q.save_in_sent, "plain: SaveInSent=T");
    ok(q.has_policy_key && q.policy_key == 1234, "plain: X-MS-PolicyKey header");

    is_int(parse("Cmd=Ping&User=u&DeviceId=d&DeviceType=t&PolicyKey=77", "14.1", NULL, &q, &why),
           EAS_QUERY_OK, "plain: PolicyKey in the query");
    ok(q.has_policy_key && q.policy_key == 77, "plain: PolicyKey value");

    is_int(parse("cmd=FolderSync&user=u&deviceid=d&devicetype=t", "14.1", NULL, &q, &why),
           EAS_QUERY_OK, "plain: parameter names are case-insensitive");
}

static void test_plain_errors(void)
{
    static const struct {
        const char *args, *ver, *pk;
        eas_query_status want;
        const char *name;
    } cases[] = {
        {NULL, "14.1", NULL, EAS_QUERY_BAD, "no query"},
        {"", "14.1", NULL, EAS_QUERY_BAD, "empty query"},
        {"User=u&DeviceId=d&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD, "missing Cmd"},
        {"Cmd=Sync&User=u&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD, "missing DeviceId"},
        {"Cmd=Sync&User=u&DeviceId=d", "14.1", NULL, EAS_QUERY_BAD, "missing DeviceType"},
        {"Cmd=Sync&User=u&DeviceId=d&DeviceType=t", NULL, NULL, EAS_QUERY_BAD, "missing version"},
        {"Cmd=Sync&User=u&DeviceId=d&DeviceType=t", "13.0", NULL, EAS_QUERY_BAD, "bad version"},
        {"Cmd=Sync&User=u&DeviceId=bad%20id&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD,
         "DeviceId with a space"},
        {"Cmd=Sync&User=u&DeviceId=d<script>&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD,
         "DeviceId with markup"},
        {"Cmd=Sync&User=u&DeviceId=0123456789012345678901234567890123456789012345678901234567890"
         "12345&DeviceType=t",
         "14.1", NULL, EAS_QUERY_BAD, "DeviceId too long"},
        {"Cmd=Sync&User=u&DeviceId=a&DeviceId=b&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD,
         "DeviceId twice"},
        {"Cmd=Sync&User=u&DeviceId=d%2&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD,
         "truncated escape"},
        {"Cmd=Sync&User=u&DeviceId=d%00&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD, "encoded NUL"},
        {"Cmd=Sync&User=u&DeviceId=d&DeviceType=t", "14.1", "12x", EAS_QUERY_BAD, "bad policy key"},
        {"Cmd=Sync&User=u&DeviceId=d&DeviceType=t", "14.1", "99999999999", EAS_QUERY_BAD,
         "policy key overflow"},
        {"Cmd=Sync&User=u&DeviceId=d&DeviceType=a%20b", "14.1", NULL, EAS_QUERY_BAD,
         "DeviceType with a space"},
        {"Cmd=Frobnicate&User=u&DeviceId=d&DeviceType=t", "14.1", NULL, EAS_QUERY_UNKNOWN_CMD,
         "unknown command"},
        {"Cmd=Sync&User=u&noequals&DeviceId=d&DeviceType=t", "14.1", NULL, EAS_QUERY_BAD,
         "parameter without ="},
    };
    size_t i;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); ++i) {
        eas_query q;
        const char *why = NULL;
        eas_query_status st = parse(cases[i].args, cases[i].ver, cases[i].pk, &q, &why);
        is_int(st, cases[i].want, cases[i].name);
        ok(st == EAS_QUERY_OK || why != NULL, "%s: has a reason", cases[i].name);
    }
}

static void test_base64(void)
{
    eas_query q;
    const char *why;
    /* the MS-ASHTTP example: 14.0, Sync, locale 0x0409, "v140Device", no key, "SmartPhone" */
    is_int(parse("jAAJBAp2MTQwRGV2aWNlAApTbWFydFBob25l", NULL, NULL, &q, &why), EAS_QUERY_OK,
           "base64: spec example");
    ok(q.base64, "base64: detected");
    is_str(q.cmd_name, "Sync", "base64: command");
    is_str(q.protocol_version, "14.0", "base64: version");
    is_int(q.locale, 0x0409, "base64: locale");
    is_str(q.device_id, "v140Device", "base64: device id");
    is_str(q.device_type, "SmartPhone", "base64: device type");
    ok(!q.has_policy_key, "base64: no policy key");

    {
        /* 14.1 SmartReply, key 0x01020304, params ItemId, CollectionId, Options=SaveInSent|Multi,
         * User */
        static const unsigned char raw[] = {
            141, 3,   0x09, 0x04, 2,   'd', '1', 4, 4, 3, 2,   1,   2,   'W', 'P', 3, 3,   '1',
            ':', '2', 1,    1,    '5', 7,   1,   3, 8, 4, 'u', 's', 'e', 'r', 99,  2, 'z', 'z'};
        is_int(parse(b64(raw, sizeof(raw)), NULL, NULL, &q, &why), EAS_QUERY_OK,
               "base64: parameters");
        is_str(q.cmd_name, "SmartReply", "base64: SmartReply");
        ok(q.has_policy_key && q.policy_key == 0x01020304UL, "base64: policy key little-endian");
        is_str(q.item_id, "1:2", "base64: ItemId");
        is_str(q.collection_id, "5", "base64: CollectionId");
        ok(q.save_in_sent && q.accept_multipart, "base64: Options bits");
        is_str(q.user, "user", "base64: User");
    }
    {
        /* a binary GUID device id is carried as hex */
        static const unsigned char raw[] = {160,  18,   0, 0, 4,   0x00, 0xff,
                                            0x10, 0x7f, 0, 2, 'W', 'P'};
        is_int(parse(b64(raw, sizeof(raw)), NULL, NULL, &q, &why), EAS_QUERY_OK,
               "base64: binary device id");
        is_str(q.device_id, "00FF107F", "base64: binary device id as hex");
        is_str(q.cmd_name, "Ping", "base64: Ping");
    }
    {
        static const unsigned char unknown[] = {141, 77, 0, 0, 1, 'd', 0, 1, 't'};
        is_int(parse(b64(unknown, sizeof(unknown)), NULL, NULL, &q, &why), EAS_QUERY_UNKNOWN_CMD,
               "base64: unknown command code");
        is_str(q.device_id, "d", "base64: device id known for the log line");
    }
    {
        /* every truncation of a valid query is refused, never read past the end */
        static const unsigned char raw[] = {141, 0, 9, 4, 2,   'd', '1', 4, 1,
                                            2,   3, 4, 2, 'W', 'P', 1,   1, '5'};
        int n, bad = 0;
        for (n = 0; n < (int)sizeof(raw); ++n) {
            if (n == 15) {
                continue; /* ends cleanly after the device type */
            }
            if (parse(b64(raw, n), NULL, NULL, &q, &why) != EAS_QUERY_BAD) {
                ++bad;
                printf("# truncation at %d accepted\n", n);
            }
        }
        is_int(bad, 0, "base64: every truncation refused");
    }
    {
        static const unsigned char badkey[] = {141, 0, 0, 0, 1, 'd', 3, 1, 2, 3, 1, 't'};
        static const unsigned char badver[] = {99, 0, 0, 0, 1, 'd', 0, 1, 't'};
        static const unsigned char nodev[] = {141, 0, 0, 0, 0, 0, 1, 't'};
        is_int(parse(b64(badkey, sizeof(badkey)), NULL, NULL, &q, &why), EAS_QUERY_BAD,
               "base64: policy key length 3");
        is_int(parse(b64(badver, sizeof(badver)), NULL, NULL, &q, &why), EAS_QUERY_BAD,
               "base64: version 9.9");
        is_int(parse(b64(nodev, sizeof(nodev)), NULL, NULL, &q, &why), EAS_QUERY_BAD,
               "base64: empty device id");
        is_int(parse("!!!notbase64", NULL, NULL, &q, &why), EAS_QUERY_BAD,
               "base64: garbage refused");
    }
}

static void test_commands(void)
{
    char buf[512];
    ok(eas_cmd_by_name("ItemOperations") && eas_cmd_by_name("ItemOperations")->code == 19,
       "command table: ItemOperations is code 19");
    ok(eas_cmd_by_code(22) && strcmp(eas_cmd_by_code(22)->name, "ValidateCert") == 0,
       "command table: code 22 is ValidateCert");
    ok(eas_cmd_by_name("Nope") == NULL, "command table: unknown name");
    ok(eas_cmd_by_code(5) == NULL, "command table: retired code 5");
    eas_cmd_set_implemented(EAS_CMD_PING);
    eas_cmd_set_implemented(EAS_CMD_SYNC);
    is_str(eas_cmd_advertised(buf, sizeof(buf)),
           "Sync,SendMail,SmartForward,SmartReply,GetAttachment,FolderSync,FolderCreate,"
           "FolderDelete,FolderUpdate,MoveItems,GetItemEstimate,MeetingResponse,Search,Settings,"
           "Ping,ItemOperations,Provision,ResolveRecipients,ValidateCert,Find",
           "advertised list in table order");
    is_int(eas_protocol_version_num("16.1"), 161, "version number 16.1");
    is_int(eas_protocol_version_num("1.0"), 0, "version number of an unknown version");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_plain();
    test_plain_errors();
    test_base64();
    test_commands();
    apr_pool_destroy(pool);
    return tap_done();
}
