-- 012: requests per hour and command, for the console's overview chart (docs/console.md,
-- "Syncs per hour"). Counted by the statement that already records the device on every request
-- (eas_device.c, touch_sql), which calls eas_count_request: no extra round trip.
--
-- A request adds 1 to the row of (its hour, its command, shard). shard is the device's pk
-- modulo 8: with one row per (hour, command) every Sync of every device would update the same
-- row, and each update holds that row's lock until its commit (WAL flush included), so all
-- devices would queue behind one another. Eight rows per hour and command let eight go at once;
-- readers sum the shards.
CREATE TABLE command_stats (
    hour    timestamptz NOT NULL,  -- date_trunc('hour', ..., 'UTC')
    command text NOT NULL,         -- eas_cmd name (only known commands reach touch_sql)
    shard   smallint NOT NULL,     -- devices.id % 8
    n       bigint NOT NULL,
    PRIMARY KEY (hour, command, shard)
);

-- Counts one request of device dev. A function rather than more CTEs in touch_sql because
-- PL/pgSQL keeps its statements' plans for the session: touch_sql is planned on every request
-- (PQexecParams), and planning an upsert and a delete there cost three times the CPU this call
-- does. The first request of an hour for a (command, shard) creates its row (n = 1) and then
-- deletes rows older than 30 days (only one of those at a time: an advisory lock): an index range
-- scan at the left end of the primary key, a few hundred rows once an hour, nothing the other
-- times; no other request pays for it.
CREATE FUNCTION eas_count_request(dev bigint, cmd text) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    hr timestamptz := date_trunc('hour', now(), 'UTC');
    cnt bigint;
BEGIN
    INSERT INTO command_stats (hour, command, shard, n)
    VALUES (hr, left(cmd, 32), (dev % 8)::smallint, 1)  -- left(): a bound on the key all the same
    ON CONFLICT (hour, command, shard) DO UPDATE SET n = command_stats.n + 1
    RETURNING n INTO cnt;
    -- the first request of the hour for each (command, shard) would purge; the advisory lock lets
    -- one of them do it and the others go on at once (no waiting on each other's deletes, no
    -- lock-order deadlock between two plans of the same DELETE)
    IF cnt = 1 AND pg_try_advisory_xact_lock(hashtext('eas_count_request purge')) THEN
        DELETE FROM command_stats WHERE hour < hr - interval '30 days';
        -- a device's own errors and refusals (eas_audit_device_error) are kept 30 days too;
        -- administrators' actions are never purged
        DELETE FROM audit_log WHERE at < hr - interval '30 days' AND actor = 'device'
           AND action IN ('device.error', 'device.refused');
    END IF;
END $$;

-- eas_audit_device_error looks for the same failure of the device in the last 5 minutes before
-- recording it: without this index that is a scan of the device's whole history.
CREATE INDEX audit_log_device_action ON audit_log (user_name, device_id, action, at);
