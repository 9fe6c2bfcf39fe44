-- 001: the accounts Apache authenticated and the devices they sync from.
-- Users are created on their first request (auth is Apache's; this table only anchors their data).

CREATE TABLE users (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,          -- r->user exactly as Apache authenticated it
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE devices (
    id               bigserial PRIMARY KEY,
    user_id          bigint NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    device_id        text NOT NULL,            -- MS-ASHTTP DeviceId
    device_type      text NOT NULL,
    user_agent       text,
    protocol_version text,
    first_seen       timestamptz NOT NULL DEFAULT now(),
    last_seen        timestamptz NOT NULL DEFAULT now(),
    last_command     text,
    remote_addr      text,
    UNIQUE (user_id, device_id)
);

CREATE INDEX devices_last_seen ON devices (last_seen);
