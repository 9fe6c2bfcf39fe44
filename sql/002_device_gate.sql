-- 002: the device gate — policies with inheritance, provisioning state, remote wipe, access rules,
-- device information and the audit log.

-- One row per setting per scope: a level overrides exactly what it sets (global -> domain -> user
-- -> device). scope_key: '' for global, the domain for domain, the user name for user, and
-- devices.id for device (device_pk then cascades deletes).
CREATE TABLE policies (
    scope       text NOT NULL CHECK (scope IN ('global', 'domain', 'user', 'device')),
    scope_key   text NOT NULL DEFAULT '',
    name        text NOT NULL,
    value       text NOT NULL,
    device_pk   bigint REFERENCES devices(id) ON DELETE CASCADE,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    updated_by  text,
    PRIMARY KEY (scope, scope_key, name),
    CHECK ((scope = 'device') = (device_pk IS NOT NULL))
);

-- Bumped by every policy change: a device provisioned at an older generation has its effective
-- policy recomputed on its next request (cheap check on the hot path).
CREATE SEQUENCE policy_generation;

CREATE FUNCTION policies_bump_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM nextval('policy_generation');
    RETURN NULL;
END $$;

CREATE TRIGGER policies_changed AFTER INSERT OR UPDATE OR DELETE ON policies
    FOR EACH STATEMENT EXECUTE FUNCTION policies_bump_generation();

ALTER TABLE devices
    -- Settings/Provision DeviceInformation
    ADD COLUMN model             text,
    ADD COLUMN imei              text,
    ADD COLUMN friendly_name     text,
    ADD COLUMN os                text,
    ADD COLUMN os_language       text,
    ADD COLUMN phone_number      text,
    ADD COLUMN mobile_operator   text,
    ADD COLUMN info_user_agent   text,
    ADD COLUMN info_updated_at   timestamptz,
    -- provisioning: the key the device holds, the effective policy it was computed from
    ADD COLUMN policy_key        bigint,
    ADD COLUMN policy_hash       text,
    ADD COLUMN policy_generation bigint,
    ADD COLUMN pending_policy_key  bigint,   -- phase 1 (temporary) key awaiting acknowledgement
    ADD COLUMN pending_policy_hash text,
    ADD COLUMN provisioned_at    timestamptz,
    ADD COLUMN provision_status  integer,    -- the device's last Policy Status (1 ok, 2 partial, ...)
    -- remote wipe life cycle: none -> requested -> sent -> acknowledged
    ADD COLUMN wipe_state        text NOT NULL DEFAULT 'none'
        CHECK (wipe_state IN ('none', 'requested', 'sent', 'acknowledged')),
    ADD COLUMN wipe_type         text CHECK (wipe_type IN ('full', 'account')),
    ADD COLUMN wipe_requested_at timestamptz,
    ADD COLUMN wipe_requested_by text,
    ADD COLUMN wipe_sent_at      timestamptz,
    ADD COLUMN wipe_acked_at     timestamptz,
    ADD COLUMN wipe_ack_status   integer,
    -- access: an administrator's explicit decision for this device; NULL = the rules decide
    ADD COLUMN access_override   text CHECK (access_override IN ('allow', 'block', 'quarantine')),
    ADD COLUMN access_state      text NOT NULL DEFAULT 'allow'
        CHECK (access_state IN ('allow', 'block', 'quarantine')),  -- last decision, for listings
    ADD COLUMN access_reason     text;

-- Access rules: the first matching rule by priority (lower first) decides; none matching -> the
-- global default (server_settings 'access.default'). Patterns are case-insensitive globs (* ?).
CREATE TABLE access_rules (
    id          bigserial PRIMARY KEY,
    priority    integer NOT NULL DEFAULT 100,
    action      text NOT NULL CHECK (action IN ('allow', 'block', 'quarantine')),
    match       text NOT NULL CHECK (match IN ('user', 'device_type', 'model', 'user_agent')),
    pattern     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    UNIQUE (match, pattern)
);

CREATE TABLE server_settings (
    name        text PRIMARY KEY,
    value       text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO server_settings (name, value) VALUES ('access.default', 'allow');

-- Everything administrators and devices did to device state. Never updated, only appended.
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor       text NOT NULL,        -- admin name (easctl: the OS user; console: r->user) or 'device'
    action      text NOT NULL,        -- e.g. wipe.request, wipe.sent, wipe.ack, policy.set, provision
    user_name   text,
    device_id   text,
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_device ON audit_log (user_name, device_id);
