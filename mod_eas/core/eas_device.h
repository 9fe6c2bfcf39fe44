/* eas_device.h — the device registry: every request records who synced from what. */
#ifndef EAS_DEVICE_H
#define EAS_DEVICE_H

#include <apr_pools.h>
#include <libpq-fe.h>
#include <libxml/tree.h>

#include "eas_query.h"

typedef struct eas_device_ref {
    const char *user_id;   /* users.id, decimal */
    const char *device_pk; /* devices.id, decimal */
} eas_device_ref;

/* Creates the user and the device on first sight and records this request (type, user agent,
 * protocol version, command, address, time). 0 on success, else *err. */
int eas_device_touch(PGconn *c, apr_pool_t *p, const char *user, const eas_query *q,
                     const char *user_agent, const char *remote_addr, eas_device_ref *ref,
                     const char **err);

/* Stores settings:DeviceInformation/settings:Set (Provision 14.1+, Settings): fields sent replace
 * the stored ones, absent fields keep theirs, each bounded to 512 bytes. 0 on success. */
int eas_device_store_info(PGconn *c, apr_pool_t *p, const char *device_pk, xmlNodePtr info,
                          const char **err);

#endif
