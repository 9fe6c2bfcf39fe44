/* eas_policy.h — security policies (MS-ASPROV EASProvisionDoc plus mod_eas's own settings),
 * stored per scope global -> domain -> user -> device, each level overriding only what it sets.
 * The effective policy remembers where every value came from, and hashes to a stable digest that
 * changes exactly when the effective policy does (policy key rotation). */
#ifndef EAS_POLICY_H
#define EAS_POLICY_H

#include <apr_pools.h>
#include <libpq-fe.h>
#include <libxml/tree.h>

typedef enum eas_policy_type {
    EAS_PT_BOOL,          /* 0 / 1 (true/false/yes/no/on/off accepted) */
    EAS_PT_UINT,          /* unsigned in [min, max] */
    EAS_PT_UINT_OR_EMPTY, /* unsigned in [min, max], or "" = no limit (empty element) */
    EAS_PT_INT,           /* signed in [min, max] */
    EAS_PT_LIST,          /* comma-separated strings */
    EAS_PT_VERSION        /* an ActiveSync protocol version, e.g. 14.1 */
} eas_policy_type;

typedef struct eas_policy_field {
    const char *name; /* EASProvisionDoc element name, or mod_eas setting */
    eas_policy_type type;
    long min, max;
    const char *dflt; /* default as text; "" = empty/unlimited */
    int in_doc;       /* sent to devices inside EASProvisionDoc */
    const char *help;
} eas_policy_field;

typedef enum eas_policy_scope {
    EAS_SCOPE_DEFAULT = 0,
    EAS_SCOPE_GLOBAL,
    EAS_SCOPE_DOMAIN,
    EAS_SCOPE_USER,
    EAS_SCOPE_DEVICE
} eas_policy_scope;

/* Index of each field in the table (and in eas_policy.value[]). Order = the XSD's order. */
enum {
    EAS_POL_DevicePasswordEnabled,
    EAS_POL_AlphanumericDevicePasswordRequired,
    EAS_POL_PasswordRecoveryEnabled,
    EAS_POL_RequireStorageCardEncryption,
    EAS_POL_AttachmentsEnabled,
    EAS_POL_MinDevicePasswordLength,
    EAS_POL_MaxInactivityTimeDeviceLock,
    EAS_POL_MaxDevicePasswordFailedAttempts,
    EAS_POL_MaxAttachmentSize,
    EAS_POL_AllowSimpleDevicePassword,
    EAS_POL_DevicePasswordExpiration,
    EAS_POL_DevicePasswordHistory,
    EAS_POL_AllowStorageCard,
    EAS_POL_AllowCamera,
    EAS_POL_RequireDeviceEncryption,
    EAS_POL_AllowUnsignedApplications,
    EAS_POL_AllowUnsignedInstallationPackages,
    EAS_POL_MinDevicePasswordComplexCharacters,
    EAS_POL_AllowWiFi,
    EAS_POL_AllowTextMessaging,
    EAS_POL_AllowPOPIMAPEmail,
    EAS_POL_AllowBluetooth,
    EAS_POL_AllowIrDA,
    EAS_POL_RequireManualSyncWhenRoaming,
    EAS_POL_AllowDesktopSync,
    EAS_POL_MaxCalendarAgeFilter,
    EAS_POL_AllowHTMLEmail,
    EAS_POL_MaxEmailAgeFilter,
    EAS_POL_MaxEmailBodyTruncationSize,
    EAS_POL_MaxEmailHTMLBodyTruncationSize,
    EAS_POL_RequireSignedSMIMEMessages,
    EAS_POL_RequireEncryptedSMIMEMessages,
    EAS_POL_RequireSignedSMIMEAlgorithm,
    EAS_POL_RequireEncryptionSMIMEAlgorithm,
    EAS_POL_AllowSMIMEEncryptionAlgorithmNegotiation,
    EAS_POL_AllowSMIMESoftCerts,
    EAS_POL_AllowBrowser,
    EAS_POL_AllowConsumerEmail,
    EAS_POL_AllowRemoteDesktop,
    EAS_POL_AllowInternetSharing,
    EAS_POL_UnapprovedInROMApplicationList,
    EAS_POL_ApprovedApplicationList,
    /* mod_eas settings, not sent in the document */
    EAS_POL_AllowNonProvisionableDevices,
    EAS_POL_DevicePolicyRefreshInterval,
    EAS_POL_MaxProtocolVersion,
    EAS_POLICY_NFIELDS
};

typedef struct eas_policy {
    const char *value[EAS_POLICY_NFIELDS];
    eas_policy_scope source[EAS_POLICY_NFIELDS];
} eas_policy;

const eas_policy_field *eas_policy_field_at(int i);
/* Case-insensitive; -1 if unknown. */
int eas_policy_field_index(const char *name);

/* Checks a value against the field's type and range; on success *norm is the canonical text
 * ("true" -> "1"). Returns NULL when valid, else a message. */
const char *eas_policy_check_value(apr_pool_t *p, int field, const char *value, const char **norm);

const char *eas_policy_scope_name(eas_policy_scope s);

/* The user's domain (after the last '@'), or NULL. */
const char *eas_policy_user_domain(const char *user);

void eas_policy_defaults(eas_policy *pol);

/* Effective policy for user (and device_pk, may be NULL) from the policies table. */
int eas_policy_load(PGconn *c, apr_pool_t *p, const char *user, const char *device_pk,
                    eas_policy *pol, const char **err);

/* Hex SHA-1 over the fields sent to devices and the settings that change what they get. */
const char *eas_policy_hash(apr_pool_t *p, const eas_policy *pol);

/* Appends <EASProvisionDoc> with every document field to parent, in namespace ns. */
xmlNodePtr eas_policy_to_doc(const eas_policy *pol, xmlNodePtr parent, xmlNsPtr ns);

int eas_policy_bool(const eas_policy *pol, int field);

#endif
