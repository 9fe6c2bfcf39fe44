/* Unit tests of the policy core without a database: value checking and normalisation for every
 * type, defaults, field lookup, scope names, domain extraction, the policy hash and the
 * EASProvisionDoc produced for devices. */
#include <string.h>

#include <apr_general.h>
#include <apr_strings.h>
#include <libxml/tree.h>

#include "eas_policy.h"
#include "tap.h"

static apr_pool_t *pool;

/* The normalised value, or NULL when check_value refused it. */
static const char *norm(int field, const char *value)
{
    const char *out = NULL;
    return eas_policy_check_value(pool, field, value, &out) ? NULL : out;
}

#define is_norm(field, value, want) is_str(norm(field, value), want, #field " '" value "'")
#define refused(field, value)                                                                      \
    ok(norm(field, value) == NULL, #field " refuses '%s'", value ? (const char *)value : "NULL")

static void test_bool(void)
{
    static const char *const yes[] = {"1", "true", "TRUE", "yes", "Yes", "on", "ON"};
    static const char *const no[] = {"0", "false", "False", "no", "NO", "off", "Off"};
    const char *msg, *out;
    size_t i;

    for (i = 0; i < sizeof(yes) / sizeof(yes[0]); ++i) {
        is_str(norm(EAS_POL_AllowCamera, yes[i]), "1", apr_psprintf(pool, "bool '%s'", yes[i]));
    }
    for (i = 0; i < sizeof(no) / sizeof(no[0]); ++i) {
        is_str(norm(EAS_POL_AllowCamera, no[i]), "0", apr_psprintf(pool, "bool '%s'", no[i]));
    }
    refused(EAS_POL_AllowCamera, "2");
    refused(EAS_POL_AllowCamera, "");
    refused(EAS_POL_AllowCamera, "truthy");
    refused(EAS_POL_AllowCamera, " 1");
    msg = eas_policy_check_value(pool, EAS_POL_AllowCamera, "maybe", &out);
    ok(msg && strstr(msg, "AllowCamera") && strstr(msg, "0 or 1"), "bool message names the field");
}

static void test_uint(void)
{
    is_norm(EAS_POL_DevicePasswordHistory, "0", "0");
    is_norm(EAS_POL_DevicePasswordHistory, "50", "50");
    is_norm(EAS_POL_DevicePasswordHistory, "007", "7");
    refused(EAS_POL_DevicePasswordHistory, "51");
    refused(EAS_POL_DevicePasswordHistory, "-1");
    refused(EAS_POL_DevicePasswordHistory, "");
    refused(EAS_POL_DevicePasswordHistory, "none");
    refused(EAS_POL_DevicePasswordHistory, "5x");
    refused(EAS_POL_DevicePasswordHistory, "5 ");
    refused(EAS_POL_DevicePasswordHistory, "1.5");
    is_norm(EAS_POL_MinDevicePasswordComplexCharacters, "1", "1");
    is_norm(EAS_POL_MinDevicePasswordComplexCharacters, "4", "4");
    refused(EAS_POL_MinDevicePasswordComplexCharacters, "0");
    refused(EAS_POL_MinDevicePasswordComplexCharacters, "5");
    is_norm(EAS_POL_AllowBluetooth, "1", "1");
    refused(EAS_POL_AllowBluetooth, "3");
    is_norm(EAS_POL_DevicePolicyRefreshInterval, "8760", "8760");
    refused(EAS_POL_DevicePolicyRefreshInterval, "8761");
    refused(EAS_POL_DevicePolicyRefreshInterval, "99999999999999999999999");
}

static void test_uint_or_empty(void)
{
    const char *msg, *out;

    is_norm(EAS_POL_MinDevicePasswordLength, "", "");
    is_norm(EAS_POL_MinDevicePasswordLength, "none", "");
    is_norm(EAS_POL_MinDevicePasswordLength, "UNLIMITED", "");
    is_norm(EAS_POL_MinDevicePasswordLength, "1", "1");
    is_norm(EAS_POL_MinDevicePasswordLength, "16", "16");
    refused(EAS_POL_MinDevicePasswordLength, "0");
    refused(EAS_POL_MinDevicePasswordLength, "17");
    is_norm(EAS_POL_MaxDevicePasswordFailedAttempts, "4", "4");
    refused(EAS_POL_MaxDevicePasswordFailedAttempts, "3");
    is_norm(EAS_POL_MaxAttachmentSize, "2147483647", "2147483647");
    refused(EAS_POL_MaxAttachmentSize, "2147483648");
    is_norm(EAS_POL_MaxInactivityTimeDeviceLock, "0", "0");
    is_norm(EAS_POL_DevicePasswordExpiration, "730", "730");
    refused(EAS_POL_DevicePasswordExpiration, "731");
    msg = eas_policy_check_value(pool, EAS_POL_MinDevicePasswordLength, "99", &out);
    ok(msg && strstr(msg, "1 to 16") && strstr(msg, "empty"), "range message: %s",
       msg ? msg : "(null)");
}

static void test_int(void)
{
    is_norm(EAS_POL_MaxEmailBodyTruncationSize, "-1", "-1");
    is_norm(EAS_POL_MaxEmailBodyTruncationSize, "0", "0");
    is_norm(EAS_POL_MaxEmailHTMLBodyTruncationSize, "512", "512");
    refused(EAS_POL_MaxEmailBodyTruncationSize, "-2");
    refused(EAS_POL_MaxEmailBodyTruncationSize, "");
    refused(EAS_POL_MaxEmailHTMLBodyTruncationSize, "2147483648");
}

static void test_list(void)
{
    is_norm(EAS_POL_ApprovedApplicationList, "", "");
    is_norm(EAS_POL_ApprovedApplicationList, "abc", "abc");
    is_norm(EAS_POL_ApprovedApplicationList, " a , b,,c ", "a,b,c");
    is_norm(EAS_POL_ApprovedApplicationList, " , ,", "");
    is_norm(EAS_POL_UnapprovedInROMApplicationList, "Camera App, Browser", "Camera App,Browser");
}

static void test_version(void)
{
    static const char *const good[] = {"12.0", "12.1", "14.0", "14.1", "16.0", "16.1"};
    size_t i;

    for (i = 0; i < sizeof(good) / sizeof(good[0]); ++i) {
        is_str(norm(EAS_POL_MaxProtocolVersion, good[i]), good[i],
               apr_psprintf(pool, "version %s", good[i]));
    }
    refused(EAS_POL_MaxProtocolVersion, "15.0");
    refused(EAS_POL_MaxProtocolVersion, "16");
    refused(EAS_POL_MaxProtocolVersion, "");
    refused(EAS_POL_MaxProtocolVersion, "16.1 ");
}

static void test_fields(void)
{
    const char *out;
    int i;

    is_int(eas_policy_field_index("AllowCamera"), EAS_POL_AllowCamera, "field by name");
    is_int(eas_policy_field_index("allowcamera"), EAS_POL_AllowCamera, "names case-insensitive");
    is_int(eas_policy_field_index("MaxProtocolVersion"), EAS_POL_MaxProtocolVersion,
           "mod_eas setting by name");
    is_int(eas_policy_field_index("NoSuchThing"), -1, "unknown name");
    is_int(eas_policy_field_index(""), -1, "empty name");
    is_int(eas_policy_field_index(NULL), -1, "NULL name");
    ok(eas_policy_field_at(-1) == NULL, "field_at(-1)");
    ok(eas_policy_field_at(EAS_POLICY_NFIELDS) == NULL, "field_at(NFIELDS)");
    ok(eas_policy_check_value(pool, -1, "1", &out) != NULL, "check of an unknown field");
    ok(eas_policy_check_value(pool, EAS_POL_AllowCamera, NULL, &out) != NULL, "check of NULL");
    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        const eas_policy_field *f = eas_policy_field_at(i);
        /* the table is indexed by the enum, and every default is a valid, normal value */
        ok(f && eas_policy_field_index(f->name) == i, "field %d (%s) found by its name", i,
           f ? f->name : "?");
        is_str(norm(i, f->dflt), f->dflt,
               apr_psprintf(pool, "default of %s is canonical", f->name));
        ok(f->help && *f->help, "%s has help", f->name);
        ok(f->in_doc == (i < EAS_POL_AllowNonProvisionableDevices), "%s in_doc is %d", f->name,
           f->in_doc);
    }
}

static void test_defaults_and_scopes(void)
{
    eas_policy pol;
    int i, all_default = 1;

    eas_policy_defaults(&pol);
    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        all_default &= pol.source[i] == EAS_SCOPE_DEFAULT &&
                       strcmp(pol.value[i], eas_policy_field_at(i)->dflt) == 0;
    }
    ok(all_default, "defaults: every value the field's default, source default");
    is_str(pol.value[EAS_POL_DevicePasswordEnabled], "0", "no password required by default");
    is_str(pol.value[EAS_POL_AttachmentsEnabled], "1", "attachments allowed by default");
    is_str(pol.value[EAS_POL_MaxAttachmentSize], "", "no attachment limit by default");
    is_str(pol.value[EAS_POL_MaxEmailBodyTruncationSize], "-1", "no truncation by default");
    is_str(pol.value[EAS_POL_AllowBluetooth], "2", "bluetooth allowed by default");
    is_str(pol.value[EAS_POL_MaxProtocolVersion], "16.1", "highest version by default");
    is_str(pol.value[EAS_POL_AllowNonProvisionableDevices], "0",
           "non-provisionable devices refused by default");
    ok(eas_policy_bool(&pol, EAS_POL_AllowCamera), "eas_policy_bool true");
    ok(!eas_policy_bool(&pol, EAS_POL_RequireDeviceEncryption), "eas_policy_bool false");

    is_str(eas_policy_scope_name(EAS_SCOPE_DEFAULT), "default", "scope default");
    is_str(eas_policy_scope_name(EAS_SCOPE_GLOBAL), "global", "scope global");
    is_str(eas_policy_scope_name(EAS_SCOPE_DOMAIN), "domain", "scope domain");
    is_str(eas_policy_scope_name(EAS_SCOPE_USER), "user", "scope user");
    is_str(eas_policy_scope_name(EAS_SCOPE_DEVICE), "device", "scope device");
    is_str(eas_policy_scope_name((eas_policy_scope)42), "?", "scope out of range");
}

static void test_domain(void)
{
    is_str(eas_policy_user_domain("alice@example.com"), "example.com", "domain of a@d");
    is_str(eas_policy_user_domain("a@b@Example.ORG"), "Example.ORG", "after the last @, as is");
    ok(eas_policy_user_domain("alice") == NULL, "no domain without @");
    ok(eas_policy_user_domain("alice@") == NULL, "no domain after a trailing @");
    ok(eas_policy_user_domain("") == NULL, "no domain of empty");
    ok(eas_policy_user_domain(NULL) == NULL, "no domain of NULL");
}

/* Another valid value for field i, different from v. */
static const char *other_value(int i, const char *v)
{
    static const char *const tries[] = {"0", "1", "2", "4", "7", "", "12.0", "x,y", "14.1"};
    size_t k;
    for (k = 0; k < sizeof(tries) / sizeof(tries[0]); ++k) {
        const char *n = norm(i, tries[k]);
        if (n && strcmp(n, v) != 0) {
            return n;
        }
    }
    return NULL;
}

static void test_hash(void)
{
    eas_policy a, b;
    const char *h0, *h;
    int i, changed_ok = 1, hex_ok = 1;

    eas_policy_defaults(&a);
    h0 = eas_policy_hash(pool, &a);
    ok(h0 && strlen(h0) == 40, "hash is 40 characters");
    for (i = 0; h0 && h0[i]; ++i) {
        hex_ok &= (h0[i] >= '0' && h0[i] <= '9') || (h0[i] >= 'a' && h0[i] <= 'f');
    }
    ok(hex_ok, "hash is lower-case hex");
    eas_policy_defaults(&b);
    is_str(eas_policy_hash(pool, &b), h0, "same policy, same hash");

    /* where a value came from is not part of what the device enforces */
    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        b.source[i] = EAS_SCOPE_DEVICE;
    }
    is_str(eas_policy_hash(pool, &b), h0, "sources do not change the hash");

    for (i = 0; i < EAS_POLICY_NFIELDS; ++i) {
        const char *v = other_value(i, a.value[i]);
        eas_policy_defaults(&b);
        if (!v) {
            ok(0, "no other value for %s", eas_policy_field_at(i)->name);
            continue;
        }
        b.value[i] = v;
        h = eas_policy_hash(pool, &b);
        if (i == EAS_POL_MaxProtocolVersion) {
            is_str(h, h0, "MaxProtocolVersion does not change the hash");
        } else if (strcmp(h, h0) == 0) {
            changed_ok = 0;
            printf("#   %s=%s kept the hash\n", eas_policy_field_at(i)->name, v);
        }
    }
    ok(changed_ok, "every other field changes the hash");
    /* the boundary between name and value is part of the digest */
    eas_policy_defaults(&b);
    b.value[EAS_POL_ApprovedApplicationList] = "a";
    b.value[EAS_POL_UnapprovedInROMApplicationList] = "";
    h = eas_policy_hash(pool, &b);
    eas_policy_defaults(&b);
    b.value[EAS_POL_ApprovedApplicationList] = "";
    b.value[EAS_POL_UnapprovedInROMApplicationList] = "a";
    ok(strcmp(h, eas_policy_hash(pool, &b)) != 0, "the same value in another field differs");
}

/* <EASProvisionDoc> for pol, serialised without the namespace wrapper. */
static const char *doc_xml(const eas_policy *pol)
{
    xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "Data"), ed;
    xmlBufferPtr buf = xmlBufferCreate();
    const char *out;

    xmlDocSetRootElement(doc, root);
    ed = eas_policy_to_doc(pol, root, NULL);
    xmlNodeDump(buf, doc, ed, 0, 0);
    out = apr_pstrdup(pool, (const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    xmlFreeDoc(doc);
    return out;
}

static void test_doc(void)
{
    static const char defaults_xml[] =
        "<EASProvisionDoc>"
        "<DevicePasswordEnabled>0</DevicePasswordEnabled>"
        "<AlphanumericDevicePasswordRequired>0</AlphanumericDevicePasswordRequired>"
        "<PasswordRecoveryEnabled>0</PasswordRecoveryEnabled>"
        "<RequireStorageCardEncryption>0</RequireStorageCardEncryption>"
        "<AttachmentsEnabled>1</AttachmentsEnabled>"
        "<MinDevicePasswordLength/>"
        "<MaxInactivityTimeDeviceLock/>"
        "<MaxDevicePasswordFailedAttempts/>"
        "<MaxAttachmentSize/>"
        "<AllowSimpleDevicePassword>1</AllowSimpleDevicePassword>"
        "<DevicePasswordExpiration/>"
        "<DevicePasswordHistory>0</DevicePasswordHistory>"
        "<AllowStorageCard>1</AllowStorageCard>"
        "<AllowCamera>1</AllowCamera>"
        "<RequireDeviceEncryption>0</RequireDeviceEncryption>"
        "<AllowUnsignedApplications>1</AllowUnsignedApplications>"
        "<AllowUnsignedInstallationPackages>1</AllowUnsignedInstallationPackages>"
        "<MinDevicePasswordComplexCharacters>1</MinDevicePasswordComplexCharacters>"
        "<AllowWiFi>1</AllowWiFi>"
        "<AllowTextMessaging>1</AllowTextMessaging>"
        "<AllowPOPIMAPEmail>1</AllowPOPIMAPEmail>"
        "<AllowBluetooth>2</AllowBluetooth>"
        "<AllowIrDA>1</AllowIrDA>"
        "<RequireManualSyncWhenRoaming>0</RequireManualSyncWhenRoaming>"
        "<AllowDesktopSync>1</AllowDesktopSync>"
        "<MaxCalendarAgeFilter>0</MaxCalendarAgeFilter>"
        "<AllowHTMLEmail>1</AllowHTMLEmail>"
        "<MaxEmailAgeFilter>0</MaxEmailAgeFilter>"
        "<MaxEmailBodyTruncationSize>-1</MaxEmailBodyTruncationSize>"
        "<MaxEmailHTMLBodyTruncationSize>-1</MaxEmailHTMLBodyTruncationSize>"
        "<RequireSignedSMIMEMessages>0</RequireSignedSMIMEMessages>"
        "<RequireEncryptedSMIMEMessages>0</RequireEncryptedSMIMEMessages>"
        "<RequireSignedSMIMEAlgorithm>0</RequireSignedSMIMEAlgorithm>"
        "<RequireEncryptionSMIMEAlgorithm>0</RequireEncryptionSMIMEAlgorithm>"
        "<AllowSMIMEEncryptionAlgorithmNegotiation>2</AllowSMIMEEncryptionAlgorithmNegotiation>"
        "<AllowSMIMESoftCerts>1</AllowSMIMESoftCerts>"
        "<AllowBrowser>1</AllowBrowser>"
        "<AllowConsumerEmail>1</AllowConsumerEmail>"
        "<AllowRemoteDesktop>1</AllowRemoteDesktop>"
        "<AllowInternetSharing>1</AllowInternetSharing>"
        "</EASProvisionDoc>";
    eas_policy pol;
    const char *xml;

    eas_policy_defaults(&pol);
    is_str(doc_xml(&pol), defaults_xml, "defaults: every document field in schema order");

    pol.value[EAS_POL_DevicePasswordEnabled] = "1";
    pol.value[EAS_POL_MinDevicePasswordLength] = "6";
    pol.value[EAS_POL_UnapprovedInROMApplicationList] = "Camera,Store & More";
    pol.value[EAS_POL_ApprovedApplicationList] = "0a1b,2c3d";
    pol.value[EAS_POL_MaxProtocolVersion] = "14.1";
    pol.value[EAS_POL_AllowNonProvisionableDevices] = "1";
    xml = doc_xml(&pol);
    ok(strstr(xml, "<DevicePasswordEnabled>1</DevicePasswordEnabled>") != NULL, "value changed");
    ok(strstr(xml, "<MinDevicePasswordLength>6</MinDevicePasswordLength>") != NULL,
       "limit written");
    ok(strstr(xml, "<AllowInternetSharing>1</AllowInternetSharing>"
                   "<UnapprovedInROMApplicationList>"
                   "<ApplicationName>Camera</ApplicationName>"
                   "<ApplicationName>Store &amp; More</ApplicationName>"
                   "</UnapprovedInROMApplicationList>"
                   "<ApprovedApplicationList><Hash>0a1b</Hash><Hash>2c3d</Hash>"
                   "</ApprovedApplicationList></EASProvisionDoc>") != NULL,
       "lists last, one element per item, escaped: %s", xml);
    ok(!strstr(xml, "MaxProtocolVersion") && !strstr(xml, "AllowNonProvisionableDevices") &&
           !strstr(xml, "DevicePolicyRefreshInterval"),
       "mod_eas settings are not sent to devices");
}

int main(int argc, const char *const *argv)
{
    apr_app_initialize(&argc, &argv, NULL);
    apr_pool_create(&pool, NULL);
    test_bool();
    test_uint();
    test_uint_or_empty();
    test_int();
    test_list();
    test_version();
    test_fields();
    test_defaults_and_scopes();
    test_domain();
    test_hash();
    test_doc();
    apr_pool_destroy(pool);
    apr_terminate();
    return tap_done();
}
